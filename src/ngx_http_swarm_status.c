
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_status: the JSON document of the discovery state, read from the
 * zone and the answering worker's copies of the task sets; and how it,
 * swarm_metrics and swarm_dashboard answer (GET or HEAD, a 200 with a
 * body made in memory).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <jansson.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_certs.h"
#include "ngx_http_swarm_status.h"


static json_t *ngx_http_swarm_status_endpoints(
    ngx_http_swarm_t *swarm);
static json_t *ngx_http_swarm_status_certs(ngx_http_swarm_t *swarm,
    ngx_log_t *log);
static json_t *ngx_http_swarm_status_upstream(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up);


/* each endpoint, its state as worker 0 saw it last, and why it failed */

static json_t *
ngx_http_swarm_status_endpoints(ngx_http_swarm_t *swarm)
{
    json_t                     *a, *o;
    ngx_uint_t                  i, n, current;
    ngx_http_swarm_endpoint_t  *ep;
    ngx_http_swarm_ep_state_t   st[NGX_HTTP_SWARM_ENDPOINTS_MAX];

    static const char  *states[] = { "standby", "current", "failed" };

    ep = swarm->endpoints.elts;
    n = swarm->endpoints.nelts;

    if (swarm->zone.sh == NULL
        || ngx_http_swarm_zone_endpoints(&swarm->zone, st, n, &current)
           != NGX_OK)
    {
        ngx_memzero(st, sizeof(st));
    }

    a = json_array();

    for (i = 0; a && i < n; i++) {
        o = json_pack("{s:s%,s:s}",
                      "endpoint", (char *) ep[i].shown.data, ep[i].shown.len,
                      "state", states[st[i].state < 3 ? st[i].state : 0]);

        if (o && st[i].state == NGX_HTTP_SWARM_EP_FAILED) {
            json_object_set_new(o, "error",
                                ngx_http_swarm_text_json((char *) st[i].error,
                                                         st[i].error_len));
            json_object_set_new(o, "since",
                                json_integer((json_int_t) st[i].since));
        }

        if (o == NULL || json_array_append_new(a, o) != 0) {
            json_decref(a);
            return NULL;
        }
    }

    return a;
}


/*
 * The certificates of swarm_acme, by their first name: the swarm_acme,
 * the names, the state ("waiting", "ordering", "valid", "failed"), the
 * issuer, not_before and not_after, when it is renewed, and the CA's
 * error and when the order is tried again after a failure; no chain,
 * no key
 */

static json_t *
ngx_http_swarm_status_certs(ngx_http_swarm_t *swarm, ngx_log_t *log)
{
    json_t      *certs, *rec;
    const char  *main;

    ngx_http_swarm_certs_update(&swarm->zone, log);

    certs = json_deep_copy(ngx_http_swarm_certs_status());

    if (certs == NULL) {
        return json_object();
    }

    json_object_foreach(certs, main, rec) {
        json_object_del(rec, "cert");
        json_object_del(rec, "key");

        if (json_object_get(rec, "error") == NULL) {
            json_object_del(rec, "next");
        }
    }

    return certs;
}


ngx_int_t
ngx_http_swarm_status_handler(ngx_http_request_t *r, ngx_http_swarm_t *swarm)
{
    char                        *s;
    size_t                       len;
    json_t                      *root, *ups, *u;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_uint_t                   i;
    ngx_chain_t                  out;
    ngx_http_swarm_shm_t        *sh;
    ngx_str_t                   *shown;
    ngx_http_swarm_figures_t     fig;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       version[16];

    rc = ngx_http_swarm_status_page_begin(r);
    if (rc != NGX_OK) {
        return rc;
    }

    root = json_object();
    ups = json_object();

    if (root == NULL || ups == NULL) {
        json_decref(root);
        json_decref(ups);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    shown = &ngx_http_swarm_endpoint(swarm)->shown;

    json_object_set_new(root, "endpoint",
                        json_stringn((char *) shown->data, shown->len));
    json_object_set_new(root, "endpoints",
                        ngx_http_swarm_status_endpoints(swarm));

    sh = swarm->zone.sh;
    len = sh ? ngx_http_swarm_zone_version(&swarm->zone, version) : 0;

    json_object_set_new(root, "api_version",
                        len ? json_stringn((char *) version, len)
                            : json_null());

    if (sh) {
        if (ngx_http_swarm_zone_figures(&swarm->zone, &fig) != NGX_OK) {
            ngx_memzero(&fig, sizeof(ngx_http_swarm_figures_t));
        }

        json_object_set_new(root, "sync_bytes",
                            json_integer((json_int_t) fig.bytes));
        json_object_set_new(root, "sync_ms",
                            json_integer((json_int_t) fig.msec));
        json_object_set_new(root, "sync_cpu_us",
                            json_integer((json_int_t) fig.cpu_usec));
        json_object_set_new(root, "sync_tasks_parsed",
                            json_integer((json_int_t) fig.parsed));
        json_object_set_new(root, "sync_tasks_reused",
                            json_integer((json_int_t) fig.reused));
        json_object_set_new(root, "sync_longest_step_us",
                            json_integer((json_int_t) fig.longest_usec));
        json_object_set_new(root, "sync_longest_step_cpu_us",
                            json_integer((json_int_t) fig.longest_cpu_usec));
        json_object_set_new(root, "sync_refreshes",
                            json_integer((json_int_t) fig.refreshes));

        /* swarm_zone: its size, and what its pages in use hold */

        json_object_set_new(root, "zone_size",
                            json_integer((json_int_t) swarm->zone_size));
        json_object_set_new(root, "zone_used",
                            json_integer((json_int_t)
                                ngx_http_swarm_zone_used(&swarm->zone)));
    }

    upp = swarm->upstreams.elts;

    for (i = 0; i < swarm->upstreams.nelts; i++) {
        u = ngx_http_swarm_status_upstream(r, upp[i]);
        if (u == NULL) {
            json_decref(root);
            json_decref(ups);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        json_object_setn_new(ups, (char *) upp[i]->name.data,
                             upp[i]->name.len, u);
    }

    json_object_set_new(root, "upstreams", ups);

    if (sh && swarm->resolvers.nelts) {
        json_object_set_new(root, "certificates",
                            ngx_http_swarm_status_certs(swarm,
                                                        r->connection->log));
    }

    s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);

    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(s);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        free(s);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, s, len);
    *b->last++ = '\n';
    free(s);

    out.buf = b;
    out.next = NULL;

    return ngx_http_swarm_status_page_send(r, &out, b->last - b->pos,
                                           "application/json");
}


