
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What a refresh, in worker 0, says of each upstream: the services and
 * tasks the pure layer skipped, as it reports them.  Of an upstream of
 * swarm_service, the first of a refresh, which swarm_status shows and
 * the log has once a refresh; of a routes upstream, each (up to 100)
 * with its routes, as JSON beside them, logged once as it appears.  And
 * of a refresh that failed, what failed, for every upstream.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_notes.h"


/* what kept services or routes out of a routes upstream, listed at most */
#define NGX_HTTP_SWARM_ROUTE_ERRORS   100


struct ngx_http_swarm_notes_s {
    ngx_http_swarm_t           *swarm;
    ngx_log_t                  *log;
    ngx_http_swarm_report_t     report;

    /* of each upstream: its note, or NULL */
    char                      **notes;

    /*
     * of each routes upstream: what kept services or routes out of it
     * in this refresh and in the last (logged as they appear)
     */
    json_t                    **errors;
    json_t                    **logged;
};


static void ngx_http_swarm_notes_add(void *data, unsigned upstream,
    const char *service, const char *msg);
static void ngx_http_swarm_notes_log(ngx_http_swarm_notes_t *notes,
    ngx_uint_t i);


ngx_http_swarm_notes_t *
ngx_http_swarm_notes_create(ngx_http_swarm_t *swarm, ngx_pool_t *pool,
    ngx_log_t *log)
{
    ngx_uint_t               n;
    ngx_http_swarm_notes_t  *notes;

    n = swarm->upstreams.nelts;

    notes = ngx_pcalloc(pool, sizeof(ngx_http_swarm_notes_t));
    if (notes == NULL) {
        return NULL;
    }

    notes->swarm = swarm;
    notes->log = log;
    notes->report.handler = ngx_http_swarm_notes_add;
    notes->report.data = notes;

    notes->notes = ngx_pcalloc(pool, n * sizeof(char *));
    notes->errors = ngx_pcalloc(pool, n * sizeof(json_t *));
    notes->logged = ngx_pcalloc(pool, n * sizeof(json_t *));

    if (notes->notes == NULL || notes->errors == NULL
        || notes->logged == NULL)
    {
        return NULL;
    }

    return notes;
}


/* what the pure layer reports to */

ngx_http_swarm_report_t *
ngx_http_swarm_notes_report(ngx_http_swarm_notes_t *notes)
{
    return &notes->report;
}


/*
 * A service skipped for an upstream: the first of a refresh is shown;
 * of a routes upstream, each is listed with its routes.
 */

static void
ngx_http_swarm_notes_add(void *data, unsigned upstream, const char *service,
    const char *msg)
{
    ngx_http_swarm_notes_t *notes = data;

    size_t                       len;
    char                        *note;
    json_t                      *e;
    ngx_http_swarm_upstream_t  **upp;

    upp = notes->swarm->upstreams.elts;

    if (upp[upstream]->routes) {
        if (notes->errors[upstream] == NULL) {
            notes->errors[upstream] = json_array();
        }

        if (notes->errors[upstream] == NULL
            || json_array_size(notes->errors[upstream])
               >= NGX_HTTP_SWARM_ROUTE_ERRORS)
        {
            return;
        }

        e = json_pack("{s:o,s:o}",
                      "service", ngx_http_swarm_text_json(service,
                                                          ngx_strlen(service)),
                      "error", ngx_http_swarm_text_json(msg,
                                                        ngx_strlen(msg)));

        (void) json_array_append_new(notes->errors[upstream], e);

        return;
    }

    if (notes->notes[upstream]) {
        return;
    }

    len = ngx_strlen(service) + ngx_strlen(msg) + sizeof("service \"\": ");

    note = ngx_alloc(len, notes->log);
    if (note == NULL) {
        return;
    }

    ngx_snprintf((u_char *) note, len, "service \"%s\": %s%Z", service, msg);

    notes->notes[upstream] = note;
}


/* what kept services or routes out of routes upstream i, or NULL */

json_t *
ngx_http_swarm_notes_errors(ngx_http_swarm_notes_t *notes, ngx_uint_t i)
{
    return notes->errors[i];
}


/* upstream i's note, which its publication may replace */

char **
ngx_http_swarm_notes_note(ngx_http_swarm_notes_t *notes, ngx_uint_t i)
{
    return &notes->notes[i];
}


/*
 * Upstream i published (NGX_OK), unchanged (NGX_DECLINED) or kept for a
 * set that does not fit (NGX_ERROR): its problems, into the zone for
 * swarm_status, and into the log.  One left to a newer configuration
 * (NGX_ABORT) says nothing.
 */

