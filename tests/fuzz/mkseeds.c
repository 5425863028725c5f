/* Makes the binary seeds of the fuzz corpus (scripts/fuzz seeds) with the
 * code that writes such bytes for real: Raft commands (corpus/command/ and
 * corpus/apply/) and forwarded results (corpus/command/) from
 * raft/command.c, and snapshots of small stores from src/store/
 * (corpus/snapshot/). Test code only.
 *   mkseeds CORPUS_DIR */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../raft/command.h"
#include "../../src/core/error.h"
#include "../../src/lib/log.h"
#include "../../src/store/store.h"

static const char *corpusDir;

static void die(const char *what, const char *errmsg)
{
    fprintf(stderr, "mkseeds: %s: %s\n", what, errmsg);
    exit(1);
}

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static void writeSeed(const char *kind, const char *name, const void *buf,
                      size_t len)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s/%s", corpusDir, kind, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
        die(path, "cannot write");
    }
    printf("%s (%zu bytes)\n", path, len);
}

static void commandSeed(const char *name, const struct command *cmd)
{
    void *buf;
    size_t len;
    if (commandEncode(cmd, plainAlloc, &buf, &len) != 0) {
        die(name, "commandEncode failed");
    }
    writeSeed("command", name, buf, len);
    writeSeed("apply", name, buf, len);
    free(buf);
}

static void resultSeed(const char *name, const struct command_result *res)
{
    void *buf;
    size_t len;
    if (commandResultEncode(res, &buf, &len) != 0) {
        die(name, "commandResultEncode failed");
    }
    writeSeed("command", name, buf, len);
    free(buf);
}

