/* Maintenance.Snapshot (etcd 3.4 etcdserver/api/v3rpc/maintenance.go):
 * the store at one revision as etcd's backend file (a bbolt database,
 * src/store/store_bolt.c), streamed as SnapshotResponse messages of 32 KiB
 * blobs (etcd's snapshotSendBufferSize) whose remaining_bytes count what
 * is left of the file, then one message holding the file's SHA-256, which
 * `etcdctl snapshot save` checks. The file is produced on the libuv pool a
 * batch at a time, and the next batch only once the client took the last
 * one (grpcQueued): memory stays bounded whatever the store's size. Loop
 * thread only (the pool runs the store's part). */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../store/store.h"
#include "grpc_internal.h"

#define GRPC__SNAP_CHUNK (32u << 10)
#define GRPC__SNAP_BATCH ((size_t)1 << 20)
#define GRPC__SNAP_QUEUE ((size_t)4 << 20)

struct grpc_snap
{
    struct grpc_call *call;
    struct store_snapshot *snap; /* pinned until the stream ends */
    struct store_bolt *bolt;     /* pool: opened by the first batch */
    uv_work_t work;
    uv_timer_t timer;            /* the pump: sends while the client reads */
    unsigned char *buf;          /* one batch */
    size_t len;
    size_t off;
    uint64_t size;               /* of the file, the SHA-256 not counted */
    uint64_t sent;
    int status;
    char errmsg[ETCFS_ERRMSG_SIZE];
    bool working;
    bool ended; /* the end hook ran while the pool worked */
    bool eof;   /* the last batch is in buf */
};

static void snapTimerClosedCb(uv_handle_t *h)
{
    struct grpc_snap *s = h->data;
    free(s->buf);
    free(s);
}

/* Frees everything (the timer asynchronously) and gives the call back. */
static void snapDone(struct grpc_snap *s, int code, const char *msg)
{
    struct grpc_call *call = s->call;
    call->ctx = NULL;
    storeBoltClose(s->bolt);
    s->bolt = NULL;
    storeSnapshotRelease(s->snap);
    s->snap = NULL;
    uv_close((uv_handle_t *)&s->timer, snapTimerClosedCb);
    if (code == 0) {
        grpcFinish(call);
    } else {
        grpcFail(call, code, msg);
    }
}

static void snapWorkCb(uv_work_t *w)
{
    struct grpc_snap *s = w->data;
    s->status = 0;
    if (s->bolt == NULL) {
        s->status = storeBoltOpen(s->snap, &s->bolt, s->errmsg);
        if (s->status != 0) {
            return;
        }
        s->size = storeBoltSize(s->bolt);
    }
    s->status = storeBoltRead(s->bolt, s->buf, GRPC__SNAP_BATCH, &s->len,
                              s->errmsg);
    s->eof = s->len < GRPC__SNAP_BATCH;
    s->off = 0;
}

static void snapAfterWorkCb(uv_work_t *w, int status);

static void snapPumpCb(uv_timer_t *t)
{
    struct grpc_snap *s = t->data;
    struct grpc_call *call = s->call;
    while (s->off < s->len) {
        Etcdserverpb__SnapshotResponse resp =
            ETCDSERVERPB__SNAPSHOT_RESPONSE__INIT;
        Etcdserverpb__ResponseHeader hdr;
        size_t n = s->len - s->off;
        int rv;
        if (call->gone) {
            (void)uv_timer_stop(t); /* the end hook frees the rest */
            return;
        }
        if (grpcQueued(call) > GRPC__SNAP_QUEUE) {
            return; /* the client reads slowly: resume on the next tick */
        }
        if (n > GRPC__SNAP_CHUNK) {
            n = GRPC__SNAP_CHUNK;
        }
        /* the file's bytes, then its hash alone in the last message */
        if (s->sent < s->size && s->sent + n > s->size) {
            n = (size_t)(s->size - s->sent);
        }
        etcdserverpb__response_header__init(&hdr);
        grpcHeader(call, &hdr, 0);
        resp.header = &hdr;
        resp.remaining_bytes =
            s->sent + n < s->size ? s->size - (s->sent + n) : 0;
        resp.blob.data = s->buf + s->off;
        resp.blob.len = n;
        rv = grpcSend(call, &resp.base);
        if (rv == ETCFS_CANCELED) {
            (void)uv_timer_stop(t);
            return;
        }
        if (rv != 0) {
            (void)uv_timer_stop(t);
            snapDone(s, rv, NULL);
            return;
        }
        s->off += n;
        s->sent += n;
    }
    (void)uv_timer_stop(t);
    if (s->eof) {
        snapDone(s, 0, NULL);
        return;
    }
    if (uv_queue_work(grpcDeps(call)->loop, &s->work, snapWorkCb,
                      snapAfterWorkCb) != 0) {
        snapDone(s, ETCFS_IO, "snapshot: cannot queue work");
        return;
    }
    s->working = true;
}

static void snapAfterWorkCb(uv_work_t *w, int status)
{
    struct grpc_snap *s = w->data;
    s->working = false;
    if (s->ended) {
        snapDone(s, 0, NULL); /* the client is gone: nothing is sent */
        return;
    }
    if (status != 0 || s->status != 0) {
        snapDone(s, s->status != 0 ? s->status : ETCFS_CANCELED, s->errmsg);
        return;
    }
    (void)uv_timer_start(&s->timer, snapPumpCb, 0, 1);
}

void grpcSnapshotEnd(struct grpc_call *call)
{
    struct grpc_snap *s = call->ctx;
    if (s == NULL) {
        grpcFinish(call);
        return;
    }
    (void)uv_timer_stop(&s->timer);
    if (s->working) {
        s->ended = true; /* freed when the pool's batch is back */
        return;
    }
    snapDone(s, 0, NULL);
}

void grpcSnapshot(struct grpc_call *call, const uint8_t *msg, size_t len)
{
    const struct grpc_deps *d = grpcDeps(call);
    struct grpc_snap *s;
    int rv;
    (void)msg; /* SnapshotRequest has no fields */
    (void)len;
    s = calloc(1, sizeof *s);
    if (s != NULL) {
        s->buf = malloc(GRPC__SNAP_BATCH);
    }
    if (s == NULL || s->buf == NULL) {
        free(s);
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    s->call = call;
    rv = storeSnapshotTake(d->store, &s->snap, s->errmsg);
    if (rv != 0) {
        grpcFail(call, rv, s->errmsg);
        free(s->buf);
        free(s);
        return;
    }
    if (uv_timer_init(d->loop, &s->timer) != 0) {
        storeSnapshotRelease(s->snap);
        free(s->buf);
        free(s);
        grpcFail(call, ETCFS_IO, NULL);
        return;
    }
    s->timer.data = s;
    s->work.data = s;
    call->ctx = s;
    if (uv_queue_work(d->loop, &s->work, snapWorkCb, snapAfterWorkCb) != 0) {
        snapDone(s, ETCFS_IO, "snapshot: cannot queue work");
        return;
    }
    s->working = true;
}
