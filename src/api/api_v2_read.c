/* /v2/keys reads: past the linearizable read gate (etcfs answers every v2
 * GET as etcd's quorum=true: what a write anywhere returned is seen), one
 * range of the key's subtree becomes etcd's node tree (recursive, sorted,
 * "_" names hidden). Loop thread only. */
#include <stdlib.h>
#include <string.h>

#include "api_v2.h"
#include "../core/error.h"
#include "../store/store.h"

struct v2_child
{
    const char *key; /* v3 key, for sorting */
    size_t key_len;
    json_t *node;
};

static int childCmp(const void *a, const void *b)
{
    const struct v2_child *x = a;
    const struct v2_child *y = b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c != 0 ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* The directory node of the keys kvs[0..n), all under the v3 key base
 * (blen bytes, ending in '/'): its indices (the marker's, else the oldest
 * key's creation) and, with list, its children (directories listed in
 * turn with recursive). root: no key and no indices, as etcd's root. */
static json_t *dirNode(struct api_req *req, const struct store_kv *kvs,
                       size_t n, const char *base, size_t blen, bool root,
                       bool list, bool recursive, bool sorted)
{
    json_t *o = json_object();
    struct v2_child *kids = NULL;
    size_t n_kids = 0;
    int64_t created = 0;
    int64_t modified = 0;
    bool marker = false;
    size_t i = 0;
    size_t plen;
    char *path = v2PathOf(req, base, blen, &plen);
    if (list && n > 0) {
        kids = calloc(n, sizeof *kids);
    }
    while (i < n) {
        const char *rel = kvs[i].key + blen;
        size_t rlen = kvs[i].key_len - blen;
        const char *slash = memchr(rel, '/', rlen);
        size_t j = i + 1;
        if (rlen == 0) { /* this directory's marker */
            marker = true;
            created = kvs[i].create_revision;
            modified = kvs[i].mod_revision;
            i++;
            continue;
        }
        if (slash != NULL) {
            size_t nlen = (size_t)(slash - rel) + 1;
            while (j < n && kvs[j].key_len >= blen + nlen &&
                   memcmp(kvs[j].key + blen, rel, nlen) == 0) {
                j++;
            }
        }
        for (size_t x = i; x < j && !marker; x++) {
            if (created == 0 || kvs[x].create_revision < created) {
                created = modified = kvs[x].create_revision;
            }
        }
        if (kids != NULL && rel[0] != '_') { /* v2 hides "_" names */
            json_t *child =
                slash == NULL
                    ? v2NodeOf(req, &kvs[i], false, 0)
                    : dirNode(req, kvs + i, j - i, kvs[i].key,
                              blen + (size_t)(slash - rel) + 1, false,
                              recursive, recursive, sorted);
            kids[n_kids].key = kvs[i].key;
            kids[n_kids].key_len =
                slash == NULL ? kvs[i].key_len
                              : blen + (size_t)(slash - rel);
            kids[n_kids++].node = child;
        }
        i = j;
    }
    if (!root) {
        json_object_set_new(o, "key",
                            json_stringn(path != NULL ? path : "", plen));
    }
    json_object_set_new(o, "dir", json_true());
    if (n_kids > 0) {
        json_t *arr = json_array();
        if (sorted) {
            qsort(kids, n_kids, sizeof *kids, childCmp);
        }
        for (i = 0; i < n_kids; i++) {
            json_array_append_new(arr, kids[i].node);
        }
        json_object_set_new(o, "nodes", arr);
    }
    free(kids);
    if (!root) {
        json_object_set_new(o, "modifiedIndex", json_integer(modified));
        json_object_set_new(o, "createdIndex", json_integer(created));
    }
    return o;
}

static void getServe(struct api_req *req)
{
    struct v2_keys_req *k = req->ctx;
    struct store_range_resp file;
    struct store_range_resp tree;
    bool root = k->path_len == 1;
    char *base, *base_end, *kids;
    size_t blen;
    int64_t rev = storeRevision(req->api->deps.store);
    json_t *o;
    int rv = authnRead(req->api->deps.server, &req->who, k->key, k->key_len,
                       NULL, 0);
    if (rv == 0) {
        rv = v2Scratch(req, k->key, k->key_len, &base, &blen, &base_end,
                          &kids);
    }
    if (rv == 0 && !root) {
        rv = v2Range(req, k->key, k->key_len, NULL, 0, 0, false, &file);
        if (rv == 0 && file.n_kvs > 0) {
            o = json_object();
            json_object_set_new(o, "action", json_string("get"));
            json_object_set_new(o, "node",
                                v2NodeOf(req, &file.kvs[0], false, 0));
            storeRangeRespClear(&file);
            v2ReplyJson(req, 200, o, rev);
            return;
        }
        storeRangeRespClear(&file);
    }
    if (rv == 0) {
        rv = authnRead(req->api->deps.server, &req->who, base, blen,
                       base_end, blen);
    }
    if (rv == 0) {
        rv = v2Range(req, base, blen, base_end, blen, 0, false, &tree);
    }
    if (rv != 0) {
        v2ReplyServerError(req, rv);
        return;
    }
    if (tree.n_kvs == 0 && !root) {
        storeRangeRespClear(&tree);
        v2ReplyError(req, V2_KEY_NOT_FOUND, k->path, rev);
        return;
    }
    o = json_object();
    json_object_set_new(o, "action", json_string("get"));
    json_object_set_new(o, "node",
                        dirNode(req, tree.kvs, tree.n_kvs, base, blen, root,
                                true, k->recursive, k->sorted));
    storeRangeRespClear(&tree);
    v2ReplyJson(req, 200, o, rev);
}

void v2KeysGet(struct api_req *req, struct v2_keys_req *k)
{
    struct v2_keys_req *copy = arenaAlloc(&req->arena, sizeof *copy);
    if (copy == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    *copy = *k;
    req->ctx = copy;
    v2Gate(req, getServe);
}
