/* Counters and gauges for GET /metrics (Prometheus text format). Updated
 * from the loop thread and, for fuse/, from FUSE threads: atomics. */
#ifndef ETCFS_METRICS_H
#define ETCFS_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define METRICS_LIST(X)                                                       \
    X(proposals_committed_total, "counter", "Proposals committed")          \
    X(proposals_applied_total, "counter", "Entries applied to the store")   \
    X(proposals_failed_total, "counter", "Proposals that failed")           \
    X(proposals_forwarded_total, "counter", "Requests forwarded to leader") \
    X(reads_linearizable_total, "counter", "Linearizable reads served")     \
    X(reads_serializable_total, "counter", "Serializable reads served")     \
    X(read_confirmations_total, "counter", "Leader confirmations (barriers)") \
    X(http_requests_total, "counter", "HTTP requests received")             \
    X(http_errors_total, "counter", "HTTP requests answered with an error") \
    X(watch_streams, "gauge", "Open watch streams")                         \
    X(watchers, "gauge", "Active watchers")                                 \
    X(leader_changes_seen_total, "counter", "Leader changes seen")          \
    X(snapshots_taken_total, "counter", "Raft snapshots taken")             \
    X(snapshots_restored_total, "counter", "Raft snapshots restored")       \
    X(leases_expired_total, "counter", "Leases revoked by expiry")          \
    X(fuse_notify_errors_total, "counter", "Kernel notification errors")   \
    X(puts_applied_total, "counter", "Put commands applied")               \
    X(deletes_applied_total, "counter", "Delete-range commands applied")   \
    X(txns_applied_total, "counter", "Txn commands applied")              \
    X(slow_apply_total, "counter", "Entries that took over 100 ms to apply") \
    X(heartbeat_send_failures_total, "counter", "Heartbeats not sent")     \
    X(client_received_bytes_total, "counter", "Bytes read from clients")   \
    X(client_sent_bytes_total, "counter", "Bytes written to clients")

/* A Prometheus histogram of durations with etcd's buckets for its disk
 * histograms: 1 ms doubling to 8.192 s (prometheus.ExponentialBuckets(
 * 0.001, 2, 14)). Any thread. */
#define METRICS_BUCKETS 14
struct metrics_histogram
{
    _Atomic uint64_t buckets[METRICS_BUCKETS]; /* <= 1 ms << i, not summed */
    _Atomic uint64_t count;
    _Atomic uint64_t sum_ns;
};
/* Monotonic nanoseconds (CLOCK_MONOTONIC, uv_hrtime's clock), for
 * durations and ages; any thread. */
uint64_t metricsNowNs(void);
void metricsObserve(struct metrics_histogram *h, uint64_t ns);
/* The same with buckets from base_ns doubling (etcd's peer round trip:
 * 0.1 ms). */
void metricsObserveFrom(struct metrics_histogram *h, uint64_t ns,
                        uint64_t base_ns);

/* A Raft peer's traffic as this member sees it (etcd_network_peer_*):
 * message bytes each way and, on the leader, heartbeat round trips. */
#define METRICS_MAX_PEERS 64
struct metrics_peer
{
    _Atomic uint64_t id; /* 0: a free slot */
    _Atomic uint64_t sent_bytes;
    _Atomic uint64_t received_bytes;
    struct metrics_histogram rtt; /* 0.1 ms doubling */
};

/* The mount's operations by kind (etcfs_mount_operation_seconds{op}):
 * each FUSE request from its arrival to its reply. */
#define METRICS_MOUNT_OPS(X)                                                  \
    X(lookup) X(getattr) X(setattr) X(readlink) X(mknod) X(mkdir) X(unlink) \
    X(rmdir) X(symlink) X(rename) X(link) X(open) X(read) X(write)          \
    X(flush) X(release) X(fsync) X(opendir) X(readdir) X(releasedir)        \
    X(statfs) X(setxattr) X(getxattr) X(listxattr) X(removexattr) X(create)
