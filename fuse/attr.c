/* setattr: chmod, chown, truncate, utimensat. The kernel checks who may do
 * what (default_permissions: owner or CAP_FOWNER for chmod and explicit
 * times, write access for UTIME_NOW, the chown rules, SUID/SGID dropped on
 * a non-root write or a chown, sent here as a mode change); this file keeps
 * what a local filesystem keeps: ctime is now on every change, UTIME_OMIT
 * leaves a time alone, a truncation without explicit times sets mtime.
 * Through an open writable descriptor the change goes with its next commit;
 * otherwise it is one put of the current value with the new metadata, and
 * open handles of the file take the new mode and owner so their commit does
 * not bring the old ones back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"

static int64_t tsNs(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* The metadata after the change. */
static void newAttr(struct store_attr *na, const struct stat *attr,
                    int to_set, bool dir)
{
    int64_t now = mountNowNs();
    if (na->mode == 0) {
        na->mode = dir ? MOUNT_DEFAULT_DIR_MODE : MOUNT_DEFAULT_FILE_MODE;
    }
    if (na->atime_ns == 0) {
        na->atime_ns = na->mtime_ns; /* keep what stat showed */
    }
    if (to_set & FUSE_SET_ATTR_MODE) {
        na->mode = (na->mode & S_IFMT) | (attr->st_mode & 07777);
    }
    if (to_set & FUSE_SET_ATTR_UID) {
        na->uid = attr->st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
        na->gid = attr->st_gid;
    }
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) {
        na->atime_ns = now;
    } else if (to_set & FUSE_SET_ATTR_ATIME) {
        na->atime_ns = tsNs(&attr->st_atim);
    }
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
        na->mtime_ns = now;
    } else if (to_set & FUSE_SET_ATTR_MTIME) {
        na->mtime_ns = tsNs(&attr->st_mtim);
    } else if (to_set & FUSE_SET_ATTR_SIZE) {
        na->mtime_ns = now;
    }
    na->ctime_ns = now;
}

/* Open handles of ino take the new mode and owner (mu held). */
static void handlesTakeAttr(struct mount *m, fuse_ino_t ino,
                            const struct store_attr *na)
{
    struct inode *e = inodeFind(&m->inodes, ino);
    struct fs_handle *h;
    if (e == NULL) {
        return;
    }
    if (e->pending) {
        e->pending_attr = *na;
        e->attr_gen++; /* a commit in flight takes it again (handle.c) */
    }
    for (h = e->handles; h != NULL; h = h->next) {
        h->attr.mode = na->mode;
        h->attr.uid = na->uid;
        h->attr.gid = na->gid;
    }
}

/* Through an open writable descriptor: into the handle. 0 or an errno. */
static int setattrHandle(struct mount *m, struct fs_handle *h,
                         const struct stat *attr, int to_set,
                         const struct store_attr *na)
{
    if (to_set & FUSE_SET_ATTR_SIZE) {
        size_t sz = (size_t)attr->st_size;
        int rv = handleReserve(m, h, sz + 1);
        if (rv != 0) {
            return rv;
        }
        if (sz > h->len) {
            memset(h->buf + h->len, 0, sz - h->len);
        }
        h->len = sz;
        h->data = true;
    }
    h->attr = *na;
    h->dirty = true;
    if (to_set & FUSE_SET_ATTR_MTIME) {
        h->mtime_set = true;
    } else if (to_set & (FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_MTIME_NOW)) {
        h->mtime_set = false;
    }
    pthread_mutex_lock(&m->mu);
    handlesTakeAttr(m, h->ino, na);
    pthread_mutex_unlock(&m->mu);
    return 0;
}

void fsSetattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
               struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h =
        fi != NULL ? (struct fs_handle *)(uintptr_t)fi->fh : NULL;
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool dir;
    struct fs_target t;
    struct store_attr na;
    const char *value = "";
    size_t value_len = 0;
    char *v = NULL;
    int rv = fsRelOf(m, ino, rel, &len, &dir);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req) || (h != NULL && h->replay)) {
        fsGetattr(req, ino, fi); /* replays only raise the event */
        return;
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = mountMayWrite(m, rel, len, dir); /* the key, or the marker */
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (h != NULL && !h->writable) {
        h = NULL; /* fchmod on a read-only descriptor: by path */
    }
    if (h != NULL && !dir) {
        /* an open file: its buffer is the value, even if unlinked */
        na = h->attr;
        newAttr(&na, attr, to_set, false);
        rv = setattrHandle(m, h, attr, to_set, &na);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        fsGetattr(req, ino, fi);
        return;
    }
    rv = fsResolveFound(m, rel, len, !dir, &t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    na = t.kv.attr;
    newAttr(&na, attr, to_set, dir);
    if (t.pending) {
        /* created here, not committed yet: its metadata goes with the
         * first commit (touch, chmod before the first close) */
        pthread_mutex_lock(&m->mu);
        handlesTakeAttr(m, ino, &na);
        {
            struct inode *e = inodeFind(&m->inodes, ino);
            if (e != NULL && (to_set & FUSE_SET_ATTR_MTIME)) {
                struct fs_handle *o;
                for (o = e->handles; o != NULL; o = o->next) {
                    o->attr.mtime_ns = na.mtime_ns;
                    o->mtime_set = true;
                }
            }
        }
        pthread_mutex_unlock(&m->mu);
        fsTargetClear(&t);
        fsGetattr(req, ino, fi);
        return;
    }
    if (!dir && (to_set & FUSE_SET_ATTR_SIZE)) {
        size_t sz = (size_t)attr->st_size;
        if (sz > m->max_value) {
            fsTargetClear(&t);
            fuse_reply_err(req, EFBIG);
            return;
        }
        v = calloc(1, sz + 1);
        if (v == NULL) {
            fsTargetClear(&t);
            fuse_reply_err(req, ENOMEM);
            return;
        }
        memcpy(v, t.kv.value, sz < t.kv.value_len ? sz : t.kv.value_len);
        value = v;
        value_len = sz;
    } else if (!dir) {
        value = t.kv.value != NULL ? t.kv.value : "";
        value_len = t.kv.value_len;
    }
    rv = fsProposePut(m, rel, len, dir, value, value_len, t.kv.lease, &na);
    free(v);
    fsTargetClear(&t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (!dir) {
        pthread_mutex_lock(&m->mu);
        handlesTakeAttr(m, ino, &na);
        pthread_mutex_unlock(&m->mu);
    }
    fsGetattr(req, ino, fi);
}
