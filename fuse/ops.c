/* Loop-side work for FUSE threads, all through the request path
 * (src/server/): proposals (this member applies them too before close()
 * returns), the linearizable read gate, lease grants and TTL queries. A
 * FUSE thread allocates a mount_op, hands it over with bridgeCall and
 * sleeps; the loop finishes it from the request's callback. An op still
 * running after MOUNT__OP_TIMEOUT_MS is answered ETCFS_TIMEOUT and
 * abandoned: its late callback frees it. */
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "../src/lib/log.h"
#include "../src/server/server.h"
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
    union {
        struct server_write write;
        struct server_read read;
        struct server_lease lease;
    };
};

static void opDone(struct mount_op *op, int status)
{
    if (op->abandoned) {
        free(op);
        return;
    }
    if (op->queued) {
        QUEUE_REMOVE(&op->link);
        op->queued = false;
    }
    bridgeComplete(&op->call, status);
}

static void readCb(struct server_read *r, int status)
{
    opDone(r->data, status);
}

static void writeCb(struct server_write *w, int status,
                    struct command_result *res)
{
    struct mount_op *op = w->data;
    if (status == 0) {
        status = res->status;
        op->res.revision = res->revision;
        op->res.succeeded = res->type == COMMAND_TXN && res->txn.succeeded;
    }
    commandResultFree(res);
    opDone(op, status);
}

static void leaseCb(struct server_lease *q, int status)
{
    struct mount_op *op = q->data;
    op->res.ttl = q->ttl;
    op->res.granted = q->granted;
    opDone(op, status);
}

static int startWrite(struct mount_op *op, struct command *cmd)
{
    memset(&op->write, 0, sizeof op->write);
    op->write.data = op;
    op->write.cb = writeCb;
    /* a read here right after close() sees the write */
    op->write.local_apply = true;
    cmd->origin = op->m->origin;
    mountAuthStamp(op->m, cmd); /* the FSM checks the user at apply */
    /* without a mount user the mount acts as root, auth or not */
    cmd->internal = cmd->user_len == 0;
    return serverWrite(op->m->deps.server, &op->write, cmd);
}

static void runOp(struct bridge_call *c)
{
    struct mount_op *op = (struct mount_op *)c;
    struct mount *m = op->m;
    struct server *s = m->deps.server;
    struct command cmd;
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
            memset(&op->read, 0, sizeof op->read);
            op->read.data = op;
            op->read.cb = readCb;
            rv = serverRead(s, &op->read, false);
            break;
        case OP_PROPOSE:
            rv = startWrite(op, op->cmd);
            break;
        case OP_GRANT:
            rv = serverLeaseGrantCommand(s, 0, op->arg, &cmd);
            if (rv == 0) {
                op->res.lease_id = cmd.lease_grant.id;
                op->res.granted = cmd.lease_grant.ttl;
                rv = startWrite(op, &cmd);
            }
            break;
        case OP_TTL:
            memset(&op->lease, 0, sizeof op->lease);
            op->lease.data = op;
            op->lease.cb = leaseCb;
            op->lease.op = SERVER_LEASE_TTL;
            op->lease.id = op->arg;
            rv = serverLease(s, &op->lease);
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
