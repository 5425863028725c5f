/* Authentication on the request path (etcd 3.4's simple tokens and
 * bcrypt passwords), shared by every front end:
 *   - who is asking: a token (the gateway's Authorization header, gRPC's
 *     "token" metadata) or a verified client certificate's common name
 *     becomes a user name, which the front end puts on its commands
 *     (struct command.user) and checks its reads with;
 *   - passwords are hashed (user add, passwd) and checked (authenticate)
 *     with bcrypt on the libuv pool, never on the loop;
 *   - tokens: "<16 letters>.<n>", assigned by a replicated command so every
 *     member knows them; each member forgets a token after --auth-token-ttl
 *     seconds without use, when its user is deleted or changes password,
 *     and all of them when auth is disabled.
 * The auth state itself (users, roles, permissions) is replicated in the
 * store (src/store/auth.h); the FSM checks writes (raft/fsm_auth.c).
 * Loop thread only. */
#ifndef ETCFS_AUTHN_H
#define ETCFS_AUTHN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "../store/auth.h"
#include "server.h"

#define AUTHN_NAME_MAX 255 /* bytes of a user or role name */
#define AUTHN_PASSWORD_MAX 4096
#define AUTHN_HASH_SIZE 128
#define AUTHN_TOKEN_SIZE 64

/* Who a request comes from: name "" (len 0) when auth is off. */
struct authn_user
{
    char name[AUTHN_NAME_MAX + 1];
    size_t len;
};

/* Whether auth is on (the replicated state). */
bool authnEnabled(struct server *s);

/* The user of a request: from token (len bytes; NULL/0 none), else from
 * cn (a verified client certificate's common name; NULL none). With auth
 * off: 0 and an empty user, whatever was given. ETCFS_INVALID_TOKEN for a
 * token this member does not know (unknown, expired, forged); a known one
 * is renewed. No token and no cn: 0 with an empty user (the request is
 * then refused where a user is needed: ETCFS_USER_EMPTY). */
int authnIdentify(struct server *s, const char *token, size_t token_len,
                  const char *cn, struct authn_user *who);

/* Sets cmd's user (pointing into who: keep it alive for the call) for the
 * FSM's checks. */
void authnStamp(const struct authn_user *who, struct command *cmd);

/* May who read [key, range_end)? 0, ETCFS_USER_EMPTY or
 * ETCFS_PERMISSION_DENIED (always 0 with auth off). */
int authnRead(struct server *s, const struct authn_user *who,
              const char *key, size_t key_len, const char *range_end,
              size_t range_end_len);
/* ... write [key, range_end)? */
int authnWrite(struct server *s, const struct authn_user *who,
               const char *key, size_t key_len, const char *range_end,
               size_t range_end_len);
/* Is who root (maintenance, membership, auth management)? */
int authnAdmin(struct server *s, const struct authn_user *who);

/* ---- the gate every request passes (authn_gate.c) ---- */
/* What a request needs of its caller when auth is on (the gateway's
 * routes, gRPC's methods). */
enum authn_needs {
    AUTHN_ANYONE = 0, /* nothing (status, member list, authenticate...) */
    AUTHN_USER,       /* a user: the handler or the FSM checks what for */
    AUTHN_ROOT,       /* the root role (membership, move leader) */
    AUTHN_ROOT_MAINT  /* the root role, refused as etcd's maintenance API */
};
/* authnGate's answer for a token this member does not know (yet): not an
 * ETCFS_* code (those start above 1000). */
#define AUTHN_GATE_RECHECK 1
/* May a request that needs needs go on? token (token_len bytes; NULL
 * none) or else cn (a verified client certificate's common name, "" or
 * NULL none) names the user, set in who. 0: it may. AUTHN_GATE_RECHECK:
 * the token is unknown here and rechecked is false: a token just assigned
 * through another member may not be applied here yet, so the front end
 * passes its linearizable read gate and asks again with rechecked true.
 * Else the ETCFS_* code to refuse it with; for AUTHN_ROOT_MAINT also
 * maint_text (ETCFS_ERRMSG_SIZE, "" otherwise): etcd 3.4's
 * authMaintenanceServer returns the auth package's own error ("auth:
 * permission denied"), which gRPC sends as Unknown with that text. */
int authnGate(struct server *s, const char *token, size_t token_len,
              const char *cn, enum authn_needs needs, bool rechecked,
              struct authn_user *who, char *maint_text);

/* ---- etcd's rules for the auth API (every front end) ---- */
/* The name of a user or role change as etcd checks it before proposing
 * (USER_* ops: the user, ROLE_* ops: the role; op borrowed): 0,
 * ETCFS_USER_EMPTY / ETCFS_ROLE_EMPTY, or ETCFS_INVALID with errmsg
 * (ETCFS_ERRMSG_SIZE) for a name over AUTHN_NAME_MAX. */
int authnOpCheck(const struct auth_op *op, char *errmsg);
/* user get (root, or the user itself): the user's roles (transferred:
 * authNamesFree). 0, ETCFS_PERMISSION_DENIED, ETCFS_USER_NOTFOUND... */
int authnUserGet(struct server *s, const struct authn_user *who,
                 const char *name, size_t len, char ***roles, size_t *n);
/* role get (root, or a holder of the role): its permissions
 * (transferred: authPermsFree). */
int authnRoleGet(struct server *s, const struct authn_user *who,
                 const char *role, size_t len, struct auth_perm **perms,
                 size_t *n);
/* user list (users) or role list (root only): sorted names (transferred:
 * authNamesFree). */
int authnList(struct server *s, const struct authn_user *who, bool users,
              char ***names, size_t *n);

/* ---- passwords and tokens (bcrypt on the pool) ---- */
enum { AUTHN_HASH = 1, AUTHN_AUTHENTICATE };
struct authn_req;
/* HASH: status 0 with hash filled. AUTHENTICATE: status 0 with token
 * filled (already known to this member), ETCFS_AUTH_FAILED (no such user,
 * no password, a wrong one), ETCFS_AUTH_NOT_ENABLED, or a write's error. */
typedef void (*authn_cb)(struct authn_req *r, int status);
struct authn_req
{
    void *data;
    authn_cb cb;
    int op;                          /* AUTHN_* */
    char name[AUTHN_NAME_MAX + 1];   /* AUTHENTICATE */
    size_t name_len;
    /* out */
    char hash[AUTHN_HASH_SIZE];
    char token[AUTHN_TOKEN_SIZE];
    /* private */
    struct server *s;
    uv_work_t work;
    char *password;                  /* wiped and freed when done */
    size_t password_len;
    char setting[AUTHN_HASH_SIZE];   /* the stored hash to check against */
    uint64_t checked_rev;            /* the auth revision it was read at */
    unsigned tries;
    unsigned cost;
    int status;
    struct server_write write;
};
/* Starts r (name set for AUTHENTICATE; password copied). 0 (cb fires
 * once), or ETCFS_AUTH_NOT_ENABLED, ETCFS_AUTH_FAILED, ETCFS_INVALID (a
 * password over AUTHN_PASSWORD_MAX), ETCFS_NOMEM at once. */
int authnStart(struct server *s, struct authn_req *r, const char *password,
               size_t password_len);

/* Called for every applied command (cmd NULL: a snapshot replaced the
 * state): keeps this member's tokens in step. */
void authnApplied(struct server *s, const struct command *cmd,
                  const struct command_result *res);

/* The token table (server.c owns it). */
struct authn_tokens;
struct authn_tokens *authnTokensNew(void);
void authnTokensFree(struct authn_tokens *t);

#endif /* ETCFS_AUTHN_H */
