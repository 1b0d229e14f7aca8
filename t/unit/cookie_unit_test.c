
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_cookie.c: the cookie index,
 * Cookie header scanning and Set-Cookie formatting.
 */


#include <sys/socket.h>
#include <arpa/inet.h>
#include "unit_test.h"


static void
test_index(void **state)
{
    char                    ip[32];
    size_t                  i, n, nslots;
    uint32_t               *slots;
    ngx_http_swarm_index_t  index;
    ngx_http_swarm_peer_t  *peers;

    (void) state;

    n = 5000;
    peers = calloc(n, sizeof(ngx_http_swarm_peer_t));
    assert_non_null(peers);

    for (i = 0; i < n; i++) {
        snprintf(ip, sizeof(ip), "10.%zu.%zu.%zu", i >> 16, (i >> 8) & 255,
                 i & 255);
        peers[i] = peer(ip, 80, NGX_HTTP_SWARM_ACTIVE, "t");
    }

    nslots = ngx_http_swarm_cookie_index_size(n);
    assert_true(nslots >= 2 * n);
    assert_int_equal(nslots & (nslots - 1), 0);

    slots = malloc(nslots * sizeof(uint32_t));
    ngx_http_swarm_cookie_index_build(&index, slots, nslots, peers[0].ip,
                                      sizeof(ngx_http_swarm_peer_t), n);

    for (i = 0; i < n; i++) {
        assert_int_equal(ngx_http_swarm_cookie_index_find(&index,
                             (u_char *) peers[i].ip, strlen(peers[i].ip)),
                         (long) i);
    }

#define FIND(s)                                                               \
    ngx_http_swarm_cookie_index_find(&index, (u_char *) s, sizeof(s) - 1)

    assert_int_equal(FIND("10.0.0.1"), 1);
    assert_int_equal(FIND("10.0.0.01"), -1);
    assert_int_equal(FIND("010.0.0.1"), -1);
    assert_int_equal(FIND("10.0.0.1:80"), -1);
    assert_int_equal(FIND("10.0.0"), -1);
    assert_int_equal(FIND("10.0.0.10 "), -1);
    assert_int_equal(FIND(""), -1);
    assert_int_equal(FIND("10.200.0.1"), -1);
    assert_int_equal(FIND("::1"), -1);
    assert_int_equal(ngx_http_swarm_cookie_index_find(
                         &index, (u_char *) "10.0.0.1\0x", 10),
                     -1);

    free(slots);

    /* keyed values, a stride apart outside the peers */

    {
        char  keyed[3][23] = { "Zx-9_aQ0bC1dE2fG3hI4jK",
                               "AAAAAAAAAAAAAAAAAAAAAA",
                               "AAAAAAAAAAAAAAAAAAAAAB" };

        nslots = ngx_http_swarm_cookie_index_size(3);
        slots = malloc(nslots * sizeof(uint32_t));
        ngx_http_swarm_cookie_index_build(&index, slots, nslots, keyed[0],
                                          sizeof(keyed[0]), 3);

        assert_int_equal(FIND("Zx-9_aQ0bC1dE2fG3hI4jK"), 0);
        assert_int_equal(FIND("AAAAAAAAAAAAAAAAAAAAAB"), 2);
        assert_int_equal(FIND("AAAAAAAAAAAAAAAAAAAAA"), -1);
        assert_int_equal(FIND("10.0.0.1"), -1);

        free(slots);
    }

    /* an empty set finds nothing */

    nslots = ngx_http_swarm_cookie_index_size(0);
    slots = malloc(nslots * sizeof(uint32_t));
    ngx_http_swarm_cookie_index_build(&index, slots, nslots, peers[0].ip,
                                      sizeof(ngx_http_swarm_peer_t), 0);
    assert_int_equal(FIND("10.0.0.1"), -1);

    free(slots);
    free(peers);
}


