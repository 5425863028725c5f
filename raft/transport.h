/* The transport raft_uv reaches its peers through: raft_uv_tcp behind a thin
 * wrapper that sets TCP_NODELAY on every connection it makes or accepts (see
 * transport.c for why). The node embeds one struct transport, hands `uv` to
 * raft_uv_init and releases it with transportClose; a TLS transport is meant
 * to sit next to this one behind the same two calls. Loop thread only; never
 * blocks the loop and never looks inside what it carries. */
#ifndef ETCFS_TRANSPORT_H
#define ETCFS_TRANSPORT_H

#include <raft.h>
#include <raft/uv.h>

struct transport
{
    struct raft_uv_transport uv; /* what raft_uv_init is given */
    /* private */
    struct raft_uv_transport tcp; /* raft_uv_tcp, wrapped by uv */
    raft_uv_accept_cb accept_cb;
    raft_uv_transport_close_cb close_cb;
};

/* Initializes t (caller-owned, must not move until transportClose) on loop.
 * address (borrowed for the call) is the advertised peer "host:port";
 * bind_address (borrowed for the call), when not "" and different from
 * address, is the "host:port" to listen on instead. Returns 0, ETCFS_IO or
 * ETCFS_INVALID (bad bind address) with errmsg; nothing to release then.
 * Errors of the transport's own methods are in t->uv.errmsg. */
int transportInit(struct transport *t, uv_loop_t *loop, const char *address,
                  const char *bind_address, char *errmsg);

/* Releases the memory transportInit allocated, as raft_uv_tcp_close: call it
 * once raft_uv has closed t->uv (raft_close does) or when it was never given
 * to raft_uv. Synchronous, no callback. */
void transportClose(struct transport *t);

#endif /* ETCFS_TRANSPORT_H */
