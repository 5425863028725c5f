/* Unit tests of src/store/: revisions, MVCC reads, ranges, txn, leases,
 * compaction, history, restart, snapshots, against a real LevelDB in a
 * temporary directory. Each test names the etcd behaviour it checks.
 * Over 800 lines on purpose: one test file per module (as canonical/raft's
 * test/unit), made of independent tests that share one fixture. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, mkdtemp */
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/core/error.h"
#include "../../src/lib/buf.h"
#include "../../src/store/auth.h"
#include "../../src/store/store.h"

/* ---- fixture ---- */

struct fixture
{
    char dir[64];
    struct store *s;
    uint64_t index; /* next Raft index to apply */
    char errmsg[ETCFS_ERRMSG_SIZE];
};

static int rmEntry(const char *path, const struct stat *st, int flag,
                   struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fixtureOpen(struct fixture *f)
{
    struct store_options opts = {0};
    int rv = storeOpen(f->dir, &opts, &f->s, f->errmsg);
    if (rv != 0) {
        fprintf(stderr, "storeOpen: %s\n", f->errmsg);
    }
    assert_int_equal(rv, 0);
}

static int setUp(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/etcfs-test-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    fixtureOpen(f);
    f->index = 1;
    *state = f;
    return 0;
}

static int tearDown(void **state)
{
    struct fixture *f = *state;
    storeClose(f->s);
    nftw(f->dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void fixtureReopen(struct fixture *f)
{
    storeClose(f->s);
    f->s = NULL;
    fixtureOpen(f);
}

/* ---- helpers ---- */

static int putFull(struct fixture *f, const char *key, size_t key_len,
                   const char *value, size_t value_len, int64_t lease,
                   struct store_put_resp *resp, struct store_events *ev)
{
    struct store_put_req req;
    memset(&req, 0, sizeof req);
    req.key = key;
    req.key_len = key_len;
    req.value = value;
    req.value_len = value_len;
    req.lease = lease;
    req.prev_kv = resp != NULL;
    return storeApplyPut(f->s, f->index++, 1, &req, resp, ev, NULL,
                         f->errmsg);
}

static void put(struct fixture *f, const char *key, const char *value)
{
    assert_int_equal(putFull(f, key, strlen(key), value, strlen(value), 0,
                             NULL, NULL),
                     0);
}

static void putLease(struct fixture *f, const char *key, const char *value,
                     int64_t lease)
{
    assert_int_equal(putFull(f, key, strlen(key), value, strlen(value),
                             lease, NULL, NULL),
                     0);
}

static int64_t del(struct fixture *f, const char *key, const char *end)
{
    struct store_delete_req req;
    struct store_delete_resp resp;
    int64_t n;
    memset(&req, 0, sizeof req);
    req.key = key;
    req.key_len = strlen(key);
    req.range_end = end;
    req.range_end_len = end != NULL ? (end[0] == '\0' ? 1 : strlen(end)) : 0;
    assert_int_equal(storeApplyDeleteRange(f->s, f->index++, 1, &req, &resp,
                                           NULL, NULL, f->errmsg),
                     0);
    n = resp.deleted;
    storeDeleteRespClear(&resp);
    return n;
}

static void rangeReq(struct store_range_req *req, const char *key,
                     const char *end)
{
    memset(req, 0, sizeof *req);
    req->key = key;
    req->key_len = strlen(key);
    req->range_end = end;
    req->range_end_len =
        end != NULL ? (end[0] == '\0' ? 1 : strlen(end)) : 0;
}

/* Reads key at rev: 1 and *kv filled when found, 0 when absent. */
static int getAt(struct fixture *f, const char *key, int64_t rev,
                 struct store_kv *kv)
{
    struct store_range_req req;
    struct store_range_resp resp;
    int found;
    rangeReq(&req, key, NULL);
    req.revision = rev;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    found = resp.n_kvs == 1;
    assert_true(resp.n_kvs <= 1);
    assert_int_equal(resp.count, found);
    if (found) {
        assert_int_equal(storeKvCopy(kv, &resp.kvs[0]), 0);
    }
    storeRangeRespClear(&resp);
    return found;
}

#define ASSERT_VALUE(KV, STR)                                          \
    do {                                                               \
        assert_int_equal((KV)->value_len, strlen(STR));                \
        assert_memory_equal((KV)->value, (STR), (KV)->value_len + 0);  \
    } while (0)

#define ASSERT_KEY(KV, STR)                                            \
    do {                                                               \
        assert_int_equal((KV)->key_len, strlen(STR));                  \
        assert_memory_equal((KV)->key, (STR), (KV)->key_len + 0);      \
    } while (0)

/* Checks key at rev has value, create, mod, version. */
static void expectKv(struct fixture *f, const char *key, int64_t rev,
                     const char *value, int64_t create, int64_t mod,
                     int64_t version)
{
    struct store_kv kv;
    assert_int_equal(getAt(f, key, rev, &kv), 1);
    ASSERT_VALUE(&kv, value);
    assert_int_equal(kv.create_revision, create);
    assert_int_equal(kv.mod_revision, mod);
    assert_int_equal(kv.version, version);
    storeKvClear(&kv);
}

static void expectAbsent(struct fixture *f, const char *key, int64_t rev)
{
    struct store_kv kv;
    assert_int_equal(getAt(f, key, rev, &kv), 0);
}

/* Encodes a snapshot with malloc. */
static void *snapshotEncode(struct fixture *f, size_t *len)
{
    struct store_snapshot *snap;
    void *buf = NULL;
    assert_int_equal(storeSnapshotTake(f->s, &snap, f->errmsg), 0);
    assert_int_equal(storeSnapshotEncode(snap, malloc, &buf, len, f->errmsg),
                     0);
    storeSnapshotRelease(snap);
    return buf;
}

/* Raw LevelDB entries whose key starts with 'prefix', counted through a
 * snapshot (which holds every LevelDB key but the 'k' copies, layout in
 * src/mvcc_key.h). */
static size_t rawCount(struct fixture *f, char prefix)
{
    size_t len;
    unsigned char *buf = snapshotEncode(f, &len);
    size_t off = 8 + 4 + 5 * 8;
    size_t n = 0;
    while (off < len - 4) {
        uint32_t klen = bufGetU32(buf + off);
        uint32_t vlen = bufGetU32(buf + off + 4);
        if (klen > 0 && buf[off + 8] == (unsigned char)prefix) {
            n++;
        }
        off += 8 + klen + vlen;
    }
    free(buf);
    return n;
}

/* ---- revisions and versions ---- */

/* An empty store is at revision 1 with nothing applied, like etcd. */
static void testEmpty(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(storeRevision(f->s), 1);
    assert_int_equal(storeCompactRevision(f->s), 0);
    assert_int_equal(storeAppliedIndex(f->s), 0);
    assert_int_equal(storeKeyCount(f->s), 0);
    expectAbsent(f, "a", 0);
    assert_true(storeDbSize(f->s) >= 0);
}

/* Every put takes a new revision; create_revision stays, version counts. */
static void testPutRevisions(void **state)
{
    struct fixture *f = *state;
    struct store_put_resp resp;
    struct store_events ev = {0};
    int64_t rev = 0;
    struct store_put_req req;

    put(f, "a", "1");
    assert_int_equal(storeRevision(f->s), 2);
    put(f, "b", "1");
    assert_int_equal(storeRevision(f->s), 3);
    assert_int_equal(putFull(f, "a", 1, "2", 1, 0, &resp, &ev), 0);
    assert_int_equal(storeRevision(f->s), 4);
    assert_true(resp.has_prev);
    ASSERT_VALUE(&resp.prev_kv, "1");
    assert_int_equal(resp.prev_kv.mod_revision, 2);
    storePutRespClear(&resp);
    assert_int_equal(ev.n_events, 1);
    assert_int_equal(ev.events[0].type, STORE_EVENT_PUT);
    assert_int_equal(ev.events[0].kv.mod_revision, 4);
    assert_true(ev.events[0].has_prev);
    storeEventsClear(&ev);

    expectKv(f, "a", 0, "2", 2, 4, 2);
    expectKv(f, "b", 0, "1", 3, 3, 1);
    assert_int_equal(storeKeyCount(f->s), 2);

    /* The revision result. */
    memset(&req, 0, sizeof req);
    req.key = "c";
    req.key_len = 1;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   &rev, f->errmsg),
                     0);
    assert_int_equal(rev, 5);
    assert_int_equal(storeAppliedIndex(f->s), f->index - 1);
}

/* Reads at past revisions see the state of that time, tombstones hide. */
static void testPastReads(void **state)
{
    struct fixture *f = *state;
    put(f, "k", "v1"); /* 2 */
    put(f, "k", "v2"); /* 3 */
    assert_int_equal(del(f, "k", NULL), 1); /* 4 */
    put(f, "k", "v3"); /* 5 */
    expectAbsent(f, "k", 1);
    expectKv(f, "k", 2, "v1", 2, 2, 1);
    expectKv(f, "k", 3, "v2", 2, 3, 2);
    expectAbsent(f, "k", 4);
    /* Recreated after delete: version 1 again, new create_revision. */
    expectKv(f, "k", 5, "v3", 5, 5, 1);
    expectKv(f, "k", 0, "v3", 5, 5, 1);
    assert_int_equal(storeKeyCount(f->s), 1);
}

/* A revision above the current one is a future revision. */
static void testFutureRevision(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    put(f, "k", "v");
    rangeReq(&req, "k", NULL);
    req.revision = 3;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg),
                     ETCFS_FUTURE_REV);
    req.revision = -1;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), ETCFS_INVALID);
    req.key_len = 0;
    req.revision = 0;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg),
                     ETCFS_KEY_EMPTY);
}

