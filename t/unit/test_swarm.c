
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of the pure parts: Docker JSON to task sets on
 * every recorded engine answer in t/fixtures/docker-20.10, task set
 * comparison, the cookie index, Cookie header scanning and Set-Cookie
 * formatting.
 */


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "ngx_http_swarm_lib.h"


#ifndef FIXTURES
#define FIXTURES  "t/fixtures/docker-20.10"
#endif


typedef struct {
    int        calls;
    unsigned   upstream;
    char       service[64];
    char       msg[256];
} report_log_t;


static void
report_handler(void *data, unsigned upstream, const char *service,
    const char *msg)
{
    report_log_t  *log = data;

    log->calls++;
    log->upstream = upstream;
    snprintf(log->service, sizeof(log->service), "%s", service);
    snprintf(log->msg, sizeof(log->msg), "%s", msg);
}


static char *
load(const char *name, size_t *len)
{
    char   path[512], *buf;
    FILE  *f;
    long   n;

    snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);

    f = fopen(path, "rb");
    assert_non_null(f);

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), (size_t) n);
    buf[n] = '\0';
    fclose(f);

    *len = (size_t) n;

    return buf;
}


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
test_services_by_label(void **state)
{
    int                        rc;
    char                      *buf, err[256];
    size_t                     len;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 3, 0, 0, 0 };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));

    buf = load("services-all.json", &len);
    rc = ngx_http_swarm_services_parse(buf, len, &sel, &svcs, NULL, err,
                                       sizeof(err));
    free(buf);

    assert_int_equal(rc, 0);
    assert_int_equal(svcs.n, 1);
    assert_string_equal(svcs.services[0].name, "mystack_app");
    assert_string_equal(svcs.services[0].id, "y25ovm7r32e9p5kol8r5wegy5");
    assert_int_equal(svcs.services[0].port, 8080);
    assert_int_equal(svcs.services[0].upstream, 3);
    assert_string_equal(svcs.services[0].network, "");

    /* the engine's own filtered answer gives the same */

    buf = load("services-label-app.json", &len);
    rc = ngx_http_swarm_services_parse(buf, len, &sel, &svcs, NULL, err,
                                       sizeof(err));
    free(buf);

    assert_int_equal(rc, 0);
    assert_int_equal(svcs.n, 2);
    assert_string_equal(svcs.services[1].id, svcs.services[0].id);

    ngx_http_swarm_services_free(&svcs);
}


static void
test_services_by_name(void **state)
{
    char                      *buf, err[256];
    size_t                     len;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  exact = { NULL, NULL, "mystack_api",
                                         "mystack_net", 9999, 0, 0, 0, 0 };
    ngx_http_swarm_selector_t  prefix = { NULL, NULL, "mystack_ap", NULL,
                                          0, 0, 0, 0, 0 };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));
    buf = load("services-all.json", &len);

    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &prefix, &svcs,
                                                   NULL, err, sizeof(err)),
                     0);
    assert_int_equal(svcs.n, 0);

    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &exact, &svcs,
                                                   NULL, err, sizeof(err)),
                     0);
    assert_int_equal(svcs.n, 1);
    assert_int_equal(svcs.services[0].port, 9999);
    assert_string_equal(svcs.services[0].network, "mystack_net");

    free(buf);
    ngx_http_swarm_services_free(&svcs);
}


static void
test_services_no_port(void **state)
{
    char                      *buf, err[256];
    size_t                     len;
    report_log_t               log;
    ngx_http_swarm_report_t    report = { report_handler, &log };
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { NULL, NULL, "mystack_worker", NULL,
                                       0, 2, 0, 0, 0 };

    (void) state;

    memset(&svcs, 0, sizeof(svcs));
    memset(&log, 0, sizeof(log));

    buf = load("services-all.json", &len);
    assert_int_equal(ngx_http_swarm_services_parse(buf, len, &sel, &svcs,
                                                   &report, err,
                                                   sizeof(err)),
                     0);
    free(buf);

    assert_int_equal(svcs.n, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 2);
    assert_string_equal(log.service, "mystack_worker");
    assert_non_null(strstr(log.msg, "no port"));

    ngx_http_swarm_services_free(&svcs);
}


static void
test_tasks_steady(void **state)
{
    report_log_t               log;
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_selector_t  sel = { "swarm.upstream", "app", NULL, NULL,
                                       0, 0, 0, 0, 0 };
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
                                       0, 0, 0, 0, 0 };

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
                                       "mystack_backend", 0, 0, 0, 0, 0 };
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
                                       0, 0, 0, 0, 0 };
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
                                       0, 0, 0, 0, 0 };
    ngx_http_swarm_selector_t  api = { NULL, NULL, "mystack_api",
                                       "mystack_net", 0, 0, 0, 0, 0 };
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


/* the array framing: elements found by brackets outside strings */

static int
tasks_rc(const char *json, char *err, size_t errlen)
{
    ngx_http_swarm_set_t       set;
    ngx_http_swarm_services_t  svcs;

    memset(&svcs, 0, sizeof(svcs));
    memset(&set, 0, sizeof(set));

    err[0] = '\0';

    return ngx_http_swarm_tasks_parse(json, strlen(json), &svcs, &set, 1,
                                      NULL, err, errlen);
}


