/* Mount lifecycle: checks the mount point, mounts with the low-level API
 * (default_permissions, and allow_other as root), runs the session on a
 * multi-threaded FUSE loop in its own thread, starts the replay worker (and
 * the notifier for a local-consistency mount), and
 * tears it all down off the libuv loop on close. A stale mount left by a
 * killed etcfsd ("Transport endpoint is not connected") is detached first.
 * Loop thread for everything here but the close work (the pool). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../raft/node.h"
#include "../src/core/error.h"
#include "../src/lib/log.h"
#include "mount_internal.h"

#define MOUNT__TIMER_MS 10 /* leadership view refresh and op timeouts */
#define MOUNT__CACHE_TIMEOUT 1.0 /* s, kernel name/attribute cache (local) */

int mountCheck(const char *dir, char *errmsg)
{
    struct stat st;
    struct statfs sfs;
    DIR *d;
    struct dirent *e;
    /* statfs always asks the filesystem; stat may be answered from the
     * attributes the kernel cached before the daemon died */
    if (statfs(dir, &sfs) != 0 || stat(dir, &st) != 0) {
        if (errno == ENOTCONN) {
            /* a FUSE mount whose daemon died (kill -9): detach it */
            if (umount2(dir, MNT_DETACH) != 0) {
                etcfsErrmsgf(errmsg, "mount point %s: stale mount: %s", dir,
                             strerror(errno));
                return ETCFS_IO;
            }
            warnf("detached a stale mount at %s", dir);
            if (stat(dir, &st) != 0) {
                etcfsErrmsgf(errmsg, "mount point %s: %s", dir,
                             strerror(errno));
                return ETCFS_IO;
            }
        } else {
            etcfsErrmsgf(errmsg, "mount point %s: %s", dir, strerror(errno));
            return ETCFS_INVALID;
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        etcfsErrmsgf(errmsg, "mount point %s is not a directory", dir);
        return ETCFS_INVALID;
    }
    {
        /* a live mount there already (another etcfsd?) */
        char parent[4200];
        struct stat pst;
        snprintf(parent, sizeof parent, "%s/..", dir);
        if (stat(parent, &pst) == 0 && pst.st_dev != st.st_dev) {
            etcfsErrmsgf(errmsg,
                         "mount point %s is busy: something is mounted there",
                         dir);
            return ETCFS_INVALID;
        }
    }
    d = opendir(dir);
    if (d == NULL) {
        etcfsErrmsgf(errmsg, "mount point %s: %s", dir, strerror(errno));
        return ETCFS_INVALID;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            etcfsErrmsgf(errmsg,
                         "mount point %s is not empty (found %s): use an "
                         "empty directory",
                         dir, e->d_name);
            closedir(d);
            return ETCFS_INVALID;
        }
    }
    closedir(d);
    return 0;
}

void mountRefresh(struct mount *m)
{
    atomic_store(&m->has_leader, nodeHasLeader(m->deps.node));
}

static void *fuseMain(void *arg)
{
    struct mount *m = arg;
    struct fuse_loop_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.clone_fd = 1;
    cfg.max_idle_threads = 16;
    (void)fuse_session_loop_mt(m->se, &cfg);
    return NULL;
}

static void mountFree(struct mount *m)
{
    inodeTableClose(&m->inodes);
    dirCacheClose(&m->dirs);
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->gate_mu);
    pthread_mutex_destroy(&m->rq_mu);
    pthread_cond_destroy(&m->rq_cond);
    free(m);
}

