/* The MVCC store over LevelDB (contract in store.h, byte layout in
 * mvcc_key.h). The only file that includes leveldb/c.h.
 *
 * Design.
 * - Every write of key K at revision R (sub-revision S inside R) adds the
 *   index entry 'i' esc(K) R S -> record {tombstone flag, create_revision,
 *   version, lease, value} (mod_revision is R) and the revision entry
 *   'r' R S -> K; a delete writes a tombstone record. The live version is
 *   also copied to 'k' K -> R S record (removed on delete). Reads at the
 *   current revision (puts, compares, most ranges) use 'k': one point read
 *   per key, one entry per key in a range, and they never step over old
 *   versions or the deletion markers compaction leaves in LevelDB until its
 *   own compaction drops them. Reading K at an older revision R seeks to
 *   'i' esc(K) R max and steps back to the newest entry of K <= R; a
 *   tombstone there means absent. An old range walks the index in key order
 *   and picks the newest version <= R of each key, seeking instead of
 *   stepping after a few versions of one key.
 * - Revisions follow etcd (mvcc/kvstore_txn.go): an empty store is at
 *   revision 1; a put, a delete that removed something, a txn with writes and
 *   a revoke of a lease with keys each take the next revision; the writes of
 *   one command share it with sub-revisions 0, 1, ... in op order.
 * - Leases: 'l' id -> ttl and 'a' id K -> "" for every key attached, kept in
 *   step by put, delete and revoke, so revoke finds its keys by one prefix
 *   scan. Cluster metadata lives under 'm', apart from the keyspace.
 * - State: applied index/term, revision, compacted revision, physical
 *   compaction progress and live key count are kept in memory as C11 atomics
 *   and written as one 's' record in every batch, so data and applied
 *   position are always durable together. Writes are not synced: after a
 *   crash the caller replays the Raft log after storeAppliedIndex().
 * - Threads: store*Apply* and storeRestore run on one thread (the loop).
 *   Each apply builds one LevelDB write batch, reading the pre-command state
 *   through one iterator plus, inside a txn, an in-memory overlay of the
 *   txn's own writes (reads in a txn see its earlier writes, etcd 3.4).
 *   Readers on other threads pin a LevelDB snapshot and read the state
 *   record inside it: its revision and compacted revision are exactly those
 *   of the data they see, whatever the apply thread does meanwhile.
 * - Compaction at C (etcd kvstore_compaction.go, key_index.go compact): the
 *   apply batch records C; then, inline and in bounded batches, every key
 *   written in [last compaction, C] (found through the 'r' entries) loses
 *   its versions older than its newest version <= C, and that version too if
 *   it is a tombstone below C; 'r' entries below C go. A tombstone at exactly
 *   C stays until the next compaction so that history from C (etcd allows a
 *   watch to start at the compacted revision) still sees the delete. The
 *   progress is recorded, and an interrupted cleanup resumes at open.
 * - Snapshots: a pinned LevelDB snapshot is serialized on any thread as
 *   "ETCFSNP1", u32 format 1, u64 applied index, term, revision, compacted
 *   revision, key count, then (u32 klen, u32 vlen, key, value)* for every
 *   LevelDB key, then a CRC-32 of all that (integers big-endian). Restore
 *   verifies everything first, then drops the state record (so a crash
 *   midway leaves a store at applied index 0 that Raft restores again),
 *   deletes every key, writes the records and the state record last. */
#include "store.h"

#include <dirent.h>
#include <leveldb/c.h>
#include <zlib.h>
#include <stdatomic.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/error.h"
#include "../lib/buf.h"
#include "../lib/fs.h"
#include "mvcc_key.h"
#include "txn.h"

#define STORE__DEFAULT_CACHE ((size_t)8 << 20)
#define STORE__WRITE_BUFFER ((size_t)16 << 20)
#define STORE__DEFAULT_MAX_TXN_OPS 128
#define STORE__BLOOM_BITS 10
/* Steps over versions of one key before a range seeks instead. */
#define STORE__MAX_STEPS 4
/* Operations per batch in compaction cleanup and restore. */
#define STORE__BATCH_OPS 10000
#define STORE__BATCH_BYTES ((size_t)4 << 20)
/* Revision entries read per compaction chunk. */
#define STORE__COMPACT_CHUNK 4096
/* etcd's MaxLeaseTTL (lease/lessor.go). */
#define STORE__MAX_LEASE_TTL INT64_C(9000000000)

#define STORE__SNAP_MAGIC "ETCFSNP1"
/* Format 2 leaves out the 'k' copies of live versions (restore rebuilds
 * them from the index): a third of the bytes. Format 1 carried them. */
#define STORE__SNAP_FORMAT 2
#define STORE__SNAP_FORMAT_MIN 1
#define STORE__SNAP_HEADER (8 + 4 + 5 * 8)

struct store
{
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
    /* Last failure of the background part of a compaction (apply thread):
     * the compaction itself succeeded, the cleanup resumes later. */
    char errmsg[ETCFS_ERRMSG_SIZE];
};

struct store_snapshot
{
    struct store *s;
    const leveldb_snapshot_t *snap;
    struct mvcc_state st;
};

/* ---- errors ---- */

/* Converts a LevelDB error string (freed here) into an ETCFS code. */
static int storeDbError(char *err, char *errmsg, const char *what)
{
    int rv = ETCFS_IO;
    if (strstr(err, "Corruption") != NULL) {
        rv = ETCFS_CORRUPT;
    } else if (strstr(err, "No space") != NULL) {
        rv = ETCFS_NOSPACE;
    }
    etcfsErrmsgf(errmsg, "%s: %s", what, err);
    leveldb_free(err);
    return rv;
}

static int storeIterError(leveldb_iterator_t *it, char *errmsg,
                          const char *what)
{
    char *err = NULL;
    leveldb_iter_get_error(it, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, what);
    }
    return 0;
}

static int storeNomem(char *errmsg, const char *what)
{
    etcfsErrmsgf(errmsg, "%s: out of memory", what);
    return ETCFS_NOMEM;
}

static int storeCorrupt(char *errmsg, const char *what)
{
    etcfsErrmsgf(errmsg, "%s: malformed entry on disk", what);
    return ETCFS_CORRUPT;
}

static bool storeIsIoError(int rv)
{
    return rv == ETCFS_IO || rv == ETCFS_NOSPACE || rv == ETCFS_CORRUPT ||
           rv == ETCFS_NOMEM;
}

/* ---- kv helpers ---- */

void storeKvClear(struct store_kv *kv)
{
    if (kv == NULL) {
        return;
    }
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof *kv);
}

/* malloc'd copy with a NUL after the bytes (handy for string users). */
static char *storeDup(const char *p, size_t len)
{
    char *q = malloc(len + 1);
    if (q == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(q, p, len);
    }
    q[len] = '\0';
    return q;
}

int storeKvCopy(struct store_kv *dst, const struct store_kv *src)
{
    *dst = *src;
    dst->key = NULL;
    dst->value = NULL;
    if (src->key != NULL) {
        dst->key = storeDup(src->key, src->key_len);
        if (dst->key == NULL) {
            return ETCFS_NOMEM;
        }
    }
    if (src->value != NULL) {
        dst->value = storeDup(src->value, src->value_len);
        if (dst->value == NULL) {
            free(dst->key);
            dst->key = NULL;
            return ETCFS_NOMEM;
        }
    }
    return 0;
}

/* Fills kv from a decoded record; key and value are copied. */
static int storeKvFill(struct store_kv *kv, const char *key, size_t key_len,
                       int64_t mod_revision, const struct mvcc_record *rec,
                       bool want_value)
{
    memset(kv, 0, sizeof *kv);
    kv->key = storeDup(key, key_len);
    if (kv->key == NULL) {
        return ETCFS_NOMEM;
    }
    kv->key_len = key_len;
    if (want_value) {
        kv->value = storeDup(rec->value, rec->value_len);
        if (kv->value == NULL) {
            storeKvClear(kv);
            return ETCFS_NOMEM;
        }
        kv->value_len = rec->value_len;
    }
    kv->create_revision = rec->create_revision;
    kv->mod_revision = mod_revision;
    kv->version = rec->version;
    kv->lease = rec->lease;
    kv->attr = rec->attr;
    return 0;
}

/* Growable array of kvs (owned entries). */
struct store_kvs
{
    struct store_kv *v;
    size_t n;
    size_t cap;
};

static struct store_kv *storeKvsPush(struct store_kvs *a)
{
    if (a->n == a->cap) {
        size_t cap = a->cap == 0 ? 16 : 2 * a->cap;
        struct store_kv *p = realloc(a->v, cap * sizeof *p);
        if (p == NULL) {
            return NULL;
        }
        a->v = p;
        a->cap = cap;
    }
    memset(&a->v[a->n], 0, sizeof a->v[a->n]);
    return &a->v[a->n++];
}

static void storeKvsFree(struct store_kvs *a)
{
    size_t i;
    for (i = 0; i < a->n; i++) {
        storeKvClear(&a->v[i]);
    }
    free(a->v);
    memset(a, 0, sizeof *a);
}

/* ---- response and event cleanup ---- */

void storeRangeRespClear(struct store_range_resp *r)
{
    size_t i;
    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_kvs; i++) {
        storeKvClear(&r->kvs[i]);
    }
    free(r->kvs);
    memset(r, 0, sizeof *r);
}

void storePutRespClear(struct store_put_resp *r)
{
    if (r == NULL) {
        return;
    }
    storeKvClear(&r->prev_kv);
    memset(r, 0, sizeof *r);
}

void storeDeleteRespClear(struct store_delete_resp *r)
{
    size_t i;
    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_prev_kvs; i++) {
        storeKvClear(&r->prev_kvs[i]);
    }
    free(r->prev_kvs);
    memset(r, 0, sizeof *r);
}

static void storeOpRespClear(struct store_op_resp *r)
{
    switch (r->type) {
        case STORE_OP_RANGE:
            storeRangeRespClear(&r->range);
            break;
        case STORE_OP_PUT:
            storePutRespClear(&r->put);
            break;
        case STORE_OP_DELETE:
            storeDeleteRespClear(&r->delete_range);
            break;
        case STORE_OP_TXN:
            if (r->txn != NULL) {
                storeTxnRespClear(r->txn);
                free(r->txn);
            }
            break;
        default:
            break;
    }
    memset(r, 0, sizeof *r);
}

void storeTxnRespClear(struct store_txn_resp *r)
{
    size_t i;
    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n_responses; i++) {
        storeOpRespClear(&r->responses[i]);
    }
    free(r->responses);
    memset(r, 0, sizeof *r);
}

void storeEventsClear(struct store_events *ev)
{
    size_t i;
    if (ev == NULL) {
        return;
    }
    for (i = 0; i < ev->n_events; i++) {
        storeKvClear(&ev->events[i].kv);
        storeKvClear(&ev->events[i].prev_kv);
    }
    free(ev->events);
    memset(ev, 0, sizeof *ev);
}

/* Frees the events after 'mark' (a rolled back command's). */
static void storeEventsTruncate(struct store_events *ev, size_t mark)
{
    size_t i;
    for (i = mark; i < ev->n_events; i++) {
        storeKvClear(&ev->events[i].kv);
        storeKvClear(&ev->events[i].prev_kv);
    }
    ev->n_events = mark;
}

static struct store_event *storeEventsPush(struct store_events *ev)
{
    if (ev->n_events == ev->cap) {
        size_t cap = ev->cap == 0 ? 8 : 2 * ev->cap;
        struct store_event *p = realloc(ev->events, cap * sizeof *p);
        if (p == NULL) {
            return NULL;
        }
        ev->events = p;
        ev->cap = cap;
    }
    memset(&ev->events[ev->n_events], 0, sizeof ev->events[0]);
    return &ev->events[ev->n_events++];
}

/* ---- reader: point and range reads at a revision over one view ---- */

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

static void storeReaderInit(struct store_reader *rd, struct store *s,
                            const leveldb_readoptions_t *ro, int64_t latest)
{
    memset(rd, 0, sizeof *rd);
    rd->s = s;
    rd->ro = ro;
    rd->latest = latest;
}

static void storeReaderClose(struct store_reader *rd)
{
    if (rd->it != NULL) {
        leveldb_iter_destroy(rd->it);
    }
    if (rd->it_get != NULL) {
        leveldb_iter_destroy(rd->it_get);
    }
    bufFree(&rd->k);
    bufFree(&rd->group);
    bufFree(&rd->rec);
    bufFree(&rd->user);
    memset(rd, 0, sizeof *rd);
}

static leveldb_iterator_t *storeReaderIter(struct store_reader *rd)
{
    if (rd->it == NULL) {
        rd->it = leveldb_create_iterator(rd->s->db, rd->ro);
    }
    return rd->it;
}

/* Positions the iterator on the last entry <= target (invalid if none). */
static void readerSeekLE(leveldb_iterator_t *it, const char *target,
                         size_t len)
{
    leveldb_iter_seek(it, target, len);
    if (!leveldb_iter_valid(it)) {
        leveldb_iter_seek_to_last(it);
        return;
    }
    {
        size_t klen;
        const char *k = leveldb_iter_key(it, &klen);
        if (mvccKeyCompare(k, klen, target, len) > 0) {
            leveldb_iter_prev(it);
        }
    }
}

