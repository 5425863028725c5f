/* Unit tests of raft/command.c: every command survives encode -> decode, the
 * encoded length is a multiple of 8 (libraft 0.15 needs it), and truncated
 * or corrupted input is rejected with ETCFS_CORRUPT, never a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../raft/command.h"
#include "../../src/core/error.h"

/* ---- helpers ---- */

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

static void *failAlloc(size_t n)
{
    (void)n;
    return NULL;
}

#define ENCODE(CMD, BUF, LEN) \
    assert_int_equal(commandEncode(CMD, plainAlloc, &(BUF), &(LEN)), 0)

#define assert_bytes(P, N, S)                      \
    do {                                           \
        assert_int_equal((N), strlen(S));          \
        assert_memory_equal((P), (S), strlen(S));  \
    } while (0)

/* ---- tests ---- */

/* A put keeps key, value, lease and flags, and pads to 8 bytes. */
static void testPutRoundTrip(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmd.type = COMMAND_PUT;
    cmd.put.key = "/app/db";
    cmd.put.key_len = 7;
    cmd.put.value = "v\0x";
    cmd.put.value_len = 3;
    cmd.put.lease = 0x694d7a1c4f6e8a0bLL;
    cmd.put.prev_kv = true;
    cmd.put.ignore_lease = true;
    ENCODE(&cmd, buf, len);
    assert_int_equal(len % 8, 0);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_int_equal(dec.cmd.type, COMMAND_PUT);
    assert_bytes(dec.cmd.put.key, dec.cmd.put.key_len, "/app/db");
    assert_int_equal(dec.cmd.put.value_len, 3);
    assert_memory_equal(dec.cmd.put.value, "v\0x", 3);
    assert_true(dec.cmd.put.lease == 0x694d7a1c4f6e8a0bLL);
    assert_true(dec.cmd.put.prev_kv);
    assert_false(dec.cmd.put.ignore_value);
    assert_true(dec.cmd.put.ignore_lease);
    commandDecodedClear(&dec);
    free(buf);
}

/* A put's file metadata survives, POSIX times included (format 2), and a
 * format 1 put (written before the times existed) still decodes. */
static void testPutAttrFormats(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmd.type = COMMAND_PUT;
    cmd.put.key = "/etc/motd";
    cmd.put.key_len = 9;
    cmd.put.value = "hi";
    cmd.put.value_len = 2;
    cmd.put.attr.mode = 0104755;
    cmd.put.attr.uid = 1000;
    cmd.put.attr.gid = 27;
    cmd.put.attr.mtime_ns = 1700000000000000001LL;
    cmd.put.attr.atime_ns = 1600000000000000002LL;
    cmd.put.attr.ctime_ns = 1700000000000000003LL;
    ENCODE(&cmd, buf, len);
    assert_int_equal(((unsigned char *)buf)[0], COMMAND_FORMAT);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_int_equal(dec.cmd.put.attr.mode, 0104755);
    assert_int_equal(dec.cmd.put.attr.gid, 27);
    assert_true(dec.cmd.put.attr.mtime_ns == 1700000000000000001LL);
    assert_true(dec.cmd.put.attr.atime_ns == 1600000000000000002LL);
    assert_true(dec.cmd.put.attr.ctime_ns == 1700000000000000003LL);
    commandDecodedClear(&dec);
    free(buf);
    /* format 1: the same fields without the two times (which are the last
     * bytes before the padding; here zero, so they read as padding) */
    cmd.put.attr.atime_ns = 0;
    cmd.put.attr.ctime_ns = 0;
    ENCODE(&cmd, buf, len);
    /* before format 3 the header ended at the origin: drop the user (a
     * flag and a length, no bytes), the auth revision and the internal
     * flag */
    memmove((char *)buf + 16, (char *)buf + 16 + 18, len - 16 - 18);
    ((unsigned char *)buf)[0] = 1;
    assert_int_equal(commandDecode(buf, len - 18, &dec), 0);
    assert_int_equal(dec.cmd.put.attr.mode, 0104755);
    assert_true(dec.cmd.put.attr.mtime_ns == 1700000000000000001LL);
    assert_true(dec.cmd.put.attr.ctime_ns == 0);
    assert_bytes(dec.cmd.put.value, dec.cmd.put.value_len, "hi");
    commandDecodedClear(&dec);
    /* an unknown format is refused */
    ((unsigned char *)buf)[0] = COMMAND_FORMAT + 1;
    assert_int_equal(commandDecode(buf, len, &dec), ETCFS_CORRUPT);
    free(buf);
}

