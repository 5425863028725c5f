/* A TCP byte stream, in plain text or under TLS (stream.h). Reads go into
 * one buffer per stream's loop pass; under TLS they are fed to the engine
 * and what it decrypts is handed on, and what it has to send (handshake
 * records, alerts) is written at once. Writes of plaintext are encrypted
 * before they are queued. */
#include "stream.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM__READ_SIZE 65536
#define STREAM__ONE_RECORD 16384 /* TLS's largest record */

struct stream_write
{
    uv_write_t req;
    uv_buf_t bufs[2];
    char *head;
    char *body;
};

static void freeStream(struct stream *s)
{
    tlsConnFree(s->tls);
    bufFree(&s->plain);
    bufFree(&s->cipher);
    free(s);
}

static void closedCb(uv_handle_t *h)
{
    struct stream *s = h->data;
    stream_close_cb cb = s->close_cb;
    free(h);
    if (cb != NULL) {
        cb(s);
    }
    freeStream(s);
}

void streamClose(struct stream *s, stream_close_cb cb)
{
    if (s->closing) {
        return;
    }
    s->closing = true;
    s->close_cb = cb;
    if (s->resolving != NULL) {
        s->resolving->data = NULL; /* resolvedCb frees it */
        s->resolving = NULL;
    }
    if (s->tcp == NULL) {
        if (cb != NULL) {
            cb(s);
        }
        freeStream(s);
        return;
    }
    uv_close((uv_handle_t *)s->tcp, closedCb);
}

/* The stream cannot go on: tell the owner once (it usually closes). */
static void fail(struct stream *s)
{
    if (!s->closing && s->on_event != NULL) {
        s->on_event(s, -1);
    }
}

static void writeCb(uv_write_t *w, int status)
{
    struct stream_write *sw = w->data;
    (void)status; /* a failed write shows as a read error or EOF next */
    free(sw->head);
    free(sw->body);
    free(sw);
}

/* Queues bytes already in wire form (taken). */
static int rawWrite(struct stream *s, char *head, size_t head_len, char *body,
                    size_t body_len)
{
    struct stream_write *sw;
    unsigned n = 0;
    if (s->closing || s->tcp == NULL) {
        free(head);
        free(body);
        return -1;
    }
    sw = calloc(1, sizeof *sw);
    if (sw == NULL) {
        free(head);
        free(body);
        snprintf(s->errmsg, sizeof s->errmsg, "out of memory");
        return -1;
    }
    sw->head = head;
    sw->body = body;
    if (head_len > 0) {
        sw->bufs[n++] = uv_buf_init(head, (unsigned)head_len);
    }
    if (body_len > 0) {
        sw->bufs[n++] = uv_buf_init(body, (unsigned)body_len);
    }
    if (n == 0) {
        writeCb(&sw->req, 0);
        return 0;
    }
    sw->req.data = sw;
    if (uv_write(&sw->req, (uv_stream_t *)s->tcp, sw->bufs, n, writeCb) !=
        0) {
        writeCb(&sw->req, 0);
        snprintf(s->errmsg, sizeof s->errmsg, "connection closed");
        return -1;
    }
    return 0;
}

/* Sends what the TLS engine has to say: taken into a buffer of its own,
 * which the write then owns. */
static int flushTls(struct stream *s)
{
    struct buf out = {0};
    if (tlsConnTake(s->tls, &out) != 0) {
        bufFree(&out);
        snprintf(s->errmsg, sizeof s->errmsg, "out of memory");
        return -1;
    }
    if (out.len == 0) {
        bufFree(&out);
        return 0;
    }
    return rawWrite(s, out.data, out.len, NULL, 0);
}

int streamWrite(struct stream *s, char *head, size_t head_len, char *body,
                size_t body_len)
{
    char one[STREAM__ONE_RECORD];
    int rv;
    if (s->tls == NULL) {
        return rawWrite(s, head, head_len, body, body_len);
    }
    rv = 0;
    if (s->closing) {
        rv = -1;
    } else if (head_len > 0 && body_len > 0 &&
               head_len + body_len <= sizeof one) {
        /* a small reply is one record, not a header record and a body one */
        memcpy(one, head, head_len);
        memcpy(one + head_len, body, body_len);
        rv = tlsConnWrite(s->tls, one, head_len + body_len, s->errmsg);
    } else if ((head_len > 0 &&
                tlsConnWrite(s->tls, head, head_len, s->errmsg) != 0) ||
               (body_len > 0 &&
                tlsConnWrite(s->tls, body, body_len, s->errmsg) != 0)) {
        rv = -1;
    }
    free(head);
    free(body);
    return rv == 0 ? flushTls(s) : -1;
}

int streamWriteCopy(struct stream *s, const char *data, size_t len)
{
    char *copy;
    if (s->tls != NULL) {
        if (s->closing || tlsConnWrite(s->tls, data, len, s->errmsg) != 0) {
            return -1;
        }
        return flushTls(s);
    }
    copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
        snprintf(s->errmsg, sizeof s->errmsg, "out of memory");
        return -1;
    }
    memcpy(copy, data, len);
    return rawWrite(s, copy, len, NULL, 0);
}

