
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Keys and certificates, with OpenSSL's EVP, PEM and X509 functions that
 * its 1.1.1 and 3.x releases share: ECDSA P-256 keys, the JWK and ES256
 * signatures of an ACME account key (RFC 7518 3.4: r and s, 32 bytes
 * each), a CSR with the names as subjectAltName, and a chain read back
 * with its key, checked to match.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_pki.h"


static time_t ngx_http_swarm_pki_time(const ASN1_TIME *t);


EVP_PKEY *
ngx_http_swarm_pki_key_new(void)
{
    EVP_PKEY      *key;
    EVP_PKEY_CTX  *ctx;

    key = NULL;

    ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    if (ctx == NULL) {
        return NULL;
    }

    if (EVP_PKEY_keygen_init(ctx) <= 0
        || EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx,
                                                  NID_X9_62_prime256v1) <= 0
        || EVP_PKEY_keygen(ctx, &key) <= 0)
    {
        key = NULL;
    }

    EVP_PKEY_CTX_free(ctx);

    return key;
}


/* a P-256 key of PEM text; NULL for another kind */

EVP_PKEY *
ngx_http_swarm_pki_key_read(u_char *pem, size_t len)
{
    BIO       *bio;
    EVP_PKEY  *key;

    bio = BIO_new_mem_buf(pem, (int) len);
    if (bio == NULL) {
        return NULL;
    }

    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);

    if (key && EVP_PKEY_base_id(key) != EVP_PKEY_EC) {
        EVP_PKEY_free(key);
        return NULL;
    }

    return key;
}


/* the key as PKCS#8 PEM text, allocated (ngx_free) */

char *
ngx_http_swarm_pki_key_pem(EVP_PKEY *key)
{
    BIO   *bio;
    char  *data, *pem;
    long   len;

    bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        return NULL;
    }

    pem = NULL;

    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        len = BIO_get_mem_data(bio, &data);
        pem = ngx_alloc(len + 1, ngx_cycle->log);

        if (pem) {
            ngx_memcpy(pem, data, len);
            pem[len] = '\0';
        }
    }

    BIO_free(bio);

    return pem;
}


/*
 * The key's JWK (RFC 7638's member order, no space) and its thumbprint,
 * base64url of its SHA-256: what key authorizations end with
 */

ngx_int_t
ngx_http_swarm_pki_jwk(EVP_PKEY *key, char *jwk, size_t size,
    char *thumbprint, size_t tsize)
{
    int            len;
    u_char         point[65], *p, md[EVP_MAX_MD_SIZE];
    unsigned int   mdlen;

    /* the uncompressed point: 04, x, y */

    len = i2d_PublicKey(key, NULL);

    if (len != 65) {
        return NGX_ERROR;
    }

    p = point;

    if (i2d_PublicKey(key, &p) != 65 || point[0] != 4) {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_acme_jwk(point + 1, point + 33, jwk, size) != 0) {
        return NGX_ERROR;
    }

    if (!EVP_Digest(jwk, ngx_strlen(jwk), md, &mdlen, EVP_sha256(), NULL)) {
        return NGX_ERROR;
    }

    if (ngx_http_swarm_acme_base64url(md, mdlen, thumbprint, tsize) == 0) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* ES256: ECDSA with SHA-256 of the input, as r and s of 32 bytes each */

ngx_int_t
ngx_http_swarm_pki_sign(EVP_PKEY *key, const char *input, u_char *sig)
{
    size_t            len;
    u_char            der[80];
    ngx_int_t         rc;
    EVP_MD_CTX       *md;
    ECDSA_SIG        *es;
    const BIGNUM     *r, *s;
    const u_char     *p;

    md = EVP_MD_CTX_new();
    if (md == NULL) {
        return NGX_ERROR;
    }

    len = sizeof(der);
    rc = NGX_ERROR;

    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1
        && EVP_DigestSignUpdate(md, input, ngx_strlen(input)) == 1
        && EVP_DigestSignFinal(md, der, &len) == 1)
    {
        p = der;
        es = d2i_ECDSA_SIG(NULL, &p, (long) len);

        if (es) {
            ECDSA_SIG_get0(es, &r, &s);

            if (BN_bn2binpad(r, sig, 32) == 32
                && BN_bn2binpad(s, sig + 32, 32) == 32)
            {
                rc = NGX_OK;
            }

            ECDSA_SIG_free(es);
        }
    }

    EVP_MD_CTX_free(md);

    return rc;
}


/*
 * A CSR for the names, the first also the subject's CN, signed with the
 * certificate's key: its DER, allocated by OpenSSL (OPENSSL_free)
 */

