
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * libFuzzer target: any bytes as middleware labels, "NAME.TYPE.OPTION=
 * VALUE" separated by tabs or newlines (usersfile left out: no file is
 * read).  A definition made has a type this module runs, and no value
 * with a control character; a router naming every middleware either
 * resolves to at most NGX_HTTP_SWARM_MIDDLEWARES_MAX definitions, each
 * named and typed, or is refused with why.  A replacement expands into
 * a buffer of any size without overflowing it.
 */


#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *def);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          caps[6];
    char        *text, *line, *next, *eq, err[256], list[4096], buf[16];
    size_t       i, len;
    json_t      *raw, *defs, *def, *out, *v;
    const char  *name;

    text = malloc(size + 1);
    raw = json_object();
    defs = json_object();

    if (text == NULL || raw == NULL || defs == NULL) {
        abort();
    }

    memcpy(text, data, size);
    text[size] = '\0';

    for (line = text; line; line = next) {
        next = strpbrk(line, "\t\n");

        if (next) {
            *next++ = '\0';
        }

        eq = strchr(line, '=');

        if (eq == NULL || strcasestr(line, "usersfile")) {
            continue;
        }

        *eq = '\0';

        if (ngx_http_swarm_middlewares_label(raw, line, eq + 1)
            == NGX_HTTP_SWARM_FAILED)
        {
            abort();
        }
    }

    len = 0;
    list[0] = '\0';

    json_object_foreach(raw, name, v) {
        def = ngx_http_swarm_middlewares_make(v, NULL, err, sizeof(err));

        if (def == NULL) {
            if (err[0] == '\0') {
                abort();
            }

            def = json_pack("{ss}", "error", err);

        } else {
            check(def);
        }

        json_object_set_new(defs, name, def);

        if (len + strlen(name) + 2 < sizeof(list)) {
            len += snprintf(list + len, sizeof(list) - len, "%s%s",
                            len ? "," : "", name);
        }
    }

    out = ngx_http_swarm_middlewares_resolve(defs, defs, list, err,
                                             sizeof(err));

    if (out) {
        if (json_array_size(out) > NGX_HTTP_SWARM_MIDDLEWARES_MAX) {
            abort();
        }

        json_array_foreach(out, i, v) {
            if (!json_is_string(json_object_get(v, "name"))
                || !json_is_string(json_object_get(v, "type")))
            {
                abort();
            }
        }

        json_decref(out);

    } else if (err[0] == '\0') {
        abort();
    }

    /* the input as a replacement, and as its subject */

    caps[0] = 0;
    caps[1] = (int) (size < 8 ? size : 8);
    caps[2] = -1;
    caps[3] = -1;
    caps[4] = 0;
    caps[5] = (int) (size < 3 ? size : 3);

    for (i = 0; i < sizeof(buf); i++) {
        len = ngx_http_swarm_middlewares_expand((const char *) data, size,
                                                (const char *) data, caps,
                                                3, buf, i);
        if (i && strlen(buf) >= i) {
            abort();
        }

        (void) len;
    }

    json_decref(defs);
    json_decref(raw);
    free(text);

    return 0;
}


/* a definition made: a type run here, values fit for a header */

static void
check(json_t *def)
{
    size_t       i, k;
    json_t      *pair, *list;
    const char  *type, *s;

    static const char  *types[] = {
        "redirectscheme", "redirectregex", "basicauth", "headers",
        "stripprefix", "stripprefixregex", "addprefix", "replacepath",
        "replacepathregex", "ipallowlist", "ipwhitelist", "chain",
        "ratelimit", "inflightreq", "retry", "buffering", "compress",
        "forwardauth", "errors", NULL
    };
    static const char  *parts[] = { "host", "path", "args" };

    type = json_string_value(json_object_get(def, "type"));

    if (type == NULL) {
        abort();
    }

    for (i = 0; types[i] && strcmp(types[i], type) != 0; i++) {
        /* void */
    }

    if (types[i] == NULL) {
        abort();
    }

    list = json_object_get(def, "response");

    json_array_foreach(list, i, pair) {
        s = json_is_string(pair) ? json_string_value(pair)
                                 : json_string_value(json_array_get(pair, 1));

        if (s == NULL || strpbrk(s, "\r\n") != NULL) {
            abort();
        }
    }

    /* compress's media types: lower case, no space, no control */

    for (k = 0; k < 2; k++) {
        list = json_object_get(def, k ? "included" : "excluded");

        json_array_foreach(list, i, pair) {
            s = json_string_value(pair);

            if (s == NULL || s[0] == '\0' || strpbrk(s, " \t\r\n;") != NULL
                || strpbrk(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != NULL)
            {
                abort();
            }
        }
    }

    /* forwardauth's address, taken apart: text fit for a request line */

    for (k = 0; strcmp(type, "forwardauth") == 0 && k < 3; k++) {
        s = json_string_value(json_object_get(def, parts[k]));

        if (s && strpbrk(s, " \t\r\n") != NULL) {
            abort();
        }
    }

    s = json_string_value(json_object_get(def, "replacement"));

    if (s && strpbrk(s, "\r\n") != NULL) {
        abort();
    }
}
