
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The types the nginx side shares, and the small helpers that several
 * layers need, as static ngx_inline functions: the task sets in shared
 * memory (the zone's records, cells and counts), each worker's copies
 * of them, an upstream's record, the swarm the directives set up, and a
 * request's context.  No prototypes: each unit declares its own API in
 * its own header (docs/design.md has the layers).
 */


#ifndef _NGX_HTTP_SWARM_H_INCLUDED_
#define _NGX_HTTP_SWARM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm_lib.h"


#define NGX_HTTP_SWARM_MAX_FAILS     1
#define NGX_HTTP_SWARM_FAIL_TIMEOUT  10

/* the zone has a cell of failure accounting for each this many bytes */
#define NGX_HTTP_SWARM_CELL_BYTES    512


typedef struct ngx_http_swarm_shm_up_s  ngx_http_swarm_shm_up_t;
typedef struct ngx_http_swarm_upstream_s  ngx_http_swarm_upstream_t;


/*
 * What is counted of a task (ngx_http_swarm_counters.c): requests,
 * responses by status class, failures, sticky outcomes, and upstream
 * response times, their sum and a histogram of them.
 */

#define NGX_HTTP_SWARM_C_REQUESTS    0
#define NGX_HTTP_SWARM_C_1XX         1
#define NGX_HTTP_SWARM_C_FAILURES    6
#define NGX_HTTP_SWARM_C_NEW         7
#define NGX_HTTP_SWARM_C_HIT         8
#define NGX_HTTP_SWARM_C_REBOUND     9
#define NGX_HTTP_SWARM_C_TIMED       10
#define NGX_HTTP_SWARM_C_TIME_MS     11
#define NGX_HTTP_SWARM_C_BUCKET      12
#define NGX_HTTP_SWARM_C_BUCKETS     11
#define NGX_HTTP_SWARM_C_N           (NGX_HTTP_SWARM_C_BUCKET             \
                                      + NGX_HTTP_SWARM_C_BUCKETS + 1)

/* sticky outcomes, as $swarm_sticky shows them */
#define NGX_HTTP_SWARM_STICKY_NONE   0
#define NGX_HTTP_SWARM_STICKY_NEW    1
#define NGX_HTTP_SWARM_STICKY_HIT    2
#define NGX_HTTP_SWARM_STICKY_REBOUND  3

typedef struct {
    uint64_t                    v[NGX_HTTP_SWARM_C_N];
} ngx_http_swarm_counts_t;


/* a task's counts in the zone, summed over the workers */

typedef struct ngx_http_swarm_counter_s  ngx_http_swarm_counter_t;

struct ngx_http_swarm_counter_s {
    ngx_http_swarm_counter_t   *next;
    uint32_t                    hash;
    uint32_t                    slot;
    ngx_uint_t                  mark;
    char                        task[NGX_HTTP_SWARM_ID_LEN];
    char                        route[2 * NGX_HTTP_SWARM_NAME_LEN];
    char                        service[NGX_HTTP_SWARM_NAME_LEN];
    char                        node[NGX_HTTP_SWARM_ID_LEN];
    char                        address[NGX_SOCKADDR_STRLEN];
    ngx_http_swarm_counts_t     counts;
};

/*
 * One upstream's task set in shared memory, found by upstream name; its
 * epoch is that of the newest configuration that has the upstream.
 */

struct ngx_http_swarm_shm_up_s {
    ngx_http_swarm_shm_up_t    *next;
    ngx_str_t                   name;
    ngx_atomic_uint_t           epoch;
    ngx_atomic_t                generation;
    ngx_atomic_t                last_sync;
    ngx_http_swarm_peer_t      *peers;
    ngx_uint_t                  npeers;

    /* of a routes upstream: its routes, as JSON, right after the peers */
    size_t                      routes_len;

    /* the counts of its tasks, by task and route: a hash, and its size */
    ngx_http_swarm_counter_t  **counters;
    ngx_uint_t                  ncounters;
    ngx_uint_t                  counters_size;
    ngx_uint_t                  sweeps;

    size_t                      error_len;
    u_char                      error[NGX_HTTP_SWARM_ERR_LEN];
};


