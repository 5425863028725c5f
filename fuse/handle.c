/* Open-file handles and their commit rules.
 *
 * A handle holds the file's whole value from open to close; the value is
 * committed as one put, under the name the inode has at that moment (a
 * rename while open moves it), before the close() that wrote it returns:
 *   - a flush commits only when data was written or the size changed
 *     through the handle since open or its last commit. A flush with
 *     nothing written (the shell's close() after dup2 in `echo x > f`, or
 *     a touch) commits nothing and leaves the pending truncation or empty
 *     create for the next flush with data, fsync, or release;
 *   - that deferred commit is a txn conditional on the key being as it was
 *     when the handle took it (mod_revision, or absent for a create): it
 *     never replaces a write made meanwhile;
 *   - an unlinked (orphan) file never commits: its descriptors read and
 *     write the buffer until the last close, as on a local filesystem.
 * So `echo new > existing` is one revision carrying "new". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "../src/lib/log.h"
#include "mount_internal.h"

struct fs_handle *handleNew(uint64_t ino)
{
    struct fs_handle *h = calloc(1, sizeof *h);
    if (h != NULL) {
        h->ino = ino;
    }
    return h;
}

void handleFree(struct fs_handle *h)
{
    if (h != NULL) {
        free(h->buf);
        free(h);
    }
}

int handleReserve(struct mount *m, struct fs_handle *h, size_t need)
{
    char *b;
    size_t cap;
    if (need > m->max_value) {
        return EFBIG;
    }
    if (need <= h->cap) {
        return 0;
    }
    cap = h->cap == 0 ? 4096 : h->cap;
    while (cap < need) {
        cap *= 2;
    }
    b = realloc(h->buf, cap);
    if (b == NULL) {
        return ENOMEM;
    }
    h->buf = b;
    h->cap = cap;
    return 0;
}

void handleAttach(struct mount *m, struct fs_handle *h)
{
    struct inode *e;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, h->ino);
    if (e != NULL) {
        h->next = e->handles;
        e->handles = h;
    }
    pthread_mutex_unlock(&m->mu);
}

void handleDetach(struct mount *m, struct fs_handle *h)
{
    struct inode *e;
    struct fs_handle **pp;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, h->ino);
    if (e != NULL) {
        for (pp = &e->handles; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == h) {
                *pp = h->next;
                break;
            }
        }
        if (e->handles == NULL) {
            if (e->pending) {
                /* created here and never committed (the commit failed) */
                inodeSetPending(&m->inodes, e, false);
            }
            inodeForget(&m->inodes, e->ino, 0); /* frees it if forgotten */
        }
    }
    pthread_mutex_unlock(&m->mu);
}

bool handleStat(const struct inode *e, struct stat *st)
{
    const struct fs_handle *h;
    for (h = e->handles; h != NULL; h = h->next) {
        if (h->replay || !h->writable || !h->dirty) {
            continue;
        }
        st->st_size = (off_t)h->len;
        st->st_blocks = (blkcnt_t)((h->len + 511) / 512);
        if (h->attr.mode != 0) {
            st->st_mode = S_IFREG | (h->attr.mode & 07777);
            st->st_uid = h->attr.uid;
            st->st_gid = h->attr.gid;
        }
        return true;
    }
    return false;
}

static int propose(struct mount *m, struct command *cmd,
                   struct store_put_req *put, struct mount_result *res)
{
    int rv = mountOpPropose(m, cmd, res);
    if (rv == ETCFS_LEASE_NOTFOUND) {
        /* the lease expired while the file was open: keep the data */
        put->lease = 0;
        rv = mountOpPropose(m, cmd, res);
    }
    return fsErrno(rv);
}

int handleCommit(struct mount *m, struct fs_handle *h, bool deferred)
{
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_KEY_MAX];
    struct command cmd;
    struct store_op op;
    struct store_compare cmp;
    struct store_put_req *put;
    struct mount_result res;
    struct store_attr attr = h->attr;
    struct inode *e;
    size_t len;
    bool pending;
    bool again = false;
    uint64_t gen;
    int n;
    int rv;
    if (h->failed) {
        return EFBIG; /* a write was refused: never commit a partial value */
    }
    if (h->replay || !h->writable || !h->dirty) {
        return 0;
    }
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, h->ino);
    if (e == NULL || e->orphan) {
        pthread_mutex_unlock(&m->mu);
        h->dirty = false; /* unlinked: the data dies with the last close */
        h->data = false;
        return 0;
    }
    len = e->rel_len;
    memcpy(rel, e->rel, len + 1);
    pending = e->pending;
    if (pending) {
        attr = e->pending_attr; /* setattr before the first commit */
    }
    gen = e->attr_gen;
    pthread_mutex_unlock(&m->mu);
    n = mountKey(m, rel, len, false, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    memset(&cmd, 0, sizeof cmd);
    memset(&op, 0, sizeof op);
    if (deferred) {
        memset(&cmp, 0, sizeof cmp);
        cmp.result = STORE_CMP_EQUAL;
        cmp.target = h->exists ? STORE_CMP_MOD : STORE_CMP_CREATE;
        cmp.number = h->exists ? h->base_rev : 0;
        cmp.key = key;
        cmp.key_len = (size_t)n;
        op.type = STORE_OP_PUT;
        cmd.type = COMMAND_TXN;
        cmd.txn.compares = &cmp;
        cmd.txn.n_compares = 1;
        cmd.txn.success = &op;
        cmd.txn.n_success = 1;
        put = &op.put;
    } else {
        cmd.type = COMMAND_PUT;
        put = &cmd.put;
    }
    put->key = key;
    put->key_len = (size_t)n;
    put->value = h->buf != NULL ? h->buf : "";
    put->value_len = h->len;
    put->lease = h->lease;
    put->attr = attr;
    if (put->attr.mode == 0) {
        put->attr.mode = MOUNT_DEFAULT_FILE_MODE;
    }
    put->attr.ctime_ns = mountNowNs();
    if (!h->mtime_set) {
        put->attr.mtime_ns = put->attr.ctime_ns;
    }
    memset(&res, 0, sizeof res);
    rv = propose(m, &cmd, put, &res);
    if (rv != 0) {
        return rv;
    }
    h->dirty = false;
    h->data = false;
    if (deferred && !res.succeeded) {
        /* written meanwhile (here or elsewhere): that write stands */
        return 0;
    }
    h->exists = true;
    h->base_rev = res.revision;
    h->attr = put->attr;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, h->ino);
    if (e != NULL) {
        if (e->attr_gen != gen && !e->orphan) {
            /* a chmod/chown/utimensat kept in memory while this commit
             * was in flight: it goes out with one more put */
            h->attr = e->pending_attr;
            h->mtime_set = true;
            h->dirty = true;
            again = true;
        }
        inodeSetPending(&m->inodes, e, false);
        e->cached_rev = res.revision;
    }
    pthread_mutex_unlock(&m->mu);
    if (again) {
        return handleCommit(m, h, false);
    }
    if (m->cache_timeout > 0) {
        /* attributes replied while the value was uncommitted must not
         * outlive the commit; attributes only: no page lock, safe here */
        (void)fuse_lowlevel_notify_inval_inode(m->se, h->ino, -1, 0);
    }
    return 0;
}
