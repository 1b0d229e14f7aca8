
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * A middleware being made (ngx_http_swarm_make_t): its options taken as
 * booleans, numbers, durations, lists, regular expressions and
 * replacements, each checked as Traefik reads it, and the definition
 * written; the text that may go into a header checked.  Pure: jansson
 * and libc only.
 */


#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static double ngx_http_swarm_opt_us(const char *s);


/* an option's value, marked as looked at; NULL if not given */

const char *
ngx_http_swarm_opt_take(ngx_http_swarm_make_t *m, const char *option)
{
    char         key[96];
    json_t      *v;
    const char  *s;

    snprintf(key, sizeof(key), "%s.%s", m->type, option);

    v = json_object_get(m->raw, key);

    if (v == NULL) {
        return NULL;
    }

    (void) json_object_set_new(m->used, key, json_true());

    s = json_string_value(v);

    return s ? s : "";
}


/* Go's ParseBool of an option: 1, 0, or -1 (an error made) */

int
ngx_http_swarm_opt_bool(ngx_http_swarm_make_t *m, const char *option,
    const char *name)
{
    size_t       i;
    const char  *s;

    static const char  *yes[] = { "1", "t", "T", "TRUE", "true", "True" };
    static const char  *no[] = { "0", "f", "F", "FALSE", "false", "False",
                                 "" };

    s = ngx_http_swarm_opt_take(m, option);

    if (s == NULL) {
        return 0;
    }

    for (i = 0; i < 7; i++) {
        if (i < 6 && strcmp(s, yes[i]) == 0) {
            return 1;
        }

        if (strcmp(s, no[i]) == 0) {
            return 0;
        }
    }

    (void) ngx_http_swarm_opt_error(m, "%s: invalid boolean \"%.32s\"", name,
                                    s);

    return -1;
}


/*
 * A number in [min, max]: of an option (0 where not given), or of the
 * text "name" itself where option is NULL
 */

int
ngx_http_swarm_opt_number(ngx_http_swarm_make_t *m, const char *option,
    const char *name, long min, long max, long *n)
{
    char        *end;
    const char  *s;

    *n = 0;

    if (option == NULL) {
        s = name;

    } else {
        s = ngx_http_swarm_opt_take(m, option);

        if (s == NULL || s[0] == '\0') {
            return NGX_HTTP_SWARM_DONE;
        }
    }

    errno = 0;
    *n = strtol(s, &end, 10);

    if (errno || end == s || *end != '\0' || *n < min || *n > max
        || !(s[0] == '-' || (s[0] >= '0' && s[0] <= '9')))
    {
        if (option) {
            return ngx_http_swarm_opt_error(m, "%s: invalid number \"%.32s\"",
                                            name, s);
        }

        return NGX_HTTP_SWARM_FAILED;
    }

    return NGX_HTTP_SWARM_DONE;
}


/* a list "a, b,c" as Traefik's labels give one: trimmed, none empty */

json_t *
ngx_http_swarm_opt_list(const char *s)
{
    json_t      *list;
    const char  *p, *end, *e;

    list = json_array();

    for (p = s; list && p && *p; p = *end ? end + 1 : end) {
        end = strchr(p, ',');

        if (end == NULL) {
            end = p + strlen(p);
        }

        e = end;

        while (p < e && (*p == ' ' || *p == '\t')) {
            p++;
        }

        while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
            e--;
        }

        if (e > p
            && json_array_append_new(list, json_stringn(p, e - p)) != 0)
        {
            json_decref(list);
            return NULL;
        }
    }

    return list;
}


/* a regular expression as a rule's: Go's syntax, and PCRE compiles it */

int
ngx_http_swarm_opt_regex(ngx_http_swarm_make_t *m, const char *re,
    const char *option)
{
    char  err[NGX_HTTP_SWARM_ERR_LEN];

    if (!ngx_http_swarm_opt_text(re)) {
        return ngx_http_swarm_opt_error(m, "%s: invalid value", option);
    }

    if (ngx_http_swarm_cond_re2(re, err, sizeof(err)) != NGX_HTTP_SWARM_DONE
        || (m->sel && m->sel->regex
            && m->sel->regex(re, 0, err, sizeof(err)) != NGX_HTTP_SWARM_DONE))
    {
        return ngx_http_swarm_opt_error(m, "%s: %s", option, err);
    }

    return NGX_HTTP_SWARM_DONE;
}