/*
 * A task's failures, as nginx's round robin counts them, shared by all
 * workers: cells in the zone that worker 0 gives to tasks as it
 * publishes them, and takes back as they leave.  The tag says whose a
 * cell is (0: nobody's), so that a worker that still holds an older copy
 * leaves a cell given to another task alone.  Workers only read and
 * write it atomically, never under a lock.
 */

typedef struct {
    ngx_atomic_t                tag;
    ngx_atomic_t                fails;
    ngx_atomic_t                accessed;
    ngx_atomic_t                checked;
} ngx_http_swarm_cell_t;


/*
 * A rate limit's slot in the zone (ngx_http_swarm_limit.c): the key of
 * a route's ratelimit middleware and a source, and its theoretical
 * arrival time (GCRA), in µs of the monotonic clock; both only read and
 * written atomically, never under a lock
 */

typedef struct {
    ngx_atomic_t                key;
    ngx_atomic_t                tat;
} ngx_http_swarm_slot_t;


/*
 * A Docker API endpoint of swarm_endpoint: as written, as logs and
 * swarm_status show it (its password masked), the socket path of a
 * "unix:" one, and the base of its URLs; "https://" ones use TLS
 */

#define NGX_HTTP_SWARM_ENDPOINTS_MAX  16

/* the oldest Docker API version asked for, that of Docker 1.12 */
#define NGX_HTTP_SWARM_MIN_API        "1.24"

typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   shown;
    ngx_str_t                   socket;
    ngx_str_t                   base;
    unsigned                    tls:1;
} ngx_http_swarm_endpoint_t;


/* an endpoint's state, as worker 0 saw it last, for swarm_status */

#define NGX_HTTP_SWARM_EP_STANDBY     0
#define NGX_HTTP_SWARM_EP_CURRENT     1
#define NGX_HTTP_SWARM_EP_FAILED      2

/* to ngx_http_swarm_zone_set_endpoint(): the state as it is */
#define NGX_HTTP_SWARM_EP_KEEP        ((ngx_uint_t) -1)

typedef struct {
    ngx_uint_t                  state;
    time_t                      since;
    size_t                      error_len;
    u_char                      error[NGX_HTTP_SWARM_ERR_LEN];
} ngx_http_swarm_ep_state_t;


/* the last successful refresh, for swarm_status */

typedef struct {
    /* bytes read from the API, and the time it took */
    ngx_uint_t                  bytes;
    ngx_uint_t                  msec;

    /* its CPU time, and how many tasks were parsed or known unchanged */
    ngx_uint_t                  cpu_usec;
    ngx_uint_t                  parsed;
    ngx_uint_t                  reused;

    /* the longest the polling worker spent on it at once; its CPU time */
    ngx_uint_t                  longest_usec;
    ngx_uint_t                  longest_cpu_usec;

    /* refreshes so far, when the last one was done, the events stream */
    ngx_uint_t                  refreshes;
    time_t                      done;
    ngx_uint_t                  events;
} ngx_http_swarm_figures_t;


/* why a refresh failed, as swarm_metrics counts it */

#define NGX_HTTP_SWARM_FAIL_TRANSPORT  0
#define NGX_HTTP_SWARM_FAIL_HTTP       1
#define NGX_HTTP_SWARM_FAIL_TOO_LARGE  2
#define NGX_HTTP_SWARM_FAIL_ANSWER     3
#define NGX_HTTP_SWARM_FAIL_KINDS      4


/*
 * The kinds of middlewares that answer requests themselves, and the
 * statuses they are counted by (swarm_metrics names them in this order)
 */

#define NGX_HTTP_SWARM_MW_NONE       0
#define NGX_HTTP_SWARM_MW_SCHEME     1
#define NGX_HTTP_SWARM_MW_REGEX      2
#define NGX_HTTP_SWARM_MW_BASICAUTH  3
#define NGX_HTTP_SWARM_MW_HEADERS    4
#define NGX_HTTP_SWARM_MW_ALLOWLIST  5
#define NGX_HTTP_SWARM_MW_RATELIMIT  6
#define NGX_HTTP_SWARM_MW_INFLIGHT   7
#define NGX_HTTP_SWARM_MW_BUFFERING  8
#define NGX_HTTP_SWARM_MW_FORWARD    9
#define NGX_HTTP_SWARM_MW_ERRORS     10
#define NGX_HTTP_SWARM_MW_KINDS      11

