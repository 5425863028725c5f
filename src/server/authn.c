/* Authentication on the request path (authn.h): identities from tokens and
 * certificates, permission questions asked of the replicated auth state,
 * bcrypt on the libuv pool (libxcrypt's crypt_rn: "$2b$" hashes, and etcd's
 * Go "$2a$" ones check the same), and each member's table of simple
 * tokens. Loop thread, except the two work functions (pool). */
#include "authn.h"

#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "../core/error.h"
#include "../lib/hash.h"
#include "../lib/log.h"
#include "server_internal.h"

#define AUTHN__BUCKETS 1024
#define AUTHN__TOKEN_LETTERS 16 /* etcd's simple token prefix */

/* ---- the token table ---- */

struct authn_token
{
    struct authn_token *next;
    uint64_t expires_ms; /* uv_now */
    size_t user_len;
    char user[AUTHN_NAME_MAX + 1];
    char token[AUTHN_TOKEN_SIZE];
};

struct authn_tokens
{
    struct authn_token *buckets[AUTHN__BUCKETS];
    size_t n;
    size_t n_at_sweep; /* entries after the last sweep */
};

struct authn_tokens *authnTokensNew(void)
{
    return calloc(1, sizeof(struct authn_tokens));
}

/* Removes the entries for which drop(entry, arg) is true. */
static void tokensFilter(struct authn_tokens *t,
                         bool (*drop)(const struct authn_token *, void *),
                         void *arg)
{
    size_t i;
    for (i = 0; i < AUTHN__BUCKETS; i++) {
        struct authn_token **pp = &t->buckets[i];
        while (*pp != NULL) {
            struct authn_token *e = *pp;
            if (drop(e, arg)) {
                *pp = e->next;
                free(e);
                t->n--;
            } else {
                pp = &e->next;
            }
        }
    }
    t->n_at_sweep = t->n;
}

static bool dropAll(const struct authn_token *e, void *arg)
{
    (void)e;
    (void)arg;
    return true;
}

void authnTokensFree(struct authn_tokens *t)
{
    if (t != NULL) {
        tokensFilter(t, dropAll, NULL);
        free(t);
    }
}

static size_t tokenHash(const char *p, size_t n)
{
    return (size_t)(hashBytes(p, n) % AUTHN__BUCKETS);
}

static struct authn_token *tokenFind(struct authn_tokens *t, const char *tok,
                                     size_t len)
{
    struct authn_token *e = t->buckets[tokenHash(tok, len)];
    for (; e != NULL; e = e->next) {
        if (strlen(e->token) == len && memcmp(e->token, tok, len) == 0) {
            return e;
        }
    }
    return NULL;
}

static bool dropExpired(const struct authn_token *e, void *arg)
{
    return e->expires_ms <= *(uint64_t *)arg;
}

static uint64_t ttlMs(struct server *s)
{
    return (uint64_t)s->deps.config->auth_token_ttl * 1000;
}

static void tokenAdd(struct server *s, const char *tok, size_t tok_len,
                     const char *user, size_t user_len)
{
    struct authn_tokens *t = s->tokens;
    struct authn_token *e;
    uint64_t now = uv_now(s->deps.loop);
    size_t b;
    if (tok_len == 0 || tok_len >= AUTHN_TOKEN_SIZE ||
        user_len > AUTHN_NAME_MAX || tokenFind(t, tok, tok_len) != NULL) {
        return;
    }
    if (t->n >= 2 * t->n_at_sweep + 64) {
        tokensFilter(t, dropExpired, &now); /* amortized: no timer needed */
    }
    e = calloc(1, sizeof *e);
    if (e == NULL) {
        return; /* the client's next request says invalid token */
    }
    memcpy(e->token, tok, tok_len);
    memcpy(e->user, user, user_len);
    e->user_len = user_len;
    e->expires_ms = now + ttlMs(s);
    b = tokenHash(tok, tok_len);
    e->next = t->buckets[b];
    t->buckets[b] = e;
    t->n++;
}

struct user_arg
{
    const char *name;
    size_t len;
    struct auth *auth;
};

static bool dropUser(const struct authn_token *e, void *arg)
{
    const struct user_arg *u = arg;
    return e->user_len == u->len && memcmp(e->user, u->name, u->len) == 0;
}

