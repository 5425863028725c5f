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
#include "../src/core/error.h"
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

/* --mount-user before the node starts (mount_auth.c): a password file
 * whose first line is the password, or without one, --cert-file's common
 * name equal to the user. Returns 0 (also with no --mount-user) or
 * ETCFS_INVALID with errmsg. Reads files: call before the loop runs. */
int mountUserCheck(const struct config *cfg, char *errmsg);

/* Once the member serves, before mountStart: --mount-user's password
 * checked against the user's bcrypt hash in the replicated auth state, on
 * the libuv pool. A user that does not exist (yet) is accepted while auth
 * is off (a warning; the user's permissions apply once auth is enabled)
 * and refused while it is on. Nothing to check (no --mount-user, or a
 * certificate user): status 0. */
struct mount_verify;
typedef void (*mount_verify_cb)(struct mount_verify *v, int status);
struct mount_verify
{
    void *data;
    mount_verify_cb cb;
    char errmsg[ETCFS_ERRMSG_SIZE]; /* out: why status != 0 */
    /* private */
    const struct config *config;
    struct store *store;
    uv_work_t work;
    int status;
    bool unverified; /* the user does not exist yet (auth off) */
};
/* Starts v (caller-owned until cb). 0: cb fires once on the loop, with 0
 * or ETCFS_AUTH_FAILED / ETCFS_INVALID and v->errmsg; ETCFS_IO (the pool
 * refused it) with no callback. cfg and store borrowed until cb. */
int mountVerify(uv_loop_t *loop, struct store *store,
                const struct config *cfg, struct mount_verify *v);

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
