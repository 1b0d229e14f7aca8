
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The refresh of the task sets, in worker 0: when to refresh (the
 * interval, faster after an event, backoff after a failure), and each
 * refresh as one sequence of states: the API version negotiated,
 * /services asked for each selector, /tasks for the services matched,
 * the tasks that left asked by ID, the sets built, ordered, compared
 * with what was published, and published into the zone.  A state either
 * waits for an answer, which its handler takes, or works a slice at a
 * time, a cycle each, so that the worker serves its connections between
 * the slices of a large refresh.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_endpoints.h"
#include "ngx_http_swarm_events.h"
#include "ngx_http_swarm_publish.h"


/* tasks asked again by ID, services asked tasks of, in one query */
#define NGX_HTTP_SWARM_GONE_MAX       1000
#define NGX_HTTP_SWARM_SERVICES_MAX   1000

/* what kept services or routes out of a routes upstream, listed at most */
#define NGX_HTTP_SWARM_ROUTE_ERRORS   100

/* after an event: refresh every 250ms until 8 refreshes change nothing */
#define NGX_HTTP_SWARM_FAST_INTERVAL  250
#define NGX_HTTP_SWARM_FAST_STABLE    8
#define NGX_HTTP_SWARM_FAST_MAX       60000

/* the longest the worker reads an answer before serving again, in ns */
#define NGX_HTTP_SWARM_SLICE          2000000

/* elements of an answer read, and tasks put in sets, between clock looks */
#define NGX_HTTP_SWARM_READ_STEP      4
#define NGX_HTTP_SWARM_SETS_STEP      64


typedef enum {
    NGX_HTTP_SWARM_IDLE = 0,

    /* the API version: the Api-Version header of /_ping, or /version */
    NGX_HTTP_SWARM_PING,
    NGX_HTTP_SWARM_VERSION,

    /*
     * the services of each selector, the routes' places, then the tasks
     * of all of them
     */
    NGX_HTTP_SWARM_SERVICES,
    NGX_HTTP_SWARM_SERVICES_READ,
    NGX_HTTP_SWARM_PLACE,
    NGX_HTTP_SWARM_TASKS,
    NGX_HTTP_SWARM_TASKS_READ,

    /* the tasks published and no longer wanted running, asked by ID */
    NGX_HTTP_SWARM_MISSING,
    NGX_HTTP_SWARM_GONE,
    NGX_HTTP_SWARM_GONE_READ,

    /* the sets, then each upstream's ordered in two cycles */
    NGX_HTTP_SWARM_SETS,
    NGX_HTTP_SWARM_ORDER,
    NGX_HTTP_SWARM_FINISH,

    /*
     * each upstream's routes written, a few at a time; its set and
     * routes compared, copied into the zone and swapped in
     */
    NGX_HTTP_SWARM_ROUTES,
    NGX_HTTP_SWARM_COMPARE,
    NGX_HTTP_SWARM_COPY
} ngx_http_swarm_state_e;


typedef struct {
    ngx_http_swarm_main_conf_t  *mcf;
    ngx_log_t                  *log;
    ngx_http_swarm_curl_t       curl;
    ngx_http_swarm_get_t        get;
    ngx_http_swarm_endpoints_t *endpoints;
    ngx_str_t                  *shown;
    ngx_http_swarm_events_t    *events;
    ngx_event_t                 poll;
    ngx_event_t                 run;

    ngx_http_swarm_state_e      state;
    char                        api_version[16];
    ngx_uint_t                  renegotiated;
    ngx_uint_t                  failures;

    /* rounds of every endpoint failing in a row: what the backoff grows by */
    ngx_uint_t                  rounds;

    /* why this refresh failed (NGX_HTTP_SWARM_FAIL_*) */
    ngx_uint_t                  kind;

    /* refreshes done so far */
    ngx_uint_t                  refreshes;
    char                        err[NGX_HTTP_SWARM_ERR_LEN];

    /* the selector asked for, the upstream ordered or published */
    ngx_uint_t                  selector;
    ngx_uint_t                  up;

    /* the first service of the /tasks query read, and of the next one */
    size_t                      service;
    size_t                      service_next;

    ngx_http_swarm_services_t   svcs;
    ngx_http_swarm_array_t      array;
    ngx_http_swarm_tasks_t     *tasks;
    ngx_http_swarm_report_t     report;
    ngx_http_swarm_set_t       *sets;
    char                      **notes;
    ngx_http_swarm_publish_t   *pub;

    /*
     * of each routes upstream: what kept services or routes out of it
     * in this refresh and in the last (logged as they appear), and its
     * routes as JSON, to publish
     */
    json_t                    **errors;
    json_t                    **logged;
    ngx_http_swarm_routes_text_t  *text;
    char                       *routes;

    /*
     * the refresh: its bytes, start, CPU time, longest step and most CPU
     * time of a step (ns)
     */
    size_t                      bytes;
    ngx_msec_t                  start;
    uint64_t                    cpu;
    uint64_t                    longest;
    uint64_t                    longest_cpu;

    /* after an event, refreshes every 250 ms until the sets settle */
    ngx_uint_t                  changed;
    ngx_uint_t                  stable;
    ngx_msec_t                  fast_since;
    unsigned                    fast:1;
    unsigned                    again:1;

    /* nothing known yet: the tasks being stopped are asked for too */
    unsigned                    initial:1;
} ngx_http_swarm_sync_t;


/*
 * A state's handler: NGX_AGAIN to go on with it in the next cycle,
 * NGX_OK to begin the state it set in the next cycle, NGX_BUSY once it
 * asked the API (the answer goes to the state it set), NGX_DONE once the
 * refresh is over, NGX_ERROR if it failed ("err" says why).
 */

typedef ngx_int_t (*ngx_http_swarm_state_pt)(ngx_http_swarm_sync_t *sync);

/* a part of a long piece of work: NGX_HTTP_SWARM_MORE while more is left */

typedef int (*ngx_http_swarm_part_pt)(ngx_http_swarm_sync_t *sync);


typedef struct {
    /* the path asked for, or whose answer is read */
    const char                 *path;
    ngx_http_swarm_state_pt     handler;
} ngx_http_swarm_state_t;


