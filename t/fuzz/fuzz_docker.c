
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: Docker API answers (any bytes) through the services
 * parser and then the tasks parser, as a refresh does, with selectors by
 * label and by name, network given or left to the tasks.  The tasks are
 * read twice: fresh, and a few at a time by a reader that read the first
 * half of the input before, as the answer of the last refresh; both must
 * give the same sets, and agree with jansson on the whole answer about
 * what is JSON.
 */


#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                        rc, rc2;
    char                       err[NGX_HTTP_SWARM_ERR_LEN];
    size_t                     i, j;
    json_t                    *root;
    json_error_t               jerr;
    json_t                    *routes, *r, *back;
    ngx_http_swarm_rule_t      rule;
    ngx_http_swarm_set_t       sets[3], again[3];
    ngx_http_swarm_services_t  svcs, copy;

    ngx_http_swarm_tasks_t    *reader;

    static const ngx_http_swarm_selector_t  sel[] = {
        { "swarm.upstream", "app", NULL, NULL, 0, 0, 0, 0, 0, NULL, 0, NULL,
          NULL, NULL },
        { NULL, NULL, "mystack_api", "mystack_net", 9000, 1, 0, 0, 0, NULL,
          0, NULL, NULL, NULL },
        { "swarm.upstream", "api", NULL, NULL, 0, 1, 0, 8000, 8999, NULL, 0,
          NULL, NULL, NULL },
        { "swarm.enable", "true", NULL, NULL, 0, 2,
          NGX_HTTP_SWARM_ROUTES_NATIVE, 0, 0, NULL, 0, NULL, NULL, NULL },
        { "traefik.enable", "true", NULL, NULL, 80, 2,
          NGX_HTTP_SWARM_ROUTES_TRAEFIK, 1, 1024, NULL, 0, NULL, NULL, NULL },
    };

    reader = ngx_http_swarm_tasks_create();
    if (reader == NULL) {
        abort();
    }

    memset(&svcs, 0, sizeof(svcs));
    memset(sets, 0, sizeof(sets));
    memset(again, 0, sizeof(again));

    for (i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
        (void) ngx_http_swarm_services_parse((const char *) data, size,
                                             &sel[i], &svcs, NULL, err,
                                             sizeof(err));
    }

    (void) ngx_http_swarm_services_routes(&svcs, 2, NULL);

    copy = svcs;
    copy.services = NULL;
    copy.routed = NULL;
    copy.nrouted = 0;
    copy.rcap = 0;
    copy.ignored = NULL;

    if (svcs.n) {
        copy.services = malloc(svcs.n * sizeof(ngx_http_swarm_service_t));
        if (copy.services == NULL) {
            abort();
        }

        memcpy(copy.services, svcs.services,
               svcs.n * sizeof(ngx_http_swarm_service_t));
        copy.cap = svcs.n;
    }

    /* the same bytes as a tasks answer for whatever services matched */

    rc = ngx_http_swarm_tasks_parse((const char *) data, size, &svcs, sets,
                                    3, NULL, err, sizeof(err));

    /* the routes as the workers get them, the same once read back */

    routes = ngx_http_swarm_services_routes_json(&svcs, 2,
                                                 NGX_HTTP_SWARM_ORDER_TRAEFIK,
                                                 NULL);

    json_array_foreach(json_object_get(routes, "routes"), i, r) {
        if (ngx_http_swarm_matches_from_json(json_object_get(r, "rule"), &rule,
                                             err, sizeof(err))
            != NGX_HTTP_SWARM_DONE)
        {
            abort();
        }

        back = ngx_http_swarm_matches_json(&rule);

        if (!json_equal(back, json_object_get(r, "rule"))) {
            abort();
        }

        json_decref(back);
        ngx_http_swarm_rule_free(&rule);
    }

    json_decref(routes);

    /* jansson on the whole answer: one JSON array, or not */

    root = json_loadb((const char *) data, size, 0, &jerr);

    if (root && json_is_array(root) && rc != 0) {
        abort();
    }

    if (root == NULL && rc == 0 && strstr(jerr.text, "depth") == NULL) {
        abort();
    }

    json_decref(root);

    ngx_http_swarm_tasks_begin(reader);
    ngx_http_swarm_tasks_feed(reader, (const char *) data, size / 2);

    while (ngx_http_swarm_tasks_read(reader, 3, err, sizeof(err)) == 1) {
        /* void */
    }

    ngx_http_swarm_tasks_begin(reader);
    ngx_http_swarm_tasks_feed(reader, (const char *) data, size);

    do {
        rc2 = ngx_http_swarm_tasks_read(reader, 3, err, sizeof(err));
    } while (rc2 == 1);

    if (rc2 == 0) {
        do {
            rc2 = ngx_http_swarm_tasks_sets(reader, &copy, again, 3, NULL, 2,
                                            err, sizeof(err));
        } while (rc2 == 1);

        for (i = 0; rc2 == 0 && i < 3; i++) {
            ngx_http_swarm_set_finish(&again[i], (unsigned) i, NULL);
        }
    }

    if (rc != rc2) {
        abort();
    }

    if (rc == 0) {
        for (i = 0; i < 3; i++) {
            if (sets[i].n != again[i].n
                || (sets[i].n
                    && memcmp(sets[i].peers, again[i].peers,
                              sets[i].n * sizeof(ngx_http_swarm_peer_t))
                       != 0))
            {
                abort();
            }

            for (j = 0; j < sets[i].n; j++) {
                if (sets[i].peers[j].ip[NGX_HTTP_SWARM_IP_LEN - 1] != '\0'
                    || (sets[i].peers[j].state != NGX_HTTP_SWARM_ACTIVE
                        && sets[i].peers[j].state != NGX_HTTP_SWARM_DRAINING))
                {
                    abort();
                }
            }

            (void) ngx_http_swarm_set_diff(sets[i].peers, sets[i].n,
                                           sets[(i + 1) % 3].peers,
                                           sets[(i + 1) % 3].n);
        }
    }

    for (i = 0; i < 3; i++) {
        ngx_http_swarm_set_free(&sets[i]);
        ngx_http_swarm_set_free(&again[i]);
    }

    ngx_http_swarm_tasks_destroy(reader);
    ngx_http_swarm_services_free(&svcs);
    ngx_http_swarm_services_free(&copy);

    return 0;
}
