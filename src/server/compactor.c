/* Auto-compaction (compactor.h). */
#include "compactor.h"

#include <stdlib.h>
#include <string.h>

#include "../../raft/command.h"
#include "../../raft/node.h"
#include "../core/config.h"
#include "../core/error.h"
#include "../lib/log.h"
#include "../store/store.h"
#include "server.h"
#include "server_internal.h"

#define COMPACTOR__HOUR_MS 3600000ull
#define COMPACTOR__DIVISOR 10 /* etcd's retryDivisor */
#define COMPACTOR__MAX_SAMPLES 100000 /* a period of ~1 year at 6 min */

struct compactor
{
    struct server *s;
    uv_timer_t timer;
    uint64_t tick_ms;
    bool revision; /* mode */
    uint64_t keep; /* revision mode */
    uint64_t period_ms; /* periodic mode */
    /* periodic: revisions sampled every tick, oldest first */
    int64_t *revs;
    unsigned n_revs;
    unsigned max_revs;
    uint64_t last_success; /* ms */
    uint64_t base_ms;      /* the wait before the next compaction */
    bool leading;
    /* revision: the last revision compacted to */
    int64_t prev;
    /* a compaction in flight */
    struct server_write w;
    bool busy;
    int64_t busy_rev;
    bool stopped;
    bool timer_closed;
};

static void maybeFree(struct compactor *c)
{
    if (c->stopped && c->timer_closed && !c->busy) {
        free(c->revs);
        free(c);
    }
}

static void writeCb(struct server_write *w, int status,
                    struct command_result *res)
{
    struct compactor *c = w->data;
    int outcome = status != 0 ? status : res != NULL ? res->status : 0;
    c->busy = false;
    commandResultFree(res);
    if (c->stopped) {
        maybeFree(c);
        return;
    }
    if (outcome == 0 || outcome == ETCFS_COMPACTED) {
        infof("auto-compaction: compacted to revision %lld",
              (long long)c->busy_rev);
        c->last_success = uv_now(c->timer.loop);
        c->prev = c->busy_rev;
    } else {
        warnf("auto-compaction to revision %lld failed: %s",
              (long long)c->busy_rev, etcfsStrerror(outcome));
    }
}

static void compact(struct compactor *c, int64_t rev)
{
    struct command cmd;
    int rv;
    if (rev <= storeCompactRevision(c->s->deps.store)) {
        /* nothing older to drop: as etcd, a success */
        c->last_success = uv_now(c->timer.loop);
        c->prev = rev;
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_COMPACT;
    cmd.compact_revision = rev;
    cmd.internal = true; /* the cluster's own: no user asked */
    memset(&c->w, 0, sizeof c->w);
    c->w.data = c;
    c->w.cb = writeCb;
    c->busy_rev = rev;
    c->busy = true;
    rv = serverWrite(c->s, &c->w, &cmd);
    if (rv != 0) {
        c->busy = false;
        warnf("auto-compaction to revision %lld: %s", (long long)rev,
              etcfsStrerror(rv));
    }
}

static void tickCb(uv_timer_t *t)
{
    struct compactor *c = t->data;
    uint64_t now = uv_now(t->loop);
    int64_t current = storeRevision(c->s->deps.store);
    if (!nodeIsLeader(c->s->deps.node)) {
        c->leading = false;
        return;
    }
    if (!c->leading) { /* leadership gained: start afresh */
        c->leading = true;
        c->n_revs = 0;
        c->last_success = now;
        c->base_ms = c->period_ms;
    }
    if (c->busy) {
        return;
    }
    if (c->revision) {
        int64_t rev = current - (int64_t)c->keep;
        if (rev > 0 && rev != c->prev) {
            compact(c, rev);
        }
        return;
    }
    if (c->n_revs == c->max_revs) {
        memmove(c->revs, c->revs + 1, (c->n_revs - 1) * sizeof c->revs[0]);
        c->n_revs--;
    }
    c->revs[c->n_revs++] = current; /* revs[0]: a period ago, once full */
    if (now - c->last_success < c->base_ms) {
        return;
    }
    c->base_ms = c->period_ms < COMPACTOR__HOUR_MS ? c->period_ms
                                                  : COMPACTOR__HOUR_MS;
    compact(c, c->revs[0]);
}

struct compactor *compactorStart(struct server *s)
{
    const struct config *cfg = s->deps.config;
    struct compactor *c;
    uint64_t interval;
    if (cfg->auto_compaction_revision ? cfg->auto_compaction_keep == 0
                                      : cfg->auto_compaction_period_ms == 0) {
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        errorf("auto-compaction: out of memory");
        return NULL;
    }
    c->s = s;
    c->revision = cfg->auto_compaction_revision;
    c->keep = cfg->auto_compaction_keep;
    c->period_ms = cfg->auto_compaction_period_ms;
    if (c->revision) {
        c->tick_ms = cfg->auto_compaction_interval_ms;
    } else {
        interval = c->period_ms < COMPACTOR__HOUR_MS ? c->period_ms
                                                     : COMPACTOR__HOUR_MS;
        c->tick_ms = interval / COMPACTOR__DIVISOR;
        if (c->tick_ms == 0) {
            c->tick_ms = 1;
        }
        /* etcd keeps period / tick + 1 samples: revs[0] is a period old */
        if (c->period_ms / c->tick_ms + 1 > COMPACTOR__MAX_SAMPLES) {
            c->tick_ms = c->period_ms / (COMPACTOR__MAX_SAMPLES - 1);
        }
        c->max_revs = (unsigned)(c->period_ms / c->tick_ms) + 1;
        c->revs = calloc(c->max_revs, sizeof c->revs[0]);
        if (c->revs == NULL) {
            errorf("auto-compaction: out of memory");
            free(c);
            return NULL;
        }
    }
    (void)uv_timer_init(s->deps.loop, &c->timer); /* cannot fail */
    c->timer.data = c;
    (void)uv_timer_start(&c->timer, tickCb, c->tick_ms, c->tick_ms);
    if (c->revision) {
        infof("auto-compaction: keeping the last %llu revisions, checked "
              "every %llu ms",
              (unsigned long long)c->keep, (unsigned long long)c->tick_ms);
    } else {
        infof("auto-compaction: keeping %llu ms of history",
              (unsigned long long)c->period_ms);
    }
    return c;
}

static void timerClosedCb(uv_handle_t *h)
{
    struct compactor *c = h->data;
    c->timer_closed = true;
    maybeFree(c);
}

void compactorStop(struct compactor *c)
{
    if (c == NULL) {
        return;
    }
    c->stopped = true;
    uv_close((uv_handle_t *)&c->timer, timerClosedCb);
}
