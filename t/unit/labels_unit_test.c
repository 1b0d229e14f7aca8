
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_labels.c: what a service's
 * labels, native or Traefik's, say of its routes.
 */


#include "unit_test.h"


/*
 * Traefik's labels, as "swarm_routes traefik exposed_by_default" reads
 * them, with the swarm_acme of these names
 */

static const char  *resolvers = "le";

static int
traefik(json_t *labels, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, unsigned upstream, const char *service,
    const char *default_rule)
{
    ngx_http_swarm_selector_t  sel;

    memset(&sel, 0, sizeof(sel));
    sel.upstream = upstream;
    sel.routes = NGX_HTTP_SWARM_ROUTES_TRAEFIK;
    sel.default_rule = default_rule;
    sel.exposed = 1;
    sel.resolvers = resolvers;

    return ngx_http_swarm_labels_traefik(labels, &sel, out, report, service);
}


static int
native(json_t *labels, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, unsigned upstream, const char *service)
{
    ngx_http_swarm_selector_t  sel;

    memset(&sel, 0, sizeof(sel));
    sel.upstream = upstream;
    sel.routes = NGX_HTTP_SWARM_ROUTES_NATIVE;
    sel.resolvers = resolvers;

    return ngx_http_swarm_labels_native(labels, &sel, out, report, service);
}


static void
test_labels_native(void **state)
{
    json_t                   *labels;
    report_log_t              log;
    json_error_t              jerr;
    ngx_http_swarm_labels_t   out;
    ngx_http_swarm_report_t   report;

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    labels = json_loads("{\"swarm.enable\": \"true\", "
                        "\"swarm.http.host\": \"a.example.com\", "
                        "\"swarm.http.path\": \"/api\", "
                        "\"swarm.http.priority\": \"7\", "
                        "\"swarm.port\": \"8080\", "
                        "\"swarm.network\": \"front\", "
                        "\"swarm.sticky\": \"true\", "
                        "\"swarm.sticky.cookie\": \"sess\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].router, "");
    assert_int_equal(out.routes[0].rule.n, 1);
    assert_string_equal(out.routes[0].rule.hosts[0], "a.example.com");
    assert_string_equal(out.routes[0].rule.matches[0].path, "/api");
    assert_int_equal(out.routes[0].priority, 7);
    assert_int_equal(out.routes[0].has_priority, 1);
    assert_int_equal(out.routes[0].port, 8080);
    assert_string_equal(out.routes[0].network, "front");
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.routes[0].sticky.name, "sess");
    assert_int_equal(out.routes[0].sticky.secure, -1);
    ngx_http_swarm_labels_free(&out);

    /* round robin without swarm.sticky; not routed, and said why */

    json_object_del(labels, "swarm.sticky");
    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.routes[0].sticky.on, 0);
    ngx_http_swarm_labels_free(&out);

    json_object_set_new(labels, "swarm.port", json_string("http"));
    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 2);
    assert_string_equal(log.service, "web");
    assert_string_equal(log.msg, "not routed: invalid swarm.port \"http\"");
    ngx_http_swarm_labels_free(&out);

    /* a swarm_acme nginx.conf has; one it has not: not routed, said */

    json_object_set_new(labels, "swarm.port", json_string("8080"));
    json_object_set_new(labels, "swarm.http.tls.certresolver",
                        json_string("le"));
    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.routes[0].certresolver, "le");
    ngx_http_swarm_labels_free(&out);

    json_object_set_new(labels, "swarm.http.tls.certresolver",
                        json_string("nope"));
    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 2);
    assert_string_equal(log.msg, "not routed: no swarm_acme \"nope\" (its "
                                 "swarm.http.tls.certresolver)");
    ngx_http_swarm_labels_free(&out);
    json_object_del(labels, "swarm.http.tls.certresolver");

    json_object_del(labels, "swarm.http.host");
    json_object_del(labels, "swarm.http.path");
    assert_int_equal(native(labels, &out, &report, 2, "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_string_equal(log.msg, "not routed: no swarm.http.host or "
                                 "swarm.http.path label");
    ngx_http_swarm_labels_free(&out);

    json_decref(labels);
}


