
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Publication, in worker 0: an upstream's new task set into the zone in
 * steps, each in a cycle of its own: the comparison with what is
 * published; the copy, 2,048 peers a step, into zone memory no worker
 * sees yet; then the swap, under the zone's write lock, which bumps the
 * generation (ngx_http_swarm_zone_publish()).  Parsing and comparing
 * take no lock.  Worker 0 keeps a copy of what it published, to compare
 * the next refresh with.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_publish.h"


/* peers copied into shared memory a step */
#define NGX_HTTP_SWARM_PUBLISH_STEP   2048


/* what worker 0 last published for an upstream, to compare with */

typedef struct {
    ngx_http_swarm_set_t        set;
    u_char                     *routes;
    size_t                      routes_len;
    ngx_atomic_uint_t           generation;
    ngx_uint_t                  known;
} ngx_http_swarm_last_t;


struct ngx_http_swarm_publish_s {
    ngx_http_swarm_main_conf_t  *mcf;
    ngx_log_t                  *log;
    ngx_http_swarm_last_t      *last;

    /* the set being copied into the zone: how far, and its changes */
    ngx_http_swarm_peer_t      *peers;
    size_t                      copied;
    ngx_http_swarm_diff_t       diff;

    /* and its routes, the caller's until the swap */
    u_char                     *routes;
    size_t                      routes_len;
};


static ngx_int_t ngx_http_swarm_publish_swap(ngx_http_swarm_publish_t *pub,
    ngx_uint_t i, ngx_http_swarm_set_t *set);
static void ngx_http_swarm_publish_remember(ngx_http_swarm_publish_t *pub,
    ngx_http_swarm_last_t *last, ngx_http_swarm_set_t *set,
    ngx_atomic_uint_t generation);


ngx_http_swarm_publish_t *
ngx_http_swarm_publish_create(ngx_pool_t *pool,
    ngx_http_swarm_main_conf_t *mcf, ngx_log_t *log)
{
    ngx_http_swarm_publish_t  *pub;

    pub = ngx_pcalloc(pool, sizeof(ngx_http_swarm_publish_t));
    if (pub == NULL) {
        return NULL;
    }

    pub->mcf = mcf;
    pub->log = log;

    pub->last = ngx_pcalloc(pool, mcf->upstreams.nelts
                                  * sizeof(ngx_http_swarm_last_t));
    if (pub->last == NULL) {
        return NULL;
    }

    return pub;
}


/*
 * Upstream i's new set and routes (NULL but for a routes upstream)
 * compared with what it published: NGX_DECLINED if nothing changed,
 * NGX_AGAIN if the copy follows (ngx_http_swarm_publish_copy()), else
 * what the swap of an empty set gave.  A set that does not fit in the
 * zone is NGX_ERROR, and "note" says so.
 */

ngx_int_t
ngx_http_swarm_publish_compare(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_set_t *set, u_char *routes, size_t routes_len,
    char **note)
{
    size_t                       size;
    ngx_uint_t                   np, same;
    ngx_atomic_uint_t            generation;
    ngx_http_swarm_last_t       *last;
    ngx_http_swarm_peer_t       *peers;
    ngx_http_swarm_view_t       *view;
    ngx_http_swarm_upstream_t  **upp, *up;

    upp = pub->mcf->upstreams.elts;
    up = upp[i];
    last = &pub->last[i];

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

    pub->peers = ngx_http_swarm_zone_alloc(&pub->mcf->zone, size);
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

ngx_int_t
ngx_http_swarm_publish_copy(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_set_t *set)
{
    size_t  n;

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

    upp = pub->mcf->upstreams.elts;
    up = upp[i];

    if (ngx_http_swarm_zone_publish(up, pub->peers, set->n, pub->routes_len,
                                    &generation)
        != NGX_OK)
    {
        if (pub->peers) {
            ngx_http_swarm_zone_free(&pub->mcf->zone, pub->peers);
            pub->peers = NULL;
        }

        return NGX_ABORT;
    }

    pub->peers = NULL;

    /* this worker's own copy, right after, and the others' at once */

    ngx_http_swarm_views_wake(&pub->mcf->views);

    ngx_log_error(NGX_LOG_INFO, pub->log, 0,
                  "swarm: upstream \"%V\": %uz tasks (+%uz -%uz ~%uz), "
                  "generation %uA", &up->name, set->n, pub->diff.added,
                  pub->diff.removed, pub->diff.changed, generation);

    ngx_http_swarm_publish_remember(pub, &pub->last[i], set, generation);

    return NGX_OK;
}


/*
 * What upstream i has published: worker 0's copy of it, while that is
 * what shared memory holds, else (after a reload, say) the worker's view
 * of shared memory, brought up to date and acquired for the caller to
 * release (*view is NULL for the copy).
 */

void
ngx_http_swarm_publish_peers(ngx_http_swarm_publish_t *pub, ngx_uint_t i,
    ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view)
{
    ngx_http_swarm_last_t       *last;
    ngx_http_swarm_upstream_t  **upp;

    upp = pub->mcf->upstreams.elts;
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


void
ngx_http_swarm_publish_free(ngx_http_swarm_publish_t *pub)
{
    ngx_uint_t  i;

    /* a set that was being copied into shared memory */

    if (pub->peers) {
        ngx_http_swarm_zone_free(&pub->mcf->zone, pub->peers);
        pub->peers = NULL;
    }

    for (i = 0; i < pub->mcf->upstreams.nelts; i++) {
        ngx_http_swarm_set_free(&pub->last[i].set);

        if (pub->last[i].routes) {
            ngx_free(pub->last[i].routes);
        }
    }
}
