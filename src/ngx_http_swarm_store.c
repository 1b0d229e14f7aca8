
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Files: a whole file read into a pool, as the master reads the files
 * a configuration names, and the storage of a swarm_acme.  The storage
 * is a folder (made by the master, owned by the workers' user) with
 * "account.key", "certs/NAME.crt" and "certs/NAME.key", and
 * "challenges/TOKEN" while an order is pending, and "locks/NAME" while
 * one nginx orders the certificate NAME.  A file is written to a
 * name of its own, synced, and renamed over the old one: a reader, in
 * this nginx or another sharing the folder, sees the old file or the
 * new one, never a part.  Names come from the pure layer's checks (host
 * names, base64url tokens): no "/" or ".." in them.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_store.h"


/* a lock not touched for this long is of an nginx that died */
#define NGX_HTTP_SWARM_STORE_STALE  300

/* the longest name under the storage folder */
#define NGX_HTTP_SWARM_STORE_NAME  (NGX_HTTP_SWARM_ACME_HOST_LEN + 32)


static ngx_int_t ngx_http_swarm_store_path(ngx_http_swarm_resolver_t *res,
    const char *name, u_char *path, size_t size);


/* a whole file, of "max" bytes at the most, and a NUL after it */

ngx_int_t
ngx_http_swarm_store_read_file(u_char *name, ngx_pool_t *pool, size_t max,
    ngx_str_t *data, ngx_log_t *log)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_err_t        err;
    ngx_file_info_t  fi;

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err != NGX_ENOENT) {
            ngx_log_error(NGX_LOG_ERR, log, err,
                          ngx_open_file_n " \"%s\" failed", name);
        }

        return err == NGX_ENOENT ? NGX_DECLINED : NGX_ERROR;
    }

    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && (size_t) ngx_file_size(&fi) <= max)
    {
        data->len = (size_t) ngx_file_size(&fi);
        data->data = ngx_pnalloc(pool, data->len + 1);

        if (data->data) {
            n = ngx_read_fd(fd, data->data, data->len);
        }
    }

    if (n < 0 || (size_t) n != data->len) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "file \"%s\" cannot be read whole (at most %uz bytes)",
                      name, max);
        (void) ngx_close_file(fd);
        return NGX_ERROR;
    }

    data->data[data->len] = '\0';

    (void) ngx_close_file(fd);

    return NGX_OK;
}


/*
 * The folder and its two under it, made by the master for the workers'
 * user, 0700: what is in it is for nginx alone
 */

ngx_int_t
ngx_http_swarm_store_create(ngx_cycle_t *cycle,
    ngx_http_swarm_resolver_t *res)
{
    u_char           path[NGX_MAX_PATH];
    ngx_err_t        err;
    ngx_uint_t       i;
    ngx_core_conf_t *ccf;

    static const char  *dirs[] = { "", "/certs", "/challenges", "/locks" };

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        if (ngx_snprintf(path, sizeof(path) - 1, "%V%s%Z", &res->storage,
                         dirs[i])
            == path + sizeof(path) - 1)
        {
            return NGX_ERROR;
        }

        if (ngx_create_dir(path, 0700) == NGX_FILE_ERROR) {
            err = ngx_errno;

            if (err != NGX_EEXIST) {
                ngx_log_error(NGX_LOG_EMERG, cycle->log, err,
                              "swarm_acme \"%V\": storage \"%s\" cannot be "
                              "made", &res->name, path);
                return NGX_ERROR;
            }
        }

        if (geteuid() == 0 && ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT
            && chown((char *) path, ccf->user, -1) == -1)
        {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                          "swarm_acme \"%V\": chown(\"%s\") failed",
                          &res->name, path);
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_swarm_store_read(ngx_http_swarm_resolver_t *res, const char *name,
    ngx_pool_t *pool, ngx_str_t *data, ngx_log_t *log)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_http_swarm_store_path(res, name, path, sizeof(path)) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_swarm_store_read_file(path, pool, 256 * 1024, data, log);
}


