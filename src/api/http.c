/* The client API's HTTP/1.1 server on libuv: the listeners, accepted
 * connections and those the peer port hands over, their deadlines and
 * close, and what goes out on them: replies, keep-alive, chunked streams
 * for watch/keepalive/snapshot. What comes in is parsed into requests by
 * http_parse.c, which hands each complete one to apiRoute (api.c). Loop
 * thread only; never blocks.
 *
 * Lifetimes: a connection owns at most one request. When the client goes
 * away mid-request, the request is orphaned (conn = NULL) and finishes
 * silently when its proposal/read/forward completes; a stream's end hook
 * runs at once. The api struct lives until apiClose fired and the last
 * orphan finished. */
#include "api.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "http_internal.h"
#include "../lib/stream.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"

#define API__MAX_WRITE_QUEUE (64u << 20) /* a slower stream is cut */
#define API__MAX_CONNS 10000u
/* Deadlines (etcd has Go's: a handshake and a request must arrive). */
#define API__HANDSHAKE_MS 10000u        /* TLS handshake done */
#define API__REQUEST_MS 30000u          /* a request's head and body */
#define API__IDLE_MS (5u * 60u * 1000u) /* a keep-alive with nothing asked */

static void apiMaybeFireCloseCb(struct api *a);

/* ---- writes ---- */

int apiConnWrite(struct api_conn *c, char *head, size_t head_len,
                 char *body, size_t body_len)
{
    if (c == NULL || c->closing) {
        free(head);
        free(body);
        return ETCFS_CANCELED;
    }
    if (!c->internal) {
        METRICS_ADD(c->api->deps.metrics, client_sent_bytes_total,
                    (int64_t)(head_len + body_len));
    }
    return streamWrite(c->s, head, head_len, body, body_len) == 0
               ? 0
               : ETCFS_CANCELED;
}

const char *apiStatusText(int status)
{
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 403: return "Forbidden";
        case 415: return "Unsupported Media Type";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 412: return "Precondition Failed";
        case 413: return "Payload Too Large";
        case 429: return "Too Many Requests";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        default: return "Unknown";
    }
}

static void reqFree(struct api_req *req)
{
    struct api *a = req->api;
    if (req->rpc != 0) {
        metricsRpcHandled(a->deps.metrics, req->rpc - 1,
                          req->conn == NULL && req->rpc_code == 0
                              ? 1 /* Canceled: the client left */
                              : req->rpc_code,
                          uv_hrtime() - req->rpc_start);
    }
    json_decref(req->body);
    free(req->raw);
    free(req->query);
    free(req->extra_headers);
    arenaClear(&req->arena);
    free(req);
    a->n_reqs--;
    apiMaybeFireCloseCb(a);
}

/* The request is done: detach it and let the connection read on. */
void apiFinish(struct api_req *req)
{
    struct api_conn *c = req->conn;
    if (c != NULL) {
        c->req = NULL;
        c->since_ms = uv_now(c->api->deps.loop); /* idle from the answer */
    }
    reqFree(req);
    if (c != NULL) {
        if (!c->keep_alive || c->dead) {
            apiConnClose(c);
        } else {
            apiConnResume(c);
        }
    }
}

void apiReplyRaw(struct api_req *req, int status, const char *content_type,
                 const char *body, size_t len)
{
    struct api_conn *c = req->conn;
    if (c != NULL && !c->closing) {
        char *head = NULL;
        /* HEAD: the length of the body GET would get, and no body */
        size_t send = c->parser.method == HTTP_HEAD ? 0 : len;
        char *copy = send > 0 ? malloc(send) : NULL;
        int n;
        if (send > 0 && copy == NULL) {
            c->dead = true;
        } else {
            if (send > 0) {
                memcpy(copy, body, send);
            }
            n = asprintf(&head,
                         "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                         "%sContent-Length: %zu\r\n%s\r\n",
                         status, apiStatusText(status), content_type,
                         req->extra_headers != NULL ? req->extra_headers : "",
                         len,
                         c->keep_alive && !c->dead ? ""
                                                   : "Connection: close\r\n");
            if (n < 0) {
                free(copy);
                c->dead = true;
            } else {
                (void)apiConnWrite(c, head, (size_t)n, copy, send);
            }
        }
    }
    if (status >= 400) {
        METRICS_INC(req->api->deps.metrics, http_errors_total);
    }
    apiFinish(req);
}

