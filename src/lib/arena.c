/* A list of malloc'd blocks freed together (arena.h). */
#include "arena.h"

#include <stdlib.h>

void *arenaAlloc(struct arena *a, size_t size)
{
    void *p;
    if (a->n == a->cap) {
        size_t cap = a->cap == 0 ? 8 : a->cap * 2;
        void **ptrs = realloc(a->ptrs, cap * sizeof *ptrs);
        if (ptrs == NULL) {
            return NULL;
        }
        a->ptrs = ptrs;
        a->cap = cap;
    }
    p = calloc(1, size == 0 ? 1 : size);
    if (p == NULL) {
        return NULL;
    }
    a->ptrs[a->n++] = p;
    return p;
}

void arenaClear(struct arena *a)
{
    size_t i;
    for (i = 0; i < a->n; i++) {
        free(a->ptrs[i]);
    }
    free(a->ptrs);
    a->ptrs = NULL;
    a->n = 0;
    a->cap = 0;
}
