/* etcfsctl utilities: growable buffer, checked allocation, fatal errors,
 * base64 (OpenSSL EVP), Go-compatible number/bool/duration parsing and the
 * Go formatting etcdctl's output depends on (time.Duration.String,
 * humanize.Bytes, strconv.Quote, %016x of lease ids). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

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

/* ---- Go parsing ---- */

static void ctlGoNumError(char *err, size_t errlen, const char *fn, const char *s,
                          const char *why)
{
    struct ctl_buf b = {0};
    ctlFmtGoQuote(&b, s, strlen(s));
    snprintf(err, errlen, "strconv.%s: parsing %s: %s", fn, b.data, why);
    ctlBufFree(&b);
}

static int ctlDigitValue(char c)
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z')
    {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z')
    {
        return c - 'A' + 10;
    }
    return 99;
}

/* Parses unsigned digits in base; 0 ok, -1 syntax, -2 range. */
static int ctlParseDigits(const char *s, int base, uint64_t *out)
{
    if (*s == '\0')
    {
        return -1;
    }
    uint64_t v = 0;
    bool overflow = false;
    for (; *s; s++)
    {
        int d = ctlDigitValue(*s);
        if (d >= base)
        {
            return -1;
        }
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
        {
            overflow = true;
        }
        else
        {
            v = v * (uint64_t)base + (uint64_t)d;
        }
    }
    *out = v;
    return overflow ? -2 : 0;
}

int ctlParseInt64(const char *s, int base, int64_t *out, char *err, size_t errlen)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
    {
        neg = *p == '-';
        p++;
    }
    uint64_t v = 0;
    int rc = ctlParseDigits(p, base, &v);
    if (rc == -1)
    {
        ctlGoNumError(err, errlen, "ParseInt", s, "invalid syntax");
        return -1;
    }
    if (rc == -2 || (!neg && v > (uint64_t)INT64_MAX) ||
        (neg && v > (uint64_t)INT64_MAX + 1))
    {
        ctlGoNumError(err, errlen, "ParseInt", s, "value out of range");
        return -1;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int ctlParseUint64(const char *s, int base, uint64_t *out, char *err, size_t errlen)
{
    uint64_t v = 0;
    int rc = ctlParseDigits(s, base, &v);
    if (rc == -1)
    {
        ctlGoNumError(err, errlen, "ParseUint", s, "invalid syntax");
        return -1;
    }
    if (rc == -2)
    {
        ctlGoNumError(err, errlen, "ParseUint", s, "value out of range");
        return -1;
    }
    *out = v;
    return 0;
}

int ctlParseBool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
    {
        if (strcmp(s, yes[i]) == 0)
        {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0)
        {
            *out = false;
            return 0;
        }
    }
    return -1;
}

int ctlParseDuration(const char *s, int64_t *ms, char *err, size_t errlen)
{
    struct ctl_buf q = {0};
    ctlFmtGoQuote(&q, s, strlen(s));
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
    {
        neg = *p == '-';
        p++;
    }
    if (strcmp(p, "0") == 0)
    {
        *ms = 0;
        ctlBufFree(&q);
        return 0;
    }
    if (*p == '\0')
    {
        snprintf(err, errlen, "time: invalid duration %s", q.data);
        ctlBufFree(&q);
        return -1;
    }
    double total = 0;
    while (*p)
    {
        const char *start = p;
        double v = 0;
        bool digits = false;
        while (*p >= '0' && *p <= '9')
        {
            v = v * 10 + (*p - '0');
            p++;
            digits = true;
        }
        if (*p == '.')
        {
            p++;
            double scale = 0.1;
            while (*p >= '0' && *p <= '9')
            {
                v += (*p - '0') * scale;
                scale /= 10;
                p++;
                digits = true;
            }
        }
        if (!digits)
        {
            (void)start;
            snprintf(err, errlen, "time: invalid duration %s", q.data);
            ctlBufFree(&q);
            return -1;
        }
        const char *u = p;
        while (*p && !(*p >= '0' && *p <= '9') && *p != '.')
        {
            p++;
        }
        size_t ul = (size_t)(p - u);
        double unit = 0;
        if (ul == 0)
        {
            snprintf(err, errlen, "time: missing unit in duration %s", q.data);
            ctlBufFree(&q);
            return -1;
        }
        if (ul == 2 && memcmp(u, "ns", 2) == 0)
        {
            unit = 1;
        }
        else if ((ul == 2 && memcmp(u, "us", 2) == 0) ||
                 (ul == 3 && (memcmp(u, "\xc2\xb5s", 3) == 0 || memcmp(u, "\xce\xbcs", 3) == 0)))
        {
            unit = 1e3;
        }
        else if (ul == 2 && memcmp(u, "ms", 2) == 0)
        {
            unit = 1e6;
        }
        else if (ul == 1 && *u == 's')
        {
            unit = 1e9;
        }
        else if (ul == 1 && *u == 'm')
        {
            unit = 60e9;
        }
        else if (ul == 1 && *u == 'h')
        {
            unit = 3600e9;
        }
        else
        {
            struct ctl_buf uq = {0};
            ctlFmtGoQuote(&uq, u, ul);
            snprintf(err, errlen, "time: unknown unit %s in duration %s", uq.data, q.data);
            ctlBufFree(&uq);
            ctlBufFree(&q);
            return -1;
        }
        total += v * unit;
        if (total > 9.2e18)
        {
            snprintf(err, errlen, "time: invalid duration %s", q.data);
            ctlBufFree(&q);
            return -1;
        }
    }
    ctlBufFree(&q);
    int64_t m = (int64_t)(total / 1e6);
    *ms = neg ? -m : m;
    return 0;
}