static void
test_cookie_scan(void **state)
{
    char  v[128];

    (void) state;

    assert_int_equal(scan("route=10.0.0.1", "route", v), 1);
    assert_string_equal(v, "10.0.0.1");
    assert_int_equal(scan("a=b; route=10.0.0.1; c=d", "route", v), 1);
    assert_string_equal(v, "10.0.0.1");
    assert_int_equal(scan("a=b;route = 10.0.0.1 ;c=d", "route", v), 1);
    assert_string_equal(v, "10.0.0.1");
    assert_int_equal(scan("xroute=1; routex=2; rout=3", "route", v), 0);
    assert_int_equal(scan("route=1; route=2", "route", v), 2);
    assert_string_equal(v, "1");
    assert_int_equal(scan("route=", "route", v), 1);
    assert_string_equal(v, "");
    assert_int_equal(scan("route", "route", v), 0);
    assert_int_equal(scan(";;; ;", "route", v), 0);
    assert_int_equal(scan("", "route", v), 0);
    assert_int_equal(scan("route=a=b", "route", v), 1);
    assert_string_equal(v, "a=b");
    assert_int_equal(scan("Route=1", "route", v), 0);
}


static void
test_cookie_valid(void **state)
{
    char  big[100];

    (void) state;

#define VALID(s)  ngx_http_swarm_cookie_valid((u_char *) s, sizeof(s) - 1)

    assert_true(VALID("10.0.2.7"));
    assert_true(VALID("fd00::7"));
    assert_true(VALID("Zx-9_aQ0bC1dE2fG3hI4jK"));
    assert_false(VALID("Zx+9/aQ0bC1dE2fG3hI4jK"));
    assert_false(VALID("Zx-9_aQ0bC1dE2fG3hI4jK=="));
    assert_false(VALID(""));
    assert_false(VALID("10.0.2.7\r\nX: y"));
    assert_false(VALID("10.0.2.7 "));
    assert_false(VALID("\"10.0.2.7\""));
    assert_false(VALID("10.0.2.7\t"));
    assert_false(VALID("10.0.2.7;"));

    memset(big, '1', sizeof(big));
    assert_false(ngx_http_swarm_cookie_valid((u_char *) big, sizeof(big)));
    assert_true(ngx_http_swarm_cookie_valid((u_char *) big,
                                            NGX_HTTP_SWARM_IP_LEN - 1));
    assert_false(ngx_http_swarm_cookie_valid((u_char *) big,
                                             NGX_HTTP_SWARM_IP_LEN));
}


static void
test_cookie_attrs(void **state)
{
    u_char                   buf[256], ref[256];
    size_t                   n, size;
    ngx_http_swarm_cookie_t  ck;

    static const char  all[] = "; Path=/shop; Domain=.example.com; "
                               "Max-Age=3600; Secure; HttpOnly; SameSite=Lax";

    (void) state;

    memset(&ck, 0, sizeof(ck));
    ck.name = "route";
    ck.path = "/";
    ck.max_age = -1;

    n = ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 0);
    assert_string_equal((char *) buf, "; Path=/");
    assert_int_equal(n, 8);

    ck.path = "/shop";
    ck.domain = ".example.com";
    ck.max_age = 3600;
    ck.httponly = 1;
    ck.samesite = "Lax";

    n = ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 0);
    assert_string_equal((char *) buf, "; Path=/shop; Domain=.example.com; "
                        "Max-Age=3600; HttpOnly; SameSite=Lax");
    assert_int_equal(n, strlen((char *) buf));

    n = ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 1);
    assert_string_equal((char *) buf, all);
    assert_int_equal(n, sizeof(all) - 1);

    /* the size is reported whatever the buffer, and each cut as snprintf() */

    assert_int_equal(ngx_http_swarm_cookie_attrs(NULL, 0, &ck, 1), n);

    for (size = 0; size <= n + 1; size++) {
        memset(buf, 'x', sizeof(buf));
        memset(ref, 'x', sizeof(ref));
        assert_int_equal(ngx_http_swarm_cookie_attrs(buf, size, &ck, 1), n);
        (void) snprintf((char *) ref, size, "%s", all);
        assert_memory_equal(buf, ref, sizeof(buf));
    }

    ck.max_age = 2147483647;
    ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 0);
    assert_non_null(strstr((char *) buf, "; Max-Age=2147483647; "));

    ck.max_age = 0;
    ck.path = NULL;
    ck.domain = NULL;
    ck.httponly = 0;
    ck.samesite = NULL;

    ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 0);
    assert_string_equal((char *) buf, "; Max-Age=0");

    ck.max_age = -1;
    assert_int_equal(ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 0),
                     0);
    assert_string_equal((char *) buf, "");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_cookie_scan),
        cmocka_unit_test(test_cookie_valid),
        cmocka_unit_test(test_cookie_attrs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
