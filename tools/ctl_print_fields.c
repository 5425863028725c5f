/* etcfsctl's -w fields printer (etcdctl's fieldsPrinter): one
 * `"<Name>" : <value>` line per field, in the view's order. Numbers and
 * booleans as Go prints them, strings and bytes %q (a CTL_F_BARE string as
 * is), a message's fields under its name as a prefix ("PrevKey"), a list of
 * messages or strings one entry after the other, a CTL_F_GOLIST list on one
 * line as Go's %v. TEXT fields are literal text (the blank line after each
 * member or endpoint). A document that is a list prints each row. An
 * element of a list that is not an object fails at its first field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_view.h"
#include "ctl_go.h"
#include "ctl_util.h"

static void ctlFieldsName(struct ctl_buf *b, const char *prefix, const struct ctl_field *f)
{
    ctlBufPrintf(b, "\"%s%s\" : ", prefix, f->label);
}

static void ctlFieldsList(struct ctl_buf *b, const struct ctl_print *p,
                          const struct ctl_field *fs, const json_t *obj, const char *prefix);

/* The fields of a message (or one element of a list), under prefix+label. */
static void ctlFieldsSub(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                         const json_t *obj, const char *prefix, const char *label)
{
    char sub[128];
    snprintf(sub, sizeof(sub), "%s%s", prefix, label != NULL ? label : "");
    ctlFieldsList(b, p, fs, obj, sub);
}

static void ctlFieldsStrings(struct ctl_buf *b, const struct ctl_print *p,
                             const struct ctl_field *f, const json_t *obj, const char *prefix)
{
    json_t *arr = ctlViewArr(p, f, obj);
    size_t n = arr != NULL ? json_array_size(arr) : 0;
    if (f->flags & CTL_F_GOLIST)
    {
        ctlFieldsName(b, prefix, f);
        ctlBufPutc(b, '[');
    }
    for (size_t k = 0; k < n; k++)
    {
        size_t len = 0;
        char *data = ctlViewListElem(f, arr, k, &len);
        if (f->flags & CTL_F_GOLIST)
        {
            if (k > 0)
            {
                ctlBufPutc(b, ' ');
            }
            ctlBufAppend(b, data, len);
        }
        else
        {
            ctlFieldsName(b, prefix, f);
            ctlFmtGoQuote(b, data, len);
            ctlBufPutc(b, '\n');
        }
        free(data);
    }
    if (f->flags & CTL_F_GOLIST)
    {
        ctlBufPuts(b, "]\n");
    }
}

static void ctlFieldsList(struct ctl_buf *b, const struct ctl_print *p,
                          const struct ctl_field *fs, const json_t *obj, const char *prefix)
{
    for (const struct ctl_field *f = fs; f->kind != CTL_K_END; f++)
    {
        switch (f->kind)
        {
        case CTL_K_TEXT:
            ctlBufPuts(b, f->label);
            break;
        case CTL_K_I64:
            ctlFieldsName(b, prefix, f);
            ctlBufPrintf(b, "%lld\n", (long long)ctlViewI64(p, f, obj));
            break;
        case CTL_K_U64:
            ctlFieldsName(b, prefix, f);
            ctlBufPrintf(b, "%llu\n", (unsigned long long)ctlViewU64(p, f, obj));
            break;
        case CTL_K_BOOL:
            ctlFieldsName(b, prefix, f);
            ctlBufPuts(b, ctlViewBool(p, f, obj) ? "true\n" : "false\n");
            break;
        case CTL_K_ENUM:
            ctlFieldsName(b, prefix, f);
            ctlBufPuts(b, f->names[ctlViewEnum(p, f, obj)]);
            ctlBufPutc(b, '\n');
            break;
        case CTL_K_STR:
        {
            size_t len = 0;
            const char *s = ctlViewStr(p, f, obj, &len);
            ctlFieldsName(b, prefix, f);
            if (f->flags & CTL_F_BARE)
            {
                ctlBufPuts(b, s);
            }
            else
            {
                ctlFmtGoQuote(b, s, strlen(s));
            }
            ctlBufPutc(b, '\n');
            break;
        }
        case CTL_K_BYTES:
        {
            size_t len = 0;
            char *data = ctlViewBytes(p, f, obj, &len);
            ctlFieldsName(b, prefix, f);
            ctlFmtGoQuote(b, data, len);
            ctlBufPutc(b, '\n');
            free(data);
            break;
        }
        case CTL_K_MSG:
        {
            json_t *v = ctlViewObj(p, f, obj);
            if (v != NULL || (f->flags & CTL_F_ALWAYS))
            {
                ctlFieldsSub(b, p, f->sub, v, prefix, f->label);
            }
            break;
        }
        case CTL_K_MSGS:
        {
            json_t *arr = ctlViewArr(p, f, obj);
            for (size_t k = 0; arr != NULL && k < json_array_size(arr); k++)
            {
                ctlFieldsSub(b, p, f->sub, json_array_get(arr, k), prefix, f->label);
            }
            break;
        }
        case CTL_K_STRS:
        case CTL_K_BYTESS:
            ctlFieldsStrings(b, p, f, obj, prefix);
            break;
        case CTL_K_ONEOF:
        {
            json_t *v = NULL;
            const struct ctl_field *alt = ctlViewOneOf(p, f, obj, &v);
            if (alt != NULL)
            {
                ctlFieldsSub(b, p, alt->sub, v, prefix, alt->label);
            }
            else
            {
                ctlBufPuts(b, f->text);
            }
            break;
        }
        default:
            /* CUSTOM, and the display kinds, as simple writes them */
            ctlPrintValue(b, p, f, obj);
        }
    }
}

void ctlPrintFields(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                    const json_t *doc)
{
    if (!json_is_array(doc))
    {
        ctlFieldsList(b, p, fs, doc, "");
        return;
    }
    for (size_t i = 0; i < json_array_size(doc); i++)
    {
        ctlFieldsList(b, p, fs, json_array_get(doc, i), "");
    }
}
