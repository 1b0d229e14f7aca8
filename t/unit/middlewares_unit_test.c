
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Unit tests (cmocka) of lib/ngx_http_swarm_middlewares.c: labels
 * gathered by middleware, definitions made or refused with the option
 * named, routers' lists resolved with chains, Go's replacement syntax.
 */


#include <unistd.h>

#include "unit_test.h"


/* a middleware of labels "key=value" (after its name) made, or NULL */

static json_t *
make(const char *labels[], char *err, size_t errlen)
{
    size_t   i;
    json_t  *defs, *def;

    defs = json_object();

    for (i = 0; labels[i]; i += 2) {
        assert_int_equal(ngx_http_swarm_middlewares_label(defs, labels[i],
                                                          labels[i + 1]),
                         NGX_HTTP_SWARM_YES);
    }

    assert_int_equal(json_object_size(defs), 1);

    def = ngx_http_swarm_middlewares_make(json_object_get(defs, "m"), NULL,
                                          err, errlen);
    json_decref(defs);

    return def;
}


static void
test_middlewares_make(void **state)
{
    char         err[256];
    json_t      *def, *v;
    const char  *scheme[] = { "m.RedirectScheme.Scheme", "https",
                              "m.redirectscheme.permanent", "true",
                              "m.redirectscheme.port", "443", NULL };
    const char  *headers[] = {
        "m.headers.customRequestHeaders.X-Script-Name", "test",
        "m.headers.customresponseheaders.X-Custom", "",
        "m.headers.stsSeconds", "31536000",
        "m.headers.stsIncludeSubdomains", "true",
        "m.headers.frameDeny", "true",
        "m.headers.accessControlAllowOriginList", "https://a.test, *",
        NULL };
    const char  *auth[] = { "m.basicauth.users",
                            "test:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/,"
                            "test2:$2y$05$abcdefghijklmnopqrstuu", NULL };
    const char  *limit[] = { "m.rateLimit.average", "100",
                             "m.ratelimit.period", "1m30.5s",
                             "m.ratelimit.sourceCriterion.requestHeaderName",
                             "X-Key", NULL };
    const char  *compress[] = { "m.compress", "true", NULL };
    const char  *types[] = { "m.compress.includedContentTypes",
                             "Application/JSON; charset=utf-8, text/ html",
                             "m.compress.defaultEncoding", "gzip", NULL };
    const char  *forward[] = { "m.forwardAuth.address",
                               "http://authelia:9091/api/verify"
                               "?rd=https://auth.example.com/",
                               "m.forwardauth.trustForwardHeader", "true",
                               "m.forwardauth.authResponseHeaders",
                               "Remote-User, Remote-Groups", NULL };
    const char  *forward6[] = { "m.forwardauth.address", "http://[::1]?a=b",
                                NULL };
    const char  *errors[] = { "m.errors.status", "500-599, 404",
                              "m.errors.service", "error-pages@docker",
                              "m.errors.query", "/{status}.html",
                              "m.errors.statusRewrites.418", "410", NULL };
    const char  *inflight[] = { "m.inflightreq.amount", "3", NULL };
    const char  *retry[] = { "m.retry.attempts", "4",
                             "m.retry.initialInterval", "100ms", NULL };
    const char  *allow[] = { "m.ipallowlist.sourcerange",
                             "127.0.0.1/32, 192.168.1.7",
                             "m.ipallowlist.ipstrategy.depth", "2", NULL };
    const char  *refused[][5] = {
        { "m.redirectscheme.port", "443", NULL,
          "you must provide a target scheme" },
        { "m.redirectscheme.scheme", "https", "m.redirectscheme.cheme",
          "x", "option \"redirectscheme.cheme\" is not supported" },
        { "m.circuitbreaker.expression", "ResponseCodeRatio(500, 600, 0, "
          "600) > 0.25", NULL,
          "middleware type \"circuitbreaker\" is not supported" },
        { "m.inflightreq.amount", "-1", NULL,
          "amount: invalid number \"-1\"" },
        { "m.inflightreq.sourcecriterion.requesthost", "true",
          "m.inflightreq.sourcecriterion.requestheadername", "X-A",
          "sourcecriterion: several strategies" },
        { "m.retry.attempts", "0", NULL,
          "incorrect (or empty) value for attempt (0)" },
        { "m.retry.attempts", "2", "m.retry.initialinterval", "1x",
          "initialinterval: invalid duration \"1x\"" },
        { "m.retry.attempts", "2", "m.retry.status", "500-599",
          "option \"retry.status\" is not supported" },
        { "m.buffering.maxrequestbodybytes", "1k", NULL,
          "maxrequestbodybytes: invalid number \"1k\"" },
        { "m.buffering.retryexpression", "IsNetworkError()", NULL,
          "option \"buffering.retryexpression\" is not supported" },
        { "m.forwardauth.address", "https://auth:9091/", NULL,
          "address \"https://auth:9091/\": only http addresses are run "
          "here" },
        { "m.forwardauth.address", "http://a b/", NULL,
          "address: invalid value" },
        { "m.forwardauth.address", "http://u:p@auth/", NULL,
          "address \"http://u:p@auth/\": user information and fragments "
          "are not run here" },
        { "m.forwardauth.address", "http://auth:99999/", NULL,
          "address: invalid port" },
        { "m.forwardauth.address", "http://auth:x/", NULL,
          "address: invalid port" },
        { "m.forwardauth.address", "http:///verify", NULL,
          "address: invalid host" },
        { "m.forwardauth.address", "http://[::1/", NULL,
          "address: invalid host" },
        { "m.forwardauth.address", "http://a$b/", NULL,
          "address: invalid host" },
        { "m.forwardauth.trustforwardheader", "true", NULL,
          "address is empty" },
        { "m.forwardauth.address", "http://a/", "m.forwardauth.forwardbody",
          "true", "option \"forwardauth.forwardbody\" is not supported" },
        { "m.forwardauth.address", "http://a/",
          "m.forwardauth.authresponseheaders", "Remote User",
          "authresponseheaders: invalid header name \"Remote User\"" },
        { "m.errors.status", "500-599", NULL, "service is empty" },
        { "m.errors.status", "99", "m.errors.service", "p",
          "status: invalid \"99\"" },
        { "m.errors.status", "500-404", "m.errors.service", "p",
          "status: invalid \"500-404\"" },
        { "m.errors.service", "p@file", NULL,
          "service \"p@file\" is none of the labels'" },
        { "m.errors.service", "p", "m.errors.statusrewrites.418", "x",
          "statusrewrites: invalid \"418\"" },
        { "m.errors.service", "p", "m.errors.query", "/a b",
          "query: invalid value" },
        { "m.compress.encodings", "zstd, br", NULL,
          "encodings: gzip is the one run here" },
        { "m.compress.encodings", "gzip, lzma", NULL,
          "encodings: unknown encoding \"lzma\"" },
        { "m.compress.defaultencoding", "br", NULL,
          "defaultencoding: gzip is the one run here" },
        { "m.compress.includedcontenttypes", "text/html",
          "m.compress.excludedcontenttypes", "text/plain",
          "excludedContentTypes and includedContentTypes options are "
          "mutually exclusive" },
        { "m.ratelimit.period", "5x", NULL,
          "period: invalid duration \"5x\"" },
        { "m.ratelimit.sourcecriterion.ipstrategy.depth", "1", NULL,
          "option \"ratelimit.sourcecriterion.ipstrategy.depth\" is not "
          "supported" },
        { "m.nosuch.x", "5", NULL, "unknown middleware type \"nosuch\"" },
        { "m.headers.sslredirect", "true", NULL,
          "option \"headers.sslredirect\" is not supported" },
        { "m.headers.customrequestheaders.X-A", "a\r\nX-B: b", NULL,
          "customrequestheaders.X-A: invalid value" },
        { "m.headers.customresponseheaders.X A", "a", NULL,
          "customresponseheaders: invalid header name \"X A\"" },
        { "m.basicauth.users", "test:plain", NULL,
          "users: the hash of user \"test\" is of no kind htpasswd makes" },
        { "m.basicauth.users", "", NULL, "no users" },
        { "m.basicauth.usersfile", "/nonexistent", NULL,
          "usersfile \"/nonexistent\" cannot be read" },
        { "m.redirectregex.regex", "(a)\\1", NULL,
          "regex: regular expression \"(a)\\1\" has a backreference, "
          "which Go's RE2 refuses" },
        { "m.redirectregex.regex", "^x", "m.redirectregex.replacement",
          "${host}", "replacement: named groups are not supported" },
        { "m.ipallowlist.sourcerange", "10.0.0.0/33", NULL,
          "sourcerange: invalid address \"10.0.0.0/33\"" },
        { "m.addprefix.prefix", "api", NULL,
          "prefix: a path that starts with \"/\" is needed" },
        { "m.stripprefix.forceslash", "maybe", NULL,
          "forceslash: invalid boolean \"maybe\"" },
        { "m.headers.framedeny", "true", "m.compress.x", "1",
          "it has several types (\"headers\", \"compress\")" },
        { NULL }
    };
    size_t       i;
    const char  *one[5];

    (void) state;

    def = make(scheme, err, sizeof(err));
    assert_non_null(def);
    assert_string_equal(json_string_value(json_object_get(def, "type")),
                        "redirectscheme");
    assert_string_equal(json_string_value(json_object_get(def, "scheme")),
                        "https");

    /* the scheme's own port is no port, as Traefik has it */

    assert_string_equal(json_string_value(json_object_get(def, "port")), "");
    assert_true(json_is_true(json_object_get(def, "permanent")));
    json_decref(def);

    def = make(headers, err, sizeof(err));
    assert_non_null(def);

    v = json_array_get(json_object_get(def, "request"), 0);
    assert_string_equal(json_string_value(json_array_get(v, 0)),
                        "X-Script-Name");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "test");

    v = json_array_get(json_object_get(def, "response"), 0);
    assert_string_equal(json_string_value(json_array_get(v, 0)), "X-Custom");
    assert_string_equal(json_string_value(json_array_get(v, 1)), "");

    assert_string_equal(json_string_value(json_object_get(def, "sts")),
                        "max-age=31536000; includeSubDomains");

    v = json_array_get(json_object_get(def, "secure"), 0);
    assert_string_equal(json_string_value(json_array_get(v, 1)), "DENY");

    v = json_object_get(json_object_get(def, "cors"), "alloworiginlist");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 1)), "*");
    json_decref(def);

    def = make(auth, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_array_size(json_object_get(def, "users")), 2);
    assert_string_equal(json_string_value(json_object_get(def, "realm")),
                        "traefik");
    json_decref(def);

    def = make(allow, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_integer_value(json_object_get(def, "depth")), 2);
    assert_int_equal(json_integer_value(json_object_get(def, "status")), 403);
    assert_int_equal(json_array_size(json_object_get(def, "sourcerange")),
                     2);
    json_decref(def);

    /* "NAME.TYPE" alone: the type with its defaults */

    def = make(compress, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_integer_value(json_object_get(def, "min")), 1024);
    assert_int_equal(json_array_size(json_object_get(def, "excluded")), 0);
    json_decref(def);

    def = make(types, err, sizeof(err));
    assert_non_null(def);
    v = json_object_get(def, "included");
    assert_int_equal(json_array_size(v), 2);
    assert_string_equal(json_string_value(json_array_get(v, 0)),
                        "application/json");
    assert_string_equal(json_string_value(json_array_get(v, 1)),
                        "text/html");
    assert_true(json_is_true(json_object_get(def, "default")));
    json_decref(def);

    def = make(inflight, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_integer_value(json_object_get(def, "amount")), 3);
    assert_true(json_is_true(json_object_get(def, "host")));
    json_decref(def);

    def = make(retry, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_integer_value(json_object_get(def, "attempts")), 4);
    json_decref(def);

    def = make(forward, err, sizeof(err));
    assert_non_null(def);
    assert_string_equal(json_string_value(json_object_get(def, "host")),
                        "authelia");
    assert_false(json_is_true(json_object_get(def, "ip")));
    assert_int_equal(json_integer_value(json_object_get(def, "port")), 9091);
    assert_string_equal(json_string_value(json_object_get(def, "path")),
                        "/api/verify");
    assert_string_equal(json_string_value(json_object_get(def, "args")),
                        "rd=https://auth.example.com/");
    assert_int_equal(json_array_size(json_object_get(def, "response")), 2);
    assert_true(json_is_true(json_object_get(def, "trust")));
    json_decref(def);

    def = make(forward6, err, sizeof(err));
    assert_non_null(def);
    assert_string_equal(json_string_value(json_object_get(def, "host")),
                        "::1");
    assert_true(json_is_true(json_object_get(def, "ip")));
    assert_int_equal(json_integer_value(json_object_get(def, "port")), 80);
    assert_string_equal(json_string_value(json_object_get(def, "path")), "/");
    assert_string_equal(json_string_value(json_object_get(def, "args")),
                        "a=b");
    json_decref(def);

    def = make(errors, err, sizeof(err));
    assert_non_null(def);
    v = json_object_get(def, "status");
    assert_int_equal(json_array_size(v), 2);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(v, 0),
                                                       1)),
                     599);
    assert_int_equal(json_integer_value(json_array_get(json_array_get(v, 1),
                                                       0)),
                     404);
    v = json_array_get(json_object_get(def, "rewrites"), 0);
    assert_int_equal(json_integer_value(json_array_get(v, 0)), 418);
    assert_int_equal(json_integer_value(json_array_get(v, 2)), 410);
    assert_string_equal(json_string_value(json_object_get(def, "service")),
                        "error-pages");
    json_decref(def);

    def = make(limit, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_integer_value(json_object_get(def, "period")),
                     90500000);
    assert_int_equal(json_integer_value(json_object_get(def, "burst")), 1);
    assert_string_equal(json_string_value(json_object_get(def, "header")),
                        "X-Key");
    json_decref(def);

    for (i = 0; refused[i][0]; i++) {
        one[0] = refused[i][0];
        one[1] = refused[i][1];
        one[2] = refused[i][2];
        one[3] = refused[i][2] ? refused[i][3] : NULL;
        one[4] = NULL;

        def = make(one, err, sizeof(err));

        if (def) {
            fail_msg("\"%s\" made", refused[i][0]);
        }

        assert_string_equal(err, refused[i][2] ? refused[i][4]
                                               : refused[i][3]);
    }
}


