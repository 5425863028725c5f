/* Inside the store: what the files of src/store/ share and nothing outside
 * them may include. The store itself (struct store: the LevelDB handles,
 * the state counters, the tidy span), the reader over one LevelDB view,
 * the pinned view of a read on another thread, the apply context of one
 * command, and the helpers each file lends the others. The design and the
 * LevelDB layout are described at the top of store.c.
 *
 * Threads: the apply context and everything taking a struct store_apply
 * run on the loop thread only (the FSM); readers and views on any thread.
 * Only store.c and the store_*.c files include this header, and through
 * it leveldb/c.h: no other layer sees LevelDB. */
#ifndef ETCFS_STORE_INTERNAL_H
#define ETCFS_STORE_INTERNAL_H

#include <leveldb/c.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../lib/buf.h"
#include "mvcc_key.h"
#include "store.h"
#include "auth.h"
#include "keyfilter.h"

/* Operations per batch in compaction cleanup and restore. */
#define STORE__BATCH_OPS 10000

struct store
{
    struct metrics_histogram *commit_hist; /* store_options' */
    leveldb_t *db;
    leveldb_options_t *options;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *ro;      /* plain reads, shared (read-only) */
    leveldb_writeoptions_t *wo;
    leveldb_writebatch_t *batch;    /* apply thread scratch */
    char *path;                     /* owned */
    size_t max_txn_ops;
    _Atomic int64_t revision;
    _Atomic int64_t compact_rev;
    _Atomic int64_t db_size;    /* storeDbSize cache ... */
    _Atomic int64_t db_size_at; /* ... and when it was measured (ms) */
    _Atomic int64_t key_count;
    _Atomic uint64_t applied_index;
    _Atomic uint64_t applied_term;
    int64_t compact_done; /* apply thread only */
    /* Span of the live-key copies deleted since the last tidy (apply
     * thread; storeTidyTake). */
    struct buf tidy_lo;
    struct buf tidy_hi;
    size_t tidy_n;
    struct auth *auth; /* users, roles, permissions (store_auth.c) */
    /* Live keys the apply thread may skip reading (keyfilter.h): started at
     * the first apply, dropped by a restore; keys_off after it failed. */
    struct key_filter *keys;
    bool keys_off;
    /* Last failure of the background part of a compaction (apply thread):
     * the compaction itself succeeded, the cleanup resumes later. */
    char errmsg[ETCFS_ERRMSG_SIZE];
};

/* Growable array of kvs (owned entries). */
struct store_kvs
{
    struct store_kv *v;
    size_t n;
    size_t cap;
};

/* The reader: point and range reads at a revision over one view. */
struct store_reader
{
    struct store *s;
    const leveldb_readoptions_t *ro; /* borrowed */
    int64_t latest;                  /* revision of the view: reads at it
                                      * use the 'k' copies */
    leveldb_iterator_t *it;          /* owned, created on first use: scans */
    leveldb_iterator_t *it_get;      /* owned, point reads of old versions */
    struct buf k;                    /* scratch LevelDB keys */
    struct buf group;                /* 'i' esc(key) of the current key */
    struct buf rec;                  /* copy of the best record so far */
    struct buf user;                 /* unescaped user key */
};

/* What a range collects. */
struct store_collect
{
    int64_t rev;
    bool want_value;
    bool count_only;   /* count, collect nothing */
    size_t copy_limit; /* 0 = all; stop collecting (not counting) after */
    bool stop_at_limit; /* stop counting too once copy_limit is reached */
    int64_t min_mod;   /* filters, 0 = none (etcd pruneKVs) */
    int64_t max_mod;
    int64_t min_create;
    int64_t max_create;
};

/* A consistent view for a read on any thread: a pinned LevelDB snapshot and
 * the revisions recorded in it. */
struct store_view
{
    leveldb_readoptions_t *ro;
    const leveldb_snapshot_t *snap;
    int64_t rev;
    int64_t compact_rev;
};

/* A pinned state for a snapshot (store_snapshot.c, store_bolt.c). */
struct store_snapshot
{
    struct store *s;
    const leveldb_snapshot_t *snap;
    struct mvcc_state st;
};

/* ---- apply context: one command, one batch ---- */

/* A write of the running txn, visible to its later reads. */
struct store_overlay
{
    struct store_kv kv; /* owned; mod_revision = the txn's revision */
    bool tombstone;
};

