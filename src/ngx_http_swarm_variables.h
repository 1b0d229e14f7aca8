
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The $swarm_* variables (ngx_http_swarm_variables.c).
 */


#ifndef _NGX_HTTP_SWARM_VARIABLES_H_INCLUDED_
#define _NGX_HTTP_SWARM_VARIABLES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_variables_add(ngx_conf_t *cf);


#endif /* _NGX_HTTP_SWARM_VARIABLES_H_INCLUDED_ */
