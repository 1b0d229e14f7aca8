
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_services.c: services matched
 * by label or by name, their filters, and the routes of routes upstreams
 * written as text.
 */


#include "unit_test.h"


static void
test_services_by_label(void **state)
{
    int                        rc;
    char                      *buf, err[256];
    size_t                     len;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 3, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));

    buf = load("services-all.json", &len);
    rc = ngx_http_swarm_services_parse(buf, len, &sel, &svcs, NULL, err,
                                       sizeof(err));
    free(buf);

    assert_int_equal(rc, 0);
    assert_int_equal(svcs.n, 1);
    assert_string_equal(svcs.services[0].name, "mystack_app");
    assert_string_equal(svcs.services[0].id, "y25ovm7r32e9p5kol8r5wegy5");
    assert_int_equal(svcs.services[0].port, 8080);
    assert_int_equal(svcs.services[0].upstream, 3);
    assert_string_equal(svcs.services[0].network, "");

    /* the engine's own filtered answer gives the same */

    buf = load("services-label-app.json", &len);
    rc = ngx_http_swarm_services_parse(buf, len, &sel, &svcs, NULL, err,
                                       sizeof(err));
    free(buf);

    assert_int_equal(rc, 0);
    assert_int_equal(svcs.n, 2);
    assert_string_equal(svcs.services[1].id, svcs.services[0].id);

    ngx_http_swarm_services_free(&svcs);
}


static void
test_services_by_name(void **state)
{
    char                      *buf, err[256];
    size_t                     len;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  exact = { NULL, NULL, "mystack_api",
                                         "mystack_net", 9999, 0, 0, 0, 0,
                                         NULL, 0, NULL, NULL, NULL, NULL };
    ngx_http_swarm_selector_t  prefix = { NULL, NULL, "mystack_ap", NULL,
                                          0, 0, 0, 0, 0, NULL, 0, NULL,
                                          NULL, NULL, NULL };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));
    buf = load("services-all.json", &len);

    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &prefix, &svcs,
                                                   NULL, err, sizeof(err)),
                     0);
    assert_int_equal(svcs.n, 0);

    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &exact, &svcs,
                                                   NULL, err, sizeof(err)),
                     0);
    assert_int_equal(svcs.n, 1);
    assert_int_equal(svcs.services[0].port, 9999);
    assert_string_equal(svcs.services[0].network, "mystack_net");

    free(buf);
    ngx_http_swarm_services_free(&svcs);
}


static void
test_services_no_port(void **state)
{
    char                      *buf, err[256];
    size_t                     len;
    report_log_t               log;
    ngx_http_swarm_report_t    report = { report_handler, &log };
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { NULL, NULL, "mystack_worker", NULL,
                                       0, 2, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));
    memset(&log, 0, sizeof(log));

    buf = load("services-all.json", &len);
    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &sel, &svcs,
                                                   &report, err,
                                                   sizeof(err)),
                     0);
    free(buf);

    assert_int_equal(svcs.n, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 2);
    assert_string_equal(log.service, "mystack_worker");
    assert_non_null(strstr(log.msg, "no port"));

    ngx_http_swarm_services_free(&svcs);
}


/* a filter as the engine gets it: compact JSON */

static void
assert_filters(json_t *filters, const char *want)
{
    char  *s;

    assert_non_null(filters);

    s = json_dumps(filters, JSON_COMPACT);
    assert_non_null(s);
    assert_string_equal(s, want);

    free(s);
    json_decref(filters);
}


static void
test_filters(void **state)
{
    ngx_http_swarm_service_t   svc[3];
    size_t                     from;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  by_label = { "swarm.upstream", "a=b", NULL,
                                            NULL, 80, 0, 0, 0, 0, NULL, 0,
                                            NULL, NULL, NULL, NULL };
    ngx_http_swarm_selector_t  by_name = { NULL, NULL, "stack_web", NULL,
                                           80, 0, 0, 0, 0, NULL, 0, NULL,
                                           NULL, NULL, NULL };
    ngx_http_swarm_selector_t  all = { NULL, NULL, NULL, NULL, 0, 0,
                                       NGX_HTTP_SWARM_ROUTES_TRAEFIK, 0, 0,
                                       NULL, 0, NULL, NULL, NULL, NULL };

    (void) state;

    assert_filters(ngx_http_swarm_services_filters(&by_label),
                   "{\"label\":[\"swarm.upstream=a=b\"]}");
    assert_filters(ngx_http_swarm_services_filters(&by_name),
                   "{\"name\":[\"stack_web\"]}");

    /* "traefik exposed_by_default": every service */

    assert_filters(ngx_http_swarm_services_filters(&all), "{}");

    /* sorted services, one matched by two selectors: asked once */

    memset(svc, 0, sizeof(svc));
    strcpy(svc[0].id, "aaa");
    strcpy(svc[1].id, "bbb");
    strcpy(svc[2].id, "bbb");
    svc[2].upstream = 1;

    svcs.services = svc;
    svcs.n = 3;
    svcs.cap = 3;

    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1000),
                   "{\"service\":[\"aaa\",\"bbb\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 3);
    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 1, &from, 1000),
                   "{\"service\":[\"aaa\",\"bbb\"],"
                   "\"desired-state\":[\"running\",\"shutdown\","
                   "\"remove\"]}");

    /* one service a query: as many queries as services, each once */

    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1),
                   "{\"service\":[\"aaa\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 1);
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1),
                   "{\"service\":[\"bbb\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 3);
}


