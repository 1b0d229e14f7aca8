
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The headers middleware, as Traefik's (pkg/middlewares/headers): its
 * custom request headers set before the task is picked, a CORS
 * preflight answered, and, as the response goes out, its custom
 * response headers, the security headers (Strict-Transport-Security
 * over TLS, or always with forceSTSHeader) and CORS headers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_headers.h"


/* CORS options (pkg/middlewares/headers/header.go) */

struct ngx_http_swarm_cors_s {
    ngx_array_t                *origins;
    ngx_array_t                *regexes;
    ngx_str_t                   allow_headers;
    ngx_str_t                   allow_methods;
    ngx_str_t                   expose_headers;
    ngx_int_t                   max_age;
    unsigned                    credentials:1;
    unsigned                    vary:1;
    unsigned                    star_headers:1;
    unsigned                    star_methods:1;
    unsigned                    star_expose:1;
};


static ngx_int_t ngx_http_swarm_headers_cors(ngx_http_request_t *r,
    ngx_http_swarm_cors_t *cors, ngx_uint_t preflight);
static ngx_int_t ngx_http_swarm_headers_allow(ngx_http_request_t *r,
    char *header, char *asked, ngx_str_t *list, ngx_uint_t echo);
static ngx_int_t ngx_http_swarm_headers_origin(ngx_http_swarm_cors_t *cors,
    ngx_str_t *origin, ngx_str_t *match);


ngx_int_t
ngx_http_swarm_headers_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    json_t                 *cors, *v;
    ngx_uint_t              star;
    const char             *s;
    ngx_http_swarm_cors_t  *c;

    mw->request = ngx_http_swarm_fields_list(json_object_get(def, "request"),
                                             NGX_HTTP_SWARM_FIELDS_PAIRS, pool,
                                             err, errlen);
    mw->headers = ngx_http_swarm_fields_list(json_object_get(def, "response"),
                                             NGX_HTTP_SWARM_FIELDS_PAIRS, pool,
                                             err, errlen);
    mw->items = ngx_http_swarm_fields_list(json_object_get(def, "secure"),
                                           NGX_HTTP_SWARM_FIELDS_PAIRS, pool,
                                           err, errlen);

    if (mw->request == NULL || mw->headers == NULL || mw->items == NULL) {
        return NGX_ERROR;
    }

    s = json_string_value(json_object_get(def, "sts"));

    if (s) {
        mw->sts.data = (u_char *) s;
        mw->sts.len = ngx_strlen(s);
    }

    mw->flag = json_is_true(json_object_get(def, "forcests"));
    mw->response = ngx_http_swarm_headers_response;

    cors = json_object_get(def, "cors");

    if (json_object_size(cors) == 0) {
        return NGX_OK;
    }

    c = ngx_pcalloc(pool, sizeof(ngx_http_swarm_cors_t));
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->origins = ngx_http_swarm_fields_list(
                     json_object_get(cors, "alloworiginlist"),
                     NGX_HTTP_SWARM_FIELDS_STRINGS, pool, err, errlen);
    c->regexes = ngx_http_swarm_fields_list(
                     json_object_get(cors, "alloworiginlistregex"),
                     NGX_HTTP_SWARM_FIELDS_REGEXES, pool, err, errlen);
    if (c->origins == NULL || c->regexes == NULL) {
        return NGX_ERROR;
    }

    c->credentials = json_is_true(json_object_get(cors, "allowcredentials"));
    c->vary = json_is_true(json_object_get(cors, "addvaryheader"));

    c->allow_headers = ngx_http_swarm_fields_join(
                           json_object_get(cors, "allowheaders"), pool,
                           &star);
    c->star_headers = star;
    c->allow_methods = ngx_http_swarm_fields_join(
                           json_object_get(cors, "allowmethods"), pool,
                           &star);
    c->star_methods = star;
    c->expose_headers = ngx_http_swarm_fields_join(
                            json_object_get(cors, "exposeheaders"), pool,
                            &star);
    c->star_expose = star;

    v = json_object_get(cors, "maxage");
    c->max_age = json_is_integer(v) ? (ngx_int_t) json_integer_value(v) : -2;

    mw->cors = c;

    return NGX_OK;
}


