/* Compaction (storeApplyCompact): the apply batch records the compacted
 * revision, then storeCompactCleanup deletes what became unreadable in
 * bounded batches, recording its progress so an interrupted cleanup
 * resumes (storeOpen, storeRestore). What it deletes is noted for tidying
 * (store_tidy.c), so LevelDB gives the space back soon, as bbolt reuses
 * etcd's freed pages: under a quota, a compacted history makes room. Apply
 * thread only (or inside open and restore); never runs on a reader's
 * thread. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* Revision entries read per compaction chunk. */
#define STORE__COMPACT_CHUNK 4096

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
            storeTidyNote(s, prev->data, prev->len);
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
        storeTidyNote(s, prev->data, prev->len);
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
int storeCompactCleanup(struct store *s, char *errmsg)
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
            if (storeKvsPushKey(&keys, v, vlen) != 0) {
                rv = storeNomem(errmsg, "compact");
                break;
            }
            if (rev < target) {
                leveldb_writebatch_delete(s->batch, rk, klen);
                storeTidyNote(s, rk, klen);
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