/* The live version of key at the view's revision: one point read. */
static int readerGetLatest(struct store_reader *rd, const char *key,
                           size_t len, bool want_value, struct store_kv *out,
                           bool *found, char *errmsg)
{
    struct mvcc_record rec;
    char *err = NULL;
    size_t vlen = 0;
    int64_t rev;
    int64_t sub;
    char *v;
    int rv = 0;
    if (mvccKeyLatest(&rd->k, key, len) != 0) {
        return storeNomem(errmsg, "get");
    }
    v = leveldb_get(rd->s->db, rd->ro, rd->k.data, rd->k.len, &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, "get");
    }
    if (v == NULL) {
        return 0;
    }
    if (mvccLatestDecode(v, vlen, &rev, &sub, &rec) != 0) {
        rv = storeCorrupt(errmsg, "get");
    } else if (storeKvFill(out, key, len, rev, &rec, want_value) != 0) {
        rv = storeNomem(errmsg, "get");
    } else {
        *found = true;
    }
    leveldb_free(v);
    return rv;
}

/* Newest version of key <= rev. *found is false when there is none or it
 * is a tombstone; otherwise out is filled (owned by the caller). */
static int storeReaderGet(struct store_reader *rd, const char *key, size_t len,
                          int64_t rev, bool want_value, struct store_kv *out,
                          bool *found, char *errmsg)
{
    leveldb_iterator_t *it;
    struct mvcc_record rec;
    size_t group_len;
    size_t klen;
    size_t vlen;
    const char *k;
    const char *v;
    int64_t erev;
    int64_t esub;

    *found = false;
    memset(out, 0, sizeof *out);
    if (rev >= rd->latest) {
        return readerGetLatest(rd, key, len, want_value, out, found, errmsg);
    }
    if (rd->it_get == NULL) {
        rd->it_get = leveldb_create_iterator(rd->s->db, rd->ro);
    }
    it = rd->it_get;
    if (mvccKeyIndex(&rd->k, key, len, rev, INT64_MAX) != 0) {
        return storeNomem(errmsg, "get");
    }
    readerSeekLE(it, rd->k.data, rd->k.len);
    if (!leveldb_iter_valid(it)) {
        return storeIterError(it, errmsg, "get");
    }
    k = leveldb_iter_key(it, &klen);
    if (klen != rd->k.len ||
        memcmp(k, rd->k.data, rd->k.len - MVCC_REV_SUFFIX) != 0) {
        return 0; /* another key: this one has no version <= rev */
    }
    if (mvccKeyIndexParse(k, klen, &group_len, &erev, &esub) != 0) {
        return storeCorrupt(errmsg, "get");
    }
    v = leveldb_iter_value(it, &vlen);
    if (mvccRecordDecode(v, vlen, &rec) != 0) {
        return storeCorrupt(errmsg, "get");
    }
    if (rec.tombstone) {
        return 0;
    }
    if (storeKvFill(out, key, len, erev, &rec, want_value) != 0) {
        return storeNomem(errmsg, "get");
    }
    *found = true;
    return 0;
}

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

static bool storeKvPasses(const struct store_collect *c,
                          const struct store_kv *kv)
{
    if (c->min_mod != 0 && kv->mod_revision < c->min_mod) {
        return false;
    }
    if (c->max_mod != 0 && kv->mod_revision > c->max_mod) {
        return false;
    }
    if (c->min_create != 0 && kv->create_revision < c->min_create) {
        return false;
    }
    if (c->max_create != 0 && kv->create_revision > c->max_create) {
        return false;
    }
    return true;
}

/* Copies the current entry (all but the value unless full) into rd->rec:
 * the attributes follow the header and must decode without the value. */
static int readerKeepRecord(struct store_reader *rd, bool full)
{
    const size_t meta = MVCC_RECORD_HEADER + MVCC_RECORD_ATTR_LEN +
                        MVCC_RECORD_TIMES_LEN;
    size_t vlen;
    const char *v = leveldb_iter_value(rd->it, &vlen);
    if (!full && vlen > meta) {
        vlen = meta;
    }
    bufReset(&rd->rec);
    return bufAppend(&rd->rec, v, vlen);
}

/* Whether the iterator's entry belongs to rd->group; parses its revision. */
static int readerInGroup(struct store_reader *rd, bool *in, int64_t *rev,
                         char *errmsg)
{
    size_t klen;
    size_t group_len;
    int64_t sub;
    const char *k;
    *in = false;
    if (!leveldb_iter_valid(rd->it)) {
        return 0;
    }
    k = leveldb_iter_key(rd->it, &klen);
    if (klen != rd->group.len + MVCC_REV_SUFFIX ||
        memcmp(k, rd->group.data, rd->group.len) != 0) {
        return 0;
    }
    if (mvccKeyIndexParse(k, klen, &group_len, rev, &sub) != 0) {
        return storeCorrupt(errmsg, "range");
    }
    *in = true;
    return 0;
}

/* Seeks past every version of the key in rd->group. */
static int readerSkipGroup(struct store_reader *rd)
{
    bufReset(&rd->k);
    if (bufAppend(&rd->k, rd->group.data, rd->group.len) != 0 ||
        bufAppendByte(&rd->k, 0xff) != 0) {
        return -1;
    }
    leveldb_iter_seek(rd->it, rd->k.data, rd->k.len);
    return 0;
}

/* storeReaderCollect at the view's revision: walks the 'k' copies, one entry
 * per live key. */
static int readerCollectLatest(struct store_reader *rd, const char *key,
                               size_t key_len, const char *end,
                               size_t end_len, const struct store_collect *c,
                               struct store_kvs *out, int64_t *count,
                               char *errmsg)
{
    leveldb_iterator_t *it = storeReaderIter(rd);
    struct buf bound = {0};
    int rv = 0;
    if (mvccKeyIsFromKey(end, end_len)
            ? bufAppendByte(&bound, MVCC_KEY_LATEST + 1)
            : mvccKeyLatest(&bound, end, end_len)) {
        return storeNomem(errmsg, "range");
    }
    if (mvccKeyLatest(&rd->k, key, key_len) != 0) {
        bufFree(&bound);
        return storeNomem(errmsg, "range");
    }
    for (leveldb_iter_seek(it, rd->k.data, rd->k.len); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        struct mvcc_record rec;
        struct store_kv probe;
        struct store_kv *slot;
        size_t klen;
        size_t vlen;
        int64_t rev;
        int64_t sub;
        const char *k = leveldb_iter_key(it, &klen);
        const char *v;
        if (mvccKeyCompare(k, klen, bound.data, bound.len) >= 0) {
            break;
        }
        if (c->stop_at_limit && out->n >= c->copy_limit) {
            break;
        }
        (*count)++;
        if (c->count_only ||
            (c->copy_limit != 0 && out->n >= c->copy_limit)) {
            continue;
        }
        v = leveldb_iter_value(it, &vlen);
        if (mvccLatestDecode(v, vlen, &rev, &sub, &rec) != 0) {
            rv = storeCorrupt(errmsg, "range");
            break;
        }
        probe.mod_revision = rev;
        probe.create_revision = rec.create_revision;
        if (!storeKvPasses(c, &probe)) {
            continue;
        }
        slot = storeKvsPush(out);
        if (slot == NULL || storeKvFill(slot, k + 1, klen - 1, rev, &rec,
                                        c->want_value) != 0) {
            if (slot != NULL) {
                out->n--;
            }
            rv = storeNomem(errmsg, "range");
            break;
        }
    }
    if (rv == 0) {
        rv = storeIterError(it, errmsg, "range");
    }
    bufFree(&bound);
    return rv;
}

/* Live keys of [key, end) at c->rev: counts them in *count and appends
 * those passing the filters (up to copy_limit) to out. */
static int storeReaderCollect(struct store_reader *rd, const char *key,
                              size_t key_len, const char *end, size_t end_len,
                              const struct store_collect *c,
                              struct store_kvs *out, int64_t *count,
                              char *errmsg)
{
    leveldb_iterator_t *it;
    struct buf bound = {0};
    bool from_key = mvccKeyIsFromKey(end, end_len);
    int rv = 0;

    *count = 0;
    if (end_len == 0) {
        struct store_kv kv;
        bool found;
        rv = storeReaderGet(rd, key, key_len, c->rev, c->want_value, &kv,
                            &found, errmsg);
        if (rv != 0 || !found) {
            return rv;
        }
        *count = 1;
        if (!c->count_only && storeKvPasses(c, &kv)) {
            struct store_kv *slot = storeKvsPush(out);
            if (slot == NULL) {
                storeKvClear(&kv);
                return storeNomem(errmsg, "range");
            }
            *slot = kv;
        } else {
            storeKvClear(&kv);
        }
        return 0;
    }
    if (!from_key && mvccKeyCompare(key, key_len, end, end_len) >= 0) {
        return 0;
    }
    if (c->rev >= rd->latest) {
        return readerCollectLatest(rd, key, key_len, end, end_len, c, out,
                                   count, errmsg);
    }
    /* Every version of a key < end sorts below 'i' esc(end) and every
     * version of a key >= end at or above it (mvcc_key.h). */
    if (from_key ? bufAppendByte(&bound, MVCC_KEY_INDEX + 1)
                 : mvccKeyIndexPrefix(&bound, end, end_len)) {
        rv = storeNomem(errmsg, "range");
        goto out;
    }
    if (mvccKeyIndexPrefix(&rd->k, key, key_len) != 0) {
        rv = storeNomem(errmsg, "range");
        goto out;
    }
    it = storeReaderIter(rd);
    leveldb_iter_seek(it, rd->k.data, rd->k.len);
    while (leveldb_iter_valid(it)) {
        struct mvcc_record rec;
        size_t klen;
        size_t group_len;
        int64_t rev;
        int64_t sub;
        int64_t best_rev = 0;
        int steps = 0;
        bool in;
        bool full;
        const char *k = leveldb_iter_key(it, &klen);

        if (mvccKeyCompare(k, klen, bound.data, bound.len) >= 0) {
            break;
        }
        if (mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) != 0) {
            rv = storeCorrupt(errmsg, "range");
            goto out;
        }
        bufReset(&rd->group);
        if (bufAppend(&rd->group, k, group_len) != 0) {
            rv = storeNomem(errmsg, "range");
            goto out;
        }
        full = c->want_value && !c->count_only &&
               (c->copy_limit == 0 || out->n < c->copy_limit);
        /* Find the newest version <= c->rev, leaving the iterator on the
         * first entry of the next key. */
        for (;;) {
            if (rev > c->rev) {
                if (readerSkipGroup(rd) != 0) {
                    rv = storeNomem(errmsg, "range");
                    goto out;
                }
                break;
            }
            if (readerKeepRecord(rd, full) != 0) {
                rv = storeNomem(errmsg, "range");
                goto out;
            }
            best_rev = rev;
            leveldb_iter_next(it);
            rv = readerInGroup(rd, &in, &rev, errmsg);
            if (rv != 0) {
                goto out;
            }
            if (!in) {
                break;
            }
            if (++steps >= STORE__MAX_STEPS && rev <= c->rev) {
                /* Many versions: jump to the newest one <= rev. */
                bufReset(&rd->k);
                if (bufAppend(&rd->k, rd->group.data, rd->group.len) != 0 ||
                    bufAppendU64(&rd->k, (uint64_t)c->rev) != 0 ||
                    bufAppendU64(&rd->k, (uint64_t)INT64_MAX) != 0) {
                    rv = storeNomem(errmsg, "range");
                    goto out;
                }
                readerSeekLE(it, rd->k.data, rd->k.len);
                rv = readerInGroup(rd, &in, &rev, errmsg);
                if (rv != 0) {
                    goto out;
                }
                if (!in) {
                    rv = storeCorrupt(errmsg, "range");
                    goto out;
                }
                if (readerKeepRecord(rd, full) != 0 ||
                    readerSkipGroup(rd) != 0) {
                    rv = storeNomem(errmsg, "range");
                    goto out;
                }
                best_rev = rev;
                break;
            }
        }
        if (best_rev == 0) {
            continue;
        }
        if (mvccRecordDecode(rd->rec.data, rd->rec.len, &rec) != 0) {
            rv = storeCorrupt(errmsg, "range");
            goto out;
        }
        if (rec.tombstone) {
            continue;
        }
        if (c->stop_at_limit && out->n >= c->copy_limit) {
            goto out;
        }
        (*count)++;
        if (c->count_only ||
            (c->copy_limit != 0 && out->n >= c->copy_limit)) {
            continue;
        }
        {
            struct store_kv kv;
            struct store_kv *slot;
            bufReset(&rd->user);
            if (mvccKeyIndexUserKey(&rd->user, rd->group.data,
                                    rd->group.len) != 0) {
                rv = storeCorrupt(errmsg, "range");
                goto out;
            }
            kv.mod_revision = best_rev;
            kv.create_revision = rec.create_revision;
            if (!storeKvPasses(c, &kv)) {
                continue;
            }
            slot = storeKvsPush(out);
            if (slot == NULL ||
                storeKvFill(slot, rd->user.data, rd->user.len, best_rev, &rec,
                            c->want_value) != 0) {
                if (slot != NULL) {
                    out->n--;
                }
                rv = storeNomem(errmsg, "range");
                goto out;
            }
        }
    }
    rv = storeIterError(it, errmsg, "range");
out:
    bufFree(&bound);
    return rv;
}

/* ---- range post-processing (etcd applierV3backend.Range) ---- */

struct store_sort_ctx
{
    int target;
    bool descend;
};

