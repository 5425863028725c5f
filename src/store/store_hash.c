/* etcd 3.4's consistency hashes over the pinned state: Hash, the CRC-32C
 * of the whole backend (mvcc/backend/backend.go Hash with kvstore.go's
 * DefaultIgnores), and HashKV, the CRC-32C of the key bucket up to a
 * revision (mvcc/kvstore.go HashByRev). Both hash the elements of the very
 * bbolt file a snapshot streams (store_bolt.c's storeBoltEach), so the key
 * bucket's bytes are etcd's and a history replayed on etcd gives the same
 * HashKV.
 *
 * HashByRev, as etcd computes it: CRC-32C of "key", then of every element
 * (revision key, then mvccpb.KeyValue) whose main revision is at most rev;
 * an element at or below the compacted revision only when it is in
 * kvindex.Keep(rev) (the latest version at or below rev of a key live at
 * rev: what a compaction at rev would keep), unless Keep(rev) is empty
 * (then every such element). Elements above the compacted revision are all
 * hashed. compact_revision is -1 until the first compaction.
 *
 * Threads: any (the pool): each is a full pass over the pinned snapshot,
 * never run on the loop. */
#include <stdlib.h>
#include <string.h>

#include "../lib/crc32c.h"
#include "store_internal.h"

/* ---- Hash ---- */

static int hashAllCb(void *data, const struct store_bolt_elem *e)
{
    uint32_t *crc = data;
    if (e->k == NULL) {
        *crc = crc32c(*crc, e->bucket, strlen(e->bucket));
        return 0;
    }
    /* DefaultIgnores: meta/consistent_index */
    if (strcmp(e->bucket, "meta") == 0 && e->klen == 16 &&
        memcmp(e->k, "consistent_index", 16) == 0) {
        return 0;
    }
    *crc = crc32c(*crc, e->k, e->klen);
    *crc = crc32c(*crc, e->v, e->vlen);
    return 0;
}

int storeHash(struct store_snapshot *snap, uint32_t *hash, int64_t *revision,
              char *errmsg)
{
    uint32_t crc = 0;
    int rv = storeBoltEach(snap, false, hashAllCb, &crc, errmsg);
    if (rv != 0) {
        return rv;
    }
    *hash = crc;
    *revision = snap->st.revision;
    return 0;
}

/* ---- HashKV ---- */

struct hash_kv
{
    struct store_snapshot *snap;
    leveldb_readoptions_t *ro;
    leveldb_iterator_t *it; /* the index, for keptAt */
    struct buf ik;
    int64_t rev;            /* hash up to this main revision */
    int64_t compact;        /* the compacted revision (0: none) */
    /* pass 1: for each element at or below compact, whether Keep(rev)
     * holds it */
    struct buf kept;
    bool any_kept;
    bool any_dropped;
    /* pass 2 */
    bool filter; /* Keep(rev) is not empty: drop what it lacks */
    size_t i;
    uint32_t crc;
    char *errmsg;
};

/* Whether version (rev, sub) of e's key is in Keep(h->rev): a live
 * version with no later one at or below h->rev (key_index.go doCompact
 * over the key's generations). */
static int keptAt(struct hash_kv *h, const struct store_bolt_elem *e,
                  bool *kept)
{
    size_t klen;
    size_t group_len;
    int64_t rev;
    int64_t sub;
    const char *k;
    *kept = false;
    if (e->tombstone) {
        return 0;
    }
    if (mvccKeyIndex(&h->ik, e->key, e->key_len, e->rev, e->sub) != 0) {
        return storeNomem(h->errmsg, "hash");
    }
    if (h->it == NULL) {
        h->it = leveldb_create_iterator(h->snap->s->db, h->ro);
    }
    leveldb_iter_seek(h->it, h->ik.data, h->ik.len);
    if (!leveldb_iter_valid(h->it)) {
        return storeIterError(h->it, h->errmsg, "hash") != 0
                   ? ETCFS_IO
                   : storeCorrupt(h->errmsg, "hash: version not indexed");
    }
    leveldb_iter_next(h->it);
    if (!leveldb_iter_valid(h->it)) {
        *kept = true;
        return storeIterError(h->it, h->errmsg, "hash");
    }
    k = leveldb_iter_key(h->it, &klen);
    /* the next LevelDB key: a later version of the same key shares the
     * group ('i' esc(key)), which is ik without its 16-byte suffix */
    if (klen == h->ik.len &&
        memcmp(k, h->ik.data, h->ik.len - MVCC_REV_SUFFIX) == 0 &&
        mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) == 0 &&
        group_len == h->ik.len - MVCC_REV_SUFFIX) {
        *kept = rev > h->rev;
        return 0;
    }
    *kept = true;
    return 0;
}

