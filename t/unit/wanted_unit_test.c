
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_wanted.c: the names a
 * certificate may be ordered for with the HTTP-01 challenge, and the
 * certificates routes ask for.
 */


#include "unit_test.h"


#define S(s)  s, sizeof(s) - 1


static void
test_names(void **state)
{
    char     err[256];
    size_t   i;

    static const char  *bad[] = { "a..test", "a-.test", "-a.test",
                                  "a.test.", "A.test", "a_b.test", "" };

    (void) state;

    assert_int_equal(ngx_http_swarm_wanted_name("a.test", err, 256), 0);
    assert_int_equal(ngx_http_swarm_wanted_name("x-1.b2.example.com", err,
                                                256), 0);

    assert_int_equal(ngx_http_swarm_wanted_name("*.a.test", err, 256), -1);
    assert_string_equal(err, "a wildcard needs the DNS-01 challenge, "
                        "which is not run here");

    assert_int_equal(ngx_http_swarm_wanted_name("10.0.0.1", err, 256), -1);
    assert_string_equal(err, "an IP address");

    assert_int_equal(ngx_http_swarm_wanted_name("localhost", err, 256), -1);
    assert_string_equal(err, "not a host name a certificate can be "
                        "ordered for");

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(ngx_http_swarm_wanted_name(bad[i], err, 256), -1);
    }
}


/* the certificates routes ask for, and the names left out, reported */

static void
test_wanted(void **state)
{
    char                      err[256];
    json_t                   *w;
    report_log_t              log;
    ngx_http_swarm_routed_t   rt[4];
    ngx_http_swarm_report_t   report = { report_handler, &log };

    (void) state;

    memset(rt, 0, sizeof(rt));
    memset(&log, 0, sizeof(log));

    assert_int_equal(ngx_http_swarm_rule_parse(S(
        "Host(`A.test`) || (Host(`www.a.test`) && Path(`/x`))"
        " || Host(`a.test`) || Host(`*.a.test`)"),
        &rt[0].spec.rule, err, sizeof(err)), 0);
    strcpy(rt[0].spec.certresolver, "le");
    strcpy(rt[0].spec.router, "a");
    strcpy(rt[0].service, "app");

    /* tls.domains before the rule's; the same first name again: ignored */

    assert_int_equal(ngx_http_swarm_rule_parse(S("Host(`b.test`)"),
                     &rt[1].spec.rule, err, sizeof(err)), 0);
    strcpy(rt[1].spec.certresolver, "other");
    strcpy(rt[1].spec.domains, "a.test,10.0.0.1,c.test");

    /* no resolver; dropped; no name left */

    assert_int_equal(ngx_http_swarm_rule_parse(S("Host(`d.test`)"),
                     &rt[2].spec.rule, err, sizeof(err)), 0);
    rt[3] = rt[2];
    rt[3].dropped = 1;
    strcpy(rt[3].spec.certresolver, "le");

    w = ngx_http_swarm_wanted(rt, 4, &report);
    assert_int_equal(json_object_size(w), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(w, "a.test"), "resolver")), "le");
    assert_int_equal(json_array_size(json_object_get(
                            json_object_get(w, "a.test"), "names")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(
                            json_object_get(w, "a.test"), "names"), 1)),
                        "www.a.test");
    assert_int_equal(log.calls, 2);
    assert_string_equal(log.msg, "no certificate for \"10.0.0.1\": an IP "
                        "address; the server's own is served");
    json_decref(w);

    memset(&log, 0, sizeof(log));
    rt[1].spec.domains[0] = '\0';
    rt[1].spec.rule.nhosts = 0;
    w = ngx_http_swarm_wanted(&rt[1], 1, &report);
    assert_int_equal(json_object_size(w), 0);
    assert_string_equal(log.msg, "no certificate from \"other\": no host "
                        "name to order one for");
    json_decref(w);

    memset(&log, 0, sizeof(log));
    w = ngx_http_swarm_wanted(rt, 1, &report);
    assert_string_equal(log.msg, "router \"a\": no certificate for "
                        "\"*.a.test\": a wildcard needs the DNS-01 "
                        "challenge, which is not run here; the server's own "
                        "is served");
    json_decref(w);

    rt[1].spec.rule.nhosts = 1;
    ngx_http_swarm_rule_free(&rt[0].spec.rule);
    ngx_http_swarm_rule_free(&rt[1].spec.rule);
    ngx_http_swarm_rule_free(&rt[2].spec.rule);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_wanted),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