static int storeSortCmp(const void *pa, const void *pb, void *arg)
{
    const struct store_kv *a = pa;
    const struct store_kv *b = pb;
    const struct store_sort_ctx *ctx = arg;
    int c = 0;
    switch (ctx->target) {
        case STORE_SORT_VERSION:
            c = a->version < b->version ? -1 : a->version > b->version;
            break;
        case STORE_SORT_CREATE:
            c = a->create_revision < b->create_revision
                    ? -1
                    : a->create_revision > b->create_revision;
            break;
        case STORE_SORT_MOD:
            c = a->mod_revision < b->mod_revision
                    ? -1
                    : a->mod_revision > b->mod_revision;
            break;
        case STORE_SORT_VALUE:
            c = mvccKeyCompare(a->value != NULL ? a->value : "",
                               a->value_len, b->value != NULL ? b->value : "",
                               b->value_len);
            break;
        default:
            break;
    }
    if (c == 0) {
        c = mvccKeyCompare(a->key, a->key_len, b->key, b->key_len);
    }
    return ctx->descend ? -c : c;
}

static int storeRangeCheck(const struct store_range_req *req)
{
    if (req->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    if (req->revision < 0 || req->limit < 0 ||
        req->sort_order < STORE_SORT_NONE ||
        req->sort_order > STORE_SORT_DESCEND ||
        req->sort_target < STORE_SORT_KEY ||
        req->sort_target > STORE_SORT_VALUE) {
        return ETCFS_INVALID;
    }
    return 0;
}

/* Whether the result needs sorting beyond the index's key order. */
static bool storeRangeSorts(const struct store_range_req *req)
{
    return req->sort_target != STORE_SORT_KEY ||
           req->sort_order == STORE_SORT_DESCEND;
}

/* Filters (unless done), sorts, applies limit, keys_only and count_only,
 * and moves kvs into resp (kvs is emptied). */
static void storeRangeFinish(const struct store_range_req *req,
                             struct store_kvs *kvs, bool filtered,
                             int64_t count, struct store_range_resp *resp)
{
    size_t i;
    if (!filtered) {
        struct store_collect f = {0};
        size_t j = 0;
        f.min_mod = req->min_mod_revision;
        f.max_mod = req->max_mod_revision;
        f.min_create = req->min_create_revision;
        f.max_create = req->max_create_revision;
        for (i = 0; i < kvs->n; i++) {
            if (storeKvPasses(&f, &kvs->v[i])) {
                kvs->v[j++] = kvs->v[i];
            } else {
                storeKvClear(&kvs->v[i]);
            }
        }
        kvs->n = j;
    }
    if (storeRangeSorts(req) && kvs->n > 1) {
        struct store_sort_ctx ctx;
        ctx.target = req->sort_target;
        ctx.descend = req->sort_order == STORE_SORT_DESCEND;
        qsort_r(kvs->v, kvs->n, sizeof kvs->v[0], storeSortCmp, &ctx);
    }
    resp->more = false;
    if (req->count_only) {
        for (i = 0; i < kvs->n; i++) {
            storeKvClear(&kvs->v[i]);
        }
        kvs->n = 0;
    }
    if (req->limit > 0 && kvs->n > (size_t)req->limit) {
        for (i = (size_t)req->limit; i < kvs->n; i++) {
            storeKvClear(&kvs->v[i]);
        }
        kvs->n = (size_t)req->limit;
        resp->more = true;
    }
    if (req->keys_only) {
        for (i = 0; i < kvs->n; i++) {
            free(kvs->v[i].value);
            kvs->v[i].value = NULL;
            kvs->v[i].value_len = 0;
        }
    }
    resp->count = count;
    if (kvs->n == 0) {
        storeKvsFree(kvs);
    }
    resp->kvs = kvs->v;
    resp->n_kvs = kvs->n;
    memset(kvs, 0, sizeof *kvs);
}

/* A range at revision rev through rd (checks done by the caller). */
static int storeReaderRange(struct store_reader *rd,
                            const struct store_range_req *req, int64_t rev,
                            struct store_range_resp *resp, char *errmsg)
{
    struct store_collect c;
    struct store_kvs kvs = {0};
    int64_t count = 0;
    int rv;
    memset(&c, 0, sizeof c);
    c.rev = rev;
    c.want_value = !req->keys_only;
    c.count_only = req->count_only;
    c.min_mod = req->min_mod_revision;
    c.max_mod = req->max_mod_revision;
    c.min_create = req->min_create_revision;
    c.max_create = req->max_create_revision;
    if (!storeRangeSorts(req) && req->limit > 0) {
        c.copy_limit = (size_t)req->limit + 1; /* one more for 'more' */
        c.stop_at_limit = req->no_count && !req->count_only;
    }
    rv = storeReaderCollect(rd, req->key, req->key_len, req->range_end,
                            req->range_end_len, &c, &kvs, &count, errmsg);
    if (rv != 0) {
        storeKvsFree(&kvs);
        return rv;
    }
    storeRangeFinish(req, &kvs, true, count, resp);
    return 0;
}

/* ---- open and close ---- */

static int storeLoadState(struct store *s, char *errmsg)
{
    struct mvcc_state st;
    char *err = NULL;
    size_t vlen = 0;
    char *v = leveldb_get(s->db, s->ro, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN,
                          &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, "read state");
    }
    if (v == NULL) {
        memset(&st, 0, sizeof st);
        st.revision = 1; /* etcd: an empty store is at revision 1 */
    } else {
        int rc = mvccStateDecode(v, vlen, &st);
        leveldb_free(v);
        if (rc != 0) {
            etcfsErrmsgf(errmsg, "read state: malformed state record");
            return ETCFS_CORRUPT;
        }
    }
    atomic_store(&s->applied_index, st.applied_index);
    atomic_store(&s->applied_term, st.applied_term);
    atomic_store(&s->key_count, st.key_count);
    atomic_store(&s->compact_rev, st.compact_rev);
    atomic_store(&s->revision, st.revision);
    s->compact_done = st.compact_done;
    return 0;
}

static void storeStateGet(struct store *s, struct mvcc_state *st)
{
    st->applied_index = atomic_load(&s->applied_index);
    st->applied_term = atomic_load(&s->applied_term);
    st->revision = atomic_load(&s->revision);
    st->compact_rev = atomic_load(&s->compact_rev);
    st->compact_done = s->compact_done;
    st->key_count = atomic_load(&s->key_count);
}

static void storeStatePut(leveldb_writebatch_t *b,
                          const struct mvcc_state *st)
{
    char enc[MVCC_STATE_LEN];
    mvccStateEncode(enc, st);
    leveldb_writebatch_put(b, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN, enc,
                           sizeof enc);
}

static int storeWrite(struct store *s, leveldb_writebatch_t *b,
                      char *errmsg, const char *what)
{
    char *err = NULL;
    leveldb_write(s->db, s->wo, b, &err);
    leveldb_writebatch_clear(b);
    if (err != NULL) {
        return storeDbError(err, errmsg, what);
    }
    return 0;
}

static int storeCompactCleanup(struct store *s, char *errmsg);

int storeOpen(const char *path,
              const struct store_options *opts,
              struct store **out,
              char *errmsg)
{
    struct store *s;
    char *err = NULL;
    size_t cache_size = STORE__DEFAULT_CACHE;
    int rv;

    *out = NULL;
    if (opts != NULL && opts->cache_size != 0) {
        cache_size = opts->cache_size;
    }
    rv = fsMkdirAll(path, 0700, NULL);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "create %s: %s", path, strerror(-rv));
        return ETCFS_IO;
    }
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        return storeNomem(errmsg, "open store");
    }
    s->max_txn_ops = opts != NULL && opts->max_txn_ops != 0
                         ? opts->max_txn_ops
                         : STORE__DEFAULT_MAX_TXN_OPS;
    s->path = storeDup(path, strlen(path));
    if (s->path == NULL) {
        rv = storeNomem(errmsg, "open store");
        goto err_after_alloc;
    }
    s->cache = leveldb_cache_create_lru(cache_size);
    s->filter = leveldb_filterpolicy_create_bloom(STORE__BLOOM_BITS);
    s->options = leveldb_options_create();
    s->ro = leveldb_readoptions_create();
    s->wo = leveldb_writeoptions_create();
    s->batch = leveldb_writebatch_create();
    leveldb_options_set_create_if_missing(s->options, 1);
    leveldb_options_set_cache(s->options, s->cache);
    leveldb_options_set_filter_policy(s->options, s->filter);
    leveldb_options_set_write_buffer_size(s->options, STORE__WRITE_BUFFER);
    leveldb_options_set_max_open_files(s->options, 1000);
    leveldb_options_set_compression(s->options, leveldb_snappy_compression);
    /* Durability comes from the Raft log, replayed after the applied
     * index: no fsync per batch. */
    leveldb_writeoptions_set_sync(s->wo, 0);

    s->db = leveldb_open(s->options, path, &err);
    if (err != NULL) {
        rv = storeDbError(err, errmsg, "open leveldb");
        goto err_after_options;
    }
    rv = storeLoadState(s, errmsg);
    if (rv != 0) {
        goto err_after_db_open;
    }
    if (s->compact_done < atomic_load(&s->compact_rev)) {
        /* A compaction's cleanup was interrupted: finish it. */
        rv = storeCompactCleanup(s, errmsg);
        if (rv != 0) {
            goto err_after_db_open;
        }
    }
    *out = s;
    return 0;

err_after_db_open:
    leveldb_close(s->db);
err_after_options:
    leveldb_writebatch_destroy(s->batch);
    leveldb_writeoptions_destroy(s->wo);
    leveldb_readoptions_destroy(s->ro);
    leveldb_options_destroy(s->options);
    leveldb_filterpolicy_destroy(s->filter);
    leveldb_cache_destroy(s->cache);
err_after_alloc:
    free(s->path);
    free(s);
    return rv;
}

void storeClose(struct store *s)
{
    if (s == NULL) {
        return;
    }
    leveldb_close(s->db);
    leveldb_writebatch_destroy(s->batch);
    leveldb_writeoptions_destroy(s->wo);
    leveldb_readoptions_destroy(s->ro);
    leveldb_options_destroy(s->options);
    leveldb_filterpolicy_destroy(s->filter);
    leveldb_cache_destroy(s->cache);
    bufFree(&s->tidy_lo);
    bufFree(&s->tidy_hi);
    free(s->path);
    free(s);
}

/* ---- accessors ---- */

int64_t storeRevision(struct store *s)
{
    return atomic_load(&s->revision);
}

int64_t storeCompactRevision(struct store *s)
{
    return atomic_load(&s->compact_rev);
}

uint64_t storeAppliedIndex(struct store *s)
{
    return atomic_load(&s->applied_index);
}

uint64_t storeAppliedTerm(struct store *s)
{
    return atomic_load(&s->applied_term);
}

int64_t storeKeyCount(struct store *s)
{
    return atomic_load(&s->key_count);
}

/* The size on disk, measured at most once a second (it lists the
 * directory: too slow for every put's quota check). */
int64_t storeDbSize(struct store *s)
{
    struct timespec ts;
    int64_t now;
    int64_t at;
    DIR *dir;
    struct dirent *e;
    int64_t total = 0;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    at = atomic_load(&s->db_size_at);
    if (at != 0 && now - at < 1000) {
        return atomic_load(&s->db_size);
    }
    dir = opendir(s->path);
    if (dir == NULL) {
        return 0;
    }
    while ((e = readdir(dir)) != NULL) {
        struct stat st;
        if (fstatat(dirfd(dir), e->d_name, &st, 0) == 0 &&
            S_ISREG(st.st_mode)) {
            total += (int64_t)st.st_size;
        }
    }
    closedir(dir);
    atomic_store(&s->db_size, total);
    atomic_store(&s->db_size_at, now);
    return total;
}

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

static void storeApplyBegin(struct store_apply *a, struct store *s,
                            struct store_events *events, char *errmsg)
{
    memset(a, 0, sizeof *a);
    a->s = s;
    a->batch = s->batch;
    leveldb_writebatch_clear(a->batch);
    storeStateGet(s, &a->st);
    a->begin_rev = a->st.revision;
    storeReaderInit(&a->rd, s, s->ro, a->begin_rev);
    a->events = events;
    a->events_mark = events != NULL ? events->n_events : 0;
    a->errmsg = errmsg;
}

static void storeApplyEnd(struct store_apply *a)
{
    size_t i;
    for (i = 0; i < a->n_ov; i++) {
        storeKvClear(&a->ov[i].kv);
    }
    free(a->ov);
    storeReaderClose(&a->rd);
    bufFree(&a->k);
    bufFree(&a->v);
}

/* Writes the batch with the applied position (even after a request-level
 * error, which drops the command's writes) and publishes the new state.
 * Returns rv, or the write's error. */
static int storeApplyFinish(struct store_apply *a, uint64_t index,
                            uint64_t term, int rv)
{
    struct store *s = a->s;
    int wrv;
    if (rv != 0) {
        /* Drop the command's writes and state changes, keep the position. */
        leveldb_writebatch_clear(a->batch);
        if (a->events != NULL) {
            storeEventsTruncate(a->events, a->events_mark);
        }
        storeStateGet(s, &a->st);
        a->sub = 0;
        a->key_delta = 0;
        if (storeIsIoError(rv)) {
            return rv; /* nothing written */
        }
    }
    a->st.applied_index = index;
    a->st.applied_term = term;
    if (a->sub > 0) {
        a->st.revision = a->begin_rev + 1;
    }
    a->st.key_count += a->key_delta;
    storeStatePut(a->batch, &a->st);
    wrv = storeWrite(s, a->batch, a->errmsg, "write batch");
    if (wrv != 0) {
        if (a->events != NULL) {
            storeEventsTruncate(a->events, a->events_mark);
        }
        return wrv;
    }
    atomic_store(&s->applied_index, a->st.applied_index);
    atomic_store(&s->applied_term, a->st.applied_term);
    atomic_store(&s->key_count, a->st.key_count);
    atomic_store(&s->compact_rev, a->st.compact_rev);
    /* Last: a reader that sees the new revision finds its data. */
    atomic_store(&s->revision, a->st.revision);
    return rv;
}

