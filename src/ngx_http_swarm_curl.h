
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The transport (ngx_http_swarm_curl.c): GET requests to the Docker
 * Engine API, and an ACME CA's POST and HEAD requests, through libcurl's
 * multi_socket API, driven by nginx events and timers.
 * Its users see a request call and callbacks: "done" once a transfer is
 * over and, for a stream, "ready" once it is answered 200 and "line"
 * for each line of the answer.
 */


#ifndef _NGX_HTTP_SWARM_CURL_H_INCLUDED_
#define _NGX_HTTP_SWARM_CURL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <curl/curl.h>
#include <jansson.h>

#include "ngx_http_swarm.h"


typedef struct ngx_http_swarm_get_s  ngx_http_swarm_get_t;

typedef void (*ngx_http_swarm_get_done_pt)(ngx_http_swarm_get_t *get);
typedef void (*ngx_http_swarm_get_ready_pt)(ngx_http_swarm_get_t *get);
typedef void (*ngx_http_swarm_get_line_pt)(ngx_http_swarm_get_t *get,
    u_char *line, size_t len);


/*
 * One curl multi handle: the endpoint its requests go to, the TLS files
 * of https:// endpoints, and its sockets as events.
 */

typedef struct {
    CURLM                      *multi;
    ngx_log_t                  *log;
    ngx_http_swarm_endpoint_t  *endpoint;
    ngx_http_swarm_t           *swarm;
    ngx_msec_t                  timeout;
    ngx_event_t                 timer;

    /* answer bytes taken in this cycle */
    size_t                      received;

    /* the longest a call into curl took since it was last zeroed, in ns */
    uint64_t                    longest;
} ngx_http_swarm_curl_t;


/*
 * One request at a time: an answer, kept whole in one reservation of
 * "max" bytes and taken a slice a cycle, or a stream, given line by line
 * while its status is 200.
 */

struct ngx_http_swarm_get_s {
    ngx_http_swarm_curl_t      *curl;
    CURL                       *easy;
    void                       *data;

    /* the endpoint asked, if not the one of the multi handle */
    ngx_http_swarm_endpoint_t  *endpoint;
    ngx_http_swarm_get_done_pt  done;
    ngx_http_swarm_get_ready_pt  ready;
    ngx_http_swarm_get_line_pt  line;
    char                       *url;

    /* once done: NULL or what failed, the system's error, the status */
    const char                 *error;
    long                        os_errno;
    long                        code;

    /* curl's words on what failed, as its error buffer has them */
    char                        detail[CURL_ERROR_SIZE];

    /* the Api-Version header, "" if none */
    char                        api_version[16];

    /* an ACME CA's Replay-Nonce and Location headers, "" if none */
    char                        nonce[128];
    char                        location[512];

    u_char                     *body;
    size_t                      len;
    size_t                      max;
    size_t                      touched;
    size_t                      largest;
    ngx_event_t                 resume;

    u_char                     *buf;
    size_t                      buf_len;

    unsigned                    active:1;
    unsigned                    paused:1;
    unsigned                    overflow:1;
    unsigned                    skip:1;
};


ngx_int_t ngx_http_swarm_curl_global_init(ngx_log_t *log);
ngx_int_t ngx_http_swarm_curl_open(ngx_http_swarm_curl_t *curl,
    ngx_log_t *log, ngx_http_swarm_t *swarm);
void ngx_http_swarm_curl_cleanup(ngx_http_swarm_curl_t *curl);

ngx_int_t ngx_http_swarm_curl_get_setup(ngx_http_swarm_get_t *get,
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, size_t max);
ngx_int_t ngx_http_swarm_curl_get(ngx_http_swarm_get_t *get,
    const char *version, const char *path, json_t *filters, char *err,
    size_t errlen);
ngx_int_t ngx_http_swarm_curl_post(ngx_http_swarm_get_t *get,
    const char *url, const char *body, ngx_str_t *ca, char *err,
    size_t errlen);
void ngx_http_swarm_curl_get_trim(ngx_http_swarm_get_t *get);
void ngx_http_swarm_curl_get_cancel(ngx_http_swarm_get_t *get);
void ngx_http_swarm_curl_get_close(ngx_http_swarm_get_t *get);

ngx_msec_t ngx_http_swarm_curl_backoff(ngx_uint_t failures, ngx_msec_t max);


#endif /* _NGX_HTTP_SWARM_CURL_H_INCLUDED_ */
