
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Discovery: the swarm_* directives, and in worker 0 the refresh of the
 * task sets from the Docker Engine API (through the transport of
 * ngx_http_swarm_curl.c), the events stream that says when to refresh,
 * and publication of changed sets into the zone of ngx_http_swarm_zone.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_curl.h"


#define NGX_HTTP_SWARM_PING       0
#define NGX_HTTP_SWARM_VERSION    1
#define NGX_HTTP_SWARM_SERVICES   2
#define NGX_HTTP_SWARM_TASKS      3
#define NGX_HTTP_SWARM_GONE       4

/* the phases of a /tasks answer, after reading (ngx_http_swarm_parse()) */
#define NGX_HTTP_SWARM_READ       0
#define NGX_HTTP_SWARM_MISSING    1
#define NGX_HTTP_SWARM_SETS       2
#define NGX_HTTP_SWARM_SORT       3
#define NGX_HTTP_SWARM_PUBLISH    4

/* tasks asked again by ID in one query, to fit the URL */
#define NGX_HTTP_SWARM_GONE_MAX   1000

#define NGX_HTTP_SWARM_MIN_API    "1.24"

/* after an event: refresh every 250ms until 8 refreshes change nothing */
#define NGX_HTTP_SWARM_FAST_INTERVAL  250
#define NGX_HTTP_SWARM_FAST_STABLE    8
#define NGX_HTTP_SWARM_FAST_MAX       60000

/* the longest the worker reads an answer before serving again, in ns */
#define NGX_HTTP_SWARM_SLICE          2000000

/* peers copied into shared memory a cycle */
#define NGX_HTTP_SWARM_PUBLISH_STEP   2048

#define NGX_HTTP_SWARM_EVENTS_LINE    65536
#define NGX_HTTP_SWARM_EVENTS_RETRY   30000


/* what worker 0 last published for an upstream, to compare with */

typedef struct {
    ngx_http_swarm_set_t        set;
    ngx_atomic_uint_t           generation;
    ngx_uint_t                  known;
} ngx_http_swarm_last_t;


typedef struct {
    ngx_http_swarm_main_conf_t  *mcf;
    ngx_log_t                  *log;
    ngx_http_swarm_curl_t       curl;
    ngx_http_swarm_get_t        get;
    ngx_event_t                 poll;
    ngx_uint_t                  step;
    ngx_uint_t                  selector;
    ngx_uint_t                  renegotiated;
    ngx_uint_t                  failures;
    ngx_uint_t                  phase;
    ngx_uint_t                  sorted;
    ngx_uint_t                  pub;
    ngx_http_swarm_peer_t      *pub_peers;
    size_t                      pub_copied;
    ngx_http_swarm_diff_t       pub_diff;
    ngx_uint_t                  pub_old;
    unsigned                    busy:1;
    unsigned                    ordered:1;
    char                        api_version[16];
    ngx_http_swarm_services_t   svcs;
    ngx_http_swarm_array_t      array;
    ngx_http_swarm_tasks_t     *tasks;
    ngx_http_swarm_report_t     report;
    ngx_event_t                 parse;
    ngx_http_swarm_set_t       *sets;
    ngx_http_swarm_last_t      *last;
    char                      **notes;
    char                        err[NGX_HTTP_SWARM_ERR_LEN];

    size_t                      sync_bytes;
    ngx_msec_t                  sync_start;
    uint64_t                    sync_cpu;
    uint64_t                    longest;

    ngx_uint_t                  changed;
    ngx_uint_t                  stable;
    ngx_msec_t                  fast_since;
    unsigned                    fast:1;
    unsigned                    again:1;
    unsigned                    initial:1;

    ngx_http_swarm_get_t        events;
    ngx_event_t                 events_retry;
    ngx_uint_t                  events_failures;
} ngx_http_swarm_client_t;


static void *ngx_http_swarm_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_swarm_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_swarm_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_swarm_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_swarm_endpoint_shown(ngx_pool_t *pool,
    ngx_str_t *endpoint, ngx_str_t *shown);
