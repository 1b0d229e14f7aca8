
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The values of a rule's conditions, checked as Traefik checks them
 * before it routes by them: regular expressions in the syntax of Go's
 * RE2, which the worker runs with nginx's PCRE (so an expression of
 * what PCRE has and RE2 does not, a backreference, say, is refused
 * as Traefik refuses it), Traefik v1 and v2 templates ("{name:regexp}",
 * gorilla/mux's) made into such expressions, and client addresses.
 * Pure: libc only.
 */


#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ngx_http_swarm_lib.h"


static const char *ngx_http_swarm_cond_group(const char *re, size_t i,
    size_t len);
static size_t ngx_http_swarm_cond_class(const char *re, size_t i,
    size_t len);
static int ngx_http_swarm_cond_error(char *err, size_t errlen,
    const char *what, const char *re);


static const char  *ngx_http_swarm_cond_names[] = {
    "Host", "Path", "PathPrefix", "HostRegexp", "PathRegexp", "Method",
    "Header", "HeaderRegexp", "Query", "QueryRegexp", "ClientIP"
};


/* the name of a condition's type, as Traefik v3 names its matcher */

const char *
ngx_http_swarm_cond_name(unsigned type)
{
    return type < NGX_HTTP_SWARM_COND_TYPES ? ngx_http_swarm_cond_names[type]
                                            : NULL;
}


/* the type of a condition by its name, -1 for none */

int
ngx_http_swarm_cond_type(const char *name)
{
    unsigned  i;

    for (i = 0; i < NGX_HTTP_SWARM_COND_TYPES; i++) {
        if (strcmp(name, ngx_http_swarm_cond_names[i]) == 0) {
            return (int) i;
        }
    }

    return -1;
}


/*
 * Whether re is a regular expression as Go's regexp package (RE2) takes
 * it: NGX_HTTP_SWARM_DONE, or NGX_HTTP_SWARM_FAILED with what of PCRE's
 * it uses that RE2 has not (backreferences, lookarounds, atomic groups,
 * possessive and repeated quantifiers, recursion, conditions, escapes
 * RE2 does not know).  What is malformed either way, PCRE finds.
 */

int
ngx_http_swarm_cond_re2(const char *re, char *err, size_t errlen)
{
    char         c;
    size_t       i, len;
    unsigned     quantified;
    const char  *what;

    len = strlen(re);
    quantified = 0;

    for (i = 0; i < len; i++) {
        c = re[i];

        if (c == '*' || c == '+' || c == '?') {
            if (quantified && !(c == '?' && quantified == 1)) {
                return ngx_http_swarm_cond_error(err, errlen,
                                                 c == '+'
                                                 ? "a possessive quantifier"
                                                 : "a repeated quantifier",
                                                 re);
            }

            quantified = (quantified == 0) ? 1 : 2;
            continue;
        }

        if (c == '{') {
            /* {n}, {n,}, {n,m}: a quantifier; else a literal "{" */

            what = re + i + 1;

            while (*what >= '0' && *what <= '9') {
                what++;
            }

            if (what > re + i + 1 && *what == ',') {
                what++;

                while (*what >= '0' && *what <= '9') {
                    what++;
                }
            }

            if (what > re + i + 1 && *what == '}') {
                if (quantified) {
                    return ngx_http_swarm_cond_error(err, errlen,
                                                     "a repeated quantifier",
                                                     re);
                }

                i = what - re;
                quantified = 1;
                continue;
            }
        }

        quantified = 0;

        if (c == '\\') {
            c = re[++i];

            if (c == 'Q') {
                what = strstr(re + i, "\\E");
                i = what ? (size_t) (what - re) + 1 : len;
                continue;
            }

            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                || (c >= '1' && c <= '9'))
            {
                if (c == '\0' || strchr("afnrtvAzbBdDsSwWpPx", c) == NULL) {
                    return ngx_http_swarm_cond_error(err, errlen,
                                                     (c >= '1' && c <= '9')
                                                     || c == 'g' || c == 'k'
                                                     ? "a backreference"
                                                     : "an escape RE2 has "
                                                       "not", re);
                }
            }

            continue;
        }

        if (c == '[') {
            i = ngx_http_swarm_cond_class(re, i, len);
            continue;
        }

        if (c == '(' && re[i + 1] == '?') {
            what = ngx_http_swarm_cond_group(re, i + 2, len);

            if (what) {
                return ngx_http_swarm_cond_error(err, errlen, what, re);
            }
        }
    }

    return NGX_HTTP_SWARM_DONE;
}


/* what "(?" at i - 2 starts, where RE2 has not the group; else NULL */

static const char *
ngx_http_swarm_cond_group(const char *re, size_t i, size_t len)
{
    switch (re[i]) {

    case '=':
    case '!':
        return "a lookahead";

    case '<':
        return (re[i + 1] == '=' || re[i + 1] == '!') ? "a lookbehind"
                                                      : NULL;

    case 'P':
        return (re[i + 1] == '<') ? NULL : "a group RE2 has not";

    case '>':
        return "an atomic group";

    case '(':
        return "a condition";
    }

    /* flags: (?i), (?i:...), (?-s) */

    for ( /* void */ ; i < len; i++) {
        if (re[i] == ')' || re[i] == ':') {
            return NULL;
        }

        if (strchr("imsU-", re[i]) == NULL) {
            return "a group RE2 has not";
        }
    }

    return NULL;
}


