/* etcd 3.4 snapshots: the store at one revision as etcd's backend file (a
 * bbolt database, bolt.c) followed by its SHA-256, as etcd's Maintenance
 * Snapshot streams it (etcdserver/api/v3rpc/maintenance.go), and the import
 * of such a file, ours or etcd's, into an empty store.
 *
 * What goes in it, as etcd 3.4 writes it (mvcc/kvstore*.go, revision.go,
 * lease/lessor.go, auth/store.go, etcdserver/api/membership/store.go):
 *   alarm            (empty: etcfs raises no alarms)
 *   auth             authEnabled (1 byte, only while enabled), authRevision
 *                    (u64 big-endian)
 *   authRoles        name -> authpb.Role
 *   authUsers        name -> authpb.User
 *   cluster          clusterVersion -> "3.4.0"
 *   key              main(8) '_' sub(8) [+ 't' for a tombstone] ->
 *                    mvccpb.KeyValue (a tombstone's holds only the key),
 *                    every version the store still holds, in revision order
 *   lease            id (8, big-endian) -> leasepb.Lease {ID, TTL}
 *   members, members_removed   (empty: membership lives in Raft here, and
 *                    etcdctl snapshot restore writes its own)
 *   meta             consistent_index (u64 BE, the applied index),
 *                    finishedCompactRev, scheduledCompactRev (17-byte revs)
 *
 * Threads: storeBoltOpen and storeBoltRead run on the libuv pool (a full
 * pass over the pinned LevelDB snapshot each), one call at a time per
 * file; memory stays bounded by a leaf's worth of pending bytes, one key
 * per leaf (the B+tree's branch keys) and, after a compaction, the versions
 * older than the compacted revision that are still live (they have no 'r'
 * entry to order them: one small record per such key). The import runs on
 * the loop thread before the node starts (storeRestore's caller).
 *
 * The protobuf messages are encoded by hand (store_bolt_pb.c): the store
 * stays free of the generated gRPC code, which lives above it. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "bolt.h"
#include "store_bolt_internal.h"
#include "store_internal.h"

#define STORE__BOLT_CLUSTER_VERSION "3.4.0"

enum { BKT_LIST = 0, BKT_KEY, BKT_LEASE };

/* Bucket names in byte order, as bbolt keeps them. */
static const struct
{
    const char *name;
    int kind;
} boltBuckets[] = {
    {"alarm", BKT_LIST},   {"auth", BKT_LIST},
    {"authRoles", BKT_LIST}, {"authUsers", BKT_LIST},
    {"cluster", BKT_LIST}, {"key", BKT_KEY},
    {"lease", BKT_LEASE},  {"members", BKT_LIST},
    {"members_removed", BKT_LIST}, {"meta", BKT_LIST},
};
#define STORE__BOLT_N (sizeof boltBuckets / sizeof boltBuckets[0])

/* ---- the producer ---- */

/* A version below the compacted revision: no 'r' entry orders it. */
struct bolt_old
{
    int64_t rev;
    int64_t sub;
    size_t koff; /* user key in store_bolt.old_keys */
    size_t klen;
};

struct bolt_cursor
{
    size_t pos;               /* list offset, or index into old */
    int phase;                /* key bucket: 0 old versions, 1 'r' scan */
    leveldb_iterator_t *it;   /* 'r' or 'l' scan */
    struct buf k;
    struct buf v;
    struct buf ik;
};

struct store_bolt
{
    struct store *s;
    leveldb_readoptions_t *ro; /* reads in the pinned snapshot */
    struct mvcc_state st;
    struct buf lists[STORE__BOLT_N]; /* (u32 klen, u32 vlen, k, v)* */
    struct bolt_old *old;
    size_t n_old;
    struct buf old_keys;
    struct bolt_writer w;
    uint64_t size;       /* bytes of the bolt file */
    /* pass 2 */
    struct bolt_cursor c;
    size_t bucket;       /* STORE__BOLT_N: all emitted */
    bool begun;
    bool bucket_open;
    bool done;           /* the SHA-256 is pending or sent */
    struct buf pending;  /* produced, not yet read */
    size_t pending_off;
    EVP_MD_CTX *sha;
};

