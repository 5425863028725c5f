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
#include "../store/store.h"

/* ---- watch stream ----
 * The body holds one or more requests (create/cancel/progress), served in
 * order; the stream then stays open until the client closes it (apiWatch). */

#define WATCH__MAX_PER_STREAM 1024

struct watch_stream;
struct watch_entry
{
    struct watcher w;
    struct watch_stream *stream;
    int64_t id;
    char *key;
    char *range_end;
    queue link;
};

struct watch_stream
{
    struct api_req *req;
    queue entries;
    int64_t next_id;
    unsigned n;
};

static json_t *watchResult(struct watch_stream *s, int64_t id,
                           int64_t revision)
{
    json_t *o = json_object();
    json_object_set_new(o, "header", apiHeader(s->req->api, revision));
    codecSetI64(o, "watch_id", id);
    return o;
}

static void watchEntryFree(struct watch_stream *s, struct watch_entry *e,
                           bool remove)
{
    if (remove) {
        watchHubRemove(s->req->api->deps.hub, &e->w);
    }
    QUEUE_REMOVE(&e->link);
    s->n--;
    free(e->key);
    free(e->range_end);
    free(e);
}

static void watchEventsCb(struct watcher *w, const struct store_event *events,
                          size_t n, int64_t revision)
{
    struct watch_entry *e = w->data;
    json_t *o = watchResult(e->stream, e->id, revision);
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, codecEvent(&events[i]));
    }
    json_object_set_new(o, "events", arr);
    (void)apiStreamSend(e->stream->req, o);
}

static void watchErrorCb(struct watcher *w, int code, int64_t compact_rev)
{
    struct watch_entry *e = w->data;
    struct watch_stream *s = e->stream;
    /* etcd's compacted response has no revision in its header */
    json_t *o = watchResult(s, e->id,
                            code == ETCFS_COMPACTED ? API_REV_OMIT : 0);
    json_object_set_new(o, "canceled", json_true());
    codecSetI64(o, "compact_revision", compact_rev);
    if (code != ETCFS_COMPACTED) {
        json_object_set_new(o, "cancel_reason",
                            json_string(etcfsStrerror(code)));
    }
    (void)apiStreamSend(s->req, o);
    watchEntryFree(s, e, false); /* the hub already removed it */
}

static void watchStreamEnd(struct api_req *req)
{
    struct watch_stream *s = req->ctx;
    while (!QUEUE_IS_EMPTY(&s->entries)) {
        struct watch_entry *e =
            QUEUE_DATA(QUEUE_HEAD(&s->entries), struct watch_entry, link);
        watchEntryFree(s, e, true);
    }
    METRICS_ADD(req->api->deps.metrics, watch_streams, -1);
    free(s);
    req->ctx = NULL;
}

static char *dupBytes(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d != NULL) {
        if (len > 0) {
            memcpy(d, p, len);
        }
        d[len] = '\0';
    }
    return d;
}

/* A request of the body, decoded whole before it is served (a field that
 * does not decode is a decoding error of the message, as jsonpb's). */
struct watch_msg
{
    enum { WATCH__NONE, WATCH__CREATE, WATCH__CANCEL, WATCH__PROGRESS } kind;
    json_t *cr; /* create_request (borrowed from the message) */
    const char *key;
    size_t key_len;
    const char *end;
    size_t end_len;
    int64_t start;
    int64_t watch_id; /* create: the id asked for; cancel: the one to cancel */
    bool prev;
    bool progress;
};

static int watchDecode(struct api_req *req, json_t *obj, struct watch_msg *m,
                       char *errmsg)
{
    json_t *cr = json_object_get(obj, "create_request");
    json_t *cc = json_object_get(obj, "cancel_request");
    int rv = 0;
    memset(m, 0, sizeof *m);
    if (cr != NULL && !json_is_null(cr)) {
        if (!json_is_object(cr)) {
            etcfsErrmsgf(errmsg, "create_request: expected an object");
            return ETCFS_BADJSON;
        }
        m->kind = WATCH__CREATE;
        m->cr = cr;
        rv = codecBytes(&req->arena, cr, "key", &m->key, &m->key_len, errmsg);
        if (rv == 0) {
            rv = codecBytes(&req->arena, cr, "range_end", &m->end,
                            &m->end_len, errmsg);
        }
        if (rv == 0) {
            rv = codecInt64(cr, "start_revision", &m->start, errmsg);
        }
        if (rv == 0) {
            rv = codecBool(cr, "prev_kv", &m->prev, errmsg);
        }
        if (rv == 0) {
            rv = codecBool(cr, "progress_notify", &m->progress, errmsg);
        }
        if (rv == 0) {
            rv = codecInt64(cr, "watch_id", &m->watch_id, errmsg);
        }
        return rv;
    }
    if (cc != NULL && !json_is_null(cc)) {
        if (!json_is_object(cc)) {
            etcfsErrmsgf(errmsg, "cancel_request: expected an object");
            return ETCFS_BADJSON;
        }
        m->kind = WATCH__CANCEL;
        return codecInt64(cc, "watch_id", &m->watch_id, errmsg);
    }
    if (json_object_get(obj, "progress_request") != NULL) {
        m->kind = WATCH__PROGRESS;
    }
    return 0;
}

