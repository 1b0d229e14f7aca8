
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Each worker's private copy of each upstream's task set, which the
 * balancer routes by: made between requests as worker 0 wakes the
 * worker through a pipe (made by the master at each configuration load)
 * or as a timer finds a new generation in the zone, and held by each
 * request that uses it until the request is done.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_key.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_counters.h"
#include "ngx_http_swarm_view.h"


/* how often a worker looks for new generations without a request */
#define NGX_HTTP_SWARM_VIEW_CHECK    100


static void ngx_http_swarm_views_wake_cleanup(void *data);
static void ngx_http_swarm_views_woken(ngx_event_t *ev);
static void ngx_http_swarm_views_check(ngx_event_t *ev);
static void ngx_http_swarm_views_refresh(ngx_http_swarm_views_t *views,
    ngx_log_t *log);
static ngx_http_swarm_view_t *ngx_http_swarm_view_update(
    ngx_http_swarm_upstream_t *up, ngx_log_t *log);
static ngx_int_t ngx_http_swarm_view_values(ngx_http_swarm_view_t *view,
    ngx_http_swarm_view_t *old, ngx_http_swarm_key_t *key);


/*
 * Runs in the master at every configuration load: a pipe for each of
 * its workers, whose read end the worker watches; the load's cycle
 * closes them as it goes.  A master without workers to wake (a single
 * one, or none) makes none.
 */

