/* Maintenance handlers of the client API: status, alarm, defragment, hash
 * and hashkv (on the pool: src/server/hashkv.c), the snapshot stream (etcd's backend file, produced on the thread pool a
 * batch at a time as the client reads), /health, /version, /metrics. Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../core/metrics.h"
#include "../server/hashkv.h"
#include "../store/store.h"

#define API__SNAP_CHUNK (32u << 10)
#define API__SNAP_QUEUE (4u << 20)

/* ---- status, alarm, defragment ---- */

void apiStatus(struct api_req *req)
{
    struct api *a = req->api;
    struct node_status st;
    json_t *o = json_object();
    int64_t db = storeDbSize(a->deps.store);
    nodeStatus(a->deps.node, &st);
    json_object_set_new(o, "version", json_string(API_VERSION_ETCD));
    codecSetI64(o, "dbSize", db);
    codecSetU64(o, "leader", st.leader);
    codecSetU64(o, "raftIndex", st.last_index);
    codecSetU64(o, "raftTerm", st.term);
    codecSetU64(o, "raftAppliedIndex", st.applied_index);
    codecSetI64(o, "dbSizeInUse", db);
    if (st.is_learner) {
        json_object_set_new(o, "isLearner", json_true());
    }
    if (st.leader == 0) {
        json_t *errs = json_array();
        json_array_append_new(errs, json_string(etcfsStrerror(ETCFS_NOLEADER)));
        json_object_set_new(o, "errors", errs);
    }
    apiReply(req, o, 0);
}

void apiAlarm(struct api_req *req)
{
    apiReply(req, json_object(), 0); /* etcfs raises no alarms */
}

void apiDefragment(struct api_req *req)
{
    apiReply(req, json_object(), 0); /* LevelDB compacts on its own */
}

/* ---- hash, hashkv (etcd's gateway: the gRPC answers as JSON) ---- */

static void hashDoneCb(struct server_hash *h)
{
    struct api_req *req = h->data;
    struct server_hash res = *h;
    json_t *o;
    free(h); /* req keeps no pointer to it: apiReply finishes req */
    if (res.status != 0) {
        apiReplyError(req, res.status,
                      res.errmsg[0] != '\0' ? res.errmsg : NULL);
        return;
    }
    o = json_object();
    if (res.res.hash != 0) { /* proto3 leaves a zero out */
        json_object_set_new(o, "hash", json_integer(res.res.hash));
    }
    if (res.kv) {
        codecSetI64(o, "compact_revision", res.res.compact_revision);
    }
    apiReply(req, o, res.res.revision > 0 ? res.res.revision : 0);
}

