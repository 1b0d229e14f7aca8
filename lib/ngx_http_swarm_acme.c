
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * ACME (RFC 8555), the pure part: the directory, order, authorization
 * and problem documents a CA answers, read into plain structs; the JSON
 * of a request (its payloads, its protected header, the JWS around a
 * signature made elsewhere); base64url; a PEM chain's certificates
 * found; when a certificate is renewed.  Pure: jansson and libc only.
 */


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ngx_http_swarm_lib.h"


static json_t *ngx_http_swarm_acme_load(const char *data, size_t len,
    char *err, size_t errlen);
static int ngx_http_swarm_acme_url(json_t *obj, const char *key, char *dst,
    int need, char *err, size_t errlen);
static void ngx_http_swarm_acme_error(json_t *obj, char *out,
    size_t outlen);
static char *ngx_http_swarm_acme_b64_json(json_t *j);
static void ngx_http_swarm_acme_clean(char *s);


static const char  ngx_http_swarm_acme_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/* an object's status, as RFC 8555 7.1.6 names them */

int
ngx_http_swarm_acme_status(const char *s)
{
    static const char  *names[] = {
        "pending", "ready", "processing", "valid", "invalid",
        "deactivated", "expired", "revoked"
    };

    size_t  i;

    if (s == NULL) {
        return -1;
    }

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            return i < NGX_HTTP_SWARM_ACME_INVALID
                   ? (int) i : NGX_HTTP_SWARM_ACME_INVALID;
        }
    }

    return -1;
}


/*
 * A problem document (RFC 8555 6.7, RFC 7807): "detail (type)" with the
 * "urn:ietf:params:acme:error:" of its type left out, and the detail of
 * its first subproblem; 0 if it is one, -1 if not
 */

int
ngx_http_swarm_acme_problem(const char *data, size_t len, char *out,
    size_t outlen)
{
    int          rc;
    json_t      *j;

    j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    if (j == NULL) {
        return -1;
    }

    rc = ngx_http_swarm_acme_problem_json(j, out, outlen);

    json_decref(j);

    return rc;
}


int
ngx_http_swarm_acme_problem_json(json_t *j, char *out, size_t outlen)
{
    json_t      *sub;
    const char  *type, *detail, *subdetail;

    if (!json_is_object(j)) {
        return -1;
    }

    type = json_string_value(json_object_get(j, "type"));
    detail = json_string_value(json_object_get(j, "detail"));

    if (type == NULL) {
        return -1;
    }

    if (strncmp(type, "urn:ietf:params:acme:error:", 27) == 0) {
        type += 27;
    }

    subdetail = NULL;
    sub = json_object_get(j, "subproblems");

    if (json_is_array(sub) && json_array_size(sub) > 0) {
        subdetail = json_string_value(json_object_get(json_array_get(sub, 0),
                                                      "detail"));
    }

    snprintf(out, outlen, "%.200s (%.64s)%s%.200s",
             detail ? detail : "no detail", type,
             subdetail ? ": " : "", subdetail ? subdetail : "");

    ngx_http_swarm_acme_clean(out);

    return 0;
}


int
ngx_http_swarm_acme_directory(const char *data, size_t len,
    ngx_http_swarm_acme_directory_t *dir, char *err, size_t errlen)
{
    json_t  *j, *meta;

    memset(dir, 0, sizeof(ngx_http_swarm_acme_directory_t));

    j = ngx_http_swarm_acme_load(data, len, err, errlen);
    if (j == NULL) {
        return -1;
    }

    if (ngx_http_swarm_acme_url(j, "newNonce", dir->new_nonce, 1,
                                err, errlen) != 0
        || ngx_http_swarm_acme_url(j, "newAccount", dir->new_account, 1,
                                   err, errlen) != 0
        || ngx_http_swarm_acme_url(j, "newOrder", dir->new_order, 1,
                                   err, errlen) != 0)
    {
        json_decref(j);
        return -1;
    }

    meta = json_object_get(j, "meta");

    if (json_is_object(meta)
        && json_is_true(json_object_get(meta, "externalAccountRequired")))
    {
        dir->eab = 1;
    }

    json_decref(j);

    return 0;
}


