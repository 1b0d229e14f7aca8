
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * A route's middlewares, as Traefik runs a router's: each worker builds
 * them with its route table from the definitions worker 0 published
 * (lib/ngx_http_swarm_middlewares.c made and checked them), and runs
 * them in order once a request's route is found, before the balancer
 * picks a task.  One that answers (a redirect, 401, 403, a CORS
 * preflight) stops the rest, and no task is picked.  The response
 * headers of the headers middlewares that ran are added by a header
 * filter.  Here too: swarm_middleware, and the two middlewares that
 * decide who may pass, basicauth and ipallowlist.  Nothing reads a file
 * or the zone on the request path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_crypt.h>
#include <ngx_sha1.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_headers.h"
#include "ngx_http_swarm_rewrite.h"
#include "ngx_http_swarm_limit.h"
#include "ngx_http_swarm_flow.h"
#include "ngx_http_swarm_compress.h"
#include "ngx_http_swarm_forward.h"
#include "ngx_http_swarm_errors.h"
#include "ngx_http_swarm_middleware.h"


typedef ngx_int_t (*ngx_http_swarm_mw_build_pt)(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen);


/*
 * basicauth's passwords known good, by a salted SHA-1 of the user and
 * password: a worker hashes a password of a user once (a bcrypt or apr1
 * hash costs it up to a million instructions and more), not on every
 * request.  As the route table it lives in, it goes with any change.
 */

#define NGX_HTTP_SWARM_AUTH_KNOWN  16

typedef struct {
    u_char                         salt[16];
    u_char                         known[NGX_HTTP_SWARM_AUTH_KNOWN][20];
    ngx_uint_t                     next;
} ngx_http_swarm_auth_t;


static ngx_int_t ngx_http_swarm_middleware_build_basicauth(
    ngx_http_swarm_mw_t *mw, json_t *def, ngx_pool_t *pool, char *err,
    size_t errlen);
static ngx_int_t ngx_http_swarm_middleware_build_ipallowlist(
    ngx_http_swarm_mw_t *mw, json_t *def, ngx_pool_t *pool, char *err,
    size_t errlen);
