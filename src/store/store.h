/* The MVCC key-value store over LevelDB: revisions, tombstones, history
 * reads, txn, compaction, leases and cluster metadata, with etcd v3 semantics.
 *
 * Threads: the storeApply* functions are called only from the loop thread by
 * the FSM (raft/fsm.c), one command at a time, each writing one LevelDB batch
 * that also records the Raft index it came from. Every read function
 * (storeRange, storeHistory, storeLease*, storeMeta*, accessors) is safe from
 * any thread at any time: LevelDB is thread-safe and the in-memory counters
 * are atomics. This module is the only user of leveldb/c.h; it includes no
 * raft/, fuse/ or uv header and never blocks on anything but LevelDB.
 *
 * Memory: request structs are borrowed for the duration of the call. Response
 * structs are filled by the store and freed by the caller with the matching
 * store*RespClear() (a cleared struct is all zero and may be cleared again). */
#ifndef ETCFS_STORE_H
#define ETCFS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

struct metrics_histogram;

struct store;

/* File metadata kept with each version of a key for the mount (fuse/):
 * not part of etcd's KeyValue and never shown by the API. mode 0 means
 * "not set" (a key written through the API: the mount shows defaults). */
struct store_attr
{
    uint32_t mode; /* S_IFREG/S_IFDIR/S_IFLNK | permission bits, or 0 */
    uint32_t uid;
    uint32_t gid;
    int64_t mtime_ns; /* st_mtime: the write's wall clock or set by utimensat */
    int64_t atime_ns; /* st_atime as set by utimensat; 0 = same as mtime */
    int64_t ctime_ns; /* st_ctime: wall clock of this version's write, 0 =
                       * same as mtime (versions written before format 2) */
};

/* One key-value pair as etcd's mvccpb.KeyValue. key and value are malloc'd
 * and owned by the struct (value is NULL when keys_only); freed by
 * storeKvClear(). */
struct store_kv
{
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease;
    struct store_attr attr;
};

void storeKvClear(struct store_kv *kv);
/* Deep copy: dst is overwritten (not cleared first). Returns 0 or ETCFS_NOMEM. */
int storeKvCopy(struct store_kv *dst, const struct store_kv *src);

/* Key ranges follow etcd: range_end_len == 0 means the single key; a
 * range_end of one byte "\0" means every key >= key; otherwise [key,
 * range_end). A key of one byte "\0" with range_end "\0" means all keys. */

enum store_sort_order {
    STORE_SORT_NONE = 0,
    STORE_SORT_ASCEND = 1,
    STORE_SORT_DESCEND = 2
};
enum store_sort_target {
    STORE_SORT_KEY = 0,
    STORE_SORT_VERSION = 1,
    STORE_SORT_CREATE = 2,
    STORE_SORT_MOD = 3,
    STORE_SORT_VALUE = 4
};

struct store_range_req
{
    const char *key; /* borrowed */
    size_t key_len;
    const char *range_end; /* borrowed, may be NULL when range_end_len == 0 */
    size_t range_end_len;
    int64_t limit;    /* 0 = no limit */
    int64_t revision; /* 0 = current; < 0 invalid */
    int sort_order;   /* enum store_sort_order */
    int sort_target;  /* enum store_sort_target */
    bool keys_only;
    bool count_only;
    /* internal (the mount): with a limit, stop at it; count is then only
     * the keys collected, not every key in range (etcd's count) */
    bool no_count;
    int64_t min_mod_revision; /* 0 = no filter (all four) */
    int64_t max_mod_revision;
    int64_t min_create_revision;
    int64_t max_create_revision;
};

struct store_range_resp
{
    struct store_kv *kvs; /* n_kvs entries, owned */
    size_t n_kvs;
    int64_t count; /* keys in range at that revision (before limit) */
    bool more;     /* more keys than returned */
    int64_t revision; /* store revision the read was served at (header) */
};