/* ---- Go formatting ---- */

/* fmtFrac from Go's time package: writes v's low prec digits as a fraction
 * (trailing zeros dropped) right-to-left into buf ending at *w. */
static uint64_t ctlFmtFrac(char *buf, int *w, uint64_t v, int prec)
{
    bool print = false;
    for (int i = 0; i < prec; i++)
    {
        int digit = (int)(v % 10);
        print = print || digit != 0;
        if (print)
        {
            buf[--*w] = (char)('0' + digit);
        }
        v /= 10;
    }
    if (print)
    {
        buf[--*w] = '.';
    }
    return v;
}

static void ctlFmtInt(char *buf, int *w, uint64_t v)
{
    if (v == 0)
    {
        buf[--*w] = '0';
        return;
    }
    while (v > 0)
    {
        buf[--*w] = (char)('0' + v % 10);
        v /= 10;
    }
}

void ctlFmtDuration(struct ctl_buf *b, int64_t ns)
{
    char buf[40];
    int w = (int)sizeof(buf);
    bool neg = ns < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    if (u < 1000000000ULL)
    {
        int prec;
        buf[--w] = 's';
        if (u == 0)
        {
            ctlBufPuts(b, "0s");
            return;
        }
        if (u < 1000ULL)
        {
            prec = 0;
            buf[--w] = 'n';
        }
        else if (u < 1000000ULL)
        {
            prec = 3;
            buf[--w] = '\xb5';
            buf[--w] = '\xc2';
        }
        else
        {
            prec = 6;
            buf[--w] = 'm';
        }
        u = ctlFmtFrac(buf, &w, u, prec);
        ctlFmtInt(buf, &w, u);
    }
    else
    {
        buf[--w] = 's';
        u = ctlFmtFrac(buf, &w, u, 9);
        ctlFmtInt(buf, &w, u % 60);
        u /= 60;
        if (u > 0)
        {
            buf[--w] = 'm';
            ctlFmtInt(buf, &w, u % 60);
            u /= 60;
            if (u > 0)
            {
                buf[--w] = 'h';
                ctlFmtInt(buf, &w, u);
            }
        }
    }
    if (neg)
    {
        buf[--w] = '-';
    }
    ctlBufAppend(b, buf + w, sizeof(buf) - (size_t)w);
}