#define NGX_HTTP_SWARM_MW_CODES      9


/* a record of the zone written whole, and its generation */

#define NGX_HTTP_SWARM_BLOB_CERTS    0
#define NGX_HTTP_SWARM_BLOB_TASKS    1
#define NGX_HTTP_SWARM_BLOBS         2

typedef struct {
    u_char                     *data;
    size_t                      len;
    ngx_atomic_t                generation;
} ngx_http_swarm_shm_blob_t;


typedef struct {
    /* odd while a writer changes the zone */
    ngx_atomic_t                seq;

    /* configuration loads so far, and the one whose worker 0 writes */
    ngx_atomic_t                epoch_next;
    ngx_atomic_t                epoch;

    ngx_http_swarm_shm_up_t    *upstreams;

    /* grows as counts are freed: workers look their counts up again */
    ngx_atomic_t                counters_freed;

    /*
     * the cells, made with the zone and never moved (cell 0 is no
     * cell); where worker 0 looks for a free one next, the last tag
     * given, and how many are given
     */
    ngx_http_swarm_cell_t      *cells;
    ngx_uint_t                  ncells;
    ngx_uint_t                  cell_next;
    ngx_uint_t                  cell_tags;
    ngx_uint_t                  cells_used;

    /*
     * the rate limits' slots and the inflight limits' (as many), made
     * with the zone and never moved
     */
    ngx_http_swarm_slot_t      *limits;
    ngx_atomic_t               *inflight;
    ngx_uint_t                  nlimits;

    size_t                      api_version_len;
    u_char                      api_version[16];

    ngx_http_swarm_figures_t    figures;
    ngx_atomic_t                failures[NGX_HTTP_SWARM_FAIL_KINDS];

    /* the endpoint in use, and the state of each */
    ngx_uint_t                  endpoint;
    ngx_http_swarm_ep_state_t   endpoints[NGX_HTTP_SWARM_ENDPOINTS_MAX];

    /*
     * the requests middlewares answered themselves, by kind and status
     * (ngx_http_swarm_answered()), added to atomically
     */
    ngx_atomic_t                answered[NGX_HTTP_SWARM_MW_KINDS]
                                        [NGX_HTTP_SWARM_MW_CODES];

    /*
     * records worker 0 writes whole (ngx_http_swarm_zone_set_blob()):
     * the certificates of swarm_acme and the answers to pending
     * challenges (JSON), and the tasks it parsed, for the next worker 0
     * (ngx_http_swarm_keep.c), with the key of their digests
     */
    ngx_http_swarm_shm_blob_t   blobs[NGX_HTTP_SWARM_BLOBS];
    u_char                      tasks_key[16];
} ngx_http_swarm_shm_t;


/* the zone as one process sees it */

typedef struct {
    ngx_http_swarm_shm_t       *sh;
    ngx_slab_pool_t            *shpool;
    ngx_atomic_uint_t           epoch;
    ngx_array_t                *upstreams;
} ngx_http_swarm_zone_t;


/* a process's copies of the zone's sets (ngx_http_swarm_view.c) */

typedef struct {
    ngx_array_t                *upstreams;
    ngx_event_t                 check;

    /*
     * a pipe for each worker, made by the master: worker 0 writes a byte
     * to the others' when it publishes, and each copies the new sets as
     * it reads it, between requests
     */
    ngx_fd_t                  (*wake)[2];
    ngx_uint_t                  nwake;
    ngx_connection_t           *waker;

    /* swarm_metrics: tasks are counted */
    ngx_uint_t                  metrics;
} ngx_http_swarm_views_t;


/*
 * A peer as a worker connects to it, and its failures: its cell in the
 * zone and the cell's tag for it, or, if the zone had no cell to give,
 * a cell of this worker's own (tag 0).  What the balancer reads of a
 * peer comes first, in one cache line.
 */

typedef struct {
    struct sockaddr            *sockaddr;
    socklen_t                   socklen;
    ngx_http_swarm_cell_t      *cell;
    ngx_atomic_uint_t           tag;

    /* swarm_slow_start: its current weight, in smooth weighted rounds */
    ngx_int_t                   current;
    ngx_str_t                   name;
    ngx_http_swarm_cell_t       own;
    ngx_sockaddr_t              addr;
} ngx_http_swarm_rpeer_t;