struct store_put_req
{
    const char *key; /* borrowed */
    size_t key_len;
    const char *value; /* borrowed */
    size_t value_len;
    int64_t lease; /* 0 = none */
    bool prev_kv;
    bool ignore_value; /* keep the current value (key must exist) */
    bool ignore_lease; /* keep the current lease (key must exist) */
    /* attr.mode 0 keeps the previous mode/uid/gid (API puts); mtime_ns 0
     * keeps the previous mtime. */
    struct store_attr attr;
};

struct store_put_resp
{
    bool has_prev;
    struct store_kv prev_kv;
};

struct store_delete_req
{
    const char *key; /* borrowed */
    size_t key_len;
    const char *range_end; /* borrowed */
    size_t range_end_len;
    bool prev_kv;
};

struct store_delete_resp
{
    int64_t deleted;
    struct store_kv *prev_kvs; /* only when prev_kv was asked */
    size_t n_prev_kvs;
};

enum store_cmp_result {
    STORE_CMP_EQUAL = 0,
    STORE_CMP_GREATER = 1,
    STORE_CMP_LESS = 2,
    STORE_CMP_NOT_EQUAL = 3
};
enum store_cmp_target {
    STORE_CMP_VERSION = 0,
    STORE_CMP_CREATE = 1,
    STORE_CMP_MOD = 2,
    STORE_CMP_VALUE = 3,
    STORE_CMP_LEASE = 4
};

/* etcd's Compare: a missing key has version/create/mod/lease 0 and, for
 * VALUE, fails every comparison. With a range_end, every key in the range
 * must satisfy it. */
struct store_compare
{
    int result; /* enum store_cmp_result */
    int target; /* enum store_cmp_target */
    const char *key; /* borrowed */
    size_t key_len;
    const char *range_end; /* borrowed */
    size_t range_end_len;
    int64_t number; /* version, create/mod revision or lease */
    const char *value; /* borrowed, target VALUE */
    size_t value_len;
};

enum store_op_type {
    STORE_OP_RANGE = 0,
    STORE_OP_PUT = 1,
    STORE_OP_DELETE = 2,
    STORE_OP_TXN = 3
};

struct store_txn_req;
struct store_op
{
    int type; /* enum store_op_type */
    union {
        struct store_range_req range;
        struct store_put_req put;
        struct store_delete_req delete_range;
        struct store_txn_req *txn; /* borrowed */
    };
};

struct store_txn_req
{
    struct store_compare *compares; /* borrowed arrays */
    size_t n_compares;
    struct store_op *success;
    size_t n_success;
    struct store_op *failure;
    size_t n_failure;
};

struct store_txn_resp;
struct store_op_resp
{
    int type; /* enum store_op_type */
    union {
        struct store_range_resp range;
        struct store_put_resp put;
        struct store_delete_resp delete_range;
        struct store_txn_resp *txn; /* owned */
    };
};

struct store_txn_resp
{
    bool succeeded;
    struct store_op_resp *responses; /* owned */
    size_t n_responses;
};

void storeRangeRespClear(struct store_range_resp *r);
void storePutRespClear(struct store_put_resp *r);
void storeDeleteRespClear(struct store_delete_resp *r);
void storeTxnRespClear(struct store_txn_resp *r);

/* Change feed: what one applied command did, in order. kv is the new state
 * (for a DELETE: key, mod_revision = the delete's revision, all else 0, as
 * etcd's watch sends); prev_kv is the state before, when there was one. */
enum store_event_type { STORE_EVENT_PUT = 0, STORE_EVENT_DELETE = 1 };
struct store_event
{
    int type; /* enum store_event_type */
    struct store_kv kv;
    bool has_prev;
    struct store_kv prev_kv;
};

struct store_events
{
    struct store_event *events; /* owned */
    size_t n_events;
    size_t cap;
};
void storeEventsClear(struct store_events *ev);

/* Lease record as replicated: id and granted TTL (seconds). */
struct store_lease
{
    int64_t id;
    int64_t ttl;
};

/* Options for storeOpen. */
struct store_options
{
    size_t max_txn_ops; /* 0 = 128, etcd's --max-txn-ops */
    size_t cache_size;  /* LevelDB block cache bytes, 0 = default 8 MiB */
    /* each batch write's duration (etcd_disk_backend_commit_duration_
     * seconds), or NULL */
    struct metrics_histogram *commit_hist;
};

