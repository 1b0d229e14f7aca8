
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Discovery: the swarm_* directives, the Docker Engine API client
 * (libcurl's multi_socket API driven by nginx events and timers, in
 * worker 0 only), publication of changed task sets into the zone that
 * ngx_http_swarm_zone.c keeps, and the swarm_status handler.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ngx_http_swarm.h"


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

/* bytes of an answer taken a cycle; curl holds the rest meanwhile */
#define NGX_HTTP_SWARM_RECV_STEP      262144

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
    CURLM                      *multi;
    CURL                       *easy;
    char                       *url;
    ngx_event_t                 poll;
    ngx_event_t                 timer;
    ngx_uint_t                  step;
    ngx_uint_t                  selector;
    ngx_uint_t                  renegotiated;
    ngx_uint_t                  failures;
    u_char                     *body;
    size_t                      len;
    size_t                      cap;
    size_t                      touched;
    size_t                      largest;
    ngx_uint_t                  phase;
    ngx_uint_t                  sorted;
    ngx_uint_t                  pub;
    ngx_http_swarm_peer_t      *pub_peers;
    size_t                      pub_copied;
    ngx_http_swarm_diff_t       pub_diff;
    ngx_uint_t                  pub_old;
    unsigned                    overflow:1;
    unsigned                    busy:1;
    unsigned                    paused:1;
    unsigned                    ordered:1;
    size_t                      received;
    ngx_event_t                 resume;
    char                        api_version[16];
    char                        header_version[16];
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

    CURL                       *events;
    char                       *events_url;
    ngx_event_t                 events_retry;
    ngx_uint_t                  events_failures;
    u_char                     *line;
    size_t                      line_len;
    unsigned                    events_on:1;
    unsigned                    events_connected:1;
    unsigned                    line_skip:1;
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
static void ngx_http_swarm_easy_init(ngx_http_swarm_client_t *cl, CURL *easy,
    curl_write_callback write, curl_write_callback header);
static int ngx_http_swarm_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp);
static int ngx_http_swarm_curl_timer(CURLM *multi, long timeout_ms,
    void *userp);
static void ngx_http_swarm_curl_event(ngx_event_t *ev);
static void ngx_http_swarm_curl_timeout(ngx_event_t *ev);
static void ngx_http_swarm_resume(ngx_event_t *ev);
static void ngx_http_swarm_curl_done(ngx_http_swarm_client_t *cl);
static size_t ngx_http_swarm_curl_write(char *ptr, size_t size, size_t n,
    void *userdata);
static size_t ngx_http_swarm_curl_header(char *ptr, size_t size, size_t n,
    void *userdata);
static void ngx_http_swarm_poll_handler(ngx_event_t *ev);
static void ngx_http_swarm_sync_start(ngx_http_swarm_client_t *cl);
static ngx_int_t ngx_http_swarm_request(ngx_http_swarm_client_t *cl,
    ngx_uint_t step, const char *path, json_t *filters);
static ngx_int_t ngx_http_swarm_next(ngx_http_swarm_client_t *cl);
static ngx_int_t ngx_http_swarm_gone(ngx_http_swarm_client_t *cl);
static void ngx_http_swarm_parse(ngx_event_t *ev);
static ngx_uint_t ngx_http_swarm_in_slice(uint64_t start);
static void ngx_http_swarm_step_took(ngx_http_swarm_client_t *cl,
    uint64_t start);
static void ngx_http_swarm_handle(ngx_http_swarm_client_t *cl,
    CURLcode result);
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
static size_t ngx_http_swarm_events_header(char *ptr, size_t size, size_t n,
    void *userdata);
static size_t ngx_http_swarm_events_write(char *ptr, size_t size, size_t n,
    void *userdata);
static void ngx_http_swarm_events_line(ngx_http_swarm_client_t *cl,
    u_char *line, size_t len);
