/* Inside the mount: the state shared by the FUSE handlers, the loop-side
 * operations they call through the bridge (ops.c), the inode table
 * (inode.c), the apply hook (applied.c, events.c), the notifier (notify.c)
 * and the replay worker (replay.c).
 *
 * What every process sees is the store: a handler answers from the store
 * as applied on this member (behind the linearizable gate where the mode
 * asks for it), never from a queue of changes still to surface. Remote
 * changes reach inotify watchers through the replay worker, which repeats
 * them as syscalls on the mount; only its own requests (recognised by tid)
 * get the replay view of the one change it is repeating (replay.c).
 *
 * Threads: FUSE workers run the handlers; they read the store directly
 * (thread-safe) and reach the loop only through mountOp* (bridge.c). The
 * loop thread updates the inode table as changes apply (applied.c) and
 * queues kernel cache invalidations for the notifier thread and changes
 * for the replay worker. `mu` guards the inode table, the open handles'
 * links and the replay view; nobody holds it across a syscall, a bridge
 * call or a fuse_lowlevel_notify_* call. */
#ifndef ETCFS_MOUNT_INTERNAL_H
#define ETCFS_MOUNT_INTERNAL_H

#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "../src/lib/queue.h"
#include "../src/server/authn.h"
#include "bridge.h"
#include "mount.h"

#define MOUNT_REL_MAX 4096 /* longest relative path (kernel PATH_MAX) */
#define MOUNT_KEY_MAX (MOUNT_REL_MAX + 1200) /* prefix + rel + '/' */
#define MOUNT_GATE_NOTES 64
#define MOUNT_REPLAY_DIRS 16
/* How long after a lookup passed the read gate the same thread's open or
 * opendir of that inode may skip its own: one open() syscall's LOOKUP
 * and OPEN are microseconds apart. */
#define MOUNT_GATE_SHARE_NS 5000000
#define MOUNT_DEFAULT_FILE_MODE (S_IFREG | 0644)
#define MOUNT_DEFAULT_DIR_MODE (S_IFDIR | 0755)

struct fs_handle;

/* One inode: a file (key prefix+rel) or a directory (prefix+rel+"/..."). */
struct inode
{
    uint64_t ino;
    char *rel; /* key suffix after the prefix, NUL-terminated copy */
    size_t rel_len;
    bool dir;
    uint64_t nlookup; /* the kernel's lookup references */
    int64_t cached_rev; /* revision whose data the page cache holds */
    /* Deleted, or replaced by a rename: out of the by_rel index, answering
     * only to its number (open descriptors, the replay's view of a deleted
     * name) until the kernel forgets it. */
    bool orphan;
    bool replaced; /* orphaned by a rename onto its name: an open racing
                    * the rename reads the name's new value */
    struct stat orphan_st; /* its last attributes, for the replay's view */
    /* Looked up by a process other than the replay worker: something may
     * cache or watch it. Entries the replay creates are answered with
     * timeout 0, so any other process's path walk comes back to lookup. */
    bool seen;
    /* Created here, not committed yet (until the first commit or the last
     * release): visible to this mount with pending_attr. */
    bool pending;
    struct store_attr pending_attr;
    uint64_t attr_gen; /* bumped by a setattr kept in memory (pending) */
    /* Directories: st_mtime/st_ctime of the last entry created, removed or
     * renamed in it as applied on this member (0: none since the mount). */
    int64_t dir_time_ns;
    struct fs_handle *handles; /* open handles of this file */
    struct inode *next_ino;
    struct inode *next_rel;
};

struct inode_table
{
    struct inode **by_ino;
    struct inode **by_rel;
    size_t nbuckets;
    size_t n;
    size_t npending; /* inodes with pending set */
};

/* One open file: the whole value, edited in memory, committed as one put
 * (handle.c has the rules). */
