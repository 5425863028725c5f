/* A hexadecimal digit's value, for percent-escapes (the mount's file
 * names, the v2 API's URLs and forms). Pure. */
#ifndef ETCFS_LIB_HEX_H
#define ETCFS_LIB_HEX_H

/* 0-15, or -1 when c is not a hexadecimal digit. */
static inline int hexDigit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

#endif /* ETCFS_LIB_HEX_H */
