
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The balancer of swarm upstreams and the swarm_sticky directive: round
 * robin over the active tasks of a worker's copy of the task set (of a
 * routes upstream, of the request's route), and, where sticky, a route
 * cookie that names the task by its IP address or by its keyed value.
 * The cookie is looked up in the index of the task set or route and is
 * never used as an address: a request only ever reaches a current task.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_key.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_sticky.h"


#define NGX_HTTP_SWARM_BITS  (8 * sizeof(uintptr_t))


/*
 * swarm_sticky: the cookie of an upstream's tasks, or of its routes, and
 * with "value=hmac" the key its values are made with
 */

typedef struct {
    ngx_flag_t                      enabled;
    ngx_http_swarm_cookie_t         cookie;
    ngx_http_swarm_key_t           *key;
} ngx_http_swarm_sticky_conf_t;


typedef struct {
    ngx_http_request_t             *request;
    ngx_http_swarm_upstream_t      *up;
    ngx_http_swarm_view_t          *view;
    ngx_http_swarm_backend_t       *backend;
    ngx_http_swarm_ctx_t           *ctx;
    ngx_table_elt_t                *set_cookie;
    long                            cookie;
    long                            current;

    /* the request brought a route cookie, of any value */
    ngx_uint_t                      had_cookie;
    uintptr_t                      *tried;
    uintptr_t                       data;
} ngx_http_swarm_sticky_data_t;


static ngx_int_t ngx_http_swarm_sticky_check(ngx_conf_t *cf);
static void *ngx_http_swarm_sticky_create_conf(ngx_conf_t *cf);
static char *ngx_http_swarm_sticky(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_sticky_value(ngx_conf_t *cf, ngx_str_t *value,
    size_t skip, const char **to);
static ngx_int_t ngx_http_swarm_sticky_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us);
static ngx_int_t ngx_http_swarm_sticky_get_addr(ngx_peer_connection_t *pc,
    void *data);
static void ngx_http_swarm_sticky_free_addr(ngx_peer_connection_t *pc,
    void *data, ngx_uint_t state);
static ngx_int_t ngx_http_swarm_sticky_route(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_sticky_data_t *sd);
static long ngx_http_swarm_sticky_cookie(ngx_http_request_t *r,
    ngx_http_swarm_backend_t *b, ngx_uint_t *had);
static void ngx_http_swarm_sticky_cleanup(void *data);
static ngx_int_t ngx_http_swarm_sticky_get_peer(ngx_peer_connection_t *pc,
    void *data);
static long ngx_http_swarm_sticky_ramp(ngx_http_swarm_sticky_data_t *sd,
    time_t now, uint64_t ms);
static ngx_int_t ngx_http_swarm_sticky_usable(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_rpeer_t *peer, time_t now);
static ngx_int_t ngx_http_swarm_sticky_set_cookie(
    ngx_http_swarm_sticky_data_t *sd, u_char *value);
static void ngx_http_swarm_sticky_free_peer(ngx_peer_connection_t *pc,
    void *data, ngx_uint_t state);
static ngx_int_t ngx_http_swarm_sticky_header_filter(ngx_http_request_t *r);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;


