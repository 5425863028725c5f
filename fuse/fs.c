/* The filesystem handlers (FUSE low-level ops), on FUSE worker threads.
 *
 * Reads go straight to the store (thread-safe), behind the linearizable
 * gate where a stale answer would be visible (open, opendir, a negative
 * lookup). A file's data lives in a per-open handle from open to close and
 * is committed as one put at flush, through the leader, before close()
 * returns. rename is one txn. The replay thread's own syscalls (remote
 * changes surfacing as inotify events) are recognised by tid and only make
 * the already-applied state visible; they never propose anything.
 * Key <-> name rules: fuse/path.h. */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "../raft/node.h"
#include "../src/error.h"
#include "../src/log.h"
#include "mount_internal.h"
#include "path.h"

#define FS__DEFAULT_FILE_MODE (S_IFREG | 0644)
#define FS__DEFAULT_DIR_MODE (S_IFDIR | 0755)
#define FS__XATTR_PREFIX "user.etcfs."
/* Seconds the kernel caches names and attributes, in both consistency
 * modes: the replay keeps them in step with every applied change (it
 * repeats the change through the mount, or invalidates), and a
 * linearizable mount confirms the content at open, where a changed
 * revision also drops the cached attributes (fsOpen). */
#define FS__CACHE_TIMEOUT 1.0

/* One open file: the whole value, edited in memory until flush. */
struct fs_handle
{
    char rel[MOUNT_REL_MAX];
    size_t rel_len;
    uint64_t ino;
    char *buf;
    size_t len;
    size_t cap;
    bool dirty;
    bool written; /* data or size changed through this handle */
    bool failed;  /* a write was refused (EFBIG): the handle never commits */
    bool mtime_set; /* an explicit mtime (utimensat) since the last write */
    bool append;
    bool replay;
    bool exists; /* the key existed at open */
    atomic_int readers; /* fsRead replies in progress */
    int64_t lease;
    struct store_attr attr;
};

/* An open directory: its listing, taken at opendir. */
struct fs_dirent
{
    char name[PATH_NAME_MAX + 1];
    bool dir;
    uint64_t ino;
};
struct fs_dir
{
    struct fs_dirent *v;
    size_t n;
};

/* ---- small helpers ---- */