/* ---- ranges ---- */

static void fillAbc(struct fixture *f)
{
    put(f, "a", "3");   /* 2 */
    put(f, "b", "1");   /* 3 */
    put(f, "b/1", "22"); /* 4 */
    put(f, "b/2", "0"); /* 5 */
    put(f, "c", "9");   /* 6 */
    put(f, "a", "4");   /* 7: a version 2 */
}

/* range_end, prefix, from-key, all keys, and an empty interval. */
static void testRangeBounds(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    fillAbc(f);

    rangeReq(&req, "b", "c");
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 3);
    assert_int_equal(resp.count, 3);
    assert_int_equal(resp.revision, 7);
    ASSERT_KEY(&resp.kvs[0], "b");
    ASSERT_KEY(&resp.kvs[1], "b/1");
    ASSERT_KEY(&resp.kvs[2], "b/2");
    storeRangeRespClear(&resp);

    rangeReq(&req, "b/", "b0"); /* prefix b/ */
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 2);
    storeRangeRespClear(&resp);

    rangeReq(&req, "b/1", ""); /* from key: range_end "\0" */
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 3);
    ASSERT_KEY(&resp.kvs[2], "c");
    storeRangeRespClear(&resp);

    req.key = "\0";
    req.key_len = 1; /* all keys */
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 5);
    storeRangeRespClear(&resp);

    /* with a limit, etcd's count still counts every key in range; no_count
     * (the mount's "anything under it?") stops at the limit */
    req.limit = 1;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    assert_int_equal(resp.count, 5);
    assert_true(resp.more);
    storeRangeRespClear(&resp);
    req.no_count = true;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    assert_true(resp.count < 5);
    assert_true(resp.more);
    ASSERT_KEY(&resp.kvs[0], "a");
    storeRangeRespClear(&resp);
    req.limit = 0;
    req.no_count = false;

    rangeReq(&req, "c", "b");
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 0);
    assert_int_equal(resp.count, 0);
    assert_null(resp.kvs);
    storeRangeRespClear(&resp);

    /* At a past revision. */
    rangeReq(&req, "a", "z");
    req.revision = 4;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 3);
    ASSERT_VALUE(&resp.kvs[0], "3");
    assert_int_equal(resp.revision, 7);
    storeRangeRespClear(&resp);
}

/* limit sets more, count counts everything; count_only and keys_only. */
static void testRangeLimit(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    fillAbc(f);

    rangeReq(&req, "a", "z");
    req.limit = 2;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 2);
    assert_int_equal(resp.count, 5);
    assert_true(resp.more);
    storeRangeRespClear(&resp);

    req.limit = 5;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 5);
    assert_false(resp.more);
    storeRangeRespClear(&resp);

    req.limit = 0;
    req.count_only = true;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 0);
    assert_int_equal(resp.count, 5);
    assert_false(resp.more);
    storeRangeRespClear(&resp);

    req.count_only = false;
    req.keys_only = true;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 5);
    assert_null(resp.kvs[0].value);
    assert_int_equal(resp.kvs[0].version, 2);
    storeRangeRespClear(&resp);
}

/* Sorting by each target and order; min/max revision filters prune kvs
 * but not count (etcd pruneKVs). */
static void testRangeSortFilter(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    fillAbc(f);

    rangeReq(&req, "a", "z");
    req.sort_order = STORE_SORT_DESCEND;
    req.sort_target = STORE_SORT_KEY;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    ASSERT_KEY(&resp.kvs[0], "c");
    ASSERT_KEY(&resp.kvs[4], "a");
    storeRangeRespClear(&resp);

    req.sort_order = STORE_SORT_ASCEND;
    req.sort_target = STORE_SORT_VALUE;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    ASSERT_KEY(&resp.kvs[0], "b/2"); /* "0" */
    ASSERT_KEY(&resp.kvs[4], "c");   /* "9" */
    storeRangeRespClear(&resp);

    req.sort_order = STORE_SORT_DESCEND;
    req.sort_target = STORE_SORT_MOD;
    req.limit = 1;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    ASSERT_KEY(&resp.kvs[0], "a"); /* mod 7 */
    assert_true(resp.more);
    storeRangeRespClear(&resp);

    /* Target other than KEY with order NONE sorts ascending (etcd). */
    req.limit = 0;
    req.sort_order = STORE_SORT_NONE;
    req.sort_target = STORE_SORT_CREATE;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    ASSERT_KEY(&resp.kvs[0], "a");
    ASSERT_KEY(&resp.kvs[4], "c");
    storeRangeRespClear(&resp);

    req.sort_target = STORE_SORT_VERSION;
    req.sort_order = STORE_SORT_DESCEND;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    ASSERT_KEY(&resp.kvs[0], "a");
    storeRangeRespClear(&resp);

    rangeReq(&req, "a", "z");
    req.min_mod_revision = 4;
    req.max_mod_revision = 6;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 3); /* b/1, b/2, c */
    assert_int_equal(resp.count, 5);
    ASSERT_KEY(&resp.kvs[0], "b/1");
    storeRangeRespClear(&resp);

    rangeReq(&req, "a", "z");
    req.min_create_revision = 3;
    req.max_create_revision = 3;
    req.limit = 1;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    ASSERT_KEY(&resp.kvs[0], "b");
    assert_false(resp.more);
    storeRangeRespClear(&resp);
}

/* A key with many versions reads right at every revision (seek path). */
static void testManyVersions(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    char v[16];
    int i;
    put(f, "a", "x");
    for (i = 0; i < 50; i++) {
        snprintf(v, sizeof v, "%d", i);
        put(f, "hot", v); /* revisions 3..52 */
    }
    put(f, "z", "y");
    for (i = 0; i < 50; i += 7) {
        rangeReq(&req, "a", "zz");
        req.revision = 3 + i;
        assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
        assert_int_equal(resp.n_kvs, 2);
        ASSERT_KEY(&resp.kvs[1], "hot");
        snprintf(v, sizeof v, "%d", i);
        ASSERT_VALUE(&resp.kvs[1], v);
        assert_int_equal(resp.kvs[1].version, i + 1);
        storeRangeRespClear(&resp);
    }
    rangeReq(&req, "a", "zz");
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 3);
    ASSERT_VALUE(&resp.kvs[1], "49");
    storeRangeRespClear(&resp);
}

/* ---- delete ---- */

/* A delete-range removes every key at one revision with sub-revisions and
 * returns prev_kvs; deleting nothing takes no revision. */
static void testDeleteRange(void **state)
{
    struct fixture *f = *state;
    struct store_delete_req req;
    struct store_delete_resp resp;
    struct store_events ev = {0};
    int64_t rev;
    fillAbc(f);

    memset(&req, 0, sizeof req);
    req.key = "b";
    req.key_len = 1;
    req.range_end = "c";
    req.range_end_len = 1;
    req.prev_kv = true;
    assert_int_equal(storeApplyDeleteRange(f->s, f->index++, 1, &req, &resp,
                                           &ev, &rev, f->errmsg),
                     0);
    assert_int_equal(rev, 8);
    assert_int_equal(resp.deleted, 3);
    assert_int_equal(resp.n_prev_kvs, 3);
    ASSERT_KEY(&resp.prev_kvs[1], "b/1");
    ASSERT_VALUE(&resp.prev_kvs[1], "22");
    storeDeleteRespClear(&resp);
    assert_int_equal(ev.n_events, 3);
    assert_int_equal(ev.events[0].type, STORE_EVENT_DELETE);
    assert_int_equal(ev.events[0].kv.mod_revision, 8);
    assert_int_equal(ev.events[0].kv.version, 0);
    assert_true(ev.events[0].has_prev);
    storeEventsClear(&ev);
    assert_int_equal(storeKeyCount(f->s), 2);
    expectAbsent(f, "b/2", 0);
    expectKv(f, "b/2", 7, "0", 5, 5, 1);

    assert_int_equal(del(f, "nothing", NULL), 0);
    assert_int_equal(storeRevision(f->s), 8);
    assert_int_equal(del(f, "a", ""), 2); /* from key */
    assert_int_equal(storeKeyCount(f->s), 0);
}

/* ---- txn ---- */

static struct store_compare cmpNum(const char *key, int target, int result,
                                   int64_t n)
{
    struct store_compare c;
    memset(&c, 0, sizeof c);
    c.key = key;
    c.key_len = strlen(key);
    c.target = target;
    c.result = result;
    c.number = n;
    return c;
}

static struct store_compare cmpValue(const char *key, int result,
                                     const char *v)
{
    struct store_compare c = cmpNum(key, STORE_CMP_VALUE, result, 0);
    c.value = v;
    c.value_len = strlen(v);
    return c;
}