static void
test_array_framing(void **state)
{
    char                     err[256];
    const char              *elem;
    ngx_http_swarm_array_t   a;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { NULL, NULL, "web", NULL, 80, 0, 0, 0,
                                       0 };

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


static void
test_tasks_cache(void **state)
{
    char                    *many;
    size_t                   i, parsed, reused;
    ngx_http_swarm_set_t     set, fresh;
    ngx_http_swarm_tasks_t  *t, *f;
    const char              *one, *two, *three;

    (void) state;

    one = "["
        TASK("t1", "running", "running", "net", "10.0.0.1/24") ","
        TASK("t2", "running", "running", "net", "10.0.0.2/24") ","
        TASK("t3", "shutdown", "shutdown", "net", "10.0.0.3/24")
        "]";

    /* t2 is stopping, t4 is new, t3 is gone, t1 comes twice */

    two = "[\n"
        TASK("t4", "running", "running", "net", "10.0.0.4/24") ",\n"
        TASK("t2", "shutdown", "running", "net", "10.0.0.2/24") ",\n"
        TASK("t1", "running", "running", "net", "10.0.0.1/24") ",\n"
        TASK("t1", "running", "running", "net", "10.0.0.1/24")
        "]";

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
    assert_int_equal(set.n, 3);
    assert_int_equal(fresh.n, 3);
    assert_memory_equal(set.peers, fresh.peers,
                        3 * sizeof(ngx_http_swarm_peer_t));
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
                                       0, 0, 0, 0, 0 };

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


static ngx_http_swarm_peer_t
peer(const char *ip, int port, int state, const char *task)
{
    ngx_http_swarm_peer_t  p;

    memset(&p, 0, sizeof(p));
    strcpy(p.ip, ip);
    strcpy(p.task, task);
    p.family = AF_INET;
    sscanf(ip, "%hhu.%hhu.%hhu.%hhu", &p.addr[0], &p.addr[1], &p.addr[2],
           &p.addr[3]);
    p.port = (uint16_t) port;
    p.state = (uint8_t) state;

    return p;
}


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


static int
scan(const char *hdr, const char *name, char *value)
{
    int            n;
    size_t         vlen;
    const u_char  *v;

    vlen = 0;
    v = NULL;

    n = ngx_http_swarm_cookie_scan((const u_char *) hdr, strlen(hdr),
                                   (const u_char *) name, strlen(name), &v,
                                   &vlen);
    if (n) {
        memcpy(value, v, vlen);
    }

    value[n ? vlen : 0] = '\0';

    return n;
}


/* a filter as the engine gets it: compact JSON */

static void
assert_filters(json_t *filters, const char *want)
{
    char  *s;

    assert_non_null(filters);

    s = json_dumps(filters, JSON_COMPACT);
    assert_non_null(s);
    assert_string_equal(s, want);

    free(s);
    json_decref(filters);
}


static void
test_filters(void **state)
{
    ngx_http_swarm_service_t   svc[3];
    size_t                     from;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  by_label = { "swarm.upstream", "a=b", NULL,
                                            NULL, 80, 0, 0, 0, 0 };
    ngx_http_swarm_selector_t  by_name = { NULL, NULL, "stack_web", NULL,
                                           80, 0, 0, 0, 0 };
    ngx_http_swarm_selector_t  all = { NULL, NULL, NULL, NULL, 0, 0,
                                       NGX_HTTP_SWARM_ROUTES_TRAEFIK, 0, 0 };

    (void) state;

    assert_filters(ngx_http_swarm_services_filters(&by_label),
                   "{\"label\":[\"swarm.upstream=a=b\"]}");
    assert_filters(ngx_http_swarm_services_filters(&by_name),
                   "{\"name\":[\"stack_web\"]}");

    /* "traefik exposed_by_default": every service */

    assert_filters(ngx_http_swarm_services_filters(&all), "{}");

    /* sorted services, one matched by two selectors: asked once */

    memset(svc, 0, sizeof(svc));
    strcpy(svc[0].id, "aaa");
    strcpy(svc[1].id, "bbb");
    strcpy(svc[2].id, "bbb");
    svc[2].upstream = 1;

    svcs.services = svc;
    svcs.n = 3;
    svcs.cap = 3;

    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1000),
                   "{\"service\":[\"aaa\",\"bbb\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 3);
    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 1, &from, 1000),
                   "{\"service\":[\"aaa\",\"bbb\"],"
                   "\"desired-state\":[\"running\",\"shutdown\","
                   "\"remove\"]}");

    /* one service a query: as many queries as services, each once */

    from = 0;
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1),
                   "{\"service\":[\"aaa\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 1);
    assert_filters(ngx_http_swarm_tasks_filters(&svcs, 0, &from, 1),
                   "{\"service\":[\"bbb\"],"
                   "\"desired-state\":[\"running\"]}");
    assert_int_equal(from, 3);
}


/*
 * A rule's matches as text: "host,host path" or "* path", "=" before an
 * exact path, matches joined by " | ".
 */

