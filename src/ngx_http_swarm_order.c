
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * An ACME order (RFC 8555 7.4), one state a request: the directory, a
 * nonce, the account (made, or found by its key), the order, each
 * authorization (its http-01 challenge answered, then polled each
 * second), the finalization with a CSR of a new P-256 key, the order
 * polled, the certificate.  Every request but the directory's and the
 * nonce's is a JWS signed with the account's key.  Each answer comes
 * through the transport's callback, which posts an event, where curl
 * may be called again: no step waits, none blocks the worker.  A
 * refusal for a bad nonce is sent again with the new one, three times
 * at the most.  The answers to the challenges are kept in the storage
 * too, for other nginx sharing it, and dropped as the order ends.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <openssl/crypto.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_pki.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_store.h"
#include "ngx_http_swarm_order.h"


/* polls of an authorization or an order before it is given up */
#define NGX_HTTP_SWARM_ORDER_POLLS     60

/* the longest answer of a CA: a chain of certificates */
#define NGX_HTTP_SWARM_ORDER_ANSWER    (256 * 1024)


typedef ngx_int_t (*ngx_http_swarm_order_handler_pt)(
    ngx_http_swarm_order_t *o);


static void ngx_http_swarm_order_tick(ngx_event_t *ev);
static ngx_int_t ngx_http_swarm_order_send(ngx_http_swarm_order_t *o,
    ngx_http_swarm_order_state_e state, const char *url, json_t *payload,
    ngx_uint_t post_as_get);
