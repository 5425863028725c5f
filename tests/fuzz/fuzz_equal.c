/* Deep equality of decoded Raft commands (fuzz_equal.h). */
#include "fuzz_equal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static bool bytesEqual(const char *a, size_t a_len, const char *b, size_t b_len)
{
    if ((a == NULL) != (b == NULL) || a_len != b_len) {
        return false;
    }
    return a_len == 0 || memcmp(a, b, a_len) == 0;
}

static bool attrEqual(const struct store_attr *a, const struct store_attr *b)
{
    return a->mode == b->mode && a->uid == b->uid && a->gid == b->gid &&
           a->mtime_ns == b->mtime_ns && a->atime_ns == b->atime_ns &&
           a->ctime_ns == b->ctime_ns;
}

static bool rangeEqual(const struct store_range_req *a,
                       const struct store_range_req *b)
{
    return bytesEqual(a->key, a->key_len, b->key, b->key_len) &&
           bytesEqual(a->range_end, a->range_end_len, b->range_end,
                      b->range_end_len) &&
           a->limit == b->limit && a->revision == b->revision &&
           a->sort_order == b->sort_order && a->sort_target == b->sort_target &&
           a->keys_only == b->keys_only && a->count_only == b->count_only &&
           a->min_mod_revision == b->min_mod_revision &&
           a->max_mod_revision == b->max_mod_revision &&
           a->min_create_revision == b->min_create_revision &&
           a->max_create_revision == b->max_create_revision;
}

static bool putEqual(const struct store_put_req *a,
                     const struct store_put_req *b)
{
    return bytesEqual(a->key, a->key_len, b->key, b->key_len) &&
           bytesEqual(a->value, a->value_len, b->value, b->value_len) &&
           a->lease == b->lease && a->prev_kv == b->prev_kv &&
           a->ignore_value == b->ignore_value &&
           a->ignore_lease == b->ignore_lease && attrEqual(&a->attr, &b->attr);
}

static bool deleteEqual(const struct store_delete_req *a,
                        const struct store_delete_req *b)
{
    return bytesEqual(a->key, a->key_len, b->key, b->key_len) &&
           bytesEqual(a->range_end, a->range_end_len, b->range_end,
                      b->range_end_len) &&
           a->prev_kv == b->prev_kv;
}

static bool compareEqual(const struct store_compare *a,
                         const struct store_compare *b)
{
    return a->result == b->result && a->target == b->target &&
           bytesEqual(a->key, a->key_len, b->key, b->key_len) &&
           bytesEqual(a->range_end, a->range_end_len, b->range_end,
                      b->range_end_len) &&
           a->number == b->number &&
           bytesEqual(a->value, a->value_len, b->value, b->value_len);
}

static bool txnEqual(const struct store_txn_req *a,
                     const struct store_txn_req *b);

static bool opsEqual(const struct store_op *a, size_t a_n,
                     const struct store_op *b, size_t b_n)
{
    size_t i;
    if (a_n != b_n) {
        return false;
    }
    for (i = 0; i < a_n; i++) {
        if (a[i].type != b[i].type) {
            return false;
        }
        switch (a[i].type) {
            case STORE_OP_RANGE:
                if (!rangeEqual(&a[i].range, &b[i].range)) {
                    return false;
                }
                break;
            case STORE_OP_PUT:
                if (!putEqual(&a[i].put, &b[i].put)) {
                    return false;
                }
                break;
            case STORE_OP_DELETE:
                if (!deleteEqual(&a[i].delete_range, &b[i].delete_range)) {
                    return false;
                }
                break;
            case STORE_OP_TXN:
                if (!txnEqual(a[i].txn, b[i].txn)) {
                    return false;
                }
                break;
            default:
                return false;
        }
    }
    return true;
}

static bool txnEqual(const struct store_txn_req *a,
                     const struct store_txn_req *b)
{
    size_t i;
    if (a->n_compares != b->n_compares) {
        return false;
    }
    for (i = 0; i < a->n_compares; i++) {
        if (!compareEqual(&a->compares[i], &b->compares[i])) {
            return false;
        }
    }
    return opsEqual(a->success, a->n_success, b->success, b->n_success) &&
           opsEqual(a->failure, a->n_failure, b->failure, b->n_failure);
}

static bool authOpEqual(const struct auth_op *a, const struct auth_op *b)
{
    return a->type == b->type &&
           bytesEqual(a->name, a->name_len, b->name, b->name_len) &&
           bytesEqual(a->role, a->role_len, b->role, b->role_len) &&
           bytesEqual(a->hash, a->hash_len, b->hash, b->hash_len) &&
           a->no_password == b->no_password && a->perm_type == b->perm_type &&
           bytesEqual(a->key, a->key_len, b->key, b->key_len) &&
           bytesEqual(a->range_end, a->range_end_len, b->range_end,
                      b->range_end_len) &&
           bytesEqual(a->token, a->token_len, b->token, b->token_len);
}

bool fuzzCommandEqual(const struct command *a, const struct command *b)
{
    if (a->type != b->type || a->origin != b->origin ||
        !bytesEqual(a->user, a->user_len, b->user, b->user_len) ||
        a->auth_revision != b->auth_revision || a->internal != b->internal) {
        return false;
    }
    switch (a->type) {
        case COMMAND_PUT:
            return putEqual(&a->put, &b->put);
        case COMMAND_DELETE_RANGE:
            return deleteEqual(&a->delete_range, &b->delete_range);
        case COMMAND_TXN:
            return txnEqual(&a->txn, &b->txn);
        case COMMAND_COMPACT:
            return a->compact_revision == b->compact_revision;
        case COMMAND_LEASE_GRANT:
            return a->lease_grant.id == b->lease_grant.id &&
                   a->lease_grant.ttl == b->lease_grant.ttl;
        case COMMAND_LEASE_REVOKE:
            return a->lease_revoke_id == b->lease_revoke_id;
        case COMMAND_META:
            return bytesEqual(a->meta.name, a->meta.name_len, b->meta.name,
                              b->meta.name_len) &&
                   bytesEqual(a->meta.value, a->meta.value_len, b->meta.value,
                              b->meta.value_len);
        case COMMAND_AUTH:
            return authOpEqual(&a->auth, &b->auth);
        default:
            return false;
    }
}

static void *plainAlloc(size_t n)
{
    return malloc(n);
}

int fuzzCommandRoundTrip(const struct command *cmd)
{
    struct command_decoded dec;
    void *b1;
    void *b2;
    size_t l1;
    size_t l2;
    int rv = commandEncode(cmd, plainAlloc, &b1, &l1);
    if (rv != 0) {
        return rv;
    }
    assert(l1 % 8 == 0);
    rv = commandDecode(b1, l1, &dec);
    assert(rv == 0);
    assert(fuzzCommandEqual(cmd, &dec.cmd));
    rv = commandEncode(&dec.cmd, plainAlloc, &b2, &l2);
    assert(rv == 0);
    assert(l1 == l2 && memcmp(b1, b2, l1) == 0);
    commandDecodedClear(&dec);
    free(b1);
    free(b2);
    return 0;
}
