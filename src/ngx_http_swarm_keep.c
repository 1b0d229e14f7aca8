
/*
 * Copyright (C) ngx_http_swarm authors
 *
 * The tasks worker 0 parsed, kept in the zone: after a refresh that
 * parsed some, their records as one image (ngx_http_swarm_records.c);
 * before its first refresh, a new worker 0 (a reload's) takes them, so
 * that it parses only the tasks whose bytes changed.  A task is known
 * by the digest of its bytes under the zone's key, made at random with
 * the zone.  jansson parsed every record, from the same bytes.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_swarm.h"
#include "ngx_http_swarm_zone.h"
#include "ngx_http_swarm_keep.h"


/*
 * records written into the image a step, a millisecond apart, and then
 * bytes copied into the zone a step
 */
#define NGX_HTTP_SWARM_KEEP_STEP    1000
#define NGX_HTTP_SWARM_KEEP_COPY    (256 * 1024)


struct ngx_http_swarm_keep_s {
    ngx_http_swarm_zone_t      *zone;
    ngx_http_swarm_tasks_t     *tasks;
    ngx_log_t                  *log;
    ngx_event_t                 step;

    /*
     * the image being written: its bytes, room, records so far, of n;
     * then its copy in the zone, and the bytes copied
     */
    char                       *buf;
    size_t                      len;
    size_t                      size;
    size_t                      next;
    size_t                      n;
    u_char                     *copy;
    size_t                      copied;

    /* the records of the image tried last; no room for it */
    size_t                      kept;
    unsigned                    taken:1;
    unsigned                    no_room:1;
};


static void ngx_http_swarm_keep_step(ngx_event_t *ev);
static void ngx_http_swarm_keep_copy(ngx_http_swarm_keep_t *keep);


ngx_http_swarm_keep_t *
ngx_http_swarm_keep_create(ngx_http_swarm_zone_t *zone,
    ngx_http_swarm_tasks_t *tasks, ngx_pool_t *pool, ngx_log_t *log)
{
    ngx_http_swarm_keep_t  *keep;

    keep = ngx_pcalloc(pool, sizeof(ngx_http_swarm_keep_t));
    if (keep == NULL) {
        return NULL;
    }

    keep->zone = zone;
    keep->tasks = tasks;
    keep->log = log;

    keep->step.handler = ngx_http_swarm_keep_step;
    keep->step.data = keep;
    keep->step.log = log;
    keep->step.cancelable = 1;

    ngx_http_swarm_tasks_key(tasks, zone->sh->tasks_key);

    return keep;
}


/*
 * Before each refresh: an image still being written is given up, its
 * records about to change; before the first, the image the last worker
 * 0 left is taken, if any, and read where it is: this process alone
 * writes the zone now, and frees the image only once the sets are
 * built, when the refresh is done with it
 */

void
ngx_http_swarm_keep_begin(ngx_http_swarm_keep_t *keep)
{
    ngx_slab_pool_t            *shpool;
    ngx_http_swarm_shm_blob_t  *blob;

    ngx_http_swarm_keep_stop(keep);

    if (keep->taken || !ngx_http_swarm_zone_writer(keep->zone)) {
        return;
    }

    keep->taken = 1;

    blob = &keep->zone->sh->blobs[NGX_HTTP_SWARM_BLOB_TASKS];
    shpool = keep->zone->shpool;

    /* none, or given way to a set (ngx_http_swarm_publish.c) */

    if (blob->data == NULL || blob->data < shpool->start
        || blob->len > (size_t) (shpool->end - blob->data))
    {
        return;
    }

    if (ngx_http_swarm_tasks_load(keep->tasks, (char *) blob->data,
                                  blob->len)
        != 0)
    {
        ngx_log_error(NGX_LOG_WARN, keep->log, 0,
                      "swarm: the tasks the last worker parsed are not "
                      "whole in the zone, every task is parsed");
    }
}


/*
 * After a refresh: its records into the zone, if it parsed some or has
 * fewer than the image written last, a step at a time
 */

