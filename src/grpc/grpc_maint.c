/* etcdserverpb.Maintenance over gRPC: status, alarms, defragment, Hash and
 * HashKV. Translation only, as the gateway's api_maint.c: etcfs raises no
 * alarms and LevelDB compacts on its own, so Alarm answers an empty list
 * and Defragment succeeds at once; the hashes run on the libuv pool
 * (src/server/hashkv.c over src/store/store_hash.c). MoveLeader shares
 * the membership path (grpc_cluster.c), Snapshot its own file
 * (grpc_maint_snapshot.c). Loop thread only. */
#include <stdlib.h>

#include "../core/error.h"
#include "../server/hashkv.h"
#include "../store/store.h"
#include "grpc_internal.h"

void grpcStatus(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__StatusRequest *q =
        grpcUnpack(call, &etcdserverpb__status_request__descriptor, m, n);
    Etcdserverpb__StatusResponse r = ETCDSERVERPB__STATUS_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    const struct grpc_deps *d = grpcDeps(call);
    struct node_status st;
    char errs[NODE_MAX_DOWN + 1][NODE_ERROR_SIZE];
    char *errors[NODE_MAX_DOWN + 1];
    unsigned i;
    int64_t db;
    if (q == NULL) {
        return;
    }
    etcdserverpb__status_request__free_unpacked(q, NULL);
    db = storeDbSize(d->store);
    nodeStatus(d->node, &st);
    grpcHeader(call, &h, 0);
    r.header = &h;
    r.version = (char *)SERVER_ETCD_VERSION;
    r.dbsize = db;
    r.leader = st.leader;
    r.raftindex = st.last_index;
    r.raftterm = st.term;
    r.raftappliedindex = st.applied_index;
    r.dbsizeinuse = db;
    r.islearner = st.is_learner;
    r.n_errors = nodeStatusErrors(&st, errs, NODE_MAX_DOWN + 1);
    for (i = 0; i < r.n_errors; i++) {
        errors[i] = errs[i];
    }
    r.errors = r.n_errors > 0 ? errors : NULL;
    grpcReply(call, &r.base);
}

void grpcAlarm(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AlarmRequest *q =
        grpcUnpack(call, &etcdserverpb__alarm_request__descriptor, m, n);
    Etcdserverpb__AlarmResponse r = ETCDSERVERPB__ALARM_RESPONSE__INIT;
    if (q == NULL) {
        return;
    }
    etcdserverpb__alarm_request__free_unpacked(q, NULL);
    /* etcfs raises no alarms: GET, ACTIVATE, DEACTIVATE all answer an
     * empty list; etcd 3.4's answer (its apply's) has no header */
    grpcReply(call, &r.base);
}

void grpcDefragment(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__DefragmentRequest *q =
        grpcUnpack(call, &etcdserverpb__defragment_request__descriptor, m, n);
    Etcdserverpb__DefragmentResponse r =
        ETCDSERVERPB__DEFRAGMENT_RESPONSE__INIT;
    if (q == NULL) {
        return;
    }
    etcdserverpb__defragment_request__free_unpacked(q, NULL);
    /* LevelDB compacts on its own; etcd's answer has no header */
    grpcReply(call, &r.base);
}

/* ---- Hash, HashKV (etcd 3.4 etcdserver/api/v3rpc/maintenance.go) ---- */

static void hashFree(void *ctx)
{
    free(ctx);
}

static void hashDoneCb(struct server_hash *req)
{
    struct grpc_call *call = req->data;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    if (req->status != 0) {
        grpcFail(call, req->status,
                 req->errmsg[0] != '\0' ? req->errmsg : NULL);
        return;
    }
    /* the header's revision is the one hashed (etcd: the store's current
     * revision when it hashed), then hdr.fill */
    grpcHeader(call, &h, req->res.revision > 0 ? req->res.revision : 0);
    if (req->kv) {
        Etcdserverpb__HashKVResponse r = ETCDSERVERPB__HASH_KVRESPONSE__INIT;
        r.header = &h;
        r.hash = req->res.hash;
        r.compact_revision = req->res.compact_revision;
        grpcReply(call, &r.base);
    } else {
        Etcdserverpb__HashResponse r = ETCDSERVERPB__HASH_RESPONSE__INIT;
        r.header = &h;
        r.hash = req->res.hash;
        grpcReply(call, &r.base);
    }
}

static void hashStart(struct grpc_call *call, bool kv, int64_t revision)
{
    const struct grpc_deps *d = grpcDeps(call);
    struct server_hash *req = calloc(1, sizeof *req);
    int rv;
    if (req == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    req->data = call;
    req->kv = kv;
    req->revision = revision;
    /* freed with the call, after the reply: the call outlives the pool
     * job (the handler's reference is given back only in hashDoneCb) */
    call->ctx = req;
    call->ctx_free = hashFree;
    rv = serverHash(d->loop, d->store, req, hashDoneCb);
    if (rv != 0) {
        grpcFail(call, rv, req->errmsg[0] != '\0' ? req->errmsg : NULL);
    }
}

void grpcHash(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__HashRequest *q =
        grpcUnpack(call, &etcdserverpb__hash_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    etcdserverpb__hash_request__free_unpacked(q, NULL);
    hashStart(call, false, 0);
}

void grpcHashKV(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__HashKVRequest *q =
        grpcUnpack(call, &etcdserverpb__hash_kvrequest__descriptor, m, n);
    int64_t rev;
    if (q == NULL) {
        return;
    }
    rev = q->revision;
    etcdserverpb__hash_kvrequest__free_unpacked(q, NULL);
    hashStart(call, true, rev);
}
