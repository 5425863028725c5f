/* File name escaping for key segments (rules in path.h). Pure. */
#include "path.h"

#include <string.h>

#include "../src/lib/hex.h"

int pathEscapeSegment(const char *seg, size_t len, bool shadowed, char *out,
                      size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    size_t i;
    size_t limit = size - 1 < PATH_NAME_MAX ? size - 1 : PATH_NAME_MAX;

#define PATH__PUT(c)          \
    do {                      \
        if (o >= limit) {     \
            return -1;        \
        }                     \
        out[o++] = (char)(c); \
    } while (0)

    if (size == 0) {
        return -1;
    }
    if (len == 0) {
        PATH__PUT('%');
    } else if (len == 1 && seg[0] == '.') {
        PATH__PUT('%');
        PATH__PUT('2');
        PATH__PUT('E');
    } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
        for (i = 0; i < 2; i++) {
            PATH__PUT('%');
            PATH__PUT('2');
            PATH__PUT('E');
        }
    } else {
        for (i = 0; i < len; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c == '%' || c == '\0') {
                PATH__PUT('%');
                PATH__PUT(hex[c >> 4]);
                PATH__PUT(hex[c & 15]);
            } else {
                PATH__PUT(c);
            }
        }
    }
    if (shadowed) {
        PATH__PUT('%');
    }
#undef PATH__PUT
    out[o] = '\0';
    return (int)o;
}

int pathUnescapeName(const char *name, size_t len, char *out, size_t size,
                     bool *shadowed)
{
    size_t o = 0;
    size_t i = 0;
    *shadowed = false;
    if (len == 0) {
        return -1;
    }
    if (len == 1 && name[0] == '%') {
        return 0; /* the empty segment */
    }
    if (len > 1 && name[len - 1] == '%' &&
        (len < 3 || name[len - 3] != '%' || hexDigit(name[len - 2]) < 0)) {
        /* "a%": the value shadowed by directory "a" (a lone trailing '%');
         * "%%" is the shadowed value of the empty segment. */
        *shadowed = true;
        len--;
        if (len == 1 && name[0] == '%') {
            return 0;
        }
    }
    /* "." and ".." never come from escaping: the kernel does not send
     * them, but refuse them anyway. */
    if ((len == 1 && name[0] == '.') ||
        (len == 2 && name[0] == '.' && name[1] == '.')) {
        return -1;
    }
    while (i < len) {
        char c = name[i];
        if (c == '%') {
            int hi;
            int lo;
            if (i + 2 >= len) {
                return -1;
            }
            hi = hexDigit(name[i + 1]);
            lo = hexDigit(name[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            c = (char)(hi * 16 + lo);
            i += 3;
        } else {
            i++;
        }
        if (o >= size) {
            return -1;
        }
        out[o++] = c;
    }
    /* Canonical form only: a segment must escape back to the same name,
     * so "%41" (an escaped 'A') is not a second name for "A". */
    {
        char again[PATH_NAME_MAX + 1];
        int n = pathEscapeSegment(out, o, false, again, sizeof again);
        if (n < 0 || (size_t)n != len || memcmp(again, name, len) != 0) {
            return -1;
        }
    }
    return (int)o;
}

size_t pathParentLen(const char *rel, size_t len)
{
    while (len > 0 && rel[len - 1] != '/') {
        len--;
    }
    return len > 0 ? len - 1 : 0;
}
