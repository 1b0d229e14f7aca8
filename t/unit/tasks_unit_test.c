
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_tasks.c: Docker JSON to task
 * sets on every recorded engine answer, task states, networks, the element
 * cache, and Docker times.
 */


#include <dirent.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "unit_test.h"


/* services of one selector, then the tasks of those services */

static int
discover(const char *services, const char *tasks,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_set_t *set,
    report_log_t *log)
{
    int                        rc;
    char                      *buf, err[256];
    size_t                     len;
    ngx_http_swarm_report_t    report;
    ngx_http_swarm_services_t  svcs;

    memset(&svcs, 0, sizeof(svcs));
    memset(set, 0, sizeof(*set));
    report.handler = report_handler;
    report.data = log;

    buf = load(services, &len);
    rc = ngx_http_swarm_services_parse(buf, len, sel, &svcs, &report, err,
                                       sizeof(err));
    free(buf);
    assert_int_equal(rc, 0);

    buf = load(tasks, &len);
    rc = ngx_http_swarm_tasks_parse(buf, len, &svcs, set, 1, &report, err,
                                    sizeof(err));
    free(buf);

    ngx_http_swarm_services_free(&svcs);

    return rc;
}


static void
assert_peers(ngx_http_swarm_set_t *set, const char **ips, size_t n)
{
    size_t  i;

    assert_int_equal(set->n, n);

    for (i = 0; i < n; i++) {
        assert_string_equal(set->peers[i].ip, ips[i]);
    }
}


static void
test_tasks_steady(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 0, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };
    const char                *ips[] = { "10.0.2.3", "10.0.2.4" };

    (void) state;

    memset(&log, 0, sizeof(log));

    assert_int_equal(discover("services-all.json", "tasks-all.json", &sel,
                              &set, &log),
                     0);
    assert_peers(&set, ips, 2);
    assert_int_equal(log.calls, 0);

    assert_string_equal(set.peers[0].task, "sh3x9bflb7obb5upaj2t86vcg");
    assert_string_equal(set.peers[0].service, "mystack_app");
    assert_string_equal(set.peers[0].node, "ubaomy8139q0m34xo1t6wwt0q");
    assert_int_equal(set.peers[0].slot, 1);
    assert_int_equal(set.peers[0].port, 8080);
    assert_int_equal(set.peers[0].family, AF_INET);
    assert_int_equal(set.peers[0].state, NGX_HTTP_SWARM_ACTIVE);
    assert_int_equal(set.peers[0].addr[0], 10);
    assert_int_equal(set.peers[0].addr[3], 3);

    ngx_http_swarm_set_free(&set);
}


static void
test_tasks_ambiguous_network(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "api", NULL, NULL,
                                       0, 0, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };

    (void) state;

    memset(&log, 0, sizeof(log));

    assert_int_equal(discover("services-all.json", "tasks-all.json", &sel,
                              &set, &log),
                     0);
    assert_int_equal(set.n, 0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "mystack_api");
    assert_non_null(strstr(log.msg, "several networks"));
    assert_non_null(strstr(log.msg, "mystack_net"));
    assert_non_null(strstr(log.msg, "mystack_backend"));

    ngx_http_swarm_set_free(&set);
}


static void
test_tasks_network_chosen(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "api", NULL,
                                       "mystack_backend", 0, 0, 0, 0, 0,
                                       NULL, 0, NULL, NULL, NULL, NULL };
    const char                *ips[] = { "10.0.1.6", "10.0.1.7" };

    (void) state;

    memset(&log, 0, sizeof(log));

    assert_int_equal(discover("services-all.json", "tasks-all.json", &sel,
                              &set, &log),
                     0);
    assert_peers(&set, ips, 2);
    assert_int_equal(set.peers[0].port, 9000);

    ngx_http_swarm_set_free(&set);
}


