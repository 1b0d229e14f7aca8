
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Docker Engine API answers to task sets: which tasks of the services
 * matched (ngx_http_swarm_services.c) are peers and at what address (GET
 * /tasks), the answers read an element at a time
 * (ngx_http_swarm_array.c), kept from one refresh to the next by the
 * digest of their bytes so that an unchanged task is not parsed again.
 * Pure: jansson and libc only, no nginx, no I/O.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/*
 * What one task may hold: a real one is 1.4 to 4 KB of JSON with a few
 * network attachments.  A larger one is not parsed, so that no element
 * of an answer holds the worker long or takes much memory.
 */
#define NGX_HTTP_SWARM_TASK_MAX       65536


/* the networks the running tasks of a service are attached to */

typedef struct {
    const ngx_http_swarm_att_t  *first;
    const ngx_http_swarm_att_t  *second;
    size_t                       running;
} ngx_http_swarm_nets_t;


struct ngx_http_swarm_tasks_s {
    ngx_http_swarm_array_t     array;
    ngx_http_swarm_task_t    **tasks;
    size_t                     n;
    size_t                     cap;
    ngx_http_swarm_task_t    **byid;
    size_t                     nbyid;
    size_t                     idmask;
    ngx_http_swarm_task_t    **cache;
    size_t                     mask;
    size_t                     parsed;
    size_t                     reused;
    ngx_http_swarm_nets_t     *nets;
    size_t                     next;
    unsigned                   pass;
    unsigned char              key[16];

    /*
     * the records a reload's previous worker 0 left, as an image, and
     * the offsets of its records by digest (0: none, UINT32_MAX: taken)
     */
    const char                *image;
    size_t                     image_len;
    uint32_t                  *offsets;
    size_t                     omask;
};


static int ngx_http_swarm_task_state(json_t *task);
static int ngx_http_swarm_attachment_address(json_t *addrs,
    ngx_http_swarm_att_t *att);
static int ngx_http_swarm_task_record(json_t *task,
    ngx_http_swarm_task_t *rec);
static void ngx_http_swarm_task_oversized(ngx_http_swarm_task_t *rec,
    const char *elem);
static void ngx_http_swarm_task_field(char *dst, size_t size,
    const char *elem, const char *key);
static int ngx_http_swarm_network_match(const ngx_http_swarm_att_t *att,
    const char *network);
static void ngx_http_swarm_task_nets(ngx_http_swarm_task_t *rec,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_nets_t *nets);
static void ngx_http_swarm_service_network(ngx_http_swarm_service_t *s,
    ngx_http_swarm_nets_t *nets, ngx_http_swarm_report_t *report);
static void ngx_http_swarm_task_skipped(ngx_http_swarm_task_t *rec,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_report_t *report);
static int ngx_http_swarm_task_peers(ngx_http_swarm_report_t *report,
    ngx_http_swarm_task_t *rec,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets);
static int ngx_http_swarm_task_vip(ngx_http_swarm_report_t *report,
    ngx_http_swarm_task_t *rec, ngx_http_swarm_service_t *s,
    ngx_http_swarm_att_t *a, ngx_http_swarm_set_t *set);
static void ngx_http_swarm_tasks_uncache(ngx_http_swarm_tasks_t *t);
static int ngx_http_swarm_task_is(ngx_http_swarm_task_t *rec,
    const uint64_t *digest, size_t len);
static ngx_http_swarm_task_t *ngx_http_swarm_tasks_image(
    ngx_http_swarm_tasks_t *t, const uint64_t *digest, size_t len);
static void ngx_http_swarm_tasks_image_free(ngx_http_swarm_tasks_t *t);


/*
 * Seconds since 1970 of a time as Docker writes it, RFC 3339 in UTC or
 * with an offset ("2026-11-25T18:13:59.154823286Z"), or 0 for no time,
 * Docker's zero time, or one before 1970 or after 2105.
 */

