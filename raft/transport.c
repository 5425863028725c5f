/* The peer port (transport.h).
 *
 * Connections are lib/stream.c streams (TCP, plain or TLS). An outgoing Raft
 * connection sends a preamble -- "ETCFSR01", its member id (u64), the length
 * of its advertised address (u64) and the address -- and waits for one byte
 * of acknowledgement; the listener reads the preamble, checks it, sends the
 * byte and hands the connection to raft_uv. Neither side sends anything
 * else before the acknowledgement, so nothing is read past the preamble: in
 * plain text raft_uv gets the TCP handle itself (no copy on the data path;
 * TCP_NODELAY, since raft_uv_tcp left Nagle on and pipelined appends waited
 * 40 ms for delayed ACKs). Under TLS raft_uv gets one end of a socket pair
 * and a pump moves bytes between the other end and the TLS stream.
 *
 * A connection whose first byte is not the preamble's is an HTTP request of
 * another member, handed to the daemon's HTTP server. Under TLS with
 * --peer-client-cert-auth only a member's certificate gets that far, and
 * --peer-cert-allowed-cn narrows it to one common name.
 *
 * Loop thread only (raft_uv calls it there). Never blocks: addresses are IP
 * literals or "localhost"; every connection being set up has a deadline. */
#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../src/core/error.h"
#include "../src/lib/log.h"

#define TRANSPORT__MAGIC "ETCFSR01"
#define TRANSPORT__ACK 'K'
#define TRANSPORT__SETUP_MS 10000 /* handshake + preamble deadline */
#define TRANSPORT__MAX_ADDRESS 299
#define TRANSPORT__PUMP_BUF 65536 /* bytes of raft_uv's taken at once */

enum { CONN_IN = 1, CONN_OUT, CONN_PUMP };

struct tconn
{
    struct transport *t;
    queue link;
    int kind;
    struct stream *s;   /* NULL once handed to raft or to HTTP */
    struct buf in;      /* bytes of the preamble read so far */
    uint64_t started_ms;
    /* outgoing */
    struct transport_backoff *peer; /* its back-off slot, or NULL */
    struct raft_uv_connect *req;
    raft_uv_connect_cb cb;
    /* pump: our end of the socket pair raft_uv has the other of */
    uv_pipe_t *local;
    char *local_buf;
    bool outbound; /* raft_uv sends on it (a pump of an outgoing conn) */
    raft_id peer_id; /* outgoing: the member it goes to */
    bool closing;
};

static void maybeClosed(struct transport *t);

/* ---- connection bookkeeping ---- */

static void connFree(struct tconn *c)
{
    struct transport *t = c->t;
    QUEUE_REMOVE(&c->link);
    bufFree(&c->in);
    free(c->local_buf);
    free(c);
    maybeClosed(t);
}

static void streamClosedCb(struct stream *s)
{
    struct tconn *c = s->data;
    c->s = NULL;
    if (c->local == NULL) {
        connFree(c);
    }
}

static void localClosedCb(uv_handle_t *h)
{
    struct tconn *c = h->data;
    free(h);
    c->local = NULL;
    if (c->s == NULL) {
        connFree(c);
    }
}

/* ---- reconnect back-off ---- */

/* The slot of address: its own, else a free one, else the one whose
 * back-off ended first. */
static struct transport_backoff *backoffSlot(struct transport *t,
                                             const char *address)
{
    struct transport_backoff *pick = NULL;
    unsigned i;
    for (i = 0; i < TRANSPORT_BACKOFF_PEERS; i++) {
        struct transport_backoff *b = &t->backoff[i];
        if (strcmp(b->address, address) == 0) {
            return b;
        }
        if (pick == NULL || (pick->address[0] != '\0' &&
                             (b->address[0] == '\0' || b->until < pick->until))) {
            pick = b;
        }
    }
    snprintf(pick->address, sizeof pick->address, "%s", address);
    pick->fails = 0;
    pick->until = 0;
    return pick;
}

static void backoffClear(struct transport *t, const char *address)
{
    unsigned i;
    for (i = 0; i < TRANSPORT_BACKOFF_PEERS; i++) {
        struct transport_backoff *b = &t->backoff[i];
        if (strcmp(b->address, address) == 0) {
            b->fails = 0;
            b->until = 0;
        }
    }
}

