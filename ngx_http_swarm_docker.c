
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Docker Engine API answers to task sets: which services a selector
 * matches (GET /services), which of their tasks are peers and at what
 * address (GET /tasks), and how two task sets differ.  Pure: jansson
 * and libc only, no nginx, no I/O.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_PORT_LABEL     "swarm.port"
#define NGX_HTTP_SWARM_NETWORK_LABEL  "swarm.network"


typedef struct {
    const char                *first;
    const char                *second;
} ngx_http_swarm_nets_t;


static void ngx_http_swarm_report(ngx_http_swarm_report_t *report,
    unsigned upstream, const char *service, const char *fmt, ...);
static int ngx_http_swarm_copy(char *dst, size_t size, const char *src);
static const char *ngx_http_swarm_string(json_t *obj, const char *key);
static int ngx_http_swarm_service_cmp(const void *a, const void *b);
static int ngx_http_swarm_service_id_cmp(const void *key, const void *elt);
static ngx_http_swarm_service_t *ngx_http_swarm_services_find(
    ngx_http_swarm_services_t *svcs, const char *id, size_t *n);
static int ngx_http_swarm_peer_cmp(const void *a, const void *b);
static int ngx_http_swarm_task_state(json_t *task);
static int ngx_http_swarm_task_address(json_t *task,
    const char *network, ngx_http_swarm_peer_t *peer);
static int ngx_http_swarm_network_match(json_t *attachment,
    const char *network);
static int ngx_http_swarm_ingress(json_t *attachment);


static void
ngx_http_swarm_report(ngx_http_swarm_report_t *report, unsigned upstream,
    const char *service, const char *fmt, ...)
{
    char     msg[NGX_HTTP_SWARM_ERR_LEN];
    va_list  args;

    if (report == NULL || report->handler == NULL) {
        return;
    }

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    report->handler(report->data, upstream, service, msg);
}


static int
ngx_http_swarm_copy(char *dst, size_t size, const char *src)
{
    size_t  len;

    len = strlen(src);

    if (len >= size) {
        return -1;
    }

    memcpy(dst, src, len + 1);

    return 0;
}


static const char *
ngx_http_swarm_string(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}