static char *ngx_http_swarm_service(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_swarm_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_swarm_init_process(ngx_cycle_t *cycle);
static void ngx_http_swarm_exit_process(ngx_cycle_t *cycle);

static ngx_int_t ngx_http_swarm_client_init(ngx_cycle_t *cycle,
    ngx_http_swarm_main_conf_t *mcf);
static void ngx_http_swarm_poll_handler(ngx_event_t *ev);
static void ngx_http_swarm_sync_start(ngx_http_swarm_client_t *cl);
static ngx_int_t ngx_http_swarm_request(ngx_http_swarm_client_t *cl,
    ngx_uint_t step, const char *path, json_t *filters);
static ngx_int_t ngx_http_swarm_next(ngx_http_swarm_client_t *cl);
static ngx_int_t ngx_http_swarm_gone(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_parse(ngx_event_t *ev);
static ngx_uint_t ngx_http_swarm_in_slice(uint64_t start);
static void ngx_http_swarm_handle(ngx_http_swarm_get_t *get);
static ngx_int_t ngx_http_swarm_api_version(ngx_http_swarm_client_t *cl);
static ngx_int_t ngx_http_swarm_refused_version(ngx_http_swarm_client_t *cl,
    long code);
static void ngx_http_swarm_http_error(ngx_http_swarm_client_t *cl,
    long code);
static void ngx_http_swarm_note(void *data, unsigned upstream,
    const char *service, const char *msg);
static void ngx_http_swarm_sync_done(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_sync_failed(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_sync_reset(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_look_now(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_events_start(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_events_retry(ngx_event_t *ev);
static void ngx_http_swarm_events_ready(ngx_http_swarm_get_t *get);
static void ngx_http_swarm_events_line(ngx_http_swarm_get_t *get,
    u_char *line, size_t len);
static ngx_uint_t ngx_http_swarm_event_changes(const char *action);
static void ngx_http_swarm_events_done(ngx_http_swarm_get_t *get);
static void ngx_http_swarm_publish_begin(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_published_peers(ngx_http_swarm_client_t *cl,
    ngx_uint_t i, ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view);
static void ngx_http_swarm_published(ngx_http_swarm_client_t *cl,
    ngx_uint_t i, ngx_int_t rc);
static void ngx_http_swarm_remember(ngx_http_swarm_last_t *last,
    ngx_http_swarm_set_t *set, ngx_atomic_uint_t generation);
static ngx_int_t ngx_http_swarm_publish(ngx_http_swarm_client_t *cl,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_set_t *set,
    ngx_http_swarm_last_t *last);


static ngx_command_t  ngx_http_swarm_commands[] = {

    { ngx_string("swarm_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_swarm_endpoint,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, interval),
      NULL },

    { ngx_string("swarm_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, timeout),
      NULL },

    { ngx_string("swarm_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, zone_size),
      NULL },

    { ngx_string("swarm_max_response"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, max_response),
      NULL },

    { ngx_string("swarm_service"),
      NGX_HTTP_UPS_CONF|NGX_CONF_1MORE,
      ngx_http_swarm_service,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_swarm_status,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_swarm_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_http_swarm_create_main_conf,       /* create main configuration */
    ngx_http_swarm_init_main_conf,         /* init main configuration */

    ngx_http_swarm_create_srv_conf,        /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_swarm_module = {
    NGX_MODULE_V1,
    &ngx_http_swarm_module_ctx,            /* module context */
    ngx_http_swarm_commands,               /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    ngx_http_swarm_init_module,            /* init module */
    ngx_http_swarm_init_process,           /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_swarm_exit_process,           /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_swarm_zone_name = ngx_string("swarm");

/* the paths of the requests of a sync, by step, for messages */
static const char  *ngx_http_swarm_steps[] = { "/_ping", "/version",
                                               "/services", "/tasks",
                                               "/tasks" };

static ngx_http_swarm_client_t  *ngx_http_swarm_client;


static void *
ngx_http_swarm_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->interval = NGX_CONF_UNSET_MSEC;
    mcf->timeout = NGX_CONF_UNSET_MSEC;
    mcf->zone_size = NGX_CONF_UNSET_SIZE;
    mcf->max_response = NGX_CONF_UNSET_SIZE;

    if (ngx_array_init(&mcf->upstreams, cf->pool, 4,
                       sizeof(ngx_http_swarm_upstream_t *))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->selectors, cf->pool, 4,
                       sizeof(ngx_http_swarm_selector_t))
        != NGX_OK)
    {
        return NULL;
    }

    return mcf;
}


static char *
ngx_http_swarm_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_swarm_main_conf_t *mcf = conf;

    ngx_str_t  endpoint = ngx_string("unix:/var/run/docker.sock");

    if (mcf->endpoint.len == 0) {
        mcf->endpoint = endpoint;
        mcf->shown = endpoint;
        ngx_str_set(&mcf->socket, "/var/run/docker.sock");
        ngx_str_set(&mcf->base, "http://localhost");
    }

    ngx_conf_init_msec_value(mcf->interval, 5000);
    ngx_conf_init_msec_value(mcf->timeout, 5000);
    ngx_conf_init_size_value(mcf->zone_size, 1024 * 1024);
    ngx_conf_init_size_value(mcf->max_response, 32 * 1024 * 1024);

    if (mcf->interval < 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_interval\" must be at least 100ms");
        return NGX_CONF_ERROR;
    }

    if (mcf->timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_timeout\" must not be zero");
        return NGX_CONF_ERROR;
    }

    if (mcf->zone_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_zone\" of %uz is too small, "
                           "at least %ui bytes", mcf->zone_size,
                           8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    if (mcf->max_response < 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_max_response\" must be at least 1k");
        return NGX_CONF_ERROR;
    }

    if (mcf->upstreams.nelts == 0) {
        return NGX_CONF_OK;
    }

    mcf->shm_zone = ngx_shared_memory_add(cf, &ngx_http_swarm_zone_name,
                                          mcf->zone_size,
                                          &ngx_http_swarm_module);
    if (mcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->zone.upstreams = &mcf->upstreams;

    mcf->shm_zone->init = ngx_http_swarm_zone_init;
    mcf->shm_zone->data = &mcf->zone;

    return NGX_CONF_OK;
}


static void *
ngx_http_swarm_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_swarm_upstream_t  *up;

    up = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_upstream_t));
    if (up == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     up->selectors = NULL;
     *     up->shm = NULL;
     *     up->view = NULL;
     */

    return up;
}


static char *
ngx_http_swarm_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_main_conf_t *mcf = conf;

    u_char     *p;
    ngx_str_t  *value;

    if (mcf->endpoint.len) {
        return "is duplicate";
    }

    value = cf->args->elts;
    mcf->endpoint = value[1];
    mcf->shown = value[1];

    if (value[1].len > 5 && ngx_strncmp(value[1].data, "unix:", 5) == 0) {
        mcf->socket.data = value[1].data + 5;
        mcf->socket.len = value[1].len - 5;
        ngx_str_set(&mcf->base, "http://localhost");

        if (mcf->socket.data[0] != '/') {
            return "invalid value: the socket path must be absolute";
        }

        return NGX_CONF_OK;
    }

    if (value[1].len > 7 && ngx_strncmp(value[1].data, "http://", 7) == 0) {
        mcf->base = value[1];

        /* drop a trailing slash: paths are added as "/v1.41/..." */

        p = mcf->base.data + mcf->base.len - 1;
        if (*p == '/') {
            *p = '\0';
            mcf->base.len--;
        }

        if (ngx_http_swarm_endpoint_shown(cf->pool, &mcf->base, &mcf->shown)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\": expected \"unix:/path\" or "
                       "\"http://host:port\"", &value[1]);

    return NGX_CONF_ERROR;
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

    host = endpoint->data + sizeof("http://") - 1;
    end = endpoint->data + endpoint->len;

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


static char *
ngx_http_swarm_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_upstream_t *up = conf;

    u_char                         *eq;
    ngx_int_t                       port;
    ngx_str_t                      *value, s;
    ngx_uint_t                      i;
    ngx_http_swarm_upstream_t     **upp;
    ngx_http_swarm_selector_t      *sel;
    ngx_http_swarm_main_conf_t     *mcf;
    ngx_http_upstream_server_t     *us;
    ngx_http_upstream_srv_conf_t   *uscf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);
    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    if (up->selectors == NULL) {
        up->selectors = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_swarm_selector_t));
        if (up->selectors == NULL) {
            return NGX_CONF_ERROR;
        }

        up->name = uscf->host;
        up->uscf = uscf;
        up->index = mcf->upstreams.nelts;

        upp = ngx_array_push(&mcf->upstreams);
        if (upp == NULL) {
            return NGX_CONF_ERROR;
        }

        *upp = up;

        if (uscf->peer.init_upstream) {
            ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                               "load balancing method redefined");
        }

        uscf->peer.init_upstream = ngx_http_swarm_sticky_init_upstream;

        /*
         * the upstream block wants at least one server: an entry with
         * no address stands for the tasks, and the balancer checks
         * that it is the only one
         */

        us = ngx_array_push(uscf->servers);
        if (us == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(us, sizeof(ngx_http_upstream_server_t));
        ngx_str_set(&us->name, "swarm");
    }

    sel = ngx_array_push(up->selectors);
    if (sel == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(sel, sizeof(ngx_http_swarm_selector_t));
    sel->upstream = up->index;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        /* the configuration parser ends every word with '\0' */

        if (ngx_strncmp(value[i].data, "label=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            eq = ngx_strlchr(s.data, s.data + s.len, '=');

            if (sel->label_key || sel->name || eq == NULL || eq == s.data) {
                goto invalid;
            }

            sel->label_key = ngx_pnalloc(cf->pool, eq - s.data + 1);
            if (sel->label_key == NULL) {
                return NGX_CONF_ERROR;
            }

            ngx_cpystrn((u_char *) sel->label_key, s.data, eq - s.data + 1);
            sel->label_value = (const char *) eq + 1;

            continue;
        }

        if (ngx_strncmp(value[i].data, "name=", 5) == 0) {
            if (sel->label_key || sel->name || value[i].len == 5) {
                goto invalid;
            }

            sel->name = (const char *) value[i].data + 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "network=", 8) == 0) {
            if (sel->network || value[i].len == 8) {
                goto invalid;
            }

            if (value[i].len - 8 >= NGX_HTTP_SWARM_NAME_LEN) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid parameter \"%V\": Docker "
                                   "allows network names of at most %d "
                                   "bytes", &value[i],
                                   NGX_HTTP_SWARM_NAME_LEN - 1);
                return NGX_CONF_ERROR;
            }

            sel->network = (const char *) value[i].data + 8;
            continue;
        }

        if (ngx_strncmp(value[i].data, "port=", 5) == 0) {
            port = ngx_atoi(value[i].data + 5, value[i].len - 5);

            if (sel->port || port < 1 || port > 65535) {
                goto invalid;
            }

            sel->port = (unsigned) port;
            continue;
        }

        goto invalid;
    }

    if (sel->label_key == NULL && sel->name == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_service\" needs \"label=KEY=VALUE\" "
                           "or \"name=NAME\"");
        return NGX_CONF_ERROR;
    }

    sel = ngx_array_push(&mcf->selectors);
    if (sel == NULL) {
        return NGX_CONF_ERROR;
    }

    *sel = ((ngx_http_swarm_selector_t *) up->selectors->elts)
                                                   [up->selectors->nelts - 1];

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NGX_CONF_ERROR;
}


static char *
ngx_http_swarm_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_swarm_status_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_swarm_init_module(ngx_cycle_t *cycle)
{
    ngx_http_swarm_main_conf_t  *mcf;

    if (ngx_http_swarm_curl_global_init(cycle->log) != NGX_OK) {
        return NGX_ERROR;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_swarm_module);

    if (mcf == NULL || mcf->upstreams.nelts == 0) {
        return NGX_OK;
    }

    return ngx_http_swarm_zone_wake_init(cycle, &mcf->zone);
}


/* one process asks Docker: worker 0, which the master respawns as 0 */

static ngx_int_t
ngx_http_swarm_init_process(ngx_cycle_t *cycle)
{
    ngx_http_swarm_main_conf_t  *mcf;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_swarm_module);

    if (mcf == NULL || mcf->upstreams.nelts == 0) {
        return NGX_OK;
    }

    /* a new worker 0 takes the zone over from the last configuration's */

    if (ngx_worker == 0 && !ngx_http_swarm_zone_claim(&mcf->zone, cycle->log))
    {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "swarm: a newer configuration asks Docker");
        return ngx_http_swarm_views_init(cycle, &mcf->zone);
    }

    if (ngx_http_swarm_views_init(cycle, &mcf->zone) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    if (ngx_http_swarm_client_init(cycle, mcf) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "swarm: discovery could not start");
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_client_init(ngx_cycle_t *cycle,
    ngx_http_swarm_main_conf_t *mcf)
{
    ngx_uint_t                   i;
    ngx_http_swarm_client_t     *cl;
    ngx_http_swarm_upstream_t  **upp;

    cl = ngx_pcalloc(cycle->pool, sizeof(ngx_http_swarm_client_t));
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->mcf = mcf;
    cl->log = cycle->log;

    /* nothing known: the first sync asks for the tasks being stopped */

    cl->initial = 1;
    upp = mcf->upstreams.elts;

    for (i = 0; i < mcf->upstreams.nelts; i++) {
        if (upp[i]->view->npeers) {
            cl->initial = 0;
        }
    }

    cl->sets = ngx_pcalloc(cycle->pool,
                           mcf->upstreams.nelts
                           * sizeof(ngx_http_swarm_set_t));
    cl->last = ngx_pcalloc(cycle->pool,
                           mcf->upstreams.nelts
                           * sizeof(ngx_http_swarm_last_t));
    cl->notes = ngx_pcalloc(cycle->pool, mcf->upstreams.nelts
                                         * sizeof(char *));
    if (cl->sets == NULL || cl->last == NULL || cl->notes == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_curl_init(&cl->curl, cycle->log, &mcf->base,
                                 &mcf->socket, mcf->timeout)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cl->get.data = cl;
    cl->get.done = ngx_http_swarm_handle;

    cl->events.data = cl;
    cl->events.done = ngx_http_swarm_events_done;
    cl->events.ready = ngx_http_swarm_events_ready;
    cl->events.line = ngx_http_swarm_events_line;

    if (ngx_http_swarm_get_init(&cl->get, &cl->curl, cycle->pool,
                                mcf->max_response)
        != NGX_OK
        || ngx_http_swarm_get_init(&cl->events, &cl->curl, cycle->pool,
                                   NGX_HTTP_SWARM_EVENTS_LINE)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    cl->events_retry.handler = ngx_http_swarm_events_retry;
    cl->events_retry.data = cl;
    cl->events_retry.log = cycle->log;
    cl->events_retry.cancelable = 1;

    cl->poll.handler = ngx_http_swarm_poll_handler;
    cl->poll.data = cl;
    cl->poll.log = cycle->log;
    cl->poll.cancelable = 1;

    cl->parse.handler = ngx_http_swarm_parse;
    cl->parse.data = cl;
    cl->parse.log = cycle->log;

    cl->report.handler = ngx_http_swarm_note;
    cl->report.data = cl;

    cl->tasks = ngx_http_swarm_tasks_create();
    if (cl->tasks == NULL) {
        return NGX_ERROR;
    }

    ngx_http_swarm_client = cl;

    /* the first sync at once: tasks appear as soon as Docker answers */

    ngx_add_timer(&cl->poll, 1);

    return NGX_OK;
}


static void
ngx_http_swarm_poll_handler(ngx_event_t *ev)
{
    ngx_http_swarm_client_t *cl = ev->data;

    /* on its way out, or a newer configuration's worker 0 asks now */

    if (!ngx_http_swarm_zone_writer(&cl->mcf->zone)) {
        return;
    }

    ngx_http_swarm_sync_start(cl);
}


/*
 * A sync: negotiate the API version when none is known, ask /services
 * once for each selector, then /tasks once for all matched services.
 */

static void
ngx_http_swarm_sync_start(ngx_http_swarm_client_t *cl)
{
    if (cl->busy) {
        return;
    }

    cl->busy = 1;
    cl->renegotiated = 0;
    cl->sync_bytes = 0;
    cl->sync_cpu = 0;
    cl->longest = 0;
    cl->curl.longest = 0;

    ngx_time_update();
    cl->sync_start = ngx_current_msec;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                   "swarm: sync with %V", &cl->mcf->shown);

    if (cl->api_version[0] == '\0') {
        if (ngx_http_swarm_request(cl, NGX_HTTP_SWARM_PING, "/_ping", NULL)
            != NGX_OK)
        {
            ngx_http_swarm_sync_failed(cl);
        }

        return;
    }

    cl->selector = 0;

    if (ngx_http_swarm_next(cl) != NGX_OK) {
        ngx_http_swarm_sync_failed(cl);
    }
}


static ngx_int_t
ngx_http_swarm_request(ngx_http_swarm_client_t *cl, ngx_uint_t step,
    const char *path, json_t *filters)
{
    cl->step = step;

    return ngx_http_swarm_get(&cl->get,
                              (step == NGX_HTTP_SWARM_PING
                               || step == NGX_HTTP_SWARM_VERSION)
                              ? NULL : cl->api_version,
                              path, filters, cl->err, sizeof(cl->err));
}


/* the next /services query, or /tasks when all are done */

static ngx_int_t
ngx_http_swarm_next(ngx_http_swarm_client_t *cl)
{
    json_t                     *filters, *list;
    ngx_int_t                   rc;
    ngx_uint_t                  i;
    ngx_http_swarm_selector_t  *sel;

    if (cl->selector < cl->mcf->selectors.nelts) {
        sel = cl->mcf->selectors.elts;
        sel = &sel[cl->selector];

        if (sel->label_key) {
            list = json_pack("[s++]", sel->label_key, "=", sel->label_value);
            filters = json_pack("{so}", "label", list);

        } else {
            filters = json_pack("{s[s]}", "name", sel->name);
        }

        if (filters == NULL) {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "out of memory%Z");
            return NGX_ERROR;
        }

        rc = ngx_http_swarm_request(cl, NGX_HTTP_SWARM_SERVICES, "/services",
                                    filters);
        json_decref(filters);

        return rc;
    }

    if (cl->svcs.n == 0) {
        /* no service: empty sets to publish */
        ngx_http_swarm_publish_begin(cl);
        ngx_post_event(&cl->parse, &ngx_posted_next_events);
        return NGX_OK;
    }

    /* each service once, though several selectors may match it */

    ngx_http_swarm_services_sort(&cl->svcs);

    list = json_array();

    for (i = 0; list && i < cl->svcs.n; i++) {
        if (i > 0 && ngx_strcmp(cl->svcs.services[i].id,
                                cl->svcs.services[i - 1].id) == 0)
        {
            continue;
        }

        if (json_array_append_new(list,
                                  json_string(cl->svcs.services[i].id))
            != 0)
        {
            json_decref(list);
            list = NULL;
        }
    }

    /*
     * Swarm keeps the history of each slot (5 tasks by default), all of
     * them shut down: only the tasks it wants running are asked for.  A
     * task it is stopping leaves this list while its container still
     * runs; the tasks that were peers and are missing are then asked by
     * ID (ngx_http_swarm_gone()).  Until a sync has succeeded with no
     * task known, the tasks it stops are asked for too, history and all:
     * those still running drain.
     */

    if (list && cl->initial) {
        filters = json_pack("{so s[sss]}", "service", list,
                            "desired-state", "running", "shutdown",
                            "remove");

    } else {
        filters = list ? json_pack("{so s[s]}", "service", list,
                                   "desired-state", "running")
                       : NULL;
    }

    if (filters == NULL) {
        ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                     "out of memory%Z");
        return NGX_ERROR;
    }

    rc = ngx_http_swarm_request(cl, NGX_HTTP_SWARM_TASKS, "/tasks", filters);
    json_decref(filters);

    return rc;
}


/*
 * The tasks published last time and missing from the tasks Swarm wants
 * running: those it stops, which drain while their container runs, and
 * those that are gone.  One query by ID tells which.
 */

static ngx_int_t
ngx_http_swarm_gone(ngx_http_swarm_client_t *cl)
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
    upp = cl->mcf->upstreams.elts;

    for (i = 0; i < cl->mcf->upstreams.nelts; i++) {

        ngx_http_swarm_published_peers(cl, i, &tasks, &npeers, &view);

        for (k = 0; k < npeers && n < NGX_HTTP_SWARM_GONE_MAX; k++) {
            known = ngx_http_swarm_tasks_known(cl->tasks, tasks[k].task);
            if (known == 1) {
                continue;
            }

            if (known == -1
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
        return NGX_DECLINED;
    }

    filters = json_pack("{so}", "id", list);
    if (filters == NULL) {
        goto nomem;
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                   "swarm: %ui tasks no longer wanted running", n);

    rc = ngx_http_swarm_request(cl, NGX_HTTP_SWARM_GONE, "/tasks", filters);
    json_decref(filters);

    return rc;

nomem:

    ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                 "out of memory%Z");
    return NGX_ERROR;
}


static void
ngx_http_swarm_handle(ngx_http_swarm_get_t *get)
{
    long                         code;
    u_char                      *p;
    ngx_http_swarm_client_t     *cl;
    ngx_http_swarm_main_conf_t  *mcf;

    cl = get->data;
    mcf = cl->mcf;

    if (get->error) {
        if (get->overflow) {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "GET %s: answer larger than swarm_max_response "
                         "%uz bytes%Z", ngx_http_swarm_steps[cl->step],
                         mcf->max_response);

        } else {
            p = ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                             "GET %s: %s", ngx_http_swarm_steps[cl->step],
                             get->error);
            if (get->os_errno) {
                p = ngx_snprintf(p, (u_char *) cl->err + sizeof(cl->err) - 1
                                    - p, " (%s)",
                                 strerror((int) get->os_errno));
            }

            *p = '\0';
        }

        ngx_http_swarm_sync_failed(cl);
        return;
    }

    code = get->code;

    cl->sync_bytes += get->len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                   "swarm: GET %s: %l, %uz bytes",
                   ngx_http_swarm_steps[cl->step], code, get->len);

    if (ngx_http_swarm_refused_version(cl, code) == NGX_OK) {
        return;
    }

    if (code < 200 || code > 299) {
        ngx_http_swarm_http_error(cl, code);
        ngx_http_swarm_sync_failed(cl);
        return;
    }

    switch (cl->step) {

    case NGX_HTTP_SWARM_PING:
    case NGX_HTTP_SWARM_VERSION:

        if (ngx_http_swarm_api_version(cl) != NGX_OK) {
            ngx_http_swarm_sync_failed(cl);
            return;
        }

        if (cl->api_version[0] == '\0') {
            if (ngx_http_swarm_request(cl, NGX_HTTP_SWARM_VERSION,
                                       "/version", NULL)
                != NGX_OK)
            {
                ngx_http_swarm_sync_failed(cl);
            }

            return;
        }

        cl->selector = 0;

        if (ngx_http_swarm_next(cl) != NGX_OK) {
            ngx_http_swarm_sync_failed(cl);
        }

        return;

    case NGX_HTTP_SWARM_SERVICES:
        ngx_http_swarm_array_init(&cl->array, (char *) get->body, get->len);
        break;

    case NGX_HTTP_SWARM_TASKS:
        ngx_http_swarm_tasks_begin(cl->tasks);
        ngx_http_swarm_tasks_feed(cl->tasks, (char *) get->body, get->len);
        break;

    default: /* NGX_HTTP_SWARM_GONE */
        ngx_http_swarm_tasks_feed(cl->tasks, (char *) get->body, get->len);
        break;
    }

    /* called from curl callbacks, where curl may not be called again */

    cl->phase = NGX_HTTP_SWARM_READ;
    ngx_post_event(&cl->parse, &ngx_posted_events);
}


