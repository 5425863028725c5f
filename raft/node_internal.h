/* The node's private state, shared by the files of raft/ only (node.c,
 * propose.c, publish.c, notice.c, fsm.c, read.c, membership.c). Loop
 * thread only. */
#ifndef ETCFS_NODE_INTERNAL_H
#define ETCFS_NODE_INTERNAL_H

#include <raft.h>
#include <raft/uv.h>

#include "../src/core/error.h"
#include "forward.h"
#include "io_metrics.h"
#include "snapshot.h"
#include "node.h"
#include "feed.h"
#include "transport.h"

struct store_snapshot;

struct node
{
    uv_loop_t *loop;
    struct store *store;
    struct node_config cfg;
    struct node_hooks hooks;
    struct forward *fwd;

    struct transport transport; /* raft_uv_tcp + TCP_NODELAY (transport.c) */
    struct raft_io io;
    struct io_metrics iom; /* the io's own series (io_metrics.c) */
    struct snapshot_lazy snapshots; /* stubs, full on demand (snapshot.c) */
    struct raft_fsm fsm;
    struct raft raft;
    bool raft_inited;
    bool started;

    uv_timer_t tick; /* leadership watch, publish, auto-promote, timeouts */
    uint64_t known_leader;
    unsigned start_election_ms; /* 0 once a leader was known */
    bool was_leader;
    uint64_t cluster_id; /* replicated "cluster_id" meta, else computed */

    /* Member records (publish.c). */
    uint64_t published_at; /* ms of the last publish attempt */
    bool published;
    struct forward_req publish_req;
    bool publish_inflight;
    char publish_body[1024];
    uint64_t meta_gen; /* bumped by every applied meta command or restore */
    uint64_t leader_urls_id; /* nodeLeaderClientUrls cache */
    uint64_t leader_urls_gen;
    char leader_urls[NODE_URL_SIZE];

    queue proposals; /* node_propose in flight, in index order (propose.c) */
    /* Group commit (propose.c): encoded commands waiting for the check
     * phase. */
    uv_check_t batch_check;
    struct raft_buffer *batch_bufs;
    unsigned batch_n;
    unsigned batch_cap;
    size_t batch_bytes;
    queue batch_reqs; /* node_propose of batch_bufs, same order */

    /* Linearizable reads (read.c). */
    queue reads_pending;  /* waiting for the next confirmation */
    queue reads_inflight; /* covered by the confirmation in flight */
    queue reads_waiting;  /* follower: confirmed, waiting for apply */
    bool confirm_inflight;
    struct raft_barrier barrier;
    struct forward_req ri_req;
    uint64_t confirm_started; /* ms */
    uint64_t read_ready_term; /* an entry of this term is applied here */
    uint64_t ping_barrier_until; /* ms: confirm with barriers until then */
    struct
    {
        uint64_t id;
        uint64_t until; /* ms */
    } ping_skip[8]; /* voters that failed a leader check recently */

    /* The leader's last contact with each member (node.c): raft's
     * recent_recv, sampled every tick. */
    struct
    {
        uint64_t id;
        uint64_t heard; /* ms */
    } contact[FEED_MAX_SERVERS];
    unsigned n_contact;

    /* Membership (membership.c). */
    queue changes; /* node_change in flight */
    bool promoting;
    struct node_change auto_change;

    /* Commit notice (notice.c): the heartbeat libraft would send next, sent
     * at once when the leader goes idle with a commit the followers have
     * not heard of. */
    uv_timer_t notice_timer;
    bool notice_armed;
    raft_index noticed_commit;
    uv_timer_t notice_again; /* repeats: NOTICE__FIRST_MS << 2k */
    unsigned notice_round;

    /* FSM snapshot in progress (fsm.c). */
    uint64_t stub_index; /* the snapshot being taken (fsm.c) */
    uint64_t stub_term;

    /* The mirrors below this member (feed.c), and, on a mirror, the
     * stream from above (mirror.c) in place of Raft. */
    struct feed *feed;
    struct mirror *mirror;
    struct raft_configuration mirror_conf; /* a mirror's, from its marker */

    /* Closing. */
    bool closing;
    bool close_fired;
    bool raft_closed;
    node_close_cb close_cb;
    void *close_data;
    int close_pending;
};

/* fsm.c */
void fsmInit(struct raft_fsm *fsm, struct node *n);
/* Applies one command (a member's log entry, or a mirror's feed frame):
 * decode, store, hooks, the feed below, waiting reads. *res: the result
 * (transferred) or NULL when nothing was applied (already in the store).
 * 0, or RAFT_IOERR / RAFT_NOMEM (nothing written: try again). */
int fsmApplyEntry(struct node *n, uint64_t index, uint64_t term,
                  const void *buf, size_t len, struct command_result **res);

/* read.c */
void readOnApplied(struct node *n);
void readOnLeadership(struct node *n);
void readCancelAll(struct node *n, int status);
void readTick(struct node *n, uint64_t now_ms);

/* membership.c */
void membershipTick(struct node *n);
void membershipCancelAll(struct node *n);
int membershipToEtcfs(int raft_rv);

/* node.c */
uint64_t nodeNowMs(struct node *n);
/* The leader as this node knows it (Raft's, or a mirror's upstream's):
 * id 0 when none; address its peer "host:port" or NULL. */
void nodeLeader(struct node *n, uint64_t *id, const char **address);
/* The cluster's configuration (a mirror: as its upstream sent it). */
const struct raft_configuration *nodeConfiguration(struct node *n);
/* Every entry up to this index is applied here. */
uint64_t nodeAppliedThrough(struct node *n);

/* node_status.c: the leader notes which members it heard from (every
 * tick; a follower clears the table). */
void nodeContactTick(struct node *n, bool is_leader);
/* One of the parts nodeClose waits for has closed. */
void nodeClosePartDone(struct node *n);
/* The cluster's commit index as this member knows it (a mirror: its
 * upstream's last marker). */
uint64_t nodeClusterCommit(struct node *n);

#endif /* ETCFS_NODE_INTERNAL_H */