static void ngx_http_swarm_sync_poll(ngx_event_t *ev);
static void ngx_http_swarm_sync_start(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_run(ngx_event_t *ev);
static void ngx_http_swarm_sync_go(ngx_http_swarm_sync_t *sync,
    ngx_int_t rc, ngx_queue_t *queue);
static void ngx_http_swarm_sync_answer(ngx_http_swarm_get_t *get);
static ngx_int_t ngx_http_swarm_ask(ngx_http_swarm_sync_t *sync,
    ngx_http_swarm_state_e state, json_t *filters);
static ngx_uint_t ngx_http_swarm_refused_version(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_error(ngx_http_swarm_sync_t *sync,
    const char *fmt, ...);
static ngx_int_t ngx_http_swarm_ping_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_version_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_use_version(ngx_http_swarm_sync_t *sync,
    const char *version);
static ngx_int_t ngx_http_swarm_next(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_services_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_services_reading(
    ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_services_part(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_routes_place(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_ask(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_reading(ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_tasks_part(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_missing(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_gone_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_sets_build(ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_sets_part(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_sets_order(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_sets_finish(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sets_allow(ngx_http_swarm_sync_t *sync,
    ngx_http_swarm_set_t *set);
static ngx_int_t ngx_http_swarm_publish_begin(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_routes_write(ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_routes_part(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_compare(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_copy(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_published(ngx_http_swarm_sync_t *sync,
    ngx_int_t rc);
static ngx_int_t ngx_http_swarm_slice(ngx_http_swarm_sync_t *sync,
    ngx_http_swarm_part_pt part);
static void ngx_http_swarm_note(void *data, unsigned upstream,
    const char *service, const char *msg);
static void ngx_http_swarm_routes_log(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_done(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_failed(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_reset(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_look_now(void *data);


static ngx_http_swarm_state_t  ngx_http_swarm_states[] = {
    { NULL, NULL },                                   /* IDLE */
    { "/_ping", ngx_http_swarm_ping_answer },         /* PING */
    { "/version", ngx_http_swarm_version_answer },    /* VERSION */
    { "/services", ngx_http_swarm_services_answer },  /* SERVICES */
    { "/services", ngx_http_swarm_services_reading }, /* SERVICES_READ */
    { NULL, ngx_http_swarm_routes_place },            /* PLACE */
    { "/tasks", ngx_http_swarm_tasks_answer },        /* TASKS */
    { "/tasks", ngx_http_swarm_tasks_reading },       /* TASKS_READ */
    { "/tasks", ngx_http_swarm_missing },             /* MISSING */
    { "/tasks", ngx_http_swarm_gone_answer },         /* GONE */
    { "/tasks", ngx_http_swarm_tasks_reading },       /* GONE_READ */
    { NULL, ngx_http_swarm_sets_build },              /* SETS */
    { NULL, ngx_http_swarm_sets_order },              /* ORDER */
    { NULL, ngx_http_swarm_sets_finish },             /* FINISH */
    { NULL, ngx_http_swarm_routes_write },            /* ROUTES */
    { NULL, ngx_http_swarm_compare },                 /* COMPARE */
    { NULL, ngx_http_swarm_copy }                     /* COPY */
};


static ngx_http_swarm_sync_t  *ngx_http_swarm_sync;


ngx_int_t
ngx_http_swarm_sync_init(ngx_cycle_t *cycle, ngx_http_swarm_main_conf_t *mcf)
{
    ngx_uint_t                   i, n;
    ngx_http_swarm_sync_t       *sync;
    ngx_http_swarm_upstream_t  **upp;

    sync = ngx_pcalloc(cycle->pool, sizeof(ngx_http_swarm_sync_t));
    if (sync == NULL) {
        return NGX_ERROR;
    }

    sync->mcf = mcf;
    sync->log = cycle->log;

    /* nothing known: the first refresh asks for the tasks being stopped */

    sync->initial = 1;
    sync->kind = NGX_HTTP_SWARM_FAIL_ANSWER;
    upp = mcf->upstreams.elts;
    n = mcf->upstreams.nelts;

    for (i = 0; i < n; i++) {
        if (upp[i]->view->npeers) {
            sync->initial = 0;
        }
    }

    sync->sets = ngx_pcalloc(cycle->pool, n * sizeof(ngx_http_swarm_set_t));
    sync->notes = ngx_pcalloc(cycle->pool, n * sizeof(char *));
    sync->errors = ngx_pcalloc(cycle->pool, n * sizeof(json_t *));
    sync->logged = ngx_pcalloc(cycle->pool, n * sizeof(json_t *));
    sync->pub = ngx_http_swarm_publish_create(cycle->pool, mcf, cycle->log);
    if (sync->sets == NULL || sync->notes == NULL || sync->errors == NULL
        || sync->logged == NULL || sync->pub == NULL)
    {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_curl_init(&sync->curl, cycle->log, mcf) != NGX_OK) {
        return NGX_ERROR;
    }

    /* from here on, what is made is given back at exit */

    ngx_http_swarm_sync = sync;

    sync->get.data = sync;
    sync->get.done = ngx_http_swarm_sync_answer;

    if (ngx_http_swarm_curl_get_init(&sync->get, &sync->curl, cycle->pool,
                                     mcf->max_response)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sync->endpoints = ngx_http_swarm_endpoints_create(mcf, &sync->curl,
                                                      cycle->pool,
                                                      cycle->log);
    if (sync->endpoints == NULL) {
        return NGX_ERROR;
    }

    sync->shown = ngx_http_swarm_endpoints_shown(sync->endpoints);

    sync->events = ngx_http_swarm_events_create(&sync->curl, cycle->pool,
                                                sync->shown, mcf->interval,
                                                sync->api_version,
                                                ngx_http_swarm_look_now,
                                                sync);
    if (sync->events == NULL) {
        return NGX_ERROR;
    }

    sync->tasks = ngx_http_swarm_tasks_create();
    if (sync->tasks == NULL) {
        return NGX_ERROR;
    }

    sync->poll.handler = ngx_http_swarm_sync_poll;
    sync->poll.data = sync;
    sync->poll.log = cycle->log;
    sync->poll.cancelable = 1;

    sync->run.handler = ngx_http_swarm_sync_run;
    sync->run.data = sync;
    sync->run.log = cycle->log;

    sync->report.handler = ngx_http_swarm_note;
    sync->report.data = sync;

    /* the first refresh at once: tasks appear as soon as Docker answers */

    ngx_add_timer(&sync->poll, 1);

    return NGX_OK;
}


static void
ngx_http_swarm_sync_poll(ngx_event_t *ev)
{
    ngx_http_swarm_sync_t *sync = ev->data;

    /* on its way out, or a newer configuration's worker 0 asks now */

    if (!ngx_http_swarm_zone_writer(&sync->mcf->zone)) {
        return;
    }

    ngx_http_swarm_sync_start(sync);
}


static void
ngx_http_swarm_sync_start(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    if (sync->state != NGX_HTTP_SWARM_IDLE) {
        return;
    }

    sync->renegotiated = 0;
    sync->bytes = 0;
    sync->cpu = 0;
    sync->longest = 0;
    sync->longest_cpu = 0;
    sync->curl.longest = 0;

    ngx_time_update();
    sync->start = ngx_current_msec;

    /* the first endpoint answers again: the version and stream are its */

    if (ngx_http_swarm_endpoints_start(sync->endpoints) == NGX_OK) {
        sync->api_version[0] = '\0';
        ngx_http_swarm_events_stop(sync->events);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: sync with %V", sync->shown);

    if (sync->api_version[0] == '\0') {
        rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_PING, NULL);

    } else {
        sync->selector = 0;
        rc = ngx_http_swarm_next(sync);
    }

    ngx_http_swarm_sync_go(sync, rc, &ngx_posted_next_events);
}


/* the work of a state, a slice in a cycle */

static void
ngx_http_swarm_sync_run(ngx_event_t *ev)
{
    ngx_http_swarm_sync_t *sync = ev->data;

    uint64_t   start, cpu;
    ngx_int_t  rc;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    cpu = ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID);

    rc = ngx_http_swarm_states[sync->state].handler(sync);

    /* the step's time, and its CPU time: what others on the CPU do not add */

    cpu = ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID) - cpu;
    sync->cpu += cpu;
    sync->longest_cpu = ngx_max(sync->longest_cpu, cpu);
    ngx_http_swarm_longest(&sync->longest, start);

    ngx_http_swarm_sync_go(sync, rc, &ngx_posted_next_events);
}


static void
ngx_http_swarm_sync_go(ngx_http_swarm_sync_t *sync, ngx_int_t rc,
    ngx_queue_t *queue)
{
    switch (rc) {

    case NGX_AGAIN:
    case NGX_OK:
        ngx_post_event(&sync->run, queue);
        return;

    case NGX_BUSY:
        return;

    case NGX_DONE:
        ngx_http_swarm_sync_done(sync);
        return;

    default: /* NGX_ERROR */
        ngx_http_swarm_sync_failed(sync);
    }
}


/* an answer: what failed, or its body to the state that waits for it */

static void
ngx_http_swarm_sync_answer(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_sync_t *sync = get->data;

    json_t        *root, *msg;
    ngx_int_t      rc;
    const char    *path;
    json_error_t   jerr;

    path = ngx_http_swarm_states[sync->state].path;

    if (get->overflow) {
        ngx_http_swarm_sync_error(sync, "GET %s: answer larger than "
                                  "swarm_max_response %uz bytes",
                                  path, sync->mcf->max_response);
        sync->kind = NGX_HTTP_SWARM_FAIL_TOO_LARGE;
        ngx_http_swarm_sync_failed(sync);
        return;
    }

    if (get->error) {

        /* the system's error, else curl's details (of TLS, say) */

        sync->kind = NGX_HTTP_SWARM_FAIL_TRANSPORT;
        ngx_http_swarm_sync_error(sync, "GET %s: %s%s%s%s", path, get->error,
                                  (get->os_errno || get->detail[0])
                                  ? " (" : "",
                                  get->os_errno
                                  ? strerror((int) get->os_errno)
                                  : get->detail,
                                  (get->os_errno || get->detail[0])
                                  ? ")" : "");
        ngx_http_swarm_sync_failed(sync);
        return;
    }

    sync->bytes += get->len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: GET %s: %l, %uz bytes", path, get->code, get->len);

    if (ngx_http_swarm_refused_version(sync)) {
        ngx_log_error(NGX_LOG_NOTICE, sync->log, 0,
                      "swarm: %V refused API version %s, negotiating again",
                      sync->shown, sync->api_version);

        sync->renegotiated = 1;
        sync->api_version[0] = '\0';
        ngx_http_swarm_services_free(&sync->svcs);

        rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_PING, NULL);
        ngx_http_swarm_sync_go(sync, rc, &ngx_posted_events);
        return;
    }

    if (get->code < 200 || get->code > 299) {
        root = json_loadb((char *) get->body, get->len, 0, &jerr);
        msg = json_object_get(root, "message");

        sync->kind = NGX_HTTP_SWARM_FAIL_HTTP;
        ngx_http_swarm_sync_error(sync, "GET %s: HTTP %l%s%s", path,
                                  get->code, json_is_string(msg) ? ": " : "",
                                  json_is_string(msg)
                                  ? json_string_value(msg) : "");
        json_decref(root);

        ngx_http_swarm_sync_failed(sync);
        return;
    }

    rc = ngx_http_swarm_states[sync->state].handler(sync);

    /* from the transport's callback: the work goes on in this cycle */

    ngx_http_swarm_sync_go(sync, rc, &ngx_posted_events);
}


/* GET the path of "state", which then waits for its answer */

static ngx_int_t
ngx_http_swarm_ask(ngx_http_swarm_sync_t *sync, ngx_http_swarm_state_e state,
    json_t *filters)
{
    sync->state = state;

    if (ngx_http_swarm_curl_get(&sync->get,
                                (state == NGX_HTTP_SWARM_PING
                                 || state == NGX_HTTP_SWARM_VERSION)
                                ? NULL : sync->api_version,
                                ngx_http_swarm_states[state].path, filters,
                                sync->err, sizeof(sync->err))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_BUSY;
}


/* HTTP 400 "client version X is too old/too new": negotiate again, once */

static ngx_uint_t
ngx_http_swarm_refused_version(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_get_t  *get;

    get = &sync->get;

    return get->code == 400
           && sync->state != NGX_HTTP_SWARM_PING
           && sync->state != NGX_HTTP_SWARM_VERSION
           && !sync->renegotiated
           && ngx_strlcasestrn(get->body, get->body + get->len,
                               (u_char *) "client version", 14 - 1)
              != NULL;
}


/* what failed, cut on a character boundary */

static void
ngx_http_swarm_sync_error(ngx_http_swarm_sync_t *sync, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    last = (u_char *) sync->err + sizeof(sync->err) - 1;

    va_start(args, fmt);
    p = ngx_vslprintf((u_char *) sync->err, last, fmt, args);
    va_end(args);

    if (p == last) {
        p = (u_char *) sync->err
            + ngx_http_swarm_text_utf8_cut((u_char *) sync->err,
                                           p - (u_char *) sync->err);
    }

    *p = '\0';
}


static ngx_int_t
ngx_http_swarm_ping_answer(ngx_http_swarm_sync_t *sync)
{
    if (sync->get.api_version[0] == '\0') {
        /* no Api-Version header: ask /version */
        return ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_VERSION, NULL);
    }

    return ngx_http_swarm_use_version(sync, sync->get.api_version);
}


static ngx_int_t
ngx_http_swarm_version_answer(ngx_http_swarm_sync_t *sync)
{
    json_t        *root, *v;
    const char    *s;
    json_error_t   jerr;
    char           version[16];

    root = json_loadb((char *) sync->get.body, sync->get.len, 0, &jerr);
    v = json_object_get(root, "ApiVersion");
    s = json_is_string(v) ? json_string_value(v) : "";

    if (ngx_strlen(s) >= sizeof(version)) {
        s = "";
    }

    ngx_cpystrn((u_char *) version, (u_char *) s, sizeof(version));
    json_decref(root);

    if (version[0] == '\0') {
        ngx_http_swarm_sync_error(sync, "GET /version: no API version in "
                                  "the answer");
        return NGX_ERROR;
    }

    return ngx_http_swarm_use_version(sync, version);
}


/* an API version of 1.24 or later is used, and the services asked for */

static ngx_int_t
ngx_http_swarm_use_version(ngx_http_swarm_sync_t *sync, const char *version)
{
    const char  *dot;

    dot = ngx_strchr(version, '.');

    if (dot == NULL
        || ngx_atoi((u_char *) version, dot - version) != 1
        || ngx_atoi((u_char *) dot + 1, ngx_strlen(dot + 1)) < 24)
    {
        ngx_http_swarm_sync_error(sync, "engine API version \"%s\" is older "
                                  "than " NGX_HTTP_SWARM_MIN_API, version);
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) sync->api_version, (u_char *) version,
                sizeof(sync->api_version));

    ngx_http_swarm_zone_set_version(&sync->mcf->zone, sync->api_version);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: API version %s", sync->api_version);

    sync->selector = 0;

    return ngx_http_swarm_next(sync);
}


/* the next selector's /services, or /tasks once all are asked */

static ngx_int_t
ngx_http_swarm_next(ngx_http_swarm_sync_t *sync)
{
    json_t                     *filters;
    ngx_int_t                   rc;
    ngx_http_swarm_selector_t  *sel;

    if (sync->selector < sync->mcf->selectors.nelts) {
        sel = sync->mcf->selectors.elts;

        filters = ngx_http_swarm_services_filters(&sel[sync->selector]);
        if (filters == NULL) {
            ngx_http_swarm_sync_error(sync, "out of memory");
            return NGX_ERROR;
        }

        rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_SERVICES, filters);
        json_decref(filters);

        return rc;
    }

    sync->up = 0;
    sync->state = NGX_HTTP_SWARM_PLACE;

    return NGX_OK;
}


/*
 * Each route's place in its upstream, which its tasks' peers carry, an
 * upstream a step; then the services in order, and their tasks asked.
 */

static ngx_int_t
ngx_http_swarm_routes_place(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_upstream_t  **upp;

    upp = sync->mcf->upstreams.elts;

    while (sync->up < sync->mcf->upstreams.nelts) {
        if (!upp[sync->up++]->routes) {
            continue;
        }

        (void) ngx_http_swarm_services_routes(&sync->svcs,
                                              (unsigned) (sync->up - 1),
                                              &sync->report);
        return NGX_AGAIN;
    }

    if (sync->svcs.n == 0) {
        /* no service: empty sets to publish */
        return ngx_http_swarm_publish_begin(sync);
    }

    /*
     * Until a refresh has succeeded with nothing known, the tasks Swarm
     * stops are asked for too: those still running drain.
     */

    ngx_http_swarm_services_sort(&sync->svcs);

    sync->service_next = 0;

    return ngx_http_swarm_tasks_ask(sync);
}


static ngx_int_t
ngx_http_swarm_services_answer(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_array_init(&sync->array, (char *) sync->get.body,
                              sync->get.len);

    sync->state = NGX_HTTP_SWARM_SERVICES_READ;

    return NGX_OK;
}


/*
 * The answers of /services and /tasks are read a few elements at a time,
 * in slices (ngx_http_swarm_slice()).
 */

static ngx_int_t
ngx_http_swarm_services_reading(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_slice(sync, ngx_http_swarm_services_part);
    if (rc != NGX_OK) {
        return rc;
    }

    sync->selector++;

    return ngx_http_swarm_next(sync);
}


static int
ngx_http_swarm_services_part(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_selector_t  *sel;

    sel = sync->mcf->selectors.elts;

    return ngx_http_swarm_services_read(&sync->array, &sel[sync->selector],
                                        &sync->svcs, &sync->report,
                                        NGX_HTTP_SWARM_READ_STEP, sync->err,
                                        sizeof(sync->err));
}


/* the tasks of the next services, as many as fit in one query */

static ngx_int_t
ngx_http_swarm_tasks_ask(ngx_http_swarm_sync_t *sync)
{
    json_t     *filters;
    ngx_int_t   rc;

    sync->service = sync->service_next;

    filters = ngx_http_swarm_tasks_filters(&sync->svcs, sync->initial,
                                           &sync->service_next,
                                           NGX_HTTP_SWARM_SERVICES_MAX);
    if (filters == NULL) {
        ngx_http_swarm_sync_error(sync, "out of memory");
        return NGX_ERROR;
    }

    rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_TASKS, filters);
    json_decref(filters);

    return rc;
}


static ngx_int_t
ngx_http_swarm_tasks_answer(ngx_http_swarm_sync_t *sync)
{
    if (sync->service == 0) {
        ngx_http_swarm_tasks_begin(sync->tasks);
    }

    ngx_http_swarm_tasks_feed(sync->tasks, (char *) sync->get.body,
                              sync->get.len);

    sync->state = NGX_HTTP_SWARM_TASKS_READ;

    return NGX_OK;
}


/* the tasks wanted running, then those asked by ID */

static ngx_int_t
ngx_http_swarm_tasks_reading(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_slice(sync, ngx_http_swarm_tasks_part);
    if (rc != NGX_OK) {
        return rc;
    }

    if (sync->state == NGX_HTTP_SWARM_TASKS_READ
        && sync->service_next < sync->svcs.n)
    {
        return ngx_http_swarm_tasks_ask(sync);
    }

    sync->state = (sync->state == NGX_HTTP_SWARM_TASKS_READ)
                  ? NGX_HTTP_SWARM_MISSING : NGX_HTTP_SWARM_SETS;

    return NGX_OK;
}


static int
ngx_http_swarm_tasks_part(ngx_http_swarm_sync_t *sync)
{
    return ngx_http_swarm_tasks_read(sync->tasks, NGX_HTTP_SWARM_READ_STEP,
                                     sync->err, sizeof(sync->err));
}


/*
 * The tasks published last time and missing from the tasks Swarm wants
 * running: those it stops, which drain while their container runs, and
 * those that are gone.  One query by ID tells which.
 */

static ngx_int_t
ngx_http_swarm_missing(ngx_http_swarm_sync_t *sync)
{
    int                          known;
    json_t                      *list, *filters;
    ngx_int_t                    rc;
    ngx_uint_t                   i, k, n, npeers;
    ngx_http_swarm_peer_t       *tasks;
    ngx_http_swarm_view_t       *view;
    ngx_http_swarm_upstream_t  **upp;

    list = json_array();
    if (list == NULL) {
        goto nomem;
    }

    n = 0;
    upp = sync->mcf->upstreams.elts;

    for (i = 0; i < sync->mcf->upstreams.nelts; i++) {

        ngx_http_swarm_publish_peers(sync->pub, i, &tasks, &npeers, &view);

        for (k = 0; k < npeers && n < NGX_HTTP_SWARM_GONE_MAX; k++) {
            known = ngx_http_swarm_tasks_known(sync->tasks, tasks[k].task);
            if (known == NGX_HTTP_SWARM_YES) {
                continue;
            }

            if (known == NGX_HTTP_SWARM_FAILED
                || json_array_append_new(list, json_string(tasks[k].task))
                   != 0)
            {
                if (view) {
                    ngx_http_swarm_view_release(upp[i], view);
                }

                json_decref(list);
                goto nomem;
            }

            n++;
        }

        if (view) {
            ngx_http_swarm_view_release(upp[i], view);
        }
    }

    if (n == 0) {
        json_decref(list);
        sync->state = NGX_HTTP_SWARM_SETS;
        return NGX_OK;
    }

    filters = json_pack("{so}", "id", list);
    if (filters == NULL) {
        goto nomem;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: %ui tasks no longer wanted running", n);

    rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_GONE, filters);
    json_decref(filters);

    return rc;

nomem:

    ngx_http_swarm_sync_error(sync, "out of memory");
    return NGX_ERROR;
}


static ngx_int_t
ngx_http_swarm_gone_answer(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_tasks_feed(sync->tasks, (char *) sync->get.body,
                              sync->get.len);

    sync->state = NGX_HTTP_SWARM_GONE_READ;

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_sets_build(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t   rc;
    ngx_uint_t  i;

    rc = ngx_http_swarm_slice(sync, ngx_http_swarm_sets_part);

    if (rc == NGX_ERROR) {
        for (i = 0; i < sync->mcf->upstreams.nelts; i++) {
            sync->sets[i].n = 0;
        }
    }

    if (rc != NGX_OK) {
        return rc;
    }

    sync->up = 0;
    sync->state = NGX_HTTP_SWARM_ORDER;

    return NGX_OK;
}


static int
ngx_http_swarm_sets_part(ngx_http_swarm_sync_t *sync)
{
    return ngx_http_swarm_tasks_sets(sync->tasks, &sync->svcs, sync->sets,
                                     sync->mcf->upstreams.nelts,
                                     &sync->report, NGX_HTTP_SWARM_SETS_STEP,
                                     sync->err, sizeof(sync->err));
}


/* an upstream's set in two cycles: its order found, then its peers moved */

static ngx_int_t
ngx_http_swarm_sets_order(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_set_order(&sync->sets[sync->up]);

    sync->state = NGX_HTTP_SWARM_FINISH;

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_sets_finish(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_set_finish(&sync->sets[sync->up], sync->up,
                              &sync->report);

    ngx_http_swarm_sets_allow(sync, &sync->sets[sync->up]);

    if (++sync->up < sync->mcf->upstreams.nelts) {
        sync->state = NGX_HTTP_SWARM_ORDER;
        return NGX_OK;
    }

    return ngx_http_swarm_publish_begin(sync);
}


/*
 * The peers whose address is outside swarm_allow are left out, and so
 * are loopback addresses unless swarm_allow names them: a task there
 * would make the load balancer connect to itself.
 */

static void
ngx_http_swarm_sets_allow(ngx_http_swarm_sync_t *sync,
    ngx_http_swarm_set_t *set)
{
    size_t                  j, k;
    ngx_uint_t              loopback;
    ngx_sockaddr_t          sa;
    ngx_http_swarm_peer_t  *p;

    static const uint8_t    v6_loopback[16] = { 0, 0, 0, 0, 0, 0, 0, 0,
                                                0, 0, 0, 0, 0, 0, 0, 1 };
    static const uint8_t    mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                           0xff, 0xff };

    for (j = 0, k = 0; j < set->n; j++) {
        p = &set->peers[j];

        if (p->family == AF_INET6) {
            loopback = ngx_memcmp(p->addr, v6_loopback, 16) == 0
                       || (ngx_memcmp(p->addr, mapped, 12) == 0
                           && p->addr[12] == 127);

        } else {
            loopback = (p->addr[0] == 127);
        }

        if (!loopback && sync->mcf->allow == NULL) {
            goto keep;
        }

        ngx_memzero(&sa, sizeof(ngx_sockaddr_t));

#if (NGX_HAVE_INET6)
        if (p->family == AF_INET6) {
            sa.sockaddr_in6.sin6_family = AF_INET6;
            ngx_memcpy(&sa.sockaddr_in6.sin6_addr, p->addr, 16);

        } else
#endif
        {
            sa.sockaddr_in.sin_family = AF_INET;
            ngx_memcpy(&sa.sockaddr_in.sin_addr, p->addr, 4);
        }

        if (sync->mcf->allow == NULL
            || ngx_cidr_match(&sa.sockaddr, sync->mcf->allow) != NGX_OK)
        {
            ngx_http_swarm_text_report(&sync->report, (unsigned) sync->up,
                                       p->service, sync->mcf->allow == NULL
                                       ? "task %s has the address %s "
                                         "(loopback), skipped unless "
                                         "swarm_allow names it"
                                       : "task %s has the address %s, "
                                         "outside swarm_allow, skipped",
                                       p->task, p->ip);
            continue;
        }

    keep:

        if (k != j) {
            set->peers[k] = *p;
        }

        k++;
    }

    set->n = k;
}


/*
 * One upstream after another, a large set over several cycles: the
 * comparison with what it published, then the copy into the zone
 * (ngx_http_swarm_publish.c).
 */

static ngx_int_t
ngx_http_swarm_publish_begin(ngx_http_swarm_sync_t *sync)
{
    sync->up = 0;
    sync->changed = 0;
    sync->state = NGX_HTTP_SWARM_ROUTES;

    return NGX_OK;
}


/*
 * The routes of a routes upstream, as text to publish: the ties found
 * in one step, then the routes written over as many as it takes.
 */

static ngx_int_t
ngx_http_swarm_routes_write(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t                    rc;
    ngx_http_swarm_upstream_t  **upp;

    upp = sync->mcf->upstreams.elts;

    if (!upp[sync->up]->routes) {
        sync->state = NGX_HTTP_SWARM_COMPARE;
        return ngx_http_swarm_compare(sync);
    }

    if (sync->text == NULL) {
        sync->text = ngx_http_swarm_services_routes_begin(&sync->svcs,
                                                          (unsigned) sync->up,
                                                          &sync->report);
        if (sync->text == NULL) {
            ngx_http_swarm_sync_error(sync, "out of memory");
            return NGX_ERROR;
        }

        return NGX_AGAIN;
    }

    rc = ngx_http_swarm_slice(sync, ngx_http_swarm_routes_part);
    if (rc != NGX_OK) {
        return rc;
    }

    sync->routes = ngx_http_swarm_services_routes_end(sync->text,
                                                      &sync->svcs,
                                                      (unsigned) sync->up,
                                                      sync->errors[sync->up]);
    sync->text = NULL;

    if (sync->routes == NULL) {
        ngx_http_swarm_sync_error(sync, "out of memory");
        return NGX_ERROR;
    }

    sync->state = NGX_HTTP_SWARM_COMPARE;

    return NGX_OK;
}


static int
ngx_http_swarm_routes_part(ngx_http_swarm_sync_t *sync)
{
    int  rc;

    rc = ngx_http_swarm_services_routes_part(sync->text,
                                             NGX_HTTP_SWARM_READ_STEP);
    if (rc < 0) {
        ngx_http_swarm_sync_error(sync, "out of memory");
    }

    return rc;
}


static ngx_int_t
ngx_http_swarm_compare(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_publish_compare(sync->pub, sync->up,
                                        &sync->sets[sync->up],
                                        (u_char *) sync->routes,
                                        sync->routes
                                        ? ngx_strlen(sync->routes) : 0,
                                        &sync->notes[sync->up]);
    if (rc == NGX_AGAIN) {
        sync->state = NGX_HTTP_SWARM_COPY;
        return NGX_OK;
    }

    return ngx_http_swarm_published(sync, rc);
}


static ngx_int_t
ngx_http_swarm_copy(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_publish_copy(sync->pub, sync->up,
                                     &sync->sets[sync->up]);
    if (rc == NGX_AGAIN) {
        return NGX_AGAIN;
    }

    return ngx_http_swarm_published(sync, rc);
}


/*
 * An upstream published (NGX_OK), unchanged (NGX_DECLINED), kept for a
 * set that does not fit (NGX_ERROR) or left to a newer configuration
 * (NGX_ABORT): its time and its problems, then the next upstream.
 */

static ngx_int_t
ngx_http_swarm_published(ngx_http_swarm_sync_t *sync, ngx_int_t rc)
{
    size_t                       len;
    ngx_uint_t                   i;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       note[NGX_HTTP_SWARM_ESC_LEN];

    upp = sync->mcf->upstreams.elts;
    i = sync->up;

    if (rc == NGX_OK) {
        sync->changed++;
    }

    if (sync->routes) {
        free(sync->routes);
        sync->routes = NULL;
    }

    if (upp[i]->routes && rc != NGX_ABORT) {
        ngx_http_swarm_routes_log(sync);
    }

    if (rc != NGX_ABORT) {
        ngx_time_update();

        /* a set that does not fit: the error shows, the last sync stays */

        len = sync->notes[i] ? ngx_strlen(sync->notes[i]) : 0;

        if (ngx_http_swarm_zone_set_error(upp[i],
                                          len ? sync->notes[i] : "", len,
                                          rc == NGX_ERROR ? 0 : ngx_time())
            == NGX_OK && len)
        {
            (void) ngx_http_swarm_text_escape(note, sizeof(note),
                                              (u_char *) sync->notes[i], len);

            ngx_log_error(NGX_LOG_ERR, sync->log, 0,
                          "swarm: upstream \"%V\": %s", &upp[i]->name, note);
        }
    }

    if (++sync->up < sync->mcf->upstreams.nelts) {
        sync->state = NGX_HTTP_SWARM_ROUTES;
        return NGX_OK;
    }

    return NGX_DONE;
}


/*
 * Parts of a long piece of work, until it is done or for at most
 * NGX_HTTP_SWARM_SLICE: NGX_AGAIN while more is left, NGX_OK once it is
 * done, NGX_ERROR if it failed ("err" says why).
 */

static ngx_int_t
ngx_http_swarm_slice(ngx_http_swarm_sync_t *sync, ngx_http_swarm_part_pt part)
{
    int       rc;
    uint64_t  start;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);

    do {
        rc = part(sync);
    } while (rc == NGX_HTTP_SWARM_MORE
             && ngx_http_swarm_clock(CLOCK_MONOTONIC) - start
                < NGX_HTTP_SWARM_SLICE);

    if (rc == NGX_HTTP_SWARM_MORE) {
        return NGX_AGAIN;
    }

    return (rc == NGX_HTTP_SWARM_DONE) ? NGX_OK : NGX_ERROR;
}


/*
 * A service skipped for an upstream: the first of a refresh is shown;
 * of a routes upstream, each is listed with its routes.
 */

static void
ngx_http_swarm_note(void *data, unsigned upstream, const char *service,
    const char *msg)
{
    ngx_http_swarm_sync_t *sync = data;

    size_t                       len;
    char                        *note;
    json_t                      *e;
    ngx_http_swarm_upstream_t  **upp;

    upp = sync->mcf->upstreams.elts;

    if (upp[upstream]->routes) {
        if (sync->errors[upstream] == NULL) {
            sync->errors[upstream] = json_array();
        }

        if (sync->errors[upstream] == NULL
            || json_array_size(sync->errors[upstream])
               >= NGX_HTTP_SWARM_ROUTE_ERRORS)
        {
            return;
        }

        e = json_pack("{s:o,s:o}",
                      "service", ngx_http_swarm_text_json(service,
                                                          ngx_strlen(service)),
                      "error", ngx_http_swarm_text_json(msg,
                                                        ngx_strlen(msg)));

        (void) json_array_append_new(sync->errors[upstream], e);

        return;
    }

    if (sync->notes[upstream]) {
        return;
    }

    len = ngx_strlen(service) + ngx_strlen(msg) + sizeof("service \"\": ");

    note = ngx_alloc(len, sync->log);
    if (note == NULL) {
        return;
    }

    ngx_snprintf((u_char *) note, len, "service \"%s\": %s%Z", service, msg);

    sync->notes[upstream] = note;
}


/* what keeps a service or route out, logged once as it appears */

static void
ngx_http_swarm_routes_log(ngx_http_swarm_sync_t *sync)
{
    size_t                       i, j;
    json_t                      *errors, *logged, *e;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       msg[NGX_HTTP_SWARM_ESC_LEN];
    u_char                       service[NGX_HTTP_SWARM_ESC_LEN];

    upp = sync->mcf->upstreams.elts;
    errors = sync->errors[sync->up];
    logged = sync->logged[sync->up];

    json_array_foreach(errors, i, e) {

        for (j = 0; logged && j < json_array_size(logged); j++) {
            if (json_equal(e, json_array_get(logged, j))) {
                break;
            }
        }

        if (logged && j < json_array_size(logged)) {
            continue;
        }

        (void) ngx_http_swarm_text_escape(service, sizeof(service),
                                          (u_char *) json_string_value(
                                              json_object_get(e, "service")),
                                          ngx_strlen(json_string_value(
                                              json_object_get(e, "service"))));
        (void) ngx_http_swarm_text_escape(msg, sizeof(msg),
                                          (u_char *) json_string_value(
                                              json_object_get(e, "error")),
                                          ngx_strlen(json_string_value(
                                              json_object_get(e, "error"))));

        ngx_log_error(NGX_LOG_ERR, sync->log, 0,
                      "swarm: upstream \"%V\": service \"%s\": %s",
                      &upp[sync->up]->name, service, msg);
    }

    json_decref(logged);
    sync->logged[sync->up] = errors;
    sync->errors[sync->up] = NULL;
}


static void
ngx_http_swarm_sync_done(ngx_http_swarm_sync_t *sync)
{
    size_t                       parsed, reused;
    ngx_uint_t                   again;
    ngx_msec_t                   delay;
    ngx_http_swarm_figures_t     fig;
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = sync->mcf;

    /* the endpoint that failed, or the next one in its place */

    again = ngx_http_swarm_endpoints_ok(sync->endpoints);

    if (sync->failures) {
        ngx_log_error(NGX_LOG_NOTICE, sync->log, 0,
                      again ? "swarm: Docker API at %V answers again"
                            : "swarm: Docker API at %V answers, in place "
                              "of the one that failed",
                      sync->shown);
    }

    sync->failures = 0;
    sync->rounds = 0;
    sync->initial = 0;

    ngx_http_swarm_tasks_counts(sync->tasks, &parsed, &reused);

    fig.bytes = sync->bytes;
    fig.msec = ngx_current_msec - sync->start;
    fig.cpu_usec = sync->cpu / 1000;
    fig.parsed = parsed;
    fig.reused = reused;
    fig.longest_usec = ngx_max(sync->longest, sync->curl.longest) / 1000;
    fig.longest_cpu_usec = sync->longest_cpu / 1000;
    fig.refreshes = ++sync->refreshes;
    fig.done = ngx_time();
    fig.events = ngx_http_swarm_events_connected(sync->events);

    ngx_http_swarm_zone_set_figures(&mcf->zone, &fig);

    ngx_http_swarm_sync_reset(sync);

    /* after an event, refresh often until the task sets settle */

    sync->stable = sync->changed ? 0 : sync->stable + 1;

    if (sync->again) {
        sync->again = 0;
        delay = 1;

    } else if (sync->fast && sync->stable < NGX_HTTP_SWARM_FAST_STABLE
               && ngx_current_msec - sync->fast_since
                  < NGX_HTTP_SWARM_FAST_MAX)
    {
        delay = ngx_min(NGX_HTTP_SWARM_FAST_INTERVAL, mcf->interval);

    } else {
        sync->fast = 0;
        delay = mcf->interval;
    }

    ngx_add_timer(&sync->poll, delay);

    ngx_http_swarm_events_start(sync->events);
}


static void
ngx_http_swarm_sync_failed(ngx_http_swarm_sync_t *sync)
{
    size_t                       len;
    ngx_int_t                    rc;
    ngx_uint_t                   i, failover;
    ngx_http_swarm_upstream_t  **upp;
    ngx_http_swarm_main_conf_t  *mcf;
    u_char                       err[NGX_HTTP_SWARM_ESC_LEN];

    mcf = sync->mcf;
    upp = mcf->upstreams.elts;
    len = ngx_strlen(sync->err);

    /*
     * another endpoint may answer where this one did not, or failed as
     * a server: it is tried, at once while some have not failed yet
     */

    failover = (sync->kind == NGX_HTTP_SWARM_FAIL_TRANSPORT
                || (sync->kind == NGX_HTTP_SWARM_FAIL_HTTP
                    && sync->get.code >= 500));

    ngx_http_swarm_zone_failed(&mcf->zone, sync->kind);

    /* what Docker said, with no line breaks to forge log lines with */

    (void) ngx_http_swarm_text_escape(err, sizeof(err), (u_char *) sync->err,
                                      len);

    if (sync->failures == 0) {
        ngx_log_error(NGX_LOG_ERR, sync->log, 0,
                      "swarm: Docker API at %V failed: %s; "
                      "keeping the last task sets of all upstreams",
                      sync->shown, err);

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                       "swarm: Docker API at %V failed again: %s",
                       sync->shown, err);
    }

    for (i = 0; i < mcf->upstreams.nelts; i++) {
        (void) ngx_http_swarm_zone_set_error(upp[i], sync->err, len, 0);
    }

    rc = ngx_http_swarm_endpoints_failed(sync->endpoints, sync->err,
                                         failover);

    sync->failures++;

    /*
     * the tasks being stopped are asked once: on a large swarm their
     * history alone may be more than swarm_max_response
     */

    if (sync->state >= NGX_HTTP_SWARM_TASKS) {
        sync->initial = 0;
    }

    /* a refused or broken version may be fixed by negotiating again */

    sync->api_version[0] = '\0';

    ngx_http_swarm_sync_reset(sync);

    sync->again = 0;

    if (rc != NGX_DECLINED) {
        ngx_http_swarm_events_stop(sync->events);
    }

    /*
     * a second after the first round in which every endpoint failed,
     * however many there are, then doubled
     */

    if (rc != NGX_OK) {
        sync->rounds++;
    }

    ngx_add_timer(&sync->poll,
                  (rc == NGX_OK) ? 1
                  : ngx_http_swarm_curl_backoff(sync->rounds, mcf->interval));
}


static void
ngx_http_swarm_sync_reset(ngx_http_swarm_sync_t *sync)
{
    ngx_uint_t  i;

    for (i = 0; i < sync->mcf->upstreams.nelts; i++) {
        sync->sets[i].n = 0;

        if (sync->notes[i]) {
            ngx_free(sync->notes[i]);
            sync->notes[i] = NULL;
        }

        json_decref(sync->errors[i]);
        sync->errors[i] = NULL;
    }

    ngx_http_swarm_services_routes_free(sync->text);
    sync->text = NULL;

    if (sync->routes) {
        free(sync->routes);
        sync->routes = NULL;
    }

    if (sync->run.posted) {
        ngx_delete_posted_event(&sync->run);
    }

    ngx_http_swarm_services_clear(&sync->svcs);
    sync->state = NGX_HTTP_SWARM_IDLE;
    sync->err[0] = '\0';
    sync->kind = NGX_HTTP_SWARM_FAIL_ANSWER;

    ngx_http_swarm_curl_get_trim(&sync->get);
}


/*
 * Something in the swarm changed (an event, or the events stream back
 * after missing some): refresh now.  Called from the transport's
 * callbacks, where curl may not be called again: the refresh is posted.
 */

static void
ngx_http_swarm_look_now(void *data)
{
    ngx_http_swarm_sync_t *sync = data;

    sync->fast = 1;
    sync->stable = 0;
    sync->fast_since = ngx_current_msec;

    if (sync->state != NGX_HTTP_SWARM_IDLE) {
        sync->again = 1;
        return;
    }

    if (sync->failures) {
        /* the API is failing: keep to the backoff */
        return;
    }

    if (sync->poll.posted) {
        return;
    }

    if (sync->poll.timer_set) {
        ngx_del_timer(&sync->poll);
    }

    ngx_post_event(&sync->poll, &ngx_posted_events);
}


void
ngx_http_swarm_sync_exit(void)
{
    ngx_uint_t              i;
    ngx_http_swarm_sync_t  *sync;

    sync = ngx_http_swarm_sync;

    if (sync == NULL) {
        return;
    }

    ngx_http_swarm_sync = NULL;

    if (sync->run.posted) {
        ngx_delete_posted_event(&sync->run);
    }

    if (sync->tasks) {
        ngx_http_swarm_tasks_destroy(sync->tasks);
    }

    if (sync->pub) {
        ngx_http_swarm_publish_free(sync->pub);
    }

    ngx_http_swarm_curl_get_close(&sync->get);

    if (sync->events) {
        ngx_http_swarm_events_close(sync->events);
    }

    if (sync->endpoints) {
        ngx_http_swarm_endpoints_close(sync->endpoints);
    }

    ngx_http_swarm_curl_cleanup(&sync->curl);

    ngx_http_swarm_services_free(&sync->svcs);

    for (i = 0; i < sync->mcf->upstreams.nelts; i++) {
        ngx_http_swarm_set_free(&sync->sets[i]);

        if (sync->notes[i]) {
            ngx_free(sync->notes[i]);
        }

        json_decref(sync->errors[i]);
        json_decref(sync->logged[i]);
    }

    ngx_http_swarm_services_routes_free(sync->text);

    if (sync->routes) {
        free(sync->routes);
    }
}
