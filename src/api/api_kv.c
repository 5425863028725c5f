/* KV handlers of the client API: range, put, deleterange, txn,
 * compaction. Decoding/encoding is codec.c; writes and reads go
 * through the request path (src/server/: apiWrite, apiRead). Loop thread
 * only. */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"
#include "../store/store.h"

static size_t maxBytes(struct api_req *req)
{
    return (size_t)req->api->deps.config->max_request_bytes;
}

static void replyDecodeError(struct api_req *req, int rv, const char *errmsg)
{
    apiReplyError(req, rv, errmsg[0] != '\0' ? errmsg : NULL);
}

/* ---- range ---- */

static void rangeServe(struct api_req *req)
{
    struct store_range_req r;
    struct store_range_resp resp;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecRangeReq(&req->arena, req->body, &r, NULL, errmsg);
    if (rv == 0) {
        /* after the read gate, as etcd: the permissions of the state the
         * read sees (a revoke acknowledged anywhere applies here) */
        rv = authnRead(req->api->deps.server, &req->who, r.key, r.key_len,
                       r.range_end, r.range_end_len);
    }
    if (rv == 0) {
        memset(&resp, 0, sizeof resp);
        rv = storeRange(req->api->deps.store, &r, &resp, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv,
                      rv == ETCFS_COMPACTED || rv == ETCFS_FUTURE_REV ||
                              errmsg[0] == '\0'
                          ? NULL
                          : errmsg);
        return;
    }
    apiReply(req, codecRangeResp(&resp), resp.revision);
    storeRangeRespClear(&resp);
}

void apiKvRange(struct api_req *req)
{
    struct store_range_req r;
    bool serializable = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecRangeReq(&req->arena, req->body, &r, &serializable, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiRead(req, serializable, rangeServe);
}

/* ---- put ---- */

static void putApplied(struct api_req *req, const struct command_result *res)
{
    apiReply(req, codecPutResp(&res->put), res->revision);
}

void apiKvPut(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    rv = codecPutReq(&req->arena, req->body, &cmd.put, maxBytes(req), errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiWrite(req, &cmd, putApplied);
}

/* ---- delete range ---- */

static void deleteApplied(struct api_req *req,
                          const struct command_result *res)
{
    apiReply(req, codecDeleteResp(&res->delete_range), res->revision);
}

void apiKvDeleteRange(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    rv = codecDeleteReq(&req->arena, req->body, &cmd.delete_range, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiWrite(req, &cmd, deleteApplied);
}

/* ---- txn ---- */

static void txnApplied(struct api_req *req, const struct command_result *res)
{
    apiReply(req, codecTxnResp(&res->txn, res->revision), res->revision);
}

void apiKvTxn(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    bool has_writes = false;
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    rv = codecTxnReq(&req->arena, req->body, &cmd.txn, maxBytes(req),
                     &has_writes, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    /* read-only txns go through the log too: one code path, linearizable */
    apiWrite(req, &cmd, txnApplied);
}

/* ---- compaction ---- */

static void compactApplied(struct api_req *req,
                           const struct command_result *res)
{
    apiReply(req, json_object(), res->revision);
}

void apiKvCompaction(struct api_req *req)
{
    struct command cmd;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    rv = codecInt64(req->body, "revision", &cmd.compact_revision, errmsg);
    if (rv != 0) {
        replyDecodeError(req, rv, errmsg);
        return;
    }
    apiWrite(req, &cmd, compactApplied);
}
