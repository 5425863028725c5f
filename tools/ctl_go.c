/* etcfsctl's Go compatibility: parsing and formatting exactly as the Go code
 * behind etcdctl does it, so that flags, answers and messages read the same.
 * strconv.ParseInt/ParseUint/ParseBool (with their error texts),
 * time.ParseDuration, strconv.Unquote of a "..." literal, and the formatting
 * etcdctl's output depends on: time.Duration.String, humanize.Bytes,
 * strconv.Quote (%q), encoding/json's strings, %016x of lease ids. Pure:
 * no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_go.h"

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

/* What Go's two string quotings (strconv.Quote, encoding/json) share: the
 * quotes, and the walk that hands each ASCII byte to ascii() and each UTF-8
 * rune to rune() (its bytes p[0..len); len 0: p[0] is not valid UTF-8). */
static void ctlQuoteWalk(struct ctl_buf *b, const char *s, size_t n,
                         void (*ascii)(struct ctl_buf *b, unsigned char c),
                         void (*rune)(struct ctl_buf *b, const unsigned char *p, size_t len,
                                      uint32_t r))
{
    const unsigned char *p = (const unsigned char *)s;
    ctlBufPutc(b, '"');
    size_t i = 0;
    while (i < n)
    {
        if (p[i] < 0x80)
        {
            ascii(b, p[i]);
            i++;
            continue;
        }
        uint32_t r = 0;
        size_t len = ctlUtf8Decode(p + i, n - i, &r);
        rune(b, p + i, len, r);
        i += len > 0 ? len : 1;
    }
    ctlBufPutc(b, '"');
}

static void ctlGoQuoteAscii(struct ctl_buf *b, unsigned char c)
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
}

static void ctlGoQuoteRune(struct ctl_buf *b, const unsigned char *p, size_t len, uint32_t r)
{
    if (len == 0)
    {
        ctlBufPrintf(b, "\\x%02x", p[0]);
    }
    else if (ctlRuneIsPrint(r))
    {
        ctlBufAppend(b, p, len);
    }
    else if (r < 0x10000)
    {
        ctlBufPrintf(b, "\\u%04x", r);
    }
    else
    {
        ctlBufPrintf(b, "\\U%08x", r);
    }
}

void ctlFmtGoQuote(struct ctl_buf *b, const char *s, size_t n)
{
    ctlQuoteWalk(b, s, n, ctlGoQuoteAscii, ctlGoQuoteRune);
}

/* encoding/json escapes <, > and & too (HTML-safe) */
static void ctlJsonQuoteAscii(struct ctl_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&')
    {
        ctlBufPutc(b, (char)c);
    }
    else if (c == '"' || c == '\\')
    {
        ctlBufPutc(b, '\\');
        ctlBufPutc(b, (char)c);
    }
    else if (c == '\n')
    {
        ctlBufPuts(b, "\\n");
    }
    else if (c == '\r')
    {
        ctlBufPuts(b, "\\r");
    }
    else if (c == '\t')
    {
        ctlBufPuts(b, "\\t");
    }
    else
    {
        char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf], 0};
        ctlBufPuts(b, esc);
    }
}

/* invalid UTF-8 becomes U+FFFD; U+2028 and U+2029 are escaped */
static void ctlJsonQuoteRune(struct ctl_buf *b, const unsigned char *p, size_t len, uint32_t r)
{
    if (len == 0)
    {
        ctlBufPuts(b, "\\ufffd");
    }
    else if (r == 0x2028 || r == 0x2029)
    {
        ctlBufPrintf(b, "\\u%04x", r);
    }
    else
    {
        ctlBufAppend(b, p, len);
    }
}

void ctlFmtJsonString(struct ctl_buf *b, const char *s, size_t n)
{
    ctlQuoteWalk(b, s, n, ctlJsonQuoteAscii, ctlJsonQuoteRune);
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

/* ---- Go unquoting ---- */

static void ctlPutUtf8(struct ctl_buf *b, uint32_t r)
{
    if (r < 0x80)
    {
        ctlBufPutc(b, (char)r);
    }
    else if (r < 0x800)
    {
        ctlBufPutc(b, (char)(0xc0 | (r >> 6)));
        ctlBufPutc(b, (char)(0x80 | (r & 0x3f)));
    }
    else if (r < 0x10000)
    {
        ctlBufPutc(b, (char)(0xe0 | (r >> 12)));
        ctlBufPutc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
        ctlBufPutc(b, (char)(0x80 | (r & 0x3f)));
    }
    else
    {
        ctlBufPutc(b, (char)(0xf0 | (r >> 18)));
        ctlBufPutc(b, (char)(0x80 | ((r >> 12) & 0x3f)));
        ctlBufPutc(b, (char)(0x80 | ((r >> 6) & 0x3f)));
        ctlBufPutc(b, (char)(0x80 | (r & 0x3f)));
    }
}

/* Go-unquotes a double-quoted literal s[0..n) (quotes included) into out.
 * Returns 0 or -1 (invalid syntax). */
int ctlGoUnquote(const char *s, size_t n, struct ctl_buf *out)
{
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
    {
        return -1;
    }
    ctlBufAppend(out, "", 0);
    for (size_t i = 1; i < n - 1; i++)
    {
        char c = s[i];
        if (c == '"' || c == '\n')
        {
            return -1;
        }
        if (c != '\\')
        {
            ctlBufPutc(out, c);
            continue;
        }
        if (++i >= n - 1)
        {
            return -1;
        }
        c = s[i];
        switch (c)
        {
        case 'a':
            ctlBufPutc(out, '\a');
            break;
        case 'b':
            ctlBufPutc(out, '\b');
            break;
        case 'f':
            ctlBufPutc(out, '\f');
            break;
        case 'n':
            ctlBufPutc(out, '\n');
            break;
        case 'r':
            ctlBufPutc(out, '\r');
            break;
        case 't':
            ctlBufPutc(out, '\t');
            break;
        case 'v':
            ctlBufPutc(out, '\v');
            break;
        case '\\':
        case '"':
            ctlBufPutc(out, c);
            break;
        case 'x':
        case 'u':
        case 'U':
        {
            size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
            uint32_t v = 0;
            for (size_t k = 0; k < digits; k++)
            {
                if (i + 1 >= n - 1 || ctlDigitValue(s[i + 1]) >= 16)
                {
                    return -1;
                }
                v = v * 16 + (uint32_t)ctlDigitValue(s[++i]);
            }
            if (c == 'x')
            {
                ctlBufPutc(out, (char)v);
            }
            else
            {
                if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                {
                    return -1;
                }
                ctlPutUtf8(out, v);
            }
            break;
        }
        default:
            if (c >= '0' && c <= '7')
            {
                uint32_t v = 0;
                for (size_t k = 0; k < 3; k++)
                {
                    if (i >= n - 1 || s[i] < '0' || s[i] > '7')
                    {
                        return -1;
                    }
                    v = v * 8 + (uint32_t)(s[i] - '0');
                    i++;
                }
                i--;
                if (v > 255)
                {
                    return -1;
                }
                ctlBufPutc(out, (char)v);
                break;
            }
            return -1;
        }
    }
    return 0;
}