size_t streamQueued(const struct stream *s)
{
    if (s->tcp == NULL || s->closing) {
        return 0;
    }
    return uv_stream_get_write_queue_size((const uv_stream_t *)s->tcp);
}

int streamPeerCn(const struct stream *s, char *cn, size_t size)
{
    return s->tls != NULL ? tlsConnPeerCn(s->tls, cn, size) : -1;
}

/* ---- reading ---- */

static void allocCb(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct stream *s = h->data;
    (void)suggested;
    s->cipher.len = 0;
    if (bufReserve(&s->cipher, STREAM__READ_SIZE) != 0) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = s->cipher.data;
    buf->len = STREAM__READ_SIZE;
}

static void becameEstablished(struct stream *s)
{
    if (!s->established && tlsConnEstablished(s->tls)) {
        s->established = true;
        if (!s->server && s->on_event != NULL) {
            s->on_event(s, 0);
        }
    }
}

/* Ciphertext in: decrypt, answer the handshake, hand plaintext on. */
static void readTls(struct stream *s, const char *data, size_t len)
{
    int rv;
    if (s->server && s->first && len > 0 && (unsigned char)data[0] != 0x16) {
        /* not a TLS record: a plain-text client on a TLS port */
        static const char resp[] =
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
            "Client sent an HTTP request to an HTTPS server.\n";
        char *copy = malloc(sizeof resp - 1);
        if (copy != NULL) {
            memcpy(copy, resp, sizeof resp - 1);
            (void)rawWrite(s, copy, sizeof resp - 1, NULL, 0);
        }
        snprintf(s->errmsg, sizeof s->errmsg,
                 "plain text sent to a TLS port");
        fail(s);
        return;
    }
    s->first = false;
    if (tlsConnFeed(s->tls, data, len, s->errmsg) != 0) {
        fail(s);
        return;
    }
    s->plain.len = 0;
    rv = tlsConnRead(s->tls, &s->plain, s->errmsg);
    if (flushTls(s) != 0 || rv < 0) {
        fail(s);
        return;
    }
    becameEstablished(s);
    if (s->plain.len > 0 && s->on_read != NULL && !s->closing) {
        s->on_read(s, s->plain.data, s->plain.len);
    }
    if (rv == 1 && !s->closing) {
        snprintf(s->errmsg, sizeof s->errmsg, "closed by the peer");
        fail(s);
    }
}

static void readCb(uv_stream_t *h, ssize_t nread, const uv_buf_t *buf)
{
    struct stream *s = h->data;
    if (nread < 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "%s",
                 nread == UV_EOF ? "closed by the peer"
                                 : uv_strerror((int)nread));
        fail(s);
        return;
    }
    if (nread == 0 || s->closing) {
        return;
    }
    if (s->tls != NULL) {
        readTls(s, buf->base, (size_t)nread);
        return;
    }
    s->first = false;
    if (s->on_read != NULL) {
        s->on_read(s, buf->base, (size_t)nread);
    }
}

int streamStart(struct stream *s)
{
    if (s->reading || s->closing || s->tcp == NULL) {
        return s->closing ? -1 : 0;
    }
    if (uv_read_start((uv_stream_t *)s->tcp, allocCb, readCb) != 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "read failed");
        return -1;
    }
    s->reading = true;
    return 0;
}

void streamPause(struct stream *s)
{
    if (s->reading && s->tcp != NULL) {
        (void)uv_read_stop((uv_stream_t *)s->tcp);
        s->reading = false;
    }
}

/* ---- set-up ---- */

static struct stream *newStream(uv_loop_t *loop)
{
    struct stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return NULL;
    }
    s->tcp = malloc(sizeof *s->tcp);
    if (s->tcp == NULL || uv_tcp_init(loop, s->tcp) != 0) {
        free(s->tcp);
        free(s);
        return NULL;
    }
    s->tcp->data = s;
    s->first = true;
    s->started_ms = uv_now(loop);
    return s;
}

int streamAccept(uv_loop_t *loop, uv_stream_t *server, struct tls_ctx *tls,
                 struct stream **out)
{
    struct stream *s = newStream(loop);
    if (s == NULL) {
        return -1;
    }
    s->server = true;
    if (uv_accept(server, (uv_stream_t *)s->tcp) != 0) {
        streamClose(s, NULL);
        return -1;
    }
    (void)uv_tcp_nodelay(s->tcp, 1);
    if (tls != NULL) {
        s->tls = tlsConnNew(tls, NULL, s->errmsg);
        if (s->tls == NULL) {
            streamClose(s, NULL);
            return -1;
        }
    } else {
        s->established = true;
    }
    *out = s;
    return 0;
}

