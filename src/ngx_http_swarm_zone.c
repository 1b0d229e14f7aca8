
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The shared zone "swarm": the records of the upstreams' task sets, who
 * may write them, the writes (a published set, an error, the API
 * version, the figures of a refresh) and the reads.  Each worker's
 * copies of the sets are ngx_http_swarm_view.c's.
 *
 * Writers (the master at a configuration load, worker 0 of the newest
 * configuration) take the slab pool's mutex, whose owner nginx's master
 * releases if the owner dies, and make the zone's sequence number odd
 * while they write.  Readers take no lock: they copy, and copy again if
 * the sequence number moved meanwhile or was odd, so a process killed
 * anywhere leaves nobody waiting on it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/rand.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_counts.h"
#include "ngx_http_swarm_zone.h"


/* reads torn by a write, tried again before keeping what a worker has */
#define NGX_HTTP_SWARM_READ_TRIES    64



static void ngx_http_swarm_zone_write_begin(ngx_http_swarm_zone_t *zone);
static void ngx_http_swarm_zone_write_end(ngx_http_swarm_zone_t *zone);
static ngx_uint_t ngx_http_swarm_zone_read_begin(ngx_http_swarm_zone_t *zone,
    ngx_atomic_uint_t *seq);
static ngx_uint_t ngx_http_swarm_zone_read_end(ngx_http_swarm_zone_t *zone,
    ngx_atomic_uint_t seq);
static ngx_http_swarm_shm_up_t *ngx_http_swarm_zone_record(
    ngx_http_swarm_zone_t *zone, ngx_str_t *name);
static void ngx_http_swarm_zone_free_stale(ngx_http_swarm_zone_t *zone,
    ngx_log_t *log);
static ngx_uint_t ngx_http_swarm_zone_cells(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_peer_t *old, ngx_uint_t nold,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n);
static void ngx_http_swarm_zone_cells_free(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n);


/*
 * Runs in the master at every configuration load.  An unchanged zone
 * comes back with "data", the previous load's root, and keeps its task
 * sets: a reload never leaves an upstream without peers.  Each load has
 * an epoch; the records it uses carry it.
 */