static ngx_command_t  ngx_http_swarm_sticky_commands[] = {

    { ngx_string("swarm_sticky"),
      NGX_HTTP_UPS_CONF|NGX_CONF_ANY,
      ngx_http_swarm_sticky,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_swarm_sticky_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_swarm_sticky_check,           /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_swarm_sticky_create_conf,     /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_swarm_sticky_module = {
    NGX_MODULE_V1,
    &ngx_http_swarm_sticky_module_ctx,     /* module context */
    ngx_http_swarm_sticky_commands,        /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static void *
ngx_http_swarm_sticky_create_conf(ngx_conf_t *cf)
{
    ngx_http_swarm_sticky_conf_t  *scf;

    scf = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_sticky_conf_t));
    if (scf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     scf->enabled = 0;
     *     scf->cookie.domain = NULL;
     *     scf->cookie.samesite = NULL;
     */

    scf->cookie.max_age = -1;

    return scf;
}


static char *
ngx_http_swarm_sticky(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_sticky_conf_t *scf = conf;

    u_char       c;
    time_t       age;
    ngx_str_t   *value, s, file;
    ngx_uint_t   i, j, hmac;

    if (scf->enabled) {
        return "is duplicate";
    }

    /* safe by default: HttpOnly, SameSite=Lax, Secure over TLS, no cache */

    scf->enabled = 1;
    scf->cookie.name = "route";
    scf->cookie.path = "/";
    scf->cookie.httponly = 1;
    scf->cookie.samesite = "Lax";
    scf->cookie.auto_secure = 1;
    scf->cookie.nocache = 1;

    value = cf->args->elts;
    hmac = 0;
    ngx_str_null(&file);

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strcmp(value[i].data, "value=ip") == 0
            || ngx_strcmp(value[i].data, "value=hmac") == 0)
        {
            hmac = (value[i].data[6] == 'h');
            continue;
        }

        if (ngx_strncmp(value[i].data, "key_file=", 9) == 0) {
            if (value[i].len == 9) {
                goto invalid;
            }

            file.data = value[i].data + 9;
            file.len = value[i].len - 9;
            continue;
        }

        if (ngx_strncmp(value[i].data, "cookie=", 7) == 0) {
            if (value[i].len == 7) {
                goto invalid;
            }

            for (j = 7; j < value[i].len; j++) {
                c = value[i].data[j];

                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                      || (c >= 'A' && c <= 'Z') || c == '_' || c == '-'
                      || c == '.'))
                {
                    goto invalid;
                }
            }

            scf->cookie.name = (const char *) value[i].data + 7;
            continue;
        }

        if (ngx_strncmp(value[i].data, "path=", 5) == 0) {
            if (ngx_http_swarm_sticky_value(cf, &value[i], 5,
                                            &scf->cookie.path)
                != NGX_CONF_OK)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "domain=", 7) == 0) {
            if (ngx_http_swarm_sticky_value(cf, &value[i], 7,
                                            &scf->cookie.domain)
                != NGX_CONF_OK)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "max_age=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            age = ngx_parse_time(&s, 1);
            if (age == (time_t) NGX_ERROR) {
                goto invalid;
            }

            if (age == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid parameter \"%V\": browsers "
                                   "drop a cookie of Max-Age=0 at once, "
                                   "so nothing would be sticky", &value[i]);
                return NGX_CONF_ERROR;
            }

            scf->cookie.max_age = (long) age;
            continue;
        }

        if (ngx_strcmp(value[i].data, "secure") == 0
            || ngx_strcmp(value[i].data, "secure=off") == 0)
        {
            scf->cookie.secure = (value[i].len == 6);
            scf->cookie.auto_secure = 0;
            continue;
        }

        if (ngx_strcmp(value[i].data, "httponly") == 0
            || ngx_strcmp(value[i].data, "httponly=off") == 0)
        {
            scf->cookie.httponly = (value[i].len == 8);
            continue;
        }

        if (ngx_strcmp(value[i].data, "nocache") == 0
            || ngx_strcmp(value[i].data, "nocache=off") == 0)
        {
            scf->cookie.nocache = (value[i].len == 7);
            continue;
        }

        if (ngx_strncmp(value[i].data, "samesite=", 9) == 0) {
            if (ngx_strcmp(value[i].data + 9, "strict") == 0) {
                scf->cookie.samesite = "Strict";

            } else if (ngx_strcmp(value[i].data + 9, "lax") == 0) {
                scf->cookie.samesite = "Lax";

            } else if (ngx_strcmp(value[i].data + 9, "none") == 0) {
                scf->cookie.samesite = "None";

            } else if (ngx_strcmp(value[i].data + 9, "off") == 0) {
                scf->cookie.samesite = NULL;

            } else {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    /* a keyed value, and a key only for one */

    if (hmac != (file.len != 0)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           hmac ? "\"value=hmac\" needs \"key_file=\""
                                : "\"key_file=\" is for \"value=hmac\"");
        return NGX_CONF_ERROR;
    }

    if (ngx_http_swarm_routing_cookie_attrs(&scf->cookie, cf->pool)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (hmac) {
        return ngx_http_swarm_key_read(cf, &file, &scf->key);
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


/* a cookie attribute value: no separators, no control characters */

static char *
ngx_http_swarm_sticky_value(ngx_conf_t *cf, ngx_str_t *value, size_t skip,
    const char **to)
{
    size_t  i;

    if (value->len == skip) {
        return NGX_CONF_ERROR;
    }

    for (i = skip; i < value->len; i++) {
        if (value->data[i] <= ' ' || value->data[i] == ';'
            || value->data[i] == ',' || value->data[i] == 0x7f)
        {
            return NGX_CONF_ERROR;
        }
    }

    *to = (const char *) value->data + skip;

    return NGX_CONF_OK;
}


/*
 * Once every upstream is set up: where swarm_service is, this balancer
 * was set up, by itself or through a wrapper such as "keepalive" (a
 * later "ip_hash", "hash", "random" or "least_conn" would take its place
 * and balance over nothing), and swarm_sticky is only where
 * swarm_service is.
 */

static ngx_int_t
ngx_http_swarm_sticky_check(ngx_conf_t *cf)
{
    ngx_uint_t                      i;
    ngx_http_swarm_upstream_t      *up;
    ngx_http_upstream_srv_conf_t  **uscfp, *uscf;
    ngx_http_swarm_sticky_conf_t   *scf;
    ngx_http_upstream_main_conf_t  *umcf;

    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_swarm_sticky_header_filter;

    umcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_upstream_module);
    uscfp = umcf->upstreams.elts;

    for (i = 0; i < umcf->upstreams.nelts; i++) {
        uscf = uscfp[i];

        if (uscf->srv_conf == NULL) {
            continue;
        }

        up = ngx_http_conf_upstream_srv_conf(uscf, ngx_http_swarm_module);
        scf = ngx_http_conf_upstream_srv_conf(uscf,
                                              ngx_http_swarm_sticky_module);

        /* what the views make the tasks' cookies by */

        up->cookie = scf->enabled ? &scf->cookie : NULL;
        up->key = scf->key;

        if (up->selectors && !up->balancer) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "upstream \"%V\" in %s:%ui: a load balancing "
                          "method after \"swarm_service\" replaces the "
                          "balancer of the Swarm tasks", &uscf->host,
                          uscf->file_name, uscf->line);
            return NGX_ERROR;
        }

        if ((scf->enabled || up->slow_start != NGX_CONF_UNSET_MSEC)
            && up->selectors == NULL)
        {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "upstream \"%V\" in %s:%ui: \"%s\" needs "
                          "\"swarm_service\" or \"swarm_routes\"",
                          &uscf->host, uscf->file_name, uscf->line,
                          scf->enabled ? "swarm_sticky" : "swarm_slow_start");
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_int_t
ngx_http_swarm_sticky_init_upstream(ngx_conf_t *cf,
    ngx_http_upstream_srv_conf_t *us)
{
    ngx_http_swarm_upstream_t  *up;

#if (NGX_HTTP_UPSTREAM_ZONE)

    /* the task set is already shared: swarm_zone holds it */

    if (us->shm_zone) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "upstream \"%V\" in %s:%ui: \"zone\" cannot be "
                           "used with \"swarm_service\", the tasks are "
                           "shared by \"swarm_zone\"", &us->host,
                           us->file_name, us->line);
        return NGX_ERROR;
    }

#endif

    /* the one entry swarm_service adds; any other came from "server" */

    if (us->servers == NULL || us->servers->nelts != 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "upstream \"%V\" in %s:%ui mixes \"server\" and "
                           "\"swarm_service\"", &us->host, us->file_name,
                           us->line);
        return NGX_ERROR;
    }

    us->peer.init = ngx_http_swarm_sticky_init_peer;

    up = ngx_http_conf_upstream_srv_conf(us, ngx_http_swarm_module);
    up->balancer = 1;

    ngx_conf_init_uint_value(up->max_fails, NGX_HTTP_SWARM_MAX_FAILS);
    ngx_conf_init_value(up->fail_timeout, NGX_HTTP_SWARM_FAIL_TIMEOUT);
    ngx_conf_init_msec_value(up->slow_start, 0);

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_sticky_init_peer(ngx_http_request_t *r,
    ngx_http_upstream_srv_conf_t *us)
{
    ngx_uint_t                     n;
    ngx_http_swarm_ctx_t          *ctx;
    ngx_pool_cleanup_t            *cln;
    ngx_http_swarm_view_t         *view;
    ngx_http_swarm_backend_t      *b;
    ngx_http_swarm_upstream_t     *up;
    ngx_http_swarm_sticky_data_t  *sd;

    up = ngx_http_conf_upstream_srv_conf(us, ngx_http_swarm_module);

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx && ctx->addr) {
        /* a forwardauth's call to an IP address: that one, once */

        r->upstream->peer.get = ngx_http_swarm_sticky_get_addr;
        r->upstream->peer.free = ngx_http_swarm_sticky_free_addr;
        r->upstream->peer.data = ctx->addr;
        r->upstream->peer.tries = 1;

        return NGX_OK;
    }

    sd = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_sticky_data_t));
    if (sd == NULL) {
        return NGX_ERROR;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_ERROR;
    }

    sd->request = r;
    sd->up = up;
    sd->current = -1;

    if (up->routes) {
        if (ngx_http_swarm_sticky_route(r, up, sd) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        sd->view = ngx_http_swarm_view_acquire(up, r->connection->log);
        sd->backend = &sd->view->all;
    }

    cln->handler = ngx_http_swarm_sticky_cleanup;
    cln->data = sd;

    view = sd->view;
    b = sd->backend;

    sd->cookie = b->cookie
                 ? ngx_http_swarm_sticky_cookie(r, b, &sd->had_cookie)
                 : -1;

    /* the task chosen, for the counts and the variables */

    sd->ctx = ngx_http_swarm_ctx(r);
    if (sd->ctx == NULL) {
        return NGX_ERROR;
    }

    n = view->npeers;

    if (n <= NGX_HTTP_SWARM_BITS) {
        sd->tried = &sd->data;

    } else {
        sd->tried = ngx_pcalloc(r->pool, (n + NGX_HTTP_SWARM_BITS - 1)
                                         / NGX_HTTP_SWARM_BITS
                                         * sizeof(uintptr_t));
        if (sd->tried == NULL) {
            return NGX_ERROR;
        }
    }

    r->upstream->peer.get = ngx_http_swarm_sticky_get_peer;
    r->upstream->peer.free = ngx_http_swarm_sticky_free_peer;
    r->upstream->peer.data = sd;
    r->upstream->peer.tries = b->nactive;

    if (sd->cookie >= 0
        && view->tasks[sd->cookie].state == NGX_HTTP_SWARM_DRAINING)
    {
        r->upstream->peer.tries++;
    }

    if (sd->ctx->tries) {
        /* retry: as many as it says */
        r->upstream->peer.tries = sd->ctx->tries;
    }

    if (r->upstream->peer.tries == 0) {
        r->upstream->peer.tries = 1;
    }

    return NGX_OK;
}


