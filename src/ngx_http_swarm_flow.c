
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The middlewares that bound how a request flows to its task and back,
 * as Traefik's do: retry, the route's tries of its tasks (the balancer
 * reads them), and buffering, a route's bounds on the request's body
 * (413 past it) and the response's (500 past it).  A body of a length
 * said beforehand is refused at once; one sent in chunks is counted as
 * it comes: a request's by a request body filter, and a response's by a
 * body filter, which can only cut it short, its headers being sent.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_flow.h"


static ngx_int_t ngx_http_swarm_flow_response(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
static ngx_int_t ngx_http_swarm_flow_request_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t ngx_http_swarm_flow_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_uint_t ngx_http_swarm_flow_over(ngx_http_request_t *r,
    ngx_chain_t *in, off_t *size, ngx_http_swarm_mw_t *mw, ngx_uint_t max,
    const char *option);


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* the body filters, where any location has swarm_route */

ngx_int_t
ngx_http_swarm_flow_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_swarm_flow_request_body_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_swarm_flow_body_filter;

    return NGX_OK;
}


/* retry: "attempts" */

ngx_int_t
ngx_http_swarm_flow_build_retry(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    mw->depth = (ngx_uint_t) json_integer_value(json_object_get(def,
                                                                "attempts"));
    return NGX_OK;
}


/* buffering: the bounds of the request's body and of the response's */

ngx_int_t
ngx_http_swarm_flow_build_buffering(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    mw->depth = (ngx_uint_t) json_integer_value(json_object_get(def,
                                                                "request"));
    mw->status = (ngx_uint_t) json_integer_value(json_object_get(def,
                                                                 "response"));

    if (mw->status) {
        mw->response = ngx_http_swarm_flow_response;
    }

    return NGX_OK;
}


/* retry on a request: the balancer tries that many tasks at the most */

ngx_int_t
ngx_http_swarm_flow_retry(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx) {
        ctx->tries = mw->depth;
    }

    return NGX_DECLINED;
}


/*
 * buffering on a request: 413 for a body said to be longer than allowed,
 * else the bounds kept for the body filters
 */

ngx_int_t
ngx_http_swarm_flow_buffering(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    if (mw->depth) {
        if (r->headers_in.content_length_n > (off_t) mw->depth) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "swarm: route \"%s\": middleware \"%s\": request "
                          "body of %O bytes over maxRequestBodyBytes %ui",
                          mw->route, mw->name,
                          r->headers_in.content_length_n, mw->depth);

            return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
        }

        ctx->body_max = mw;
    }

    if (mw->status) {
        ctx->response_max = mw;
    }

    return NGX_DECLINED;
}


/*
 * buffering on a response's headers: 500 for a body said to be longer
 * than allowed, as Traefik answers one it buffered
 */

static ngx_int_t
ngx_http_swarm_flow_response(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    if (r->headers_out.content_length_n > (off_t) mw->status) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "swarm: route \"%s\": middleware \"%s\": response "
                      "body of %O bytes over maxResponseBodyBytes %ui",
                      mw->route, mw->name, r->headers_out.content_length_n,
                      mw->status);

        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* a request's body sent in chunks, counted: 413 once it is too long */

static ngx_int_t
ngx_http_swarm_flow_request_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx && ctx->body_max
        && ngx_http_swarm_flow_over(r, in, &ctx->body_size, ctx->body_max,
                                    ctx->body_max->depth,
                                    "maxRequestBodyBytes"))
    {
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    return ngx_http_next_request_body_filter(r, in);
}


/*
 * A response's body sent with no length, counted: cut short once it is
 * too long, its headers being sent
 */

static ngx_int_t
ngx_http_swarm_flow_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx && ctx->response_max && r == r->main
        && ngx_http_swarm_flow_over(r, in, &ctx->response_size,
                                    ctx->response_max,
                                    ctx->response_max->status,
                                    "maxResponseBodyBytes"))
    {
        return NGX_ERROR;
    }

    return ngx_http_next_body_filter(r, in);
}


/* a body's buffers counted: whether it is now over the bound, said */

static ngx_uint_t
ngx_http_swarm_flow_over(ngx_http_request_t *r, ngx_chain_t *in,
    off_t *size, ngx_http_swarm_mw_t *mw, ngx_uint_t max, const char *option)
{
    ngx_chain_t  *cl;

    for (cl = in; cl; cl = cl->next) {
        *size += ngx_buf_size(cl->buf);
    }

    if (*size <= (off_t) max) {
        return 0;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "swarm: route \"%s\": middleware \"%s\": body over %s "
                  "%ui", mw->route, mw->name, option, max);

    return 1;
}
