/* The apply hook (loop thread): every change applied on this member, from
 * any origin, updates the inode table at once, so the next request sees
 * it: a deleted file's inode becomes an orphan (its open descriptors keep
 * working, lookups of the name find the store's truth), a rename moves the
 * inode (and everything under a directory), a directory records the time
 * its entries changed. On a local-consistency mount, whose kernel caches
 * names and attributes, the notifier then drops what the change made stale
 * (a linearizable mount replies with timeout 0: there is nothing cached).
 * Another origin's changes are also queued for the replay (events.c). */
#include <stdlib.h>
#include <string.h>

#include "mount_internal.h"
#include "path.h"

#define APPLIED__MAX_NOTES 64 /* more: every known inode is stale anyway */

struct note
{
    uint64_t ino;
    char name[PATH_NAME_MAX + 1];
    size_t name_len; /* 0: the inode itself */
};

struct notes
{
    struct note v[APPLIED__MAX_NOTES];
    size_t n;
    bool overflow;
};

static size_t parentLen(const char *rel, size_t len)
{
    size_t i = len;
    while (i > 0 && rel[i - 1] != '/') {
        i--;
    }
    return i > 0 ? i - 1 : 0;
}

/* An entry of the kernel's: the dentry rel in its parent (mu held). */
static void noteEntry(struct mount *m, struct notes *ns, const char *rel,
                      size_t len)
{
    size_t plen = parentLen(rel, len);
    size_t start = plen > 0 ? plen + 1 : 0;
    struct inode *p = inodeFindRel(&m->inodes, rel, plen, true);
    struct note *n;
    int k;
    if (p == NULL || p->nlookup == 0) {
        return; /* the kernel holds no dentry under it */
    }
    if (ns->n == APPLIED__MAX_NOTES) {
        ns->overflow = true;
        return;
    }
    n = &ns->v[ns->n];
    k = pathEscapeSegment(rel + start, len - start, false, n->name,
                          sizeof n->name);
    if (k > 0) {
        n->ino = p->ino;
        n->name_len = (size_t)k;
        ns->n++;
    }
}

static void noteInode(struct notes *ns, const struct inode *e)
{
    if (e == NULL || e->nlookup == 0) {
        return;
    }
    if (ns->n == APPLIED__MAX_NOTES) {
        ns->overflow = true;
        return;
    }
    ns->v[ns->n].ino = e->ino;
    ns->v[ns->n].name_len = 0;
    ns->n++;
}

/* Directory rel had an entry created, removed or renamed. */
static void dirChanged(struct mount *m, struct notes *ns, const char *rel,
                       size_t len, int64_t now, bool own)
{
    struct inode *d = inodeFindRel(&m->inodes, rel, len, true);
    if (d != NULL) {
        d->dir_time_ns = now;
        if (!own) {
            noteInode(ns, d); /* the kernel's own ops drop it themselves */
        }
    }
}

static bool putLater(const struct store_events *events, size_t i,
                     bool any_put)
{
    const struct store_event *ev = &events->events[i];
    size_t j;
    if (!any_put) {
        return false; /* a deleterange: no pairs to look for */
    }
    for (j = i + 1; j < events->n_events; j++) {
        const struct store_event *pe = &events->events[j];
        if (pe->type == STORE_EVENT_PUT && pe->kv.key_len == ev->kv.key_len &&
            memcmp(pe->kv.key, ev->kv.key, ev->kv.key_len) == 0) {
            return true;
        }
    }
    return false;
}

/* Orphans the inode of a deleted name and, going up, of every directory
 * the deletion left without keys. */
static void deleted(struct mount *m, struct dir_memo *dm, struct notes *ns,
                    const char *rel, size_t len, bool dir,
                    const struct store_event *ev, int64_t now, bool own)
{
    for (;;) {
        struct inode *e = inodeFindRel(&m->inodes, rel, len, dir);
        size_t plen;
        if (dir && dirMemoExists(m, dm, rel, len, 0)) {
            return;
        }
        if (e != NULL) {
            if (ev != NULL && ev->has_prev && !dir) {
                mountStatFile(m, e->ino, &ev->prev_kv, &e->orphan_st);
            } else if (dir) {
                mountStatDir(m, e->ino, ev != NULL && ev->has_prev
                                            ? &ev->prev_kv
                                            : NULL,
                             &e->orphan_st);
            } else {
                mountStatFile(m, e->ino, &(struct store_kv){0},
                              &e->orphan_st);
            }
            if (!own || dir) {
                noteEntry(m, ns, rel, len);
            }
            inodeOrphan(&m->inodes, e);
        }
        plen = parentLen(rel, len);
        dirChanged(m, ns, rel, plen, now, own);
        if (len == 0 || plen == 0) {
            return;
        }
        len = plen;
        dir = true;
        ev = NULL;
    }
}