/* a forwardauth's IP address as the peer */

static ngx_int_t
ngx_http_swarm_sticky_get_addr(ngx_peer_connection_t *pc, void *data)
{
    ngx_addr_t  *addr = data;

    pc->cached = 0;
    pc->connection = NULL;
    pc->sockaddr = addr->sockaddr;
    pc->socklen = addr->socklen;
    pc->name = &addr->name;

    return NGX_OK;
}


static void
ngx_http_swarm_sticky_free_addr(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state)
{
    pc->tries = 0;
}


/*
 * Of a routes upstream, the request's route: the one swarm_route found,
 * on the copy it holds, else found now.  No route fails the request.
 */

static ngx_int_t
ngx_http_swarm_sticky_route(ngx_http_request_t *r,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_sticky_data_t *sd)
{
    ngx_http_swarm_ctx_t  *ctx;
    u_char                 host[4 * 256 + 1], uri[4 * 256 + 1];

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx && ctx->up == up && ctx->view) {
        sd->view = ctx->view;
        sd->view->refs++;
        sd->backend = ctx->backend;
        return NGX_OK;
    }

    sd->view = ngx_http_swarm_view_acquire(up, r->connection->log);
    sd->backend = ngx_http_swarm_routing_find(sd->view, r, 0);

    if (sd->backend == NULL) {
        ngx_http_swarm_view_release(up, sd->view);
        sd->view = NULL;

        /*
         * a client may ask for any host and path as often as it likes:
         * at info, as nginx logs what clients do, and escaped, so that
         * a decoded path never makes a log line of its own
         */

        (void) ngx_http_swarm_text_escape(
                   host, sizeof(host), r->headers_in.server.data,
                   ngx_min(r->headers_in.server.len, 256));
        (void) ngx_http_swarm_text_escape(uri, sizeof(uri), r->uri.data,
                                          ngx_min(r->uri.len, 256));

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "swarm: upstream \"%V\" has no route for host \"%s\" "
                      "and path \"%s\"", &up->name, host, uri);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * The peer that the route cookie names, or -1: none, several, or a
 * value that is no current task of the upstream or route.  Only an
 * index lookup, never a parse into an address.
 */

