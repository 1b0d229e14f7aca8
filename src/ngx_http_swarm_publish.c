
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Publication, in worker 0: from the answers a refresh read (the
 * services matched and their tasks) to the zone, in steps, each in a
 * cycle of its own.  The sets of all upstreams are built, a few tasks a
 * step, then each upstream's is ordered, finished and kept to
 * swarm_allow; then one upstream after another: its routes written as
 * JSON, a few at a time, its set and routes compared with what is
 * published, copied, 2,048 peers a step, into zone memory no worker sees
 * yet, and swapped in under the zone's write lock, which bumps the
 * generation (ngx_http_swarm_zone_publish()); then the views are woken.
 * Parsing and comparing take no lock.  Worker 0 keeps a copy of what it
 * published, to compare the next refresh with.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_notes.h"
#include "ngx_http_swarm_publish.h"


/* tasks put in sets, and routes written, between clock looks */
#define NGX_HTTP_SWARM_SETS_STEP      64
#define NGX_HTTP_SWARM_ROUTES_STEP    4

/* peers copied into shared memory a step */
#define NGX_HTTP_SWARM_PUBLISH_STEP   2048


typedef enum {
    /* the sets, then each upstream's ordered in two cycles */
    NGX_HTTP_SWARM_PUBLISH_SETS = 0,
    NGX_HTTP_SWARM_PUBLISH_ORDER,
    NGX_HTTP_SWARM_PUBLISH_FINISH,

    /*
     * each upstream's routes written, a few at a time; its set and
     * routes compared, copied into the zone and swapped in
     */
    NGX_HTTP_SWARM_PUBLISH_ROUTES,
    NGX_HTTP_SWARM_PUBLISH_COMPARE,
    NGX_HTTP_SWARM_PUBLISH_COPY
} ngx_http_swarm_publish_e;


/* what worker 0 last published for an upstream, to compare with */

typedef struct {
    ngx_http_swarm_set_t        set;
    u_char                     *routes;
    size_t                      routes_len;
    ngx_atomic_uint_t           generation;
    ngx_uint_t                  known;
} ngx_http_swarm_last_t;


struct ngx_http_swarm_publish_s {
    ngx_http_swarm_t           *swarm;
    ngx_log_t                  *log;
    ngx_http_swarm_notes_t     *notes;
    ngx_http_swarm_last_t      *last;

    /* the refresh's answers, the step, the upstream, those changed */
    ngx_http_swarm_tasks_t     *tasks;
    ngx_http_swarm_services_t  *svcs;
    ngx_http_swarm_publish_e    state;
    ngx_uint_t                  up;
    ngx_uint_t                  changed;

    /* where a step that fails says why */
    char                       *err;
    size_t                      errlen;

    /* each upstream's new set; its routes being written, then written */
    ngx_http_swarm_set_t       *sets;
    ngx_http_swarm_routes_text_t  *writer;
    char                       *json;

    /* the set being copied into the zone: how far, and its changes */
    ngx_http_swarm_peer_t      *peers;
    size_t                      copied;
    ngx_http_swarm_diff_t       diff;

    /* and its routes, the caller's until the swap */
    u_char                     *routes;
    size_t                      routes_len;
};


/* a state's handler: NGX_AGAIN, NGX_DONE or NGX_ERROR, as publish_step */

typedef ngx_int_t (*ngx_http_swarm_publish_pt)(
    ngx_http_swarm_publish_t *pub);


static ngx_int_t ngx_http_swarm_publish_sets(ngx_http_swarm_publish_t *pub);
static int ngx_http_swarm_publish_sets_part(void *data);
static ngx_int_t ngx_http_swarm_publish_order(ngx_http_swarm_publish_t *pub);
static ngx_int_t ngx_http_swarm_publish_finish(
    ngx_http_swarm_publish_t *pub);
