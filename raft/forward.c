/* Member -> member HTTP requests (forward.h): a small pool of keep-alive
 * connections to other members' peer ports (raft/transport.c hands what is
 * not Raft to their HTTP server), plain or under the peer TLS client
 * context, one request per connection at a time, responses parsed by
 * http-parser. Every request carries "X-Etcfs-Forwarded: 1" so the
 * receiver never forwards it again. Loop thread only; addresses must be IP
 * literals or "localhost" (no blocking name resolution on the loop). */
#include "forward.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "../src/lib/buf.h"
#include "../src/lib/log.h"
#include "../src/lib/stream.h"
#include "node.h"

#define FORWARD__MAX_IDLE 16
#define FORWARD__DEFAULT_TIMEOUT_MS 5000
#define FORWARD__MAX_RESPONSE (64u << 20)

struct forward_conn
{
    struct forward *f;
    struct stream *s;
    uv_timer_t timer;
    http_parser parser;
    char address[NODE_URL_SIZE]; /* "host:port" */
    struct forward_req *req;     /* in flight, or NULL when idle */
    char *out;                   /* request bytes being written */
    struct buf body; /* the response body being read */
    bool done;        /* response complete */
    bool keep_alive;
    bool connected;
    bool closing;
    bool idle;
    unsigned handles; /* open uv handles */
    queue link;       /* f->idle or f->busy */
};

struct forward
{
    uv_loop_t *loop;
    struct node *node;
    struct tls_ctx *tls; /* peer TLS client context, or NULL */
    queue idle;
    queue busy;
    unsigned n_idle;
    unsigned n_conns;
    bool closing;
    forward_close_cb close_cb;
    void *close_data;
};

static void connClose(struct forward_conn *c);
static void forwardMaybeFireCloseCb(struct forward *f);

void forwardReqClear(struct forward_req *req)
{
    free(req->resp_body);
    req->resp_body = NULL;
    req->resp_len = 0;
}

void forwardSetTls(struct forward *f, struct tls_ctx *tls)
{
    f->tls = tls;
}

int forwardInit(struct forward **out, uv_loop_t *loop, struct node *node,
                char *errmsg)
{
    struct forward *f = calloc(1, sizeof *f);
    if (f == NULL) {
        etcfsErrmsgf(errmsg, "forward: out of memory");
        return ETCFS_NOMEM;
    }
    f->loop = loop;
    f->node = node;
    QUEUE_INIT(&f->idle);
    QUEUE_INIT(&f->busy);
    *out = f;
    return 0;
}

/* Ends the request in flight on c with status (0: response ready). */
static void reqDone(struct forward_conn *c, int status)
{
    struct forward_req *req = c->req;
    if (req == NULL) {
        return;
    }
    c->req = NULL;
    req->conn = NULL;
    (void)uv_timer_stop(&c->timer);
    if (status == 0) {
        req->resp_body = c->body.data; /* transferred */
        req->resp_len = c->body.len;
        memset(&c->body, 0, sizeof c->body);
    }
    req->cb(req, status);
}

/* ---- response parsing ---- */

static int onBody(http_parser *p, const char *at, size_t len)
{
    struct forward_conn *c = p->data;
    if (c->body.len + len > FORWARD__MAX_RESPONSE) {
        return -1;
    }
    return bufAppendText(&c->body, at, len);
}

static int onMessageComplete(http_parser *p)
{
    struct forward_conn *c = p->data;
    c->done = true;
    c->keep_alive = http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings forwardParserSettings = {
    .on_body = onBody,
    .on_message_complete = onMessageComplete,
};

static void connIdle(struct forward_conn *c)
{
    struct forward *f = c->f;
    QUEUE_REMOVE(&c->link);
    if (f->closing || !c->keep_alive || f->n_idle >= FORWARD__MAX_IDLE) {
        QUEUE_PUSH(&f->busy, &c->link); /* connClose removes it */
        connClose(c);
        return;
    }
    QUEUE_PUSH(&f->idle, &c->link);
    c->idle = true;
    f->n_idle++;
}

static void readCb(struct stream *st, const char *data, size_t len)
{
    struct forward_conn *c = st->data;
    if (c->req == NULL) {
        /* bytes on an idle connection: the peer misbehaves */
        connClose(c);
        return;
    }
    (void)http_parser_execute(&c->parser, &forwardParserSettings, data, len);
    if (c->done) {
        c->req->http_status = (int)c->parser.status_code;
        reqDone(c, 0);
        connIdle(c);
    } else if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
        reqDone(c, ETCFS_PROTO);
        connClose(c);
    }
}

/* ---- sending ---- */

static int connSend(struct forward_conn *c)
{
    struct forward_req *req = c->req;
    int n;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->done = false;
    c->body.len = 0;
    n = asprintf(&c->out,
                 "POST %s HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %zu\r\nX-Etcfs-Forwarded: 1\r\n\r\n",
                 req->path, c->address, req->body_len);
    if (n < 0) {
        c->out = NULL;
        return ETCFS_NOMEM;
    }
    {
        char *all = realloc(c->out, (size_t)n + req->body_len);
        if (all == NULL) {
            return ETCFS_NOMEM;
        }
        memcpy(all + n, req->body, req->body_len);
        c->out = all;
    }
    {
        char *out = c->out;
        c->out = NULL;
        if (streamWrite(c->s, out, (size_t)n + req->body_len, NULL, 0) != 0) {
            return ETCFS_NOLEADER;
        }
    }
    return 0;
}

