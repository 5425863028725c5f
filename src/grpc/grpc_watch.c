/* etcdserverpb.Watch over gRPC: one bidirectional stream carries many
 * watches. Requests (create, cancel, progress) are served in order as
 * they arrive; the watches themselves are the request path's watch stream
 * (src/server/watch_stream.c, shared with the JSON gateway), whose events
 * and cancellations come back here as WatchResponses, fragmented when the
 * watch asked for it (etcd 3.4 v3rpc/watch.go sendFragments). A client
 * that lets more than GRPC_WATCH__MAX_QUEUED bytes pile up is cut, as the
 * gateway cuts its streams. Loop thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/metrics.h"
#include "../lib/log.h"
#include "../server/watch_stream.h"
#include "../store/store.h"
#include "grpc_codec.h"
#include "grpc_internal.h"

/* Bytes queued for a watch client beyond which it is cut (the gateway's
 * API__MAX_WRITE_QUEUE). */
#define GRPC_WATCH__MAX_QUEUED (64u << 20)
/* etcd's watch server fragments above --max-request-bytes plus gRPC's
 * overhead allowance (embed/config.go grpcOverheadBytes). */
#define GRPC_WATCH__OVERHEAD_BYTES (512 * 1024)

struct grpc_watch
{
    struct watch_stream ws;
    struct grpc_call *call;
    /* Ending the stream from a hub callback waits for the next loop
     * iteration: the hub's callbacks must not free watchers (watch.h). */
    uv_timer_t later;
    bool dead;    /* ending: callbacks and requests are ignored */
    int end_code; /* 0: cut (too slow), else the error to fail with */
};

static void laterClosedCb(uv_handle_t *h)
{
    free(h->data);
}

/* Releases every watch of the stream and its state (never from inside a
 * hub callback). */
static void watchRelease(struct grpc_call *call)
{
    struct grpc_watch *gw = call->ctx;
    if (gw == NULL) {
        return;
    }
    watchStreamClose(&gw->ws);
    METRICS_ADD(grpcDeps(call)->metrics, watch_streams, -1);
    call->ctx = NULL;
    uv_close((uv_handle_t *)&gw->later, laterClosedCb);
}

static void laterCb(uv_timer_t *t)
{
    struct grpc_watch *gw = t->data;
    struct grpc_call *call = gw->call;
    int code = gw->end_code;
    watchRelease(call);
    if (code == 0) {
        grpcAbort(call);
    } else {
        grpcFail(call, code, NULL);
    }
}

/* Ends the stream at the next loop iteration: code 0 resets it (a client
 * too slow), else fails it with code. */
static void watchEndLater(struct grpc_watch *gw, int code)
{
    if (gw->dead) {
        return;
    }
    gw->dead = true;
    gw->end_code = code;
    (void)uv_timer_start(&gw->later, laterCb, 0, 0); /* 0 on an open timer */
}

/* Sends one response; a client too slow to take them is cut (its watches
 * released, the stream reset). 0 or ETCFS_CANCELED. */
static int watchSend(struct grpc_call *call, Etcdserverpb__WatchResponse *r)
{
    struct grpc_watch *gw = call->ctx;
    int rv;
    if (gw == NULL || gw->dead) {
        return ETCFS_CANCELED;
    }
    if (grpcQueued(call) > GRPC_WATCH__MAX_QUEUED) {
        warnf("grpc: watch client too slow, closing its stream");
        watchEndLater(gw, 0);
        return ETCFS_CANCELED;
    }
    rv = grpcSend(call, &r->base);
    if (rv == ETCFS_NOMEM) {
        watchEndLater(gw, ETCFS_NOMEM);
    }
    return rv;
}

/* A response of watch id with a header at revision (0 current, -1 none). */
static void watchResponse(struct grpc_call *call,
                          Etcdserverpb__WatchResponse *r,
                          Etcdserverpb__ResponseHeader *h, int64_t id,
                          int64_t revision)
{
    etcdserverpb__watch_response__init(r);
    etcdserverpb__response_header__init(h);
    grpcHeader(call, h, revision);
    r->header = h;
    r->watch_id = id;
}