ngx_int_t
ngx_http_swarm_views_wake_init(ngx_cycle_t *cycle,
    ngx_http_swarm_views_t *views)
{
    ngx_uint_t           i, j;
    ngx_core_conf_t     *ccf;
    ngx_pool_cleanup_t  *cln;

    ccf = (ngx_core_conf_t *) ngx_get_conf(cycle->conf_ctx, ngx_core_module);

    if (ngx_test_config || !ccf->master || ccf->worker_processes < 2) {
        return NGX_OK;
    }

    cln = ngx_pool_cleanup_add(cycle->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    views->wake = ngx_palloc(cycle->pool,
                            ccf->worker_processes * sizeof(ngx_fd_t[2]));
    if (views->wake == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_swarm_views_wake_cleanup;
    cln->data = views;

    for (i = 0; i < (ngx_uint_t) ccf->worker_processes; i++) {

        if (pipe(views->wake[i]) == -1) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                          "swarm: pipe() failed");
            return NGX_ERROR;
        }

        views->nwake++;

        for (j = 0; j < 2; j++) {
            if (ngx_nonblocking(views->wake[i][j]) == -1
                || fcntl(views->wake[i][j], F_SETFD, FD_CLOEXEC) == -1)
            {
                ngx_log_error(NGX_LOG_EMERG, cycle->log, ngx_errno,
                              "swarm: fcntl() of a pipe failed");
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


static void
ngx_http_swarm_views_wake_cleanup(void *data)
{
    ngx_http_swarm_views_t *views = data;

    ngx_uint_t  i, j;

    for (i = 0; i < views->nwake; i++) {
        for (j = 0; j < 2; j++) {
            if (views->wake[i][j] != -1) {
                (void) close(views->wake[i][j]);
                views->wake[i][j] = -1;
            }
        }
    }
}


/*
 * A new worker copies the sets the zone holds (after a reload, all of
 * them) before it accepts requests; from then on it copies a new
 * generation as worker 0 wakes it through its pipe, and a timer looks
 * for new generations too, both between requests.  Of the pipes, a
 * worker keeps the read end of its own and the write ends of the
 * others'.
 */

ngx_int_t
ngx_http_swarm_views_init(ngx_cycle_t *cycle, ngx_http_swarm_views_t *views)
{
    ngx_uint_t                   i;
    ngx_connection_t            *c;
    ngx_http_swarm_view_t       *view;
    ngx_http_swarm_upstream_t  **upp;

    upp = views->upstreams->elts;

    for (i = 0; i < views->upstreams->nelts; i++) {
        view = ngx_http_swarm_view_update(upp[i], cycle->log);
        if (view == NULL) {
            return NGX_ERROR;
        }

        if (view->npeers) {
            ngx_log_error(NGX_LOG_INFO, cycle->log, 0,
                          "swarm: upstream \"%V\": %ui tasks of generation "
                          "%uA copied at start in %ui us", &upp[i]->name,
                          view->npeers, view->generation,
                          (ngx_uint_t) view->build_usec);
        }
    }

    views->check.handler = ngx_http_swarm_views_check;
    views->check.data = views;
    views->check.log = cycle->log;
    views->check.cancelable = 1;

    ngx_add_timer(&views->check, NGX_HTTP_SWARM_VIEW_CHECK);

    if (views->nwake == 0 || ngx_worker >= views->nwake) {
        return NGX_OK;
    }

    for (i = 0; i < views->nwake; i++) {
        if (i != ngx_worker) {
            (void) close(views->wake[i][0]);
            views->wake[i][0] = -1;

        } else {
            (void) close(views->wake[i][1]);
            views->wake[i][1] = -1;
        }
    }

    c = ngx_get_connection(views->wake[ngx_worker][0], cycle->log);
    if (c == NULL) {
        return NGX_ERROR;
    }

    views->wake[ngx_worker][0] = -1;
    views->waker = c;

    c->data = views;
    c->read->handler = ngx_http_swarm_views_woken;
    c->read->log = cycle->log;
    c->write->log = cycle->log;

    if (ngx_add_event(c->read, NGX_READ_EVENT, 0) != NGX_OK) {
        ngx_close_connection(c);
        views->waker = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


static void
ngx_http_swarm_views_woken(ngx_event_t *ev)
{
    ngx_connection_t  *c = ev->data;

    ssize_t                  n;
    u_char                   buf[64];
    ngx_http_swarm_views_t  *views;

    views = c->data;

    do {
        n = read(c->fd, buf, sizeof(buf));
    } while (n > 0);

    if (n == 0 || (n == -1 && ngx_errno != NGX_EAGAIN
                   && ngx_errno != NGX_EINTR))
    {
        /*
         * no writer is left (the master and the other workers gone), or
         * the pipe failed: the timer looks for new generations alone
         */

        if (n == -1) {
            ngx_log_error(NGX_LOG_ALERT, ev->log, ngx_errno,
                          "swarm: read() of the wake pipe failed");
        }

        ngx_close_connection(c);
        views->waker = NULL;
    }

    ngx_http_swarm_views_refresh(views, ev->log);
}


static void
ngx_http_swarm_views_check(ngx_event_t *ev)
{
    ngx_http_swarm_views_refresh(ev->data, ev->log);

    if (ev->timedout) {
        ev->timedout = 0;
    }

    if (!ev->timer_set && !ngx_exiting) {
        ngx_add_timer(ev, NGX_HTTP_SWARM_VIEW_CHECK);
    }
}


static void
ngx_http_swarm_views_refresh(ngx_http_swarm_views_t *views, ngx_log_t *log)
{
    ngx_uint_t                   i;
    ngx_http_swarm_upstream_t  **upp;

    upp = views->upstreams->elts;

    for (i = 0; i < views->upstreams->nelts; i++) {

        /*
         * what was counted, into the zone's counts, every 100 ms, by the
         * workers of an older configuration too (into the records a
         * newer one kept)
         */

        ngx_http_swarm_counters_flush(upp[i]->view);

        /* a newer configuration's workers may have freed the records */

        if (ngx_http_swarm_zone_current(upp[i]->zone)
            && upp[i]->view->generation
            != ngx_http_swarm_zone_generation(upp[i]))
        {
            (void) ngx_http_swarm_view_update(upp[i], log);
        }
    }
}


/*
 * A set was published: this worker's copy right after the requests of
 * this cycle, and a byte to every other worker's pipe (one already
 * there will do).
 */

void
ngx_http_swarm_views_wake(ngx_http_swarm_views_t *views)
{
    u_char      c;
    ngx_uint_t  i;

    if (!views->check.posted) {
        ngx_post_event(&views->check, &ngx_posted_events);
    }

    c = 0;

    for (i = 0; i < views->nwake; i++) {
        if (i != ngx_worker && views->wake[i][1] != -1) {
            (void) write(views->wake[i][1], &c, 1);
        }
    }
}


/*
 * The worker's copy of the task set for a request, held until released.
 * A new generation the worker was not yet woken for is copied right
 * after the requests of this cycle (a posted event), and this one goes
 * on with the copy the worker has, unless that copy has no active task
 * to offer, as the request would fail without the new one.
 */

ngx_http_swarm_view_t *
ngx_http_swarm_view_acquire(ngx_http_swarm_upstream_t *up, ngx_log_t *log)
{
    ngx_http_swarm_view_t   *view;
    ngx_http_swarm_views_t  *views;

    view = up->view;
    views = up->views;

    if (ngx_http_swarm_zone_current(up->zone)
        && view->generation != ngx_http_swarm_zone_generation(up))
    {
        if (view->nactive == 0) {
            view = ngx_http_swarm_view_update(up, log);

        } else if (!views->check.posted) {
            ngx_post_event(&views->check, &ngx_posted_events);
        }
    }

    view->refs++;

    return view;
}


/* the same, brought up to date first: for worker 0, outside requests */

ngx_http_swarm_view_t *
ngx_http_swarm_view_current(ngx_http_swarm_upstream_t *up, ngx_log_t *log)
{
    if (ngx_http_swarm_zone_current(up->zone)
        && up->view->generation != ngx_http_swarm_zone_generation(up))
    {
        (void) ngx_http_swarm_view_update(up, log);
    }

    up->view->refs++;

    return up->view;
}


void
ngx_http_swarm_view_release(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view)
{
    if (--view->refs == 0 && view != up->view) {
        ngx_destroy_pool(view->pool);
    }
}


/*
 * A new copy of the upstream's set, with an address, a name and the
 * failures (its cell in the zone, or else the last copy's count) of each
 * task.  The last copy
 * stays (and NULL comes back only where there is none) if no new one
 * can be made.
 */

static ngx_http_swarm_view_t *
ngx_http_swarm_view_update(ngx_http_swarm_upstream_t *up, ngx_log_t *log)
{
    u_char                        *p;
    size_t                         len, nslots;
    uint32_t                      *slots;
    ngx_int_t                      rc;
    ngx_uint_t                     i, n;
    ngx_pool_t                    *pool;
    ngx_http_swarm_peer_t         *t;
    ngx_http_swarm_view_t         *view, *old;
    ngx_http_swarm_rpeer_t        *peer;
    ngx_http_swarm_zone_t         *zone;
    long                           k;
    uint64_t                       start;
    u_char                         name[NGX_SOCKADDR_STRLEN];

    old = up->view;
    zone = up->zone;
    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);

    /*
     * a view outlives the request that made it: its pool logs to the
     * cycle's log, not to the request's, which goes with the request
     */

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, ngx_cycle->log);
    if (pool == NULL) {
        return old;
    }

    view = ngx_pcalloc(pool, sizeof(ngx_http_swarm_view_t));
    if (view == NULL) {
        goto failed;
    }

    view->pool = pool;

    rc = ngx_http_swarm_zone_copy(up, pool, &view->tasks, &n, &view->routes,
                                  &view->routes_len, &view->generation);

    if (rc == NGX_ERROR) {
        goto failed;
    }

    if (rc == NGX_DECLINED) {
        if (old) {
            ngx_destroy_pool(pool);
            return old;
        }

        /* no copy yet: an empty one, to be replaced */

        view->tasks = NULL;
        view->routes = NULL;
        view->routes_len = 0;
        view->generation = (ngx_atomic_uint_t) -1;
        n = 0;
    }

    view->npeers = n;

    if (ngx_http_swarm_view_values(view, old, up->key) != NGX_OK) {
        goto failed;
    }

    nslots = ngx_http_swarm_cookie_index_size(n);

    view->peers = ngx_pcalloc(pool, (n ? n : 1)
                                    * sizeof(ngx_http_swarm_rpeer_t));
    view->active = ngx_palloc(pool, (n ? n : 1) * sizeof(ngx_uint_t));
    slots = ngx_palloc(pool, nslots * sizeof(uint32_t));

    if (view->peers == NULL || view->active == NULL || slots == NULL) {
        goto failed;
    }

    ngx_http_swarm_cookie_index_build(&view->index, slots, nslots,
                                      (char *) view->values, view->vstride, n);

    for (i = 0; i < n; i++) {
        t = &view->tasks[i];
        peer = &view->peers[i];

        peer->sockaddr = &peer->addr.sockaddr;

#if (NGX_HAVE_INET6)
        if (t->family == AF_INET6) {
            peer->addr.sockaddr_in6.sin6_family = AF_INET6;
            peer->addr.sockaddr_in6.sin6_port = htons(t->port);
            ngx_memcpy(&peer->addr.sockaddr_in6.sin6_addr, t->addr, 16);
            peer->socklen = sizeof(struct sockaddr_in6);

            len = ngx_sprintf(name, "[%s]:%d", t->ip, t->port) - name;

        } else
#endif
        {
            peer->addr.sockaddr_in.sin_family = AF_INET;
            peer->addr.sockaddr_in.sin_port = htons(t->port);
            ngx_memcpy(&peer->addr.sockaddr_in.sin_addr, t->addr, 4);
            peer->socklen = sizeof(struct sockaddr_in);

            len = ngx_sprintf(name, "%s:%d", t->ip, t->port) - name;
        }

        p = ngx_pnalloc(pool, len);
        if (p == NULL) {
            goto failed;
        }

        peer->name.data = ngx_cpymem(p, name, len) - len;
        peer->name.len = len;

        if (t->state == NGX_HTTP_SWARM_ACTIVE) {
            view->active[view->nactive++] = i;
        }

        /* its failures: in its cell in the zone, shared by all workers */

        if (t->cell && t->cell < zone->sh->ncells) {
            peer->cell = &zone->sh->cells[t->cell];
            peer->tag = t->tag;
            continue;
        }

        /* or this worker's own, which survive a new generation */

        peer->cell = &peer->own;

        if (old) {
            p = view->values + i * view->vstride;
            k = ngx_http_swarm_cookie_index_find(&old->index, p, ngx_strlen(p));
            if (k >= 0) {
                peer->own = old->peers[k].own;
            }
        }
    }

    /* the whole set, as an upstream of swarm_service balances over it */

    view->all.first = 0;
    view->all.npeers = n;
    view->all.active = view->active;
    view->all.nactive = view->nactive;
    view->all.index = view->index;
    view->all.rr = &up->rr;
    view->all.cookie = up->cookie;

    ngx_http_swarm_backend_ramp(&view->all, view->tasks, up->slow_start);

    if (up->routes && ngx_http_swarm_routing_build(up, view, log) != NGX_OK) {
        goto failed;
    }

    if (up->views->metrics
        && ngx_http_swarm_counters_view(up, view, log) != NGX_OK)
    {
        goto failed;
    }

    view->build_usec = (ngx_http_swarm_clock(CLOCK_MONOTONIC) - start)
                       / 1000;

    up->view = view;

    if (old && old->refs == 0) {
        ngx_destroy_pool(old->pool);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, log, 0,
                   "swarm: upstream \"%V\": generation %uA, %ui tasks",
                   &up->name, view->generation, n);

    return view;

failed:

    ngx_destroy_pool(pool);

    ngx_log_error(NGX_LOG_ALERT, log, 0,
                  "swarm: upstream \"%V\": no memory for a new task set",
                  &up->name);

    return old;
}


/*
 * The cookie value of each task of a new copy: its address, or, with a
 * key, its keyed value, made here once for every request to come, and
 * taken from the last copy for the addresses it had (both copies are in
 * the order of a set, so one walk finds them).
 */

static ngx_int_t
ngx_http_swarm_view_values(ngx_http_swarm_view_t *view,
    ngx_http_swarm_view_t *old, ngx_http_swarm_key_t *key)
{
    ngx_uint_t              i, j;
    ngx_http_swarm_peer_t  *t;

    if (key == NULL) {
        view->values = view->npeers ? (u_char *) view->tasks[0].ip : NULL;
        view->vstride = sizeof(ngx_http_swarm_peer_t);
        return NGX_OK;
    }

    view->vstride = NGX_HTTP_SWARM_KEYED_LEN + 1;

    view->values = ngx_pnalloc(view->pool, (view->npeers ? view->npeers : 1)
                                           * view->vstride);
    if (view->values == NULL) {
        return NGX_ERROR;
    }

    if (old && old->vstride != view->vstride) {
        old = NULL;
    }

    j = 0;

    for (i = 0; i < view->npeers; i++) {
        t = &view->tasks[i];

        while (old && j < old->npeers
               && ngx_http_swarm_set_place(&old->tasks[j], t) < 0)
        {
            j++;
        }

        if (old && j < old->npeers && old->tasks[j].route == t->route
            && ngx_strcmp(old->tasks[j].ip, t->ip) == 0)
        {
            ngx_memcpy(view->values + i * view->vstride,
                       old->values + j * old->vstride, view->vstride);
            continue;
        }

        if (ngx_http_swarm_key_value(key, t->ip,
                                     view->values + i * view->vstride)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
ngx_http_swarm_views_exit(ngx_http_swarm_views_t *views)
{
    ngx_uint_t                   i;
    ngx_http_swarm_upstream_t  **upp;

    /* what was counted since the last flush */

    upp = views->upstreams ? views->upstreams->elts : NULL;

    for (i = 0; upp && i < views->upstreams->nelts; i++) {
        if (upp[i]->view) {
            ngx_http_swarm_counters_flush(upp[i]->view);
        }
    }

    if (views->waker) {
        ngx_close_connection(views->waker);
        views->waker = NULL;
    }
}
