/* Files: open, create, read, write, flush, fsync, release. The value lives
 * in the handle (handle.c has the commit rules). A linearizable open
 * confirms with the leader first, except a write-only O_TRUNC open, which
 * reads nothing. The replay's opens and creates carry no data: they only
 * raise IN_OPEN/IN_CREATE/IN_MODIFY/IN_CLOSE_WRITE for a change applied
 * already. Under --mount-user an open or create the user's permissions do
 * not allow is EACCES at once, not at the commit. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/log.h"
#include "mount_internal.h"

/* Takes the stored value into h (unless trunc). */
static int handleFill(struct mount *m, struct fs_handle *h,
                      const struct fs_target *t, bool trunc)
{
    if (t->have_kv) {
        h->exists = true;
        h->base_rev = t->kv.mod_revision;
        h->lease = t->kv.lease;
        h->attr = t->kv.attr;
        if (!trunc && t->kv.value_len > 0) {
            int rv = handleReserve(m, h, t->kv.value_len + 1);
            if (rv != 0) {
                return rv;
            }
            memcpy(h->buf, t->kv.value, t->kv.value_len);
            h->len = t->kv.value_len;
        }
        if (trunc && t->kv.value_len > 0) {
            h->dirty = true; /* the truncation, deferred until data */
        }
    } else {
        h->attr = t->kv.attr; /* a pending local create */
        h->dirty = t->pending;
    }
    return 0;
}