/*
 * A middleware of a route, as a worker runs it
 * (ngx_http_swarm_middleware.c): its handler on the request (NGX_DECLINED
 * to go on, a status to answer), and its handler on the response's
 * headers, if any; what its definition gives, as its type's units read
 * it (ngx_http_swarm_rewrite.c, ngx_http_swarm_headers.c).
 */

typedef struct ngx_http_swarm_mw_s  ngx_http_swarm_mw_t;
typedef struct ngx_http_swarm_backend_s  ngx_http_swarm_backend_t;
typedef struct ngx_http_swarm_cors_s  ngx_http_swarm_cors_t;

typedef ngx_int_t (*ngx_http_swarm_mw_pt)(ngx_http_request_t *r,
    ngx_http_swarm_mw_t *mw);


/* a header to set: its value "" removes it */

typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   value;
} ngx_http_swarm_mw_header_t;


struct ngx_http_swarm_mw_s {
    ngx_http_swarm_mw_pt        handler;
    ngx_http_swarm_mw_pt        response;
    const char                 *name;

    /* what its answers are counted as: NGX_HTTP_SWARM_MW_SCHEME... */
    ngx_uint_t                  kind;

    /* the route it is of ("service/router"), and its type's own */
    const char                 *route;
    void                       *data;

    /* permanent, removeheader, forceslash, forcestsheader */
    unsigned                    flag:1;

    /* a regular expression that starts with "^": one match at the most */
    unsigned                    once:1;
    ngx_uint_t                  status;
    ngx_uint_t                  depth;

    /*
     * scheme and port; replacement; prefix or path; realm (as the
     * WWW-Authenticate value) and headerfield
     */
    ngx_str_t                   s1;
    ngx_str_t                   s2;

    void                       *regex;

    /* prefixes; regexes; users, as name and hash pairs; networks */
    ngx_array_t                *items;

    /* headers */
    ngx_array_t                *request;
    ngx_array_t                *headers;
    ngx_str_t                   sts;
    ngx_http_swarm_cors_t      *cors;

    /*
     * forwardauth, errors: the service whose tasks it calls, and their
     * backend in the route table (the route of that service)
     */
    const char                 *tasks;
    ngx_http_swarm_backend_t   *backend;
};


/* a route's middlewares, in order */

typedef struct {
    ngx_http_swarm_mw_t        *mw;
    ngx_uint_t                  n;
} ngx_http_swarm_mws_t;


/*
 * The tasks a request is balanced among: an upstream's, or a route's,
 * peers[first] to peers[first + npeers - 1] of the copy, with an index
 * of their addresses, the active ones, and the cookie if sticky.
 */

struct ngx_http_swarm_backend_s {
    ngx_uint_t                  first;
    ngx_uint_t                  npeers;
    ngx_uint_t                 *active;
    ngx_uint_t                  nactive;
    ngx_http_swarm_index_t      index;
    ngx_uint_t                 *rr;
    ngx_http_swarm_cookie_t    *cookie;

    /* swarm_slow_start: until when, in ms, one of its tasks has less */
    uint64_t                    ramp_until;

    /* the route's middlewares (ngx_http_swarm_middleware.c), or NULL */
    ngx_http_swarm_mws_t       *mws;
};


typedef struct ngx_http_swarm_routing_s  ngx_http_swarm_routing_t;
typedef struct ngx_http_swarm_key_s  ngx_http_swarm_key_t;


/*
 * A worker's private copy of one generation of a task set.  Requests
 * hold a reference to it until their pool goes, so nothing they point
 * to changes under them; the copy is made between requests.
 */

