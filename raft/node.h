/* One Raft member: canonical/raft on raft_uv storage and raft_uv_tcp
 * transport, the FSM over the store, proposals, linearizable read gating and
 * membership changes. Loop thread only: every function here must be called
 * on the loop that nodeInit was given, and every callback runs there.
 *
 * Requests are caller-owned structs (STYLE.md 4): they must stay alive until
 * their callback fires, which happens exactly once when the starting call
 * returned 0 (ETCFS_CANCELED when the node closes first), and never when it
 * returned an error. */
#ifndef ETCFS_NODE_H
#define ETCFS_NODE_H

#include <stdbool.h>
#include <raft.h>
#include <stdint.h>
#include <uv.h>

#include "../src/lib/queue.h"
#include "../src/store/store.h"
#include "command.h"

struct node;
struct forward;
struct tls_ctx;
struct stream;

#define NODE_URL_SIZE 300
#define NODE_NAME_SIZE 64

struct node_peer
{
    uint64_t id;
    char address[NODE_URL_SIZE]; /* "host:port" for raft_uv_tcp */
};

struct metrics;

struct node_config
{
    uint64_t id;                       /* this member */
    uint64_t cluster_id;
    char name[NODE_NAME_SIZE];
    char dir[4096];                    /* raft's own directory (created) */
    char address[NODE_URL_SIZE];       /* advertised peer "host:port" */
    char bind_address[NODE_URL_SIZE];  /* listen peer "host:port" */
    char peer_url[NODE_URL_SIZE];      /* advertised "http://host:port" */
    char client_urls[NODE_URL_SIZE];   /* advertised, comma-separated */
    char token[256];                   /* --initial-cluster-token */
    const struct node_peer *initial;   /* borrowed during nodeInit */
    unsigned n_initial;                /* 0 with join: empty config */
    bool join;                         /* --initial-cluster-state existing */
    unsigned max_learners;             /* --max-learners */
    bool force_new_cluster;            /* raft_recover to this member alone */
    /* --mirror-of: upstream peer "host:port"s; 0: a Raft member */
    char mirror_of[8][NODE_URL_SIZE];
    unsigned n_mirror_of;
    size_t feed_bytes;                 /* the feed's ring (feed.h) */
    unsigned heartbeat_ms;
    unsigned election_ms;
    uint64_t snapshot_count;           /* applied entries between snapshots */
    unsigned down_after_ms;            /* --member-down-after (0: never) */
    struct metrics *metrics;           /* borrowed; NULL: none kept */
};

/* Hooks the daemon wires to the lease table, the watch hub and the mount.
 * All run on the loop thread, after the store batch of the entry was
 * written. Pointers are borrowed for the duration of the call. */
struct node_hooks
{
    void *data;
    /* A command was applied (on every member, leader or not). cmd may be
     * NULL after a snapshot restore (state replaced: reload everything). */
    void (*applied)(void *data, const struct command *cmd,
                    const struct command_result *res,
                    const struct store_events *events);
    /* Leadership changed: this node became leader (true) or stopped being
     * it (false). */
    void (*leadership)(void *data, bool leader);
};

#define NODE_MAX_DOWN 16

struct node_status
{
    uint64_t id;
    uint64_t cluster_id;
    uint64_t leader;        /* 0 = none known */
    uint64_t term;
    uint64_t commit_index;
    uint64_t applied_index;
    uint64_t last_index;    /* last log index (etcd's raftIndex) */
    bool is_learner;
    int state;              /* RAFT_FOLLOWER/CANDIDATE/LEADER/UNAVAILABLE */
    bool is_mirror;         /* --mirror-of: no vote, no membership */
    char upstream[NODE_URL_SIZE]; /* a mirror's upstream, "" if none */
    uint64_t cluster_commit; /* a mirror: the cluster's commit index as
                                its upstream last told it */
    uint64_t connects_backed_off; /* peer connects refused by back-off */
    /* The leader: members it has not heard from for down_after_ms. */
    unsigned n_down;
    struct node_down
    {
        uint64_t id;
        bool is_learner;
        uint64_t ms; /* since it was last heard from */
    } down[NODE_MAX_DOWN];
};