ngx_int_t
ngx_http_swarm_store_write(ngx_http_swarm_resolver_t *res, const char *name,
    u_char *data, size_t len, ngx_log_t *log)
{
    u_char     path[NGX_MAX_PATH], tmp[NGX_MAX_PATH];
    ssize_t    n;
    ngx_fd_t   fd;

    if (ngx_http_swarm_store_path(res, name, path, sizeof(path)) != NGX_OK
        || ngx_snprintf(tmp, sizeof(tmp) - 1, "%s.%P.tmp%Z", path, ngx_pid)
           == tmp + sizeof(tmp) - 1)
    {
        return NGX_ERROR;
    }

    fd = ngx_open_file(tmp, NGX_FILE_WRONLY, NGX_FILE_TRUNCATE, 0600);

    if (fd == NGX_INVALID_FILE) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "swarm_acme \"%V\": " ngx_open_file_n " \"%s\" failed",
                      &res->name, tmp);
        return NGX_ERROR;
    }

    n = ngx_write_fd(fd, data, len);

    if (n < 0 || (size_t) n != len || fsync(fd) == -1) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "swarm_acme \"%V\": \"%s\" cannot be written",
                      &res->name, tmp);
        (void) ngx_close_file(fd);
        (void) ngx_delete_file(tmp);
        return NGX_ERROR;
    }

    (void) ngx_close_file(fd);

    if (ngx_rename_file(tmp, path) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                      "swarm_acme \"%V\": " ngx_rename_file_n " \"%s\" to "
                      "\"%s\" failed", &res->name, tmp, path);
        (void) ngx_delete_file(tmp);
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
ngx_http_swarm_store_remove(ngx_http_swarm_resolver_t *res, const char *name,
    ngx_log_t *log)
{
    u_char  path[NGX_MAX_PATH];

    if (ngx_http_swarm_store_path(res, name, path, sizeof(path)) != NGX_OK) {
        return;
    }

    if (ngx_delete_file(path) == NGX_FILE_ERROR && ngx_errno != NGX_ENOENT) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "swarm_acme \"%V\": " ngx_delete_file_n " \"%s\" "
                      "failed", &res->name, path);
    }
}


/*
 * A lock, so that of the nginx sharing the storage one orders a
 * certificate: made only if missing (O_EXCL), which every local and NFS
 * file system does at once.  NGX_BUSY while another holds it; one not
 * touched for NGX_HTTP_SWARM_STORE_STALE seconds was left by an nginx
 * that died, and is taken over.
 */

ngx_int_t
ngx_http_swarm_store_lock(ngx_http_swarm_resolver_t *res, const char *name,
    ngx_log_t *log)
{
    u_char           path[NGX_MAX_PATH], text[NGX_INT64_LEN + 2];
    ngx_fd_t         fd;
    ngx_uint_t       tries;
    ngx_file_info_t  fi;

    if (ngx_http_swarm_store_path(res, name, path, sizeof(path)) != NGX_OK) {
        return NGX_ERROR;
    }

    for (tries = 0; tries < 2; tries++) {
        fd = ngx_open_file(path, NGX_FILE_WRONLY, O_CREAT|O_EXCL, 0600);

        if (fd != NGX_INVALID_FILE) {
            (void) ngx_write_fd(fd, text, ngx_sprintf(text, "%P\n", ngx_pid)
                                          - text);
            (void) ngx_close_file(fd);
            return NGX_OK;
        }

        if (ngx_errno != NGX_EEXIST) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "swarm_acme \"%V\": " ngx_open_file_n " \"%s\" "
                          "failed", &res->name, path);
            return NGX_ERROR;
        }

        if (ngx_file_info(path, &fi) == NGX_FILE_ERROR
            || ngx_time() - ngx_file_mtime(&fi) < NGX_HTTP_SWARM_STORE_STALE)
        {
            return NGX_BUSY;
        }

        ngx_log_error(NGX_LOG_WARN, log, 0,
                      "swarm_acme \"%V\": \"%s\" was left %T s ago, taken "
                      "over", &res->name, path,
                      ngx_time() - ngx_file_mtime(&fi));

        (void) ngx_delete_file(path);
    }

    return NGX_BUSY;
}


static ngx_int_t
ngx_http_swarm_store_path(ngx_http_swarm_resolver_t *res, const char *name,
    u_char *path, size_t size)
{
    if (ngx_strlen(name) > NGX_HTTP_SWARM_STORE_NAME
        || ngx_strstr(name, "..") != NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_snprintf(path, size - 1, "%V/%s%Z", &res->storage, name)
        == path + size - 1)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}