typedef struct {
    ngx_pool_t                 *pool;
    ngx_uint_t                  refs;
    ngx_atomic_uint_t           generation;
    ngx_uint_t                  npeers;
    ngx_http_swarm_peer_t      *tasks;
    ngx_http_swarm_rpeer_t     *peers;
    ngx_uint_t                 *active;
    ngx_uint_t                  nactive;

    /*
     * the cookie value of task i, at values + i * vstride: its address
     * in tasks, or its keyed value; and their index
     */
    u_char                     *values;
    size_t                      vstride;
    ngx_http_swarm_index_t      index;

    /* the whole set, and, of a routes upstream, its routes */
    ngx_http_swarm_backend_t    all;
    u_char                     *routes;
    size_t                      routes_len;
    ngx_http_swarm_routing_t   *routing;

    /*
     * with swarm_metrics: what this worker counted of each peer since it
     * added it to the zone's counts, and where those are
     */
    ngx_http_swarm_counts_t    *counts;
    ngx_http_swarm_counter_t  **counters;
    ngx_atomic_uint_t           counters_freed;
    ngx_http_swarm_upstream_t  *up;

    /* how long the copy took */
    ngx_uint_t                  build_usec;
} ngx_http_swarm_view_t;


struct ngx_http_swarm_upstream_s {
    ngx_str_t                   name;
    ngx_array_t                *selectors;
    ngx_http_upstream_srv_conf_t  *uscf;
    ngx_http_swarm_zone_t      *zone;
    ngx_http_swarm_shm_up_t    *shm;
    ngx_http_swarm_views_t     *views;
    ngx_http_swarm_view_t      *view;
    ngx_uint_t                  rr;
    ngx_uint_t                  index;

    /* max_fails= and fail_timeout= of swarm_service; swarm_slow_start */
    ngx_uint_t                  max_fails;
    time_t                      fail_timeout;
    ngx_msec_t                  slow_start;

    /* the balancer was set up: no other method took its place */
    unsigned                    balancer:1;

    /* swarm_routes: a route a service, by its labels */
    unsigned                    routes:1;

    /* swarm_routes traefik: every route in Traefik's order */
    unsigned                    traefik:1;

    /* of a routes upstream: the swarm's entrypoints */
    ngx_array_t                *entrypoints;

    /*
     * what the balancer hands over of swarm_sticky: the cookie, NULL if
     * not sticky, and with "value=hmac" the key its values are made with
     */
    ngx_http_swarm_cookie_t    *cookie;
    ngx_http_swarm_key_t       *key;
};


/* swarm_slow_start: a task's full weight; a task just active has 1 */
#define NGX_HTTP_SWARM_WEIGHT        1000

/* a keyed cookie value (ngx_http_swarm_key.c), in characters */
#define NGX_HTTP_SWARM_KEYED_LEN     22



/*
 * A request's route, as swarm_route found it, for the balancer; and the
 * task the balancer chose last, on which copy, and how the cookie went,
 * for the counts and the variables.
 */

typedef struct {
    ngx_http_swarm_upstream_t  *up;
    ngx_http_swarm_view_t      *view;
    ngx_http_swarm_backend_t   *backend;

    ngx_http_swarm_view_t      *peer_view;
    ngx_int_t                   peer;
    ngx_uint_t                  sticky;

    /* a route cookie was set: the response is made private */
    ngx_uint_t                  nocache;

    /*
     * the middlewares of the route that ran, for the response's headers;
     * "resume": one delayed the request, and the next goes on
     */
    ngx_http_swarm_mws_t       *mws;
    ngx_uint_t                  ran;
    ngx_uint_t                  resume;

    /* retry: the tasks the balancer tries, if not all */
    ngx_uint_t                  tries;

    /* buffering: the middlewares that bound the bodies, and their sizes */
    ngx_http_swarm_mw_t        *body_max;
    ngx_http_swarm_mw_t        *response_max;
    off_t                       body_size;
    off_t                       response_size;

    /* compress: its middleware, and its state on the response */
    ngx_http_swarm_mw_t        *compress;
    void                       *zip;

    /*
     * forwardauth: the request's call under way; of the call's own
     * subrequest, its middleware, and the IP address it goes to if not
     * to the backend's tasks
     */
    void                       *forward;
    ngx_http_swarm_mw_t        *auth;
    ngx_addr_t                 *addr;

    /*
     * errors: of the request, its response replaced by a page; of the
     * page's subrequest, the same
     */
    void                       *page;
} ngx_http_swarm_ctx_t;


/*
 * The swarm: what the http block's swarm_* directives set up, with the
 * zone and the views, handed to discovery and to the handlers (the
 * module's main conf, private to ngx_http_swarm_module.c, holds it).
 */