struct node_member
{
    uint64_t id;
    char name[NODE_NAME_SIZE];   /* "" until the member published it */
    char peer_url[NODE_URL_SIZE];
    char client_urls[NODE_URL_SIZE]; /* comma-separated, "" if unknown */
    bool is_learner;
};

/* Allocates and initializes the node: raft_uv_tcp, raft_uv, FSM, raft_init,
 * bootstrap on a new data dir (not with join). store and hooks are borrowed
 * until nodeClose's callback. Returns 0 or an ETCFS_* code with errmsg. */
int nodeInit(struct node **out, uv_loop_t *loop, struct store *store,
             const struct node_config *cfg, const struct node_hooks *hooks,
             char *errmsg);
/* Starts raft (loads log + snapshot, starts timers and the listener). */
int nodeStart(struct node *n, char *errmsg);
/* Wires the forwarder used to reach the leader from a follower (borrowed
 * until close). */
void nodeSetForward(struct node *n, struct forward *fwd);
/* Peer TLS for Raft connections (contexts borrowed until close, NULL for
 * plain text; allowed_cn "" for any member certificate). Before nodeStart. */
void nodeSetPeerTls(struct node *n, struct tls_ctx *server,
                    struct tls_ctx *client, const char *allowed_cn);
/* Where members' HTTP requests on the peer port go: fn(data, stream,
 * initial bytes, len); NULL refuses them (set it so before closing what
 * serves them). */
void nodeSetPeerHttp(struct node *n,
                     void (*fn)(void *data, struct stream *s,
                                const char *initial, size_t len),
                     void *data);

typedef void (*node_close_cb)(struct node *n, void *data);
/* Cancels pending requests (ETCFS_CANCELED), closes raft and its I/O, then
 * calls cb. The memory stays allocated: call nodeDestroy() after uv_run()
 * returned (libraft 0.15 may still touch it from late close callbacks). */
void nodeClose(struct node *n, node_close_cb cb, void *data);
/* Frees a closed node; the loop must have drained. */
void nodeDestroy(struct node *n);

bool nodeIsLeader(struct node *n);
/* True when this member is a follower in 'term' that follows 'leader': the
 * leader's read confirmation (read.c) counts it. */
bool nodeLeaderCheck(struct node *n, uint64_t term, uint64_t leader);
bool nodeHasLeader(struct node *n);
/* The applied log for mirrors below this node (feed.h); NULL once closing. */
struct feed *nodeFeed(struct node *n);
uint64_t nodeId(struct node *n);
uint64_t nodeClusterId(struct node *n);
uint64_t nodeTerm(struct node *n);
void nodeStatus(struct node *n, struct node_status *st);
/* The errors a status answer lists (etcd's StatusResponse.errors): "no
 * leader", and on the leader each member not heard from for
 * --member-down-after. Fills errs (each NODE_ERROR_SIZE bytes), returns
 * how many. */
#define NODE_ERROR_SIZE 128
unsigned nodeStatusErrors(const struct node_status *st,
                          char (*errs)[NODE_ERROR_SIZE], unsigned max);
/* Client URLs of the current leader (comma-separated) into buf; returns 0
 * or ETCFS_NOLEADER when there is no leader or its URLs are unknown. */
int nodeLeaderClientUrls(struct node *n, char *buf, size_t size);
/* The current leader's peer address ("host:port", where members' requests
 * go); 0 or ETCFS_NOLEADER. */
int nodeLeaderPeerAddress(struct node *n, char *buf, size_t size);

