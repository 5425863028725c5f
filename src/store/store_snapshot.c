/* Snapshots (format in store.c's comment): pinning the state (loop thread,
 * cheap), encoding it into one buffer (any thread: the pool), reading an
 * encoded header, and restoring a whole store from a buffer (loop thread).
 * Encoding never runs on the loop; restore checks the whole buffer before
 * it changes anything. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "store_internal.h"

#define STORE__SNAP_MAGIC "ETCFSNP1"
/* Format 2 leaves out the 'k' copies of live versions (restore rebuilds
 * them from the index): a third of the bytes. Format 1 carried them. */
#define STORE__SNAP_FORMAT 2
#define STORE__SNAP_FORMAT_MIN 1
#define STORE__SNAP_HEADER (8 + 4 + 5 * 8)
/* Bytes per batch in restore (operations: STORE__BATCH_OPS). */
#define STORE__BATCH_BYTES ((size_t)4 << 20)

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

/* The state fields snapshotHeader wrote (compact_done is not among them). */
static void snapshotHeaderDecode(const unsigned char *p, struct mvcc_state *st)
{
    st->applied_index = bufGetU64(p + 12);
    st->applied_term = bufGetU64(p + 20);
    st->revision = (int64_t)bufGetU64(p + 28);
    st->compact_rev = (int64_t)bufGetU64(p + 36);
    st->key_count = (int64_t)bufGetU64(p + 44);
    st->compact_done = 0;
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

/* Checks an encoded snapshot end to end: magic, format, CRC, every record
 * inside the buffer, and the state record agreeing with the header. Fills
 * st from the header. */
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
    snapshotHeaderDecode(p, st);
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
        rec_st.applied_term != st->applied_term ||
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
    struct mvcc_state st;
    int rv = snapshotHeaderCheck(buf, len, errmsg);
    if (rv != 0) {
        return rv;
    }
    snapshotHeaderDecode(buf, &st);
    *index = st.applied_index;
    *term = st.applied_term;
    *revision = st.revision;
    *keys = st.key_count;
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

int storeRestoreClear(struct store *s, char *errmsg)
{
    leveldb_iterator_t *it;
    leveldb_readoptions_t *ro;
    size_t ops = 0;
    size_t bytes = 0;
    int rv;

    /* The live-key filter describes the old content: the next apply
     * builds a new one. */
    keyFilterStop(s->keys);
    s->keys = NULL;
    s->keys_off = false;
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
    return rv;
}

int storeRestore(struct store *s, const void *buf, size_t len, char *errmsg)
{
    const unsigned char *p = buf;
    struct mvcc_state st;
    size_t ops = 0;
    size_t bytes = 0;
    size_t off;
    size_t state_off = 0;
    struct restore_latest latest;
    int rv;

    memset(&latest, 0, sizeof latest);
    if (storeSnapshotIsBolt(buf, len)) {
        return storeRestoreBolt(s, buf, len, errmsg);
    }
    rv = snapshotParse(buf, len, &st, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* 1, 2. Drop the state record, then every key. */
    rv = storeRestoreClear(s, errmsg);
    if (rv != 0) {
        return rv;
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
