/* Intrusive doubly-linked circular queue (as canonical/raft src/queue.h).
 * Generic: nothing etcfs-specific. */
#ifndef ETCFS_LIB_QUEUE_H
#define ETCFS_LIB_QUEUE_H

#include <stddef.h>

typedef void *queue[2];

#define QUEUE__NEXT(q) (*(queue **)&((*(q))[0]))
#define QUEUE__PREV(q) (*(queue **)&((*(q))[1]))

#define QUEUE_INIT(q)        \
    {                        \
        QUEUE__NEXT(q) = (q); \
        QUEUE__PREV(q) = (q); \
    }
#define QUEUE_IS_EMPTY(q) ((const queue *)(q) == (const queue *)QUEUE__NEXT(q))
#define QUEUE_HEAD(q) (QUEUE__NEXT(q))
#define QUEUE_NEXT(q) (QUEUE__NEXT(q))
#define QUEUE_PUSH(q, e)                 \
    {                                    \
        QUEUE__NEXT(e) = (q);            \
        QUEUE__PREV(e) = QUEUE__PREV(q); \
        QUEUE__NEXT(QUEUE__PREV(e)) = (e); \
        QUEUE__PREV(q) = (e);            \
    }
#define QUEUE_REMOVE(e)                          \
    {                                            \
        QUEUE__NEXT(QUEUE__PREV(e)) = QUEUE__NEXT(e); \
        QUEUE__PREV(QUEUE__NEXT(e)) = QUEUE__PREV(e); \
        QUEUE_INIT(e);                           \
    }
#define QUEUE_DATA(e, type, field) \
    ((type *)(void *)((char *)(e)-offsetof(type, field)))
/* Moves every element of h to the end of n (h is left empty). */
#define QUEUE_MOVE_ALL(h, n)                     \
    do {                                         \
        while (!QUEUE_IS_EMPTY(h)) {             \
            queue *q__ = QUEUE_HEAD(h);          \
            QUEUE_REMOVE(q__);                   \
            QUEUE_PUSH((n), q__);                \
        }                                        \
    } while (0)
#define QUEUE_FOREACH(q, h) \
    for ((q) = QUEUE__NEXT(h); (q) != (h); (q) = QUEUE__NEXT(q))

#endif /* ETCFS_LIB_QUEUE_H */
