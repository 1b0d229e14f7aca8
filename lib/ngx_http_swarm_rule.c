
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Routing rules to the matches a route is chosen by: Traefik v3 rules
 * (Host, Path, PathPrefix, HostRegexp, PathRegexp, Method, Header,
 * HeaderRegexp, Query, QueryRegexp, ClientIP, "!", "&&", "||",
 * parentheses), Traefik v2's (its ruleSyntax=v2: HostHeader, Headers,
 * HeadersRegexp, Query of "key=value", templates "{name:regexp}"),
 * Traefik v1 frontend rules ("Host:a,b;PathPrefix:/p"), and the native
 * swarm.http.host and swarm.http.path labels.  A rule comes out as the
 * "or" of matches, each a set of host names (or any host), a path,
 * exact or a prefix, and the conditions of the other matchers ("!"
 * pushed down to them), built by ngx_http_swarm_matches.c.  A regular
 * expression Go's RE2 would refuse, and what the module does not do, is
 * an error naming it: a rule is never approximated.  Pure: libc only,
 * no nginx, no I/O.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


/* bounds on what one rule may give, and on how deep it nests */
#define NGX_HTTP_SWARM_RULE_LEN       4096
#define NGX_HTTP_SWARM_RULE_DEPTH     16
#define NGX_HTTP_SWARM_RULE_ARGS      NGX_HTTP_SWARM_RULE_HOSTS
#define NGX_HTTP_SWARM_RULE_REGEXP    1024


typedef struct {
    /* the rule it gives */
    ngx_http_swarm_build_t     b;

    const char                *p;
    const char                *start;
    const char                *end;
    unsigned                   depth;

    /* Traefik's syntax: 1, 2 or 3; 0: the native labels */
    unsigned                   syntax;
} ngx_http_swarm_parser_t;


/*
 * Traefik's matchers (pkg/muxer/http/matcher.go, matcher_v2.go; v1's
 * pkg/rules/rules.go): the syntaxes that have each (bit 1 << syntax),
 * what it gives (a condition, or a match's hosts or path), and how
 * many values it takes (0: any number).  Host, HostHeader, Path and
 * PathPrefix take several values in v3 too.
 */

#define NGX_HTTP_SWARM_V1           (1 << 1)
#define NGX_HTTP_SWARM_V2           (1 << 2)
#define NGX_HTTP_SWARM_V3           (1 << 3)

#define NGX_HTTP_SWARM_GIVES_HOSTS  (NGX_HTTP_SWARM_COND_TYPES + 0)
#define NGX_HTTP_SWARM_GIVES_PATH   (NGX_HTTP_SWARM_COND_TYPES + 1)
#define NGX_HTTP_SWARM_GIVES_PREFIX (NGX_HTTP_SWARM_COND_TYPES + 2)
#define NGX_HTTP_SWARM_GIVES_CHANGE (NGX_HTTP_SWARM_COND_TYPES + 3)

typedef struct {
    const char                *name;
    unsigned                   syntax;
    unsigned                   gives;
    unsigned                   min;
    unsigned                   max;
} ngx_http_swarm_matcher_t;


