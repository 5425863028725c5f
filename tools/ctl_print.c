/* etcfsctl printers shared by the commands: etcdctl's printKV (simple and
 * --hex), the "fields" printer pieces, output-format checks, and a renderer
 * reproducing olekukonko/tablewriter's layout as etcdctl -w table uses it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

void ctlKvParse(const json_t *obj, struct ctl_kv *kv)
{
    memset(kv, 0, sizeof(*kv));
    kv->key = ctlJBytes(obj, "key", &kv->key_len);
    kv->value = ctlJBytes(obj, "value", &kv->value_len);
    kv->create_revision = ctlJI64(obj, "create_revision");
    kv->mod_revision = ctlJI64(obj, "mod_revision");
    kv->version = ctlJI64(obj, "version");
    kv->lease = ctlJI64(obj, "lease");
}

void ctlKvFree(struct ctl_kv *kv)
{
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof(*kv));
}

static void ctlPrintHex(struct ctl_buf *b, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
    {
        ctlBufPrintf(b, "\\x%02x", (unsigned char)data[i]);
    }
}

void ctlPrintKv(struct ctl_buf *b, const struct ctl_options *o, const json_t *kvj, bool valueOnly)
{
    struct ctl_kv kv;
    ctlKvParse(kvj, &kv);
    if (!valueOnly)
    {
        if (o->hex)
        {
            ctlPrintHex(b, kv.key, kv.key_len);
        }
        else
        {
            ctlBufAppend(b, kv.key, kv.key_len);
        }
        ctlBufPutc(b, '\n');
    }
    if (o->hex)
    {
        ctlPrintHex(b, kv.value, kv.value_len);
    }
    else
    {
        ctlBufAppend(b, kv.value, kv.value_len);
    }
    ctlBufPutc(b, '\n');
    ctlKvFree(&kv);
}

void ctlFieldsHeader(struct ctl_buf *b, const json_t *hdr)
{
    ctlBufPrintf(b, "\"ClusterID\" : %llu\n", (unsigned long long)ctlJU64(hdr, "cluster_id"));
    ctlBufPrintf(b, "\"MemberID\" : %llu\n", (unsigned long long)ctlJU64(hdr, "member_id"));
    ctlBufPrintf(b, "\"Revision\" : %lld\n", (long long)ctlJI64(hdr, "revision"));
    ctlBufPrintf(b, "\"RaftTerm\" : %llu\n", (unsigned long long)ctlJU64(hdr, "raft_term"));
}

void ctlFieldsKv(struct ctl_buf *b, const char *pfx, const json_t *kvj)
{
    struct ctl_kv kv;
    ctlKvParse(kvj, &kv);
    ctlBufPrintf(b, "\"%sKey\" : ", pfx);
    ctlFmtGoQuote(b, kv.key, kv.key_len);
    ctlBufPrintf(b, "\n\"%sCreateRevision\" : %lld\n", pfx, (long long)kv.create_revision);
    ctlBufPrintf(b, "\"%sModRevision\" : %lld\n", pfx, (long long)kv.mod_revision);
    ctlBufPrintf(b, "\"%sVersion\" : %lld\n", pfx, (long long)kv.version);
    ctlBufPrintf(b, "\"%sValue\" : ", pfx);
    ctlFmtGoQuote(b, kv.value, kv.value_len);
    ctlBufPrintf(b, "\n\"%sLease\" : %lld\n", pfx, (long long)kv.lease);
    ctlKvFree(&kv);
}

void ctlUnsupportedOutput(const struct ctl_options *o)
{
    ctlFatal(CTL_EXIT_BAD_FEATURE, "%s not supported as output format", o->write_out);
}

void ctlCheckOutput(const struct ctl_options *o)
{
    if (o->output == CTL_OUT_INVALID)
    {
        ctlFatal(CTL_EXIT_BAD_FEATURE, "unsupported output format");
    }
}

/* ---- tablewriter ---- */

#define CTL_TABLE_MAX_WIDTH 30
#define CTL_TABLE_PENALTY 100000

/* Display width: UTF-8 code points (wide characters are not special). */
static size_t ctlTableWidth(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
    {
        if (((unsigned char)s[i] & 0xc0) != 0x80)
        {
            w++;
        }
    }
    return w;
}

