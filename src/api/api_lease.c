/* Lease handlers of the client API: grant, revoke, keep-alive stream,
 * time-to-live, list. Deadlines live on the leader only (lease.c): the
 * request path (src/server/) answers keep-alive and time-to-live there,
 * from any member. Loop thread only. */
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
    rv = serverLeaseGrantCommand(req->api->deps.server, id, ttl, &cmd);
    if (rv != 0) {
        apiReplyError(req, rv,
                      rv == ETCFS_INVALID ? "lease ID must be positive"
                                          : NULL);
        return;
    }
    req->u64 = (uint64_t)cmd.lease_grant.id;
    req->ctx = (void *)(intptr_t)cmd.lease_grant.ttl;
    apiWrite(req, &cmd, grantApplied);
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
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.lease_revoke_id = id;
    apiWrite(req, &cmd, revokeApplied);
}

/* ---- time to live ---- */

static void ttlCb(struct server_lease *q, int status)
{
    struct api_req *req = q->data;
    struct api *a = req->api;
    bool keys = false;
    json_t *o;
    if (status != 0 && status != ETCFS_LEASE_NOTFOUND) {
        apiReplyError(req, status, NULL);
        return;
    }
    o = json_object();
    json_object_set_new(o, "ID", codecI64(q->id));
    if (status == ETCFS_LEASE_NOTFOUND) {
        /* etcd: an unknown lease has TTL -1, not an error */
        json_object_set_new(o, "TTL", codecI64(-1));
        apiReply(req, o, 0);
        return;
    }
    codecSetI64(o, "TTL", q->ttl);
    codecSetI64(o, "grantedTTL", q->granted);
    (void)codecBool(req->body, "keys", &keys, NULL);
    if (keys) {
        char **list = NULL;
        size_t *lens = NULL;
        size_t n = 0;
        size_t i;
        if (storeLeaseKeys(a->deps.store, q->id, &list, &lens, &n, NULL) ==
            0) {
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
    memset(&req->lease, 0, sizeof req->lease);
    req->lease.data = req;
    req->lease.cb = ttlCb;
    req->lease.op = SERVER_LEASE_TTL;
    req->lease.id = id;
    rv = serverLease(req->api->deps.server, &req->lease);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
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
    serverLeaseSort(req->api->deps.server, leases, n);
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
 * As etcd 3.4's gateway and LeaseServer.leaseKeepAlive: the body holds
 * {"ID": ...} requests one after another; each is answered in order with
 * {"result": {header, ID, TTL}} (TTL 0 for an unknown lease) through the
 * request path (the leader renews), and the response ends once the body's
 * requests are all answered. A first request that does not decode gets
 * the gateway's 500 instead of a stream; a later one ends the reading
 * there, silently. An error other than an unknown lease ends the stream
 * with an error chunk, as etcd's server returns it. */

struct keepalive_stream
{
    struct api_req *req;
    int64_t *ids;
    size_t n;
    size_t next;
    bool inflight;
    bool failed;  /* an error was sent: no more requests */
    bool ended;   /* the end hook ran: req is gone */
    bool looping; /* in keepaliveNext: a leader answers at once */
    struct server_lease q;
};

static void keepaliveNext(struct keepalive_stream *k);

static void keepaliveFree(struct keepalive_stream *k)
{
    free(k->ids);
    free(k);
}

/* Sending can end the stream (a client gone or too slow): keepaliveEnd
 * then only marks it while an answer or the loop below is under way. */
static void keepaliveCb(struct server_lease *q, int status)
{
    struct keepalive_stream *k = q->data;
    if (!k->ended) {
        if (status == 0 || status == ETCFS_LEASE_NOTFOUND) {
            json_t *o = json_object();
            json_object_set_new(o, "header", apiHeader(k->req->api, 0));
            codecSetI64(o, "ID", q->id);
            codecSetI64(o, "TTL", status == 0 ? q->ttl : 0);
            (void)apiStreamSend(k->req, o);
        } else {
            (void)apiStreamSendError(k->req, status, NULL);
            k->failed = true;
        }
    }
    k->inflight = false;
    if (k->ended) {
        if (!k->looping) {
            keepaliveFree(k);
        }
        return;
    }
    k->next++;
    if (!k->looping) {
        keepaliveNext(k);
    }
}

/* Sends the next requests; ends the stream when none is left. */
static void keepaliveNext(struct keepalive_stream *k)
{
    k->looping = true;
    while (k->next < k->n && !k->inflight && !k->ended && !k->failed) {
        int rv;
        memset(&k->q, 0, sizeof k->q);
        k->q.data = k;
        k->q.cb = keepaliveCb;
        k->q.op = SERVER_LEASE_KEEPALIVE;
        k->q.id = k->ids[k->next];
        k->inflight = true;
        rv = serverLease(k->req->api->deps.server, &k->q);
        if (rv != 0) {
            k->inflight = false;
            k->failed = true;
            (void)apiStreamSendError(k->req, rv, NULL);
        }
    }
    k->looping = false;
    if (k->ended) {
        if (!k->inflight) {
            keepaliveFree(k);
        }
        return;
    }
    if (!k->inflight && (k->next == k->n || k->failed)) {
        apiStreamEnd(k->req); /* keepaliveEnd frees k, now or at close */
    }
}

static void keepaliveEnd(struct api_req *req)
{
    struct keepalive_stream *k = req->ctx;
    req->ctx = NULL;
    if (k->inflight || k->looping) {
        k->ended = true; /* freed once the answer or the loop is done */
        return;
    }
    keepaliveFree(k);
}

void apiLeaseKeepAlive(struct api_req *req)
{
    struct keepalive_stream *k = calloc(1, sizeof *k);
    size_t off = 0;
    size_t cap = 0;
    if (k == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    k->req = req;
    for (;;) {
        char errmsg[ETCFS_ERRMSG_SIZE] = "";
        json_t *obj;
        int64_t id = 0;
        int rv = apiStreamMessage(req, &off, &obj, errmsg);
        if (rv == 0 && obj == NULL) {
            break; /* the body ended */
        }
        if (rv == 0) {
            rv = codecInt64(obj, "ID", &id, errmsg);
            json_decref(obj);
        }
        if (rv == ETCFS_NOMEM) {
            keepaliveFree(k);
            apiReplyError(req, ETCFS_NOMEM, NULL);
            return;
        }
        if (rv != 0) {
            if (k->n == 0) {
                keepaliveFree(k);
                apiReplyUndecodable(req, errmsg);
                return;
            }
            break; /* the gateway stops reading; what came is answered */
        }
        if (k->n == cap) {
            size_t ncap = cap == 0 ? 4 : cap * 2;
            int64_t *ids = realloc(k->ids, ncap * sizeof *ids);
            if (ids == NULL) {
                keepaliveFree(k);
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
