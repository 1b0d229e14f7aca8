
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The pure layer, lib/: Docker JSON answers read an element at a time
 * (ngx_http_swarm_array.c) into the services matched
 * (ngx_http_swarm_services.c) and task sets (ngx_http_swarm_tasks.c),
 * the parsed tasks kept by the digest of their bytes, for the next
 * worker to take (ngx_http_swarm_records.c), task sets ordered and
 * compared (ngx_http_swarm_set.c), routing rules
 * (ngx_http_swarm_rule.c), the route of a Host and path
 * (ngx_http_swarm_routes.c), what labels say of routes
 * (ngx_http_swarm_labels.c), the cookie index, Cookie header scanning
 * and Set-Cookie formatting (ngx_http_swarm_cookie.c), a CA's ACME
 * documents and requests (ngx_http_swarm_acme.c), and the text they
 * share: reports, escaping, JSON strings (ngx_http_swarm_text.c).
 * Nothing here knows nginx: plain bytes in, plain values out, so that
 * unit tests and fuzzers can call every function directly; it builds as
 * C99 with jansson alone (make unit checks).
 */


#ifndef _NGX_HTTP_SWARM_LIB_H_INCLUDED_
#define _NGX_HTTP_SWARM_LIB_H_INCLUDED_


#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <jansson.h>


#define NGX_HTTP_SWARM_IP_LEN        46
#define NGX_HTTP_SWARM_ID_LEN        64
#define NGX_HTTP_SWARM_NAME_LEN      64
#define NGX_HTTP_SWARM_ERR_LEN       256

/* an error as the log shows it, every byte escaped at the most */
#define NGX_HTTP_SWARM_ESC_LEN       (4 * NGX_HTTP_SWARM_ERR_LEN + 1)

/* the service labels that give a service's port and network */
#define NGX_HTTP_SWARM_PORT_LABEL    "swarm.port"
#define NGX_HTTP_SWARM_NETWORK_LABEL "swarm.network"

#define NGX_HTTP_SWARM_ACTIVE        1
#define NGX_HTTP_SWARM_DRAINING      2

/* what the functions that read answers a part at a time return */
#define NGX_HTTP_SWARM_MORE          1
#define NGX_HTTP_SWARM_DONE          0
#define NGX_HTTP_SWARM_FAILED        -1

/* and ngx_http_swarm_tasks_known(), or NGX_HTTP_SWARM_FAILED */
#define NGX_HTTP_SWARM_YES           1
#define NGX_HTTP_SWARM_NO            0

/* and ngx_http_swarm_array_next(), or NGX_HTTP_SWARM_FAILED */
#define NGX_HTTP_SWARM_ELEMENT       1
#define NGX_HTTP_SWARM_END           0
#define NGX_HTTP_SWARM_SCANNING      2

#define ngx_http_swarm_min(a, b)     ((a) < (b) ? (a) : (b))


/*
 * The slots of an open addressing table for n keys: a power of two, at
 * least twice n (so that a probe soon finds an empty slot) and "least".
 */

static inline size_t
ngx_http_swarm_table_size(size_t n, size_t least)
{
    size_t  size;

    for (size = least; size < n * 2; size *= 2) { /* void */ }

    return size;
}


/* the hash of a key of such a table (a task ID, a host), 8 bytes a step */

static inline uint64_t
ngx_http_swarm_hash(const char *p, size_t len)
{
    size_t    i;
    uint64_t  h, w;

    h = 0x9e3779b97f4a7c15ULL ^ len;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }

    w = 0;
    memcpy(&w, p + i, len - i);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;

    return h;
}


/* one task that may receive requests, as published in shared memory */

typedef struct {
    char                       ip[NGX_HTTP_SWARM_IP_LEN];
    char                       task[NGX_HTTP_SWARM_ID_LEN];
    char                       service[NGX_HTTP_SWARM_NAME_LEN];
    char                       node[NGX_HTTP_SWARM_ID_LEN];
    uint8_t                    addr[16];
    uint32_t                   slot;
    uint16_t                   port;
    uint8_t                    family;
    uint8_t                    state;

    /* of a routes upstream: the route, its place in the upstream's list */
    uint16_t                   route;

    /* when its state last changed, as Docker says: seconds since 1970 */
    uint32_t                   since;

    /*
     * given as worker 0 publishes it, and not compared: its cell of
     * failure accounting in the zone, and the tag the cell has for it
     */
    uint32_t                   cell;
    uint32_t                   tag;
} ngx_http_swarm_peer_t;


/* what of a peer says what it is, as ngx_http_swarm_set_diff() sees it */
#define NGX_HTTP_SWARM_PEER_SAME     offsetof(ngx_http_swarm_peer_t, cell)


/* routes of one upstream at the most: a peer's route fits in 15 bits */
#define NGX_HTTP_SWARM_ROUTES_MAX    16384

/*
 * what the routes of one service may put in a route table at the most:
 * the host names of each match (or one, for any host), summed
 */
#define NGX_HTTP_SWARM_SERVICE_PAIRS 4096


typedef struct {
    ngx_http_swarm_peer_t     *peers;
    size_t                     n;
    size_t                     cap;

    /* the order ngx_http_swarm_set_order() found, for the first nkeys */
    void                      *keys;
    size_t                     nkeys;
    size_t                     kcap;
} ngx_http_swarm_set_t;


/* a JSON array answer, read one element at a time */

