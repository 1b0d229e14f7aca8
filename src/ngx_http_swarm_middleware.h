
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * A route's middlewares as a worker runs them (ngx_http_swarm_middleware.c):
 * swarm_middleware's read, each route's built with the route table from
 * the definitions worker 0 published, run in order on a request once its
 * route is found, and their response headers added by a header filter.
 */


#ifndef _NGX_HTTP_SWARM_MIDDLEWARE_H_INCLUDED_
#define _NGX_HTTP_SWARM_MIDDLEWARE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


char *ngx_http_swarm_middleware_conf(ngx_conf_t *cf, json_t *raw);
char *ngx_http_swarm_middleware_make(ngx_conf_t *cf, json_t *defs);
ngx_int_t ngx_http_swarm_middleware_filter_init(ngx_conf_t *cf);
ngx_int_t ngx_http_swarm_middleware_build(json_t *list, const char *route,
    ngx_pool_t *pool, ngx_http_swarm_mws_t **mws, char *err, size_t errlen);
json_t *ngx_http_swarm_middleware_shown(json_t *list);
ngx_int_t ngx_http_swarm_middleware_run(ngx_http_request_t *r,
    ngx_http_swarm_ctx_t *ctx, ngx_http_swarm_mws_t *mws, ngx_uint_t from);


#endif /* _NGX_HTTP_SWARM_MIDDLEWARE_H_INCLUDED_ */
