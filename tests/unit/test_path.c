/* Unit tests of fuse/path.c: every key segment maps to one file name and
 * back, odd segments are escaped, names no key produces are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../fuse/path.h"

#define ROUND_TRIP(SEG, LEN, SHADOW, NAME)                                   \
    do {                                                                     \
        char name_[PATH_NAME_MAX + 1];                                       \
        char seg_[PATH_NAME_MAX + 1];                                        \
        bool sh_;                                                            \
        int n_ = pathEscapeSegment((SEG), (LEN), (SHADOW), name_,            \
                                   sizeof name_);                            \
        assert_int_equal(n_, strlen(NAME));                                  \
        assert_string_equal(name_, (NAME));                                  \
        n_ = pathUnescapeName(name_, (size_t)n_, seg_, sizeof seg_, &sh_);   \
        assert_int_equal(n_, (LEN));                                         \
        assert_memory_equal(seg_, (SEG), (LEN));                             \
        assert_int_equal(sh_, (SHADOW));                                     \
    } while (0)

#define REFUSED(NAME)                                                        \
    do {                                                                     \
        char seg_[PATH_NAME_MAX + 1];                                        \
        bool sh_;                                                            \
        assert_int_equal(pathUnescapeName((NAME), strlen(NAME), seg_,        \
                                          sizeof seg_, &sh_),                \
                         -1);                                                \
    } while (0)

/* Plain names, spaces and non-UTF-8 bytes are kept as they are. */
static void testPlain(void **state)
{
    (void)state;
    ROUND_TRIP("host", 4, false, "host");
    ROUND_TRIP("my file", 7, false, "my file");
    ROUND_TRIP("\xff\xfe", 2, false, "\xff\xfe");
}

/* '%', NUL, ".", ".." and the empty segment are escaped. */
static void testEscaped(void **state)
{
    (void)state;
    ROUND_TRIP("100%", 4, false, "100%25");
    ROUND_TRIP("a\0b", 3, false, "a%00b");
    ROUND_TRIP(".", 1, false, "%2E");
    ROUND_TRIP("..", 2, false, "%2E%2E");
    ROUND_TRIP("", 0, false, "%");
    ROUND_TRIP("...", 3, false, "...");
}

/* A value shadowed by a directory of the same name gets a trailing '%'. */
static void testShadowed(void **state)
{
    (void)state;
    ROUND_TRIP("a", 1, true, "a%");
    ROUND_TRIP("50%", 3, true, "50%25%");
    ROUND_TRIP("", 0, true, "%%");
}

/* Names that no key produces are refused: bad escapes, non-canonical
 * escapes, raw dots. */
static void testRefused(void **state)
{
    (void)state;
    REFUSED("%4");
    REFUSED("%zz");
    REFUSED("%41");
    REFUSED("%2e");
    REFUSED(".");
    REFUSED("..");
}

/* Names longer than NAME_MAX cannot be produced. */
static void testTooLong(void **state)
{
    char seg[300];
    char out[PATH_NAME_MAX + 1];
    (void)state;
    memset(seg, 'x', sizeof seg);
    assert_int_equal(pathEscapeSegment(seg, 255, false, out, sizeof out), 255);
    assert_int_equal(pathEscapeSegment(seg, 256, false, out, sizeof out), -1);
    seg[0] = '%';
    assert_int_equal(pathEscapeSegment(seg, 254, false, out, sizeof out), -1);
}

/* A name's directory is everything before its last '/'. */
static void testParent(void **state)
{
    (void)state;
    assert_int_equal(pathParentLen("a/b/c", 5), 3);
    assert_int_equal(pathParentLen("a/b", 3), 1);
    assert_int_equal(pathParentLen("a", 1), 0);
    assert_int_equal(pathParentLen("", 0), 0);
    assert_int_equal(pathParentLen("a//b", 4), 2); /* "a/": empty segment */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testPlain),    cmocka_unit_test(testEscaped),
        cmocka_unit_test(testShadowed), cmocka_unit_test(testRefused),
        cmocka_unit_test(testTooLong),  cmocka_unit_test(testParent),
    };
    return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
