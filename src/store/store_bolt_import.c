/* The import of an etcd 3.4 backend file (a bbolt database, bolt.c), ours
 * (store_bolt.c) or etcd's own snapshot, with or without the SHA-256 etcd
 * appends, into an empty store: every version of the key bucket with its
 * revisions, leases, users, roles and the auth flags, the compacted and
 * applied positions. Runs on the loop thread before the node starts
 * (storeRestore's caller). */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "bolt.h"
#include "store_bolt_internal.h"
#include "store_internal.h"

bool storeSnapshotIsBolt(const void *buf, size_t len)
{
    return boltIsBolt(buf, len);
}

struct bolt_import
{
    struct store *s;
    struct buf k;
    struct buf v;
    size_t ops;
    size_t bytes;
    int64_t max_rev;
    uint64_t n;
    bool write; /* false: only check */
    char *errmsg;
};

static int importFlush(struct bolt_import *im, bool force)
{
    if (!force && im->ops < STORE__BATCH_OPS && im->bytes < ((size_t)4 << 20)) {
        return 0;
    }
    im->ops = 0;
    im->bytes = 0;
    return storeWrite(im->s, im->s->batch, im->errmsg, "restore");
}

static int importPut(struct bolt_import *im, const struct buf *k,
                     const struct buf *v)
{
    leveldb_writebatch_put(im->s->batch, k->data, k->len, v->data, v->len);
    im->ops++;
    im->bytes += k->len + v->len;
    return importFlush(im, false);
}

static int importKeyCb(void *data, const unsigned char *k, size_t klen,
                       const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct bolt_import *im = data;
    struct bolt_kv kv;
    struct mvcc_record rec;
    int64_t rev;
    int64_t sub;
    bool tomb = klen == 18 && k[17] == 't';
    if (is_bucket || (klen != 17 && !tomb) || k[8] != '_' ||
        boltKvDecode(v, vlen, &kv) != 0 || kv.key_len == 0) {
        return storeCorrupt(im->errmsg, "restore: key bucket");
    }
    rev = (int64_t)bufGetU64(k);
    sub = (int64_t)bufGetU64(k + 9);
    if (rev <= 0 || sub < 0) {
        return storeCorrupt(im->errmsg, "restore: key bucket");
    }
    if (rev > im->max_rev) {
        im->max_rev = rev;
    }
    im->n++;
    if (!im->write) {
        return 0;
    }
    memset(&rec, 0, sizeof rec);
    rec.tombstone = tomb;
    if (!tomb) {
        rec.create_revision = kv.create_revision;
        rec.version = kv.version;
        rec.lease = kv.lease;
        rec.value = (const char *)kv.value;
        rec.value_len = kv.value_len;
    }
    if (mvccKeyIndex(&im->k, (const char *)kv.key, kv.key_len, rev, sub) !=
            0 ||
        mvccRecordEncode(&im->v, &rec) != 0) {
        return storeNomem(im->errmsg, "restore");
    }
    if (importPut(im, &im->k, &im->v) != 0) {
        return ETCFS_IO;
    }
    if (mvccKeyRev(&im->k, rev, sub) != 0) {
        return storeNomem(im->errmsg, "restore");
    }
    bufReset(&im->v);
    if (bufAppend(&im->v, kv.key, kv.key_len) != 0) {
        return storeNomem(im->errmsg, "restore");
    }
    return importPut(im, &im->k, &im->v) != 0 ? ETCFS_IO : 0;
}

static int importLeaseCb(void *data, const unsigned char *k, size_t klen,
                         const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct bolt_import *im = data;
    const unsigned char *end = v + vlen;
    struct pb_field f;
    int64_t ttl = 0;
    int rv;
    if (is_bucket || klen != 8) {
        return storeCorrupt(im->errmsg, "restore: lease bucket");
    }
    while ((rv = boltPbNext(&v, end, &f)) == 0) {
        if (f.num == 2 && f.wire == 0) {
            ttl = (int64_t)f.u;
        }
    }
    if (rv != 1) {
        return storeCorrupt(im->errmsg, "restore: lease bucket");
    }
    if (!im->write) {
        return 0;
    }
    if (mvccKeyLease(&im->k, (int64_t)bufGetU64(k)) != 0 ||
        (bufReset(&im->v), bufAppendU64(&im->v, (uint64_t)ttl)) != 0) {
        return storeNomem(im->errmsg, "restore");
    }
    return importPut(im, &im->k, &im->v) != 0 ? ETCFS_IO : 0;
}

