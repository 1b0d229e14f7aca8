
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The limits of a route's sources, shared by every worker in the zone
 * with no lock on the request path.
 *
 * The ratelimit middleware, as Traefik's (pkg/middlewares/ratelimiter):
 * for each route's middleware and source (the client's address, the
 * Host, or a header), "average" requests a "period" with bursts of
 * "burst".  A request that would wait up to Traefik's maxDelay is
 * delayed that long, as limit_req delays; one that would wait longer
 * is answered 429 with Retry-After.  The state is the generic cell rate
 * algorithm's one number, the theoretical arrival time, in the zone's
 * slots (ngx_http_swarm_slot_t), shared by every worker and changed by
 * compare-and-swap: no lock on the request path.  A slot whose time has
 * passed is as good as new and is taken over by another source; when
 * the slots a key may use are all in use, its request is let on.
 *
 * The inflightreq middleware, as Traefik's (pkg/middlewares/inflightreq):
 * at most "amount" requests of a source at once, 429 past them.  A
 * source's count is a word of the zone's inflight slots, its key above
 * and its count below, so that one compare-and-swap counts a request
 * only in a slot that is still its source's; a slot counting nothing is
 * taken over by another source.  A request is counted down as it ends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_limit.h"


/* the slots a key may use, from its hash on */
#define NGX_HTTP_SWARM_LIMIT_PROBES  8

/* an inflight slot's count: its low bits */
#define NGX_HTTP_SWARM_INFLIGHT_BITS  20
#define NGX_HTTP_SWARM_INFLIGHT_MASK                                         \
    (((ngx_atomic_uint_t) 1 << NGX_HTTP_SWARM_INFLIGHT_BITS) - 1)


typedef struct {
    /* the emission interval, the tolerance of a burst, maxDelay: in µs */
    uint64_t                    interval;
    uint64_t                    tolerance;
    uint64_t                    max_delay;

    /* inflightreq: requests at once */
    ngx_atomic_uint_t           amount;

    /* of the route and the middleware: the keys' start */
    uint32_t                    base;
    ngx_str_t                   header;
    unsigned                    host:1;
    unsigned                    off:1;
} ngx_http_swarm_limit_t;


static ngx_atomic_uint_t ngx_http_swarm_limit_key(ngx_http_request_t *r,
    ngx_http_swarm_limit_t *l);
static ngx_http_swarm_slot_t *ngx_http_swarm_limit_slot(
    ngx_http_swarm_shm_t *sh, ngx_atomic_uint_t key, uint64_t now);
static void ngx_http_swarm_limit_delay(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_limit_count(ngx_atomic_t *slots,
    ngx_uint_t n, ngx_atomic_uint_t key, ngx_atomic_uint_t amount,
    ngx_atomic_t **counted);
static void ngx_http_swarm_limit_done(void *data);


/* a route's ratelimit or inflightreq, as its definition says */

ngx_int_t
ngx_http_swarm_limit_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    double                   rate, period;
    json_int_t               average, burst;
    const char              *header;
    ngx_http_swarm_limit_t  *l;

    l = ngx_pcalloc(pool, sizeof(ngx_http_swarm_limit_t));
    if (l == NULL) {
        return NGX_ERROR;
    }

    average = json_integer_value(json_object_get(def, "average"));
    burst = json_integer_value(json_object_get(def, "burst"));
    period = (double) json_integer_value(json_object_get(def, "period"));

    l->off = (average <= 0 || period <= 0);

    if (!l->off) {
        /* requests a second, and Traefik's maxDelay from it */

        rate = (double) average * 1e6 / period;

        l->interval = (uint64_t) (period / (double) average);
        l->tolerance = (uint64_t) (burst > 1 ? burst - 1 : 0) * l->interval;
        l->max_delay = (rate < 1) ? 500000
                                  : (uint64_t) (1e6 / ((uint64_t) rate * 2));

        if (l->interval == 0) {
            l->interval = 1;
        }
    }

    /* a limit of each route, as Traefik builds a router's middlewares */

    l->base = ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT, mw->route,
                                       ngx_strlen(mw->route) + 1);
    l->base = ngx_http_swarm_text_hash(l->base, mw->name,
                                       ngx_strlen(mw->name) + 1);

    header = json_string_value(json_object_get(def, "header"));
    l->header.data = (u_char *) (header ? header : "");
    l->header.len = ngx_strlen(l->header.data);
    l->host = json_is_true(json_object_get(def, "host"));
    l->amount = (ngx_atomic_uint_t) json_integer_value(
                                        json_object_get(def, "amount"));

    mw->data = l;

    return NGX_OK;
}