static ngx_uint_t ngx_http_swarm_event_changes(const char *action);
static void ngx_http_swarm_events_done(ngx_http_swarm_client_t *cl,
    CURLcode result);
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

    static ngx_uint_t  initialized;

    if (!initialized) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                          "swarm: curl_global_init() failed");
            return NGX_ERROR;
        }

        initialized = 1;
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
    size_t                       len;
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

    /* base, "/v" version, path, and filters escaped: bounded below */

    len = mcf->base.len + 64 * 1024;
    cl->url = ngx_pnalloc(cycle->pool, len);
    if (cl->url == NULL) {
        return NGX_ERROR;
    }

    cl->events_url = ngx_pnalloc(cycle->pool, mcf->base.len + 1024);
    cl->line = ngx_pnalloc(cycle->pool, NGX_HTTP_SWARM_EVENTS_LINE);
    if (cl->events_url == NULL || cl->line == NULL) {
        return NGX_ERROR;
    }

    /*
     * answers go to one reservation of swarm_max_response bytes: memory
     * is taken as they are written, and an answer never moves as it grows
     */

    cl->body = mmap(NULL, mcf->max_response, PROT_READ|PROT_WRITE,
                    MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0);

    if (cl->body == MAP_FAILED) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "swarm: mmap(%uz) failed", mcf->max_response);
        cl->body = NULL;
        return NGX_ERROR;
    }

    cl->cap = mcf->max_response;

    cl->multi = curl_multi_init();
    cl->easy = curl_easy_init();
    cl->events = curl_easy_init();

    if (cl->multi == NULL || cl->easy == NULL || cl->events == NULL) {
        return NGX_ERROR;
    }

    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETFUNCTION,
                      ngx_http_swarm_curl_socket);
    curl_multi_setopt(cl->multi, CURLMOPT_SOCKETDATA, cl);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERFUNCTION,
                      ngx_http_swarm_curl_timer);
    curl_multi_setopt(cl->multi, CURLMOPT_TIMERDATA, cl);

    ngx_http_swarm_easy_init(cl, cl->easy, ngx_http_swarm_curl_write,
                             ngx_http_swarm_curl_header);
    curl_easy_setopt(cl->easy, CURLOPT_TIMEOUT_MS, (long) mcf->timeout);

    /* GET /events: a stream that lasts, so no overall timeout */

    ngx_http_swarm_easy_init(cl, cl->events, ngx_http_swarm_events_write,
                             ngx_http_swarm_events_header);
    curl_easy_setopt(cl->events, CURLOPT_TCP_KEEPALIVE, 1L);

    cl->events_retry.handler = ngx_http_swarm_events_retry;
    cl->events_retry.data = cl;
    cl->events_retry.log = cycle->log;
    cl->events_retry.cancelable = 1;

    cl->poll.handler = ngx_http_swarm_poll_handler;
    cl->poll.data = cl;
    cl->poll.log = cycle->log;
    cl->poll.cancelable = 1;

    cl->timer.handler = ngx_http_swarm_curl_timeout;
    cl->timer.data = cl;
    cl->timer.log = cycle->log;
    cl->timer.cancelable = 1;

    cl->parse.handler = ngx_http_swarm_parse;
    cl->parse.data = cl;
    cl->parse.log = cycle->log;

    cl->resume.handler = ngx_http_swarm_resume;
    cl->resume.data = cl;
    cl->resume.log = cycle->log;

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
ngx_http_swarm_easy_init(ngx_http_swarm_client_t *cl, CURL *easy,
    curl_write_callback write, curl_write_callback header)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = cl->mcf;

    if (mcf->socket.len) {
        curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH,
                         (char *) mcf->socket.data);
    }

#if (LIBCURL_VERSION_NUM >= 0x075500)
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, CURLPROTO_HTTP);
#endif
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "ngx_http_swarm");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) mcf->timeout);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, cl);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, cl);
}