struct fs_handle
{
    uint64_t ino;
    char *buf;
    size_t len;
    size_t cap;
    bool writable;
    bool dirty;   /* differs from the stored value it started from */
    bool data;    /* written or resized since open or the last commit */
    bool failed;  /* a write was refused (EFBIG): the handle never commits */
    bool mtime_set; /* an explicit mtime (utimensat) since the last write */
    bool append;
    bool replay;
    bool exists;  /* the key existed when the buffer was taken */
    int64_t base_rev; /* mod_revision the buffer was taken at (0: new) */
    atomic_int readers; /* fsRead replies in progress */
    int64_t lease;
    struct store_attr attr;
    struct fs_handle *next; /* inode.handles */
};

struct replay_item;
struct dir_memo;
struct dircache_entry;

/* dircache.c: which directories exist, remembered between changes. */
struct dircache
{
    pthread_mutex_t mu;
    struct dircache_entry **buckets;
    size_t n;
    uint64_t gen; /* bumped by every applied create or delete */
    struct metrics *metrics; /* hits and misses, or NULL */
};
struct notify_item;

struct mount
{
    struct mount_deps deps;
    char dir[4096];
    char prefix[1024];
    size_t prefix_len;
    bool linearizable;
    double cache_timeout; /* entry/attr timeout of ordinary replies */
    uint64_t origin; /* tags this mount's proposals (command.origin) */
    /* --mount-user: who the mount acts as (len 0: root); set at start */
    struct authn_user who;
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
    /* one syscall's lookup and open share a read gate (ops.c) */
    pthread_mutex_t gate_mu;
    struct mount_gate_note
    {
        pid_t tid;
        uint64_t ino;
        int64_t at_ns;
    } gate_notes[MOUNT_GATE_NOTES];
    /* leadership view for FUSE threads (refreshed by the loop) */
    _Atomic bool has_leader;
    struct dircache dirs;
    /* guarded by mu */
    pthread_mutex_t mu;
    struct inode_table inodes;
    const struct replay_item *view; /* the change the replay is repeating */
    /* notifier thread */
    pthread_t notify_thread;
    bool notify_started;
    pthread_mutex_t nq_mu;
    pthread_cond_t nq_cond;
    struct notify_item *nq_head;
    struct notify_item *nq_tail;
    size_t nq_len;
    bool nq_stop;
    /* replay worker */
    pthread_t replay_thread;
    bool replay_started;
    _Atomic pid_t replay_tid;
    pthread_mutex_t rq_mu;
    pthread_cond_t rq_cond;
    struct replay_item *rq_head;
    struct replay_item *rq_tail;
    struct replay_item **rq_names; /* pending items by name (coalescing) */
    size_t rq_nbuckets;
    size_t rq_len;
    bool rq_busy; /* the worker is repeating an item */
    bool rq_stop;
    /* replay worker only: O_PATH descriptors of recently used parent
     * directories, so a repeated change walks one name, not its path */
    struct replay_dir
    {
        char *rel; /* owned; NULL: a free slot */
        size_t len;
        int fd;
        ino_t ino;
        uint64_t used;
    } rdirs[MOUNT_REPLAY_DIRS];
    uint64_t rdirs_clock;
};

/* ---- inode.c (callers hold mu) ---- */
int inodeTableInit(struct inode_table *t);
void inodeTableClose(struct inode_table *t);
/* Finds or adds the inode for (rel, dir) and takes one lookup reference
 * when 'ref'. NULL on out of memory. */
struct inode *inodeGet(struct inode_table *t, const char *rel, size_t len,
                       bool dir, bool ref);
/* A new orphan inode (in by_ino only) with one lookup reference. */
struct inode *inodeNewOrphan(struct inode_table *t, const char *rel,
                             size_t len, bool dir, const struct stat *st);
struct inode *inodeFind(struct inode_table *t, uint64_t ino);
struct inode *inodeFindRel(struct inode_table *t, const char *rel, size_t len,
                           bool dir);
void inodeSetPending(struct inode_table *t, struct inode *e, bool pending);
/* The directory holding rel had an entry created, removed or renamed at
 * now_ns: its mtime and ctime show it. Returns that directory's inode, or
 * NULL when the table does not hold it. */
