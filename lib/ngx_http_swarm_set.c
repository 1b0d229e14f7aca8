
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Task sets: a set's peers added, put in their canonical order (by
 * route, then address, the task Swarm keeps running first), one task an
 * address a route, and two sets in that order compared.  Pure: libc
 * only.
 */


#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "ngx_http_swarm_lib.h"


/* a peer's place in the order of a set */

typedef struct {
    uint64_t                   key;
    ngx_http_swarm_peer_t     *peer;
    size_t                     from;
} ngx_http_swarm_set_key_t;


static int ngx_http_swarm_peer_cmp(const void *a, const void *b);
static void ngx_http_swarm_set_keys_sort(ngx_http_swarm_set_key_t *keys,
    ngx_http_swarm_set_key_t *tmp, size_t n);
static int ngx_http_swarm_set_key_cmp(const void *a, const void *b);
static int ngx_http_swarm_peer_task_cmp(const void *a, const void *b);
static int ngx_http_swarm_peer_task_same(const ngx_http_swarm_peer_t *a,
    const ngx_http_swarm_peer_t *b);


int
ngx_http_swarm_set_add(ngx_http_swarm_set_t *set,
    const ngx_http_swarm_peer_t *peer)
{
    ngx_http_swarm_peer_t  *p;

    p = ngx_http_swarm_set_push(set);
    if (p == NULL) {
        return -1;
    }

    *p = *peer;

    return 0;
}


ngx_http_swarm_peer_t *
ngx_http_swarm_set_push(ngx_http_swarm_set_t *set)
{
    size_t                  cap;
    ngx_http_swarm_peer_t  *p;

    if (set->n == set->cap) {
        cap = set->cap ? set->cap * 2 : 8;

        p = realloc(set->peers, cap * sizeof(ngx_http_swarm_peer_t));
        if (p == NULL) {
            return NULL;
        }

        set->peers = p;
        set->cap = cap;
    }

    /* an order found before is no longer the set's */

    set->nkeys = 0;

    return &set->peers[set->n++];
}


static int
ngx_http_swarm_peer_cmp(const void *a, const void *b)
{
    int                           rc;
    const ngx_http_swarm_peer_t  *pa = a, *pb = b;

    rc = ngx_http_swarm_set_place(pa, pb);
    if (rc != 0) {
        return rc;
    }

    /* the same address twice: the one Swarm keeps running first */

    if (pa->state != pb->state) {
        return pa->state < pb->state ? -1 : 1;
    }

    return strcmp(pa->task, pb->task);
}


/* where a peer is, in the order of a set: its route, address and port */

int
ngx_http_swarm_set_place(const ngx_http_swarm_peer_t *pa,
    const ngx_http_swarm_peer_t *pb)
{
    int  rc;

    if (pa->route != pb->route) {
        return pa->route < pb->route ? -1 : 1;
    }

    if (pa->family != pb->family) {
        return pa->family < pb->family ? -1 : 1;
    }

    rc = memcmp(pa->addr, pb->addr, sizeof(pa->addr));
    if (rc != 0) {
        return rc;
    }

    if (pa->port != pb->port) {
        return pa->port < pb->port ? -1 : 1;
    }

    return 0;
}


/*
 * The order of a set, kept in the set: a key a peer, sorted.  A key
 * holds the route, the family, and an IPv4 address and port, in the order
 * ngx_http_swarm_peer_cmp() compares them; equal keys (IPv6 peers) are
 * compared in full.  The peers move in ngx_http_swarm_set_sort().
 */

void
ngx_http_swarm_set_order(ngx_http_swarm_set_t *set)
{
    size_t                   i;
    ngx_http_swarm_set_key_t    *keys;
    ngx_http_swarm_peer_t   *p;

    set->nkeys = 0;

    if (set->n < 2) {
        return;
    }

    /* the keys, and as many again to sort them */

    if (set->n > set->kcap) {
        keys = realloc(set->keys,
                       2 * set->n * sizeof(ngx_http_swarm_set_key_t));
        if (keys == NULL) {
            return;
        }

        set->keys = keys;
        set->kcap = set->n;
    }

    keys = set->keys;

    for (i = 0; i < set->n; i++) {
        p = &set->peers[i];

        keys[i].key = (uint64_t) p->route << 49
                      | (uint64_t) (p->family != AF_INET) << 48;

        if (p->family == AF_INET) {
            keys[i].key |= (uint64_t) p->addr[0] << 40
                           | (uint64_t) p->addr[1] << 32
                           | (uint64_t) p->addr[2] << 24
                           | (uint64_t) p->addr[3] << 16
                           | (uint64_t) p->port;
        }

        keys[i].peer = p;
        keys[i].from = i;
    }

    ngx_http_swarm_set_keys_sort(keys, keys + set->n, set->n);

    set->nkeys = set->n;
}


/*
 * A radix sort of the keys, a byte at a time from the lowest (the keys
 * use 8 bytes; a byte the same in every key is skipped), then the runs
 * of equal keys in full: sorting 10,000 keys takes a fraction of what
 * qsort() takes.
 */