/* ---- streams ----
 * As grpc-gateway's runtime (v1, etcd 3.4's): the head goes out with the
 * first chunk, 200 for a result or the error's own status when the stream
 * fails before any result; a stream that ends with nothing sent gets a
 * plain 200. A watch whose body asked for nothing therefore sends no head
 * at all, as etcd's. */

void apiStreamBegin(struct api_req *req, api_stream_end_fn end)
{
    req->streaming = true;
    req->stream_end = end;
    req->stream_head_sent = false;
}

/* The chunked head with status, unless it went out already. */
static int streamHead(struct api_req *req, int status)
{
    char *head = NULL;
    int n;
    if (req->stream_head_sent) {
        return 0;
    }
    n = asprintf(&head,
                 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                 "%sTransfer-Encoding: chunked\r\n\r\n",
                 status, apiStatusText(status),
                 req->extra_headers != NULL ? req->extra_headers : "");
    if (n < 0) {
        return ETCFS_NOMEM;
    }
    req->stream_head_sent = true;
    return apiConnWrite(req->conn, head, (size_t)n, NULL, 0);
}

int apiStreamOpen(struct api_req *req, int status)
{
    if (req->conn == NULL || req->conn->closing) {
        return ETCFS_CANCELED;
    }
    return streamHead(req, status);
}

int apiStreamBytes(struct api_req *req, int status, char *data, size_t len)
{
    struct api_conn *c = req->conn;
    char *head = NULL;
    char *body;
    int n;
    if (c == NULL || c->closing) {
        free(data);
        return ETCFS_CANCELED;
    }
    if (streamQueued(c->s) > API__MAX_WRITE_QUEUE) {
        warnf("api: stream client too slow, closing");
        free(data);
        apiConnClose(c);
        return ETCFS_CANCELED;
    }
    if (streamHead(req, status) != 0) {
        free(data);
        return ETCFS_NOMEM;
    }
    /* chunk = size line, data, CRLF */
    n = asprintf(&head, "%zx\r\n", len);
    body = n < 0 ? NULL : realloc(data, len + 2);
    if (body == NULL) {
        free(data);
        free(head);
        return ETCFS_NOMEM;
    }
    memcpy(body + len, "\r\n", 2);
    return apiConnWrite(c, head, (size_t)n, body, len + 2);
}

int apiStreamChunk(struct api_req *req, int status, char *text)
{
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (line == NULL) {
        free(text);
        return ETCFS_NOMEM;
    }
    line[len] = '\n'; /* ndjson */
    return apiStreamBytes(req, status, line, len + 1);
}

size_t apiStreamQueued(struct api_req *req)
{
    if (req->conn == NULL || req->conn->closing) {
        return 0;
    }
    return streamQueued(req->conn->s);
}

void apiStreamEnd(struct api_req *req)
{
    struct api_conn *c = req->conn;
    char *end;
    if (c == NULL || c->closing) {
        return; /* the close calls the end hook and frees req */
    }
    end = strdup("0\r\n\r\n");
    if (streamHead(req, 200) != 0 || end == NULL) {
        c->dead = true; /* the answer is cut: the client must see it */
    }
    if (end != NULL) {
        (void)apiConnWrite(c, end, 5, NULL, 0);
    }
    req->streaming = false;
    if (req->stream_end != NULL) {
        api_stream_end_fn fn = req->stream_end;
        req->stream_end = NULL;
        fn(req);
    }
    apiFinish(req); /* the connection serves its next request */
}

/* ---- connections ---- */

