/* The request path (server.h): where each request runs, and the rules
 * decided once for every front end. The wire form of what one member asks
 * the leader is in forward_proto.c. Loop thread only. */
#include "server.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/error.h"
#include "../lib/log.h"
#include "compactor.h"
#include "kv_check.h"
#include "quota.h"
#include "server_internal.h"

int serverInit(struct server **out, const struct server_deps *deps,
               char *errmsg)
{
    struct server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        etcfsErrmsgf(errmsg, "request path: out of memory");
        return ETCFS_NOMEM;
    }
    s->deps = *deps;
    s->tokens = authnTokensNew();
    if (s->tokens == NULL) {
        free(s);
        etcfsErrmsgf(errmsg, "request path: out of memory");
        return ETCFS_NOMEM;
    }
    s->compactor = compactorStart(s);
    *out = s;
    return 0;
}

void serverClose(struct server *s)
{
    if (s == NULL) {
        return;
    }
    /* the front ends are closed first and wait for their requests, and
     * node/forward cancel what is still theirs */
    if (s->inflight != 0) {
        warnf("request path closed with %u requests in flight", s->inflight);
    }
    compactorStop(s->compactor);
    authnTokensFree(s->tokens);
    free(s);
}

unsigned serverPending(const struct server *s)
{
    return s != NULL ? s->inflight : 0;
}

/* ---- writes ---- */

/* The wall clock a write is stamped with (st_mtime for the mount): chosen
 * once, before the entry enters the log, so every member stores the same
 * time. */
static int64_t nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void stampAttr(struct store_attr *a, int64_t now)
{
    if (a->mtime_ns == 0) {
        a->mtime_ns = now;
        a->ctime_ns = now;
    }
}

static void stampTxn(struct store_txn_req *t, int64_t now)
{
    size_t i;
    for (i = 0; i < t->n_success + t->n_failure; i++) {
        struct store_op *op = i < t->n_success ? &t->success[i]
                                               : &t->failure[i - t->n_success];
        if (op->type == STORE_OP_PUT) {
            stampAttr(&op->put.attr, now);
        } else if (op->type == STORE_OP_TXN) {
            stampTxn(op->txn, now);
        }
    }
}

static void stamp(struct command *cmd)
{
    int64_t now = nowNs();
    if (cmd->type == COMMAND_PUT) {
        stampAttr(&cmd->put.attr, now);
    } else if (cmd->type == COMMAND_TXN) {
        stampTxn(&cmd->txn, now);
    }
}

/* etcd's --max-txn-ops: each branch and the compares. */
static bool txnTooBig(const struct server *s, const struct command *cmd)
{
    const struct store_txn_req *t = &cmd->txn;
    size_t max = s->deps.config->max_txn_ops;
    return cmd->type == COMMAND_TXN &&
           kvCheckTxnOps(t->n_compares, t->n_success, t->n_failure, max,
                         NULL) != 0;
}

/* What the leader refuses before the log: NOSPACE, and what would only
 * cost an entry to fail (a compaction past the revision, a revoke of an
 * unknown lease). */
static int leaderChecks(struct server *s, const struct command *cmd)
{
    if (quotaExceeded(&s->quota, s->deps.config, s->deps.store, cmd)) {
        return ETCFS_NOSPACE;
    }
    if (cmd->type == COMMAND_COMPACT &&
        cmd->compact_revision > storeRevision(s->deps.store)) {
        return ETCFS_FUTURE_REV;
    }
    if (cmd->type == COMMAND_LEASE_REVOKE &&
        !lessorExists(s->deps.lessor, cmd->lease_revoke_id)) {
        return ETCFS_LEASE_NOTFOUND;
    }
    return 0;
}

static void writeFinish(struct server_write *w, int status,
                        struct command_result *res)
{
    struct server *s = w->s;
    free(w->body);
    w->body = NULL;
    s->inflight--;
    if (status != 0) {
        METRICS_INC(s->deps.metrics, proposals_failed_total);
    } else {
        METRICS_INC(s->deps.metrics, proposals_committed_total);
    }
    w->cb(w, status, res);
}