/* ---- Proposals (leader only). ---- */
struct node_propose;
/* result is transferred to the callback (free with commandResultFree), NULL
 * when status != 0. status: 0, ETCFS_LEADER_CHANGED, ETCFS_NOLEADER,
 * ETCFS_CANCELED, ETCFS_IO. A request-level error (lease not found...) is
 * status 0 with result->status set. */
typedef void (*node_propose_cb)(struct node_propose *req, int status,
                                struct command_result *result);
struct node_propose
{
    void *data;
    node_propose_cb cb;
    /* private */
    struct raft_apply apply;
    struct node *node;
    queue link;
    uint64_t index;
    uint64_t term;
};
/* Encodes cmd (borrowed for the call only) and appends it to the log.
 * Returns 0 (cb will fire), ETCFS_NOTLEADER on a follower (forward the
 * request instead), ETCFS_NOMEM, ETCFS_INVALID. */
int nodePropose(struct node *n, struct node_propose *req,
                const struct command *cmd);

/* ---- Linearizable reads (any member). ---- */
struct node_read;
typedef void (*node_read_cb)(struct node_read *req, int status);
struct node_read
{
    void *data;
    node_read_cb cb;
    /* private */
    queue link;
    uint64_t index;
};
/* cb(0) once the local store has applied everything committed before the
 * call, with leadership confirmed by a quorum (concurrent reads share one
 * confirmation). Then read the store locally. Errors: ETCFS_NOLEADER,
 * ETCFS_TIMEOUT, ETCFS_CANCELED. */
int nodeRead(struct node *n, struct node_read *req);
/* cb(0) once the local store has applied Raft index 'index', which must be
 * above storeAppliedIndex() (check first: the callback never fires from
 * inside this call). Errors as nodeRead. */
int nodeWaitApplied(struct node *n, struct node_read *req, uint64_t index);
/* The leader answers a follower's read-index request (POST
 * /etcfs/v1/readindex, served by the API) by a nodeRead and then its
 * storeAppliedIndex(); the follower waits until it applied that index. */

/* ---- Membership (leader only; ETCFS_NOTLEADER on a follower). ---- */
struct node_change;
typedef void (*node_change_cb)(struct node_change *req, int status);
struct node_change
{
    void *data;
    node_change_cb cb;
    uint64_t id; /* out for add: the new member's id */
    /* private */
    struct raft_change change;
    struct raft_transfer transfer;
    struct raft_barrier barrier; /* a transfer to the leader itself */
    struct node *node;
    queue link;
    int step;
    bool learner;
    bool updating;                /* member update: remove, then re-add */
    char address[NODE_URL_SIZE];  /* member update: the new address */
};
/* members: malloc'd array the caller frees. */
int nodeMembers(struct node *n, struct node_member **members, size_t *count);
int nodeMemberAdd(struct node *n, struct node_change *req,
                  const char *peer_url, bool learner);
int nodeMemberRemove(struct node *n, struct node_change *req, uint64_t id);
int nodeMemberPromote(struct node *n, struct node_change *req, uint64_t id);
int nodeMemberUpdate(struct node *n, struct node_change *req, uint64_t id,
                     const char *peer_url);
/* Leadership transfer (id 0: pick one). ETCFS_BAD_TRANSFEREE for an id
 * that is not a voter; to the leader itself, done once a barrier commits. */
int nodeTransfer(struct node *n, struct node_change *req, uint64_t id);

/* Publishes this member's name and client URLs once a leader exists (the
 * daemon calls it; a follower forwards it). */
void nodePublishSelf(struct node *n);

/* Derived ids (etcd-like): member id from the advertised peer URL and the
 * cluster token; cluster id from the initial members' ids (borrowed; the
 * first 64), as etcd's. Never 0. Pure. */
uint64_t nodeMemberIdFor(const char *peer_url, const char *token);
uint64_t nodeClusterIdFor(const uint64_t *member_ids, unsigned n);

#endif /* ETCFS_NODE_H */