ngx_int_t
ngx_http_swarm_zone_init(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_swarm_shm_t *osh = data;

    size_t                       len;
    ngx_uint_t                   i;
    ngx_slab_pool_t             *shpool;
    ngx_http_swarm_shm_t        *sh;
    ngx_http_swarm_zone_t       *zone;
    ngx_http_swarm_shm_up_t     *su;
    ngx_http_swarm_upstream_t  **upp, *up;

    zone = shm_zone->data;
    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (osh) {
        sh = osh;

    } else {
        sh = ngx_slab_calloc(shpool, sizeof(ngx_http_swarm_shm_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        shpool->data = sh;

        len = sizeof(" in swarm zone \"\"") + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, len);
        if (shpool->log_ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(shpool->log_ctx, " in swarm zone \"%V\"%Z",
                    &shm_zone->shm.name);

        /* the cells of failure accounting, for as long as the zone is */

        sh->ncells = shm_zone->shm.size / NGX_HTTP_SWARM_CELL_BYTES;
        sh->cell_next = 1;

        sh->cells = ngx_slab_calloc(shpool, sh->ncells
                                            * sizeof(ngx_http_swarm_cell_t));
        if (sh->cells == NULL) {
            return NGX_ERROR;
        }

        /* and the limits' slots (ngx_http_swarm_limit.c), as many */

        sh->nlimits = sh->ncells;
        sh->limits = ngx_slab_calloc(shpool, sh->nlimits
                                             * sizeof(ngx_http_swarm_slot_t));
        if (sh->limits == NULL) {
            return NGX_ERROR;
        }

        sh->inflight = ngx_slab_calloc(shpool, sh->nlimits
                                               * sizeof(ngx_atomic_t));
        if (sh->inflight == NULL) {
            return NGX_ERROR;
        }

        /* the key of the parsed tasks' digests (ngx_http_swarm_keep.c) */

        if (RAND_bytes(sh->tasks_key, sizeof(sh->tasks_key)) != 1) {
            return NGX_ERROR;
        }
    }

    zone->sh = sh;
    zone->shpool = shpool;
    shm_zone->data = sh;

    ngx_http_swarm_zone_write_begin(zone);

    zone->epoch = ++sh->epoch_next;

    upp = zone->upstreams->elts;

    for (i = 0; i < zone->upstreams->nelts; i++) {
        up = upp[i];

        su = ngx_http_swarm_zone_record(zone, &up->name);

        if (su == NULL) {
            su = ngx_slab_calloc_locked(shpool,
                                        sizeof(ngx_http_swarm_shm_up_t)
                                        + up->name.len);
            if (su == NULL) {
                ngx_http_swarm_zone_write_end(zone);
                return NGX_ERROR;
            }

            su->name.data = (u_char *) (su + 1);
            su->name.len = up->name.len;
            ngx_memcpy(su->name.data, up->name.data, up->name.len);

            su->next = sh->upstreams;
            sh->upstreams = su;
        }

        su->epoch = zone->epoch;

        up->zone = zone;
        up->shm = su;
    }

    ngx_http_swarm_zone_write_end(zone);

    return NGX_OK;
}


static ngx_http_swarm_shm_up_t *
ngx_http_swarm_zone_record(ngx_http_swarm_zone_t *zone, ngx_str_t *name)
{
    ngx_http_swarm_shm_up_t  *su;

    for (su = zone->sh->upstreams; su; su = su->next) {
        if (su->name.len == name->len
            && ngx_strncmp(su->name.data, name->data, name->len) == 0)
        {
            return su;
        }
    }

    return NULL;
}


/*
 * Worker 0 of a configuration newer than the zone's writer takes over
 * as it starts: the older worker 0, which may still run for a while,
 * writes nothing from then on, and the records no newer configuration
 * uses are freed.  Returns whether this process writes the zone.
 */

ngx_uint_t
ngx_http_swarm_zone_claim(ngx_http_swarm_zone_t *zone, ngx_log_t *log)
{
    ngx_uint_t             writer;
    ngx_http_swarm_shm_t  *sh;

    sh = zone->sh;

    ngx_http_swarm_zone_write_begin(zone);

    if (zone->epoch > sh->epoch) {
        sh->epoch = zone->epoch;
        ngx_http_swarm_zone_free_stale(zone, log);
    }

    writer = (sh->epoch == zone->epoch);

    ngx_http_swarm_zone_write_end(zone);

    return writer;
}


/* under the write lock: no process of the records' epochs reads them */

static void
ngx_http_swarm_zone_free_stale(ngx_http_swarm_zone_t *zone, ngx_log_t *log)
{
    ngx_http_swarm_shm_t      *sh;
    ngx_http_swarm_shm_up_t  **sup, *su;

    sh = zone->sh;
    sup = &sh->upstreams;

    while (*sup) {
        su = *sup;

        if (su->epoch >= sh->epoch) {
            sup = &su->next;
            continue;
        }

        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "swarm: upstream \"%V\" left the configuration, "
                      "its %ui tasks are dropped from the zone",
                      &su->name, su->npeers);

        *sup = su->next;

        if (su->peers) {
            ngx_http_swarm_zone_cells_free(zone, su->peers, su->npeers);
            ngx_slab_free_locked(zone->shpool, su->peers);
        }

        ngx_http_swarm_counts_free(zone, su);

        ngx_slab_free_locked(zone->shpool, su);
    }
}


/* whether this process writes the zone: a worker 0 not on its way out */

ngx_uint_t
ngx_http_swarm_zone_writer(ngx_http_swarm_zone_t *zone)
{
    return zone->sh->epoch == zone->epoch
           && !ngx_exiting && !ngx_quit && !ngx_terminate;
}


static void
ngx_http_swarm_zone_write_begin(ngx_http_swarm_zone_t *zone)
{
    ngx_atomic_uint_t  seq;

    ngx_shmtx_lock(&zone->shpool->mutex);

    /* odd: a writer died in the middle; what it left is overwritten */

    seq = zone->sh->seq;

    if (seq & 1) {
        seq++;
    }

    zone->sh->seq = seq + 1;
    ngx_memory_barrier();
}


static void
ngx_http_swarm_zone_write_end(ngx_http_swarm_zone_t *zone)
{
    ngx_memory_barrier();
    zone->sh->seq++;

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


/* a read may begin: no write under way and records of this epoch */

static ngx_uint_t
ngx_http_swarm_zone_read_begin(ngx_http_swarm_zone_t *zone,
    ngx_atomic_uint_t *seq)
{
    *seq = zone->sh->seq;
    ngx_memory_barrier();

    return !(*seq & 1);
}


/* what was read holds: no write began since the read did */

static ngx_uint_t
ngx_http_swarm_zone_read_end(ngx_http_swarm_zone_t *zone,
    ngx_atomic_uint_t seq)
{
    ngx_memory_barrier();

    return zone->sh->seq == seq;
}


/*
 * A set into the upstream's record, in place of the one there, which is
 * freed: n peers, then routes_len bytes of routes, in one allocation.
 * NGX_DECLINED if this process no longer writes the zone; the caller
 * keeps "peers" then.
 */

ngx_int_t
ngx_http_swarm_zone_publish(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n, size_t routes_len,
    ngx_atomic_uint_t *generation)
{
    ngx_uint_t                missed;
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_peer_t    *old;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;
    su = up->shm;

    ngx_http_swarm_zone_write_begin(zone);

    if (!ngx_http_swarm_zone_writer(zone)) {
        ngx_http_swarm_zone_write_end(zone);
        return NGX_DECLINED;
    }

    old = su->peers;

    missed = ngx_http_swarm_zone_cells(zone, old, su->npeers, peers, n);

    su->peers = peers;
    su->npeers = n;
    su->routes_len = routes_len;
    *generation = ++su->generation;

    /* the counts of tasks that left go with them */

    ngx_http_swarm_counts_sweep(zone, su, peers, n);

    if (old) {
        ngx_slab_free_locked(zone->shpool, old);
    }

    ngx_http_swarm_zone_write_end(zone);

    if (missed) {
        ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                      "swarm: upstream \"%V\": swarm_zone has no cell left "
                      "for the failures of %ui tasks, each worker counts "
                      "theirs on its own", &up->name, missed);
    }

    return NGX_OK;
}


/*
 * Under the write lock, as a set replaces another: its peers keep the
 * cells of the same tasks in the old set, the cells of the tasks that
 * left are taken back, and each new task gets a free cell, looked for
 * from where the last one was found, so that a cell taken back is given
 * again as late as can be.  Returns how many peers got no cell.
 */

static ngx_uint_t
ngx_http_swarm_zone_cells(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_peer_t *old, ngx_uint_t nold,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n)
{
    ngx_uint_t              i, c, k, missed;
    ngx_http_swarm_shm_t   *sh;
    ngx_http_swarm_cell_t  *cell;

    sh = zone->sh;

    ngx_http_swarm_set_carry(old, nold, peers, n);
    ngx_http_swarm_zone_cells_free(zone, old, nold);

    missed = 0;

    for (i = 0; i < n; i++) {
        if (peers[i].cell) {
            continue;
        }

        if (sh->cells_used + 1 >= sh->ncells) {
            missed++;
            continue;
        }

        /* one round of the cells at the most, whatever the count says */

        for (k = 0; k < sh->ncells; k++) {
            c = sh->cell_next;
            sh->cell_next = (c + 1 < sh->ncells) ? c + 1 : 1;

            if (c != 0 && sh->cells[c].tag == 0) {
                break;
            }
        }

        if (k == sh->ncells) {
            missed++;
            continue;
        }

        cell = &sh->cells[c];

        cell->fails = 0;
        cell->accessed = 0;
        cell->checked = 0;

        /* a tag of 0 is nobody's: 2^32 tags later, one is skipped */

        if ((uint32_t) ++sh->cell_tags == 0) {
            sh->cell_tags++;
        }

        ngx_memory_barrier();

        cell->tag = (uint32_t) sh->cell_tags;
        sh->cells_used++;

        peers[i].cell = (uint32_t) c;
        peers[i].tag = (uint32_t) sh->cell_tags;
    }

    return missed;
}


/* under the write lock: the cells of a set that goes, taken back */

static void
ngx_http_swarm_zone_cells_free(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_peer_t *peers, ngx_uint_t n)
{
    ngx_uint_t             i, c;
    ngx_http_swarm_shm_t  *sh;

    sh = zone->sh;

    for (i = 0; i < n; i++) {
        c = peers[i].cell;

        if (c && c < sh->ncells && sh->cells[c].tag == peers[i].tag) {
            sh->cells[c].tag = 0;
            sh->cells_used--;
        }
    }
}


/* memory for a set or a record to publish, which no worker sees until it is */

void *
ngx_http_swarm_zone_alloc(ngx_http_swarm_zone_t *zone, size_t size)
{
    return ngx_slab_alloc(zone->shpool, size);
}


void
ngx_http_swarm_zone_free(ngx_http_swarm_zone_t *zone, void *p)
{
    ngx_slab_free(zone->shpool, p);
}


/* the generation of the set the zone holds for the upstream */

ngx_atomic_uint_t
ngx_http_swarm_zone_generation(ngx_http_swarm_upstream_t *up)
{
    return up->shm->generation;
}


/*
 * The upstream's error, cut to what the record holds on a character
 * boundary, and the time of a successful refresh (0 to keep the last):
 * NGX_OK if the error changed, NGX_DECLINED if not or if this process
 * does not write.
 */

ngx_int_t
ngx_http_swarm_zone_set_error(ngx_http_swarm_upstream_t *up,
    const char *msg, size_t len, time_t synced)
{
    ngx_int_t                 rc;
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;
    su = up->shm;

    if (len > NGX_HTTP_SWARM_ERR_LEN) {
        len = ngx_http_swarm_text_utf8_cut((const u_char *) msg,
                                           NGX_HTTP_SWARM_ERR_LEN);
    }

    ngx_http_swarm_zone_write_begin(zone);

    if (!ngx_http_swarm_zone_writer(zone)) {
        ngx_http_swarm_zone_write_end(zone);
        return NGX_DECLINED;
    }

    rc = NGX_DECLINED;

    if (su->error_len != len || ngx_strncmp(su->error, msg, len) != 0) {
        ngx_memcpy(su->error, msg, len);
        su->error_len = len;
        rc = NGX_OK;
    }

    if (synced) {
        su->last_sync = synced;
    }

    ngx_http_swarm_zone_write_end(zone);

    return rc;
}


/*
 * Endpoint i's state, and, if "current", that it is the one in use; an
 * error cut on a character boundary to what the zone holds.
 */

void
ngx_http_swarm_zone_set_endpoint(ngx_http_swarm_zone_t *zone, ngx_uint_t i,
    ngx_uint_t state, ngx_uint_t current, const char *err)
{
    size_t                      len;
    ngx_http_swarm_ep_state_t  *st;

    if (i >= NGX_HTTP_SWARM_ENDPOINTS_MAX) {
        return;
    }

    len = err ? ngx_strlen(err) : 0;

    if (len > NGX_HTTP_SWARM_ERR_LEN) {
        len = ngx_http_swarm_text_utf8_cut((const u_char *) err,
                                           NGX_HTTP_SWARM_ERR_LEN);
    }

    ngx_http_swarm_zone_write_begin(zone);

    if (ngx_http_swarm_zone_writer(zone)) {
        st = &zone->sh->endpoints[i];

        if (state != NGX_HTTP_SWARM_EP_KEEP) {
            if (st->state != state) {
                st->since = ngx_time();
            }

            st->state = state;
            st->error_len = len;
            ngx_memcpy(st->error, err, len);
        }

        if (current) {
            zone->sh->endpoint = i;
        }
    }

    ngx_http_swarm_zone_write_end(zone);
}


/* the states of the first n endpoints, and the one in use */

ngx_int_t
ngx_http_swarm_zone_endpoints(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_ep_state_t *states, ngx_uint_t n, ngx_uint_t *current)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  seq;

    n = ngx_min(n, NGX_HTTP_SWARM_ENDPOINTS_MAX);

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)) {
            ngx_cpu_pause();
            continue;
        }

        ngx_memcpy(states, zone->sh->endpoints,
                   n * sizeof(ngx_http_swarm_ep_state_t));
        *current = zone->sh->endpoint;

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            for (i = 0; i < n; i++) {
                states[i].error_len = ngx_min(states[i].error_len,
                                              NGX_HTTP_SWARM_ERR_LEN);
            }

            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/* the API version the engine speaks, for swarm_status */

