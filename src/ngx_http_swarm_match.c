
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The conditions of route rules (lib/ngx_http_swarm_rule.c) that the
 * request decides beyond its host and path: its method, headers, query
 * and client address, and regular expressions.  Each copy of a routes
 * upstream compiles its rules' expressions and networks into its pool
 * (off the request path); worker 0 compiles each as it reads labels, so
 * that one nginx's PCRE refuses is not routed, with a note.  A request
 * is tested as Traefik's matchers see it (pkg/muxer/http/matcher.go):
 * headers as its entrypoint leaves them (the client's X-Forwarded-*
 * and X-Real-Ip replaced by its own, those named in Connection
 * dropped), the query as Go's url.Query() reads it ("&" and ";" between
 * parameters, "+" and "%XX" decoded, a parameter that does not decode
 * dropped), the address nginx sees (after realip).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_match.h"


static int ngx_http_swarm_match_value(const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_cond_t *c, u_char *s, size_t len);
static int ngx_http_swarm_match_header(ngx_http_request_t *r,
    const ngx_http_swarm_rule_t *rule, const ngx_http_swarm_cond_t *c);
static ngx_table_elt_t *ngx_http_swarm_match_line(ngx_list_part_t **part,
    ngx_uint_t *i, const char *name, size_t len);
static ngx_int_t ngx_http_swarm_match_own(ngx_http_request_t *r,
    const char *name, ngx_str_t *value);
static int ngx_http_swarm_match_token(ngx_http_request_t *r,
    const char *name, const char *token, size_t len);
static int ngx_http_swarm_match_query(ngx_http_request_t *r,
    const ngx_http_swarm_rule_t *rule, const ngx_http_swarm_cond_t *c);
static ngx_int_t ngx_http_swarm_match_unescape(u_char *dst, u_char *src,
    size_t len, size_t *out);
static int ngx_http_swarm_match_same(const u_char *a, size_t alen,
    const char *b);


/* the headers Traefik sets itself (forwardedheaders.XHeadersSet) */

static const char  *ngx_http_swarm_match_xheaders[] = {
    "X-Forwarded-Proto", "X-Forwarded-For", "X-Forwarded-Host",
    "X-Forwarded-Port", "X-Forwarded-Server", "X-Forwarded-Uri",
    "X-Forwarded-Method", "X-Forwarded-Prefix",
    "X-Forwarded-Tls-Client-Cert", "X-Forwarded-Tls-Client-Cert-Info",
    "X-Real-Ip", NULL
};


/*
 * A rule's conditions made ready in pool: their expressions compiled,
 * their networks parsed.  NGX_ERROR with why in err.
 */

ngx_int_t
ngx_http_swarm_match_compile(ngx_http_swarm_rule_t *rule, ngx_pool_t *pool,
    char *err, size_t errlen)
{
    size_t                  i, k;
    ngx_str_t               s;
    ngx_cidr_t             *cidr;
    ngx_array_t            *cidrs;
    ngx_http_swarm_cond_t  *c;

    for (i = 0; i < rule->nconds; i++) {
        c = &rule->conds[i];

        switch (c->type) {

        case NGX_HTTP_SWARM_COND_HOST_REGEXP:
        case NGX_HTTP_SWARM_COND_PATH_REGEXP:
        case NGX_HTTP_SWARM_COND_HEADER_REGEXP:
        case NGX_HTTP_SWARM_COND_QUERY_REGEXP:
            if (c->nvalues == 0) {
                break;
            }

            c->data = ngx_http_swarm_match_regex(pool,
                                                 rule->values[c->value],
                                                 c->caseless, err, errlen);
            if (c->data == NULL) {
                return NGX_ERROR;
            }

            break;

        case NGX_HTTP_SWARM_COND_CLIENT_IP:
            cidrs = ngx_array_create(pool, c->nvalues, sizeof(ngx_cidr_t));
            if (cidrs == NULL) {
                return NGX_ERROR;
            }

            for (k = 0; k < c->nvalues; k++) {
                s.data = (u_char *) rule->values[c->value + k];
                s.len = ngx_strlen(s.data);

                cidr = ngx_array_push(cidrs);

                /* NGX_DONE: an address with bits past the mask, as Go's */

                if (cidr == NULL || ngx_ptocidr(&s, cidr) == NGX_ERROR) {
                    ngx_snprintf((u_char *) err, errlen, "invalid ClientIP "
                                 "\"%V\"%Z", &s);
                    return NGX_ERROR;
                }
            }

            c->data = cidrs;
            break;
        }
    }

    return NGX_OK;
}