/*
 * The answers of /services and /tasks are read a few elements at a time,
 * for at most NGX_HTTP_SWARM_SLICE at once: between slices the worker
 * goes back to its connections, so a large swarm never stalls requests.
 */

static void
ngx_http_swarm_parse(ngx_event_t *ev)
{
    ngx_int_t                    rc;
    ngx_uint_t                   i, again;
    uint64_t                     start, cpu;
    ngx_http_swarm_selector_t   *sel;
    ngx_http_swarm_client_t     *cl;
    ngx_http_swarm_upstream_t  **upp;
    ngx_http_swarm_main_conf_t  *mcf;

    cl = ev->data;
    mcf = cl->mcf;
    sel = mcf->selectors.elts;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    cpu = ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID);

    again = 1;

    switch (cl->phase) {

    case NGX_HTTP_SWARM_READ:

        do {
            if (cl->step == NGX_HTTP_SWARM_SERVICES) {
                rc = ngx_http_swarm_services_read(&cl->array,
                                                  &sel[cl->selector],
                                                  &cl->svcs, &cl->report, 4,
                                                  cl->err, sizeof(cl->err));

            } else {
                rc = ngx_http_swarm_tasks_read(cl->tasks, 4, cl->err,
                                               sizeof(cl->err));
            }

        } while (rc == 1 && ngx_http_swarm_in_slice(start));

        if (rc == 1) {
            break;
        }

        if (rc != 0) {
            goto failed;
        }

        if (cl->step == NGX_HTTP_SWARM_SERVICES) {
            cl->selector++;
            again = 0;

            if (ngx_http_swarm_next(cl) != NGX_OK) {
                goto failed;
            }

            break;
        }

        cl->phase = (cl->step == NGX_HTTP_SWARM_TASKS)
                    ? NGX_HTTP_SWARM_MISSING : NGX_HTTP_SWARM_SETS;
        break;

    case NGX_HTTP_SWARM_MISSING:

        rc = ngx_http_swarm_gone(cl);

        if (rc == NGX_ERROR) {
            goto failed;
        }

        if (rc == NGX_OK) {
            /* the answer comes */
            cl->phase = NGX_HTTP_SWARM_READ;
            again = 0;
            break;
        }

        cl->phase = NGX_HTTP_SWARM_SETS;
        break;

    case NGX_HTTP_SWARM_SETS:

        do {
            rc = ngx_http_swarm_tasks_sets(cl->tasks, &cl->svcs, cl->sets,
                                           mcf->upstreams.nelts, &cl->report,
                                           64, cl->err, sizeof(cl->err));
        } while (rc == 1 && ngx_http_swarm_in_slice(start));

        if (rc == 1) {
            break;
        }

        if (rc != 0) {
            for (i = 0; i < mcf->upstreams.nelts; i++) {
                cl->sets[i].n = 0;
            }

            goto failed;
        }

        cl->phase = NGX_HTTP_SWARM_SORT;
        cl->sorted = 0;
        cl->ordered = 0;
        break;

    case NGX_HTTP_SWARM_SORT:

        /* an upstream in two cycles: the order, then the peers moved */

        if (!cl->ordered) {
            ngx_http_swarm_set_order(&cl->sets[cl->sorted]);
            cl->ordered = 1;
            break;
        }

        ngx_http_swarm_set_finish(&cl->sets[cl->sorted], cl->sorted,
                                  &cl->report);
        cl->ordered = 0;

        if (++cl->sorted == mcf->upstreams.nelts) {
            ngx_http_swarm_publish_begin(cl);
        }

        break;

    default: /* NGX_HTTP_SWARM_PUBLISH */

        /* one upstream after another, a large set over several cycles */

        upp = mcf->upstreams.elts;

        rc = ngx_http_swarm_publish(cl, upp[cl->pub], &cl->sets[cl->pub],
                                    &cl->last[cl->pub]);
        if (rc == NGX_AGAIN) {
            break;
        }

        ngx_http_swarm_published(cl, cl->pub, rc);

        if (++cl->pub < mcf->upstreams.nelts) {
            break;
        }

        cl->sync_cpu += ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID) - cpu;
        ngx_http_swarm_longest(&cl->longest, start);

        cl->phase = NGX_HTTP_SWARM_READ;
        ngx_http_swarm_sync_done(cl);
        return;
    }

    cl->sync_cpu += ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID) - cpu;

    ngx_http_swarm_longest(&cl->longest, start);

    /* each phase, and each slice of a long one, in a cycle of its own */

    if (again) {
        ngx_post_event(ev, &ngx_posted_next_events);
    }

    return;