static void backoffFailed(struct transport *t, struct transport_backoff *b)
{
    uint64_t delay;
    if (b->fails < 16) {
        b->fails++;
    }
    /* raft_uv retries every second: the 2nd failure in a row skips
     * one retry, the 3rd three, then four in five */
    delay = b->fails < 2 ? 0 : (uint64_t)1000 << (b->fails < 5 ? b->fails - 1 : 4);
    if (delay > TRANSPORT_BACKOFF_MAX_MS) {
        delay = TRANSPORT_BACKOFF_MAX_MS;
    }
    b->until = uv_now(t->loop) + delay;
}

/* Ends c: an outgoing one still pending fails with status. */
static void connEnd(struct tconn *c, int status)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    if (c->kind == CONN_OUT && c->cb != NULL) {
        raft_uv_connect_cb cb = c->cb;
        if (c->peer != NULL && status != 0 && status != RAFT_CANCELED) {
            backoffFailed(c->t, c->peer);
        }
        c->cb = NULL;
        cb(c->req, NULL, status);
    }
    if (c->local != NULL) {
        uv_close((uv_handle_t *)c->local, localClosedCb);
    }
    if (c->s != NULL) {
        streamClose(c->s, streamClosedCb);
    } else if (c->local == NULL) {
        connFree(c);
    }
}

static struct tconn *connNew(struct transport *t, int kind)
{
    struct tconn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->t = t;
    c->kind = kind;
    c->started_ms = uv_now(t->loop);
    QUEUE_PUSH(&t->conns, &c->link);
    return c;
}

/* ---- the TLS pump ---- */

/* The pump's buffer for what raft_uv writes (allocated once), or NULL. */
static char *localBuf(struct tconn *c)
{
    if (c->local_buf == NULL) {
        c->local_buf = malloc(TRANSPORT__PUMP_BUF);
    }
    return c->local_buf;
}

static void localAllocCb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct tconn *c = h->data;
    (void)suggested;
    buf->base = localBuf(c);
    buf->len = buf->base != NULL ? TRANSPORT__PUMP_BUF : 0;
}

/* raft_uv wrote: encrypt it for the peer. */
static void localReadCb(uv_stream_t *h, ssize_t n, const uv_buf_t *buf)
{
    struct tconn *c = h->data;
    if (n < 0) {
        connEnd(c, 0); /* raft_uv closed its end */
        return;
    }
    if (n == 0 || c->s == NULL) {
        return;
    }
    if (streamWriteCopy(c->s, buf->base, (size_t)n) != 0) {
        connEnd(c, 0);
    }
}

struct pump_write
{
    uv_write_t req;
    char *data;
};

static void localWriteCb(uv_write_t *w, int status)
{
    struct pump_write *pw = w->data;
    (void)status; /* a closed pipe shows as EOF on its read side */
    free(pw->data);
    free(pw);
}

/* Decrypted from the peer: on to raft_uv. */
static void pumpNetRead(struct stream *s, const char *data, size_t len)
{
    struct tconn *c = s->data;
    struct pump_write *pw;
    uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
    int sent;
    if (c->local == NULL) {
        return;
    }
    /* usually the socket pair takes it all at once: no copy to queue */
    sent = uv_try_write((uv_stream_t *)c->local, &b, 1);
    if (sent == (int)len) {
        return;
    }
    if (sent > 0) {
        data += sent;
        len -= (size_t)sent;
    } else if (sent != UV_EAGAIN) {
        connEnd(c, 0);
        return;
    }
    pw = malloc(sizeof *pw);
    if (pw == NULL || (pw->data = malloc(len)) == NULL) {
        free(pw);
        connEnd(c, 0);
        return;
    }
    memcpy(pw->data, data, len);
    pw->req.data = pw;
    b = uv_buf_init(pw->data, (unsigned)len);
    if (uv_write(&pw->req, (uv_stream_t *)c->local, &b, 1, localWriteCb) !=
        0) {
        free(pw->data);
        free(pw);
        connEnd(c, 0);
    }
}

static void pumpNetEvent(struct stream *s, int status)
{
    struct tconn *c = s->data;
    if (status != 0) {
        connEnd(c, 0);
    }
}

