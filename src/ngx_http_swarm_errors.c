
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The errors middleware, as Traefik's (pkg/middlewares/customerrors): a
 * response whose status is one of "status" is not sent; the page at
 * "query" of the errors' service is, with that status (or the one
 * statusRewrites gives) and the page's headers.  The page is asked by a
 * subrequest of the query's path in the request's own location, which
 * the balancer sends to the service's tasks; its output goes to the
 * client in the response's place, through nginx's postpone filter, as
 * SSI's includes do.  The response's own
 * body is dropped as it comes; its end ends the page's.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_errors.h"


typedef struct {
    /* [from, to] pairs; [from, to, code] triples */
    ngx_array_t                   *status;
    ngx_array_t                   *rewrites;
    ngx_str_t                      query;
    ngx_array_t                   *headers;
} ngx_http_swarm_errors_t;


/* a response replaced by its error page */

typedef struct {
    ngx_http_swarm_mw_t           *mw;
    ngx_uint_t                     code;
    ngx_str_t                      uri;
    ngx_str_t                      args;
    unsigned                       sent:1;
} ngx_http_swarm_page_t;


static ngx_array_t *ngx_http_swarm_errors_codes(json_t *list, ngx_uint_t n,
    ngx_pool_t *pool);
static ngx_uint_t ngx_http_swarm_errors_in(ngx_array_t *codes,
    ngx_uint_t n, ngx_uint_t status, ngx_uint_t *to);
static ngx_int_t ngx_http_swarm_errors_response(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);
static ngx_int_t ngx_http_swarm_errors_query(ngx_http_request_t *r,
    ngx_http_swarm_errors_t *e, ngx_http_swarm_page_t *page,
    ngx_uint_t original);
static u_char *ngx_http_swarm_errors_escape(u_char *dst, u_char *src,
    size_t len);
static ngx_int_t ngx_http_swarm_errors_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_errors_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* the filters, where any location has swarm_route */

ngx_int_t
ngx_http_swarm_errors_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_swarm_errors_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_swarm_errors_body_filter;

    return NGX_OK;
}


/* a route's errors, as its definition says */

ngx_int_t
ngx_http_swarm_errors_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    ngx_http_swarm_errors_t  *e;

    e = ngx_pcalloc(pool, sizeof(ngx_http_swarm_errors_t));
    if (e == NULL) {
        return NGX_ERROR;
    }

    e->status = ngx_http_swarm_errors_codes(json_object_get(def, "status"),
                                            2, pool);
    e->rewrites = ngx_http_swarm_errors_codes(json_object_get(def,
                                                              "rewrites"),
                                              3, pool);
    e->headers = ngx_http_swarm_fields_list(json_object_get(def, "headers"),
                                            NGX_HTTP_SWARM_FIELDS_STRINGS,
                                            pool, err, errlen);

    if (e->status == NULL || e->rewrites == NULL || e->headers == NULL) {
        return NGX_ERROR;
    }

    e->query.data = (u_char *) json_string_value(json_object_get(def,
                                                                 "query"));
    e->query.len = e->query.data ? ngx_strlen(e->query.data) : 0;

    if (mw->tasks == NULL) {
        ngx_snprintf((u_char *) err, errlen, "middleware \"%s\": no "
                     "service's tasks%Z", mw->name);
        return NGX_ERROR;
    }

    mw->data = e;
    mw->response = ngx_http_swarm_errors_response;

    return NGX_OK;
}


/* [[from, to(, code)], ...] as n numbers each */

static ngx_array_t *
ngx_http_swarm_errors_codes(json_t *list, ngx_uint_t n, ngx_pool_t *pool)
{
    size_t        i;
    json_t       *v;
    ngx_uint_t    k, *c;
    ngx_array_t  *a;

    a = ngx_array_create(pool, n * (json_array_size(list) + 1),
                         sizeof(ngx_uint_t));
    if (a == NULL) {
        return NULL;
    }

    json_array_foreach(list, i, v) {
        c = ngx_array_push_n(a, n);
        if (c == NULL) {
            return NULL;
        }

        for (k = 0; k < n; k++) {
            c[k] = (ngx_uint_t) json_integer_value(json_array_get(v, k));
        }
    }

    return a;
}


/* whether a status is of the codes, and the code it gives (triples) */