int
ngx_http_swarm_parse_services(const char *buf, size_t len,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, char *err, size_t errlen)
{
    char                      *end;
    long                       port;
    size_t                     i;
    json_t                    *root, *svc, *spec, *labels;
    const char                *id, *name, *value;
    json_error_t               jerr;
    ngx_http_swarm_service_t  *s, *p;

    root = json_loadb(buf, len, 0, &jerr);

    if (root == NULL) {
        snprintf(err, errlen, "invalid JSON in services: %s at offset %d",
                 jerr.text, jerr.position);
        return -1;
    }

    if (!json_is_array(root)) {
        snprintf(err, errlen, "services answer is not a JSON array");
        json_decref(root);
        return -1;
    }

    json_array_foreach(root, i, svc) {

        id = ngx_http_swarm_string(svc, "ID");
        spec = json_object_get(svc, "Spec");
        name = ngx_http_swarm_string(spec, "Name");

        if (id == NULL || name == NULL) {
            continue;
        }

        labels = json_object_get(spec, "Labels");

        if (sel->label_key) {
            value = ngx_http_swarm_string(labels, sel->label_key);

            if (value == NULL || strcmp(value, sel->label_value) != 0) {
                continue;
            }

        } else if (sel->name == NULL || strcmp(name, sel->name) != 0) {
            continue;
        }

        if (out->n == out->cap) {
            p = realloc(out->services,
                        (out->cap ? out->cap * 2 : 8) * sizeof(*p));
            if (p == NULL) {
                snprintf(err, errlen, "out of memory");
                json_decref(root);
                return -1;
            }

            out->services = p;
            out->cap = out->cap ? out->cap * 2 : 8;
        }

        s = &out->services[out->n];
        memset(s, 0, sizeof(*s));
        s->upstream = sel->upstream;

        if (ngx_http_swarm_copy(s->id, sizeof(s->id), id) != 0
            || ngx_http_swarm_copy(s->name, sizeof(s->name), name) != 0)
        {
            ngx_http_swarm_report(report, sel->upstream, name,
                                  "service ID or name too long, skipped");
            continue;
        }

        if (sel->port) {
            s->port = sel->port;

        } else {
            value = ngx_http_swarm_string(labels, NGX_HTTP_SWARM_PORT_LABEL);

            if (value == NULL) {
                ngx_http_swarm_report(report, sel->upstream, name,
                                      "no port: set port= or the service "
                                      "label " NGX_HTTP_SWARM_PORT_LABEL
                                      ", skipped");
                continue;
            }

            port = strtol(value, &end, 10);

            if (*value < '0' || *value > '9' || *end != '\0'
                || port < 1 || port > 65535)
            {
                ngx_http_swarm_report(report, sel->upstream, name,
                                      "invalid " NGX_HTTP_SWARM_PORT_LABEL
                                      " label \"%.32s\", skipped", value);
                continue;
            }

            s->port = (unsigned) port;
        }

        value = sel->network;

        if (value == NULL) {
            value = ngx_http_swarm_string(labels,
                                          NGX_HTTP_SWARM_NETWORK_LABEL);
        }

        if (value && ngx_http_swarm_copy(s->network, sizeof(s->network),
                                         value)
                     != 0)
        {
            ngx_http_swarm_report(report, sel->upstream, name,
                                  "network name too long, skipped");
            continue;
        }

        out->n++;
    }

    json_decref(root);

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

static ngx_http_swarm_service_t *
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


/*
 * A task is a peer while its container runs: active if Swarm wants it
 * running, draining if Swarm is stopping it.
 */

static int
ngx_http_swarm_task_state(json_t *task)
{
    const char  *state, *desired;

    state = ngx_http_swarm_string(json_object_get(task, "Status"), "State");
    desired = ngx_http_swarm_string(task, "DesiredState");

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


static int
ngx_http_swarm_ingress(json_t *attachment)
{
    json_t      *net, *spec;
    const char  *name;

    net = json_object_get(attachment, "Network");
    spec = json_object_get(net, "Spec");

    if (json_is_true(json_object_get(spec, "Ingress"))) {
        return 1;
    }

    name = ngx_http_swarm_string(spec, "Name");

    return name != NULL && strcmp(name, "ingress") == 0;
}


static int
ngx_http_swarm_network_match(json_t *attachment, const char *network)
{
    json_t      *net;
    const char  *name, *id;

    net = json_object_get(attachment, "Network");
    name = ngx_http_swarm_string(json_object_get(net, "Spec"), "Name");
    id = ngx_http_swarm_string(net, "ID");

    return (name != NULL && strcmp(name, network) == 0)
           || (id != NULL && strcmp(id, network) == 0);
}


static int
ngx_http_swarm_task_address(json_t *task, const char *network,
    ngx_http_swarm_peer_t *peer)
{
    char         ip[NGX_HTTP_SWARM_IP_LEN + 4];
    size_t       i, j, len;
    json_t      *att, *addrs, *a;
    const char  *cidr, *slash;

    json_array_foreach(json_object_get(task, "NetworksAttachments"), i, att) {

        if (!ngx_http_swarm_network_match(att, network)) {
            continue;
        }

        addrs = json_object_get(att, "Addresses");

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

            if (inet_pton(AF_INET, ip, peer->addr) == 1) {
                peer->family = AF_INET;

            } else if (inet_pton(AF_INET6, ip, peer->addr) == 1) {
                peer->family = AF_INET6;

            } else {
                continue;
            }

            /* canonical text: the cookie value and the lookup key */

            if (inet_ntop(peer->family, peer->addr, peer->ip,
                          sizeof(peer->ip))
                == NULL)
            {
                continue;
            }

            return 0;
        }
    }

    return -1;
}


int
ngx_http_swarm_parse_tasks(const char *buf, size_t len,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets, ngx_http_swarm_report_t *report, char *err, size_t errlen)
{
    int                        state, rc;
    size_t                     i, j, k, n;
    json_t                    *root, *task, *att;
    const char                *sid, *name, *tid, *node;
    json_error_t               jerr;
    ngx_http_swarm_nets_t     *nets;
    ngx_http_swarm_peer_t      peer;
    ngx_http_swarm_service_t  *s;

    root = json_loadb(buf, len, 0, &jerr);

    if (root == NULL) {
        snprintf(err, errlen, "invalid JSON in tasks: %s at offset %d",
                 jerr.text, jerr.position);
        return -1;
    }

    if (!json_is_array(root)) {
        snprintf(err, errlen, "tasks answer is not a JSON array");
        json_decref(root);
        return -1;
    }

    rc = -1;
    nets = NULL;

    ngx_http_swarm_services_sort(svcs);

    if (svcs->n) {
        nets = calloc(svcs->n, sizeof(ngx_http_swarm_nets_t));
        if (nets == NULL) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }

    /* pass 1: the networks of running tasks, where none is configured */

    json_array_foreach(root, i, task) {

        sid = ngx_http_swarm_string(task, "ServiceID");

        if (sid == NULL || ngx_http_swarm_task_state(task) == 0) {
            continue;
        }

        s = ngx_http_swarm_services_find(svcs, sid, &n);
        if (s == NULL) {
            continue;
        }

        for (k = 0; k < n; k++) {
            if (s[k].network[0] != '\0') {
                continue;
            }

            json_array_foreach(json_object_get(task, "NetworksAttachments"),
                               j, att)
            {
                if (ngx_http_swarm_ingress(att)) {
                    continue;
                }

                name = ngx_http_swarm_string(
                           json_object_get(json_object_get(att, "Network"),
                                           "Spec"),
                           "Name");
                if (name == NULL) {
                    continue;
                }

                if (nets[s - svcs->services + k].first == NULL) {
                    nets[s - svcs->services + k].first = name;

                } else if (strcmp(nets[s - svcs->services + k].first, name)
                           != 0)
                {
                    nets[s - svcs->services + k].second = name;
                }
            }
        }
    }

    for (i = 0; i < svcs->n; i++) {
        s = &svcs->services[i];

        if (s->network[0] != '\0' || nets[i].first == NULL) {
            continue;
        }

        if (nets[i].second) {
            ngx_http_swarm_report(report, s->upstream, s->name,
                                  "tasks are attached to several networks "
                                  "(%s, %s): set network= or the service "
                                  "label " NGX_HTTP_SWARM_NETWORK_LABEL
                                  ", skipped",
                                  nets[i].first, nets[i].second);
            s->skip = 1;
            continue;
        }

        if (ngx_http_swarm_copy(s->network, sizeof(s->network),
                                nets[i].first)
            != 0)
        {
            s->skip = 1;
        }
    }

    /* pass 2: peers */

    json_array_foreach(root, i, task) {

        sid = ngx_http_swarm_string(task, "ServiceID");

        if (sid == NULL) {
            continue;
        }

        state = ngx_http_swarm_task_state(task);
        if (state == 0) {
            continue;
        }

        s = ngx_http_swarm_services_find(svcs, sid, &n);
        if (s == NULL) {
            continue;
        }

        tid = ngx_http_swarm_string(task, "ID");
        node = ngx_http_swarm_string(task, "NodeID");

        for (k = 0; k < n; k++) {
            if (s[k].skip || s[k].network[0] == '\0'
                || s[k].upstream >= nsets)
            {
                continue;
            }

            memset(&peer, 0, sizeof(peer));

            if (ngx_http_swarm_task_address(task, s[k].network, &peer) != 0) {
                continue;
            }

            if (tid == NULL
                || ngx_http_swarm_copy(peer.task, sizeof(peer.task), tid)
                   != 0)
            {
                continue;
            }

            if (node) {
                (void) ngx_http_swarm_copy(peer.node, sizeof(peer.node), node);
            }

            (void) ngx_http_swarm_copy(peer.service, sizeof(peer.service),
                                       s[k].name);

            peer.slot = (uint32_t) json_integer_value(
                                       json_object_get(task, "Slot"));
            peer.port = (uint16_t) s[k].port;
            peer.state = (uint8_t) state;

            if (ngx_http_swarm_set_add(&sets[s[k].upstream], &peer) != 0) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
        }
    }

    /* canonical order; the cookie names an IP, so one task per IP */

    for (i = 0; i < nsets; i++) {
        ngx_http_swarm_set_sort(&sets[i]);

        for (j = 0, k = 0; j < sets[i].n; j++) {
            if (k > 0
                && strcmp(sets[i].peers[k - 1].ip, sets[i].peers[j].ip) == 0)
            {
                ngx_http_swarm_report(report, (unsigned) i,
                                      sets[i].peers[j].service,
                                      "task %s has the address %s of task "
                                      "%s, ignored", sets[i].peers[j].task,
                                      sets[i].peers[j].ip,
                                      sets[i].peers[k - 1].task);
                continue;
            }

            sets[i].peers[k++] = sets[i].peers[j];
        }

        sets[i].n = k;
    }

    rc = 0;

done:

    free(nets);
    json_decref(root);

    return rc;
}


int
ngx_http_swarm_set_add(ngx_http_swarm_set_t *set,
    const ngx_http_swarm_peer_t *peer)
{
    size_t                  cap;
    ngx_http_swarm_peer_t  *p;

    if (set->n == set->cap) {
        cap = set->cap ? set->cap * 2 : 8;

        p = realloc(set->peers, cap * sizeof(ngx_http_swarm_peer_t));
        if (p == NULL) {
            return -1;
        }

        set->peers = p;
        set->cap = cap;
    }

    set->peers[set->n++] = *peer;

    return 0;
}


static int
ngx_http_swarm_peer_cmp(const void *a, const void *b)
{
    int                           rc;
    const ngx_http_swarm_peer_t  *pa = a, *pb = b;

    if (pa->family != pb->family) {
        return pa->family < pb->family ? -1 : 1;
    }

    rc = memcmp(pa->addr, pb->addr, sizeof(pa->addr));
    if (rc != 0) {
        return rc;
    }

    if (pa->port != pb->port) {
        return pa->port < pb->port ? -1 : 1;
    }

    /* the same address twice: the one Swarm keeps running first */

    if (pa->state != pb->state) {
        return pa->state < pb->state ? -1 : 1;
    }

    return strcmp(pa->task, pb->task);
}


void
ngx_http_swarm_set_sort(ngx_http_swarm_set_t *set)
{
    if (set->n > 1) {
        qsort(set->peers, set->n, sizeof(ngx_http_swarm_peer_t),
              ngx_http_swarm_peer_cmp);
    }
}


void
ngx_http_swarm_set_free(ngx_http_swarm_set_t *set)
{
    free(set->peers);
    set->peers = NULL;
    set->n = 0;
    set->cap = 0;
}


/* both sets sorted by ngx_http_swarm_set_sort() */

ngx_http_swarm_diff_t
ngx_http_swarm_set_diff(const ngx_http_swarm_peer_t *old, size_t nold,
    const ngx_http_swarm_peer_t *new, size_t nnew)
{
    int                    rc;
    size_t                 i, j;
    ngx_http_swarm_diff_t  d;

    memset(&d, 0, sizeof(d));

    i = 0;
    j = 0;

    while (i < nold && j < nnew) {
        rc = ngx_http_swarm_peer_cmp(&old[i], &new[j]);

        if (rc == 0 || (old[i].family == new[j].family
                        && old[i].port == new[j].port
                        && memcmp(old[i].addr, new[j].addr,
                                  sizeof(old[i].addr)) == 0))
        {
            if (memcmp(&old[i], &new[j], sizeof(ngx_http_swarm_peer_t))
                != 0)
            {
                d.changed++;
            }

            i++;
            j++;

        } else if (rc < 0) {
            d.removed++;
            i++;

        } else {
            d.added++;
            j++;
        }
    }

    d.removed += nold - i;
    d.added += nnew - j;

    return d;
}
