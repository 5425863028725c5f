/* "Is there any key under directory rel?", asked once per directory while
 * one applied command is turned into inode updates and replay items (loop
 * thread, applied.c and events.c).
 *
 * A command can touch thousands of keys of one directory (a txn of puts, a
 * deleterange, rm -r through the API), and each key asks about its parents.
 * Asking the store each time made a 5,000-key deleterange quadratic: right
 * after it, every "anything under burst/?" walks LevelDB's 5,000 fresh
 * tombstones before it finds nothing, and the loop stopped for minutes.
 * Within one command the answers cannot change (the store is at that
 * command's revision until the hook returns), so each is asked once. The
 * same table remembers which directories a command already queued a mkdir
 * or an rmdir for. */
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"

#define DIRMEMO__MIN 64

static uint64_t memoHash(const char *rel, size_t len, int64_t rev, int kind)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t i;
    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char)rel[i]) * 1099511628211ULL;
    }
    h = (h ^ (uint64_t)rev) * 1099511628211ULL;
    return (h ^ (uint64_t)kind) * 1099511628211ULL;
}

void dirMemoInit(struct dir_memo *dm)
{
    memset(dm, 0, sizeof *dm);
}

void dirMemoClear(struct dir_memo *dm)
{
    size_t i;
    for (i = 0; i < dm->cap; i++) {
        free(dm->v[i].rel);
    }
    free(dm->v);
    memset(dm, 0, sizeof *dm);
}

static struct dir_memo_entry *memoSlot(struct dir_memo *dm, const char *rel,
                                       size_t len, int64_t rev, int kind)
{
    size_t i;
    if (dm->cap == 0) {
        return NULL;
    }
    i = (size_t)(memoHash(rel, len, rev, kind) & (dm->cap - 1));
    for (;;) {
        struct dir_memo_entry *e = &dm->v[i];
        if (e->rel == NULL ||
            (e->kind == kind && e->rev == rev && e->len == len &&
             memcmp(e->rel, rel, len) == 0)) {
            return e;
        }
        i = (i + 1) & (dm->cap - 1);
    }
}

static int memoGrow(struct dir_memo *dm)
{
    struct dir_memo old = *dm;
    size_t cap = dm->cap == 0 ? DIRMEMO__MIN : dm->cap * 2;
    size_t i;
    dm->v = calloc(cap, sizeof *dm->v);
    if (dm->v == NULL) {
        *dm = old;
        return -1;
    }
    dm->cap = cap;
    for (i = 0; i < old.cap; i++) {
        struct dir_memo_entry *e = &old.v[i];
        if (e->rel != NULL) {
            *memoSlot(dm, e->rel, e->len, e->rev, e->kind) = *e;
        }
    }
    free(old.v);
    return 0;
}

/* The entry for (rel, rev, kind), added when missing (*added set); NULL
 * when out of memory. */
static struct dir_memo_entry *memoGet(struct dir_memo *dm, const char *rel,
                                      size_t len, int64_t rev, int kind,
                                      bool *added)
{
    struct dir_memo_entry *e;
    *added = false;
    if ((dm->n + 1) * 2 > dm->cap && memoGrow(dm) != 0) {
        return NULL;
    }
    e = memoSlot(dm, rel, len, rev, kind);
    if (e->rel == NULL) {
        e->rel = mountMemDup(rel, len);
        if (e->rel == NULL) {
            return NULL;
        }
        e->len = len;
        e->rev = rev;
        e->kind = kind;
        e->value = false;
        dm->n++;
        *added = true;
    }
    return e;
}

/* Whether any key existed under directory rel at revision rev (0: now). A
 * revision compacted away, or a failed read, counts as "existed": the
 * replay then raises no create or delete for it. */
static bool dirExisted(struct mount *m, const char *rel, size_t len,
                       int64_t rev)
{
    char key[MOUNT_KEY_MAX];
    struct store_range_resp resp;
    bool found;
    int n;
    if (rev == 0) {
        return mountDirExists(m, rel, len);
    }
    if (len == 0) {
        return true;
    }
    n = mountKey(m, rel, len, true, key, sizeof key);
    if (n <= 0 || mountPrefixRange(m, key, (size_t)n, 1, rev, &resp) != 0) {
        return true;
    }
    found = resp.n_kvs > 0;
    storeRangeRespClear(&resp);
    return found;
}

bool dirMemoExists(struct mount *m, struct dir_memo *dm, const char *rel,
                   size_t len, int64_t rev)
{
    bool added;
    struct dir_memo_entry *e =
        memoGet(dm, rel, len, rev, DIRMEMO_EXISTS, &added);
    if (e == NULL) {
        return dirExisted(m, rel, len, rev);
    }
    if (added) {
        e->value = dirExisted(m, rel, len, rev);
    }
    return e->value;
}

bool dirMemoFirst(struct dir_memo *dm, int kind, const char *rel, size_t len)
{
    bool added;
    struct dir_memo_entry *e = memoGet(dm, rel, len, 0, kind, &added);
    return e == NULL || added;
}
