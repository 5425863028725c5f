/* The watch hub (watch.h): synced watchers get each applied change as it
 * happens; unsynced ones (a past start revision, or after a snapshot
 * restore) catch up from the store's history, a capped number of events
 * per watcher per tick, then join the synced set. Loop thread only.
 *
 * Callbacks may free their own watcher (error_cb always removes it first);
 * they must not remove other watchers synchronously. */
#include "watch.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../lib/log.h"

#define WATCH__CATCHUP_EVENTS 1000

struct watch_hub
{
    uv_loop_t *loop;
    struct store *store;
    queue synced;
    queue unsynced;
    uv_timer_t timer;
    bool timer_running;
    uv_timer_t progress; /* progress notifications */
    bool progress_running;
    unsigned handles_open;
    bool closing;
    watch_hub_close_cb close_cb;
    void *close_data;
};

static void hubKick(struct watch_hub *h);
static void progressStart(struct watch_hub *h);

int watchHubInit(struct watch_hub **out, uv_loop_t *loop, struct store *store,
                 char *errmsg)
{
    struct watch_hub *h = calloc(1, sizeof *h);
    int rv;
    if (h == NULL) {
        etcfsErrmsgf(errmsg, "watch hub: out of memory");
        return ETCFS_NOMEM;
    }
    h->loop = loop;
    h->store = store;
    QUEUE_INIT(&h->synced);
    QUEUE_INIT(&h->unsynced);
    rv = uv_timer_init(loop, &h->timer);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "watch hub: %s", uv_strerror(rv));
        free(h);
        return ETCFS_IO;
    }
    h->timer.data = h;
    rv = uv_timer_init(loop, &h->progress);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "watch hub: %s", uv_strerror(rv));
        uv_close((uv_handle_t *)&h->timer, NULL);
        /* freed once the loop has run the close: leaked on this path
         * only, which ends the process */
        return ETCFS_IO;
    }
    h->progress.data = h;
    h->handles_open = 2;
    *out = h;
    return 0;
}

/* etcd range rules. */
static bool inRange(const struct watcher *w, const char *key, size_t len)
{
    int c;
    size_t m;
    if (w->range_end_len == 0) {
        return len == w->key_len && memcmp(key, w->key, len) == 0;
    }
    m = len < w->key_len ? len : w->key_len;
    c = memcmp(key, w->key, m);
    if (c < 0 || (c == 0 && len < w->key_len)) {
        return false; /* key < w->key */
    }
    if (w->range_end_len == 1 && w->range_end[0] == '\0') {
        return true; /* from key */
    }
    m = len < w->range_end_len ? len : w->range_end_len;
    c = memcmp(key, w->range_end, m);
    return c < 0 || (c == 0 && len < w->range_end_len);
}

static bool wants(const struct watcher *w, const struct store_event *ev)
{
    if (ev->type == STORE_EVENT_PUT ? w->no_put : w->no_delete) {
        return false;
    }
    return inRange(w, ev->kv.key, ev->kv.key_len);
}

/* Delivers the events of evs at revisions >= from that w wants, in one
 * call. events_cb must not free w. */
static void deliver(struct watcher *w, const struct store_event *evs, size_t n,
                    int64_t from, int64_t revision,
                    struct store_event *scratch)
{
    size_t i;
    size_t k = 0;
    for (i = 0; i < n; i++) {
        if (evs[i].kv.mod_revision < from || !wants(w, &evs[i])) {
            continue;
        }
        scratch[k] = evs[i];
        if (!w->prev_kv) {
            scratch[k].has_prev = false;
        }
        k++;
    }
    if (k > 0) {
        w->progress_due = false; /* etcd elides the next notification */
        w->events_cb(w, scratch, k, revision);
    }
}