static void
test_tasks_scaling_up(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 0, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };
    const char                *ips[] = { "10.0.2.3", "10.0.2.4" };

    (void) state;

    memset(&log, 0, sizeof(log));

    /* 10.0.2.9 and 10.0.2.10 are still starting */

    assert_int_equal(discover("services-all.json", "tasks-scaling-up.json",
                              &sel, &set, &log),
                     0);
    assert_peers(&set, ips, 2);

    ngx_http_swarm_set_free(&set);
}


static void
test_tasks_mixed(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  app = { "swarm.upstream", "app", NULL, NULL,
                                       0, 0, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };
    ngx_http_swarm_selector_t  api = { NULL, NULL, "mystack_api",
                                       "mystack_net", 0, 0, 0, 0, 0, NULL, 0,
                                       NULL, NULL, NULL, NULL };
    const char                *app_ips[] = { "10.0.2.3" };
    const char                *api_ips[] = { "10.0.2.11", "10.0.2.12" };

    (void) state;

    memset(&log, 0, sizeof(log));

    assert_int_equal(discover("services-all.json", "tasks-mixed.json", &app,
                              &set, &log),
                     0);
    assert_peers(&set, app_ips, 1);
    ngx_http_swarm_set_free(&set);

    /* shut down tasks of slots 1 and 2 are left out */

    assert_int_equal(discover("services-all.json", "tasks-mixed.json", &api,
                              &set, &log),
                     0);
    assert_peers(&set, api_ips, 2);
    assert_int_equal(log.calls, 0);
    ngx_http_swarm_set_free(&set);
}


static int
tasks_inline(const char *json, const char *network, ngx_http_swarm_set_t *set,
    report_log_t *log)
{
    char                       err[256];
    ngx_http_swarm_report_t    report = { report_handler, log };
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_service_t   s;

    memset(&s, 0, sizeof(s));
    strcpy(s.id, "svc1");
    strcpy(s.name, "web");
    strcpy(s.network, network);
    s.port = 80;

    svcs.services = &s;
    svcs.n = 1;
    svcs.cap = 1;

    memset(set, 0, sizeof(*set));

    return ngx_http_swarm_tasks_parse(json, strlen(json), &svcs, set, 1,
                                      &report, err, sizeof(err));
}


#define TASK(id, desired, state, net, addr)                                   \
    "{\"ID\":\"" id "\",\"ServiceID\":\"svc1\",\"Slot\":1,"                   \
    "\"NodeID\":\"n1\",\"DesiredState\":\"" desired "\","                     \
    "\"Status\":{\"State\":\"" state "\"},\"NetworksAttachments\":"           \
    "[{\"Network\":{\"ID\":\"netid\",\"Spec\":{\"Name\":\"" net "\"}},"       \
    "\"Addresses\":[\"" addr "\"]}]}"


static void
test_tasks_states(void **state)
{
    report_log_t           log;
    ngx_http_swarm_set_t   set;
    const char            *json;

    (void) state;

    memset(&log, 0, sizeof(log));

    json = "["
        TASK("t1", "running", "running", "net", "10.0.0.1/24") ","
        TASK("t2", "shutdown", "running", "net", "10.0.0.2/24") ","
        TASK("t3", "remove", "running", "net", "10.0.0.3/24") ","
        TASK("t4", "running", "starting", "net", "10.0.0.4/24") ","
        TASK("t5", "shutdown", "shutdown", "net", "10.0.0.5/24") ","
        TASK("t6", "shutdown", "failed", "net", "10.0.0.6/24") ","
        TASK("t7", "ready", "ready", "net", "10.0.0.7/24") ","
        TASK("t8", "running", "running", "other", "10.0.0.8/24") ","
        TASK("t9", "running", "running", "net", "fd00::9/64") ","
        TASK("t10", "running", "running", "net", "10.0.0.1/24") ","
        TASK("t11", "running", "running", "net", "not-an-ip/24")
        "]";

    assert_int_equal(tasks_inline(json, "net", &set, &log), 0);
    assert_int_equal(set.n, 4);

    assert_string_equal(set.peers[0].ip, "10.0.0.1");
    assert_int_equal(set.peers[0].state, NGX_HTTP_SWARM_ACTIVE);
    assert_string_equal(set.peers[1].ip, "10.0.0.2");
    assert_int_equal(set.peers[1].state, NGX_HTTP_SWARM_DRAINING);
    assert_string_equal(set.peers[2].ip, "10.0.0.3");
    assert_int_equal(set.peers[2].state, NGX_HTTP_SWARM_DRAINING);
    assert_string_equal(set.peers[3].ip, "fd00::9");
    assert_int_equal(set.peers[3].family, AF_INET6);

    /* t1 and t10 share an address: one is kept, the other reported */

    assert_int_equal(log.calls, 1);
    assert_non_null(strstr(log.msg, "has the address 10.0.0.1"));

    ngx_http_swarm_set_free(&set);

    /* the network may be named by ID too */

    assert_int_equal(tasks_inline("[" TASK("t1", "running", "running", "net",
                                           "10.0.0.1/24") "]",
                                  "netid", &set, &log),
                     0);
    assert_int_equal(set.n, 1);
    ngx_http_swarm_set_free(&set);
}