static int
ngx_http_swarm_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_http_swarm_client_t *cl = userp;

    ngx_connection_t  *c;

    c = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (c) {
            if (c->read->active) {
                ngx_del_event(c->read, NGX_READ_EVENT, 0);
            }

            if (c->write->active) {
                ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
            }

            if (c->read->posted) {
                ngx_delete_posted_event(c->read);
            }

            if (c->write->posted) {
                ngx_delete_posted_event(c->write);
            }

            ngx_free_connection(c);
            c->fd = (ngx_socket_t) -1;

            curl_multi_assign(cl->multi, s, NULL);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, cl->log);
        if (c == NULL) {
            return -1;
        }

        c->data = cl;
        c->read->handler = ngx_http_swarm_curl_event;
        c->write->handler = ngx_http_swarm_curl_event;
        c->read->log = cl->log;
        c->write->log = cl->log;

        curl_multi_assign(cl->multi, s, c);
    }

    /* curl does not always drain a socket: level-triggered events */

    if ((what & CURL_POLL_IN) && !c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }

    } else if (!(what & CURL_POLL_IN) && c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if ((what & CURL_POLL_OUT) && !c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }

    } else if (!(what & CURL_POLL_OUT) && c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    return 0;
}


static int
ngx_http_swarm_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_http_swarm_client_t *cl = userp;

    if (timeout_ms < 0) {
        if (cl->timer.timer_set) {
            ngx_del_timer(&cl->timer);
        }

        return 0;
    }

    ngx_add_timer(&cl->timer, (ngx_msec_t) timeout_ms);

    return 0;
}


static void
ngx_http_swarm_curl_event(ngx_event_t *ev)
{
    int                       running;
    uint64_t                  start;
    ngx_socket_t              fd;
    ngx_connection_t         *c;
    ngx_http_swarm_client_t  *cl;

    c = ev->data;
    cl = c->data;
    fd = c->fd;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    cl->received = 0;

    /* curl may remove the socket, and so free "c", in this call */

    curl_multi_socket_action(cl->multi, fd,
                             ev->write ? CURL_CSELECT_OUT : CURL_CSELECT_IN,
                             &running);

    ngx_http_swarm_curl_done(cl);

    ngx_http_swarm_step_took(cl, start);
}


/* the longest the worker was away from its connections in this sync */

static void
ngx_http_swarm_step_took(ngx_http_swarm_client_t *cl, uint64_t start)
{
    uint64_t  took;

    took = ngx_http_swarm_clock(CLOCK_MONOTONIC) - start;

    if (took > cl->longest) {
        cl->longest = took;
    }
}


static void
ngx_http_swarm_curl_timeout(ngx_event_t *ev)
{
    int                       running;
    uint64_t                  start;
    ngx_http_swarm_client_t  *cl;

    cl = ev->data;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    cl->received = 0;

    curl_multi_socket_action(cl->multi, CURL_SOCKET_TIMEOUT, 0, &running);

    ngx_http_swarm_curl_done(cl);

    ngx_http_swarm_step_took(cl, start);
}


/* the next part of a large answer, in a cycle of its own */

static void
ngx_http_swarm_resume(ngx_event_t *ev)
{
    uint64_t                  start;
    ngx_http_swarm_client_t  *cl;

    cl = ev->data;

    if (!cl->paused) {
        return;
    }

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);

    cl->paused = 0;
    cl->received = 0;

    /* the data curl held comes to ngx_http_swarm_curl_write() now */

    curl_easy_pause(cl->easy, CURLPAUSE_CONT);

    ngx_http_swarm_curl_done(cl);

    ngx_http_swarm_step_took(cl, start);
}


static void
ngx_http_swarm_curl_done(ngx_http_swarm_client_t *cl)
{
    int        left;
    CURLMsg   *msg;
    CURLcode   result;

    while ((msg = curl_multi_info_read(cl->multi, &left)) != NULL) {

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        result = msg->data.result;
        curl_multi_remove_handle(cl->multi, msg->easy_handle);

        if (msg->easy_handle == cl->events) {
            ngx_http_swarm_events_done(cl, result);
            continue;
        }

        ngx_http_swarm_handle(cl, result);
    }
}


static size_t
ngx_http_swarm_curl_write(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_client_t *cl = userdata;

    size_t  len;

    len = size * n;

    if (cl->len + len > cl->mcf->max_response) {
        cl->overflow = 1;
        return 0;
    }

    /*
     * a large answer comes in parts, a cycle each: copying it, into
     * memory touched for the first time, may take long
     */

    if (cl->received >= NGX_HTTP_SWARM_RECV_STEP) {
        cl->paused = 1;

        if (!cl->resume.posted) {
            ngx_post_event(&cl->resume, &ngx_posted_next_events);
        }

        return CURL_WRITEFUNC_PAUSE;
    }

    cl->received += len;

    ngx_memcpy(cl->body + cl->len, ptr, len);
    cl->len += len;

    cl->touched = ngx_max(cl->touched, cl->len);

    return len;
}


