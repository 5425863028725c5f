/* The FUSE low-level operations table and session init. The handlers live
 * one concern per file: entry.c (lookup, getattr, forget), dir.c (listing,
 * mkdir, unlink, rmdir), rename.c, file.c and handle.c (open to close and
 * the commit rules), attr.c (setattr), link.c (symlinks, statfs), xattr.c;
 * resolve.c has what they share. Each handler is timed by operation
 * (etcfs_mount_operation_seconds). */
#include "mount_internal.h"
#include "../src/core/metrics.h"

static void fsInit(void *userdata, struct fuse_conn_info *conn)
{
    (void)userdata;
    /* no writeback cache: it hides the writer's pid (inotify.md) */
    conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) {
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
    }
}

/* ---- timing: every request from its arrival to its reply (the
 * handlers reply before they return) ---- */

static void fsTimed(struct metrics *metrics, int op, uint64_t start)
{
    if (metrics != NULL) {
        metricsObserveFrom(&metrics->mount_op[op], metricsNowNs() - start,
                           METRICS_MOUNT_BASE_NS);
    }
}

/* t_OP: OP's handler timed; req is gone after the reply, so the metrics
 * are taken first. */
#define FS__TIMED(op, fn, params, args)                                       \
    static void t_##op params                                                 \
    {                                                                         \
        struct metrics *metrics = fsMount(req)->deps.metrics;                 \
        uint64_t start = metricsNowNs();                                      \
        fn args;                                                              \
        fsTimed(metrics, METRICS_MOUNT_##op, start);                          \
    }
#define P_REQ fuse_req_t req
#define P_FI struct fuse_file_info *fi
FS__TIMED(lookup, fsLookup, (P_REQ, fuse_ino_t p, const char *n), (req, p, n))
FS__TIMED(getattr, fsGetattr, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(setattr, fsSetattr,
          (P_REQ, fuse_ino_t i, struct stat *a, int set, P_FI),
          (req, i, a, set, fi))
FS__TIMED(readlink, fsReadlink, (P_REQ, fuse_ino_t i), (req, i))
FS__TIMED(mknod, fsMknod,
          (P_REQ, fuse_ino_t p, const char *n, mode_t mode, dev_t rdev),
          (req, p, n, mode, rdev))
FS__TIMED(mkdir, fsMkdir, (P_REQ, fuse_ino_t p, const char *n, mode_t mode),
          (req, p, n, mode))
FS__TIMED(unlink, fsUnlink, (P_REQ, fuse_ino_t p, const char *n), (req, p, n))
FS__TIMED(rmdir, fsRmdir, (P_REQ, fuse_ino_t p, const char *n), (req, p, n))
FS__TIMED(symlink, fsSymlink,
          (P_REQ, const char *l, fuse_ino_t p, const char *n), (req, l, p, n))
FS__TIMED(rename, fsRename,
          (P_REQ, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
           unsigned int flags),
          (req, p, n, np, nn, flags))
FS__TIMED(link, fsLink, (P_REQ, fuse_ino_t i, fuse_ino_t np, const char *nn),
          (req, i, np, nn))
FS__TIMED(open, fsOpen, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(read, fsRead, (P_REQ, fuse_ino_t i, size_t size, off_t off, P_FI),
          (req, i, size, off, fi))
FS__TIMED(write, fsWrite,
          (P_REQ, fuse_ino_t i, const char *buf, size_t size, off_t off,
           P_FI),
          (req, i, buf, size, off, fi))
FS__TIMED(flush, fsFlush, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(release, fsRelease, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(fsync, fsFsync, (P_REQ, fuse_ino_t i, int datasync, P_FI),
          (req, i, datasync, fi))
FS__TIMED(opendir, fsOpendir, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(readdir, fsReaddir,
          (P_REQ, fuse_ino_t i, size_t size, off_t off, P_FI),
          (req, i, size, off, fi))
FS__TIMED(releasedir, fsReleasedir, (P_REQ, fuse_ino_t i, P_FI), (req, i, fi))
FS__TIMED(statfs, fsStatfs, (P_REQ, fuse_ino_t i), (req, i))
FS__TIMED(setxattr, fsSetxattr,
          (P_REQ, fuse_ino_t i, const char *n, const char *v, size_t size,
           int flags),
          (req, i, n, v, size, flags))
FS__TIMED(getxattr, fsGetxattr,
          (P_REQ, fuse_ino_t i, const char *n, size_t size), (req, i, n, size))
FS__TIMED(listxattr, fsListxattr, (P_REQ, fuse_ino_t i, size_t size),
          (req, i, size))
FS__TIMED(removexattr, fsRemovexattr, (P_REQ, fuse_ino_t i, const char *n),
          (req, i, n))
FS__TIMED(create, fsCreate,
          (P_REQ, fuse_ino_t p, const char *n, mode_t mode, P_FI),
          (req, p, n, mode, fi))
#undef P_REQ
#undef P_FI
#undef FS__TIMED


const struct fuse_lowlevel_ops mountFsOps = {
    .init = fsInit,
    .lookup = t_lookup,
    .forget = fsForget,
    .forget_multi = fsForgetMulti,
    .getattr = t_getattr,
    .setattr = t_setattr,
    .readlink = t_readlink,
    .mknod = t_mknod,
    .mkdir = t_mkdir,
    .unlink = t_unlink,
    .rmdir = t_rmdir,
    .symlink = t_symlink,
    .rename = t_rename,
    .link = t_link,
    .open = t_open,
    .read = t_read,
    .write = t_write,
    .flush = t_flush,
    .release = t_release,
    .fsync = t_fsync,
    .opendir = t_opendir,
    .readdir = t_readdir,
    .releasedir = t_releasedir,
    .statfs = t_statfs,
    .setxattr = t_setxattr,
    .getxattr = t_getxattr,
    .listxattr = t_listxattr,
    .removexattr = t_removexattr,
    .create = t_create,
};
