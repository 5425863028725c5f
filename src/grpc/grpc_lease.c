/* etcdserverpb.Lease over gRPC: grant, revoke, time-to-live (with keys),
 * the lease list and the bidirectional keep-alive stream. Translation only,
 * as the gateway's api_lease.c: grants and revokes are request path writes
 * (serverLeaseGrantCommand decides id and TTL), keep-alive and
 * time-to-live go to the leader's lessor through serverLease. Loop thread
 * only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../server/lease.h"
#include "../store/store.h"
#include "grpc_internal.h"

/* Keep-alive requests a stream may have waiting for their turn: a client
 * that sends faster than the leader answers is refused past this. */
#define GRPC__KEEPALIVE_QUEUE 65536

/* ---- grant ---- */

static void grantApplied(struct grpc_call *call,
                         const struct command_result *res)
{
    Etcdserverpb__LeaseGrantResponse r = ETCDSERVERPB__LEASE_GRANT_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    grpcHeader(call, &h, res->revision);
    r.header = &h;
    /* the id and TTL that went into the log (kept in the scratch) */
    r.id = (int64_t)call->u64;
    r.ttl = (int64_t)(intptr_t)call->ctx;
    call->ctx = NULL;
    grpcReply(call, &r.base);
}

void grpcLeaseGrant(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__LeaseGrantRequest *q =
        grpcUnpack(call, &etcdserverpb__lease_grant_request__descriptor, m, n);
    struct command cmd;
    int rv;
    if (q == NULL) {
        return;
    }
    rv = serverLeaseGrantCommand(grpcDeps(call)->server, q->id, q->ttl, &cmd);
    etcdserverpb__lease_grant_request__free_unpacked(q, NULL);
    if (rv != 0) {
        grpcFail(call, rv,
                 rv == ETCFS_INVALID ? "lease ID must be positive" : NULL);
        return;
    }
    call->u64 = (uint64_t)cmd.lease_grant.id;
    call->ctx = (void *)(intptr_t)cmd.lease_grant.ttl;
    grpcWrite(call, &cmd, grantApplied);
}

/* ---- revoke ---- */

static void revokeApplied(struct grpc_call *call,
                          const struct command_result *res)
{
    Etcdserverpb__LeaseRevokeResponse r =
        ETCDSERVERPB__LEASE_REVOKE_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    grpcHeader(call, &h, res->revision);
    r.header = &h;
    grpcReply(call, &r.base);
}

void grpcLeaseRevoke(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__LeaseRevokeRequest *q = grpcUnpack(
        call, &etcdserverpb__lease_revoke_request__descriptor, m, n);
    struct command cmd;
    if (q == NULL) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_LEASE_REVOKE;
    cmd.lease_revoke_id = q->id;
    etcdserverpb__lease_revoke_request__free_unpacked(q, NULL);
    grpcWrite(call, &cmd, revokeApplied);
}

/* ---- time to live ---- */

static void ttlCb(struct server_lease *q, int status)
{
    struct grpc_call *call = q->data;
    Etcdserverpb__LeaseTimeToLiveResponse r =
        ETCDSERVERPB__LEASE_TIME_TO_LIVE_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    char **list = NULL;
    size_t *lens = NULL;
    size_t nkeys = 0;
    size_t i;
    if (status != 0 && status != ETCFS_LEASE_NOTFOUND) {
        grpcFail(call, status, NULL);
        return;
    }
    grpcHeader(call, &h, 0);
    r.header = &h;
    r.id = q->id;
    if (status == ETCFS_LEASE_NOTFOUND) {
        r.ttl = -1; /* etcd: an unknown lease has TTL -1, not an error */
        grpcReply(call, &r.base);
        return;
    }
    r.ttl = q->ttl;
    r.grantedttl = q->granted;
    if (call->u64 != 0 &&
        storeLeaseKeys(grpcDeps(call)->store, q->id, &list, &lens, &nkeys,
                       NULL) == 0 &&
        nkeys > 0) {
        r.keys = calloc(nkeys, sizeof *r.keys);
        if (r.keys == NULL) {
            storeKeysFree(list, lens, nkeys);
            grpcFail(call, ETCFS_NOMEM, NULL);
            return;
        }
        for (i = 0; i < nkeys; i++) {
            r.keys[i].data = (uint8_t *)list[i];
            r.keys[i].len = lens[i];
        }
        r.n_keys = nkeys;
    }
    grpcReply(call, &r.base);
    free(r.keys);
    if (list != NULL) {
        storeKeysFree(list, lens, nkeys);
    }
}

