
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
                                   strlen(path));

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
        { "blog", -1, "Host(`blog.example.com`)" },
        { "api", -1, "PathPrefix(`/api`)" },
        { "shop", -1, "Host(`*.example.com`) && PathPrefix(`/shop`)" },
        { "deep", -1, "Host(`*.eu.example.com`)" },
        { "login", -1, "Host(`blog.example.com`) && PathPrefix(`/login`)" },
        { "exact", -1, "Host(`blog.example.com`) && Path(`/login`)" },
        { "admin", 10, "PathPrefix(`/admin`)" },
        { "www", -1, "Host(`www.example.com`) && PathPrefix(`/w`)" },
    };

    (void) state;

    n = sizeof(defs) / sizeof(defs[0]);
    t = routes(defs, n, r, rules, &log);
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

    /* wildcards: any name below, the longer suffix first, not the name */

    assert_string_equal(route_for(t, r, "a.example.com", "/shop/1"), "shop");
    assert_string_equal(route_for(t, r, "a.b.example.com", "/shop"), "shop");
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

    /* what is no host name gets the routes for any host only */

    assert_string_equal(route_for(t, r, "*.example.com", "/shop"), "404");
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
        { "b", -1, "Host(`x.org`)" },
        { "a", -1, "Host(`X.org`) && PathPrefix(`/`)" },
    };

    static const route_def_t  ba[] = {
        { "a", -1, "Host(`x.org`)" },
        { "b", -1, "Host(`x.org`)" },
    };

    (void) state;

    /* the same host and path: the service name decides, in any order */

    t = routes(ab, 2, r, rules, &log);
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

    t = routes(ba, 2, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "x.org", "/"), "a");
    assert_int_equal(log.calls, 1);
    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    /* no route at all */

    t = ngx_http_swarm_routes_build(NULL, 0, NULL);
    assert_non_null(t);
    assert_int_equal(ngx_http_swarm_routes_find(t, "a", 1, "/", 1), -1);
    ngx_http_swarm_routes_free(t);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_routes_ties),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