static const ngx_http_swarm_matcher_t  ngx_http_swarm_matchers[] = {
    { "Host", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2|NGX_HTTP_SWARM_V3,
      NGX_HTTP_SWARM_GIVES_HOSTS, 1, 0 },
    { "HostHeader", NGX_HTTP_SWARM_V2|NGX_HTTP_SWARM_V3,
      NGX_HTTP_SWARM_GIVES_HOSTS, 1, 0 },
    { "Path", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2|NGX_HTTP_SWARM_V3,
      NGX_HTTP_SWARM_GIVES_PATH, 1, 0 },
    { "PathPrefix", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2|NGX_HTTP_SWARM_V3,
      NGX_HTTP_SWARM_GIVES_PREFIX, 1, 0 },
    { "HostRegexp", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_HOST_REGEXP,
      1, 1 },
    { "HostRegexp", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2,
      NGX_HTTP_SWARM_COND_HOST_REGEXP, 1, 0 },
    { "PathRegexp", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_PATH_REGEXP,
      1, 1 },
    { "Method", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_METHOD, 1, 1 },
    { "Method", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2,
      NGX_HTTP_SWARM_COND_METHOD, 1, 0 },
    { "Header", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_HEADER, 2, 2 },
    { "HeaderRegexp", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_HEADER_REGEXP,
      2, 2 },
    { "Headers", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2,
      NGX_HTTP_SWARM_COND_HEADER, 2, 0 },
    { "HeadersRegexp", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2,
      NGX_HTTP_SWARM_COND_HEADER_REGEXP, 2, 0 },
    { "Query", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_QUERY, 1, 2 },
    { "QueryRegexp", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_QUERY_REGEXP,
      1, 2 },
    { "Query", NGX_HTTP_SWARM_V1|NGX_HTTP_SWARM_V2,
      NGX_HTTP_SWARM_COND_QUERY, 1, 0 },
    { "ClientIP", NGX_HTTP_SWARM_V3, NGX_HTTP_SWARM_COND_CLIENT_IP, 1, 1 },
    { "ClientIP", NGX_HTTP_SWARM_V2, NGX_HTTP_SWARM_COND_CLIENT_IP, 1, 0 },

    /* v1's functions that change the path: middlewares, not matchers */
    { "PathStrip", NGX_HTTP_SWARM_V1, NGX_HTTP_SWARM_GIVES_CHANGE, 0, 0 },
    { "PathPrefixStrip", NGX_HTTP_SWARM_V1, NGX_HTTP_SWARM_GIVES_CHANGE,
      0, 0 },
    { "AddPrefix", NGX_HTTP_SWARM_V1, NGX_HTTP_SWARM_GIVES_CHANGE, 0, 0 },
    { "ReplacePath", NGX_HTTP_SWARM_V1, NGX_HTTP_SWARM_GIVES_CHANGE, 0, 0 },
    { "ReplacePathRegex", NGX_HTTP_SWARM_V1, NGX_HTTP_SWARM_GIVES_CHANGE,
      0, 0 },
    { NULL, 0, 0, 0, 0 }
};


typedef int (*ngx_http_swarm_rule_pt)(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_or_t *out);


static int ngx_http_swarm_rule_init(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_rule_t *rule, const char *s, size_t len, char *err,
    size_t errlen);
