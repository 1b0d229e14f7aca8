
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What the middlewares share: the lists of a definition (a JSON array
 * that lives as long as the route table) made nginx's, and a request's
 * or response's header fields found, set and removed, as the proxy will
 * send them.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_match.h"
#include "ngx_http_swarm_fields.h"


/*
 * A definition's list as an array of nginx's: strings (ngx_str_t),
 * regular expressions (compiled, as void *), header pairs
 * (ngx_http_swarm_mw_header_t from [name, value]) or networks
 * (ngx_cidr_t); NULL with why in err
 */

ngx_array_t *
ngx_http_swarm_fields_list(json_t *list, ngx_uint_t kind, ngx_pool_t *pool,
    char *err, size_t errlen)
{
    size_t                       i;
    void                        *elt;
    json_t                      *v;
    ngx_str_t                    s;
    ngx_array_t                 *a;
    ngx_http_swarm_mw_header_t  *h;

    static size_t  sizes[] = {
        sizeof(ngx_str_t), sizeof(void *),
        sizeof(ngx_http_swarm_mw_header_t), sizeof(ngx_cidr_t)
    };

    a = ngx_array_create(pool, ngx_max(json_array_size(list), 1),
                         sizes[kind]);
    if (a == NULL) {
        return NULL;
    }

    json_array_foreach(list, i, v) {
        elt = ngx_array_push(a);
        if (elt == NULL) {
            return NULL;
        }

        s.data = (u_char *) json_string_value(v);
        s.len = s.data ? ngx_strlen(s.data) : 0;

        switch (kind) {

        case NGX_HTTP_SWARM_FIELDS_STRINGS:
            *(ngx_str_t *) elt = s;
            break;

        case NGX_HTTP_SWARM_FIELDS_REGEXES:
            *(void **) elt = ngx_http_swarm_match_regex(pool,
                                                        (char *) s.data, 0,
                                                        err, errlen);
            if (*(void **) elt == NULL) {
                return NULL;
            }

            break;

        case NGX_HTTP_SWARM_FIELDS_PAIRS:
            h = elt;
            h->name.data = (u_char *) json_string_value(json_array_get(v, 0));
            h->value.data = (u_char *) json_string_value(json_array_get(v,
                                                                        1));
            if (h->name.data == NULL || h->value.data == NULL) {
                ngx_snprintf((u_char *) err, errlen, "a header is not a "
                             "name and a value%Z");
                return NULL;
            }

            h->name.len = ngx_strlen(h->name.data);
            h->value.len = ngx_strlen(h->value.data);
            break;

        default: /* NGX_HTTP_SWARM_FIELDS_CIDRS */

            if (s.len == 0 || ngx_ptocidr(&s, elt) == NGX_ERROR) {
                ngx_snprintf((u_char *) err, errlen, "invalid address "
                             "\"%V\"%Z", &s);
                return NULL;
            }
        }
    }

    return a;
}


/* a list joined by ","; whether it has "*" */

ngx_str_t
ngx_http_swarm_fields_join(json_t *list, ngx_pool_t *pool, ngx_uint_t *star)
{
    u_char      *p;
    size_t       i, len;
    json_t      *v;
    ngx_str_t    s;
    const char  *item;

    *star = 0;
    len = 0;

    json_array_foreach(list, i, v) {
        item = json_string_value(v);
        len += ngx_strlen(item) + 1;
        *star |= (ngx_strcmp(item, "*") == 0);
    }

    ngx_str_null(&s);

    if (len == 0) {
        return s;
    }

    p = ngx_pnalloc(pool, len);
    if (p == NULL) {
        return s;
    }

    s.data = p;

    json_array_foreach(list, i, v) {
        if (i) {
            *p++ = ',';
        }

        p = ngx_cpymem(p, json_string_value(v),
                       ngx_strlen(json_string_value(v)));
    }

    s.len = p - s.data;

    return s;
}


/*
 * The next line of a header list from *part and *i on: of that name, in
 * any case, or any with name NULL; NULL at the list's end
 */

ngx_table_elt_t *
ngx_http_swarm_fields_next(ngx_list_part_t **part, ngx_uint_t *i,
    ngx_str_t *name)
{
    ngx_table_elt_t  *h;

    for ( ;; ) {

        if (*i >= (*part)->nelts) {
            if ((*part)->next == NULL) {
                return NULL;
            }

            *part = (*part)->next;
            *i = 0;
            continue;
        }

        h = (ngx_table_elt_t *) (*part)->elts + (*i)++;

        if (name == NULL
            || (h->key.len == name->len
                && ngx_strncasecmp(h->key.data, name->data, name->len) == 0))
        {
            return h;
        }
    }
}


/* a request header's first line, by name in any case */

ngx_table_elt_t *
ngx_http_swarm_fields_in(ngx_http_request_t *r, const char *name, size_t len)
{
    ngx_str_t         n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;

    n.data = (u_char *) name;
    n.len = len;

    part = &r->headers_in.headers.part;
    i = 0;

    return ngx_http_swarm_fields_next(&part, &i, &n);
}


/*
 * A request header set (value NULL: removed), or with "add" one more
 * line of it: the list is made again without the old lines, which the
 * proxy would still send otherwise
 */

