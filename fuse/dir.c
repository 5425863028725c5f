/* Directories: listing (taken at opendir, behind the read gate), mkdir,
 * unlink and rmdir. A directory is every key under "rel/" plus its marker
 * "rel/" (written by mkdir, holding its metadata). The replay's own
 * mkdir/unlink/rmdir only raise the event: the change is applied already.
 * Under --mount-user a listing leaves out the files the user may not read
 * and the subdirectories holding no key it may read (mount_auth.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "mount_internal.h"
#include "path.h"

/* An open directory: its listing, taken at opendir. */
struct fs_dirent
{
    char name[PATH_NAME_MAX + 1];
    bool dir;
};
struct fs_dir
{
    struct fs_dirent *v;
    size_t n;
};

static int direntCmp(const void *a, const void *b)
{
    const struct fs_dirent *x = a;
    const struct fs_dirent *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (int)x->dir - (int)y->dir;
}

static int dirPush(struct fs_dir *d, size_t *cap, const char *seg,
                   size_t len, bool dir)
{
    struct fs_dirent *e;
    int n;
    if (d->n == *cap) {
        size_t ncap = *cap == 0 ? 16 : *cap * 2;
        struct fs_dirent *v = realloc(d->v, ncap * sizeof *v);
        if (v == NULL) {
            return ENOMEM;
        }
        d->v = v;
        *cap = ncap;
    }
    e = &d->v[d->n];
    /* escaped later, once we know which names are both file and dir */
    n = pathEscapeSegment(seg, len, false, e->name, sizeof e->name);
    if (n < 0) {
        return 0; /* a segment no file name can hold: skipped */
    }
    e->dir = dir;
    d->n++;
    return 0;
}

/* This mount's creates not committed yet, directly under rel (mu held). */
static void dirPushPending(struct mount *m, struct fs_dir *d, size_t *cap,
                           const char *rel, size_t len)
{
    size_t plen = len > 0 ? len + 1 : 0;
    size_t i;
    if (m->inodes.npending == 0) {
        return;
    }
    for (i = 0; i < m->inodes.nbuckets; i++) {
        const struct inode *p;
        for (p = m->inodes.by_ino[i]; p != NULL; p = p->next_ino) {
            if (p->pending && !p->orphan && p->rel_len > plen &&
                memcmp(p->rel, rel, len) == 0 &&
                (len == 0 || p->rel[len] == '/') &&
                memchr(p->rel + plen, '/', p->rel_len - plen) == NULL) {
                (void)dirPush(d, cap, p->rel + plen, p->rel_len - plen,
                              false);
            }
        }
    }
}

/* The last subdirectory asked about: its keys are adjacent in the
 * listing, so each is asked once. */
struct list_memo
{
    const char *key; /* borrowed from the range response */
    size_t len;
    bool ok;
};

/* Whether the entry whose key (a file) or prefix (key + "/", a
 * subdirectory) starts at key may be listed for the mount's user. */
static bool listable(struct mount *m, struct list_memo *last,
                     const char *key, size_t len, bool dir)
{
    if (m->who.len == 0) {
        return true; /* root */
    }
    if (!dir) {
        return mountMayList(m, key, len, false);
    }
    if (last->key == NULL || last->len != len ||
        memcmp(last->key, key, len) != 0) {
        last->key = key;
        last->len = len;
        last->ok = mountMayList(m, key, len + 1, true); /* with its '/' */
    }
    return last->ok;
}

void fsOpendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_KEY_MAX];
    size_t len;
    bool isdir;
    struct store_range_resp resp;
    struct fs_dir *d;
    struct list_memo last = {NULL, 0, false};
    size_t cap = 0;
    size_t i;
    size_t out;
    int n;
    int rv = fsRelOf(m, ino, rel, &len, &isdir);
    if (rv != 0 || !isdir) {
        fuse_reply_err(req, rv != 0 ? rv : ENOTDIR);
        return;
    }
    if (!mountIsReplay(m, req)) {
        rv = mountMayRead(m, rel, len, true);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        (void)mountOpReadGateFor(m, req, ino);
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    d = calloc(1, sizeof *d);
    if (n < 0 || d == NULL) {
        free(d);
        fuse_reply_err(req, n < 0 ? ENAMETOOLONG : ENOMEM);
        return;
    }
    rv = mountPrefixRange(m, key, (size_t)n, 0, 0, &resp);
    if (rv != 0) {
        free(d);
        fuse_reply_err(req, etcfsErrno(rv));
        return;
    }
    for (i = 0; i < resp.n_kvs; i++) {
        const char *s = resp.kvs[i].key + n;
        size_t slen = resp.kvs[i].key_len - (size_t)n;
        const char *slash;
        size_t seg;
        if (resp.kvs[i].key_len < (size_t)n || slen == 0) {
            continue; /* the marker of this directory */
        }
        slash = memchr(s, '/', slen);
        seg = slash != NULL ? (size_t)(slash - s) : slen;
        if (!listable(m, &last, resp.kvs[i].key, (size_t)n + seg,
                      slash != NULL)) {
            continue;
        }
        if (dirPush(d, &cap, s, seg, slash != NULL) != 0) {
            break;
        }
    }
    storeRangeRespClear(&resp);
    pthread_mutex_lock(&m->mu);
    dirPushPending(m, d, &cap, rel, len);
    pthread_mutex_unlock(&m->mu);
    if (d->n > 1) {
        qsort(d->v, d->n, sizeof *d->v, direntCmp);
    }
    /* dedupe; a name that is both: the dir keeps it, the file gets "%" */
    for (i = 0, out = 0; i < d->n; i++) {
        if (out > 0 && strcmp(d->v[out - 1].name, d->v[i].name) == 0) {
            if (d->v[out - 1].dir == d->v[i].dir) {
                continue;
            }
            /* v[out-1] is the file (sorted: file before dir) */
            if (strlen(d->v[out - 1].name) < PATH_NAME_MAX) {
                strcat(d->v[out - 1].name, "%");
            }
        }
        d->v[out++] = d->v[i];
    }
    d->n = out;
    fi->fh = (uint64_t)(uintptr_t)d;
    fi->cache_readdir = 0;
    fuse_reply_open(req, fi);
}

void fsReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
               struct fuse_file_info *fi)
{
    struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
    char *buf = malloc(size);
    size_t used = 0;
    off_t i;
    if (buf == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    for (i = off; i < (off_t)d->n + 2; i++) {
        struct stat st;
        const char *name;
        size_t need;
        memset(&st, 0, sizeof st);
        if (i == 0) {
            name = ".";
            st.st_mode = S_IFDIR;
            st.st_ino = ino;
        } else if (i == 1) {
            name = "..";
            st.st_mode = S_IFDIR;
            st.st_ino = 1;
        } else {
            name = d->v[i - 2].name;
            st.st_mode = d->v[i - 2].dir ? S_IFDIR : S_IFREG;
            st.st_ino = (ino_t)(i + 1000); /* readdir inos are advisory */
        }
        need = fuse_add_direntry(req, buf + used, size - used, name, &st,
                                 i + 1);
        if (need > size - used) {
            break;
        }
        used += need;
    }
    fuse_reply_buf(req, buf, used);
    free(buf);
}

void fsReleasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
    (void)ino;
    free(d->v);
    free(d);
    fuse_reply_err(req, 0);
}

void fsMkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
             mode_t mode)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct store_attr attr;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv == 0 && shadowed) {
        rv = EINVAL;
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        if (!mountDirExists(m, rel, len)) {
            /* removed again since: never plant an inode for a name the
             * store does not have (its rmdir, queued, raises the delete) */
            fuse_reply_err(req, ENOENT);
            return;
        }
        fsDirTarget(m, rel, len, &t);
        fsReplyEntry(req, m, rel, len, &t, NULL);
        fsTargetClear(&t);
        return;
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = mountMayWrite(m, rel, len, true); /* its marker */
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    rv = fsResolve(m, rel, len, false, &t);
    if (rv == 0 && t.kind == FS_DIR) {
        rv = EEXIST;
    }
    fsTargetClear(&t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    fsNewAttr(req, S_IFDIR | (mode & 07777), &attr);
    rv = fsProposePut(m, rel, len, true, "", 0, 0, &attr);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    memset(&t, 0, sizeof t);
    t.kind = FS_DIR;
    t.have_kv = true; /* a marker with no key/value: just its metadata */
    t.kv.attr = attr;
    fsReplyEntry(req, m, rel, len, &t, NULL);
}

static int deleteKey(struct mount *m, const char *key, size_t len)
{
    struct command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    cmd.delete_range.key = key;
    cmd.delete_range.key_len = len;
    return fsPropose(m, &cmd, NULL);
}

void fsUnlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_KEY_MAX];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    int n;
    int rv = fsChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0); /* applied already: the event only */
        return;
    }
    rv = mountMayWrite(m, rel, len, false);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    rv = fsResolveFound(m, rel, len, shadowed, &t);
    if (rv == 0 && t.kind == FS_DIR) {
        rv = EISDIR;
    }
    if (rv == 0 && t.pending) {
        /* never committed: its open descriptors keep it, nothing else */
        struct inode *e;
        pthread_mutex_lock(&m->mu);
        e = inodeFindRel(&m->inodes, rel, len, false);
        if (e != NULL) {
            fsTargetStat(m, e->ino, &t, &e->orphan_st);
            inodeOrphan(&m->inodes, e);
        }
        pthread_mutex_unlock(&m->mu);
        fsTargetClear(&t);
        fuse_reply_err(req, 0);
        return;
    }
    fsTargetClear(&t);
    if (rv == 0 && !fsCanWrite(m, req)) {
        rv = EROFS;
    }
    if (rv == 0) {
        n = mountKey(m, rel, len, false, key, sizeof key);
        rv = n < 0 ? ENAMETOOLONG : deleteKey(m, key, (size_t)n);
    }
    fuse_reply_err(req, rv);
}

void fsRmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_KEY_MAX];
    size_t len;
    bool shadowed = false;
    int under;
    int n;
    int rv = fsChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0);
        return;
    }
    if (shadowed) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = mountMayWrite(m, rel, len, true); /* its marker */
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    rv = mountDirUnder(m, key, (size_t)n, &under);
    if (rv != 0) {
        fuse_reply_err(req, etcfsErrno(rv));
        return;
    }
    if (under == MOUNT_DIR_NOTHING) {
        rv = ENOENT;
    } else if (under == MOUNT_DIR_ENTRIES) {
        rv = ENOTEMPTY;
    }
    if (rv == 0) {
        rv = deleteKey(m, key, (size_t)n);
    }
    fuse_reply_err(req, rv);
}
