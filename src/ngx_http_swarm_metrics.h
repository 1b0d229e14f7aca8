
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_metrics: the Prometheus text (ngx_http_swarm_metrics.c).
 */


#ifndef _NGX_HTTP_SWARM_METRICS_H_INCLUDED_
#define _NGX_HTTP_SWARM_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"


ngx_int_t ngx_http_swarm_metrics_handler(ngx_http_request_t *r,
    ngx_http_swarm_t *swarm);


#endif /* _NGX_HTTP_SWARM_METRICS_H_INCLUDED_ */
