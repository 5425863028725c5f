/* TLS set-up of etcfsd (daemon_tls.h): the client listeners' context and
 * the peer port's server and client contexts, from the certificate flags
 * or --auto-tls (a self-signed pair for the listeners' and advertised
 * hosts), with the cipher suites and versions every TLS link shares.
 * Runs once at start, on the loop thread, before anything listens. */
#include "daemon_tls.h"

#include <stdio.h>
#include <string.h>

#include "../core/error.h"

/* A context from a certificate (or --auto-tls's, generated in dir for
 * hosts) and the settings every TLS link shares. */
static int tlsContext(const struct config *cfg, bool server, const char *cert,
                      const char *key, const char *ca, bool verify,
                      bool autotls, const char *dir, const char *hosts,
                      struct tls_ctx **out, char *errmsg)
{
    struct tls_config tc;
    char why[TLS_ERRMSG_SIZE] = "";
    memset(&tc, 0, sizeof tc);
    if (autotls && cert[0] == '\0') {
        if (tlsAutoCert(dir, hosts, why) != 0) {
            etcfsErrmsgf(errmsg, "auto TLS: %s", why);
            return ETCFS_IO;
        }
        snprintf(tc.cert_file, sizeof tc.cert_file, "%s/cert.pem", dir);
        snprintf(tc.key_file, sizeof tc.key_file, "%s/key.pem", dir);
    } else {
        snprintf(tc.cert_file, sizeof tc.cert_file, "%s", cert);
        snprintf(tc.key_file, sizeof tc.key_file, "%s", key);
    }
    snprintf(tc.ca_file, sizeof tc.ca_file, "%s", ca);
    if (server) {
        tc.verify_peer = verify;
        /* ALPN: HTTP/1.1 for the JSON gateway, h2 for gRPC clients */
        memcpy(tc.alpn, "\x08http/1.1\x02h2", 12);
        tc.alpn_len = 12;
    } else {
        /* etcd: generated peer certificates are not verified */
        tc.skip_verify = autotls && ca[0] == '\0';
        memcpy(tc.alpn, "\x08http/1.1", 9);
        tc.alpn_len = 9;
    }
    snprintf(tc.cipher_suites, sizeof tc.cipher_suites, "%s",
             cfg->cipher_suites);
    tc.min_version = tlsVersionParse(cfg->tls_min_version);
    tc.max_version = tlsVersionParse(cfg->tls_max_version);
    if (tlsCtxNew(out, server, &tc, why) != 0) {
        etcfsErrmsgf(errmsg, "TLS: %s", why);
        return ETCFS_INVALID;
    }
    return 0;
}

static void addHost(char *hosts, size_t size, const char *host)
{
    size_t n = strlen(hosts);
    if (strstr(hosts, host) == NULL) {
        snprintf(hosts + n, size - n, "%s%s", n > 0 ? "," : "", host);
    }
}

/* The client listeners' and the peer port's TLS contexts, as configured. */
int daemonTlsSetUp(const struct config *cfg, struct daemon_tls *tls,
                   char *errmsg)
{
    char dir[4200];
    char hosts[1024] = "";
    bool https = false;
    unsigned i;
    int rv;
    for (i = 0; i < cfg->n_listen_client; i++) {
        https = https || cfg->listen_client[i].tls;
        addHost(hosts, sizeof hosts, cfg->listen_client[i].host);
    }
    for (i = 0; i < cfg->n_advertise_client; i++) {
        addHost(hosts, sizeof hosts, cfg->advertise_client[i].host);
    }
    if (https) {
        snprintf(dir, sizeof dir, "%s/fixtures/client", cfg->data_dir);
        rv = tlsContext(cfg, true, cfg->cert_file, cfg->key_file,
                        cfg->trusted_ca_file, cfg->client_cert_auth,
                        cfg->auto_tls, dir, hosts, &tls->client, errmsg);
        if (rv != 0) {
            etcfsErrmsgWrapf(errmsg, "client");
            return rv;
        }
    }
    if (!cfg->listen_peer.tls) {
        return 0;
    }
    hosts[0] = '\0';
    addHost(hosts, sizeof hosts, cfg->listen_peer.host);
    addHost(hosts, sizeof hosts, cfg->advertise_peer.host);
    snprintf(dir, sizeof dir, "%s/fixtures/peer", cfg->data_dir);
    rv = tlsContext(cfg, true, cfg->peer_cert_file, cfg->peer_key_file,
                    cfg->peer_trusted_ca_file, cfg->peer_client_cert_auth,
                    cfg->peer_auto_tls, dir, hosts, &tls->peer_server,
                    errmsg);
    if (rv == 0) {
        rv = tlsContext(cfg, false, cfg->peer_cert_file, cfg->peer_key_file,
                        cfg->peer_trusted_ca_file, true, cfg->peer_auto_tls,
                        dir, hosts, &tls->peer_client, errmsg);
    }
    if (rv != 0) {
        etcfsErrmsgWrapf(errmsg, "peer");
    }
    return rv;
}

void daemonTlsFree(struct daemon_tls *tls)
{
    tlsCtxFree(tls->client);
    tlsCtxFree(tls->peer_server);
    tlsCtxFree(tls->peer_client);
    tls->client = tls->peer_server = tls->peer_client = NULL;
}
