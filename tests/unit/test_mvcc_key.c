/* Unit tests of src/mvcc_key.c: key escaping keeps byte order and round
 * trips for any bytes, index keys of one key group together and sort by
 * revision, and malformed bytes from disk are rejected, never trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/lib/buf.h"
#include "../../src/store/mvcc_key.h"

/* Deterministic generator (no global state: the seed is a local). */
static uint32_t nextRand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

/* Short keys over a tiny alphabet with many NULs and 0x01/0xFF bytes. */
static size_t randomKey(uint32_t *seed, char *out)
{
    static const char alphabet[] = {'\0', '\x01', 'a', '\xff'};
    size_t len = nextRand(seed) % 5;
    size_t i;
    for (i = 0; i < len; i++) {
        out[i] = alphabet[nextRand(seed) % 4];
    }
    return len;
}

static int sign(int x)
{
    return x < 0 ? -1 : (x > 0);
}

/* esc() preserves memcmp order (shorter first) and round-trips. */
static void testEscapeOrder(void **state)
{
    uint32_t seed = 42;
    struct buf ea = {0};
    struct buf eb = {0};
    struct buf back = {0};
    int i;
    (void)state;
    for (i = 0; i < 20000; i++) {
        char a[8];
        char b[8];
        size_t al = randomKey(&seed, a);
        size_t bl = randomKey(&seed, b);
        bufReset(&ea);
        bufReset(&eb);
        bufReset(&back);
        assert_int_equal(mvccKeyEscape(&ea, a, al), 0);
        assert_int_equal(mvccKeyEscape(&eb, b, bl), 0);
        assert_int_equal(sign(mvccKeyCompare(a, al, b, bl)),
                         sign(mvccKeyCompare(ea.data, ea.len, eb.data,
                                             eb.len)));
        assert_int_equal(mvccKeyUnescape(&back, ea.data, ea.len), 0);
        assert_int_equal(back.len, al);
        if (al > 0) {
            assert_memory_equal(back.data, a, al);
        }
    }
    bufFree(&ea);
    bufFree(&eb);
    bufFree(&back);
}

/* Index keys sort by key, then revision, then sub-revision; a longer key
 * never lands between two versions of a shorter one. */
static void testIndexOrder(void **state)
{
    struct buf x = {0};
    struct buf y = {0};
    struct buf user = {0};
    size_t group_len;
    int64_t rev;
    int64_t sub;
    (void)state;
    assert_int_equal(mvccKeyIndex(&x, "a", 1, 5, 0), 0);
    assert_int_equal(mvccKeyIndex(&y, "a", 1, 5, 1), 0);
    assert_true(mvccKeyCompare(x.data, x.len, y.data, y.len) < 0);
    assert_int_equal(mvccKeyIndex(&y, "a", 1, 300, 0), 0);
    assert_true(mvccKeyCompare(x.data, x.len, y.data, y.len) < 0);
    assert_int_equal(mvccKeyIndex(&x, "a", 1, INT64_MAX, INT64_MAX), 0);
    assert_int_equal(mvccKeyIndex(&y, "a\0", 2, 1, 0), 0);
    assert_true(mvccKeyCompare(x.data, x.len, y.data, y.len) < 0);
    assert_int_equal(mvccKeyIndexAfter(&x, "a", 1), 0);
    assert_true(mvccKeyCompare(x.data, x.len, y.data, y.len) < 0);

    assert_int_equal(mvccKeyIndex(&x, "k\0z", 3, 7, 2), 0);
    assert_int_equal(mvccKeyIndexParse(x.data, x.len, &group_len, &rev, &sub),
                     0);
    assert_int_equal(rev, 7);
    assert_int_equal(sub, 2);
    assert_int_equal(mvccKeyIndexUserKey(&user, x.data, group_len), 0);
    assert_int_equal(user.len, 3);
    assert_memory_equal(user.data, "k\0z", 3);
    bufFree(&x);
    bufFree(&y);
    bufFree(&user);
}

/* Malformed escapes, index keys, records and state are rejected. */
static void testMalformed(void **state)
{
    struct buf out = {0};
    struct mvcc_record rec;
    struct mvcc_state st;
    size_t group_len;
    int64_t rev;
    int64_t sub;
    char enc[MVCC_STATE_LEN];
    (void)state;
    assert_int_equal(mvccKeyUnescape(&out, "ab", 2), -2);
    assert_int_equal(mvccKeyUnescape(&out, "a\0", 2), -2);
    assert_int_equal(mvccKeyUnescape(&out, "a\0\x02", 3), -2);
    assert_int_equal(mvccKeyUnescape(&out, "a\0\x01x", 4), -2);
    assert_int_equal(mvccKeyIndexParse("i\0\x01", 3, &group_len, &rev, &sub),
                     -2);
    assert_int_equal(mvccRecordDecode("abc", 3, &rec), -2);
    memset(enc, 0, sizeof enc);
    assert_int_equal(mvccStateDecode(enc, sizeof enc, &st), -2);
    memset(&st, 0, sizeof st);
    st.revision = 5;
    st.compact_rev = 6; /* compacted beyond the revision */
    mvccStateEncode(enc, &st);
    assert_int_equal(mvccStateDecode(enc, sizeof enc, &st), -2);
    st.compact_rev = 3;
    st.compact_done = 3;
    mvccStateEncode(enc, &st);
    assert_int_equal(mvccStateDecode(enc, sizeof enc, &st), 0);
    assert_int_equal(mvccStateDecode(enc, sizeof enc - 1, &st), -2);
    bufFree(&out);
}

/* etcd range rules: single key, [key, end), from-key "\0". */
static void testInRange(void **state)
{
    (void)state;
    assert_true(mvccKeyInRange("a", 1, NULL, 0, "a", 1));
    assert_false(mvccKeyInRange("a", 1, NULL, 0, "ab", 2));
    assert_true(mvccKeyInRange("a", 1, "b", 1, "ab", 2));
    assert_false(mvccKeyInRange("a", 1, "b", 1, "b", 1));
    assert_true(mvccKeyInRange("a", 1, "", 1, "zzz", 3));
    assert_false(mvccKeyInRange("b", 1, "", 1, "a", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(testEscapeOrder),
        cmocka_unit_test(testIndexOrder),
        cmocka_unit_test(testMalformed),
        cmocka_unit_test(testInRange),
    };
    return cmocka_run_group_tests_name("mvcc_key", tests, NULL, NULL);
}
