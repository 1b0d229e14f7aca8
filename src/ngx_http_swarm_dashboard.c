
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * swarm_dashboard: one self-contained page (ngx_http_swarm_dashboard.html,
 * built into the module by config: no script, style or font from
 * elsewhere) that reads swarm_status and swarm_metrics every second and
 * shows the upstreams, their routes and their tasks as they change.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_status.h"
#include "ngx_http_swarm_dashboard.h"
#include "ngx_http_swarm_dashboard_page.h"


struct ngx_http_swarm_dashboard_s {
    ngx_str_t                   status;
    ngx_str_t                   metrics;
};


static ngx_int_t ngx_http_swarm_dashboard_uri(ngx_str_t *uri);


/*
 * "swarm_dashboard [status=URI] [metrics=URI]": where the page reads
 * swarm_status (/swarm) and swarm_metrics (/metrics)
 */

ngx_http_swarm_dashboard_t *
ngx_http_swarm_dashboard_create(ngx_conf_t *cf)
{
    ngx_str_t                   *value;
    ngx_uint_t                   i;
    ngx_http_swarm_dashboard_t  *dcf;

    dcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_swarm_dashboard_t));
    if (dcf == NULL) {
        return NULL;
    }

    ngx_str_set(&dcf->status, "/swarm");
    ngx_str_set(&dcf->metrics, "/metrics");

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "status=", 7) == 0) {
            dcf->status.data = value[i].data + 7;
            dcf->status.len = value[i].len - 7;

            if (ngx_http_swarm_dashboard_uri(&dcf->status) != NGX_OK) {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "metrics=", 8) == 0) {
            dcf->metrics.data = value[i].data + 8;
            dcf->metrics.len = value[i].len - 8;

            if (ngx_http_swarm_dashboard_uri(&dcf->metrics) != NGX_OK) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    return dcf;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\"", &value[i]);

    return NULL;
}


/* a URI to put in an attribute: not empty, no quote, "<", ">" or "&" */

static ngx_int_t
ngx_http_swarm_dashboard_uri(ngx_str_t *uri)
{
    size_t  i;

    if (uri->len == 0) {
        return NGX_ERROR;
    }

    for (i = 0; i < uri->len; i++) {
        if (uri->data[i] <= ' ' || uri->data[i] >= 0x7f
            || ngx_strchr("\"'<>&", uri->data[i]))
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


/* the page, its <body> line saying where to read */

ngx_int_t
ngx_http_swarm_dashboard_handler(ngx_http_request_t *r,
    ngx_http_swarm_dashboard_t *dcf)
{
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_http_swarm_status_page_begin(r);
    if (rc != NGX_OK) {
        return rc;
    }

    len = sizeof(ngx_http_swarm_dashboard_head) - 1
          + sizeof("<body data-status=\"\" data-metrics=\"\">\n") - 1
          + dcf->status.len + dcf->metrics.len
          + sizeof(ngx_http_swarm_dashboard_tail) - 1;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, ngx_http_swarm_dashboard_head,
                         sizeof(ngx_http_swarm_dashboard_head) - 1);
    b->last = ngx_sprintf(b->last, "<body data-status=\"%V\" "
                          "data-metrics=\"%V\">\n", &dcf->status,
                          &dcf->metrics);
    b->last = ngx_cpymem(b->last, ngx_http_swarm_dashboard_tail,
                         sizeof(ngx_http_swarm_dashboard_tail) - 1);

    out.buf = b;
    out.next = NULL;

    return ngx_http_swarm_status_page_send(r, &out, b->last - b->pos,
                                           "text/html; charset=utf-8");
}
