
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What is counted of each task, with swarm_metrics: a request counts in
 * the worker's copy of the task set, in private memory, with plain adds
 * (the balancer's failures, and at the log phase the response, its time
 * and how the cookie went); each worker adds what it counted to the
 * task's counts in the zone (ngx_http_swarm_counts.c) between requests
 * (every 100 ms, and as a copy goes), under the zone's mutex.  A worker
 * makes a task's counts as it copies a set with the task.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_counts.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_counters.h"


/* upper bounds of the response time buckets, in milliseconds */
static ngx_msec_t  ngx_http_swarm_buckets[NGX_HTTP_SWARM_C_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000
};


static ngx_uint_t ngx_http_swarm_counters_find(ngx_http_swarm_view_t *view,
    ngx_http_swarm_shm_up_t *su, ngx_uint_t make);
static void ngx_http_swarm_counters_cleanup(void *data);
static ngx_int_t ngx_http_swarm_count(ngx_http_request_t *r);


/* the upper bound of bucket i, in milliseconds, for the output */

ngx_msec_t
ngx_http_swarm_counters_bucket(ngx_uint_t i)
{
    return ngx_http_swarm_buckets[i];
}


/*
 * A new copy's counts: nothing yet, and each peer's counts in the zone,
 * found or made under the zone's mutex.  A peer whose counts do not fit
 * in the zone is counted by nobody, and said once a copy.
 */

ngx_int_t
ngx_http_swarm_counters_view(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_log_t *log)
{
    ngx_uint_t                missed;
    ngx_pool_cleanup_t       *cln;
    ngx_http_swarm_zone_t    *zone;
    ngx_http_swarm_shm_up_t  *su;

    zone = up->zone;

    view->up = up;
    view->counts = ngx_pcalloc(view->pool, (view->npeers ? view->npeers : 1)
                                           * sizeof(ngx_http_swarm_counts_t));
    view->counters = ngx_pcalloc(view->pool,
                                 (view->npeers ? view->npeers : 1)
                                 * sizeof(ngx_http_swarm_counter_t *));
    cln = ngx_pool_cleanup_add(view->pool, 0);

    if (view->counts == NULL || view->counters == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_swarm_counters_cleanup;
    cln->data = view;

    ngx_shmtx_lock(&zone->shpool->mutex);

    su = ngx_http_swarm_counts_record(up);

    if (su == NULL) {
        ngx_shmtx_unlock(&zone->shpool->mutex);
        return NGX_OK;
    }

    view->counters_freed = zone->sh->counters_freed;

    missed = ngx_http_swarm_counters_find(view, su, 1);

    ngx_shmtx_unlock(&zone->shpool->mutex);

    if (missed) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "swarm: upstream \"%V\": swarm_zone is too small for "
                      "the counts of %ui tasks, not counted", &up->name,
                      missed);
    }

    return NGX_OK;
}


/*
 * Under the mutex: each peer's counts, made if new and "make" is set;
 * the number of peers left without.
 */

static ngx_uint_t
ngx_http_swarm_counters_find(ngx_http_swarm_view_t *view,
    ngx_http_swarm_shm_up_t *su, ngx_uint_t make)
{
    ngx_uint_t                  i, missed;
    const char                 *route;
    ngx_http_swarm_upstream_t  *up;

    up = view->up;
    missed = 0;

    for (i = 0; i < view->npeers; i++) {
        route = up->routes
                ? ngx_http_swarm_routing_name(view, view->tasks[i].route)
                : "";

        view->counters[i] = ngx_http_swarm_counts_get(up->zone, su,
                                                       &view->tasks[i],
                                                       route, make);
        if (view->counters[i] == NULL) {
            missed++;
        }
    }

    return missed;
}


/*
 * What this worker counted of a copy, added to the zone's counts.  Once
 * worker 0 dropped counts (of any upstream's tasks), the counts of this
 * copy's tasks are looked up again: those of a task that left are gone
 * with it, the others' are kept.
 */

