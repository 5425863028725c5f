/* The MVCC store over LevelDB (contract in store.h, byte layout in
 * mvcc_key.h). This file owns the store itself: opening (and finishing an
 * interrupted compaction), closing, the state record written with every
 * batch, and the accessors. The rest is split by concern into the
 * store_*.c files, which share store_internal.h; only those files include
 * leveldb/c.h. storeOpen runs once at startup, before anything else uses
 * the store, storeClose once at shutdown, after everything else is done
 * with it (daemon.c); the accessors run on any thread.
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
 *   "ETCFSNP1", u32 format 2, u64 applied index, term, revision, compacted
 *   revision, key count, then (u32 klen, u32 vlen, key, value)* for every
 *   LevelDB key but the 'k' copies (format 1 carried them too; restore
 *   reads both and rebuilds the copies from the index), then a CRC-32 of
 *   all that (integers big-endian). Restore verifies everything first, then
 *   drops the state record (so a crash midway leaves a store at applied
 *   index 0 that Raft restores again), deletes every key, writes the
 *   records and the state record last. */
#include <dirent.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../core/metrics.h"
#include "../lib/fs.h"
#include "store_internal.h"

#define STORE__DEFAULT_CACHE ((size_t)8 << 20)
#define STORE__WRITE_BUFFER ((size_t)16 << 20)
#define STORE__DEFAULT_MAX_TXN_OPS 128
#define STORE__BLOOM_BITS 10

/* ---- the state record, open and close ---- */

int storeStateRead(struct store *s, const leveldb_readoptions_t *ro,
                   struct mvcc_state *st, char *errmsg)
{
    char *err = NULL;
    size_t vlen = 0;
    int rc;
    char *v = leveldb_get(s->db, ro, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN,
                          &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, "read state");
    }
    if (v == NULL) {
        memset(st, 0, sizeof *st);
        st->revision = 1; /* etcd: an empty store is at revision 1 */
        return 0;
    }
    rc = mvccStateDecode(v, vlen, st);
    leveldb_free(v);
    if (rc != 0) {
        etcfsErrmsgf(errmsg, "read state: malformed state record");
        return ETCFS_CORRUPT;
    }
    return 0;
}

int storeLoadState(struct store *s, char *errmsg)
{
    struct mvcc_state st;
    int rv = storeStateRead(s, s->ro, &st, errmsg);
    if (rv != 0) {
        return rv;
    }
    atomic_store(&s->applied_index, st.applied_index);
    atomic_store(&s->applied_term, st.applied_term);
    atomic_store(&s->key_count, st.key_count);
    atomic_store(&s->compact_rev, st.compact_rev);
    atomic_store(&s->revision, st.revision);
    s->compact_done = st.compact_done;
    return storeAuthReload(s, errmsg);
}

void storeStateGet(struct store *s, struct mvcc_state *st)
{
    st->applied_index = atomic_load(&s->applied_index);
    st->applied_term = atomic_load(&s->applied_term);
    st->revision = atomic_load(&s->revision);
    st->compact_rev = atomic_load(&s->compact_rev);
    st->compact_done = s->compact_done;
    st->key_count = atomic_load(&s->key_count);
}

void storeStatePut(leveldb_writebatch_t *b, const struct mvcc_state *st)
{
    char enc[MVCC_STATE_LEN];
    mvccStateEncode(enc, st);
    leveldb_writebatch_put(b, MVCC_STATE_KEY, MVCC_STATE_KEY_LEN, enc,
                           sizeof enc);
}

int storeWrite(struct store *s, leveldb_writebatch_t *b, char *errmsg,
               const char *what)
{
    char *err = NULL;
    struct timespec t0;
    struct timespec t1;
    if (s->commit_hist != NULL) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
    }
    leveldb_write(s->db, s->wo, b, &err);
    if (s->commit_hist != NULL) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        metricsObserve(s->commit_hist,
                       (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000LL +
                                  (t1.tv_nsec - t0.tv_nsec)));
    }
    leveldb_writebatch_clear(b);
    if (err != NULL) {
        return storeDbError(err, errmsg, what);
    }
    return 0;
}

/* Destroys the options, cache, filter and batch storeOpen creates around
 * the database, in reverse order of creation. */
static void storeOptionsDestroy(struct store *s)
{
    leveldb_writebatch_destroy(s->batch);
    leveldb_writeoptions_destroy(s->wo);
    leveldb_readoptions_destroy(s->ro);
    leveldb_options_destroy(s->options);
    leveldb_filterpolicy_destroy(s->filter);
    leveldb_cache_destroy(s->cache);
}

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
    s->commit_hist = opts != NULL ? opts->commit_hist : NULL;
    s->max_txn_ops = opts != NULL && opts->max_txn_ops != 0
                         ? opts->max_txn_ops
                         : STORE__DEFAULT_MAX_TXN_OPS;
    s->path = storeDup(path, strlen(path));
    s->auth = authNew();
    if (s->path == NULL || s->auth == NULL) {
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
    storeOptionsDestroy(s);
err_after_alloc:
    authFree(s->auth);
    free(s->path);
    free(s);
    return rv;
}

void storeClose(struct store *s)
{
    if (s == NULL) {
        return;
    }
    keyFilterStop(s->keys);
    leveldb_close(s->db);
    storeOptionsDestroy(s);
    authFree(s->auth);
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

/* What LevelDB has written but not synced lives in its write-ahead log
 * files ("NNNNNN.log": tables and the manifest are synced when written),
 * so an fsync of each, and of the directory that names them, makes every
 * batch written so far durable. Done on fds of our own, not as a synced
 * LevelDB write: that one would hold LevelDB's writer queue, and with it
 * the loop's next apply, for the whole fsync. */
int storeSync(struct store *s, char *errmsg)
{
    DIR *dir = opendir(s->path);
    struct dirent *e;
    int rv = 0;
    if (dir == NULL) {
        etcfsErrmsgf(errmsg, "sync: open %s: %s", s->path, strerror(errno));
        return ETCFS_IO;
    }
    while (rv == 0 && (e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        int fd;
        if (n < 5 || strcmp(e->d_name + n - 4, ".log") != 0) {
            continue;
        }
        fd = openat(dirfd(dir), e->d_name, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) {
                continue; /* LevelDB removed it meanwhile: in a table now */
            }
            etcfsErrmsgf(errmsg, "sync: open %s: %s", e->d_name,
                         strerror(errno));
            rv = ETCFS_IO;
            break;
        }
        if (fsync(fd) != 0) {
            etcfsErrmsgf(errmsg, "sync: fsync %s: %s", e->d_name,
                         strerror(errno));
            rv = ETCFS_IO;
        }
        close(fd);
    }
    if (rv == 0 && fsync(dirfd(dir)) != 0) {
        etcfsErrmsgf(errmsg, "sync: fsync %s: %s", s->path, strerror(errno));
        rv = ETCFS_IO;
    }
    closedir(dir);
    return rv;
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
