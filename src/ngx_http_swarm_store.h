
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Files (ngx_http_swarm_store.c): a whole file read, and the storage
 * of a swarm_acme, a folder that several nginx may share: its account
 * key, each certificate and its key, the answers to pending challenges,
 * each written whole (0600, renamed into place) so that no reader sees
 * half of one.
 */


#ifndef _NGX_HTTP_SWARM_STORE_H_INCLUDED_
#define _NGX_HTTP_SWARM_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_store_read_file(u_char *name, ngx_pool_t *pool,
    size_t max, ngx_str_t *data, ngx_log_t *log);
ngx_int_t ngx_http_swarm_store_create(ngx_cycle_t *cycle,
    ngx_http_swarm_resolver_t *res);
ngx_int_t ngx_http_swarm_store_read(ngx_http_swarm_resolver_t *res,
    const char *name, ngx_pool_t *pool, ngx_str_t *data, ngx_log_t *log);
ngx_int_t ngx_http_swarm_store_write(ngx_http_swarm_resolver_t *res,
    const char *name, u_char *data, size_t len, ngx_log_t *log);
ngx_int_t ngx_http_swarm_store_lock(ngx_http_swarm_resolver_t *res,
    const char *name, ngx_log_t *log);
void ngx_http_swarm_store_remove(ngx_http_swarm_resolver_t *res,
    const char *name, ngx_log_t *log);


#endif /* _NGX_HTTP_SWARM_STORE_H_INCLUDED_ */
