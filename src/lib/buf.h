/* Growable byte buffer for building keys and records. Generic and pure; not
 * thread-safe (each user owns its buffers). */
#ifndef ETCFS_LIB_BUF_H
#define ETCFS_LIB_BUF_H

#include <stddef.h>
#include <stdint.h>

/* A zero-initialized struct buf is an empty buffer. data is malloc'd and
 * owned by the struct; freed by bufFree(). */
struct buf
{
    char *data;
    size_t len;
    size_t cap;
};

/* Ensures room for 'more' bytes after len. Returns 0 or -1 (out of memory,
 * buffer unchanged). */
int bufReserve(struct buf *b, size_t more);
/* Appends n bytes copied from p. Returns 0 or -1 (out of memory). */
int bufAppend(struct buf *b, const void *p, size_t n);
/* bufAppend, keeping a '\0' after the bytes (not counted in len): for
 * bodies that are then read as text. */
int bufAppendText(struct buf *b, const void *p, size_t n);
int bufAppendByte(struct buf *b, unsigned char c);
/* Appends v as 8 (4) bytes, big-endian. Returns 0 or -1. */
int bufAppendU64(struct buf *b, uint64_t v);
int bufAppendU32(struct buf *b, uint32_t v);
/* Empties the buffer, keeping its memory. */
void bufReset(struct buf *b);
/* Frees the memory; the buffer is empty and usable again. */
void bufFree(struct buf *b);

/* Big-endian load/store on raw memory (p borrowed, no bounds check: the
 * caller checked the length). */
void bufPutU64(void *p, uint64_t v);
uint64_t bufGetU64(const void *p);
void bufPutU32(void *p, uint32_t v);
uint32_t bufGetU32(const void *p);

#endif /* ETCFS_LIB_BUF_H */
