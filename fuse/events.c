/* Applied changes of another origin -> replay items (loop thread).
 *
 * Each event becomes the syscall that raises the same inotify events a
 * local change would: a put of a new key a create (after mkdirs for new
 * parent directories), a put of an existing key a modification (or a
 * chmod when only the metadata changed), a delete an unlink or rmdir (and
 * rmdirs for parents left empty). A txn shaped like the mount's rename (the
 * whole source deleted, its keys put under the destination) is one
 * rename, of a file or a directory.
 *
 * Nothing is queued where no watcher can be: a change inside a directory
 * that no process but the replay has looked up (inodeDirSeen). A watch is
 * added by path, so the directory is looked up first; one added after the
 * change applied is owed no event for it, as on a local filesystem. */
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"
#include "path.h"

static bool underPrefix(const struct mount *m, const char *key, size_t len)
{
    return len > m->prefix_len && memcmp(key, m->prefix, m->prefix_len) == 0;
}

static const struct store_event *findEvent(const struct store_events *events,
                                           int type, const char *key,
                                           size_t len)
{
    size_t i;
    for (i = 0; i < events->n_events; i++) {
        const struct store_event *ev = &events->events[i];
        if (ev->type == type && ev->kv.key_len == len &&
            memcmp(ev->kv.key, key, len) == 0) {
            return ev;
        }
    }
    return NULL;
}

static bool sameValue(const struct store_kv *a, const struct store_kv *b)
{
    return a->value_len == b->value_len &&
           (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0);
}

bool eventsRename(struct mount *m, const struct command *cmd,
                  const struct store_events *events, struct mount_rename *r)
{
    const struct store_op *ops;
    const struct store_delete_req *del;
    const char *tkey = NULL;
    size_t tlen = 0;
    size_t n;
    size_t i;
    char end[MOUNT_KEY_MAX];
    if (cmd->type != COMMAND_TXN || cmd->txn.n_compares != 0 ||
        cmd->txn.n_success < 2) {
        return false;
    }
    ops = cmd->txn.success;
    n = cmd->txn.n_success;
    if (ops[0].type != STORE_OP_DELETE) {
        return false;
    }
    del = &ops[0].delete_range;
    if (!underPrefix(m, del->key, del->key_len) ||
        del->key_len >= sizeof end) {
        return false;
    }
    memset(r, 0, sizeof *r);
    if (del->range_end_len == 0) {
        /* a file: delete it, put the same value under the new name */
        const struct store_event *de;
        const struct store_event *pe;
        if (n != 2 || ops[1].type != STORE_OP_PUT ||
            !underPrefix(m, ops[1].put.key, ops[1].put.key_len) ||
            ops[1].put.key[ops[1].put.key_len - 1] == '/' ||
            del->key[del->key_len - 1] == '/') {
            return false;
        }
        de = findEvent(events, STORE_EVENT_DELETE, del->key, del->key_len);
        pe = findEvent(events, STORE_EVENT_PUT, ops[1].put.key,
                       ops[1].put.key_len);
        if (de == NULL || pe == NULL || !de->has_prev ||
            !sameValue(&de->prev_kv, &pe->kv)) {
            return false;
        }
        r->from = del->key + m->prefix_len;
        r->from_len = del->key_len - m->prefix_len;
        r->to = ops[1].put.key + m->prefix_len;
        r->to_len = ops[1].put.key_len - m->prefix_len;
        r->to_existed = pe->has_prev;
        return true;
    }
    /* a directory: delete the prefix "F/", maybe the empty target's marker
     * "T/", then put every key again under "T/" */
    if (del->key[del->key_len - 1] != '/' ||
        del->range_end_len != mountPrefixEnd(del->key, del->key_len, end) ||
        memcmp(del->range_end, end, del->range_end_len) != 0) {
        return false;
    }
    i = 1;
    if (ops[1].type == STORE_OP_DELETE &&
        ops[1].delete_range.range_end_len == 0) {
        tkey = ops[1].delete_range.key;
        tlen = ops[1].delete_range.key_len;
        r->to_existed = true;
        i = 2;
    }
    if (i >= n || ops[i].type != STORE_OP_PUT) {
        return false;
    }
    if (tkey == NULL) {
        /* T = the first put's key minus the suffix of the first deleted
         * key after F */
        const struct store_event *first = NULL;
        size_t k;
        for (k = 0; k < events->n_events && first == NULL; k++) {
            if (events->events[k].type == STORE_EVENT_DELETE) {
                first = &events->events[k];
            }
        }
        if (first == NULL || first->kv.key_len < del->key_len ||
            ops[i].put.key_len + del->key_len < first->kv.key_len) {
            return false;
        }
        tlen = ops[i].put.key_len - (first->kv.key_len - del->key_len);
        tkey = ops[i].put.key;
    }
    if (tlen <= m->prefix_len + 1 || tkey[tlen - 1] != '/' ||
        !underPrefix(m, tkey, tlen)) {
        return false;
    }
    for (; i < n; i++) {
        if (ops[i].type != STORE_OP_PUT || ops[i].put.key_len < tlen ||
            memcmp(ops[i].put.key, tkey, tlen) != 0) {
            return false;
        }
    }
    r->dir = true;
    r->from = del->key + m->prefix_len;
    r->from_len = del->key_len - m->prefix_len - 1;
    r->to = tkey + m->prefix_len;
    r->to_len = tlen - m->prefix_len - 1;
    return r->from_len > 0 && r->to_len > 0;
}

