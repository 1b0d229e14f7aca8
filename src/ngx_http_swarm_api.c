
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The questions worker 0's refresh asks the Docker Engine API, one at a
 * time, in the version negotiated with it: the Api-Version header of
 * /_ping, or /version, of 1.24 or later.  An answer comes back to the
 * caller as what it is: a body to read, what failed (why the refresh
 * fails, and the kind metrics count it as), or, when the engine refused
 * the version of a question, a version negotiated again, once a refresh.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_curl.h"
#include "ngx_http_swarm_api.h"


struct ngx_http_swarm_api_s {
    ngx_http_swarm_t           *swarm;
    ngx_log_t                  *log;
    ngx_str_t                  *shown;
    ngx_http_swarm_get_t        get;

    ngx_http_swarm_api_pt       done;
    void                       *data;

    /* the path asked for, and whether that is the version's question */
    const char                 *path;
    ngx_uint_t                  negotiating;

    char                        version[16];
    ngx_uint_t                  renegotiated;

    /* what failed (NGX_HTTP_SWARM_FAIL_*), and the caller's words on it */
    ngx_uint_t                  kind;
    char                       *err;
    size_t                      errlen;

    /* bytes of answers read in this refresh */
    size_t                      bytes;
};


static void ngx_http_swarm_api_answer(ngx_http_swarm_get_t *get);
static ngx_int_t ngx_http_swarm_api_get(ngx_http_swarm_api_t *api,
    const char *path, json_t *filters);
static ngx_uint_t ngx_http_swarm_api_refused(ngx_http_swarm_api_t *api);
static ngx_int_t ngx_http_swarm_api_negotiated(ngx_http_swarm_api_t *api);
static ngx_int_t ngx_http_swarm_api_use(ngx_http_swarm_api_t *api,
    const char *version);
static void ngx_http_swarm_api_error(ngx_http_swarm_api_t *api,
    const char *fmt, ...);


/*
 * "err" is where what failed is said; "done" takes each answer, as
 * NGX_OK (a body), NGX_ERROR (what failed), or NGX_DECLINED (the version
 * was negotiated again: the refresh starts over)
 */

ngx_http_swarm_api_t *
ngx_http_swarm_api_create(ngx_http_swarm_t *swarm,
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, ngx_str_t *shown,
    char *err, size_t errlen, ngx_http_swarm_api_pt done, void *data)
{
    ngx_http_swarm_api_t  *api;

    api = ngx_pcalloc(pool, sizeof(ngx_http_swarm_api_t));
    if (api == NULL) {
        return NULL;
    }

    api->swarm = swarm;
    api->log = curl->log;
    api->shown = shown;
    api->err = err;
    api->errlen = errlen;
    api->done = done;
    api->data = data;
    api->kind = NGX_HTTP_SWARM_FAIL_ANSWER;

    api->get.data = api;
    api->get.done = ngx_http_swarm_api_answer;

    if (ngx_http_swarm_curl_get_setup(&api->get, curl, pool,
                                      swarm->max_response)
        != NGX_OK)
    {
        return NULL;
    }

    return api;
}


/* the version in use, "" until negotiated; the events stream's too */

char *
ngx_http_swarm_api_version(ngx_http_swarm_api_t *api)
{
    return api->version;
}


/* a refresh begins: a refused version may be negotiated again, once */

void
ngx_http_swarm_api_start(ngx_http_swarm_api_t *api)
{
    api->renegotiated = 0;
    api->bytes = 0;
}


/* the version is negotiated with the next question */

void
ngx_http_swarm_api_forget(ngx_http_swarm_api_t *api)
{
    api->version[0] = '\0';
}


/* the API version, asked for: NGX_BUSY, or NGX_ERROR */

ngx_int_t
ngx_http_swarm_api_negotiate(ngx_http_swarm_api_t *api)
{
    api->version[0] = '\0';
    api->negotiating = 1;

    return ngx_http_swarm_api_get(api, "/_ping", NULL);
}


/* GET path in the version negotiated: NGX_BUSY, or NGX_ERROR */

ngx_int_t
ngx_http_swarm_api_ask(ngx_http_swarm_api_t *api, const char *path,
    json_t *filters)
{
    api->negotiating = 0;

    return ngx_http_swarm_api_get(api, path, filters);
}