static void
test_tasks_errors(void **state)
{
    char                       err[256];
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_services_t  svcs;

    (void) state;

    memset(&log, 0, sizeof(log));
    memset(&svcs, 0, sizeof(svcs));
    memset(&set, 0, sizeof(set));

    assert_int_equal(tasks_inline("[{", "net", &set, &log), -1);
    assert_int_equal(tasks_inline("{}", "net", &set, &log), -1);
    assert_int_equal(tasks_inline("", "net", &set, &log), -1);
    assert_int_equal(tasks_inline("[1, \"x\", null, {}, []]", "net", &set,
                                  &log),
                     0);
    assert_int_equal(set.n, 0);

    assert_int_equal(ngx_http_swarm_tasks_parse("[]x", 3, &svcs, &set, 1,
                                                NULL, err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "invalid JSON in tasks"));

    ngx_http_swarm_set_free(&set);
}


/*
 * A second answer: the tasks whose bytes are the same are not parsed
 * again, and the sets are the same as from a fresh read.
 */

static int
tasks_read_all(ngx_http_swarm_tasks_t *t, const char *json,
    ngx_http_swarm_set_t *set)
{
    int                        rc;
    char                       err[256];
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_service_t   s;

    memset(&s, 0, sizeof(s));
    strcpy(s.id, "svc1");
    strcpy(s.name, "web");
    strcpy(s.network, "net");
    s.port = 80;

    svcs.services = &s;
    svcs.n = 1;
    svcs.cap = 1;

    memset(set, 0, sizeof(*set));

    ngx_http_swarm_tasks_begin(t);
    ngx_http_swarm_tasks_feed(t, json, strlen(json));

    do {
        rc = ngx_http_swarm_tasks_read(t, 1, err, sizeof(err));
    } while (rc == 1);

    if (rc != 0) {
        return rc;
    }

    /* one task a call: the sets are built over several calls */

    do {
        rc = ngx_http_swarm_tasks_sets(t, &svcs, set, 1, NULL, 1, err,
                                       sizeof(err));
    } while (rc == 1);

    if (rc == 0) {
        ngx_http_swarm_set_finish(set, 0, NULL);
    }

    return rc;
}


static void
tasks_expect(ngx_http_swarm_tasks_t *t, const char *json, size_t parsed,
    size_t reused, size_t npeers)
{
    size_t                p, r;
    ngx_http_swarm_set_t  set;

    assert_int_equal(tasks_read_all(t, json, &set), 0);
    ngx_http_swarm_tasks_counts(t, &p, &r);
    assert_int_equal(p, parsed);
    assert_int_equal(r, reused);
    assert_int_equal(set.n, npeers);
    ngx_http_swarm_set_free(&set);
}


