
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * A JSON array answer of the Docker Engine API, read one element at a
 * time: only the array's punctuation is checked here and each element's
 * end found, so that jansson parses one element at a time and no step
 * of a large answer takes long.  Pure: jansson and libc only.
 */


#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static size_t ngx_http_swarm_skip_space(const char *buf, size_t len,
    size_t i);
static void ngx_http_swarm_not_array(const char *buf, size_t len,
    const char *what, char *err, size_t errlen);


void
ngx_http_swarm_array_init(ngx_http_swarm_array_t *a, const char *buf,
    size_t len)
{
    a->buf = buf;
    a->len = len;
    a->pos = 0;
    a->phase = NGX_HTTP_SWARM_ARRAY_START;
    a->scanning = 0;
}


/*
 * The next element of a top level JSON array: its bytes, for jansson to
 * parse on their own.  Only the array's punctuation is checked here, and
 * the end of an element is found by counting brackets outside strings;
 * whatever is inside an element is jansson's to check.  Returns
 * NGX_HTTP_SWARM_ELEMENT with an element, NGX_HTTP_SWARM_END at the end
 * of the array, NGX_HTTP_SWARM_FAILED on an error (err says which, and
 * whether the answer is JSON at all where it is no array), and
 * NGX_HTTP_SWARM_SCANNING where NGX_HTTP_SWARM_SCAN_STEP bytes of an
 * element were scanned and its end is still to find (call again).
 */

int
ngx_http_swarm_array_next(ngx_http_swarm_array_t *a, const char **elem,
    size_t *elen, const char *what, char *err, size_t errlen)
{
    char         c;
    size_t       i, start, depth, end;
    unsigned     string;
    const char  *p;

    p = a->buf;

    if (a->scanning) {
        i = a->pos;
        start = a->start;
        depth = a->depth;
        string = a->string;
        goto scan;
    }

    i = ngx_http_swarm_skip_space(a->buf, a->len, a->pos);

    switch (a->phase) {

    case NGX_HTTP_SWARM_ARRAY_START:

        if (i == a->len || p[i] != '[') {
            ngx_http_swarm_not_array(a->buf, a->len, what, err, errlen);
            return NGX_HTTP_SWARM_FAILED;
        }

        i = ngx_http_swarm_skip_space(a->buf, a->len, i + 1);

        if (i < a->len && p[i] == ']') {
            i++;
            goto end;
        }

        break;

    case NGX_HTTP_SWARM_ARRAY_NEXT:

        if (i < a->len && p[i] == ']') {
            i++;
            goto end;
        }

        if (i == a->len || p[i] != ',') {
            snprintf(err, errlen, "invalid JSON in %s: ',' or ']' expected "
                     "at offset %zu", what, i);
            return -1;
        }

        i = ngx_http_swarm_skip_space(a->buf, a->len, i + 1);
        break;

    default: /* NGX_HTTP_SWARM_ARRAY_DONE */
        return 0;
    }

    start = i;
    depth = 0;
    string = 0;

scan:

    end = ngx_http_swarm_min(a->len, i + NGX_HTTP_SWARM_SCAN_STEP);

    for ( /* void */ ; i < end; i++) {
        c = p[i];

        if (string) {
            if (c == '\\') {
                i++;

            } else if (c == '"') {
                string = 0;

                if (depth == 0) {
                    i++;
                    break;
                }
            }

            continue;
        }

        if (c == '"') {
            string = 1;

        } else if (c == '{' || c == '[') {
            depth++;

        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                break;
            }

            if (--depth == 0) {
                i++;
                break;
            }

        } else if (depth == 0
                   && (c == ',' || c == ' ' || c == '\t' || c == '\n'
                       || c == '\r'))
        {
            break;
        }
    }

    if (i >= end && end < a->len) {

        /* a large element: the rest of it in the next call */

        a->pos = i;
        a->start = start;
        a->depth = depth;
        a->string = string;
        a->scanning = 1;

        return 2;
    }

    a->scanning = 0;

    if (i > a->len || string || depth) {
        snprintf(err, errlen, "invalid JSON in %s: unexpected end of answer "
                 "at offset %zu", what, a->len);
        return -1;
    }

    if (i == start) {
        snprintf(err, errlen, "invalid JSON in %s: value expected at offset "
                 "%zu", what, start);
        return -1;
    }

    *elem = p + start;
    *elen = i - start;

    a->pos = i;
    a->phase = NGX_HTTP_SWARM_ARRAY_NEXT;

    return 1;

end:

    i = ngx_http_swarm_skip_space(a->buf, a->len, i);

    if (i != a->len) {
        snprintf(err, errlen, "invalid JSON in %s: end of answer expected "
                 "at offset %zu", what, i);
        return -1;
    }

    a->pos = i;
    a->phase = NGX_HTTP_SWARM_ARRAY_DONE;

    return 0;
}


static size_t
ngx_http_swarm_skip_space(const char *buf, size_t len, size_t i)
{
    while (i < len
           && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'
               || buf[i] == '\r'))
    {
        i++;
    }

    return i;
}


/* an answer that is no array: jansson says whether it is JSON at all */

static void
ngx_http_swarm_not_array(const char *buf, size_t len, const char *what,
    char *err, size_t errlen)
{
    json_t        *root;
    json_error_t   jerr;

    root = json_loadb(buf, len, 0, &jerr);

    if (root == NULL) {
        snprintf(err, errlen, "invalid JSON in %s: %s at offset %d",
                 what, jerr.text, jerr.position);
        return;
    }

    json_decref(root);

    snprintf(err, errlen, "%s answer is not a JSON array", what);
}


/* one element, by jansson; offsets in errors count from the answer */

json_t *
ngx_http_swarm_array_element(ngx_http_swarm_array_t *a, const char *elem,
    size_t elen, const char *what, char *err, size_t errlen)
{
    json_t        *v;
    json_error_t   jerr;

    v = json_loadb(elem, elen, JSON_DECODE_ANY, &jerr);

    if (v == NULL) {
        snprintf(err, errlen, "invalid JSON in %s: %s at offset %zu",
                 what, jerr.text,
                 (size_t) (elem - a->buf) + (size_t) jerr.position);
    }

    return v;
}
