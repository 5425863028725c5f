/* TLS over memory buffers (tls.h): OpenSSL contexts built from PEM files
 * and rebuilt when a file changes, connections on memory BIOs, etcd's
 * cipher-suite and version names, and --auto-tls certificates. */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"

struct tls_ctx
{
    bool server;
    struct tls_config cfg;
    SSL_CTX *ssl;
    struct timespec cert_mtime;
    struct timespec key_mtime;
    struct timespec ca_mtime;
    time_t checked; /* last look at the files (seconds) */
};

struct tls_conn
{
    SSL *ssl;
    BIO *in;  /* ciphertext from the peer */
    BIO *out; /* ciphertext to the peer */
};

static void sslErr(char *errmsg, const char *what)
{
    unsigned long e = ERR_get_error();
    char text[160] = "";
    if (e != 0) {
        ERR_error_string_n(e, text, sizeof text);
    }
    ERR_clear_error();
    if (errmsg != NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s%s%s", what,
                 text[0] != '\0' ? ": " : "", text);
    }
}

int tlsVersionParse(const char *name)
{
    if (name == NULL || name[0] == '\0') {
        return 0;
    }
    if (strcmp(name, "TLS1.2") == 0) {
        return TLS1_2_VERSION;
    }
    if (strcmp(name, "TLS1.3") == 0) {
        return TLS1_3_VERSION;
    }
    return -1;
}

/* etcd's --cipher-suites are IANA (Go) names: each becomes OpenSSL's name
 * of the same suite. TLS 1.3 suites are not configurable there either. */
static int setCiphers(SSL_CTX *ssl, const char *list, char *errmsg)
{
    STACK_OF(SSL_CIPHER) *all = SSL_CTX_get_ciphers(ssl);
    char names[2048] = "";
    char copy[1024];
    char *save = NULL;
    char *tok;
    snprintf(copy, sizeof copy, "%s", list);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        const char *found = NULL;
        int i;
        while (*tok == ' ') {
            tok++;
        }
        for (i = 0; all != NULL && i < sk_SSL_CIPHER_num(all); i++) {
            const SSL_CIPHER *c = sk_SSL_CIPHER_value(all, i);
            const char *std = SSL_CIPHER_standard_name(c);
            if (std != NULL && strcmp(std, tok) == 0) {
                found = SSL_CIPHER_get_name(c);
                break;
            }
        }
        if (found == NULL) {
            snprintf(errmsg, TLS_ERRMSG_SIZE, "unknown cipher suite %s", tok);
            return -1;
        }
        if (strlen(names) + strlen(found) + 2 >= sizeof names) {
            snprintf(errmsg, TLS_ERRMSG_SIZE, "too many cipher suites");
            return -1;
        }
        if (names[0] != '\0') {
            strcat(names, ":");
        }
        strcat(names, found);
    }
    if (names[0] != '\0' && SSL_CTX_set_cipher_list(ssl, names) != 1) {
        sslErr(errmsg, "cipher suites");
        return -1;
    }
    return 0;
}

/* Server: the first protocol of ours the client offers. */
static int alpnSelectCb(SSL *ssl, const unsigned char **out,
                        unsigned char *outlen, const unsigned char *in,
                        unsigned int inlen, void *arg)
{
    const struct tls_ctx *c = arg;
    const unsigned char *ours = (const unsigned char *)c->cfg.alpn;
    size_t i = 0;
    (void)ssl;
    while (i < c->cfg.alpn_len) {
        unsigned char n = ours[i];
        unsigned int j = 0;
        while (j < inlen) {
            unsigned char m = in[j];
            if (m == n && j + 1 + m <= inlen &&
                memcmp(in + j + 1, ours + i + 1, n) == 0) {
                *out = in + j + 1;
                *outlen = m;
                return SSL_TLSEXT_ERR_OK;
            }
            j += 1u + m;
        }
        i += 1u + n;
    }
    return SSL_TLSEXT_ERR_NOACK; /* go on without one */
}

