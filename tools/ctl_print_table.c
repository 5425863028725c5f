/* etcfsctl's -w table printer: a view's columns over its rows, rendered
 * as olekukonko/tablewriter does for etcdctl (headers upper-cased and
 * centred, cells right-aligned, cells longer than 30 columns word-wrapped);
 * and the same cells joined by ", " for the simple output of commands that
 * have a table (member list, endpoint status, snapshot status). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_view.h"
#include "ctl_util.h"

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

static void ctlTableRender(struct ctl_buf *b, const char *const *headers, size_t cols,
                           char **cells, size_t rows)
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

/* ---- cells ---- */

/* Every cell of doc's rows, row-major (caller frees each and the array). */
static char **ctlTableCells(const struct ctl_print *p, const struct ctl_view *v,
                            const json_t *doc, size_t *rows)
{
    const json_t **row = NULL;
    size_t n = ctlViewRows(v, doc, &row);
    size_t cols = ctlViewCount(v->table);
    char **cells = ctlMalloc((n * cols + 1) * sizeof(char *));
    for (size_t r = 0; r < n; r++)
    {
        for (size_t c = 0; c < cols; c++)
        {
            struct ctl_buf cell = {0};
            ctlBufAppend(&cell, "", 0);
            ctlPrintValue(&cell, p, &v->table[c], row[r]);
            cells[r * cols + c] = cell.data;
        }
    }
    free(row);
    *rows = n;
    return cells;
}

void ctlPrintRows(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_view *v,
                  const json_t *doc)
{
    size_t rows = 0;
    size_t cols = ctlViewCount(v->table);
    char **cells = ctlTableCells(p, v, doc, &rows);
    for (size_t r = 0; r < rows; r++)
    {
        for (size_t c = 0; c < cols; c++)
        {
            ctlBufPuts(b, cells[r * cols + c]);
            ctlBufPuts(b, c + 1 < cols ? ", " : "\n");
        }
    }
    ctlFreeStrings(cells, rows * cols);
}

void ctlPrintTable(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_view *v,
                   const json_t *doc)
{
    size_t rows = 0;
    size_t cols = ctlViewCount(v->table);
    char **cells = ctlTableCells(p, v, doc, &rows);
    const char **headers = ctlMalloc(cols * sizeof(char *));
    for (size_t c = 0; c < cols; c++)
    {
        headers[c] = v->table[c].label;
    }
    ctlTableRender(b, headers, cols, cells, rows);
    free(headers);
    ctlFreeStrings(cells, rows * cols);
}
