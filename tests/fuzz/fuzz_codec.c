/* libFuzzer harness for src/api/codec.c: any bytes parsed by jansson as
 * the gateway parses a request body (apiRoute), then every request
 * decoder (range, put, delete, txn) and every field reader (bytes,
 * integers, booleans, enums) run on the object, on each field and on each
 * object inside it (watch create requests, txn ops). Decoding may fail,
 * never crash. What decodes keeps our invariants (asserted): bytes
 * base64-encode and decode back the same, an integer printed and read
 * back is the same, an unsigned field took no negative number, and a request
 * the gateway proposes survives the Raft command encoding (fuzz_equal.h). */
#include <assert.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../raft/command.h"
#include "../../src/api/codec.h"
#include "../../src/core/error.h"
#include "fuzz_equal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ__MAX_BYTES ((size_t)1572864) /* --max-request-bytes default */

static const char *const enumNames[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL",
                                        "NOPUT"};

/* p/len (decoded bytes) through codecB64 and codecBytes again. */
static void checkB64(const char *p, size_t len)
{
    struct arena a = {0};
    json_t *o = json_object();
    const char *back = NULL;
    size_t back_len = 0;
    char errmsg[ETCFS_ERRMSG_SIZE];
    json_t *s = codecB64(p != NULL ? p : "", len);
    int rv;
    assert(o != NULL && s != NULL);
    json_object_set_new(o, "b", s);
    rv = codecBytes(&a, o, "b", &back, &back_len, errmsg);
    assert(rv == 0 && back_len == len);
    assert(len == 0 || memcmp(back, p, len) == 0);
    arenaClear(&a);
    json_decref(o);
}

static void checkI64(int64_t v)
{
    json_t *o = json_object();
    int64_t back = 0;
    char errmsg[ETCFS_ERRMSG_SIZE];
    json_object_set_new(o, "i", codecI64(v));
    assert(codecInt64(o, "i", &back, errmsg) == 0 && back == v);
    json_decref(o);
}

static void checkU64(uint64_t v)
{
    json_t *o = json_object();
    uint64_t back = 0;
    char errmsg[ETCFS_ERRMSG_SIZE];
    json_object_set_new(o, "u", codecU64(v));
    assert(codecUint64(o, "u", &back, errmsg) == 0 && back == v);
    json_decref(o);
}

/* Every field reader on field of obj. */
static void readers(json_t *obj, const char *field)
{
    struct arena a = {0};
    char errmsg[ETCFS_ERRMSG_SIZE];
    const char *p;
    size_t len;
    int64_t i;
    uint64_t u;
    bool b;
    int e;
    if (codecBytes(&a, obj, field, &p, &len, errmsg) == 0) {
        checkB64(p, len);
    }
    if (codecInt64(obj, field, &i, errmsg) == 0) {
        checkI64(i);
    }
    if (codecUint64(obj, field, &u, errmsg) == 0) {
        json_t *v = json_object_get(obj, field);
        /* an unsigned field takes no negative number */
        assert(!json_is_number(v) || json_number_value(v) >= 0);
        checkU64(u);
    }
    (void)codecBool(obj, field, &b, errmsg);
    if (codecEnum(obj, field, enumNames, 5, &e, errmsg) == 0) {
        assert(e >= 0 && e < 5);
    }
    arenaClear(&a);
}

static void checkCommand(struct command *cmd)
{
    int rv = fuzzCommandRoundTrip(cmd);
    assert(rv == 0);
}

/* The request decoders on obj, as the handlers of api_kv.c call them. */
static void requests(json_t *obj)
{
    struct arena a = {0};
    char errmsg[ETCFS_ERRMSG_SIZE];
    struct store_range_req range;
    struct command cmd;
    bool ser;
    bool has_writes;

    if (codecRangeReq(&a, obj, &range, &ser, errmsg) == 0) {
        assert(range.key_len > 0 && range.limit >= 0);
        checkB64(range.key, range.key_len);
        checkB64(range.range_end, range.range_end_len);
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    if (codecPutReq(&a, obj, &cmd.put, FUZZ__MAX_BYTES, errmsg) == 0) {
        assert(cmd.put.key_len > 0 && cmd.put.value != NULL);
        assert(cmd.put.key_len + cmd.put.value_len <= FUZZ__MAX_BYTES);
        checkCommand(&cmd);
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    if (codecDeleteReq(&a, obj, &cmd.delete_range, errmsg) == 0) {
        assert(cmd.delete_range.key_len > 0);
        checkCommand(&cmd);
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    if (codecTxnReq(&a, obj, &cmd.txn, FUZZ__MAX_BYTES, &has_writes, errmsg) ==
        0) {
        checkCommand(&cmd);
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    if (codecInt64(obj, "revision", &cmd.compact_revision, errmsg) == 0) {
        checkCommand(&cmd);
    }
    arenaClear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, 0, &jerr);
    const char *field;
    json_t *v;
    if (root == NULL) {
        return 0;
    }
    requests(root);
    json_object_foreach (root, field, v) {
        readers(root, field);
        if (json_is_object(v)) {
            const char *inner;
            json_t *w;
            requests(v);
            json_object_foreach (v, inner, w) {
                readers(v, inner);
            }
        } else if (json_is_array(v)) {
            size_t i;
            for (i = 0; i < json_array_size(v) && i < 64; i++) {
                requests(json_array_get(v, i));
            }
        }
    }
    json_decref(root);
    return 0;
}