static int ngx_http_swarm_rule_traefik(const char *s, size_t len,
    unsigned syntax, ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
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
static const ngx_http_swarm_matcher_t *ngx_http_swarm_rule_find(
    ngx_http_swarm_parser_t *ps, const char *name, size_t len);
static int ngx_http_swarm_rule_apply(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_paths(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_conds(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out);
static int ngx_http_swarm_rule_regexp(ngx_http_swarm_parser_t *ps,
    const char *tpl, char what, unsigned prefix, char **re);
static int ngx_http_swarm_rule_list(ngx_http_swarm_parser_t *ps,
    const char *s, size_t len, char **args, size_t *nargs);
static int ngx_http_swarm_rule_string(ngx_http_swarm_parser_t *ps,
    char **value);
static void ngx_http_swarm_rule_space(ngx_http_swarm_parser_t *ps);
static int ngx_http_swarm_rule_v1_part(ngx_http_swarm_parser_t *ps,
    const char *s, size_t len, ngx_http_swarm_or_t *out);
static void ngx_http_swarm_rule_put(char *buf, size_t size, size_t *len,
    const char *s);
static int ngx_http_swarm_rule_error(ngx_http_swarm_parser_t *ps,
    const char *fmt, ...);
static int ngx_http_swarm_rule_nomem(ngx_http_swarm_parser_t *ps);
static int ngx_http_swarm_rule_spelled(const char *s, size_t len,
    const char *name);
static int ngx_http_swarm_rule_is(const char *s, size_t len,
    const char *name);


/* a parser of s into rule: NGX_HTTP_SWARM_FAILED if s is over the bound */

static int
ngx_http_swarm_rule_init(ngx_http_swarm_parser_t *ps,
    ngx_http_swarm_rule_t *rule, const char *s, size_t len, char *err,
    size_t errlen)
{
    ngx_http_swarm_matches_start(&ps->b, rule, err, errlen);

    ps->p = s;
    ps->start = s;
    ps->end = s + len;
    ps->depth = 0;
    ps->syntax = 3;

    if (len > NGX_HTTP_SWARM_RULE_LEN) {
        return ngx_http_swarm_rule_error(ps, "rule over %d bytes",
                                         NGX_HTTP_SWARM_RULE_LEN);
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A Traefik v3 rule, as in traefik.http.routers.<r>.rule:
 * NGX_HTTP_SWARM_DONE with its matches in "rule", or NGX_HTTP_SWARM_FAILED
 * with why in err; ngx_http_swarm_rule_free() gives its memory back
 * either way.
 */

int
ngx_http_swarm_rule_parse(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    return ngx_http_swarm_rule_traefik(s, len, 3, rule, err, errlen);
}


/* a rule of Traefik v2's syntax (a router's ruleSyntax=v2) */

int
ngx_http_swarm_rule_parse_v2(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    return ngx_http_swarm_rule_traefik(s, len, 2, rule, err, errlen);
}


static int
ngx_http_swarm_rule_traefik(const char *s, size_t len, unsigned syntax,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    ngx_http_swarm_or_t      or;
    ngx_http_swarm_parser_t  ps;

    if (ngx_http_swarm_rule_init(&ps, rule, s, len, err, errlen)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    ps.syntax = syntax;

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

    return ngx_http_swarm_matches_done(&ps.b, &or);
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
            rc = (op == '|')
                 ? ngx_http_swarm_matches_union(&ps->b, out, &next)
                 : ngx_http_swarm_matches_cross(&ps->b, out, &next);
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

    /* !operand: what the operand does not match */

    if (*ps->p == '!') {
        if (++ps->depth > NGX_HTTP_SWARM_RULE_DEPTH) {
            return ngx_http_swarm_rule_error(ps, "\"!\" nested over %d "
                                             "deep",
                                             NGX_HTTP_SWARM_RULE_DEPTH);
        }

        ps->p++;

        rc = ngx_http_swarm_rule_primary(ps, out);
        if (rc != NGX_HTTP_SWARM_DONE) {
            return rc;
        }

        ps->depth--;

        return ngx_http_swarm_matches_not(&ps->b, out);
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
 * Name(`value`, ...): a matcher of the rule's syntax, its name as
 * Traefik's parser takes it (ngx_http_swarm_rule_spelled())
 */

static int
ngx_http_swarm_rule_matcher(ngx_http_swarm_parser_t *ps, const char *name,
    size_t len, ngx_http_swarm_or_t *out)
{
    int                              rc;
    char                           **args;
    size_t                           nargs;
    const ngx_http_swarm_matcher_t  *mt;

    mt = ngx_http_swarm_rule_find(ps, name, len);
    if (mt == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    ngx_http_swarm_rule_space(ps);

    if (ps->p == ps->end || *ps->p != '(') {
        return ngx_http_swarm_rule_error(ps, "\"(\" expected after "
                                         "\"%.*s\"", (int) len, name);
    }

    ps->p++;

    args = malloc(NGX_HTTP_SWARM_RULE_ARGS * sizeof(char *));
    if (args == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    nargs = 0;

    for ( ;; ) {
        if (nargs == NGX_HTTP_SWARM_RULE_ARGS) {
            rc = ngx_http_swarm_rule_error(ps, "matcher \"%s\" given over %d "
                                           "values", mt->name,
                                           NGX_HTTP_SWARM_RULE_ARGS);
            break;
        }

        rc = ngx_http_swarm_rule_string(ps, &args[nargs]);
        if (rc != NGX_HTTP_SWARM_DONE) {
            break;
        }

        nargs++;

        ngx_http_swarm_rule_space(ps);

        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }

        if (ps->p < ps->end && *ps->p == ')') {
            ps->p++;
            rc = ngx_http_swarm_rule_apply(ps, mt, args, nargs, out);
            break;
        }

        rc = ngx_http_swarm_rule_error(ps, "\",\" or \")\" expected at "
                                       "offset %zu",
                                       (size_t) (ps->p - ps->start));
        break;
    }

    free(args);

    return rc;
}


/*
 * The matcher of a name in the rule's syntax, or NULL, with an error:
 * one of another syntax names the one that has it
 */

static const ngx_http_swarm_matcher_t *
ngx_http_swarm_rule_find(ngx_http_swarm_parser_t *ps, const char *name,
    size_t len)
{
    unsigned                         other;
    const ngx_http_swarm_matcher_t  *mt;

    other = 0;

    for (mt = ngx_http_swarm_matchers; mt->name; mt++) {
        if (ps->syntax == 1 ? !ngx_http_swarm_rule_is(name, len, mt->name)
                            : !ngx_http_swarm_rule_spelled(name, len,
                                                           mt->name))
        {
            continue;
        }

        if (mt->syntax & (1u << ps->syntax)) {
            if (mt->gives == NGX_HTTP_SWARM_GIVES_CHANGE) {
                break;
            }

            return mt;
        }

        other |= mt->syntax;
    }

    if (mt->name) {
        (void) ngx_http_swarm_rule_error(ps, "\"%.*s\" changes the path: a "
                                         "middleware, not run here",
                                         (int) ngx_http_swarm_min(len, 64),
                                         name);

    } else if (other) {
        (void) ngx_http_swarm_rule_error(ps, "matcher \"%.*s\" is Traefik "
                                         "v%d's, not v%u's%s",
                                         (int) len, name,
                                         (other & NGX_HTTP_SWARM_V3) ? 3 : 2,
                                         ps->syntax,
                                         (other & NGX_HTTP_SWARM_V2)
                                         ? " (ruleSyntax=v2)" : "");

    } else {
        (void) ngx_http_swarm_rule_error(ps, "unknown matcher \"%.*s\"",
                                         (int) ngx_http_swarm_min(len, 64),
                                         name);
    }

    return NULL;
}


/* a matcher's values: host names, paths, or conditions */

static int
ngx_http_swarm_rule_apply(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out)
{
    size_t  i, first;

    if (nargs < mt->min || (mt->max && nargs > mt->max)) {
        return ngx_http_swarm_rule_error(ps, "matcher \"%s\" takes %u%s "
                                         "value%s, not %zu", mt->name,
                                         mt->min,
                                         mt->max == mt->min ? ""
                                         : mt->max ? " or 2" : " or more",
                                         mt->min == 1 && mt->max == 1
                                         ? "" : "s", nargs);
    }

    /* pkg/rules/parser.go, CheckRule() */

    for (i = 0; ps->syntax > 1 && i < nargs; i++) {
        if (args[i][0] == '\0') {
            return ngx_http_swarm_rule_error(ps, "matcher \"%s\" given an "
                                             "empty value", mt->name);
        }
    }

    switch (mt->gives) {

    case NGX_HTTP_SWARM_GIVES_HOSTS:
        first = ps->b.rule->nhosts;

        for (i = 0; i < nargs; i++) {
            if (ngx_http_swarm_matches_host(&ps->b, args[i], strlen(args[i]))
                != NGX_HTTP_SWARM_DONE)
            {
                return NGX_HTTP_SWARM_FAILED;
            }
        }

        return ngx_http_swarm_matches_hosts(&ps->b, first, out);

    case NGX_HTTP_SWARM_GIVES_PATH:
    case NGX_HTTP_SWARM_GIVES_PREFIX:
        return ngx_http_swarm_rule_paths(ps, mt, args, nargs, out);

    default:
        return ngx_http_swarm_rule_conds(ps, mt, args, nargs, out);
    }
}


/*
 * Path and PathPrefix: a match each; before v3, a path with a template
 * in it ("/u/{id:[0-9]+}") the condition of its expression
 */

static int
ngx_http_swarm_rule_paths(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out)
{
    char                    *re;
    size_t                   i;
    ngx_http_swarm_match_t   m;

    for (i = 0; i < nargs; i++) {
        memset(&m, 0, sizeof(ngx_http_swarm_match_t));

        if (ps->syntax < 3 && strchr(args[i], '{')) {
            if (args[i][0] != '/') {
                return ngx_http_swarm_rule_error(ps, "path \"%.64s\" does "
                                                 "not start with \"/\"",
                                                 args[i]);
            }

            if (ngx_http_swarm_rule_regexp(ps, args[i], 'p',
                                           mt->gives
                                           == NGX_HTTP_SWARM_GIVES_PREFIX,
                                           &re)
                != NGX_HTTP_SWARM_DONE
                || ngx_http_swarm_matches_cond(&ps->b,
                                               NGX_HTTP_SWARM_COND_PATH_REGEXP,
                                               "", &re, 1, &m)
                   != NGX_HTTP_SWARM_DONE)
            {
                return NGX_HTTP_SWARM_FAILED;
            }

        } else {
            m.path = ngx_http_swarm_matches_path(&ps->b, args[i],
                                                 strlen(args[i]));
            if (m.path == NULL) {
                return NGX_HTTP_SWARM_FAILED;
            }

            m.exact = (mt->gives == NGX_HTTP_SWARM_GIVES_PATH);
        }

        if (ngx_http_swarm_matches_push(&ps->b, out, &m)
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A matcher of conditions: one match with all of them.  v3: one value,
 * or a name and a value.  Before v3 (gorilla/mux's): HostRegexp's
 * templates, any of them; Headers and HeadersRegexp, names and values
 * in pairs, all of them (in v1, an empty value: any); Query, "key=value"
 * each, all of them, on the key's first value, a template or, empty,
 * any.
 */

static int
ngx_http_swarm_rule_conds(ngx_http_swarm_parser_t *ps,
    const ngx_http_swarm_matcher_t *mt, char **args, size_t nargs,
    ngx_http_swarm_or_t *out)
{
    int                      rc;
    char                    *re, *eq, *p;
    size_t                   i, len;
    unsigned                 type;
    ngx_http_swarm_match_t   m;

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    type = mt->gives;
    rc = NGX_HTTP_SWARM_DONE;

    switch (type) {

    case NGX_HTTP_SWARM_COND_HOST_REGEXP:
        if (ps->syntax == 3) {
            rc = ngx_http_swarm_matches_cond(&ps->b, type, "", args, 1, &m);
            break;
        }

        /* "^(?:a)$|^(?:b)$", in any case */

        len = 0;

        for (i = 0; rc == NGX_HTTP_SWARM_DONE && i < nargs; i++) {
            rc = ngx_http_swarm_rule_regexp(ps, args[i], 'h', 0, &args[i]);
            len += strlen(args[i]) + 1;
        }

        if (rc != NGX_HTTP_SWARM_DONE) {
            break;
        }

        re = malloc(len);
        if (re == NULL) {
            return ngx_http_swarm_rule_nomem(ps);
        }

        for (i = 0, p = re; i < nargs; i++) {
            p += sprintf(p, "%s%s", i ? "|" : "", args[i]);
        }

        args[0] = ngx_http_swarm_matches_keep(ps->b.rule, re, p - re);
        free(re);

        if (args[0] == NULL) {
            return ngx_http_swarm_rule_nomem(ps);
        }

        rc = ngx_http_swarm_matches_cond(&ps->b, type, "", args, 1, &m);

        if (rc == NGX_HTTP_SWARM_DONE) {
            ps->b.rule->conds[m.cond].caseless = 1;
        }

        break;

    case NGX_HTTP_SWARM_COND_PATH_REGEXP:
        rc = ngx_http_swarm_matches_cond(&ps->b, type, "", args, 1, &m);
        break;

    case NGX_HTTP_SWARM_COND_METHOD:
        for (i = 0; i < nargs; i++) {
            for (p = args[i]; *p; p++) {
                if (*p >= 'a' && *p <= 'z') {
                    *p = (char) (*p - 'a' + 'A');
                }
            }
        }

        rc = ngx_http_swarm_matches_cond(&ps->b, type, "", args, nargs, &m);
        break;

    case NGX_HTTP_SWARM_COND_HEADER:
    case NGX_HTTP_SWARM_COND_HEADER_REGEXP:
        if (nargs % 2) {
            return ngx_http_swarm_rule_error(ps, "matcher \"%s\" takes names "
                                             "and values in pairs",
                                             mt->name);
        }

        for (i = 0; rc == NGX_HTTP_SWARM_DONE && i < nargs; i += 2) {
            rc = ngx_http_swarm_matches_cond(&ps->b, type, args[i],
                                             &args[i + 1],
                                             (ps->syntax < 3
                                              && args[i + 1][0] == '\0')
                                             ? 0 : 1, &m);
        }

        break;

    case NGX_HTTP_SWARM_COND_QUERY:
    case NGX_HTTP_SWARM_COND_QUERY_REGEXP:
        if (ps->syntax == 3) {
            p = (nargs == 2) ? args[1] : "";

            rc = ngx_http_swarm_matches_cond(&ps->b,
                                             nargs == 2 ? type
                                             : NGX_HTTP_SWARM_COND_QUERY,
                                             args[0], &p, 1, &m);
            break;
        }

        for (i = 0; rc == NGX_HTTP_SWARM_DONE && i < nargs; i++) {
            eq = strchr(args[i], '=');

            if (eq == NULL) {
                return ngx_http_swarm_rule_error(ps, "query \"%.64s\" is no "
                                                 "\"key=value\"", args[i]);
            }

            *eq++ = '\0';
            type = NGX_HTTP_SWARM_COND_QUERY;

            if (strchr(eq, '{')) {
                type = NGX_HTTP_SWARM_COND_QUERY_REGEXP;
                rc = ngx_http_swarm_rule_regexp(ps, eq, 'q', 0, &eq);
            }

            if (rc == NGX_HTTP_SWARM_DONE) {
                rc = ngx_http_swarm_matches_cond(&ps->b, type, args[i], &eq,
                                                 *eq ? 1 : 0, &m);
            }

            if (rc == NGX_HTTP_SWARM_DONE) {
                ps->b.rule->conds[m.cond + m.nconds - 1].first = 1;
            }
        }

        break;

    case NGX_HTTP_SWARM_COND_CLIENT_IP:
        rc = ngx_http_swarm_matches_cond(&ps->b, type, "", args, nargs, &m);
        break;

    default:
        return ngx_http_swarm_rule_error(ps, "\"%s\" changes the path: a "
                                         "middleware, not run here",
                                         mt->name);
    }

    if (rc != NGX_HTTP_SWARM_DONE) {
        return rc;
    }

    return ngx_http_swarm_matches_push(&ps->b, out, &m);
}


/* a template's expression (ngx_http_swarm_cond_template()), kept */

static int
ngx_http_swarm_rule_regexp(ngx_http_swarm_parser_t *ps, const char *tpl,
    char what, unsigned prefix, char **re)
{
    char  buf[NGX_HTTP_SWARM_RULE_REGEXP];

    if (ngx_http_swarm_cond_template(tpl, what, prefix, buf, sizeof(buf),
                                     ps->b.err, ps->b.errlen)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    *re = ngx_http_swarm_matches_keep(ps->b.rule, buf, strlen(buf));

    return *re ? NGX_HTTP_SWARM_DONE : ngx_http_swarm_rule_nomem(ps);
}


/* values joined by ",", spaces around them dropped, kept, into args */

static int
ngx_http_swarm_rule_list(ngx_http_swarm_parser_t *ps, const char *s,
    size_t len, char **args, size_t *nargs)
{
    const char  *v, *end, *comma, *last;

    last = s + len;
    *nargs = 0;

    for (v = s; ; v = comma + 1) {
        comma = memchr(v, ',', last - v);
        end = comma ? comma : last;

        while (v < end && *v == ' ') {
            v++;
        }

        while (end > v && end[-1] == ' ') {
            end--;
        }

        if (*nargs == NGX_HTTP_SWARM_RULE_ARGS) {
            return ngx_http_swarm_rule_error(ps, "over %d values",
                                             NGX_HTTP_SWARM_RULE_ARGS);
        }

        args[*nargs] = ngx_http_swarm_matches_keep(ps->b.rule, v, end - v);
        if (args[(*nargs)++] == NULL) {
            return ngx_http_swarm_rule_nomem(ps);
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

    *value = ngx_http_swarm_matches_keep(ps->b.rule, buf, n);

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
 * A Traefik v1 frontend rule, as in traefik.frontend.rule: matchers
 * joined by ";" (and), each "Name:value,value".  Returns as
 * ngx_http_swarm_rule_parse() does.
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

    ps.syntax = 1;

    /* what nothing restricts: any host, any path */

    memset(&any, 0, sizeof(ngx_http_swarm_match_t));

    or.m = NULL;
    or.n = 0;

    if (ngx_http_swarm_matches_push(&ps.b, &or, &any)
        != NGX_HTTP_SWARM_DONE)
    {
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
            || ngx_http_swarm_matches_cross(&ps.b, &or, &next)
               != NGX_HTTP_SWARM_DONE)
        {
            free(next.m);
            free(or.m);
            return NGX_HTTP_SWARM_FAILED;
        }

        free(next.m);
    }

    return ngx_http_swarm_matches_done(&ps.b, &or);
}


/*
 * "Name:value,value" of a v1 rule (pkg/rules/rules.go): Host, Path,
 * PathPrefix, HostRegexp, Method, Headers, HeadersRegexp and Query, as
 * Traefik v2's, in any case
 */

static int
ngx_http_swarm_rule_v1_part(ngx_http_swarm_parser_t *ps, const char *s,
    size_t len, ngx_http_swarm_or_t *out)
{
    int                              rc;
    char                           **args;
    size_t                           nlen, nargs;
    const char                      *colon;
    const ngx_http_swarm_matcher_t  *mt;

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

    mt = ngx_http_swarm_rule_find(ps, s, nlen);
    if (mt == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    args = malloc(NGX_HTTP_SWARM_RULE_ARGS * sizeof(char *));
    if (args == NULL) {
        return ngx_http_swarm_rule_nomem(ps);
    }

    rc = ngx_http_swarm_rule_list(ps, colon + 1, s + len - colon - 1, args,
                                  &nargs);

    if (rc == NGX_HTTP_SWARM_DONE) {
        rc = ngx_http_swarm_rule_apply(ps, mt, args, nargs, out);
    }

    free(args);

    return rc;
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
    int                       rc;
    char                    **args;
    size_t                    i, nargs;
    ngx_http_swarm_or_t       or;
    ngx_http_swarm_match_t    m;
    ngx_http_swarm_parser_t   ps;

    (void) ngx_http_swarm_rule_init(&ps, rule, "", 0, err, errlen);

    ps.b.native = 1;
    ps.syntax = 0;

    if (hosts == NULL && path == NULL) {
        return ngx_http_swarm_rule_error(&ps, "no swarm.http.host or "
                                         "swarm.http.path label");
    }

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    if (hosts) {
        args = malloc(NGX_HTTP_SWARM_RULE_ARGS * sizeof(char *));
        if (args == NULL) {
            return ngx_http_swarm_rule_nomem(&ps);
        }

        rc = ngx_http_swarm_rule_list(&ps, hosts, strlen(hosts), args,
                                      &nargs);

        for (i = 0; rc == NGX_HTTP_SWARM_DONE && i < nargs; i++) {
            rc = ngx_http_swarm_matches_host(&ps.b, args[i], strlen(args[i]));
        }

        free(args);

        if (rc != NGX_HTTP_SWARM_DONE) {
            return NGX_HTTP_SWARM_FAILED;
        }

        m.nhosts = rule->nhosts;
    }

    if (path) {
        m.path = ngx_http_swarm_matches_path(&ps.b, path, strlen(path));
        if (m.path == NULL) {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    or.m = NULL;
    or.n = 0;

    if (ngx_http_swarm_matches_push(&ps.b, &or, &m)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_matches_done(&ps.b, &or);
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


static int
ngx_http_swarm_rule_error(ngx_http_swarm_parser_t *ps, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_http_swarm_matches_verror(&ps->b, fmt, args);
    va_end(args);

    return NGX_HTTP_SWARM_FAILED;
}


static int
ngx_http_swarm_rule_nomem(ngx_http_swarm_parser_t *ps)
{
    return ngx_http_swarm_matches_nomem(&ps->b);
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


void
ngx_http_swarm_rule_free(ngx_http_swarm_rule_t *rule)
{
    size_t  i;

    for (i = 0; i < rule->nstrings; i++) {
        free(rule->strings[i]);
    }

    free(rule->strings);
    free(rule->hosts);
    free(rule->conds);
    free(rule->values);
    free(rule->matches);

    memset(rule, 0, sizeof(ngx_http_swarm_rule_t));
}