/* Format 3: the proposer's user and auth revision ride on every command,
 * and an authentication change is a command of its own. */
static void testAuthHeaderAndOp(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmd.type = COMMAND_AUTH;
    cmd.user = "root";
    cmd.user_len = 4;
    cmd.auth_revision = 42;
    cmd.internal = true;
    cmd.auth.type = AUTH_OP_ROLE_GRANT;
    cmd.auth.name = "app";
    cmd.auth.name_len = 3;
    cmd.auth.perm_type = AUTH_READWRITE;
    cmd.auth.key = "/app/";
    cmd.auth.key_len = 5;
    cmd.auth.range_end = "/app0";
    cmd.auth.range_end_len = 5;
    cmd.auth.no_password = true;
    ENCODE(&cmd, buf, len);
    assert_int_equal(len % 8, 0);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_int_equal(dec.cmd.type, COMMAND_AUTH);
    assert_bytes(dec.cmd.user, dec.cmd.user_len, "root");
    assert_true(dec.cmd.auth_revision == 42);
    assert_true(dec.cmd.internal);
    assert_int_equal(dec.cmd.auth.type, AUTH_OP_ROLE_GRANT);
    assert_bytes(dec.cmd.auth.name, dec.cmd.auth.name_len, "app");
    assert_int_equal(dec.cmd.auth.perm_type, AUTH_READWRITE);
    assert_bytes(dec.cmd.auth.key, dec.cmd.auth.key_len, "/app/");
    assert_bytes(dec.cmd.auth.range_end, dec.cmd.auth.range_end_len, "/app0");
    assert_true(dec.cmd.auth.no_password);
    assert_null(dec.cmd.auth.role);
    assert_null(dec.cmd.auth.token);
    commandDecodedClear(&dec);
    /* an auth command claiming an older format is not one */
    ((unsigned char *)buf)[0] = 2;
    assert_int_equal(commandDecode(buf, len, &dec), ETCFS_CORRUPT);
    free(buf);
}

/* An empty value stays an empty value, distinct from a missing one. */
static void testEmptyValue(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmd.type = COMMAND_PUT;
    cmd.put.key = "k";
    cmd.put.key_len = 1;
    cmd.put.value = "";
    cmd.put.value_len = 0;
    ENCODE(&cmd, buf, len);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_non_null(dec.cmd.put.value);
    assert_int_equal(dec.cmd.put.value_len, 0);
    commandDecodedClear(&dec);
    free(buf);
}

/* A string marked absent that still claims bytes is refused: it would
 * decode as NULL with a length, read or copied through a null pointer
 * (tests/fuzz/corpus/command/regress-absent-bytes-with-length). */
static void testAbsentWithLength(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    uint8_t *buf;
    void *raw;
    size_t len;
    /* format, type, padding, origin; user (flag, length), auth revision,
     * internal; the key's flag, length and byte */
    size_t end_at = 16 + 1 + 8 + 8 + 1 + 1 + 8 + 1;
    (void)state;
    cmd.type = COMMAND_DELETE_RANGE;
    cmd.delete_range.key = "k";
    cmd.delete_range.key_len = 1;
    ENCODE(&cmd, raw, len);
    buf = raw;
    assert_int_equal(buf[end_at], 0); /* range_end: absent */
    buf[end_at + 1] = 1;              /* ... yet one byte long */
    assert_int_equal(commandDecode(buf, len, &dec), ETCFS_CORRUPT);
    free(raw);
}

