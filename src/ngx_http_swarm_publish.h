
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Publication (ngx_http_swarm_publish.c): worker 0 builds each
 * upstream's new task set and routes from a refresh's answers and puts
 * them into the zone in steps, and keeps its own copy of what it
 * published to compare the next refresh with.
 */


#ifndef _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_
#define _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_notes.h"


typedef struct ngx_http_swarm_publish_s  ngx_http_swarm_publish_t;


ngx_http_swarm_publish_t *ngx_http_swarm_publish_create(ngx_pool_t *pool,
    ngx_http_swarm_t *swarm, ngx_http_swarm_notes_t *notes, ngx_log_t *log);
void ngx_http_swarm_publish_begin(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_tasks_t *tasks, ngx_http_swarm_services_t *svcs);
ngx_int_t ngx_http_swarm_publish_step(ngx_http_swarm_publish_t *pub,
    char *err, size_t errlen);
ngx_uint_t ngx_http_swarm_publish_changed(ngx_http_swarm_publish_t *pub);
json_t *ngx_http_swarm_publish_missing(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_tasks_t *tasks, ngx_uint_t max, ngx_uint_t *n);
void ngx_http_swarm_publish_reset(ngx_http_swarm_publish_t *pub);
void ngx_http_swarm_publish_free(ngx_http_swarm_publish_t *pub);


#endif /* _NGX_HTTP_SWARM_PUBLISH_H_INCLUDED_ */
