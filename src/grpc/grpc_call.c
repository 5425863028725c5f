/* The gRPC call object of grpc_internal.h: its references and life, the
 * response bytes nghttp2 pulls within the client's flow-control window,
 * gRPC's framing of each message, the status trailers (or a trailers-only
 * answer for an error before any message), and the glue from a handler to
 * the request path (grpcWrite, grpcRead). grpc.c creates calls and feeds
 * them; this file answers them. Loop thread only; never blocks. */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../lib/stream.h"
#include "../store/store.h"
#include "grpc_internal.h"
#include "../core/metrics.h"
#include "grpc_server.h"

/* ---- calls ---- */




const struct grpc_deps *grpcDeps(const struct grpc_call *call)
{
    return &call->g->deps;
}

static void callFree(struct grpc_call *call)
{
    struct grpc *g = call->g;
    if (call->rpc != 0) {
        /* a call that never ended with a status: its client left */
        metricsRpcHandled(g->deps.metrics, call->rpc - 1,
                          call->rpc_code >= 0 ? call->rpc_code
                                              : GRPC_STATUS_CANCELLED,
                          uv_hrtime() - call->rpc_start);
    }
    if (call->ctx_free != NULL) {
        call->ctx_free(call->ctx);
    }
    bufFree(&call->in);
    bufFree(&call->out);
    free(call->status_msg);
    free(call->fail_msg);
    free(call);
    g->n_calls--;
    grpcMaybeFireCloseCb(g);
}

void grpcHold(struct grpc_call *call)
{
    call->refs++;
}

void grpcRelease(struct grpc_call *call)
{
    if (--call->refs == 0) {
        callFree(call);
    }
}

/* The client is gone (or the server closes): no more sends; a stream's
 * handler is told once. */
void grpcCallGone(struct grpc_call *call)
{
    if (call->gone) {
        return;
    }
    call->gone = true;
    if (call->conn != NULL) {
        QUEUE_REMOVE(&call->link);
        call->conn = NULL;
    }
    if (!call->finished && call->started && !call->ended &&
        call->method != NULL && call->method->end != NULL) {
        call->ended = true;
        call->method->end(call);
    } else if (!call->finished && !(call->hflags & CALL_BEGUN)) {
        /* reset before its request headers were complete (or refused by
         * nghttp2): no handler will ever give its reference back */
        call->finished = true;
        grpcRelease(call);
    } else if (!call->finished && call->started &&
               call->method->kind != GRPC_BIDI &&
               !(call->hflags & CALL_UNARY_STARTED)) {
        /* a unary call whose client went away before ending its request
         * (RST_STREAM, connection closed): the gate passed but the start
         * hook never ran, so no handler will give the reference back */
        call->finished = true;
        grpcRelease(call);
    }
}

size_t grpcQueued(const struct grpc_call *call)
{
    size_t n = call->out.len - call->out_pos;
    if (call->conn != NULL) {
        n += streamQueued(call->conn->s);
    }
    return n;
}

/* nghttp2 asks for response body bytes: what the call has queued, then
 * the trailers once the handler ended it. */