struct inode *inodeParentTouched(struct inode_table *t, const char *rel,
                                 size_t len, int64_t now_ns);
/* The orphan a deletion made of (rel, dir), while the kernel holds it (a
 * watch, an open descriptor), or NULL. */
struct inode *inodeFindOrphan(struct inode_table *t, const char *rel,
                              size_t len, bool dir);
/* Takes e out of the by_rel index (deleted or replaced). */
void inodeOrphan(struct inode_table *t, struct inode *e);
/* A rename applied: the inode at 'from' (and, for a directory, every inode
 * under it) answers to 'to'; an inode at 'to' is orphaned. */
void inodeRename(struct inode_table *t, const char *from, size_t flen,
                 const char *to, size_t tlen, bool dir);
void inodeForget(struct inode_table *t, uint64_t ino, uint64_t n);
/* Whether the kernel may hold a dentry or a watch under directory rel: the
 * root, or a directory inode some process other than the replay looked up. */
bool inodeDirSeen(struct inode_table *t, const char *rel, size_t len);
/* Every inode: cached data is stale (a snapshot restore). */
void inodeDropCaches(struct inode_table *t);

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
/* A lookup by req's thread passed the gate and answered inode ino. */
void mountGateNote(struct mount *m, fuse_req_t req, uint64_t ino);
/* The gate for an open or opendir of ino: none when the same thread's
 * lookup of ino passed one just before (the same syscall's path walk),
 * else mountOpReadGate. */
int mountOpReadGateFor(struct mount *m, fuse_req_t req, uint64_t ino);
int mountOpLeaseGrant(struct mount *m, int64_t ttl, struct mount_result *res);
int mountOpLeaseTtl(struct mount *m, int64_t id, struct mount_result *res);
void mountOpsTimerCb(uv_timer_t *t);

/* ---- resolve.c: keys, store reads, stat, names (any FUSE thread) ---- */
int64_t mountNowNs(void);
/* A NUL-terminated copy of the len bytes at p (borrowed; a key or value
 * may hold any byte): transferred, the caller frees it. NULL when out of
 * memory. Any thread. */
char *mountMemDup(const char *p, size_t len);
struct mount *fsMount(fuse_req_t req);
bool mountIsReplay(struct mount *m, fuse_req_t req);
/* Key bytes for rel (+ "/" when dir) into out; returns length or -1. */
int mountKey(const struct mount *m, const char *rel, size_t rel_len, bool dir,
             char *out, size_t size);
/* The smallest key above every key starting with p (0: no end). */
size_t mountPrefixEnd(const char *p, size_t len, char *out);
/* Keys only, in [key, key with its last byte + 1): every key under a
 * directory prefix. limit 0 = all, revision 0 = current. 0 or ETCFS_*. */
int mountPrefixRange(struct mount *m, const char *key, size_t key_len,
                     int64_t limit, int64_t revision,
                     struct store_range_resp *resp);
/* The key's current state; 1 found, 0 not, <0 -errno. */
int mountGetKv(struct mount *m, const char *key, size_t len, bool values,
               struct store_kv *kv);
bool mountDirExists(struct mount *m, const char *rel, size_t len);
/* What lies under a directory whose marker key is key (rel + "/"): no key,
 * only the marker (an empty directory), or entries. 0 or ETCFS_*. */
enum { MOUNT_DIR_NOTHING = 0, MOUNT_DIR_MARKER, MOUNT_DIR_ENTRIES };
int mountDirUnder(struct mount *m, const char *key, size_t len, int *under);
/* Fills st for a key's current state (file) or a directory. */
void mountStatFile(const struct mount *m, uint64_t ino,
                   const struct store_kv *kv, struct stat *st);
void mountStatDir(const struct mount *m, uint64_t ino,
                  const struct store_kv *marker, struct stat *st);
void mountStatTimes(struct stat *st, const struct store_attr *a,
                    int64_t fallback_ns);