static int listAdd(struct buf *l, const void *k, size_t klen, const void *v,
                   size_t vlen)
{
    if (bufAppendU32(l, (uint32_t)klen) != 0 ||
        bufAppendU32(l, (uint32_t)vlen) != 0 || bufAppend(l, k, klen) != 0 ||
        bufAppend(l, v, vlen) != 0) {
        return -1;
    }
    return 0;
}

static int oldCmp(const void *pa, const void *pb)
{
    const struct bolt_old *a = pa;
    const struct bolt_old *b = pb;
    if (a->rev != b->rev) {
        return a->rev < b->rev ? -1 : 1;
    }
    return a->sub < b->sub ? -1 : a->sub > b->sub;
}

/* The versions below the compacted revision (their 'r' entries are gone),
 * sorted by revision. */
static int boltCollectOld(struct store_bolt *b, char *errmsg)
{
    leveldb_iterator_t *it;
    struct buf user = {0};
    size_t cap = 0;
    char first = MVCC_KEY_INDEX;
    int rv = 0;
    if (b->st.compact_rev <= 0) {
        return 0;
    }
    it = leveldb_create_iterator(b->s->db, b->ro);
    for (leveldb_iter_seek(it, &first, 1); leveldb_iter_valid(it) && rv == 0;
         leveldb_iter_next(it)) {
        size_t klen;
        size_t group_len;
        int64_t rev;
        int64_t sub;
        const char *k = leveldb_iter_key(it, &klen);
        if (klen == 0 || k[0] != MVCC_KEY_INDEX) {
            break;
        }
        if (mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) != 0) {
            rv = storeCorrupt(errmsg, "snapshot");
            break;
        }
        if (rev >= b->st.compact_rev) {
            continue;
        }
        bufReset(&user);
        if (mvccKeyIndexUserKey(&user, k, group_len) != 0) {
            rv = storeCorrupt(errmsg, "snapshot");
            break;
        }
        if (b->n_old == cap) {
            struct bolt_old *o;
            cap = cap ? 2 * cap : 256;
            o = realloc(b->old, cap * sizeof *o);
            if (o == NULL) {
                rv = storeNomem(errmsg, "snapshot");
                break;
            }
            b->old = o;
        }
        b->old[b->n_old].rev = rev;
        b->old[b->n_old].sub = sub;
        b->old[b->n_old].koff = b->old_keys.len;
        b->old[b->n_old].klen = user.len;
        if (bufAppend(&b->old_keys, user.data, user.len) != 0) {
            rv = storeNomem(errmsg, "snapshot");
            break;
        }
        b->n_old++;
    }
    if (rv == 0) {
        rv = storeIterError(it, errmsg, "snapshot");
    }
    leveldb_iter_destroy(it);
    bufFree(&user);
    if (rv == 0 && b->n_old > 1) {
        qsort(b->old, b->n_old, sizeof *b->old, oldCmp);
    }
    return rv;
}

