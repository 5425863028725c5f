/* Ranges: request checks and etcd's post-processing (applierV3backend.Range:
 * filters, sort, limit, keys_only, count_only) of what the reader
 * collected, for storeRange and for a range inside a txn. storeRange runs
 * on any thread over a pinned view; nothing here writes. */
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

/* ---- range post-processing (etcd applierV3backend.Range) ---- */

struct store_sort_ctx
{
    int target;
    bool descend;
};

static int storeSortCmp(const void *pa, const void *pb, void *arg)
{
    const struct store_kv *a = pa;
    const struct store_kv *b = pb;
    const struct store_sort_ctx *ctx = arg;
    int c = 0;
    switch (ctx->target) {
        case STORE_SORT_VERSION:
            c = a->version < b->version ? -1 : a->version > b->version;
            break;
        case STORE_SORT_CREATE:
            c = a->create_revision < b->create_revision
                    ? -1
                    : a->create_revision > b->create_revision;
            break;
        case STORE_SORT_MOD:
            c = a->mod_revision < b->mod_revision
                    ? -1
                    : a->mod_revision > b->mod_revision;
            break;
        case STORE_SORT_VALUE:
            c = mvccKeyCompare(a->value != NULL ? a->value : "",
                               a->value_len, b->value != NULL ? b->value : "",
                               b->value_len);
            break;
        default:
            break;
    }
    if (c == 0) {
        c = mvccKeyCompare(a->key, a->key_len, b->key, b->key_len);
    }
    return ctx->descend ? -c : c;
}

int storeRangeCheck(const struct store_range_req *req)
{
    if (req->key_len == 0) {
        return ETCFS_KEY_EMPTY;
    }
    if (req->revision < 0 || req->limit < 0 ||
        req->sort_order < STORE_SORT_NONE ||
        req->sort_order > STORE_SORT_DESCEND ||
        req->sort_target < STORE_SORT_KEY ||
        req->sort_target > STORE_SORT_VALUE) {
        return ETCFS_INVALID;
    }
    return 0;
}

/* Whether the result needs sorting beyond the index's key order. */
static bool storeRangeSorts(const struct store_range_req *req)
{
    return req->sort_target != STORE_SORT_KEY ||
           req->sort_order == STORE_SORT_DESCEND;
}

/* Filters (unless done), sorts, applies limit, keys_only and count_only,
 * and moves kvs into resp (kvs is emptied). */
void storeRangeFinish(const struct store_range_req *req, struct store_kvs *kvs,
                      bool filtered, int64_t count,
                      struct store_range_resp *resp)
{
    size_t i;
    if (!filtered) {
        struct store_collect f = {0};
        size_t j = 0;
        f.min_mod = req->min_mod_revision;
        f.max_mod = req->max_mod_revision;
        f.min_create = req->min_create_revision;
        f.max_create = req->max_create_revision;
        for (i = 0; i < kvs->n; i++) {
            if (storeKvPasses(&f, &kvs->v[i])) {
                kvs->v[j++] = kvs->v[i];
            } else {
                storeKvClear(&kvs->v[i]);
            }
        }
        kvs->n = j;
    }
    if (storeRangeSorts(req) && kvs->n > 1) {
        struct store_sort_ctx ctx;
        ctx.target = req->sort_target;
        ctx.descend = req->sort_order == STORE_SORT_DESCEND;
        qsort_r(kvs->v, kvs->n, sizeof kvs->v[0], storeSortCmp, &ctx);
    }
    resp->more = false;
    if (req->count_only) {
        for (i = 0; i < kvs->n; i++) {
            storeKvClear(&kvs->v[i]);
        }
        kvs->n = 0;
    }
    if (req->limit > 0 && kvs->n > (size_t)req->limit) {
        for (i = (size_t)req->limit; i < kvs->n; i++) {
            storeKvClear(&kvs->v[i]);
        }
        kvs->n = (size_t)req->limit;
        resp->more = true;
    }
    if (req->keys_only) {
        for (i = 0; i < kvs->n; i++) {
            free(kvs->v[i].value);
            kvs->v[i].value = NULL;
            kvs->v[i].value_len = 0;
        }
    }
    resp->count = count;
    if (kvs->n == 0) {
        storeKvsFree(kvs);
    }
    resp->kvs = kvs->v;
    resp->n_kvs = kvs->n;
    memset(kvs, 0, sizeof *kvs);
}

/* A range at revision rev through rd (checks done by the caller). */
int storeReaderRange(struct store_reader *rd, const struct store_range_req *req,
                     int64_t rev, struct store_range_resp *resp, char *errmsg)
{
    struct store_collect c;
    struct store_kvs kvs = {0};
    int64_t count = 0;
    int rv;
    memset(&c, 0, sizeof c);
    c.rev = rev;
    c.want_value = !req->keys_only;
    c.count_only = req->count_only;
    c.min_mod = req->min_mod_revision;
    c.max_mod = req->max_mod_revision;
    c.min_create = req->min_create_revision;
    c.max_create = req->max_create_revision;
    if (!storeRangeSorts(req) && req->limit > 0) {
        c.copy_limit = (size_t)req->limit + 1; /* one more for 'more' */
        c.stop_at_limit = req->no_count && !req->count_only;
    }
    rv = storeReaderCollect(rd, req->key, req->key_len, req->range_end,
                            req->range_end_len, &c, &kvs, &count, errmsg);
    if (rv != 0) {
        storeKvsFree(&kvs);
        return rv;
    }
    storeRangeFinish(req, &kvs, true, count, resp);
    return 0;
}

/* ---- range reads ---- */

int storeRange(struct store *s, const struct store_range_req *req,
               struct store_range_resp *resp, char *errmsg)
{
    struct store_view v;
    struct store_reader rd;
    int64_t rev;
    int rv;

    memset(resp, 0, sizeof *resp);
    rv = storeRangeCheck(req);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "range: %s", etcfsStrerror(rv));
        return rv;
    }
    rv = storeViewOpen(s, &v, errmsg);
    if (rv != 0) {
        return rv;
    }
    /* etcd kvstore_txn.go rangeKeys: future, then compacted. */
    rev = req->revision == 0 ? v.rev : req->revision;
    if (rev > v.rev) {
        rv = ETCFS_FUTURE_REV;
    } else if (rev < v.compact_rev) {
        rv = ETCFS_COMPACTED;
    }
    if (rv == 0) {
        storeReaderInit(&rd, s, v.ro, v.rev);
        rv = storeReaderRange(&rd, req, rev, resp, errmsg);
        storeReaderClose(&rd);
    } else {
        etcfsErrmsgf(errmsg, "range at %lld: %s", (long long)rev,
                     etcfsStrerror(rv));
    }
    storeViewClose(s, &v);
    if (rv != 0) {
        storeRangeRespClear(resp);
        return rv;
    }
    resp->revision = v.rev;
    return 0;
}
