/* Inside the client API: the HTTP request object every handler gets, the
 * reply/stream primitives of api.c and the handler entry points of
 * api_kv.c, api_lease.c and api_cluster.c. Loop thread only. */
#ifndef ETCFS_API_INTERNAL_H
#define ETCFS_API_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../raft/node.h"
#include "../server/authn.h"
#include "../server/server.h"
#include "api.h"
#include "codec.h"
#include "../lib/queue.h"
#include "../server/watch.h"

struct api_conn;
struct api_req;

/* Bytes read from a client per read. All connections share one buffer:
 * each read callback parses or copies its bytes before the loop reads
 * the next (a malloc of 64 KiB per read cost ~10 % of a range's CPU). */
#define API_READ_SIZE 65536

struct api
{
    struct api_deps deps;
    char read_buf[API_READ_SIZE];
    uv_tcp_t listeners[2 * CONFIG_MAX_URLS]; /* client, then metrics */
    bool metrics_listener[2 * CONFIG_MAX_URLS]; /* /metrics, /health only */
    unsigned n_listeners;
    unsigned n_listeners_open;
    queue conns;
    unsigned n_conns_open;
    unsigned n_reqs; /* requests not yet finished (orphans included) */
    uv_timer_t sweep; /* deadlines (http.c) */
    bool sweep_open;
    bool told_full;   /* the connection limit was logged */
    bool closing;
    bool close_fired;
    api_close_cb close_cb;
    void *close_data;
};

/* The handler's result builder after a proposal was applied. */
typedef void (*api_applied_fn)(struct api_req *req,
                               const struct command_result *res);
/* A read may now be served (linearizable gate passed). */
typedef void (*api_read_fn)(struct api_req *req);
/* Replies a request-path error code in a front end's own form. */
typedef void (*api_fail_fn)(struct api_req *req, int code);
/* A stream ends: the client went away or the server closes. The handler
 * releases what it holds; the api frees req afterwards. */
typedef void (*api_stream_end_fn)(struct api_req *req);

struct api_req
{
    struct api *api;
    struct api_conn *conn; /* NULL once the client went away */
    char path[256];        /* normalized, e.g. "/v3/kv/put" */
    char *query;           /* the URL's query, undecoded (owned; NULL none) */
    int http_method;       /* http_parser's HTTP_GET, HTTP_PUT, ... */
    char content_type[64]; /* the Content-Type header ("" none) */
    char *extra_headers;   /* "Name: value\r\n" lines for the reply's head
                            * (owned; NULL none): the v2 API's X-Etcd-Index */
    const char *route;     /* after the root: "kv/put" */
    char *raw;             /* request body as received (owned) */
    size_t raw_len;
    json_t *body;          /* parsed body (owned; {} for an empty body) */
    bool forwarded;        /* came from a follower: do not forward again */
    bool internal;         /* on the peer port: members' routes only */
    bool metrics_only;     /* on a --listen-metrics-urls listener */
    /* who asks: the Authorization header (token_len sizeof token: too
     * long), the verified client certificate's CN ("" none), and the
     * user they name (apiRoute) */
    char token[AUTHN_TOKEN_SIZE];
    size_t token_len;
    bool token_given;
    char cn[AUTHN_NAME_MAX + 1];
    struct authn_user who;
    const void *route_entry; /* api.c: the route, for a deferred dispatch */
    int rpc;                 /* etcd gRPC method index + 1 (metrics), 0 */
    uint64_t rpc_start;      /* uv_hrtime when routed */
    int rpc_code;            /* gRPC code of the answer (0: OK) */
    bool token_rechecked;
    struct arena arena;    /* decoded request fields */
    /* the request path (one operation at a time per request) */
    union {
        struct server_write write;
        struct server_read read;
        struct server_lease lease;
        struct server_member member;
        struct server_serve serve;
        struct authn_req authn;
    };
    api_applied_fn applied;
    api_read_fn read_fn;
    api_fail_fn read_fail; /* NULL: apiReplyError */
    /* streams */
    bool streaming;
    bool stream_head_sent; /* http.c: the head went out */
    api_stream_end_fn stream_end;
    void *ctx; /* handler state */
    uint64_t u64; /* handler scratch */
    queue link; /* api_conn.reqs is not needed: one request per conn */
};

