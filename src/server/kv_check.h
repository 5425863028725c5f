/* etcd's checks of a KV request before it goes anywhere (v3rpc/key.go:
 * checkRangeRequest, checkPutRequest, checkDeleteRequest, the compares and
 * nesting of checkTxnRequest), on the protocol-free store requests, so
 * every front end (JSON gateway, gRPC) refuses the same requests with the
 * same error. The --max-txn-ops limit is serverWrite's. Pure: no I/O, any
 * thread. */
#ifndef ETCFS_KV_CHECK_H
#define ETCFS_KV_CHECK_H

#include <stddef.h>

#include "../store/store.h"

/* Deepest txn nesting accepted (a txn inside a txn inside ...). */
#define KV_CHECK_MAX_TXN_DEPTH 4

/* Each returns 0 or an error code with errmsg (ETCFS_ERRMSG_SIZE, may be
 * NULL) holding its text; the request is normalized in place where etcd
 * does (a negative limit is none; a missing value is ""). */
int kvCheckRange(struct store_range_req *r, char *errmsg);
/* max_bytes bounds key + value (ETCFS_TOO_LARGE, --max-request-bytes). */
int kvCheckPut(struct store_put_req *r, size_t max_bytes, char *errmsg);
int kvCheckDelete(const struct store_delete_req *r, char *errmsg);
int kvCheckCompare(struct store_compare *c, char *errmsg);
/* etcd's --max-txn-ops (max) on one txn level: its compares and each
 * branch (ETCFS_TOO_MANY_OPS). */
int kvCheckTxnOps(size_t n_compares, size_t n_success, size_t n_failure,
                  size_t max, char *errmsg);
/* A txn op that holds no request: etcd's ErrGRPCKeyNotFound (key.go
 * checkRequestOp). */
int kvCheckEmptyOp(char *errmsg);
/* A txn at nesting depth (0: the outermost). */
int kvCheckTxnDepth(int depth, char *errmsg);

#endif /* ETCFS_KV_CHECK_H */
