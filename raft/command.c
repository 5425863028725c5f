/* Command encoding for the Raft log. Each command's fields are listed once,
 * in commandFields(): the same walk sizes, encodes and decodes (a codec in
 * one of three modes), so encoder and decoder cannot drift. Pure. */
#include "command.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"

#define COMMAND__MAX_DEPTH 8 /* nested txn levels accepted on decode */

enum codec_mode { CODEC_SIZE, CODEC_ENCODE, CODEC_DECODE };

struct arena_block
{
    struct arena_block *next;
    max_align_t data[];
};

struct codec
{
    int mode;
    uint8_t *buf; /* encode: output; decode: input */
    size_t len;   /* decode: input length */
    size_t pos;
    int err;
    struct arena_block *arena; /* decode: arrays */
    int depth;
    uint8_t format; /* of the command being walked */
};

static void codecRaw(struct codec *c, void *p, size_t n)
{
    if (c->err != 0) {
        return;
    }
    switch (c->mode) {
        case CODEC_SIZE:
            break;
        case CODEC_ENCODE:
            memcpy(c->buf + c->pos, p, n);
            break;
        case CODEC_DECODE:
            if (c->len - c->pos < n) {
                c->err = ETCFS_CORRUPT;
                return;
            }
            memcpy(p, c->buf + c->pos, n);
            break;
    }
    c->pos += n;
}

static void codecU64(struct codec *c, uint64_t *v)
{
    uint8_t b[8];
    unsigned i;
    if (c->mode != CODEC_DECODE) {
        for (i = 0; i < 8; i++) {
            b[i] = (uint8_t)(*v >> (8 * i));
        }
    }
    codecRaw(c, b, sizeof b);
    if (c->mode == CODEC_DECODE && c->err == 0) {
        *v = 0;
        for (i = 0; i < 8; i++) {
            *v |= (uint64_t)b[i] << (8 * i);
        }
    }
}

static void codecI64(struct codec *c, int64_t *v)
{
    uint64_t u = (uint64_t)*v;
    codecU64(c, &u);
    *v = (int64_t)u;
}

static void codecU32(struct codec *c, uint32_t *v)
{
    uint64_t u = *v;
    codecU64(c, &u);
    if (c->mode == CODEC_DECODE && c->err == 0 && u > UINT32_MAX) {
        c->err = ETCFS_CORRUPT;
    }
    *v = (uint32_t)u;
}

static void codecU8(struct codec *c, uint8_t *v)
{
    codecRaw(c, v, 1);
}

static void codecInt(struct codec *c, int *v)
{
    uint8_t b = (uint8_t)*v;
    codecU8(c, &b);
    *v = b;
}

static void codecBool(struct codec *c, bool *v)
{
    uint8_t b = *v ? 1 : 0;
    codecU8(c, &b);
    *v = b != 0;
}

/* Length-prefixed bytes. Decoding points into the input buffer. A NULL
 * pointer is kept distinct from an empty string (flag byte). */
static void codecBytes(struct codec *c, const char **p, size_t *n)
{
    uint64_t len = *n;
    uint8_t present = *p != NULL ? 1 : 0;
    codecU8(c, &present);
    codecU64(c, &len);
    if (c->err != 0) {
        return;
    }
    if (c->mode == CODEC_DECODE) {
        /* an absent string has no bytes: NULL with a length would be read
         * (or copied when encoded again) through a null pointer */
        if (len > c->len - c->pos || (!present && len != 0)) {
            c->err = ETCFS_CORRUPT;
            return;
        }
        *p = present ? (const char *)c->buf + c->pos : NULL;
        *n = (size_t)len;
        c->pos += (size_t)len;
        return;
    }
    if (c->mode == CODEC_ENCODE && len > 0) {
        memcpy(c->buf + c->pos, *p, (size_t)len);
    }
    c->pos += (size_t)len;
}

/* An array count; on decode allocates count elements of 'size' bytes in the
 * arena (bounded by what the input can hold: each element needs at least
 * one byte, so a forged count cannot make us allocate much). */
