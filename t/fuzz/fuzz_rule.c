
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: any bytes as a Traefik v3, v2 and v1 rule.  A rule
 * that parses gives 1 to 64 matches, each with a path that starts with
 * "/", host names in its range: "*", or printable ASCII with no upper
 * case letter after an optional "*.", and conditions in theirs.  Its
 * route table finds it for its own host and path where its first match
 * has no conditions.  What is published of a rule reads back as the
 * same rule, within the same bounds.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(ngx_http_swarm_rule_t *r);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long                      k;
    char                      err[256], host[300];
    const char               *h;
    ngx_http_swarm_rule_t     r;
    ngx_http_swarm_route_t    route;
    ngx_http_swarm_routes_t  *t;

    if (ngx_http_swarm_rule_parse((const char *) data, size, &r, err,
                                  sizeof(err))
        == NGX_HTTP_SWARM_DONE)
    {
        check(&r);

        /* its routes, asked for the input as a host and as a path */

        memset(&route, 0, sizeof(ngx_http_swarm_route_t));
        route.name = "fuzz";
        route.rule = &r;
        route.priority = 0;
        route.has_priority = 0;

        t = ngx_http_swarm_routes_build(&route, 1,
                                        NGX_HTTP_SWARM_ORDER_NATIVE, NULL);
        if (t) {
            k = ngx_http_swarm_routes_find(t, (const char *) data, size,
                                           (const char *) data, size, NULL);
            if (k != -1 && k != 0) {
                abort();
            }

            /* its first match's host (a name below a wildcard) and path */

            /* an IPv6 address as a Host header gives it, in brackets */

            h = r.matches[0].nhosts ? r.hosts[r.matches[0].host] : NULL;

            if (h && strpbrk(h, "[]") == NULL && r.matches[0].nconds == 0) {
                snprintf(host, sizeof(host), "%s%s%s",
                         strchr(h, ':') ? "[" : "",
                         h[0] == '*' ? (h[1] ? "x" : "any") : "",
                         h[0] == '*' ? h + 1 : h);

                if (strchr(h, ':')) {
                    strcat(host, "]");
                }

                if (ngx_http_swarm_routes_find(t, host, strlen(host),
                                               r.matches[0].path,
                                               strlen(r.matches[0].path),
                                               NULL)
                    != 0)
                {
                    abort();
                }
            }

            ngx_http_swarm_routes_free(t);
        }
    }

    ngx_http_swarm_rule_free(&r);

    if (ngx_http_swarm_rule_parse_v2((const char *) data, size, &r, err,
                                     sizeof(err))
        == NGX_HTTP_SWARM_DONE)
    {
        check(&r);
    }

    ngx_http_swarm_rule_free(&r);

    if (ngx_http_swarm_rule_parse_v1((const char *) data, size, &r, err,
                                     sizeof(err))
        == NGX_HTTP_SWARM_DONE)
    {
        check(&r);
    }

    ngx_http_swarm_rule_free(&r);

    return 0;
}


static void
check(ngx_http_swarm_rule_t *r)
{
    char                    err[256];
    size_t                  i, k;
    json_t                 *json, *back;
    const char             *h, *p;
    ngx_http_swarm_rule_t   again;

    if (r->n == 0 || r->n > NGX_HTTP_SWARM_RULE_MATCHES) {
        abort();
    }

    for (i = 0; i < r->n; i++) {
        if (r->matches[i].path == NULL || r->matches[i].path[0] != '/') {
            abort();
        }

        if (r->matches[i].host + r->matches[i].nhosts > r->nhosts
            || (r->matches[i].nconds
                && r->matches[i].cond + r->matches[i].nconds > r->nconds))
        {
            abort();
        }

        for (k = 0; k < r->matches[i].nconds; k++) {
            if (r->conds[r->matches[i].cond + k].value
                + r->conds[r->matches[i].cond + k].nvalues > r->nvalues
                || r->conds[r->matches[i].cond + k].type
                   >= NGX_HTTP_SWARM_COND_TYPES)
            {
                abort();
            }
        }

        for (k = 0; k < r->matches[i].nhosts; k++) {
            h = r->hosts[r->matches[i].host + k];

            if (h[0] == '*' && h[1] == '\0') {
                continue;
            }

            if (h[0] == '*' && h[1] == '.') {
                h += 2;
            }

            if (*h == '\0') {
                abort();
            }

            for (p = h; *p; p++) {
                if (*p <= ' ' || *p >= 0x7f || (*p >= 'A' && *p <= 'Z')) {
                    abort();
                }
            }
        }
    }

    /* the rule as published, read back as a worker reads it */

    json = ngx_http_swarm_matches_json(r);
    if (json == NULL) {
        abort();
    }

    if (ngx_http_swarm_matches_from_json(json, &again, err, sizeof(err))
        != NGX_HTTP_SWARM_DONE
        || again.n != r->n || again.nhosts > r->nhosts)
    {
        abort();
    }

    back = ngx_http_swarm_matches_json(&again);
    if (back == NULL || !json_equal(json, back)) {
        abort();
    }

    json_decref(back);
    json_decref(json);
    ngx_http_swarm_rule_free(&again);
}
