/* etcdserverpb.Cluster over gRPC: member list, add (as a learner too),
 * remove, update, promote; and Maintenance.MoveLeader, which takes the same
 * path. Translation only, as the gateway's api_cluster.c: changes run on
 * the leader through serverMember (forwarded from a follower), and the
 * member list is read back once it shows the change here
 * (serverMemberSettle). etcd's cluster responses carry no revision in
 * their header. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "grpc_internal.h"

/* ---- members as etcd's pb.Member ---- */

/* Every pointer of the response, freed together. */
struct members_pb
{
    Etcdserverpb__Member *pb;   /* n */
    Etcdserverpb__Member **ptrs; /* n */
    struct node_member *members;
    char **urls;                /* the split URLs, 2 * NODE_URL_SIZE each */
    size_t n;
};

static void membersPbFree(struct members_pb *mp)
{
    size_t i;
    for (i = 0; mp->urls != NULL && i < mp->n; i++) {
        free(mp->urls[i]);
    }
    for (i = 0; mp->pb != NULL && i < mp->n; i++) {
        free(mp->pb[i].peerurls);
        free(mp->pb[i].clienturls);
    }
    free(mp->urls);
    free(mp->pb);
    free(mp->ptrs);
    free(mp->members);
}

/* Splits the comma-separated csv into buf (NODE_URL_SIZE bytes) and a new
 * array of pointers into it. */
static int splitUrls(const char *csv, char *buf, char ***out, size_t *n)
{
    char *save = NULL;
    char *tok;
    size_t cap = 1;
    const char *p;
    *out = NULL;
    *n = 0;
    for (p = csv; *p != '\0'; p++) {
        cap += *p == ',';
    }
    snprintf(buf, NODE_URL_SIZE, "%s", csv);
    *out = calloc(cap, sizeof **out);
    if (*out == NULL) {
        return ETCFS_NOMEM;
    }
    for (tok = strtok_r(buf, ",", &save); tok != NULL && *n < cap;
         tok = strtok_r(NULL, ",", &save)) {
        (*out)[(*n)++] = tok;
    }
    return 0;
}

static int memberPb(const struct node_member *m, char *urls,
                    Etcdserverpb__Member *pb)
{
    int rv;
    etcdserverpb__member__init(pb);
    pb->id = m->id;
    pb->name = (char *)m->name;
    pb->islearner = m->is_learner;
    rv = splitUrls(m->peer_url, urls, &pb->peerurls, &pb->n_peerurls);
    if (rv == 0) {
        rv = splitUrls(m->client_urls, urls + NODE_URL_SIZE, &pb->clienturls,
                       &pb->n_clienturls);
    }
    return rv;
}

/* This member's member list; *added = the one with id (id != 0). */
static int membersPb(struct grpc_call *call, uint64_t id,
                     struct members_pb *mp, Etcdserverpb__Member **added)
{
    size_t i;
    memset(mp, 0, sizeof *mp);
    *added = NULL;
    if (nodeMembers(grpcDeps(call)->node, &mp->members, &mp->n) != 0) {
        mp->members = NULL;
        mp->n = 0;
        return 0; /* as the gateway: an empty list */
    }
    if (mp->n == 0) {
        return 0;
    }
    mp->pb = calloc(mp->n, sizeof *mp->pb);
    mp->ptrs = calloc(mp->n, sizeof *mp->ptrs);
    mp->urls = calloc(mp->n, sizeof *mp->urls);
    if (mp->pb == NULL || mp->ptrs == NULL || mp->urls == NULL) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < mp->n; i++) {
        int rv;
        mp->urls[i] = malloc(2 * NODE_URL_SIZE);
        if (mp->urls[i] == NULL) {
            return ETCFS_NOMEM;
        }
        rv = memberPb(&mp->members[i], mp->urls[i], &mp->pb[i]);
        if (rv != 0) {
            return rv;
        }
        mp->ptrs[i] = &mp->pb[i];
        if (id != 0 && mp->members[i].id == id) {
            *added = &mp->pb[i];
        }
    }
    return 0;
}