static int boltAuthLists(struct store_bolt *b, char *errmsg)
{
    struct auth *a = authNew();
    struct buf mk = {0};
    struct buf v = {0};
    char *err = NULL;
    char *rec = NULL;
    size_t rec_len = 0;
    char **names = NULL;
    size_t n = 0;
    unsigned char be[8];
    int rv = 0;
    struct buf *auth = &b->lists[1];
    struct buf *roles = &b->lists[2];
    struct buf *users = &b->lists[3];

    if (a == NULL || mvccKeyMeta(&mk, "auth", 4) != 0) {
        rv = storeNomem(errmsg, "snapshot");
        goto out;
    }
    rec = leveldb_get(b->s->db, b->ro, mk.data, mk.len, &rec_len, &err);
    if (err != NULL) {
        rv = storeDbError(err, errmsg, "snapshot");
        goto out;
    }
    if (authLoad(a, rec, rec == NULL ? 0 : rec_len) != 0) {
        rv = storeCorrupt(errmsg, "snapshot: auth state");
        goto out;
    }
    if (authEnabled(a) && listAdd(auth, "authEnabled", 11, "\x01", 1) != 0) {
        rv = storeNomem(errmsg, "snapshot");
        goto out;
    }
    bufPutU64(be, authRevision(a));
    if (listAdd(auth, "authRevision", 12, be, 8) != 0) {
        rv = storeNomem(errmsg, "snapshot");
        goto out;
    }
    /* authpb.Role {name 1, keyPermission 2 {permType 1, key 2, range_end 3}} */
    if (authRoles(a, &names, &n) != 0) {
        rv = storeNomem(errmsg, "snapshot");
        goto out;
    }
    for (size_t i = 0; i < n && rv == 0; i++) {
        struct auth_perm *perms = NULL;
        size_t np = 0;
        size_t len = strlen(names[i]);
        bufReset(&v);
        if (authRolePerms(a, names[i], len, &perms, &np) != 0 ||
            boltPbBytes(&v, 1, names[i], len, false) != 0) {
            rv = storeNomem(errmsg, "snapshot");
        }
        for (size_t j = 0; j < np && rv == 0; j++) {
            struct buf p = {0};
            if (boltPbInt(&p, 1, perms[j].type) != 0 ||
                boltPbBytes(&p, 2, perms[j].key, perms[j].key_len,
                            false) != 0 ||
                boltPbBytes(&p, 3, perms[j].range_end,
                            perms[j].range_end_len, false) != 0 ||
                boltPbBytes(&v, 2, p.data, p.len, true) != 0) {
                rv = storeNomem(errmsg, "snapshot");
            }
            bufFree(&p);
        }
        authPermsFree(perms, np);
        if (rv == 0 && listAdd(roles, names[i], len, v.data, v.len) != 0) {
            rv = storeNomem(errmsg, "snapshot");
        }
    }
    authNamesFree(names, n);
    names = NULL;
    n = 0;
    if (rv != 0) {
        goto out;
    }
    /* authpb.User {name 1, password 2, roles 3, options 4 {no_password 1}} */
    if (authUsers(a, &names, &n) != 0) {
        rv = storeNomem(errmsg, "snapshot");
        goto out;
    }
    for (size_t i = 0; i < n && rv == 0; i++) {
        char hash[256];
        bool no_password = false;
        char **ur = NULL;
        size_t nr = 0;
        size_t len = strlen(names[i]);
        bufReset(&v);
        if (authPasswordHash(a, names[i], len, hash, sizeof hash,
                             &no_password) != 0) {
            hash[0] = '\0';
        }
        if (authUserRoles(a, names[i], len, &ur, &nr) != 0) {
            ur = NULL;
            nr = 0;
        }
        if (boltPbBytes(&v, 1, names[i], len, false) != 0 ||
            boltPbBytes(&v, 2, hash, strlen(hash), false) != 0) {
            rv = storeNomem(errmsg, "snapshot");
        }
        for (size_t j = 0; j < nr && rv == 0; j++) {
            if (boltPbBytes(&v, 3, ur[j], strlen(ur[j]), true) != 0) {
                rv = storeNomem(errmsg, "snapshot");
            }
        }
        authNamesFree(ur, nr);
        if (rv == 0 && boltPbBytes(&v, 4, "\x08\x01", no_password ? 2 : 0,
                                   true) != 0) {
            rv = storeNomem(errmsg, "snapshot");
        }
        if (rv == 0 && listAdd(users, names[i], len, v.data, v.len) != 0) {
            rv = storeNomem(errmsg, "snapshot");
        }
    }
out:
    authNamesFree(names, n);
    if (rec != NULL) {
        leveldb_free(rec);
    }
    authFree(a);
    bufFree(&mk);
    bufFree(&v);
    return rv;
}