void
ngx_http_swarm_zone_set_version(ngx_http_swarm_zone_t *zone,
    const char *version)
{
    size_t                 len;
    ngx_http_swarm_shm_t  *sh;

    sh = zone->sh;
    len = ngx_min(ngx_strlen(version), sizeof(sh->api_version));

    ngx_http_swarm_zone_write_begin(zone);

    if (ngx_http_swarm_zone_writer(zone)) {
        ngx_memcpy(sh->api_version, version, len);
        sh->api_version_len = len;
    }

    ngx_http_swarm_zone_write_end(zone);
}


size_t
ngx_http_swarm_zone_version(ngx_http_swarm_zone_t *zone, u_char *buf)
{
    size_t                 len;
    ngx_uint_t             i;
    ngx_atomic_uint_t      seq;
    ngx_http_swarm_shm_t  *sh;

    sh = zone->sh;

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)) {
            ngx_cpu_pause();
            continue;
        }

        len = ngx_min(sh->api_version_len, sizeof(sh->api_version));
        ngx_memcpy(buf, sh->api_version, len);

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            return len;
        }
    }

    return 0;
}


/* the figures of the last successful refresh */

void
ngx_http_swarm_zone_set_figures(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_figures_t *figures)
{
    ngx_http_swarm_zone_write_begin(zone);

    if (ngx_http_swarm_zone_writer(zone)) {
        zone->sh->figures = *figures;
    }

    ngx_http_swarm_zone_write_end(zone);
}


