/* Hash and HashKV on the libuv pool (see hashkv.h). Loop thread, except
 * hashWorkCb, which runs on the pool over the pinned snapshot only. */
#include "hashkv.h"

#include <string.h>

static void hashWorkCb(uv_work_t *w)
{
    struct server_hash *req = w->data;
    if (req->kv) {
        req->status = storeHashKV(req->snap, req->revision, &req->res,
                                  req->errmsg);
    } else {
        req->res.compact_revision = 0;
        req->status = storeHash(req->snap, &req->res.hash,
                                &req->res.revision, req->errmsg);
    }
}

static void hashAfterWorkCb(uv_work_t *w, int status)
{
    struct server_hash *req = w->data;
    storeSnapshotRelease(req->snap);
    req->snap = NULL;
    if (status != 0 && req->status == 0) {
        req->status = ETCFS_CANCELED; /* uv_cancel: never called here */
    }
    req->cb(req);
}

int serverHash(uv_loop_t *loop, struct store *store, struct server_hash *req,
               server_hash_cb cb)
{
    int rv;
    req->cb = cb;
    req->status = 0;
    req->errmsg[0] = '\0';
    memset(&req->res, 0, sizeof req->res);
    rv = storeSnapshotTake(store, &req->snap, req->errmsg);
    if (rv != 0) {
        return rv;
    }
    req->work.data = req;
    if (uv_queue_work(loop, &req->work, hashWorkCb, hashAfterWorkCb) != 0) {
        storeSnapshotRelease(req->snap);
        req->snap = NULL;
        return ETCFS_IO;
    }
    return 0;
}
