/* Maintenance handlers of the client API: status, alarm, defragment, hash
 * and hashkv (on the pool: src/server/hashkv.c), the snapshot stream (its
 * chunks from src/server/snapshot_stream.c, sent as JSON while the client
 * reads), /health, /version, /metrics. Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../core/metrics.h"
#include "../server/hashkv.h"
#include "../server/snapshot_stream.h"
#include "../store/store.h"

/* ---- status, alarm, defragment ---- */

void apiStatus(struct api_req *req)
{
    struct api *a = req->api;
    struct node_status st;
    char errs[NODE_MAX_DOWN + 1][NODE_ERROR_SIZE];
    unsigned n_errs;
    unsigned i;
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
    n_errs = nodeStatusErrors(&st, errs, NODE_MAX_DOWN + 1);
    if (n_errs > 0) {
        json_t *arr = json_array();
        for (i = 0; i < n_errs; i++) {
            json_array_append_new(arr, json_string(errs[i]));
        }
        json_object_set_new(o, "errors", arr);
    }
    apiStatusFleet(req, &st, o);
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
 * etcd's gateway streams the same bytes as its gRPC Snapshot
 * (src/server/snapshot_stream.c produces them): each chunk as
 * {"result": {"header", "remaining_bytes", "blob"}}. */

static void snapClosedCb(struct snapshot_stream *s)
{
    free(s);
}

/* The pump: chunks while the client keeps up, then the stream's end. */
static void snapEventCb(struct snapshot_stream *s,
                        enum snapshot_stream_event ev)
{
    struct api_req *req = s->data;
    struct snapshot_chunk c;
    json_t *o;
    if (ev == SNAPSHOT_STREAM_ERROR) {
        (void)apiStreamSendError(req, s->status, s->errmsg);
        apiStreamEnd(req); /* snapEnd closes s */
        return;
    }
    if (ev == SNAPSHOT_STREAM_EOF) {
        apiStreamEnd(req); /* snapEnd closes s */
        return;
    }
    while (snapshotStreamReady(s)) {
        if (req->conn == NULL ||
            apiStreamQueued(req) > SNAPSHOT_STREAM_QUEUE_MAX) {
            return; /* the client reads slowly: resume on the next tick */
        }
        snapshotStreamNext(s, &c);
        o = json_object();
        json_object_set_new(o, "header", apiHeader(req->api, 0));
        json_object_set_new(o, "remaining_bytes",
                            codecI64((int64_t)c.remaining_bytes));
        json_object_set_new(o, "blob",
                            codecB64((const char *)c.bytes, c.len));
        if (apiStreamSend(req, o) != 0) {
            return;
        }
    }
}

static void snapEnd(struct api_req *req)
{
    struct snapshot_stream *s = req->ctx;
    req->ctx = NULL;
    snapshotStreamClose(s, snapClosedCb); /* waits for the pool's batch */
}

void apiSnapshot(struct api_req *req)
{
    struct api *a = req->api;
    struct snapshot_stream *s = calloc(1, sizeof *s);
    int rv;
    if (s == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    s->data = req;
    rv = snapshotStreamStart(s, a->deps.loop, a->deps.store, snapEventCb);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
        snapshotStreamClose(s, snapClosedCb);
        return;
    }
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
    struct metrics *m = a->deps.metrics;
    int64_t db = storeDbSize(a->deps.store); /* etcd's total and in use */
    char *text = metricsFormat(m);
    char *fleet;
    char *all = NULL;
    int n;
    if (text == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    nodeStatus(a->deps.node, &st);
    fleet = apiMetricsFleet(req, &st);
    if (fleet == NULL) {
        free(text);
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    n = asprintf(&all,
                 "%s%s"
                 "# HELP etcd_server_has_leader Whether a leader exists.\n"
                 "# TYPE etcd_server_has_leader gauge\n"
                 "etcd_server_has_leader %d\n"
                 "# HELP etcd_server_is_leader Whether this member leads.\n"
                 "# TYPE etcd_server_is_leader gauge\n"
                 "etcd_server_is_leader %d\n"
                 "# HELP etcd_server_proposals_committed_total Committed index.\n"
                 "# TYPE etcd_server_proposals_committed_total counter\n"
                 "etcd_server_proposals_committed_total %" PRIu64 "\n"
                 "# HELP etcd_server_proposals_applied_total Applied index.\n"
                 "# TYPE etcd_server_proposals_applied_total counter\n"
                 "etcd_server_proposals_applied_total %" PRIu64 "\n"
                 "# HELP etcd_mvcc_db_total_size_in_bytes Store size.\n"
                 "# TYPE etcd_mvcc_db_total_size_in_bytes gauge\n"
                 "etcd_mvcc_db_total_size_in_bytes %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_db_total_size_in_bytes Store "
                 "size (etcd 3.3's name, which older dashboards read).\n"
                 "# TYPE etcd_debugging_mvcc_db_total_size_in_bytes gauge\n"
                 "etcd_debugging_mvcc_db_total_size_in_bytes %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_current_revision Revision.\n"
                 "# TYPE etcd_debugging_mvcc_current_revision gauge\n"
                 "etcd_debugging_mvcc_current_revision %" PRId64 "\n"
                 /* etcd's keys_total and watcher_total are gauges, which
                  * promtool refuses with that suffix: etcfs names them
                  * without it */
                 "# HELP etcfs_keys Live keys.\n"
                 "# TYPE etcfs_keys gauge\n"
                 "etcfs_keys %" PRId64 "\n"
                 /* the rest of what etcd's Grafana dashboard reads */
                 "# HELP etcd_server_version Which version is running.\n"
                 "# TYPE etcd_server_version gauge\n"
                 "etcd_server_version{server_version=\"" API_VERSION_ETCD
                 "\"} 1\n"
                 "# HELP etcd_server_leader_changes_seen_total The number "
                 "of leader changes seen.\n"
                 "# TYPE etcd_server_leader_changes_seen_total counter\n"
                 "etcd_server_leader_changes_seen_total %" PRId64 "\n"
                 "# HELP etcd_server_proposals_pending The current number "
                 "of pending proposals to commit.\n"
                 "# TYPE etcd_server_proposals_pending gauge\n"
                 "etcd_server_proposals_pending %u\n"
                 "# HELP etcd_server_proposals_failed_total The total "
                 "number of failed proposals seen.\n"
                 "# TYPE etcd_server_proposals_failed_total counter\n"
                 "etcd_server_proposals_failed_total %" PRId64 "\n"
                 "# HELP etcd_mvcc_db_total_size_in_use_in_bytes Store size "
                 "in use.\n"
                 "# TYPE etcd_mvcc_db_total_size_in_use_in_bytes gauge\n"
                 "etcd_mvcc_db_total_size_in_use_in_bytes %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_put_total Puts applied.\n"
                 "# TYPE etcd_debugging_mvcc_put_total counter\n"
                 "etcd_debugging_mvcc_put_total %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_delete_total Deletes applied.\n"
                 "# TYPE etcd_debugging_mvcc_delete_total counter\n"
                 "etcd_debugging_mvcc_delete_total %" PRId64 "\n"
                 "# HELP etcd_debugging_mvcc_txn_total Txns applied.\n"
                 "# TYPE etcd_debugging_mvcc_txn_total counter\n"
                 "etcd_debugging_mvcc_txn_total %" PRId64 "\n",
                 text, fleet, st.leader != 0, st.state == RAFT_LEADER,
                 st.commit_index, st.applied_index,
                 db, db, storeRevision(a->deps.store),
                 storeKeyCount(a->deps.store),
                 (int64_t)atomic_load(&m->leader_changes_seen_total),
                 serverPending(a->deps.server),
                 (int64_t)atomic_load(&m->proposals_failed_total),
                 db,
                 (int64_t)atomic_load(&m->puts_applied_total),
                 (int64_t)atomic_load(&m->deletes_applied_total),
                 (int64_t)atomic_load(&m->txns_applied_total));
    free(text);
    free(fleet);
    if (n < 0) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    apiReplyRaw(req, 200, "text/plain; version=0.0.4", all, (size_t)n);
    free(all);
}

