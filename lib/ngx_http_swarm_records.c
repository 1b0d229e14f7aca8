
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The parsed tasks, kept by the keyed digest of their bytes: the digest
 * (SipHash-2-4 with a 128-bit output, whose key is the zone's and never
 * leaves the machine), and the records written into one image and read
 * back, so that a reload's new worker 0 takes the tasks the last one
 * parsed, hashes the answers' bytes, and parses only what changed.  The
 * image stays in the machine's shared memory: in its byte order, every
 * length checked as it is read.  Pure: libc only, no nginx, no I/O.
 */


#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_RECORDS_MAGIC  "swarmtk1"
#define NGX_HTTP_SWARM_RECORDS_HEAD   8

/* record flags */
#define NGX_HTTP_SWARM_REC_ATTS       1
#define NGX_HTTP_SWARM_ATT_NAMED      1
#define NGX_HTTP_SWARM_ATT_LONG       2
#define NGX_HTTP_SWARM_ATT_INGRESS    4


/* the one reason a parsed task of a selected service is no peer */
const char  ngx_http_swarm_too_many_atts[] =
    "has more than 64 network attachments";


typedef struct {
    char                      *p;
    char                      *end;
    size_t                     len;
} ngx_http_swarm_out_t;


typedef struct {
    const char                *p;
    const char                *end;
} ngx_http_swarm_in_t;


static void ngx_http_swarm_out(ngx_http_swarm_out_t *o, const void *data,
    size_t len);
static void ngx_http_swarm_out_string(ngx_http_swarm_out_t *o,
    const char *s);
static int ngx_http_swarm_in(ngx_http_swarm_in_t *in, void *data,
    size_t len);
static int ngx_http_swarm_in_string(ngx_http_swarm_in_t *in, char *dst,
    size_t size);


#define ngx_http_swarm_rotl(x, b)  (((x) << (b)) | ((x) >> (64 - (b))))

#define ngx_http_swarm_sipround(v0, v1, v2, v3)                               \
    v0 += v1; v1 = ngx_http_swarm_rotl(v1, 13); v1 ^= v0;                     \
    v0 = ngx_http_swarm_rotl(v0, 32);                                         \
    v2 += v3; v3 = ngx_http_swarm_rotl(v3, 16); v3 ^= v2;                     \
    v0 += v3; v3 = ngx_http_swarm_rotl(v3, 21); v3 ^= v0;                     \
    v2 += v1; v1 = ngx_http_swarm_rotl(v1, 17); v1 ^= v2;                     \
    v2 = ngx_http_swarm_rotl(v2, 32)


static uint64_t
ngx_http_swarm_le64(const unsigned char *p)
{
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
}


/*
 * SipHash-2-4 of len bytes under a 16-byte key, its 128-bit output as
 * two words: out[0] its first 8 bytes (little-endian), out[1] the rest
 */

void
ngx_http_swarm_digest(const unsigned char *key, const char *p, size_t len,
    uint64_t *out)
{
    size_t                i, n;
    uint64_t              k0, k1, v0, v1, v2, v3, m, b;
    const unsigned char  *s;

    s = (const unsigned char *) p;
    k0 = ngx_http_swarm_le64(key);
    k1 = ngx_http_swarm_le64(key + 8);

    v0 = 0x736f6d6570736575ULL ^ k0;
    v1 = 0x646f72616e646f6dULL ^ k1 ^ 0xee;
    v2 = 0x6c7967656e657261ULL ^ k0;
    v3 = 0x7465646279746573ULL ^ k1;

    n = len & ~(size_t) 7;

    for (i = 0; i < n; i += 8) {
        m = ngx_http_swarm_le64(s + i);
        v3 ^= m;
        ngx_http_swarm_sipround(v0, v1, v2, v3);
        ngx_http_swarm_sipround(v0, v1, v2, v3);
        v0 ^= m;
    }

    b = (uint64_t) len << 56;

    for (i = 0; i < (len & 7); i++) {
        b |= (uint64_t) s[n + i] << (8 * i);
    }

    v3 ^= b;
    ngx_http_swarm_sipround(v0, v1, v2, v3);
    ngx_http_swarm_sipround(v0, v1, v2, v3);
    v0 ^= b;

    v2 ^= 0xee;

    for (i = 0; i < 4; i++) {
        ngx_http_swarm_sipround(v0, v1, v2, v3);
    }

    out[0] = v0 ^ v1 ^ v2 ^ v3;

    v1 ^= 0xdd;

    for (i = 0; i < 4; i++) {
        ngx_http_swarm_sipround(v0, v1, v2, v3);
    }

    out[1] = v0 ^ v1 ^ v2 ^ v3;
}