static bool dropGoneUser(const struct authn_token *e, void *arg)
{
    const struct user_arg *u = arg;
    char hash[AUTHN_HASH_SIZE];
    bool no_password;
    return authPasswordHash(u->auth, e->user, e->user_len, hash, sizeof hash,
                            &no_password) != 0;
}

void authnApplied(struct server *s, const struct command *cmd,
                  const struct command_result *res)
{
    struct user_arg u = {NULL, 0, storeAuth(s->deps.store)};
    if (cmd == NULL) {
        /* a snapshot replaced the state: users may be gone */
        tokensFilter(s->tokens, dropGoneUser, &u);
        return;
    }
    if (cmd->type != COMMAND_AUTH || res->status != 0) {
        return;
    }
    switch (cmd->auth.type) {
        case AUTH_OP_TOKEN:
            tokenAdd(s, cmd->auth.token, cmd->auth.token_len, cmd->auth.name,
                     cmd->auth.name_len);
            break;
        case AUTH_OP_USER_DELETE:
        case AUTH_OP_USER_PASSWD:
            u.name = cmd->auth.name;
            u.len = cmd->auth.name_len;
            tokensFilter(s->tokens, dropUser, &u);
            break;
        case AUTH_OP_DISABLE:
            tokensFilter(s->tokens, dropAll, NULL);
            break;
        default:
            break;
    }
}

/* ---- identities and permissions ---- */

bool authnEnabled(struct server *s)
{
    return authEnabled(storeAuth(s->deps.store));
}

int authnIdentify(struct server *s, const char *token, size_t token_len,
                  const char *cn, struct authn_user *who)
{
    who->name[0] = '\0';
    who->len = 0;
    if (!authnEnabled(s)) {
        return 0;
    }
    if (token != NULL && token_len > 0) {
        struct authn_token *e = tokenFind(s->tokens, token, token_len);
        uint64_t now = uv_now(s->deps.loop);
        if (e == NULL || e->expires_ms <= now) {
            return ETCFS_INVALID_TOKEN;
        }
        e->expires_ms = now + ttlMs(s); /* etcd renews a simple token */
        memcpy(who->name, e->user, e->user_len + 1);
        who->len = e->user_len;
        return 0;
    }
    if (cn != NULL && cn[0] != '\0' && strlen(cn) <= AUTHN_NAME_MAX) {
        who->len = strlen(cn);
        memcpy(who->name, cn, who->len + 1);
    }
    return 0;
}

void authnStamp(const struct authn_user *who, struct command *cmd)
{
    cmd->user = who->len > 0 ? who->name : NULL;
    cmd->user_len = who->len;
}

static int check(struct server *s, const struct authn_user *who,
                 const char *key, size_t key_len, const char *range_end,
                 size_t range_end_len, int type)
{
    struct auth *a = storeAuth(s->deps.store);
    /* the current revision: a read is checked where it is served */
    return authCheck(a, who->name, who->len, authRevision(a), key, key_len,
                     range_end, range_end_len, type);
}

int authnRead(struct server *s, const struct authn_user *who,
              const char *key, size_t key_len, const char *range_end,
              size_t range_end_len)
{
    return check(s, who, key, key_len, range_end, range_end_len, AUTH_READ);
}

int authnWrite(struct server *s, const struct authn_user *who,
               const char *key, size_t key_len, const char *range_end,
               size_t range_end_len)
{
    return check(s, who, key, key_len, range_end, range_end_len, AUTH_WRITE);
}

int authnAdmin(struct server *s, const struct authn_user *who)
{
    return authAdmin(storeAuth(s->deps.store), who->name, who->len);
}

/* ---- etcd's rules for the auth API's reads and changes ---- */

int authnOpCheck(const struct auth_op *op, char *errmsg)
{
    int empty;
    switch (op->type) {
        case AUTH_OP_USER_ADD:
        case AUTH_OP_USER_DELETE:
        case AUTH_OP_USER_PASSWD:
        case AUTH_OP_USER_GRANT:
        case AUTH_OP_USER_REVOKE:
            empty = ETCFS_USER_EMPTY;
            break;
        case AUTH_OP_ROLE_ADD:
        case AUTH_OP_ROLE_DELETE:
        case AUTH_OP_ROLE_GRANT:
        case AUTH_OP_ROLE_REVOKE:
            empty = ETCFS_ROLE_EMPTY;
            break;
        default:
            return 0;
    }
    if (op->name_len == 0) {
        return empty;
    }
    if (op->name_len > AUTHN_NAME_MAX) {
        snprintf(errmsg, ETCFS_ERRMSG_SIZE, "name longer than 255 bytes");
        return ETCFS_INVALID;
    }
    return 0;
}