/* a refresh failed: counted by why, for swarm_metrics */

void
ngx_http_swarm_zone_failed(ngx_http_swarm_zone_t *zone, ngx_uint_t kind)
{
    if (ngx_http_swarm_zone_writer(zone)) {
        (void) ngx_atomic_fetch_add(&zone->sh->failures[kind], 1);
    }
}


/* NGX_BUSY if all reads tore */

ngx_int_t
ngx_http_swarm_zone_figures(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_figures_t *figures)
{
    ngx_uint_t         i;
    ngx_atomic_uint_t  seq;

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)) {
            ngx_cpu_pause();
            continue;
        }

        *figures = zone->sh->figures;

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            return NGX_OK;
        }
    }

    return NGX_BUSY;
}


/* the bytes of the zone's pages in use */

size_t
ngx_http_swarm_zone_used(ngx_http_swarm_zone_t *zone)
{
    size_t            pages, used;
    ngx_slab_pool_t  *shpool;

    shpool = zone->shpool;

    ngx_shmtx_lock(&shpool->mutex);
    pages = (shpool->end - shpool->start) / ngx_pagesize;
    used = (pages - shpool->pfree) * ngx_pagesize;
    ngx_shmtx_unlock(&shpool->mutex);

    return used;
}


/* the upstream's error and last refresh; NGX_BUSY if all reads tore */