/*
 * Records into an image, after its head if "head": into buf (size
 * bytes), the length they take, written only where it fits.  A record
 * of no length (too large to parse) is left out.  An image may be
 * written a part at a time, each part's records after the last's.
 */

size_t
ngx_http_swarm_records_save(ngx_http_swarm_task_t **recs, size_t n,
    int head, char *buf, size_t size)
{
    size_t                  i, k;
    uint8_t                 u8[4];
    uint32_t                u32[4];
    ngx_http_swarm_out_t    o;
    ngx_http_swarm_att_t   *a;
    ngx_http_swarm_task_t  *rec;

    o.p = buf;
    o.end = buf ? buf + size : NULL;
    o.len = 0;

    if (head) {
        ngx_http_swarm_out(&o, NGX_HTTP_SWARM_RECORDS_MAGIC,
                           NGX_HTTP_SWARM_RECORDS_HEAD);
    }

    for (i = 0; i < n; i++) {
        rec = recs[i];

        if (rec->len == 0) {
            continue;
        }

        u32[0] = (uint32_t) rec->len;
        u32[1] = rec->slot;
        u32[2] = rec->since;
        u32[3] = 0;

        u8[0] = rec->state;
        u8[1] = (rec->why != NULL);
        u8[2] = (uint8_t) rec->natt;
        u8[3] = 0;

        ngx_http_swarm_out(&o, rec->digest, 2 * sizeof(uint64_t));
        ngx_http_swarm_out(&o, u32, 4 * sizeof(uint32_t));
        ngx_http_swarm_out(&o, u8, 4);
        ngx_http_swarm_out_string(&o, rec->tid);
        ngx_http_swarm_out_string(&o, rec->sid);
        ngx_http_swarm_out_string(&o, rec->node);

        for (k = 0; k < rec->natt; k++) {
            a = &rec->att[k];

            u8[0] = (a->named ? NGX_HTTP_SWARM_ATT_NAMED : 0)
                    | (a->long_name ? NGX_HTTP_SWARM_ATT_LONG : 0)
                    | (a->ingress ? NGX_HTTP_SWARM_ATT_INGRESS : 0);
            u8[1] = a->family;

            ngx_http_swarm_out(&o, u8, 2);
            ngx_http_swarm_out(&o, a->addr, 16);
            ngx_http_swarm_out_string(&o, a->name);
            ngx_http_swarm_out_string(&o, a->id);
            ngx_http_swarm_out_string(&o, a->ip);
        }
    }

    return o.len;
}


/* bytes counted, and written where they fit */

static void
ngx_http_swarm_out(ngx_http_swarm_out_t *o, const void *data, size_t len)
{
    if (o->p && (size_t) (o->end - o->p) >= len) {
        memcpy(o->p, data, len);
        o->p += len;

    } else {
        o->p = NULL;
    }

    o->len += len;
}


/* a string of a record's fields: its length in a byte, then its bytes */

static void
ngx_http_swarm_out_string(ngx_http_swarm_out_t *o, const char *s)
{
    uint8_t  len;

    len = (uint8_t) strlen(s);

    ngx_http_swarm_out(o, &len, 1);
    ngx_http_swarm_out(o, s, len);
}


/* an image's first record: its offset, or 0 if it is no image */

size_t
ngx_http_swarm_records_first(const char *buf, size_t len)
{
    if (len < NGX_HTTP_SWARM_RECORDS_HEAD
        || memcmp(buf, NGX_HTTP_SWARM_RECORDS_MAGIC,
                  NGX_HTTP_SWARM_RECORDS_HEAD) != 0)
    {
        return 0;
    }

    return NGX_HTTP_SWARM_RECORDS_HEAD;
}


