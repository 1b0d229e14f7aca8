
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_array.c: a JSON array answer
 * read an element at a time.
 */


#include "unit_test.h"


static void
test_array_framing(void **state)
{
    char                     err[256];
    const char              *elem;
    ngx_http_swarm_array_t   a;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { NULL, NULL, "web", NULL, 80, 0, 0, 0,
                                       0, NULL, 0, NULL, NULL, NULL, NULL };

    (void) state;

    /* brackets, braces, commas and escaped quotes inside strings */

    memset(&svcs, 0, sizeof(svcs));
    elem = " [ {\"ID\":\"a]\\\"}[,\",\"Spec\":{\"Name\":\"web\"}} ,\n"
           "{\"ID\":\"b\",\"Spec\":{\"Name\":\"web\",\"Labels\":"
           "{\"x\":\"{{\"}}}, 1, \"s]\", null, [[]] ]\r\n";
    ngx_http_swarm_array_init(&a, elem, strlen(elem));
    assert_int_equal(ngx_http_swarm_services_read(&a, &sel, &svcs, NULL, 1,
                                                  err, sizeof(err)),
                     1);
    assert_int_equal(svcs.n, 1);
    assert_string_equal(svcs.services[0].id, "a]\"}[,");
    assert_int_equal(ngx_http_swarm_services_read(&a, &sel, &svcs, NULL, 100,
                                                  err, sizeof(err)),
                     0);
    assert_int_equal(svcs.n, 2);
    assert_string_equal(svcs.services[1].id, "b");
    ngx_http_swarm_services_free(&svcs);

    assert_int_equal(tasks_rc("[]", err, sizeof(err)), 0);
    assert_int_equal(tasks_rc(" [ ] ", err, sizeof(err)), 0);
    assert_int_equal(tasks_rc("[{}, {\"a\":[1,{\"b\":\"]\"}]}]", err,
                              sizeof(err)),
                     0);

    /* each broken array is an error, and the error says where */

    assert_int_equal(tasks_rc("[1,]", err, sizeof(err)), -1);
    assert_string_equal(err, "invalid JSON in tasks: value expected at "
                             "offset 3");
    assert_int_equal(tasks_rc("[,1]", err, sizeof(err)), -1);
    assert_int_equal(tasks_rc("[1 2]", err, sizeof(err)), -1);
    assert_string_equal(err, "invalid JSON in tasks: ',' or ']' expected "
                             "at offset 3");
    assert_int_equal(tasks_rc("[1}", err, sizeof(err)), -1);
    assert_int_equal(tasks_rc("[{\"a\":\"]}", err, sizeof(err)), -1);
    assert_string_equal(err, "invalid JSON in tasks: unexpected end of "
                             "answer at offset 9");
    assert_int_equal(tasks_rc("[\"\\", err, sizeof(err)), -1);
    assert_int_equal(tasks_rc("[{]}]", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid JSON in tasks"));
    assert_int_equal(tasks_rc("[{\"a\":tru}]", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "near 'tru' at offset 9"));
    assert_int_equal(tasks_rc("[] []", err, sizeof(err)), -1);
    assert_string_equal(err, "invalid JSON in tasks: end of answer "
                             "expected at offset 3");
    assert_int_equal(tasks_rc("[1", err, sizeof(err)), -1);
    assert_int_equal(tasks_rc("[", err, sizeof(err)), -1);
    assert_int_equal(tasks_rc("{\"a\":1}", err, sizeof(err)), -1);
    assert_string_equal(err, "tasks answer is not a JSON array");
    assert_int_equal(tasks_rc("nul", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid JSON in tasks"));
}


/*
 * An element larger than a scan step is found over several calls, and
 * the next one after it.
 */

static void
test_array_large_element(void **state)
{
    int                      rc;
    char                     err[256], *json;
    size_t                   i, n, calls;
    ngx_http_swarm_array_t   a;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { NULL, NULL, "web", NULL, 80, 0, 0, 0,
                                       0, NULL, 0, NULL, NULL, NULL, NULL };

    (void) state;

    n = 3 * NGX_HTTP_SWARM_SCAN_STEP;
    json = malloc(n + 128);
    assert_non_null(json);

    i = (size_t) sprintf(json, "[{\"ID\":\"big\",\"Spec\":{\"Name\":\"web\"},"
                                "\"X\":[");
    while (i < n) {
        memcpy(json + i, "{},", 3);
        i += 3;
    }
    i += (size_t) sprintf(json + i, "{}]},{\"ID\":\"b\",\"Spec\":"
                                     "{\"Name\":\"web\"}}]");

    memset(&svcs, 0, sizeof(svcs));
    ngx_http_swarm_array_init(&a, json, i);

    calls = 0;
    do {
        rc = ngx_http_swarm_services_read(&a, &sel, &svcs, NULL, 1, err,
                                          sizeof(err));
        calls++;
    } while (rc == 1);

    /* the large one, over what a service may take, is skipped */

    assert_int_equal(rc, 0);
    assert_true(calls >= 4);
    assert_int_equal(svcs.n, 1);
    assert_string_equal(svcs.services[0].id, "b");

    ngx_http_swarm_services_free(&svcs);
    free(json);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_array_framing),
        cmocka_unit_test(test_array_large_element),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
