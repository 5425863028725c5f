/* etcfsctl's -w json printer: Go's encoding/json of the struct etcdctl
 * prints, field by field in the view's order. A protobuf message keeps its
 * .proto field names and omits zero values (omitempty); a clientv3 struct
 * prints every field (CTL_F_ALWAYS) and embeds the header's fields
 * (CTL_F_FLAT). int64 are numbers, bytes base64, strings escaped as Go does
 * (<, >, & as \u003c..., invalid UTF-8 as U+FFFD). A document that is a list
 * prints as a JSON array of its rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_view.h"
#include "ctl_go.h"
#include "ctl_util.h"

static void ctlJsonKey(struct ctl_buf *b, bool *first, const char *name)
{
    if (!*first)
    {
        ctlBufPutc(b, ',');
    }
    *first = false;
    ctlFmtJsonString(b, name, strlen(name));
    ctlBufPutc(b, ':');
}

static void ctlJsonBytes(struct ctl_buf *b, const char *data, size_t len)
{
    char *enc = ctlBase64Encode(data, len);
    ctlBufPutc(b, '"');
    ctlBufPuts(b, enc);
    ctlBufPutc(b, '"');
    free(enc);
}

static void ctlJsonObject(struct ctl_buf *b, const struct ctl_print *p,
                          const struct ctl_field *fs, const json_t *obj);

/* A list field: [] or null when empty and CTL_F_ALWAYS, else left out. */
static void ctlJsonList(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *f,
                        const json_t *obj, bool *first)
{
    json_t *arr = ctlViewArr(p, f, obj);
    size_t n = arr != NULL ? json_array_size(arr) : 0;
    if (n == 0)
    {
        if (f->flags & CTL_F_ALWAYS)
        {
            ctlJsonKey(b, first, f->label);
            ctlBufPuts(b, (f->flags & CTL_F_NULL) ? "null" : "[]");
        }
        return;
    }
    ctlJsonKey(b, first, f->label);
    ctlBufPutc(b, '[');
    for (size_t k = 0; k < n; k++)
    {
        size_t len = 0;
        if (k > 0)
        {
            ctlBufPutc(b, ',');
        }
        if (f->kind == CTL_K_MSGS)
        {
            ctlJsonObject(b, p, f->sub, ctlViewElem(f, arr, k));
        }
        else
        {
            char *data = ctlViewListElem(f, arr, k, &len);
            if (f->kind == CTL_K_STRS)
            {
                ctlFmtJsonString(b, data, len);
            }
            else
            {
                ctlJsonBytes(b, data, len);
            }
            free(data);
        }
    }
    ctlBufPutc(b, ']');
}

/* Go's oneof wrapper: {"Response":{"ResponsePut":{...}}}; nothing when no
 * alternative is set. */
static void ctlJsonOneOf(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *f,
                         const json_t *obj, bool *first)
{
    json_t *v = NULL;
    const struct ctl_field *alt = ctlViewOneOf(p, f, obj, &v);
    bool inner = true;
    if (alt == NULL)
    {
        return;
    }
    ctlJsonKey(b, first, f->label);
    ctlBufPutc(b, '{');
    ctlJsonKey(b, &inner, alt->label);
    ctlJsonObject(b, p, alt->sub, v);
    ctlBufPutc(b, '}');
}

/* The members of obj as the field list says, after *first's comma rule. */
static void ctlJsonMembers(struct ctl_buf *b, const struct ctl_print *p,
                           const struct ctl_field *fs, const json_t *obj, bool *first)
{
    for (const struct ctl_field *f = fs; f->kind != CTL_K_END; f++)
    {
        bool always = (f->flags & CTL_F_ALWAYS) != 0;
        switch (f->kind)
        {
        case CTL_K_I64:
        {
            int64_t v = ctlViewI64(p, f, obj);
            if (v != 0 || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlBufPrintf(b, "%lld", (long long)v);
            }
            break;
        }
        case CTL_K_U64:
        {
            uint64_t v = ctlViewU64(p, f, obj);
            if (v != 0 || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlBufPrintf(b, "%llu", (unsigned long long)v);
            }
            break;
        }
        case CTL_K_BOOL:
        {
            bool v = ctlViewBool(p, f, obj);
            if (v || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlBufPuts(b, v ? "true" : "false");
            }
            break;
        }
        case CTL_K_STR:
        {
            size_t len = 0;
            const char *s = ctlViewStr(p, f, obj, &len);
            if (len > 0 || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlFmtJsonString(b, s, len);
            }
            break;
        }
        case CTL_K_BYTES:
        {
            size_t len = 0;
            char *data = ctlViewBytes(p, f, obj, &len);
            if (len > 0 || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlJsonBytes(b, data, len);
            }
            free(data);
            break;
        }
        case CTL_K_ENUM:
        {
            size_t n = ctlViewEnum(p, f, obj);
            if (n != 0 || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlBufPrintf(b, "%zu", n);
            }
            break;
        }
        case CTL_K_MSG:
        {
            json_t *v = ctlViewObj(p, f, obj);
            if (f->flags & CTL_F_FLAT)
            {
                if (v != NULL)
                {
                    ctlJsonMembers(b, p, f->sub, v, first);
                }
            }
            else if (v != NULL || always)
            {
                ctlJsonKey(b, first, f->label);
                ctlJsonObject(b, p, f->sub, v);
            }
            break;
        }
        case CTL_K_MSGS:
        case CTL_K_STRS:
        case CTL_K_BYTESS:
            ctlJsonList(b, p, f, obj, first);
            break;
        case CTL_K_ONEOF:
            ctlJsonOneOf(b, p, f, obj, first);
            break;
        default:
            /* TEXT, KV, CUSTOM and the display kinds have no JSON form */
            break;
        }
    }
}

static void ctlJsonObject(struct ctl_buf *b, const struct ctl_print *p,
                          const struct ctl_field *fs, const json_t *obj)
{
    bool first = true;
    ctlBufPutc(b, '{');
    ctlJsonMembers(b, p, fs, obj, &first);
    ctlBufPutc(b, '}');
}

void ctlPrintJson(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                  const json_t *doc)
{
    if (!json_is_array(doc))
    {
        ctlJsonObject(b, p, fs, doc);
        return;
    }
    ctlBufPutc(b, '[');
    for (size_t i = 0; i < json_array_size(doc); i++)
    {
        if (i > 0)
        {
            ctlBufPutc(b, ',');
        }
        ctlJsonObject(b, p, fs, json_array_get(doc, i));
    }
    ctlBufPutc(b, ']');
}
