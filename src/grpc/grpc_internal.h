/* Inside the gRPC front end: the call object every handler gets, the
 * primitives of grpc.c (replies, stream messages, status trailers, the glue
 * to the request path) and the handlers' entry points, one file per etcd
 * service: grpc_kv.c, grpc_watch.c, grpc_lease.c, grpc_cluster.c,
 * grpc_maint.c, grpc_auth.c. A handler only translates protobuf to the
 * request path (src/server/) and back; etcd's logic lives there once.
 * Loop thread only.
 *
 * Life of a call: grpc.c allocates it when a stream's HEADERS arrive, with
 * one reference for the handler and one for the HTTP/2 stream. The handler
 * gives its reference back exactly once with grpcReply, grpcFail or
 * grpcFinish (after which it must not touch the call), and may take extra
 * ones (grpcHold/grpcRelease) around asynchronous work it cannot cancel.
 * When the client goes away first (RST_STREAM, connection closed, server
 * closing), call->gone is set, sends become no-ops returning
 * ETCFS_CANCELED, and a stream's end hook runs once so the handler lets go
 * of watchers and timers and gives its reference back. The call is freed
 * when no reference is left. */
#ifndef ETCFS_GRPC_INTERNAL_H
#define ETCFS_GRPC_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcdserver/etcdserverpb/rpc.pb-c.h"

#include "../../raft/command.h"
#include "../lib/buf.h"
#include "../lib/queue.h"
#include "../server/authn.h"
#include "../server/server.h"
#include "../server/watch.h"
#include "grpc.h"

struct grpc_conn;
struct grpc_call;

/* gRPC status codes (grpc/status.h) */
enum {
    GRPC_STATUS_OK = 0,
    GRPC_STATUS_CANCELLED = 1,
    GRPC_STATUS_UNKNOWN = 2,
    GRPC_STATUS_INVALID_ARGUMENT = 3,
    GRPC_STATUS_DEADLINE_EXCEEDED = 4,
    GRPC_STATUS_NOT_FOUND = 5,
    GRPC_STATUS_ALREADY_EXISTS = 6,
    GRPC_STATUS_PERMISSION_DENIED = 7,
    GRPC_STATUS_RESOURCE_EXHAUSTED = 8,
    GRPC_STATUS_FAILED_PRECONDITION = 9,
    GRPC_STATUS_ABORTED = 10,
    GRPC_STATUS_OUT_OF_RANGE = 11,
    GRPC_STATUS_UNIMPLEMENTED = 12,
    GRPC_STATUS_INTERNAL = 13,
    GRPC_STATUS_UNAVAILABLE = 14,
    GRPC_STATUS_UNAUTHENTICATED = 16
};

enum { GRPC_UNARY = 0, GRPC_SERVER_STREAM, GRPC_BIDI };

/* One method of etcd's services. */
struct grpc_method
{
    const char *path; /* "/etcdserverpb.KV/Range" */
    int kind;         /* GRPC_UNARY, GRPC_SERVER_STREAM, GRPC_BIDI */
    enum authn_needs needs; /* when auth is on: authnGate, before any
                             * hook runs */
    /* UNARY, SERVER_STREAM: the request message (borrowed for the call),
     * once the client ended its side. BIDI: the stream opened (msg NULL). */
    void (*start)(struct grpc_call *call, const uint8_t *msg, size_t len);
    /* BIDI: each message of the client (borrowed for the call). */
    void (*message)(struct grpc_call *call, const uint8_t *msg, size_t len);
    /* BIDI: the client ended its side (NULL: grpcFinish at once). */
    void (*half_close)(struct grpc_call *call);
    /* Streams: the client is gone, the server closes, or grpc.c fails the
     * stream over its request bytes (an oversized, compressed or
     * truncated message) before the handler gave its reference back; it
     * releases what it holds and calls grpcFinish (now, or when its
     * pending work calls back), which then carries grpc.c's status. */
    void (*end)(struct grpc_call *call);
};

/* A request path operation's result, for grpcWrite. */
typedef void (*grpc_applied_fn)(struct grpc_call *call,
                                const struct command_result *res);
/* A read may now be served (the read gate passed), for grpcRead. */
typedef void (*grpc_read_fn)(struct grpc_call *call);

struct grpc_call
{
    struct grpc *g;
    struct grpc_conn *conn; /* NULL once gone */
    const struct grpc_method *method;
    int32_t stream_id;
    bool gone;     /* the client went away: sends are no-ops */
    bool finished; /* the handler gave its reference back */
    bool ended;    /* the end hook ran */
    unsigned refs;
    /* metadata: "token" (token_len sizeof token: too long to be one), the
     * verified client certificate's CN ("" none), "hasleader: true" */
    char token[AUTHN_TOKEN_SIZE];
    size_t token_len;
    bool token_given;
    char cn[AUTHN_NAME_MAX + 1];
    bool require_leader;
    /* the user they name, set before any hook runs */
    struct authn_user who;
    /* the request path: one operation at a time per call */
    union {
        struct server_write write;
        struct server_read read;
        struct server_lease lease;
        struct server_member member;
        struct authn_req authn;
    };
    grpc_applied_fn applied;
    grpc_read_fn read_fn;
    /* handler state; ctx_free (when set) frees ctx with the call, so
     * state kept across a read gate or proposal that fails the call is
     * not lost */
    void *ctx;
    void (*ctx_free)(void *ctx);
    uint64_t u64;
    /* private (grpc.c) */
    struct buf in;     /* request bytes: gRPC frames being assembled */
    struct buf out;    /* response bytes not yet taken by nghttp2 */
    size_t out_pos;
    int status;        /* trailers to send once out is drained */
    int rpc;           /* etcd method index + 1 (metrics), 0 none */
    uint64_t rpc_start; /* uv_hrtime at its headers */
    int rpc_code;      /* the status it ended with, -1 not yet */
    char *status_msg;
    bool trailers_due;
    bool headers_sent;
    bool deferred;     /* nghttp2 waits for data: resume on send */
    bool half_closed;  /* the client ended its side */
    bool started;      /* the gate passed: messages go to the handler */
    bool rechecked;    /* the token was looked up again after the gate */
    int fail_status;   /* grpc.c failed a started stream (callFailIn):
                        * the end hook's grpcFinish sends this */
    char *fail_msg;
    unsigned hflags;   /* what the request headers said */
    queue link;        /* grpc_conn.calls */
};

