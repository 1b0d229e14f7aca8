
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The middlewares that redirect (redirectscheme, redirectregex) or change
 * the path the task receives (stripprefix, stripprefixregex, addprefix,
 * replacepath, replacepathregex), as Traefik's (pkg/middlewares/redirect,
 * stripprefix, addprefix, replacepath...).  A changed path is sent as
 * rewrite sends one: escaped, from nginx's path.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_rewrite.h"


static ngx_int_t ngx_http_swarm_rewrite_redirect(ngx_http_request_t *r,
    ngx_str_t *location, ngx_uint_t permanent);
static ngx_int_t ngx_http_swarm_rewrite_replace(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw, ngx_str_t *subject, ngx_str_t *out);
static ngx_int_t ngx_http_swarm_rewrite_uri(ngx_http_request_t *r, u_char *p1,
    size_t l1, u_char *p2, size_t l2);


ngx_int_t
ngx_http_swarm_rewrite_build_scheme(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen)
{
    const char  *s;

    s = json_string_value(json_object_get(def, "scheme"));
    mw->s1.data = (u_char *) (s ? s : "https");
    mw->s1.len = ngx_strlen(mw->s1.data);

    s = json_string_value(json_object_get(def, "port"));
    mw->s2.data = (u_char *) (s ? s : "");
    mw->s2.len = ngx_strlen(mw->s2.data);

    mw->flag = json_is_true(json_object_get(def, "permanent"));

    return NGX_OK;
}


ngx_int_t
ngx_http_swarm_rewrite_build_regex(ngx_http_swarm_mw_t *mw,
    json_t *def, ngx_pool_t *pool, char *err, size_t errlen)
{
    const char  *s;

    s = json_string_value(json_object_get(def, "replacement"));
    mw->s1.data = (u_char *) (s ? s : "");
    mw->s1.len = ngx_strlen(mw->s1.data);

    mw->flag = json_is_true(json_object_get(def, "permanent"));

    s = json_string_value(json_object_get(def, "regex"));

    mw->once = (s && s[0] == '^');
    mw->regex = ngx_http_swarm_match_regex(pool, s ? s : "", 0, err, errlen);

    return mw->regex ? NGX_OK : NGX_ERROR;
}


/* the path middlewares: prefixes or regexes, a replacement, a prefix */

ngx_int_t
ngx_http_swarm_rewrite_build_path(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    json_t      *v;
    const char  *s;

    v = json_object_get(def, "prefixes");

    if (json_is_array(v)) {
        mw->items = ngx_http_swarm_fields_list(v,
                                               NGX_HTTP_SWARM_FIELDS_STRINGS,
                                               pool, err, errlen);
        if (mw->items == NULL) {
            return NGX_ERROR;
        }
    }

    v = json_object_get(def, "regex");

    if (json_is_array(v)) {
        mw->items = ngx_http_swarm_fields_list(v,
                                               NGX_HTTP_SWARM_FIELDS_REGEXES,
                                               pool, err, errlen);
        if (mw->items == NULL) {
            return NGX_ERROR;
        }

    } else if (json_is_string(v)) {
        mw->once = (json_string_value(v)[0] == '^');
        mw->regex = ngx_http_swarm_match_regex(pool, json_string_value(v), 0,
                                               err, errlen);
        if (mw->regex == NULL) {
            return NGX_ERROR;
        }
    }

    s = json_string_value(json_object_get(def, "replacement"));

    if (s == NULL) {
        s = json_string_value(json_object_get(def, "prefix"));
    }

    if (s == NULL) {
        s = json_string_value(json_object_get(def, "path"));
    }

    mw->s1.data = (u_char *) (s ? s : "");
    mw->s1.len = ngx_strlen(mw->s1.data);

    mw->flag = json_is_true(json_object_get(def, "forceslash"));

    return NGX_OK;
}


/*
 * redirectscheme: the URL the client asked for, as Traefik makes it
 * (scheme, Host with its port unless the scheme's own, the request's
 * URI), with the scheme and port given; a redirect where that differs
 */

