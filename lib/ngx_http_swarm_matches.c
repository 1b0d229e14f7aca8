
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The matches of a routing rule being built (ngx_http_swarm_rule.c reads
 * the rules' syntaxes into them): host names and paths checked and
 * kept, conditions checked (ngx_http_swarm_cond.c), matches joined by
 * "||", crossed by "&&" (two paths into what both match, a second set
 * of host names into a condition) and negated by "!" (pushed down to
 * each part), all within bounds; and a rule as JSON, as the workers get
 * it, read back and checked as it was built.  Pure: jansson and libc
 * only, no nginx, no I/O.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static int ngx_http_swarm_matches_check(ngx_http_swarm_build_t *b,
    const ngx_http_swarm_cond_t *c);
static int ngx_http_swarm_matches_append(ngx_http_swarm_build_t *b,
    ngx_http_swarm_cond_t cond, ngx_http_swarm_match_t *m);
static int ngx_http_swarm_matches_copy(ngx_http_swarm_build_t *b,
    size_t first, size_t n, unsigned negate, ngx_http_swarm_match_t *m);
static int ngx_http_swarm_matches_both(const ngx_http_swarm_match_t *a,
    const ngx_http_swarm_match_t *b, ngx_http_swarm_match_t *m);
static json_t *ngx_http_swarm_matches_conds_json(
    const ngx_http_swarm_rule_t *rule, const ngx_http_swarm_match_t *m);
static int ngx_http_swarm_matches_conds_from_json(ngx_http_swarm_build_t *b,
    json_t *list, ngx_http_swarm_match_t *m);


/* a rule to build, empty, its errors into err */

void
ngx_http_swarm_matches_start(ngx_http_swarm_build_t *b,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    memset(rule, 0, sizeof(ngx_http_swarm_rule_t));

    b->rule = rule;
    b->native = 0;
    b->values = 0;
    b->err = err;
    b->errlen = errlen;
}


/*
 * A condition more of m (whose conditions are the last of the rule's),
 * of the values given, checked
 */

int
ngx_http_swarm_matches_cond(ngx_http_swarm_build_t *b, unsigned type,
    const char *name, char **values, size_t n, ngx_http_swarm_match_t *m)
{
    char                  **v;
    size_t                  i;
    ngx_http_swarm_cond_t   cond;
    ngx_http_swarm_rule_t  *rule;

    rule = b->rule;

    if (rule->nconds == NGX_HTTP_SWARM_RULE_CONDS
        || b->values + n > NGX_HTTP_SWARM_RULE_CONDS)
    {
        return ngx_http_swarm_matches_error(b, "rule gives over %d conditions",
                                            NGX_HTTP_SWARM_RULE_CONDS);
    }

    memset(&cond, 0, sizeof(ngx_http_swarm_cond_t));

    cond.type = type;
    cond.name = name;
    cond.value = rule->nvalues;
    cond.nvalues = n;

    v = realloc(rule->values, (rule->nvalues + n + 1) * sizeof(char *));
    if (v == NULL) {
        return ngx_http_swarm_matches_nomem(b);
    }

    rule->values = v;

    for (i = 0; i < n; i++) {
        v[rule->nvalues + i] = values[i];
    }

    rule->nvalues += n;

    if (ngx_http_swarm_matches_check(b, &cond) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_matches_append(b, cond, m);
}


/*
 * a condition more of m, whose conditions are the last of the rule's,
 * within the bounds: on conditions, and on their values as the rule's
 * JSON gives them again, a copy's too (its own there), so that every
 * rule made reads back
 */

static int
ngx_http_swarm_matches_append(ngx_http_swarm_build_t *b,
    ngx_http_swarm_cond_t cond, ngx_http_swarm_match_t *m)
{
    ngx_http_swarm_cond_t  *c;
    ngx_http_swarm_rule_t  *rule;

    rule = b->rule;

    if (rule->nconds == NGX_HTTP_SWARM_RULE_CONDS
        || b->values + cond.nvalues > NGX_HTTP_SWARM_RULE_CONDS)
    {
        return ngx_http_swarm_matches_error(b, "rule gives over %d "
                                            "conditions",
                                            NGX_HTTP_SWARM_RULE_CONDS);
    }

    b->values += cond.nvalues;

    c = realloc(rule->conds,
                (rule->nconds + 1) * sizeof(ngx_http_swarm_cond_t));
    if (c == NULL) {
        return ngx_http_swarm_matches_nomem(b);
    }

    rule->conds = c;

    if (m->nconds == 0) {
        m->cond = rule->nconds;
    }

    c[rule->nconds++] = cond;
    m->nconds++;

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A condition's name and values as Traefik takes them, in UTF-8:
 * regular expressions of RE2's syntax, in ASCII where they are of a
 * host, client addresses, methods not empty
 */

static int
ngx_http_swarm_matches_check(ngx_http_swarm_build_t *b,
    const ngx_http_swarm_cond_t *c)
{
    size_t       i;
    json_t      *j;
    const char  *v, *p;
    char         err[NGX_HTTP_SWARM_ERR_LEN];

    /* what is published is JSON: text that is no UTF-8 could not be */

    for (i = 0; i <= c->nvalues; i++) {
        v = (i < c->nvalues) ? b->rule->values[c->value + i] : c->name;

        j = json_string(v);
        if (j == NULL) {
            return ngx_http_swarm_matches_error(b, "a value of %s that is not "
                                                "UTF-8",
                                                ngx_http_swarm_cond_name(
                                                    c->type));
        }

        json_decref(j);
    }

    for (i = 0; i < c->nvalues; i++) {
        v = b->rule->values[c->value + i];

        switch (c->type) {

        case NGX_HTTP_SWARM_COND_HOST_REGEXP:
            for (p = v; *p; p++) {
                if ((unsigned char) *p >= 0x80) {
                    return ngx_http_swarm_matches_error(b, "HostRegexp "
                                                        "\"%.64s\" is not "
                                                        "ASCII", v);
                }
            }

            /* fall through */

        case NGX_HTTP_SWARM_COND_PATH_REGEXP:
        case NGX_HTTP_SWARM_COND_HEADER_REGEXP:
        case NGX_HTTP_SWARM_COND_QUERY_REGEXP:
            if (ngx_http_swarm_cond_re2(v, err, sizeof(err))
                != NGX_HTTP_SWARM_DONE)
            {
                return ngx_http_swarm_matches_error(b, "%s: %s",
                                                    ngx_http_swarm_cond_name(
                                                        c->type), err);
            }

            break;

        case NGX_HTTP_SWARM_COND_CLIENT_IP:
            if (!ngx_http_swarm_cond_address(v)) {
                return ngx_http_swarm_matches_error(b, "invalid ClientIP "
                                                    "\"%.64s\"", v);
            }

            break;

        case NGX_HTTP_SWARM_COND_METHOD:
            if (v[0] == '\0') {
                return ngx_http_swarm_matches_error(b, "empty Method");
            }

            break;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* the match of the host names kept from "first" on */

int
ngx_http_swarm_matches_hosts(ngx_http_swarm_build_t *b, size_t first,
    ngx_http_swarm_or_t *out)
{
    ngx_http_swarm_match_t  m;

    memset(&m, 0, sizeof(ngx_http_swarm_match_t));

    m.host = first;
    m.nhosts = b->rule->nhosts - first;

    return ngx_http_swarm_matches_push(b, out, &m);
}


/*
 * x && y, into x: each match of x with each of y, with the conditions of
 * both; host names of both: those of y a condition
 */

int
ngx_http_swarm_matches_cross(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *x, ngx_http_swarm_or_t *y)
{
    int                      rc;
    char                   **hosts;
    size_t                   i, j;
    ngx_http_swarm_or_t      out;
    ngx_http_swarm_match_t   m, *ma, *mb;

    out.m = NULL;
    out.n = 0;

    for (i = 0; i < x->n; i++) {
        for (j = 0; j < y->n; j++) {
            ma = &x->m[i];
            mb = &y->m[j];

            m = *ma;
            m.nconds = 0;

            if (mb->nhosts && !ma->nhosts) {
                m.host = mb->host;
                m.nhosts = mb->nhosts;
            }

            /* two paths: what both match, if any request does */

            if (ma->path && mb->path) {
                if (!ngx_http_swarm_matches_both(ma, mb, &m)) {
                    continue;
                }

            } else if (mb->path) {
                m.path = mb->path;
                m.exact = mb->exact;
            }

            rc = ngx_http_swarm_matches_copy(b, ma->cond, ma->nconds, 0, &m);

            if (rc == NGX_HTTP_SWARM_DONE) {
                rc = ngx_http_swarm_matches_copy(b, mb->cond, mb->nconds, 0,
                                                 &m);
            }

            if (rc == NGX_HTTP_SWARM_DONE && ma->nhosts && mb->nhosts) {
                hosts = &b->rule->hosts[mb->host];
                rc = ngx_http_swarm_matches_cond(b, NGX_HTTP_SWARM_COND_HOST,
                                                 "", hosts, mb->nhosts, &m);
            }

            if (rc == NGX_HTTP_SWARM_DONE) {
                rc = ngx_http_swarm_matches_push(b, &out, &m);
            }

            if (rc != NGX_HTTP_SWARM_DONE) {
                free(out.m);
                return NGX_HTTP_SWARM_FAILED;
            }
        }
    }

    free(x->m);
    *x = out;

    return NGX_HTTP_SWARM_DONE;
}


/*
 * !or: for each match, one of its parts not met (its hosts, its path,
 * or one of its conditions): the "and" of those "or"s, crossed out
 */

int
ngx_http_swarm_matches_not(ngx_http_swarm_build_t *b, ngx_http_swarm_or_t *or)
{
    int                      rc;
    char                    *path;
    size_t                   i, k;
    ngx_http_swarm_or_t      result, alt;
    ngx_http_swarm_match_t   m, any, *orig;

    memset(&any, 0, sizeof(ngx_http_swarm_match_t));

    result.m = NULL;
    result.n = 0;
    rc = ngx_http_swarm_matches_push(b, &result, &any);

    for (i = 0; rc == NGX_HTTP_SWARM_DONE && i < or->n; i++) {
        orig = &or->m[i];

        alt.m = NULL;
        alt.n = 0;

        if (orig->nhosts) {
            memset(&m, 0, sizeof(ngx_http_swarm_match_t));

            rc = ngx_http_swarm_matches_cond(b, NGX_HTTP_SWARM_COND_HOST, "",
                                             &b->rule->hosts[orig->host],
                                             orig->nhosts, &m);
            if (rc == NGX_HTTP_SWARM_DONE) {
                b->rule->conds[m.cond].negate = 1;
                rc = ngx_http_swarm_matches_push(b, &alt, &m);
            }
        }

        if (rc == NGX_HTTP_SWARM_DONE && orig->path) {
            memset(&m, 0, sizeof(ngx_http_swarm_match_t));

            path = (char *) orig->path;

            rc = ngx_http_swarm_matches_cond(b,
                                             orig->exact
                                             ? NGX_HTTP_SWARM_COND_PATH
                                             : NGX_HTTP_SWARM_COND_PATH_PREFIX,
                                             "", &path, 1, &m);
            if (rc == NGX_HTTP_SWARM_DONE) {
                b->rule->conds[m.cond].negate = 1;
                rc = ngx_http_swarm_matches_push(b, &alt, &m);
            }
        }

        for (k = 0; rc == NGX_HTTP_SWARM_DONE && k < orig->nconds; k++) {
            memset(&m, 0, sizeof(ngx_http_swarm_match_t));

            rc = ngx_http_swarm_matches_copy(b, orig->cond + k, 1, 1, &m);
            if (rc == NGX_HTTP_SWARM_DONE) {
                rc = ngx_http_swarm_matches_push(b, &alt, &m);
            }
        }

        if (rc == NGX_HTTP_SWARM_DONE) {
            rc = ngx_http_swarm_matches_cross(b, &result, &alt);
        }

        free(alt.m);
    }

    free(or->m);

    if (rc != NGX_HTTP_SWARM_DONE) {
        free(result.m);
        or->m = NULL;
        or->n = 0;
        return NGX_HTTP_SWARM_FAILED;
    }

    *or = result;

    return NGX_HTTP_SWARM_DONE;
}


/*
 * n conditions more of m, copies of the rule's from "first" on, negated
 * where "negate" is set
 */

static int
ngx_http_swarm_matches_copy(ngx_http_swarm_build_t *b, size_t first,
    size_t n, unsigned negate, ngx_http_swarm_match_t *m)
{
    size_t                  i;
    ngx_http_swarm_cond_t   cond;
    ngx_http_swarm_rule_t  *rule;

    rule = b->rule;

    for (i = 0; i < n; i++) {
        cond = rule->conds[first + i];
        cond.negate ^= negate;

        if (ngx_http_swarm_matches_append(b, cond, m) != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* x || y, into x */

int
ngx_http_swarm_matches_union(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *x, ngx_http_swarm_or_t *y)
{
    size_t  j;

    for (j = 0; j < y->n; j++) {
        if (ngx_http_swarm_matches_push(b, x, &y->m[j])
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


int
ngx_http_swarm_matches_push(ngx_http_swarm_build_t *b, ngx_http_swarm_or_t *or,
    const ngx_http_swarm_match_t *m)
{
    ngx_http_swarm_match_t  *p;

    if (or->n == NGX_HTTP_SWARM_RULE_MATCHES) {
        return ngx_http_swarm_matches_error(b, "rule gives over %d matches",
                                            NGX_HTTP_SWARM_RULE_MATCHES);
    }

    p = realloc(or->m, (or->n + 1) * sizeof(ngx_http_swarm_match_t));
    if (p == NULL) {
        return ngx_http_swarm_matches_nomem(b);
    }

    p[or->n] = *m;
    p[or->n++].deep = b->native;
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

int
ngx_http_swarm_matches_host(ngx_http_swarm_build_t *b, const char *s,
    size_t len)
{
    char    *name, **hosts;
    size_t   i, from;

    if (len && s[len - 1] == '.') {
        len--;
    }

    from = (len > 2 && s[0] == '*' && s[1] == '.') ? 2 : 0;

    if (!b->native && len == 1 && s[0] == '*') {
        goto valid;
    }

    if (len == from || len > 253 || s[len - 1] == '.'
        || (!b->native && s[0] == '*' && from == 0))
    {
        goto invalid;
    }

    for (i = from; i < len; i++) {
        if (b->native
            ? !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
                || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'
                || (s[i] == '.' && i > from && s[i - 1] != '.'))
            : ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f))
        {
            goto invalid;
        }
    }

valid:

    if (b->rule->nhosts == NGX_HTTP_SWARM_RULE_HOSTS) {
        return ngx_http_swarm_matches_error(b, "rule names over %d hosts",
                                            NGX_HTTP_SWARM_RULE_HOSTS);
    }

    name = ngx_http_swarm_matches_keep(b->rule, s, len);
    if (name == NULL) {
        return ngx_http_swarm_matches_nomem(b);
    }

    for (i = 0; i < len; i++) {
        if (name[i] >= 'A' && name[i] <= 'Z') {
            name[i] = (char) (name[i] - 'A' + 'a');
        }
    }

    hosts = realloc(b->rule->hosts,
                    (b->rule->nhosts + 1) * sizeof(char *));
    if (hosts == NULL) {
        return ngx_http_swarm_matches_nomem(b);
    }

    hosts[b->rule->nhosts++] = name;
    b->rule->hosts = hosts;

    return NGX_HTTP_SWARM_DONE;

invalid:

    return ngx_http_swarm_matches_error(b, "invalid host name \"%.*s\"",
                                        (int) ngx_http_swarm_min(len, 64), s);
}


/*
 * a path: "/" and bytes but controls (a space too: Traefik routes by
 * "/foo bar" what comes as "/foo%20bar")
 */

char *
ngx_http_swarm_matches_path(ngx_http_swarm_build_t *b, const char *s,
    size_t len)
{
    char    *path;
    size_t   i;
    json_t  *v;

    if (len == 0 || s[0] != '/') {
        (void) ngx_http_swarm_matches_error(b, "path \"%.*s\" does not start "
                                            "with \"/\"",
                                            (int) ngx_http_swarm_min(len, 64),
                                            s);
        return NULL;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            (void) ngx_http_swarm_matches_error(b, "invalid path \"%.*s\"",
                                                (int) ngx_http_swarm_min(len,
                                                                      64),
                                                s);
            return NULL;
        }
    }

    /* what is published is JSON: a path that is no UTF-8 could not be */

    v = json_stringn(s, len);
    if (v == NULL) {
        (void) ngx_http_swarm_matches_error(b, "a path that is not UTF-8");
        return NULL;
    }

    json_decref(v);

    path = ngx_http_swarm_matches_keep(b->rule, s, len);
    if (path == NULL) {
        (void) ngx_http_swarm_matches_nomem(b);
    }

    return path;
}


/* a copy of s, terminated, freed with the rule */

char *
ngx_http_swarm_matches_keep(ngx_http_swarm_rule_t *rule, const char *s,
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
 * The path of two matches joined by "&&" into m: the longer of two
 * prefixes one of which begins the other, an exact path its prefix
 * begins, or the same exact path; 0 where no request matches both
 */

static int
ngx_http_swarm_matches_both(const ngx_http_swarm_match_t *a,
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

int
ngx_http_swarm_matches_done(ngx_http_swarm_build_t *b, ngx_http_swarm_or_t *or)
{
    size_t  i;

    if (or->n == 0) {
        return ngx_http_swarm_matches_error(b, "the rule matches no request "
                                            "(its paths joined by \"&&\" "
                                            "exclude each other)");
    }

    for (i = 0; i < or->n; i++) {
        if (or->m[i].path == NULL) {
            or->m[i].path = "/";
            or->m[i].exact = 0;
        }
    }

    b->rule->matches = or->m;
    b->rule->n = or->n;

    return NGX_HTTP_SWARM_DONE;
}


int
ngx_http_swarm_matches_error(ngx_http_swarm_build_t *b, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_http_swarm_matches_verror(b, fmt, args);
    va_end(args);

    return NGX_HTTP_SWARM_FAILED;
}


void
ngx_http_swarm_matches_verror(ngx_http_swarm_build_t *b, const char *fmt,
    va_list args)
{
    if (b->errlen) {
        vsnprintf(b->err, b->errlen, fmt, args);
    }
}


int
ngx_http_swarm_matches_nomem(ngx_http_swarm_build_t *b)
{
    return ngx_http_swarm_matches_error(b, "out of memory");
}


/*
 * A rule as JSON, as the workers get it and swarm_status shows it: its
 * matches, each {"hosts": [...], "path": "/p", "exact": false}, and
 * "if": [{"type": "Header", "name": "X-A", "values": ["1"]}, ...] where
 * it has conditions ("not", "caseless", "first": true where set).
 */

json_t *
ngx_http_swarm_matches_json(const ngx_http_swarm_rule_t *rule)
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

        if (m && match->nconds
            && json_object_set_new(m, "if",
                                   ngx_http_swarm_matches_conds_json(rule,
                                                                     match))
               != 0)
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
 * The rule of ngx_http_swarm_matches_json(), checked as a parsed one is:
 * returns as ngx_http_swarm_rule_parse() does.
 */

int
ngx_http_swarm_matches_from_json(json_t *json, ngx_http_swarm_rule_t *rule,
    char *err, size_t errlen)
{
    size_t                    i, j, k, first;
    json_t                   *m, *hosts, *h, *path, *of;
    ngx_http_swarm_or_t       or;
    ngx_http_swarm_match_t    match;
    ngx_http_swarm_build_t    b;

    ngx_http_swarm_matches_start(&b, rule, err, errlen);

    or.m = NULL;
    or.n = 0;

    if (!json_is_array(json) || json_array_size(json) == 0) {
        return ngx_http_swarm_matches_error(&b, "no matches");
    }

    json_array_foreach(json, i, m) {
        hosts = json_object_get(m, "hosts");
        of = json_object_get(m, "hosts_of");
        path = json_object_get(m, "path");

        if ((!json_is_array(hosts) && !json_is_integer(of))
            || !json_is_string(path))
        {
            free(or.m);
            return ngx_http_swarm_matches_error(&b, "match %zu is no match",
                                                i);
        }

        memset(&match, 0, sizeof(ngx_http_swarm_match_t));

        b.native = json_is_true(json_object_get(m, "deep"));

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
                return ngx_http_swarm_matches_error(&b, "match %zu names "
                                                    "no match before it", i);
            }

            match.host = or.m[k].host;
            match.nhosts = or.m[k].nhosts;
            goto path;
        }

        first = rule->nhosts;

        json_array_foreach(hosts, j, h) {
            if (!json_is_string(h)
                || ngx_http_swarm_matches_host(&b, json_string_value(h),
                                               json_string_length(h))
                   != NGX_HTTP_SWARM_DONE)
            {
                free(or.m);
                return ngx_http_swarm_matches_error(&b, "match %zu has an "
                                                    "invalid host", i);
            }
        }

        match.host = first;
        match.nhosts = rule->nhosts - first;

    path:

        match.exact = json_is_true(json_object_get(m, "exact"));
        match.path = ngx_http_swarm_matches_path(&b, json_string_value(path),
                                                 json_string_length(path));

        if (match.path == NULL
            || ngx_http_swarm_matches_conds_from_json(&b,
                                                      json_object_get(m, "if"),
                                                      &match)
               != NGX_HTTP_SWARM_DONE
            || ngx_http_swarm_matches_push(&b, &or, &match)
               != NGX_HTTP_SWARM_DONE)
        {
            free(or.m);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return ngx_http_swarm_matches_done(&b, &or);
}


/* a match's conditions as JSON */

static json_t *
ngx_http_swarm_matches_conds_json(const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_match_t *m)
{
    size_t                        i, k;
    json_t                       *list, *c, *values;
    const ngx_http_swarm_cond_t  *cond;

    list = json_array();

    for (i = 0; list && i < m->nconds; i++) {
        cond = &rule->conds[m->cond + i];

        values = json_array();

        for (k = 0; values && k < cond->nvalues; k++) {
            if (json_array_append_new(values,
                                      json_string(rule->values[cond->value
                                                               + k]))
                != 0)
            {
                json_decref(values);
                values = NULL;
            }
        }

        c = json_pack("{sssss o}", "type",
                      ngx_http_swarm_cond_name(cond->type),
                      "name", cond->name, "values", values);

        if (c && cond->negate) {
            json_object_set_new(c, "not", json_true());
        }

        if (c && cond->caseless) {
            json_object_set_new(c, "caseless", json_true());
        }

        if (c && cond->first) {
            json_object_set_new(c, "first", json_true());
        }

        if (c == NULL || json_array_append_new(list, c) != 0) {
            json_decref(list);
            list = NULL;
        }
    }

    return list;
}


/* the conditions of ngx_http_swarm_matches_conds_json(), checked, into m */

static int
ngx_http_swarm_matches_conds_from_json(ngx_http_swarm_build_t *b,
    json_t *list, ngx_http_swarm_match_t *m)
{
    int          type;
    char        *name, **values;
    size_t       i, k, n;
    json_t      *c, *v, *vs;
    const char  *t;

    if (list == NULL) {
        return NGX_HTTP_SWARM_DONE;
    }

    if (!json_is_array(list)) {
        return ngx_http_swarm_matches_error(b, "conditions are no list");
    }

    json_array_foreach(list, i, c) {
        t = json_string_value(json_object_get(c, "type"));
        type = t ? ngx_http_swarm_cond_type(t) : -1;
        vs = json_object_get(c, "values");
        v = json_object_get(c, "name");

        if (type < 0 || !json_is_array(vs) || !json_is_string(v)) {
            return ngx_http_swarm_matches_error(b, "condition %zu is no "
                                                "condition", i);
        }

        n = json_array_size(vs);

        name = ngx_http_swarm_matches_keep(b->rule, json_string_value(v),
                                           json_string_length(v));
        values = malloc((n ? n : 1) * sizeof(char *));

        if (name == NULL || values == NULL) {
            free(values);
            return ngx_http_swarm_matches_nomem(b);
        }

        json_array_foreach(vs, k, v) {
            values[k] = json_is_string(v)
                        ? ngx_http_swarm_matches_keep(b->rule,
                                                      json_string_value(v),
                                                      json_string_length(v))
                        : NULL;

            if (values[k] == NULL) {
                free(values);
                return ngx_http_swarm_matches_error(b, "condition %zu has an "
                                                    "invalid value", i);
            }
        }

        if (ngx_http_swarm_matches_cond(b, (unsigned) type, name, values, n, m)
            != NGX_HTTP_SWARM_DONE)
        {
            free(values);
            return NGX_HTTP_SWARM_FAILED;
        }

        free(values);

        b->rule->conds[m->cond + m->nconds - 1].negate =
                                      json_is_true(json_object_get(c, "not"));
        b->rule->conds[m->cond + m->nconds - 1].caseless =
                                 json_is_true(json_object_get(c, "caseless"));
        b->rule->conds[m->cond + m->nconds - 1].first =
                                    json_is_true(json_object_get(c, "first"));
    }

    return NGX_HTTP_SWARM_DONE;
}