static struct store_op opPut(const char *key, const char *value)
{
    struct store_op op;
    memset(&op, 0, sizeof op);
    op.type = STORE_OP_PUT;
    op.put.key = key;
    op.put.key_len = strlen(key);
    op.put.value = value;
    op.put.value_len = strlen(value);
    return op;
}

static struct store_op opGet(const char *key, const char *end)
{
    struct store_op op;
    memset(&op, 0, sizeof op);
    op.type = STORE_OP_RANGE;
    rangeReq(&op.range, key, end);
    return op;
}

static struct store_op opDel(const char *key, const char *end)
{
    struct store_op op;
    memset(&op, 0, sizeof op);
    op.type = STORE_OP_DELETE;
    op.delete_range.key = key;
    op.delete_range.key_len = strlen(key);
    op.delete_range.range_end = end;
    op.delete_range.range_end_len =
        end != NULL ? (end[0] == '\0' ? 1 : strlen(end)) : 0;
    op.delete_range.prev_kv = true;
    return op;
}

/* Runs a txn of compares only; returns succeeded. */
static bool txnCmp(struct fixture *f, struct store_compare *cmps, size_t n)
{
    struct store_txn_req req;
    struct store_txn_resp resp;
    bool ok;
    memset(&req, 0, sizeof req);
    req.compares = cmps;
    req.n_compares = n;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     0);
    ok = resp.succeeded;
    storeTxnRespClear(&resp);
    return ok;
}

#define CMP_TRUE(C)                                                         \
    do {                                                                    \
        struct store_compare c_ = (C);                                      \
        assert_true(txnCmp(f, &c_, 1));                                     \
    } while (0)
#define CMP_FALSE(C)                                                        \
    do {                                                                    \
        struct store_compare c_ = (C);                                      \
        assert_false(txnCmp(f, &c_, 1));                                    \
    } while (0)

/* Compares of value, version, create, mod and lease, on present and
 * missing keys and over ranges. */
static void testTxnCompares(void **state)
{
    struct fixture *f = *state;
    struct store_compare c;
    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 1, 7, 60,
                                          f->errmsg),
                     0);
    put(f, "a", "abc");       /* 2 */
    put(f, "a", "abd");       /* 3 */
    putLease(f, "b", "x", 7); /* 4 */

    CMP_TRUE(cmpValue("a", STORE_CMP_EQUAL, "abd"));
    CMP_FALSE(cmpValue("a", STORE_CMP_EQUAL, "abc"));
    CMP_TRUE(cmpValue("a", STORE_CMP_GREATER, "abc"));
    CMP_TRUE(cmpValue("a", STORE_CMP_LESS, "abdd"));
    CMP_TRUE(cmpValue("a", STORE_CMP_NOT_EQUAL, "x"));
    CMP_TRUE(cmpNum("a", STORE_CMP_VERSION, STORE_CMP_EQUAL, 2));
    CMP_TRUE(cmpNum("a", STORE_CMP_CREATE, STORE_CMP_EQUAL, 2));
    CMP_TRUE(cmpNum("a", STORE_CMP_MOD, STORE_CMP_EQUAL, 3));
    CMP_TRUE(cmpNum("a", STORE_CMP_MOD, STORE_CMP_LESS, 4));
    CMP_TRUE(cmpNum("b", STORE_CMP_LEASE, STORE_CMP_EQUAL, 7));
    CMP_TRUE(cmpNum("a", STORE_CMP_LEASE, STORE_CMP_EQUAL, 0));

    /* Missing key: numbers are 0, any value compare fails. */
    CMP_TRUE(cmpNum("zz", STORE_CMP_VERSION, STORE_CMP_EQUAL, 0));
    CMP_TRUE(cmpNum("zz", STORE_CMP_CREATE, STORE_CMP_EQUAL, 0));
    CMP_FALSE(cmpValue("zz", STORE_CMP_EQUAL, ""));
    CMP_FALSE(cmpValue("zz", STORE_CMP_NOT_EQUAL, "x"));

    /* Range compares: every key must satisfy. */
    c = cmpNum("a", STORE_CMP_VERSION, STORE_CMP_GREATER, 0);
    c.range_end = "c";
    c.range_end_len = 1;
    CMP_TRUE(c);
    c = cmpNum("a", STORE_CMP_VERSION, STORE_CMP_GREATER, 1);
    c.range_end = "c";
    c.range_end_len = 1;
    CMP_FALSE(c);
    c = cmpNum("x", STORE_CMP_VERSION, STORE_CMP_EQUAL, 0);
    c.range_end = "y";
    c.range_end_len = 1;
    CMP_TRUE(c); /* empty range compares against zero */

    /* Several compares: all must hold. */
    {
        struct store_compare two[2];
        two[0] = cmpNum("a", STORE_CMP_VERSION, STORE_CMP_EQUAL, 2);
        two[1] = cmpNum("b", STORE_CMP_VERSION, STORE_CMP_EQUAL, 2);
        assert_false(txnCmp(f, two, 2));
    }
    /* Compare-only txns wrote nothing. */
    assert_int_equal(storeRevision(f->s), 4);
}

/* A txn's writes share one revision with sub-revisions in op order, its
 * reads see its earlier writes, and the failure branch runs when a compare
 * fails. */
static void testTxnWrites(void **state)
{
    struct fixture *f = *state;
    struct store_compare c = cmpNum("a", STORE_CMP_VERSION, STORE_CMP_EQUAL,
                                    0);
    struct store_op ops[6];
    struct store_op fail[1];
    struct store_txn_req req;
    struct store_txn_resp resp;
    struct store_events ev = {0};
    int64_t rev;

    put(f, "old", "o");  /* 2 */
    put(f, "old2", "p"); /* 3 */
    ops[0] = opPut("a", "1");
    ops[1] = opGet("a", NULL);
    ops[2] = opDel("old", NULL);
    ops[3] = opGet("a", "z");
    ops[4] = opPut("b", "2");
    ops[5] = opGet("old", NULL);
    ops[5].range.revision = 3; /* explicit revision: the old state */
    fail[0] = opPut("f", "f");
    memset(&req, 0, sizeof req);
    req.compares = &c;
    req.n_compares = 1;
    req.success = ops;
    req.n_success = 6;
    req.failure = fail;
    req.n_failure = 1;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, &ev,
                                   &rev, f->errmsg),
                     0);
    assert_int_equal(rev, 4);
    assert_true(resp.succeeded);
    assert_int_equal(resp.n_responses, 6);
    assert_int_equal(resp.responses[1].range.n_kvs, 1);
    ASSERT_VALUE(&resp.responses[1].range.kvs[0], "1");
    assert_int_equal(resp.responses[1].range.kvs[0].mod_revision, 4);
    assert_int_equal(resp.responses[1].range.revision, 4);
    assert_int_equal(resp.responses[2].delete_range.deleted, 1);
    /* a, old2 (old deleted by this txn). */
    assert_int_equal(resp.responses[3].range.n_kvs, 2);
    assert_int_equal(resp.responses[3].range.count, 2);
    ASSERT_KEY(&resp.responses[3].range.kvs[0], "a");
    ASSERT_KEY(&resp.responses[3].range.kvs[1], "old2");
    assert_int_equal(resp.responses[5].range.n_kvs, 1);
    storeTxnRespClear(&resp);

    assert_int_equal(ev.n_events, 3);
    ASSERT_KEY(&ev.events[0].kv, "a");
    ASSERT_KEY(&ev.events[1].kv, "old");
    assert_int_equal(ev.events[1].type, STORE_EVENT_DELETE);
    ASSERT_KEY(&ev.events[2].kv, "b");
    storeEventsClear(&ev);

    /* History shows the sub-revision order. */
    assert_int_equal(storeHistory(f->s, 4, 4, "\0", 1, "\0", 1, false, 0, &ev,
                                  &rev, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 3);
    ASSERT_KEY(&ev.events[2].kv, "b");
    assert_int_equal(rev, 5);
    storeEventsClear(&ev);

    /* Same txn again: the compare fails, the failure branch runs. */
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   &rev, f->errmsg),
                     0);
    assert_false(resp.succeeded);
    assert_int_equal(resp.n_responses, 1);
    assert_int_equal(rev, 5);
    storeTxnRespClear(&resp);
    expectKv(f, "f", 0, "f", 5, 5, 1);
    assert_int_equal(storeKeyCount(f->s), 4); /* a b old2 f */
}

/* A nested txn runs inside the outer one at the same revision; its compares
 * see the state before the outer txn. */
static void testTxnNested(void **state)
{
    struct fixture *f = *state;
    struct store_compare inner_cmp =
        cmpNum("n", STORE_CMP_VERSION, STORE_CMP_EQUAL, 0);
    struct store_op inner_ok[1];
    struct store_op inner_fail[1];
    struct store_txn_req inner;
    struct store_op outer_ops[2];
    struct store_txn_req outer;
    struct store_txn_resp resp;

    inner_ok[0] = opPut("inner", "ok");
    inner_fail[0] = opPut("inner", "fail");
    memset(&inner, 0, sizeof inner);
    inner.compares = &inner_cmp;
    inner.n_compares = 1;
    inner.success = inner_ok;
    inner.n_success = 1;
    inner.failure = inner_fail;
    inner.n_failure = 1;
    outer_ops[0] = opPut("n", "1");
    memset(&outer_ops[1], 0, sizeof outer_ops[1]);
    outer_ops[1].type = STORE_OP_TXN;
    outer_ops[1].txn = &inner;
    memset(&outer, 0, sizeof outer);
    outer.success = outer_ops;
    outer.n_success = 2;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &outer, &resp, NULL,
                                   NULL, f->errmsg),
                     0);
    assert_true(resp.succeeded);
    assert_int_equal(resp.responses[1].type, STORE_OP_TXN);
    assert_true(resp.responses[1].txn->succeeded);
    storeTxnRespClear(&resp);
    expectKv(f, "inner", 0, "ok", 2, 2, 1);
    expectKv(f, "n", 0, "1", 2, 2, 1);
}

