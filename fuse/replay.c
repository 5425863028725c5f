/* Remote changes -> inotify events. The kernel raises inotify events only
 * for syscalls made on the mount, and no FUSE notify call raises IN_CREATE
 * or IN_DELETE (shared/notes/inotify.md). So this worker repeats another
 * origin's applied changes (events.c queues them) as ordinary syscalls on
 * the mount point: open(O_CREAT|O_EXCL)+ftruncate+close for a create,
 * open+ftruncate+close for a modification, unlink, mkdir, rmdir, rename,
 * chmod for metadata. Handlers recognise the worker by its tid and only
 * raise the event; nothing is proposed again.
 *
 * Everyone else sees the store at once, so the name a create adds already
 * exists and the name a delete removes is already gone. The worker alone
 * gets the view of the one item it is repeating (replayViewLookup): the
 * created name is absent, the deleted name present with its last
 * attributes (the orphan inode the kernel knows, or one made for it), the
 * parents a delete or rename emptied still there. What a watcher sees in
 * each race is tabled in docs/ARCHITECTURE.md ("What a watcher sees"):
 * e.g. a create whose name some process looked up before the replay ran
 * is repeated as a modification (IN_MODIFY, IN_CLOSE_WRITE); a directory
 * already looked up raises no second IN_CREATE.
 *
 * Before repeating an item the worker skips it when no watcher can be in
 * its directory (inodeDirSeen). Queued changes to one name merge while
 * they wait: modifications into one (the latest size), chmods into one, a
 * delete supersedes a modification or chmod (a create and its delete are
 * both repeated: the name may have been listed meanwhile). Under
 * --mount-user only changes the user may read are queued. The worker never holds mount.mu or any
 * lock across a syscall, never runs inside a handler, and never reads
 * through the mount (that would add events). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../src/core/error.h"
#include "../src/lib/hash.h"
#include "../src/lib/log.h"
#include "mount_internal.h"
#include "../src/core/metrics.h"
#include "path.h"

#define REPLAY__BUCKETS 4096

/* ---- items and the queue ---- */

struct replay_item *replayItem(int kind, const char *rel, size_t len)
{
    struct replay_item *it = calloc(1, sizeof *it);
    if (it == NULL) {
        return NULL;
    }
    it->kind = kind;
    it->rel = mountMemDup(rel, len);
    it->rel_len = len;
    if (it->rel == NULL) {
        free(it);
        return NULL;
    }
    return it;
}

static void itemFree(struct replay_item *it)
{
    free(it->rel);
    free(it->rel2);
    free(it->link);
    free(it);
}

static size_t nameBucket(const char *rel, size_t len)
{
    return (size_t)(hashBytes(rel, len) % REPLAY__BUCKETS);
}

static bool mergeable(const struct replay_item *it)
{
    return !it->dir && it->rel2 == NULL &&
           (it->kind == REPLAY_CREATE || it->kind == REPLAY_MODIFY ||
            it->kind == REPLAY_ATTRIB || it->kind == REPLAY_UNLINK);
}

static void namesUnlink(struct mount *m, struct replay_item *it)
{
    struct replay_item **pp;
    if (m->rq_names == NULL || !mergeable(it)) {
        return;
    }
    for (pp = &m->rq_names[nameBucket(it->rel, it->rel_len)]; *pp != NULL;
         pp = &(*pp)->next_name) {
        if (*pp == it) {
            *pp = it->next_name;
            return;
        }
    }
}

/* Merges it into the items of its name still waiting (rq_mu held; the
 * chain is newest first). Returns true when it was absorbed (the caller
 * frees it). */