/* An array's count; on decode it must fit what the input still holds.
 * True when the caller has elements to allocate (decoding, no error). */
static bool codecCount(struct codec *c, size_t count, uint64_t *n)
{
    *n = count;
    codecU64(c, n);
    if (c->err != 0 || c->mode != CODEC_DECODE) {
        return false;
    }
    if (*n > c->len - c->pos) {
        c->err = ETCFS_CORRUPT;
        return false;
    }
    return true;
}

static void codecArray(struct codec *c, void **arr, size_t *count,
                       size_t size)
{
    uint64_t n;
    struct arena_block *block;
    if (!codecCount(c, *count, &n)) {
        return;
    }
    *count = (size_t)n;
    if (n == 0) {
        *arr = NULL;
        return;
    }
    block = calloc(1, sizeof *block + (size_t)n * size);
    if (block == NULL) {
        c->err = ETCFS_NOMEM;
        return;
    }
    block->next = c->arena;
    c->arena = block;
    *arr = block->data;
}

/* File metadata; atime and ctime since command format 2. */
static void codecAttr(struct codec *c, struct store_attr *a, bool times)
{
    codecU32(c, &a->mode);
    codecU32(c, &a->uid);
    codecU32(c, &a->gid);
    codecI64(c, &a->mtime_ns);
    if (times) {
        codecI64(c, &a->atime_ns);
        codecI64(c, &a->ctime_ns);
    }
}

static void codecRange(struct codec *c, struct store_range_req *r)
{
    codecBytes(c, &r->key, &r->key_len);
    codecBytes(c, &r->range_end, &r->range_end_len);
    codecI64(c, &r->limit);
    codecI64(c, &r->revision);
    codecInt(c, &r->sort_order);
    codecInt(c, &r->sort_target);
    codecBool(c, &r->keys_only);
    codecBool(c, &r->count_only);
    codecI64(c, &r->min_mod_revision);
    codecI64(c, &r->max_mod_revision);
    codecI64(c, &r->min_create_revision);
    codecI64(c, &r->max_create_revision);
}

static void codecPut(struct codec *c, struct store_put_req *p)
{
    codecBytes(c, &p->key, &p->key_len);
    codecBytes(c, &p->value, &p->value_len);
    codecI64(c, &p->lease);
    codecBool(c, &p->prev_kv);
    codecBool(c, &p->ignore_value);
    codecBool(c, &p->ignore_lease);
    codecAttr(c, &p->attr, c->format >= 2);
}

static void codecDelete(struct codec *c, struct store_delete_req *d)
{
    codecBytes(c, &d->key, &d->key_len);
    codecBytes(c, &d->range_end, &d->range_end_len);
    codecBool(c, &d->prev_kv);
}

static void codecCompare(struct codec *c, struct store_compare *cmp)
{
    codecInt(c, &cmp->result);
    codecInt(c, &cmp->target);
    codecBytes(c, &cmp->key, &cmp->key_len);
    codecBytes(c, &cmp->range_end, &cmp->range_end_len);
    codecI64(c, &cmp->number);
    codecBytes(c, &cmp->value, &cmp->value_len);
}

static void codecTxn(struct codec *c, struct store_txn_req *t);

static void codecOps(struct codec *c, struct store_op **ops, size_t *n)
{
    size_t i;
    codecArray(c, (void **)ops, n, sizeof **ops);
    for (i = 0; i < *n && c->err == 0; i++) {
        struct store_op *op = &(*ops)[i];
        codecInt(c, &op->type);
        switch (op->type) {
            case STORE_OP_RANGE:
                codecRange(c, &op->range);
                break;
            case STORE_OP_PUT:
                codecPut(c, &op->put);
                break;
            case STORE_OP_DELETE:
                codecDelete(c, &op->delete_range);
                break;
            case STORE_OP_TXN:
                if (c->mode == CODEC_DECODE) {
                    size_t one = 1;
                    codecArray(c, (void **)&op->txn, &one, sizeof *op->txn);
                    if (c->err != 0) {
                        return;
                    }
                    /* codecArray read a count: it must be one txn */
                    if (one != 1) {
                        c->err = ETCFS_CORRUPT;
                        return;
                    }
                } else {
                    size_t one = 1;
                    void *unused = op->txn;
                    codecArray(c, &unused, &one, sizeof *op->txn);
                }
                codecTxn(c, op->txn);
                break;
            default:
                c->err = ETCFS_CORRUPT;
                return;
        }
    }
}