void grpcLeaseTimeToLive(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__LeaseTimeToLiveRequest *q = grpcUnpack(
        call, &etcdserverpb__lease_time_to_live_request__descriptor, m, n);
    int rv;
    if (q == NULL) {
        return;
    }
    call->u64 = q->keys ? 1 : 0;
    memset(&call->lease, 0, sizeof call->lease);
    call->lease.data = call;
    call->lease.cb = ttlCb;
    call->lease.op = SERVER_LEASE_TTL;
    call->lease.id = q->id;
    etcdserverpb__lease_time_to_live_request__free_unpacked(q, NULL);
    rv = serverLease(grpcDeps(call)->server, &call->lease);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
    }
}

/* ---- leases ---- */

static void leasesServe(struct grpc_call *call)
{
    Etcdserverpb__LeaseLeasesResponse r =
        ETCDSERVERPB__LEASE_LEASES_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    Etcdserverpb__LeaseStatus *st = NULL;
    Etcdserverpb__LeaseStatus **ptrs = NULL;
    struct store_lease *leases = NULL;
    size_t n = 0;
    size_t i;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = storeLeaseList(grpcDeps(call)->store, &leases, &n, errmsg);
    if (rv != 0) {
        grpcFail(call, rv, errmsg);
        return;
    }
    serverLeaseSort(grpcDeps(call)->server, leases, n);
    if (n > 0) {
        st = calloc(n, sizeof *st);
        ptrs = calloc(n, sizeof *ptrs);
        if (st == NULL || ptrs == NULL) {
            free(st);
            free(ptrs);
            free(leases);
            grpcFail(call, ETCFS_NOMEM, NULL);
            return;
        }
    }
    for (i = 0; i < n; i++) {
        etcdserverpb__lease_status__init(&st[i]);
        st[i].id = leases[i].id;
        ptrs[i] = &st[i];
    }
    free(leases);
    grpcHeader(call, &h, 0);
    r.header = &h;
    r.leases = ptrs;
    r.n_leases = n;
    grpcReply(call, &r.base);
    free(ptrs);
    free(st);
}