static bool merge(struct mount *m, struct replay_item *it)
{
    struct replay_item *p;
    size_t b = nameBucket(it->rel, it->rel_len);
    for (p = m->rq_names[b]; p != NULL; p = p->next_name) {
        if (p->cancelled || p->rel_len != it->rel_len ||
            memcmp(p->rel, it->rel, it->rel_len) != 0) {
            continue;
        }
        switch (it->kind) {
            case REPLAY_MODIFY:
                if (p->kind == REPLAY_CREATE || p->kind == REPLAY_MODIFY) {
                    p->size = it->size;
                    return true;
                }
                return false; /* after a chmod: its own event */
            case REPLAY_ATTRIB:
                if (p->kind == REPLAY_ATTRIB) {
                    p->mode = it->mode;
                    return true;
                }
                if (p->kind == REPLAY_CREATE) {
                    p->mode = (p->mode & S_IFMT) | (it->mode & 07777);
                    return true;
                }
                return false;
            case REPLAY_UNLINK:
                /* a modification or chmod still waiting is superseded by
                 * the delete. A create is not: it was queued because a
                 * process had the directory, which may have listed the
                 * name since (lookups and readdir answer from the store),
                 * so its watchers are owed the IN_DELETE. */
                if (p->kind == REPLAY_MODIFY || p->kind == REPLAY_ATTRIB) {
                    p->cancelled = true;
                    break;
                }
                return false;
            default:
                return false;
        }
    }
    return false;
}

/* Under --mount-user: whether it concerns what the user may read, so a
 * watcher sees only the changes its listing shows. A rename across the
 * edge of the user's keys is repeated as the half the user sees: a delete
 * of the source or a create of the destination (a symlink's create is
 * not: its target is not in the item). False: drop it. Loop thread. */
static bool visible(struct mount *m, struct replay_item *it)
{
    bool from;
    bool to;
    if (m->who.len == 0) {
        return true;
    }
    from = mountMayRead(m, it->rel, it->rel_len, it->dir) == 0;
    if (it->kind != REPLAY_RENAME) {
        return from;
    }
    to = mountMayRead(m, it->rel2, it->rel2_len, it->dir) == 0;
    if (from == to) {
        return from;
    }
    if (from) {
        it->kind = it->dir ? REPLAY_RMDIR : REPLAY_UNLINK;
        free(it->rel2);
        it->rel2 = NULL;
        it->rel2_len = 0;
        return true;
    }
    if (!it->dir && S_ISLNK(it->st.st_mode)) {
        return false;
    }
    free(it->rel);
    it->rel = it->rel2;
    it->rel_len = it->rel2_len;
    it->rel2 = NULL;
    it->rel2_len = 0;
    it->kind = it->dir ? REPLAY_MKDIR : REPLAY_CREATE;
    if (it->dir) {
        it->mode = it->st.st_mode & 07777;
    } else {
        it->mode = it->st.st_mode != 0 ? it->st.st_mode
                                       : MOUNT_DEFAULT_FILE_MODE;
        it->size = it->st.st_size;
    }
    return true;
}

void replayPush(struct mount *m, struct replay_item *it)
{
    if (!visible(m, it)) {
        itemFree(it);
        return;
    }
    pthread_mutex_lock(&m->rq_mu);
    if (m->rq_names == NULL) {
        m->rq_names = calloc(REPLAY__BUCKETS, sizeof *m->rq_names);
    }
    if (m->rq_names != NULL) {
        if (mergeable(it)) {
            if (merge(m, it)) {
                pthread_mutex_unlock(&m->rq_mu);
                itemFree(it);
                return;
            }
            it->next_name = m->rq_names[nameBucket(it->rel, it->rel_len)];
            m->rq_names[nameBucket(it->rel, it->rel_len)] = it;
        } else {
            /* a rename or a directory change: no merging across it */
            memset(m->rq_names, 0, REPLAY__BUCKETS * sizeof *m->rq_names);
        }
    }
    if (m->rq_tail != NULL) {
        m->rq_tail->next = it;
    } else {
        m->rq_head = it;
    }
    m->rq_tail = it;
    m->rq_len++;
    if (m->deps.metrics != NULL) {
        it->queued_ns = metricsNowNs();
        METRICS_ADD(m->deps.metrics, replay_queue, 1);
        if (m->rq_head == it) {
            atomic_store(&m->deps.metrics->replay_oldest_ns, it->queued_ns);
        }
    }
    pthread_cond_signal(&m->rq_cond);
    pthread_mutex_unlock(&m->rq_mu);
}

/* ---- the view (replay requests, mu) ---- */

