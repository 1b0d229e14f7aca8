
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Each worker's copy of the certificates of swarm_acme.  Worker 0's ACME
 * client writes them to the zone as one JSON record; a worker that sees
 * its generation move (at a handshake, or as a challenge is asked)
 * copies it, parses each chain and key once into OpenSSL's objects, and
 * sorts their names, so that a handshake finds its certificate by a
 * binary search and parses nothing.  The copy before is freed: a
 * connection that uses one of its certificates holds its own reference.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_pki.h"
#include "ngx_http_swarm_certs.h"


typedef struct {
    ngx_str_t                    name;
    ngx_http_swarm_pki_cert_t   *cert;
    ngx_uint_t                   index;
} ngx_http_swarm_certs_name_t;


typedef struct {
    ngx_atomic_uint_t            generation;
    ngx_pool_t                  *pool;
    ngx_http_swarm_certs_name_t *names;
    ngx_uint_t                   nnames;

    /* the answers to pending challenges; the certificates' states */
    json_t                      *tokens;
    json_t                      *status;
} ngx_http_swarm_certs_t;


static json_t *ngx_http_swarm_certs_served(json_t *rec);
static ngx_int_t ngx_http_swarm_certs_build(ngx_http_swarm_certs_t *copy,
    json_t *certs, ngx_log_t *log);
static int ngx_libc_cdecl ngx_http_swarm_certs_cmp(const void *a,
    const void *b);
static void ngx_http_swarm_certs_cleanup(void *data);


static ngx_http_swarm_certs_t  ngx_http_swarm_certs;


/* the zone's record, copied if its generation moved */

void
ngx_http_swarm_certs_update(ngx_http_swarm_zone_t *zone, ngx_log_t *log)
{
    json_t                  *j;
    ngx_str_t                data;
    ngx_pool_t              *pool;
    json_error_t             err;
    ngx_atomic_uint_t        generation;
    ngx_http_swarm_certs_t   copy, *certs;

    certs = &ngx_http_swarm_certs;

    generation = ngx_http_swarm_zone_blob_generation(zone,
                                        NGX_HTTP_SWARM_BLOB_CERTS);

    if (generation == certs->generation) {
        return;
    }

    /* a connection's log would outlive it: the cycle's */

    pool = ngx_create_pool(4096, ngx_cycle->log);
    if (pool == NULL) {
        return;
    }

    ngx_memzero(&copy, sizeof(ngx_http_swarm_certs_t));
    copy.pool = pool;

    if (ngx_http_swarm_zone_blob(zone, NGX_HTTP_SWARM_BLOB_CERTS, pool,
                                 &data, &copy.generation)
        != NGX_OK)
    {
        ngx_destroy_pool(pool);
        return;
    }

    j = json_loadb((char *) data.data, data.len, 0, &err);

    ngx_explicit_memzero(data.data, data.len);

    if (j == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "swarm_acme: the zone's certificates are no JSON: %s",
                      err.text);
        ngx_destroy_pool(pool);
        return;
    }

    if (ngx_http_swarm_certs_build(&copy, json_object_get(j, "certs"), log)
        != NGX_OK)
    {
        json_decref(j);
        ngx_destroy_pool(pool);
        return;
    }

    copy.tokens = json_incref(json_object_get(j, "tokens"));
    json_decref(j);

    if (certs->pool) {
        json_decref(certs->tokens);
        json_decref(certs->status);
        ngx_destroy_pool(certs->pool);
    }

    *certs = copy;
}


/*
 * The names a record's certificate is served for: those it was got for
 * while a record whose names changed waits for a new one
 */

static json_t *
ngx_http_swarm_certs_served(json_t *rec)
{
    json_t  *served;

    served = json_object_get(rec, "served");

    return served ? served : json_object_get(rec, "names");
}


/*
 * The certificates parsed, their keys dropped from the JSON kept for
 * status, and their names sorted
 */

