/* The bbolt file format (go.etcd.io/bbolt 1.3: page.go, node.go, bucket.go,
 * db.go's meta), the file etcd 3.4's backend is and its snapshots are: a
 * writer that lays a B+tree out in two passes so the file can be streamed
 * front to back in bounded memory, and a reader over a file in memory.
 * Pure: no I/O, no LevelDB; any thread (one writer or reader per thread).
 *
 * Writer. Pass 1 is told, bucket by bucket in name order, the size of every
 * element in key order (boltLayout*); it packs leaves, builds the branch
 * levels from the first key of each child (kept in memory: one key per
 * leaf), gives every page its id and renders the meta, freelist, branch and
 * root pages. Pass 2 is given the same elements again with their values
 * (boltEmit*) and hands the file's bytes to a sink in file order: meta 0,
 * meta 1, an empty freelist, each bucket's leaves then its branch pages,
 * the root bucket's leaf. An element differing from pass 1 is an error.
 * Every non-empty bucket gets pages of its own; an empty one is inline, as
 * bbolt writes a new bucket. Integers in pages are little-endian (bbolt
 * uses the host's order; etcd's files come from little-endian hosts). */
#ifndef ETCFS_BOLT_H
#define ETCFS_BOLT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

#define BOLT_PAGE_SIZE 4096
#define BOLT_MAX_BUCKETS 16
#define BOLT_MAX_KEY 32768 /* bbolt's MaxKeySize */

/* Where pass 2's bytes go: 0, or an error returned from boltEmit*. */
typedef int (*bolt_sink_fn)(void *data, const void *p, size_t len);

struct bolt_leaf
{
    uint32_t n;     /* elements */
    uint32_t pages; /* 1 + overflow */
};

struct bolt_bucket
{
    char name[64];
    size_t name_len;
    uint64_t n;              /* elements */
    struct bolt_leaf *leaves;
    size_t n_leaves;
    size_t cap_leaves;
    uint64_t root;           /* 0: an empty, inline bucket */
    struct buf branch;       /* rendered branch pages, after the leaves */
    struct buf first;        /* pass 1: u32 len + first key of each leaf */
    size_t fill;             /* pass 1: bytes of the open leaf */
};

struct bolt_writer
{
    struct bolt_bucket b[BOLT_MAX_BUCKETS];
    size_t n_buckets;
    uint64_t next_pgid;
    bool laid_out;
    struct buf head;  /* meta 0, meta 1, freelist: 3 pages */
    struct buf rootp; /* the root bucket's leaf page */
    /* pass 2 */
    bolt_sink_fn sink;
    void *sink_data;
    size_t cur;       /* bucket being emitted */
    size_t leaf;      /* its leaf being filled */
    uint32_t in_leaf; /* elements in it so far */
    size_t data_off;  /* next byte of key/value data in the page */
    struct buf page;
};

void boltWriterInit(struct bolt_writer *w);
void boltWriterFree(struct bolt_writer *w);

/* Pass 1. Buckets in strictly increasing name order, elements in strictly
 * increasing key order (the caller's duty). 0, -1 (out of memory) or -2
 * (key too long, name too long, too many buckets). */
int boltLayoutBucket(struct bolt_writer *w, const char *name, size_t len);
int boltLayoutAdd(struct bolt_writer *w, const void *key, size_t klen,
                  size_t vlen);
/* Ends pass 1: *size is the file's length in bytes. 0 or -1. */
int boltLayoutEnd(struct bolt_writer *w, uint64_t txid, uint64_t *size);

/* Pass 2: the same calls with the values; 0, -1, -2 (not what pass 1
 * saw), or the sink's error. */
int boltEmitBegin(struct bolt_writer *w, bolt_sink_fn sink, void *data);
int boltEmitBucket(struct bolt_writer *w);
int boltEmitPut(struct bolt_writer *w, const void *key, size_t klen,
                const void *val, size_t vlen);
int boltEmitBucketEnd(struct bolt_writer *w);
int boltEmitEnd(struct bolt_writer *w);

/* ---- reader ---- */

struct bolt_file
{
    const unsigned char *p; /* borrowed */
    size_t len;
    uint32_t page_size;
    uint64_t root;   /* root bucket's page */
    uint64_t pages;  /* high water mark */
    uint64_t txid;
};

/* Checks the meta pages (magic, version, checksum) and takes the newest
 * valid one. 0 or -2. */
int boltOpen(struct bolt_file *f, const void *p, size_t len);
/* Whether p starts like a bbolt file (meta page 0's magic). */
bool boltIsBolt(const void *p, size_t len);
/* Calls fn for every element of a bucket in key order: the root bucket
 * when bucket is NULL, else the bucket whose value (as the parent holds it:
 * header, then an inline page) is bucket[0..blen). fn returns 0 to go on or
 * its own error, which is returned. -2 on a malformed page. */
typedef int (*bolt_each_fn)(void *data, const unsigned char *k, size_t klen,
                            const unsigned char *v, size_t vlen,
                            bool is_bucket);
int boltForEach(const struct bolt_file *f, const unsigned char *bucket,
                size_t blen, bolt_each_fn fn, void *data);
/* The value of bucket 'name' in the root bucket: 0, -3 when absent, -2
 * when malformed. */
int boltBucket(const struct bolt_file *f, const char *name, size_t len,
               const unsigned char **v, size_t *vlen);

#endif /* ETCFS_BOLT_H */
