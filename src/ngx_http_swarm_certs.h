
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Each worker's copy of the certificates of swarm_acme
 * (ngx_http_swarm_certs.c): read from the zone as its generation moves,
 * each chain and key parsed once, found by name as a handshake asks;
 * and the answers to pending challenges, by token.
 */


#ifndef _NGX_HTTP_SWARM_CERTS_H_INCLUDED_
#define _NGX_HTTP_SWARM_CERTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_pki.h"


void ngx_http_swarm_certs_update(ngx_http_swarm_zone_t *zone,
    ngx_log_t *log);
ngx_http_swarm_pki_cert_t *ngx_http_swarm_certs_find(u_char *name,
    size_t len);
const char *ngx_http_swarm_certs_token(u_char *token, size_t len);
json_t *ngx_http_swarm_certs_status(void);


#endif /* _NGX_HTTP_SWARM_CERTS_H_INCLUDED_ */