/* Whether a watcher can be in the directory holding rel. */
static bool watchable(struct mount *m, const char *rel, size_t len)
{
    bool seen;
    pthread_mutex_lock(&m->mu);
    seen = inodeDirSeen(&m->inodes, rel, pathParentLen(rel, len));
    pthread_mutex_unlock(&m->mu);
    return seen;
}

/* Whether a replayed mkdir of directory rel could raise an event: a
 * watcher can be in its parent, and the kernel does not hold rel's inode
 * (if it does, rel existed before this command: a deleted one is orphaned,
 * out of the by-path index; the replay would skip the mkdir anyway). */
static bool mkdirWatchable(struct mount *m, const char *rel, size_t len)
{
    struct inode *e;
    bool yes;
    pthread_mutex_lock(&m->mu);
    yes = inodeDirSeen(&m->inodes, rel, pathParentLen(rel, len));
    if (yes) {
        e = inodeFindRel(&m->inodes, rel, len, true);
        yes = e == NULL || e->nlookup == 0;
    }
    pthread_mutex_unlock(&m->mu);
    return yes;
}

static void push(struct mount *m, int kind, const char *rel, size_t len,
                 bool dir, mode_t mode, const struct stat *st)
{
    struct replay_item *it = replayItem(kind, rel, len);
    if (it != NULL) {
        it->mode = mode;
        it->dir = dir;
        if (st != NULL) {
            it->st = *st;
        }
        replayPush(m, it);
    }
}

/* Parent directories of rel that the change at rev created (top down),
 * each queued once per command. */
static void queueParents(struct mount *m, struct dir_memo *dm,
                         const char *rel, size_t len, int64_t rev)
{
    size_t i;
    for (i = 0; i < len; i++) {
        /* the in-memory questions first: a store read per parent of every
         * new key cost a mounted member a fifth of its put rate */
        if (rel[i] == '/' && mkdirWatchable(m, rel, i) &&
            !dirMemoExists(m, dm, rel, i, rev - 1) &&
            dirMemoFirst(dm, DIRMEMO_MKDIR, rel, i)) {
            push(m, REPLAY_MKDIR, rel, i, true, 0755, NULL);
        }
    }
}

/* Directories a command may have left empty: its deleted directory
 * markers and the parents of what it deleted or moved away. They are
 * repeated after every unlink of the command, deepest first, so a watcher
 * sees a tree's files go before their directories, as with rm -r. */
struct empties
{
    struct empty
    {
        const char *rel; /* borrowed from the events or the memo */
        size_t len;
        struct stat st;
    } *v;
    size_t n;
    size_t cap;
};

static void emptyAdd(struct empties *es, const char *rel, size_t len,
                     const struct stat *st)
{
    if (es->n == es->cap) {
        size_t cap = es->cap == 0 ? 16 : es->cap * 2;
        struct empty *v = realloc(es->v, cap * sizeof *v);
        if (v == NULL) {
            return; /* out of memory: that rmdir raises no event */
        }
        es->v = v;
        es->cap = cap;
    }
    es->v[es->n].rel = rel;
    es->v[es->n].len = len;
    es->v[es->n].st = *st;
    es->n++;
}

