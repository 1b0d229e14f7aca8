
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_dashboard: the page (ngx_http_swarm_dashboard.c).
 */


#ifndef _NGX_HTTP_SWARM_DASHBOARD_H_INCLUDED_
#define _NGX_HTTP_SWARM_DASHBOARD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


typedef struct ngx_http_swarm_dashboard_s  ngx_http_swarm_dashboard_t;


ngx_http_swarm_dashboard_t *ngx_http_swarm_dashboard_create(ngx_conf_t *cf);
ngx_int_t ngx_http_swarm_dashboard_handler(ngx_http_request_t *r,
    ngx_http_swarm_dashboard_t *dcf);


#endif /* _NGX_HTTP_SWARM_DASHBOARD_H_INCLUDED_ */
