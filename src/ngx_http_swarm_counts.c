
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The counts of each task in the zone, with swarm_metrics: for each
 * upstream's record a hash of the counts of its tasks, by task and route,
 * which the workers add to (ngx_http_swarm_counters.c) and the metrics
 * read.  All of it under the zone's mutex: made as a worker first copies
 * a task, dropped as worker 0 publishes a set without it, freed with its
 * upstream's record; counters_freed in the zone tells the workers to
 * look theirs up again.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_counts.h"


static ngx_int_t ngx_http_swarm_counts_grow(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su);
static uint32_t ngx_http_swarm_counts_hash(const char *task);


/*
 * Under the mutex: the upstream's record, if this process may still use
 * it.  A newer configuration frees the records of the upstreams it
 * lacks, under this mutex, and keeps those it has: a process of an older
 * one still counts into a record it finds there.
 */

ngx_http_swarm_shm_up_t *
ngx_http_swarm_counts_record(ngx_http_swarm_upstream_t *up)
{
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;

    if (up->shm == NULL) {
        return NULL;
    }

    if (ngx_http_swarm_zone_current(zone)) {
        return up->shm;
    }

    for (su = zone->sh->upstreams; su; su = su->next) {
        if (su == up->shm && su->name.len == up->name.len
            && ngx_strncmp(su->name.data, up->name.data, up->name.len) == 0)
        {
            return su;
        }
    }

    return NULL;
}


/* under the mutex: a task's counts in a route, made if new and asked */

ngx_http_swarm_counter_t *
ngx_http_swarm_counts_get(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su, ngx_http_swarm_peer_t *peer,
    const char *route, ngx_uint_t make)
{
    uint32_t                   hash;
    ngx_http_swarm_counter_t  *c;

    hash = ngx_http_swarm_counts_hash(peer->task);

    if (su->counters) {
        for (c = su->counters[hash % su->counters_size]; c; c = c->next) {
            if (c->hash == hash && ngx_strcmp(c->task, peer->task) == 0
                && ngx_strcmp(c->route, route) == 0)
            {
                return c;
            }
        }
    }

    if (!make) {
        return NULL;
    }

    if (su->ncounters >= su->counters_size
        && ngx_http_swarm_counts_grow(zone, su) != NGX_OK)
    {
        return NULL;
    }

    c = ngx_slab_calloc_locked(zone->shpool, sizeof(ngx_http_swarm_counter_t));
    if (c == NULL) {
        return NULL;
    }

    c->hash = hash;
    c->slot = peer->slot;
    ngx_cpystrn((u_char *) c->task, (u_char *) peer->task, sizeof(c->task));
    ngx_cpystrn((u_char *) c->route, (u_char *) route, sizeof(c->route));
    ngx_cpystrn((u_char *) c->service, (u_char *) peer->service,
                sizeof(c->service));
    ngx_cpystrn((u_char *) c->node, (u_char *) peer->node, sizeof(c->node));

    ngx_snprintf((u_char *) c->address, sizeof(c->address) - 1,
                 peer->family == AF_INET6 ? "[%s]:%d%Z" : "%s:%d%Z",
                 peer->ip, (int) peer->port);

    c->next = su->counters[hash % su->counters_size];
    su->counters[hash % su->counters_size] = c;
    su->ncounters++;

    return c;
}


/* under the mutex: twice as many buckets (64 at first) */

static ngx_int_t
ngx_http_swarm_counts_grow(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su)
{
    ngx_uint_t                  i, size;
    ngx_http_swarm_counter_t  **buckets, *c, *next;

    size = su->counters_size ? su->counters_size * 2 : 64;

    buckets = ngx_slab_calloc_locked(zone->shpool,
                                     size * sizeof(ngx_http_swarm_counter_t *));
    if (buckets == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < su->counters_size; i++) {
        for (c = su->counters[i]; c; c = next) {
            next = c->next;
            c->next = buckets[c->hash % size];
            buckets[c->hash % size] = c;
        }
    }

    if (su->counters) {
        ngx_slab_free_locked(zone->shpool, su->counters);
    }

    su->counters = buckets;
    su->counters_size = size;

    return NGX_OK;
}


