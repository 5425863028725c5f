/* The peer transport: raft_uv_tcp with TCP_NODELAY.
 *
 * raft_uv_tcp (0.15) leaves Nagle's algorithm on. With pipelined appends a
 * message that finds unacknowledged data in flight waits for the peer's
 * delayed ACK (40 ms on Linux): put p99 was ~45 ms at 16 clients. raft_uv
 * gets this wrapper instead, which sets TCP_NODELAY on every connection
 * raft_uv_tcp makes or accepts and forwards everything else.
 *
 * Loop thread only (raft_uv calls it there). Never blocks and never reads
 * or writes the streams it hands over: raft_uv owns them. */
#include <string.h>

#include "../src/core/error.h"
#include "transport.h"

/* raft_uv passes the same connect callback (its own uvClientConnectCb) for
 * every connection of every instance; the request's data is raft_uv's. */
static raft_uv_connect_cb transportUvConnectCb;

static void transportNodelay(struct uv_stream_s *stream)
{
    if (stream != NULL && stream->type == UV_TCP) {
        (void)uv_tcp_nodelay((uv_tcp_t *)stream, 1);
    }
}

static int wrapInit(struct raft_uv_transport *uv, raft_id id,
                    const char *address)
{
    struct transport *t = uv->impl;
    int rv = t->tcp.init(&t->tcp, id, address);
    if (rv != 0) {
        memcpy(uv->errmsg, t->tcp.errmsg, sizeof uv->errmsg);
    }
    return rv;
}

static void wrapAcceptCb(struct raft_uv_transport *tcp, raft_id id,
                         const char *address, struct uv_stream_s *stream)
{
    struct transport *t = tcp->data;
    transportNodelay(stream);
    t->accept_cb(&t->uv, id, address, stream);
}

static int wrapListen(struct raft_uv_transport *uv, raft_uv_accept_cb cb)
{
    struct transport *t = uv->impl;
    int rv;
    t->accept_cb = cb;
    rv = t->tcp.listen(&t->tcp, wrapAcceptCb);
    if (rv != 0) {
        memcpy(uv->errmsg, t->tcp.errmsg, sizeof uv->errmsg);
    }
    return rv;
}

static void wrapConnectCb(struct raft_uv_connect *req,
                          struct uv_stream_s *stream, int status)
{
    if (status == 0) {
        transportNodelay(stream);
    }
    transportUvConnectCb(req, stream, status);
}

static int wrapConnect(struct raft_uv_transport *uv,
                       struct raft_uv_connect *req, raft_id id,
                       const char *address, raft_uv_connect_cb cb)
{
    struct transport *t = uv->impl;
    int rv;
    transportUvConnectCb = cb;
    rv = t->tcp.connect(&t->tcp, req, id, address, wrapConnectCb);
    if (rv != 0) {
        memcpy(uv->errmsg, t->tcp.errmsg, sizeof uv->errmsg);
    }
    return rv;
}

static void wrapCloseCb(struct raft_uv_transport *tcp)
{
    struct transport *t = tcp->data;
    if (t->close_cb != NULL) {
        t->close_cb(&t->uv);
    }
}

static void wrapClose(struct raft_uv_transport *uv,
                      raft_uv_transport_close_cb cb)
{
    struct transport *t = uv->impl;
    t->close_cb = cb;
    t->tcp.close(&t->tcp, wrapCloseCb);
}

int transportInit(struct transport *t, uv_loop_t *loop, const char *address,
                  const char *bind_address, char *errmsg)
{
    int rv = raft_uv_tcp_init(&t->tcp, loop);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "raft_uv_tcp_init(): %s", raft_strerror(rv));
        return ETCFS_IO;
    }
    if (bind_address[0] != '\0' && strcmp(bind_address, address) != 0) {
        rv = raft_uv_tcp_set_bind_address(&t->tcp, bind_address);
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "peer listen address %s: %s", bind_address,
                         raft_strerror(rv));
            raft_uv_tcp_close(&t->tcp);
            return ETCFS_INVALID;
        }
    }
    memset(&t->uv, 0, sizeof t->uv);
    t->accept_cb = NULL;
    t->close_cb = NULL;
    t->uv.impl = t;
    t->uv.init = wrapInit;
    t->uv.listen = wrapListen;
    t->uv.connect = wrapConnect;
    t->uv.close = wrapClose;
    t->tcp.data = t;
    return 0;
}

void transportClose(struct transport *t)
{
    raft_uv_tcp_close(&t->tcp);
}