static ngx_uint_t
ngx_http_swarm_errors_in(ngx_array_t *codes, ngx_uint_t n, ngx_uint_t status,
    ngx_uint_t *to)
{
    ngx_uint_t   i, *c;

    c = codes->elts;

    for (i = 0; i + n <= codes->nelts; i += n) {
        if (status >= c[i] && status <= c[i + 1]) {
            if (to) {
                *to = c[i + 2];
            }

            return 1;
        }
    }

    return 0;
}


/* errors on a request: nothing until its response comes */

ngx_int_t
ngx_http_swarm_errors_run(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    return NGX_DECLINED;
}


/*
 * errors on a response's headers (the middlewares' header filter): one
 * of its statuses is held back (NGX_DONE), and its page asked for
 */

static ngx_int_t
ngx_http_swarm_errors_response(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_uint_t                original, code;
    ngx_http_request_t       *sr;
    ngx_http_swarm_ctx_t     *ctx, *sctx;
    ngx_http_swarm_page_t    *page;
    ngx_http_swarm_errors_t  *e;

    e = mw->data;
    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);
    original = r->headers_out.status;

    if (r != r->main || ctx->page || r->header_only
        || !ngx_http_swarm_errors_in(e->status, 2, original, NULL))
    {
        return NGX_OK;
    }

    if (mw->backend == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "swarm: route \"%s\": middleware \"%s\": service "
                      "\"%s\" is not routed here", mw->route, mw->name,
                      mw->tasks);
        return NGX_OK;
    }

    code = original;
    (void) ngx_http_swarm_errors_in(e->rewrites, 3, original, &code);

    page = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_page_t));
    sctx = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_ctx_t));

    if (page == NULL || sctx == NULL) {
        return NGX_ERROR;
    }

    page->mw = mw;
    page->code = code;

    if (ngx_http_swarm_errors_query(r, e, page, original) != NGX_OK) {
        return NGX_ERROR;
    }

    /* in the request's location, from the phase it is in */

    if (ngx_http_subrequest(r, &page->uri, &page->args, &sr, NULL,
                            NGX_HTTP_SUBREQUEST_CLONE)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->method = NGX_HTTP_GET;
    ngx_str_set(&sr->method_name, "GET");
    sr->valid_unparsed_uri = 0;

    if (ngx_http_swarm_fields_sub(r, sr, e->headers, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    /* the balancer sends it to the service's tasks, on the request's copy */

    sctx->up = ctx->up;
    sctx->view = ctx->view;
    sctx->backend = mw->backend;
    sctx->page = page;

    ngx_http_set_ctx(sr, sctx, ngx_http_swarm_module);

    ctx->page = page;

    ngx_http_swarm_answer(ctx, mw->kind, code);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "swarm errors: %ui, the page \"%V\"", original,
                   &page->uri);

    return NGX_DONE;
}


/*
 * The page's path and query: "query" with {status} (the page's code),
 * {originalStatus} and {url} (the URL asked, escaped for a query)
 * replaced, from "/"
 */

static ngx_int_t
ngx_http_swarm_errors_query(ngx_http_request_t *r, ngx_http_swarm_errors_t *e,
    ngx_http_swarm_page_t *page, ngx_uint_t original)
{
    char        *scheme;
    u_char      *p, *q, *end, *dst, *src, *url;
    size_t       len, ulen;
    ngx_str_t    host;

    /* the URL asked, scheme://host/uri, to be escaped as a query's */

    scheme = "http";
#if (NGX_HTTP_SSL)
    if (r->connection->ssl) {
        scheme = "https";
    }
#endif

    ngx_str_null(&host);

    if (r->headers_in.host) {
        host = r->headers_in.host->value;
    }

    url = ngx_pnalloc(r->pool, sizeof("https://") + host.len
                               + r->unparsed_uri.len);
    if (url == NULL) {
        return NGX_ERROR;
    }

    ulen = ngx_sprintf(url, "%s://%V%V", scheme, &host, &r->unparsed_uri)
           - url;

    len = 1 + e->query.len + 3 * ulen + 2 * NGX_INT_T_LEN;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    q = p;

    if (e->query.len == 0 || e->query.data[0] != '/') {
        *q++ = '/';
    }

    src = e->query.data;
    end = src + e->query.len;

    while (src < end) {
        if (end - src >= 8 && ngx_strncmp(src, "{status}", 8) == 0) {
            q = ngx_sprintf(q, "%ui", page->code);
            src += 8;

        } else if (end - src >= 16
                   && ngx_strncmp(src, "{originalStatus}", 16) == 0)
        {
            q = ngx_sprintf(q, "%ui", original);
            src += 16;

        } else if (end - src >= 5 && ngx_strncmp(src, "{url}", 5) == 0) {
            q = ngx_http_swarm_errors_escape(q, url, ulen);
            src += 5;

        } else {
            *q++ = *src++;
        }
    }

    /* the path decoded (the proxy escapes a subrequest's), the query */

    end = ngx_strlchr(p, q, '?');

    if (end) {
        page->args.data = end + 1;
        page->args.len = q - end - 1;

    } else {
        end = q;
    }

    dst = ngx_pnalloc(r->pool, end - p);
    if (dst == NULL) {
        return NGX_ERROR;
    }

    page->uri.data = dst;
    src = p;
    ngx_unescape_uri(&dst, &src, end - p, NGX_UNESCAPE_URI);
    page->uri.len = dst - page->uri.data;

    return NGX_OK;
}


/* as Go's url.QueryEscape: all but letters, digits and "-_.~" escaped */

static u_char *
ngx_http_swarm_errors_escape(u_char *dst, u_char *src, size_t len)
{
    u_char  c;

    static u_char  hex[] = "0123456789ABCDEF";

    while (len--) {
        c = *src++;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '-' || c == '_' || c == '.' || c == '~')
        {
            *dst++ = c;

        } else if (c == ' ') {
            *dst++ = '+';

        } else {
            *dst++ = '%';
            *dst++ = hex[c >> 4];
            *dst++ = hex[c & 0xf];
        }
    }

    return dst;
}


