
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The ACME client (ngx_http_swarm_ca.c): worker 0 orders and renews the
 * certificates the routes ask for from each swarm_acme's CA, through the
 * transport, and writes them and the answers to pending challenges to
 * the zone, where each worker finds them; swarm_acme.
 */


#ifndef _NGX_HTTP_SWARM_CA_H_INCLUDED_
#define _NGX_HTTP_SWARM_CA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"


char *ngx_http_swarm_ca_add(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_http_swarm_ca_storage_init(ngx_cycle_t *cycle,
    ngx_http_swarm_t *swarm);
ngx_int_t ngx_http_swarm_ca_init(ngx_cycle_t *cycle,
    ngx_http_swarm_t *swarm);
void ngx_http_swarm_ca_exit(void);


#endif /* _NGX_HTTP_SWARM_CA_H_INCLUDED_ */
