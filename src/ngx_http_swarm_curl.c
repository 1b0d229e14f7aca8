
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The transport: libcurl's multi_socket API on nginx events and timers,
 * GET requests to the Docker Engine API's address and an ACME CA's
 * POST and HEAD requests (with their nonce and location), each answer
 * kept in a reservation of its own and taken a slice a cycle, a stream
 * split into lines, and the callbacks of each transfer.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_curl.h"


/* bytes of an answer taken a cycle; curl holds the rest meanwhile */
#define NGX_HTTP_SWARM_RECV_STEP   262144

/* the URL: the address, "/v" and a version, a path, filters escaped */
#define NGX_HTTP_SWARM_URL_LEN     (64 * 1024)


static ngx_int_t ngx_http_swarm_curl_start(ngx_http_swarm_get_t *get,
    char *err, size_t errlen);
static void ngx_http_swarm_get_endpoint(ngx_http_swarm_get_t *get,
    ngx_http_swarm_endpoint_t *ep);
#if (LIBCURL_VERSION_NUM >= 0x074d00)
static void ngx_http_swarm_curl_blob(CURL *easy, CURLoption option,
    ngx_str_t *data);
#endif
static int ngx_http_swarm_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp);
static int ngx_http_swarm_curl_timer(CURLM *multi, long timeout_ms,
    void *userp);
static void ngx_http_swarm_curl_event(ngx_event_t *ev);
static void ngx_http_swarm_curl_timeout(ngx_event_t *ev);
static void ngx_http_swarm_get_resume(ngx_event_t *ev);
static void ngx_http_swarm_curl_done(ngx_http_swarm_curl_t *curl);
static size_t ngx_http_swarm_answer_write(char *ptr, size_t size, size_t n,
    void *userdata);
static size_t ngx_http_swarm_stream_write(char *ptr, size_t size, size_t n,
    void *userdata);
static size_t ngx_http_swarm_get_header(char *ptr, size_t size, size_t n,
    void *userdata);
static void ngx_http_swarm_get_value(char *p, size_t len, char *dst,
    size_t size);


ngx_int_t
ngx_http_swarm_curl_global_init(ngx_log_t *log)
{
    static ngx_uint_t  initialized;

    if (initialized) {
        return NGX_OK;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        ngx_log_error(NGX_LOG_EMERG, log, 0,
                      "swarm: curl_global_init() failed");
        return NGX_ERROR;
    }

    initialized = 1;

    return NGX_OK;
}


ngx_int_t
ngx_http_swarm_curl_open(ngx_http_swarm_curl_t *curl, ngx_log_t *log,
    ngx_http_swarm_t *swarm)
{
    curl->log = log;
    curl->swarm = swarm;
    curl->endpoint = swarm->endpoints.elts;
    curl->timeout = swarm->timeout;

    curl->multi = curl_multi_init();
    if (curl->multi == NULL) {
        return NGX_ERROR;
    }

    curl_multi_setopt(curl->multi, CURLMOPT_SOCKETFUNCTION,
                      ngx_http_swarm_curl_socket);
    curl_multi_setopt(curl->multi, CURLMOPT_SOCKETDATA, curl);
    curl_multi_setopt(curl->multi, CURLMOPT_TIMERFUNCTION,
                      ngx_http_swarm_curl_timer);
    curl_multi_setopt(curl->multi, CURLMOPT_TIMERDATA, curl);

    curl->timer.handler = ngx_http_swarm_curl_timeout;
    curl->timer.data = curl;
    curl->timer.log = log;
    curl->timer.cancelable = 1;

    return NGX_OK;
}


/*
 * A request with its callbacks set: with a line callback, a stream, which
 * lasts, so has no overall timeout, and lines of up to max bytes; else
 * an answer, kept in one reservation of max bytes, where memory is taken
 * as it is written and an answer never moves as it grows.
 */

