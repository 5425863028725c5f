/* etcfsctl utilities (ctl_util.c): the growable buffer every printer writes
 * into, allocation that exits on failure, the "Error: ..." exits, base64
 * (OpenSSL EVP), the monotonic clock, sleeping, the stop signals and
 * reading stdin. Everything here either succeeds or exits: out of memory is
 * "Error: out of memory", 1. */
#ifndef ETCFS_TOOLS_CTL_UTIL_H
#define ETCFS_TOOLS_CTL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer; zero-initialize it ({0}). data is always
 * NUL-terminated once something was appended; the buffer owns it until
 * ctlBufFree (or until the caller takes data over, then frees it). */
struct ctl_buf
{
    char *data;
    size_t len;
    size_t cap;
};

/* Append copies of p[0..n), s, c, or the formatted text. */
void ctlBufAppend(struct ctl_buf *b, const void *p, size_t n);
void ctlBufPuts(struct ctl_buf *b, const char *s);
void ctlBufPutc(struct ctl_buf *b, char c);
void ctlBufPrintf(struct ctl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctlBufFree(struct ctl_buf *b);
/* Writes the buffer to stdout, flushes, and empties it. */
void ctlBufFlush(struct ctl_buf *b);

/* malloc/realloc/strdup that exit on failure; results transferred to the
 * caller (free()). ctlStrndup copies s[0..n) and NUL-terminates. */
void *ctlMalloc(size_t n);
void *ctlRealloc(void *p, size_t n);
char *ctlStrdup(const char *s);
char *ctlStrndup(const char *s, size_t n);
/* Frees v[0..n) and v (all transferred). */
void ctlFreeStrings(char **v, size_t n);

/* Prints "Error: <msg>" to stderr (stdout flushed first) and exits with
 * code. */
void ctlFatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* A malformed answer from the server: "invalid response from server
 * (<what>)", exit 1. */
void ctlFatalResponse(const char *what) __attribute__((noreturn));

/* Standard base64 with padding of data[0..len) (borrowed); the result is
 * transferred to the caller. */
char *ctlBase64Encode(const void *data, size_t len);
/* Decodes s[0..slen) (borrowed), standard or URL-safe alphabet, padded or
 * not. Returns 0 with *out (NUL-terminated, *outLen bytes, transferred), or
 * -1. */
int ctlBase64Decode(const char *s, size_t slen, char **out, size_t *outLen);

/* Monotonic clock in nanoseconds. */
int64_t ctlNowNs(void);
/* Sleeps ms milliseconds, whatever signals come. */
void ctlSleepMs(int64_t ms);
/* SIGINT and SIGTERM end the process with exit code 0, as they end
 * etcdctl's watch and lease keep-alive. */
void ctlExitZeroOnStop(void);

/* Reads all of stdin; the result (NUL-terminated, *len bytes) is
 * transferred to the caller. */
char *ctlReadAllStdin(size_t *len);

#endif /* ETCFS_TOOLS_CTL_UTIL_H */