failed:

    cl->phase = NGX_HTTP_SWARM_READ;
    ngx_http_swarm_sync_failed(cl);
}


/* whether a step begun at start may go on */

static ngx_uint_t
ngx_http_swarm_in_slice(uint64_t start)
{
    return ngx_http_swarm_clock(CLOCK_MONOTONIC) - start
           < NGX_HTTP_SWARM_SLICE;
}


static ngx_int_t
ngx_http_swarm_api_version(ngx_http_swarm_client_t *cl)
{
    json_t                      *root, *v;
    json_error_t                 jerr;
    const char                  *s;
    ngx_http_swarm_main_conf_t  *mcf;
    char                         version[16];

    mcf = cl->mcf;

    if (cl->step == NGX_HTTP_SWARM_PING) {
        s = cl->get.api_version;

    } else {
        root = json_loadb((char *) cl->get.body, cl->get.len, 0, &jerr);
        v = json_object_get(root, "ApiVersion");
        s = json_is_string(v) ? json_string_value(v) : "";

        if (ngx_strlen(s) >= sizeof(version)) {
            s = "";
        }

        ngx_cpystrn((u_char *) version, (u_char *) s, sizeof(version));
        json_decref(root);

        s = version;

        if (s[0] == '\0') {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "GET /version: no API version in the answer%Z");
            return NGX_ERROR;
        }
    }

    if (s[0] == '\0') {
        /* no Api-Version header: ask /version */
        return NGX_OK;
    }

    if (ngx_strchr(s, '.') == NULL
        || ngx_atoi((u_char *) s, ngx_strchr(s, '.') - s) != 1
        || ngx_atoi((u_char *) ngx_strchr(s, '.') + 1,
                    ngx_strlen(ngx_strchr(s, '.') + 1))
           < 24)
    {
        ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                     "engine API version \"%s\" is older than "
                     NGX_HTTP_SWARM_MIN_API "%Z", s);
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) cl->api_version, (u_char *) s,
                sizeof(cl->api_version));

    ngx_http_swarm_zone_set_version(&mcf->zone, cl->api_version);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                   "swarm: API version %s", cl->api_version);

    return NGX_OK;
}


