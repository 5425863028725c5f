/* FUSE thread -> loop thread calls. A FUSE worker fills a bridge_call on
 * its stack, bridgeCall() queues it, wakes the loop with uv_async_send and
 * blocks on the call's semaphore; the loop runs call->run, which starts the
 * work (a proposal, a read confirmation) and finishes it, now or from a
 * later callback, with bridgeComplete(). FUSE threads never touch raft or
 * the loop's state themselves (STYLE.md 5). */
#ifndef ETCFS_BRIDGE_H
#define ETCFS_BRIDGE_H

#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <uv.h>

#include "../src/lib/queue.h"

struct bridge;
struct bridge_call;

/* Runs on the loop thread; must lead to exactly one bridgeComplete(). */
typedef void (*bridge_run_fn)(struct bridge_call *c);

struct bridge_call
{
    void *data;
    bridge_run_fn run;
    int status; /* set by bridgeComplete */
    /* private */
    queue link;
    sem_t done;
};

int bridgeInit(struct bridge **out, uv_loop_t *loop, char *errmsg);
/* Any thread but the loop's: runs c->run on the loop and waits for
 * bridgeComplete. Returns c->status, or ETCFS_CANCELED when the bridge is
 * closing. c is borrowed until it returns. */
int bridgeCall(struct bridge *b, struct bridge_call *c);
/* Loop thread: ends a call; the caller's thread wakes up. c must not be
 * touched afterwards. */
void bridgeComplete(struct bridge_call *c, int status);
typedef void (*bridge_close_cb)(struct bridge *b, void *data);
/* Loop thread: fails queued calls with ETCFS_CANCELED, refuses new ones,
 * closes the async handle, then calls cb and frees the bridge. */
void bridgeClose(struct bridge *b, bridge_close_cb cb, void *data);

#endif /* ETCFS_BRIDGE_H */
