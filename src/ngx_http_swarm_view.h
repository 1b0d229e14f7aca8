
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Each worker's copies of the zone's task sets (ngx_http_swarm_view.c).
 */


#ifndef _NGX_HTTP_SWARM_VIEW_H_INCLUDED_
#define _NGX_HTTP_SWARM_VIEW_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_views_wake_init(ngx_cycle_t *cycle,
    ngx_http_swarm_views_t *views);
void ngx_http_swarm_views_wake(ngx_http_swarm_views_t *views);
ngx_int_t ngx_http_swarm_views_init(ngx_cycle_t *cycle,
    ngx_http_swarm_views_t *views);
void ngx_http_swarm_views_exit(ngx_http_swarm_views_t *views);
ngx_http_swarm_view_t *ngx_http_swarm_view_acquire(
    ngx_http_swarm_upstream_t *up, ngx_log_t *log);
ngx_http_swarm_view_t *ngx_http_swarm_view_current(
    ngx_http_swarm_upstream_t *up, ngx_log_t *log);
void ngx_http_swarm_view_release(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view);


#endif /* _NGX_HTTP_SWARM_VIEW_H_INCLUDED_ */