static int
rule(int version, const char *text, char *out, size_t size)
{
    int                     rc;
    char                   *p;
    size_t                  i, k;
    ngx_http_swarm_rule_t   r;
    ngx_http_swarm_match_t *m;

    if (version == 1) {
        rc = ngx_http_swarm_rule_parse_v1(text, strlen(text), &r, out, size);

    } else {
        rc = ngx_http_swarm_rule_parse(text, strlen(text), &r, out, size);
    }

    if (rc != NGX_HTTP_SWARM_DONE) {
        ngx_http_swarm_rule_free(&r);
        return rc;
    }

    p = out;
    *p = '\0';

    for (i = 0; i < r.n; i++) {
        m = &r.matches[i];

        p += snprintf(p, out + size - p, "%s", i ? " | " : "");

        for (k = 0; k < m->nhosts; k++) {
            p += snprintf(p, out + size - p, "%s%s", k ? "," : "",
                          r.hosts[m->host + k]);
        }

        p += snprintf(p, out + size - p, "%s %s%s", m->nhosts ? "" : "*",
                      m->exact ? "=" : "", m->path);
    }

    ngx_http_swarm_rule_free(&r);

    return rc;
}


static void
test_rule(void **state)
{
    char                   out[1024], big[4097];
    ngx_http_swarm_rule_t  r;

    (void) state;

    /* Traefik v2 and v3 */

    assert_int_equal(rule(2, "Host(`a.example.com`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a.example.com /");

    assert_int_equal(rule(2, "Host(`A.Example.com`, \"www.example.com\") "
                             "&& PathPrefix(`/api`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a.example.com,www.example.com /api");

    assert_int_equal(rule(2, "host(`a`) && (Path(`/x`) || PATHPREFIX(`/y`, "
                             "`/z`))", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a =/x | a /y | a /z");

    assert_int_equal(rule(2, "(Host(`a`) || Host(`*.b.org.`)) && "
                             "PathPrefix(`/p`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "a /p | *.b.org /p");

    assert_int_equal(rule(2, "PathPrefix(`/`) || HostHeader(`c`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* / | c /");

    assert_int_equal(rule(2, "  Path(\"/a\\\"b\")  ", out, sizeof(out)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(out, "* =/a\"b");

    /* never approximated */

    assert_int_equal(rule(2, "HostRegexp(`{x:.+}`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"HostRegexp\" is not supported");

    assert_int_equal(rule(2, "Host(`a`) && !Path(`/x`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "\"!\" at offset 13 is not supported");

    assert_int_equal(rule(2, "Host(`a`) && Headers(`X`, `y`)", out,
                          sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"Headers\" is not supported");

    assert_int_equal(rule(2, "Host(`a`) && Host(`b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "two Host matchers joined by \"&&\" are not "
                             "supported");

    assert_int_equal(rule(2, "Frob(`a`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unknown matcher \"Frob\"");

    assert_int_equal(rule(2, "Host(`a`", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "Host(`a)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "unterminated value at offset 5");
    assert_int_equal(rule(2, "Host(`a b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "Host(`a..b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "Host(`a..`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "Host(`a:80`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "PathPrefix(`api`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "path \"api\" does not start with \"/\"");
    assert_int_equal(rule(2, "Host(`a`) Host(`b`)", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_int_equal(rule(2, "", out, sizeof(out)), NGX_HTTP_SWARM_FAILED);
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
    assert_int_equal(rule(2, "((((((((((((((((((Host(`a`)))))))))))))))))",
                          out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "parentheses nested over 16 deep");

    /* 8 paths by 9 hosts are over the bound */

    assert_int_equal(rule(2, "PathPrefix(`/1`,`/2`,`/3`,`/4`,`/5`,`/6`,`/7`,"
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

    assert_int_equal(rule(1, "PathPrefixStrip:/api", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
    assert_string_equal(out, "matcher \"PathPrefixStrip\" is not "
                             "supported");
    assert_int_equal(rule(1, "Host:a;Host:b", out, sizeof(out)),
                     NGX_HTTP_SWARM_FAILED);
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


/* routes from v2 rules: name, priority (-1 for none), rule */

typedef struct {
    const char             *name;
    long                    priority;
    const char             *rule;
} route_def_t;


static ngx_http_swarm_routes_t *
routes(const route_def_t *defs, size_t n, ngx_http_swarm_route_t *r,
    ngx_http_swarm_rule_t *rules, report_log_t *log)
{
    char                     err[256];
    size_t                   i;
    ngx_http_swarm_report_t  report;

    for (i = 0; i < n; i++) {
        assert_int_equal(ngx_http_swarm_rule_parse(defs[i].rule,
                                                   strlen(defs[i].rule),
                                                   &rules[i], err,
                                                   sizeof(err)),
                         NGX_HTTP_SWARM_DONE);

        r[i].name = defs[i].name;
        r[i].rule = &rules[i];
        r[i].priority = defs[i].priority;
        r[i].has_priority = (defs[i].priority >= 0);
    }

    memset(log, 0, sizeof(report_log_t));
    report.handler = report_handler;
    report.data = log;

    return ngx_http_swarm_routes_build(r, n, &report);
}


/* the name of the route for host and path, or "404" */

static const char *
route_for(ngx_http_swarm_routes_t *t, ngx_http_swarm_route_t *r,
    const char *host, const char *path)
{
    long  k;

    k = ngx_http_swarm_routes_find(t, host, host ? strlen(host) : 0, path,
                                   strlen(path));

    return k < 0 ? "404" : r[k].name;
}


static void
test_routes(void **state)
{
    size_t                    i, n;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[8];
    ngx_http_swarm_route_t    r[8];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  defs[] = {
        { "blog", -1, "Host(`blog.example.com`)" },
        { "api", -1, "PathPrefix(`/api`)" },
        { "shop", -1, "Host(`*.example.com`) && PathPrefix(`/shop`)" },
        { "deep", -1, "Host(`*.eu.example.com`)" },
        { "login", -1, "Host(`blog.example.com`) && PathPrefix(`/login`)" },
        { "exact", -1, "Host(`blog.example.com`) && Path(`/login`)" },
        { "admin", 10, "PathPrefix(`/admin`)" },
        { "www", -1, "Host(`www.example.com`) && PathPrefix(`/w`)" },
    };

    (void) state;

    n = sizeof(defs) / sizeof(defs[0]);
    t = routes(defs, n, r, rules, &log);
    assert_non_null(t);
    assert_int_equal(log.calls, 0);

    /* a host's routes before host-less ones, whatever the path */

    assert_string_equal(route_for(t, r, "blog.example.com", "/"), "blog");
    assert_string_equal(route_for(t, r, "blog.example.com", "/api/x"),
                        "blog");

    /* longest prefix; an exact path before a prefix of its length */

    assert_string_equal(route_for(t, r, "blog.example.com", "/login"),
                        "exact");
    assert_string_equal(route_for(t, r, "blog.example.com", "/login/x"),
                        "login");

    /* case, port and a trailing dot do not count */

    assert_string_equal(route_for(t, r, "BLOG.Example.COM:8080", "/"),
                        "blog");
    assert_string_equal(route_for(t, r, "blog.example.com.", "/"), "blog");

    /* wildcards: any name below, the longer suffix first, not the name */

    assert_string_equal(route_for(t, r, "a.example.com", "/shop/1"), "shop");
    assert_string_equal(route_for(t, r, "a.b.example.com", "/shop"), "shop");
    assert_string_equal(route_for(t, r, "x.eu.example.com", "/shop"),
                        "deep");
    assert_string_equal(route_for(t, r, "example.com", "/shop"), "404");

    /* a host whose routes do not cover the path falls through */

    assert_string_equal(route_for(t, r, "www.example.com", "/w"), "www");
    assert_string_equal(route_for(t, r, "www.example.com", "/shop"), "shop");
    assert_string_equal(route_for(t, r, "www.example.com", "/api"), "api");
    assert_string_equal(route_for(t, r, "www.example.com", "/"), "404");
    assert_string_equal(route_for(t, r, NULL, "/api"), "api");
    assert_string_equal(route_for(t, r, "", "/other"), "404");
    assert_string_equal(route_for(t, r, "other.org", "/apix"), "api");

    /* what is no host name gets the routes for any host only */

    assert_string_equal(route_for(t, r, "*.example.com", "/shop"), "404");
    assert_string_equal(route_for(t, r, "[::1]:8080", "/api"), "api");
    assert_string_equal(route_for(t, r, "blog.example.com/x", "/"), "404");

    /* a priority decides first */

    assert_string_equal(route_for(t, r, "blog.example.com", "/admin"),
                        "admin");

    ngx_http_swarm_routes_free(t);

    for (i = 0; i < n; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }
}


static void
test_routes_ties(void **state)
{
    size_t                    i;
    report_log_t              log;
    ngx_http_swarm_rule_t     rules[2];
    ngx_http_swarm_route_t    r[2];
    ngx_http_swarm_routes_t  *t;

    static const route_def_t  ab[] = {
        { "b", -1, "Host(`x.org`)" },
        { "a", -1, "Host(`X.org`) && PathPrefix(`/`)" },
    };

    static const route_def_t  ba[] = {
        { "a", -1, "Host(`x.org`)" },
        { "b", -1, "Host(`x.org`)" },
    };

    (void) state;

    /* the same host and path: the service name decides, in any order */

    t = routes(ab, 2, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "x.org", "/"), "a");
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 0);
    assert_string_equal(log.service, "b");
    assert_string_equal(log.msg, "host \"x.org\" and path \"/\" are "
                                 "service \"a\"'s, which comes first");
    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    t = routes(ba, 2, r, rules, &log);
    assert_non_null(t);
    assert_string_equal(route_for(t, r, "x.org", "/"), "a");
    assert_int_equal(log.calls, 1);
    ngx_http_swarm_routes_free(t);

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_rule_free(&rules[i]);
    }

    /* no route at all */

    t = ngx_http_swarm_routes_build(NULL, 0, NULL);
    assert_non_null(t);
    assert_int_equal(ngx_http_swarm_routes_find(t, "a", 1, "/", 1), -1);
    ngx_http_swarm_routes_free(t);
}


static void
test_labels_native(void **state)
{
    json_t                   *labels;
    report_log_t              log;
    json_error_t              jerr;
    ngx_http_swarm_labels_t   out;
    ngx_http_swarm_report_t   report;

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    labels = json_loads("{\"swarm.enable\": \"true\", "
                        "\"swarm.http.host\": \"a.example.com\", "
                        "\"swarm.http.path\": \"/api\", "
                        "\"swarm.http.priority\": \"7\", "
                        "\"swarm.port\": \"8080\", "
                        "\"swarm.network\": \"front\", "
                        "\"swarm.sticky\": \"true\", "
                        "\"swarm.sticky.cookie\": \"sess\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(ngx_http_swarm_labels_native(labels, &out, &report, 2,
                                                  "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].router, "");
    assert_int_equal(out.routes[0].rule.n, 1);
    assert_string_equal(out.routes[0].rule.hosts[0], "a.example.com");
    assert_string_equal(out.routes[0].rule.matches[0].path, "/api");
    assert_int_equal(out.routes[0].priority, 7);
    assert_int_equal(out.routes[0].has_priority, 1);
    assert_int_equal(out.routes[0].port, 8080);
    assert_string_equal(out.routes[0].network, "front");
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.routes[0].sticky.name, "sess");
    assert_int_equal(out.routes[0].sticky.secure, -1);
    ngx_http_swarm_labels_free(&out);

    /* round robin without swarm.sticky; not routed, and said why */

    json_object_del(labels, "swarm.sticky");
    assert_int_equal(ngx_http_swarm_labels_native(labels, &out, &report, 2,
                                                  "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.routes[0].sticky.on, 0);
    ngx_http_swarm_labels_free(&out);

    json_object_set_new(labels, "swarm.port", json_string("http"));
    assert_int_equal(ngx_http_swarm_labels_native(labels, &out, &report, 2,
                                                  "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 1);
    assert_int_equal(log.upstream, 2);
    assert_string_equal(log.service, "web");
    assert_string_equal(log.msg, "not routed: invalid swarm.port \"http\"");
    ngx_http_swarm_labels_free(&out);

    json_object_del(labels, "swarm.http.host");
    json_object_del(labels, "swarm.http.path");
    assert_int_equal(ngx_http_swarm_labels_native(labels, &out, &report, 2,
                                                  "web"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_string_equal(log.msg, "not routed: no swarm.http.host or "
                                 "swarm.http.path label");
    ngx_http_swarm_labels_free(&out);

    json_decref(labels);
}


static void
test_labels_traefik(void **state)
{
    json_t                   *labels;
    report_log_t              log;
    json_error_t              jerr;
    ngx_http_swarm_labels_t   out;
    ngx_http_swarm_report_t   report;

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    /* v1, as in Traefik's Swarm walkthrough */

    labels = json_loads("{\"traefik.port\": \"80\", "
                        "\"traefik.docker.network\": \"traefik-net\", "
                        "\"traefik.frontend.rule\": "
                        "\"Host:whoami0.traefik\", "
                        "\"traefik.backend.loadbalancer.sticky\": "
                        "\"true\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out, &report, 0,
                                                   "whoami0"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_int_equal(log.calls, 0);
    assert_string_equal(out.routes[0].rule.hosts[0], "whoami0.traefik");
    assert_int_equal(out.routes[0].port, 80);
    assert_string_equal(out.routes[0].network, "traefik-net");
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.ignored, "");
    ngx_http_swarm_labels_free(&out);

    /* traefik.enable=false: none, and nothing to say */

    json_object_set_new(labels, "traefik.enable", json_string("false"));
    assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out, &report, 0,
                                                   "whoami0"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 0);
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);

    /* v2: keys in any case, two routers, one not routable, the rest */

    labels = json_loads("{\"traefik.enable\": \"true\", "
                        "\"traefik.http.routers.Web.rule\": "
                        "\"Host(`a.example.com`) && PathPrefix(`/x`)\", "
                        "\"Traefik.HTTP.routers.web.priority\": \"5\", "
                        "\"traefik.http.routers.web.service\": \"app\", "
                        "\"traefik.http.routers.web.entrypoints\": "
                        "\"web\", "
                        "\"traefik.http.routers.regex.rule\": "
                        "\"HostRegexp(`{x:.+}`)\", "
                        "\"traefik.http.services.app.loadbalancer.server."
                        "port\": \"8080\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.name\": \"sess\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.secure\": \"true\", "
                        "\"traefik.http.services.app.loadbalancer.sticky."
                        "cookie.maxage\": \"3600\", "
                        "\"traefik.http.services.other.loadbalancer.server."
                        "port\": \"9000\"}", 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out, &report, 1,
                                                   "shop"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 1);
    assert_string_equal(out.routes[0].router, "web");
    assert_int_equal(out.routes[0].rule.n, 1);
    assert_string_equal(out.routes[0].rule.matches[0].path, "/x");
    assert_int_equal(out.routes[0].priority, 5);
    assert_int_equal(out.routes[0].port, 8080);
    assert_int_equal(out.routes[0].sticky.on, 1);
    assert_string_equal(out.routes[0].sticky.name, "sess");
    assert_int_equal(out.routes[0].sticky.secure, 1);
    assert_int_equal(out.routes[0].sticky.httponly, -1);
    assert_int_equal(out.routes[0].sticky.max_age, 3600);
    assert_string_equal(out.ignored,
                        "traefik.http.routers.web.entrypoints");
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "shop");
    assert_string_equal(log.msg, "router \"regex\" not routed: matcher "
                                 "\"HostRegexp\" is not supported");
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);

    /* maxage as Traefik has it: 0 a session cookie, below 0 Max-Age=0 */

    {
        const char  *ages[] = { "0", "-1", "60" };
        long         want[] = { NGX_HTTP_SWARM_MAX_AGE_SESSION, 0, 60 };
        char         text[512];
        size_t       a;

        for (a = 0; a < 3; a++) {
            snprintf(text, sizeof(text),
                     "{\"traefik.enable\": \"true\", "
                     "\"traefik.http.routers.r.rule\": \"Host(`a.test`)\", "
                     "\"traefik.http.services.s.loadbalancer.server.port\": "
                     "\"80\", "
                     "\"traefik.http.services.s.loadbalancer.sticky.cookie."
                     "maxage\": \"%s\"}", ages[a]);
            labels = json_loads(text, 0, &jerr);
            assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out,
                                                           &report, 1, "s"),
                             NGX_HTTP_SWARM_DONE);
            assert_int_equal(out.n, 1);
            assert_int_equal(out.routes[0].sticky.on, 1);
            assert_int_equal(out.routes[0].sticky.max_age, want[a]);
            assert_string_equal(out.ignored, "");
            ngx_http_swarm_labels_free(&out);
            json_decref(labels);
        }
    }

    /* middlewares, which do not run here: never routed without them */

    labels = json_loads("{\"traefik.enable\": \"true\", "
                        "\"traefik.http.routers.adm.rule\": "
                        "\"Host(`adm.example.com`)\", "
                        "\"traefik.http.routers.adm.middlewares\": "
                        "\"admin-auth@swarm\", "
                        "\"traefik.http.services.adm.loadbalancer.server."
                        "port\": \"8080\"}", 0, &jerr);
    log.calls = 0;
    assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out, &report, 1,
                                                   "admin"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "router \"adm\" not routed: middlewares "
                                 "\"admin-auth@swarm\" are not supported");
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);

    /* no rule at all */

    labels = json_loads("{\"traefik.port\": \"80\"}", 0, &jerr);
    assert_int_equal(ngx_http_swarm_labels_traefik(labels, &out, &report, 1,
                                                   "bare"),
                     NGX_HTTP_SWARM_DONE);
    assert_int_equal(out.n, 0);
    assert_string_equal(log.msg, "not routed: no router rule and no "
                                 "traefik.frontend.rule");
    ngx_http_swarm_labels_free(&out);
    json_decref(labels);
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
test_cookie_format(void **state)
{
    u_char                   buf[256];
    size_t                   n;
    ngx_http_swarm_cookie_t  ck;

    (void) state;

    memset(&ck, 0, sizeof(ck));
    ck.name = "route";
    ck.path = "/";
    ck.max_age = -1;

    n = ngx_http_swarm_cookie_format(buf, sizeof(buf), &ck, "10.0.2.7", 8);
    assert_string_equal((char *) buf, "route=10.0.2.7; Path=/");
    assert_int_equal(n, strlen((char *) buf));

    ck.name = "srv";
    ck.path = "/shop";
    ck.domain = ".example.com";
    ck.max_age = 3600;
    ck.secure = 1;
    ck.httponly = 1;
    ck.samesite = "Lax";

    n = ngx_http_swarm_cookie_format(buf, sizeof(buf), &ck, "10.0.2.7", 8);
    assert_string_equal((char *) buf,
                        "srv=10.0.2.7; Path=/shop; Domain=.example.com; "
                        "Max-Age=3600; Secure; HttpOnly; SameSite=Lax");
    assert_int_equal(n, strlen((char *) buf));

    /* the size is reported whatever the buffer, as snprintf() does */

    assert_int_equal(ngx_http_swarm_cookie_format(NULL, 0, &ck, "10.0.2.7",
                                                  8),
                     n);
    assert_int_equal(ngx_http_swarm_cookie_format(buf, 10, &ck, "10.0.2.7",
                                                  8),
                     n);
    assert_string_equal((char *) buf, "srv=10.0.");

    ck.max_age = 0;
    ck.path = NULL;
    ck.domain = NULL;
    ck.secure = 0;
    ck.httponly = 0;
    ck.samesite = NULL;

    ngx_http_swarm_cookie_format(buf, sizeof(buf), &ck, "fd00::7", 7);
    assert_string_equal((char *) buf, "srv=fd00::7; Max-Age=0");
}


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
                                       0 };

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


/* the services of a routes selector: their routes, in an order of their own */

static void
test_services_routes(void **state)
{
    int                        rc;
    char                       err[256], *a, *b, *list;
    size_t                     n, i;
    json_t                    *root, *routes, *r;
    report_log_t               log;
    ngx_http_swarm_report_t    report;
    ngx_http_swarm_services_t  svcs;
    ngx_http_swarm_selector_t  sel = { "swarm.enable", "true", NULL, NULL,
                                       0, 0, NGX_HTTP_SWARM_ROUTES_NATIVE,
                                       0, 0 };

    (void) state;

    memset(&log, 0, sizeof(log));
    report.handler = report_handler;
    report.data = &log;

    a = "{\"ID\": \"aaa\", \"Spec\": {\"Name\": \"a\", \"Labels\": "
        "{\"swarm.enable\": \"true\", \"swarm.port\": \"80\", "
        "\"swarm.http.host\": \"a.example.com\", "
        "\"swarm.sticky\": \"true\"}}}";
    b = "{\"ID\": \"bbb\", \"Spec\": {\"Name\": \"b\", \"Labels\": "
        "{\"swarm.enable\": \"true\", \"swarm.port\": \"81\", "
        "\"swarm.http.host\": \"B.example.com, c.example.com\", "
        "\"swarm.http.path\": \"/x\"}}}";

    list = malloc(strlen(a) + strlen(b) + 256);
    assert_non_null(list);

    /* whatever the order Docker lists them in */

    for (i = 0; i < 2; i++) {
        sprintf(list, "[%s, %s, {\"ID\": \"ccc\", \"Spec\": {\"Name\": "
                "\"c\", \"Labels\": {\"swarm.enable\": \"true\"}}}]",
                i ? a : b, i ? b : a);

        memset(&svcs, 0, sizeof(svcs));
        log.calls = 0;

        rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                           &report, err, sizeof(err));
        assert_int_equal(rc, NGX_HTTP_SWARM_DONE);

        /* c has no rule: said, and not routed */

        assert_int_equal(log.calls, 1);
        assert_string_equal(log.service, "c");
        assert_int_equal(svcs.n, 2);
        assert_int_equal(svcs.nrouted, 2);

        n = ngx_http_swarm_services_routes(&svcs, 0, &report);
        assert_int_equal(n, 2);

        ngx_http_swarm_services_sort(&svcs);
        assert_string_equal(svcs.services[0].name, "a");
        assert_int_equal(svcs.services[0].route, 0);
        assert_int_equal(svcs.services[0].port, 80);
        assert_string_equal(svcs.services[1].name, "b");
        assert_int_equal(svcs.services[1].route, 1);
        assert_int_equal(svcs.services[1].port, 81);

        root = ngx_http_swarm_services_routes_json(&svcs, 0, &report);
        assert_non_null(root);
        assert_int_equal(log.calls, 1);

        routes = json_object_get(root, "routes");
        assert_int_equal(json_array_size(routes), 2);

        r = json_array_get(routes, 0);
        assert_string_equal(json_string_value(json_object_get(r, "service")),
                            "a");
        assert_true(json_is_object(json_object_get(r, "sticky")));
        assert_true(json_is_null(json_object_get(r, "priority")));

        r = json_array_get(routes, 1);
        assert_string_equal(json_string_value(json_object_get(r, "service")),
                            "b");
        assert_true(json_is_null(json_object_get(r, "sticky")));

        r = json_array_get(json_object_get(r, "rule"), 0);
        assert_string_equal(json_string_value(json_object_get(r, "path")),
                            "/x");
        assert_string_equal(json_string_value(
                                json_array_get(json_object_get(r, "hosts"),
                                               0)),
                            "b.example.com");
        assert_int_equal(json_array_size(json_object_get(r, "hosts")), 2);

        json_decref(root);

        /* of another upstream: none */

        root = ngx_http_swarm_services_routes_json(&svcs, 1, &report);
        assert_int_equal(json_array_size(json_object_get(root, "routes")), 0);
        json_decref(root);

        ngx_http_swarm_services_free(&svcs);
    }

    /* the same host and path twice: the loser is said */

    sprintf(list, "[%s, {\"ID\": \"bb2\", \"Spec\": {\"Name\": \"b2\", "
            "\"Labels\": {\"swarm.enable\": \"true\", \"swarm.port\": "
            "\"81\", \"swarm.http.host\": \"b.example.com\", "
            "\"swarm.http.path\": \"/x\"}}}]", b);

    memset(&svcs, 0, sizeof(svcs));
    log.calls = 0;

    rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                       &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(svcs.nrouted, 2);

    (void) ngx_http_swarm_services_routes(&svcs, 0, &report);
    root = ngx_http_swarm_services_routes_json(&svcs, 0, &report);
    assert_non_null(root);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "b2");
    json_decref(root);

    ngx_http_swarm_services_free(&svcs);

    /* a label's port outside ports=: not routed, and said */

    sel.port_min = 1;
    sel.port_max = 80;

    sprintf(list, "[%s, %s]", a, b);

    memset(&svcs, 0, sizeof(svcs));
    log.calls = 0;

    rc = ngx_http_swarm_services_parse(list, strlen(list), &sel, &svcs,
                                       &report, err, sizeof(err));
    assert_int_equal(rc, NGX_HTTP_SWARM_DONE);
    assert_int_equal(svcs.nrouted, 1);
    assert_string_equal(svcs.routed[0].service, "a");
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.service, "b");
    assert_string_equal(log.msg, "port 81 is outside ports=1-80, not routed");

    ngx_http_swarm_services_free(&svcs);
    free(list);
}


/* a rule as the workers get it: the same rule back, checked again */

static void
test_rule_json(void **state)
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

    json = ngx_http_swarm_rule_json(&rule);
    assert_non_null(json);
    assert_int_equal(json_array_size(json), 2);

    assert_int_equal(ngx_http_swarm_rule_from_json(json, &again, err,
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

    back = ngx_http_swarm_rule_json(&again);
    assert_true(json_equal(json, back));

    json_decref(back);
    json_decref(json);
    ngx_http_swarm_rule_free(&rule);
    ngx_http_swarm_rule_free(&again);

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

        json = ngx_http_swarm_rule_json(&rule);

        /* the names written once: the second match names the first */

        assert_int_equal(json_integer_value(
                             json_object_get(json_array_get(json, 1),
                                             "hosts_of")), 0);
        assert_null(json_object_get(json_array_get(json, 1), "hosts"));

        assert_int_equal(ngx_http_swarm_rule_from_json(json, &again, err,
                                                       sizeof(err)),
                         NGX_HTTP_SWARM_DONE);
        assert_int_equal(again.n, 2);
        assert_int_equal(again.nhosts, 129);
        assert_int_equal(again.matches[1].host, again.matches[0].host);
        back = ngx_http_swarm_rule_json(&again);
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
        json = ngx_http_swarm_rule_json(&rule);
        assert_int_equal(ngx_http_swarm_rule_from_json(json, &again, err,
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
        assert_int_equal(ngx_http_swarm_rule_from_json(bad, &again, err,
                                                       sizeof(err)),
                         NGX_HTTP_SWARM_FAILED);
        ngx_http_swarm_rule_free(&again);
        json_decref(bad);
    }
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


/* the routes that labels (JSON text) give, what was said in "log" */

static size_t
routes_of(const char *text, int traefik, ngx_http_swarm_labels_t *out,
    report_log_t *log)
{
    json_t                   *labels;
    json_error_t              jerr;
    ngx_http_swarm_report_t   report;

    memset(log, 0, sizeof(report_log_t));
    report.handler = report_handler;
    report.data = log;

    labels = json_loads(text, 0, &jerr);
    assert_non_null(labels);

    assert_int_equal(traefik
                     ? ngx_http_swarm_labels_traefik(labels, out, &report, 0,
                                                     "s")
                     : ngx_http_swarm_labels_native(labels, out, &report, 0,
                                                    "s"),
                     NGX_HTTP_SWARM_DONE);

    json_decref(labels);

    return out->n;
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


/* a service with no traefik.* label is none of Traefik's: nothing said */

static void
test_labels_not_traefik(void **state)
{
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    assert_int_equal(routes_of("{\"swarm.port\": \"80\", "
                               "\"com.docker.stack.namespace\": \"s\"}",
                               1, &out, &log),
                     0);
    assert_int_equal(log.calls, 0);
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.port\": \"80\"}", 1, &out,
                               &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "not routed: no router rule and no "
                        "traefik.frontend.rule");
    ngx_http_swarm_labels_free(&out);
}


/* a cookie that a Set-Cookie header cannot carry is no route */

static void
test_labels_cookie(void **state)
{
    report_log_t             log;
    ngx_http_swarm_labels_t  out;

    (void) state;

    assert_int_equal(routes_of("{\"swarm.http.host\": \"a.example.com\", "
                               "\"swarm.sticky\": \"true\", "
                               "\"swarm.sticky.cookie\": \"a;b\"}", 0,
                               &out, &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "not routed: invalid cookie name");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.http.routers.r.rule\": "
                               "\"Host(`a.example.com`)\", "
                               "\"traefik.http.services.s.loadbalancer."
                               "sticky.cookie.samesite\": \"LAX\"}", 1,
                               &out, &log),
                     1);
    assert_string_equal(out.routes[0].sticky.samesite, "Lax");
    ngx_http_swarm_labels_free(&out);

    assert_int_equal(routes_of("{\"traefik.http.routers.r.rule\": "
                               "\"Host(`a.example.com`)\", "
                               "\"traefik.http.services.s.loadbalancer."
                               "sticky.cookie.samesite\": \"sometimes\"}",
                               1, &out, &log),
                     0);
    assert_int_equal(log.calls, 1);
    assert_string_equal(log.msg, "router \"r\" not routed: invalid cookie "
                        "samesite \"sometimes\"");
    ngx_http_swarm_labels_free(&out);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_services_by_label),
        cmocka_unit_test(test_services_by_name),
        cmocka_unit_test(test_services_no_port),
        cmocka_unit_test(test_tasks_steady),
        cmocka_unit_test(test_tasks_ambiguous_network),
        cmocka_unit_test(test_tasks_network_chosen),
        cmocka_unit_test(test_tasks_scaling_up),
        cmocka_unit_test(test_tasks_mixed),
        cmocka_unit_test(test_tasks_states),
        cmocka_unit_test(test_tasks_errors),
        cmocka_unit_test(test_array_framing),
        cmocka_unit_test(test_array_large_element),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_tasks_cache),
        cmocka_unit_test(test_every_fixture),
        cmocka_unit_test(test_sort_large),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_rule_native),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_routes_ties),
        cmocka_unit_test(test_labels_native),
        cmocka_unit_test(test_labels_traefik),
        cmocka_unit_test(test_cookie_scan),
        cmocka_unit_test(test_cookie_valid),
        cmocka_unit_test(test_cookie_format),
        cmocka_unit_test(test_services_routes),
        cmocka_unit_test(test_rule_json),
        cmocka_unit_test(test_set_routes),
        cmocka_unit_test(test_labels_cookie),
        cmocka_unit_test(test_labels_not_traefik),
        cmocka_unit_test(test_address_refused),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_set_carry),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
