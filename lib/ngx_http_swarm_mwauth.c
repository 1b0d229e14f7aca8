
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The maker of the forwardauth middleware: its address taken apart (a
 * service's name or an IP address, which worker 0 and the workers find
 * the tasks or the peer of), and the headers it copies each way, as
 * Traefik reads them.  Pure: jansson and libc only.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static json_t *ngx_http_swarm_mwauth_names(ngx_http_swarm_make_t *m,
    const char *option);


/*
 * forwardauth: address ("http://host[:port]/path[?query]": a service's
 * name or an IP address; https is not run here), trustforwardheader,
 * authresponseheaders, authresponseheadersregex, authrequestheaders,
 * preserverequestmethod, preservelocationheader, authsigninurl
 * (pkg/middlewares/auth/forward.go)
 */

int
ngx_http_swarm_mwauth_forwardauth(ngx_http_swarm_make_t *m)
{
    int          trust, method, preserve, v6;
    long         port;
    char         host[NGX_HTTP_SWARM_NAME_LEN], num[8];
    json_t      *response, *request;
    size_t       n;
    const char  *address, *p, *end, *path, *query, *re, *signin;

    address = ngx_http_swarm_opt_take(m, "address");

    if (address == NULL || address[0] == '\0') {
        return ngx_http_swarm_opt_error(m, "address is empty");
    }

    if (!ngx_http_swarm_opt_text(address) || strchr(address, ' ')) {
        return ngx_http_swarm_opt_error(m, "address: invalid value");
    }

    if (strncmp(address, "http://", 7) != 0) {
        return ngx_http_swarm_opt_error(m, "address \"%.64s\": only http "
                                        "addresses are run here", address);
    }

    /* the host, a name or an address ("[...]" for IPv6), and the port */

    p = address + 7;
    end = p + strcspn(p, "/?#");

    if (memchr(p, '@', end - p) || memchr(p, '#', strlen(p))) {
        return ngx_http_swarm_opt_error(m, "address \"%.64s\": user "
                                        "information and fragments are not "
                                        "run here", address);
    }

    v6 = (*p == '[');

    if (v6) {
        n = strcspn(p, "]");

        if (p + n >= end) {
            return ngx_http_swarm_opt_error(m, "address: invalid host");
        }

        p++;
        n--;

    } else {
        n = strcspn(p, ":/?");
    }

    if (n == 0 || n >= sizeof(host)) {
        return ngx_http_swarm_opt_error(m, "address: invalid host");
    }

    memcpy(host, p, n);
    host[n] = '\0';

    p += n + v6;
    port = 80;

    if (*p == ':' && p + 1 < end) {
        n = end - p - 1;

        if (n >= sizeof(num)) {
            return ngx_http_swarm_opt_error(m, "address: invalid port");
        }

        memcpy(num, p + 1, n);
        num[n] = '\0';

        if (ngx_http_swarm_opt_number(m, NULL, num, 1, 65535, &port)
            != NGX_HTTP_SWARM_DONE)
        {
            return ngx_http_swarm_opt_error(m, "address: invalid port");
        }

    } else if (p != end && !(*p == ':' && p + 1 == end)) {
        return ngx_http_swarm_opt_error(m, "address: invalid host");
    }

    if (!ngx_http_swarm_cond_address(host)) {
        for (p = host; *p; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'
                  || *p == '_'))
            {
                return ngx_http_swarm_opt_error(m, "address: invalid host");
            }
        }
    }

    path = (*end == '/') ? end : "/";
    query = strchr(end, '?');

    n = query ? (size_t) (query - path) : strlen(path);

    if (*end != '/') {
        n = 1;
    }

    trust = ngx_http_swarm_opt_bool(m, "trustforwardheader",
                                    "trustforwardheader");
    method = ngx_http_swarm_opt_bool(m, "preserverequestmethod",
                                     "preserverequestmethod");
    preserve = ngx_http_swarm_opt_bool(m, "preservelocationheader",
                                       "preservelocationheader");

    if (trust < 0 || method < 0 || preserve < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    re = ngx_http_swarm_opt_take(m, "authresponseheadersregex");

    if (re && re[0]
        && ngx_http_swarm_opt_regex(m, re, "authresponseheadersregex")
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    signin = ngx_http_swarm_opt_take(m, "authsigninurl");

    if (signin && (!ngx_http_swarm_opt_text(signin) || strchr(signin, ' ')))
    {
        return ngx_http_swarm_opt_error(m, "authsigninurl: invalid value");
    }

    response = ngx_http_swarm_mwauth_names(m, "authresponseheaders");
    request = ngx_http_swarm_mwauth_names(m, "authrequestheaders");

    if (response == NULL || request == NULL) {
        json_decref(response);
        json_decref(request);
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "host", json_string(host))
           || ngx_http_swarm_opt_set(m, "ip",
                  json_boolean(ngx_http_swarm_cond_address(host)))
           || ngx_http_swarm_opt_set(m, "port", json_integer(port))
           || ngx_http_swarm_opt_set(m, "path", json_stringn(path, n))
           || ngx_http_swarm_opt_set(m, "args",
                                     json_string(query ? query + 1 : ""))
           || ngx_http_swarm_opt_set(m, "trust", json_boolean(trust))
           || ngx_http_swarm_opt_set(m, "method", json_boolean(method))
           || ngx_http_swarm_opt_set(m, "preserve", json_boolean(preserve))
           || ngx_http_swarm_opt_set(m, "signin",
                                     json_string(signin ? signin : ""))
           || ngx_http_swarm_opt_set(m, "regex", json_string(re ? re : ""))
           || ngx_http_swarm_opt_set(m, "response", response)
           || ngx_http_swarm_opt_set(m, "request", request)
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* a list of header names, each a token; NULL with an error made */

static json_t *
ngx_http_swarm_mwauth_names(ngx_http_swarm_make_t *m, const char *option)
{
    size_t       i;
    json_t      *list, *v;
    const char  *s;

    s = ngx_http_swarm_opt_take(m, option);

    list = ngx_http_swarm_opt_list(s ? s : "");
    if (list == NULL) {
        m->err[0] = '\0';
        return NULL;
    }

    json_array_foreach(list, i, v) {
        if (!ngx_http_swarm_opt_token(json_string_value(v))) {
            (void) ngx_http_swarm_opt_error(m, "%s: invalid header name "
                                            "\"%.64s\"", option,
                                            json_string_value(v));
            json_decref(list);
            return NULL;
        }
    }

    return list;
}