/* c's TLS stream becomes a pump; *out is raft_uv's end (malloc'd: raft_uv
 * closes it and frees it with raft_free, which is free). */
static int pumpStart(struct tconn *c, uv_stream_t **out)
{
    struct transport *t = c->t;
    uv_pipe_t *theirs = malloc(sizeof *theirs);
    int fds[2];
    c->local = malloc(sizeof *c->local);
    if (theirs == NULL || c->local == NULL ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        free(theirs);
        free(c->local);
        c->local = NULL;
        return -1;
    }
    (void)uv_pipe_init(t->loop, theirs, 0);
    (void)uv_pipe_init(t->loop, c->local, 0);
    c->local->data = c;
    if (uv_pipe_open(theirs, fds[0]) != 0 ||
        uv_pipe_open(c->local, fds[1]) != 0 ||
        uv_read_start((uv_stream_t *)c->local, localAllocCb, localReadCb) !=
            0) {
        close(fds[0]);
        close(fds[1]);
        free(theirs);
        free(c->local);
        c->local = NULL;
        return -1;
    }
    c->outbound = c->kind == CONN_OUT;
    c->kind = CONN_PUMP;
    c->s->on_read = pumpNetRead;
    c->s->on_event = pumpNetEvent;
    *out = (uv_stream_t *)theirs;
    return 0;
}

/* raft_uv's send writes the socket pair at once; the pump would take it
 * only on the loop's next poll, after every other event of this one (under
 * a put load, a batch of client requests). So right after a send the
 * outgoing pumps take what raft_uv wrote and encrypt it onto the wire, as
 * raft_uv's own write goes straight out in plain text. A read here that
 * libuv's watcher would otherwise have made; it then finds nothing. */
static struct transport *transportSelf;

static void flushSends(struct transport *t, raft_id to)
{
    queue *q;
    QUEUE_FOREACH(q, &t->conns)
    {
        struct tconn *c = QUEUE_DATA(q, struct tconn, link);
        uv_os_fd_t fd;
        char *b;
        ssize_t n;
        if (c->kind != CONN_PUMP || !c->outbound || c->peer_id != to ||
            c->closing || c->local == NULL || c->s == NULL ||
            uv_fileno((uv_handle_t *)c->local, &fd) != 0 ||
            (b = localBuf(c)) == NULL) {
            continue;
        }
        do {
            n = read(fd, b, TRANSPORT__PUMP_BUF);
            if (n > 0 && streamWriteCopy(c->s, b, (size_t)n) != 0) {
                break; /* the stream is ending: its read side says so */
            }
        } while (n == TRANSPORT__PUMP_BUF);
    }
}

static int sendFlushing(struct raft_io *io, struct raft_io_send *req,
                        const struct raft_message *msg, raft_io_send_cb cb)
{
    struct transport *t = transportSelf;
    int rv = t->io_send(io, req, msg, cb);
    if (t->tls_client != NULL) {
        flushSends(t, msg->server_id);
    }
    return rv;
}

void transportWrapSend(struct transport *t, struct raft_io *io)
{
    t->io_send = io->send;
    io->send = sendFlushing;
    transportSelf = t;
}

/* The connection set up, give raft_uv its stream: the TCP handle itself in
 * plain text, a pump's socket pair under TLS. NULL on failure (c ended). */
static uv_stream_t *handOver(struct tconn *c)
{
    uv_stream_t *stream = NULL;
    if (c->s->tls == NULL) {
        stream = (uv_stream_t *)streamDetach(c->s);
        c->s = NULL;
        connEnd(c, 0);
        return stream;
    }
    if (pumpStart(c, &stream) != 0) {
        connEnd(c, RAFT_NOCONNECTION);
        return NULL;
    }
    return stream;
}

/* Under TLS with an allowed common name, the peer must carry it. */
static bool peerAllowed(struct transport *t, struct stream *s)
{
    char cn[256];
    if (s->tls == NULL || t->allowed_cn[0] == '\0') {
        return true;
    }
    if (streamPeerCn(s, cn, sizeof cn) != 0 ||
        strcmp(cn, t->allowed_cn) != 0) {
        warnf("peer port: refused a connection whose certificate is not "
              "CN=%s",
              t->allowed_cn);
        return false;
    }
    return true;
}

