
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The Docker events stream (ngx_http_swarm_events.c), a client of the
 * transport: its user sees a "changed" callback, called when an event
 * says a task set may have changed, or when the stream is back after a
 * failure and may have missed some.
 */


#ifndef _NGX_HTTP_SWARM_EVENTS_H_INCLUDED_
#define _NGX_HTTP_SWARM_EVENTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm_curl.h"


typedef struct ngx_http_swarm_events_s  ngx_http_swarm_events_t;

typedef void (*ngx_http_swarm_events_pt)(void *data);


/*
 * "version" is the API version the stream is asked with, read at each
 * start: no stream while it is "".
 */

ngx_http_swarm_events_t *ngx_http_swarm_events_create(
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, ngx_str_t *shown,
    ngx_msec_t interval, const char *version,
    ngx_http_swarm_events_pt changed, void *data);
void ngx_http_swarm_events_start(ngx_http_swarm_events_t *events);
ngx_uint_t ngx_http_swarm_events_connected(ngx_http_swarm_events_t *events);
void ngx_http_swarm_events_stop(ngx_http_swarm_events_t *events);
void ngx_http_swarm_events_close(ngx_http_swarm_events_t *events);


#endif /* _NGX_HTTP_SWARM_EVENTS_H_INCLUDED_ */
