/* "Is there any key under directory rel?" remembered between changes.
 *
 * Every lookup, getattr and replayed path walk asks it (mountDirExists).
 * The store answers with a range of one key, which LevelDB serves by
 * stepping over every tombstone in the span: after rm -r of a directory
 * of thousands of keys, until LevelDB happens to compact that span (it
 * never does for its bottom level on its own), each question about that
 * directory walked all of them, and replaying the deletes became
 * quadratic. So answers are kept:
 *   - a FUSE thread that asked the store inserts the answer, unless a
 *     change was applied meanwhile (a global generation, bumped by the
 *     apply hook: the answer may predate the change);
 *   - the apply hook (loop thread) marks every parent of a created key as
 *     existing and forgets every parent of a deleted key (the next question
 *     asks the store once);
 *   - a snapshot restore forgets everything.
 * Bounded: a full table is emptied. Any thread; `mu` is held only for
 * table operations, never across a store read. */
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"
#include "../src/core/metrics.h"
#include "../src/lib/hash.h"

#define DIRCACHE__BUCKETS 4096
#define DIRCACHE__MAX 65536

struct dircache_entry
{
    struct dircache_entry *next;
    size_t len;
    bool exists;
    char rel[];
};

static size_t bucketOf(const char *rel, size_t len)
{
    return (size_t)(hashBytes(rel, len) % DIRCACHE__BUCKETS);
}

int dirCacheInit(struct dircache *c)
{
    memset(c, 0, sizeof *c);
    c->buckets = calloc(DIRCACHE__BUCKETS, sizeof *c->buckets);
    if (c->buckets == NULL) {
        return -1;
    }
    pthread_mutex_init(&c->mu, NULL);
    return 0;
}

static void clearLocked(struct dircache *c)
{
    size_t i;
    for (i = 0; i < DIRCACHE__BUCKETS; i++) {
        struct dircache_entry *e = c->buckets[i];
        while (e != NULL) {
            struct dircache_entry *next = e->next;
            free(e);
            e = next;
        }
        c->buckets[i] = NULL;
    }
    c->n = 0;
}

void dirCacheClose(struct dircache *c)
{
    if (c->buckets == NULL) {
        return;
    }
    clearLocked(c);
    free(c->buckets);
    c->buckets = NULL;
    pthread_mutex_destroy(&c->mu);
}

static struct dircache_entry **findLocked(struct dircache *c, const char *rel,
                                          size_t len)
{
    struct dircache_entry **pp = &c->buckets[bucketOf(rel, len)];
    while (*pp != NULL &&
           !((*pp)->len == len && memcmp((*pp)->rel, rel, len) == 0)) {
        pp = &(*pp)->next;
    }
    return pp;
}

static void setLocked(struct dircache *c, const char *rel, size_t len,
                      bool exists)
{
    struct dircache_entry **pp = findLocked(c, rel, len);
    struct dircache_entry *e;
    if (*pp != NULL) {
        (*pp)->exists = exists;
        return;
    }
    if (c->n >= DIRCACHE__MAX) {
        clearLocked(c);
        pp = findLocked(c, rel, len);
    }
    e = malloc(sizeof *e + len);
    if (e == NULL) {
        return; /* not remembered: the store answers next time */
    }
    e->next = NULL;
    e->len = len;
    e->exists = exists;
    memcpy(e->rel, rel, len);
    *pp = e;
    c->n++;
}

static void forgetLocked(struct dircache *c, const char *rel, size_t len)
{
    struct dircache_entry **pp = findLocked(c, rel, len);
    struct dircache_entry *e = *pp;
    if (e != NULL) {
        *pp = e->next;
        free(e);
        c->n--;
    }
}

int dirCacheGet(struct dircache *c, const char *rel, size_t len,
                uint64_t *gen)
{
    struct dircache_entry *e;
    size_t i;
    int rv;
    pthread_mutex_lock(&c->mu);
    e = *findLocked(c, rel, len);
    rv = e == NULL ? -1 : e->exists ? 1 : 0;
    /* no directory lies under one known not to exist: inside a deleted
     * tree every question is answered without a walk over tombstones */
    for (i = 0; rv < 0 && i < len; i++) {
        if (rel[i] == '/') {
            e = *findLocked(c, rel, i);
            if (e != NULL && !e->exists) {
                rv = 0;
            }
        }
    }
    *gen = c->gen;
    pthread_mutex_unlock(&c->mu);
    if (c->metrics != NULL) {
        atomic_fetch_add(rv < 0 ? &c->metrics->dircache_misses
                                : &c->metrics->dircache_hits,
                         1);
    }
    return rv;
}

void dirCachePut(struct dircache *c, const char *rel, size_t len,
                 bool exists, uint64_t gen)
{
    pthread_mutex_lock(&c->mu);
    if (c->gen == gen) {
        setLocked(c, rel, len, exists);
    }
    pthread_mutex_unlock(&c->mu);
}

/* Every proper parent directory of key rel (a directory marker's rel is the
 * directory itself, which the marker keeps in existence too). */
void dirCacheApplied(struct dircache *c, const char *rel, size_t len,
                     bool created)
{
    size_t i;
    pthread_mutex_lock(&c->mu);
    c->gen++;
    for (i = 0; i < len; i++) {
        if (rel[i] != '/') {
            continue;
        }
        if (created) {
            setLocked(c, rel, i, true);
        } else {
            forgetLocked(c, rel, i);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

void dirCacheReset(struct dircache *c)
{
    pthread_mutex_lock(&c->mu);
    c->gen++;
    clearLocked(c);
    pthread_mutex_unlock(&c->mu);
}
