/* Unit tests of src/store/auth.c and auth_codec.c: the authentication
 * state alone (no store), against etcd 3.4's auth/store.go (what each
 * change requires, what root may not lose while auth is on, which changes
 * bump the revision) and range_perm_cache.go (a range is allowed when the
 * union of the user's permitted intervals of that kind covers it, a key
 * when one interval holds it, range_end "\0" reaches the end of the
 * keyspace, the root role allows everything); then the encoding: a round
 * trip keeps everything, truncated or damaged bytes are refused with
 * ETCFS_CORRUPT and never crash. The store-level part (persistence,
 * snapshots) is in test_store.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/core/error.h"
#include "../../src/lib/buf.h"
#include "../../src/store/auth.h"

/* ---- fixture ---- */

struct fixture
{
    struct auth *a;
};

static int setUp(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->a = authNew();
    assert_non_null(f->a);
    *state = f;
    return 0;
}

static int tearDown(void **state)
{
    struct fixture *f = *state;
    authFree(f->a);
    free(f);
    return 0;
}

/* ---- helpers ---- */

/* A string literal and its length: S("\0") is the one byte etcd's
 * range_end "\0" is, S("") a single key. */
#define S(LIT) (LIT), (sizeof(LIT) - 1)

#define HASH "$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234"

static int apply(struct auth *a, int type, const char *name, const char *role)
{
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = type;
    op.name = name;
    op.name_len = name != NULL ? strlen(name) : 0;
    op.role = role;
    op.role_len = role != NULL ? strlen(role) : 0;
    if (type == AUTH_OP_USER_ADD || type == AUTH_OP_USER_PASSWD) {
        op.hash = HASH;
        op.hash_len = strlen(HASH);
    }
    return authApply(a, &op);
}

#define USER_ADD(A, N) apply((A), AUTH_OP_USER_ADD, (N), NULL)
#define USER_DELETE(A, N) apply((A), AUTH_OP_USER_DELETE, (N), NULL)
#define USER_GRANT(A, N, R) apply((A), AUTH_OP_USER_GRANT, (N), (R))
#define USER_REVOKE(A, N, R) apply((A), AUTH_OP_USER_REVOKE, (N), (R))
#define ROLE_ADD(A, N) apply((A), AUTH_OP_ROLE_ADD, (N), NULL)
#define ROLE_DELETE(A, N) apply((A), AUTH_OP_ROLE_DELETE, (N), NULL)
#define ENABLE(A) apply((A), AUTH_OP_ENABLE, NULL, NULL)
#define DISABLE(A) apply((A), AUTH_OP_DISABLE, NULL, NULL)

static int userAddNoPassword(struct auth *a, const char *name)
{
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_USER_ADD;
    op.name = name;
    op.name_len = strlen(name);
    op.hash = "";
    op.no_password = true;
    return authApply(a, &op);
}

static int permOp(struct auth *a, int type, const char *role, int perm_type,
                  const char *key, size_t key_len, const char *end,
                  size_t end_len)
{
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = type;
    op.name = role;
    op.name_len = strlen(role);
    op.perm_type = perm_type;
    op.key = key;
    op.key_len = key_len;
    op.range_end = end;
    op.range_end_len = end_len;
    return authApply(a, &op);
}

/* ROLE_GRANT(a, "r", AUTH_READ, "/k", "/l"): literals, "" one key, "\0"
 * from the key on. */
#define ROLE_GRANT(A, R, T, K, E)                                             \
    permOp((A), AUTH_OP_ROLE_GRANT, (R), (T), S(K), S(E))
#define ROLE_REVOKE(A, R, K, E)                                               \
    permOp((A), AUTH_OP_ROLE_REVOKE, (R), 0, S(K), S(E))

/* user's check on [K, E) at the current revision. */
#define CHECK(A, U, K, E, T)                                                  \
    authCheck((A), (U), strlen(U), authRevision(A), S(K), S(E), (T))

/* A root user with the root role, and auth on. */
static void enableWithRoot(struct auth *a)
{
    assert_int_equal(USER_ADD(a, "root"), 0);
    assert_int_equal(USER_GRANT(a, "root", "root"), 0);
    assert_int_equal(ENABLE(a), 0);
    assert_true(authEnabled(a));
}

/* The state's bytes (malloc'd into b). */
static void encode(struct auth *a, struct buf *b)
{
    memset(b, 0, sizeof *b);
    assert_int_equal(authEncode(a, b), 0);
    assert_true(b->len > 0);
}

/* ---- assertions ---- */

/* The names (NULL-terminated list of expected ones) in this order. */
static void expectNames(char **names, size_t n, va_list ap)
{
    size_t i = 0;
    const char *want;
    while ((want = va_arg(ap, const char *)) != NULL) {
        assert_true(i < n);
        assert_string_equal(names[i], want);
        i++;
    }
    assert_int_equal(n, i);
    authNamesFree(names, n);
}

static void expectUsers(struct auth *a, ...)
{
    char **names = NULL;
    size_t n = 0;
    va_list ap;
    assert_int_equal(authUsers(a, &names, &n), 0);
    va_start(ap, a);
    expectNames(names, n, ap);
    va_end(ap);
}

static void expectRoles(struct auth *a, ...)
{
    char **names = NULL;
    size_t n = 0;
    va_list ap;
    assert_int_equal(authRoles(a, &names, &n), 0);
    va_start(ap, a);
    expectNames(names, n, ap);
    va_end(ap);
}

static void expectUserRoles(struct auth *a, const char *user, ...)
{
    char **names = NULL;
    size_t n = 0;
    va_list ap;
    assert_int_equal(authUserRoles(a, user, strlen(user), &names, &n), 0);
    va_start(ap, user);
    expectNames(names, n, ap);
    va_end(ap);
}

/* Role r has n permissions; returns them (free with authPermsFree). */
static struct auth_perm *rolePerms(struct auth *a, const char *r, size_t n)
{
    struct auth_perm *perms = NULL;
    size_t got = 0;
    assert_int_equal(authRolePerms(a, r, strlen(r), &perms, &got), 0);
    assert_int_equal(got, n);
    return perms;
}

#define EXPECT_PERM(P, T, K, E)                                               \
    do {                                                                      \
        assert_int_equal((P).type, (T));                                      \
        assert_int_equal((P).key_len, sizeof(K) - 1);                         \
        assert_memory_equal((P).key, (K), sizeof(K) - 1);                     \
        assert_int_equal((P).range_end_len, sizeof(E) - 1);                   \
        assert_memory_equal((P).range_end, (E), sizeof(E) - 1);               \
    } while (0)

