/* Remote changes -> inotify events. The kernel raises inotify events only
 * for syscalls made on the mount, and no FUSE notify call raises IN_CREATE
 * or IN_DELETE (shared/notes/inotify.md). So for every change applied here
 * that did not come from this mount, the loop thread queues replay items,
 * and this module's thread repeats the change as ordinary syscalls on the
 * mount point: open(O_CREAT|O_EXCL)+ftruncate+close for a create,
 * open+ftruncate+close for a modification, unlink, mkdir, rmdir, rename,
 * chmod for metadata. The handlers recognise the thread by its tid and only
 * make the already-applied state visible; nothing is proposed again.
 *
 * Until its replay runs, a remote create is hidden and a remote delete is
 * still shown (the overlays), otherwise the replayed syscall would fail
 * with EEXIST/ENOENT and raise nothing. The thread never holds mount.mu or
 * any lock across a syscall, never runs inside a handler, and never reads
 * through the mount (that would add events). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../src/error.h"
#include "../src/log.h"
#include "mount_internal.h"
#include "path.h"

enum {
    REPLAY_CREATE = 1, /* file or symlink */
    REPLAY_MKDIR,
    REPLAY_MODIFY,
    REPLAY_ATTRIB,
    REPLAY_UNLINK,
    REPLAY_RMDIR,
    REPLAY_RENAME
};

struct replay_item
{
    int kind;
    char *rel;
    size_t rel_len;
    char *rel2; /* rename target */
    size_t rel2_len;
    mode_t mode;
    off_t size;
    char *link; /* symlink target */
    struct replay_item *next;
};

/* ---- overlays (mu) ---- */

/* Overlays are a hash table: under a burst of remote changes thousands
 * wait for their replay, and every lookup on the mount consults them. */
static uint64_t overlayHash(const char *rel, size_t len, bool dir)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t i;
    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char)rel[i]) * 1099511628211ULL;
    }
    return (h ^ (dir ? 1u : 0u)) * 1099511628211ULL;
}

static size_t overlayBucket(const struct mount *m, const char *rel,
                            size_t len, bool dir)
{
    return (size_t)(overlayHash(rel, len, dir) % m->overlay_buckets);
}

