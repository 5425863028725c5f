/* What only the leader knows or does, for any member: lease keep-alives
 * and remaining TTLs (deadlines live in the leader's lessor), membership
 * changes and leadership transfer (libraft changes the configuration on
 * the leader). On the leader they run here; elsewhere they are forwarded
 * (forward_proto.c) and run on the leader with forwarded = true. Loop
 * thread only. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "server_internal.h"

/* ---- leases ---- */

static void leaseFinish(struct server_lease *q, int status)
{
    q->s->inflight--;
    q->cb(q, status);
}

static void ttlReadCb(struct node_read *nr, int status)
{
    struct server_lease *q = nr->data;
    if (status == 0) {
        status = lessorTimeToLive(q->s->deps.lessor, q->id, &q->ttl,
                                  &q->granted);
    }
    leaseFinish(q, status);
}

static void leaseForwardCb(struct forward_req *fr, int status)
{
    struct server_lease *q = fr->data;
    if (status == 0) {
        status = forwardProtoLeaseAnswer(fr, q);
    }
    forwardReqClear(fr);
    leaseFinish(q, status);
}

int serverLease(struct server *s, struct server_lease *q)
{
    int rv;
    q->s = s;
    q->ttl = 0;
    q->granted = 0;
    if (q->op != SERVER_LEASE_KEEPALIVE && q->op != SERVER_LEASE_TTL) {
        return ETCFS_INVALID;
    }
    if (nodeIsLeader(s->deps.node)) {
        s->inflight++;
        if (q->op == SERVER_LEASE_KEEPALIVE) {
            leaseFinish(q, lessorKeepAlive(s->deps.lessor, q->id, &q->ttl));
            return 0;
        }
        /* a remaining TTL is a read: confirm leadership first */
        memset(&q->read, 0, sizeof q->read);
        q->read.data = q;
        q->read.cb = ttlReadCb;
        rv = nodeRead(s->deps.node, &q->read);
        if (rv != 0) {
            s->inflight--;
        }
        return rv;
    }
    if (q->forwarded) {
        return ETCFS_NOTLEADER;
    }
    forwardProtoLeaseBody(q, q->body, sizeof q->body);
    memset(&q->fwd, 0, sizeof q->fwd);
    q->fwd.data = q;
    q->fwd.cb = leaseForwardCb;
    q->fwd.path = q->op == SERVER_LEASE_KEEPALIVE ? FORWARD_PROTO_KEEPALIVE
                                                  : FORWARD_PROTO_TTL;
    q->fwd.body = q->body;
    q->fwd.body_len = strlen(q->body);
    rv = forwardSend(s->deps.forward, &q->fwd);
    if (rv == 0) {
        s->inflight++;
    }
    return rv;
}

/* ---- membership and leadership ---- */

static void memberFinish(struct server_member *m, int status)
{
    free(m->body);
    m->body = NULL;
    m->s->inflight--;
    m->cb(m, status);
}

static void changeCb(struct node_change *c, int status)
{
    struct server_member *m = c->data;
    if (status == 0 && m->op == SERVER_MEMBER_ADD) {
        m->id = c->id;
    }
    memberFinish(m, status);
}

static void memberForwardCb(struct forward_req *fr, int status)
{
    struct server_member *m = fr->data;
    if (status == 0) {
        status = forwardProtoMemberAnswer(fr, m);
    }
    forwardReqClear(fr);
    memberFinish(m, status);
}

static int memberRun(struct server *s, struct server_member *m)
{
    struct node *n = s->deps.node;
    int rv;
    memset(&m->change, 0, sizeof m->change);
    m->change.data = m;
    m->change.cb = changeCb;
    switch (m->op) {
        case SERVER_MEMBER_ADD:
            rv = nodeMemberAdd(n, &m->change, m->peer_url, m->learner);
            break;
        case SERVER_MEMBER_REMOVE:
            rv = nodeMemberRemove(n, &m->change, m->id);
            break;
        case SERVER_MEMBER_PROMOTE:
            rv = nodeMemberPromote(n, &m->change, m->id);
            break;
        case SERVER_MEMBER_UPDATE:
            rv = nodeMemberUpdate(n, &m->change, m->id, m->peer_url);
            break;
        case SERVER_MOVE_LEADER:
            rv = nodeTransfer(n, &m->change, m->id);
            break;
        default:
            rv = ETCFS_INVALID;
            break;
    }
    return rv;
}

int serverMember(struct server *s, struct server_member *m)
{
    int rv;
    m->s = s;
    m->body = NULL;
    if (nodeIsLeader(s->deps.node)) {
        rv = memberRun(s, m);
        if (rv == 0) {
            s->inflight++;
        }
        if (rv != ETCFS_NOTLEADER) {
            return rv;
        }
    }
    if (m->forwarded) {
        return ETCFS_NOTLEADER;
    }
    m->body = forwardProtoMemberBody(m);
    if (m->body == NULL) {
        return ETCFS_NOMEM;
    }
    memset(&m->fwd, 0, sizeof m->fwd);
    m->fwd.data = m;
    m->fwd.cb = memberForwardCb;
    m->fwd.path = FORWARD_PROTO_MEMBER;
    m->fwd.body = m->body;
    m->fwd.body_len = strlen(m->body);
    rv = forwardSend(s->deps.forward, &m->fwd);
    if (rv != 0) {
        free(m->body);
        m->body = NULL;
        return rv;
    }
    s->inflight++;
    return 0;
}

/* After a change the leader made for this member, the member list is read
 * back through the read gate so the answer shows the change here too. The
 * change is done either way: a gate that fails (the cluster electing after
 * its leader removed itself) still answers the list. */
bool serverMemberSettle(struct server *s, struct server_read *r)
{
    if (nodeIsLeader(s->deps.node)) {
        return false; /* the leader's view is current */
    }
    return serverRead(s, r, false) == 0;
}
