/* Replicated commands: what one Raft log entry asks the FSM to do, declared
 * once, with the encoder/decoder and the apply result. Pure: no I/O, no
 * raft/uv/leveldb headers beyond the store's request types.
 *
 * Wire format (format version COMMAND_FORMAT): u8 format, u8 type, then the
 * fields of the type in declaration order (u64 little-endian integers,
 * length-prefixed byte strings, nested txn ops), zero-padded to a multiple
 * of 8 bytes (libraft 0.15 corrupts its log otherwise: shared/notes). */
#ifndef ETCFS_COMMAND_H
#define ETCFS_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "../src/store/auth.h"
#include "../src/store/store.h"

/* Format 2 added the put's atime/ctime, format 3 the proposer's user and
 * auth revision and COMMAND_AUTH; older entries still decode. */
#define COMMAND_FORMAT 3

enum command_type {
    COMMAND_PUT = 1,
    COMMAND_DELETE_RANGE = 2,
    COMMAND_TXN = 3,
    COMMAND_COMPACT = 4,
    COMMAND_LEASE_GRANT = 5,
    COMMAND_LEASE_REVOKE = 6,
    COMMAND_META = 7,
    COMMAND_AUTH = 8
};

struct command
{
    int type; /* enum command_type */
    /* Who proposed it: 0 for the API, a mount's id for a change made
     * through that mount (its syscall already raised the local inotify
     * events, so that mount does not replay it). */
    uint64_t origin;
    /* Who asked (etcd's request header): the authenticated user (borrowed;
     * NULL/0 none) and the auth revision its permissions were looked up
     * at. The FSM checks the user's permissions when auth is on; an older
     * revision than the state's is ETCFS_AUTH_OLD_REVISION. */
    const char *user;
    size_t user_len;
    uint64_t auth_revision;
    /* Asked by the members themselves, not a client: a lease expiry, the
     * mount when it acts as root. Passes the permission checks as root. */
    bool internal;
    union {
        struct store_put_req put;
        struct store_delete_req delete_range;
        struct store_txn_req txn;
        int64_t compact_revision;
        struct
        {
            int64_t id;
            int64_t ttl;
        } lease_grant;
        int64_t lease_revoke_id;
        struct
        {
            const char *name; /* borrowed */
            size_t name_len;
            const char *value; /* borrowed; NULL + 0 deletes */
            size_t value_len;
        } meta;
        struct auth_op auth; /* strings borrowed */
    };
};

/* What applying one command produced. Owned by whoever holds it; freed with
 * commandResultFree(). */
struct command_result
{
    int type;      /* enum command_type */
    int status;    /* 0 or a request-level ETCFS_* code */
    int64_t revision; /* store revision after the command (header) */
    union {
        struct store_put_resp put;
        struct store_delete_resp delete_range;
        struct store_txn_resp txn;
    };
};
void commandResultFree(struct command_result *r);
/* A result as bytes, for a forwarded command's answer: buf is malloc'd
 * (the caller frees it); res is borrowed. 0 or ETCFS_NOMEM. */
int commandResultEncode(const struct command_result *res, void **buf,
                        size_t *len);
/* The reverse: *out is a new result the caller frees with
 * commandResultFree. Malformed input -> ETCFS_CORRUPT, never a crash. */
int commandResultDecode(const void *buf, size_t len,
                        struct command_result **out);

/* Encodes cmd into a new buffer from 'alloc' (raft_malloc for raft_apply),
 * length a multiple of 8. cmd is borrowed. Returns 0 or ETCFS_NOMEM /
 * ETCFS_INVALID. */
int commandEncode(const struct command *cmd, void *(*alloc)(size_t),
                  void **buf, size_t *len);

/* A decoded command: cmd points into 'buf' (borrowed: keep buf alive while
 * using it) and into arrays owned by the decoded struct. */
struct command_decoded
{
    struct command cmd;
    void *arena; /* owned: arrays for txn ops; freed by commandDecodedClear */
};
/* Decodes one command; malformed or unknown-version input -> ETCFS_CORRUPT,
 * never a crash. */
int commandDecode(const void *buf, size_t len, struct command_decoded *out);
void commandDecodedClear(struct command_decoded *d);

#endif /* ETCFS_COMMAND_H */