/* A nested txn: false (and an error) past COMMAND__MAX_DEPTH levels. */
static bool codecEnter(struct codec *c)
{
    if (++c->depth > COMMAND__MAX_DEPTH) {
        c->err = ETCFS_CORRUPT;
        return false;
    }
    return true;
}

static void codecTxn(struct codec *c, struct store_txn_req *t)
{
    size_t i;
    if (!codecEnter(c)) {
        return;
    }
    codecArray(c, (void **)&t->compares, &t->n_compares, sizeof *t->compares);
    for (i = 0; i < t->n_compares && c->err == 0; i++) {
        codecCompare(c, &t->compares[i]);
    }
    codecOps(c, &t->success, &t->n_success);
    codecOps(c, &t->failure, &t->n_failure);
    c->depth--;
}

static void codecAuthOp(struct codec *c, struct auth_op *a)
{
    codecInt(c, &a->type);
    codecBytes(c, &a->name, &a->name_len);
    codecBytes(c, &a->role, &a->role_len);
    codecBytes(c, &a->hash, &a->hash_len);
    codecBool(c, &a->no_password);
    codecInt(c, &a->perm_type);
    codecBytes(c, &a->key, &a->key_len);
    codecBytes(c, &a->range_end, &a->range_end_len);
    codecBytes(c, &a->token, &a->token_len);
}

/* The one list of every command's fields. */
static void commandFields(struct codec *c, struct command *cmd)
{
    uint8_t format = COMMAND_FORMAT;
    uint8_t pad[6] = {0};
    codecU8(c, &format);
    if (c->mode == CODEC_DECODE && c->err == 0 &&
        (format < 1 || format > COMMAND_FORMAT)) {
        c->err = ETCFS_CORRUPT;
        return;
    }
    c->format = format;
    codecInt(c, &cmd->type);
    codecRaw(c, pad, sizeof pad);
    codecU64(c, &cmd->origin);
    if (c->format >= 3) {
        codecBytes(c, &cmd->user, &cmd->user_len);
        codecU64(c, &cmd->auth_revision);
        codecBool(c, &cmd->internal);
    }
    switch (cmd->type) {
        case COMMAND_PUT:
            codecPut(c, &cmd->put);
            break;
        case COMMAND_DELETE_RANGE:
            codecDelete(c, &cmd->delete_range);
            break;
        case COMMAND_TXN:
            codecTxn(c, &cmd->txn);
            break;
        case COMMAND_COMPACT:
            codecI64(c, &cmd->compact_revision);
            break;
        case COMMAND_LEASE_GRANT:
            codecI64(c, &cmd->lease_grant.id);
            codecI64(c, &cmd->lease_grant.ttl);
            break;
        case COMMAND_LEASE_REVOKE:
            codecI64(c, &cmd->lease_revoke_id);
            break;
        case COMMAND_META:
            codecBytes(c, &cmd->meta.name, &cmd->meta.name_len);
            codecBytes(c, &cmd->meta.value, &cmd->meta.value_len);
            break;
        case COMMAND_AUTH:
            if (c->format < 3) {
                c->err = ETCFS_CORRUPT;
                break;
            }
            codecAuthOp(c, &cmd->auth);
            break;
        default:
            c->err = c->mode == CODEC_DECODE ? ETCFS_CORRUPT : ETCFS_INVALID;
            break;
    }
}

