
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_routes.c: the route a Host and
 * path go to, with ties.
 */


#include "unit_test.h"


/* the name of the route for host and path, or "404" */

static const char *
route_for(ngx_http_swarm_routes_t *t, ngx_http_swarm_route_t *r,
    const char *host, const char *path)
{
    long  k;

    k = ngx_http_swarm_routes_find(t, host, host ? strlen(host) : 0, path,
                                   strlen(path), NULL);

    return k < 0 ? "404" : r[k].name;
}


static void
test_routes(void **state)
{
    size_t                    i, n;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[8];
    ngx_http_swarm_route_t    r[8];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "blog", NONE, "Host(`blog.example.com`)" },
        { "api", NONE, "PathPrefix(`/api`)" },
        { "shop", NONE, "Host(`*.example.com`) && PathPrefix(`/shop`)" },
        { "deep", NONE, "Host(`*.eu.example.com`)" },
        { "login", NONE, "Host(`blog.example.com`) && PathPrefix(`/login`)" },
        { "exact", NONE, "Host(`blog.example.com`) && Path(`/login`)" },
        { "admin", 10, "PathPrefix(`/admin`)" },
        { "www", NONE, "Host(`www.example.com`) && PathPrefix(`/w`)" },
    };

    (void) state;

    n = sizeof(defs) / sizeof(defs[0]);
    t = routes(defs, n, NGX_HTTP_SWARM_ORDER_NATIVE, r, rules, &log);
    assert_non_null(t);
    assert_int_equal(log.calls, 0);

    /* a host's routes before host-less ones, whatever the path */

    assert_string_equal(route_for(t, r, "blog.example.com", "/"), "blog");
    assert_string_equal(route_for(t, r, "blog.example.com", "/api/x"),
                        "blog");

    /* longest prefix; an exact path before a prefix of its length */

    assert_string_equal(route_for(t, r, "blog.example.com", "/login"),
                        "exact");
    assert_string_equal(route_for(t, r, "blog.example.com", "/login/x"),
                        "login");

    /* case, port and a trailing dot do not count */

    assert_string_equal(route_for(t, r, "BLOG.Example.COM:8080", "/"),
                        "blog");
    assert_string_equal(route_for(t, r, "blog.example.com.", "/"), "blog");

    /* Traefik 3.7's wildcards: one label more, not the name itself */

    assert_string_equal(route_for(t, r, "a.example.com", "/shop/1"), "shop");
    assert_string_equal(route_for(t, r, "a.b.example.com", "/shop"), "404");
    assert_string_equal(route_for(t, r, "x.eu.example.com", "/shop"),
                        "deep");
    assert_string_equal(route_for(t, r, "example.com", "/shop"), "404");

    /* a host whose routes do not cover the path falls through */

    assert_string_equal(route_for(t, r, "www.example.com", "/w"), "www");
    assert_string_equal(route_for(t, r, "www.example.com", "/shop"), "shop");
    assert_string_equal(route_for(t, r, "www.example.com", "/api"), "api");
    assert_string_equal(route_for(t, r, "www.example.com", "/"), "404");
    assert_string_equal(route_for(t, r, NULL, "/api"), "api");
    assert_string_equal(route_for(t, r, "", "/other"), "404");
    assert_string_equal(route_for(t, r, "other.org", "/apix"), "api");

    /* the routes for any host, whatever the host */

    assert_string_equal(route_for(t, r, "[::1]:8080", "/api"), "api");
    assert_string_equal(route_for(t, r, "blog.example.com/x", "/"), "404");

    /* a priority decides first */

    assert_string_equal(route_for(t, r, "blog.example.com", "/admin"),
                        "admin");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < n; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }
}


