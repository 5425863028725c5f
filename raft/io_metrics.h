/* etcd's disk and peer series measured on the Raft io: the durable
 * append of log entries (etcd_disk_wal_fsync_duration_seconds), Raft
 * message bytes to and from each peer (etcd_network_peer_sent/received_
 * bytes_total: entries and snapshot data plus an estimate of the frame's
 * header), heartbeat round trips on the leader (a heartbeat to a peer
 * until its next append result: etcd_network_peer_round_trip_time_
 * seconds) and heartbeats that failed to go out. It wraps raft_io's
 * append, send and start in place: raft and raft_uv see the same struct,
 * only three function pointers change. Loop thread only; one per node. */
#ifndef ETCFS_RAFT_IO_METRICS_H
#define ETCFS_RAFT_IO_METRICS_H

#include <raft.h>

#include "../src/core/metrics.h"

/* Requests a wrapper handed to raft_uv with a callback of its own: each
 * one's original callback and start, found again by the request (the
 * first entry is the usual match: raft_uv answers in order). Shared by
 * this file's wrappers and snapshot.c's. */
struct io_pending
{
    void *req;
    void *cb;
    uint64_t start_ns;
};
struct io_pending_table
{
    struct io_pending *a;
    size_t n, cap;
};
/* 0, or -1 without memory (the request is then not wrapped). */
int ioPendingPush(struct io_pending_table *t, void *req, void *cb);
/* Takes req's entry out into *out: 0, or -1 when it is not there. */
int ioPendingTake(struct io_pending_table *t, void *req,
                  struct io_pending *out);
void ioPendingFree(struct io_pending_table *t);

struct io_metrics
{
    struct metrics *m;
    struct raft_io *io;
    int (*append)(struct raft_io *io, struct raft_io_append *req,
                  const struct raft_entry entries[], unsigned n,
                  raft_io_append_cb cb);
    int (*send)(struct raft_io *io, struct raft_io_send *req,
                const struct raft_message *message, raft_io_send_cb cb);
    int (*start)(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                 raft_io_recv_cb recv);
    raft_io_recv_cb recv;
    /* appends and heartbeat sends in flight (their own callbacks) */
    struct io_pending_table appends;
    struct io_pending_table beats;
    /* a heartbeat sent to peers[i] not answered yet: when (0 none) */
    uint64_t probe_ns[METRICS_MAX_PEERS];
};

/* Wraps io (before raft_init) when m is not NULL. */
void ioMetricsWrap(struct io_metrics *w, struct raft_io *io,
                   struct metrics *m);
/* Frees the tables (after raft closed). */
void ioMetricsClear(struct io_metrics *w);

#endif /* ETCFS_RAFT_IO_METRICS_H */