/*
 * A request by the limit: NGX_DECLINED to go on, NGX_AGAIN where it is
 * delayed (the route's middlewares go on from the next one as it
 * resumes), or 429.
 */

ngx_int_t
ngx_http_swarm_limit_run(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    u_char                  *p;
    int64_t                  wait;
    uint64_t                 now, tat, old;
    ngx_str_t                name, value;
    ngx_uint_t               k;
    ngx_msec_t               ms;
    ngx_atomic_uint_t        key;
    ngx_http_swarm_ctx_t    *ctx;
    ngx_http_swarm_slot_t   *slot;
    ngx_http_swarm_limit_t  *l;

    l = mw->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (l->off || ctx == NULL) {
        return NGX_DECLINED;
    }

    key = ngx_http_swarm_limit_key(r, l);

    now = ngx_http_swarm_clock(CLOCK_MONOTONIC) / 1000;

    slot = ngx_http_swarm_limit_slot(ctx->up->zone->sh, key, now);
    if (slot == NULL) {
        return NGX_DECLINED;
    }

    /* GCRA: one compare-and-swap of the theoretical arrival time */

    wait = 0;

    for (k = 0; k < 16; k++) {
        old = slot->tat;
        tat = ngx_max(old, now);

        wait = (int64_t) (tat - l->tolerance) - (int64_t) now;

        if (wait > (int64_t) l->max_delay) {
            goto limited;
        }

        if (ngx_atomic_cmp_set(&slot->tat, old, tat + l->interval)) {
            break;
        }
    }

    if (wait <= 0) {
        return NGX_DECLINED;
    }

    /* a short wait, as Traefik waits: the request is delayed */

    ms = (ngx_msec_t) ((wait + 999) / 1000);

    if (r->connection->read->ready) {
        ngx_post_event(r->connection->read, &ngx_posted_events);

    } else if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_swarm_limit_delay;

    r->connection->write->delayed = 1;
    ngx_add_timer(r->connection->write, ms);

    return NGX_AGAIN;

limited:

    /* Retry-After: whole seconds, rounded up */

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "%L", (int64_t) ((wait + 999999) / 1000000))
                - p;

    ngx_str_set(&name, "Retry-After");

    if (ngx_http_swarm_fields_out_set(r, &name, &value) == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_HTTP_TOO_MANY_REQUESTS;
}


/*
 * A request by inflightreq: counted in its source's slot till it ends,
 * or 429 where the source has "amount" requests going on already
 */

ngx_int_t
ngx_http_swarm_limit_inflight(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_int_t                rc;
    ngx_atomic_t            *counted;
    ngx_atomic_uint_t        key;
    ngx_pool_cleanup_t      *cln;
    ngx_http_swarm_shm_t    *sh;
    ngx_http_swarm_ctx_t    *ctx;
    ngx_http_swarm_limit_t  *l;

    l = mw->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    sh = ctx->up->zone->sh;

    key = ngx_http_swarm_limit_key(r, l);

    rc = ngx_http_swarm_limit_count(sh->inflight, sh->nlimits, key,
                                    l->amount, &counted);

    if (rc != NGX_OK) {
        return NGX_HTTP_TOO_MANY_REQUESTS;
    }

    if (counted) {
        cln->handler = ngx_http_swarm_limit_done;
        cln->data = (void *) counted;
    }

    return NGX_DECLINED;
}


/*
 * A request counted in the key's slot (*counted), or in none where the
 * slots it may use are all another's (NGX_OK, *counted NULL); NGX_BUSY
 * where the key has "amount" already
 */

