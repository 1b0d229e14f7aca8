
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The Docker events stream, GET /events, as a signal to look now: Docker
 * sends no task events, and whatever an event says, the task sets come
 * from /tasks.  Only the events that can change a task set are asked
 * for, and only those are passed on; a stream that fails is logged once
 * and asked again with backoff.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_events.h"


/* the longest event line kept; a longer one is dropped */
#define NGX_HTTP_SWARM_EVENTS_LINE    65536

/* the longest wait before the stream is asked again */
#define NGX_HTTP_SWARM_EVENTS_RETRY   30000


struct ngx_http_swarm_events_s {
    ngx_http_swarm_get_t        get;
    ngx_event_t                 retry;
    ngx_uint_t                  failures;

    /* the stream was answered and has not ended since */
    ngx_uint_t                  connected;
    ngx_str_t                  *shown;
    ngx_msec_t                  interval;
    const char                 *version;
    ngx_http_swarm_events_pt    changed;
    void                       *data;
};


static void ngx_http_swarm_events_retry(ngx_event_t *ev);
static void ngx_http_swarm_events_ready(ngx_http_swarm_get_t *get);
static void ngx_http_swarm_events_line(ngx_http_swarm_get_t *get,
    u_char *line, size_t len);
static ngx_uint_t ngx_http_swarm_events_changes(const char *action);
static void ngx_http_swarm_events_done(ngx_http_swarm_get_t *get);


/*
 * What can change a task set: a service created, updated or removed, a
 * container started, dead, gone or newly healthy, a network
 * (dis)connected.  Health checks and "docker exec" make exec_* events
 * all the time, and resize, top and attach change nothing.
 */

static const char  *ngx_http_swarm_events_types[] = {
    "service", "container", "network", NULL
};

static const char  *ngx_http_swarm_events_actions[] = {
    "create", "update", "remove", "start", "die", "destroy",
    "health_status", "connect", "disconnect", NULL
};


ngx_http_swarm_events_t *
ngx_http_swarm_events_create(ngx_http_swarm_curl_t *curl, ngx_pool_t *pool,
    ngx_str_t *shown, ngx_msec_t interval, const char *version,
    ngx_http_swarm_events_pt changed, void *data)
{
    ngx_http_swarm_events_t  *events;

    events = ngx_pcalloc(pool, sizeof(ngx_http_swarm_events_t));
    if (events == NULL) {
        return NULL;
    }

    events->shown = shown;
    events->interval = interval;
    events->version = version;
    events->changed = changed;
    events->data = data;

    events->get.data = events;
    events->get.done = ngx_http_swarm_events_done;
    events->get.ready = ngx_http_swarm_events_ready;
    events->get.line = ngx_http_swarm_events_line;

    if (ngx_http_swarm_curl_get_setup(&events->get, curl, pool,
                                      NGX_HTTP_SWARM_EVENTS_LINE)
        != NGX_OK)
    {
        ngx_http_swarm_events_close(events);
        return NULL;
    }

    events->retry.handler = ngx_http_swarm_events_retry;
    events->retry.data = events;
    events->retry.log = curl->log;
    events->retry.cancelable = 1;

    return events;
}


/* the stream, unless it is under way or waits to be asked again */

void
ngx_http_swarm_events_start(ngx_http_swarm_events_t *events)
{
    json_t      *filters, *types, *actions;
    ngx_uint_t   i;
    char         err[NGX_HTTP_SWARM_ERR_LEN];

    if (events->get.active || events->retry.timer_set
        || events->version[0] == '\0'
        || ngx_exiting || ngx_terminate || ngx_quit)
    {
        return;
    }

    types = json_array();
    actions = json_array();

    for (i = 0; types && ngx_http_swarm_events_types[i]; i++) {
        json_array_append_new(types,
                              json_string(ngx_http_swarm_events_types[i]));
    }

    for (i = 0; actions && ngx_http_swarm_events_actions[i]; i++) {
        json_array_append_new(actions,
                              json_string(ngx_http_swarm_events_actions[i]));
    }

    filters = json_pack("{soso}", "type", types, "event", actions);
    if (filters == NULL) {
        return;
    }

    if (ngx_http_swarm_curl_get(&events->get, events->version, "/events",
                                filters, err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, events->get.curl->log, 0,
                      "swarm: %s", err);
    }

    json_decref(filters);
}