static void waitAppliedCb(struct node_read *r, int status)
{
    struct server_write *w = r->data;
    struct command_result *res = w->res;
    w->res = NULL;
    if (status != 0) {
        /* committed, only not applied here yet: still a success */
        debugf("write at index %llu: local apply wait: %s",
               (unsigned long long)w->index, etcfsStrerror(status));
    }
    writeFinish(w, 0, res);
}

/* A result from the leader: finish, after this member applied it too when
 * asked to. */
static void writeDone(struct server_write *w, struct command_result *res)
{
    struct server *s = w->s;
    if (w->local_apply && w->index > storeAppliedIndex(s->deps.store)) {
        w->res = res;
        w->wait.data = w;
        w->wait.cb = waitAppliedCb;
        if (nodeWaitApplied(s->deps.node, &w->wait, w->index) == 0) {
            return;
        }
        w->res = NULL;
    }
    writeFinish(w, 0, res);
}

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static int writeForward(struct server_write *w);

/* The auth state changed between the permission lookup and the apply
 * (etcd: ErrAuthOldRevision, which its clients retry): propose again,
 * once, at the current revision. True when that was started or failed
 * (w finished); false when res is the answer. */
static bool authRetry(struct server_write *w, struct command_result *res)
{
    struct server *s = w->s;
    struct command_decoded dec;
    void *body = NULL;
    size_t len = 0;
    int rv;
    if (res == NULL || res->status != ETCFS_AUTH_OLD_REVISION ||
        w->auth_retried || w->body == NULL || w->forwarded) {
        return false;
    }
    w->auth_retried = true;
    rv = commandDecode(w->body, w->body_len, &dec);
    if (rv != 0) {
        return false;
    }
    dec.cmd.auth_revision = authRevision(storeAuth(s->deps.store));
    rv = commandEncode(&dec.cmd, plainAlloc, &body, &len);
    commandDecodedClear(&dec);
    if (rv != 0) {
        return false;
    }
    commandResultFree(res);
    free(w->body);
    w->body = body;
    w->body_len = len;
    w->tries = 0;
    rv = writeForward(w);
    if (rv != 0) {
        writeFinish(w, rv, NULL);
    }
    return true;
}

static void proposeCb(struct node_propose *p, int status,
                      struct command_result *res)
{
    struct server_write *w = p->data;
    if (status != 0) {
        writeFinish(w, status, NULL);
        return;
    }
    w->index = p->index;
    if (authRetry(w, res)) {
        return;
    }
    writeFinish(w, 0, res); /* the leader applied it: so did this member */
}

static void forwardCb(struct forward_req *fr, int status)
{
    struct server_write *w = fr->data;
    struct command_result *res = NULL;
    if (status == 0) {
        status = forwardProtoResult(fr, &w->index, &res);
    }
    forwardReqClear(fr);
    if ((status == ETCFS_NOTLEADER || status == ETCFS_NOLEADER) &&
        w->tries < 2) {
        /* it was not proposed: try once more with whoever leads now */
        status = writeForward(w);
        if (status == 0) {
            return;
        }
    }
    if (status != 0) {
        writeFinish(w, status, NULL);
        return;
    }
    if (authRetry(w, res)) {
        return;
    }
    writeDone(w, res);
}

/* Proposes here when leading, else sends the encoded command to the
 * leader. 0, or an error with no callback to come. */
static int writeForward(struct server_write *w)
{
    struct server *s = w->s;
    w->tries++;
    if (nodeIsLeader(s->deps.node)) {
        struct command_decoded dec;
        int rv = commandDecode(w->body, w->body_len, &dec);
        if (rv != 0) {
            return rv;
        }
        rv = leaderChecks(s, &dec.cmd);
        if (rv != 0) {
            commandDecodedClear(&dec);
            return rv;
        }
        memset(&w->propose, 0, sizeof w->propose);
        w->propose.data = w;
        w->propose.cb = proposeCb;
        rv = nodePropose(s->deps.node, &w->propose, &dec.cmd);
        commandDecodedClear(&dec);
        if (rv != ETCFS_NOTLEADER) {
            return rv;
        }
    }
    if (w->forwarded) {
        return ETCFS_NOTLEADER; /* never forwarded twice */
    }
    METRICS_INC(s->deps.metrics, proposals_forwarded_total);
    memset(&w->fwd, 0, sizeof w->fwd);
    w->fwd.data = w;
    w->fwd.cb = forwardCb;
    w->fwd.path = FORWARD_PROTO_PROPOSE;
    w->fwd.body = w->body;
    w->fwd.body_len = w->body_len;
    return forwardSend(s->deps.forward, &w->fwd);
}