static SSL_CTX *build(struct tls_ctx *c, char *errmsg)
{
    const struct tls_config *cfg = &c->cfg;
    SSL_CTX *ssl = SSL_CTX_new(c->server ? TLS_server_method()
                                         : TLS_client_method());
    int mode = SSL_VERIFY_NONE;
    if (ssl == NULL) {
        sslErr(errmsg, "TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ssl, cfg->min_version != 0
                                           ? cfg->min_version
                                           : TLS1_2_VERSION);
    if (cfg->max_version != 0) {
        SSL_CTX_set_max_proto_version(ssl, cfg->max_version);
    }
    SSL_CTX_set_options(ssl, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
    /* TLS 1.3 in Go's order (etcd's): AES-128-GCM first where the CPU has
     * AES instructions; OpenSSL's default puts AES-256-GCM first */
    (void)SSL_CTX_set_ciphersuites(ssl, "TLS_AES_128_GCM_SHA256:"
                                        "TLS_AES_256_GCM_SHA384:"
                                        "TLS_CHACHA20_POLY1305_SHA256");
    /* No SSL_MODE_RELEASE_BUFFERS: it frees a connection's 17 KiB record
     * buffers whenever they drain and allocates them again for the next
     * record, twice per request; under a put load that was a tenth of the
     * leader's loop in malloc, free and malloc_consolidate. Kept, they cost
     * about 34 KiB per open TLS connection. */
    if (cfg->cipher_suites[0] != '\0' &&
        setCiphers(ssl, cfg->cipher_suites, errmsg) != 0) {
        goto err;
    }
    if (cfg->cert_file[0] != '\0') {
        if (SSL_CTX_use_certificate_chain_file(ssl, cfg->cert_file) != 1) {
            sslErr(errmsg, cfg->cert_file);
            goto err;
        }
        if (SSL_CTX_use_PrivateKey_file(ssl, cfg->key_file,
                                        SSL_FILETYPE_PEM) != 1) {
            sslErr(errmsg, cfg->key_file);
            goto err;
        }
        if (SSL_CTX_check_private_key(ssl) != 1) {
            sslErr(errmsg, "certificate and key do not match");
            goto err;
        }
    } else if (c->server) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "a TLS server needs a certificate");
        goto err;
    }
    if (cfg->ca_file[0] != '\0') {
        if (SSL_CTX_load_verify_locations(ssl, cfg->ca_file, NULL) != 1) {
            sslErr(errmsg, cfg->ca_file);
            goto err;
        }
        if (c->server) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cfg->ca_file);
            if (names != NULL) {
                SSL_CTX_set_client_CA_list(ssl, names);
            }
        }
    } else if (!c->server) {
        (void)SSL_CTX_set_default_verify_paths(ssl);
    }
    if (c->server) {
        if (cfg->verify_peer) {
            mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        } else if (cfg->request_peer) {
            mode = SSL_VERIFY_PEER;
        }
        if (cfg->alpn_len > 0) {
            SSL_CTX_set_alpn_select_cb(ssl, alpnSelectCb, c);
        }
        SSL_CTX_set_session_id_context(ssl, (const unsigned char *)"etcfs",
                                       5);
    } else {
        mode = cfg->skip_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER;
        if (cfg->alpn_len > 0 &&
            SSL_CTX_set_alpn_protos(ssl, (const unsigned char *)cfg->alpn,
                                    (unsigned)cfg->alpn_len) != 0) {
            sslErr(errmsg, "ALPN");
            goto err;
        }
    }
    SSL_CTX_set_verify(ssl, mode, NULL);
    return ssl;
err:
    SSL_CTX_free(ssl);
    return NULL;
}

static struct timespec mtimeOf(const char *path)
{
    struct stat st;
    struct timespec zero = {0, 0};
    if (path[0] == '\0' || stat(path, &st) != 0) {
        return zero;
    }
    return st.st_mtim;
}

static bool sameTime(struct timespec a, struct timespec b)
{
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

int tlsCtxNew(struct tls_ctx **out, bool server, const struct tls_config *cfg,
              char *errmsg)
{
    struct tls_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "out of memory");
        return -1;
    }
    c->server = server;
    c->cfg = *cfg;
    c->cert_mtime = mtimeOf(cfg->cert_file);
    c->key_mtime = mtimeOf(cfg->key_file);
    c->ca_mtime = mtimeOf(cfg->ca_file);
    c->checked = time(NULL);
    c->ssl = build(c, errmsg);
    if (c->ssl == NULL) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void tlsCtxFree(struct tls_ctx *c)
{
    if (c != NULL) {
        SSL_CTX_free(c->ssl);
        free(c);
    }
}

/* A renewed certificate, key or CA file is taken at the next handshake;
 * one that does not load keeps the previous context (said in errmsg). */
static void refresh(struct tls_ctx *c, char *errmsg)
{
    time_t now = time(NULL);
    struct timespec cert;
    struct timespec key;
    struct timespec ca;
    SSL_CTX *ssl;
    if (now == c->checked) {
        return;
    }
    c->checked = now;
    cert = mtimeOf(c->cfg.cert_file);
    key = mtimeOf(c->cfg.key_file);
    ca = mtimeOf(c->cfg.ca_file);
    if (sameTime(cert, c->cert_mtime) && sameTime(key, c->key_mtime) &&
        sameTime(ca, c->ca_mtime)) {
        return;
    }
    ssl = build(c, errmsg);
    if (ssl == NULL) {
        return; /* perhaps half written: the next check tries again */
    }
    SSL_CTX_free(c->ssl); /* connections hold their own reference */
    c->ssl = ssl;
    c->cert_mtime = cert;
    c->key_mtime = key;
    c->ca_mtime = ca;
}