static void
ngx_http_swarm_events_retry(ngx_event_t *ev)
{
    ngx_http_swarm_events_start(ev->data);
}


/* the stream is answered: after a failure, what happened meanwhile */

static void
ngx_http_swarm_events_ready(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_events_t *events = get->data;

    events->connected = 1;

    if (events->failures) {
        ngx_log_error(NGX_LOG_NOTICE, get->curl->log, 0,
                      "swarm: events stream at %V is back", events->shown);

        events->failures = 0;

        events->changed(events->data);
    }
}


static void
ngx_http_swarm_events_line(ngx_http_swarm_get_t *get, u_char *line,
    size_t len)
{
    ngx_http_swarm_events_t *events = get->data;

    json_t        *ev;
    ngx_uint_t     changes;
    const char    *action;
    json_error_t   jerr;

    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ')) {
        len--;
    }

    if (len == 0) {
        return;
    }

    ev = json_loadb((char *) line, len, 0, &jerr);

    if (!json_is_object(ev)) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, get->curl->log, 0,
                       "swarm: an event that is no JSON object, ignored");
        json_decref(ev);
        return;
    }

    action = json_string_value(json_object_get(ev, "Action"));

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, get->curl->log, 0,
                   "swarm: event %s %s",
                   json_string_value(json_object_get(ev, "Type")), action);

    /* an engine or a proxy that does not filter: the same filter here */

    changes = ngx_http_swarm_events_changes(action);

    json_decref(ev);

    if (changes) {
        events->changed(events->data);
    }
}


static ngx_uint_t
ngx_http_swarm_events_changes(const char *action)
{
    size_t       len;
    ngx_uint_t   i;
    const char  *colon;

    if (action == NULL) {
        return 0;
    }

    /* "health_status: healthy", "exec_start: sh -c ...": the part before */

    colon = ngx_strchr(action, ':');
    len = colon ? (size_t) (colon - action) : ngx_strlen(action);

    for (i = 0; ngx_http_swarm_events_actions[i]; i++) {
        if (ngx_strlen(ngx_http_swarm_events_actions[i]) == len
            && ngx_strncmp(action, ngx_http_swarm_events_actions[i], len)
               == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_swarm_events_done(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_events_t *events = get->data;

    const char  *why;

    events->connected = 0;

    if (get->error) {
        why = get->error;

    } else if (get->code != 200) {
        why = "refused";

    } else {
        why = "ended";
    }

    if (events->failures == 0) {
        ngx_log_error(NGX_LOG_WARN, get->curl->log, 0,
                      "swarm: events stream at %V %s (HTTP %l); polling "
                      "every %M ms and reconnecting",
                      events->shown, why, get->code, events->interval);
    }

    events->failures++;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    ngx_add_timer(&events->retry,
                  ngx_http_swarm_curl_backoff(events->failures,
                                              NGX_HTTP_SWARM_EVENTS_RETRY));
}


ngx_uint_t
ngx_http_swarm_events_connected(ngx_http_swarm_events_t *events)
{
    return events->connected;
}


/* the stream ended, to be asked again (of another endpoint) at a start */

void
ngx_http_swarm_events_stop(ngx_http_swarm_events_t *events)
{
    if (events->retry.timer_set) {
        ngx_del_timer(&events->retry);
    }

    ngx_http_swarm_curl_get_cancel(&events->get);

    events->connected = 0;
    events->failures = 0;
}


void
ngx_http_swarm_events_close(ngx_http_swarm_events_t *events)
{
    if (events->retry.timer_set) {
        ngx_del_timer(&events->retry);
    }

    ngx_http_swarm_curl_get_close(&events->get);
}