static bool sameRel(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool ancestorOf(const char *rel, size_t len, const char *of,
                       size_t of_len)
{
    return of != NULL && of_len > len && of[len] == '/' &&
           memcmp(of, rel, len) == 0;
}

static void ghostDirStat(struct mount *m, struct stat *st)
{
    mountStatDir(m, 0, NULL, st);
}

int replayViewLookup(struct mount *m, const char *rel, size_t len,
                     bool shadowed, struct fuse_entry_param *e)
{
    const struct replay_item *it;
    struct inode *in = NULL;
    struct stat st;
    int rv = 0;
    memset(e, 0, sizeof *e);
    pthread_mutex_lock(&m->mu);
    it = m->view;
    if (it == NULL) {
        goto out;
    }
    if (sameRel(rel, len, it->rel, it->rel_len)) {
        switch (it->kind) {
            case REPLAY_CREATE:
            case REPLAY_MKDIR:
                rv = ENOENT;
                goto out;
            case REPLAY_UNLINK:
            case REPLAY_RMDIR:
                st = it->st;
                /* the inode the kernel knows for the name, so a watch on
                 * it gets IN_DELETE_SELF */
                in = inodeFindOrphan(&m->inodes, rel, len, it->dir);
                if (in != NULL && in->nlookup > 0) {
                    in->nlookup++;
                } else {
                    in = inodeNewOrphan(&m->inodes, rel, len, it->dir, &st);
                }
                break;
            case REPLAY_RENAME:
                /* the source: the inode moved to the target at apply */
                in = inodeFindRel(&m->inodes, it->rel2, it->rel2_len,
                                  it->dir);
                if (in != NULL) {
                    in->nlookup++;
                } else {
                    in = inodeGet(&m->inodes, it->rel2, it->rel2_len,
                                  it->dir, true);
                }
                st = it->st;
                break;
            default:
                goto out;
        }
    } else if (it->kind == REPLAY_RENAME &&
               sameRel(rel, len, it->rel2, it->rel2_len)) {
        if (!it->to_existed) {
            rv = ENOENT;
            goto out;
        }
        if (it->dir) {
            ghostDirStat(m, &st);
        } else {
            memset(&st, 0, sizeof st);
            st.st_mode = MOUNT_DEFAULT_FILE_MODE;
            st.st_nlink = 1;
        }
        in = inodeNewOrphan(&m->inodes, rel, len, it->dir, &st);
    } else if (!shadowed &&
               (ancestorOf(rel, len, it->rel, it->rel_len) ||
                ancestorOf(rel, len, it->rel2, it->rel2_len)) &&
               !mountDirExists(m, rel, len)) {
        /* a parent the change emptied: still there for the replay, as the
         * inode the kernel knows when it still holds one */
        in = inodeFindRel(&m->inodes, rel, len, true);
        if (in == NULL) {
            in = inodeFindOrphan(&m->inodes, rel, len, true);
            if (in != NULL && in->nlookup == 0) {
                in = NULL;
            }
        }
        if (in != NULL) {
            in->nlookup++;
        } else {
            in = inodeGet(&m->inodes, rel, len, true, true);
        }
        ghostDirStat(m, &st);
    } else {
        goto out;
    }
    if (in == NULL) {
        goto out; /* out of memory: the store's answer */
    }
    st.st_ino = in->ino;
    if (st.st_mode == 0) {
        st.st_mode = in->dir ? MOUNT_DEFAULT_DIR_MODE : MOUNT_DEFAULT_FILE_MODE;
    }
    if (st.st_nlink == 0) {
        st.st_nlink = in->dir ? 2 : 1;
    }
    e->ino = in->ino;
    e->attr = st;
    e->attr_timeout = 0;
    e->entry_timeout = 0;
    rv = -1;
out:
    pthread_mutex_unlock(&m->mu);
    return rv;
}

/* ---- the worker ---- */

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
            bool shadowed = last && !dir && mountDirExists(m, rel, len);
            int n;
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

/* What to do with it now (mu held): its kind, or 0 to skip. */
static int decide(struct mount *m, struct replay_item *it)
{
    struct inode *e;
    bool seen = inodeDirSeen(&m->inodes, it->rel,
                             pathParentLen(it->rel, it->rel_len));
    if (it->kind == REPLAY_RENAME) {
        seen = seen || inodeDirSeen(&m->inodes, it->rel2,
                                    pathParentLen(it->rel2, it->rel2_len));
    }
    if (!seen) {
        return 0; /* nobody can watch there */
    }
    switch (it->kind) {
        case REPLAY_CREATE:
            e = inodeFindRel(&m->inodes, it->rel, it->rel_len, false);
            if (e != NULL && e->nlookup > 0 && !S_ISLNK(it->mode)) {
                /* looked up already: the kernel knows the name, so this is
                 * a change to it */
                return REPLAY_MODIFY;
            }
            return e != NULL && e->nlookup > 0 ? 0 : REPLAY_CREATE;
        case REPLAY_MKDIR:
            e = inodeFindRel(&m->inodes, it->rel, it->rel_len, true);
            return e != NULL && e->nlookup > 0 ? 0 : REPLAY_MKDIR;
        default:
            return it->kind;
    }
}

/* ---- parent directory descriptors ----
 * Repeating a change by its absolute path costs the kernel a LOOKUP and a
 * GETATTR (permission) of every directory on the way: names and
 * attributes are not cached in linearizable mode. The worker keeps O_PATH
 * descriptors of the directories it used last and repeats the change
 * relative to one (openat, unlinkat, ...): one name walked. A descriptor
 * is used only while the inode table still has that directory's inode at
 * that path (a rename or delete elsewhere moves or orphans it); any
 * failure through it falls back to the absolute path. */

static void dirDrop(struct replay_dir *d)
{
    if (d->rel != NULL) {
        close(d->fd);
        free(d->rel);
        d->rel = NULL;
    }
}

static void dirsDropAll(struct mount *m)
{
    size_t i;
    for (i = 0; i < MOUNT_REPLAY_DIRS; i++) {
        dirDrop(&m->rdirs[i]);
    }
}

/* Whether rel's directory inode is still ino (mu taken here). */
static bool dirCurrent(struct mount *m, const char *rel, size_t len, ino_t ino)
{
    struct inode *e;
    bool ok;
    if (len == 0) {
        return true; /* the root never moves */
    }
    pthread_mutex_lock(&m->mu);
    e = inodeFindRel(&m->inodes, rel, len, true);
    ok = e != NULL && !e->orphan && (ino_t)e->ino == ino;
    pthread_mutex_unlock(&m->mu);
    return ok;
}

/* A descriptor of directory rel, or -1 (use the absolute path). */
static int dirFd(struct mount *m, const char *rel, size_t len)
{
    char path[MOUNT_REL_MAX * 3 + 4200];
    struct replay_dir *slot = &m->rdirs[0];
    struct stat st;
    size_t i;
    int fd;
    for (i = 0; i < MOUNT_REPLAY_DIRS; i++) {
        struct replay_dir *d = &m->rdirs[i];
        if (d->rel != NULL && d->len == len && memcmp(d->rel, rel, len) == 0) {
            if (!dirCurrent(m, rel, len, d->ino)) {
                dirDrop(d);
                break;
            }
            d->used = ++m->rdirs_clock;
            return d->fd;
        }
        if (d->rel == NULL || (slot->rel != NULL && d->used < slot->used)) {
            slot = d;
        }
    }
    if (len == 0) {
        snprintf(path, sizeof path, "%s", m->dir);
    } else if (absPath(m, rel, len, true, path, sizeof path) != 0) {
        return -1;
    }
    fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (fstat(fd, &st) != 0 || !dirCurrent(m, rel, len, st.st_ino)) {
        close(fd); /* a directory the store no longer has: by path */
        return -1;
    }
    if (slot->rel != NULL) {
        dirDrop(slot);
    }
    slot->rel = mountMemDup(rel, len);
    if (slot->rel == NULL) {
        close(fd);
        return -1;
    }
    slot->len = len;
    slot->fd = fd;
    slot->ino = st.st_ino;
    slot->used = ++m->rdirs_clock;
    return fd;
}

/* Where the syscall for rel goes: *dfd and name relative to it (a cached
 * parent descriptor and the escaped last segment), or AT_FDCWD and the
 * absolute path. 0, or -1 when rel cannot be named. */
static int replayTarget(struct mount *m, const char *rel, size_t len, bool dir,
                        bool by_path, int *dfd, char *name, size_t size)
{
    size_t plen = pathParentLen(rel, len);
    size_t start = plen > 0 ? plen + 1 : 0;
    int fd = by_path ? -1 : dirFd(m, rel, plen);
    int n;
    if (fd < 0) {
        *dfd = AT_FDCWD;
        return absPath(m, rel, len, dir, name, size);
    }
    n = pathEscapeSegment(rel + start, len - start,
                          !dir && mountDirExists(m, rel, len), name, size);
    if (n < 0) {
        return -1;
    }
    name[n] = '\0';
    *dfd = fd;
    return 0;
}

/* Repeats one change; -1 with errno when the syscall failed. */
static int replaySyscall(struct replay_item *it, int kind, int dfd,
                         const char *name, const char *path2)
{
    int fd;
    switch (kind) {
        case REPLAY_CREATE:
            if (S_ISLNK(it->mode)) {
                return symlinkat(it->link != NULL ? it->link : "", dfd, name);
            }
            fd = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
                        it->mode & 07777);
            if (fd < 0) {
                return -1;
            }
            if (it->size > 0) {
                (void)ftruncate(fd, it->size); /* IN_MODIFY */
            }
            close(fd); /* IN_CLOSE_WRITE */
            return 0;
        case REPLAY_MKDIR:
            return mkdirat(dfd, name, it->mode != 0 ? it->mode : 0755);
        case REPLAY_MODIFY:
            fd = openat(dfd, name, O_WRONLY | O_CLOEXEC);
            if (fd < 0) {
                return -1;
            }
            (void)ftruncate(fd, it->size); /* IN_MODIFY */
            close(fd);                     /* IN_CLOSE_WRITE */
            return 0;
        case REPLAY_ATTRIB:
            return fchmodat(dfd, name, it->mode & 07777, 0);
        case REPLAY_UNLINK:
            return unlinkat(dfd, name, 0);
        case REPLAY_RMDIR:
            return unlinkat(dfd, name, AT_REMOVEDIR);
        case REPLAY_RENAME:
            return rename(name, path2);
        default:
            return 0;
    }
}