/* the end of a character class that starts at i */

static size_t
ngx_http_swarm_cond_class(const char *re, size_t i, size_t len)
{
    i++;

    if (i < len && re[i] == '^') {
        i++;
    }

    /* "]" first is a literal */

    if (i < len && re[i] == ']') {
        i++;
    }

    for ( /* void */ ; i < len && re[i] != ']'; i++) {
        if (re[i] == '\\') {
            i++;

        } else if (re[i] == '[' && re[i + 1] == ':') {
            while (i + 1 < len && !(re[i] == ':' && re[i + 1] == ']')) {
                i++;
            }

            i++;
        }
    }

    return i;
}


static int
ngx_http_swarm_cond_error(char *err, size_t errlen, const char *what,
    const char *re)
{
    if (errlen) {
        snprintf(err, errlen, "regular expression \"%.64s\" has %s, which "
                 "Go's RE2 refuses", re, what);
    }

    return NGX_HTTP_SWARM_FAILED;
}


/*
 * A Traefik v1 or v2 template (gorilla/mux's: text with "{name}" and
 * "{name:regexp}" in it) as a regular expression, into buf (size bytes,
 * terminated): "what" the template is of ('h' a host, 'p' a path, 'q' a
 * query value) gives what "{name}" matches: a label, a segment, any
 * text; the text between is literal; the whole is anchored at the start
 * and, but for a path prefix ("prefix"), at the end.  Returns
 * NGX_HTTP_SWARM_DONE, or NGX_HTTP_SWARM_FAILED with why in err.
 */

int
ngx_http_swarm_cond_template(const char *tpl, char what, unsigned prefix,
    char *buf, size_t size, char *err, size_t errlen)
{
    int          depth;
    size_t       len, i, start;
    const char  *colon, *dflt;

    dflt = (what == 'h') ? "[^.]+" : (what == 'p') ? "[^/]+" : ".*";

    len = 0;
    ngx_http_swarm_text_put(buf, size, &len, "^", 1);

    for (i = 0; tpl[i]; i++) {

        if (tpl[i] != '{') {
            if (tpl[i] == '}') {
                goto unbalanced;
            }

            if (strchr("\\.+*?()|[]{}^$", tpl[i])) {
                ngx_http_swarm_text_put(buf, size, &len, "\\", 1);
            }

            ngx_http_swarm_text_put(buf, size, &len, &tpl[i], 1);
            continue;
        }

        /* "{name:regexp}", braces balanced inside */

        start = i + 1;

        for (depth = 1, i++; tpl[i]; i++) {
            if (tpl[i] == '{') {
                depth++;

            } else if (tpl[i] == '}' && --depth == 0) {
                break;
            }
        }

        if (tpl[i] == '\0') {
            goto unbalanced;
        }

        colon = memchr(tpl + start, ':', i - start);

        ngx_http_swarm_text_put(buf, size, &len, "(?:", 3);

        if (colon) {
            if (colon + 1 == tpl + i) {
                goto empty;
            }

            ngx_http_swarm_text_put(buf, size, &len, colon + 1,
                                    tpl + i - colon - 1);

        } else {
            ngx_http_swarm_text_put(buf, size, &len, dflt, strlen(dflt));
        }

        ngx_http_swarm_text_put(buf, size, &len, ")", 1);
    }

    if (!prefix) {
        ngx_http_swarm_text_put(buf, size, &len, "$", 1);
    }

    if (size == 0 || len >= size) {
        snprintf(err, errlen, "template \"%.64s\" is too long", tpl);
        return NGX_HTTP_SWARM_FAILED;
    }

    buf[len] = '\0';

    return ngx_http_swarm_cond_re2(buf, err, errlen);

unbalanced:

    snprintf(err, errlen, "unbalanced braces in \"%.64s\"", tpl);
    return NGX_HTTP_SWARM_FAILED;

empty:

    snprintf(err, errlen, "missing name or pattern in \"%.64s\"", tpl);
    return NGX_HTTP_SWARM_FAILED;
}


/*
 * Whether s is a client address as Traefik's ClientIP takes it
 * (pkg/ip/checker.go): an IPv4 or IPv6 address, or a network,
 * "address/bits"
 */

int
ngx_http_swarm_cond_address(const char *s)
{
    char           addr[64];
    long           bits;
    char          *end;
    size_t         len;
    const char    *slash;
    unsigned char  buf[16];

    slash = strchr(s, '/');
    len = slash ? (size_t) (slash - s) : strlen(s);

    if (len == 0 || len >= sizeof(addr)) {
        return 0;
    }

    memcpy(addr, s, len);
    addr[len] = '\0';

    if (inet_pton(AF_INET, addr, buf) == 1) {
        bits = 32;

    } else if (inet_pton(AF_INET6, addr, buf) == 1) {
        bits = 128;

    } else {
        return 0;
    }

    if (slash == NULL) {
        return 1;
    }

    if (slash[1] < '0' || slash[1] > '9') {
        return 0;
    }

    return strtol(slash + 1, &end, 10) <= bits && *end == '\0';
}