/* Duplicate keys and too many ops are refused, writing nothing but the
 * applied index. */
static void testTxnInvalid(void **state)
{
    struct fixture *f = *state;
    struct store_op ops[3];
    struct store_txn_req req;
    struct store_txn_resp resp;
    struct store_op *many;
    size_t i;
    uint64_t idx;

    ops[0] = opPut("a", "1");
    ops[1] = opPut("a", "2");
    memset(&req, 0, sizeof req);
    req.success = ops;
    req.n_success = 2;
    idx = f->index;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     ETCFS_DUPLICATE_KEY);
    assert_int_equal(resp.n_responses, 0);
    assert_int_equal(storeAppliedIndex(f->s), idx);
    assert_int_equal(storeRevision(f->s), 1);

    ops[0] = opDel("a", "c");
    ops[1] = opPut("b", "2");
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     ETCFS_DUPLICATE_KEY);

    /* Put in both branches of a nested txn is fine. */
    {
        struct store_op then_op = opPut("x", "1");
        struct store_op else_op = opPut("x", "2");
        struct store_txn_req nested;
        memset(&nested, 0, sizeof nested);
        nested.success = &then_op;
        nested.n_success = 1;
        nested.failure = &else_op;
        nested.n_failure = 1;
        ops[0] = opPut("y", "1");
        memset(&ops[1], 0, sizeof ops[1]);
        ops[1].type = STORE_OP_TXN;
        ops[1].txn = &nested;
        assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                       NULL, f->errmsg),
                         0);
        storeTxnRespClear(&resp);
        expectKv(f, "x", 0, "1", 2, 2, 1);
    }

    many = calloc(129, sizeof *many);
    assert_non_null(many);
    for (i = 0; i < 129; i++) {
        many[i] = opGet("a", NULL);
    }
    req.success = many;
    req.n_success = 129;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     ETCFS_TOO_MANY_OPS);
    free(many);

    /* A put with a missing lease fails the whole txn. */
    ops[0] = opPut("p", "1");
    ops[1] = opPut("q", "1");
    ops[1].put.lease = 99;
    req.success = ops;
    req.n_success = 2;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     ETCFS_LEASE_NOTFOUND);
    expectAbsent(f, "p", 0);
    assert_int_equal(storeAppliedIndex(f->s), f->index - 1);
}

/* ignore_value and ignore_lease keep what the key had; they need the key. */
static void testIgnoreValueLease(void **state)
{
    struct fixture *f = *state;
    struct store_put_req req;
    struct store_kv kv;
    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 1, 5, 10,
                                          f->errmsg),
                     0);
    putLease(f, "k", "keep", 5); /* 2 */
    memset(&req, 0, sizeof req);
    req.key = "k";
    req.key_len = 1;
    req.ignore_value = true;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   NULL, f->errmsg),
                     0);
    assert_int_equal(getAt(f, "k", 0, &kv), 1);
    ASSERT_VALUE(&kv, "keep");
    assert_int_equal(kv.lease, 0); /* lease not ignored: detached */
    assert_int_equal(kv.version, 2);
    storeKvClear(&kv);

    putLease(f, "k", "v", 5);
    req.ignore_value = false;
    req.ignore_lease = true;
    req.value = "new";
    req.value_len = 3;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   NULL, f->errmsg),
                     0);
    assert_int_equal(getAt(f, "k", 0, &kv), 1);
    ASSERT_VALUE(&kv, "new");
    assert_int_equal(kv.lease, 5);
    storeKvClear(&kv);

    req.key = "missing";
    req.key_len = 7;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   NULL, f->errmsg),
                     ETCFS_KEY_NOTFOUND);
    req.lease = 5;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   NULL, f->errmsg),
                     ETCFS_LEASE_PROVIDED);
    req.key_len = 0;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL,
                                   NULL, f->errmsg),
                     ETCFS_KEY_EMPTY);
}

/* ---- leases ---- */

/* Keys attach to leases; a revoke deletes them all at one revision. */
static void testLeaseRevoke(void **state)
{
    struct fixture *f = *state;
    struct store_events ev = {0};
    struct store_lease *leases;
    struct store_lease l;
    char **keys;
    size_t *lens;
    size_t n;
    int64_t rev;

    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 1, 1, 30,
                                          f->errmsg),
                     0);
    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 1, 2, 60,
                                          f->errmsg),
                     0);
    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 1, 2, 60,
                                          f->errmsg),
                     ETCFS_LEASE_EXISTS);
    assert_int_equal(putFull(f, "x", 1, "1", 1, 3, NULL, NULL),
                     ETCFS_LEASE_NOTFOUND);
    putLease(f, "b", "1", 1); /* 2 */
    putLease(f, "a", "1", 1); /* 3 */
    putLease(f, "c", "1", 2); /* 4 */
    putLease(f, "moved", "1", 1); /* 5 */
    putLease(f, "moved", "2", 2); /* 6: re-attached to lease 2 */
    put(f, "plain", "p");         /* 7 */

    assert_int_equal(storeLeaseList(f->s, &leases, &n, f->errmsg), 0);
    assert_int_equal(n, 2);
    assert_int_equal(leases[0].id, 1);
    assert_int_equal(leases[1].ttl, 60);
    free(leases);
    assert_int_equal(storeLeaseGet(f->s, 2, &l, f->errmsg), 0);
    assert_int_equal(l.ttl, 60);
    assert_int_equal(storeLeaseKeys(f->s, 1, &keys, &lens, &n, f->errmsg), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(keys[0], "a", 1);
    assert_memory_equal(keys[1], "b", 1);
    storeKeysFree(keys, lens, n);

    assert_int_equal(storeApplyLeaseRevoke(f->s, f->index++, 1, 1, &ev, &rev,
                                           f->errmsg),
                     0);
    assert_int_equal(rev, 8);
    assert_int_equal(ev.n_events, 2);
    ASSERT_KEY(&ev.events[0].kv, "a");
    assert_int_equal(ev.events[0].type, STORE_EVENT_DELETE);
    assert_int_equal(ev.events[1].kv.mod_revision, 8);
    storeEventsClear(&ev);
    expectAbsent(f, "a", 0);
    expectAbsent(f, "b", 0);
    expectKv(f, "moved", 0, "2", 5, 6, 2);
    assert_int_equal(storeKeyCount(f->s), 3);
    assert_int_equal(storeLeaseGet(f->s, 1, &l, f->errmsg),
                     ETCFS_LEASE_NOTFOUND);
    assert_int_equal(storeLeaseKeys(f->s, 1, &keys, &lens, &n, f->errmsg),
                     ETCFS_LEASE_NOTFOUND);
    assert_int_equal(storeApplyLeaseRevoke(f->s, f->index++, 1, 1, NULL, &rev,
                                           f->errmsg),
                     ETCFS_LEASE_NOTFOUND);

    /* Deleting a key detaches it; a lease without keys revokes with no
     * revision. */
    assert_int_equal(del(f, "c", NULL), 1);   /* 9 */
    assert_int_equal(del(f, "moved", NULL), 1); /* 10 */
    assert_int_equal(storeLeaseKeys(f->s, 2, &keys, &lens, &n, f->errmsg), 0);
    assert_int_equal(n, 0);
    storeKeysFree(keys, lens, n);
    assert_int_equal(storeApplyLeaseRevoke(f->s, f->index++, 1, 2, NULL, &rev,
                                           f->errmsg),
                     0);
    assert_int_equal(rev, 10);
    assert_int_equal(rawCount(f, 'a'), 0);
    assert_int_equal(rawCount(f, 'l'), 0);
}

/* ---- compaction ---- */

/* Compaction frees superseded versions and tombstones, old revisions
 * become ETCFS_COMPACTED, the compacted one and later stay readable. */