static ngx_int_t ngx_http_swarm_order_resend(ngx_http_swarm_order_t *o);
static void ngx_http_swarm_order_done(ngx_http_swarm_get_t *get);
static void ngx_http_swarm_order_answer(ngx_event_t *ev);
static ngx_int_t ngx_http_swarm_order_directory(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_nonce(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_account(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_new_order(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_order(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_next_authz(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_authz(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_challenge(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_finalize(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_cert(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_wait(ngx_http_swarm_order_t *o);
static ngx_int_t ngx_http_swarm_order_problem(ngx_http_swarm_order_t *o,
    const char *what);
static ngx_int_t ngx_http_swarm_order_fail(ngx_http_swarm_order_t *o,
    const char *fmt, ...);
static void ngx_http_swarm_order_end(ngx_http_swarm_order_t *o);
static void ngx_http_swarm_order_token(ngx_http_swarm_order_t *o,
    const char *token, const char *keyauth);


/* what each state does with its answer */

static ngx_http_swarm_order_handler_pt  ngx_http_swarm_order_handlers[] = {
    NULL,                                             /* IDLE */
    ngx_http_swarm_order_directory,                   /* DIRECTORY */
    ngx_http_swarm_order_nonce,                       /* NONCE */
    ngx_http_swarm_order_account,                     /* ACCOUNT */
    ngx_http_swarm_order_order,                       /* ORDER */
    ngx_http_swarm_order_authz,                       /* AUTHZ */
    ngx_http_swarm_order_challenge,                   /* CHALLENGE */
    ngx_http_swarm_order_order,                       /* FINALIZE */
    ngx_http_swarm_order_order,                       /* POLL */
    ngx_http_swarm_order_cert                         /* CERT */
};


/* the transport and the events; the callbacks are the user's to set */

ngx_int_t
ngx_http_swarm_order_open(ngx_http_swarm_order_t *o, ngx_http_swarm_t *swarm,
    ngx_pool_t *pool, ngx_log_t *log)
{
    o->log = log;

    o->tokens = json_object();
    if (o->tokens == NULL) {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_curl_open(&o->curl, log, swarm) != NGX_OK) {
        return NGX_ERROR;
    }

    o->curl.timeout = 30000;
    o->get.done = ngx_http_swarm_order_done;
    o->get.data = o;

    if (ngx_http_swarm_curl_get_setup(&o->get, &o->curl, pool,
                                      NGX_HTTP_SWARM_ORDER_ANSWER)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    o->answer.handler = ngx_http_swarm_order_answer;
    o->answer.data = o;
    o->answer.log = log;

    o->timer.handler = ngx_http_swarm_order_tick;
    o->timer.data = o;
    o->timer.log = log;
    o->timer.cancelable = 1;

    return NGX_OK;
}


/* an order for the names with the account: the directory first, unless
 * known */

void
ngx_http_swarm_order_start(ngx_http_swarm_order_t *o,
    ngx_http_swarm_account_t *acct, const char *main, json_t *names)
{
    ngx_int_t  rc;

    o->acct = acct;
    o->names = json_incref(names);
    o->bad_nonces = 0;
    o->rc = NGX_ERROR;
    o->state = NGX_HTTP_SWARM_ORDER_DIRECTORY;
    ngx_cpystrn((u_char *) o->main, (u_char *) main, sizeof(o->main));

    if (!acct->dir_known) {
        rc = ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_DIRECTORY,
                                       (char *) acct->res->server.data,
                                       NULL, 0);

    } else {
        rc = ngx_http_swarm_order_directory(o);
    }

    if (rc != NGX_OK) {
        (void) ngx_http_swarm_order_fail(o, "the request cannot be sent");
    }
}


/* a poll is due */

static void
ngx_http_swarm_order_tick(ngx_event_t *ev)
{
    ngx_http_swarm_order_t *o = ev->data;

    if (o->state != NGX_HTTP_SWARM_ORDER_IDLE
        && ngx_http_swarm_order_resend(o) != NGX_OK)
    {
        (void) ngx_http_swarm_order_fail(o, "the request cannot be sent");
    }
}


/*
 * A request: with a payload (or as POST-as-GET), a JWS signed with the
 * account's key, with its nonce; else a GET
 */

static ngx_int_t
ngx_http_swarm_order_send(ngx_http_swarm_order_t *o,
    ngx_http_swarm_order_state_e state, const char *url, json_t *payload,
    ngx_uint_t post_as_get)
{
    if (o->payload != payload) {
        json_decref(o->payload);
        o->payload = payload;
    }

    o->state = state;
    o->post_as_get = post_as_get;
    ngx_cpystrn((u_char *) o->url, (u_char *) url, sizeof(o->url));

    return ngx_http_swarm_order_resend(o);
}


static ngx_int_t
ngx_http_swarm_order_resend(ngx_http_swarm_order_t *o)
{
    char       *input, *body, err[NGX_HTTP_SWARM_ERR_LEN];
    u_char      sig[64];
    ngx_int_t   rc;

    if (o->payload == NULL && !o->post_as_get) {
        return ngx_http_swarm_curl_post(&o->get, o->url, NULL,
                                        &o->acct->res->trusted_pem, err,
                                        sizeof(err));
    }

    input = ngx_http_swarm_acme_signing_input(o->url, o->nonce,
                                              o->acct->kid[0]
                                              ? o->acct->kid : NULL,
                                              o->acct->jwk, o->payload);
    if (input == NULL) {
        return NGX_ERROR;
    }

    body = NULL;

    if (ngx_http_swarm_pki_sign(o->acct->key, input, sig) == NGX_OK) {
        body = ngx_http_swarm_acme_jws(input, sig, sizeof(sig));
    }

    free(input);

    if (body == NULL) {
        return NGX_ERROR;
    }

    /* a nonce is used once */

    o->nonce[0] = '\0';

    rc = ngx_http_swarm_curl_post(&o->get, o->url, body,
                                  &o->acct->res->trusted_pem, err,
                                  sizeof(err));
    free(body);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, o->log, 0, "swarm_acme \"%V\": %s",
                      &o->acct->res->name, err);
    }

    return rc;
}


/* curl may not be called from its callback: the answer is posted */

static void
ngx_http_swarm_order_done(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_order_t *o = get->data;

    ngx_post_event(&o->answer, &ngx_posted_events);
}


static void
ngx_http_swarm_order_answer(ngx_event_t *ev)
{
    ngx_http_swarm_order_t *o = ev->data;

    ngx_int_t              rc;
    ngx_http_swarm_get_t  *get;

    get = &o->get;

    if (get->nonce[0]) {
        ngx_cpystrn((u_char *) o->nonce, (u_char *) get->nonce,
                    sizeof(o->nonce));
    }

    if (get->error) {
        rc = ngx_http_swarm_order_fail(o, "%s %s", get->error, get->detail);

    } else if (get->overflow) {
        rc = ngx_http_swarm_order_fail(o, "an answer over %uz bytes",
                                    (size_t) NGX_HTTP_SWARM_ORDER_ANSWER);

    } else if (get->code == 400 && o->bad_nonces < 3
               && ngx_strlcasestrn(get->body, get->body + get->len,
                                   (u_char *) "badNonce", 8 - 1)
                  != NULL)
    {
        /* RFC 8555 6.5: sent again, with the nonce of the refusal */
        o->bad_nonces++;
        rc = ngx_http_swarm_order_resend(o);

    } else {
        rc = ngx_http_swarm_order_handlers[o->state](o);
    }

    ngx_http_swarm_curl_get_trim(get);

    if (rc != NGX_OK) {
        (void) ngx_http_swarm_order_fail(o, "the request cannot be sent");
    }
}


static ngx_int_t
ngx_http_swarm_order_directory(ngx_http_swarm_order_t *o)
{
    char  err[NGX_HTTP_SWARM_ERR_LEN];

    if (!o->acct->dir_known) {
        if (o->get.code != 200) {
            return ngx_http_swarm_order_fail(o, "the directory \"%V\" answered "
                                          "%l", &o->acct->res->server,
                                          o->get.code);
        }

        if (ngx_http_swarm_acme_directory((char *) o->get.body, o->get.len,
                                          &o->acct->dir, err, sizeof(err))
            != 0)
        {
            return ngx_http_swarm_order_fail(o, "the directory \"%V\": %s",
                                          &o->acct->res->server, err);
        }

        if (o->acct->dir.eab) {
            return ngx_http_swarm_order_fail(o, "the CA needs an external "
                                          "account binding, which is not "
                                          "made here");
        }

        o->acct->dir_known = 1;
    }

    if (o->nonce[0] == '\0') {
        return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_NONCE,
                                      o->acct->dir.new_nonce, NULL, 0);
    }

    return ngx_http_swarm_order_nonce(o);
}


static ngx_int_t
ngx_http_swarm_order_nonce(ngx_http_swarm_order_t *o)
{
    json_t  *payload;

    if (o->nonce[0] == '\0') {
        return ngx_http_swarm_order_fail(o, "newNonce answered %l with no "
                                      "Replay-Nonce", o->get.code);
    }

    if (o->acct->kid[0]) {
        return ngx_http_swarm_order_new_order(o);
    }

    payload = ngx_http_swarm_acme_account_payload(
                  o->acct->res->email.len
                  ? (char *) o->acct->res->email.data : NULL);

    return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_ACCOUNT,
                                  o->acct->dir.new_account, payload, 0);
}


/* the account: made, or found by its key (200); its URL is its "kid" */

static ngx_int_t
ngx_http_swarm_order_account(ngx_http_swarm_order_t *o)
{
    if (o->get.code != 200 && o->get.code != 201) {
        return ngx_http_swarm_order_problem(o, "newAccount");
    }

    if (!ngx_http_swarm_acme_url_valid(o->get.location)) {
        return ngx_http_swarm_order_fail(o, "newAccount answered no account "
                                      "URL");
    }

    ngx_cpystrn((u_char *) o->acct->kid, (u_char *) o->get.location,
                sizeof(o->acct->kid));

    return ngx_http_swarm_order_new_order(o);
}


static ngx_int_t
ngx_http_swarm_order_new_order(ngx_http_swarm_order_t *o)
{
    json_t  *payload;

    payload = ngx_http_swarm_acme_order_payload(o->names);
    o->order_url[0] = '\0';

    return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_ORDER,
                                  o->acct->dir.new_order, payload, 0);
}


/*
 * An order, as newOrder, finalize or a poll answers it: its
 * authorizations while pending, finalized once ready, polled while
 * processing, its certificate once valid
 */

static ngx_int_t
ngx_http_swarm_order_order(ngx_http_swarm_order_t *o)
{
    char  err[NGX_HTTP_SWARM_ERR_LEN];

    if (o->get.code != 200 && o->get.code != 201) {
        return ngx_http_swarm_order_problem(o, "the order");
    }

    if (o->state == NGX_HTTP_SWARM_ORDER_ORDER) {
        if (!ngx_http_swarm_acme_url_valid(o->get.location)) {
            return ngx_http_swarm_order_fail(o, "newOrder answered no order "
                                          "URL");
        }

        ngx_cpystrn((u_char *) o->order_url, (u_char *) o->get.location,
                    sizeof(o->order_url));
    }

    if (ngx_http_swarm_acme_order((char *) o->get.body, o->get.len,
                                  &o->order, err, sizeof(err))
        != 0)
    {
        return ngx_http_swarm_order_fail(o, "the order: %s", err);
    }

    switch (o->order.status) {

    case NGX_HTTP_SWARM_ACME_PENDING:
        if (o->state != NGX_HTTP_SWARM_ORDER_ORDER) {
            /* its authorizations valid, and the order not yet ready */
            return ngx_http_swarm_order_wait(o);
        }

        o->authz = 0;

        return ngx_http_swarm_order_next_authz(o);

    case NGX_HTTP_SWARM_ACME_READY:
        if (o->state == NGX_HTTP_SWARM_ORDER_FINALIZE) {
            return ngx_http_swarm_order_wait(o);
        }

        return ngx_http_swarm_order_finalize(o);

    case NGX_HTTP_SWARM_ACME_PROCESSING:
        o->state = NGX_HTTP_SWARM_ORDER_POLL;
        return ngx_http_swarm_order_wait(o);

    case NGX_HTTP_SWARM_ACME_VALID:
        return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_CERT,
                                      o->order.certificate, NULL, 1);

    default:
        return ngx_http_swarm_order_fail(o, "the order is invalid: %s",
                                      o->order.error[0] ? o->order.error
                                                         : "no error given");
    }
}


/* the next authorization asked for, or, all valid, the order polled */

static ngx_int_t
ngx_http_swarm_order_next_authz(ngx_http_swarm_order_t *o)
{
    o->polls = 0;

    if (o->authz < o->order.nauthz) {
        return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_AUTHZ,
                                      o->order.authorizations[o->authz],
                                      NULL, 1);
    }

    return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_POLL, o->order_url,
                                  NULL, 1);
}


/*
 * An authorization: valid, the next; pending, its http-01 challenge
 * answered (the key authorization in the zone and the storage first),
 * or, once answered, polled; invalid, the order fails with its error
 */

static ngx_int_t
ngx_http_swarm_order_authz(ngx_http_swarm_order_t *o)
{
    char                         err[NGX_HTTP_SWARM_ERR_LEN];
    char                         keyauth[NGX_HTTP_SWARM_ACME_TOKEN_LEN + 80];
    ngx_http_swarm_acme_authz_t  a;

    if (o->get.code != 200) {
        return ngx_http_swarm_order_problem(o, "an authorization");
    }

    if (ngx_http_swarm_acme_authz((char *) o->get.body, o->get.len, &a,
                                  err, sizeof(err))
        != 0)
    {
        return ngx_http_swarm_order_fail(o, "an authorization: %s", err);
    }

    switch (a.status) {

    case NGX_HTTP_SWARM_ACME_VALID:
        o->authz++;
        return ngx_http_swarm_order_next_authz(o);

    case NGX_HTTP_SWARM_ACME_PENDING:
        if (a.challenge[0] == '\0') {
            return ngx_http_swarm_order_fail(o, "\"%s\" has no http-01 "
                                          "challenge", a.name);
        }

        if (o->polls > 0) {
            if (a.challenge_status == NGX_HTTP_SWARM_ACME_INVALID) {
                return ngx_http_swarm_order_fail(o, "\"%s\": %s", a.name,
                                              a.error);
            }

            return ngx_http_swarm_order_wait(o);
        }

        ngx_sprintf((u_char *) keyauth, "%s.%s%Z", a.token,
                    o->acct->thumbprint);

        ngx_http_swarm_order_token(o, a.token, keyauth);

        return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_CHALLENGE,
                                      a.challenge, json_object(), 0);

    default:
        return ngx_http_swarm_order_fail(o, "\"%s\" was not validated: %s",
                                      a.name,
                                      a.error[0] ? a.error : "no error given");
    }
}


/* the challenge is being validated: its authorization polled */

static ngx_int_t
ngx_http_swarm_order_challenge(ngx_http_swarm_order_t *o)
{
    if (o->get.code != 200) {
        return ngx_http_swarm_order_problem(o, "the challenge");
    }

    o->state = NGX_HTTP_SWARM_ORDER_AUTHZ;
    ngx_cpystrn((u_char *) o->url,
                (u_char *) o->order.authorizations[o->authz],
                sizeof(o->url));
    json_decref(o->payload);
    o->payload = NULL;
    o->post_as_get = 1;

    return ngx_http_swarm_order_wait(o);
}


/* a new key, and a CSR of it for the names */

static ngx_int_t
ngx_http_swarm_order_finalize(ngx_http_swarm_order_t *o)
{
    u_char     *der;
    size_t      len;
    json_t     *payload;

    if (o->cert_key) {
        EVP_PKEY_free(o->cert_key);
    }

    o->cert_key = ngx_http_swarm_pki_key_new();

    if (o->cert_key == NULL
        || ngx_http_swarm_pki_csr(o->cert_key,
                                  o->names,
                                  &der, &len)
           != NGX_OK)
    {
        return ngx_http_swarm_order_fail(o, "no key or CSR could be made");
    }

    payload = ngx_http_swarm_acme_finalize_payload(der, len);
    OPENSSL_free(der);

    o->polls = 0;

    return ngx_http_swarm_order_send(o, NGX_HTTP_SWARM_ORDER_FINALIZE,
                                  o->order.finalize, payload, 0);
}


/* the chain: checked with its key, and handed over; the order is over */

static ngx_int_t
ngx_http_swarm_order_cert(ngx_http_swarm_order_t *o)
{
    char                       err[NGX_HTTP_SWARM_ERR_LEN];
    ngx_http_swarm_pki_cert_t  cert;

    if (o->get.code != 200) {
        return ngx_http_swarm_order_problem(o, "the certificate");
    }

    o->key_pem = ngx_http_swarm_pki_key_pem(o->cert_key);
    if (o->key_pem == NULL) {
        return ngx_http_swarm_order_fail(o, "out of memory");
    }

    if (ngx_http_swarm_pki_chain(o->get.body, o->get.len,
                                 (u_char *) o->key_pem,
                                 ngx_strlen(o->key_pem), &cert, &o->info,
                                 err, sizeof(err))
        != NGX_OK)
    {
        return ngx_http_swarm_order_fail(o, "the certificate: %s", err);
    }

    ngx_http_swarm_pki_cert_free(&cert);

    o->chain.data = o->get.body;
    o->chain.len = o->get.len;
    o->rc = NGX_OK;
    o->error[0] = '\0';

    o->done(o);

    ngx_http_swarm_order_end(o);

    return NGX_OK;
}


/* a poll, a second from now */

static ngx_int_t
ngx_http_swarm_order_wait(ngx_http_swarm_order_t *o)
{
    if (++o->polls > NGX_HTTP_SWARM_ORDER_POLLS) {
        return ngx_http_swarm_order_fail(o, "not done after %d polls",
                                      NGX_HTTP_SWARM_ORDER_POLLS);
    }

    if (o->state != NGX_HTTP_SWARM_ORDER_AUTHZ) {
        ngx_cpystrn((u_char *) o->url, (u_char *) o->order_url,
                    sizeof(o->url));
        json_decref(o->payload);
        o->payload = NULL;
        o->post_as_get = 1;
        o->state = NGX_HTTP_SWARM_ORDER_POLL;
    }

    if (o->timer.timer_set) {
        ngx_del_timer(&o->timer);
    }

    ngx_add_timer(&o->timer, 1000);

    return NGX_OK;
}


/* what the CA said when it refused, if it said it in a problem document */

static ngx_int_t
ngx_http_swarm_order_problem(ngx_http_swarm_order_t *o, const char *what)
{
    char  problem[NGX_HTTP_SWARM_ERR_LEN];

    if (ngx_http_swarm_acme_problem((char *) o->get.body, o->get.len,
                                    problem, sizeof(problem))
        != 0)
    {
        ngx_cpystrn((u_char *) problem, (u_char *) "no problem document",
                    sizeof(problem));
    }

    return ngx_http_swarm_order_fail(o, "%s answered %l: %s", what,
                                  o->get.code, problem);
}


/* the order failed: what failed handed over; NGX_OK, as it is handled */

static ngx_int_t
ngx_http_swarm_order_fail(ngx_http_swarm_order_t *o, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    if (o->state == NGX_HTTP_SWARM_ORDER_IDLE) {
        return NGX_OK;
    }

    va_start(args, fmt);
    p = ngx_vslprintf((u_char *) o->error,
                      (u_char *) o->error + sizeof(o->error) - 1, fmt, args);
    va_end(args);

    *p = '\0';

    o->rc = NGX_ERROR;

    /* the next order asks the CA afresh: it may have lost the account */

    o->acct->kid[0] = '\0';
    o->acct->dir_known = 0;

    o->done(o);

    ngx_http_swarm_order_end(o);

    return NGX_OK;
}


/* the order is over: its challenges no longer answered */

static void
ngx_http_swarm_order_end(ngx_http_swarm_order_t *o)
{
    char         name[NGX_HTTP_SWARM_ACME_TOKEN_LEN + 16];
    void        *tmp;
    json_t      *v;
    const char  *token;

    json_object_foreach_safe(o->tokens, tmp, token, v) {
        ngx_sprintf((u_char *) name, "challenges/%s%Z", token);
        ngx_http_swarm_store_remove(o->acct->res, name, o->log);
        json_object_del(o->tokens, token);
    }

    if (o->timer.timer_set) {
        ngx_del_timer(&o->timer);
    }

    json_decref(o->payload);
    o->payload = NULL;

    if (o->cert_key) {
        EVP_PKEY_free(o->cert_key);
        o->cert_key = NULL;
    }

    if (o->key_pem) {
        OPENSSL_cleanse(o->key_pem, ngx_strlen(o->key_pem));
        ngx_free(o->key_pem);
        o->key_pem = NULL;
    }

    json_decref(o->names);
    o->names = NULL;
    o->chain.len = 0;
    o->state = NGX_HTTP_SWARM_ORDER_IDLE;
}


/* a challenge's answer: in the zone for the workers, in the storage for
 * other nginx sharing it */

static void
ngx_http_swarm_order_token(ngx_http_swarm_order_t *o, const char *token,
    const char *keyauth)
{
    char  name[NGX_HTTP_SWARM_ACME_TOKEN_LEN + 16];

    ngx_sprintf((u_char *) name, "challenges/%s%Z", token);

    (void) ngx_http_swarm_store_write(o->acct->res, name, (u_char *) keyauth,
                                      ngx_strlen(keyauth), o->log);

    json_object_set_new(o->tokens, token, json_string(keyauth));

    o->token(o);
}


void
ngx_http_swarm_order_close(ngx_http_swarm_order_t *o)
{
    if (o->answer.posted) {
        ngx_delete_posted_event(&o->answer);
    }

    if (o->timer.timer_set) {
        ngx_del_timer(&o->timer);
    }

    ngx_http_swarm_curl_get_close(&o->get);
    ngx_http_swarm_curl_cleanup(&o->curl);

    if (o->cert_key) {
        EVP_PKEY_free(o->cert_key);
        o->cert_key = NULL;
    }

    json_decref(o->payload);
    json_decref(o->names);
    json_decref(o->tokens);
    o->payload = NULL;
    o->names = NULL;
    o->tokens = NULL;
}
