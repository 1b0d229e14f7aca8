
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_records.c: the digest
 * against SipHash-2-4's reference vectors, records written into an image
 * (in parts) and read back whole, and records cut short or spoiled
 * refused.
 */


#include "unit_test.h"


/*
 * SipHash-2-4, 128-bit output, key 00 01 .. 0f, message 00 01 .. of
 * the length given: the reference implementation's vectors_sip128
 */

static const struct {
    size_t         len;
    unsigned char  out[16];
} vectors[] = {
    { 0, { 0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
           0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93 } },
    { 1, { 0xda, 0x87, 0xc1, 0xd8, 0x6b, 0x99, 0xaf, 0x44,
           0x34, 0x76, 0x59, 0x11, 0x9b, 0x22, 0xfc, 0x45 } },
    { 7, { 0xa1, 0xf1, 0xeb, 0xbe, 0xd8, 0xdb, 0xc1, 0x53,
           0xc0, 0xb8, 0x4a, 0xa6, 0x1f, 0xf0, 0x82, 0x39 } },
    { 8, { 0x3b, 0x62, 0xa9, 0xba, 0x62, 0x58, 0xf5, 0x61,
           0x0f, 0x83, 0xe2, 0x64, 0xf3, 0x14, 0x97, 0xb4 } },
    { 15, { 0x54, 0x93, 0xe9, 0x99, 0x33, 0xb0, 0xa8, 0x11,
            0x7e, 0x08, 0xec, 0x0f, 0x97, 0xcf, 0xc3, 0xd9 } },
    { 63, { 0x51, 0x50, 0xd1, 0x77, 0x2f, 0x50, 0x83, 0x4a,
            0x50, 0x3e, 0x06, 0x9a, 0x97, 0x3f, 0xbd, 0x7c } },
};


static void
test_digest(void **state)
{
    size_t         i, k;
    char           msg[64];
    uint64_t       d[2], e[2];
    unsigned char  key[16], out[16];

    (void) state;

    for (i = 0; i < 16; i++) {
        key[i] = (unsigned char) i;
    }

    for (i = 0; i < 64; i++) {
        msg[i] = (char) i;
    }

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        ngx_http_swarm_digest(key, msg, vectors[i].len, d);

        for (k = 0; k < 8; k++) {
            out[k] = (unsigned char) (d[0] >> (8 * k));
            out[8 + k] = (unsigned char) (d[1] >> (8 * k));
        }

        assert_memory_equal(out, vectors[i].out, 16);
    }

    /* another key, another digest */

    ngx_http_swarm_digest(key, msg, 15, d);
    key[0] = 1;
    ngx_http_swarm_digest(key, msg, 15, e);
    assert_false(d[0] == e[0] && d[1] == e[1]);
}


static ngx_http_swarm_task_t *
record(const char *tid, size_t natt)
{
    size_t                  i;
    ngx_http_swarm_task_t  *rec;

    rec = calloc(1, sizeof(ngx_http_swarm_task_t));
    assert_non_null(rec);

    rec->digest[0] = 0x0123456789abcdefULL;
    rec->digest[1] = strlen(tid);
    rec->len = 1400;
    strcpy(rec->tid, tid);
    strcpy(rec->sid, "svc1");
    strcpy(rec->node, "node-of-a-long-id-0123456789abcdef0123456789abcdef0123");
    rec->slot = 7;
    rec->since = 1764000000;
    rec->state = NGX_HTTP_SWARM_DRAINING;

    if (natt) {
        rec->att = calloc(natt, sizeof(ngx_http_swarm_att_t));
        assert_non_null(rec->att);
    }

    for (i = 0; i < natt; i++) {
        snprintf(rec->att[i].name, sizeof(rec->att[i].name), "net%zu", i);
        strcpy(rec->att[i].id, "abcdef");
        snprintf(rec->att[i].ip, sizeof(rec->att[i].ip), "10.0.%zu.1", i);
        rec->att[i].addr[0] = 10;
        rec->att[i].addr[2] = (uint8_t) i;
        rec->att[i].addr[3] = 1;
        rec->att[i].family = 2;
        rec->att[i].named = 1;
        rec->att[i].long_name = (i == 1);
        rec->att[i].ingress = (i == 2);
        rec->natt++;
    }

    return rec;
}


/* the records of an image, read back: 0, or -1 at a record not whole */

