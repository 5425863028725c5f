/* Inside the mount: shared state of the FUSE handlers (fs.c), the loop-side
 * operations they call through the bridge (ops.c), the inode table
 * (inode.c) and the replay thread (replay.c).
 *
 * Threads: FUSE workers run the handlers; they read the store directly
 * (thread-safe) and reach the loop only through mountOp* (bridge.c). The
 * replay thread repeats remote changes as syscalls on the mount so the
 * kernel raises inotify events (shared/notes/inotify.md); handlers
 * recognise it by the caller's tid. `mu` guards the inode table and the
 * overlays; nobody holds it across a syscall or a bridge call. */
#ifndef ETCFS_MOUNT_INTERNAL_H
#define ETCFS_MOUNT_INTERNAL_H

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../src/lib/queue.h"
#include "bridge.h"
#include "mount.h"

#define MOUNT_REL_MAX 4096 /* longest relative path (kernel PATH_MAX) */

/* One inode: a file (key prefix+rel) or a directory (prefix+rel+"/..."). */
struct inode
{
    uint64_t ino;
    char *rel; /* key suffix after the prefix, NUL-terminated copy */
    size_t rel_len;
    bool dir;
    uint64_t nlookup;
    int64_t cached_rev; /* revision whose data the page cache holds */
    bool unnamed; /* replaced by a rename: out of the by_rel index */
    struct inode *next_ino;
    struct inode *next_rel;
};

struct inode_table
{
    struct inode **by_ino;
    struct inode **by_rel;
    size_t nbuckets;
    size_t n;
};

/* Overlay entries: remote changes waiting for their replay. A hidden name
 * is not visible yet (a remote create); a ghost is still visible (a remote
 * delete) with the attributes it had. */
struct overlay
{
    char *rel;
    size_t rel_len;
    bool dir;
    bool ghost;
    struct stat st; /* ghosts */
    struct overlay *next;
};

/* A file being created locally and not yet flushed: visible to lookups on
 * this mount until its first commit. */
struct pending_create
{
    char *rel;
    size_t rel_len;
    uint64_t ino;
    struct store_attr attr;
    bool mtime_set;
    struct pending_create *next;
};

struct replay_item;

struct mount
{
    struct mount_deps deps;
    char dir[4096];
    char prefix[1024];
    size_t prefix_len;
    bool linearizable;
    uint64_t origin; /* tags this mount's proposals (command.origin) */
    size_t max_value;
    unsigned max_txn_ops;
    struct fuse_session *se;
    pthread_t fuse_thread;
    bool fuse_thread_started;
    unsigned conn_id; /* /sys/fs/fuse/connections/<id> */
    struct bridge *bridge;
    uv_timer_t timer;
    queue inflight; /* loop: ops started, for timeouts */
    uv_work_t close_work;
    mount_close_cb close_cb;
    void *close_data;
    bool closing;
    int64_t start_ns;
    /* leadership view for FUSE threads (refreshed by the loop) */
    _Atomic bool has_leader;
    /* guarded by mu */
    pthread_mutex_t mu;
    struct inode_table inodes;
    struct overlay **overlays; /* hash buckets by (rel, dir) */
    size_t overlay_buckets;
    size_t overlay_count;
    struct pending_create *creates;
    /* replay thread */
    pthread_t replay_thread;
    bool replay_started;
    _Atomic pid_t replay_tid;
    pthread_mutex_t rq_mu;
    pthread_cond_t rq_cond;
    struct replay_item *rq_head;
    struct replay_item *rq_tail;
    bool rq_stop;
};

/* ---- inode.c (callers hold mu) ---- */
int inodeTableInit(struct inode_table *t);
void inodeTableClose(struct inode_table *t);
/* Finds or adds the inode for (rel, dir) and takes one lookup reference
 * when 'ref'. NULL on out of memory. */
struct inode *inodeGet(struct inode_table *t, const char *rel, size_t len,
                       bool dir, bool ref);
struct inode *inodeFind(struct inode_table *t, uint64_t ino);
struct inode *inodeFindRel(struct inode_table *t, const char *rel, size_t len,
                           bool dir);
/* A rename done: the kernel moved its dentry, so the inode (and, for a
 * directory, every inode under it) now answers to the new path. */
void inodeRename(struct inode_table *t, const char *from, size_t flen,
                 const char *to, size_t tlen, bool dir);
void inodeForget(struct inode_table *t, uint64_t ino, uint64_t n);

/* ---- ops.c: loop-side work for FUSE threads (block the caller) ---- */
struct mount_result
{
    int64_t revision;
    bool succeeded; /* txn */
    int64_t lease_id;
    int64_t ttl;     /* remaining */
    int64_t granted; /* granted TTL */
};
/* Proposes cmd (borrowed for the call) through the leader and waits until
 * it is applied locally. Returns 0, a request-level ETCFS_* code, or a
 * transport error (ETCFS_NOLEADER, ETCFS_TIMEOUT, ...). */
int mountOpPropose(struct mount *m, struct command *cmd,
                   struct mount_result *res);
/* Linearizable read gate (no-op in local mode). */
int mountOpReadGate(struct mount *m);
int mountOpLeaseGrant(struct mount *m, int64_t ttl, struct mount_result *res);
int mountOpLeaseTtl(struct mount *m, int64_t id, struct mount_result *res);
void mountOpsTimerCb(uv_timer_t *t);

/* ---- fs.c ---- */
extern const struct fuse_lowlevel_ops mountFsOps;
/* Key bytes for rel (+ "/" when dir) into out; returns length or -1. */
int mountKey(const struct mount *m, const char *rel, size_t rel_len, bool dir,
             char *out, size_t size);
/* Keys only, in [key, key with its last byte + 1): every key under a
 * directory prefix. limit 0 = all, revision 0 = current. 0 or ETCFS_*. */
int mountPrefixRange(struct mount *m, const char *key, size_t key_len,
                     int64_t limit, int64_t revision,
                     struct store_range_resp *resp);
/* Fills st for a key's current state (file) or a directory. */
void mountStatFile(const struct mount *m, uint64_t ino,
                   const struct store_kv *kv, struct stat *st);
void mountStatDir(const struct mount *m, uint64_t ino,
                  const struct store_kv *marker, struct stat *st);
bool mountIsReplay(struct mount *m, fuse_req_t req);

/* ---- replay.c ---- */
int replayStart(struct mount *m, char *errmsg);
void replayStop(struct mount *m); /* joins; any thread but the loop's */
/* Loop thread: queue the replay of one applied command's events. */
void replayEnqueue(struct mount *m, const struct command *cmd,
                   const struct store_events *events, int64_t revision);
/* Overlay checks for handlers (take mu themselves). */
bool overlayHidden(struct mount *m, const char *rel, size_t len, bool dir);
bool overlayGhost(struct mount *m, const char *rel, size_t len, bool dir,
                  struct stat *st);
/* Handler of a replayed syscall: drop the overlay entry (returns whether
 * there was one). */
bool overlayTake(struct mount *m, const char *rel, size_t len, bool dir,
                 bool ghost);

#endif /* ETCFS_MOUNT_INTERNAL_H */