/*
 * A replacement: no CR, LF or NUL (it may become a header), and groups
 * by number only
 */

int
ngx_http_swarm_opt_replacement(ngx_http_swarm_make_t *m, const char *s,
    const char *option)
{
    const char  *p;

    if (!ngx_http_swarm_opt_text(s)) {
        return ngx_http_swarm_opt_error(m, "%s: invalid value", option);
    }

    for (p = strchr(s, '$'); p; p = strchr(p, '$')) {
        p++;

        if (*p == '$') {
            p++;
            continue;
        }

        if (*p == '{') {
            p++;
        }

        if (isalpha((unsigned char) *p) || *p == '_') {
            return ngx_http_swarm_opt_error(m, "%s: named groups are not "
                                            "supported", option);
        }

        while (*p >= '0' && *p <= '9') {
            p++;
        }

        if (isalpha((unsigned char) *p) || *p == '_') {
            return ngx_http_swarm_opt_error(m, "%s: \"$\" and a number "
                                            "followed by a letter, which Go "
                                            "reads as a name; write ${N}",
                                            option);
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* text that may go into a header: printable, no CR, LF or NUL */

int
ngx_http_swarm_opt_text(const char *s)
{
    const unsigned char  *p;

    if (s == NULL) {
        return 0;
    }

    for (p = (const unsigned char *) s; *p; p++) {
        if (*p < 0x20 && *p != '\t') {
            return 0;
        }

        if (*p == 0x7f) {
            return 0;
        }
    }

    return 1;
}


/* an HTTP token (RFC 9110): a header name, a scheme */

int
ngx_http_swarm_opt_token(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return 0;
    }

    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789!#$%&'*+-.^_`|~")
           == strlen(s);
}


int
ngx_http_swarm_opt_set(ngx_http_swarm_make_t *m, const char *key,
    json_t *value)
{
    if (value == NULL || json_object_set_new(m->def, key, value) != 0) {
        m->err[0] = '\0';
        return -1;
    }

    return 0;
}


int
ngx_http_swarm_opt_error(ngx_http_swarm_make_t *m, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(m->err, m->errlen, fmt, args);
    va_end(args);

    return NGX_HTTP_SWARM_FAILED;
}


/*
 * A duration as Traefik reads one (ptypes.Duration): seconds, or Go's
 * "1h30m", "1.5s", "500ms", "10us"; in µs, 0 where not given
 */

int
ngx_http_swarm_opt_duration(ngx_http_swarm_make_t *m, const char *option,
    double *us)
{
    const char  *s;

    s = ngx_http_swarm_opt_take(m, option);

    *us = (s && s[0]) ? ngx_http_swarm_opt_us(s) : 0;

    if (*us < 0) {
        return ngx_http_swarm_opt_error(m, "%s: invalid duration \"%.32s\"",
                                        option, s);
    }

    return NGX_HTTP_SWARM_DONE;
}


/* a duration in µs, -1 if invalid */

static double
ngx_http_swarm_opt_us(const char *s)
{
    char          *end;
    double         v, total;
    size_t         i;
    const char    *p;

    static const struct {
        const char  *unit;
        double       us;
    }  units[] = {
        { "ns", 0.001 }, { "us", 1 }, { "\xc2\xb5s", 1 }, { "ms", 1000 },
        { "h", 3600e6 }, { "m", 60e6 }, { "s", 1e6 }, { NULL, 0 }
    };

    v = strtod(s, &end);

    if (end != s && *end == '\0' && s[0] >= '0' && s[0] <= '9') {
        return v * 1e6;
    }

    total = 0;

    for (p = s; *p; ) {
        if (!(*p >= '0' && *p <= '9') && *p != '.') {
            return -1;
        }

        v = strtod(p, &end);

        if (end == p) {
            return -1;
        }

        for (i = 0; units[i].unit; i++) {
            if (strncmp(end, units[i].unit, strlen(units[i].unit)) == 0) {
                break;
            }
        }

        if (units[i].unit == NULL) {
            return -1;
        }

        total += v * units[i].us;
        p = end + strlen(units[i].unit);
    }

    return (p == s) ? -1 : total;
}