static int64_t applyNewRev(const struct store_apply *a)
{
    return a->begin_rev + 1;
}

/* Revision a read inside the command sees (etcd storeTxnWrite.Range). */
static int64_t applyReadRev(const struct store_apply *a)
{
    return a->sub > 0 ? a->begin_rev + 1 : a->begin_rev;
}

static struct store_overlay *applyOverlayFind(struct store_apply *a,
                                              const char *key, size_t len)
{
    size_t i = a->n_ov;
    while (i-- > 0) {
        if (mvccKeyCompare(a->ov[i].kv.key, a->ov[i].kv.key_len, key, len) ==
            0) {
            return &a->ov[i];
        }
    }
    return NULL;
}

static int applyOverlayPush(struct store_apply *a, const struct store_kv *kv,
                            bool tombstone)
{
    struct store_overlay *o;
    if (a->n_ov == a->cap_ov) {
        size_t cap = a->cap_ov == 0 ? 8 : 2 * a->cap_ov;
        struct store_overlay *p = realloc(a->ov, cap * sizeof *p);
        if (p == NULL) {
            return ETCFS_NOMEM;
        }
        a->ov = p;
        a->cap_ov = cap;
    }
    o = &a->ov[a->n_ov];
    if (storeKvCopy(&o->kv, kv) != 0) {
        return ETCFS_NOMEM;
    }
    o->tombstone = tombstone;
    a->n_ov++;
    return 0;
}

/* The key's state as the command sees it now (its own writes included). */
static int applyLookup(struct store_apply *a, const char *key, size_t len,
                       struct store_kv *out, bool *found)
{
    struct store_overlay *o = applyOverlayFind(a, key, len);
    memset(out, 0, sizeof *out);
    if (o != NULL) {
        *found = !o->tombstone;
        if (*found && storeKvCopy(out, &o->kv) != 0) {
            return storeNomem(a->errmsg, "lookup");
        }
        return 0;
    }
    return storeReaderGet(&a->rd, key, len, a->begin_rev, true, out, found,
                          a->errmsg);
}

static int storeApplyLeaseExists(struct store_apply *a, int64_t id,
                                 bool *exists)
{
    char *err = NULL;
    size_t vlen;
    char *v;
    if (mvccKeyLease(&a->k, id) != 0) {
        return storeNomem(a->errmsg, "lease");
    }
    v = leveldb_get(a->s->db, a->s->ro, a->k.data, a->k.len, &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, a->errmsg, "read lease");
    }
    *exists = v != NULL;
    leveldb_free(v);
    return 0;
}

/* ---- tidying after deletes ----
 * A deleted key leaves a LevelDB tombstone on its live copy ('k'), and
 * every range over that span (a readdir, "is anything left under this
 * directory?", a prefix get) steps over each tombstone until LevelDB's own
 * compaction drops it, which for the memtable can be never. After a
 * deleterange of thousands of keys every such read walked all of them.
 * The apply thread notes the span deleted; once it holds enough keys the
 * daemon has a pool thread compact just that span (storeTidyRun). */

static void storeTidyNote(struct store *s, const char *k, size_t len)
{
    if (s->tidy_n == 0 ||
        mvccKeyCompare(k, len, s->tidy_lo.data, s->tidy_lo.len) < 0) {
        bufReset(&s->tidy_lo);
        if (bufAppend(&s->tidy_lo, k, len) != 0) {
            return; /* out of memory: left to LevelDB */
        }
    }
    if (s->tidy_n == 0 ||
        mvccKeyCompare(k, len, s->tidy_hi.data, s->tidy_hi.len) > 0) {
        bufReset(&s->tidy_hi);
        if (bufAppend(&s->tidy_hi, k, len) != 0) {
            return;
        }
    }
    s->tidy_n++;
}

bool storeTidyTake(struct store *s, struct store_tidy *t)
{
    if (s->tidy_n < STORE_TIDY_MIN) {
        return false;
    }
    t->lo = s->tidy_lo;
    t->hi = s->tidy_hi;
    t->n = s->tidy_n;
    memset(&s->tidy_lo, 0, sizeof s->tidy_lo);
    memset(&s->tidy_hi, 0, sizeof s->tidy_hi);
    s->tidy_n = 0;
    return true;
}

void storeTidyRun(struct store *s, struct store_tidy *t)
{
    leveldb_compact_range(s->db, t->lo.data, t->lo.len, t->hi.data,
                          t->hi.len);
    bufFree(&t->lo);
    bufFree(&t->hi);
}

/* Adds the index and revision entries of one write at the next
 * sub-revision. */