/* Opens (creating if missing) the store in directory 'path' (borrowed). On
 * error returns an ETCFS_* code and fills errmsg (ETCFS_ERRMSG_SIZE bytes). */
int storeOpen(const char *path,
              const struct store_options *opts,
              struct store **out,
              char *errmsg);
void storeClose(struct store *s);

/* Compacting the span of deleted keys (why: store_tidy.c).
 * storeTidyTake (apply thread): true when at least STORE_TIDY_MIN keys were
 * deleted since the last take; t then owns the span until storeTidyRun
 * (any thread, blocks: the libuv pool) compacts it and frees t. */
#define STORE_TIDY_MIN 256
struct store_tidy
{
    struct buf lo;
    struct buf hi;
    size_t n;
};
bool storeTidyTake(struct store *s, struct store_tidy *t);
void storeTidyRun(struct store *s, struct store_tidy *t);

/* Accessors, any thread. */
int64_t storeRevision(struct store *s);        /* current revision, 1 when empty (etcd) */
int64_t storeCompactRevision(struct store *s); /* 0 if never compacted */
uint64_t storeAppliedIndex(struct store *s);   /* last Raft index applied */
uint64_t storeAppliedTerm(struct store *s);
/* Makes every batch written so far durable (fsync of LevelDB's log; the
 * batches themselves are not synced: the Raft log is replayed over them).
 * Any thread; blocks on the disk: the pool, not the loop. 0 or ETCFS_IO. */
int storeSync(struct store *s, char *errmsg);
int64_t storeDbSize(struct store *s);          /* bytes on disk, approximate */
int64_t storeKeyCount(struct store *s);        /* live keys at the current revision */

/* ---- Apply side: loop thread only. Each call writes one LevelDB batch that
 * includes 'index' and 'term' as the applied position, even when the request
 * itself fails with a request-level error (ETCFS_LEASE_NOTFOUND, ...), so
 * the position always advances. Returns 0, a request-level ETCFS_* code
 * (deterministic: every node returns the same), or ETCFS_IO/ETCFS_NOSPACE/
 * ETCFS_CORRUPT when LevelDB failed (errmsg filled; the batch was not
 * written). 'events' (may be NULL) receives the change events; '*revision'
 * (may be NULL) receives the store revision after the command. ---- */

int storeApplyPut(struct store *s, uint64_t index, uint64_t term,
                  const struct store_put_req *req,
                  struct store_put_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg);
int storeApplyDeleteRange(struct store *s, uint64_t index, uint64_t term,
                          const struct store_delete_req *req,
                          struct store_delete_resp *resp,
                          struct store_events *events, int64_t *revision,
                          char *errmsg);
/* Txn: compares evaluated at the current revision, then the chosen ops, all
 * writes at one new revision (sub-revisions in op order); a txn with no
 * writes does not bump the revision. Reads inside see earlier writes of the
 * same txn (etcd 3.4). Duplicate put/delete keys -> ETCFS_DUPLICATE_KEY,
 * more than max_txn_ops ops -> ETCFS_TOO_MANY_OPS. */
int storeApplyTxn(struct store *s, uint64_t index, uint64_t term,
                  const struct store_txn_req *req,
                  struct store_txn_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg);
/* Compaction: revisions < rev are no longer readable (ETCFS_COMPACTED) and
 * their superseded versions and tombstones are physically deleted; rev above
 * the current revision -> ETCFS_FUTURE_REV; rev <= compacted -> ETCFS_COMPACTED. */
int storeApplyCompact(struct store *s, uint64_t index, uint64_t term,
                      int64_t rev, char *errmsg);
/* Lease grant: id != 0 (the leader picks it), ttl > 0. Existing id ->
 * ETCFS_LEASE_EXISTS. */
int storeApplyLeaseGrant(struct store *s, uint64_t index, uint64_t term,
                         int64_t id, int64_t ttl, char *errmsg);
/* Lease revoke: deletes every key attached to the lease at one new revision
 * (none if no keys) and the lease. Unknown id -> ETCFS_LEASE_NOTFOUND. */
