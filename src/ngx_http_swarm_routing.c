
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The route tables of a routes upstream: each worker's, for its copy of
 * the upstream's tasks, built between requests from the routes the zone
 * holds with them (for each route its tasks, their index and its
 * cookie), and the route of a Host and path in one, which swarm_route
 * (ngx_http_swarm_route.c) looks up for the balancer.  Table 0 has every
 * route; with entrypoints (swarm_entrypoint), table 1 + 2 * e + tls has
 * the routes of entrypoint e for plain (tls 0) or TLS requests, as
 * Traefik's aggregator sorts routers into its entrypoints' HTTP and
 * HTTPS handlers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_middleware.h"
#include "ngx_http_swarm_routing.h"


struct ngx_http_swarm_routing_s {
    json_t                     *json;
    ngx_uint_t                  n;
    ngx_http_swarm_backend_t   *backends;
    ngx_http_swarm_rule_t      *rules;
    ngx_http_swarm_route_t     *routes;
    ngx_http_swarm_cookie_t    *cookies;
    ngx_uint_t                 *rr;
    ngx_http_swarm_routes_t   **tables;
    ngx_uint_t                  ntables;
    unsigned                    order;

    /* "service", or "service/router", as metrics and variables name it */
    const char                **names;
};


static ngx_int_t ngx_http_swarm_routing_route(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_routing_t *routing, ngx_uint_t i, ngx_pool_t *pool,
    ngx_log_t *log);
static ngx_int_t ngx_http_swarm_routing_cookie(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_cookie_t *ck, json_t *sticky, const char *service,
    ngx_pool_t *pool);
static ngx_int_t ngx_http_swarm_routing_tasks(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_http_swarm_routing_t *routing);
static void ngx_http_swarm_routing_calls(
    ngx_http_swarm_routing_t *routing);
static ngx_int_t ngx_http_swarm_routing_tables(
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_routing_t *routing,
    ngx_pool_t *pool);
static ngx_uint_t ngx_http_swarm_routing_on(ngx_http_swarm_upstream_t *up,
    json_t *r, ngx_uint_t e, ngx_uint_t tls, ngx_uint_t dflt);
static void ngx_http_swarm_routing_cleanup(void *data);


/*
 * The route table of a new copy of a routes upstream's tasks, in the
 * copy's pool.  The routes were checked as worker 0 published them: one
 * that fails here all the same is left out, with an alert.
 */

ngx_int_t
ngx_http_swarm_routing_build(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_log_t *log)
{
    unsigned                   order;
    ngx_uint_t                 i, n;
    json_t                    *list;
    const char                *s;
    json_error_t               jerr;
    ngx_pool_cleanup_t        *cln;
    ngx_http_swarm_routing_t  *routing;

    routing = ngx_pcalloc(view->pool, sizeof(ngx_http_swarm_routing_t));
    cln = ngx_pool_cleanup_add(view->pool, 0);

    if (routing == NULL || cln == NULL) {
        return NGX_ERROR;
    }

    cln->handler = ngx_http_swarm_routing_cleanup;
    cln->data = routing;

    view->routing = routing;

    if (view->routes_len == 0) {
        return NGX_OK;
    }

    routing->json = json_loadb((char *) view->routes, view->routes_len, 0,
                               &jerr);
    if (routing->json == NULL) {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "swarm: upstream \"%V\": routes unreadable: %s",
                      &up->name, jerr.text);
        return NGX_ERROR;
    }

    list = json_object_get(routing->json, "routes");
    n = ngx_min(json_array_size(list), NGX_HTTP_SWARM_ROUTES_MAX);

    if (n == 0) {
        return NGX_OK;
    }

    routing->backends = ngx_pcalloc(view->pool,
                                    n * sizeof(ngx_http_swarm_backend_t));
    routing->rules = ngx_pcalloc(view->pool,
                                 n * sizeof(ngx_http_swarm_rule_t));
    routing->routes = ngx_pcalloc(view->pool,
                                  n * sizeof(ngx_http_swarm_route_t));
    routing->cookies = ngx_pcalloc(view->pool,
                                   n * sizeof(ngx_http_swarm_cookie_t));
    routing->rr = ngx_palloc(view->pool, n * sizeof(ngx_uint_t));
    routing->names = ngx_palloc(view->pool, n * sizeof(char *));

    if (routing->backends == NULL || routing->rules == NULL
        || routing->routes == NULL || routing->cookies == NULL
        || routing->rr == NULL || routing->names == NULL)
    {
        return NGX_ERROR;
    }

    routing->n = n;

    for (i = 0; i < n; i++) {
        if (ngx_http_swarm_routing_route(up, routing, i, view->pool, log)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_swarm_routing_tasks(up, view, routing) != NGX_OK) {
        return NGX_ERROR;
    }

    ngx_http_swarm_routing_calls(routing);

    s = json_string_value(json_object_get(routing->json, "order"));
    order = (s && ngx_strcmp(s, "traefik") == 0)
            ? NGX_HTTP_SWARM_ORDER_TRAEFIK : NGX_HTTP_SWARM_ORDER_NATIVE;

    routing->order = order;

    return ngx_http_swarm_routing_tables(up, routing, view->pool);
}