static void ngx_http_swarm_publish_allow(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_set_t *set);
static void ngx_http_swarm_publish_wanted(ngx_http_swarm_publish_t *pub);
static ngx_int_t ngx_http_swarm_publish_routes(
    ngx_http_swarm_publish_t *pub);
static int ngx_http_swarm_publish_routes_part(void *data);
static ngx_int_t ngx_http_swarm_publish_compared(
    ngx_http_swarm_publish_t *pub);
static ngx_int_t ngx_http_swarm_publish_copied(
    ngx_http_swarm_publish_t *pub);
static ngx_int_t ngx_http_swarm_publish_compare(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i);
static ngx_int_t ngx_http_swarm_publish_copy(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i);
static ngx_int_t ngx_http_swarm_publish_swap(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_set_t *set);
static ngx_int_t ngx_http_swarm_publish_done(ngx_http_swarm_publish_t *pub,
    ngx_int_t rc);
static void ngx_http_swarm_publish_peers(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view);
static void ngx_http_swarm_publish_release(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_view_t *view);
static void ngx_http_swarm_publish_remember(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_last_t *last, ngx_http_swarm_set_t *set,
    ngx_atomic_uint_t generation);
static void ngx_http_swarm_publish_error(ngx_http_swarm_publish_t *pub,
    const char *err);


static ngx_http_swarm_publish_pt  ngx_http_swarm_publish_states[] = {
    ngx_http_swarm_publish_sets,                      /* SETS */
    ngx_http_swarm_publish_order,                     /* ORDER */
    ngx_http_swarm_publish_finish,                    /* FINISH */
    ngx_http_swarm_publish_routes,                    /* ROUTES */
    ngx_http_swarm_publish_compared,                  /* COMPARE */
    ngx_http_swarm_publish_copied                     /* COPY */
};


ngx_http_swarm_publish_t *
ngx_http_swarm_publish_create(ngx_pool_t *pool, ngx_http_swarm_t *swarm,
    ngx_http_swarm_notes_t *notes, ngx_log_t *log)
{
    ngx_uint_t                 n;
    ngx_http_swarm_publish_t  *pub;

    n = swarm->upstreams.nelts;

    pub = ngx_pcalloc(pool, sizeof(ngx_http_swarm_publish_t));
    if (pub == NULL) {
        return NULL;
    }

    pub->swarm = swarm;
    pub->log = log;
    pub->notes = notes;

    pub->last = ngx_pcalloc(pool, n * sizeof(ngx_http_swarm_last_t));
    pub->sets = ngx_pcalloc(pool, n * sizeof(ngx_http_swarm_set_t));

    if (pub->last == NULL || pub->sets == NULL) {
        return NULL;
    }

    return pub;
}


/*
 * A refresh read its answers: the sets are built from its tasks, or,
 * with no service matched, empty sets are published.
 */

void
ngx_http_swarm_publish_begin(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_tasks_t *tasks, ngx_http_swarm_services_t *svcs)
{
    pub->tasks = tasks;
    pub->svcs = svcs;
    pub->up = 0;
    pub->changed = 0;
    pub->state = (svcs->n == 0) ? NGX_HTTP_SWARM_PUBLISH_ROUTES
                                : NGX_HTTP_SWARM_PUBLISH_SETS;

    ngx_http_swarm_publish_wanted(pub);
}


/*
 * The certificates the routes ask for, left in the swarm for worker 0's
 * ACME client, which looks at them as it wakes: the count bumped when
 * they change
 */

static void
ngx_http_swarm_publish_wanted(ngx_http_swarm_publish_t *pub)
{
    json_t            *wanted;
    ngx_http_swarm_t  *swarm;

    swarm = pub->swarm;

    if (swarm->resolvers.nelts == 0) {
        return;
    }

    wanted = ngx_http_swarm_wanted(pub->svcs->routed, pub->svcs->nrouted,
                                   ngx_http_swarm_notes_report(pub->notes));
    if (wanted == NULL) {
        return;
    }

    if (swarm->wanted && json_equal(swarm->wanted, wanted)) {
        json_decref(wanted);
        return;
    }

    json_decref(swarm->wanted);
    swarm->wanted = wanted;
    swarm->wanted_changes++;
}