/* HTTP 400 "client version X is too old/too new": negotiate again */

static ngx_int_t
ngx_http_swarm_refused_version(ngx_http_swarm_client_t *cl, long code)
{
    if (code != 400 || cl->step == NGX_HTTP_SWARM_PING
        || cl->step == NGX_HTTP_SWARM_VERSION || cl->renegotiated)
    {
        return NGX_DECLINED;
    }

    if (ngx_strlcasestrn(cl->get.body, cl->get.body + cl->get.len,
                         (u_char *) "client version", 14 - 1)
        == NULL)
    {
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_NOTICE, cl->log, 0,
                  "swarm: %V refused API version %s, negotiating again",
                  &cl->mcf->shown, cl->api_version);

    cl->renegotiated = 1;
    cl->api_version[0] = '\0';
    ngx_http_swarm_services_free(&cl->svcs);

    if (ngx_http_swarm_request(cl, NGX_HTTP_SWARM_PING, "/_ping", NULL)
        != NGX_OK)
    {
        ngx_http_swarm_sync_failed(cl);
    }

    return NGX_OK;
}


static void
ngx_http_swarm_http_error(ngx_http_swarm_client_t *cl, long code)
{
    json_t        *root, *msg;
    json_error_t   jerr;

    root = json_loadb((char *) cl->get.body, cl->get.len, 0, &jerr);
    msg = json_object_get(root, "message");

    ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                 "GET %s: HTTP %l%s%s%Z", ngx_http_swarm_steps[cl->step],
                 code, json_is_string(msg) ? ": " : "",
                 json_is_string(msg) ? json_string_value(msg) : "");

    json_decref(root);
}


