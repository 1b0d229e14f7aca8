
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What a worker counts of each task, with swarm_metrics
 * (ngx_http_swarm_counters.c).
 */


#ifndef _NGX_HTTP_SWARM_COUNTERS_H_INCLUDED_
#define _NGX_HTTP_SWARM_COUNTERS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_counters_view(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_log_t *log);
void ngx_http_swarm_counters_flush(ngx_http_swarm_view_t *view);
ngx_msec_t ngx_http_swarm_counters_bucket(ngx_uint_t i);
ngx_int_t ngx_http_swarm_counters_init(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SWARM_COUNTERS_H_INCLUDED_ */
