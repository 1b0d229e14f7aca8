
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The makers of the middleware types that shape the traffic of a route:
 * ratelimit, inflightreq, retry, buffering, compress and errors.  As the other
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
static json_t *ngx_http_swarm_mwflow_codes(const char *s);


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


/*
 * errors: status (codes and ranges, "500-599,404"), service (a Traefik
 * service of the labels, which worker 0 finds the tasks of), query
 * ("/{status}.html": {status}, {originalStatus} and {url} replaced),
 * statusrewrites.RANGE=CODE, errorrequestheaders
 * (pkg/middlewares/customerrors)
 */

int
ngx_http_swarm_mwflow_errors(ngx_http_swarm_make_t *m)
{
    long         code;
    char         key[96];
    json_t      *status, *rewrites, *codes, *v, *list;
    size_t       i, len;
    const char  *s, *service, *query, *at;

    s = ngx_http_swarm_opt_take(m, "status");

    status = ngx_http_swarm_mwflow_codes(s ? s : "");
    if (status == NULL) {
        return ngx_http_swarm_opt_error(m, "status: invalid \"%.32s\"", s);
    }

    if (ngx_http_swarm_opt_set(m, "status", status)) {
        return NGX_HTTP_SWARM_FAILED;
    }

    service = ngx_http_swarm_opt_take(m, "service");

    if (service == NULL || service[0] == '\0') {
        return ngx_http_swarm_opt_error(m, "service is empty");
    }

    /* "name@swarm" or "@docker": the labels' service of that name */

    at = strchr(service, '@');
    len = at ? (size_t) (at - service) : strlen(service);

    if (len == 0 || len >= NGX_HTTP_SWARM_NAME_LEN
        || (at && strcmp(at, "@swarm") != 0 && strcmp(at, "@docker") != 0))
    {
        return ngx_http_swarm_opt_error(m, "service \"%.64s\" is none of "
                                        "the labels'", service);
    }

    query = ngx_http_swarm_opt_take(m, "query");

    if (query && (!ngx_http_swarm_opt_text(query) || strchr(query, ' ')
                  || strchr(query, '#')))
    {
        return ngx_http_swarm_opt_error(m, "query: invalid value");
    }

    /* statusrewrites.RANGE=CODE: the maps' keys are options of their own */

    rewrites = json_array();
    if (rewrites == NULL
        || ngx_http_swarm_opt_set(m, "rewrites", rewrites))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_object_foreach(m->raw, s, v) {
        if (strncmp(s, "errors.statusrewrites.", 22) != 0) {
            continue;
        }

        codes = ngx_http_swarm_mwflow_codes(s + 22);

        if (codes == NULL || json_array_size(codes) != 1
            || ngx_http_swarm_opt_number(m, NULL, json_string_value(v), 100,
                                         599, &code)
               != NGX_HTTP_SWARM_DONE)
        {
            json_decref(codes);
            return ngx_http_swarm_opt_error(m, "statusrewrites: invalid "
                                            "\"%.32s\"", s + 22);
        }

        list = json_array_get(codes, 0);

        if (json_array_append_new(list, json_integer(code)) != 0
            || json_array_append(rewrites, list) != 0)
        {
            json_decref(codes);
            return NGX_HTTP_SWARM_FAILED;
        }

        json_decref(codes);

        snprintf(key, sizeof(key), "%s", s);
        (void) json_object_set_new(m->used, key, json_true());
    }

    s = ngx_http_swarm_opt_take(m, "errorrequestheaders");

    list = ngx_http_swarm_opt_list(s ? s : "");
    if (list == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(list, i, v) {
        if (!ngx_http_swarm_opt_token(json_string_value(v))) {
            json_decref(list);
            return ngx_http_swarm_opt_error(m, "errorrequestheaders: "
                                            "invalid header name");
        }
    }

    return ngx_http_swarm_opt_set(m, "headers", list)
           || ngx_http_swarm_opt_set(m, "service",
                                     json_stringn(service, len))
           || ngx_http_swarm_opt_set(m, "query",
                                     json_string(query ? query : ""))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * Status codes as Traefik's errors reads them ("404,418,505-599"): an
 * array of [from, to], or NULL for a code not of 100 to 599
 */

static json_t *
ngx_http_swarm_mwflow_codes(const char *s)
{
    long         from, to;
    char        *end;
    json_t      *out;
    const char  *p;

    out = json_array();

    for (p = s; out && *p; p = (*end == ',') ? end + 1 : end) {
        while (*p == ' ') {
            p++;
        }

        from = strtol(p, &end, 10);
        to = from;

        if (end != p && *end == '-') {
            p = end + 1;
            to = strtol(p, &end, 10);
        }

        while (*end == ' ') {
            end++;
        }

        if (end == p || (*end != ',' && *end != '\0')
            || from < 100 || to > 599 || from > to
            || json_array_append_new(out, json_pack("[ii]", (int) from,
                                                    (int) to))
               != 0)
        {
            json_decref(out);
            return NULL;
        }
    }

    return out;
}