uint32_t
ngx_http_swarm_tasks_time(const char *s)
{
    int       n, sign;
    long      y, m, d, hh, mm, ss, oh, om, era, yoe, doy, doe;
    int64_t   t;

    if (s == NULL) {
        return 0;
    }

    n = 0;

    if (sscanf(s, "%4ld-%2ld-%2ldT%2ld:%2ld:%2ld%n", &y, &m, &d, &hh, &mm,
               &ss, &n)
        != 6 || n != 19)
    {
        return 0;
    }

    if (m < 1 || m > 12 || d < 1 || d > 31 || hh > 23 || mm > 59
        || ss > 60 || y < 1970)
    {
        return 0;
    }

    s += n;

    if (*s == '.') {
        do { s++; } while (*s >= '0' && *s <= '9');
    }

    oh = 0;
    om = 0;
    sign = 0;

    if (*s == 'Z' && s[1] == '\0') {
        /* UTC */

    } else if ((*s == '+' || *s == '-')
               && sscanf(s + 1, "%2ld:%2ld%n", &oh, &om, &n) == 2
               && n == 5 && s[6] == '\0' && oh < 24 && om < 60)
    {
        sign = (*s == '+') ? 1 : -1;

    } else {
        return 0;
    }

    /* days since 1970-01-01 of the civil date, by eras of 400 years */

    y -= (m <= 2);
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    t = ((int64_t) era * 146097 + doe - 719468) * 86400
        + hh * 3600 + mm * 60 + ss - sign * (oh * 3600 + om * 60);

    if (t <= 0 || t > (int64_t) UINT32_MAX) {
        return 0;
    }

    return (uint32_t) t;
}


/*
 * A task is a peer while its container runs: active if Swarm wants it
 * running, draining if Swarm is stopping it.
 */

static int
ngx_http_swarm_task_state(json_t *task)
{
    const char  *state, *desired;

    state = ngx_http_swarm_text_json_string(json_object_get(task, "Status"),
                                            "State");
    desired = ngx_http_swarm_text_json_string(task, "DesiredState");

    if (state == NULL || desired == NULL || strcmp(state, "running") != 0) {
        return 0;
    }

    if (strcmp(desired, "running") == 0) {
        return NGX_HTTP_SWARM_ACTIVE;
    }

    if (strcmp(desired, "shutdown") == 0 || strcmp(desired, "remove") == 0) {
        return NGX_HTTP_SWARM_DRAINING;
    }

    return 0;
}


/* the first address of an attachment that parses, in canonical text */

static int
ngx_http_swarm_attachment_address(json_t *addrs, ngx_http_swarm_att_t *att)
{
    char         ip[NGX_HTTP_SWARM_IP_LEN + 4];
    size_t       j, len;
    json_t      *a;
    const char  *cidr, *slash;

    json_array_foreach(addrs, j, a) {
        cidr = json_string_value(a);
        if (cidr == NULL) {
            continue;
        }

        slash = strchr(cidr, '/');
        len = slash ? (size_t) (slash - cidr) : strlen(cidr);

        if (len == 0 || len >= sizeof(ip)) {
            continue;
        }

        memcpy(ip, cidr, len);
        ip[len] = '\0';

        if (inet_pton(AF_INET, ip, att->addr) == 1) {
            att->family = AF_INET;

        } else if (inet_pton(AF_INET6, ip, att->addr) == 1) {
            att->family = AF_INET6;

        } else {
            continue;
        }

        /* canonical text: the cookie value and the lookup key */

        if (inet_ntop(att->family, att->addr, att->ip, sizeof(att->ip))
            == NULL)
        {
            att->family = 0;
            continue;
        }

        return 0;
    }

    return -1;
}


/* what a peer needs of one task, taken out of jansson's tree */

static int
ngx_http_swarm_task_record(json_t *task, ngx_http_swarm_task_t *rec)
{
    size_t                 i;
    json_t                *atts, *att, *net, *spec;
    const char            *s;
    ngx_http_swarm_att_t  *a;

    s = ngx_http_swarm_text_json_string(task, "ID");
    if (s) {
        (void) ngx_http_swarm_text_copy(rec->tid, sizeof(rec->tid), s);
    }

    rec->state = (uint8_t) ngx_http_swarm_task_state(task);

    if (rec->state == 0) {
        return 0;
    }

    s = ngx_http_swarm_text_json_string(task, "ServiceID");
    if (s) {
        (void) ngx_http_swarm_text_copy(rec->sid, sizeof(rec->sid), s);
    }

    s = ngx_http_swarm_text_json_string(task, "NodeID");
    if (s) {
        (void) ngx_http_swarm_text_copy(rec->node, sizeof(rec->node), s);
    }

    rec->slot = (uint32_t) json_integer_value(json_object_get(task, "Slot"));

    rec->since = ngx_http_swarm_tasks_time(ngx_http_swarm_text_json_string(
                                 json_object_get(task, "Status"), "Timestamp"));

    atts = json_object_get(task, "NetworksAttachments");

    if (json_array_size(atts) == 0) {
        return 0;
    }

    if (json_array_size(atts) > NGX_HTTP_SWARM_ATT_MAX) {
        rec->state = 0;
        rec->why = ngx_http_swarm_too_many_atts;
        return 0;
    }

    rec->att = calloc(json_array_size(atts), sizeof(ngx_http_swarm_att_t));
    if (rec->att == NULL) {
        return -1;
    }

    json_array_foreach(atts, i, att) {
        a = &rec->att[rec->natt++];

        net = json_object_get(att, "Network");
        spec = json_object_get(net, "Spec");

        s = ngx_http_swarm_text_json_string(net, "ID");
        if (s) {
            (void) ngx_http_swarm_text_copy(a->id, sizeof(a->id), s);
        }

        s = ngx_http_swarm_text_json_string(spec, "Name");
        if (s) {
            a->named = 1;
            a->long_name = ngx_http_swarm_text_copy(a->name, sizeof(a->name),
                                                    s)
                           != 0;
        }

        a->ingress = json_is_true(json_object_get(spec, "Ingress"))
                     || (s && strcmp(s, "ingress") == 0);

        (void) ngx_http_swarm_attachment_address(
                                   json_object_get(att, "Addresses"), a);
    }

    return 0;
}