/* What a name refers to right now. */
enum { FS_NONE = 0, FS_FILE, FS_DIR };
struct fs_target
{
    int kind;
    bool have_kv; /* file: kv valid (owned); dir: marker in kv */
    struct store_kv kv;
    bool pending; /* a local create not yet committed (kv.attr set) */
    bool gated;   /* resolved after the read gate, for a lookup */
};
void fsTargetClear(struct fs_target *t);
/* rel as a directory (the caller knows it exists), with its marker's
 * metadata when it has one (the root has none). */
void fsDirTarget(struct mount *m, const char *rel, size_t len,
                 struct fs_target *t);
/* Resolves rel: as a directory (unless shadowed) or a file, with this
 * mount's uncommitted creates. 0 or an errno. */
int fsResolve(struct mount *m, const char *rel, size_t len, bool shadowed,
              struct fs_target *t);
/* Same, for a name that must refer to something: nothing is ENOENT. On an
 * error t holds nothing (no fsTargetClear needed). */
int fsResolveFound(struct mount *m, const char *rel, size_t len, bool shadowed,
                   struct fs_target *t);
void fsTargetStat(struct mount *m, uint64_t ino, const struct fs_target *t,
                  struct stat *st);
/* rel and kind of an inode (copied under mu); 0 or ESTALE. */
int fsRelOf(struct mount *m, fuse_ino_t ino, char *rel, size_t *len,
            bool *dir);
/* parent rel + "/" + unescaped name. 0 or an errno. */
int fsChildRel(struct mount *m, fuse_ino_t parent, const char *name,
               char *rel, size_t *len, bool *shadowed);
/* Same, for a new entry: a name no key can produce is EINVAL. */
int fsNewChildRel(struct mount *m, fuse_ino_t parent, const char *name,
                  char *rel, size_t *len, bool *shadowed);
/* Replies an entry for rel, taking a lookup reference (fi: a create).
 * The inode is marked seen unless the request is the replay's. */
void fsReplyEntry(fuse_req_t req, struct mount *m, const char *rel,
                  size_t len, const struct fs_target *t,
                  const struct fuse_file_info *fi);
/* Sends e (borrowed), whose inode took one lookup reference for it (fi:
 * a create); when the kernel dropped the reply, the reference is undone. */
void fsSendEntry(fuse_req_t req, struct mount *m,
                 const struct fuse_entry_param *e,
                 const struct fuse_file_info *fi);
void fsReplyAttr(fuse_req_t req, struct mount *m, const struct stat *st);
double fsTimeout(struct mount *m, fuse_req_t req);
/* Proposes cmd; returns 0 or an errno. */
int fsPropose(struct mount *m, struct command *cmd, struct mount_result *res);
/* Proposes a put of rel's key (dir: its marker) with value, lease and attr
 * (borrowed for the call). 0 or an errno. */
int fsProposePut(struct mount *m, const char *rel, size_t len, bool dir,
                 const char *value, size_t value_len, int64_t lease,
                 const struct store_attr *attr);
/* The metadata of an entry req creates: mode (type and permissions), the
 * caller's uid and gid, now as mtime and ctime. */
void fsNewAttr(fuse_req_t req, mode_t mode, struct store_attr *a);
bool fsCanWrite(struct mount *m, fuse_req_t req);
int fsErrno(int etcfs_rv);

/* ---- mount_auth.c: what --mount-user may see and change ----
 * Asked of the live replicated auth state (in memory, under its lock) at
 * every syscall, so a grant or revoke applies to the next one. Each
 * returns 0 or EACCES; always 0 for a root mount and while auth is off.
 * Any thread. The replay's own requests are not asked (replayPush drops
 * what the user may not read before it is queued). */
/* The file rel's key, or for a directory any key under it (the root
 * always). */
int mountMayRead(struct mount *m, const char *rel, size_t len, bool dir);
/* What a resolved name shows: a directory or a file as mountMayRead; a
 * local create not committed yet always. */
int mountMayReadTarget(struct mount *m, const char *rel, size_t len,
                       const struct fs_target *t);
