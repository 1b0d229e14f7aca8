
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Publication (ngx_http_swarm_publish.c): worker 0 puts an upstream's
 * new task set into the zone in steps, and keeps its own copy of what
 * it published to compare the next refresh with.
 */


#ifndef _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_
#define _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"


typedef struct ngx_http_swarm_publish_s  ngx_http_swarm_publish_t;


ngx_http_swarm_publish_t *ngx_http_swarm_publish_create(ngx_pool_t *pool,
    ngx_http_swarm_main_conf_t *mcf, ngx_log_t *log);
ngx_int_t ngx_http_swarm_publish_compare(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_set_t *set, u_char *routes,
    size_t routes_len, char **note);
ngx_int_t ngx_http_swarm_publish_copy(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_set_t *set);
void ngx_http_swarm_publish_peers(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view);
void ngx_http_swarm_publish_free(ngx_http_swarm_publish_t *pub);


#endif /* _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_ */
