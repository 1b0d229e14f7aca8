
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_acme.c: a CA's directory,
 * order, authorization and problem documents (as Pebble and RFC 8555
 * write them), base64url, the JWS of a request, PEM chains, and when
 * a certificate is renewed.
 */


#include "unit_test.h"


#define S(s)  s, sizeof(s) - 1


static const char  pebble_dir[] =
    "{\"keyChange\": \"https://127.0.0.1:14000/rollover-account-key\","
    " \"meta\": {\"externalAccountRequired\": false,"
    " \"termsOfService\": \"data:text/plain,Do%20what%20thou%20wilt\"},"
    " \"newAccount\": \"https://127.0.0.1:14000/sign-me-up\","
    " \"newNonce\": \"https://127.0.0.1:14000/nonce-plz\","
    " \"newOrder\": \"https://127.0.0.1:14000/order-plz\","
    " \"revokeCert\": \"https://127.0.0.1:14000/revoke-cert\"}";


static void
test_directory(void **state)
{
    char                             err[256];
    ngx_http_swarm_acme_directory_t  dir;

    (void) state;

    assert_int_equal(ngx_http_swarm_acme_directory(S(pebble_dir), &dir,
                                                   err, sizeof(err)), 0);
    assert_string_equal(dir.new_nonce, "https://127.0.0.1:14000/nonce-plz");
    assert_string_equal(dir.new_account,
                        "https://127.0.0.1:14000/sign-me-up");
    assert_string_equal(dir.new_order, "https://127.0.0.1:14000/order-plz");
    assert_false(dir.eab);

    assert_int_equal(ngx_http_swarm_acme_directory(S(
        "{\"newNonce\":\"https://ca/n\",\"newAccount\":\"https://ca/a\","
        "\"newOrder\":\"https://ca/o\","
        "\"meta\":{\"externalAccountRequired\":true}}"),
        &dir, err, sizeof(err)), 0);
    assert_true(dir.eab);

    /* a member missing, not a URL, not JSON, not an object */

    assert_int_equal(ngx_http_swarm_acme_directory(S(
        "{\"newNonce\":\"https://ca/n\",\"newAccount\":\"https://ca/a\"}"),
        &dir, err, sizeof(err)), -1);
    assert_string_equal(err, "no \"newOrder\" URL");

    assert_int_equal(ngx_http_swarm_acme_directory(S(
        "{\"newNonce\":\"ftp://ca/n\",\"newAccount\":\"https://ca/a\","
        "\"newOrder\":\"https://ca/o\"}"), &dir, err, sizeof(err)), -1);
    assert_string_equal(err, "\"newNonce\" is not a URL");

    assert_int_equal(ngx_http_swarm_acme_directory(S("<html>"), &dir,
                                                   err, sizeof(err)), -1);
    assert_memory_equal(err, "invalid JSON: ", 14);

    assert_int_equal(ngx_http_swarm_acme_directory(S("[1]"), &dir,
                                                   err, sizeof(err)), -1);
    assert_string_equal(err, "no JSON object");
}


