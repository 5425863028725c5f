/* etcdserverpb.KV over gRPC: Range, Put, DeleteRange, Txn, Compact. Each
 * handler unpacks its request, translates it with grpc_codec.c and goes
 * through the request path as the JSON gateway's api_kv.c does (grpcRead,
 * authnRead after the read gate; grpcWrite, the FSM checking writes),
 * then packs the result. Loop thread only. */
#include <string.h>

#include "../core/error.h"
#include "../store/store.h"
#include "grpc_codec.h"
#include "grpc_internal.h"

static size_t maxBytes(struct grpc_call *call)
{
    return (size_t)grpcDeps(call)->config->max_request_bytes;
}

static void failDecode(struct grpc_call *call, int rv, const char *errmsg)
{
    grpcFail(call, rv, errmsg[0] != '\0' ? errmsg : NULL);
}

/* ---- range ---- */

static void rangeFree(void *ctx)
{
    etcdserverpb__range_request__free_unpacked(ctx, NULL);
}

/* After the read gate: the request is still the unpacked message in ctx
 * (freed with the call). */
static void rangeServe(struct grpc_call *call)
{
    const struct grpc_deps *d = grpcDeps(call);
    Etcdserverpb__RangeResponse *m;
    Etcdserverpb__ResponseHeader h;
    struct store_range_req r;
    struct store_range_resp resp;
    struct arena a = {0};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = grpcCodecRangeReq(call->ctx, &r, NULL, errmsg);
    if (rv == 0) {
        /* after the read gate, as etcd: the permissions of the state the
         * read sees (a revoke acknowledged anywhere applies here) */
        rv = authnRead(d->server, &call->who, r.key, r.key_len, r.range_end,
                       r.range_end_len);
    }
    memset(&resp, 0, sizeof resp);
    if (rv == 0) {
        rv = storeRange(d->store, &r, &resp, errmsg);
    }
    if (rv != 0) {
        grpcFail(call, rv,
                 rv == ETCFS_COMPACTED || rv == ETCFS_FUTURE_REV ||
                         errmsg[0] == '\0'
                     ? NULL
                     : errmsg);
        storeRangeRespClear(&resp);
        return;
    }
    m = grpcCodecRangeResp(&a, &resp);
    if (m == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
    } else {
        etcdserverpb__response_header__init(&h);
        grpcHeader(call, &h, resp.revision);
        m->header = &h;
        grpcReply(call, &m->base);
    }
    arenaClear(&a);
    storeRangeRespClear(&resp);
}

void grpcKvRange(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    Etcdserverpb__RangeRequest *m =
        grpcUnpack(call, &etcdserverpb__range_request__descriptor, msg, n);
    struct store_range_req r;
    bool serializable = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    if (m == NULL) {
        return;
    }
    rv = grpcCodecRangeReq(m, &r, &serializable, errmsg);
    if (rv != 0) {
        etcdserverpb__range_request__free_unpacked(m, NULL);
        failDecode(call, rv, errmsg);
        return;
    }
    call->ctx = m;
    call->ctx_free = rangeFree;
    grpcRead(call, serializable, rangeServe);
}

/* ---- writes ---- */

/* Replies m (header at revision) or fails with out of memory. */
static void replyWith(struct grpc_call *call, ProtobufCMessage *m,
                      Etcdserverpb__ResponseHeader **header, int64_t revision)
{
    Etcdserverpb__ResponseHeader h;
    if (m == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    etcdserverpb__response_header__init(&h);
    grpcHeader(call, &h, revision);
    *header = &h;
    grpcReply(call, m);
}

static void putApplied(struct grpc_call *call,
                       const struct command_result *res)
{
    struct arena a = {0};
    Etcdserverpb__PutResponse *m = grpcCodecPutResp(&a, &res->put);
    replyWith(call, m != NULL ? &m->base : NULL,
              m != NULL ? &m->header : NULL, res->revision);
    arenaClear(&a);
}

void grpcKvPut(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    Etcdserverpb__PutRequest *m =
        grpcUnpack(call, &etcdserverpb__put_request__descriptor, msg, n);
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    if (m == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    rv = grpcCodecPutReq(m, &cmd.put, maxBytes(call), errmsg);
    if (rv != 0) {
        failDecode(call, rv, errmsg);
    } else {
        grpcWrite(call, &cmd, putApplied); /* cmd borrowed for the call */
    }
    etcdserverpb__put_request__free_unpacked(m, NULL);
}

static void deleteApplied(struct grpc_call *call,
                          const struct command_result *res)
{
    struct arena a = {0};
    Etcdserverpb__DeleteRangeResponse *m =
        grpcCodecDeleteResp(&a, &res->delete_range);
    replyWith(call, m != NULL ? &m->base : NULL,
              m != NULL ? &m->header : NULL, res->revision);
    arenaClear(&a);
}

void grpcKvDeleteRange(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    Etcdserverpb__DeleteRangeRequest *m = grpcUnpack(
        call, &etcdserverpb__delete_range_request__descriptor, msg, n);
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    if (m == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    rv = grpcCodecDeleteReq(m, &cmd.delete_range, errmsg);
    if (rv != 0) {
        failDecode(call, rv, errmsg);
    } else {
        grpcWrite(call, &cmd, deleteApplied);
    }
    etcdserverpb__delete_range_request__free_unpacked(m, NULL);
}

static void txnApplied(struct grpc_call *call,
                       const struct command_result *res)
{
    struct arena a = {0};
    Etcdserverpb__TxnResponse *m =
        grpcCodecTxnResp(&a, &res->txn, res->revision);
    replyWith(call, m != NULL ? &m->base : NULL,
              m != NULL ? &m->header : NULL, res->revision);
    arenaClear(&a);
}

void grpcKvTxn(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    Etcdserverpb__TxnRequest *m;
    struct command cmd;
    struct arena a = {0};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = grpcCodecTxnDepth(msg, n, errmsg);
    if (rv != 0) {
        failDecode(call, rv, errmsg);
        return;
    }
    m = grpcUnpack(call, &etcdserverpb__txn_request__descriptor, msg, n);
    if (m == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    rv = grpcCodecTxnReq(&a, m, &cmd.txn, maxBytes(call),
                         grpcDeps(call)->config->max_txn_ops, errmsg);
    if (rv != 0) {
        failDecode(call, rv, errmsg);
    } else {
        /* read-only txns go through the log too, as the gateway's: one
         * code path, linearizable */
        grpcWrite(call, &cmd, txnApplied);
    }
    arenaClear(&a);
    etcdserverpb__txn_request__free_unpacked(m, NULL);
}

static void compactApplied(struct grpc_call *call,
                           const struct command_result *res)
{
    Etcdserverpb__CompactionResponse m;
    etcdserverpb__compaction_response__init(&m);
    replyWith(call, &m.base, &m.header, res->revision);
}

void grpcKvCompact(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    Etcdserverpb__CompactionRequest *m = grpcUnpack(
        call, &etcdserverpb__compaction_request__descriptor, msg, n);
    struct command cmd;
    if (m == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    cmd.compact_revision = m->revision;
    /* physical: etcfs compacts within the applied entry, so the answer
     * always comes after the compaction is done */
    etcdserverpb__compaction_request__free_unpacked(m, NULL);
    grpcWrite(call, &cmd, compactApplied);
}
