/* One client's watch stream, protocol-free: the watches multiplexed on it
 * with etcd 3.4's rules (v3rpc/watch.go recvLoop, mvcc/watcher.go): a
 * create checks the caller's read permission, the range (key < range_end)
 * and a requested id, assigns the next free id, and registers a watcher
 * with the hub (a start revision already compacted: created, then canceled
 * with the compact revision); a cancel removes one; closing the stream
 * releases every watcher. The front ends (JSON gateway, gRPC) translate
 * requests in and report outcomes and events out in their wire format.
 * Loop thread only. */
#ifndef ETCFS_WATCH_STREAM_H
#define ETCFS_WATCH_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"
#include "../lib/queue.h"
#include "authn.h"
#include "watch.h"

/* Watches one stream may hold (beyond: ETCFS_BUSY). */
#define WATCH_STREAM_MAX 1024

struct watch_stream;

/* One watch of a stream. */
struct watch_entry
{
    struct watcher w; /* w.data is the entry */
    struct watch_stream *stream;
    int64_t id;
    bool progress_notify; /* etcd's progress notifications (progress_cb) */
    bool fragment;
    /* private */
    char *key;
    char *range_end;
    queue link;
};

/* Events for e (borrowed for the call; see watcher_events_cb). */
typedef void (*watch_stream_events_cb)(struct watch_stream *s,
                                       struct watch_entry *e,
                                       const struct store_event *events,
                                       size_t n, int64_t revision);
/* The hub ended e: ETCFS_COMPACTED (compact_revision set) or another
 * error. e is removed from the stream and freed after the call. */
typedef void (*watch_stream_canceled_cb)(struct watch_stream *s,
                                         struct watch_entry *e, int code,
                                         int64_t compact_revision);

/* etcd's progress notification for e, which asked for them: answer
 * {watch_id, header at revision}. */
typedef void (*watch_stream_progress_cb)(struct watch_stream *s,
                                         struct watch_entry *e,
                                         int64_t revision);

struct watch_stream
{
    void *data;
    struct server *server; /* borrowed, for permission checks */
    struct watch_hub *hub; /* borrowed */
    struct store *store;   /* borrowed */
    watch_stream_events_cb events_cb;
    watch_stream_canceled_cb canceled_cb;
    watch_stream_progress_cb progress_cb; /* NULL: none sent */
    /* private */
    queue entries;
    int64_t next_id;
    unsigned n;
};

/* A create request (etcd's WatchCreateRequest); pointers borrowed for the
 * call (copied). */
struct watch_create
{
    const char *key;
    size_t key_len;
    const char *range_end;
    size_t range_end_len;
    int64_t start_revision;
    int64_t watch_id; /* 0: the next free id */
    bool prev_kv;
    bool progress_notify;
    bool fragment;
    bool no_put;
    bool no_delete;
};

/* What to answer a create, as etcd does: one response {watch_id, created}
 * (header at revision), canceled too when refused (then reason says why:
 * etcd's text, as its cancel_reason), and when compacted a second one
 * {watch_id, canceled, compact_revision} with no header revision. */
struct watch_created
{
    int64_t id;       /* the watch id; -1 when refused */
    int64_t revision; /* the header's revision */
    bool canceled;
    char reason[ETCFS_ERRMSG_SIZE];
    bool compacted;
    int64_t compact_revision;
    struct watch_entry *entry; /* the new watch, NULL when none */
};

/* s: data, server, hub, store and the callbacks set by the caller. */
void watchStreamInit(struct watch_stream *s);
/* Creates a watch for who (borrowed for the call). 0 with out filled (the
 * answer to send), or ETCFS_BUSY (WATCH_STREAM_MAX watches) / ETCFS_NOMEM,
 * which the front end reports as a stream error. */
int watchStreamCreate(struct watch_stream *s, const struct authn_user *who,
                      const struct watch_create *req,
                      struct watch_created *out);
/* 0 (the watch is gone: answer {watch_id, canceled}) or ETCFS_NOTFOUND
 * (etcd answers nothing). */
int watchStreamCancel(struct watch_stream *s, int64_t id);
/* Releases every watch; s may then be freed. */
void watchStreamClose(struct watch_stream *s);

#endif /* ETCFS_WATCH_STREAM_H */