static void replayOne(struct mount *m, struct replay_item *it)
{
    char name[MOUNT_REL_MAX * 3 + 4200];
    char path2[MOUNT_REL_MAX * 3 + 4200];
    bool by_path = it->kind == REPLAY_RENAME;
    int kind;
    int dfd;
    int rv;
    pthread_mutex_lock(&m->mu);
    kind = decide(m, it);
    if (kind != 0) {
        m->view = it;
    }
    pthread_mutex_unlock(&m->mu);
    if (kind == 0) {
        goto out;
    }
    if (kind == REPLAY_RENAME &&
        absPath(m, it->rel2, it->rel2_len, it->dir, path2, sizeof path2) != 0) {
        goto out;
    }
    for (;;) {
        if (replayTarget(m, it->rel, it->rel_len, it->dir, by_path, &dfd,
                         name, sizeof name) != 0) {
            goto out;
        }
        rv = replaySyscall(it, kind, dfd, name, path2);
        if (rv == 0 || dfd == AT_FDCWD) {
            break;
        }
        by_path = true; /* the directory moved under the descriptor */
        dirsDropAll(m);
    }
    if (rv != 0) {
        debugf("mount replay of %.*s: %s", (int)it->rel_len, it->rel,
               strerror(errno));
    }
    if (kind == REPLAY_RENAME || kind == REPLAY_RMDIR) {
        dirsDropAll(m); /* directories moved or gone */
    }
out:
    pthread_mutex_lock(&m->mu);
    m->view = NULL;
    pthread_mutex_unlock(&m->mu);
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
        m->rq_len--;
        if (m->deps.metrics != NULL) {
            METRICS_ADD(m->deps.metrics, replay_queue, -1);
            atomic_store(&m->deps.metrics->replay_oldest_ns,
                         m->rq_head != NULL ? m->rq_head->queued_ns : 0);
        }
        namesUnlink(m, it);
        pthread_mutex_unlock(&m->rq_mu);
        if (!it->cancelled) {
            replayOne(m, it);
        }
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
    dirsDropAll(m);
    while ((it = m->rq_head) != NULL) {
        m->rq_head = it->next;
        itemFree(it);
    }
    m->rq_tail = NULL;
    free(m->rq_names);
    m->rq_names = NULL;
}