ngx_int_t
ngx_http_swarm_pki_csr(EVP_PKEY *key, json_t *names, u_char **der,
    size_t *len)
{
    int                         n;
    size_t                      i;
    json_t                     *name;
    X509_REQ                   *req;
    X509_NAME                  *subject;
    ngx_int_t                   rc;
    GENERAL_NAME               *gen;
    GENERAL_NAMES              *gens;
    ASN1_IA5STRING             *ia5;
    X509_EXTENSION             *ext;
    STACK_OF(X509_EXTENSION)   *exts;

    rc = NGX_ERROR;
    exts = NULL;
    gens = NULL;
    *der = NULL;

    req = X509_REQ_new();
    if (req == NULL) {
        return NGX_ERROR;
    }

    subject = X509_REQ_get_subject_name(req);

    if (!X509_REQ_set_version(req, 0)
        || !X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                   (u_char *) json_string_value(json_array_get(names, 0)),
                   -1, -1, 0))
    {
        goto done;
    }

    gens = sk_GENERAL_NAME_new_null();
    if (gens == NULL) {
        goto done;
    }

    json_array_foreach(names, i, name) {
        gen = GENERAL_NAME_new();
        ia5 = ASN1_IA5STRING_new();

        if (gen == NULL || ia5 == NULL
            || !ASN1_STRING_set(ia5, json_string_value(name), -1))
        {
            GENERAL_NAME_free(gen);
            ASN1_IA5STRING_free(ia5);
            goto done;
        }

        GENERAL_NAME_set0_value(gen, GEN_DNS, ia5);

        if (!sk_GENERAL_NAME_push(gens, gen)) {
            GENERAL_NAME_free(gen);
            goto done;
        }
    }

    exts = sk_X509_EXTENSION_new_null();
    ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);

    if (exts == NULL || ext == NULL || !sk_X509_EXTENSION_push(exts, ext)) {
        X509_EXTENSION_free(ext);
        goto done;
    }

    if (!X509_REQ_add_extensions(req, exts)
        || !X509_REQ_set_pubkey(req, key)
        || !X509_REQ_sign(req, key, EVP_sha256()))
    {
        goto done;
    }

    n = i2d_X509_REQ(req, der);

    if (n > 0) {
        *len = n;
        rc = NGX_OK;
    }

done:

    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    GENERAL_NAMES_free(gens);
    X509_REQ_free(req);

    return rc;
}


/*
 * A chain (the certificate, then its issuers) and its key, as PEM text:
 * read, checked to match, and what the certificate says of itself.
 * The text is checked by the pure layer first: certificates only.
 */

ngx_int_t
ngx_http_swarm_pki_chain(u_char *pem, size_t len, u_char *key_pem,
    size_t key_len, ngx_http_swarm_pki_cert_t *out,
    ngx_http_swarm_pki_info_t *info, char *err, size_t errlen)
{
    int         i, n;
    BIO        *bio;
    X509       *x;
    size_t      start[NGX_HTTP_SWARM_ACME_NAMES];
    size_t      size[NGX_HTTP_SWARM_ACME_NAMES];
    X509_NAME  *issuer;

    ngx_memzero(out, sizeof(ngx_http_swarm_pki_cert_t));

    n = ngx_http_swarm_acme_pem_chain((char *) pem, len, start, size,
                                      NGX_HTTP_SWARM_ACME_NAMES);
    if (n < 0) {
        ngx_snprintf((u_char *) err, errlen - 1,
                     "the chain is no PEM certificates%Z");
        return NGX_ERROR;
    }

    out->chain = sk_X509_new_null();
    if (out->chain == NULL) {
        goto failed;
    }

    for (i = 0; i < n; i++) {
        bio = BIO_new_mem_buf(pem + start[i], (int) size[i]);
        if (bio == NULL) {
            goto failed;
        }

        x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);

        if (x == NULL) {
            ngx_snprintf((u_char *) err, errlen - 1,
                         "certificate %d of the chain cannot be read%Z", i);
            goto invalid;
        }

        if (i == 0) {
            out->cert = x;
            continue;
        }

        if (!sk_X509_push(out->chain, x)) {
            X509_free(x);
            goto failed;
        }
    }

    out->key = ngx_http_swarm_pki_key_read(key_pem, key_len);

    if (out->key == NULL) {
        ngx_snprintf((u_char *) err, errlen - 1,
                     "its key cannot be read%Z");
        goto invalid;
    }

    if (!X509_check_private_key(out->cert, out->key)) {
        ngx_snprintf((u_char *) err, errlen - 1,
                     "the certificate is not of its key%Z");
        goto invalid;
    }

    info->not_before = ngx_http_swarm_pki_time(X509_get0_notBefore(out->cert));
    info->not_after = ngx_http_swarm_pki_time(X509_get0_notAfter(out->cert));

    issuer = X509_get_issuer_name(out->cert);

    if (X509_NAME_get_text_by_NID(issuer, NID_commonName, info->issuer,
                                  sizeof(info->issuer))
        < 0)
    {
        (void) X509_NAME_oneline(issuer, info->issuer, sizeof(info->issuer));
    }

    ERR_clear_error();

    return NGX_OK;

failed:

    ngx_snprintf((u_char *) err, errlen - 1, "out of memory%Z");

invalid:

    ERR_clear_error();
    ngx_http_swarm_pki_cert_free(out);

    return NGX_ERROR;
}


/* whether the certificate is one for each of the names */

ngx_int_t
ngx_http_swarm_pki_covers(ngx_http_swarm_pki_cert_t *c, json_t *names)
{
    size_t       i;
    json_t      *name;
    const char  *s;

    json_array_foreach(names, i, name) {
        s = json_string_value(name);

        if (s == NULL
            || X509_check_host(c->cert, s, ngx_strlen(s), 0, NULL) != 1)
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


void
ngx_http_swarm_pki_cert_free(ngx_http_swarm_pki_cert_t *c)
{
    if (c->cert) {
        X509_free(c->cert);
    }

    if (c->chain) {
        sk_X509_pop_free(c->chain, X509_free);
    }

    if (c->key) {
        EVP_PKEY_free(c->key);
    }

    ngx_memzero(c, sizeof(ngx_http_swarm_pki_cert_t));
}


/* an ASN1_TIME as seconds since the epoch, by its distance from now */

static time_t
ngx_http_swarm_pki_time(const ASN1_TIME *t)
{
    int  days, secs;

    if (t == NULL || !ASN1_TIME_diff(&days, &secs, NULL, t)) {
        return 0;
    }

    return ngx_time() + (time_t) days * 86400 + secs;
}