static const char  answer_one[] = "["
    TASK("t1", "running", "running", "net", "10.0.0.1/24") ","
    TASK("t2", "running", "running", "net", "10.0.0.2/24") ","
    TASK("t3", "shutdown", "shutdown", "net", "10.0.0.3/24")
    "]";

/* t2 is stopping, t4 is new, t3 is gone, t1 comes twice */

static const char  answer_two[] = "[\n"
    TASK("t4", "running", "running", "net", "10.0.0.4/24") ",\n"
    TASK("t2", "shutdown", "running", "net", "10.0.0.2/24") ",\n"
    TASK("t1", "running", "running", "net", "10.0.0.1/24") ",\n"
    TASK("t1", "running", "running", "net", "10.0.0.1/24")
    "]";


/* two sets alike, peer for peer */

static void
assert_same_set(ngx_http_swarm_set_t *set, ngx_http_swarm_set_t *fresh,
    size_t n)
{
    assert_int_equal(set->n, n);
    assert_int_equal(fresh->n, n);
    assert_memory_equal(set->peers, fresh->peers,
                        n * sizeof(ngx_http_swarm_peer_t));
}


static void
test_tasks_cache(void **state)
{
    char                    *many;
    size_t                   i, parsed, reused;
    ngx_http_swarm_set_t     set, fresh;
    ngx_http_swarm_tasks_t  *t, *f;
    const char              *one, *two, *three;

    (void) state;

    one = answer_one;
    two = answer_two;

    three = "[" TASK("t1", "running", "running", "net", "10.0.0.1/24") "]";

    t = ngx_http_swarm_tasks_create();
    assert_non_null(t);

    tasks_expect(t, one, 3, 0, 2);
    tasks_expect(t, one, 0, 3, 2);

    assert_int_equal(tasks_read_all(t, two, &set), 0);
    ngx_http_swarm_tasks_counts(t, &parsed, &reused);
    assert_int_equal(parsed, 3);
    assert_int_equal(reused, 1);

    /* what a refresh asks again by ID: the tasks it no longer lists */

    assert_int_equal(ngx_http_swarm_tasks_known(t, "t1"), 1);
    assert_int_equal(ngx_http_swarm_tasks_known(t, "t2"), 1);
    assert_int_equal(ngx_http_swarm_tasks_known(t, "t4"), 1);
    assert_int_equal(ngx_http_swarm_tasks_known(t, "t3"), 0);
    assert_int_equal(ngx_http_swarm_tasks_known(t, "t"), 0);

    f = ngx_http_swarm_tasks_create();
    assert_int_equal(ngx_http_swarm_tasks_known(f, "t1"), 0);
    assert_int_equal(tasks_read_all(f, two, &fresh), 0);
    assert_same_set(&set, &fresh, 3);
    assert_int_equal(set.peers[1].state, NGX_HTTP_SWARM_DRAINING);
    ngx_http_swarm_set_free(&fresh);
    ngx_http_swarm_tasks_destroy(f);
    ngx_http_swarm_set_free(&set);

    /* a broken answer, then a good one: what was known still counts */

    assert_int_equal(tasks_read_all(t, "[" TASK("t1", "running", "running",
                                                "net", "10.0.0.1/24")
                                        ", {", &set),
                     -1);
    tasks_expect(t, three, 0, 1, 1);

    /* many elements alike: each found at once, none parsed twice */

    many = malloc(20000 * 3 + 2);
    assert_non_null(many);
    strcpy(many, "[{}");
    for (i = 1; i < 20000; i++) {
        strcat(many + i * 3, ",{}");
    }
    strcat(many, "]");

    tasks_expect(t, many, 20000, 0, 0);
    tasks_expect(t, many, 0, 20000, 0);
    free(many);

    ngx_http_swarm_tasks_destroy(t);
}


/*
 * A reload's new worker: the records the last one left, as an image,
 * taken in place of parsing where the digest's key is the same; the
 * sets are those of a fresh read.  Under another key, or from a spoiled
 * image, every task is parsed.
 */

