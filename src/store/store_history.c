/* History (storeHistory): the events of a span of revisions, found
 * through the 'r' entries, for watch catch-up. Any thread, over a pinned
 * view; never writes, and stops near max_events at a revision boundary so
 * a caller bounds its work per call. */
#include <string.h>

#include "store_internal.h"

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