ngx_int_t
ngx_http_swarm_fields_in_set(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value, ngx_uint_t add)
{
    u_char           *lc;
    ngx_uint_t        i;
    ngx_list_t        old;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *e;

    if (!add && ngx_http_swarm_fields_in(r, (char *) name->data, name->len)) {
        old = r->headers_in.headers;

        if (ngx_list_init(&r->headers_in.headers, r->pool, 20,
                          sizeof(ngx_table_elt_t))
            != NGX_OK)
        {
            return NGX_ERROR;
        }

        part = &old.part;
        i = 0;

        while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {

            if (h->key.len == name->len
                && ngx_strncasecmp(h->key.data, name->data, name->len) == 0)
            {
                if (r->headers_in.authorization == h) {
                    r->headers_in.authorization = NULL;
                }

                continue;
            }

            e = ngx_list_push(&r->headers_in.headers);
            if (e == NULL) {
                return NGX_ERROR;
            }

            *e = *h;

            if (r->headers_in.authorization == h) {
                r->headers_in.authorization = e;
            }
        }
    }

    if (value == NULL) {
        return NGX_OK;
    }

    lc = ngx_pnalloc(r->pool, name->len);
    h = ngx_list_push(&r->headers_in.headers);

    if (lc == NULL || h == NULL) {
        return NGX_ERROR;
    }

    h->key = *name;
    h->value = *value;
    h->lowcase_key = lc;
    h->hash = ngx_hash_strlow(lc, name->data, name->len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/*
 * A response header set: the lines of that name are left out (hash 0),
 * and one is added unless the value is ""; Server is nginx's own to
 * leave out or to replace.  The line added, or NULL.
 */

ngx_table_elt_t *
ngx_http_swarm_fields_out_set(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, name)) != NULL) {
        h->hash = 0;
    }

    h = ngx_http_swarm_fields_out_add(r, name, value);
    if (h == NULL) {
        return NULL;
    }

    if (name->len == 6
        && ngx_strncasecmp(name->data, (u_char *) "Server", 6) == 0)
    {
        r->headers_out.server = h;
    }

    return h;
}


/* a response header added, besides any of that name; "" adds none */

ngx_table_elt_t *
ngx_http_swarm_fields_out_add(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NULL;
    }

    h->hash = value->len ? 1 : 0;
    h->key = *name;
    h->value = *value;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return h;
}


/*
 * A subrequest's headers: the request's lines in a list of its own, but
 * those of one hop and of the body (the subrequest sends none); only
 * those of "names" where it has any; the X-Forwarded ones (and
 * X-Real-Ip) only with "forwarded", and X-Forwarded-For never (its
 * caller sets one).
 */

ngx_int_t
ngx_http_swarm_fields_sub(ngx_http_request_t *r, ngx_http_request_t *sr,
    ngx_array_t *names, ngx_uint_t forwarded)
{
    ngx_str_t        *name;
    ngx_uint_t        i, k;
    ngx_table_elt_t  *h, *nh;
    ngx_list_part_t  *part;

    if (ngx_list_init(&sr->headers_in.headers, r->pool, 20,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_http_swarm_fields_next(&part, &i, NULL)) != NULL) {

        if (ngx_http_swarm_fields_hop(&h->key)
            || (h->key.len == 14
                && ngx_strncasecmp(h->key.data, (u_char *) "Content-Length",
                                   14)
                   == 0)
            || (h->key.len == 15
                && ngx_strncasecmp(h->key.data, (u_char *) "X-Forwarded-For",
                                   15)
                   == 0))
        {
            continue;
        }

        if (!forwarded
            && ((h->key.len > 12
                 && ngx_strncasecmp(h->key.data, (u_char *) "X-Forwarded-",
                                    12)
                    == 0)
                || (h->key.len == 9
                    && ngx_strncasecmp(h->key.data, (u_char *) "X-Real-Ip", 9)
                       == 0)))
        {
            continue;
        }

        if (names && names->nelts) {
            name = names->elts;

            for (k = 0; k < names->nelts; k++) {
                if (name[k].len == h->key.len
                    && ngx_strncasecmp(name[k].data, h->key.data,
                                       h->key.len)
                       == 0)
                {
                    break;
                }
            }

            if (k == names->nelts) {
                continue;
            }
        }

        nh = ngx_list_push(&sr->headers_in.headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = *h;
#if (nginx_version >= 1023000)
        nh->next = NULL;
#endif
    }

    sr->request_body = NULL;
    sr->headers_in.content_length = NULL;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.transfer_encoding = NULL;
    sr->headers_in.chunked = 0;

    return NGX_OK;
}


/* a header of one hop, which no proxy passes on */

ngx_uint_t
ngx_http_swarm_fields_hop(ngx_str_t *name)
{
    ngx_uint_t  i;

    static ngx_str_t  hops[] = {
        ngx_string("Connection"),
        ngx_string("Keep-Alive"),
        ngx_string("Proxy-Authenticate"),
        ngx_string("Proxy-Authorization"),
        ngx_string("Proxy-Connection"),
        ngx_string("Te"),
        ngx_string("Trailer"),
        ngx_string("Transfer-Encoding"),
        ngx_string("Upgrade"),
        ngx_null_string
    };

    for (i = 0; hops[i].len; i++) {
        if (hops[i].len == name->len
            && ngx_strncasecmp(hops[i].data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* a request header line pushed onto a list */

ngx_int_t
ngx_http_swarm_fields_push(ngx_list_t *list, char *name, ngx_str_t *value)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(list);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value = *value;
    h->lowcase_key = h->key.data;
    h->hash = 1;
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}
