
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The compress middleware, as Traefik's (pkg/middlewares/compress): the
 * responses of the routes that ask for it, gzipped with zlib where the
 * client accepts gzip, the response is not encoded already, its type is
 * one to compress, and its length, where it is said, is at least the
 * minimum.  Only the routes whose middleware ran compress; nginx's own
 * gzip filter is not needed.  The filters are a module of their own,
 * placed as nginx places a filter module (before the copy filter, whose
 * buffers are then in memory).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <zlib.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_fields.h"
#include "ngx_http_swarm_compress.h"


/* the size of the buffers of gzipped data */
#define NGX_HTTP_SWARM_COMPRESS_BUF  16384


typedef struct {
    off_t                          min;
    ngx_array_t                   *excluded;
    ngx_array_t                   *included;

    /* gzip for a client that says nothing of what it accepts */
    unsigned                       absent:1;
} ngx_http_swarm_compress_t;


/* a response being gzipped */

typedef struct {
    z_stream                       zstream;
    ngx_chain_t                   *free;
    ngx_chain_t                   *busy;
    ngx_chain_t                   *out;
    ngx_chain_t                  **last_out;
    ngx_buf_t                     *buf;
    unsigned                       done:1;
} ngx_http_swarm_zip_t;


static ngx_array_t *ngx_http_swarm_compress_types(json_t *list,
    ngx_pool_t *pool);
static ngx_int_t ngx_http_swarm_compress_init(ngx_conf_t *cf);
static ngx_uint_t ngx_http_swarm_compress_wanted(ngx_http_request_t *r,
    ngx_http_swarm_compress_t *c);
static ngx_uint_t ngx_http_swarm_compress_accepted(ngx_http_request_t *r,
    ngx_http_swarm_compress_t *c);
static ngx_int_t ngx_http_swarm_compress_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_http_swarm_compress_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_swarm_compress_deflate(ngx_http_request_t *r,
    ngx_http_swarm_zip_t *z, ngx_buf_t *b);
static ngx_int_t ngx_http_swarm_compress_out(ngx_http_request_t *r,
    ngx_http_swarm_zip_t *z, int flush);
static void *ngx_http_swarm_compress_alloc(void *opaque, u_int items,
    u_int size);
static void ngx_http_swarm_compress_free(void *opaque, void *address);


static ngx_http_module_t  ngx_http_swarm_compress_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_swarm_compress_init,          /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_swarm_compress_module = {
    NGX_MODULE_V1,
    &ngx_http_swarm_compress_module_ctx,   /* module context */
    NULL,                                  /* module directives */
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


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* a route's compress, as its definition says */

ngx_int_t
ngx_http_swarm_compress_build(ngx_http_swarm_mw_t *mw, json_t *def,
    ngx_pool_t *pool, char *err, size_t errlen)
{
    ngx_http_swarm_compress_t  *c;

    c = ngx_pcalloc(pool, sizeof(ngx_http_swarm_compress_t));
    if (c == NULL) {
        return NGX_ERROR;
    }

    c->min = (off_t) json_integer_value(json_object_get(def, "min"));
    c->absent = json_is_true(json_object_get(def, "default"));

    c->excluded = ngx_http_swarm_compress_types(json_object_get(def,
                                                                "excluded"),
                                                pool);
    c->included = ngx_http_swarm_compress_types(json_object_get(def,
                                                                "included"),
                                                pool);

    if (c->excluded == NULL || c->included == NULL) {
        return NGX_ERROR;
    }

    mw->data = c;

    return NGX_OK;
}


/* media types, as the definition has them (in lower case) */

static ngx_array_t *
ngx_http_swarm_compress_types(json_t *list, ngx_pool_t *pool)
{
    size_t        i;
    json_t       *v;
    ngx_str_t    *s;
    ngx_array_t  *a;

    a = ngx_array_create(pool, json_array_size(list) + 1, sizeof(ngx_str_t));
    if (a == NULL) {
        return NULL;
    }

    json_array_foreach(list, i, v) {
        s = ngx_array_push(a);
        if (s == NULL) {
            return NULL;
        }

        s->data = (u_char *) json_string_value(v);
        s->len = ngx_strlen(s->data);
    }

    return a;
}


static ngx_int_t
ngx_http_swarm_compress_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_swarm_compress_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_swarm_compress_body_filter;

    return NGX_OK;
}


/* compress on a request: its response is looked at as it comes */

