
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The route cookie: the table that maps a cookie value to a peer of the
 * current task set, the scan of Cookie request headers and the
 * Set-Cookie value.  A cookie value is only ever a key into that table,
 * never an address.  Pure: libc only.
 */


#include <string.h>

#include "ngx_http_swarm_lib.h"


static uint32_t ngx_http_swarm_value_hash(const unsigned char *key,
    size_t len);
static size_t ngx_http_swarm_cookie_put(unsigned char *buf, size_t size,
    size_t n, const char *s, size_t len);


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


/*
 * What follows a cookie's value: "; Path=/; Max-Age=60; Secure;
 * HttpOnly; SameSite=Lax" as far as the cookie has them, "; Secure"
 * where secure is given.  Like snprintf(): the length it needs is
 * returned, what fits is written with a NUL.  Made of copies: made once
 * a cookie, it was four snprintf() calls in every new visitor's
 * request, most of what the module cost it.
 */

size_t
ngx_http_swarm_cookie_attrs(unsigned char *buf, size_t size,
    const ngx_http_swarm_cookie_t *ck, unsigned secure)
{
    char           num[24], *p;
    size_t         n;
    unsigned long  age;

    n = 0;

    if (ck->path) {
        n = ngx_http_swarm_cookie_put(buf, size, n, "; Path=", 7);
        n = ngx_http_swarm_cookie_put(buf, size, n, ck->path,
                                      strlen(ck->path));
    }

    if (ck->domain) {
        n = ngx_http_swarm_cookie_put(buf, size, n, "; Domain=", 9);
        n = ngx_http_swarm_cookie_put(buf, size, n, ck->domain,
                                      strlen(ck->domain));
    }

    if (ck->max_age >= 0) {
        p = num + sizeof(num);
        age = (unsigned long) ck->max_age;

        do {
            *--p = (char) ('0' + age % 10);
            age /= 10;
        } while (age);

        n = ngx_http_swarm_cookie_put(buf, size, n, "; Max-Age=", 10);
        n = ngx_http_swarm_cookie_put(buf, size, n, p,
                                      num + sizeof(num) - p);
    }

    if (secure) {
        n = ngx_http_swarm_cookie_put(buf, size, n, "; Secure", 8);
    }

    if (ck->httponly) {
        n = ngx_http_swarm_cookie_put(buf, size, n, "; HttpOnly", 10);
    }

    if (ck->samesite) {
        n = ngx_http_swarm_cookie_put(buf, size, n, "; SameSite=", 11);
        n = ngx_http_swarm_cookie_put(buf, size, n, ck->samesite,
                                      strlen(ck->samesite));
    }

    if (size) {
        buf[n < size ? n : size - 1] = '\0';
    }

    return n;
}


/* len bytes at n of the value, as far as they fit before the NUL */

static size_t
ngx_http_swarm_cookie_put(unsigned char *buf, size_t size, size_t n,
    const char *s, size_t len)
{
    if (n + 1 < size) {
        memcpy(buf + n, s, len < size - n - 1 ? len : size - n - 1);
    }

    return n + len;
}