struct ctl_table_cell
{
    char **lines;
    size_t count;
};

static void ctlTableAddLine(struct ctl_table_cell *c, const char *s, size_t n)
{
    c->lines = ctlRealloc(c->lines, (c->count + 1) * sizeof(char *));
    c->lines[c->count++] = ctlStrndup(s, n);
}

/* tablewriter's WrapString/WrapWords: minimum-raggedness word wrap of one
 * paragraph at lim columns (words are split on single spaces). */
static void ctlTableWrap(struct ctl_table_cell *c, const char *para, size_t lim)
{
    size_t n = 1;
    for (const char *p = para; *p; p++)
    {
        if (*p == ' ')
        {
            n++;
        }
    }
    const char **words = ctlMalloc(n * sizeof(char *));
    size_t *wl = ctlMalloc(n * sizeof(size_t));
    size_t *ww = ctlMalloc(n * sizeof(size_t));
    size_t k = 0;
    const char *start = para;
    for (const char *p = para;; p++)
    {
        if (*p == ' ' || *p == '\0')
        {
            words[k] = start;
            wl[k] = (size_t)(p - start);
            ww[k] = ctlTableWidth(start, wl[k]);
            if (ww[k] > lim)
            {
                lim = ww[k];
            }
            k++;
            start = p + 1;
            if (*p == '\0')
            {
                break;
            }
        }
    }
    long long *cost = ctlMalloc(n * sizeof(long long));
    size_t *brk = ctlMalloc(n * sizeof(size_t));
    for (size_t i = n; i-- > 0;)
    {
        /* length of words i..j joined by single spaces */
        size_t len = ww[i];
        size_t j = i + 1;
        for (; j < n; j++)
        {
            len += 1 + ww[j];
        }
        cost[i] = 0x7fffffff;
        if (len <= lim)
        {
            cost[i] = 0;
            brk[i] = n;
            continue;
        }
        len = ww[i];
        for (j = i + 1; j < n; j++)
        {
            /* len = length of words i..j-1 */
            long long d = (long long)lim - (long long)len;
            long long cc = d * d + cost[j];
            if (len > lim)
            {
                cc += CTL_TABLE_PENALTY;
            }
            if (cc < cost[i])
            {
                cost[i] = cc;
                brk[i] = j;
            }
            len += 1 + ww[j];
        }
    }
    for (size_t i = 0; i < n;)
    {
        size_t end = brk[i];
        const char *from = words[i];
        const char *to = words[end - 1] + wl[end - 1];
        ctlTableAddLine(c, from, (size_t)(to - from));
        i = end;
    }
    free(cost);
    free(brk);
    free(words);
    free(wl);
    free(ww);
}

/* tablewriter's parseDimension for one cell; updates the column width. */
static void ctlTableCell(struct ctl_table_cell *c, const char *s, size_t *colWidth)
{
    memset(c, 0, sizeof(*c));
    /* paragraphs (lines) of the cell */
    size_t maxWidth = 0;
    size_t paraCount = 0;
    char **paras = NULL;
    const char *start = s;
    for (const char *p = s;; p++)
    {
        if (*p == '\n' || *p == '\0')
        {
            paras = ctlRealloc(paras, (paraCount + 1) * sizeof(char *));
            paras[paraCount] = ctlStrndup(start, (size_t)(p - start));
            size_t w = ctlTableWidth(start, (size_t)(p - start));
            if (w > maxWidth)
            {
                maxWidth = w;
            }
            paraCount++;
            start = p + 1;
            if (*p == '\0')
            {
                break;
            }
        }
    }
    if (maxWidth > CTL_TABLE_MAX_WIDTH)
    {
        maxWidth = CTL_TABLE_MAX_WIDTH;
    }
    size_t newMax = maxWidth;
    for (size_t i = 0; i < paraCount; i++)
    {
        if (i > 0)
        {
            ctlTableAddLine(c, " ", 1);
        }
        size_t before = c->count;
        ctlTableWrap(c, paras[i], maxWidth);
        for (size_t k = before; k < c->count; k++)
        {
            size_t w = ctlTableWidth(c->lines[k], strlen(c->lines[k]));
            if (w > newMax)
            {
                newMax = w;
            }
        }
        free(paras[i]);
    }
    free(paras);
    if (newMax > *colWidth)
    {
        *colWidth = newMax;
    }
}