int authnUserGet(struct server *s, const struct authn_user *who,
                 const char *name, size_t len, char ***roles, size_t *n)
{
    *roles = NULL;
    *n = 0;
    /* etcd: root or the user itself */
    if (authnAdmin(s, who) != 0 &&
        !(len == who->len && memcmp(name, who->name, len) == 0)) {
        return ETCFS_PERMISSION_DENIED;
    }
    return authUserRoles(storeAuth(s->deps.store), name, len, roles, n);
}

int authnRoleGet(struct server *s, const struct authn_user *who,
                 const char *role, size_t len, struct auth_perm **perms,
                 size_t *n)
{
    struct auth *a = storeAuth(s->deps.store);
    *perms = NULL;
    *n = 0;
    /* etcd: root or a holder of the role */
    if (authnAdmin(s, who) != 0 &&
        !authHasRole(a, who->name, who->len, role, len)) {
        return ETCFS_PERMISSION_DENIED;
    }
    return authRolePerms(a, role, len, perms, n);
}

int authnList(struct server *s, const struct authn_user *who, bool users,
              char ***names, size_t *n)
{
    struct auth *a = storeAuth(s->deps.store);
    int rv = authnAdmin(s, who); /* etcd: root only */
    *names = NULL;
    *n = 0;
    if (rv != 0) {
        return rv;
    }
    return users ? authUsers(a, names, n) : authRoles(a, names, n);
}

/* ---- bcrypt on the pool ---- */

static void wipeFree(char *p, size_t n)
{
    if (p != NULL) {
        explicit_bzero(p, n);
        free(p);
    }
}

/* Pool thread: only r's private fields. */
static void hashWork(uv_work_t *w)
{
    struct authn_req *r = w->data;
    struct crypt_data *cd = calloc(1, sizeof *cd);
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    const char *out;
    r->status = ETCFS_NOMEM;
    if (cd == NULL) {
        return;
    }
    if (r->op == AUTHN_HASH) {
        if (crypt_gensalt_rn("$2b$", r->cost, NULL, 0, salt, sizeof salt) ==
            NULL) {
            r->status = ETCFS_IO;
        } else {
            out = crypt_rn(r->password, salt, cd, sizeof *cd);
            if (out == NULL || out[0] == '*' ||
                strlen(out) >= sizeof r->hash) {
                r->status = ETCFS_IO;
            } else {
                strcpy(r->hash, out);
                r->status = 0;
            }
        }
    } else {
        out = crypt_rn(r->password, r->setting, cd, sizeof *cd);
        r->status = ETCFS_AUTH_FAILED;
        if (out != NULL && out[0] != '*' &&
            strlen(out) == strlen(r->setting)) {
            /* compare every byte: no early exit on the first difference */
            unsigned char diff = 0;
            size_t i;
            for (i = 0; out[i] != '\0'; i++) {
                diff |= (unsigned char)(out[i] ^ r->setting[i]);
            }
            r->status = diff == 0 ? 0 : ETCFS_AUTH_FAILED;
        }
    }
    explicit_bzero(cd, sizeof *cd);
    free(cd);
}

static void reqFinish(struct authn_req *r, int status)
{
    wipeFree(r->password, r->password_len);
    r->password = NULL;
    r->s->inflight--;
    r->cb(r, status);
}

static int checkStart(struct authn_req *r);

static void tokenWriteCb(struct server_write *w, int status,
                         struct command_result *res)
{
    struct authn_req *r = w->data;
    if (status == 0) {
        status = res->status;
        commandResultFree(res);
    }
    if (status == ETCFS_AUTH_OLD_REVISION && r->tries < 3) {
        /* the auth state changed since the password was checked (etcd
         * 3.4 retries then too): check it again against the new state */
        status = checkStart(r);
        if (status == 0) {
            r->s->inflight--; /* checkStart counted it once more */
            return;
        }
    }
    reqFinish(r, status);
}