static void
ngx_http_swarm_set_keys_sort(ngx_http_swarm_set_key_t *keys,
    ngx_http_swarm_set_key_t *tmp, size_t n)
{
    size_t                 i, j, b, sum, c, count[256];
    unsigned               shift;
    ngx_http_swarm_set_key_t  *from, *to, *t;

    from = keys;
    to = tmp;

    for (shift = 0; shift < 64; shift += 8) {
        memset(count, 0, sizeof(count));

        for (i = 0; i < n; i++) {
            count[(from[i].key >> shift) & 0xff]++;
        }

        if (count[(from[0].key >> shift) & 0xff] == n) {
            continue;
        }

        for (sum = 0, b = 0; b < 256; b++) {
            c = count[b];
            count[b] = sum;
            sum += c;
        }

        for (i = 0; i < n; i++) {
            to[count[(from[i].key >> shift) & 0xff]++] = from[i];
        }

        t = from;
        from = to;
        to = t;
    }

    if (from != keys) {
        memcpy(keys, from, n * sizeof(ngx_http_swarm_set_key_t));
    }

    for (i = 0; i < n; i = j) {
        for (j = i + 1; j < n && keys[j].key == keys[i].key; j++) {
            /* void */
        }

        if (j - i > 1) {
            qsort(&keys[i], j - i, sizeof(ngx_http_swarm_set_key_t),
                  ngx_http_swarm_set_key_cmp);
        }
    }
}


/* the peers in order: by the keys of ngx_http_swarm_set_order() */

void
ngx_http_swarm_set_sort(ngx_http_swarm_set_t *set)
{
    size_t                   i, j, k;
    ngx_http_swarm_set_key_t    *keys;
    ngx_http_swarm_peer_t    tmp;

    if (set->n < 2) {
        return;
    }

    if (set->nkeys != set->n) {
        ngx_http_swarm_set_order(set);
    }

    if (set->nkeys != set->n) {
        /* no memory for keys */
        qsort(set->peers, set->n, sizeof(ngx_http_swarm_peer_t),
              ngx_http_swarm_peer_cmp);
        return;
    }

    keys = set->keys;
    set->nkeys = 0;

    /*
     * the peers move in place, cycle by cycle: position j takes the peer
     * at keys[j].from, and is done once keys[j].from is j
     */

    for (i = 0; i < set->n; i++) {
        if (keys[i].from == i) {
            continue;
        }

        tmp = set->peers[i];

        for (j = i; keys[j].from != i; j = k) {
            k = keys[j].from;
            set->peers[j] = set->peers[k];
            keys[j].from = j;
        }

        set->peers[j] = tmp;
        keys[j].from = j;
    }
}


static int
ngx_http_swarm_set_key_cmp(const void *a, const void *b)
{
    const ngx_http_swarm_set_key_t  *ka = a, *kb = b;

    if (ka->key != kb->key) {
        return ka->key < kb->key ? -1 : 1;
    }

    return ngx_http_swarm_peer_cmp(ka->peer, kb->peer);
}


/*
 * A set in canonical order, as published; the cookie names an IP, so one
 * task an IP in a route.
 */

void
ngx_http_swarm_set_finish(ngx_http_swarm_set_t *set, unsigned upstream,
    ngx_http_swarm_report_t *report)
{
    size_t  j, k;

    ngx_http_swarm_set_sort(set);

    for (j = 0, k = 0; j < set->n; j++) {
        if (k > 0 && set->peers[k - 1].route == set->peers[j].route
            && strcmp(set->peers[k - 1].ip, set->peers[j].ip) == 0)
        {
            /*
             * the same task twice: its service is matched by two
             * selectors of the upstream, which is no conflict
             */

            if (strcmp(set->peers[k - 1].task, set->peers[j].task) == 0) {
                continue;
            }

            ngx_http_swarm_text_report(report, upstream, set->peers[j].service,
                                       "task %s has the address %s of task "
                                       "%s, ignored", set->peers[j].task,
                                       set->peers[j].ip,
                                       set->peers[k - 1].task);
            continue;
        }

        if (k != j) {
            set->peers[k] = set->peers[j];
        }

        k++;
    }

    set->n = k;
}


/*
 * Why an address is never a peer, or NULL: what it would reach is no
 * task (this host, link-local services such as cloud metadata at
 * 169.254.169.254, a multicast group, the broadcast address), v4 and
 * v6, v4-mapped v6 too.  Loopback is left to the tests of this module.
 */

const char *
ngx_http_swarm_set_address_refused(int family, const uint8_t *a)
{
    static const uint8_t  mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0xff, 0xff };
    static const uint8_t  zero[16];

    if (family == AF_INET6) {
        if (memcmp(a, zero, 16) == 0) {
            return "unspecified";
        }

        if (a[0] == 0xff) {
            return "multicast";
        }

        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
            return "link-local";
        }

        if (memcmp(a, mapped, 12) != 0) {
            return NULL;
        }

        a += 12;
    }

    if (a[0] == 0) {
        return "this network, 0.0.0.0/8";
    }

    if (a[0] == 169 && a[1] == 254) {
        return "link-local, 169.254.0.0/16";
    }

    if (a[0] >= 224 && a[0] <= 239) {
        return "multicast";
    }

    if (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255) {
        return "broadcast";
    }

    return NULL;
}