/* Connected (and handshaken) or failed; after that only failures. */
static void eventCb(struct stream *st, int status)
{
    struct forward_conn *c = st->data;
    int rv;
    if (c->closing) {
        return;
    }
    if (status != 0) {
        if (st->tls != NULL && strncmp(st->errmsg, "connect:", 8) != 0 &&
            strcmp(st->errmsg, "closed by the peer") != 0) {
            warnf("forward to %s: %s", c->address, st->errmsg);
        } else {
            debugf("forward to %s: %s", c->address, st->errmsg);
        }
        reqDone(c, c->connected ? ETCFS_PROTO : ETCFS_NOLEADER);
        connClose(c);
        return;
    }
    c->connected = true;
    rv = connSend(c);
    if (rv != 0) {
        reqDone(c, rv);
        connClose(c);
    }
}

static void timeoutCb(uv_timer_t *t)
{
    struct forward_conn *c = t->data;
    reqDone(c, ETCFS_TIMEOUT);
    connClose(c);
}

static void connFree(struct forward_conn *c)
{
    struct forward *f = c->f;
    if (--c->handles > 0) {
        return;
    }
    free(c->out);
    bufFree(&c->body);
    free(c);
    f->n_conns--;
    forwardMaybeFireCloseCb(f);
}

static void streamClosedCb(struct stream *st)
{
    connFree(st->data);
}

static void timerClosedCb(uv_handle_t *h)
{
    connFree(h->data);
}

static void connClose(struct forward_conn *c)
{
    if (c->closing) {
        return;
    }
    c->closing = true;
    if (c->idle) {
        c->idle = false;
        c->f->n_idle--;
    }
    reqDone(c, ETCFS_CANCELED);
    QUEUE_REMOVE(&c->link);
    if (c->s != NULL) {
        streamClose(c->s, streamClosedCb);
    } else {
        c->handles--;
    }
    uv_close((uv_handle_t *)&c->timer, timerClosedCb);
}

/* "host:port": to, or the leader's peer address when NULL. */
static int targetAddress(struct forward *f, const char *to, char *address,
                         size_t size)
{
    char host[NODE_URL_SIZE];
    int port;
    if (to != NULL) {
        snprintf(address, size, "%s", to);
    } else if (nodeLeaderPeerAddress(f->node, address, size) != 0) {
        return ETCFS_NOLEADER;
    }
    return streamSplitAddress(address, host, sizeof host, &port) == 0
               ? 0
               : ETCFS_NOLEADER;
}

int forwardSend(struct forward *f, struct forward_req *req)
{
    return forwardSendTo(f, NULL, req);
}

int forwardSendTo(struct forward *f, const char *to, struct forward_req *req)
{
    char address[NODE_URL_SIZE];
    struct forward_conn *c = NULL;
    queue *q;
    int rv;
    if (f->closing) {
        return ETCFS_SHUTDOWN;
    }
    rv = targetAddress(f, to, address, sizeof address);
    if (rv != 0) {
        return rv;
    }
    req->http_status = 0;
    req->resp_body = NULL;
    req->resp_len = 0;
    QUEUE_FOREACH(q, &f->idle)
    {
        struct forward_conn *i = QUEUE_DATA(q, struct forward_conn, link);
        if (strcmp(i->address, address) == 0) {
            c = i;
            break;
        }
    }
    if (c != NULL) {
        QUEUE_REMOVE(&c->link);
        c->idle = false;
        f->n_idle--;
        QUEUE_PUSH(&f->busy, &c->link);
        c->req = req;
        req->conn = c;
        rv = connSend(c);
        if (rv != 0) {
            c->req = NULL;
            req->conn = NULL;
            connClose(c);
            return rv;
        }
    } else {
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            return ETCFS_NOMEM;
        }
        c->f = f;
        snprintf(c->address, sizeof c->address, "%s", address);
        (void)uv_timer_init(f->loop, &c->timer); /* cannot fail */
        c->timer.data = c;
        c->handles = 2;
        f->n_conns++;
        QUEUE_PUSH(&f->busy, &c->link);
        c->req = req;
        req->conn = c;
        if (streamConnectAddress(f->loop, address, f->tls, eventCb, c,
                                 &c->s) != 0) {
            c->s = NULL;
            c->req = NULL;
            req->conn = NULL;
            connClose(c);
            return ETCFS_NOLEADER;
        }
        c->s->on_read = readCb;
    }
    (void)uv_timer_start(&c->timer, timeoutCb,
                         req->timeout_ms != 0 ? req->timeout_ms
                                              : FORWARD__DEFAULT_TIMEOUT_MS,
                         0);
    return 0;
}

static void forwardMaybeFireCloseCb(struct forward *f)
{
    if (!f->closing || f->n_conns > 0) {
        return;
    }
    if (f->close_cb != NULL) {
        f->close_cb(f, f->close_data);
    }
    free(f);
}

void forwardClose(struct forward *f, forward_close_cb cb, void *data)
{
    f->closing = true;
    f->close_cb = cb;
    f->close_data = data;
    while (!QUEUE_IS_EMPTY(&f->idle)) {
        struct forward_conn *c =
            QUEUE_DATA(QUEUE_HEAD(&f->idle), struct forward_conn, link);
        connClose(c);
    }
    while (!QUEUE_IS_EMPTY(&f->busy)) {
        struct forward_conn *c =
            QUEUE_DATA(QUEUE_HEAD(&f->busy), struct forward_conn, link);
        connClose(c);
    }
    forwardMaybeFireCloseCb(f);
}