static void
test_labels_traefik(void **state)
{
    json_t                   *labels;
    report_log_t              log;
    json_error_t              jerr;
    ngx_http_swarm_labels_t   out;
    ngx_http_swarm_report_t   report;

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    /* v1, as in Traefik's Swarm walkthrough */

    labels = json_loads("{\"traefik.port\": \"80\", "
                        "\"traefik.docker.network\": \"traefik-net\", "
                        "\"traefik.frontend.rule\": "
                        "\"Host:whoami0.traefik\", "
                        "\"traefik.backend.loadbalancer.sticky\": "
                        "\"true\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(traefik(labels, &out, &report, 0, "whoami0", NULL),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].rule.hosts[0], "whoami0.traefik");
    assert_int_equal(out.routes[0].port, 80);
    assert_string_equal(out.routes[0].network, "traefik-net");
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.ignored, "");
    ngx_http_swarm_labels_free(&out);

    /* traefik.enable=false: none, and nothing to say */

    json_object_set_new(labels, "traefik.enable", json_string("false"));
    assert_int_equal(traefik(labels, &out, &report, 0, "whoami0", NULL),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 0);
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);

    /* v2: keys in any case, two routers, one not routable, the rest */

    labels = json_loads("{\"traefik.enable\": \"true\", "
                        "\"traefik.http.routers.Web.rule\": "
                        "\"Host(`a.example.com`) && PathPrefix(`/x`)\", "
                        "\"Traefik.HTTP.routers.web.priority\": \"5\", "
                        "\"traefik.http.routers.web.service\": \"app\", "
                        "\"traefik.http.routers.web.entrypoints\": "
                        "\"web\", "
                        "\"traefik.http.routers.regex.rule\": "
                        "\"HostRegexp(`^(?=a)`)\", "
                        "\"traefik.http.routers.regex.service\": \"app\", "
                        "\"traefik.http.services.app.loadbalancer.server."
                        "port\": \"8080\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.name\": \"sess\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.secure\": \"true\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.maxage\": \"3600\", "
                        "\"traefik.http.services.other.loadbalancer.server."
                        "port\": \"9000\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(traefik(labels, &out, &report, 1, "shop", NULL),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.routes[0].router, "web");
    assert_int_equal(out.routes[0].rule.n, 1);
    assert_string_equal(out.routes[0].rule.matches[0].path, "/x");
    assert_int_equal(out.routes[0].priority, 5);
    assert_int_equal(out.routes[0].port, 8080);
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.routes[0].sticky.name, "sess");
    assert_int_equal(out.routes[0].sticky.secure, 1);
    assert_int_equal(out.routes[0].sticky.httponly, -1);
    assert_int_equal(out.routes[0].sticky.max_age, 3600);
    assert_string_equal(out.routes[0].entrypoints, "web");
    assert_int_equal(out.routes[0].tls, 0);
    assert_string_equal(out.ignored, "");
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "shop");
    assert_string_equal(log.msg, "router \"regex\" not routed: HostRegexp: "
                                 "regular expression \"^(?=a)\" has a "
                                 "lookahead, which Go's RE2 refuses");
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);

    /* maxage as Traefik has it: 0 a session cookie, below 0 Max-Age=0 */

    {
        const char  *ages[] = { "0", "-1", "60" };
        long         want[] = { NGX_HTTP_SWARM_MAX_AGE_SESSION, 0, 60 };
        char         text[512];
        size_t       a;

        for (a = 0; a < 3; a++) {
            snprintf(text, sizeof(text),
                     "{\"traefik.enable\": \"true\", "
                     "\"traefik.http.routers.r.rule\": \"Host(`a.test`)\", "
                     "\"traefik.http.services.s.loadbalancer.server.port\": "
                     "\"80\", "
                     "\"traefik.http.services.s.loadbalancer.sticky.cookie."
                     "maxage\": \"%s\"}", ages[a]);
            labels = json_loads(text, 0, &jerr);
            assert_int_equal(traefik(labels, &out, &report, 1, "s", NULL),
                             NGX_HTTP_SWARM_DONE);
            assert_int_equal(out.n, 1);
            assert_int_equal(out.routes[0].sticky.on, 1);
            assert_int_equal(out.routes[0].sticky.max_age, want[a]);
            assert_string_equal(out.ignored, "");
            ngx_http_swarm_labels_free(&out);
            json_decref(labels);
        }
    }

    /*
     * middlewares: the router keeps the names, resolved once every
     * service is known; the labels' definitions are made, or kept as
     * why not
     */

    labels = json_loads("{\"traefik.enable\": \"true\", "
                        "\"traefik.http.routers.adm.rule\": "
                        "\"Host(`adm.example.com`)\", "
                        "\"traefik.http.routers.adm.middlewares\": "
                        "\"admin-auth@swarm\", "
                        "\"traefik.http.middlewares.Admin-Auth.basicauth."
                        "users\": \"u:$apr1$x$y\", "
                        "\"traefik.http.middlewares.rl.circuitbreaker."
                        "expression\": \"x\", "
                        "\"traefik.http.middlewares.bad\": \"x\", "
                        "\"traefik.http.services.adm.loadbalancer.server."
                        "port\": \"8080\"}", 0, &jerr);
    log.calls = 0;
    assert_int_equal(traefik(labels, &out, &report, 1, "admin", NULL),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].middlewares, "admin-auth@swarm");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(out.middlewares, "admin-auth"),
                            "type")),
                        "basicauth");
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(out.middlewares, "rl"),
                            "error")),
                        "middleware type \"circuitbreaker\" is not "
                        "supported");
    assert_string_equal(out.ignored, "traefik.http.middlewares.bad");
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);
}


