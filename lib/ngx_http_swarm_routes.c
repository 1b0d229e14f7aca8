
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Which route a request goes to, by its Host and path, among routes each
 * given as a rule (ngx_http_swarm_rule.c), in one of two orders.  The
 * native order: a priority, where given, decides first, the higher the
 * better; then the host: an exact name, then wildcards, the longer
 * suffix first, then routes for any host; then the path: the longest,
 * an exact path before a prefix of the same length.  Traefik's order
 * (its muxer): every route has a priority, the higher the better, and
 * nothing else counts.  Then, in both, the service name, and the order
 * the routes are given in (by router name), so that the choice never
 * depends on the order Docker lists services in.  The table is built
 * once per set of routes; a lookup hashes the exact name and each of
 * its wildcard suffixes, so it costs the same whatever the number of
 * hosts.  Pure: libc only.
 */


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_HOST_LEN      253


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
} ngx_http_swarm_entry_t;


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
static uint32_t ngx_http_swarm_host_hash(const char *s, size_t len);
static long ngx_http_swarm_routes_key(const ngx_http_swarm_routes_t *t,
    const char *host, size_t len);
static long ngx_http_swarm_routes_best(const ngx_http_swarm_routes_t *t,
    long key, const char *path, size_t plen);
static long ngx_http_swarm_routes_better(const ngx_http_swarm_routes_t *t,
    long best, long later);


/* qsort() knows no context: the table being built */
static const ngx_http_swarm_routes_t  *ngx_http_swarm_sorting;


/*
 * The table of n routes in an order, which it points to (with their
 * rules) while it lives; NULL if out of memory.  In Traefik's order,
 * every route must have a priority.  A match no request can reach, as an
 * earlier route has the same host, path and priority, is reported with
 * the route's index as "upstream".
 */

ngx_http_swarm_routes_t *
ngx_http_swarm_routes_build(const ngx_http_swarm_route_t *routes, size_t n,
    unsigned order, ngx_http_swarm_report_t *report)
{
    size_t                        i, j, k, h, nslots;
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

    for (i = 0, k = 0; i < n; i++) {
        for (j = 0; j < routes[i].rule->n; j++) {
            m = &routes[i].rule->matches[j];
            k += m->nhosts ? m->nhosts : 1;
        }
    }

    t->entries = malloc((k ? k : 1) * sizeof(ngx_http_swarm_entry_t));
    t->keys = malloc((k ? k : 1) * sizeof(ngx_http_swarm_key_host_t));

    nslots = ngx_http_swarm_table_size(k, 16);
    t->slots = calloc(nslots, sizeof(uint32_t));
    t->mask = nslots - 1;

    if (t->entries == NULL || t->keys == NULL || t->slots == NULL) {
        ngx_http_swarm_routes_free(t);
        return NULL;
    }

    for (i = 0; i < n; i++) {
        rule = routes[i].rule;

        for (j = 0; j < rule->n; j++) {
            m = &rule->matches[j];

            for (h = 0; h < (m->nhosts ? m->nhosts : 1); h++) {
                e = &t->entries[t->nentries++];

                e->host = m->nhosts ? rule->hosts[m->host + h] : "";
                e->hlen = strlen(e->host);
                e->path = m->path;
                e->plen = strlen(m->path);
                e->exact = m->exact;
                e->route = i;
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
                && memcmp(prev->path, e->path, e->plen) == 0
                && routes[prev->route].has_priority
                   == routes[e->route].has_priority
                && routes[prev->route].priority == routes[e->route].priority
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
            for (h = ngx_http_swarm_host_hash(e->host, e->hlen) & t->mask;
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


static uint32_t
ngx_http_swarm_host_hash(const char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    /* FNV-1a */

    for (i = 0, h = 2166136261u; i < len; i++) {
        h = (h ^ (unsigned char) s[i]) * 16777619u;
    }

    return h;
}


/*
 * The route for a request's Host header (any case, a port and a
 * trailing dot ignored; NULL or "" for none) and its path: its index,
 * or -1 if none matches.  The exact name, then each wildcard suffix,
 * the longer first, then any host: in the native order, the first of
 * these with a route for the path wins, unless a later one has a route
 * of a higher priority; in Traefik's, the best of their routes wins.
 */

long
ngx_http_swarm_routes_find(const ngx_http_swarm_routes_t *t,
    const char *host, size_t hlen, const char *path, size_t plen)
{
    long        best;
    size_t      i;
    char        name[NGX_HTTP_SWARM_HOST_LEN], wild[NGX_HTTP_SWARM_HOST_LEN];
    const char  *colon;

    if (host == NULL) {
        hlen = 0;
    }

    /* name:port, not [v6]:port: the port goes */

    if (hlen && host[0] != '[') {
        colon = memchr(host, ':', hlen);
        if (colon) {
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

        /* no name ("*.a", "[::1]"): only routes for any host */

        if (!((name[i] >= 'a' && name[i] <= 'z')
              || (name[i] >= '0' && name[i] <= '9')
              || name[i] == '-' || name[i] == '.'))
        {
            hlen = 0;
        }
    }

    best = -1;

    if (hlen) {
        best = ngx_http_swarm_routes_best(t,
                                          ngx_http_swarm_routes_key(t, name,
                                                                    hlen),
                                          path, plen);

        /* "*.b.c", then "*.c", for "a.b.c" */

        wild[0] = '*';

        for (i = 1; i < hlen; i++) {
            if (name[i] != '.') {
                continue;
            }

            memcpy(wild + 1, name + i, hlen - i);

            best = ngx_http_swarm_routes_better(t, best,
                       ngx_http_swarm_routes_best(t,
                           ngx_http_swarm_routes_key(t, wild, hlen - i + 1),
                           path, plen));
        }
    }

    return ngx_http_swarm_routes_better(t, best,
               ngx_http_swarm_routes_best(t, t->any, path, plen));
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

    for (h = ngx_http_swarm_host_hash(host, len) & t->mask;
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


/* the first entry of a host whose path matches: its route, or -1 */

static long
ngx_http_swarm_routes_best(const ngx_http_swarm_routes_t *t, long key,
    const char *path, size_t plen)
{
    size_t                   i;
    ngx_http_swarm_entry_t  *e;

    if (key < 0) {
        return -1;
    }

    for (i = 0; i < t->keys[key].n; i++) {
        e = &t->entries[t->keys[key].first + i];

        if (e->exact ? (plen == e->plen
                        && memcmp(path, e->path, plen) == 0)
                     : (plen >= e->plen
                        && memcmp(path, e->path, e->plen) == 0))
        {
            return (long) e->route;
        }
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
    free(t->slots);
    free(t);
}