int mountStart(struct mount **out, const struct mount_deps *deps,
               char *errmsg)
{
    const struct config *cfg = deps->config;
    struct mount *m = calloc(1, sizeof *m);
    char opts[256];
    char *argv[4];
    struct fuse_args args;
    struct timespec ts;
    int rv;
    if (m == NULL) {
        etcfsErrmsgf(errmsg, "mount: out of memory");
        return ETCFS_NOMEM;
    }
    m->deps = *deps;
    snprintf(m->dir, sizeof m->dir, "%s", cfg->mount);
    snprintf(m->prefix, sizeof m->prefix, "%s", cfg->mount_prefix);
    m->prefix_len = strlen(m->prefix);
    if (m->prefix_len > 0 && m->prefix[m->prefix_len - 1] != '/' &&
        m->prefix_len + 1 < sizeof m->prefix) {
        m->prefix[m->prefix_len++] = '/';
        m->prefix[m->prefix_len] = '\0';
    }
    /* checked at start (mountUserCheck): at most AUTHN_NAME_MAX bytes */
    snprintf(m->who.name, sizeof m->who.name, "%s", cfg->mount_user);
    m->who.len = strlen(m->who.name);
    m->linearizable = cfg->mount_consistency == CONFIG_CONSISTENCY_LINEARIZABLE;
    /* linearizable: the kernel caches nothing, every path walk asks (and
     * the lookup confirms with the leader); local: names and attributes
     * are cached, and the notifier drops what an applied change staled */
    m->cache_timeout = m->linearizable ? 0.0 : MOUNT__CACHE_TIMEOUT;
    m->max_value = (size_t)cfg->max_request_bytes;
    m->max_txn_ops = cfg->max_txn_ops;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->start_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    m->origin = (nodeId(deps->node) ^ (uint64_t)m->start_ns) | 1;
    QUEUE_INIT(&m->inflight);
    pthread_mutex_init(&m->mu, NULL);
    pthread_mutex_init(&m->gate_mu, NULL);
    pthread_mutex_init(&m->rq_mu, NULL);
    pthread_cond_init(&m->rq_cond, NULL);
    if (inodeTableInit(&m->inodes) != 0 || dirCacheInit(&m->dirs) != 0 ||
        inodeGet(&m->inodes, "", 0, true, true) == NULL) {
        mountFree(m);
        etcfsErrmsgf(errmsg, "mount: out of memory");
        return ETCFS_NOMEM;
    }
    m->dirs.metrics = deps->metrics;
    mountRefresh(m);
    rv = bridgeInit(&m->bridge, deps->loop, errmsg);
    if (rv != 0) {
        mountFree(m);
        return rv;
    }
    (void)uv_timer_init(deps->loop, &m->timer);
    m->timer.data = m;

    snprintf(opts, sizeof opts,
             "default_permissions,fsname=etcfs,subtype=etcfs%s",
             geteuid() == 0 ? ",allow_other" : "");
    argv[0] = "etcfsd";
    argv[1] = "-o";
    argv[2] = opts;
    argv[3] = NULL;
    args.argc = 3;
    args.argv = argv;
    args.allocated = 0;
    m->se = fuse_session_new(&args, &mountFsOps, sizeof mountFsOps, m);
    fuse_opt_free_args(&args); /* libfuse may have copied our argv */
    if (m->se == NULL) {
        etcfsErrmsgf(errmsg, "mount %s: fuse_session_new failed", m->dir);
        goto err_timer;
    }
    if (fuse_session_mount(m->se, m->dir) != 0) {
        etcfsErrmsgf(errmsg,
                     "mount %s: fuse_session_mount failed (is /dev/fuse "
                     "available, the directory empty and not mounted?)",
                     m->dir);
        fuse_session_destroy(m->se);
        m->se = NULL;
        goto err_timer;
    }
    rv = pthread_create(&m->fuse_thread, NULL, fuseMain, m);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "mount: FUSE thread: %s", strerror(rv));
        fuse_session_unmount(m->se);
        fuse_session_destroy(m->se);
        m->se = NULL;
        goto err_timer;
    }
    m->fuse_thread_started = true;
    {
        /* the connection id (for an abort at close): the minor number of
         * the mount's device; the FUSE thread answers this stat */
        struct stat st;
        if (stat(m->dir, &st) == 0) {
            m->conn_id = minor(st.st_dev);
        }
    }
    if (m->cache_timeout > 0 && notifyStart(m, errmsg) != 0) {
        warnf("mount: %s (cached names may lag up to %.0f s)", errmsg,
              m->cache_timeout);
    }
    rv = replayStart(m, errmsg);
    if (rv != 0) {
        warnf("mount: %s (remote changes raise no inotify events)", errmsg);
    }
    (void)uv_timer_start(&m->timer, mountOpsTimerCb, MOUNT__TIMER_MS,
                         MOUNT__TIMER_MS);
    infof("mounted keys under %s at %s (%s reads, as %s)", m->prefix, m->dir,
          m->linearizable ? "linearizable" : "local",
          m->who.len > 0 ? m->who.name : "root");
    *out = m;
    return 0;

err_timer:
    /* handles close asynchronously: free on their callbacks */
    m->closing = true;
    uv_close((uv_handle_t *)&m->timer, NULL);
    bridgeClose(m->bridge, NULL, NULL);
    /* the timer and bridge handles are closed on the next loop turn; the
     * struct stays allocated until the process exits (start failure is
     * fatal for the daemon anyway) */
    return ETCFS_IO;
}

/* ---- close ---- */

static void closeWorkCb(uv_work_t *w)
{
    struct mount *m = w->data;
    struct timespec deadline;
    replayStop(m);
    notifyStop(m);
    if (m->se != NULL) {
        fuse_session_exit(m->se);
        fuse_session_unmount(m->se);
    }
    if (m->fuse_thread_started) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 3;
        if (pthread_timedjoin_np(m->fuse_thread, NULL, &deadline) != 0) {
            /* a process still holds files open on the mount: the lazily
             * detached session lives on; end it through the fuse control
             * file system */
            warnf("mount: aborting the FUSE connection (files still open)");
            if (m->conn_id != 0) {
                char path[128];
                int fd;
                snprintf(path, sizeof path,
                         "/sys/fs/fuse/connections/%u/abort", m->conn_id);
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                    if (write(fd, "1", 1) != 1) {
                        warnf("mount: %s: %s", path, strerror(errno));
                    }
                    close(fd);
                } else {
                    warnf("mount: %s: %s", path, strerror(errno));
                }
            }
            pthread_join(m->fuse_thread, NULL);
        }
    }
}

static void bridgeClosedCb(struct bridge *b, void *data)
{
    (void)b;
    (void)data;
}

static void timerClosedCb(uv_handle_t *h)
{
    struct mount *m = h->data;
    if (m->se != NULL) {
        fuse_session_destroy(m->se);
        m->se = NULL;
    }
    infof("unmounted %s", m->dir);
    if (m->close_cb != NULL) {
        m->close_cb(m, m->close_data);
    }
    mountFree(m);
}

static void closeAfterWorkCb(uv_work_t *w, int status)
{
    struct mount *m = w->data;
    (void)status;
    bridgeClose(m->bridge, bridgeClosedCb, m);
    uv_close((uv_handle_t *)&m->timer, timerClosedCb);
}

void mountClose(struct mount *m, mount_close_cb cb, void *data)
{
    m->closing = true;
    m->close_cb = cb;
    m->close_data = data;
    /* the timer keeps running: it times out ops the FUSE threads wait on */
    m->close_work.data = m;
    if (uv_queue_work(m->deps.loop, &m->close_work, closeWorkCb,
                      closeAfterWorkCb) != 0) {
        closeWorkCb(&m->close_work);
        closeAfterWorkCb(&m->close_work, 0);
    }
}