/*
 * A step, for a cycle: NGX_AGAIN while steps are left, NGX_DONE once
 * every upstream is published, NGX_ERROR if one failed ("err" says why).
 */

ngx_int_t
ngx_http_swarm_publish_step(ngx_http_swarm_publish_t *pub, char *err,
    size_t errlen)
{
    pub->err = err;
    pub->errlen = errlen;

    return ngx_http_swarm_publish_states[pub->state](pub);
}


/* how many upstreams the last publication changed */

ngx_uint_t
ngx_http_swarm_publish_changed(ngx_http_swarm_publish_t *pub)
{
    return pub->changed;
}


static ngx_int_t
ngx_http_swarm_publish_sets(ngx_http_swarm_publish_t *pub)
{
    ngx_int_t   rc;
    ngx_uint_t  i;

    rc = ngx_http_swarm_slice(ngx_http_swarm_publish_sets_part, pub);

    if (rc == NGX_ERROR) {
        for (i = 0; i < pub->swarm->upstreams.nelts; i++) {
            pub->sets[i].n = 0;
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    pub->up = 0;
    pub->state = NGX_HTTP_SWARM_PUBLISH_ORDER;

    return NGX_AGAIN;
}


static int
ngx_http_swarm_publish_sets_part(void *data)
{
    ngx_http_swarm_publish_t *pub = data;

    return ngx_http_swarm_tasks_sets(pub->tasks, pub->svcs, pub->sets,
                                     pub->swarm->upstreams.nelts,
                                     ngx_http_swarm_notes_report(pub->notes),
                                     NGX_HTTP_SWARM_SETS_STEP, pub->err,
                                     pub->errlen);
}


/* an upstream's set in two cycles: its order found, then its peers moved */

static ngx_int_t
ngx_http_swarm_publish_order(ngx_http_swarm_publish_t *pub)
{
    ngx_http_swarm_set_order(&pub->sets[pub->up]);

    pub->state = NGX_HTTP_SWARM_PUBLISH_FINISH;

    return NGX_AGAIN;
}


static ngx_int_t
ngx_http_swarm_publish_finish(ngx_http_swarm_publish_t *pub)
{
    ngx_http_swarm_set_finish(&pub->sets[pub->up], pub->up,
                              ngx_http_swarm_notes_report(pub->notes));

    ngx_http_swarm_publish_allow(pub, &pub->sets[pub->up]);

    if (++pub->up < pub->swarm->upstreams.nelts) {
        pub->state = NGX_HTTP_SWARM_PUBLISH_ORDER;
        return NGX_AGAIN;
    }

    /* one upstream after another, a large set over several cycles */

    pub->up = 0;
    pub->changed = 0;
    pub->state = NGX_HTTP_SWARM_PUBLISH_ROUTES;

    return NGX_AGAIN;
}


/*
 * The peers whose address is outside swarm_allow are left out, and so
 * are loopback addresses unless swarm_allow names them: a task there
 * would make the load balancer connect to itself.
 */

static void
ngx_http_swarm_publish_allow(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_set_t *set)
{
    size_t                  j, k;
    ngx_uint_t              loopback;
    ngx_array_t            *allow;
    ngx_sockaddr_t          sa;
    ngx_http_swarm_peer_t  *p;

    static const uint8_t    v6_loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t    mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0xff, 0xff };

    allow = pub->swarm->allow;

    for (j = 0, k = 0; j < set->n; j++) {
        p = &set->peers[j];

        if (p->family == AF_INET6) {
            loopback = ngx_memcmp(p->addr, v6_loopback, 16) == 0
                       || (ngx_memcmp(p->addr, mapped, 12) == 0
                           && p->addr[12] == 127);

        } else {
            loopback = (p->addr[0] == 127);
        }

        if (!loopback && allow == NULL) {
            goto keep;
        }

        ngx_memzero(&sa, sizeof(ngx_sockaddr_t));

#if (NGX_HAVE_INET6)
        if (p->family == AF_INET6) {
            sa.sockaddr_in6.sin6_family = AF_INET6;
            ngx_memcpy(&sa.sockaddr_in6.sin6_addr, p->addr, 16);

        } else
#endif
        {
            sa.sockaddr_in.sin_family = AF_INET;
            ngx_memcpy(&sa.sockaddr_in.sin_addr, p->addr, 4);
        }

        if (allow == NULL || ngx_cidr_match(&sa.sockaddr, allow) != NGX_OK) {
            ngx_http_swarm_text_report(ngx_http_swarm_notes_report(pub->notes),
                                       (unsigned) pub->up, p->service,
                                       allow == NULL
                                       ? "task %s has the address %s "
                                         "(loopback), skipped unless "
                                         "swarm_allow names it"
                                       : "task %s has the address %s, "
                                         "outside swarm_allow, skipped",
                                       p->task, p->ip);
            continue;
        }

    keep:

        if (k != j) {
            set->peers[k] = *p;
        }

        k++;
    }

    set->n = k;
}


/*
 * The routes of a routes upstream, as JSON to publish: the ties found in
 * one step, then the routes written over as many as it takes; then its
 * set and routes compared, in the same step for another upstream.
 */

static ngx_int_t
ngx_http_swarm_publish_routes(ngx_http_swarm_publish_t *pub)
{
    ngx_int_t                    rc;
    ngx_http_swarm_upstream_t  **upp;

    upp = pub->swarm->upstreams.elts;

    if (!upp[pub->up]->routes) {
        pub->state = NGX_HTTP_SWARM_PUBLISH_COMPARE;
        return ngx_http_swarm_publish_compared(pub);
    }

    if (pub->writer == NULL) {
        pub->writer = ngx_http_swarm_services_routes_begin(pub->svcs,
                          (unsigned) pub->up,
                          upp[pub->up]->traefik
                          ? NGX_HTTP_SWARM_ORDER_TRAEFIK
                          : NGX_HTTP_SWARM_ORDER_NATIVE,
                          ngx_http_swarm_notes_report(pub->notes));
        if (pub->writer == NULL) {
            ngx_http_swarm_publish_error(pub, "out of memory");
            return NGX_ERROR;
        }

        return NGX_AGAIN;
    }

    rc = ngx_http_swarm_slice(ngx_http_swarm_publish_routes_part, pub);
    if (rc != NGX_OK) {
        return rc;
    }

    pub->json = ngx_http_swarm_services_routes_end(pub->writer, pub->svcs,
                    (unsigned) pub->up,
                    ngx_http_swarm_notes_errors(pub->notes, pub->up));
    pub->writer = NULL;

    if (pub->json == NULL) {
        ngx_http_swarm_publish_error(pub, "out of memory");
        return NGX_ERROR;
    }

    pub->state = NGX_HTTP_SWARM_PUBLISH_COMPARE;

    return NGX_AGAIN;
}


static int
ngx_http_swarm_publish_routes_part(void *data)
{
    ngx_http_swarm_publish_t *pub = data;

    int  rc;

    rc = ngx_http_swarm_services_routes_part(pub->writer,
                                             NGX_HTTP_SWARM_ROUTES_STEP);
    if (rc < 0) {
        ngx_http_swarm_publish_error(pub, "out of memory");
    }

    return rc;
}


static ngx_int_t
ngx_http_swarm_publish_compared(ngx_http_swarm_publish_t *pub)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_publish_compare(pub, pub->up);

    if (rc == NGX_AGAIN) {
        pub->state = NGX_HTTP_SWARM_PUBLISH_COPY;
        return NGX_AGAIN;
    }

    return ngx_http_swarm_publish_done(pub, rc);
}


