/* The LevelDB layout of the MVCC store: how keys, revisions, records, leases,
 * metadata and the store state are encoded as LevelDB keys and values. Pure:
 * no I/O, no LevelDB; used by the store files only (and their tests).
 *
 * Keyspaces (first byte of every LevelDB key):
 *   'a' id(8) key          -> ""       key attached to lease id
 *   'i' esc(key) rev sub   -> record   one version of key (mod_revision = rev)
 *   'k' key                -> rev sub record   the live version of key (a
 *                                      copy for current reads: no walk over
 *                                      versions or compacted ones)
 *   'l' id(8)              -> ttl(8)   lease
 *   'm' name               -> value    cluster metadata (storeApplyMeta)
 *   'r' rev sub            -> key      what revision rev.sub wrote (history)
 *   's' "state"            -> state    applied index/term, revisions, counts
 * Integers are 8-byte big-endian so byte order is numeric order; esc() keeps
 * key order and is unambiguous for any bytes (see mvccKeyEscape). */
#ifndef ETCFS_MVCC_KEY_H
#define ETCFS_MVCC_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"
#include "store.h"

#define MVCC_KEY_ATTACH 'a'
#define MVCC_KEY_INDEX 'i'
#define MVCC_KEY_LATEST 'k'
#define MVCC_KEY_LEASE 'l'
#define MVCC_KEY_META 'm'
#define MVCC_KEY_REV 'r'
#define MVCC_KEY_STATE 's'

/* The one LevelDB key of the state record. */
#define MVCC_STATE_KEY "sstate"
#define MVCC_STATE_KEY_LEN 6

/* Bytes after esc(key) in an index key: rev(8) + sub(8). */
#define MVCC_REV_SUFFIX 16
/* Record header: flags(1) create(8) version(8) lease(8). */
#define MVCC_RECORD_HEADER 25
#define MVCC_RECORD_TOMBSTONE 0x01
#define MVCC_RECORD_ATTR 0x02 /* 20 bytes of store_attr follow the lease */
#define MVCC_RECORD_ATTR_LEN 20
/* 16 more bytes follow the attr: atime_ns, ctime_ns (records written since
 * the mount keeps POSIX times; older records have neither). */
#define MVCC_RECORD_TIMES 0x04
#define MVCC_RECORD_TIMES_LEN 16

/* ---- key escaping ----
 * esc(k): every 0x00 byte becomes 0x00 0xFF, other bytes are kept, and the
 * result ends with 0x00 0x01. For any keys a < b (memcmp order, shorter
 * first), esc(a) < esc(b), and no esc(a) is a prefix of another esc(b). */

/* Appends esc(key) to b. Returns 0 or -1 (out of memory). */
int mvccKeyEscape(struct buf *b, const char *key, size_t len);
/* Appends the unescaped key of esc bytes [in, in + len) (terminator
 * included) to out. Returns 0, -1 (out of memory) or -2 (malformed). */
int mvccKeyUnescape(struct buf *out, const char *in, size_t len);

/* ---- index keys: 'i' esc(key) rev sub ---- */

/* Resets b and writes the index key of (key, rev, sub). 0 or -1. */
int mvccKeyIndex(struct buf *b, const char *key, size_t len, int64_t rev,
                 int64_t sub);
/* Resets b and writes 'i' esc(key): the prefix of every version of key. */
int mvccKeyIndexPrefix(struct buf *b, const char *key, size_t len);
/* Resets b and writes a bound greater than every version of key and smaller
 * than every version of any greater key ('i' esc(key) 0xFF). */
int mvccKeyIndexAfter(struct buf *b, const char *key, size_t len);
/* Checks that k (klen bytes, borrowed) is a well-formed index key and reads
 * its revision; *group_len is the length of 'i' + esc(key), the part shared
 * by every version of one key. Returns 0 or -2 (malformed). */
int mvccKeyIndexParse(const char *k, size_t klen, size_t *group_len,
                      int64_t *rev, int64_t *sub);
/* Appends the user key of a parsed index key (group_len from above). */
int mvccKeyIndexUserKey(struct buf *out, const char *k, size_t group_len);

/* ---- other keyspaces ---- */

/* Resets b and writes 'r' rev sub. */
int mvccKeyRev(struct buf *b, int64_t rev, int64_t sub);
/* Reads a revision key; 0 or -2 (malformed). */
int mvccKeyRevParse(const char *k, size_t klen, int64_t *rev, int64_t *sub);
/* Resets b and writes 'l' id. */
int mvccKeyLease(struct buf *b, int64_t id);
/* Resets b and writes 'a' id key (key may be NULL with len 0: the prefix of
 * every key attached to id). */
int mvccKeyAttach(struct buf *b, int64_t id, const char *key, size_t len);
/* Resets b and writes 'k' key (the raw key: order is key order). */
int mvccKeyLatest(struct buf *b, const char *key, size_t len);
/* Resets b and writes 'm' name. */
int mvccKeyMeta(struct buf *b, const char *name, size_t len);

/* ---- records ---- */

/* One version of a key as stored; value borrowed from wherever it was
 * decoded. */
struct mvcc_record
{
    bool tombstone;
    int64_t create_revision;
    int64_t version;
    int64_t lease;
    struct store_attr attr; /* all zero = none (not encoded) */
    const char *value;
    size_t value_len;
};

/* Resets b and writes the record. 0 or -1. */
int mvccRecordEncode(struct buf *b, const struct mvcc_record *r);
/* Decodes data (borrowed; r->value points into it). 0 or -2 (malformed). */
int mvccRecordDecode(const char *data, size_t len, struct mvcc_record *r);

/* Resets b and writes a latest-version value: rev sub record. */
int mvccLatestEncode(struct buf *b, int64_t rev, int64_t sub,
                     const struct mvcc_record *r);
/* Decodes one (data borrowed). 0 or -2. */
int mvccLatestDecode(const char *data, size_t len, int64_t *rev,
                     int64_t *sub, struct mvcc_record *r);

/* ---- store state ---- */

#define MVCC_STATE_FORMAT 1
#define MVCC_STATE_LEN (4 + 6 * 8)

/* Everything the store keeps in memory and persists with every batch. */
struct mvcc_state
{
    uint64_t applied_index;
    uint64_t applied_term;
    int64_t revision;        /* current revision, 1 when empty */
    int64_t compact_rev;     /* revisions below are unreadable; 0 = never */
    int64_t compact_done;    /* physical cleanup done up to this revision */
    int64_t key_count;       /* live keys */
};

/* Writes exactly MVCC_STATE_LEN bytes to out. */
void mvccStateEncode(char *out, const struct mvcc_state *st);
/* 0 or -2 (bad length, unknown format or impossible values). */
int mvccStateDecode(const char *data, size_t len, struct mvcc_state *st);

/* ---- key ranges (etcd rules) ---- */

/* Whether k lies in the range [key, range_end) following etcd: end_len 0 is
 * the single key, a one-byte "\0" end means every key >= key. */
bool mvccKeyInRange(const char *key, size_t key_len, const char *end,
                    size_t end_len, const char *k, size_t k_len);
/* memcmp order with the shorter key first on a common prefix. */
int mvccKeyCompare(const char *a, size_t a_len, const char *b, size_t b_len);
/* Whether end is the "\0" from-key marker. */
bool mvccKeyIsFromKey(const char *end, size_t end_len);

#endif /* ETCFS_MVCC_KEY_H */
