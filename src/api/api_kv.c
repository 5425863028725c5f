/* KV handlers of the client API: range, put, deleterange, txn, compaction,
 * and the watch stream. Decoding/encoding is codec.c; writes go through
 * apiPropose (leader) or are forwarded; reads pass the linearizable gate
 * unless serializable. Loop thread only. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"
#include "../store/store.h"

static size_t maxBytes(struct api_req *req)
{
    return (size_t)req->api->deps.config->max_request_bytes;
}

/* The leader stamps each put with its wall clock (st_mtime for the mount):
 * chosen once, before the entry enters the log, so every member stores the
 * same time. */
static int64_t nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stampTxn(struct store_txn_req *t, int64_t now)
{
    size_t i;
    for (i = 0; i < t->n_success + t->n_failure; i++) {
        struct store_op *op = i < t->n_success ? &t->success[i]
                                               : &t->failure[i - t->n_success];
        if (op->type == STORE_OP_PUT && op->put.attr.mtime_ns == 0) {
            op->put.attr.mtime_ns = now;
            op->put.attr.ctime_ns = now;
        } else if (op->type == STORE_OP_TXN) {
            stampTxn(op->txn, now);
        }
    }
}

static void replyDecodeError(struct api_req *req, int rv, const char *errmsg)
{
    apiReplyError(req, rv, errmsg[0] != '\0' ? errmsg : NULL);
}

/* ---- range ---- */

static void rangeServe(struct api_req *req)
{
    struct store_range_req r;
    struct store_range_resp resp;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecRangeReq(&req->arena, req->body, &r, NULL, errmsg);
    if (rv == 0) {
        memset(&resp, 0, sizeof resp);
        rv = storeRange(req->api->deps.store, &r, &resp, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv,
                      rv == ETCFS_COMPACTED || rv == ETCFS_FUTURE_REV
                          ? NULL
                          : errmsg);
        return;
    }
    apiReply(req, codecRangeResp(&resp), resp.revision);
    storeRangeRespClear(&resp);
}

void apiKvRange(struct api_req *req)
{
    struct store_range_req r;
    bool serializable = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecRangeReq(&req->arena, req->body, &r, &serializable, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiRead(req, serializable, rangeServe);
}

/* ---- put ---- */

static void putApplied(struct api_req *req, const struct command_result *res)
{
    apiReply(req, codecPutResp(&res->put), res->revision);
}

void apiKvPut(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    rv = codecPutReq(&req->arena, req->body, &cmd.put, maxBytes(req), errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    cmd.put.attr.mtime_ns = nowNs();
    cmd.put.attr.ctime_ns = cmd.put.attr.mtime_ns;
    apiPropose(req, &cmd, putApplied);
}

/* ---- delete range ---- */

static void deleteApplied(struct api_req *req,
                          const struct command_result *res)
{
    apiReply(req, codecDeleteResp(&res->delete_range), res->revision);
}

void apiKvDeleteRange(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    rv = codecDeleteReq(&req->arena, req->body, &cmd.delete_range, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiPropose(req, &cmd, deleteApplied);
}

/* ---- txn ---- */

static void txnApplied(struct api_req *req, const struct command_result *res)
{
    apiReply(req, codecTxnResp(&res->txn, res->revision), res->revision);
}

static size_t countOps(const struct store_txn_req *t)
{
    size_t n = t->n_success > t->n_failure ? t->n_success : t->n_failure;
    return n;
}

void apiKvTxn(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    bool has_writes = false;
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    rv = codecTxnReq(&req->arena, req->body, &cmd.txn, maxBytes(req),
                     &has_writes, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    if (countOps(&cmd.txn) > req->api->deps.config->max_txn_ops ||
        cmd.txn.n_compares > req->api->deps.config->max_txn_ops) {
        apiReplyError(req, ETCFS_TOO_MANY_OPS, NULL);
        return;
    }
    stampTxn(&cmd.txn, nowNs());
    /* read-only txns go through the log too: one code path, linearizable */
    apiPropose(req, &cmd, txnApplied);
}

/* ---- compaction ---- */

static void compactApplied(struct api_req *req,
                           const struct command_result *res)
{
    apiReply(req, json_object(), res->revision);
}

void apiKvCompaction(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    rv = codecInt64(req->body, "revision", &cmd.compact_revision, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    /* checked here too so a bad revision does not cost a log entry */
    if (cmd.compact_revision > storeRevision(req->api->deps.store) &&
        nodeIsLeader(req->api->deps.node)) {
        apiReplyError(req, ETCFS_FUTURE_REV, NULL);
        return;
    }
    apiPropose(req, &cmd, compactApplied);
}

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
    json_t *o = watchResult(s, e->id, 0);
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
        o = watchResult(s, e->id, 0);
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