/* A nested txn keeps compares, both branches and every op kind. */
static void testTxnRoundTrip(void **state)
{
    struct store_compare cmps[2] = {0};
    struct store_op inner_ops[1] = {0};
    struct store_txn_req inner = {0};
    struct store_op ops[3] = {0};
    struct store_op fail[1] = {0};
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmps[0].result = STORE_CMP_EQUAL;
    cmps[0].target = STORE_CMP_VALUE;
    cmps[0].key = "a";
    cmps[0].key_len = 1;
    cmps[0].value = "1";
    cmps[0].value_len = 1;
    cmps[1].result = STORE_CMP_GREATER;
    cmps[1].target = STORE_CMP_MOD;
    cmps[1].key = "b";
    cmps[1].key_len = 1;
    cmps[1].range_end = "c";
    cmps[1].range_end_len = 1;
    cmps[1].number = 42;
    ops[0].type = STORE_OP_PUT;
    ops[0].put.key = "x";
    ops[0].put.key_len = 1;
    ops[0].put.value = "y";
    ops[0].put.value_len = 1;
    ops[1].type = STORE_OP_RANGE;
    ops[1].range.key = "\0";
    ops[1].range.key_len = 1;
    ops[1].range.range_end = "\0";
    ops[1].range.range_end_len = 1;
    ops[1].range.limit = 10;
    ops[1].range.count_only = true;
    inner_ops[0].type = STORE_OP_DELETE;
    inner_ops[0].delete_range.key = "z";
    inner_ops[0].delete_range.key_len = 1;
    inner_ops[0].delete_range.prev_kv = true;
    inner.success = inner_ops;
    inner.n_success = 1;
    ops[2].type = STORE_OP_TXN;
    ops[2].txn = &inner;
    fail[0].type = STORE_OP_DELETE;
    fail[0].delete_range.key = "q";
    fail[0].delete_range.key_len = 1;
    cmd.type = COMMAND_TXN;
    cmd.txn.compares = cmps;
    cmd.txn.n_compares = 2;
    cmd.txn.success = ops;
    cmd.txn.n_success = 3;
    cmd.txn.failure = fail;
    cmd.txn.n_failure = 1;
    ENCODE(&cmd, buf, len);
    assert_int_equal(len % 8, 0);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_int_equal(dec.cmd.txn.n_compares, 2);
    assert_int_equal(dec.cmd.txn.compares[1].number, 42);
    assert_bytes(dec.cmd.txn.compares[1].range_end,
                 dec.cmd.txn.compares[1].range_end_len, "c");
    assert_int_equal(dec.cmd.txn.n_success, 3);
    assert_int_equal(dec.cmd.txn.success[1].type, STORE_OP_RANGE);
    assert_int_equal(dec.cmd.txn.success[1].range.limit, 10);
    assert_true(dec.cmd.txn.success[1].range.count_only);
    assert_int_equal(dec.cmd.txn.success[2].type, STORE_OP_TXN);
    assert_int_equal(dec.cmd.txn.success[2].txn->n_success, 1);
    assert_true(dec.cmd.txn.success[2].txn->success[0].delete_range.prev_kv);
    assert_int_equal(dec.cmd.txn.n_failure, 1);
    assert_bytes(dec.cmd.txn.failure[0].delete_range.key,
                 dec.cmd.txn.failure[0].delete_range.key_len, "q");
    commandDecodedClear(&dec);
    free(buf);
}

