/* /v2/keys?wait=true: etcd's v2 long poll on the watch hub. The head goes
 * out at once (etcd flushes it before waiting), then the first change of
 * the key (recursive: of anything under it) at or after waitIndex is
 * answered as etcd's v2 event {action, node, prevNode} and the response
 * ends; with stream=true every change is sent until the client leaves.
 * A change is "set" (a put) or "delete" (a delete or a lease's expiry),
 * whichever front end made it: the mount, v3 clients or v2 ones. A
 * waitIndex already compacted is etcd's 401 "The event in requested index
 * is outdated and cleared".
 *
 * The hub must not lose a watcher inside its own callback, so the answer
 * ends on the next loop turn (a 0 ms timer); the watch state is malloc'd
 * and freed once that timer has closed. Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_v2.h"
#include "../core/error.h"
#include "../core/metrics.h"
#include "../server/watch.h"
#include "../store/store.h"

struct v2_watch
{
    struct api_req *req; /* NULL once the request ended */
    struct watcher w;
    uv_timer_t end; /* ends the answer outside the hub's callback */
    bool recursive;
    bool stream;
    bool ending;
    bool dropped; /* the hub removed the watcher (error_cb) */
    char *key; /* the watched key; base = key + "/" (owned) */
    size_t key_len;
    char *range_end; /* owned */
    size_t range_end_len;
};

static void endClosed(uv_handle_t *h)
{
    struct v2_watch *x = h->data;
    free(x->key);
    free(x->range_end);
    free(x);
}

/* The request ended (answered, or its client left): drop the watcher. */
static void watchEnd(struct api_req *req)
{
    struct v2_watch *x = req->ctx;
    req->ctx = NULL;
    if (x == NULL) {
        return;
    }
    x->req = NULL;
    if (!x->dropped) {
        watchHubRemove(req->api->deps.hub, &x->w);
    }
    uv_close((uv_handle_t *)&x->end, endClosed);
}

static void endCb(uv_timer_t *t)
{
    struct v2_watch *x = t->data;
    if (x->req != NULL) {
        apiStreamEnd(x->req); /* runs watchEnd */
    }
}

static void endSoon(struct v2_watch *x)
{
    if (!x->ending) {
        x->ending = true;
        (void)uv_timer_start(&x->end, endCb, 0, 0);
    }
}

/* Is key (a v3 key in the watched range) the watched node, or with
 * recursive under it and not hidden (no "_" name below the node)? */
static bool wanted(const struct v2_watch *x, const char *key, size_t len)
{
    size_t i;
    if (len == x->key_len && memcmp(key, x->key, len) == 0) {
        return true;
    }
    if (len < x->key_len + 1 || memcmp(key, x->key, x->key_len) != 0 ||
        key[x->key_len] != '/') {
        return false;
    }
    if (len == x->key_len + 1) {
        return true; /* the directory's marker */
    }
    if (!x->recursive) {
        return false;
    }
    for (i = x->key_len; i + 1 < len; i++) {
        if (key[i] == '/' && key[i + 1] == '_') {
            return false;
        }
    }
    return true;
}

static void eventsCb(struct watcher *w, const struct store_event *events,
                     size_t n, int64_t revision)
{
    struct v2_watch *x = w->data;
    struct api_req *req = x->req;
    size_t i;
    (void)revision;
    for (i = 0; i < n && req != NULL && !x->ending; i++) {
        const struct store_event *ev = &events[i];
        bool del = ev->type == STORE_EVENT_DELETE;
        json_t *o;
        char *text;
        if (!wanted(x, ev->kv.key, ev->kv.key_len)) {
            continue;
        }
        o = json_object();
        json_object_set_new(o, "action", json_string(del ? "delete" : "set"));
        if (del) {
            /* the deleted node: its key, the delete's revision, the
             * creation of what it deleted */
            struct store_kv kv = ev->has_prev ? ev->prev_kv : ev->kv;
            json_t *node = v2NodeOf(req, &kv, true, ev->kv.mod_revision);
            json_object_set_new(o, "node", node);
        } else {
            json_object_set_new(o, "node", v2NodeOf(req, &ev->kv, false, 0));
        }
        if (ev->has_prev) {
            json_object_set_new(o, "prevNode",
                                v2NodeOf(req, &ev->prev_kv, false, 0));
        }
        text = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        if (text == NULL || apiStreamChunk(req, 200, text) != 0) {
            endSoon(x);
            return;
        }
        if (!x->stream) {
            endSoon(x);
        }
    }
}

static void errorCb(struct watcher *w, int code, int64_t compact_revision)
{
    struct v2_watch *x = w->data;
    (void)code;
    (void)compact_revision;
    x->dropped = true; /* the hub removed it */
    endSoon(x);
}

void v2KeysWatch(struct api_req *req, struct v2_keys_req *k)
{
    struct v2_watch *x = calloc(1, sizeof *x);
    size_t plen;
    int64_t rev = storeRevision(req->api->deps.store);
    bool root = k->path_len == 1;
    int rv;
    (void)v2Prefix(req, &plen);
    if (x == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    /* the node and what is under it: [key, key + "/\xff...") is
     * [key, key "0"): '0' follows '/' */
    x->key = malloc(k->key_len + 1);
    x->range_end = malloc(k->key_len + 3);
    if (x->key == NULL || x->range_end == NULL) {
        free(x->key);
        free(x->range_end);
        free(x);
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    memcpy(x->key, k->key, k->key_len);
    x->key_len = k->key_len;
    memcpy(x->range_end, k->key, k->key_len);
    if (k->recursive || root) {
        x->range_end[k->key_len] = '/' + 1;
        x->range_end_len = k->key_len + 1;
    } else {
        /* the key and its marker: [key, key "/\0") */
        x->range_end[k->key_len] = '/';
        x->range_end[k->key_len + 1] = '\0';
        x->range_end_len = k->key_len + 2;
    }
    x->recursive = k->recursive || root;
    x->stream = k->stream;
    x->req = req;
    rv = authnRead(req->api->deps.server, &req->who, x->key, x->key_len,
                   x->range_end, x->range_end_len);
    if (rv != 0) {
        free(x->key);
        free(x->range_end);
        free(x);
        v2ReplyServerError(req, rv);
        return;
    }
    x->w.data = x;
    x->w.key = x->key_len > 0 ? x->key : "/";
    x->w.key_len = x->key_len > 0 ? x->key_len : 1;
    x->w.range_end = x->range_end;
    x->w.range_end_len = x->range_end_len;
    x->w.start_revision = (int64_t)k->wait_index;
    x->w.prev_kv = true;
    x->w.events_cb = eventsCb;
    x->w.error_cb = errorCb;
    rv = watchHubAdd(req->api->deps.hub, &x->w);
    if (rv != 0) {
        char cause[96];
        free(x->key);
        free(x->range_end);
        free(x);
        if (rv != ETCFS_COMPACTED) {
            v2ReplyServerError(req, rv);
            return;
        }
        snprintf(cause, sizeof cause,
                 "the requested history has been cleared [%" PRId64
                 "/%" PRIu64 "]",
                 storeCompactRevision(req->api->deps.store) + 1,
                 k->wait_index);
        v2ReplyError(req, V2_EVENT_INDEX_CLEARED, cause, rev);
        return;
    }
    (void)uv_timer_init(req->api->deps.loop, &x->end);
    x->end.data = x;
    req->ctx = x;
    apiStreamBegin(req, watchEnd);
    v2Headers(req, rev, true);
    if (apiStreamOpen(req, 200) != 0) {
        endSoon(x);
    }
}
