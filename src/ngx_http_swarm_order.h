
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * An ACME order (ngx_http_swarm_order.c): the requests that get one
 * certificate from a CA with an account of swarm_acme, one state a
 * request, through the transport; its user sees a start call and two
 * callbacks: "token" as a challenge's answer is to be served, "done"
 * with the chain and its key, or what failed.
 */


#ifndef _NGX_HTTP_SWARM_ORDER_H_INCLUDED_
#define _NGX_HTTP_SWARM_ORDER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <jansson.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_pki.h"
#include "ngx_http_swarm_curl.h"


/* a swarm_acme's account, as worker 0 holds it */

typedef struct {
    ngx_http_swarm_resolver_t        *res;
    EVP_PKEY                         *key;
    char                              jwk[256];
    char                              thumbprint[64];

    /* the account's URL, "" until known; the CA's directory */
    char                              kid[NGX_HTTP_SWARM_ACME_URL_LEN];
    ngx_http_swarm_acme_directory_t   dir;
    unsigned                          dir_known:1;
} ngx_http_swarm_account_t;


typedef enum {
    NGX_HTTP_SWARM_ORDER_IDLE = 0,
    NGX_HTTP_SWARM_ORDER_DIRECTORY,
    NGX_HTTP_SWARM_ORDER_NONCE,
    NGX_HTTP_SWARM_ORDER_ACCOUNT,
    NGX_HTTP_SWARM_ORDER_ORDER,
    NGX_HTTP_SWARM_ORDER_AUTHZ,
    NGX_HTTP_SWARM_ORDER_CHALLENGE,
    NGX_HTTP_SWARM_ORDER_FINALIZE,
    NGX_HTTP_SWARM_ORDER_POLL,
    NGX_HTTP_SWARM_ORDER_CERT
} ngx_http_swarm_order_state_e;


typedef struct ngx_http_swarm_order_s  ngx_http_swarm_order_t;

typedef void (*ngx_http_swarm_order_pt)(ngx_http_swarm_order_t *o);


struct ngx_http_swarm_order_s {
    ngx_log_t                        *log;
    ngx_http_swarm_curl_t             curl;
    ngx_http_swarm_get_t              get;
    ngx_event_t                       answer;
    ngx_event_t                       timer;

    ngx_http_swarm_order_pt           token;
    ngx_http_swarm_order_pt           done;
    void                             *data;

    ngx_http_swarm_order_state_e      state;
    ngx_http_swarm_account_t         *acct;
    char                              main[NGX_HTTP_SWARM_ACME_HOST_LEN];
    json_t                           *names;

    /* the answers to its pending challenges, by token */
    json_t                           *tokens;

    /* once done: NGX_OK with the chain, its key and what it says */
    ngx_int_t                         rc;
    char                              error[NGX_HTTP_SWARM_ERR_LEN];
    ngx_str_t                         chain;
    char                             *key_pem;
    ngx_http_swarm_pki_info_t         info;

    char                              order_url[NGX_HTTP_SWARM_ACME_URL_LEN];
    ngx_http_swarm_acme_order_t       order;
    ngx_uint_t                        authz;
    ngx_uint_t                        polls;
    ngx_uint_t                        bad_nonces;
    EVP_PKEY                         *cert_key;
    char                              nonce[128];

    /* the request under way, to send again with a new nonce */
    char                              url[NGX_HTTP_SWARM_ACME_URL_LEN];
    json_t                           *payload;
    unsigned                          post_as_get:1;
};


ngx_int_t ngx_http_swarm_order_open(ngx_http_swarm_order_t *o,
    ngx_http_swarm_t *swarm, ngx_pool_t *pool, ngx_log_t *log);
void ngx_http_swarm_order_start(ngx_http_swarm_order_t *o,
    ngx_http_swarm_account_t *acct, const char *main, json_t *names);
void ngx_http_swarm_order_close(ngx_http_swarm_order_t *o);


#endif /* _NGX_HTTP_SWARM_ORDER_H_INCLUDED_ */