/*
 * Whether this nginx runs a rule's regular expression: for worker 0 as
 * it reads labels (ngx_http_swarm_selector_t's "regex")
 */

int
ngx_http_swarm_match_check(const char *re, unsigned caseless, char *err,
    size_t errlen)
{
    void        *regex;
    ngx_pool_t  *pool;

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ngx_cycle->log);
    if (pool == NULL) {
        ngx_snprintf((u_char *) err, errlen, "out of memory%Z");
        return NGX_HTTP_SWARM_FAILED;
    }

    regex = ngx_http_swarm_match_regex(pool, re, caseless, err, errlen);

    ngx_destroy_pool(pool);

    return regex ? NGX_HTTP_SWARM_DONE : NGX_HTTP_SWARM_FAILED;
}


/*
 * A regular expression of a rule or a middleware, compiled in the pool:
 * NULL with why in err if PCRE refuses it
 */

void *
ngx_http_swarm_match_regex(ngx_pool_t *pool, const char *re,
    unsigned caseless, char *err, size_t errlen)
{
#if (NGX_PCRE)
    ngx_regex_compile_t  rc;
    u_char               errstr[NGX_MAX_CONF_ERRSTR];

    ngx_memzero(&rc, sizeof(ngx_regex_compile_t));

    rc.pattern.data = (u_char *) re;
    rc.pattern.len = ngx_strlen(re);
    rc.pool = pool;
    rc.options = caseless ? NGX_REGEX_CASELESS : 0;
    rc.err.len = NGX_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (ngx_regex_compile(&rc) != NGX_OK) {
        ngx_snprintf((u_char *) err, errlen, "regular expression \"%*s\": "
                     "%V%Z", (size_t) ngx_min(rc.pattern.len, 64),
                     rc.pattern.data, &rc.err);
        return NULL;
    }

    return rc.regex;

#else

    ngx_snprintf((u_char *) err, errlen, "regular expression \"%s\": nginx "
                 "was built without PCRE%Z", re);
    return NULL;

#endif
}


/*
 * Whether request "data" meets condition c (its "negate" aside): the
 * test of ngx_http_swarm_routes_find()
 */

int
ngx_http_swarm_match_test(void *data, const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_cond_t *c, const char *host, size_t hlen,
    const char *path, size_t plen)
{
    ngx_http_request_t  *r = data;

    size_t  k;

    switch (c->type) {

    case NGX_HTTP_SWARM_COND_HOST_REGEXP:
        return ngx_http_swarm_match_value(rule, c, (u_char *) host, hlen);

    case NGX_HTTP_SWARM_COND_PATH_REGEXP:
        return ngx_http_swarm_match_value(rule, c, (u_char *) path, plen);

    case NGX_HTTP_SWARM_COND_METHOD:
        for (k = 0; k < c->nvalues; k++) {
            if (ngx_http_swarm_match_same(r->method_name.data,
                                          r->method_name.len,
                                          rule->values[c->value + k]))
            {
                return 1;
            }
        }

        return 0;

    case NGX_HTTP_SWARM_COND_HEADER:
    case NGX_HTTP_SWARM_COND_HEADER_REGEXP:
        return ngx_http_swarm_match_header(r, rule, c);

    case NGX_HTTP_SWARM_COND_QUERY:
    case NGX_HTTP_SWARM_COND_QUERY_REGEXP:
        return ngx_http_swarm_match_query(r, rule, c);

    case NGX_HTTP_SWARM_COND_CLIENT_IP:
        return c->data
               && ngx_cidr_match(r->connection->sockaddr, c->data) == NGX_OK;
    }

    return 0;
}


/*
 * whether a value meets a condition: its expression finds a match in
 * it, or it is one of the values; any value where none is given
 */