/* GET or HEAD, the body discarded: NGX_OK, else the request's status */

ngx_int_t
ngx_http_swarm_status_page_begin(ngx_http_request_t *r)
{
    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    return ngx_http_discard_request_body(r);
}


/*
 * A 200 of "type" with the chain made, "len" bytes long (-1 when not
 * counted): its last buffer is marked as the last.
 */

ngx_int_t
ngx_http_swarm_status_page_send(ngx_http_request_t *r, ngx_chain_t *out,
    off_t len, char *type)
{
    u_char       *semi;
    ngx_int_t     rc;
    ngx_chain_t  *cl;

    for (cl = out; cl->next; cl = cl->next) { /* void */ }

    cl->buf->last_buf = (r == r->main) ? 1 : 0;
    cl->buf->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;

    r->headers_out.content_type.data = (u_char *) type;
    r->headers_out.content_type.len = ngx_strlen(type);

    /* the type alone, without "; charset=..." */

    semi = (u_char *) ngx_strchr(type, ';');
    r->headers_out.content_type_len = semi ? (size_t) (semi - (u_char *) type)
                                           : r->headers_out.content_type.len;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, out);
}


static json_t *
ngx_http_swarm_status_upstream(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up)
{
    time_t                  last_sync;
    size_t                  len;
    json_t                 *u, *peers, *p, *routing;
    ngx_str_t               arg;
    ngx_uint_t              i, list, weight;
    ngx_http_swarm_peer_t  *t;
    ngx_http_swarm_view_t  *view;
    ngx_http_swarm_cell_t  *cell;
    u_char                  error[NGX_HTTP_SWARM_ERR_LEN];

    /* "?peers=off": counts only, for swarms too large to list often */

    list = !(ngx_http_arg(r, (u_char *) "peers", 5, &arg) == NGX_OK
             && arg.len == 3 && ngx_strncmp(arg.data, "off", 3) == 0);

    /* what the zone holds now: status is no request to balance */

    view = ngx_http_swarm_view_current(up, r->connection->log);

    len = 0;
    last_sync = 0;

    (void) ngx_http_swarm_zone_error(up, error, &len, &last_sync);

    u = json_object();
    peers = json_array();

    if (u == NULL || peers == NULL) {
        json_decref(u);
        json_decref(peers);
        ngx_http_swarm_view_release(up, view);
        return NULL;
    }

    for (i = 0; list && i < view->npeers; i++) {
        t = &view->tasks[i];
        cell = view->peers[i].cell;

        p = json_pack("{s:s%,s:s,s:s,s:s,s:I,s:s,s:I,s:I}",
                      "address", (char *) view->peers[i].name.data,
                      view->peers[i].name.len,
                      "state", t->state == NGX_HTTP_SWARM_ACTIVE
                               ? "active" : "draining",
                      "task", t->task,
                      "service", t->service,
                      "slot", (json_int_t) t->slot,
                      "node", t->node,
                      "since", (json_int_t) t->since,
                      "fails", (json_int_t) (cell->tag == view->peers[i].tag
                                             ? cell->fails : 0));

        if (p && up->routes) {
            json_object_set_new(p, "route", json_integer(t->route));
        }

        /* swarm_slow_start: the share of new visitors it has, in % */

        if (p && up->slow_start && t->state == NGX_HTTP_SWARM_ACTIVE) {
            weight = ngx_http_swarm_weight(up->slow_start, t,
                                           ngx_http_swarm_now_ms());

            json_object_set_new(p, "weight",
                                json_integer((json_int_t) (weight * 100
                                             / NGX_HTTP_SWARM_WEIGHT)));
        }

        if (p == NULL || json_array_append_new(peers, p) != 0) {
            json_decref(u);
            json_decref(peers);
            ngx_http_swarm_view_release(up, view);
            return NULL;
        }
    }

    json_object_set_new(u, "generation",
                        json_integer((json_int_t) view->generation));
    json_object_set_new(u, "last_sync",
                        last_sync ? json_integer((json_int_t) last_sync)
                                  : json_null());
    json_object_set_new(u, "last_error",
                        len ? ngx_http_swarm_text_json((char *) error, len)
                            : json_null());
    json_object_set_new(u, "view_build_us",
                        json_integer((json_int_t) view->build_usec));
    json_object_set_new(u, "active",
                        json_integer((json_int_t) view->nactive));
    json_object_set_new(u, "draining",
                        json_integer((json_int_t) (view->npeers
                                                   - view->nactive)));

    if (view->routing) {
        routing = ngx_http_swarm_routing_status(view);
        if (routing == NULL) {
            json_decref(u);
            json_decref(peers);
            ngx_http_swarm_view_release(up, view);
            return NULL;
        }

        (void) json_object_update(u, routing);
        json_decref(routing);
    }

    if (list) {
        json_object_set_new(u, "peers", peers);

    } else {
        json_decref(peers);
    }

    ngx_http_swarm_view_release(up, view);

    return u;
}
