
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_rule.c: routing rules:
 * Traefik's v1 and v2/v3 forms, the native labels, and their JSON.
 */


#include "unit_test.h"


static void
test_rule(void **state)
{
    char                   out[1024], big[4097];
    ngx_http_swarm_rule_t  r;

    (void) state;

    /* Traefik v2 and v3 */

    assert_int_equal(rule(3, "Host(`a.example.com`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a.example.com /");

    assert_int_equal(rule(3, "Host(`A.Example.com`, \"www.example.com\") "
                             "&& PathPrefix(`/api`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a.example.com,www.example.com /api");

    assert_int_equal(rule(3, "host(`a`) && (Path(`/x`) || PATHPREFIX(`/y`, "
                             "`/z`))", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a =/x | a /y | a /z");

    assert_int_equal(rule(3, "(Host(`a`) || Host(`*.b.org.`)) && "
                             "PathPrefix(`/p`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a /p | *.b.org /p");

    assert_int_equal(rule(3, "PathPrefix(`/`) || HostHeader(`c`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / | c /");

    assert_int_equal(rule(3, "  Path(\"/a\\\"b\")  ", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* =/a\"b");

    /*
     * matcher names as Traefik's parser takes them: as written, lower,
     * upper and title case (pkg/rules/parser.go:43), no other way
     */

    assert_int_equal(rule(3, "pathprefix(`/a`) || PATHPREFIX(`/b`) || "
                             "Pathprefix(`/c`) || Hostheader(`h`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* /a | * /b | * /c | h /");
    assert_int_equal(rule(3, "pathPrefix(`/a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unknown matcher \"pathPrefix\"");
    assert_int_equal(rule(3, "HOST(`a`) && PATH(`/a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(rule(3, "hOST(`a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);

    /* two paths joined by "&&": what both match (issue #21) */

    assert_int_equal(rule(3, "PathPrefix(`/api`) && PathPrefix(`/api/v2`)",
                          out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* /api/v2");
    assert_int_equal(rule(3, "Host(`h`) && PathPrefix(`/a/b`) && "
                             "PathPrefix(`/a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "h /a/b");
    assert_int_equal(rule(3, "Path(`/api/x`) && PathPrefix(`/api`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* =/api/x");
    assert_int_equal(rule(3, "PathPrefix(`/api`) && Path(`/api`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* =/api");
    assert_int_equal(rule(3, "(PathPrefix(`/a`) && PathPrefix(`/b`)) || "
                             "Host(`x`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "x /");
    assert_int_equal(rule(3, "PathPrefix(`/a`) && Path(`/b`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "the rule matches no request (its paths "
                             "joined by \"&&\" exclude each other)");
    assert_int_equal(rule(3, "Path(`/a`) && Path(`/a/`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);

    /*
     * the rest of Traefik's matchers: conditions (pkg/muxer/http/
     * matcher.go; matcher_test.go's cases)
     */

    assert_int_equal(rule(3, "HostRegexp(`^[a-z]+\\.example\\.com$`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [HostRegexp(^[a-z]+\\.example\\.com$)]");
    assert_int_equal(rule(3, "Host(`a`) && Method(`get`) && "
                             "Header(`X-A`, `1`) && HeaderRegexp(`X-B`, "
                             "`^v[0-9]$`) && Query(`q`) && "
                             "QueryRegexp(`r`, `^x`) && ClientIP(`10.0.0.0/8`)"
                             " && PathRegexp(`^/api/v[12]/`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a / [Method(GET) Header(X-A:1) "
                             "HeaderRegexp(X-B:^v[0-9]$) Query(q:) "
                             "QueryRegexp(r:^x) ClientIP(10.0.0.0/8) "
                             "PathRegexp(^/api/v[12]/)]");
    assert_int_equal(rule(3, "Query(`q`, `1`) || QueryRegexp(`q`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [Query(q:1)] | * / [Query(q:)]");

    /* "!": pushed down to each part, and across "||" and "&&" */

    assert_int_equal(rule(3, "Host(`a`) && !Path(`/x`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a / [!Path(/x)]");
    assert_int_equal(rule(3, "!(Host(`a`) && PathPrefix(`/p`))", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [!Host(a)] | * / [!PathPrefix(/p)]");
    assert_int_equal(rule(3, "!(Method(`GET`) || Header(`X`, `1`))", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [!Method(GET) !Header(X:1)]");
    assert_int_equal(rule(3, "!!Method(`GET`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [Method(GET)]");
    assert_int_equal(rule(3, "!PathPrefix(`/`) && Host(`a`) || Host(`b`)",
                          out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a / [!PathPrefix(/)] | b /");

    /* two host sets: the second a condition */

    assert_int_equal(rule(3, "Host(`a`) && Host(`b`, `*.c`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a / [Host(b,*.c)]");

    /* matchers of one syntax, not the other, and their arity */

    assert_int_equal(rule(3, "Host(`a`) && Headers(`X`, `y`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Headers\" is Traefik v2's, not v3's "
                             "(ruleSyntax=v2)");
    assert_int_equal(rule(2, "Header(`X`, `y`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Header\" is Traefik v3's, not v2's");
    assert_int_equal(rule(3, "Method(`GET`, `POST`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Method\" takes 1 value, not 2");
    assert_int_equal(rule(3, "Header(`X`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Header\" takes 2 values, not 1");
    assert_int_equal(rule(3, "HostSNI(`a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unknown matcher \"HostSNI\"");

    /* v2 (ruleSyntax=v2): gorilla/mux's forms */

    assert_int_equal(rule(2, "HostRegexp(`{sub:[a-z]+}.example.com`, "
                             "`a.{x}`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [HostRegexp(^(?:[a-z]+)\\.example\\.com$|"
                             "^a\\.(?:[^.]+)$)/i]");
    assert_int_equal(rule(2, "Method(`get`, `POST`) && Headers(`X`, `1`, "
                             "`Y`, `2`) && HeadersRegexp(`Z`, `^a`) && "
                             "Query(`k=v`, `n=`, `id={id:[0-9]+}`) && "
                             "ClientIP(`10.0.0.1`, `::1/128`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [Method(GET,POST) Header(X:1) Header(Y:2) "
                             "HeaderRegexp(Z:^a) Query(k:v)/1 Query(n:)/1 "
                             "QueryRegexp(id:^(?:[0-9]+)$)/1 "
                             "ClientIP(10.0.0.1,::1/128)]");
    assert_int_equal(rule(2, "PathPrefix(`/u/{id:[0-9]+}`) || Path(`/a`)",
                          out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [PathRegexp(^/u/(?:[0-9]+))] | * =/a");
    assert_int_equal(rule(2, "Query(`k`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "query \"k\" is no \"key=value\"");
    assert_int_equal(rule(2, "Headers(`X`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "HostRegexp(`{x:[a-z]+`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unbalanced braces in \"{x:[a-z]+\"");

    /* v1 (pkg/rules/rules.go) */

    assert_int_equal(rule(1, "HostRegexp:{s:[a-z]+}.b.com;Method:GET,PUT;"
                             "Headers:X,1;Query:k=v", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [HostRegexp(^(?:[a-z]+)\\.b\\.com$)/i "
                             "Method(GET,PUT) Header(X:1) Query(k:v)/1]");
    assert_int_equal(rule(1, "PathPrefixStrip:/api", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "\"PathPrefixStrip\" changes the path: a "
                             "middleware, not run here");

    /* what Go's RE2 refuses, and values Traefik refuses */

    assert_int_equal(rule(3, "PathRegexp(`^/(a)\\1`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "PathRegexp: regular expression \"^/(a)\\1\" "
                             "has a backreference, which Go's RE2 refuses");
    assert_int_equal(rule(3, "HostRegexp(`^a(?=b)`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "HeaderRegexp(`X`, `a++`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "HostRegexp(`^\xc3\xa9$`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "ClientIP(`10.0.0.300`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "invalid ClientIP \"10.0.0.300\"");
    assert_int_equal(rule(3, "ClientIP(`10.0.0.0/33`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "Method(``)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Method\" given an empty value");
    assert_int_equal(rule(3, "Header(`X`, ``)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "Query(``, `a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "Headers(`Y`, ``)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(1, "Headers:Y,", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / [Header(Y:)]");

    assert_int_equal(rule(3, "Frob(`a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unknown matcher \"Frob\"");

    assert_int_equal(rule(3, "Host(`a`", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "Host(`a)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unterminated value at offset 5");
    assert_int_equal(rule(3, "Host(`a b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "Host(`a..`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);

    /* any ASCII, as Traefik compares it with the request's host */

    assert_int_equal(rule(3, "Host(`a..b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a..b /");
    assert_int_equal(rule(3, "Host(`A_b:80`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a_b:80 /");
    assert_int_equal(rule(3, "Host(`*`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* /");
    assert_int_equal(rule(3, "PathPrefix(`api`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "path \"api\" does not start with \"/\"");
    assert_int_equal(rule(3, "Host(`a`) Host(`b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(3, "", out, sizeof(out)), NGX_HTTP_SWARM_FAILED);
    memset(big, ' ', sizeof(big));
    memcpy(big, "Host(`a`)", 9);
    assert_int_equal(ngx_http_swarm_rule_parse(big, 4096, &r, out, 64),
                     NGX_HTTP_SWARM_DONE);
    ngx_http_swarm_rule_free(&r);
    assert_int_equal(ngx_http_swarm_rule_parse(big, 4097, &r, out, 64),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "rule over 4096 bytes");
    ngx_http_swarm_rule_free(&r);
    assert_int_equal(ngx_http_swarm_rule_parse_v1(big, 4097, &r, out, 64),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "rule over 4096 bytes");
    ngx_http_swarm_rule_free(&r);
    assert_int_equal(rule(3, "((((((((((((((((((Host(`a`)))))))))))))))))",
                          out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "parentheses nested over 16 deep");

    /* 8 paths by 9 hosts are over the bound */

    assert_int_equal(rule(3, "PathPrefix(`/1`,`/2`,`/3`,`/4`,`/5`,`/6`,`/7`,"
                             "`/8`) && (Host(`a`) || Host(`b`) || Host(`c`) "
                             "|| Host(`d`) || Host(`e`) || Host(`f`) || "
                             "Host(`g`) || Host(`h`) || Host(`i`))", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "rule gives over 64 matches");

    /* Traefik v1, as in its Swarm walkthrough */

    assert_int_equal(rule(1, "Host:a.example.com, b.example.com", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a.example.com,b.example.com /");

    assert_int_equal(rule(1, "Host:a;PathPrefix:/x,/y", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a /x | a /y");

    assert_int_equal(rule(1, "Path: /exact", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* =/exact");

    assert_int_equal(rule(1, "Host:a;Host:b", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a / [Host(b)]");
    assert_int_equal(rule(1, "Host:", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(1, "", out, sizeof(out)), NGX_HTTP_SWARM_FAILED);
}


static void
test_rule_native(void **state)
{
    char                   err[256];
    ngx_http_swarm_rule_t  r;

    (void) state;

    /* a zero byte is no part of a name: "a\0b" is not "a" */

    assert_int_equal(ngx_http_swarm_rule_parse("Host(`a\0b`)", 11, &r, err,
                                               sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(err, "a zero byte in a value at offset 7");
    ngx_http_swarm_rule_free(&r);

    assert_int_equal(ngx_http_swarm_rule_native("a.example.com, *.b.com",
                                                NULL, &r, err, sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(r.n, 1);
    assert_int_equal(r.matches[0].nhosts, 2);
    assert_string_equal(r.hosts[1], "*.b.com");
    assert_string_equal(r.matches[0].path, "/");
    ngx_http_swarm_rule_free(&r);

    assert_int_equal(ngx_http_swarm_rule_native(NULL, "/api", &r, err,
                                                sizeof(err)),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(r.matches[0].nhosts, 0);
    assert_string_equal(r.matches[0].path, "/api");
    assert_int_equal(r.matches[0].exact, 0);
    ngx_http_swarm_rule_free(&r);

    assert_int_equal(ngx_http_swarm_rule_native(NULL, NULL, &r, err,
                                                sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(err, "no swarm.http.host or swarm.http.path label");
    ngx_http_swarm_rule_free(&r);

    assert_int_equal(ngx_http_swarm_rule_native("a,,b", NULL, &r, err,
                                                sizeof(err)),
                     NGX_HTTP_SWARM_FAILED);
    ngx_http_swarm_rule_free(&r);
}


/* the Traefik rule that native labels stand for, and its length */

static void
test_rule_native_text(void **state)
{
    char                   err[256], text[256], small[8];
    size_t                 i;
    ngx_http_swarm_rule_t  r;

    static const struct {
        const char        *hosts;
        const char        *path;
        const char        *text;
    } cases[] = {
        { "a.example.com", NULL, "Host(`a.example.com`)" },
        { "a.example.com", "/api",
          "Host(`a.example.com`) && PathPrefix(`/api`)" },
        { "A.test, *.b.com", NULL,
          "Host(`a.test`) || HostRegexp(`^.+\\.b\\.com$`)" },
        { "a.test,b.test", "/x",
          "(Host(`a.test`) || Host(`b.test`)) && PathPrefix(`/x`)" },
        { NULL, "/", "PathPrefix(`/`)" },
        { NULL, "/api", "PathPrefix(`/api`)" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ngx_http_swarm_rule_native(cases[i].hosts,
                                                    cases[i].path, &r, err,
                                                    sizeof(err)),
                         NGX_HTTP_SWARM_DONE);

        assert_int_equal(ngx_http_swarm_rule_native_text(&r, text,
                                                         sizeof(text)),
                         strlen(cases[i].text));
        assert_string_equal(text, cases[i].text);

        /* counted whole where the buffer is short, or absent */

        assert_int_equal(ngx_http_swarm_rule_native_text(&r, small,
                                                         sizeof(small)),
                         strlen(cases[i].text));
        assert_int_equal(strlen(small), sizeof(small) - 1);
        assert_int_equal(ngx_http_swarm_rule_native_text(&r, NULL, 0),
                         strlen(cases[i].text));

        ngx_http_swarm_rule_free(&r);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_rule_native),
        cmocka_unit_test(test_rule_native_text),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
