
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_set.c: task sets ordered,
 * compared and carried from one copy to the next, and the addresses
 * refused.
 */


#include <sys/socket.h>
#include <arpa/inet.h>
#include "unit_test.h"


/*
 * The order of a set, told another way: the fields it orders by, laid
 * end to end (the port big-endian, the task zero-padded) and compared as
 * bytes.
 */

#define REFERENCE_KEY_LEN  (1 + 16 + 2 + 1 + NGX_HTTP_SWARM_ID_LEN)

static void
reference_key(const ngx_http_swarm_peer_t *p, unsigned char *k)
{
    k[0] = p->family;
    memcpy(&k[1], p->addr, 16);
    k[17] = (unsigned char) (p->port >> 8);
    k[18] = (unsigned char) (p->port & 0xff);
    k[19] = p->state;
    memcpy(&k[20], p->task, NGX_HTTP_SWARM_ID_LEN);
}


static int
reference_cmp(const void *a, const void *b)
{
    unsigned char  ka[REFERENCE_KEY_LEN], kb[REFERENCE_KEY_LEN];

    reference_key(a, ka);
    reference_key(b, kb);

    return memcmp(ka, kb, REFERENCE_KEY_LEN);
}


/*
 * 5,000 peers, IPv4 with addresses and ports met several times, and IPv6
 * (whose keys are all equal), sorted as qsort() with the reference
 * comparison sorts them; the set is used again, with its keys, as
 * worker 0 does.
 */

static void
test_sort_large(void **state)
{
    size_t                  i, round;
    ngx_http_swarm_set_t    set;
    ngx_http_swarm_peer_t   p, *want;

    (void) state;

    memset(&set, 0, sizeof(set));
    srand(7);

    for (round = 0; round < 3; round++) {
        set.n = 0;

        for (i = 0; i < 5000; i++) {
            memset(&p, 0, sizeof(p));

            if (i % 10 == 0) {
                p.family = AF_INET6;
                p.addr[0] = 0xfd;
                p.addr[15] = (uint8_t) (rand() % 50);
                p.port = 80;

            } else {
                p.family = AF_INET;
                p.addr[0] = 10;
                p.addr[1] = (uint8_t) (rand() % 3);
                p.addr[2] = (uint8_t) (rand() % 256);
                p.addr[3] = (uint8_t) (rand() % 256);
                p.port = (uint16_t) (80 + rand() % 2);
            }

            p.state = (uint8_t) (1 + rand() % 2);
            snprintf(p.task, sizeof(p.task), "t%d", rand() % 100000);
            ngx_http_swarm_set_add(&set, &p);
        }

        want = malloc(set.n * sizeof(ngx_http_swarm_peer_t));
        assert_non_null(want);
        memcpy(want, set.peers, set.n * sizeof(ngx_http_swarm_peer_t));
        qsort(want, set.n, sizeof(ngx_http_swarm_peer_t), reference_cmp);

        if (round > 0) {
            /* the order found in a cycle of its own */
            ngx_http_swarm_set_order(&set);
        }

        ngx_http_swarm_set_sort(&set);

        assert_memory_equal(set.peers, want,
                            set.n * sizeof(ngx_http_swarm_peer_t));
        free(want);
    }

    ngx_http_swarm_set_free(&set);
}