/* the services of a routes selector: their routes, in an order of their own */

static void
test_services_routes(void **state)
{
    int                        rc;
    char                       err[256], *a, *b, *list;
    size_t                     n, i;
    json_t                    *root, *routes, *r;
    report_log_t               log;
    ngx_http_swarm_report_t    report;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { "swarm.enable", "true", NULL, NULL,
                                       0, 0, NGX_HTTP_SWARM_ROUTES_NATIVE,
                                       0, 0, NULL, 0, NULL, NULL, NULL, NULL };

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    a = "{\"ID\": \"aaa\", \"Spec\": {\"Name\": \"a\", \"Labels\": "
        "{\"swarm.enable\": \"true\", \"swarm.port\": \"80\", "
        "\"swarm.http.host\": \"a.example.com\", "
        "\"swarm.sticky\": \"true\"}}}";
    b = "{\"ID\": \"bbb\", \"Spec\": {\"Name\": \"b\", \"Labels\": "
        "{\"swarm.enable\": \"true\", \"swarm.port\": \"81\", "
        "\"swarm.http.host\": \"B.example.com, c.example.com\", "
        "\"swarm.http.path\": \"/x\"}}}";

    list = malloc(strlen(a) + strlen(b) + 256);
    assert_non_null(list);

    /* whatever the order Docker lists them in */

    for (i = 0; i < 2; i++) {
        sprintf(list, "[%s, %s, {\"ID\": \"ccc\", \"Spec\": {\"Name\": "
                "\"c\", \"Labels\": {\"swarm.enable\": \"true\"}}}]",
                i ? a : b, i ? b : a);

        memset(&svcs, 0, sizeof(svcs));
        log.calls = 0;

        rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                           &report, err, sizeof(err));
        assert_int_equal(rc, NGX_HTTP_SWARM_DONE);

        /* c has no rule: said, and not routed */

        assert_int_equal(log.calls, 1);
        assert_string_equal(log.service, "c");
        assert_int_equal(svcs.n, 2);
        assert_int_equal(svcs.nrouted, 2);

        n = ngx_http_swarm_services_routes(&svcs, 0, &report);
        assert_int_equal(n, 2);

        ngx_http_swarm_services_sort(&svcs);
        assert_string_equal(svcs.services[0].name, "a");
        assert_int_equal(svcs.services[0].route, 0);
        assert_int_equal(svcs.services[0].port, 80);
        assert_string_equal(svcs.services[1].name, "b");
        assert_int_equal(svcs.services[1].route, 1);
        assert_int_equal(svcs.services[1].port, 81);

        root = ngx_http_swarm_services_routes_json(&svcs, 0,
                                                   NGX_HTTP_SWARM_ORDER_NATIVE,
                                                   &report);
        assert_non_null(root);
        assert_int_equal(log.calls, 1);

        routes = json_object_get(root, "routes");
        assert_int_equal(json_array_size(routes), 2);

        r = json_array_get(routes, 0);
        assert_string_equal(json_string_value(json_object_get(r, "service")),
                            "a");
        assert_true(json_is_object(json_object_get(r, "sticky")));
        assert_true(json_is_null(json_object_get(r, "priority")));

        r = json_array_get(routes, 1);
        assert_string_equal(json_string_value(json_object_get(r, "service")),
                            "b");
        assert_true(json_is_null(json_object_get(r, "sticky")));

        r = json_array_get(json_object_get(r, "rule"), 0);
        assert_string_equal(json_string_value(json_object_get(r, "path")),
                            "/x");
        assert_string_equal(json_string_value(
                                json_array_get(json_object_get(r, "hosts"),
                                               0)),
                            "b.example.com");
        assert_int_equal(json_array_size(json_object_get(r, "hosts")), 2);

        json_decref(root);

        /* of another upstream: none */

        root = ngx_http_swarm_services_routes_json(&svcs, 1,
                                                   NGX_HTTP_SWARM_ORDER_NATIVE,
                                                   &report);
        assert_int_equal(json_array_size(json_object_get(root, "routes")), 0);
        json_decref(root);

        ngx_http_swarm_services_free(&svcs);
    }

    /* the same host and path twice: the loser is said */

    sprintf(list, "[%s, {\"ID\": \"bb2\", \"Spec\": {\"Name\": \"b2\", "
            "\"Labels\": {\"swarm.enable\": \"true\", \"swarm.port\": "
            "\"81\", \"swarm.http.host\": \"b.example.com\", "
            "\"swarm.http.path\": \"/x\"}}}]", b);

    memset(&svcs, 0, sizeof(svcs));
    log.calls = 0;

    rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                       &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(svcs.nrouted, 2);

    (void) ngx_http_swarm_services_routes(&svcs, 0, &report);
    root = ngx_http_swarm_services_routes_json(&svcs, 0,
                                               NGX_HTTP_SWARM_ORDER_NATIVE,
                                               &report);
    assert_non_null(root);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "b2");
    json_decref(root);

    ngx_http_swarm_services_free(&svcs);

    /* a label's port outside ports=: not routed, and said */

    sel.port_min = 1;
    sel.port_max = 80;

    sprintf(list, "[%s, %s]", a, b);

    memset(&svcs, 0, sizeof(svcs));
    log.calls = 0;

    rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                       &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(svcs.nrouted, 1);
    assert_string_equal(svcs.routed[0].service, "a");
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "b");
    assert_string_equal(log.msg, "port 81 is outside ports=1-80, not routed");

    ngx_http_swarm_services_free(&svcs);
    free(list);
}