/* rel's parents, bottom up, until one already listed. */
static void emptyParents(struct mount *m, struct dir_memo *dm,
                         struct empties *es, const char *rel, size_t len)
{
    struct stat st;
    size_t i = len;
    mountStatDir(m, 0, NULL, &st);
    while (i > 0) {
        i--;
        if (rel[i] != '/') {
            continue;
        }
        if (!dirMemoFirst(dm, DIRMEMO_PARENT, rel, i)) {
            break;
        }
        emptyAdd(es, rel, i, &st);
    }
}

static int emptyDeeperFirst(const void *a, const void *b)
{
    const struct empty *x = a;
    const struct empty *y = b;
    return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static void emptiesFlush(struct mount *m, struct dir_memo *dm,
                         struct empties *es)
{
    size_t i;
    if (es->n > 1) {
        qsort(es->v, es->n, sizeof *es->v, emptyDeeperFirst);
    }
    for (i = 0; i < es->n; i++) {
        const struct empty *e = &es->v[i];
        if (!dirMemoExists(m, dm, e->rel, e->len, 0) &&
            watchable(m, e->rel, e->len)) {
            push(m, REPLAY_RMDIR, e->rel, e->len, true, 0, &e->st);
        }
    }
    free(es->v);
}

static void queueRename(struct mount *m, struct dir_memo *dm,
                        struct empties *es, const struct store_events *events,
                        int64_t revision, const struct mount_rename *r)
{
    struct replay_item *it;
    const struct store_event *de;
    char key[MOUNT_KEY_MAX];
    int n;
    if (!watchable(m, r->from, r->from_len) &&
        !watchable(m, r->to, r->to_len)) {
        return;
    }
    queueParents(m, dm, r->to, r->to_len, revision);
    it = replayItem(REPLAY_RENAME, r->from, r->from_len);
    if (it == NULL) {
        return;
    }
    it->rel2 = mountMemDup(r->to, r->to_len);
    if (it->rel2 == NULL) {
        free(it->rel);
        free(it);
        return;
    }
    it->rel2_len = r->to_len;
    it->dir = r->dir;
    it->to_existed = r->to_existed;
    n = mountKey(m, r->from, r->from_len, r->dir, key, sizeof key);
    de = n > 0 ? findEvent(events, STORE_EVENT_DELETE, key, (size_t)n) : NULL;
    if (r->dir) {
        mountStatDir(m, 0, de != NULL && de->has_prev ? &de->prev_kv : NULL,
                     &it->st);
    } else if (de != NULL && de->has_prev) {
        mountStatFile(m, 0, &de->prev_kv, &it->st);
    }
    replayPush(m, it);
    emptyParents(m, dm, es, r->from, r->from_len);
}

void eventsEnqueue(struct mount *m, struct dir_memo *dm,
                   const struct command *cmd,
                   const struct store_events *events, int64_t revision,
                   const struct mount_rename *rename)
{
    struct empties es = {0};
    size_t i;
    size_t j;
    bool any_put = false;
    bool *paired;
    (void)cmd;
    if (rename != NULL) {
        queueRename(m, dm, &es, events, revision, rename);
        emptiesFlush(m, dm, &es);
        return;
    }
    paired = calloc(events->n_events, sizeof *paired);
    if (paired == NULL) {
        return;
    }
    for (i = 0; i < events->n_events && !any_put; i++) {
        any_put = events->events[i].type == STORE_EVENT_PUT;
    }
    for (i = 0; i < events->n_events; i++) {
        const struct store_event *ev = &events->events[i];
        const char *rel;
        size_t len;
        bool dir = false;
        struct stat st;
        if (paired[i] || !underPrefix(m, ev->kv.key, ev->kv.key_len)) {
            continue;
        }
        rel = ev->kv.key + m->prefix_len;
        len = ev->kv.key_len - m->prefix_len;
        if (rel[len - 1] == '/') {
            dir = true;
            len--;
        }
        if (len == 0 || len >= MOUNT_REL_MAX) {
            continue;
        }
        if (ev->type == STORE_EVENT_DELETE) {
            /* a rename made by hand: a delete and a put of the same value
             * in one txn */
            for (j = i + 1;
                 any_put && !dir && ev->has_prev && j < events->n_events;
                 j++) {
                const struct store_event *pe = &events->events[j];
                struct mount_rename r;
                if (paired[j] || pe->type != STORE_EVENT_PUT ||
                    !underPrefix(m, pe->kv.key, pe->kv.key_len) ||
                    pe->kv.key[pe->kv.key_len - 1] == '/' ||
                    !sameValue(&pe->kv, &ev->prev_kv)) {
                    continue;
                }
                paired[j] = true;
                memset(&r, 0, sizeof r);
                r.from = rel;
                r.from_len = len;
                r.to = pe->kv.key + m->prefix_len;
                r.to_len = pe->kv.key_len - m->prefix_len;
                r.to_existed = pe->has_prev;
                queueRename(m, dm, &es, events, revision, &r);
                goto next;
            }
            if (dir) {
                /* a marker: the directory goes with the other empties
                 * (unless keys remain under it) */
                mountStatDir(m, 0, ev->has_prev ? &ev->prev_kv : NULL, &st);
                if (dirMemoFirst(dm, DIRMEMO_PARENT, rel, len)) {
                    emptyAdd(&es, rel, len, &st);
                }
                emptyParents(m, dm, &es, rel, len);
                continue;
            }
            if (watchable(m, rel, len)) {
                if (ev->has_prev) {
                    mountStatFile(m, 0, &ev->prev_kv, &st);
                } else {
                    memset(&st, 0, sizeof st);
                    st.st_mode = MOUNT_DEFAULT_FILE_MODE;
                }
                push(m, REPLAY_UNLINK, rel, len, false, 0, &st);
            }
            emptyParents(m, dm, &es, rel, len);
            continue;
        }
        /* PUT */
        if (!ev->has_prev) {
            queueParents(m, dm, rel, len, revision);
        }
        if (!watchable(m, rel, len)) {
            continue;
        }
        if (dir) {
            mode_t mode = ev->kv.attr.mode != 0 ? (ev->kv.attr.mode & 07777)
                                                : 0755;
            if (ev->has_prev || dirMemoExists(m, dm, rel, len, revision - 1)) {
                push(m, REPLAY_ATTRIB, rel, len, true, mode, NULL);
            } else if (dirMemoFirst(dm, DIRMEMO_MKDIR, rel, len)) {
                push(m, REPLAY_MKDIR, rel, len, true, mode, NULL);
            }
            continue;
        }
        if (!ev->has_prev) {
            struct replay_item *it = replayItem(REPLAY_CREATE, rel, len);
            if (it != NULL) {
                it->mode = ev->kv.attr.mode != 0 ? ev->kv.attr.mode
                                                 : MOUNT_DEFAULT_FILE_MODE;
                it->size = (off_t)ev->kv.value_len;
                if (S_ISLNK(it->mode)) {
                    it->link = mountMemDup(
                        ev->kv.value != NULL ? ev->kv.value : "",
                        ev->kv.value_len);
                }
                replayPush(m, it);
            }
            continue;
        }
        if (sameValue(&ev->kv, &ev->prev_kv) &&
            (ev->kv.attr.mode != ev->prev_kv.attr.mode ||
             ev->kv.attr.uid != ev->prev_kv.attr.uid ||
             ev->kv.attr.gid != ev->prev_kv.attr.gid ||
             ev->kv.attr.atime_ns != ev->prev_kv.attr.atime_ns ||
             (ev->kv.attr.mtime_ns != ev->prev_kv.attr.mtime_ns &&
              ev->kv.attr.mtime_ns != ev->kv.attr.ctime_ns))) {
            /* chmod/chown/utimensat: metadata only. The same bytes written
             * again (cp, a put of an unchanged value; a write's mtime is
             * its ctime) are a write. */
            push(m, REPLAY_ATTRIB, rel, len, false,
                 ev->kv.attr.mode != 0 ? (ev->kv.attr.mode & 07777) : 0644,
                 NULL);
            continue;
        }
        {
            struct replay_item *it = replayItem(REPLAY_MODIFY, rel, len);
            if (it != NULL) {
                it->size = (off_t)ev->kv.value_len;
                replayPush(m, it);
            }
        }
    next:;
    }
    free(paired);
    emptiesFlush(m, dm, &es);
}