static void connectCb(uv_connect_t *c, int status)
{
    struct stream *s = c->data;
    if (s->closing) {
        return;
    }
    if (status != 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "connect: %s",
                 uv_strerror(status));
        fail(s);
        return;
    }
    (void)uv_tcp_nodelay(s->tcp, 1);
    if (streamStart(s) != 0) {
        fail(s);
        return;
    }
    if (s->tls == NULL) {
        s->established = true;
        s->on_event(s, 0);
        return;
    }
    if (tlsConnStart(s->tls, s->errmsg) != 0 || flushTls(s) != 0) {
        fail(s);
    }
}

int streamConnect(uv_loop_t *loop, const struct sockaddr *addr,
                  struct tls_ctx *tls, const char *host,
                  stream_event_cb on_event, void *data, struct stream **out)
{
    struct stream *s = newStream(loop);
    if (s == NULL) {
        return -1;
    }
    s->data = data;
    s->on_event = on_event;
    if (tls != NULL) {
        s->tls = tlsConnNew(tls, host, s->errmsg);
        if (s->tls == NULL) {
            streamClose(s, NULL);
            return -1;
        }
    }
    s->connect.data = s;
    if (uv_tcp_connect(&s->connect, s->tcp, addr, connectCb) != 0) {
        streamClose(s, NULL);
        return -1;
    }
    *out = s;
    return 0;
}

int streamSplitAddress(const char *address, char *host, size_t size,
                       int *port)
{
    const char *colon = strrchr(address, ':');
    size_t hlen;
    char *end;
    long p;
    if (colon == NULL) {
        return -1;
    }
    hlen = (size_t)(colon - address);
    if (hlen > 2 && address[0] == '[' && address[hlen - 1] == ']') {
        address++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= size) {
        return -1;
    }
    p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || p <= 0 || p > 65535) {
        return -1;
    }
    memcpy(host, address, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

int streamAddressLiteral(const char *address, struct sockaddr_storage *sa,
                         char *host, size_t size, int *port)
{
    memset(sa, 0, sizeof *sa);
    if (streamSplitAddress(address, host, size, port) != 0) {
        return -1;
    }
    if (uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                    *port, (struct sockaddr_in *)sa) == 0 ||
        uv_ip6_addr(host, *port, (struct sockaddr_in6 *)sa) == 0) {
        return 0;
    }
    return 1;
}

static void resolvedCb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct stream *s = req->data;
    free(req);
    if (s == NULL) { /* closed meanwhile */
        uv_freeaddrinfo(res);
        return;
    }
    s->resolving = NULL;
    if (status != 0 || res == NULL) {
        snprintf(s->errmsg, sizeof s->errmsg, "resolve %s: %s",
                 s->resolve_host, uv_strerror(status != 0 ? status : UV_ENOENT));
        uv_freeaddrinfo(res);
        fail(s);
        return;
    }
    s->connect.data = s;
    if (uv_tcp_connect(&s->connect, s->tcp, res->ai_addr, connectCb) != 0) {
        snprintf(s->errmsg, sizeof s->errmsg, "connect %s: failed",
                 s->resolve_host);
        uv_freeaddrinfo(res);
        fail(s);
        return;
    }
    uv_freeaddrinfo(res);
}

int streamConnectAddress(uv_loop_t *loop, const char *address,
                         struct tls_ctx *tls, stream_event_cb on_event,
                         void *data, struct stream **out)
{
    struct sockaddr_storage sa;
    struct addrinfo hints;
    struct stream *s;
    char host[256];
    char port_text[8];
    int port;
    int rv = streamAddressLiteral(address, &sa, host, sizeof host, &port);
    if (rv < 0) {
        return -1;
    }
    if (rv == 0) {
        return streamConnect(loop, (struct sockaddr *)&sa, tls, host,
                             on_event, data, out);
    }
    /* a name: resolved on the pool, then connected (resolvedCb) */
    s = newStream(loop);
    if (s == NULL) {
        return -1;
    }
    s->data = data;
    s->on_event = on_event;
    snprintf(s->resolve_host, sizeof s->resolve_host, "%.127s", host);
    if (tls != NULL) {
        s->tls = tlsConnNew(tls, host, s->errmsg);
        if (s->tls == NULL) {
            streamClose(s, NULL);
            return -1;
        }
    }
    s->resolving = malloc(sizeof *s->resolving);
    if (s->resolving == NULL) {
        streamClose(s, NULL);
        return -1;
    }
    s->resolving->data = s;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port_text, sizeof port_text, "%d", port);
    if (uv_getaddrinfo(loop, s->resolving, resolvedCb, host, port_text,
                       &hints) != 0) {
        free(s->resolving);
        s->resolving = NULL;
        streamClose(s, NULL);
        return -1;
    }
    *out = s;
    return 0;
}

uv_tcp_t *streamDetach(struct stream *s)
{
    uv_tcp_t *tcp = s->tcp;
    streamPause(s);
    s->tcp = NULL;
    if (tcp != NULL) {
        tcp->data = NULL;
    }
    freeStream(s);
    return tcp;
}
