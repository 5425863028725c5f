/* What the handlers share: a name's key, what a name refers to in the
 * store right now (plus this mount's uncommitted creates) and what lies
 * under a directory, the stat a key or directory shows, entry replies
 * (each takes one lookup reference, undone when the kernel drops the
 * reply), a new entry's metadata and the proposal helpers. Any FUSE
 * thread; store reads are thread-safe. mountMemDup, which the inode
 * table, the apply hook and the replay use too, is pure.
 * Key <-> name rules: fuse/path.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/core/error.h"
#include "mount_internal.h"
#include "path.h"

int64_t mountNowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *mountMemDup(const char *p, size_t len)
{
    char *d = malloc(len + 1);
    if (d != NULL) {
        memcpy(d, p, len);
        d[len] = '\0';
    }
    return d;
}

struct mount *fsMount(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

bool mountIsReplay(struct mount *m, fuse_req_t req)
{
    pid_t tid = atomic_load(&m->replay_tid);
    return tid != 0 && fuse_req_ctx(req)->pid == tid;
}

int mountKey(const struct mount *m, const char *rel, size_t rel_len, bool dir,
             char *out, size_t size)
{
    size_t n = m->prefix_len + rel_len + (dir && rel_len > 0 ? 1 : 0);
    if (n + 1 > size) {
        return -1;
    }
    memcpy(out, m->prefix, m->prefix_len);
    memcpy(out + m->prefix_len, rel, rel_len);
    if (dir && rel_len > 0) {
        out[m->prefix_len + rel_len] = '/';
    }
    out[n] = '\0';
    return (int)n;
}

/* p with its last byte incremented (bytes 0xff are dropped). */
size_t mountPrefixEnd(const char *p, size_t len, char *out)
{
    memcpy(out, p, len);
    while (len > 0) {
        unsigned char c = (unsigned char)out[len - 1];
        if (c != 0xff) {
            out[len - 1] = (char)(c + 1);
            return len;
        }
        len--;
    }
    return 0;
}

int mountPrefixRange(struct mount *m, const char *key, size_t key_len,
                     int64_t limit, int64_t revision,
                     struct store_range_resp *resp)
{
    char end[MOUNT_KEY_MAX];
    struct store_range_req r;
    memset(&r, 0, sizeof r);
    memset(resp, 0, sizeof *resp);
    if (key_len > sizeof end) {
        return ETCFS_KEY_TOO_LONG;
    }
    r.key = key_len > 0 ? key : "\0";
    r.key_len = key_len > 0 ? key_len : 1;
    r.range_end = end;
    r.range_end_len = mountPrefixEnd(key, key_len, end);
    if (r.range_end_len == 0) {
        r.range_end = "\0"; /* no end: every key from key */
        r.range_end_len = 1;
    }
    r.limit = limit;
    r.revision = revision;
    r.keys_only = true;
    r.no_count = limit > 0; /* "any key under it?": never walk them all */
    return storeRange(m->deps.store, &r, resp, NULL);
}

int mountGetKv(struct mount *m, const char *key, size_t len, bool values,
               struct store_kv *kv)
{
    struct store_range_req r;
    struct store_range_resp resp;
    int rv;
    memset(&r, 0, sizeof r);
    memset(&resp, 0, sizeof resp);
    r.key = key;
    r.key_len = len;
    r.keys_only = !values;
    rv = storeRange(m->deps.store, &r, &resp, NULL);
    if (rv != 0) {
        return -etcfsErrno(rv);
    }
    if (resp.n_kvs == 0) {
        storeRangeRespClear(&resp);
        return 0;
    }
    *kv = resp.kvs[0];
    memset(&resp.kvs[0], 0, sizeof resp.kvs[0]);
    storeRangeRespClear(&resp);
    return 1;
}

/* Whether any key lies under the directory prefix of rel (its marker
 * included). The root always exists. */