ngx_int_t
ngx_http_swarm_rewrite_scheme(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    u_char     *p, *colon;
    size_t      len;
    ngx_str_t   host, port, scheme, old, new;

    ngx_str_set(&scheme, "http");

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https");
    }
#endif

    if (r->headers_in.host) {
        host = r->headers_in.host->value;

    } else {
        host = r->headers_in.server;
    }

    ngx_str_null(&port);

    colon = ngx_strlchr(host.data, host.data + host.len, ':');

    if (colon && (host.data[0] != '[' || colon[-1] == ']')) {

        /* a bracketed IPv6 address: its port after "]:" */

        if (host.data[0] == '[') {
            colon = (u_char *) ngx_strlchr(colon, host.data + host.len, ']');
            colon = colon ? colon + 1 : host.data + host.len;
        }

        port.data = colon + 1;
        port.len = host.data + host.len - port.data;
        host.len = colon - host.data;
    }

    if ((scheme.len == 4 && port.len == 2 && ngx_strncmp(port.data, "80", 2)
         == 0)
        || (scheme.len == 5 && port.len == 3
            && ngx_strncmp(port.data, "443", 3) == 0))
    {
        port.len = 0;
    }

    len = ngx_max(scheme.len, mw->s1.len) + 3 + host.len + 1
          + ngx_max(port.len, mw->s2.len) + r->unparsed_uri.len;

    p = ngx_pnalloc(r->pool, 2 * len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    old.data = p;
    old.len = (port.len ? ngx_sprintf(p, "%V://%V:%V%V", &scheme, &host,
                                      &port, &r->unparsed_uri)
                        : ngx_sprintf(p, "%V://%V%V", &scheme, &host,
                                      &r->unparsed_uri))
              - p;

    new.data = p + len;
    new.len = (mw->s2.len ? ngx_sprintf(new.data, "%V://%V:%V%V", &mw->s1,
                                        &host, &mw->s2, &r->unparsed_uri)
                          : ngx_sprintf(new.data, "%V://%V%V", &mw->s1,
                                        &host, &r->unparsed_uri))
              - new.data;

    if (new.len == old.len && ngx_strncmp(new.data, old.data, old.len) == 0)
    {
        return NGX_DECLINED;
    }

    return ngx_http_swarm_rewrite_redirect(r, &new, mw->flag);
}


/* redirectregex: on the URL as Traefik's rawURL() makes it */

ngx_int_t
ngx_http_swarm_rewrite_regex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    u_char     *p;
    ngx_str_t   host, old, new, scheme;

    ngx_str_set(&scheme, "http");

#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        ngx_str_set(&scheme, "https");
    }
