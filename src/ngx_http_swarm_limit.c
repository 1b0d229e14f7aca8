
/*
 * Copyright (C) ngx_http_swarm authors
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
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_limit.h"


/* the slots a key may use, from its hash on */
#define NGX_HTTP_SWARM_LIMIT_PROBES  8


typedef struct {
    /* the emission interval, the tolerance of a burst, maxDelay: in µs */
    uint64_t                    interval;
    uint64_t                    tolerance;
    uint64_t                    max_delay;

    /* of the route and the middleware: the keys' start */
    uint32_t                    base;
    ngx_str_t                   header;
    unsigned                    host:1;
    unsigned                    off:1;
} ngx_http_swarm_limit_t;


static ngx_http_swarm_slot_t *ngx_http_swarm_limit_slot(
    ngx_http_swarm_shm_t *sh, ngx_atomic_uint_t key, uint64_t now);
static void ngx_http_swarm_limit_delay(ngx_http_request_t *r);


/* a route's ratelimit, as its definition says */

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
    ngx_str_t                source, name, value;
    ngx_uint_t               k;
    ngx_msec_t               ms;
    ngx_table_elt_t         *h;
    ngx_atomic_uint_t        key;
    ngx_http_swarm_ctx_t    *ctx;
    ngx_http_swarm_slot_t   *slot;
    ngx_http_swarm_limit_t  *l;

    l = mw->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (l->off || ctx == NULL) {
        return NGX_DECLINED;
    }

    /* the source: the Host, a header's value, or the client's address */

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
    key = (key << 1) | 1;

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
