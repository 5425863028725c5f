/* One client's watch stream (watch_stream.h). Loop thread only. */
#include "watch_stream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../store/store.h"

/* etcd's texts for a refused create (mvcc/watcher.go), sent as the
 * response's cancel_reason. */
#define WATCH_STREAM__EMPTY_RANGE "mvcc: watcher range is empty"
#define WATCH_STREAM__DUPLICATE_ID \
    "mvcc: duplicate watch ID provided on the WatchStream"

void watchStreamInit(struct watch_stream *s)
{
    QUEUE_INIT(&s->entries);
    s->next_id = 0;
    s->n = 0;
}

static void entryFree(struct watch_stream *s, struct watch_entry *e,
                      bool remove)
{
    if (remove) {
        watchHubRemove(s->hub, &e->w);
    }
    QUEUE_REMOVE(&e->link);
    s->n--;
    free(e->key);
    free(e->range_end);
    free(e);
}

static struct watch_entry *entryFind(struct watch_stream *s, int64_t id)
{
    queue *q;
    QUEUE_FOREACH(q, &s->entries)
    {
        struct watch_entry *e = QUEUE_DATA(q, struct watch_entry, link);
        if (e->id == id) {
            return e;
        }
    }
    return NULL;
}

static void eventsCb(struct watcher *w, const struct store_event *events,
                     size_t n, int64_t revision)
{
    struct watch_entry *e = w->data;
    e->stream->events_cb(e->stream, e, events, n, revision);
}

static void errorCb(struct watcher *w, int code, int64_t compact_rev)
{
    struct watch_entry *e = w->data;
    struct watch_stream *s = e->stream;
    s->canceled_cb(s, e, code, compact_rev);
    entryFree(s, e, false); /* the hub already removed it */
}

static void progressCb(struct watcher *w, int64_t revision)
{
    struct watch_entry *e = w->data;
    e->stream->progress_cb(e->stream, e, revision);
}

static char *dupBytes(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d != NULL) {
        if (len > 0) {
            memcpy(d, p, len);
        }
        d[len] = '\0';
    }
    return d;
}

/* etcd's key < range_end rule (a range_end of "\0" is "from key"). */
static bool rangeEmpty(const char *key, size_t key_len, const char *end,
                       size_t end_len)
{
    size_t m = key_len < end_len ? key_len : end_len;
    int c;
    if (end_len == 0 || (end_len == 1 && end[0] == '\0')) {
        return false;
    }
    c = m > 0 ? memcmp(key, end, m) : 0;
    return c > 0 || (c == 0 && key_len >= end_len);
}

static void refuse(struct watch_created *out, const char *reason)
{
    out->id = -1;
    out->canceled = true;
    snprintf(out->reason, sizeof out->reason, "%s", reason);
}

int watchStreamCreate(struct watch_stream *s, const struct authn_user *who,
                      const struct watch_create *req,
                      struct watch_created *out)
{
    static const char zero[1] = {'\0'};
    const char *key = req->key;
    size_t key_len = req->key_len;
    struct watch_entry *e;
    int64_t id;
    int rv;
    memset(out, 0, sizeof *out);
    out->revision = storeRevision(s->store);
    if (s->n >= WATCH_STREAM_MAX) {
        return ETCFS_BUSY;
    }
    if (key_len == 0) {
        key = zero; /* etcd: "\x00 is the smallest key" */
        key_len = 1;
    }
    rv = authnRead(s->server, who, key, key_len, req->range_end,
                   req->range_end_len);
    if (rv != 0) {
        /* etcd: created and canceled at once, watch id -1, the reason as
         * a gRPC status text; an error other than these three reads
         * "permission denied" (v3rpc/watch.go recvLoop) */
        char reason[ETCFS_ERRMSG_SIZE];
        if (rv != ETCFS_INVALID_TOKEN && rv != ETCFS_AUTH_OLD_REVISION &&
            rv != ETCFS_USER_EMPTY) {
            rv = ETCFS_PERMISSION_DENIED;
        }
        refuse(out, etcfsGrpcStatusText(rv, reason, sizeof reason));
        return 0;
    }
    if (rangeEmpty(key, key_len, req->range_end, req->range_end_len)) {
        refuse(out, WATCH_STREAM__EMPTY_RANGE);
        return 0;
    }
    if (req->watch_id == 0) {
        /* etcd: the next id no watch of the stream holds */
        while (entryFind(s, s->next_id) != NULL) {
            s->next_id++;
        }
        id = s->next_id;
    } else if (entryFind(s, req->watch_id) != NULL) {
        refuse(out, WATCH_STREAM__DUPLICATE_ID);
        return 0;
    } else {
        id = req->watch_id;
    }
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        return ETCFS_NOMEM;
    }
    e->key = dupBytes(key, key_len);
    e->range_end = dupBytes(req->range_end, req->range_end_len);
    if (e->key == NULL || e->range_end == NULL) {
        free(e->key);
        free(e->range_end);
        free(e);
        return ETCFS_NOMEM;
    }
    if (req->watch_id == 0) {
        s->next_id++;
    }
    e->stream = s;
    e->id = id;
    e->progress_notify = req->progress_notify;
    e->fragment = req->fragment;
    e->w.data = e;
    e->w.key = e->key;
    e->w.key_len = key_len;
    e->w.range_end = e->range_end;
    e->w.range_end_len = req->range_end_len;
    e->w.start_revision = req->start_revision;
    e->w.prev_kv = req->prev_kv;
    e->w.no_put = req->no_put;
    e->w.no_delete = req->no_delete;
    e->w.events_cb = eventsCb;
    e->w.error_cb = errorCb;
    e->w.progress_notify = req->progress_notify && s->progress_cb != NULL;
    e->w.progress_cb = progressCb;
    QUEUE_PUSH(&s->entries, &e->link);
    s->n++;
    out->id = id;
    rv = watchHubAdd(s->hub, &e->w);
    if (rv == ETCFS_COMPACTED) {
        /* etcd: created, then canceled with the compact revision */
        out->compacted = true;
        out->compact_revision = storeCompactRevision(s->store);
        entryFree(s, e, false);
        return 0;
    }
    if (rv != 0) {
        entryFree(s, e, false);
        return rv;
    }
    out->entry = e;
    return 0;
}

int watchStreamCancel(struct watch_stream *s, int64_t id)
{
    struct watch_entry *e = entryFind(s, id);
    if (e == NULL) {
        return ETCFS_NOTFOUND;
    }
    entryFree(s, e, true);
    return 0;
}

void watchStreamClose(struct watch_stream *s)
{
    while (!QUEUE_IS_EMPTY(&s->entries)) {
        struct watch_entry *e =
            QUEUE_DATA(QUEUE_HEAD(&s->entries), struct watch_entry, link);
        entryFree(s, e, true);
    }
}
