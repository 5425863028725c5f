/* Growable byte buffer and big-endian integer helpers. Pure. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

int bufReserve(struct buf *b, size_t more)
{
    size_t cap;
    char *p;
    if (b->cap - b->len >= more) {
        return 0;
    }
    if (more > SIZE_MAX / 2 - b->len) {
        return -1;
    }
    cap = b->cap == 0 ? 64 : b->cap;
    while (cap - b->len < more) {
        cap *= 2;
    }
    p = realloc(b->data, cap);
    if (p == NULL) {
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int bufAppend(struct buf *b, const void *p, size_t n)
{
    if (bufReserve(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    return 0;
}

int bufAppendText(struct buf *b, const void *p, size_t n)
{
    if (bufReserve(b, n + 1) != 0) {
        return -1;
    }
    bufAppend(b, p, n); /* cannot fail: reserved */
    b->data[b->len] = '\0';
    return 0;
}

int bufAppendByte(struct buf *b, unsigned char c)
{
    return bufAppend(b, &c, 1);
}

int bufAppendU64(struct buf *b, uint64_t v)
{
    unsigned char tmp[8];
    bufPutU64(tmp, v);
    return bufAppend(b, tmp, sizeof tmp);
}

int bufAppendU32(struct buf *b, uint32_t v)
{
    unsigned char tmp[4];
    bufPutU32(tmp, v);
    return bufAppend(b, tmp, sizeof tmp);
}

void bufReset(struct buf *b)
{
    b->len = 0;
}

void bufFree(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void bufPutU64(void *p, uint64_t v)
{
    unsigned char *q = p;
    int i;
    for (i = 7; i >= 0; i--) {
        q[i] = (unsigned char)(v & 0xffU);
        v >>= 8;
    }
}

uint64_t bufGetU64(const void *p)
{
    const unsigned char *q = p;
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++) {
        v = (v << 8) | q[i];
    }
    return v;
}

void bufPutU32(void *p, uint32_t v)
{
    unsigned char *q = p;
    q[0] = (unsigned char)(v >> 24);
    q[1] = (unsigned char)(v >> 16);
    q[2] = (unsigned char)(v >> 8);
    q[3] = (unsigned char)v;
}

uint32_t bufGetU32(const void *p)
{
    const unsigned char *q = p;
    return ((uint32_t)q[0] << 24) | ((uint32_t)q[1] << 16) |
           ((uint32_t)q[2] << 8) | (uint32_t)q[3];
}