/*
 * An order (RFC 8555 7.1.3): its status, its authorizations, where it is
 * finalized, its certificate once valid, and the CA's error if invalid
 */

int
ngx_http_swarm_acme_order(const char *data, size_t len,
    ngx_http_swarm_acme_order_t *order, char *err, size_t errlen)
{
    size_t   i;
    json_t  *j, *authz, *e;

    memset(order, 0, sizeof(ngx_http_swarm_acme_order_t));

    j = ngx_http_swarm_acme_load(data, len, err, errlen);
    if (j == NULL) {
        return -1;
    }

    order->status = ngx_http_swarm_acme_status(
                        json_string_value(json_object_get(j, "status")));

    if (order->status < 0) {
        snprintf(err, errlen, "order has no known status");
        goto failed;
    }

    authz = json_object_get(j, "authorizations");

    if (!json_is_array(authz) || json_array_size(authz) == 0) {
        snprintf(err, errlen, "order has no authorizations");
        goto failed;
    }

    if (json_array_size(authz) > NGX_HTTP_SWARM_ACME_NAMES) {
        snprintf(err, errlen, "order has %zu authorizations, over %d",
                 json_array_size(authz), NGX_HTTP_SWARM_ACME_NAMES);
        goto failed;
    }

    for (i = 0; i < json_array_size(authz); i++) {
        e = json_array_get(authz, i);

        if (!json_is_string(e)
            || ngx_http_swarm_text_copy(order->authorizations[i],
                                        NGX_HTTP_SWARM_ACME_URL_LEN,
                                        json_string_value(e)) != 0
            || !ngx_http_swarm_acme_url_valid(json_string_value(e)))
        {
            snprintf(err, errlen, "order's authorization %zu is not a URL",
                     i);
            goto failed;
        }
    }

    order->nauthz = i;

    if (ngx_http_swarm_acme_url(j, "finalize", order->finalize, 1,
                                err, errlen) != 0
        || ngx_http_swarm_acme_url(j, "certificate", order->certificate,
                                   order->status == NGX_HTTP_SWARM_ACME_VALID,
                                   err, errlen) != 0)
    {
        goto failed;
    }

    ngx_http_swarm_acme_error(j, order->error, sizeof(order->error));

    json_decref(j);

    return 0;

failed:

    json_decref(j);

    return -1;
}


/*
 * An authorization (RFC 8555 7.1.4): its status, its name, and its
 * http-01 challenge: where it is answered, its token, its status and
 * error.  An authorization without one is valid as it is, or is one
 * this client cannot answer.
 */

int
ngx_http_swarm_acme_authz(const char *data, size_t len,
    ngx_http_swarm_acme_authz_t *authz, char *err, size_t errlen)
{
    size_t       i;
    json_t      *j, *id, *chs, *ch;
    const char  *type, *value, *token;

    memset(authz, 0, sizeof(ngx_http_swarm_acme_authz_t));
    authz->challenge_status = -1;

    j = ngx_http_swarm_acme_load(data, len, err, errlen);
    if (j == NULL) {
        return -1;
    }

    authz->status = ngx_http_swarm_acme_status(
                        json_string_value(json_object_get(j, "status")));

    if (authz->status < 0) {
        snprintf(err, errlen, "authorization has no known status");
        goto failed;
    }

    id = json_object_get(j, "identifier");
    type = json_string_value(json_object_get(id, "type"));
    value = json_string_value(json_object_get(id, "value"));

    if (type == NULL || strcmp(type, "dns") != 0 || value == NULL
        || ngx_http_swarm_text_copy(authz->name, sizeof(authz->name), value)
           != 0)
    {
        snprintf(err, errlen, "authorization has no dns identifier");
        goto failed;
    }

    ngx_http_swarm_acme_clean(authz->name);

    authz->wildcard = json_is_true(json_object_get(j, "wildcard"));

    chs = json_object_get(j, "challenges");

    if (!json_is_array(chs)) {
        snprintf(err, errlen, "authorization has no challenges");
        goto failed;
    }

    for (i = 0; i < json_array_size(chs); i++) {
        ch = json_array_get(chs, i);
        type = json_string_value(json_object_get(ch, "type"));

        if (type == NULL || strcmp(type, "http-01") != 0) {
            continue;
        }

        token = json_string_value(json_object_get(ch, "token"));

        if (token == NULL
            || !ngx_http_swarm_acme_token_valid(token, strlen(token)))
        {
            snprintf(err, errlen, "http-01 challenge has no valid token");
            goto failed;
        }

        strcpy(authz->token, token);

        if (ngx_http_swarm_acme_url(ch, "url", authz->challenge, 1,
                                    err, errlen) != 0)
        {
            goto failed;
        }

        authz->challenge_status = ngx_http_swarm_acme_status(
                           json_string_value(json_object_get(ch, "status")));

        if (authz->challenge_status < 0) {
            snprintf(err, errlen, "http-01 challenge has no known status");
            goto failed;
        }

        ngx_http_swarm_acme_error(ch, authz->error, sizeof(authz->error));

        break;
    }

    json_decref(j);

    return 0;

failed:

    json_decref(j);

    return -1;
}


