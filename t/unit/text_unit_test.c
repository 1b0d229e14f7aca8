
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_text.c: text cut on character
 * boundaries and escaped for the log.
 */


#include "unit_test.h"


/* a cut never splits a character; an escape never starts a line */

static void
test_text(void **state)
{
    u_char        buf[64];
    json_t        *j;
    const u_char  *e = (const u_char *) "a\xc3\xa9\xc3\xa9\xe2\x82\xac!";

    (void) state;

    /* as JSON: UTF-8 as it is, a character cut in two as "?" */

    j = ngx_http_swarm_text_json((const char *) e, 9);
    assert_string_equal(json_string_value(j), (const char *) e);
    json_decref(j);

    j = ngx_http_swarm_text_json((const char *) e, 2);
    assert_string_equal(json_string_value(j), "a?");
    json_decref(j);

    /* "a" "é" "é" "€" "!": characters start at 0, 1, 3, 5, 8 */

    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 1), 1);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 2), 1);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 3), 3);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 4), 3);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 6), 5);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 7), 5);
    assert_int_equal(ngx_http_swarm_text_utf8_cut(e, 8), 8);

    /* not UTF-8 (four continuation bytes): cut where asked */

    assert_int_equal(ngx_http_swarm_text_utf8_cut(
                         (const u_char *) "a\x80\x80\x80\x80\x80", 5), 5);

    assert_int_equal(ngx_http_swarm_text_escape(buf, sizeof(buf),
                         (const u_char *) "a\nb\r\\c\x7f\xc3\xa9", 9), 21);
    assert_string_equal((char *) buf, "a\\x0ab\\x0d\\x5cc\\x7f\xc3\xa9");

    /* never past the end, never half an escape */

    assert_int_equal(ngx_http_swarm_text_escape(buf, 6,
                         (const u_char *) "ab\ncd", 5), 2);
    assert_string_equal((char *) buf, "ab");
}


/* a text written as far as its buffer holds, and FNV-1a hashes */

static void
test_text_put_hash(void **state)
{
    char    buf[4];
    size_t  len;

    (void) state;

    len = 0;
    ngx_http_swarm_text_put(buf, sizeof(buf), &len, "ab", 2);
    ngx_http_swarm_text_put(buf, sizeof(buf), &len, "cde", 3);
    assert_int_equal(len, 5);
    assert_memory_equal(buf, "abc", 3);

    len = 0;
    ngx_http_swarm_text_put(NULL, 0, &len, "abc", 3);
    assert_int_equal(len, 3);

    /* FNV-1a's own test values, and one hash made in two parts */

    assert_int_equal(ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT, "",
                                              0),
                     0x811c9dc5u);
    assert_int_equal(ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT, "a",
                                              1),
                     0xe40c292cu);
    assert_int_equal(ngx_http_swarm_text_hash(
                         ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT,
                                                  "foo", 3),
                         "bar", 3),
                     ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT,
                                              "foobar", 6));
    assert_int_equal(ngx_http_swarm_text_hash(NGX_HTTP_SWARM_HASH_INIT,
                                              "foobar", 6),
                     0xbf9cf968u);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_text_put_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