ngx_int_t
ngx_http_swarm_curl_get_setup(ngx_http_swarm_get_t *get,
    ngx_http_swarm_curl_t *curl, ngx_pool_t *pool, size_t max)
{
    CURL                       *easy;
    size_t                      base;
    ngx_uint_t                  i;
    ngx_http_swarm_endpoint_t  *ep;

    get->curl = curl;
    get->max = max;

    /* room for the longest endpoint's URLs */

    ep = curl->swarm->endpoints.elts;
    base = 0;

    for (i = 0; i < curl->swarm->endpoints.nelts; i++) {
        base = ngx_max(base, ep[i].base.len);
    }

    get->url = ngx_pnalloc(pool, base + NGX_HTTP_SWARM_URL_LEN + 1);
    if (get->url == NULL) {
        return NGX_ERROR;
    }

    easy = curl_easy_init();
    if (easy == NULL) {
        return NGX_ERROR;
    }

    get->easy = easy;

#if (LIBCURL_VERSION_NUM >= 0x075500)
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS, CURLPROTO_HTTP|CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, get->detail);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "ngx_http_swarm");
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) curl->timeout);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, get);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, ngx_http_swarm_get_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, get);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, get);

    if (get->line) {
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION,
                         ngx_http_swarm_stream_write);
        curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);

        get->buf = ngx_pnalloc(pool, max);

        return get->buf ? NGX_OK : NGX_ERROR;
    }

    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, ngx_http_swarm_answer_write);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long) curl->timeout);

    get->resume.handler = ngx_http_swarm_get_resume;
    get->resume.data = get;
    get->resume.log = curl->log;

    get->body = mmap(NULL, max, PROT_READ|PROT_WRITE,
                     MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0);

    if (get->body == MAP_FAILED) {
        ngx_log_error(NGX_LOG_ALERT, curl->log, ngx_errno,
                      "swarm: mmap(%uz) failed", max);
        get->body = NULL;
        return NGX_ERROR;
    }

    return NGX_OK;
}


/*
 * GET the API's address, "/v" and the version unless it is NULL, the
 * path, and the filters as JSON: NGX_ERROR with what failed in err.
 */

ngx_int_t
ngx_http_swarm_curl_get(ngx_http_swarm_get_t *get, const char *version,
    const char *path, json_t *filters, char *err, size_t errlen)
{
    char                       *s, *q;
    u_char                     *p, *last;
    ngx_http_swarm_curl_t      *curl;
    ngx_http_swarm_endpoint_t  *ep;

    curl = get->curl;
    ep = get->endpoint ? get->endpoint : curl->endpoint;

    ngx_http_swarm_get_endpoint(get, ep);

    last = (u_char *) get->url + ep->base.len + NGX_HTTP_SWARM_URL_LEN;

    p = ngx_cpymem(get->url, ep->base.data, ep->base.len);

    if (version) {
        p = ngx_slprintf(p, last, "/v%s", version);
    }

    p = ngx_slprintf(p, last, "%s", path);

    if (filters) {
        s = json_dumps(filters, JSON_COMPACT);
        q = s ? curl_easy_escape(get->easy, s, 0) : NULL;
        free(s);

        if (q == NULL) {
            ngx_snprintf((u_char *) err, errlen - 1, "out of memory%Z");
            return NGX_ERROR;
        }

        if (ngx_strlen(q) + 32 > (size_t) (last - p)) {
            curl_free(q);
            ngx_snprintf((u_char *) err, errlen - 1,
                         "GET %s: too many services in one query%Z", path);
            return NGX_ERROR;
        }

        p = ngx_slprintf(p, last, "?filters=%s", q);
        curl_free(q);
    }

    *p = '\0';

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, curl->log, 0, "swarm: GET %s",
                   get->url);

    return ngx_http_swarm_curl_start(get, err, errlen);
}


/*
 * A request to an ACME CA (RFC 8555 6.2): a POST of the JWS body, or,
 * with none, a GET (of the directory, of newNonce); its certificate
 * verified against the PEM text in ca, or else the system's CAs.  The
 * answer as a GET's, its Replay-Nonce and Location headers kept.
 */