/* a token (RFC 8555 8.1): base64url characters, at least 128 bits */

int
ngx_http_swarm_acme_token_valid(const char *token, size_t len)
{
    size_t  i;

    if (len < 22 || len >= NGX_HTTP_SWARM_ACME_TOKEN_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (strchr(ngx_http_swarm_acme_b64, token[i]) == NULL
            || token[i] == '\0')
        {
            return 0;
        }
    }

    return 1;
}


/* an http:// or https:// URL of printable bytes, short enough to keep */

int
ngx_http_swarm_acme_url_valid(const char *url)
{
    size_t  i;

    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0) {
        return 0;
    }

    for (i = 0; url[i]; i++) {
        if ((unsigned char) url[i] <= ' ' || (unsigned char) url[i] >= 0x7f) {
            return 0;
        }
    }

    return i < NGX_HTTP_SWARM_ACME_URL_LEN;
}


/* base64url without padding (RFC 7515 2); the length written, or 0 */

size_t
ngx_http_swarm_acme_base64url(const unsigned char *in, size_t len,
    char *out, size_t outlen)
{
    size_t    i, n;
    uint32_t  v;

    if (outlen < (len + 2) / 3 * 4 + 1) {
        return 0;
    }

    n = 0;

    for (i = 0; i + 2 < len; i += 3) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[n++] = ngx_http_swarm_acme_b64[v >> 18];
        out[n++] = ngx_http_swarm_acme_b64[(v >> 12) & 63];
        out[n++] = ngx_http_swarm_acme_b64[(v >> 6) & 63];
        out[n++] = ngx_http_swarm_acme_b64[v & 63];
    }

    if (len - i == 1) {
        v = (uint32_t) in[i] << 16;
        out[n++] = ngx_http_swarm_acme_b64[v >> 18];
        out[n++] = ngx_http_swarm_acme_b64[(v >> 12) & 63];

    } else if (len - i == 2) {
        v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8;
        out[n++] = ngx_http_swarm_acme_b64[v >> 18];
        out[n++] = ngx_http_swarm_acme_b64[(v >> 12) & 63];
        out[n++] = ngx_http_swarm_acme_b64[(v >> 6) & 63];
    }

    out[n] = '\0';

    return n;
}


/*
 * The JWK of a P-256 public key, its coordinates given, with its members
 * in the order of RFC 7638 3 and no space: what its thumbprint hashes
 */

int
ngx_http_swarm_acme_jwk(const unsigned char *x, const unsigned char *y,
    char *out, size_t outlen)
{
    char  bx[48], by[48];

    (void) ngx_http_swarm_acme_base64url(x, 32, bx, sizeof(bx));
    (void) ngx_http_swarm_acme_base64url(y, 32, by, sizeof(by));

    if ((size_t) snprintf(out, outlen,
                          "{\"crv\":\"P-256\",\"kty\":\"EC\","
                          "\"x\":\"%s\",\"y\":\"%s\"}", bx, by)
        >= outlen)
    {
        return -1;
    }

    return 0;
}