/* Lease, compaction and metadata commands keep their numbers and names. */
static void testSmallCommands(void **state)
{
    struct command cmd = {0};
    struct command_decoded dec;
    void *buf;
    size_t len;
    (void)state;
    cmd.type = COMMAND_LEASE_GRANT;
    cmd.lease_grant.id = 7;
    cmd.lease_grant.ttl = 30;
    ENCODE(&cmd, buf, len);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_int_equal(dec.cmd.lease_grant.id, 7);
    assert_int_equal(dec.cmd.lease_grant.ttl, 30);
    commandDecodedClear(&dec);
    free(buf);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    cmd.compact_revision = 123456789012LL;
    ENCODE(&cmd, buf, len);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_true(dec.cmd.compact_revision == 123456789012LL);
    commandDecodedClear(&dec);
    free(buf);

    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_META;
    cmd.meta.name = "member/1";
    cmd.meta.name_len = 8;
    ENCODE(&cmd, buf, len);
    assert_int_equal(commandDecode(buf, len, &dec), 0);
    assert_bytes(dec.cmd.meta.name, dec.cmd.meta.name_len, "member/1");
    assert_null(dec.cmd.meta.value);
    commandDecodedClear(&dec);
    free(buf);
}

/* Every truncation of a valid encoding is rejected or decodes safely, and
 * flipped bytes never crash the decoder. */
static void testCorruptInput(void **state)
{
    struct store_op ops[2] = {0};
    struct command cmd = {0};
    struct command_decoded dec;
    uint8_t *buf;
    void *raw;
    size_t len;
    size_t i;
    (void)state;
    ops[0].type = STORE_OP_PUT;
    ops[0].put.key = "key";
    ops[0].put.key_len = 3;
    ops[0].put.value = "value";
    ops[0].put.value_len = 5;
    ops[1].type = STORE_OP_DELETE;
    ops[1].delete_range.key = "k2";
    ops[1].delete_range.key_len = 2;
    cmd.type = COMMAND_TXN;
    cmd.txn.success = ops;
    cmd.txn.n_success = 2;
    ENCODE(&cmd, raw, len);
    buf = raw;
    for (i = 0; i + 8 < len; i++) {
        int rv = commandDecode(buf, i, &dec);
        assert_int_equal(rv, ETCFS_CORRUPT);
    }
    for (i = 0; i < len; i++) {
        uint8_t saved = buf[i];
        buf[i] ^= 0xff;
        if (commandDecode(buf, len, &dec) == 0) {
            commandDecodedClear(&dec);
        }
        buf[i] = saved;
    }
    buf[0] = COMMAND_FORMAT + 1;
    assert_int_equal(commandDecode(buf, len, &dec), ETCFS_CORRUPT);
    free(raw);
}

/* An unknown type is refused at encode, and a failed allocation is
 * reported as ETCFS_NOMEM. */
/* A forwarded command's result survives encode -> decode with everything
 * a front end answers from: a txn's nested range kvs (values, revisions,
 * attributes, a keys-only NULL value), a put's prev_kv, a delete's count
 * and prev_kvs; every truncation of it is ETCFS_CORRUPT, never a crash. */
