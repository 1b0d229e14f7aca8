
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Which Docker API endpoint worker 0's refresh uses
 * (ngx_http_swarm_endpoints.c): the refresh says how each went, and
 * the transport is pointed at the endpoint to use.
 */


#ifndef _NGX_HTTP_SWARM_ENDPOINTS_H_INCLUDED_
#define _NGX_HTTP_SWARM_ENDPOINTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm_curl.h"


typedef struct ngx_http_swarm_endpoints_s  ngx_http_swarm_endpoints_t;


char *ngx_http_swarm_endpoints_add(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_http_swarm_endpoints_check(ngx_conf_t *cf,
    ngx_http_swarm_t *swarm);
ngx_http_swarm_endpoints_t *ngx_http_swarm_endpoints_create(
    ngx_http_swarm_t *swarm, ngx_http_swarm_curl_t *curl,
    ngx_pool_t *pool, ngx_log_t *log);
ngx_str_t *ngx_http_swarm_endpoints_shown(ngx_http_swarm_endpoints_t *e);
ngx_int_t ngx_http_swarm_endpoints_start(ngx_http_swarm_endpoints_t *e);
ngx_int_t ngx_http_swarm_endpoints_failed(ngx_http_swarm_endpoints_t *e,
    const char *err, ngx_uint_t failover);
ngx_uint_t ngx_http_swarm_endpoints_ok(ngx_http_swarm_endpoints_t *e);
void ngx_http_swarm_endpoints_close(ngx_http_swarm_endpoints_t *e);


#endif /* _NGX_HTTP_SWARM_ENDPOINTS_H_INCLUDED_ */