static void
ngx_http_swarm_note(void *data, unsigned upstream, const char *service,
    const char *msg)
{
    ngx_http_swarm_client_t *cl = data;

    size_t  len;
    char   *note;

    len = ngx_strlen(service) + ngx_strlen(msg) + sizeof("service \"\": ");

    note = ngx_alloc(len, cl->log);
    if (note == NULL) {
        return;
    }

    ngx_snprintf((u_char *) note, len, "service \"%s\": %s%Z", service, msg);

    /* the first note of a sync for an upstream is the one shown */

    if (cl->notes[upstream]) {
        ngx_free(note);
        return;
    }

    cl->notes[upstream] = note;
}


static void
ngx_http_swarm_publish_begin(ngx_http_swarm_client_t *cl)
{
    cl->phase = NGX_HTTP_SWARM_PUBLISH;
    cl->pub = 0;
    cl->changed = 0;
}


/* an upstream published, or its set kept: its time and its problems */

static void
ngx_http_swarm_published(ngx_http_swarm_client_t *cl, ngx_uint_t i,
    ngx_int_t rc)
{
    size_t                       len;
    ngx_http_swarm_upstream_t  **upp;
    u_char                       note[NGX_HTTP_SWARM_ESC_LEN];

    upp = cl->mcf->upstreams.elts;

    if (rc == NGX_ABORT) {
        return;
    }

    if (rc == NGX_OK) {
        cl->changed++;
    }

    ngx_time_update();

    /* a set that does not fit: the error shows, the last sync stays */

    len = cl->notes[i] ? ngx_strlen(cl->notes[i]) : 0;

    if (ngx_http_swarm_zone_set_error(upp[i], len ? cl->notes[i] : "", len,
                                      rc == NGX_ERROR ? 0 : ngx_time())
        == NGX_OK && len)
    {
        (void) ngx_http_swarm_escape(note, sizeof(note),
                                     (u_char *) cl->notes[i], len);

        ngx_log_error(NGX_LOG_ERR, cl->log, 0,
                      "swarm: upstream \"%V\": %s", &upp[i]->name, note);
    }
}


static void
ngx_http_swarm_sync_done(ngx_http_swarm_client_t *cl)
{
    size_t                       parsed, reused;
    ngx_msec_t                   delay;
    ngx_http_swarm_shm_t        *sh;
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = cl->mcf;

    if (cl->failures) {
        ngx_log_error(NGX_LOG_NOTICE, cl->log, 0,
                      "swarm: Docker API at %V answers again",
                      &mcf->shown);
    }

    cl->failures = 0;
    cl->initial = 0;

    ngx_http_swarm_tasks_counts(cl->tasks, &parsed, &reused);

    sh = mcf->zone.sh;

    if (ngx_http_swarm_zone_writer(&mcf->zone)) {
        sh->sync_bytes = cl->sync_bytes;
        sh->sync_msec = ngx_current_msec - cl->sync_start;
        sh->sync_cpu_usec = cl->sync_cpu / 1000;
        sh->sync_parsed = parsed;
        sh->sync_reused = reused;
        sh->sync_longest_usec = ngx_max(cl->longest, cl->curl.longest)
                                / 1000;
    }

    ngx_http_swarm_sync_reset(cl);

    /* after an event, refresh often until the task sets settle */

    cl->stable = cl->changed ? 0 : cl->stable + 1;

    if (cl->again) {
        cl->again = 0;
        delay = 1;

    } else if (cl->fast && cl->stable < NGX_HTTP_SWARM_FAST_STABLE
               && ngx_current_msec - cl->fast_since
                  < NGX_HTTP_SWARM_FAST_MAX)
    {
        delay = ngx_min(NGX_HTTP_SWARM_FAST_INTERVAL, mcf->interval);

    } else {
        cl->fast = 0;
        delay = mcf->interval;
    }

    ngx_add_timer(&cl->poll, delay);

    if (!cl->events.active && !cl->events_retry.timer_set) {
        ngx_http_swarm_events_start(cl);
    }
}


