
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: Docker API answers (any bytes) through the services
 * parser and then the tasks parser, as a refresh does, with selectors by
 * label and by name, network given or left to the tasks.
 */


#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                       err[NGX_HTTP_SWARM_ERR_LEN];
    size_t                     i, j;
    ngx_http_swarm_set_t       sets[2];
    ngx_http_swarm_services_t  svcs;

    static const ngx_http_swarm_selector_t  sel[] = {
        { "swarm.upstream", "app", NULL, NULL, 0, 0 },
        { NULL, NULL, "mystack_api", "mystack_net", 9000, 1 },
        { "swarm.upstream", "api", NULL, NULL, 0, 1 },
    };

    memset(&svcs, 0, sizeof(svcs));
    memset(sets, 0, sizeof(sets));

    for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        (void) ngx_http_swarm_parse_services((const char *) data, size,
                                             &sel[i], &svcs, NULL, err,
                                             sizeof(err));
    }

    /* the same bytes as a tasks answer for whatever services matched */

    if (ngx_http_swarm_parse_tasks((const char *) data, size, &svcs, sets, 2,
                                   NULL, err, sizeof(err))
        == 0)
    {
        for (i = 0; i < 2; i++) {
            for (j = 0; j < sets[i].n; j++) {
                if (sets[i].peers[j].ip[NGX_HTTP_SWARM_IP_LEN - 1] != '\0'
                    || (sets[i].peers[j].state != NGX_HTTP_SWARM_ACTIVE
                        && sets[i].peers[j].state != NGX_HTTP_SWARM_DRAINING))
                {
                    abort();
                }
            }

            (void) ngx_http_swarm_set_diff(sets[i].peers, sets[i].n,
                                           sets[1 - i].peers, sets[1 - i].n);
        }
    }

    for (i = 0; i < 2; i++) {
        ngx_http_swarm_set_free(&sets[i]);
    }

    ngx_http_swarm_services_free(&svcs);

    return 0;
}