enum metrics_mount_op {
#define METRICS__MOUNT_ENUM(name) METRICS_MOUNT_##name,
    METRICS_MOUNT_OPS(METRICS__MOUNT_ENUM)
#undef METRICS__MOUNT_ENUM
    METRICS_MOUNT_N
};

/* etcd's gRPC methods, for go-grpc-prometheus's grpc_server_* series
 * (every front end counts: a gateway request is the gRPC call etcd's
 * gateway would have made). */
#define METRICS_RPC_CODES 17
struct metrics_rpc
{
    _Atomic uint64_t started;
    _Atomic uint64_t handled[METRICS_RPC_CODES]; /* by gRPC code */
    struct metrics_histogram handling;           /* 0.1 ms doubling */
};
#define METRICS_N_RPCS 39

struct metrics
{
#define METRICS__FIELD(name, type, help) _Atomic int64_t name;
    METRICS_LIST(METRICS__FIELD)
#undef METRICS__FIELD
    /* etcd_disk_backend_commit_duration_seconds: a store batch written */
    struct metrics_histogram backend_commit;
    /* etcd_disk_wal_fsync_duration_seconds: a Raft log append made
     * durable (raft_uv writes with O_DSYNC: the write is the sync) */
    struct metrics_histogram wal_fsync;
    struct metrics_peer peers[METRICS_MAX_PEERS];
    /* the mount: operations (25 us doubling), the replay of remote
     * changes (queued items, when the oldest was queued: 0 none), and the
     * "any key under this directory?" cache */
    struct metrics_histogram mount_op[METRICS_MOUNT_N];
    _Atomic int64_t replay_queue;
    _Atomic uint64_t replay_oldest_ns;
    _Atomic uint64_t dircache_hits;
    _Atomic uint64_t dircache_misses;
    struct metrics_rpc rpc[METRICS_N_RPCS];
};

/* The slot of peer id (claimed when new); NULL when every slot is taken.
 * Loop thread only (the claim is not atomic). */
struct metrics_peer *metricsPeer(struct metrics *m, uint64_t id);

/* The index of an etcd gRPC method by its path ("/etcdserverpb.KV/Range"),
 * or -1. */
int metricsRpcIndex(const char *path);
/* An RPC started / ended with a gRPC status code after ns. rpc < 0: not
 * an etcd method, nothing counted. */
void metricsRpcStarted(struct metrics *m, int rpc);
void metricsRpcHandled(struct metrics *m, int rpc, int code, uint64_t ns);

#define METRICS_INC(m, name) atomic_fetch_add(&(m)->name, 1)
#define METRICS_ADD(m, name, v) atomic_fetch_add(&(m)->name, (v))

/* Writes every metric as "etcfs_<name> <value>" with HELP/TYPE lines into a
 * malloc'd string (caller frees); NULL on out of memory. */
char *metricsFormat(struct metrics *m);

/* Writes h as the histogram called name (with its HELP text) to f. */
void metricsFormatHistogram(FILE *f, const char *name, const char *help,
                            const struct metrics_histogram *h);
/* Writes h's _bucket, _sum and _count lines (no HELP/TYPE) with labels
 * ("" none) before le, buckets from base_ns doubling. */
void metricsFormatBuckets(FILE *f, const char *name, const char *labels,
                          const struct metrics_histogram *h,
                          uint64_t base_ns);
/* grpc_server_* and etcd_network_peer_* (metrics_rpc.c). */
void metricsFormatRpc(FILE *f, struct metrics *m);
void metricsFormatPeers(FILE *f, struct metrics *m);
/* etcfs_mount_* (metrics_rpc.c). */
void metricsFormatMount(FILE *f, struct metrics *m);
#define METRICS_MOUNT_BASE_NS 25000u
/* Writes Prometheus's process_* metrics of this process (from /proc) to
 * f: CPU seconds, resident and virtual memory, open and max fds, start
 * time. */
void metricsFormatProcess(FILE *f);

#endif /* ETCFS_METRICS_H */