/* Two states encode to the same bytes. */
static void expectSameState(struct auth *a, struct auth *b)
{
    struct buf ea;
    struct buf eb;
    encode(a, &ea);
    encode(b, &eb);
    assert_int_equal(ea.len, eb.len);
    assert_memory_equal(ea.data, eb.data, ea.len);
    bufFree(&ea);
    bufFree(&eb);
}

/* ---- users ---- */

/* etcd UserAdd: a name is required and unique; users list sorted; the
 * hash (or no password) is kept. */
static void testUserAdd(void **state)
{
    struct fixture *f = *state;
    char hash[128];
    bool no_password = true;
    expectUsers(f->a, NULL);
    assert_int_equal(USER_ADD(f->a, "bob"), 0);
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(USER_ADD(f->a, "alice"), ETCFS_USER_EXISTS);
    assert_int_equal(USER_ADD(f->a, ""), ETCFS_USER_EMPTY);
    assert_int_equal(userAddNoPassword(f->a, "carol"), 0);
    assert_int_equal(userAddNoPassword(f->a, "carol"), ETCFS_USER_EXISTS);
    expectUsers(f->a, "alice", "bob", "carol", NULL);
    expectUserRoles(f->a, "alice", NULL);

    assert_int_equal(
        authPasswordHash(f->a, S("alice"), hash, sizeof hash, &no_password),
        0);
    assert_string_equal(hash, HASH);
    assert_false(no_password);
    assert_int_equal(
        authPasswordHash(f->a, S("carol"), hash, sizeof hash, &no_password),
        0);
    assert_string_equal(hash, "");
    assert_true(no_password);
    assert_int_equal(
        authPasswordHash(f->a, S("dave"), hash, sizeof hash, &no_password),
        ETCFS_AUTH_FAILED);
    /* a buffer too small for the hash is not overrun */
    assert_int_equal(authPasswordHash(f->a, S("alice"), hash, 10,
                                      &no_password),
                     ETCFS_AUTH_FAILED);
}

/* etcd UserDelete: an unknown user is ETCFS_USER_NOTFOUND; a deleted user
 * comes back without its roles. */
static void testUserDelete(void **state)
{
    struct fixture *f = *state;
    char **names;
    size_t n;
    assert_int_equal(USER_DELETE(f->a, "alice"), ETCFS_USER_NOTFOUND);
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), 0);
    assert_int_equal(USER_DELETE(f->a, "alice"), 0);
    assert_int_equal(USER_DELETE(f->a, "alice"), ETCFS_USER_NOTFOUND);
    expectUsers(f->a, NULL);
    assert_int_equal(authUserRoles(f->a, S("alice"), &names, &n),
                     ETCFS_USER_NOTFOUND);
    assert_false(authHasRole(f->a, S("alice"), S("app")));
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    expectUserRoles(f->a, "alice", NULL);
    expectRoles(f->a, "app", NULL); /* the role stays */
}

/* etcd UserChangePassword: the user must exist; the hash is replaced, the
 * roles and the no-password option are kept. */
static void testUserPasswd(void **state)
{
    struct fixture *f = *state;
    struct auth_op op;
    char hash[128];
    bool no_password = false;
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_USER_PASSWD;
    op.name = "alice";
    op.name_len = 5;
    op.hash = "$2b$10$new";
    op.hash_len = strlen(op.hash);
    assert_int_equal(authApply(f->a, &op), ETCFS_USER_NOTFOUND);
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), 0);
    assert_int_equal(authApply(f->a, &op), 0);
    assert_int_equal(
        authPasswordHash(f->a, S("alice"), hash, sizeof hash, &no_password),
        0);
    assert_string_equal(hash, "$2b$10$new");
    expectUserRoles(f->a, "alice", "app", NULL);

    /* etcd keeps user.Options: a no-password user stays one */
    assert_int_equal(userAddNoPassword(f->a, "cn"), 0);
    op.name = "cn";
    op.name_len = 2;
    assert_int_equal(authApply(f->a, &op), 0);
    assert_int_equal(
        authPasswordHash(f->a, S("cn"), hash, sizeof hash, &no_password), 0);
    assert_true(no_password);
}

/* etcd UserGrantRole / UserRevokeRole: user and role must exist, except
 * the root role which needs no role entry; granting twice changes
 * nothing; revoking a role not held is ETCFS_ROLE_NOT_GRANTED. */
static void testUserGrantRevoke(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), ETCFS_USER_NOTFOUND);
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), ETCFS_ROLE_NOTFOUND);
    assert_int_equal(USER_GRANT(f->a, "alice", "root"), 0);
    expectRoles(f->a, NULL); /* root granted, no role entry made */
    assert_int_equal(ROLE_ADD(f->a, "zeta"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "zeta"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), 0);
    expectUserRoles(f->a, "alice", "app", "root", "zeta", NULL);
    assert_true(authHasRole(f->a, S("alice"), S("app")));
    assert_true(authHasRole(f->a, S("alice"), S("root")));
    assert_false(authHasRole(f->a, S("alice"), S("ap")));
    assert_false(authHasRole(f->a, S("bob"), S("app")));

    assert_int_equal(USER_REVOKE(f->a, "bob", "app"), ETCFS_USER_NOTFOUND);
    assert_int_equal(USER_REVOKE(f->a, "alice", "app"), 0);
    assert_int_equal(USER_REVOKE(f->a, "alice", "app"),
                     ETCFS_ROLE_NOT_GRANTED);
    assert_int_equal(USER_REVOKE(f->a, "alice", "nosuch"),
                     ETCFS_ROLE_NOT_GRANTED);
    /* auth off: root may lose the root role */
    assert_int_equal(USER_REVOKE(f->a, "alice", "root"), 0);
    expectUserRoles(f->a, "alice", "zeta", NULL);
}

/* ---- roles ---- */

/* etcd RoleAdd / RoleDelete: names required and unique; deleting a role
 * takes it from every user that held it. */
static void testRoleAddDelete(void **state)
{
    struct fixture *f = *state;
    struct auth_perm *perms;
    size_t n;
    assert_int_equal(ROLE_ADD(f->a, ""), ETCFS_ROLE_EMPTY);
    assert_int_equal(ROLE_ADD(f->a, "web"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), ETCFS_ROLE_EXISTS);
    expectRoles(f->a, "app", "web", NULL);
    assert_int_equal(ROLE_DELETE(f->a, "nosuch"), ETCFS_ROLE_NOTFOUND);

    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(USER_ADD(f->a, "bob"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "app"), 0);
    assert_int_equal(USER_GRANT(f->a, "alice", "web"), 0);
    assert_int_equal(USER_GRANT(f->a, "bob", "app"), 0);
    assert_int_equal(ROLE_DELETE(f->a, "app"), 0);
    assert_int_equal(ROLE_DELETE(f->a, "app"), ETCFS_ROLE_NOTFOUND);
    expectRoles(f->a, "web", NULL);
    expectUserRoles(f->a, "alice", "web", NULL);
    expectUserRoles(f->a, "bob", NULL);
    assert_int_equal(authRolePerms(f->a, S("app"), &perms, &n),
                     ETCFS_ROLE_NOTFOUND);
    /* a new role of the same name is not granted to anyone */
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_false(authHasRole(f->a, S("bob"), S("app")));
    /* auth off: the root role may go */
    assert_int_equal(ROLE_ADD(f->a, "root"), 0);
    assert_int_equal(ROLE_DELETE(f->a, "root"), 0);
}