static void testCompaction(void **state)
{
    struct fixture *f = *state;
    struct store_range_req req;
    struct store_range_resp resp;
    struct store_events ev = {0};
    int64_t next;
    int i;
    char v[16];

    for (i = 0; i < 10; i++) {
        snprintf(v, sizeof v, "%d", i);
        put(f, "k", v); /* 2..11 */
    }
    put(f, "gone", "g");               /* 12 */
    assert_int_equal(del(f, "gone", NULL), 1); /* 13 */
    put(f, "dead", "d");                     /* 14 */
    assert_int_equal(del(f, "dead", NULL), 1); /* 15 */
    put(f, "k", "last");                     /* 16 */
    assert_int_equal(rawCount(f, 'i'), 15);

    assert_int_equal(storeApplyCompact(f->s, f->index++, 1, 17, f->errmsg),
                     ETCFS_FUTURE_REV);
    assert_int_equal(storeApplyCompact(f->s, f->index++, 1, 15, f->errmsg),
                     0);
    assert_int_equal(storeCompactRevision(f->s), 15);
    assert_int_equal(storeAppliedIndex(f->s), f->index - 1);
    /* Left: k@11, k@16, the tombstone of dead at exactly 15. */
    assert_int_equal(rawCount(f, 'i'), 3);
    assert_int_equal(rawCount(f, 'r'), 2);

    expectKv(f, "k", 15, "9", 2, 11, 10);
    expectKv(f, "k", 0, "last", 2, 16, 11);
    expectAbsent(f, "dead", 15);
    rangeReq(&req, "k", NULL);
    req.revision = 14;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg),
                     ETCFS_COMPACTED);
    assert_int_equal(storeHistory(f->s, 14, 0, "\0", 1, "\0", 1, false, 0,
                                  &ev, &next, f->errmsg),
                     ETCFS_COMPACTED);
    assert_int_equal(ev.n_events, 0);
    /* History from the compacted revision still has its delete. */
    assert_int_equal(storeHistory(f->s, 15, 0, "\0", 1, "\0", 1, true, 0,
                                  &ev, &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 2);
    assert_int_equal(ev.events[0].type, STORE_EVENT_DELETE);
    ASSERT_KEY(&ev.events[0].kv, "dead");
    assert_true(ev.events[1].has_prev);
    ASSERT_VALUE(&ev.events[1].prev_kv, "9");
    assert_int_equal(next, 17);
    storeEventsClear(&ev);

    assert_int_equal(storeApplyCompact(f->s, f->index++, 1, 15, f->errmsg),
                     ETCFS_COMPACTED);
    assert_int_equal(storeApplyCompact(f->s, f->index++, 1, 16, f->errmsg),
                     0);
    assert_int_equal(rawCount(f, 'i'), 1);
    assert_int_equal(rawCount(f, 'r'), 1);
    expectKv(f, "k", 0, "last", 2, 16, 11);

    /* Survives a restart. */
    fixtureReopen(f);
    assert_int_equal(storeCompactRevision(f->s), 16);
    rangeReq(&req, "k", NULL);
    req.revision = 15;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg),
                     ETCFS_COMPACTED);
}

/* Compaction of many keys spans several cleanup chunks. */
static void testCompactionLarge(void **state)
{
    struct fixture *f = *state;
    char k[32];
    int i;
    for (i = 0; i < 5000; i++) {
        snprintf(k, sizeof k, "key%05d", i % 2500);
        put(f, k, "v");
    }
    assert_int_equal(rawCount(f, 'i'), 5000);
    assert_int_equal(storeApplyCompact(f->s, f->index++, 1,
                                       storeRevision(f->s), f->errmsg),
                     0);
    assert_int_equal(rawCount(f, 'i'), 2500);
    assert_int_equal(rawCount(f, 'r'), 1); /* only the compacted revision */
    assert_int_equal(storeKeyCount(f->s), 2500);
    expectKv(f, "key00007", 0, "v", 9, 2509, 2);
}

/* ---- history ---- */

/* History returns puts and deletes in revision order with prev_kv, filters
 * by range, and pages at revision boundaries. */