static void
test_diff(void **state)
{
    ngx_http_swarm_set_t   a, b;
    ngx_http_swarm_diff_t  d;
    ngx_http_swarm_peer_t  p;

    (void) state;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));

    p = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "t2");
    ngx_http_swarm_set_add(&a, &p);
    p = peer("10.0.0.1", 80, NGX_HTTP_SWARM_ACTIVE, "t1");
    ngx_http_swarm_set_add(&a, &p);
    p = peer("10.0.0.3", 80, NGX_HTTP_SWARM_ACTIVE, "t3");
    ngx_http_swarm_set_add(&a, &p);

    p = peer("10.0.0.1", 80, NGX_HTTP_SWARM_ACTIVE, "t1");
    ngx_http_swarm_set_add(&b, &p);
    p = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "t2");
    ngx_http_swarm_set_add(&b, &p);
    p = peer("10.0.0.3", 80, NGX_HTTP_SWARM_ACTIVE, "t3");
    ngx_http_swarm_set_add(&b, &p);

    ngx_http_swarm_set_sort(&a);
    ngx_http_swarm_set_sort(&b);

    assert_string_equal(a.peers[0].ip, "10.0.0.1");
    assert_string_equal(a.peers[2].ip, "10.0.0.3");

    d = ngx_http_swarm_set_diff(a.peers, a.n, b.peers, b.n);
    assert_int_equal(d.added + d.removed + d.changed, 0);

    /* 10.0.0.2 drains, 10.0.0.3 goes, 10.0.0.9 comes */

    b.peers[1].state = NGX_HTTP_SWARM_DRAINING;
    b.peers[2] = peer("10.0.0.9", 80, NGX_HTTP_SWARM_ACTIVE, "t9");

    d = ngx_http_swarm_set_diff(a.peers, a.n, b.peers, b.n);
    assert_int_equal(d.added, 1);
    assert_int_equal(d.removed, 1);
    assert_int_equal(d.changed, 1);

    d = ngx_http_swarm_set_diff(NULL, 0, b.peers, b.n);
    assert_int_equal(d.added, 3);

    d = ngx_http_swarm_set_diff(a.peers, a.n, NULL, 0);
    assert_int_equal(d.removed, 3);

    /* a port change is a change of peer */

    b.peers[0].port = 81;
    d = ngx_http_swarm_set_diff(a.peers, 1, b.peers, 1);
    assert_int_equal(d.added, 1);
    assert_int_equal(d.removed, 1);

    ngx_http_swarm_set_free(&a);
    ngx_http_swarm_set_free(&b);
}


/* routes in one set: by route first, one task an address a route */

static void
test_set_routes(void **state)
{
    ngx_http_swarm_set_t   set;
    ngx_http_swarm_peer_t  p;
    report_log_t           log;
    ngx_http_swarm_report_t  report;

    (void) state;

    memset(&set, 0, sizeof(set));
    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    memset(&p, 0, sizeof(p));
    p.family = AF_INET;
    p.port = 80;
    p.state = NGX_HTTP_SWARM_ACTIVE;

    /* 10.0.0.2 in route 1 and route 0, 10.0.0.1 in route 1, twice */

    strcpy(p.ip, "10.0.0.2");
    p.addr[0] = 10; p.addr[3] = 2;
    p.route = 1;
    strcpy(p.task, "t1");
    assert_int_equal(ngx_http_swarm_set_add(&set, &p), 0);
    p.route = 0;
    assert_int_equal(ngx_http_swarm_set_add(&set, &p), 0);

    strcpy(p.ip, "10.0.0.1");
    p.addr[3] = 1;
    p.route = 1;
    strcpy(p.task, "t2");
    assert_int_equal(ngx_http_swarm_set_add(&set, &p), 0);
    strcpy(p.task, "t3");
    assert_int_equal(ngx_http_swarm_set_add(&set, &p), 0);

    /* t2 again, as two selectors of one upstream give it: no conflict */

    strcpy(p.task, "t2");
    assert_int_equal(ngx_http_swarm_set_add(&set, &p), 0);

    ngx_http_swarm_set_finish(&set, 0, &report);

    assert_int_equal(set.n, 3);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "task t3 has the address 10.0.0.1 of task "
                                 "t2, ignored");
    assert_int_equal(set.peers[0].route, 0);
    assert_string_equal(set.peers[0].ip, "10.0.0.2");
    assert_int_equal(set.peers[1].route, 1);
    assert_string_equal(set.peers[1].ip, "10.0.0.1");
    assert_int_equal(set.peers[2].route, 1);
    assert_string_equal(set.peers[2].ip, "10.0.0.2");

    ngx_http_swarm_set_free(&set);
}


/* addresses that reach no task are never peers, v4, v6, v4-mapped v6 */

/* cells go with the same task at the same place; cells are no change */