ngx_int_t
ngx_http_swarm_compress_run(ngx_http_request_t *r, ngx_http_swarm_mw_t *mw)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx) {
        ctx->compress = mw;
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_swarm_compress_header_filter(ngx_http_request_t *r)
{
    int                         rc, wbits, memlevel;
    ngx_str_t                   name, value;
    ngx_table_elt_t            *h;
    ngx_http_swarm_zip_t       *z;
    ngx_http_swarm_ctx_t       *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->compress == NULL || r != r->main
        || !ngx_http_swarm_compress_wanted(r, ctx->compress->data))
    {
        return ngx_http_next_header_filter(r);
    }

    z = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_zip_t));
    if (z == NULL) {
        return NGX_ERROR;
    }

    z->zstream.zalloc = ngx_http_swarm_compress_alloc;
    z->zstream.zfree = ngx_http_swarm_compress_free;
    z->zstream.opaque = r->pool;

    /*
     * gzip's wrapper, at Traefik's default level; for a length said,
     * a window and memory no larger than it needs, as nginx's gzip
     */

    wbits = MAX_WBITS;
    memlevel = MAX_MEM_LEVEL - 1;

    if (r->headers_out.content_length_n > 0) {
        while (r->headers_out.content_length_n < (1 << (wbits - 1))
               && wbits > 9)
        {
            wbits--;
            memlevel--;
        }

        if (memlevel < 1) {
            memlevel = 1;
        }
    }

    rc = deflateInit2(&z->zstream, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
                      wbits + 16, memlevel, Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "swarm: deflateInit2() failed: %d", rc);
        return NGX_ERROR;
    }

    z->last_out = &z->out;
    ctx->zip = z;

    ngx_str_set(&name, "Content-Encoding");
    ngx_str_set(&value, "gzip");

    h = ngx_http_swarm_fields_out_set(r, &name, &value);
    if (h == NULL) {
        return NGX_ERROR;
    }

    r->headers_out.content_encoding = h;

    ngx_str_set(&name, "Vary");
    ngx_str_set(&value, "Accept-Encoding");

    if (ngx_http_swarm_fields_out_add(r, &name, &value) == NULL) {
        return NGX_ERROR;
    }

    r->main_filter_need_in_memory = 1;

    ngx_http_clear_content_length(r);
    ngx_http_clear_accept_ranges(r);
    ngx_http_weak_etag(r);

    return ngx_http_next_header_filter(r);
}


/*
 * Whether a response is to be gzipped: its request accepts gzip, it has
 * a body, is not encoded already, its type is one to compress, and its
 * length, where said, is the minimum at least
 */

static ngx_uint_t
ngx_http_swarm_compress_wanted(ngx_http_request_t *r,
    ngx_http_swarm_compress_t *c)
{
    size_t        len;
    ngx_str_t    *t;
    ngx_uint_t    i, in;
    ngx_array_t  *types;

    if (r->header_only
        || r->headers_out.status < NGX_HTTP_OK
        || r->headers_out.status == NGX_HTTP_NO_CONTENT
        || r->headers_out.status == NGX_HTTP_PARTIAL_CONTENT
        || r->headers_out.status == NGX_HTTP_NOT_MODIFIED
        || (r->headers_out.content_encoding
            && r->headers_out.content_encoding->value.len)
        || (r->headers_out.content_length_n >= 0
            && r->headers_out.content_length_n < c->min))
    {
        return 0;
    }

    /* the media type, in any case, as Traefik compares them */

    len = r->headers_out.content_type_len;

    if (len == 0 || len > r->headers_out.content_type.len) {
        len = r->headers_out.content_type.len;
    }

    while (len && r->headers_out.content_type.data[len - 1] == ' ') {
        len--;
    }

    if (len == sizeof("application/grpc") - 1
        && ngx_strncasecmp(r->headers_out.content_type.data,
                           (u_char *) "application/grpc", len)
           == 0)
    {
        return 0;
    }

    types = c->included->nelts ? c->included : c->excluded;
    t = types->elts;
    in = 0;

    for (i = 0; i < types->nelts; i++) {
        if (t[i].len == len
            && ngx_strncasecmp(t[i].data, r->headers_out.content_type.data,
                               len)
               == 0)
        {
            in = 1;
            break;
        }
    }

    if (in != (c->included->nelts != 0)) {
        return 0;
    }

    return ngx_http_swarm_compress_accepted(r, c);
}


/*
 * Whether the request accepts gzip: "gzip" or "*" in Accept-Encoding,
 * with no q of 0; with no Accept-Encoding, if defaultEncoding says so
 */

static ngx_uint_t
ngx_http_swarm_compress_accepted(ngx_http_request_t *r,
    ngx_http_swarm_compress_t *c)
{
    u_char           *p, *end, *tok, *tend, *q;
    ngx_table_elt_t  *h;

    h = ngx_http_swarm_fields_in(r, "accept-encoding",
                                 sizeof("accept-encoding") - 1);

    if (h == NULL) {
        return c->absent;
    }

    for (p = h->value.data, end = p + h->value.len; p < end; p = tend + 1) {
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        tend = ngx_strlchr(p, end, ',');
        if (tend == NULL) {
            tend = end;
        }

        for (tok = p; tok < tend && *tok != ';' && *tok != ' '; tok++) {
            /* void */
        }

        if (!((tok - p == 4 && ngx_strncasecmp(p, (u_char *) "gzip", 4) == 0)
              || (tok - p == 1 && *p == '*')))
        {
            continue;
        }

        /* a q of 0: "q=0", "q=0.", "q=0.0", ... */

        q = ngx_strlcasestrn(tok, tend, (u_char *) "q=", 2 - 1);

        if (q == NULL) {
            return 1;
        }

        for (q += 2; q < tend && (*q == '0' || *q == '.'); q++) {
            /* void */
        }

        if (q < tend && *q >= '1' && *q <= '9') {
            return 1;
        }
    }

    return 0;
}