void
ngx_http_swarm_notes_published(ngx_http_swarm_notes_t *notes, ngx_uint_t i,
    ngx_int_t rc)
{
    size_t                       len;
    char                        *note;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       text[NGX_HTTP_SWARM_ESC_LEN];

    if (rc == NGX_ABORT) {
        return;
    }

    upp = notes->swarm->upstreams.elts;

    if (upp[i]->routes) {
        ngx_http_swarm_notes_log(notes, i);
    }

    ngx_time_update();

    /* a set that does not fit: the error shows, the last sync stays */

    note = notes->notes[i];
    len = note ? ngx_strlen(note) : 0;

    if (ngx_http_swarm_zone_set_error(upp[i], len ? note : "", len,
                                      rc == NGX_ERROR ? 0 : ngx_time())
        == NGX_OK && len)
    {
        (void) ngx_http_swarm_text_escape(text, sizeof(text),
                                          (u_char *) note, len);

        ngx_log_error(NGX_LOG_ERR, notes->log, 0,
                      "swarm: upstream \"%V\": %s", &upp[i]->name, text);
    }
}


/* what keeps a service or route out, logged once as it appears */

static void
ngx_http_swarm_notes_log(ngx_http_swarm_notes_t *notes, ngx_uint_t i)
{
    size_t                       k, j;
    json_t                      *errors, *logged, *e;
    const char                  *s;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       msg[NGX_HTTP_SWARM_ESC_LEN];
    u_char                       service[NGX_HTTP_SWARM_ESC_LEN];

    upp = notes->swarm->upstreams.elts;
    errors = notes->errors[i];
    logged = notes->logged[i];

    json_array_foreach(errors, k, e) {

        for (j = 0; logged && j < json_array_size(logged); j++) {
            if (json_equal(e, json_array_get(logged, j))) {
                break;
            }
        }

        if (logged && j < json_array_size(logged)) {
            continue;
        }

        s = json_string_value(json_object_get(e, "service"));
        (void) ngx_http_swarm_text_escape(service, sizeof(service),
                                          (u_char *) s, ngx_strlen(s));

        s = json_string_value(json_object_get(e, "error"));
        (void) ngx_http_swarm_text_escape(msg, sizeof(msg), (u_char *) s,
                                          ngx_strlen(s));

        ngx_log_error(NGX_LOG_ERR, notes->log, 0,
                      "swarm: upstream \"%V\": service \"%s\": %s",
                      &upp[i]->name, service, msg);
    }

    json_decref(logged);
    notes->logged[i] = errors;
    notes->errors[i] = NULL;
}


/*
 * A refresh failed: what failed is each upstream's error, and the log's
 * once; of those that follow in a row, the debug log's.
 */

void
ngx_http_swarm_notes_failed(ngx_http_swarm_notes_t *notes, ngx_str_t *shown,
    const char *err, ngx_uint_t again)
{
    size_t                       len;
    ngx_uint_t                   i;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       text[NGX_HTTP_SWARM_ESC_LEN];

    upp = notes->swarm->upstreams.elts;
    len = ngx_strlen(err);

    /* what Docker said, with no line breaks to forge log lines with */

    (void) ngx_http_swarm_text_escape(text, sizeof(text), (u_char *) err,
                                      len);

    if (!again) {
        ngx_log_error(NGX_LOG_ERR, notes->log, 0,
                      "swarm: Docker API at %V failed: %s; "
                      "keeping the last task sets of all upstreams",
                      shown, text);

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, notes->log, 0,
                       "swarm: Docker API at %V failed again: %s",
                       shown, text);
    }

    for (i = 0; i < notes->swarm->upstreams.nelts; i++) {
        (void) ngx_http_swarm_zone_set_error(upp[i], err, len, 0);
    }
}


/* a refresh is over: its notes go, what was logged stays */

void
ngx_http_swarm_notes_clear(ngx_http_swarm_notes_t *notes)
{
    ngx_uint_t  i;

    for (i = 0; i < notes->swarm->upstreams.nelts; i++) {
        if (notes->notes[i]) {
            ngx_free(notes->notes[i]);
            notes->notes[i] = NULL;
        }

        json_decref(notes->errors[i]);
        notes->errors[i] = NULL;
    }
}


void
ngx_http_swarm_notes_free(ngx_http_swarm_notes_t *notes)
{
    ngx_uint_t  i;

    ngx_http_swarm_notes_clear(notes);

    for (i = 0; i < notes->swarm->upstreams.nelts; i++) {
        json_decref(notes->logged[i]);
        notes->logged[i] = NULL;
    }
}
