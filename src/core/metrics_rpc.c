/* The per-method, per-peer and per-mount-operation series of /metrics:
 * go-grpc-prometheus's grpc_server_started_total, grpc_server_handled_total and
 * grpc_server_handling_seconds for etcd's 39 gRPC methods (counted by the
 * gRPC server and the JSON gateway alike), and etcd's
 * etcd_network_peer_sent/received_bytes_total and
 * etcd_network_peer_round_trip_time_seconds by peer. Counters are atomics
 * (any thread); formatting runs on the loop thread. */
#include <inttypes.h>
#include <string.h>

#include "metrics.h"

struct rpc_name
{
    const char *service; /* "etcdserverpb.KV" */
    const char *method;  /* "Range" */
    const char *type;    /* "unary", "bidi_stream", "server_stream" */
};

#define U(s, m) {"etcdserverpb." s, m, "unary"}
static const struct rpc_name rpcNames[] = {
    U("KV", "Range"), U("KV", "Put"), U("KV", "DeleteRange"), U("KV", "Txn"),
    U("KV", "Compact"),
    {"etcdserverpb.Watch", "Watch", "bidi_stream"},
    U("Lease", "LeaseGrant"), U("Lease", "LeaseRevoke"),
    {"etcdserverpb.Lease", "LeaseKeepAlive", "bidi_stream"},
    U("Lease", "LeaseTimeToLive"), U("Lease", "LeaseLeases"),
    U("Cluster", "MemberAdd"), U("Cluster", "MemberRemove"),
    U("Cluster", "MemberUpdate"), U("Cluster", "MemberList"),
    U("Cluster", "MemberPromote"),
    U("Maintenance", "Alarm"), U("Maintenance", "Status"),
    U("Maintenance", "Defragment"), U("Maintenance", "Hash"),
    U("Maintenance", "HashKV"),
    {"etcdserverpb.Maintenance", "Snapshot", "server_stream"},
    U("Maintenance", "MoveLeader"),
    U("Auth", "AuthEnable"), U("Auth", "AuthDisable"),
    U("Auth", "Authenticate"), U("Auth", "UserAdd"), U("Auth", "UserGet"),
    U("Auth", "UserList"), U("Auth", "UserDelete"),
    U("Auth", "UserChangePassword"), U("Auth", "UserGrantRole"),
    U("Auth", "UserRevokeRole"), U("Auth", "RoleAdd"), U("Auth", "RoleGet"),
    U("Auth", "RoleList"), U("Auth", "RoleDelete"),
    U("Auth", "RoleGrantPermission"), U("Auth", "RoleRevokePermission"),
};
#undef U
_Static_assert(sizeof rpcNames / sizeof rpcNames[0] == METRICS_N_RPCS,
               "METRICS_N_RPCS is the number of etcd's methods");

/* gRPC's code names, by number */
static const char *const rpcCodes[METRICS_RPC_CODES] = {
    "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded",
    "NotFound", "AlreadyExists", "PermissionDenied", "ResourceExhausted",
    "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented",
    "Internal", "Unavailable", "DataLoss", "Unauthenticated"};

#define RPC__BASE_NS 100000u /* 0.1 ms */

int metricsRpcIndex(const char *path)
{
    size_t i;
    const char *slash;
    if (path == NULL || path[0] != '/') {
        return -1;
    }
    slash = strchr(path + 1, '/');
    if (slash == NULL) {
        return -1;
    }
    for (i = 0; i < METRICS_N_RPCS; i++) {
        size_t n = strlen(rpcNames[i].service);
        if ((size_t)(slash - path - 1) == n &&
            memcmp(path + 1, rpcNames[i].service, n) == 0 &&
            strcmp(slash + 1, rpcNames[i].method) == 0) {
            return (int)i;
        }
    }
    return -1;
}

void metricsRpcStarted(struct metrics *m, int rpc)
{
    if (m != NULL && rpc >= 0 && rpc < METRICS_N_RPCS) {
        atomic_fetch_add(&m->rpc[rpc].started, 1);
    }
}

void metricsRpcHandled(struct metrics *m, int rpc, int code, uint64_t ns)
{
    if (m == NULL || rpc < 0 || rpc >= METRICS_N_RPCS) {
        return;
    }
    if (code < 0 || code >= METRICS_RPC_CODES) {
        code = 2; /* Unknown */
    }
    atomic_fetch_add(&m->rpc[rpc].handled[code], 1);
    metricsObserveFrom(&m->rpc[rpc].handling, ns, RPC__BASE_NS);
}

struct metrics_peer *metricsPeer(struct metrics *m, uint64_t id)
{
    size_t i;
    for (i = 0; i < METRICS_MAX_PEERS; i++) {
        uint64_t have = atomic_load(&m->peers[i].id);
        if (have == id) {
            return &m->peers[i];
        }
        if (have == 0) {
            atomic_store(&m->peers[i].id, id);
            return &m->peers[i];
        }
    }
    return NULL;
}