/*
 * The backends that middlewares call (forwardauth, errors): of the
 * route whose tasks are the service worker 0 named; a call with none is
 * answered 500
 */

static void
ngx_http_swarm_routing_calls(ngx_http_swarm_routing_t *routing)
{
    json_t               *list, *r;
    ngx_uint_t            i, j, k;
    const char           *tasks;
    ngx_http_swarm_mw_t  *mw;

    list = json_object_get(routing->json, "routes");

    for (i = 0; i < routing->n; i++) {
        for (k = 0; routing->backends[i].mws
                    && k < routing->backends[i].mws->n; k++)
        {
            mw = &routing->backends[i].mws->mw[k];

            for (j = 0; mw->tasks && j < routing->n; j++) {
                r = json_array_get(list, j);

                tasks = json_string_value(json_object_get(r, "tasks_of"));
                if (tasks == NULL) {
                    tasks = json_string_value(json_object_get(r, "service"));
                }

                if (tasks && ngx_strcmp(tasks, mw->tasks) == 0) {
                    mw->backend = &routing->backends[j];
                    break;
                }
            }
        }
    }
}


/* table 0, and, with entrypoints, two for each */

static ngx_int_t
ngx_http_swarm_routing_tables(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_routing_t *routing, ngx_pool_t *pool)
{
    json_t                       *list;
    ngx_uint_t                    t, i, e, tls, dflt;
    ngx_http_swarm_entrypoint_t  *ep;

    routing->ntables = 1 + 2 * (up->entrypoints ? up->entrypoints->nelts
                                                : 0);

    routing->tables = ngx_pcalloc(pool, routing->ntables
                                        * sizeof(ngx_http_swarm_routes_t *));
    if (routing->tables == NULL) {
        return NGX_ERROR;
    }

    list = json_object_get(routing->json, "routes");

    /* whether any entrypoint is marked default */

    dflt = 0;
    ep = up->entrypoints ? up->entrypoints->elts : NULL;

    for (i = 0; ep && i < up->entrypoints->nelts; i++) {
        dflt |= ep[i].dflt;
    }

    for (t = 0; t < routing->ntables; t++) {
        e = (t - 1) / 2;
        tls = (t - 1) % 2;

        for (i = 0; i < routing->n; i++) {
            routing->routes[i].skip = (t > 0)
                && !ngx_http_swarm_routing_on(up, json_array_get(list, i),
                                              e, tls, dflt);
        }

        routing->tables[t] = ngx_http_swarm_routes_build(routing->routes,
                                                         routing->n,
                                                         routing->order,
                                                         NULL);
        if (routing->tables[t] == NULL) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * Whether a route is tried on entrypoint e for plain or TLS requests:
 * its entrypoints, else the default ones (all where none is marked
 * default: "dflt" 0); a TLS route, or any on an entrypoint with tls,
 * only for TLS requests, any other only for plain ones
 */

static ngx_uint_t
ngx_http_swarm_routing_on(ngx_http_swarm_upstream_t *up, json_t *r,
    ngx_uint_t e, ngx_uint_t tls, ngx_uint_t dflt)
{
    size_t                        k, len;
    json_t                       *list, *v;
    const char                   *name;
    ngx_http_swarm_entrypoint_t  *ep;

    ep = up->entrypoints->elts;

    if ((json_is_true(json_object_get(r, "tls")) || ep[e].tls) != tls) {
        return 0;
    }

    list = json_object_get(r, "entrypoints");

    if (json_is_array(list)) {
        json_array_foreach(list, k, v) {
            name = json_string_value(v);
            len = name ? ngx_strlen(name) : 0;

            if (len == ep[e].name.len
                && ngx_strncmp(name, ep[e].name.data, len) == 0)
            {
                return 1;
            }
        }

        return 0;
    }

    return !dflt || ep[e].dflt;
}


static ngx_int_t
ngx_http_swarm_routing_route(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_routing_t *routing, ngx_uint_t i, ngx_pool_t *pool,
    ngx_log_t *log)
{
    u_char                    *p;
    json_t                    *r, *priority, *sticky;
    const char                *service, *router;
    ngx_http_swarm_route_t    *route;
    ngx_http_swarm_backend_t  *b;
    char                       err[NGX_HTTP_SWARM_ERR_LEN];

    r = json_array_get(json_object_get(routing->json, "routes"), i);
    route = &routing->routes[i];
    b = &routing->backends[i];

    service = json_string_value(json_object_get(r, "service"));
    if (service == NULL) {
        service = "";
    }

    route->name = service;
    route->rule = &routing->rules[i];

    router = json_string_value(json_object_get(r, "router"));

    if (router == NULL || router[0] == '\0') {
        routing->names[i] = service;

    } else {
        p = ngx_pnalloc(pool, ngx_strlen(service) + ngx_strlen(router) + 2);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(p, "%s/%s%Z", service, router);
        routing->names[i] = (const char *) p;
    }

    priority = json_object_get(r, "priority");

    if (json_is_integer(priority)) {
        route->priority = (long) json_integer_value(priority);
        route->has_priority = 1;
    }

    if (ngx_http_swarm_matches_from_json(json_object_get(r, "rule"),
                                         &routing->rules[i], err, sizeof(err))
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_match_compile(&routing->rules[i], pool, err,
                                        sizeof(err))
           != NGX_OK)
    {
        /* matches nothing */

        ngx_http_swarm_rule_free(&routing->rules[i]);

        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "swarm: upstream \"%V\": the rule of service \"%s\" "
                      "is unreadable: %s", &up->name, service, err);
    }

    /*
     * its middlewares: a route whose middlewares cannot be run here
     * matches nothing, never served without them
     */

    if (ngx_http_swarm_middleware_build(json_object_get(r, "middlewares"),
                                        routing->names[i], pool, &b->mws,
                                        err, sizeof(err))
        != NGX_OK)
    {
        ngx_http_swarm_rule_free(&routing->rules[i]);

        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "swarm: upstream \"%V\": the middlewares of service "
                      "\"%s\" cannot be run: %s", &up->name, service, err);
    }

    /* a new copy starts its round robin anywhere: no task is favoured */

    routing->rr[i] = (ngx_uint_t) ngx_random();
    b->rr = &routing->rr[i];

    sticky = json_object_get(r, "sticky");

    if (json_is_object(sticky)) {
        if (ngx_http_swarm_routing_cookie(up, &routing->cookies[i], sticky,
                                          service, pool)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        b->cookie = &routing->cookies[i];
    }

    return NGX_OK;
}


/*
 * A sticky route's cookie: what its labels give, else what swarm_sticky
 * gives, else the defaults.  Its name is the label's, else swarm_sticky's
 * "cookie=" (or "route") and "_" and the service's name, so that routes
 * on one host keep their cookies apart.
 */

static ngx_int_t
ngx_http_swarm_routing_cookie(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_cookie_t *ck, json_t *sticky, const char *service,
    ngx_pool_t *pool)
{
    u_char      *p;
    size_t       len;
    json_t      *v;
    const char  *base;

    if (up->cookie) {
        *ck = *up->cookie;
        base = up->cookie->name;

    } else {
        /* swarm_sticky's defaults */

        ngx_memzero(ck, sizeof(ngx_http_swarm_cookie_t));
        ck->path = "/";
        ck->max_age = -1;
        ck->httponly = 1;
        ck->samesite = "Lax";
        ck->auto_secure = 1;
        ck->nocache = 1;
        base = "route";
    }

    v = json_object_get(sticky, "name");

    if (json_is_string(v)) {
        ck->name = json_string_value(v);

    } else {
        len = ngx_strlen(base) + 1 + ngx_strlen(service);

        p = ngx_pnalloc(pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(p, "%s_%s%Z", base, service);
        ck->name = (const char *) p;
    }

    v = json_object_get(sticky, "secure");
    if (json_is_boolean(v)) {
        ck->secure = json_is_true(v);
        ck->auto_secure = 0;
    }

    v = json_object_get(sticky, "httponly");
    if (json_is_boolean(v)) {
        ck->httponly = json_is_true(v);
    }

    v = json_object_get(sticky, "samesite");
    if (json_is_string(v)) {
        ck->samesite = json_string_value(v);
    }

    /* a number of seconds, or "session": no Max-Age */

    v = json_object_get(sticky, "max_age");
    if (json_is_integer(v)) {
        ck->max_age = (long) json_integer_value(v);

    } else if (json_is_string(v)) {
        ck->max_age = -1;
    }

    v = json_object_get(sticky, "path");
    if (json_is_string(v)) {
        ck->path = json_string_value(v);
    }

    v = json_object_get(sticky, "domain");
    if (json_is_string(v)) {
        ck->domain = json_string_value(v);
    }

    return ngx_http_swarm_routing_cookie_attrs(ck, pool);
}


/*
 * What follows a cookie's value in its Set-Cookie, made once for every
 * request: as the cookie is, and with "; Secure" for requests over TLS
 */

ngx_int_t
ngx_http_swarm_routing_cookie_attrs(ngx_http_swarm_cookie_t *ck,
    ngx_pool_t *pool)
{
    u_char      *p;
    size_t       len;
    ngx_uint_t   secure;

    for (secure = 0; secure < 2; secure++) {
        len = ngx_http_swarm_cookie_attrs(NULL, 0, ck, ck->secure || secure);

        p = ngx_pnalloc(pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        (void) ngx_http_swarm_cookie_attrs(p, len + 1, ck,
                                           ck->secure || secure);
        ck->attrs[secure] = p;
        ck->attrs_len[secure] = len;
    }

    return NGX_OK;
}


/*
 * Each route's tasks: the peers of a routes upstream come by route, so
 * each route's peers, and its active ones, are a run of the copy's.
 */

static ngx_int_t
ngx_http_swarm_routing_tasks(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_view_t *view, ngx_http_swarm_routing_t *routing)
{
    size_t                     nslots;
    uint32_t                  *slots;
    ngx_uint_t                 i, k, r;
    ngx_http_swarm_backend_t  *b;

    for (i = 0; i < view->npeers; i = k) {
        r = view->tasks[i].route;

        for (k = i + 1; k < view->npeers && view->tasks[k].route == r; k++) {
            /* void */
        }

        if (r >= routing->n) {
            continue;
        }

        b = &routing->backends[r];
        b->first = i;
        b->npeers = k - i;
    }

    for (i = 0; i < view->nactive; i++) {
        r = view->tasks[view->active[i]].route;

        if (r >= routing->n) {
            continue;
        }

        b = &routing->backends[r];

        if (b->nactive++ == 0) {
            b->active = &view->active[i];
        }
    }

    for (r = 0; r < routing->n; r++) {
        b = &routing->backends[r];

        nslots = ngx_http_swarm_cookie_index_size(b->npeers);

        slots = ngx_palloc(view->pool, nslots * sizeof(uint32_t));
        if (slots == NULL) {
            return NGX_ERROR;
        }

        ngx_http_swarm_cookie_index_build(&b->index, slots, nslots,
                                          (char *) view->values
                                          + b->first * view->vstride,
                                          view->vstride, b->npeers);

        ngx_http_swarm_backend_ramp(b, view->tasks, up->slow_start);
    }

    return NGX_OK;
}


static void
ngx_http_swarm_routing_cleanup(void *data)
{
    ngx_http_swarm_routing_t  *routing = data;

    ngx_uint_t  i;

    for (i = 0; routing->tables && i < routing->ntables; i++) {
        ngx_http_swarm_routes_free(routing->tables[i]);
    }

    for (i = 0; routing->rules && i < routing->n; i++) {
        ngx_http_swarm_rule_free(&routing->rules[i]);
    }

    json_decref(routing->json);
}


/* a route's name: "service", or "service/router" */

const char *
ngx_http_swarm_routing_name(ngx_http_swarm_view_t *view, ngx_uint_t route)
{
    ngx_http_swarm_routing_t  *routing;

    routing = view->routing;

    if (routing == NULL || route >= routing->n) {
        return "";
    }

    return routing->names[route];
}


/*
 * The route of a request by its Host (nginx made it lower case) and
 * path: nginx's, decoded and normalized; in Traefik's order, Traefik's,
 * which keeps reserved characters such as "%2F" encoded, made from the
 * path as sent where it has a "%" or a segment to clean (and was not
 * rewritten), else nginx's, which is the same.
 */

ngx_http_swarm_backend_t *
ngx_http_swarm_routing_find(ngx_http_swarm_view_t *view,
    ngx_http_request_t *r, ngx_uint_t table)
{
    long                       k;
    u_char                    *q;
    ngx_str_t                  path, *host;
    ngx_http_swarm_test_t      test;
    ngx_http_swarm_routing_t  *routing;

    routing = view->routing;

    if (routing == NULL || routing->tables == NULL) {
        return NULL;
    }

    if (table >= routing->ntables) {
        table = 0;
    }

    path = r->uri;

    if (routing->order == NGX_HTTP_SWARM_ORDER_TRAEFIK
        && (r->quoted_uri || r->complex_uri) && r->valid_unparsed_uri
        && r->unparsed_uri.len && r->unparsed_uri.data[0] == '/')
    {
        q = ngx_strlchr(r->unparsed_uri.data,
                        r->unparsed_uri.data + r->unparsed_uri.len, '?');

        path.len = (q ? q : r->unparsed_uri.data + r->unparsed_uri.len)
                   - r->unparsed_uri.data;

        path.data = ngx_pnalloc(r->pool, path.len);
        if (path.data == NULL) {
            return NULL;
        }

        path.len = ngx_http_swarm_routes_path(r->unparsed_uri.data, path.len,
                                              path.data);
    }

    test.test = ngx_http_swarm_match_test;
    test.data = r;

    /* nginx's validated host: lower case, no port, no trailing dot */

    host = &r->headers_in.server;

    k = (host->len && host->data[0] != '['
         && host->len <= NGX_HTTP_SWARM_HOST_LEN)
        ? ngx_http_swarm_routes_find_name(routing->tables[table],
                                          (char *) host->data, host->len,
                                          (char *) path.data, path.len,
                                          &test)
        : ngx_http_swarm_routes_find(routing->tables[table],
                                     (char *) host->data, host->len,
                                     (char *) path.data, path.len, &test);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "swarm route: host \"%V\" path \"%V\": %l",
                   &r->headers_in.server, &path, k);

    return (k >= 0) ? &routing->backends[k] : NULL;
}


/*
 * The routes for swarm_status: each as published, with its tasks, and
 * what kept services or routes out, and the labels acted on by nothing.
 */

json_t *
ngx_http_swarm_routing_status(ngx_http_swarm_view_t *view)
{
    json_t                    *root, *list, *r;
    ngx_uint_t                 i;
    ngx_http_swarm_routing_t  *routing;
    ngx_http_swarm_backend_t  *b;

    routing = view->routing;

    root = json_object();
    list = json_array();

    if (root == NULL || list == NULL) {
        goto failed;
    }

    for (i = 0; i < routing->n; i++) {
        b = &routing->backends[i];

        r = json_deep_copy(json_array_get(json_object_get(routing->json,
                                                          "routes"),
                                          i));
        if (r == NULL) {
            goto failed;
        }

        if (b->cookie) {
            json_object_set_new(r, "cookie", json_string(b->cookie->name));
        }

        if (json_object_get(r, "middlewares")) {
            json_object_set_new(r, "middlewares",
                                ngx_http_swarm_middleware_shown(
                                    json_object_get(r, "middlewares")));
        }

        json_object_set_new(r, "active", json_integer(b->nactive));
        json_object_set_new(r, "draining",
                            json_integer(b->npeers - b->nactive));

        if (json_array_append_new(list, r) != 0) {
            goto failed;
        }
    }

    json_object_set_new(root, "routes", list);
    list = NULL;

    json_object_set(root, "route_errors",
                    routing->json
                    ? json_object_get(routing->json, "errors") : NULL);
    json_object_set(root, "ignored_labels",
                    routing->json
                    ? json_object_get(routing->json, "ignored") : NULL);

    if (json_object_get(root, "route_errors") == NULL) {
        json_object_set_new(root, "route_errors", json_array());
    }

    if (json_object_get(root, "ignored_labels") == NULL) {
        json_object_set_new(root, "ignored_labels", json_array());
    }

    return root;

failed:

    json_decref(root);
    json_decref(list);

    return NULL;
}
