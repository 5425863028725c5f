/* The etcd v3 JSON gateway over the request path: JSON bodies and
 * replies, the route table, and the glue from a handler to the request
 * path (apiWrite, apiRead). Handlers live in api_kv.c, api_watch.c,
 * api_lease.c, api_cluster.c, api_maint.c; the HTTP server in http.c and
 * http_parse.c.
 * Loop thread only; never blocks: every store call here is a bounded read. */
#include "api.h"

#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../core/metrics.h"
#include "../store/store.h"

/* ---- JSON replies ---- */

json_t *apiHeader(struct api *a, int64_t revision)
{
    if (revision == API_REV_OMIT) {
        revision = 0; /* codecHeader leaves a 0 out */
    } else if (revision == 0) {
        revision = storeRevision(a->deps.store);
    }
    return codecHeader(nodeClusterId(a->deps.node), nodeId(a->deps.node),
                       revision, nodeTerm(a->deps.node));
}

void apiReply(struct api_req *req, json_t *body, int64_t revision)
{
    char *text;
    json_t *obj = body;
    if (obj == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    /* the header goes first, as etcd prints it */
    if (json_object_get(obj, "header") == NULL &&
        (revision >= 0 || revision == API_REV_OMIT)) {
        json_t *o = json_object();
        json_object_set_new(o, "header", apiHeader(req->api, revision));
        json_object_update(o, obj);
        json_decref(obj);
        obj = o;
    }
    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (text == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    apiReplyRaw(req, 200, "application/json", text, strlen(text));
    free(text);
}

static void replyErrorAs(struct api_req *req, int http, int grpc,
                         const char *text)
{
    json_t *o = json_object();
    req->rpc_code = grpc;
    char *dump;
    /* grpc-gateway's errorBody order */
    json_object_set_new(o, "error", json_string(text));
    json_object_set_new(o, "message", json_string(text));
    json_object_set_new(o, "code", json_integer(grpc));
    dump = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (dump == NULL) {
        apiReplyRaw(req, 500, "application/json", "{}", 2);
        return;
    }
    apiReplyRaw(req, http, "application/json", dump, strlen(dump));
    free(dump);
}

void apiReplyError(struct api_req *req, int code, const char *msg)
{
    const char *text = msg != NULL && msg[0] != '\0' ? msg
                                                     : etcfsStrerror(code);
    replyErrorAs(req, etcfsHttpStatus(code), etcfsGrpcCode(code), text);
}

int apiStreamSend(struct api_req *req, json_t *obj)
{
    json_t *o = json_object();
    char *text;
    json_object_set_new(o, "result", obj);
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL) {
        return ETCFS_NOMEM;
    }
    return apiStreamChunk(req, 200, text);
}

int apiStreamSendError(struct api_req *req, int code, const char *msg)
{
    json_t *o = json_object();
    json_t *e = json_object();
    const char *text = msg != NULL ? msg : etcfsStrerror(code);
    char *dump;
    req->rpc_code = etcfsGrpcCode(code);
    json_object_set_new(e, "grpc_code", json_integer(etcfsGrpcCode(code)));
    json_object_set_new(e, "http_code", json_integer(etcfsHttpStatus(code)));
    json_object_set_new(e, "message", json_string(text));
    json_object_set_new(e, "http_status",
                        json_string(apiStatusText(etcfsHttpStatus(code))));
    json_object_set_new(o, "error", e);
    dump = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (dump == NULL) {
        return ETCFS_NOMEM;
    }
    return apiStreamChunk(req, etcfsHttpStatus(code), dump);
}

void apiReplyUndecodable(struct api_req *req, const char *msg)
{
    /* grpc-gateway: a decoder error is no gRPC status, so HTTPError makes
     * it Unknown, HTTP 500 */
    replyErrorAs(req, 500, GRPC_UNKNOWN, msg);
}

/* Go's encoding/json names a JSON value's type so. */
static const char *goJsonType(const json_t *v)
{
    switch (json_typeof(v)) {
        case JSON_ARRAY: return "array";
        case JSON_STRING: return "string";
        case JSON_INTEGER:
        case JSON_REAL: return "number";
        default: return "bool";
    }
}

int apiStreamMessage(struct api_req *req, size_t *off, json_t **msg,
                     char *errmsg)
{
    const char *p = req->raw != NULL ? req->raw + *off : "";
    size_t left = req->raw != NULL ? req->raw_len - *off : 0;
    json_error_t jerr;
    json_t *v;
    *msg = NULL;
    while (left > 0 && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) {
        p++;
        left--;
        (*off)++;
    }
    if (left == 0) {
        return 0; /* io.EOF: the client's side of the stream ended */
    }
    /* Go's texts for the common mistakes; jansson's for the rest */
    if (strchr("{[\"-0123456789tfn", *p) == NULL || *p == '\0') {
        if (*p >= 0x20 && *p < 0x7f) {
            etcfsErrmsgf(errmsg,
                         "invalid character '%s%c' looking for beginning "
                         "of value",
                         *p == '\'' || *p == '\\' ? "\\" : "", *p);
        } else {
            etcfsErrmsgf(errmsg,
                         "invalid character '\\x%02x' looking for "
                         "beginning of value",
                         (unsigned char)*p);
        }
        return ETCFS_BADJSON;
    }
    v = json_loadb(p, left, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
    if (v == NULL) {
        if (jerr.position >= 0 && (size_t)jerr.position >= left) {
            etcfsErrmsgf(errmsg, "unexpected EOF");
        } else {
            etcfsErrmsgf(errmsg, "malformed JSON: %s", jerr.text);
        }
        return ETCFS_BADJSON;
    }
    if (jerr.position <= 0 || (size_t)jerr.position > left) {
        json_decref(v);
        etcfsErrmsgf(errmsg, "malformed JSON");
        return ETCFS_BADJSON;
    }
    *off += (size_t)jerr.position;
    if (json_is_null(v)) {
        json_decref(v);
        v = json_object(); /* null decodes as an empty message */
    } else if (!json_is_object(v)) {
        etcfsErrmsgf(errmsg,
                     "json: cannot unmarshal %s into Go value of type "
                     "map[string]json.RawMessage",
                     goJsonType(v));
        json_decref(v);
        return ETCFS_BADJSON;
    }
    if (v == NULL) {
        return ETCFS_NOMEM;
    }
    *msg = v;
    return 0;
}

/* ---- the request path ---- */

static void serverWriteCb(struct server_write *w, int status,
                    struct command_result *res)
{
    struct api_req *req = w->data;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    if (res->status != 0) {
        apiReplyError(req, res->status, NULL);
    } else {
        req->applied(req, res); /* replies, to nobody if the client left */
    }
    commandResultFree(res);
}

void apiWrite(struct api_req *req, struct command *cmd,
              api_applied_fn applied)
{
    int rv;
    memset(&req->write, 0, sizeof req->write);
    req->write.data = req;
    req->write.cb = serverWriteCb;
    req->write.forwarded = req->forwarded;
    req->applied = applied;
    authnStamp(&req->who, cmd); /* the FSM checks its permissions */
    rv = serverWrite(req->api->deps.server, &req->write, cmd);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
}

static void readFail(struct api_req *req, int code)
{
    if (req->read_fail != NULL) {
        req->read_fail(req, code);
    } else {
        apiReplyError(req, code, NULL);
    }
}

static void serverReadCb(struct server_read *r, int status)
{
    struct api_req *req = r->data;
    if (status != 0) {
        readFail(req, status);
        return;
    }
    if (req->conn == NULL) {
        apiFinish(req); /* the client is gone: skip the read */
        return;
    }
    req->read_fn(req);
}

void apiReadOr(struct api_req *req, bool serializable, api_read_fn fn,
               api_fail_fn fail)
{
    int rv;
    memset(&req->read, 0, sizeof req->read);
    req->read.data = req;
    req->read.cb = serverReadCb;
    req->read_fn = fn;
    req->read_fail = fail;
    rv = serverRead(req->api->deps.server, &req->read, serializable);
    if (rv != 0) {
        readFail(req, rv);
    }
}

void apiRead(struct api_req *req, bool serializable, api_read_fn fn)
{
    apiReadOr(req, serializable, fn, NULL);
}

/* ---- routing ---- */

struct api_route
{
    const char *route;
    void (*fn)(struct api_req *req);
    enum authn_needs needs; /* when auth is on (authnGate) */
    const char *rpc; /* the etcd gRPC method it is (metrics), or NULL */
};

static const struct api_route apiV3Routes[] = {
    {"kv/range", apiKvRange, AUTHN_USER, "/etcdserverpb.KV/Range"},
    {"kv/put", apiKvPut, AUTHN_USER, "/etcdserverpb.KV/Put"},
    {"kv/deleterange", apiKvDeleteRange, AUTHN_USER, "/etcdserverpb.KV/DeleteRange"},
    {"kv/txn", apiKvTxn, AUTHN_USER, "/etcdserverpb.KV/Txn"},
    {"kv/compaction", apiKvCompaction, AUTHN_ANYONE, "/etcdserverpb.KV/Compact"},
    {"watch", apiWatch, AUTHN_USER, "/etcdserverpb.Watch/Watch"},
    {"lease/grant", apiLeaseGrant, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseGrant"},
    {"lease/revoke", apiLeaseRevoke, AUTHN_USER, "/etcdserverpb.Lease/LeaseRevoke"},
    {"lease/keepalive", apiLeaseKeepAlive, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseKeepAlive"},
    {"lease/timetolive", apiLeaseTimeToLive, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseTimeToLive"},
    {"lease/leases", apiLeaseLeases, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseLeases"},
    {"kv/lease/revoke", apiLeaseRevoke, AUTHN_USER, "/etcdserverpb.Lease/LeaseRevoke"},
    {"kv/lease/timetolive", apiLeaseTimeToLive, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseTimeToLive"},
    {"kv/lease/leases", apiLeaseLeases, AUTHN_ANYONE, "/etcdserverpb.Lease/LeaseLeases"},
    {"cluster/member/list", apiMemberList, AUTHN_ANYONE, "/etcdserverpb.Cluster/MemberList"},
    {"cluster/member/add", apiMemberAdd, AUTHN_ROOT, "/etcdserverpb.Cluster/MemberAdd"},
    {"cluster/member/remove", apiMemberRemove, AUTHN_ROOT, "/etcdserverpb.Cluster/MemberRemove"},
    {"cluster/member/update", apiMemberUpdate, AUTHN_ROOT, "/etcdserverpb.Cluster/MemberUpdate"},
    {"cluster/member/promote", apiMemberPromote, AUTHN_ROOT, "/etcdserverpb.Cluster/MemberPromote"},
    {"maintenance/status", apiStatus, AUTHN_ANYONE, "/etcdserverpb.Maintenance/Status"},
    {"maintenance/snapshot", apiSnapshot, AUTHN_ROOT_MAINT, "/etcdserverpb.Maintenance/Snapshot"},
    {"maintenance/hash", apiHash, AUTHN_ROOT_MAINT, "/etcdserverpb.Maintenance/Hash"},
    {"maintenance/hashkv", apiHashKV, AUTHN_ROOT_MAINT, "/etcdserverpb.Maintenance/HashKV"},
    {"maintenance/alarm", apiAlarm, AUTHN_ANYONE, "/etcdserverpb.Maintenance/Alarm"},
    {"maintenance/defragment", apiDefragment, AUTHN_ROOT_MAINT, "/etcdserverpb.Maintenance/Defragment"},
    {"maintenance/transfer-leadership", apiMoveLeader, AUTHN_ROOT, "/etcdserverpb.Maintenance/MoveLeader"},
    {"auth/enable", apiAuthEnable, AUTHN_USER, "/etcdserverpb.Auth/AuthEnable"},
    {"auth/disable", apiAuthDisable, AUTHN_USER, "/etcdserverpb.Auth/AuthDisable"},
    {"auth/status", apiAuthStatus, AUTHN_ANYONE, NULL},
    {"auth/authenticate", apiAuthAuthenticate, AUTHN_ANYONE, "/etcdserverpb.Auth/Authenticate"},
    {"auth/user/add", apiAuthUserAdd, AUTHN_USER, "/etcdserverpb.Auth/UserAdd"},
    {"auth/user/get", apiAuthUserGet, AUTHN_USER, "/etcdserverpb.Auth/UserGet"},
    {"auth/user/list", apiAuthUserList, AUTHN_USER, "/etcdserverpb.Auth/UserList"},
    {"auth/user/delete", apiAuthUserDelete, AUTHN_USER, "/etcdserverpb.Auth/UserDelete"},
    {"auth/user/changepw", apiAuthUserChangePassword, AUTHN_USER, "/etcdserverpb.Auth/UserChangePassword"},
    {"auth/user/grant", apiAuthUserGrantRole, AUTHN_USER, "/etcdserverpb.Auth/UserGrantRole"},
    {"auth/user/revoke", apiAuthUserRevokeRole, AUTHN_USER, "/etcdserverpb.Auth/UserRevokeRole"},
    {"auth/role/add", apiAuthRoleAdd, AUTHN_USER, "/etcdserverpb.Auth/RoleAdd"},
    {"auth/role/get", apiAuthRoleGet, AUTHN_USER, "/etcdserverpb.Auth/RoleGet"},
    {"auth/role/list", apiAuthRoleList, AUTHN_USER, "/etcdserverpb.Auth/RoleList"},
    {"auth/role/delete", apiAuthRoleDelete, AUTHN_USER, "/etcdserverpb.Auth/RoleDelete"},
    {"auth/role/grant", apiAuthRoleGrantPermission, AUTHN_USER, "/etcdserverpb.Auth/RoleGrantPermission"},
    {"auth/role/revoke", apiAuthRoleRevokePermission, AUTHN_USER, "/etcdserverpb.Auth/RoleRevokePermission"},
};

static const struct api_route apiInternalRoutes[] = {
    {"readindex", apiInternalReadIndex, AUTHN_ANYONE},
    {"leadercheck", apiInternalLeaderCheck, AUTHN_ANYONE},
    {"publish", apiInternalPublish, AUTHN_ANYONE},
    {"propose", apiInternalServe, AUTHN_ANYONE},
    {"keepalive", apiInternalServe, AUTHN_ANYONE},
    {"timetolive", apiInternalServe, AUTHN_ANYONE},
    {"member", apiInternalServe, AUTHN_ANYONE},
    {"mirror", apiInternalMirror, AUTHN_ANYONE},
};

static bool routeAllowed(struct api_req *req, enum authn_needs needs);

/* After the read gate: the token may now be known here. */
static void tokenRecheck(struct api_req *req)
{
    const struct api_route *r = req->route_entry;
    req->token_rechecked = true;
    if (routeAllowed(req, r->needs)) {
        r->fn(req);
    }
}

/* Who asks, and may they (auth on: authnGate)? False when the request was
 * answered or deferred. */
static bool routeAllowed(struct api_req *req, enum authn_needs needs)
{
    char text[ETCFS_ERRMSG_SIZE];
    int rv = authnGate(req->api->deps.server,
                       req->token_given ? req->token : NULL, req->token_len,
                       req->cn, needs, req->token_rechecked, &req->who, text);
    if (rv == AUTHN_GATE_RECHECK) {
        apiRead(req, false, tokenRecheck);
        return false;
    }
    if (rv != 0 && text[0] != '\0') {
        replyErrorAs(req, 500, GRPC_UNKNOWN, text); /* maintenance */
        return false;
    }
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
        return false;
    }
    return true;
}

/* The metrics index of route j's etcd method (-1 none), looked up once
 * (loop thread only). */
static int routeRpc(size_t j)
{
    static int index[sizeof apiV3Routes / sizeof apiV3Routes[0]];
    static bool known;
    size_t i;
    if (!known) {
        for (i = 0; i < sizeof apiV3Routes / sizeof apiV3Routes[0]; i++) {
            index[i] = metricsRpcIndex(apiV3Routes[i].rpc);
        }
        known = true;
    }
    return index[j];
}

static const char *const apiV3Roots[] = {"/v3/", "/v3beta/", "/v3alpha/"};

/* The client streams, under any root: their body is a sequence of
 * messages the handler reads (apiStreamMessage). */
static bool isClientStream(const char *path)
{
    size_t i;
    for (i = 0; i < sizeof apiV3Roots / sizeof apiV3Roots[0]; i++) {
        size_t n = strlen(apiV3Roots[i]);
        if (strncmp(path, apiV3Roots[i], n) == 0) {
            return strcmp(path + n, "watch") == 0 ||
                   strcmp(path + n, "lease/keepalive") == 0;
        }
    }
    return false;
}

/* Routes req; method is API_GET (GET or HEAD), API_POST or API_OTHER. */
static void routeRequest(struct api_req *req, int method)
{
    const char *const *roots = apiV3Roots;
    const char *p = req->path;
    size_t i;
    if (req->internal) {
        /* the peer port: what members ask each other, nothing else */
        if (strncmp(p, "/etcfs/v1/", 10) == 0 && method == API_POST) {
            req->route = p + 10;
            for (i = 0;
                 i < sizeof apiInternalRoutes / sizeof apiInternalRoutes[0];
                 i++) {
                if (strcmp(req->route, apiInternalRoutes[i].route) == 0) {
                    apiInternalRoutes[i].fn(req);
                    return;
                }
            }
        }
        apiReplyError(req, ETCFS_BAD_PATH, NULL);
        return;
    }
    if (req->metrics_only && (method != API_GET ||
                              (strcmp(p, "/health") != 0 &&
                               strcmp(p, "/metrics") != 0))) {
        apiReplyError(req, ETCFS_BAD_PATH, NULL); /* etcd: 404 */
        return;
    }
    if (method == API_GET) {
        if (strcmp(p, "/health") == 0) {
            apiHealth(req);
            return;
        }
        if (strcmp(p, "/version") == 0) {
            apiVersion(req);
            return;
        }
        if (strcmp(p, "/metrics") == 0) {
            apiMetrics(req);
            return;
        }
    }
    if (strncmp(p, "/v2/", 4) == 0) {
        /* the v2 API: members' changes need root, keys a user whose
         * permissions the v3 checks apply to (the keys are v3 keys) */
        static const struct api_route v2Keys = {"v2", apiV2, AUTHN_USER};
        static const struct api_route v2Members = {"v2", apiV2, AUTHN_ROOT};
        static const struct api_route v2List = {"v2", apiV2, AUTHN_ANYONE};
        const struct api_route *r =
            strncmp(p, "/v2/members", 11) != 0 ? &v2Keys
            : req->http_method == HTTP_GET || req->http_method == HTTP_HEAD
                ? &v2List
                : &v2Members;
        req->route_entry = r;
        if (routeAllowed(req, r->needs)) {
            apiV2(req);
        }
        return;
    }
    for (i = 0; i < sizeof apiV3Roots / sizeof apiV3Roots[0]; i++) {
        size_t n = strlen(roots[i]);
        size_t j;
        if (strncmp(p, roots[i], n) != 0) {
            continue;
        }
        req->route = p + n;
        for (j = 0; j < sizeof apiV3Routes / sizeof apiV3Routes[0]; j++) {
            if (strcmp(req->route, apiV3Routes[j].route) == 0) {
                if (method != API_POST) {
                    apiReplyError(req, ETCFS_BAD_PATH, "Method Not Allowed");
                    return;
                }
                req->route_entry = &apiV3Routes[j];
                req->rpc = routeRpc(j) + 1;
                if (req->rpc != 0) {
                    /* counted as the gRPC call etcd's gateway makes */
                    req->rpc_start = uv_hrtime();
                    metricsRpcStarted(req->api->deps.metrics, req->rpc - 1);
                }
                if (!routeAllowed(req, apiV3Routes[j].needs)) {
                    return;
                }
                apiV3Routes[j].fn(req);
                return;
            }
        }
    }
    apiReplyError(req, ETCFS_BAD_PATH, NULL);
}

/* A complete request from http_parse.c: the JSON body, then the route. */
void apiRoute(struct api_req *req, int method)
{
    json_error_t jerr;
    if (method == API_POST) {
        if (req->raw_len == 0) {
            req->body = json_object();
        } else if (strcmp(req->path, "/etcfs/v1/propose") == 0) {
            req->body = json_object(); /* binary command: serverServe */
        } else if (strncmp(req->path, "/v2/", 4) == 0) {
            req->body = json_object(); /* a form or JSON: api_v2.c reads it */
        } else if (isClientStream(req->path)) {
            /* a sequence of messages: read by the handler */
            req->body = json_object();
        } else {
            req->body = json_loadb(req->raw, req->raw_len, 0, &jerr);
            if (req->body == NULL || !json_is_object(req->body)) {
                char msg[ETCFS_ERRMSG_SIZE];
                if (req->body == NULL) {
                    snprintf(msg, sizeof msg, "malformed JSON: %s",
                             jerr.text);
                } else {
                    snprintf(msg, sizeof msg,
                             "malformed JSON: expected an object");
                }
                apiReplyError(req, ETCFS_BADJSON, msg);
                return;
            }
        }
    }
    routeRequest(req, method);
}