static struct mount *fsMount(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static int64_t nowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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

/* The smallest key above every key starting with p: p with its last byte
 * incremented (bytes 0xff are dropped). Returns the length (0 = no end:
 * every key from p). */
static size_t prefixEnd(const char *p, size_t len, char *out)
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
    char end[MOUNT_REL_MAX + 1200];
    struct store_range_req r;
    memset(&r, 0, sizeof r);
    memset(resp, 0, sizeof *resp);
    if (key_len > sizeof end) {
        return ETCFS_KEY_TOO_LONG;
    }
    r.key = key_len > 0 ? key : "\0";
    r.key_len = key_len > 0 ? key_len : 1;
    r.range_end = end;
    r.range_end_len = prefixEnd(key, key_len, end);
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

/* The key's current state; 1 found, 0 not, <0 -errno. */
static int fsGetKv(struct mount *m, const char *key, size_t len, bool values,
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
static bool fsDirExists(struct mount *m, const char *rel, size_t len)
{
    char key[MOUNT_REL_MAX + 1200];
    struct store_range_resp resp;
    int n;
    bool found;
    if (len == 0) {
        return true;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0 || mountPrefixRange(m, key, (size_t)n, 1, 0, &resp) != 0) {
        return false;
    }
    found = resp.n_kvs > 0;
    storeRangeRespClear(&resp);
    return found;
}

static void statTime(struct stat *st, int64_t ns)
{
    st->st_mtim.tv_sec = ns / 1000000000LL;
    st->st_mtim.tv_nsec = ns % 1000000000LL;
    st->st_ctim = st->st_mtim;
    st->st_atim = st->st_mtim;
}

void mountStatFile(const struct mount *m, uint64_t ino,
                   const struct store_kv *kv, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = kv->attr.mode != 0 ? kv->attr.mode : FS__DEFAULT_FILE_MODE;
    if ((st->st_mode & S_IFMT) == 0 || S_ISDIR(st->st_mode)) {
        st->st_mode = S_IFREG | (st->st_mode & 07777);
    }
    st->st_uid = kv->attr.uid;
    st->st_gid = kv->attr.gid;
    st->st_nlink = 1;
    st->st_size = (off_t)kv->value_len;
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((kv->value_len + 511) / 512);
    statTime(st, kv->attr.mtime_ns != 0 ? kv->attr.mtime_ns : m->start_ns);
}

void mountStatDir(const struct mount *m, uint64_t ino,
                  const struct store_kv *marker, struct stat *st)
{
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mode = FS__DEFAULT_DIR_MODE;
    st->st_nlink = 2;
    st->st_size = 4096;
    st->st_blksize = 4096;
    st->st_blocks = 8;
    statTime(st, m->start_ns);
    if (marker != NULL) {
        if (marker->attr.mode != 0) {
            st->st_mode = S_IFDIR | (marker->attr.mode & 07777);
        }
        st->st_uid = marker->attr.uid;
        st->st_gid = marker->attr.gid;
        if (marker->attr.mtime_ns != 0) {
            statTime(st, marker->attr.mtime_ns);
        }
    }
}

/* rel of an inode (copied under mu). */
static int fsRelOf(struct mount *m, fuse_ino_t ino, char *rel, size_t *len,
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

/* parent rel + "/" + unescaped name. Returns 0 or an errno. */
static int fsChildRel(struct mount *m, fuse_ino_t parent, const char *name,
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

/* The relative path for a new entry named name under parent: like
 * fsChildRel, but a name no key can produce is EINVAL, not ENOENT. */
static int fsNewChildRel(struct mount *m, fuse_ino_t parent, const char *name,
                         char *rel, size_t *len, bool *shadowed)
{
    int rv = fsChildRel(m, parent, name, rel, len, shadowed);
    return rv == ENOENT ? EINVAL : rv;
}

static struct pending_create *pendingFind(struct mount *m, const char *rel,
                                          size_t len)
{
    struct pending_create *p;
    for (p = m->creates; p != NULL; p = p->next) {
        if (p->rel_len == len && memcmp(p->rel, rel, len) == 0) {
            return p;
        }
    }
    return NULL;
}

static void pendingRemove(struct mount *m, const char *rel, size_t len)
{
    struct pending_create **pp;
    pthread_mutex_lock(&m->mu);
    for (pp = &m->creates; *pp != NULL; pp = &(*pp)->next) {
        struct pending_create *p = *pp;
        if (p->rel_len == len && memcmp(p->rel, rel, len) == 0) {
            *pp = p->next;
            free(p->rel);
            free(p);
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
}

/* What a name refers to right now. */
enum { FS_NONE = 0, FS_FILE, FS_DIR };
struct fs_target
{
    int kind;
    bool have_kv; /* file: kv valid (owned); dir: marker in kv */
    struct store_kv kv;
    bool pending; /* a local create not yet committed */
    bool ghost;
    struct stat ghost_st;
};

static void targetClear(struct fs_target *t)
{
    if (t->have_kv) {
        storeKvClear(&t->kv);
    }
    memset(t, 0, sizeof *t);
}

/* Resolves rel: as a directory (unless shadowed) or a file; honours the
 * overlays (hidden names are absent, ghosts present) unless replay. */
static int fsResolve(struct mount *m, const char *rel, size_t len,
                     bool shadowed, bool replay, bool values,
                     struct fs_target *t)
{
    char key[MOUNT_REL_MAX + 1200];
    int n;
    int rv;
    /* The overlays apply to the replay thread too: its create must find
     * the name absent (or O_EXCL fails and no IN_CREATE is raised), its
     * unlink must find the ghost. */
    (void)replay;
    memset(t, 0, sizeof *t);
    if (!shadowed) {
        if (overlayGhost(m, rel, len, true, &t->ghost_st)) {
            t->kind = FS_DIR;
            t->ghost = true;
            return 0;
        }
        if (fsDirExists(m, rel, len) && !overlayHidden(m, rel, len, true)) {
            t->kind = FS_DIR;
            n = mountKey(m, rel, len, true, key, sizeof key);
            if (n > 0 && len > 0 &&
                fsGetKv(m, key, (size_t)n, false, &t->kv) == 1) {
                t->have_kv = true;
            }
            return 0;
        }
    }
    n = mountKey(m, rel, len, false, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    if (overlayGhost(m, rel, len, false, &t->ghost_st)) {
        t->kind = FS_FILE;
        t->ghost = true;
        return 0;
    }
    (void)values; /* st_size needs the value's length: always read it */
    rv = fsGetKv(m, key, (size_t)n, true, &t->kv);
    if (rv < 0) {
        return -rv;
    }
    if (rv == 1 && len > 0) {
        if (overlayHidden(m, rel, len, false)) {
            storeKvClear(&t->kv);
            return 0;
        }
        t->kind = FS_FILE;
        t->have_kv = true;
        return 0;
    }
    pthread_mutex_lock(&m->mu);
    {
        struct pending_create *p = pendingFind(m, rel, len);
        if (p != NULL) {
            t->kind = FS_FILE;
            t->pending = true;
            t->kv.attr = p->attr;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static void targetStat(struct mount *m, uint64_t ino, struct fs_target *t,
                       struct stat *st)
{
    if (t->ghost) {
        *st = t->ghost_st;
        st->st_ino = ino;
    } else if (t->kind == FS_DIR) {
        mountStatDir(m, ino, t->have_kv ? &t->kv : NULL, st);
    } else {
        struct store_kv empty;
        if (t->have_kv) {
            mountStatFile(m, ino, &t->kv, st);
            return;
        }
        memset(&empty, 0, sizeof empty);
        empty.attr = t->kv.attr;
        mountStatFile(m, ino, &empty, st);
    }
}

/* Replies an entry for rel, taking a lookup reference. */
static void replyEntry(fuse_req_t req, struct mount *m, const char *rel,
                       size_t len, struct fs_target *t,
                       const struct fuse_file_info *fi)
{
    struct fuse_entry_param e;
    struct inode *in;
    memset(&e, 0, sizeof e);
    pthread_mutex_lock(&m->mu);
    in = inodeGet(&m->inodes, rel, len, t->kind == FS_DIR, true);
    if (in != NULL) {
        e.ino = in->ino;
    }
    pthread_mutex_unlock(&m->mu);
    if (in == NULL) {
        fuse_reply_err(req, ENOMEM);
        return;
    }
    targetStat(m, e.ino, t, &e.attr);
    e.attr_timeout = FS__CACHE_TIMEOUT;
    e.entry_timeout = FS__CACHE_TIMEOUT;
    if (fi != NULL) {
        if (fuse_reply_create(req, &e, fi) != 0) {
            /* the kernel dropped it: undo our reference */
            pthread_mutex_lock(&m->mu);
            inodeForget(&m->inodes, e.ino, 1);
            pthread_mutex_unlock(&m->mu);
        }
        return;
    }
    if (fuse_reply_entry(req, &e) != 0) {
        pthread_mutex_lock(&m->mu);
        inodeForget(&m->inodes, e.ino, 1);
        pthread_mutex_unlock(&m->mu);
    }
}

static int etcfsToErrno(int rv)
{
    return rv == 0 ? 0 : etcfsErrno(rv);
}

/* Proposes cmd; returns 0 or an errno. */
static int fsPropose(struct mount *m, struct command *cmd,
                     struct mount_result *res)
{
    struct mount_result tmp;
    int rv = mountOpPropose(m, cmd, res != NULL ? res : &tmp);
    if (rv == ETCFS_TOO_LARGE) {
        return EFBIG;
    }
    if (rv == ETCFS_NOLEADER || rv == ETCFS_NOTLEADER) {
        return EROFS;
    }
    return etcfsToErrno(rv);
}

static bool canWrite(struct mount *m, fuse_req_t req)
{
    return mountIsReplay(m, req) || atomic_load(&m->has_leader);
}

/* ---- lookup, getattr, forget ---- */

static void fsLookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    bool replay = mountIsReplay(m, req);
    struct fs_target t;
    int rv = fsChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (replay && !shadowed && overlayHidden(m, rel, len, true)) {
        /* a directory waiting for its replayed mkdir: the name is free for
         * it, also where a file of that name was (its value becomes the
         * file "name%"), so the mkdir raises IN_CREATE */
        fuse_reply_err(req, ENOENT);
        return;
    }
    rv = fsResolve(m, rel, len, shadowed, replay, false, &t);
    if (rv == 0 && t.kind == FS_NONE && !replay && m->linearizable) {
        /* maybe created elsewhere and not applied here yet */
        if (mountOpReadGate(m) == 0) {
            rv = fsResolve(m, rel, len, shadowed, replay, false, &t);
        }
    }
    if (rv != 0 || t.kind == FS_NONE) {
        targetClear(&t);
        fuse_reply_err(req, rv != 0 ? rv : ENOENT);
        return;
    }
    replyEntry(req, m, rel, len, &t, NULL);
    targetClear(&t);
}

static void fsGetattr(fuse_req_t req, fuse_ino_t ino,
                      struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool dir;
    struct fs_target t;
    struct stat st;
    int rv = fsRelOf(m, ino, rel, &len, &dir);
    (void)fi;
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (dir) {
        if (len > 0 && !fsDirExists(m, rel, len) &&
            !overlayGhost(m, rel, len, true, &st)) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        memset(&t, 0, sizeof t);
        t.kind = FS_DIR;
        if (len > 0) {
            char key[MOUNT_REL_MAX + 1200];
            int n = mountKey(m, rel, len, true, key, sizeof key);
            if (n > 0 && fsGetKv(m, key, (size_t)n, false, &t.kv) == 1) {
                t.have_kv = true;
            }
        }
    } else {
        rv = fsResolve(m, rel, len, true, true, false, &t);
        if (rv == 0 && t.kind == FS_NONE &&
            overlayGhost(m, rel, len, false, &st)) {
            t.kind = FS_FILE;
            t.ghost = true;
            t.ghost_st = st;
        }
        if (rv != 0 || t.kind == FS_NONE) {
            targetClear(&t);
            fuse_reply_err(req, rv != 0 ? rv : ENOENT);
            return;
        }
    }
    targetStat(m, ino, &t, &st);
    targetClear(&t);
    if (!dir && fi != NULL && fi->fh != 0) {
        /* through an open file (fstat, ftruncate's reply): its uncommitted
         * size and metadata, which the kernel caches and sizes pages by */
        const struct fs_handle *h =
            (const struct fs_handle *)(uintptr_t)fi->fh;
        if (h->dirty && !h->replay) {
            st.st_size = (off_t)h->len;
            st.st_blocks = (blkcnt_t)((h->len + 511) / 512);
            if (h->attr.mode != 0) {
                st.st_mode = S_IFREG | (h->attr.mode & 07777);
                st.st_uid = h->attr.uid;
                st.st_gid = h->attr.gid;
            }
        }
    }
    fuse_reply_attr(req, &st, FS__CACHE_TIMEOUT);
}

static void fsForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    struct mount *m = fsMount(req);
    pthread_mutex_lock(&m->mu);
    inodeForget(&m->inodes, ino, nlookup);
    pthread_mutex_unlock(&m->mu);
    fuse_reply_none(req);
}

static void fsForgetMulti(fuse_req_t req, size_t count,
                          struct fuse_forget_data *forgets)
{
    struct mount *m = fsMount(req);
    size_t i;
    pthread_mutex_lock(&m->mu);
    for (i = 0; i < count; i++) {
        inodeForget(&m->inodes, forgets[i].ino, forgets[i].nlookup);
    }
    pthread_mutex_unlock(&m->mu);
    fuse_reply_none(req);
}

/* ---- directories ---- */

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
    e->ino = 0;
    d->n++;
    return 0;
}

static void fsOpendir(fuse_req_t req, fuse_ino_t ino,
                      struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
    size_t len;
    bool isdir;
    struct store_range_resp resp;
    struct fs_dir *d;
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
        (void)mountOpReadGate(m);
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
        if (resp.kvs[i].key_len < (size_t)n || slen == 0) {
            continue; /* the marker of this directory */
        }
        slash = memchr(s, '/', slen);
        if (dirPush(d, &cap, s, slash != NULL ? (size_t)(slash - s) : slen,
                    slash != NULL) != 0) {
            break;
        }
    }
    storeRangeRespClear(&resp);
    /* local creates not committed yet */
    pthread_mutex_lock(&m->mu);
    {
        struct pending_create *p;
        for (p = m->creates; p != NULL; p = p->next) {
            size_t plen = len > 0 ? len + 1 : 0;
            if (p->rel_len > plen && memcmp(p->rel, rel, len) == 0 &&
                (len == 0 || p->rel[len] == '/') &&
                memchr(p->rel + plen, '/', p->rel_len - plen) == NULL) {
                (void)dirPush(d, &cap, p->rel + plen, p->rel_len - plen,
                              false);
            }
        }
    }
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

static void fsReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
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

static void fsReleasedir(fuse_req_t req, fuse_ino_t ino,
                         struct fuse_file_info *fi)
{
    struct fs_dir *d = (struct fs_dir *)(uintptr_t)fi->fh;
    (void)ino;
    free(d->v);
    free(d);
    fuse_reply_err(req, 0);
}

static void fsMkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
                    mode_t mode)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct command cmd;
    int n;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv == 0 && shadowed) {
        rv = EINVAL;
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        (void)overlayTake(m, rel, len, true, false);
        memset(&t, 0, sizeof t);
        t.kind = FS_DIR;
        replyEntry(req, m, rel, len, &t, NULL);
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    (void)overlayTake(m, rel, len, true, false); /* as in fsCreate */
    rv = fsResolve(m, rel, len, false, false, false, &t);
    if (rv == 0 && t.kind == FS_DIR) {
        rv = EEXIST;
    }
    targetClear(&t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.value = "";
    cmd.put.attr.mode = S_IFDIR | (mode & 07777);
    cmd.put.attr.uid = fuse_req_ctx(req)->uid;
    cmd.put.attr.gid = fuse_req_ctx(req)->gid;
    cmd.put.attr.mtime_ns = nowNs();
    rv = fsPropose(m, &cmd, NULL);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    memset(&t, 0, sizeof t);
    t.kind = FS_DIR;
    t.have_kv = true; /* a marker with no key/value: just its metadata */
    t.kv.attr = cmd.put.attr;
    replyEntry(req, m, rel, len, &t, NULL);
}

/* ---- delete, rename ---- */

static int fsDeleteKey(struct mount *m, const char *key, size_t len)
{
    struct command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_DELETE_RANGE;
    cmd.delete_range.key = key;
    cmd.delete_range.key_len = len;
    return fsPropose(m, &cmd, NULL);
}

static void fsUnlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
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
        (void)overlayTake(m, rel, len, false, true);
        fuse_reply_err(req, 0);
        return;
    }
    rv = fsResolve(m, rel, len, shadowed, false, false, &t);
    if (rv == 0 && t.kind == FS_NONE) {
        rv = ENOENT;
    } else if (rv == 0 && t.kind == FS_DIR) {
        rv = EISDIR;
    }
    if (rv == 0 && t.pending) {
        targetClear(&t);
        pendingRemove(m, rel, len);
        fuse_reply_err(req, 0);
        return;
    }
    targetClear(&t);
    if (rv == 0 && !canWrite(m, req)) {
        rv = EROFS;
    }
    if (rv == 0) {
        n = mountKey(m, rel, len, false, key, sizeof key);
        rv = n < 0 ? ENAMETOOLONG : fsDeleteKey(m, key, (size_t)n);
    }
    fuse_reply_err(req, rv);
}

static void fsRmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
    size_t len;
    bool shadowed = false;
    struct store_range_resp resp;
    int n;
    int rv = fsChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        (void)overlayTake(m, rel, len, true, true);
        fuse_reply_err(req, 0);
        return;
    }
    if (shadowed) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0) {
        fuse_reply_err(req, ENAMETOOLONG);
        return;
    }
    rv = mountPrefixRange(m, key, (size_t)n, 2, 0, &resp);
    if (rv != 0) {
        fuse_reply_err(req, etcfsErrno(rv));
        return;
    }
    if (resp.n_kvs == 0) {
        rv = ENOENT;
    } else if (resp.n_kvs > 1 || resp.kvs[0].key_len != (size_t)n) {
        rv = ENOTEMPTY;
    }
    storeRangeRespClear(&resp);
    if (rv == 0) {
        rv = fsDeleteKey(m, key, (size_t)n);
    }
    fuse_reply_err(req, rv);
}

/* Builds and proposes the rename txn: every key under the source moves to
 * the destination, the old ones are deleted, in one revision. */
static int fsRenameTxn(struct mount *m, const char *from, size_t from_len,
                       bool from_dir, const char *to, size_t to_len,
                       bool to_exists_dir)
{
    char fkey[MOUNT_REL_MAX + 1200];
    char fend[MOUNT_REL_MAX + 1200];
    char tkey[MOUNT_REL_MAX + 1200];
    struct store_range_req r;
    struct store_range_resp resp;
    struct store_op *ops = NULL;
    char **keys = NULL;
    struct command cmd;
    size_t nops = 0;
    size_t i;
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
        r.range_end_len = prefixEnd(fkey, (size_t)fn, fend);
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
            ops[nops].put.attr.mode = FS__DEFAULT_FILE_MODE;
        }
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

static void fsRename(fuse_req_t req, fuse_ino_t parent, const char *name,
                     fuse_ino_t newparent, const char *newname,
                     unsigned int flags)
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
        (void)overlayTake(m, from, flen, false, true);
        (void)overlayTake(m, from, flen, true, true);
        (void)overlayTake(m, to, tlen, false, false);
        (void)overlayTake(m, to, tlen, true, false);
        pthread_mutex_lock(&m->mu);
        {
            struct inode *d = inodeFindRel(&m->inodes, from, flen, true);
            inodeRename(&m->inodes, from, flen, to, tlen, d != NULL);
        }
        pthread_mutex_unlock(&m->mu);
        fuse_reply_err(req, 0);
        return;
    }
    if ((flags & RENAME_EXCHANGE) != 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = fsResolve(m, from, flen, fsh, false, false, &ft);
    if (rv == 0 && ft.kind == FS_NONE) {
        rv = ENOENT;
    }
    if (rv == 0) {
        rv = fsResolve(m, to, tlen, tsh, false, false, &tt);
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
            char key[MOUNT_REL_MAX + 1200];
            struct store_range_resp resp;
            int n = mountKey(m, to, tlen, true, key, sizeof key);
            if (n >= 0 &&
                mountPrefixRange(m, key, (size_t)n, 2, 0, &resp) == 0) {
                if (resp.n_kvs > 1 ||
                    (resp.n_kvs == 1 && resp.kvs[0].key_len != (size_t)n)) {
                    rv = ENOTEMPTY;
                } else {
                    to_dir_empty = resp.n_kvs == 1;
                }
                storeRangeRespClear(&resp);
            }
        }
        if (rv == 0 && ft.kind == FS_DIR && tlen > flen &&
            memcmp(to, from, flen) == 0 && to[flen] == '/') {
            rv = EINVAL; /* into itself */
        }
        targetClear(&tt);
    }
    if (rv == 0 && ft.pending) {
        /* not committed yet: the rename is the create under the new name */
        struct pending_create *p;
        pthread_mutex_lock(&m->mu);
        p = pendingFind(m, from, flen);
        if (p != NULL) {
            char *nrel = malloc(tlen + 1);
            if (nrel != NULL) {
                memcpy(nrel, to, tlen);
                nrel[tlen] = '\0';
                free(p->rel);
                p->rel = nrel;
                p->rel_len = tlen;
            }
        }
        pthread_mutex_unlock(&m->mu);
        targetClear(&ft);
        fuse_reply_err(req, 0);
        return;
    }
    if (rv == 0) {
        rv = fsRenameTxn(m, from, flen, ft.kind == FS_DIR, to, tlen,
                         to_dir_empty);
    }
    if (rv == 0) {
        pthread_mutex_lock(&m->mu);
        inodeRename(&m->inodes, from, flen, to, tlen, ft.kind == FS_DIR);
        pthread_mutex_unlock(&m->mu);
    }
    targetClear(&ft);
    fuse_reply_err(req, rv);
}