static ngx_int_t
ngx_http_swarm_compress_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_int_t              rc;
    ngx_chain_t           *cl;
    ngx_http_swarm_zip_t  *z;
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL || ctx->zip == NULL || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    z = ctx->zip;

    if (z->done) {
        return ngx_http_next_body_filter(r, in);
    }

    for (cl = in; cl; cl = cl->next) {
        if (ngx_http_swarm_compress_deflate(r, z, cl->buf) != NGX_OK) {
            z->done = 1;
            return NGX_ERROR;
        }
    }

    if (z->out == NULL && z->busy == NULL) {
        return NGX_OK;
    }

    rc = ngx_http_next_body_filter(r, z->out);

    ngx_chain_update_chains(r->pool, &z->free, &z->busy, &z->out,
                            (ngx_buf_tag_t) &ngx_http_swarm_compress_module);
    z->last_out = &z->out;

    return rc;
}


/*
 * A buffer of the response into the gzip stream: what comes out goes to
 * the output chain as each buffer fills, and all of it where the buffer
 * flushes or ends the response
 */

static ngx_int_t
ngx_http_swarm_compress_deflate(ngx_http_request_t *r, ngx_http_swarm_zip_t *z,
    ngx_buf_t *b)
{
    int           flush, rc;
    ngx_buf_t    *out;
    ngx_chain_t  *cl;

    flush = b->last_buf ? Z_FINISH
            : (b->flush || b->sync) ? Z_SYNC_FLUSH : Z_NO_FLUSH;

    z->zstream.next_in = b->pos;
    z->zstream.avail_in = (uInt) (b->last - b->pos);

    for ( ;; ) {
        if (z->buf == NULL) {
            if (z->free) {
                cl = z->free;
                z->free = cl->next;
                out = cl->buf;
                ngx_free_chain(r->pool, cl);

            } else {
                out = ngx_create_temp_buf(r->pool,
                                          NGX_HTTP_SWARM_COMPRESS_BUF);
                if (out == NULL) {
                    return NGX_ERROR;
                }

                out->tag = (ngx_buf_tag_t) &ngx_http_swarm_compress_module;
            }

            out->pos = out->start;
            out->last = out->start;
            z->buf = out;
        }

        out = z->buf;

        z->zstream.next_out = out->last;
        z->zstream.avail_out = (uInt) (out->end - out->last);

        rc = deflate(&z->zstream, flush);

        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "swarm: deflate() failed: %d", rc);
            return NGX_ERROR;
        }

        out->last = z->zstream.next_out;

        if (rc == Z_STREAM_END) {
            z->done = 1;
            (void) deflateEnd(&z->zstream);
            break;
        }

        if (z->zstream.avail_out) {
            /* all the input taken, and with a flush all written */
            break;
        }

        /* full: out, and on with another buffer */

        if (ngx_http_swarm_compress_out(r, z, 0) != NGX_OK) {
            return NGX_ERROR;
        }
    }

    b->pos = b->last;

    if (flush == Z_NO_FLUSH) {
        return NGX_OK;
    }

    return ngx_http_swarm_compress_out(r, z, flush);
}


/*
 * The buffer being filled to the output chain, or, where it holds
 * nothing, a buffer that only flushes or ends the response
 */

static ngx_int_t
ngx_http_swarm_compress_out(ngx_http_request_t *r, ngx_http_swarm_zip_t *z,
    int flush)
{
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    b = z->buf;

    if (b == NULL || b->last == b->pos) {
        if (flush == Z_NO_FLUSH) {
            return NGX_OK;
        }

        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

    } else {
        z->buf = NULL;
    }

    b->flush = (flush == Z_SYNC_FLUSH);
    b->last_buf = (flush == Z_FINISH);

    cl = ngx_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NGX_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    *z->last_out = cl;
    z->last_out = &cl->next;

    return NGX_OK;
}


/* zlib's memory, from the request's pool, freed with it */

static void *
ngx_http_swarm_compress_alloc(void *opaque, u_int items, u_int size)
{
    ngx_pool_t *pool = opaque;

    return ngx_palloc(pool, items * size);
}


static void
ngx_http_swarm_compress_free(void *opaque, void *address)
{
}
