
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The keyed cookie's key and values (ngx_http_swarm_key.c).
 */


#ifndef _NGX_HTTP_SWARM_KEY_H_INCLUDED_
#define _NGX_HTTP_SWARM_KEY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


char *ngx_http_swarm_key_read(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_swarm_key_t **key);
ngx_int_t ngx_http_swarm_key_value(ngx_http_swarm_key_t *key,
    const char *ip, u_char *value);


#endif /* _NGX_HTTP_SWARM_KEY_H_INCLUDED_ */
