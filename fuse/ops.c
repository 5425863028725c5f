/* Loop-side work for FUSE threads: proposals (on the leader directly, from
 * a follower through POST /etcfs/v1/propose), the linearizable read gate,
 * lease grants and TTL queries. A FUSE thread allocates a mount_op, hands
 * it over with bridgeCall and sleeps; the loop finishes it from the
 * proposal/read/forward callback. An op still running after
 * MOUNT__OP_TIMEOUT_MS is answered ETCFS_TIMEOUT and abandoned: its late
 * callback frees it. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../raft/forward.h"
#include "../raft/node.h"
#include "../src/core/error.h"
#include "../src/server/lease.h"
#include "../src/lib/log.h"
#include "../src/server/quota.h"
#include "mount_internal.h"

#define MOUNT__OP_TIMEOUT_MS 5000

enum { OP_PROPOSE = 1, OP_READ, OP_GRANT, OP_TTL };

struct mount_op
{
    struct bridge_call call; /* first: the bridge hands it back */
    struct mount *m;
    int kind;
    struct command *cmd; /* borrowed until run returns */
    int64_t arg;
    struct mount_result res;
    uint64_t started_ms;
    bool abandoned;
    bool queued;
    queue link;
    struct node_propose propose;
    struct node_read read;
    struct forward_req fwd;
    void *body;
    char small[96];
};

static void opDone(struct mount_op *op, int status)
{
    if (op->abandoned) {
        free(op->body);
        free(op);
        return;
    }
    if (op->queued) {
        QUEUE_REMOVE(&op->link);
        op->queued = false;
    }
    bridgeComplete(&op->call, status);
}

/* ---- read gate ---- */

static void readCb(struct node_read *r, int status)
{
    opDone(r->data, status);
}

static void startRead(struct mount_op *op)
{
    int rv;
    op->read.data = op;
    op->read.cb = readCb;
    rv = nodeRead(op->m->deps.node, &op->read);
    if (rv != 0) {
        opDone(op, rv);
    }
}

/* ---- proposals ---- */

static void proposeCb(struct node_propose *p, int status,
                      struct command_result *res)
{
    struct mount_op *op = p->data;
    if (status == 0) {
        status = res->status;
        op->res.revision = res->revision;
        op->res.succeeded = res->type == COMMAND_TXN && res->txn.succeeded;
    }
    commandResultFree(res);
    opDone(op, status);
}

static int jsonInt(json_t *o, const char *field, int64_t *out)
{
    json_t *v = json_object_get(o, field);
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        *out = strtoll(json_string_value(v), NULL, 10);
        return 0;
    }
    *out = 0;
    return -1;
}

static void forwardCb(struct forward_req *fr, int status)
{
    struct mount_op *op = fr->data;
    json_t *root = NULL;
    int64_t v = 0;
    if (op->abandoned) {
        forwardReqClear(fr);
        opDone(op, ETCFS_TIMEOUT);
        return;
    }
    if (status == 0) {
        root = json_loadb(fr->resp_body, fr->resp_len, 0, NULL);
        if (root == NULL) {
            status = ETCFS_PROTO;
        } else if (fr->http_status != 200) {
            /* an etcd-style error from the leader: map its message back */
            const char *msg =
                json_string_value(json_object_get(root, "message"));
            status = fr->http_status == 503 ? ETCFS_NOLEADER : ETCFS_IO;
            if (msg != NULL && strstr(msg, "lease not found") != NULL) {
                status = ETCFS_LEASE_NOTFOUND;
            } else if (msg != NULL && strstr(msg, "too large") != NULL) {
                status = ETCFS_TOO_LARGE;
            } else if (msg != NULL && strstr(msg, "space exceeded") != NULL) {
                status = ETCFS_NOSPACE;
            }
        }
    }
    forwardReqClear(fr);
    if (status != 0) {
        json_decref(root);
        opDone(op, status);
        return;
    }
    switch (op->kind) {
        case OP_PROPOSE:
            if (jsonInt(root, "status", &v) == 0 && v != 0) {
                status = (int)v;
            }
            (void)jsonInt(root, "revision", &op->res.revision);
            op->res.succeeded =
                json_is_true(json_object_get(root, "succeeded"));
            break;
        case OP_GRANT:
            (void)jsonInt(root, "ID", &op->res.lease_id);
            (void)jsonInt(root, "TTL", &op->res.granted);
            break;
        case OP_TTL:
            (void)jsonInt(root, "TTL", &op->res.ttl);
            (void)jsonInt(root, "grantedTTL", &op->res.granted);
            break;
        default:
            break;
    }
    json_decref(root);
    if (status == 0 && op->kind == OP_PROPOSE) {
        /* the leader applied it; make this member apply it too before
         * close() returns, so reads here see the write */
        startRead(op);
        return;
    }
    opDone(op, status);
}

