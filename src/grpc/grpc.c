/* The gRPC server: HTTP/2 connections handed over by the HTTP/1.1 server
 * (the HTTP/2 preface, plain or under TLS with ALPN h2), served by
 * libnghttp2 in memory mode on the connection's stream (src/lib/stream.h):
 * bytes read are fed to the session, what it produces is written. On top,
 * gRPC's framing (1 byte compressed flag, 4 bytes big-endian length, the
 * protobuf; the response's status in "grpc-status"/"grpc-message"
 * trailers), the method table, dispatch and the auth gate; the call object
 * of grpc_internal.h, its replies and trailers are grpc_call.c's. The
 * handlers (grpc_kv.c ...) translate messages to the
 * request path (src/server/).
 *
 * Loop thread only; never blocks. nghttp2 answers PINGs and SETTINGS and
 * sends WINDOW_UPDATEs itself; a protocol error ends the connection with a
 * GOAWAY. */
#include "grpc.h"

#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/metrics.h"
#include "../lib/log.h"
#include "../lib/stream.h"
#include "../store/store.h"
#include "grpc_internal.h"
#include "grpc_server.h"



/* ---- the method table ---- */

#define UNARY(p, fn, needs) {p, GRPC_UNARY, needs, fn, NULL, NULL, NULL}
static const struct grpc_method grpcMethods[] = {
    UNARY("/etcdserverpb.KV/Range", grpcKvRange, AUTHN_USER),
    UNARY("/etcdserverpb.KV/Put", grpcKvPut, AUTHN_USER),
    UNARY("/etcdserverpb.KV/DeleteRange", grpcKvDeleteRange, AUTHN_USER),
    UNARY("/etcdserverpb.KV/Txn", grpcKvTxn, AUTHN_USER),
    UNARY("/etcdserverpb.KV/Compact", grpcKvCompact, AUTHN_ANYONE),
    {"/etcdserverpb.Watch/Watch", GRPC_BIDI, AUTHN_USER, grpcWatchStart,
     grpcWatchMessage, grpcWatchHalfClose, grpcWatchEnd},
    UNARY("/etcdserverpb.Lease/LeaseGrant", grpcLeaseGrant, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Lease/LeaseRevoke", grpcLeaseRevoke, AUTHN_USER),
    {"/etcdserverpb.Lease/LeaseKeepAlive", GRPC_BIDI, AUTHN_ANYONE,
     grpcLeaseKeepAliveStart, grpcLeaseKeepAliveMessage,
     grpcLeaseKeepAliveHalfClose, grpcLeaseKeepAliveEnd},
    UNARY("/etcdserverpb.Lease/LeaseTimeToLive", grpcLeaseTimeToLive,
          AUTHN_ANYONE),
    UNARY("/etcdserverpb.Lease/LeaseLeases", grpcLeaseLeases, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Cluster/MemberAdd", grpcMemberAdd, AUTHN_ROOT),
    UNARY("/etcdserverpb.Cluster/MemberRemove", grpcMemberRemove, AUTHN_ROOT),
    UNARY("/etcdserverpb.Cluster/MemberUpdate", grpcMemberUpdate, AUTHN_ROOT),
    UNARY("/etcdserverpb.Cluster/MemberList", grpcMemberList, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Cluster/MemberPromote", grpcMemberPromote,
          AUTHN_ROOT),
    UNARY("/etcdserverpb.Maintenance/Alarm", grpcAlarm, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Maintenance/Status", grpcStatus, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Maintenance/Defragment", grpcDefragment,
          AUTHN_ROOT_MAINT),
    UNARY("/etcdserverpb.Maintenance/Hash", grpcHash, AUTHN_ROOT_MAINT),
    UNARY("/etcdserverpb.Maintenance/HashKV", grpcHashKV, AUTHN_ROOT_MAINT),
    {"/etcdserverpb.Maintenance/Snapshot", GRPC_SERVER_STREAM,
     AUTHN_ROOT_MAINT, grpcSnapshot, NULL, NULL, grpcSnapshotEnd},
    UNARY("/etcdserverpb.Maintenance/MoveLeader", grpcMoveLeader, AUTHN_ROOT),
    UNARY("/etcdserverpb.Auth/AuthEnable", grpcAuthEnable, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/AuthDisable", grpcAuthDisable, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/Authenticate", grpcAuthenticate, AUTHN_ANYONE),
    UNARY("/etcdserverpb.Auth/UserAdd", grpcUserAdd, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserGet", grpcUserGet, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserList", grpcUserList, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserDelete", grpcUserDelete, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserChangePassword", grpcUserChangePassword,
          AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserGrantRole", grpcUserGrantRole, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/UserRevokeRole", grpcUserRevokeRole,
          AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleAdd", grpcRoleAdd, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleGet", grpcRoleGet, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleList", grpcRoleList, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleDelete", grpcRoleDelete, AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleGrantPermission", grpcRoleGrantPermission,
          AUTHN_USER),
    UNARY("/etcdserverpb.Auth/RoleRevokePermission",
          grpcRoleRevokePermission, AUTHN_USER),
};

/* The metrics index of m's method (-1 none), looked up once (loop thread
 * only). */
static int methodRpc(const struct grpc_method *m)
{
    static int index[sizeof grpcMethods / sizeof grpcMethods[0]];
    static bool known;
    size_t i;
    if (!known) {
        for (i = 0; i < sizeof grpcMethods / sizeof grpcMethods[0]; i++) {
            index[i] = metricsRpcIndex(grpcMethods[i].path);
        }
        known = true;
    }
    return index[m - grpcMethods];
}

static const struct grpc_method *methodFind(const char *path, size_t len)
{
    size_t i;
    for (i = 0; i < sizeof grpcMethods / sizeof grpcMethods[0]; i++) {
        if (strlen(grpcMethods[i].path) == len &&
            memcmp(grpcMethods[i].path, path, len) == 0) {
            return &grpcMethods[i];
        }
    }
    return NULL;
}

static void connClose(struct grpc_conn *c);

/* ---- dispatch ---- */


static void callDeliver(struct grpc_call *call);
static void callStart(struct grpc_call *call);

/* Who asks, and may they (auth on: authnGate)? False when the call was
 * answered or the check deferred past the read gate. */
static bool callAllowed(struct grpc_call *call);

static void tokenRecheck(struct grpc_call *call)
{
    call->rechecked = true;
    if (callAllowed(call)) {
        callStart(call);
    }
}

static bool callAllowed(struct grpc_call *call)
{
    char text[ETCFS_ERRMSG_SIZE];
    int rv = authnGate(call->g->deps.server,
                       call->token_given ? call->token : NULL,
                       call->token_len, call->cn, call->method->needs,
                       call->rechecked, &call->who, text);
    if (rv == AUTHN_GATE_RECHECK) {
        grpcRead(call, false, tokenRecheck);
        return false;
    }
    if (rv != 0 && text[0] != '\0') {
        grpcFailStatus(call, GRPC_STATUS_UNKNOWN, text); /* maintenance */
        return false;
    }
    if (rv != 0) {
        grpcFail(call, rv, NULL);
        return false;
    }
    return true;
}

/* Hands complete messages to the handler: a unary call's one message once
 * the client ended its side, each message of a bidirectional stream as it
 * arrives, the half-close after them. */
/* grpc.c fails a call over its request bytes. A started stream's handler
 * may hold watchers or keep-alives that would outlive the call: its end
 * hook runs first (it releases them and calls grpcFinish, now or when its
 * pending work calls back), and that finish carries this status. */
static void callFailIn(struct grpc_call *call, int status, const char *msg)
{
    if (call->started && !call->ended && !call->finished &&
        call->method->end != NULL) {
        call->ended = true;
        call->fail_status = status;
        free(call->fail_msg);
        call->fail_msg = msg != NULL ? strdup(msg) : NULL;
        call->method->end(call);
        return;
    }
    grpcFailStatus(call, status, msg);
}

static void callDeliver(struct grpc_call *call)
{
    const struct grpc_method *m = call->method;
    size_t max = (size_t)call->g->deps.config->max_request_bytes +
                 GRPC__OVERHEAD_BYTES;
    size_t pos = 0;
    if (!call->started || call->finished) {
        return;
    }
    grpcHold(call); /* the handler may end the call below */
    while (!call->finished && !call->ended && call->in.len - pos >= 5) {
        const uint8_t *p = (const uint8_t *)call->in.data + pos;
        size_t n = bufGetU32(p + 1);
        if (p[0] != 0) {
            callFailIn(call, GRPC_STATUS_UNIMPLEMENTED,
                           "grpc: compressed messages are not supported");
            break;
        }
        if (n > max) {
            char text[128];
            snprintf(text, sizeof text,
                     "grpc: received message larger than max (%zu vs. %zu)",
                     n, max);
            callFailIn(call, GRPC_STATUS_RESOURCE_EXHAUSTED, text);
            break;
        }
        if (call->in.len - pos - 5 < n) {
            break; /* the rest is still on its way */
        }
        if (m->kind == GRPC_BIDI) {
            pos += 5 + n;
            m->message(call, p + 5, n);
            continue;
        }
        if (!call->half_closed) {
            break; /* a unary request is served once the client ended */
        }
        if (call->in.len - pos - 5 > n) {
            callFailIn(call, GRPC_STATUS_UNIMPLEMENTED,
                           "grpc: more than one request message for a "
                           "unary call");
            break;
        }
        pos += 5 + n;
        call->hflags |= CALL_UNARY_STARTED;
        m->start(call, p + 5, n);
    }
    if (call->ended && !call->finished) {
        /* the end hook runs the rest: no more messages */
    } else if (!call->finished && pos > 0) {
        memmove(call->in.data, call->in.data + pos, call->in.len - pos);
        call->in.len -= pos;
    } else if (call->finished) {
        bufFree(&call->in);
    }
    if (!call->finished && !call->ended && call->half_closed) {
        if (m->kind == GRPC_BIDI) {
            if (call->in.len > 0) {
                callFailIn(call, GRPC_STATUS_INTERNAL,
                               "grpc: truncated message at end of stream");
            } else if (m->half_close != NULL) {
                m->half_close(call);
            } else {
                grpcFinish(call);
            }
        } else if (call->in.len >= 5) {
            /* a unary message that did not arrive whole */
            callFailIn(call, GRPC_STATUS_INTERNAL,
                           "grpc: truncated message at end of stream");
        } else if (!(call->hflags & CALL_UNARY_STARTED)) {
            callFailIn(call, GRPC_STATUS_INTERNAL,
                           "grpc: no request message");
        }
    }
    grpcRelease(call);
}

/* The request headers are complete: method, content type, then the gate. */
static void callBegin(struct grpc_call *call, bool has_path,
                      bool grpc_type)
{
    call->hflags |= CALL_BEGUN;
    if (call->method == NULL) {
        grpcFailStatus(call, GRPC_STATUS_UNIMPLEMENTED,
                       has_path ? "unknown service or method"
                                : "missing :path");
        return;
    }
    if (!grpc_type) {
        grpcFailStatus(call, GRPC_STATUS_INTERNAL,
                       "content-type is not application/grpc");
        return;
    }
    if (call->g->closing) {
        grpcFail(call, ETCFS_CANCELED, NULL);
        return;
    }
    if (call->require_leader && !nodeHasLeader(call->g->deps.node)) {
        /* "hasleader: true" (clientv3's WithRequireLeader on watches and
         * keep-alives): etcd refuses such a stream without a leader */
        grpcFail(call, ETCFS_NOLEADER, NULL);
        return;
    }
    if (!callAllowed(call)) {
        return;
    }
    callStart(call);
}

/* The gate passed: a stream's start hook, then the messages. */
static void callStart(struct grpc_call *call)
{
    if (call->gone) {
        /* gone while the gate was pending: no end hook would run */
        grpcFail(call, ETCFS_CANCELED, NULL);
        return;
    }
    call->started = true;
    if (call->method->kind == GRPC_BIDI) {
        grpcHold(call);
        call->method->start(call, NULL, 0);
        if (!call->finished) {
            callDeliver(call);
        }
        grpcRelease(call);
    } else {
        callDeliver(call);
    }
}

/* ---- nghttp2 callbacks ---- */


static int beginHeadersCb(nghttp2_session *h2, const nghttp2_frame *frame,
                          void *user_data)
{
    struct grpc_conn *c = user_data;
    struct grpc_call *call;
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    call = calloc(1, sizeof *call);
    if (call == NULL) {
        nghttp2_submit_rst_stream(h2, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                  NGHTTP2_INTERNAL_ERROR);
        return 0;
    }
    call->g = c->g;
    call->conn = c;
    call->rpc_code = -1;
    call->stream_id = frame->hd.stream_id;
    call->refs = 2; /* the handler's and the HTTP/2 stream's */
    memcpy(call->cn, c->cn, sizeof call->cn);
    QUEUE_PUSH(&c->calls, &call->link);
    c->g->n_calls++;
    nghttp2_session_set_stream_user_data(h2, frame->hd.stream_id, call);
    return 0;
}

static int headerCb(nghttp2_session *h2, const nghttp2_frame *frame,
                    const uint8_t *name, size_t namelen, const uint8_t *value,
                    size_t valuelen, uint8_t flags, void *user_data)
{
    struct grpc_call *call;
    (void)flags;
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS ||
        frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
        return 0;
    }
    call = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
    if (call == NULL) {
        return 0;
    }
    if (namelen == 5 && memcmp(name, ":path", 5) == 0) {
        call->hflags |= CALL_HAS_PATH;
        call->method = methodFind((const char *)value, valuelen);
        if (call->method != NULL && call->rpc == 0) {
            call->rpc = methodRpc(call->method) + 1;
            call->rpc_start = uv_hrtime();
            metricsRpcStarted(call->g->deps.metrics, call->rpc - 1);
        }
    } else if (namelen == 12 && memcmp(name, "content-type", 12) == 0) {
        if (valuelen >= 16 &&
            memcmp(value, "application/grpc", 16) == 0) {
            call->hflags |= CALL_GRPC_TYPE;
        }
    } else if (namelen == 5 && memcmp(name, "token", 5) == 0) {
        call->token_given = true;
        if (valuelen < sizeof call->token) {
            memcpy(call->token, value, valuelen);
            call->token[valuelen] = '\0';
            call->token_len = valuelen;
        } else {
            call->token_len = sizeof call->token; /* too long to be one */
        }
    } else if (namelen == 9 && memcmp(name, "hasleader", 9) == 0) {
        call->require_leader = valuelen == 4 && memcmp(value, "true", 4) == 0;
    }
    return 0;
}

static int frameRecvCb(nghttp2_session *h2, const nghttp2_frame *frame,
                       void *user_data)
{
    struct grpc_call *call;
    (void)user_data;
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) {
        return 0;
    }
    call = nghttp2_session_get_stream_user_data(h2, frame->hd.stream_id);
    if (call == NULL || call->finished) {
        return 0;
    }
    if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        call->half_closed = true;
    }
    if (frame->hd.type == NGHTTP2_HEADERS &&
        frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        unsigned h = call->hflags;
        callBegin(call, (h & CALL_HAS_PATH) != 0, (h & CALL_GRPC_TYPE) != 0);
    } else if (call->half_closed) {
        callDeliver(call); /* trailers or an empty DATA ended the request */
    }
    return 0;
}