/* etcd's sendFragments: a response at or over the limit with more than
 * one event goes as several, each but the last marked fragment. */
static int sendFragments(struct grpc_call *call,
                         Etcdserverpb__WatchResponse *r, size_t max)
{
    Mvccpb__Event **all = r->events;
    size_t n = r->n_events;
    size_t idx = 0;
    int rv = 0;
    if (n < 2 || protobuf_c_message_get_packed_size(&r->base) < max) {
        return watchSend(call, r);
    }
    while (idx < n && rv == 0) {
        size_t k = 0;
        r->events = all + idx;
        r->n_events = 0;
        r->fragment = true;
        while (idx + k < n) {
            r->n_events = k + 1;
            if (k + 1 > 1 &&
                protobuf_c_message_get_packed_size(&r->base) >= max) {
                r->n_events = k;
                break;
            }
            k++;
        }
        idx += k;
        if (idx == n) {
            r->fragment = false; /* the last one */
        }
        rv = watchSend(call, r);
    }
    r->events = all;
    r->n_events = n;
    return rv;
}

static void watchEventsCb(struct watch_stream *s, struct watch_entry *e,
                          const struct store_event *events, size_t n,
                          int64_t revision)
{
    struct grpc_watch *gw = s->data;
    struct grpc_call *call = gw->call;
    Etcdserverpb__WatchResponse r;
    Etcdserverpb__ResponseHeader h;
    struct arena a = {0};
    size_t i;
    watchResponse(call, &r, &h, e->id, revision);
    r.events = arenaAlloc(&a, n * sizeof *r.events);
    for (i = 0; r.events != NULL && i < n; i++) {
        r.events[i] = grpcCodecEventNew(&a, &events[i]);
        if (r.events[i] == NULL) {
            r.events = NULL;
        }
    }
    if (r.events == NULL) {
        arenaClear(&a);
        watchEndLater(gw, ETCFS_NOMEM);
        return;
    }
    r.n_events = n;
    if (e->fragment) {
        size_t max = (size_t)grpcDeps(call)->config->max_request_bytes +
                     GRPC_WATCH__OVERHEAD_BYTES;
        (void)sendFragments(call, &r, max); /* a failure ended the call */
    } else {
        (void)watchSend(call, &r);
    }
    arenaClear(&a);
}

static void watchCanceledCb(struct watch_stream *s, struct watch_entry *e,
                            int code, int64_t compact_rev)
{
    struct grpc_watch *gw = s->data;
    Etcdserverpb__WatchResponse r;
    Etcdserverpb__ResponseHeader h;
    /* etcd's compacted response has no revision in its header */
    watchResponse(gw->call, &r, &h, e->id,
                  code == ETCFS_COMPACTED ? -1 : 0);
    r.canceled = true;
    r.compact_revision = compact_rev;
    if (code != ETCFS_COMPACTED) {
        r.cancel_reason = (char *)(uintptr_t)etcfsStrerror(code);
    }
    (void)watchSend(gw->call, &r);
}

static void watchProgressCb(struct watch_stream *s, struct watch_entry *e,
                            int64_t revision)
{
    struct grpc_watch *gw = s->data;
    Etcdserverpb__WatchResponse r;
    Etcdserverpb__ResponseHeader h;
    watchResponse(gw->call, &r, &h, e->id, revision);
    (void)watchSend(gw->call, &r);
}