static int startForward(struct mount_op *op, const char *path,
                        const void *body, size_t len)
{
    memset(&op->fwd, 0, sizeof op->fwd);
    op->fwd.data = op;
    op->fwd.cb = forwardCb;
    op->fwd.path = path;
    op->fwd.body = body;
    op->fwd.body_len = len;
    return forwardSend(op->m->deps.forward, &op->fwd);
}

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static void runOp(struct bridge_call *c)
{
    struct mount_op *op = (struct mount_op *)c;
    struct mount *m = op->m;
    struct node *node = m->deps.node;
    size_t len = 0;
    int rv = 0;

    op->started_ms = uv_now(m->deps.loop);
    QUEUE_PUSH(&m->inflight, &op->link);
    op->queued = true;
    switch (op->kind) {
        case OP_READ:
            if (!m->linearizable) {
                opDone(op, 0);
                return;
            }
            startRead(op);
            return;
        case OP_PROPOSE:
            op->cmd->origin = m->origin;
            if (nodeIsLeader(node) &&
                quotaExceeded(m->deps.config, m->deps.store, op->cmd)) {
                rv = ETCFS_NOSPACE;
                break;
            }
            if (nodeIsLeader(node)) {
                op->propose.data = op;
                op->propose.cb = proposeCb;
                rv = nodePropose(node, &op->propose, op->cmd);
                if (rv != ETCFS_NOTLEADER) {
                    break;
                }
            }
            rv = commandEncode(op->cmd, plainAlloc, &op->body, &len);
            if (rv == 0) {
                rv = startForward(op, "/etcfs/v1/propose", op->body, len);
            }
            break;
        case OP_GRANT:
            if (nodeIsLeader(node)) {
                struct command cmd;
                memset(&cmd, 0, sizeof cmd);
                cmd.type = COMMAND_LEASE_GRANT;
                cmd.origin = m->origin;
                cmd.lease_grant.id = lessorNewId(m->deps.lessor);
                cmd.lease_grant.ttl = lessorClampTtl(m->deps.lessor, op->arg);
                op->res.lease_id = cmd.lease_grant.id;
                op->res.granted = cmd.lease_grant.ttl;
                op->propose.data = op;
                op->propose.cb = proposeCb;
                rv = nodePropose(node, &op->propose, &cmd);
                if (rv != ETCFS_NOTLEADER) {
                    break;
                }
            }
            snprintf(op->small, sizeof op->small, "{\"TTL\":\"%" PRId64 "\"}",
                     op->arg);
            rv = startForward(op, "/v3/lease/grant", op->small,
                              strlen(op->small));
            break;
        case OP_TTL:
            if (nodeIsLeader(node)) {
                rv = lessorTimeToLive(m->deps.lessor, op->arg, &op->res.ttl,
                                      &op->res.granted);
                opDone(op, rv);
                return;
            }
            snprintf(op->small, sizeof op->small, "{\"ID\":\"%" PRId64 "\"}",
                     op->arg);
            rv = startForward(op, "/v3/lease/timetolive", op->small,
                              strlen(op->small));
            break;
        default:
            rv = ETCFS_INVALID;
            break;
    }
    if (rv != 0) {
        opDone(op, rv);
    }
}

