/* libFuzzer harness for fuse/path.c: any bytes as a key (split on '/'
 * into segments, as the mount maps keys to paths), as one file name (as
 * the kernel sends them) and as a relative path. Escaping then unescaping
 * a segment gives it back; a name that unescapes escapes back to itself
 * (path.h: one name per segment and one segment per name); no name is
 * "." or "..", holds a '/' or exceeds PATH_NAME_MAX. These are our
 * invariants: asserted. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fuse/path.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* seg (no '/') escaped into a buffer of 'room' bytes. */
static void checkSegment(const char *seg, size_t len, bool shadowed,
                         size_t room)
{
    char name[PATH_NAME_MAX + 2];
    char back[PATH_NAME_MAX + 1];
    bool sh = !shadowed;
    int n;
    int m;
    assert(room <= sizeof name);
    n = pathEscapeSegment(seg, len, shadowed, name, room);
    if (n < 0) {
        return; /* too long for a name: the mount says ENAMETOOLONG */
    }
    assert(n > 0 && (size_t)n < room && (size_t)n <= PATH_NAME_MAX);
    assert(name[n] == '\0');
    assert(memchr(name, '/', (size_t)n) == NULL);
    assert(memchr(name, '\0', (size_t)n) == NULL);
    assert(!(n == 1 && name[0] == '.'));
    assert(!(n == 2 && name[0] == '.' && name[1] == '.'));
    m = pathUnescapeName(name, (size_t)n, back, sizeof back, &sh);
    assert(m >= 0 && (size_t)m == len && sh == shadowed);
    assert(len == 0 || memcmp(back, seg, len) == 0);
}

/* name as the kernel sends it: NUL-free, at most NAME_MAX bytes. */
static void checkName(const char *name, size_t len)
{
    char seg[PATH_NAME_MAX + 1];
    char again[PATH_NAME_MAX + 1];
    bool sh = false;
    int m = pathUnescapeName(name, len, seg, sizeof seg, &sh);
    int n;
    if (m < 0) {
        return;
    }
    assert((size_t)m <= len);
    n = pathEscapeSegment(seg, (size_t)m, sh, again, sizeof again);
    assert(n >= 0 && (size_t)n == len && memcmp(again, name, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t start = 0;
    size_t i;
    size_t parent;
    size_t room = size > 0 ? (size_t)data[0] % (PATH_NAME_MAX + 2) + 1
                           : PATH_NAME_MAX + 1;

    /* the key's segments, the last one also in its shadowed form */
    for (i = 0; i <= size; i++) {
        if (i < size && p[i] != '/') {
            continue;
        }
        checkSegment(p + start, i - start, false, PATH_NAME_MAX + 1);
        checkSegment(p + start, i - start, false, room);
        if (i == size) {
            checkSegment(p + start, i - start, true, PATH_NAME_MAX + 1);
        }
        start = i + 1;
    }
    /* the whole input as a name (up to its first NUL, as a C string) */
    {
        size_t len = strnlen(p, size);
        if (len <= PATH_NAME_MAX) {
            checkName(p, len);
        }
    }
    /* the whole input as a relative path */
    parent = pathParentLen(p, size);
    assert(parent == 0 || (parent < size && p[parent] == '/'));
    assert(memchr(p + (parent > 0 ? parent + 1 : 0), '/',
                  size - (parent > 0 ? parent + 1 : 0)) == NULL ||
           parent == 0);
    return 0;
}
