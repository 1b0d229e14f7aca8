
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The refresh's questions to the Docker Engine API, in the version
 * negotiated with it (ngx_http_swarm_api.c).
 */


#ifndef _NGX_HTTP_SWARM_API_H_INCLUDED_
#define _NGX_HTTP_SWARM_API_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_curl.h"


typedef struct ngx_http_swarm_api_s  ngx_http_swarm_api_t;

typedef void (*ngx_http_swarm_api_pt)(void *data, ngx_int_t rc);


ngx_http_swarm_api_t *ngx_http_swarm_api_create(ngx_http_swarm_t *swarm,
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, ngx_str_t *shown,
    char *err, size_t errlen, ngx_http_swarm_api_pt done, void *data);
char *ngx_http_swarm_api_version(ngx_http_swarm_api_t *api);
void ngx_http_swarm_api_start(ngx_http_swarm_api_t *api);
void ngx_http_swarm_api_forget(ngx_http_swarm_api_t *api);
ngx_int_t ngx_http_swarm_api_negotiate(ngx_http_swarm_api_t *api);
ngx_int_t ngx_http_swarm_api_ask(ngx_http_swarm_api_t *api,
    const char *path, json_t *filters);
u_char *ngx_http_swarm_api_body(ngx_http_swarm_api_t *api, size_t *len);
ngx_int_t ngx_http_swarm_api_code(ngx_http_swarm_api_t *api);
ngx_uint_t ngx_http_swarm_api_kind(ngx_http_swarm_api_t *api);
size_t ngx_http_swarm_api_bytes(ngx_http_swarm_api_t *api);
void ngx_http_swarm_api_trim(ngx_http_swarm_api_t *api);
void ngx_http_swarm_api_close(ngx_http_swarm_api_t *api);


#endif /* _NGX_HTTP_SWARM_API_H_INCLUDED_ */