void
ngx_http_swarm_keep_leave(ngx_http_swarm_keep_t *keep, size_t parsed,
    size_t reused)
{
    ngx_http_swarm_keep_stop(keep);

    if (parsed == 0 && reused == keep->kept) {
        return;
    }

    keep->n = parsed + reused;
    keep->next = 0;
    keep->len = 0;

    /*
     * room for as many records (a real one takes 180 bytes), kept from
     * one image to the next: freeing so large a block would make malloc
     * take the next ones, the sets' among them, from fresh pages
     */

    if (keep->size < 200 * keep->n) {
        ngx_free(keep->buf);

        keep->size = 256 * (keep->n + 1);
        keep->buf = ngx_alloc(keep->size, keep->log);

        if (keep->buf == NULL) {
            keep->size = 0;
            return;
        }
    }

    ngx_add_timer(&keep->step, 1);
}


static void
ngx_http_swarm_keep_step(ngx_event_t *ev)
{
    char                   *p;
    size_t                  len, size, room;
    ngx_slab_pool_t        *shpool;
    ngx_http_swarm_keep_t  *keep;

    keep = ev->data;

    if (keep->copy) {
        ngx_http_swarm_keep_copy(keep);
        return;
    }

    len = ngx_http_swarm_tasks_save(keep->tasks, keep->next,
                                    NGX_HTTP_SWARM_KEEP_STEP, NULL, 0);

    if (keep->len + len > keep->size) {
        size = ngx_max(keep->size * 2, keep->len + len);

        p = ngx_alloc(size, keep->log);
        if (p == NULL) {
            ngx_http_swarm_keep_stop(keep);
            return;
        }

        ngx_memcpy(p, keep->buf, keep->len);
        ngx_free(keep->buf);

        keep->buf = p;
        keep->size = size;
    }

    keep->len += ngx_http_swarm_tasks_save(keep->tasks, keep->next,
                                           NGX_HTTP_SWARM_KEEP_STEP,
                                           keep->buf + keep->len, len);
    keep->next += NGX_HTTP_SWARM_KEEP_STEP;

    if (keep->next < keep->n) {
        ngx_add_timer(&keep->step, 1);
        return;
    }

    /* tried again once tasks change */

    keep->kept = keep->n;

    /* a copy for later, which the sets come before: in ample room only */

    shpool = keep->zone->shpool;
    room = (shpool->end - shpool->start) - ngx_http_swarm_zone_used(keep->zone);

    if (room / 4 >= keep->len) {
        keep->copy = ngx_http_swarm_zone_alloc(keep->zone, keep->len);
    }

    if (keep->copy == NULL) {
        if (!keep->no_room) {
            ngx_log_error(NGX_LOG_NOTICE, keep->log, 0,
                          "swarm: swarm_zone has no ample room for the %uz "
                          "tasks parsed (%uz bytes, %uz free), the next "
                          "worker parses them again", keep->n, keep->len,
                          room);
        }

        keep->no_room = 1;
        ngx_http_swarm_keep_stop(keep);
        return;
    }

    keep->no_room = 0;
    keep->copied = 0;

    ngx_http_swarm_keep_copy(keep);
}


/* the image into the zone, a part a step, then swapped in */

static void
ngx_http_swarm_keep_copy(ngx_http_swarm_keep_t *keep)
{
    size_t  n;

    n = ngx_min(keep->len - keep->copied, NGX_HTTP_SWARM_KEEP_COPY);

    ngx_memcpy(keep->copy + keep->copied, keep->buf + keep->copied, n);
    keep->copied += n;

    if (keep->copied < keep->len) {
        ngx_add_timer(&keep->step, 1);
        return;
    }

    if (ngx_http_swarm_zone_set_blob(keep->zone, NGX_HTTP_SWARM_BLOB_TASKS,
                                     keep->copy, keep->len)
        == NGX_OK)
    {
        keep->copy = NULL;
    }

    ngx_http_swarm_keep_stop(keep);
}


/* an image under way given up; its copy, not swapped in, freed */

void
ngx_http_swarm_keep_stop(ngx_http_swarm_keep_t *keep)
{
    if (keep->step.timer_set) {
        ngx_del_timer(&keep->step);
    }

    if (keep->copy) {
        ngx_http_swarm_zone_free(keep->zone, keep->copy);
        keep->copy = NULL;
    }

    keep->len = 0;
}
