/* Txn rules that need no storage: compare evaluation (etcd's compareKV and
 * applyCompare), request validation (op count as etcd's checkTxnRequest,
 * duplicate keys as its checkIntervals, empty keys, ignore_* flags). Pure;
 * used by store_apply.c and store_txn.c on the apply thread. */
#ifndef ETCFS_TXN_H
#define ETCFS_TXN_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/* Whether kv (borrowed; the key's state at the compare revision) satisfies
 * c. For a key that does not exist pass NULL: VALUE compares fail, the
 * others compare against 0 (etcd applyCompare). */
bool txnCompareKv(const struct store_compare *c, const struct store_kv *kv);

/* Checks a compare's shape: ETCFS_KEY_EMPTY, ETCFS_INVALID (unknown result
 * or target) or 0. */
int txnCompareCheck(const struct store_compare *c);

/* Checks a txn before anything runs, as etcd's API layer does: op counts
 * (ETCFS_TOO_MANY_OPS), empty keys (ETCFS_KEY_EMPTY), ignore_value with a
 * value (ETCFS_VALUE_PROVIDED), ignore_lease with a lease
 * (ETCFS_LEASE_PROVIDED), unknown op types (ETCFS_INVALID), and a key put
 * twice or put and deleted in one branch (ETCFS_DUPLICATE_KEY). Returns 0,
 * one of those, or ETCFS_NOMEM. */
int txnValidate(const struct store_txn_req *req, size_t max_txn_ops);

/* Checks one put's shape (the same rules as inside a txn). */
int txnCheckPut(const struct store_put_req *p);

#endif /* ETCFS_TXN_H */