static void
test_middlewares_usersfile(void **state)
{
    FILE        *f;
    char         path[] = "/tmp/swarm-users-XXXXXX", err[256];
    int          fd;
    json_t      *def;
    const char  *labels[] = { "m.basicauth.usersfile", path,
                              "m.basicauth.users", "c:{SHA}x", NULL };

    (void) state;

    fd = mkstemp(path);
    assert_true(fd >= 0);

    f = fdopen(fd, "w");
    fputs("# the admins\n  a:$apr1$x$y  \n\nb:$2y$05$z\r\n", f);
    fclose(f);

    def = make(labels, err, sizeof(err));
    unlink(path);

    assert_non_null(def);
    assert_int_equal(json_array_size(json_object_get(def, "users")), 3);
    assert_string_equal(json_string_value(json_array_get(
                            json_array_get(json_object_get(def, "users"), 1),
                            1)),
                        "$2y$05$z");
    json_decref(def);
}


static void
test_middlewares_resolve(void **state)
{
    char     err[256];
    json_t  *swarm, *file, *out;

    (void) state;

    swarm = json_pack("{s{ss}s{ss}s{ssss}s{ssss}s{ss}}",
                      "a", "type", "headers",
                      "b", "type", "stripprefix",
                      "c", "type", "chain", "middlewares", "a, b@file",
                      "loop", "type", "chain", "middlewares", "loop",
                      "bad", "error", "no users");
    file = json_pack("{s{ss}}", "b", "type", "addprefix");

    out = ngx_http_swarm_middlewares_resolve(swarm, file, "B, c@docker",
                                             err, sizeof(err));
    assert_non_null(out);
    assert_int_equal(json_array_size(out), 3);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(out, 0), "name")), "b@swarm");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(out, 1), "name")), "a@swarm");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(out, 2), "type")), "addprefix");
    json_decref(out);

    assert_null(ngx_http_swarm_middlewares_resolve(swarm, file, "x", err,
                                                   sizeof(err)));
    assert_string_equal(err, "middleware \"x@swarm\" does not exist");

    assert_null(ngx_http_swarm_middlewares_resolve(swarm, file, "a@file",
                                                   err, sizeof(err)));
    assert_string_equal(err, "middleware \"a@file\" does not exist");

    assert_null(ngx_http_swarm_middlewares_resolve(swarm, file, "bad", err,
                                                   sizeof(err)));
    assert_string_equal(err, "middleware \"bad@swarm\": no users");

    assert_null(ngx_http_swarm_middlewares_resolve(swarm, NULL, "a@k8s",
                                                   err, sizeof(err)));
    assert_string_equal(err, "middleware \"a@k8s\": provider \"k8s\" is "
                             "none of this module's (swarm, docker, file)");

    assert_null(ngx_http_swarm_middlewares_resolve(swarm, file, "loop", err,
                                                   sizeof(err)));
    assert_string_equal(err, "chain \"loop@swarm\" nests over 8 deep: a "
                             "chain that names itself?");

    json_decref(swarm);
    json_decref(file);
}