static void watchCreate(struct watch_stream *s, const struct watch_msg *m)
{
    struct api_req *req = s->req;
    struct watch_entry *e;
    const char *key = m->key;
    size_t key_len = m->key_len;
    const char *end = m->end;
    size_t end_len = m->end_len;
    json_t *filters;
    json_t *o;
    int rv;

    if (s->n >= WATCH__MAX_PER_STREAM) {
        (void)apiStreamSendError(req, ETCFS_BUSY, "too many watchers");
        return;
    }
    rv = authnRead(req->api->deps.server, &req->who, key, key_len, end,
                   end_len);
    if (rv != 0) {
        /* etcd: created and canceled at once, watch id -1, the reason as
         * a gRPC status text; an error other than these three reads
         * "permission denied" (v3rpc/watch.go recvLoop) */
        char reason[ETCFS_ERRMSG_SIZE];
        if (rv != ETCFS_INVALID_TOKEN && rv != ETCFS_AUTH_OLD_REVISION &&
            rv != ETCFS_USER_EMPTY) {
            rv = ETCFS_PERMISSION_DENIED;
        }
        o = watchResult(s, -1, 0);
        json_object_set_new(o, "created", json_true());
        json_object_set_new(o, "canceled", json_true());
        json_object_set_new(
            o, "cancel_reason",
            json_string(etcfsGrpcStatusText(rv, reason, sizeof reason)));
        (void)apiStreamSend(req, o);
        return;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        (void)apiStreamSendError(req, ETCFS_NOMEM, NULL);
        return;
    }
    e->stream = s;
    e->id = m->watch_id != 0 ? m->watch_id : s->next_id++;
    e->key = dupBytes(key, key_len);
    e->range_end = dupBytes(end, end_len);
    if (e->key == NULL || e->range_end == NULL) {
        free(e->key);
        free(e->range_end);
        free(e);
        (void)apiStreamSendError(req, ETCFS_NOMEM, NULL);
        return;
    }
    e->w.data = e;
    e->w.key = e->key;
    e->w.key_len = key_len;
    e->w.range_end = e->range_end;
    e->w.range_end_len = end_len;
    e->w.start_revision = m->start;
    e->w.prev_kv = m->prev;
    filters = json_object_get(m->cr, "filters");
    if (json_is_array(filters)) {
        size_t i;
        for (i = 0; i < json_array_size(filters); i++) {
            json_t *f = json_array_get(filters, i);
            if ((json_is_string(f) &&
                 strcmp(json_string_value(f), "NOPUT") == 0) ||
                (json_is_integer(f) && json_integer_value(f) == 0)) {
                e->w.no_put = true;
            } else if ((json_is_string(f) &&
                        strcmp(json_string_value(f), "NODELETE") == 0) ||
                       (json_is_integer(f) && json_integer_value(f) == 1)) {
                e->w.no_delete = true;
            }
        }
    }
    e->w.events_cb = watchEventsCb;
    e->w.error_cb = watchErrorCb;
    QUEUE_PUSH(&s->entries, &e->link);
    s->n++;
    o = watchResult(s, e->id, 0);
    json_object_set_new(o, "created", json_true());
    rv = watchHubAdd(req->api->deps.hub, &e->w);
    if (rv == ETCFS_COMPACTED) {
        /* etcd: created, then canceled with the compact revision */
        (void)apiStreamSend(req, o);
        o = watchResult(s, e->id, API_REV_OMIT);
        json_object_set_new(o, "canceled", json_true());
        codecSetI64(o, "compact_revision",
                    storeCompactRevision(req->api->deps.store));
        (void)apiStreamSend(req, o);
        watchEntryFree(s, e, false);
        return;
    }
    if (rv != 0) {
        json_decref(o);
        (void)apiStreamSendError(req, rv, NULL);
        watchEntryFree(s, e, false);
        return;
    }
    (void)apiStreamSend(req, o);
}

static void watchCancel(struct watch_stream *s, int64_t id)
{
    queue *q;
    json_t *o;
    QUEUE_FOREACH(q, &s->entries)
    {
        struct watch_entry *e = QUEUE_DATA(q, struct watch_entry, link);
        if (e->id == id) {
            watchEntryFree(s, e, true);
            o = watchResult(s, id, 0);
            json_object_set_new(o, "canceled", json_true());
            (void)apiStreamSend(s->req, o);
            return;
        }
    }
}

static void watchServe(struct watch_stream *s, const struct watch_msg *m)
{
    switch (m->kind) {
        case WATCH__CREATE: watchCreate(s, m); break;
        case WATCH__CANCEL: watchCancel(s, m->watch_id); break;
        case WATCH__PROGRESS:
            /* etcd: watch id -1, broadcast to the whole stream */
            (void)apiStreamSend(s->req, watchResult(s, -1, 0));
            break;
        default: break; /* etcd ignores an empty request */
    }
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
    s->req = req;
    QUEUE_INIT(&s->entries);
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
            req->ctx = s;
            METRICS_ADD(req->api->deps.metrics, watch_streams, 1);
            apiStreamBegin(req, watchStreamEnd);
            begun = true;
        }
        watchServe(s, &m);
        json_decref(obj);
    }
    if (!begun) {
        req->ctx = s;
        METRICS_ADD(req->api->deps.metrics, watch_streams, 1);
        apiStreamBegin(req, watchStreamEnd);
    }
}
