
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Which route a request goes to, by its Host and path (and the
 * conditions of Traefik's other matchers, which the caller tests), among
 * routes each given as a rule (ngx_http_swarm_rule.c), in one of two
 * orders.  The
 * native order: a priority, where given, decides first, the higher the
 * better; then the host: an exact name, then wildcards, the longer
 * suffix first, then routes for any host; then the path: the longest,
 * an exact path before a prefix of the same length.  Traefik's order
 * (its muxer): every route has a priority, the higher the better, and
 * nothing else counts.  Then, in both, the service name, and the order
 * the routes are given in (by router name), so that the choice never
 * depends on the order Docker lists services in.  The table is built
 * once per set of routes; a lookup hashes the exact name, its wildcard
 * of one label and, where the table has wildcards of any depth, each of
 * its suffixes, so it costs the same whatever the number of hosts.
 * Also the path Traefik routes a request by.  Pure: libc only.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


/*
 * A host name (or none) and a path of a route: one for each host name
 * of each of its matches.
 */

typedef struct {
    const char                *host;
    size_t                     hlen;
    const char                *path;
    size_t                     plen;
    unsigned                   exact;
    size_t                     route;

    /* the match's conditions, where it has any */
    const ngx_http_swarm_match_t  *match;
} ngx_http_swarm_entry_t;


/* a lookup: the request, as routed */

typedef struct {
    const char                *host;
    size_t                     hlen;
    const char                *path;
    size_t                     plen;
    const ngx_http_swarm_test_t  *test;
} ngx_http_swarm_lookup_t;


/* a host name, "*.suffix", or "" for any host, and its entries, in order */

typedef struct {
    const char                *host;
    size_t                     hlen;
    size_t                     first;
    size_t                     n;
} ngx_http_swarm_key_host_t;


struct ngx_http_swarm_routes_s {
    const ngx_http_swarm_route_t  *routes;
    unsigned                   order;

    /*
     * "**.suffix" keys of wildcards of any depth, and whether any; and
     * whether any "*.suffix" key of one label: a lookup skips those
     * there are none of
     */
    char                      *names;
    unsigned                   deep;
    unsigned                   wild;
    ngx_http_swarm_entry_t    *entries;
    size_t                     nentries;
    ngx_http_swarm_key_host_t *keys;
    size_t                     nkeys;
    uint32_t                  *slots;
    size_t                     mask;
    long                       any;
};


static int ngx_http_swarm_entry_cmp(const void *a, const void *b);
static int ngx_http_swarm_entry_order(const ngx_http_swarm_routes_t *t,
    const ngx_http_swarm_entry_t *a, const ngx_http_swarm_entry_t *b);
static int ngx_http_swarm_route_cmp(const ngx_http_swarm_route_t *a,
    const ngx_http_swarm_route_t *b);
static long ngx_http_swarm_routes_key(const ngx_http_swarm_routes_t *t,
    const char *host, size_t len);
static long ngx_http_swarm_routes_best(const ngx_http_swarm_routes_t *t,
    long key, long best, const ngx_http_swarm_lookup_t *lk);
static int ngx_http_swarm_routes_met(const ngx_http_swarm_routes_t *t,
    const ngx_http_swarm_entry_t *e, const ngx_http_swarm_lookup_t *lk);
static int ngx_http_swarm_routes_host(const char *name, size_t len,
    const char *host);
static long ngx_http_swarm_routes_better(const ngx_http_swarm_routes_t *t,
    long best, long later);
static int ngx_http_swarm_routes_hex(unsigned char c);


/* qsort() knows no context: the table being built */
static const ngx_http_swarm_routes_t  *ngx_http_swarm_sorting;


/*
 * The table of n routes in an order, but those to skip, which it points
 * to (with their rules) while it lives; NULL if out of memory.  In
 * Traefik's order, every route must have a priority.  A match no
 * request can reach, as an earlier route has the same host, path and
 * priority, is reported with the route's index as "upstream".
 */

ngx_http_swarm_routes_t *
ngx_http_swarm_routes_build(const ngx_http_swarm_route_t *routes, size_t n,
    unsigned order, ngx_http_swarm_report_t *report)
{
    char                         *name;
    size_t                        i, j, k, h, nslots, size;
    ngx_http_swarm_entry_t       *e, *prev;
    ngx_http_swarm_routes_t      *t;
    const ngx_http_swarm_rule_t  *rule;
    const ngx_http_swarm_match_t *m;

    t = calloc(1, sizeof(ngx_http_swarm_routes_t));
    if (t == NULL) {
        return NULL;
    }

    t->routes = routes;
    t->order = order;
    t->any = -1;

    for (i = 0, k = 0, size = 1; i < n; i++) {
        rule = routes[i].rule;

        if (routes[i].skip) {
            continue;
        }

        for (j = 0; j < rule->n; j++) {
            m = &rule->matches[j];
            k += m->nhosts ? m->nhosts : 1;

            for (h = 0; m->deep && h < m->nhosts; h++) {
                size += strlen(rule->hosts[m->host + h]) + 2;
            }
        }
    }

    t->entries = malloc((k ? k : 1) * sizeof(ngx_http_swarm_entry_t));
    t->keys = malloc((k ? k : 1) * sizeof(ngx_http_swarm_key_host_t));
    t->names = malloc(size);

    nslots = ngx_http_swarm_table_size(k, 16);
    t->slots = calloc(nslots, sizeof(uint32_t));
    t->mask = nslots - 1;

    if (t->entries == NULL || t->keys == NULL || t->names == NULL
        || t->slots == NULL)
    {
        ngx_http_swarm_routes_free(t);
        return NULL;
    }

    name = t->names;

    for (i = 0; i < n; i++) {
        rule = routes[i].rule;

        if (routes[i].skip) {
            continue;
        }

        for (j = 0; j < rule->n; j++) {
            m = &rule->matches[j];

            for (h = 0; h < (m->nhosts ? m->nhosts : 1); h++) {
                e = &t->entries[t->nentries++];

                e->host = m->nhosts ? rule->hosts[m->host + h] : "";

                /* "*": any host; a wildcard of any depth: "**.suffix" */

                if (e->host[0] == '*' && e->host[1] == '\0') {
                    e->host = "";

                } else if (e->host[0] == '*' && m->deep) {
                    name[0] = '*';
                    strcpy(name + 1, e->host);
                    e->host = name;
                    name += strlen(name) + 1;
                    t->deep = 1;

                } else if (e->host[0] == '*') {
                    t->wild = 1;
                }

                e->hlen = strlen(e->host);
                e->path = m->path;
                e->plen = strlen(m->path);
                e->exact = m->exact;
                e->route = i;
                e->match = m->nconds ? m : NULL;
            }
        }
    }

    /* by host, then in the order a lookup prefers them */

    ngx_http_swarm_sorting = t;
    qsort(t->entries, t->nentries, sizeof(ngx_http_swarm_entry_t),
          ngx_http_swarm_entry_cmp);
    ngx_http_swarm_sorting = NULL;

    for (i = 0; i < t->nentries; i++) {
        e = &t->entries[i];
        prev = i ? &t->entries[i - 1] : NULL;

        if (prev && prev->hlen == e->hlen
            && memcmp(prev->host, e->host, e->hlen) == 0)
        {
            t->keys[t->nkeys - 1].n++;

            if (prev->plen == e->plen && prev->exact == e->exact
                && prev->match == NULL && e->match == NULL
                && memcmp(prev->path, e->path, e->plen) == 0
                && routes[prev->route].has_priority
                   == routes[e->route].has_priority
                && routes[prev->route].priority == routes[e->route].priority
                && routes[prev->route].where == routes[e->route].where
                && prev->route != e->route)
            {
                ngx_http_swarm_text_report(report, (unsigned) e->route,
                                           routes[e->route].name,
                                           "host \"%s\" and path \"%s\" "
                                           "are service \"%s\"'s, which "
                                           "comes first",
                                           e->hlen ? e->host : "*", e->path,
                                           routes[prev->route].name);
            }

            continue;
        }

        t->keys[t->nkeys].host = e->host;
        t->keys[t->nkeys].hlen = e->hlen;
        t->keys[t->nkeys].first = i;
        t->keys[t->nkeys].n = 1;

        if (e->hlen == 0) {
            t->any = (long) t->nkeys;

        } else {
            for (h = ngx_http_swarm_hash(e->host, e->hlen) & t->mask;
                 t->slots[h];
                 h = (h + 1) & t->mask)
            {
                /* void */
            }

            t->slots[h] = (uint32_t) t->nkeys + 1;
        }

        t->nkeys++;
    }

    return t;
}


static int
ngx_http_swarm_entry_cmp(const void *a, const void *b)
{
    int                           rc;
    size_t                        len;
    const ngx_http_swarm_entry_t  *ea = a, *eb = b;

    len = ea->hlen < eb->hlen ? ea->hlen : eb->hlen;

    rc = memcmp(ea->host, eb->host, len);
    if (rc != 0) {
        return rc;
    }

    if (ea->hlen != eb->hlen) {
        return ea->hlen < eb->hlen ? -1 : 1;
    }

    return ngx_http_swarm_entry_order(ngx_http_swarm_sorting, ea, eb);
}


/* of two entries of one host, the one a lookup prefers first */

static int
ngx_http_swarm_entry_order(const ngx_http_swarm_routes_t *t,
    const ngx_http_swarm_entry_t *a, const ngx_http_swarm_entry_t *b)
{
    const ngx_http_swarm_route_t  *ra, *rb;

    ra = &t->routes[a->route];
    rb = &t->routes[b->route];

    if (t->order == NGX_HTTP_SWARM_ORDER_TRAEFIK) {
        return ngx_http_swarm_route_cmp(ra, rb);
    }

    if (ra->has_priority != rb->has_priority
        || (ra->has_priority && ra->priority != rb->priority))
    {
        return ngx_http_swarm_route_cmp(ra, rb);
    }

    if (a->plen != b->plen) {
        return a->plen > b->plen ? -1 : 1;
    }

    if (a->exact != b->exact) {
        return a->exact ? -1 : 1;
    }

    return ngx_http_swarm_route_cmp(ra, rb);
}


/* by priority where given, then by service name, then as given */

static int
ngx_http_swarm_route_cmp(const ngx_http_swarm_route_t *a,
    const ngx_http_swarm_route_t *b)
{
    int  rc;

    if (a->has_priority != b->has_priority) {
        return a->has_priority ? -1 : 1;
    }

    if (a->has_priority && a->priority != b->priority) {
        return a->priority > b->priority ? -1 : 1;
    }

    rc = strcmp(a->name, b->name);
    if (rc != 0) {
        return rc;
    }

    return (a > b) - (a < b);
}


/*
 * The route for a request's Host header (NULL or "" for none) and its
 * path: its index, or -1 if none matches.  The host as Traefik has it
 * (pkg/middlewares/requestdecorator): in lower case, without its port
 * or a trailing dot, an IPv6 address without its brackets.  Its exact
 * name, then the wildcard of one label ("*.b.c" for "a.b.c"), then the
 * wildcards of any depth ("*.b.c", then "*.c"), then any host: in the
 * native order, the first of these with a route for the path wins,
 * unless a later one has a route of a higher priority; in Traefik's,
 * the best of their routes wins.  A match with conditions is met where
 * its conditions are too, by "test" for those of the request's method,
 * headers and such (none: not met); it is tried only where it could
 * come before the route found so far.
 */

long
ngx_http_swarm_routes_find(const ngx_http_swarm_routes_t *t,
    const char *host, size_t hlen, const char *path, size_t plen,
    const ngx_http_swarm_test_t *test)
{
    size_t       i;
    char         name[NGX_HTTP_SWARM_HOST_LEN];
    const char  *colon;

    if (host == NULL) {
        hlen = 0;
    }

    /* "[v6]:port" and "[v6]": the address; "name:port": the name */

    if (hlen && host[0] == '[') {
        colon = memchr(host, ']', hlen);
        hlen = colon ? (size_t) (colon - host - 1) : 0;
        host++;

    } else if (hlen) {
        colon = memchr(host, ':', hlen);

        if (colon && memchr(colon + 1, ':', host + hlen - colon - 1) == NULL)
        {
            hlen = colon - host;
        }
    }

    if (hlen && host[hlen - 1] == '.') {
        hlen--;
    }

    if (hlen > NGX_HTTP_SWARM_HOST_LEN) {
        hlen = 0;
    }

    for (i = 0; i < hlen; i++) {
        name[i] = (host[i] >= 'A' && host[i] <= 'Z')
                  ? (char) (host[i] - 'A' + 'a') : host[i];
    }

    return ngx_http_swarm_routes_find_name(t, name, hlen, path, plen, test);
}


/*
 * The same, for a host already as Traefik has it (nginx's, once
 * validated, but for an IPv6 address's brackets): in lower case,
 * without a port or a trailing dot, at most NGX_HTTP_SWARM_HOST_LEN
 */

long
ngx_http_swarm_routes_find_name(const ngx_http_swarm_routes_t *t,
    const char *name, size_t hlen, const char *path, size_t plen,
    const ngx_http_swarm_test_t *test)
{
    long                     best;
    size_t                   i;
    char                     wild[NGX_HTTP_SWARM_HOST_LEN + 2];
    const char              *colon;
    ngx_http_swarm_lookup_t  lk;

    lk.host = name;
    lk.hlen = hlen;
    lk.path = path;
    lk.plen = plen;
    lk.test = test;

    best = -1;

    if (hlen) {
        best = ngx_http_swarm_routes_best(t,
                                          ngx_http_swarm_routes_key(t, name,
                                                                    hlen),
                                          -1, &lk);

        /* "*.b.c" for "a.b.c": one label */

        colon = t->wild ? memchr(name, '.', hlen) : NULL;

        if (colon) {
            wild[0] = '*';
            memcpy(wild + 1, colon, name + hlen - colon);

            best = ngx_http_swarm_routes_better(t, best,
                       ngx_http_swarm_routes_best(t,
                           ngx_http_swarm_routes_key(t, wild,
                                                     name + hlen - colon + 1),
                           best, &lk));
        }

        /* "**.b.c", then "**.c", for "a.b.c": any depth */

        wild[0] = '*';
        wild[1] = '*';

        for (i = 1; t->deep && i < hlen; i++) {
            if (name[i] != '.') {
                continue;
            }

            memcpy(wild + 2, name + i, hlen - i);

            best = ngx_http_swarm_routes_better(t, best,
                       ngx_http_swarm_routes_best(t,
                           ngx_http_swarm_routes_key(t, wild, hlen - i + 2),
                           best, &lk));
        }
    }

    return ngx_http_swarm_routes_better(t, best,
               ngx_http_swarm_routes_best(t, t->any, best, &lk));
}


/*
 * the route found so far, or one of a later class that comes before it:
 * in the native order, only by a higher priority
 */

static long
ngx_http_swarm_routes_better(const ngx_http_swarm_routes_t *t, long best,
    long later)
{
    const ngx_http_swarm_route_t  *b, *l;

    if (later < 0) {
        return best;
    }

    if (best < 0) {
        return later;
    }

    b = &t->routes[best];
    l = &t->routes[later];

    if (t->order == NGX_HTTP_SWARM_ORDER_TRAEFIK) {
        return ngx_http_swarm_route_cmp(l, b) < 0 ? later : best;
    }

    if (l->has_priority
        && (!b->has_priority || l->priority > b->priority))
    {
        return later;
    }

    return best;
}


static long
ngx_http_swarm_routes_key(const ngx_http_swarm_routes_t *t,
    const char *host, size_t len)
{
    size_t                      h;
    ngx_http_swarm_key_host_t  *k;

    for (h = ngx_http_swarm_hash(host, len) & t->mask;
         t->slots[h];
         h = (h + 1) & t->mask)
    {
        k = &t->keys[t->slots[h] - 1];

        if (k->hlen == len && memcmp(k->host, host, len) == 0) {
            return (long) (t->slots[h] - 1);
        }
    }

    return -1;
}


/*
 * the first entry of a host whose path matches and whose conditions
 * are met: its route, or -1; conditions are tried only where the entry
 * could come before "best"
 */

static long
ngx_http_swarm_routes_best(const ngx_http_swarm_routes_t *t, long key,
    long best, const ngx_http_swarm_lookup_t *lk)
{
    size_t                   i;
    ngx_http_swarm_entry_t  *e;

    if (key < 0) {
        return -1;
    }

    for (i = 0; i < t->keys[key].n; i++) {
        e = &t->entries[t->keys[key].first + i];

        if (!(e->exact ? (lk->plen == e->plen
                          && memcmp(lk->path, e->path, e->plen) == 0)
                       : (lk->plen >= e->plen
                          && memcmp(lk->path, e->path, e->plen) == 0)))
        {
            continue;
        }

        if (e->match == NULL) {
            return (long) e->route;
        }

        /* the entries after it come later still */

        if (best >= 0
            && ngx_http_swarm_routes_better(t, best, (long) e->route)
               == best)
        {
            return -1;
        }

        if (ngx_http_swarm_routes_met(t, e, lk)) {
            return (long) e->route;
        }
    }

    return -1;
}


/* whether a request meets all the conditions of an entry's match */

static int
ngx_http_swarm_routes_met(const ngx_http_swarm_routes_t *t,
    const ngx_http_swarm_entry_t *e, const ngx_http_swarm_lookup_t *lk)
{
    int                           met;
    size_t                        i, k, len;
    const char                   *v;
    const ngx_http_swarm_rule_t  *rule;
    const ngx_http_swarm_cond_t  *c;

    rule = t->routes[e->route].rule;

    for (i = 0; i < e->match->nconds; i++) {
        c = &rule->conds[e->match->cond + i];

        switch (c->type) {

        case NGX_HTTP_SWARM_COND_HOST:
            for (k = 0, met = 0; !met && k < c->nvalues; k++) {
                met = ngx_http_swarm_routes_host(lk->host, lk->hlen,
                                                 rule->values[c->value + k]);
            }

            break;

        case NGX_HTTP_SWARM_COND_PATH:
        case NGX_HTTP_SWARM_COND_PATH_PREFIX:
            v = rule->values[c->value];
            len = strlen(v);

            met = (c->type == NGX_HTTP_SWARM_COND_PATH)
                  ? (lk->plen == len && memcmp(lk->path, v, len) == 0)
                  : (lk->plen >= len && memcmp(lk->path, v, len) == 0);
            break;

        default:
            met = lk->test
                  && lk->test->test(lk->test->data, rule, c, lk->host,
                                    lk->hlen, lk->path, lk->plen);
        }

        if (met == (int) c->negate) {
            return 0;
        }
    }

    return 1;
}


/*
 * whether a host (lower case, no port) is a host name of a rule: the
 * same, of one label more than "*.suffix", or any for "*"
 */

static int
ngx_http_swarm_routes_host(const char *name, size_t len, const char *host)
{
    size_t       hlen;
    const char  *dot;

    hlen = strlen(host);

    if (host[0] == '*' && hlen == 1) {
        return 1;
    }

    if (host[0] == '*') {
        dot = memchr(name, '.', len);

        return dot && dot > name
               && (size_t) (name + len - dot) == hlen - 1
               && memcmp(dot, host + 1, hlen - 1) == 0;
    }

    return len == hlen && memcmp(name, host, len) == 0;
}


/*
 * The path Traefik routes a request by, from its path as sent (before
 * "?", starting with "/"), into out (room for len bytes, and 1 at
 * least): its length.  "%XX" is decoded,
 * but for reserved characters (RFC 3986, 2.2, and "%"), kept with the
 * hex digits in upper case (pkg/server/server_entrypoint_tcp.go,
 * normalizePath; pkg/muxer/http/mux.go, withRoutingPath); then "." and
 * ".." segments and repeated "/" go, as Go's path.Clean() does, a
 * trailing "/" kept (sanitizePath): "/foo%20bar/../x%2Fy" is
 * "/x%2Fy".
 */

size_t
ngx_http_swarm_routes_path(const unsigned char *raw, size_t len,
    unsigned char *out)
{
    int            hi, lo;
    size_t         i, n, seg, k;
    unsigned       trailing;
    unsigned char  c;

    static const char  hex[] = "0123456789ABCDEF";

    /* decoded: the non-reserved "%XX" */

    for (i = 0, n = 0; i < len; i++) {
        c = raw[i];

        if (c == '%' && i + 2 < len) {
            hi = ngx_http_swarm_routes_hex(raw[i + 1]);
            lo = ngx_http_swarm_routes_hex(raw[i + 2]);

            if (hi >= 0 && lo >= 0) {
                c = (unsigned char) (hi * 16 + lo);
                i += 2;

                if (c != '\0' && strchr(":/?#[]@!$&'()*+,;=%", c) == NULL) {
                    out[n++] = c;
                    continue;
                }

                out[n++] = '%';
                out[n++] = hex[hi];
                out[n++] = hex[lo];
                continue;
            }

            c = '%';
        }

        out[n++] = c;
    }

    /* cleaned in place: segments, each after a "/" */

    if (n == 0 || out[0] != '/') {
        return n;
    }

    trailing = (out[n - 1] == '/');
    len = n;
    k = 0;

    for (i = 0; i < len; i = seg) {
        while (i < len && out[i] == '/') {
            i++;
        }

        for (seg = i; seg < len && out[seg] != '/'; seg++) {
            /* void */
        }

        if (seg == i) {
            break;
        }

        if (seg - i == 1 && out[i] == '.') {
            continue;
        }

        if (seg - i == 2 && out[i] == '.' && out[i + 1] == '.') {
            while (k > 0 && out[--k] != '/') {
                /* void */
            }

            continue;
        }

        out[k++] = '/';
        memmove(out + k, out + i, seg - i);
        k += seg - i;
    }

    /* a trailing "/" kept, and "/" for none */

    if (k == 0 || trailing) {
        out[k++] = '/';
    }

    return k;
}


static int
ngx_http_swarm_routes_hex(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


void
ngx_http_swarm_routes_free(ngx_http_swarm_routes_t *t)
{
    if (t == NULL) {
        return;
    }

    free(t->entries);
    free(t->keys);
    free(t->names);
    free(t->slots);
    free(t);
}
