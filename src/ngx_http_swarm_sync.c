
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The refresh of the task sets, in worker 0: when to refresh (the
 * interval, faster after an event, backoff after a failure), and each
 * refresh as one sequence of states: the API version (api.c), /services
 * for each selector, the routes' places, /tasks for the services matched
 * (those the last worker 0 parsed taken, keep.c), the tasks that left
 * asked by ID, then the sets and routes built and published
 * (publish.c), with what they skipped said (notes.c).  A state waits
 * for an answer, which its handler takes, or works a slice at a time, a
 * cycle each, so that the worker serves its connections between the
 * slices of a refresh.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_api.h"
#include "ngx_http_swarm_endpoints.h"
#include "ngx_http_swarm_notes.h"
#include "ngx_http_swarm_events.h"
#include "ngx_http_swarm_publish.h"
#include "ngx_http_swarm_keep.h"
#include "ngx_http_swarm_sync.h"


/* tasks asked again by ID, services asked tasks of, in one query */
#define NGX_HTTP_SWARM_GONE_MAX       1000
#define NGX_HTTP_SWARM_SERVICES_MAX   1000

/* after an event: refresh every 250ms until 8 refreshes change nothing */
#define NGX_HTTP_SWARM_FAST_INTERVAL  250
#define NGX_HTTP_SWARM_FAST_STABLE    8
#define NGX_HTTP_SWARM_FAST_MAX       60000

/* elements of an answer read between clock looks */
#define NGX_HTTP_SWARM_READ_STEP      4


typedef enum {
    NGX_HTTP_SWARM_IDLE = 0,

    /* the API version (ngx_http_swarm_api.c) */
    NGX_HTTP_SWARM_VERSION,

    /* the services of each selector, the routes' places, all the tasks */
    NGX_HTTP_SWARM_SERVICES,
    NGX_HTTP_SWARM_SERVICES_READ,
    NGX_HTTP_SWARM_PLACE,
    NGX_HTTP_SWARM_TASKS,
    NGX_HTTP_SWARM_TASKS_READ,

    /* the tasks published and no longer wanted running, asked by ID */
    NGX_HTTP_SWARM_MISSING,
    NGX_HTTP_SWARM_GONE,
    NGX_HTTP_SWARM_GONE_READ,

    /* the sets and routes built and published, in steps of their own */
    NGX_HTTP_SWARM_PUBLISH
} ngx_http_swarm_state_e;


