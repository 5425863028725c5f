/* rename: one txn moves every key under the source to the destination
 * and deletes the old ones, in one revision (a file: one delete and one
 * put). The inodes move when the txn applies (applied.c), for this mount's
 * renames and everyone else's alike. EXCHANGE is refused; a source too big
 * for one txn is EXDEV, so mv falls back to copy and delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "mount_internal.h"

/* Builds and proposes the rename txn: every key under the source moves to
 * the destination, the old ones are deleted, in one revision. */
static int renameTxn(struct mount *m, const char *from, size_t from_len,
                     bool from_dir, const char *to, size_t to_len,
                     bool to_exists_dir)
{
    char fkey[MOUNT_KEY_MAX];
    char fend[MOUNT_KEY_MAX];
    char tkey[MOUNT_KEY_MAX];
    struct store_range_req r;
    struct store_range_resp resp;
    struct store_op *ops = NULL;
    char **keys = NULL;
    struct command cmd;
    size_t nops = 0;
    size_t i;
    int64_t now = mountNowNs();
    int fn;
    int tn;
    int rv;

    fn = mountKey(m, from, from_len, from_dir, fkey, sizeof fkey);
    tn = mountKey(m, to, to_len, from_dir, tkey, sizeof tkey);
    if (fn < 0 || tn < 0) {
        return ENAMETOOLONG;
    }
    memset(&r, 0, sizeof r);
    memset(&resp, 0, sizeof resp);
    r.key = fkey;
    r.key_len = (size_t)fn;
    if (from_dir) {
        r.range_end = fend;
        r.range_end_len = mountPrefixEnd(fkey, (size_t)fn, fend);
    }
    rv = storeRange(m->deps.store, &r, &resp, NULL);
    if (rv != 0) {
        return etcfsErrno(rv);
    }
    if (resp.n_kvs == 0) {
        storeRangeRespClear(&resp);
        return ENOENT;
    }
    if (resp.n_kvs + 2 > m->max_txn_ops) {
        storeRangeRespClear(&resp);
        return EXDEV; /* too big for one txn: mv falls back to copy */
    }
    ops = calloc(resp.n_kvs + 2, sizeof *ops);
    keys = calloc(resp.n_kvs + 1, sizeof *keys);
    if (ops == NULL || keys == NULL) {
        free(ops);
        free(keys);
        storeRangeRespClear(&resp);
        return ENOMEM;
    }
    /* delete the old keys first: the puts below may reuse some */
    ops[nops].type = STORE_OP_DELETE;
    ops[nops].delete_range.key = fkey;
    ops[nops].delete_range.key_len = (size_t)fn;
    if (from_dir) {
        ops[nops].delete_range.range_end = fend;
        ops[nops].delete_range.range_end_len = r.range_end_len;
    }
    nops++;
    if (to_exists_dir) {
        /* an empty destination directory: drop its marker */
        ops[nops].type = STORE_OP_DELETE;
        ops[nops].delete_range.key = tkey;
        ops[nops].delete_range.key_len = (size_t)tn;
        nops++;
    }
    for (i = 0; i < resp.n_kvs; i++) {
        const struct store_kv *kv = &resp.kvs[i];
        size_t sfx = kv->key_len - (size_t)fn;
        size_t klen = (size_t)tn + sfx;
        keys[i] = malloc(klen + 1);
        if (keys[i] == NULL) {
            rv = ENOMEM;
            goto out;
        }
        memcpy(keys[i], tkey, (size_t)tn);
        memcpy(keys[i] + tn, kv->key + fn, sfx);
        ops[nops].type = STORE_OP_PUT;
        ops[nops].put.key = keys[i];
        ops[nops].put.key_len = klen;
        ops[nops].put.value = kv->value != NULL ? kv->value : "";
        ops[nops].put.value_len = kv->value_len;
        ops[nops].put.lease = kv->lease;
        ops[nops].put.attr = kv->attr;
        if (ops[nops].put.attr.mode == 0) {
            ops[nops].put.attr.mode = MOUNT_DEFAULT_FILE_MODE;
        }
        ops[nops].put.attr.ctime_ns = now; /* a rename changes ctime */
        nops++;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    cmd.txn.success = ops;
    cmd.txn.n_success = nops;
    rv = fsPropose(m, &cmd, NULL);
out:
    for (i = 0; i < resp.n_kvs; i++) {
        free(keys[i]);
    }
    free(keys);
    free(ops);
    storeRangeRespClear(&resp);
    return rv;
}

void fsRename(fuse_req_t req, fuse_ino_t parent, const char *name,
              fuse_ino_t newparent, const char *newname, unsigned int flags)
{
    struct mount *m = fsMount(req);
    char from[MOUNT_REL_MAX];
    char to[MOUNT_REL_MAX];
    size_t flen;
    size_t tlen;
    bool fsh = false;
    bool tsh = false;
    struct fs_target ft;
    struct fs_target tt;
    bool to_dir_empty = false;
    int rv;
    rv = fsChildRel(m, parent, name, from, &flen, &fsh);
    if (rv == 0) {
        rv = fsNewChildRel(m, newparent, newname, to, &tlen, &tsh);
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0); /* applied already (the inodes moved) */
        return;
    }
    if ((flags & RENAME_EXCHANGE) != 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = fsResolveFound(m, from, flen, fsh, &ft);
    if (rv == 0) {
        rv = mountMayMove(m, from, flen, to, tlen, ft.kind == FS_DIR);
        if (rv != 0) {
            fsTargetClear(&ft);
            fuse_reply_err(req, rv);
            return;
        }
        rv = fsResolve(m, to, tlen, tsh, &tt);
        if (rv == 0 && tt.kind != FS_NONE && (flags & RENAME_NOREPLACE)) {
            rv = EEXIST;
        }
        if (rv == 0 && ft.kind == FS_DIR && tt.kind == FS_FILE) {
            rv = ENOTDIR;
        }
        if (rv == 0 && ft.kind == FS_FILE && tt.kind == FS_DIR) {
            rv = EISDIR;
        }
        if (rv == 0 && ft.kind == FS_DIR && tt.kind == FS_DIR) {
            /* the destination must be empty (only its marker) */
            char key[MOUNT_KEY_MAX];
            int under;
            int n = mountKey(m, to, tlen, true, key, sizeof key);
            if (n >= 0 && mountDirUnder(m, key, (size_t)n, &under) == 0) {
                if (under == MOUNT_DIR_ENTRIES) {
                    rv = ENOTEMPTY;
                } else {
                    to_dir_empty = under == MOUNT_DIR_MARKER;
                }
            }
        }
        if (rv == 0 && ft.kind == FS_DIR && tlen > flen &&
            memcmp(to, from, flen) == 0 && to[flen] == '/') {
            rv = EINVAL; /* into itself */
        }
        fsTargetClear(&tt);
    }
    if (rv == 0 && ft.pending) {
        /* not committed yet: the rename is the create under the new name */
        pthread_mutex_lock(&m->mu);
        inodeRename(&m->inodes, from, flen, to, tlen, false);
        pthread_mutex_unlock(&m->mu);
        fsTargetClear(&ft);
        fuse_reply_err(req, 0);
        return;
    }
    if (rv == 0) {
        rv = renameTxn(m, from, flen, ft.kind == FS_DIR, to, tlen,
                       to_dir_empty);
    }
    fsTargetClear(&ft);
    fuse_reply_err(req, rv);
}

