
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The services a selector matches, from GET /services: each with the
 * port and network its labels or the selector give, or skipped with a
 * report of why; then sorted by ID for the tasks to find them.  Pure:
 * jansson and libc only, no nginx, no I/O.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/* a service's spec may hold many labels and variables, not megabytes */
#define NGX_HTTP_SWARM_SERVICE_MAX    262144


static int ngx_http_swarm_service_add(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    const char *network, unsigned port, ngx_http_swarm_report_t *report);
/* a tie of routes, reported for their upstream */

typedef struct {
    ngx_http_swarm_report_t   *report;
    unsigned                   upstream;
} ngx_http_swarm_tie_t;


static void ngx_http_swarm_services_tie(void *data, unsigned route,
    const char *service, const char *msg);
static void ngx_http_swarm_services_take(ngx_http_swarm_routed_t *r,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    ngx_http_swarm_route_spec_t *spec);
static int ngx_http_swarm_services_routed(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    json_t *labels, json_t *endpoint, ngx_http_swarm_report_t *report);
static size_t ngx_http_swarm_services_vips(ngx_http_swarm_service_t *s,
    json_t *endpoint);
static int ngx_http_swarm_routed_cmp(const void *a, const void *b);
static int ngx_http_swarm_routed_cmp_router(const void *a, const void *b);
static int ngx_http_swarm_lbref_cmp(const void *a, const void *b);
static ngx_http_swarm_routed_t *ngx_http_swarm_services_push(
    ngx_http_swarm_services_t *out);
static int ngx_http_swarm_services_lbs(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    ngx_http_swarm_labels_t *lab);
static int ngx_http_swarm_services_merge(ngx_http_swarm_services_t *svcs,
    unsigned upstream, ngx_http_swarm_report_t *report);
static int ngx_http_swarm_services_calls(ngx_http_swarm_services_t *svcs,
    unsigned upstream, json_t *list, char *err, size_t errlen);
static int ngx_http_swarm_services_middlewares(
    ngx_http_swarm_services_t *svcs, unsigned upstream,
    ngx_http_swarm_report_t *report);
static int ngx_http_swarm_services_target(ngx_http_swarm_services_t *svcs,
    ngx_http_swarm_routed_t *r, ngx_http_swarm_lbref_t *l);
static long ngx_http_swarm_services_priority(
    const ngx_http_swarm_route_spec_t *spec, unsigned order);
static json_t *ngx_http_swarm_services_names(const char *list);
static uint32_t ngx_http_swarm_services_where(
    const ngx_http_swarm_route_spec_t *spec);
static int ngx_http_swarm_port_allowed(const ngx_http_swarm_selector_t *sel,
    unsigned port);
static json_t *ngx_http_swarm_sticky_json(
    const ngx_http_swarm_sticky_spec_t *sticky);
static int ngx_http_swarm_services_text(ngx_http_swarm_routes_text_t *t,
    const char *s, size_t len);
static int ngx_http_swarm_service_cmp(const void *a, const void *b);
static int ngx_http_swarm_service_id_cmp(const void *key, const void *elt);


/*
 * The filters of the /services query for a selector, or NULL: none at
 * all for "swarm_routes traefik exposed_by_default", which looks at
 * every service.
 */

json_t *
ngx_http_swarm_services_filters(const ngx_http_swarm_selector_t *sel)
{
    json_t  *list;

    if (sel->label_key) {
        list = json_pack("[s++]", sel->label_key, "=", sel->label_value);
        return json_pack("{so}", "label", list);
    }

    if (sel->name) {
        return json_pack("{s[s]}", "name", sel->name);
    }

    return json_object();
}


int
ngx_http_swarm_services_parse(const char *buf, size_t len,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, char *err, size_t errlen)
{
    int                     rc;
    ngx_http_swarm_array_t  a;

    ngx_http_swarm_array_init(&a, buf, len);

    do {
        rc = ngx_http_swarm_services_read(&a, sel, out, report, 64, err,
                                          errlen);
    } while (rc == 1);

    return rc;
}


/*
 * Up to max services of the answer: 1 if more are left, 0 at the end,
 * -1 on an error (err says which).
 */

