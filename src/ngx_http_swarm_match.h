
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The conditions of route rules that a request's method, headers, query
 * and address decide (ngx_http_swarm_match.c).
 */


#ifndef _NGX_HTTP_SWARM_MATCH_H_INCLUDED_
#define _NGX_HTTP_SWARM_MATCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_match_compile(ngx_http_swarm_rule_t *rule,
    ngx_pool_t *pool, char *err, size_t errlen);
void *ngx_http_swarm_match_regex(ngx_pool_t *pool, const char *re,
    unsigned caseless, char *err, size_t errlen);
int ngx_http_swarm_match_check(const char *re, unsigned caseless, char *err,
    size_t errlen);
int ngx_http_swarm_match_test(void *data, const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_cond_t *cond, const char *host, size_t hlen,
    const char *path, size_t plen);


#endif /* _NGX_HTTP_SWARM_MATCH_H_INCLUDED_ */