ngx_int_t
ngx_http_swarm_zone_error(ngx_http_swarm_upstream_t *up, u_char *buf,
    size_t *len, time_t *last_sync)
{
    ngx_uint_t                i;
    ngx_atomic_uint_t         seq;
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;
    su = up->shm;

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)
            || zone->epoch < zone->sh->epoch)
        {
            ngx_cpu_pause();
            continue;
        }

        *len = ngx_min(su->error_len, NGX_HTTP_SWARM_ERR_LEN);
        ngx_memcpy(buf, su->error, *len);
        *last_sync = su->last_sync;

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            return NGX_OK;
        }
    }

    return NGX_BUSY;
}


/*
 * The upstream's task set, its routes (JSON, of a routes upstream) and
 * its generation, copied into memory of "pool".  NGX_DECLINED if the
 * record is no longer this configuration's to read (a newer one took
 * over) or every read tore.
 */

ngx_int_t
ngx_http_swarm_zone_copy(ngx_http_swarm_upstream_t *up, ngx_pool_t *pool,
    ngx_http_swarm_peer_t **tasks, ngx_uint_t *n, u_char **routes,
    size_t *routes_len, ngx_atomic_uint_t *generation)
{
    size_t                    size, room, len, rlen;
    ngx_uint_t                i, np;
    ngx_atomic_uint_t         seq;
    ngx_http_swarm_peer_t    *peers, *buf;
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;
    su = up->shm;
    buf = NULL;
    size = 0;

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)) {
            ngx_cpu_pause();
            continue;
        }

        if (zone->epoch < zone->sh->epoch) {
            break;
        }

        peers = su->peers;
        np = su->npeers;
        rlen = su->routes_len;
        *generation = su->generation;

        /* a torn read may pair any pointer with any count: bound all */

        if ((np || rlen) && (peers == NULL
                             || (u_char *) peers < zone->shpool->start
                             || (u_char *) peers >= zone->shpool->end))
        {
            continue;
        }

        room = (np || rlen) ? (size_t) (zone->shpool->end - (u_char *) peers)
                            : 0;

        if (np > room / sizeof(ngx_http_swarm_peer_t)) {
            continue;
        }

        len = np * sizeof(ngx_http_swarm_peer_t);

        if (rlen > room - len) {
            continue;
        }

        len += rlen;

        if (len > size) {
            /* a set larger than the last try's: a new buffer */

            buf = ngx_palloc(pool, len);
            if (buf == NULL) {
                return NGX_ERROR;
            }

            size = len;
        }

        if (len) {
            ngx_memcpy(buf, peers, len);
        }

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            *tasks = buf;
            *n = np;
            *routes = rlen ? (u_char *) &buf[np] : NULL;
            *routes_len = rlen;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


