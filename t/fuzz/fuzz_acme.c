
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: a CA's answer (any bytes) read as a directory, an
 * order, an authorization, a problem document and a PEM chain, as the
 * ACME client reads each.  What is read must hold: URLs valid, a token
 * a valid one, certificates within the text and in order.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                              n, i;
    char                             err[NGX_HTTP_SWARM_ERR_LEN];
    char                             b64[320];
    size_t                           start[8], len[8], k;
    const char                      *text = (const char *) data;
    ngx_http_swarm_acme_authz_t      authz;
    ngx_http_swarm_acme_order_t      order;
    ngx_http_swarm_acme_directory_t  dir;

    if (ngx_http_swarm_acme_directory(text, size, &dir, err, sizeof(err))
        == 0)
    {
        if (!ngx_http_swarm_acme_url_valid(dir.new_nonce)
            || !ngx_http_swarm_acme_url_valid(dir.new_order))
        {
            abort();
        }
    }

    if (ngx_http_swarm_acme_order(text, size, &order, err, sizeof(err))
        == 0)
    {
        if (order.nauthz == 0 || order.nauthz > NGX_HTTP_SWARM_ACME_NAMES
            || (order.status == NGX_HTTP_SWARM_ACME_VALID
                && !ngx_http_swarm_acme_url_valid(order.certificate)))
        {
            abort();
        }

        for (k = 0; k < order.nauthz; k++) {
            if (!ngx_http_swarm_acme_url_valid(order.authorizations[k])) {
                abort();
            }
        }
    }

    if (ngx_http_swarm_acme_authz(text, size, &authz, err, sizeof(err))
        == 0)
    {
        if (authz.challenge[0]
            && !ngx_http_swarm_acme_token_valid(authz.token,
                                                strlen(authz.token)))
        {
            abort();
        }
    }

    (void) ngx_http_swarm_acme_problem(text, size, err, sizeof(err));

    n = ngx_http_swarm_acme_pem_chain(text, size, start, len, 8);

    for (i = 0; i < n; i++) {
        if (start[i] + len[i] > size
            || (i > 0 && start[i] < start[i - 1] + len[i - 1])
            || memcmp(text + start[i], "-----BEGIN CERTIFICATE-----", 27)
               != 0)
        {
            abort();
        }
    }

    if (ngx_http_swarm_acme_base64url(data, size < 180 ? size : 180,
                                      b64, sizeof(b64))
        != ((size < 180 ? size : 180) * 4 + 2) / 3)
    {
        abort();
    }

    if (size < 300) {
        memcpy(b64, data, size);
        b64[size] = '\0';
        (void) ngx_http_swarm_wanted_name(b64, err, sizeof(err));
    }

    return 0;
}