void grpcLeaseLeases(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__LeaseLeasesRequest *q = grpcUnpack(
        call, &etcdserverpb__lease_leases_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    etcdserverpb__lease_leases_request__free_unpacked(q, NULL);
    grpcRead(call, false, leasesServe);
}

/* ---- keep-alive ----
 * Each LeaseKeepAliveRequest is answered, in order, with {header, ID, TTL}
 * (TTL 0 for an unknown or expired lease, as etcd), one at a time through
 * the request path (the leader renews; a follower forwards). etcd ends the
 * stream with any other error, and with OK once the client ended its side
 * and every request was answered.
 *
 * The state hangs off call->ctx and the renewal in flight uses
 * call->lease, with a reference held on the call for as long as it is in
 * flight: when the client goes away first, the end hook frees the state
 * and gives the handler's reference back, and the renewal's callback,
 * finding no state, only lets go of its reference. */

struct keepalive
{
    int64_t *ids; /* requests not yet started: ids[head..n) */
    size_t head;
    size_t n;
    size_t cap;
    int64_t rev;   /* the header's revision, read before the renewal */
    bool inflight; /* call->lease is with the request path */
    bool looping;  /* in keepaliveNext (a leader answers synchronously) */
};

static void keepaliveNext(struct grpc_call *call);

/* Frees the state; the caller then ends the call. */
static void keepaliveFree(struct grpc_call *call)
{
    struct keepalive *k = call->ctx;
    call->ctx = NULL;
    if (k != NULL) {
        free(k->ids);
        free(k);
    }
}

static void keepaliveFail(struct grpc_call *call, int code)
{
    keepaliveFree(call);
    grpcFail(call, code, NULL);
}

static void keepaliveCb(struct server_lease *q, int status)
{
    struct grpc_call *call = q->data;
    struct keepalive *k = call->ctx;
    if (k == NULL) {
        grpcRelease(call); /* the stream ended meanwhile */
        return;
    }
    k->inflight = false;
    if (status == 0 || status == ETCFS_LEASE_NOTFOUND) {
        Etcdserverpb__LeaseKeepAliveResponse r =
            ETCDSERVERPB__LEASE_KEEP_ALIVE_RESPONSE__INIT;
        Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
        grpcHeader(call, &h, k->rev);
        r.header = &h;
        r.id = q->id;
        r.ttl = status == 0 ? q->ttl : 0;
        if (grpcSend(call, &r.base) == ETCFS_NOMEM) {
            keepaliveFail(call, ETCFS_NOMEM);
        }
        /* ETCFS_CANCELED: the client is gone; the end hook runs */
    } else {
        keepaliveFail(call, status);
    }
    if (call->ctx != NULL && !k->looping) {
        keepaliveNext(call);
    }
    grpcRelease(call);
}

/* Starts the next waiting request unless one is in flight; once none is
 * left and the client ended its side, ends the stream. */
static void keepaliveNext(struct grpc_call *call)
{
    struct keepalive *k = call->ctx;
    grpcHold(call); /* the call may be ended below */
    k->looping = true;
    while (call->ctx != NULL && !k->inflight && k->head < k->n) {
        int rv;
        memset(&call->lease, 0, sizeof call->lease);
        call->lease.data = call;
        call->lease.cb = keepaliveCb;
        call->lease.op = SERVER_LEASE_KEEPALIVE;
        call->lease.id = k->ids[k->head++];
        /* etcd fills the header before renewing, so its revision is never
         * past the renewal's (a revoke at rev 3 is not followed by a
         * successful keep-alive at rev 4) */
        k->rev = storeRevision(grpcDeps(call)->store);
        k->inflight = true;
        grpcHold(call); /* released by keepaliveCb */
        rv = serverLease(grpcDeps(call)->server, &call->lease);
        if (rv != 0) {
            k->inflight = false;
            grpcRelease(call);
            keepaliveFail(call, rv);
        }
    }
    if (call->ctx != NULL) {
        k->looping = false;
        if (k->head == k->n) {
            k->head = k->n = 0;
            if (call->half_closed && !k->inflight && !call->gone) {
                keepaliveFree(call);
                grpcFinish(call);
            }
        }
    }
    grpcRelease(call);
}

void grpcLeaseKeepAliveStart(struct grpc_call *call, const uint8_t *m,
                             size_t n)
{
    struct keepalive *k;
    (void)m;
    (void)n;
    k = calloc(1, sizeof *k); /* ("hasleader: true" is grpc.c's check) */
    if (k == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    call->ctx = k;
}

void grpcLeaseKeepAliveMessage(struct grpc_call *call, const uint8_t *m,
                               size_t n)
{
    struct keepalive *k = call->ctx;
    Etcdserverpb__LeaseKeepAliveRequest *q;
    if (k == NULL) {
        return; /* ended: nothing more is served */
    }
    q = grpcUnpack(call, &etcdserverpb__lease_keep_alive_request__descriptor,
                   m, n);
    if (q == NULL) {
        keepaliveFree(call); /* the call was failed */
        return;
    }
    if (k->n - k->head >= GRPC__KEEPALIVE_QUEUE) {
        etcdserverpb__lease_keep_alive_request__free_unpacked(q, NULL);
        keepaliveFail(call, ETCFS_BUSY);
        return;
    }
    if (k->n == k->cap && k->head > 0) {
        memmove(k->ids, k->ids + k->head, (k->n - k->head) * sizeof *k->ids);
        k->n -= k->head;
        k->head = 0;
    }
    if (k->n == k->cap) {
        size_t ncap = k->cap == 0 ? 4 : k->cap * 2;
        int64_t *ids = realloc(k->ids, ncap * sizeof *ids);
        if (ids == NULL) {
            etcdserverpb__lease_keep_alive_request__free_unpacked(q, NULL);
            keepaliveFail(call, ETCFS_NOMEM);
            return;
        }
        k->ids = ids;
        k->cap = ncap;
    }
    k->ids[k->n++] = q->id;
    etcdserverpb__lease_keep_alive_request__free_unpacked(q, NULL);
    if (!k->looping) {
        keepaliveNext(call);
    }
}

void grpcLeaseKeepAliveHalfClose(struct grpc_call *call)
{
    struct keepalive *k = call->ctx;
    if (k == NULL) {
        return;
    }
    if (!k->looping) {
        keepaliveNext(call); /* ends it once nothing is left */
    }
}

void grpcLeaseKeepAliveEnd(struct grpc_call *call)
{
    /* a renewal in flight holds its own reference: its callback finds no
     * state and only releases it */
    keepaliveFree(call);
    grpcFinish(call);
}
