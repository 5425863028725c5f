/* Unit tests of etcd 3.4 snapshots (src/store/bolt.c, store_bolt.c): the
 * store written as a bbolt file and read back into a fresh store, against
 * real LevelDBs in temporary directories. With ETCFS_TEST_BOLT_OUT=DIR the
 * files are also left in DIR for `etcdctl snapshot status`. */
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
#include <openssl/evp.h>

#include "../../src/core/error.h"
#include "../../src/lib/buf.h"
#include "../../src/store/auth.h"
#include "../../src/store/bolt.h"
#include "../../src/store/store.h"

/* ---- fixture: a source store and a destination store ---- */

struct fixture
{
    char dir[2][64];
    struct store *s[2];
    uint64_t index;
    struct buf file; /* the stream: bolt file + SHA-256 */
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

static int setUp(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct store_options opts = {0};
    assert_non_null(f);
    for (int i = 0; i < 2; i++) {
        snprintf(f->dir[i], sizeof f->dir[i], "/tmp/etcfs-test-bolt-XXXXXX");
        assert_non_null(mkdtemp(f->dir[i]));
        assert_int_equal(storeOpen(f->dir[i], &opts, &f->s[i], f->errmsg), 0);
    }
    f->index = 1;
    *state = f;
    return 0;
}

static int tearDown(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 2; i++) {
        storeClose(f->s[i]);
        nftw(f->dir[i], rmEntry, 16, FTW_DEPTH | FTW_PHYS);
    }
    bufFree(&f->file);
    free(f);
    return 0;
}

/* ---- helpers ---- */

