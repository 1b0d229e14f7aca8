
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The helpers that more than one unit's tests use (unit_test.h).
 */


#include <sys/socket.h>
#include <arpa/inet.h>

#include "unit_test.h"


void
report_handler(void *data, unsigned upstream, const char *service,
    const char *msg)
{
    report_log_t  *log = data;

    log->calls++;
    log->upstream = upstream;
    snprintf(log->service, sizeof(log->service), "%s", service);
    snprintf(log->msg, sizeof(log->msg), "%s", msg);
}


char *
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


/* the array framing: elements found by brackets outside strings */

int
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


ngx_http_swarm_peer_t
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


int
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


/*
 * A rule's matches as text: "host,host path" or "* path", "=" before an
 * exact path, then its conditions in brackets, each "Type(name:value,
 * value)", "!" before it where negated, "/i" after it in any case, "/1"
 * on a first value; matches joined by " | ".  Traefik's syntax of the
 * version given, 0 for the native labels' ("host" "path").
 */

int
rule(int version, const char *text, char *out, size_t size)
{
    int                     rc;
    char                   *p;
    size_t                  i, k, j;
    ngx_http_swarm_rule_t   r;
    ngx_http_swarm_match_t *m;
    ngx_http_swarm_cond_t  *c;

    if (version == 1) {
        rc = ngx_http_swarm_rule_parse_v1(text, strlen(text), &r, out, size);

    } else if (version == 2) {
        rc = ngx_http_swarm_rule_parse_v2(text, strlen(text), &r, out, size);

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

        for (k = 0; k < m->nconds; k++) {
            c = &r.conds[m->cond + k];

            p += snprintf(p, out + size - p, "%s%s%s(%s%s", k ? " " : " [",
                          c->negate ? "!" : "",
                          ngx_http_swarm_cond_name(c->type), c->name,
                          c->name[0] ? ":" : "");

            for (j = 0; j < c->nvalues; j++) {
                p += snprintf(p, out + size - p, "%s%s", j ? "," : "",
                              r.values[c->value + j]);
            }

            p += snprintf(p, out + size - p, ")%s%s%s",
                          c->caseless ? "/i" : "", c->first ? "/1" : "",
                          k + 1 == m->nconds ? "]" : "");
        }
    }

    ngx_http_swarm_rule_free(&r);

    return rc;
}


ngx_http_swarm_routes_t *
routes(const route_def_t *defs, size_t n, unsigned order,
    ngx_http_swarm_route_t *r, ngx_http_swarm_rule_t *rules,
    report_log_t *log)
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

        memset(&r[i], 0, sizeof(ngx_http_swarm_route_t));
        r[i].name = defs[i].name;
        r[i].rule = &rules[i];
        r[i].priority = defs[i].priority;
        r[i].has_priority = (defs[i].priority != NONE);

        if (order == NGX_HTTP_SWARM_ORDER_TRAEFIK && !r[i].has_priority) {
            r[i].priority = (long) strlen(defs[i].rule);
            r[i].has_priority = 1;
        }
    }

    memset(log, 0, sizeof(report_log_t));
    report.handler = report_handler;
    report.data = log;

    return ngx_http_swarm_routes_build(r, n, order, &report);
}
