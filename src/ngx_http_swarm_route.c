
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_route: the routes upstream a location names, found as the
 * configuration is read, and, before access checks, a request's route
 * in the worker's copy of that upstream (its route tables are
 * ngx_http_swarm_routing.c's), held for the balancer, or a 404; and
 * swarm_entrypoint, Traefik's entrypoint that a server is, which
 * decides which routes it tries.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_middleware.h"
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
 * "swarm_entrypoint NAME [tls] [default]": the server's entrypoint, its
 * place in the swarm's; a name given in several servers is one
 * entrypoint, and must say the same in each.
 */

char *
ngx_http_swarm_route_entrypoint(ngx_conf_t *cf, ngx_http_swarm_t *swarm,
    ngx_int_t *index)
{
    ngx_str_t                    *value;
    ngx_uint_t                    i, tls, dflt;
    ngx_http_swarm_entrypoint_t  *ep;

    value = cf->args->elts;

    tls = 0;
    dflt = 0;

    for (i = 2; i < cf->args->nelts; i++) {
        if (ngx_strcmp(value[i].data, "tls") == 0 && !tls) {
            tls = 1;

        } else if (ngx_strcmp(value[i].data, "default") == 0 && !dflt) {
            dflt = 1;

        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    /* Traefik's names: no "," (a list's) and no "@" */

    if (value[1].len == 0 || value[1].len >= NGX_HTTP_SWARM_NAME_LEN
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, ',')
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '@'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid entrypoint name \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    ep = swarm->entrypoints.elts;

    for (i = 0; i < swarm->entrypoints.nelts; i++) {
        if (ep[i].name.len != value[1].len
            || ngx_strncmp(ep[i].name.data, value[1].data, value[1].len) != 0)
        {
            continue;
        }

        if (ep[i].tls != tls || ep[i].dflt != dflt) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "entrypoint \"%V\" is given with other "
                               "parameters in another server", &value[1]);
            return NGX_CONF_ERROR;
        }

        *index = (ngx_int_t) i;
        return NGX_CONF_OK;
    }

    ep = ngx_array_push(&swarm->entrypoints);
    if (ep == NULL) {
        return NGX_CONF_ERROR;
    }

    ep->name = value[1];
    ep->tls = tls;
    ep->dflt = dflt;

    *index = (ngx_int_t) swarm->entrypoints.nelts - 1;

    return NGX_CONF_OK;
}


/*
 * The request's route, on the worker's copy of the upstream's tasks,
 * which the request holds: the balancer routes by the same copy.  In a
 * server with swarm_entrypoint, among the routes of that entrypoint and
 * of the request's kind, TLS or not.  No route is 404, as with Traefik.
 */

ngx_int_t
ngx_http_swarm_route_handler(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up, ngx_int_t entrypoint)
{
    ngx_uint_t                 table;
    ngx_pool_cleanup_t        *cln;
    ngx_http_swarm_ctx_t      *ctx;
    ngx_http_swarm_view_t     *view;
    ngx_http_swarm_backend_t  *b;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx && (ctx->auth || (ctx->page && r != r->main))) {
        /*
         * a middleware's call (forwardauth's, errors'): its target is
         * set, on the caller's copy
         */
        return NGX_DECLINED;
    }

    if (ctx && ctx->resume) {
        /* a middleware delayed the request: the next one goes on */

        ctx->resume = 0;

        return ngx_http_swarm_middleware_run(r, ctx, ctx->mws, ctx->ran);
    }

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

    table = 0;

    if (entrypoint >= 0) {
        table = 1 + 2 * (ngx_uint_t) entrypoint;
#if (NGX_HTTP_SSL)
        table += (r->connection->ssl != NULL);
#endif
    }

    b = ngx_http_swarm_routing_find(view, r, table);

    if (b == NULL) {
        ngx_http_swarm_view_release(up, view);
        return NGX_HTTP_NOT_FOUND;
    }

    ctx->up = up;
    ctx->view = view;
    ctx->backend = b;
    ctx->mws = NULL;

    /* its middlewares: one may answer, and no task is picked */

    if (b->mws) {
        return ngx_http_swarm_middleware_run(r, ctx, b->mws, 0);
    }

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