#define NGX_HTTP_SWARM_ARRAY_START   0
#define NGX_HTTP_SWARM_ARRAY_NEXT    1
#define NGX_HTTP_SWARM_ARRAY_DONE    2

/* an element is scanned for its end this many bytes a call at the most */
#define NGX_HTTP_SWARM_SCAN_STEP     262144

typedef struct {
    const char                *buf;
    size_t                     len;
    size_t                     pos;
    unsigned                   phase;

    /* an element whose end is still looked for */
    size_t                     start;
    size_t                     depth;
    unsigned                   string:1;
    unsigned                   scanning:1;
} ngx_http_swarm_array_t;


/* the tasks answers read so far, with what they gave */

typedef struct ngx_http_swarm_tasks_s  ngx_http_swarm_tasks_t;


/* the network attachments a task may have, parsed */
#define NGX_HTTP_SWARM_ATT_MAX       64

extern const char  ngx_http_swarm_too_many_atts[];


/* one network attachment of a task */

typedef struct {
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    char                       id[NGX_HTTP_SWARM_ID_LEN];
    char                       ip[NGX_HTTP_SWARM_IP_LEN];
    uint8_t                    addr[16];
    uint8_t                    family;
    uint8_t                    named;
    uint8_t                    long_name;
    uint8_t                    ingress;
} ngx_http_swarm_att_t;


/*
 * What a peer needs of one element of the tasks answer, known by the
 * length and keyed digest of its bytes (ngx_http_swarm_digest()); an
 * element too large to parse has a length of 0
 */

typedef struct ngx_http_swarm_task_s  ngx_http_swarm_task_t;

struct ngx_http_swarm_task_s {
    uint64_t                   digest[2];
    size_t                     len;
    ngx_http_swarm_att_t      *att;
    size_t                     natt;
    char                       sid[NGX_HTTP_SWARM_ID_LEN];
    char                       tid[NGX_HTTP_SWARM_ID_LEN];
    char                       node[NGX_HTTP_SWARM_ID_LEN];
    uint32_t                   slot;
    uint32_t                   since;
    uint8_t                    state;
    uint8_t                    used;
    ngx_http_swarm_task_t     *same;

    /* why a task of a selected service is no peer, to report */
    const char                *why;
};


/*
 * "swarm_service label=KEY=VALUE|name=NAME [network=NET] [port=N]", or
 * "swarm_routes label=KEY=VALUE|traefik [exposed_by_default]
 * [network=NET] [port=N]": each service it selects is routed by its
 * native or Traefik labels; with neither label_key nor name, every
 * service is looked at
 */

#define NGX_HTTP_SWARM_ROUTES_NATIVE   1
#define NGX_HTTP_SWARM_ROUTES_TRAEFIK  2

typedef struct {
    const char                *label_key;
    const char                *label_value;
    const char                *name;
    const char                *network;
    unsigned                   port;
    unsigned                   upstream;
    unsigned                   routes;

    /* "ports=MIN-MAX": the ports a label may give; 0 and 0: any */
    unsigned                   port_min;
    unsigned                   port_max;

    /* "default_rule=": Traefik's defaultRule template, NULL for its own */
    const char                *default_rule;

    /*
     * "traefik exposed_by_default": every service with Traefik's labels
     * but traefik.enable=false; else those with traefik.enable=true, in
     * any case of key and value, as Traefik reads them
     */
    unsigned                   exposed;

    /*
     * the names of the servers' swarm_entrypoint, joined by ",", or NULL
     * where no server has one
     */
    const char                *entrypoints;

    /*
     * whether the workers can run a regular expression of a rule:
     * NGX_HTTP_SWARM_DONE, or NGX_HTTP_SWARM_FAILED with why in err; NULL
     * where not checked
     */
    int                      (*regex)(const char *re, unsigned caseless,
                                      char *err, size_t errlen);

    /*
     * swarm_middleware: the middlewares of nginx.conf, Traefik's "@file"
     * ones, made (ngx_http_swarm_middlewares_make()) by name; or NULL
     */
    json_t                    *middlewares;

    /*
     * the names of swarm_acme, joined by ",", or NULL where there is
     * none: then tls.certresolver and tls.domains are acted on by nothing
     */
    const char                *resolvers;
} ngx_http_swarm_selector_t;


/*
 * A Swarm service matched by a selector, with its port and network; one
 * of a routes upstream comes once for each of its routes, whose entry
 * in "routed" is routed - 1 and whose place in the upstream is route.
 */

/* a service's virtual IP on a network, by the network's ID */

#define NGX_HTTP_SWARM_VIPS  4

typedef struct {
    char                       network[NGX_HTTP_SWARM_ID_LEN];
    char                       ip[NGX_HTTP_SWARM_IP_LEN];
} ngx_http_swarm_vip_t;


typedef struct {
    char                       id[NGX_HTTP_SWARM_ID_LEN];
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    char                       network[NGX_HTTP_SWARM_NAME_LEN];
    unsigned                   port;
    unsigned                   upstream;
    unsigned                   skip;
    size_t                     routed;
    unsigned                   route;

    /*
     * Traefik's lbswarm: its virtual IPs, the one peer of its route
     * (placed once a task on the network runs)
     */
    unsigned                   lbswarm:1;
    unsigned                   placed:1;
    ngx_http_swarm_vip_t       vips[NGX_HTTP_SWARM_VIPS];
    size_t                     nvips;
} ngx_http_swarm_service_t;