static void
test_routes_ties(void **state)
{
    size_t                    i;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[2];
    ngx_http_swarm_route_t    r[2];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  ab[] = {
        { "b", NONE, "Host(`x.org`)" },
        { "a", NONE, "Host(`X.org`) && PathPrefix(`/`)" },
    };

    static const route_def_t  ba[] = {
        { "a", NONE, "Host(`x.org`)" },
        { "b", NONE, "Host(`x.org`)" },
    };

    (void) state;

    /* the same host and path: the service name decides, in any order */

    t = routes(ab, 2, NGX_HTTP_SWARM_ORDER_NATIVE, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "x.org", "/"), "a");
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 0);
    assert_string_equal(log.service, "b");
    assert_string_equal(log.msg, "host \"x.org\" and path \"/\" are "
                                 "service \"a\"'s, which comes first");
    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    t = routes(ba, 2, NGX_HTTP_SWARM_ORDER_NATIVE, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "x.org", "/"), "a");
    assert_int_equal(log.calls, 1);
    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    /* no route at all */

    t = ngx_http_swarm_routes_build(NULL, 0, NGX_HTTP_SWARM_ORDER_NATIVE,
                                    NULL);
    assert_non_null(t);
    assert_int_equal(ngx_http_swarm_routes_find(t, "a", 1, "/", 1, NULL), -1);
    ngx_http_swarm_routes_free(t);
}


/*
 * Traefik's order (pkg/muxer/http/mux.go, routes.Less; the priority of a
 * router without one is len(rule), pkg/server/router/router.go)
 */

static void
test_routes_traefik(void **state)
{
    size_t                    i, n;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[9];
    ngx_http_swarm_route_t    r[9];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "last", 1, "PathPrefix(`/`)" },
        { "app", NONE, "Host(`app.test`)" },
        { "assets", NONE, "PathPrefix(`/static/assets`)" },
        { "exact", NONE, "Path(`/api`)" },
        { "prefix", NONE, "PathPrefix(`/api`)" },
        { "either", NONE, "Host(`a.test`) || Host(`b.test`)" },
        { "docs", NONE, "PathPrefix(`/docs/v1/`)" },
        { "zz", 40, "Host(`tie.test`)" },
        { "yy", 40, "PathPrefix(`/tie`)" },
    };

    (void) state;

    n = sizeof(defs) / sizeof(defs[0]);

    /* the catch-all with priority=1 is the last resort, not the first */

    t = routes(defs, n, NGX_HTTP_SWARM_ORDER_TRAEFIK, r, rules, &log);
    assert_non_null(t);
    assert_int_equal(log.calls, 0);

    assert_string_equal(route_for(t, r, "app.test", "/x"), "app");
    assert_string_equal(route_for(t, r, "other.test", "/x"), "last");

    /* a longer host-less rule wins over a shorter Host() */

    assert_string_equal(route_for(t, r, "app.test", "/static/assets/a.css"),
                        "assets");
    assert_string_equal(route_for(t, r, "app.test", "/static/x.css"), "app");

    /* Path(`/api`) (12) loses to PathPrefix(`/api`) (18) */

    assert_string_equal(route_for(t, r, "x.test", "/api"), "prefix");

    /* an "||" rule counts with its whole length (33 against 24) */

    assert_string_equal(route_for(t, r, "b.test", "/docs/v1/x"), "either");
    assert_string_equal(route_for(t, r, "c.test", "/docs/v1/x"), "docs");

    /* the same priority: the service name, whichever the host class */

    assert_string_equal(route_for(t, r, "tie.test", "/tie"), "yy");
    assert_string_equal(route_for(t, r, "tie.test", "/"), "zz");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < n; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    /* the native order, unchanged: a priority first, where given */

    t = routes(defs, n, NGX_HTTP_SWARM_ORDER_NATIVE, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "app.test", "/x"), "last");
    assert_string_equal(route_for(t, r, "x.test", "/api"), "last");
    assert_string_equal(route_for(t, r, "x.test", "/tie"), "yy");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < n; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }
}


/* negative priorities, and a router's place among its service's */