struct store_apply
{
    struct store *s;
    struct store_reader rd; /* the state before the command */
    leveldb_writebatch_t *batch;
    struct mvcc_state st;   /* state to record with the batch */
    int64_t begin_rev;
    int64_t sub;            /* writes so far (next sub-revision) */
    int64_t key_delta;
    bool in_txn;            /* keep an overlay of the writes */
    struct store_overlay *ov;
    size_t n_ov;
    size_t cap_ov;
    struct store_events *events; /* borrowed, may be NULL */
    size_t events_mark;
    struct buf k;
    struct buf v;
    char *errmsg;
};

/* ---- errors (store_error.c) ---- */

/* Converts a LevelDB error string (freed here) into an ETCFS code, its
 * text behind 'what' in errmsg. */
int storeDbError(char *err, char *errmsg, const char *what);
/* The iterator's error as storeDbError, or 0. */
int storeIterError(leveldb_iterator_t *it, char *errmsg, const char *what);
int storeNomem(char *errmsg, const char *what);   /* ETCFS_NOMEM */
int storeCorrupt(char *errmsg, const char *what); /* ETCFS_CORRUPT */
/* Whether rv means nothing could be written (LevelDB or memory failed), as
 * opposed to a request-level error. */
bool storeIsIoError(int rv);

/* ---- kv helpers, responses and events (store_kv.c) ---- */

/* malloc'd copy of len bytes plus a NUL (caller frees), or NULL. */
char *storeDup(const char *p, size_t len);
/* Fills kv (overwritten) from a decoded record; key and value are copied,
 * rec is borrowed. 0 or ETCFS_NOMEM. */
int storeKvFill(struct store_kv *kv, const char *key, size_t key_len,
                int64_t mod_revision, const struct mvcc_record *rec,
                bool want_value);
/* A zeroed slot at the end of a (owned by a), or NULL. */
struct store_kv *storeKvsPush(struct store_kvs *a);
/* Appends a kv holding only a copy of key, or a storeKvFill of the record;
 * 0 or ETCFS_NOMEM (then a holds what it held before). */
int storeKvsPushKey(struct store_kvs *a, const char *key, size_t len);
int storeKvsPushFill(struct store_kvs *a, const char *key, size_t key_len,
                     int64_t mod_revision, const struct mvcc_record *rec,
                     bool want_value);
void storeKvsFree(struct store_kvs *a);
/* Frees the events after 'mark' (a rolled back command's). */
void storeEventsTruncate(struct store_events *ev, size_t mark);
/* A zeroed event at the end of ev (owned by ev), or NULL. */
struct store_event *storeEventsPush(struct store_events *ev);

/* ---- the store itself (store.c) ---- */

/* The state record as read through ro (borrowed): a missing record is an
 * empty store, at revision 1 (etcd), all else 0. */
int storeStateRead(struct store *s, const leveldb_readoptions_t *ro,
                   struct mvcc_state *st, char *errmsg);
/* Reads the state record into the counters. */
int storeLoadState(struct store *s, char *errmsg);
/* Reads the auth state record into s->auth. */
int storeAuthReload(struct store *s, char *errmsg);
/* The state as the counters hold it now. */
void storeStateGet(struct store *s, struct mvcc_state *st);
/* Adds the state record to the batch b (borrowed). */
void storeStatePut(leveldb_writebatch_t *b, const struct mvcc_state *st);
/* Writes b (borrowed) and clears it, whatever the outcome. */
int storeWrite(struct store *s, leveldb_writebatch_t *b, char *errmsg,
               const char *what);

/* ---- reader and views (store_reader.c) ---- */

/* ro is borrowed until storeReaderClose; latest is the revision of the
 * view (reads at it use the 'k' copies). */
void storeReaderInit(struct store_reader *rd, struct store *s,
                     const leveldb_readoptions_t *ro, int64_t latest);
void storeReaderClose(struct store_reader *rd);
/* The reader's scan iterator (owned by rd), created on first use. */
leveldb_iterator_t *storeReaderIter(struct store_reader *rd);
/* Newest version of key <= rev. *found is false when there is none or it
 * is a tombstone; otherwise out is filled (owned by the caller). */
int storeReaderGet(struct store_reader *rd, const char *key, size_t len,
                   int64_t rev, bool want_value, struct store_kv *out,
                   bool *found, char *errmsg);
/* Whether kv passes c's mod/create revision filters (etcd pruneKVs). */
bool storeKvPasses(const struct store_collect *c, const struct store_kv *kv);
/* Live keys of [key, end) at c->rev: counts them in *count and appends
 * those passing the filters (up to copy_limit) to out. */
int storeReaderCollect(struct store_reader *rd, const char *key,
                       size_t key_len, const char *end, size_t end_len,
                       const struct store_collect *c, struct store_kvs *out,
                       int64_t *count, char *errmsg);
/* Pins a LevelDB snapshot and reads its state record; storeViewClose
 * releases it (after every reader over v->ro is closed). */
