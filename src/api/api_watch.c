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
 * order; the stream then stays open until the client closes it (apiWatch).
 * The watches themselves are the request path's
 * (src/server/watch_stream.c). */

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

/* A request of the body, decoded whole before it is served (a field that
 * does not decode is a decoding error of the message, as jsonpb's). */
struct watch_msg
{
    enum { WATCH__NONE, WATCH__CREATE, WATCH__CANCEL, WATCH__PROGRESS } kind;
    struct watch_create create;
    int64_t cancel_id;
};

static int watchDecodeCreate(struct api_req *req, json_t *cr,
                             struct watch_create *c, char *errmsg)
{
    json_t *filters;
    int rv;
    memset(c, 0, sizeof *c);
    rv = codecBytes(&req->arena, cr, "key", &c->key, &c->key_len, errmsg);
    if (rv == 0) {
        rv = codecBytes(&req->arena, cr, "range_end", &c->range_end,
                        &c->range_end_len, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "start_revision", &c->start_revision, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "prev_kv", &c->prev_kv, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "progress_notify", &c->progress_notify, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "watch_id", &c->watch_id, errmsg);
    }
    if (rv != 0) {
        return rv;
    }
    filters = json_object_get(cr, "filters");
    if (json_is_array(filters)) {
        size_t i;
        for (i = 0; i < json_array_size(filters); i++) {
            json_t *f = json_array_get(filters, i);
            if ((json_is_string(f) &&
                 strcmp(json_string_value(f), "NOPUT") == 0) ||
                (json_is_integer(f) && json_integer_value(f) == 0)) {
                c->no_put = true;
            } else if ((json_is_string(f) &&
                        strcmp(json_string_value(f), "NODELETE") == 0) ||
                       (json_is_integer(f) && json_integer_value(f) == 1)) {
                c->no_delete = true;
            }
        }
    }
    return 0;
}

static int watchDecode(struct api_req *req, json_t *obj, struct watch_msg *m,
                       char *errmsg)
{
    json_t *cr = json_object_get(obj, "create_request");
    json_t *cc = json_object_get(obj, "cancel_request");
    memset(m, 0, sizeof *m);
    if (cr != NULL && !json_is_null(cr)) {
        if (!json_is_object(cr)) {
            etcfsErrmsgf(errmsg, "create_request: expected an object");
            return ETCFS_BADJSON;
        }
        m->kind = WATCH__CREATE;
        return watchDecodeCreate(req, cr, &m->create, errmsg);
    }
    if (cc != NULL && !json_is_null(cc)) {
        if (!json_is_object(cc)) {
            etcfsErrmsgf(errmsg, "cancel_request: expected an object");
            return ETCFS_BADJSON;
        }
        m->kind = WATCH__CANCEL;
        return codecInt64(cc, "watch_id", &m->cancel_id, errmsg);
    }
    if (json_object_get(obj, "progress_request") != NULL) {
        m->kind = WATCH__PROGRESS;
    }
    return 0;
}

static void watchCreate(struct watch_stream *s, const struct watch_create *c)
{
    struct api_req *req = s->data;
    struct watch_created out;
    json_t *o;
    int rv = watchStreamCreate(s, &req->who, c, &out);
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

static void watchCancel(struct watch_stream *s, int64_t id)
{
    struct api_req *req = s->data;
    json_t *o;
    if (watchStreamCancel(s, id) == 0) {
        o = watchResult(req, id, 0);
        json_object_set_new(o, "canceled", json_true());
        (void)apiStreamSend(req, o);
    }
}

static void watchServe(struct watch_stream *s, const struct watch_msg *m)
{
    switch (m->kind) {
        case WATCH__CREATE: watchCreate(s, &m->create); break;
        case WATCH__CANCEL: watchCancel(s, m->cancel_id); break;
        case WATCH__PROGRESS:
            /* etcd: watch id -1, broadcast to the whole stream */
            (void)apiStreamSend(s->data, watchResult(s->data, -1, 0));
            break;
        default: break; /* etcd ignores an empty request */
    }
}

static void watchBegin(struct api_req *req, struct watch_stream *s)
{
    req->ctx = s;
    METRICS_ADD(req->api->deps.metrics, watch_streams, 1);
    apiStreamBegin(req, watchStreamEnd);
}

/* As etcd 3.4's gateway and v3rpc/watch.go: a first message that does not
 * decode gets the gateway's 500 instead of a stream; a later one ends the
 * reading there, silently. The requests read are served in order, and the
 * stream then stays open, even for a body that asked for nothing (etcd's
 * server goes on sending after the client's side ended), until the client
 * closes it. */
void apiWatch(struct api_req *req)
{
    struct watch_stream *s = calloc(1, sizeof *s);
    size_t off = 0;
    bool begun = false;
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
    for (;;) {
        char errmsg[ETCFS_ERRMSG_SIZE] = "";
        struct watch_msg m;
        json_t *obj;
        int rv = apiStreamMessage(req, &off, &obj, errmsg);
        if (rv == 0 && obj == NULL) {
            break; /* the body ended */
        }
        if (rv == 0) {
            rv = watchDecode(req, obj, &m, errmsg);
        }
        if (rv != 0) {
            json_decref(obj);
            if (begun) {
                break; /* the gateway stops reading the body */
            }
            free(s);
            if (rv == ETCFS_NOMEM) {
                apiReplyError(req, rv, NULL);
            } else {
                apiReplyUndecodable(req, errmsg);
            }
            return;
        }
        if (!begun) {
            watchBegin(req, s);
            begun = true;
        }
        watchServe(s, &m);
        json_decref(obj);
    }
    if (!begun) {
        watchBegin(req, s);
    }
}