static ngx_int_t
ngx_http_swarm_publish_copied(ngx_http_swarm_publish_t *pub)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_publish_copy(pub, pub->up);

    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    return ngx_http_swarm_publish_done(pub, rc);
}


/*
 * Upstream i's new set and routes (none but for a routes upstream)
 * compared with what it published: NGX_DECLINED if nothing changed,
 * NGX_AGAIN if the copy follows (ngx_http_swarm_publish_copy()), else
 * what the swap of an empty set gave.  A set that does not fit in the
 * zone is NGX_ERROR, and its note says so.
 */

static ngx_int_t
ngx_http_swarm_publish_compare(ngx_http_swarm_publish_t *pub, ngx_uint_t i)
{
    char                       **note;
    u_char                      *routes;
    size_t                       size, routes_len;
    ngx_uint_t                   np, same;
    ngx_slab_pool_t             *shpool;
    ngx_atomic_uint_t            generation;
    ngx_http_swarm_set_t        *set;
    ngx_http_swarm_last_t       *last;
    ngx_http_swarm_peer_t       *peers;
    ngx_http_swarm_view_t       *view;
    ngx_http_swarm_upstream_t  **upp, *up;

    upp = pub->swarm->upstreams.elts;
    up = upp[i];
    last = &pub->last[i];
    set = &pub->sets[i];
    note = ngx_http_swarm_notes_note(pub->notes, i);
    routes = (u_char *) pub->json;
    routes_len = pub->json ? ngx_strlen(pub->json) : 0;

    ngx_http_swarm_publish_peers(pub, i, &peers, &np, &view);

    pub->diff = ngx_http_swarm_set_diff(peers, np, set->peers, set->n);

    pub->routes = routes;
    pub->routes_len = routes_len;

    if (view) {
        same = (view->routes_len == routes_len
                && (routes_len == 0
                    || ngx_memcmp(view->routes, routes, routes_len) == 0));

        ngx_http_swarm_view_release(up, view);

    } else {
        same = (last->routes_len == routes_len
                && (routes_len == 0
                    || ngx_memcmp(last->routes, routes, routes_len) == 0));
    }

    if (same && pub->diff.added == 0 && pub->diff.removed == 0
        && pub->diff.changed == 0)
    {
        generation = ngx_http_swarm_zone_generation(up);

        if (!last->known || last->generation != generation) {
            ngx_http_swarm_publish_remember(pub, last, set, generation);
        }

        return NGX_DECLINED;
    }

    pub->copied = 0;

    size = set->n * sizeof(ngx_http_swarm_peer_t) + routes_len;

    if (size == 0) {
        return ngx_http_swarm_publish_swap(pub, i, set);
    }

    /*
     * the tasks kept for the next worker 0 (keep.c) give way to it: no
     * room without them is not said, it is only tried again
     */

    shpool = pub->swarm->zone.shpool;
    shpool->log_nomem = 0;
    pub->peers = ngx_http_swarm_zone_alloc(&pub->swarm->zone, size);
    shpool->log_nomem = 1;

    if (pub->peers == NULL) {
        (void) ngx_http_swarm_zone_set_blob(&pub->swarm->zone,
                                            NGX_HTTP_SWARM_BLOB_TASKS, NULL,
                                            0);
        pub->peers = ngx_http_swarm_zone_alloc(&pub->swarm->zone, size);
    }

    if (pub->peers == NULL) {

        /* what swarm_status and the log show: it outweighs any other */

        ngx_free(*note);

        *note = ngx_alloc(NGX_HTTP_SWARM_ERR_LEN, pub->log);
        if (*note) {
            ngx_snprintf((u_char *) *note, NGX_HTTP_SWARM_ERR_LEN - 1,
                         "swarm_zone is too small for %uz tasks, keeping "
                         "the last %ui%Z", set->n, np);
        }

        return NGX_ERROR;
    }

    return NGX_AGAIN;
}