/* ---- files ---- */

static struct fs_handle *handleNew(const char *rel, size_t len, uint64_t ino)
{
    struct fs_handle *h = calloc(1, sizeof *h);
    if (h != NULL) {
        memcpy(h->rel, rel, len);
        h->rel[len] = '\0';
        h->rel_len = len;
        h->ino = ino;
    }
    return h;
}

static int handleReserve(struct mount *m, struct fs_handle *h, size_t need)
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

/* Commits a dirty handle as one put. Returns 0 or an errno. */
static int handleCommit(struct mount *m, struct fs_handle *h)
{
    char key[MOUNT_REL_MAX + 1200];
    struct command cmd;
    struct mount_result res;
    int n;
    int rv;
    if (h->failed) {
        return EFBIG; /* a write was refused: never commit a partial value */
    }
    if (!h->dirty || h->replay) {
        return 0;
    }
    n = mountKey(m, h->rel, h->rel_len, false, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.value = h->buf != NULL ? h->buf : "";
    cmd.put.value_len = h->len;
    cmd.put.lease = h->lease;
    cmd.put.attr = h->attr;
    if (!h->exists) {
        /* a local create: setattr may have changed its metadata */
        pthread_mutex_lock(&m->mu);
        {
            struct pending_create *p = pendingFind(m, h->rel, h->rel_len);
            if (p != NULL) {
                cmd.put.attr = p->attr;
                h->mtime_set = h->mtime_set || p->mtime_set;
            }
        }
        pthread_mutex_unlock(&m->mu);
    }
    if (cmd.put.attr.mode == 0) {
        cmd.put.attr.mode = FS__DEFAULT_FILE_MODE;
    }
    if (!h->mtime_set) {
        cmd.put.attr.mtime_ns = nowNs();
    }
    memset(&res, 0, sizeof res);
    rv = mountOpPropose(m, &cmd, &res);
    if (rv == ETCFS_LEASE_NOTFOUND) {
        /* the lease expired while the file was open: keep the data */
        cmd.put.lease = 0;
        rv = mountOpPropose(m, &cmd, &res);
    }
    if (rv == ETCFS_TOO_LARGE) {
        return EFBIG;
    }
    if (rv == ETCFS_NOLEADER || rv == ETCFS_NOTLEADER) {
        return EROFS;
    }
    if (rv != 0) {
        return etcfsErrno(rv);
    }
    h->dirty = false;
    h->exists = true;
    pendingRemove(m, h->rel, h->rel_len);
    pthread_mutex_lock(&m->mu);
    {
        struct inode *in = inodeFind(&m->inodes, h->ino);
        if (in != NULL) {
            in->cached_rev = res.revision;
        }
    }
    pthread_mutex_unlock(&m->mu);
    /* Attributes replied while the value was uncommitted (a utimensat or
     * chmod by path replies the stored size) must not outlive the commit.
     * Attributes only: no page lock, safe inside flush. */
    (void)fuse_lowlevel_notify_inval_inode(m->se, h->ino, -1, 0);
    return 0;
}

static void fsOpen(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool dir;
    bool replay = mountIsReplay(m, req);
    bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    struct fs_target t;
    struct fs_handle *h;
    int rv = fsRelOf(m, ino, rel, &len, &dir);
    if (rv != 0 || dir) {
        fuse_reply_err(req, rv != 0 ? rv : EISDIR);
        return;
    }
    if (writing && !canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    if (!replay) {
        rv = mountOpReadGate(m);
        if (rv != 0 && !writing) {
            /* linearizable and no quorum to confirm with: EIO, not stale */
            fuse_reply_err(req, EIO);
            return;
        }
    }
    rv = fsResolve(m, rel, len, true, replay, true, &t);
    if (rv == 0 && (t.kind == FS_NONE || (t.ghost && !replay))) {
        rv = ENOENT; /* a ghost is deleted already: only its replay sees it */
    }
    if (rv != 0) {
        targetClear(&t);
        fuse_reply_err(req, rv);
        return;
    }
    h = handleNew(rel, len, ino);
    if (h == NULL) {
        targetClear(&t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    h->replay = replay;
    h->append = (fi->flags & O_APPEND) != 0;
    if (t.have_kv) {
        h->exists = true;
        h->lease = t.kv.lease;
        h->attr = t.kv.attr;
        if (handleReserve(m, h, t.kv.value_len + 1) == 0 &&
            t.kv.value_len > 0) {
            memcpy(h->buf, t.kv.value, t.kv.value_len);
            h->len = t.kv.value_len;
        }
    } else {
        h->attr = t.kv.attr; /* a pending local create */
        h->dirty = t.pending;
    }
    if ((fi->flags & O_TRUNC) != 0 && !replay) {
        if (h->len > 0) {
            h->dirty = true;
        }
        h->len = 0;
    }
    fi->keep_cache = 0;
    if (t.have_kv && (fi->flags & O_TRUNC) == 0) {
        pthread_mutex_lock(&m->mu);
        {
            struct inode *in = inodeFind(&m->inodes, ino);
            if (in != NULL) {
                if (in->cached_rev == t.kv.mod_revision) {
                    fi->keep_cache = 1; /* unchanged: the page cache holds it */
                }
                in->cached_rev = t.kv.mod_revision;
            }
        }
        pthread_mutex_unlock(&m->mu);
        if (!fi->keep_cache) {
            /* The value may be newer than the size the kernel cached (a
             * change applied, its replay still queued): a read must not
             * stop at the old size. Attributes only: no page lock, safe
             * in a handler. */
            (void)fuse_lowlevel_notify_inval_inode(m->se, ino, -1, 0);
        }
    }
    targetClear(&t);
    fi->fh = (uint64_t)(uintptr_t)h;
    if (!writing) {
        fi->noflush = 1; /* nothing to commit: spare close() a round trip */
    }
    fuse_reply_open(req, fi);
}

/* The replay thread's create of a remote entry: the change is applied
 * already, so make the name visible and resolve it. 0 or an errno. */
static int fsSurfaceReplay(struct mount *m, const char *rel, size_t len,
                           struct fs_target *t)
{
    int rv;
    (void)overlayTake(m, rel, len, false, false);
    rv = fsResolve(m, rel, len, true, true, false, t);
    if (rv == 0 && t->kind == FS_NONE) {
        rv = ENOENT;
    }
    if (rv != 0) {
        targetClear(t);
    }
    return rv;
}

static void fsCreate(fuse_req_t req, fuse_ino_t parent, const char *name,
                     mode_t mode, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct fs_handle *h;
    struct inode *in;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        /* a remote create surfacing: make it visible, propose nothing */
        rv = fsSurfaceReplay(m, rel, len, &t);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        h = handleNew(rel, len, 0);
        if (h == NULL) {
            targetClear(&t);
            fuse_reply_err(req, ENOMEM);
            return;
        }
        h->replay = true;
        fi->fh = (uint64_t)(uintptr_t)h;
        replyEntry(req, m, rel, len, &t, fi);
        targetClear(&t);
        return;
    }
    if (!S_ISREG(mode)) {
        fuse_reply_err(req, EPERM);
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    /* A remote create of this name waiting for its replay: this local
     * create raises the event itself, so the name is visible from now on
     * (the replay then finds it and does nothing). */
    (void)overlayTake(m, rel, len, false, false);
    rv = fsResolve(m, rel, len, shadowed, false, false, &t);
    if (rv == 0 && t.kind == FS_DIR) {
        rv = EISDIR;
    } else if (rv == 0 && t.kind == FS_FILE && (fi->flags & O_EXCL)) {
        rv = EEXIST;
    }
    if (rv != 0) {
        targetClear(&t);
        fuse_reply_err(req, rv);
        return;
    }
    h = handleNew(rel, len, 0);
    if (h == NULL) {
        targetClear(&t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    h->append = (fi->flags & O_APPEND) != 0;
    if (t.kind == FS_FILE && t.have_kv) {
        /* exists already (no O_EXCL): like open with the given flags */
        h->exists = true;
        h->lease = t.kv.lease;
        h->attr = t.kv.attr;
        if ((fi->flags & O_TRUNC) == 0) {
            struct fs_target full;
            if (fsResolve(m, rel, len, true, false, true, &full) == 0 &&
                full.have_kv && handleReserve(m, h, full.kv.value_len + 1) == 0 &&
                full.kv.value_len > 0) {
                memcpy(h->buf, full.kv.value, full.kv.value_len);
                h->len = full.kv.value_len;
            }
            targetClear(&full);
        } else if (t.kv.value_len > 0) {
            h->dirty = true;
        }
    } else {
        struct pending_create *p = calloc(1, sizeof *p);
        h->attr.mode = S_IFREG | (mode & 07777);
        h->attr.uid = fuse_req_ctx(req)->uid;
        h->attr.gid = fuse_req_ctx(req)->gid;
        h->attr.mtime_ns = nowNs();
        h->dirty = true; /* even empty: touch creates the key */
        if (p != NULL) {
            p->rel = malloc(len + 1);
            if (p->rel == NULL) {
                free(p);
                p = NULL;
            }
        }
        if (p == NULL) {
            free(h);
            targetClear(&t);
            fuse_reply_err(req, ENOMEM);
            return;
        }
        memcpy(p->rel, rel, len);
        p->rel[len] = '\0';
        p->rel_len = len;
        p->attr = h->attr;
        pthread_mutex_lock(&m->mu);
        p->next = m->creates;
        m->creates = p;
        pthread_mutex_unlock(&m->mu);
        t.kind = FS_FILE;
        t.pending = true;
        t.kv.attr = h->attr;
    }
    pthread_mutex_lock(&m->mu);
    in = inodeGet(&m->inodes, rel, len, false, false);
    h->ino = in != NULL ? in->ino : 0;
    pthread_mutex_unlock(&m->mu);
    fi->fh = (uint64_t)(uintptr_t)h;
    replyEntry(req, m, rel, len, &t, fi);
    targetClear(&t);
}

static void fsRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                   struct fuse_file_info *fi)
{
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    if (off < 0 || (size_t)off >= h->len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    if (size > h->len - (size_t)off) {
        size = h->len - (size_t)off;
    }
    /* The reply completes the READ inside writev(), and the kernel may
     * send RELEASE at once; another thread must not free the buffer
     * before writev() returned (fsRelease waits for 'readers'). */
    atomic_fetch_add(&h->readers, 1);
    fuse_reply_buf(req, h->buf + off, size);
    atomic_fetch_sub(&h->readers, 1);
}

static void fsWrite(fuse_req_t req, fuse_ino_t ino, const char *buf,
                    size_t size, off_t off, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    int rv;
    (void)ino;
    if (h->replay) {
        fuse_reply_write(req, size); /* replays carry no data */
        return;
    }
    if (h->append) {
        off = (off_t)h->len;
    }
    if (off < 0) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    rv = handleReserve(m, h, (size_t)off + size + 1);
    if (rv != 0) {
        h->failed = true;
        fuse_reply_err(req, rv);
        return;
    }
    if ((size_t)off > h->len) {
        memset(h->buf + h->len, 0, (size_t)off - h->len);
    }
    memcpy(h->buf + off, buf, size);
    if ((size_t)off + size > h->len) {
        h->len = (size_t)off + size;
    }
    h->dirty = true;
    h->written = true;
    h->mtime_set = false;
    fuse_reply_write(req, size);
}

static void fsFlush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    /* Every close() flushes, also the first close of a shell redirection
     * (after dup2, before any write): a `>` onto an existing file can
     * publish the truncated value first, as on a local filesystem. The
     * commit cannot wait for release: release is asynchronous to close(),
     * and a read after close() returned must see the write. */
    fuse_reply_err(req, handleCommit(m, h));
}

static void fsFsync(fuse_req_t req, fuse_ino_t ino, int datasync,
                    struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    (void)datasync;
    fuse_reply_err(req, handleCommit(m, h)); /* an explicit sync commits */
}

static void fsRelease(fuse_req_t req, fuse_ino_t ino,
                      struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h = (struct fs_handle *)(uintptr_t)fi->fh;
    (void)ino;
    if (h->dirty && !h->replay && !h->failed && handleCommit(m, h) != 0) {
        warnf("mount: %s: changes lost at release (flush failed)", h->rel);
    }
    if (!h->exists && !h->replay) {
        pendingRemove(m, h->rel, h->rel_len);
    }
    while (atomic_load(&h->readers) > 0) {
        sched_yield();
    }
    free(h->buf);
    free(h);
    fuse_reply_err(req, 0);
}

/* ---- attributes ---- */

static void fsSetattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
                      int to_set, struct fuse_file_info *fi)
{
    struct mount *m = fsMount(req);
    struct fs_handle *h =
        fi != NULL ? (struct fs_handle *)(uintptr_t)fi->fh : NULL;
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
    size_t len;
    bool dir;
    struct fs_target t;
    struct command cmd;
    struct store_attr na;
    bool meta = (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
                           FUSE_SET_ATTR_GID | FUSE_SET_ATTR_MTIME |
                           FUSE_SET_ATTR_MTIME_NOW)) != 0;
    int n;
    int rv = fsRelOf(m, ino, rel, &len, &dir);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req) || (h != NULL && h->replay)) {
        fsGetattr(req, ino, fi); /* replays only raise the event */
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = fsResolve(m, rel, len, !dir, false, true, &t);
    if (rv == 0 && t.kind == FS_NONE) {
        rv = ENOENT;
    }
    if (rv != 0) {
        targetClear(&t);
        fuse_reply_err(req, rv);
        return;
    }
    na = t.kv.attr;
    if (na.mode == 0) {
        na.mode = dir ? FS__DEFAULT_DIR_MODE : FS__DEFAULT_FILE_MODE;
    }
    if (to_set & FUSE_SET_ATTR_MODE) {
        na.mode = (na.mode & S_IFMT) | (attr->st_mode & 07777);
    }
    if (to_set & FUSE_SET_ATTR_UID) {
        na.uid = attr->st_uid;
    }
    if (to_set & FUSE_SET_ATTR_GID) {
        na.gid = attr->st_gid;
    }
    if (to_set & FUSE_SET_ATTR_MTIME) {
        na.mtime_ns = (int64_t)attr->st_mtim.tv_sec * 1000000000LL +
                      attr->st_mtim.tv_nsec;
    } else if (to_set & (FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_SIZE)) {
        na.mtime_ns = nowNs();
    }
    if (h != NULL && !dir) {
        /* an open file: size and metadata go with its next commit */
        if (to_set & FUSE_SET_ATTR_SIZE) {
            size_t sz = (size_t)attr->st_size;
            rv = handleReserve(m, h, sz + 1);
            if (rv == 0) {
                if (sz > h->len) {
                    memset(h->buf + h->len, 0, sz - h->len);
                }
                h->dirty = true;
                h->written = true;
                h->len = sz;
            }
        }
        if (rv == 0 && meta) {
            h->attr = na;
            h->dirty = true;
            h->written = true;
            h->mtime_set = (to_set & FUSE_SET_ATTR_MTIME) != 0;
            if (t.pending) {
                pthread_mutex_lock(&m->mu);
                {
                    struct pending_create *p = pendingFind(m, rel, len);
                    if (p != NULL) {
                        p->attr = na;
                    }
                }
                pthread_mutex_unlock(&m->mu);
            }
        }
        targetClear(&t);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        fsGetattr(req, ino, fi);
        return;
    }
    if (t.pending) {
        /* created here, not committed yet: its metadata goes with the
         * first commit (touch, chmod before the first close) */
        pthread_mutex_lock(&m->mu);
        {
            struct pending_create *p = pendingFind(m, rel, len);
            if (p != NULL) {
                p->attr = na;
                p->mtime_set = (to_set & FUSE_SET_ATTR_MTIME) != 0;
            }
        }
        pthread_mutex_unlock(&m->mu);
        targetClear(&t);
        fsGetattr(req, ino, fi);
        return;
    }
    n = mountKey(m, rel, len, dir, key, sizeof key);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.attr = na;
    cmd.put.lease = t.kv.lease;
    if (dir) {
        cmd.put.value = ""; /* the marker keeps the directory's metadata */
    } else if (to_set & FUSE_SET_ATTR_SIZE) {
        size_t sz = (size_t)attr->st_size;
        char *v;
        if (sz > m->max_value) {
            targetClear(&t);
            fuse_reply_err(req, EFBIG);
            return;
        }
        v = calloc(1, sz + 1);
        if (v == NULL) {
            targetClear(&t);
            fuse_reply_err(req, ENOMEM);
            return;
        }
        memcpy(v, t.kv.value, sz < t.kv.value_len ? sz : t.kv.value_len);
        cmd.put.value = v;
        cmd.put.value_len = sz;
        rv = fsPropose(m, &cmd, NULL);
        free(v);
        targetClear(&t);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        fsGetattr(req, ino, fi);
        return;
    } else {
        cmd.put.value = t.kv.value != NULL ? t.kv.value : "";
        cmd.put.value_len = t.kv.value_len;
    }
    rv = fsPropose(m, &cmd, NULL);
    targetClear(&t);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    fsGetattr(req, ino, fi);
}

/* ---- links, special files ---- */

static void fsSymlink(fuse_req_t req, const char *link, fuse_ino_t parent,
                      const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char key[MOUNT_REL_MAX + 1200];
    size_t len;
    bool shadowed = false;
    struct fs_target t;
    struct command cmd;
    int n;
    int rv = fsNewChildRel(m, parent, name, rel, &len, &shadowed);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    if (mountIsReplay(m, req)) {
        rv = fsSurfaceReplay(m, rel, len, &t);
        if (rv != 0) {
            fuse_reply_err(req, rv);
            return;
        }
        replyEntry(req, m, rel, len, &t, NULL);
        targetClear(&t);
        return;
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = fsResolve(m, rel, len, shadowed, false, false, &t);
    targetClear(&t);
    if (rv == 0 && t.kind != FS_NONE) {
        rv = EEXIST;
    }
    n = mountKey(m, rel, len, false, key, sizeof key);
    if (rv == 0 && n < 0) {
        rv = ENAMETOOLONG;
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.value = link;
    cmd.put.value_len = strlen(link);
    cmd.put.attr.mode = S_IFLNK | 0777;
    cmd.put.attr.uid = fuse_req_ctx(req)->uid;
    cmd.put.attr.gid = fuse_req_ctx(req)->gid;
    cmd.put.attr.mtime_ns = nowNs();
    rv = fsPropose(m, &cmd, NULL);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    rv = fsResolve(m, rel, len, true, true, false, &t);
    if (rv != 0 || t.kind == FS_NONE) {
        targetClear(&t);
        fuse_reply_err(req, rv != 0 ? rv : EIO);
        return;
    }
    replyEntry(req, m, rel, len, &t, NULL);
    targetClear(&t);
}

static void fsReadlink(fuse_req_t req, fuse_ino_t ino)
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
    rv = fsResolve(m, rel, len, true, true, true, &t);
    if (rv != 0 || !t.have_kv || !S_ISLNK(t.kv.attr.mode)) {
        targetClear(&t);
        fuse_reply_err(req, rv != 0 ? rv : EINVAL);
        return;
    }
    s = malloc(t.kv.value_len + 1);
    if (s == NULL) {
        targetClear(&t);
        fuse_reply_err(req, ENOMEM);
        return;
    }
    memcpy(s, t.kv.value, t.kv.value_len);
    s[t.kv.value_len] = '\0';
    targetClear(&t);
    fuse_reply_readlink(req, s);
    free(s);
}

static void fsLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
                   const char *newname)
{
    (void)ino;
    (void)newparent;
    (void)newname;
    fuse_reply_err(req, EPERM); /* one key has one name */
}

static void fsMknod(fuse_req_t req, fuse_ino_t parent, const char *name,
                    mode_t mode, dev_t rdev)
{
    (void)parent;
    (void)name;
    (void)mode;
    (void)rdev;
    fuse_reply_err(req, EPERM); /* no devices, FIFOs or sockets */
}

static void fsStatfs(fuse_req_t req, fuse_ino_t ino)
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

/* ---- extended attributes ---- */

static const char *const fsXattrs[] = {
    FS__XATTR_PREFIX "create_revision", FS__XATTR_PREFIX "mod_revision",
    FS__XATTR_PREFIX "version", FS__XATTR_PREFIX "lease",
    FS__XATTR_PREFIX "ttl"};

static void replyXattr(fuse_req_t req, size_t size, const char *v,
                       size_t len)
{
    if (size == 0) {
        fuse_reply_xattr(req, len);
    } else if (size < len) {
        fuse_reply_err(req, ERANGE);
    } else {
        fuse_reply_buf(req, v, len);
    }
}

/* The file's current kv (values not needed). 0 or an errno. */
static int xattrTarget(struct mount *m, fuse_ino_t ino, struct fs_target *t,
                       char *rel, size_t *len)
{
    bool dir;
    int rv = fsRelOf(m, ino, rel, len, &dir);
    if (rv != 0) {
        return rv;
    }
    if (dir) {
        return ENODATA;
    }
    rv = fsResolve(m, rel, *len, true, true, true, t);
    if (rv == 0 && !t->have_kv) {
        targetClear(t);
        rv = t->pending ? ENODATA : ENOENT;
    }
    return rv;
}

static void fsGetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                       size_t size)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    char v[64];
    int rv;
    if (strncmp(name, FS__XATTR_PREFIX, strlen(FS__XATTR_PREFIX)) != 0) {
        fuse_reply_err(req, ENODATA);
        return;
    }
    if (!mountIsReplay(m, req)) {
        (void)mountOpReadGate(m); /* revisions and leases are reads too */
    }
    rv = xattrTarget(m, ino, &t, rel, &len);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    name += strlen(FS__XATTR_PREFIX);
    if (strcmp(name, "create_revision") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.create_revision);
    } else if (strcmp(name, "mod_revision") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.mod_revision);
    } else if (strcmp(name, "version") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.version);
    } else if (strcmp(name, "lease") == 0 && t.kv.lease != 0) {
        snprintf(v, sizeof v, "%" PRIx64, (uint64_t)t.kv.lease);
    } else if (strcmp(name, "ttl") == 0 && t.kv.lease != 0) {
        struct mount_result res;
        memset(&res, 0, sizeof res);
        rv = mountOpLeaseTtl(m, t.kv.lease, &res);
        if (rv != 0) {
            targetClear(&t);
            fuse_reply_err(req, rv == ETCFS_LEASE_NOTFOUND ? ENODATA
                                                          : etcfsErrno(rv));
            return;
        }
        snprintf(v, sizeof v, "%" PRId64, res.ttl < 0 ? 0 : res.ttl);
    } else {
        targetClear(&t);
        fuse_reply_err(req, ENODATA);
        return;
    }
    targetClear(&t);
    replyXattr(req, size, v, strlen(v));
}

