
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_template.c: Traefik's
 * defaultRule templates and its provider.Normalize().
 */


#include "unit_test.h"


/* pkg/provider/docker/config_test.go:21, TestDynConfBuilder_DefaultRule */

static void
test_template(void **state)
{
    char     err[256], buf[256];
    json_t  *labels;

    (void) state;

    /* templates: the three actions, and nothing else */

    assert_int_equal(ngx_http_swarm_template_make(
                         "Host(`{{normalize .Name}}.a`) || "
                         "Host(`{{  .Name  }}.b`)", "_x__y.z_", NULL, buf,
                         sizeof(buf), err, sizeof(err)),
                     strlen("Host(`x-y-z.a`) || Host(`x-y-z.b`)"));
    assert_string_equal(buf, "Host(`x-y-z.a`) || Host(`x-y-z.b`)");

    /* config_test.go:242, "invalid rule" */

    assert_int_equal(ngx_http_swarm_template_make("Host(\"{{ .Toto }}\")",
                                                    "a", NULL, NULL, 0, err,
                                                    sizeof(err)),
                     -1);
    assert_string_equal(err, "the action \"{{ .Toto }}\" is not one of "
                             "\"{{ .Name }}\", \"{{ normalize .Name }}\" and "
                             "\"{{ index .Labels \"KEY\" }}\"");
    assert_int_equal(ngx_http_swarm_template_make("Host(`{{ .Name`)", "a",
                                                    NULL, NULL, 0, err,
                                                    sizeof(err)),
                     -1);
    assert_int_equal(ngx_http_swarm_template_make(
                         "{{ index .Labels \"a\" \"b\" }}", "a", NULL, NULL,
                         0, err, sizeof(err)),
                     -1);
    assert_int_equal(ngx_http_swarm_template_make(
                         "{{ .Name | lower }}", "a", NULL, NULL, 0, err,
                         sizeof(err)),
                     -1);

    /* an index of the labels: the label, or nothing */

    labels = json_pack("{ss}", "traefik.domain", "example.com");
    assert_non_null(labels);
    assert_int_equal(ngx_http_swarm_template_make(
                         "{{ .Name }}.{{ index .Labels `traefik.domain` }}"
                         "{{ index .Labels \"none\" }}", "web", labels, buf,
                         sizeof(buf), err, sizeof(err)),
                     strlen("web.example.com"));
    assert_string_equal(buf, "web.example.com");
    json_decref(labels);
}


/* pkg/provider/configuration.go:126, Normalize */

static void
test_template_normalize(void **state)
{
    char  buf[64];

    (void) state;

    ngx_http_swarm_template_normalize("mystack_web", buf, sizeof(buf));
    assert_string_equal(buf, "mystack-web");
    ngx_http_swarm_template_normalize("__a..b--c__", buf, sizeof(buf));
    assert_string_equal(buf, "a-b-c");
    ngx_http_swarm_template_normalize("___", buf, sizeof(buf));
    assert_string_equal(buf, "");
    ngx_http_swarm_template_normalize("abcdef", buf, 4);
    assert_string_equal(buf, "ab");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_template_normalize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