/* ---- member list ---- */

static void listServe(struct grpc_call *call)
{
    Etcdserverpb__MemberListResponse r =
        ETCDSERVERPB__MEMBER_LIST_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    Etcdserverpb__Member *added;
    struct members_pb mp;
    int rv = membersPb(call, 0, &mp, &added);
    if (rv != 0) {
        membersPbFree(&mp);
        grpcFail(call, rv, NULL);
        return;
    }
    grpcHeader(call, &h, -1);
    r.header = &h;
    r.members = mp.ptrs;
    r.n_members = mp.n;
    grpcReply(call, &r.base);
    membersPbFree(&mp);
}

void grpcMemberList(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MemberListRequest *q =
        grpcUnpack(call, &etcdserverpb__member_list_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    etcdserverpb__member_list_request__free_unpacked(q, NULL);
    /* linearizable, as the gateway's default (etcd 3.4's request has no
     * serializable field): a change acknowledged anywhere shows here */
    grpcRead(call, false, listServe);
}

/* ---- changes ---- */

/* The answer once the list shows the change: each response type has
 * header and members at the same places, and add also the member. */
static void changeReply(struct grpc_call *call, int op)
{
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    Etcdserverpb__Member *added;
    struct members_pb mp;
    int rv = membersPb(call, op == SERVER_MEMBER_ADD ? call->u64 : 0, &mp,
                       &added);
    if (rv != 0) {
        membersPbFree(&mp);
        grpcFail(call, rv, NULL);
        return;
    }
    grpcHeader(call, &h, -1);
    switch (op) {
        case SERVER_MEMBER_ADD: {
            Etcdserverpb__MemberAddResponse r =
                ETCDSERVERPB__MEMBER_ADD_RESPONSE__INIT;
            r.header = &h;
            r.member = added;
            r.members = mp.ptrs;
            r.n_members = mp.n;
            grpcReply(call, &r.base);
            break;
        }
        case SERVER_MEMBER_REMOVE: {
            Etcdserverpb__MemberRemoveResponse r =
                ETCDSERVERPB__MEMBER_REMOVE_RESPONSE__INIT;
            r.header = &h;
            r.members = mp.ptrs;
            r.n_members = mp.n;
            grpcReply(call, &r.base);
            break;
        }
        case SERVER_MEMBER_UPDATE: {
            Etcdserverpb__MemberUpdateResponse r =
                ETCDSERVERPB__MEMBER_UPDATE_RESPONSE__INIT;
            r.header = &h;
            r.members = mp.ptrs;
            r.n_members = mp.n;
            grpcReply(call, &r.base);
            break;
        }
        default: {
            Etcdserverpb__MemberPromoteResponse r =
                ETCDSERVERPB__MEMBER_PROMOTE_RESPONSE__INIT;
            r.header = &h;
            r.members = mp.ptrs;
            r.n_members = mp.n;
            grpcReply(call, &r.base);
            break;
        }
    }
    membersPbFree(&mp);
}

static void settledCb(struct server_read *r, int status)
{
    struct grpc_call *call = r->data;
    (void)status; /* the change is done: answer the list either way */
    changeReply(call, (int)(intptr_t)call->ctx);
}

static void memberCb(struct server_member *mb, int status)
{
    struct grpc_call *call = mb->data;
    int op = mb->op;
    if (status != 0) {
        grpcFail(call,
                 status,
                 status == ETCFS_INVALID && op == SERVER_MEMBER_ADD
                     ? "member add: invalid peer URL"
                     : NULL);
        return;
    }
    if (op == SERVER_MOVE_LEADER) {
        Etcdserverpb__MoveLeaderResponse r =
            ETCDSERVERPB__MOVE_LEADER_RESPONSE__INIT;
        grpcReply(call, &r.base); /* etcd's has no header */
        return;
    }
    call->u64 = op == SERVER_MEMBER_ADD ? mb->id : 0;
    call->ctx = (void *)(intptr_t)op;
    memset(&call->read, 0, sizeof call->read);
    call->read.data = call;
    call->read.cb = settledCb;
    if (!serverMemberSettle(grpcDeps(call)->server, &call->read)) {
        changeReply(call, op);
    }
}

/* Starts op on member id (peer_url for add and update: borrowed). */
static void memberStart(struct grpc_call *call, int op, uint64_t id,
                        const char *peer_url, bool learner)
{
    int rv;
    memset(&call->member, 0, sizeof call->member);
    call->member.data = call;
    call->member.cb = memberCb;
    call->member.op = op;
    call->member.id = id;
    call->member.learner = learner;
    if (peer_url != NULL) {
        snprintf(call->member.peer_url, sizeof call->member.peer_url, "%s",
                 peer_url);
    }
    rv = serverMember(grpcDeps(call)->server, &call->member);
    if (rv != 0) {
        grpcFail(call, rv,
                 rv == ETCFS_INVALID && op == SERVER_MEMBER_ADD
                     ? "member add: invalid peer URL"
                     : NULL);
    }
}

/* The first peer URL (etcfs keeps one per member), or NULL after failing
 * the call as the gateway does. */
static const char *firstUrl(struct grpc_call *call, char **urls, size_t n,
                            const char *what)
{
    char msg[ETCFS_ERRMSG_SIZE];
    if (n == 0) {
        snprintf(msg, sizeof msg, "%s: peerURLs must list at least one URL",
                 what);
        grpcFail(call, ETCFS_INVALID, msg);
        return NULL;
    }
    return urls[0];
}

void grpcMemberAdd(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MemberAddRequest *q =
        grpcUnpack(call, &etcdserverpb__member_add_request__descriptor, m, n);
    const char *url;
    if (q == NULL) {
        return;
    }
    url = firstUrl(call, q->peerurls, q->n_peerurls, "member add");
    if (url != NULL) {
        memberStart(call, SERVER_MEMBER_ADD, 0, url, q->islearner);
    }
    etcdserverpb__member_add_request__free_unpacked(q, NULL);
}

void grpcMemberRemove(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MemberRemoveRequest *q = grpcUnpack(
        call, &etcdserverpb__member_remove_request__descriptor, m, n);
    uint64_t id;
    if (q == NULL) {
        return;
    }
    id = q->id;
    etcdserverpb__member_remove_request__free_unpacked(q, NULL);
    memberStart(call, SERVER_MEMBER_REMOVE, id, NULL, false);
}

void grpcMemberPromote(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MemberPromoteRequest *q = grpcUnpack(
        call, &etcdserverpb__member_promote_request__descriptor, m, n);
    uint64_t id;
    if (q == NULL) {
        return;
    }
    id = q->id;
    etcdserverpb__member_promote_request__free_unpacked(q, NULL);
    memberStart(call, SERVER_MEMBER_PROMOTE, id, NULL, false);
}

void grpcMemberUpdate(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MemberUpdateRequest *q = grpcUnpack(
        call, &etcdserverpb__member_update_request__descriptor, m, n);
    const char *url;
    if (q == NULL) {
        return;
    }
    url = firstUrl(call, q->peerurls, q->n_peerurls, "member update");
    if (url != NULL) {
        memberStart(call, SERVER_MEMBER_UPDATE, q->id, url, false);
    }
    etcdserverpb__member_update_request__free_unpacked(q, NULL);
}

void grpcMoveLeader(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__MoveLeaderRequest *q =
        grpcUnpack(call, &etcdserverpb__move_leader_request__descriptor, m, n);
    uint64_t id;
    if (q == NULL) {
        return;
    }
    id = q->targetid;
    etcdserverpb__move_leader_request__free_unpacked(q, NULL);
    memberStart(call, SERVER_MOVE_LEADER, id, NULL, false);
}
