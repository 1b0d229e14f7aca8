
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The tasks worker 0 parsed, kept in the zone for the next worker 0 to
 * take (ngx_http_swarm_keep.c).
 */


#ifndef _NGX_HTTP_SWARM_KEEP_H_INCLUDED_
#define _NGX_HTTP_SWARM_KEEP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"


typedef struct ngx_http_swarm_keep_s  ngx_http_swarm_keep_t;


ngx_http_swarm_keep_t *ngx_http_swarm_keep_create(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_tasks_t *tasks, ngx_pool_t *pool, ngx_log_t *log);
void ngx_http_swarm_keep_begin(ngx_http_swarm_keep_t *keep);
void ngx_http_swarm_keep_leave(ngx_http_swarm_keep_t *keep, size_t parsed,
    size_t reused);
void ngx_http_swarm_keep_stop(ngx_http_swarm_keep_t *keep);


#endif /* _NGX_HTTP_SWARM_KEEP_H_INCLUDED_ */
