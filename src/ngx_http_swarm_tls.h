
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_tls and the challenges of swarm_acme (ngx_http_swarm_tls.c): a
 * server's handshakes given the certificate of their name from the
 * worker's copy, and the answers to HTTP-01 challenges.
 */


#ifndef _NGX_HTTP_SWARM_TLS_H_INCLUDED_
#define _NGX_HTTP_SWARM_TLS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_tls_server(ngx_conf_t *cf,
    ngx_http_conf_ctx_t *ctx, ngx_http_swarm_t *swarm);
ngx_int_t ngx_http_swarm_tls_challenge(ngx_http_request_t *r,
    ngx_http_swarm_t *swarm);


#endif /* _NGX_HTTP_SWARM_TLS_H_INCLUDED_ */