static size_t
ngx_http_swarm_curl_header(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_client_t *cl = userdata;

    size_t   len, i;
    u_char  *p, *last;

    len = size * n;

    if (len > 12 && ngx_strncasecmp((u_char *) ptr, (u_char *) "Api-Version:",
                                    12)
                    == 0)
    {
        p = (u_char *) ptr + 12;
        last = (u_char *) ptr + len;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        for (i = 0; p < last && i < sizeof(cl->header_version) - 1; p++) {
            if ((*p >= '0' && *p <= '9') || *p == '.') {
                cl->header_version[i++] = *p;
                continue;
            }

            break;
        }

        cl->header_version[i] = '\0';
    }

    return len;
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
    char       *s, *q;
    u_char     *p, *last;
    CURLMcode   rc;

    cl->step = step;
    cl->len = 0;
    cl->overflow = 0;
    cl->header_version[0] = '\0';

    last = (u_char *) cl->url + cl->mcf->base.len + 64 * 1024;

    p = ngx_cpymem(cl->url, cl->mcf->base.data, cl->mcf->base.len);

    if (step != NGX_HTTP_SWARM_PING && step != NGX_HTTP_SWARM_VERSION) {
        p = ngx_slprintf(p, last, "/v%s", cl->api_version);
    }

    p = ngx_slprintf(p, last, "%s", path);

    if (filters) {
        s = json_dumps(filters, JSON_COMPACT);
        if (s == NULL) {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "out of memory%Z");
            return NGX_ERROR;
        }

        q = curl_easy_escape(cl->easy, s, 0);
        free(s);

        if (q == NULL) {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "out of memory%Z");
            return NGX_ERROR;
        }

        if (ngx_strlen(q) + 32 > (size_t) (last - p)) {
            curl_free(q);
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "GET %s: too many services in one query%Z", path);
            return NGX_ERROR;
        }

        p = ngx_slprintf(p, last, "?filters=%s", q);
        curl_free(q);
    }

    *p = '\0';

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cl->log, 0, "swarm: GET %s", cl->url);

    curl_easy_setopt(cl->easy, CURLOPT_URL, cl->url);

    rc = curl_multi_add_handle(cl->multi, cl->easy);

    if (rc != CURLM_OK) {
        ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                     "curl_multi_add_handle() failed: %s%Z",
                     curl_multi_strerror(rc));
        return NGX_ERROR;
    }

    return NGX_OK;
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
ngx_http_swarm_handle(ngx_http_swarm_client_t *cl, CURLcode result)
{
    long                         code, err;
    u_char                      *p;
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = cl->mcf;

    cl->paused = 0;

    if (result != CURLE_OK) {
        if (cl->overflow) {
            ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                         "GET %s: answer larger than swarm_max_response "
                         "%uz bytes%Z", ngx_http_swarm_steps[cl->step],
                         mcf->max_response);

        } else {
            err = 0;
            curl_easy_getinfo(cl->easy, CURLINFO_OS_ERRNO, &err);

            p = ngx_snprintf((u_char *) cl->err, sizeof(cl->err) - 1,
                             "GET %s: %s", ngx_http_swarm_steps[cl->step],
                             curl_easy_strerror(result));
            if (err) {
                p = ngx_snprintf(p, (u_char *) cl->err + sizeof(cl->err) - 1
                                    - p, " (%s)", strerror((int) err));
            }

            *p = '\0';
        }

        ngx_http_swarm_sync_failed(cl);
        return;
    }

    code = 0;
    curl_easy_getinfo(cl->easy, CURLINFO_RESPONSE_CODE, &code);

    cl->sync_bytes += cl->len;
    cl->largest = ngx_max(cl->largest, cl->len);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, cl->log, 0,
                   "swarm: GET %s: %l, %uz bytes",
                   ngx_http_swarm_steps[cl->step], code, cl->len);

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
        ngx_http_swarm_array_init(&cl->array, (char *) cl->body, cl->len);
        break;

    case NGX_HTTP_SWARM_TASKS:
        ngx_http_swarm_tasks_begin(cl->tasks);
        ngx_http_swarm_tasks_feed(cl->tasks, (char *) cl->body, cl->len);
        break;

    default: /* NGX_HTTP_SWARM_GONE */
        ngx_http_swarm_tasks_feed(cl->tasks, (char *) cl->body, cl->len);
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
        ngx_http_swarm_step_took(cl, start);

        cl->phase = NGX_HTTP_SWARM_READ;
        ngx_http_swarm_sync_done(cl);
        return;
    }

    cl->sync_cpu += ngx_http_swarm_clock(CLOCK_THREAD_CPUTIME_ID) - cpu;

    ngx_http_swarm_step_took(cl, start);

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

    mcf = cl->mcf;

    if (cl->step == NGX_HTTP_SWARM_PING) {
        s = cl->header_version;

    } else {
        root = json_loadb((char *) cl->body, cl->len, 0, &jerr);
        v = json_object_get(root, "ApiVersion");
        s = json_is_string(v) ? json_string_value(v) : "";

        if (ngx_strlen(s) >= sizeof(cl->header_version)) {
            s = "";
        }

        ngx_cpystrn((u_char *) cl->header_version, (u_char *) s,
                    sizeof(cl->header_version));
        json_decref(root);

        s = cl->header_version;

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

    if (ngx_strlcasestrn(cl->body, cl->body + cl->len,
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

    root = json_loadb((char *) cl->body, cl->len, 0, &jerr);
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
        sh->sync_longest_usec = cl->longest / 1000;
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

    if (!cl->events_on && !cl->events_retry.timer_set) {
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
    size_t      keep;
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

    /*
     * the memory answers were written to is kept for the next sync,
     * unless much more was written than the answers of this one take
     * (after an answer too large, say): that goes back to the system
     */

    keep = ngx_align(cl->largest, ngx_pagesize);

    if (cl->touched > 1024 * 1024 && cl->touched > 4 * cl->largest) {
        if (madvise(cl->body + keep, cl->touched - keep, MADV_DONTNEED)
            == 0)
        {
            cl->touched = keep;
        }
    }

    cl->largest = 0;
    cl->len = 0;
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
    char       *s, *q;
    u_char     *p, *last;
    json_t     *filters;
    CURLMcode   rc;

    if (cl->events_on || cl->api_version[0] == '\0'
        || ngx_exiting || ngx_terminate || ngx_quit)
    {
        return;
    }

    filters = json_pack("{s[sss]s[sssssssss]}",
                        "type", "service", "container", "network",
                        "event", "create", "update", "remove", "start",
                        "die", "destroy", "health_status", "connect",
                        "disconnect");
    s = filters ? json_dumps(filters, JSON_COMPACT) : NULL;
    json_decref(filters);

    q = s ? curl_easy_escape(cl->events, s, 0) : NULL;
    free(s);

    if (q == NULL) {
        return;
    }

    last = (u_char *) cl->events_url + cl->mcf->base.len + 1024 - 1;

    p = ngx_slprintf((u_char *) cl->events_url, last,
                     "%V/v%s/events?filters=%s", &cl->mcf->base,
                     cl->api_version, q);
    *p = '\0';
    curl_free(q);

    curl_easy_setopt(cl->events, CURLOPT_URL, cl->events_url);

    cl->line_len = 0;
    cl->line_skip = 0;
    cl->events_connected = 0;

    rc = curl_multi_add_handle(cl->multi, cl->events);
    if (rc != CURLM_OK) {
        ngx_log_error(NGX_LOG_ALERT, cl->log, 0,
                      "swarm: curl_multi_add_handle() failed: %s",
                      curl_multi_strerror(rc));
        return;
    }

    cl->events_on = 1;

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, cl->log, 0, "swarm: GET %s",
                   cl->events_url);
}


static void
ngx_http_swarm_events_retry(ngx_event_t *ev)
{
    ngx_http_swarm_client_t *cl = ev->data;

    ngx_http_swarm_events_start(cl);
}


static size_t
ngx_http_swarm_events_header(char *ptr, size_t size, size_t n,
    void *userdata)
{
    ngx_http_swarm_client_t *cl = userdata;

    long    code;
    size_t  len;

    len = size * n;

    if (len > 2 || (ptr[0] != '\r' && ptr[0] != '\n')) {
        return len;
    }

    /* the end of the headers */

    code = 0;
    curl_easy_getinfo(cl->events, CURLINFO_RESPONSE_CODE, &code);

    if (code != 200) {
        return len;
    }

    cl->events_connected = 1;

    if (cl->events_failures) {
        ngx_log_error(NGX_LOG_NOTICE, cl->log, 0,
                      "swarm: events stream at %V is back",
                      &cl->mcf->shown);

        cl->events_failures = 0;

        /* what happened while the stream was down */

        ngx_http_swarm_look_now(cl);
    }

    return len;
}


static size_t
ngx_http_swarm_events_write(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_client_t *cl = userdata;

    u_char  *p, *last, *nl;
    size_t   len, part;

    len = size * n;
    p = (u_char *) ptr;
    last = p + len;

    while (p < last) {
        nl = ngx_strlchr(p, last, '\n');
        part = (nl ? nl : last) - p;

        if (!cl->line_skip) {
            if (cl->line_len + part > NGX_HTTP_SWARM_EVENTS_LINE) {
                /* an oversized line: drop it up to its end */
                cl->line_skip = 1;
                cl->line_len = 0;

            } else {
                ngx_memcpy(cl->line + cl->line_len, p, part);
                cl->line_len += part;
            }
        }

        if (nl == NULL) {
            break;
        }

        if (!cl->line_skip && cl->events_connected) {
            ngx_http_swarm_events_line(cl, cl->line, cl->line_len);
        }

        cl->line_len = 0;
        cl->line_skip = 0;
        p = nl + 1;
    }

    return len;
}


static void
ngx_http_swarm_events_line(ngx_http_swarm_client_t *cl, u_char *line,
    size_t len)
{
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
ngx_http_swarm_events_done(ngx_http_swarm_client_t *cl, CURLcode result)
{
    long        code;
    ngx_msec_t  delay;
    const char  *why;

    cl->events_on = 0;

    code = 0;
    curl_easy_getinfo(cl->events, CURLINFO_RESPONSE_CODE, &code);

    if (result != CURLE_OK) {
        why = curl_easy_strerror(result);

    } else if (code != 200) {
        why = "refused";

    } else {
        why = "ended";
    }

    if (cl->events_failures == 0) {
        ngx_log_error(NGX_LOG_WARN, cl->log, 0,
                      "swarm: events stream at %V %s (HTTP %l); polling "
                      "every %M ms and reconnecting",
                      &cl->mcf->shown, why, code, cl->mcf->interval);
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

    if (cl->resume.posted) {
        ngx_delete_posted_event(&cl->resume);
    }

    ngx_http_swarm_tasks_destroy(cl->tasks);

    /* a set that was being copied into shared memory */

    if (cl->pub_peers) {
        ngx_slab_free(cl->mcf->zone.shpool, cl->pub_peers);
    }

    if (cl->multi) {
        if (cl->easy) {
            curl_multi_remove_handle(cl->multi, cl->easy);
        }

        if (cl->events) {
            curl_multi_remove_handle(cl->multi, cl->events);
        }

        curl_multi_cleanup(cl->multi);
    }

    if (cl->easy) {
        curl_easy_cleanup(cl->easy);
    }

    if (cl->events) {
        curl_easy_cleanup(cl->events);
    }

    ngx_http_swarm_services_free(&cl->svcs);

    for (i = 0; i < cl->mcf->upstreams.nelts; i++) {
        ngx_http_swarm_set_free(&cl->sets[i]);
        ngx_http_swarm_set_free(&cl->last[i].set);

        if (cl->notes[i]) {
            ngx_free(cl->notes[i]);
        }
    }

    if (cl->body) {
        munmap(cl->body, cl->cap);
    }
}