bool mountDirExists(struct mount *m, const char *rel, size_t len)
{
    char key[MOUNT_KEY_MAX];
    struct store_range_resp resp;
    uint64_t gen;
    int n;
    int known;
    bool found;
    if (len == 0) {
        return true;
    }
    known = dirCacheGet(&m->dirs, rel, len, &gen);
    if (known >= 0) {
        return known == 1;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0 || mountPrefixRange(m, key, (size_t)n, 1, 0, &resp) != 0) {
        return false;
    }
    found = resp.n_kvs > 0;
    storeRangeRespClear(&resp);
    dirCachePut(&m->dirs, rel, len, found, gen);
    return found;
}

int mountDirUnder(struct mount *m, const char *key, size_t len, int *under)
{
    struct store_range_resp resp;
    int rv = mountPrefixRange(m, key, len, 2, 0, &resp);
    if (rv != 0) {
        return rv;
    }
    if (resp.n_kvs == 0) {
        *under = MOUNT_DIR_NOTHING;
    } else if (resp.n_kvs > 1 || resp.kvs[0].key_len != len) {
        *under = MOUNT_DIR_ENTRIES; /* the marker sorts first */
    } else {
        *under = MOUNT_DIR_MARKER;
    }
    storeRangeRespClear(&resp);
    return 0;
}

static void setTime(struct timespec *ts, int64_t ns)
{
    ts->tv_sec = ns / 1000000000LL;
    ts->tv_nsec = ns % 1000000000LL;
}

/* mtime as written (or fallback), atime and ctime where the version
 * carries them, else the mtime. */
void mountStatTimes(struct stat *st, const struct store_attr *a,
                    int64_t fallback_ns)
{
    int64_t mt = a != NULL && a->mtime_ns != 0 ? a->mtime_ns : fallback_ns;
    setTime(&st->st_mtim, mt);
    setTime(&st->st_atim, a != NULL && a->atime_ns != 0 ? a->atime_ns : mt);
    setTime(&st->st_ctim, a != NULL && a->ctime_ns != 0 ? a->ctime_ns : mt);
}

void mountStatFile(const struct mount *m, uint64_t ino,
                   const struct store_kv *kv, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = kv->attr.mode != 0 ? kv->attr.mode : MOUNT_DEFAULT_FILE_MODE;
    if ((st->st_mode & S_IFMT) == 0 || S_ISDIR(st->st_mode)) {
        st->st_mode = S_IFREG | (st->st_mode & 07777);
    }
    st->st_uid = kv->attr.uid;
    st->st_gid = kv->attr.gid;
    st->st_nlink = 1;
    st->st_size = (off_t)kv->value_len;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((kv->value_len + 511) / 512);
    mountStatTimes(st, &kv->attr, m->start_ns);
}

void mountStatDir(const struct mount *m, uint64_t ino,
                  const struct store_kv *marker, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = MOUNT_DEFAULT_DIR_MODE;
    st->st_nlink = 2;
    st->st_size = 4096;
    st->st_blksize = 4096;
    st->st_blocks = 8;
    mountStatTimes(st, marker != NULL ? &marker->attr : NULL, m->start_ns);
    if (marker != NULL) {
        if (marker->attr.mode != 0) {
            st->st_mode = S_IFDIR | (marker->attr.mode & 07777);
        }
        st->st_uid = marker->attr.uid;
        st->st_gid = marker->attr.gid;
    }
}

int fsRelOf(struct mount *m, fuse_ino_t ino, char *rel, size_t *len,
            bool *dir)
{
    struct inode *e;
    int rv = 0;
    pthread_mutex_lock(&m->mu);
    e = inodeFind(&m->inodes, ino);
    if (e == NULL) {
        rv = ESTALE;
    } else {
        memcpy(rel, e->rel, e->rel_len);
        rel[e->rel_len] = '\0';
        *len = e->rel_len;
        *dir = e->dir;
    }
    pthread_mutex_unlock(&m->mu);
    return rv;
}

