/* Leases in the store: grant and revoke (revoke deletes the attached keys
 * at one revision) on the loop thread, and the lease reads (storeLeaseGet,
 * storeLeaseList, storeLeaseKeys) on any thread. 'l' records hold the
 * TTLs, 'a' entries the attachments. No clock here: expiry is decided by
 * the server, which proposes revokes. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* etcd's MaxLeaseTTL (lease/lessor.go). */
#define STORE__MAX_LEASE_TTL INT64_C(9000000000)

/* ---- lease writes ---- */

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
        size_t klen;
        const char *k = leveldb_iter_key(it, &klen);
        if (klen < a->k.len || memcmp(k, a->k.data, a->k.len) != 0) {
            break;
        }
        if (storeKvsPushKey(keys, k + a->k.len, klen - a->k.len) != 0) {
            return storeNomem(a->errmsg, "lease keys");
        }
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

/* ---- lease reads ---- */

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
