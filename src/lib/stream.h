/* A byte stream on a libuv loop: one TCP connection, in plain text or under
 * TLS (tls.h), that its owner sees as plaintext either way. The client
 * port's HTTP server, the peer port (Raft and member requests) and the
 * member-to-member HTTP client all sit on it, so TLS is written once.
 *
 * Loop thread only; never blocks: a TLS handshake advances as bytes
 * arrive, and a plain-text client on a TLS stream, a bad certificate or a
 * protocol error ends the stream with the reason in s->errmsg. Callbacks
 * may close the stream; after streamClose nothing is called back but the
 * close callback. Generic: errors are -1 with s->errmsg. */
#ifndef ETCFS_LIB_STREAM_H
#define ETCFS_LIB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "buf.h"
#include "tls.h"

struct stream;
/* Plaintext arrived (borrowed for the call). */
typedef void (*stream_read_cb)(struct stream *s, const char *data,
                               size_t len);
/* status 0: connected (and the TLS handshake done); -1: the connection
 * ended (the peer closed, an error: s->errmsg says which). */
typedef void (*stream_event_cb)(struct stream *s, int status);
typedef void (*stream_close_cb)(struct stream *s);

struct stream
{
    void *data;
    stream_read_cb on_read;
    stream_event_cb on_event;
    uv_tcp_t *tcp;         /* owned; NULL once handed away (streamDetach) */
    struct tls_conn *tls;  /* NULL: plain text */
    bool established;      /* connected and, under TLS, handshaken */
    bool closing;
    bool reading;
    bool server;
    bool first;            /* no byte received yet (plain-text check) */
    uint64_t started_ms;   /* uv_now at accept/connect (deadlines) */
    uv_connect_t connect;
    uv_getaddrinfo_t *resolving; /* a host name being resolved, or NULL */
    char resolve_host[128];      /* that name (shown in errmsg) */
    struct buf plain;      /* decrypted scratch */
    struct buf cipher;     /* encrypted scratch */
    stream_close_cb close_cb;
    char errmsg[TLS_ERRMSG_SIZE];
};

/* Accepts a connection of listener server (tls: a server context, or NULL
 * for plain text). The stream does not read until streamStart. */
int streamAccept(uv_loop_t *loop, uv_stream_t *server, struct tls_ctx *tls,
                 struct stream **out);
/* Connects to addr (tls: a client context, or NULL; host: the name its
 * certificate must carry). on_event(0) once usable, on_event(-1) if not. */
int streamConnect(uv_loop_t *loop, const struct sockaddr *addr,
                  struct tls_ctx *tls, const char *host,
                  stream_event_cb on_event, void *data, struct stream **out);
/* Connects to address, "host:port" or "[v6]:port" where host is an IP
 * literal, "localhost" (127.0.0.1) or a DNS name, resolved off the loop
 * (libuv's getaddrinfo on its pool) at each call, so a name that moved is
 * followed at the next connection; then as streamConnect, the certificate
 * checked against host. -1 at once when address is malformed; a name that
 * does not resolve is on_event(-1) with errmsg "resolve HOST: reason". */
int streamConnectAddress(uv_loop_t *loop, const char *address,
                         struct tls_ctx *tls, stream_event_cb on_event,
                         void *data, struct stream **out);
/* Splits "host:port" / "[v6]:port": host without brackets into host
 * (size bytes), and the port. 0 or -1. */
int streamSplitAddress(const char *address, char *host, size_t size,
                       int *port);
/* address as a sockaddr when its host is an IP literal or localhost
 * (127.0.0.1): 0; 1 when the host is a name (host and *port set, sa not);
 * -1 when malformed. */
int streamAddressLiteral(const char *address, struct sockaddr_storage *sa,
                         char *host, size_t size, int *port);
/* Starts reading: on_read gets plaintext, on_event(-1) the end. */
int streamStart(struct stream *s);
/* Pauses / resumes reading (a request in progress). */
void streamPause(struct stream *s);
/* Sends head then body (either may be NULL), taking both (freed here,
 * whatever the result). 0 or -1 (the stream is ending). */
int streamWrite(struct stream *s, char *head, size_t head_len, char *body,
                size_t body_len);
/* The same for bytes the caller keeps (copied only where they must wait in
 * plain text; under TLS they are encrypted at once). */
int streamWriteCopy(struct stream *s, const char *data, size_t len);
/* Bytes queued for the peer and not yet written. */
size_t streamQueued(const struct stream *s);
/* The verified peer certificate's common name, -1 when none. */
int streamPeerCn(const struct stream *s, char *cn, size_t size);
/* Closes and frees; cb (may be NULL) runs once the handle is closed. */
void streamClose(struct stream *s, stream_close_cb cb);
/* Plain text only: hands the TCP handle away (its reads stopped; the
 * caller owns it and frees it with free() after uv_close) and frees the
 * stream. */
uv_tcp_t *streamDetach(struct stream *s);

#endif /* ETCFS_LIB_STREAM_H */
