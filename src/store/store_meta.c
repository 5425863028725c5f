/* Cluster metadata (member attributes, cluster id) under 'm', apart from
 * the keyspace: storeApplyMeta on the loop thread, storeMetaGet and
 * storeMetaScan on any thread. No revision and no events. */
#include <string.h>

#include "store_internal.h"

int storeApplyMeta(struct store *s, uint64_t index, uint64_t term,
                   const char *name, size_t name_len,
                   const char *value, size_t value_len, char *errmsg)
{
    struct store_apply a;
    int rv = 0;
    storeApplyBegin(&a, s, NULL, errmsg);
    if (name_len == 0 || (value == NULL && value_len != 0)) {
        rv = ETCFS_INVALID;
    } else if (mvccKeyMeta(&a.k, name, name_len) != 0) {
        rv = storeNomem(errmsg, "meta");
    } else if (value == NULL && value_len == 0) {
        leveldb_writebatch_delete(a.batch, a.k.data, a.k.len);
    } else {
        leveldb_writebatch_put(a.batch, a.k.data, a.k.len,
                               value != NULL ? value : "", value_len);
    }
    rv = storeApplyFinish(&a, index, term, rv);
    storeApplyEnd(&a);
    return rv;
}

int storeMetaGet(struct store *s, const char *name, size_t name_len,
                 char **value, size_t *value_len, char *errmsg)
{
    struct buf k = {0};
    char *err = NULL;
    size_t vlen = 0;
    char *v;
    *value = NULL;
    *value_len = 0;
    if (mvccKeyMeta(&k, name, name_len) != 0) {
        return storeNomem(errmsg, "meta get");
    }
    v = leveldb_get(s->db, s->ro, k.data, k.len, &vlen, &err);
    bufFree(&k);
    if (err != NULL) {
        return storeDbError(err, errmsg, "meta get");
    }
    if (v == NULL) {
        etcfsErrmsgf(errmsg, "meta %.*s: not found", (int)name_len, name);
        return ETCFS_NOTFOUND;
    }
    *value = storeDup(v, vlen);
    leveldb_free(v);
    if (*value == NULL) {
        return storeNomem(errmsg, "meta get");
    }
    *value_len = vlen;
    return 0;
}

int storeMetaScan(struct store *s, const char *prefix, size_t prefix_len,
                  store_meta_cb cb, void *data, char *errmsg)
{
    struct buf k = {0};
    leveldb_iterator_t *it;
    int rv;
    if (mvccKeyMeta(&k, prefix, prefix_len) != 0) {
        return storeNomem(errmsg, "meta scan");
    }
    it = leveldb_create_iterator(s->db, s->ro);
    for (leveldb_iter_seek(it, k.data, k.len); leveldb_iter_valid(it);
         leveldb_iter_next(it)) {
        size_t klen;
        size_t vlen;
        const char *mk = leveldb_iter_key(it, &klen);
        const char *v;
        if (klen < k.len || memcmp(mk, k.data, k.len) != 0) {
            break;
        }
        v = leveldb_iter_value(it, &vlen);
        cb(data, mk + 1, klen - 1, v, vlen);
    }
    rv = storeIterError(it, errmsg, "meta scan");
    leveldb_iter_destroy(it);
    bufFree(&k);
    return rv;
}
