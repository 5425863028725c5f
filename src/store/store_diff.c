/* What replacing the store changed (store.h storeDiff): the live keys of a
 * pinned view before a restore against the store after it, in key order,
 * as the events a watcher or a mount would have seen had the changes
 * arrived one by one (collapsed to their result). Any thread that may read
 * the store (the caller keeps the view pinned). */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

static bool liveKey(leveldb_iterator_t *it, const char **k, size_t *klen)
{
    if (!leveldb_iter_valid(it)) {
        return false;
    }
    *k = leveldb_iter_key(it, klen);
    return *klen > 0 && (*k)[0] == MVCC_KEY_LATEST;
}

/* The live version at it as a kv (key without the keyspace byte). */
static int liveKv(leveldb_iterator_t *it, struct store_kv *kv)
{
    size_t klen;
    size_t vlen;
    const char *k = leveldb_iter_key(it, &klen);
    const char *v = leveldb_iter_value(it, &vlen);
    struct mvcc_record rec;
    int64_t rev;
    int64_t sub;
    if (mvccLatestDecode(v, vlen, &rev, &sub, &rec) != 0) {
        return ETCFS_CORRUPT;
    }
    return storeKvFill(kv, k + 1, klen - 1, rev, &rec, true);
}

static int pushPut(struct store_events *out, leveldb_iterator_t *now,
                   leveldb_iterator_t *before)
{
    struct store_event *e = storeEventsPush(out);
    int rv;
    if (e == NULL) {
        return ETCFS_NOMEM;
    }
    e->type = STORE_EVENT_PUT;
    rv = liveKv(now, &e->kv);
    if (rv == 0 && before != NULL) {
        e->has_prev = true;
        rv = liveKv(before, &e->prev_kv);
    }
    return rv;
}

static int pushDelete(struct store_events *out, leveldb_iterator_t *before,
                      int64_t revision)
{
    struct store_event *e = storeEventsPush(out);
    struct mvcc_record none;
    size_t klen;
    const char *k;
    int rv;
    if (e == NULL) {
        return ETCFS_NOMEM;
    }
    e->type = STORE_EVENT_DELETE;
    k = leveldb_iter_key(before, &klen);
    memset(&none, 0, sizeof none);
    rv = storeKvFill(&e->kv, k + 1, klen - 1, revision, &none, false);
    if (rv == 0) {
        e->has_prev = true;
        rv = liveKv(before, &e->prev_kv);
    }
    return rv;
}

int storeDiff(struct store_snapshot *before, struct store_events *out,
              char *errmsg)
{
    struct store *s = before->s;
    leveldb_readoptions_t *ro_before = leveldb_readoptions_create();
    leveldb_readoptions_t *ro_now = leveldb_readoptions_create();
    leveldb_iterator_t *b;
    leveldb_iterator_t *n;
    int64_t revision = storeRevision(s);
    char first = MVCC_KEY_LATEST;
    int rv = 0;

    leveldb_readoptions_set_snapshot(ro_before, before->snap);
    leveldb_readoptions_set_fill_cache(ro_before, 0);
    leveldb_readoptions_set_fill_cache(ro_now, 0);
    b = leveldb_create_iterator(s->db, ro_before);
    n = leveldb_create_iterator(s->db, ro_now);
    leveldb_iter_seek(b, &first, 1);
    leveldb_iter_seek(n, &first, 1);
    while (rv == 0) {
        const char *bk = NULL;
        const char *nk = NULL;
        size_t bl = 0;
        size_t nl = 0;
        bool hb = liveKey(b, &bk, &bl);
        bool hn = liveKey(n, &nk, &nl);
        int cmp;
        if (!hb && !hn) {
            break;
        }
        cmp = !hb ? 1 : !hn ? -1 : mvccKeyCompare(bk, bl, nk, nl);
        if (cmp > 0) { /* created */
            rv = pushPut(out, n, NULL);
            leveldb_iter_next(n);
        } else if (cmp < 0) { /* deleted */
            rv = pushDelete(out, b, revision);
            leveldb_iter_next(b);
        } else {
            size_t bvl;
            size_t nvl;
            const char *bv = leveldb_iter_value(b, &bvl);
            const char *nv = leveldb_iter_value(n, &nvl);
            if (bvl != nvl || memcmp(bv, nv, bvl) != 0) { /* changed */
                rv = pushPut(out, n, b);
            }
            leveldb_iter_next(b);
            leveldb_iter_next(n);
        }
    }
    if (rv == 0) {
        rv = storeIterError(b, errmsg, "diff");
    }
    if (rv == 0) {
        rv = storeIterError(n, errmsg, "diff");
    }
    if (rv == ETCFS_NOMEM) {
        etcfsErrmsgf(errmsg, "diff: out of memory");
    } else if (rv == ETCFS_CORRUPT) {
        etcfsErrmsgf(errmsg, "diff: a live record does not decode");
    }
    leveldb_iter_destroy(b);
    leveldb_iter_destroy(n);
    leveldb_readoptions_destroy(ro_before);
    leveldb_readoptions_destroy(ro_now);
    return rv;
}
