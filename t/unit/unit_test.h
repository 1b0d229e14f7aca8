
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * What the unit tests of the pure layer share: the recorded engine
 * answers, a report log, and helpers that more than one unit's tests use.
 */


#ifndef _UNIT_TEST_H_INCLUDED_
#define _UNIT_TEST_H_INCLUDED_


#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ngx_http_swarm_lib.h"


#ifndef FIXTURES
#define FIXTURES  "t/fixtures/docker-20.10"
#endif


typedef struct {
    int        calls;
    unsigned   upstream;
    char       service[64];
    char       msg[256];
} report_log_t;


/*
 * routes from v2 rules: name, priority (NONE for none: in
 * Traefik's order, the rule's length), rule
 */

#define NONE  LONG_MIN

typedef struct {
    const char             *name;
    long                    priority;
    const char             *rule;
} route_def_t;


void report_handler(void *data, unsigned upstream, const char *service,
    const char *msg);
char *load(const char *name, size_t *len);
int tasks_rc(const char *json, char *err, size_t errlen);
ngx_http_swarm_peer_t peer(const char *ip, int port, int state,
    const char *task);
int scan(const char *hdr, const char *name, char *value);
int rule(int version, const char *text, char *out, size_t size);
ngx_http_swarm_routes_t *routes(const route_def_t *defs, size_t n,
    unsigned order, ngx_http_swarm_route_t *r, ngx_http_swarm_rule_t *rules,
    report_log_t *log);


#endif /* _UNIT_TEST_H_INCLUDED_ */
