
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The variables of the task the balancer chose last for a request, for
 * log_format: $swarm_task, $swarm_service, $swarm_route and
 * $swarm_sticky (new, hit, rebound); empty where no task was chosen.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_routing.h"
#include "ngx_http_swarm_variables.h"


#define NGX_HTTP_SWARM_VAR_TASK      0
#define NGX_HTTP_SWARM_VAR_SERVICE   1
#define NGX_HTTP_SWARM_VAR_ROUTE     2
#define NGX_HTTP_SWARM_VAR_STICKY    3


static ngx_int_t ngx_http_swarm_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);


static ngx_http_variable_t  ngx_http_swarm_vars[] = {

    { ngx_string("swarm_task"), NULL, ngx_http_swarm_variable,
      NGX_HTTP_SWARM_VAR_TASK, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("swarm_service"), NULL, ngx_http_swarm_variable,
      NGX_HTTP_SWARM_VAR_SERVICE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("swarm_route"), NULL, ngx_http_swarm_variable,
      NGX_HTTP_SWARM_VAR_ROUTE, NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("swarm_sticky"), NULL, ngx_http_swarm_variable,
      NGX_HTTP_SWARM_VAR_STICKY, NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


ngx_int_t
ngx_http_swarm_variables_add(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_http_swarm_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_swarm_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    const char             *s;
    ngx_http_swarm_ctx_t   *ctx;
    ngx_http_swarm_peer_t  *task;

    static const char  *sticky[] = { "", "new", "hit", "rebound" };

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    s = "";

    if (ctx && ctx->peer_view && ctx->peer >= 0) {
        task = &ctx->peer_view->tasks[ctx->peer];

        switch (data) {

        case NGX_HTTP_SWARM_VAR_TASK:
            s = task->task;
            break;

        case NGX_HTTP_SWARM_VAR_SERVICE:
            s = task->service;
            break;

        case NGX_HTTP_SWARM_VAR_ROUTE:
            s = ngx_http_swarm_routing_name(ctx->peer_view, task->route);
            break;

        default: /* NGX_HTTP_SWARM_VAR_STICKY */
            s = sticky[ctx->sticky];
        }
    }

    v->data = (u_char *) s;
    v->len = ngx_strlen(s);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}
