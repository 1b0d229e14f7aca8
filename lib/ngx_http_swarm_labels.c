
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What a service's labels say of its routes: the native labels
 * (swarm.http.host, swarm.http.path, swarm.http.priority, swarm.sticky,
 * swarm.sticky.cookie, swarm.port, swarm.network), or Traefik's, v2/v3
 * (routers' rule, priority and service; services' port and sticky
 * cookie; traefik.swarm.network or traefik.docker.network; a router of
 * the default rule where none is given) and v1 (traefik.frontend.rule,
 * traefik.port, the backend's stickiness).  Traefik's keys are matched
 * in any case, as Traefik does; a router whose rule cannot be routed is
 * reported, never approximated, and so is a router that names
 * middlewares, or a v1 frontend with auth or a whitelist: never served
 * without them.  The traefik.* labels acted on by nothing here are
 * listed.  Pure: jansson and libc only.
 */


#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_KEY_LEN        256
#define NGX_HTTP_SWARM_TRAEFIK_MAX    16

/* the tls.domains[n] of a router taken */
#define NGX_HTTP_SWARM_DOMAINS        4

/* Traefik's default providers.swarm.defaultRule */
#define NGX_HTTP_SWARM_DEFAULT_RULE   "Host(`{{ normalize .Name }}`)"


/* a Traefik router or service, by its name in the labels */

typedef struct {
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    const char                *rule;
    const char                *priority;
    const char                *service;
    const char                *middlewares;
    const char                *entrypoints;

    /* ruleSyntax: "v2" the one that counts, as in Traefik */
    const char                *syntax;

    /* tls=true, or any tls.* label: a TLS router */
    unsigned                   tls;

    /* tls.certresolver, and tls.domains[n].main and .sans */
    const char                *certresolver;
    const char                *main[NGX_HTTP_SWARM_DOMAINS];
    const char                *sans[NGX_HTTP_SWARM_DOMAINS];
} ngx_http_swarm_router_t;


typedef struct {
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    const char                *port;
    ngx_http_swarm_sticky_spec_t    sticky;
} ngx_http_swarm_lbservice_t;


typedef struct {
    ngx_http_swarm_router_t    routers[NGX_HTTP_SWARM_TRAEFIK_MAX];
    size_t                     nrouters;
    ngx_http_swarm_lbservice_t services[NGX_HTTP_SWARM_TRAEFIK_MAX];
    size_t                     nservices;
    const char                *network;
    const char                *v1_rule;
    const char                *v1_priority;
    const char                *v1_entrypoints;
    const char                *v1_port;
    ngx_http_swarm_sticky_spec_t    v1_sticky;

    /* a v1 label that protects the frontend (auth, whitelist), as given */
    const char                *v1_guard;

    /* 1: traefik.docker.* labels, 2: traefik.swarm.* labels */
    unsigned                   network_labels;
    unsigned                   lbswarm;

    /*
     * the selector: its servers' entrypoints, its check of regular
     * expressions
     */
    const ngx_http_swarm_selector_t  *sel;

    /* the service, its labels, and the default rule made for it */
    const char                *service;
    json_t                    *labels;
    const char                *template;
    char                      *default_rule;

    /* the middlewares' labels, by name (ngx_http_swarm_middlewares.c) */
    json_t                    *raw;

    /*
     * the service's name with no ".", which names its v1 middlewares,
     * and those its v1 frontend runs
     */
    char                       v1_name[NGX_HTTP_SWARM_NAME_LEN];
    char                       v1_middlewares[NGX_HTTP_SWARM_ERR_LEN];
} ngx_http_swarm_traefik_t;


static int ngx_http_swarm_labels_add(ngx_http_swarm_labels_t *out,
    ngx_http_swarm_route_spec_t **spec);
static size_t ngx_http_swarm_labels_pairs(ngx_http_swarm_labels_t *out,
    size_t n);
static void ngx_http_swarm_sticky_unset(
    ngx_http_swarm_sticky_spec_t *sticky);
static int ngx_http_swarm_sticky_valid(ngx_http_swarm_sticky_spec_t *sticky,
    char *err, size_t errlen);
static int ngx_http_swarm_cookie_text(const char *s, int token);
static int ngx_http_swarm_labels_number(const char *s, long min, long max,
    long *n);
static int ngx_http_swarm_labels_true(const char *s);
static int ngx_http_swarm_labels_regexps(const ngx_http_swarm_selector_t *sel,
    const ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
static int ngx_http_swarm_labels_bool(const char *s);
static void ngx_http_swarm_labels_ignore(ngx_http_swarm_labels_t *out,
    const char *key);
static int ngx_http_swarm_labels_resolver(const char *resolvers,
    const char *name);
static int ngx_http_swarm_labels_domain(ngx_http_swarm_router_t *r,
    const char *attr, const char *value);
static int ngx_http_swarm_labels_domains(ngx_http_swarm_router_t *r,
    char *buf, size_t size);
static int ngx_http_swarm_traefik_key(ngx_http_swarm_traefik_t *tr,
    const char *key, const char *value);
static void *ngx_http_swarm_traefik_named(void *list, size_t *n,
    size_t size, const char *name, size_t len);
static int ngx_http_swarm_traefik_cookie(ngx_http_swarm_sticky_spec_t *sticky,
    const char *attr, const char *value);
static int ngx_http_swarm_traefik_route(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_router_t *router, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, unsigned upstream,
    const char *service);
static int ngx_http_swarm_traefik_default(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_report_t *report, unsigned upstream);
static const char *ngx_http_swarm_traefik_rule(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_router_t *router, ngx_http_swarm_report_t *report,
    unsigned upstream);
static int ngx_http_swarm_labels_list(const char *s, char *buf,
    size_t size);
static uint32_t ngx_http_swarm_router_hash(ngx_http_swarm_router_t *router,
    const char *rule);
static size_t ngx_http_swarm_labels_known(char *list, const char *known,
    ngx_http_swarm_report_t *report, unsigned upstream, const char *service,
    const char *router);
static int ngx_http_swarm_traefik_lbs(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_labels_t *out);
static int ngx_http_swarm_traefik_middlewares(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_labels_t *out);
static int ngx_http_swarm_labels_files(const char *list, char *buf,
    size_t size);


/*
 * The native labels: a route, or none (and why, to report) where no
 * swarm.http.host or swarm.http.path is given or a value is invalid.
 * NGX_HTTP_SWARM_FAILED only when out of memory.
 */

int
ngx_http_swarm_labels_native(json_t *labels,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, const char *service)
{
    long                          n;
    char                          err[NGX_HTTP_SWARM_ERR_LEN];
    const char                   *host, *path, *v;
    ngx_http_swarm_route_spec_t  *spec;

    memset(out, 0, sizeof(ngx_http_swarm_labels_t));

    host = ngx_http_swarm_text_json_string(labels, "swarm.http.host");
    path = ngx_http_swarm_text_json_string(labels, "swarm.http.path");

    if (ngx_http_swarm_labels_add(out, &spec) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (ngx_http_swarm_rule_native(host, path, &spec->rule, err,
                                   sizeof(err))
        != NGX_HTTP_SWARM_DONE)
    {
        goto unrouted;
    }

    /* where Traefik's order counts, the rule's length as Traefik's */

    spec->length = ngx_http_swarm_rule_native_text(&spec->rule, NULL, 0);

    v = ngx_http_swarm_text_json_string(labels, "swarm.http.priority");

    if (v) {
        if (ngx_http_swarm_labels_number(v, 0, 1000000, &n) != 0) {
            snprintf(err, sizeof(err), "invalid swarm.http.priority \"%s\"",
                     v);
            goto unrouted;
        }

        spec->priority = n;
        spec->has_priority = 1;
    }

    v = ngx_http_swarm_text_json_string(labels, NGX_HTTP_SWARM_PORT_LABEL);

    if (v) {
        if (ngx_http_swarm_labels_number(v, 1, 65535, &n) != 0) {
            snprintf(err, sizeof(err), "invalid " NGX_HTTP_SWARM_PORT_LABEL
                     " \"%s\"", v);
            goto unrouted;
        }

        spec->port = (unsigned) n;
    }

    v = ngx_http_swarm_text_json_string(labels, NGX_HTTP_SWARM_NETWORK_LABEL);

    if (v && ngx_http_swarm_text_copy(spec->network, sizeof(spec->network), v)
             != 0)
    {
        snprintf(err, sizeof(err), "network name too long");
        goto unrouted;
    }

    v = ngx_http_swarm_text_json_string(labels, "swarm.sticky");
    spec->sticky.on = (v && ngx_http_swarm_labels_true(v));

    v = ngx_http_swarm_text_json_string(labels, "swarm.sticky.cookie");

    if (v && ngx_http_swarm_text_copy(spec->sticky.name,
                                      sizeof(spec->sticky.name), v)
             != 0)
    {
        snprintf(err, sizeof(err), "swarm.sticky.cookie too long");
        goto unrouted;
    }

    if (ngx_http_swarm_sticky_valid(&spec->sticky, err, sizeof(err))
        != NGX_HTTP_SWARM_YES)
    {
        goto unrouted;
    }

    /*
     * swarm.http.tls.certresolver: the name of a swarm_acme; with none
     * of that name, the route could not be served as its labels ask
     */

    v = ngx_http_swarm_text_json_string(labels,
                                        "swarm.http.tls.certresolver");

    if (v && !ngx_http_swarm_labels_resolver(sel->resolvers, v)) {
        snprintf(err, sizeof(err), "no swarm_acme \"%.64s\" (its "
                 "swarm.http.tls.certresolver)", v);
        goto unrouted;
    }

    if (v && ngx_http_swarm_text_copy(spec->certresolver,
                                      sizeof(spec->certresolver), v)
             != 0)
    {
        snprintf(err, sizeof(err), "swarm.http.tls.certresolver too long");
        goto unrouted;
    }

    /* swarm.http.middlewares: swarm_middleware's, "@file" */

    v = ngx_http_swarm_text_json_string(labels, "swarm.http.middlewares");

    if (v && ngx_http_swarm_labels_files(v, spec->middlewares,
                                         sizeof(spec->middlewares))
             != 0)
    {
        snprintf(err, sizeof(err), "invalid swarm.http.middlewares");
        goto unrouted;
    }

    return NGX_HTTP_SWARM_DONE;

unrouted:

    ngx_http_swarm_text_report(report, sel->upstream, service,
                               "not routed: %s", err);
    ngx_http_swarm_labels_free(out);

    return NGX_HTTP_SWARM_DONE;
}


/*
 * Traefik's labels: a route for each router with a rule (v2/v3), or for
 * the frontend rule (v1); none where traefik.enable is false.  Routers
 * that cannot be routed are reported, and so are services with no rule
 * but some traefik.* label (one with none is no service of Traefik's).
 * NGX_HTTP_SWARM_FAILED only when out of memory.
 */

int
ngx_http_swarm_labels_traefik(json_t *labels,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, const char *service)
{
    int                        enable, rc;
    size_t                     i, k, len, seen, pairs;
    json_t                    *value;
    unsigned                   upstream;
    const char                *key, *enabled;
    ngx_http_swarm_router_t    v1;
    ngx_http_swarm_traefik_t  *tr;
    char                       lkey[NGX_HTTP_SWARM_KEY_LEN];

    memset(out, 0, sizeof(ngx_http_swarm_labels_t));

    tr = calloc(1, sizeof(ngx_http_swarm_traefik_t));
    if (tr == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    upstream = sel->upstream;

    tr->service = service;
    tr->labels = labels;

    /* short enough for "-v1-whitelist" after it */

    snprintf(tr->v1_name, 41, "%s", service);

    for (i = 0; tr->v1_name[i]; i++) {
        if (tr->v1_name[i] == '.') {
            tr->v1_name[i] = '-';
        }
    }
    tr->sel = sel;
    tr->template = sel->default_rule ? sel->default_rule
                                     : NGX_HTTP_SWARM_DEFAULT_RULE;

    ngx_http_swarm_sticky_unset(&tr->v1_sticky);

    for (i = 0; i < NGX_HTTP_SWARM_TRAEFIK_MAX; i++) {
        ngx_http_swarm_sticky_unset(&tr->services[i].sticky);
    }

    seen = 0;
    k = 0;
    enabled = NULL;

    json_object_foreach(labels, key, value) {

        len = strlen(key);

        if (len >= sizeof(lkey) || !json_is_string(value)) {
            continue;
        }

        for (i = 0; i <= len; i++) {
            lkey[i] = (key[i] >= 'A' && key[i] <= 'Z')
                      ? (char) (key[i] - 'A' + 'a') : key[i];
        }

        if (strncmp(lkey, "traefik.", 8) != 0) {
            continue;
        }

        seen++;

        if (strcmp(lkey, "traefik.enable") == 0) {
            enabled = json_string_value(value);
            continue;
        }

        if (strncmp(lkey, "traefik.http.middlewares.", 25) == 0) {
            if (tr->raw == NULL) {
                tr->raw = json_object();
            }

            rc = tr->raw ? ngx_http_swarm_middlewares_label(tr->raw, key + 25,
                               json_string_value(value))
                         : NGX_HTTP_SWARM_FAILED;

            if (rc == NGX_HTTP_SWARM_FAILED) {
                goto failed;
            }

            if (rc == NGX_HTTP_SWARM_NO) {
                ngx_http_swarm_labels_ignore(out, key);
            }

            continue;
        }

        /* v1's frontend labels that stand for middlewares */

        if (strncmp(lkey, "traefik.frontend.", 17) == 0) {
            if (tr->raw == NULL) {
                tr->raw = json_object();
            }

            rc = tr->raw ? ngx_http_swarm_middlewares_v1(tr->raw, tr->v1_name,
                               lkey, json_string_value(value))
                         : NGX_HTTP_SWARM_FAILED;

            if (rc == NGX_HTTP_SWARM_FAILED) {
                goto failed;
            }

            if (rc == NGX_HTTP_SWARM_YES) {
                continue;
            }
        }

        if (ngx_http_swarm_traefik_key(tr, lkey, json_string_value(value))
            == NGX_HTTP_SWARM_NO)
        {
            ngx_http_swarm_labels_ignore(out, key);
        }

        /*
         * v1's frontend protections not run here (forward auth, an
         * X-Forwarded-For whitelist): what the route would serve without
         */

        if (tr->v1_guard == NULL
            && (strncmp(lkey, "traefik.frontend.auth.", 22) == 0
                || strncmp(lkey, "traefik.frontend.whitelist", 26) == 0))
        {
            tr->v1_guard = key;
        }
    }

    /*
     * traefik.enable, in any case of key and value (Go's ParseBool, as
     * Traefik reads it): a service it is false of, or, unless exposed by
     * default, one it is not true of, is none of Traefik's, unsaid; a
     * value that is no boolean drops the service, as in Traefik
     */

    enable = enabled ? ngx_http_swarm_labels_bool(enabled) : -2;

    if (enable == 0 || (enable == -2 && !sel->exposed) || seen == 0) {
        goto none;
    }

    if (enable == -1) {
        ngx_http_swarm_text_report(report, upstream, service, "not routed: "
                                   "invalid traefik.enable \"%s\"", enabled);
        goto none;
    }

    if (tr->network_labels == 3) {
        ngx_http_swarm_text_report(report, upstream, service, "not routed: "
                                   "traefik.docker.* and traefik.swarm.* "
                                   "labels both given");
        goto none;
    }

    if (tr->raw
        && (ngx_http_swarm_middlewares_v1_names(tr->raw, tr->v1_name,
                                                tr->v1_middlewares,
                                                sizeof(tr->v1_middlewares))
            != NGX_HTTP_SWARM_DONE
            || ngx_http_swarm_traefik_middlewares(tr, out)
               != NGX_HTTP_SWARM_DONE))
    {
        goto failed;
    }

    if (tr->nrouters == 0 && tr->v1_rule == NULL) {
        ngx_http_swarm_traefik_default(tr, report, upstream);
    }

    /*
     * What the routes cost the route table, bounded: a service whose
     * labels multiply host names by paths would hold back every refresh
     * (and is not parsed further once over)
     */

    pairs = 0;

    for (i = 0; i < tr->nrouters; i++) {
        if (ngx_http_swarm_traefik_route(tr, &tr->routers[i], out, report,
                                         upstream, service)
            != NGX_HTTP_SWARM_DONE)
        {
            goto failed;
        }

        pairs += ngx_http_swarm_labels_pairs(out, out->n - k);
        k = out->n;

        if (pairs > NGX_HTTP_SWARM_SERVICE_PAIRS) {
            ngx_http_swarm_text_report(report, upstream, service, "not routed: "
                                       "its routers make over %d host and path "
                                       "pairs, too many",
                                       NGX_HTTP_SWARM_SERVICE_PAIRS);
            json_decref(tr->raw);
            free(tr->default_rule);
            free(tr);
            ngx_http_swarm_labels_free(out);
            return NGX_HTTP_SWARM_DONE;
        }
    }

    if (tr->nrouters == 0 && tr->v1_rule) {
        memset(&v1, 0, sizeof(ngx_http_swarm_router_t));
        v1.rule = tr->v1_rule;
        v1.priority = tr->v1_priority;
        v1.entrypoints = tr->v1_entrypoints;
        v1.middlewares = tr->v1_middlewares;

        if (ngx_http_swarm_traefik_route(tr, &v1, out, report, upstream,
                                         service)
            != NGX_HTTP_SWARM_DONE)
        {
            goto failed;
        }
    }

    if (ngx_http_swarm_traefik_lbs(tr, out) != NGX_HTTP_SWARM_DONE) {
        goto failed;
    }

    json_decref(tr->raw);
    free(tr->default_rule);
    free(tr);

    return NGX_HTTP_SWARM_DONE;

none:

    /* no service of Traefik's: nothing of its labels is listed either */

    out->ignored[0] = '\0';
    json_decref(tr->raw);
    free(tr);

    return NGX_HTTP_SWARM_DONE;

failed:

    json_decref(tr->raw);
    free(tr->default_rule);
    free(tr);
    ngx_http_swarm_labels_free(out);

    return NGX_HTTP_SWARM_FAILED;
}


/* one traefik.* key, in lower case: NGX_HTTP_SWARM_YES if acted on */

static int
ngx_http_swarm_traefik_key(ngx_http_swarm_traefik_t *tr, const char *key,
    const char *value)
{
    const char                  *name, *dot, *attr;
    ngx_http_swarm_router_t     *r;
    ngx_http_swarm_lbservice_t  *s;

    /*
     * the provider's labels: traefik.swarm.* (Traefik 3.2.2 on), or
     * traefik.docker.*, not both (pkg/provider/docker/shared_labels.go)
     */

    if (strncmp(key, "traefik.docker.", 15) == 0) {
        tr->network_labels |= 1;

    } else if (strncmp(key, "traefik.swarm.", 14) == 0) {
        tr->network_labels |= 2;
    }

    if (strcmp(key, "traefik.docker.network") == 0
        || strcmp(key, "traefik.swarm.network") == 0)
    {
        tr->network = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.docker.lbswarm") == 0
        || strcmp(key, "traefik.swarm.lbswarm") == 0)
    {
        tr->lbswarm = ngx_http_swarm_labels_true(value);
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.frontend.rule") == 0) {
        tr->v1_rule = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.frontend.priority") == 0) {
        tr->v1_priority = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.frontend.entrypoints") == 0) {
        tr->v1_entrypoints = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.port") == 0) {
        tr->v1_port = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.backend.loadbalancer.sticky") == 0
        || strcmp(key, "traefik.backend.loadbalancer.stickiness") == 0)
    {
        tr->v1_sticky.on |= ngx_http_swarm_labels_true(value);
        return NGX_HTTP_SWARM_YES;
    }

    if (strcmp(key, "traefik.backend.loadbalancer.stickiness.cookiename")
        == 0)
    {
        return ngx_http_swarm_text_copy(tr->v1_sticky.name,
                                        sizeof(tr->v1_sticky.name), value)
               == 0 ? NGX_HTTP_SWARM_YES : NGX_HTTP_SWARM_NO;
    }

    if (strncmp(key, "traefik.http.routers.", 21) == 0) {
        name = key + 21;
        dot = strchr(name, '.');

        if (dot == NULL) {
            return NGX_HTTP_SWARM_NO;
        }

        attr = dot + 1;

        if (strcmp(attr, "rule") != 0 && strcmp(attr, "priority") != 0
            && strcasecmp(attr, "ruleSyntax") != 0
            && strcmp(attr, "service") != 0
            && strcmp(attr, "middlewares") != 0
            && strcmp(attr, "entrypoints") != 0
            && strcmp(attr, "tls") != 0 && strncmp(attr, "tls.", 4) != 0)
        {
            return NGX_HTTP_SWARM_NO;
        }

        r = ngx_http_swarm_traefik_named(tr->routers, &tr->nrouters,
                                         sizeof(ngx_http_swarm_router_t),
                                         name, dot - name);
        if (r == NULL) {
            return NGX_HTTP_SWARM_NO;
        }

        if (strcasecmp(attr, "ruleSyntax") == 0) {
            r->syntax = value;

        } else if (attr[0] == 'r') {
            r->rule = value;

        } else if (attr[0] == 'p') {
            r->priority = value;

        } else if (attr[0] == 'm') {
            r->middlewares = value;

        } else if (attr[0] == 'e') {
            r->entrypoints = value;

        } else if (attr[0] == 't') {

            /*
             * tls=true, or a tls.* option: a TLS router, its certificate
             * the server's own, or one of swarm_acme for the names of
             * its rule or its tls.domains (other options are acted on by
             * nothing, and listed)
             */

            r->tls |= (attr[3] == '.' || ngx_http_swarm_labels_true(value));

            if (attr[3] == '\0') {
                return NGX_HTTP_SWARM_YES;
            }

            if (tr->sel->resolvers == NULL) {
                return NGX_HTTP_SWARM_NO;
            }

            if (strcasecmp(attr, "tls.certresolver") == 0) {
                r->certresolver = value;
                return NGX_HTTP_SWARM_YES;
            }

            return ngx_http_swarm_labels_domain(r, attr, value);

        } else {
            r->service = value;
        }

        return NGX_HTTP_SWARM_YES;
    }

    if (strncmp(key, "traefik.http.services.", 22) == 0) {
        name = key + 22;
        dot = strchr(name, '.');

        if (dot == NULL || strncmp(dot, ".loadbalancer.", 14) != 0) {
            return NGX_HTTP_SWARM_NO;
        }

        attr = dot + 14;

        s = ngx_http_swarm_traefik_named(tr->services, &tr->nservices,
                                         sizeof(ngx_http_swarm_lbservice_t),
                                         name, dot - name);
        if (s == NULL) {
            return NGX_HTTP_SWARM_NO;
        }

        if (strcmp(attr, "server.port") == 0) {
            s->port = value;
            return NGX_HTTP_SWARM_YES;
        }

        if (strncmp(attr, "sticky.cookie", 13) == 0) {
            return ngx_http_swarm_traefik_cookie(&s->sticky, attr + 13,
                                                 value);
        }
    }

    return NGX_HTTP_SWARM_NO;
}


/* a router or service by name, added where it is new; NULL if too many */

static void *
ngx_http_swarm_traefik_named(void *list, size_t *n, size_t size,
    const char *name, size_t len)
{
    char    *p;
    size_t   i;

    if (len == 0 || len >= NGX_HTTP_SWARM_NAME_LEN) {
        return NULL;
    }

    /* each element begins with its name */

    for (i = 0; i < *n; i++) {
        p = (char *) list + i * size;

        if (strncmp(p, name, len) == 0 && p[len] == '\0') {
            return p;
        }
    }

    if (*n == NGX_HTTP_SWARM_TRAEFIK_MAX) {
        return NULL;
    }

    p = (char *) list + (*n)++ * size;

    memcpy(p, name, len);
    p[len] = '\0';

    return p;
}


/* loadbalancer.sticky.cookie[.name|.secure|.httponly|...] of a service */

static int
ngx_http_swarm_traefik_cookie(ngx_http_swarm_sticky_spec_t *sticky,
    const char *attr, const char *value)
{
    int   rc;
    long  n;

    if (attr[0] == '\0') {
        sticky->on = ngx_http_swarm_labels_true(value);
        return NGX_HTTP_SWARM_YES;
    }

    rc = 0;

    if (strcmp(attr, ".name") == 0) {
        rc = ngx_http_swarm_text_copy(sticky->name, sizeof(sticky->name),
                                      value);

    } else if (strcmp(attr, ".secure") == 0) {
        sticky->secure = ngx_http_swarm_labels_true(value) ? 1 : 0;

    } else if (strcmp(attr, ".httponly") == 0) {
        sticky->httponly = ngx_http_swarm_labels_true(value) ? 1 : 0;

    } else if (strcmp(attr, ".samesite") == 0) {
        rc = ngx_http_swarm_text_copy(sticky->samesite,
                                      sizeof(sticky->samesite), value);

    } else if (strcmp(attr, ".maxage") == 0) {

        /*
         * as Traefik (and Go's http.Cookie) has it: 0 is a session
         * cookie, with no Max-Age; below 0, "Max-Age=0", a cookie the
         * browser drops at once
         */

        rc = ngx_http_swarm_labels_number(value, -0x7fffffffL, 0x7fffffff,
                                          &n);
        if (rc == 0) {
            sticky->max_age = (n == 0) ? NGX_HTTP_SWARM_MAX_AGE_SESSION
                                       : (n < 0 ? 0 : n);
        }

    } else if (strcmp(attr, ".path") == 0) {
        rc = ngx_http_swarm_text_copy(sticky->path, sizeof(sticky->path),
                                      value);

    } else if (strcmp(attr, ".domain") == 0) {
        rc = ngx_http_swarm_text_copy(sticky->domain, sizeof(sticky->domain),
                                      value);

    } else {
        rc = -1;
    }

    if (rc != 0) {
        return NGX_HTTP_SWARM_NO;
    }

    /* an attribute of the cookie makes it sticky, as in Traefik */

    sticky->on = 1;

    return NGX_HTTP_SWARM_YES;
}


/*
 * A router's route, with the port and cookie of its service (the one it
 * names, or the only one there is, or v1's); a router that cannot be
 * routed is reported and left out.
 */

static int
ngx_http_swarm_traefik_route(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_router_t *router, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, unsigned upstream,
    const char *service)
{
    int                           rc;
    long                          n;
    size_t                        i, len;
    unsigned                      elsewhere;
    const char                   *port, *at, *rule;
    ngx_http_swarm_sticky_spec_t      *sticky;
    ngx_http_swarm_lbservice_t   *lb;
    ngx_http_swarm_route_spec_t  *spec;
    char                          err[NGX_HTTP_SWARM_ERR_LEN];

    rule = ngx_http_swarm_traefik_rule(tr, router, report, upstream);
    if (rule == NULL) {
        return NGX_HTTP_SWARM_DONE;
    }

    if (router->name[0] == '\0' && tr->v1_guard) {
        ngx_http_swarm_text_report(report, upstream, service,
                                   "not routed: %s is not supported",
                                   tr->v1_guard);
        return NGX_HTTP_SWARM_DONE;
    }

    lb = NULL;
    elsewhere = 0;
    len = 0;

    if (router->service) {

        /* "name", or "name@docker" and "name@swarm": this provider's */

        at = strchr(router->service, '@');
        len = at ? (size_t) (at - router->service)
                 : strlen(router->service);

        if (at && strcmp(at, "@docker") != 0 && strcmp(at, "@swarm") != 0) {
            ngx_http_swarm_text_report(report, upstream, service,
                                       "router \"%s\" not routed: service "
                                       "\"%s\" is not one of the swarm's "
                                       "labels", router->name,
                                       router->service);
            return NGX_HTTP_SWARM_DONE;
        }

        for (i = 0; i < tr->nservices; i++) {
            if (strncmp(tr->services[i].name, router->service, len) == 0
                && tr->services[i].name[len] == '\0')
            {
                lb = &tr->services[i];
            }
        }

        /*
         * never this service's tasks for a service it does not define:
         * another swarm service's labels may (Traefik merges them all),
         * which ngx_http_swarm_services_routes() finds, or the router is
         * not routed
         */

        if (lb == NULL) {
            if (len == 0 || len >= NGX_HTTP_SWARM_NAME_LEN) {
                ngx_http_swarm_text_report(report, upstream, service,
                                           "router \"%s\" not routed: "
                                           "invalid service \"%s\"",
                                           router->name, router->service);
                return NGX_HTTP_SWARM_DONE;
            }

            elsewhere = 1;
        }

    } else if (tr->nservices == 1) {
        lb = &tr->services[0];

    } else if (tr->nservices > 1) {

        /* pkg/provider/configuration.go: never one of them at random */

        ngx_http_swarm_text_report(report, upstream, service,
                                   "router \"%s\" not routed: it names no "
                                   "service, and the labels define %zu",
                                   router->name, tr->nservices);
        return NGX_HTTP_SWARM_DONE;
    }

    port = lb ? lb->port : (elsewhere ? NULL : tr->v1_port);
    sticky = lb ? &lb->sticky : &tr->v1_sticky;

    if (ngx_http_swarm_labels_add(out, &spec) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    (void) ngx_http_swarm_text_copy(spec->router, sizeof(spec->router),
                                    router->name);

    spec->tls = router->tls;
    spec->hash = ngx_http_swarm_router_hash(router, rule);

    if (router->certresolver
        && !ngx_http_swarm_labels_resolver(tr->sel->resolvers,
                                           router->certresolver))
    {
        ngx_http_swarm_text_report(report, upstream, service,
                                   "router \"%s\" not routed: no "
                                   "swarm_acme \"%.64s\" (its "
                                   "tls.certresolver)", router->name,
                                   router->certresolver);
        out->n--;
        return NGX_HTTP_SWARM_DONE;
    }

    if (router->certresolver
        && (ngx_http_swarm_text_copy(spec->certresolver,
                                     sizeof(spec->certresolver),
                                     router->certresolver)
            != 0
            || ngx_http_swarm_labels_domains(router, spec->domains,
                                             sizeof(spec->domains))
               != 0))
    {
        ngx_http_swarm_text_report(report, upstream, service,
                                   "router \"%s\" not routed: its "
                                   "certresolver or tls.domains are too "
                                   "long", router->name);
        out->n--;
        return NGX_HTTP_SWARM_DONE;
    }

    /* resolved once every service's middlewares are known */

    if (router->middlewares
        && ngx_http_swarm_text_copy(spec->middlewares,
                                    sizeof(spec->middlewares),
                                    router->middlewares)
           != 0)
    {
        ngx_http_swarm_text_report(report, upstream, service,
                                   "router \"%s\" not routed: its list of "
                                   "middlewares is too long", router->name);
        out->n--;
        return NGX_HTTP_SWARM_DONE;
    }

    if (elsewhere) {
        spec->elsewhere = 1;
        memcpy(spec->service, router->service, len);
        spec->service[len] = '\0';
        sticky = &spec->sticky;
    }

    /* pkg/muxer/http/parser.go: v2 where ruleSyntax is "v2", else v3 */

    if (router->name[0] == '\0') {
        rc = ngx_http_swarm_rule_parse_v1(rule, strlen(rule), &spec->rule,
                                          err, sizeof(err));

    } else if (router->syntax && strcmp(router->syntax, "v2") == 0) {
        rc = ngx_http_swarm_rule_parse_v2(rule, strlen(rule), &spec->rule,
                                          err, sizeof(err));

    } else {
        rc = ngx_http_swarm_rule_parse(rule, strlen(rule), &spec->rule, err,
                                       sizeof(err));
    }

    if (rc == NGX_HTTP_SWARM_DONE && tr->sel->regex) {
        rc = ngx_http_swarm_labels_regexps(tr->sel, &spec->rule, err,
                                           sizeof(err));
    }

    /*
     * Traefik's priority: any integer but its own top 1000, and where it
     * is 0 (or, in v1, not above 0) the length of the rule in bytes
     */

    spec->length = (long) strlen(rule);

    if (rc == NGX_HTTP_SWARM_DONE && router->priority) {
        if (ngx_http_swarm_labels_number(router->priority, LONG_MIN,
                                         NGX_HTTP_SWARM_PRIORITY_MAX, &n)
            == 0)
        {
            spec->priority = n;
            spec->has_priority = router->name[0] ? (n != 0) : (n > 0);

        } else {
            snprintf(err, sizeof(err), "invalid priority \"%s\"",
                     router->priority);
            rc = NGX_HTTP_SWARM_FAILED;
        }
    }

    if (rc == NGX_HTTP_SWARM_DONE && port) {
        if (ngx_http_swarm_labels_number(port, 1, 65535, &n) == 0) {
            spec->port = (unsigned) n;

        } else {
            snprintf(err, sizeof(err), "invalid port \"%s\"", port);
            rc = NGX_HTTP_SWARM_FAILED;
        }
    }

    if (rc == NGX_HTTP_SWARM_DONE && tr->network
        && ngx_http_swarm_text_copy(spec->network, sizeof(spec->network),
                                    tr->network)
           != 0)
    {
        snprintf(err, sizeof(err), "network name too long");
        rc = NGX_HTTP_SWARM_FAILED;
    }

    if (rc == NGX_HTTP_SWARM_DONE && router->entrypoints
        && ngx_http_swarm_labels_list(router->entrypoints, spec->entrypoints,
                                      sizeof(spec->entrypoints))
           != 0)
    {
        snprintf(err, sizeof(err), "invalid entrypoints \"%.64s\"",
                 router->entrypoints);
        rc = NGX_HTTP_SWARM_FAILED;
    }

    if (rc == NGX_HTTP_SWARM_DONE && spec->entrypoints[0]
        && tr->sel->entrypoints
        && ngx_http_swarm_labels_known(spec->entrypoints,
                                       tr->sel->entrypoints, report,
                                       upstream, service, router->name)
           == 0)
    {
        snprintf(err, sizeof(err), "none of its entrypoints \"%.64s\" is "
                 "a server's swarm_entrypoint", router->entrypoints);
        rc = NGX_HTTP_SWARM_FAILED;
    }

    /*
     * lbswarm: one peer, the service's virtual IP, so no cookie (Swarm
     * balances behind it)
     */

    spec->lbswarm = tr->lbswarm;

    if (rc == NGX_HTTP_SWARM_DONE) {
        spec->sticky = *sticky;
        spec->sticky.on &= !tr->lbswarm;

        if (ngx_http_swarm_sticky_valid(&spec->sticky, err, sizeof(err))
            != NGX_HTTP_SWARM_YES)
        {
            rc = NGX_HTTP_SWARM_FAILED;
        }
    }

    if (rc != NGX_HTTP_SWARM_DONE) {
        ngx_http_swarm_text_report(report, upstream, service,
                                   "%s%s%snot routed: %s",
                                   router->name[0] ? "router \"" : "",
                                   router->name,
                                   router->name[0] ? "\" " : "", err);

        ngx_http_swarm_rule_free(&spec->rule);
        out->n--;

        return NGX_HTTP_SWARM_DONE;
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A service with no router and no v1 rule: as Traefik's provider does
 * (pkg/provider/configuration.go, BuildRouterConfiguration), a router of
 * the service's name, normalized, where its labels define at most one
 * service; none where they define several.
 */

static int
ngx_http_swarm_traefik_default(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_report_t *report, unsigned upstream)
{
    ngx_http_swarm_router_t  *r;

    if (tr->nservices > 1) {
        ngx_http_swarm_text_report(report, upstream, tr->service,
                                   "not routed: no router, and the labels "
                                   "define %zu services, so no default "
                                   "router", tr->nservices);
        return NGX_HTTP_SWARM_NO;
    }

    r = &tr->routers[tr->nrouters++];

    memset(r, 0, sizeof(ngx_http_swarm_router_t));
    ngx_http_swarm_template_normalize(tr->service, r->name, sizeof(r->name));

    if (r->name[0] == '\0') {
        tr->nrouters--;
        return NGX_HTTP_SWARM_NO;
    }

    return NGX_HTTP_SWARM_YES;
}


/*
 * A router's rule: its label's, else the default rule made for the
 * service (once); NULL, reported, where that is empty, as Traefik's
 * "Undefined rule" has it.
 */

static const char *
ngx_http_swarm_traefik_rule(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_router_t *router, ngx_http_swarm_report_t *report,
    unsigned upstream)
{
    long  len;
    char  err[NGX_HTTP_SWARM_ERR_LEN];

    if (router->rule) {
        return router->rule;
    }

    if (tr->default_rule == NULL) {
        len = ngx_http_swarm_template_make(tr->template, tr->service,
                                             tr->labels, NULL, 0, err,
                                             sizeof(err));
        if (len >= 0) {
            tr->default_rule = malloc(len + 1);
        }

        if (tr->default_rule == NULL
            || ngx_http_swarm_template_make(tr->template, tr->service,
                                              tr->labels, tr->default_rule,
                                              len + 1, err, sizeof(err))
               != len)
        {
            ngx_http_swarm_text_report(report, upstream, tr->service,
                                       "router \"%s\" not routed: no default "
                                       "rule", router->name);
            return NULL;
        }
    }

    if (tr->default_rule[0] == '\0') {
        ngx_http_swarm_text_report(report, upstream, tr->service,
                                   "router \"%s\" not routed: it has no rule, "
                                   "and the default rule is empty",
                                   router->name);
        return NULL;
    }

    return tr->default_rule;
}


/*
 * A list of names, as Traefik's labels give it ("a, b"): copied with no
 * spaces ("a,b"); -1 for an empty name, or a list too long
 */

static int
ngx_http_swarm_labels_list(const char *s, char *buf, size_t size)
{
    size_t       len, n;
    const char  *end;

    len = 0;

    for ( ;; ) {
        while (*s == ' ') {
            s++;
        }

        for (end = s; *end && *end != ','; end++) {
            /* void */
        }

        for (n = end - s; n && s[n - 1] == ' '; n--) {
            /* void */
        }

        if (n == 0 || len + n + 2 > size) {
            return -1;
        }

        if (len) {
            buf[len++] = ',';
        }

        memcpy(buf + len, s, n);
        len += n;

        if (*end == '\0') {
            break;
        }

        s = end + 1;
    }

    buf[len] = '\0';

    return 0;
}


/*
 * A router's entrypoints ("a,b") that are among the servers' ("a,b"),
 * kept, each other one said and dropped, as Traefik drops a router from
 * an entrypoint it does not have: how many are kept
 */

static size_t
ngx_http_swarm_labels_known(char *list, const char *known,
    ngx_http_swarm_report_t *report, unsigned upstream, const char *service,
    const char *router)
{
    char        *name, *end, *out;
    size_t       len, n, kept;
    const char  *k, *kend;

    kept = 0;
    out = list;

    for (name = list; *name; name = end + (*end != '\0')) {
        end = strchr(name, ',');
        if (end == NULL) {
            end = name + strlen(name);
        }

        len = end - name;

        for (k = known; *k; k = kend + (*kend != '\0')) {
            kend = strchr(k, ',');
            if (kend == NULL) {
                kend = k + strlen(k);
            }

            if ((size_t) (kend - k) == len && memcmp(k, name, len) == 0) {
                break;
            }
        }

        if (*k == '\0') {
            ngx_http_swarm_text_report(report, upstream, service,
                                       "router \"%s\": entrypoint "
                                       "\"%.*s\" is no server's "
                                       "swarm_entrypoint", router,
                                       (int) len, name);
            continue;
        }

        n = (out > list);

        if (n) {
            *out++ = ',';
        }

        memmove(out, name, len);
        out += len;
        kept++;
    }

    *out = '\0';

    return kept;
}


/*
 * A router's labels as given (its rule as made, where default), hashed:
 * two services that define one router name differently are told apart
 * by it (FNV-1a)
 */

static uint32_t
ngx_http_swarm_router_hash(ngx_http_swarm_router_t *router,
    const char *rule)
{
    size_t       k;
    uint32_t     h;
    const char  *parts[6];

    parts[0] = rule;
    parts[1] = router->priority;
    parts[2] = router->service;
    parts[3] = router->middlewares;
    parts[4] = router->entrypoints;
    parts[5] = router->tls ? "tls" : NULL;

    h = NGX_HTTP_SWARM_HASH_INIT;

    for (k = 0; k < 6; k++) {
        if (parts[k]) {
            h = ngx_http_swarm_text_hash(h, parts[k], strlen(parts[k]));
        }

        h = ngx_http_swarm_text_hash(h, "\xff", 1);
    }

    return h;
}


/*
 * The services the labels define, each with its port (none where it is
 * invalid) and cookie, for routers of other services to name
 */

static int
ngx_http_swarm_traefik_lbs(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_labels_t *out)
{
    long                         n;
    size_t                       i;
    ngx_http_swarm_lb_t         *lb;
    ngx_http_swarm_lbservice_t  *s;

    if (tr->nservices == 0) {
        return NGX_HTTP_SWARM_DONE;
    }

    out->lbs = calloc(tr->nservices, sizeof(ngx_http_swarm_lb_t));
    if (out->lbs == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    for (i = 0; i < tr->nservices; i++) {
        s = &tr->services[i];
        lb = &out->lbs[out->nlbs];

        if (s->port && ngx_http_swarm_labels_number(s->port, 1, 65535, &n)
                       != 0)
        {
            continue;
        }

        memcpy(lb->name, s->name, sizeof(lb->name));
        lb->port = s->port ? (unsigned) n : 0;
        lb->sticky = s->sticky;

        if (tr->network) {
            (void) ngx_http_swarm_text_copy(lb->network, sizeof(lb->network),
                                            tr->network);
        }

        out->nlbs++;
    }

    return NGX_HTTP_SWARM_DONE;
}


/* the host and path pairs of the last n routes: host names, or one */

static size_t
ngx_http_swarm_labels_pairs(ngx_http_swarm_labels_t *out, size_t n)
{
    size_t                   i, k, pairs;
    ngx_http_swarm_match_t  *m;

    pairs = 0;

    for (i = out->n - n; i < out->n; i++) {
        for (k = 0; k < out->routes[i].rule.n; k++) {
            m = &out->routes[i].rule.matches[k];
            pairs += m->nhosts ? m->nhosts : 1;
        }
    }

    return pairs;
}


static int
ngx_http_swarm_labels_add(ngx_http_swarm_labels_t *out,
    ngx_http_swarm_route_spec_t **spec)
{
    ngx_http_swarm_route_spec_t  *p;

    p = realloc(out->routes,
                (out->n + 1) * sizeof(ngx_http_swarm_route_spec_t));
    if (p == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    out->routes = p;

    *spec = &p[out->n++];
    memset(*spec, 0, sizeof(ngx_http_swarm_route_spec_t));

    ngx_http_swarm_sticky_unset(&(*spec)->sticky);

    return NGX_HTTP_SWARM_DONE;
}


/* a cookie with nothing given */

static void
ngx_http_swarm_sticky_unset(ngx_http_swarm_sticky_spec_t *sticky)
{
    memset(sticky, 0, sizeof(ngx_http_swarm_sticky_spec_t));

    sticky->secure = -1;
    sticky->httponly = -1;
    sticky->max_age = -1;
}


/*
 * A cookie that a Set-Cookie header can carry: a name of token bytes,
 * a path and a domain with no separator, SameSite Strict, Lax or None
 * (in any case, put as written here).  NGX_HTTP_SWARM_NO with why.
 */

static int
ngx_http_swarm_sticky_valid(ngx_http_swarm_sticky_spec_t *sticky, char *err,
    size_t errlen)
{
    size_t       i, j;
    const char  *what, *ss;

    static const char  *samesite[] = { "Strict", "Lax", "None" };

    what = NULL;

    if (!ngx_http_swarm_cookie_text(sticky->name, 1)) {
        what = "name";

    } else if (!ngx_http_swarm_cookie_text(sticky->path, 0)) {
        what = "path";

    } else if (!ngx_http_swarm_cookie_text(sticky->domain, 0)) {
        what = "domain";
    }

    if (what) {
        snprintf(err, errlen, "invalid cookie %s", what);
        return NGX_HTTP_SWARM_NO;
    }

    if (sticky->samesite[0] == '\0') {
        return NGX_HTTP_SWARM_YES;
    }

    for (i = 0; i < 3; i++) {
        ss = samesite[i];

        for (j = 0; ss[j] && (sticky->samesite[j] | 0x20) == (ss[j] | 0x20);
             j++)
        {
            /* void */
        }

        if (ss[j] == '\0' && sticky->samesite[j] == '\0') {
            memcpy(sticky->samesite, ss, j + 1);
            return NGX_HTTP_SWARM_YES;
        }
    }

    snprintf(err, errlen, "invalid cookie samesite \"%s\"",
             sticky->samesite);

    return NGX_HTTP_SWARM_NO;
}


static int
ngx_http_swarm_cookie_text(const char *s, int token)
{
    unsigned char  c;

    for ( /* void */ ; *s; s++) {
        c = (unsigned char) *s;

        if (c <= ' ' || c >= 0x7f || c == ';' || c == ',' || c == '"'
            || c == '\\')
        {
            return 0;
        }

        if (token && strchr("()<>@:/[]?={}", c)) {
            return 0;
        }
    }

    return 1;
}


/*
 * a decimal number from min to max (a sign only where min is below 0):
 * 0, or -1 if it is not one
 */

static int
ngx_http_swarm_labels_number(const char *s, long min, long max, long *n)
{
    long   v;
    char  *end;

    if ((*s < '0' || *s > '9')
        && !((*s == '-' || *s == '+') && min < 0
             && s[1] >= '0' && s[1] <= '9'))
    {
        return -1;
    }

    errno = 0;
    v = strtol(s, &end, 10);

    if (*end != '\0' || errno == ERANGE || v < min || v > max) {
        return -1;
    }

    *n = v;

    return 0;
}


/*
 * the regular expressions of a rule, compiled as the workers will
 * compile them (PCRE may refuse what RE2 takes: a pattern over its
 * limits, say)
 */

static int
ngx_http_swarm_labels_regexps(const ngx_http_swarm_selector_t *sel,
    const ngx_http_swarm_rule_t *rule, char *err, size_t errlen)
{
    size_t                        i;
    const ngx_http_swarm_cond_t  *c;
    char                          why[NGX_HTTP_SWARM_ERR_LEN];

    for (i = 0; i < rule->nconds; i++) {
        c = &rule->conds[i];

        if ((c->type == NGX_HTTP_SWARM_COND_HOST_REGEXP
             || c->type == NGX_HTTP_SWARM_COND_PATH_REGEXP
             || c->type == NGX_HTTP_SWARM_COND_HEADER_REGEXP
             || c->type == NGX_HTTP_SWARM_COND_QUERY_REGEXP)
            && sel->regex(rule->values[c->value], c->caseless, why,
                          sizeof(why))
               != NGX_HTTP_SWARM_DONE)
        {
            snprintf(err, errlen, "%s: %.200s",
                     ngx_http_swarm_cond_name(c->type), why);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


static int
ngx_http_swarm_labels_true(const char *s)
{
    return ngx_http_swarm_labels_bool(s) == 1;
}


/* Go's strconv.ParseBool, as Traefik reads its booleans: 1, 0, or -1 */

static int
ngx_http_swarm_labels_bool(const char *s)
{
    size_t        i;

    static const char  *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char  *no[] = { "0", "f", "F", "FALSE", "false", "False" };

    for (i = 0; i < 6; i++) {
        if (strcmp(s, yes[i]) == 0) {
            return 1;
        }

        if (strcmp(s, no[i]) == 0) {
            return 0;
        }
    }

    return -1;
}


/* a label acted on by nothing here, listed as far as the list holds */

/* whether a name is one of swarm_acme's, "a,b" */

static int
ngx_http_swarm_labels_resolver(const char *resolvers, const char *name)
{
    size_t       len;
    const char  *p, *end;

    len = strlen(name);

    for (p = resolvers; p && *p; p = *end ? end + 1 : end) {
        end = p + strcspn(p, ",");

        if ((size_t) (end - p) == len && strncmp(p, name, len) == 0) {
            return 1;
        }
    }

    return 0;
}


/* tls.domains[n].main and tls.domains[n].sans, n below 4 */

static int
ngx_http_swarm_labels_domain(ngx_http_swarm_router_t *r, const char *attr,
    const char *value)
{
    unsigned  n;

    if (strncasecmp(attr, "tls.domains[", 12) != 0
        || attr[12] < '0' || attr[12] >= '0' + NGX_HTTP_SWARM_DOMAINS
        || attr[13] != ']')
    {
        return NGX_HTTP_SWARM_NO;
    }

    n = attr[12] - '0';

    if (strcasecmp(attr + 14, ".main") == 0) {
        r->main[n] = value;
        return NGX_HTTP_SWARM_YES;
    }

    if (strcasecmp(attr + 14, ".sans") == 0) {
        r->sans[n] = value;
        return NGX_HTTP_SWARM_YES;
    }

    return NGX_HTTP_SWARM_NO;
}


/*
 * The names of the router's tls.domains, in order, joined by ","
 * (spaces left out): one certificate for them all.  0, or -1 if they
 * do not fit.
 */

static int
ngx_http_swarm_labels_domains(ngx_http_swarm_router_t *r, char *buf,
    size_t size)
{
    size_t       n, len, i;
    const char  *v[2 * NGX_HTTP_SWARM_DOMAINS], *p;

    for (n = 0; n < NGX_HTTP_SWARM_DOMAINS; n++) {
        v[2 * n] = r->main[n];
        v[2 * n + 1] = r->sans[n];
    }

    len = 0;
    buf[0] = '\0';

    for (n = 0; n < 2 * NGX_HTTP_SWARM_DOMAINS; n++) {
        for (p = v[n]; p && *p; p++) {
            if (*p == ' ') {
                continue;
            }

            if (*p == ',' && (len == 0 || buf[len - 1] == ',')) {
                continue;
            }

            if (len + 2 >= size) {
                return -1;
            }

            buf[len++] = *p;
        }

        if (v[n] && len && buf[len - 1] != ',') {
            if (len + 2 >= size) {
                return -1;
            }

            buf[len++] = ',';
        }
    }

    i = (len && buf[len - 1] == ',') ? len - 1 : len;
    buf[i] = '\0';

    return 0;
}


static void
ngx_http_swarm_labels_ignore(ngx_http_swarm_labels_t *out, const char *key)
{
    size_t  len, klen;

    len = strlen(out->ignored);
    klen = strlen(key);

    if (len + klen + 3 >= sizeof(out->ignored)) {
        return;
    }

    if (len) {
        memcpy(out->ignored + len, ", ", 2);
        len += 2;
    }

    memcpy(out->ignored + len, key, klen + 1);
}


void
ngx_http_swarm_labels_free(ngx_http_swarm_labels_t *out)
{
    size_t  i;

    for (i = 0; i < out->n; i++) {
        ngx_http_swarm_rule_free(&out->routes[i].rule);
    }

    free(out->routes);
    free(out->lbs);
    json_decref(out->middlewares);

    out->middlewares = NULL;
    out->routes = NULL;
    out->n = 0;
    out->lbs = NULL;
    out->nlbs = 0;
}


/*
 * The middlewares the labels define, each made: one that cannot be is
 * kept as {"error": why}, which a router that names it reports
 */

static int
ngx_http_swarm_traefik_middlewares(ngx_http_swarm_traefik_t *tr,
    ngx_http_swarm_labels_t *out)
{
    json_t      *raw, *def;
    const char  *name;
    char         err[NGX_HTTP_SWARM_ERR_LEN];

    out->middlewares = json_object();
    if (out->middlewares == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_object_foreach(tr->raw, name, raw) {
        def = ngx_http_swarm_middlewares_make(raw, tr->sel, err, sizeof(err));

        if (def == NULL) {
            if (err[0] == '\0') {
                return NGX_HTTP_SWARM_FAILED;
            }

            def = json_pack("{ss}", "error", err);
        }

        if (def == NULL
            || json_object_set_new(out->middlewares, name, def) != 0)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* the native labels' list of names, each "@file" unless it says */

static int
ngx_http_swarm_labels_files(const char *list, char *buf, size_t size)
{
    size_t       len, n;
    const char  *p, *end;

    len = 0;

    for (p = list; *p; p = *end ? end + 1 : end) {
        end = strchr(p, ',');

        if (end == NULL) {
            end = p + strlen(p);
        }

        while (p < end && *p == ' ') {
            p++;
        }

        n = end - p;

        while (n && p[n - 1] == ' ') {
            n--;
        }

        if (n == 0) {
            continue;
        }

        if (len + n + 7 >= size) {
            return -1;
        }

        if (len) {
            buf[len++] = ',';
        }

        memcpy(buf + len, p, n);
        len += n;

        if (memchr(p, '@', n) == NULL) {
            memcpy(buf + len, "@file", 5);
            len += 5;
        }
    }

    buf[len] = '\0';

    return 0;
}