void fsOpen(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len = 0;
    bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    bool trunc = (fi->flags & O_TRUNC) != 0;
    struct fs_target t;
    struct fs_handle *h;
    struct inode *e;
    int rv = 0;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, ino);
    if (e == NULL || (e->orphan && !e->replaced)) {
        rv = e == NULL ? ESTALE : ENOENT;
    } else if (e->dir) {
        rv = EISDIR;
    } else {
        len = e->rel_len;
        memcpy(rel, e->rel, len + 1);
    }
    pthread_mutex_unlock(&m->mu);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        h = handleNew(ino);
        if (h == NULL) {
            fuse_reply_err(req, ENOMEM);
            return;
        }
        h->replay = true;
        fi->fh = (uint64_t)(uintptr_t)h;
        fi->noflush = 1;
        fi->keep_cache = 1;
        fuse_reply_open(req, fi);
        return;
    }
    if (writing && !fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    /* the user's permissions, at open rather than at the commit */
    rv = (fi->flags & O_ACCMODE) != O_WRONLY ? mountMayRead(m, rel, len, false)
                                             : 0;
    if (rv == 0 && writing) {
        rv = mountMayWrite(m, rel, len, false);
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (!(trunc && (fi->flags & O_ACCMODE) == O_WRONLY)) {
        rv = mountOpReadGateFor(m, req, ino);
        if (rv != 0 && !writing) {
            /* linearizable and no quorum to confirm with: EIO, not stale */
            fuse_reply_err(req, EIO);
            return;
        }
    }
    rv = fsResolveFound(m, rel, len, true, &t);
    h = rv == 0 ? handleNew(ino) : NULL;
    if (rv == 0 && h == NULL) {
        rv = ENOMEM;
    }
    if (rv == 0) {
        h->writable = writing;
        h->append = (fi->flags & O_APPEND) != 0;
        rv = handleFill(m, h, &t, trunc);
    }
    if (rv != 0) {
        handleFree(h);
        fsTargetClear(&t);
        fuse_reply_err(req, rv);
        return;
    }
    fi->keep_cache = 0;
    if (t.have_kv && !trunc) {
        pthread_mutex_lock(&m->mu);
        e = inodeFind(&m->inodes, ino);
        if (e != NULL) {
            if (e->cached_rev == t.kv.mod_revision) {
                fi->keep_cache = 1; /* unchanged: the page cache holds it */
            }
            e->cached_rev = t.kv.mod_revision;
        }
        pthread_mutex_unlock(&m->mu);
        if (!fi->keep_cache && m->cache_timeout > 0) {
            /* the value may be newer than the size the kernel cached: a
             * read must not stop at the old size. Attributes only: no page
             * lock, safe in a handler. */
            (void)fuse_lowlevel_notify_inval_inode(m->se, ino, -1, 0);
        }
    }
    fsTargetClear(&t);
    handleAttach(m, h);
    fi->fh = (uint64_t)(uintptr_t)h;
    if (!writing) {
        fi->noflush = 1; /* nothing to commit: spare close() a round trip */
    }
    fuse_reply_open(req, fi);
}

void fsCreate(fuse_req_t req, fuse_ino_t parent, const char *name,
              mode_t mode, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct fs_handle *h;
    struct inode *in;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        /* a remote create surfacing: applied already, propose nothing
         * (ENOENT: deleted again since) */
        rv = fsResolveFound(m, rel, len, true, &t);
        h = rv == 0 ? handleNew(0) : NULL;
        if (rv != 0 || h == NULL) {
            fsTargetClear(&t);
            fuse_reply_err(req, rv != 0 ? rv : ENOMEM);
            return;
        }
        h->replay = true;
        fi->fh = (uint64_t)(uintptr_t)h;
        fi->noflush = 1;
        fsReplyEntry(req, m, rel, len, &t, fi);
        fsTargetClear(&t);
        return;
    }
    if (!S_ISREG(mode)) {
        fuse_reply_err(req, EPERM);
        return;
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = mountMayWrite(m, rel, len, false);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    rv = fsResolve(m, rel, len, shadowed, &t);
    if (rv == 0 && t.kind == FS_DIR) {
        rv = EISDIR;
    } else if (rv == 0 && t.kind == FS_FILE && (fi->flags & O_EXCL)) {
        rv = EEXIST;
    } else if (rv == 0 && t.kind == FS_FILE &&
               (fi->flags & O_ACCMODE) != O_WRONLY) {
        rv = mountMayReadTarget(m, rel, len, &t); /* its value is read */
    }
    h = rv == 0 ? handleNew(0) : NULL;
    if (rv == 0 && h == NULL) {
        rv = ENOMEM;
    }
    if (rv != 0) {
        fsTargetClear(&t);
        fuse_reply_err(req, rv);
        return;
    }
    h->writable = true;
    h->append = (fi->flags & O_APPEND) != 0;
    if (t.kind == FS_FILE) {
        /* exists already (no O_EXCL): like open with the given flags */
        rv = handleFill(m, h, &t, (fi->flags & O_TRUNC) != 0);
        if (rv != 0) {
            handleFree(h);
            fsTargetClear(&t);
            fuse_reply_err(req, rv);
            return;
        }
    } else {
        fsNewAttr(req, S_IFREG | (mode & 07777), &h->attr);
        h->dirty = true; /* even empty: touch creates the key */
        t.kind = FS_FILE;
        t.pending = true;
        t.kv.attr = h->attr;
    }
    pthread_mutex_lock(&m->mu);
    in = inodeGet(&m->inodes, rel, len, false, false);
    if (in != NULL) {
        h->ino = in->ino;
        if (t.pending && !t.have_kv) {
            in->pending_attr = h->attr;
            inodeSetPending(&m->inodes, in, true);
            /* the directory shows the new name now, though the key is
             * committed at the first flush with data or at release */
            (void)inodeParentTouched(&m->inodes, rel, len,
                                     h->attr.ctime_ns);
        }
        h->next = in->handles;
        in->handles = h;
    }
    pthread_mutex_unlock(&m->mu);
    if (in == NULL) {
        handleFree(h);
        fsTargetClear(&t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)h;
    fsReplyEntry(req, m, rel, len, &t, fi);
    fsTargetClear(&t);
}

void fsRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
            struct fuse_file_info *fi)
{
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    if (off < 0 || (size_t)off >= h->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    if (size > h->len - (size_t)off) {
        size = h->len - (size_t)off;
    }
    /* The reply completes the READ inside writev(), and the kernel may
     * send RELEASE at once; another thread must not free the buffer
     * before writev() returned (fsRelease waits for 'readers'). */
    atomic_fetch_add(&h->readers, 1);
    fuse_reply_buf(req, h->buf + off, size);
    atomic_fetch_sub(&h->readers, 1);
}

void fsWrite(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
             off_t off, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    int rv;
    (void)ino;
    if (h->replay) {
        fuse_reply_write(req, size); /* replays carry no data */
        return;
    }
    if (h->append) {
        off = (off_t)h->len;
    }
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    rv = handleReserve(m, h, (size_t)off + size + 1);
    if (rv != 0) {
        h->failed = true;
        fuse_reply_err(req, rv);
        return;
    }
    if ((size_t)off > h->len) {
        memset(h->buf + h->len, 0, (size_t)off - h->len);
    }
    memcpy(h->buf + off, buf, size);
    if ((size_t)off + size > h->len) {
        h->len = (size_t)off + size;
    }
    h->dirty = true;
    h->data = true;
    h->mtime_set = false;
    fuse_reply_write(req, size);
}

void fsFlush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    /* Data written through this handle is committed before close()
     * returns. A close() with nothing written since (the shell's close()
     * after dup2) commits nothing: the truncation waits for the data. */
    if (h->failed) {
        fuse_reply_err(req, EFBIG);
        return;
    }
    fuse_reply_err(req, h->data ? handleCommit(m, h, false) : 0);
}

void fsFsync(fuse_req_t req, fuse_ino_t ino, int datasync,
             struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    (void)datasync;
    /* an explicit sync commits whatever the handle holds */
    fuse_reply_err(req, handleCommit(m, h, !h->data));
}

void fsRelease(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    int rv;
    (void)ino;
    if (h->dirty && !h->replay && !h->failed) {
        rv = handleCommit(m, h, !h->data);
        if (rv != 0) {
            warnf("mount: inode %llu: changes lost at release: %s",
                  (unsigned long long)h->ino, strerror(rv));
        }
    }
    if (!h->replay) {
        handleDetach(m, h);
    }
    while (atomic_load(&h->readers) > 0) {
        sched_yield();
    }
    handleFree(h);
    fuse_reply_err(req, 0);
}
