/* Lease handlers of the client API: grant, revoke, keep-alive stream,
 * time-to-live, list, and the internal keep-alive a follower sends to the
 * leader. Deadlines live on the leader only (lease.c), so keep-alive and
 * time-to-live are answered by the leader; a follower forwards them. Loop
 * thread only. */
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "../core/error.h"
#include "../server/lease.h"
#include "../lib/log.h"
#include "../store/store.h"

/* ---- grant ---- */

static void grantApplied(struct api_req *req, const struct command_result *res)
{
    json_t *o = json_object();
    /* the id and TTL that went into the log are kept in the scratch */
    json_object_set_new(o, "ID", codecI64((int64_t)req->u64));
    json_object_set_new(o, "TTL", codecI64((int64_t)(intptr_t)req->ctx));
    req->ctx = NULL;
    apiReply(req, o, res->revision);
}

void apiLeaseGrant(struct api_req *req)
{
    struct api *a = req->api;
    struct command cmd;
    int64_t ttl = 0;
    int64_t id = 0;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    rv = codecInt64(req->body, "TTL", &ttl, errmsg);
    if (rv == 0) {
        rv = codecInt64(req->body, "ID", &id, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    if (!nodeIsLeader(a->deps.node)) {
        apiForward(req);
        return;
    }
    if (ttl > LEASE_MAX_TTL) {
        apiReplyError(req, ETCFS_LEASE_TTL_TOO_LARGE, NULL);
        return;
    }
    if (id < 0) {
        apiReplyError(req, ETCFS_INVALID, "lease ID must be positive");
        return;
    }
    if (id == 0) {
        id = lessorNewId(a->deps.lessor);
    } else if (lessorExists(a->deps.lessor, id)) {
        apiReplyError(req, ETCFS_LEASE_EXISTS, NULL);
        return;
    }
    ttl = lessorClampTtl(a->deps.lessor, ttl);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_GRANT;
    cmd.lease_grant.id = id;
    cmd.lease_grant.ttl = ttl;
    req->u64 = (uint64_t)id;
    req->ctx = (void *)(intptr_t)ttl;
    apiPropose(req, &cmd, grantApplied);
}

/* ---- revoke ---- */

static void revokeApplied(struct api_req *req,
                          const struct command_result *res)
{
    apiReply(req, json_object(), res->revision);
}

void apiLeaseRevoke(struct api_req *req)
{
    struct command cmd;
    int64_t id = 0;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecInt64(req->body, "ID", &id, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    if (nodeIsLeader(req->api->deps.node) &&
        !lessorExists(req->api->deps.lessor, id)) {
        apiReplyError(req, ETCFS_LEASE_NOTFOUND, NULL);
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.lease_revoke_id = id;
    apiPropose(req, &cmd, revokeApplied);
}

/* ---- time to live ---- */

static void ttlServe(struct api_req *req)
{
    struct api *a = req->api;
    int64_t id = 0;
    bool keys = false;
    int64_t remaining = 0;
    int64_t granted = 0;
    json_t *o = json_object();
    (void)codecInt64(req->body, "ID", &id, NULL);
    (void)codecBool(req->body, "keys", &keys, NULL);
    json_object_set_new(o, "ID", codecI64(id));
    if (lessorTimeToLive(a->deps.lessor, id, &remaining, &granted) != 0) {
        /* etcd: an unknown lease has TTL -1, not an error */
        json_object_set_new(o, "TTL", codecI64(-1));
        apiReply(req, o, 0);
        return;
    }
    codecSetI64(o, "TTL", remaining);
    codecSetI64(o, "grantedTTL", granted);
    if (keys) {
        char **list = NULL;
        size_t *lens = NULL;
        size_t n = 0;
        size_t i;
        if (storeLeaseKeys(a->deps.store, id, &list, &lens, &n, NULL) == 0) {
            if (n > 0) {
                json_t *arr = json_array();
                for (i = 0; i < n; i++) {
                    json_array_append_new(arr, codecB64(list[i], lens[i]));
                }
                json_object_set_new(o, "keys", arr);
            }
            storeKeysFree(list, lens, n);
        }
    }
    apiReply(req, o, 0);
}

void apiLeaseTimeToLive(struct api_req *req)
{
    int64_t id = 0;
    bool keys = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecInt64(req->body, "ID", &id, errmsg);
    if (rv == 0) {
        rv = codecBool(req->body, "keys", &keys, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    if (!nodeIsLeader(req->api->deps.node)) {
        apiForward(req); /* remaining TTLs are the leader's */
        return;
    }
    apiRead(req, false, ttlServe);
}

/* ---- leases ---- */

static void leasesServe(struct api_req *req)
{
    struct store_lease *leases = NULL;
    size_t n = 0;
    size_t i;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    json_t *o;
    json_t *arr;
    int rv = storeLeaseList(req->api->deps.store, &leases, &n, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    o = json_object();
    arr = json_array();
    for (i = 0; i < n; i++) {
        json_t *l = json_object();
        json_object_set_new(l, "ID", codecI64(leases[i].id));
        json_array_append_new(arr, l);
    }
    free(leases);
    if (n > 0) {
        json_object_set_new(o, "leases", arr);
    } else {
        json_decref(arr);
    }
    apiReply(req, o, 0);
}

void apiLeaseLeases(struct api_req *req)
{
    apiRead(req, false, leasesServe);
}

/* ---- keep-alive ----
 * The body holds one or more {"ID": ...} requests; each is answered with
 * {"result": {header, ID, TTL}} (TTL 0 for an unknown lease, as etcd). On a
 * follower each renewal is forwarded to the leader, one at a time. */

struct keepalive_stream
{
    struct api_req *req;
    int64_t *ids;
    size_t n;
    size_t next;
    bool inflight;
    bool ended;
    struct forward_req fwd;
    char body[64];
};

static void keepaliveNext(struct keepalive_stream *k);

static void keepaliveSend(struct keepalive_stream *k, int64_t id, int64_t ttl)
{
    json_t *o = json_object();
    json_object_set_new(o, "header", apiHeader(k->req->api, 0));
    json_object_set_new(o, "ID", codecI64(id));
    codecSetI64(o, "TTL", ttl);
    (void)apiStreamSend(k->req, o);
}

static void keepaliveForwardCb(struct forward_req *fr, int status)
{
    struct keepalive_stream *k = fr->data;
    int64_t id = k->ids[k->next];
    int64_t ttl = 0;
    k->inflight = false;
    if (k->ended) {
        forwardReqClear(fr);
        free(k->ids);
        free(k);
        return;
    }
    if (status == 0 && fr->http_status == 200) {
        json_t *root = json_loadb(fr->resp_body, fr->resp_len, 0, NULL);
        if (root != NULL) {
            (void)codecInt64(root, "TTL", &ttl, NULL);
        }
        json_decref(root);
        keepaliveSend(k, id, ttl);
    } else {
        (void)apiStreamSendError(k->req, status != 0 ? status : ETCFS_NOLEADER,
                                 NULL);
    }
    forwardReqClear(fr);
    k->next++;
    keepaliveNext(k);
}

static void keepaliveNext(struct keepalive_stream *k)
{
    struct api *a = k->req->api;
    while (k->next < k->n && !k->inflight) {
        int64_t id = k->ids[k->next];
        int64_t ttl = 0;
        if (nodeIsLeader(a->deps.node)) {
            if (lessorKeepAlive(a->deps.lessor, id, &ttl) != 0) {
                ttl = 0;
            }
            keepaliveSend(k, id, ttl);
            k->next++;
            continue;
        }
        memset(&k->fwd, 0, sizeof k->fwd);
        snprintf(k->body, sizeof k->body, "{\"ID\":\"%lld\"}", (long long)id);
        k->fwd.data = k;
        k->fwd.cb = keepaliveForwardCb;
        k->fwd.path = "/etcfs/v1/keepalive";
        k->fwd.body = k->body;
        k->fwd.body_len = strlen(k->body);
        if (forwardSend(a->deps.forward, &k->fwd) != 0) {
            (void)apiStreamSendError(k->req, ETCFS_NOLEADER, NULL);
            k->next++;
            continue;
        }
        k->inflight = true;
    }
}

static void keepaliveEnd(struct api_req *req)
{
    struct keepalive_stream *k = req->ctx;
    req->ctx = NULL;
    if (k->inflight) {
        k->ended = true; /* freed by the forward callback */
        return;
    }
    free(k->ids);
    free(k);
}

void apiLeaseKeepAlive(struct api_req *req)
{
    struct keepalive_stream *k = calloc(1, sizeof *k);
    const char *p = req->raw != NULL ? req->raw : "";
    size_t left = req->raw_len;
    size_t cap = 0;
    if (k == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    k->req = req;
    while (left > 0) {
        json_error_t jerr;
        json_t *obj;
        int64_t id = 0;
        while (left > 0 && (*p == ' ' || *p == '\n' || *p == '\r' ||
                            *p == '\t')) {
            p++;
            left--;
        }
        if (left == 0) {
            break;
        }
        obj = json_loadb(p, left, JSON_DISABLE_EOF_CHECK, &jerr);
        if (obj == NULL || !json_is_object(obj) ||
            codecInt64(obj, "ID", &id, NULL) != 0 || jerr.position <= 0) {
            char msg[ETCFS_ERRMSG_SIZE];
            snprintf(msg, sizeof msg, "malformed JSON: %s",
                     obj == NULL ? jerr.text : "expected {\"ID\": ...}");
            json_decref(obj);
            free(k->ids);
            free(k);
            apiReplyError(req, ETCFS_BADJSON, msg);
            return;
        }
        json_decref(obj);
        p += jerr.position;
        left -= (size_t)jerr.position;
        if (k->n == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            int64_t *ids = realloc(k->ids, ncap * sizeof *ids);
            if (ids == NULL) {
                free(k->ids);
                free(k);
                apiReplyError(req, ETCFS_NOMEM, NULL);
                return;
            }
            k->ids = ids;
            cap = ncap;
        }
        k->ids[k->n++] = id;
    }
    req->ctx = k;
    apiStreamBegin(req, keepaliveEnd);
    keepaliveNext(k);
}

void apiInternalKeepAlive(struct api_req *req)
{
    int64_t id = 0;
    int64_t ttl = 0;
    json_t *o;
    if (codecInt64(req->body, "ID", &id, NULL) != 0) {
        apiReplyError(req, ETCFS_BADJSON, NULL);
        return;
    }
    if (!nodeIsLeader(req->api->deps.node)) {
        apiReplyError(req, ETCFS_NOTLEADER, NULL);
        return;
    }
    if (lessorKeepAlive(req->api->deps.lessor, id, &ttl) != 0) {
        ttl = 0;
    }
    o = json_object();
    json_object_set_new(o, "ID", codecI64(id));
    codecSetI64(o, "TTL", ttl);
    apiReply(req, o, 0);
}
