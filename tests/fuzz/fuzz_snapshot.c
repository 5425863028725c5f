/* libFuzzer harness for src/store/store_snapshot.c: any bytes as an
 * encoded snapshot (what a leader installs on a follower, what
 * `etcfsd --restore` reads from a file). storeSnapshotPeek and
 * storeSnapshotInfo read the input as it is; then the input's CRC is made
 * right (so mutations reach the records instead of stopping at the
 * checksum) and it is restored into a real store, opened once in a
 * temporary directory (removed at exit), which then serves reads. Any
 * bytes may be refused, never crash. A restore that succeeded keeps our
 * invariants (asserted): the store's counters are the header's, and the
 * store snapshots again into a snapshot that parses. */
#include <assert.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "../../src/core/error.h"
#include "../../src/lib/buf.h"
#include "../../src/lib/log.h"
#include "../../src/store/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *fuzzStore;
static char fuzzDir[4096];

/* Removes the store's files (LevelDB's only: no subdirectories). */
static void emptyDir(void)
{
    DIR *d = opendir(fuzzDir);
    struct dirent *e;
    char path[4096 + 256];
    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", fuzzDir, e->d_name);
        (void)unlink(path); /* best effort: a temporary directory */
    }
    closedir(d);
}

static void cleanupCb(void)
{
    if (fuzzStore != NULL) {
        storeClose(fuzzStore);
        fuzzStore = NULL;
    }
    emptyDir();
    (void)rmdir(fuzzDir);
}

/* A new store every FUZZ__REOPEN inputs: each restore leaves LevelDB the
 * tombstones of every key it replaced, and scans over them slow the runs
 * down several times within a minute. */
#define FUZZ__REOPEN 256
static unsigned fuzzInputs;

static void openStore(void)
{
    struct store_options opts = {0};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    opts.cache_size = 1 << 20;
    if (storeOpen(fuzzDir, &opts, &fuzzStore, errmsg) != 0) {
        fprintf(stderr, "fuzz_snapshot: storeOpen: %s\n", errmsg);
        exit(1);
    }
}

static void maybeReopen(void)
{
    if (++fuzzInputs % FUZZ__REOPEN != 0) {
        return;
    }
    storeClose(fuzzStore);
    emptyDir();
    openStore();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    /* scripts/fuzz points TMPDIR at a directory it removes after the run
     * (a crash skips atexit) */
    const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    (void)argc;
    (void)argv;
    logSetup("fuzz_snapshot", "error");
    snprintf(fuzzDir, sizeof fuzzDir, "%s/etcfs-fuzz-snapshot.XXXXXX", base);
    if (mkdtemp(fuzzDir) == NULL) {
        fprintf(stderr, "fuzz_snapshot: mkdtemp %s failed\n", fuzzDir);
        exit(1);
    }
    atexit(cleanupCb);
    openStore();
    return 0;
}

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static void metaCb(void *data, const char *name, size_t name_len,
                   const char *value, size_t value_len)
{
    size_t *n = data;
    (void)name;
    (void)value;
    *n += name_len + value_len;
}

/* What a member serves right after installing the snapshot. */
static void reads(struct store *s)
{
    char errmsg[ETCFS_ERRMSG_SIZE];
    struct store_range_req rq;
    struct store_range_resp rs;
    struct store_events ev = {0};
    struct store_lease *leases = NULL;
    size_t n_leases = 0;
    size_t meta = 0;
    int64_t next = 0;
    size_t i;

    memset(&rq, 0, sizeof rq);
    rq.key = "\0";
    rq.key_len = 1;
    rq.range_end = "\0";
    rq.range_end_len = 1;
    rq.limit = 100;
    memset(&rs, 0, sizeof rs);
    if (storeRange(s, &rq, &rs, errmsg) == 0) {
        assert(rs.n_kvs <= 100);
        storeRangeRespClear(&rs);
    }
    rq.revision = storeCompactRevision(s) + 1;
    rq.sort_order = STORE_SORT_DESCEND;
    rq.sort_target = STORE_SORT_VALUE;
    memset(&rs, 0, sizeof rs);
    if (storeRange(s, &rq, &rs, errmsg) == 0) {
        storeRangeRespClear(&rs);
    }
    if (storeHistory(s, storeCompactRevision(s) + 1, 0, "\0", 1, "\0", 1, true,
                     64, &ev, &next, errmsg) == 0) {
        storeEventsClear(&ev);
    }
    storeEventsClear(&ev);
    if (storeLeaseList(s, &leases, &n_leases, errmsg) == 0) {
        for (i = 0; i < n_leases && i < 8; i++) {
            char **keys = NULL;
            size_t *lens = NULL;
            size_t n = 0;
            if (storeLeaseKeys(s, leases[i].id, &keys, &lens, &n, errmsg) ==
                0) {
                storeKeysFree(keys, lens, n);
            }
        }
        free(leases);
    }
    (void)storeMetaScan(s, "", 0, metaCb, &meta, errmsg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errmsg[ETCFS_ERRMSG_SIZE];
    uint64_t index;
    uint64_t term;
    int64_t revision;
    int64_t keys;
    uint8_t *copy;
    struct store_snapshot *snap = NULL;
    void *again = NULL;
    size_t again_len = 0;

    (void)storeSnapshotPeek(data, size, &index, &term, &revision, &keys,
                            errmsg);
    (void)storeSnapshotInfo(data, size, &index, &term, &revision, &keys,
                            errmsg);
    if (size < 4) {
        return 0;
    }
    copy = malloc(size);
    assert(copy != NULL);
    memcpy(copy, data, size);
    bufPutU32(copy + size - 4, (uint32_t)crc32_z(0, copy, size - 4));
    if (storeSnapshotInfo(copy, size, &index, &term, &revision, &keys,
                          errmsg) != 0) {
        free(copy);
        return 0;
    }
    maybeReopen();
    if (storeRestore(fuzzStore, copy, size, errmsg) != 0) {
        free(copy);
        return 0;
    }
    free(copy);
    assert(storeAppliedIndex(fuzzStore) == index);
    assert(storeAppliedTerm(fuzzStore) == term);
    assert(storeRevision(fuzzStore) == revision);
    assert(storeKeyCount(fuzzStore) == keys);
    reads(fuzzStore);
    /* the restored state snapshots again */
    if (storeSnapshotTake(fuzzStore, &snap, errmsg) == 0) {
        int rv =
            storeSnapshotEncode(snap, plainAlloc, &again, &again_len, errmsg);
        uint64_t index2;
        if (rv == 0) {
            rv = storeSnapshotInfo(again, again_len, &index2, &term, &revision,
                                   &keys, errmsg);
            assert(rv == 0 && index2 == index);
        }
        free(again);
        storeSnapshotRelease(snap);
    }
    return 0;
}
