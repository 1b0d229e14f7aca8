
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The makers of the middleware types that shape the traffic of a route:
 * ratelimit, inflightreq, retry, buffering and compress.  As the other
 * makers (ngx_http_swarm_mwtypes.c), each takes its options, checks them
 * as Traefik would (pkg/middlewares), and writes the definition the
 * workers run; an option left untaken is not run here, and refuses the
 * middleware.  Pure: jansson and libc only.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static int ngx_http_swarm_mwflow_source(ngx_http_swarm_make_t *m,
    int host_default);
static int ngx_http_swarm_mwflow_types(ngx_http_swarm_make_t *m,
    const char *option, const char *key);


/*
 * ratelimit: average requests a period (none: no limit), period (Go's
 * durations, or seconds; 1s), burst (1 at least), the source by
 * sourcecriterion.requesthost or .requestheadername, else the client's
 * address (pkg/middlewares/ratelimiter)
 */

int
ngx_http_swarm_mwflow_ratelimit(ngx_http_swarm_make_t *m)
{
    long    average, burst;
    double  us;

    if (ngx_http_swarm_opt_number(m, "average", "average", 0, 0x7fffffffL,
                                  &average)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_number(m, "burst", "burst", 0, 0x7fffffffL,
                                     &burst)
           != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_duration(m, "period", &us)
           != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_mwflow_source(m, 0) != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (us == 0) {
        us = 1000000;
    }

    return ngx_http_swarm_opt_set(m, "average", json_integer(average))
           || ngx_http_swarm_opt_set(m, "period",
                                     json_integer((json_int_t) us))
           || ngx_http_swarm_opt_set(m, "burst",
                                     json_integer(burst > 1 ? burst : 1))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * inflightreq: at most "amount" requests of a source at once (0: none
 * at all, as oxy's connlimit counts), the source by sourcecriterion,
 * the Host where none is given (pkg/middlewares/inflightreq)
 */

int
ngx_http_swarm_mwflow_inflightreq(ngx_http_swarm_make_t *m)
{
    long  amount;

    if (ngx_http_swarm_opt_number(m, "amount", "amount", 0, 0xfffffL,
                                  &amount)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_mwflow_source(m, 1) != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "amount", json_integer(amount))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * The source a limit counts by: sourcecriterion.requesthost or
 * .requestheadername ("host", "header"), else the client's address,
 * or the Host where host_default says so.  An ipstrategy is not taken.
 */

static int
ngx_http_swarm_mwflow_source(ngx_http_swarm_make_t *m, int host_default)
{
    int          host;
    const char  *header;

    host = ngx_http_swarm_opt_bool(m, "sourcecriterion.requesthost",
                                   "sourcecriterion.requesthost");
    header = ngx_http_swarm_opt_take(m, "sourcecriterion.requestheadername");

    if (host < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (header && header[0] && !ngx_http_swarm_opt_token(header)) {
        return ngx_http_swarm_opt_error(m, "sourcecriterion."
                                        "requestheadername: invalid header "
                                        "name");
    }

    if (host && header && header[0]) {
        return ngx_http_swarm_opt_error(m, "sourcecriterion: several "
                                        "strategies");
    }

    if (host_default && !host && (header == NULL || header[0] == '\0')) {
        host = 1;
    }

    return ngx_http_swarm_opt_set(m, "host", json_boolean(host))
           || ngx_http_swarm_opt_set(m, "header",
                                     json_string(header ? header : ""))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * retry: "attempts" tries of the route's tasks (one at least), as the
 * balancer's tries; "initialinterval" is taken, and not waited: nginx
 * tries the next task at once (pkg/middlewares/retry)
 */

int
ngx_http_swarm_mwflow_retry(ngx_http_swarm_make_t *m)
{
    long    attempts;
    double  us;

    if (ngx_http_swarm_opt_number(m, "attempts", "attempts", 0, 0x7fffffffL,
                                  &attempts)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_duration(m, "initialinterval", &us)
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (attempts <= 0) {
        return ngx_http_swarm_opt_error(m, "incorrect (or empty) value for "
                                        "attempt (%ld)", attempts);
    }

    return ngx_http_swarm_opt_set(m, "attempts", json_integer(attempts))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * buffering: maxrequestbodybytes (413 past it) and maxresponsebodybytes
 * (500 past it), 0 for none; memrequestbodybytes and
 * memresponsebodybytes are taken: nginx's own buffers decide what is
 * kept in memory (pkg/middlewares/buffering)
 */

int
ngx_http_swarm_mwflow_buffering(ngx_http_swarm_make_t *m)
{
    long  request, response, mem;

    if (ngx_http_swarm_opt_number(m, "maxrequestbodybytes",
                                  "maxrequestbodybytes", 0, 0x7fffffffL,
                                  &request)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_number(m, "maxresponsebodybytes",
                                     "maxresponsebodybytes", 0, 0x7fffffffL,
                                     &response)
           != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_number(m, "memrequestbodybytes",
                                     "memrequestbodybytes", 0, 0x7fffffffL,
                                     &mem)
           != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_number(m, "memresponsebodybytes",
                                     "memresponsebodybytes", 0, 0x7fffffffL,
                                     &mem)
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "request", json_integer(request))
           || ngx_http_swarm_opt_set(m, "response", json_integer(response))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * compress: gzip of the responses of at least minresponsebodybytes
 * (1024), but those of excludedcontenttypes, or only those of
 * includedcontenttypes; "encodings" must name gzip, the one run here,
 * and "defaultencoding" may only be it (pkg/middlewares/compress)
 */

int
ngx_http_swarm_mwflow_compress(ngx_http_swarm_make_t *m)
{
    int          gzip;
    long         min;
    size_t       i;
    json_t      *list, *v;
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "minresponsebodybytes");
    min = 1024;

    if (s && s[0]
        && ngx_http_swarm_opt_number(m, "minresponsebodybytes",
                                     "minresponsebodybytes", 0, 0x7fffffffL,
                                     &min)
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    s = ngx_http_swarm_opt_take(m, "encodings");

    if (s) {
        list = ngx_http_swarm_opt_list(s);
        if (list == NULL) {
            return NGX_HTTP_SWARM_FAILED;
        }

        gzip = 0;

        json_array_foreach(list, i, v) {
            s = json_string_value(v);

            if (strcmp(s, "gzip") == 0) {
                gzip = 1;

            } else if (strcmp(s, "br") != 0 && strcmp(s, "zstd") != 0) {
                (void) ngx_http_swarm_opt_error(m, "encodings: unknown "
                                                "encoding \"%.32s\"", s);
                json_decref(list);
                return NGX_HTTP_SWARM_FAILED;
            }
        }

        json_decref(list);

        if (!gzip) {
            return ngx_http_swarm_opt_error(m, "encodings: gzip is the one "
                                            "run here");
        }
    }

    s = ngx_http_swarm_opt_take(m, "defaultencoding");

    if (s && s[0] && strcmp(s, "gzip") != 0) {
        return ngx_http_swarm_opt_error(m, "defaultencoding: gzip is the one "
                                        "run here");
    }

    if (ngx_http_swarm_opt_set(m, "min", json_integer(min))
        || ngx_http_swarm_opt_set(m, "default",
                                  json_boolean(s && s[0]))
        || ngx_http_swarm_mwflow_types(m, "excludedcontenttypes", "excluded")
           != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_mwflow_types(m, "includedcontenttypes", "included")
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (json_array_size(json_object_get(m->def, "excluded"))
        && json_array_size(json_object_get(m->def, "included")))
    {
        return ngx_http_swarm_opt_error(m, "excludedContentTypes and "
                                        "includedContentTypes options are "
                                        "mutually exclusive");
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A list of content types, as their media types in lower case, with no
 * space and no parameters
 */

static int
ngx_http_swarm_mwflow_types(ngx_http_swarm_make_t *m, const char *option,
    const char *key)
{
    char         type[128];
    size_t       i, n;
    json_t      *list, *out, *v;
    const char  *s, *p;

    s = ngx_http_swarm_opt_take(m, option);

    list = ngx_http_swarm_opt_list(s ? s : "");
    out = json_array();

    if (list == NULL || out == NULL) {
        json_decref(list);
        json_decref(out);
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(list, i, v) {
        n = 0;

        for (p = json_string_value(v); *p && *p != ';'; p++) {
            if (*p == ' ' || *p == '\t') {
                continue;
            }

            if (n == sizeof(type) - 1 || (unsigned char) *p < 0x20
                || *p == 0x7f || *p == '"')
            {
                json_decref(list);
                json_decref(out);
                return ngx_http_swarm_opt_error(m, "%s: invalid content type",
                                                option);
            }

            type[n++] = (*p >= 'A' && *p <= 'Z') ? (char) (*p | 0x20) : *p;
        }

        type[n] = '\0';

        if (n && json_array_append_new(out, json_string(type)) != 0) {
            json_decref(list);
            json_decref(out);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    json_decref(list);

    return ngx_http_swarm_opt_set(m, key, out) ? NGX_HTTP_SWARM_FAILED
                                              : NGX_HTTP_SWARM_DONE;
}