int storeViewOpen(struct store *s, struct store_view *v, char *errmsg);
void storeViewClose(struct store *s, struct store_view *v);

/* ---- ranges (store_range.c) ---- */

/* ETCFS_KEY_EMPTY, ETCFS_INVALID or 0. */
int storeRangeCheck(const struct store_range_req *req);
/* Filters (unless done), sorts, applies limit, keys_only and count_only,
 * and moves kvs into resp (kvs is emptied). */
void storeRangeFinish(const struct store_range_req *req,
                      struct store_kvs *kvs, bool filtered, int64_t count,
                      struct store_range_resp *resp);
/* A range at revision rev through rd (checks done by the caller). */
int storeReaderRange(struct store_reader *rd,
                     const struct store_range_req *req, int64_t rev,
                     struct store_range_resp *resp, char *errmsg);

/* ---- apply (store_apply.c): loop thread only ---- */

/* Starts a command: a cleared batch, the counters, a reader over the
 * current state. events (may be NULL) and errmsg are borrowed until
 * storeApplyEnd. */
void storeApplyBegin(struct store_apply *a, struct store *s,
                     struct store_events *events, char *errmsg);
/* Writes the batch with the applied position (even after a request-level
 * error, which drops the command's writes) and publishes the new state.
 * Returns rv, or the write's error. */
int storeApplyFinish(struct store_apply *a, uint64_t index, uint64_t term,
                     int rv);
void storeApplyEnd(struct store_apply *a);
int storeApplyLeaseExists(struct store_apply *a, int64_t id, bool *exists);
/* Adds (attach) or removes the 'a' entry of key under lease. */
int storeApplyAttach(struct store_apply *a, int64_t lease, const char *key,
                     size_t len, bool attach);
/* Checks a put against the state before the command (etcd checkPut). */
int storeApplyPutCheck(struct store_apply *a, const struct store_put_req *p);
/* One put (checked by storeApplyPutCheck). resp may be NULL. */
int storeApplyPutOp(struct store_apply *a, const struct store_put_req *p,
                    struct store_put_resp *resp);
/* Every live key of the range as the command sees it now, with values, in
 * key order (index state merged with the txn's own writes); out is owned
 * by the caller, also on error. */
int storeApplyRangeAll(struct store_apply *a, const char *key,
                       size_t key_len, const char *end, size_t end_len,
                       struct store_kvs *out);
/* One delete-range. resp may be NULL. */
int storeApplyDeleteOp(struct store_apply *a, const struct store_delete_req *d,
                       struct store_delete_resp *resp);

/* ---- restore (store_snapshot.c, store_bolt.c): loop thread ---- */

/* Drops the state record, then every key: a crash from there on leaves a
 * store at applied index 0. */
int storeRestoreClear(struct store *s, char *errmsg);
/* storeRestore of a bbolt file (etcd 3.4's backend, store_bolt.c). */
int storeRestoreBolt(struct store *s, const void *buf, size_t len,
                     char *errmsg);

/* ---- the bbolt file's elements (store_bolt.c), for the hashes
 * (store_hash.c): any thread ---- */

/* One element of a bucket, as the file holds it (k, v borrowed until fn
 * returns). In the key bucket also the version it encodes: rev and sub
 * (etcd's revision), tombstone, and the user key (borrowed). */
struct store_bolt_elem
{
    const char *bucket;
    const unsigned char *k;
    size_t klen;
    const unsigned char *v;
    size_t vlen;
    int64_t rev;
    int64_t sub;
    bool tombstone;
    const char *key;
    size_t key_len;
};
/* fn returns 0 to go on, 1 to stop the walk (storeBoltEach returns 0), or
 * an error code, which is returned. */
typedef int (*store_bolt_each_fn)(void *data,
                                  const struct store_bolt_elem *e);
/* Calls fn for every element of the file storeBoltOpen would write for
 * snap (borrowed), bucket by bucket in name order, elements in key order,
 * each bucket opening with a call whose e->k is NULL (its name alone);
 * key_only: the key bucket alone. A full pass: the pool, never the loop. */
int storeBoltEach(struct store_snapshot *snap, bool key_only,
                  store_bolt_each_fn fn, void *data, char *errmsg);

/* ---- compaction (store_compact.c) and tidying (store_tidy.c) ---- */

/* Physical part of compaction, from compact_done to compact_rev. Apply
 * thread (or open and restore). */
int storeCompactCleanup(struct store *s, char *errmsg);
/* Notes a deleted live-key copy k (copied) in the tidy span. Apply thread. */
void storeTidyNote(struct store *s, const char *k, size_t len);

#endif /* ETCFS_STORE_INTERNAL_H */