static void testResultRoundTrip(void **state)
{
    struct command_result *r = calloc(1, sizeof *r);
    struct command_result *out = NULL;
    struct store_op_resp *ops;
    struct store_txn_resp *inner;
    void *buf = NULL;
    size_t len = 0;
    size_t cut;
    (void)state;
    assert_non_null(r);
    r->type = COMMAND_TXN;
    r->revision = 42;
    r->txn.succeeded = true;
    ops = calloc(3, sizeof *ops);
    r->txn.responses = ops;
    r->txn.n_responses = 3;
    ops[0].type = STORE_OP_RANGE;
    ops[0].range.kvs = calloc(2, sizeof *ops[0].range.kvs);
    ops[0].range.n_kvs = 2;
    ops[0].range.count = 7;
    ops[0].range.more = true;
    ops[0].range.revision = 41;
    ops[0].range.kvs[0].key = strdup("/a");
    ops[0].range.kvs[0].key_len = 2;
    ops[0].range.kvs[0].value = strdup("v1");
    ops[0].range.kvs[0].value_len = 2;
    ops[0].range.kvs[0].create_revision = 3;
    ops[0].range.kvs[0].mod_revision = 40;
    ops[0].range.kvs[0].version = 5;
    ops[0].range.kvs[0].lease = 0x1234;
    ops[0].range.kvs[0].attr.mode = 0100600;
    ops[0].range.kvs[0].attr.ctime_ns = 99;
    ops[0].range.kvs[1].key = strdup("/b");
    ops[0].range.kvs[1].key_len = 2; /* keys only: value NULL */
    ops[1].type = STORE_OP_DELETE;
    ops[1].delete_range.deleted = 2;
    ops[2].type = STORE_OP_TXN;
    inner = calloc(1, sizeof *inner);
    ops[2].txn = inner;
    inner->responses = calloc(1, sizeof *inner->responses);
    inner->n_responses = 1;
    inner->responses[0].type = STORE_OP_PUT;
    inner->responses[0].put.has_prev = true;
    inner->responses[0].put.prev_kv.key = strdup("/p");
    inner->responses[0].put.prev_kv.key_len = 2;
    inner->responses[0].put.prev_kv.value = strdup("");
    inner->responses[0].put.prev_kv.value_len = 0;

    assert_int_equal(commandResultEncode(r, &buf, &len), 0);
    assert_int_equal(commandResultDecode(buf, len, &out), 0);
    assert_int_equal(out->type, COMMAND_TXN);
    assert_int_equal(out->revision, 42);
    assert_true(out->txn.succeeded);
    assert_int_equal(out->txn.n_responses, 3);
    ops = out->txn.responses;
    assert_int_equal(ops[0].range.n_kvs, 2);
    assert_int_equal(ops[0].range.count, 7);
    assert_true(ops[0].range.more);
    assert_bytes(ops[0].range.kvs[0].key, ops[0].range.kvs[0].key_len, "/a");
    assert_bytes(ops[0].range.kvs[0].value, ops[0].range.kvs[0].value_len,
                 "v1");
    assert_int_equal(ops[0].range.kvs[0].mod_revision, 40);
    assert_int_equal(ops[0].range.kvs[0].version, 5);
    assert_int_equal(ops[0].range.kvs[0].lease, 0x1234);
    assert_int_equal(ops[0].range.kvs[0].attr.mode, 0100600);
    assert_int_equal(ops[0].range.kvs[0].attr.ctime_ns, 99);
    assert_null(ops[0].range.kvs[1].value);
    assert_int_equal(ops[1].delete_range.deleted, 2);
    assert_int_equal(ops[2].type, STORE_OP_TXN);
    assert_true(ops[2].txn->responses[0].put.has_prev);
    assert_non_null(ops[2].txn->responses[0].put.prev_kv.value);
    assert_int_equal(ops[2].txn->responses[0].put.prev_kv.value_len, 0);
    commandResultFree(out);
    for (cut = 0; cut < len; cut++) {
        out = NULL;
        assert_int_equal(commandResultDecode(buf, cut, &out), ETCFS_CORRUPT);
        assert_null(out);
    }
    free(buf);
    commandResultFree(r);
}

static void testEncodeErrors(void **state)
{
    struct command cmd = {0};
    void *buf;
    size_t len;
    (void)state;
    cmd.type = 99;
    assert_int_equal(commandEncode(&cmd, plainAlloc, &buf, &len),
                     ETCFS_INVALID);
    cmd.type = COMMAND_COMPACT;
    assert_int_equal(commandEncode(&cmd, failAlloc, &buf, &len), ETCFS_NOMEM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testPutRoundTrip),
        cmocka_unit_test(testPutAttrFormats),
        cmocka_unit_test(testEmptyValue),
        cmocka_unit_test(testAuthHeaderAndOp),
        cmocka_unit_test(testAbsentWithLength),
        cmocka_unit_test(testTxnRoundTrip),
        cmocka_unit_test(testSmallCommands),
        cmocka_unit_test(testCorruptInput),
        cmocka_unit_test(testEncodeErrors),
        cmocka_unit_test(testResultRoundTrip),
    };
    return cmocka_run_group_tests_name("command", tests, NULL, NULL);
}
