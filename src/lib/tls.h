/* TLS over memory buffers (OpenSSL memory BIOs). A connection's
 * ciphertext comes in through tlsConnFeed and goes out through
 * tlsConnTake; plaintext through tlsConnRead and tlsConnWrite. Nothing here
 * touches a socket, a thread or a timer, so any libuv stream (lib/stream.c)
 * wraps it on its own loop and never blocks on a handshake.
 *
 * A context holds the settings and the certificate; it is rebuilt from
 * the files when one of them changed (checked at most once a second, at
 * the next handshake), so a renewed certificate is served without a
 * restart, as etcd does. Generic: no etcfs error codes; functions return
 * 0 or -1 with the reason in errmsg (TLS_ERRMSG_SIZE). Single thread per
 * context (the loop that owns it). */
#ifndef ETCFS_LIB_TLS_H
#define ETCFS_LIB_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define TLS_ERRMSG_SIZE 256
#define TLS_PATH_SIZE 4096

struct tls_config
{
    char cert_file[TLS_PATH_SIZE]; /* PEM chain; "" = none (a client) */
    char key_file[TLS_PATH_SIZE];
    char ca_file[TLS_PATH_SIZE];   /* trusted CAs; "" = the system's */
    /* server: require a client certificate signed by ca_file; client:
     * verify the server's certificate (host names included) */
    bool verify_peer;
    /* server: ask for a client certificate, verify it when sent, accept
     * a connection without one (who sent what is checked per request) */
    bool request_peer;
    bool skip_verify;            /* client: accept any server certificate */
    char cipher_suites[1024];    /* IANA names, comma-separated; "" = default */
    int min_version;             /* TLS1_2_VERSION...; 0 = TLS 1.2 */
    int max_version;             /* 0 = the newest */
    /* ALPN, wire format ("\x02h2\x08http/1.1"): a client offers them in
     * this order; a server picks the first of its list the client offers */
    char alpn[64];
    size_t alpn_len;
};

struct tls_ctx;
/* server: a server context (cert and key required). cfg is copied. */
int tlsCtxNew(struct tls_ctx **out, bool server, const struct tls_config *cfg,
              char *errmsg);
void tlsCtxFree(struct tls_ctx *c);
/* Parses "TLS1.2"/"TLS1.3" (etcd's names); 0 for "", -1 when unknown. */
int tlsVersionParse(const char *name);
/* A self-signed certificate and key (ECDSA P-256, one year) for hosts
 * (comma-separated names or IP addresses) as dir/cert.pem and dir/key.pem,
 * unless both exist already (etcd's --auto-tls). dir is created. */
int tlsAutoCert(const char *dir, const char *hosts, char *errmsg);

struct tls_conn;
/* A connection in the context's role. host (client): the name sent as SNI
 * and checked against the certificate; NULL for none. NULL on failure. */
struct tls_conn *tlsConnNew(struct tls_ctx *c, const char *host, char *errmsg);
void tlsConnFree(struct tls_conn *t);
/* Ciphertext received from the peer. */
int tlsConnFeed(struct tls_conn *t, const void *data, size_t len,
                char *errmsg);
/* Advances the handshake and decrypts what it can, appending plaintext to
 * plain. Returns 0 (more input needed or none left), 1 when the peer
 * closed the session, -1 on a failure (a bad certificate, a protocol
 * error) with errmsg. */
int tlsConnRead(struct tls_conn *t, struct buf *plain, char *errmsg);
/* Encrypts len bytes (after the handshake: tlsConnEstablished). */
int tlsConnWrite(struct tls_conn *t, const void *data, size_t len,
                 char *errmsg);
/* Moves the ciphertext to send (handshake, records, alerts) into out. */
int tlsConnTake(struct tls_conn *t, struct buf *out);
/* A client starts its handshake (the ClientHello is then to take). */
int tlsConnStart(struct tls_conn *t, char *errmsg);
bool tlsConnEstablished(const struct tls_conn *t);
/* The ALPN protocol agreed, or "". */
const char *tlsConnProtocol(const struct tls_conn *t);
/* The verified peer certificate's common name into cn; -1 when the peer
 * sent none or it did not verify. */
int tlsConnPeerCn(const struct tls_conn *t, char *cn, size_t size);

/* The common name of the (first) certificate in the PEM file at path into
 * cn; -1 with errmsg when the file cannot be read or holds no certificate
 * or no common name. Any thread (reads the file: not on a loop). */
int tlsCertFileCn(const char *path, char *cn, size_t size, char *errmsg);

#endif /* ETCFS_LIB_TLS_H */
