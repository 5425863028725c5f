/* Maintenance.Snapshot (etcd 3.4 etcdserver/api/v3rpc/maintenance.go):
 * the store at one revision as etcd's backend file, produced by
 * src/server/snapshot_stream.c and sent as SnapshotResponse messages (a
 * blob, remaining_bytes) while the client reads (grpcQueued). Loop thread
 * only. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../server/snapshot_stream.h"
#include "grpc_internal.h"

static void snapClosedCb(struct snapshot_stream *s)
{
    struct grpc_call *call = s->data;
    free(s);
    grpcRelease(call); /* the stream's reference */
}

/* Gives the call back (code 0: OK) and closes the stream, which keeps a
 * reference on the call until a batch still on the pool is back. */
static void snapDone(struct snapshot_stream *s, int code, const char *msg)
{
    struct grpc_call *call = s->data;
    call->ctx = NULL;
    if (code == 0) {
        grpcFinish(call);
    } else {
        grpcFail(call, code, msg);
    }
    snapshotStreamClose(s, snapClosedCb);
}

/* The pump: chunks while the client keeps up, then the stream's end. */
static void snapEventCb(struct snapshot_stream *s,
                        enum snapshot_stream_event ev)
{
    struct grpc_call *call = s->data;
    struct snapshot_chunk c;
    if (ev == SNAPSHOT_STREAM_ERROR) {
        snapDone(s, s->status, s->errmsg);
        return;
    }
    if (ev == SNAPSHOT_STREAM_EOF) {
        snapDone(s, 0, NULL);
        return;
    }
    while (snapshotStreamReady(s)) {
        Etcdserverpb__SnapshotResponse resp =
            ETCDSERVERPB__SNAPSHOT_RESPONSE__INIT;
        Etcdserverpb__ResponseHeader hdr;
        int rv;
        if (grpcQueued(call) > SNAPSHOT_STREAM_QUEUE_MAX) {
            return; /* the client reads slowly: resume on the next tick */
        }
        snapshotStreamNext(s, &c);
        etcdserverpb__response_header__init(&hdr);
        grpcHeader(call, &hdr, 0);
        resp.header = &hdr;
        resp.remaining_bytes = c.remaining_bytes;
        resp.blob.data = (uint8_t *)c.bytes;
        resp.blob.len = c.len;
        rv = grpcSend(call, &resp.base);
        if (rv == ETCFS_CANCELED) {
            return; /* the client is gone: the end hook closed s */
        }
        if (rv != 0) {
            snapDone(s, rv, NULL);
            return;
        }
    }
}

/* The client went away, or grpc.c fails the call: its status goes with
 * the finish. */
void grpcSnapshotEnd(struct grpc_call *call)
{
    struct snapshot_stream *s = call->ctx;
    if (s == NULL) {
        grpcFinish(call); /* failed before the handler started */
        return;
    }
    snapDone(s, 0, NULL);
}

void grpcSnapshot(struct grpc_call *call, const uint8_t *msg, size_t len)
{
    const struct grpc_deps *d = grpcDeps(call);
    struct snapshot_stream *s;
    (void)msg; /* SnapshotRequest has no fields */
    (void)len;
    s = calloc(1, sizeof *s);
    if (s == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    s->data = call;
    grpcHold(call); /* until the stream closed: snapClosedCb */
    call->ctx = s;
    if (snapshotStreamStart(s, d->loop, d->store, snapEventCb) != 0) {
        snapDone(s, s->status, s->errmsg);
    }
}