static int hashKvMarkCb(void *data, const struct store_bolt_elem *e)
{
    struct hash_kv *h = data;
    bool kept;
    int rv;
    if (e->k == NULL) {
        return 0;
    }
    if (e->rev > h->compact) {
        return 1;
    }
    rv = keptAt(h, e, &kept);
    if (rv != 0) {
        return rv;
    }
    if (bufAppendByte(&h->kept, kept) != 0) {
        return storeNomem(h->errmsg, "hash");
    }
    h->any_kept |= kept;
    h->any_dropped |= !kept;
    return 0;
}

/* Whether some key is live at h->rev (Keep(rev) is not empty): its latest
 * version at or below rev is no tombstone. A pass over the index. */
static int anyLive(struct hash_kv *h, bool *live)
{
    leveldb_iterator_t *it = leveldb_create_iterator(h->snap->s->db, h->ro);
    struct buf group = {0};
    bool cur = false; /* the current key's state at rev */
    char first = MVCC_KEY_INDEX;
    int rv = 0;
    *live = false;
    for (leveldb_iter_seek(it, &first, 1); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        struct mvcc_record rec;
        size_t klen;
        size_t vlen;
        size_t group_len;
        int64_t rev;
        int64_t sub;
        const char *k = leveldb_iter_key(it, &klen);
        const char *v;
        if (klen == 0 || k[0] != MVCC_KEY_INDEX) {
            break;
        }
        if (mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) != 0) {
            rv = storeCorrupt(h->errmsg, "hash");
            break;
        }
        if (group.len != group_len || memcmp(group.data, k, group_len) != 0) {
            if (cur) {
                break; /* the previous key is live */
            }
            bufReset(&group);
            if (bufAppend(&group, k, group_len) != 0) {
                rv = storeNomem(h->errmsg, "hash");
                break;
            }
        }
        if (rev > h->rev) {
            continue;
        }
        v = leveldb_iter_value(it, &vlen);
        if (mvccRecordDecode(v, vlen, &rec) != 0) {
            rv = storeCorrupt(h->errmsg, "hash");
            break;
        }
        cur = !rec.tombstone;
    }
    if (rv == 0) {
        rv = storeIterError(it, h->errmsg, "hash");
    }
    leveldb_iter_destroy(it);
    bufFree(&group);
    *live = rv == 0 && cur;
    return rv;
}

static int hashKvCb(void *data, const struct store_bolt_elem *e)
{
    struct hash_kv *h = data;
    if (e->k == NULL) {
        h->crc = crc32c(h->crc, e->bucket, strlen(e->bucket));
        return 0;
    }
    if (e->rev > h->rev) {
        return 1;
    }
    if (e->rev <= h->compact) {
        size_t i = h->i++;
        if (h->filter && (i >= h->kept.len || h->kept.data[i] == 0)) {
            return 0;
        }
    }
    h->crc = crc32c(h->crc, e->k, e->klen);
    h->crc = crc32c(h->crc, e->v, e->vlen);
    return 0;
}

int storeHashKV(struct store_snapshot *snap, int64_t rev,
                struct store_hashkv *out, char *errmsg)
{
    struct hash_kv h = {.snap = snap, .errmsg = errmsg};
    int64_t current = snap->st.revision;
    int rv = 0;
    /* kvstore.go: compactMainRev is -1 until the first compaction */
    out->compact_revision = snap->st.compact_rev > 0 ? snap->st.compact_rev
                                                     : -1;
    out->revision = current;
    out->hash = 0;
    if (rev > 0 && rev <= out->compact_revision) {
        out->revision = 0;
        return ETCFS_COMPACTED;
    }
    if (rev > 0 && rev > current) {
        out->compact_revision = 0;
        return ETCFS_FUTURE_REV;
    }
    h.rev = rev == 0 ? current : rev;
    h.compact = snap->st.compact_rev > 0 ? snap->st.compact_rev : 0;
    h.ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(h.ro, snap->snap);
    leveldb_readoptions_set_fill_cache(h.ro, 0);
    if (h.compact > 0) {
        rv = storeBoltEach(snap, true, hashKvMarkCb, &h, errmsg);
    }
    if (rv == 0 && h.any_dropped) {
        bool live = h.any_kept;
        if (!live) {
            rv = anyLive(&h, &live);
        }
        h.filter = live;
    }
    if (rv == 0) {
        rv = storeBoltEach(snap, true, hashKvCb, &h, errmsg);
    }
    if (h.it != NULL) {
        leveldb_iter_destroy(h.it);
    }
    leveldb_readoptions_destroy(h.ro);
    bufFree(&h.ik);
    bufFree(&h.kept);
    if (rv == 0) {
        out->hash = h.crc;
    }
    return rv;
}
