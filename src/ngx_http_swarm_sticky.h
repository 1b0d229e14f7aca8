
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The balancer, the module ngx_http_swarm_sticky_module
 * (ngx_http_swarm_sticky.c at the top): what swarm_service installs.
 */


#ifndef _NGX_HTTP_SWARM_STICKY_H_INCLUDED_
#define _NGX_HTTP_SWARM_STICKY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_sticky_init_upstream(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us);


#endif /* _NGX_HTTP_SWARM_STICKY_H_INCLUDED_ */
