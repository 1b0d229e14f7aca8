
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_status, and the page helpers of the handlers that serve JSON or
 * text (ngx_http_swarm_status.c).
 */


#ifndef _NGX_HTTP_SWARM_STATUS_H_INCLUDED_
#define _NGX_HTTP_SWARM_STATUS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_status_handler(ngx_http_request_t *r,
    ngx_http_swarm_t *swarm);
ngx_int_t ngx_http_swarm_status_page_begin(ngx_http_request_t *r);
ngx_int_t ngx_http_swarm_status_page_send(ngx_http_request_t *r,
    ngx_chain_t *out, off_t len, char *type);


#endif /* _NGX_HTTP_SWARM_STATUS_H_INCLUDED_ */