static void
test_middlewares_expand(void **state)
{
    char         buf[64];
    size_t       len;
    const char  *subject = "http://a.test/foo/bar";
    const int    caps[] = { 0, 21, 7, 13, 13, 21, -1, -1 };

    (void) state;

    len = ngx_http_swarm_middlewares_expand("https://${1}:8443$2", 19,
                                            subject, caps, 4, buf,
                                            sizeof(buf));
    assert_string_equal(buf, "https://a.test:8443/foo/bar");
    assert_int_equal(len, strlen(buf));

    /* a group that took no part, one there is not, "$$", a lone "$" */

    ngx_http_swarm_middlewares_expand("[$3][$9][$$][$]", 15, subject, caps,
                                      4, buf, sizeof(buf));
    assert_string_equal(buf, "[][][$][$]");

    /* cut to the buffer, the whole length told */

    len = ngx_http_swarm_middlewares_expand("$0", 2, subject, caps, 4, buf,
                                            8);
    assert_string_equal(buf, "http://");
    assert_int_equal(len, 21);
}


/* v1 frontend labels as the middlewares they stand for, in 1.7's order */

static void
test_middlewares_v1(void **state)
{
    char         names[256], err[256];
    size_t       i;
    json_t      *raw, *def;
    const char  *v1[][3] = {
        { "traefik.frontend.auth.basic.users", "u:{SHA}x", "" },
        { "traefik.frontend.headers.customresponseheaders", "X-A: 1||X-B:",
          "" },
        { "traefik.frontend.redirect.permanent", "true", "" },
        { "traefik.frontend.redirect.entrypoint", "https", "" },
        { "traefik.frontend.whitelist.sourcerange", "10.0.0.0/8", "" },
        { "traefik.frontend.rule", "Host:a", NULL },
        { "traefik.frontend.auth.forward.address", "x", NULL },
        { NULL, NULL, NULL }
    };

    (void) state;

    raw = json_object();

    for (i = 0; v1[i][0]; i++) {
        assert_int_equal(ngx_http_swarm_middlewares_v1(raw, "App", v1[i][0],
                                                       v1[i][1]),
                         v1[i][2] ? NGX_HTTP_SWARM_YES : NGX_HTTP_SWARM_NO);
    }

    assert_int_equal(ngx_http_swarm_middlewares_v1_names(raw, "App", names,
                                                         sizeof(names)),
                     NGX_HTTP_SWARM_DONE);
    assert_string_equal(names, "App-v1-whitelist@swarm,App-v1-redirect@swarm,"
                               "App-v1-headers@swarm,App-v1-auth@swarm");

    def = ngx_http_swarm_middlewares_make(json_object_get(raw,
                                              "app-v1-redirect"),
                                          NULL, err, sizeof(err));
    assert_non_null(def);
    assert_true(json_is_true(json_object_get(def, "permanent")));
    json_decref(def);

    def = ngx_http_swarm_middlewares_make(json_object_get(raw,
                                              "app-v1-headers"),
                                          NULL, err, sizeof(err));
    assert_non_null(def);
    assert_int_equal(json_array_size(json_object_get(def, "response")), 2);
    assert_string_equal(json_string_value(json_array_get(
                            json_array_get(json_object_get(def, "response"),
                                           0), 1)), "1");
    json_decref(def);

    assert_null(json_object_get(raw, ""));
    json_decref(raw);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_middlewares_make),
        cmocka_unit_test(test_middlewares_usersfile),
        cmocka_unit_test(test_middlewares_resolve),
        cmocka_unit_test(test_middlewares_expand),
        cmocka_unit_test(test_middlewares_v1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