static struct overlay *overlayFind(struct mount *m, const char *rel,
                                   size_t len, bool dir)
{
    struct overlay *o;
    if (m->overlay_count == 0) {
        return NULL;
    }
    for (o = m->overlays[overlayBucket(m, rel, len, dir)]; o != NULL;
         o = o->next) {
        if (o->dir == dir && o->rel_len == len &&
            memcmp(o->rel, rel, len) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Grows the table to keep chains short. false only when there is no table
 * at all (out of memory). */
static bool overlayReserve(struct mount *m)
{
    struct overlay **nb;
    size_t n;
    size_t b;
    if (m->overlay_buckets > 0 && m->overlay_count < m->overlay_buckets) {
        return true;
    }
    n = m->overlay_buckets == 0 ? 64 : m->overlay_buckets * 2;
    nb = calloc(n, sizeof *nb);
    if (nb == NULL) {
        return m->overlay_buckets > 0; /* longer chains, still correct */
    }
    for (b = 0; b < m->overlay_buckets; b++) {
        struct overlay *o;
        while ((o = m->overlays[b]) != NULL) {
            size_t i = (size_t)(overlayHash(o->rel, o->rel_len, o->dir) % n);
            m->overlays[b] = o->next;
            o->next = nb[i];
            nb[i] = o;
        }
    }
    free(m->overlays);
    m->overlays = nb;
    m->overlay_buckets = n;
    return true;
}

static void overlayAdd(struct mount *m, const char *rel, size_t len, bool dir,
                       bool ghost, const struct stat *st)
{
    struct overlay *o;
    pthread_mutex_lock(&m->mu);
    o = overlayFind(m, rel, len, dir);
    if (o == NULL && overlayReserve(m)) {
        o = calloc(1, sizeof *o);
        if (o != NULL) {
            o->rel = malloc(len + 1);
            if (o->rel == NULL) {
                free(o);
                o = NULL;
            }
        }
        if (o != NULL) {
            memcpy(o->rel, rel, len);
            o->rel[len] = '\0';
            o->rel_len = len;
            o->dir = dir;
            {
                size_t i = overlayBucket(m, rel, len, dir);
                o->next = m->overlays[i];
                m->overlays[i] = o;
                m->overlay_count++;
            }
        }
    }
    if (o != NULL) {
        o->ghost = ghost;
        if (st != NULL) {
            o->st = *st;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

bool overlayHidden(struct mount *m, const char *rel, size_t len, bool dir)
{
    struct overlay *o;
    bool hidden;
    pthread_mutex_lock(&m->mu);
    o = overlayFind(m, rel, len, dir);
    hidden = o != NULL && !o->ghost;
    pthread_mutex_unlock(&m->mu);
    return hidden;
}

bool overlayGhost(struct mount *m, const char *rel, size_t len, bool dir,
                  struct stat *st)
{
    struct overlay *o;
    bool ghost = false;
    pthread_mutex_lock(&m->mu);
    o = overlayFind(m, rel, len, dir);
    if (o != NULL && o->ghost) {
        ghost = true;
        if (st != NULL) {
            *st = o->st;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return ghost;
}

bool overlayTake(struct mount *m, const char *rel, size_t len, bool dir,
                 bool ghost)
{
    struct overlay **pp;
    bool found = false;
    pthread_mutex_lock(&m->mu);
    pp = m->overlay_count > 0
             ? &m->overlays[overlayBucket(m, rel, len, dir)]
             : NULL;
    for (; pp != NULL && *pp != NULL; pp = &(*pp)->next) {
        struct overlay *o = *pp;
        if (o->dir == dir && o->ghost == ghost && o->rel_len == len &&
            memcmp(o->rel, rel, len) == 0) {
            *pp = o->next;
            free(o->rel);
            free(o);
            m->overlay_count--;
            found = true;
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

/* ---- queue ---- */

static void itemFree(struct replay_item *it)
{
    free(it->rel);
    free(it->rel2);
    free(it->link);
    free(it);
}

static char *dupn(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static void push(struct mount *m, struct replay_item *it)
{
    pthread_mutex_lock(&m->rq_mu);
    if (m->rq_tail != NULL) {
        m->rq_tail->next = it;
    } else {
        m->rq_head = it;
    }
    m->rq_tail = it;
    pthread_cond_signal(&m->rq_cond);
    pthread_mutex_unlock(&m->rq_mu);
}

static struct replay_item *item(int kind, const char *rel, size_t len)
{
    struct replay_item *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    it->kind = kind;
    it->rel = dupn(rel, len);
    it->rel_len = len;
    if (it->rel == NULL) {
        free(it);
        return NULL;
    }
    return it;
}

/* ---- loop side: events -> items ---- */

/* Whether any key existed under dir rel at revision rev. */
static bool dirExistedAt(struct mount *m, const char *rel, size_t len,
                         int64_t rev)
{
    char key[MOUNT_REL_MAX + 1200];
    struct store_range_resp resp;
    int n;
    bool found;
    if (len == 0) {
        return true;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n <= 0 || mountPrefixRange(m, key, (size_t)n, 1, rev, &resp) != 0) {
        return true; /* compacted or failed: assume it existed */
    }
    found = resp.n_kvs > 0;
    storeRangeRespClear(&resp);
    return found;
}

/* Parent directories of rel that the change at rev created (top down). */
static void queueParents(struct mount *m, const char *rel, size_t len,
                         int64_t rev)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (rel[i] != '/') {
            continue;
        }
        if (!dirExistedAt(m, rel, i, rev - 1)) {
            struct replay_item *it = item(REPLAY_MKDIR, rel, i);
            if (it != NULL) {
                it->mode = 0755;
                overlayAdd(m, rel, i, true, false, NULL);
                push(m, it);
            }
        }
    }
}

/* Parent directories of rel left empty at rev (bottom up). */
static void queueEmptyParents(struct mount *m, const char *rel, size_t len,
                              int64_t rev)
{
    size_t i = len;
    while (i > 0) {
        i--;
        if (rel[i] != '/') {
            continue;
        }
        if (dirExistedAt(m, rel, i, rev)) {
            break;
        }
        {
            struct replay_item *it = item(REPLAY_RMDIR, rel, i);
            struct stat st;
            if (it == NULL) {
                break;
            }
            mountStatDir(m, 0, NULL, &st);
            overlayAdd(m, rel, i, true, true, &st);
            push(m, it);
        }
    }
}

/* Whether this mount already shows a file at rel: a local create not yet
 * committed, or an inode the kernel looked up. */
static bool localName(struct mount *m, const char *rel, size_t len)
{
    struct pending_create *p;
    bool found;
    pthread_mutex_lock(&m->mu);
    found = inodeFindRel(&m->inodes, rel, len, false) != NULL;
    for (p = m->creates; !found && p != NULL; p = p->next) {
        found = p->rel_len == len && memcmp(p->rel, rel, len) == 0;
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

static bool sameValue(const struct store_kv *a, const struct store_kv *b)
{
    return a->value_len == b->value_len &&
           (a->value_len == 0 || memcmp(a->value, b->value, a->value_len) == 0);
}

void replayEnqueue(struct mount *m, const struct command *cmd,
                   const struct store_events *events, int64_t revision)
{
    size_t i;
    size_t j;
    bool *paired;
    if (cmd == NULL || cmd->origin == m->origin || events == NULL ||
        events->n_events == 0 || !m->replay_started) {
        return;
    }
    paired = calloc(events->n_events, sizeof *paired);
    if (paired == NULL) {
        return;
    }
    for (i = 0; i < events->n_events; i++) {
        const struct store_event *ev = &events->events[i];
        const char *key = ev->kv.key;
        size_t klen = ev->kv.key_len;
        const char *rel;
        size_t len;
        bool dir = false;
        struct replay_item *it;
        struct stat st;
        if (paired[i] || klen < m->prefix_len ||
            memcmp(key, m->prefix, m->prefix_len) != 0) {
            continue;
        }
        rel = key + m->prefix_len;
        len = klen - m->prefix_len;
        if (len > 0 && rel[len - 1] == '/') {
            dir = true;
            len--;
        }
        if (len == 0 || len >= MOUNT_REL_MAX) {
            continue;
        }
        if (ev->type == STORE_EVENT_DELETE) {
            /* a rename: a delete and a put of the same value in one txn */
            for (j = i + 1; !dir && j < events->n_events && ev->has_prev; j++) {
                const struct store_event *pe = &events->events[j];
                if (!paired[j] && pe->type == STORE_EVENT_PUT &&
                    pe->kv.key_len > m->prefix_len &&
                    memcmp(pe->kv.key, m->prefix, m->prefix_len) == 0 &&
                    pe->kv.key[pe->kv.key_len - 1] != '/' &&
                    sameValue(&pe->kv, &ev->prev_kv)) {
                    const char *rel2 = pe->kv.key + m->prefix_len;
                    size_t len2 = pe->kv.key_len - m->prefix_len;
                    paired[j] = true;
                    queueParents(m, rel2, len2, revision);
                    it = item(REPLAY_RENAME, rel, len);
                    if (it == NULL) {
                        break;
                    }
                    it->rel2 = dupn(rel2, len2);
                    it->rel2_len = len2;
                    mountStatFile(m, 0, &ev->prev_kv, &st);
                    overlayAdd(m, rel, len, false, true, &st);
                    if (!pe->has_prev) {
                        /* a new name stays hidden until the rename replay;
                         * an existing target stays visible (with its new
                         * value at once: readers never miss the file) */
                        overlayAdd(m, rel2, len2, false, false, NULL);
                    }
                    push(m, it);
                    queueEmptyParents(m, rel, len, revision);
                    goto next;
                }
            }
            if (dir) {
                /* a marker deleted: the directory goes if nothing is left */
                if (!dirExistedAt(m, rel, len, revision)) {
                    it = item(REPLAY_RMDIR, rel, len);
                    if (it != NULL) {
                        mountStatDir(m, 0, ev->has_prev ? &ev->prev_kv : NULL,
                                     &st);
                        overlayAdd(m, rel, len, true, true, &st);
                        push(m, it);
                    }
                    queueEmptyParents(m, rel, len, revision);
                }
                continue;
            }
            it = item(REPLAY_UNLINK, rel, len);
            if (it != NULL) {
                if (ev->has_prev) {
                    mountStatFile(m, 0, &ev->prev_kv, &st);
                } else {
                    memset(&st, 0, sizeof st);
                    st.st_mode = S_IFREG | 0644;
                }
                overlayAdd(m, rel, len, false, true, &st);
                push(m, it);
            }
            queueEmptyParents(m, rel, len, revision);
            continue;
        }
        /* PUT */
        if (dir) {
            if (!ev->has_prev) {
                queueParents(m, rel, len, revision);
                if (!dirExistedAt(m, rel, len, revision - 1)) {
                    it = item(REPLAY_MKDIR, rel, len);
                    if (it != NULL) {
                        it->mode = ev->kv.attr.mode != 0
                                       ? (ev->kv.attr.mode & 07777)
                                       : 0755;
                        overlayAdd(m, rel, len, true, false, NULL);
                        push(m, it);
                    }
                    continue;
                }
            }
            it = item(REPLAY_ATTRIB, rel, len);
            if (it != NULL) {
                it->mode = ev->kv.attr.mode != 0 ? (ev->kv.attr.mode & 07777)
                                                 : 0755;
                push(m, it);
            }
            continue;
        }
        if (!ev->has_prev && localName(m, rel, len)) {
            /* created here meanwhile (a local create racing the remote
             * one): the kernel knows the name, so this is a change */
            it = item(REPLAY_MODIFY, rel, len);
            if (it != NULL) {
                it->size = (off_t)ev->kv.value_len;
                push(m, it);
            }
            continue;
        }
        if (!ev->has_prev) {
            queueParents(m, rel, len, revision);
            it = item(REPLAY_CREATE, rel, len);
            if (it != NULL) {
                it->mode = ev->kv.attr.mode != 0 ? ev->kv.attr.mode
                                                 : (S_IFREG | 0644);
                it->size = (off_t)ev->kv.value_len;
                if (S_ISLNK(it->mode)) {
                    it->link = dupn(ev->kv.value != NULL ? ev->kv.value : "",
                                    ev->kv.value_len);
                }
                overlayAdd(m, rel, len, false, false, NULL);
                push(m, it);
            }
            continue;
        }
        if (sameValue(&ev->kv, &ev->prev_kv) &&
            (ev->kv.attr.mode != ev->prev_kv.attr.mode ||
             ev->kv.attr.uid != ev->prev_kv.attr.uid ||
             ev->kv.attr.gid != ev->prev_kv.attr.gid)) {
            /* chmod/chown: metadata only. The same bytes written again
             * (cp, a put of an unchanged value) are a write: IN_MODIFY and
             * IN_CLOSE_WRITE, as on the mount where it was made. */
            it = item(REPLAY_ATTRIB, rel, len);
            if (it != NULL) {
                it->mode = ev->kv.attr.mode != 0 ? (ev->kv.attr.mode & 07777)
                                                 : 0644;
                push(m, it);
            }
            continue;
        }
        it = item(REPLAY_MODIFY, rel, len);
        if (it != NULL) {
            it->size = (off_t)ev->kv.value_len;
            push(m, it);
        }
    next:;
    }
    free(paired);
}

/* ---- replay thread ---- */

/* Absolute path of rel on the mount; the last segment of a file is in its
 * shadowed form when a directory of the same name exists. */
static int absPath(struct mount *m, const char *rel, size_t len, bool dir,
                   char *out, size_t size)
{
    size_t off = (size_t)snprintf(out, size, "%s", m->dir);
    size_t start = 0;
    size_t i;
    for (i = 0; i <= len; i++) {
        if (i < len && rel[i] != '/') {
            continue;
        }
        {
            bool last = i == len;
            bool shadowed = false;
            int n;
            if (last && !dir) {
                /* does a directory of that name exist now? */
                char key[MOUNT_REL_MAX + 1200];
                struct store_range_resp resp;
                int kn = mountKey(m, rel, len, true, key, sizeof key);
                if (kn > 0 &&
                    mountPrefixRange(m, key, (size_t)kn, 1, 0, &resp) == 0) {
                    shadowed = resp.n_kvs > 0;
                    storeRangeRespClear(&resp);
                }
            }
            if (off + 2 >= size) {
                return -1;
            }
            out[off++] = '/';
            n = pathEscapeSegment(rel + start, i - start, shadowed, out + off,
                                  size - off);
            if (n < 0) {
                return -1;
            }
            off += (size_t)n;
        }
        start = i + 1;
    }
    out[off] = '\0';
    return 0;
}

static void invalidate(struct mount *m, const char *rel, size_t len)
{
    struct inode *in;
    uint64_t ino = 0;
    pthread_mutex_lock(&m->mu);
    in = inodeFindRel(&m->inodes, rel, len, false);
    if (in != NULL) {
        ino = in->ino;
        in->cached_rev = -1;
    }
    pthread_mutex_unlock(&m->mu);
    if (ino != 0) {
        (void)fuse_lowlevel_notify_inval_inode(m->se, ino, 0, 0);
    }
}

/* A file becomes a directory (a key gained children: its value is now the
 * file "name%"): drop the kernel's cached dentry of the file at that name,
 * so the replayed mkdir looks the name up again. */
static void forgetFileName(struct mount *m, const char *rel, size_t len)
{
    char name[PATH_NAME_MAX * 3 + 4];
    size_t start = len;
    uint64_t parent = 0;
    int n;
    while (start > 0 && rel[start - 1] != '/') {
        start--;
    }
    pthread_mutex_lock(&m->mu);
    if (inodeFindRel(&m->inodes, rel, len, false) != NULL) {
        struct inode *p = inodeFindRel(&m->inodes, rel,
                                       start > 0 ? start - 1 : 0, true);
        parent = p != NULL ? p->ino : 0;
    }
    pthread_mutex_unlock(&m->mu);
    if (parent == 0) {
        return; /* the kernel holds no dentry for it */
    }
    n = pathEscapeSegment(rel + start, len - start, false, name, sizeof name);
    if (n > 0) {
        (void)fuse_lowlevel_notify_inval_entry(m->se, parent, name,
                                               (size_t)n);
    }
}

static void replayOne(struct mount *m, struct replay_item *it)
{
    char path[MOUNT_REL_MAX * 3 + 4200];
    char path2[MOUNT_REL_MAX * 3 + 4200];
    bool dir = it->kind == REPLAY_MKDIR || it->kind == REPLAY_RMDIR;
    int fd;
    int rv = 0;
    if (absPath(m, it->rel, it->rel_len, dir, path, sizeof path) != 0) {
        goto out;
    }
    switch (it->kind) {
        case REPLAY_CREATE:
            if (S_ISLNK(it->mode)) {
                rv = symlink(it->link != NULL ? it->link : "", path);
                break;
            }
            fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                      it->mode & 07777);
            if (fd < 0) {
                rv = -1;
                break;
            }
            if (it->size > 0) {
                (void)ftruncate(fd, it->size); /* IN_MODIFY */
            }
            close(fd); /* IN_CLOSE_WRITE */
            break;
        case REPLAY_MKDIR:
            forgetFileName(m, it->rel, it->rel_len);
            rv = mkdir(path, it->mode);
            break;
        case REPLAY_MODIFY:
            invalidate(m, it->rel, it->rel_len);
            fd = open(path, O_WRONLY | O_CLOEXEC);
            if (fd < 0) {
                rv = -1;
                break;
            }
            (void)ftruncate(fd, it->size); /* IN_MODIFY */
            close(fd);                     /* IN_CLOSE_WRITE */
            invalidate(m, it->rel, it->rel_len);
            break;
        case REPLAY_ATTRIB:
            invalidate(m, it->rel, it->rel_len);
            rv = chmod(path, it->mode & 07777);
            if (rv != 0 &&
                absPath(m, it->rel, it->rel_len, true, path, sizeof path) == 0) {
                rv = chmod(path, it->mode & 07777);
            }
            break;
        case REPLAY_UNLINK:
            invalidate(m, it->rel, it->rel_len);
            rv = unlink(path);
            break;
        case REPLAY_RMDIR:
            rv = rmdir(path);
            break;
        case REPLAY_RENAME:
            if (absPath(m, it->rel2, it->rel2_len, false, path2,
                        sizeof path2) != 0) {
                break;
            }
            invalidate(m, it->rel, it->rel_len);
            invalidate(m, it->rel2, it->rel2_len);
            rv = rename(path, path2);
            break;
        default:
            break;
    }
    if (rv != 0) {
        debugf("mount replay of %s: %s", path, strerror(errno));
    }
out:
    /* whatever happened, the overlays of this item are done */
    switch (it->kind) {
        case REPLAY_CREATE:
            (void)overlayTake(m, it->rel, it->rel_len, false, false);
            break;
        case REPLAY_MKDIR:
            (void)overlayTake(m, it->rel, it->rel_len, true, false);
            break;
        case REPLAY_UNLINK:
            (void)overlayTake(m, it->rel, it->rel_len, false, true);
            break;
        case REPLAY_RMDIR:
            (void)overlayTake(m, it->rel, it->rel_len, true, true);
            break;
        case REPLAY_RENAME:
            (void)overlayTake(m, it->rel, it->rel_len, false, true);
            (void)overlayTake(m, it->rel2, it->rel2_len, false, false);
            break;
        default:
            break;
    }
}

static void *replayMain(void *arg)
{
    struct mount *m = arg;
    atomic_store(&m->replay_tid, (pid_t)syscall(SYS_gettid));
    for (;;) {
        struct replay_item *it;
        pthread_mutex_lock(&m->rq_mu);
        while (m->rq_head == NULL && !m->rq_stop) {
            pthread_cond_wait(&m->rq_cond, &m->rq_mu);
        }
        if (m->rq_stop) {
            pthread_mutex_unlock(&m->rq_mu);
            break;
        }
        it = m->rq_head;
        m->rq_head = it->next;
        if (m->rq_head == NULL) {
            m->rq_tail = NULL;
        }
        pthread_mutex_unlock(&m->rq_mu);
        replayOne(m, it);
        itemFree(it);
    }
    return NULL;
}

int replayStart(struct mount *m, char *errmsg)
{
    int rv = pthread_create(&m->replay_thread, NULL, replayMain, m);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "replay thread: %s", strerror(rv));
        return ETCFS_IO;
    }
    m->replay_started = true;
    return 0;
}

void replayStop(struct mount *m)
{
    struct replay_item *it;
    if (!m->replay_started) {
        return;
    }
    pthread_mutex_lock(&m->rq_mu);
    m->rq_stop = true;
    pthread_cond_signal(&m->rq_cond);
    pthread_mutex_unlock(&m->rq_mu);
    pthread_join(m->replay_thread, NULL);
    m->replay_started = false;
    while ((it = m->rq_head) != NULL) {
        m->rq_head = it->next;
        itemFree(it);
    }
    m->rq_tail = NULL;
}