int fsChildRel(struct mount *m, fuse_ino_t parent, const char *name,
               char *rel, size_t *len, bool *shadowed)
{
    char seg[PATH_NAME_MAX + 1];
    size_t plen;
    bool pdir;
    int n;
    int rv = fsRelOf(m, parent, rel, &plen, &pdir);
    if (rv != 0) {
        return rv;
    }
    if (!pdir) {
        return ENOTDIR;
    }
    if (strlen(name) > PATH_NAME_MAX) {
        return ENAMETOOLONG;
    }
    n = pathUnescapeName(name, strlen(name), seg, sizeof seg, shadowed);
    if (n < 0) {
        return ENOENT;
    }
    if (plen + 1 + (size_t)n >= MOUNT_REL_MAX) {
        return ENAMETOOLONG;
    }
    if (plen > 0) {
        rel[plen++] = '/';
    }
    memcpy(rel + plen, seg, (size_t)n);
    plen += (size_t)n;
    rel[plen] = '\0';
    *len = plen;
    return 0;
}

int fsNewChildRel(struct mount *m, fuse_ino_t parent, const char *name,
                  char *rel, size_t *len, bool *shadowed)
{
    int rv = fsChildRel(m, parent, name, rel, len, shadowed);
    return rv == ENOENT ? EINVAL : rv;
}

void fsTargetClear(struct fs_target *t)
{
    if (t->have_kv) {
        storeKvClear(&t->kv);
    }
    memset(t, 0, sizeof *t);
}

void fsDirTarget(struct mount *m, const char *rel, size_t len,
                 struct fs_target *t)
{
    char key[MOUNT_KEY_MAX];
    int n = mountKey(m, rel, len, true, key, sizeof key);
    memset(t, 0, sizeof *t);
    t->kind = FS_DIR;
    if (n > 0 && len > 0 &&
        mountGetKv(m, key, (size_t)n, false, &t->kv) == 1) {
        t->have_kv = true;
    }
}