typedef struct ngx_http_swarm_routed_s  ngx_http_swarm_routed_t;
typedef struct ngx_http_swarm_lbref_s  ngx_http_swarm_lbref_t;

typedef struct {
    ngx_http_swarm_service_t  *services;
    size_t                     n;
    size_t                     cap;

    /* the routes of the services of routes upstreams */
    ngx_http_swarm_routed_t   *routed;
    size_t                     nrouted;
    size_t                     rcap;

    /* and the labels of theirs acted on by nothing, by service */
    json_t                    *ignored;

    /* the Traefik services their labels define */
    ngx_http_swarm_lbref_t    *lbs;
    size_t                     nlbs;
    size_t                     lcap;

    /*
     * the middlewares their labels define: an array of {"upstream",
     * "service", "defs"}; and the selectors' swarm_middleware ones
     */
    json_t                    *middlewares;
    json_t                    *file;
} ngx_http_swarm_services_t;


/* problems that skip one service of one upstream, not the whole answer */

typedef void (*ngx_http_swarm_report_pt)(void *data, unsigned upstream,
    const char *service, const char *msg);

typedef struct {
    ngx_http_swarm_report_pt   handler;
    void                      *data;
} ngx_http_swarm_report_t;


typedef struct {
    size_t                     added;
    size_t                     removed;
    size_t                     changed;
} ngx_http_swarm_diff_t;


/*
 * Open addressing table: a cookie value to the index of the peer it
 * names.  The values are strings "stride" bytes apart from "keys": the
 * peers' IP addresses (keys = peers[0].ip, stride the size of a peer),
 * or their keyed values.
 */

typedef struct {
    uint32_t                  *slots;
    size_t                     mask;
    const char                *keys;
    size_t                     stride;
} ngx_http_swarm_index_t;


/*
 * A routing rule (ngx_http_swarm_rule.c): the "or" of its matches, each
 * any of its host names (exact; "*" any host; "*.suffix" any name of
 * one label more, as Traefik 3.7's, or, "deep" as the native labels',
 * any name that ends in ".suffix"; none: any host), a path, exact or
 * a prefix, and conditions, all of which the request must meet.
 */

#define NGX_HTTP_SWARM_RULE_MATCHES  64
#define NGX_HTTP_SWARM_RULE_HOSTS    256
#define NGX_HTTP_SWARM_RULE_CONDS    1024


/*
 * A condition: Traefik's matchers other than a match's own host names
 * and path, each met, or with "negate" not met, where the request has
 *   HOST           one of the values as host names (as a match's)
 *   PATH           the value as its path
 *   PATH_PREFIX    a path that starts with the value
 *   HOST_REGEXP    a host (in lower case, without its port) in which
 *                  the regular expression finds a match
 *   PATH_REGEXP    a path in which it finds one
 *   METHOD         one of the values as its method
 *   HEADER         a line of header "name" whose value is the value
 *   HEADER_REGEXP  one in whose value the expression finds a match
 *   QUERY          a query parameter "name" of the value ("first": its
 *                  first one only, as Traefik v2 reads it)
 *   QUERY_REGEXP   one in which the expression finds a match
 *   CLIENT_IP      a client address of one of the values (an address,
 *                  or a network as "address/bits")
 * The first three ngx_http_swarm_routes_find() tests; the others, the
 * caller's test, with "data" its own for the condition.
 */

#define NGX_HTTP_SWARM_COND_HOST           0
#define NGX_HTTP_SWARM_COND_PATH           1
#define NGX_HTTP_SWARM_COND_PATH_PREFIX    2
#define NGX_HTTP_SWARM_COND_HOST_REGEXP    3
#define NGX_HTTP_SWARM_COND_PATH_REGEXP    4
#define NGX_HTTP_SWARM_COND_METHOD         5
#define NGX_HTTP_SWARM_COND_HEADER         6
#define NGX_HTTP_SWARM_COND_HEADER_REGEXP  7
#define NGX_HTTP_SWARM_COND_QUERY          8
#define NGX_HTTP_SWARM_COND_QUERY_REGEXP   9
#define NGX_HTTP_SWARM_COND_CLIENT_IP      10
#define NGX_HTTP_SWARM_COND_TYPES          11

typedef struct {
    unsigned                   type:4;
    unsigned                   negate:1;

    /* a regular expression matched in any case (Traefik v2's HostRegexp) */
    unsigned                   caseless:1;
    unsigned                   first:1;

    /* a header's name or a query parameter's, "" for none */
    const char                *name;

    /* its values: values[value] and the nvalues - 1 after it */
    size_t                     value;
    size_t                     nvalues;

    /* the caller's own, for its test: a compiled expression, say */
    void                      *data;
} ngx_http_swarm_cond_t;


typedef struct {
    /* its host names: hosts[host] and the nhosts - 1 after it */
    size_t                     host;
    size_t                     nhosts;
    const char                *path;

    /* its conditions: conds[cond] and the nconds - 1 after it */
    size_t                     cond;
    size_t                     nconds;
    unsigned                   exact:1;
    unsigned                   deep:1;
} ngx_http_swarm_match_t;


typedef struct {
    ngx_http_swarm_match_t    *matches;
    size_t                     n;
    char                     **hosts;
    size_t                     nhosts;
    ngx_http_swarm_cond_t     *conds;
    size_t                     nconds;
    char                     **values;
    size_t                     nvalues;
    char                     **strings;
    size_t                     nstrings;
} ngx_http_swarm_rule_t;


