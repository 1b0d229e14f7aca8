
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The ACME client of swarm_acme, in worker 0.  Each second, and as the
 * routes change, it looks at the certificates they ask for: one kept in
 * the storage for all its names is taken as it is; one missing, or with
 * a third of its lifetime left, is ordered (ngx_http_swarm_order.c),
 * one order at a time.  What it knows (each certificate's state, chain
 * and key, and the answers to pending challenges) is written to the zone
 * as JSON whenever it changes; the workers serve from there.  A failed
 * order is tried again after 10 s, doubled each time up to a day, and
 * no more than a bound of orders an hour are made.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/crypto.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_pki.h"
#include "ngx_http_swarm_store.h"
#include "ngx_http_swarm_order.h"
#include "ngx_http_swarm_ca.h"


/* orders an hour, at the most, for all the CAs */
#define NGX_HTTP_SWARM_CA_ORDERS_HOUR  100

#define NGX_HTTP_SWARM_CA_BACKOFF_MIN  10
#define NGX_HTTP_SWARM_CA_BACKOFF_MAX  86400


typedef struct {
    ngx_http_swarm_t                 *swarm;
    ngx_log_t                        *log;
    ngx_event_t                       timer;

    ngx_http_swarm_account_t         *accounts;
    ngx_uint_t                        naccounts;

    /*
     * each certificate, by its first name: {"resolver", "names",
     * "state", "error", "issuer", "not_before", "not_after", "renew",
     * "next", "failures", "cert", "key", "served"}; "served", the
     * names the certificate was for, while names changed wait for one
     */
    json_t                           *certs;
    ngx_uint_t                        seen;
    unsigned                          dirty:1;

    /* the order, and the record it is for while it lasts */
    ngx_http_swarm_order_t            order;
    json_t                           *rec;

    time_t                            hour;
    ngx_uint_t                        orders;
} ngx_http_swarm_ca_t;


static ngx_int_t ngx_http_swarm_ca_account_init(ngx_http_swarm_ca_t *ca,
    ngx_http_swarm_account_t *acct, ngx_pool_t *pool);
static void ngx_http_swarm_ca_ordered(ngx_http_swarm_order_t *o);
static void ngx_http_swarm_ca_token(ngx_http_swarm_order_t *o);
static void ngx_http_swarm_ca_tick(ngx_event_t *ev);
static void ngx_http_swarm_ca_look(ngx_http_swarm_ca_t *ca);
static ngx_int_t ngx_http_swarm_ca_stored(ngx_http_swarm_ca_t *ca,
    const char *main, json_t *rec);
static ngx_http_swarm_account_t *ngx_http_swarm_ca_account(
    ngx_http_swarm_ca_t *ca, json_t *rec);
static ngx_int_t ngx_http_swarm_ca_start(ngx_http_swarm_ca_t *ca,
    const char *main, json_t *rec);
static void ngx_http_swarm_ca_keep(json_t *rec, json_t *old);
static void ngx_http_swarm_ca_info(json_t *rec,
    ngx_http_swarm_pki_info_t *info);
static void ngx_http_swarm_ca_publish(ngx_http_swarm_ca_t *ca);
static void ngx_http_swarm_ca_set(json_t *rec, const char *key,
    json_t *value);


static ngx_http_swarm_ca_t  *ngx_http_swarm_ca;


/*
 * "swarm_acme NAME server=URL storage=PATH [email=ADDRESS]
 * [trusted_certificate=FILE]"
 */

