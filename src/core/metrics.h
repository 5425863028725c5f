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
    X(fuse_notify_errors_total, "counter", "Kernel notification errors")

struct metrics
{
#define METRICS__FIELD(name, type, help) _Atomic int64_t name;
    METRICS_LIST(METRICS__FIELD)
#undef METRICS__FIELD
};

#define METRICS_INC(m, name) atomic_fetch_add(&(m)->name, 1)
#define METRICS_ADD(m, name, v) atomic_fetch_add(&(m)->name, (v))

/* Writes every metric as "etcfs_<name> <value>" with HELP/TYPE lines into a
 * malloc'd string (caller frees); NULL on out of memory. */
char *metricsFormat(struct metrics *m);

#endif /* ETCFS_METRICS_H */
