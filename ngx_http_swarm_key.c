
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


/* a key shorter than this is refused; longer than the most is too */
#define NGX_HTTP_SWARM_KEY_MIN       16
#define NGX_HTTP_SWARM_KEY_MAX       4096

/* the bytes of the HMAC a value keeps: 128 bits */
#define NGX_HTTP_SWARM_KEYED_BYTES   16


/*
 * The key: the file's bytes, less the line ends and blanks that "echo"
 * and editors leave at the end.
 */

char *
ngx_http_swarm_key_read(ngx_conf_t *cf, ngx_str_t *name, ngx_str_t *key)
{
    char             *rc;
    u_char           *buf;
    size_t            len;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_file_t        file;
    ngx_file_info_t   fi;

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

    buf = ngx_pnalloc(cf->pool, len + 1);
    if (buf == NULL) {
        goto done;
    }

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

    key->data = buf;
    key->len = len;

    rc = NGX_CONF_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%V\" failed", name);
    }

    return rc;
}


/*
 * A task's keyed value, NGX_HTTP_SWARM_KEYED_LEN characters and a '\0'
 * into "value": NGX_ERROR only if OpenSSL fails.
 */

ngx_int_t
ngx_http_swarm_key_value(ngx_str_t *key, const char *ip, u_char *value)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  mdlen;
    ngx_str_t     src, dst;

    if (HMAC(EVP_sha256(), key->data, (int) key->len, (u_char *) ip,
             ngx_strlen(ip), md, &mdlen)
        == NULL)
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