#endif

    host = r->headers_in.host ? r->headers_in.host->value
                              : r->headers_in.server;

    p = ngx_pnalloc(r->pool, scheme.len + 3 + host.len
                             + r->unparsed_uri.len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    old.data = p;
    old.len = ngx_sprintf(p, "%V://%V%V", &scheme, &host, &r->unparsed_uri)
              - p;

    switch (ngx_http_swarm_rewrite_replace(r, mw, &old, &new)) {

    case NGX_DECLINED:
        return NGX_DECLINED;

    case NGX_ERROR:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (new.len == old.len && ngx_strncmp(new.data, old.data, old.len) == 0)
    {
        return NGX_DECLINED;
    }

    return ngx_http_swarm_rewrite_redirect(r, &new, mw->flag);
}


/* stripprefix: the first prefix the path starts with, and its header */

ngx_int_t
ngx_http_swarm_rewrite_stripprefix(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    u_char      *p;
    size_t       len;
    ngx_str_t   *prefix, name;
    ngx_uint_t   i;

    prefix = mw->items->elts;

    for (i = 0; i < mw->items->nelts; i++) {
        if (prefix[i].len > r->uri.len
            || ngx_strncmp(r->uri.data, prefix[i].data, prefix[i].len) != 0)
        {
            continue;
        }

        p = r->uri.data + prefix[i].len;
        len = r->uri.len - prefix[i].len;

        if (mw->flag) {
            while (len && *p == '/') {
                p++;
                len--;
            }
        }

        /* a path that is left empty is "/", as Go sends it */

        if (len && *p == '/') {
            if (ngx_http_swarm_rewrite_uri(r, NULL, 0, p, len) != NGX_OK) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

        } else if (ngx_http_swarm_rewrite_uri(r, (u_char *) "/", 1, p, len)
                   != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&name, "X-Forwarded-Prefix");

        if (ngx_http_swarm_fields_in_set(r, &name, &prefix[i], 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        break;
    }

    return NGX_DECLINED;
}


/* stripprefixregex: the first match that starts the path */

ngx_int_t
ngx_http_swarm_rewrite_stripprefixregex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
#if (NGX_PCRE)
    int          caps[3];
    u_char      *p;
    size_t       len;
    void       **re;
    ngx_str_t    name, prefix;
    ngx_uint_t   i;

    re = mw->items->elts;

    for (i = 0; i < mw->items->nelts; i++) {
        if (ngx_regex_exec(re[i], &r->uri, caps, 3) < 0
            || caps[1] == caps[0] || caps[0] != 0)
        {
            continue;
        }

        prefix.len = caps[1];
        prefix.data = ngx_pnalloc(r->pool, prefix.len);
        if (prefix.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(prefix.data, r->uri.data, prefix.len);

        p = r->uri.data + prefix.len;
        len = r->uri.len - prefix.len;

        if (ngx_http_swarm_rewrite_uri(r, (u_char *) "/",
                                       (len && *p == '/') ? 0 : 1, p, len)
            != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_str_set(&name, "X-Forwarded-Prefix");

        if (ngx_http_swarm_fields_in_set(r, &name, &prefix, 1) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        break;
    }
#endif

    return NGX_DECLINED;
}


ngx_int_t
ngx_http_swarm_rewrite_addprefix(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    if (ngx_http_swarm_rewrite_uri(r, mw->s1.data, mw->s1.len, r->uri.data,
                                   r->uri.len)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* replacepath: the path given, the old one in X-Replaced-Path */

ngx_int_t
ngx_http_swarm_rewrite_replacepath(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    ngx_str_t  name, old;

    old = r->uri;

    ngx_str_set(&name, "X-Replaced-Path");

    if (ngx_http_swarm_fields_in_set(r, &name, &old, 0) != NGX_OK
        || ngx_http_swarm_rewrite_uri(r, mw->s1.data, mw->s1.len, NULL, 0)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* replacepathregex: where the expression matches the path */

ngx_int_t
ngx_http_swarm_rewrite_replacepathregex(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw)
{
    ngx_int_t  rc;
    ngx_str_t  name, old, new;

    if (mw->s1.len == 0) {
        return NGX_DECLINED;
    }

    old = r->uri;

    rc = ngx_http_swarm_rewrite_replace(r, mw, &old, &new);

    if (rc == NGX_DECLINED) {
        return NGX_DECLINED;
    }

    ngx_str_set(&name, "X-Replaced-Path");

    if (rc == NGX_ERROR
        || ngx_http_swarm_fields_in_set(r, &name, &old, 0) != NGX_OK
        || ngx_http_swarm_rewrite_uri(r, new.data, new.len, NULL, 0) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* a redirect to location: 301, 308, 302 or 307, as Traefik answers */

static ngx_int_t
ngx_http_swarm_rewrite_redirect(ngx_http_request_t *r, ngx_str_t *location,
    ngx_uint_t permanent)
{
    ngx_uint_t        get;
    ngx_str_t         name;
    ngx_table_elt_t  *h;

    ngx_http_clear_location(r);

    ngx_str_set(&name, "Location");

    h = ngx_http_swarm_fields_out_set(r, &name, location);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.location = h;

    get = (r->method == NGX_HTTP_GET);

    if (permanent) {
        return get ? NGX_HTTP_MOVED_PERMANENTLY : NGX_HTTP_PERMANENT_REDIRECT;
    }

    return get ? NGX_HTTP_MOVED_TEMPORARILY : NGX_HTTP_TEMPORARY_REDIRECT;
}


/*
 * Go's ReplaceAllString: every match in subject replaced, "$1" its
 * groups: NGX_OK with out, NGX_DECLINED where nothing matches
 */

#define NGX_HTTP_SWARM_MW_CAPS  30

static ngx_int_t
ngx_http_swarm_rewrite_replace(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw,
    ngx_str_t *subject, ngx_str_t *out)
{
#if (NGX_PCRE)
    int          caps[NGX_HTTP_SWARM_MW_CAPS], rc;
    u_char      *p;
    char        *to;
    size_t       len, pos, n, i, ncaps;
    ngx_str_t    rest;
    ngx_uint_t   pass, matched;

    /* twice: the length, then the text */

    ncaps = NGX_HTTP_SWARM_MW_CAPS / 3;
    p = NULL;
    len = 0;

    for (pass = 0; pass < 2; pass++) {
        pos = 0;
        len = 0;
        matched = 0;

        while (pos <= subject->len) {
            rest.data = subject->data + pos;
            rest.len = subject->len - pos;

            rc = ngx_regex_exec(mw->regex, &rest, caps,
                                NGX_HTTP_SWARM_MW_CAPS);

            /*
             * a search from a later place has no view of what is before
             * it: "^" would match there again, so an expression that
             * starts with it matches once
             */

            if (rc < 0 || (matched && mw->once)) {
                break;
            }

            matched = 1;
            n = (rc == 0) ? NGX_HTTP_SWARM_MW_CAPS / 3 : (size_t) rc;

            for (i = n; i < NGX_HTTP_SWARM_MW_CAPS / 3; i++) {
                caps[2 * i] = -1;
            }

            if (p) {
                ngx_memcpy(p + len, rest.data, caps[0]);
            }

            len += caps[0];

            to = p ? (char *) p + len : NULL;

            len += ngx_http_swarm_middlewares_expand((char *) mw->s1.data,
                                                     mw->s1.len,
                                                     (char *) rest.data,
                                                     caps, ncaps, to,
                                                     p ? (size_t) -1 : 0);

            if (caps[1] == caps[0]) {

                /* an empty match: the next byte is kept, and passed */

                if ((size_t) caps[1] < rest.len) {
                    if (p) {
                        p[len] = rest.data[caps[1]];
                    }

                    len++;
                }

                pos += caps[1] + 1;

            } else {
                pos += caps[1];
            }
        }

        if (!matched) {
            return NGX_DECLINED;
        }

        if (pos < subject->len) {
            if (p) {
                ngx_memcpy(p + len, subject->data + pos, subject->len - pos);
            }

            len += subject->len - pos;
        }

        if (p == NULL) {
            p = ngx_pnalloc(r->pool, len + 1);
            if (p == NULL) {
                return NGX_ERROR;
            }
        }
    }

    out->data = p;
    out->len = len;

    return NGX_OK;

#else

    return NGX_DECLINED;

#endif
}


/*
 * The request's path made p1 then p2, sent as it is now (escaped) and
 * not as the client wrote it, as rewrite does
 */

static ngx_int_t
ngx_http_swarm_rewrite_uri(ngx_http_request_t *r, u_char *p1, size_t l1,
    u_char *p2, size_t l2)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, l1 + l2 + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    r->uri.data = p;

    p = ngx_cpymem(p, p1, l1);
    p = ngx_cpymem(p, p2, l2);

    r->uri.len = p - r->uri.data;

    if (r->uri.len == 0) {
        *p++ = '/';
        r->uri.len = 1;
    }

    r->valid_unparsed_uri = 0;
    r->quoted_uri = 1;

    return NGX_OK;
}