void mountOpsTimerCb(uv_timer_t *t)
{
    struct mount *m = t->data;
    uint64_t now = uv_now(m->deps.loop);
    queue *q;
    mountRefresh(m);
    q = QUEUE_HEAD(&m->inflight);
    while (q != &m->inflight) {
        struct mount_op *op = QUEUE_DATA(q, struct mount_op, link);
        q = QUEUE_NEXT(q);
        if (now - op->started_ms >= MOUNT__OP_TIMEOUT_MS) {
            QUEUE_REMOVE(&op->link);
            op->queued = false;
            op->abandoned = true; /* the late callback frees it */
            bridgeComplete(&op->call, ETCFS_TIMEOUT);
        }
    }
}

/* FUSE thread: runs op and waits. Returns the status; frees op unless it
 * was abandoned (then the loop frees it). */
static int opCall(struct mount *m, struct mount_op *op,
                  struct mount_result *res)
{
    int rv;
    bool abandoned;
    op->m = m;
    op->call.run = runOp;
    rv = bridgeCall(m->bridge, &op->call);
    abandoned = rv == ETCFS_TIMEOUT && op->abandoned;
    if (res != NULL && !abandoned) {
        *res = op->res;
    }
    if (!abandoned) {
        free(op->body);
        free(op);
    }
    return rv;
}

int mountOpPropose(struct mount *m, struct command *cmd,
                   struct mount_result *res)
{
    struct mount_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        return ETCFS_NOMEM;
    }
    op->kind = OP_PROPOSE;
    op->cmd = cmd;
    return opCall(m, op, res);
}

int mountOpReadGate(struct mount *m)
{
    struct mount_op *op;
    if (!m->linearizable) {
        return 0;
    }
    op = calloc(1, sizeof *op);
    if (op == NULL) {
        return ETCFS_NOMEM;
    }
    op->kind = OP_READ;
    return opCall(m, op, NULL);
}

void mountGateNote(struct mount *m, fuse_req_t req, uint64_t ino)
{
    pid_t tid = fuse_req_ctx(req)->pid;
    struct mount_gate_note *g =
        &m->gate_notes[(unsigned)tid % MOUNT_GATE_NOTES];
    pthread_mutex_lock(&m->gate_mu);
    g->tid = tid;
    g->ino = ino;
    g->at_ns = mountNowNs();
    pthread_mutex_unlock(&m->gate_mu);
}

int mountOpReadGateFor(struct mount *m, fuse_req_t req, uint64_t ino)
{
    pid_t tid = fuse_req_ctx(req)->pid;
    struct mount_gate_note *g =
        &m->gate_notes[(unsigned)tid % MOUNT_GATE_NOTES];
    bool shared;
    if (!m->linearizable) {
        return 0;
    }
    pthread_mutex_lock(&m->gate_mu);
    shared = g->tid == tid && g->ino == ino &&
             mountNowNs() - g->at_ns < MOUNT_GATE_SHARE_NS;
    g->tid = 0; /* one open per lookup */
    pthread_mutex_unlock(&m->gate_mu);
    return shared ? 0 : mountOpReadGate(m);
}

int mountOpLeaseGrant(struct mount *m, int64_t ttl, struct mount_result *res)
{
    struct mount_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        return ETCFS_NOMEM;
    }
    op->kind = OP_GRANT;
    op->arg = ttl;
    return opCall(m, op, res);
}

int mountOpLeaseTtl(struct mount *m, int64_t id, struct mount_result *res)
{
    struct mount_op *op = calloc(1, sizeof *op);
    if (op == NULL) {
        return ETCFS_NOMEM;
    }
    op->kind = OP_TTL;
    op->arg = id;
    return opCall(m, op, res);
}