/* The small buckets, whole, in key order. */
static int boltLists(struct store_bolt *b, char *errmsg)
{
    unsigned char v[17];
    struct buf *meta = &b->lists[STORE__BOLT_N - 1];
    int rv = boltAuthLists(b, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (listAdd(&b->lists[4], "clusterVersion", 14,
                STORE__BOLT_CLUSTER_VERSION,
                sizeof STORE__BOLT_CLUSTER_VERSION - 1) != 0) {
        return storeNomem(errmsg, "snapshot");
    }
    bufPutU64(v, b->st.applied_index);
    if (listAdd(meta, "consistent_index", 16, v, 8) != 0) {
        return storeNomem(errmsg, "snapshot");
    }
    if (b->st.compact_rev > 0) {
        int64_t done = b->st.compact_done > 0 ? b->st.compact_done
                                              : b->st.compact_rev;
        memset(v, 0, sizeof v);
        bufPutU64(v, (uint64_t)done);
        v[8] = '_';
        if (listAdd(meta, "finishedCompactRev", 18, v, 17) != 0) {
            return storeNomem(errmsg, "snapshot");
        }
        bufPutU64(v, (uint64_t)b->st.compact_rev);
        if (listAdd(meta, "scheduledCompactRev", 19, v, 17) != 0) {
            return storeNomem(errmsg, "snapshot");
        }
    }
    return 0;
}

static void cursorReset(struct bolt_cursor *c)
{
    if (c->it != NULL) {
        leveldb_iter_destroy(c->it);
        c->it = NULL;
    }
    c->pos = 0;
    c->phase = 0;
}

static void cursorFree(struct bolt_cursor *c)
{
    cursorReset(c);
    bufFree(&c->k);
    bufFree(&c->v);
    bufFree(&c->ik);
}

/* The key bucket's element of version (rev, sub) of key: false in *found
 * when the index has no such version (never, unless the store is torn). */
static int keyElement(struct store_bolt *b, struct bolt_cursor *c,
                      const char *key, size_t klen, int64_t rev, int64_t sub,
                      bool *found, char *errmsg)
{
    struct mvcc_record rec;
    struct bolt_kv kv;
    char *err = NULL;
    size_t vlen = 0;
    char *v;
    unsigned char bk[18];
    int rv = 0;
    *found = false;
    if (mvccKeyIndex(&c->ik, key, klen, rev, sub) != 0) {
        return storeNomem(errmsg, "snapshot");
    }
    v = leveldb_get(b->s->db, b->ro, c->ik.data, c->ik.len, &vlen, &err);
    if (err != NULL) {
        return storeDbError(err, errmsg, "snapshot");
    }
    if (v == NULL) {
        return 0;
    }
    if (mvccRecordDecode(v, vlen, &rec) != 0) {
        leveldb_free(v);
        return storeCorrupt(errmsg, "snapshot");
    }
    /* etcd revision.go revToBytes: main, '_', sub; 't' marks a tombstone
     * (kvstore_txn.go delete writes KeyValue{Key} only) */
    bufPutU64(bk, (uint64_t)rev);
    bk[8] = '_';
    bufPutU64(bk + 9, (uint64_t)sub);
    memset(&kv, 0, sizeof kv);
    kv.key = (const unsigned char *)key;
    kv.key_len = klen;
    if (rec.tombstone) {
        bk[17] = 't';
    } else {
        kv.create_revision = rec.create_revision;
        kv.mod_revision = rev;
        kv.version = rec.version;
        kv.value = (const unsigned char *)rec.value;
        kv.value_len = rec.value_len;
        kv.lease = rec.lease;
    }
    bufReset(&c->k);
    if (bufAppend(&c->k, bk, rec.tombstone ? 18 : 17) != 0 ||
        boltKvEncode(&c->v, &kv) != 0) {
        rv = storeNomem(errmsg, "snapshot");
    }
    leveldb_free(v);
    *found = rv == 0;
    return rv;
}

/* The next element of bucket i into c->k, c->v; *end when there is none. */
static int cursorNext(struct store_bolt *b, size_t i, struct bolt_cursor *c,
                      bool *end, char *errmsg)
{
    *end = false;
    if (boltBuckets[i].kind == BKT_LIST) {
        const struct buf *l = &b->lists[i];
        uint32_t kl;
        uint32_t vl;
        if (c->pos >= l->len) {
            *end = true;
            return 0;
        }
        kl = bufGetU32(l->data + c->pos);
        vl = bufGetU32(l->data + c->pos + 4);
        bufReset(&c->k);
        bufReset(&c->v);
        if (bufAppend(&c->k, l->data + c->pos + 8, kl) != 0 ||
            bufAppend(&c->v, l->data + c->pos + 8 + kl, vl) != 0) {
            return storeNomem(errmsg, "snapshot");
        }
        c->pos += 8 + (size_t)kl + vl;
        return 0;
    }
    if (boltBuckets[i].kind == BKT_LEASE) {
        char first = MVCC_KEY_LEASE;
        size_t klen;
        size_t vlen;
        const char *k;
        const char *v;
        if (c->it == NULL) {
            c->it = leveldb_create_iterator(b->s->db, b->ro);
            leveldb_iter_seek(c->it, &first, 1);
        } else {
            leveldb_iter_next(c->it);
        }
        if (!leveldb_iter_valid(c->it)) {
            *end = true;
            return storeIterError(c->it, errmsg, "snapshot");
        }
        k = leveldb_iter_key(c->it, &klen);
        if (klen == 0 || k[0] != MVCC_KEY_LEASE) {
            *end = true;
            return 0;
        }
        v = leveldb_iter_value(c->it, &vlen);
        if (klen != 9 || vlen != 8) {
            return storeCorrupt(errmsg, "snapshot: lease record");
        }
        bufReset(&c->k);
        bufReset(&c->v);
        /* leasepb.Lease {ID 1, TTL 2} (lessor.go persistTo) */
        if (bufAppend(&c->k, k + 1, 8) != 0 ||
            boltPbInt(&c->v, 1, (int64_t)bufGetU64(k + 1)) != 0 ||
            boltPbInt(&c->v, 2, (int64_t)bufGetU64(v)) != 0) {
            return storeNomem(errmsg, "snapshot");
        }
        return 0;
    }
    /* the key bucket: the old versions, then the 'r' entries from the
     * compacted revision on */
    for (;;) {
        bool found;
        int rv;
        if (c->phase == 0) {
            if (c->pos < b->n_old) {
                const struct bolt_old *o = &b->old[c->pos++];
                rv = keyElement(b, c, b->old_keys.data + o->koff, o->klen,
                                o->rev, o->sub, &found, errmsg);
                if (rv != 0 || found) {
                    return rv;
                }
                continue;
            }
            c->phase = 1;
            c->it = leveldb_create_iterator(b->s->db, b->ro);
            if (mvccKeyRev(&c->ik, b->st.compact_rev > 0 ? b->st.compact_rev
                                                          : 0,
                           0) != 0) {
                return storeNomem(errmsg, "snapshot");
            }
            leveldb_iter_seek(c->it, c->ik.data, c->ik.len);
        } else {
            leveldb_iter_next(c->it);
        }
        if (!leveldb_iter_valid(c->it)) {
            *end = true;
            return storeIterError(c->it, errmsg, "snapshot");
        }
        {
            size_t klen;
            size_t vlen;
            int64_t rev;
            int64_t sub;
            const char *k = leveldb_iter_key(c->it, &klen);
            const char *v;
            if (klen == 0 || k[0] != MVCC_KEY_REV) {
                *end = true;
                return 0;
            }
            if (mvccKeyRevParse(k, klen, &rev, &sub) != 0) {
                return storeCorrupt(errmsg, "snapshot");
            }
            v = leveldb_iter_value(c->it, &vlen);
            /* copy the key: keyElement reuses c->ik */
            bufReset(&c->v);
            if (bufAppend(&c->v, v, vlen) != 0) {
                return storeNomem(errmsg, "snapshot");
            }
            {
                struct buf user = c->v;
                c->v = (struct buf){0};
                rv = keyElement(b, c, user.data, user.len, rev, sub, &found,
                                errmsg);
                bufFree(&user);
            }
            /* a tombstone at the compacted revision itself: the store
             * keeps it, etcd's compaction does not (key_index.go compact
             * drops a generation whose tombstone is at or below it) */
            if (rv == 0 && found && rev == b->st.compact_rev &&
                c->k.len == 18) {
                continue;
            }
            if (rv != 0 || found) {
                return rv;
            }
        }
    }
}

void storeBoltClose(struct store_bolt *b)
{
    if (b == NULL) {
        return;
    }
    cursorFree(&b->c);
    for (size_t i = 0; i < STORE__BOLT_N; i++) {
        bufFree(&b->lists[i]);
    }
    free(b->old);
    bufFree(&b->old_keys);
    boltWriterFree(&b->w);
    bufFree(&b->pending);
    if (b->sha != NULL) {
        EVP_MD_CTX_free(b->sha);
    }
    if (b->ro != NULL) {
        leveldb_readoptions_destroy(b->ro);
    }
    free(b);
}

static int boltWriterError(int rv, char *errmsg)
{
    if (rv == -1) {
        return storeNomem(errmsg, "snapshot");
    }
    if (rv == -2) {
        etcfsErrmsgf(errmsg, "snapshot: state changed while pinned");
        return ETCFS_IO;
    }
    return rv;
}

int storeBoltOpen(struct store_snapshot *snap, struct store_bolt **out,
                  char *errmsg)
{
    struct store_bolt *b = calloc(1, sizeof *b);
    int rv;
    *out = NULL;
    if (b == NULL) {
        return storeNomem(errmsg, "snapshot");
    }
    b->s = snap->s;
    b->st = snap->st;
    b->ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(b->ro, snap->snap);
    leveldb_readoptions_set_fill_cache(b->ro, 0);
    boltWriterInit(&b->w);
    b->sha = EVP_MD_CTX_new();
    if (b->sha == NULL || EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL) != 1) {
        storeBoltClose(b);
        return storeNomem(errmsg, "snapshot");
    }
    rv = boltLists(b, errmsg);
    if (rv == 0) {
        rv = boltCollectOld(b, errmsg);
    }
    /* pass 1: the layout */
    for (size_t i = 0; i < STORE__BOLT_N && rv == 0; i++) {
        const char *name = boltBuckets[i].name;
        bool end = false;
        rv = boltWriterError(boltLayoutBucket(&b->w, name, strlen(name)),
                             errmsg);
        cursorReset(&b->c);
        while (rv == 0) {
            rv = cursorNext(b, i, &b->c, &end, errmsg);
            if (rv != 0 || end) {
                break;
            }
            rv = boltWriterError(boltLayoutAdd(&b->w, b->c.k.data, b->c.k.len,
                                               b->c.v.len),
                                 errmsg);
        }
    }
    cursorReset(&b->c);
    if (rv == 0) {
        /* txid: the applied index, as a stand-in for etcd's count of
         * backend commits */
        rv = boltWriterError(boltLayoutEnd(&b->w, b->st.applied_index + 2,
                                           &b->size),
                             errmsg);
    }
    if (rv != 0) {
        storeBoltClose(b);
        return rv;
    }
    *out = b;
    return 0;
}