static ssize_t dataReadCb(nghttp2_session *h2, int32_t stream_id,
                          uint8_t *out, size_t length, uint32_t *flags,
                          nghttp2_data_source *source, void *user_data)
{
    struct grpc_call *call = source->ptr;
    size_t avail = call->out.len - call->out_pos;
    (void)user_data;
    if (avail > 0) {
        size_t n = avail < length ? avail : length;
        memcpy(out, call->out.data + call->out_pos, n);
        call->out_pos += n;
        if (call->out_pos == call->out.len) {
            bufReset(&call->out);
            call->out_pos = 0;
        }
        return (ssize_t)n;
    }
    if (call->trailers_due) {
        char code[16];
        const char *msg = call->status_msg != NULL ? call->status_msg : "";
        nghttp2_nv nv[2] = {
            {(uint8_t *)"grpc-status", (uint8_t *)code, 11, 0,
             NGHTTP2_NV_FLAG_NONE},
            {(uint8_t *)"grpc-message", (uint8_t *)msg, 12, strlen(msg),
             NGHTTP2_NV_FLAG_NONE},
        };
        nv[0].valuelen = (size_t)snprintf(code, sizeof code, "%d",
                                          call->status);
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        if (nghttp2_submit_trailer(h2, stream_id, nv, msg[0] != '\0' ? 2 : 1) ==
            0) {
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
        call->trailers_due = false;
        return 0;
    }
    call->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
}

#define NV(n, v)                                                            \
    {                                                                       \
        (uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1,       \
            NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE    \
    }

/* Sends the response headers once, with the body to come from dataReadCb. */
static int callHeaders(struct grpc_call *call)
{
    static const nghttp2_nv nv[] = {NV(":status", "200"),
                                    NV("content-type", "application/grpc")};
    nghttp2_data_provider prd;
    if (call->headers_sent) {
        if (call->deferred) {
            call->deferred = false;
            nghttp2_session_resume_data(call->conn->h2, call->stream_id);
        }
        return 0;
    }
    prd.source.ptr = call;
    prd.read_callback = dataReadCb;
    call->headers_sent = true;
    return nghttp2_submit_response(call->conn->h2, call->stream_id, nv, 2,
                                   &prd) == 0
               ? 0
               : ETCFS_NOMEM;
}

/* Appends m as one gRPC message to the call's response bytes. */
static int callAppend(struct grpc_call *call, const ProtobufCMessage *m)
{
    size_t n = protobuf_c_message_get_packed_size(m);
    unsigned char prefix[5];
    prefix[0] = 0;
    bufPutU32(prefix + 1, (uint32_t)n);
    if (bufReserve(&call->out, 5 + n) != 0) {
        return ETCFS_NOMEM;
    }
    memcpy(call->out.data + call->out.len, prefix, 5);
    protobuf_c_message_pack(m, (uint8_t *)call->out.data + call->out.len + 5);
    call->out.len += 5 + n;
    return 0;
}

int grpcSend(struct grpc_call *call, const ProtobufCMessage *m)
{
    int rv;
    if (call->gone || call->conn == NULL) {
        return ETCFS_CANCELED;
    }
    rv = callAppend(call, m);
    if (rv == 0) {
        rv = callHeaders(call);
    }
    if (rv != 0) {
        return rv;
    }
    grpcConnFlush(call->conn);
    return 0;
}

/* Ends the call with status (msg NULL: none): trailers after the queued
 * bytes, or a trailers-only response when nothing was sent. Gives the
 * handler's reference back. */
static void callEnd(struct grpc_call *call, int status, const char *msg)
{
    struct grpc_conn *c = call->conn;
    if (call->finished) {
        return; /* a handler bug: ended twice */
    }
    if (status == GRPC_STATUS_OK && call->fail_status != 0) {
        /* the end hook's finish after callFailIn */
        status = call->fail_status;
        msg = call->fail_msg;
    }
    call->finished = true;
    call->rpc_code = status;
    if (!call->gone && c != NULL) {
        call->status = status;
        if (msg != NULL && msg[0] != '\0') {
            /* grpc-message is percent-encoded (gRPC's HTTP/2 spec) */
            size_t i, n = strlen(msg);
            char *e = malloc(3 * n + 1), *p = e;
            if (e != NULL) {
                for (i = 0; i < n; i++) {
                    unsigned char ch = (unsigned char)msg[i];
                    if (ch < 0x20 || ch > 0x7e || ch == '%') {
                        p += sprintf(p, "%%%02X", ch);
                    } else {
                        *p++ = (char)ch;
                    }
                }
                *p = '\0';
            }
            call->status_msg = e;
        }
        if (!call->headers_sent) {
            /* trailers only: one HEADERS frame that ends the stream */
            char code[16];
            const char *m = call->status_msg != NULL ? call->status_msg : "";
            nghttp2_nv nv[4] = {
                NV(":status", "200"),
                NV("content-type", "application/grpc"),
                {(uint8_t *)"grpc-status", (uint8_t *)code, 11, 0,
                 NGHTTP2_NV_FLAG_NONE},
                {(uint8_t *)"grpc-message", (uint8_t *)m, 12, strlen(m),
                 NGHTTP2_NV_FLAG_NONE},
            };
            nv[2].valuelen = (size_t)snprintf(code, sizeof code, "%d", status);
            call->headers_sent = true;
            (void)nghttp2_submit_response(c->h2, call->stream_id, nv,
                                          m[0] != '\0' ? 4 : 3, NULL);
        } else {
            call->trailers_due = true;
            (void)callHeaders(call); /* resumes the deferred body */
        }
        grpcConnFlush(c);
    }
    grpcRelease(call);
}

void grpcReply(struct grpc_call *call, const ProtobufCMessage *m)
{
    if (!call->gone && call->conn != NULL) {
        int rv = callAppend(call, m);
        if (rv == 0) {
            rv = callHeaders(call);
        }
        if (rv != 0) {
            callEnd(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
            return;
        }
    }
    callEnd(call, GRPC_STATUS_OK, NULL);
}

void grpcFinish(struct grpc_call *call)
{
    callEnd(call, GRPC_STATUS_OK, NULL);
}

void grpcAbort(struct grpc_call *call)
{
    struct grpc_conn *c = call->conn;
    if (call->finished) {
        return;
    }
    call->finished = true;
    if (!call->gone && c != NULL) {
        bufReset(&call->out);
        call->out_pos = 0;
        (void)nghttp2_submit_rst_stream(c->h2, NGHTTP2_FLAG_NONE,
                                        call->stream_id, NGHTTP2_CANCEL);
        grpcConnFlush(c);
    }
    grpcRelease(call);
}

void grpcFailStatus(struct grpc_call *call, int grpc_status, const char *msg)
{
    callEnd(call, grpc_status, msg);
}

void grpcFail(struct grpc_call *call, int code, const char *msg)
{
    callEnd(call, etcfsGrpcCode(code),
            msg != NULL && msg[0] != '\0' ? msg : etcfsStrerror(code));
}

void grpcHeader(struct grpc_call *call, Etcdserverpb__ResponseHeader *h,
                int64_t revision)
{
    const struct grpc_deps *d = &call->g->deps;
    h->cluster_id = nodeClusterId(d->node);
    h->member_id = nodeId(d->node);
    h->raft_term = nodeTerm(d->node);
    h->revision = revision == 0 ? storeRevision(d->store)
                  : revision < 0 ? 0
                                 : revision;
}

/* ---- the request path ---- */

static void serverWriteCb(struct server_write *w, int status,
                          struct command_result *res)
{
    struct grpc_call *call = w->data;
    if (status != 0) {
        grpcFail(call, status, NULL);
        return;
    }
    if (res->status != 0) {
        grpcFail(call, res->status, NULL);
    } else {
        call->applied(call, res);
    }
    commandResultFree(res);
}

void grpcWrite(struct grpc_call *call, struct command *cmd,
               grpc_applied_fn applied)
{
    int rv;
    memset(&call->write, 0, sizeof call->write);
    call->write.data = call;
    call->write.cb = serverWriteCb;
    call->applied = applied;
    authnStamp(&call->who, cmd); /* the FSM checks its permissions */
    rv = serverWrite(call->g->deps.server, &call->write, cmd);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
    }
}

static void serverReadCb(struct server_read *r, int status)
{
    struct grpc_call *call = r->data;
    if (status != 0) {
        grpcFail(call, status, NULL);
        return;
    }
    call->read_fn(call);
}

void grpcRead(struct grpc_call *call, bool serializable, grpc_read_fn fn)
{
    int rv;
    memset(&call->read, 0, sizeof call->read);
    call->read.data = call;
    call->read.cb = serverReadCb;
    call->read_fn = fn;
    rv = serverRead(call->g->deps.server, &call->read, serializable);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
    }
}