static void
test_routes_traefik_priority(void **state)
{
    size_t                    i;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[4];
    ngx_http_swarm_route_t    r[4];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "low", -5, "Host(`a.test`)" },
        { "top", NGX_HTTP_SWARM_PRIORITY_MAX, "PathPrefix(`/top`)" },
        { "web", 3, "PathPrefix(`/`)" },
        { "web", 3, "Host(`a.test`)" },
    };

    (void) state;

    t = routes(defs, 4, NGX_HTTP_SWARM_ORDER_TRAEFIK, r, rules, &log);
    assert_non_null(t);

    assert_string_equal(route_for(t, r, "a.test", "/top/1"), "top");
    assert_string_equal(route_for(t, r, "a.test", "/"), "web");
    assert_int_equal(ngx_http_swarm_routes_find(t, "a.test", 6, "/", 1,
                                                NULL), 2);

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 4; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }
}


/*
 * Hosts as Traefik 3.7 matches them (pkg/muxer/http/matcher_test.go:174,
 * TestHostMatcher; mux_test.go:40 and :47, Host IPv4 and IPv6), and the
 * native labels' wildcards of any depth beside them
 */

static void
test_routes_hosts(void **state)
{
    char                      err[256];
    size_t                    i, n;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[9];
    ngx_http_swarm_route_t    r[9];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "one", NONE, "Host(`*.example.com`)" },
        { "v6", NONE, "Host(`10::10`)" },
        { "v4", NONE, "Host(`127.0.0.1`)" },
        { "under", NONE, "Host(`my_app.local`)" },
        { "dot", NONE, "Host(`example.org.`)" },
        { "upper", NONE, "Host(`EXAMPLE.NET`)" },
        { "brackets", NONE, "Host(`[::1]`)" },
        { "all", 1, "Host(`*`)" },
    };

    (void) state;

    n = sizeof(defs) / sizeof(defs[0]);

    t = routes(defs, n, NGX_HTTP_SWARM_ORDER_TRAEFIK, r, rules, &log);
    assert_non_null(t);

    assert_string_equal(route_for(t, r, "test.example.com", "/"), "one");
    assert_string_equal(route_for(t, r, "other.example.com", "/"), "one");
    assert_string_equal(route_for(t, r, "example.com", "/"), "all");
    assert_string_equal(route_for(t, r, "test.otherexample.com", "/"), "all");
    assert_string_equal(route_for(t, r, "a.b.example.com", "/"), "all");
    assert_string_equal(route_for(t, r, "[10::10]", "/foo"), "v6");
    assert_string_equal(route_for(t, r, "[10::10]:8080", "/foo"), "v6");
    assert_string_equal(route_for(t, r, "127.0.0.1:80", "/foo"), "v4");
    assert_string_equal(route_for(t, r, "MY_APP.local", "/"), "under");
    assert_string_equal(route_for(t, r, "example.org", "/"), "dot");
    assert_string_equal(route_for(t, r, "example.org.", "/"), "dot");
    assert_string_equal(route_for(t, r, "example.net", "/"), "upper");

    /* as in Traefik, Host(`[::1]`) is compared with "::1": never */

    assert_string_equal(route_for(t, r, "[::1]", "/"), "all");

    /* Host(`*`): any host, none too */

    assert_string_equal(route_for(t, r, "localhost", "/"), "all");
    assert_string_equal(route_for(t, r, NULL, "/"), "all");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < n; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    /* what Traefik refuses, and a wildcard that is no "*." */

    assert_int_equal(ngx_http_swarm_rule_parse("Host(`\xf0\x9f\xa6\xad.com`)",
                                               14, &rules[0], err,
                                               sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    ngx_http_swarm_rule_free(&rules[0]);
    assert_int_equal(ngx_http_swarm_rule_parse("Host(``)", 8, &rules[0], err,
                                               sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    ngx_http_swarm_rule_free(&rules[0]);
    assert_int_equal(ngx_http_swarm_rule_parse("Host(`*x.com`)", 14,
                                               &rules[0], err, sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    ngx_http_swarm_rule_free(&rules[0]);

    /* native wildcards: any depth, beside Traefik's of one label */

    assert_int_equal(ngx_http_swarm_rule_native("*.example.com", NULL,
                                                &rules[0], err, sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(ngx_http_swarm_rule_parse("Host(`*.b.example.com`)", 23,
                                               &rules[1], err, sizeof(err)),
                     NGX_HTTP_SWARM_DONE);

    memset(r, 0, 2 * sizeof(ngx_http_swarm_route_t));
    r[0].name = "native";
    r[0].rule = &rules[0];
    r[0].priority = 50;
    r[0].has_priority = 1;
    r[1].name = "traefik";
    r[1].rule = &rules[1];
    r[1].priority = 23;
    r[1].has_priority = 1;

    t = ngx_http_swarm_routes_build(r, 2, NGX_HTTP_SWARM_ORDER_TRAEFIK, NULL);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "a.b.c.example.com", "/"), "native");
    assert_string_equal(route_for(t, r, "a.example.com", "/"), "native");
    assert_string_equal(route_for(t, r, "example.com", "/"), "404");
    ngx_http_swarm_routes_free(t);

    r[0].priority = 1;

    t = ngx_http_swarm_routes_build(r, 2, NGX_HTTP_SWARM_ORDER_TRAEFIK, NULL);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "a.b.example.com", "/"), "traefik");
    assert_string_equal(route_for(t, r, "x.a.b.example.com", "/"), "native");
    ngx_http_swarm_routes_free(t);

    ngx_http_swarm_rule_free(&rules[0]);
    ngx_http_swarm_rule_free(&rules[1]);
}


/*
 * The path Traefik routes by: pkg/muxer/http/mux_test.go:676
 * (TestRoutingPath) and pkg/server/server_entrypoint_tcp_test.go:426
 * (TestSanitizePath)
 */

static void
test_routes_path(void **state)
{
    size_t         i, n;
    unsigned char  out[64];

    static const char  *cases[][2] = {
        { "/foo%20bar", "/foo bar" },
        { "/foo%2Fbar", "/foo%2Fbar" },
        { "/foo%20bar%2Fbaz%23qux", "/foo bar%2Fbaz%23qux" },
        { "/foo%2fbar%7e", "/foo%2Fbar~" },
        { "/%2e%2e/a/%2E/b", "/a/b" },
        { "/a%2F..%2Fb", "/a%2F..%2Fb" },
        { "/b", "/b" },
        { "/b/", "/b/" },
        { "/../../b/", "/b/" },
        { "/../../b", "/b" },
        { "/a/b/..", "/a" },
        { "/a/b/../", "/a/" },
        { "/a/../../b", "/b" },
        { "/..///b///", "/b/" },
        { "/a/../b", "/b" },
        { "/a/./b", "/a/b" },
        { "/a//b", "/a/b" },
        { "/a/../c/../b", "/b" },
        { "/a/../../../c/../b", "/b" },
        { "/a/../c/../../b", "/b" },
        { "/a/..//c/.././b", "/b" },
        { "/", "/" },
        { "/..", "/" },
        { "/%", "/%" },
        { "/%zz%4", "/%zz%4" },
        { "/%00", "/%00" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        n = ngx_http_swarm_routes_path((const unsigned char *) cases[i][0],
                                       strlen(cases[i][0]), out);
        assert_true(n <= strlen(cases[i][0]));
        out[n] = '\0';
        assert_string_equal((char *) out, cases[i][1]);
    }
}


/*
 * A request for the test of conditions: its method and one header; the
 * conditions tested, counted
 */

typedef struct {
    const char  *method;
    const char  *header;
    const char  *value;
    unsigned     tested;
} fake_request_t;


static int
fake_test(void *data, const ngx_http_swarm_rule_t *rule,
    const ngx_http_swarm_cond_t *c, const char *host, size_t hlen,
    const char *path, size_t plen)
{
    fake_request_t  *fr = data;

    (void) host;
    (void) hlen;
    (void) path;
    (void) plen;

    fr->tested++;

    switch (c->type) {

    case NGX_HTTP_SWARM_COND_METHOD:
        return strcmp(fr->method, rule->values[c->value]) == 0;

    case NGX_HTTP_SWARM_COND_HEADER:
        return fr->header && strcmp(fr->header, c->name) == 0
               && strcmp(fr->value, rule->values[c->value]) == 0;
    }

    return 0;
}


static const char *
route_if(ngx_http_swarm_routes_t *t, ngx_http_swarm_route_t *r,
    const char *host, const char *path, fake_request_t *fr)
{
    long                   k;
    ngx_http_swarm_test_t  test;

    test.test = fake_test;
    test.data = fr;
    fr->tested = 0;

    k = ngx_http_swarm_routes_find(t, host, strlen(host), path, strlen(path),
                                   &test);

    return k < 0 ? "404" : r[k].name;
}


/*
 * Matches with conditions: those of hosts and paths tested here, the
 * others by the caller's test, and only where the match could win
 */

static void
test_routes_conditions(void **state)
{
    size_t                    i;
    report_log_t              log;
    fake_request_t            fr;
    ngx_http_swarm_rule_t     rules[6];
    ngx_http_swarm_route_t    r[6];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "admin", NONE, "Host(`a.test`) && PathPrefix(`/admin`) && "
                         "Header(`X-Admin`, `1`)" },
        { "notadmin", NONE, "Host(`a.test`) && !PathPrefix(`/admin`)" },
        { "post", NONE, "Method(`POST`) && Host(`*.test`, `b.org`)" },
        { "wild", NONE, "Host(`x.test`) && Host(`*.test`)" },
        { "last", 1, "PathPrefix(`/`)" },
        { "top", 100, "Host(`top.test`)" },
    };

    (void) state;

    memset(&fr, 0, sizeof(fake_request_t));
    fr.method = "GET";

    t = routes(defs, 6, NGX_HTTP_SWARM_ORDER_TRAEFIK, r, rules, &log);
    assert_non_null(t);

    /* no tie reported: the matches differ by their conditions */

    assert_int_equal(log.calls, 0);

    assert_string_equal(route_if(t, r, "a.test", "/admin/x", &fr), "last");
    assert_int_equal(fr.tested, 2);

    fr.header = "X-Admin";
    fr.value = "1";
    assert_string_equal(route_if(t, r, "a.test", "/admin/x", &fr), "admin");
    assert_string_equal(route_if(t, r, "A.test:8080", "/other", &fr),
                        "notadmin");

    /* the method: tested only where "post" could come first */

    assert_string_equal(route_if(t, r, "c.test", "/", &fr), "last");
    fr.method = "POST";
    assert_string_equal(route_if(t, r, "c.test", "/", &fr), "post");
    assert_string_equal(route_if(t, r, "b.org", "/", &fr), "post");
    assert_string_equal(route_if(t, r, "d.e.test", "/", &fr), "last");

    /* two host sets: both must match */

    fr.method = "GET";
    assert_string_equal(route_if(t, r, "x.test", "/", &fr), "wild");
    assert_string_equal(route_if(t, r, "y.test", "/", &fr), "last");

    /*
     * "post" (41) could come before "notadmin" (39): tried; not after
     * "top" (100)
     */

    assert_string_equal(route_if(t, r, "a.test", "/x", &fr), "notadmin");
    assert_int_equal(fr.tested, 1);

    fr.method = "POST";
    assert_string_equal(route_if(t, r, "top.test", "/", &fr), "top");
    assert_int_equal(fr.tested, 0);

    /* without a test, a condition of the request is not met */

    assert_string_equal(route_for(t, r, "a.test", "/admin"), "last");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 6; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_routes_ties),
        cmocka_unit_test(test_routes_traefik),
        cmocka_unit_test(test_routes_traefik_priority),
        cmocka_unit_test(test_routes_hosts),
        cmocka_unit_test(test_routes_path),
        cmocka_unit_test(test_routes_conditions),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
