
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_route: the routes upstream a location names, found as the
 * configuration is read, and, before access checks, a request's route
 * in the worker's copy of that upstream (its route table is
 * ngx_http_swarm_routing.c's), held for the balancer, or a 404.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_route.h"


static void ngx_http_swarm_route_cleanup(void *data);


/*
 * A swarm_route's upstream, once all are known: the routes upstream it
 * names, or the only one.
 */

char *
ngx_http_swarm_route_find(ngx_conf_t *cf, ngx_http_swarm_t *swarm,
    ngx_str_t *name, u_char *file, ngx_uint_t line,
    ngx_http_swarm_upstream_t **found)
{
    ngx_uint_t                   i, n;
    ngx_http_swarm_upstream_t  **upp, *up;

    upp = swarm->upstreams.elts;

    up = NULL;
    n = 0;

    for (i = 0; i < swarm->upstreams.nelts; i++) {
        if (!upp[i]->routes) {
            continue;
        }

        n++;

        if (name->len == 0
            || (upp[i]->name.len == name->len
                && ngx_strncmp(upp[i]->name.data, name->data, name->len)
                   == 0))
        {
            up = upp[i];
        }
    }

    if (name->len && up == NULL) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"swarm_route\" in %s:%ui: no upstream \"%V\" has "
                      "\"swarm_routes\"", file, line, name);
        return NGX_CONF_ERROR;
    }

    if (name->len == 0 && n != 1) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"swarm_route\" in %s:%ui: %s; name the upstream",
                      file, line,
                      n ? "several upstreams have \"swarm_routes\""
                        : "no upstream has \"swarm_routes\"");
        return NGX_CONF_ERROR;
    }

    *found = up;

    return NGX_CONF_OK;
}


/*
 * The request's route, on the worker's copy of the upstream's tasks,
 * which the request holds: the balancer routes by the same copy.  No
 * route is 404, as with Traefik.
 */

ngx_int_t
ngx_http_swarm_route_handler(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up)
{
    ngx_pool_cleanup_t        *cln;
    ngx_http_swarm_ctx_t      *ctx;
    ngx_http_swarm_view_t     *view;
    ngx_http_swarm_backend_t  *b;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_ctx_t));
        cln = ngx_pool_cleanup_add(r->pool, 0);

        if (ctx == NULL || cln == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        cln->handler = ngx_http_swarm_route_cleanup;
        cln->data = ctx;

        ngx_http_set_ctx(r, ctx, ngx_http_swarm_module);

    } else if (ctx->view) {
        /* the location changed: routed anew */

        ngx_http_swarm_view_release(ctx->up, ctx->view);
        ctx->view = NULL;
    }

    view = ngx_http_swarm_view_acquire(up, r->connection->log);

    b = ngx_http_swarm_routing_find(view, r);

    if (b == NULL) {
        ngx_http_swarm_view_release(up, view);
        return NGX_HTTP_NOT_FOUND;
    }

    ctx->up = up;
    ctx->view = view;
    ctx->backend = b;

    return NGX_DECLINED;
}


static void
ngx_http_swarm_route_cleanup(void *data)
{
    ngx_http_swarm_ctx_t  *ctx = data;

    if (ctx->view) {
        ngx_http_swarm_view_release(ctx->up, ctx->view);
    }
}