static ngx_int_t
ngx_http_swarm_limit_count(ngx_atomic_t *slots, ngx_uint_t n,
    ngx_atomic_uint_t key, ngx_atomic_uint_t amount, ngx_atomic_t **counted)
{
    ngx_uint_t          i, k;
    ngx_atomic_t       *s;
    ngx_atomic_uint_t   w, mine;

    *counted = NULL;

    if (n == 0) {
        return amount ? NGX_OK : NGX_BUSY;
    }

    mine = key << NGX_HTTP_SWARM_INFLIGHT_BITS;

    for (k = 0; k < 16; k++) {

        /* the key's own slot */

        for (i = 0; i < NGX_HTTP_SWARM_LIMIT_PROBES; i++) {
            s = &slots[(key + i) % n];
            w = *s;

            if ((w & ~NGX_HTTP_SWARM_INFLIGHT_MASK) != mine) {
                continue;
            }

            if ((w & NGX_HTTP_SWARM_INFLIGHT_MASK) >= amount) {
                return NGX_BUSY;
            }

            if (ngx_atomic_cmp_set(s, w, w + 1)) {
                *counted = s;
                return NGX_OK;
            }

            break;
        }

        if (i < NGX_HTTP_SWARM_LIMIT_PROBES) {
            /* changed meanwhile: looked at again */
            continue;
        }

        if (amount == 0) {
            return NGX_BUSY;
        }

        /* or the first that counts nothing, taken over */

        for (i = 0; i < NGX_HTTP_SWARM_LIMIT_PROBES; i++) {
            s = &slots[(key + i) % n];
            w = *s;

            if ((w & NGX_HTTP_SWARM_INFLIGHT_MASK) == 0) {
                break;
            }
        }

        if (i == NGX_HTTP_SWARM_LIMIT_PROBES) {
            return NGX_OK;
        }

        if (ngx_atomic_cmp_set(s, w, mine | 1)) {
            *counted = s;
            return NGX_OK;
        }
    }

    return NGX_OK;
}


/* a request counted by inflightreq has ended */

static void
ngx_http_swarm_limit_done(void *data)
{
    ngx_atomic_t  *s = data;

    (void) ngx_atomic_fetch_add(s, (ngx_atomic_int_t) -1);
}


/*
 * The key of a request's source: the Host, a header's value, or the
 * client's address, of the route's middleware; never 0
 */

static ngx_atomic_uint_t
ngx_http_swarm_limit_key(ngx_http_request_t *r, ngx_http_swarm_limit_t *l)
{
    ngx_str_t           source;
    ngx_table_elt_t    *h;
    ngx_atomic_uint_t   key;

    if (l->host) {
        source = r->headers_in.server;

    } else if (l->header.len) {
        h = ngx_http_swarm_fields_in(r, (char *) l->header.data,
                                     l->header.len);
        if (h) {
            source = h->value;

        } else {
            ngx_str_null(&source);
        }

    } else {
        source = r->connection->addr_text;
    }

    key = ngx_http_swarm_text_hash(l->base, (char *) source.data,
                                   source.len);

    return (key << 1) | 1;
}


/*
 * The key's slot: its own, or the first that is free or whose time has
 * passed (taken over); NULL where all it may use are in use
 */

static ngx_http_swarm_slot_t *
ngx_http_swarm_limit_slot(ngx_http_swarm_shm_t *sh, ngx_atomic_uint_t key,
    uint64_t now)
{
    ngx_uint_t              i, n;
    ngx_atomic_uint_t       k;
    ngx_http_swarm_slot_t  *s;

    n = sh->nlimits;

    if (n == 0) {
        return NULL;
    }

    for (i = 0; i < NGX_HTTP_SWARM_LIMIT_PROBES; i++) {
        s = &sh->limits[(key + i) % n];

        if (s->key == key) {
            return s;
        }
    }

    for (i = 0; i < NGX_HTTP_SWARM_LIMIT_PROBES; i++) {
        s = &sh->limits[(key + i) % n];
        k = s->key;

        if ((k == 0 || s->tat <= now) && ngx_atomic_cmp_set(&s->key, k, key))
        {
            /* as good as new: its time has passed */
            return s;
        }
    }

    return NULL;
}


/* as limit_req's delay: the phases run again once the timer is done */

static void
ngx_http_swarm_limit_delay(ngx_http_request_t *r)
{
    ngx_event_t  *wev;

    wev = r->connection->write;

    if (wev->delayed) {

        if (ngx_handle_write_event(wev, 0) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    if (ngx_handle_read_event(r->connection->read, 0) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->read_event_handler = ngx_http_block_reading;
    r->write_event_handler = ngx_http_core_run_phases;

    ngx_http_core_run_phases(r);
}
