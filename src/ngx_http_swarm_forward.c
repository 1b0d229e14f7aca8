
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The forwardauth middleware, as Traefik's (pkg/middlewares/auth/
 * forward.go): the request's headers, with X-Forwarded-Method, -Proto,
 * -Host, -Port, -Uri and -For, go to the address, and its answer
 * decides.  2xx lets the request on, with the headers it lists copied
 * into it; any other answer is the client's, as the address gave it:
 * status, headers and body.  The call is an in-memory subrequest, as
 * auth_request makes one, of the address's path and query, in the
 * request's own location from the route phase on: the route handler
 * lets it be, the balancer sends it to its service's tasks or its IP
 * address, and the proxy there does the rest, never blocking a worker.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_forward.h"


typedef struct {
    /* the path and query asked, the address's start for a Location */
    ngx_str_t                      uri;
    ngx_str_t                      args;
    ngx_str_t                      base;

    /* the IP address that answers, if not its service's tasks */
    ngx_addr_t                    *addr;

    /* the headers copied: to the address, and back into the request */
    ngx_array_t                   *request;
    ngx_array_t                   *response;
    ngx_regex_t                   *regex;

    ngx_str_t                      signin;

    unsigned                       trust:1;
    unsigned                       method:1;
    unsigned                       preserve:1;
} ngx_http_swarm_forward_t;


/* a request's call to the address */

typedef struct {
    ngx_http_swarm_mw_t           *mw;
    ngx_http_request_t            *sr;
    ngx_uint_t                     done;
} ngx_http_swarm_forward_call_t;


static ngx_int_t ngx_http_swarm_forward_call(ngx_http_request_t *r,
    ngx_http_swarm_ctx_t *ctx, ngx_http_swarm_mw_t *mw);
static ngx_int_t ngx_http_swarm_forward_headers(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_http_swarm_forward_t *f);
static ngx_int_t ngx_http_swarm_forward_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_http_swarm_forward_allowed(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_http_swarm_forward_t *f);
static ngx_int_t ngx_http_swarm_forward_refused(ngx_http_request_t *r,
    ngx_http_request_t *sr, ngx_http_swarm_forward_t *f);


/* a route's forwardauth, as its definition says */

