
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The shared zone: the upstreams' records, who writes them, the writes
 * and the reads (ngx_http_swarm_zone.c).
 */


#ifndef _NGX_HTTP_SWARM_ZONE_H_INCLUDED_
#define _NGX_HTTP_SWARM_ZONE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_zone_init(ngx_shm_zone_t *shm_zone, void *data);
ngx_uint_t ngx_http_swarm_zone_claim(ngx_http_swarm_zone_t *zone,
    ngx_log_t *log);
ngx_uint_t ngx_http_swarm_zone_writer(ngx_http_swarm_zone_t *zone);
ngx_int_t ngx_http_swarm_zone_publish(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n, size_t routes_len,
    ngx_atomic_uint_t *generation);
void *ngx_http_swarm_zone_alloc(ngx_http_swarm_zone_t *zone, size_t size);
void ngx_http_swarm_zone_free(ngx_http_swarm_zone_t *zone, void *p);
ngx_atomic_uint_t ngx_http_swarm_zone_generation(
    ngx_http_swarm_upstream_t *up);
ngx_int_t ngx_http_swarm_zone_set_error(ngx_http_swarm_upstream_t *up,
    const char *msg, size_t len, time_t synced);
void ngx_http_swarm_zone_set_version(ngx_http_swarm_zone_t *zone,
    const char *version);
size_t ngx_http_swarm_zone_version(ngx_http_swarm_zone_t *zone, u_char *buf);
void ngx_http_swarm_zone_set_figures(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_figures_t *figures);
ngx_int_t ngx_http_swarm_zone_figures(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_figures_t *figures);
size_t ngx_http_swarm_zone_used(ngx_http_swarm_zone_t *zone);
void ngx_http_swarm_zone_failed(ngx_http_swarm_zone_t *zone, ngx_uint_t kind);
ngx_int_t ngx_http_swarm_zone_error(ngx_http_swarm_upstream_t *up,
    u_char *buf, size_t *len, time_t *last_sync);
void ngx_http_swarm_zone_set_endpoint(ngx_http_swarm_zone_t *zone,
    ngx_uint_t i, ngx_uint_t state, ngx_uint_t current, const char *err);
ngx_int_t ngx_http_swarm_zone_endpoints(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_ep_state_t *states, ngx_uint_t n, ngx_uint_t *current);
ngx_int_t ngx_http_swarm_zone_copy(ngx_http_swarm_upstream_t *up,
    ngx_pool_t *pool, ngx_http_swarm_peer_t **tasks, ngx_uint_t *n,
    u_char **routes, size_t *routes_len, ngx_atomic_uint_t *generation);


ngx_int_t ngx_http_swarm_zone_set_blob(ngx_http_swarm_zone_t *zone,
    ngx_uint_t which, u_char *data, size_t len);
ngx_atomic_uint_t ngx_http_swarm_zone_blob_generation(
    ngx_http_swarm_zone_t *zone, ngx_uint_t which);
ngx_int_t ngx_http_swarm_zone_blob(ngx_http_swarm_zone_t *zone,
    ngx_uint_t which, ngx_pool_t *pool, ngx_str_t *data,
    ngx_atomic_uint_t *generation);

#endif /* _NGX_HTTP_SWARM_ZONE_H_INCLUDED_ */
