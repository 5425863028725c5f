/* Cluster handlers of the client API: member list/add/remove/update/
 * promote, move leader, and the internal calls members make to the leader
 * (read index, leader check, publish, and the request path's forwards).
 * Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"
#include "../store/store.h"


/* ---- members ---- */

static json_t *memberJson(const struct node_member *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "ID", codecU64(m->id));
    if (m->name[0] != '\0') {
        json_object_set_new(o, "name", json_string(m->name));
    }
    json_object_set_new(o, "peerURLs", codecUrlList(m->peer_url));
    if (m->client_urls[0] != '\0') {
        json_object_set_new(o, "clientURLs", codecUrlList(m->client_urls));
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

/* etcd's cluster responses carry no revision (v3rpc/member.go header()) */
static void memberListServe(struct api_req *req)
{
    apiReply(req, membersJson(req->api, 0), API_REV_OMIT);
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

/* The member list once it shows the change (serverMemberSettle). */
static void memberListAfterCb(struct server_read *r, int status)
{
    struct api_req *req = r->data;
    (void)status;
    apiReply(req, membersJson(req->api, req->u64), API_REV_OMIT);
}

static void memberCb(struct server_member *m, int status)
{
    struct api_req *req = m->data;
    int op = m->op;
    if (status != 0) {
        apiReplyError(req, status,
                      status == ETCFS_INVALID && op == SERVER_MEMBER_ADD
                          ? "member add: invalid peer URL"
                          : NULL);
        return;
    }
    if (op == SERVER_MOVE_LEADER) {
        apiReply(req, json_object(), -1); /* etcd's has no header */
        return;
    }
    req->u64 = op == SERVER_MEMBER_ADD ? m->id : 0;
    memset(&req->read, 0, sizeof req->read);
    req->read.data = req;
    req->read.cb = memberListAfterCb;
    if (!serverMemberSettle(req->api->deps.server, &req->read)) {
        memberListAfterCb(&req->read, 0);
    }
}

int apiMember(struct api_req *req, int op, uint64_t id, const char *peer_url,
              bool learner, server_member_cb cb)
{
    memset(&req->member, 0, sizeof req->member);
    req->member.data = req;
    req->member.cb = cb;
    req->member.op = op;
    req->member.id = id;
    req->member.learner = learner;
    req->member.forwarded = req->forwarded;
    if (peer_url != NULL) {
        snprintf(req->member.peer_url, sizeof req->member.peer_url, "%s",
                 peer_url);
    }
    return serverMember(req->api->deps.server, &req->member);
}

/* Starts op on member id (peer_url for add/update). */
static void memberStart(struct api_req *req, int op, uint64_t id,
                        const char *peer_url, bool learner)
{
    int rv = apiMember(req, op, id, peer_url, learner, memberCb);
    if (rv != 0) {
        apiReplyError(req, rv,
                      rv == ETCFS_INVALID && op == SERVER_MEMBER_ADD
                          ? "member add: invalid peer URL"
                          : NULL);
    }
}

static int memberId(struct api_req *req, const char *field, uint64_t *id)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecUint64(req->body, field, id, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return rv;
    }
    return 0;
}

/* The first of "peerURLs", or NULL after replying the error. */
static const char *peerUrl(struct api_req *req, const char *what)
{
    json_t *urls = json_object_get(req->body, "peerURLs");
    char msg[ETCFS_ERRMSG_SIZE];
    if (!json_is_array(urls) || json_array_size(urls) == 0 ||
        !json_is_string(json_array_get(urls, 0))) {
        snprintf(msg, sizeof msg, "%s: peerURLs must list at least one URL",
                 what);
        apiReplyError(req, ETCFS_INVALID, msg);
        return NULL;
    }
    return json_string_value(json_array_get(urls, 0));
}

void apiMemberAdd(struct api_req *req)
{
    bool learner = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    const char *url = peerUrl(req, "member add");
    int rv;
    if (url == NULL) {
        return;
    }
    rv = codecBool(req->body, "isLearner", &learner, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    memberStart(req, SERVER_MEMBER_ADD, 0, url, learner);
}

void apiMemberRemove(struct api_req *req)
{
    uint64_t id;
    if (memberId(req, "ID", &id) == 0) {
        memberStart(req, SERVER_MEMBER_REMOVE, id, NULL, false);
    }
}

void apiMemberPromote(struct api_req *req)
{
    uint64_t id;
    if (memberId(req, "ID", &id) == 0) {
        memberStart(req, SERVER_MEMBER_PROMOTE, id, NULL, false);
    }
}

void apiMemberUpdate(struct api_req *req)
{
    uint64_t id;
    const char *url;
    if (memberId(req, "ID", &id) != 0) {
        return;
    }
    url = peerUrl(req, "member update");
    if (url != NULL) {
        memberStart(req, SERVER_MEMBER_UPDATE, id, url, false);
    }
}

void apiMoveLeader(struct api_req *req)
{
    uint64_t id = 0;
    if (memberId(req, "targetID", &id) == 0) {
        memberStart(req, SERVER_MOVE_LEADER, id, NULL, false);
    }
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
    apiWrite(req, &cmd, publishApplied);
    free(value);
}

/* What a member asks the leader through the request path (propose,
 * keepalive, timetolive, member): src/server/forward_proto.c serves it and
 * hands back the answer's bytes. */
static void serveCb(struct server_serve *r, int http_status,
                    const char *content_type, char *body, size_t len)
{
    struct api_req *req = r->data;
    apiReplyRaw(req, http_status, content_type, body != NULL ? body : "",
                len);
    free(body);
}

void apiInternalServe(struct api_req *req)
{
    int rv;
    memset(&req->serve, 0, sizeof req->serve);
    req->serve.data = req;
    req->serve.cb = serveCb;
    rv = serverServe(req->api->deps.server, &req->serve, req->route,
                     req->raw, req->raw_len);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
}