/*
 * A task too large to parse: only its service and ID, taken from its
 * bytes as Docker writes them ("ID" first, "ServiceID" after "Spec"),
 * to say which service it is in and which task is skipped.
 */

static void
ngx_http_swarm_task_oversized(ngx_http_swarm_task_t *rec, const char *elem)
{
    ngx_http_swarm_task_field(rec->tid, sizeof(rec->tid), elem, "\"ID\":\"");
    ngx_http_swarm_task_field(rec->sid, sizeof(rec->sid), elem,
                              "\"ServiceID\":\"");

    rec->state = 0;
    rec->why = "is over 64 KB of JSON";
}


/* a string field of an unparsed task, in its first 64 KB */

static void
ngx_http_swarm_task_field(char *dst, size_t size, const char *elem,
    const char *key)
{
    size_t       i, klen;
    const char  *p, *last;

    klen = strlen(key);
    last = elem + NGX_HTTP_SWARM_TASK_MAX - klen;

    for (p = elem; p < last; p++) {
        if (*p == '"' && memcmp(p, key, klen) == 0) {
            break;
        }
    }

    if (p >= last) {
        return;
    }

    p += klen;

    for (i = 0; i < size - 1 && p + i < last; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z'))) {
            break;
        }

        dst[i] = p[i];
    }

    if (p + i < last && p[i] == '"') {
        dst[i] = '\0';

    } else {
        dst[0] = '\0';
    }
}


static int
ngx_http_swarm_network_match(const ngx_http_swarm_att_t *att,
    const char *network)
{
    return (att->named && !att->long_name && strcmp(att->name, network) == 0)
           || (att->id[0] != '\0' && strcmp(att->id, network) == 0);
}


/*
 * The filters of a /tasks query for the services matched (sorted), from
 * the service *from on, at most "max" of them, or NULL; *from is moved
 * past them.  One query for all could outgrow a URL: a refresh asks as
 * many as it takes.  Swarm keeps the history of each slot (5 tasks by
 * default), all of them shut down: only the tasks it wants running are
 * asked for.  A task it is stopping leaves this list while its
 * container still runs; the tasks that were peers and are missing are
 * then asked by ID.  With "stopping", the tasks Swarm stops are asked
 * for too, history and all.
 */

json_t *
ngx_http_swarm_tasks_filters(const ngx_http_swarm_services_t *svcs,
    int stopping, size_t *from, size_t max)
{
    size_t   i, n;
    json_t  *list;

    list = json_array();
    n = 0;

    /* each service once, though several selectors may match it */

    for (i = *from; list && i < svcs->n && n < max; i++) {
        if (i > 0
            && strcmp(svcs->services[i].id, svcs->services[i - 1].id) == 0)
        {
            continue;
        }

        if (json_array_append_new(list, json_string(svcs->services[i].id))
            != 0)
        {
            json_decref(list);
            return NULL;
        }

        n++;
    }

    if (list == NULL) {
        return NULL;
    }

    /* the copies of the last service asked for, too */

    while (i < svcs->n
           && strcmp(svcs->services[i].id, svcs->services[i - 1].id) == 0)
    {
        i++;
    }

    *from = i;

    if (stopping) {
        return json_pack("{so s[sss]}", "service", list, "desired-state",
                         "running", "shutdown", "remove");
    }

    return json_pack("{so s[s]}", "service", list, "desired-state",
                     "running");
}


ngx_http_swarm_tasks_t *
ngx_http_swarm_tasks_create(void)
{
    return calloc(1, sizeof(ngx_http_swarm_tasks_t));
}