/*
 * A rule being built (ngx_http_swarm_matches.c): its matches and their
 * strings go to "rule", what went wrong to err; "native": the native
 * labels' strict host names and wildcards of any depth
 */

typedef struct {
    ngx_http_swarm_rule_t     *rule;
    unsigned                   native;

    /*
     * the values of all the conditions made, copies counted as their
     * JSON writes them out again: what reading it back needs
     */
    size_t                     values;
    char                      *err;
    size_t                     errlen;
} ngx_http_swarm_build_t;


/* matches being built: an "or" of them */

typedef struct {
    ngx_http_swarm_match_t    *m;
    size_t                     n;
} ngx_http_swarm_or_t;


/*
 * Whether a request meets a condition ngx_http_swarm_routes_find() does
 * not test itself (1 or 0, "negate" left to the caller): given the host
 * and path it routes by
 */

typedef struct {
    int                      (*test)(void *data,
                                     const ngx_http_swarm_rule_t *rule,
                                     const ngx_http_swarm_cond_t *cond,
                                     const char *host, size_t hlen,
                                     const char *path, size_t plen);
    void                      *data;
} ngx_http_swarm_test_t;


/*
 * a route: a service's rule, its name for ties and reports, a priority
 * (in Traefik's order, every route has one: ngx_http_swarm_routes.c)
 */

typedef struct {
    const char                *name;
    const ngx_http_swarm_rule_t  *rule;
    long                       priority;
    unsigned                   has_priority:1;

    /* left out of the table being built: routes_build() */
    unsigned                   skip:1;

    /*
     * where it is tried (its entrypoints and TLS, hashed): only routes
     * tried in the same places are reported as a tie
     */
    uint32_t                   where;
} ngx_http_swarm_route_t;


/* the order of an upstream's routes */

#define NGX_HTTP_SWARM_ORDER_NATIVE   0
#define NGX_HTTP_SWARM_ORDER_TRAEFIK  1

/* the start of an FNV-1a hash (ngx_http_swarm_text_hash()) */
#define NGX_HTTP_SWARM_HASH_INIT      2166136261u

/* Traefik keeps the top 1000 priorities for its own routers */
#define NGX_HTTP_SWARM_PRIORITY_MAX   (LONG_MAX - 1000)


typedef struct ngx_http_swarm_routes_s  ngx_http_swarm_routes_t;

/* an upstream's routes being written as text (ngx_http_swarm_services.c) */
typedef struct ngx_http_swarm_routes_text_s  ngx_http_swarm_routes_text_t;


/*
 * a route's sticky cookie, as labels give it: -1 or "" where not given;
 * a max_age of NGX_HTTP_SWARM_MAX_AGE_SESSION: a session cookie, whatever
 * the upstream's
 */

#define NGX_HTTP_SWARM_MAX_AGE_SESSION  -2

typedef struct {
    unsigned                   on;
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    int                        secure;
    int                        httponly;
    char                       samesite[16];
    long                       max_age;
    char                       path[NGX_HTTP_SWARM_NAME_LEN];
    char                       domain[NGX_HTTP_SWARM_NAME_LEN];
} ngx_http_swarm_sticky_spec_t;


/* the middlewares a route runs, chains expanded, at the most */
#define NGX_HTTP_SWARM_MIDDLEWARES_MAX  32


/*
 * A middleware being made (ngx_http_swarm_middlewares.c): its labels,
 * by "type.option", those taken so far, the definition written, and why
 * it cannot be run (err "" when out of memory)
 */

typedef struct {
    json_t                    *raw;
    json_t                    *used;
    json_t                    *def;
    const char                *type;
    const ngx_http_swarm_selector_t  *sel;
    char                      *err;
    size_t                     errlen;
} ngx_http_swarm_make_t;


/*
 * ACME (ngx_http_swarm_acme.c): what a CA's documents say, as this
 * client needs it
 */

#define NGX_HTTP_SWARM_ACME_URL_LEN    512
#define NGX_HTTP_SWARM_ACME_TOKEN_LEN  128
#define NGX_HTTP_SWARM_ACME_HOST_LEN   254

/* the names of one certificate, at the most */
#define NGX_HTTP_SWARM_ACME_NAMES      16

/* an object's status; deactivated, expired and revoked are invalid */
#define NGX_HTTP_SWARM_ACME_PENDING     0
#define NGX_HTTP_SWARM_ACME_READY       1
#define NGX_HTTP_SWARM_ACME_PROCESSING  2
#define NGX_HTTP_SWARM_ACME_VALID       3
#define NGX_HTTP_SWARM_ACME_INVALID     4

typedef struct {
    char                       new_nonce[NGX_HTTP_SWARM_ACME_URL_LEN];
    char                       new_account[NGX_HTTP_SWARM_ACME_URL_LEN];
    char                       new_order[NGX_HTTP_SWARM_ACME_URL_LEN];

    /* meta.externalAccountRequired */
    unsigned                   eab:1;
} ngx_http_swarm_acme_directory_t;


