
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Keys and certificates with OpenSSL (ngx_http_swarm_pki.c): ECDSA P-256
 * keys made, written and read as PEM; an ACME account key's JWK and
 * thumbprint, and its ES256 signatures; a CSR for a certificate's
 * names; a PEM chain read, and what a certificate says of itself.
 */


#ifndef _NGX_HTTP_SWARM_PKI_H_INCLUDED_
#define _NGX_HTTP_SWARM_PKI_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <jansson.h>

#include "ngx_http_swarm.h"


/* a certificate as a handshake serves it */

typedef struct {
    X509                       *cert;
    STACK_OF(X509)             *chain;
    EVP_PKEY                   *key;
} ngx_http_swarm_pki_cert_t;


/* what a certificate says of itself */

typedef struct {
    time_t                      not_before;
    time_t                      not_after;
    char                        issuer[NGX_HTTP_SWARM_NAME_LEN * 2];
} ngx_http_swarm_pki_info_t;


EVP_PKEY *ngx_http_swarm_pki_key_new(void);
EVP_PKEY *ngx_http_swarm_pki_key_read(u_char *pem, size_t len);
char *ngx_http_swarm_pki_key_pem(EVP_PKEY *key);
ngx_int_t ngx_http_swarm_pki_jwk(EVP_PKEY *key, char *jwk, size_t size,
    char *thumbprint, size_t tsize);
ngx_int_t ngx_http_swarm_pki_sign(EVP_PKEY *key, const char *input,
    u_char *sig);
ngx_int_t ngx_http_swarm_pki_csr(EVP_PKEY *key, json_t *names, u_char **der,
    size_t *len);
ngx_int_t ngx_http_swarm_pki_chain(u_char *pem, size_t len, u_char *key_pem,
    size_t key_len, ngx_http_swarm_pki_cert_t *out,
    ngx_http_swarm_pki_info_t *info, char *err, size_t errlen);
ngx_int_t ngx_http_swarm_pki_covers(ngx_http_swarm_pki_cert_t *c,
    json_t *names);
void ngx_http_swarm_pki_cert_free(ngx_http_swarm_pki_cert_t *c);


#endif /* _NGX_HTTP_SWARM_PKI_H_INCLUDED_ */