void
ngx_http_swarm_tasks_destroy(ngx_http_swarm_tasks_t *t)
{
    size_t  i;

    if (t == NULL) {
        return;
    }

    ngx_http_swarm_tasks_uncache(t);
    ngx_http_swarm_tasks_image_free(t);

    for (i = 0; i < t->n; i++) {
        ngx_http_swarm_record_free(t->tasks[i]);
    }

    free(t->tasks);
    free(t->byid);
    free(t->nets);
    free(t);
}


/* the records of the last answer not met again in this one go */

static void
ngx_http_swarm_tasks_uncache(ngx_http_swarm_tasks_t *t)
{
    size_t                  i;
    ngx_http_swarm_task_t  *rec, *same, *next;

    if (t->cache == NULL) {
        return;
    }

    for (i = 0; i <= t->mask; i++) {
        rec = t->cache[i];

        if (rec == NULL) {
            continue;
        }

        for (same = rec->same; same; same = next) {
            next = same->same;
            ngx_http_swarm_record_free(same);
        }

        if (!rec->used) {
            ngx_http_swarm_record_free(rec);
        }
    }

    free(t->cache);
    t->cache = NULL;
    t->mask = 0;
}


/*
 * A new refresh: the records of the last one (or those a reload's
 * previous worker left, ngx_http_swarm_tasks_load()) become a cache,
 * keyed by the digest of their element's bytes, so that an unchanged
 * task is not parsed again.  Most tasks are the same from one answer to
 * the next.
 */

void
ngx_http_swarm_tasks_begin(ngx_http_swarm_tasks_t *t)
{
    size_t                  i, j, size;
    ngx_http_swarm_task_t  *rec;

    ngx_http_swarm_tasks_uncache(t);

    ngx_http_swarm_array_init(&t->array, "", 0);
    t->parsed = 0;
    t->reused = 0;
    t->nbyid = 0;

    free(t->nets);
    t->nets = NULL;
    t->pass = 0;

    if (t->n == 0) {
        return;
    }

    size = ngx_http_swarm_table_size(t->n, 16);

    t->cache = calloc(size, sizeof(ngx_http_swarm_task_t *));

    if (t->cache == NULL) {

        /* no cache: everything is parsed again */

        for (i = 0; i < t->n; i++) {
            ngx_http_swarm_record_free(t->tasks[i]);
        }

        t->n = 0;
        return;
    }

    t->mask = size - 1;

    for (i = 0; i < t->n; i++) {
        rec = t->tasks[i];
        rec->used = 0;
        rec->same = NULL;

        for (j = rec->digest[0] & t->mask;
             t->cache[j];
             j = (j + 1) & t->mask)
        {
            if (ngx_http_swarm_task_is(t->cache[j], rec->digest, rec->len)) {
                break;
            }
        }

        /* the same bytes again: one entry, the others chained to it */

        if (t->cache[j]) {
            rec->same = t->cache[j]->same;
            t->cache[j]->same = rec;
            continue;
        }

        t->cache[j] = rec;
    }

    t->n = 0;
}


/* one more answer of the refresh: its tasks add to those read before */

void
ngx_http_swarm_tasks_feed(ngx_http_swarm_tasks_t *t, const char *buf,
    size_t len)
{
    ngx_http_swarm_array_init(&t->array, buf, len);
}


/*
 * Up to max tasks of the answer: 1 if more are left, 0 at the end, -1
 * on an error (err says which).
 */

