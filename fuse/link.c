/* Symlinks (a key whose mode is S_IFLNK and whose value is the target),
 * hard links and special files (refused: one key has one name, and a key
 * holds bytes, not a device), and statfs (the backend quota and key
 * count). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "../src/core/error.h"
#include "mount_internal.h"
#include "path.h"

/* Replies the entry of the symlink made at rel (by this request, or by
 * the change the replay repeats); none_err when the store has nothing
 * there now. */
static void replyLinkEntry(fuse_req_t req, struct mount *m, const char *rel,
                           size_t len, int none_err)
{
    struct fs_target t;
    int rv = fsResolve(m, rel, len, true, &t);
    if (rv != 0 || t.kind == FS_NONE) {
        fsTargetClear(&t);
        fuse_reply_err(req, rv != 0 ? rv : none_err);
        return;
    }
    fsReplyEntry(req, m, rel, len, &t, NULL);
    fsTargetClear(&t);
}

void fsSymlink(fuse_req_t req, const char *link, fuse_ino_t parent,
               const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct store_attr attr;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        replyLinkEntry(req, m, rel, len, ENOENT); /* ENOENT: deleted since */
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
    if (rv == 0 && t.kind != FS_NONE) {
        rv = EEXIST; /* symlink(2) never replaces a name */
    }
    fsTargetClear(&t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    fsNewAttr(req, S_IFLNK | 0777, &attr);
    rv = fsProposePut(m, rel, len, false, link, strlen(link), 0, &attr);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    replyLinkEntry(req, m, rel, len, EIO); /* EIO: deleted again at once */
}

void fsReadlink(fuse_req_t req, fuse_ino_t ino)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool dir;
    struct fs_target t;
    char *s;
    int rv = fsRelOf(m, ino, rel, &len, &dir);
    if (rv != 0 || dir) {
        fuse_reply_err(req, rv != 0 ? rv : EINVAL);
        return;
    }
    if (!mountIsReplay(m, req)) {
        rv = mountMayRead(m, rel, len, false);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
    }
    rv = fsResolve(m, rel, len, true, &t);
    if (rv != 0 || !t.have_kv || !S_ISLNK(t.kv.attr.mode)) {
        fsTargetClear(&t);
        fuse_reply_err(req, rv != 0 ? rv : EINVAL);
        return;
    }
    s = malloc(t.kv.value_len + 1);
    if (s == NULL) {
        fsTargetClear(&t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memcpy(s, t.kv.value, t.kv.value_len);
    s[t.kv.value_len] = '\0';
    fsTargetClear(&t);
    fuse_reply_readlink(req, s);
    free(s);
}

void fsLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
            const char *newname)
{
    (void)ino;
    (void)newparent;
    (void)newname;
    fuse_reply_err(req, EPERM); /* one key has one name */
}

void fsMknod(fuse_req_t req, fuse_ino_t parent, const char *name,
             mode_t mode, dev_t rdev)
{
    (void)parent;
    (void)name;
    (void)mode;
    (void)rdev;
    fuse_reply_err(req, EPERM); /* no devices, FIFOs or sockets */
}

void fsStatfs(fuse_req_t req, fuse_ino_t ino)
{
    struct mount *m = fsMount(req);
    struct statvfs st;
    (void)ino;
    memset(&st, 0, sizeof st);
    st.f_bsize = 4096;
    st.f_frsize = 4096;
    st.f_blocks = m->deps.config->quota_backend_bytes / 4096;
    st.f_bfree = st.f_blocks - (fsblkcnt_t)(storeDbSize(m->deps.store) / 4096);
    st.f_bavail = st.f_bfree;
    st.f_files = 1u << 30;
    st.f_ffree = st.f_files - (fsfilcnt_t)storeKeyCount(m->deps.store);
    st.f_namemax = PATH_NAME_MAX;
    fuse_reply_statfs(req, &st);
}