/*
 * In Traefik's order, every route has a priority: its label's, else its
 * rule's length, which the text says; native routes of such an upstream
 * count with the length of the rule they stand for
 */

static void
test_services_traefik_order(void **state)
{
    int                        rc;
    json_t                    *root, *r;
    report_log_t               log;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_report_t    report;
    char                       err[256];

    static const ngx_http_swarm_selector_t  sel[] = {
        { "traefik.enable", "true", NULL, NULL, 80, 0,
          NGX_HTTP_SWARM_ROUTES_TRAEFIK, 0, 0, NULL, 0, NULL, NULL, NULL,
          NULL },
        { "swarm.enable", "true", NULL, NULL, 80, 0,
          NGX_HTTP_SWARM_ROUTES_NATIVE, 0, 0, NULL, 0, NULL, NULL, NULL,
          NULL },
    };

    static const char  *traefik =
        "[{\"ID\": \"aa\", \"Spec\": {\"Name\": \"app\", \"Labels\": {"
        "\"traefik.enable\": \"true\", "
        "\"traefik.http.routers.app.rule\": \"Host(`app.test`)\"}}}, "
        "{\"ID\": \"bb\", \"Spec\": {\"Name\": \"last\", \"Labels\": {"
        "\"traefik.enable\": \"true\", "
        "\"traefik.http.routers.last.rule\": \"PathPrefix(`/`)\", "
        "\"traefik.http.routers.last.priority\": \"1\"}}}]";

    static const char  *native =
        "[{\"ID\": \"cc\", \"Spec\": {\"Name\": \"api\", \"Labels\": {"
        "\"swarm.enable\": \"true\", \"swarm.http.path\": \"/api\"}}}]";

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;
    memset(&svcs, 0, sizeof(svcs));

    rc = ngx_http_swarm_services_parse(traefik, strlen(traefik), &sel[0],
                                       &svcs, &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    rc = ngx_http_swarm_services_parse(native, strlen(native), &sel[1],
                                       &svcs, &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(log.calls, 0);

    assert_int_equal(ngx_http_swarm_services_routes(&svcs, 0, &report), 3);

    root = ngx_http_swarm_services_routes_json(&svcs, 0,
                                               NGX_HTTP_SWARM_ORDER_TRAEFIK,
                                               &report);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "order")),
                        "traefik");

    /* by service name: api, app, last */

    r = json_array_get(json_object_get(root, "routes"), 0);
    assert_string_equal(json_string_value(json_object_get(r, "service")),
                        "api");
    assert_int_equal(json_integer_value(json_object_get(r, "priority")),
                     strlen("PathPrefix(`/api`)"));
    assert_string_equal(json_string_value(json_object_get(r,
                                                          "priority_from")),
                        "rule length");

    r = json_array_get(json_object_get(root, "routes"), 1);
    assert_int_equal(json_integer_value(json_object_get(r, "priority")),
                     strlen("Host(`app.test`)"));

    r = json_array_get(json_object_get(root, "routes"), 2);
    assert_int_equal(json_integer_value(json_object_get(r, "priority")), 1);
    assert_string_equal(json_string_value(json_object_get(r,
                                                          "priority_from")),
                        "label");
    json_decref(root);

    /* the native order: no priority where none is given */

    root = ngx_http_swarm_services_routes_json(&svcs, 0,
                                               NGX_HTTP_SWARM_ORDER_NATIVE,
                                               &report);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "order")),
                        "native");
    r = json_array_get(json_object_get(root, "routes"), 0);
    assert_true(json_is_null(json_object_get(r, "priority")));
    assert_null(json_object_get(r, "priority_from"));
    json_decref(root);

    ngx_http_swarm_services_free(&svcs);
}