static void
ngx_http_swarm_sync_failed(ngx_http_swarm_client_t *cl)
{
    size_t                       len;
    ngx_msec_t                   delay;
    ngx_uint_t                   i;
    ngx_http_swarm_upstream_t  **upp;
    ngx_http_swarm_main_conf_t  *mcf;
    u_char                       err[NGX_HTTP_SWARM_ESC_LEN];

    mcf = cl->mcf;
    upp = mcf->upstreams.elts;

    len = ngx_strlen(cl->err);

    /* what Docker said, with no line breaks to forge log lines with */

    (void) ngx_http_swarm_escape(err, sizeof(err), (u_char *) cl->err, len);

    if (cl->failures == 0) {
        ngx_log_error(NGX_LOG_ERR, cl->log, 0,
                      "swarm: Docker API at %V failed: %s; "
                      "keeping the last task sets of all upstreams",
                      &mcf->shown, err);

    } else {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                       "swarm: Docker API at %V failed again: %s",
                       &mcf->shown, err);
    }

    for (i = 0; i < mcf->upstreams.nelts; i++) {
        (void) ngx_http_swarm_zone_set_error(upp[i], cl->err, len, 0);
    }

    cl->failures++;

    /*
     * the tasks being stopped are asked once: on a large swarm their
     * history alone may be more than swarm_max_response
     */

    if (cl->step == NGX_HTTP_SWARM_TASKS) {
        cl->initial = 0;
    }

    /* a refused or broken version may be fixed by negotiating again */

    cl->api_version[0] = '\0';

    ngx_http_swarm_sync_reset(cl);

    delay = 1000 << ngx_min(cl->failures - 1, 10);
    delay = ngx_min(delay, mcf->interval);

    cl->again = 0;

    ngx_add_timer(&cl->poll, delay);
}


static void
ngx_http_swarm_sync_reset(ngx_http_swarm_client_t *cl)
{
    ngx_uint_t  i;

    for (i = 0; i < cl->mcf->upstreams.nelts; i++) {
        cl->sets[i].n = 0;

        if (cl->notes[i]) {
            ngx_free(cl->notes[i]);
            cl->notes[i] = NULL;
        }
    }

    cl->svcs.n = 0;
    cl->busy = 0;
    cl->err[0] = '\0';

    ngx_http_swarm_get_trim(&cl->get);
}


/* an event: something in the swarm changed, refresh now */

static void
ngx_http_swarm_look_now(ngx_http_swarm_client_t *cl)
{
    cl->fast = 1;
    cl->stable = 0;
    cl->fast_since = ngx_current_msec;

    if (cl->busy) {
        cl->again = 1;
        return;
    }

    if (cl->failures) {
        /* the API is failing: keep to the backoff */
        return;
    }

    if (cl->poll.posted) {
        return;
    }

    if (cl->poll.timer_set) {
        ngx_del_timer(&cl->poll);
    }

    /* called from curl callbacks, where curl may not be called again */

    ngx_post_event(&cl->poll, &ngx_posted_events);
}


/*
 * GET /events is only a signal to look now: Docker sends no task events,
 * and whatever an event says, the task set comes from /tasks.
 */

static void
ngx_http_swarm_events_start(ngx_http_swarm_client_t *cl)
{
    json_t  *filters;
    char     err[NGX_HTTP_SWARM_ERR_LEN];

    if (cl->events.active || cl->api_version[0] == '\0'
        || ngx_exiting || ngx_terminate || ngx_quit)
    {
        return;
    }

    filters = json_pack("{s[sss]s[sssssssss]}",
                        "type", "service", "container", "network",
                        "event", "create", "update", "remove", "start",
                        "die", "destroy", "health_status", "connect",
                        "disconnect");
    if (filters == NULL) {
        return;
    }

    if (ngx_http_swarm_get(&cl->events, cl->api_version, "/events", filters,
                           err, sizeof(err))
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, cl->log, 0, "swarm: %s", err);
    }

    json_decref(filters);
}


static void
ngx_http_swarm_events_retry(ngx_event_t *ev)
{
    ngx_http_swarm_client_t *cl = ev->data;

    ngx_http_swarm_events_start(cl);
}


/* the stream is answered: after a failure, what happened meanwhile */

static void
ngx_http_swarm_events_ready(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_client_t *cl = get->data;

    if (cl->events_failures) {
        ngx_log_error(NGX_LOG_NOTICE, cl->log, 0,
                      "swarm: events stream at %V is back",
                      &cl->mcf->shown);

        cl->events_failures = 0;

        ngx_http_swarm_look_now(cl);
    }
}


static void
ngx_http_swarm_events_line(ngx_http_swarm_get_t *get, u_char *line,
    size_t len)
{
    ngx_http_swarm_client_t *cl = get->data;

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
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                       "swarm: an event that is no JSON object, ignored");
        json_decref(ev);
        return;
    }

    action = json_string_value(json_object_get(ev, "Action"));

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, cl->log, 0, "swarm: event %s %s",
                   json_string_value(json_object_get(ev, "Type")), action);

    /* an engine or a proxy that does not filter: the same filter here */

    changes = ngx_http_swarm_event_changes(action);

    json_decref(ev);

    if (changes) {
        ngx_http_swarm_look_now(cl);
    }
}


/*
 * Whether an event's action may change a task set: a service created,
 * updated or removed, a container started, dead, gone or newly healthy,
 * a network (dis)connected.  Health checks and "docker exec" make exec_*
 * events all the time, and resize, top and attach change nothing.
 */