typedef struct {
    int                        status;
    char                       finalize[NGX_HTTP_SWARM_ACME_URL_LEN];

    /* "" until the order is valid */
    char                       certificate[NGX_HTTP_SWARM_ACME_URL_LEN];
    char                       authorizations[NGX_HTTP_SWARM_ACME_NAMES]
                                             [NGX_HTTP_SWARM_ACME_URL_LEN];
    size_t                     nauthz;

    /* the CA's error, "" for none */
    char                       error[NGX_HTTP_SWARM_ERR_LEN];
} ngx_http_swarm_acme_order_t;


typedef struct {
    int                        status;
    char                       name[NGX_HTTP_SWARM_ACME_HOST_LEN];
    unsigned                   wildcard:1;

    /* its http-01 challenge: status -1 and "" if it has none */
    int                        challenge_status;
    char                       challenge[NGX_HTTP_SWARM_ACME_URL_LEN];
    char                       token[NGX_HTTP_SWARM_ACME_TOKEN_LEN];
    char                       error[NGX_HTTP_SWARM_ERR_LEN];
} ngx_http_swarm_acme_authz_t;


/* a route of a service, as its labels give it (ngx_http_swarm_labels.c) */

typedef struct {
    /* Traefik's router name, "" for the native labels and v1 */
    char                       router[NGX_HTTP_SWARM_NAME_LEN];
    ngx_http_swarm_rule_t      rule;
    long                       priority;
    unsigned                   has_priority;

    /*
     * the length of the rule as Traefik has it (the native labels': of
     * the rule they stand for), its priority where none is given
     */
    long                       length;

    /* 0 and "" where not given */
    unsigned                   port;
    char                       network[NGX_HTTP_SWARM_NAME_LEN];

    /*
     * Traefik's entrypoints of the router, as given ("web,websecure"; ""
     * for the default ones), and whether it has a tls section
     */
    char                       entrypoints[NGX_HTTP_SWARM_NAME_LEN];
    unsigned                   tls:1;

    /*
     * tls.certresolver: the swarm_acme its certificate comes from ("" for
     * none), and the names of its tls.domains, joined by "," ("" for the
     * names of its rule)
     */
    char                       certresolver[NGX_HTTP_SWARM_NAME_LEN];
    char                       domains[NGX_HTTP_SWARM_ERR_LEN];

    /* traefik.swarm.lbswarm: to the service's virtual IP, not its tasks */
    unsigned                   lbswarm:1;

    /*
     * a router whose service= another swarm service's labels define:
     * that service's name, the port, network and cookie still to come
     * from it (ngx_http_swarm_services_routes())
     */
    unsigned                   elsewhere:1;
    char                       service[NGX_HTTP_SWARM_NAME_LEN];

    /* a hash of the router's labels: one name defined twice is told */
    uint32_t                   hash;

    /* the middlewares it names, as given ("a,b@file"), "" for none */
    char                       middlewares[NGX_HTTP_SWARM_ERR_LEN];

    ngx_http_swarm_sticky_spec_t  sticky;
} ngx_http_swarm_route_spec_t;


/* a service of Traefik's labels, which other services' routers may name */

typedef struct {
    char                       name[NGX_HTTP_SWARM_NAME_LEN];
    unsigned                   port;
    char                       network[NGX_HTTP_SWARM_NAME_LEN];
    ngx_http_swarm_sticky_spec_t  sticky;
} ngx_http_swarm_lb_t;


typedef struct {
    ngx_http_swarm_route_spec_t  *routes;
    size_t                     n;

    ngx_http_swarm_lb_t       *lbs;
    size_t                     nlbs;

    /* the traefik.* labels acted on by nothing, joined by ", " */
    char                       ignored[NGX_HTTP_SWARM_ERR_LEN];

    /*
     * the middlewares the labels define, by name: each made, or
     * {"error": why}; NULL for none
     */
    json_t                    *middlewares;
} ngx_http_swarm_labels_t;


/* a route of a service of a routes upstream, found in a refresh */

struct ngx_http_swarm_routed_s {
    unsigned                   upstream;
    char                       service[NGX_HTTP_SWARM_NAME_LEN];
    char                       id[NGX_HTTP_SWARM_ID_LEN];
    ngx_http_swarm_route_spec_t  spec;

    /* its place in its upstream's routes, in the order of route_cmp */
    unsigned                   route;

    /* not routed after all: a router defined twice, a service unknown */
    unsigned                   dropped:1;

    /* of a router whose service another swarm service defines: that one */
    char                       target[NGX_HTTP_SWARM_NAME_LEN];

    /* the middlewares it runs, resolved: an array, or NULL for none */
    json_t                    *middlewares;
};


/* a Traefik service of a swarm service's labels, of an upstream */

struct ngx_http_swarm_lbref_s {
    unsigned                   upstream;
    char                       id[NGX_HTTP_SWARM_ID_LEN];
    char                       service[NGX_HTTP_SWARM_NAME_LEN];
    ngx_http_swarm_lb_t        lb;
};


typedef struct {
    const char                *name;
    const char                *path;
    const char                *domain;
    const char                *samesite;
    long                       max_age;
    unsigned                   secure:1;
    unsigned                   httponly:1;

    /* Secure where the request came over TLS; Cache-Control: private */
    unsigned                   auto_secure:1;
    unsigned                   nocache:1;

    /*
     * what follows the value, made once by the cookie's owner
     * (ngx_http_swarm_cookie_attrs()): [0] as the cookie is, [1] with
     * "; Secure"; NULL where not made
     */
    const unsigned char       *attrs[2];
    size_t                     attrs_len[2];
} ngx_http_swarm_cookie_t;


