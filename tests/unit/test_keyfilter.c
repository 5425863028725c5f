/* Unit tests of the live-key filter (src/store/keyfilter.c) and of the
 * store's use of it: a key it wrongly called absent would be re-created
 * (version 1, a new create_revision, the key count one too high), so every
 * store test here puts existing keys again and checks exactly that, after
 * an open (filter built on its thread) and after a restore (filter
 * dropped and rebuilt). Real LevelDBs in temporary directories. */
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
#include <time.h>

#include <cmocka.h>
#include <ftw.h>

#include "../../src/core/error.h"
#include "../../src/store/keyfilter.h"
#include "../../src/store/store.h"

#define N_KEYS 3000

static int rmEntry(const char *path, const struct stat *st, int flag,
                   struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void sleepMs(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- the filter alone, over a LevelDB of its own ---- */

static void keyName(char *out, size_t size, char prefix, long i)
{
    snprintf(out, size, "%c/bench/k/%ld", prefix, i);
}

static void testFilterAlone(void **state)
{
    char dir[] = "/tmp/etcfs-test-kf-XXXXXX";
    leveldb_options_t *o = leveldb_options_create();
    leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
    struct key_filter *f;
    leveldb_t *db;
    char *err = NULL;
    char k[64];
    long i;
    long fp = 0;
    int waited = 0;
    (void)state;

    assert_non_null(mkdtemp(dir));
    leveldb_options_set_create_if_missing(o, 1);
    db = leveldb_open(o, dir, &err);
    assert_null(err);
    /* 50,000 live keys ('k'), and as many of another keyspace ('i') */
    for (i = 0; i < 50000; i++) {
        keyName(k, sizeof k, 'k', i);
        leveldb_put(db, wo, k, strlen(k), "", 0, &err);
        assert_null(err);
        keyName(k, sizeof k, 'i', 300000 + i);
        leveldb_put(db, wo, k, strlen(k), "", 0, &err);
        assert_null(err);
    }
    f = keyFilterStart(db, 'k', 1000); /* a hint far too small */
    assert_non_null(f);
    /* 'may' for everything until built; then 'absent' for keys never seen */
    keyName(k, sizeof k, 'x', -1);
    while (keyFilterMaybe(f, k + 1, strlen(k) - 1)) {
        assert_true(waited++ < 10000);
        sleepMs(1);
    }
    for (i = 0; i < 50000; i++) {
        keyName(k, sizeof k, 'k', i);
        assert_true(keyFilterMaybe(f, k + 1, strlen(k) - 1));
    }
    /* 200,000 added: new segments; none lost */
    for (i = 50000; i < 250000; i++) {
        keyName(k, sizeof k, 'k', i);
        keyFilterAdd(f, k + 1, strlen(k) - 1);
    }
    for (i = 0; i < 250000; i++) {
        keyName(k, sizeof k, 'k', i);
        assert_true(keyFilterMaybe(f, k + 1, strlen(k) - 1));
    }
    /* the other keyspace is not in it, but for ~1 % false "may" per
     * segment */
    for (i = 300000; i < 350000; i++) {
        keyName(k, sizeof k, 'i', i);
        fp += keyFilterMaybe(f, k + 1, strlen(k) - 1);
    }
    printf("false may: %ld of 50000\n", fp);
    assert_true(fp < 50000 / 20);
    keyFilterStop(f);

    /* stopped while building: nothing leaks, nothing hangs */
    f = keyFilterStart(db, 'k', 50000);
    assert_non_null(f);
    keyFilterStop(f);
    keyFilterStop(NULL);

    leveldb_close(db);
    leveldb_options_destroy(o);
    leveldb_writeoptions_destroy(wo);
    nftw(dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- the store ---- */

struct fixture
{
    char dir[64];
    struct store *s;
    uint64_t index;
    char errmsg[ETCFS_ERRMSG_SIZE];
};

static void openStore(struct fixture *f)
{
    struct store_options opts = {0};
    assert_int_equal(storeOpen(f->dir, &opts, &f->s, f->errmsg), 0);
}

static void fixtureNew(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/etcfs-test-kf-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    openStore(f);
    f->index = 1;
}

static void fixtureFree(struct fixture *f)
{
    storeClose(f->s);
    nftw(f->dir, rmEntry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Puts key i; returns the version it got. */
static int64_t putKey(struct fixture *f, long i)
{
    struct store_put_req req;
    struct store_put_resp resp;
    char key[32];
    int64_t version;
    snprintf(key, sizeof key, "/cfg/%ld", i);
    memset(&req, 0, sizeof req);
    memset(&resp, 0, sizeof resp);
    req.key = key;
    req.key_len = strlen(key);
    req.value = "v";
    req.value_len = 1;
    req.prev_kv = true;
    assert_int_equal(storeApplyPut(f->s, f->index++, 1, &req, &resp, NULL,
                                   NULL, f->errmsg),
                     0);
    version = resp.has_prev ? resp.prev_kv.version + 1 : 1;
    storePutRespClear(&resp);
    return version;
}

/* Every key put once more: each is found (version 'want'), none added. */
static void putAllAgain(struct fixture *f, int64_t want)
{
    long i;
    for (i = 0; i < N_KEYS; i++) {
        assert_int_equal(putKey(f, i), want);
    }
    assert_int_equal(storeKeyCount(f->s), N_KEYS);
}

static void testStoreFilter(void **state)
{
    struct fixture f;
    struct fixture g;
    struct store_snapshot *snap;
    void *buf = NULL;
    size_t len = 0;
    long i;
    (void)state;

    fixtureNew(&f);
    for (i = 0; i < N_KEYS; i++) {
        assert_int_equal(putKey(&f, i), 1);
    }
    assert_int_equal(storeKeyCount(f.s), N_KEYS);
    putAllAgain(&f, 2);
    /* reopened: the first puts race the filter's build, later ones use it */
    storeClose(f.s);
    openStore(&f);
    putAllAgain(&f, 3);
    sleepMs(100);
    putAllAgain(&f, 4);
    /* a deleted key comes back as a new one */
    {
        struct store_delete_req req;
        struct store_delete_resp resp;
        memset(&req, 0, sizeof req);
        req.key = "/cfg/7";
        req.key_len = strlen(req.key);
        assert_int_equal(storeApplyDeleteRange(f.s, f.index++, 1, &req, &resp,
                                               NULL, NULL, f.errmsg),
                         0);
        assert_int_equal(resp.deleted, 1);
        storeDeleteRespClear(&resp);
        assert_int_equal(putKey(&f, 7), 1);
        assert_int_equal(putKey(&f, 7), 2);
    }

    /* restored over a store whose filter knew other keys */
    assert_int_equal(storeSnapshotTake(f.s, &snap, f.errmsg), 0);
    assert_int_equal(storeSnapshotEncode(snap, malloc, &buf, &len, f.errmsg), 0);
    storeSnapshotRelease(snap);
    fixtureNew(&g);
    for (i = N_KEYS; i < N_KEYS + 100; i++) {
        assert_int_equal(putKey(&g, i), 1);
    }
    sleepMs(50);
    assert_int_equal(storeRestore(g.s, buf, len, g.errmsg), 0);
    g.index = f.index;
    assert_int_equal(putKey(&g, 7), 3);
    for (i = 0; i < N_KEYS; i++) {
        if (i != 7) {
            assert_int_equal(putKey(&g, i), 5);
        }
    }
    assert_int_equal(storeKeyCount(g.s), N_KEYS);
    assert_int_equal(putKey(&g, N_KEYS), 1); /* gone with the restore */
    free(buf);
    fixtureFree(&g);
    fixtureFree(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testFilterAlone),
        cmocka_unit_test(testStoreFilter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