static void
test_set_carry(void **state)
{
    ngx_http_swarm_diff_t  d;
    ngx_http_swarm_peer_t  old[2], new[3];

    (void) state;

    old[0] = peer("10.0.0.1", 80, NGX_HTTP_SWARM_ACTIVE, "a");
    old[0].cell = 5;
    old[0].tag = 9;
    old[1] = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "b");
    old[1].cell = 6;
    old[1].tag = 10;

    new[0] = peer("10.0.0.1", 80, NGX_HTTP_SWARM_DRAINING, "a");
    new[1] = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "c");
    new[2] = peer("10.0.0.3", 80, NGX_HTTP_SWARM_ACTIVE, "d");

    ngx_http_swarm_set_carry(old, 2, new, 3);

    assert_int_equal(new[0].cell, 5);
    assert_int_equal(new[0].tag, 9);
    assert_int_equal(old[0].cell, 0);

    /* another task at the address of one gone: a cell of its own */

    assert_int_equal(new[1].cell, 0);
    assert_int_equal(old[1].cell, 6);
    assert_int_equal(new[2].cell, 0);

    /*
     * a route added before theirs renumbers their route: the tasks keep
     * their cells, whatever the index, and only theirs
     */

    {
        ngx_http_swarm_peer_t  o[3], m[4];

        o[0] = peer("10.0.0.1", 80, NGX_HTTP_SWARM_ACTIVE, "a");
        o[0].cell = 5;
        o[1] = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "b");
        o[1].cell = 6;
        o[1].route = 1;
        o[2] = peer("10.0.0.3", 80, NGX_HTTP_SWARM_ACTIVE, "e");
        o[2].cell = 7;
        o[2].route = 1;

        m[0] = peer("10.0.0.9", 80, NGX_HTTP_SWARM_ACTIVE, "new");
        m[1] = peer("10.0.0.1", 80, NGX_HTTP_SWARM_ACTIVE, "a");
        m[1].route = 1;
        m[2] = peer("10.0.0.2", 80, NGX_HTTP_SWARM_ACTIVE, "b");
        m[2].route = 2;
        m[3] = peer("10.0.0.3", 81, NGX_HTTP_SWARM_ACTIVE, "e");
        m[3].route = 2;

        ngx_http_swarm_set_carry(o, 3, m, 4);

        assert_int_equal(m[0].cell, 0);
        assert_int_equal(m[1].cell, 5);
        assert_int_equal(m[2].cell, 6);
        assert_int_equal(o[0].cell, 0);
        assert_int_equal(o[1].cell, 0);

        /* the same task at another port is another peer */

        assert_int_equal(m[3].cell, 0);
        assert_int_equal(o[2].cell, 7);
    }

    /* a set and its published copy with cells are the same */

    new[0] = old[0];
    new[0].cell = 5;
    old[0].cell = 0;
    d = ngx_http_swarm_set_diff(old, 2, new, 2);
    assert_int_equal(d.changed + d.added + d.removed, 1);
    new[1] = old[1];
    new[1].cell = 0;
    d = ngx_http_swarm_set_diff(old, 2, new, 2);
    assert_int_equal(d.changed + d.added + d.removed, 0);
}


static void
test_address_refused(void **state)
{
    size_t         i;
    uint8_t        a[16];
    const char    *why;

    static const struct {
        int         family;
        const char *ip;
        const char *why;
    } cases[] = {
        { AF_INET, "10.0.2.3", NULL },
        { AF_INET, "127.0.0.1", NULL },
        { AF_INET, "192.168.1.1", NULL },
        { AF_INET, "0.0.0.0", "this network, 0.0.0.0/8" },
        { AF_INET, "0.1.2.3", "this network, 0.0.0.0/8" },
        { AF_INET, "169.254.169.254", "link-local, 169.254.0.0/16" },
        { AF_INET, "169.253.1.1", NULL },
        { AF_INET, "224.0.0.1", "multicast" },
        { AF_INET, "239.255.255.250", "multicast" },
        { AF_INET, "240.0.0.1", NULL },
        { AF_INET, "255.255.255.255", "broadcast" },
        { AF_INET6, "2001:db8::1", NULL },
        { AF_INET6, "::1", NULL },
        { AF_INET6, "::", "unspecified" },
        { AF_INET6, "fe80::1", "link-local" },
        { AF_INET6, "febf::1", "link-local" },
        { AF_INET6, "fec0::1", NULL },
        { AF_INET6, "ff02::1", "multicast" },
        { AF_INET6, "::ffff:169.254.169.254", "link-local, 169.254.0.0/16" },
        { AF_INET6, "::ffff:0.0.0.1", "this network, 0.0.0.0/8" },
        { AF_INET6, "::ffff:10.0.0.1", NULL },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(a, 0, sizeof(a));
        assert_int_equal(inet_pton(cases[i].family, cases[i].ip, a), 1);

        why = ngx_http_swarm_set_address_refused(cases[i].family, a);

        if (cases[i].why == NULL) {
            assert_null(why);

        } else {
            assert_non_null(why);
            assert_string_equal(why, cases[i].why);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_sort_large),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_set_routes),
        cmocka_unit_test(test_address_refused),
        cmocka_unit_test(test_set_carry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