int storeBoltEach(struct store_snapshot *snap, bool key_only,
                  store_bolt_each_fn fn, void *data, char *errmsg)
{
    struct store_bolt *b = calloc(1, sizeof *b);
    int rv = 0;
    if (b == NULL) {
        return storeNomem(errmsg, "hash");
    }
    b->s = snap->s;
    b->st = snap->st;
    b->ro = leveldb_readoptions_create();
    leveldb_readoptions_set_snapshot(b->ro, snap->snap);
    leveldb_readoptions_set_fill_cache(b->ro, 0);
    if (!key_only) {
        rv = boltLists(b, errmsg);
    }
    if (rv == 0) {
        rv = boltCollectOld(b, errmsg);
    }
    for (size_t i = 0; i < STORE__BOLT_N && rv == 0; i++) {
        struct store_bolt_elem e = {.bucket = boltBuckets[i].name};
        bool end = false;
        if (key_only && boltBuckets[i].kind != BKT_KEY) {
            continue;
        }
        cursorReset(&b->c);
        rv = fn(data, &e); /* the bucket begins: e.k NULL */
        while (rv == 0) {
            rv = cursorNext(b, i, &b->c, &end, errmsg);
            if (rv != 0 || end) {
                break;
            }
            e.k = (const unsigned char *)b->c.k.data;
            e.klen = b->c.k.len;
            e.v = (const unsigned char *)b->c.v.data;
            e.vlen = b->c.v.len;
            if (boltBuckets[i].kind == BKT_KEY) {
                struct bolt_kv kv;
                /* main(8) '_' sub(8) ['t'], as keyElement wrote it */
                if (e.klen < 17 || boltKvDecode(e.v, e.vlen, &kv) != 0) {
                    rv = storeCorrupt(errmsg, "hash");
                    break;
                }
                e.rev = (int64_t)bufGetU64(b->c.k.data);
                e.sub = (int64_t)bufGetU64(b->c.k.data + 9);
                e.tombstone = e.klen == 18;
                e.key = (const char *)kv.key;
                e.key_len = kv.key_len;
            }
            rv = fn(data, &e);
        }
        if (rv == 1) {
            rv = 0;
            break;
        }
    }
    storeBoltClose(b);
    return rv;
}