ngx_int_t
ngx_http_swarm_curl_post(ngx_http_swarm_get_t *get, const char *url,
    const char *body, ngx_str_t *ca, char *err, size_t errlen)
{
    CURL                         *easy;
    static struct curl_slist     *jose;

    easy = get->easy;

    if (jose == NULL) {
        jose = curl_slist_append(NULL,
                                 "Content-Type: application/jose+json");
        if (jose == NULL) {
            ngx_snprintf((u_char *) err, errlen - 1, "out of memory%Z");
            return NGX_ERROR;
        }
    }

    if (body) {
        curl_easy_setopt(easy, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(body));
        curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, jose);

    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
    }

    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);

    if (ca && ca->len) {
#if (LIBCURL_VERSION_NUM >= 0x074d00)
        ngx_http_swarm_curl_blob(easy, CURLOPT_CAINFO_BLOB, ca);
#else
        ngx_snprintf((u_char *) err, errlen - 1,
                     "trusted_certificate= needs libcurl 7.77%Z");
        return NGX_ERROR;
#endif
    }

    (void) ngx_cpystrn((u_char *) get->url, (u_char *) url,
                       NGX_HTTP_SWARM_URL_LEN);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, get->curl->log, 0, "swarm: %s %s",
                   body ? "POST" : "GET", get->url);

    return ngx_http_swarm_curl_start(get, err, errlen);
}


/* the request, its URL set, handed to the multi handle */

static ngx_int_t
ngx_http_swarm_curl_start(ngx_http_swarm_get_t *get, char *err,
    size_t errlen)
{
    CURLMcode  rc;

    get->len = 0;
    get->buf_len = 0;
    get->overflow = 0;
    get->skip = 0;
    get->code = 0;
    get->error = NULL;
    get->detail[0] = '\0';
    get->api_version[0] = '\0';
    get->nonce[0] = '\0';
    get->location[0] = '\0';

    curl_easy_setopt(get->easy, CURLOPT_URL, get->url);

    rc = curl_multi_add_handle(get->curl->multi, get->easy);

    if (rc != CURLM_OK) {
        ngx_snprintf((u_char *) err, errlen - 1,
                     "curl_multi_add_handle() failed: %s%Z",
                     curl_multi_strerror(rc));
        return NGX_ERROR;
    }

    get->active = 1;

    return NGX_OK;
}


/*
 * Where a request goes: a unix socket, or the host of the URL; over TLS
 * with the swarm_tls_* files, the server's certificate always verified,
 * against swarm_tls_trusted_certificate or else the system's CAs.
 */

static void
ngx_http_swarm_get_endpoint(ngx_http_swarm_get_t *get,
    ngx_http_swarm_endpoint_t *ep)
{
    CURL                        *easy;
    ngx_http_swarm_t            *swarm;

    easy = get->easy;
    swarm = get->curl->swarm;

    curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH,
                     ep->socket.len ? (char *) ep->socket.data : NULL);

    if (!ep->tls) {
        return;
    }

    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);

#if (LIBCURL_VERSION_NUM >= 0x074d00)

    /*
     * the files as the master read them (libcurl 7.77 takes all three
     * from memory): a worker need not be able to open a key that only
     * root may read, openssl's default
     */

    if (swarm->tls_trusted_certificate.len) {
        ngx_http_swarm_curl_blob(easy, CURLOPT_CAINFO_BLOB,
                                 &swarm->tls_files[2]);
    }

    if (swarm->tls_certificate.len) {
        ngx_http_swarm_curl_blob(easy, CURLOPT_SSLCERT_BLOB,
                                 &swarm->tls_files[0]);
        ngx_http_swarm_curl_blob(easy, CURLOPT_SSLKEY_BLOB,
                                 &swarm->tls_files[1]);
    }