/* meta bucket: what we read */
struct bolt_meta
{
    uint64_t consistent_index;
    int64_t scheduled;
    bool auth_enabled;
    char *errmsg;
};

static int importMetaCb(void *data, const unsigned char *k, size_t klen,
                        const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct bolt_meta *m = data;
    (void)is_bucket;
    if (klen == 16 && memcmp(k, "consistent_index", 16) == 0 && vlen == 8) {
        m->consistent_index = bufGetU64(v);
    } else if (klen == 19 && memcmp(k, "scheduledCompactRev", 19) == 0 &&
               vlen == 17) {
        m->scheduled = (int64_t)bufGetU64(v);
    } else if (klen == 11 && memcmp(k, "authEnabled", 11) == 0 &&
               vlen == 1) {
        m->auth_enabled = v[0] == 1;
    }
    return 0;
}

/* authpb.Role and authpb.User into auth operations on a. */
static int importRoleCb(void *data, const unsigned char *k, size_t klen,
                        const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct auth *a = data;
    const unsigned char *end = v + vlen;
    struct auth_op op;
    struct pb_field f;
    int rv;
    (void)is_bucket;
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_ROLE_ADD;
    op.name = (const char *)k;
    op.name_len = klen;
    if (authApply(a, &op) != 0) {
        return -2;
    }
    while ((rv = boltPbNext(&v, end, &f)) == 0) {
        const unsigned char *pp;
        struct pb_field g;
        if (f.num != 2 || f.wire != 2) {
            continue;
        }
        memset(&op, 0, sizeof op);
        op.type = AUTH_OP_ROLE_GRANT;
        op.name = (const char *)k;
        op.name_len = klen;
        pp = f.p;
        while ((rv = boltPbNext(&pp, f.p + f.n, &g)) == 0) {
            if (g.num == 1 && g.wire == 0) {
                op.perm_type = (int)g.u;
            } else if (g.num == 2 && g.wire == 2) {
                op.key = (const char *)g.p;
                op.key_len = g.n;
            } else if (g.num == 3 && g.wire == 2) {
                op.range_end = (const char *)g.p;
                op.range_end_len = g.n;
            }
        }
        if (rv != 1 || authApply(a, &op) != 0) {
            return -2;
        }
    }
    return rv == 1 ? 0 : -2;
}

static int importUserCb(void *data, const unsigned char *k, size_t klen,
                        const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct auth *a = data;
    const unsigned char *end = v + vlen;
    const unsigned char *p = v;
    struct auth_op op;
    struct pb_field f;
    int rv;
    (void)is_bucket;
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_USER_ADD;
    op.name = (const char *)k;
    op.name_len = klen;
    op.hash = "";
    while ((rv = boltPbNext(&p, end, &f)) == 0) {
        if (f.num == 2 && f.wire == 2) {
            op.hash = (const char *)f.p;
            op.hash_len = f.n;
        } else if (f.num == 4 && f.wire == 2) {
            op.no_password = f.n >= 2 && f.p[0] == 0x08 && f.p[1] == 1;
        }
    }
    if (rv != 1 || authApply(a, &op) != 0) {
        return -2;
    }
    p = v;
    while ((rv = boltPbNext(&p, end, &f)) == 0) {
        if (f.num != 3 || f.wire != 2) {
            continue;
        }
        memset(&op, 0, sizeof op);
        op.type = AUTH_OP_USER_GRANT;
        op.name = (const char *)k;
        op.name_len = klen;
        op.role = (const char *)f.p;
        op.role_len = f.n;
        if (authApply(a, &op) != 0) {
            return -2;
        }
    }
    return rv == 1 ? 0 : -2;
}

/* Runs fn over the elements of bucket name (absent: nothing). */
static int importBucket(const struct bolt_file *f, const char *name,
                        bolt_each_fn fn, void *data, char *errmsg)
{
    const unsigned char *v;
    size_t vlen;
    int rv = boltBucket(f, name, strlen(name), &v, &vlen);
    if (rv == -3) {
        return 0;
    }
    if (rv == 0) {
        rv = boltForEach(f, v, vlen, fn, data);
    }
    if (rv == -2 || rv == -3 || rv == -1) {
        etcfsErrmsgf(errmsg, "restore: malformed bbolt bucket %s", name);
        return ETCFS_CORRUPT;
    }
    return rv;
}