/* ---- incoming ---- */

static void inRead(struct stream *s, const char *data, size_t len)
{
    struct tconn *c = s->data;
    struct transport *t = c->t;
    size_t need = 24;
    uint64_t id;
    uint64_t alen;
    char address[TRANSPORT__MAX_ADDRESS + 1];
    char ack = TRANSPORT__ACK;
    uv_stream_t *stream;
    if (!peerAllowed(t, s)) {
        connEnd(c, 0);
        return;
    }
    if (c->in.len == 0 && len > 0 && data[0] != TRANSPORT__MAGIC[0]) {
        /* an HTTP request of another member */
        if (t->http == NULL) {
            connEnd(c, 0);
            return;
        }
        c->s = NULL;
        s->data = NULL;
        s->on_read = NULL;
        s->on_event = NULL;
        connEnd(c, 0);
        t->http(t->http_data, s, data, len);
        return;
    }
    if (bufAppend(&c->in, data, len) != 0) {
        connEnd(c, 0);
        return;
    }
    if (c->in.len < need) {
        return;
    }
    if (memcmp(c->in.data, TRANSPORT__MAGIC, 8) != 0) {
        warnf("peer port: not a peer's preamble, connection closed");
        connEnd(c, 0);
        return;
    }
    id = bufGetU64(c->in.data + 8);
    alen = bufGetU64(c->in.data + 16);
    if (alen == 0 || alen > TRANSPORT__MAX_ADDRESS || c->in.len > need + alen) {
        warnf("peer port: malformed preamble, connection closed");
        connEnd(c, 0);
        return;
    }
    if (c->in.len < need + alen) {
        return;
    }
    memcpy(address, c->in.data + need, (size_t)alen);
    address[alen] = '\0';
    backoffClear(t, address); /* it is back: reconnect to it at once */
    if (s->tls == NULL) {
        /* one byte on a fresh socket: written at once, before raft_uv
         * owns the handle (no write request left pointing at us) */
        uv_buf_t b = uv_buf_init(&ack, 1);
        if (uv_try_write((uv_stream_t *)s->tcp, &b, 1) != 1) {
            connEnd(c, 0);
            return;
        }
    } else {
        char *b = malloc(1);
        if (b == NULL) {
            connEnd(c, 0);
            return;
        }
        b[0] = TRANSPORT__ACK;
        if (streamWrite(s, b, 1, NULL, 0) != 0) {
            connEnd(c, 0);
            return;
        }
    }
    stream = handOver(c);
    if (stream != NULL && !t->closing) {
        t->accept_cb(&t->uv, id, address, stream);
    }
}

static void inEvent(struct stream *s, int status)
{
    struct tconn *c = s->data;
    if (status != 0) {
        if (s->tls != NULL && s->errmsg[0] != '\0' &&
            strcmp(s->errmsg, "closed by the peer") != 0) {
            warnf("peer port: %s", s->errmsg);
        }
        connEnd(c, 0);
    }
}

static void connectionCb(uv_stream_t *server, int status)
{
    struct transport *t = server->data;
    struct tconn *c;
    if (status != 0 || t->closing) {
        return;
    }
    c = connNew(t, CONN_IN);
    if (c == NULL) {
        return;
    }
    if (streamAccept(t->loop, server, t->tls_server, &c->s) != 0) {
        c->s = NULL;
        connEnd(c, 0);
        return;
    }
    c->s->data = c;
    c->s->on_read = inRead;
    c->s->on_event = inEvent;
    if (streamStart(c->s) != 0) {
        connEnd(c, 0);
    }
}

/* ---- outgoing ---- */

static void outRead(struct stream *s, const char *data, size_t len)
{
    struct tconn *c = s->data;
    raft_uv_connect_cb cb;
    uv_stream_t *stream;
    if (len != 1 || data[0] != TRANSPORT__ACK) {
        warnf("peer %s: no acknowledgement of the preamble", c->t->address);
        connEnd(c, RAFT_NOCONNECTION);
        return;
    }
    cb = c->cb;
    c->cb = NULL;
    if (c->peer != NULL) {
        c->peer->fails = 0; /* the peer is back */
        c->peer->until = 0;
    }
    stream = handOver(c);
    cb(c->req, stream, stream != NULL ? 0 : RAFT_NOCONNECTION);
}

