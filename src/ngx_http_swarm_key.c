
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The keyed route cookie, "swarm_sticky value=hmac key_file=FILE": the
 * key, read from the file as the configuration loads, and a task's keyed
 * value, the first 16 bytes of HMAC-SHA256 of its address under the key
 * in base64url: 22 characters that name the task to whoever holds the
 * key and tell nobody else its address.  Values are made as a worker
 * copies a task set, never as a request comes.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_key.h"


/* a key shorter than this is refused; longer than the most is too */
#define NGX_HTTP_SWARM_KEY_MIN       16
#define NGX_HTTP_SWARM_KEY_MAX       4096

/* the bytes of the HMAC a value keeps: 128 bits */
#define NGX_HTTP_SWARM_KEYED_BYTES   16

/* SHA-256's block */
#define NGX_HTTP_SWARM_BLOCK         64


/*
 * The key as HMAC uses it (RFC 2104): SHA-256 already fed with the key
 * padded and XORed with ipad, and with opad, made once; a value then
 * costs copies of these and two short digests, not a whole HMAC setup.
 */

struct ngx_http_swarm_key_s {
    EVP_MD_CTX                 *inner;
    EVP_MD_CTX                 *outer;
    EVP_MD_CTX                 *ctx;
};


static ngx_int_t ngx_http_swarm_key_init(ngx_conf_t *cf,
    ngx_http_swarm_key_t *key, u_char *data, size_t len);
static void ngx_http_swarm_key_cleanup(void *data);


/*
 * The key: the file's bytes, less the line ends and blanks that "echo"
 * and editors leave at the end.
 */

char *
ngx_http_swarm_key_read(ngx_conf_t *cf, ngx_str_t *name,
    ngx_http_swarm_key_t **keyp)
{
    char                  *rc;
    u_char                *buf;
    size_t                 len;
    ssize_t                n;
    ngx_fd_t               fd;
    ngx_file_t             file;
    ngx_file_info_t        fi;
    ngx_pool_cleanup_t    *cln;
    ngx_http_swarm_key_t  *key;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_open_file_n " \"%V\" failed", name);
        return NGX_CONF_ERROR;
    }

    rc = NGX_CONF_ERROR;
    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%V\" failed", name);
        goto done;
    }

    len = (size_t) ngx_file_size(&fi);

    if (len > NGX_HTTP_SWARM_KEY_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key_file \"%V\" has %uz bytes, a key has at "
                           "most %d", name, len, NGX_HTTP_SWARM_KEY_MAX);
        goto done;
    }

    buf = ngx_pnalloc(cf->temp_pool, len + 1);
    key = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_key_t));
    cln = ngx_pool_cleanup_add(cf->pool, 0);

    if (buf == NULL || key == NULL || cln == NULL) {
        goto done;
    }

    cln->handler = ngx_http_swarm_key_cleanup;
    cln->data = key;

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = *name;
    file.log = cf->log;

    n = ngx_read_file(&file, buf, len, 0);

    if (n == NGX_ERROR) {
        goto done;
    }

    len = (size_t) n;

    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'
                   || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
    {
        len--;
    }

    if (len < NGX_HTTP_SWARM_KEY_MIN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "key_file \"%V\" holds a key of %uz bytes, at "
                           "least %d are needed (\"openssl rand -base64 32\" "
                           "makes one)", name, len, NGX_HTTP_SWARM_KEY_MIN);
        goto done;
    }

    if (ngx_http_swarm_key_init(cf, key, buf, len) != NGX_OK) {
        goto done;
    }

    *keyp = key;

    rc = NGX_CONF_OK;

done:

    if (buf) {
        ngx_explicit_memzero(buf, len);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", name);
    }

    return rc;
}


static ngx_int_t
ngx_http_swarm_key_init(ngx_conf_t *cf, ngx_http_swarm_key_t *key,
    u_char *data, size_t len)
{
    u_char        k[NGX_HTTP_SWARM_BLOCK], pad[NGX_HTTP_SWARM_BLOCK];
    ngx_uint_t    i;
    unsigned int  n;
    ngx_int_t     rc;

    key->inner = EVP_MD_CTX_new();
    key->outer = EVP_MD_CTX_new();
    key->ctx = EVP_MD_CTX_new();

    ngx_memzero(k, sizeof(k));

    rc = NGX_ERROR;

    if (key->inner == NULL || key->outer == NULL || key->ctx == NULL) {
        goto failed;
    }

    /* a key longer than a block is its digest */

    if (len > NGX_HTTP_SWARM_BLOCK) {
        if (EVP_Digest(data, len, k, &n, EVP_sha256(), NULL) != 1) {
            goto failed;
        }

    } else {
        ngx_memcpy(k, data, len);
    }

    for (i = 0; i < NGX_HTTP_SWARM_BLOCK; i++) {
        pad[i] = k[i] ^ 0x36;
    }

    if (EVP_DigestInit_ex(key->inner, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(key->inner, pad, sizeof(pad)) != 1)
    {
        goto failed;
    }

    for (i = 0; i < NGX_HTTP_SWARM_BLOCK; i++) {
        pad[i] = k[i] ^ 0x5c;
    }

    if (EVP_DigestInit_ex(key->outer, EVP_sha256(), NULL) != 1
        || EVP_DigestUpdate(key->outer, pad, sizeof(pad)) != 1)
    {
        goto failed;
    }

    rc = NGX_OK;

failed:

    ngx_explicit_memzero(k, sizeof(k));
    ngx_explicit_memzero(pad, sizeof(pad));

    if (rc != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "OpenSSL could not set up HMAC-SHA256");
    }

    return rc;
}


static void
ngx_http_swarm_key_cleanup(void *data)
{
    ngx_http_swarm_key_t  *key = data;

    EVP_MD_CTX_free(key->inner);
    EVP_MD_CTX_free(key->outer);
    EVP_MD_CTX_free(key->ctx);
}


/*
 * A task's keyed value, NGX_HTTP_SWARM_KEYED_LEN characters and a '\0'
 * into "value": NGX_ERROR only if OpenSSL fails.
 */

ngx_int_t
ngx_http_swarm_key_value(ngx_http_swarm_key_t *key, const char *ip,
    u_char *value)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  n;
    ngx_str_t     src, dst;

    if (EVP_MD_CTX_copy_ex(key->ctx, key->inner) != 1
        || EVP_DigestUpdate(key->ctx, ip, ngx_strlen(ip)) != 1
        || EVP_DigestFinal_ex(key->ctx, md, &n) != 1
        || EVP_MD_CTX_copy_ex(key->ctx, key->outer) != 1
        || EVP_DigestUpdate(key->ctx, md, n) != 1
        || EVP_DigestFinal_ex(key->ctx, md, &n) != 1)
    {
        return NGX_ERROR;
    }

    src.data = md;
    src.len = NGX_HTTP_SWARM_KEYED_BYTES;
    dst.data = value;

    ngx_encode_base64url(&dst, &src);

    value[dst.len] = '\0';

    return NGX_OK;
}