static void fsListxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    char list[256];
    size_t used = 0;
    unsigned i;
    int rv;
    if (!mountIsReplay(m, req)) {
        (void)mountOpReadGate(m);
    }
    rv = xattrTarget(m, ino, &t, rel, &len);
    if (rv == ENODATA) {
        replyXattr(req, size, "", 0);
        return;
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    for (i = 0; i < sizeof fsXattrs / sizeof fsXattrs[0]; i++) {
        if (i >= 3 && t.kv.lease == 0) {
            break; /* lease and ttl only while a lease is attached */
        }
        memcpy(list + used, fsXattrs[i], strlen(fsXattrs[i]) + 1);
        used += strlen(fsXattrs[i]) + 1;
    }
    targetClear(&t);
    replyXattr(req, size, list, used);
}

/* Re-puts the key's current value with a new lease (0 detaches). */
static int setLease(struct mount *m, const char *rel, size_t len,
                    struct fs_target *t, int64_t lease)
{
    char key[MOUNT_REL_MAX + 1200];
    struct command cmd;
    int n = mountKey(m, rel, len, false, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_PUT;
    cmd.put.key = key;
    cmd.put.key_len = (size_t)n;
    cmd.put.value = t->kv.value != NULL ? t->kv.value : "";
    cmd.put.value_len = t->kv.value_len;
    cmd.put.lease = lease;
    cmd.put.attr = t->kv.attr;
    {
        struct mount_result res;
        int rv = mountOpPropose(m, &cmd, &res);
        if (rv == ETCFS_LEASE_NOTFOUND) {
            return ENOENT;
        }
        if (rv == ETCFS_NOLEADER || rv == ETCFS_NOTLEADER) {
            return EROFS;
        }
        return rv == 0 ? 0 : etcfsErrno(rv);
    }
}

static void fsSetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                       const char *value, size_t size, int flags)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char v[64];
    char *end;
    size_t len;
    struct fs_target t;
    int rv;
    (void)flags;
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0);
        return;
    }
    if (strncmp(name, FS__XATTR_PREFIX, strlen(FS__XATTR_PREFIX)) != 0) {
        fuse_reply_err(req, ENOTSUP);
        return;
    }
    name += strlen(FS__XATTR_PREFIX);
    if (strcmp(name, "lease") != 0 && strcmp(name, "ttl") != 0) {
        fuse_reply_err(req, EPERM); /* revisions are read-only */
        return;
    }
    if (size == 0 || size >= sizeof v) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    memcpy(v, value, size);
    v[size] = '\0';
    if (v[size - 1] == '\n') {
        v[size - 1] = '\0';
    }
    if (!canWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = xattrTarget(m, ino, &t, rel, &len);
    if (rv != 0) {
        fuse_reply_err(req, rv == ENODATA ? EINVAL : rv);
        return;
    }
    errno = 0;
    if (strcmp(name, "lease") == 0) {
        unsigned long long id = strtoull(v, &end, 16);
        if (errno != 0 || *end != '\0' || v[0] == '\0' || v[0] == '-' ||
            id == 0 || id > INT64_MAX) {
            rv = EINVAL;
        } else {
            rv = setLease(m, rel, len, &t, (int64_t)id);
        }
    } else {
        long long ttl = strtoll(v, &end, 10);
        struct mount_result res;
        if (errno != 0 || *end != '\0' || v[0] == '\0' || ttl <= 0 ||
            ttl > 9000000000LL) {
            rv = EINVAL;
        } else {
            memset(&res, 0, sizeof res);
            rv = mountOpLeaseGrant(m, ttl, &res);
            rv = rv == 0 ? setLease(m, rel, len, &t, res.lease_id)
                         : (rv == ETCFS_NOLEADER ? EROFS : etcfsErrno(rv));
        }
    }
    targetClear(&t);
    fuse_reply_err(req, rv);
}

static void fsRemovexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    int rv;
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0);
        return;
    }
    if (strcmp(name, FS__XATTR_PREFIX "lease") != 0 &&
        strcmp(name, FS__XATTR_PREFIX "ttl") != 0) {
        fuse_reply_err(req, strncmp(name, FS__XATTR_PREFIX,
                                    strlen(FS__XATTR_PREFIX)) == 0
                                ? EPERM
                                : ENODATA);
        return;
    }
    memset(&t, 0, sizeof t);
    rv = xattrTarget(m, ino, &t, rel, &len);
    if (rv == 0) {
        rv = t.kv.lease == 0 ? ENODATA : setLease(m, rel, len, &t, 0);
        targetClear(&t);
    }
    fuse_reply_err(req, rv);
}

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
