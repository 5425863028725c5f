/* The daemon's TLS contexts, built once at start from the configuration:
 * the client listeners' (https URLs), and the peer port's server and client
 * sides, each from its certificate files or from --auto-tls's generated
 * ones under <data-dir>/fixtures/. lib/tls.c reloads a context's files
 * when they change; nothing here runs after start. Loop thread. */
#ifndef ETCFS_DAEMON_TLS_H
#define ETCFS_DAEMON_TLS_H

#include "../core/config.h"
#include "../lib/tls.h"

struct daemon_tls
{
    struct tls_ctx *client;      /* https client listeners */
    struct tls_ctx *peer_server; /* the peer port under TLS */
    struct tls_ctx *peer_client; /* connections to other members */
};

/* Fills tls (zeroed by the caller) with the contexts cfg asks for; a
 * context not asked for stays NULL. cfg is borrowed for the call; the
 * contexts are owned by tls until daemonTlsFree, also after an error. */
int daemonTlsSetUp(const struct config *cfg, struct daemon_tls *tls,
                   char *errmsg);

/* Frees the contexts tls holds, once nothing uses them, and zeroes it. */
void daemonTlsFree(struct daemon_tls *tls);

#endif /* ETCFS_DAEMON_TLS_H */
