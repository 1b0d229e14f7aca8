
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The errors middleware (ngx_http_swarm_errors.c): a response of one of
 * its statuses replaced by the page its service gives, through a
 * subrequest.
 */


#ifndef _NGX_HTTP_SWARM_ERRORS_H_INCLUDED_
#define _NGX_HTTP_SWARM_ERRORS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_errors_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_swarm_errors_build(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_errors_run(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_ERRORS_H_INCLUDED_ */
