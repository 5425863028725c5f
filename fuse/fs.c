/* The FUSE low-level operations table and session init. The handlers live
 * one concern per file: entry.c (lookup, getattr, forget), dir.c (listing,
 * mkdir, unlink, rmdir), rename.c, file.c and handle.c (open to close and
 * the commit rules), attr.c (setattr), link.c (symlinks, statfs), xattr.c;
 * resolve.c has what they share. */
#include "mount_internal.h"

static void fsInit(void *userdata, struct fuse_conn_info *conn)
{
    (void)userdata;
    /* no writeback cache: it hides the writer's pid (inotify.md) */
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) {
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    }
}

const struct fuse_lowlevel_ops mountFsOps = {
    .init = fsInit,
    .lookup = fsLookup,
    .forget = fsForget,
    .forget_multi = fsForgetMulti,
    .getattr = fsGetattr,
    .setattr = fsSetattr,
    .readlink = fsReadlink,
    .mknod = fsMknod,
    .mkdir = fsMkdir,
    .unlink = fsUnlink,
    .rmdir = fsRmdir,
    .symlink = fsSymlink,
    .rename = fsRename,
    .link = fsLink,
    .open = fsOpen,
    .read = fsRead,
    .write = fsWrite,
    .flush = fsFlush,
    .release = fsRelease,
    .fsync = fsFsync,
    .opendir = fsOpendir,
    .readdir = fsReaddir,
    .releasedir = fsReleasedir,
    .statfs = fsStatfs,
    .setxattr = fsSetxattr,
    .getxattr = fsGetxattr,
    .listxattr = fsListxattr,
    .removexattr = fsRemovexattr,
    .create = fsCreate,
};
