/* Compare evaluation and txn validation, after etcd 3.4
 * (etcdserver/apply.go compareKV/applyCompare, api/v3rpc/key.go
 * checkTxnRequest/checkIntervals). Pure: works on request structs only. */
#include "txn.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "mvcc_key.h"

static int txnCompareInt(int64_t a, int64_t b)
{
    return a < b ? -1 : (a > b ? 1 : 0);
}

bool txnCompareKv(const struct store_compare *c, const struct store_kv *kv)
{
    static const struct store_kv zero = {0};
    int result = 0;
    if (kv == NULL) {
        /* "Always fail if comparing a value on a key/keys that doesn't
         * exist; nil == empty string in grpc" (etcd applyCompare). */
        if (c->target == STORE_CMP_VALUE) {
            return false;
        }
        kv = &zero;
    }
    switch (c->target) {
        case STORE_CMP_VERSION:
            result = txnCompareInt(kv->version, c->number);
            break;
        case STORE_CMP_CREATE:
            result = txnCompareInt(kv->create_revision, c->number);
            break;
        case STORE_CMP_MOD:
            result = txnCompareInt(kv->mod_revision, c->number);
            break;
        case STORE_CMP_LEASE:
            result = txnCompareInt(kv->lease, c->number);
            break;
        case STORE_CMP_VALUE:
            result = mvccKeyCompare(kv->value != NULL ? kv->value : "",
                                    kv->value_len,
                                    c->value != NULL ? c->value : "",
                                    c->value_len);
            break;
        default:
            return false;
    }
    switch (c->result) {
        case STORE_CMP_EQUAL:
            return result == 0;
        case STORE_CMP_NOT_EQUAL:
            return result != 0;
        case STORE_CMP_GREATER:
            return result > 0;
        case STORE_CMP_LESS:
            return result < 0;
        default:
            return false;
    }
}