int commandEncode(const struct command *cmd, void *(*alloc)(size_t),
                  void **buf, size_t *len)
{
    struct codec c = {0};
    struct command copy = *cmd; /* the walk takes non-const pointers */
    size_t size;

    c.mode = CODEC_SIZE;
    commandFields(&c, &copy);
    if (c.err != 0) {
        return c.err;
    }
    size = (c.pos + 7) & ~(size_t)7;
    c.buf = alloc(size);
    if (c.buf == NULL) {
        return ETCFS_NOMEM;
    }
    memset(c.buf + c.pos, 0, size - c.pos);
    c.mode = CODEC_ENCODE;
    c.pos = 0;
    commandFields(&c, &copy);
    *buf = c.buf;
    *len = size;
    return 0;
}

static void arenaFree(struct arena_block *b)
{
    while (b != NULL) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
}

int commandDecode(const void *buf, size_t len, struct command_decoded *out)
{
    struct codec c = {0};
    memset(out, 0, sizeof *out);
    c.mode = CODEC_DECODE;
    c.buf = (uint8_t *)buf;
    c.len = len;
    commandFields(&c, &out->cmd);
    if (c.err != 0) {
        arenaFree(c.arena);
        memset(out, 0, sizeof *out);
        return c.err;
    }
    out->arena = c.arena;
    return 0;
}

void commandDecodedClear(struct command_decoded *d)
{
    arenaFree(d->arena);
    memset(d, 0, sizeof *d);
}

/* ---- results, for a forwarded command's answer ----
 * The same walk as the commands, over what applying produced. Decoding
 * allocates what the result owns (keys, values, arrays: freed by
 * commandResultFree) instead of pointing into the input. */

#define RESULT__FORMAT 1

/* Owned bytes: on decode a malloc'd copy, NUL-terminated, NULL kept. */
static void codecOwned(struct codec *c, char **p, size_t *n)
{
    const char *v = *p;
    codecBytes(c, &v, n);
    if (c->mode != CODEC_DECODE || c->err != 0) {
        return;
    }
    *p = NULL;
    if (v != NULL) {
        *p = malloc(*n + 1);
        if (*p == NULL) {
            c->err = ETCFS_NOMEM;
            return;
        }
        memcpy(*p, v, *n);
        (*p)[*n] = '\0';
    }
}

/* An owned array: on decode calloc'd (bounded by the input, as
 * codecArray). */
static void codecOwnedArray(struct codec *c, void **arr, size_t *count,
                            size_t size)
{
    uint64_t n;
    if (!codecCount(c, *count, &n)) {
        return;
    }
    *count = 0; /* counts what the clear functions may free so far */
    *arr = NULL;
    if (n > 0) {
        *arr = calloc((size_t)n, size);
        if (*arr == NULL) {
            c->err = ETCFS_NOMEM;
            return;
        }
    }
    *count = (size_t)n;
}

static void codecKv(struct codec *c, struct store_kv *kv)
{
    codecOwned(c, &kv->key, &kv->key_len);
    codecOwned(c, &kv->value, &kv->value_len);
    codecI64(c, &kv->create_revision);
    codecI64(c, &kv->mod_revision);
    codecI64(c, &kv->version);
    codecI64(c, &kv->lease);
    codecAttr(c, &kv->attr, true);
}

static void codecKvs(struct codec *c, struct store_kv **kvs, size_t *n)
{
    size_t i;
    codecOwnedArray(c, (void **)kvs, n, sizeof **kvs);
    for (i = 0; i < *n && c->err == 0; i++) {
        codecKv(c, &(*kvs)[i]);
    }
}

static void codecTxnResp(struct codec *c, struct store_txn_resp *t);

static void codecPutResp(struct codec *c, struct store_put_resp *r)
{
    codecBool(c, &r->has_prev);
    codecKv(c, &r->prev_kv);
}

static void codecDeleteResp(struct codec *c, struct store_delete_resp *r)
{
    codecI64(c, &r->deleted);
    codecKvs(c, &r->prev_kvs, &r->n_prev_kvs);
}