void grpcWatchStart(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    const struct grpc_deps *d = grpcDeps(call);
    struct grpc_watch *gw;
    (void)msg;
    (void)n;
    gw = calloc(1, sizeof *gw);
    if (gw == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    if (uv_timer_init(d->loop, &gw->later) != 0) {
        free(gw);
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    gw->later.data = gw;
    gw->call = call;
    gw->ws.data = gw;
    gw->ws.server = d->server;
    gw->ws.hub = d->hub;
    gw->ws.store = d->store;
    gw->ws.events_cb = watchEventsCb;
    gw->ws.canceled_cb = watchCanceledCb;
    gw->ws.progress_cb = watchProgressCb;
    watchStreamInit(&gw->ws);
    call->ctx = gw;
    METRICS_ADD(d->metrics, watch_streams, 1);
}

static void watchCreate(struct grpc_call *call,
                        const Etcdserverpb__WatchCreateRequest *cr)
{
    struct grpc_watch *gw = call->ctx;
    struct watch_create c;
    struct watch_created out;
    Etcdserverpb__WatchResponse r;
    Etcdserverpb__ResponseHeader h;
    size_t i;
    int rv;
    memset(&c, 0, sizeof c);
    c.key = (const char *)cr->key.data;
    c.key_len = cr->key.len;
    c.range_end = (const char *)cr->range_end.data;
    c.range_end_len = cr->range_end.len;
    c.start_revision = cr->start_revision;
    c.watch_id = cr->watch_id;
    c.prev_kv = cr->prev_kv;
    c.progress_notify = cr->progress_notify;
    c.fragment = cr->fragment;
    for (i = 0; i < cr->n_filters; i++) {
        if (cr->filters[i] ==
            ETCDSERVERPB__WATCH_CREATE_REQUEST__FILTER_TYPE__NOPUT) {
            c.no_put = true;
        } else if (cr->filters[i] ==
                   ETCDSERVERPB__WATCH_CREATE_REQUEST__FILTER_TYPE__NODELETE) {
            c.no_delete = true;
        }
    }
    rv = watchStreamCreate(&gw->ws, &call->who, &c, &out);
    if (rv != 0) {
        /* the gateway sends a stream error; gRPC's stream has no such
         * message: created and canceled with the error's text */
        out.id = -1;
        out.revision = 0;
        out.canceled = true;
        snprintf(out.reason, sizeof out.reason, "%s",
                 rv == ETCFS_BUSY ? "etcdserver: too many watchers"
                                  : etcfsStrerror(rv));
        out.compacted = false;
    }
    watchResponse(call, &r, &h, out.id, out.revision);
    r.created = true;
    if (out.canceled) {
        r.canceled = true;
        r.cancel_reason = out.reason;
    }
    if (watchSend(call, &r) != 0 || !out.compacted) {
        return;
    }
    watchResponse(call, &r, &h, out.id, -1);
    r.canceled = true;
    r.compact_revision = out.compact_revision;
    (void)watchSend(call, &r);
}

void grpcWatchMessage(struct grpc_call *call, const uint8_t *msg, size_t n)
{
    struct grpc_watch *gw = call->ctx;
    Etcdserverpb__WatchRequest *m;
    Etcdserverpb__WatchResponse r;
    Etcdserverpb__ResponseHeader h;
    if (gw == NULL || gw->dead) {
        return;
    }
    m = grpcUnpack(call, &etcdserverpb__watch_request__descriptor, msg, n);
    if (m == NULL) {
        /* etcd: a Recv error ends the stream (grpcUnpack failed it) */
        watchRelease(call);
        return;
    }
    switch (m->request_union_case) {
        case ETCDSERVERPB__WATCH_REQUEST__REQUEST_UNION_CREATE_REQUEST:
            watchCreate(call, m->create_request);
            break;
        case ETCDSERVERPB__WATCH_REQUEST__REQUEST_UNION_CANCEL_REQUEST: {
            int64_t id = m->cancel_request->watch_id;
            if (watchStreamCancel(&gw->ws, id) == 0) {
                watchResponse(call, &r, &h, id, 0);
                r.canceled = true;
                (void)watchSend(call, &r);
            }
            break;
        }
        case ETCDSERVERPB__WATCH_REQUEST__REQUEST_UNION_PROGRESS_REQUEST:
            /* etcd: watch id -1, broadcast to the whole stream */
            watchResponse(call, &r, &h, -1, 0);
            (void)watchSend(call, &r);
            break;
        default:
            break; /* etcd ignores a request it does not know */
    }
    etcdserverpb__watch_request__free_unpacked(m, NULL);
}

void grpcWatchHalfClose(struct grpc_call *call)
{
    /* etcd keeps sending events after the client closed its side; the
     * stream ends when the client goes away (grpcWatchEnd) */
    (void)call;
}

void grpcWatchEnd(struct grpc_call *call)
{
    watchRelease(call);
    grpcFinish(call);
}
