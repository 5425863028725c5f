/* Path <-> key mapping for the mount. Pure: no FUSE, no store.
 *
 * A key under the mount prefix is split on '/' into segments; each segment
 * becomes one file name, escaped so that every key is reachable and every
 * name maps back to exactly one key segment:
 *   - '%' is written "%25" and a NUL byte "%00";
 *   - the segments "." and ".." are written "%2E" and "%2E%2E";
 *   - an empty segment (as in "/a//b") is written "%";
 *   - every other byte, UTF-8 or not, is kept as it is.
 * A key that is both a value and the prefix of other keys ("/a" and "/a/b")
 * shows as a directory "a"; its own value is the file "a%" beside it (a
 * trailing lone '%' never comes out of escaping, so it cannot collide).
 * A key ending in '/' is a directory marker (written by mkdir): it is the
 * directory itself, not a file. */
#ifndef ETCFS_PATH_H
#define ETCFS_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define PATH_NAME_MAX 255

/* Escapes one key segment into a file name. Returns the name length, or -1
 * when the escaped name would exceed 'size' - 1 or PATH_NAME_MAX bytes.
 * 'shadowed' appends the trailing '%' of a value hidden by a directory. */
int pathEscapeSegment(const char *seg, size_t len, bool shadowed, char *out,
                      size_t size);

/* Unescapes one file name into a key segment (written to out, not
 * NUL-terminated). Returns the segment length, or -1 for a name that no key
 * produces (bad %XX, an escaped "." written raw, ...). *shadowed is set for
 * the "a%" form. */
int pathUnescapeName(const char *name, size_t len, char *out, size_t size,
                     bool *shadowed);

/* The length of the key suffix of the directory holding rel (segments
 * joined by '/'): up to its last '/', 0 for a name at the top. */
size_t pathParentLen(const char *rel, size_t len);

#endif /* ETCFS_PATH_H */