int
ngx_http_swarm_tasks_read(ngx_http_swarm_tasks_t *t, size_t max, char *err,
    size_t errlen)
{
    int                      rc;
    size_t                   k, j, elen, cap;
    json_t                  *task;
    uint64_t                 digest[2];
    const char              *elem;
    ngx_http_swarm_task_t   *rec, *same, **p;

    for (k = 0; k < max; k++) {

        rc = ngx_http_swarm_array_next(&t->array, &elem, &elen, "tasks", err,
                                       errlen);
        if (rc == NGX_HTTP_SWARM_SCANNING) {
            return NGX_HTTP_SWARM_MORE;
        }

        if (rc != NGX_HTTP_SWARM_ELEMENT) {
            return rc;
        }

        if (t->n == t->cap) {
            cap = t->cap ? t->cap * 2 : 64;

            p = realloc(t->tasks, cap * sizeof(ngx_http_swarm_task_t *));
            if (p == NULL) {
                goto nomem;
            }

            t->tasks = p;
            t->cap = cap;
        }

        /* too large to parse, or to keep for the next refresh */

        if (elen > NGX_HTTP_SWARM_TASK_MAX) {
            rec = calloc(1, sizeof(ngx_http_swarm_task_t));
            if (rec == NULL) {
                goto nomem;
            }

            ngx_http_swarm_task_oversized(rec, elem);

            t->tasks[t->n++] = rec;
            t->parsed++;
            continue;
        }

        ngx_http_swarm_digest(t->key, elem, elen, digest);
        rec = NULL;

        if (t->cache) {
            for (j = digest[0] & t->mask; t->cache[j]; j = (j + 1) & t->mask)
            {
                if (ngx_http_swarm_task_is(t->cache[j], digest, elen)) {
                    rec = t->cache[j];
                    break;
                }
            }
        }

        if (rec && rec->used) {

            /* taken already: one with the same bytes, if any is left */

            same = rec->same;

            if (same) {
                rec->same = same->same;
                same->same = NULL;
            }

            rec = same;
        }

        if (rec == NULL && t->image) {
            rec = ngx_http_swarm_tasks_image(t, digest, elen);
        }

        if (rec) {
            rec->used = 1;
            t->tasks[t->n++] = rec;
            t->reused++;
            continue;
        }

        task = ngx_http_swarm_array_element(&t->array, elem, elen, "tasks", err,
                                      errlen);
        if (task == NULL) {
            return -1;
        }

        rec = calloc(1, sizeof(ngx_http_swarm_task_t));

        if (rec == NULL || ngx_http_swarm_task_record(task, rec) != 0) {
            json_decref(task);

            if (rec) {
                ngx_http_swarm_record_free(rec);
            }

            goto nomem;
        }

        json_decref(task);

        rec->digest[0] = digest[0];
        rec->digest[1] = digest[1];
        rec->len = elen;

        t->tasks[t->n++] = rec;
        t->parsed++;
    }

    return 1;

nomem:

    snprintf(err, errlen, "out of memory");

    return -1;
}


/* whether the answers read so far list a task, in whatever state */

int
ngx_http_swarm_tasks_known(ngx_http_swarm_tasks_t *t, const char *tid)
{
    size_t                   i, j, size, len;
    ngx_http_swarm_task_t   *rec, **p;

    if (t->n == 0) {
        return 0;
    }

    /* a table of the task IDs, made again when tasks were added */

    if (t->nbyid != t->n) {
        size = ngx_http_swarm_table_size(t->n, 16);

        p = realloc(t->byid, size * sizeof(*p));
        if (p == NULL) {
            return -1;
        }

        memset(p, 0, size * sizeof(*p));

        t->byid = p;
        t->idmask = size - 1;
        t->nbyid = t->n;

        for (i = 0; i < t->n; i++) {
            rec = t->tasks[i];

            if (rec->tid[0] == '\0') {
                continue;
            }

            len = strlen(rec->tid);

            for (j = ngx_http_swarm_hash(rec->tid, len) & t->idmask;
                 p[j];
                 j = (j + 1) & t->idmask)
            {
                /* void */
            }

            p[j] = rec;
        }
    }

    len = strlen(tid);

    for (j = ngx_http_swarm_hash(tid, len) & t->idmask;
         t->byid[j];
         j = (j + 1) & t->idmask)
    {
        if (strcmp(t->byid[j]->tid, tid) == 0) {
            return 1;
        }
    }

    return 0;
}


void
ngx_http_swarm_tasks_counts(ngx_http_swarm_tasks_t *t, size_t *parsed,
    size_t *reused)
{
    *parsed = t->parsed;
    *reused = t->reused;
}


/* the key of the digests: a process's own, or the one its records share */

void
ngx_http_swarm_tasks_key(ngx_http_swarm_tasks_t *t, const unsigned char *key)
{
    memcpy(t->key, key, sizeof(t->key));
}


/*
 * Up to max records of the last refresh from the record "from" on, as
 * a part of one image (ngx_http_swarm_records.c), its head with the
 * first: into buf if it fits, the part's length
 */

size_t
ngx_http_swarm_tasks_save(ngx_http_swarm_tasks_t *t, size_t from,
    size_t max, char *buf, size_t size)
{
    if (from >= t->n) {
        return 0;
    }

    return ngx_http_swarm_records_save(t->tasks + from,
                                       ngx_http_swarm_min(max, t->n - from),
                                       from == 0, buf, size);
}


/*
 * An image of records, digested under the same key, indexed by digest,
 * for the refresh to take what it finds in it in place of parsing,
 * until its sets are built (the caller keeps the image until then):
 * only while no tasks are known.  A record is read only when an element
 * of the answer is found there.  0, or -1 if the image is not one
 * whole, or no memory
 */