static long
ngx_http_swarm_sticky_cookie(ngx_http_request_t *r,
    ngx_http_swarm_backend_t *b, ngx_uint_t *had)
{
    int               n;
    long              k;
    size_t            len, vlen, nlen;
    ngx_table_elt_t  *h;
    const u_char     *value, *v, *name;
#if (nginx_version < 1023000)
    ngx_uint_t        i;
    ngx_table_elt_t **hh;
#endif

    n = 0;
    len = 0;
    value = NULL;
    name = (const u_char *) b->cookie->name;
    nlen = ngx_strlen(name);

#if (nginx_version >= 1023000)

    for (h = r->headers_in.cookie; h; h = h->next) {

#else

    hh = r->headers_in.cookies.elts;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        h = hh[i];

#endif

        n += ngx_http_swarm_cookie_scan(h->value.data, h->value.len,
                                        name, nlen, &v, &vlen);

        if (value == NULL && n) {
            value = v;
            len = vlen;
        }
    }

    *had = (n > 0);

    if (n != 1) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "swarm sticky: %d route cookies", n);
        return -1;
    }

    k = ngx_http_swarm_cookie_index_find(&b->index, value, len);

    return (k >= 0) ? (long) b->first + k : -1;
}


static void
ngx_http_swarm_sticky_cleanup(void *data)
{
    ngx_http_swarm_sticky_data_t *sd = data;

    ngx_http_swarm_view_release(sd->up, sd->view);
}


