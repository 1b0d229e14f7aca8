
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Text that the pure layer's units share: the reports of what was
 * skipped, UTF-8 cut and escaped for a log line, bounded copies, and
 * strings read from and made into JSON.  Pure: libc and jansson only.
 */


#include <stdio.h>
#include <string.h>
#include <stdarg.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/* a problem that skips one service or task of one upstream */

void
ngx_http_swarm_text_report(ngx_http_swarm_report_t *report, unsigned upstream,
    const char *service, const char *fmt, ...)
{
    int      n;
    char     msg[NGX_HTTP_SWARM_ERR_LEN];
    va_list  args;

    if (report == NULL || report->handler == NULL) {
        return;
    }

    va_start(args, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    /* cut short: not in the middle of a character */

    if (n >= (int) sizeof(msg)) {
        n = (int) ngx_http_swarm_text_utf8_cut((unsigned char *) msg,
                                               sizeof(msg) - 1);
        msg[n] = '\0';
    }

    report->handler(report->data, upstream, service, msg);
}


/*
 * Where to cut UTF-8 text at len bytes or fewer so that no character is
 * split: s holds more than len bytes, so s[len] is the first left out.
 */

size_t
ngx_http_swarm_text_utf8_cut(const unsigned char *s, size_t len)
{
    size_t  n;

    /* a character is a lead byte and at most three more */

    for (n = len; n + 3 >= len; n--) {
        if ((s[n] & 0xc0) != 0x80) {
            return n;
        }

        if (n == 0) {
            break;
        }
    }

    return len;
}


/*
 * Text from Docker for the error log: control bytes and backslashes as
 * \xNN, so that nothing it holds starts a line of its own.  Returns the
 * length written; dst is always terminated.
 */

size_t
ngx_http_swarm_text_escape(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len)
{
    size_t              i, n;
    static const char   hex[] = "0123456789abcdef";

    if (size == 0) {
        return 0;
    }

    for (i = 0, n = 0; i < len; i++) {
        if (src[i] >= 0x20 && src[i] != 0x7f && src[i] != '\\') {
            if (n + 1 >= size) {
                break;
            }

            dst[n++] = src[i];
            continue;
        }

        if (n + 4 >= size) {
            break;
        }

        dst[n++] = '\\';
        dst[n++] = 'x';
        dst[n++] = hex[src[i] >> 4];
        dst[n++] = hex[src[i] & 0xf];
    }

    dst[n] = '\0';

    return n;
}


/* src into dst of size bytes: -1 if it does not fit */

int
ngx_http_swarm_text_copy(char *dst, size_t size, const char *src)
{
    size_t  len;

    len = strlen(src);

    if (len >= size) {
        return -1;
    }

    memcpy(dst, src, len + 1);

    return 0;
}


/* text as a JSON string whatever its bytes: those of no UTF-8 as "?" */

json_t *
ngx_http_swarm_text_json(const char *s, size_t len)
{
    char    *copy;
    size_t   i;
    json_t  *v;

    v = json_stringn(s, len);
    if (v) {
        return v;
    }

    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        return NULL;
    }

    for (i = 0; i < len; i++) {
        copy[i] = ((unsigned char) s[i] >= 0x80) ? '?' : s[i];
    }

    v = json_stringn(copy, len);
    free(copy);

    return v;
}


/* obj's member key if it is a string, else NULL */

const char *
ngx_http_swarm_text_json_string(json_t *obj, const char *key)
{
    json_t  *v;

    v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}


/*
 * n bytes more of a text being written into buf: counted in *len, kept
 * as far as size holds with room for the terminating zero
 */

void
ngx_http_swarm_text_put(char *buf, size_t size, size_t *len, const char *s,
    size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++, (*len)++) {
        if (*len + 1 < size) {
            buf[*len] = s[i];
        }
    }
}


/* FNV-1a of n bytes more, from h (NGX_HTTP_SWARM_HASH_INIT to begin) */

uint32_t
ngx_http_swarm_text_hash(uint32_t h, const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char) s[i]) * 16777619u;
    }

    return h;
}
