
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_metrics: the Prometheus text exposition of what is counted of
 * each task (ngx_http_swarm_counters.c), of each upstream's task set and
 * of discovery, in the nginx_swarm_ namespace.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_counts.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_counters.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_certs.h"
#include "ngx_http_swarm_status.h"
#include "ngx_http_swarm_metrics.h"


/* the text is made in a chain of buffers of this size */
#define NGX_HTTP_SWARM_METRICS_BUF   65536


typedef struct {
    ngx_http_request_t         *r;
    ngx_chain_t                *out;
    ngx_chain_t               **last;
    ngx_buf_t                  *b;
} ngx_http_swarm_out_t;


/* a family of per-task series, and what of the counts it shows */

typedef struct {
    const char                 *name;
    const char                 *type;
    const char                 *help;
} ngx_http_swarm_family_t;


static ngx_int_t ngx_http_swarm_printf(ngx_http_swarm_out_t *t,
    const char *fmt, ...);
static ngx_int_t ngx_http_swarm_family(ngx_http_swarm_out_t *t,
    const char *name, const char *type, const char *help);
static ngx_int_t ngx_http_swarm_metrics_tasks(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm);
static ngx_int_t ngx_http_swarm_metrics_task(ngx_http_swarm_out_t *t,
    ngx_uint_t family, ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_counter_t *c);
static ngx_int_t ngx_http_swarm_labels(ngx_http_swarm_out_t *t,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_counter_t *c);
static ngx_int_t ngx_http_swarm_valuen(ngx_http_swarm_out_t *t,
    const char *name, const u_char *value, size_t len);
static ngx_int_t ngx_http_swarm_value(ngx_http_swarm_out_t *t,
    const char *name, const char *value);
static ngx_int_t ngx_http_swarm_upstream_series(ngx_http_swarm_out_t *t,
    ngx_http_swarm_upstream_t *up, const char *family, const char *state,
    ngx_uint_t value);
static ngx_int_t ngx_http_swarm_metrics_upstreams(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm);
static ngx_int_t ngx_http_swarm_metrics_discovery(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm);
static ngx_int_t ngx_http_swarm_metrics_certs(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm);
static ngx_int_t ngx_http_swarm_metrics_cert(ngx_http_swarm_out_t *t,
    const char *family, const char *main, json_t *rec, const char *extra,
    const char *value);


static ngx_http_swarm_family_t  ngx_http_swarm_families[] = {
    { "nginx_swarm_task_requests_total", "counter",
      "Requests whose last try went to the task." },
    { "nginx_swarm_task_responses_total", "counter",
      "Responses to those requests, by status class." },
    { "nginx_swarm_task_failures_total", "counter",
      "Tries of the task that failed (connect, timeout, or what "
      "proxy_next_upstream counts)." },
    { "nginx_swarm_task_sticky_total", "counter",
      "Requests to a sticky upstream or route by what their cookie did: "
      "new (no cookie), hit (its task), rebound (another task)." },
    { "nginx_swarm_task_response_seconds", "histogram",
      "Upstream response time of the task's answers." }
};


static const char  *ngx_http_swarm_failure_kinds[] = {
    "transport", "http", "too_large", "answer"
};


/* as ngx_http_swarm.h numbers them: NGX_HTTP_SWARM_MW_SCHEME... */

static const char  *ngx_http_swarm_mw_kinds[] = {
    "", "redirectscheme", "redirectregex", "basicauth", "headers",
    "ipallowlist", "ratelimit", "inflightreq", "buffering", "forwardauth",
    "errors"
};


/* as ngx_http_swarm_answered() places them */

static const char  *ngx_http_swarm_mw_codes[] = {
    "200", "301", "302", "307", "308", "401", "403", "429", "other"
};


