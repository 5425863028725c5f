/* The client API's HTTP/1.1 server on libuv, parsed by http-parser: one
 * request at a time per connection (pipelined bytes wait, paused),
 * keep-alive, chunked streams for watch/keepalive/snapshot, a body limit,
 * the listeners. A complete request goes to apiRoute (api.c); replies and
 * stream chunks come back as bytes. Loop thread only; never blocks.
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
#include <strings.h>

#include "api_internal.h"
#include "../lib/stream.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"

#define API__MAX_URL 4096
#define API__MAX_PENDING (4u << 20)      /* pipelined bytes buffered */
#define API__MAX_WRITE_QUEUE (64u << 20) /* a slower stream is cut */
#define API__BODY_SLACK (64u << 10)
#define API__MAX_CONNS 10000u
/* Deadlines (etcd has Go's: a handshake and a request must arrive). */
#define API__HANDSHAKE_MS 10000u        /* TLS handshake done */
#define API__REQUEST_MS 30000u          /* a request's head and body */
#define API__IDLE_MS (5u * 60u * 1000u) /* a keep-alive with nothing asked */

struct api_conn
{
    struct api *api;
    struct stream *s;   /* TCP, plain or TLS */
    bool internal;      /* from the peer port: members' requests only */
    bool in_request;    /* bytes of a request are arriving */
    uint64_t since_ms;  /* the request's first byte, or the last answer */
    http_parser parser;
    queue link;
    /* request being parsed */
    char url[API__MAX_URL];
    size_t url_len;
    bool url_too_long;
    char *body;
    size_t body_len;
    size_t body_cap;
    bool body_too_large;
    bool header_is_expect;
    bool header_is_forwarded;
    bool header_is_auth;
    bool expect_continue;
    char token[AUTHN_TOKEN_SIZE]; /* Authorization: a simple token */
    size_t token_len;             /* sizeof token: too long to be one */
    bool token_given;
    bool forwarded;
    /* bytes read while a request was being served */
    char *pending;
    size_t pending_len;
    struct api_req *req; /* being served */
    bool keep_alive;
    bool closing;
    bool dead; /* a protocol error: reply then close */
};


static void connClose(struct api_conn *c);
static void connResume(struct api_conn *c);
static void apiMaybeFireCloseCb(struct api *a);

/* ---- writes ---- */


/* Queues head + body (both malloc'd, transferred). */
static int connWrite(struct api_conn *c, char *head, size_t head_len,
                     char *body, size_t body_len)
{
    if (c == NULL || c->closing) {
        free(head);
        free(body);
        return ETCFS_CANCELED;
    }
    return streamWrite(c->s, head, head_len, body, body_len) == 0
               ? 0
               : ETCFS_CANCELED;
}

const char *apiStatusText(int status)
{
    switch (status) {
        case 200: return "OK";
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
    json_decref(req->body);
    free(req->raw);
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
            connClose(c);
        } else {
            connResume(c);
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
                         "Content-Length: %zu\r\n%s\r\n",
                         status, apiStatusText(status), content_type, len,
                         c->keep_alive && !c->dead ? ""
                                                   : "Connection: close\r\n");
            if (n < 0) {
                free(copy);
                c->dead = true;
            } else {
                (void)connWrite(c, head, (size_t)n, copy, send);
            }
        }
    }
    if (status >= 400) {
        METRICS_INC(req->api->deps.metrics, http_errors_total);
    }
    apiFinish(req);
}

/* ---- streams ---- */