/* The users and roles of the file as an auth state record in out. */
static int importAuth(const struct bolt_file *f, bool enabled,
                      struct buf *out, char *errmsg)
{
    struct auth *a = authNew();
    int rv;
    if (a == NULL) {
        return storeNomem(errmsg, "restore");
    }
    rv = importBucket(f, "authRoles", importRoleCb, a, errmsg);
    if (rv == 0) {
        rv = importBucket(f, "authUsers", importUserCb, a, errmsg);
    }
    if (rv == 0 && enabled) {
        struct auth_op op;
        memset(&op, 0, sizeof op);
        op.type = AUTH_OP_ENABLE;
        if (authApply(a, &op) != 0) {
            etcfsErrmsgf(errmsg, "restore: auth enabled without a root user");
            rv = ETCFS_CORRUPT;
        }
    }
    if (rv == 0 && authEncode(a, out) != 0) {
        rv = storeNomem(errmsg, "restore");
    }
    authFree(a);
    return rv;
}

/* The live version of every key ('k' copies), the key count, and the
 * leases' attachments, from the index just written. */
static int importLatest(struct bolt_import *im, int64_t *keys)
{
    leveldb_iterator_t *it = leveldb_create_iterator(im->s->db, im->s->ro);
    struct buf last = {0};
    struct buf lastv = {0};
    struct buf user = {0};
    char first = MVCC_KEY_INDEX;
    int rv = 0;
    *keys = 0;
    leveldb_iter_seek(it, &first, 1);
    for (;;) {
        size_t klen = 0;
        size_t vlen;
        size_t group_len = 0;
        int64_t rev;
        int64_t sub;
        const char *k = NULL;
        bool valid = leveldb_iter_valid(it);
        if (valid) {
            k = leveldb_iter_key(it, &klen);
            valid = klen > 0 && k[0] == MVCC_KEY_INDEX;
        }
        if (valid && mvccKeyIndexParse(k, klen, &group_len, &rev, &sub) != 0) {
            rv = storeCorrupt(im->errmsg, "restore");
            break;
        }
        /* a new key (or the end): the previous key's last version */
        if (last.len > 0 &&
            (!valid || last.len != klen ||
             memcmp(last.data, k, klen - MVCC_REV_SUFFIX) != 0)) {
            struct mvcc_record rec;
            size_t lg = last.len - MVCC_REV_SUFFIX;
            if (mvccRecordDecode(lastv.data, lastv.len, &rec) != 0) {
                rv = storeCorrupt(im->errmsg, "restore");
                break;
            }
            if (!rec.tombstone) {
                bufReset(&user);
                if (mvccKeyIndexUserKey(&user, last.data, lg) != 0 ||
                    mvccKeyLatest(&im->k, user.data, user.len) != 0) {
                    rv = storeNomem(im->errmsg, "restore");
                    break;
                }
                bufReset(&im->v);
                if (bufAppend(&im->v, last.data + lg, MVCC_REV_SUFFIX) != 0 ||
                    bufAppend(&im->v, lastv.data, lastv.len) != 0) {
                    rv = storeNomem(im->errmsg, "restore");
                    break;
                }
                rv = importPut(im, &im->k, &im->v);
                (*keys)++;
                if (rv == 0 && rec.lease != 0) {
                    /* attached only to a lease the file has (etcd's
                     * restore skips the others too) */
                    char *err = NULL;
                    size_t l = 0;
                    char *lv;
                    if (mvccKeyLease(&im->k, rec.lease) != 0) {
                        rv = storeNomem(im->errmsg, "restore");
                        break;
                    }
                    lv = leveldb_get(im->s->db, im->s->ro, im->k.data,
                                     im->k.len, &l, &err);
                    if (err != NULL) {
                        rv = storeDbError(err, im->errmsg, "restore");
                        break;
                    }
                    if (lv != NULL) {
                        leveldb_free(lv);
                        bufReset(&im->v);
                        if (mvccKeyAttach(&im->k, rec.lease, user.data,
                                          user.len) != 0) {
                            rv = storeNomem(im->errmsg, "restore");
                            break;
                        }
                        rv = importPut(im, &im->k, &im->v);
                    }
                }
                if (rv != 0) {
                    break;
                }
            }
            bufReset(&last);
        }
        if (!valid) {
            break;
        }
        (void)group_len;
        bufReset(&last);
        bufReset(&lastv);
        {
            const char *v = leveldb_iter_value(it, &vlen);
            if (bufAppend(&last, k, klen) != 0 ||
                bufAppend(&lastv, v, vlen) != 0) {
                rv = storeNomem(im->errmsg, "restore");
                break;
            }
        }
        leveldb_iter_next(it);
    }
    if (rv == 0) {
        rv = storeIterError(it, im->errmsg, "restore");
    }
    leveldb_iter_destroy(it);
    bufFree(&last);
    bufFree(&lastv);
    bufFree(&user);
    return rv;
}