struct tls_conn *tlsConnNew(struct tls_ctx *c, const char *host, char *errmsg)
{
    struct tls_conn *t = calloc(1, sizeof *t);
    char reload[TLS_ERRMSG_SIZE] = "";
    if (t == NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "out of memory");
        return NULL;
    }
    refresh(c, reload);
    t->ssl = SSL_new(c->ssl);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (t->ssl == NULL || t->in == NULL || t->out == NULL) {
        sslErr(errmsg, "TLS connection");
        SSL_free(t->ssl);
        BIO_free(t->in);
        BIO_free(t->out);
        free(t);
        return NULL;
    }
    BIO_set_mem_eof_return(t->in, -1); /* "no more yet", not EOF */
    SSL_set_bio(t->ssl, t->in, t->out);
    if (c->server) {
        SSL_set_accept_state(t->ssl);
    } else {
        SSL_set_connect_state(t->ssl);
        if (host != NULL && host[0] != '\0') {
            struct in6_addr a6;
            struct in_addr a4;
            bool ip = inet_pton(AF_INET, host, &a4) == 1 ||
                      inet_pton(AF_INET6, host, &a6) == 1;
            if (!ip) {
                (void)SSL_set_tlsext_host_name(t->ssl, host);
            }
            if (!c->cfg.skip_verify) {
                X509_VERIFY_PARAM *p = SSL_get0_param(t->ssl);
                if (ip) {
                    (void)X509_VERIFY_PARAM_set1_ip_asc(p, host);
                } else {
                    (void)SSL_set1_host(t->ssl, host);
                }
            }
        }
    }
    if (reload[0] != '\0' && errmsg != NULL) {
        /* not an error for this connection: the old certificate serves */
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s", reload);
    }
    return t;
}

void tlsConnFree(struct tls_conn *t)
{
    if (t != NULL) {
        SSL_free(t->ssl); /* frees both BIOs */
        free(t);
    }
}

int tlsConnFeed(struct tls_conn *t, const void *data, size_t len,
                char *errmsg)
{
    if (len > 0 && BIO_write(t->in, data, (int)len) != (int)len) {
        sslErr(errmsg, "TLS input");
        return -1;
    }
    return 0;
}

static int failure(struct tls_conn *t, int rv, char *errmsg)
{
    int err = SSL_get_error(t->ssl, rv);
    long verify;
    switch (err) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            return 0;
        case SSL_ERROR_ZERO_RETURN:
            return 1;
        default:
            verify = SSL_get_verify_result(t->ssl);
            if (verify != X509_V_OK) {
                snprintf(errmsg, TLS_ERRMSG_SIZE, "certificate: %s",
                         X509_verify_cert_error_string(verify));
                ERR_clear_error();
            } else {
                sslErr(errmsg, "TLS");
            }
            return -1;
    }
}

int tlsConnStart(struct tls_conn *t, char *errmsg)
{
    int rv = SSL_do_handshake(t->ssl);
    if (rv == 1) {
        return 0;
    }
    return failure(t, rv, errmsg) < 0 ? -1 : 0;
}

int tlsConnRead(struct tls_conn *t, struct buf *plain, char *errmsg)
{
    for (;;) {
        int rv;
        if (plain->len > 0 && BIO_ctrl_pending(t->in) == 0 &&
            SSL_pending(t->ssl) == 0) {
            /* all fed ciphertext consumed: another SSL_read could only
             * say "want read" (a partial record stays inside the engine) */
            return 0;
        }
        if (bufReserve(plain, 16384) != 0) {
            snprintf(errmsg, TLS_ERRMSG_SIZE, "out of memory");
            return -1;
        }
        rv = SSL_read(t->ssl, plain->data + plain->len,
                      (int)(plain->cap - plain->len));
        if (rv > 0) {
            plain->len += (size_t)rv;
            continue;
        }
        return failure(t, rv, errmsg);
    }
}

int tlsConnWrite(struct tls_conn *t, const void *data, size_t len,
                 char *errmsg)
{
    const char *p = data;
    while (len > 0) {
        int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
        int rv = SSL_write(t->ssl, p, chunk);
        if (rv <= 0) {
            if (failure(t, rv, errmsg) == 0) {
                snprintf(errmsg, TLS_ERRMSG_SIZE, "TLS write before the "
                                                  "handshake finished");
            }
            return -1;
        }
        p += rv;
        len -= (size_t)rv;
    }
    return 0;
}

