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
 * order; the stream then stays open until the client closes it. */

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

static void watchCreate(struct watch_stream *s, json_t *cr)
{
    struct api_req *req = s->req;
    struct watch_entry *e;
    const char *key;
    size_t key_len;
    const char *end;
    size_t end_len;
    int64_t start = 0;
    int64_t want_id = 0;
    bool prev = false;
    bool progress = false;
    json_t *filters;
    json_t *o;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;

    rv = codecBytes(&req->arena, cr, "key", &key, &key_len, errmsg);
    if (rv == 0) {
        rv = codecBytes(&req->arena, cr, "range_end", &end, &end_len, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "start_revision", &start, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "prev_kv", &prev, errmsg);
    }
    if (rv == 0) {
        rv = codecBool(cr, "progress_notify", &progress, errmsg);
    }
    if (rv == 0) {
        rv = codecInt64(cr, "watch_id", &want_id, errmsg);
    }
    if (rv != 0) {
        (void)apiStreamSendError(req, rv, errmsg);
        return;
    }
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
    e->id = want_id != 0 ? want_id : s->next_id++;
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
    e->w.start_revision = start;
    e->w.prev_kv = prev;
    filters = json_object_get(cr, "filters");
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

static void watchCancel(struct watch_stream *s, json_t *cr)
{
    int64_t id = 0;
    queue *q;
    json_t *o;
    if (codecInt64(cr, "watch_id", &id, NULL) != 0) {
        return;
    }
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

void apiWatch(struct api_req *req)
{
    struct watch_stream *s = calloc(1, sizeof *s);
    const char *p = req->raw != NULL ? req->raw : "";
    size_t left = req->raw_len;
    if (s == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    s->req = req;
    QUEUE_INIT(&s->entries);
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
            json_t *o = watchResult(s, -1, 0);
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