typedef struct {
    ngx_http_swarm_t           *swarm;
    ngx_log_t                  *log;
    ngx_http_swarm_curl_t       curl;
    ngx_http_swarm_api_t       *api;
    ngx_http_swarm_endpoints_t *endpoints;
    ngx_str_t                  *shown;
    ngx_http_swarm_events_t    *events;
    ngx_event_t                 poll;
    ngx_event_t                 run;

    ngx_http_swarm_state_e      state;
    ngx_uint_t                  failures;

    /* rounds of every endpoint failing in a row: what the backoff grows by */
    ngx_uint_t                  rounds;

    /* why this refresh failed (NGX_HTTP_SWARM_FAIL_*) */
    ngx_uint_t                  kind;

    /* refreshes done so far */
    ngx_uint_t                  refreshes;
    char                        err[NGX_HTTP_SWARM_ERR_LEN];

    /* the selector asked for, the upstream whose routes are placed */
    ngx_uint_t                  selector;
    ngx_uint_t                  up;

    /* the first service of the /tasks query read, and of the next one */
    size_t                      service;
    size_t                      service_next;

    ngx_http_swarm_services_t   svcs;
    ngx_http_swarm_array_t      array;
    ngx_http_swarm_tasks_t     *tasks;
    ngx_http_swarm_keep_t      *keep;
    ngx_http_swarm_notes_t     *notes;
    ngx_http_swarm_publish_t   *pub;

    /* the refresh: its start; CPU, longest step, a step's most CPU (ns) */
    ngx_msec_t                  start;
    uint64_t                    cpu;
    uint64_t                    longest;
    uint64_t                    longest_cpu;

    /* after an event, refreshes every 250 ms until the sets settle */
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
static void ngx_http_swarm_sync_answer(void *data, ngx_int_t rc);
static ngx_int_t ngx_http_swarm_ask(ngx_http_swarm_sync_t *sync,
    ngx_http_swarm_state_e state, json_t *filters);
static void ngx_http_swarm_sync_error(ngx_http_swarm_sync_t *sync,
    const char *fmt, ...);
static ngx_int_t ngx_http_swarm_version_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_next(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_services_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_services_reading(
    ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_services_part(void *data);
static ngx_int_t ngx_http_swarm_routes_place(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_ask(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_tasks_reading(ngx_http_swarm_sync_t *sync);
static int ngx_http_swarm_tasks_part(void *data);
static ngx_int_t ngx_http_swarm_missing(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_gone_answer(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_sync_publish(ngx_http_swarm_sync_t *sync);
static ngx_int_t ngx_http_swarm_sync_published(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_done(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_failed(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_sync_reset(ngx_http_swarm_sync_t *sync);
static void ngx_http_swarm_look_now(void *data);


static ngx_http_swarm_state_t  ngx_http_swarm_states[] = {
    { NULL, NULL },                                   /* IDLE */
    { NULL, ngx_http_swarm_version_answer },          /* VERSION */
    { "/services", ngx_http_swarm_services_answer },  /* SERVICES */
    { "/services", ngx_http_swarm_services_reading }, /* SERVICES_READ */
    { NULL, ngx_http_swarm_routes_place },            /* PLACE */
    { "/tasks", ngx_http_swarm_tasks_answer },        /* TASKS */
    { "/tasks", ngx_http_swarm_tasks_reading },       /* TASKS_READ */
    { "/tasks", ngx_http_swarm_missing },             /* MISSING */
    { "/tasks", ngx_http_swarm_gone_answer },         /* GONE */
    { "/tasks", ngx_http_swarm_tasks_reading },       /* GONE_READ */
    { NULL, ngx_http_swarm_sync_published }           /* PUBLISH */
};


static ngx_http_swarm_sync_t  *ngx_http_swarm_sync;


ngx_int_t
ngx_http_swarm_sync_init(ngx_cycle_t *cycle, ngx_http_swarm_t *swarm)
{
    ngx_uint_t                   i, n;
    ngx_http_swarm_sync_t       *sync;
    ngx_http_swarm_upstream_t  **upp;

    sync = ngx_pcalloc(cycle->pool, sizeof(ngx_http_swarm_sync_t));
    if (sync == NULL) {
        return NGX_ERROR;
    }

    sync->swarm = swarm;
    sync->log = cycle->log;

    /* nothing known: the first refresh asks for the tasks being stopped */

    sync->initial = 1;
    sync->kind = NGX_HTTP_SWARM_FAIL_ANSWER;
    upp = swarm->upstreams.elts;
    n = swarm->upstreams.nelts;

    for (i = 0; i < n; i++) {
        if (upp[i]->view->npeers) {
            sync->initial = 0;
        }
    }

    sync->notes = ngx_http_swarm_notes_create(swarm, cycle->pool,
                                              cycle->log);
    if (sync->notes == NULL) {
        return NGX_ERROR;
    }

    sync->pub = ngx_http_swarm_publish_create(cycle->pool, swarm,
                                              sync->notes, cycle->log);
    if (sync->pub == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_curl_open(&sync->curl, cycle->log, swarm) != NGX_OK) {
        return NGX_ERROR;
    }

    /* from here on, what is made is given back at exit */

    ngx_http_swarm_sync = sync;

    sync->endpoints = ngx_http_swarm_endpoints_create(swarm, &sync->curl,
                                                      cycle->pool,
                                                      cycle->log);
    if (sync->endpoints == NULL) {
        return NGX_ERROR;
    }

    sync->shown = ngx_http_swarm_endpoints_shown(sync->endpoints);

    sync->api = ngx_http_swarm_api_create(swarm, &sync->curl, cycle->pool,
                                          sync->shown, sync->err,
                                          sizeof(sync->err),
                                          ngx_http_swarm_sync_answer, sync);
    if (sync->api == NULL) {
        return NGX_ERROR;
    }

    sync->events = ngx_http_swarm_events_create(&sync->curl, cycle->pool,
                                                sync->shown, swarm->interval,
                                                ngx_http_swarm_api_version(
                                                    sync->api),
                                                ngx_http_swarm_look_now,
                                                sync);
    if (sync->events == NULL) {
        return NGX_ERROR;
    }

    sync->tasks = ngx_http_swarm_tasks_create();
    if (sync->tasks == NULL) {
        return NGX_ERROR;
    }

    sync->keep = ngx_http_swarm_keep_create(&swarm->zone, sync->tasks,
                                            cycle->pool, cycle->log);
    if (sync->keep == NULL) {
        return NGX_ERROR;
    }

    sync->poll.handler = ngx_http_swarm_sync_poll;
    sync->poll.data = sync;
    sync->poll.log = cycle->log;
    sync->poll.cancelable = 1;

    sync->run.handler = ngx_http_swarm_sync_run;
    sync->run.data = sync;
    sync->run.log = cycle->log;

    /* the first refresh at once: tasks appear as soon as Docker answers */

    ngx_add_timer(&sync->poll, 1);

    return NGX_OK;
}


static void
ngx_http_swarm_sync_poll(ngx_event_t *ev)
{
    ngx_http_swarm_sync_t *sync = ev->data;

    /* on its way out, or a newer configuration's worker 0 asks now */

    if (!ngx_http_swarm_zone_writer(&sync->swarm->zone)) {
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

    ngx_http_swarm_api_start(sync->api);
    sync->cpu = 0;
    sync->longest = 0;
    sync->longest_cpu = 0;
    sync->curl.longest = 0;

    ngx_time_update();
    sync->start = ngx_current_msec;

    /* the first endpoint answers again: the version and stream are its */

    if (ngx_http_swarm_endpoints_start(sync->endpoints) == NGX_OK) {
        ngx_http_swarm_api_forget(sync->api);
        ngx_http_swarm_events_stop(sync->events);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: sync with %V", sync->shown);

    if (ngx_http_swarm_api_version(sync->api)[0] == '\0') {
        sync->state = NGX_HTTP_SWARM_VERSION;
        rc = ngx_http_swarm_api_negotiate(sync->api);

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


/*
 * An answer (ngx_http_swarm_api.c): to the state that waits for it, or
 * what failed; a version negotiated again starts the refresh over.
 */

static void
ngx_http_swarm_sync_answer(void *data, ngx_int_t rc)
{
    ngx_http_swarm_sync_t *sync = data;

    if (rc == NGX_ERROR) {
        sync->kind = ngx_http_swarm_api_kind(sync->api);
        ngx_http_swarm_sync_failed(sync);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_swarm_services_free(&sync->svcs);
        sync->selector = 0;
        rc = ngx_http_swarm_next(sync);

    } else {
        rc = ngx_http_swarm_states[sync->state].handler(sync);
    }

    /* from the transport's callback: the work goes on in this cycle */

    ngx_http_swarm_sync_go(sync, rc, &ngx_posted_events);
}


/* GET the path of "state", which then waits for its answer */

static ngx_int_t
ngx_http_swarm_ask(ngx_http_swarm_sync_t *sync, ngx_http_swarm_state_e state,
    json_t *filters)
{
    sync->state = state;

    return ngx_http_swarm_api_ask(sync->api,
                                  ngx_http_swarm_states[state].path, filters);
}


/* what failed, cut on a character boundary */

static void
ngx_http_swarm_sync_error(ngx_http_swarm_sync_t *sync, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_http_swarm_verror(sync->err, sizeof(sync->err), fmt, args);
    va_end(args);
}


/* the API version negotiated: the services asked for */

static ngx_int_t
ngx_http_swarm_version_answer(ngx_http_swarm_sync_t *sync)
{
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

    if (sync->selector < sync->swarm->selectors.nelts) {
        sel = sync->swarm->selectors.elts;

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

    upp = sync->swarm->upstreams.elts;

    while (sync->up < sync->swarm->upstreams.nelts) {
        if (!upp[sync->up++]->routes) {
            continue;
        }

        (void) ngx_http_swarm_services_routes(&sync->svcs,
                                              (unsigned) (sync->up - 1),
                                              ngx_http_swarm_notes_report(
                                                  sync->notes));
        return NGX_AGAIN;
    }

    if (sync->svcs.n == 0) {
        /* no service: empty sets to publish */
        return ngx_http_swarm_sync_publish(sync);
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
    size_t   len;
    u_char  *body;

    body = ngx_http_swarm_api_body(sync->api, &len);

    ngx_http_swarm_array_init(&sync->array, (char *) body, len);

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

    rc = ngx_http_swarm_slice(ngx_http_swarm_services_part, sync);
    if (rc != NGX_OK) {
        return rc;
    }

    sync->selector++;

    return ngx_http_swarm_next(sync);
}


static int
ngx_http_swarm_services_part(void *data)
{
    ngx_http_swarm_sync_t *sync = data;

    ngx_http_swarm_selector_t  *sel;

    sel = sync->swarm->selectors.elts;

    return ngx_http_swarm_services_read(&sync->array, &sel[sync->selector],
                                        &sync->svcs,
                                        ngx_http_swarm_notes_report(
                                            sync->notes),
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
    size_t   len;
    u_char  *body;

    if (sync->service == 0) {
        ngx_http_swarm_keep_begin(sync->keep);
        ngx_http_swarm_tasks_begin(sync->tasks);
    }

    body = ngx_http_swarm_api_body(sync->api, &len);

    ngx_http_swarm_tasks_feed(sync->tasks, (char *) body, len);

    sync->state = NGX_HTTP_SWARM_TASKS_READ;

    return NGX_OK;
}


/* the tasks wanted running, then those asked by ID */

static ngx_int_t
ngx_http_swarm_tasks_reading(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_slice(ngx_http_swarm_tasks_part, sync);
    if (rc != NGX_OK) {
        return rc;
    }

    if (sync->state == NGX_HTTP_SWARM_TASKS_READ
        && sync->service_next < sync->svcs.n)
    {
        return ngx_http_swarm_tasks_ask(sync);
    }

    if (sync->state == NGX_HTTP_SWARM_GONE_READ) {
        return ngx_http_swarm_sync_publish(sync);
    }

    sync->state = NGX_HTTP_SWARM_MISSING;

    return NGX_OK;
}


static int
ngx_http_swarm_tasks_part(void *data)
{
    ngx_http_swarm_sync_t *sync = data;

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
    json_t      *list, *filters;
    ngx_int_t    rc;
    ngx_uint_t   n;

    list = ngx_http_swarm_publish_missing(sync->pub, sync->tasks,
                                          NGX_HTTP_SWARM_GONE_MAX, &n);
    if (list == NULL) {
        ngx_http_swarm_sync_error(sync, "out of memory");
        return NGX_ERROR;
    }

    if (n == 0) {
        json_decref(list);
        return ngx_http_swarm_sync_publish(sync);
    }

    filters = json_pack("{so}", "id", list);
    if (filters == NULL) {
        ngx_http_swarm_sync_error(sync, "out of memory");
        return NGX_ERROR;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, sync->log, 0,
                   "swarm: %ui tasks no longer wanted running", n);

    rc = ngx_http_swarm_ask(sync, NGX_HTTP_SWARM_GONE, filters);
    json_decref(filters);

    return rc;
}


static ngx_int_t
ngx_http_swarm_gone_answer(ngx_http_swarm_sync_t *sync)
{
    size_t   len;
    u_char  *body;

    body = ngx_http_swarm_api_body(sync->api, &len);

    ngx_http_swarm_tasks_feed(sync->tasks, (char *) body, len);

    sync->state = NGX_HTTP_SWARM_GONE_READ;

    return NGX_OK;
}


/* what was read is built and published (ngx_http_swarm_publish.c) */

static ngx_int_t
ngx_http_swarm_sync_publish(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_publish_begin(sync->pub, sync->tasks, &sync->svcs);

    sync->state = NGX_HTTP_SWARM_PUBLISH;

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_sync_published(ngx_http_swarm_sync_t *sync)
{
    return ngx_http_swarm_publish_step(sync->pub, sync->err,
                                       sizeof(sync->err));
}


static void
ngx_http_swarm_sync_done(ngx_http_swarm_sync_t *sync)
{
    size_t                       parsed, reused;
    ngx_uint_t                   again;
    ngx_msec_t                   delay;
    ngx_http_swarm_figures_t     fig;
    ngx_http_swarm_t            *swarm;

    swarm = sync->swarm;

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

    fig.bytes = ngx_http_swarm_api_bytes(sync->api);
    fig.msec = ngx_current_msec - sync->start;
    fig.cpu_usec = sync->cpu / 1000;
    fig.parsed = parsed;
    fig.reused = reused;
    fig.longest_usec = ngx_max(sync->longest, sync->curl.longest) / 1000;
    fig.longest_cpu_usec = sync->longest_cpu / 1000;
    fig.refreshes = ++sync->refreshes;
    fig.done = ngx_time();
    fig.events = ngx_http_swarm_events_connected(sync->events);

    ngx_http_swarm_zone_set_figures(&swarm->zone, &fig);
    ngx_http_swarm_keep_leave(sync->keep, parsed, reused);

    ngx_http_swarm_sync_reset(sync);

    /* after an event, refresh often until the task sets settle */

    sync->stable = ngx_http_swarm_publish_changed(sync->pub)
                   ? 0 : sync->stable + 1;

    if (sync->again) {
        sync->again = 0;
        delay = 1;

    } else if (sync->fast && sync->stable < NGX_HTTP_SWARM_FAST_STABLE
               && ngx_current_msec - sync->fast_since
                  < NGX_HTTP_SWARM_FAST_MAX)
    {
        delay = ngx_min(NGX_HTTP_SWARM_FAST_INTERVAL, swarm->interval);

    } else {
        sync->fast = 0;
        delay = swarm->interval;
    }

    ngx_add_timer(&sync->poll, delay);

    ngx_http_swarm_events_start(sync->events);
}


static void
ngx_http_swarm_sync_failed(ngx_http_swarm_sync_t *sync)
{
    ngx_int_t          rc;
    ngx_uint_t         failover;
    ngx_http_swarm_t  *swarm;

    swarm = sync->swarm;

    /*
     * another endpoint may answer where this one did not, or failed as
     * a server: it is tried, at once while some have not failed yet
     */

    failover = (sync->kind == NGX_HTTP_SWARM_FAIL_TRANSPORT
                || (sync->kind == NGX_HTTP_SWARM_FAIL_HTTP
                    && ngx_http_swarm_api_code(sync->api) >= 500));

    ngx_http_swarm_zone_failed(&swarm->zone, sync->kind);

    ngx_http_swarm_notes_failed(sync->notes, sync->shown, sync->err,
                                sync->failures);

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

    ngx_http_swarm_api_forget(sync->api);

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
                  : ngx_http_swarm_curl_backoff(sync->rounds, swarm->interval));
}


static void
ngx_http_swarm_sync_reset(ngx_http_swarm_sync_t *sync)
{
    ngx_http_swarm_notes_clear(sync->notes);
    ngx_http_swarm_publish_reset(sync->pub);

    if (sync->run.posted) {
        ngx_delete_posted_event(&sync->run);
    }

    ngx_http_swarm_services_clear(&sync->svcs);
    sync->state = NGX_HTTP_SWARM_IDLE;
    sync->err[0] = '\0';
    sync->kind = NGX_HTTP_SWARM_FAIL_ANSWER;

    ngx_http_swarm_api_trim(sync->api);
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
    ngx_http_swarm_sync_t  *sync;

    sync = ngx_http_swarm_sync;

    if (sync == NULL) {
        return;
    }

    ngx_http_swarm_sync = NULL;

    if (sync->run.posted) {
        ngx_delete_posted_event(&sync->run);
    }

    if (sync->keep) {
        ngx_http_swarm_keep_stop(sync->keep);
    }

    if (sync->tasks) {
        ngx_http_swarm_tasks_destroy(sync->tasks);
    }

    if (sync->pub) {
        ngx_http_swarm_publish_free(sync->pub);
    }

    if (sync->api) {
        ngx_http_swarm_api_close(sync->api);
    }

    if (sync->events) {
        ngx_http_swarm_events_close(sync->events);
    }

    if (sync->endpoints) {
        ngx_http_swarm_endpoints_close(sync->endpoints);
    }

    ngx_http_swarm_curl_cleanup(&sync->curl);

    ngx_http_swarm_services_free(&sync->svcs);

    if (sync->notes) {
        ngx_http_swarm_notes_free(sync->notes);
    }
}
