/* libFuzzer harness for what follows raft/command.c's decoder: any bytes
 * that decode as a command are applied to a real store, as raft/fsm.c's
 * fsmApplyCommand does on every member for every log entry (a follower's
 * forwarded proposal reaches the log after the leader's checks in
 * src/server/, a log entry on disk after none). The store, opened once in
 * a temporary directory (removed at exit), is restored before each input
 * to the same small state (keys, history, a lease, a compaction), so an
 * input replays alone. Any command may be refused with a request error,
 * never crash. Our invariants (asserted): LevelDB never failed, the apply
 * moved the applied index, the result encodes as a forwarded answer that
 * decodes, and the store still reads. */
#include <assert.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../raft/command.h"
#include "../../raft/fsm_auth.h"
#include "../../src/core/error.h"
#include "../../src/lib/log.h"
#include "../../src/store/store.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *fuzzStore;
static char fuzzDir[4096];
static void *fuzzBase; /* the snapshot every input starts from */
static size_t fuzzBaseLen;
static uint64_t fuzzIndex; /* the base's applied index */

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static void die(const char *what, const char *errmsg)
{
    fprintf(stderr, "fuzz_apply: %s: %s\n", what, errmsg);
    exit(1);
}

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
    free(fuzzBase);
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
    opts.max_txn_ops = 16;
    if (storeOpen(fuzzDir, &opts, &fuzzStore, errmsg) != 0) {
        die("storeOpen", errmsg);
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

static void basePut(const char *key, const char *value, int64_t lease)
{
    struct store_put_req req;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    memset(&req, 0, sizeof req);
    req.key = key;
    req.key_len = strlen(key);
    req.value = value;
    req.value_len = strlen(value);
    req.lease = lease;
    req.attr.mode = 0100644;
    if (storeApplyPut(fuzzStore, ++fuzzIndex, 1, &req, NULL, NULL, NULL,
                      errmsg) != 0) {
        die("storeApplyPut", errmsg);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct store_delete_req del;
    struct store_snapshot *snap;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    /* scripts/fuzz points TMPDIR at a directory it removes after the run
     * (a crash skips atexit) */
    const char *base = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
    (void)argc;
    (void)argv;
    logSetup("fuzz_apply", "error");
    snprintf(fuzzDir, sizeof fuzzDir, "%s/etcfs-fuzz-apply.XXXXXX", base);
    if (mkdtemp(fuzzDir) == NULL) {
        die("mkdtemp", fuzzDir);
    }
    atexit(cleanupCb);
    openStore();
    /* the base: revisions 2-8, compacted at 3, a lease with a key */
    if (storeApplyLeaseGrant(fuzzStore, ++fuzzIndex, 1, 0x1234, 60, errmsg) !=
        0) {
        die("storeApplyLeaseGrant", errmsg);
    }
    basePut("/a", "1", 0);
    basePut("/a", "2", 0);
    basePut("/b", "", 0x1234);
    basePut("/d/", "", 0);
    memset(&del, 0, sizeof del);
    del.key = "/a";
    del.key_len = 2;
    if (storeApplyDeleteRange(fuzzStore, ++fuzzIndex, 1, &del, NULL, NULL, NULL,
                              errmsg) != 0) {
        die("storeApplyDeleteRange", errmsg);
    }
    basePut("/a", "3", 0);
    basePut("/c", "\0\xff", 0);
    if (storeApplyCompact(fuzzStore, ++fuzzIndex, 1, 3, errmsg) != 0 ||
        storeApplyMeta(fuzzStore, ++fuzzIndex, 1, "member/1", 8, "{}", 2,
                       errmsg) != 0) {
        die("apply", errmsg);
    }
    if (storeSnapshotTake(fuzzStore, &snap, errmsg) != 0 ||
        storeSnapshotEncode(snap, plainAlloc, &fuzzBase, &fuzzBaseLen,
                            errmsg) != 0) {
        die("snapshot", errmsg);
    }
    storeSnapshotRelease(snap);
    return 0;
}

/* raft/fsm.c's fsmApplyCommand, with no node around it. */
static int apply(struct store *s, uint64_t index, const struct command *cmd,
                 struct command_result *res, struct store_events *events,
                 char *errmsg)
{
    int rv;
    res->type = cmd->type;
    rv = fsmAuthorize(s, cmd); /* the permission checks at apply */
    if (rv != 0) {
        res->status = rv;
        return storeApplyNoop(s, index, 1, errmsg) != 0 ? ETCFS_IO : rv;
    }
    switch (cmd->type) {
        case COMMAND_PUT:
            return storeApplyPut(s, index, 1, &cmd->put, &res->put, events,
                                 &res->revision, errmsg);
        case COMMAND_DELETE_RANGE:
            return storeApplyDeleteRange(s, index, 1, &cmd->delete_range,
                                         &res->delete_range, events,
                                         &res->revision, errmsg);
        case COMMAND_TXN:
            return storeApplyTxn(s, index, 1, &cmd->txn, &res->txn, events,
                                 &res->revision, errmsg);
        case COMMAND_COMPACT:
            return storeApplyCompact(s, index, 1, cmd->compact_revision,
                                     errmsg);
        case COMMAND_LEASE_GRANT:
            return storeApplyLeaseGrant(s, index, 1, cmd->lease_grant.id,
                                        cmd->lease_grant.ttl, errmsg);
        case COMMAND_LEASE_REVOKE:
            return storeApplyLeaseRevoke(s, index, 1, cmd->lease_revoke_id,
                                         events, &res->revision, errmsg);
        case COMMAND_META:
            return storeApplyMeta(s, index, 1, cmd->meta.name,
                                  cmd->meta.name_len, cmd->meta.value,
                                  cmd->meta.value_len, errmsg);
        case COMMAND_AUTH:
            return storeApplyAuth(s, index, 1, &cmd->auth, errmsg);
        default:
            return storeApplyNoop(s, index, 1, errmsg);
    }
}

/* What members serve after the apply. */
static void reads(struct store *s)
{
    char errmsg[ETCFS_ERRMSG_SIZE];
    struct store_range_req rq;
    struct store_range_resp rs;
    struct store_events ev = {0};
    int64_t next = 0;

    memset(&rq, 0, sizeof rq);
    rq.key = "\0";
    rq.key_len = 1;
    rq.range_end = "\0";
    rq.range_end_len = 1;
    memset(&rs, 0, sizeof rs);
    if (storeRange(s, &rq, &rs, errmsg) == 0) {
        storeRangeRespClear(&rs);
    }
    if (storeHistory(s, storeCompactRevision(s) + 1, 0, "\0", 1, "\0", 1, true,
                     64, &ev, &next, errmsg) == 0) {
        storeEventsClear(&ev);
    }
    storeEventsClear(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    struct command_decoded dec;
    struct command_result *res;
    struct command_result *back = NULL;
    struct store_events events = {0};
    void *enc;
    size_t enc_len;
    int rv;

    if (commandDecode(data, size, &dec) != 0) {
        return 0;
    }
    maybeReopen();
    rv = storeRestore(fuzzStore, fuzzBase, fuzzBaseLen, errmsg);
    assert(rv == 0);
    res = calloc(1, sizeof *res);
    assert(res != NULL);
    rv = apply(fuzzStore, fuzzIndex + 1, &dec.cmd, res, &events, errmsg);
    /* a request error is the answer; LevelDB failing is not expected */
    assert(rv != ETCFS_IO && rv != ETCFS_CORRUPT && rv != ETCFS_NOMEM);
    assert(storeAppliedIndex(fuzzStore) == fuzzIndex + 1);
    res->status = rv;
    if (res->revision == 0) {
        res->revision = storeRevision(fuzzStore);
    }
    rv = commandResultEncode(res, &enc, &enc_len);
    assert(rv == 0);
    rv = commandResultDecode(enc, enc_len, &back);
    assert(rv == 0);
    commandResultFree(back);
    free(enc);
    reads(fuzzStore);
    storeEventsClear(&events);
    commandResultFree(res);
    commandDecodedClear(&dec);
    return 0;
}
