/* etcd v3 authentication state: whether auth is on, its revision, users
 * (bcrypt password hashes, granted roles) and roles (key-range
 * permissions), with etcd's rules for changing them and for deciding
 * whether a user may read or write a range. Part of the replicated state:
 * the FSM applies changes (authApply) and the store persists the encoded
 * state with the applied index (store_auth.c), so it travels in snapshots
 * and backups. Pure: no I/O, no clock, no randomness (passwords arrive
 * hashed). Any thread: the state has its own lock; readers see either the
 * state before or after an applied change. */
#ifndef ETCFS_AUTH_H
#define ETCFS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

#define AUTH_ROOT "root" /* the root user and role (all permissions) */

enum auth_perm_type { AUTH_READ = 0, AUTH_WRITE = 1, AUTH_READWRITE = 2 };

enum auth_op_type {
    AUTH_OP_ENABLE = 1,
    AUTH_OP_DISABLE,
    AUTH_OP_USER_ADD,
    AUTH_OP_USER_DELETE,
    AUTH_OP_USER_PASSWD,
    AUTH_OP_USER_GRANT,
    AUTH_OP_USER_REVOKE,
    AUTH_OP_ROLE_ADD,
    AUTH_OP_ROLE_DELETE,
    AUTH_OP_ROLE_GRANT,
    AUTH_OP_ROLE_REVOKE,
    AUTH_OP_TOKEN /* a token assigned to a user: no state change here */
};

/* One change, as a command carries it (all strings borrowed). */
struct auth_op
{
    int type;                /* enum auth_op_type */
    const char *name;        /* user (or role for ROLE_*) */
    size_t name_len;
    const char *role;        /* USER_GRANT/REVOKE */
    size_t role_len;
    const char *hash;        /* USER_ADD/PASSWD: bcrypt hash, "" none */
    size_t hash_len;
    bool no_password;        /* USER_ADD */
    int perm_type;           /* ROLE_GRANT: enum auth_perm_type */
    const char *key;         /* ROLE_GRANT/REVOKE */
    size_t key_len;
    const char *range_end;
    size_t range_end_len;
    const char *token;       /* TOKEN */
    size_t token_len;
};

struct auth;

struct auth *authNew(void);
void authFree(struct auth *a);
/* Replaces the state by an encoded one (authEncode); len 0 = empty. 0 or
 * ETCFS_CORRUPT (the state is unchanged). */
int authLoad(struct auth *a, const void *data, size_t len);
/* The state as bytes (out appended). 0 or ETCFS_NOMEM. */
int authEncode(struct auth *a, struct buf *out);
/* A copy (for applying a change before it is persisted). NULL: no memory. */
struct auth *authClone(struct auth *a);
/* Applies op with etcd's rules: 0 or ETCFS_USER_EXISTS, ETCFS_ROLE_NOTFOUND,
 * ... (nothing changed then). */
int authApply(struct auth *a, const struct auth_op *op);
/* Moves src's state into a (src is then empty). */
void authSwap(struct auth *a, struct auth *src);

bool authEnabled(struct auth *a);
uint64_t authRevision(struct auth *a);
/* user (len bytes) at request revision rev may do 'type' (AUTH_READ or
 * AUTH_WRITE) on [key, range_end) (etcd's range rules: range_end "" one
 * key, "\0" every key from key). 0 when auth is off, else
 * ETCFS_USER_EMPTY (no user), ETCFS_AUTH_OLD_REVISION (rev older than the
 * state), ETCFS_PERMISSION_DENIED. */
int authCheck(struct auth *a, const char *user, size_t user_len, uint64_t rev,
              const char *key, size_t key_len, const char *range_end,
              size_t range_end_len, int type);
/* Like authCheck, but whether user may do 'type' on at least one key of
 * [key, range_end) (the mount shows a directory holding keys the user may
 * read), at the current state: 0 (or auth off), ETCFS_USER_EMPTY or
 * ETCFS_PERMISSION_DENIED. */
int authCheckAny(struct auth *a, const char *user, size_t user_len,
                 const char *key, size_t key_len, const char *range_end,
                 size_t range_end_len, int type);
/* user holds the root role (or auth is off): 0, ETCFS_USER_EMPTY or
 * ETCFS_PERMISSION_DENIED. */
int authAdmin(struct auth *a, const char *user, size_t user_len);
/* Whether user exists and has role. */
bool authHasRole(struct auth *a, const char *user, size_t user_len,
                 const char *role, size_t role_len);
/* The bcrypt hash of user into hash (size bytes; "" for a no-password
 * user): 0, or ETCFS_AUTH_FAILED when there is no such user. */
int authPasswordHash(struct auth *a, const char *user, size_t user_len,
                     char *hash, size_t size, bool *no_password);

/* ---- reads for the API (results are malloc'd copies) ---- */
struct auth_perm
{
    int type;
    char *key;
    size_t key_len;
    char *range_end;
    size_t range_end_len;
};
/* Sorted names. *names: array of NUL-terminated strings, freed with
 * authNamesFree. */
int authUsers(struct auth *a, char ***names, size_t *n);
int authRoles(struct auth *a, char ***names, size_t *n);
/* The roles of a user: ETCFS_USER_NOTFOUND when none. */
int authUserRoles(struct auth *a, const char *user, size_t user_len,
                  char ***roles, size_t *n);
/* The permissions of a role: ETCFS_ROLE_NOTFOUND when none. */
int authRolePerms(struct auth *a, const char *role, size_t role_len,
                  struct auth_perm **perms, size_t *n);
void authNamesFree(char **names, size_t n);
void authPermsFree(struct auth_perm *perms, size_t n);

#endif /* ETCFS_AUTH_H */
