
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The Docker API endpoints: swarm_endpoint, repeated, in its order
 * (unix sockets, "http://", and "https://" with the swarm_tls_* files),
 * and, in worker 0, which one the refresh uses.  A working endpoint is
 * kept until it fails; then the next is tried at once, each in turn
 * until one answers, and the refresh backs off only when all failed.
 * While another is in use, the first is asked in the background, and
 * is used again once it answers.  Each endpoint's state goes to the
 * zone, for swarm_status.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_store.h"
#include "ngx_http_swarm_endpoints.h"


/* the first endpoint is asked again every this many intervals */
#define NGX_HTTP_SWARM_PROBE_INTERVALS  5

/* the question: as the refresh's, a service list, but of nothing */
#define NGX_HTTP_SWARM_PROBE_PATH                                            \
    "/services?filters=%7B%22id%22%3A%5B%22ngx_http_swarm_probe%22%5D%7D"


struct ngx_http_swarm_endpoints_s {
    ngx_http_swarm_t            *swarm;
    ngx_http_swarm_curl_t       *curl;
    ngx_log_t                   *log;

    /* the endpoint in use, and how many failed in a row since one worked */
    ngx_uint_t                   current;
    ngx_uint_t                   failed;

    /* the first answered the probe: it is used from the next refresh */
    ngx_uint_t                   back;

    /* the endpoints whose last refresh failed, a bit each */
    ngx_uint_t                   down;

    /* the shown name of the one in use, for the log lines of others */
    ngx_str_t                    shown;

    /*
     * the probe: /_ping for the API version the endpoint speaks, then
     * the question in that version
     */
    ngx_http_swarm_get_t         probe;
    ngx_uint_t                   pinged;
    char                         version[16];
    ngx_event_t                  timer;
};


static ngx_int_t ngx_http_swarm_endpoints_read(ngx_conf_t *cf,
    ngx_str_t *name, ngx_str_t *data);
static ngx_int_t ngx_http_swarm_endpoint_shown(ngx_pool_t *pool,
    ngx_str_t *endpoint, ngx_str_t *shown);
static void ngx_http_swarm_endpoints_use(ngx_http_swarm_endpoints_t *e,
    ngx_uint_t i);
static void ngx_http_swarm_endpoints_probe(ngx_event_t *ev);
static void ngx_http_swarm_endpoints_probed(ngx_http_swarm_get_t *get);


/* "swarm_endpoint unix:/path | http://host:port | https://host:port" */

