
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_matches.c: the matches of a
 * rule as JSON, as the workers get them, read back and checked.
 */


#include "unit_test.h"


/* a rule as the workers get it: the same rule back, checked again */

static void
test_matches_json(void **state)
{
    char                    err[256];
    json_t                 *json, *back, *bad;
    json_error_t            jerr;
    ngx_http_swarm_rule_t   rule, again;
    const char             *s;

    (void) state;

    s = "(Host(`a.example.com`, `*.b.example.com`) && PathPrefix(`/p`)) "
        "|| Path(`/exact`)";

    assert_int_equal(ngx_http_swarm_rule_parse(s, strlen(s), &rule, err,
                                               sizeof(err)),
                     NGX_HTTP_SWARM_DONE);

    json = ngx_http_swarm_matches_json(&rule);
    assert_non_null(json);
    assert_int_equal(json_array_size(json), 2);

    assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                      sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(again.n, 2);
    assert_int_equal(again.matches[0].nhosts, 2);
    assert_string_equal(again.hosts[again.matches[0].host + 1],
                        "*.b.example.com");
    assert_string_equal(again.matches[0].path, "/p");
    assert_int_equal(again.matches[0].exact, 0);
    assert_int_equal(again.matches[1].nhosts, 0);
    assert_string_equal(again.matches[1].path, "/exact");
    assert_int_equal(again.matches[1].exact, 1);

    back = ngx_http_swarm_matches_json(&again);
    assert_true(json_equal(json, back));

    json_decref(back);
    json_decref(json);
    ngx_http_swarm_rule_free(&rule);
    ngx_http_swarm_rule_free(&again);

    /* conditions, negated, in any case, on a first value */

    s = "!Headers(`X`, `1`) && Host(`a`) && Method(`GET`) || "
        "HostRegexp(`{s:[a-z]+}.b`) && Query(`k=v`)";

    assert_int_equal(ngx_http_swarm_rule_parse_v2(s, strlen(s), &rule, err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_DONE);

    json = ngx_http_swarm_matches_json(&rule);
    assert_non_null(json);
    assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                      sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(again.n, 2);
    assert_int_equal(again.matches[0].nconds, 2);
    assert_int_equal(again.conds[again.matches[0].cond].negate, 1);
    assert_int_equal(again.conds[again.matches[1].cond].caseless, 1);
    assert_int_equal(again.conds[again.matches[1].cond + 1].first, 1);

    back = ngx_http_swarm_matches_json(&again);
    assert_true(json_equal(json, back));

    json_decref(back);
    json_decref(json);
    ngx_http_swarm_rule_free(&rule);
    ngx_http_swarm_rule_free(&again);

    /* a condition that is none, or whose values do not check */

    json = json_loads("[{\"hosts\": [], \"path\": \"/\", \"if\": "
                      "[{\"type\": \"Frob\", \"name\": \"\", "
                      "\"values\": []}]}]", 0, &jerr);
    assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                      sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(err, "condition 0 is no condition");
    ngx_http_swarm_rule_free(&again);
    json_decref(json);

    json = json_loads("[{\"hosts\": [], \"path\": \"/\", \"if\": "
                      "[{\"type\": \"PathRegexp\", \"name\": \"\", "
                      "\"values\": [\"(?<=a)\"]}]}]", 0, &jerr);
    assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                      sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    ngx_http_swarm_rule_free(&again);
    json_decref(json);

    /*
     * 129 hosts shared by two paths: 129 hosts read back, not 258 (over
     * the 256 a rule may have), and hosts shared by matches that are not
     * next to each other, as a cross of "or"s gives them
     */

    {
        char    big[4096], *p;
        size_t  i;

        p = big + sprintf(big, "Host(");
        for (i = 0; i < 129; i++) {
            p += sprintf(p, "%s`h%zu.example.com`", i ? "," : "", i);
        }
        sprintf(p, ") && (PathPrefix(`/a`) || PathPrefix(`/b`))");

        assert_int_equal(ngx_http_swarm_rule_parse(big, strlen(big), &rule,
                                                   err, sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(rule.nhosts, 129);

        json = ngx_http_swarm_matches_json(&rule);

        /* the names written once: the second match names the first */

        assert_int_equal(json_integer_value(
                             json_object_get(json_array_get(json, 1),
                                             "hosts_of")), 0);
        assert_null(json_object_get(json_array_get(json, 1), "hosts"));

        assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                          sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(again.n, 2);
        assert_int_equal(again.nhosts, 129);
        assert_int_equal(again.matches[1].host, again.matches[0].host);
        back = ngx_http_swarm_matches_json(&again);
        assert_true(json_equal(json, back));

        json_decref(back);
        json_decref(json);
        ngx_http_swarm_rule_free(&rule);
        ngx_http_swarm_rule_free(&again);

        s = "(PathPrefix(`/a`) || PathPrefix(`/b`)) "
            "&& (Host(`x.test`, `y.test`) || Host(`z.test`))";

        assert_int_equal(ngx_http_swarm_rule_parse(s, strlen(s), &rule, err,
                                                   sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        json = ngx_http_swarm_matches_json(&rule);
        assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                          sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(again.n, 4);
        assert_int_equal(again.nhosts, rule.nhosts);

        json_decref(json);
        ngx_http_swarm_rule_free(&rule);
        ngx_http_swarm_rule_free(&again);
    }

    /* what a rule cannot hold is refused, as a parsed rule's would be */

    const char *bads[] = {
        "[{\"hosts\": [\"bad host\"], \"path\": \"/\"}]",
        "[{\"hosts\": [], \"path\": \"nopath\"}]",
        "[{\"hosts\": [1], \"path\": \"/\"}]",
        "[{\"path\": \"/\"}]",
        "[{\"hosts_of\": 0, \"path\": \"/\"}]",
        "[{\"hosts\": [\"a.test\"], \"path\": \"/\"}, "
            "{\"hosts_of\": 1, \"path\": \"/b\"}]",
        "[{\"hosts\": [], \"path\": \"/\"}, "
            "{\"hosts_of\": 0, \"path\": \"/b\"}]",
        "[]",
        "{}",
    };

    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        bad = json_loads(bads[i], 0, &jerr);
        assert_non_null(bad);
        assert_int_equal(ngx_http_swarm_matches_from_json(bad, &again, err,
                                                          sizeof(err)),
                         NGX_HTTP_SWARM_FAILED);
        ngx_http_swarm_rule_free(&again);
        json_decref(bad);
    }
}


/*
 * Conditions copied by "&&" share their values in the rule and have
 * them each in its JSON: a rule that parses reads back (a rule fuzzer's
 * find), or does not parse
 */

static void
test_matches_bounds(void **state)
{
    int                     rc;
    char                    err[256], s[8192], *p;
    json_t                 *json;
    size_t                  i;
    ngx_http_swarm_rule_t   rule, again;

    (void) state;

    p = s + sprintf(s, "(");

    for (i = 0; i < 16; i++) {
        p += sprintf(p, "%sPath(`/%zu`)", i ? " || " : "", i);
    }

    p += sprintf(p, ") && ClientIP(");

    for (i = 0; i < 100; i++) {
        p += sprintf(p, "%s`10.0.%zu.1`", i ? ", " : "", i);
    }

    sprintf(p, ")");

    rc = ngx_http_swarm_rule_parse_v2(s, strlen(s), &rule, err, sizeof(err));

    if (rc == NGX_HTTP_SWARM_DONE) {
        json = ngx_http_swarm_matches_json(&rule);
        assert_int_equal(ngx_http_swarm_matches_from_json(json, &again, err,
                                                          sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        json_decref(json);
        ngx_http_swarm_rule_free(&again);
    }

    assert_int_equal(rc, NGX_HTTP_SWARM_FAILED);
    assert_string_equal(err, "rule gives over 1024 conditions");

    ngx_http_swarm_rule_free(&rule);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_matches_json),
        cmocka_unit_test(test_matches_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
