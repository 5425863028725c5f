/* The FUSE -> loop call queue: a mutex-protected queue drained by a
 * uv_async callback on the loop. Calls wait on a per-call semaphore. */
#include "bridge.h"

#include <stdlib.h>

#include "../src/core/error.h"

struct bridge
{
    uv_loop_t *loop;
    uv_async_t async;
    pthread_mutex_t mutex;
    queue calls; /* guarded by mutex */
    bool closing; /* guarded by mutex */
    bridge_close_cb close_cb;
    void *close_data;
};

static void asyncCb(uv_async_t *async)
{
    struct bridge *b = async->data;
    queue batch;
    QUEUE_INIT(&batch);
    pthread_mutex_lock(&b->mutex);
    while (!QUEUE_IS_EMPTY(&b->calls)) {
        queue *head = QUEUE_HEAD(&b->calls);
        QUEUE_REMOVE(head);
        QUEUE_PUSH(&batch, head);
    }
    pthread_mutex_unlock(&b->mutex);
    while (!QUEUE_IS_EMPTY(&batch)) {
        queue *head = QUEUE_HEAD(&batch);
        struct bridge_call *c = QUEUE_DATA(head, struct bridge_call, link);
        QUEUE_REMOVE(head);
        c->run(c);
    }
}

int bridgeInit(struct bridge **out, uv_loop_t *loop, char *errmsg)
{
    struct bridge *b = calloc(1, sizeof *b);
    int rv;
    if (b == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return ETCFS_NOMEM;
    }
    b->loop = loop;
    QUEUE_INIT(&b->calls);
    pthread_mutex_init(&b->mutex, NULL);
    rv = uv_async_init(loop, &b->async, asyncCb);
    if (rv != 0) {
        etcfsErrmsgf(errmsg, "uv_async_init(): %s", uv_strerror(rv));
        pthread_mutex_destroy(&b->mutex);
        free(b);
        return ETCFS_IO;
    }
    b->async.data = b;
    *out = b;
    return 0;
}

int bridgeCall(struct bridge *b, struct bridge_call *c)
{
    int rv;
    sem_init(&c->done, 0, 0);
    c->status = 0;
    pthread_mutex_lock(&b->mutex);
    if (b->closing) {
        pthread_mutex_unlock(&b->mutex);
        sem_destroy(&c->done);
        return ETCFS_CANCELED;
    }
    QUEUE_PUSH(&b->calls, &c->link);
    pthread_mutex_unlock(&b->mutex);
    rv = uv_async_send(&b->async);
    (void)rv; /* only fails on a closing handle, excluded above */
    while (sem_wait(&c->done) != 0) {
        /* EINTR: wait again */
    }
    sem_destroy(&c->done);
    return c->status;
}

void bridgeComplete(struct bridge_call *c, int status)
{
    c->status = status;
    sem_post(&c->done);
}

static void asyncCloseCb(uv_handle_t *h)
{
    struct bridge *b = h->data;
    if (b->close_cb != NULL) {
        b->close_cb(b, b->close_data);
    }
    pthread_mutex_destroy(&b->mutex);
    free(b);
}

void bridgeClose(struct bridge *b, bridge_close_cb cb, void *data)
{
    queue pending;
    QUEUE_INIT(&pending);
    pthread_mutex_lock(&b->mutex);
    b->closing = true;
    while (!QUEUE_IS_EMPTY(&b->calls)) {
        queue *head = QUEUE_HEAD(&b->calls);
        QUEUE_REMOVE(head);
        QUEUE_PUSH(&pending, head);
    }
    pthread_mutex_unlock(&b->mutex);
    while (!QUEUE_IS_EMPTY(&pending)) {
        queue *head = QUEUE_HEAD(&pending);
        struct bridge_call *c = QUEUE_DATA(head, struct bridge_call, link);
        QUEUE_REMOVE(head);
        bridgeComplete(c, ETCFS_CANCELED);
    }
    b->close_cb = cb;
    b->close_data = data;
    uv_close((uv_handle_t *)&b->async, asyncCloseCb);
}