/* both sets sorted by ngx_http_swarm_set_sort() */

ngx_http_swarm_diff_t
ngx_http_swarm_set_diff(const ngx_http_swarm_peer_t *old, size_t nold,
    const ngx_http_swarm_peer_t *new, size_t nnew)
{
    int                    rc;
    size_t                 i, j;
    ngx_http_swarm_diff_t  d;

    memset(&d, 0, sizeof(d));

    i = 0;
    j = 0;

    while (i < nold && j < nnew) {
        rc = ngx_http_swarm_peer_cmp(&old[i], &new[j]);

        if (rc == 0 || (old[i].family == new[j].family
                        && old[i].port == new[j].port
                        && memcmp(old[i].addr, new[j].addr,
                                  sizeof(old[i].addr)) == 0))
        {
            if (memcmp(&old[i], &new[j], NGX_HTTP_SWARM_PEER_SAME) != 0)
            {
                d.changed++;
            }

            i++;
            j++;

        } else if (rc < 0) {
            d.removed++;
            i++;

        } else {
            d.added++;
            j++;
        }
    }

    d.removed += nold - i;
    d.added += nnew - j;

    return d;
}


/*
 * A peer of a new set that is a peer of the old one, the same task at
 * the same address, takes over its cell, which the old one gives up
 * (cell 0); both sets in the order of set_sort().  In the same route
 * first, in one walk of both; then whatever its route's place, which a
 * route added before it moves: a task keeps its failures while it stays.
 */

void
ngx_http_swarm_set_carry(ngx_http_swarm_peer_t *old, size_t nold,
    ngx_http_swarm_peer_t *new, size_t nnew)
{
    int                      rc;
    size_t                   i, j, n, lo, hi, mid;
    ngx_http_swarm_peer_t  **left, *p, *key;

    i = 0;
    j = 0;

    while (i < nold && j < nnew) {
        rc = ngx_http_swarm_set_place(&old[i], &new[j]);

        if (rc < 0) {
            i++;
            continue;
        }

        if (rc > 0) {
            j++;
            continue;
        }

        if (strcmp(old[i].task, new[j].task) == 0) {
            new[j].cell = old[i].cell;
            new[j].tag = old[i].tag;
            old[i].cell = 0;
        }

        i++;
        j++;
    }

    /* the old peers left with a cell, by task, address and port */

    left = malloc((nold ? nold : 1) * sizeof(ngx_http_swarm_peer_t *));
    if (left == NULL) {
        /* those peers get new cells: their failures are forgotten */
        return;
    }

    for (i = 0, n = 0; i < nold; i++) {
        if (old[i].cell) {
            left[n++] = &old[i];
        }
    }

    qsort(left, n, sizeof(ngx_http_swarm_peer_t *),
          ngx_http_swarm_peer_task_cmp);

    for (j = 0; n && j < nnew; j++) {
        if (new[j].cell) {
            continue;
        }

        key = &new[j];
        lo = 0;
        hi = n;

        while (lo < hi) {
            mid = lo + (hi - lo) / 2;

            if (ngx_http_swarm_peer_task_cmp(&left[mid], &key) < 0) {
                lo = mid + 1;

            } else {
                hi = mid;
            }
        }

        /* the first of them whose cell is not given yet */

        for ( ; lo < n; lo++) {
            p = left[lo];

            if (ngx_http_swarm_peer_task_same(p, &new[j]) == 0) {
                break;
            }

            if (p->cell) {
                new[j].cell = p->cell;
                new[j].tag = p->tag;
                p->cell = 0;
                break;
            }
        }
    }

    free(left);
}


/* peers by task, then address and port: for qsort() of pointers */

static int
ngx_http_swarm_peer_task_cmp(const void *a, const void *b)
{
    int                           rc;
    const ngx_http_swarm_peer_t  *pa, *pb;

    pa = *(ngx_http_swarm_peer_t * const *) a;
    pb = *(ngx_http_swarm_peer_t * const *) b;

    rc = strcmp(pa->task, pb->task);
    if (rc != 0) {
        return rc;
    }

    if (pa->family != pb->family) {
        return pa->family < pb->family ? -1 : 1;
    }

    rc = memcmp(pa->addr, pb->addr, sizeof(pa->addr));
    if (rc != 0) {
        return rc;
    }

    return (pa->port > pb->port) - (pa->port < pb->port);
}


/* 1 if both are the same task at the same address and port */

static int
ngx_http_swarm_peer_task_same(const ngx_http_swarm_peer_t *a,
    const ngx_http_swarm_peer_t *b)
{
    return ngx_http_swarm_peer_task_cmp(&a, &b) == 0;
}


void
ngx_http_swarm_set_free(ngx_http_swarm_set_t *set)
{
    free(set->peers);
    free(set->keys);
    set->peers = NULL;
    set->keys = NULL;
    set->n = 0;
    set->cap = 0;
    set->nkeys = 0;
    set->kcap = 0;
}