static ngx_uint_t
ngx_http_swarm_event_changes(const char *action)
{
    size_t              len;
    ngx_uint_t          i;
    const char         *colon;
    static const char  *actions[] = { "create", "update", "remove", "start",
                                      "die", "destroy", "health_status",
                                      "connect", "disconnect", NULL };

    if (action == NULL) {
        return 0;
    }

    /* "health_status: healthy", "exec_start: sh -c ...": the part before */

    colon = ngx_strchr(action, ':');
    len = colon ? (size_t) (colon - action) : ngx_strlen(action);

    for (i = 0; actions[i]; i++) {
        if (ngx_strlen(actions[i]) == len
            && ngx_strncmp(action, actions[i], len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
ngx_http_swarm_events_done(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_client_t *cl = get->data;

    ngx_msec_t   delay;
    const char  *why;

    if (get->error) {
        why = get->error;

    } else if (get->code != 200) {
        why = "refused";

    } else {
        why = "ended";
    }

    if (cl->events_failures == 0) {
        ngx_log_error(NGX_LOG_WARN, cl->log, 0,
                      "swarm: events stream at %V %s (HTTP %l); polling "
                      "every %M ms and reconnecting",
                      &cl->mcf->shown, why, get->code, cl->mcf->interval);
    }

    cl->events_failures++;

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    delay = 1000 << ngx_min(cl->events_failures - 1, 5);
    delay = ngx_min(delay, NGX_HTTP_SWARM_EVENTS_RETRY);

    ngx_add_timer(&cl->events_retry, delay);
}


/*
 * Parse and compare outside any lock; the zone's write lock only swaps
 * the array and bumps the generation (ngx_http_swarm_zone_publish()).
 */

/*
 * What an upstream has published: worker 0's copy of it, while that is
 * what shared memory holds, else (after a reload, say) the worker's view
 * of shared memory, brought up to date and acquired for the caller to
 * release (*view is NULL for the copy).
 */

static void
ngx_http_swarm_published_peers(ngx_http_swarm_client_t *cl, ngx_uint_t i,
    ngx_http_swarm_peer_t **peers, ngx_uint_t *n,
    ngx_http_swarm_view_t **view)
{
    ngx_http_swarm_last_t       *last;
    ngx_http_swarm_upstream_t  **upp;

    upp = cl->mcf->upstreams.elts;
    last = &cl->last[i];

    if (last->known && last->generation == upp[i]->shm->generation) {
        *peers = last->set.peers;
        *n = last->set.n;
        *view = NULL;
        return;
    }

    *view = ngx_http_swarm_view_current(upp[i], cl->log);

    *peers = (*view)->tasks;
    *n = (*view)->npeers;
}


/*
 * An upstream's new set into shared memory, in steps: the comparison
 * with what is published; the copy, NGX_HTTP_SWARM_PUBLISH_STEP peers a
 * step, into memory no worker sees yet; then the swap, under the write
 * lock.  NGX_AGAIN while steps are left, NGX_OK once published,
 * NGX_DECLINED if nothing changed, NGX_ERROR if it does not fit,
 * NGX_ABORT if a newer configuration's worker 0 publishes now.
 */

static ngx_int_t
ngx_http_swarm_publish(ngx_http_swarm_client_t *cl,
    ngx_http_swarm_upstream_t *up, ngx_http_swarm_set_t *set,
    ngx_http_swarm_last_t *last)
{
    size_t                   n;
    ngx_uint_t               np;
    ngx_atomic_uint_t        generation;
    ngx_slab_pool_t         *shpool;
    ngx_http_swarm_diff_t    d;
    ngx_http_swarm_peer_t   *peers;
    ngx_http_swarm_view_t   *view;

    shpool = cl->mcf->zone.shpool;

    if (cl->pub_peers) {
        goto copy;
    }

    ngx_http_swarm_published_peers(cl, cl->pub, &peers, &np, &view);

    d = ngx_http_swarm_set_diff(peers, np, set->peers, set->n);
    cl->pub_old = np;

    if (view) {
        ngx_http_swarm_view_release(up, view);
    }

    if (d.added == 0 && d.removed == 0 && d.changed == 0) {
        if (!last->known || last->generation != up->shm->generation) {
            ngx_http_swarm_remember(last, set, up->shm->generation);
        }

        return NGX_DECLINED;
    }

    cl->pub_diff = d;
    cl->pub_copied = 0;

    if (set->n == 0) {
        goto swap;
    }

    cl->pub_peers = ngx_slab_alloc(shpool,
                                   set->n * sizeof(ngx_http_swarm_peer_t));
    if (cl->pub_peers == NULL) {

        /* what swarm_status and the log show: it outweighs any other */

        ngx_free(cl->notes[cl->pub]);

        cl->notes[cl->pub] = ngx_alloc(NGX_HTTP_SWARM_ERR_LEN, cl->log);
        if (cl->notes[cl->pub]) {
            ngx_snprintf((u_char *) cl->notes[cl->pub],
                         NGX_HTTP_SWARM_ERR_LEN - 1,
                         "swarm_zone is too small for %uz tasks, keeping "
                         "the last %ui%Z", set->n, cl->pub_old);
        }

        return NGX_ERROR;
    }

    return NGX_AGAIN;

copy:

    n = ngx_min(set->n - cl->pub_copied, NGX_HTTP_SWARM_PUBLISH_STEP);

    ngx_memcpy(&cl->pub_peers[cl->pub_copied], &set->peers[cl->pub_copied],
               n * sizeof(ngx_http_swarm_peer_t));

    cl->pub_copied += n;

    if (cl->pub_copied < set->n) {
        return NGX_AGAIN;
    }

swap:

    if (ngx_http_swarm_zone_publish(up, cl->pub_peers, set->n, &generation)
        != NGX_OK)
    {
        if (cl->pub_peers) {
            ngx_slab_free(shpool, cl->pub_peers);
            cl->pub_peers = NULL;
        }

        return NGX_ABORT;
    }

    cl->pub_peers = NULL;

    ngx_log_error(NGX_LOG_INFO, cl->log, 0,
                  "swarm: upstream \"%V\": %uz tasks (+%uz -%uz ~%uz), "
                  "generation %uA", &up->name, set->n, cl->pub_diff.added,
                  cl->pub_diff.removed, cl->pub_diff.changed, generation);

    ngx_http_swarm_remember(last, set, generation);

    return NGX_OK;
}


/*
 * The set just published becomes the worker's copy of it: the two swap
 * their memory, as the next refresh builds its sets anew.
 */

static void
ngx_http_swarm_remember(ngx_http_swarm_last_t *last, ngx_http_swarm_set_t *set,
    ngx_atomic_uint_t generation)
{
    ngx_http_swarm_set_t  tmp;

    tmp = last->set;
    last->set = *set;
    *set = tmp;
    set->n = 0;

    last->generation = generation;
    last->known = 1;
}


static void
ngx_http_swarm_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t                   i;
    ngx_http_swarm_client_t     *cl;
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_swarm_module);

    if (mcf) {
        ngx_http_swarm_views_exit(&mcf->zone);
    }

    cl = ngx_http_swarm_client;

    if (cl == NULL) {
        return;
    }

    ngx_http_swarm_client = NULL;

    if (cl->parse.posted) {
        ngx_delete_posted_event(&cl->parse);
    }

    ngx_http_swarm_tasks_destroy(cl->tasks);

    /* a set that was being copied into shared memory */

    if (cl->pub_peers) {
        ngx_slab_free(cl->mcf->zone.shpool, cl->pub_peers);
    }

    ngx_http_swarm_get_close(&cl->get);
    ngx_http_swarm_get_close(&cl->events);
    ngx_http_swarm_curl_cleanup(&cl->curl);

    ngx_http_swarm_services_free(&cl->svcs);

    for (i = 0; i < cl->mcf->upstreams.nelts; i++) {
        ngx_http_swarm_set_free(&cl->sets[i]);
        ngx_http_swarm_set_free(&cl->last[i].set);

        if (cl->notes[i]) {
            ngx_free(cl->notes[i]);
        }
    }
}