/* The HTTP/2 client preface (RFC 9113 3.4), plain or after ALPN h2. */
static const char apiH2Preface[24] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/* Hands c's stream to the HTTP/2 server with the bytes read so far and
 * frees c without closing the stream. */
static void connHandOver(struct api_conn *c, const char *data, size_t len)
{
    struct api *a = c->api;
    struct stream *s = c->s;
    char *initial = malloc(c->sniff_len + len);
    if (initial == NULL) {
        apiConnClose(c);
        return;
    }
    memcpy(initial, c->sniff, c->sniff_len);
    memcpy(initial + c->sniff_len, data, len);
    len += c->sniff_len;
    QUEUE_REMOVE(&c->link);
    a->n_conns_open--;
    bufFree(&c->body);
    free(c->pending);
    free(c);
    a->deps.h2_adopt(a->deps.h2_arg, s, initial, len);
    free(initial);
    apiMaybeFireCloseCb(a);
}

/* True when the bytes were taken: kept until the preface is decided, or
 * the connection handed over to HTTP/2. */
static bool connSniff(struct api_conn *c, const char *data, size_t len)
{
    size_t want = sizeof apiH2Preface - c->sniff_len;
    size_t n = len < want ? len : want;
    if (memcmp(apiH2Preface + c->sniff_len, data, n) != 0) {
        /* HTTP/1.1: what was held back goes first */
        c->sniffed = true;
        if (c->sniff_len > 0) {
            apiConnFeed(c, c->sniff, c->sniff_len);
        }
        return false;
    }
    if (c->sniff_len + n < sizeof apiH2Preface) {
        memcpy(c->sniff + c->sniff_len, data, n);
        c->sniff_len += n;
        return true;
    }
    c->sniffed = true;
    connHandOver(c, data, len);
    return true;
}

static void readCbConn(struct stream *s, const char *data, size_t len)
{
    struct api_conn *c = s->data;
    if (!c->internal) {
        METRICS_ADD(c->api->deps.metrics, client_received_bytes_total,
                    (int64_t)len);
    }
    if (!c->sniffed && !c->internal && !c->metrics_only &&
        c->api->deps.h2_adopt != NULL &&
        connSniff(c, data, len)) {
        return;
    }
    if (c->closing) {
        return;
    }
    apiConnFeed(c, data, len);
}

static void eventCbConn(struct stream *s, int status)
{
    struct api_conn *c = s->data;
    if (status != 0) {
        /* EOF or error: the client is gone (maybe mid-request) */
        if (s->tls != NULL && s->errmsg[0] != '\0' &&
            strcmp(s->errmsg, "closed by the peer") != 0 &&
            strncmp(s->errmsg, "connection reset", 16) != 0) {
            infof("api: client connection: %s", s->errmsg);
        }
        apiConnClose(c);
    }
}

static void connClosedCb(struct stream *s)
{
    struct api_conn *c = s->data;
    struct api *a = c->api;
    struct api_req *req = c->req;
    if (req != NULL) {
        /* a stream: its end hook runs here, outside any hub callback */
        c->req = NULL;
        req->conn = NULL;
        if (req->stream_end != NULL) {
            req->stream_end(req);
        }
        reqFree(req);
    }
    a->n_conns_open--;
    bufFree(&c->body);
    free(c->pending);
    free(c);
    apiMaybeFireCloseCb(a);
}

void apiConnClose(struct api_conn *c)
{
    struct api_req *req = c->req;
    if (c->closing) {
        return;
    }
    c->closing = true;
    QUEUE_REMOVE(&c->link);
    if (req != NULL && !req->streaming) {
        /* orphaned: finishes when its operation does */
        c->req = NULL;
        req->conn = NULL;
    }
    streamClose(c->s, connClosedCb);
}