/*
 * A step of the copy: NGX_AGAIN while steps are left, then what the swap
 * gave.
 */

static ngx_int_t
ngx_http_swarm_publish_copy(ngx_http_swarm_publish_t *pub, ngx_uint_t i)
{
    size_t                 n;
    ngx_http_swarm_set_t  *set;

    set = &pub->sets[i];

    n = ngx_min(set->n - pub->copied, NGX_HTTP_SWARM_PUBLISH_STEP);

    ngx_memcpy(&pub->peers[pub->copied], &set->peers[pub->copied],
               n * sizeof(ngx_http_swarm_peer_t));

    pub->copied += n;

    if (pub->copied < set->n) {
        return NGX_AGAIN;
    }

    if (pub->routes_len) {
        ngx_memcpy(&pub->peers[set->n], pub->routes, pub->routes_len);
    }

    return ngx_http_swarm_publish_swap(pub, i, set);
}


/*
 * The copy swapped in: NGX_OK, or NGX_ABORT if a newer configuration's
 * worker 0 publishes now.
 */

static ngx_int_t
ngx_http_swarm_publish_swap(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_set_t *set)
{
    ngx_atomic_uint_t            generation;
    ngx_http_swarm_upstream_t  **upp, *up;

    upp = pub->swarm->upstreams.elts;
    up = upp[i];

    if (ngx_http_swarm_zone_publish(up, pub->peers, set->n, pub->routes_len,
                                    &generation)
        != NGX_OK)
    {
        if (pub->peers) {
            ngx_http_swarm_zone_free(&pub->swarm->zone, pub->peers);
            pub->peers = NULL;
        }

        return NGX_ABORT;
    }

    pub->peers = NULL;

    /* this worker's own copy, right after, and the others' at once */

    ngx_http_swarm_views_wake(&pub->swarm->views);

    ngx_log_error(NGX_LOG_INFO, pub->log, 0,
                  "swarm: upstream \"%V\": %uz tasks (+%uz -%uz ~%uz), "
                  "generation %uA", &up->name, set->n, pub->diff.added,
                  pub->diff.removed, pub->diff.changed, generation);

    ngx_http_swarm_publish_remember(pub, &pub->last[i], set, generation);

    return NGX_OK;
}