int serverWrite(struct server *s, struct server_write *w,
                struct command *cmd)
{
    int rv;
    if (txnTooBig(s, cmd)) {
        return ETCFS_TOO_MANY_OPS;
    }
    stamp(cmd);
    w->s = s;
    w->res = NULL;
    w->index = 0;
    w->tries = 0;
    w->body = NULL;
    w->auth_retried = false;
    if (cmd->user_len > 0 && !w->forwarded) {
        /* etcd's request header: the revision permissions were looked up
         * at; kept encoded for a retry should the FSM find it old */
        cmd->auth_revision = authRevision(storeAuth(s->deps.store));
        if (authEnabled(storeAuth(s->deps.store))) {
            rv = commandEncode(cmd, plainAlloc, &w->body, &w->body_len);
            if (rv != 0) {
                return rv;
            }
        }
    }
    if (nodeIsLeader(s->deps.node)) {
        rv = leaderChecks(s, cmd);
        if (rv == 0) {
            memset(&w->propose, 0, sizeof w->propose);
            w->propose.data = w;
            w->propose.cb = proposeCb;
            rv = nodePropose(s->deps.node, &w->propose, cmd);
        }
        if (rv == 0) {
            s->inflight++;
        }
        if (rv != ETCFS_NOTLEADER) {
            if (rv != 0) {
                free(w->body);
                w->body = NULL;
            }
            return rv;
        }
    }
    if (w->forwarded) {
        return ETCFS_NOTLEADER;
    }
    if (w->body == NULL) {
        rv = commandEncode(cmd, plainAlloc, &w->body, &w->body_len);
        if (rv != 0) {
            return rv;
        }
    }
    s->inflight++;
    w->tries = 1; /* the leader check above was the first */
    rv = writeForward(w);
    if (rv != 0) {
        s->inflight--;
        free(w->body);
        w->body = NULL;
    }
    return rv;
}

int serverLeaseGrantCommand(struct server *s, int64_t id, int64_t ttl,
                            struct command *cmd)
{
    if (ttl > LEASE_MAX_TTL) {
        return ETCFS_LEASE_TTL_TOO_LARGE;
    }
    if (id < 0) {
        return ETCFS_INVALID;
    }
    if (id == 0) {
        /* random and checked against the replicated table: a clash with
         * a grant still in flight fails at apply (lease already exists) */
        id = lessorNewId(s->deps.lessor);
    } else if (lessorExists(s->deps.lessor, id)) {
        return ETCFS_LEASE_EXISTS;
    }
    memset(cmd, 0, sizeof *cmd);
    cmd->type = COMMAND_LEASE_GRANT;
    cmd->lease_grant.id = id;
    cmd->lease_grant.ttl = lessorClampTtl(s->deps.lessor, ttl);
    return 0;
}

void serverLeaseSort(struct server *s, struct store_lease *leases, size_t n)
{
    lessorSortByExpiry(s->deps.lessor, leases, n);
}

int serverLeaseRemaining(struct server *s, int64_t id, int64_t *remaining)
{
    int64_t granted;
    return lessorTimeToLive(s->deps.lessor, id, remaining, &granted);
}

/* ---- reads ---- */

static void readCb(struct node_read *nr, int status)
{
    struct server_read *r = nr->data;
    r->cb(r, status);
}

int serverRead(struct server *s, struct server_read *r, bool serializable)
{
    if (serializable) {
        METRICS_INC(s->deps.metrics, reads_serializable_total);
        r->cb(r, 0);
        return 0;
    }
    METRICS_INC(s->deps.metrics, reads_linearizable_total);
    memset(&r->read, 0, sizeof r->read);
    r->read.data = r;
    r->read.cb = readCb;
    return nodeRead(s->deps.node, &r->read);
}