/*
 * What a request signs (RFC 8555 6.2): the protected header (ES256, the
 * nonce, the URL, and the account's URL as "kid", or else its key as
 * "jwk") and the payload, each base64url-encoded, joined by "."; a
 * payload of NULL is POST-as-GET's empty one.  Allocated; NULL if out
 * of memory or the JWK is no JSON object.
 */

char *
ngx_http_swarm_acme_signing_input(const char *url, const char *nonce,
    const char *kid, const char *jwk, json_t *payload)
{
    char    *p, *q, *input;
    json_t  *h, *key;
    size_t   len;

    h = json_object();
    if (h == NULL) {
        return NULL;
    }

    json_object_set_new(h, "alg", json_string("ES256"));

    if (kid) {
        json_object_set_new(h, "kid", json_string(kid));

    } else {
        key = json_loads(jwk, 0, NULL);

        if (!json_is_object(key)) {
            json_decref(key);
            json_decref(h);
            return NULL;
        }

        json_object_set_new(h, "jwk", key);
    }

    json_object_set_new(h, "nonce", json_string(nonce));
    json_object_set_new(h, "url", json_string(url));

    p = ngx_http_swarm_acme_b64_json(h);
    json_decref(h);

    q = payload ? ngx_http_swarm_acme_b64_json(payload) : strdup("");

    if (p == NULL || q == NULL) {
        free(p);
        free(q);
        return NULL;
    }

    len = strlen(p) + 1 + strlen(q) + 1;
    input = malloc(len);

    if (input) {
        snprintf(input, len, "%s.%s", p, q);
    }

    free(p);
    free(q);

    return input;
}


/*
 * The request's body, the flattened JWS (RFC 7515 7.2.2): the signing
 * input taken apart again and the signature (r and s, 32 bytes each)
 * base64url-encoded.  Allocated.
 */

char *
ngx_http_swarm_acme_jws(const char *input, const unsigned char *sig,
    size_t siglen)
{
    char        *out, *dot, s[128];
    json_t      *j;
    const char  *payload;

    dot = strchr(input, '.');

    if (dot == NULL || siglen > 64) {
        return NULL;
    }

    payload = dot + 1;

    (void) ngx_http_swarm_acme_base64url(sig, siglen, s, sizeof(s));

    j = json_pack("{s:s%, s:s, s:s}", "protected", input,
                  (size_t) (dot - input), "payload", payload,
                  "signature", s);
    if (j == NULL) {
        return NULL;
    }

    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);

    return out;
}


/* newAccount's payload: the terms agreed to, and the contact if any */

json_t *
ngx_http_swarm_acme_account_payload(const char *email)
{
    char    contact[NGX_HTTP_SWARM_NAME_LEN + 8];
    json_t  *j;

    j = json_pack("{s:b}", "termsOfServiceAgreed", 1);

    if (j && email && email[0]) {
        snprintf(contact, sizeof(contact), "mailto:%s", email);
        json_object_set_new(j, "contact", json_pack("[s]", contact));
    }

    return j;
}


/* newOrder's payload: the names, as dns identifiers */

json_t *
ngx_http_swarm_acme_order_payload(json_t *names)
{
    size_t   i;
    json_t  *j, *ids, *name;

    ids = json_array();

    json_array_foreach(names, i, name) {
        json_array_append_new(ids, json_pack("{s:s, s:O}", "type", "dns",
                                             "value", name));
    }

    j = json_object();
    json_object_set_new(j, "identifiers", ids);

    return j;
}


/* finalize's payload: the CSR's DER */

json_t *
ngx_http_swarm_acme_finalize_payload(const unsigned char *der, size_t len)
{
    char    *csr;
    json_t  *j;

    csr = malloc(len * 4 / 3 + 4);
    if (csr == NULL) {
        return NULL;
    }

    (void) ngx_http_swarm_acme_base64url(der, len, csr, len * 4 / 3 + 4);

    j = json_pack("{s:s}", "csr", csr);
    free(csr);

    return j;
}