/*
 * An upstream published (NGX_OK), unchanged (NGX_DECLINED), kept for a
 * set that does not fit (NGX_ERROR) or left to a newer configuration
 * (NGX_ABORT): its problems said, then the next upstream.
 */

static ngx_int_t
ngx_http_swarm_publish_done(ngx_http_swarm_publish_t *pub, ngx_int_t rc)
{
    if (rc == NGX_OK) {
        pub->changed++;
    }

    if (pub->json) {
        free(pub->json);
        pub->json = NULL;
    }

    ngx_http_swarm_notes_published(pub->notes, pub->up, rc);

    if (++pub->up < pub->swarm->upstreams.nelts) {
        pub->state = NGX_HTTP_SWARM_PUBLISH_ROUTES;
        return NGX_AGAIN;
    }

    return NGX_DONE;
}


/*
 * What upstream i has published: worker 0's copy of it, while that is
 * what shared memory holds, else (after a reload, say) the worker's view
 * of shared memory, brought up to date and acquired for the caller to
 * release (*view is NULL for the copy).
 */

static void
ngx_http_swarm_publish_peers(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view)
{
    ngx_http_swarm_last_t       *last;
    ngx_http_swarm_upstream_t  **upp;

    upp = pub->swarm->upstreams.elts;
    last = &pub->last[i];

    if (last->known
        && last->generation == ngx_http_swarm_zone_generation(upp[i]))
    {
        *peers = last->set.peers;
        *n = last->set.n;
        *view = NULL;
        return;
    }

    *view = ngx_http_swarm_view_current(upp[i], pub->log);

    *peers = (*view)->tasks;
    *n = (*view)->npeers;
}


/* a copy publish_peers() gave, given back */

