
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The ratelimit and inflightreq middlewares (ngx_http_swarm_limit.c):
 * their limits in the zone's slots, shared by every worker, with no
 * lock.
 */


#ifndef _NGX_HTTP_SWARM_LIMIT_H_INCLUDED_
#define _NGX_HTTP_SWARM_LIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_limit_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_limit_run(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
ngx_int_t ngx_http_swarm_limit_inflight(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


#endif /* _NGX_HTTP_SWARM_LIMIT_H_INCLUDED_ */