int ngx_http_swarm_services_parse(const char *buf, size_t len,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, char *err, size_t errlen);
int ngx_http_swarm_tasks_parse(const char *buf, size_t len,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets, ngx_http_swarm_report_t *report, char *err, size_t errlen);

void ngx_http_swarm_array_init(ngx_http_swarm_array_t *a, const char *buf,
    size_t len);
int ngx_http_swarm_array_next(ngx_http_swarm_array_t *a, const char **elem,
    size_t *elen, const char *what, char *err, size_t errlen);
json_t *ngx_http_swarm_array_element(ngx_http_swarm_array_t *a,
    const char *elem, size_t elen, const char *what, char *err,
    size_t errlen);

int ngx_http_swarm_services_read(ngx_http_swarm_array_t *a,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_services_t *out,
    ngx_http_swarm_report_t *report, size_t max, char *err, size_t errlen);

ngx_http_swarm_tasks_t *ngx_http_swarm_tasks_create(void);
void ngx_http_swarm_tasks_begin(ngx_http_swarm_tasks_t *t);
void ngx_http_swarm_tasks_feed(ngx_http_swarm_tasks_t *t, const char *buf,
    size_t len);
int ngx_http_swarm_tasks_read(ngx_http_swarm_tasks_t *t, size_t max,
    char *err, size_t errlen);
int ngx_http_swarm_tasks_known(ngx_http_swarm_tasks_t *t, const char *tid);
int ngx_http_swarm_tasks_sets(ngx_http_swarm_tasks_t *t,
    ngx_http_swarm_services_t *svcs, ngx_http_swarm_set_t *sets,
    size_t nsets, ngx_http_swarm_report_t *report, size_t max, char *err,
    size_t errlen);
void ngx_http_swarm_tasks_counts(ngx_http_swarm_tasks_t *t, size_t *parsed,
    size_t *reused);
void ngx_http_swarm_tasks_destroy(ngx_http_swarm_tasks_t *t);
void ngx_http_swarm_tasks_key(ngx_http_swarm_tasks_t *t,
    const unsigned char *key);
size_t ngx_http_swarm_tasks_save(ngx_http_swarm_tasks_t *t, size_t from,
    size_t max, char *buf, size_t size);
int ngx_http_swarm_tasks_load(ngx_http_swarm_tasks_t *t, const char *buf,
    size_t len);

void ngx_http_swarm_digest(const unsigned char *key, const char *p,
    size_t len, uint64_t *out);
size_t ngx_http_swarm_records_save(ngx_http_swarm_task_t **recs, size_t n,
    int head, char *buf, size_t size);
size_t ngx_http_swarm_records_first(const char *buf, size_t len);
int ngx_http_swarm_records_read(const char *buf, size_t len, size_t *off,
    ngx_http_swarm_task_t *rec, uint64_t *digest, size_t *rlen);
void ngx_http_swarm_record_free(ngx_http_swarm_task_t *rec);
uint32_t ngx_http_swarm_tasks_time(const char *s);

json_t *ngx_http_swarm_services_filters(const ngx_http_swarm_selector_t *sel);
json_t *ngx_http_swarm_tasks_filters(const ngx_http_swarm_services_t *svcs,
    int stopping, size_t *from, size_t max);
void ngx_http_swarm_services_sort(ngx_http_swarm_services_t *svcs);
ngx_http_swarm_service_t *ngx_http_swarm_services_find(
    ngx_http_swarm_services_t *svcs, const char *id, size_t *n);
void ngx_http_swarm_services_clear(ngx_http_swarm_services_t *svcs);
void ngx_http_swarm_services_free(ngx_http_swarm_services_t *svcs);
size_t ngx_http_swarm_services_routes(ngx_http_swarm_services_t *svcs,
    unsigned upstream, ngx_http_swarm_report_t *report);
ngx_http_swarm_routes_text_t *ngx_http_swarm_services_routes_begin(
    ngx_http_swarm_services_t *svcs, unsigned upstream, unsigned order,
    ngx_http_swarm_report_t *report);
int ngx_http_swarm_services_routes_part(ngx_http_swarm_routes_text_t *t,
    size_t max);
char *ngx_http_swarm_services_routes_end(ngx_http_swarm_routes_text_t *t,
    ngx_http_swarm_services_t *svcs, unsigned upstream, json_t *errors);
void ngx_http_swarm_services_routes_free(ngx_http_swarm_routes_text_t *t);
json_t *ngx_http_swarm_services_routes_json(ngx_http_swarm_services_t *svcs,
    unsigned upstream, unsigned order, ngx_http_swarm_report_t *report);

int ngx_http_swarm_set_add(ngx_http_swarm_set_t *set,
    const ngx_http_swarm_peer_t *peer);
ngx_http_swarm_peer_t *ngx_http_swarm_set_push(ngx_http_swarm_set_t *set);
void ngx_http_swarm_set_order(ngx_http_swarm_set_t *set);
void ngx_http_swarm_set_sort(ngx_http_swarm_set_t *set);
void ngx_http_swarm_set_finish(ngx_http_swarm_set_t *set, unsigned upstream,
    ngx_http_swarm_report_t *report);
void ngx_http_swarm_set_free(ngx_http_swarm_set_t *set);
ngx_http_swarm_diff_t ngx_http_swarm_set_diff(
    const ngx_http_swarm_peer_t *old, size_t nold,
    const ngx_http_swarm_peer_t *new, size_t nnew);