/* ---- http.c, http_parse.c: the HTTP/1.1 server ---- */
enum { API_GET = 1, API_POST, API_OTHER };
/* "OK", "Bad Request", ... for an HTTP status. */
const char *apiStatusText(int status);
/* Sends text + "\n" as one chunk of a stream (text transferred), after
 * the stream's head with status when it is the first chunk. 0, or
 * ETCFS_CANCELED when the client is gone or too slow. */
int apiStreamChunk(struct api_req *req, int status, char *text);
/* Sends a stream's head with status now (etcd's v2 watch flushes it
 * before its event). 0, or ETCFS_CANCELED / ETCFS_NOMEM. */
int apiStreamOpen(struct api_req *req, int status);
/* The same for len bytes of any kind (data transferred), as they are. */
int apiStreamBytes(struct api_req *req, int status, char *data, size_t len);
/* The request is done without a reply (its client is gone). */
void apiFinish(struct api_req *req);
/* Serves a client connection accepted on a listener (s transferred), or
 * closes it when API__MAX_CONNS are open. connectionCb calls it;
 * tests/fuzz/fuzz_http.c hands it a stream of its own. */
void apiAdoptClient(struct api *a, struct stream *s);

/* ---- api.c: the gateway ---- */
/* A complete request from http_parse.c: parse its JSON body, route it. */
void apiRoute(struct api_req *req, int method);

/* A header without a revision, as etcd's cluster responses and a watch
 * canceled by compaction carry (apiReply, apiHeader). */
#define API_REV_OMIT (-2)

/* Replies with 200 and body (the reference is stolen) plus a response
 * header at revision (0 = current, API_REV_OMIT = none in it) unless
 * revision is -1 or body has one; finishes req. */
void apiReply(struct api_req *req, json_t *body, int64_t revision);
/* Replies raw bytes with status (forwarded answers); finishes req. */
void apiReplyRaw(struct api_req *req, int status, const char *content_type,
                 const char *body, size_t len);
/* Error reply {"error","code","message"} from the error table; msg NULL
 * = the table's text. Finishes req. */
void apiReplyError(struct api_req *req, int code, const char *msg);
/* Header of this member at revision (0 = current store revision,
 * API_REV_OMIT = no revision field). */
json_t *apiHeader(struct api *a, int64_t revision);

/* Starts a chunked stream (its head goes out with the first chunk); end
 * is called once when it ends, by the client or by apiStreamEnd. */
void apiStreamBegin(struct api_req *req, api_stream_end_fn end);
/* Sends {"result": obj} + "\n" as one chunk (obj stolen). Returns 0 or
 * ETCFS_CANCELED when the client is gone / too slow (the stream is then
 * being torn down: end will be called). */
int apiStreamSend(struct api_req *req, json_t *obj);
/* Sends an error object {"error": {...}} as the gateway does in streams. */
int apiStreamSendError(struct api_req *req, int code, const char *msg);
/* A client stream's first message did not decode: grpc-gateway's answer,
 * HTTP 500 with gRPC code Unknown and the decoder's text. Finishes req. */
void apiReplyUndecodable(struct api_req *req, const char *msg);
/* The next message of a client stream (watch, keep-alive) from req's body,
 * read as grpc-gateway's runtime reads it: JSON values one after another,
 * white space between; null is an empty message, unknown fields are the
 * handler's to ignore. *off: where to read (0 first), moved past the
 * message. 0 and *msg (transferred), 0 and *msg NULL at the body's end, or
 * ETCFS_BADJSON with the decoder's text in errmsg (Go's where it is
 * cheap): the gateway stops reading there. */
int apiStreamMessage(struct api_req *req, size_t *off, json_t **msg,
                     char *errmsg);
/* Bytes queued for the client and not yet written. */
size_t apiStreamQueued(struct api_req *req);
/* Ends the stream from the server side, as grpc-gateway ends a response
 * once the call returned: the head if nothing was sent (200), the last
 * chunk; the end hook runs now, req is freed and the connection goes on
 * with its next request (keep-alive). When the connection is already
 * closing, nothing happens now: the close runs the hook and frees req. */