static int applyWriteVersion(struct store_apply *a, const char *key,
                             size_t len, const struct mvcc_record *rec)
{
    if (mvccKeyIndex(&a->k, key, len, applyNewRev(a), a->sub) != 0 ||
        mvccRecordEncode(&a->v, rec) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    leveldb_writebatch_put(a->batch, a->k.data, a->k.len, a->v.data,
                           a->v.len);
    if (mvccKeyRev(&a->k, applyNewRev(a), a->sub) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    leveldb_writebatch_put(a->batch, a->k.data, a->k.len, key, len);
    if (mvccKeyLatest(&a->k, key, len) != 0) {
        return storeNomem(a->errmsg, "write");
    }
    if (rec->tombstone) {
        leveldb_writebatch_delete(a->batch, a->k.data, a->k.len);
        storeTidyNote(a->s, a->k.data, a->k.len);
    } else {
        if (mvccLatestEncode(&a->v, applyNewRev(a), a->sub, rec) != 0) {
            return storeNomem(a->errmsg, "write");
        }
        leveldb_writebatch_put(a->batch, a->k.data, a->k.len, a->v.data,
                               a->v.len);
    }
    a->sub++;
    return 0;
}

static int storeApplyAttach(struct store_apply *a, int64_t lease,
                            const char *key, size_t len, bool attach)
{
    if (mvccKeyAttach(&a->k, lease, key, len) != 0) {
        return storeNomem(a->errmsg, "lease attach");
    }
    if (attach) {
        leveldb_writebatch_put(a->batch, a->k.data, a->k.len, "", 0);
    } else {
        leveldb_writebatch_delete(a->batch, a->k.data, a->k.len);
    }
    return 0;
}

/* Adds an event; kv and prev (may be NULL) are copied. */
static int applyEvent(struct store_apply *a, int type,
                      const struct store_kv *kv, const struct store_kv *prev)
{
    struct store_event *e;
    if (a->events == NULL) {
        return 0;
    }
    e = storeEventsPush(a->events);
    if (e == NULL) {
        return storeNomem(a->errmsg, "event");
    }
    e->type = type;
    if (storeKvCopy(&e->kv, kv) != 0) {
        a->events->n_events--;
        return storeNomem(a->errmsg, "event");
    }
    if (prev != NULL) {
        if (storeKvCopy(&e->prev_kv, prev) != 0) {
            storeKvClear(&e->kv);
            a->events->n_events--;
            return storeNomem(a->errmsg, "event");
        }
        e->has_prev = true;
    }
    return 0;
}

/* Checks a put against the state before the command (etcd checkPut). */
static int storeApplyPutCheck(struct store_apply *a,
                              const struct store_put_req *p)
{
    int rv = txnCheckPut(p);
    if (rv != 0) {
        return rv;
    }
    if (p->lease != 0) {
        bool exists;
        rv = storeApplyLeaseExists(a, p->lease, &exists);
        if (rv != 0) {
            return rv;
        }
        if (!exists) {
            return ETCFS_LEASE_NOTFOUND;
        }
    }
    if (p->ignore_value || p->ignore_lease) {
        struct store_kv kv;
        bool found;
        rv = storeReaderGet(&a->rd, p->key, p->key_len, a->begin_rev, false,
                            &kv, &found, a->errmsg);
        if (rv != 0) {
            return rv;
        }
        storeKvClear(&kv);
        if (!found) {
            /* etcd ErrKeyNotFound ("etcdserver: key not found"). */
            return ETCFS_NOTFOUND;
        }
    }
    return 0;
}

/* One put (checked by storeApplyPutCheck). resp may be NULL. */
static int storeApplyPutOp(struct store_apply *a, const struct store_put_req *p,
                           struct store_put_resp *resp)
{
    struct store_kv prev;
    struct store_kv kv;
    struct mvcc_record rec;
    bool found;
    int rv;

    rv = applyLookup(a, p->key, p->key_len, &prev, &found);
    if (rv != 0) {
        return rv;
    }
    if ((p->ignore_value || p->ignore_lease) && !found) {
        storeKvClear(&prev);
        return ETCFS_NOTFOUND;
    }
    memset(&rec, 0, sizeof rec);
    rec.value = p->ignore_value ? prev.value : p->value;
    rec.value_len = p->ignore_value ? prev.value_len : p->value_len;
    if (rec.value == NULL) {
        rec.value = "";
    }
    rec.lease = p->ignore_lease ? prev.lease : p->lease;
    rec.create_revision = found ? prev.create_revision : applyNewRev(a);
    rec.version = found ? prev.version + 1 : 1;
    rec.attr = p->attr;
    if (p->attr.mode == 0 && found) {
        rec.attr.mode = prev.attr.mode;
        rec.attr.uid = prev.attr.uid;
        rec.attr.gid = prev.attr.gid;
    }
    if (p->attr.mtime_ns == 0 && found) {
        rec.attr.mtime_ns = prev.attr.mtime_ns;
    }
    if (p->attr.atime_ns == 0 && found) {
        rec.attr.atime_ns = prev.attr.atime_ns; /* only utimensat sets it */
    }

    kv.key = (char *)p->key;
    kv.key_len = p->key_len;
    kv.value = (char *)rec.value;
    kv.value_len = rec.value_len;
    kv.create_revision = rec.create_revision;
    kv.mod_revision = applyNewRev(a);
    kv.version = rec.version;
    kv.lease = rec.lease;
    kv.attr = rec.attr;

    rv = applyWriteVersion(a, p->key, p->key_len, &rec);
    if (rv == 0 && found && prev.lease != 0 && prev.lease != rec.lease) {
        rv = storeApplyAttach(a, prev.lease, p->key, p->key_len, false);
    }
    if (rv == 0 && rec.lease != 0 && (!found || prev.lease != rec.lease)) {
        rv = storeApplyAttach(a, rec.lease, p->key, p->key_len, true);
    }
    if (rv == 0) {
        rv = applyEvent(a, STORE_EVENT_PUT, &kv, found ? &prev : NULL);
    }
    if (rv == 0 && a->in_txn && applyOverlayPush(a, &kv, false) != 0) {
        rv = storeNomem(a->errmsg, "put");
    }
    if (rv != 0) {
        storeKvClear(&prev);
        return rv;
    }
    if (!found) {
        a->key_delta++;
    }
    if (resp != NULL && p->prev_kv && found) {
        resp->has_prev = true;
        resp->prev_kv = prev; /* transferred */
    } else {
        storeKvClear(&prev);
    }
    return 0;
}

/* Sorts by key, then overlay entries after index entries in push order. */
struct store_merge
{
    struct store_kv *kv;
    bool tombstone;
    size_t order;
};

static int storeMergeCmp(const void *pa, const void *pb)
{
    const struct store_merge *x = pa;
    const struct store_merge *y = pb;
    int c = mvccKeyCompare(x->kv->key, x->kv->key_len, y->kv->key,
                           y->kv->key_len);
    if (c != 0) {
        return c;
    }
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* Every live key of the range as the command sees it now, with values, in
 * key order (index state merged with the txn's own writes). */
static int storeApplyRangeAll(struct store_apply *a, const char *key,
                              size_t key_len, const char *end, size_t end_len,
                              struct store_kvs *out)
{
    struct store_collect c;
    struct store_kvs base = {0};
    struct store_merge *m = NULL;
    size_t n = 0;
    size_t i;
    int64_t count;
    int rv;

    memset(&c, 0, sizeof c);
    c.rev = a->begin_rev;
    c.want_value = true;
    rv = storeReaderCollect(&a->rd, key, key_len, end, end_len, &c, &base,
                            &count, a->errmsg);
    if (rv != 0) {
        goto out;
    }
    if (a->n_ov == 0) {
        *out = base;
        memset(&base, 0, sizeof base);
        goto out;
    }
    m = malloc((base.n + a->n_ov) * sizeof *m + 1);
    if (m == NULL) {
        rv = storeNomem(a->errmsg, "range");
        goto out;
    }
    for (i = 0; i < base.n; i++) {
        m[n].kv = &base.v[i];
        m[n].tombstone = false;
        m[n].order = n;
        n++;
    }
    for (i = 0; i < a->n_ov; i++) {
        const struct store_kv *okv = &a->ov[i].kv;
        if (mvccKeyInRange(key, key_len, end, end_len, okv->key,
                           okv->key_len)) {
            m[n].kv = &a->ov[i].kv;
            m[n].tombstone = a->ov[i].tombstone;
            m[n].order = n;
            n++;
        }
    }
    qsort(m, n, sizeof *m, storeMergeCmp);
    for (i = 0; i < n; i++) {
        struct store_kv *slot;
        if (i + 1 < n && mvccKeyCompare(m[i].kv->key, m[i].kv->key_len,
                                        m[i + 1].kv->key,
                                        m[i + 1].kv->key_len) == 0) {
            continue; /* a later write of the same key wins */
        }
        if (m[i].tombstone) {
            continue;
        }
        slot = storeKvsPush(out);
        if (slot == NULL || storeKvCopy(slot, m[i].kv) != 0) {
            if (slot != NULL) {
                out->n--;
            }
            rv = storeNomem(a->errmsg, "range");
            goto out;
        }
    }
out:
    free(m);
    storeKvsFree(&base);
    return rv;
}

/* One delete-range. resp may be NULL. */
static int storeApplyDeleteOp(struct store_apply *a,
                              const struct store_delete_req *d,
                              struct store_delete_resp *resp)
{
    struct store_kvs kvs = {0};
    struct mvcc_record tomb;
    size_t i;
    int rv;

    if (d->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    rv = storeApplyRangeAll(a, d->key, d->key_len, d->range_end,
                            d->range_end_len, &kvs);
    if (rv != 0) {
        goto out;
    }
    memset(&tomb, 0, sizeof tomb);
    tomb.tombstone = true;
    tomb.value = "";
    for (i = 0; i < kvs.n; i++) {
        const struct store_kv *prev = &kvs.v[i];
        struct store_kv kv;
        memset(&kv, 0, sizeof kv);
        kv.key = prev->key;
        kv.key_len = prev->key_len;
        kv.mod_revision = applyNewRev(a);
        rv = applyWriteVersion(a, prev->key, prev->key_len, &tomb);
        if (rv == 0 && prev->lease != 0) {
            rv = storeApplyAttach(a, prev->lease, prev->key, prev->key_len,
                                  false);
        }
        if (rv == 0) {
            rv = applyEvent(a, STORE_EVENT_DELETE, &kv, prev);
        }
        if (rv == 0 && a->in_txn && applyOverlayPush(a, &kv, true) != 0) {
            rv = storeNomem(a->errmsg, "delete");
        }
        if (rv != 0) {
            goto out;
        }
        a->key_delta--;
    }
    if (resp != NULL) {
        resp->deleted = (int64_t)kvs.n;
        if (d->prev_kv && kvs.n > 0) {
            resp->prev_kvs = kvs.v; /* transferred */
            resp->n_prev_kvs = kvs.n;
            memset(&kvs, 0, sizeof kvs);
        }
    }
out:
    storeKvsFree(&kvs);
    return rv;
}

/* ---- apply entry points ---- */

int storeApplyPut(struct store *s, uint64_t index, uint64_t term,
                  const struct store_put_req *req,
                  struct store_put_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg)
{
    struct store_apply a;
    int rv;
    if (resp != NULL) {
        memset(resp, 0, sizeof *resp);
    }
    storeApplyBegin(&a, s, events, errmsg);
    rv = storeApplyPutCheck(&a, req);
    if (rv == 0) {
        rv = storeApplyPutOp(&a, req, resp);
    }
    if (rv != 0) {
        storePutRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0) {
        storePutRespClear(resp);
    }
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

int storeApplyDeleteRange(struct store *s, uint64_t index, uint64_t term,
                          const struct store_delete_req *req,
                          struct store_delete_resp *resp,
                          struct store_events *events, int64_t *revision,
                          char *errmsg)
{
    struct store_apply a;
    int rv;
    if (resp != NULL) {
        memset(resp, 0, sizeof *resp);
    }
    storeApplyBegin(&a, s, events, errmsg);
    rv = storeApplyDeleteOp(&a, req, resp);
    if (rv != 0) {
        storeDeleteRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0) {
        storeDeleteRespClear(resp);
    }
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

/* ---- txn ---- */

/* Chosen branches of a txn and its nested txns, in execution order, as
 * etcd's compareToPath: every compare runs against the state before the
 * txn. */
struct store_path
{
    bool *v;
    size_t n;
    size_t cap;
};

static int applyCompare(struct store_apply *a, const struct store_compare *c,
                        bool *ok)
{
    struct store_kvs kvs = {0};
    size_t i;
    int rv;
    *ok = true;
    if (c->range_end_len == 0) {
        struct store_kv kv;
        bool found;
        rv = storeReaderGet(&a->rd, c->key, c->key_len, a->begin_rev,
                            c->target == STORE_CMP_VALUE, &kv, &found,
                            a->errmsg);
        if (rv != 0) {
            return rv;
        }
        *ok = txnCompareKv(c, found ? &kv : NULL);
        storeKvClear(&kv);
        return 0;
    }
    {
        struct store_collect col;
        int64_t count;
        memset(&col, 0, sizeof col);
        col.rev = a->begin_rev;
        col.want_value = c->target == STORE_CMP_VALUE;
        rv = storeReaderCollect(&a->rd, c->key, c->key_len, c->range_end,
                                c->range_end_len, &col, &kvs, &count,
                                a->errmsg);
    }
    if (rv != 0) {
        storeKvsFree(&kvs);
        return rv;
    }
    if (kvs.n == 0) {
        *ok = txnCompareKv(c, NULL);
    }
    for (i = 0; i < kvs.n && *ok; i++) {
        *ok = txnCompareKv(c, &kvs.v[i]);
    }
    storeKvsFree(&kvs);
    return 0;
}

static int applyTxnPath(struct store_apply *a, const struct store_txn_req *t,
                        struct store_path *path)
{
    const struct store_op *ops;
    size_t n;
    size_t i;
    bool ok = true;
    int rv;
    for (i = 0; i < t->n_compares && ok; i++) {
        rv = applyCompare(a, &t->compares[i], &ok);
        if (rv != 0) {
            return rv;
        }
    }
    if (path->n == path->cap) {
        size_t cap = path->cap == 0 ? 4 : 2 * path->cap;
        bool *p = realloc(path->v, cap * sizeof *p);
        if (p == NULL) {
            return storeNomem(a->errmsg, "txn");
        }
        path->v = p;
        path->cap = cap;
    }
    path->v[path->n++] = ok;
    ops = ok ? t->success : t->failure;
    n = ok ? t->n_success : t->n_failure;
    for (i = 0; i < n; i++) {
        if (ops[i].type == STORE_OP_TXN) {
            rv = applyTxnPath(a, ops[i].txn, path);
            if (rv != 0) {
                return rv;
            }
        }
    }
    return 0;
}

/* etcd checkRequests over the chosen path: puts (lease, ignore_*) and
 * range revisions, against the state before the txn. */
static int applyTxnCheck(struct store_apply *a, const struct store_txn_req *t,
                         const struct store_path *path, size_t *pi)
{
    bool ok = path->v[(*pi)++];
    const struct store_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    size_t i;
    int rv;
    for (i = 0; i < n; i++) {
        switch (ops[i].type) {
            case STORE_OP_RANGE:
                rv = storeRangeCheck(&ops[i].range);
                if (rv != 0) {
                    return rv;
                }
                if (ops[i].range.revision > a->begin_rev) {
                    return ETCFS_FUTURE_REV;
                }
                if (ops[i].range.revision > 0 &&
                    ops[i].range.revision < a->st.compact_rev) {
                    return ETCFS_COMPACTED;
                }
                break;
            case STORE_OP_PUT:
                rv = storeApplyPutCheck(a, &ops[i].put);
                if (rv != 0) {
                    return rv;
                }
                break;
            case STORE_OP_TXN:
                rv = applyTxnCheck(a, ops[i].txn, path, pi);
                if (rv != 0) {
                    return rv;
                }
                break;
            default:
                break;
        }
    }
    return 0;
}

static int applyRangeInTxn(struct store_apply *a,
                           const struct store_range_req *req,
                           struct store_range_resp *resp)
{
    int rv;
    memset(resp, 0, sizeof *resp);
    resp->revision = applyReadRev(a);
    if (req->revision > 0 || a->sub == 0) {
        int64_t rev = req->revision > 0 ? req->revision : a->begin_rev;
        return storeReaderRange(&a->rd, req, rev, resp, a->errmsg);
    }
    {
        struct store_kvs kvs = {0};
        rv = storeApplyRangeAll(a, req->key, req->key_len, req->range_end,
                                req->range_end_len, &kvs);
        if (rv != 0) {
            storeKvsFree(&kvs);
            return rv;
        }
        storeRangeFinish(req, &kvs, false, (int64_t)kvs.n, resp);
    }
    return 0;
}

static int applyTxnOps(struct store_apply *a, const struct store_txn_req *t,
                       const struct store_path *path, size_t *pi,
                       struct store_txn_resp *resp)
{
    bool ok = path->v[(*pi)++];
    const struct store_op *ops = ok ? t->success : t->failure;
    size_t n = ok ? t->n_success : t->n_failure;
    size_t i;
    int rv = 0;

    resp->succeeded = ok;
    if (n == 0) {
        return 0;
    }
    resp->responses = calloc(n, sizeof *resp->responses);
    if (resp->responses == NULL) {
        return storeNomem(a->errmsg, "txn");
    }
    for (i = 0; i < n && rv == 0; i++) {
        struct store_op_resp *r = &resp->responses[i];
        resp->n_responses = i + 1;
        r->type = ops[i].type;
        switch (ops[i].type) {
            case STORE_OP_RANGE:
                rv = applyRangeInTxn(a, &ops[i].range, &r->range);
                break;
            case STORE_OP_PUT:
                rv = storeApplyPutOp(a, &ops[i].put, &r->put);
                break;
            case STORE_OP_DELETE:
                rv = storeApplyDeleteOp(a, &ops[i].delete_range,
                                        &r->delete_range);
                break;
            case STORE_OP_TXN:
                r->txn = calloc(1, sizeof *r->txn);
                if (r->txn == NULL) {
                    rv = storeNomem(a->errmsg, "txn");
                    break;
                }
                rv = applyTxnOps(a, ops[i].txn, path, pi, r->txn);
                break;
            default:
                rv = ETCFS_INVALID;
                break;
        }
    }
    return rv;
}

int storeApplyTxn(struct store *s, uint64_t index, uint64_t term,
                  const struct store_txn_req *req,
                  struct store_txn_resp *resp,
                  struct store_events *events, int64_t *revision,
                  char *errmsg)
{
    struct store_apply a;
    struct store_path path = {0};
    struct store_txn_resp local;
    size_t pi = 0;
    int rv;

    if (resp == NULL) {
        resp = &local;
    }
    memset(resp, 0, sizeof *resp);
    storeApplyBegin(&a, s, events, errmsg);
    a.in_txn = true;
    rv = txnValidate(req, s->max_txn_ops);
    if (rv == 0) {
        rv = applyTxnPath(&a, req, &path);
    }
    if (rv == 0) {
        rv = applyTxnCheck(&a, req, &path, &pi);
    }
    if (rv == 0) {
        pi = 0;
        rv = applyTxnOps(&a, req, &path, &pi, resp);
    }
    if (rv != 0) {
        storeTxnRespClear(resp);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    if (rv != 0 || resp == &local) {
        storeTxnRespClear(resp);
    }
    free(path.v);
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

/* ---- compaction ---- */

/* Removes the versions of key that compaction at rev 'target' makes
 * unreadable: all but the newest version <= target, and that one too when
 * it is a tombstone below target. *ops counts the deletes queued. */
static int compactKey(struct store *s, leveldb_iterator_t *it,
                      const char *key, size_t len, int64_t target,
                      struct buf *k, struct buf *prev, size_t *ops,
                      char *errmsg)
{
    bool have_prev = false;
    bool prev_tomb = false;
    int64_t prev_rev = 0;
    size_t prefix_len;

    if (mvccKeyIndexPrefix(k, key, len) != 0) {
        return storeNomem(errmsg, "compact");
    }
    prefix_len = k->len;
    leveldb_iter_seek(it, k->data, k->len);
    for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
        struct mvcc_record rec;
        size_t klen;
        size_t vlen;
        size_t group_len;
        int64_t rev;
        int64_t sub;
        const char *ik = leveldb_iter_key(it, &klen);
        const char *v;
        if (klen != prefix_len + MVCC_REV_SUFFIX ||
            memcmp(ik, k->data, prefix_len) != 0) {
            break;
        }
        if (mvccKeyIndexParse(ik, klen, &group_len, &rev, &sub) != 0) {
            return storeCorrupt(errmsg, "compact");
        }
        if (rev > target) {
            break;
        }
        v = leveldb_iter_value(it, &vlen);
        if (mvccRecordDecode(v, vlen, &rec) != 0) {
            return storeCorrupt(errmsg, "compact");
        }
        if (have_prev) {
            leveldb_writebatch_delete(s->batch, prev->data, prev->len);
            (*ops)++;
        }
        bufReset(prev);
        if (bufAppend(prev, ik, klen) != 0) {
            return storeNomem(errmsg, "compact");
        }
        have_prev = true;
        prev_tomb = rec.tombstone;
        prev_rev = rev;
    }
    if (have_prev && prev_tomb && prev_rev < target) {
        leveldb_writebatch_delete(s->batch, prev->data, prev->len);
        (*ops)++;
    }
    return storeIterError(it, errmsg, "compact");
}

static int compactKeyCmp(const void *pa, const void *pb)
{
    const struct store_kv *a = pa;
    const struct store_kv *b = pb;
    return mvccKeyCompare(a->key, a->key_len, b->key, b->key_len);
}

/* Physical part of compaction: from compact_done to compact_rev, in
 * chunks of revision entries, each chunk's deletes in bounded batches. The
 * progress is recorded with the last batch. Apply thread (or open). */
static int storeCompactCleanup(struct store *s, char *errmsg)
{
    int64_t target = atomic_load(&s->compact_rev);
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    struct store_kvs keys = {0};
    struct buf k = {0};
    struct buf prev = {0};
    int64_t cur_rev = s->compact_done;
    int64_t cur_sub = 0;
    bool done = false;
    int rv = 0;

    leveldb_readoptions_set_fill_cache(ro, 0);
    leveldb_writebatch_clear(s->batch);
    while (!done) {
        leveldb_iterator_t *it = leveldb_create_iterator(s->db, ro);
        size_t ops = 0;
        size_t i;
        if (mvccKeyRev(&k, cur_rev, cur_sub) != 0) {
            leveldb_iter_destroy(it);
            rv = storeNomem(errmsg, "compact");
            break;
        }
        /* Collect the keys written by the next chunk of revisions. */
        leveldb_iter_seek(it, k.data, k.len);
        done = true;
        for (; leveldb_iter_valid(it); leveldb_iter_next(it)) {
            struct store_kv *slot;
            int64_t rev;
            int64_t sub;
            size_t klen;
            size_t vlen;
            const char *rk = leveldb_iter_key(it, &klen);
            const char *v;
            if (klen == 0 || rk[0] != MVCC_KEY_REV) {
                break;
            }
            if (mvccKeyRevParse(rk, klen, &rev, &sub) != 0) {
                rv = storeCorrupt(errmsg, "compact");
                break;
            }
            if (rev > target) {
                break;
            }
            if (keys.n >= STORE__COMPACT_CHUNK) {
                cur_rev = rev;
                cur_sub = sub;
                done = false;
                break;
            }
            v = leveldb_iter_value(it, &vlen);
            slot = storeKvsPush(&keys);
            if (slot == NULL || (slot->key = storeDup(v, vlen)) == NULL) {
                if (slot != NULL) {
                    keys.n--;
                }
                rv = storeNomem(errmsg, "compact");
                break;
            }
            slot->key_len = vlen;
            if (rev < target) {
                leveldb_writebatch_delete(s->batch, rk, klen);
                ops++;
            }
        }
        if (rv == 0) {
            rv = storeIterError(it, errmsg, "compact");
        }
        /* Each key once per chunk: a hot key costs its versions once. */
        if (rv == 0 && keys.n > 1) {
            qsort(keys.v, keys.n, sizeof keys.v[0], compactKeyCmp);
        }
        for (i = 0; rv == 0 && i < keys.n; i++) {
            if (i > 0 && compactKeyCmp(&keys.v[i - 1], &keys.v[i]) == 0) {
                continue;
            }
            rv = compactKey(s, it, keys.v[i].key, keys.v[i].key_len, target,
                            &k, &prev, &ops, errmsg);
            if (rv == 0 && ops >= STORE__BATCH_OPS) {
                rv = storeWrite(s, s->batch, errmsg, "compact");
                ops = 0;
            }
        }
        leveldb_iter_destroy(it);
        storeKvsFree(&keys);
        if (rv != 0) {
            break;
        }
        if (done) {
            struct mvcc_state st;
            storeStateGet(s, &st);
            st.compact_done = target;
            storeStatePut(s->batch, &st);
        }
        rv = storeWrite(s, s->batch, errmsg, "compact");
        if (rv != 0) {
            break;
        }
    }
    leveldb_writebatch_clear(s->batch);
    if (rv == 0) {
        s->compact_done = target;
    }
    bufFree(&k);
    bufFree(&prev);
    leveldb_readoptions_destroy(ro);
    return rv;
}

int storeApplyCompact(struct store *s, uint64_t index, uint64_t term,
                      int64_t rev, char *errmsg)
{
    struct store_apply a;
    int rv = 0;
    storeApplyBegin(&a, s, NULL, errmsg);
    /* etcd kvstore.go compact: ErrFutureRev, then ErrCompacted. */
    if (rev > a.begin_rev) {
        rv = ETCFS_FUTURE_REV;
    } else if (rev <= a.st.compact_rev) {
        rv = ETCFS_COMPACTED;
    } else {
        a.st.compact_rev = rev;
    }
    rv = storeApplyFinish(&a, index, term, rv);
    storeApplyEnd(&a);
    if (rv != 0) {
        return rv;
    }
    /* The compaction is durable; the cleanup may fail without undoing it
     * (it resumes at the next compaction or open), so its error is kept
     * in s->errmsg, not returned. */
    if (storeCompactCleanup(s, s->errmsg) != 0) {
        return 0;
    }
    return 0;
}

/* ---- leases and metadata ---- */

int storeApplyLeaseGrant(struct store *s, uint64_t index, uint64_t term,
                         int64_t id, int64_t ttl, char *errmsg)
{
    struct store_apply a;
    bool exists = false;
    int rv = 0;
    storeApplyBegin(&a, s, NULL, errmsg);
    if (id == 0 || ttl <= 0) {
        rv = ETCFS_INVALID;
    } else if (ttl > STORE__MAX_LEASE_TTL) {
        rv = ETCFS_LEASE_TTL_TOO_LARGE;
    } else {
        rv = storeApplyLeaseExists(&a, id, &exists);
        if (rv == 0 && exists) {
            rv = ETCFS_LEASE_EXISTS;
        }
    }
    if (rv == 0) {
        char v[8];
        bufPutU64(v, (uint64_t)ttl);
        if (mvccKeyLease(&a.k, id) != 0) {
            rv = storeNomem(errmsg, "lease grant");
        } else {
            leveldb_writebatch_put(a.batch, a.k.data, a.k.len, v, sizeof v);
        }
    }
    rv = storeApplyFinish(&a, index, term, rv);
    storeApplyEnd(&a);
    return rv;
}

/* The keys attached to lease id (sorted), through the pre-command view. */
static int applyLeaseKeys(struct store_apply *a, int64_t id,
                          struct store_kvs *keys)
{
    leveldb_iterator_t *it = storeReaderIter(&a->rd);
    if (mvccKeyAttach(&a->k, id, NULL, 0) != 0) {
        return storeNomem(a->errmsg, "lease keys");
    }
    for (leveldb_iter_seek(it, a->k.data, a->k.len); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        struct store_kv *slot;
        size_t klen;
        const char *k = leveldb_iter_key(it, &klen);
        if (klen < a->k.len || memcmp(k, a->k.data, a->k.len) != 0) {
            break;
        }
        slot = storeKvsPush(keys);
        if (slot == NULL ||
            (slot->key = storeDup(k + a->k.len, klen - a->k.len)) == NULL) {
            if (slot != NULL) {
                keys->n--;
            }
            return storeNomem(a->errmsg, "lease keys");
        }
        slot->key_len = klen - a->k.len;
    }
    return storeIterError(it, a->errmsg, "lease keys");
}

int storeApplyLeaseRevoke(struct store *s, uint64_t index, uint64_t term,
                          int64_t id, struct store_events *events,
                          int64_t *revision, char *errmsg)
{
    struct store_apply a;
    struct store_kvs keys = {0};
    bool exists = false;
    size_t i;
    int rv;

    storeApplyBegin(&a, s, events, errmsg);
    rv = storeApplyLeaseExists(&a, id, &exists);
    if (rv == 0 && !exists) {
        rv = ETCFS_LEASE_NOTFOUND;
    }
    if (rv == 0) {
        rv = applyLeaseKeys(&a, id, &keys);
    }
    /* etcd lessor Revoke: delete the keys in sorted order, one revision. */
    for (i = 0; rv == 0 && i < keys.n; i++) {
        struct store_delete_req d;
        memset(&d, 0, sizeof d);
        d.key = keys.v[i].key;
        d.key_len = keys.v[i].key_len;
        rv = storeApplyDeleteOp(&a, &d, NULL);
        if (rv == 0) {
            /* The delete dropped it if the key still had this lease; an
             * attachment left by anything else goes too. */
            rv = storeApplyAttach(&a, id, d.key, d.key_len, false);
        }
    }
    if (rv == 0) {
        if (mvccKeyLease(&a.k, id) != 0) {
            rv = storeNomem(errmsg, "lease revoke");
        } else {
            leveldb_writebatch_delete(a.batch, a.k.data, a.k.len);
        }
    }
    storeKvsFree(&keys);
    rv = storeApplyFinish(&a, index, term, rv);
    storeApplyEnd(&a);
    if (revision != NULL) {
        *revision = storeRevision(s);
    }
    return rv;
}

int storeApplyMeta(struct store *s, uint64_t index, uint64_t term,
                   const char *name, size_t name_len,
                   const char *value, size_t value_len, char *errmsg)
{
    struct store_apply a;
    int rv = 0;
    storeApplyBegin(&a, s, NULL, errmsg);
    if (name_len == 0 || (value == NULL && value_len != 0)) {
        rv = ETCFS_INVALID;
    } else if (mvccKeyMeta(&a.k, name, name_len) != 0) {
        rv = storeNomem(errmsg, "meta");
    } else if (value == NULL && value_len == 0) {
        leveldb_writebatch_delete(a.batch, a.k.data, a.k.len);
    } else {
        leveldb_writebatch_put(a.batch, a.k.data, a.k.len,
                               value != NULL ? value : "", value_len);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    storeApplyEnd(&a);
    return rv;
}

int storeApplyNoop(struct store *s, uint64_t index, uint64_t term,
                   char *errmsg)
{
    struct store_apply a;
    int rv;
    storeApplyBegin(&a, s, NULL, errmsg);
    rv = storeApplyFinish(&a, index, term, 0);
    storeApplyEnd(&a);
    return rv;
}

/* ---- read side ---- */

/* A consistent view for a read on any thread: a pinned LevelDB snapshot and
 * the revisions recorded in it. */
struct store_view
{
    leveldb_readoptions_t *ro;
    const leveldb_snapshot_t *snap;
    int64_t rev;
    int64_t compact_rev;
};

static void storeViewClose(struct store *s, struct store_view *v)
{
    leveldb_readoptions_destroy(v->ro);
    leveldb_release_snapshot(s->db, v->snap);
}

static int storeViewOpen(struct store *s, struct store_view *v,
                         char *errmsg)
{
    struct mvcc_state st;
    char *err = NULL;
    size_t vlen = 0;
    char *val;
    v->snap = leveldb_create_snapshot(s->db);
    v->ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(v->ro, v->snap);
    /* The state record of the snapshot itself: exactly its revision. */
    val = leveldb_get(s->db, v->ro, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN, &vlen,
                      &err);
    if (err != NULL) {
        storeViewClose(s, v);
        return storeDbError(err, errmsg, "read state");
    }
    if (val == NULL) {
        v->rev = 1; /* empty, or a restore in progress */
        v->compact_rev = 0;
        return 0;
    }
    if (mvccStateDecode(val, vlen, &st) != 0) {
        leveldb_free(val);
        storeViewClose(s, v);
        etcfsErrmsgf(errmsg, "read state: malformed state record");
        return ETCFS_CORRUPT;
    }
    leveldb_free(val);
    v->rev = st.revision;
    v->compact_rev = st.compact_rev;
    return 0;
}


int storeRange(struct store *s, const struct store_range_req *req,
               struct store_range_resp *resp, char *errmsg)
{
    struct store_view v;
    struct store_reader rd;
    int64_t rev;
    int rv;

    memset(resp, 0, sizeof *resp);
    rv = storeRangeCheck(req);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "range: %s", etcfsStrerror(rv));
        return rv;
    }
    rv = storeViewOpen(s, &v, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* etcd kvstore_txn.go rangeKeys: future, then compacted. */
    rev = req->revision == 0 ? v.rev : req->revision;
    if (rev > v.rev) {
        rv = ETCFS_FUTURE_REV;
    } else if (rev < v.compact_rev) {
        rv = ETCFS_COMPACTED;
    }
    if (rv == 0) {
        storeReaderInit(&rd, s, v.ro, v.rev);
        rv = storeReaderRange(&rd, req, rev, resp, errmsg);
        storeReaderClose(&rd);
    } else {
        etcfsErrmsgf(errmsg, "range at %lld: %s", (long long)rev,
                     etcfsStrerror(rv));
    }
    storeViewClose(s, &v);
    if (rv != 0) {
        storeRangeRespClear(resp);
        return rv;
    }
    resp->revision = v.rev;
    return 0;
}

/* The version of key written at exactly (rev, sub) and, when with_prev, the
 * live version before it, through rd's iterator. */
static int historyEvent(struct store_reader *rd, const char *key, size_t len,
                        int64_t rev, int64_t sub, bool with_prev,
                        struct store_event *e, char *errmsg)
{
    leveldb_iterator_t *it = storeReaderIter(rd);
    struct mvcc_record rec;
    size_t klen;
    size_t vlen;
    const char *k;
    const char *val;
    int rv;

    if (mvccKeyIndex(&rd->k, key, len, rev, sub) != 0) {
        return storeNomem(errmsg, "history");
    }
    leveldb_iter_seek(it, rd->k.data, rd->k.len);
    if (!leveldb_iter_valid(it)) {
        rv = storeIterError(it, errmsg, "history");
        return rv != 0 ? rv : storeCorrupt(errmsg, "history");
    }
    k = leveldb_iter_key(it, &klen);
    if (klen != rd->k.len || memcmp(k, rd->k.data, klen) != 0) {
        return storeCorrupt(errmsg, "history: revision entry without index");
    }
    val = leveldb_iter_value(it, &vlen);
    if (mvccRecordDecode(val, vlen, &rec) != 0) {
        return storeCorrupt(errmsg, "history");
    }
    if (rec.tombstone) {
        /* etcd's watch: a DELETE carries the key and mod_revision only. */
        e->type = STORE_EVENT_DELETE;
        e->kv.key = storeDup(key, len);
        if (e->kv.key == NULL) {
            return storeNomem(errmsg, "history");
        }
        e->kv.key_len = len;
        e->kv.mod_revision = rev;
    } else {
        e->type = STORE_EVENT_PUT;
        if (storeKvFill(&e->kv, key, len, rev, &rec, true) != 0) {
            return storeNomem(errmsg, "history");
        }
    }
    if (!with_prev) {
        return 0;
    }
    leveldb_iter_prev(it);
    if (!leveldb_iter_valid(it)) {
        return storeIterError(it, errmsg, "history");
    }
    k = leveldb_iter_key(it, &klen);
    if (klen != rd->k.len ||
        memcmp(k, rd->k.data, klen - MVCC_REV_SUFFIX) != 0) {
        return 0; /* first version of the key (or older ones compacted) */
    }
    {
        size_t group_len;
        int64_t prev_rev;
        int64_t prev_sub;
        if (mvccKeyIndexParse(k, klen, &group_len, &prev_rev, &prev_sub) !=
            0) {
            return storeCorrupt(errmsg, "history");
        }
        val = leveldb_iter_value(it, &vlen);
        if (mvccRecordDecode(val, vlen, &rec) != 0) {
            return storeCorrupt(errmsg, "history");
        }
        if (rec.tombstone) {
            return 0;
        }
        if (storeKvFill(&e->prev_kv, key, len, prev_rev, &rec, true) != 0) {
            return storeNomem(errmsg, "history");
        }
        e->has_prev = true;
    }
    return 0;
}

int storeHistory(struct store *s, int64_t from_rev, int64_t to_rev,
                 const char *key, size_t key_len,
                 const char *range_end, size_t range_end_len,
                 bool with_prev, size_t max_events,
                 struct store_events *out, int64_t *next_rev,
                 char *errmsg)
{
    struct store_view v;
    struct store_reader rd;
    struct buf k = {0};
    leveldb_iterator_t *it = NULL;
    size_t mark = out->n_events;
    size_t added = 0;
    int64_t last_rev = 0;
    int64_t next = from_rev;
    int rv = 0;

    if (from_rev < 1) {
        from_rev = 1;
    }
    rv = storeViewOpen(s, &v, errmsg);
    if (rv != 0) {
        return rv;
    }
    storeReaderInit(&rd, s, v.ro, v.rev);
    if (to_rev <= 0 || to_rev > v.rev) {
        to_rev = v.rev;
    }
    /* etcd watchable_store.go: a start below the compacted revision is
     * compacted; starting at it is allowed (clients retry from it). */
    if (from_rev < v.compact_rev) {
        rv = ETCFS_COMPACTED;
        etcfsErrmsgf(errmsg, "history from %lld: %s", (long long)from_rev,
                     etcfsStrerror(rv));
        goto out;
    }
    next = from_rev > to_rev + 1 ? from_rev : to_rev + 1;
    if (from_rev > to_rev) {
        goto out;
    }
    if (mvccKeyRev(&k, from_rev, 0) != 0) {
        rv = storeNomem(errmsg, "history");
        goto out;
    }
    it = leveldb_create_iterator(s->db, v.ro);
    for (leveldb_iter_seek(it, k.data, k.len); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        struct store_event *e;
        int64_t rev;
        int64_t sub;
        size_t klen;
        size_t vlen;
        const char *rk = leveldb_iter_key(it, &klen);
        const char *uk;
        if (klen == 0 || rk[0] != MVCC_KEY_REV) {
            break;
        }
        if (mvccKeyRevParse(rk, klen, &rev, &sub) != 0) {
            rv = storeCorrupt(errmsg, "history");
            goto out;
        }
        if (rev > to_rev) {
            break;
        }
        if (max_events > 0 && added >= max_events && rev != last_rev) {
            next = rev; /* stop at a revision boundary */
            break;
        }
        uk = leveldb_iter_value(it, &vlen);
        if (!mvccKeyInRange(key, key_len, range_end, range_end_len, uk,
                            vlen)) {
            continue;
        }
        e = storeEventsPush(out);
        if (e == NULL) {
            rv = storeNomem(errmsg, "history");
            goto out;
        }
        rv = historyEvent(&rd, uk, vlen, rev, sub, with_prev, e, errmsg);
        if (rv != 0) {
            goto out;
        }
        added++;
        last_rev = rev;
    }
    rv = storeIterError(it, errmsg, "history");
out:
    if (it != NULL) {
        leveldb_iter_destroy(it);
    }
    storeReaderClose(&rd);
    storeViewClose(s, &v);
    bufFree(&k);
    if (rv != 0) {
        storeEventsTruncate(out, mark);
        return rv;
    }
    if (next_rev != NULL) {
        *next_rev = next;
    }
    return 0;
}

/* ---- lease and metadata reads ---- */

int storeLeaseGet(struct store *s, int64_t id, struct store_lease *out,
                  char *errmsg)
{
    struct buf k = {0};
    char *err = NULL;
    size_t vlen = 0;
    char *v;
    int rv = 0;
    if (mvccKeyLease(&k, id) != 0) {
        return storeNomem(errmsg, "lease get");
    }
    v = leveldb_get(s->db, s->ro, k.data, k.len, &vlen, &err);
    bufFree(&k);
    if (err != NULL) {
        return storeDbError(err, errmsg, "lease get");
    }
    if (v == NULL) {
        etcfsErrmsgf(errmsg, "lease %llx: not found", (unsigned long long)id);
        return ETCFS_LEASE_NOTFOUND;
    }
    if (vlen != 8) {
        rv = storeCorrupt(errmsg, "lease get");
    } else {
        out->id = id;
        out->ttl = (int64_t)bufGetU64(v);
    }
    leveldb_free(v);
    return rv;
}

int storeLeaseList(struct store *s, struct store_lease **leases, size_t *n,
                   char *errmsg)
{
    leveldb_iterator_t *it = leveldb_create_iterator(s->db, s->ro);
    struct store_lease *arr = NULL;
    size_t cnt = 0;
    size_t cap = 0;
    char start = MVCC_KEY_LEASE;
    int rv = 0;

    for (leveldb_iter_seek(it, &start, 1); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t klen;
        size_t vlen;
        const char *k = leveldb_iter_key(it, &klen);
        const char *v;
        if (klen == 0 || k[0] != MVCC_KEY_LEASE) {
            break;
        }
        v = leveldb_iter_value(it, &vlen);
        if (klen != 9 || vlen != 8) {
            rv = storeCorrupt(errmsg, "lease list");
            break;
        }
        if (cnt == cap) {
            size_t ncap = cap == 0 ? 16 : 2 * cap;
            struct store_lease *p = realloc(arr, ncap * sizeof *p);
            if (p == NULL) {
                rv = storeNomem(errmsg, "lease list");
                break;
            }
            arr = p;
            cap = ncap;
        }
        arr[cnt].id = (int64_t)bufGetU64(k + 1);
        arr[cnt].ttl = (int64_t)bufGetU64(v);
        cnt++;
    }
    if (rv == 0) {
        rv = storeIterError(it, errmsg, "lease list");
    }
    leveldb_iter_destroy(it);
    if (rv != 0) {
        free(arr);
        return rv;
    }
    *leases = arr;
    *n = cnt;
    return 0;
}

void storeKeysFree(char **keys, size_t *key_lens, size_t n)
{
    size_t i;
    if (keys != NULL) {
        for (i = 0; i < n; i++) {
            free(keys[i]);
        }
    }
    free(keys);
    free(key_lens);
}

int storeLeaseKeys(struct store *s, int64_t id, char ***keys,
                   size_t **key_lens, size_t *n, char *errmsg)
{
    struct store_view v;
    struct store_apply a; /* only its reader and scratch are used */
    struct store_kvs list = {0};
    struct store_lease lease;
    size_t i;
    int rv;

    *keys = NULL;
    *key_lens = NULL;
    *n = 0;
    rv = storeViewOpen(s, &v, errmsg);
    if (rv != 0) {
        return rv;
    }
    memset(&a, 0, sizeof a);
    a.s = s;
    a.errmsg = errmsg;
    storeReaderInit(&a.rd, s, v.ro, v.rev);
    rv = storeLeaseGet(s, id, &lease, errmsg);
    if (rv == 0) {
        rv = applyLeaseKeys(&a, id, &list);
    }
    if (rv == 0 && list.n > 0) {
        *keys = calloc(list.n, sizeof **keys);
        *key_lens = calloc(list.n, sizeof **key_lens);
        if (*keys == NULL || *key_lens == NULL) {
            storeKeysFree(*keys, *key_lens, 0);
            *keys = NULL;
            *key_lens = NULL;
            rv = storeNomem(errmsg, "lease keys");
        } else {
            for (i = 0; i < list.n; i++) {
                (*keys)[i] = list.v[i].key; /* transferred */
                (*key_lens)[i] = list.v[i].key_len;
                list.v[i].key = NULL;
            }
            *n = list.n;
        }
    }
    storeKvsFree(&list);
    storeReaderClose(&a.rd);
    bufFree(&a.k);
    storeViewClose(s, &v);
    return rv;
}

int storeMetaGet(struct store *s, const char *name, size_t name_len,
                 char **value, size_t *value_len, char *errmsg)
{
    struct buf k = {0};
    char *err = NULL;
    size_t vlen = 0;
    char *v;
    *value = NULL;
    *value_len = 0;
    if (mvccKeyMeta(&k, name, name_len) != 0) {
        return storeNomem(errmsg, "meta get");
    }
    v = leveldb_get(s->db, s->ro, k.data, k.len, &vlen, &err);
    bufFree(&k);
    if (err != NULL) {
        return storeDbError(err, errmsg, "meta get");
    }
    if (v == NULL) {
        etcfsErrmsgf(errmsg, "meta %.*s: not found", (int)name_len, name);
        return ETCFS_NOTFOUND;
    }
    *value = storeDup(v, vlen);
    leveldb_free(v);
    if (*value == NULL) {
        return storeNomem(errmsg, "meta get");
    }
    *value_len = vlen;
    return 0;
}

int storeMetaScan(struct store *s, const char *prefix, size_t prefix_len,
                  store_meta_cb cb, void *data, char *errmsg)
{
    struct buf k = {0};
    leveldb_iterator_t *it;
    int rv;
    if (mvccKeyMeta(&k, prefix, prefix_len) != 0) {
        return storeNomem(errmsg, "meta scan");
    }
    it = leveldb_create_iterator(s->db, s->ro);
    for (leveldb_iter_seek(it, k.data, k.len); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t klen;
        size_t vlen;
        const char *mk = leveldb_iter_key(it, &klen);
        const char *v;
        if (klen < k.len || memcmp(mk, k.data, k.len) != 0) {
            break;
        }
        v = leveldb_iter_value(it, &vlen);
        cb(data, mk + 1, klen - 1, v, vlen);
    }
    rv = storeIterError(it, errmsg, "meta scan");
    leveldb_iter_destroy(it);
    bufFree(&k);
    return rv;
}

/* ---- snapshots ---- */

int storeSnapshotTake(struct store *s, struct store_snapshot **out,
                      char *errmsg)
{
    struct store_snapshot *snap = calloc(1, sizeof *snap);
    if (snap == NULL) {
        return storeNomem(errmsg, "snapshot");
    }
    snap->s = s;
    /* Loop thread: no batch is in flight, so the counters match. */
    snap->snap = leveldb_create_snapshot(s->db);
    storeStateGet(s, &snap->st);
    *out = snap;
    return 0;
}

uint64_t storeSnapshotIndex(const struct store_snapshot *snap)
{
    return snap->st.applied_index;
}

void storeSnapshotRelease(struct store_snapshot *snap)
{
    if (snap == NULL) {
        return;
    }
    leveldb_release_snapshot(snap->s->db, snap->snap);
    free(snap);
}

static void snapshotHeader(unsigned char *p, const struct mvcc_state *st)
{
    memcpy(p, STORE__SNAP_MAGIC, 8);
    bufPutU32(p + 8, STORE__SNAP_FORMAT);
    bufPutU64(p + 12, st->applied_index);
    bufPutU64(p + 20, st->applied_term);
    bufPutU64(p + 28, (uint64_t)st->revision);
    bufPutU64(p + 36, (uint64_t)st->compact_rev);
    bufPutU64(p + 44, (uint64_t)st->key_count);
}

int storeSnapshotEncode(struct store_snapshot *snap,
                        void *(*alloc)(size_t), void **buf, size_t *len,
                        char *errmsg)
{
    struct store *s = snap->s;
    leveldb_readoptions_t *ro = leveldb_readoptions_create();
    leveldb_iterator_t *it;
    unsigned char *out = NULL;
    size_t total = STORE__SNAP_HEADER + 4;
    size_t off;
    int pass;
    int rv = 0;

    *buf = NULL;
    *len = 0;
    leveldb_readoptions_set_snapshot(ro, snap->snap);
    leveldb_readoptions_set_fill_cache(ro, 0);
    /* Pass 0 sizes the buffer (alloc may be raft_malloc: no realloc),
     * pass 1 fills it; both see the same pinned state. */
    for (pass = 0; pass < 2 && rv == 0; pass++) {
        off = STORE__SNAP_HEADER;
        it = leveldb_create_iterator(s->db, ro);
        for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it);
             leveldb_iter_next(it)) {
            size_t klen;
            size_t vlen;
            const char *k = leveldb_iter_key(it, &klen);
            const char *v;
            if (klen > 0 && k[0] == MVCC_KEY_LATEST) {
                /* derived from the index: skip the whole keyspace */
                char next = MVCC_KEY_LATEST + 1;
                leveldb_iter_seek(it, &next, 1);
                if (!leveldb_iter_valid(it)) {
                    break;
                }
                k = leveldb_iter_key(it, &klen);
            }
            v = leveldb_iter_value(it, &vlen);
            if (klen > UINT32_MAX || vlen > UINT32_MAX) {
                etcfsErrmsgf(errmsg, "snapshot: entry too large");
                rv = ETCFS_TOO_LARGE;
                break;
            }
            if (pass == 0) {
                total += 8 + klen + vlen;
                continue;
            }
            if (off + 8 + klen + vlen > total - 4) {
                etcfsErrmsgf(errmsg, "snapshot: state changed while pinned");
                rv = ETCFS_IO;
                break;
            }
            bufPutU32(out + off, (uint32_t)klen);
            bufPutU32(out + off + 4, (uint32_t)vlen);
            memcpy(out + off + 8, k, klen);
            if (vlen > 0) {
                memcpy(out + off + 8 + klen, v, vlen);
            }
            off += 8 + klen + vlen;
        }
        if (rv == 0) {
            rv = storeIterError(it, errmsg, "snapshot");
        }
        leveldb_iter_destroy(it);
        if (rv == 0 && pass == 0) {
            out = alloc(total);
            if (out == NULL) {
                rv = storeNomem(errmsg, "snapshot");
            }
        }
    }
    leveldb_readoptions_destroy(ro);
    if (rv == 0 && off != total - 4) {
        etcfsErrmsgf(errmsg, "snapshot: state changed while pinned");
        rv = ETCFS_IO;
    }
    if (rv != 0) {
        /* Only a read error of the second pass gets here with a buffer:
         * we cannot free what 'alloc' gave, so it goes back to the caller
         * with length 0 (store.h: free *buf when not NULL, even on error). */
        *buf = out;
        return rv;
    }
    snapshotHeader(out, &snap->st);
    bufPutU32(out + total - 4, (uint32_t)crc32_z(0, out, total - 4));
    *buf = out;
    *len = total;
    return 0;
}

/* Checks an encoded snapshot end to end: magic, format, CRC, every record
 * inside the buffer, and the state record agreeing with the header. Fills
 * st from the header. */
/* Length, magic and format of an encoded snapshot. */
static int snapshotHeaderCheck(const void *buf, size_t len, char *errmsg)
{
    const unsigned char *p = buf;
    if (buf == NULL || len < STORE__SNAP_HEADER + 4) {
        etcfsErrmsgf(errmsg, "snapshot: truncated (%zu bytes)", len);
        return ETCFS_CORRUPT;
    }
    if (memcmp(p, STORE__SNAP_MAGIC, 8) != 0) {
        etcfsErrmsgf(errmsg, "snapshot: bad magic");
        return ETCFS_CORRUPT;
    }
    if (bufGetU32(p + 8) < STORE__SNAP_FORMAT_MIN ||
        bufGetU32(p + 8) > STORE__SNAP_FORMAT) {
        etcfsErrmsgf(errmsg, "snapshot: unknown format %u",
                     (unsigned)bufGetU32(p + 8));
        return ETCFS_CORRUPT;
    }
    return 0;
}

static int snapshotParse(const void *buf, size_t len, struct mvcc_state *st,
                         char *errmsg)
{
    const unsigned char *p = buf;
    struct mvcc_state rec_st;
    bool have_state = false;
    size_t off;
    int rv = snapshotHeaderCheck(buf, len, errmsg);
    if (rv != 0) {
        return rv;
    }
    if ((uint32_t)crc32_z(0, p, len - 4) != bufGetU32(p + len - 4)) {
        etcfsErrmsgf(errmsg, "snapshot: checksum mismatch");
        return ETCFS_CORRUPT;
    }
    st->applied_index = bufGetU64(p + 12);
    st->applied_term = bufGetU64(p + 20);
    st->revision = (int64_t)bufGetU64(p + 28);
    st->compact_rev = (int64_t)bufGetU64(p + 36);
    st->key_count = (int64_t)bufGetU64(p + 44);
    st->compact_done = 0;
    for (off = STORE__SNAP_HEADER; off < len - 4;) {
        size_t klen;
        size_t vlen;
        if (len - 4 - off < 8) {
            goto bad;
        }
        klen = bufGetU32(p + off);
        vlen = bufGetU32(p + off + 4);
        if (len - 4 - off - 8 < klen || len - 4 - off - 8 - klen < vlen) {
            goto bad;
        }
        if (klen == MVCC_STATE_KEY_LEN &&
            memcmp(p + off + 8, MVCC_STATE_KEY, klen) == 0) {
            if (mvccStateDecode((const char *)p + off + 8 + klen, vlen,
                                &rec_st) != 0) {
                goto bad;
            }
            have_state = true;
        }
        off += 8 + klen + vlen;
    }
    if (!have_state || rec_st.applied_index != st->applied_index ||
        rec_st.revision != st->revision ||
        rec_st.compact_rev != st->compact_rev ||
        rec_st.key_count != st->key_count) {
        goto bad;
    }
    st->compact_done = rec_st.compact_done;
    return 0;
bad:
    etcfsErrmsgf(errmsg, "snapshot: malformed records");
    return ETCFS_CORRUPT;
}

int storeSnapshotInfo(const void *buf, size_t len, uint64_t *index,
                      uint64_t *term, int64_t *revision, int64_t *keys,
                      char *errmsg)
{
    struct mvcc_state st;
    int rv = snapshotParse(buf, len, &st, errmsg);
    if (rv != 0) {
        return rv;
    }
    *index = st.applied_index;
    *term = st.applied_term;
    *revision = st.revision;
    *keys = st.key_count;
    return 0;
}

int storeSnapshotPeek(const void *buf, size_t len, uint64_t *index,
                      uint64_t *term, int64_t *revision, int64_t *keys,
                      char *errmsg)
{
    const unsigned char *p = buf;
    int rv = snapshotHeaderCheck(buf, len, errmsg);
    if (rv != 0) {
        return rv;
    }
    *index = bufGetU64(p + 12);
    *term = bufGetU64(p + 20);
    *revision = (int64_t)bufGetU64(p + 28);
    *keys = (int64_t)bufGetU64(p + 44);
    return 0;
}

/* The last index entry of the key being restored: when the next entry
 * belongs to another key, its live version (not a tombstone) gets its 'k'
 * copy, as applyWriteVersion writes it. */
struct restore_latest
{
    const char *k; /* 'i' esc(key) rev sub, or NULL */
    size_t group_len;
    const char *v;
    size_t vlen;
    struct buf uk;
    struct buf lk;
    struct buf lv;
};

static int restoreLatestFlush(struct store *s, struct restore_latest *l,
                              size_t *ops, size_t *bytes, char *errmsg)
{
    struct mvcc_record rec;
    if (l->k == NULL) {
        return 0;
    }
    if (mvccRecordDecode(l->v, l->vlen, &rec) != 0) {
        return storeCorrupt(errmsg, "restore");
    }
    if (!rec.tombstone) {
        int rv;
        bufReset(&l->uk);
        bufReset(&l->lv);
        rv = mvccKeyIndexUserKey(&l->uk, l->k, l->group_len);
        if (rv == -2) {
            return storeCorrupt(errmsg, "restore");
        }
        if (rv != 0 || mvccKeyLatest(&l->lk, l->uk.data, l->uk.len) != 0 ||
            bufAppend(&l->lv, l->k + l->group_len, MVCC_REV_SUFFIX) != 0 ||
            bufAppend(&l->lv, l->v, l->vlen) != 0) {
            return storeNomem(errmsg, "restore");
        }
        leveldb_writebatch_put(s->batch, l->lk.data, l->lk.len, l->lv.data,
                               l->lv.len);
        (*ops)++;
        *bytes += l->lk.len + l->lv.len;
    }
    l->k = NULL;
    return 0;
}

/* Writes the batch when it holds enough. */
static int restoreMaybeFlush(struct store *s, size_t *ops, size_t *bytes,
                             char *errmsg)
{
    if (*ops < STORE__BATCH_OPS && *bytes < STORE__BATCH_BYTES) {
        return 0;
    }
    *ops = 0;
    *bytes = 0;
    return storeWrite(s, s->batch, errmsg, "restore");
}

int storeRestore(struct store *s, const void *buf, size_t len, char *errmsg)
{
    const unsigned char *p = buf;
    struct mvcc_state st;
    leveldb_iterator_t *it;
    leveldb_readoptions_t *ro;
    size_t ops = 0;
    size_t bytes = 0;
    size_t off;
    size_t state_off = 0;
    struct restore_latest latest;
    int rv;

    memset(&latest, 0, sizeof latest);
    rv = snapshotParse(buf, len, &st, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* 1. Drop the state record first: a crash from here on leaves a store
     * at applied index 0, which Raft fills again from its snapshot. */
    leveldb_writebatch_clear(s->batch);
    leveldb_writebatch_delete(s->batch, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN);
    rv = storeWrite(s, s->batch, errmsg, "restore");
    if (rv != 0) {
        return rv;
    }
    /* 2. Delete every key. */
    ro = leveldb_readoptions_create();
    leveldb_readoptions_set_fill_cache(ro, 0);
    it = leveldb_create_iterator(s->db, ro);
    for (leveldb_iter_seek_to_first(it); leveldb_iter_valid(it) && rv == 0;
         leveldb_iter_next(it)) {
        size_t klen;
        const char *k = leveldb_iter_key(it, &klen);
        leveldb_writebatch_delete(s->batch, k, klen);
        ops++;
        bytes += klen;
        rv = restoreMaybeFlush(s, &ops, &bytes, errmsg);
    }
    if (rv == 0) {
        rv = storeIterError(it, errmsg, "restore");
    }
    leveldb_iter_destroy(it);
    leveldb_readoptions_destroy(ro);
    if (rv == 0) {
        rv = storeWrite(s, s->batch, errmsg, "restore");
    }
    ops = 0;
    bytes = 0;
    /* 3. Write the records, the state record last; the 'k' copies are
     * rebuilt from the index (a format 1 snapshot's own are skipped). */
    for (off = STORE__SNAP_HEADER; rv == 0 && off < len - 4;) {
        size_t at = off;
        size_t klen = bufGetU32(p + off);
        size_t vlen = bufGetU32(p + off + 4);
        const char *k = (const char *)p + off + 8;
        size_t group_len = 0;
        int64_t rev;
        int64_t sub;
        bool index = klen > 0 && k[0] == MVCC_KEY_INDEX;
        off += 8 + klen + vlen;
        if (index &&
            mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) != 0) {
            rv = storeCorrupt(errmsg, "restore");
            break;
        }
        if (latest.k != NULL &&
            (!index || group_len != latest.group_len ||
             memcmp(k, latest.k, group_len) != 0)) {
            rv = restoreLatestFlush(s, &latest, &ops, &bytes, errmsg);
        }
        if (rv != 0) {
            break;
        }
        if (index) {
            latest.k = k;
            latest.group_len = group_len;
            latest.v = k + klen;
            latest.vlen = vlen;
        }
        if (klen > 0 && k[0] == MVCC_KEY_LATEST) {
            continue;
        }
        if (klen == MVCC_STATE_KEY_LEN &&
            memcmp(k, MVCC_STATE_KEY, klen) == 0) {
            state_off = at;
        } else {
            leveldb_writebatch_put(s->batch, k, klen, k + klen, vlen);
            ops++;
            bytes += klen + vlen;
            rv = restoreMaybeFlush(s, &ops, &bytes, errmsg);
        }
    }
    if (rv == 0) {
        rv = restoreLatestFlush(s, &latest, &ops, &bytes, errmsg);
    }
    bufFree(&latest.uk);
    bufFree(&latest.lk);
    bufFree(&latest.lv);
    if (rv == 0) {
        size_t klen = bufGetU32(p + state_off);
        size_t vlen = bufGetU32(p + state_off + 4);
        const char *k = (const char *)p + state_off + 8;
        leveldb_writebatch_put(s->batch, k, klen, k + klen, vlen);
        rv = storeWrite(s, s->batch, errmsg, "restore");
    }
    leveldb_writebatch_clear(s->batch);
    if (rv != 0) {
        /* Half restored: say so in memory too (the disk has no state). */
        atomic_store(&s->applied_index, 0);
        etcfsErrmsgWrapf(errmsg, "restore left the store empty");
        return rv;
    }
    /* 4. Reload the counters, finish a compaction the snapshot carried. */
    rv = storeLoadState(s, errmsg);
    if (rv == 0 && s->compact_done < atomic_load(&s->compact_rev)) {
        rv = storeCompactCleanup(s, errmsg);
    }
    return rv;
}