#else

    if (swarm->tls_trusted_certificate.len) {
        curl_easy_setopt(easy, CURLOPT_CAINFO,
                         (char *) swarm->tls_trusted_certificate.data);
    }

    if (swarm->tls_certificate.len) {
        curl_easy_setopt(easy, CURLOPT_SSLCERT,
                         (char *) swarm->tls_certificate.data);
        curl_easy_setopt(easy, CURLOPT_SSLKEY,
                         (char *) swarm->tls_certificate_key.data);
    }

#endif
}


#if (LIBCURL_VERSION_NUM >= 0x074d00)

/* PEM text in memory that lives as long as the cycle: not copied */

static void
ngx_http_swarm_curl_blob(CURL *easy, CURLoption option, ngx_str_t *data)
{
    struct curl_blob  blob;

    blob.data = data->data;
    blob.len = data->len;
    blob.flags = CURL_BLOB_NOCOPY;

    curl_easy_setopt(easy, option, &blob);
}

#endif


static int
ngx_http_swarm_curl_socket(CURL *easy, curl_socket_t s, int what,
    void *userp, void *socketp)
{
    ngx_http_swarm_curl_t *curl = userp;

    ngx_connection_t  *c;

    c = socketp;

    if (what == CURL_POLL_REMOVE) {
        if (c) {
            if (c->read->active) {
                ngx_del_event(c->read, NGX_READ_EVENT, 0);
            }

            if (c->write->active) {
                ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
            }

            if (c->read->posted) {
                ngx_delete_posted_event(c->read);
            }

            if (c->write->posted) {
                ngx_delete_posted_event(c->write);
            }

            ngx_free_connection(c);
            c->fd = (ngx_socket_t) -1;

            curl_multi_assign(curl->multi, s, NULL);
        }

        return 0;
    }

    if (c == NULL) {
        c = ngx_get_connection(s, curl->log);
        if (c == NULL) {
            return -1;
        }

        c->data = curl;
        c->read->handler = ngx_http_swarm_curl_event;
        c->write->handler = ngx_http_swarm_curl_event;
        c->read->log = curl->log;
        c->write->log = curl->log;

        curl_multi_assign(curl->multi, s, c);
    }

    /* curl does not always drain a socket: level-triggered events */

    if ((what & CURL_POLL_IN) && !c->read->active) {
        if (ngx_add_event(c->read, NGX_READ_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }

    } else if (!(what & CURL_POLL_IN) && c->read->active) {
        ngx_del_event(c->read, NGX_READ_EVENT, 0);
    }

    if ((what & CURL_POLL_OUT) && !c->write->active) {
        if (ngx_add_event(c->write, NGX_WRITE_EVENT, NGX_LEVEL_EVENT)
            != NGX_OK)
        {
            return -1;
        }

    } else if (!(what & CURL_POLL_OUT) && c->write->active) {
        ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
    }

    return 0;
}


static int
ngx_http_swarm_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    ngx_http_swarm_curl_t *curl = userp;

    if (timeout_ms < 0) {
        if (curl->timer.timer_set) {
            ngx_del_timer(&curl->timer);
        }

        return 0;
    }

    ngx_add_timer(&curl->timer, (ngx_msec_t) timeout_ms);

    return 0;
}


static void
ngx_http_swarm_curl_event(ngx_event_t *ev)
{
    int                     running;
    uint64_t                start;
    ngx_socket_t            fd;
    ngx_connection_t       *c;
    ngx_http_swarm_curl_t  *curl;

    c = ev->data;
    curl = c->data;
    fd = c->fd;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    curl->received = 0;

    /* curl may remove the socket, and so free "c", in this call */

    curl_multi_socket_action(curl->multi, fd,
                             ev->write ? CURL_CSELECT_OUT : CURL_CSELECT_IN,
                             &running);

    ngx_http_swarm_curl_done(curl);

    ngx_http_swarm_longest(&curl->longest, start);
}


static void
ngx_http_swarm_curl_timeout(ngx_event_t *ev)
{
    int                     running;
    uint64_t                start;
    ngx_http_swarm_curl_t  *curl;

    curl = ev->data;

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);
    curl->received = 0;

    curl_multi_socket_action(curl->multi, CURL_SOCKET_TIMEOUT, 0, &running);

    ngx_http_swarm_curl_done(curl);

    ngx_http_swarm_longest(&curl->longest, start);
}