int storeApplyLeaseRevoke(struct store *s, uint64_t index, uint64_t term,
                          int64_t id, struct store_events *events,
                          int64_t *revision, char *errmsg);
/* Cluster metadata (member attributes, cluster id): opaque name -> value,
 * value_len 0 with value NULL deletes it. Not part of the keyspace, no
 * revision. */
int storeApplyMeta(struct store *s, uint64_t index, uint64_t term,
                   const char *name, size_t name_len,
                   const char *value, size_t value_len, char *errmsg);
/* An authentication change (auth.h), with etcd's rules: 0, a request-level
 * refusal (ETCFS_USER_EXISTS, ...: the entry still counts as applied), or
 * an I/O error. */
struct auth_op;
int storeApplyAuth(struct store *s, uint64_t index, uint64_t term,
                   const struct auth_op *op, char *errmsg);
/* The authentication state (checks from any thread; auth.h). */
struct auth *storeAuth(struct store *s);
/* Records only the applied position (for log entries that change nothing). */
int storeApplyNoop(struct store *s, uint64_t index, uint64_t term,
                   char *errmsg);

/* ---- Read side: any thread. ---- */

/* Range at req->revision (0 = current). Errors: ETCFS_COMPACTED,
 * ETCFS_FUTURE_REV, ETCFS_INVALID, ETCFS_IO. */
int storeRange(struct store *s, const struct store_range_req *req,
               struct store_range_resp *resp, char *errmsg);

/* Events of revisions [from_rev, to_rev] (to_rev 0 = current) touching keys
 * in [key, range_end) (etcd range rules), in revision order, appended to
 * 'out'; stops after about max_events events at a revision boundary and
 * sets *next_rev to the first revision not yet returned (to_rev + 1 when
 * done). with_prev fills prev_kv. from_rev <= compacted -> ETCFS_COMPACTED. */
int storeHistory(struct store *s, int64_t from_rev, int64_t to_rev,
                 const char *key, size_t key_len,
                 const char *range_end, size_t range_end_len,
                 bool with_prev, size_t max_events,
                 struct store_events *out, int64_t *next_rev,
                 char *errmsg);

/* All leases, malloc'd array the caller frees. */
int storeLeaseList(struct store *s, struct store_lease **leases, size_t *n,
                   char *errmsg);
/* Keys attached to a lease: array of malloc'd strings (lens in *key_lens),
 * freed by storeKeysFree. Unknown lease -> ETCFS_LEASE_NOTFOUND. */
int storeLeaseKeys(struct store *s, int64_t id, char ***keys,
                   size_t **key_lens, size_t *n, char *errmsg);
void storeKeysFree(char **keys, size_t *key_lens, size_t n);
int storeLeaseGet(struct store *s, int64_t id, struct store_lease *out,
                  char *errmsg);

/* Metadata: *value malloc'd (caller frees) or ETCFS_NOTFOUND. */
int storeMetaGet(struct store *s, const char *name, size_t name_len,
                 char **value, size_t *value_len, char *errmsg);
/* Every metadata entry whose name starts with prefix, in name order. */
typedef void (*store_meta_cb)(void *data, const char *name, size_t name_len,
                              const char *value, size_t value_len);
int storeMetaScan(struct store *s, const char *prefix, size_t prefix_len,
                  store_meta_cb cb, void *data, char *errmsg);

/* ---- Snapshots (Raft snapshots and backups). ---- */

struct store_snapshot;
/* Loop thread, cheap: pins a LevelDB snapshot of the current state. */
int storeSnapshotTake(struct store *s, struct store_snapshot **out,
                      char *errmsg);
/* Any thread (the pool): serializes the pinned state into one buffer
 * allocated with 'alloc' (raft_malloc for Raft), owned by the caller. The
 * format opens with a magic and a format number and ends with a CRC. */
int storeSnapshotEncode(struct store_snapshot *snap,
                        void *(*alloc)(size_t), void **buf, size_t *len,
                        char *errmsg);