/*
 * The page's headers, as they come: the response's instead, with its
 * status, sent now; the page's body follows them
 */

static ngx_int_t
ngx_http_swarm_errors_header_filter(ngx_http_request_t *r)
{
    ngx_uint_t              i;
    ngx_table_elt_t        *h;
    ngx_list_part_t        *part;
    ngx_http_request_t     *mr;
    ngx_http_swarm_ctx_t   *ctx, *mctx;
    ngx_http_swarm_page_t  *page;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->page == NULL || r == r->main) {
        return ngx_http_next_header_filter(r);
    }

    page = ctx->page;
    mr = r->main;
    mctx = ngx_http_get_module_ctx(mr, ngx_http_swarm_module);

    if (page->sent || mctx == NULL || mr->header_sent) {
        return NGX_OK;
    }

    page->sent = 1;

    /* the response's headers are the page's */

    if (ngx_list_init(&mr->headers_out.headers, mr->pool, 20,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_memzero(&mr->headers_out.status_line, sizeof(ngx_str_t));

    mr->headers_out.status = page->code;
    mr->headers_out.content_type = r->headers_out.content_type;
    mr->headers_out.content_type_len = r->headers_out.content_type_len;
    mr->headers_out.charset = r->headers_out.charset;
    mr->headers_out.content_length_n = r->headers_out.content_length_n;
    mr->headers_out.content_length = NULL;
    mr->headers_out.last_modified_time = -1;
    mr->headers_out.last_modified = NULL;
    mr->headers_out.location = NULL;
    mr->headers_out.etag = NULL;
    mr->headers_out.content_encoding = NULL;
    mr->headers_out.www_authenticate = NULL;
    mr->headers_out.server = NULL;
    mr->headers_out.date = NULL;
    mr->headers_out.refresh = NULL;
    mr->headers_out.expires = NULL;
#if (nginx_version >= 1023000)
    mr->headers_out.cache_control = NULL;
#else
    mr->headers_out.cache_control.nelts = 0;
#endif
    mr->headers_out.accept_ranges = NULL;
    mr->headers_out.content_range = NULL;

    part = &r->headers_out.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {
        if (h->hash && !ngx_http_swarm_fields_hop(&h->key)
            && ngx_http_swarm_fields_out_add(mr, &h->key, &h->value) == NULL)
        {
            return NGX_ERROR;
        }
    }

    /* the page is sent as the task gave it: not compressed after all */

    mctx->compress = NULL;

    return ngx_http_send_header(mr);
}


/*
 * The response held back: its body dropped as it comes, its end passed
 * on (the postpone filter sends it after the page)
 */

static ngx_int_t
ngx_http_swarm_errors_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t             *b;
    ngx_uint_t             last;
    ngx_chain_t           *cl, out;
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->page == NULL || r != r->main || in == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        b = cl->buf;

        if (b->last_buf) {
            last = 1;
        }

        b->pos = b->last;

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->last_buf = 1;

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}