static void appliedEvent(struct mount *m, struct dir_memo *dm,
                         struct notes *ns, const struct store_events *events,
                         size_t i, bool any_put, int64_t now, bool own)
{
    const struct store_event *ev = &events->events[i];
    const char *rel;
    size_t len;
    size_t k;
    bool dir = false;
    if (ev->kv.key_len < m->prefix_len ||
        memcmp(ev->kv.key, m->prefix, m->prefix_len) != 0) {
        return;
    }
    rel = ev->kv.key + m->prefix_len;
    len = ev->kv.key_len - m->prefix_len;
    if (len > 0 && rel[len - 1] == '/') {
        dir = true;
        len--;
    }
    if (len == 0 || len >= MOUNT_REL_MAX) {
        return;
    }
    if (ev->type == STORE_EVENT_DELETE) {
        if (!putLater(events, i, any_put)) {
            deleted(m, dm, ns, rel, len, dir, ev, now, own);
        }
        return;
    }
    if (!dir) {
        struct inode *e = inodeFindRel(&m->inodes, rel, len, false);
        if (e != NULL && !own) {
            e->cached_rev = -1;
            noteInode(ns, e);
        }
    }
    if (!ev->has_prev) {
        dirChanged(m, ns, rel, parentLen(rel, len), now, own);
    }
    if (own) {
        return;
    }
    /* A file that gained children is a directory now (its value shows as
     * "name%"): the kernel's dentry of the file must go. */
    for (k = 0; k < len; k++) {
        if (rel[k] == '/' && inodeFindRel(&m->inodes, rel, k, false) != NULL) {
            noteEntry(m, ns, rel, k);
        }
    }
}

static void appliedRename(struct mount *m, struct dir_memo *dm,
                          struct notes *ns,
                          const struct store_events *events,
                          const struct mount_rename *r, int64_t now, bool own)
{
    struct inode *old = inodeFindRel(&m->inodes, r->to, r->to_len, r->dir);
    size_t i;
    if (old != NULL) {
        for (i = 0; i < events->n_events; i++) {
            const struct store_event *ev = &events->events[i];
            if (ev->type == STORE_EVENT_PUT && ev->has_prev &&
                ev->kv.key_len == m->prefix_len + r->to_len &&
                memcmp(ev->kv.key + m->prefix_len, r->to, r->to_len) == 0) {
                mountStatFile(m, old->ino, &ev->prev_kv, &old->orphan_st);
            }
        }
    }
    if (!own) {
        noteEntry(m, ns, r->from, r->from_len);
        noteEntry(m, ns, r->to, r->to_len);
    }
    inodeRename(&m->inodes, r->from, r->from_len, r->to, r->to_len, r->dir);
    dirChanged(m, ns, r->from, parentLen(r->from, r->from_len), now, own);
    dirChanged(m, ns, r->to, parentLen(r->to, r->to_len), now, own);
    /* parents the move emptied */
    deleted(m, dm, ns, r->from, parentLen(r->from, r->from_len), true, NULL,
            now, own);
}

void mountApplied(struct mount *m, const struct command *cmd,
                  const struct command_result *res,
                  const struct store_events *events)
{
    struct notes notes; /* 17 KiB on the loop's stack: a heap block that
                         * size per command cost malloc's consolidation */
    struct notes *ns = &notes;
    struct dir_memo dm;
    struct mount_rename r;
    bool rename;
    bool any_put = false;
    bool own;
    int64_t now;
    size_t i;
    if (m->closing) {
        return;
    }
    if (cmd == NULL) {
        /* a snapshot restore: everything may have changed */
        dirCacheReset(&m->dirs);
        pthread_mutex_lock(&m->mu);
        inodeDropCaches(&m->inodes);
        pthread_mutex_unlock(&m->mu);
        return;
    }
    if (res == NULL || res->status != 0 || events == NULL ||
        events->n_events == 0) {
        return;
    }
    for (i = 0; i < events->n_events; i++) {
        const struct store_event *ev = &events->events[i];
        if (ev->kv.key_len > m->prefix_len &&
            memcmp(ev->kv.key, m->prefix, m->prefix_len) == 0 &&
            (ev->type == STORE_EVENT_DELETE || !ev->has_prev)) {
            dirCacheApplied(&m->dirs, ev->kv.key + m->prefix_len,
                            ev->kv.key_len - m->prefix_len,
                            ev->type != STORE_EVENT_DELETE);
        }
    }
    ns->n = 0;
    ns->overflow = false;
    own = cmd->origin == m->origin;
    rename = eventsRename(m, cmd, events, &r);
    now = mountNowNs();
    for (i = 0; i < events->n_events && !any_put; i++) {
        any_put = events->events[i].type == STORE_EVENT_PUT;
    }
    dirMemoInit(&dm);
    pthread_mutex_lock(&m->mu);
    if (rename) {
        appliedRename(m, &dm, ns, events, &r, now, own);
    } else {
        for (i = 0; i < events->n_events; i++) {
            appliedEvent(m, &dm, ns, events, i, any_put, now, own);
        }
    }
    pthread_mutex_unlock(&m->mu);
    if (m->cache_timeout > 0) {
        for (i = 0; i < ns->n; i++) {
            notifyInval(m, ns->v[i].ino,
                        ns->v[i].name_len > 0 ? ns->v[i].name : NULL,
                        ns->v[i].name_len);
        }
    }
    if (!own && m->replay_started) {
        eventsEnqueue(m, &dm, cmd, events, res->revision, rename ? &r : NULL);
    }
    dirMemoClear(&dm);
}