ngx_int_t
ngx_http_swarm_metrics_handler(ngx_http_request_t *r, ngx_http_swarm_t *swarm)
{
    ngx_int_t              rc;
    ngx_http_swarm_out_t  t;

    rc = ngx_http_swarm_status_page_begin(r);
    if (rc != NGX_OK) {
        return rc;
    }

    t.r = r;
    t.out = NULL;
    t.last = &t.out;
    t.b = NULL;

    if (swarm->zone.sh
        && (ngx_http_swarm_metrics_tasks(&t, swarm) != NGX_OK
            || ngx_http_swarm_metrics_upstreams(&t, swarm) != NGX_OK
            || ngx_http_swarm_metrics_discovery(&t, swarm) != NGX_OK
            || (swarm->resolvers.nelts
                && ngx_http_swarm_metrics_certs(&t, swarm) != NGX_OK)))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (t.b == NULL && ngx_http_swarm_printf(&t, "") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_swarm_status_page_send(r, t.out, -1,
                                           "text/plain; version=0.0.4; "
                                           "charset=utf-8");
}


/* each family, the series of every task of every upstream */

static ngx_int_t
ngx_http_swarm_metrics_tasks(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm)
{
    ngx_uint_t                   f, i, j, *n;
    ngx_http_swarm_counter_t   **copies;
    ngx_http_swarm_upstream_t  **upp;

    upp = swarm->upstreams.elts;

    copies = ngx_palloc(t->r->pool, swarm->upstreams.nelts
                                    * sizeof(ngx_http_swarm_counter_t *));
    n = ngx_palloc(t->r->pool, swarm->upstreams.nelts * sizeof(ngx_uint_t));

    if (copies == NULL || n == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < swarm->upstreams.nelts; i++) {
        if (ngx_http_swarm_counts_copy(upp[i], t->r->pool, &copies[i],
                                         &n[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    for (f = 0; f < sizeof(ngx_http_swarm_families)
                    / sizeof(ngx_http_swarm_family_t); f++)
    {
        if (ngx_http_swarm_family(t, ngx_http_swarm_families[f].name,
                                  ngx_http_swarm_families[f].type,
                                  ngx_http_swarm_families[f].help)
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        for (i = 0; i < swarm->upstreams.nelts; i++) {
            for (j = 0; j < n[i]; j++) {
                if (ngx_http_swarm_metrics_task(t, f, upp[i], &copies[i][j])
                    != NGX_OK)
                {
                    return NGX_ERROR;
                }
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_metrics_task(ngx_http_swarm_out_t *t, ngx_uint_t family,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_counter_t *c)
{
    u_char             le[32];
    uint64_t           sum, *v;
    ngx_uint_t         i;
    const char        *name;
    ngx_msec_t         ms;

    static const char  *codes[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
    static const char  *sticky[] = { "new", "hit", "rebound" };

    v = c->counts.v;
    name = ngx_http_swarm_families[family].name;

    switch (family) {

    case 0:
    case 2:
        if (ngx_http_swarm_printf(t, "%s{", name) != NGX_OK
            || ngx_http_swarm_labels(t, up, c) != NGX_OK)
        {
            return NGX_ERROR;
        }

        return ngx_http_swarm_printf(t, "} %uL\n",
                                     v[family == 0
                                       ? NGX_HTTP_SWARM_C_REQUESTS
                                       : NGX_HTTP_SWARM_C_FAILURES]);

    case 1:
        for (i = 0; i < 5; i++) {
            if (ngx_http_swarm_printf(t, "%s{", name) != NGX_OK
                || ngx_http_swarm_labels(t, up, c) != NGX_OK
                || ngx_http_swarm_printf(t, ",") != NGX_OK
                || ngx_http_swarm_value(t, "code", codes[i]) != NGX_OK
                || ngx_http_swarm_printf(t, "} %uL\n",
                                         v[NGX_HTTP_SWARM_C_1XX + i])
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        return NGX_OK;

    case 3:
        for (i = 0; i < 3; i++) {
            if (ngx_http_swarm_printf(t, "%s{", name) != NGX_OK
                || ngx_http_swarm_labels(t, up, c) != NGX_OK
                || ngx_http_swarm_printf(t, ",") != NGX_OK
                || ngx_http_swarm_value(t, "outcome", sticky[i]) != NGX_OK
                || ngx_http_swarm_printf(t, "} %uL\n",
                                         v[NGX_HTTP_SWARM_C_NEW + i])
                   != NGX_OK)
            {
                return NGX_ERROR;
            }
        }

        return NGX_OK;
    }

    /* the histogram: cumulative buckets, then the sum and the count */

    sum = 0;

    for (i = 0; i <= NGX_HTTP_SWARM_C_BUCKETS; i++) {
        sum += v[NGX_HTTP_SWARM_C_BUCKET + i];

        if (i < NGX_HTTP_SWARM_C_BUCKETS) {
            ms = ngx_http_swarm_counters_bucket(i);
            ngx_sprintf(le, "%ui.%03ui%Z", ms / 1000, ms % 1000);

        } else {
            ngx_cpystrn(le, (u_char *) "+Inf", sizeof(le));
        }

        if (ngx_http_swarm_printf(t, "%s_bucket{", name) != NGX_OK
            || ngx_http_swarm_labels(t, up, c) != NGX_OK
            || ngx_http_swarm_printf(t, ",") != NGX_OK
            || ngx_http_swarm_value(t, "le", (char *) le) != NGX_OK
            || ngx_http_swarm_printf(t, "} %uL\n", sum) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_swarm_printf(t, "%s_sum{", name) != NGX_OK
        || ngx_http_swarm_labels(t, up, c) != NGX_OK
        || ngx_http_swarm_printf(t, "} %uL.%03uL\n",
                                 v[NGX_HTTP_SWARM_C_TIME_MS] / 1000,
                                 v[NGX_HTTP_SWARM_C_TIME_MS] % 1000)
           != NGX_OK
        || ngx_http_swarm_printf(t, "%s_count{", name) != NGX_OK
        || ngx_http_swarm_labels(t, up, c) != NGX_OK
        || ngx_http_swarm_printf(t, "} %uL\n", v[NGX_HTTP_SWARM_C_TIMED])
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a task's labels, the route's where the upstream routes */

static ngx_int_t
ngx_http_swarm_labels(ngx_http_swarm_out_t *t, ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_counter_t *c)
{
    u_char  slot[NGX_INT32_LEN + 1];

    ngx_sprintf(slot, "%uD%Z", c->slot);

    if (ngx_http_swarm_valuen(t, "upstream", up->name.data, up->name.len)
        != NGX_OK
        || (up->routes
            && (ngx_http_swarm_printf(t, ",") != NGX_OK
                || ngx_http_swarm_value(t, "route", c->route) != NGX_OK))
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "service", c->service) != NGX_OK
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "task", c->task) != NGX_OK
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "slot", (char *) slot) != NGX_OK
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "node", c->node) != NGX_OK
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "address", c->address) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* name="value", the value escaped as the format wants: \\ \" \n */

static ngx_int_t
ngx_http_swarm_value(ngx_http_swarm_out_t *t, const char *name,
    const char *value)
{
    return ngx_http_swarm_valuen(t, name, (const u_char *) value,
                                 ngx_strlen(value));
}


/* the same of len bytes, whole, however long: never cut into another's */

static ngx_int_t
ngx_http_swarm_valuen(ngx_http_swarm_out_t *t, const char *name,
    const u_char *value, size_t len)
{
    u_char  *p, esc[512];
    size_t   i;

    if (ngx_http_swarm_printf(t, "%s=\"", name) != NGX_OK) {
        return NGX_ERROR;
    }

    p = esc;

    for (i = 0; i < len; i++) {

        if (p > esc + sizeof(esc) - 2) {
            if (ngx_http_swarm_printf(t, "%*s", p - esc, esc) != NGX_OK) {
                return NGX_ERROR;
            }

            p = esc;
        }

        if (value[i] == '\\' || value[i] == '"') {
            *p++ = '\\';
            *p++ = value[i];

        } else if (value[i] == '\n') {
            *p++ = '\\';
            *p++ = 'n';

        } else {
            *p++ = value[i];
        }
    }

    return ngx_http_swarm_printf(t, "%*s\"", p - esc, esc);
}


static ngx_int_t
ngx_http_swarm_family(ngx_http_swarm_out_t *t, const char *name,
    const char *type, const char *help)
{
    return ngx_http_swarm_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name,
                                 help, name, type);
}


/* each upstream's tasks by state, and its generation */

static ngx_int_t
ngx_http_swarm_metrics_upstreams(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i, pass;
    ngx_http_swarm_view_t       *view;
    ngx_http_swarm_upstream_t  **upp;

    upp = swarm->upstreams.elts;

    for (pass = 0; pass < 2; pass++) {

        rc = pass ? ngx_http_swarm_family(t, "nginx_swarm_upstream_generation",
                                          "gauge", "The generation of the "
                                          "upstream's task set.")
                  : ngx_http_swarm_family(t, "nginx_swarm_upstream_tasks",
                                          "gauge", "The upstream's tasks by "
                                          "state.");
        if (rc != NGX_OK) {
            return NGX_ERROR;
        }

        for (i = 0; i < swarm->upstreams.nelts; i++) {
            view = ngx_http_swarm_view_current(upp[i], t->r->connection->log);

            if (pass) {
                rc = ngx_http_swarm_upstream_series(t, upp[i],
                         "nginx_swarm_upstream_generation", NULL,
                         view->generation == (ngx_atomic_uint_t) -1
                         ? 0 : view->generation);

            } else {
                rc = ngx_http_swarm_upstream_series(t, upp[i],
                         "nginx_swarm_upstream_tasks", "active",
                         view->nactive);

                if (rc == NGX_OK) {
                    rc = ngx_http_swarm_upstream_series(t, upp[i],
                             "nginx_swarm_upstream_tasks", "draining",
                             view->npeers - view->nactive);
                }
            }

            ngx_http_swarm_view_release(upp[i], view);

            if (rc != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


/* one series of an upstream: its name escaped, a state if given */

static ngx_int_t
ngx_http_swarm_upstream_series(ngx_http_swarm_out_t *t,
    ngx_http_swarm_upstream_t *up, const char *family, const char *state,
    ngx_uint_t value)
{
    if (ngx_http_swarm_printf(t, "%s{", family) != NGX_OK
        || ngx_http_swarm_valuen(t, "upstream", up->name.data, up->name.len)
           != NGX_OK
        || (state && (ngx_http_swarm_printf(t, ",") != NGX_OK
                      || ngx_http_swarm_value(t, "state", state) != NGX_OK)))
    {
        return NGX_ERROR;
    }

    return ngx_http_swarm_printf(t, "} %ui\n", value);
}


/* discovery: refreshes, failures by kind, the last one, the zone */

static ngx_int_t
ngx_http_swarm_metrics_discovery(ngx_http_swarm_out_t *t,
    ngx_http_swarm_t *swarm)
{
    size_t                     len;
    ngx_uint_t                 i, k;
    ngx_http_swarm_figures_t   fig;
    u_char                     version[16];

    if (ngx_http_swarm_zone_figures(&swarm->zone, &fig) != NGX_OK) {
        ngx_memzero(&fig, sizeof(ngx_http_swarm_figures_t));
    }

    len = ngx_http_swarm_zone_version(&swarm->zone, version);
    version[len] = '\0';

    if (ngx_http_swarm_family(t, "nginx_swarm_refreshes_total", "counter",
                              "Refreshes of the task sets done by this "
                              "worker 0.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_refreshes_total %ui\n",
                                 fig.refreshes) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_refresh_failures_total",
                                 "counter", "Refreshes that failed, by why: "
                                 "transport (no answer), http (an error "
                                 "status), too_large (over "
                                 "swarm_max_response), answer (unusable)")
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_HTTP_SWARM_FAIL_KINDS; i++) {
        if (ngx_http_swarm_printf(t, "nginx_swarm_refresh_failures_total"
                                  "{kind=\"%s\"} %uA\n",
                                  ngx_http_swarm_failure_kinds[i],
                                  swarm->zone.sh->failures[i])
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_swarm_family(t, "nginx_swarm_middleware_answers_total",
                              "counter", "Requests a middleware answered "
                              "itself (a redirect, 401, 403, 429, a "
                              "CORS preflight), no task picked, by type "
                              "and status.")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 1; i < NGX_HTTP_SWARM_MW_KINDS; i++) {
        for (k = 0; k < NGX_HTTP_SWARM_MW_CODES; k++) {
            if (ngx_http_swarm_printf(t, "nginx_swarm_middleware_answers_total"
                                      "{type=\"%s\",status=\"%s\"} %uA\n",
                                      ngx_http_swarm_mw_kinds[i],
                                      ngx_http_swarm_mw_codes[k],
                                      swarm->zone.sh->answered[i][k])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    if (ngx_http_swarm_family(t, "nginx_swarm_last_refresh_seconds", "gauge",
                              "How long the last refresh took.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_last_refresh_seconds "
                                 "%ui.%03ui\n", fig.msec / 1000,
                                 fig.msec % 1000) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_last_refresh_cpu_seconds",
                                 "gauge", "The CPU time worker 0 spent on "
                                 "the last refresh.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_last_refresh_cpu_seconds "
                                 "%ui.%06ui\n", fig.cpu_usec / 1000000,
                                 fig.cpu_usec % 1000000) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_last_refresh_bytes", "gauge",
                                 "Bytes read from the Docker API by the "
                                 "last refresh.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_last_refresh_bytes %ui\n",
                                 fig.bytes) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_last_success_timestamp_"
                                 "seconds", "gauge", "When the last "
                                 "refresh was done, since the epoch.")
           != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_last_success_timestamp_"
                                 "seconds %T\n", fig.done) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_events_connected", "gauge",
                                 "1 while the Docker events stream is "
                                 "connected, as of the last refresh.")
           != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_events_connected %ui\n",
                                 fig.events ? 1 : 0) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_api_info", "gauge",
                                 "The Docker API version in use, and the "
                                 "endpoint.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_api_info{") != NGX_OK
        || ngx_http_swarm_value(t, "version", (char *) version) != NGX_OK
        || ngx_http_swarm_printf(t, ",endpoint=\"%V\"} 1\n",
                                 &ngx_http_swarm_endpoint(swarm)->shown)
           != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_zone_size_bytes", "gauge",
                                 "The size of swarm_zone.") != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_zone_size_bytes %uz\n",
                                 swarm->zone_size) != NGX_OK
        || ngx_http_swarm_family(t, "nginx_swarm_zone_used_bytes", "gauge",
                                 "The bytes of swarm_zone's pages in use.")
           != NGX_OK
        || ngx_http_swarm_printf(t, "nginx_swarm_zone_used_bytes %uz\n",
                                 ngx_http_swarm_zone_used(&swarm->zone))
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The certificates of swarm_acme: the seconds each has left (none until
 * it is issued), and its state, 1 for the one it is in
 */

static ngx_int_t
ngx_http_swarm_metrics_certs(ngx_http_swarm_out_t *t, ngx_http_swarm_t *swarm)
{
    json_t      *certs, *rec, *na;
    ngx_uint_t   i;
    const char  *main, *state;
    u_char       value[NGX_INT64_LEN + 1], extra[32];

    static const char  *states[] = { "waiting", "ordering", "valid",
                                     "failed" };

    ngx_http_swarm_certs_update(&swarm->zone, t->r->connection->log);

    certs = ngx_http_swarm_certs_status();

    if (ngx_http_swarm_family(t, "nginx_swarm_certificate_expiry_seconds",
                              "gauge", "Seconds until the certificate "
                              "expires, by its first name.") != NGX_OK)
    {
        return NGX_ERROR;
    }

    json_object_foreach(certs, main, rec) {
        na = json_object_get(rec, "not_after");

        if (na == NULL) {
            continue;
        }

        ngx_sprintf(value, "%T%Z", (time_t) json_integer_value(na)
                                   - ngx_time());

        if (ngx_http_swarm_metrics_cert(t, "expiry_seconds", main, rec, NULL,
                                        (char *) value)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (ngx_http_swarm_family(t, "nginx_swarm_certificate_state", "gauge",
                              "1 for the state the certificate is in: "
                              "waiting, ordering, valid or failed.")
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    json_object_foreach(certs, main, rec) {
        state = json_string_value(json_object_get(rec, "state"));

        for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
            ngx_sprintf(extra, "state=\"%s\"%Z", states[i]);

            if (ngx_http_swarm_metrics_cert(t, "state", main, rec,
                                            (char *) extra,
                                            state && ngx_strcmp(state,
                                                                states[i])
                                                     == 0 ? "1" : "0")
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_metrics_cert(ngx_http_swarm_out_t *t, const char *family,
    const char *main, json_t *rec, const char *extra, const char *value)
{
    const char  *resolver;

    resolver = json_string_value(json_object_get(rec, "resolver"));

    if (ngx_http_swarm_printf(t, "nginx_swarm_certificate_%s{", family)
           != NGX_OK
        || ngx_http_swarm_value(t, "name", main) != NGX_OK
        || ngx_http_swarm_printf(t, ",") != NGX_OK
        || ngx_http_swarm_value(t, "resolver", resolver ? resolver : "")
           != NGX_OK
        || (extra && ngx_http_swarm_printf(t, ",%s", extra) != NGX_OK)
        || ngx_http_swarm_printf(t, "} %s\n", value) != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* text at the end of the chain, in a new buffer when the last is full */

static ngx_int_t
ngx_http_swarm_printf(ngx_http_swarm_out_t *t, const char *fmt, ...)
{
    u_char       *p;
    va_list       args;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;
    u_char        line[4096];

    va_start(args, fmt);
    p = ngx_vslprintf(line, line + sizeof(line), fmt, args);
    va_end(args);

    b = t->b;

    if (b == NULL || (size_t) (b->end - b->last) < (size_t) (p - line)) {
        b = ngx_create_temp_buf(t->r->pool, NGX_HTTP_SWARM_METRICS_BUF);
        cl = ngx_alloc_chain_link(t->r->pool);

        if (b == NULL || cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        cl->next = NULL;
        *t->last = cl;
        t->last = &cl->next;
        t->b = b;
    }

    b->last = ngx_cpymem(b->last, line, p - line);

    return NGX_OK;
}
