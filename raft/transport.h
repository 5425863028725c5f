/* The peer port: the transport raft_uv reaches its peers through, and the
 * listener where other members' HTTP requests (forwarded writes, read
 * confirmations, publication) arrive too. One TCP port, in plain text or
 * under mutually authenticated TLS (src/lib/tls.h): a connection opens with
 * either a Raft preamble or an HTTP request line, and goes to raft_uv or to
 * the HTTP server the daemon wired (transportSetHttp). The node embeds one
 * struct transport, hands `uv` to raft_uv_init and releases it with
 * transportClose. Loop thread only; never blocks the loop and never looks
 * inside what it carries for raft. */
#ifndef ETCFS_TRANSPORT_H
#define ETCFS_TRANSPORT_H

#include <raft.h>
#include <raft/uv.h>
#include <stdbool.h>

#include "../src/lib/queue.h"
#include "../src/lib/stream.h"
#include "../src/lib/tls.h"

/* A member's HTTP request arrived on the peer port: the stream (transferred:
 * the callee owns and closes it) with the first bytes already read. */
typedef void (*transport_http_fn)(void *data, struct stream *s,
                                  const char *initial, size_t len);

/* Reconnect back-off per peer address: after the second failed connection
 * attempt in a row, raft_uv's next ones (one a second) fail at once without
 * touching the network until 1 s << (fails - 1) (at most
 * TRANSPORT_BACKOFF_MAX_MS) went by, so a member that is down costs the
 * leader a timer, not a connect and a handshake, four seconds in five. A
 * connection from the peer or one that succeeds ends its back-off. */
#define TRANSPORT_BACKOFF_MAX_MS 5000
#define TRANSPORT_BACKOFF_PEERS 64
struct transport_backoff
{
    char address[300]; /* "" unused */
    unsigned fails;
    uint64_t until; /* ms (loop time) */
};

struct transport
{
    struct raft_uv_transport uv; /* what raft_uv_init is given */
    /* private */
    uv_loop_t *loop;
    raft_id id;
    char address[300];      /* advertised "host:port" */
    char bind_address[300]; /* "host:port" to listen on */
    uv_tcp_t *listener;
    uv_timer_t timer; /* deadlines of connections being set up */
    bool timer_open;
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
    struct tls_ctx *tls_server; /* borrowed; NULL: plain text */
    struct tls_ctx *tls_client;
    char allowed_cn[256];
    transport_http_fn http;
    void *http_data;
    queue conns;
    struct transport_backoff backoff[TRANSPORT_BACKOFF_PEERS];
    uint64_t n_refused; /* attempts refused by the back-off */
    unsigned n_handles; /* open uv handles of ours */
    bool closing;
    /* raft_io's own send, wrapped by transportWrapSend */
    int (*io_send)(struct raft_io *io, struct raft_io_send *req,
                   const struct raft_message *message, raft_io_send_cb cb);
};

/* Wraps io's send (one transport per process): under TLS, what raft_uv
 * sends is encrypted and written before the send returns. */
void transportWrapSend(struct transport *t, struct raft_io *io);

/* Initializes t (caller-owned, must not move until transportClose) on loop.
 * address (borrowed for the call) is the advertised peer "host:port";
 * bind_address (borrowed for the call), when not "" and different from
 * address, is the "host:port" to listen on instead. Returns 0 or
 * ETCFS_INVALID with errmsg. Errors of the transport's own methods are in
 * t->uv.errmsg. */
int transportInit(struct transport *t, uv_loop_t *loop, const char *address,
                  const char *bind_address, char *errmsg);
/* Peer TLS: server and client contexts (borrowed until close; NULL for
 * plain text) and, when not "", the common name a peer's certificate must
 * carry (--peer-cert-allowed-cn). Before raft starts. */
void transportSetTls(struct transport *t, struct tls_ctx *server,
                     struct tls_ctx *client, const char *allowed_cn);
/* Where members' HTTP requests go (before raft starts). */
void transportSetHttp(struct transport *t, transport_http_fn fn, void *data);
/* Releases what transportInit allocated: once raft_uv closed t->uv (raft_close
 * does) or when it was never given to raft_uv. Synchronous. */
void transportClose(struct transport *t);

#endif /* ETCFS_TRANSPORT_H */
