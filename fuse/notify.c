/* The notifier thread: kernel cache invalidations for a local-consistency
 * mount. fuse_lowlevel_notify_inval_* write to /dev/fuse and may wait for
 * the kernel's inode and page locks, which a FUSE request in progress can
 * hold; so neither the loop nor a handler calls them for an applied change:
 * they queue here, and this thread, which holds nothing, makes the calls. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "../src/lib/log.h"
#include "mount_internal.h"

#define NOTIFY__MAX_QUEUED 65536 /* beyond: the kernel caches expire anyway */

struct notify_item
{
    uint64_t ino;
    size_t name_len;
    struct notify_item *next;
    char name[];
};

void notifyInval(struct mount *m, uint64_t ino, const char *name,
                 size_t name_len)
{
    struct notify_item *it;
    if (!m->notify_started) {
        return;
    }
    it = malloc(sizeof *it + name_len + 1);
    if (it == NULL) {
        return;
    }
    it->ino = ino;
    it->name_len = name_len;
    it->next = NULL;
    if (name_len > 0) {
        memcpy(it->name, name, name_len);
    }
    it->name[name_len] = '\0';
    pthread_mutex_lock(&m->nq_mu);
    if (m->nq_len >= NOTIFY__MAX_QUEUED) {
        pthread_mutex_unlock(&m->nq_mu);
        free(it);
        return;
    }
    m->nq_len++;
    if (m->nq_tail != NULL) {
        m->nq_tail->next = it;
    } else {
        m->nq_head = it;
    }
    m->nq_tail = it;
    pthread_cond_signal(&m->nq_cond);
    pthread_mutex_unlock(&m->nq_mu);
}

static void *notifyMain(void *arg)
{
    struct mount *m = arg;
    for (;;) {
        struct notify_item *it;
        pthread_mutex_lock(&m->nq_mu);
        while (m->nq_head == NULL && !m->nq_stop) {
            pthread_cond_wait(&m->nq_cond, &m->nq_mu);
        }
        if (m->nq_stop) {
            pthread_mutex_unlock(&m->nq_mu);
            break;
        }
        it = m->nq_head;
        m->nq_head = it->next;
        if (m->nq_head == NULL) {
            m->nq_tail = NULL;
        }
        m->nq_len--;
        pthread_mutex_unlock(&m->nq_mu);
        if (it->name_len > 0) {
            (void)fuse_lowlevel_notify_inval_entry(m->se, it->ino, it->name,
                                                   it->name_len);
        } else {
            /* attributes and cached pages */
            (void)fuse_lowlevel_notify_inval_inode(m->se, it->ino, 0, 0);
        }
        free(it);
    }
    return NULL;
}

int notifyStart(struct mount *m, char *errmsg)
{
    int rv;
    pthread_mutex_init(&m->nq_mu, NULL);
    pthread_cond_init(&m->nq_cond, NULL);
    rv = pthread_create(&m->notify_thread, NULL, notifyMain, m);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "notifier thread: %s", strerror(rv));
        return ETCFS_IO;
    }
    m->notify_started = true;
    return 0;
}

void notifyStop(struct mount *m)
{
    struct notify_item *it;
    if (!m->notify_started) {
        return;
    }
    pthread_mutex_lock(&m->nq_mu);
    m->nq_stop = true;
    pthread_cond_signal(&m->nq_cond);
    pthread_mutex_unlock(&m->nq_mu);
    pthread_join(m->notify_thread, NULL);
    m->notify_started = false;
    while ((it = m->nq_head) != NULL) {
        m->nq_head = it->next;
        free(it);
    }
    m->nq_tail = NULL;
}
