
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What the middlewares share (ngx_http_swarm_fields.c): a definition's
 * lists as nginx's (strings, regular expressions, header pairs,
 * networks), and a request's or response's header fields found, set and
 * removed.
 */


#ifndef _NGX_HTTP_SWARM_FIELDS_H_INCLUDED_
#define _NGX_HTTP_SWARM_FIELDS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


/* what ngx_http_swarm_fields_list() makes of a list */
#define NGX_HTTP_SWARM_FIELDS_STRINGS  0
#define NGX_HTTP_SWARM_FIELDS_REGEXES  1
#define NGX_HTTP_SWARM_FIELDS_PAIRS    2
#define NGX_HTTP_SWARM_FIELDS_CIDRS    3


ngx_array_t *ngx_http_swarm_fields_list(json_t *list, ngx_uint_t kind,
    ngx_pool_t *pool, char *err, size_t errlen);
ngx_str_t ngx_http_swarm_fields_join(json_t *list, ngx_pool_t *pool,
    ngx_uint_t *star);
ngx_table_elt_t *ngx_http_swarm_fields_next(ngx_list_part_t **part,
    ngx_uint_t *i, ngx_str_t *name);
ngx_table_elt_t *ngx_http_swarm_fields_in(ngx_http_request_t *r,
    const char *name, size_t len);
ngx_int_t ngx_http_swarm_fields_in_set(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value, ngx_uint_t add);
ngx_table_elt_t *ngx_http_swarm_fields_out_set(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_table_elt_t *ngx_http_swarm_fields_out_add(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *value);
ngx_int_t ngx_http_swarm_fields_sub(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_array_t *names, ngx_uint_t forwarded);
ngx_uint_t ngx_http_swarm_fields_hop(ngx_str_t *name);
ngx_int_t ngx_http_swarm_fields_push(ngx_list_t *list, char *name,
    ngx_str_t *value);


#endif /* _NGX_HTTP_SWARM_FIELDS_H_INCLUDED_ */