static int dataChunkCb(nghttp2_session *h2, uint8_t flags, int32_t stream_id,
                       const uint8_t *data, size_t len, void *user_data)
{
    struct grpc_call *call;
    size_t max;
    (void)flags;
    (void)user_data;
    call = nghttp2_session_get_stream_user_data(h2, stream_id);
    if (call == NULL || call->finished || call->ended) {
        return 0;
    }
    if (bufAppend(&call->in, data, len) != 0) {
        callFailIn(call, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        return 0;
    }
    /* never hold more than one maximal message: an announced length over
     * the limit is refused at once, and a call whose gate is still pending
     * gets no more than one message's worth */
    max = (size_t)call->g->deps.config->max_request_bytes +
          GRPC__OVERHEAD_BYTES;
    if (call->in.len >= 5 && bufGetU32(call->in.data + 1) > max) {
        char text[128];
        snprintf(text, sizeof text,
                 "grpc: received message larger than max (%u vs. %zu)",
                 bufGetU32(call->in.data + 1), max);
        callFailIn(call, GRPC_STATUS_RESOURCE_EXHAUSTED, text);
        return 0;
    }
    if (!call->started && call->in.len > max + 5) {
        callFailIn(call, GRPC_STATUS_RESOURCE_EXHAUSTED,
                       "grpc: too many bytes before the call was accepted");
        return 0;
    }
    if (call->started) {
        callDeliver(call);
    }
    return 0;
}

static int streamCloseCb(nghttp2_session *h2, int32_t stream_id,
                         uint32_t error_code, void *user_data)
{
    struct grpc_call *call =
        nghttp2_session_get_stream_user_data(h2, stream_id);
    (void)error_code;
    (void)user_data;
    if (call == NULL) {
        return 0;
    }
    nghttp2_session_set_stream_user_data(h2, stream_id, NULL);
    grpcCallGone(call);
    grpcRelease(call); /* the stream's reference */
    return 0;
}

/* ---- connections ---- */

/* Writes what the session has to send. Inside a read's processing the
 * flush waits for its end (nghttp2 is not re-entrant). */
void grpcConnFlush(struct grpc_conn *c)
{
    struct buf out = {0};
    if (c->closing) {
        return;
    }
    if (c->in_recv) {
        c->flush_due = true;
        return;
    }
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->h2, &data);
        if (n < 0) {
            bufFree(&out);
            connClose(c);
            return;
        }
        if (n == 0) {
            break;
        }
        if (bufAppend(&out, data, (size_t)n) != 0) {
            bufFree(&out);
            connClose(c);
            return;
        }
    }
    if (out.len > 0 && c->g->deps.metrics != NULL) {
        METRICS_ADD(c->g->deps.metrics, client_sent_bytes_total,
                    (int64_t)out.len);
    }
    if (out.len > 0 && streamWrite(c->s, out.data, out.len, NULL, 0) != 0) {
        connClose(c);
        return;
    }
    if (out.len == 0) {
        bufFree(&out);
    }
    if (!nghttp2_session_want_read(c->h2) &&
        !nghttp2_session_want_write(c->h2)) {
        connClose(c); /* GOAWAY sent and every stream done */
    }
}