int
ngx_http_swarm_services_read(ngx_http_swarm_array_t *a,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, size_t max, char *err, size_t errlen)
{
    int          rc;
    char        *end;
    long         port;
    size_t       k, n, elen;
    json_t      *svc, *spec, *labels;
    const char  *id, *name, *value, *elem;

    for (k = 0; k < max; k++) {

        rc = ngx_http_swarm_array_next(a, &elem, &elen, "services", err,
                                       errlen);
        if (rc == NGX_HTTP_SWARM_SCANNING) {
            return NGX_HTTP_SWARM_MORE;
        }

        if (rc != NGX_HTTP_SWARM_ELEMENT) {
            return rc;
        }

        if (elen > NGX_HTTP_SWARM_SERVICE_MAX) {
            ngx_http_swarm_text_report(report, sel->upstream, "(not parsed)",
                                       "a service of %zu bytes of JSON, over "
                                       "the 256 KB one may take, skipped",
                                       elen);
            continue;
        }

        svc = ngx_http_swarm_array_element(a, elem, elen, "services", err,
                                           errlen);
        if (svc == NULL) {
            return -1;
        }

        id = ngx_http_swarm_text_json_string(svc, "ID");
        spec = json_object_get(svc, "Spec");
        name = ngx_http_swarm_text_json_string(spec, "Name");
        labels = json_object_get(spec, "Labels");

        if (id == NULL || name == NULL) {
            json_decref(svc);
            continue;
        }

        if (sel->label_key) {
            value = ngx_http_swarm_text_json_string(labels, sel->label_key);

            if (value == NULL || strcmp(value, sel->label_value) != 0) {
                json_decref(svc);
                continue;
            }

        } else if (sel->name && strcmp(name, sel->name) != 0) {
            json_decref(svc);
            continue;
        }

        if (sel->routes) {
            rc = ngx_http_swarm_services_routed(out, sel, id, name, labels,
                                                json_object_get(svc,
                                                                "Endpoint"),
                                                report);
            json_decref(svc);

            if (rc != NGX_HTTP_SWARM_DONE) {
                snprintf(err, errlen, "out of memory");
                return NGX_HTTP_SWARM_FAILED;
            }

            continue;
        }

        if (sel->port) {
            port = sel->port;

        } else {
            value = ngx_http_swarm_text_json_string(labels,
                                                    NGX_HTTP_SWARM_PORT_LABEL);

            if (value == NULL) {
                ngx_http_swarm_text_report(report, sel->upstream, name,
                                           "no port: set port= or the service "
                                           "label " NGX_HTTP_SWARM_PORT_LABEL
                                           ", skipped");
                json_decref(svc);
                continue;
            }

            port = strtol(value, &end, 10);

            if (*value < '0' || *value > '9' || *end != '\0'
                || port < 1 || port > 65535)
            {
                n = strlen(value);

                if (n > 32) {
                    n = ngx_http_swarm_text_utf8_cut((unsigned char *) value,
                                                     32);
                }

                ngx_http_swarm_text_report(report, sel->upstream, name,
                                           "invalid " NGX_HTTP_SWARM_PORT_LABEL
                                           " label \"%.*s\", skipped",
                                           (int) n, value);
                json_decref(svc);
                continue;
            }

            if (!ngx_http_swarm_port_allowed(sel, (unsigned) port)) {
                ngx_http_swarm_text_report(report, sel->upstream, name,
                                           NGX_HTTP_SWARM_PORT_LABEL
                                           " label %ld is outside "
                                           "ports=%u-%u, skipped",
                                           port, sel->port_min, sel->port_max);
                json_decref(svc);
                continue;
            }
        }

        value = sel->network;

        if (value == NULL) {
            value = ngx_http_swarm_text_json_string(
                        labels, NGX_HTTP_SWARM_NETWORK_LABEL);
        }

        rc = ngx_http_swarm_service_add(out, sel, id, name, value,
                                        (unsigned) port, report);

        json_decref(svc);

        if (rc != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }

    return 1;
}


static int
ngx_http_swarm_service_add(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    const char *network, unsigned port, ngx_http_swarm_report_t *report)
{
    ngx_http_swarm_service_t  *s, *p;

    if (out->n == out->cap) {
        p = realloc(out->services, (out->cap ? out->cap * 2 : 8) * sizeof(*p));
        if (p == NULL) {
            return -1;
        }

        out->services = p;
        out->cap = out->cap ? out->cap * 2 : 8;
    }

    s = &out->services[out->n];
    memset(s, 0, sizeof(*s));
    s->upstream = sel->upstream;
    s->port = port;
    s->routed = 0;

    if (ngx_http_swarm_text_copy(s->id, sizeof(s->id), id) != 0
        || ngx_http_swarm_text_copy(s->name, sizeof(s->name), name) != 0)
    {
        ngx_http_swarm_text_report(report, sel->upstream, name,
                                   "service ID or name too long, skipped");
        return 0;
    }

    if (network && ngx_http_swarm_text_copy(s->network, sizeof(s->network),
                                            network)
                   != 0)
    {
        ngx_http_swarm_text_report(report, sel->upstream, name,
                                   "network name too long, skipped");
        return 0;
    }

    out->n++;

    return 0;
}


/* a port a label gives, within the selector's ports= */

static int
ngx_http_swarm_port_allowed(const ngx_http_swarm_selector_t *sel,
    unsigned port)
{
    return sel->port_max == 0
           || (port >= sel->port_min && port <= sel->port_max);
}


/* by ID: a service selected for several upstreams comes as a run */

void
ngx_http_swarm_services_sort(ngx_http_swarm_services_t *svcs)
{
    if (svcs->n > 1) {
        qsort(svcs->services, svcs->n, sizeof(ngx_http_swarm_service_t),
              ngx_http_swarm_service_cmp);
    }
}


/* what a refresh found, forgotten; the memory stays for the next */

void
ngx_http_swarm_services_clear(ngx_http_swarm_services_t *svcs)
{
    size_t  i;

    for (i = 0; i < svcs->nrouted; i++) {
        ngx_http_swarm_rule_free(&svcs->routed[i].spec.rule);
        json_decref(svcs->routed[i].middlewares);
        svcs->routed[i].middlewares = NULL;
    }

    svcs->n = 0;
    svcs->nrouted = 0;
    svcs->nlbs = 0;

    json_decref(svcs->ignored);
    svcs->ignored = NULL;

    json_decref(svcs->middlewares);
    svcs->middlewares = NULL;
    svcs->file = NULL;
}


void
ngx_http_swarm_services_free(ngx_http_swarm_services_t *svcs)
{
    ngx_http_swarm_services_clear(svcs);

    free(svcs->services);
    svcs->services = NULL;
    svcs->cap = 0;

    free(svcs->routed);
    svcs->routed = NULL;
    svcs->rcap = 0;

    free(svcs->lbs);
    svcs->lbs = NULL;
    svcs->lcap = 0;
}


/*
 * The routes a service's labels give, for a routes selector: an entry
 * for each, with the port and network of the route, else of the
 * selector.  What is not routed is reported; NGX_HTTP_SWARM_FAILED only
 * when out of memory.
 */

static int
ngx_http_swarm_services_routed(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    json_t *labels, json_t *endpoint, ngx_http_swarm_report_t *report)
{
    int                           rc;
    size_t                        i, n;
    json_t                       *ign;
    unsigned                      port;
    const char                   *network;
    ngx_http_swarm_labels_t       lab;
    ngx_http_swarm_routed_t      *r;
    ngx_http_swarm_route_spec_t  *spec;

    rc = (sel->routes == NGX_HTTP_SWARM_ROUTES_TRAEFIK)
         ? ngx_http_swarm_labels_traefik(labels, sel, &lab, report, name)
         : ngx_http_swarm_labels_native(labels, sel, &lab, report, name);
    if (rc != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (lab.ignored[0]) {
        if (out->ignored == NULL) {
            out->ignored = json_array();
        }

        ign = json_pack("{sIssss}", "upstream", (json_int_t) sel->upstream,
                        "service", name, "labels", lab.ignored);

        if (out->ignored == NULL || ign == NULL
            || json_array_append_new(out->ignored, ign) != 0)
        {
            ngx_http_swarm_labels_free(&lab);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    if (ngx_http_swarm_services_lbs(out, sel, id, name, &lab) != 0) {
        goto failed;
    }

    out->file = sel->middlewares;

    if (lab.middlewares && json_object_size(lab.middlewares)) {
        if (out->middlewares == NULL) {
            out->middlewares = json_array();
        }

        if (out->middlewares == NULL
            || json_array_append_new(out->middlewares,
                                     json_pack("{sIsssO}", "upstream",
                                               (json_int_t) sel->upstream,
                                               "service", name, "defs",
                                               lab.middlewares))
               != 0)
        {
            goto failed;
        }
    }

    for (i = 0; i < lab.n; i++) {
        spec = &lab.routes[i];

        /* a service of another service's labels: found once all are */

        if (spec->elsewhere) {
            r = ngx_http_swarm_services_push(out);
            if (r == NULL) {
                goto failed;
            }

            ngx_http_swarm_services_take(r, sel, id, name, spec);
            continue;
        }

        port = spec->port ? spec->port : sel->port;

        if (spec->port && !ngx_http_swarm_port_allowed(sel, spec->port)) {
            ngx_http_swarm_text_report(report, sel->upstream, name,
                                       "%s%s%sport %u is outside ports=%u-%u, "
                                       "not routed",
                                       spec->router[0] ? "router \"" : "",
                                       spec->router,
                                       spec->router[0] ? "\" " : "",
                                       spec->port, sel->port_min,
                                       sel->port_max);
            continue;
        }

        if (port == 0) {
            ngx_http_swarm_text_report(report, sel->upstream, name,
                                       "%s%s%sno port: set a port label or "
                                       "port=, not routed",
                                       spec->router[0] ? "router \"" : "",
                                       spec->router,
                                       spec->router[0] ? "\" " : "");
            continue;
        }

        network = spec->network[0] ? spec->network : sel->network;

        if (ngx_http_swarm_services_push(out) == NULL) {
            goto failed;
        }

        out->nrouted--;
        n = out->n;

        if (ngx_http_swarm_service_add(out, sel, id, name, network, port,
                                       report)
            != 0)
        {
            goto failed;
        }

        if (out->n == n) {
            /* skipped, and reported */
            continue;
        }

        if (spec->lbswarm
            && ngx_http_swarm_services_vips(&out->services[out->n - 1],
                                            endpoint)
               == 0)
        {
            ngx_http_swarm_text_report(report, sel->upstream, name,
                                       "router \"%s\" not routed: "
                                       "traefik.swarm.lbswarm, and the "
                                       "service has no virtual IP (endpoint "
                                       "mode dnsrr)", spec->router);
            out->n--;
            continue;
        }

        r = &out->routed[out->nrouted++];

        ngx_http_swarm_services_take(r, sel, id, name, spec);

        out->services[out->n - 1].routed = out->nrouted;
    }

    ngx_http_swarm_labels_free(&lab);

    return NGX_HTTP_SWARM_DONE;

failed:

    ngx_http_swarm_labels_free(&lab);

    return NGX_HTTP_SWARM_FAILED;
}


/* a route of a service's labels into its entry: the rule is the entry's */

static void
ngx_http_swarm_services_take(ngx_http_swarm_routed_t *r,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    ngx_http_swarm_route_spec_t *spec)
{
    r->upstream = sel->upstream;
    r->route = 0;
    r->dropped = 0;
    (void) ngx_http_swarm_text_copy(r->service, sizeof(r->service), name);
    (void) ngx_http_swarm_text_copy(r->id, sizeof(r->id), id);

    r->spec = *spec;
    r->middlewares = NULL;
    memset(&spec->rule, 0, sizeof(ngx_http_swarm_rule_t));
}


/*
 * A service's virtual IPs (Endpoint.VirtualIPs, "10.0.2.5/24" by network
 * ID), for Traefik's lbswarm: how many; none in endpoint mode dnsrr
 */

static size_t
ngx_http_swarm_services_vips(ngx_http_swarm_service_t *s, json_t *endpoint)
{
    size_t                 i, len;
    json_t                *v;
    const char            *net, *addr, *slash;
    ngx_http_swarm_vip_t  *vip;

    s->lbswarm = 1;
    s->nvips = 0;

    json_array_foreach(json_object_get(endpoint, "VirtualIPs"), i, v) {
        net = ngx_http_swarm_text_json_string(v, "NetworkID");
        addr = ngx_http_swarm_text_json_string(v, "Addr");

        if (net == NULL || addr == NULL || s->nvips == NGX_HTTP_SWARM_VIPS) {
            continue;
        }

        slash = strchr(addr, '/');
        len = slash ? (size_t) (slash - addr) : strlen(addr);

        vip = &s->vips[s->nvips];

        if (len == 0 || len >= sizeof(vip->ip)
            || ngx_http_swarm_text_copy(vip->network, sizeof(vip->network),
                                        net)
               != 0)
        {
            continue;
        }

        memcpy(vip->ip, addr, len);
        vip->ip[len] = '\0';
        s->nvips++;
    }

    return s->nvips;
}


/* a routed entry more, zeroed; NULL if out of memory */

static ngx_http_swarm_routed_t *
ngx_http_swarm_services_push(ngx_http_swarm_services_t *out)
{
    size_t                    cap;
    ngx_http_swarm_routed_t  *r;

    if (out->nrouted == out->rcap) {
        cap = out->rcap ? out->rcap * 2 : 8;
        r = realloc(out->routed, cap * sizeof(ngx_http_swarm_routed_t));
        if (r == NULL) {
            return NULL;
        }

        out->routed = r;
        out->rcap = cap;
    }

    r = &out->routed[out->nrouted++];
    memset(r, 0, sizeof(ngx_http_swarm_routed_t));

    return r;
}


/*
 * The Traefik services a service's labels define, kept for routers of
 * other services that name them, with the selector's port and network
 * where the labels give none
 */

static int
ngx_http_swarm_services_lbs(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    ngx_http_swarm_labels_t *lab)
{
    size_t                   i, cap;
    ngx_http_swarm_lbref_t  *l;

    for (i = 0; i < lab->nlbs; i++) {
        if (out->nlbs == out->lcap) {
            cap = out->lcap ? out->lcap * 2 : 8;
            l = realloc(out->lbs, cap * sizeof(ngx_http_swarm_lbref_t));
            if (l == NULL) {
                return -1;
            }

            out->lbs = l;
            out->lcap = cap;
        }

        l = &out->lbs[out->nlbs++];

        l->upstream = sel->upstream;
        (void) ngx_http_swarm_text_copy(l->id, sizeof(l->id), id);
        (void) ngx_http_swarm_text_copy(l->service, sizeof(l->service), name);
        l->lb = lab->lbs[i];

        if (l->lb.port == 0) {
            l->lb.port = sel->port;
        }

        if (l->lb.network[0] == '\0' && sel->network) {
            (void) ngx_http_swarm_text_copy(l->lb.network,
                                            sizeof(l->lb.network),
                                            sel->network);
        }
    }

    return 0;
}


/*
 * As Traefik merges the labels of every service: a router's service=
 * that another swarm service's labels define gets that service's tasks,
 * port and cookie (one that several define, or none, is not routed); a
 * router name that services define differently is routed for none of
 * them (pkg/provider/merge.go).  Each said.
 */

static int
ngx_http_swarm_services_merge(ngx_http_swarm_services_t *svcs,
    unsigned upstream, ngx_http_swarm_report_t *report)
{
    size_t                     i, j, k, n, found;
    ngx_http_swarm_lbref_t    *l, key;
    ngx_http_swarm_routed_t   *r, *o, **by;

    /* by router name: a name's definitions are a run */

    by = malloc((svcs->nrouted ? svcs->nrouted : 1) * sizeof(void *));
    if (by == NULL) {
        return -1;
    }

    for (i = 0, n = 0; i < svcs->nrouted; i++) {
        if (svcs->routed[i].upstream == upstream
            && svcs->routed[i].spec.router[0] != '\0')
        {
            by[n++] = &svcs->routed[i];
        }
    }

    qsort(by, n, sizeof(void *), ngx_http_swarm_routed_cmp_router);

    for (i = 0; i < n; i = k) {
        for (k = i + 1;
             k < n && strcmp(by[k]->spec.router, by[i]->spec.router) == 0;
             k++)
        {
            /* void */
        }

        /* sorted by hash: defined differently if the ends differ */

        if (by[i]->spec.hash == by[k - 1]->spec.hash) {
            continue;
        }

        for (j = i; j < k; j++) {
            r = by[j];
            o = (r->spec.hash != by[i]->spec.hash) ? by[i] : by[k - 1];

            ngx_http_swarm_text_report(report, upstream, r->service,
                                       "router \"%s\" not routed: service "
                                       "\"%s\" defines it too, differently",
                                       r->spec.router, o->service);
            r->dropped = 1;
        }
    }

    free(by);

    /* by upstream and name: a name's definitions are a run */

    qsort(svcs->lbs, svcs->nlbs, sizeof(ngx_http_swarm_lbref_t),
          ngx_http_swarm_lbref_cmp);

    n = svcs->nrouted;

    for (i = 0; i < n; i++) {
        r = &svcs->routed[i];

        if (r->upstream != upstream || !r->spec.elsewhere || r->dropped) {
            continue;
        }

        key.upstream = upstream;
        memcpy(key.lb.name, r->spec.service, sizeof(key.lb.name));

        l = bsearch(&key, svcs->lbs, svcs->nlbs,
                    sizeof(ngx_http_swarm_lbref_t), ngx_http_swarm_lbref_cmp);

        found = 0;

        if (l) {
            for (j = l - svcs->lbs;
                 j > 0 && ngx_http_swarm_lbref_cmp(&key, &svcs->lbs[j - 1])
                          == 0;
                 j--)
            {
                /* void */
            }

            for (k = j;
                 k < svcs->nlbs
                 && ngx_http_swarm_lbref_cmp(&key, &svcs->lbs[k]) == 0;
                 k++)
            {
                found++;
            }

            k = j;
        }

        if (found != 1) {
            ngx_http_swarm_text_report(report, upstream, r->service,
                                       "router \"%s\" not routed: service "
                                       "\"%s\" is defined by %s",
                                       r->spec.router, r->spec.service,
                                       found ? "several services' labels"
                                             : "no service's labels");
            r->dropped = 1;
            continue;
        }

        l = &svcs->lbs[k];

        if (l->lb.port == 0) {
            ngx_http_swarm_text_report(report, upstream, r->service,
                                       "router \"%s\" no port: service "
                                       "\"%s\" of service \"%s\" has none, "
                                       "not routed", r->spec.router,
                                       r->spec.service, l->service);
            r->dropped = 1;
            continue;
        }

        /* the route is the other service's: its tasks are its peers */

        memcpy(r->target, l->service, sizeof(r->target));
        r->spec.port = l->lb.port;
        r->spec.sticky = l->lb.sticky;
        (void) ngx_http_swarm_text_copy(r->spec.network,
                                        sizeof(r->spec.network),
                                        l->lb.network);

        k = svcs->n;

        if (ngx_http_swarm_services_target(svcs, r, l) != 0) {
            return -1;
        }

        if (svcs->n == k) {
            r->dropped = 1;
            continue;
        }

        svcs->services[svcs->n - 1].routed = i + 1;
    }

    return ngx_http_swarm_services_middlewares(svcs, upstream, report);
}


/*
 * Each router's middlewares, from those every service of the upstream
 * defines (Traefik merges them: a name that services define differently
 * is none) and swarm_middleware's: a router that names one missing, or
 * one that cannot be run, is not routed, and said.
 */

static int
ngx_http_swarm_services_middlewares(ngx_http_swarm_services_t *svcs,
    unsigned upstream, ngx_http_swarm_report_t *report)
{
    size_t                    i;
    json_t                   *defs, *m, *def, *old;
    const char               *name, *by, *service;
    ngx_http_swarm_routed_t  *r;
    char                      err[NGX_HTTP_SWARM_ERR_LEN];

    defs = json_object();
    if (defs == NULL) {
        return -1;
    }

    json_array_foreach(svcs->middlewares, i, m) {
        if (json_integer_value(json_object_get(m, "upstream"))
            != (json_int_t) upstream)
        {
            continue;
        }

        service = json_string_value(json_object_get(m, "service"));

        json_object_foreach(json_object_get(m, "defs"), name, def) {
            old = json_object_get(defs, name);

            if (old == NULL) {
                def = json_pack("{sOss}", "def", def, "by", service);

                if (def == NULL || json_object_set_new(defs, name, def) != 0) {
                    json_decref(defs);
                    return -1;
                }

                continue;
            }

            if (!json_equal(json_object_get(old, "def"), def)) {
                by = json_string_value(json_object_get(old, "by"));

                snprintf(err, sizeof(err), "services \"%s\" and \"%s\" "
                         "define it differently", by ? by : "", service);

                if (json_object_set_new(old, "def",
                                        json_pack("{ss}", "error", err))
                    != 0)
                {
                    json_decref(defs);
                    return -1;
                }
            }
        }
    }

    /* by name to the definition alone */

    json_object_foreach(defs, name, def) {
        json_object_set(defs, name, json_object_get(def, "def"));
    }

    for (i = 0; i < svcs->nrouted; i++) {
        r = &svcs->routed[i];

        if (r->upstream != upstream || r->dropped
            || r->spec.middlewares[0] == '\0')
        {
            continue;
        }

        json_decref(r->middlewares);

        r->middlewares = ngx_http_swarm_middlewares_resolve(defs, svcs->file,
                                                            r->spec.middlewares,
                                                            err, sizeof(err));
        if (r->middlewares
            && ngx_http_swarm_services_calls(svcs, upstream, r->middlewares,
                                             err, sizeof(err))
               == 0)
        {
            continue;
        }

        json_decref(r->middlewares);
        r->middlewares = NULL;

        if (err[0] == '\0') {
            json_decref(defs);
            return -1;
        }

        ngx_http_swarm_text_report(report, upstream, r->service,
                                   "%s%s%snot routed: %s",
                                   r->spec.router[0] ? "router \"" : "",
                                   r->spec.router,
                                   r->spec.router[0] ? "\" " : "", err);
        r->dropped = 1;
    }

    json_decref(defs);

    return 0;
}


/*
 * The services whose tasks the middlewares of a router's list call,
 * written into their definitions ("tasks"): a forwardauth's address's
 * host, a service routed in the upstream by its name or, in a stack, by
 * its name in the stack ("authelia" for "mystack_authelia"), on the
 * port its route has; an errors' service, the swarm service whose
 * labels define that Traefik service, routed in the upstream on its
 * port.  -1 with why in err where there is none, or several.
 */

static int
ngx_http_swarm_services_calls(ngx_http_swarm_services_t *svcs,
    unsigned upstream, json_t *list, char *err, size_t errlen)
{
    size_t                    i, k, hlen, nlen, n;
    json_t                   *def;
    unsigned                  port;
    const char               *type, *host, *name, *found, *mw;
    ngx_http_swarm_lbref_t   *l;
    ngx_http_swarm_routed_t  *r;

    json_array_foreach(list, i, def) {
        type = json_string_value(json_object_get(def, "type"));
        mw = json_string_value(json_object_get(def, "name"));
        host = NULL;
        port = 0;

        if (type && strcmp(type, "forwardauth") == 0
            && !json_is_true(json_object_get(def, "ip")))
        {
            host = json_string_value(json_object_get(def, "host"));
            port = (unsigned) json_integer_value(json_object_get(def,
                                                                 "port"));

        } else if (type && strcmp(type, "errors") == 0) {
            name = json_string_value(json_object_get(def, "service"));
            l = NULL;
            n = 0;

            for (k = 0; name && k < svcs->nlbs; k++) {
                if (svcs->lbs[k].upstream == upstream
                    && strcmp(svcs->lbs[k].lb.name, name) == 0)
                {
                    l = &svcs->lbs[k];
                    n++;
                }
            }

            if (n != 1) {
                snprintf(err, errlen, "middleware \"%s\": service \"%s\" "
                         "is defined by %s", mw ? mw : "", name ? name : "",
                         n ? "several services' labels"
                           : "no service's labels");
                return -1;
            }

            host = l->service;
            port = l->lb.port;

        } else {
            continue;
        }

        hlen = host ? strlen(host) : 0;
        found = NULL;

        for (k = 0; k < svcs->nrouted; k++) {
            r = &svcs->routed[k];

            if (r->upstream != upstream || r->dropped
                || r->spec.port != port)
            {
                continue;
            }

            name = r->target[0] ? r->target : r->service;
            nlen = strlen(name);

            if (!(nlen == hlen && strcasecmp(name, host) == 0)
                && !(type[0] == 'f' && nlen > hlen + 1
                     && name[nlen - hlen - 1] == '_'
                     && strcasecmp(name + nlen - hlen, host) == 0))
            {
                continue;
            }

            if (found && strcmp(found, name) != 0) {
                snprintf(err, errlen, "middleware \"%s\": address host "
                         "\"%s\" is several services (\"%s\", \"%s\")",
                         mw ? mw : "", host, found, name);
                return -1;
            }

            found = name;
        }

        if (found == NULL) {
            if (type[0] == 'f') {
                snprintf(err, errlen, "middleware \"%s\": address host "
                         "\"%s\" is no service routed here on port %u, "
                         "nor an IP address", mw ? mw : "",
                         host ? host : "", port);

            } else {
                snprintf(err, errlen, "middleware \"%s\": service \"%s\" "
                         "is not routed here on port %u: its tasks are "
                         "called only where a router of it is", mw ? mw : "",
                         host, port);
            }

            return -1;
        }

        if (json_object_set_new(def, "tasks", json_string(found)) != 0) {
            err[0] = '\0';
            return -1;
        }
    }

    return 0;
}


static int
ngx_http_swarm_lbref_cmp(const void *a, const void *b)
{
    const ngx_http_swarm_lbref_t  *la = a, *lb = b;

    if (la->upstream != lb->upstream) {
        return la->upstream < lb->upstream ? -1 : 1;
    }

    return strcmp(la->lb.name, lb->lb.name);
}


/* by router name, then by the hash of its labels */

static int
ngx_http_swarm_routed_cmp_router(const void *a, const void *b)
{
    int                             rc;
    const ngx_http_swarm_routed_t  *ra, *rb;

    ra = *(ngx_http_swarm_routed_t * const *) a;
    rb = *(ngx_http_swarm_routed_t * const *) b;

    rc = strcmp(ra->spec.router, rb->spec.router);
    if (rc != 0) {
        return rc;
    }

    return (ra->spec.hash > rb->spec.hash) - (ra->spec.hash < rb->spec.hash);
}


/* the service entry of a route to another swarm service's tasks */

static int
ngx_http_swarm_services_target(ngx_http_swarm_services_t *svcs,
    ngx_http_swarm_routed_t *r, ngx_http_swarm_lbref_t *l)
{
    ngx_http_swarm_selector_t  sel;

    memset(&sel, 0, sizeof(ngx_http_swarm_selector_t));
    sel.upstream = r->upstream;

    return ngx_http_swarm_service_add(svcs, &sel, l->id, l->service,
                                      l->lb.network[0] ? l->lb.network : NULL,
                                      l->lb.port, NULL);
}


/*
 * The routes of an upstream in their order, by service and router name,
 * whatever the order Docker lists services in: each route's place, in
 * its entry and in its services' (a service's tasks are its peers of
 * that route).  Routes over NGX_HTTP_SWARM_ROUTES_MAX are reported and
 * skipped.  Returns how many routes the upstream has.
 */

size_t
ngx_http_swarm_services_routes(ngx_http_swarm_services_t *svcs,
    unsigned upstream, ngx_http_swarm_report_t *report)
{
    size_t                     i, n;
    ngx_http_swarm_routed_t  **order;
    ngx_http_swarm_service_t  *s;

    if (ngx_http_swarm_services_merge(svcs, upstream, report) != 0) {
        return 0;
    }

    order = malloc((svcs->nrouted ? svcs->nrouted : 1) * sizeof(void *));
    if (order == NULL) {
        return 0;
    }

    for (i = 0, n = 0; i < svcs->nrouted; i++) {
        if (svcs->routed[i].upstream != upstream) {
            continue;
        }

        if (svcs->routed[i].dropped) {
            svcs->routed[i].route = (unsigned) -1;
            continue;
        }

        order[n++] = &svcs->routed[i];
    }

    qsort(order, n, sizeof(void *), ngx_http_swarm_routed_cmp);

    for (i = 0; i < n; i++) {
        order[i]->route = (unsigned) i;
    }

    free(order);

    for (i = 0; i < svcs->n; i++) {
        s = &svcs->services[i];

        if (s->routed == 0 || s->upstream != upstream) {
            continue;
        }

        s->route = svcs->routed[s->routed - 1].route;

        if (svcs->routed[s->routed - 1].dropped) {
            s->skip = 1;
            continue;
        }

        if (s->route >= NGX_HTTP_SWARM_ROUTES_MAX) {
            ngx_http_swarm_text_report(report, upstream, s->name,
                                       "over %d routes in the upstream, not "
                                       "routed", NGX_HTTP_SWARM_ROUTES_MAX);
            s->skip = 1;
        }
    }

    return ngx_http_swarm_min(n, NGX_HTTP_SWARM_ROUTES_MAX);
}


static int
ngx_http_swarm_routed_cmp(const void *a, const void *b)
{
    int                             rc;
    const ngx_http_swarm_routed_t  *ra, *rb;

    ra = *(ngx_http_swarm_routed_t * const *) a;
    rb = *(ngx_http_swarm_routed_t * const *) b;

    rc = strcmp(ra->service, rb->service);
    if (rc != 0) {
        return rc;
    }

    rc = strcmp(ra->spec.router, rb->spec.router);
    if (rc != 0) {
        return rc;
    }

    /* one service twice in an upstream: by where the selectors put it */

    return (ra > rb) - (ra < rb);
}


/* a route's entrypoints and TLS, hashed */

static uint32_t
ngx_http_swarm_services_where(const ngx_http_swarm_route_spec_t *spec)
{
    return ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT ^ spec->tls,
                                    spec->entrypoints,
                                    strlen(spec->entrypoints));
}


/* "a,b" as a JSON array */

static json_t *
ngx_http_swarm_services_names(const char *list)
{
    json_t      *a;
    const char  *end;

    a = json_array();

    while (a) {
        end = strchr(list, ',');

        if (json_array_append_new(a, end ? json_stringn(list, end - list)
                                         : json_string(list))
            != 0)
        {
            json_decref(a);
            return NULL;
        }

        if (end == NULL) {
            break;
        }

        list = end + 1;
    }

    return a;
}


/*
 * A route's priority: in the native order, as given; in Traefik's, as
 * given where it is not 0, else its rule's length, as Traefik has it.
 */

static long
ngx_http_swarm_services_priority(const ngx_http_swarm_route_spec_t *spec,
    unsigned order)
{
    if (order == NGX_HTTP_SWARM_ORDER_TRAEFIK
        && !(spec->has_priority && spec->priority != 0))
    {
        return spec->length;
    }

    return spec->priority;
}


/*
 * An upstream's routes as text, in their order (ngx_http_swarm_services_
 * routes()), as the workers build their route tables from and
 * swarm_status shows them, with the labels acted on by nothing and what
 * kept services or routes out: a JSON object of the pieces jansson
 * writes, a few routes at a time, so that a large upstream is written
 * over several steps.  A route that another one takes the place of is
 * reported as it begins.
 */

struct ngx_http_swarm_routes_text_s {
    ngx_http_swarm_routed_t  **at;
    unsigned                   order;
    size_t                     n;
    size_t                     k;
    char                      *buf;
    size_t                     len;
    size_t                     cap;
};


ngx_http_swarm_routes_text_t *
ngx_http_swarm_services_routes_begin(ngx_http_swarm_services_t *svcs,
    unsigned upstream, unsigned order, ngx_http_swarm_report_t *report)
{
    size_t                         i, n, k;
    ngx_http_swarm_route_t        *routes;
    ngx_http_swarm_routed_t       *rt;
    ngx_http_swarm_routes_t       *table;
    ngx_http_swarm_report_t        ties;
    ngx_http_swarm_tie_t           tie;
    ngx_http_swarm_routes_text_t  *t;

    n = 0;

    for (i = 0; i < svcs->nrouted; i++) {
        if (svcs->routed[i].upstream == upstream
            && svcs->routed[i].route < NGX_HTTP_SWARM_ROUTES_MAX)
        {
            n++;
        }
    }

    t = calloc(1, sizeof(ngx_http_swarm_routes_text_t));
    routes = calloc(n ? n : 1, sizeof(ngx_http_swarm_route_t));

    if (t == NULL || routes == NULL) {
        goto failed;
    }

    t->n = n;
    t->order = order;
    t->at = calloc(n ? n : 1, sizeof(void *));

    if (t->at == NULL
        || ngx_http_swarm_services_text(t, "{\"routes\":[", 11) != 0)
    {
        goto failed;
    }

    for (i = 0; i < svcs->nrouted; i++) {
        rt = &svcs->routed[i];

        if (rt->upstream == upstream && rt->route < n) {
            t->at[rt->route] = rt;
        }
    }

    for (k = 0; k < n; k++) {
        routes[k].name = t->at[k]->service;
        routes[k].rule = &t->at[k]->spec.rule;
        routes[k].priority = ngx_http_swarm_services_priority(&t->at[k]->spec,
                                                              order);
        routes[k].has_priority = (order == NGX_HTTP_SWARM_ORDER_TRAEFIK
                                  || t->at[k]->spec.has_priority);
        routes[k].where = ngx_http_swarm_services_where(&t->at[k]->spec);
    }

    /* the ties, reported as the table is built */

    tie.report = report;
    tie.upstream = upstream;
    ties.handler = ngx_http_swarm_services_tie;
    ties.data = &tie;

    table = ngx_http_swarm_routes_build(routes, n, order, &ties);
    if (table == NULL) {
        goto failed;
    }

    ngx_http_swarm_routes_free(table);
    free(routes);

    return t;

failed:

    free(routes);
    ngx_http_swarm_services_routes_free(t);

    return NULL;
}


/* up to max routes more: 1 while more are left, 0 at the end, -1 */

int
ngx_http_swarm_services_routes_part(ngx_http_swarm_routes_text_t *t,
    size_t max)
{
    int                       rc;
    char                     *s;
    json_t                   *r;
    unsigned                  traefik, given;
    ngx_http_swarm_routed_t  *rt;

    for ( ; max && t->k < t->n; max--, t->k++) {
        rt = t->at[t->k];

        /*
         * in Traefik's order, the priority each route has, and whether
         * its labels gave it or it is the rule's length
         */

        traefik = (t->order == NGX_HTTP_SWARM_ORDER_TRAEFIK);
        given = rt->spec.has_priority
                && (!traefik || rt->spec.priority != 0);

        r = json_pack("{sssssososo}",
                      "service", rt->service,
                      "router", rt->spec.router,
                      "rule", ngx_http_swarm_matches_json(&rt->spec.rule),
                      "priority", (traefik || given)
                                  ? json_integer(
                                        ngx_http_swarm_services_priority(
                                            &rt->spec, t->order))
                                  : json_null(),
                      "sticky", ngx_http_swarm_sticky_json(&rt->spec.sticky));

        if (r && traefik
            && (json_object_set_new(r, "priority_from",
                                    json_string(given ? "label"
                                                      : "rule length"))
                != 0
                || json_object_set_new(r, "tls",
                                       json_boolean(rt->spec.tls))
                   != 0
                || (rt->spec.entrypoints[0]
                    && json_object_set_new(r, "entrypoints",
                           ngx_http_swarm_services_names(
                               rt->spec.entrypoints))
                       != 0)
                || (rt->target[0]
                    && json_object_set_new(r, "tasks_of",
                                           json_string(rt->target))
                       != 0)))
        {
            json_decref(r);
            r = NULL;
        }

        if (r && rt->middlewares
            && json_object_set(r, "middlewares", rt->middlewares) != 0)
        {
            json_decref(r);
            r = NULL;
        }

        s = r ? json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
        json_decref(r);

        if (s == NULL) {
            return -1;
        }

        rc = (t->k && ngx_http_swarm_services_text(t, ",", 1) != 0)
             || ngx_http_swarm_services_text(t, s, strlen(s)) != 0;
        free(s);

        if (rc) {
            return -1;
        }
    }

    return t->k < t->n ? NGX_HTTP_SWARM_MORE : 0;
}


/*
 * The text once every route is written, with the labels acted on by
 * nothing and "errors" (a JSON array, or NULL for none): malloc()ed, or
 * NULL if out of memory.  The builder is freed either way.
 */

char *
ngx_http_swarm_services_routes_end(ngx_http_swarm_routes_text_t *t,
    ngx_http_swarm_services_t *svcs, unsigned upstream, json_t *errors)
{
    char    *s, *text;
    size_t   i;
    json_t  *ign, *v, *tail;

    text = NULL;
    s = NULL;
    ign = json_array();

    for (i = 0; ign && svcs->ignored && i < json_array_size(svcs->ignored);
         i++)
    {
        v = json_array_get(svcs->ignored, i);

        if (json_integer_value(json_object_get(v, "upstream"))
            == (json_int_t) upstream
            && json_array_append_new(ign, json_pack("{sOsO}", "service",
                                                   json_object_get(v,
                                                       "service"),
                                                   "labels",
                                                   json_object_get(v,
                                                       "labels")))
               != 0)
        {
            goto done;
        }
    }

    tail = json_pack("{sssoso}",
                     "order", t->order == NGX_HTTP_SWARM_ORDER_TRAEFIK
                              ? "traefik" : "native",
                     "ignored", ign,
                     "errors", errors ? json_incref(errors) : json_array());
    ign = NULL;

    s = tail ? json_dumps(tail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(tail);

    /* "],", then the object's members without its braces */

    if (s == NULL || t->k < t->n
        || ngx_http_swarm_services_text(t, "],", 2) != 0
        || ngx_http_swarm_services_text(t, s + 1, strlen(s + 1)) != 0)
    {
        goto done;
    }

    text = t->buf;
    t->buf = NULL;

done:

    free(s);
    json_decref(ign);
    ngx_http_swarm_services_routes_free(t);

    return text;
}


void
ngx_http_swarm_services_routes_free(ngx_http_swarm_routes_text_t *t)
{
    if (t == NULL) {
        return;
    }

    free(t->at);
    free(t->buf);
    free(t);
}


/* len bytes more of the text, which stays terminated */

static int
ngx_http_swarm_services_text(ngx_http_swarm_routes_text_t *t, const char *s,
    size_t len)
{
    char    *p;
    size_t   cap;

    if (t->len + len + 1 > t->cap) {
        cap = t->cap ? t->cap : 4096;

        while (t->len + len + 1 > cap) {
            cap *= 2;
        }

        p = realloc(t->buf, cap);
        if (p == NULL) {
            return -1;
        }

        t->buf = p;
        t->cap = cap;
    }

    memcpy(t->buf + t->len, s, len);
    t->len += len;
    t->buf[t->len] = '\0';

    return 0;
}


/* the same in one go, as JSON: for the tests and the fuzzers */

json_t *
ngx_http_swarm_services_routes_json(ngx_http_swarm_services_t *svcs,
    unsigned upstream, unsigned order, ngx_http_swarm_report_t *report)
{
    int                            rc;
    char                          *text;
    json_t                        *root;
    json_error_t                   jerr;
    ngx_http_swarm_routes_text_t  *t;

    t = ngx_http_swarm_services_routes_begin(svcs, upstream, order, report);
    if (t == NULL) {
        return NULL;
    }

    do {
        rc = ngx_http_swarm_services_routes_part(t, 64);
    } while (rc == NGX_HTTP_SWARM_MORE);

    if (rc != 0) {
        ngx_http_swarm_services_routes_free(t);
        return NULL;
    }

    text = ngx_http_swarm_services_routes_end(t, svcs, upstream, NULL);
    if (text == NULL) {
        return NULL;
    }

    root = json_loads(text, 0, &jerr);
    free(text);

    return root;
}


static int
ngx_http_swarm_service_cmp(const void *a, const void *b)
{
    const ngx_http_swarm_service_t  *sa = a, *sb = b;

    return strcmp(sa->id, sb->id);
}


static int
ngx_http_swarm_service_id_cmp(const void *key, const void *elt)
{
    const ngx_http_swarm_service_t  *s = elt;

    return strcmp(key, s->id);
}


/* the run of entries for one service ID: it may serve several upstreams */

ngx_http_swarm_service_t *
ngx_http_swarm_services_find(ngx_http_swarm_services_t *svcs, const char *id,
    size_t *n)
{
    ngx_http_swarm_service_t  *s, *first, *last, *end;

    s = bsearch(id, svcs->services, svcs->n, sizeof(*s),
                ngx_http_swarm_service_id_cmp);
    if (s == NULL) {
        return NULL;
    }

    first = s;
    while (first > svcs->services && strcmp((first - 1)->id, id) == 0) {
        first--;
    }

    last = s;
    end = svcs->services + svcs->n;
    while (last + 1 < end && strcmp((last + 1)->id, id) == 0) {
        last++;
    }

    *n = last - first + 1;

    return first;
}


static void
ngx_http_swarm_services_tie(void *data, unsigned route, const char *service,
    const char *msg)
{
    ngx_http_swarm_tie_t  *tie = data;

    (void) route;

    ngx_http_swarm_text_report(tie->report, tie->upstream, service, "%s", msg);
}


/* a route's cookie as labels give it, null where it is not sticky */

static json_t *
ngx_http_swarm_sticky_json(const ngx_http_swarm_sticky_spec_t *sticky)
{
    if (!sticky->on) {
        return json_null();
    }

    return json_pack("{sososososososo}",
                     "name", sticky->name[0] ? json_string(sticky->name)
                                             : json_null(),
                     "secure", sticky->secure < 0
                               ? json_null() : json_boolean(sticky->secure),
                     "httponly", sticky->httponly < 0
                                 ? json_null()
                                 : json_boolean(sticky->httponly),
                     "samesite", sticky->samesite[0]
                                 ? json_string(sticky->samesite)
                                 : json_null(),
                     "max_age", sticky->max_age
                                == NGX_HTTP_SWARM_MAX_AGE_SESSION
                                ? json_string("session")
                                : sticky->max_age < 0
                                ? json_null() : json_integer(sticky->max_age),
                     "path", sticky->path[0] ? json_string(sticky->path)
                                             : json_null(),
                     "domain", sticky->domain[0]
                               ? json_string(sticky->domain) : json_null());
}
