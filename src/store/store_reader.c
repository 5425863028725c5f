/* The reader: point reads and range collection at a revision over one
 * LevelDB view (the current revision through the 'k' copies, older ones
 * through the index), and the pinned views that reads on other threads
 * open. Any thread (the apply thread reads the state before a command
 * through one); never writes. */
#include <string.h>

#include "store_internal.h"

/* Steps over versions of one key before a range seeks instead. */
#define STORE__MAX_STEPS 4

/* ---- reader: point and range reads at a revision over one view ---- */

void storeReaderInit(struct store_reader *rd, struct store *s,
                     const leveldb_readoptions_t *ro, int64_t latest)
{
    memset(rd, 0, sizeof *rd);
    rd->s = s;
    rd->ro = ro;
    rd->latest = latest;
}

void storeReaderClose(struct store_reader *rd)
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

leveldb_iterator_t *storeReaderIter(struct store_reader *rd)
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
int storeReaderGet(struct store_reader *rd, const char *key, size_t len,
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

bool storeKvPasses(const struct store_collect *c, const struct store_kv *kv)
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
        if (storeKvsPushFill(out, k + 1, klen - 1, rev, &rec,
                             c->want_value) != 0) {
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
int storeReaderCollect(struct store_reader *rd, const char *key, size_t key_len,
                       const char *end, size_t end_len,
                       const struct store_collect *c, struct store_kvs *out,
                       int64_t *count, char *errmsg)
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
            if (storeKvsPushFill(out, rd->user.data, rd->user.len, best_rev,
                                 &rec, c->want_value) != 0) {
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

/* ---- views: a pinned state for reads on any thread ---- */

void storeViewClose(struct store *s, struct store_view *v)
{
    leveldb_readoptions_destroy(v->ro);
    leveldb_release_snapshot(s->db, v->snap);
}

int storeViewOpen(struct store *s, struct store_view *v, char *errmsg)
{
    struct mvcc_state st;
    int rv;
    v->snap = leveldb_create_snapshot(s->db);
    v->ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(v->ro, v->snap);
    /* The state record of the snapshot itself: exactly its revision (1
     * when empty, or a restore in progress). */
    rv = storeStateRead(s, v->ro, &st, errmsg);
    if (rv != 0) {
        storeViewClose(s, v);
        return rv;
    }
    v->rev = st.revision;
    v->compact_rev = st.compact_rev;
    return 0;
}
