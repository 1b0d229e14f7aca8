
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The route cookie: the table that maps a cookie value to a peer of the
 * current task set, the scan of Cookie request headers and the
 * Set-Cookie value.  A cookie value is only ever a key into that table,
 * never an address.  Pure: libc only.
 */


#include <stdio.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


static uint32_t ngx_http_swarm_value_hash(const unsigned char *key,
    size_t len);


static uint32_t
ngx_http_swarm_value_hash(const unsigned char *key, size_t len)
{
    size_t    i;
    uint32_t  h;

    /* FNV-1a */

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= key[i];
        h *= 16777619u;
    }

    return h;
}


size_t
ngx_http_swarm_cookie_index_size(size_t npeers)
{
    return ngx_http_swarm_table_size(npeers, 4);
}


void
ngx_http_swarm_cookie_index_build(ngx_http_swarm_index_t *index,
    uint32_t *slots, size_t nslots, const char *keys, size_t stride, size_t n)
{
    size_t       i, h;
    const char  *key;

    memset(slots, 0, nslots * sizeof(uint32_t));

    index->slots = slots;
    index->mask = nslots - 1;
    index->keys = keys;
    index->stride = stride;

    for (i = 0; i < n; i++) {
        key = keys + i * stride;
        h = ngx_http_swarm_value_hash((const unsigned char *) key, strlen(key));

        while (slots[h & index->mask]) {
            h++;
        }

        slots[h & index->mask] = (uint32_t) (i + 1);
    }
}


long
ngx_http_swarm_cookie_index_find(const ngx_http_swarm_index_t *index,
    const unsigned char *key, size_t len)
{
    size_t       h;
    uint32_t     slot;
    const char  *k;

    if (index->slots == NULL || !ngx_http_swarm_cookie_valid(key, len)) {
        return -1;
    }

    h = ngx_http_swarm_value_hash(key, len);

    for ( ;; ) {
        slot = index->slots[h & index->mask];

        if (slot == 0) {
            return -1;
        }

        k = index->keys + (slot - 1) * index->stride;

        if (strncmp(k, (const char *) key, len) == 0 && k[len] == '\0') {
            return (long) slot - 1;
        }

        h++;
    }
}


/*
 * A value that could name a task: an IPv4 or IPv6 address as text, or
 * a keyed value (base64url).  Whether it names one is for the index to
 * say.
 */

int
ngx_http_swarm_cookie_valid(const unsigned char *value, size_t len)
{
    size_t         i;
    unsigned char  c;

    if (len == 0 || len >= NGX_HTTP_SWARM_IP_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = value[i];

        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
            || (c >= 'A' && c <= 'Z') || c == '.' || c == ':' || c == '-'
            || c == '_')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


/*
 * Counts the cookies called "name" in one Cookie header value and
 * returns the value of the first one.
 */

int
ngx_http_swarm_cookie_scan(const unsigned char *hdr, size_t len,
    const unsigned char *name, size_t nlen, const unsigned char **value,
    size_t *vlen)
{
    int                   count;
    const unsigned char  *p, *end, *start, *eq, *last;

    count = 0;
    p = hdr;
    end = hdr + len;

    while (p < end) {

        while (p < end && (*p == ' ' || *p == '\t' || *p == ';')) {
            p++;
        }

        start = p;
        eq = NULL;

        while (p < end && *p != ';') {
            if (eq == NULL && *p == '=') {
                eq = p;
            }
            p++;
        }

        if (eq == NULL) {
            continue;
        }

        last = eq;
        while (last > start && (last[-1] == ' ' || last[-1] == '\t')) {
            last--;
        }

        if ((size_t) (last - start) != nlen
            || memcmp(start, name, nlen) != 0)
        {
            continue;
        }

        if (count++ > 0) {
            continue;
        }

        start = eq + 1;
        while (start < p && (*start == ' ' || *start == '\t')) {
            start++;
        }

        last = p;
        while (last > start && (last[-1] == ' ' || last[-1] == '\t')) {
            last--;
        }

        *value = start;
        *vlen = last - start;
    }

    return count;
}


/* like snprintf(): returns the length the whole value needs */

size_t
ngx_http_swarm_cookie_format(unsigned char *buf, size_t size,
    const ngx_http_swarm_cookie_t *ck, const char *value, size_t vlen)
{
    int  n;

    n = snprintf((char *) buf, size, "%s=%.*s%s%s%s%s",
                 ck->name, (int) vlen, value,
                 ck->path ? "; Path=" : "", ck->path ? ck->path : "",
                 ck->domain ? "; Domain=" : "", ck->domain ? ck->domain : "");

    if (n < 0) {
        return 0;
    }

    if (ck->max_age >= 0) {
        n += snprintf((size_t) n < size ? (char *) buf + n : NULL,
                      (size_t) n < size ? size - n : 0,
                      "; Max-Age=%ld", ck->max_age);
    }

    n += snprintf((size_t) n < size ? (char *) buf + n : NULL,
                  (size_t) n < size ? size - n : 0, "%s%s%s%s",
                  ck->secure ? "; Secure" : "",
                  ck->httponly ? "; HttpOnly" : "",
                  ck->samesite ? "; SameSite=" : "",
                  ck->samesite ? ck->samesite : "");

    return (size_t) n;
}