int watchHubAdd(struct watch_hub *h, struct watcher *w)
{
    int64_t rev = storeRevision(h->store);
    int64_t compacted = storeCompactRevision(h->store);
    if (h->closing) {
        return ETCFS_SHUTDOWN;
    }
    if (w->start_revision > 0 && w->start_revision < compacted) {
        return ETCFS_COMPACTED;
    }
    w->added = true;
    w->progress_due = true;
    if (w->progress_notify && w->progress_cb != NULL) {
        progressStart(h);
    }
    if (w->start_revision <= 0 || w->start_revision > rev) {
        w->next_rev = w->start_revision > rev ? w->start_revision : rev + 1;
        w->synced = true;
        QUEUE_PUSH(&h->synced, &w->link);
        return 0;
    }
    w->next_rev = w->start_revision;
    w->synced = false;
    QUEUE_PUSH(&h->unsynced, &w->link);
    hubKick(h);
    return 0;
}

void watchHubRemove(struct watch_hub *h, struct watcher *w)
{
    (void)h;
    if (!w->added) {
        return;
    }
    w->added = false;
    QUEUE_REMOVE(&w->link);
}

void watchHubNotify(struct watch_hub *h, const struct store_events *ev,
                    int64_t revision)
{
    struct store_event *scratch;
    queue list;
    if (ev->n_events == 0 || QUEUE_IS_EMPTY(&h->synced)) {
        return;
    }
    scratch = malloc(ev->n_events * sizeof *scratch);
    if (scratch == NULL) {
        /* cannot deliver now: every synced watcher catches up instead */
        errorf("watch: out of memory, watchers fall back to history");
        while (!QUEUE_IS_EMPTY(&h->synced)) {
            queue *q = QUEUE_HEAD(&h->synced);
            struct watcher *w = QUEUE_DATA(q, struct watcher, link);
            QUEUE_REMOVE(q);
            w->synced = false;
            QUEUE_PUSH(&h->unsynced, q);
        }
        hubKick(h);
        return;
    }
    /* Move the synced list aside and put each watcher back before its
     * callback: a callback that frees its own watcher then only touches
     * a watcher already relinked. */
    QUEUE_INIT(&list);
    QUEUE_MOVE_ALL(&h->synced, &list);
    while (!QUEUE_IS_EMPTY(&list)) {
        queue *q = QUEUE_HEAD(&list);
        struct watcher *w = QUEUE_DATA(q, struct watcher, link);
        int64_t from = w->next_rev;
        QUEUE_REMOVE(q);
        QUEUE_PUSH(&h->synced, q);
        if (revision >= w->next_rev) {
            w->next_rev = revision + 1;
        }
        deliver(w, ev->events, ev->n_events, from, revision, scratch);
    }
    free(scratch);
}

/* One catch-up step for w. Returns 0, or an error after which w was
 * removed and reported (and may be freed). */
static int catchUp(struct watch_hub *h, struct watcher *w)
{
    struct store_events out;
    struct store_event *scratch;
    int64_t next = 0;
    int64_t rev = storeRevision(h->store);
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    memset(&out, 0, sizeof out);
    rv = storeHistory(h->store, w->next_rev, rev, w->key, w->key_len,
                      w->range_end, w->range_end_len, w->prev_kv,
                      WATCH__CATCHUP_EVENTS, &out, &next, errmsg);
    if (rv != 0) {
        storeEventsClear(&out);
        watchHubRemove(h, w);
        if (rv != ETCFS_COMPACTED) {
            warnf("watch: history: %s", errmsg);
        }
        w->error_cb(w, rv, storeCompactRevision(h->store));
        return rv;
    }
    if (out.n_events > 0) {
        scratch = malloc(out.n_events * sizeof *scratch);
        if (scratch == NULL) {
            storeEventsClear(&out);
            return 0; /* retry next tick */
        }
        deliver(w, out.events, out.n_events, w->next_rev, rev, scratch);
        free(scratch);
    }
    storeEventsClear(&out);
    w->next_rev = next;
    if (next > rev) {
        QUEUE_REMOVE(&w->link);
        w->synced = true;
        QUEUE_PUSH(&h->synced, &w->link);
    }
    return 0;
}

