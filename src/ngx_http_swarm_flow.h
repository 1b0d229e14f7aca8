
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The retry and buffering middlewares (ngx_http_swarm_flow.c): a route's
 * tries of its tasks, and its bounds on the bodies, with the filters
 * that count them.
 */


#ifndef _NGX_HTTP_SWARM_FLOW_H_INCLUDED_
#define _NGX_HTTP_SWARM_FLOW_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_flow_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_swarm_flow_build_retry(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_flow_build_buffering(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_flow_retry(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_flow_buffering(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_FLOW_H_INCLUDED_ */
