/* The watch stream of the client API (POST /v3/watch): create, cancel and
 * progress requests in the body, served in order; events from the watch
 * hub (src/server/watch.c) as newline-delimited results. Loop thread only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../core/metrics.h"
#include "../server/watch_stream.h"
#include "../store/store.h"

/* ---- watch stream ----
 * The body holds one or more requests (create/cancel/progress), served in
 * order; the stream then stays open until the client closes it. The
 * watches themselves are the request path's (src/server/watch_stream.c). */

static json_t *watchResult(struct api_req *req, int64_t id, int64_t revision)
{
    json_t *o = json_object();
    json_object_set_new(o, "header", apiHeader(req->api, revision));
    codecSetI64(o, "watch_id", id);
    return o;
}

static void watchEventsCb(struct watch_stream *s, struct watch_entry *e,
                          const struct store_event *events, size_t n,
                          int64_t revision)
{
    struct api_req *req = s->data;
    json_t *o = watchResult(req, e->id, revision);
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, codecEvent(&events[i]));
    }
    json_object_set_new(o, "events", arr);
    (void)apiStreamSend(req, o);
}

static void watchCanceledCb(struct watch_stream *s, struct watch_entry *e,
                            int code, int64_t compact_rev)
{
    struct api_req *req = s->data;
    /* etcd's compacted response has no revision in its header */
    json_t *o = watchResult(req, e->id,
                            code == ETCFS_COMPACTED ? API_REV_OMIT : 0);
    json_object_set_new(o, "canceled", json_true());
    codecSetI64(o, "compact_revision", compact_rev);
    if (code != ETCFS_COMPACTED) {
        json_object_set_new(o, "cancel_reason",
                            json_string(etcfsStrerror(code)));
    }
    (void)apiStreamSend(req, o);
}

static void watchProgressCb(struct watch_stream *s, struct watch_entry *e,
                            int64_t revision)
{
    (void)apiStreamSend(s->data, watchResult(s->data, e->id, revision));
}

static void watchStreamEnd(struct api_req *req)
{
    struct watch_stream *s = req->ctx;
    watchStreamClose(s);
    METRICS_ADD(req->api->deps.metrics, watch_streams, -1);
    free(s);
    req->ctx = NULL;
}

static void watchCreate(struct watch_stream *s, json_t *cr)
{
    struct api_req *req = s->data;
    struct watch_create c;
    struct watch_created out;
    json_t *filters;
    json_t *o;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;

    memset(&c, 0, sizeof c);
    rv = codecBytes(&req->arena, cr, "key", &c.key, &c.key_len, errmsg);
    if (rv == 0) {
        rv = codecBytes(&req->arena, cr, "range_end", &c.range_end,
                        &c.range_end_len, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "start_revision", &c.start_revision, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "prev_kv", &c.prev_kv, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "progress_notify", &c.progress_notify, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "watch_id", &c.watch_id, errmsg);
    }
    if (rv != 0) {
        (void)apiStreamSendError(req, rv, errmsg);
        return;
    }
    filters = json_object_get(cr, "filters");
    if (json_is_array(filters)) {
        size_t i;
        for (i = 0; i < json_array_size(filters); i++) {
            json_t *f = json_array_get(filters, i);
            if ((json_is_string(f) &&
                 strcmp(json_string_value(f), "NOPUT") == 0) ||
                (json_is_integer(f) && json_integer_value(f) == 0)) {
                c.no_put = true;
            } else if ((json_is_string(f) &&
                        strcmp(json_string_value(f), "NODELETE") == 0) ||
                       (json_is_integer(f) && json_integer_value(f) == 1)) {
                c.no_delete = true;
            }
        }
    }
    rv = watchStreamCreate(s, &req->who, &c, &out);
    if (rv != 0) {
        (void)apiStreamSendError(req, rv,
                                 rv == ETCFS_BUSY ? "too many watchers"
                                                  : NULL);
        return;
    }
    o = watchResult(req, out.id, out.revision);
    json_object_set_new(o, "created", json_true());
    if (out.canceled) {
        json_object_set_new(o, "canceled", json_true());
        json_object_set_new(o, "cancel_reason", json_string(out.reason));
    }
    (void)apiStreamSend(req, o);
    if (out.compacted) {
        o = watchResult(req, out.id, API_REV_OMIT);
        json_object_set_new(o, "canceled", json_true());
        codecSetI64(o, "compact_revision", out.compact_revision);
        (void)apiStreamSend(req, o);
    }
}

static void watchCancel(struct watch_stream *s, json_t *cr)
{
    struct api_req *req = s->data;
    int64_t id = 0;
    json_t *o;
    if (codecInt64(cr, "watch_id", &id, NULL) != 0) {
        return;
    }
    if (watchStreamCancel(s, id) == 0) {
        o = watchResult(req, id, 0);
        json_object_set_new(o, "canceled", json_true());
        (void)apiStreamSend(req, o);
    }
}

void apiWatch(struct api_req *req)
{
    struct watch_stream *s = calloc(1, sizeof *s);
    const char *p = req->raw != NULL ? req->raw : "";
    size_t left = req->raw_len;
    if (s == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    s->data = req;
    s->server = req->api->deps.server;
    s->hub = req->api->deps.hub;
    s->store = req->api->deps.store;
    s->events_cb = watchEventsCb;
    s->canceled_cb = watchCanceledCb;
    s->progress_cb = watchProgressCb;
    watchStreamInit(s);
    req->ctx = s;
    /* validate the first object before committing to a stream */
    while (left > 0 && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
        left--;
    }
    {
        json_error_t jerr;
        json_t *first = json_loadb(p, left, JSON_DISABLE_EOF_CHECK, &jerr);
        if (left > 0 && (first == NULL || !json_is_object(first))) {
            char msg[ETCFS_ERRMSG_SIZE];
            snprintf(msg, sizeof msg, "malformed JSON: %s",
                     first == NULL ? jerr.text : "expected an object");
            json_decref(first);
            free(s);
            req->ctx = NULL;
            apiReplyError(req, ETCFS_BADJSON, msg);
            return;
        }
        json_decref(first);
    }
    METRICS_ADD(req->api->deps.metrics, watch_streams, 1);
    apiStreamBegin(req, watchStreamEnd);
    while (left > 0) {
        json_error_t jerr;
        json_t *obj = json_loadb(p, left, JSON_DISABLE_EOF_CHECK, &jerr);
        json_t *v;
        if (obj == NULL) {
            (void)apiStreamSendError(req, ETCFS_BADJSON, jerr.text);
            break;
        }
        if (jerr.position <= 0 || (size_t)jerr.position > left) {
            json_decref(obj);
            break;
        }
        p += jerr.position;
        left -= (size_t)jerr.position;
        if ((v = json_object_get(obj, "create_request")) != NULL) {
            watchCreate(s, v);
        } else if ((v = json_object_get(obj, "cancel_request")) != NULL) {
            watchCancel(s, v);
        } else if (json_object_get(obj, "progress_request") != NULL) {
            /* etcd: watch id -1, broadcast to the whole stream */
            json_t *o = watchResult(req, -1, 0);
            (void)apiStreamSend(req, o);
        }
        json_decref(obj);
        while (left > 0 &&
               (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
            p++;
            left--;
        }
    }
}
