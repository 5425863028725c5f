/* Inside the client API's HTTP/1.1 server: the connection that its two
 * halves share. http.c owns a connection's life (accept or adoption,
 * deadlines, close) and what is written to it; http_parse.c what is read
 * from it, parsed into requests. Only those two files include this.
 * Loop thread only. */
#ifndef ETCFS_HTTP_INTERNAL_H
#define ETCFS_HTTP_INTERNAL_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_internal.h"
#include "../lib/buf.h"
#include "../lib/queue.h"
#include "../lib/stream.h"
#include "../server/authn.h"

#define API__MAX_URL 4096

/* One client connection (or a member's, from the peer port). Allocated by
 * http.c when it is accepted or adopted, freed by it once its stream
 * closed. */
struct api_conn
{
    struct api *api;
    struct stream *s;   /* TCP, plain or TLS */
    bool internal;      /* from the peer port: members' requests only */
    bool metrics_only;  /* from a metrics listener: /metrics, /health */
    bool in_request;    /* bytes of a request are arriving */
    uint64_t since_ms;  /* the request's first byte, or the last answer */
    http_parser parser;
    queue link;
    /* request being parsed */
    char url[API__MAX_URL];
    size_t url_len;
    bool url_too_long;
    struct buf body; /* the request body being read */
    bool body_too_large;
    bool header_is_expect;
    bool header_is_forwarded;
    bool header_is_auth;
    bool header_is_ctype;
    bool expect_continue;
    char ctype[64]; /* Content-Type, cut at its length ("" none) */
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
    /* the first bytes, until they tell HTTP/1.1 from HTTP/2 */
    char sniff[24];
    size_t sniff_len;
    bool sniffed;
};

/* ---- http.c ---- */
/* Queues head + body (both malloc'd, transferred, freed also on failure).
 * 0, or ETCFS_CANCELED when c is NULL or closing. */
int apiConnWrite(struct api_conn *c, char *head, size_t head_len,
                 char *body, size_t body_len);
/* Closes c; again is a no-op. A request being served is orphaned; a
 * stream's end hook runs and c is freed once the stream has closed. */
void apiConnClose(struct api_conn *c);

/* ---- http_parse.c ---- */
/* Parses data (borrowed for the call), dispatching a complete request to
 * apiRoute; what follows it waits in c->pending until apiConnResume. A
 * malformed request is answered 400 and c closed. */
void apiConnFeed(struct api_conn *c, const char *data, size_t len);
/* The request was answered: parses what was pipelined meanwhile. */
void apiConnResume(struct api_conn *c);

#endif /* ETCFS_HTTP_INTERNAL_H */