/*
 * Traefik's merge of its services' labels: a router naming another
 * swarm service's Traefik service gets that one's tasks and port; a
 * router name two services define differently is dropped from both; an
 * lbswarm service keeps its virtual IPs
 */

static void
test_services_merge(void **state)
{
    int                        rc;
    size_t                     i, n;
    report_log_t               log;
    ngx_http_swarm_routed_t   *r;
    ngx_http_swarm_service_t  *s;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_report_t    report;
    char                       err[256];

    static const ngx_http_swarm_selector_t  sel = {
        NULL, NULL, NULL, NULL, 0, 0, NGX_HTTP_SWARM_ROUTES_TRAEFIK, 0, 0,
        NULL, 1, NULL, NULL
, NULL, NULL };

    static const char  *list =
        "[{\"ID\": \"aa\", \"Spec\": {\"Name\": \"api\", \"Labels\": {"
        "\"traefik.http.routers.api.rule\": \"Host(`api.test`)\", "
        "\"traefik.http.services.apisvc.loadbalancer.server.port\": "
        "\"81\"}}}, "
        "{\"ID\": \"bb\", \"Spec\": {\"Name\": \"front\", \"Labels\": {"
        "\"traefik.http.routers.front.rule\": \"Host(`front.test`)\", "
        "\"traefik.http.routers.front.service\": \"apisvc@swarm\"}}}, "
        "{\"ID\": \"cc\", \"Spec\": {\"Name\": \"c1\", \"Labels\": {"
        "\"traefik.http.routers.dup.rule\": \"Host(`c1.test`)\", "
        "\"traefik.port\": \"80\"}}}, "
        "{\"ID\": \"dd\", \"Spec\": {\"Name\": \"c2\", \"Labels\": {"
        "\"traefik.http.routers.dup.rule\": \"Host(`c2.test`)\", "
        "\"traefik.port\": \"80\"}}}, "
        "{\"ID\": \"ee\", \"Spec\": {\"Name\": \"vip\", \"Labels\": {"
        "\"traefik.swarm.lbswarm\": \"true\", \"traefik.port\": \"80\"}}, "
        "\"Endpoint\": {\"VirtualIPs\": [{\"NetworkID\": \"n1\", "
        "\"Addr\": \"10.0.9.2/24\"}]}}]";

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;
    memset(&svcs, 0, sizeof(svcs));

    rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                       &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(svcs.nrouted, 5);
    assert_int_equal(svcs.nlbs, 1);

    n = ngx_http_swarm_services_routes(&svcs, 0, &report);
    assert_int_equal(n, 3);
    assert_int_equal(log.calls, 2);
    assert_string_equal(log.msg, "router \"dup\" not routed: service "
                                 "\"c1\" defines it too, differently");

    for (i = 0; i < svcs.nrouted; i++) {
        r = &svcs.routed[i];

        if (strcmp(r->service, "front") == 0) {
            assert_int_equal(r->dropped, 0);
            assert_int_equal(r->spec.port, 81);
            assert_string_equal(r->target, "api");
        }

        if (strcmp(r->spec.router, "dup") == 0) {
            assert_int_equal(r->dropped, 1);
        }
    }

    /* the tasks of api: its own route's, and front's */

    ngx_http_swarm_services_sort(&svcs);
    s = ngx_http_swarm_services_find(&svcs, "aa", &n);
    assert_non_null(s);
    assert_int_equal(n, 2);
    assert_int_equal(s[0].port, 81);
    assert_int_equal(s[1].port, 81);

    s = ngx_http_swarm_services_find(&svcs, "ee", &n);
    assert_non_null(s);
    assert_int_equal(s->lbswarm, 1);
    assert_int_equal(s->nvips, 1);
    assert_string_equal(s->vips[0].ip, "10.0.9.2");
    assert_string_equal(s->vips[0].network, "n1");

    ngx_http_swarm_services_free(&svcs);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_services_by_label),
        cmocka_unit_test(test_services_by_name),
        cmocka_unit_test(test_services_no_port),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_services_routes),
        cmocka_unit_test(test_services_traefik_order),
        cmocka_unit_test(test_services_merge),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
