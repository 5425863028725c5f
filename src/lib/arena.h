/* A list of malloc'd blocks freed together: decoded requests and built
 * responses that live as long as one request. Generic and pure; not
 * thread-safe (each user owns its arena). */
#ifndef ETCFS_LIB_ARENA_H
#define ETCFS_LIB_ARENA_H

#include <stddef.h>

/* A zero-initialized struct arena is empty. */
struct arena
{
    void **ptrs;
    size_t n;
    size_t cap;
};
/* Returns a zeroed block of size bytes (at least 1) owned by the arena, or
 * NULL on out of memory. */
void *arenaAlloc(struct arena *a, size_t size);
/* Frees every block; the arena is empty again. */
void arenaClear(struct arena *a);

#endif /* ETCFS_LIB_ARENA_H */