/* the routes that labels (JSON text) give, what was said in "log" */

static size_t
routes_of(const char *text, int of_traefik, ngx_http_swarm_labels_t *out,
    report_log_t *log)
{
    json_t                   *labels;
    json_error_t              jerr;
    ngx_http_swarm_report_t   report;

    memset(log, 0, sizeof(report_log_t));
    report.handler = report_handler;
    report.data = log;

    labels = json_loads(text, 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(of_traefik
                     ? traefik(labels, out, &report, 0, "s", NULL)
                     : native(labels, out, &report, 0, "s"),
                     NGX_HTTP_SWARM_DONE);

    json_decref(labels);

    return out->n;
}


/* a service with no traefik.* label is none of Traefik's: nothing said */

static void
test_labels_not_traefik(void **state)
{
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    assert_int_equal(routes_of("{\"swarm.port\": \"80\", "
                               "\"com.docker.stack.namespace\": \"s\"}",
                               1, &out, &log),
                     0);
    assert_int_equal(log.calls, 0);
    ngx_http_swarm_labels_free(&out);

    ngx_http_swarm_labels_free(&out);
}


/*
 * Traefik's provider (pkg/provider/configuration.go:78): no router, a
 * router of the service's name with the default rule, where the labels
 * define at most one service; a router with no rule, the default rule;
 * a router that names no service, dropped where there are several
 */

static void
test_labels_default(void **state)
{
    json_t                  *labels;
    json_error_t             jerr;
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    /* pkg/provider/docker/config_test.go:573, "one container no label" */

    assert_int_equal(routes_of("{\"traefik.enable\": \"true\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].router, "s");
    assert_string_equal(out.routes[0].rule.hosts[0], "s");
    assert_int_equal(out.routes[0].length, strlen("Host(`s`)"));
    assert_int_equal(out.routes[0].port, 80);
    ngx_http_swarm_labels_free(&out);

    /* a port label only: the default router goes to that service */

    assert_int_equal(routes_of("{\"traefik.http.services.web.loadbalancer."
                               "server.port\": \"8080\"}", 1, &out, &log),
                     1);
    assert_int_equal(out.routes[0].port, 8080);
    ngx_http_swarm_labels_free(&out);

    /* a router without a rule: the default; without a service of two */

    assert_int_equal(routes_of("{\"traefik.http.routers.r.priority\": \"7\", "
                               "\"traefik.http.routers.r.service\": \"a\", "
                               "\"traefik.http.routers.x.rule\": "
                               "\"Host(`x.test`)\", "
                               "\"traefik.http.services.a.loadbalancer."
                               "server.port\": \"81\", "
                               "\"traefik.http.services.b.loadbalancer."
                               "server.port\": \"82\"}", 1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].router, "r");
    assert_string_equal(out.routes[0].rule.hosts[0], "s");
    assert_int_equal(out.routes[0].port, 81);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "router \"x\" not routed: it names no "
                                 "service, and the labels define 2");
    ngx_http_swarm_labels_free(&out);

    /* no router, two services: none, said */

    assert_int_equal(routes_of("{\"traefik.http.services.a.loadbalancer."
                               "server.port\": \"81\", "
                               "\"traefik.http.services.b.loadbalancer."
                               "server.port\": \"82\"}", 1, &out, &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "not routed: no router, and the labels "
                                 "define 2 services, so no default router");
    ngx_http_swarm_labels_free(&out);

    /* the name normalized: mystack_web answers for mystack-web */

    labels = json_loads("{\"traefik.enable\": \"true\", "
                        "\"traefik.port\": \"80\", "
                        "\"traefik.domain\": \"example.com\"}", 0, &jerr);
    assert_non_null(labels);
    memset(&log, 0, sizeof(log));

    {
        ngx_http_swarm_report_t  report = { report_handler, &log };

        assert_int_equal(traefik(labels, &out, &report, 0, "mystack_web", NULL),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, 1);
        assert_string_equal(out.routes[0].router, "mystack-web");
        assert_string_equal(out.routes[0].rule.hosts[0], "mystack-web");
        ngx_http_swarm_labels_free(&out);

        /* config_test.go:178, "default rule with label" */

        assert_int_equal(traefik(labels, &out, &report, 0, "mystack_web",
                                 "Host(\"{{ .Name }}.{{ index .Labels "
                                 "\"traefik.domain\" }}\")"),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, 1);
        assert_string_equal(out.routes[0].rule.hosts[0],
                            "mystack-web.example.com");
        ngx_http_swarm_labels_free(&out);

        /* a missing label: Host(``), which Traefik refuses */

        assert_int_equal(traefik(labels, &out, &report, 0, "mystack_web",
                                 "Host(`{{ index .Labels `nope` }}`)"),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, 0);
        assert_int_equal(log.calls, 1);
        assert_string_equal(log.msg, "router \"mystack-web\" not routed: "
                                     "matcher \"Host\" given an empty "
                                     "value");
        ngx_http_swarm_labels_free(&out);

        /* config_test.go:300, "undefined rule": an empty default rule */

        assert_int_equal(traefik(labels, &out, &report, 0, "mystack_web", ""),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, 0);
        assert_string_equal(log.msg, "router \"mystack-web\" not routed: it "
                                     "has no rule, and the default rule is "
                                     "empty");
        ngx_http_swarm_labels_free(&out);
    }

    json_decref(labels);
}


/* a cookie that a Set-Cookie header cannot carry is no route */

static void
test_labels_cookie(void **state)
{
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    assert_int_equal(routes_of("{\"swarm.http.host\": \"a.example.com\", "
                               "\"swarm.sticky\": \"true\", "
                               "\"swarm.sticky.cookie\": \"a;b\"}", 0,
                               &out, &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "not routed: invalid cookie name");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.http.routers.r.rule\": "
                               "\"Host(`a.example.com`)\", "
                               "\"traefik.http.services.s.loadbalancer."
                               "sticky.cookie.samesite\": \"LAX\"}", 1,
                               &out, &log),
                     1);
    assert_string_equal(out.routes[0].sticky.samesite, "Lax");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.http.routers.r.rule\": "
                               "\"Host(`a.example.com`)\", "
                               "\"traefik.http.services.s.loadbalancer."
                               "sticky.cookie.samesite\": \"sometimes\"}",
                               1, &out, &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "router \"r\" not routed: invalid cookie "
                        "samesite \"sometimes\"");
    ngx_http_swarm_labels_free(&out);
}


/*
 * Priorities as Traefik reads them: any integer but its top 1000, 0 (in
 * v1, not above 0) as none; the length of the rule where none is given
 */

static void
test_labels_priority(void **state)
{
    int                       v1;
    char                      text[512];
    size_t                    i;
    report_log_t              log;
    ngx_http_swarm_labels_t   out;

    static const struct {
        const char           *key;
        const char           *value;
        int                   routed;
        long                  priority;
        unsigned              given;
    } cases[] = {
        { "traefik.http.routers.r.priority", "0", 1, 0, 0 },
        { "traefik.http.routers.r.priority", "-5", 1, -5, 1 },
        { "traefik.http.routers.r.priority", "+3", 1, 3, 1 },
        { "traefik.http.routers.r.priority", "1000001", 1, 1000001, 1 },
        { "traefik.http.routers.r.priority", "9223372036854774807", 1,
          NGX_HTTP_SWARM_PRIORITY_MAX, 1 },
        { "traefik.http.routers.r.priority", "9223372036854774808", 0, 0, 0 },
        { "traefik.http.routers.r.priority", "-99999999999999999999", 0, 0,
          0 },
        { "traefik.http.routers.r.priority", "1e3", 0, 0, 0 },
        { "traefik.http.routers.r.priority", "-", 0, 0, 0 },
        { "traefik.frontend.priority", "10", 1, 10, 1 },
        { "traefik.frontend.priority", "0", 1, 0, 0 },
        { "traefik.frontend.priority", "-1", 1, -1, 0 },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        v1 = (cases[i].key[8] == 'f');

        snprintf(text, sizeof(text),
                 "{\"traefik.port\": \"80\", \"%s\": \"%s\", "
                 "\"%s\": \"%s\"}",
                 v1 ? "traefik.frontend.rule" : "traefik.http.routers.r.rule",
                 v1 ? "Host:a.test" : "Host(`a.test`)",
                 cases[i].key, cases[i].value);

        assert_int_equal(routes_of(text, 1, &out, &log),
                         (size_t) cases[i].routed);

        if (!cases[i].routed) {
            assert_int_equal(log.calls, 1);
            assert_non_null(strstr(log.msg, "invalid priority"));
            ngx_http_swarm_labels_free(&out);
            continue;
        }

        assert_int_equal(log.calls, 0);
        assert_int_equal(out.routes[0].has_priority, cases[i].given);

        if (cases[i].given) {
            assert_int_equal(out.routes[0].priority, cases[i].priority);
        }

        assert_int_equal(out.routes[0].length, v1 ? 11 : 14);

        ngx_http_swarm_labels_free(&out);
    }

    /* native labels: the length of the rule they stand for */

    assert_int_equal(routes_of("{\"swarm.http.host\": \"a.test\", "
                               "\"swarm.http.path\": \"/api\", "
                               "\"swarm.port\": \"80\"}", 0, &out, &log),
                     1);
    assert_int_equal(out.routes[0].length,
                     strlen("Host(`a.test`) && PathPrefix(`/api`)"));
    assert_int_equal(out.routes[0].has_priority, 0);
    ngx_http_swarm_labels_free(&out);
}


/*
 * traefik.enable in any case of key and value, as Go's ParseBool reads
 * it (pkg/provider/docker/shared_labels.go:72); the network of
 * traefik.swarm.network or traefik.docker.network, not both
 */

static void
test_labels_enable(void **state)
{
    char                       text[512];
    size_t                     i;
    json_t                    *labels;
    json_error_t               jerr;
    report_log_t               log;
    ngx_http_swarm_labels_t    out;
    ngx_http_swarm_report_t    report;
    ngx_http_swarm_selector_t  sel;

    static const struct {
        const char            *labels;
        unsigned               exposed;
        size_t                 routes;
        const char            *said;
    } cases[] = {
        { "\"traefik.Enable\": \"True\"", 0, 1, NULL },
        { "\"TRAEFIK.ENABLE\": \"t\"", 0, 1, NULL },
        { "\"traefik.enable\": \"1\"", 0, 1, NULL },
        { "\"traefik.port\": \"80\"", 0, 0, NULL },
        { "\"traefik.port\": \"80\"", 1, 1, NULL },
        { "\"traefik.enable\": \"False\"", 1, 0, NULL },
        { "\"traefik.enable\": \"F\"", 0, 0, NULL },
        { "\"traefik.enable\": \"yes\"", 0, 0,
          "not routed: invalid traefik.enable \"yes\"" },
        { "\"traefik.enable\": \"true\", "
          "\"traefik.docker.network\": \"a\", "
          "\"traefik.swarm.lbswarm\": \"false\"", 0, 0,
          "not routed: traefik.docker.* and traefik.swarm.* labels both "
          "given" },
    };

    (void) state;

    report.handler = report_handler;
    report.data = &log;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text),
                 "{%s, \"traefik.port\": \"80\", "
                 "\"traefik.http.routers.r.rule\": \"Host(`a.test`)\", "
                 "\"traefik.http.routers.r.entrypoints\": \"web\"}",
                 cases[i].labels);
        labels = json_loads(text, 0, &jerr);
        assert_non_null(labels);

        memset(&sel, 0, sizeof(sel));
        sel.routes = NGX_HTTP_SWARM_ROUTES_TRAEFIK;
        sel.exposed = cases[i].exposed;
        memset(&log, 0, sizeof(log));

        assert_int_equal(ngx_http_swarm_labels_traefik(labels, &sel, &out,
                                                       &report, "s"),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, cases[i].routes);
        assert_int_equal(log.calls, cases[i].said != NULL);

        if (cases[i].said) {
            assert_string_equal(log.msg, cases[i].said);
        }

        /* a service none of Traefik's: none of its labels listed */

        if (out.n == 0) {
            assert_string_equal(out.ignored, "");
        }

        ngx_http_swarm_labels_free(&out);
        json_decref(labels);
    }

    /* the network: traefik.swarm.network (3.2.2), or its older name */

    assert_int_equal(routes_of("{\"traefik.swarm.network\": \"front\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].network, "front");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"Traefik.Docker.Network\": \"back\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].network, "back");
    ngx_http_swarm_labels_free(&out);

    /* lbswarm: to the virtual IP, so never sticky */

    assert_int_equal(routes_of("{\"traefik.swarm.lbswarm\": \"true\", "
                               "\"traefik.backend.loadbalancer.sticky\": "
                               "\"true\", \"traefik.port\": \"80\"}", 1,
                               &out, &log),
                     1);
    assert_int_equal(out.routes[0].lbswarm, 1);
    assert_int_equal(out.routes[0].sticky.on, 0);
    assert_string_equal(out.ignored, "");
    ngx_http_swarm_labels_free(&out);
}


/*
 * Entrypoints and TLS of routers (v2/v3 and v1): a list as given, and a
 * tls section of tls=true or any tls.* label
 */

static void
test_labels_entrypoints(void **state)
{
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    assert_int_equal(routes_of("{\"traefik.http.routers.a.rule\": "
                               "\"Host(`a.test`)\", "
                               "\"traefik.http.routers.a.entrypoints\": "
                               "\" web , websecure\", "
                               "\"traefik.http.routers.a.tls."
                               "certresolver\": \"le\", "
                               "\"traefik.http.routers.b.rule\": "
                               "\"Host(`b.test`)\", "
                               "\"traefik.http.routers.b.tls\": \"true\", "
                               "\"traefik.http.routers.c.rule\": "
                               "\"Host(`c.test`)\", "
                               "\"traefik.http.routers.c.tls\": \"false\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     3);
    assert_string_equal(out.routes[0].router, "a");
    assert_string_equal(out.routes[0].entrypoints, "web,websecure");
    assert_int_equal(out.routes[0].tls, 1);
    assert_string_equal(out.routes[1].entrypoints, "");
    assert_int_equal(out.routes[1].tls, 1);
    assert_int_equal(out.routes[2].tls, 0);

    /* a certificate resolver, for the rule's names: not listed */

    assert_string_equal(out.routes[0].certresolver, "le");
    assert_string_equal(out.routes[0].domains, "");
    assert_string_equal(out.routes[1].certresolver, "");
    assert_string_equal(out.ignored, "");
    ngx_http_swarm_labels_free(&out);

    /* tls.domains, in order, spaces left out; other tls options listed */

    assert_int_equal(routes_of("{\"traefik.http.routers.a.rule\": "
                               "\"Host(`a.test`)\", "
                               "\"traefik.http.routers.a.tls."
                               "certResolver\": \"le\", "
                               "\"traefik.http.routers.a.tls.domains[1]."
                               "main\": \"b.test\", "
                               "\"traefik.http.routers.a.tls.domains[0]."
                               "sans\": \"www.a.test, api.a.test\", "
                               "\"traefik.http.routers.a.tls.domains[0]."
                               "main\": \"a.test\", "
                               "\"traefik.http.routers.a.tls.domains[4]."
                               "main\": \"c.test\", "
                               "\"traefik.http.routers.a.tls.options\": "
                               "\"modern\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].certresolver, "le");
    assert_string_equal(out.routes[0].domains,
                        "a.test,www.a.test,api.a.test,b.test");
    assert_non_null(strstr(out.ignored,
                           "traefik.http.routers.a.tls.domains[4].main"));
    assert_non_null(strstr(out.ignored,
                           "traefik.http.routers.a.tls.options"));
    ngx_http_swarm_labels_free(&out);

    /* a certresolver no swarm_acme has: not routed, said */

    assert_int_equal(routes_of("{\"traefik.http.routers.a.rule\": "
                               "\"Host(`a.test`)\", "
                               "\"traefik.http.routers.a.tls."
                               "certresolver\": \"nope\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     0);
    assert_string_equal(log.msg, "router \"a\" not routed: no swarm_acme "
                        "\"nope\" (its tls.certresolver)");
    ngx_http_swarm_labels_free(&out);

    /* no swarm_acme at all: acted on by nothing, the router routed */

    resolvers = NULL;
    assert_int_equal(routes_of("{\"traefik.http.routers.a.rule\": "
                               "\"Host(`a.test`)\", "
                               "\"traefik.http.routers.a.tls."
                               "certresolver\": \"le\", "
                               "\"traefik.port\": \"80\"}", 1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].certresolver, "");
    assert_int_equal(out.routes[0].tls, 1);
    assert_string_equal(out.ignored,
                        "traefik.http.routers.a.tls.certresolver");
    ngx_http_swarm_labels_free(&out);
    resolvers = "le";

    assert_int_equal(routes_of("{\"traefik.frontend.rule\": \"Host:a\", "
                               "\"traefik.frontend.entryPoints\": "
                               "\"http,https\", \"traefik.port\": \"80\"}",
                               1, &out, &log),
                     1);
    assert_string_equal(out.routes[0].entrypoints, "http,https");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.http.routers.a.rule\": "
                               "\"Host(`a.test`)\", "
                               "\"traefik.http.routers.a.entrypoints\": "
                               "\"web,,x\", \"traefik.port\": \"80\"}", 1,
                               &out, &log),
                     0);
    assert_string_equal(log.msg, "router \"a\" not routed: invalid "
                                 "entrypoints \"web,,x\"");
    ngx_http_swarm_labels_free(&out);

    /* the servers' entrypoints known: others dropped, said */

    {
        json_t                     *labels;
        json_error_t                jerr;
        ngx_http_swarm_report_t     report = { report_handler, &log };
        ngx_http_swarm_selector_t   sel;

        memset(&sel, 0, sizeof(sel));
        sel.routes = NGX_HTTP_SWARM_ROUTES_TRAEFIK;
        sel.exposed = 1;
        sel.entrypoints = "web,websecure";

        labels = json_loads("{\"traefik.http.routers.a.rule\": "
                            "\"Host(`a.test`)\", "
                            "\"traefik.http.routers.a.entrypoints\": "
                            "\"nope,websecure\", "
                            "\"traefik.http.routers.b.rule\": "
                            "\"Host(`b.test`)\", "
                            "\"traefik.http.routers.b.entrypoints\": "
                            "\"nope\", \"traefik.port\": \"80\"}", 0,
                            &jerr);
        memset(&log, 0, sizeof(log));

        assert_int_equal(ngx_http_swarm_labels_traefik(labels, &sel, &out,
                                                       &report, "s"),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(out.n, 1);
        assert_string_equal(out.routes[0].entrypoints, "websecure");
        assert_int_equal(log.calls, 3);
        assert_string_equal(log.msg, "router \"b\" not routed: none of its "
                                     "entrypoints \"nope\" is a server's "
                                     "swarm_entrypoint");
        ngx_http_swarm_labels_free(&out);
        json_decref(labels);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_labels_native),
        cmocka_unit_test(test_labels_traefik),
        cmocka_unit_test(test_labels_cookie),
        cmocka_unit_test(test_labels_not_traefik),
        cmocka_unit_test(test_labels_priority),
        cmocka_unit_test(test_labels_default),
        cmocka_unit_test(test_labels_enable),
        cmocka_unit_test(test_labels_entrypoints),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
