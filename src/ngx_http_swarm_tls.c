
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_tls: a server's SSL context gets a certificate callback, which
 * OpenSSL calls once the client's name is known; the certificate of that
 * name in the worker's copy (ngx_http_swarm_certs.c) replaces the
 * server's own for that connection, and a name with none keeps the
 * server's ssl_certificate.  Nothing is parsed in a handshake unless
 * worker 0 has just written new certificates.  And, for any location
 * with swarm_route, "/.well-known/acme-challenge/TOKEN" is answered with
 * the key authorization of a pending challenge's token (this nginx's,
 * from the zone, or, from the storage, another's that shares it),
 * before routing and its middlewares, so that a redirect to HTTPS does
 * not hide it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_pki.h"
#include "ngx_http_swarm_certs.h"
#include "ngx_http_swarm_tls.h"


#define NGX_HTTP_SWARM_CHALLENGE  "/.well-known/acme-challenge/"


#if (NGX_HTTP_SSL)
static int ngx_http_swarm_tls_certificate(ngx_ssl_conn_t *ssl_conn,
    void *arg);
#endif
static const char *ngx_http_swarm_tls_stored(ngx_http_request_t *r,
    ngx_http_swarm_t *swarm, u_char *token, size_t len);


/* a server with swarm_tls, once its SSL context is made */

ngx_int_t
ngx_http_swarm_tls_server(ngx_conf_t *cf, ngx_http_conf_ctx_t *ctx,
    ngx_http_swarm_t *swarm)
{
#if (NGX_HTTP_SSL)

    ngx_http_ssl_srv_conf_t  *sscf;

    sscf = ctx->srv_conf[ngx_http_ssl_module.ctx_index];

    if (sscf->ssl.ctx == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"swarm_tls\" needs a server with \"listen ... ssl\" "
                      "and \"ssl_certificate\" (the certificate of names "
                      "no route has one for)");
        return NGX_ERROR;
    }

    if (sscf->certificate_values) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"swarm_tls\" cannot be used with variables in "
                      "\"ssl_certificate\"");
        return NGX_ERROR;
    }

    SSL_CTX_set_cert_cb(sscf->ssl.ctx, ngx_http_swarm_tls_certificate,
                        swarm);

    return NGX_OK;

#else

    ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                  "\"swarm_tls\" needs nginx built with "
                  "ngx_http_ssl_module");
    return NGX_ERROR;

#endif
}


#if (NGX_HTTP_SSL)

static int
ngx_http_swarm_tls_certificate(ngx_ssl_conn_t *ssl_conn, void *arg)
{
    ngx_http_swarm_t *swarm = arg;

    u_char                     name[NGX_HTTP_SWARM_ACME_HOST_LEN];
    size_t                     len;
    const char                *sni;
    ngx_connection_t          *c;
    ngx_http_swarm_pki_cert_t *cert;

    sni = SSL_get_servername(ssl_conn, TLSEXT_NAMETYPE_host_name);

    if (sni == NULL) {
        return 1;
    }

    len = ngx_strlen(sni);

    if (len == 0 || len >= sizeof(name)) {
        return 1;
    }

    ngx_strlow(name, (u_char *) sni, len);

    c = ngx_ssl_get_connection(ssl_conn);

    ngx_http_swarm_certs_update(&swarm->zone, c->log);

    cert = ngx_http_swarm_certs_find(name, len);

    if (cert == NULL) {
        return 1;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "swarm: certificate of \"%s\"", sni);

    SSL_certs_clear(ssl_conn);

    if (SSL_use_certificate(ssl_conn, cert->cert) != 1
        || SSL_use_PrivateKey(ssl_conn, cert->key) != 1
        || SSL_set1_chain(ssl_conn, cert->chain) != 1)
    {
        ngx_ssl_error(NGX_LOG_ERR, c->log, 0,
                      "swarm_tls: the certificate of \"%s\" cannot be used",
                      sni);
        return 0;
    }

    return 1;
}

#endif


/*
 * "/.well-known/acme-challenge/TOKEN" of a pending challenge: its key
 * authorization; any other request goes on
 */

ngx_int_t
ngx_http_swarm_tls_challenge(ngx_http_request_t *r, ngx_http_swarm_t *swarm)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;
    const char   *keyauth;

    len = sizeof(NGX_HTTP_SWARM_CHALLENGE) - 1;

    if (r->uri.len <= len
        || ngx_strncmp(r->uri.data, NGX_HTTP_SWARM_CHALLENGE, len) != 0
        || (r->method != NGX_HTTP_GET && r->method != NGX_HTTP_HEAD))
    {
        return NGX_DECLINED;
    }

    ngx_http_swarm_certs_update(&swarm->zone, r->connection->log);

    keyauth = ngx_http_swarm_certs_token(r->uri.data + len, r->uri.len - len);

    if (keyauth == NULL) {
        /* one of another nginx sharing a storage */

        keyauth = ngx_http_swarm_tls_stored(r, swarm, r->uri.data + len,
                                            r->uri.len - len);
        if (keyauth == NULL) {
            return NGX_DECLINED;
        }
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "swarm_acme: challenge \"%V\" answered", &r->uri);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(keyauth);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, keyauth, len);
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}


/*
 * The key authorization of a token in the storage of a swarm_acme, where
 * an nginx sharing it wrote it: a file of a few bytes, read as a static
 * file is, only for a token of base64url characters
 */

static const char *
ngx_http_swarm_tls_stored(ngx_http_request_t *r, ngx_http_swarm_t *swarm,
    u_char *token, size_t len)
{
    u_char                     *p, *buf, path[NGX_MAX_PATH];
    ssize_t                     n;
    ngx_fd_t                    fd;
    ngx_uint_t                  i;
    ngx_http_swarm_resolver_t  *res;

    if (!ngx_http_swarm_acme_token_valid((char *) token, len)) {
        return NULL;
    }

    buf = ngx_pnalloc(r->pool, NGX_HTTP_SWARM_ACME_TOKEN_LEN + 128);
    if (buf == NULL) {
        return NULL;
    }

    res = swarm->resolvers.elts;

    for (i = 0; i < swarm->resolvers.nelts; i++) {
        p = ngx_snprintf(path, sizeof(path) - 1, "%V/challenges/%*s%Z",
                         &res[i].storage, len, token);
        if (p == path + sizeof(path) - 1) {
            continue;
        }

        fd = ngx_open_file(path, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

        if (fd == NGX_INVALID_FILE) {
            continue;
        }

        n = ngx_read_fd(fd, buf, NGX_HTTP_SWARM_ACME_TOKEN_LEN + 127);
        (void) ngx_close_file(fd);

        /* "TOKEN.thumbprint", nothing else */

        if (n > (ssize_t) len + 1 && ngx_strncmp(buf, token, len) == 0
            && buf[len] == '.')
        {
            buf[n] = '\0';
            return (const char *) buf;
        }
    }

    return NULL;
}