/* ---- grpc.c: replies and streams ---- */
/* Sends m as the one response of a unary call, then status OK; gives the
 * handler's reference back. */
void grpcReply(struct grpc_call *call, const ProtobufCMessage *m);
/* Ends the call with an etcfs error (src/core/error.h: its gRPC code and
 * etcd's text; msg NULL = the table's text); gives the reference back. */
void grpcFail(struct grpc_call *call, int code, const char *msg);
/* Ends the call with a raw gRPC status and message (NULL: none). */
void grpcFailStatus(struct grpc_call *call, int grpc_status,
                    const char *msg);
/* Streams: sends one message. 0, or ETCFS_CANCELED (gone), ETCFS_NOMEM. */
int grpcSend(struct grpc_call *call, const ProtobufCMessage *m);
/* Streams: ends with status OK; gives the reference back. */
void grpcFinish(struct grpc_call *call);
/* Streams: resets the stream (RST_STREAM CANCEL), dropping what is still
 * queued for the client (a client too slow to read is cut); gives the
 * reference back. */
void grpcAbort(struct grpc_call *call);
/* Response bytes queued for this call's client and not yet written
 * (backpressure for watch and snapshot streams). */
size_t grpcQueued(const struct grpc_call *call);
void grpcHold(struct grpc_call *call);
void grpcRelease(struct grpc_call *call);

/* Fills h as etcd's ResponseHeader: cluster id, member id, raft term, and
 * revision (0 = the store's current one; -1 = none, as etcd's cluster
 * responses). h must have been initialised (etcdserverpb__response_header__init). */
void grpcHeader(struct grpc_call *call, Etcdserverpb__ResponseHeader *h,
                int64_t revision);

/* Proposes cmd (borrowed for the call; its user set from call->who) and
 * calls applied with the result (res->status 0), or fails the call with the
 * error. */
void grpcWrite(struct grpc_call *call, struct command *cmd,
               grpc_applied_fn applied);
/* Runs fn now (serializable) or after the linearizable read gate; fails
 * the call on error. */
void grpcRead(struct grpc_call *call, bool serializable, grpc_read_fn fn);

/* The daemon's modules (borrowed). */
const struct grpc_deps *grpcDeps(const struct grpc_call *call);

/* grpc_unpack.c: the request message m (n bytes, borrowed) as a message
 * of descriptor d (transferred: protobuf_c_message_free_unpacked(msg,
 * NULL)), or NULL after failing the call with INVALID_ARGUMENT. */
void *grpcUnpack(struct grpc_call *call, const ProtobufCMessageDescriptor *d,
                 const uint8_t *m, size_t n);

/* ---- handlers: etcd's services ---- */
/* grpc_kv.c */
void grpcKvRange(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcKvPut(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcKvDeleteRange(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcKvTxn(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcKvCompact(struct grpc_call *c, const uint8_t *m, size_t n);
/* grpc_watch.c (BIDI) */
void grpcWatchStart(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcWatchMessage(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcWatchHalfClose(struct grpc_call *c);
void grpcWatchEnd(struct grpc_call *c);
/* grpc_lease.c */
void grpcLeaseGrant(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcLeaseRevoke(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcLeaseTimeToLive(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcLeaseLeases(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcLeaseKeepAliveStart(struct grpc_call *c, const uint8_t *m,
                             size_t n);
void grpcLeaseKeepAliveMessage(struct grpc_call *c, const uint8_t *m,
                               size_t n);
void grpcLeaseKeepAliveHalfClose(struct grpc_call *c);
void grpcLeaseKeepAliveEnd(struct grpc_call *c);
/* grpc_cluster.c */
void grpcMemberAdd(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcMemberRemove(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcMemberUpdate(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcMemberList(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcMemberPromote(struct grpc_call *c, const uint8_t *m, size_t n);
/* grpc_maint.c */
void grpcAlarm(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcStatus(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcDefragment(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcHash(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcHashKV(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcSnapshot(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcSnapshotEnd(struct grpc_call *c);
/* (in grpc_cluster.c: the membership path) */
void grpcMoveLeader(struct grpc_call *c, const uint8_t *m, size_t n);
/* grpc_auth.c */
void grpcAuthEnable(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcAuthDisable(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcAuthenticate(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserAdd(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserGet(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserList(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserDelete(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserChangePassword(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserGrantRole(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcUserRevokeRole(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleAdd(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleGet(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleList(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleDelete(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleGrantPermission(struct grpc_call *c, const uint8_t *m, size_t n);
void grpcRoleRevokePermission(struct grpc_call *c, const uint8_t *m,
                              size_t n);

#endif /* ETCFS_GRPC_INTERNAL_H */