uint64_t storeBoltSize(const struct store_bolt *b)
{
    return b->size;
}

static int boltSinkCb(void *data, const void *p, size_t len)
{
    struct store_bolt *b = data;
    if (EVP_DigestUpdate(b->sha, p, len) != 1) {
        return ETCFS_NOMEM;
    }
    return bufAppend(&b->pending, p, len) == 0 ? 0 : -1;
}

/* Produces the next piece of the file into b->pending. */
static int boltStep(struct store_bolt *b, char *errmsg)
{
    bool end = false;
    int rv;
    if (!b->begun) {
        b->begun = true;
        return boltWriterError(boltEmitBegin(&b->w, boltSinkCb, b), errmsg);
    }
    if (b->bucket == STORE__BOLT_N) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        b->done = true;
        if (EVP_DigestFinal_ex(b->sha, md, &n) != 1 || n != STORE__BOLT_SHA ||
            bufAppend(&b->pending, md, n) != 0) {
            return storeNomem(errmsg, "snapshot");
        }
        return 0;
    }
    if (!b->bucket_open) {
        b->bucket_open = true;
        cursorReset(&b->c);
        return boltWriterError(boltEmitBucket(&b->w), errmsg);
    }
    rv = cursorNext(b, b->bucket, &b->c, &end, errmsg);
    if (rv != 0) {
        return rv;
    }
    if (!end) {
        return boltWriterError(boltEmitPut(&b->w, b->c.k.data, b->c.k.len,
                                           b->c.v.data, b->c.v.len),
                               errmsg);
    }
    b->bucket_open = false;
    rv = boltWriterError(boltEmitBucketEnd(&b->w), errmsg);
    if (rv == 0 && ++b->bucket == STORE__BOLT_N) {
        cursorReset(&b->c);
        rv = boltWriterError(boltEmitEnd(&b->w), errmsg);
    }
    return rv;
}

int storeBoltRead(struct store_bolt *b, void *dst, size_t cap, size_t *n,
                  char *errmsg)
{
    size_t got = 0;
    *n = 0;
    while (got < cap) {
        size_t avail = b->pending.len - b->pending_off;
        if (avail > 0) {
            size_t take = avail < cap - got ? avail : cap - got;
            memcpy((char *)dst + got, b->pending.data + b->pending_off, take);
            b->pending_off += take;
            got += take;
            continue;
        }
        bufReset(&b->pending);
        b->pending_off = 0;
        if (b->done) {
            break;
        }
        {
            int rv = boltStep(b, errmsg);
            if (rv != 0) {
                return rv;
            }
        }
    }
    *n = got;
    return 0;
}
