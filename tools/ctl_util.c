/* etcfsctl utilities: growable buffer, checked allocation, fatal errors
 * ("Error: ..." and the exit code), base64 (OpenSSL EVP), the monotonic
 * clock, sleeping, the stop signals and reading stdin. Go-compatible
 * parsing and formatting is in ctl_go.c. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "ctl_util.h"
#include "ctl.h"

/* ---- allocation ---- */

static void ctlOutOfMemory(void)
{
    fputs("Error: out of memory\n", stderr);
    exit(CTL_EXIT_ERROR);
}

void *ctlMalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
    {
        ctlOutOfMemory();
    }
    return p;
}

void *ctlRealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
    {
        ctlOutOfMemory();
    }
    return q;
}

char *ctlStrndup(const char *s, size_t n)
{
    char *p = ctlMalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ctlStrdup(const char *s)
{
    return ctlStrndup(s, strlen(s));
}

void ctlFreeStrings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        free(v[i]);
    }
    free(v);
}

/* ---- buffer ---- */

void ctlBufAppend(struct ctl_buf *b, const void *p, size_t n)
{
    if (b->len + n + 1 > b->cap)
    {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
        {
            if (cap > SIZE_MAX / 2)
            {
                ctlOutOfMemory();
            }
            cap *= 2;
        }
        b->data = ctlRealloc(b->data, cap);
        b->cap = cap;
    }
    if (n > 0)
    {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
}

void ctlBufPuts(struct ctl_buf *b, const char *s)
{
    ctlBufAppend(b, s, strlen(s));
}

void ctlBufPutc(struct ctl_buf *b, char c)
{
    ctlBufAppend(b, &c, 1);
}

void ctlBufPrintf(struct ctl_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
    {
        return;
    }
    if ((size_t)n < sizeof(small))
    {
        ctlBufAppend(b, small, (size_t)n);
        return;
    }
    char *big = ctlMalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    ctlBufAppend(b, big, (size_t)n);
    free(big);
}

void ctlBufFree(struct ctl_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ctlBufFlush(struct ctl_buf *b)
{
    if (b->len > 0)
    {
        fwrite(b->data, 1, b->len, stdout);
    }
    fflush(stdout);
    b->len = 0;
    if (b->data != NULL)
    {
        b->data[0] = '\0';
    }
}

/* ---- errors ---- */

void ctlFatal(int code, const char *fmt, ...)
{
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fputs("Error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

void ctlFatalResponse(const char *what)
{
    ctlFatal(CTL_EXIT_ERROR, "invalid response from server (%s)", what);
}

/* ---- base64 ---- */

char *ctlBase64Encode(const void *data, size_t len)
{
    if (len > (SIZE_MAX / 4) * 3 - 3 || len > (size_t)INT32_MAX)
    {
        ctlOutOfMemory();
    }
    size_t outLen = 4 * ((len + 2) / 3);
    char *out = ctlMalloc(outLen + 1);
    int n = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)data, (int)len);
    if (n < 0)
    {
        n = 0;
    }
    out[n] = '\0';
    return out;
}

static int ctlBase64Value(char c)
{
    if (c >= 'A' && c <= 'Z')
    {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z')
    {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9')
    {
        return c - '0' + 52;
    }
    if (c == '+' || c == '-')
    {
        return 62;
    }
    if (c == '/' || c == '_')
    {
        return 63;
    }
    return -1;
}

int ctlBase64Decode(const char *s, size_t slen, char **out, size_t *outLen)
{
    /* Normalize: URL-safe alphabet to standard, restore missing padding,
     * reject anything else before handing it to EVP_DecodeBlock. */
    size_t pad = 0;
    while (slen > 0 && s[slen - 1] == '=' && pad < 2)
    {
        slen--;
        pad++;
    }
    if (slen % 4 == 1 || slen > (size_t)INT32_MAX - 4)
    {
        return -1;
    }
    size_t full = slen + (4 - slen % 4) % 4;
    if (pad > 0 && full != slen + pad)
    {
        return -1;
    }
    char *norm = ctlMalloc(full + 1);
    for (size_t i = 0; i < slen; i++)
    {
        int v = ctlBase64Value(s[i]);
        if (v < 0)
        {
            free(norm);
            return -1;
        }
        norm[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    }
    for (size_t i = slen; i < full; i++)
    {
        norm[i] = '=';
    }
    norm[full] = '\0';
    size_t padding = full - slen;
    char *dec = ctlMalloc(full / 4 * 3 + 1);
    int n = full ? EVP_DecodeBlock((unsigned char *)dec, (unsigned char *)norm, (int)full) : 0;
    free(norm);
    if (n < 0 || (size_t)n < padding)
    {
        free(dec);
        return -1;
    }
    size_t len = (size_t)n - padding;
    dec[len] = '\0';
    *out = dec;
    *outLen = len;
    return 0;
}

void ctlSleepMs(int64_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0)
    {
    }
}

static void ctlExitZeroCb(int sig)
{
    (void)sig;
    _exit(0);
}

void ctlExitZeroOnStop(void)
{
    signal(SIGINT, ctlExitZeroCb);
    signal(SIGTERM, ctlExitZeroCb);
}

int64_t ctlNowNs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *ctlReadAllStdin(size_t *len)
{
    struct ctl_buf b = {0};
    char chunk[65536];
    for (;;)
    {
        ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (n < 0)
        {
            if (errno == EINTR)
            {
                continue;
            }
            break;
        }
        if (n == 0)
        {
            break;
        }
        ctlBufAppend(&b, chunk, (size_t)n);
    }
    if (b.data == NULL)
    {
        ctlBufAppend(&b, "", 0);
    }
    *len = b.len;
    return b.data;
}