int ngx_http_swarm_set_place(const ngx_http_swarm_peer_t *pa,
    const ngx_http_swarm_peer_t *pb);
void ngx_http_swarm_set_carry(ngx_http_swarm_peer_t *old, size_t nold,
    ngx_http_swarm_peer_t *new, size_t nnew);

const char *ngx_http_swarm_set_address_refused(int family, const uint8_t *a);

size_t ngx_http_swarm_cookie_index_size(size_t npeers);
void ngx_http_swarm_cookie_index_build(ngx_http_swarm_index_t *index,
    uint32_t *slots, size_t nslots, const char *keys, size_t stride,
    size_t n);
long ngx_http_swarm_cookie_index_find(const ngx_http_swarm_index_t *index,
    const unsigned char *key, size_t len);

void ngx_http_swarm_text_put(char *buf, size_t size, size_t *len,
    const char *s, size_t n);
uint32_t ngx_http_swarm_text_hash(uint32_t h, const char *s, size_t n);
void ngx_http_swarm_text_report(ngx_http_swarm_report_t *report,
    unsigned upstream, const char *service, const char *fmt, ...);
int ngx_http_swarm_text_copy(char *dst, size_t size, const char *src);
const char *ngx_http_swarm_text_json_string(json_t *obj, const char *key);
json_t *ngx_http_swarm_text_json(const char *s, size_t len);
size_t ngx_http_swarm_text_utf8_cut(const unsigned char *s, size_t len);
size_t ngx_http_swarm_text_escape(unsigned char *dst, size_t size,
    const unsigned char *src, size_t len);

