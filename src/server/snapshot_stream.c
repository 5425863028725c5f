/* The snapshot stream (see snapshot_stream.h): a batch of etcd's backend
 * file is read on the libuv pool, handed out in chunks by the front end's
 * pump on the loop, then the next batch is read. Loop thread, except
 * streamWorkCb, which runs on the pool over the pinned snapshot and the
 * stream's buffer only (the loop leaves them alone while working). */
#include "snapshot_stream.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the file read on the pool at once. */
#define SNAPSHOT_STREAM__BATCH ((size_t)1 << 20)

static void streamWorkCb(uv_work_t *w)
{
    struct snapshot_stream *s = w->data;
    s->status = 0;
    if (s->bolt == NULL) {
        s->status = storeBoltOpen(s->snap, &s->bolt, s->errmsg);
        if (s->status != 0) {
            return;
        }
        s->size = storeBoltSize(s->bolt);
    }
    s->status = storeBoltRead(s->bolt, s->buf, SNAPSHOT_STREAM__BATCH,
                              &s->len, s->errmsg);
    s->eof = s->len < SNAPSHOT_STREAM__BATCH;
    s->off = 0;
}

static void streamTimerClosedCb(uv_handle_t *h)
{
    struct snapshot_stream *s = h->data;
    s->close_cb(s);
}

/* Finishes a close once no batch is on the pool. */
static void streamMaybeClose(struct snapshot_stream *s)
{
    if (!s->closing || s->working) {
        return;
    }
    storeBoltClose(s->bolt);
    s->bolt = NULL;
    if (s->snap != NULL) {
        storeSnapshotRelease(s->snap);
        s->snap = NULL;
    }
    free(s->buf);
    s->buf = NULL;
    if (s->timer_open) {
        s->timer_open = false;
        uv_close((uv_handle_t *)&s->timer, streamTimerClosedCb);
        return;
    }
    s->close_cb(s);
}

static void streamAfterWorkCb(uv_work_t *w, int status);

/* Reads the next batch on the pool. */
static int streamQueue(struct snapshot_stream *s)
{
    if (uv_queue_work(s->loop, &s->work, streamWorkCb, streamAfterWorkCb) !=
        0) {
        etcfsErrmsgf(s->errmsg, "snapshot: cannot queue work");
        return ETCFS_IO;
    }
    s->working = true;
    return 0;
}

/* The pump's tick: the front end takes what its client can take; once
 * the batch is all taken, the next one is read (or the file ended). */
static void streamTimerCb(uv_timer_t *t)
{
    struct snapshot_stream *s = t->data;
    s->cb(s, SNAPSHOT_STREAM_CHUNKS);
    if (s->closing || s->off < s->len) {
        return; /* closed, or the client reads slowly: the next tick */
    }
    (void)uv_timer_stop(t);
    if (s->eof) {
        s->cb(s, SNAPSHOT_STREAM_EOF);
        return;
    }
    s->status = streamQueue(s);
    if (s->status != 0) {
        s->cb(s, SNAPSHOT_STREAM_ERROR);
    }
}

static void streamAfterWorkCb(uv_work_t *w, int status)
{
    struct snapshot_stream *s = w->data;
    s->working = false;
    if (s->closing) {
        streamMaybeClose(s);
        return;
    }
    if (status != 0 || s->status != 0) {
        if (s->status == 0) {
            s->status = ETCFS_CANCELED; /* uv_cancel: never called here */
        }
        s->cb(s, SNAPSHOT_STREAM_ERROR);
        return;
    }
    (void)uv_timer_start(&s->timer, streamTimerCb, 0, 1);
}

int snapshotStreamStart(struct snapshot_stream *s, uv_loop_t *loop,
                        struct store *store, snapshot_stream_cb cb)
{
    void *data = s->data;
    int rv;
    memset(s, 0, sizeof *s);
    s->data = data;
    s->loop = loop;
    s->cb = cb;
    s->buf = malloc(SNAPSHOT_STREAM__BATCH);
    if (s->buf == NULL) {
        return s->status = ETCFS_NOMEM;
    }
    rv = storeSnapshotTake(store, &s->snap, s->errmsg);
    if (rv != 0) {
        s->snap = NULL;
        return s->status = rv;
    }
    if (uv_timer_init(loop, &s->timer) != 0) {
        return s->status = ETCFS_IO;
    }
    s->timer.data = s;
    s->timer_open = true;
    s->work.data = s;
    return s->status = streamQueue(s);
}

bool snapshotStreamReady(const struct snapshot_stream *s)
{
    return !s->closing && s->off < s->len;
}

void snapshotStreamNext(struct snapshot_stream *s, struct snapshot_chunk *c)
{
    size_t n = s->len - s->off;
    assert(snapshotStreamReady(s));
    if (n > SNAPSHOT_STREAM_CHUNK) {
        n = SNAPSHOT_STREAM_CHUNK;
    }
    /* the file's bytes, then its hash alone in the last chunk */
    if (s->sent < s->size && s->sent + n > s->size) {
        n = (size_t)(s->size - s->sent);
    }
    c->bytes = s->buf + s->off;
    c->len = n;
    c->remaining_bytes = s->sent + n < s->size ? s->size - (s->sent + n) : 0;
    s->off += n;
    s->sent += n;
}

void snapshotStreamClose(struct snapshot_stream *s,
                         snapshot_stream_close_cb cb)
{
    assert(!s->closing && cb != NULL);
    s->closing = true;
    s->close_cb = cb;
    if (s->timer_open) {
        (void)uv_timer_stop(&s->timer);
    }
    streamMaybeClose(s);
}
