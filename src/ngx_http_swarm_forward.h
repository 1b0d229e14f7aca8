
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The forwardauth middleware (ngx_http_swarm_forward.c): a request's
 * call to its address, as an in-memory subrequest, and the answer taken.
 */


#ifndef _NGX_HTTP_SWARM_FORWARD_H_INCLUDED_
#define _NGX_HTTP_SWARM_FORWARD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_forward_build(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_forward_run(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_FORWARD_H_INCLUDED_ */
