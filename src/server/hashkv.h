/* etcd's Maintenance.Hash and HashKV for every front end (gRPC and the
 * JSON gateway): pins the store's state on the loop, runs the store's
 * hash (src/store/store_hash.c: a full pass) on the libuv pool, and calls
 * back on the loop. Loop thread only; never blocks. */
#ifndef ETCFS_SERVER_HASHKV_H
#define ETCFS_SERVER_HASHKV_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../core/error.h"
#include "../store/store.h"

struct server_hash;
typedef void (*server_hash_cb)(struct server_hash *req);

/* Caller-owned; lives until cb, which fires exactly once, on the loop,
 * when serverHash returned 0 (never when it returned an error). */
struct server_hash
{
    void *data;
    bool kv;          /* HashKV, else Hash */
    int64_t revision; /* HashKV: the revision asked (0: the current one) */
    /* the result: status 0 (or ETCFS_COMPACTED, ETCFS_FUTURE_REV, an
     * I/O error with errmsg), hash, the pinned revision, the compacted
     * revision (HashKV: -1 before the first compaction) */
    int status;
    char errmsg[ETCFS_ERRMSG_SIZE];
    struct store_hashkv res;
    server_hash_cb cb;
    /* private */
    uv_work_t work;
    struct store_snapshot *snap;
};

/* Starts the hash of store (borrowed until cb) on loop's pool. 0, or an
 * error (nothing started, cb will not fire). */
int serverHash(uv_loop_t *loop, struct store *store, struct server_hash *req,
               server_hash_cb cb);

#endif /* ETCFS_SERVER_HASHKV_H */