static void
test_tasks_image(void **state)
{
    char                    *buf;
    size_t                   len, half, parsed, reused;
    unsigned char            key[16];
    ngx_http_swarm_set_t     set, fresh;
    ngx_http_swarm_tasks_t  *t, *f;
    const char              *one, *two;

    (void) state;

    one = answer_one;
    two = answer_two;

    memset(key, 7, sizeof(key));

    t = ngx_http_swarm_tasks_create();
    assert_non_null(t);
    ngx_http_swarm_tasks_key(t, key);
    tasks_expect(t, one, 3, 0, 2);

    /* written in two parts: the first with the head */

    len = ngx_http_swarm_tasks_save(t, 0, 1, NULL, 0);
    half = len;
    len += ngx_http_swarm_tasks_save(t, 1, 5, NULL, 0);
    assert_int_equal(ngx_http_swarm_tasks_save(t, 3, 5, NULL, 0), 0);
    buf = malloc(len);
    assert_non_null(buf);
    assert_int_equal(ngx_http_swarm_tasks_save(t, 0, 1, buf, half), half);
    assert_int_equal(ngx_http_swarm_tasks_save(t, 1, 5, buf + half,
                                               len - half),
                     len - half);
    ngx_http_swarm_tasks_destroy(t);

    /*
     * the same key: t1 taken, once (the image has it once); t4 new, t2
     * changed and the second t1 parsed
     */

    f = ngx_http_swarm_tasks_create();
    ngx_http_swarm_tasks_key(f, key);
    assert_int_equal(ngx_http_swarm_tasks_load(f, buf, len), 0);
    assert_int_equal(tasks_read_all(f, two, &set), 0);
    ngx_http_swarm_tasks_counts(f, &parsed, &reused);
    assert_int_equal(parsed, 3);
    assert_int_equal(reused, 1);
    tasks_expect(f, two, 0, 4, 3);

    /* the next refresh's records are its own: loading no longer adds */

    assert_int_equal(ngx_http_swarm_tasks_load(f, buf, len), 0);
    tasks_expect(f, two, 0, 4, 3);
    ngx_http_swarm_tasks_destroy(f);

    t = ngx_http_swarm_tasks_create();
    assert_int_equal(tasks_read_all(t, two, &fresh), 0);
    assert_same_set(&set, &fresh, 3);
    ngx_http_swarm_set_free(&set);
    ngx_http_swarm_set_free(&fresh);
    ngx_http_swarm_tasks_destroy(t);

    /* another key: every task parsed */

    f = ngx_http_swarm_tasks_create();
    assert_int_equal(ngx_http_swarm_tasks_load(f, buf, len), 0);
    tasks_expect(f, two, 4, 0, 3);
    ngx_http_swarm_tasks_destroy(f);

    /* an image cut short: refused, and everything parsed */

    f = ngx_http_swarm_tasks_create();
    ngx_http_swarm_tasks_key(f, key);
    assert_int_equal(ngx_http_swarm_tasks_load(f, buf, len - 1), -1);
    tasks_expect(f, two, 4, 0, 3);
    ngx_http_swarm_tasks_destroy(f);

    free(buf);
}


/*
 * Every recorded engine answer through both parsers: what each must
 * give.  A file added to the fixtures and missing here fails the test.
 */

