/* Unit tests of authCheckAny (src/store/auth.c), the question the mount
 * asks to list a directory: may the user read at least one key of a
 * range? Its answers agree with the permitted ranges' edges (etcd's range
 * rules: an empty range_end is one key, "\0" every key from key), and it
 * denies an unknown or empty user while auth is on, allows all while off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/core/error.h"
#include "../../src/store/auth.h"

/* ---- fixture: root, and alice with app (rw /app/) and pub (r /pub/a) ---- */

static void apply(struct auth *a, int type, const char *name,
                  const char *role, int perm, const char *key,
                  const char *end)
{
    struct auth_op op;
    memset(&op, 0, sizeof op);
    op.type = type;
    op.name = name;
    op.name_len = name != NULL ? strlen(name) : 0;
    op.role = role;
    op.role_len = role != NULL ? strlen(role) : 0;
    op.hash = "$2b$04$x";
    op.hash_len = strlen(op.hash);
    op.perm_type = perm;
    op.key = key;
    op.key_len = key != NULL ? strlen(key) : 0;
    op.range_end = end;
    op.range_end_len = end != NULL ? strlen(end) : 0;
    assert_int_equal(authApply(a, &op), 0);
}

static int setUp(void **state)
{
    struct auth *a = authNew();
    assert_non_null(a);
    apply(a, AUTH_OP_USER_ADD, "root", NULL, 0, NULL, NULL);
    apply(a, AUTH_OP_USER_GRANT, "root", "root", 0, NULL, NULL);
    apply(a, AUTH_OP_ROLE_ADD, "app", NULL, 0, NULL, NULL);
    apply(a, AUTH_OP_ROLE_GRANT, "app", NULL, AUTH_READWRITE, "/app/",
          "/app0");
    apply(a, AUTH_OP_ROLE_ADD, "pub", NULL, 0, NULL, NULL);
    apply(a, AUTH_OP_ROLE_GRANT, "pub", NULL, AUTH_READ, "/pub/a", NULL);
    apply(a, AUTH_OP_USER_ADD, "alice", NULL, 0, NULL, NULL);
    apply(a, AUTH_OP_USER_GRANT, "alice", "app", 0, NULL, NULL);
    apply(a, AUTH_OP_USER_GRANT, "alice", "pub", 0, NULL, NULL);
    apply(a, AUTH_OP_ENABLE, NULL, NULL, 0, NULL, NULL);
    *state = a;
    return 0;
}

static int tearDown(void **state)
{
    authFree(*state);
    return 0;
}

/* ---- helpers ---- */

static size_t len0(const char *s)
{
    return s != NULL ? strlen(s) : 0;
}
#define ANY(A, USER, KEY, END, TYPE)                                          \
    authCheckAny((A), (USER), strlen(USER), (KEY), strlen(KEY), (END),      \
                 len0(END), (TYPE))
#define ALL(A, USER, KEY, END, TYPE)                                          \
    authCheck((A), (USER), strlen(USER), authRevision(A), (KEY), strlen(KEY), \
              (END), len0(END), (TYPE))

/* ---- tests ---- */

/* A range holding a permitted key is allowed, one beside it is not. */
static void testOverlap(void **state)
{
    struct auth *a = *state;
    assert_int_equal(ANY(a, "alice", "/", "0", AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/app/", "/app0", AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/app/d/", "/app/d0", AUTH_WRITE), 0);
    assert_int_equal(ANY(a, "alice", "/ap", "/aq", AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/ap", "/ap0", AUTH_READ), /* < /app */
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ANY(a, "alice", "/pub/", "/pub0", AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/etc/", "/etc0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ANY(a, "alice", "/pub/b/", "/pub/b0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* read-only: nothing under /pub/ to write */
    assert_int_equal(ANY(a, "alice", "/pub/", "/pub0", AUTH_WRITE),
                     ETCFS_PERMISSION_DENIED);
}

/* The edges: a permitted range's end is not in it; one key; to the end. */
static void testEdges(void **state)
{
    struct auth *a = *state;
    assert_int_equal(ANY(a, "alice", "/app0", "/app1", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ANY(a, "alice", "/ap", "/app/", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ANY(a, "alice", "/ap", "/app/\x01", AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/app/x", NULL, AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/pub/a", NULL, AUTH_READ), 0);
    assert_int_equal(ANY(a, "alice", "/pub/a0", NULL, AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(authCheckAny(a, "alice", 5, "/pub/", 5, "\0", 1,
                                  AUTH_READ),
                     0);
    assert_int_equal(authCheckAny(a, "alice", 5, "/q", 2, "\0", 1,
                                  AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    /* an empty range holds no key */
    assert_int_equal(ANY(a, "alice", "/app/z", "/app/a", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
}

/* authCheck still needs every key of the range. */
static void testAllStillStrict(void **state)
{
    struct auth *a = *state;
    assert_int_equal(ALL(a, "alice", "/app/", "/app0", AUTH_READ), 0);
    assert_int_equal(ALL(a, "alice", "/", "0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ALL(a, "alice", "/pub/", "/pub0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
}

/* Users: root may do anything, unknown and empty users nothing; with auth
 * off every question is allowed. */
static void testUsers(void **state)
{
    struct auth *a = *state;
    struct auth_op op;
    assert_int_equal(ANY(a, "root", "/etc/", "/etc0", AUTH_WRITE), 0);
    assert_int_equal(ANY(a, "bob", "/app/", "/app0", AUTH_READ),
                     ETCFS_PERMISSION_DENIED);
    assert_int_equal(ANY(a, "", "/app/", "/app0", AUTH_READ),
                     ETCFS_USER_EMPTY);
    memset(&op, 0, sizeof op);
    op.type = AUTH_OP_DISABLE;
    assert_int_equal(authApply(a, &op), 0);
    assert_int_equal(ANY(a, "bob", "/etc/", "/etc0", AUTH_WRITE), 0);
    assert_int_equal(ANY(a, "", "/etc/", "/etc0", AUTH_WRITE), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(testOverlap, setUp, tearDown),
        cmocka_unit_test_setup_teardown(testEdges, setUp, tearDown),
        cmocka_unit_test_setup_teardown(testAllStillStrict, setUp, tearDown),
        cmocka_unit_test_setup_teardown(testUsers, setUp, tearDown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