static void
test_order(void **state)
{
    char                         err[256];
    ngx_http_swarm_acme_order_t  o;

    (void) state;

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"pending\", \"expires\": \"2026-12-08T19:01:02Z\","
        " \"identifiers\": [{\"type\": \"dns\", \"value\": \"a.test\"}],"
        " \"finalize\": \"https://127.0.0.1:14000/finalize-order/X1\","
        " \"authorizations\": [\"https://127.0.0.1:14000/authZ/A1\","
        " \"https://127.0.0.1:14000/authZ/A2\"]}"), &o, err, sizeof(err)),
        0);
    assert_int_equal(o.status, NGX_HTTP_SWARM_ACME_PENDING);
    assert_int_equal(o.nauthz, 2);
    assert_string_equal(o.authorizations[1],
                        "https://127.0.0.1:14000/authZ/A2");
    assert_string_equal(o.finalize,
                        "https://127.0.0.1:14000/finalize-order/X1");
    assert_string_equal(o.certificate, "");
    assert_string_equal(o.error, "");

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"valid\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [\"https://ca/z\"],"
        " \"certificate\": \"https://ca/cert/1\"}"), &o, err, sizeof(err)),
        0);
    assert_int_equal(o.status, NGX_HTTP_SWARM_ACME_VALID);
    assert_string_equal(o.certificate, "https://ca/cert/1");

    /* valid needs its certificate; invalid says why */

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"valid\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [\"https://ca/z\"]}"), &o, err, sizeof(err)),
        -1);
    assert_string_equal(err, "no \"certificate\" URL");

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"invalid\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [\"https://ca/z\"], \"error\": {\"type\":"
        " \"urn:ietf:params:acme:error:unauthorized\", \"detail\":"
        " \"no\\nway\"}}"), &o, err, sizeof(err)), 0);
    assert_int_equal(o.status, NGX_HTTP_SWARM_ACME_INVALID);
    assert_string_equal(o.error, "no?way (unauthorized)");

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"expired\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [\"https://ca/z\"]}"), &o, err, sizeof(err)),
        0);
    assert_int_equal(o.status, NGX_HTTP_SWARM_ACME_INVALID);

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"done\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [\"https://ca/z\"]}"), &o, err, sizeof(err)),
        -1);
    assert_string_equal(err, "order has no known status");

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"ready\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": []}"), &o, err, sizeof(err)), -1);
    assert_string_equal(err, "order has no authorizations");

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"ready\", \"finalize\": \"https://ca/f\","
        " \"authorizations\": [7]}"), &o, err, sizeof(err)), -1);
    assert_string_equal(err, "order's authorization 0 is not a URL");

    /* one member twice is no document */

    assert_int_equal(ngx_http_swarm_acme_order(S(
        "{\"status\": \"ready\", \"status\": \"valid\"}"), &o,
        err, sizeof(err)), -1);
}


static void
test_authz(void **state)
{
    char                         err[256];
    ngx_http_swarm_acme_authz_t  a;

    (void) state;

    assert_int_equal(ngx_http_swarm_acme_authz(S(
        "{\"status\": \"pending\","
        " \"identifier\": {\"type\": \"dns\", \"value\": \"a.test\"},"
        " \"challenges\": ["
        " {\"type\": \"tls-alpn-01\", \"url\": \"https://ca/c/1\","
        "  \"token\": \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
        "  \"status\": \"pending\"},"
        " {\"type\": \"http-01\", \"url\": \"https://ca/c/2\","
        "  \"token\": \"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\","
        "  \"status\": \"pending\"}],"
        " \"expires\": \"2026-12-08T19:01:02Z\"}"), &a, err, sizeof(err)),
        0);
    assert_int_equal(a.status, NGX_HTTP_SWARM_ACME_PENDING);
    assert_string_equal(a.name, "a.test");
    assert_string_equal(a.challenge, "https://ca/c/2");
    assert_string_equal(a.token,
                        "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA");
    assert_int_equal(a.challenge_status, NGX_HTTP_SWARM_ACME_PENDING);

    /* invalid, with the challenge's error and its first subproblem */

    assert_int_equal(ngx_http_swarm_acme_authz(S(
        "{\"status\": \"invalid\","
        " \"identifier\": {\"type\": \"dns\", \"value\": \"a.test\"},"
        " \"challenges\": [{\"type\": \"http-01\", \"url\": \"https://c/2\","
        "  \"token\": \"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA\","
        "  \"status\": \"invalid\", \"error\": {\"type\":"
        "  \"urn:ietf:params:acme:error:connection\", \"detail\": \"refused\","
        "  \"subproblems\": [{\"detail\": \"port 80\"}]}}]}"),
        &a, err, sizeof(err)), 0);
    assert_int_equal(a.challenge_status, NGX_HTTP_SWARM_ACME_INVALID);
    assert_string_equal(a.error, "refused (connection): port 80");

    /* none of http-01: valid as it is, or none this client answers */

    assert_int_equal(ngx_http_swarm_acme_authz(S(
        "{\"status\": \"valid\", \"identifier\": {\"type\": \"dns\","
        " \"value\": \"a.test\"}, \"challenges\": []}"), &a,
        err, sizeof(err)), 0);
    assert_int_equal(a.challenge_status, -1);
    assert_string_equal(a.challenge, "");

    /* a token that could climb out of a directory, or is too short */

    assert_int_equal(ngx_http_swarm_acme_authz(S(
        "{\"status\": \"pending\", \"identifier\": {\"type\": \"dns\","
        " \"value\": \"a.test\"}, \"challenges\": [{\"type\": \"http-01\","
        " \"url\": \"https://c/2\", \"status\": \"pending\","
        " \"token\": \"../../../../etc/passwd-AAAAAAAAAAAAAAAAA\"}]}"),
        &a, err, sizeof(err)), -1);
    assert_string_equal(err, "http-01 challenge has no valid token");

    assert_false(ngx_http_swarm_acme_token_valid("abc", 3));
    assert_false(ngx_http_swarm_acme_token_valid(
                     "AAAAAAAAAAAAAAAAAAAAA/AAA", 25));
    assert_true(ngx_http_swarm_acme_token_valid(
                     "AAAAAAAAAAAAAAAAAAAAA_AAA", 25));
    assert_false(ngx_http_swarm_acme_token_valid(
                     "AAAAAAAAAAAAAAAAAAAAA\0AAA", 25));

    assert_int_equal(ngx_http_swarm_acme_authz(S(
        "{\"status\": \"pending\", \"identifier\": {\"type\": \"ip\","
        " \"value\": \"10.0.0.1\"}, \"challenges\": []}"), &a,
        err, sizeof(err)), -1);
    assert_string_equal(err, "authorization has no dns identifier");
}