static void hashStart(struct api_req *req, bool kv)
{
    struct server_hash *h;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int64_t rev = 0;
    int rv;
    if (kv) {
        rv = codecInt64(req->body, "revision", &rev, errmsg);
        if (rv != 0) {
            apiReplyError(req, rv, errmsg[0] != '\0' ? errmsg : NULL);
            return;
        }
    }
    h = calloc(1, sizeof *h);
    if (h == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    h->data = req;
    h->kv = kv;
    h->revision = rev;
    rv = serverHash(req->api->deps.loop, req->api->deps.store, h, hashDoneCb);
    if (rv != 0) {
        apiReplyError(req, rv, h->errmsg[0] != '\0' ? h->errmsg : NULL);
        free(h);
    }
}

void apiHash(struct api_req *req)
{
    hashStart(req, false);
}

void apiHashKV(struct api_req *req)
{
    hashStart(req, true);
}

/* ---- snapshot stream ----
 * etcd's gateway streams the same bytes as its gRPC Snapshot: etcd's
 * backend file (a bbolt database, src/store/store_bolt.c) in 32 KiB blobs
 * whose remaining_bytes count what is left of the file, then the file's
 * SHA-256 alone. The file is produced on the pool a batch at a time, the
 * next batch once the client took the last one. */

#define API__SNAP_BATCH ((size_t)1 << 20)

struct snap_stream
{
    struct api_req *req;
    struct store_snapshot *snap; /* pinned until the stream ends */
    struct store_bolt *bolt;     /* pool: opened by the first batch */
    uv_work_t work;
    uv_timer_t timer;
    unsigned char *buf; /* one batch */
    size_t len;
    size_t off;
    uint64_t size; /* of the file, the SHA-256 not counted */
    uint64_t sent;
    int status;
    char errmsg[ETCFS_ERRMSG_SIZE];
    bool working;
    bool timer_open;
    bool ended;
    bool eof;
};

static void snapFree(struct snap_stream *s)
{
    storeBoltClose(s->bolt);
    if (s->snap != NULL) {
        storeSnapshotRelease(s->snap);
    }
    free(s->buf);
    free(s);
}

static void snapTimerClosedCb(uv_handle_t *h)
{
    snapFree(h->data);
}

static void snapDispose(struct snap_stream *s)
{
    if (s->timer_open) {
        s->timer_open = false;
        uv_close((uv_handle_t *)&s->timer, snapTimerClosedCb);
        return;
    }
    snapFree(s);
}

static void snapWorkCb(uv_work_t *w)
{
    struct snap_stream *s = w->data;
    s->status = 0;
    if (s->bolt == NULL) {
        s->status = storeBoltOpen(s->snap, &s->bolt, s->errmsg);
        if (s->status != 0) {
            return;
        }
        s->size = storeBoltSize(s->bolt);
    }
    s->status = storeBoltRead(s->bolt, s->buf, API__SNAP_BATCH, &s->len,
                              s->errmsg);
    s->eof = s->len < API__SNAP_BATCH;
    s->off = 0;
}

static void snapAfterWorkCb(uv_work_t *w, int status);

static void snapPumpCb(uv_timer_t *t)
{
    struct snap_stream *s = t->data;
    struct api_req *req = s->req;
    while (s->off < s->len) {
        size_t n = s->len - s->off < API__SNAP_CHUNK ? s->len - s->off
                                                     : API__SNAP_CHUNK;
        json_t *o;
        if (req->conn == NULL) {
            return;
        }
        if (apiStreamQueued(req) > API__SNAP_QUEUE) {
            return; /* the client reads slowly: resume on the next tick */
        }
        /* the file's bytes, then its hash alone in the last message */
        if (s->sent < s->size && s->sent + n > s->size) {
            n = (size_t)(s->size - s->sent);
        }
        o = json_object();
        json_object_set_new(o, "header", apiHeader(req->api, 0));
        json_object_set_new(
            o, "remaining_bytes",
            codecI64(s->sent + n < s->size
                         ? (int64_t)(s->size - (s->sent + n))
                         : 0));
        json_object_set_new(o, "blob", codecB64((char *)s->buf + s->off, n));
        s->off += n;
        s->sent += n;
        if (apiStreamSend(req, o) != 0) {
            return;
        }
    }
    if (s->eof) {
        (void)uv_timer_stop(t);
        apiStreamEnd(req); /* snapEnd disposes of s */
        return;
    }
    (void)uv_timer_stop(t);
    if (uv_queue_work(req->api->deps.loop, &s->work, snapWorkCb,
                      snapAfterWorkCb) != 0) {
        (void)apiStreamSendError(req, ETCFS_IO, "snapshot: cannot queue work");
        apiStreamEnd(req);
        return;
    }
    s->working = true;
}

static void snapAfterWorkCb(uv_work_t *w, int status)
{
    struct snap_stream *s = w->data;
    s->working = false;
    if (s->ended) {
        snapDispose(s);
        return;
    }
    if (status != 0 || s->status != 0) {
        (void)apiStreamSendError(s->req, s->status != 0 ? s->status
                                                        : ETCFS_CANCELED,
                                 s->errmsg);
        apiStreamEnd(s->req); /* snapEnd disposes of s */
        return;
    }
    (void)uv_timer_start(&s->timer, snapPumpCb, 0, 1);
}

static void snapEnd(struct api_req *req)
{
    struct snap_stream *s = req->ctx;
    req->ctx = NULL;
    if (s->timer_open) {
        (void)uv_timer_stop(&s->timer);
    }
    if (s->working) {
        s->ended = true; /* disposed after the work */
        return;
    }
    snapDispose(s);
}

void apiSnapshot(struct api_req *req)
{
    struct api *a = req->api;
    struct snap_stream *s = calloc(1, sizeof *s);
    int rv;
    if (s != NULL) {
        s->buf = malloc(API__SNAP_BATCH);
    }
    if (s == NULL || s->buf == NULL) {
        free(s);
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    s->req = req;
    rv = storeSnapshotTake(a->deps.store, &s->snap, s->errmsg);
    if (rv != 0) {
        free(s->buf);
        free(s);
        apiReplyError(req, rv, NULL);
        return;
    }
    if (uv_timer_init(a->deps.loop, &s->timer) != 0) {
        snapFree(s);
        apiReplyError(req, ETCFS_IO, NULL);
        return;
    }
    s->timer.data = s;
    s->timer_open = true;
    s->work.data = s;
    rv = uv_queue_work(a->deps.loop, &s->work, snapWorkCb, snapAfterWorkCb);
    if (rv != 0) {
        apiReplyError(req, ETCFS_IO, NULL);
        snapDispose(s);
        return;
    }
    s->working = true;
    req->ctx = s;
    apiStreamBegin(req, snapEnd);
}

/* ---- health, version, metrics ---- */

static void healthServe(struct api_req *req)
{
    apiReplyRaw(req, 200, "application/json", "{\"health\":\"true\"}", 17);
}

void apiHealth(struct api_req *req)
{
    if (!nodeHasLeader(req->api->deps.node)) {
        apiReplyRaw(req, 503, "application/json", "{\"health\":\"false\"}",
                    18);
        return;
    }
    apiRead(req, false, healthServe);
}

void apiVersion(struct api_req *req)
{
    static const char body[] = "{\"etcdserver\":\"" API_VERSION_ETCD
                               "\",\"etcdcluster\":\"3.4.0\",\"etcfs\":\""
                               PACKAGE_VERSION "\"}";
    apiReplyRaw(req, 200, "application/json", body, sizeof body - 1);
}

void apiMetrics(struct api_req *req)
{
    struct api *a = req->api;
    struct node_status st;
    char *text = metricsFormat(a->deps.metrics);
    char *all = NULL;
    int n;
    if (text == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    nodeStatus(a->deps.node, &st);
    n = asprintf(&all,
                 "%s"
                 "# HELP etcd_server_has_leader Whether a leader exists.\n"
                 "# TYPE etcd_server_has_leader gauge\n"
                 "etcd_server_has_leader %d\n"
                 "# HELP etcd_server_is_leader Whether this member leads.\n"
                 "# TYPE etcd_server_is_leader gauge\n"
                 "etcd_server_is_leader %d\n"
                 "# HELP etcd_server_proposals_committed_total Committed index.\n"
                 "# TYPE etcd_server_proposals_committed_total gauge\n"
                 "etcd_server_proposals_committed_total %" PRIu64 "\n"
                 "# HELP etcd_server_proposals_applied_total Applied index.\n"
                 "# TYPE etcd_server_proposals_applied_total gauge\n"
                 "etcd_server_proposals_applied_total %" PRIu64 "\n"
                 "# HELP etcd_mvcc_db_total_size_in_bytes Store size.\n"
                 "# TYPE etcd_mvcc_db_total_size_in_bytes gauge\n"
                 "etcd_mvcc_db_total_size_in_bytes %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_current_revision Revision.\n"
                 "# TYPE etcd_debugging_mvcc_current_revision gauge\n"
                 "etcd_debugging_mvcc_current_revision %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_keys_total Live keys.\n"
                 "# TYPE etcd_debugging_mvcc_keys_total gauge\n"
                 "etcd_debugging_mvcc_keys_total %" PRId64 "\n",
                 text, st.leader != 0, st.state == RAFT_LEADER,
                 st.commit_index, st.applied_index,
                 storeDbSize(a->deps.store), storeRevision(a->deps.store),
                 storeKeyCount(a->deps.store));
    free(text);
    if (n < 0) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    apiReplyRaw(req, 200, "text/plain; version=0.0.4", all, (size_t)n);
    free(all);
}