/* Write the file rel's key, or a directory's marker. */
int mountMayWrite(struct mount *m, const char *rel, size_t len, bool dir);
/* A rename: read and write the source (a directory: every key under
 * it), write the destination. */
int mountMayMove(struct mount *m, const char *from, size_t flen,
                 const char *to, size_t tlen, bool dir);
/* A lookup of a name the store does not have: ENOENT when the user may
 * read or write something there (so a create can follow), else EACCES, as
 * for a name that exists outside the user's keys. */
int mountMissing(struct mount *m, const char *rel, size_t len, bool shadowed);
/* readdir: whether an entry may be listed. key: a file's key, or a
 * directory's prefix (ending in '/'), which is listed when the user may
 * read any key under it. */
bool mountMayList(struct mount *m, const char *key, size_t len, bool dir);
/* Loop thread: sets cmd's user for the FSM's checks (a root mount's
 * commands carry none: ops.c marks them internal). */
void mountAuthStamp(struct mount *m, struct command *cmd);

/* ---- handlers, one file per concern; fs.c has the table ---- */
void fsLookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void fsGetattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void fsForgetMulti(fuse_req_t req, size_t count,
                   struct fuse_forget_data *forgets);
void fsOpendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
               struct fuse_file_info *fi);
void fsReleasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsMkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
             mode_t mode);
void fsUnlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void fsRmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void fsRename(fuse_req_t req, fuse_ino_t parent, const char *name,
              fuse_ino_t newparent, const char *newname, unsigned int flags);
void fsOpen(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsCreate(fuse_req_t req, fuse_ino_t parent, const char *name,
              mode_t mode, struct fuse_file_info *fi);
void fsRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi);
void fsWrite(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
             off_t off, struct fuse_file_info *fi);
void fsFlush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsFsync(fuse_req_t req, fuse_ino_t ino, int datasync,
             struct fuse_file_info *fi);
void fsRelease(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void fsSetattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
               struct fuse_file_info *fi);
void fsSymlink(fuse_req_t req, const char *link, fuse_ino_t parent,
               const char *name);
void fsReadlink(fuse_req_t req, fuse_ino_t ino);
void fsLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
            const char *newname);
void fsMknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
             dev_t rdev);
void fsStatfs(fuse_req_t req, fuse_ino_t ino);
void fsSetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                const char *value, size_t size, int flags);
void fsGetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                size_t size);
void fsListxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void fsRemovexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
extern const struct fuse_lowlevel_ops mountFsOps;

/* ---- handle.c ---- */
struct fs_handle *handleNew(uint64_t ino);
/* Frees h (transferred; NULL is ignored) and its buffer: no inode links
 * it (handleDetach first) and no reply reads its buffer. */
void handleFree(struct fs_handle *h);
int handleReserve(struct mount *m, struct fs_handle *h, size_t need);
/* Links h to its inode (getattr sees uncommitted sizes) / unlinks it. */
void handleAttach(struct mount *m, struct fs_handle *h);
void handleDetach(struct mount *m, struct fs_handle *h);
/* Commits what h holds. 'deferred': a commit of nothing written (an
 * O_TRUNC or an empty create) that must not replace a newer write. 0 or
 * an errno. */
int handleCommit(struct mount *m, struct fs_handle *h, bool deferred);
/* The newest uncommitted state of an open file, for getattr: true when a
 * handle of inode e (mu held) changed size or metadata. */
bool handleStat(const struct inode *e, struct stat *st);

/* ---- applied.c + events.c: loop thread ---- */
struct mount_rename
{
    const char *from;
    size_t from_len;
    const char *to;
    size_t to_len;
    bool dir;
    bool to_existed;
};
/* Whether cmd is a rename as the mount proposes it (the whole source moved
 * to the destination in one txn). */
bool eventsRename(struct mount *m, const struct command *cmd,
                  const struct store_events *events, struct mount_rename *r);
