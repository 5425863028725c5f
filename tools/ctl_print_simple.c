/* etcfsctl's -w simple printer (etcdctl's simplePrinter): walks a view's
 * simple field list, writing each field's label then its value. Kinds:
 * TEXT (the label alone), scalars (ctlPrintValue, shared with table cells),
 * KV (etcdctl's printKV: key and value lines, --hex and --print-value-only),
 * MSG and MSGS (the sub list over the object or each element), ONEOF (the
 * first alternative present, else its text) and CUSTOM. An element of a
 * list that is not an object fails at its first field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_view.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_json.h"
#include "ctl_util.h"

static void ctlPrintHex(struct ctl_buf *b, const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
    {
        ctlBufPrintf(b, "\\x%02x", (unsigned char)data[i]);
    }
}

static void ctlPrintBytes(struct ctl_buf *b, const struct ctl_options *o, const char *data,
                          size_t len)
{
    if (o->hex)
    {
        ctlPrintHex(b, data, len);
    }
    else
    {
        ctlBufAppend(b, data, len);
    }
}

/* etcdctl's printKV */
static void ctlPrintKv(struct ctl_buf *b, const struct ctl_options *o, const json_t *kvj)
{
    struct ctl_kv kv;
    ctlKvParse(kvj, &kv);
    if (!o->print_value_only)
    {
        ctlPrintBytes(b, o, kv.key, kv.key_len);
        ctlBufPutc(b, '\n');
    }
    ctlPrintBytes(b, o, kv.value, kv.value_len);
    ctlBufPutc(b, '\n');
    ctlKvFree(&kv);
}

void ctlPrintValue(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *f,
                   const json_t *obj)
{
    switch (f->kind)
    {
    case CTL_K_I64:
        ctlBufPrintf(b, "%lld", (long long)ctlViewI64(p, f, obj));
        break;
    case CTL_K_U64:
        ctlBufPrintf(b, "%llu", (unsigned long long)ctlViewU64(p, f, obj));
        break;
    case CTL_K_HEX:
        ctlBufPrintf(b, "%llx", (unsigned long long)ctlViewU64(p, f, obj));
        break;
    case CTL_K_HEX16:
        ctlFmtHexWidth(b, ctlViewU64(p, f, obj), 16);
        break;
    case CTL_K_LEASE:
        ctlFmtLeaseId(b, ctlViewI64(p, f, obj));
        break;
    case CTL_K_SIZE:
        ctlFmtHumanBytes(b, (uint64_t)ctlViewI64(p, f, obj));
        break;
    case CTL_K_BOOL:
        ctlBufPuts(b, ctlViewBool(p, f, obj) ? "true" : "false");
        break;
    case CTL_K_STR:
    {
        size_t len = 0;
        ctlBufPuts(b, ctlViewStr(p, f, obj, &len));
        break;
    }
    case CTL_K_BYTES:
    {
        size_t len = 0;
        char *data = ctlViewBytes(p, f, obj, &len);
        ctlPrintBytes(b, p->o, data, len);
        free(data);
        break;
    }
    case CTL_K_ENUM:
        ctlBufPuts(b, f->names[ctlViewEnum(p, f, obj)]);
        break;
    case CTL_K_COUNT:
    {
        json_t *arr = ctlViewArr(p, f, obj);
        ctlBufPrintf(b, "%zu", arr != NULL ? json_array_size(arr) : 0);
        break;
    }
    case CTL_K_STRS:
    case CTL_K_BYTESS:
    {
        json_t *arr = ctlViewArr(p, f, obj);
        for (size_t k = 0; arr != NULL && k < json_array_size(arr); k++)
        {
            if (k > 0)
            {
                ctlBufPuts(b, f->text);
            }
            size_t len = 0;
            char *data = ctlViewListElem(f, arr, k, &len);
            ctlBufAppend(b, data, len);
            free(data);
        }
        break;
    }
    case CTL_K_CUSTOM:
        f->custom(b, p, obj);
        break;
    default:
        /* TEXT, KV, MSG, MSGS, ONEOF are lists' business, not a value's */
        break;
    }
}

static void ctlSimpleList(struct ctl_buf *b, const struct ctl_print *p,
                          const struct ctl_field *fs, const json_t *obj)
{
    for (const struct ctl_field *f = fs; f->kind != CTL_K_END; f++)
    {
        const char *label = f->label != NULL ? f->label : "";
        switch (f->kind)
        {
        case CTL_K_TEXT:
            ctlBufPuts(b, label);
            break;
        case CTL_K_KV:
        case CTL_K_MSG:
        {
            json_t *v = ctlViewObj(p, f, obj);
            if (v == NULL && !(f->flags & CTL_F_ALWAYS))
            {
                break;
            }
            ctlBufPuts(b, label);
            if (f->kind == CTL_K_KV)
            {
                ctlPrintKv(b, p->o, v);
            }
            else
            {
                ctlSimpleList(b, p, f->sub, v);
            }
            break;
        }
        case CTL_K_MSGS:
        {
            json_t *arr = ctlViewArr(p, f, obj);
            ctlBufPuts(b, label);
            for (size_t k = 0; arr != NULL && k < json_array_size(arr); k++)
            {
                ctlSimpleList(b, p, f->sub, json_array_get(arr, k));
            }
            break;
        }
        case CTL_K_ONEOF:
        {
            json_t *v = NULL;
            const struct ctl_field *alt = ctlViewOneOf(p, f, obj, &v);
            ctlBufPuts(b, label);
            if (alt != NULL)
            {
                ctlSimpleList(b, p, alt->sub, v);
            }
            else
            {
                ctlBufPuts(b, f->text);
            }
            break;
        }
        default:
            ctlBufPuts(b, label);
            ctlPrintValue(b, p, f, obj);
        }
    }
}

void ctlPrintSimple(struct ctl_buf *b, const struct ctl_print *p, const struct ctl_field *fs,
                    const json_t *doc)
{
    if (!json_is_array(doc))
    {
        ctlSimpleList(b, p, fs, doc);
        return;
    }
    for (size_t i = 0; i < json_array_size(doc); i++)
    {
        ctlSimpleList(b, p, fs, json_array_get(doc, i));
    }
}