char *
ngx_http_swarm_endpoints_add(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    u_char                     *p;
    size_t                      skip;
    ngx_str_t                  *value;
    ngx_uint_t                  i;
    ngx_http_swarm_t           *swarm;
    ngx_http_swarm_endpoint_t  *ep;

    /* the swarm in the module's main conf, as nginx's slots find theirs */

    swarm = (ngx_http_swarm_t *) ((char *) conf + cmd->offset);

    value = cf->args->elts;
    ep = swarm->endpoints.elts;

    for (i = 0; i < swarm->endpoints.nelts; i++) {
        if (ep[i].name.len == value[1].len
            && ngx_strncmp(ep[i].name.data, value[1].data, value[1].len) == 0)
        {
            return "is duplicate";
        }
    }

    if (swarm->endpoints.nelts == NGX_HTTP_SWARM_ENDPOINTS_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "more than %d \"swarm_endpoint\"",
                           NGX_HTTP_SWARM_ENDPOINTS_MAX);
        return NGX_CONF_ERROR;
    }

    ep = ngx_array_push(&swarm->endpoints);
    if (ep == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(ep, sizeof(ngx_http_swarm_endpoint_t));

    ep->name = value[1];
    ep->shown = value[1];

    if (value[1].len > 5 && ngx_strncmp(value[1].data, "unix:", 5) == 0) {
        ep->socket.data = value[1].data + 5;
        ep->socket.len = value[1].len - 5;
        ngx_str_set(&ep->base, "http://localhost");

        if (ep->socket.data[0] != '/') {
            return "invalid value: the socket path must be absolute";
        }

        return NGX_CONF_OK;
    }

    if (value[1].len > 7 && ngx_strncmp(value[1].data, "http://", 7) == 0) {
        skip = 7;

    } else if (value[1].len > 8
               && ngx_strncmp(value[1].data, "https://", 8) == 0)
    {
        skip = 8;
        ep->tls = 1;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": expected \"unix:/path\", "
                           "\"http://host:port\" or \"https://host:port\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    ep->base = value[1];

    /* drop a trailing slash: paths are added as "/v1.41/..." */

    p = ep->base.data + ep->base.len - 1;
    if (*p == '/' && ep->base.len > skip + 1) {
        *p = '\0';
        ep->base.len--;
    }

    if (ngx_http_swarm_endpoint_shown(cf->pool, &ep->base, &ep->shown)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/*
 * The endpoint as logs and swarm_status show it: the password of
 * "http://user:password@host:port" masked.
 */

static ngx_int_t
ngx_http_swarm_endpoint_shown(ngx_pool_t *pool, ngx_str_t *endpoint,
    ngx_str_t *shown)
{
    u_char  *host, *at, *colon, *end, *p;

    end = endpoint->data + endpoint->len;
    host = ngx_strlcasestrn(endpoint->data, end, (u_char *) "://", 3 - 1);
    host = host ? host + 3 : endpoint->data;

    p = ngx_strlchr(host, end, '/');
    if (p) {
        end = p;
    }

    at = NULL;

    for (p = host; p < end; p++) {
        if (*p == '@') {
            at = p;
        }
    }

    colon = at ? ngx_strlchr(host, at, ':') : NULL;

    if (colon == NULL) {
        *shown = *endpoint;
        return NGX_OK;
    }

    shown->len = (colon + 1 - endpoint->data) + sizeof("***") - 1
                 + (endpoint->data + endpoint->len - at);
    shown->data = ngx_pnalloc(pool, shown->len);
    if (shown->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_cpymem(shown->data, endpoint->data, colon + 1 - endpoint->data);
    p = ngx_cpymem(p, "***", sizeof("***") - 1);
    ngx_memcpy(p, at, endpoint->data + endpoint->len - at);

    return NGX_OK;
}


/*
 * Once the http block is read: Docker's own socket if no endpoint was
 * given, and the TLS files, with their full names, readable.
 */

char *
ngx_http_swarm_endpoints_check(ngx_conf_t *cf,
    ngx_http_swarm_t *swarm)
{
    ngx_str_t                  *files[3];
    ngx_uint_t                  i;
    ngx_http_swarm_endpoint_t  *ep;

    if (swarm->endpoints.nelts == 0) {
        ep = ngx_array_push(&swarm->endpoints);
        if (ep == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(ep, sizeof(ngx_http_swarm_endpoint_t));

        ngx_str_set(&ep->name, "unix:/var/run/docker.sock");
        ep->shown = ep->name;
        ngx_str_set(&ep->socket, "/var/run/docker.sock");
        ngx_str_set(&ep->base, "http://localhost");
    }

    if (swarm->tls_certificate.len != swarm->tls_certificate_key.len
        && (swarm->tls_certificate.len == 0
            || swarm->tls_certificate_key.len == 0))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_tls_certificate\" and "
                           "\"swarm_tls_certificate_key\" go together");
        return NGX_CONF_ERROR;
    }

    files[0] = &swarm->tls_certificate;
    files[1] = &swarm->tls_certificate_key;
    files[2] = &swarm->tls_trusted_certificate;

    for (i = 0; i < 3; i++) {
        if (files[i]->len == 0) {
            continue;
        }

        if (ngx_conf_full_name(cf->cycle, files[i], 1) != NGX_OK) {
            return NGX_CONF_ERROR;
        }

        if (ngx_http_swarm_endpoints_read(cf, files[i], &swarm->tls_files[i])
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/* a whole file into the configuration's memory, read by the master */

static ngx_int_t
ngx_http_swarm_endpoints_read(ngx_conf_t *cf, ngx_str_t *name,
    ngx_str_t *data)
{
    ngx_int_t  rc;

    rc = ngx_http_swarm_store_read_file(name->data, cf->pool, 1024 * 1024,
                                        data, cf->log);

    if (rc != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "swarm_tls file \"%V\" cannot be read%s", name,
                           rc == NGX_DECLINED ? ": there is no such file"
                                              : " whole (at most 1 MB)");
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_http_swarm_endpoints_t *
ngx_http_swarm_endpoints_create(ngx_http_swarm_t *swarm,
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_uint_t                   i;
    ngx_http_swarm_endpoints_t  *e;

    e = ngx_pcalloc(pool, sizeof(ngx_http_swarm_endpoints_t));
    if (e == NULL) {
        return NULL;
    }

    e->swarm = swarm;
    e->curl = curl;
    e->log = log;

    for (i = 1; i < swarm->endpoints.nelts; i++) {
        ngx_http_swarm_zone_set_endpoint(&swarm->zone, i,
                                         NGX_HTTP_SWARM_EP_STANDBY, 0, NULL);
    }

    ngx_http_swarm_endpoints_use(e, 0);

    if (swarm->endpoints.nelts > 1) {
        e->probe.data = e;
        e->probe.done = ngx_http_swarm_endpoints_probed;
        e->probe.endpoint = swarm->endpoints.elts;

        if (ngx_http_swarm_curl_get_setup(&e->probe, curl, pool, 65536)
            != NGX_OK)
        {
            return NULL;
        }

        e->timer.handler = ngx_http_swarm_endpoints_probe;
        e->timer.data = e;
        e->timer.log = log;
        e->timer.cancelable = 1;
    }

    return e;
}


/* the endpoint in use, as the log lines of the refresh name it */

ngx_str_t *
ngx_http_swarm_endpoints_shown(ngx_http_swarm_endpoints_t *e)
{
    return &e->shown;
}


/* endpoint i is used; one that failed last is said so until it works */

static void
ngx_http_swarm_endpoints_use(ngx_http_swarm_endpoints_t *e, ngx_uint_t i)
{
    ngx_http_swarm_endpoint_t  *ep;

    ep = e->swarm->endpoints.elts;

    e->current = i;
    e->shown = ep[i].shown;
    e->curl->endpoint = &ep[i];

    ngx_http_swarm_zone_set_endpoint(&e->swarm->zone, i,
                                     (e->down & (1 << i))
                                     ? NGX_HTTP_SWARM_EP_KEEP
                                     : NGX_HTTP_SWARM_EP_CURRENT, 1, NULL);
}


/*
 * A refresh failed with "err".  "failover" says whether the failure is
 * one another endpoint may not have: no answer, a timeout, an error of
 * the server (Docker answers 503 on a node that is no manager, and a
 * manager without a leader fails).  Then the next endpoint is used:
 * NGX_OK to try it at once, NGX_AGAIN after the backoff, as all failed
 * in a row; NGX_DECLINED if the same endpoint is asked again.
 */

ngx_int_t
ngx_http_swarm_endpoints_failed(ngx_http_swarm_endpoints_t *e,
    const char *err, ngx_uint_t failover)
{
    ngx_uint_t                  n, next;
    ngx_http_swarm_endpoint_t  *ep;

    n = e->swarm->endpoints.nelts;
    ep = e->swarm->endpoints.elts;

    e->down |= 1 << e->current;

    ngx_http_swarm_zone_set_endpoint(&e->swarm->zone, e->current,
                                     NGX_HTTP_SWARM_EP_FAILED, 0, err);

    if (!failover || n == 1) {
        return NGX_DECLINED;
    }

    next = (e->current + 1) % n;

    ngx_log_error(NGX_LOG_WARN, e->log, 0,
                  "swarm: Docker API at %V failed, trying %V",
                  &ep[e->current].shown, &ep[next].shown);

    ngx_http_swarm_endpoints_use(e, next);

    if (++e->failed < n) {
        return NGX_OK;
    }

    e->failed = 0;

    return NGX_AGAIN;
}


/*
 * A refresh worked: the endpoint is kept, and the first is asked
 * meanwhile.  Returns whether this endpoint was the one that failed.
 */

ngx_uint_t
ngx_http_swarm_endpoints_ok(ngx_http_swarm_endpoints_t *e)
{
    ngx_uint_t  was;

    e->failed = 0;

    was = (e->down & (1 << e->current)) != 0;

    if (was) {
        e->down &= ~(1 << e->current);
        ngx_http_swarm_zone_set_endpoint(&e->swarm->zone, e->current,
                                         NGX_HTTP_SWARM_EP_CURRENT, 1, NULL);
    }

    if (e->current != 0 && !e->timer.timer_set && !e->probe.active) {
        ngx_add_timer(&e->timer, e->swarm->interval
                                 * NGX_HTTP_SWARM_PROBE_INTERVALS);
    }

    return was;
}


/*
 * As a refresh starts: NGX_OK if the first endpoint answered the probe
 * and is used again from this refresh on (what was asked of another
 * endpoint, the events stream and the version, is asked again).
 */

ngx_int_t
ngx_http_swarm_endpoints_start(ngx_http_swarm_endpoints_t *e)
{
    ngx_http_swarm_endpoint_t  *ep;

    if (!e->back) {
        return NGX_DECLINED;
    }

    e->back = 0;
    ep = e->swarm->endpoints.elts;

    ngx_log_error(NGX_LOG_NOTICE, e->log, 0,
                  "swarm: Docker API at %V answers again, used in place of "
                  "%V", &ep[0].shown, &ep[e->current].shown);

    ngx_http_swarm_zone_set_endpoint(&e->swarm->zone, e->current,
                                     NGX_HTTP_SWARM_EP_STANDBY, 0, NULL);

    e->down &= ~((1 << e->current) | 1);

    ngx_http_swarm_endpoints_use(e, 0);

    return NGX_OK;
}


static void
ngx_http_swarm_endpoints_probe(ngx_event_t *ev)
{
    ngx_http_swarm_endpoints_t *e = ev->data;

    char  err[NGX_HTTP_SWARM_ERR_LEN];

    if (e->current == 0 || !ngx_http_swarm_zone_writer(&e->swarm->zone)) {
        return;
    }

    /* the version first, as the refresh negotiates it: an engine may
     * refuse any version below its own minimum (1.44 for Docker 29.0) */

    e->pinged = 0;

    if (ngx_http_swarm_curl_get(&e->probe, NULL, "/_ping", NULL, err,
                                sizeof(err))
        != NGX_OK)
    {
        ngx_add_timer(&e->timer, e->swarm->interval
                                 * NGX_HTTP_SWARM_PROBE_INTERVALS);
    }
}


static void
ngx_http_swarm_endpoints_probed(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_endpoints_t *e = get->data;

    char  err[NGX_HTTP_SWARM_ERR_LEN];

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, e->log, 0,
                   "swarm: probe of the first endpoint: %s, HTTP %l",
                   get->error ? get->error : "answered", get->code);

    if (get->error == NULL && get->code == 200 && !get->overflow) {

        if (e->pinged) {
            e->back = 1;
            return;
        }

        /* the Api-Version of /_ping, or the oldest the module speaks */

        e->pinged = 1;

        ngx_cpystrn((u_char *) e->version,
                    (u_char *) (get->api_version[0] ? get->api_version
                                                    : NGX_HTTP_SWARM_MIN_API),
                    sizeof(e->version));

        if (ngx_http_swarm_curl_get(&e->probe, e->version,
                                    NGX_HTTP_SWARM_PROBE_PATH, NULL, err,
                                    sizeof(err))
            == NGX_OK)
        {
            return;
        }
    }

    ngx_add_timer(&e->timer, e->swarm->interval
                             * NGX_HTTP_SWARM_PROBE_INTERVALS);
}


void
ngx_http_swarm_endpoints_close(ngx_http_swarm_endpoints_t *e)
{
    if (e->timer.timer_set) {
        ngx_del_timer(&e->timer);
    }

    ngx_http_swarm_curl_get_close(&e->probe);
}
