
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Traefik's defaultRule templates (providers.swarm.defaultRule), the few
 * actions of Go's text/template that stacks use, made for a service, and
 * Traefik's provider.Normalize() of a name.  Pure: jansson and libc only.
 */


#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_KEY_LEN        256


static size_t ngx_http_swarm_template_action(const char *a, size_t len,
    const char **tok, size_t *tlen);


/*
 * Traefik's defaultRule template, made for a service (its labels NULL
 * to check the template alone): text, and the actions "{{ .Name }}" and
 * "{{ normalize .Name }}" (both the service's name, normalized, as
 * Traefik hands its templates the name) and "{{ index .Labels "KEY" }}"
 * (KEY in "" or ``: the label, "" where there is none, as Go's index of
 * a map).  Written into buf as far as size holds (terminated where size
 * is not 0); its length, or -1 for a template with anything else, with
 * what in err.
 */

long
ngx_http_swarm_template_make(const char *tpl, const char *name,
    json_t *labels, char *buf, size_t size, char *err, size_t errlen)
{
    size_t       len, n, tlen[4];
    const char  *p, *end, *v, *tok[4];
    char         norm[NGX_HTTP_SWARM_NAME_LEN], key[NGX_HTTP_SWARM_KEY_LEN];

    ngx_http_swarm_template_normalize(name, norm, sizeof(norm));

    len = 0;

    for (p = tpl; *p; p = end + 2) {
        end = strstr(p, "{{");

        if (end == NULL) {
            ngx_http_swarm_text_put(buf, size, &len, p, strlen(p));
            break;
        }

        ngx_http_swarm_text_put(buf, size, &len, p, end - p);

        p = end + 2;
        end = strstr(p, "}}");

        if (end == NULL) {
            snprintf(err, errlen, "an action \"{{\" not closed");
            return -1;
        }

        n = ngx_http_swarm_template_action(p, end - p, tok, tlen);

        if ((n == 1 && tlen[0] == 5 && memcmp(tok[0], ".Name", 5) == 0)
            || (n == 2 && tlen[0] == 9 && memcmp(tok[0], "normalize", 9) == 0
                && tlen[1] == 5 && memcmp(tok[1], ".Name", 5) == 0))
        {
            ngx_http_swarm_text_put(buf, size, &len, norm, strlen(norm));
            continue;
        }

        if (n == 3 && tlen[0] == 5 && memcmp(tok[0], "index", 5) == 0
            && tlen[1] == 7 && memcmp(tok[1], ".Labels", 7) == 0
            && tlen[2] >= 2 && tlen[2] < sizeof(key)
            && (tok[2][0] == '"' || tok[2][0] == '`')
            && tok[2][tlen[2] - 1] == tok[2][0]
            && memchr(tok[2] + 1, '\\', tlen[2] - 2) == NULL)
        {
            memcpy(key, tok[2] + 1, tlen[2] - 2);
            key[tlen[2] - 2] = '\0';

            v = labels ? ngx_http_swarm_text_json_string(labels, key) : NULL;

            if (v) {
                ngx_http_swarm_text_put(buf, size, &len, v, strlen(v));
            }

            continue;
        }

        snprintf(err, errlen, "the action \"{{%.*s}}\" is not one of "
                 "\"{{ .Name }}\", \"{{ normalize .Name }}\" and "
                 "\"{{ index .Labels \"KEY\" }}\"",
                 (int) ngx_http_swarm_min((size_t) (end - p), 64), p);
        return -1;
    }

    if (size) {
        buf[len < size ? len : size - 1] = '\0';
    }

    return (long) len;
}


/*
 * The words of an action, a quoted one whole, up to 4 (a fifth counts,
 * unread): how many
 */

static size_t
ngx_http_swarm_template_action(const char *a, size_t len, const char **tok,
    size_t *tlen)
{
    char         q;
    size_t       n;
    const char  *p, *end, *start;

    end = a + len;

    for (p = a, n = 0; p < end; n++) {
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == end) {
            break;
        }

        start = p;

        if (*p == '"' || *p == '`') {
            for (q = *p++; p < end && *p != q; p++) {
                /* void */
            }

            p += (p < end);

        } else {
            while (p < end && *p != ' ' && *p != '\t') {
                p++;
            }
        }

        if (n == 4) {
            return 5;
        }

        tok[n] = start;
        tlen[n] = p - start;
    }

    return n;
}


/*
 * A name as Traefik's provider.Normalize() makes it: its runs of letters
 * and digits joined by "-" ("mystack_web" is "mystack-web"); Docker's
 * names are ASCII
 */

void
ngx_http_swarm_template_normalize(const char *s, char *buf, size_t size)
{
    size_t  len;
    int     sep;

    len = 0;
    sep = 0;

    for ( /* void */ ; *s && len + 2 < size; s++) {
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')
              || (*s >= '0' && *s <= '9')))
        {
            sep = (len > 0);
            continue;
        }

        if (sep) {
            buf[len++] = '-';
            sep = 0;
        }

        buf[len++] = *s;
    }

    buf[len] = '\0';
}
