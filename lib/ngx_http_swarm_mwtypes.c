
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The makers of the middleware types run here, one a type: each takes
 * its options (ngx_http_swarm_opt.c), checks them as Traefik would
 * (pkg/config/dynamic/middlewares.go, pkg/middlewares), and writes the
 * definition the workers run.  What a maker leaves untaken is an option
 * not run here.  Pure: jansson and libc only.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static int ngx_http_swarm_mwtypes_replace(ngx_http_swarm_make_t *m);
static int ngx_http_swarm_mwtypes_users(ngx_http_swarm_make_t *m,
    json_t *users, const char *list, const char *what);
static int ngx_http_swarm_mwtypes_pairs(ngx_http_swarm_make_t *m,
    const char *option, json_t *out);


/* redirectscheme: scheme, port, permanent (pkg/middlewares/redirect) */

int
ngx_http_swarm_mwtypes_redirectscheme(ngx_http_swarm_make_t *m)
{
    long         n;
    const char  *scheme, *port;
    int          permanent;

    scheme = ngx_http_swarm_opt_take(m, "scheme");
    port = ngx_http_swarm_opt_take(m, "port");

    if (scheme == NULL || scheme[0] == '\0') {
        return ngx_http_swarm_opt_error(m, "you must provide a target scheme");
    }

    if (!ngx_http_swarm_opt_token(scheme)) {
        return ngx_http_swarm_opt_error(m, "invalid scheme \"%.64s\"",
                                        scheme);
    }

    if (port && port[0]
        && (ngx_http_swarm_opt_number(m, NULL, port, 1, 65535, &n)
            != NGX_HTTP_SWARM_DONE))
    {
        return ngx_http_swarm_opt_error(m, "invalid port \"%.64s\"", port);
    }

    permanent = ngx_http_swarm_opt_bool(m, "permanent", "permanent");

    if (permanent < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    /* as Traefik: no port where it is the scheme's own */

    if (port && ((strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0)
                 || (strcmp(scheme, "https") == 0
                     && strcmp(port, "443") == 0)))
    {
        port = "";
    }

    return ngx_http_swarm_opt_set(m, "scheme", json_string(scheme))
           || ngx_http_swarm_opt_set(m, "port", json_string(port ? port : ""))
           || ngx_http_swarm_opt_set(m, "permanent", json_boolean(permanent))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* redirectregex: regex, replacement, permanent */

int
ngx_http_swarm_mwtypes_redirectregex(ngx_http_swarm_make_t *m)
{
    int  permanent;

    if (ngx_http_swarm_mwtypes_replace(m) != NGX_HTTP_SWARM_DONE) {
        return NGX_HTTP_SWARM_FAILED;
    }

    permanent = ngx_http_swarm_opt_bool(m, "permanent", "permanent");

    if (permanent < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "permanent", json_boolean(permanent))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* regex and replacement, of redirectregex and replacepathregex */

static int
ngx_http_swarm_mwtypes_replace(ngx_http_swarm_make_t *m)
{
    const char  *re, *repl;

    re = ngx_http_swarm_opt_take(m, "regex");
    repl = ngx_http_swarm_opt_take(m, "replacement");

    if (ngx_http_swarm_opt_regex(m, re ? re : "", "regex")
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_replacement(m, repl ? repl : "", "replacement")
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "regex", json_string(re ? re : ""))
           || ngx_http_swarm_opt_set(m, "replacement",
                                     json_string(repl ? repl : ""))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/*
 * basicauth: users ("name:hash,..."), usersfile (read now, as the labels
 * change: never as a request comes), realm, removeheader, headerfield.
 * Hashes as htpasswd makes them: bcrypt, apr1, SHA1, MD5 and SHA crypt.
 */

int
ngx_http_swarm_mwtypes_basicauth(ngx_http_swarm_make_t *m)
{
    int          remove;
    long         size;
    FILE        *f;
    char        *text, *line, *next;
    json_t      *users;
    const char  *list, *file, *realm, *field;

    list = ngx_http_swarm_opt_take(m, "users");
    file = ngx_http_swarm_opt_take(m, "usersfile");
    realm = ngx_http_swarm_opt_take(m, "realm");
    field = ngx_http_swarm_opt_take(m, "headerfield");

    users = json_array();
    if (users == NULL || ngx_http_swarm_opt_set(m, "users", users) != 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (file && file[0]) {
        f = fopen(file, "r");
        text = NULL;
        size = -1;

        if (f && fseek(f, 0, SEEK_END) == 0) {
            size = ftell(f);
        }

        if (size >= 0 && size <= 1048576 && fseek(f, 0, SEEK_SET) == 0) {
            text = malloc(size + 1);

            if (text && fread(text, 1, size, f) == (size_t) size) {
                text[size] = '\0';

            } else {
                free(text);
                text = NULL;
            }
        }

        if (f) {
            fclose(f);
        }

        if (text == NULL) {
            return ngx_http_swarm_opt_error(m, "usersfile \"%.128s\" cannot "
                                            "be read", file);
        }

        /* a line a user, blank lines and "#" comments skipped */

        for (line = text; line; line = next) {
            next = strchr(line, '\n');

            if (next) {
                *next++ = '\0';
            }

            while (*line == ' ' || *line == '\t' || *line == '\r') {
                line++;
            }

            size = (long) strlen(line);

            while (size && strchr(" \t\r", line[size - 1])) {
                line[--size] = '\0';
            }

            if (line[0] == '\0' || line[0] == '#') {
                continue;
            }

            if (ngx_http_swarm_mwtypes_users(m, users, line, "usersfile")
                != NGX_HTTP_SWARM_DONE)
            {
                free(text);
                return NGX_HTTP_SWARM_FAILED;
            }
        }

        free(text);
    }

    if (list && list[0]
        && ngx_http_swarm_mwtypes_users(m, users, list, "users")
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (json_array_size(users) == 0) {
        return ngx_http_swarm_opt_error(m, "no users");
    }

    if (realm && (realm[0] == '\0' || !ngx_http_swarm_opt_text(realm)
                  || strchr(realm, '"') || strchr(realm, '\\')))
    {
        return ngx_http_swarm_opt_error(m, "invalid realm");
    }

    if (field && field[0] && !ngx_http_swarm_opt_token(field)) {
        return ngx_http_swarm_opt_error(m, "invalid headerfield");
    }

    remove = ngx_http_swarm_opt_bool(m, "removeheader", "removeheader");

    if (remove < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "realm",
                                  json_string(realm ? realm : "traefik"))
           || ngx_http_swarm_opt_set(m, "headerfield",
                                     json_string(field ? field : ""))
           || ngx_http_swarm_opt_set(m, "removeheader", json_boolean(remove))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* users "name:hash" separated by ",", each hash of a kind run here */

static int
ngx_http_swarm_mwtypes_users(ngx_http_swarm_make_t *m, json_t *users,
    const char *list, const char *what)
{
    size_t       i, hlen;
    json_t      *names, *v;
    const char  *s, *colon, *hash;

    names = ngx_http_swarm_opt_list(list);
    if (names == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(names, i, v) {
        s = json_string_value(v);
        colon = strchr(s, ':');

        if (colon == NULL || colon == s || strchr(colon + 1, ':')
            || colon - s >= NGX_HTTP_SWARM_NAME_LEN)
        {
            (void) ngx_http_swarm_opt_error(m, "%s: entry %zu is not "
                                            "\"name:hash\"", what, i + 1);
            json_decref(names);
            return NGX_HTTP_SWARM_FAILED;
        }

        hash = colon + 1;
        hlen = strlen(hash);

        if (!(strncmp(hash, "$2y$", 4) == 0 || strncmp(hash, "$2a$", 4) == 0
              || strncmp(hash, "$2b$", 4) == 0
              || strncmp(hash, "$apr1$", 6) == 0
              || strncmp(hash, "{SHA}", 5) == 0
              || strncmp(hash, "$1$", 3) == 0
              || strncmp(hash, "$5$", 3) == 0
              || strncmp(hash, "$6$", 3) == 0
              || (hlen == 13 && strspn(hash, "abcdefghijklmnopqrstuvwxyz"
                                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789./")
                                == 13)))
        {
            (void) ngx_http_swarm_opt_error(m, "%s: the hash of user "
                                            "\"%.*s\" is of no kind htpasswd "
                                            "makes", what, (int) (colon - s),
                                            s);
            json_decref(names);
            return NGX_HTTP_SWARM_FAILED;
        }

        if (json_array_append_new(users,
                                  json_pack("[s#s]", s, (int) (colon - s),
                                            hash))
            != 0)
        {
            json_decref(names);
            m->err[0] = '\0';
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    json_decref(names);

    return NGX_HTTP_SWARM_DONE;
}


/*
 * headers: custom request and response headers ("" removes one), the
 * security headers, and CORS (pkg/middlewares/headers): each header a
 * [name, value] pair, as the workers add them.
 */

int
ngx_http_swarm_mwtypes_headers(ngx_http_swarm_make_t *m)
{
    int          b, sub, pre;
    long         n;
    char         sts[128];
    json_t      *req, *resp, *sec, *cors, *list;
    size_t       i;
    const char  *v;

    static const struct {
        const char  *option;
        const char  *header;
    }  plain[] = {
        { "customframeoptionsvalue", "X-Frame-Options" },
        { "contentsecuritypolicy", "Content-Security-Policy" },
        { "contentsecuritypolicyreportonly",
          "Content-Security-Policy-Report-Only" },
        { "referrerpolicy", "Referrer-Policy" },
        { "permissionspolicy", "Permissions-Policy" },
        { "custombrowserxssvalue", "X-XSS-Protection" },
        { NULL, NULL }
    };

    static const char  *lists[] = {
        "accesscontrolallowheaders", "accesscontrolallowmethods",
        "accesscontrolalloworiginlist", "accesscontrolalloworiginlistregex",
        "accesscontrolexposeheaders", NULL
    };

    req = json_array();
    resp = json_array();
    sec = json_array();
    cors = json_object();

    if (ngx_http_swarm_opt_set(m, "request", req)
        || ngx_http_swarm_opt_set(m, "response", resp)
        || ngx_http_swarm_opt_set(m, "secure", sec)
        || ngx_http_swarm_opt_set(m, "cors", cors))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (ngx_http_swarm_mwtypes_pairs(m, "customrequestheaders", req)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_mwtypes_pairs(m, "customresponseheaders", resp)
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    /* Strict-Transport-Security: over TLS, or always with forceSTSHeader */

    if (ngx_http_swarm_opt_number(m, "stsseconds", "stsseconds", 0,
                                  0x7fffffffL, &n)
        != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    sub = ngx_http_swarm_opt_bool(m, "stsincludesubdomains",
                                  "stsincludesubdomains");
    pre = ngx_http_swarm_opt_bool(m, "stspreload", "stspreload");

    if (sub < 0 || pre < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    sts[0] = '\0';

    if (n > 0) {
        snprintf(sts, sizeof(sts), "max-age=%ld%s%s", n,
                 sub ? "; includeSubDomains" : "", pre ? "; preload" : "");
    }

    b = ngx_http_swarm_opt_bool(m, "forcestsheader", "forcestsheader");

    if (b < 0
        || ngx_http_swarm_opt_set(m, "sts", sts[0] ? json_string(sts)
                                                  : json_null())
        || ngx_http_swarm_opt_set(m, "forcests", json_boolean(b)))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    b = ngx_http_swarm_opt_bool(m, "framedeny", "framedeny");

    if (b < 0
        || (b && json_array_append_new(sec, json_pack("[ss]",
                                                      "X-Frame-Options",
                                                      "DENY"))))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    b = ngx_http_swarm_opt_bool(m, "contenttypenosniff",
                                "contenttypenosniff");

    if (b < 0
        || (b && json_array_append_new(sec,
                                       json_pack("[ss]",
                                                 "X-Content-Type-Options",
                                                 "nosniff"))))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    b = ngx_http_swarm_opt_bool(m, "browserxssfilter", "browserxssfilter");

    if (b < 0
        || (b && json_object_get(m->raw, "headers.custombrowserxssvalue")
                 == NULL
            && json_array_append_new(sec, json_pack("[ss]",
                                                    "X-XSS-Protection",
                                                    "1; mode=block"))))
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    for (i = 0; plain[i].option; i++) {
        v = ngx_http_swarm_opt_take(m, plain[i].option);

        if (v == NULL || v[0] == '\0') {
            continue;
        }

        if (!ngx_http_swarm_opt_text(v)) {
            return ngx_http_swarm_opt_error(m, "%s: invalid value",
                                            plain[i].option);
        }

        if (json_array_append_new(sec, json_pack("[ss]", plain[i].header, v))
            != 0)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    /* CORS */

    for (i = 0; lists[i]; i++) {
        v = ngx_http_swarm_opt_take(m, lists[i]);

        if (v == NULL) {
            continue;
        }

        if (!ngx_http_swarm_opt_text(v)) {
            return ngx_http_swarm_opt_error(m, "%s: invalid value", lists[i]);
        }

        list = ngx_http_swarm_opt_list(v);

        if (list == NULL
            || json_object_set_new(cors, lists[i] + 13, list) != 0)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    list = json_object_get(cors, "alloworiginlistregex");

    json_array_foreach(list, i, req) {
        if (ngx_http_swarm_opt_regex(m, json_string_value(req),
                                     "accesscontrolalloworiginlistregex")
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    b = ngx_http_swarm_opt_bool(m, "accesscontrolallowcredentials",
                                "accesscontrolallowcredentials");

    if (b < 0 || json_object_set_new(cors, "allowcredentials",
                                     json_boolean(b)) != 0)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (json_object_get(m->raw, "headers.accesscontrolmaxage")) {
        if (ngx_http_swarm_opt_number(m, "accesscontrolmaxage",
                                      "accesscontrolmaxage", -1, 0x7fffffffL,
                                      &n)
            != NGX_HTTP_SWARM_DONE
            || json_object_set_new(cors, "maxage", json_integer(n)) != 0)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    b = ngx_http_swarm_opt_bool(m, "addvaryheader", "addvaryheader");

    if (b < 0 || json_object_set_new(cors, "addvaryheader", json_boolean(b))
                 != 0)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    /* CORS is handled where any of it is given, as in Traefik */

    if (json_object_size(cors) == 2
        && !json_is_true(json_object_get(cors, "allowcredentials"))
        && !json_is_true(json_object_get(cors, "addvaryheader")))
    {
        json_object_clear(cors);
    }

    /* isdevelopment only relaxes checks this module does not make */

    if (ngx_http_swarm_opt_bool(m, "isdevelopment", "isdevelopment") < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return NGX_HTTP_SWARM_DONE;
}


/* a header map of headers as [name, value] pairs, checked */

static int
ngx_http_swarm_mwtypes_pairs(ngx_http_swarm_make_t *m, const char *option,
    json_t *out)
{
    char         key[64];
    json_t      *map, *v;
    const char  *name, *value;

    snprintf(key, sizeof(key), "%s.%s", m->type, option);

    map = json_object_get(m->raw, key);

    if (map == NULL) {
        return NGX_HTTP_SWARM_DONE;
    }

    if (!json_is_object(map)) {
        return ngx_http_swarm_opt_error(m, "%s: a header name is missing",
                                        option);
    }

    json_object_foreach(map, name, v) {
        value = json_string_value(v);

        if (!ngx_http_swarm_opt_token(name)) {
            return ngx_http_swarm_opt_error(m, "%s: invalid header name "
                                            "\"%.64s\"", option, name);
        }

        if (value == NULL || !ngx_http_swarm_opt_text(value)) {
            return ngx_http_swarm_opt_error(m, "%s.%s: invalid value", option,
                                            name);
        }

        if (json_array_append_new(out, json_pack("[ss]", name, value)) != 0) {
            m->err[0] = '\0';
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    (void) json_object_set_new(m->used, key, json_true());

    return NGX_HTTP_SWARM_DONE;
}


/* stripprefix: prefixes, forceslash (Traefik's default: false) */

int
ngx_http_swarm_mwtypes_stripprefix(ngx_http_swarm_make_t *m)
{
    int          force;
    json_t      *list;
    size_t       i;
    json_t      *v;
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "prefixes");

    list = ngx_http_swarm_opt_list(s ? s : "");

    if (list == NULL || ngx_http_swarm_opt_set(m, "prefixes", list) != 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(list, i, v) {
        if (!ngx_http_swarm_opt_text(json_string_value(v))) {
            return ngx_http_swarm_opt_error(m, "prefixes: invalid value");
        }
    }

    force = ngx_http_swarm_opt_bool(m, "forceslash", "forceslash");

    if (force < 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    return ngx_http_swarm_opt_set(m, "forceslash", json_boolean(force))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* stripprefixregex: regex, a list */

int
ngx_http_swarm_mwtypes_stripprefixregex(ngx_http_swarm_make_t *m)
{
    json_t      *list, *v;
    size_t       i;
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "regex");

    list = ngx_http_swarm_opt_list(s ? s : "");

    if (list == NULL || ngx_http_swarm_opt_set(m, "regex", list) != 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(list, i, v) {
        if (ngx_http_swarm_opt_regex(m, json_string_value(v), "regex")
            != NGX_HTTP_SWARM_DONE)
        {
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* addprefix: prefix, which starts with "/" */

int
ngx_http_swarm_mwtypes_addprefix(ngx_http_swarm_make_t *m)
{
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "prefix");

    if (s == NULL || s[0] != '/' || !ngx_http_swarm_opt_text(s)) {
        return ngx_http_swarm_opt_error(m, "prefix: a path that starts with "
                                        "\"/\" is needed");
    }

    return ngx_http_swarm_opt_set(m, "prefix", json_string(s))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* replacepath: path */

int
ngx_http_swarm_mwtypes_replacepath(ngx_http_swarm_make_t *m)
{
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "path");

    if (s == NULL || !ngx_http_swarm_opt_text(s)) {
        return ngx_http_swarm_opt_error(m, "path: a path is needed");
    }

    return ngx_http_swarm_opt_set(m, "path", json_string(s))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* replacepathregex: regex, replacement */

int
ngx_http_swarm_mwtypes_replacepathregex(ngx_http_swarm_make_t *m)
{
    return ngx_http_swarm_mwtypes_replace(m);
}


/*
 * ipallowlist (and its old name ipwhitelist): sourcerange, the client
 * address as ipstrategy.depth or ipstrategy.excludedips pick it from
 * X-Forwarded-For, rejectstatuscode (403)
 */

int
ngx_http_swarm_mwtypes_ipallowlist(ngx_http_swarm_make_t *m)
{
    long         depth, status;
    json_t      *list, *excluded, *v;
    size_t       i;
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "sourcerange");

    list = ngx_http_swarm_opt_list(s ? s : "");

    if (list == NULL || ngx_http_swarm_opt_set(m, "sourcerange", list) != 0) {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (json_array_size(list) == 0) {
        return ngx_http_swarm_opt_error(m, "sourcerange is empty");
    }

    json_array_foreach(list, i, v) {
        if (!ngx_http_swarm_cond_address(json_string_value(v))) {
            return ngx_http_swarm_opt_error(m, "sourcerange: invalid address "
                                            "\"%.64s\"",
                                            json_string_value(v));
        }
    }

    s = ngx_http_swarm_opt_take(m, "ipstrategy.excludedips");

    excluded = ngx_http_swarm_opt_list(s ? s : "");

    if (excluded == NULL
        || ngx_http_swarm_opt_set(m, "excludedips", excluded) != 0)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(excluded, i, v) {
        if (!ngx_http_swarm_cond_address(json_string_value(v))) {
            return ngx_http_swarm_opt_error(m, "ipstrategy.excludedips: "
                                            "invalid address \"%.64s\"",
                                            json_string_value(v));
        }
    }

    if (ngx_http_swarm_opt_number(m, "ipstrategy.depth", "ipstrategy.depth",
                                  0, 1024, &depth)
        != NGX_HTTP_SWARM_DONE
        || ngx_http_swarm_opt_number(m, "rejectstatuscode", "rejectstatuscode",
                                     0, 599, &status)
           != NGX_HTTP_SWARM_DONE)
    {
        return NGX_HTTP_SWARM_FAILED;
    }

    if (status != 0 && status < 100) {
        return ngx_http_swarm_opt_error(m, "invalid rejectstatuscode");
    }

    /* an empty ipstrategy ("ipstrategy=") is its defaults */

    (void) ngx_http_swarm_opt_take(m, "ipstrategy");

    return ngx_http_swarm_opt_set(m, "depth", json_integer(depth))
           || ngx_http_swarm_opt_set(m, "status",
                                     json_integer(status ? status : 403))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}


/* chain: middlewares, resolved with the router's */

int
ngx_http_swarm_mwtypes_chain(ngx_http_swarm_make_t *m)
{
    const char  *s;

    s = ngx_http_swarm_opt_take(m, "middlewares");

    if (s == NULL || s[0] == '\0') {
        return ngx_http_swarm_opt_error(m, "middlewares is empty");
    }

    return ngx_http_swarm_opt_set(m, "middlewares", json_string(s))
           ? NGX_HTTP_SWARM_FAILED : NGX_HTTP_SWARM_DONE;
}