char *
ngx_http_swarm_ca_add(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                  *value, *dst;
    ngx_uint_t                  i;
    ngx_http_swarm_t           *swarm;
    ngx_http_swarm_resolver_t  *res;

    swarm = (ngx_http_swarm_t *) ((char *) conf + cmd->offset);
    value = cf->args->elts;
    res = swarm->resolvers.elts;

    for (i = 0; i < swarm->resolvers.nelts; i++) {
        if (res[i].name.len == value[1].len
            && ngx_strncmp(res[i].name.data, value[1].data, value[1].len)
               == 0)
        {
            return "is duplicate";
        }
    }

    if (value[1].len == 0 || value[1].len >= NGX_HTTP_SWARM_NAME_LEN
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '@'))
    {
        return "has an invalid name";
    }

    res = ngx_array_push(&swarm->resolvers);
    if (res == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(res, sizeof(ngx_http_swarm_resolver_t));
    res->name = value[1];

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strncmp(value[i].data, "server=", 7) == 0) {
            dst = &res->server;
            value[i].data += 7;
            value[i].len -= 7;

        } else if (ngx_strncmp(value[i].data, "storage=", 8) == 0) {
            dst = &res->storage;
            value[i].data += 8;
            value[i].len -= 8;

        } else if (ngx_strncmp(value[i].data, "email=", 6) == 0) {
            dst = &res->email;
            value[i].data += 6;
            value[i].len -= 6;

        } else if (ngx_strncmp(value[i].data, "trusted_certificate=", 20)
                   == 0)
        {
            dst = &res->trusted;
            value[i].data += 20;
            value[i].len -= 20;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }

        if (dst->len || value[i].len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid or duplicate parameter \"%V\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        *dst = value[i];
    }

    if (res->server.len == 0 || res->storage.len == 0) {
        return "needs server= and storage=";
    }

    if (!ngx_http_swarm_acme_url_valid((char *) res->server.data)
        || ngx_strncmp(res->server.data, "https://", 8) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "server=\"%V\" is no https:// URL", &res->server);
        return NGX_CONF_ERROR;
    }

    if (res->email.len >= NGX_HTTP_SWARM_NAME_LEN
        || (res->email.len
            && ngx_strlchr(res->email.data, res->email.data + res->email.len,
                           '@') == NULL))
    {
        return "has an invalid email=";
    }

    while (res->storage.len > 1
           && res->storage.data[res->storage.len - 1] == '/')
    {
        res->storage.len--;
    }

    if (ngx_conf_full_name(cf->cycle, &res->storage, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (res->trusted.len) {
        if (ngx_conf_full_name(cf->cycle, &res->trusted, 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_swarm_store_read_file(res->trusted.data, cf->pool,
                                           1024 * 1024, &res->trusted_pem,
                                           cf->log)
            != NGX_OK)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "trusted_certificate=\"%V\" cannot be read",
                               &res->trusted);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* the storage folders, made by the master */

ngx_int_t
ngx_http_swarm_ca_storage_init(ngx_cycle_t *cycle, ngx_http_swarm_t *swarm)
{
    ngx_uint_t                  i;
    ngx_http_swarm_resolver_t  *res;

    res = swarm->resolvers.elts;

    for (i = 0; i < swarm->resolvers.nelts; i++) {
        if (ngx_http_swarm_store_create(cycle, &res[i]) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* worker 0: the accounts' keys, from the storage or made, then a look */

ngx_int_t
ngx_http_swarm_ca_init(ngx_cycle_t *cycle, ngx_http_swarm_t *swarm)
{
    ngx_uint_t                  i;
    ngx_http_swarm_ca_t        *ca;
    ngx_http_swarm_resolver_t  *res;

    if (swarm->resolvers.nelts == 0) {
        return NGX_OK;
    }

    ca = ngx_pcalloc(cycle->pool, sizeof(ngx_http_swarm_ca_t));
    if (ca == NULL) {
        return NGX_ERROR;
    }

    ca->swarm = swarm;
    ca->log = cycle->log;

    ca->certs = json_object();
    if (ca->certs == NULL) {
        return NGX_ERROR;
    }

    ngx_http_swarm_ca = ca;

    ca->naccounts = swarm->resolvers.nelts;
    ca->accounts = ngx_pcalloc(cycle->pool, ca->naccounts
                                       * sizeof(ngx_http_swarm_account_t));
    if (ca->accounts == NULL) {
        return NGX_ERROR;
    }

    res = swarm->resolvers.elts;

    for (i = 0; i < ca->naccounts; i++) {
        ca->accounts[i].res = &res[i];

        if (ngx_http_swarm_ca_account_init(ca, &ca->accounts[i], cycle->pool)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_swarm_order_open(&ca->order, swarm, cycle->pool,
                                  cycle->log)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ca->order.done = ngx_http_swarm_ca_ordered;
    ca->order.token = ngx_http_swarm_ca_token;
    ca->order.data = ca;

    ca->timer.handler = ngx_http_swarm_ca_tick;
    ca->timer.data = ca;
    ca->timer.log = cycle->log;
    ca->timer.cancelable = 1;

    ngx_add_timer(&ca->timer, 1);

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_ca_account_init(ngx_http_swarm_ca_t *ca,
    ngx_http_swarm_account_t *acct, ngx_pool_t *pool)
{
    char       *pem;
    ngx_int_t   rc;
    ngx_str_t   data;

    rc = ngx_http_swarm_store_read(acct->res, "account.key", pool, &data,
                                   ca->log);

    if (rc == NGX_OK) {
        acct->key = ngx_http_swarm_pki_key_read(data.data, data.len);

        if (acct->key == NULL) {
            ngx_log_error(NGX_LOG_ERR, ca->log, 0,
                          "swarm_acme \"%V\": \"%V/account.key\" is no "
                          "P-256 key", &acct->res->name, &acct->res->storage);
            return NGX_ERROR;
        }

    } else if (rc == NGX_DECLINED) {
        acct->key = ngx_http_swarm_pki_key_new();
        pem = acct->key ? ngx_http_swarm_pki_key_pem(acct->key) : NULL;

        if (pem == NULL) {
            return NGX_ERROR;
        }

        rc = ngx_http_swarm_store_write(acct->res, "account.key",
                                        (u_char *) pem, ngx_strlen(pem),
                                        ca->log);
        OPENSSL_cleanse(pem, ngx_strlen(pem));
        ngx_free(pem);

        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        ngx_log_error(NGX_LOG_NOTICE, ca->log, 0,
                      "swarm_acme \"%V\": a new account key in \"%V\"",
                      &acct->res->name, &acct->res->storage);

    } else {
        return NGX_ERROR;
    }

    return ngx_http_swarm_pki_jwk(acct->key, acct->jwk, sizeof(acct->jwk),
                                  acct->thumbprint,
                                  sizeof(acct->thumbprint));
}


static void
ngx_http_swarm_ca_tick(ngx_event_t *ev)
{
    ngx_http_swarm_ca_t *ca = ev->data;

    ngx_http_swarm_ca_look(ca);
    ngx_http_swarm_ca_publish(ca);

    ngx_add_timer(&ca->timer, 1000);
}


/*
 * The certificates the routes ask for: records made for new ones (from
 * the storage if it has them), dropped for those no route asks for;
 * then, with no order under way, the first that needs one is ordered
 */

static void
ngx_http_swarm_ca_look(ngx_http_swarm_ca_t *ca)
{
    void        *tmp;
    json_t      *wanted, *want, *rec;
    time_t       now;
    const char  *main, *state;

    wanted = ca->swarm->wanted;

    if (ca->seen != ca->swarm->wanted_changes && wanted) {
        ca->seen = ca->swarm->wanted_changes;

        json_object_foreach_safe(ca->certs, tmp, main, rec) {
            if (json_object_get(wanted, main) == NULL) {
                json_object_del(ca->certs, main);
                ca->dirty = 1;
            }
        }

        json_object_foreach(wanted, main, want) {
            rec = json_object_get(ca->certs, main);

            if (rec && json_equal(json_object_get(rec, "names"),
                                  json_object_get(want, "names"))
                && json_equal(json_object_get(rec, "resolver"),
                              json_object_get(want, "resolver")))
            {
                continue;
            }

            rec = json_pack("{s:O, s:O, s:s, s:i, s:i}",
                            "resolver", json_object_get(want, "resolver"),
                            "names", json_object_get(want, "names"),
                            "state", "waiting", "next", 0, "failures", 0);
            if (rec == NULL) {
                continue;
            }

            ngx_http_swarm_ca_keep(rec, json_object_get(ca->certs, main));

            json_object_set_new(ca->certs, main, rec);
            ca->dirty = 1;

            if (ngx_http_swarm_ca_account(ca, rec) == NULL) {
                /* no swarm_acme of that name: never ordered */
                ngx_http_swarm_ca_set(rec, "state", json_string("failed"));
                ngx_http_swarm_ca_set(rec, "error", json_string(
                                          "no swarm_acme has that name"));
                ngx_http_swarm_ca_set(rec, "next",
                                      json_integer(NGX_MAX_INT32_VALUE));
                continue;
            }

            ngx_http_swarm_ca_stored(ca, main, rec);
        }
    }

    if (ca->rec) {
        /* an order is under way */
        return;
    }

    now = ngx_time();

    if (now - ca->hour >= 3600) {
        ca->hour = now;
        ca->orders = 0;
    }

    json_object_foreach(ca->certs, main, rec) {
        state = json_string_value(json_object_get(rec, "state"));

        if (ngx_strcmp(state, "valid") == 0
            && now < json_integer_value(json_object_get(rec, "renew")))
        {
            continue;
        }

        if (now < json_integer_value(json_object_get(rec, "next"))) {
            continue;
        }

        /* another nginx sharing the storage may have got it meanwhile */

        if (ngx_http_swarm_ca_stored(ca, main, rec) == NGX_OK
            && now < json_integer_value(json_object_get(rec, "renew")))
        {
            continue;
        }

        if (ca->orders >= NGX_HTTP_SWARM_CA_ORDERS_HOUR) {
            ngx_log_error(NGX_LOG_WARN, ca->log, 0,
                          "swarm_acme: %d orders in the last hour, the "
                          "certificate of \"%s\" waits",
                          NGX_HTTP_SWARM_CA_ORDERS_HOUR, main);
            json_object_set_new(rec, "next", json_integer(ca->hour + 3600));
            continue;
        }

        if (ngx_http_swarm_ca_start(ca, main, rec) == NGX_OK) {
            return;
        }
    }
}


/*
 * A certificate from the storage, if it has one for every name, other
 * than the one the record has: NGX_OK if it was taken
 */

static ngx_int_t
ngx_http_swarm_ca_stored(ngx_http_swarm_ca_t *ca, const char *main,
    json_t *rec)
{
    char                       name[NGX_HTTP_SWARM_ACME_HOST_LEN + 16];
    char                       err[NGX_HTTP_SWARM_ERR_LEN];
    ngx_int_t                  rc;
    ngx_str_t                  crt, key;
    ngx_pool_t                *pool;
    ngx_http_swarm_pki_cert_t  cert;
    ngx_http_swarm_pki_info_t  info;
    ngx_http_swarm_resolver_t *res;

    res = ngx_http_swarm_ca_account(ca, rec)->res;
    rc = NGX_DECLINED;

    pool = ngx_create_pool(4096, ca->log);
    if (pool == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf((u_char *) name, "certs/%s.crt%Z", main);

    if (ngx_http_swarm_store_read(res, name, pool, &crt, ca->log) != NGX_OK) {
        goto done;
    }

    ngx_sprintf((u_char *) name, "certs/%s.key%Z", main);

    if (ngx_http_swarm_store_read(res, name, pool, &key, ca->log) != NGX_OK) {
        goto done;
    }

    if (ngx_http_swarm_pki_chain(crt.data, crt.len, key.data, key.len, &cert,
                                 &info, err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_WARN, ca->log, 0,
                      "swarm_acme \"%V\": the stored certificate of \"%s\" "
                      "is not used: %s", &res->name, main, err);
        goto done;
    }

    if (info.not_after > ngx_time()
        && (info.not_after != json_integer_value(json_object_get(rec,
                                                                 "not_after"))
            || json_object_get(rec, "served"))
        && ngx_http_swarm_pki_covers(&cert, json_object_get(rec, "names"))
           == NGX_OK)
    {
        rc = NGX_OK;
        ca->dirty = 1;

        ngx_http_swarm_ca_set(rec, "cert", json_stringn((char *) crt.data,
                                                        crt.len));
        ngx_http_swarm_ca_set(rec, "key", json_stringn((char *) key.data,
                                                       key.len));
        ngx_http_swarm_ca_info(rec, &info);

        ngx_log_error(NGX_LOG_NOTICE, ca->log, 0,
                      "swarm_acme \"%V\": the stored certificate of \"%s\" "
                      "is used", &res->name, main);
    }

    OPENSSL_cleanse(key.data, key.len);
    ngx_http_swarm_pki_cert_free(&cert);

done:

    ngx_destroy_pool(pool);

    return rc;
}


/* the account of the swarm_acme a certificate names, or NULL */

static ngx_http_swarm_account_t *
ngx_http_swarm_ca_account(ngx_http_swarm_ca_t *ca, json_t *rec)
{
    ngx_uint_t   i;
    const char  *resolver;

    resolver = json_string_value(json_object_get(rec, "resolver"));

    for (i = 0; resolver && i < ca->naccounts; i++) {
        if (ngx_strcmp(resolver, ca->accounts[i].res->name.data) == 0) {
            return &ca->accounts[i];
        }
    }

    return NULL;
}


/*
 * An order begins, with the account of its swarm_acme, once this nginx
 * holds the lock of the certificate in the storage: NGX_DECLINED while
 * another nginx sharing the storage orders it (its certificate is taken
 * from the storage as it appears there)
 */

static ngx_int_t
ngx_http_swarm_ca_start(ngx_http_swarm_ca_t *ca, const char *main,
    json_t *rec)
{
    char                       name[NGX_HTTP_SWARM_ACME_HOST_LEN + 16];
    ngx_http_swarm_account_t  *acct;

    acct = ngx_http_swarm_ca_account(ca, rec);

    if (acct == NULL) {
        return NGX_DECLINED;
    }

    ngx_sprintf((u_char *) name, "locks/%s%Z", main);

    if (ngx_http_swarm_store_lock(acct->res, name, ca->log) == NGX_BUSY) {
        ngx_log_error(NGX_LOG_INFO, ca->log, 0,
                      "swarm_acme \"%V\": another nginx sharing \"%V\" "
                      "orders the certificate of \"%s\"", &acct->res->name,
                      &acct->res->storage, main);

        ngx_http_swarm_ca_set(rec, "next", json_integer(ngx_time() + 2));
        return NGX_DECLINED;
    }

    /* the one that held it may have stored it just before it let go */

    if (ngx_http_swarm_ca_stored(ca, main, rec) == NGX_OK
        && ngx_time() < json_integer_value(json_object_get(rec, "renew")))
    {
        ngx_http_swarm_store_remove(acct->res, name, ca->log);
        return NGX_DECLINED;
    }

    ca->orders++;

    /* held while the order lasts, whatever the routes ask meanwhile */

    ca->rec = json_incref(rec);

    ngx_http_swarm_ca_set(rec, "state", json_string("ordering"));
    ca->dirty = 1;

    ngx_log_error(NGX_LOG_NOTICE, ca->log, 0,
                  "swarm_acme \"%V\": ordering the certificate of \"%s\"",
                  &acct->res->name, main);

    ngx_http_swarm_order_start(&ca->order, acct, main,
                               json_object_get(rec, "names"));

    return NGX_OK;
}


/*
 * The order is over: its chain and key kept in the storage and served,
 * or what failed said, and the order tried again after a backoff; a
 * certificate still valid is served meanwhile
 */

static void
ngx_http_swarm_ca_ordered(ngx_http_swarm_order_t *o)
{
    ngx_http_swarm_ca_t *ca = o->data;

    char        name[NGX_HTTP_SWARM_ACME_HOST_LEN + 16];
    json_t     *rec;
    time_t      delay;
    ngx_int_t   failures;

    rec = ca->rec;
    ca->rec = NULL;
    ca->dirty = 1;

    ngx_sprintf((u_char *) name, "locks/%s%Z", o->main);
    ngx_http_swarm_store_remove(o->acct->res, name, ca->log);

    if (o->rc == NGX_OK) {
        ngx_sprintf((u_char *) name, "certs/%s.key%Z", o->main);

        if (ngx_http_swarm_store_write(o->acct->res, name,
                                       (u_char *) o->key_pem,
                                       ngx_strlen(o->key_pem), ca->log)
            == NGX_OK)
        {
            ngx_sprintf((u_char *) name, "certs/%s.crt%Z", o->main);

            (void) ngx_http_swarm_store_write(o->acct->res, name,
                                              o->chain.data, o->chain.len,
                                              ca->log);
        }

        ngx_http_swarm_ca_set(rec, "cert", json_stringn((char *) o->chain.data,
                                                        o->chain.len));
        ngx_http_swarm_ca_set(rec, "key", json_string(o->key_pem));
        ngx_http_swarm_ca_info(rec, &o->info);
        ngx_http_swarm_ca_set(rec, "failures", json_integer(0));
        json_object_del(rec, "error");

        ngx_log_error(NGX_LOG_NOTICE, ca->log, 0,
                      "swarm_acme \"%V\": the certificate of \"%s\" is "
                      "issued by \"%s\", valid until %T", &o->acct->res->name,
                      o->main, o->info.issuer, o->info.not_after);

        json_decref(rec);
        return;
    }

    failures = json_integer_value(json_object_get(rec, "failures")) + 1;

    delay = (time_t) NGX_HTTP_SWARM_CA_BACKOFF_MIN << ngx_min(failures - 1,
                                                              14);
    delay = ngx_min(delay, NGX_HTTP_SWARM_CA_BACKOFF_MAX);

    ngx_log_error(NGX_LOG_ERR, ca->log, 0,
                  "swarm_acme \"%V\": the certificate of \"%s\" could not "
                  "be ordered: %s; tried again in %T s", &o->acct->res->name,
                  o->main, o->error, delay);

    ngx_http_swarm_ca_set(rec, "state", json_string(
                              json_object_get(rec, "cert")
                              && json_object_get(rec, "served") == NULL
                              && json_integer_value(json_object_get(
                                     rec, "not_after")) > ngx_time()
                              ? "valid" : "failed"));
    ngx_http_swarm_ca_set(rec, "error", json_string(o->error));
    ngx_http_swarm_ca_set(rec, "failures", json_integer(failures));
    ngx_http_swarm_ca_set(rec, "next", json_integer(ngx_time() + delay));

    json_decref(rec);
}


/* a challenge's answer is to be served: written to the zone at once */

static void
ngx_http_swarm_ca_token(ngx_http_swarm_order_t *o)
{
    ngx_http_swarm_ca_t *ca = o->data;

    ca->dirty = 1;

    ngx_http_swarm_ca_publish(ca);
}


/*
 * The certificate of a record whose names changed, served for the names
 * it was for until one for the new names is got
 */

static void
ngx_http_swarm_ca_keep(json_t *rec, json_t *old)
{
    json_t      *served;
    ngx_uint_t   i;

    static const char  *keys[] = { "cert", "key", "issuer", "not_before",
                                   "not_after" };

    if (old == NULL || json_object_get(old, "cert") == NULL
        || json_integer_value(json_object_get(old, "not_after"))
           <= ngx_time())
    {
        return;
    }

    served = json_object_get(old, "served");

    if (served == NULL) {
        served = json_object_get(old, "names");
    }

    ngx_http_swarm_ca_set(rec, "served", json_incref(served));

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ngx_http_swarm_ca_set(rec, keys[i],
                              json_incref(json_object_get(old, keys[i])));
    }
}


/* what a certificate says of itself, and so when it is renewed */

static void
ngx_http_swarm_ca_info(json_t *rec, ngx_http_swarm_pki_info_t *info)
{
    json_object_del(rec, "served");

    ngx_http_swarm_ca_set(rec, "issuer", json_string(info->issuer));
    ngx_http_swarm_ca_set(rec, "not_before", json_integer(info->not_before));
    ngx_http_swarm_ca_set(rec, "not_after", json_integer(info->not_after));
    ngx_http_swarm_ca_set(rec, "renew", json_integer(
                              ngx_http_swarm_acme_renew_at(info->not_before,
                                                           info->not_after)));
    ngx_http_swarm_ca_set(rec, "state", json_string(
                              info->not_after > ngx_time() ? "valid"
                                                           : "waiting"));
}


/* what changed, written to the zone */

static void
ngx_http_swarm_ca_publish(ngx_http_swarm_ca_t *ca)
{
    char       *text;
    u_char     *p;
    size_t      len;
    json_t     *j;
    ngx_int_t   rc;

    if (!ca->dirty) {
        return;
    }

    j = json_pack("{s:O, s:O}", "certs", ca->certs,
                  "tokens", ca->order.tokens);
    text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);

    if (text == NULL) {
        return;
    }

    len = ngx_strlen(text);
    rc = NGX_ERROR;

    p = ngx_http_swarm_zone_alloc(&ca->swarm->zone, ngx_max(len, 1));

    if (p == NULL) {
        ngx_log_error(NGX_LOG_ERR, ca->log, 0,
                      "swarm_acme: the zone has no room for %uz bytes of "
                      "certificates; swarm_zone is too small", len);

    } else {
        ngx_memcpy(p, text, len);

        rc = ngx_http_swarm_zone_set_blob(&ca->swarm->zone,
                                          NGX_HTTP_SWARM_BLOB_CERTS, p, len);
        if (rc != NGX_OK) {
            ngx_explicit_memzero(p, len);
            ngx_http_swarm_zone_free(&ca->swarm->zone, p);
        }
    }

    OPENSSL_cleanse(text, len);
    free(text);

    if (rc != NGX_ERROR) {
        ca->dirty = 0;
    }
}


static void
ngx_http_swarm_ca_set(json_t *rec, const char *key, json_t *value)
{
    if (value) {
        json_object_set_new(rec, key, value);
    }
}


void
ngx_http_swarm_ca_exit(void)
{
    ngx_uint_t            i;
    ngx_http_swarm_ca_t  *ca;

    ca = ngx_http_swarm_ca;

    if (ca == NULL) {
        return;
    }

    ngx_http_swarm_ca = NULL;

    if (ca->timer.timer_set) {
        ngx_del_timer(&ca->timer);
    }

    ngx_http_swarm_order_close(&ca->order);

    for (i = 0; i < ca->naccounts; i++) {
        if (ca->accounts[i].key) {
            EVP_PKEY_free(ca->accounts[i].key);
        }
    }

    json_decref(ca->rec);
    json_decref(ca->certs);
}