int fsResolve(struct mount *m, const char *rel, size_t len, bool shadowed,
              struct fs_target *t)
{
    char key[MOUNT_KEY_MAX];
    struct inode *e;
    int n;
    int rv;
    memset(t, 0, sizeof *t);
    if (!shadowed && mountDirExists(m, rel, len)) {
        fsDirTarget(m, rel, len, t);
        return 0;
    }
    n = mountKey(m, rel, len, false, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    /* st_size needs the value's length: always read it */
    rv = mountGetKv(m, key, (size_t)n, true, &t->kv);
    if (rv < 0) {
        return -rv;
    }
    if (rv == 1 && len > 0) {
        t->kind = FS_FILE;
        t->have_kv = true;
        return 0;
    }
    if (rv == 1) {
        storeKvClear(&t->kv); /* the key equal to the prefix: not a file */
    }
    pthread_mutex_lock(&m->mu);
    e = inodeFindRel(&m->inodes, rel, len, false);
    if (e != NULL && e->pending) {
        t->kind = FS_FILE;
        t->pending = true;
        t->kv.attr = e->pending_attr;
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

int fsResolveFound(struct mount *m, const char *rel, size_t len, bool shadowed,
                   struct fs_target *t)
{
    int rv = fsResolve(m, rel, len, shadowed, t);
    if (rv == 0 && t->kind == FS_NONE) {
        rv = ENOENT;
    }
    if (rv != 0) {
        fsTargetClear(t);
    }
    return rv;
}

void fsTargetStat(struct mount *m, uint64_t ino, const struct fs_target *t,
                  struct stat *st)
{
    if (t->kind == FS_DIR) {
        mountStatDir(m, ino, t->have_kv ? &t->kv : NULL, st);
    } else if (t->have_kv) {
        mountStatFile(m, ino, &t->kv, st);
    } else {
        struct store_kv empty;
        memset(&empty, 0, sizeof empty);
        empty.attr = t->kv.attr;
        mountStatFile(m, ino, &empty, st);
    }
}

double fsTimeout(struct mount *m, fuse_req_t req)
{
    /* The replay's entries are never cached: another process's path walk
     * must come back to lookup, which marks the inode seen. */
    return mountIsReplay(m, req) ? 0.0 : m->cache_timeout;
}

/* A directory's time as this mount saw its entries change (newer than
 * its marker), under mu. */
static void dirTimes(struct inode *e, struct stat *st)
{
    if (e->dir && e->dir_time_ns != 0) {
        struct timespec ts;
        ts.tv_sec = e->dir_time_ns / 1000000000LL;
        ts.tv_nsec = e->dir_time_ns % 1000000000LL;
        if (ts.tv_sec > st->st_mtim.tv_sec ||
            (ts.tv_sec == st->st_mtim.tv_sec &&
             ts.tv_nsec > st->st_mtim.tv_nsec)) {
            st->st_mtim = ts;
        }
        if (ts.tv_sec > st->st_ctim.tv_sec ||
            (ts.tv_sec == st->st_ctim.tv_sec &&
             ts.tv_nsec > st->st_ctim.tv_nsec)) {
            st->st_ctim = ts;
        }
    }
}

void fsReplyEntry(fuse_req_t req, struct mount *m, const char *rel,
                  size_t len, const struct fs_target *t,
                  const struct fuse_file_info *fi)
{
    struct fuse_entry_param e;
    struct inode *in;
    bool replay = mountIsReplay(m, req);
    memset(&e, 0, sizeof e);
    fsTargetStat(m, 0, t, &e.attr);
    pthread_mutex_lock(&m->mu);
    in = inodeGet(&m->inodes, rel, len, t->kind == FS_DIR, true);
    if (in != NULL) {
        e.ino = in->ino;
        e.attr.st_ino = in->ino;
        if (!replay) {
            in->seen = true;
        }
        dirTimes(in, &e.attr);
        if (!in->dir) {
            (void)handleStat(in, &e.attr);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (in == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    if (t->gated) {
        mountGateNote(m, req, e.ino); /* before the reply: OPEN follows it */
    }
    e.attr_timeout = fsTimeout(m, req);
    e.entry_timeout = e.attr_timeout;
    fsSendEntry(req, m, &e, fi);
}

void fsSendEntry(fuse_req_t req, struct mount *m,
                 const struct fuse_entry_param *e,
                 const struct fuse_file_info *fi)
{
    int rv = fi != NULL ? fuse_reply_create(req, e, fi)
                        : fuse_reply_entry(req, e);
    if (rv != 0) {
        /* the kernel dropped it: undo our reference */
        pthread_mutex_lock(&m->mu);
        inodeForget(&m->inodes, e->ino, 1);
        pthread_mutex_unlock(&m->mu);
    }
}

void fsReplyAttr(fuse_req_t req, struct mount *m, const struct stat *st)
{
    struct stat s = *st;
    struct inode *in;
    pthread_mutex_lock(&m->mu);
    in = inodeFind(&m->inodes, s.st_ino);
    if (in != NULL) {
        dirTimes(in, &s);
    }
    pthread_mutex_unlock(&m->mu);
    fuse_reply_attr(req, &s, fsTimeout(m, req));
}

int fsErrno(int rv)
{
    if (rv == ETCFS_TOO_LARGE) {
        return EFBIG;
    }
    if (rv == ETCFS_NOLEADER || rv == ETCFS_NOTLEADER) {
        return EROFS;
    }
    return rv == 0 ? 0 : etcfsErrno(rv);
}

int fsPropose(struct mount *m, struct command *cmd, struct mount_result *res)
{
    struct mount_result tmp;
    return fsErrno(mountOpPropose(m, cmd, res != NULL ? res : &tmp));
}

int fsProposePut(struct mount *m, const char *rel, size_t len, bool dir,
                 const char *value, size_t value_len, int64_t lease,
                 const struct store_attr *attr)
{
    char key[MOUNT_KEY_MAX];
    struct command cmd;
    int n = mountKey(m, rel, len, dir, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.value = value;
    cmd.put.value_len = value_len;
    cmd.put.lease = lease;
    cmd.put.attr = *attr;
    return fsPropose(m, &cmd, NULL);
}

void fsNewAttr(fuse_req_t req, mode_t mode, struct store_attr *a)
{
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    memset(a, 0, sizeof *a);
    a->mode = mode;
    a->uid = ctx->uid;
    a->gid = ctx->gid;
    a->mtime_ns = mountNowNs();
    a->ctime_ns = a->mtime_ns;
}

bool fsCanWrite(struct mount *m, fuse_req_t req)
{
    return mountIsReplay(m, req) || atomic_load(&m->has_leader);
}
