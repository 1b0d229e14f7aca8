
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The services a selector matches, from GET /services: each with the
 * port and network its labels or the selector give, or skipped with a
 * report of why; then sorted by ID for the tasks to find them.  Pure:
 * jansson and libc only, no nginx, no I/O.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/* a service's spec may hold many labels and variables, not megabytes */
#define NGX_HTTP_SWARM_SERVICE_MAX    262144


static int ngx_http_swarm_service_add(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    const char *network, unsigned port, ngx_http_swarm_report_t *report);
static int ngx_http_swarm_service_cmp(const void *a, const void *b);
static int ngx_http_swarm_service_id_cmp(const void *key, const void *elt);


/* the filters of the /services query for a selector, or NULL */

json_t *
ngx_http_swarm_services_filters(const ngx_http_swarm_selector_t *sel)
{
    json_t  *list;

    if (sel->label_key) {
        list = json_pack("[s++]", sel->label_key, "=", sel->label_value);
        return json_pack("{so}", "label", list);
    }

    return json_pack("{s[s]}", "name", sel->name);
}


int
ngx_http_swarm_parse_services(const char *buf, size_t len,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, char *err, size_t errlen)
{
    int                     rc;
    ngx_http_swarm_array_t  a;

    ngx_http_swarm_array_init(&a, buf, len);

    do {
        rc = ngx_http_swarm_services_read(&a, sel, out, report, 64, err,
                                          errlen);
    } while (rc == 1);

    return rc;
}


/*
 * Up to max services of the answer: 1 if more are left, 0 at the end,
 * -1 on an error (err says which).
 */