/* Queues the replay of one applied command's events (another origin's). */
void eventsEnqueue(struct mount *m, struct dir_memo *dm,
                   const struct command *cmd,
                   const struct store_events *events, int64_t revision,
                   const struct mount_rename *rename);

/* ---- dirmemo.c: directory existence, asked once per applied command ---- */
enum {
    DIRMEMO_EXISTS = 1,
    DIRMEMO_MKDIR,  /* a mkdir was queued for it */
    DIRMEMO_PARENT, /* listed as a parent that may be left empty */
};
struct dir_memo_entry
{
    char *rel; /* owned copy; NULL: a free slot */
    size_t len;
    int64_t rev;
    int kind;
    bool value;
};
struct dir_memo
{
    struct dir_memo_entry *v; /* open addressing, power-of-two capacity */
    size_t cap;
    size_t n;
};
void dirMemoInit(struct dir_memo *dm);
void dirMemoClear(struct dir_memo *dm);
/* Whether any key lay under directory rel at revision rev (0: the store's
 * current state), from the store the first time, remembered after. */
bool dirMemoExists(struct mount *m, struct dir_memo *dm, const char *rel,
                   size_t len, int64_t rev);
/* True the first time (kind, rel) is named (and when out of memory). */
bool dirMemoFirst(struct dir_memo *dm, int kind, const char *rel, size_t len);

/* ---- dircache.c ---- */
int dirCacheInit(struct dircache *c);
void dirCacheClose(struct dircache *c);
/* 1 exists, 0 does not, -1 unknown; *gen: pass it to dirCachePut. */
int dirCacheGet(struct dircache *c, const char *rel, size_t len,
                uint64_t *gen);
/* Remembers the store's answer, unless a change was applied since gen. */
void dirCachePut(struct dircache *c, const char *rel, size_t len,
                 bool exists, uint64_t gen);
/* Loop thread: key rel was created (its parents exist) or deleted. */
void dirCacheApplied(struct dircache *c, const char *rel, size_t len,
                     bool created);
/* Loop thread: the whole state was replaced. */
void dirCacheReset(struct dircache *c);

/* ---- notify.c: kernel cache invalidations off the loop ---- */
int notifyStart(struct mount *m, char *errmsg);
void notifyStop(struct mount *m);
/* Any thread: queue an invalidation (name: an entry of parent; NULL: the
 * inode's attributes and data). */
void notifyInval(struct mount *m, uint64_t ino, const char *name,
                 size_t name_len);

/* ---- replay.c ---- */
enum {
    REPLAY_CREATE = 1, /* file or symlink */
    REPLAY_MKDIR,
    REPLAY_MODIFY,
    REPLAY_ATTRIB,
    REPLAY_UNLINK,
    REPLAY_RMDIR,
    REPLAY_RENAME
};
struct replay_item
{
    int kind;
    char *rel;
    size_t rel_len;
    char *rel2; /* rename target */
    size_t rel2_len;
    bool dir; /* rename of a directory */
    bool to_existed; /* rename: the target existed (it is replaced) */
    mode_t mode;
    off_t size;
    char *link; /* symlink target */
    struct stat st; /* deleted or renamed name: its last attributes */
    bool cancelled;
    uint64_t queued_ns; /* CLOCK_MONOTONIC when queued (metrics) */
    struct replay_item *next;
    struct replay_item *next_name;
};
int replayStart(struct mount *m, char *errmsg);
void replayStop(struct mount *m); /* joins; any thread but the loop's */
struct replay_item *replayItem(int kind, const char *rel, size_t len);
/* Loop thread: queue an item (may merge it into a pending one). */
void replayPush(struct mount *m, struct replay_item *it);
/* Replay requests: the view of the item being repeated. Returns 0 (answer
 * from the store), ENOENT, or -1 with e filled (a name the change removed,
 * or a parent it needs). */
int replayViewLookup(struct mount *m, const char *rel, size_t len,
                     bool shadowed, struct fuse_entry_param *e);

#endif /* ETCFS_MOUNT_INTERNAL_H */