/*
 * The certificates of a PEM chain: the offset and length of each
 * "-----BEGIN CERTIFICATE-----" block, up to max; -1 if the text holds
 * anything else than such blocks and the space between them, or none
 */

int
ngx_http_swarm_acme_pem_chain(const char *text, size_t len, size_t *start,
    size_t *size, int max)
{
    int          n;
    size_t       i, j;
    const char  *begin = "-----BEGIN CERTIFICATE-----";
    const char  *end = "-----END CERTIFICATE-----";

    n = 0;
    i = 0;

    for ( ;; ) {
        while (i < len && isspace((unsigned char) text[i])) {
            i++;
        }

        if (i == len) {
            break;
        }

        if (len - i < 27 || memcmp(text + i, begin, 27) != 0 || n == max) {
            return -1;
        }

        /* base64 lines up to the end line */

        for (j = i + 27; j < len; j++) {
            if (text[j] == '-') {
                break;
            }

            if (!isalnum((unsigned char) text[j]) && text[j] != '+'
                && text[j] != '/' && text[j] != '='
                && !isspace((unsigned char) text[j]))
            {
                return -1;
            }
        }

        if (len - j < 25 || memcmp(text + j, end, 25) != 0
            || j == i + 27)
        {
            return -1;
        }

        start[n] = i;
        size[n] = j + 25 - i;
        n++;

        i = j + 25;
    }

    return n > 0 ? n : -1;
}


/* when a certificate is renewed: with a third of its lifetime left */

long long
ngx_http_swarm_acme_renew_at(long long not_before, long long not_after)
{
    if (not_after <= not_before) {
        return not_after;
    }

    return not_after - (not_after - not_before) / 3;
}


static json_t *
ngx_http_swarm_acme_load(const char *data, size_t len, char *err,
    size_t errlen)
{
    json_t        *j;
    json_error_t   e;

    j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);

    if (j == NULL) {
        snprintf(err, errlen, "invalid JSON: %.64s", e.text);
        ngx_http_swarm_acme_clean(err);
        return NULL;
    }

    if (!json_is_object(j)) {
        snprintf(err, errlen, "no JSON object");
        json_decref(j);
        return NULL;
    }

    return j;
}


static int
ngx_http_swarm_acme_url(json_t *obj, const char *key, char *dst, int need,
    char *err, size_t errlen)
{
    const char  *s;

    s = json_string_value(json_object_get(obj, key));

    if (s == NULL) {
        if (!need) {
            dst[0] = '\0';
            return 0;
        }

        snprintf(err, errlen, "no \"%s\" URL", key);
        return -1;
    }

    if (!ngx_http_swarm_acme_url_valid(s)) {
        snprintf(err, errlen, "\"%s\" is not a URL", key);
        return -1;
    }

    strcpy(dst, s);

    return 0;
}


/* an object's "error", "" if none */

static void
ngx_http_swarm_acme_error(json_t *obj, char *out, size_t outlen)
{
    json_t  *e;

    e = json_object_get(obj, "error");

    if (e != NULL && ngx_http_swarm_acme_problem_json(e, out, outlen) != 0) {
        snprintf(out, outlen, "an error that is no problem document");
    }
}


static char *
ngx_http_swarm_acme_b64_json(json_t *j)
{
    char    *text, *out;
    size_t   len, size;

    text = json_dumps(j, JSON_COMPACT);
    if (text == NULL) {
        return NULL;
    }

    len = strlen(text);
    size = (len + 2) / 3 * 4 + 1;

    out = malloc(size);

    if (out) {
        (void) ngx_http_swarm_acme_base64url((unsigned char *) text, len,
                                             out, size);
    }

    free(text);

    return out;
}


/* what a CA or a label wrote, shown: no control byte */

static void
ngx_http_swarm_acme_clean(char *s)
{
    for ( /* void */ ; *s; s++) {
        if ((unsigned char) *s < ' ' || *s == 0x7f) {
            *s = '?';
        }
    }
}
