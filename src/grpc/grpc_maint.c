/* etcdserverpb.Maintenance over gRPC: status, alarms, defragment.
 * Translation only, as the gateway's api_maint.c: etcfs raises no alarms
 * and LevelDB compacts on its own, so Alarm answers an empty list and
 * Defragment succeeds at once. MoveLeader shares the membership path
 * (grpc_cluster.c), Snapshot its own file (grpc_maint_snapshot.c); Hash
 * and HashKV are not served yet (grpc_stubs.c). Loop thread only. */
#include <stdlib.h>

#include "../core/error.h"
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
    char *errors[1];
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
    if (st.leader == 0) {
        errors[0] = (char *)etcfsStrerror(ETCFS_NOLEADER);
        r.errors = errors;
        r.n_errors = 1;
    }
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