static ngx_int_t
ngx_http_swarm_sticky_get_peer(ngx_peer_connection_t *pc, void *data)
{
    ngx_http_swarm_sticky_data_t *sd = data;

    long                        k;
    time_t                      now;
    uint64_t                    ms;
    uintptr_t                   m;
    ngx_uint_t                  i, n, j;
    ngx_http_swarm_view_t      *view;
    ngx_http_swarm_backend_t   *b;
    ngx_http_swarm_upstream_t  *up;

    view = sd->view;
    b = sd->backend;
    up = sd->up;
    now = ngx_time();

    pc->cached = 0;
    pc->connection = NULL;

    k = -1;

    if (sd->cookie >= 0) {
        m = (uintptr_t) 1 << sd->cookie % NGX_HTTP_SWARM_BITS;

        if (!(sd->tried[sd->cookie / NGX_HTTP_SWARM_BITS] & m)
            && ngx_http_swarm_sticky_usable(up, &view->peers[sd->cookie],
                                            now))
        {
            k = sd->cookie;
        }
    }

    n = b->nactive;

    if (k < 0 && n && b->ramp_until) {
        ms = ngx_http_swarm_now_ms();

        if (ms < b->ramp_until) {
            k = ngx_http_swarm_sticky_ramp(sd, now, ms);
        }
    }

    for (i = 0; k < 0 && i < n; i++) {
        j = b->active[(*b->rr + i) % n];
        m = (uintptr_t) 1 << j % NGX_HTTP_SWARM_BITS;

        if (sd->tried[j / NGX_HTTP_SWARM_BITS] & m) {
            continue;
        }

        if (!ngx_http_swarm_sticky_usable(up, &view->peers[j], now)) {
            continue;
        }

        k = j;
        *b->rr = (*b->rr + i + 1) % n;
    }

    if (k < 0) {
        if (n == 0) {
            ngx_log_error(NGX_LOG_ERR, pc->log, 0,
                          "swarm: upstream \"%V\" has no active tasks",
                          &up->name);
        }

        pc->name = &up->name;

        return NGX_BUSY;
    }

    sd->tried[k / NGX_HTTP_SWARM_BITS] |= (uintptr_t) 1
                                          << k % NGX_HTTP_SWARM_BITS;
    sd->current = k;

    sd->ctx->peer_view = view;
    sd->ctx->peer = k;
    sd->ctx->sticky = (b->cookie == NULL) ? NGX_HTTP_SWARM_STICKY_NONE
                      : (k == sd->cookie) ? NGX_HTTP_SWARM_STICKY_HIT
                      : sd->had_cookie ? NGX_HTTP_SWARM_STICKY_REBOUND
                      : NGX_HTTP_SWARM_STICKY_NEW;

    pc->sockaddr = view->peers[k].sockaddr;
    pc->socklen = view->peers[k].socklen;
    pc->name = &view->peers[k].name;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, pc->log, 0,
                   "swarm sticky: peer %V%s", pc->name,
                   k == sd->cookie ? " by cookie" : "");

    if (b->cookie && k != sd->cookie) {
        if (ngx_http_swarm_sticky_set_cookie(sd, view->values
                                                 + k * view->vstride)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * swarm_slow_start, while a task of the backend has not its full weight:
 * a new visitor's task by smooth weighted round robin (as nginx's) over
 * the active tasks not tried yet, or -1 if that one is not usable now
 * (the plain round robin then finds one).
 */

static long
ngx_http_swarm_sticky_ramp(ngx_http_swarm_sticky_data_t *sd, time_t now,
    uint64_t ms)
{
    long                       best;
    ngx_int_t                  total, w;
    ngx_uint_t                 i, j;
    ngx_http_swarm_view_t     *view;
    ngx_http_swarm_rpeer_t    *peer;
    ngx_http_swarm_backend_t  *b;

    view = sd->view;
    b = sd->backend;

    best = -1;
    total = 0;

    for (i = 0; i < b->nactive; i++) {
        j = b->active[i];

        if (sd->tried[j / NGX_HTTP_SWARM_BITS]
            & ((uintptr_t) 1 << j % NGX_HTTP_SWARM_BITS))
        {
            continue;
        }

        peer = &view->peers[j];
        w = ngx_http_swarm_weight(sd->up->slow_start, &view->tasks[j], ms);

        peer->current += w;
        total += w;

        if (best < 0 || peer->current > view->peers[best].current) {
            best = (long) j;
        }
    }

    if (best < 0) {
        return -1;
    }

    view->peers[best].current -= total;

    if (!ngx_http_swarm_sticky_usable(sd->up, &view->peers[best], now)) {
        return -1;
    }

    return best;
}


/*
 * Passive health as nginx's round robin has it, in the peer's cell, which
 * all workers share: a task that failed max_fails times, each within
 * fail_timeout of the last, is left out for fail_timeout; then one
 * request, of whichever worker comes first, tries it again.  A cell given
 * to another task since this copy was made counts as no failure.
 */

static ngx_int_t
ngx_http_swarm_sticky_usable(ngx_http_swarm_upstream_t *up,
    ngx_http_swarm_rpeer_t *peer, time_t now)
{
    ngx_atomic_uint_t       fails, checked;
    ngx_http_swarm_cell_t  *cell;

    cell = peer->cell;

    if (up->max_fails == 0 || cell->tag != peer->tag) {
        return 1;
    }

    fails = cell->fails;
    checked = cell->checked;

    if (fails < up->max_fails) {

        /* past fail_timeout, an answer clears the failures it has */

        if (fails && now - (time_t) checked > up->fail_timeout) {
            (void) ngx_atomic_cmp_set(&cell->checked, checked, now);
        }

        return 1;
    }

    if (now - (time_t) checked <= up->fail_timeout) {
        return 0;
    }

    /* the first request after fail_timeout is the one that tries it */

    return ngx_atomic_cmp_set(&cell->checked, checked, now);
}


/* the cookie naming a task: its value, its address or its keyed value */

static ngx_int_t
ngx_http_swarm_sticky_set_cookie(ngx_http_swarm_sticky_data_t *sd,
    u_char *value)
{
    u_char                         *p, *q;
    size_t                          len, nlen, vlen;
    ngx_uint_t                      secure;
    ngx_table_elt_t                *h;
    ngx_http_request_t             *r;
    const ngx_http_swarm_cookie_t  *ck;

    r = sd->request;
    ck = sd->backend->cookie;

    /* Secure, unless told otherwise, where the visitor came over TLS */

    secure = 0;

#if (NGX_HTTP_SSL)

    if (ck->auto_secure && r->connection->ssl) {
        secure = 1;
    }

#endif

    /* the response is the visitor's: no shared cache keeps it */

    sd->ctx->nocache = ck->nocache;

    /* NAME=VALUE, then what follows the value, made once */

    nlen = ngx_strlen(ck->name);
    vlen = ngx_strlen(value);
    len = nlen + 1 + vlen + ck->attrs_len[secure];

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = ngx_cpymem(p, ck->name, nlen);
    *q++ = '=';
    q = ngx_cpymem(q, value, vlen);
    ngx_memcpy(q, ck->attrs[secure], ck->attrs_len[secure]);

    h = sd->set_cookie;

    if (h == NULL) {
        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "Set-Cookie");
#if (nginx_version >= 1023000)
        h->next = NULL;
#endif

        sd->set_cookie = h;
    }

    /* a retry moves the visitor: the cookie names who answers */

    h->value.data = p;
    h->value.len = len;

    return NGX_OK;
}


