/* Raft snapshots as etcfs takes them. The store already keeps its applied
 * index durably with its data (LevelDB, synced when a snapshot is taken),
 * so the snapshot libraft writes to disk every --snapshot-count entries is
 * a stub: "ETCFSSTB", the index and the term, 24 bytes. Taking one costs a
 * sync of LevelDB's log, not an encoding of the whole store (which, with
 * three members applying the same entries, landed on every member at
 * once and took a fifth of the put rate on a 2-core machine).
 *
 * The full store is encoded only when a follower needs it: snapshot_get
 * (libraft asks it to send InstallSnapshot) is wrapped, and a stub coming
 * back is replaced by the encoding of the store as it is now, made on the
 * pool. That state is at or past the stub's index; the follower restores
 * it, raft resumes from the stub's index, and the FSM skips the entries
 * the restored store already holds (as after any restart).
 *
 * Loop thread, except the encoding (the libuv pool). */
#ifndef ETCFS_RAFT_SNAPSHOT_H
#define ETCFS_RAFT_SNAPSHOT_H

#include <raft.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io_metrics.h"

#define SNAPSHOT_STUB_SIZE 24

struct node;

/* The stub of (index, term) into buf (SNAPSHOT_STUB_SIZE bytes). */
void snapshotStubEncode(void *buf, uint64_t index, uint64_t term);
/* Whether buf[0..len) is a stub, and its index. */
bool snapshotStubDecode(const void *buf, size_t len, uint64_t *index);

struct snapshot_lazy
{
    struct node *n;
    int (*get)(struct raft_io *io, struct raft_io_snapshot_get *req,
               raft_io_snapshot_get_cb cb);
    struct io_pending_table pending; /* raft_uv reading the file */
    unsigned encoding; /* full encodings on the pool */
};

/* Wraps n's io snapshot_get (before raft_start). */
void snapshotLazyWrap(struct snapshot_lazy *l, struct node *n);
/* Frees what the wrapper holds, once raft has closed (nodeClose waits
 * for every encoding still on the pool: it counts them in). */
void snapshotLazyClear(struct snapshot_lazy *l);

#endif /* ETCFS_RAFT_SNAPSHOT_H */
