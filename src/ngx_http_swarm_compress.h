
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The compress middleware (ngx_http_swarm_compress.c): the responses of
 * the routes that ask for it, gzipped by a filter module of its own.
 */


#ifndef _NGX_HTTP_SWARM_COMPRESS_H_INCLUDED_
#define _NGX_HTTP_SWARM_COMPRESS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_compress_build(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_compress_run(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_COMPRESS_H_INCLUDED_ */