static void commands(void)
{
    struct command cmd;
    struct store_compare cmps[2];
    struct store_op ops[3];
    struct store_op inner_ops[1];
    struct store_txn_req inner;
    struct command_result res;
    struct store_kv kv;
    struct store_op_resp rops[2];
    struct store_txn_resp rinner;

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = "/etc/hosts";
    cmd.put.key_len = 10;
    cmd.put.value = "127.0.0.1 localhost\n";
    cmd.put.value_len = 20;
    cmd.put.lease = 0x694d7a1c4f6e8a0bLL;
    cmd.put.prev_kv = true;
    commandSeed("put", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.origin = 0x1d;
    cmd.put.key = "/etc/motd";
    cmd.put.key_len = 9;
    cmd.put.value = "";
    cmd.put.ignore_lease = true;
    cmd.put.attr.mode = 0100644;
    cmd.put.attr.uid = 1000;
    cmd.put.attr.gid = 1000;
    cmd.put.attr.mtime_ns = 1700000000123456789LL;
    cmd.put.attr.atime_ns = 1700000000000000000LL;
    cmd.put.attr.ctime_ns = 1700000000123456789LL;
    commandSeed("put-mount", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    cmd.delete_range.key = "/etc/";
    cmd.delete_range.key_len = 5;
    cmd.delete_range.range_end = "/etc0";
    cmd.delete_range.range_end_len = 5;
    cmd.delete_range.prev_kv = true;
    commandSeed("delete-range", &cmd);

    memset(cmps, 0, sizeof cmps);
    cmps[0].result = STORE_CMP_EQUAL;
    cmps[0].target = STORE_CMP_VERSION;
    cmps[0].key = "/a";
    cmps[0].key_len = 2;
    cmps[0].number = 0;
    cmps[1].result = STORE_CMP_NOT_EQUAL;
    cmps[1].target = STORE_CMP_VALUE;
    cmps[1].key = "/b";
    cmps[1].key_len = 2;
    cmps[1].range_end = "/c";
    cmps[1].range_end_len = 2;
    cmps[1].value = "x";
    cmps[1].value_len = 1;
    memset(inner_ops, 0, sizeof inner_ops);
    inner_ops[0].type = STORE_OP_DELETE;
    inner_ops[0].delete_range.key = "/old";
    inner_ops[0].delete_range.key_len = 4;
    memset(&inner, 0, sizeof inner);
    inner.success = inner_ops;
    inner.n_success = 1;
    memset(ops, 0, sizeof ops);
    ops[0].type = STORE_OP_PUT;
    ops[0].put.key = "/a";
    ops[0].put.key_len = 2;
    ops[0].put.value = "1";
    ops[0].put.value_len = 1;
    ops[1].type = STORE_OP_RANGE;
    ops[1].range.key = "/";
    ops[1].range.key_len = 1;
    ops[1].range.range_end = "0";
    ops[1].range.range_end_len = 1;
    ops[1].range.limit = 10;
    ops[1].range.sort_order = STORE_SORT_DESCEND;
    ops[1].range.sort_target = STORE_SORT_MOD;
    ops[1].range.keys_only = true;
    ops[2].type = STORE_OP_TXN;
    ops[2].txn = &inner;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    cmd.txn.compares = cmps;
    cmd.txn.n_compares = 2;
    cmd.txn.success = ops;
    cmd.txn.n_success = 3;
    cmd.txn.failure = ops + 1;
    cmd.txn.n_failure = 1;
    commandSeed("txn", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    cmd.compact_revision = 42;
    commandSeed("compact", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_GRANT;
    cmd.lease_grant.id = 0x694d7a1c4f6e8a0bLL;
    cmd.lease_grant.ttl = 60;
    commandSeed("lease-grant", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.lease_revoke_id = 0x694d7a1c4f6e8a0bLL;
    commandSeed("lease-revoke", &cmd);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_META;
    cmd.meta.name = "member/0000000000000001";
    cmd.meta.name_len = 23;
    cmd.meta.value =
        "{\"name\":\"m1\",\"clientURLs\":[\"http://127.0.0.1:2379\"]}";
    cmd.meta.value_len = strlen(cmd.meta.value);
    commandSeed("meta", &cmd);

    /* format 3: a user's put, auth changes, a token, an internal revoke */
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.user = "alice";
    cmd.user_len = 5;
    cmd.auth_revision = 7;
    cmd.put.key = "/app/x";
    cmd.put.key_len = 6;
    cmd.put.value = "1";
    cmd.put.value_len = 1;
    commandSeed("put-as-user", &cmd);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_AUTH;
    cmd.user = "root";
    cmd.user_len = 4;
    cmd.auth_revision = 3;
    cmd.auth.type = AUTH_OP_ROLE_GRANT;
    cmd.auth.name = "app";
    cmd.auth.name_len = 3;
    cmd.auth.perm_type = AUTH_READWRITE;
    cmd.auth.key = "/app/";
    cmd.auth.key_len = 5;
    cmd.auth.range_end = "/app0";
    cmd.auth.range_end_len = 5;
    commandSeed("auth-role-grant", &cmd);
    cmd.auth.type = AUTH_OP_USER_ADD;
    cmd.auth.name = "alice";
    cmd.auth.name_len = 5;
    cmd.auth.hash = "$2b$04$abcdefghijklmnopqrstuu2r9OfJnfCsdneAXAGHnS4UpFFP8WIrW";
    cmd.auth.hash_len = strlen(cmd.auth.hash);
    cmd.auth.key = NULL;
    cmd.auth.key_len = 0;
    cmd.auth.range_end = NULL;
    cmd.auth.range_end_len = 0;
    commandSeed("auth-user-add", &cmd);
    memset(&cmd.auth, 0, sizeof cmd.auth);
    cmd.auth.type = AUTH_OP_ENABLE;
    commandSeed("auth-enable", &cmd);
    cmd.auth.type = AUTH_OP_TOKEN;
    cmd.auth.name = "alice";
    cmd.auth.name_len = 5;
    cmd.auth.token = "abcdefghijklmnop.1";
    cmd.auth.token_len = 18;
    commandSeed("auth-token", &cmd);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.internal = true;
    cmd.lease_revoke_id = 0x1234;
    commandSeed("lease-revoke-internal", &cmd);

    /* forwarded answers */
    memset(&kv, 0, sizeof kv);
    kv.key = "/etc/hosts";
    kv.key_len = 10;
    kv.value = "127.0.0.1 localhost\n";
    kv.value_len = 20;
    kv.create_revision = 2;
    kv.mod_revision = 5;
    kv.version = 2;
    kv.attr.mode = 0100644;
    memset(&res, 0, sizeof res);
    res.type = COMMAND_PUT;
    res.revision = 6;
    res.put.has_prev = true;
    res.put.prev_kv = kv;
    resultSeed("result-put", &res);

    memset(&res, 0, sizeof res);
    res.type = COMMAND_DELETE_RANGE;
    res.revision = 7;
    res.delete_range.deleted = 1;
    res.delete_range.prev_kvs = &kv;
    res.delete_range.n_prev_kvs = 1;
    resultSeed("result-delete", &res);

    memset(rops, 0, sizeof rops);
    rops[0].type = STORE_OP_RANGE;
    rops[0].range.kvs = &kv;
    rops[0].range.n_kvs = 1;
    rops[0].range.count = 3;
    rops[0].range.more = true;
    rops[0].range.revision = 7;
    memset(&rinner, 0, sizeof rinner);
    rinner.succeeded = true;
    rops[1].type = STORE_OP_TXN;
    rops[1].txn = &rinner;
    memset(&res, 0, sizeof res);
    res.type = COMMAND_TXN;
    res.revision = 8;
    res.txn.succeeded = true;
    res.txn.responses = rops;
    res.txn.n_responses = 2;
    resultSeed("result-txn", &res);

    memset(&res, 0, sizeof res);
    res.type = COMMAND_LEASE_GRANT;
    res.revision = 8;
    res.status = ETCFS_LEASE_EXISTS;
    resultSeed("result-status", &res);
}

/* ---- snapshots ---- */

struct seed_store
{
    char dir[64];
    struct store *s;
    uint64_t index;
    char errmsg[ETCFS_ERRMSG_SIZE];
};

static void storeStart(struct seed_store *g)
{
    struct store_options opts = {0};
    snprintf(g->dir, sizeof g->dir, "/tmp/etcfs-mkseeds.XXXXXX");
    if (mkdtemp(g->dir) == NULL) {
        die("mkdtemp", g->dir);
    }
    if (storeOpen(g->dir, &opts, &g->s, g->errmsg) != 0) {
        die("storeOpen", g->errmsg);
    }
    g->index = 1;
}

static void put(struct seed_store *g, const char *key, const char *value,
                int64_t lease)
{
    struct store_put_req req;
    memset(&req, 0, sizeof req);
    req.key = key;
    req.key_len = strlen(key);
    req.value = value;
    req.value_len = strlen(value);
    req.lease = lease;
    if (storeApplyPut(g->s, g->index++, 2, &req, NULL, NULL, NULL, g->errmsg) !=
        0) {
        die("storeApplyPut", g->errmsg);
    }
}

static void snapshotSeed(struct seed_store *g, const char *name)
{
    struct store_snapshot *snap;
    void *buf = NULL;
    size_t len = 0;
    char cmd[128];
    if (storeSnapshotTake(g->s, &snap, g->errmsg) != 0 ||
        storeSnapshotEncode(snap, plainAlloc, &buf, &len, g->errmsg) != 0) {
        die("snapshot", g->errmsg);
    }
    storeSnapshotRelease(snap);
    writeSeed("snapshot", name, buf, len);
    free(buf);
    storeClose(g->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g->dir);
    if (system(cmd) != 0) {
        die("rm", g->dir);
    }
}

static void snapshots(void)
{
    struct seed_store g;
    struct store_delete_req del;

    /* nothing but the applied position (a store that applied nothing
     * yet has no state record, and its snapshot does not parse) */
    storeStart(&g);
    if (storeApplyNoop(g.s, g.index++, 1, g.errmsg) != 0) {
        die("storeApplyNoop", g.errmsg);
    }
    snapshotSeed(&g, "empty");

    storeStart(&g);
    if (storeApplyLeaseGrant(g.s, g.index++, 2, 0x1234, 60, g.errmsg) != 0 ||
        storeApplyMeta(g.s, g.index++, 2, "member/0000000000000001", 23,
                       "{\"name\":\"m1\"}", 13, g.errmsg) != 0) {
        die("apply", g.errmsg);
    }
    put(&g, "/etc/hosts", "127.0.0.1 localhost\n", 0);
    put(&g, "/etc/hosts", "127.0.0.1 localhost etcfs\n", 0);
    put(&g, "/etc/motd", "hello", 0x1234);
    put(&g, "/etc/ssh/", "", 0);
    put(&g, "/etc/a%b", "\0\1", 0);
    memset(&del, 0, sizeof del);
    del.key = "/etc/motd";
    del.key_len = 9;
    if (storeApplyDeleteRange(g.s, g.index++, 2, &del, NULL, NULL, NULL,
                              g.errmsg) != 0) {
        die("storeApplyDeleteRange", g.errmsg);
    }
    put(&g, "/etc/motd", "back", 0);
    snapshotSeed(&g, "small");

    storeStart(&g);
    put(&g, "/a", "1", 0);
    put(&g, "/a", "2", 0);
    put(&g, "/b", "1", 0);
    put(&g, "/a", "3", 0);
    if (storeApplyCompact(g.s, g.index++, 3, 3, g.errmsg) != 0) {
        die("storeApplyCompact", g.errmsg);
    }
    put(&g, "/c", "1", 0);
    snapshotSeed(&g, "compacted");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mkseeds CORPUS_DIR\n");
        return 2;
    }
    corpusDir = argv[1];
    logSetup("mkseeds", "error");
    commands();
    snapshots();
    return 0;
}