static void connFeed(struct grpc_conn *c, const char *data, size_t len)
{
    ssize_t n;
    c->in_recv = true;
    n = nghttp2_session_mem_recv(c->h2, (const uint8_t *)data, len);
    c->in_recv = false;
    if (c->closing) {
        return;
    }
    if (n < 0) {
        infof("grpc: client connection: %s", nghttp2_strerror((int)n));
        /* a protocol error: nghttp2 queued a GOAWAY; send it, then close */
        c->flush_due = false;
        grpcConnFlush(c);
        connClose(c);
        return;
    }
    c->flush_due = false;
    grpcConnFlush(c);
}

static void readCb(struct stream *s, const char *data, size_t len)
{
    struct grpc_conn *c = s->data;
    if (c->g->deps.metrics != NULL) {
        METRICS_ADD(c->g->deps.metrics, client_received_bytes_total,
                    (int64_t)len);
    }
    connFeed(c, data, len);
}

static void eventCb(struct stream *s, int status)
{
    struct grpc_conn *c = s->data;
    if (status != 0) {
        if (s->tls != NULL && s->errmsg[0] != '\0' &&
            strcmp(s->errmsg, "closed by the peer") != 0 &&
            strncmp(s->errmsg, "connection reset", 16) != 0) {
            infof("grpc: client connection: %s", s->errmsg);
        }
        connClose(c);
    }
}

