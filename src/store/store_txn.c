/* Applying a txn (storeApplyTxn): compares against the state before it,
 * etcd's checks of the chosen branches, then their ops, every write at one
 * revision. The rules that need no storage are in txn.c. Loop thread only;
 * writes only through the apply context's batch. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"
#include "txn.h"

/* Chosen branches of a txn and its nested txns, in execution order, as
 * etcd's compareToPath: every compare runs against the state before the
 * txn. */
struct store_path
{
    bool *v;
    size_t n;
    size_t cap;
};

/* Revision a read inside the command sees (etcd storeTxnWrite.Range). */
static int64_t applyReadRev(const struct store_apply *a)
{
    return a->sub > 0 ? a->begin_rev + 1 : a->begin_rev;
}

static int applyCompare(struct store_apply *a, const struct store_compare *c,
                        bool *ok)
{
    struct store_kvs kvs = {0};
    size_t i;
    int rv;
    *ok = true;
    if (c->range_end_len == 0) {
        struct store_kv kv;
        bool found;
        rv = storeReaderGet(&a->rd, c->key, c->key_len, a->begin_rev,
                            c->target == STORE_CMP_VALUE, &kv, &found,
                            a->errmsg);
        if (rv != 0) {
            return rv;
        }
        *ok = txnCompareKv(c, found ? &kv : NULL);
        storeKvClear(&kv);
        return 0;
    }
    {
        struct store_collect col;
        int64_t count;
        memset(&col, 0, sizeof col);
        col.rev = a->begin_rev;
        col.want_value = c->target == STORE_CMP_VALUE;
        rv = storeReaderCollect(&a->rd, c->key, c->key_len, c->range_end,
                                c->range_end_len, &col, &kvs, &count,
                                a->errmsg);
    }
    if (rv != 0) {
        storeKvsFree(&kvs);
        return rv;
    }
    if (kvs.n == 0) {
        *ok = txnCompareKv(c, NULL);
    }
    for (i = 0; i < kvs.n && *ok; i++) {
        *ok = txnCompareKv(c, &kvs.v[i]);
    }
    storeKvsFree(&kvs);
    return 0;
}

static int applyTxnPath(struct store_apply *a, const struct store_txn_req *t,
                        struct store_path *path)
{
    const struct store_op *ops;
    size_t n;
    size_t i;
    bool ok = true;
    int rv;
    for (i = 0; i < t->n_compares && ok; i++) {
        rv = applyCompare(a, &t->compares[i], &ok);
        if (rv != 0) {
            return rv;
        }
    }
    if (path->n == path->cap) {
        size_t cap = path->cap == 0 ? 4 : 2 * path->cap;
        bool *p = realloc(path->v, cap * sizeof *p);
        if (p == NULL) {
            return storeNomem(a->errmsg, "txn");
        }
        path->v = p;
        path->cap = cap;
    }
    path->v[path->n++] = ok;
    ops = ok ? t->success : t->failure;
    n = ok ? t->n_success : t->n_failure;
    for (i = 0; i < n; i++) {
        if (ops[i].type == STORE_OP_TXN) {
            rv = applyTxnPath(a, ops[i].txn, path);
            if (rv != 0) {
                return rv;
            }
        }
    }
    return 0;
}

/* etcd checkRequests over the chosen path: puts (lease, ignore_*) and
 * range revisions, against the state before the txn. */
static int applyTxnCheck(struct store_apply *a, const struct store_txn_req *t,
                         const struct store_path *path, size_t *pi)
{
    bool ok = path->v[(*pi)++];
    const struct store_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    size_t i;
    int rv;
    for (i = 0; i < n; i++) {
        switch (ops[i].type) {
            case STORE_OP_RANGE:
                rv = storeRangeCheck(&ops[i].range);
                if (rv != 0) {
                    return rv;
                }
                if (ops[i].range.revision > a->begin_rev) {
                    return ETCFS_FUTURE_REV;
                }
                if (ops[i].range.revision > 0 &&
                    ops[i].range.revision < a->st.compact_rev) {
                    return ETCFS_COMPACTED;
                }
                break;
            case STORE_OP_PUT:
                rv = storeApplyPutCheck(a, &ops[i].put);
                if (rv != 0) {
                    return rv;
                }
                break;
            case STORE_OP_TXN:
                rv = applyTxnCheck(a, ops[i].txn, path, pi);
                if (rv != 0) {
                    return rv;
                }
                break;
            default:
                break;
        }
    }
    return 0;
}