void ctlFmtHumanBytes(struct ctl_buf *b, uint64_t n)
{
    static const char *const sizes[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    if (n < 10)
    {
        ctlBufPrintf(b, "%llu B", (unsigned long long)n);
        return;
    }
    /* e = floor(log1000(n)), val = floor(n / 1000^e * 10 + 0.5) / 10 */
    int e = 0;
    double base = 1;
    while (e < 6 && (double)n >= base * 1000.0)
    {
        base *= 1000.0;
        e++;
    }
    double scaled = (double)n / base * 10 + 0.5;
    double val = (double)(unsigned long long)scaled / 10;
    if (val < 10)
    {
        ctlBufPrintf(b, "%.1f %s", val, sizes[e]);
    }
    else
    {
        ctlBufPrintf(b, "%.0f %s", val, sizes[e]);
    }
}

/* Decodes one UTF-8 rune; returns its length or 0 if invalid. */
static size_t ctlUtf8Decode(const unsigned char *s, size_t n, uint32_t *r)
{
    if (s[0] < 0x80)
    {
        *r = s[0];
        return 1;
    }
    size_t len;
    uint32_t min;
    uint32_t v;
    if ((s[0] & 0xe0) == 0xc0)
    {
        len = 2;
        min = 0x80;
        v = s[0] & 0x1f;
    }
    else if ((s[0] & 0xf0) == 0xe0)
    {
        len = 3;
        min = 0x800;
        v = s[0] & 0x0f;
    }
    else if ((s[0] & 0xf8) == 0xf0)
    {
        len = 4;
        min = 0x10000;
        v = s[0] & 0x07;
    }
    else
    {
        return 0;
    }
    if (n < len)
    {
        return 0;
    }
    for (size_t i = 1; i < len; i++)
    {
        if ((s[i] & 0xc0) != 0x80)
        {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
    {
        return 0;
    }
    *r = v;
    return len;
}

/* Approximation of Go's unicode.IsPrint for non-ASCII runes. */
static bool ctlRuneIsPrint(uint32_t r)
{
    if (r < 0xa0)
    {
        return false;
    }
    if (r == 0xad || r == 0x2028 || r == 0x2029 || (r >= 0x200b && r <= 0x200f) ||
        (r >= 0x202a && r <= 0x202e) || (r >= 0x2060 && r <= 0x206f) || r == 0xfeff ||
        (r >= 0xfff9 && r <= 0xfffb) || (r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000 ||
        (r & 0xfffe) == 0xfffe)
    {
        return false;
    }
    return true;
}

void ctlFmtGoQuote(struct ctl_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    ctlBufPutc(b, '"');
    size_t i = 0;
    while (i < n)
    {
        unsigned char c = p[i];
        if (c < 0x80)
        {
            switch (c)
            {
            case '"':
                ctlBufPuts(b, "\\\"");
                break;
            case '\\':
                ctlBufPuts(b, "\\\\");
                break;
            case '\a':
                ctlBufPuts(b, "\\a");
                break;
            case '\b':
                ctlBufPuts(b, "\\b");
                break;
            case '\f':
                ctlBufPuts(b, "\\f");
                break;
            case '\n':
                ctlBufPuts(b, "\\n");
                break;
            case '\r':
                ctlBufPuts(b, "\\r");
                break;
            case '\t':
                ctlBufPuts(b, "\\t");
                break;
            case '\v':
                ctlBufPuts(b, "\\v");
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                {
                    ctlBufPrintf(b, "\\x%02x", c);
                }
                else
                {
                    ctlBufPutc(b, (char)c);
                }
            }
            i++;
            continue;
        }
        uint32_t r = 0;
        size_t len = ctlUtf8Decode(p + i, n - i, &r);
        if (len == 0)
        {
            ctlBufPrintf(b, "\\x%02x", c);
            i++;
            continue;
        }
        if (ctlRuneIsPrint(r))
        {
            ctlBufAppend(b, p + i, len);
        }
        else if (r < 0x10000)
        {
            ctlBufPrintf(b, "\\u%04x", r);
        }
        else
        {
            ctlBufPrintf(b, "\\U%08x", r);
        }
        i += len;
    }
    ctlBufPutc(b, '"');
}

void ctlFmtLeaseId(struct ctl_buf *b, int64_t id)
{
    if (id < 0)
    {
        uint64_t m = (uint64_t)0 - (uint64_t)id;
        ctlBufPrintf(b, "-%015llx", (unsigned long long)m);
        return;
    }
    ctlBufPrintf(b, "%016llx", (unsigned long long)id);
}

void ctlFmtHexWidth(struct ctl_buf *b, uint64_t v, int width)
{
    ctlBufPrintf(b, "%*llx", width, (unsigned long long)v);
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
