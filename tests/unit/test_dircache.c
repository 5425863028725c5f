/* Unit tests of fuse/dircache.c: remembered directory existence never
 * outlives a change that could alter it. An answer the store gave before
 * a change was applied is dropped; a create marks its parents, a delete
 * forgets them; a directory under one known to be gone is gone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../fuse/mount_internal.h"

#define GET(C, REL) dirCacheGet((C), (REL), strlen(REL), &gen)

/* An answer is remembered, and one from before a change is not. */
static void testGenerations(void **state)
{
    struct dircache c;
    uint64_t gen;
    uint64_t old;
    (void)state;
    assert_int_equal(dirCacheInit(&c), 0);
    assert_int_equal(GET(&c, "a"), -1);
    dirCachePut(&c, "a", 1, true, gen);
    assert_int_equal(GET(&c, "a"), 1);
    assert_int_equal(GET(&c, "b"), -1);
    old = gen;
    /* a change applied while the store was being asked about b */
    dirCacheApplied(&c, "x/y", 3, true);
    dirCachePut(&c, "b", 1, false, old);
    assert_int_equal(GET(&c, "b"), -1);
    dirCacheClose(&c);
}

/* Creates mark every parent; deletes forget them (other keys may keep
 * them); a marker "d/" keeps d itself. */
static void testApplied(void **state)
{
    struct dircache c;
    uint64_t gen;
    (void)state;
    assert_int_equal(dirCacheInit(&c), 0);
    dirCacheApplied(&c, "a/b/c", 5, true);
    assert_int_equal(GET(&c, "a"), 1);
    assert_int_equal(GET(&c, "a/b"), 1);
    assert_int_equal(GET(&c, "a/b/c"), -1); /* a file, not known as dir */
    dirCacheApplied(&c, "m/", 2, true);
    assert_int_equal(GET(&c, "m"), 1);
    dirCacheApplied(&c, "a/b/c", 5, false);
    assert_int_equal(GET(&c, "a"), -1);
    assert_int_equal(GET(&c, "a/b"), -1);
    assert_int_equal(GET(&c, "m"), 1);
    dirCacheReset(&c);
    assert_int_equal(GET(&c, "m"), -1);
    dirCacheClose(&c);
}

/* Nothing lies under a directory known to be gone. */
static void testGoneAncestor(void **state)
{
    struct dircache c;
    uint64_t gen;
    (void)state;
    assert_int_equal(dirCacheInit(&c), 0);
    GET(&c, "wide");
    dirCachePut(&c, "wide", 4, false, gen);
    assert_int_equal(GET(&c, "wide/k00001"), 0);
    assert_int_equal(GET(&c, "wide/a/b"), 0);
    assert_int_equal(GET(&c, "widely"), -1);
    dirCacheApplied(&c, "wide/new", 8, true);
    assert_int_equal(GET(&c, "wide"), 1);
    assert_int_equal(GET(&c, "wide/k00001"), -1);
    dirCacheClose(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testGenerations),
        cmocka_unit_test(testApplied),
        cmocka_unit_test(testGoneAncestor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
