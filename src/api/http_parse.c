/* Requests of the client API's HTTP/1.1 server, from the bytes a
 * connection reads (http.c) to a complete struct api_req for apiRoute
 * (api.c): the http-parser callbacks (URL, the Expect, Authorization and
 * X-Etcfs-Forwarded headers, the body under its size limit), one request
 * at a time per connection (pipelined bytes wait, the parser paused, until
 * the answer), and the replies a malformed or oversized request gets. Loop
 * thread only; never blocks.
 *
 * An oversized body is answered as soon as its headers say so, without
 * reading it, and the connection then closes. */
#include <http_parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_internal.h"
#include "http_internal.h"
#include "../lib/buf.h"
#include "../lib/stream.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../core/metrics.h"

#define API__MAX_PENDING (4u << 20) /* pipelined bytes buffered */
#define API__BODY_SLACK (64u << 10)

/* ---- a complete request ---- */

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
        apiConnClose(c);
        return;
    }
    a->n_reqs++;
    req->api = a;
    req->conn = c;
    req->forwarded = c->forwarded;
    req->internal = c->internal;
    req->metrics_only = c->metrics_only;
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
    req->http_method = method;
    memcpy(req->content_type, c->ctype, sizeof req->content_type);
    c->req = req;
    c->keep_alive = http_should_keep_alive(&c->parser) != 0;
    req->raw = c->body.data; /* transferred */
    req->raw_len = c->body.len;
    memset(&c->body, 0, sizeof c->body);

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
    if (u.field_set & (1 << UF_QUERY)) {
        req->query = strndup(c->url + u.field_data[UF_QUERY].off,
                             u.field_data[UF_QUERY].len);
        if (req->query == NULL) {
            apiReplyError(req, ETCFS_NOMEM, NULL);
            return;
        }
    }
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
    c->body.len = 0;
    c->body_too_large = false;
    c->expect_continue = false;
    c->forwarded = false;
    c->token_len = 0;
    c->token_given = false;
    c->ctype[0] = '\0';
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
    c->header_is_ctype = len == 12 && strncasecmp(at, "content-type", 12) == 0;
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
    if (c->header_is_ctype) {
        size_t have = strlen(c->ctype);
        size_t n = len < sizeof c->ctype - 1 - have ? len
                                                   : sizeof c->ctype - 1 - have;
        memcpy(c->ctype + have, at, n);
        c->ctype[have + n] = '\0';
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
            (void)apiConnWrite(c, cont, strlen(cont), NULL, 0);
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
    if (c->body.len + len > bodyLimit(c->api)) {
        c->body_too_large = true;
        bufFree(&c->body);
        return 0;
    }
    return bufAppendText(&c->body, at, len);
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

/* ---- bytes in ---- */

static void badRequest(struct api_conn *c)
{
    static const char resp[] =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
        "Content-Length: 12\r\nConnection: close\r\n\r\nbad request\n";
    char *copy = strdup(resp);
    if (copy != NULL) {
        (void)apiConnWrite(c, copy, sizeof resp - 1, NULL, 0);
    }
    apiConnClose(c);
}

/* Parses data; keeps what follows a complete request for later. */
void apiConnFeed(struct api_conn *c, const char *data, size_t len)
{
    size_t n;
    if (c->closing) {
        return;
    }
    if (c->req != NULL) {
        /* serving (a stream too: its body has ended, so these bytes are
         * the next request, read once a keep-alive's response ended):
         * keep them for later */
        char *p;
        if (c->pending_len + len > API__MAX_PENDING) {
            apiConnClose(c);
            return;
        }
        p = realloc(c->pending, c->pending_len + len);
        if (p == NULL) {
            apiConnClose(c);
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
                apiConnClose(c);
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
void apiConnResume(struct api_conn *c)
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
        apiConnFeed(c, pending, len);
    }
    free(pending);
}
