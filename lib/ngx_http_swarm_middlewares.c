
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Traefik's middlewares, as labels (traefik.http.middlewares.NAME.TYPE.
 * OPTION=VALUE) and swarm_middleware give them: their options gathered
 * by name, each made into the definition the workers run (its type's
 * maker is ngx_http_swarm_mwtypes.c's), and a router's list of them
 * resolved, chains expanded, into the definitions it runs in order;
 * and Go's expansion of "$1" in a replacement, which the workers use.
 * A type this module does not run is an error that names it: a router
 * is never served without what it asked for.  Pure: jansson and libc
 * only.
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


/* a chain in a chain in ... at the most: deeper is taken for a cycle */
#define NGX_HTTP_SWARM_MW_DEPTH      8


typedef int (*ngx_http_swarm_mw_type_pt)(ngx_http_swarm_make_t *m);


static int ngx_http_swarm_mw_resolve(json_t *swarm, json_t *file,
    const char *list, const char *provider, json_t *out, unsigned depth,
    char *err, size_t errlen);


/* the types run here, and Traefik's others, refused by name */

static struct {
    const char                 *name;
    ngx_http_swarm_mw_type_pt   make;
} ngx_http_swarm_mw_types[] = {
    { "redirectscheme", ngx_http_swarm_mwtypes_redirectscheme },
    { "redirectregex", ngx_http_swarm_mwtypes_redirectregex },
    { "basicauth", ngx_http_swarm_mwtypes_basicauth },
    { "headers", ngx_http_swarm_mwtypes_headers },
    { "stripprefix", ngx_http_swarm_mwtypes_stripprefix },
    { "stripprefixregex", ngx_http_swarm_mwtypes_stripprefixregex },
    { "addprefix", ngx_http_swarm_mwtypes_addprefix },
    { "replacepath", ngx_http_swarm_mwtypes_replacepath },
    { "replacepathregex", ngx_http_swarm_mwtypes_replacepathregex },
    { "ipallowlist", ngx_http_swarm_mwtypes_ipallowlist },
    { "ipwhitelist", ngx_http_swarm_mwtypes_ipallowlist },
    { "chain", ngx_http_swarm_mwtypes_chain },
    { "forwardauth", ngx_http_swarm_mwauth_forwardauth },
    { "ratelimit", ngx_http_swarm_mwflow_ratelimit },
    { "inflightreq", ngx_http_swarm_mwflow_inflightreq },
    { "retry", ngx_http_swarm_mwflow_retry },
    { "buffering", ngx_http_swarm_mwflow_buffering },
    { "compress", ngx_http_swarm_mwflow_compress },
    { "errors", ngx_http_swarm_mwflow_errors },
    { NULL, NULL }
};


static const char  *ngx_http_swarm_mw_others[] = {
    "circuitbreaker", "grpcweb", "contenttype",
    "digestauth", "passtlsclientcert", "plugin", "encodedcharacters",
    NULL
};


/*
 * One label of a middleware, "NAME.TYPE.OPTION[.KEY]" as written after
 * "traefik.http.middlewares.", or as swarm_middleware gives it, into
 * defs: by the name in lower case, "type.option" in lower case to the
 * value, but for the header maps of headers, "type.option" to an object
 * of the header names as written; "NAME.TYPE" alone, the type with its
 * defaults.  NGX_HTTP_SWARM_NO for a key with no type,
 * NGX_HTTP_SWARM_FAILED when out of memory.
 */

int
ngx_http_swarm_middlewares_label(json_t *defs, const char *key,
    const char *value)
{
    char        *lkey, *dot, *opt, *sub;
    json_t      *def, *map, *v;
    size_t       i, len;
    const char  *okey;

    /* text that is no UTF-8 is no label (Docker's are JSON strings) */

    v = json_string(key);
    json_decref(v);

    if (v == NULL) {
        return NGX_HTTP_SWARM_NO;
    }

    v = json_string(value);
    json_decref(v);

    if (v == NULL) {
        return NGX_HTTP_SWARM_NO;
    }

    len = strlen(key);

    lkey = malloc(len + 1);
    if (lkey == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    for (i = 0; i <= len; i++) {
        lkey[i] = (char) tolower((unsigned char) key[i]);
    }

    dot = strchr(lkey, '.');
    opt = dot ? strchr(dot + 1, '.') : NULL;

    /* "NAME.TYPE" alone is the type with its defaults ("compress=true") */

    if (dot == NULL || dot == lkey || dot[1] == '\0'
        || (opt && opt[1] == '\0')
        || dot - lkey >= NGX_HTTP_SWARM_NAME_LEN)
    {
        free(lkey);
        return NGX_HTTP_SWARM_NO;
    }

    *dot = '\0';

    def = json_object_get(defs, lkey);

    if (def == NULL) {
        def = json_object();

        if (def == NULL || json_object_set_new(defs, lkey, def) != 0) {
            free(lkey);
            return NGX_HTTP_SWARM_FAILED;
        }
    }

    /* "type.option", and a map's key after it, as written */

    sub = NULL;

    if (strncmp(dot + 1, "headers.customrequestheaders.", 29) == 0
        || strncmp(dot + 1, "headers.customresponseheaders.", 30) == 0)
    {
        sub = strchr(opt + 1, '.');
    }

    if (sub) {
        *sub = '\0';
        okey = key + (sub + 1 - lkey);

        map = json_object_get(def, dot + 1);

        if (!json_is_object(map)) {
            map = json_object();

            if (map == NULL || json_object_set_new(def, dot + 1, map) != 0) {
                free(lkey);
                return NGX_HTTP_SWARM_FAILED;
            }
        }

        if (json_object_set_new(map, okey, json_string(value)) != 0) {
            free(lkey);
            return NGX_HTTP_SWARM_FAILED;
        }

        free(lkey);
        return NGX_HTTP_SWARM_YES;
    }

    if (json_object_set_new(def, dot + 1, json_string(value)) != 0) {
        free(lkey);
        return NGX_HTTP_SWARM_FAILED;
    }

    free(lkey);

    return NGX_HTTP_SWARM_YES;
}


/*
 * A middleware's definition, as the workers run it, from its labels
 * (an object of ngx_http_swarm_middlewares_label()): NULL with why in
 * err where it cannot be run as Traefik would (err "" when out of
 * memory).  Regular expressions are checked as the rules' are.
 */

json_t *
ngx_http_swarm_middlewares_make(json_t *raw,
    const ngx_http_swarm_selector_t *sel, char *err, size_t errlen)
{
    char                      type[NGX_HTTP_SWARM_NAME_LEN];
    size_t                    i, len;
    const char               *key, *dot;
    json_t                   *v;
    ngx_http_swarm_make_t  m;

    err[0] = '\0';
    type[0] = '\0';

    json_object_foreach(raw, key, v) {
        dot = strchr(key, '.');
        len = dot ? (size_t) (dot - key) : strlen(key);

        if (len >= sizeof(type)) {
            snprintf(err, errlen, "unknown middleware type \"%.64s\"", key);
            return NULL;
        }

        if (type[0] == '\0') {
            memcpy(type, key, len);
            type[len] = '\0';

        } else if (strncmp(type, key, len) != 0 || type[len] != '\0') {
            snprintf(err, errlen, "it has several types (\"%s\", "
                     "\"%.*s\")", type, (int) len, key);
            return NULL;
        }
    }

    for (i = 0; ngx_http_swarm_mw_types[i].name; i++) {
        if (strcmp(type, ngx_http_swarm_mw_types[i].name) == 0) {
            break;
        }
    }

    if (ngx_http_swarm_mw_types[i].name == NULL) {
        for (i = 0; ngx_http_swarm_mw_others[i]; i++) {
            if (strcmp(type, ngx_http_swarm_mw_others[i]) == 0) {
                snprintf(err, errlen, "middleware type \"%s\" is not "
                         "supported", type);
                return NULL;
            }
        }

        snprintf(err, errlen, "unknown middleware type \"%s\"", type);
        return NULL;
    }

    m.raw = raw;
    m.used = json_object();
    m.def = json_pack("{ss}", "type", type);
    m.type = ngx_http_swarm_mw_types[i].name;
    m.sel = sel;
    m.err = err;
    m.errlen = errlen;

    if (m.used == NULL || m.def == NULL) {
        goto failed;
    }

    if (ngx_http_swarm_mw_types[i].make(&m) != NGX_HTTP_SWARM_DONE) {
        goto failed;
    }

    /* what was not looked at is an option not run here */

    json_object_foreach(raw, key, v) {
        if (json_object_get(m.used, key) == NULL && strchr(key, '.')) {
            snprintf(err, errlen, "option \"%s\" is not supported", key);
            goto failed;
        }
    }

    json_decref(m.used);

    return m.def;

failed:

    json_decref(m.used);
    json_decref(m.def);

    return NULL;
}


/*
 * A router's middlewares ("a,b@file", as its label or swarm_middleware
 * names them) as the definitions it runs, in order, each with its name
 * ("a@swarm"), chains expanded: "swarm" the labels' (by name, an object
 * of definitions, or of {"error": why}), "file" swarm_middleware's.
 * NULL with why in err where one is missing, refused, or a chain
 * nests too deep (err "" when out of memory).
 */

json_t *
ngx_http_swarm_middlewares_resolve(json_t *swarm, json_t *file,
    const char *list, char *err, size_t errlen)
{
    json_t  *out;

    err[0] = '\0';

    out = json_array();
    if (out == NULL) {
        return NULL;
    }

    if (ngx_http_swarm_mw_resolve(swarm, file, list, "swarm", out, 0, err,
                                  errlen)
        != NGX_HTTP_SWARM_DONE)
    {
        json_decref(out);
        return NULL;
    }

    return out;
}


static int
ngx_http_swarm_mw_resolve(json_t *swarm, json_t *file, const char *list,
    const char *provider, json_t *out, unsigned depth, char *err,
    size_t errlen)
{
    char         name[NGX_HTTP_SWARM_NAME_LEN];
    char         full[2 * NGX_HTTP_SWARM_NAME_LEN];
    size_t       i, len, k;
    json_t      *names, *v, *def, *copy, *defs;
    const char  *s, *at, *prov, *e;

    names = ngx_http_swarm_opt_list(list);
    if (names == NULL) {
        return NGX_HTTP_SWARM_FAILED;
    }

    json_array_foreach(names, i, v) {
        s = json_string_value(v);
        at = strchr(s, '@');
        len = at ? (size_t) (at - s) : strlen(s);
        prov = at ? at + 1 : provider;

        if (len == 0 || len >= sizeof(name)) {
            snprintf(err, errlen, "invalid middleware name \"%.64s\"", s);
            goto failed;
        }

        for (k = 0; k < len; k++) {
            name[k] = (char) tolower((unsigned char) s[k]);
        }

        name[len] = '\0';

        if (strcmp(prov, "swarm") == 0 || strcmp(prov, "docker") == 0) {
            defs = swarm;
            prov = "swarm";

        } else if (strcmp(prov, "file") == 0) {
            defs = file;

        } else {
            snprintf(err, errlen, "middleware \"%.64s\": provider \"%.32s\" "
                     "is none of this module's (swarm, docker, file)", s,
                     prov);
            goto failed;
        }

        def = defs ? json_object_get(defs, name) : NULL;

        if (def == NULL) {
            snprintf(err, errlen, "middleware \"%s@%s\" does not exist",
                     name, prov);
            goto failed;
        }

        e = json_string_value(json_object_get(def, "error"));

        if (e) {
            snprintf(err, errlen, "middleware \"%s@%s\": %s", name, prov, e);
            goto failed;
        }

        snprintf(full, sizeof(full), "%s@%s", name, prov);

        s = json_string_value(json_object_get(def, "type"));

        if (s && strcmp(s, "chain") == 0) {
            if (depth >= NGX_HTTP_SWARM_MW_DEPTH) {
                snprintf(err, errlen, "chain \"%s\" nests over %d deep: a "
                         "chain that names itself?", full,
                         NGX_HTTP_SWARM_MW_DEPTH);
                goto failed;
            }

            s = json_string_value(json_object_get(def, "middlewares"));

            if (ngx_http_swarm_mw_resolve(swarm, file, s, prov, out,
                                          depth + 1, err, errlen)
                != NGX_HTTP_SWARM_DONE)
            {
                goto failed;
            }

            continue;
        }

        if (json_array_size(out) >= NGX_HTTP_SWARM_MIDDLEWARES_MAX) {
            snprintf(err, errlen, "over %d middlewares",
                     NGX_HTTP_SWARM_MIDDLEWARES_MAX);
            goto failed;
        }

        copy = json_copy(def);

        if (copy == NULL
            || json_object_set_new(copy, "name", json_string(full)) != 0
            || json_array_append_new(out, copy) != 0)
        {
            json_decref(copy);
            err[0] = '\0';
            goto failed;
        }
    }

    json_decref(names);

    return NGX_HTTP_SWARM_DONE;

failed:

    json_decref(names);

    return NGX_HTTP_SWARM_FAILED;
}


/*
 * Go's Regexp.Expand, as ReplaceAllString uses it: "$1" and "${1}" a
 * group (none, or one that did not take part: nothing), "$$" a "$"; a
 * name that is not a number was refused as the definition was made.
 * caps: the start and end of each group in subject, -1 for none.  The
 * length of the whole, of which size - 1 bytes at most are written.
 */

size_t
ngx_http_swarm_middlewares_expand(const char *repl, size_t rlen,
    const char *subject, const int *caps, size_t ncaps, char *buf,
    size_t size)
{
    size_t       i, n, len, g;
    const char  *p, *end, *name;

    len = 0;
    p = repl;
    end = repl + rlen;

    while (p < end) {
        if (*p != '$' || p + 1 == end) {
            if (len + 1 < size) {
                buf[len] = *p;
            }

            len++;
            p++;
            continue;
        }

        p++;

        if (*p == '$') {
            if (len + 1 < size) {
                buf[len] = '$';
            }

            len++;
            p++;
            continue;
        }

        if (*p == '{') {
            name = ++p;

            while (p < end && *p != '}') {
                p++;
            }

            n = p - name;
            p += (p < end);

        } else {
            name = p;

            while (p < end && (isalnum((unsigned char) *p) || *p == '_')) {
                p++;
            }

            n = p - name;
        }

        if (n == 0) {
            /* Go leaves a "$" that starts no name as it is */

            if (len + 1 < size) {
                buf[len] = '$';
            }

            len++;
            continue;
        }

        for (g = 0, i = 0; i < n && name[i] >= '0' && name[i] <= '9'; i++) {
            g = (g < 100000) ? g * 10 + (name[i] - '0') : g;
        }

        if (i < n || g >= ncaps || caps[2 * g] < 0) {
            continue;
        }

        for (i = (size_t) caps[2 * g]; i < (size_t) caps[2 * g + 1]; i++) {
            if (len + 1 < size) {
                buf[len] = subject[i];
            }

            len++;
        }
    }

    if (size) {
        buf[len < size ? len : size - 1] = '\0';
    }

    return len;
}


/*
 * A Traefik v1 frontend label that stands for a middleware (lkey in
 * lower case), as v2's middleware of that type: traefik.frontend.
 * whiteList.sourceRange, redirect.entryPoint (to https, or to http for
 * an entrypoint named so), redirect.regex and .replacement and
 * .permanent, auth.basic (.users, .usersFile, .removeHeader),
 * auth.headerField, and headers.* (customRequestHeaders and
 * customResponseHeaders as v1 writes them, "K:V||K2:V2").  They go into
 * raw by the names ngx_http_swarm_middlewares_v1_names() gives, of
 * "service" (a name with no ".").  NGX_HTTP_SWARM_NO for another label.
 */

int
ngx_http_swarm_middlewares_v1(json_t *raw, const char *service,
    const char *lkey, const char *value)
{
    int          rc;
    char         key[NGX_HTTP_SWARM_ERR_LEN], *sep;
    size_t       i, n;
    const char  *kind, *opt, *p, *colon, *end;

    static const char  *map[][3] = {
        { "whitelist.sourcerange", "whitelist", "ipallowlist.sourcerange" },
        { "whitelistsourcerange", "whitelist", "ipallowlist.sourcerange" },
        { "redirect.regex", "redirect", "redirectregex.regex" },
        { "redirect.replacement", "redirect", "redirectregex.replacement" },
        { "auth.basic", "auth", "basicauth.users" },
        { "auth.basic.users", "auth", "basicauth.users" },
        { "auth.basic.usersfile", "auth", "basicauth.usersfile" },
        { "auth.basic.removeheader", "auth", "basicauth.removeheader" },
        { "auth.headerfield", "auth", "basicauth.headerfield" },
        { NULL, NULL, NULL }
    };

    if (strncmp(lkey, "traefik.frontend.", 17) != 0) {
        return NGX_HTTP_SWARM_NO;
    }

    lkey += 17;
    kind = NULL;
    opt = NULL;

    for (i = 0; map[i][0]; i++) {
        if (strcmp(lkey, map[i][0]) == 0) {
            kind = map[i][1];
            opt = map[i][2];
        }
    }

    if (strcmp(lkey, "redirect.entrypoint") == 0) {
        snprintf(key, sizeof(key), "%s-v1-redirect.redirectscheme.scheme",
                 service);
        return ngx_http_swarm_middlewares_label(raw, key,
                                        strcasecmp(value, "http") == 0
                                        ? "http" : "https");
    }

    if (strcmp(lkey, "redirect.permanent") == 0) {

        /* of the redirect's type, once the others are known */

        snprintf(key, sizeof(key), "%s-v1-redirect", service);
        return json_object_set_new(raw, "", json_pack("{ss}", key, value))
               == 0 ? NGX_HTTP_SWARM_YES : NGX_HTTP_SWARM_FAILED;
    }

    if (kind) {
        snprintf(key, sizeof(key), "%s-v1-%s.%s", service, kind, opt);
        return ngx_http_swarm_middlewares_label(raw, key, value);
    }

    if (strncmp(lkey, "headers.", 8) != 0 || lkey[8] == '\0') {
        return NGX_HTTP_SWARM_NO;
    }

    if (strcmp(lkey + 8, "customrequestheaders") != 0
        && strcmp(lkey + 8, "customresponseheaders") != 0)
    {
        snprintf(key, sizeof(key), "%s-v1-headers.headers.%s", service,
                 lkey + 8);
        return ngx_http_swarm_middlewares_label(raw, key, value);
    }

    /* "K:V||K2:V2": a header each, its name as written */

    for (p = value; *p; p = *end ? end + 2 : end) {
        sep = strstr(p, "||");
        end = sep ? sep : p + strlen(p);
        colon = memchr(p, ':', end - p);

        if (colon == NULL) {
            snprintf(key, sizeof(key), "%s-v1-headers.headers.%s", service,
                     lkey + 8);
            return ngx_http_swarm_middlewares_label(raw, key, "");
        }

        n = snprintf(key, sizeof(key), "%s-v1-headers.headers.%s.%.*s",
                     service, lkey + 8, (int) (colon - p), p);

        if (n >= sizeof(key)) {
            return NGX_HTTP_SWARM_NO;
        }

        for (colon++; colon < end && *colon == ' '; colon++) { /* void */ }

        {
            char  v[NGX_HTTP_SWARM_ERR_LEN];

            snprintf(v, sizeof(v), "%.*s", (int) (end - colon), colon);

            rc = ngx_http_swarm_middlewares_label(raw, key, v);
        }

        if (rc != NGX_HTTP_SWARM_YES) {
            return rc;
        }
    }

    return NGX_HTTP_SWARM_YES;
}


/*
 * The middlewares of a service's v1 frontend, in Traefik 1.7's order
 * (server/server_middlewares.go): whitelist, redirect, headers, auth;
 * "" for none.  redirect.permanent is given to the redirect's type.
 */

int
ngx_http_swarm_middlewares_v1_names(json_t *raw, const char *service,
    char *buf, size_t size)
{
    size_t       i, len;
    char         name[NGX_HTTP_SWARM_ERR_LEN], lname[NGX_HTTP_SWARM_ERR_LEN];
    json_t      *def, *perm, *v;
    const char  *key, *type;

    static const char  *kinds[] = { "whitelist", "redirect", "headers",
                                    "auth", NULL };

    buf[0] = '\0';
    len = 0;

    perm = json_object_get(raw, "");

    for (i = 0; kinds[i]; i++) {
        snprintf(name, sizeof(name), "%s-v1-%s", service, kinds[i]);

        for (len = 0; name[len]; len++) {
            lname[len] = (char) tolower((unsigned char) name[len]);
        }

        lname[len] = '\0';

        def = json_object_get(raw, lname);

        if (def == NULL) {
            continue;
        }

        if (perm && strcmp(kinds[i], "redirect") == 0) {
            key = NULL;

            json_object_foreach(def, key, v) {
                break;
            }

            type = key ? strchr(key, '.') : NULL;

            if (key && type) {
                snprintf(lname, sizeof(lname), "%.*s.permanent",
                         (int) (type - key), key);

                if (json_object_set(def, lname, json_object_get(perm, name))
                    != 0)
                {
                    return NGX_HTTP_SWARM_FAILED;
                }
            }
        }

        len = strlen(buf);

        if (len + strlen(name) + 8 >= size) {
            return NGX_HTTP_SWARM_FAILED;
        }

        snprintf(buf + len, size - len, "%s%s@swarm", len ? "," : "",
                 name);
    }

    json_object_del(raw, "");

    return NGX_HTTP_SWARM_DONE;
}