void apiStreamEnd(struct api_req *req);

/* Proposes cmd through the request path (cmd borrowed for the call), then
 * calls applied with the result, or replies the error. */
void apiWrite(struct api_req *req, struct command *cmd,
              api_applied_fn applied);
/* Runs fn now (serializable) or after a linearizable read gate. */
void apiRead(struct api_req *req, bool serializable, api_read_fn fn);
/* The same, with the gate's failure replied by fail (the v2 API's error
 * form); nothing runs or is replied when the client left meanwhile. */
void apiReadOr(struct api_req *req, bool serializable, api_read_fn fn,
               api_fail_fn fail);

/* Starts membership op on member id through the request path (peer_url
 * for add and update; req->member set up, cb(&req->member, status) once
 * it is done). 0, or serverMember's error (cb is not called then). */
int apiMember(struct api_req *req, int op, uint64_t id, const char *peer_url,
              bool learner, server_member_cb cb);

/* Handlers (route already matched). */
void apiKvRange(struct api_req *req);
void apiKvPut(struct api_req *req);
void apiKvDeleteRange(struct api_req *req);
void apiKvTxn(struct api_req *req);
void apiKvCompaction(struct api_req *req);
void apiWatch(struct api_req *req);
void apiLeaseGrant(struct api_req *req);
void apiLeaseRevoke(struct api_req *req);
void apiLeaseKeepAlive(struct api_req *req);
void apiLeaseTimeToLive(struct api_req *req);
void apiLeaseLeases(struct api_req *req);
void apiMemberList(struct api_req *req);
void apiMemberAdd(struct api_req *req);
void apiMemberRemove(struct api_req *req);
void apiMemberUpdate(struct api_req *req);
void apiMemberPromote(struct api_req *req);
void apiStatus(struct api_req *req);
void apiSnapshot(struct api_req *req);
void apiHash(struct api_req *req);
void apiHashKV(struct api_req *req);
void apiAlarm(struct api_req *req);
void apiDefragment(struct api_req *req);
void apiMoveLeader(struct api_req *req);
void apiHealth(struct api_req *req);
void apiVersion(struct api_req *req);
void apiMetrics(struct api_req *req);
void apiAuthEnable(struct api_req *req);
void apiAuthDisable(struct api_req *req);
void apiAuthStatus(struct api_req *req);
void apiAuthAuthenticate(struct api_req *req);
void apiAuthUserAdd(struct api_req *req);
void apiAuthUserGet(struct api_req *req);
void apiAuthUserList(struct api_req *req);
void apiAuthUserDelete(struct api_req *req);
void apiAuthUserChangePassword(struct api_req *req);
void apiAuthUserGrantRole(struct api_req *req);
void apiAuthUserRevokeRole(struct api_req *req);
void apiAuthRoleAdd(struct api_req *req);
void apiAuthRoleGet(struct api_req *req);
void apiAuthRoleList(struct api_req *req);
void apiAuthRoleDelete(struct api_req *req);
void apiAuthRoleGrantPermission(struct api_req *req);
void apiAuthRoleRevokePermission(struct api_req *req);
void apiInternalReadIndex(struct api_req *req);
void apiInternalLeaderCheck(struct api_req *req);
void apiInternalPublish(struct api_req *req);
/* mirror: the feed's stream to a mirror below (api_mirror.c) */
void apiInternalMirror(struct api_req *req);
/* The fleet view in a status answer o: "mirror" {upstream, appliedIndex,
 * clusterCommit, lag} on a mirror, "mirrors" [{name, clientURLs, peerURL,
 * sentIndex}] streaming from here (api_mirror.c). */
void apiStatusFleet(struct api_req *req, const struct node_status *st,
                    json_t *o);
/* The fleet's lines of /metrics (malloc'd text, NULL without memory). */
char *apiMetricsFleet(struct api_req *req, const struct node_status *st);
/* /v2/keys and /v2/members with --enable-v2 (api_v2.c), else 404 */
void apiV2(struct api_req *req);
/* propose, keepalive, timetolive, member: serverServe */
void apiInternalServe(struct api_req *req);

#define API_VERSION_ETCD SERVER_ETCD_VERSION

#endif /* ETCFS_API_INTERNAL_H */