static void testHistory(void **state)
{
    struct fixture *f = *state;
    struct store_events ev = {0};
    struct store_op ops[2];
    struct store_txn_req req;
    struct store_txn_resp resp;
    int64_t next;

    put(f, "a", "1");                      /* 2 */
    put(f, "b", "1");                      /* 3 */
    put(f, "a", "2");                      /* 4 */
    assert_int_equal(del(f, "a", NULL), 1); /* 5 */
    ops[0] = opPut("a", "3");
    ops[1] = opPut("b", "3");
    memset(&req, 0, sizeof req);
    req.success = ops;
    req.n_success = 2;
    assert_int_equal(storeApplyTxn(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     0); /* 6 */
    storeTxnRespClear(&resp);

    assert_int_equal(storeHistory(f->s, 1, 0, "a", 1, NULL, 0, true, 0, &ev,
                                  &next, f->errmsg),
                     0);
    assert_int_equal(next, 7);
    assert_int_equal(ev.n_events, 4);
    assert_int_equal(ev.events[0].kv.mod_revision, 2);
    assert_false(ev.events[0].has_prev);
    assert_true(ev.events[1].has_prev);
    ASSERT_VALUE(&ev.events[1].prev_kv, "1");
    assert_int_equal(ev.events[2].type, STORE_EVENT_DELETE);
    assert_int_equal(ev.events[2].kv.mod_revision, 5);
    ASSERT_VALUE(&ev.events[2].prev_kv, "2");
    assert_int_equal(ev.events[3].kv.create_revision, 6);
    assert_false(ev.events[3].has_prev); /* put after delete */
    storeEventsClear(&ev);

    /* Paging: max 3 events, never splitting revision 6. */
    assert_int_equal(storeHistory(f->s, 2, 0, "\0", 1, "\0", 1, false, 3,
                                  &ev, &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 3);
    assert_int_equal(next, 5);
    assert_int_equal(storeHistory(f->s, next, 0, "\0", 1, "\0", 1, false, 1,
                                  &ev, &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 4);
    assert_int_equal(next, 6);
    assert_int_equal(storeHistory(f->s, next, 0, "\0", 1, "\0", 1, false, 1,
                                  &ev, &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 6);
    assert_int_equal(next, 7);
    storeEventsClear(&ev);

    /* Bounded by to_rev, empty when starting in the future. */
    assert_int_equal(storeHistory(f->s, 3, 4, "\0", 1, "\0", 1, false, 0, &ev,
                                  &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 2);
    assert_int_equal(next, 5);
    storeEventsClear(&ev);
    assert_int_equal(storeHistory(f->s, 9, 0, "\0", 1, "\0", 1, false, 0, &ev,
                                  &next, f->errmsg),
                     0);
    assert_int_equal(ev.n_events, 0);
    assert_int_equal(next, 9);
}

/* ---- durability and snapshots ---- */

static void fillMixed(struct fixture *f)
{
    assert_int_equal(storeApplyLeaseGrant(f->s, f->index++, 7, 42, 100,
                                          f->errmsg),
                     0);
    put(f, "a", "1");
    put(f, "b", "2");
    putLease(f, "c", "3", 42);
    put(f, "a", "4");
    assert_int_equal(del(f, "b", NULL), 1);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 7, "member/1", 8,
                                    "node1", 5, f->errmsg),
                     0);
    assert_int_equal(storeApplyCompact(f->s, f->index++, 7, 3, f->errmsg),
                     0);
}

static void expectMixed(struct fixture *f, uint64_t index)
{
    struct store_lease l;
    char *v;
    size_t len;
    assert_int_equal(storeAppliedIndex(f->s), index);
    assert_int_equal(storeAppliedTerm(f->s), 7);
    assert_int_equal(storeRevision(f->s), 6);
    assert_int_equal(storeCompactRevision(f->s), 3);
    assert_int_equal(storeKeyCount(f->s), 2);
    expectKv(f, "a", 0, "4", 2, 5, 2);
    expectKv(f, "a", 4, "1", 2, 2, 1);
    expectAbsent(f, "b", 0);
    expectKv(f, "b", 5, "2", 3, 3, 1);
    assert_int_equal(storeLeaseGet(f->s, 42, &l, f->errmsg), 0);
    assert_int_equal(l.ttl, 100);
    assert_int_equal(storeMetaGet(f->s, "member/1", 8, &v, &len, f->errmsg),
                     0);
    assert_int_equal(len, 5);
    assert_memory_equal(v, "node1", 5);
    free(v);
}

/* Close and reopen keep data, revisions, leases, metadata and the applied
 * position. */
static void testRestart(void **state)
{
    struct fixture *f = *state;
    uint64_t index;
    fillMixed(f);
    index = f->index - 1;
    expectMixed(f, index);
    fixtureReopen(f);
    expectMixed(f, index);
    put(f, "d", "5");
    assert_int_equal(storeRevision(f->s), 7);
}

/* The same snapshot as a format 1 file: version 1, with a 'k' entry
 * (format 1 carried the live copies; restore rebuilds them either way). */
static void *snapshotFormat1(const unsigned char *buf, size_t len,
                             size_t *out_len)
{
    static const char kkey[] = "kjunk";
    static const char kval[] = "not a record";
    size_t off = 8 + 4 + 5 * 8;
    size_t extra = 8 + sizeof kkey - 1 + sizeof kval - 1;
    unsigned char *out = malloc(len + extra);
    assert_non_null(out);
    /* after the last entry before 'k' */
    while (off < len - 4 && buf[off + 8] < 'k') {
        off += 8 + bufGetU32(buf + off) + bufGetU32(buf + off + 4);
    }
    memcpy(out, buf, off);
    bufPutU32(out + off, sizeof kkey - 1);
    bufPutU32(out + off + 4, sizeof kval - 1);
    memcpy(out + off + 8, kkey, sizeof kkey - 1);
    memcpy(out + off + 8 + sizeof kkey - 1, kval, sizeof kval - 1);
    memcpy(out + off + extra, buf + off, len - 4 - off);
    bufPutU32(out + 8, 1);
    bufPutU32(out + len + extra - 4,
              (uint32_t)crc32_z(0, out, len + extra - 4));
    *out_len = len + extra;
    return out;
}

/* A snapshot restored into a fresh store reads the same. */
static void testSnapshotRestore(void **state)
{
    struct fixture *f = *state;
    struct fixture g;
    size_t len;
    void *buf;
    uint64_t index;
    uint64_t term;
    int64_t rev;
    int64_t keys;
    int i;

    fillMixed(f);
    assert_int_equal(rawCount(f, 'k'), 0); /* rebuilt at restore */
    buf = snapshotEncode(f, &len);
    /* the full check, and the header alone (peek), tell the same */
    for (i = 0; i < 2; i++) {
        int (*info)(const void *, size_t, uint64_t *, uint64_t *, int64_t *,
                    int64_t *, char *) =
            i == 0 ? storeSnapshotInfo : storeSnapshotPeek;
        index = term = 0;
        rev = keys = 0;
        assert_int_equal(info(buf, len, &index, &term, &rev, &keys, f->errmsg),
                         0);
        assert_int_equal(index, f->index - 1);
        assert_int_equal(term, 7);
        assert_int_equal(rev, 6);
        assert_int_equal(keys, 2);
    }
    assert_int_equal(storeSnapshotPeek(buf, 10, &index, &term, &rev, &keys,
                                       f->errmsg),
                     ETCFS_CORRUPT);

    memset(&g, 0, sizeof g);
    snprintf(g.dir, sizeof g.dir, "/tmp/etcfs-test-store-XXXXXX");
    assert_non_null(mkdtemp(g.dir));
    fixtureOpen(&g);
    g.index = 1;
    put(&g, "junk", "j");
    assert_int_equal(storeRestore(g.s, buf, len, g.errmsg), 0);
    expectMixed(&g, f->index - 1);
    expectAbsent(&g, "junk", 0);
    {
        size_t len1;
        void *buf1 = snapshotFormat1(buf, len, &len1);
        g.index = f->index + 1;
        put(&g, "junk", "j");
        expectKv(&g, "junk", 0, "j", 7, 7, 1);
        assert_int_equal(storeRestore(g.s, buf1, len1, g.errmsg), 0);
        expectMixed(&g, f->index - 1);
        expectAbsent(&g, "junk", 0);
        free(buf1);
    }
    /* And it keeps going from there. */
    g.index = f->index;
    put(&g, "d", "5");
    assert_int_equal(storeRevision(g.s), 7);
    storeClose(g.s);
    nftw(g.dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
    free(buf);
}

/* A corrupted or truncated snapshot is refused and changes nothing. */
static void testRestoreCorrupt(void **state)
{
    struct fixture *f = *state;
    size_t len;
    unsigned char *buf;
    size_t i;
    uint64_t index;

    fillMixed(f);
    index = f->index - 1;
    buf = snapshotEncode(f, &len);
    put(f, "after", "x"); /* revision 7 */
    for (i = 0; i < len; i += len / 7 + 1) {
        buf[i] ^= 0x10;
        assert_int_equal(storeRestore(f->s, buf, len, f->errmsg),
                         ETCFS_CORRUPT);
        buf[i] ^= 0x10;
    }
    buf[len / 2] ^= 0x01;
    assert_int_equal(storeRestore(f->s, buf, len, f->errmsg), ETCFS_CORRUPT);
    assert_int_equal(storeRestore(f->s, buf, len / 2, f->errmsg),
                     ETCFS_CORRUPT);
    assert_int_equal(storeRestore(f->s, buf, 3, f->errmsg), ETCFS_CORRUPT);
    assert_int_equal(storeRevision(f->s), 7);
    assert_int_equal(storeAppliedIndex(f->s), index + 1);
    expectKv(f, "after", 0, "x", 7, 7, 1);
    buf[len / 2] ^= 0x01;
    {
        /* a header whose applied term (bytes 20-27) is not the state
         * record's, its CRC made right
         * (tests/fuzz/corpus/snapshot/regress-term-mismatch) */
        unsigned char crc[4];
        uint64_t idx;
        uint64_t term;
        int64_t rev;
        int64_t keys;
        memcpy(crc, buf + len - 4, 4);
        buf[27] ^= 0x01;
        bufPutU32(buf + len - 4, (uint32_t)crc32_z(0, buf, len - 4));
        assert_int_equal(storeSnapshotInfo(buf, len, &idx, &term, &rev, &keys,
                                           f->errmsg),
                         ETCFS_CORRUPT);
        assert_int_equal(storeRestore(f->s, buf, len, f->errmsg),
                         ETCFS_CORRUPT);
        buf[27] ^= 0x01;
        memcpy(buf + len - 4, crc, 4);
    }
    expectKv(f, "after", 0, "x", 7, 7, 1);
    assert_int_equal(storeRestore(f->s, buf, len, f->errmsg), 0);
    expectMixed(f, index);
    expectAbsent(f, "after", 0);
    free(buf);
}

/* ---- authentication state ---- */

/* One authentication change through the store (the next Raft index);
 * end as del(): NULL one key, "" from key on. */
static int authOp(struct fixture *f, int type, const char *name,
                  const char *role, const char *key, const char *end)
{
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = type;
    op.name = name;
    op.name_len = name != NULL ? strlen(name) : 0;
    op.role = role;
    op.role_len = role != NULL ? strlen(role) : 0;
    op.hash = "$2b$10$hash";
    op.hash_len = strlen(op.hash);
    op.perm_type = AUTH_READWRITE;
    op.key = key;
    op.key_len = key != NULL ? strlen(key) : 0;
    op.range_end = end;
    op.range_end_len = end != NULL ? (end[0] == '\0' ? 1 : strlen(end)) : 0;
    return storeApplyAuth(f->s, f->index++, 7, &op, f->errmsg);
}

/* root (root role), alice (role app: [/app/, /app0) and from /z on),
 * auth on: auth revision 7. */
static void fillAuth(struct fixture *f)
{
    assert_int_equal(authOp(f, AUTH_OP_USER_ADD, "root", NULL, NULL, NULL),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_USER_GRANT, "root", "root", NULL,
                            NULL),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_ROLE_ADD, "app", NULL, NULL, NULL), 0);
    assert_int_equal(authOp(f, AUTH_OP_ROLE_GRANT, "app", NULL, "/app/",
                            "/app0"),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_ROLE_GRANT, "app", NULL, "/z", ""),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_USER_ADD, "alice", NULL, NULL, NULL),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_USER_GRANT, "alice", "app", NULL,
                            NULL),
                     0);
    assert_int_equal(authOp(f, AUTH_OP_ENABLE, NULL, NULL, NULL, NULL), 0);
}

