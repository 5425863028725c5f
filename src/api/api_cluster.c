/* Cluster and maintenance handlers of the client API: member list/add/
 * remove/update/promote, status, snapshot stream, alarm, defragment, move
 * leader, /health, /version, /metrics, and the internal read-index and
 * publish calls followers make to the leader. Loop thread only; the
 * snapshot is serialized on the thread pool. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../server/lease.h"
#include "../lib/log.h"
#include "../core/metrics.h"
#include "../server/quota.h"
#include "../store/store.h"

#define API__SNAP_CHUNK (32u << 10)
#define API__SNAP_QUEUE (4u << 20)

/* ---- members ---- */

static json_t *urlArray(const char *csv)
{
    json_t *arr = json_array();
    char tmp[NODE_URL_SIZE];
    char *save = NULL;
    char *tok;
    snprintf(tmp, sizeof tmp, "%s", csv);
    for (tok = strtok_r(tmp, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        json_array_append_new(arr, json_string(tok));
    }
    return arr;
}

static json_t *memberJson(const struct node_member *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "ID", codecU64(m->id));
    if (m->name[0] != '\0') {
        json_object_set_new(o, "name", json_string(m->name));
    }
    json_object_set_new(o, "peerURLs", urlArray(m->peer_url));
    if (m->client_urls[0] != '\0') {
        json_object_set_new(o, "clientURLs", urlArray(m->client_urls));
    }
    if (m->is_learner) {
        json_object_set_new(o, "isLearner", json_true());
    }
    return o;
}

/* {"members": [...]} plus, when id != 0, {"member": that one}. */
static json_t *membersJson(struct api *a, uint64_t id)
{
    struct node_member *members = NULL;
    size_t n = 0;
    size_t i;
    json_t *o = json_object();
    json_t *arr = json_array();
    if (nodeMembers(a->deps.node, &members, &n) == 0) {
        for (i = 0; i < n; i++) {
            json_array_append_new(arr, memberJson(&members[i]));
            if (id != 0 && members[i].id == id) {
                json_object_set_new(o, "member", memberJson(&members[i]));
            }
        }
        free(members);
    }
    json_object_set_new(o, "members", arr);
    return o;
}

static void memberListServe(struct api_req *req)
{
    apiReply(req, membersJson(req->api, 0), 0);
}

void apiMemberList(struct api_req *req)
{
    bool serializable = false;
    /* etcd 3.4 serves it from local state, which can lag a membership
     * change just acknowledged elsewhere; etcfs confirms with the leader
     * first (one shared read barrier) unless "serializable": true */
    (void)codecBool(req->body, "serializable", &serializable, NULL);
    apiRead(req, serializable, memberListServe);
}

static void changeCb(struct node_change *c, int status)
{
    struct api_req *req = c->data;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    apiReply(req, membersJson(req->api, req->u64), 0);
}

static int memberId(struct api_req *req, uint64_t *id)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecUint64(req->body, "ID", id, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return rv;
    }
    return 0;
}

static bool leaderOrForward(struct api_req *req)
{
    if (!nodeIsLeader(req->api->deps.node)) {
        apiForward(req);
        return false;
    }
    return true;
}

static void changeStart(struct api_req *req, int rv)
{
    if (rv == ETCFS_NOTLEADER) {
        apiForward(req);
    } else if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
}