static void outEvent(struct stream *s, int status)
{
    struct tconn *c = s->data;
    struct transport *t = c->t;
    char *pre;
    size_t alen = strlen(t->address);
    if (status != 0) {
        unsigned fails = c->peer != NULL ? c->peer->fails : 0;
        if (strncmp(s->errmsg, "resolve ", 8) == 0) {
            /* said at the 1st, 2nd, 4th, 8th and 16th failure in a row */
            if (fails < 16 && (fails & (fails + 1)) == 0) {
                warnf("peer %s", s->errmsg);
            }
        } else if (s->tls != NULL && strncmp(s->errmsg, "connect:", 8) != 0) {
            warnf("peer TLS: %s", s->errmsg);
        }
        connEnd(c, RAFT_NOCONNECTION);
        return;
    }
    /* connected (and handshaken): the preamble */
    if (!peerAllowed(t, s)) {
        connEnd(c, RAFT_NOCONNECTION);
        return;
    }
    pre = malloc(24 + alen);
    if (pre == NULL) {
        connEnd(c, RAFT_NOCONNECTION);
        return;
    }
    memcpy(pre, TRANSPORT__MAGIC, 8);
    bufPutU64(pre + 8, t->id);
    bufPutU64(pre + 16, alen);
    memcpy(pre + 24, t->address, alen);
    s->on_read = outRead;
    if (streamWrite(s, pre, 24 + alen, NULL, 0) != 0) {
        connEnd(c, RAFT_NOCONNECTION);
    }
}

static int tConnect(struct raft_uv_transport *uv, struct raft_uv_connect *req,
                    raft_id id, const char *address, raft_uv_connect_cb cb)
{
    struct transport *t = uv->impl;
    char host[300];
    int port;
    struct transport_backoff *peer;
    struct tconn *c;
    if (t->closing) {
        return RAFT_CANCELED;
    }
    if (streamSplitAddress(address, host, sizeof host, &port) != 0) {
        snprintf(uv->errmsg, sizeof uv->errmsg, "invalid address %.200s",
                 address);
        return RAFT_NOCONNECTION;
    }
    peer = backoffSlot(t, address);
    if (peer->until > uv_now(t->loop)) {
        t->n_refused++;
        snprintf(uv->errmsg, sizeof uv->errmsg,
                 "connect %.200s: backing off after %u failures", address,
                 peer->fails);
        return RAFT_NOCONNECTION;
    }
    c = connNew(t, CONN_OUT);
    if (c == NULL) {
        return RAFT_NOMEM;
    }
    c->peer = peer;
    c->peer_id = id;
    c->req = req;
    c->cb = cb;
    if (streamConnectAddress(t->loop, address, t->tls_client, outEvent, c,
                             &c->s) != 0) {
        c->s = NULL;
        c->cb = NULL; /* the error is returned, no callback */
        connEnd(c, 0);
        snprintf(uv->errmsg, sizeof uv->errmsg, "connect %.200s failed",
                 address);
        return RAFT_NOCONNECTION;
    }
    return 0;
}

/* ---- listening, deadlines, close ---- */

static void handleClosedCb(uv_handle_t *h)
{
    struct transport *t = h->data;
    if ((uv_handle_t *)t->listener == h) {
        free(h);
        t->listener = NULL;
    }
    t->n_handles--;
    maybeClosed(t);
}

static void timerCb(uv_timer_t *timer)
{
    struct transport *t = timer->data;
    uint64_t now = uv_now(t->loop);
    queue *q = QUEUE_HEAD(&t->conns);
    while (q != &t->conns) {
        struct tconn *c = QUEUE_DATA(q, struct tconn, link);
        q = QUEUE_NEXT(q);
        if (c->kind != CONN_PUMP && !c->closing &&
            now - c->started_ms > TRANSPORT__SETUP_MS) {
            warnf("peer port: a connection not set up in %d s, closed",
                  TRANSPORT__SETUP_MS / 1000);
            connEnd(c, RAFT_NOCONNECTION);
        }
    }
}

static int tInit(struct raft_uv_transport *uv, raft_id id,
                 const char *address)
{
    struct transport *t = uv->impl;
    t->id = id;
    (void)address; /* the advertised one given at transportInit */
    return 0;
}