static void ctlTableLine(struct ctl_buf *b, const size_t *widths, size_t cols)
{
    ctlBufPutc(b, '+');
    for (size_t i = 0; i < cols; i++)
    {
        for (size_t k = 0; k < widths[i] + 2; k++)
        {
            ctlBufPutc(b, '-');
        }
        ctlBufPutc(b, '+');
    }
    ctlBufPutc(b, '\n');
}

static void ctlTablePad(struct ctl_buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        ctlBufPutc(b, ' ');
    }
}

static void ctlTableFreeCell(struct ctl_table_cell *c)
{
    for (size_t i = 0; i < c->count; i++)
    {
        free(c->lines[i]);
    }
    free(c->lines);
}

void ctlTableRender(struct ctl_buf *b, const char *const *headers, size_t cols, char **cells,
                    size_t rows)
{
    size_t *widths = ctlMalloc(cols * sizeof(size_t));
    struct ctl_table_cell *hdr = ctlMalloc(cols * sizeof(*hdr));
    struct ctl_table_cell *body = ctlMalloc((rows * cols + 1) * sizeof(*body));
    for (size_t i = 0; i < cols; i++)
    {
        widths[i] = 0;
        /* Title(): '_' and '.' become spaces, trimmed, upper-cased */
        char *t = ctlStrdup(headers[i]);
        for (char *p = t; *p; p++)
        {
            if (*p == '_' || *p == '.')
            {
                *p = ' ';
            }
            if (*p >= 'a' && *p <= 'z')
            {
                *p = (char)(*p - 'a' + 'A');
            }
        }
        ctlTableCell(&hdr[i], t, &widths[i]);
        free(t);
    }
    for (size_t r = 0; r < rows; r++)
    {
        for (size_t i = 0; i < cols; i++)
        {
            ctlTableCell(&body[r * cols + i], cells[r * cols + i], &widths[i]);
        }
    }
    ctlTableLine(b, widths, cols);
    /* header: centred, one line per header line */
    size_t hlines = 0;
    for (size_t i = 0; i < cols; i++)
    {
        if (hdr[i].count > hlines)
        {
            hlines = hdr[i].count;
        }
    }
    for (size_t l = 0; l < hlines; l++)
    {
        ctlBufPutc(b, '|');
        for (size_t i = 0; i < cols; i++)
        {
            const char *s = l < hdr[i].count ? hdr[i].lines[l] : "";
            size_t w = ctlTableWidth(s, strlen(s));
            size_t gap = widths[i] > w ? widths[i] - w : 0;
            ctlBufPutc(b, ' ');
            ctlTablePad(b, gap / 2);
            ctlBufPuts(b, s);
            ctlTablePad(b, gap - gap / 2);
            ctlBufPuts(b, " |");
        }
        ctlBufPutc(b, '\n');
    }
    ctlTableLine(b, widths, cols);
    for (size_t r = 0; r < rows; r++)
    {
        size_t lines = 0;
        for (size_t i = 0; i < cols; i++)
        {
            if (body[r * cols + i].count > lines)
            {
                lines = body[r * cols + i].count;
            }
        }
        for (size_t l = 0; l < lines; l++)
        {
            ctlBufPutc(b, '|');
            for (size_t i = 0; i < cols; i++)
            {
                struct ctl_table_cell *c = &body[r * cols + i];
                const char *s = l < c->count ? c->lines[l] : "";
                size_t w = ctlTableWidth(s, strlen(s));
                ctlBufPutc(b, ' ');
                ctlTablePad(b, widths[i] > w ? widths[i] - w : 0);
                ctlBufPuts(b, s);
                ctlBufPuts(b, " |");
            }
            ctlBufPutc(b, '\n');
        }
    }
    ctlTableLine(b, widths, cols);
    for (size_t i = 0; i < cols; i++)
    {
        ctlTableFreeCell(&hdr[i]);
    }
    for (size_t i = 0; i < rows * cols; i++)
    {
        ctlTableFreeCell(&body[i]);
    }
    free(hdr);
    free(body);
    free(widths);
}