/* etcd RoleGrantPermission: the same key and range_end is updated in
 * place (the new type wins), anything else is another permission, kept
 * sorted by key; one key's permissions in the order they were granted. */
static void testRoleGrantPermission(void **state)
{
    struct fixture *f = *state;
    struct auth_perm *p;
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/a", "/b"),
                     ETCFS_ROLE_NOTFOUND);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/m/", "/m0"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_WRITE, "/a", ""), 0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/m/", "\0"), 0);
    p = rolePerms(f->a, "app", 3);
    EXPECT_PERM(p[0], AUTH_WRITE, "/a", "");
    EXPECT_PERM(p[1], AUTH_READ, "/m/", "/m0");
    EXPECT_PERM(p[2], AUTH_READ, "/m/", "\0");
    authPermsFree(p, 3);

    /* the same range again: replaced, not added */
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READWRITE, "/m/", "/m0"),
                     0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/a", ""), 0);
    p = rolePerms(f->a, "app", 3);
    EXPECT_PERM(p[0], AUTH_READ, "/a", "");
    EXPECT_PERM(p[1], AUTH_READWRITE, "/m/", "/m0");
    EXPECT_PERM(p[2], AUTH_READ, "/m/", "\0");
    authPermsFree(p, 3);

    /* keys are bytes: a NUL inside is kept */
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_WRITE, "/a\0b", "/a\0c"), 0);
    p = rolePerms(f->a, "app", 4);
    EXPECT_PERM(p[1], AUTH_WRITE, "/a\0b", "/a\0c");
    authPermsFree(p, 4);

    /* an unknown permission type is refused */
    assert_int_equal(ROLE_GRANT(f->a, "app", 3, "/x", ""), ETCFS_INVALID);
    assert_int_equal(ROLE_GRANT(f->a, "app", -1, "/x", ""), ETCFS_INVALID);
    authPermsFree(rolePerms(f->a, "app", 4), 4);
    /* a role without permissions lists none */
    assert_int_equal(ROLE_ADD(f->a, "empty"), 0);
    authPermsFree(rolePerms(f->a, "empty", 0), 0);
}

/* etcd RoleRevokePermission: the exact key and range_end must be granted
 * (else ETCFS_PERMISSION_NOT_GRANTED). */
static void testRoleRevokePermission(void **state)
{
    struct fixture *f = *state;
    struct auth_perm *p;
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a", ""), ETCFS_ROLE_NOTFOUND);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a", ""),
                     ETCFS_PERMISSION_NOT_GRANTED);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/a/", "/a0"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READ, "/a", ""), 0);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a/", "/a1"),
                     ETCFS_PERMISSION_NOT_GRANTED);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a/", ""),
                     ETCFS_PERMISSION_NOT_GRANTED);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a/", "\0"),
                     ETCFS_PERMISSION_NOT_GRANTED);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a/", "/a0"), 0);
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/a/", "/a0"),
                     ETCFS_PERMISSION_NOT_GRANTED);
    p = rolePerms(f->a, "app", 1);
    EXPECT_PERM(p[0], AUTH_READ, "/a", "");
    authPermsFree(p, 1);
}

/* Names are NUL-terminated inside the state: a user or role name holding
 * a NUL is refused (else "r\0x" would be stored, and act, as "r"). */
static void testNamesWithNul(void **state)
{
    struct fixture *f = *state;
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_ROLE_ADD;
    op.name = "root\0x";
    op.name_len = 6;
    assert_int_equal(authApply(f->a, &op), ETCFS_INVALID);
    op.type = AUTH_OP_USER_ADD;
    op.hash = HASH;
    op.hash_len = strlen(HASH);
    assert_int_equal(authApply(f->a, &op), ETCFS_INVALID);
    expectUsers(f->a, NULL);
    expectRoles(f->a, NULL);
    assert_int_equal(authRevision(f->a), 1);
}

/* An empty string may come as NULL with length 0 (a field left out of a
 * request): the same as "". */
