
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The middlewares that redirect or change the path the task receives
 * (ngx_http_swarm_rewrite.c).
 */


#ifndef _NGX_HTTP_SWARM_REWRITE_H_INCLUDED_
#define _NGX_HTTP_SWARM_REWRITE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_rewrite_build_scheme(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_rewrite_build_regex(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_rewrite_build_path(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_rewrite_scheme(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_regex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_stripprefix(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_stripprefixregex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_addprefix(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_replacepath(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_rewrite_replacepathregex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_REWRITE_H_INCLUDED_ */