int
ngx_http_swarm_tasks_load(ngx_http_swarm_tasks_t *t, const char *buf,
    size_t len)
{
    size_t    first, off, next, rlen, n, k, j;
    uint64_t  digest[2];

    if (t->n || t->image || len > UINT32_MAX - 1) {
        return 0;
    }

    first = ngx_http_swarm_records_first(buf, len);
    if (first == 0) {
        return -1;
    }

    /* the records counted and checked, then indexed */

    for (n = 0, off = first; off < len; n++) {
        if (ngx_http_swarm_records_read(buf, len, &off, NULL, digest, &rlen)
            != 0)
        {
            return -1;
        }
    }

    t->omask = ngx_http_swarm_table_size(n, 16) - 1;
    t->offsets = calloc(t->omask + 1, sizeof(uint32_t));

    if (t->offsets == NULL) {
        return -1;
    }

    t->image = buf;
    t->image_len = len;

    for (k = 0, off = first; off < len; off = next) {
        next = off;

        /* the same records as counted, or the image is given up */

        if (++k > n
            || ngx_http_swarm_records_read(buf, len, &next, NULL, digest,
                                           &rlen)
               != 0)
        {
            ngx_http_swarm_tasks_image_free(t);
            return -1;
        }

        for (j = digest[0] & t->omask; t->offsets[j]; j = (j + 1) & t->omask)
        {
            /* void */
        }

        t->offsets[j] = (uint32_t) off;
    }

    return 0;
}


/* the record of the image with the digest and length given, read */

static ngx_http_swarm_task_t *
ngx_http_swarm_tasks_image(ngx_http_swarm_tasks_t *t, const uint64_t *digest,
    size_t len)
{
    size_t                  j, off, rlen;
    uint64_t                d[2];
    ngx_http_swarm_task_t  *rec;

    for (j = digest[0] & t->omask; t->offsets[j]; j = (j + 1) & t->omask) {
        off = t->offsets[j];

        if (off == UINT32_MAX
            || memcmp(t->image + off, digest, sizeof(d)) != 0)
        {
            continue;
        }

        rec = calloc(1, sizeof(ngx_http_swarm_task_t));
        if (rec == NULL) {
            return NULL;
        }

        if (ngx_http_swarm_records_read(t->image, t->image_len, &off, rec, d,
                                        &rlen)
            != 0
            || rlen != len)
        {
            ngx_http_swarm_record_free(rec);
            continue;
        }

        /* taken: an element alike finds the next one, or none */

        t->offsets[j] = UINT32_MAX;

        return rec;
    }

    return NULL;
}


static void
ngx_http_swarm_tasks_image_free(ngx_http_swarm_tasks_t *t)
{
    free(t->offsets);
    t->image = NULL;
    t->offsets = NULL;
    t->image_len = 0;
}


static int
ngx_http_swarm_task_is(ngx_http_swarm_task_t *rec, const uint64_t *digest,
    size_t len)
{
    return rec->digest[0] == digest[0] && rec->digest[1] == digest[1]
           && rec->len == len;
}





/*
 * The task sets of a read answer: the peers of each upstream, from the
 * tasks of its services that run, at their address on the service's
 * network; ngx_http_swarm_set_finish() then puts each in order.  Up to
 * max tasks a call: 1 if more are left, 0 once the sets are built, -1
 * on an error (err says which).
 */

int
ngx_http_swarm_tasks_sets(ngx_http_swarm_tasks_t *t,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets, ngx_http_swarm_report_t *report, size_t max, char *err,
    size_t errlen)
{
    size_t  i, end;

    switch (t->pass) {

    case 0:
        ngx_http_swarm_tasks_uncache(t);
        ngx_http_swarm_tasks_image_free(t);
        ngx_http_swarm_services_sort(svcs);

        free(t->nets);
        t->nets = NULL;

        if (svcs->n) {
            t->nets = calloc(svcs->n, sizeof(ngx_http_swarm_nets_t));
            if (t->nets == NULL) {
                goto nomem;
            }
        }

        t->pass = 1;
        t->next = 0;

        return 1;

    case 1:

        /* the networks of running tasks, where none is configured */

        end = ngx_http_swarm_min(t->n, t->next + max);

        for (i = t->next; i < end; i++) {
            ngx_http_swarm_task_nets(t->tasks[i], svcs, t->nets);
        }

        t->next = end;

        if (end < t->n) {
            return 1;
        }

        for (i = 0; i < svcs->n; i++) {
            ngx_http_swarm_service_network(&svcs->services[i], &t->nets[i],
                                           report);
        }

        free(t->nets);
        t->nets = NULL;

        t->pass = 2;
        t->next = 0;

        return 1;

    default: /* 2 */

        /* the peers */

        end = ngx_http_swarm_min(t->n, t->next + max);

        for (i = t->next; i < end; i++) {
            if (t->tasks[i]->why) {
                ngx_http_swarm_task_skipped(t->tasks[i], svcs, report);
                continue;
            }

            if (ngx_http_swarm_task_peers(report, t->tasks[i], svcs, sets,
                                          nsets)
                != 0)
            {
                goto nomem;
            }
        }

        t->next = end;

        if (end < t->n) {
            return 1;
        }

        t->pass = 0;

        return 0;
    }

nomem:

    free(t->nets);
    t->nets = NULL;
    t->pass = 0;

    snprintf(err, errlen, "out of memory");

    return -1;
}