static int
ngx_http_swarm_match_value(const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_cond_t *c, u_char *s, size_t len)
{
    size_t     k;
#if (NGX_PCRE)
    ngx_str_t  str;
#endif

    if (c->nvalues == 0) {
        return 1;
    }

    switch (c->type) {

    case NGX_HTTP_SWARM_COND_HOST_REGEXP:
    case NGX_HTTP_SWARM_COND_PATH_REGEXP:
    case NGX_HTTP_SWARM_COND_HEADER_REGEXP:
    case NGX_HTTP_SWARM_COND_QUERY_REGEXP:
#if (NGX_PCRE)
        str.data = s;
        str.len = len;

        return c->data && ngx_regex_exec(c->data, &str, NULL, 0) >= 0;
#else
        return 0;
#endif
    }

    for (k = 0; k < c->nvalues; k++) {
        if (ngx_http_swarm_match_same(s, len, rule->values[c->value + k])) {
            return 1;
        }
    }

    return 0;
}


/*
 * Header(`name`, ...): any line of the header as Traefik's router sees
 * it: not Host (Go's request keeps it apart), not one named in
 * Connection, Traefik's own for its X- headers
 */

static int
ngx_http_swarm_match_header(ngx_http_request_t *r,
    const ngx_http_swarm_rule_t *rule, const ngx_http_swarm_cond_t *c)
{
    size_t            len;
    ngx_str_t         own;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = ngx_strlen(c->name);

    if (len == 4 && ngx_strncasecmp((u_char *) c->name, (u_char *) "Host", 4)
                    == 0)
    {
        return 0;
    }

    switch (ngx_http_swarm_match_own(r, c->name, &own)) {

    case NGX_OK:
        return ngx_http_swarm_match_value(rule, c, own.data, own.len);

    case NGX_DECLINED:
        return 0;
    }

    if (ngx_http_swarm_match_token(r, "Connection", c->name, len)) {
        return 0;
    }

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_match_line(&part, &i, c->name, len))) {
        if (ngx_http_swarm_match_value(rule, c, h->value.data,
                                       h->value.len))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * the next line of a header (of r->headers_in.headers, from part and i
 * on), or NULL
 */

static ngx_table_elt_t *
ngx_http_swarm_match_line(ngx_list_part_t **part, ngx_uint_t *i,
    const char *name, size_t len)
{
    ngx_table_elt_t  *h;

    for ( ;; ) {

        if (*i >= (*part)->nelts) {
            if ((*part)->next == NULL) {
                return NULL;
            }

            *part = (*part)->next;
            *i = 0;
            continue;
        }

        h = &((ngx_table_elt_t *) (*part)->elts)[(*i)++];

        if (h->key.len == len
            && ngx_strncasecmp(h->key.data, (u_char *) name, len) == 0)
        {
            return h;
        }
    }
}


/*
 * Traefik's X- header of a name ("_" for "-" too) as its entrypoint
 * sets it for a client it does not trust (forwardedheaders, rewrite()):
 * NGX_OK with its value, NGX_DECLINED where it has none, NGX_AGAIN for
 * a header not Traefik's
 */

static ngx_int_t
ngx_http_swarm_match_own(ngx_http_request_t *r, const char *name,
    ngx_str_t *value)
{
    u_char      *colon;
    size_t       len, k;
    ngx_uint_t   i, tls;
    const char  *x;

    len = ngx_strlen(name);

    for (i = 0; ngx_http_swarm_match_xheaders[i]; i++) {
        x = ngx_http_swarm_match_xheaders[i];

        if (ngx_strlen(x) != len) {
            continue;
        }

        for (k = 0; k < len; k++) {
            if (ngx_tolower(name[k]) != ngx_tolower(x[k])
                && !(name[k] == '_' && x[k] == '-'))
            {
                break;
            }
        }

        if (k == len) {
            break;
        }
    }

    if (ngx_http_swarm_match_xheaders[i] == NULL) {
        return NGX_AGAIN;
    }

    tls = 0;

#if (NGX_HTTP_SSL)
    tls = (r->connection->ssl != NULL);
#endif

    switch (i) {

    case 0:
        /* X-Forwarded-Proto: ws(s) for a WebSocket upgrade */

        if (ngx_http_swarm_match_token(r, "Connection", "upgrade", 7)
            && ngx_http_swarm_match_token(r, "Upgrade", "websocket", 9))
        {
            value->data = (u_char *) (tls ? "wss" : "ws");

        } else {
            value->data = (u_char *) (tls ? "https" : "http");
        }

        value->len = ngx_strlen(value->data);

        return NGX_OK;

    case 2:
        if (r->headers_in.host == NULL) {
            return NGX_DECLINED;
        }

        *value = r->headers_in.host->value;
        return NGX_OK;

    case 3:
        /* X-Forwarded-Port: the Host's, else the scheme's */

        if (r->headers_in.host) {
            *value = r->headers_in.host->value;
            colon = ngx_strlchr(value->data, value->data + value->len, ']');
            colon = ngx_strlchr(colon ? colon : value->data,
                                value->data + value->len, ':');

            if (colon && colon + 1 < value->data + value->len) {
                value->len -= colon + 1 - value->data;
                value->data = colon + 1;
                return NGX_OK;
            }
        }

        if (tls) {
            ngx_str_set(value, "443");

        } else {
            ngx_str_set(value, "80");
        }

        return NGX_OK;

    case 4:
        *value = ngx_cycle->hostname;
        return NGX_OK;

    case 10:
        *value = r->connection->addr_text;
        return NGX_OK;
    }

    return NGX_DECLINED;
}


/* whether the lines of a header list a token, in any case */

static int
ngx_http_swarm_match_token(ngx_http_request_t *r, const char *name,
    const char *token, size_t len)
{
    u_char           *p, *end, *start;
    size_t            nlen;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    nlen = ngx_strlen(name);
    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_match_line(&part, &i, name, nlen))) {
        p = h->value.data;
        end = p + h->value.len;

        while (p < end) {
            while (p < end && (*p == ' ' || *p == '\t' || *p == ',')) {
                p++;
            }

            start = p;

            while (p < end && *p != ',') {
                p++;
            }

            while (p > start && (p[-1] == ' ' || p[-1] == '\t')) {
                p--;
            }

            if ((size_t) (p - start) == len
                && ngx_strncasecmp(start, (u_char *) token, len) == 0)
            {
                return 1;
            }

            while (p < end && *p != ',') {
                p++;
            }
        }
    }

    return 0;
}


