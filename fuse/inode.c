/* The inode table of the mount: (relative path, kind) <-> inode number.
 * Numbers are the FNV-1a hash of kind + path (probed on a collision), so
 * they stay the same for a key across lookups and remounts. Entries live
 * while the kernel holds lookup references or a file is open. A deleted or
 * replaced inode becomes an orphan: out of the path index, still found by
 * number until the kernel forgets it. Callers hold mount.mu. */
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"

#define INODE__BUCKETS 4096

static uint64_t fnv(const char *p, size_t len, bool dir)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    h ^= dir ? 'd' : 'f';
    h *= 1099511628211ULL;
    for (i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int inodeTableInit(struct inode_table *t)
{
    t->nbuckets = INODE__BUCKETS;
    t->n = 0;
    t->by_ino = calloc(t->nbuckets, sizeof *t->by_ino);
    t->by_rel = calloc(t->nbuckets, sizeof *t->by_rel);
    if (t->by_ino == NULL || t->by_rel == NULL) {
        free(t->by_ino);
        free(t->by_rel);
        return -1;
    }
    return 0;
}

void inodeTableClose(struct inode_table *t)
{
    size_t i;
    for (i = 0; i < t->nbuckets; i++) {
        struct inode *e = t->by_ino[i];
        while (e != NULL) {
            struct inode *next = e->next_ino;
            free(e->rel);
            free(e);
            e = next;
        }
    }
    free(t->by_ino);
    free(t->by_rel);
}

struct inode *inodeFind(struct inode_table *t, uint64_t ino)
{
    struct inode *e = t->by_ino[ino % t->nbuckets];
    while (e != NULL && e->ino != ino) {
        e = e->next_ino;
    }
    return e;
}

struct inode *inodeFindRel(struct inode_table *t, const char *rel, size_t len,
                           bool dir)
{
    struct inode *e = t->by_rel[fnv(rel, len, dir) % t->nbuckets];
    while (e != NULL && !(e->dir == dir && e->rel_len == len &&
                          memcmp(e->rel, rel, len) == 0)) {
        e = e->next_rel;
    }
    return e;
}

/* The first number from 'from' on that is not the root's and not in use. */
static uint64_t inodeNumber(struct inode_table *t, uint64_t from)
{
    while (from <= FUSE_ROOT_ID || inodeFind(t, from) != NULL) {
        from++;
    }
    return from;
}

/* A new inode (rel, dir) numbered ino, in the by_ino index only; NULL on
 * out of memory. */
static struct inode *inodeAdd(struct inode_table *t, const char *rel,
                              size_t len, bool dir, uint64_t ino)
{
    struct inode *e = calloc(1, sizeof *e);
    if (e == NULL) {
        return NULL;
    }
    e->rel = mountMemDup(rel, len);
    if (e->rel == NULL) {
        free(e);
        return NULL;
    }
    e->rel_len = len;
    e->dir = dir;
    e->ino = ino;
    e->cached_rev = -1;
    e->next_ino = t->by_ino[ino % t->nbuckets];
    t->by_ino[ino % t->nbuckets] = e;
    t->n++;
    return e;
}

struct inode *inodeGet(struct inode_table *t, const char *rel, size_t len,
                       bool dir, bool ref)
{
    struct inode *e = inodeFindRel(t, rel, len, dir);
    if (e == NULL) {
        uint64_t ino = len == 0 && dir ? FUSE_ROOT_ID
                                       : inodeNumber(t, fnv(rel, len, dir));
        e = inodeAdd(t, rel, len, dir, ino);
        if (e == NULL) {
            return NULL;
        }
        e->next_rel = t->by_rel[fnv(rel, len, dir) % t->nbuckets];
        t->by_rel[fnv(rel, len, dir) % t->nbuckets] = e;
    }
    if (ref) {
        e->nlookup++;
    }
    return e;
}

static void unlinkRel(struct inode_table *t, struct inode *e)
{
    struct inode **pp;
    for (pp = &t->by_rel[fnv(e->rel, e->rel_len, e->dir) % t->nbuckets];
         *pp != NULL && *pp != e; pp = &(*pp)->next_rel) {
    }
    if (*pp == e) {
        *pp = e->next_rel;
    }
    e->next_rel = NULL;
}

void inodeOrphan(struct inode_table *t, struct inode *e)
{
    if (e->orphan || e->ino == FUSE_ROOT_ID) {
        return;
    }
    unlinkRel(t, e);
    e->orphan = true;
    inodeSetPending(t, e, false);
}

struct inode *inodeParentTouched(struct inode_table *t, const char *rel,
                                 size_t len, int64_t now_ns)
{
    struct inode *p;
    while (len > 0 && rel[len - 1] != '/') {
        len--;
    }
    p = inodeFindRel(t, rel, len > 0 ? len - 1 : 0, true);
    if (p != NULL) {
        p->dir_time_ns = now_ns;
    }
    return p;
}

void inodeSetPending(struct inode_table *t, struct inode *e, bool pending)
{
    if (e->pending != pending) {
        t->npending += pending ? 1 : (size_t)-1;
        e->pending = pending;
    }
}

struct inode *inodeNewOrphan(struct inode_table *t, const char *rel,
                             size_t len, bool dir, const struct stat *st)
{
    uint64_t ino = inodeNumber(t, fnv(rel, len, dir) ^ 0x5a5a5a5a5a5a5a5aULL);
    struct inode *e = inodeAdd(t, rel, len, dir, ino);
    if (e == NULL) {
        return NULL;
    }
    e->orphan = true;
    e->orphan_st = *st;
    e->orphan_st.st_ino = ino;
    e->nlookup = 1;
    return e;
}

void inodeForget(struct inode_table *t, uint64_t ino, uint64_t n)
{
    struct inode *e = inodeFind(t, ino);
    struct inode **pp;
    if (e == NULL || ino == FUSE_ROOT_ID) {
        return;
    }
    e->nlookup = n >= e->nlookup ? 0 : e->nlookup - n;
    if (e->nlookup > 0 || e->handles != NULL) {
        return;
    }
    for (pp = &t->by_ino[ino % t->nbuckets]; *pp != e; pp = &(*pp)->next_ino) {
    }
    *pp = e->next_ino;
    if (!e->orphan) {
        unlinkRel(t, e);
    }
    inodeSetPending(t, e, false);
    t->n--;
    free(e->rel);
    free(e);
}

struct inode *inodeFindOrphan(struct inode_table *t, const char *rel,
                              size_t len, bool dir)
{
    uint64_t ino = fnv(rel, len, dir);
    struct inode *e;
    /* the number the name was given, or the next ones probed after it */
    for (; ino > FUSE_ROOT_ID && (e = inodeFind(t, ino)) != NULL; ino++) {
        if (e->orphan && !e->replaced && e->dir == dir && e->rel_len == len &&
            memcmp(e->rel, rel, len) == 0) {
            return e;
        }
    }
    return NULL;
}

bool inodeDirSeen(struct inode_table *t, const char *rel, size_t len)
{
    struct inode *e;
    if (len == 0) {
        return true;
    }
    e = inodeFindRel(t, rel, len, true);
    if (e == NULL) {
        /* deleted by the change being replayed: a watch may still hold it */
        e = inodeFindOrphan(t, rel, len, true);
    }
    return e != NULL && e->seen && e->nlookup > 0;
}

void inodeDropCaches(struct inode_table *t)
{
    size_t i;
    for (i = 0; i < t->nbuckets; i++) {
        struct inode *e;
        for (e = t->by_ino[i]; e != NULL; e = e->next_ino) {
            e->cached_rev = -1;
        }
    }
}

/* Moves e to a new path in the by_rel index (by_ino is unchanged). */
static int inodeRekey(struct inode_table *t, struct inode *e, const char *rel,
                      size_t len)
{
    char *nrel = mountMemDup(rel, len);
    if (nrel == NULL) {
        return -1;
    }
    unlinkRel(t, e);
    free(e->rel);
    e->rel = nrel;
    e->rel_len = len;
    e->next_rel = t->by_rel[fnv(rel, len, e->dir) % t->nbuckets];
    t->by_rel[fnv(rel, len, e->dir) % t->nbuckets] = e;
    return 0;
}

void inodeRename(struct inode_table *t, const char *from, size_t flen,
                 const char *to, size_t tlen, bool dir)
{
    struct inode *src = inodeFindRel(t, from, flen, dir);
    struct inode *old = inodeFindRel(t, to, tlen, dir);
    size_t i;
    if (old != NULL && old != src) {
        /* the replaced inode: open descriptors keep their data, lookups of
         * the name now find src */
        inodeOrphan(t, old);
        old->replaced = true;
    }
    if (src != NULL) {
        (void)inodeRekey(t, src, to, tlen);
    }
    if (!dir) {
        return;
    }
    /* everything under the directory moves with it; what was under the
     * replaced (empty) target is gone already */
    for (i = 0; i < t->nbuckets; i++) {
        struct inode *e = t->by_ino[i];
        for (; e != NULL; e = e->next_ino) {
            char *nrel;
            size_t nlen;
            if (e->orphan || e->rel_len <= flen || e->rel[flen] != '/' ||
                memcmp(e->rel, from, flen) != 0) {
                continue;
            }
            nlen = tlen + (e->rel_len - flen);
            nrel = malloc(nlen + 1);
            if (nrel == NULL) {
                continue;
            }
            memcpy(nrel, to, tlen);
            memcpy(nrel + tlen, e->rel + flen, e->rel_len - flen);
            (void)inodeRekey(t, e, nrel, nlen);
            free(nrel);
        }
    }
}