static void
test_every_fixture(void **state)
{
    int                        rc_s, rc_t, seen;
    char                      *buf, *body, err[256];
    size_t                     len, i;
    DIR                       *dir;
    struct dirent             *de;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 0, 0, 0, 0, NULL, 0, NULL,
                                       NULL, NULL, NULL };

    static const struct {
        const char  *name;
        int          services_rc;
        int          tasks_rc;
    } expect[] = {
        { "events-sample.jsonl",         -1, -1 },
        { "info-swarm.json",             -1, -1 },
        { "networks.json",                0,  0 },
        { "ping.http",                   -1, -1 },
        { "services-all.json",            0,  0 },
        { "services-label-app.json",      0,  0 },
        { "stack.yml",                   -1, -1 },
        { "tasks-all.json",               0,  0 },
        { "tasks-bad-filter.http",       -1, -1 },
        { "tasks-bad-version.http",      -1, -1 },
        { "tasks-mixed.json",             0,  0 },
        { "tasks-scaling-up.json",        0,  0 },
        { "tasks-unknown-service.http",  -1, -1 },
        { "version.json",                -1, -1 },
    };

    (void) state;

    dir = opendir(FIXTURES);
    assert_non_null(dir);

    seen = 0;

    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
            if (strcmp(expect[i].name, de->d_name) == 0) {
                break;
            }
        }

        if (i == sizeof(expect) / sizeof(expect[0])) {
            fail_msg("fixture %s has no expectation", de->d_name);
        }

        seen++;

        buf = load(de->d_name, &len);

        memset(&svcs, 0, sizeof(svcs));
        memset(&set, 0, sizeof(set));

        rc_s = ngx_http_swarm_services_parse(buf, len, &sel, &svcs, NULL,
                                             err, sizeof(err));
        rc_t = ngx_http_swarm_tasks_parse(buf, len, &svcs, &set, 1, NULL,
                                          err, sizeof(err));

        if (rc_s != expect[i].services_rc || rc_t != expect[i].tasks_rc) {
            fail_msg("%s: services %d, tasks %d", de->d_name, rc_s, rc_t);
        }

        /* the error answers carry a JSON message, not a list */

        body = strstr(buf, "\r\n\r\n");
        if (body == NULL) {
            body = strstr(buf, "\n\n");
        }

        if (strstr(de->d_name, ".http") && body) {
            assert_int_equal(ngx_http_swarm_tasks_parse(body,
                                 len - (body - buf), &svcs, &set, 1, NULL,
                                 err, sizeof(err)),
                             -1);
        }

        ngx_http_swarm_services_free(&svcs);
        ngx_http_swarm_set_free(&set);
        free(buf);
    }

    closedir(dir);

    assert_int_equal(seen, sizeof(expect) / sizeof(expect[0]));
}


static void
test_time(void **state)
{
    (void) state;

    assert_int_equal(
        ngx_http_swarm_tasks_time("2026-11-25T18:13:59.154823286Z"),
        1795630439);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T18:13:59Z"),
                     1795630439);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T19:43:59.5+01:30"),
                     1795630439);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T17:13:59-01:00"),
                     1795630439);
    assert_int_equal(ngx_http_swarm_tasks_time("2024-02-29T00:00:00Z"),
                     1709164800);
    assert_int_equal(ngx_http_swarm_tasks_time("2000-03-01T00:00:00Z"),
                     951868800);
    assert_int_equal(ngx_http_swarm_tasks_time("2105-12-31T23:59:59Z"),
                     4291747199u);
    assert_int_equal(ngx_http_swarm_tasks_time("1970-01-01T00:00:01Z"), 1);

    /* no time: Docker's zero time, none, no zone, garbage */

    assert_int_equal(ngx_http_swarm_tasks_time("0001-01-01T00:00:00Z"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time(NULL), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T18:13:59"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T18:13:59Zx"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-13-25T18:13:59Z"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25 18:13:59Z"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2026-11-25T18:13:59+1:00"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time("2200-01-01T00:00:00Z"), 0);
    assert_int_equal(ngx_http_swarm_tasks_time(""), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_tasks_steady),
        cmocka_unit_test(test_tasks_ambiguous_network),
        cmocka_unit_test(test_tasks_network_chosen),
        cmocka_unit_test(test_tasks_scaling_up),
        cmocka_unit_test(test_tasks_mixed),
        cmocka_unit_test(test_tasks_states),
        cmocka_unit_test(test_tasks_errors),
        cmocka_unit_test(test_tasks_cache),
        cmocka_unit_test(test_tasks_image),
        cmocka_unit_test(test_every_fixture),
        cmocka_unit_test(test_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
