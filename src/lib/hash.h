/* FNV-1a over bytes: the hash of the small in-memory tables (tokens, the
 * mount's replay queue and directory cache). Not for anything an attacker
 * picks the keys of and can then slow down by collisions alone: those
 * tables are bounded or keyed by what the members made. Pure. */
#ifndef ETCFS_LIB_HASH_H
#define ETCFS_LIB_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t hashBytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ULL;
    }
    return h;
}

#endif /* ETCFS_LIB_HASH_H */
