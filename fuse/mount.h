/* The mount: the keyspace under --mount-prefix as a directory tree at
 * --mount DIR (libfuse3 low-level API). The daemon starts it once the node
 * serves, feeds it every applied change, and closes it first on shutdown.
 * Loop thread for every function here; the filesystem itself runs on FUSE
 * worker threads and a replay thread (see mount_internal.h). */
#ifndef ETCFS_MOUNT_H
#define ETCFS_MOUNT_H

#include <stdint.h>
#include <uv.h>

#include "../raft/command.h"
#include "../src/core/config.h"
#include "../src/store/store.h"

struct mount;
struct node;
struct forward;
struct lessor;
struct metrics;
struct server;

struct mount_deps
{
    uv_loop_t *loop;
    struct store *store;
    struct node *node;     /* the leadership view only */
    struct server *server; /* the request path: writes, reads, leases */
    struct metrics *metrics;
    const struct config *config;
};

/* Checks the mount point before the node starts: it must be an empty
 * directory; a stale FUSE mount left by a killed etcfsd is detached.
 * Returns 0 or ETCFS_INVALID / ETCFS_IO with errmsg. */
int mountCheck(const char *dir, char *errmsg);

/* Mounts and starts serving. deps are borrowed until the close callback. */
int mountStart(struct mount **out, const struct mount_deps *deps,
               char *errmsg);
/* The node applied cmd (NULL after a snapshot restore). Never blocks. */
void mountApplied(struct mount *m, const struct command *cmd,
                  const struct command_result *res,
                  const struct store_events *events);
/* The node's leadership view changed (cheap; called from the node tick). */
void mountRefresh(struct mount *m);
typedef void (*mount_close_cb)(struct mount *m, void *data);
/* Stops the replay thread, unmounts, joins the FUSE threads (on the pool),
 * then calls cb; the mount is freed after cb returns. */
void mountClose(struct mount *m, mount_close_cb cb, void *data);

#endif /* ETCFS_MOUNT_H */
