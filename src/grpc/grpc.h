/* etcd 3.4's v3 gRPC API (etcdserverpb.KV, Watch, Lease, Cluster,
 * Maintenance, Auth) on the client port, beside the JSON gateway: HTTP/2 by
 * libnghttp2 in memory mode on the same libuv streams (plain or TLS) as
 * the HTTP/1.1 server, gRPC's framing on top, messages by protobuf-c code
 * generated at build time from Debian's etcd .proto files. The HTTP/1.1
 * server hands over every connection that opens with the HTTP/2 preface.
 * Every call goes through the one request path (src/server/). Loop thread
 * only; never blocks. */
#ifndef ETCFS_GRPC_H
#define ETCFS_GRPC_H

#include <stddef.h>
#include <uv.h>

#include "../core/config.h"

struct grpc;
struct store;
struct node;
struct watch_hub;
struct metrics;
struct server;
struct stream;

/* Everything gRPC talks to; all borrowed until grpcClose's callback. */
struct grpc_deps
{
    uv_loop_t *loop;
    struct store *store;
    struct node *node;
    struct watch_hub *hub;
    struct metrics *metrics;
    const struct config *config;
    struct server *server;
};

int grpcInit(struct grpc **out, const struct grpc_deps *deps, char *errmsg);
/* Serves an HTTP/2 connection (s transferred); initial: the bytes already
 * read from it, the preface first (borrowed for the call). */
void grpcAdopt(struct grpc *g, struct stream *s, const char *initial,
               size_t len);
/* Connections and calls not yet freed, orphans included (tests: none is
 * left once every client hung up and the loop is idle). */
void grpcCount(const struct grpc *g, unsigned *conns, unsigned *calls);
typedef void (*grpc_close_cb)(struct grpc *g, void *data);
/* Ends every connection and stream, waits for in-flight calls' callbacks,
 * then calls cb; g is freed after cb returns. */
void grpcClose(struct grpc *g, grpc_close_cb cb, void *data);

#endif /* ETCFS_GRPC_H */
