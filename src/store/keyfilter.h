/* Which keys the store may hold: an in-memory Bloom filter of the live keys,
 * so a put of a new key skips its LevelDB read.
 *
 * Why: that read misses, and a LevelDB get that misses consults one table
 * per level whose key range covers the key. LevelDB charges such reads to
 * the first table ("seek compaction") and rewrites it into the next level
 * after ~file_size/16 KiB of them, so a stream of new keys made LevelDB
 * rewrite its whole second level after every memtable flush: a third of a
 * 3-member cluster's CPU under a put load went to compaction.
 *
 * The filter is built once from a LevelDB snapshot on a thread of its own
 * (a store of a million keys is not read on the loop); until it is ready
 * every key "may" be present. Keys created after the snapshot are added by
 * the apply path. It never forgets a key (a deleted key reads as "may be
 * present", and the read says no), grows by adding segments of twice the
 * size, and answers "absent" wrongly never: a false "may" costs one read.
 *
 * Threads: keyFilterStart, Maybe, Add and Stop are called by the store's
 * apply thread only; the builder thread owns the base filter until it
 * publishes it. */
#ifndef ETCFS_STORE_KEYFILTER_H
#define ETCFS_STORE_KEYFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <leveldb/c.h>

struct key_filter;

/* Starts building the filter of the live keys ('k' prefix, after 'prefix'
 * byte) of db as it is now. hint: the expected number of keys. NULL when
 * out of memory or no thread could start (the caller reads every key). */
struct key_filter *keyFilterStart(leveldb_t *db, char prefix, int64_t hint);
/* false only when key was never added and is not in the built base. */
bool keyFilterMaybe(struct key_filter *f, const char *key, size_t len);
/* A key was created (after the start). */
void keyFilterAdd(struct key_filter *f, const char *key, size_t len);
/* Stops the builder (if running) and frees everything. NULL is a no-op. */
void keyFilterStop(struct key_filter *f);

#endif /* ETCFS_STORE_KEYFILTER_H */