ngx_int_t
ngx_http_swarm_forward_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    u_char                    *p, *dst, *src;
    json_t                    *re;
    ngx_str_t                  host, text;
    ngx_uint_t                 port;
    ngx_array_t               *a;
    ngx_http_swarm_forward_t  *f;

    f = ngx_pcalloc(pool, sizeof(ngx_http_swarm_forward_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    host.data = (u_char *) json_string_value(json_object_get(def, "host"));
    host.len = host.data ? ngx_strlen(host.data) : 0;
    port = (ngx_uint_t) json_integer_value(json_object_get(def, "port"));

    /* the path as the proxy sends a subrequest's: decoded, escaped again */

    src = (u_char *) json_string_value(json_object_get(def, "path"));
    if (src == NULL) {
        src = (u_char *) "/";
    }

    dst = ngx_pnalloc(pool, ngx_strlen(src));
    if (dst == NULL) {
        return NGX_ERROR;
    }

    f->uri.data = dst;
    ngx_unescape_uri(&dst, &src, ngx_strlen(src), NGX_UNESCAPE_URI);
    f->uri.len = dst - f->uri.data;

    f->args.data = (u_char *) json_string_value(json_object_get(def, "args"));
    f->args.len = f->args.data ? ngx_strlen(f->args.data) : 0;

    p = ngx_pnalloc(pool, sizeof("http://[]:65535") + host.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    f->base.data = p;
    f->base.len = ngx_sprintf(p, (ngx_strlchr(host.data, host.data + host.len,
                                              ':')
                                  ? "http://[%V]:%ui" : "http://%V:%ui"),
                              &host, port)
                  - p;

    if (json_is_true(json_object_get(def, "ip"))) {
        f->addr = ngx_pcalloc(pool, sizeof(ngx_addr_t));
        if (f->addr == NULL) {
            return NGX_ERROR;
        }

        if (ngx_parse_addr(pool, f->addr, host.data, host.len) != NGX_OK) {
            ngx_snprintf((u_char *) err, errlen, "middleware \"%s\": "
                         "invalid address \"%V\"%Z", mw->name, &host);
            return NGX_ERROR;
        }

        ngx_inet_set_port(f->addr->sockaddr, (in_port_t) port);

        f->addr->name.data = f->base.data + sizeof("http://") - 1;
        f->addr->name.len = f->base.len - (sizeof("http://") - 1);

    } else if (mw->tasks == NULL) {
        ngx_snprintf((u_char *) err, errlen, "middleware \"%s\": no "
                     "service for address host \"%V\"%Z", mw->name, &host);
        return NGX_ERROR;
    }

    f->request = ngx_http_swarm_fields_list(json_object_get(def, "request"),
                                            NGX_HTTP_SWARM_FIELDS_STRINGS,
                                            pool, err, errlen);
    f->response = ngx_http_swarm_fields_list(json_object_get(def, "response"),
                                             NGX_HTTP_SWARM_FIELDS_STRINGS,
                                             pool, err, errlen);
    if (f->request == NULL || f->response == NULL) {
        return NGX_ERROR;
    }

    text.data = (u_char *) json_string_value(json_object_get(def, "regex"));

    if (text.data && text.data[0]) {
        re = json_pack("[s]", (char *) text.data);

        a = ngx_http_swarm_fields_list(re, NGX_HTTP_SWARM_FIELDS_REGEXES,
                                       pool, err, errlen);
        json_decref(re);

        if (a == NULL) {
            return NGX_ERROR;
        }

        f->regex = *(ngx_regex_t **) a->elts;
    }

    f->signin.data = (u_char *) json_string_value(json_object_get(def,
                                                                  "signin"));
    f->signin.len = f->signin.data ? ngx_strlen(f->signin.data) : 0;

    f->trust = json_is_true(json_object_get(def, "trust"));
    f->method = json_is_true(json_object_get(def, "method"));
    f->preserve = json_is_true(json_object_get(def, "preserve"));

    mw->data = f;

    return NGX_OK;
}


/*
 * forwardauth on a request: the call made (NGX_BUSY: the request waits,
 * and comes back here), then its answer taken: NGX_DECLINED to go on,
 * NGX_DONE where the answer was sent as the address gave it, or a status
 */

ngx_int_t
ngx_http_swarm_forward_run(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_http_request_t             *sr;
    ngx_http_swarm_ctx_t           *ctx;
    ngx_http_upstream_t            *u;
    ngx_http_swarm_forward_t       *f;
    ngx_http_swarm_forward_call_t  *call;

    f = mw->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || r != r->main) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call = ctx->forward;

    if (call == NULL || call->mw != mw) {
        return ngx_http_swarm_forward_call(r, ctx, mw);
    }

    if (!call->done) {
        return NGX_BUSY;
    }

    ctx->forward = NULL;
    sr = call->sr;
    u = sr->upstream;

    if (u == NULL || u->headers_in.status_n == 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "swarm: route \"%s\": middleware \"%s\": %V%V gave no "
                      "answer", mw->route, mw->name, &f->base, &f->uri);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (u->headers_in.status_n >= NGX_HTTP_OK
        && u->headers_in.status_n < NGX_HTTP_SPECIAL_RESPONSE)
    {
        return ngx_http_swarm_forward_allowed(r, sr, f);
    }

    if (u->headers_in.status_n != NGX_HTTP_UNAUTHORIZED
        || f->signin.len == 0)
    {
        /* answered as the address answered: counted before it is sent */
        ngx_http_swarm_answer(ctx, mw->kind, u->headers_in.status_n);
    }

    return ngx_http_swarm_forward_refused(r, sr, f);
}


/* the call: an in-memory subrequest to the request's location */

static ngx_int_t
ngx_http_swarm_forward_call(ngx_http_request_t *r, ngx_http_swarm_ctx_t *ctx,
    ngx_http_swarm_mw_t *mw)
{
    ngx_http_request_t             *sr;
    ngx_http_swarm_ctx_t           *sctx;
    ngx_http_swarm_forward_t       *f;
    ngx_http_post_subrequest_t     *ps;
    ngx_http_swarm_forward_call_t  *call;

    f = mw->data;

    if (f->addr == NULL && mw->backend == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "swarm: route \"%s\": middleware \"%s\": service "
                      "\"%s\" is not routed here", mw->route, mw->name,
                      mw->tasks);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    call = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_forward_call_t));
    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_ctx_t));

    if (call == NULL || ps == NULL || sctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->handler = ngx_http_swarm_forward_done;
    ps->data = call;

    /* in the request's location, from this phase on */

    if (ngx_http_subrequest(r, &f->uri, &f->args, &sr, ps,
                            NGX_HTTP_SUBREQUEST_WAITED
                            |NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_CLONE)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!f->method) {
        sr->method = NGX_HTTP_GET;
        ngx_str_set(&sr->method_name, "GET");
    }

    sr->valid_unparsed_uri = 0;

    sr->header_only = 0;

    if (ngx_http_swarm_forward_headers(r, sr, f) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the balancer sends it to the address, on the request's copy */

    sctx->up = ctx->up;
    sctx->view = ctx->view;
    sctx->backend = mw->backend;
    sctx->addr = f->addr;
    sctx->auth = mw;

    ngx_http_set_ctx(sr, sctx, ngx_http_swarm_module);

    call->mw = mw;
    call->sr = sr;
    ctx->forward = call;

    return NGX_BUSY;
}


/*
 * The call's headers: the request's, but those of one hop, its body's,
 * and (unless trustForwardHeader) the X-Forwarded ones; only those of
 * authRequestHeaders where it is given; then X-Forwarded-For, -Method,
 * -Proto, -Port, -Host and -Uri, as Traefik sets them
 */

static ngx_int_t
ngx_http_swarm_forward_headers(ngx_http_request_t *r, ngx_http_request_t *sr,
    ngx_http_swarm_forward_t *f)
{
    u_char           *p;
    ngx_str_t         v;
    ngx_uint_t        i, tls;
    ngx_list_t       *list;
    ngx_table_elt_t  *h;

    static char      *names[] = { "X-Forwarded-Method", "X-Forwarded-Proto",
                                  "X-Forwarded-Port", "X-Forwarded-Host",
                                  "X-Forwarded-Uri" };

    if (ngx_http_swarm_fields_sub(r, sr, f->request, f->trust) != NGX_OK) {
        return NGX_ERROR;
    }

    list = &sr->headers_in.headers;

    /* X-Forwarded-For: the earlier hops' (trusted), then the client */

    v = r->connection->addr_text;
    h = f->trust ? ngx_http_swarm_fields_in(r, "X-Forwarded-For", 15) : NULL;

    if (h) {
        p = ngx_pnalloc(r->pool, h->value.len + 2 + v.len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v.len = ngx_sprintf(p, "%V, %V", &h->value, &r->connection->addr_text)
                - p;
        v.data = p;
    }

    if (ngx_http_swarm_fields_push(list, "X-Forwarded-For", &v) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the others, but the client's where they are trusted */

    tls = 0;
#if (NGX_HTTP_SSL)
    tls = (r->connection->ssl != NULL);
#endif

    for (i = 0; i < 5; i++) {
        if (f->trust
            && ngx_http_swarm_fields_in(r, names[i], ngx_strlen(names[i])))
        {
            continue;
        }

        switch (i) {

        case 0:
            v = r->method_name;
            break;

        case 1:
            if (tls) {
                ngx_str_set(&v, "https");

            } else {
                ngx_str_set(&v, "http");
            }

            break;

        case 2:
            /* the Host's port, else the scheme's */

            ngx_str_null(&v);

            if (r->headers_in.host) {
                v = r->headers_in.host->value;
                p = ngx_strlchr(v.data, v.data + v.len, ']');
                p = ngx_strlchr(p ? p : v.data, v.data + v.len, ':');

                v.len = p ? (size_t) (v.data + v.len - p - 1) : 0;
                v.data = p ? p + 1 : NULL;
            }

            if (v.len == 0) {
                if (tls) {
                    ngx_str_set(&v, "443");

                } else {
                    ngx_str_set(&v, "80");
                }
            }

            break;

        case 3:
            if (r->headers_in.host == NULL) {
                continue;
            }

            v = r->headers_in.host->value;
            break;

        default: /* 4 */
            v = r->unparsed_uri;
        }

        if (ngx_http_swarm_fields_push(list, names[i], &v) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the call is done: its request comes back to the middleware */

static ngx_int_t
ngx_http_swarm_forward_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_http_swarm_forward_call_t  *call = data;

    call->done = 1;

    return rc;
}


/*
 * 2xx: the request goes on, with authResponseHeaders (and those that
 * authResponseHeadersRegex matches) as the address gave them
 */

static ngx_int_t
ngx_http_swarm_forward_allowed(ngx_http_request_t *r, ngx_http_request_t *sr,
    ngx_http_swarm_forward_t *f)
{
    ngx_str_t        *names;
    ngx_uint_t        i, k, n;
    ngx_table_elt_t  *h;
    ngx_list_part_t  *part;

    names = f->response->elts;

    for (k = 0; k < f->response->nelts; k++) {
        if (ngx_http_swarm_fields_in_set(r, &names[k], NULL, 0) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        part = &sr->headers_out.headers.part;
        i = 0;

        while ((h = ngx_http_swarm_fields_next(&part, &i, &names[k]))
               != NULL)
        {
            if (h->hash
                && ngx_http_swarm_fields_in_set(r, &h->key, &h->value, 1)
                   != NGX_OK)
            {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }
        }
    }

    if (f->regex == NULL) {
        return NGX_DECLINED;
    }

    /* the request's lines of those names out, then the answer's in */

    part = &r->headers_in.headers.part;
    i = 0;
    n = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {
        if (ngx_regex_exec(f->regex, &h->key, NULL, 0) >= 0) {
            n++;
        }
    }

    while (n--) {
        part = &r->headers_in.headers.part;
        i = 0;

        while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {
            if (ngx_regex_exec(f->regex, &h->key, NULL, 0) >= 0) {
                break;
            }
        }

        if (h == NULL
            || ngx_http_swarm_fields_in_set(r, &h->key, NULL, 0) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    part = &sr->headers_out.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {
        if (h->hash && ngx_regex_exec(f->regex, &h->key, NULL, 0) >= 0
            && ngx_http_swarm_fields_in_set(r, &h->key, &h->value, 1)
               != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return NGX_DECLINED;
}


/*
 * Any other answer: the client's, as the address gave it (its status,
 * its headers but those of one hop, its body), a relative Location made
 * the address's unless preserveLocationHeader; or, for a 401 where
 * authSignInURL is given, a 302 to it
 */

static ngx_int_t
ngx_http_swarm_forward_refused(ngx_http_request_t *r, ngx_http_request_t *sr,
    ngx_http_swarm_forward_t *f)
{
    u_char           *p;
    size_t            len;
    ngx_int_t         rc;
    ngx_str_t         name, value;
    ngx_buf_t        *b;
    ngx_uint_t        i, status;
    ngx_chain_t       out;
    ngx_table_elt_t  *h, *nh;
    ngx_list_part_t  *part;

    status = sr->upstream->headers_in.status_n;

    if (status == NGX_HTTP_UNAUTHORIZED && f->signin.len) {
        ngx_str_set(&name, "Location");

        h = ngx_http_swarm_fields_out_set(r, &name, &f->signin);
        if (h == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.location = h;

        return NGX_HTTP_MOVED_TEMPORARILY;
    }

    part = &sr->headers_out.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {
        if (h->hash == 0 || ngx_http_swarm_fields_hop(&h->key)) {
            continue;
        }

        value = h->value;

        if (!f->preserve && h->key.len == 8
            && ngx_strncasecmp(h->key.data, (u_char *) "Location", 8) == 0
            && value.len && value.data[0] == '/'
            && !(value.len > 1 && value.data[1] == '/'))
        {
            /* relative: of the address, as Go's Response.Location() */

            len = f->base.len + value.len;

            p = ngx_pnalloc(r->pool, len);
            if (p == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            ngx_sprintf(p, "%V%V", &f->base, &value);
            value.data = p;
            value.len = len;
        }

        nh = ngx_http_swarm_fields_out_add(r, &h->key, &value);
        if (nh == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    r->headers_out.status = status;
    r->headers_out.content_type = sr->headers_out.content_type;
    r->headers_out.content_type_len = sr->headers_out.content_type_len;
    r->headers_out.charset = sr->headers_out.charset;

    len = (sr->out && sr->out->buf) ? ngx_buf_size(sr->out->buf) : 0;

    r->headers_out.content_length_n = len;

    if (len == 0) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        ngx_http_finalize_request(r, rc);
        return NGX_DONE;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        ngx_http_finalize_request(r, NGX_ERROR);
        return NGX_DONE;
    }

    b->pos = sr->out->buf->pos;
    b->last = sr->out->buf->last;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    ngx_http_finalize_request(r, ngx_http_output_filter(r, &out));

    return NGX_DONE;
}
