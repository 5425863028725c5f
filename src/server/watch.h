/* The watch hub: every applied change fans out to watchers of a key or a
 * range (API watch streams now, the mount later), in revision order. A
 * watcher starting at a past revision first catches up from the store's
 * history, a capped number of events per loop tick, then joins the live
 * feed (etcd's unsynced -> synced watcher groups). Loop thread only. */
#ifndef ETCFS_WATCH_H
#define ETCFS_WATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../lib/queue.h"
#include "../store/store.h"

struct watch_hub;
struct watcher;

/* etcd 3.4's progress report interval (v3rpc/watch.go
 * progressReportInterval, 10 minutes); a test build may set it lower. */
#ifndef WATCH_PROGRESS_INTERVAL_MS
#define WATCH_PROGRESS_INTERVAL_MS 600000
#endif

/* Events of one or more consecutive revisions for w, in order; borrowed for
 * the call. 'revision' is the store revision for the response header. */
typedef void (*watcher_events_cb)(struct watcher *w,
                                  const struct store_event *events, size_t n,
                                  int64_t revision);
/* etcd's progress notification: w asked for them (progress_notify), is
 * synced, and had no events since the previous tick; revision is the
 * store's current one. */
typedef void (*watcher_progress_cb)(struct watcher *w, int64_t revision);
/* The watcher cannot go on: ETCFS_COMPACTED (compact_revision set) or
 * ETCFS_IO. The hub has already removed it. */
typedef void (*watcher_error_cb)(struct watcher *w, int code,
                                 int64_t compact_revision);

struct watcher
{
    void *data;
    const char *key; /* borrowed until removed */
    size_t key_len;
    const char *range_end; /* borrowed until removed; etcd range rules */
    size_t range_end_len;
    int64_t start_revision; /* 0 = from the next change */
    bool prev_kv;
    bool no_put;    /* etcd filters NOPUT / NODELETE */
    bool no_delete;
    bool progress_notify; /* progress_cb every WATCH_PROGRESS_INTERVAL_MS */
    watcher_events_cb events_cb;
    watcher_error_cb error_cb;
    watcher_progress_cb progress_cb; /* with progress_notify */
    /* private */
    bool progress_due;
    queue link;
    int64_t next_rev;
    bool synced;
    bool added;
};

int watchHubInit(struct watch_hub **out, uv_loop_t *loop, struct store *store,
                 char *errmsg);
/* Adds w (caller-owned until watchHubRemove or error_cb). A start revision
 * below the compacted revision returns ETCFS_COMPACTED and w is not added
 * (the caller reports the compact revision from storeCompactRevision). */
int watchHubAdd(struct watch_hub *h, struct watcher *w);
void watchHubRemove(struct watch_hub *h, struct watcher *w);
/* Called after each applied command that produced events. */
void watchHubNotify(struct watch_hub *h, const struct store_events *ev,
                    int64_t revision);
/* The store was replaced by a snapshot restore: every watcher resumes from
 * its next revision through history. */
void watchHubReset(struct watch_hub *h);
typedef void (*watch_hub_close_cb)(struct watch_hub *h, void *data);
void watchHubClose(struct watch_hub *h, watch_hub_close_cb cb, void *data);

#endif /* ETCFS_WATCH_H */