static ngx_int_t
ngx_http_swarm_certs_build(ngx_http_swarm_certs_t *copy, json_t *certs,
    ngx_log_t *log)
{
    char                        err[NGX_HTTP_SWARM_ERR_LEN];
    size_t                      i, n;
    json_t                     *rec, *name;
    ngx_array_t                *all;
    const char                 *main, *crt, *key;
    ngx_pool_cleanup_t         *cln;
    ngx_http_swarm_pki_cert_t  *cert;
    ngx_http_swarm_pki_info_t   info;

    all = ngx_array_create(copy->pool, 4, sizeof(ngx_http_swarm_pki_cert_t));
    cln = ngx_pool_cleanup_add(copy->pool, 0);

    if (all == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_swarm_certs_cleanup;
    cln->data = all;

    n = 0;

    json_object_foreach(certs, main, rec) {
        n += json_array_size(ngx_http_swarm_certs_served(rec));
    }

    copy->names = ngx_pcalloc(copy->pool,
                              (n + 1) * sizeof(ngx_http_swarm_certs_name_t));
    if (copy->names == NULL) {
        return NGX_ERROR;
    }

    json_object_foreach(certs, main, rec) {
        crt = json_string_value(json_object_get(rec, "cert"));
        key = json_string_value(json_object_get(rec, "key"));

        if (crt == NULL || key == NULL) {
            continue;
        }

        cert = ngx_array_push(all);
        if (cert == NULL) {
            return NGX_ERROR;
        }

        if (ngx_http_swarm_pki_chain((u_char *) crt, ngx_strlen(crt),
                                     (u_char *) key, ngx_strlen(key), cert,
                                     &info, err, sizeof(err))
            != NGX_OK)
        {
            all->nelts--;
            ngx_log_error(NGX_LOG_ALERT, log, 0,
                          "swarm_acme: the certificate of \"%s\" in the "
                          "zone cannot be served: %s", main, err);
            continue;
        }

        json_array_foreach(ngx_http_swarm_certs_served(rec), i, name) {
            copy->names[copy->nnames].name.data =
                                           (u_char *) json_string_value(name);
            copy->names[copy->nnames].name.len = json_string_length(name);
            copy->names[copy->nnames].cert = NULL;
            copy->names[copy->nnames].index = all->nelts - 1;
            copy->nnames++;
        }

        ngx_explicit_memzero((void *) key, ngx_strlen(key));
        json_object_del(rec, "key");
    }

    /* the array no longer grows: its elements stay where they are */

    for (i = 0; i < copy->nnames; i++) {
        copy->names[i].cert = (ngx_http_swarm_pki_cert_t *) all->elts
                              + copy->names[i].index;
    }

    ngx_qsort(copy->names, copy->nnames, sizeof(ngx_http_swarm_certs_name_t),
              ngx_http_swarm_certs_cmp);

    copy->status = json_incref(certs);

    return NGX_OK;
}


/* a handshake's name: its certificate, or NULL; the name is lowercase */

ngx_http_swarm_pki_cert_t *
ngx_http_swarm_certs_find(u_char *name, size_t len)
{
    ngx_int_t                     rc;
    ngx_uint_t                    lo, hi, mid;
    ngx_http_swarm_certs_name_t  *names;

    names = ngx_http_swarm_certs.names;
    lo = 0;
    hi = ngx_http_swarm_certs.nnames;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        rc = ngx_memn2cmp(name, names[mid].name.data, len,
                          names[mid].name.len);

        if (rc == 0) {
            return names[mid].cert;
        }

        if (rc < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}


/* the key authorization of a pending challenge's token, or NULL */

const char *
ngx_http_swarm_certs_token(u_char *token, size_t len)
{
    char  key[NGX_HTTP_SWARM_ACME_TOKEN_LEN];

    if (ngx_http_swarm_certs.tokens == NULL
        || !ngx_http_swarm_acme_token_valid((char *) token, len))
    {
        return NULL;
    }

    ngx_memcpy(key, token, len);
    key[len] = '\0';

    return json_string_value(json_object_get(ngx_http_swarm_certs.tokens,
                                             key));
}


/* the certificates and their states, with no key: for swarm_status */

json_t *
ngx_http_swarm_certs_status(void)
{
    return ngx_http_swarm_certs.status;
}


static int ngx_libc_cdecl
ngx_http_swarm_certs_cmp(const void *a, const void *b)
{
    const ngx_http_swarm_certs_name_t  *na = a, *nb = b;

    return (int) ngx_memn2cmp(na->name.data, nb->name.data, na->name.len,
                              nb->name.len);
}


static void
ngx_http_swarm_certs_cleanup(void *data)
{
    ngx_array_t *all = data;

    ngx_uint_t                  i;
    ngx_http_swarm_pki_cert_t  *cert;

    cert = all->elts;

    for (i = 0; i < all->nelts; i++) {
        ngx_http_swarm_pki_cert_free(&cert[i]);
    }
}