/* Applied index/term and revision captured by the snapshot. */
uint64_t storeSnapshotIndex(const struct store_snapshot *snap);
void storeSnapshotRelease(struct store_snapshot *snap);
/* Loop thread: replaces the whole state with an encoded snapshot (checks
 * magic, format and CRC first: ETCFS_CORRUPT and nothing changed on a bad
 * buffer). A bbolt file (etcd 3.4's snapshot, ours or etcd's, with or
 * without the SHA-256 etcd appends) is imported as etcd's buckets say:
 * versions, leases, users and roles, compacted revision, applied index. */
int storeRestore(struct store *s, const void *buf, size_t len, char *errmsg);
/* What a restore changed, as events (appended to out, the caller clears
 * it): 'before' is a view pinned by storeSnapshotTake before it. A key
 * created or changed is a PUT of its live version (prev_kv the old one
 * when it had one), a key gone a DELETE at the current revision. 0,
 * ETCFS_NOMEM, ETCFS_IO or ETCFS_CORRUPT with errmsg. */
int storeDiff(struct store_snapshot *before, struct store_events *out,
              char *errmsg);
/* Reads the header of an encoded snapshot: applied index, term, revision,
 * number of live keys. For `snapshot status`. */
int storeSnapshotInfo(const void *buf, size_t len, uint64_t *index,
                      uint64_t *term, int64_t *revision, int64_t *keys,
                      char *errmsg);
/* The same header fields after checking only magic and format: no pass
 * over the data (restart decides from the index alone whether the store
 * already holds a snapshot; storeRestore verifies everything). */
int storeSnapshotPeek(const void *buf, size_t len, uint64_t *index,
                      uint64_t *term, int64_t *revision, int64_t *keys,
                      char *errmsg);

/* ---- etcd 3.4 snapshots: a bbolt file (store_bolt.c) ----
 * The pinned state as etcd's backend database with etcd's buckets, then
 * the file's SHA-256 (what etcd's Maintenance.Snapshot streams and
 * `etcdctl snapshot save` checks). Produced in two passes over the pinned
 * state, in pieces: memory stays bounded whatever the store's size. */
struct store_bolt;
/* Any thread (the pool: a full pass): lays the file out. snap stays
 * pinned, and borrowed, until storeBoltClose. */
int storeBoltOpen(struct store_snapshot *snap, struct store_bolt **out,
                  char *errmsg);
/* Bytes of the bbolt file; the stream is 32 more (its SHA-256). */
uint64_t storeBoltSize(const struct store_bolt *b);
/* Any thread, one call at a time (the pool): the next up to cap bytes of
 * the stream into dst; *n < cap only at its end (0 once all was read). */
int storeBoltRead(struct store_bolt *b, void *dst, size_t cap, size_t *n,
                  char *errmsg);
void storeBoltClose(struct store_bolt *b);
/* Whether buf starts as a bbolt file rather than as etcfs's format. */
bool storeSnapshotIsBolt(const void *buf, size_t len);

/* ---- etcd's consistency hashes (store_hash.c) ----
 * Computed over the elements of the bbolt file above, as etcd 3.4 computes
 * them over its backend. Any thread (the pool: each is a full pass over
 * snap, which stays pinned and borrowed). */

/* Maintenance.Hash: CRC-32C of every bucket's name and elements (meta's
 * consistent_index left out, as etcd's DefaultIgnores); *revision is the
 * pinned revision. */
int storeHash(struct store_snapshot *snap, uint32_t *hash, int64_t *revision,
              char *errmsg);

struct store_hashkv
{
    uint32_t hash;
    int64_t revision;         /* the pinned (current) revision */
    int64_t compact_revision; /* -1 before the first compaction, as etcd */
};
/* Maintenance.HashKV: CRC-32C of the key bucket up to revision rev (0: the
 * current one), keeping at or below the compacted revision only what a
 * compaction at rev would keep (etcd's HashByRev). ETCFS_COMPACTED when
 * rev is at or below the compacted revision (out->compact_revision set),
 * ETCFS_FUTURE_REV when above the current one. */
int storeHashKV(struct store_snapshot *snap, int64_t rev,
                struct store_hashkv *out, char *errmsg);

#endif /* ETCFS_STORE_H */