/* the networks the task is attached to, for its services without one */

static void
ngx_http_swarm_task_nets(ngx_http_swarm_task_t *rec,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_nets_t *nets)
{
    size_t                     j, k, n;
    ngx_http_swarm_att_t      *a;
    ngx_http_swarm_nets_t     *nt;
    ngx_http_swarm_service_t  *s;

    if (rec->state == 0 || rec->sid[0] == '\0') {
        return;
    }

    s = ngx_http_swarm_services_find(svcs, rec->sid, &n);
    if (s == NULL) {
        return;
    }

    for (k = 0; k < n; k++) {
        if (s[k].network[0] != '\0') {
            continue;
        }

        nt = &nets[s - svcs->services + k];
        nt->running++;

        for (j = 0; j < rec->natt; j++) {
            a = &rec->att[j];

            if (a->ingress || !a->named) {
                continue;
            }

            if (nt->first == NULL) {
                nt->first = a;

            } else if (strcmp(nt->first->name, a->name) != 0) {
                nt->second = a;
            }
        }
    }
}


/* a service without a configured network: the one its tasks are on */

static void
ngx_http_swarm_service_network(ngx_http_swarm_service_t *s,
    ngx_http_swarm_nets_t *nets, ngx_http_swarm_report_t *report)
{
    if (s->network[0] != '\0' || nets->running == 0) {
        return;
    }

    if (nets->first == NULL) {
        ngx_http_swarm_text_report(report, s->upstream, s->name,
                                   "running tasks are attached to no network "
                                   "but ingress: attach the service to an "
                                   "overlay network or set network=, skipped");
        s->skip = 1;
        return;
    }

    if (nets->second) {
        ngx_http_swarm_text_report(report, s->upstream, s->name,
                                   "tasks are attached to several networks "
                                   "(%s, %s): set network= or the service "
                                   "label " NGX_HTTP_SWARM_NETWORK_LABEL
                                   ", skipped",
                                   nets->first->name, nets->second->name);
        s->skip = 1;
        return;
    }

    if (nets->first->long_name || (nets->second && nets->second->long_name))
    {
        ngx_http_swarm_text_report(report, s->upstream, s->name,
                                   "the name of the network its tasks are "
                                   "attached to is over %d bytes, skipped",
                                   NGX_HTTP_SWARM_NAME_LEN - 1);
        s->skip = 1;
        return;
    }

    memcpy(s->network, nets->first->name, sizeof(s->network));
}


/* a task that is no peer for what it holds: said to its upstreams */

static void
ngx_http_swarm_task_skipped(ngx_http_swarm_task_t *rec,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_report_t *report)
{
    size_t                     k, n;
    ngx_http_swarm_service_t  *s;

    s = ngx_http_swarm_services_find(svcs, rec->sid, &n);
    if (s == NULL) {
        return;
    }

    for (k = 0; k < n; k++) {
        ngx_http_swarm_text_report(report, s[k].upstream, s[k].name,
                                   "task %s %s, skipped",
                                   rec->tid[0] ? rec->tid : "(no ID)",
                                   rec->why);
    }
}


/* the task as a peer of each upstream one of its services is in */

