/* Inside the gRPC server, between its two halves: grpc.c owns the
 * connections (nghttp2 sessions on libuv streams), the method table and
 * dispatch; grpc_call.c the call object's life, its replies, streams and
 * status trailers, and the glue to the request path. Only those two files
 * include this. Loop thread only. */
#ifndef ETCFS_GRPC_SERVER_H
#define ETCFS_GRPC_SERVER_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>

#include "../lib/queue.h"
#include "grpc_internal.h"

/* etcd adds this to --max-request-bytes for gRPC's own framing
 * (embed/config.go grpcOverheadBytes). */
#define GRPC__OVERHEAD_BYTES (512 * 1024)
/* Streams one connection may have open at once. etcd advertises 2^32-1;
 * each open call holds a few KiB here, so a client is bounded instead. */
#define GRPC__MAX_STREAMS 4096
/* Flow-control windows: a large put or a watch burst need not wait for a
 * WINDOW_UPDATE round trip per 64 KiB. */
#define GRPC__WINDOW (4 * 1024 * 1024)
/* HTTP/2 connections open at once (as the gateway's limit). */
#define GRPC__MAX_CONNS 4096

struct grpc
{
    struct grpc_deps deps;
    queue conns;
    unsigned n_conns;
    unsigned n_calls; /* calls not yet freed (orphans included) */
    bool closing;
    bool close_fired;
    grpc_close_cb close_cb;
    void *close_data;
};

struct grpc_conn
{
    struct grpc *g;
    struct stream *s;
    nghttp2_session *h2;
    queue calls;
    queue link;
    char cn[AUTHN_NAME_MAX + 1]; /* verified client certificate, "" none */
    bool in_recv;                /* inside nghttp2_session_mem_recv */
    bool flush_due;              /* a flush was asked for meanwhile */
    bool closing;
};

/* call->hflags: header state while a HEADERS block is decoded, and
 * whether a unary call's message went to its handler */
#define CALL_HAS_PATH 1u
#define CALL_GRPC_TYPE 2u
#define CALL_UNARY_STARTED 4u
#define CALL_BEGUN 8u /* callBegin ran: the handler's reference is taken
                       * care of (ended, started, or the gate's) */

/* ---- grpc.c ---- */
/* Writes what c's session has to send (after the read being processed,
 * when inside one). */
void grpcConnFlush(struct grpc_conn *c);
/* Frees g once it is closing and nothing is left. */
void grpcMaybeFireCloseCb(struct grpc *g);

/* ---- grpc_call.c ---- */
/* The client is gone (or the server closes): no more sends; a stream's
 * handler is told once; a call no handler will answer gives its
 * reference back. */
void grpcCallGone(struct grpc_call *call);

#endif /* ETCFS_GRPC_SERVER_H */