/* the next part of a large answer, in a cycle of its own */

static void
ngx_http_swarm_get_resume(ngx_event_t *ev)
{
    uint64_t                start;
    ngx_http_swarm_get_t   *get;
    ngx_http_swarm_curl_t  *curl;

    get = ev->data;
    curl = get->curl;

    if (!get->paused) {
        return;
    }

    start = ngx_http_swarm_clock(CLOCK_MONOTONIC);

    get->paused = 0;
    curl->received = 0;

    /* the data curl held comes to ngx_http_swarm_answer_write() now */

    curl_easy_pause(get->easy, CURLPAUSE_CONT);

    ngx_http_swarm_curl_done(curl);

    ngx_http_swarm_longest(&curl->longest, start);
}


/* each transfer that is over goes to its "done" callback */

static void
ngx_http_swarm_curl_done(ngx_http_swarm_curl_t *curl)
{
    int                    left;
    CURL                  *easy;
    CURLMsg               *msg;
    CURLcode               result;
    ngx_http_swarm_get_t  *get;

    while ((msg = curl_multi_info_read(curl->multi, &left)) != NULL) {

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }

        easy = msg->easy_handle;
        result = msg->data.result;

        get = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &get);

        curl_multi_remove_handle(curl->multi, easy);

        get->active = 0;
        get->paused = 0;
        get->os_errno = 0;
        get->code = 0;

        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &get->code);

        if (result != CURLE_OK) {
            get->error = curl_easy_strerror(result);
            curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &get->os_errno);

        } else {
            get->largest = ngx_max(get->largest, get->len);
        }

        get->done(get);
    }
}


static size_t
ngx_http_swarm_answer_write(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_get_t *get = userdata;

    size_t                  len;
    ngx_http_swarm_curl_t  *curl;

    len = size * n;
    curl = get->curl;

    if (get->len + len > get->max) {
        get->overflow = 1;
        return 0;
    }

    /*
     * a large answer comes in parts, a cycle each: copying it, into
     * memory touched for the first time, may take long
     */

    if (curl->received >= NGX_HTTP_SWARM_RECV_STEP) {
        get->paused = 1;

        if (!get->resume.posted) {
            ngx_post_event(&get->resume, &ngx_posted_next_events);
        }

        return CURL_WRITEFUNC_PAUSE;
    }

    curl->received += len;

    ngx_memcpy(get->body + get->len, ptr, len);
    get->len += len;

    get->touched = ngx_max(get->touched, get->len);

    return len;
}


static size_t
ngx_http_swarm_stream_write(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_get_t *get = userdata;

    u_char  *p, *last, *nl;
    size_t   len, part;

    len = size * n;
    p = (u_char *) ptr;
    last = p + len;

    while (p < last) {
        nl = ngx_strlchr(p, last, '\n');
        part = (nl ? nl : last) - p;

        if (!get->skip) {
            if (get->buf_len + part > get->max) {
                /* an oversized line: dropped up to its end */
                get->skip = 1;
                get->buf_len = 0;

            } else {
                ngx_memcpy(get->buf + get->buf_len, p, part);
                get->buf_len += part;
            }
        }

        if (nl == NULL) {
            break;
        }

        if (!get->skip && get->code == 200) {
            get->line(get, get->buf, get->buf_len);
        }

        get->buf_len = 0;
        get->skip = 0;
        p = nl + 1;
    }

    return len;
}


/* the Api-Version header; at the end of the headers, the status */