/* The TLS context of a listener: its URL's scheme decides. */
static struct tls_ctx *apiListenerTls(struct api *a, uv_tcp_t *listener)
{
    const struct config *cfg = a->deps.config;
    unsigned i = (unsigned)(listener - a->listeners);
    const struct config_url *u =
        i < cfg->n_listen_client ? &cfg->listen_client[i]
                                 : &cfg->listen_metrics[i - cfg->n_listen_client];
    return i < a->n_listeners && u->tls ? a->deps.tls : NULL;
}

/* A new connection, accepted here or handed over by the peer port. */
static struct api_conn *connAdopt(struct api *a, struct stream *s,
                                  bool internal, bool metrics_only)
{
    struct api_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        streamClose(s, NULL);
        return NULL;
    }
    c->api = a;
    c->s = s;
    c->internal = internal;
    c->metrics_only = metrics_only;
    c->since_ms = uv_now(a->deps.loop);
    s->data = c;
    s->on_read = readCbConn;
    s->on_event = eventCbConn;
    a->n_conns_open++;
    QUEUE_PUSH(&a->conns, &c->link);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    c->keep_alive = true;
    if (streamStart(s) != 0) {
        apiConnClose(c);
        return NULL;
    }
    return c;
}

static void adoptClient(struct api *a, struct stream *s, bool metrics_only);

static void connectionCb(uv_stream_t *server, int status)
{
    struct api *a = server->data;
    struct stream *s;
    if (status != 0 || a->closing) {
        return;
    }
    if (streamAccept(a->deps.loop, server,
                     apiListenerTls(a, (uv_tcp_t *)server), &s) != 0) {
        return;
    }
    /* a metrics listener's: no HTTP/2, no API, /metrics and /health */
    adoptClient(a, s, a->metrics_listener[(uv_tcp_t *)server - a->listeners]);
}

void apiAdoptClient(struct api *a, struct stream *s)
{
    adoptClient(a, s, false);
}

static void adoptClient(struct api *a, struct stream *s, bool metrics_only)
{
    if (a->n_conns_open >= API__MAX_CONNS) {
        if (!a->told_full) {
            warnf("api: %u client connections open: refusing more",
                  a->n_conns_open);
            a->told_full = true;
        }
        streamClose(s, NULL);
        return;
    }
    a->told_full = false;
    (void)connAdopt(a, s, false, metrics_only);
}

void apiAdoptPeer(struct api *a, struct stream *s, const char *initial,
                  size_t len)
{
    struct api_conn *c;
    if (a->closing) {
        streamClose(s, NULL);
        return;
    }
    c = connAdopt(a, s, true, false);
    if (c != NULL && len > 0) {
        apiConnFeed(c, initial, len);
    }
}

/* ---- init / close ---- */

/* Every second: connections that stall a handshake or a request (one
 * byte a second keeps a socket busy forever otherwise) or idle too long. */
static void sweepCb(uv_timer_t *t)
{
    struct api *a = t->data;
    uint64_t now = uv_now(a->deps.loop);
    queue *q = QUEUE_HEAD(&a->conns);
    while (q != &a->conns) {
        struct api_conn *c = QUEUE_DATA(q, struct api_conn, link);
        q = QUEUE_NEXT(q);
        if (c->req != NULL) {
            continue; /* being served, or a stream */
        }
        if (!c->s->established &&
            now - c->s->started_ms > API__HANDSHAKE_MS) {
            infof("api: client connection: TLS handshake not done in %u s, "
                  "closed",
                  API__HANDSHAKE_MS / 1000);
            apiConnClose(c);
        } else if (c->in_request && now - c->since_ms > API__REQUEST_MS) {
            infof("api: client connection: request not received in %u s, "
                  "closed",
                  API__REQUEST_MS / 1000);
            apiConnClose(c);
        } else if (!c->in_request && now - c->since_ms > API__IDLE_MS) {
            apiConnClose(c);
        }
    }
}