/* The state fillAuth made, read back, and its encoding (b). */
static void expectAuth(struct auth *a, struct buf *b)
{
    char **names;
    size_t n;
    struct auth_perm *perms;
    assert_true(authEnabled(a));
    assert_int_equal(authRevision(a), 8);
    assert_int_equal(authUsers(a, &names, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "alice");
    assert_string_equal(names[1], "root");
    authNamesFree(names, n);
    assert_int_equal(authUserRoles(a, "alice", 5, &names, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "app");
    authNamesFree(names, n);
    assert_int_equal(authRolePerms(a, "app", 3, &perms, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(perms[0].key_len, 5);
    assert_memory_equal(perms[0].key, "/app/", 5);
    assert_int_equal(perms[1].range_end_len, 1); /* "\0": from /z on */
    authPermsFree(perms, n);
    assert_int_equal(authCheck(a, "alice", 5, 8, "/app/x", 6, "", 0,
                               AUTH_WRITE),
                     0);
    assert_int_equal(authCheck(a, "alice", 5, 8, "/etc/x", 6, "", 0,
                               AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(authCheck(a, "alice", 5, 8, "/zz", 3, "\0", 1,
                               AUTH_READ),
                     0);
    assert_int_equal(authAdmin(a, "root", 4), 0);
    memset(b, 0, sizeof *b);
    assert_int_equal(authEncode(a, b), 0);
}

static void expectSameAuth(struct auth *a, const struct buf *want)
{
    struct buf got = {0};
    assert_int_equal(authEncode(a, &got), 0);
    assert_int_equal(got.len, want->len);
    assert_memory_equal(got.data, want->data, want->len);
    bufFree(&got);
}

/* storeApplyAuth makes each change durable with the applied index: a
 * close and reopen finds the same users, roles and permissions; a refused
 * change is an applied entry that changes nothing; no key revision. */
static void testAuthPersist(void **state)
{
    struct fixture *f = *state;
    struct buf b;
    uint64_t index;
    assert_false(authEnabled(storeAuth(f->s)));
    put(f, "/app/x", "1");
    fillAuth(f);
    assert_int_equal(authOp(f, AUTH_OP_USER_ADD, "alice", NULL, NULL, NULL),
                     ETCFS_USER_EXISTS);
    assert_int_equal(authOp(f, AUTH_OP_USER_DELETE, "root", NULL, NULL,
                            NULL),
                     ETCFS_INVALID_AUTH_MGMT);
    index = f->index - 1;
    assert_int_equal(storeAppliedIndex(f->s), index);
    assert_int_equal(storeRevision(f->s), 2); /* only the put */
    expectAuth(storeAuth(f->s), &b);

    fixtureReopen(f);
    assert_int_equal(storeAppliedIndex(f->s), index);
    expectSameAuth(storeAuth(f->s), &b);
    bufFree(&b);
    expectAuth(storeAuth(f->s), &b);
    bufFree(&b);
    expectKv(f, "/app/x", 0, "1", 2, 2, 1);

    /* it goes on from there, and that is kept too */
    assert_int_equal(authOp(f, AUTH_OP_DISABLE, NULL, NULL, NULL, NULL), 0);
    assert_int_equal(authOp(f, AUTH_OP_USER_DELETE, "root", NULL, NULL,
                            NULL),
                     0);
    fixtureReopen(f);
    assert_false(authEnabled(storeAuth(f->s)));
    assert_int_equal(authRevision(storeAuth(f->s)), 10);
    assert_int_equal(authCheck(storeAuth(f->s), "", 0, 0, "/x", 2, "", 0,
                               AUTH_WRITE),
                     0);
}

/* A snapshot carries the authentication state: restored into a fresh
 * store it is the same (and stays after a reopen); restored over a store
 * whose state moved on, that state goes back; a snapshot of a store that
 * never had auth empties it. */
static void testAuthSnapshot(void **state)
{
    struct fixture *f = *state;
    struct fixture g;
    struct buf b;
    size_t len;
    size_t empty_len;
    void *buf;
    void *empty;
    char **names;
    size_t n;

    put(f, "/app/x", "1");
    empty = snapshotEncode(f, &empty_len); /* no auth record in it */
    fillAuth(f);
    expectAuth(storeAuth(f->s), &b);
    buf = snapshotEncode(f, &len);

    memset(&g, 0, sizeof g);
    snprintf(g.dir, sizeof g.dir, "/tmp/etcfs-test-store-XXXXXX");
    assert_non_null(mkdtemp(g.dir));
    fixtureOpen(&g);
    g.index = 1;
    assert_int_equal(storeRestore(g.s, buf, len, g.errmsg), 0);
    expectSameAuth(storeAuth(g.s), &b);
    fixtureReopen(&g);
    expectSameAuth(storeAuth(g.s), &b);

    /* f moves on; the snapshot takes it back */
    assert_int_equal(authOp(f, AUTH_OP_USER_ADD, "bob", NULL, NULL, NULL), 0);
    assert_int_equal(authOp(f, AUTH_OP_ROLE_DELETE, "app", NULL, NULL, NULL),
                     0);
    assert_int_equal(storeRestore(f->s, buf, len, f->errmsg), 0);
    expectSameAuth(storeAuth(f->s), &b);
    bufFree(&b);
    expectAuth(storeAuth(f->s), &b);
    bufFree(&b);

    /* a snapshot from before any auth change: the empty state */
    assert_int_equal(storeRestore(g.s, empty, empty_len, g.errmsg), 0);
    assert_false(authEnabled(storeAuth(g.s)));
    assert_int_equal(authRevision(storeAuth(g.s)), 1);
    assert_int_equal(authUsers(storeAuth(g.s), &names, &n), 0);
    assert_int_equal(n, 0);
    authNamesFree(names, n);
    fixtureReopen(&g);
    assert_false(authEnabled(storeAuth(g.s)));
    storeClose(g.s);
    nftw(g.dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
    free(buf);
    free(empty);
}

/* Request-level errors still record the applied index; no revision. */
static void testAppliedIndexOnError(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(storeApplyLeaseRevoke(f->s, 10, 3, 77, NULL, NULL,
                                           f->errmsg),
                     ETCFS_LEASE_NOTFOUND);
    assert_int_equal(storeAppliedIndex(f->s), 10);
    assert_int_equal(storeAppliedTerm(f->s), 3);
    assert_int_equal(storeApplyCompact(f->s, 11, 3, 5, f->errmsg),
                     ETCFS_FUTURE_REV);
    assert_int_equal(storeAppliedIndex(f->s), 11);
    assert_int_equal(storeApplyNoop(f->s, 12, 4, f->errmsg), 0);
    assert_int_equal(storeAppliedIndex(f->s), 12);
    assert_int_equal(storeAppliedTerm(f->s), 4);
    assert_int_equal(storeApplyLeaseGrant(f->s, 13, 4, 0, 5, f->errmsg),
                     ETCFS_INVALID);
    assert_int_equal(storeAppliedIndex(f->s), 13);
    assert_int_equal(storeRevision(f->s), 1);
    fixtureReopen(f);
    assert_int_equal(storeAppliedIndex(f->s), 13);
}

/* ---- odd values ---- */

/* 1.5 MiB values, keys with NUL bytes, and empty values round-trip. */
static void testOddValues(void **state)
{
    struct fixture *f = *state;
    size_t big_len = 3 * 1024 * 1024 / 2;
    char *big = malloc(big_len);
    struct store_range_req req;
    struct store_range_resp resp;
    static const char k0[] = {'a', '\0', 'b'};
    static const char k1[] = {'a', '\0'};
    static const char k2[] = {'a'};
    static const char k3[] = {'a', '\x01'};
    size_t i;

    assert_non_null(big);
    for (i = 0; i < big_len; i++) {
        big[i] = (char)(i * 31);
    }
    assert_int_equal(putFull(f, "big", 3, big, big_len, 0, NULL, NULL), 0);
    assert_int_equal(putFull(f, k0, 3, "0", 1, 0, NULL, NULL), 0);
    assert_int_equal(putFull(f, k1, 2, "1", 1, 0, NULL, NULL), 0);
    assert_int_equal(putFull(f, k2, 1, "2", 1, 0, NULL, NULL), 0);
    assert_int_equal(putFull(f, k3, 2, "3", 1, 0, NULL, NULL), 0);
    assert_int_equal(putFull(f, "empty", 5, NULL, 0, 0, NULL, NULL), 0);

    rangeReq(&req, "big", NULL);
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.kvs[0].value_len, big_len);
    assert_memory_equal(resp.kvs[0].value, big, big_len);
    storeRangeRespClear(&resp);

    /* Byte order: a < a\0 < a\0b < a\1. */
    memset(&req, 0, sizeof req);
    req.key = "a";
    req.key_len = 1;
    req.range_end = "b";
    req.range_end_len = 1;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 4);
    assert_int_equal(resp.kvs[0].key_len, 1);
    assert_int_equal(resp.kvs[1].key_len, 2);
    assert_memory_equal(resp.kvs[1].key, k1, 2);
    assert_memory_equal(resp.kvs[2].key, k0, 3);
    assert_memory_equal(resp.kvs[3].key, k3, 2);
    storeRangeRespClear(&resp);

    /* Range [a\0, a\0b) holds only a\0. */
    req.key = k1;
    req.key_len = 2;
    req.range_end = k0;
    req.range_end_len = 3;
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    assert_memory_equal(resp.kvs[0].value, "1", 1);
    storeRangeRespClear(&resp);

    rangeReq(&req, "empty", NULL);
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.n_kvs, 1);
    assert_int_equal(resp.kvs[0].value_len, 0);
    assert_non_null(resp.kvs[0].value);
    storeRangeRespClear(&resp);

    /* Big values survive snapshots. */
    {
        size_t len;
        void *buf = snapshotEncode(f, &len);
        assert_true(len > big_len);
        assert_int_equal(storeRestore(f->s, buf, len, f->errmsg), 0);
        free(buf);
    }
    expectKv(f, "empty", 0, "", 7, 7, 1);
    free(big);
}

/* Metadata: set, get, scan by prefix, delete; no revision. */
static void testMeta(void **state)
{
    struct fixture *f = *state;
    char *v;
    size_t len;
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "m/1", 3, "x", 1,
                                    f->errmsg),
                     0);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "m/2", 3, "", 0,
                                    f->errmsg),
                     0);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "n", 1, "y", 1,
                                    f->errmsg),
                     0);
    assert_int_equal(storeRevision(f->s), 1);
    assert_int_equal(storeMetaGet(f->s, "m/2", 3, &v, &len, f->errmsg), 0);
    assert_int_equal(len, 0);
    free(v);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "m/1", 3, NULL, 0,
                                    f->errmsg),
                     0);
    assert_int_equal(storeMetaGet(f->s, "m/1", 3, &v, &len, f->errmsg),
                     ETCFS_NOTFOUND);
}

static void metaCountCb(void *data, const char *name, size_t name_len,
                        const char *value, size_t value_len)
{
    int *n = data;
    (void)value;
    (void)value_len;
    assert_true(name_len >= 2 && memcmp(name, "m/", 2) == 0);
    (*n)++;
}

/* Meta scan visits only the prefix, in name order. */
static void testMetaScan(void **state)
{
    struct fixture *f = *state;
    int n = 0;
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "m/1", 3, "x", 1,
                                    f->errmsg),
                     0);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "m/2", 3, "y", 1,
                                    f->errmsg),
                     0);
    assert_int_equal(storeApplyMeta(f->s, f->index++, 1, "n", 1, "z", 1,
                                    f->errmsg),
                     0);
    assert_int_equal(storeMetaScan(f->s, "m/", 2, metaCountCb, &n,
                                   f->errmsg),
                     0);
    assert_int_equal(n, 2);
}

/* ---- threads ---- */