static int
ngx_http_swarm_task_peers(ngx_http_swarm_report_t *report,
    ngx_http_swarm_task_t *rec, ngx_http_swarm_services_t *svcs,
    ngx_http_swarm_set_t *sets, size_t nsets)
{
    size_t                     j, k, n;
    const char                *why;
    ngx_http_swarm_att_t      *a;
    ngx_http_swarm_peer_t     *peer;
    ngx_http_swarm_service_t  *s;

    if (rec->state == 0 || rec->sid[0] == '\0' || rec->tid[0] == '\0') {
        return 0;
    }

    s = ngx_http_swarm_services_find(svcs, rec->sid, &n);
    if (s == NULL) {
        return 0;
    }

    for (k = 0; k < n; k++) {
        if (s[k].skip || s[k].network[0] == '\0' || s[k].upstream >= nsets) {
            continue;
        }

        for (j = 0; j < rec->natt; j++) {
            a = &rec->att[j];

            if (a->family && ngx_http_swarm_network_match(a, s[k].network)) {
                break;
            }
        }

        if (j == rec->natt) {
            continue;
        }

        if (s[k].lbswarm) {
            if (ngx_http_swarm_task_vip(report, rec, &s[k], a,
                                        &sets[s[k].upstream])
                != 0)
            {
                return -1;
            }

            continue;
        }

        /* what no task may make us connect to */

        why = ngx_http_swarm_set_address_refused(a->family, a->addr);

        if (why) {
            ngx_http_swarm_text_report(report, s[k].upstream, s[k].name,
                                       "task %s has the address %s (%s), never "
                                       "used, skipped", rec->tid, a->ip, why);
            continue;
        }

        peer = ngx_http_swarm_set_push(&sets[s[k].upstream]);
        if (peer == NULL) {
            return -1;
        }

        memset(peer, 0, sizeof(ngx_http_swarm_peer_t));

        memcpy(peer->ip, a->ip, sizeof(peer->ip));
        memcpy(peer->addr, a->addr, sizeof(peer->addr));
        peer->family = a->family;
        memcpy(peer->task, rec->tid, sizeof(peer->task));
        memcpy(peer->node, rec->node, sizeof(peer->node));
        memcpy(peer->service, s[k].name, sizeof(peer->service));
        peer->slot = rec->slot;
        peer->since = rec->since;
        peer->port = (uint16_t) s[k].port;
        peer->state = rec->state;
        peer->route = (uint16_t) s[k].route;
    }

    return 0;
}


/*
 * Traefik's lbswarm: the service's virtual IP on the network of its
 * running task's attachment, its one peer, placed once
 */

static int
ngx_http_swarm_task_vip(ngx_http_swarm_report_t *report,
    ngx_http_swarm_task_t *rec, ngx_http_swarm_service_t *s,
    ngx_http_swarm_att_t *a, ngx_http_swarm_set_t *set)
{
    size_t                  i;
    uint8_t                 addr[16];
    uint8_t                 family;
    const char             *why;
    ngx_http_swarm_peer_t  *peer;

    if (s->placed || rec->state != NGX_HTTP_SWARM_ACTIVE) {
        return 0;
    }

    for (i = 0; i < s->nvips; i++) {
        if (strcmp(s->vips[i].network, a->id) == 0) {
            break;
        }
    }

    if (i == s->nvips) {
        return 0;
    }

    s->placed = 1;

    if (inet_pton(AF_INET, s->vips[i].ip, addr) == 1) {
        family = AF_INET;

    } else if (inet_pton(AF_INET6, s->vips[i].ip, addr) == 1) {
        family = AF_INET6;

    } else {
        return 0;
    }

    why = ngx_http_swarm_set_address_refused(family, addr);

    if (why) {
        ngx_http_swarm_text_report(report, s->upstream, s->name,
                                   "virtual IP %s (%s), never used, skipped",
                                   s->vips[i].ip, why);
        return 0;
    }

    peer = ngx_http_swarm_set_push(set);
    if (peer == NULL) {
        return -1;
    }

    memset(peer, 0, sizeof(ngx_http_swarm_peer_t));

    if (inet_ntop(family, addr, peer->ip, sizeof(peer->ip)) == NULL) {
        set->n--;
        return 0;
    }

    memcpy(peer->addr, addr, sizeof(peer->addr));
    peer->family = family;

    /* no task: the service stands for its tasks */

    (void) ngx_http_swarm_text_copy(peer->task, sizeof(peer->task), s->id);
    memcpy(peer->service, s->name, sizeof(peer->service));
    peer->since = rec->since;
    peer->port = (uint16_t) s->port;
    peer->state = NGX_HTTP_SWARM_ACTIVE;
    peer->route = (uint16_t) s->route;

    return 0;
}


int
ngx_http_swarm_tasks_parse(const char *buf, size_t len,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets, ngx_http_swarm_report_t *report, char *err, size_t errlen)
{
    int                      rc;
    size_t                   i;
    ngx_http_swarm_tasks_t  *t;

    t = ngx_http_swarm_tasks_create();
    if (t == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    ngx_http_swarm_tasks_begin(t);
    ngx_http_swarm_tasks_feed(t, buf, len);

    do {
        rc = ngx_http_swarm_tasks_read(t, 64, err, errlen);
    } while (rc == 1);

    if (rc == 0) {
        do {
            rc = ngx_http_swarm_tasks_sets(t, svcs, sets, nsets, report, 64,
                                           err, errlen);
        } while (rc == 1);
    }

    for (i = 0; rc == 0 && i < nsets; i++) {
        ngx_http_swarm_set_finish(&sets[i], (unsigned) i, report);
    }

    ngx_http_swarm_tasks_destroy(t);

    return rc;
}

