
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Routing rules to the matches a route is chosen by: Traefik v2 and v3
 * rules (Host, HostHeader, Path, PathPrefix, "&&", "||", parentheses),
 * Traefik v1 frontend rules ("Host:a,b;PathPrefix:/p"), and the native
 * swarm.http.host and swarm.http.path labels.  A rule comes out as the
 * "or" of matches, each a set of host names (or any host) and a path,
 * exact or a prefix.  Anything else (HostRegexp, Headers, "!", two Host
 * matchers in one "&&", ...) is an error naming it: a rule is never
 * approximated.  Rules go to the workers as JSON.  Pure: jansson and
 * libc only, no nginx, no I/O.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/* bounds on what one rule may give, and on how deep it nests */
#define NGX_HTTP_SWARM_RULE_LEN       4096
#define NGX_HTTP_SWARM_RULE_DEPTH     16


/* matches being built: an "or" of them */

typedef struct {
    ngx_http_swarm_match_t    *m;
    size_t                     n;
} ngx_http_swarm_or_t;


typedef struct {
    const char                *p;
    const char                *start;
    const char                *end;
    unsigned                   depth;

    /* native labels: strict host names, wildcards of any depth */
    unsigned                   native;
    ngx_http_swarm_rule_t     *rule;
    char                      *err;
    size_t                     errlen;
} ngx_http_swarm_parser_t;


typedef int (*ngx_http_swarm_rule_pt)(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out);


static int ngx_http_swarm_rule_init(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_rule_t *rule, const char *s, size_t len, char *err,
    size_t errlen);