static void connClosedCb(struct stream *s)
{
    struct grpc_conn *c = s->data;
    struct grpc *g = c->g;
    free(c);
    g->n_conns--;
    grpcMaybeFireCloseCb(g);
}

static void connClose(struct grpc_conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    QUEUE_REMOVE(&c->link);
    /* every call's stream is gone with the connection */
    while (!QUEUE_IS_EMPTY(&c->calls)) {
        struct grpc_call *call =
            QUEUE_DATA(QUEUE_HEAD(&c->calls), struct grpc_call, link);
        nghttp2_session_set_stream_user_data(c->h2, call->stream_id, NULL);
        grpcCallGone(call); /* unlinks it */
        grpcRelease(call);
    }
    nghttp2_session_del(c->h2);
    c->h2 = NULL;
    streamClose(c->s, connClosedCb);
}

void grpcAdopt(struct grpc *g, struct stream *s, const char *initial,
               size_t len)
{
    nghttp2_session_callbacks *cbs;
    nghttp2_option *opt;
    nghttp2_settings_entry iv[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, GRPC__MAX_STREAMS},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, GRPC__WINDOW},
    };
    struct grpc_conn *c;
    if (g->closing || g->n_conns >= GRPC__MAX_CONNS) {
        if (!g->closing) {
            warnf("grpc: %u connections open: refusing more", g->n_conns);
        }
        streamClose(s, NULL);
        return;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || nghttp2_session_callbacks_new(&cbs) != 0) {
        free(c);
        streamClose(s, NULL);
        return;
    }
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs,
                                                            beginHeadersCb);
    nghttp2_session_callbacks_set_on_header_callback(cbs, headerCb);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frameRecvCb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs,
                                                              dataChunkCb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs,
                                                           streamCloseCb);
    /* grpc-go sends the dial target as :authority, which etcdctl's
     * --cluster makes a URL ("http://127.0.0.1:2379"): nghttp2's HTTP
     * checks reset such a stream with PROTOCOL_ERROR, grpc-go's server
     * (etcd) takes it. The checks are off; headerCb reads what it needs. */
    if (nghttp2_option_new(&opt) != 0) {
        nghttp2_session_callbacks_del(cbs);
        free(c);
        streamClose(s, NULL);
        return;
    }
    nghttp2_option_set_no_http_messaging(opt, 1);
    if (nghttp2_session_server_new2(&c->h2, cbs, c, opt) != 0) {
        nghttp2_option_del(opt);
        nghttp2_session_callbacks_del(cbs);
        free(c);
        streamClose(s, NULL);
        return;
    }
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    c->g = g;
    c->s = s;
    QUEUE_INIT(&c->calls);
    QUEUE_PUSH(&g->conns, &c->link);
    g->n_conns++;
    if (streamPeerCn(s, c->cn, sizeof c->cn) != 0) {
        c->cn[0] = '\0';
    }
    s->data = c;
    s->on_read = readCb;
    s->on_event = eventCb;
    nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv,
                            sizeof iv / sizeof iv[0]);
    nghttp2_session_set_local_window_size(c->h2, NGHTTP2_FLAG_NONE, 0,
                                          GRPC__WINDOW);
    if (len > 0) {
        connFeed(c, initial, len);
    } else {
        grpcConnFlush(c);
    }
    if (!c->closing && streamStart(s) != 0) {
        connClose(c);
    }
}