int ngx_http_swarm_rule_parse(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
int ngx_http_swarm_rule_parse_v2(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
int ngx_http_swarm_rule_parse_v1(const char *s, size_t len,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);


int ngx_http_swarm_rule_native(const char *hosts, const char *path,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
long ngx_http_swarm_rule_native_text(const ngx_http_swarm_rule_t *rule,
    char *buf, size_t size);
void ngx_http_swarm_rule_free(ngx_http_swarm_rule_t *rule);

void ngx_http_swarm_matches_start(ngx_http_swarm_build_t *b,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);
int ngx_http_swarm_matches_host(ngx_http_swarm_build_t *b, const char *s,
    size_t len);
int ngx_http_swarm_matches_hosts(ngx_http_swarm_build_t *b, size_t first,
    ngx_http_swarm_or_t *out);
char *ngx_http_swarm_matches_path(ngx_http_swarm_build_t *b, const char *s,
    size_t len);
int ngx_http_swarm_matches_cond(ngx_http_swarm_build_t *b, unsigned type,
    const char *name, char **values, size_t n, ngx_http_swarm_match_t *m);
char *ngx_http_swarm_matches_keep(ngx_http_swarm_rule_t *rule,
    const char *s, size_t len);
int ngx_http_swarm_matches_push(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *or, const ngx_http_swarm_match_t *m);
int ngx_http_swarm_matches_union(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *x, ngx_http_swarm_or_t *y);
int ngx_http_swarm_matches_cross(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *x, ngx_http_swarm_or_t *y);
int ngx_http_swarm_matches_not(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *or);
int ngx_http_swarm_matches_done(ngx_http_swarm_build_t *b,
    ngx_http_swarm_or_t *or);
int ngx_http_swarm_matches_error(ngx_http_swarm_build_t *b,
    const char *fmt, ...);
void ngx_http_swarm_matches_verror(ngx_http_swarm_build_t *b,
    const char *fmt, va_list args);
int ngx_http_swarm_matches_nomem(ngx_http_swarm_build_t *b);
json_t *ngx_http_swarm_matches_json(const ngx_http_swarm_rule_t *rule);
int ngx_http_swarm_matches_from_json(json_t *json,
    ngx_http_swarm_rule_t *rule, char *err, size_t errlen);

const char *ngx_http_swarm_cond_name(unsigned type);
int ngx_http_swarm_cond_type(const char *name);
int ngx_http_swarm_cond_re2(const char *re, char *err, size_t errlen);
int ngx_http_swarm_cond_template(const char *tpl, char what,
    unsigned prefix, char *buf, size_t size, char *err, size_t errlen);
int ngx_http_swarm_cond_address(const char *s);

ngx_http_swarm_routes_t *ngx_http_swarm_routes_build(
    const ngx_http_swarm_route_t *routes, size_t n, unsigned order,
    ngx_http_swarm_report_t *report);
/* the longest host name a route is looked up for */
#define NGX_HTTP_SWARM_HOST_LEN  253

long ngx_http_swarm_routes_find(const ngx_http_swarm_routes_t *t,
    const char *host, size_t hlen, const char *path, size_t plen,
    const ngx_http_swarm_test_t *test);
long ngx_http_swarm_routes_find_name(const ngx_http_swarm_routes_t *t,
    const char *name, size_t hlen, const char *path, size_t plen,
    const ngx_http_swarm_test_t *test);
size_t ngx_http_swarm_routes_path(const unsigned char *raw, size_t len,
    unsigned char *out);
void ngx_http_swarm_routes_free(ngx_http_swarm_routes_t *t);

int ngx_http_swarm_labels_native(json_t *labels,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, const char *service);
int ngx_http_swarm_labels_traefik(json_t *labels,
    const ngx_http_swarm_selector_t *sel, ngx_http_swarm_labels_t *out,
    ngx_http_swarm_report_t *report, const char *service);
long ngx_http_swarm_template_make(const char *tpl, const char *name,
    json_t *labels, char *buf, size_t size, char *err, size_t errlen);
void ngx_http_swarm_template_normalize(const char *s, char *buf,
    size_t size);
void ngx_http_swarm_labels_free(ngx_http_swarm_labels_t *out);

int ngx_http_swarm_mwtypes_redirectscheme(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_redirectregex(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_basicauth(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_headers(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_stripprefix(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_stripprefixregex(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_addprefix(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_replacepath(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_replacepathregex(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_ipallowlist(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwtypes_chain(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwauth_forwardauth(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_ratelimit(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_inflightreq(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_retry(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_buffering(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_compress(ngx_http_swarm_make_t *m);
int ngx_http_swarm_mwflow_errors(ngx_http_swarm_make_t *m);

const char *ngx_http_swarm_opt_take(ngx_http_swarm_make_t *m,
    const char *option);
int ngx_http_swarm_opt_bool(ngx_http_swarm_make_t *m,
    const char *option, const char *name);
int ngx_http_swarm_opt_number(ngx_http_swarm_make_t *m,
    const char *option, const char *name, long min, long max, long *n);
int ngx_http_swarm_opt_duration(ngx_http_swarm_make_t *m,
    const char *option, double *us);
json_t *ngx_http_swarm_opt_list(const char *s);
int ngx_http_swarm_opt_regex(ngx_http_swarm_make_t *m, const char *re,
    const char *option);
int ngx_http_swarm_opt_replacement(ngx_http_swarm_make_t *m,
    const char *s, const char *option);
int ngx_http_swarm_opt_text(const char *s);
int ngx_http_swarm_opt_token(const char *s);
int ngx_http_swarm_opt_set(ngx_http_swarm_make_t *m, const char *key,
    json_t *value);
int ngx_http_swarm_opt_error(ngx_http_swarm_make_t *m,
    const char *fmt, ...);

int ngx_http_swarm_middlewares_label(json_t *defs, const char *key,
    const char *value);
int ngx_http_swarm_middlewares_v1(json_t *raw, const char *service,
    const char *lkey, const char *value);
int ngx_http_swarm_middlewares_v1_names(json_t *raw, const char *service,
    char *buf, size_t size);
json_t *ngx_http_swarm_middlewares_make(json_t *raw,
    const ngx_http_swarm_selector_t *sel, char *err, size_t errlen);
json_t *ngx_http_swarm_middlewares_resolve(json_t *swarm, json_t *file,
    const char *list, char *err, size_t errlen);
size_t ngx_http_swarm_middlewares_expand(const char *repl, size_t rlen,
    const char *subject, const int *caps, size_t ncaps, char *buf,
    size_t size);

int ngx_http_swarm_cookie_scan(const unsigned char *hdr, size_t len,
    const unsigned char *name, size_t nlen, const unsigned char **value,
    size_t *vlen);
int ngx_http_swarm_cookie_valid(const unsigned char *value, size_t len);
size_t ngx_http_swarm_cookie_attrs(unsigned char *buf, size_t size,
    const ngx_http_swarm_cookie_t *ck, unsigned secure);

int ngx_http_swarm_acme_status(const char *s);
int ngx_http_swarm_acme_problem(const char *data, size_t len, char *out,
    size_t outlen);
int ngx_http_swarm_acme_problem_json(json_t *j, char *out, size_t outlen);
int ngx_http_swarm_acme_directory(const char *data, size_t len,
    ngx_http_swarm_acme_directory_t *dir, char *err, size_t errlen);
int ngx_http_swarm_acme_order(const char *data, size_t len,
    ngx_http_swarm_acme_order_t *order, char *err, size_t errlen);
int ngx_http_swarm_acme_authz(const char *data, size_t len,
    ngx_http_swarm_acme_authz_t *authz, char *err, size_t errlen);
int ngx_http_swarm_acme_token_valid(const char *token, size_t len);
int ngx_http_swarm_acme_url_valid(const char *url);
size_t ngx_http_swarm_acme_base64url(const unsigned char *in, size_t len,
    char *out, size_t outlen);
int ngx_http_swarm_acme_jwk(const unsigned char *x, const unsigned char *y,
    char *out, size_t outlen);
char *ngx_http_swarm_acme_signing_input(const char *url, const char *nonce,
    const char *kid, const char *jwk, json_t *payload);
char *ngx_http_swarm_acme_jws(const char *input, const unsigned char *sig,
    size_t siglen);
json_t *ngx_http_swarm_acme_account_payload(const char *email);
json_t *ngx_http_swarm_acme_order_payload(json_t *names);
json_t *ngx_http_swarm_acme_finalize_payload(const unsigned char *der,
    size_t len);
int ngx_http_swarm_acme_pem_chain(const char *text, size_t len,
    size_t *start, size_t *size, int max);
long long ngx_http_swarm_acme_renew_at(long long not_before,
    long long not_after);

json_t *ngx_http_swarm_wanted(const ngx_http_swarm_routed_t *routed,
    size_t n, ngx_http_swarm_report_t *report);
int ngx_http_swarm_wanted_name(const char *name, char *err, size_t errlen);


#endif /* _NGX_HTTP_SWARM_LIB_H_INCLUDED_ */
