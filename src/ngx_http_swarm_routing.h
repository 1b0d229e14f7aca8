
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * A worker's route table for its copy of a routes upstream
 * (ngx_http_swarm_routing.c).
 */


#ifndef _NGX_HTTP_SWARM_ROUTING_H_INCLUDED_
#define _NGX_HTTP_SWARM_ROUTING_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_routing_build(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_log_t *log);
ngx_http_swarm_backend_t *ngx_http_swarm_routing_find(
    ngx_http_swarm_view_t *view, ngx_http_request_t *r, ngx_uint_t table);
json_t *ngx_http_swarm_routing_status(ngx_http_swarm_view_t *view);
const char *ngx_http_swarm_routing_name(ngx_http_swarm_view_t *view,
    ngx_uint_t route);
ngx_int_t ngx_http_swarm_routing_cookie_attrs(ngx_http_swarm_cookie_t *ck,
    ngx_pool_t *pool);


#endif /* _NGX_HTTP_SWARM_ROUTING_H_INCLUDED_ */