static void testNullEmpty(void **state)
{
    struct fixture *f = *state;
    struct auth_perm *p;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(
        permOp(f->a, AUTH_OP_ROLE_GRANT, "r", AUTH_READ, S("/k"), NULL, 0), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/a", ""), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_WRITE, "/k", ""), 0);
    p = rolePerms(f->a, "r", 2);
    EXPECT_PERM(p[1], AUTH_WRITE, "/k", "");
    authPermsFree(p, 2);
    assert_int_equal(authCheck(f->a, S("u"), authRevision(f->a), S("/k"),
                               NULL, 0, AUTH_WRITE),
                     0);
    assert_int_equal(authCheck(f->a, S("u"), authRevision(f->a), NULL, 0,
                               NULL, 0, AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(
        permOp(f->a, AUTH_OP_ROLE_REVOKE, "r", 0, S("/k"), NULL, 0), 0);
    assert_int_equal(permOp(f->a, AUTH_OP_ROLE_GRANT, "r", AUTH_READ, NULL, 0,
                            S("\0")),
                     0);
    assert_int_equal(authCheck(f->a, S("u"), authRevision(f->a), S("/z"),
                               NULL, 0, AUTH_READ),
                     0);
    assert_int_equal(apply(f->a, AUTH_OP_USER_REVOKE, "u", NULL),
                     ETCFS_ROLE_NOT_GRANTED);
    assert_int_equal(apply(f->a, AUTH_OP_USER_GRANT, "u", NULL),
                     ETCFS_ROLE_NOTFOUND);
    assert_int_equal(apply(f->a, AUTH_OP_USER_DELETE, NULL, NULL),
                     ETCFS_USER_NOTFOUND);
    assert_int_equal(apply(f->a, AUTH_OP_ROLE_DELETE, NULL, NULL),
                     ETCFS_ROLE_NOTFOUND);
}

/* ---- enable, disable and root ---- */

/* etcd AuthEnable: needs a root user holding the root role; enabling
 * again is not an error; disable always works. */
static void testEnable(void **state)
{
    struct fixture *f = *state;
    assert_false(authEnabled(f->a));
    assert_int_equal(ENABLE(f->a), ETCFS_ROOT_USER_NOT_EXIST);
    assert_int_equal(USER_ADD(f->a, "root"), 0);
    assert_int_equal(ENABLE(f->a), ETCFS_ROOT_ROLE_NOT_EXIST);
    assert_int_equal(ROLE_ADD(f->a, "root"), 0); /* the role alone: no */
    assert_int_equal(ENABLE(f->a), ETCFS_ROOT_ROLE_NOT_EXIST);
    assert_false(authEnabled(f->a));
    assert_int_equal(USER_GRANT(f->a, "root", "root"), 0);
    assert_int_equal(ENABLE(f->a), 0);
    assert_true(authEnabled(f->a));
    assert_int_equal(ENABLE(f->a), 0);
    assert_true(authEnabled(f->a));
    assert_int_equal(DISABLE(f->a), 0);
    assert_false(authEnabled(f->a));
    assert_int_equal(DISABLE(f->a), 0);
    assert_false(authEnabled(f->a));
}

/* etcd: while auth is on, the root user cannot be deleted, lose the root
 * role, nor can the root role be deleted (ETCFS_INVALID_AUTH_MGMT); other
 * users may lose root, and with auth off everything goes. */
static void testRootProtected(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_DELETE(f->a, "root"), ETCFS_INVALID_AUTH_MGMT);
    assert_int_equal(USER_REVOKE(f->a, "root", "root"),
                     ETCFS_INVALID_AUTH_MGMT);
    assert_int_equal(ROLE_DELETE(f->a, "root"), ETCFS_INVALID_AUTH_MGMT);
    expectUsers(f->a, "root", NULL);
    expectUserRoles(f->a, "root", "root", NULL);

    assert_int_equal(USER_ADD(f->a, "admin"), 0);
    assert_int_equal(USER_GRANT(f->a, "admin", "root"), 0);
    assert_int_equal(authAdmin(f->a, S("admin")), 0);
    assert_int_equal(USER_REVOKE(f->a, "admin", "root"), 0);
    assert_int_equal(authAdmin(f->a, S("admin")), ETCFS_PERMISSION_DENIED);
    assert_int_equal(USER_DELETE(f->a, "admin"), 0);

    /* token assignment is decided here too: only with auth on */
    {
        struct auth_op op;
        memset(&op, 0, sizeof op);
        op.type = AUTH_OP_TOKEN;
        op.name = "root";
        op.name_len = 4;
        op.token = "tok";
        op.token_len = 3;
        assert_int_equal(authApply(f->a, &op), 0);
        assert_int_equal(DISABLE(f->a), 0);
        assert_int_equal(authApply(f->a, &op), ETCFS_AUTH_NOT_ENABLED);
    }
    assert_int_equal(USER_REVOKE(f->a, "root", "root"), 0);
    assert_int_equal(USER_DELETE(f->a, "root"), 0);
    expectUsers(f->a, NULL);
}

/* etcd commitRevision: the revision starts at 1 and every change that is
 * made bumps it by one - user add/delete/passwd/grant/revoke, role
 * add/delete/grant/revoke, disable of an enabled auth; enable, a token, a
 * refused change, a role granted again and a disable with auth off change
 * nothing and keep it. */
static void testRevision(void **state)
{
    struct fixture *f = *state;
    uint64_t r = authRevision(f->a);
    struct auth_op op;
#define BUMPS(EXPR)                                                           \
    do {                                                                      \
        assert_int_equal((EXPR), 0);                                          \
        r++;                                                                  \
        assert_int_equal(authRevision(f->a), r);                              \
    } while (0)
#define KEEPS(EXPR, RV)                                                       \
    do {                                                                      \
        assert_int_equal((EXPR), (RV));                                       \
        assert_int_equal(authRevision(f->a), r);                              \
    } while (0)
    assert_int_equal(r, 1);
    KEEPS(DISABLE(f->a), 0);
    BUMPS(USER_ADD(f->a, "root"));
    KEEPS(USER_ADD(f->a, "root"), ETCFS_USER_EXISTS);
    KEEPS(ENABLE(f->a), ETCFS_ROOT_ROLE_NOT_EXIST);
    BUMPS(USER_GRANT(f->a, "root", "root"));
    KEEPS(USER_GRANT(f->a, "root", "root"), 0);
    KEEPS(ENABLE(f->a), 0);
    KEEPS(ENABLE(f->a), 0);
    BUMPS(USER_ADD(f->a, "alice"));
    BUMPS(ROLE_ADD(f->a, "app"));
    KEEPS(ROLE_ADD(f->a, "app"), ETCFS_ROLE_EXISTS);
    BUMPS(ROLE_GRANT(f->a, "app", AUTH_READ, "/a", ""));
    BUMPS(ROLE_GRANT(f->a, "app", AUTH_READ, "/a", "")); /* etcd: put anyway */
    KEEPS(ROLE_GRANT(f->a, "nosuch", AUTH_READ, "/a", ""),
          ETCFS_ROLE_NOTFOUND);
    BUMPS(USER_GRANT(f->a, "alice", "app"));
    KEEPS(USER_GRANT(f->a, "alice", "app"), 0);
    KEEPS(USER_GRANT(f->a, "alice", "nosuch"), ETCFS_ROLE_NOTFOUND);
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_USER_PASSWD;
    op.name = "alice";
    op.name_len = 5;
    op.hash = "$2b$x";
    op.hash_len = 5;
    BUMPS(authApply(f->a, &op));
    op.type = AUTH_OP_TOKEN;
    op.token = "t";
    op.token_len = 1;
    KEEPS(authApply(f->a, &op), 0);
    BUMPS(ROLE_REVOKE(f->a, "app", "/a", ""));
    KEEPS(ROLE_REVOKE(f->a, "app", "/a", ""), ETCFS_PERMISSION_NOT_GRANTED);
    BUMPS(USER_REVOKE(f->a, "alice", "app"));
    KEEPS(USER_REVOKE(f->a, "alice", "app"), ETCFS_ROLE_NOT_GRANTED);
    KEEPS(USER_DELETE(f->a, "root"), ETCFS_INVALID_AUTH_MGMT);
    BUMPS(ROLE_DELETE(f->a, "app"));
    BUMPS(USER_DELETE(f->a, "alice"));
    KEEPS(USER_DELETE(f->a, "alice"), ETCFS_USER_NOTFOUND);
    BUMPS(DISABLE(f->a));
    KEEPS(DISABLE(f->a), 0);
    op.type = 99;
    KEEPS(authApply(f->a, &op), ETCFS_INVALID);
#undef BUMPS
#undef KEEPS
}

/* ---- permission checks ---- */

/* etcd isOpPermitted: auth off allows all; then no user (or revision 0)
 * is ETCFS_USER_EMPTY, a request made at an older auth revision
 * ETCFS_AUTH_OLD_REVISION, an unknown user denied, the root role allowed
 * everything. */
static void testCheckGates(void **state)
{
    struct fixture *f = *state;
    uint64_t rev;
    assert_int_equal(authCheck(f->a, "", 0, 0, S("/x"), S(""), AUTH_WRITE),
                     0);
    assert_int_equal(CHECK(f->a, "nobody", "/x", "\0", AUTH_READ), 0);
    assert_int_equal(authAdmin(f->a, "", 0), 0);
    enableWithRoot(f->a);
    rev = authRevision(f->a);
    assert_int_equal(authCheck(f->a, "", 0, rev, S("/x"), S(""), AUTH_READ),
                     ETCFS_USER_EMPTY);
    assert_int_equal(
        authCheck(f->a, S("root"), 0, S("/x"), S(""), AUTH_READ),
        ETCFS_USER_EMPTY);
    assert_int_equal(
        authCheck(f->a, S("root"), rev - 1, S("/x"), S(""), AUTH_READ),
        ETCFS_AUTH_OLD_REVISION);
    assert_int_equal(
        authCheck(f->a, S("root"), rev + 5, S("/x"), S(""), AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "nobody", "/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "root", "/x", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "root", "\0", "\0", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "root", "/a", "/b", AUTH_READ), 0);
    /* any change makes the old revision old */
    assert_int_equal(USER_ADD(f->a, "alice"), 0);
    assert_int_equal(
        authCheck(f->a, S("root"), rev, S("/x"), S(""), AUTH_READ),
        ETCFS_AUTH_OLD_REVISION);
    /* a user without roles may do nothing */
    assert_int_equal(CHECK(f->a, "alice", "/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* off again: all allowed */
    assert_int_equal(DISABLE(f->a), 0);
    assert_int_equal(CHECK(f->a, "alice", "/x", "", AUTH_WRITE), 0);
}

/* A prefix permission [/app/, /app0) allows keys and ranges inside it,
 * not a key outside nor a range reaching past it. */
static void testCheckPrefix(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "app"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "app", AUTH_READWRITE, "/app/", "/app0"),
                     0);
    assert_int_equal(USER_GRANT(f->a, "u", "app"), 0);

    assert_int_equal(CHECK(f->a, "u", "/app/x", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/x", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/", "/app0", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/a", "/app/b", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/zzz", "/app0", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/x", "/app/x\0", AUTH_READ), 0);

    assert_int_equal(CHECK(f->a, "u", "/etc/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/app", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/app0", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/app/", "/b", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/ap", "/app0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/app/", "/app0\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/app/", "\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "\0", "\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);

    /* revoking the role's permission takes the access away */
    assert_int_equal(ROLE_REVOKE(f->a, "app", "/app/", "/app0"), 0);
    assert_int_equal(CHECK(f->a, "u", "/app/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
}

/* Adjacent or overlapping permissions, from one role or several, cover a
 * range together (etcd checks the union); a gap between them does not. */
static void testCheckUnion(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r1"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r2"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r2", AUTH_READ, "/b", "/c"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r1", AUTH_READ, "/a", "/b"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r1", AUTH_READ, "/d", "/f"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r2", AUTH_READ, "/e", "/g"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r1"), 0);

    /* r1 alone: [/a, /b) and [/d, /f) */
    assert_int_equal(CHECK(f->a, "u", "/a", "/b", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/c", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(USER_GRANT(f->a, "u", "r2"), 0);
    /* with r2: [/a, /c) and [/d, /g) */
    assert_int_equal(CHECK(f->a, "u", "/a", "/c", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/a0", "/b5", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/b", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/d", "/g", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/e", "/f", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/d", AUTH_READ),
                     ETCFS_PERMISSION_DENIED); /* gap [/c, /d) */
    assert_int_equal(CHECK(f->a, "u", "/a", "/g", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/c", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/d", "/g\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* closing the gap with a single key is not enough: [/c, /c\0) */
    assert_int_equal(ROLE_GRANT(f->a, "r1", AUTH_READ, "/c", ""), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/d", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/a", "/c\0", AUTH_READ), 0);
    /* a range does */
    assert_int_equal(ROLE_GRANT(f->a, "r2", AUTH_READ, "/c", "/d"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/g", AUTH_READ), 0);
    /* and the read permissions give no write */
    assert_int_equal(CHECK(f->a, "u", "/a", "/b", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
}

/* range_end "\0": a permission from its key to the end of the keyspace,
 * and a request from its key on. */
static void testCheckFromKey(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/m", "\0"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(CHECK(f->a, "u", "/m", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/zzz", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "\xff\xff", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/m", "\0", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/q", "\0", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/m", "/n", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/l", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/l", "\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/l", "/n", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* a bounded permission below joins it: [/a, /m) + [/m, end) */
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/a", "/m"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "\0", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/", "\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* a bounded permission never covers a from-key request */
    assert_int_equal(ROLE_REVOKE(f->a, "r", "/m", "\0"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/m", "\xff\xff\xff"),
                     0);
    assert_int_equal(CHECK(f->a, "u", "/a", "\0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/a", "\xff\xff", AUTH_READ), 0);
    /* the whole keyspace: etcdctl --from-key "" sends key "\0" */
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_WRITE, "\0", "\0"), 0);
    assert_int_equal(CHECK(f->a, "u", "\0", "\0", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/anything", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "\0", "", AUTH_WRITE), 0);
}

/* A single-key permission (range_end "") allows that key, and the range
 * [key, key "\0") that is the same key; nothing longer. */
static void testCheckSingleKey(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_WRITE, "/k", ""), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(CHECK(f->a, "u", "/k", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/k", "/k\0", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/k\0", "", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/kk", "", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/", "", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/k", "/l", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/k", "\0", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/k", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
}

/* READ and WRITE permissions are separate; READWRITE is both; the union
 * is taken per kind (a read range and a write range do not join). */
static void testCheckTypes(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/r/", "/r0"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_WRITE, "/w/", "/w0"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READWRITE, "/rw/", "/rw0"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(CHECK(f->a, "u", "/r/x", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/r/x", "", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/w/x", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/w/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/rw/x", "", AUTH_READ), 0);
    assert_int_equal(CHECK(f->a, "u", "/rw/x", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(f->a, "u", "/rw/", "/rw0", AUTH_WRITE), 0);

    /* [/a, /b) read + [/b, /c) write: [/a, /c) neither */
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/a", "/b"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_WRITE, "/b", "/c"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/c", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/a", "/c", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    /* [/b, /c) readwrite joins either */
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READWRITE, "/b", "/c"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "/c", AUTH_READ), 0);
    /* updated in place: now read only, the write is gone */
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/w/", "/w0"), 0);
    assert_int_equal(CHECK(f->a, "u", "/w/x", "", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(CHECK(f->a, "u", "/w/x", "", AUTH_READ), 0);
}

/* Deleting a role takes its permissions from its users at once; a role
 * granted to a user but deleted gives nothing. */
static void testCheckRoleDeleted(void **state)
{
    struct fixture *f = *state;
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/a", "/b"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "", AUTH_READ), 0);
    assert_int_equal(ROLE_DELETE(f->a, "r"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READ, "/a", "/b"), 0);
    assert_int_equal(CHECK(f->a, "u", "/a", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
}

/* etcd IsAdminPermitted: auth off allows; then an empty user is
 * ETCFS_USER_EMPTY, only a holder of the root role is allowed. */
static void testAdmin(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(authAdmin(f->a, S("anyone")), 0);
    enableWithRoot(f->a);
    assert_int_equal(USER_ADD(f->a, "u"), 0);
    assert_int_equal(ROLE_ADD(f->a, "r"), 0);
    assert_int_equal(ROLE_GRANT(f->a, "r", AUTH_READWRITE, "\0", "\0"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "r"), 0);
    assert_int_equal(authAdmin(f->a, "", 0), ETCFS_USER_EMPTY);
    assert_int_equal(authAdmin(f->a, S("root")), 0);
    assert_int_equal(authAdmin(f->a, S("u")), ETCFS_PERMISSION_DENIED);
    assert_int_equal(authAdmin(f->a, S("nobody")), ETCFS_PERMISSION_DENIED);
    assert_int_equal(authAdmin(f->a, S("roo")), ETCFS_PERMISSION_DENIED);
    /* the root role, not a role named like it, makes an admin */
    assert_int_equal(ROLE_ADD(f->a, "rootx"), 0);
    assert_int_equal(USER_GRANT(f->a, "u", "rootx"), 0);
    assert_int_equal(authAdmin(f->a, S("u")), ETCFS_PERMISSION_DENIED);
    assert_int_equal(USER_GRANT(f->a, "u", "root"), 0);
    assert_int_equal(authAdmin(f->a, S("u")), 0);
}

/* ---- encoding, copies ---- */

/* A state with everything: auth on, users with and without password and
 * roles, roles with single-key, range, from-key and binary permissions. */
static void fillState(struct auth *a)
{
    assert_int_equal(USER_ADD(a, "root"), 0);
    assert_int_equal(USER_GRANT(a, "root", "root"), 0);
    assert_int_equal(USER_ADD(a, "alice"), 0);
    assert_int_equal(userAddNoPassword(a, "cn-client"), 0);
    assert_int_equal(USER_ADD(a, "zed"), 0);
    assert_int_equal(ROLE_ADD(a, "app"), 0);
    assert_int_equal(ROLE_ADD(a, "etc"), 0);
    assert_int_equal(ROLE_ADD(a, "empty"), 0);
    assert_int_equal(ROLE_GRANT(a, "app", AUTH_READWRITE, "/app/", "/app0"),
                     0);
    assert_int_equal(ROLE_GRANT(a, "app", AUTH_READ, "/cfg", ""), 0);
    assert_int_equal(ROLE_GRANT(a, "etc", AUTH_READ, "/etc/", "\0"), 0);
    assert_int_equal(ROLE_GRANT(a, "etc", AUTH_WRITE, "\0\xff", "\xff\0"), 0);
    assert_int_equal(USER_GRANT(a, "alice", "app"), 0);
    assert_int_equal(USER_GRANT(a, "alice", "etc"), 0);
    assert_int_equal(USER_GRANT(a, "cn-client", "etc"), 0);
    assert_int_equal(ENABLE(a), 0);
}

/* What fillState made, read through the API. */
static void expectFilled(struct auth *a, uint64_t rev)
{
    struct auth_perm *p;
    char hash[128];
    bool no_password;
    assert_true(authEnabled(a));
    assert_int_equal(authRevision(a), rev);
    expectUsers(a, "alice", "cn-client", "root", "zed", NULL);
    expectRoles(a, "app", "empty", "etc", NULL);
    expectUserRoles(a, "alice", "app", "etc", NULL);
    expectUserRoles(a, "cn-client", "etc", NULL);
    expectUserRoles(a, "root", "root", NULL);
    expectUserRoles(a, "zed", NULL);
    p = rolePerms(a, "app", 2);
    EXPECT_PERM(p[0], AUTH_READWRITE, "/app/", "/app0");
    EXPECT_PERM(p[1], AUTH_READ, "/cfg", "");
    authPermsFree(p, 2);
    p = rolePerms(a, "etc", 2);
    EXPECT_PERM(p[0], AUTH_WRITE, "\0\xff", "\xff\0");
    EXPECT_PERM(p[1], AUTH_READ, "/etc/", "\0");
    authPermsFree(p, 2);
    authPermsFree(rolePerms(a, "empty", 0), 0);
    assert_int_equal(
        authPasswordHash(a, S("alice"), hash, sizeof hash, &no_password), 0);
    assert_string_equal(hash, HASH);
    assert_false(no_password);
    assert_int_equal(
        authPasswordHash(a, S("cn-client"), hash, sizeof hash, &no_password),
        0);
    assert_true(no_password);
    assert_int_equal(CHECK(a, "alice", "/app/x", "", AUTH_WRITE), 0);
    assert_int_equal(CHECK(a, "alice", "/etc/", "\0", AUTH_READ), 0);
    assert_int_equal(CHECK(a, "cn-client", "/app/x", "", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(authAdmin(a, S("root")), 0);
}

/* authEncode then authLoad gives the same state (users, roles,
 * permissions, hashes, enabled, revision), replacing what was there;
 * an empty record is the empty state. */
static void testCodecRoundtrip(void **state)
{
    struct fixture *f = *state;
    struct auth *b = authNew();
    struct buf e;
    struct buf e2;
    assert_non_null(b);
    fillState(f->a);
    expectFilled(f->a, 16);
    encode(f->a, &e);
    /* b has its own state first: replaced whole */
    assert_int_equal(USER_ADD(b, "other"), 0);
    assert_int_equal(ROLE_ADD(b, "other"), 0);
    assert_int_equal(authLoad(b, e.data, e.len), 0);
    expectFilled(b, 16);
    encode(b, &e2);
    assert_int_equal(e.len, e2.len);
    assert_memory_equal(e.data, e2.data, e.len);
    bufFree(&e2);
    /* it goes on from there like the original */
    assert_int_equal(USER_ADD(b, "new"), 0);
    assert_int_equal(USER_ADD(f->a, "new"), 0);
    expectSameState(f->a, b);

    assert_int_equal(authLoad(b, NULL, 0), 0);
    assert_false(authEnabled(b));
    assert_int_equal(authRevision(b), 1);
    expectUsers(b, NULL);
    expectRoles(b, NULL);
    /* the empty state encodes and loads too */
    {
        struct auth *c = authNew();
        assert_non_null(c);
        encode(b, &e2);
        assert_int_equal(authLoad(c, e2.data, e2.len), 0);
        expectSameState(b, c);
        bufFree(&e2);
        authFree(c);
    }
    bufFree(&e);
    authFree(b);
}

/* The state a refused load must leave untouched, and some use of a loaded
 * one (which must not crash whatever was loaded). */
static void exercise(struct auth *a)
{
    char **names = NULL;
    size_t n = 0;
    size_t i;
    struct buf e;
    (void)authCheck(a, S("alice"), authRevision(a), S("/app/x"), S(""),
                    AUTH_READ);
    (void)authCheck(a, S("alice"), authRevision(a), S("/"), S("\0"),
                    AUTH_WRITE);
    (void)authAdmin(a, S("root"));
    if (authRoles(a, &names, &n) == 0) {
        for (i = 0; i < n; i++) {
            struct auth_perm *p = NULL;
            size_t np = 0;
            if (authRolePerms(a, names[i], strlen(names[i]), &p, &np) == 0) {
                authPermsFree(p, np);
            }
        }
        authNamesFree(names, n);
    }
    if (authUsers(a, &names, &n) == 0) {
        authNamesFree(names, n);
    }
    (void)USER_ADD(a, "alice2");
    (void)ROLE_DELETE(a, "etc");
    (void)USER_DELETE(a, "zed");
    encode(a, &e);
    bufFree(&e);
}

/* Every truncation of an encoded state, and one with a byte more, is
 * ETCFS_CORRUPT and leaves the state as it was. */
static void testCodecTruncated(void **state)
{
    struct fixture *f = *state;
    struct auth *b = authNew();
    struct buf e;
    struct buf before;
    size_t i;
    assert_non_null(b);
    fillState(f->a);
    encode(f->a, &e);
    assert_int_equal(USER_ADD(b, "keep"), 0);
    encode(b, &before);
    for (i = 1; i < e.len; i++) {
        /* a copy of exactly i bytes, so ASan sees any read past it */
        char *cut = malloc(i);
        assert_non_null(cut);
        memcpy(cut, e.data, i);
        assert_int_equal(authLoad(b, cut, i), ETCFS_CORRUPT);
        free(cut);
    }
    assert_int_equal(bufAppendByte(&e, 0), 0);
    assert_int_equal(authLoad(b, e.data, e.len), ETCFS_CORRUPT);
    {
        struct buf after;
        encode(b, &after);
        assert_int_equal(after.len, before.len);
        assert_memory_equal(after.data, before.data, before.len);
        bufFree(&after);
    }
    bufFree(&before);
    bufFree(&e);
    authFree(b);
}

/* Hand-made records: a wrong format, impossible counts, unknown
 * permission types, flags other than 0/1, names out of order, twice, or
 * holding a NUL are ETCFS_CORRUPT. */
static void testCodecMalformed(void **state)
{
    struct fixture *f = *state;
    struct buf e;
#define LOAD(B) authLoad(f->a, (B).data, (B).len)
    /* header: format 1, enabled, revision 7, no users, no roles */
    memset(&e, 0, sizeof e);
#define HEADER(B, EN)                                                         \
    do {                                                                      \
        bufReset(&(B));                                                       \
        assert_int_equal(bufAppendByte(&(B), 1), 0);                          \
        assert_int_equal(bufAppendByte(&(B), (EN)), 0);                       \
        assert_int_equal(bufAppendU64(&(B), 7), 0);                           \
    } while (0)
#define U32(B, V) assert_int_equal(bufAppendU32(&(B), (V)), 0)
#define BYTE(B, V) assert_int_equal(bufAppendByte(&(B), (V)), 0)
#define STR(B, LIT)                                                           \
    do {                                                                      \
        U32(B, sizeof(LIT) - 1);                                              \
        assert_int_equal(bufAppend(&(B), (LIT), sizeof(LIT) - 1), 0);         \
    } while (0)
    HEADER(e, 1);
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), 0);
    assert_true(authEnabled(f->a));
    assert_int_equal(authRevision(f->a), 7);

    e.data[0] = 2; /* unknown format */
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 2); /* enabled neither 0 nor 1 */
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);

    /* counts far beyond the bytes: refused before any allocation */
    HEADER(e, 0);
    U32(e, 0xffffffffu);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 0);
    U32(e, 0x7fffffffu);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 1);
    U32(e, 0xfffffff0u); /* a name longer than the record */
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);

    /* one user u (hash h, no_password flag, roles), no roles */
#define USER(B, NAME, NP)                                                     \
    do {                                                                      \
        STR(B, NAME);                                                         \
        STR(B, "h");                                                          \
        BYTE(B, NP);                                                          \
    } while (0)
    HEADER(e, 0);
    U32(e, 1);
    USER(e, "u", 0);
    U32(e, 1);
    STR(e, "r");
    U32(e, 0);
    assert_int_equal(LOAD(e), 0);
    expectUserRoles(f->a, "u", "r", NULL);
    e.data[10 + 4 + 4 + 1 + 4 + 1] = 2; /* no_password 2 */
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);

    /* users out of order, or twice */
    HEADER(e, 0);
    U32(e, 2);
    USER(e, "b", 0);
    U32(e, 0);
    USER(e, "a", 0);
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 2);
    USER(e, "a", 0);
    U32(e, 0);
    USER(e, "a", 0);
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    /* a user's roles out of order */
    HEADER(e, 0);
    U32(e, 1);
    USER(e, "a", 0);
    U32(e, 2);
    STR(e, "y");
    STR(e, "x");
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    /* names holding a NUL, or empty */
    HEADER(e, 0);
    U32(e, 1);
    USER(e, "a\0b", 0);
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 1);
    USER(e, "a", 0);
    U32(e, 1);
    STR(e, "ro\0t");
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 1);
    USER(e, "", 0);
    U32(e, 0);
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);

    /* one role r with one permission of type T */
#define ROLE1(B, T, K, E)                                                     \
    do {                                                                      \
        HEADER(B, 0);                                                         \
        U32(B, 0);                                                            \
        U32(B, 1);                                                            \
        STR(B, "r");                                                          \
        U32(B, 1);                                                            \
        BYTE(B, T);                                                           \
        STR(B, K);                                                            \
        STR(B, E);                                                            \
    } while (0)
    ROLE1(e, AUTH_READWRITE, "/a", "/b");
    assert_int_equal(LOAD(e), 0);
    authPermsFree(rolePerms(f->a, "r", 1), 1);
    ROLE1(e, 3, "/a", "/b");
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    ROLE1(e, 0xff, "/a", "/b");
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    /* permissions out of order, roles twice */
    HEADER(e, 0);
    U32(e, 0);
    U32(e, 1);
    STR(e, "r");
    U32(e, 2);
    BYTE(e, 0);
    STR(e, "/b");
    STR(e, "");
    BYTE(e, 0);
    STR(e, "/a");
    STR(e, "");
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    /* one key's permissions in grant order load; the same range twice
     * does not */
#define ROLE2(B, E1, E2)                                                      \
    do {                                                                      \
        HEADER(B, 0);                                                         \
        U32(B, 0);                                                            \
        U32(B, 1);                                                            \
        STR(B, "r");                                                          \
        U32(B, 2);                                                            \
        BYTE(B, 0);                                                           \
        STR(B, "/a");                                                         \
        STR(B, E1);                                                           \
        BYTE(B, 1);                                                           \
        STR(B, "/a");                                                         \
        STR(B, E2);                                                           \
    } while (0)
    ROLE2(e, "/b", "");
    assert_int_equal(LOAD(e), 0);
    ROLE2(e, "/b", "/b");
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);
    HEADER(e, 0);
    U32(e, 0);
    U32(e, 2);
    STR(e, "r");
    U32(e, 0);
    STR(e, "r");
    U32(e, 0);
    assert_int_equal(LOAD(e), ETCFS_CORRUPT);

    /* after all that, the last good load is what is there */
    expectRoles(f->a, "r", NULL);
    bufFree(&e);
#undef LOAD
#undef HEADER
#undef U32
#undef BYTE
#undef STR
#undef USER
#undef ROLE1
#undef ROLE2
}

/* Damaged bytes: each byte of an encoded state changed (several ways) and
 * random records after a good header load or are ETCFS_CORRUPT; a refused
 * one leaves the state as it was, and whatever loads can be used. */
static void testCodecDamaged(void **state)
{
    struct fixture *f = *state;
    static const unsigned char masks[] = {0x01, 0x02, 0x10, 0x80, 0xff};
    struct buf e;
    struct buf before;
    size_t i;
    size_t m;
    size_t loaded = 0;
    size_t refused = 0;
    uint32_t seed = 12345;
    fillState(f->a);
    encode(f->a, &e);
    for (i = 0; i < e.len; i++) {
        for (m = 0; m < sizeof masks; m++) {
            struct auth *b = authNew();
            char *copy = malloc(e.len);
            int rv;
            assert_non_null(b);
            assert_non_null(copy);
            assert_int_equal(USER_ADD(b, "keep"), 0);
            encode(b, &before);
            memcpy(copy, e.data, e.len);
            copy[i] = (char)(copy[i] ^ masks[m]);
            rv = authLoad(b, copy, e.len);
            free(copy);
            if (rv == ETCFS_CORRUPT) {
                struct buf after;
                refused++;
                encode(b, &after);
                assert_int_equal(after.len, before.len);
                assert_memory_equal(after.data, before.data, before.len);
                bufFree(&after);
            } else {
                assert_int_equal(rv, 0);
                loaded++;
            }
            exercise(b);
            bufFree(&before);
            authFree(b);
        }
    }
    /* random tails after a good header */
    for (i = 0; i < 3000; i++) {
        struct auth *b = authNew();
        size_t len = 10 + (i % 60);
        unsigned char *r = malloc(len);
        int rv;
        assert_non_null(b);
        assert_non_null(r);
        memcpy(r, e.data, 10);
        for (m = 10; m < len; m++) {
            seed = seed * 1103515245u + 12345u;
            /* small values often, so counts and lengths can fit */
            r[m] = (unsigned char)((seed >> 16) % (i % 2 == 0 ? 4 : 256));
        }
        rv = authLoad(b, r, len);
        assert_true(rv == 0 || rv == ETCFS_CORRUPT);
        exercise(b);
        free(r);
        authFree(b);
    }
    assert_true(refused > 0);
    print_message("damaged encodings: %zu refused, %zu loaded (string "
                  "contents)\n",
                  refused, loaded);
    bufFree(&e);
}

/* authClone is a deep copy: changes to either side leave the other as it
 * was; authSwap exchanges two states whole. */
static void testClone(void **state)
{
    struct fixture *f = *state;
    struct auth *c;
    struct auth_perm *p;
    fillState(f->a);
    c = authClone(f->a);
    assert_non_null(c);
    expectSameState(f->a, c);
    expectFilled(c, 16);

    assert_int_equal(ROLE_GRANT(c, "app", AUTH_READ, "/app/", "/app0"), 0);
    assert_int_equal(USER_DELETE(c, "zed"), 0);
    assert_int_equal(USER_REVOKE(c, "alice", "etc"), 0);
    assert_int_equal(ROLE_DELETE(c, "empty"), 0);
    assert_int_equal(DISABLE(c), 0);
    expectFilled(f->a, 16);
    assert_int_equal(authRevision(c), 21);

    assert_int_equal(ROLE_REVOKE(f->a, "app", "/cfg", ""), 0);
    assert_int_equal(USER_ADD(f->a, "extra"), 0);
    p = rolePerms(c, "app", 2);
    EXPECT_PERM(p[0], AUTH_READ, "/app/", "/app0");
    EXPECT_PERM(p[1], AUTH_READ, "/cfg", "");
    authPermsFree(p, 2);
    expectUsers(c, "alice", "cn-client", "root", NULL);

    /* swap: each holds the other's state */
    authSwap(f->a, c);
    assert_false(authEnabled(f->a));
    assert_int_equal(authRevision(f->a), 21);
    expectUsers(f->a, "alice", "cn-client", "root", NULL);
    assert_true(authEnabled(c));
    expectUsers(c, "alice", "cn-client", "extra", "root", "zed", NULL);
    authFree(c);
}

#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setUp, tearDown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(testUserAdd),
        T(testUserDelete),
        T(testUserPasswd),
        T(testUserGrantRevoke),
        T(testRoleAddDelete),
        T(testRoleGrantPermission),
        T(testRoleRevokePermission),
        T(testNamesWithNul),
        T(testNullEmpty),
        T(testEnable),
        T(testRootProtected),
        T(testRevision),
        T(testCheckGates),
        T(testCheckPrefix),
        T(testCheckUnion),
        T(testCheckFromKey),
        T(testCheckSingleKey),
        T(testCheckTypes),
        T(testCheckRoleDeleted),
        T(testAdmin),
        T(testCodecRoundtrip),
        T(testCodecTruncated),
        T(testCodecMalformed),
        T(testCodecDamaged),
        T(testClone),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
