/* A member's upkeep after bursts, on the libuv pool: LevelDB compacts the
 * span of keys a command deleted (store_tidy.c: one span at a time), and
 * once the member has applied nothing for a second the heap's free pages
 * go back to the system (malloc_trim). Loop thread. */
#ifndef ETCFS_DAEMON_UPKEEP_H
#define ETCFS_DAEMON_UPKEEP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "../store/store.h"

struct daemon_upkeep
{
    uv_loop_t *loop;
    struct store *store;
    /* a tidying ended while stopping (the close waits for it) */
    void (*tidied)(void *data);
    void *data;
    const bool *stopping; /* the daemon's: no new work once set */
    bool closed;
    uv_timer_t trim_timer;
    uv_work_t trim_work;
    uint64_t trim_seen; /* applied index at the last trim check */
    bool trim_pending;  /* applied entries since the last trim */
    bool trim_busy;
    uv_work_t tidy_work; /* compacting a span of deleted keys */
    struct store_tidy tidy;
    bool tidy_busy;
};

/* Starts the trim timer (store and stopping borrowed until upkeepClose).
 * tidied(data): a tidying ended after *stopping was set. */
void upkeepStart(struct daemon_upkeep *u, uv_loop_t *loop,
                 struct store *store, const bool *stopping,
                 void (*tidied)(void *data), void *data);
/* After each applied command: tidy what it deleted, when it was much. */
void upkeepApplied(struct daemon_upkeep *u);
/* A tidying is running: the store must stay open until tidied. */
bool upkeepTidying(const struct daemon_upkeep *u);
/* Closes the timer (the store is about to close; a trim still running
 * touches only the heap). */
void upkeepClose(struct daemon_upkeep *u);

#endif /* ETCFS_DAEMON_UPKEEP_H */
