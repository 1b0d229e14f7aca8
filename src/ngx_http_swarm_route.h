
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_route: a request's route, for the balancer, and swarm_entrypoint
 * (ngx_http_swarm_route.c).
 */


#ifndef _NGX_HTTP_SWARM_ROUTE_H_INCLUDED_
#define _NGX_HTTP_SWARM_ROUTE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


char *ngx_http_swarm_route_find(ngx_conf_t *cf, ngx_http_swarm_t *swarm,
    ngx_str_t *name, u_char *file, ngx_uint_t line,
    ngx_http_swarm_upstream_t **found);
char *ngx_http_swarm_route_entrypoint(ngx_conf_t *cf,
    ngx_http_swarm_t *swarm, ngx_int_t *index);
ngx_int_t ngx_http_swarm_route_handler(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up, ngx_int_t entrypoint);


#endif /* _NGX_HTTP_SWARM_ROUTE_H_INCLUDED_ */