static ngx_int_t ngx_http_swarm_middleware_basicauth(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
static void ngx_http_swarm_middleware_digest(ngx_http_swarm_auth_t *a,
    ngx_http_request_t *r, u_char *md);
static ngx_int_t ngx_http_swarm_middleware_ipallowlist(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
static ngx_int_t ngx_http_swarm_middleware_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


static struct {
    const char                    *type;
    ngx_http_swarm_mw_build_pt     build;
    ngx_http_swarm_mw_pt           handler;
    ngx_uint_t                     kind;
} ngx_http_swarm_mw_types[] = {
    { "redirectscheme", ngx_http_swarm_rewrite_build_scheme,
      ngx_http_swarm_rewrite_scheme, NGX_HTTP_SWARM_MW_SCHEME },
    { "redirectregex", ngx_http_swarm_rewrite_build_regex,
      ngx_http_swarm_rewrite_regex, NGX_HTTP_SWARM_MW_REGEX },
    { "basicauth", ngx_http_swarm_middleware_build_basicauth,
      ngx_http_swarm_middleware_basicauth, NGX_HTTP_SWARM_MW_BASICAUTH },
    { "headers", ngx_http_swarm_headers_build,
      ngx_http_swarm_headers_run, NGX_HTTP_SWARM_MW_HEADERS },
    { "stripprefix", ngx_http_swarm_rewrite_build_path,
      ngx_http_swarm_rewrite_stripprefix, NGX_HTTP_SWARM_MW_NONE },
    { "stripprefixregex", ngx_http_swarm_rewrite_build_path,
      ngx_http_swarm_rewrite_stripprefixregex, NGX_HTTP_SWARM_MW_NONE },
    { "addprefix", ngx_http_swarm_rewrite_build_path,
      ngx_http_swarm_rewrite_addprefix, NGX_HTTP_SWARM_MW_NONE },
    { "replacepath", ngx_http_swarm_rewrite_build_path,
      ngx_http_swarm_rewrite_replacepath, NGX_HTTP_SWARM_MW_NONE },
    { "replacepathregex", ngx_http_swarm_rewrite_build_path,
      ngx_http_swarm_rewrite_replacepathregex, NGX_HTTP_SWARM_MW_NONE },
    { "ipallowlist", ngx_http_swarm_middleware_build_ipallowlist,
      ngx_http_swarm_middleware_ipallowlist, NGX_HTTP_SWARM_MW_ALLOWLIST },
    { "ipwhitelist", ngx_http_swarm_middleware_build_ipallowlist,
      ngx_http_swarm_middleware_ipallowlist, NGX_HTTP_SWARM_MW_ALLOWLIST },
    { "ratelimit", ngx_http_swarm_limit_build, ngx_http_swarm_limit_run,
      NGX_HTTP_SWARM_MW_RATELIMIT },
    { "inflightreq", ngx_http_swarm_limit_build,
      ngx_http_swarm_limit_inflight, NGX_HTTP_SWARM_MW_INFLIGHT },
    { "retry", ngx_http_swarm_flow_build_retry, ngx_http_swarm_flow_retry,
      NGX_HTTP_SWARM_MW_NONE },
    { "buffering", ngx_http_swarm_flow_build_buffering,
      ngx_http_swarm_flow_buffering, NGX_HTTP_SWARM_MW_BUFFERING },
    { "compress", ngx_http_swarm_compress_build, ngx_http_swarm_compress_run,
      NGX_HTTP_SWARM_MW_NONE },
    { "forwardauth", ngx_http_swarm_forward_build, ngx_http_swarm_forward_run,
      NGX_HTTP_SWARM_MW_FORWARD },
    { "errors", ngx_http_swarm_errors_build, ngx_http_swarm_errors_run,
      NGX_HTTP_SWARM_MW_ERRORS },
    { NULL, NULL, NULL, 0 }
};


/*
 * "swarm_middleware NAME TYPE OPTION=VALUE ...": its options into raw,
 * by name, as the labels' are (ngx_http_swarm_middlewares_label())
 */

char *
ngx_http_swarm_middleware_conf(ngx_conf_t *cf, json_t *raw)
{
    int          rc;
    u_char      *eq, *key;
    size_t       len;
    ngx_str_t   *value;
    ngx_uint_t   i;

    value = cf->args->elts;


    if (value[1].len == 0 || value[1].len >= NGX_HTTP_SWARM_NAME_LEN
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '.')
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '@')
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, ','))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid middleware name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ngx_strlow(value[1].data, value[1].data, value[1].len);

    if (json_object_get(raw, (char *) value[1].data)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "middleware \"%V\" is duplicate", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* the type alone, with its defaults */

    len = value[1].len + 1 + value[2].len;

    key = ngx_pnalloc(cf->temp_pool, len + 1);
    if (key == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(key, "%V.%V%Z", &value[1], &value[2]);

    if (ngx_http_swarm_middlewares_label(raw, (char *) key, "true")
        != NGX_HTTP_SWARM_YES)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid middleware type \"%V\"", &value[2]);
        return NGX_CONF_ERROR;
    }

    for (i = 3; i < cf->args->nelts; i++) {
        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');

        if (eq == NULL || eq == value[i].data) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\": OPTION=VALUE is "
                               "needed", &value[i]);
            return NGX_CONF_ERROR;
        }

        len = value[1].len + 1 + value[2].len + 1 + (eq - value[i].data);

        key = ngx_pnalloc(cf->temp_pool, len + 1);
        if (key == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_sprintf(key, "%V.%V.%*s%Z", &value[1], &value[2],
                    (size_t) (eq - value[i].data), value[i].data);

        *eq = '\0';
        rc = ngx_http_swarm_middlewares_label(raw, (char *) key,
                                              (char *) eq + 1);
        *eq = '=';

        if (rc == NGX_HTTP_SWARM_FAILED) {
            return NGX_CONF_ERROR;
        }

        if (rc != NGX_HTTP_SWARM_YES) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * Every swarm_middleware made in place, as worker 0 makes the labels'
 * (regular expressions checked with PCRE too): one that cannot be run
 * fails the configuration, naming it.
 */

char *
ngx_http_swarm_middleware_make(ngx_conf_t *cf, json_t *defs)
{
    json_t                     *raw, *def;
    const char                 *name;
    ngx_http_swarm_selector_t   sel;
    char                        err[NGX_HTTP_SWARM_ERR_LEN];

    ngx_memzero(&sel, sizeof(ngx_http_swarm_selector_t));
    sel.regex = ngx_http_swarm_match_check;

    json_object_foreach(defs, name, raw) {
        def = ngx_http_swarm_middlewares_make(raw, &sel, err, sizeof(err));

        if (def == NULL) {
            if (err[0] == '\0') {
                return NGX_CONF_ERROR;
            }

            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "swarm_middleware \"%s\": %s", name, err);
            return NGX_CONF_ERROR;
        }

        if (json_object_set_new(defs, name, def) != 0) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* the header filter, where any location has swarm_route */

ngx_int_t
ngx_http_swarm_middleware_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_swarm_middleware_header_filter;

    return NGX_OK;
}


/*
 * A route's middlewares from their definitions (a JSON array that lives
 * as long as the pool): NGX_ERROR with why in err for one this worker
 * cannot run after all (a regular expression PCRE refuses, say).
 */

ngx_int_t
ngx_http_swarm_middleware_build(json_t *list, const char *route,
    ngx_pool_t *pool, ngx_http_swarm_mws_t **mws, char *err, size_t errlen)
{
    size_t                 i, k;
    json_t                *def;
    const char            *type;
    ngx_http_swarm_mw_t   *mw;
    ngx_http_swarm_mws_t  *m;

    *mws = NULL;

    if (json_array_size(list) == 0) {
        return NGX_OK;
    }

    m = ngx_pcalloc(pool, sizeof(ngx_http_swarm_mws_t));
    if (m == NULL) {
        return NGX_ERROR;
    }

    m->mw = ngx_pcalloc(pool, json_array_size(list)
                              * sizeof(ngx_http_swarm_mw_t));
    if (m->mw == NULL) {
        return NGX_ERROR;
    }

    json_array_foreach(list, i, def) {
        type = json_string_value(json_object_get(def, "type"));
        mw = &m->mw[m->n];

        mw->name = json_string_value(json_object_get(def, "name"));
        if (mw->name == NULL) {
            mw->name = "";
        }

        for (k = 0; type && ngx_http_swarm_mw_types[k].type; k++) {
            if (ngx_strcmp(type, ngx_http_swarm_mw_types[k].type) == 0) {
                break;
            }
        }

        if (type == NULL || ngx_http_swarm_mw_types[k].type == NULL) {
            ngx_snprintf((u_char *) err, errlen, "middleware \"%s\": type "
                         "\"%s\" unknown to this worker%Z", mw->name,
                         type ? type : "");
            return NGX_ERROR;
        }

        mw->handler = ngx_http_swarm_mw_types[k].handler;
        mw->kind = ngx_http_swarm_mw_types[k].kind;
        mw->route = route;
        mw->tasks = json_string_value(json_object_get(def, "tasks"));

        if (ngx_http_swarm_mw_types[k].build(mw, def, pool, err, errlen)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        m->n++;
    }

    *mws = m;

    return NGX_OK;
}


/*
 * Definitions as swarm_status shows them: basicauth's users by name
 * only, never their hashes.
 */

json_t *
ngx_http_swarm_middleware_shown(json_t *list)
{
    size_t   i, k;
    json_t  *out, *def, *users, *names, *u;

    out = json_deep_copy(list);

    json_array_foreach(out, i, def) {
        users = json_object_get(def, "users");

        if (!json_is_array(users)) {
            continue;
        }

        names = json_array();

        json_array_foreach(users, k, u) {
            json_array_append(names, json_array_get(u, 0));
        }

        json_object_set_new(def, "users", names);
    }

    return out;
}


/*
 * The route's middlewares on a request, in order from "from":
 * NGX_DECLINED once all let it on, a status where one answers, NGX_DONE
 * where one sent the response itself (and counted it), NGX_AGAIN where
 * one delayed it or waits for a call.
 */

ngx_int_t
ngx_http_swarm_middleware_run(ngx_http_request_t *r,
    ngx_http_swarm_ctx_t *ctx, ngx_http_swarm_mws_t *mws, ngx_uint_t from)
{
    ngx_int_t              rc;
    ngx_uint_t             i;
    ngx_http_swarm_mw_t   *mw;

    ctx->mws = mws;

    for (i = from; i < mws->n; i++) {
        ctx->ran = i + 1;
        mw = &mws->mw[i];

        rc = mw->handler(r, mw);

        if (rc == NGX_DECLINED) {
            continue;
        }

        if (rc == NGX_AGAIN || rc == NGX_BUSY) {
            /*
             * delayed: the phases run again, from the next one on; or
             * waiting for a call: from this one again
             */

            ctx->resume = 1;

            if (rc == NGX_BUSY) {
                ctx->ran = i;
            }

            return NGX_AGAIN;
        }

        if (rc == NGX_DONE) {
            /* the request is finalized (and counted), and may be freed */
            return NGX_DONE;
        }

        if (rc >= NGX_HTTP_OK) {
            ngx_http_swarm_answer(ctx, mw->kind, rc);
        }

        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "swarm middleware \"%s\": %i", mw->name, rc);

        return rc;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_swarm_middleware_build_basicauth(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    u_char                 *p;
    size_t                  len, k;
    const char             *realm, *field;
    ngx_http_swarm_auth_t  *a;

    mw->items = ngx_http_swarm_fields_list(json_object_get(def, "users"),
                                           NGX_HTTP_SWARM_FIELDS_PAIRS, pool,
                                           err, errlen);

    if (mw->items == NULL || mw->items->nelts == 0) {
        ngx_snprintf((u_char *) err, errlen, "middleware \"%s\": no users%Z",
                     mw->name);
        return NGX_ERROR;
    }

    realm = json_string_value(json_object_get(def, "realm"));
    if (realm == NULL) {
        realm = "traefik";
    }

    len = sizeof("Basic realm=\"\"") - 1 + ngx_strlen(realm);

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    mw->s1.data = p;
    mw->s1.len = ngx_sprintf(p, "Basic realm=\"%s\"", realm) - p;

    field = json_string_value(json_object_get(def, "headerfield"));
    mw->s2.data = (u_char *) (field ? field : "");
    mw->s2.len = ngx_strlen(mw->s2.data);

    a = ngx_pcalloc(pool, sizeof(ngx_http_swarm_auth_t));
    if (a == NULL) {
        return NGX_ERROR;
    }

    for (k = 0; k < sizeof(a->salt); k++) {
        a->salt[k] = (u_char) ngx_random();
    }

    mw->data = a;

    mw->flag = json_is_true(json_object_get(def, "removeheader"));

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_middleware_build_ipallowlist(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen)
{
    mw->items = ngx_http_swarm_fields_list(
                    json_object_get(def, "sourcerange"),
                    NGX_HTTP_SWARM_FIELDS_CIDRS, pool, err, errlen);
    if (mw->items == NULL) {
        return NGX_ERROR;
    }

    /* an ipstrategy: the address is X-Forwarded-For's */

    mw->depth = json_integer_value(json_object_get(def, "depth")) > 0
                || json_array_size(json_object_get(def, "excludedips")) > 0;
    mw->status = (ngx_uint_t) json_integer_value(json_object_get(def,
                                                                 "status"));
    if (mw->status == 0) {
        mw->status = NGX_HTTP_FORBIDDEN;
    }

    return NGX_OK;
}


/*
 * basicauth: a user of the list whose hash the password makes, checked
 * by nginx's ngx_crypt() (the system's crypt() for bcrypt); an unknown
 * user's password is hashed all the same, as Traefik does
 */

static ngx_int_t
ngx_http_swarm_middleware_basicauth(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    u_char                      *encrypted, md[20];
    ngx_int_t                    rc;
    ngx_uint_t                   i, ok;
    ngx_str_t                    name;
    ngx_table_elt_t             *h;
    ngx_http_swarm_auth_t       *a;
    ngx_http_swarm_mw_header_t  *user, *found;

    ok = 0;

    rc = ngx_http_auth_basic_user(r);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        user = mw->items->elts;
        found = NULL;

        for (i = 0; i < mw->items->nelts; i++) {
            if (user[i].name.len == r->headers_in.user.len
                && ngx_strncmp(user[i].name.data, r->headers_in.user.data,
                               user[i].name.len)
                   == 0)
            {
                found = &user[i];
                break;
            }
        }

        a = mw->data;

        if (found) {
            ngx_http_swarm_middleware_digest(a, r, md);

            for (i = 0; i < NGX_HTTP_SWARM_AUTH_KNOWN; i++) {
                if (ngx_memcmp(a->known[i], md, 20) == 0) {
                    ok = 1;
                    break;
                }
            }
        }

        if (!ok) {
            rc = ngx_crypt(r->pool, r->headers_in.passwd.data,
                           found ? found->value.data : user[0].value.data,
                           &encrypted);

            ok = (rc == NGX_OK && found
                  && ngx_strcmp(encrypted, found->value.data) == 0);

            if (ok) {
                ngx_memcpy(a->known[a->next++ % NGX_HTTP_SWARM_AUTH_KNOWN],
                           md, 20);
            }
        }
    }

    if (!ok) {
        ngx_str_set(&name, "WWW-Authenticate");

        h = ngx_http_swarm_fields_out_set(r, &name, &mw->s1);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.www_authenticate = h;

        return NGX_HTTP_UNAUTHORIZED;
    }

    if (mw->s2.len
        && ngx_http_swarm_fields_in_set(r, &mw->s2, &r->headers_in.user, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (mw->flag) {
        ngx_str_set(&name, "Authorization");

        if (ngx_http_swarm_fields_in_set(r, &name, NULL, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return NGX_DECLINED;
}


/* the salted SHA-1 of a request's user and password */

static void
ngx_http_swarm_middleware_digest(ngx_http_swarm_auth_t *a,
    ngx_http_request_t *r, u_char *md)
{
    ngx_sha1_t  sha1;

    ngx_sha1_init(&sha1);
    ngx_sha1_update(&sha1, a->salt, sizeof(a->salt));
    ngx_sha1_update(&sha1, r->headers_in.user.data, r->headers_in.user.len);
    ngx_sha1_update(&sha1, "", 1);
    ngx_sha1_update(&sha1, r->headers_in.passwd.data,
                    r->headers_in.passwd.len);
    ngx_sha1_final(md, &sha1);
}


/*
 * ipallowlist: the client's address, nginx's (after realip).  With an
 * ipstrategy, Traefik takes it from X-Forwarded-For, which its
 * entrypoint drops for a client it does not trust (forwardedHeaders):
 * there is none, and the request is refused, as Traefik refuses it.
 */

static ngx_int_t
ngx_http_swarm_middleware_ipallowlist(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    if (mw->depth == 0
        && ngx_cidr_match(r->connection->sockaddr, mw->items) == NGX_OK)
    {
        return NGX_DECLINED;
    }

    return mw->status;
}


/* the response headers of the headers middlewares that ran */

static ngx_int_t
ngx_http_swarm_middleware_header_filter(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_uint_t             i;
    ngx_http_swarm_ctx_t  *ctx;
    ngx_http_swarm_mw_t   *mw;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->mws == NULL) {
        return ngx_http_next_header_filter(r);
    }

    for (i = 0; i < ctx->ran; i++) {
        mw = &ctx->mws->mw[i];

        if (mw->response == NULL) {
            continue;
        }

        rc = mw->response(r, mw);

        if (rc == NGX_OK) {
            continue;
        }

        if (rc == NGX_DONE) {
            /* held back: another response takes its place */
            return NGX_OK;
        }

        if (rc > NGX_OK) {
            /* the response refused: the error page has none of theirs */
            ctx->ran = 0;
            ctx->response_max = NULL;

            return ngx_http_filter_finalize_request(r, &ngx_http_swarm_module,
                                                    rc);
        }

        return NGX_ERROR;
    }

    return ngx_http_next_header_filter(r);
}