static ngx_int_t
ngx_http_swarm_api_get(ngx_http_swarm_api_t *api, const char *path,
    json_t *filters)
{
    api->path = path;
    api->kind = NGX_HTTP_SWARM_FAIL_ANSWER;

    if (ngx_http_swarm_curl_get(&api->get,
                                api->negotiating ? NULL : api->version,
                                path, filters, api->err, api->errlen)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_BUSY;
}


/* an answer: what failed, or its body for the caller */

static void
ngx_http_swarm_api_answer(ngx_http_swarm_get_t *get)
{
    ngx_http_swarm_api_t *api = get->data;

    json_t        *root, *msg;
    ngx_int_t      rc;
    json_error_t   jerr;

    if (get->overflow) {
        ngx_http_swarm_api_error(api, "GET %s: answer larger than "
                                 "swarm_max_response %uz bytes",
                                 api->path, api->swarm->max_response);
        api->kind = NGX_HTTP_SWARM_FAIL_TOO_LARGE;
        api->done(api->data, NGX_ERROR);
        return;
    }

    if (get->error) {

        /* the system's error, else curl's details (of TLS, say) */

        api->kind = NGX_HTTP_SWARM_FAIL_TRANSPORT;
        ngx_http_swarm_api_error(api, "GET %s: %s%s%s%s", api->path,
                                 get->error,
                                 (get->os_errno || get->detail[0])
                                 ? " (" : "",
                                 get->os_errno
                                 ? strerror((int) get->os_errno)
                                 : get->detail,
                                 (get->os_errno || get->detail[0])
                                 ? ")" : "");
        api->done(api->data, NGX_ERROR);
        return;
    }

    api->bytes += get->len;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, api->log, 0,
                   "swarm: GET %s: %l, %uz bytes", api->path, get->code,
                   get->len);

    if (ngx_http_swarm_api_refused(api)) {
        ngx_log_error(NGX_LOG_NOTICE, api->log, 0,
                      "swarm: %V refused API version %s, negotiating again",
                      api->shown, api->version);

        api->renegotiated = 1;

        rc = ngx_http_swarm_api_negotiate(api);
        if (rc == NGX_ERROR) {
            api->done(api->data, NGX_ERROR);
        }

        return;
    }

    if (get->code < 200 || get->code > 299) {
        root = json_loadb((char *) get->body, get->len, 0, &jerr);
        msg = json_object_get(root, "message");

        api->kind = NGX_HTTP_SWARM_FAIL_HTTP;
        ngx_http_swarm_api_error(api, "GET %s: HTTP %l%s%s", api->path,
                                 get->code, json_is_string(msg) ? ": " : "",
                                 json_is_string(msg)
                                 ? json_string_value(msg) : "");
        json_decref(root);

        api->done(api->data, NGX_ERROR);
        return;
    }

    if (!api->negotiating) {
        api->done(api->data, NGX_OK);
        return;
    }

    rc = ngx_http_swarm_api_negotiated(api);

    if (rc == NGX_BUSY) {
        return;
    }

    if (rc == NGX_OK && api->renegotiated) {
        rc = NGX_DECLINED;
    }

    api->done(api->data, rc);
}


/* HTTP 400 "client version X is too old/too new": negotiate again, once */

static ngx_uint_t
ngx_http_swarm_api_refused(ngx_http_swarm_api_t *api)
{
    ngx_http_swarm_get_t  *get;

    get = &api->get;

    return get->code == 400
           && !api->negotiating
           && !api->renegotiated
           && ngx_strlcasestrn(get->body, get->body + get->len,
                               (u_char *) "client version", 14 - 1)
              != NULL;
}


/*
 * The answer of /_ping, without an Api-Version header (/version is
 * asked: NGX_BUSY), or of /version: NGX_OK once the version is known.
 */

static ngx_int_t
ngx_http_swarm_api_negotiated(ngx_http_swarm_api_t *api)
{
    json_t        *root, *v;
    const char    *s;
    json_error_t   jerr;
    char           version[16];

    if (ngx_strcmp(api->path, "/_ping") == 0) {
        if (api->get.api_version[0] == '\0') {
            return ngx_http_swarm_api_get(api, "/version", NULL);
        }

        return ngx_http_swarm_api_use(api, api->get.api_version);
    }

    root = json_loadb((char *) api->get.body, api->get.len, 0, &jerr);
    v = json_object_get(root, "ApiVersion");
    s = json_is_string(v) ? json_string_value(v) : "";

    if (ngx_strlen(s) >= sizeof(version)) {
        s = "";
    }

    ngx_cpystrn((u_char *) version, (u_char *) s, sizeof(version));
    json_decref(root);

    if (version[0] == '\0') {
        ngx_http_swarm_api_error(api, "GET /version: no API version in "
                                 "the answer");
        return NGX_ERROR;
    }

    return ngx_http_swarm_api_use(api, version);
}


/* an API version of 1.24 or later is used */

static ngx_int_t
ngx_http_swarm_api_use(ngx_http_swarm_api_t *api, const char *version)
{
    const char  *dot;

    dot = ngx_strchr(version, '.');

    if (dot == NULL
        || ngx_atoi((u_char *) version, dot - version) != 1
        || ngx_atoi((u_char *) dot + 1, ngx_strlen(dot + 1)) < 24)
    {
        ngx_http_swarm_api_error(api, "engine API version \"%s\" is older "
                                 "than " NGX_HTTP_SWARM_MIN_API, version);
        return NGX_ERROR;
    }

    ngx_cpystrn((u_char *) api->version, (u_char *) version,
                sizeof(api->version));

    ngx_http_swarm_zone_set_version(&api->swarm->zone, api->version);

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, api->log, 0,
                   "swarm: API version %s", api->version);

    return NGX_OK;
}


/* what failed, cut on a character boundary */

static void
ngx_http_swarm_api_error(ngx_http_swarm_api_t *api, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_http_swarm_verror(api->err, api->errlen, fmt, args);
    va_end(args);
}



/* the body of the answer to the last question */

u_char *
ngx_http_swarm_api_body(ngx_http_swarm_api_t *api, size_t *len)
{
    *len = api->get.len;

    return api->get.body;
}


/* the HTTP status of the last answer */

ngx_int_t
ngx_http_swarm_api_code(ngx_http_swarm_api_t *api)
{
    return api->get.code;
}


/* why the last question failed, as swarm_metrics counts it */

ngx_uint_t
ngx_http_swarm_api_kind(ngx_http_swarm_api_t *api)
{
    return api->kind;
}


/* the bytes of the answers of this refresh */

size_t
ngx_http_swarm_api_bytes(ngx_http_swarm_api_t *api)
{
    return api->bytes;
}


/* a refresh is over: the memory of a large answer goes */

void
ngx_http_swarm_api_trim(ngx_http_swarm_api_t *api)
{
    ngx_http_swarm_curl_get_trim(&api->get);
}


void
ngx_http_swarm_api_close(ngx_http_swarm_api_t *api)
{
    ngx_http_swarm_curl_get_close(&api->get);
}