void apiStreamBegin(struct api_req *req, api_stream_end_fn end)
{
    static const char head[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    char *copy = strdup(head);
    req->streaming = true;
    req->stream_end = end;
    if (copy == NULL) {
        req->conn->dead = true;
        return;
    }
    (void)connWrite(req->conn, copy, sizeof head - 1, NULL, 0);
}

int apiStreamChunk(struct api_req *req, char *text)
{
    struct api_conn *c = req->conn;
    size_t len = strlen(text);
    char *head = NULL;
    int n;
    if (c == NULL || c->closing) {
        free(text);
        return ETCFS_CANCELED;
    }
    if (streamQueued(c->s) > API__MAX_WRITE_QUEUE) {
        warnf("api: stream client too slow, closing");
        free(text);
        connClose(c);
        return ETCFS_CANCELED;
    }
    /* chunk = size line, data, "\n" (ndjson), CRLF */
    text[len] = '\0';
    n = asprintf(&head, "%zx\r\n", len + 1);
    if (n < 0) {
        free(text);
        return ETCFS_NOMEM;
    }
    {
        char *body = realloc(text, len + 4);
        if (body == NULL) {
            free(text);
            free(head);
            return ETCFS_NOMEM;
        }
        memcpy(body + len, "\n\r\n", 3);
        return connWrite(c, head, (size_t)n, body, len + 3);
    }
}

size_t apiStreamQueued(struct api_req *req)
{
    if (req->conn == NULL || req->conn->closing) {
        return 0;
    }
    return streamQueued(req->conn->s);
}

void apiStreamClose(struct api_req *req)
{
    struct api_conn *c = req->conn;
    if (c != NULL) {
        char *end = strdup("0\r\n\r\n");
        if (end != NULL) {
            (void)connWrite(c, end, 5, NULL, 0);
        }
        c->keep_alive = false;
        connClose(c); /* calls the end hook and frees req */
    }
}

/* A complete request: build the req and dispatch it. */
static void connDispatch(struct api_conn *c)
{
    struct api *a = c->api;
    struct api_req *req;
    struct http_parser_url u;
    int method = c->parser.method;

    METRICS_INC(a->deps.metrics, http_requests_total);
    req = calloc(1, sizeof *req);
    if (req == NULL) {
        connClose(c);
        return;
    }
    a->n_reqs++;
    req->api = a;
    req->conn = c;
    req->forwarded = c->forwarded;
    req->internal = c->internal;
    if (c->token_given) {
        req->token_given = true;
        req->token_len = c->token_len;
        memcpy(req->token, c->token,
               c->token_len < sizeof c->token ? c->token_len : 0);
    }
    if (!c->internal && a->deps.config->client_cert_auth &&
        streamPeerCn(c->s, req->cn, sizeof req->cn) != 0) {
        req->cn[0] = '\0';
    }
    c->req = req;
    c->keep_alive = http_should_keep_alive(&c->parser) != 0;
    req->raw = c->body;
    req->raw_len = c->body_len;
    c->body = NULL;
    c->body_len = 0;
    c->body_cap = 0;

    if (c->url_too_long) {
        c->dead = true;
        apiReplyError(req, ETCFS_BAD_PATH, "URI too long");
        return;
    }
    c->url[c->url_len] = '\0';
    http_parser_url_init(&u);
    if (http_parser_parse_url(c->url, c->url_len, 0, &u) != 0 ||
        !(u.field_set & (1 << UF_PATH)) ||
        u.field_data[UF_PATH].len >= sizeof req->path) {
        apiReplyError(req, ETCFS_BAD_PATH, NULL);
        return;
    }
    memcpy(req->path, c->url + u.field_data[UF_PATH].off,
           u.field_data[UF_PATH].len);
    req->path[u.field_data[UF_PATH].len] = '\0';
    if (c->body_too_large) {
        c->dead = true; /* the rest of the body was not read */
        apiReplyError(req, ETCFS_TOO_LARGE, NULL);
        return;
    }
    apiRoute(req, method == HTTP_POST   ? API_POST
                  : method == HTTP_GET || method == HTTP_HEAD ? API_GET
                                                              : API_OTHER);
}

/* ---- http-parser callbacks ---- */

static int onMessageBegin(http_parser *p)
{
    struct api_conn *c = p->data;
    c->in_request = true;
    c->since_ms = uv_now(c->api->deps.loop);
    c->url_len = 0;
    c->url_too_long = false;
    c->body_len = 0;
    c->body_too_large = false;
    c->expect_continue = false;
    c->forwarded = false;
    c->token_len = 0;
    c->token_given = false;
    return 0;
}

static int onUrl(http_parser *p, const char *at, size_t len)
{
    struct api_conn *c = p->data;
    if (c->url_len + len >= sizeof c->url) {
        c->url_too_long = true;
        return 0;
    }
    memcpy(c->url + c->url_len, at, len);
    c->url_len += len;
    return 0;
}

static int onHeaderField(http_parser *p, const char *at, size_t len)
{
    struct api_conn *c = p->data;
    /* names arrive whole in practice; a split name just doesn't match */
    c->header_is_expect = len == 6 && strncasecmp(at, "expect", 6) == 0;
    c->header_is_forwarded =
        len == 17 && strncasecmp(at, "x-etcfs-forwarded", 17) == 0;
    c->header_is_auth = len == 13 && strncasecmp(at, "authorization", 13) == 0;
    return 0;
}

static int onHeaderValue(http_parser *p, const char *at, size_t len)
{
    struct api_conn *c = p->data;
    if (c->header_is_expect && len >= 3 && strncmp(at, "100", 3) == 0) {
        c->expect_continue = true;
    }
    if (c->header_is_forwarded) {
        c->forwarded = true;
    }
    if (c->header_is_auth) {
        /* the value may come in pieces; one too long is no token of ours */
        c->token_given = true;
        if (c->token_len + len < sizeof c->token) {
            memcpy(c->token + c->token_len, at, len);
            c->token_len += len;
        } else {
            c->token_len = sizeof c->token;
        }
    }
    return 0;
}

static size_t bodyLimit(struct api *a)
{
    /* base64 grows values by 4/3; JSON framing is small */
    return (size_t)a->deps.config->max_request_bytes / 3 * 4 +
           API__BODY_SLACK;
}

static int onHeadersComplete(http_parser *p)
{
    struct api_conn *c = p->data;
    if (p->content_length != ULLONG_MAX &&
        p->content_length > bodyLimit(c->api)) {
        c->body_too_large = true;
    }
    if (c->expect_continue && !c->body_too_large) {
        char *cont = strdup("HTTP/1.1 100 Continue\r\n\r\n");
        if (cont != NULL) {
            (void)connWrite(c, cont, strlen(cont), NULL, 0);
        }
    }
    if (c->body_too_large) {
        /* answer now instead of reading megabytes we will refuse */
        http_parser_pause(p, 1);
        c->keep_alive = false;
        connDispatch(c);
        return 0;
    }
    return 0;
}

static int onBody(http_parser *p, const char *at, size_t len)
{
    struct api_conn *c = p->data;
    if (c->body_too_large) {
        return 0;
    }
    if (c->body_len + len > bodyLimit(c->api)) {
        c->body_too_large = true;
        free(c->body);
        c->body = NULL;
        c->body_len = 0;
        c->body_cap = 0;
        return 0;
    }
    if (c->body_len + len + 1 > c->body_cap) {
        size_t cap = c->body_cap == 0 ? 1024 : c->body_cap;
        char *b;
        while (cap < c->body_len + len + 1) {
            cap *= 2;
        }
        b = realloc(c->body, cap);
        if (b == NULL) {
            return -1;
        }
        c->body = b;
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, at, len);
    c->body_len += len;
    c->body[c->body_len] = '\0';
    return 0;
}

static int onMessageComplete(http_parser *p)
{
    struct api_conn *c = p->data;
    c->in_request = false;
    if (c->req != NULL) {
        return 0; /* the too-large reply went out already */
    }
    /* serve this one before parsing further pipelined bytes */
    http_parser_pause(p, 1);
    connDispatch(c);
    return 0;
}

static const http_parser_settings apiParserSettings = {
    .on_message_begin = onMessageBegin,
    .on_url = onUrl,
    .on_header_field = onHeaderField,
    .on_header_value = onHeaderValue,
    .on_headers_complete = onHeadersComplete,
    .on_body = onBody,
    .on_message_complete = onMessageComplete,
};

/* ---- connection I/O ---- */

static void badRequest(struct api_conn *c)
{
    static const char resp[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
        "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
    char *copy = strdup(resp);
    if (copy != NULL) {
        (void)connWrite(c, copy, sizeof resp - 1, NULL, 0);
    }
    connClose(c);
}

/* Parses data; keeps what follows a complete request for later. */
static void connFeed(struct api_conn *c, const char *data, size_t len)
{
    size_t n;
    if (c->closing) {
        return;
    }
    if (c->req != NULL) {
        /* serving: keep the bytes for later */
        char *p;
        if (c->req->streaming) {
            return; /* a stream's client says nothing we need */
        }
        if (c->pending_len + len > API__MAX_PENDING) {
            connClose(c);
            return;
        }
        p = realloc(c->pending, c->pending_len + len);
        if (p == NULL) {
            connClose(c);
            return;
        }
        memcpy(p + c->pending_len, data, len);
        c->pending = p;
        c->pending_len += len;
        return;
    }
    n = http_parser_execute(&c->parser, &apiParserSettings, data, len);
    if (c->closing) {
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_PAUSED) {
        /* a request is being served: keep the rest */
        if (n < len) {
            char *p = realloc(c->pending, c->pending_len + (len - n));
            if (p == NULL) {
                connClose(c);
                return;
            }
            memcpy(p + c->pending_len, data + n, len - n);
            c->pending = p;
            c->pending_len += len - n;
        }
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || n != len) {
        debugf("api: bad request: %s",
               http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
        badRequest(c);
    }
}

/* The request was answered: parse what was pipelined meanwhile. */
static void connResume(struct api_conn *c)
{
    char *pending = c->pending;
    size_t len = c->pending_len;
    if (c->closing) {
        return;
    }
    http_parser_pause(&c->parser, 0);
    c->pending = NULL;
    c->pending_len = 0;
    if (len > 0) {
        connFeed(c, pending, len);
    }
    free(pending);
}

static void readCbConn(struct stream *s, const char *data, size_t len)
{
    connFeed(s->data, data, len);
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
        connClose(c);
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
    free(c->body);
    free(c->pending);
    free(c);
    apiMaybeFireCloseCb(a);
}

static void connClose(struct api_conn *c)
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
    unsigned i = (unsigned)(listener - a->listeners);
    return i < a->n_listeners && a->deps.config->listen_client[i].tls
               ? a->deps.tls
               : NULL;
}

/* A new connection, accepted here or handed over by the peer port. */
static struct api_conn *connAdopt(struct api *a, struct stream *s,
                                  bool internal)
{
    struct api_conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        streamClose(s, NULL);
        return NULL;
    }
    c->api = a;
    c->s = s;
    c->internal = internal;
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
        connClose(c);
        return NULL;
    }
    return c;
}

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
    apiAdoptClient(a, s);
}

void apiAdoptClient(struct api *a, struct stream *s)
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
    (void)connAdopt(a, s, false);
}

void apiAdoptPeer(struct api *a, struct stream *s, const char *initial,
                  size_t len)
{
    struct api_conn *c;
    if (a->closing) {
        streamClose(s, NULL);
        return;
    }
    c = connAdopt(a, s, true);
    if (c != NULL && len > 0) {
        connFeed(c, initial, len);
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
            connClose(c);
        } else if (c->in_request && now - c->since_ms > API__REQUEST_MS) {
            infof("api: client connection: request not received in %u s, "
                  "closed",
                  API__REQUEST_MS / 1000);
            connClose(c);
        } else if (!c->in_request && now - c->since_ms > API__IDLE_MS) {
            connClose(c);
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
    for (i = 0; i < cfg->n_listen_client; i++) {
        const struct config_url *u = &cfg->listen_client[i];
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
        connClose(c);
    }
    apiMaybeFireCloseCb(a);
}
