/* libFuzzer harness for src/lib/tls.c: arbitrary ciphertext fed to a TLS
 * connection through tlsConnFeed / tlsConnRead / tlsConnTake, in chunks,
 * as lib/stream.c feeds what a socket read. The first byte picks the
 * role: a server (plain, ALPN, or demanding a client certificate) or a
 * client that sent its ClientHello and reads the "server's" answer. Any
 * bytes may fail the connection, never crash. The certificate is made
 * once at start with tlsAutoCert in a temporary directory, removed at
 * exit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/lib/buf.h"
#include "../../src/lib/tls.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
    FUZZ__SERVER,
    FUZZ__SERVER_ALPN,
    FUZZ__SERVER_VERIFY,
    FUZZ__CLIENT,
    FUZZ__ROLES
};

static struct tls_ctx *fuzzCtx[FUZZ__ROLES];
static char fuzzDir[4096];

static void cleanupCb(void)
{
    char path[4096 + 16];
    snprintf(path, sizeof path, "%s/cert.pem", fuzzDir);
    (void)unlink(path); /* best effort: a temporary directory */
    snprintf(path, sizeof path, "%s/key.pem", fuzzDir);
    (void)unlink(path);
    (void)rmdir(fuzzDir);
}

static void die(const char *what, const char *errmsg)
{
    fprintf(stderr, "fuzz_tls: %s: %s\n", what, errmsg);
    exit(1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct tls_config cfg;
    char errmsg[TLS_ERRMSG_SIZE] = "";
    int i;
    (void)argc;
    (void)argv;
    /* scripts/fuzz points TMPDIR at a directory it removes after the run
     * (a crash skips atexit) */
    snprintf(fuzzDir, sizeof fuzzDir, "%s/etcfs-fuzz-tls.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(fuzzDir) == NULL) {
        die("mkdtemp", fuzzDir);
    }
    atexit(cleanupCb);
    if (tlsAutoCert(fuzzDir, "localhost,127.0.0.1", errmsg) != 0) {
        die("tlsAutoCert", errmsg);
    }
    for (i = 0; i < FUZZ__ROLES; i++) {
        memset(&cfg, 0, sizeof cfg);
        if (i != FUZZ__CLIENT) {
            snprintf(cfg.cert_file, sizeof cfg.cert_file, "%s/cert.pem",
                     fuzzDir);
            snprintf(cfg.key_file, sizeof cfg.key_file, "%s/key.pem", fuzzDir);
        }
        if (i == FUZZ__SERVER_ALPN || i == FUZZ__CLIENT) {
            memcpy(cfg.alpn, "\x02h2\x08http/1.1", 12);
            cfg.alpn_len = 12;
        }
        if (i == FUZZ__SERVER_VERIFY || i == FUZZ__CLIENT) {
            /* the self-signed certificate is its own CA */
            snprintf(cfg.ca_file, sizeof cfg.ca_file, "%s/cert.pem", fuzzDir);
            cfg.verify_peer = true;
        }
        if (tlsCtxNew(&fuzzCtx[i], i != FUZZ__CLIENT, &cfg, errmsg) != 0) {
            die("tlsCtxNew", errmsg);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_conn *t;
    struct buf plain = {0};
    struct buf out = {0};
    char errmsg[TLS_ERRMSG_SIZE] = "";
    unsigned role;
    size_t chunk;
    size_t off;
    if (size < 2) {
        return 0;
    }
    role = data[0] % FUZZ__ROLES;
    /* 0: everything at once, else that many bytes per read */
    chunk = data[1] == 0 ? size : (size_t)data[1] * 7;
    data += 2;
    size -= 2;
    t = tlsConnNew(fuzzCtx[role], role == FUZZ__CLIENT ? "localhost" : NULL,
                   errmsg);
    if (t == NULL) {
        return 0;
    }
    if (role == FUZZ__CLIENT && tlsConnStart(t, errmsg) != 0) {
        goto out;
    }
    for (off = 0; off < size;) {
        size_t n = size - off < chunk ? size - off : chunk;
        int rv;
        if (tlsConnFeed(t, data + off, n, errmsg) != 0) {
            break;
        }
        off += n;
        bufReset(&plain);
        rv = tlsConnRead(t, &plain, errmsg);
        (void)tlsConnTake(t, &out); /* what we would send back */
        bufReset(&out);
        if (rv != 0) {
            break; /* the peer closed, or a failure: the stream ends */
        }
        if (tlsConnEstablished(t)) {
            char cn[64];
            (void)tlsConnProtocol(t);
            (void)tlsConnPeerCn(t, cn, sizeof cn);
            if (tlsConnWrite(t, "HTTP/1.1 200 OK\r\n\r\n", 19, errmsg) != 0) {
                break;
            }
            (void)tlsConnTake(t, &out);
            bufReset(&out);
        }
    }
out:
    tlsConnFree(t);
    bufFree(&plain);
    bufFree(&out);
    return 0;
}