static void codecOpResp(struct codec *c, struct store_op_resp *r)
{
    codecInt(c, &r->type);
    switch (r->type) {
        case STORE_OP_RANGE:
            codecKvs(c, &r->range.kvs, &r->range.n_kvs);
            codecI64(c, &r->range.count);
            codecBool(c, &r->range.more);
            codecI64(c, &r->range.revision);
            break;
        case STORE_OP_PUT:
            codecPutResp(c, &r->put);
            break;
        case STORE_OP_DELETE:
            codecDeleteResp(c, &r->delete_range);
            break;
        case STORE_OP_TXN:
            if (c->mode == CODEC_DECODE) {
                r->txn = calloc(1, sizeof *r->txn);
                if (r->txn == NULL) {
                    c->err = ETCFS_NOMEM;
                    return;
                }
            }
            codecTxnResp(c, r->txn);
            break;
        default:
            c->err = ETCFS_CORRUPT;
            break;
    }
}

static void codecTxnResp(struct codec *c, struct store_txn_resp *t)
{
    size_t i;
    if (!codecEnter(c)) {
        return;
    }
    codecBool(c, &t->succeeded);
    codecOwnedArray(c, (void **)&t->responses, &t->n_responses,
                    sizeof *t->responses);
    for (i = 0; i < t->n_responses && c->err == 0; i++) {
        codecOpResp(c, &t->responses[i]);
    }
    c->depth--;
}

/* The one list of a result's fields. */
static void resultFields(struct codec *c, struct command_result *r)
{
    uint8_t format = RESULT__FORMAT;
    codecU8(c, &format);
    if (c->mode == CODEC_DECODE && c->err == 0 && format != RESULT__FORMAT) {
        c->err = ETCFS_CORRUPT;
        return;
    }
    codecInt(c, &r->type);
    codecI64(c, &r->revision);
    {
        int64_t status = r->status;
        codecI64(c, &status);
        r->status = (int)status;
    }
    switch (r->type) {
        case COMMAND_PUT:
            codecPutResp(c, &r->put);
            break;
        case COMMAND_DELETE_RANGE:
            codecDeleteResp(c, &r->delete_range);
            break;
        case COMMAND_TXN:
            codecTxnResp(c, &r->txn);
            break;
        default:
            break; /* the revision and status say it all */
    }
}

int commandResultEncode(const struct command_result *res, void **buf,
                        size_t *len)
{
    struct codec c = {0};
    struct command_result copy = *res; /* the walk takes non-const */
    c.mode = CODEC_SIZE;
    resultFields(&c, &copy);
    if (c.err != 0) {
        return c.err;
    }
    c.buf = malloc(c.pos > 0 ? c.pos : 1);
    if (c.buf == NULL) {
        return ETCFS_NOMEM;
    }
    *len = c.pos;
    c.mode = CODEC_ENCODE;
    c.pos = 0;
    resultFields(&c, &copy);
    *buf = c.buf;
    return 0;
}

int commandResultDecode(const void *buf, size_t len,
                        struct command_result **out)
{
    struct codec c = {0};
    struct command_result *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return ETCFS_NOMEM;
    }
    c.mode = CODEC_DECODE;
    c.buf = (uint8_t *)buf;
    c.len = len;
    resultFields(&c, r);
    if (c.err == 0 && c.pos != len) {
        c.err = ETCFS_CORRUPT; /* trailing bytes */
    }
    if (c.err != 0) {
        commandResultFree(r); /* frees what was decoded so far */
        return c.err;
    }
    *out = r;
    return 0;
}

void commandResultFree(struct command_result *r)
{
    if (r == NULL) {
        return;
    }
    switch (r->type) {
        case COMMAND_PUT:
            storePutRespClear(&r->put);
            break;
        case COMMAND_DELETE_RANGE:
            storeDeleteRespClear(&r->delete_range);
            break;
        case COMMAND_TXN:
            storeTxnRespClear(&r->txn);
            break;
        default:
            break;
    }
    free(r);
}
