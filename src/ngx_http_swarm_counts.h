
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The counts of each task in the zone (ngx_http_swarm_counts.c).
 */


#ifndef _NGX_HTTP_SWARM_COUNTS_H_INCLUDED_
#define _NGX_HTTP_SWARM_COUNTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_http_swarm_shm_up_t *ngx_http_swarm_counts_record(
    ngx_http_swarm_upstream_t *up);
ngx_http_swarm_counter_t *ngx_http_swarm_counts_get(
    ngx_http_swarm_zone_t *zone, ngx_http_swarm_shm_up_t *su,
    ngx_http_swarm_peer_t *peer, const char *route, ngx_uint_t make);
void ngx_http_swarm_counts_sweep(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su, ngx_http_swarm_peer_t *peers,
    ngx_uint_t n);
void ngx_http_swarm_counts_free(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su);
ngx_int_t ngx_http_swarm_counts_copy(ngx_http_swarm_upstream_t *up,
    ngx_pool_t *pool, ngx_http_swarm_counter_t **copy, ngx_uint_t *n);


#endif /* _NGX_HTTP_SWARM_COUNTS_H_INCLUDED_ */
