/* The client API: the etcd v3 JSON gateway over HTTP/1.1 on libuv, parsed
 * with http-parser, JSON by jansson. Routes /v3/ (and /v3beta/) kv, watch,
 * lease, cluster and maintenance calls, /health, /version, /metrics, and the
 * internal /etcfs/v1/ calls followers make to the leader. Loop thread only;
 * never blocks the loop (no fsync, no full scan on it). */
#ifndef ETCFS_API_H
#define ETCFS_API_H

#include <stdint.h>
#include <uv.h>

#include "../core/config.h"

struct api;
struct store;
struct node;
struct watch_hub;
struct metrics;
struct server;
struct tls_ctx;
struct stream;

/* Everything the API talks to; all borrowed until apiClose's callback. */
struct api_deps
{
    uv_loop_t *loop;
    struct store *store;
    struct node *node; /* status and the leader's read confirmation */
    struct watch_hub *hub;
    struct metrics *metrics;
    const struct config *config;
    struct server *server; /* the request path */
    struct tls_ctx *tls;   /* https listeners' server context, or NULL */
    /* Takes a client connection that opened with the HTTP/2 preface (the
     * gRPC server, src/grpc/), with the bytes read so far; NULL: such a
     * connection is answered as a malformed HTTP/1.1 request. */
    void (*h2_adopt)(void *arg, struct stream *s, const char *initial,
                     size_t len);
    void *h2_arg;
};

/* Binds every listen URL (config->listen_client). Returns 0 or an ETCFS_*
 * code ("listen 127.0.0.1:2379: address already in use"). */
int apiInit(struct api **out, const struct api_deps *deps, char *errmsg);
/* A member's HTTP request arrived on the peer port (raft/transport.c):
 * serve the connection (s transferred), members' routes only. initial:
 * the bytes already read from it (borrowed for the call). */
void apiAdoptPeer(struct api *a, struct stream *s, const char *initial,
                  size_t len);
typedef void (*api_close_cb)(struct api *a, void *data);
/* Stops listening, ends streams, waits for in-flight requests' callbacks,
 * then calls cb; the api is freed after cb returns. */
void apiClose(struct api *a, api_close_cb cb, void *data);

#endif /* ETCFS_API_H */