static void
test_problem(void **state)
{
    char  out[256];

    (void) state;

    assert_int_equal(ngx_http_swarm_acme_problem(S(
        "{\"type\": \"urn:ietf:params:acme:error:rateLimited\","
        " \"detail\": \"too many orders\", \"status\": 429}"),
        out, sizeof(out)), 0);
    assert_string_equal(out, "too many orders (rateLimited)");

    assert_int_equal(ngx_http_swarm_acme_problem(S(
        "{\"type\": \"about:blank\"}"), out, sizeof(out)), 0);
    assert_string_equal(out, "no detail (about:blank)");

    assert_int_equal(ngx_http_swarm_acme_problem(S("{\"detail\": \"x\"}"),
                                                 out, sizeof(out)), -1);
    assert_int_equal(ngx_http_swarm_acme_problem(S("Bad Gateway"),
                                                 out, sizeof(out)), -1);
}


/* RFC 4648 10, in base64url without padding; RFC 7515's A.1 header */

static void
test_base64url(void **state)
{
    char  out[128];

    (void) state;

    assert_int_equal(ngx_http_swarm_acme_base64url((u_char *) "", 0,
                                                   out, sizeof(out)), 0);
    assert_string_equal(out, "");
    ngx_http_swarm_acme_base64url((u_char *) "f", 1, out, sizeof(out));
    assert_string_equal(out, "Zg");
    ngx_http_swarm_acme_base64url((u_char *) "fo", 2, out, sizeof(out));
    assert_string_equal(out, "Zm8");
    ngx_http_swarm_acme_base64url((u_char *) "foo", 3, out, sizeof(out));
    assert_string_equal(out, "Zm9v");
    ngx_http_swarm_acme_base64url((u_char *) "foobar", 6, out, sizeof(out));
    assert_string_equal(out, "Zm9vYmFy");
    ngx_http_swarm_acme_base64url((u_char *) "\xfb\xff\xfe", 3,
                                  out, sizeof(out));
    assert_string_equal(out, "-__-");

    ngx_http_swarm_acme_base64url((u_char *)
        "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}", 30, out, sizeof(out));
    assert_string_equal(out, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");

    /* no room: nothing written */

    assert_int_equal(ngx_http_swarm_acme_base64url((u_char *) "foo", 3,
                                                   out, 4), 0);
}


static void
test_jws(void **state)
{
    char           *input, *jws, jwk[160], small[100];
    json_t         *payload, *j, *names;
    unsigned char   x[32], y[32], sig[64];

    (void) state;

    memset(x, 0xfb, 32);
    memset(y, 0, 32);
    memset(sig, 0xff, 64);

    assert_int_equal(ngx_http_swarm_acme_jwk(x, y, jwk, sizeof(jwk)), 0);
    assert_string_equal(jwk, "{\"crv\":\"P-256\",\"kty\":\"EC\","
        "\"x\":\"-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s\","
        "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}");
    assert_int_equal(ngx_http_swarm_acme_jwk(x, y, small, sizeof(small)),
                     -1);

    /* newAccount: the key as "jwk"; then the account as "kid" */

    payload = ngx_http_swarm_acme_account_payload("ops@example.com");
    input = ngx_http_swarm_acme_signing_input("https://ca/new-acct", "N1",
                                              NULL, jwk, payload);
    json_decref(payload);

    /* {"alg":"ES256","jwk":{... */
    assert_memory_equal(input, "eyJhbGciOiJFUzI1NiIsImp3ayI6eyJjcnYiOiJQ",
                        40);
    assert_non_null(strchr(input, '.'));

    jws = ngx_http_swarm_acme_jws(input, sig, 64);
    j = json_loads(jws, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_object_size(j), 3);
    assert_string_equal(json_string_value(json_object_get(j, "signature")),
        "____________________________________________________________"
        "_________________________w");
    assert_int_equal(strlen(json_string_value(json_object_get(j,
                                                              "protected")))
                     + 1 + strlen(json_string_value(json_object_get(j,
                                                              "payload"))),
                     strlen(input));
    json_decref(j);
    free(jws);
    free(input);

    /* POST-as-GET: an empty payload */

    input = ngx_http_swarm_acme_signing_input("https://ca/o/1", "N2",
                                              "https://ca/acct/1", NULL,
                                              NULL);
    assert_int_equal(input[strlen(input) - 1], '.');
    free(input);

    /* a JWK that is no object */

    assert_null(ngx_http_swarm_acme_signing_input("https://ca/a", "N3",
                                                  NULL, "[1]", NULL));

    /* the payloads */

    names = json_pack("[ss]", "a.test", "www.a.test");
    payload = ngx_http_swarm_acme_order_payload(names);
    jws = json_dumps(payload, JSON_COMPACT);
    assert_string_equal(jws, "{\"identifiers\":["
        "{\"type\":\"dns\",\"value\":\"a.test\"},"
        "{\"type\":\"dns\",\"value\":\"www.a.test\"}]}");
    free(jws);
    json_decref(payload);
    json_decref(names);

    payload = ngx_http_swarm_acme_finalize_payload((u_char *) "\x30\x82", 2);
    assert_string_equal(json_string_value(json_object_get(payload, "csr")),
                        "MII");
    json_decref(payload);

    payload = ngx_http_swarm_acme_account_payload("");
    assert_null(json_object_get(payload, "contact"));
    json_decref(payload);
}


static void
test_pem_chain(void **state)
{
    int          n;
    size_t       start[4], size[4];
    const char  *two = "-----BEGIN CERTIFICATE-----\nMIIB\nAA==\n"
                       "-----END CERTIFICATE-----\n\n"
                       "-----BEGIN CERTIFICATE-----\nMIIC\n"
                       "-----END CERTIFICATE-----\n";

    (void) state;

    n = ngx_http_swarm_acme_pem_chain(two, strlen(two), start, size, 4);
    assert_int_equal(n, 2);
    assert_int_equal(start[0], 0);
    assert_int_equal(size[0], 27 + 11 + 25);
    assert_int_equal(start[1], 27 + 11 + 25 + 2);
    assert_memory_equal(two + start[1] + size[1] - 25,
                        "-----END CERTIFICATE-----", 25);

    /* one over the bound; a key; text around; nothing; an empty block */

    assert_int_equal(ngx_http_swarm_acme_pem_chain(two, strlen(two), start,
                                                   size, 1), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(
        "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n"),
        start, size, 4), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(
        "x-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"),
        start, size, 4), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(" \n"), start, size,
                                                   4), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(
        "-----BEGIN CERTIFICATE----------END CERTIFICATE-----"),
        start, size, 4), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(
        "-----BEGIN CERTIFICATE-----\nMI<B\n-----END CERTIFICATE-----"),
        start, size, 4), -1);
    assert_int_equal(ngx_http_swarm_acme_pem_chain(S(
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERT"),
        start, size, 4), -1);
}


static void
test_renew(void **state)
{
    (void) state;

    /* a third of the lifetime left: 90 days, renewed after 60 */

    assert_int_equal(ngx_http_swarm_acme_renew_at(0, 90 * 86400),
                     60 * 86400);
    assert_int_equal(ngx_http_swarm_acme_renew_at(1000, 1000), 1000);

    assert_int_equal(ngx_http_swarm_acme_status("processing"),
                     NGX_HTTP_SWARM_ACME_PROCESSING);
    assert_int_equal(ngx_http_swarm_acme_status("revoked"),
                     NGX_HTTP_SWARM_ACME_INVALID);
    assert_int_equal(ngx_http_swarm_acme_status("Valid"), -1);
    assert_int_equal(ngx_http_swarm_acme_status(NULL), -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_authz),
        cmocka_unit_test(test_problem),
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_jws),
        cmocka_unit_test(test_pem_chain),
        cmocka_unit_test(test_renew),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