int apiInit(struct api **out, const struct api_deps *deps, char *errmsg)
{
    struct api *a = calloc(1, sizeof *a);
    const struct config *cfg = deps->config;
    unsigned i;
    if (a == NULL) {
        etcfsErrmsgf(errmsg, "api: out of memory");
        return ETCFS_NOMEM;
    }
    a->deps = *deps;
    QUEUE_INIT(&a->conns);
    (void)uv_timer_init(deps->loop, &a->sweep); /* cannot fail */
    a->sweep.data = a;
    a->sweep_open = true;
    (void)uv_timer_start(&a->sweep, sweepCb, 1000, 1000);
    for (i = 0; i < cfg->n_listen_client + cfg->n_listen_metrics; i++) {
        bool metrics = i >= cfg->n_listen_client;
        const struct config_url *u =
            metrics ? &cfg->listen_metrics[i - cfg->n_listen_client]
                    : &cfg->listen_client[i];
        struct sockaddr_storage addr;
        uv_tcp_t *t = &a->listeners[i];
        int rv;
        char host[256];
        snprintf(host, sizeof host, "%s", u->host);
        if (host[0] == '[') {
            host[strlen(host) - 1] = '\0';
            rv = uv_ip6_addr(host + 1, (int)u->port,
                             (struct sockaddr_in6 *)&addr);
        } else {
            rv = uv_ip4_addr(strcmp(host, "localhost") == 0 ? "127.0.0.1"
                                                            : host,
                             (int)u->port, (struct sockaddr_in *)&addr);
        }
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "listen %s: host must be an IP address",
                         u->text);
            goto err;
        }
        if (u->tls && deps->tls == NULL) {
            etcfsErrmsgf(errmsg, "listen %s: no TLS certificate", u->text);
            goto err;
        }
        rv = uv_tcp_init(deps->loop, t);
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "listen %s: %s", u->text, uv_strerror(rv));
            goto err;
        }
        t->data = a;
        a->metrics_listener[i] = metrics;
        a->n_listeners++;
        rv = uv_tcp_bind(t, (struct sockaddr *)&addr, 0);
        if (rv == 0) {
            rv = uv_listen((uv_stream_t *)t, 511, connectionCb);
        }
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "listen %s: %s", u->text, uv_strerror(rv));
            goto err;
        }
    }
    *out = a;
    return 0;
err:
    /* closing handles is async: hand them to apiClose's machinery */
    a->closing = true;
    for (i = 0; i < a->n_listeners; i++) {
        a->n_listeners_open++;
    }
    apiClose(a, NULL, NULL);
    return ETCFS_IO;
}

static void listenerClosedCb(uv_handle_t *h)
{
    struct api *a = h->data;
    a->n_listeners_open--;
    apiMaybeFireCloseCb(a);
}

static void sweepClosedCb(uv_handle_t *h)
{
    struct api *a = h->data;
    a->sweep_open = false;
    apiMaybeFireCloseCb(a);
}

static void apiMaybeFireCloseCb(struct api *a)
{
    if (!a->closing || a->n_listeners_open > 0 || a->n_conns_open > 0 ||
        a->sweep_open) {
        return;
    }
    if (!a->close_fired) {
        a->close_fired = true;
        if (a->close_cb != NULL) {
            a->close_cb(a, a->close_data);
        }
    }
    if (a->n_reqs == 0) {
        free(a);
    }
}

void apiClose(struct api *a, api_close_cb cb, void *data)
{
    unsigned i;
    a->closing = true;
    a->close_cb = cb;
    a->close_data = data;
    a->n_listeners_open = a->n_listeners;
    for (i = 0; i < a->n_listeners; i++) {
        uv_close((uv_handle_t *)&a->listeners[i], listenerClosedCb);
    }
    if (a->sweep_open && !uv_is_closing((uv_handle_t *)&a->sweep)) {
        uv_close((uv_handle_t *)&a->sweep, sweepClosedCb);
    }
    while (!QUEUE_IS_EMPTY(&a->conns)) {
        struct api_conn *c =
            QUEUE_DATA(QUEUE_HEAD(&a->conns), struct api_conn, link);
        apiConnClose(c);
    }
    apiMaybeFireCloseCb(a);
}