/*
 * A record written whole (ngx_http_swarm_shm_t's blobs), in memory of
 * the zone (ngx_http_swarm_zone_alloc()), or none (data NULL), swapped
 * in for the last, which is freed, its generation bumped: NGX_DECLINED
 * if this worker 0 no longer writes (the caller keeps "data")
 */

ngx_int_t
ngx_http_swarm_zone_set_blob(ngx_http_swarm_zone_t *zone, ngx_uint_t which,
    u_char *data, size_t len)
{
    ngx_http_swarm_shm_blob_t  *blob;

    blob = &zone->sh->blobs[which];

    ngx_http_swarm_zone_write_begin(zone);

    if (!ngx_http_swarm_zone_writer(zone)) {
        ngx_http_swarm_zone_write_end(zone);
        return NGX_DECLINED;
    }

    if (blob->data) {
        ngx_slab_free_locked(zone->shpool, blob->data);
    }

    blob->data = data;
    blob->len = len;
    blob->generation++;

    ngx_http_swarm_zone_write_end(zone);

    return NGX_OK;
}


ngx_atomic_uint_t
ngx_http_swarm_zone_blob_generation(ngx_http_swarm_zone_t *zone,
    ngx_uint_t which)
{
    return zone->sh->blobs[which].generation;
}


/*
 * A record written whole and its generation, copied into memory of
 * "pool" with a NUL after it: NGX_DECLINED if there is none or every
 * read tore
 */

ngx_int_t
ngx_http_swarm_zone_blob(ngx_http_swarm_zone_t *zone, ngx_uint_t which,
    ngx_pool_t *pool, ngx_str_t *data, ngx_atomic_uint_t *generation)
{
    u_char                     *p, *buf;
    size_t                      len, size;
    ngx_uint_t                  i;
    ngx_atomic_uint_t           seq;
    ngx_http_swarm_shm_blob_t  *blob;

    blob = &zone->sh->blobs[which];
    buf = NULL;
    size = 0;

    for (i = 0; i < NGX_HTTP_SWARM_READ_TRIES; i++) {
        if (!ngx_http_swarm_zone_read_begin(zone, &seq)) {
            ngx_cpu_pause();
            continue;
        }

        p = blob->data;
        len = blob->len;
        *generation = blob->generation;

        if (p == NULL && ngx_http_swarm_zone_read_end(zone, seq)) {
            return NGX_DECLINED;
        }

        /* a torn read may pair any pointer with any length: bound both */

        if (p < zone->shpool->start || p >= zone->shpool->end
            || len > (size_t) (zone->shpool->end - p))
        {
            continue;
        }

        if (len + 1 > size) {
            buf = ngx_pnalloc(pool, len + 1);
            if (buf == NULL) {
                return NGX_ERROR;
            }

            size = len + 1;
        }

        ngx_memcpy(buf, p, len);

        if (ngx_http_swarm_zone_read_end(zone, seq)) {
            buf[len] = '\0';
            data->data = buf;
            data->len = len;
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}
