/* The inode table of the mount: (relative path, kind) <-> inode number.
 * Numbers are the FNV-1a hash of kind + path (probed on a collision), so
 * they stay the same for a key across lookups and remounts. Entries live
 * while the kernel holds lookup references. Callers hold mount.mu. */
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

struct inode *inodeGet(struct inode_table *t, const char *rel, size_t len,
                       bool dir, bool ref)
{
    struct inode *e = inodeFindRel(t, rel, len, dir);
    uint64_t ino;
    if (e == NULL) {
        if (len == 0 && dir) {
            ino = FUSE_ROOT_ID;
        } else {
            ino = fnv(rel, len, dir);
            while (ino <= FUSE_ROOT_ID || inodeFind(t, ino) != NULL) {
                ino++;
            }
        }
        e = calloc(1, sizeof *e);
        if (e == NULL) {
            return NULL;
        }
        e->rel = malloc(len + 1);
        if (e->rel == NULL) {
            free(e);
            return NULL;
        }
        memcpy(e->rel, rel, len);
        e->rel[len] = '\0';
        e->rel_len = len;
        e->dir = dir;
        e->ino = ino;
        e->cached_rev = -1;
        e->next_ino = t->by_ino[ino % t->nbuckets];
        t->by_ino[ino % t->nbuckets] = e;
        e->next_rel = t->by_rel[fnv(rel, len, dir) % t->nbuckets];
        t->by_rel[fnv(rel, len, dir) % t->nbuckets] = e;
        t->n++;
    }
    if (ref) {
        e->nlookup++;
    }
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
    if (e->nlookup > 0) {
        return;
    }
    for (pp = &t->by_ino[ino % t->nbuckets]; *pp != e; pp = &(*pp)->next_ino) {
    }
    *pp = e->next_ino;
    for (pp = &t->by_rel[fnv(e->rel, e->rel_len, e->dir) % t->nbuckets];
         *pp != e; pp = &(*pp)->next_rel) {
    }
    *pp = e->next_rel;
    t->n--;
    free(e->rel);
    free(e);
}