/*
 * swarm_entrypoint: Traefik's entrypoint that servers are; "tls" as its
 * http.tls (every router on it is a TLS router), "default" one of the
 * entrypoints of routers that name none
 */

typedef struct {
    ngx_str_t                   name;
    unsigned                    tls:1;
    unsigned                    dflt:1;
} ngx_http_swarm_entrypoint_t;


/*
 * swarm_acme: a CA that certificates are ordered from, its directory's
 * URL, the contact, the storage folder (no "/" at its end), and a CA
 * certificate to trust, as the master read it ("" for the system's)
 */

typedef struct {
    ngx_str_t                   name;
    ngx_str_t                   server;
    ngx_str_t                   email;
    ngx_str_t                   storage;
    ngx_str_t                   trusted;
    ngx_str_t                   trusted_pem;
} ngx_http_swarm_resolver_t;


typedef struct {
    /* swarm_endpoint, in order, and the swarm_tls_* files */
    ngx_array_t                 endpoints;
    ngx_str_t                   tls_certificate;
    ngx_str_t                   tls_certificate_key;
    ngx_str_t                   tls_trusted_certificate;

    /*
     * their contents, read by the master as it reads the configuration,
     * as nginx reads its own certificates: workers need not be able to
     */
    ngx_str_t                   tls_files[3];

    ngx_msec_t                  interval;
    ngx_msec_t                  timeout;
    size_t                      zone_size;
    size_t                      max_response;
    ngx_array_t                 upstreams;
    ngx_array_t                 selectors;

    /* swarm_allow: the networks task addresses must be in, or NULL */
    ngx_array_t                *allow;

    /* swarm_entrypoint: the servers' entrypoints, by name */
    ngx_array_t                 entrypoints;

    /* swarm_acme, by name */
    ngx_array_t                 resolvers;

    /*
     * in worker 0, the certificates the last refresh's routes ask for
     * (ngx_http_swarm_wanted()'s), and a count bumped as they change
     */
    json_t                     *wanted;
    ngx_uint_t                  wanted_changes;
    ngx_http_swarm_zone_t       zone;
    ngx_http_swarm_views_t      views;
} ngx_http_swarm_t;



extern ngx_module_t  ngx_http_swarm_module;


/* the time of a clock, in ns */

static ngx_inline uint64_t
ngx_http_swarm_clock(clockid_t id)
{
    struct timespec  ts;

    if (clock_gettime(id, &ts) != 0) {
        return 0;
    }

    return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}


/* the longest of the times measured from their start, in ns */

static ngx_inline void
ngx_http_swarm_longest(uint64_t *longest, uint64_t start)
{
    uint64_t  took;

    took = ngx_http_swarm_clock(CLOCK_MONOTONIC) - start;

    if (took > *longest) {
        *longest = took;
    }
}


/*
 * A part of a long piece of work, as the pure layer's functions that go
 * a part at a time: NGX_HTTP_SWARM_MORE while more is left, then
 * NGX_HTTP_SWARM_DONE, or NGX_HTTP_SWARM_FAILED
 */

typedef int (*ngx_http_swarm_part_pt)(void *data);

/* the longest the worker works in one piece before serving again, in ns */
#define NGX_HTTP_SWARM_SLICE         2000000


/*
 * Parts of a long piece of work, until it is done or for at most
 * NGX_HTTP_SWARM_SLICE: NGX_AGAIN while more is left, NGX_OK once it is
 * done, NGX_ERROR if it failed.
 */

static ngx_inline ngx_int_t
ngx_http_swarm_slice(ngx_http_swarm_part_pt part, void *data)
{
    int       rc;
    uint64_t  start;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);

    do {
        rc = part(data);
    } while (rc == NGX_HTTP_SWARM_MORE
             && ngx_http_swarm_clock(CLOCK_MONOTONIC) - start
                < NGX_HTTP_SWARM_SLICE);

    if (rc == NGX_HTTP_SWARM_MORE) {
        return NGX_AGAIN;
    }

    return (rc == NGX_HTTP_SWARM_DONE) ? NGX_OK : NGX_ERROR;
}


/* what failed, into buf, cut on a character boundary */

