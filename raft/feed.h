/* The feed: this member's applied log, for mirrors (etcfsd --mirror-of).
 *
 * A mirror is a replica without a Raft vote or membership: it applies the
 * cluster's commands itself, in log order, with the same FSM
 * (fsmApplyEntry), so its store has the same revisions, versions, leases,
 * compactions and users as the members', by construction. Every member and
 * every mirror keeps the commands it applied last in a ring (bounded in
 * bytes and entries) and serves them on its peer port (POST
 * /etcfs/v1/mirror {"from": INDEX}) as one stream of frames:
 *
 *   frame   = type(1) len(4) payload(len)            (integers big-endian)
 *   'E'     = index(8) term(8) command bytes          an applied command
 *   'M'     = through(8) term(8) leader(8) cluster(8) addr_len(2) addr
 *             n(4) { id(8) role(1) alen(2) address }  where the log stands
 *             commit(8)                              (the cluster's commit
 *                                                     index, as known here)
 *   'S'     = index(8) size(8)                        a store snapshot of
 *   'D'     = bytes                                   size bytes follows
 *
 * 'M' says that every command up to 'through' was sent before it (the
 * entries in between were Raft's own: barriers, configuration changes),
 * names the leader (its peer "host:port") and carries the configuration,
 * so a mirror serves linearizable reads (ReadIndex from that leader, then
 * wait until through >= index) and lists members as a member does. It
 * goes out at the end of a loop iteration that changed it, and every
 * FEED_HEARTBEAT_MS (a mirror that hears nothing for
 * FEED_SILENCE_MS moves to its next upstream). A subscriber whose 'from'
 * the ring no longer holds first gets a snapshot (storeSnapshotEncode on the
 * libuv pool) and then the entries after it.
 *
 * Loop thread only (the encoding runs on the pool). */
#ifndef ETCFS_FEED_H
#define ETCFS_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../src/lib/buf.h"
#include "../src/lib/queue.h"
#include "../src/store/store.h"

#define FEED_HEARTBEAT_MS 500
#define FEED_SILENCE_MS 3000
#define FEED_FRAME_HEAD 5
#define FEED_MAX_SERVERS 64

struct feed;

/* Where the log stands, as the owner (the node) tells it. */
struct feed_server
{
    uint64_t id;
    uint8_t role; /* RAFT_VOTER, RAFT_STANDBY, RAFT_SPARE */
    char address[300];
};
struct feed_marker
{
    uint64_t through; /* every command <= through was applied */
    uint64_t commit;  /* the cluster's commit index as the sender knows it
                         (a mirror's lag: commit - through) */
    uint64_t term;
    uint64_t leader;
    uint64_t cluster_id;
    char leader_address[300]; /* "host:port", "" when unknown */
    unsigned n_servers;
    struct feed_server servers[FEED_MAX_SERVERS];
};
typedef void (*feed_marker_fn)(void *data, struct feed_marker *m);

/* One downstream stream. send: bytes (transferred) to the client; returns
 * 0 or an error (the client is gone: its owner will unsubscribe). queued:
 * bytes not yet written to it. end: the feed gave up on this subscriber
 * (it fell behind the ring, or the feed closes); its owner ends the
 * stream (and must not unsubscribe any more). */
struct feed_sub;
struct feed_sub
{
    void *data;
    int (*send)(struct feed_sub *s, char *bytes, size_t len);
    size_t (*queued)(struct feed_sub *s);
    void (*end)(struct feed_sub *s, int status);
    /* private */
    struct feed *f;
    queue link;
    int state;
    uint64_t next; /* the next index it needs */
    struct feed_marker sent; /* the last marker it got */
    struct buf out; /* live frames of this loop iteration, sent at its end */
    /* snapshot being made (on the pool) or sent */
    struct feed_snapjob *job;
    char *snap_buf;
    size_t snap_len;
    size_t snap_off;
    uint64_t snap_index;
};

/* max_bytes: bytes of commands the ring keeps (oldest dropped first). */
int feedInit(struct feed **out, uv_loop_t *loop, struct store *store,
             size_t max_bytes, feed_marker_fn marker, void *marker_data,
             char *errmsg);
/* Ends every subscriber (end called), then frees the feed once the pool
 * gave back what it holds: cb(data) then. */
void feedClose(struct feed *f, void (*cb)(void *data), void *data);

/* A command was applied at index (bytes borrowed: copied). */
void feedAppend(struct feed *f, uint64_t index, uint64_t term,
                const void *bytes, size_t len);
/* The marker may have changed (leader, term, configuration): send it at
 * the end of this loop iteration. */
void feedTouch(struct feed *f);

/* Starts streaming to s everything after 'from'. 0 or ETCFS_NOMEM. */
int feedSubscribe(struct feed *f, struct feed_sub *s, uint64_t from);
/* The client went away: forget s (its end is not called). */
void feedUnsubscribe(struct feed_sub *s);
unsigned feedSubscribers(const struct feed *f);
/* Calls fn for each subscriber (fn must not subscribe or unsubscribe). */
void feedEach(struct feed *f, void (*fn)(void *data, struct feed_sub *s),
              void *data);

/* ---- frames (both ends) ---- */

/* Encodes m as an 'M' frame into a new buffer (*out, *len). 0 or -1. */
int feedMarkerEncode(const struct feed_marker *m, char **out, size_t *len);
/* Decodes an 'M' payload. 0 or -1 (malformed). */
int feedMarkerDecode(const char *p, size_t len, struct feed_marker *m);

#endif /* ETCFS_FEED_H */