/* "<16 letters>.<n>", as etcd's simple tokens look. */
static void tokenMake(struct server *s, char *out, size_t size)
{
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    unsigned char rnd[AUTHN__TOKEN_LETTERS];
    char prefix[AUTHN__TOKEN_LETTERS + 1];
    size_t i;
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        uint64_t x = uv_hrtime() ^ (uintptr_t)out;
        for (i = 0; i < sizeof rnd; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            rnd[i] = (unsigned char)(x >> 33);
        }
    }
    for (i = 0; i < AUTHN__TOKEN_LETTERS; i++) {
        prefix[i] = letters[rnd[i] % 52];
    }
    prefix[AUTHN__TOKEN_LETTERS] = '\0';
    snprintf(out, size, "%s.%llu", prefix,
             (unsigned long long)++s->token_seq);
}

static void hashAfter(uv_work_t *w, int uvstatus)
{
    struct authn_req *r = w->data;
    struct command cmd = {0};
    int status = uvstatus != 0 ? ETCFS_CANCELED : r->status;
    if (status != 0 || r->op == AUTHN_HASH) {
        if (status == ETCFS_AUTH_FAILED) {
            warnf("authentication of user %s failed: wrong password",
                  r->name);
        }
        reqFinish(r, status);
        return;
    }
    /* the password is right: a token every member will know */
    tokenMake(r->s, r->token, sizeof r->token);
    cmd.type = COMMAND_AUTH;
    cmd.auth.type = AUTH_OP_TOKEN;
    cmd.auth.name = r->name;
    cmd.auth.name_len = r->name_len;
    cmd.auth.token = r->token;
    cmd.auth.token_len = strlen(r->token);
    cmd.auth_revision = r->checked_rev; /* the FSM refuses an older one */
    memset(&r->write, 0, sizeof r->write);
    r->write.data = r;
    r->write.cb = tokenWriteCb;
    r->write.local_apply = true; /* usable here as soon as it is returned */
    status = serverWrite(r->s, &r->write, &cmd);
    if (status != 0) {
        reqFinish(r, status);
    }
}

/* Reads the stored hash (AUTHENTICATE) and queues the bcrypt work. */
static int checkStart(struct authn_req *r)
{
    struct server *s = r->s;
    int rv;
    if (r->op == AUTHN_AUTHENTICATE) {
        struct auth *a = storeAuth(s->deps.store);
        bool no_password = false;
        if (!authEnabled(a)) {
            return ETCFS_AUTH_NOT_ENABLED;
        }
        /* the revision first: a change in between makes it older, never
         * newer, than the hash it goes with */
        r->checked_rev = authRevision(a);
        if (r->name_len > AUTHN_NAME_MAX ||
            authPasswordHash(a, r->name, r->name_len, r->setting,
                             sizeof r->setting, &no_password) != 0 ||
            no_password || r->setting[0] == '\0') {
            warnf("authentication of user %.*s failed: no such user or no "
                  "password",
                  (int)(r->name_len > 64 ? 64 : r->name_len), r->name);
            return ETCFS_AUTH_FAILED;
        }
    }
    r->tries++;
    r->work.data = r;
    rv = uv_queue_work(s->deps.loop, &r->work, hashWork, hashAfter);
    if (rv != 0) {
        return ETCFS_IO;
    }
    s->inflight++;
    return 0;
}

int authnStart(struct server *s, struct authn_req *r, const char *password,
               size_t password_len)
{
    int rv;
    r->s = s;
    r->hash[0] = '\0';
    r->token[0] = '\0';
    r->tries = 0;
    r->cost = s->deps.config->bcrypt_cost;
    if (password_len > AUTHN_PASSWORD_MAX ||
        memchr(password, '\0', password_len) != NULL) {
        /* crypt_rn takes a C string: a NUL would cut the password short */
        return r->op == AUTHN_AUTHENTICATE ? ETCFS_AUTH_FAILED
                                           : ETCFS_INVALID;
    }
    if (r->op == AUTHN_AUTHENTICATE && !authnEnabled(s)) {
        return ETCFS_AUTH_NOT_ENABLED;
    }
    r->password = malloc(password_len + 1);
    if (r->password == NULL) {
        return ETCFS_NOMEM;
    }
    memcpy(r->password, password, password_len);
    r->password[password_len] = '\0';
    r->password_len = password_len + 1;
    rv = checkStart(r);
    if (rv != 0) {
        wipeFree(r->password, r->password_len);
        r->password = NULL;
    }
    return rv;
}