static int tListen(struct raft_uv_transport *uv, raft_uv_accept_cb cb)
{
    struct transport *t = uv->impl;
    struct sockaddr_storage sa;
    char host[300];
    int port;
    int rv;
    t->accept_cb = cb;
    if (streamAddressLiteral(t->bind_address, &sa, host, sizeof host,
                             &port) != 0) {
        snprintf(uv->errmsg, sizeof uv->errmsg, "invalid address %.200s",
                 t->bind_address);
        return RAFT_INVALID;
    }
    t->listener = malloc(sizeof *t->listener);
    if (t->listener == NULL) {
        return RAFT_NOMEM;
    }
    (void)uv_tcp_init(t->loop, t->listener);
    t->listener->data = t;
    t->n_handles++;
    rv = uv_tcp_bind(t->listener, (struct sockaddr *)&sa, 0);
    if (rv == 0) {
        rv = uv_listen((uv_stream_t *)t->listener, 128, connectionCb);
    }
    if (rv != 0) {
        snprintf(uv->errmsg, sizeof uv->errmsg, "listen %.200s: %s",
                 t->bind_address, uv_strerror(rv));
        uv_close((uv_handle_t *)t->listener, handleClosedCb);
        return RAFT_IOERR;
    }
    (void)uv_timer_init(t->loop, &t->timer);
    t->timer.data = t;
    t->timer_open = true;
    t->n_handles++;
    (void)uv_timer_start(&t->timer, timerCb, 1000, 1000);
    return 0;
}

static void maybeClosed(struct transport *t)
{
    raft_uv_transport_close_cb cb;
    if (!t->closing || t->n_handles > 0 || !QUEUE_IS_EMPTY(&t->conns)) {
        return;
    }
    cb = t->close_cb;
    t->close_cb = NULL;
    if (cb != NULL) {
        cb(&t->uv);
    }
}

static void tClose(struct raft_uv_transport *uv, raft_uv_transport_close_cb cb)
{
    struct transport *t = uv->impl;
    queue *q;
    t->closing = true;
    t->close_cb = cb;
    if (t->listener != NULL) {
        uv_close((uv_handle_t *)t->listener, handleClosedCb);
    }
    if (t->timer_open) {
        t->timer_open = false;
        uv_close((uv_handle_t *)&t->timer, handleClosedCb);
    }
    q = QUEUE_HEAD(&t->conns);
    while (q != &t->conns) {
        struct tconn *c = QUEUE_DATA(q, struct tconn, link);
        q = QUEUE_NEXT(q);
        connEnd(c, RAFT_CANCELED);
    }
    maybeClosed(t);
}

int transportInit(struct transport *t, uv_loop_t *loop, const char *address,
                  const char *bind_address, char *errmsg)
{
    struct sockaddr_storage sa;
    char host[300];
    int port;
    memset(t, 0, sizeof *t);
    t->loop = loop;
    snprintf(t->address, sizeof t->address, "%s", address);
    snprintf(t->bind_address, sizeof t->bind_address, "%s",
             bind_address[0] != '\0' ? bind_address : address);
    if (streamAddressLiteral(t->bind_address, &sa, host, sizeof host,
                             &port) != 0) {
        etcfsErrmsgf(errmsg, "peer listen address %s: not an IP address",
                     t->bind_address);
        return ETCFS_INVALID;
    }
    QUEUE_INIT(&t->conns);
    t->uv.impl = t;
    t->uv.init = tInit;
    t->uv.listen = tListen;
    t->uv.connect = tConnect;
    t->uv.close = tClose;
    return 0;
}

void transportSetTls(struct transport *t, struct tls_ctx *server,
                     struct tls_ctx *client, const char *allowed_cn)
{
    t->tls_server = server;
    t->tls_client = client;
    snprintf(t->allowed_cn, sizeof t->allowed_cn, "%s",
             allowed_cn != NULL ? allowed_cn : "");
}

void transportSetHttp(struct transport *t, transport_http_fn fn, void *data)
{
    t->http = fn;
    t->http_data = data;
}

void transportClose(struct transport *t)
{
    (void)t; /* everything was freed as raft_uv closed the transport */
}
