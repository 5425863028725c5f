/* etcd's Maintenance.Snapshot stream for every front end (gRPC and the
 * JSON gateway): pins the store's state on the loop, produces etcd's
 * backend file from it (a bbolt database, src/store/store_bolt.c) on the
 * libuv pool a batch at a time, and hands it out in chunks as etcd's
 * SnapshotResponse carries them: 32 KiB blobs (etcd's
 * snapshotSendBufferSize) whose remaining_bytes count what is left of the
 * file, then one chunk holding the file's SHA-256 alone, which `etcdctl
 * snapshot save` checks. The next batch is read only once the front end
 * took the last one, so memory stays bounded whatever the store's size.
 *
 * The front end keeps its pump (how a chunk is encoded and sent, how much
 * its client has not read yet) and its end: the stream calls it back with
 * chunks, at the end of the file or with an error. Loop thread only (the
 * pool runs the store's part); never blocks. */
#ifndef ETCFS_SERVER_SNAPSHOT_STREAM_H
#define ETCFS_SERVER_SNAPSHOT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../core/error.h"
#include "../store/store.h"

/* Bytes of the file one chunk carries at most (etcd's
 * snapshotSendBufferSize). */
#define SNAPSHOT_STREAM_CHUNK (32u << 10)
/* A front end takes no more chunks while this much is queued for its
 * client and not yet written: the stream asks again on the next tick. */
#define SNAPSHOT_STREAM_QUEUE_MAX ((size_t)4 << 20)

struct snapshot_stream;

enum snapshot_stream_event {
    /* Chunks are ready: take them (snapshotStreamReady, snapshotStreamNext)
     * while the client keeps up. Chunks left untaken are offered again on
     * the next tick of the loop (1 ms); once all are taken the stream reads
     * the next batch, or reports SNAPSHOT_STREAM_EOF. */
    SNAPSHOT_STREAM_CHUNKS,
    /* The last chunk (the SHA-256) was taken: end the stream. */
    SNAPSHOT_STREAM_EOF,
    /* Producing the file failed (status and errmsg say why): end the
     * stream with the error. */
    SNAPSHOT_STREAM_ERROR
};

/* Called on the loop; may call snapshotStreamClose. Nothing more is
 * reported after EOF or ERROR. */
typedef void (*snapshot_stream_cb)(struct snapshot_stream *s,
                                   enum snapshot_stream_event ev);
/* s is closed: nothing in flight touches it any more; the front end may
 * free it. */
typedef void (*snapshot_stream_close_cb)(struct snapshot_stream *s);

/* Caller-owned; lives until the close callback. */
struct snapshot_stream
{
    void *data; /* the front end's */
    /* SNAPSHOT_STREAM_ERROR, or a failed snapshotStreamStart: an ETCFS_*
     * code and its text ("" when the table's says it) */
    int status;
    char errmsg[ETCFS_ERRMSG_SIZE];
    /* private */
    uv_loop_t *loop;
    snapshot_stream_cb cb;
    snapshot_stream_close_cb close_cb;
    struct store_snapshot *snap; /* pinned until the stream closes */
    struct store_bolt *bolt;     /* pool: opened by the first batch */
    uv_work_t work;
    uv_timer_t timer;            /* offers untaken chunks again */
    unsigned char *buf;          /* one batch */
    size_t len;
    size_t off;
    uint64_t size; /* of the file, the SHA-256 not counted */
    uint64_t sent;
    bool timer_open;
    bool working; /* a batch is being read on the pool */
    bool closing;
    bool eof; /* the last batch is in buf */
};

/* One chunk: bytes (borrowed until the callback that took it returns)
 * and what is left of the file after them (0 for the SHA-256). */
struct snapshot_chunk
{
    const unsigned char *bytes;
    size_t len;
    uint64_t remaining_bytes;
};

/* Pins store's state (borrowed until the close callback) and starts
 * reading the first batch on loop's pool; cb reports from then on. 0, or
 * an ETCFS_* code with s->errmsg (storeSnapshotTake's text, "snapshot:
 * cannot queue work", or "" for the table's). Either way s is closed with
 * snapshotStreamClose. data is left as the caller set it. */
int snapshotStreamStart(struct snapshot_stream *s, uv_loop_t *loop,
                        struct store *store, snapshot_stream_cb cb);

/* True while a chunk of the current batch is left to take (never once s
 * is closing). */
bool snapshotStreamReady(const struct snapshot_stream *s);
/* Takes the next chunk; snapshotStreamReady(s) must be true. */
void snapshotStreamNext(struct snapshot_stream *s, struct snapshot_chunk *c);

/* Ends the stream: stops the pump, releases the store's state and calls
 * cb once nothing is in flight (after a batch on the pool is back, the
 * timer closed): at once when nothing was started, else on a later loop
 * iteration. Safe from within the stream's callback and at any time after
 * snapshotStreamStart; once only. */
void snapshotStreamClose(struct snapshot_stream *s,
                         snapshot_stream_close_cb cb);

#endif /* ETCFS_SERVER_SNAPSHOT_STREAM_H */
