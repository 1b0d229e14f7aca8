
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: a Cookie header value (any bytes) scanned for the
 * route cookie, looked up in an index of task addresses, and formatted
 * back as a Set-Cookie value.  A value found in the index must be one
 * of the tasks, byte for byte.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                            n;
    long                           k;
    size_t                         vlen, len;
    u_char                         buf[256];
    uint32_t                       slots[16];
    const u_char                  *value;
    ngx_http_swarm_index_t         index;
    ngx_http_swarm_cookie_t        ck;

    static ngx_http_swarm_peer_t   peers[3];
    static int                     init;

    if (!init) {
        strcpy(peers[0].ip, "10.0.2.3");
        strcpy(peers[1].ip, "10.0.2.4");
        strcpy(peers[2].ip, "fd00::7");
        init = 1;
    }

    ngx_http_swarm_cookie_index_build(&index, slots,
                                      ngx_http_swarm_cookie_index_size(3),
                                      peers[0].ip,
                                      sizeof(ngx_http_swarm_peer_t), 3);

    value = NULL;
    vlen = 0;

    n = ngx_http_swarm_cookie_scan(data, size, (const u_char *) "route", 5,
                                   &value, &vlen);
    if (n == 0) {
        return 0;
    }

    if (value < data || value + vlen > data + size) {
        abort();
    }

    k = ngx_http_swarm_cookie_index_find(&index, value, vlen);

    if (k >= 0) {
        if (k > 2 || strlen(peers[k].ip) != vlen
            || memcmp(peers[k].ip, value, vlen) != 0)
        {
            abort();
        }

        memset(&ck, 0, sizeof(ck));
        ck.name = "route";
        ck.path = "/";
        ck.max_age = -1;

        len = ngx_http_swarm_cookie_attrs(buf, sizeof(buf), &ck, 1);
        if (len >= sizeof(buf) || strchr((char *) buf, '\r')
            || strchr((char *) buf, '\n'))
        {
            abort();
        }
    }

    return 0;
}