static int applyRangeInTxn(struct store_apply *a,
                           const struct store_range_req *req,
                           struct store_range_resp *resp)
{
    int rv;
    memset(resp, 0, sizeof *resp);
    resp->revision = applyReadRev(a);
    if (req->revision > 0 || a->sub == 0) {
        int64_t rev = req->revision > 0 ? req->revision : a->begin_rev;
        return storeReaderRange(&a->rd, req, rev, resp, a->errmsg);
    }
    {
        struct store_kvs kvs = {0};
        rv = storeApplyRangeAll(a, req->key, req->key_len, req->range_end,
                                req->range_end_len, &kvs);
        if (rv != 0) {
            storeKvsFree(&kvs);
            return rv;
        }
        storeRangeFinish(req, &kvs, false, (int64_t)kvs.n, resp);
    }
    return 0;
}

static int applyTxnOps(struct store_apply *a, const struct store_txn_req *t,
                       const struct store_path *path, size_t *pi,
                       struct store_txn_resp *resp)
{
    bool ok = path->v[(*pi)++];
    const struct store_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    size_t i;
    int rv = 0;

    resp->succeeded = ok;
    if (n == 0) {
        return 0;
    }
    resp->responses = calloc(n, sizeof *resp->responses);
    if (resp->responses == NULL) {
        return storeNomem(a->errmsg, "txn");
    }
    for (i = 0; i < n && rv == 0; i++) {
        struct store_op_resp *r = &resp->responses[i];
        resp->n_responses = i + 1;
        r->type = ops[i].type;
        switch (ops[i].type) {
            case STORE_OP_RANGE:
                rv = applyRangeInTxn(a, &ops[i].range, &r->range);
                break;
            case STORE_OP_PUT:
                rv = storeApplyPutOp(a, &ops[i].put, &r->put);
                break;
            case STORE_OP_DELETE:
                rv = storeApplyDeleteOp(a, &ops[i].delete_range,
                                        &r->delete_range);
                break;
            case STORE_OP_TXN:
                r->txn = calloc(1, sizeof *r->txn);
                if (r->txn == NULL) {
                    rv = storeNomem(a->errmsg, "txn");
                    break;
                }
                rv = applyTxnOps(a, ops[i].txn, path, pi, r->txn);
                break;
            default:
                rv = ETCFS_INVALID;
                break;
        }
    }
    return rv;
}

int storeApplyTxn(struct store *s, uint64_t index, uint64_t term,
                  const struct store_txn_req *req,
                  struct store_txn_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg)
{
    struct store_apply a;
    struct store_path path = {0};
    struct store_txn_resp local;
    size_t pi = 0;
    int rv;

    if (resp == NULL) {
        resp = &local;
    }
    memset(resp, 0, sizeof *resp);
    storeApplyBegin(&a, s, events, errmsg);
    a.in_txn = true;
    rv = txnValidate(req, s->max_txn_ops);
    if (rv == 0) {
        rv = applyTxnPath(&a, req, &path);
    }
    if (rv == 0) {
        rv = applyTxnCheck(&a, req, &path, &pi);
    }
    if (rv == 0) {
        pi = 0;
        rv = applyTxnOps(&a, req, &path, &pi, resp);
    }
    if (rv != 0) {
        storeTxnRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0 || resp == &local) {
        storeTxnRespClear(resp);
    }
    free(path.v);
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}
