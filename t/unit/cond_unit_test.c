
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_cond.c: regular expressions
 * as Go's RE2 takes them, Traefik v1 and v2 templates, client addresses.
 */


#include "unit_test.h"


/* what PCRE has and RE2 has not; what both have */

static void
test_cond_re2(void **state)
{
    size_t       i;
    char         err[256];
    const char  *ok[] = {
        "^[a-z]+\\.example\\.com$", "(?i)^A", "(?P<n>x)", "(?<n>x)",
        "a*?b+?c??", "a{2}?", "x{2,}", "[\\]a]", "[[:alpha:]]+",
        "\\d\\s\\w\\pL\\p{Greek}\\x41\\Q(a)\\E", "a{", "{x:.+}",
        "(?i:a)(?-s:b)(?U)c", "\\.\\*\\(\\)", NULL
    };
    const char  *refused[][2] = {
        { "(a)\\1", "a backreference" },
        { "\\k<n>", "a backreference" },
        { "a(?=b)", "a lookahead" },
        { "a(?!b)", "a lookahead" },
        { "(?<=a)b", "a lookbehind" },
        { "(?<!a)b", "a lookbehind" },
        { "(?>a)", "an atomic group" },
        { "a++", "a possessive quantifier" },
        { "a**", "a repeated quantifier" },
        { "a{2}{3}", "a repeated quantifier" },
        { "(?(1)a|b)", "a condition" },
        { "(?R)", "a group RE2 has not" },
        { "(?#c)", "a group RE2 has not" },
        { "\\Ka", "an escape RE2 has not" },
        { "a\\Z", "an escape RE2 has not" },
        { NULL, NULL }
    };

    (void) state;

    for (i = 0; ok[i]; i++) {
        if (ngx_http_swarm_cond_re2(ok[i], err, sizeof(err))
            != NGX_HTTP_SWARM_DONE)
        {
            fail_msg("\"%s\" refused: %s", ok[i], err);
        }
    }

    for (i = 0; refused[i][0]; i++) {
        assert_int_equal(ngx_http_swarm_cond_re2(refused[i][0], err,
                                                 sizeof(err)),
                         NGX_HTTP_SWARM_FAILED);

        if (strstr(err, refused[i][1]) == NULL) {
            fail_msg("\"%s\": %s", refused[i][0], err);
        }
    }
}


/* gorilla/mux's templates (Traefik v1 and v2) */

static void
test_cond_template(void **state)
{
    char  buf[128], err[256];

    (void) state;

    assert_int_equal(ngx_http_swarm_cond_template("{sub:[a-z]+}.example.com",
                                                  'h', 0, buf, sizeof(buf),
                                                  err, sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(buf, "^(?:[a-z]+)\\.example\\.com$");

    assert_int_equal(ngx_http_swarm_cond_template("{a}.{b}", 'h', 0, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(buf, "^(?:[^.]+)\\.(?:[^.]+)$");

    assert_int_equal(ngx_http_swarm_cond_template("/u/{id}/x+", 'p', 1, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(buf, "^/u/(?:[^/]+)/x\\+");

    assert_int_equal(ngx_http_swarm_cond_template("{v:[0-9]{1,3}}", 'q', 0,
                                                  buf, sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(buf, "^(?:[0-9]{1,3})$");

    assert_int_equal(ngx_http_swarm_cond_template("{v}", 'q', 0, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(buf, "^(?:.*)$");

    assert_int_equal(ngx_http_swarm_cond_template("a}", 'h', 0, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(err, "unbalanced braces in \"a}\"");

    assert_int_equal(ngx_http_swarm_cond_template("{x:}", 'h', 0, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);

    assert_int_equal(ngx_http_swarm_cond_template("{x:(?=a)}", 'h', 0, buf,
                                                  sizeof(buf), err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);

    assert_int_equal(ngx_http_swarm_cond_template("{x:aaaaaaaaaaaaaaa}", 'h',
                                                  0, buf, 16, err,
                                                  sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
}


/* addresses and networks as Traefik's ClientIP takes them */

static void
test_cond_address(void **state)
{
    (void) state;

    assert_true(ngx_http_swarm_cond_address("10.0.0.1"));
    assert_true(ngx_http_swarm_cond_address("10.0.0.0/8"));
    assert_true(ngx_http_swarm_cond_address("10.1.2.3/8"));
    assert_true(ngx_http_swarm_cond_address("::1"));
    assert_true(ngx_http_swarm_cond_address("2001:db8::/32"));
    assert_true(ngx_http_swarm_cond_address("0.0.0.0/0"));

    assert_false(ngx_http_swarm_cond_address(""));
    assert_false(ngx_http_swarm_cond_address("10.0.0.256"));
    assert_false(ngx_http_swarm_cond_address("10.0.0.0/33"));
    assert_false(ngx_http_swarm_cond_address("::1/129"));
    assert_false(ngx_http_swarm_cond_address("10.0.0.0/"));
    assert_false(ngx_http_swarm_cond_address("10.0.0.0/8x"));
    assert_false(ngx_http_swarm_cond_address("example.com"));

    assert_string_equal(ngx_http_swarm_cond_name(NGX_HTTP_SWARM_COND_QUERY),
                        "Query");
    assert_int_equal(ngx_http_swarm_cond_type("ClientIP"),
                     NGX_HTTP_SWARM_COND_CLIENT_IP);
    assert_int_equal(ngx_http_swarm_cond_type("clientip"), -1);
    assert_null(ngx_http_swarm_cond_name(NGX_HTTP_SWARM_COND_TYPES));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_cond_re2),
        cmocka_unit_test(test_cond_template),
        cmocka_unit_test(test_cond_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
