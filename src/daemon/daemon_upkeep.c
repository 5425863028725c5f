/* The pool work after bursts (daemon_upkeep.h). */
#include "daemon_upkeep.h"

#include <malloc.h>

#include "../lib/buf.h"

#define UPKEEP__TRIM_MS 1000

static void tidyWorkCb(uv_work_t *w)
{
    struct daemon_upkeep *u = w->data;
    storeTidyRun(u->store, &u->tidy);
}

static void tidyAfterWorkCb(uv_work_t *w, int status)
{
    struct daemon_upkeep *u = w->data;
    (void)status;
    u->tidy_busy = false;
    if (*u->stopping) {
        u->tidied(u->data); /* the close waited for this work */
    }
}

void upkeepApplied(struct daemon_upkeep *u)
{
    if (u->tidy_busy || *u->stopping || !storeTidyTake(u->store, &u->tidy)) {
        return;
    }
    u->tidy_work.data = u;
    u->tidy_busy = uv_queue_work(u->loop, &u->tidy_work, tidyWorkCb,
                                 tidyAfterWorkCb) == 0;
    if (!u->tidy_busy) {
        /* not queued (uv_queue_work fails only on bad arguments): the span
         * stays for LevelDB's own compaction */
        bufFree(&u->tidy.lo);
        bufFree(&u->tidy.hi);
    }
}

/* A burst of writes leaves the heap holding what it freed (request and
 * response buffers, log entries libraft dropped after a snapshot, snapshot
 * work): once the member has applied nothing for a second, give the free
 * pages back to the system. On the pool: malloc_trim walks every arena. */
static void trimWorkCb(uv_work_t *w)
{
    (void)w;
    (void)malloc_trim(0);
}

static void trimAfterWorkCb(uv_work_t *w, int status)
{
    struct daemon_upkeep *u = w->data;
    (void)status;
    u->trim_busy = false;
}

static void trimCb(uv_timer_t *t)
{
    struct daemon_upkeep *u = t->data;
    uint64_t applied = storeAppliedIndex(u->store);
    if (*u->stopping || u->trim_busy) {
        return;
    }
    if (applied != u->trim_seen) {
        u->trim_seen = applied;
        u->trim_pending = true;
        return;
    }
    if (u->trim_pending) {
        u->trim_pending = false;
        u->trim_work.data = u;
        u->trim_busy = uv_queue_work(u->loop, &u->trim_work, trimWorkCb,
                                     trimAfterWorkCb) == 0;
    }
}

void upkeepStart(struct daemon_upkeep *u, uv_loop_t *loop,
                 struct store *store, const bool *stopping,
                 void (*tidied)(void *data), void *data)
{
    u->loop = loop;
    u->store = store;
    u->stopping = stopping;
    u->tidied = tidied;
    u->data = data;
    uv_timer_init(loop, &u->trim_timer);
    u->trim_timer.data = u;
    uv_timer_start(&u->trim_timer, trimCb, UPKEEP__TRIM_MS, UPKEEP__TRIM_MS);
}

static void timerClosedCb(uv_handle_t *h)
{
    (void)h;
}

void upkeepClose(struct daemon_upkeep *u)
{
    if (u->loop != NULL && !u->closed) {
        u->closed = true;
        uv_close((uv_handle_t *)&u->trim_timer, timerClosedCb);
    }
}

bool upkeepTidying(const struct daemon_upkeep *u)
{
    return u->tidy_busy;
}