/* ---- init / close ---- */

int grpcInit(struct grpc **out, const struct grpc_deps *deps, char *errmsg)
{
    struct grpc *g = calloc(1, sizeof *g);
    if (g == NULL) {
        snprintf(errmsg, ETCFS_ERRMSG_SIZE, "grpc: out of memory");
        return ETCFS_NOMEM;
    }
    g->deps = *deps;
    QUEUE_INIT(&g->conns);
    *out = g;
    return 0;
}

void grpcCount(const struct grpc *g, unsigned *conns, unsigned *calls)
{
    *conns = g->n_conns;
    *calls = g->n_calls;
}

void grpcMaybeFireCloseCb(struct grpc *g)
{
    if (!g->closing || g->close_fired || g->n_conns > 0 || g->n_calls > 0) {
        return;
    }
    g->close_fired = true;
    if (g->close_cb != NULL) {
        g->close_cb(g, g->close_data);
    }
    free(g);
}

void grpcClose(struct grpc *g, grpc_close_cb cb, void *data)
{
    g->closing = true;
    g->close_cb = cb;
    g->close_data = data;
    while (!QUEUE_IS_EMPTY(&g->conns)) {
        struct grpc_conn *c =
            QUEUE_DATA(QUEUE_HEAD(&g->conns), struct grpc_conn, link);
        connClose(c);
    }
    grpcMaybeFireCloseCb(g);
}