static size_t
ngx_http_swarm_get_header(char *ptr, size_t size, size_t n, void *userdata)
{
    ngx_http_swarm_get_t *get = userdata;

    size_t   len, i;
    u_char  *p, *last;

    len = size * n;

    if (len <= 2 && (ptr[0] == '\r' || ptr[0] == '\n')) {
        get->code = 0;
        curl_easy_getinfo(get->easy, CURLINFO_RESPONSE_CODE, &get->code);

        if (get->ready && get->code == 200) {
            get->ready(get);
        }

        return len;
    }

    if (len > 13 && ngx_strncasecmp((u_char *) ptr,
                                    (u_char *) "Replay-Nonce:", 13)
                    == 0)
    {
        ngx_http_swarm_get_value(ptr + 13, len - 13, get->nonce,
                                 sizeof(get->nonce));
        return len;
    }

    if (len > 9 && ngx_strncasecmp((u_char *) ptr, (u_char *) "Location:", 9)
                   == 0)
    {
        ngx_http_swarm_get_value(ptr + 9, len - 9, get->location,
                                 sizeof(get->location));
        return len;
    }

    if (len > 12 && ngx_strncasecmp((u_char *) ptr, (u_char *) "Api-Version:",
                                    12)
                    == 0)
    {
        p = (u_char *) ptr + 12;
        last = (u_char *) ptr + len;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        for (i = 0; p < last && i < sizeof(get->api_version) - 1; p++) {
            if ((*p >= '0' && *p <= '9') || *p == '.') {
                get->api_version[i++] = *p;
                continue;
            }

            break;
        }

        get->api_version[i] = '\0';
    }

    return len;
}


/* a header's value, spaces around it left out; "" if it does not fit */

static void
ngx_http_swarm_get_value(char *p, size_t len, char *dst, size_t size)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }

    while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'
                   || p[len - 1] == ' ' || p[len - 1] == '\t'))
    {
        len--;
    }

    if (len >= size) {
        len = 0;
    }

    ngx_memcpy(dst, p, len);
    dst[len] = '\0';
}


/*
 * The memory answers were written to is kept for the next ones, unless
 * much more was written than the answers since the last trim took
 * (after an answer too large, say): that goes back to the system.
 */

void
ngx_http_swarm_curl_get_trim(ngx_http_swarm_get_t *get)
{
    size_t  keep;

    keep = ngx_align(get->largest, ngx_pagesize);

    if (get->touched > 1024 * 1024 && get->touched > 4 * get->largest) {
        if (madvise(get->body + keep, get->touched - keep, MADV_DONTNEED)
            == 0)
        {
            get->touched = keep;
        }
    }

    get->largest = 0;
    get->len = 0;
}


/* a request under way given up, its handle kept for the next */

void
ngx_http_swarm_curl_get_cancel(ngx_http_swarm_get_t *get)
{
    if (get->resume.posted) {
        ngx_delete_posted_event(&get->resume);
    }

    if (get->easy && get->active) {
        curl_multi_remove_handle(get->curl->multi, get->easy);
    }

    get->active = 0;
    get->paused = 0;
    get->buf_len = 0;
}


void
ngx_http_swarm_curl_get_close(ngx_http_swarm_get_t *get)
{
    if (get->resume.posted) {
        ngx_delete_posted_event(&get->resume);
    }

    if (get->easy) {
        if (get->active) {
            curl_multi_remove_handle(get->curl->multi, get->easy);
        }

        curl_easy_cleanup(get->easy);
        get->easy = NULL;
    }

    if (get->body) {
        munmap(get->body, get->max);
        get->body = NULL;
    }
}


/*
 * How long to wait before asking again after "failures" failures in a
 * row: a second, doubled at each failure, "max" at the most.
 */

ngx_msec_t
ngx_http_swarm_curl_backoff(ngx_uint_t failures, ngx_msec_t max)
{
    ngx_uint_t  shift;
    ngx_msec_t  delay;

    shift = failures ? failures - 1 : 0;
    delay = (ngx_msec_t) 1000 << ngx_min(shift, 10);

    return ngx_min(delay, max);
}


void
ngx_http_swarm_curl_cleanup(ngx_http_swarm_curl_t *curl)
{
    if (curl->timer.timer_set) {
        ngx_del_timer(&curl->timer);
    }

    if (curl->multi) {
        curl_multi_cleanup(curl->multi);
        curl->multi = NULL;
    }
}
