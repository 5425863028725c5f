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
    X(txns_applied_total, "counter", "Txn commands applied")

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
void metricsObserve(struct metrics_histogram *h, uint64_t ns);

struct metrics
{
#define METRICS__FIELD(name, type, help) _Atomic int64_t name;
    METRICS_LIST(METRICS__FIELD)
#undef METRICS__FIELD
    /* etcd_disk_backend_commit_duration_seconds: a store batch written */
    struct metrics_histogram backend_commit;
};

#define METRICS_INC(m, name) atomic_fetch_add(&(m)->name, 1)
#define METRICS_ADD(m, name, v) atomic_fetch_add(&(m)->name, (v))

/* Writes every metric as "etcfs_<name> <value>" with HELP/TYPE lines into a
 * malloc'd string (caller frees); NULL on out of memory. */
char *metricsFormat(struct metrics *m);

/* Writes h as the histogram called name (with its HELP text) to f. */
void metricsFormatHistogram(FILE *f, const char *name, const char *help,
                            const struct metrics_histogram *h);
/* Writes Prometheus's process_* metrics of this process (from /proc) to
 * f: CPU seconds, resident and virtual memory, open and max fds, start
 * time. */
void metricsFormatProcess(FILE *f);

#endif /* ETCFS_METRICS_H */