static ngx_inline void
ngx_http_swarm_verror(char *buf, size_t size, const char *fmt, va_list args)
{
    u_char  *p, *last;

    last = (u_char *) buf + size - 1;

    p = ngx_vslprintf((u_char *) buf, last, fmt, args);

    if (p == last) {
        p = (u_char *) buf
            + ngx_http_swarm_text_utf8_cut((u_char *) buf,
                                           p - (u_char *) buf);
    }

    *p = '\0';
}


/* nginx's cached time, in ms */

static ngx_inline uint64_t
ngx_http_swarm_now_ms(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/*
 * A task's weight at "now" (ms since 1970): from 1 as it became active
 * (when Docker last changed its state) growing in step with time to
 * NGX_HTTP_SWARM_WEIGHT, its full weight, swarm_slow_start later.
 */

static ngx_inline ngx_uint_t
ngx_http_swarm_weight(ngx_msec_t slow_start, ngx_http_swarm_peer_t *task,
    uint64_t now)
{
    uint64_t    since;
    ngx_uint_t  w;

    since = (uint64_t) task->since * 1000;

    if (slow_start == 0 || since == 0 || now >= since + slow_start) {
        return NGX_HTTP_SWARM_WEIGHT;
    }

    if (now <= since) {
        return 1;
    }

    w = (ngx_uint_t) ((now - since) * NGX_HTTP_SWARM_WEIGHT / slow_start);

    return w ? w : 1;
}


/* as a copy is made: until when a task of the backend has less */

static ngx_inline void
ngx_http_swarm_backend_ramp(ngx_http_swarm_backend_t *b,
    ngx_http_swarm_peer_t *tasks, ngx_msec_t slow_start)
{
    uint64_t    until;
    ngx_uint_t  i;

    b->ramp_until = 0;

    if (slow_start == 0) {
        return;
    }

    for (i = 0; i < b->nactive; i++) {
        until = (uint64_t) tasks[b->active[i]].since * 1000 + slow_start;

        if (tasks[b->active[i]].since && until > b->ramp_until) {
            b->ramp_until = until;
        }
    }
}


/* whether the zone's records are this configuration's: no newer one's */

static ngx_inline ngx_uint_t
ngx_http_swarm_zone_current(ngx_http_swarm_zone_t *zone)
{
    return zone->epoch >= zone->sh->epoch;
}


/* the endpoint in use, as worker 0 last said */

static ngx_inline ngx_http_swarm_endpoint_t *
ngx_http_swarm_endpoint(ngx_http_swarm_t *swarm)
{
    ngx_uint_t                  i;
    ngx_http_swarm_endpoint_t  *ep;

    ep = swarm->endpoints.elts;
    i = swarm->zone.sh ? swarm->zone.sh->endpoint : 0;

    return &ep[i < swarm->endpoints.nelts ? i : 0];
}


/* a status's place among those middlewares' answers are counted by */

static ngx_inline ngx_uint_t
ngx_http_swarm_answered(ngx_int_t status)
{
    ngx_uint_t  i;

    static ngx_int_t  codes[] = { 200, 301, 302, 307, 308, 401, 403, 429 };

    for (i = 0; i < NGX_HTTP_SWARM_MW_CODES - 1; i++) {
        if (codes[i] == status) {
            return i;
        }
    }

    return NGX_HTTP_SWARM_MW_CODES - 1;
}


/* a request a middleware of that kind answered itself, counted */

static ngx_inline void
ngx_http_swarm_answer(ngx_http_swarm_ctx_t *ctx, ngx_uint_t kind,
    ngx_int_t status)
{
    (void) ngx_atomic_fetch_add(
               &ctx->up->zone->sh->answered[kind]
                                           [ngx_http_swarm_answered(status)],
               1);
}


/* the request's swarm context, made if it has none */

static ngx_inline ngx_http_swarm_ctx_t *
ngx_http_swarm_ctx(ngx_http_request_t *r)
{
    ngx_http_swarm_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_swarm_module);

    if (ctx == NULL) {
        ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_swarm_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        ctx->peer = -1;

        ngx_http_set_ctx(r, ctx, ngx_http_swarm_module);
    }

    return ctx;
}




#endif /* _NGX_HTTP_SWARM_H_INCLUDED_ */