static void timerCb(uv_timer_t *t)
{
    struct watch_hub *h = t->data;
    queue list;
    QUEUE_INIT(&list);
    QUEUE_MOVE_ALL(&h->unsynced, &list);
    while (!QUEUE_IS_EMPTY(&list)) {
        queue *q = QUEUE_HEAD(&list);
        struct watcher *w = QUEUE_DATA(q, struct watcher, link);
        QUEUE_REMOVE(q);
        QUEUE_PUSH(&h->unsynced, q);
        (void)catchUp(h, w); /* moves w to synced when done */
    }
    if (QUEUE_IS_EMPTY(&h->unsynced)) {
        (void)uv_timer_stop(&h->timer);
        h->timer_running = false;
    }
}

static void hubKick(struct watch_hub *h)
{
    if (h->timer_running || h->closing) {
        return;
    }
    h->timer_running = true;
    (void)uv_timer_start(&h->timer, timerCb, 0, 1);
}

void watchHubReset(struct watch_hub *h)
{
    while (!QUEUE_IS_EMPTY(&h->synced)) {
        queue *q = QUEUE_HEAD(&h->synced);
        struct watcher *w = QUEUE_DATA(q, struct watcher, link);
        QUEUE_REMOVE(q);
        w->synced = false;
        QUEUE_PUSH(&h->unsynced, q);
    }
    hubKick(h);
}

/* etcd's progress ticker (v3rpc/watch.go sendLoop): each synced watcher
 * that asked for notifications and had no events since the last tick gets
 * one; every such watcher is due again at the next tick. */
static void progressCb(uv_timer_t *t)
{
    struct watch_hub *h = t->data;
    int64_t rev = storeRevision(h->store);
    queue list;
    QUEUE_INIT(&list);
    QUEUE_MOVE_ALL(&h->synced, &list);
    while (!QUEUE_IS_EMPTY(&list)) {
        queue *q = QUEUE_HEAD(&list);
        struct watcher *w = QUEUE_DATA(q, struct watcher, link);
        bool due = w->progress_due;
        QUEUE_REMOVE(q);
        QUEUE_PUSH(&h->synced, q);
        if (!w->progress_notify || w->progress_cb == NULL) {
            continue;
        }
        w->progress_due = true;
        if (due) {
            w->progress_cb(w, rev); /* may free w, not others */
        }
    }
}

static void progressStart(struct watch_hub *h)
{
    if (h->progress_running || h->closing) {
        return;
    }
    h->progress_running = true;
    (void)uv_timer_start(&h->progress, progressCb,
                         WATCH_PROGRESS_INTERVAL_MS,
                         WATCH_PROGRESS_INTERVAL_MS);
}

static void timerClosedCb(uv_handle_t *handle)
{
    struct watch_hub *h = handle->data;
    if (--h->handles_open > 0) {
        return;
    }
    if (h->close_cb != NULL) {
        h->close_cb(h, h->close_data);
    }
    free(h);
}

void watchHubClose(struct watch_hub *h, watch_hub_close_cb cb, void *data)
{
    h->closing = true;
    h->close_cb = cb;
    h->close_data = data;
    /* watchers belong to their owners (the API closed them already) */
    while (!QUEUE_IS_EMPTY(&h->synced)) {
        struct watcher *w =
            QUEUE_DATA(QUEUE_HEAD(&h->synced), struct watcher, link);
        watchHubRemove(h, w);
    }
    while (!QUEUE_IS_EMPTY(&h->unsynced)) {
        struct watcher *w =
            QUEUE_DATA(QUEUE_HEAD(&h->unsynced), struct watcher, link);
        watchHubRemove(h, w);
    }
    uv_close((uv_handle_t *)&h->timer, timerClosedCb);
    uv_close((uv_handle_t *)&h->progress, timerClosedCb);
}