int txnCompareCheck(const struct store_compare *c)
{
    if (c->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    if (c->result < STORE_CMP_EQUAL || c->result > STORE_CMP_NOT_EQUAL ||
        c->target < STORE_CMP_VERSION || c->target > STORE_CMP_LEASE) {
        return ETCFS_INVALID;
    }
    return 0;
}

int txnCheckPut(const struct store_put_req *p)
{
    if (p->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    if (p->ignore_value && p->value_len != 0) {
        return ETCFS_VALUE_PROVIDED;
    }
    if (p->ignore_lease && p->lease != 0) {
        return ETCFS_LEASE_PROVIDED;
    }
    return 0;
}

/* ---- op counts and shapes (checkTxnRequest/checkRequestOp) ---- */

static int txnCheckRequest(const struct store_txn_req *req, long max_ops);

static int txnCheckOp(const struct store_op *op, long max_ops)
{
    switch (op->type) {
        case STORE_OP_RANGE:
            if (op->range.key_len == 0) {
                return ETCFS_KEY_EMPTY;
            }
            return 0;
        case STORE_OP_PUT:
            return txnCheckPut(&op->put);
        case STORE_OP_DELETE:
            if (op->delete_range.key_len == 0) {
                return ETCFS_KEY_EMPTY;
            }
            return 0;
        case STORE_OP_TXN:
            if (op->txn == NULL) {
                return ETCFS_INVALID;
            }
            return txnCheckRequest(op->txn, max_ops);
        default:
            return ETCFS_INVALID;
    }
}

static int txnCheckRequest(const struct store_txn_req *req, long max_ops)
{
    size_t opc = req->n_compares;
    size_t i;
    int rv;
    if (opc < req->n_success) {
        opc = req->n_success;
    }
    if (opc < req->n_failure) {
        opc = req->n_failure;
    }
    if (max_ops < 0 || opc > (size_t)max_ops) {
        return ETCFS_TOO_MANY_OPS;
    }
    for (i = 0; i < req->n_compares; i++) {
        rv = txnCompareCheck(&req->compares[i]);
        if (rv != 0) {
            return rv;
        }
    }
    /* etcd passes maxTxnOps-opc to nested checks. */
    for (i = 0; i < req->n_success; i++) {
        rv = txnCheckOp(&req->success[i], max_ops - (long)opc);
        if (rv != 0) {
            return rv;
        }
    }
    for (i = 0; i < req->n_failure; i++) {
        rv = txnCheckOp(&req->failure[i], max_ops - (long)opc);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

/* ---- duplicate keys (checkIntervals) ----
 * Sets are plain arrays: a txn has at most max_txn_ops ops per level, so
 * linear scans stay small. */

struct txn_key
{
    const char *key;
    size_t len;
};

struct txn_range
{
    const char *key;
    size_t len;
    const char *end;
    size_t end_len;
};

struct txn_set
{
    struct txn_key *puts;
    size_t n_puts;
    size_t cap_puts;
    struct txn_range *dels;
    size_t n_dels;
    size_t cap_dels;
};

static void txnSetFree(struct txn_set *s)
{
    free(s->puts);
    free(s->dels);
    memset(s, 0, sizeof *s);
}

static bool txnSetHasPut(const struct txn_set *s, const char *k, size_t len)
{
    size_t i;
    for (i = 0; i < s->n_puts; i++) {
        if (mvccKeyCompare(s->puts[i].key, s->puts[i].len, k, len) == 0) {
            return true;
        }
    }
    return false;
}

static bool txnSetDeletes(const struct txn_set *s, const char *k, size_t len)
{
    size_t i;
    for (i = 0; i < s->n_dels; i++) {
        const struct txn_range *r = &s->dels[i];
        if (mvccKeyInRange(r->key, r->len, r->end, r->end_len, k, len)) {
            return true;
        }
    }
    return false;
}

static int txnSetAddPut(struct txn_set *s, const char *k, size_t len)
{
    if (s->n_puts == s->cap_puts) {
        size_t cap = s->cap_puts == 0 ? 8 : 2 * s->cap_puts;
        struct txn_key *p = realloc(s->puts, cap * sizeof *p);
        if (p == NULL) {
            return ETCFS_NOMEM;
        }
        s->puts = p;
        s->cap_puts = cap;
    }
    s->puts[s->n_puts].key = k;
    s->puts[s->n_puts].len = len;
    s->n_puts++;
    return 0;
}

static int txnSetAddDel(struct txn_set *s, const struct txn_range *r)
{
    if (s->n_dels == s->cap_dels) {
        size_t cap = s->cap_dels == 0 ? 8 : 2 * s->cap_dels;
        struct txn_range *p = realloc(s->dels, cap * sizeof *p);
        if (p == NULL) {
            return ETCFS_NOMEM;
        }
        s->dels = p;
        s->cap_dels = cap;
    }
    s->dels[s->n_dels++] = *r;
    return 0;
}

/* Fills out (empty on entry, freed by the caller) with the puts and
 * deletes of ops and their nested txns, failing on a duplicate. */
static int txnCheckIntervals(const struct store_op *ops, size_t n,
                             struct txn_set *out)
{
    size_t i;
    size_t j;
    int rv;
    /* Deletes of this level first, to check lower-level puts against. */
    for (i = 0; i < n; i++) {
        const struct store_delete_req *d = &ops[i].delete_range;
        struct txn_range r;
        if (ops[i].type != STORE_OP_DELETE) {
            continue;
        }
        r.key = d->key;
        r.len = d->key_len;
        r.end = d->range_end;
        r.end_len = d->range_end_len;
        rv = txnSetAddDel(out, &r);
        if (rv != 0) {
            return rv;
        }
    }
    /* Nested txns: then/else are exclusive, so a key may be put in both. */
    for (i = 0; i < n; i++) {
        struct txn_set then_set = {0};
        struct txn_set else_set = {0};
        const struct store_txn_req *t = ops[i].txn;
        if (ops[i].type != STORE_OP_TXN) {
            continue;
        }
        rv = txnCheckIntervals(t->success, t->n_success, &then_set);
        if (rv == 0) {
            rv = txnCheckIntervals(t->failure, t->n_failure, &else_set);
        }
        for (j = 0; rv == 0 && j < then_set.n_puts; j++) {
            const struct txn_key *k = &then_set.puts[j];
            if (txnSetHasPut(out, k->key, k->len) ||
                txnSetDeletes(out, k->key, k->len)) {
                rv = ETCFS_DUPLICATE_KEY;
                break;
            }
            rv = txnSetAddPut(out, k->key, k->len);
        }
        for (j = 0; rv == 0 && j < else_set.n_puts; j++) {
            const struct txn_key *k = &else_set.puts[j];
            if ((txnSetHasPut(out, k->key, k->len) &&
                 !txnSetHasPut(&then_set, k->key, k->len)) ||
                txnSetDeletes(out, k->key, k->len)) {
                rv = ETCFS_DUPLICATE_KEY;
                break;
            }
            rv = txnSetAddPut(out, k->key, k->len);
        }
        for (j = 0; rv == 0 && j < then_set.n_dels; j++) {
            rv = txnSetAddDel(out, &then_set.dels[j]);
        }
        for (j = 0; rv == 0 && j < else_set.n_dels; j++) {
            rv = txnSetAddDel(out, &else_set.dels[j]);
        }
        txnSetFree(&then_set);
        txnSetFree(&else_set);
        if (rv != 0) {
            return rv;
        }
    }
    /* This level's puts. */
    for (i = 0; i < n; i++) {
        const struct store_put_req *p = &ops[i].put;
        if (ops[i].type != STORE_OP_PUT) {
            continue;
        }
        if (txnSetHasPut(out, p->key, p->key_len) ||
            txnSetDeletes(out, p->key, p->key_len)) {
            return ETCFS_DUPLICATE_KEY;
        }
        rv = txnSetAddPut(out, p->key, p->key_len);
        if (rv != 0) {
            return rv;
        }
    }
    return 0;
}

int txnValidate(const struct store_txn_req *req, size_t max_txn_ops)
{
    struct txn_set set = {0};
    int rv;
    rv = txnCheckRequest(req, (long)max_txn_ops);
    if (rv != 0) {
        return rv;
    }
    rv = txnCheckIntervals(req->success, req->n_success, &set);
    txnSetFree(&set);
    if (rv != 0) {
        return rv;
    }
    rv = txnCheckIntervals(req->failure, req->n_failure, &set);
    txnSetFree(&set);
    return rv;
}