int storeRestoreBolt(struct store *s, const void *buf, size_t len,
                     char *errmsg)
{
    struct bolt_file f;
    struct bolt_import im;
    struct bolt_meta meta;
    struct buf auth = {0};
    struct mvcc_state st;
    int64_t keys = 0;
    int rv;

    /* etcd appends the SHA-256 of the file (snapshot save keeps it) */
    if (len % 512 == STORE__BOLT_SHA) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (EVP_Digest(buf, len - STORE__BOLT_SHA, md, &n, EVP_sha256(),
                       NULL) != 1 ||
            n != STORE__BOLT_SHA ||
            memcmp(md, (const char *)buf + len - STORE__BOLT_SHA, n) != 0) {
            etcfsErrmsgf(errmsg, "snapshot: sha256 mismatch");
            return ETCFS_CORRUPT;
        }
        len -= STORE__BOLT_SHA;
    }
    if (boltOpen(&f, buf, len) != 0) {
        etcfsErrmsgf(errmsg, "snapshot: not a valid bbolt file");
        return ETCFS_CORRUPT;
    }
    memset(&im, 0, sizeof im);
    memset(&meta, 0, sizeof meta);
    im.s = s;
    im.errmsg = errmsg;
    meta.errmsg = errmsg;
    /* 1. Check everything before changing anything. */
    rv = importBucket(&f, "meta", importMetaCb, &meta, errmsg);
    if (rv == 0) {
        rv = importBucket(&f, "auth", importMetaCb, &meta, errmsg);
    }
    if (rv == 0) {
        rv = importBucket(&f, "key", importKeyCb, &im, errmsg);
    }
    if (rv == 0) {
        rv = importBucket(&f, "lease", importLeaseCb, &im, errmsg);
    }
    if (rv == 0) {
        rv = importAuth(&f, meta.auth_enabled, &auth, errmsg);
    }
    if (rv != 0) {
        bufFree(&auth);
        return rv;
    }
    /* 2. Empty the store (no state record first: a crash leaves a store
     * at applied index 0). */
    rv = storeRestoreClear(s, errmsg);
    /* 3. Versions, revisions, leases, auth, then the live copies. */
    im.write = true;
    im.n = 0;
    if (rv == 0) {
        rv = importBucket(&f, "key", importKeyCb, &im, errmsg);
    }
    if (rv == 0) {
        rv = importBucket(&f, "lease", importLeaseCb, &im, errmsg);
    }
    if (rv == 0 && mvccKeyMeta(&im.k, "auth", 4) != 0) {
        rv = storeNomem(errmsg, "restore");
    }
    if (rv == 0) {
        rv = importPut(&im, &im.k, &auth);
    }
    if (rv == 0) {
        rv = importFlush(&im, true);
    }
    if (rv == 0) {
        rv = importLatest(&im, &keys);
    }
    /* 4. The state record last. The revisions below the compacted one
     * lose their 'r' entries and superseded versions by our own cleanup,
     * from compact_done 0. */
    if (rv == 0) {
        memset(&st, 0, sizeof st);
        st.applied_index = meta.consistent_index;
        st.revision = im.max_rev > meta.scheduled ? im.max_rev : meta.scheduled;
        if (st.revision < 1) {
            st.revision = 1;
        }
        st.compact_rev = meta.scheduled;
        st.compact_done = 0;
        st.key_count = keys;
        storeStatePut(s->batch, &st);
        rv = importFlush(&im, true);
    }
    leveldb_writebatch_clear(s->batch);
    bufFree(&im.k);
    bufFree(&im.v);
    bufFree(&auth);
    if (rv != 0) {
        atomic_store(&s->applied_index, 0);
        etcfsErrmsgWrapf(errmsg, "restore left the store empty");
        return rv;
    }
    rv = storeLoadState(s, errmsg);
    if (rv == 0 && s->compact_done < atomic_load(&s->compact_rev)) {
        rv = storeCompactCleanup(s, errmsg);
    }
    return rv;
}