/* by task: the counts of a task in each of its routes share a chain */

static uint32_t
ngx_http_swarm_counts_hash(const char *task)
{
    return ngx_crc32_short((u_char *) task, ngx_strlen(task));
}


/*
 * Worker 0, as it publishes a set, under the zone's write lock: the
 * counts of the tasks no longer in it are dropped.  By task, not by
 * route: a task whose route is renamed (its service relabelled) keeps
 * the counts of its old route beside the new one until it leaves.
 */

void
ngx_http_swarm_counts_sweep(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su, ngx_http_swarm_peer_t *peers, ngx_uint_t n)
{
    uint32_t                    hash;
    ngx_uint_t                  i, k, freed;
    ngx_http_swarm_counter_t  **cp, *c;

    if (su->counters == NULL) {
        return;
    }

    /* the counts of each task in the set are marked, then the rest go */

    su->sweeps++;

    for (k = 0; k < n; k++) {
        hash = ngx_http_swarm_counts_hash(peers[k].task);

        for (c = su->counters[hash % su->counters_size]; c; c = c->next) {
            if (c->hash == hash && ngx_strcmp(c->task, peers[k].task) == 0) {
                c->mark = su->sweeps;
            }
        }
    }

    freed = 0;

    for (i = 0; i < su->counters_size; i++) {
        cp = &su->counters[i];

        while (*cp) {
            c = *cp;

            if (c->mark == su->sweeps) {
                cp = &c->next;
                continue;
            }

            *cp = c->next;
            ngx_slab_free_locked(zone->shpool, c);
            su->ncounters--;
            freed++;
        }
    }

    if (freed) {
        zone->sh->counters_freed++;
    }
}


/* under the write lock: an upstream's counts, as its record goes */

void
ngx_http_swarm_counts_free(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_shm_up_t *su)
{
    ngx_http_swarm_counter_t  *c, *next;
    ngx_uint_t                 i;

    for (i = 0; i < su->counters_size; i++) {
        for (c = su->counters[i]; c; c = next) {
            next = c->next;
            ngx_slab_free_locked(zone->shpool, c);
        }
    }

    if (su->counters) {
        ngx_slab_free_locked(zone->shpool, su->counters);
        zone->sh->counters_freed++;
    }

    su->counters = NULL;
    su->counters_size = 0;
    su->ncounters = 0;
}


/* the upstream's counts, copied under the mutex for the output */

ngx_int_t
ngx_http_swarm_counts_copy(ngx_http_swarm_upstream_t *up, ngx_pool_t *pool,
    ngx_http_swarm_counter_t **copy, ngx_uint_t *n)
{
    ngx_uint_t                 i, k, size;
    ngx_http_swarm_zone_t     *zone;
    ngx_http_swarm_counter_t  *c, *buf;
    ngx_http_swarm_shm_up_t   *su;

    zone = up->zone;

    *copy = NULL;
    *n = 0;

    buf = NULL;
    size = 0;

    for ( ;; ) {
        ngx_shmtx_lock(&zone->shpool->mutex);

        /* looked at under the mutex: a newer configuration may free it */

        su = ngx_http_swarm_counts_record(up);

        if (su == NULL) {
            ngx_shmtx_unlock(&zone->shpool->mutex);
            return NGX_OK;
        }

        if (su->ncounters <= size) {
            break;
        }

        size = su->ncounters;

        ngx_shmtx_unlock(&zone->shpool->mutex);

        /* allocated outside the lock, then looked at again */

        buf = ngx_palloc(pool, size * sizeof(ngx_http_swarm_counter_t));
        if (buf == NULL) {
            return NGX_ERROR;
        }
    }

    k = 0;

    for (i = 0; i < su->counters_size; i++) {
        for (c = su->counters[i]; c && k < size; c = c->next) {
            buf[k++] = *c;
        }
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);

    *copy = buf;
    *n = k;

    return NGX_OK;
}
