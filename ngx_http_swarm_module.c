
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Discovery's configuration and processes: the swarm_* directives, the
 * zone they ask for, and what each process starts and stops: the pipes
 * that wake workers (made by the master), each worker's copies of the
 * task sets (ngx_http_swarm_view.c), and in worker 0 the refresh of the
 * task sets from the Docker Engine API (ngx_http_swarm_sync.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_counters.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_middleware.h"
#include "ngx_http_swarm_flow.h"
#include "ngx_http_swarm_errors.h"
#include "ngx_http_swarm_view.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_endpoints.h"
#include "ngx_http_swarm_sync.h"
#include "ngx_http_swarm_route.h"
#include "ngx_http_swarm_status.h"
#include "ngx_http_swarm_variables.h"
#include "ngx_http_swarm_metrics.h"
#include "ngx_http_swarm_dashboard.h"
#include "ngx_http_swarm_sticky.h"
#include "ngx_http_swarm_tls.h"
#include "ngx_http_swarm_ca.h"


/* the http block's swarm_* directives, and the swarm they set up */

typedef struct {
    ngx_http_swarm_t            swarm;

    /* a swarm_route directive was seen: its handler is set up */
    ngx_flag_t                  route;

    /* a swarm_metrics directive was seen: tasks are counted */
    ngx_flag_t                  metrics;

    /* swarm_middleware: as given, by name; then made */
    json_t                     *middlewares;

    ngx_shm_zone_t             *shm_zone;
} ngx_http_swarm_main_conf_t;


/*
 * A location's swarm_route: the routes upstream it names, or the only
 * one; and its swarm_dashboard
 */

typedef struct {
    ngx_str_t                   name;
    ngx_http_swarm_upstream_t  *up;
    u_char                     *file;
    ngx_uint_t                  line;
    unsigned                    set:1;

    /* the server's swarm_entrypoint: its place in the swarm's, or -1 */
    ngx_int_t                   entrypoint;

    /* the server's swarm_tls */
    ngx_flag_t                  tls;

    ngx_http_swarm_dashboard_t *dashboard;
} ngx_http_swarm_loc_conf_t;


static void *ngx_http_swarm_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_swarm_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_swarm_create_srv_conf(ngx_conf_t *cf);
static void *ngx_http_swarm_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_swarm_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static ngx_int_t ngx_http_swarm_postconfiguration(ngx_conf_t *cf);
static ngx_int_t ngx_http_swarm_tls_servers(ngx_conf_t *cf,
    ngx_http_swarm_t *swarm);
static char *ngx_http_swarm_service(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_route(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_entrypoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_tls(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_swarm_selector_names(ngx_conf_t *cf,
    ngx_http_swarm_t *swarm);
static u_char *ngx_http_swarm_names(ngx_conf_t *cf, ngx_array_t *a);
static char *ngx_http_swarm_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_metrics(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_middleware(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static void ngx_http_swarm_json_cleanup(void *data);
static char *ngx_http_swarm_allow(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_swarm_dashboard(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_swarm_route_phase(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_status_page(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_metrics_page(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_dashboard_page(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_init_module(ngx_cycle_t *cycle);
static ngx_int_t ngx_http_swarm_init_process(ngx_cycle_t *cycle);
static void ngx_http_swarm_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_swarm_commands[] = {

    { ngx_string("swarm_endpoint"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_swarm_endpoints_add,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm),
      NULL },

    { ngx_string("swarm_tls_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.tls_certificate),
      NULL },

    { ngx_string("swarm_tls_certificate_key"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.tls_certificate_key),
      NULL },

    { ngx_string("swarm_tls_trusted_certificate"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.tls_trusted_certificate),
      NULL },

    { ngx_string("swarm_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.interval),
      NULL },

    { ngx_string("swarm_timeout"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.timeout),
      NULL },

    { ngx_string("swarm_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.zone_size),
      NULL },

    { ngx_string("swarm_max_response"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm.max_response),
      NULL },

    { ngx_string("swarm_allow"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_http_swarm_allow,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_middleware"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_swarm_middleware,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_service"),
      NGX_HTTP_UPS_CONF|NGX_CONF_1MORE,
      ngx_http_swarm_service,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_slow_start"),
      NGX_HTTP_UPS_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_swarm_upstream_t, slow_start),
      NULL },

    { ngx_string("swarm_routes"),
      NGX_HTTP_UPS_CONF|NGX_CONF_1MORE,
      ngx_http_swarm_service,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_route"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS|NGX_CONF_TAKE1,
      ngx_http_swarm_route,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_entrypoint"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE123,
      ngx_http_swarm_entrypoint,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_acme"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_http_swarm_ca_add,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_swarm_main_conf_t, swarm),
      NULL },

    { ngx_string("swarm_tls"),
      NGX_HTTP_SRV_CONF|NGX_CONF_NOARGS,
      ngx_http_swarm_tls,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("swarm_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_swarm_status,
      0,
      0,
      NULL },

    { ngx_string("swarm_metrics"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_swarm_metrics,
      0,
      0,
      NULL },

    { ngx_string("swarm_dashboard"),
      NGX_HTTP_LOC_CONF|NGX_CONF_ANY,
      ngx_http_swarm_dashboard,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_swarm_module_ctx = {
    ngx_http_swarm_variables_add,          /* preconfiguration */
    ngx_http_swarm_postconfiguration,      /* postconfiguration */

    ngx_http_swarm_create_main_conf,       /* create main configuration */
    ngx_http_swarm_init_main_conf,         /* init main configuration */

    ngx_http_swarm_create_srv_conf,        /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_swarm_create_loc_conf,        /* create location configuration */
    ngx_http_swarm_merge_loc_conf          /* merge location configuration */
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


static void *
ngx_http_swarm_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_main_conf_t));
    if (mcf == NULL) {
        return NULL;
    }

    mcf->swarm.interval = NGX_CONF_UNSET_MSEC;
    mcf->swarm.timeout = NGX_CONF_UNSET_MSEC;
    mcf->swarm.zone_size = NGX_CONF_UNSET_SIZE;
    mcf->swarm.max_response = NGX_CONF_UNSET_SIZE;

    if (ngx_array_init(&mcf->swarm.upstreams, cf->pool, 4,
                       sizeof(ngx_http_swarm_upstream_t *))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->swarm.selectors, cf->pool, 4,
                       sizeof(ngx_http_swarm_selector_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->swarm.resolvers, cf->pool, 1,
                       sizeof(ngx_http_swarm_resolver_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->swarm.entrypoints, cf->pool, 2,
                       sizeof(ngx_http_swarm_entrypoint_t))
        != NGX_OK)
    {
        return NULL;
    }

    if (ngx_array_init(&mcf->swarm.endpoints, cf->pool, 2,
                       sizeof(ngx_http_swarm_endpoint_t))
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

    ngx_uint_t                   i;
    ngx_http_swarm_selector_t   *sel;
    ngx_http_swarm_upstream_t  **upp;

    if (ngx_http_swarm_endpoints_check(cf, &mcf->swarm) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_conf_init_msec_value(mcf->swarm.interval, 5000);
    ngx_conf_init_msec_value(mcf->swarm.timeout, 5000);
    ngx_conf_init_size_value(mcf->swarm.zone_size, 1024 * 1024);
    ngx_conf_init_size_value(mcf->swarm.max_response, 32 * 1024 * 1024);

    if (mcf->swarm.interval < 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_interval\" must be at least 100ms");
        return NGX_CONF_ERROR;
    }

    if (mcf->swarm.timeout == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_timeout\" must not be zero");
        return NGX_CONF_ERROR;
    }

    if (mcf->swarm.zone_size < 8 * ngx_pagesize) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_zone\" of %uz is too small, "
                           "at least %ui bytes", mcf->swarm.zone_size,
                           8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    if (mcf->swarm.max_response < 1024) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"swarm_max_response\" must be at least 1k");
        return NGX_CONF_ERROR;
    }

    if (mcf->middlewares) {
        if (ngx_http_swarm_middleware_make(cf, mcf->middlewares)
            != NGX_CONF_OK)
        {
            return NGX_CONF_ERROR;
        }

        sel = mcf->swarm.selectors.elts;

        for (i = 0; i < mcf->swarm.selectors.nelts; i++) {
            sel[i].middlewares = mcf->middlewares;
        }
    }

    if (mcf->swarm.upstreams.nelts == 0) {
        return NGX_CONF_OK;
    }

    mcf->shm_zone = ngx_shared_memory_add(cf, &ngx_http_swarm_zone_name,
                                          mcf->swarm.zone_size,
                                          &ngx_http_swarm_module);
    if (mcf->shm_zone == NULL) {
        return NGX_CONF_ERROR;
    }

    mcf->swarm.zone.upstreams = &mcf->swarm.upstreams;

    mcf->swarm.views.upstreams = &mcf->swarm.upstreams;
    mcf->swarm.views.metrics = mcf->metrics;

    upp = mcf->swarm.upstreams.elts;

    for (i = 0; i < mcf->swarm.upstreams.nelts; i++) {
        upp[i]->views = &mcf->swarm.views;
        upp[i]->entrypoints = &mcf->swarm.entrypoints;
    }

    if (ngx_http_swarm_selector_names(cf, &mcf->swarm) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    mcf->shm_zone->init = ngx_http_swarm_zone_init;
    mcf->shm_zone->data = &mcf->swarm.zone;

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

    up->max_fails = NGX_CONF_UNSET_UINT;
    up->fail_timeout = NGX_CONF_UNSET;
    up->slow_start = NGX_CONF_UNSET_MSEC;

    return up;
}


static void *
ngx_http_swarm_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_swarm_loc_conf_t  *lcf;

    lcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_loc_conf_t));
    if (lcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lcf->name = { 0, NULL };
     *     lcf->up = NULL;
     *     lcf->set = 0;
     */

    lcf->entrypoint = NGX_CONF_UNSET;
    lcf->tls = NGX_CONF_UNSET;

    return lcf;
}


/*
 * Every upstream is known by now: a swarm_route finds its own, and
 * locations inside one without their own take it.
 */

static char *
ngx_http_swarm_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_swarm_loc_conf_t *prev = parent;
    ngx_http_swarm_loc_conf_t *conf = child;

    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);

    ngx_conf_merge_value(conf->entrypoint, prev->entrypoint, -1);

    if (conf->set) {
        return conf->up ? NGX_CONF_OK
                        : ngx_http_swarm_route_find(cf, &mcf->swarm,
                                                    &conf->name, conf->file,
                                                    conf->line, &conf->up);
    }

    if (prev->set && prev->up == NULL
        && ngx_http_swarm_route_find(cf, &mcf->swarm, &prev->name,
                                     prev->file, prev->line, &prev->up)
           != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    /* swarm_route only: swarm_dashboard is the location's own */

    conf->name = prev->name;
    conf->up = prev->up;
    conf->file = prev->file;
    conf->line = prev->line;
    conf->set = prev->set;

    return NGX_CONF_OK;
}


/*
 * With swarm_route, its handler runs before access checks, where it is
 * set; with swarm_metrics, the log phase counts the requests.
 */

static ngx_int_t
ngx_http_swarm_postconfiguration(ngx_conf_t *cf)
{
    ngx_http_handler_pt         *h;
    ngx_http_core_main_conf_t   *cmcf;
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);

    if (mcf->route) {
        if (ngx_http_swarm_middleware_filter_init(cf) != NGX_OK
            || ngx_http_swarm_flow_filter_init(cf) != NGX_OK
            || ngx_http_swarm_errors_filter_init(cf) != NGX_OK)
        {
            return NGX_ERROR;
        }

        cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

        h = ngx_array_push(&cmcf->phases[NGX_HTTP_PREACCESS_PHASE].handlers);
        if (h == NULL) {
            return NGX_ERROR;
        }

        *h = ngx_http_swarm_route_phase;
    }

    if (ngx_http_swarm_tls_servers(cf, &mcf->swarm) != NGX_OK) {
        return NGX_ERROR;
    }

    if (mcf->metrics) {
        return ngx_http_swarm_counters_init(cf);
    }

    return NGX_OK;
}


/* the servers with swarm_tls: their handshakes get certificates by name */

static ngx_int_t
ngx_http_swarm_tls_servers(ngx_conf_t *cf, ngx_http_swarm_t *swarm)
{
    ngx_uint_t                   s;
    ngx_http_swarm_loc_conf_t   *lcf;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        lcf = cscfp[s]->ctx->loc_conf[ngx_http_swarm_module.ctx_index];

        if (lcf->tls == 1
            && ngx_http_swarm_tls_server(cf, cscfp[s]->ctx, swarm) != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/*
 * "swarm_service label=KEY=VALUE|name=NAME [network=] [port=]" and
 * "swarm_routes label=KEY=VALUE|traefik [exposed_by_default]
 * [default_rule=] [network=] [port=]": one or the other in an upstream,
 * as often as needed.
 */

static char *
ngx_http_swarm_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_upstream_t *up = conf;

    u_char                         *eq;
    time_t                          timeout;
    ngx_int_t                       port, max, fails;
    ngx_str_t                      *value, s;
    ngx_uint_t                      i, routes, traefik, all;
    char                            err[NGX_HTTP_SWARM_ERR_LEN];
    ngx_http_swarm_upstream_t     **upp;
    ngx_http_swarm_selector_t      *sel;
    ngx_http_swarm_main_conf_t     *mcf;
    ngx_http_upstream_server_t     *us;
    ngx_http_upstream_srv_conf_t   *uscf;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);
    uscf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_upstream_module);

    value = cf->args->elts;
    routes = (value[0].len == sizeof("swarm_routes") - 1);
    traefik = 0;
    all = 0;

    if (up->selectors && up->routes != routes) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "upstream \"%V\" mixes \"swarm_service\" and "
                           "\"swarm_routes\"", &uscf->host);
        return NGX_CONF_ERROR;
    }

    if (up->selectors == NULL) {
        up->selectors = ngx_array_create(cf->pool, 2,
                                         sizeof(ngx_http_swarm_selector_t));
        if (up->selectors == NULL) {
            return NGX_CONF_ERROR;
        }

        up->name = uscf->host;
        up->uscf = uscf;
        up->index = mcf->swarm.upstreams.nelts;
        up->routes = routes;

        upp = ngx_array_push(&mcf->swarm.upstreams);
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
    sel->regex = ngx_http_swarm_match_check;

    for (i = 1; i < cf->args->nelts; i++) {

        if (routes && ngx_strcmp(value[i].data, "traefik") == 0) {
            if (sel->label_key || traefik) {
                goto invalid;
            }

            traefik = 1;
            continue;
        }

        if (traefik && ngx_strcmp(value[i].data, "exposed_by_default") == 0) {
            if (all) {
                goto invalid;
            }

            all = 1;
            continue;
        }

        /* Traefik's providers.swarm.defaultRule, checked as it is read */

        if (traefik && ngx_strncmp(value[i].data, "default_rule=", 13) == 0) {
            if (sel->default_rule) {
                goto invalid;
            }

            sel->default_rule = (const char *) value[i].data + 13;

            if (ngx_http_swarm_template_make(sel->default_rule, "", NULL,
                                               NULL, 0, err, sizeof(err))
                < 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "invalid \"default_rule=\" \"%s\": %s",
                                   sel->default_rule, err);
                return NGX_CONF_ERROR;
            }

            continue;
        }


        /* the configuration parser ends every word with '\0' */

        if (ngx_strncmp(value[i].data, "label=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            eq = ngx_strlchr(s.data, s.data + s.len, '=');

            if (sel->label_key || sel->name || traefik || eq == NULL
                || eq == s.data)
            {
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

        if (!routes && ngx_strncmp(value[i].data, "name=", 5) == 0) {
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

        if (ngx_strncmp(value[i].data, "ports=", 6) == 0) {
            s.data = value[i].data + 6;
            s.len = value[i].len - 6;

            eq = ngx_strlchr(s.data, s.data + s.len, '-');
            if (sel->port_max || eq == NULL) {
                goto invalid;
            }

            port = ngx_atoi(s.data, eq - s.data);
            max = ngx_atoi(eq + 1, s.data + s.len - eq - 1);

            if (port < 1 || max < port || max > 65535) {
                goto invalid;
            }

            sel->port_min = (unsigned) port;
            sel->port_max = (unsigned) max;
            continue;
        }

        /* of the upstream: all its swarm_service lines must agree */

        if (ngx_strncmp(value[i].data, "max_fails=", 10) == 0) {
            fails = ngx_atoi(value[i].data + 10, value[i].len - 10);

            if (fails == NGX_ERROR) {
                goto invalid;
            }

            if (up->max_fails != NGX_CONF_UNSET_UINT
                && up->max_fails != (ngx_uint_t) fails)
            {
                goto differs;
            }

            up->max_fails = (ngx_uint_t) fails;
            continue;
        }

        if (ngx_strncmp(value[i].data, "fail_timeout=", 13) == 0) {
            s.data = value[i].data + 13;
            s.len = value[i].len - 13;

            timeout = ngx_parse_time(&s, 1);

            if (timeout == (time_t) NGX_ERROR) {
                goto invalid;
            }

            if (up->fail_timeout != NGX_CONF_UNSET
                && up->fail_timeout != timeout)
            {
                goto differs;
            }

            up->fail_timeout = timeout;
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

    if (traefik) {
        /*
         * the services Traefik routes: traefik.enable=true, or, as with
         * Traefik's exposedByDefault, every service with Traefik's labels
         * but traefik.enable=false; the labels' keys and values in any
         * case, which Docker's filters do not match: every service is
         * asked for, and the labels tell
         */

        sel->exposed = all;
        sel->routes = NGX_HTTP_SWARM_ROUTES_TRAEFIK;
        up->traefik = 1;

    } else if (routes) {
        sel->routes = NGX_HTTP_SWARM_ROUTES_NATIVE;
    }

    if (sel->label_key == NULL && sel->name == NULL && !traefik) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           routes ? "\"swarm_routes\" needs "
                                    "\"label=KEY=VALUE\" or \"traefik\""
                                  : "\"swarm_service\" needs "
                                    "\"label=KEY=VALUE\" or \"name=NAME\"");
        return NGX_CONF_ERROR;
    }

    sel = ngx_array_push(&mcf->swarm.selectors);
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

differs:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" differs from an earlier \"%V\" of upstream "
                       "\"%V\": failures are counted by upstream",
                       &value[i], &value[0], &uscf->host);

    return NGX_CONF_ERROR;
}


/* "swarm_route [UPSTREAM]": the upstream is found once all are known */

static char *
ngx_http_swarm_route(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_loc_conf_t *lcf = conf;

    ngx_str_t                   *value;
    ngx_http_swarm_main_conf_t  *mcf;

    if (lcf->set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    lcf->set = 1;
    lcf->file = cf->conf_file->file.name.data;
    lcf->line = cf->conf_file->line;

    if (cf->args->nelts == 2) {
        lcf->name = value[1];
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);
    mcf->route = 1;

    return NGX_CONF_OK;
}


/*
 * "swarm_middleware NAME TYPE OPTION=VALUE ...": a middleware of
 * nginx.conf, Traefik's "NAME@file" (ngx_http_swarm_middleware.c's)
 */

static char *
ngx_http_swarm_middleware(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_main_conf_t *mcf = conf;

    ngx_pool_cleanup_t  *cln;

    if (mcf->middlewares == NULL) {
        mcf->middlewares = json_object();
        cln = ngx_pool_cleanup_add(cf->pool, 0);

        if (mcf->middlewares == NULL || cln == NULL) {
            return NGX_CONF_ERROR;
        }

        cln->handler = ngx_http_swarm_json_cleanup;
        cln->data = mcf->middlewares;
    }

    return ngx_http_swarm_middleware_conf(cf, mcf->middlewares);
}


static void
ngx_http_swarm_json_cleanup(void *data)
{
    json_decref(data);
}


static char *
ngx_http_swarm_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_swarm_status_page;

    return NGX_CONF_OK;
}


/* "swarm_allow CIDR": when given, only task addresses inside are used */

static char *
ngx_http_swarm_allow(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_main_conf_t *mcf = conf;

    ngx_int_t    rc;
    ngx_str_t   *value;
    ngx_cidr_t  *cidr;

    value = cf->args->elts;

    if (mcf->swarm.allow == NULL) {
        mcf->swarm.allow = ngx_array_create(cf->pool, 4, sizeof(ngx_cidr_t));
        if (mcf->swarm.allow == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    cidr = ngx_array_push(mcf->swarm.allow);
    if (cidr == NULL) {
        return NGX_CONF_ERROR;
    }

    rc = ngx_ptocidr(&value[1], cidr);

    if (rc == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid parameter \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (rc == NGX_DONE) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "low address bits of %V are meaningless",
                           &value[1]);
    }

    return NGX_CONF_OK;
}


/* swarm_metrics: where it is, the tasks are counted */

static char *
ngx_http_swarm_metrics(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t    *clcf;
    ngx_http_swarm_main_conf_t  *mcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_swarm_metrics_page;

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);
    mcf->metrics = 1;

    return NGX_CONF_OK;
}


/*
 * "swarm_dashboard [status=URI] [metrics=URI]": where the page reads
 * swarm_status and swarm_metrics
 */

static char *
ngx_http_swarm_dashboard(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_loc_conf_t *lcf = conf;

    ngx_http_core_loc_conf_t  *clcf;

    if (lcf->dashboard) {
        return "is duplicate";
    }

    lcf->dashboard = ngx_http_swarm_dashboard_create(cf);
    if (lcf->dashboard == NULL) {
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_swarm_dashboard_page;

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

    if (mcf == NULL || mcf->swarm.upstreams.nelts == 0) {
        return NGX_OK;
    }

    if (ngx_http_swarm_ca_storage_init(cycle, &mcf->swarm) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_http_swarm_views_wake_init(cycle, &mcf->swarm.views);
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

    if (mcf == NULL || mcf->swarm.upstreams.nelts == 0) {
        return NGX_OK;
    }

    /* a new worker 0 takes the zone over from the last configuration's */

    if (ngx_worker == 0
        && !ngx_http_swarm_zone_claim(&mcf->swarm.zone, cycle->log))
    {
        ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                      "swarm: a newer configuration asks Docker");
        return ngx_http_swarm_views_init(cycle, &mcf->swarm.views);
    }

    if (ngx_http_swarm_views_init(cycle, &mcf->swarm.views) != NGX_OK) {
        return NGX_ERROR;
    }

    if (ngx_worker != 0) {
        return NGX_OK;
    }

    if (ngx_http_swarm_sync_init(cycle, &mcf->swarm) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "swarm: discovery could not start");
    }

    if (ngx_http_swarm_ca_init(cycle, &mcf->swarm) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "swarm_acme: the ACME client could not start");
    }

    return NGX_OK;
}


/* a location's swarm_route: the request's route, before access checks */

/*
 * For the selectors: the servers' entrypoints and the names of
 * swarm_acme, "a,b" (a router naming an entrypoint no server is, or a
 * swarm_acme there is not, is told so as the labels are read)
 */

static ngx_int_t
ngx_http_swarm_selector_names(ngx_conf_t *cf, ngx_http_swarm_t *swarm)
{
    u_char                     *eps, *res;
    ngx_uint_t                  i;
    ngx_http_swarm_selector_t  *sel;

    eps = ngx_http_swarm_names(cf, &swarm->entrypoints);
    res = ngx_http_swarm_names(cf, &swarm->resolvers);

    if (eps == (u_char *) NGX_CONF_ERROR || res == (u_char *) NGX_CONF_ERROR) {
        return NGX_ERROR;
    }

    sel = swarm->selectors.elts;

    for (i = 0; i < swarm->selectors.nelts; i++) {
        sel[i].entrypoints = (const char *) eps;
        sel[i].resolvers = (const char *) res;
    }

    return NGX_OK;
}


/*
 * The names of an array of records whose first member is an ngx_str_t
 * name, joined by ","; NULL for none
 */

static u_char *
ngx_http_swarm_names(ngx_conf_t *cf, ngx_array_t *a)
{
    u_char      *p, *names;
    size_t       len;
    ngx_str_t   *name;
    ngx_uint_t   i;

    if (a->nelts == 0) {
        return NULL;
    }

    for (i = 0, len = 0; i < a->nelts; i++) {
        name = (ngx_str_t *) ((u_char *) a->elts + i * a->size);
        len += name->len + 1;
    }

    names = ngx_pnalloc(cf->pool, len);
    if (names == NULL) {
        return (u_char *) NGX_CONF_ERROR;
    }

    for (i = 0, p = names; i < a->nelts; i++) {
        name = (ngx_str_t *) ((u_char *) a->elts + i * a->size);

        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, name->data, name->len);
    }

    *p = '\0';

    return names;
}


/* "swarm_entrypoint NAME [tls] [default]": ngx_http_swarm_route.c's */

static char *
ngx_http_swarm_entrypoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_loc_conf_t *lcf = conf;

    ngx_http_swarm_main_conf_t  *mcf;

    if (lcf->entrypoint != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    mcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_swarm_module);

    return ngx_http_swarm_route_entrypoint(cf, &mcf->swarm,
                                           &lcf->entrypoint);
}


/* "swarm_tls": ngx_http_swarm_tls.c's, once the server's SSL is made */

static char *
ngx_http_swarm_tls(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_swarm_loc_conf_t *lcf = conf;

    if (lcf->tls != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    lcf->tls = 1;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_swarm_route_phase(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_swarm_loc_conf_t   *lcf;
    ngx_http_swarm_main_conf_t  *mcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_swarm_module);

    if (lcf->up == NULL) {
        return NGX_DECLINED;
    }

    mcf = ngx_http_get_module_main_conf(r, ngx_http_swarm_module);

    if (mcf->swarm.resolvers.nelts && r == r->main) {
        rc = ngx_http_swarm_tls_challenge(r, &mcf->swarm);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    return ngx_http_swarm_route_handler(r, lcf->up, lcf->entrypoint);
}


static ngx_int_t
ngx_http_swarm_status_page(ngx_http_request_t *r)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_swarm_module);

    return ngx_http_swarm_status_handler(r, &mcf->swarm);
}


static ngx_int_t
ngx_http_swarm_metrics_page(ngx_http_request_t *r)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_get_module_main_conf(r, ngx_http_swarm_module);

    return ngx_http_swarm_metrics_handler(r, &mcf->swarm);
}


static ngx_int_t
ngx_http_swarm_dashboard_page(ngx_http_request_t *r)
{
    ngx_http_swarm_loc_conf_t  *lcf;

    lcf = ngx_http_get_module_loc_conf(r, ngx_http_swarm_module);

    return ngx_http_swarm_dashboard_handler(r, lcf->dashboard);
}


static void
ngx_http_swarm_exit_process(ngx_cycle_t *cycle)
{
    ngx_http_swarm_main_conf_t  *mcf;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_swarm_module);

    if (mcf) {
        ngx_http_swarm_views_exit(&mcf->swarm.views);
    }

    ngx_http_swarm_sync_exit();
    ngx_http_swarm_ca_exit();
}