void
ngx_http_swarm_counters_flush(ngx_http_swarm_view_t *view)
{
    ngx_uint_t                 i, j, any;
    ngx_http_swarm_zone_t     *zone;
    ngx_http_swarm_counts_t   *d;
    ngx_http_swarm_counter_t  *c;
    ngx_http_swarm_shm_up_t   *su;

    if (view->counts == NULL) {
        return;
    }

    any = 0;

    for (i = 0; !any && i < view->npeers; i++) {
        any = (view->counts[i].v[NGX_HTTP_SWARM_C_REQUESTS]
               || view->counts[i].v[NGX_HTTP_SWARM_C_FAILURES]);
    }

    if (!any) {
        return;
    }

    zone = view->up->zone;

    ngx_shmtx_lock(&zone->shpool->mutex);

    su = ngx_http_swarm_counts_record(view->up);

    if (su && view->counters_freed != zone->sh->counters_freed) {

        /* some counts were dropped: the pointers may be stale */

        view->counters_freed = zone->sh->counters_freed;
        (void) ngx_http_swarm_counters_find(view, su, 0);
    }

    for (i = 0; i < view->npeers; i++) {
        d = &view->counts[i];
        c = su ? view->counters[i] : NULL;

        if (c) {
            for (j = 0; j < NGX_HTTP_SWARM_C_N; j++) {
                c->counts.v[j] += d->v[j];
            }
        }

        ngx_memzero(d, sizeof(ngx_http_swarm_counts_t));
    }

    ngx_shmtx_unlock(&zone->shpool->mutex);
}


static void
ngx_http_swarm_counters_cleanup(void *data)
{
    ngx_http_swarm_view_t  *view = data;

    ngx_http_swarm_counters_flush(view);
}


/* with swarm_metrics: the log phase counts each request sent to a task */

ngx_int_t
ngx_http_swarm_counters_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_http_swarm_count;

    return NGX_OK;
}


/*
 * The response to a request some task answered last: its status class,
 * the upstream's response time, how the cookie went.
 */

static ngx_int_t
ngx_http_swarm_count(ngx_http_request_t *r)
{
    ngx_uint_t                i, status;
    ngx_msec_t                ms;
    ngx_http_swarm_ctx_t     *ctx;
    ngx_http_swarm_counts_t  *d;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->peer_view == NULL || ctx->peer < 0
        || ctx->peer_view->counts == NULL)
    {
        return NGX_OK;
    }

    d = &ctx->peer_view->counts[ctx->peer];

    d->v[NGX_HTTP_SWARM_C_REQUESTS]++;

    status = r->headers_out.status;

    if (status >= 100 && status < 600) {
        d->v[NGX_HTTP_SWARM_C_1XX + status / 100 - 1]++;
    }

    switch (ctx->sticky) {
    case NGX_HTTP_SWARM_STICKY_NEW:
        d->v[NGX_HTTP_SWARM_C_NEW]++;
        break;
    case NGX_HTTP_SWARM_STICKY_HIT:
        d->v[NGX_HTTP_SWARM_C_HIT]++;
        break;
    case NGX_HTTP_SWARM_STICKY_REBOUND:
        d->v[NGX_HTTP_SWARM_C_REBOUND]++;
        break;
    }

    if (r->upstream == NULL || r->upstream->state == NULL
        || r->upstream->state->response_time == (ngx_msec_t) -1)
    {
        return NGX_OK;
    }

    ms = r->upstream->state->response_time;

    d->v[NGX_HTTP_SWARM_C_TIMED]++;
    d->v[NGX_HTTP_SWARM_C_TIME_MS] += ms;

    for (i = 0; i < NGX_HTTP_SWARM_C_BUCKETS; i++) {
        if (ms <= ngx_http_swarm_buckets[i]) {
            break;
        }
    }

    d->v[NGX_HTTP_SWARM_C_BUCKET + i]++;

    return NGX_OK;
}