/* headers: a CORS preflight answered, the request's headers set */

ngx_int_t
ngx_http_swarm_headers_run(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_int_t                    rc;
    ngx_http_swarm_ctx_t        *ctx;
    ngx_uint_t                   i;
    ngx_http_swarm_mw_header_t  *h;

    if (mw->cors && r->method == NGX_HTTP_OPTIONS
        && ngx_http_swarm_fields_in(r, "Origin", 6)
        && ngx_http_swarm_fields_in(r, "Access-Control-Request-Method", 29))
    {
        if (ngx_http_swarm_headers_cors(r, mw->cors, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        /* as Traefik's: no custom response header on a preflight */

        ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);
        ctx->ran--;

        r->headers_out.status = NGX_HTTP_OK;
        r->headers_out.content_length_n = 0;
        r->header_only = 1;

        ngx_http_swarm_answer(ctx, mw->kind, NGX_HTTP_OK);

        rc = ngx_http_send_header(r);

        ngx_http_finalize_request(r, rc == NGX_ERROR ? NGX_ERROR : NGX_OK);

        return NGX_DONE;
    }

    h = mw->request->elts;

    for (i = 0; i < mw->request->nelts; i++) {
        if (ngx_http_swarm_fields_in_set(r, &h[i].name,
                                         h[i].value.len ? &h[i].value : NULL, 0)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return NGX_DECLINED;
}


/*
 * headers, on the response: the custom ones, the security ones (STS
 * over TLS, or always with forceSTSHeader), CORS
 */

ngx_int_t
ngx_http_swarm_headers_response(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    ngx_str_t                    name;
    ngx_uint_t                   i, tls;
    ngx_http_swarm_mw_header_t  *h;

    h = mw->headers->elts;

    for (i = 0; i < mw->headers->nelts; i++) {
        if (ngx_http_swarm_fields_out_set(r, &h[i].name, &h[i].value)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    h = mw->items->elts;

    for (i = 0; i < mw->items->nelts; i++) {
        if (ngx_http_swarm_fields_out_set(r, &h[i].name, &h[i].value)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    tls = 0;

#if (NGX_HTTP_SSL)
    tls = (r->connection->ssl != NULL);
#endif

    if (mw->sts.len && (tls || mw->flag)) {
        ngx_str_set(&name, "Strict-Transport-Security");

        if (ngx_http_swarm_fields_out_set(r, &name, &mw->sts) == NULL) {
            return NGX_ERROR;
        }
    }

    if (mw->cors && ngx_http_swarm_headers_cors(r, mw->cors, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * CORS headers: of a preflight, or of a response (header.go's
 * processCorsHeaders and PostRequestModifyResponseHeaders)
 */

static ngx_int_t
ngx_http_swarm_headers_cors(ngx_http_request_t *r, ngx_http_swarm_cors_t *cors,
    ngx_uint_t preflight)
{
    u_char           *p;
    ngx_str_t         name, value, match, vary;
    ngx_uint_t        i;
    ngx_table_elt_t  *origin, *h;
    ngx_list_part_t  *part;

    if (cors->credentials) {
        ngx_str_set(&name, "Access-Control-Allow-Credentials");
        ngx_str_set(&value, "true");

        if (ngx_http_swarm_fields_out_set(r, &name, &value) == NULL) {
            return NGX_ERROR;
        }
    }

    if (preflight
        && (ngx_http_swarm_headers_allow(r, "Access-Control-Allow-Headers",
                                         "Access-Control-Request-Headers",
                                         &cors->allow_headers,
                                         cors->star_headers
                                         && cors->credentials)
            != NGX_OK
            || ngx_http_swarm_headers_allow(r,
                                            "Access-Control-Allow-Methods",
                                            "Access-Control-Request-Method",
                                            &cors->allow_methods,
                                            cors->star_methods
                                            && cors->credentials)
               != NGX_OK))
    {
        return NGX_ERROR;
    }

    origin = ngx_http_swarm_fields_in(r, "Origin", 6);

    if (origin && ngx_http_swarm_headers_origin(cors, &origin->value, &match)
                  == NGX_OK)
    {
        ngx_str_set(&name, "Access-Control-Allow-Origin");

        if (ngx_http_swarm_fields_out_set(r, &name, &match) == NULL) {
            return NGX_ERROR;
        }
    }

    if (preflight && cors->max_age != -2) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        value.data = p;
        value.len = ngx_sprintf(p, "%i", cors->max_age) - p;

        ngx_str_set(&name, "Access-Control-Max-Age");

        if (ngx_http_swarm_fields_out_set(r, &name, &value) == NULL) {
            return NGX_ERROR;
        }
    }

    if (cors->expose_headers.len && !(cors->star_expose && cors->credentials))
    {
        ngx_str_set(&name, "Access-Control-Expose-Headers");

        if (ngx_http_swarm_fields_out_set(r, &name, &cors->expose_headers)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    if (preflight || !cors->vary) {
        return NGX_OK;
    }

    /* Vary: Origin, added to what the response has */

    ngx_str_set(&name, "Vary");

    part = &r->headers_out.headers.part;
    i = 0;

    do {
        h = ngx_http_swarm_fields_next(&part, &i, &name);
    } while (h && h->hash == 0);

    if (h == NULL) {
        ngx_str_set(&vary, "Origin");
        return ngx_http_swarm_fields_out_set(r, &name, &vary) ? NGX_OK
                                                              : NGX_ERROR;
    }

    if (h->value.len == 6
        && ngx_strncmp(h->value.data, "Origin", 6) == 0)
    {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, h->value.len + sizeof(",Origin") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    vary.data = p;
    vary.len = ngx_sprintf(p, "%V,Origin", &h->value) - p;

    return ngx_http_swarm_fields_out_set(r, &name, &vary) ? NGX_OK
                                                          : NGX_ERROR;
}


/*
 * A preflight's Access-Control-Allow-Headers or -Methods: the list, or,
 * where it is "*" with credentials, what the request asks for
 */

static ngx_int_t
ngx_http_swarm_headers_allow(ngx_http_request_t *r, char *header,
    char *asked, ngx_str_t *list, ngx_uint_t echo)
{
    ngx_str_t         name;
    ngx_table_elt_t  *h;

    name.data = (u_char *) header;
    name.len = ngx_strlen(header);

    if (echo) {
        h = ngx_http_swarm_fields_in(r, asked, ngx_strlen(asked));

        if (h && ngx_http_swarm_fields_out_set(r, &name, &h->value) == NULL) {
            return NGX_ERROR;
        }

        return NGX_OK;
    }

    if (list->len && ngx_http_swarm_fields_out_set(r, &name, list) == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* header.go's matchOrigin() */

static ngx_int_t
ngx_http_swarm_headers_origin(ngx_http_swarm_cors_t *cors, ngx_str_t *origin,
    ngx_str_t *match)
{
    void       **re;
    ngx_str_t   *s;
    ngx_uint_t   i;

    s = cors->origins->elts;

    for (i = 0; i < cors->origins->nelts; i++) {
        if (s[i].len == origin->len
            && ngx_strncmp(s[i].data, origin->data, origin->len) == 0)
        {
            *match = s[i];
            return NGX_OK;
        }

        if (s[i].len == 1 && s[i].data[0] == '*') {
            *match = cors->credentials ? *origin : s[i];
            return NGX_OK;
        }
    }

#if (NGX_PCRE)
    re = cors->regexes->elts;

    for (i = 0; i < cors->regexes->nelts; i++) {
        if (ngx_regex_exec(re[i], origin, NULL, 0) >= 0) {
            *match = *origin;
            return NGX_OK;
        }
    }
#else
    (void) re;
#endif

    return NGX_DECLINED;
}