static int ngx_http_swarm_rule_or(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_and(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_joined(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out, char op);
static int ngx_http_swarm_rule_primary(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_matcher(ngx_http_swarm_parser_t *ps,
    const char *name, size_t len, ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_value(ngx_http_swarm_parser_t *ps,
    int host, int exact, const char *v, size_t len, ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_hosts(ngx_http_swarm_parser_t *ps,
    size_t first, ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_list(ngx_http_swarm_parser_t *ps, int host,
    int exact, const char *s, size_t len, ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_string(ngx_http_swarm_parser_t *ps,
    char **value);
static void ngx_http_swarm_rule_space(ngx_http_swarm_parser_t *ps);
static int ngx_http_swarm_rule_cross(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *a, ngx_http_swarm_or_t *b);
static int ngx_http_swarm_rule_union(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *a, ngx_http_swarm_or_t *b);
static int ngx_http_swarm_rule_push(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *or, const ngx_http_swarm_match_t *m);
static int ngx_http_swarm_rule_host(ngx_http_swarm_parser_t *ps,
    const char *s, size_t len);
static char *ngx_http_swarm_rule_path(ngx_http_swarm_parser_t *ps,
    const char *s, size_t len);
static char *ngx_http_swarm_rule_keep(ngx_http_swarm_rule_t *rule,
    const char *s, size_t len);
static int ngx_http_swarm_rule_v1_part(ngx_http_swarm_parser_t *ps,
    const char *s, size_t len, ngx_http_swarm_or_t *out);
static void ngx_http_swarm_rule_put(char *buf, size_t size, size_t *len,
    const char *s);
static int ngx_http_swarm_rule_both(const ngx_http_swarm_match_t *a,
    const ngx_http_swarm_match_t *b, ngx_http_swarm_match_t *m);
static int ngx_http_swarm_rule_done(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *or);
static int ngx_http_swarm_rule_error(ngx_http_swarm_parser_t *ps,
    const char *fmt, ...);
static int ngx_http_swarm_rule_nomem(ngx_http_swarm_parser_t *ps);
static int ngx_http_swarm_rule_spelled(const char *s, size_t len,
    const char *name);
static int ngx_http_swarm_rule_is(const char *s, size_t len,
    const char *name);


/* the matchers of Traefik's rules this module does not route by */

static const char  *ngx_http_swarm_rule_unsupported[] = {
    "HostRegexp", "HostSNI", "HostSNIRegexp", "PathRegexp", "Method",
    "Header", "HeaderRegexp", "Headers",
    "HeadersRegexp", "Query", "QueryRegexp", "ClientIP", "ALPN",
    NULL
};


/* a parser of s into rule: NGX_HTTP_SWARM_FAILED if s is over the bound */

static int
ngx_http_swarm_rule_init(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_rule_t *rule, const char *s, size_t len, char *err,
    size_t errlen)
{
    memset(rule, 0, sizeof(ngx_http_swarm_rule_t));

    ps->p = s;
    ps->start = s;
    ps->end = s + len;
    ps->depth = 0;
    ps->native = 0;
    ps->rule = rule;
    ps->err = err;
    ps->errlen = errlen;

    if (len > NGX_HTTP_SWARM_RULE_LEN) {
        return ngx_http_swarm_rule_error(ps, "rule over %d bytes",
                                         NGX_HTTP_SWARM_RULE_LEN);
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A Traefik v2 or v3 rule, as in traefik.http.routers.<r>.rule:
 * NGX_HTTP_SWARM_DONE with its matches in "rule", or NGX_HTTP_SWARM_FAILED
 * with why in err; ngx_http_swarm_rule_free() gives its memory back
 * either way.
 */

int
ngx_http_swarm_rule_parse(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    ngx_http_swarm_or_t      or;
    ngx_http_swarm_parser_t  ps;

    if (ngx_http_swarm_rule_init(&ps, rule, s, len, err, errlen)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    or.m = NULL;
    or.n = 0;

    if (ngx_http_swarm_rule_or(&ps, &or) != NGX_HTTP_SWARM_DONE) {
        free(or.m);
        return NGX_HTTP_SWARM_FAILED;
    }

    ngx_http_swarm_rule_space(&ps);

    if (ps.p != ps.end) {
        free(or.m);
        return ngx_http_swarm_rule_error(&ps, "unexpected \"%c\" at offset "
                                         "%zu", *ps.p,
                                         (size_t) (ps.p - ps.start));
    }

    return ngx_http_swarm_rule_done(&ps, &or);
}


/* a || b || ..., each an "and" */

static int
ngx_http_swarm_rule_or(ngx_http_swarm_parser_t *ps, ngx_http_swarm_or_t *out)
{
    return ngx_http_swarm_rule_joined(ps, out, '|');
}


/* a && b && ..., each a matcher or a rule in parentheses */

static int
ngx_http_swarm_rule_and(ngx_http_swarm_parser_t *ps, ngx_http_swarm_or_t *out)
{
    return ngx_http_swarm_rule_joined(ps, out, '&');
}


/* operands joined by "||" (op '|') or "&&" (op '&') */

static int
ngx_http_swarm_rule_joined(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out, char op)
{
    int                     rc;
    ngx_http_swarm_or_t     next;
    ngx_http_swarm_rule_pt  operand;

    operand = (op == '|') ? ngx_http_swarm_rule_and
                          : ngx_http_swarm_rule_primary;

    if (operand(ps, out) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    for ( ;; ) {
        ngx_http_swarm_rule_space(ps);

        if (ps->end - ps->p < 2 || ps->p[0] != op || ps->p[1] != op) {
            return NGX_HTTP_SWARM_DONE;
        }

        ps->p += 2;

        next.m = NULL;
        next.n = 0;

        rc = operand(ps, &next);

        if (rc == NGX_HTTP_SWARM_DONE) {
            rc = (op == '|') ? ngx_http_swarm_rule_union(ps, out, &next)
                             : ngx_http_swarm_rule_cross(ps, out, &next);
        }

        free(next.m);

        if (rc != NGX_HTTP_SWARM_DONE) {
            return NGX_HTTP_SWARM_FAILED;
        }
    }
}


/* ( rule ), or a matcher */

static int
ngx_http_swarm_rule_primary(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out)
{
    int          rc;
    const char  *name;

    ngx_http_swarm_rule_space(ps);

    if (ps->p == ps->end) {
        return ngx_http_swarm_rule_error(ps, "matcher expected at offset %zu",
                                         (size_t) (ps->p - ps->start));
    }

    if (*ps->p == '!') {
        return ngx_http_swarm_rule_error(ps, "\"!\" at offset %zu is not "
                                         "supported",
                                         (size_t) (ps->p - ps->start));
    }

    if (*ps->p == '(') {
        if (++ps->depth > NGX_HTTP_SWARM_RULE_DEPTH) {
            return ngx_http_swarm_rule_error(ps, "parentheses nested over "
                                             "%d deep",
                                             NGX_HTTP_SWARM_RULE_DEPTH);
        }

        ps->p++;

        rc = ngx_http_swarm_rule_or(ps, out);
        if (rc != NGX_HTTP_SWARM_DONE) {
            return rc;
        }

        ngx_http_swarm_rule_space(ps);

        if (ps->p == ps->end || *ps->p != ')') {
            return ngx_http_swarm_rule_error(ps, "\")\" expected at offset "
                                             "%zu",
                                             (size_t) (ps->p - ps->start));
        }

        ps->p++;
        ps->depth--;

        return NGX_HTTP_SWARM_DONE;
    }

    name = ps->p;

    while (ps->p < ps->end
           && ((*ps->p >= 'a' && *ps->p <= 'z')
               || (*ps->p >= 'A' && *ps->p <= 'Z')))
    {
        ps->p++;
    }

    if (ps->p == name) {
        return ngx_http_swarm_rule_error(ps, "matcher expected at offset %zu",
                                         (size_t) (ps->p - ps->start));
    }

    return ngx_http_swarm_rule_matcher(ps, name, ps->p - name, out);
}


/*
 * Host(`a`, ...) and HostHeader(...): one match of those names;
 * Path(`/p`, ...) and PathPrefix(...): a match each.  Names are matched
 * whatever their case, as Traefik does.
 */

static int
ngx_http_swarm_rule_matcher(ngx_http_swarm_parser_t *ps, const char *name,
    size_t len, ngx_http_swarm_or_t *out)
{
    int      host, exact;
    char    *value;
    size_t   i, first;

    host = ngx_http_swarm_rule_spelled(name, len, "Host")
           || ngx_http_swarm_rule_spelled(name, len, "HostHeader");
    exact = ngx_http_swarm_rule_spelled(name, len, "Path");

    if (!host && !exact
        && !ngx_http_swarm_rule_spelled(name, len, "PathPrefix"))
    {
        for (i = 0; ngx_http_swarm_rule_unsupported[i]; i++) {
            if (ngx_http_swarm_rule_is(name, len,
                                       ngx_http_swarm_rule_unsupported[i]))
            {
                return ngx_http_swarm_rule_error(ps, "matcher \"%.*s\" is "
                                                 "not supported",
                                                 (int) len, name);
            }
        }

        return ngx_http_swarm_rule_error(ps, "unknown matcher \"%.*s\"",
                                         (int) len, name);
    }

    ngx_http_swarm_rule_space(ps);

    if (ps->p == ps->end || *ps->p != '(') {
        return ngx_http_swarm_rule_error(ps, "\"(\" expected after "
                                         "\"%.*s\"", (int) len, name);
    }

    ps->p++;

    first = ps->rule->nhosts;
    value = NULL;

    for ( ;; ) {
        if (ngx_http_swarm_rule_string(ps, &value) != NGX_HTTP_SWARM_DONE
            || ngx_http_swarm_rule_value(ps, host, exact, value,
                                         strlen(value), out)
               != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }

        ngx_http_swarm_rule_space(ps);

        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }

        if (ps->p < ps->end && *ps->p == ')') {
            ps->p++;
            break;
        }

        return ngx_http_swarm_rule_error(ps, "\",\" or \")\" expected at "
                                         "offset %zu",
                                         (size_t) (ps->p - ps->start));
    }

    return host ? ngx_http_swarm_rule_hosts(ps, first, out)
                : NGX_HTTP_SWARM_DONE;
}


/*
 * A value of a matcher: a host name, kept for the match of them all
 * (ngx_http_swarm_rule_hosts()), or a path, a match of its own.
 */

static int
ngx_http_swarm_rule_value(ngx_http_swarm_parser_t *ps, int host, int exact,
    const char *v, size_t len, ngx_http_swarm_or_t *out)
{
    ngx_http_swarm_match_t  m;

    if (host) {
        return ngx_http_swarm_rule_host(ps, v, len);
    }

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    m.path = ngx_http_swarm_rule_path(ps, v, len);
    if (m.path == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    m.exact = exact;

    return ngx_http_swarm_rule_push(ps, out, &m);
}


/* the match of the host names kept from "first" on */

static int
ngx_http_swarm_rule_hosts(ngx_http_swarm_parser_t *ps, size_t first,
    ngx_http_swarm_or_t *out)
{
    ngx_http_swarm_match_t  m;

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    m.host = first;
    m.nhosts = ps->rule->nhosts - first;

    return ngx_http_swarm_rule_push(ps, out, &m);
}


/* values joined by ",", spaces around them dropped */

static int
ngx_http_swarm_rule_list(ngx_http_swarm_parser_t *ps, int host, int exact,
    const char *s, size_t len, ngx_http_swarm_or_t *out)
{
    const char  *v, *end, *comma, *last;

    last = s + len;

    for (v = s; ; v = comma + 1) {
        comma = memchr(v, ',', last - v);
        end = comma ? comma : last;

        while (v < end && *v == ' ') {
            v++;
        }

        while (end > v && end[-1] == ' ') {
            end--;
        }

        if (ngx_http_swarm_rule_value(ps, host, exact, v, end - v, out)
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }

        if (comma == NULL) {
            return NGX_HTTP_SWARM_DONE;
        }
    }
}


/* `text` or "text" (with \" and \\ inside), kept with the rule */

static int
ngx_http_swarm_rule_string(ngx_http_swarm_parser_t *ps, char **value)
{
    char         quote, *buf;
    size_t       n;
    const char  *p;

    ngx_http_swarm_rule_space(ps);

    if (ps->p == ps->end || (*ps->p != '`' && *ps->p != '"')) {
        return ngx_http_swarm_rule_error(ps, "a value in ` or \" expected "
                                         "at offset %zu",
                                         (size_t) (ps->p - ps->start));
    }

    quote = *ps->p++;

    buf = malloc(ps->end - ps->p + 1);
    if (buf == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    for (p = ps->p, n = 0; p < ps->end && *p != quote; p++) {
        if (quote == '"' && *p == '\\' && p + 1 < ps->end) {
            p++;
        }

        if (*p == '\0') {
            free(buf);
            return ngx_http_swarm_rule_error(ps, "a zero byte in a value at "
                                             "offset %zu",
                                             (size_t) (p - ps->start));
        }

        buf[n++] = *p;
    }

    if (p == ps->end) {
        free(buf);
        return ngx_http_swarm_rule_error(ps, "unterminated value at offset "
                                         "%zu",
                                         (size_t) (ps->p - 1 - ps->start));
    }

    ps->p = p + 1;

    *value = ngx_http_swarm_rule_keep(ps->rule, buf, n);

    free(buf);

    return *value ? NGX_HTTP_SWARM_DONE : ngx_http_swarm_rule_nomem(ps);
}


static void
ngx_http_swarm_rule_space(ngx_http_swarm_parser_t *ps)
{
    while (ps->p < ps->end
           && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n'
               || *ps->p == '\r'))
    {
        ps->p++;
    }
}


/*
 * a && b: each match of a with each of b.  Two host sets, or two paths,
 * in one match would be an intersection this module does not route by.
 */

static int
ngx_http_swarm_rule_cross(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *a, ngx_http_swarm_or_t *b)
{
    size_t                  i, j;
    ngx_http_swarm_or_t     out;
    ngx_http_swarm_match_t  m;

    out.m = NULL;
    out.n = 0;

    for (i = 0; i < a->n; i++) {
        for (j = 0; j < b->n; j++) {

            if (a->m[i].nhosts && b->m[j].nhosts) {
                free(out.m);
                return ngx_http_swarm_rule_error(ps, "two Host matchers "
                                                 "joined by \"&&\" are not "
                                                 "supported");
            }

            m = a->m[i];

            if (b->m[j].nhosts) {
                m.host = b->m[j].host;
                m.nhosts = b->m[j].nhosts;
            }

            /* two paths: what both match, if any request does */

            if (a->m[i].path && b->m[j].path) {
                if (!ngx_http_swarm_rule_both(&a->m[i], &b->m[j], &m)) {
                    continue;
                }

            } else if (b->m[j].path) {
                m.path = b->m[j].path;
                m.exact = b->m[j].exact;
            }

            if (ngx_http_swarm_rule_push(ps, &out, &m) != NGX_HTTP_SWARM_DONE)
            {
                free(out.m);
                return NGX_HTTP_SWARM_FAILED;
            }
        }
    }

    free(a->m);
    *a = out;

    return NGX_HTTP_SWARM_DONE;
}


static int
ngx_http_swarm_rule_union(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *a, ngx_http_swarm_or_t *b)
{
    size_t  j;

    for (j = 0; j < b->n; j++) {
        if (ngx_http_swarm_rule_push(ps, a, &b->m[j]) != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


static int
ngx_http_swarm_rule_push(ngx_http_swarm_parser_t *ps, ngx_http_swarm_or_t *or,
    const ngx_http_swarm_match_t *m)
{
    ngx_http_swarm_match_t  *p;

    if (or->n == NGX_HTTP_SWARM_RULE_MATCHES) {
        return ngx_http_swarm_rule_error(ps, "rule gives over %d matches",
                                         NGX_HTTP_SWARM_RULE_MATCHES);
    }

    p = realloc(or->m, (or->n + 1) * sizeof(ngx_http_swarm_match_t));
    if (p == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    p[or->n] = *m;
    p[or->n++].deep = ps->native;
    or->m = p;

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A host name, in lower case, a trailing dot dropped.  Of the native
 * labels: letters, digits, "-" and ".", or "*." and such a name for any
 * name that ends in it.  Of Traefik's (pkg/muxer/http/matcher.go, host):
 * any ASCII but spaces, as Traefik compares it to the request's host
 * (an IPv6 address without its brackets: Host(`::1`)); "*" for any
 * host; "*." and a name for a name of one label more.
 */

static int
ngx_http_swarm_rule_host(ngx_http_swarm_parser_t *ps, const char *s,
    size_t len)
{
    char    *name, **hosts;
    size_t   i, from;

    if (len && s[len - 1] == '.') {
        len--;
    }

    from = (len > 2 && s[0] == '*' && s[1] == '.') ? 2 : 0;

    if (!ps->native && len == 1 && s[0] == '*') {
        goto valid;
    }

    if (len == from || len > 253 || s[len - 1] == '.'
        || (!ps->native && s[0] == '*' && from == 0))
    {
        goto invalid;
    }

    for (i = from; i < len; i++) {
        if (ps->native
            ? !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
                || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'
                || (s[i] == '.' && i > from && s[i - 1] != '.'))
            : ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f))
        {
            goto invalid;
        }
    }

valid:

    if (ps->rule->nhosts == NGX_HTTP_SWARM_RULE_HOSTS) {
        return ngx_http_swarm_rule_error(ps, "rule names over %d hosts",
                                         NGX_HTTP_SWARM_RULE_HOSTS);
    }

    name = ngx_http_swarm_rule_keep(ps->rule, s, len);
    if (name == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    for (i = 0; i < len; i++) {
        if (name[i] >= 'A' && name[i] <= 'Z') {
            name[i] = (char) (name[i] - 'A' + 'a');
        }
    }

    hosts = realloc(ps->rule->hosts,
                    (ps->rule->nhosts + 1) * sizeof(char *));
    if (hosts == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    hosts[ps->rule->nhosts++] = name;
    ps->rule->hosts = hosts;

    return NGX_HTTP_SWARM_DONE;

invalid:

    return ngx_http_swarm_rule_error(ps, "invalid host name \"%.*s\"",
                                     (int) ngx_http_swarm_min(len, 64), s);
}


/*
 * a path: "/" and bytes but controls (a space too: Traefik routes by
 * "/foo bar" what comes as "/foo%20bar")
 */

static char *
ngx_http_swarm_rule_path(ngx_http_swarm_parser_t *ps, const char *s,
    size_t len)
{
    char    *path;
    size_t   i;
    json_t  *v;

    if (len == 0 || s[0] != '/') {
        (void) ngx_http_swarm_rule_error(ps, "path \"%.*s\" does not start "
                                         "with \"/\"",
                                         (int) ngx_http_swarm_min(len, 64),
                                         s);
        return NULL;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            (void) ngx_http_swarm_rule_error(ps, "invalid path \"%.*s\"",
                                             (int) ngx_http_swarm_min(len,
                                                                      64),
                                             s);
            return NULL;
        }
    }

    /* what is published is JSON: a path that is no UTF-8 could not be */

    v = json_stringn(s, len);
    if (v == NULL) {
        (void) ngx_http_swarm_rule_error(ps, "a path that is not UTF-8");
        return NULL;
    }

    json_decref(v);

    path = ngx_http_swarm_rule_keep(ps->rule, s, len);
    if (path == NULL) {
        (void) ngx_http_swarm_rule_nomem(ps);
    }

    return path;
}


/* a copy of s, terminated, freed with the rule */

static char *
ngx_http_swarm_rule_keep(ngx_http_swarm_rule_t *rule, const char *s,
    size_t len)
{
    char   *copy, **strings;

    strings = realloc(rule->strings, (rule->nstrings + 1) * sizeof(char *));
    if (strings == NULL) {
        return NULL;
    }

    rule->strings = strings;

    copy = malloc(len + 1);
    if (copy == NULL) {
        return NULL;
    }

    memcpy(copy, s, len);
    copy[len] = '\0';

    strings[rule->nstrings++] = copy;

    return copy;
}


/*
 * A Traefik v1 frontend rule, as in traefik.frontend.rule: matchers
 * joined by ";" (and), each "Name:value,value" (or): Host, Path and
 * PathPrefix.  Returns as ngx_http_swarm_rule_parse() does.
 */

int
ngx_http_swarm_rule_parse_v1(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    const char               *part, *semi;
    ngx_http_swarm_or_t       or, next;
    ngx_http_swarm_match_t    any;
    ngx_http_swarm_parser_t   ps;

    if (ngx_http_swarm_rule_init(&ps, rule, s, len, err, errlen)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    /* what nothing restricts: any host, any path */

    memset(&any, 0, sizeof(ngx_http_swarm_match_t));

    or.m = NULL;
    or.n = 0;

    if (ngx_http_swarm_rule_push(&ps, &or, &any) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    for (part = s; part <= s + len; part = semi + 1) {
        semi = memchr(part, ';', s + len - part);
        if (semi == NULL) {
            semi = s + len;
        }

        next.m = NULL;
        next.n = 0;

        if (ngx_http_swarm_rule_v1_part(&ps, part, semi - part, &next)
            != NGX_HTTP_SWARM_DONE
            || ngx_http_swarm_rule_cross(&ps, &or, &next)
               != NGX_HTTP_SWARM_DONE)
        {
            free(next.m);
            free(or.m);
            return NGX_HTTP_SWARM_FAILED;
        }

        free(next.m);
    }

    return ngx_http_swarm_rule_done(&ps, &or);
}


/* "Name:value,value" of a v1 rule */

static int
ngx_http_swarm_rule_v1_part(ngx_http_swarm_parser_t *ps, const char *s,
    size_t len, ngx_http_swarm_or_t *out)
{
    int          host, exact;
    size_t       nlen, first;
    const char  *colon;

    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }

    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) {
        len--;
    }

    colon = memchr(s, ':', len);
    if (colon == NULL) {
        return ngx_http_swarm_rule_error(ps, "\"Name:value\" expected in "
                                         "\"%.*s\"",
                                         (int) ngx_http_swarm_min(len, 64),
                                         s);
    }

    nlen = colon - s;

    while (nlen && s[nlen - 1] == ' ') {
        nlen--;
    }

    host = ngx_http_swarm_rule_is(s, nlen, "Host");
    exact = ngx_http_swarm_rule_is(s, nlen, "Path");

    if (!host && !exact && !ngx_http_swarm_rule_is(s, nlen, "PathPrefix")) {
        return ngx_http_swarm_rule_error(ps, "matcher \"%.*s\" is not "
                                         "supported",
                                         (int) ngx_http_swarm_min(nlen, 64),
                                         s);
    }

    first = ps->rule->nhosts;

    if (ngx_http_swarm_rule_list(ps, host, exact, colon + 1,
                                 s + len - colon - 1, out)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    return host ? ngx_http_swarm_rule_hosts(ps, first, out)
                : NGX_HTTP_SWARM_DONE;
}


/*
 * The native labels: swarm.http.host (names joined by ",") and
 * swarm.http.path (a prefix, "/" where only hosts are given); either may
 * be NULL, not both.  Returns as ngx_http_swarm_rule_parse() does.
 */

int
ngx_http_swarm_rule_native(const char *hosts, const char *path,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    ngx_http_swarm_or_t       or;
    ngx_http_swarm_match_t    m;
    ngx_http_swarm_parser_t   ps;

    (void) ngx_http_swarm_rule_init(&ps, rule, "", 0, err, errlen);

    ps.native = 1;

    if (hosts == NULL && path == NULL) {
        return ngx_http_swarm_rule_error(&ps, "no swarm.http.host or "
                                         "swarm.http.path label");
    }

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    if (hosts) {
        if (ngx_http_swarm_rule_list(&ps, 1, 0, hosts, strlen(hosts), NULL)
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }

        m.nhosts = rule->nhosts;
    }

    if (path) {
        m.path = ngx_http_swarm_rule_path(&ps, path, strlen(path));
        if (m.path == NULL) {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    or.m = NULL;
    or.n = 0;

    if (ngx_http_swarm_rule_push(&ps, &or, &m) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_rule_done(&ps, &or);
}


/*
 * The rule that native labels stand for, written as Traefik v3 would
 * write it, into buf as far as size holds (terminated where size is not
 * 0): its length, which counts as a Traefik rule's where routes are in
 * Traefik's order.  A name is Host(`a.b`), a wildcard "*.b" (any name
 * that ends in ".b") HostRegexp(`^.+\.b$`); names are joined by "||",
 * in parentheses where a path follows; the path, PathPrefix(`/p`) (or
 * Path), is left out where it is "/" and names are given.
 */

long
ngx_http_swarm_rule_native_text(const ngx_http_swarm_rule_t *rule,
    char *buf, size_t size)
{
    size_t                   i, j, len, nhosts;
    unsigned                 path;
    const char              *h;
    ngx_http_swarm_match_t  *m;

    len = 0;

    for (i = 0; i < rule->n; i++) {
        m = &rule->matches[i];
        nhosts = m->nhosts;
        path = (nhosts == 0 || m->exact || strcmp(m->path, "/") != 0);

        ngx_http_swarm_rule_put(buf, size, &len, i ? " || " : "");
        ngx_http_swarm_rule_put(buf, size, &len,
                                (path && nhosts > 1) ? "(" : "");

        for (j = 0; j < nhosts; j++) {
            h = rule->hosts[m->host + j];

            ngx_http_swarm_rule_put(buf, size, &len, j ? " || " : "");

            if (h[0] != '*') {
                ngx_http_swarm_rule_put(buf, size, &len, "Host(`");
                ngx_http_swarm_rule_put(buf, size, &len, h);

            } else {
                ngx_http_swarm_rule_put(buf, size, &len, "HostRegexp(`^.+");

                for (h++; *h; h++) {
                    ngx_http_swarm_text_put(buf, size, &len,
                                            *h == '.' ? "\\." : h,
                                            *h == '.' ? 2 : 1);
                }

                ngx_http_swarm_rule_put(buf, size, &len, "$");
            }

            ngx_http_swarm_rule_put(buf, size, &len, "`)");
        }

        if (!path) {
            continue;
        }

        ngx_http_swarm_rule_put(buf, size, &len,
                                nhosts > 1 ? ") && " : nhosts ? " && " : "");
        ngx_http_swarm_rule_put(buf, size, &len,
                                m->exact ? "Path(`" : "PathPrefix(`");
        ngx_http_swarm_rule_put(buf, size, &len, m->path);
        ngx_http_swarm_rule_put(buf, size, &len, "`)");
    }

    if (size) {
        buf[len < size ? len : size - 1] = '\0';
    }

    return (long) len;
}


/* a string more of a text being written: ngx_http_swarm_text_put() */

static void
ngx_http_swarm_rule_put(char *buf, size_t size, size_t *len, const char *s)
{
    ngx_http_swarm_text_put(buf, size, len, s, strlen(s));
}


/*
 * The path of two matches joined by "&&" into m: the longer of two
 * prefixes one of which begins the other, an exact path its prefix
 * begins, or the same exact path; 0 where no request matches both
 */

static int
ngx_http_swarm_rule_both(const ngx_http_swarm_match_t *a,
    const ngx_http_swarm_match_t *b, ngx_http_swarm_match_t *m)
{
    size_t                         la, lb;
    const ngx_http_swarm_match_t  *t;

    if (b->exact && !a->exact) {
        t = a;
        a = b;
        b = t;
    }

    la = strlen(a->path);
    lb = strlen(b->path);

    if (a->exact) {
        if (b->exact ? strcmp(a->path, b->path) != 0
                     : (la < lb || memcmp(a->path, b->path, lb) != 0))
        {
            return 0;
        }

        m->path = a->path;
        m->exact = 1;

        return 1;
    }

    if (la < lb) {
        t = a;
        a = b;
        b = t;
        la = lb;
        lb = strlen(b->path);
    }

    if (memcmp(a->path, b->path, lb) != 0) {
        return 0;
    }

    m->path = a->path;
    m->exact = 0;

    return 1;
}


/* the matches found become the rule's; a path not given is "/" */

static int
ngx_http_swarm_rule_done(ngx_http_swarm_parser_t *ps, ngx_http_swarm_or_t *or)
{
    size_t  i;

    if (or->n == 0) {
        return ngx_http_swarm_rule_error(ps, "the rule matches no request "
                                         "(its paths joined by \"&&\" "
                                         "exclude each other)");
    }

    for (i = 0; i < or->n; i++) {
        if (or->m[i].path == NULL) {
            or->m[i].path = "/";
            or->m[i].exact = 0;
        }
    }

    ps->rule->matches = or->m;
    ps->rule->n = or->n;

    return NGX_HTTP_SWARM_DONE;
}


static int
ngx_http_swarm_rule_error(ngx_http_swarm_parser_t *ps, const char *fmt, ...)
{
    va_list  args;

    if (ps->errlen) {
        va_start(args, fmt);
        vsnprintf(ps->err, ps->errlen, fmt, args);
        va_end(args);
    }

    return NGX_HTTP_SWARM_FAILED;
}


static int
ngx_http_swarm_rule_nomem(ngx_http_swarm_parser_t *ps)
{
    return ngx_http_swarm_rule_error(ps, "out of memory");
}


/* whether s is the matcher name, whatever the case */

/*
 * A v2/v3 matcher's name as Traefik's parser takes it (pkg/rules/
 * parser.go, NewParser): as written, in lower case, in upper case, or
 * in lower case with a capital first ("Pathprefix"), and no other way
 */

static int
ngx_http_swarm_rule_spelled(const char *s, size_t len, const char *name)
{
    size_t  i;
    int     lower, upper, title;

    if (strlen(name) != len || len == 0) {
        return 0;
    }

    if (memcmp(s, name, len) == 0) {
        return 1;
    }

    if (!ngx_http_swarm_rule_is(s, len, name)) {
        return 0;
    }

    lower = 1;
    upper = 1;
    title = (s[0] >= 'A' && s[0] <= 'Z');

    for (i = 0; i < len; i++) {
        lower &= !(s[i] >= 'A' && s[i] <= 'Z');
        upper &= !(s[i] >= 'a' && s[i] <= 'z');
        title &= (i == 0 || !(s[i] >= 'A' && s[i] <= 'Z'));
    }

    return lower || upper || title;
}


static int
ngx_http_swarm_rule_is(const char *s, size_t len, const char *name)
{
    size_t  i;
    char    a, b;

    if (strlen(name) != len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        a = s[i];
        b = name[i];

        if (a >= 'A' && a <= 'Z') {
            a = (char) (a - 'A' + 'a');
        }

        if (b >= 'A' && b <= 'Z') {
            b = (char) (b - 'A' + 'a');
        }

        if (a != b) {
            return 0;
        }
    }

    return 1;
}


/*
 * A rule as JSON, as the workers get it and swarm_status shows it: its
 * matches, each {"hosts": [...], "path": "/p", "exact": false}.
 */

json_t *
ngx_http_swarm_rule_json(const ngx_http_swarm_rule_t *rule)
{
    size_t                   i, j, k;
    json_t                  *list, *hosts, *m;
    ngx_http_swarm_match_t  *match;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < rule->n; i++) {
        match = &rule->matches[i];

        /*
         * host names an earlier match has too (Host(...) && (A || B)):
         * written once, the later matches naming that match
         */

        for (k = 0; k < i; k++) {
            if (match->nhosts
                && rule->matches[k].host == match->host
                && rule->matches[k].nhosts == match->nhosts)
            {
                break;
            }
        }

        if (k < i) {
            m = json_pack("{sIssso}", "hosts_of", (json_int_t) k,
                          "path", match->path,
                          "exact", json_boolean(match->exact));
            goto deep;
        }

        hosts = json_array();
        if (hosts == NULL) {
            goto failed;
        }

        for (j = 0; j < match->nhosts; j++) {
            if (json_array_append_new(hosts,
                                      json_string(rule->hosts[match->host
                                                              + j]))
                != 0)
            {
                json_decref(hosts);
                goto failed;
            }
        }

        m = json_pack("{sossso}", "hosts", hosts, "path", match->path,
                      "exact", json_boolean(match->exact));

    deep:

        /* the native labels' wildcards, of any depth */

        for (j = 0; match->deep && j < match->nhosts; j++) {
            if (rule->hosts[match->host + j][0] == '*') {
                break;
            }
        }

        if (m && match->deep && j < match->nhosts
            && json_object_set_new(m, "deep", json_true()) != 0)
        {
            json_decref(m);
            m = NULL;
        }

        if (m == NULL || json_array_append_new(list, m) != 0) {
            goto failed;
        }
    }

    return list;

failed:

    json_decref(list);

    return NULL;
}


/*
 * The rule of ngx_http_swarm_rule_json(), checked as a parsed one is:
 * returns as ngx_http_swarm_rule_parse() does.
 */

int
ngx_http_swarm_rule_from_json(json_t *json, ngx_http_swarm_rule_t *rule,
    char *err, size_t errlen)
{
    size_t                    i, j, k, first;
    json_t                   *m, *hosts, *h, *path, *of;
    ngx_http_swarm_or_t       or;
    ngx_http_swarm_match_t    match;
    ngx_http_swarm_parser_t   ps;

    (void) ngx_http_swarm_rule_init(&ps, rule, "", 0, err, errlen);

    or.m = NULL;
    or.n = 0;

    if (!json_is_array(json) || json_array_size(json) == 0) {
        return ngx_http_swarm_rule_error(&ps, "no matches");
    }

    json_array_foreach(json, i, m) {
        hosts = json_object_get(m, "hosts");
        of = json_object_get(m, "hosts_of");
        path = json_object_get(m, "path");

        if ((!json_is_array(hosts) && !json_is_integer(of))
            || !json_is_string(path))
        {
            free(or.m);
            return ngx_http_swarm_rule_error(&ps, "match %zu is no match",
                                             i);
        }

        memset(&match, 0, sizeof(ngx_http_swarm_match_t));

        ps.native = json_is_true(json_object_get(m, "deep"));

        /*
         * The host names of an earlier match: the rule shares them, as
         * it was parsed (Host(...) && (PathPrefix(...) || ...))
         */

        if (!json_is_array(hosts)) {
            k = (size_t) json_integer_value(of);

            if (json_integer_value(of) < 0 || k >= or.n
                || or.m[k].nhosts == 0)
            {
                free(or.m);
                return ngx_http_swarm_rule_error(&ps, "match %zu names "
                                                 "no match before it", i);
            }

            match.host = or.m[k].host;
            match.nhosts = or.m[k].nhosts;
            goto path;
        }

        first = rule->nhosts;

        json_array_foreach(hosts, j, h) {
            if (!json_is_string(h)
                || ngx_http_swarm_rule_host(&ps, json_string_value(h),
                                            json_string_length(h))
                   != NGX_HTTP_SWARM_DONE)
            {
                free(or.m);
                return ngx_http_swarm_rule_error(&ps, "match %zu has an "
                                                 "invalid host", i);
            }
        }

        match.host = first;
        match.nhosts = rule->nhosts - first;

    path:

        match.exact = json_is_true(json_object_get(m, "exact"));
        match.path = ngx_http_swarm_rule_path(&ps, json_string_value(path),
                                              json_string_length(path));

        if (match.path == NULL
            || ngx_http_swarm_rule_push(&ps, &or, &match)
               != NGX_HTTP_SWARM_DONE)
        {
            free(or.m);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return ngx_http_swarm_rule_done(&ps, &or);
}


void
ngx_http_swarm_rule_free(ngx_http_swarm_rule_t *rule)
{
    size_t  i;

    for (i = 0; i < rule->nstrings; i++) {
        free(rule->strings[i]);
    }

    free(rule->strings);
    free(rule->hosts);
    free(rule->matches);

    memset(rule, 0, sizeof(ngx_http_swarm_rule_t));
}
