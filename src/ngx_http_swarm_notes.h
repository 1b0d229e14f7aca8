
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What a refresh says of each upstream: the services and tasks skipped,
 * for swarm_status and the log (ngx_http_swarm_notes.c).
 */


#ifndef _NGX_HTTP_SWARM_NOTES_H_INCLUDED_
#define _NGX_HTTP_SWARM_NOTES_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"


typedef struct ngx_http_swarm_notes_s  ngx_http_swarm_notes_t;


ngx_http_swarm_notes_t *ngx_http_swarm_notes_create(ngx_http_swarm_t *swarm,
    ngx_pool_t *pool, ngx_log_t *log);
ngx_http_swarm_report_t *ngx_http_swarm_notes_report(
    ngx_http_swarm_notes_t *notes);
json_t *ngx_http_swarm_notes_errors(ngx_http_swarm_notes_t *notes,
    ngx_uint_t i);
char **ngx_http_swarm_notes_note(ngx_http_swarm_notes_t *notes,
    ngx_uint_t i);
void ngx_http_swarm_notes_published(ngx_http_swarm_notes_t *notes,
    ngx_uint_t i, ngx_int_t rc);
void ngx_http_swarm_notes_failed(ngx_http_swarm_notes_t *notes,
    ngx_str_t *shown, const char *err, ngx_uint_t again);
void ngx_http_swarm_notes_clear(ngx_http_swarm_notes_t *notes);
void ngx_http_swarm_notes_free(ngx_http_swarm_notes_t *notes);


#endif /* _NGX_HTTP_SWARM_NOTES_H_INCLUDED_ */
