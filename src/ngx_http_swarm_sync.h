
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * Discovery's refresh, in worker 0 (ngx_http_swarm_sync.c).
 */


#ifndef _NGX_HTTP_SWARM_SYNC_H_INCLUDED_
#define _NGX_HTTP_SWARM_SYNC_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_sync_init(ngx_cycle_t *cycle,
    ngx_http_swarm_t *swarm);
void ngx_http_swarm_sync_exit(void);


#endif /* _NGX_HTTP_SWARM_SYNC_H_INCLUDED_ */