void metricsFormatRpc(FILE *f, struct metrics *m)
{
    size_t i;
    unsigned c;
    fprintf(f, "# HELP grpc_server_started_total Total number of RPCs "
               "started on the server.\n"
               "# TYPE grpc_server_started_total counter\n");
    for (i = 0; i < METRICS_N_RPCS; i++) {
        fprintf(f,
                "grpc_server_started_total{grpc_method=\"%s\",grpc_service="
                "\"%s\",grpc_type=\"%s\"} %" PRIu64 "\n",
                rpcNames[i].method, rpcNames[i].service, rpcNames[i].type,
                (uint64_t)atomic_load(&m->rpc[i].started));
    }
    fprintf(f, "# HELP grpc_server_handled_total Total number of RPCs "
               "completed on the server, regardless of success or failure.\n"
               "# TYPE grpc_server_handled_total counter\n");
    for (i = 0; i < METRICS_N_RPCS; i++) {
        for (c = 0; c < METRICS_RPC_CODES; c++) {
            uint64_t v = atomic_load(&m->rpc[i].handled[c]);
            if (v == 0 && c != 0) {
                continue; /* OK always, the other codes once seen */
            }
            fprintf(f,
                    "grpc_server_handled_total{grpc_code=\"%s\",grpc_method="
                    "\"%s\",grpc_service=\"%s\",grpc_type=\"%s\"} %" PRIu64
                    "\n",
                    rpcCodes[c], rpcNames[i].method, rpcNames[i].service,
                    rpcNames[i].type, v);
        }
    }
    fprintf(f, "# HELP grpc_server_handling_seconds Histogram of response "
               "latency (seconds) of gRPC that had been application-level "
               "handled by the server.\n"
               "# TYPE grpc_server_handling_seconds histogram\n");
    for (i = 0; i < METRICS_N_RPCS; i++) {
        char labels[160];
        if (atomic_load(&m->rpc[i].handling.count) == 0) {
            continue;
        }
        snprintf(labels, sizeof labels,
                 "grpc_method=\"%s\",grpc_service=\"%s\",grpc_type=\"%s\"",
                 rpcNames[i].method, rpcNames[i].service, rpcNames[i].type);
        metricsFormatBuckets(f, "grpc_server_handling_seconds", labels,
                             &m->rpc[i].handling, RPC__BASE_NS);
    }
}

void metricsFormatPeers(FILE *f, struct metrics *m)
{
    static const char *const names[3] = {
        "etcd_network_peer_sent_bytes_total",
        "etcd_network_peer_received_bytes_total",
        "etcd_network_peer_round_trip_time_seconds"};
    static const char *const helps[3] = {
        "The total number of bytes sent to peers.",
        "The total number of bytes received from peers.",
        "Round-Trip-Time histogram between peers"};
    unsigned k;
    size_t i;
    for (k = 0; k < 3; k++) {
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", names[k], helps[k],
                names[k], k < 2 ? "counter" : "histogram");
        for (i = 0; i < METRICS_MAX_PEERS; i++) {
            struct metrics_peer *p = &m->peers[i];
            uint64_t id = atomic_load(&p->id);
            char labels[48];
            if (id == 0) {
                break;
            }
            if (k == 0) {
                fprintf(f, "%s{To=\"%" PRIx64 "\"} %" PRIu64 "\n", names[k],
                        id, (uint64_t)atomic_load(&p->sent_bytes));
            } else if (k == 1) {
                fprintf(f, "%s{From=\"%" PRIx64 "\"} %" PRIu64 "\n",
                        names[k], id,
                        (uint64_t)atomic_load(&p->received_bytes));
            } else if (atomic_load(&p->rtt.count) > 0) {
                snprintf(labels, sizeof labels, "To=\"%" PRIx64 "\"", id);
                metricsFormatBuckets(f, names[k], labels, &p->rtt,
                                     RPC__BASE_NS);
            }
        }
    }
}

void metricsFormatMount(FILE *f, struct metrics *m)
{
    uint64_t now_ns = metricsNowNs();
    static const char *const ops[METRICS_MOUNT_N] = {
#define METRICS__MOUNT_NAME(name) #name,
        METRICS_MOUNT_OPS(METRICS__MOUNT_NAME)
#undef METRICS__MOUNT_NAME
    };
    uint64_t oldest = atomic_load(&m->replay_oldest_ns);
    size_t i;
    fprintf(f, "# HELP etcfs_mount_operation_seconds FUSE requests of the "
               "mount, from arrival to reply, by operation.\n"
               "# TYPE etcfs_mount_operation_seconds histogram\n");
    for (i = 0; i < METRICS_MOUNT_N; i++) {
        char labels[32];
        if (atomic_load(&m->mount_op[i].count) == 0) {
            continue;
        }
        snprintf(labels, sizeof labels, "op=\"%s\"", ops[i]);
        metricsFormatBuckets(f, "etcfs_mount_operation_seconds", labels,
                             &m->mount_op[i], METRICS_MOUNT_BASE_NS);
    }
    fprintf(f,
            "# HELP etcfs_mount_replay_queue Remote changes waiting to be "
            "repeated through the mount for inotify.\n"
            "# TYPE etcfs_mount_replay_queue gauge\n"
            "etcfs_mount_replay_queue %" PRId64 "\n"
            "# HELP etcfs_mount_replay_lag_seconds How long the oldest "
            "waiting remote change has waited.\n"
            "# TYPE etcfs_mount_replay_lag_seconds gauge\n"
            "etcfs_mount_replay_lag_seconds %.6f\n"
            "# HELP etcfs_mount_dircache_hits_total Directory questions "
            "answered by the mount's cache.\n"
            "# TYPE etcfs_mount_dircache_hits_total counter\n"
            "etcfs_mount_dircache_hits_total %" PRIu64 "\n"
            "# HELP etcfs_mount_dircache_misses_total Directory questions "
            "the store answered.\n"
            "# TYPE etcfs_mount_dircache_misses_total counter\n"
            "etcfs_mount_dircache_misses_total %" PRIu64 "\n",
            (int64_t)atomic_load(&m->replay_queue),
            oldest != 0 && now_ns > oldest ? (double)(now_ns - oldest) / 1e9
                                           : 0.0,
            (uint64_t)atomic_load(&m->dircache_hits),
            (uint64_t)atomic_load(&m->dircache_misses));
}