/*
 * The record at *off, read into rec (zeroed; its attachments allocated)
 * or, with rec NULL, only checked; *off moved past it, its digest and
 * length given: 0, or -1 if it is not whole or no memory
 */

int
ngx_http_swarm_records_read(const char *buf, size_t len, size_t *off,
    ngx_http_swarm_task_t *rec, uint64_t *digest, size_t *rlen)
{
    size_t                  k, natt;
    uint8_t                 u8[4];
    uint32_t                u32[4];
    ngx_http_swarm_in_t     in;
    ngx_http_swarm_att_t   *a, att;
    ngx_http_swarm_task_t   tmp;

    in.p = buf + *off;
    in.end = buf + len;

    if (rec == NULL) {
        rec = &tmp;
    }

    if (ngx_http_swarm_in(&in, rec->digest, 2 * sizeof(uint64_t)) != 0
        || ngx_http_swarm_in(&in, u32, 4 * sizeof(uint32_t)) != 0
        || ngx_http_swarm_in(&in, u8, 4) != 0
        || u32[0] == 0 || u8[2] > NGX_HTTP_SWARM_ATT_MAX
        || ngx_http_swarm_in_string(&in, rec->tid, sizeof(rec->tid)) != 0
        || ngx_http_swarm_in_string(&in, rec->sid, sizeof(rec->sid)) != 0
        || ngx_http_swarm_in_string(&in, rec->node, sizeof(rec->node)) != 0)
    {
        return -1;
    }

    rec->len = u32[0];
    rec->slot = u32[1];
    rec->since = u32[2];
    rec->state = u8[0];
    rec->why = u8[1] ? ngx_http_swarm_too_many_atts : NULL;
    natt = u8[2];

    if (rec != &tmp && natt) {
        rec->att = calloc(natt, sizeof(ngx_http_swarm_att_t));
        if (rec->att == NULL) {
            return -1;
        }
    }

    for (k = 0; k < natt; k++) {
        a = (rec != &tmp) ? &rec->att[rec->natt++] : &att;

        if (ngx_http_swarm_in(&in, u8, 2) != 0
            || ngx_http_swarm_in(&in, a->addr, 16) != 0
            || ngx_http_swarm_in_string(&in, a->name, sizeof(a->name)) != 0
            || ngx_http_swarm_in_string(&in, a->id, sizeof(a->id)) != 0
            || ngx_http_swarm_in_string(&in, a->ip, sizeof(a->ip)) != 0)
        {
            return -1;
        }

        a->named = (u8[0] & NGX_HTTP_SWARM_ATT_NAMED) != 0;
        a->long_name = (u8[0] & NGX_HTTP_SWARM_ATT_LONG) != 0;
        a->ingress = (u8[0] & NGX_HTTP_SWARM_ATT_INGRESS) != 0;
        a->family = u8[1];
    }

    digest[0] = rec->digest[0];
    digest[1] = rec->digest[1];
    *rlen = rec->len;
    *off = in.p - buf;

    return 0;
}


static int
ngx_http_swarm_in(ngx_http_swarm_in_t *in, void *data, size_t len)
{
    if ((size_t) (in->end - in->p) < len) {
        return -1;
    }

    memcpy(data, in->p, len);
    in->p += len;

    return 0;
}


/* a string of at most size - 1 bytes, with no NUL in it */

static int
ngx_http_swarm_in_string(ngx_http_swarm_in_t *in, char *dst, size_t size)
{
    uint8_t  len;

    if (ngx_http_swarm_in(in, &len, 1) != 0 || len >= size
        || ngx_http_swarm_in(in, dst, len) != 0
        || memchr(dst, '\0', len) != NULL)
    {
        return -1;
    }

    dst[len] = '\0';

    return 0;
}


void
ngx_http_swarm_record_free(ngx_http_swarm_task_t *rec)
{
    free(rec->att);
    free(rec);
}