static void
ngx_http_swarm_publish_release(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_view_t *view)
{
    ngx_http_swarm_upstream_t  **upp;

    if (view) {
        upp = pub->swarm->upstreams.elts;
        ngx_http_swarm_view_release(upp[i], view);
    }
}


/*
 * The tasks published last time and missing from the tasks Swarm wants
 * running, "max" at the most, by ID: those it stops, which drain while
 * their container runs, and those that are gone; NULL without memory.
 */

json_t *
ngx_http_swarm_publish_missing(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_tasks_t *tasks, ngx_uint_t max, ngx_uint_t *n)
{
    int                     known;
    json_t                 *list;
    ngx_uint_t              i, k, npeers;
    ngx_http_swarm_peer_t  *peers;
    ngx_http_swarm_view_t  *view;

    *n = 0;

    list = json_array();
    if (list == NULL) {
        return NULL;
    }

    for (i = 0; i < pub->swarm->upstreams.nelts; i++) {

        ngx_http_swarm_publish_peers(pub, i, &peers, &npeers, &view);

        for (k = 0; k < npeers && *n < max; k++) {
            known = ngx_http_swarm_tasks_known(tasks, peers[k].task);
            if (known == NGX_HTTP_SWARM_YES) {
                continue;
            }

            if (known == NGX_HTTP_SWARM_FAILED
                || json_array_append_new(list, json_string(peers[k].task))
                   != 0)
            {
                ngx_http_swarm_publish_release(pub, i, view);
                json_decref(list);
                return NULL;
            }

            (*n)++;
        }

        ngx_http_swarm_publish_release(pub, i, view);
    }

    return list;
}


/*
 * The set just published becomes worker 0's copy of it: the two swap
 * their memory, as the next refresh builds its sets anew; the routes are
 * copied.  Without memory for them, no copy is known.
 */

static void
ngx_http_swarm_publish_remember(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_last_t *last, ngx_http_swarm_set_t *set,
    ngx_atomic_uint_t generation)
{
    ngx_http_swarm_set_t  tmp;

    if (last->routes) {
        ngx_free(last->routes);
        last->routes = NULL;
        last->routes_len = 0;
    }

    if (pub->routes_len) {
        last->routes = ngx_alloc(pub->routes_len, pub->log);
        if (last->routes == NULL) {
            last->known = 0;
            return;
        }

        ngx_memcpy(last->routes, pub->routes, pub->routes_len);
        last->routes_len = pub->routes_len;
    }

    tmp = last->set;
    last->set = *set;
    *set = tmp;
    set->n = 0;

    last->generation = generation;
    last->known = 1;
}


/* what a step failed of, cut to the caller's buffer */

static void
ngx_http_swarm_publish_error(ngx_http_swarm_publish_t *pub, const char *err)
{
    ngx_cpystrn((u_char *) pub->err, (u_char *) err, pub->errlen);
}


/* a refresh is over: what it built goes, what was published stays */

void
ngx_http_swarm_publish_reset(ngx_http_swarm_publish_t *pub)
{
    ngx_uint_t  i;

    for (i = 0; i < pub->swarm->upstreams.nelts; i++) {
        pub->sets[i].n = 0;
    }

    ngx_http_swarm_services_routes_free(pub->writer);
    pub->writer = NULL;

    if (pub->json) {
        free(pub->json);
        pub->json = NULL;
    }
}


void
ngx_http_swarm_publish_free(ngx_http_swarm_publish_t *pub)
{
    ngx_uint_t  i;

    /* a set that was being copied into shared memory */

    if (pub->peers) {
        ngx_http_swarm_zone_free(&pub->swarm->zone, pub->peers);
        pub->peers = NULL;
    }

    ngx_http_swarm_publish_reset(pub);

    for (i = 0; i < pub->swarm->upstreams.nelts; i++) {
        ngx_http_swarm_set_free(&pub->sets[i]);
        ngx_http_swarm_set_free(&pub->last[i].set);

        if (pub->last[i].routes) {
            ngx_free(pub->last[i].routes);
        }
    }
}