static void
ngx_http_swarm_sticky_free_peer(ngx_peer_connection_t *pc, void *data,
    ngx_uint_t state)
{
    ngx_http_swarm_sticky_data_t *sd = data;

    time_t                   now;
    ngx_atomic_uint_t        fails;
    ngx_http_swarm_cell_t   *cell;
    ngx_http_swarm_rpeer_t  *peer;

    if (sd->current < 0) {
        return;
    }

    peer = &sd->view->peers[sd->current];
    cell = peer->cell;
    now = ngx_time();

    if (state & NGX_PEER_FAILED) {

        /* max_fails=0: failures are not counted */

        if (sd->up->max_fails && cell->tag == peer->tag) {
            (void) ngx_atomic_fetch_add(&cell->fails, 1);
            cell->accessed = now;
            cell->checked = now;
        }

        if (sd->view->counts) {
            sd->view->counts[sd->current].v[NGX_HTTP_SWARM_C_FAILURES]++;
        }

    } else {
        fails = cell->fails;

        if (fails && cell->accessed < cell->checked
            && cell->tag == peer->tag)
        {
            /*
             * it answered when tried after fail_timeout: the failures
             * seen are forgotten, not one another worker counts meanwhile
             */

            (void) ngx_atomic_cmp_set(&cell->fails, fails, 0);
        }
    }

    sd->current = -1;

    if (pc->tries) {
        pc->tries--;
    }
}


/*
 * A response that sets the route cookie gets "Cache-Control: private"
 * unless it has a Cache-Control of its own, as HAProxy's "nocache": no
 * shared cache hands one visitor's cookie to another.
 */

static ngx_int_t
ngx_http_swarm_sticky_header_filter(ngx_http_request_t *r)
{
    ngx_table_elt_t       *h;
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || !ctx->nocache || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

#if (nginx_version >= 1023000)
    if (r->headers_out.cache_control) {
        return ngx_http_next_header_filter(r);
    }
#else
    if (r->headers_out.cache_control.elts
        && r->headers_out.cache_control.nelts)
    {
        return ngx_http_next_header_filter(r);
    }
#endif

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "private");
#if (nginx_version >= 1023000)
    h->next = NULL;
    r->headers_out.cache_control = h;
#endif

    return ngx_http_next_header_filter(r);
}