void apiMemberAdd(struct api_req *req)
{
    json_t *urls = json_object_get(req->body, "peerURLs");
    bool learner = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    if (!json_is_array(urls) || json_array_size(urls) == 0 ||
        !json_is_string(json_array_get(urls, 0))) {
        apiReplyError(req, ETCFS_INVALID,
                      "member add: peerURLs must list at least one URL");
        return;
    }
    rv = codecBool(req->body, "isLearner", &learner, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    if (!leaderOrForward(req)) {
        return;
    }
    memset(&req->change, 0, sizeof req->change);
    req->change.data = req;
    req->change.cb = changeCb;
    rv = nodeMemberAdd(req->api->deps.node, &req->change,
                       json_string_value(json_array_get(urls, 0)), learner);
    req->u64 = req->change.id;
    if (rv == ETCFS_INVALID) {
        apiReplyError(req, rv, "member add: invalid peer URL");
        return;
    }
    changeStart(req, rv);
}

static void removeCb(struct node_change *c, int status)
{
    struct api_req *req = c->data;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    apiReply(req, membersJson(req->api, 0), 0);
}

void apiMemberRemove(struct api_req *req)
{
    uint64_t id;
    if (memberId(req, &id) != 0 || !leaderOrForward(req)) {
        return;
    }
    memset(&req->change, 0, sizeof req->change);
    req->change.data = req;
    req->change.cb = removeCb;
    changeStart(req, nodeMemberRemove(req->api->deps.node, &req->change, id));
}

void apiMemberPromote(struct api_req *req)
{
    uint64_t id;
    if (memberId(req, &id) != 0 || !leaderOrForward(req)) {
        return;
    }
    memset(&req->change, 0, sizeof req->change);
    req->change.data = req;
    req->change.cb = removeCb;
    changeStart(req,
                nodeMemberPromote(req->api->deps.node, &req->change, id));
}

void apiMemberUpdate(struct api_req *req)
{
    uint64_t id;
    json_t *urls = json_object_get(req->body, "peerURLs");
    if (memberId(req, &id) != 0) {
        return;
    }
    if (!json_is_array(urls) || json_array_size(urls) == 0 ||
        !json_is_string(json_array_get(urls, 0))) {
        apiReplyError(req, ETCFS_INVALID,
                      "member update: peerURLs must list at least one URL");
        return;
    }
    if (!leaderOrForward(req)) {
        return;
    }
    memset(&req->change, 0, sizeof req->change);
    req->change.data = req;
    req->change.cb = removeCb;
    changeStart(req, nodeMemberUpdate(req->api->deps.node, &req->change, id,
                                      json_string_value(
                                          json_array_get(urls, 0))));
}

static void transferCb(struct node_change *c, int status)
{
    struct api_req *req = c->data;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    apiReply(req, json_object(), 0);
}

void apiMoveLeader(struct api_req *req)
{
    uint64_t id = 0;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecUint64(req->body, "targetID", &id, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    if (!leaderOrForward(req)) {
        return;
    }
    memset(&req->change, 0, sizeof req->change);
    req->change.data = req;
    req->change.cb = transferCb;
    changeStart(req, nodeTransfer(req->api->deps.node, &req->change, id));
}

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

/* ---- snapshot stream ---- */

struct snap_stream
{
    struct api_req *req;
    struct store *store;
    struct store_snapshot *snap;
    uv_work_t work;
    uv_timer_t timer;
    void *buf;
    size_t len;
    size_t off;
    int status;
    char errmsg[ETCFS_ERRMSG_SIZE];
    bool working;
    bool timer_open;
    bool ended;
};

static void snapFree(struct snap_stream *s)
{
    free(s->buf);
    if (s->snap != NULL) {
        storeSnapshotRelease(s->snap);
    }
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

static void *snapAlloc(size_t n)
{
    return malloc(n);
}

static void snapWorkCb(uv_work_t *w)
{
    struct snap_stream *s = w->data;
    s->status = storeSnapshotEncode(s->snap, snapAlloc, &s->buf, &s->len,
                                    s->errmsg);
}

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
            break; /* the client reads slowly: resume on the next tick */
        }
        o = json_object();
        json_object_set_new(o, "header", apiHeader(req->api, 0));
        json_object_set_new(o, "remaining_bytes",
                            codecI64((int64_t)(s->len - s->off - n)));
        json_object_set_new(o, "blob", codecB64((char *)s->buf + s->off, n));
        s->off += n;
        if (apiStreamSend(req, o) != 0) {
            return;
        }
    }
    if (s->off >= s->len) {
        (void)uv_timer_stop(t);
        apiStreamClose(req);
    }
}

static void snapAfterWorkCb(uv_work_t *w, int status)
{
    struct snap_stream *s = w->data;
    s->working = false;
    storeSnapshotRelease(s->snap);
    s->snap = NULL;
    if (s->ended) {
        snapDispose(s);
        return;
    }
    if (status != 0 || s->status != 0) {
        (void)apiStreamSendError(s->req, s->status != 0 ? s->status
                                                        : ETCFS_CANCELED,
                                 s->errmsg);
        apiStreamClose(s->req);
        return;
    }
    (void)uv_timer_start(&s->timer, snapPumpCb, 0, 1);
}