struct reader_arg
{
    struct store *s;
    atomic_bool stop;
    int reads;
};

static void *readerMain(void *data)
{
    struct reader_arg *r = data;
    char errmsg[ETCFS_ERRMSG_SIZE];
    while (!atomic_load(&r->stop)) {
        struct store_range_req req;
        struct store_range_resp resp;
        struct store_events ev = {0};
        int64_t next;
        int rv;
        rangeReq(&req, "c", NULL);
        rv = storeRange(r->s, &req, &resp, errmsg);
        if (rv == 0 && resp.n_kvs == 1) {
            /* Only "c" is written: version and revision move together. */
            if (resp.kvs[0].mod_revision > resp.revision ||
                resp.kvs[0].version != resp.kvs[0].mod_revision - 1) {
                fprintf(stderr, "inconsistent read\n");
                abort();
            }
        }
        storeRangeRespClear(&resp);
        rv = storeHistory(r->s, storeCompactRevision(r->s), 0, "c", 1, NULL,
                          0, true, 16, &ev, &next, errmsg);
        if (rv != 0 && rv != ETCFS_COMPACTED) {
            fprintf(stderr, "history: %s\n", errmsg);
            abort();
        }
        storeEventsClear(&ev);
        r->reads++;
    }
    return NULL;
}

/* Reads on another thread stay consistent while puts and compactions run
 * on the apply thread. */
static void testConcurrentReads(void **state)
{
    struct fixture *f = *state;
    struct reader_arg r;
    pthread_t th;
    char v[16];
    int i;
    memset(&r, 0, sizeof r);
    r.s = f->s;
    atomic_init(&r.stop, false);
    assert_int_equal(pthread_create(&th, NULL, readerMain, &r), 0);
    for (i = 0; i < 3000; i++) {
        snprintf(v, sizeof v, "%d", i);
        put(f, "c", v);
        if (i % 500 == 499) {
            assert_int_equal(storeApplyCompact(f->s, f->index++, 1,
                                               storeRevision(f->s) - 10,
                                               f->errmsg),
                             0);
        }
    }
    atomic_store(&r.stop, true);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(r.reads > 0);
}

/* After a deleterange of many keys the store hands out their span once
 * (storeTidyTake) and compacting it (storeTidyRun) changes no answer: the
 * deleted keys stay gone, their history stays readable, the neighbours
 * stay. Fewer deletes than STORE_TIDY_MIN are left to LevelDB. */
static void testTidy(void **state)
{
    struct fixture *f = *state;
    struct store_tidy t;
    struct store_range_req req;
    struct store_range_resp resp;
    struct store_kv kv;
    char k[32];
    int64_t before;
    int i;
    for (i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "/d/k%03d", i);
        put(f, k, "v");
    }
    put(f, "/e", "e");
    before = storeRevision(f->s);
    assert_int_equal(del(f, "/d/k000", NULL), 1);
    assert_false(storeTidyTake(f->s, &t));
    assert_int_equal(del(f, "/d/", "/d0"), 299);
    assert_true(storeTidyTake(f->s, &t));
    assert_int_equal(t.n, 300);
    storeTidyRun(f->s, &t);
    {
        struct store_tidy again;
        assert_false(storeTidyTake(f->s, &again));
    }
    rangeReq(&req, "/d/", "/d0");
    assert_int_equal(storeRange(f->s, &req, &resp, f->errmsg), 0);
    assert_int_equal(resp.count, 0);
    storeRangeRespClear(&resp);
    assert_true(getAt(f, "/e", 0, &kv));
    ASSERT_VALUE(&kv, "e");
    storeKvClear(&kv);
    assert_true(getAt(f, "/d/k123", before, &kv));
    ASSERT_VALUE(&kv, "v");
    storeKvClear(&kv);
}

#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setUp, tearDown)


/* File metadata for the mount: stored per version, kept by API puts (mode
 * 0), replaced by puts that carry it, and seen in events and history. */
static void testAttrs(void **state)
{
    struct fixture *f = *state;
    struct store_put_req req;
    struct store_events ev;
    struct store_kv kv;
    int64_t next = 0;
    memset(&req, 0, sizeof req);
    req.key = "/etc/hosts";
    req.key_len = 10;
    req.value = "127.0.0.1 localhost\n";
    req.value_len = 20;
    req.attr.mode = 0100600;
    req.attr.uid = 1000;
    req.attr.gid = 100;
    req.attr.mtime_ns = 1700000000123456789LL;
    memset(&ev, 0, sizeof ev);
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, &ev, NULL,
                                   f->errmsg), 0);
    assert_int_equal(ev.n_events, 1);
    assert_int_equal(ev.events[0].kv.attr.mode, 0100600);
    storeEventsClear(&ev);
    assert_true(getAt(f, "/etc/hosts", 0, &kv));
    assert_int_equal(kv.attr.mode, 0100600);
    assert_int_equal(kv.attr.uid, 1000);
    assert_int_equal(kv.attr.gid, 100);
    assert_true(kv.attr.mtime_ns == 1700000000123456789LL);
    storeKvClear(&kv);
    /* an API put (mode 0) keeps mode/uid/gid and sets the new mtime */
    memset(&req.attr, 0, sizeof req.attr);
    req.attr.mtime_ns = 1800000000000000000LL;
    req.value = "x";
    req.value_len = 1;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL, NULL,
                                   f->errmsg), 0);
    assert_true(getAt(f, "/etc/hosts", 0, &kv));
    assert_int_equal(kv.attr.mode, 0100600);
    assert_int_equal(kv.attr.uid, 1000);
    assert_true(kv.attr.mtime_ns == 1800000000000000000LL);
    ASSERT_VALUE(&kv, "x");
    storeKvClear(&kv);
    /* the older version keeps its own metadata */
    assert_true(getAt(f, "/etc/hosts", 2, &kv));
    assert_true(kv.attr.mtime_ns == 1700000000123456789LL);
    storeKvClear(&kv);
    /* history carries it too, and survives a reopen */
    fixtureReopen(f);
    memset(&ev, 0, sizeof ev);
    assert_int_equal(storeHistory(f->s, 2, 0, "/etc/hosts", 10, NULL, 0, false,
                                  100, &ev, &next, f->errmsg), 0);
    assert_int_equal(ev.n_events, 2);
    assert_int_equal(ev.events[1].kv.attr.uid, 1000);
    assert_true(ev.events[1].kv.attr.mtime_ns == 1800000000000000000LL);
    storeEventsClear(&ev);
    /* POSIX times: atime is kept until a put sets it, ctime is per version */
    memset(&req.attr, 0, sizeof req.attr);
    req.attr.mode = 0100644;
    req.attr.mtime_ns = 1900000000000000000LL;
    req.attr.atime_ns = 1600000000000000000LL;
    req.attr.ctime_ns = 1900000000000000001LL;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL, NULL,
                                   f->errmsg), 0);
    req.attr.atime_ns = 0;
    req.attr.ctime_ns = 1900000000000000002LL;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, NULL, NULL, NULL,
                                   f->errmsg), 0);
    assert_true(getAt(f, "/etc/hosts", 0, &kv));
    assert_true(kv.attr.atime_ns == 1600000000000000000LL);
    assert_true(kv.attr.ctime_ns == 1900000000000000002LL);
    storeKvClear(&kv);
    {
        /* a keys-only range over older versions still decodes metadata */
        struct store_range_req r;
        struct store_range_resp resp;
        rangeReq(&r, "/etc/", "/etc0");
        r.revision = 4;
        r.keys_only = true;
        assert_int_equal(storeRange(f->s, &r, &resp, f->errmsg), 0);
        assert_int_equal(resp.n_kvs, 1);
        assert_true(resp.kvs[0].attr.ctime_ns == 1900000000000000001LL);
        assert_int_equal(resp.kvs[0].attr.mode, 0100644);
        storeRangeRespClear(&resp);
        r.revision = 2;
        assert_int_equal(storeRange(f->s, &r, &resp, f->errmsg), 0);
        assert_int_equal(resp.n_kvs, 1);
        assert_int_equal(resp.kvs[0].attr.uid, 1000);
        storeRangeRespClear(&resp);
    }
    /* a key without metadata reads back all zero */
    put(f, "/plain", "v");
    assert_true(getAt(f, "/plain", 0, &kv));
    assert_int_equal(kv.attr.mode, 0);
    assert_true(kv.attr.mtime_ns == 0);
    storeKvClear(&kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(testEmpty),           T(testAttrs), T(testPutRevisions),
        T(testPastReads),       T(testFutureRevision),
        T(testRangeBounds),     T(testRangeLimit),
        T(testRangeSortFilter), T(testManyVersions),
        T(testDeleteRange),     T(testTxnCompares),
        T(testTxnWrites),       T(testTxnNested),
        T(testTxnInvalid),      T(testIgnoreValueLease),
        T(testLeaseRevoke),     T(testCompaction),
        T(testCompactionLarge), T(testHistory),
        T(testRestart),         T(testSnapshotRestore),
        T(testRestoreCorrupt),  T(testAppliedIndexOnError),
        T(testOddValues),       T(testMeta),
        T(testMetaScan),        T(testConcurrentReads),
        T(testTidy),            T(testAuthPersist),
        T(testAuthSnapshot),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