static int
read_all(const char *buf, size_t len, ngx_http_swarm_task_t **back,
    size_t *n)
{
    size_t     off, rlen;
    uint64_t   d[2];

    *n = 0;

    off = ngx_http_swarm_records_first(buf, len);
    if (off == 0) {
        return -1;
    }

    for ( /* void */ ; off < len; (*n)++) {
        back[*n] = calloc(1, sizeof(ngx_http_swarm_task_t));
        assert_non_null(back[*n]);

        if (ngx_http_swarm_records_read(buf, len, &off, back[*n], d, &rlen)
            != 0)
        {
            ngx_http_swarm_record_free(back[*n]);
            return -1;
        }

        assert_memory_equal(d, back[*n]->digest, sizeof(d));
        assert_int_equal(rlen, back[*n]->len);
    }

    return 0;
}


static void
free_all(ngx_http_swarm_task_t **back, size_t n)
{
    while (n--) {
        ngx_http_swarm_record_free(back[n]);
    }
}


static void
test_image(void **state)
{
    char                    *buf;
    size_t                   i, k, n, len, part, b1, b2;
    ngx_http_swarm_task_t   *recs[4], *back[8];

    (void) state;

    recs[0] = record("t1", 0);
    recs[1] = record("t2", 3);
    recs[2] = record("t3", 1);
    recs[2]->why = ngx_http_swarm_too_many_atts;
    recs[2]->state = 0;

    /* too large to parse: not written */
    recs[3] = record("t4", 0);
    recs[3]->len = 0;

    len = ngx_http_swarm_records_save(recs, 4, 1, NULL, 0);
    assert_true(len > 16);

    buf = malloc(len + 1);
    assert_non_null(buf);

    /* short of room: nothing written, the length all the same */
    memset(buf, 'x', len);
    assert_int_equal(ngx_http_swarm_records_save(recs, 4, 1, buf, 4), len);
    assert_int_equal(buf[0], 'x');

    /* in two parts, as in one */

    part = ngx_http_swarm_records_save(recs, 2, 1, buf, len);
    assert_int_equal(ngx_http_swarm_records_save(recs + 2, 2, 0, buf + part,
                                                 len - part),
                     len - part);

    assert_int_equal(read_all(buf, len, back, &n), 0);
    assert_int_equal(n, 3);

    for (i = 0; i < n; i++) {
        assert_memory_equal(back[i]->digest, recs[i]->digest, 16);
        assert_int_equal(back[i]->len, recs[i]->len);
        assert_string_equal(back[i]->tid, recs[i]->tid);
        assert_string_equal(back[i]->sid, recs[i]->sid);
        assert_string_equal(back[i]->node, recs[i]->node);
        assert_int_equal(back[i]->slot, recs[i]->slot);
        assert_int_equal(back[i]->since, recs[i]->since);
        assert_int_equal(back[i]->state, recs[i]->state);
        assert_ptr_equal(back[i]->why, recs[i]->why);
        assert_int_equal(back[i]->natt, recs[i]->natt);

        for (k = 0; k < recs[i]->natt; k++) {
            assert_memory_equal(&back[i]->att[k], &recs[i]->att[k],
                                sizeof(ngx_http_swarm_att_t));
        }
    }

    free_all(back, n);

    /* every image cut short is refused, and so is one with more after */

    b1 = 8 + ngx_http_swarm_records_save(recs, 1, 0, NULL, 0);
    b2 = b1 + ngx_http_swarm_records_save(recs + 1, 1, 0, NULL, 0);

    for (i = 0; i < len; i++) {

        /* an image cut between two records holds those before */

        assert_int_equal(read_all(buf, i, back, &n),
                         (i == 8 || i == b1 || i == b2) ? 0 : -1);
        free_all(back, n);
    }

    buf[len] = 0;
    assert_int_equal(read_all(buf, len + 1, back, &n), -1);
    free_all(back, n);

    /* a string longer than its field, a NUL in one, another head */

    buf[8 + 36] = 64;
    assert_int_equal(read_all(buf, len, back, &n), -1);
    free_all(back, n);
    buf[8 + 36] = 2;
    buf[8 + 37] = '\0';
    assert_int_equal(read_all(buf, len, back, &n), -1);
    free_all(back, n);
    buf[8 + 37] = 't';
    assert_int_equal(read_all(buf, len, back, &n), 0);
    free_all(back, n);

    memcpy(buf, "swarmtk2", 8);
    assert_int_equal(ngx_http_swarm_records_first(buf, len), 0);
    assert_int_equal(ngx_http_swarm_records_first(buf, 7), 0);

    for (i = 0; i < 4; i++) {
        ngx_http_swarm_record_free(recs[i]);
    }

    free(buf);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_image),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
