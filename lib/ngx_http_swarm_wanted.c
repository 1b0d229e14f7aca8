
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The certificates the routes ask for: the names of each route with a
 * tls.certresolver (its tls.domains, or the host names of its rule),
 * those the HTTP-01 challenge can serve kept, the others reported.
 * Pure: jansson and libc only.
 */


#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static void ngx_http_swarm_wanted_add(json_t *names,
    const ngx_http_swarm_routed_t *rt, const char *name, size_t len,
    ngx_http_swarm_report_t *report);
static const char *ngx_http_swarm_wanted_who(
    const ngx_http_swarm_routed_t *rt, char *buf, size_t size);


/*
 * Whether a name may have a certificate ordered here: a DNS name of two
 * labels or more, letters, digits and hyphens, not an IP address; a
 * wildcard needs the DNS-01 challenge, which is not run here.  0, or -1
 * with why.
 */

int
ngx_http_swarm_wanted_name(const char *name, char *err, size_t errlen)
{
    size_t       len, label, labels;
    const char  *p;

    len = strlen(name);

    if (name[0] == '*') {
        snprintf(err, errlen, "a wildcard needs the DNS-01 challenge, "
                 "which is not run here");
        return -1;
    }

    if (len == 0 || len > 253) {
        snprintf(err, errlen, "no host name");
        return -1;
    }

    label = 0;
    labels = 1;

    for (p = name; *p; p++) {
        if (*p == '.') {
            if (label == 0 || p[-1] == '-') {
                goto invalid;
            }

            label = 0;
            labels++;
            continue;
        }

        if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9')
            && !(*p == '-' && label > 0))
        {
            goto invalid;
        }

        if (++label > 63) {
            goto invalid;
        }
    }

    if (label == 0 || labels < 2) {
        goto invalid;
    }

    /* the last label of a DNS name is no number: an IPv4 address */

    for (p = name + len - label; *p >= '0' && *p <= '9'; p++) { /* void */ }

    if (*p == '\0') {
        snprintf(err, errlen, "an IP address");
        return -1;
    }

    return 0;

invalid:

    snprintf(err, errlen, "not a host name a certificate can be "
             "ordered for");

    return -1;
}


/*
 * The certificates the routes of a refresh ask for, by the first of
 * their names: {"a.test": {"resolver": "le", "names": ["a.test", ...]}},
 * a router's tls.domains if it has some, else the host names of its
 * rule.  A name no certificate can be ordered for (a wildcard, a
 * HostRegexp, an address) is reported and left out; the first router
 * to ask for a first name has it.  NULL when out of memory.
 */

json_t *
ngx_http_swarm_wanted(const ngx_http_swarm_routed_t *routed, size_t n,
    ngx_http_swarm_report_t *report)
{
    char                                who[NGX_HTTP_SWARM_NAME_LEN + 16];
    size_t                              i, h;
    json_t                             *wanted, *names, *main;
    const char                         *p, *end;
    const ngx_http_swarm_routed_t      *rt;
    const ngx_http_swarm_route_spec_t  *spec;

    wanted = json_object();
    if (wanted == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        rt = &routed[i];
        spec = &rt->spec;

        if (rt->dropped || spec->certresolver[0] == '\0') {
            continue;
        }

        names = json_array();
        if (names == NULL) {
            json_decref(wanted);
            return NULL;
        }

        if (spec->domains[0]) {
            for (p = spec->domains; *p; p = *end ? end + 1 : end) {
                end = p + strcspn(p, ",");
                ngx_http_swarm_wanted_add(names, rt, p, end - p, report);
            }

        } else {
            for (h = 0; h < spec->rule.nhosts; h++) {
                p = spec->rule.hosts[h];
                ngx_http_swarm_wanted_add(names, rt, p, strlen(p), report);
            }
        }

        if (json_array_size(names) == 0) {
            ngx_http_swarm_text_report(report, rt->upstream, rt->service,
                                       "%sno certificate from \"%s\": "
                                       "no host name to order one for",
                                       ngx_http_swarm_wanted_who(rt, who,
                                                                 sizeof(who)),
                                       spec->certresolver);
            json_decref(names);
            continue;
        }

        main = json_array_get(names, 0);

        if (json_object_get(wanted, json_string_value(main)) == NULL) {
            json_object_set_new(wanted, json_string_value(main),
                                json_pack("{s:s, s:o}", "resolver",
                                          spec->certresolver,
                                          "names", names));
            continue;
        }

        json_decref(names);
    }

    return wanted;
}


static void
ngx_http_swarm_wanted_add(json_t *names,
    const ngx_http_swarm_routed_t *rt, const char *name, size_t len,
    ngx_http_swarm_report_t *report)
{
    char    host[NGX_HTTP_SWARM_ACME_HOST_LEN], err[NGX_HTTP_SWARM_ERR_LEN];
    char    who[NGX_HTTP_SWARM_NAME_LEN + 16];
    size_t  i;

    if (len == 0) {
        return;
    }

    if (len >= sizeof(host)) {
        len = sizeof(host) - 1;
    }

    for (i = 0; i < len; i++) {
        host[i] = tolower((unsigned char) name[i]);
    }

    host[len] = '\0';

    if (ngx_http_swarm_wanted_name(host, err, sizeof(err)) != 0) {
        ngx_http_swarm_text_report(report, rt->upstream, rt->service,
                                   "%sno certificate for \"%s\": %s; "
                                   "the server's own is served",
                                   ngx_http_swarm_wanted_who(rt, who,
                                                             sizeof(who)),
                                   host, err);
        return;
    }

    for (i = 0; i < json_array_size(names); i++) {
        if (strcmp(json_string_value(json_array_get(names, i)), host) == 0) {
            return;
        }
    }

    if (json_array_size(names) < NGX_HTTP_SWARM_ACME_NAMES) {
        json_array_append_new(names, json_string(host));
    }
}


/* what a note of a router's begins with: "router \"NAME\": ", or "" */

static const char *
ngx_http_swarm_wanted_who(const ngx_http_swarm_routed_t *rt, char *buf,
    size_t size)
{
    if (rt->spec.router[0] == '\0') {
        return "";
    }

    snprintf(buf, size, "router \"%s\": ", rt->spec.router);

    return buf;
}