static void snapEnd(struct api_req *req)
{
    struct snap_stream *s = req->ctx;
    req->ctx = NULL;
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
    if (s == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    s->req = req;
    s->store = a->deps.store;
    rv = storeSnapshotTake(a->deps.store, &s->snap, s->errmsg);
    if (rv != 0) {
        free(s);
        apiReplyError(req, rv, NULL);
        return;
    }
    if (uv_timer_init(a->deps.loop, &s->timer) != 0) {
        storeSnapshotRelease(s->snap);
        free(s);
        apiReplyError(req, ETCFS_IO, NULL);
        return;
    }
    s->timer.data = s;
    s->timer_open = true;
    s->work.data = s;
    rv = uv_queue_work(a->deps.loop, &s->work, snapWorkCb, snapAfterWorkCb);
    if (rv != 0) {
        req->ctx = s;
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

/* ---- internal: follower -> leader ---- */

static void readIndexServe(struct api_req *req)
{
    json_t *o = json_object();
    json_object_set_new(o, "index",
                        codecU64(storeAppliedIndex(req->api->deps.store)));
    apiReply(req, o, -1);
}

/* The leader's read confirmation (raft/read.c): {"term", "leader"} ->
 * {"ok": true} while this member follows that leader in that term. */
void apiInternalLeaderCheck(struct api_req *req)
{
    uint64_t term = 0;
    uint64_t leader = 0;
    json_t *o;
    if (codecUint64(req->body, "term", &term, NULL) != 0 ||
        codecUint64(req->body, "leader", &leader, NULL) != 0) {
        apiReplyError(req, ETCFS_BADJSON, "leadercheck: term and leader");
        return;
    }
    o = json_object();
    json_object_set_new(
        o, "ok", json_boolean(nodeLeaderCheck(req->api->deps.node, term,
                                              leader)));
    apiReply(req, o, -1);
}

void apiInternalReadIndex(struct api_req *req)
{
    if (!nodeIsLeader(req->api->deps.node)) {
        apiReplyError(req, ETCFS_NOTLEADER, NULL);
        return;
    }
    apiRead(req, false, readIndexServe);
}

static void publishApplied(struct api_req *req,
                           const struct command_result *res)
{
    (void)res;
    apiReply(req, json_object(), 0);
}

void apiInternalPublish(struct api_req *req)
{
    struct command cmd;
    uint64_t id = 0;
    char name[64];
    char *value;
    if (codecUint64(req->body, "ID", &id, NULL) != 0 || id == 0 ||
        !json_is_string(json_object_get(req->body, "name"))) {
        apiReplyError(req, ETCFS_BADJSON, "publish: ID and name required");
        return;
    }
    if (!nodeIsLeader(req->api->deps.node)) {
        apiReplyError(req, ETCFS_NOTLEADER, NULL);
        return;
    }
    json_object_del(req->body, "ID");
    value = json_dumps(req->body, JSON_COMPACT);
    if (value == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    snprintf(name, sizeof name, "member/%016" PRIx64, id);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_META;
    cmd.meta.name = name;
    cmd.meta.name_len = strlen(name);
    cmd.meta.value = value;
    cmd.meta.value_len = strlen(value);
    req->forwarded = true; /* never forward this one again */
    apiPropose(req, &cmd, publishApplied);
    free(value);
}

/* A follower's mount proposes a binary command (raft/command.h) through the
 * leader: POST /etcfs/v1/propose, answered {"status", "revision",
 * "succeeded"} once applied here. */
static void proposeApplied(struct api_req *req,
                           const struct command_result *res)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_integer(res->status));
    json_object_set_new(o, "revision", codecI64(res->revision));
    if (res->type == COMMAND_TXN && res->txn.succeeded) {
        json_object_set_new(o, "succeeded", json_true());
    }
    apiReply(req, o, -1);
}

static void proposeCbRaw(struct node_propose *p, int status,
                         struct command_result *res)
{
    struct api_req *req = p->data;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    proposeApplied(req, res); /* request-level errors travel as "status" */
    commandResultFree(res);
}

void apiInternalPropose(struct api_req *req)
{
    struct command_decoded dec;
    int rv;
    if (!nodeIsLeader(req->api->deps.node)) {
        apiReplyError(req, ETCFS_NOTLEADER, NULL);
        return;
    }
    if (req->raw == NULL ||
        commandDecode(req->raw, req->raw_len, &dec) != 0) {
        apiReplyError(req, ETCFS_BADJSON, "propose: malformed command");
        return;
    }
    if (quotaExceeded(req->api->deps.config, req->api->deps.store,
                      &dec.cmd)) {
        commandDecodedClear(&dec);
        apiReplyError(req, ETCFS_NOSPACE, NULL);
        return;
    }
    memset(&req->propose, 0, sizeof req->propose);
    req->propose.data = req;
    req->propose.cb = proposeCbRaw;
    rv = nodePropose(req->api->deps.node, &req->propose, &dec.cmd);
    commandDecodedClear(&dec);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
}