int
ngx_http_swarm_services_read(ngx_http_swarm_array_t *a,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, size_t max, char *err, size_t errlen)
{
    int          rc;
    char        *end;
    long         port;
    size_t       k, elen;
    json_t      *svc, *spec, *labels;
    const char  *id, *name, *value, *elem;

    for (k = 0; k < max; k++) {

        rc = ngx_http_swarm_array_next(a, &elem, &elen, "services", err,
                                       errlen);
        if (rc == NGX_HTTP_SWARM_SCANNING) {
            return NGX_HTTP_SWARM_MORE;
        }

        if (rc != NGX_HTTP_SWARM_ELEMENT) {
            return rc;
        }

        if (elen > NGX_HTTP_SWARM_SERVICE_MAX) {
            ngx_http_swarm_report(report, sel->upstream, "(not parsed)",
                                  "a service of %zu bytes of JSON, over "
                                  "the 256 KB one may take, skipped", elen);
            continue;
        }

        svc = ngx_http_swarm_array_element(a, elem, elen, "services", err,
                                           errlen);
        if (svc == NULL) {
            return -1;
        }

        id = ngx_http_swarm_json_string(svc, "ID");
        spec = json_object_get(svc, "Spec");
        name = ngx_http_swarm_json_string(spec, "Name");
        labels = json_object_get(spec, "Labels");

        if (id == NULL || name == NULL) {
            json_decref(svc);
            continue;
        }

        if (sel->label_key) {
            value = ngx_http_swarm_json_string(labels, sel->label_key);

            if (value == NULL || strcmp(value, sel->label_value) != 0) {
                json_decref(svc);
                continue;
            }

        } else if (sel->name == NULL || strcmp(name, sel->name) != 0) {
            json_decref(svc);
            continue;
        }

        if (sel->port) {
            port = sel->port;

        } else {
            value = ngx_http_swarm_json_string(labels,
                                               NGX_HTTP_SWARM_PORT_LABEL);

            if (value == NULL) {
                ngx_http_swarm_report(report, sel->upstream, name,
                                      "no port: set port= or the service "
                                      "label " NGX_HTTP_SWARM_PORT_LABEL
                                      ", skipped");
                json_decref(svc);
                continue;
            }

            port = strtol(value, &end, 10);

            if (*value < '0' || *value > '9' || *end != '\0'
                || port < 1 || port > 65535)
            {
                ngx_http_swarm_report(report, sel->upstream, name,
                                      "invalid " NGX_HTTP_SWARM_PORT_LABEL
                                      " label \"%.*s\", skipped",
                                      (int) (strlen(value) > 32
                                             ? ngx_http_swarm_utf8_cut(
                                                   (unsigned char *) value, 32)
                                             : strlen(value)),
                                      value);
                json_decref(svc);
                continue;
            }
        }

        value = sel->network;

        if (value == NULL) {
            value = ngx_http_swarm_json_string(labels,
                                               NGX_HTTP_SWARM_NETWORK_LABEL);
        }

        rc = ngx_http_swarm_service_add(out, sel, id, name, value,
                                        (unsigned) port, report);

        json_decref(svc);

        if (rc != 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }

    return 1;
}


static int
ngx_http_swarm_service_add(ngx_http_swarm_services_t *out,
    const ngx_http_swarm_selector_t *sel, const char *id, const char *name,
    const char *network, unsigned port, ngx_http_swarm_report_t *report)
{
    ngx_http_swarm_service_t  *s, *p;

    if (out->n == out->cap) {
        p = realloc(out->services, (out->cap ? out->cap * 2 : 8) * sizeof(*p));
        if (p == NULL) {
            return -1;
        }

        out->services = p;
        out->cap = out->cap ? out->cap * 2 : 8;
    }

    s = &out->services[out->n];
    memset(s, 0, sizeof(*s));
    s->upstream = sel->upstream;
    s->port = port;

    if (ngx_http_swarm_strcopy(s->id, sizeof(s->id), id) != 0
        || ngx_http_swarm_strcopy(s->name, sizeof(s->name), name) != 0)
    {
        ngx_http_swarm_report(report, sel->upstream, name,
                              "service ID or name too long, skipped");
        return 0;
    }

    if (network && ngx_http_swarm_strcopy(s->network, sizeof(s->network),
                                          network)
                   != 0)
    {
        ngx_http_swarm_report(report, sel->upstream, name,
                              "network name too long, skipped");
        return 0;
    }

    out->n++;

    return 0;
}


/* by ID: a service selected for several upstreams comes as a run */

void
ngx_http_swarm_services_sort(ngx_http_swarm_services_t *svcs)
{
    if (svcs->n > 1) {
        qsort(svcs->services, svcs->n, sizeof(ngx_http_swarm_service_t),
              ngx_http_swarm_service_cmp);
    }
}


void
ngx_http_swarm_services_free(ngx_http_swarm_services_t *svcs)
{
    free(svcs->services);
    svcs->services = NULL;
    svcs->n = 0;
    svcs->cap = 0;
}


static int
ngx_http_swarm_service_cmp(const void *a, const void *b)
{
    const ngx_http_swarm_service_t  *sa = a, *sb = b;

    return strcmp(sa->id, sb->id);
}


static int
ngx_http_swarm_service_id_cmp(const void *key, const void *elt)
{
    const ngx_http_swarm_service_t  *s = elt;

    return strcmp(key, s->id);
}


/* the run of entries for one service ID: it may serve several upstreams */

ngx_http_swarm_service_t *
ngx_http_swarm_services_find(ngx_http_swarm_services_t *svcs, const char *id,
    size_t *n)
{
    ngx_http_swarm_service_t  *s, *first, *last, *end;

    s = bsearch(id, svcs->services, svcs->n, sizeof(*s),
                ngx_http_swarm_service_id_cmp);
    if (s == NULL) {
        return NULL;
    }

    first = s;
    while (first > svcs->services && strcmp((first - 1)->id, id) == 0) {
        first--;
    }

    last = s;
    end = svcs->services + svcs->n;
    while (last + 1 < end && strcmp((last + 1)->id, id) == 0) {
        last++;
    }

    *n = last - first + 1;

    return first;
}