static void putLease(struct fixture *f, const char *key, const char *value,
                     int64_t lease)
{
    struct store_put_req req = {0};
    struct store_put_resp resp = {0};
    req.key = key;
    req.key_len = strlen(key);
    req.value = value;
    req.value_len = strlen(value);
    req.lease = lease;
    assert_int_equal(storeApplyPut(f->s[0], f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     0);
    storePutRespClear(&resp);
}

static void put(struct fixture *f, const char *key, const char *value)
{
    putLease(f, key, value, 0);
}

static void del(struct fixture *f, const char *key)
{
    struct store_delete_req req = {0};
    struct store_delete_resp resp = {0};
    req.key = key;
    req.key_len = strlen(key);
    assert_int_equal(storeApplyDeleteRange(f->s[0], f->index++, 1, &req,
                                           &resp, NULL, NULL, f->errmsg),
                     0);
    storeDeleteRespClear(&resp);
}

/* Writes the snapshot of store 0 into f->file, reading it in pieces of
 * 'piece' bytes; returns the bolt file's size. */
static uint64_t save(struct fixture *f, size_t piece, const char *name)
{
    struct store_snapshot *snap;
    struct store_bolt *b;
    char *chunk = malloc(piece);
    size_t n;
    uint64_t size;
    assert_non_null(chunk);
    assert_int_equal(storeSnapshotTake(f->s[0], &snap, f->errmsg), 0);
    assert_int_equal(storeBoltOpen(snap, &b, f->errmsg), 0);
    size = storeBoltSize(b);
    bufReset(&f->file);
    do {
        assert_int_equal(storeBoltRead(b, chunk, piece, &n, f->errmsg), 0);
        assert_int_equal(bufAppend(&f->file, chunk, n), 0);
    } while (n == piece);
    storeBoltClose(b);
    storeSnapshotRelease(snap);
    free(chunk);
    assert_int_equal(f->file.len, size + 32);
    assert_int_equal(f->file.len % 512, 32); /* what etcdctl checks */
    if (getenv("ETCFS_TEST_BOLT_OUT") != NULL) {
        char path[512];
        FILE *out;
        snprintf(path, sizeof path, "%s/%s.db", getenv("ETCFS_TEST_BOLT_OUT"),
                 name);
        out = fopen(path, "wb");
        assert_non_null(out);
        assert_int_equal(fwrite(f->file.data, 1, f->file.len, out),
                         f->file.len);
        fclose(out);
    }
    return size;
}

struct count
{
    uint64_t n;
    const unsigned char *last;
    size_t last_len;
};

static int countCb(void *data, const unsigned char *k, size_t klen,
                   const unsigned char *v, size_t vlen, bool is_bucket)
{
    struct count *c = data;
    (void)v;
    (void)vlen;
    (void)is_bucket;
    if (c->last != NULL) {
        /* keys strictly increasing, as bbolt's cursor needs them */
        size_t m = klen < c->last_len ? klen : c->last_len;
        int cmp = memcmp(c->last, k, m);
        assert_true(cmp < 0 || (cmp == 0 && c->last_len < klen));
    }
    c->last = k;
    c->last_len = klen;
    c->n++;
    return 0;
}

/* Elements of one bucket of f->file. */
static uint64_t bucketCount(struct fixture *f, const char *name,
                            int64_t *last_rev)
{
    struct bolt_file bf;
    struct count c = {0};
    const unsigned char *v;
    size_t vlen;
    assert_int_equal(boltOpen(&bf, f->file.data, f->file.len - 32), 0);
    assert_int_equal(boltBucket(&bf, name, strlen(name), &v, &vlen), 0);
    assert_int_equal(boltForEach(&bf, v, vlen, countCb, &c), 0);
    if (last_rev != NULL && c.last != NULL) {
        *last_rev = (int64_t)bufGetU64(c.last);
    }
    return c.n;
}

static void restore(struct fixture *f)
{
    int rv = storeRestore(f->s[1], f->file.data, f->file.len, f->errmsg);
    if (rv != 0) {
        fprintf(stderr, "restore: %s\n", f->errmsg);
    }
    assert_int_equal(rv, 0);
}

static void expectValue(struct fixture *f, int i, const char *key,
                        const char *value, int64_t mod, int64_t lease)
{
    struct store_range_req req = {0};
    struct store_range_resp resp = {0};
    req.key = key;
    req.key_len = strlen(key);
    assert_int_equal(storeRange(f->s[i], &req, &resp, f->errmsg), 0);
    if (value == NULL) {
        assert_int_equal(resp.n_kvs, 0);
    } else {
        assert_int_equal(resp.n_kvs, 1);
        assert_int_equal(resp.kvs[0].value_len, strlen(value));
        assert_memory_equal(resp.kvs[0].value, value, strlen(value));
        assert_int_equal(resp.kvs[0].mod_revision, mod);
        assert_int_equal(resp.kvs[0].lease, lease);
    }
    storeRangeRespClear(&resp);
}

/* ---- tests ---- */

/* An empty store is a valid file of etcd's ten buckets, at revision 1. */
static void emptyStore(void **state)
{
    struct fixture *f = *state;
    uint64_t size = save(f, 4096, "empty");
    assert_int_equal(size % 4096, 0);
    assert_int_equal(bucketCount(f, "key", NULL), 0);
    assert_int_equal(bucketCount(f, "meta", NULL), 1);
    restore(f);
    assert_int_equal(storeRevision(f->s[1]), 1);
    assert_int_equal(storeKeyCount(f->s[1]), 0);
}

/* Versions, a tombstone, a lease and a compaction survive the round trip
 * with their revisions; the stream ends with the SHA-256 of the file. */
static void roundTrip(void **state)
{
    struct fixture *f = *state;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int64_t last = 0;
    put(f, "a", "1");      /* rev 2 */
    put(f, "b", "2");      /* rev 3 */
    put(f, "a", "3");      /* rev 4 */
    del(f, "b");           /* rev 5 */
    assert_int_equal(storeApplyLeaseGrant(f->s[0], f->index++, 1, 7, 100,
                                          f->errmsg),
                     0);
    putLease(f, "c", "4", 7); /* rev 6 */
    assert_int_equal(storeApplyCompact(f->s[0], f->index++, 1, 3, f->errmsg),
                     0);
    put(f, "d", "");       /* rev 7: an empty value */
    save(f, 1000, "small");
    assert_int_equal(EVP_Digest(f->file.data, f->file.len - 32, md, &mdlen,
                                EVP_sha256(), NULL),
                     1);
    assert_memory_equal(md, f->file.data + f->file.len - 32, 32);
    /* a=1@2 b=2@3 (kept by the compaction at 3), a=3@4, b deleted @5,
     * c@6, d@7 */
    assert_int_equal(bucketCount(f, "key", &last), 6);
    assert_int_equal(last, 7);
    assert_int_equal(bucketCount(f, "lease", NULL), 1);
    restore(f);
    assert_int_equal(storeRevision(f->s[1]), 7);
    assert_int_equal(storeCompactRevision(f->s[1]), 3);
    assert_int_equal(storeKeyCount(f->s[1]), 3);
    expectValue(f, 1, "a", "3", 4, 0);
    expectValue(f, 1, "b", NULL, 0, 0);
    expectValue(f, 1, "c", "4", 6, 7);
    expectValue(f, 1, "d", "", 7, 0);
    {
        char **keys;
        size_t *lens;
        size_t n;
        assert_int_equal(storeLeaseKeys(f->s[1], 7, &keys, &lens, &n,
                                        f->errmsg),
                         0);
        assert_int_equal(n, 1);
        assert_memory_equal(keys[0], "c", 1);
        storeKeysFree(keys, lens, n);
    }
    /* the history after the compaction is there: b's delete at 5 */
    {
        struct store_events ev = {0};
        int64_t next;
        assert_int_equal(storeHistory(f->s[1], 4, 0, "b", 1, NULL, 0, false,
                                      100, &ev, &next, f->errmsg),
                         0);
        assert_int_equal(ev.n_events, 1);
        assert_int_equal(ev.events[0].type, STORE_EVENT_DELETE);
        assert_int_equal(ev.events[0].kv.mod_revision, 5);
        storeEventsClear(&ev);
    }
}

/* 100,000 keys and a value larger than a page (overflow pages) make a
 * multi-level tree that reads back whole. */
static void manyKeys(void **state)
{
    struct fixture *f = *state;
    char key[32];
    char *big = malloc(10000);
    assert_non_null(big);
    memset(big, 'x', 9999);
    big[9999] = '\0';
    for (int i = 0; i < 100000; i++) {
        snprintf(key, sizeof key, "/k/%06d", i);
        put(f, key, i == 500 ? big : "value");
    }
    save(f, 32 << 10, "many");
    assert_int_equal(bucketCount(f, "key", NULL), 100000);
    restore(f);
    assert_int_equal(storeKeyCount(f->s[1]), 100000);
    assert_int_equal(storeRevision(f->s[1]), 100001);
    expectValue(f, 1, "/k/000500", big, 502, 0);
    expectValue(f, 1, "/k/099999", "value", 100001, 0);
    free(big);
}

/* Users and roles travel in authUsers and authRoles. */
static void authTravels(void **state)
{
    struct fixture *f = *state;
    struct auth_op op;
    bool no_password = false;
    char hash[128];
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_ROLE_ADD;
    op.name = "r1";
    op.name_len = 2;
    assert_int_equal(storeApplyAuth(f->s[0], f->index++, 1, &op, f->errmsg), 0);
    op.type = AUTH_OP_ROLE_GRANT;
    op.perm_type = AUTH_READWRITE;
    op.key = "x";
    op.key_len = 1;
    op.range_end = "y";
    op.range_end_len = 1;
    assert_int_equal(storeApplyAuth(f->s[0], f->index++, 1, &op, f->errmsg), 0);
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_USER_ADD;
    op.name = "u1";
    op.name_len = 2;
    op.hash = "$2a$10$abcdefghijklmnopqrstuu";
    op.hash_len = strlen(op.hash);
    assert_int_equal(storeApplyAuth(f->s[0], f->index++, 1, &op, f->errmsg), 0);
    op.type = AUTH_OP_USER_GRANT;
    op.role = "r1";
    op.role_len = 2;
    assert_int_equal(storeApplyAuth(f->s[0], f->index++, 1, &op, f->errmsg), 0);
    save(f, 4096, "auth");
    assert_int_equal(bucketCount(f, "authUsers", NULL), 1);
    assert_int_equal(bucketCount(f, "authRoles", NULL), 1);
    restore(f);
    assert_true(authHasRole(storeAuth(f->s[1]), "u1", 2, "r1", 2));
    assert_int_equal(authPasswordHash(storeAuth(f->s[1]), "u1", 2, hash,
                                      sizeof hash, &no_password),
                     0);
    assert_string_equal(hash, "$2a$10$abcdefghijklmnopqrstuu");
}

/* A file whose SHA-256 does not match is refused and nothing changes. */
static void badHash(void **state)
{
    struct fixture *f = *state;
    put(f, "a", "1");
    save(f, 4096, "bad");
    f->file.data[f->file.len - 1] ^= 1;
    assert_int_equal(storeRestore(f->s[1], f->file.data, f->file.len,
                                  f->errmsg),
                     ETCFS_CORRUPT);
}

#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setUp, tearDown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(emptyStore), T(roundTrip), T(manyKeys), T(authTravels), T(badHash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