/* Query(`key`, ...): a value of the key (v2: its first) */

static int
ngx_http_swarm_match_query(ngx_http_request_t *r,
    const ngx_http_swarm_rule_t *rule, const ngx_http_swarm_cond_t *c)
{
    u_char  *p, *end, *pair, *eq, *buf;
    size_t   klen, vlen;

    if (r->args.len == 0) {
        return 0;
    }

    buf = ngx_pnalloc(r->pool, r->args.len);
    if (buf == NULL) {
        return 0;
    }

    p = r->args.data;
    end = p + r->args.len;

    while (p < end) {
        pair = p;

        while (p < end && *p != '&' && *p != ';') {
            p++;
        }

        eq = ngx_strlchr(pair, p, '=');

        if (ngx_http_swarm_match_unescape(buf, pair, (eq ? eq : p) - pair,
                                          &klen)
            != NGX_OK
            || klen == 0
            || !ngx_http_swarm_match_same(buf, klen, c->name))
        {
            p += (p < end);
            continue;
        }

        if (eq) {
            if (ngx_http_swarm_match_unescape(buf, eq + 1, p - eq - 1, &vlen)
                != NGX_OK)
            {
                p += (p < end);
                continue;
            }

        } else {
            vlen = 0;
        }

        if (ngx_http_swarm_match_value(rule, c, buf, vlen)) {
            return 1;
        }

        if (c->first) {
            return 0;
        }

        p += (p < end);
    }

    return 0;
}


/* Go's url.QueryUnescape(): "+" a space, "%XX" a byte, else NGX_ERROR */

static ngx_int_t
ngx_http_swarm_match_unescape(u_char *dst, u_char *src, size_t len,
    size_t *out)
{
    u_char      c;
    size_t      i, n;
    ngx_int_t   hi, lo;

    for (i = 0, n = 0; i < len; i++) {
        c = src[i];

        if (c == '+') {
            c = ' ';

        } else if (c == '%') {
            if (i + 2 >= len) {
                return NGX_ERROR;
            }

            hi = ngx_hextoi(&src[i + 1], 1);
            lo = ngx_hextoi(&src[i + 2], 1);

            if (hi == NGX_ERROR || lo == NGX_ERROR) {
                return NGX_ERROR;
            }

            c = (u_char) (hi * 16 + lo);
            i += 2;
        }

        dst[n++] = c;
    }

    *out = n;

    return NGX_OK;
}


static int
ngx_http_swarm_match_same(const u_char *a, size_t alen, const char *b)
{
    return ngx_strlen(b) == alen && ngx_strncmp(a, b, alen) == 0;
}
