/* Lookup, getattr and forget: what a name and an inode show right now.
 *
 * A linearizable mount confirms with the leader before answering a lookup
 * (the read gate; concurrent lookups share one confirmation), and replies
 * with timeout 0 so the kernel asks again on every path walk: a name
 * created or removed anywhere is right at once. A local mount answers from
 * this member's store and lets the kernel cache for cache_timeout; the
 * notifier drops what an applied change makes stale. Under --mount-user
 * a name the user may not read is EACCES (mount_auth.c). */
#include <errno.h>
#include <string.h>

#include "mount_internal.h"

void fsLookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    bool gated = false;
    bool replay;
    struct fs_target t;
    int rv = fsChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    replay = mountIsReplay(m, req);
    if (replay) {
        struct fuse_entry_param e;
        rv = replayViewLookup(m, rel, len, shadowed, &e);
        if (rv == ENOENT) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        if (rv == -1) {
            fsSendEntry(req, m, &e, NULL);
            return;
        }
    } else if (m->linearizable) {
        /* without a quorum: the local answer, so a write still fails
         * with EROFS where it is refused, not EIO at the lookup */
        gated = mountOpReadGate(m) == 0;
    }
    rv = fsResolveFound(m, rel, len, shadowed, &t);
    if (!replay && rv == ENOENT) {
        rv = mountMissing(m, rel, len, shadowed); /* or EACCES */
    } else if (!replay && rv == 0) {
        rv = mountMayReadTarget(m, rel, len, &t);
        if (rv != 0) {
            fsTargetClear(&t);
        }
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    t.gated = gated;
    fsReplyEntry(req, m, rel, len, &t, NULL);
    fsTargetClear(&t);
}

void fsGetattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool dir;
    struct fs_target t;
    struct stat st;
    struct inode *e;
    (void)fi;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, ino);
    if (e != NULL && e->orphan) {
        /* unlinked or replaced: what its open descriptors hold */
        st = e->orphan_st;
        (void)handleStat(e, &st);
        if (!mountIsReplay(m, req)) {
            st.st_nlink = 0;
        }
        pthread_mutex_unlock(&m->mu);
        fuse_reply_attr(req, &st, 0.0);
        return;
    }
    if (e != NULL) {
        memcpy(rel, e->rel, e->rel_len + 1);
        len = e->rel_len;
        dir = e->dir;
    }
    pthread_mutex_unlock(&m->mu);
    if (e == NULL) {
        fuse_reply_err(req, ESTALE);
        return;
    }
    if (dir) {
        if (len > 0 && !mountDirExists(m, rel, len)) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        fsDirTarget(m, rel, len, &t);
    } else {
        /* committed nowhere yet, but open here (a create whose first
         * flush is deferred keeps its pending inode): fsResolve finds it */
        int rv = fsResolveFound(m, rel, len, true, &t);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
    }
    if (!mountIsReplay(m, req) &&
        mountMayReadTarget(m, rel, len, &t) != 0) {
        /* the user's permission was revoked since the lookup */
        fsTargetClear(&t);
        fuse_reply_err(req, EACCES);
        return;
    }
    fsTargetStat(m, ino, &t, &st);
    fsTargetClear(&t);
    if (!dir) {
        /* an open file's uncommitted size and metadata: the kernel sizes
         * its pages by it (fstat after write, ftruncate's reply) */
        pthread_mutex_lock(&m->mu);
        e = inodeFind(&m->inodes, ino);
        if (e != NULL) {
            (void)handleStat(e, &st);
        }
        pthread_mutex_unlock(&m->mu);
    }
    fsReplyAttr(req, m, &st);
}

void fsForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    struct mount *m = fsMount(req);
    pthread_mutex_lock(&m->mu);
    inodeForget(&m->inodes, ino, nlookup);
    pthread_mutex_unlock(&m->mu);
    fuse_reply_none(req);
}

void fsForgetMulti(fuse_req_t req, size_t count,
                   struct fuse_forget_data *forgets)
{
    struct mount *m = fsMount(req);
    size_t i;
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < count; i++) {
        inodeForget(&m->inodes, forgets[i].ino, forgets[i].nlookup);
    }
    pthread_mutex_unlock(&m->mu);
    fuse_reply_none(req);
}