int tlsConnTake(struct tls_conn *t, struct buf *out)
{
    size_t pending = BIO_ctrl_pending(t->out);
    int n;
    if (pending == 0) {
        return 0;
    }
    if (bufReserve(out, pending) != 0) {
        return -1;
    }
    n = BIO_read(t->out, out->data + out->len, (int)pending);
    if (n > 0) {
        out->len += (size_t)n;
    }
    return 0;
}

bool tlsConnEstablished(const struct tls_conn *t)
{
    return SSL_is_init_finished(t->ssl) == 1;
}

const char *tlsConnProtocol(const struct tls_conn *t)
{
    static char none[] = "";
    const unsigned char *p = NULL;
    unsigned int n = 0;
    static __thread char proto[32];
    SSL_get0_alpn_selected(t->ssl, &p, &n);
    if (p == NULL || n == 0 || n >= sizeof proto) {
        return none;
    }
    memcpy(proto, p, n);
    proto[n] = '\0';
    return proto;
}

int tlsConnPeerCn(const struct tls_conn *t, char *cn, size_t size)
{
    X509 *peer = SSL_get1_peer_certificate(t->ssl);
    int rv = -1;
    if (peer == NULL) {
        return -1;
    }
    if (SSL_get_verify_result(t->ssl) == X509_V_OK &&
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
                                  NID_commonName, cn, (int)size) >= 0) {
        rv = 0;
    }
    X509_free(peer);
    return rv;
}

int tlsCertFileCn(const char *path, char *cn, size_t size, char *errmsg)
{
    FILE *f = fopen(path, "r");
    X509 *cert;
    int rv = -1;
    if (f == NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s: %s", path, strerror(errno));
        return -1;
    }
    cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s: no PEM certificate in it",
                 path);
        ERR_clear_error();
        return -1;
    }
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert),
                                  NID_commonName, cn, (int)size) >= 0) {
        rv = 0;
    } else {
        snprintf(errmsg, TLS_ERRMSG_SIZE,
                 "%s: the certificate has no common name", path);
    }
    X509_free(cert);
    return rv;
}

/* ---- --auto-tls ---- */

static int writePem(const char *path, bool key, EVP_PKEY *pkey, X509 *cert,
                    char *errmsg)
{
    FILE *f = fopen(path, "w");
    int ok;
    if (f == NULL) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (key) {
        (void)fchmod(fileno(f), 0600);
        ok = PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
    } else {
        ok = PEM_write_X509(f, cert);
    }
    if (fclose(f) != 0 || ok != 1) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s: write failed", path);
        return -1;
    }
    return 0;
}

int tlsAutoCert(const char *dir, const char *hosts, char *errmsg)
{
    char cert_path[TLS_PATH_SIZE + 16];
    char key_path[TLS_PATH_SIZE + 16];
    char san[2048] = "";
    char copy[1024];
    char *save = NULL;
    char *tok;
    struct stat st;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    X509_EXTENSION *ext;
    X509V3_CTX v3;
    int rv = -1;
    snprintf(cert_path, sizeof cert_path, "%s/cert.pem", dir);
    snprintf(key_path, sizeof key_path, "%s/key.pem", dir);
    if (stat(cert_path, &st) == 0 && stat(key_path, &st) == 0) {
        return 0;
    }
    if (fsMkdirAll(dir, 0700, NULL) != 0) {
        snprintf(errmsg, TLS_ERRMSG_SIZE, "%s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", hosts);
    for (tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        struct in6_addr a6;
        struct in_addr a4;
        bool ip = inet_pton(AF_INET, tok, &a4) == 1 ||
                  inet_pton(AF_INET6, tok, &a6) == 1;
        size_t used = strlen(san);
        snprintf(san + used, sizeof san - used, "%s%s:%s",
                 used > 0 ? "," : "", ip ? "IP" : "DNS", tok);
    }
    pkey = EVP_EC_gen("P-256");
    cert = X509_new();
    if (pkey == NULL || cert == NULL) {
        sslErr(errmsg, "auto TLS key");
        goto out;
    }
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)time(NULL));
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, pkey);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "O", MBSTRING_ASC,
                               (const unsigned char *)"etcfs", -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    if (san[0] != '\0') {
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        if (ext == NULL) {
            sslErr(errmsg, "auto TLS host names");
            goto out;
        }
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage,
                              "serverAuth,clientAuth");
    if (ext != NULL) {
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert, pkey, EVP_sha256()) == 0) {
        sslErr(errmsg, "auto TLS signature");
        goto out;
    }
    if (writePem(key_path, true, pkey, NULL, errmsg) == 0 &&
        writePem(cert_path, false, NULL, cert, errmsg) == 0) {
        rv = 0;
    }
out:
    X509_free(cert);
    EVP_PKEY_free(pkey);
    return rv;
}
