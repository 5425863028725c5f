/* etcfsctl views: ctlPrint (the format's printer, or etcdctl's "not
 * supported as output format"), and reading a field's value out of a
 * document for the printers: "a.b" paths through nested objects, values
 * taken from the request, one-ofs, rows of a table. A malformed answer exits
 * with ctl_json.c's accessors' message; a list element of the wrong type
 * with `field "<list>"` (a table row: the list's name). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_view.h"
#include "ctl.h"
#include "ctl_json.h"
#include "ctl_util.h"

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

static const struct ctl_field *ctlViewFormat(const struct ctl_options *o,
                                             const struct ctl_field *fs)
{
    if (fs == NULL)
    {
        ctlUnsupportedOutput(o);
    }
    return fs;
}

void ctlPrint(const struct ctl_options *o, const struct ctl_view *v, const json_t *req,
              const json_t *doc)
{
    struct ctl_print p = {o, req};
    struct ctl_buf b = {0};
    bool toStderr = false;
    enum ctl_output out = (v->flags & CTL_VIEW_ANY) ? CTL_OUT_SIMPLE : o->output;
    switch (out)
    {
    case CTL_OUT_SIMPLE:
        if (v->flags & CTL_VIEW_ROWS)
        {
            ctlPrintRows(&b, &p, v, doc);
            break;
        }
        ctlPrintSimple(&b, &p, ctlViewFormat(o, v->simple), doc);
        toStderr = (v->flags & CTL_VIEW_STDERR) != 0;
        break;
    case CTL_OUT_JSON:
        ctlPrintJson(&b, &p, ctlViewFormat(o, v->json), doc);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlPrintFields(&b, &p, ctlViewFormat(o, v->fields), doc);
        break;
    case CTL_OUT_TABLE:
        ctlViewFormat(o, v->table);
        ctlPrintTable(&b, &p, v, doc);
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    if (toStderr)
    {
        fflush(stdout);
        if (b.len > 0)
        {
            fwrite(b.data, 1, b.len, stderr);
        }
    }
    else
    {
        ctlBufFlush(&b);
    }
    ctlBufFree(&b);
}

/* ---- reading values ---- */

size_t ctlViewCount(const struct ctl_field *fs)
{
    size_t n = 0;
    while (fs[n].kind != CTL_K_END)
    {
        n++;
    }
    return n;
}

const json_t *ctlViewParent(const struct ctl_print *p, const struct ctl_field *f,
                            const json_t *obj, const char **leaf)
{
    const json_t *cur = (f->flags & CTL_F_REQ) ? p->req : obj;
    const char *k = f->from;
    *leaf = k;
    if (k == NULL)
    {
        return cur;
    }
    for (const char *dot = strchr(k, '.'); dot != NULL; dot = strchr(k, '.'))
    {
        char part[64];
        snprintf(part, sizeof(part), "%.*s", (int)(dot - k), k);
        cur = ctlJObj(cur, part);
        k = dot + 1;
    }
    *leaf = k;
    return cur;
}

json_t *ctlViewObj(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    return leaf == NULL ? (json_t *)parent : ctlJObj(parent, leaf);
}

json_t *ctlViewArr(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    return leaf == NULL ? NULL : ctlJArr(parent, leaf);
}

int64_t ctlViewI64(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    return leaf == NULL ? 0 : ctlJI64(parent, leaf);
}

uint64_t ctlViewU64(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    return leaf == NULL ? 0 : ctlJU64(parent, leaf);
}

bool ctlViewBool(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    return leaf != NULL && ctlJBool(parent, leaf);
}

const char *ctlViewStr(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj,
                       size_t *len)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    const char *s = leaf == NULL ? "" : ctlJStr(parent, leaf);
    json_t *v = leaf == NULL || parent == NULL ? NULL : json_object_get(parent, leaf);
    *len = v != NULL && json_is_string(v) ? json_string_length(v) : strlen(s);
    return s;
}

char *ctlViewBytes(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj,
                   size_t *len)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    if (leaf == NULL)
    {
        *len = 0;
        return ctlStrdup("");
    }
    return ctlJBytes(parent, leaf, len);
}

size_t ctlViewEnum(const struct ctl_print *p, const struct ctl_field *f, const json_t *obj)
{
    const char *leaf = NULL;
    const json_t *parent = ctlViewParent(p, f, obj, &leaf);
    json_t *v = parent != NULL && leaf != NULL ? json_object_get(parent, leaf) : NULL;
    size_t count = 0;
    while (f->names[count] != NULL)
    {
        count++;
    }
    if (v == NULL || json_is_null(v))
    {
        return 0;
    }
    if (json_is_integer(v))
    {
        json_int_t n = json_integer_value(v);
        if (n < 0 || (size_t)n >= count)
        {
            ctlViewBad(f);
        }
        return (size_t)n;
    }
    if (!json_is_string(v))
    {
        ctlViewBad(f);
    }
    const char *s = json_string_value(v);
    for (size_t i = 0; i < count; i++)
    {
        char num[24];
        snprintf(num, sizeof(num), "%zu", i);
        if (strcmp(s, f->names[i]) == 0 || strcmp(s, num) == 0)
        {
            return i;
        }
    }
    ctlViewBad(f);
}

const struct ctl_field *ctlViewOneOf(const struct ctl_print *p, const struct ctl_field *f,
                                     const json_t *obj, json_t **value)
{
    const json_t *in = ctlViewObj(p, f, obj);
    for (const struct ctl_field *alt = f->sub; alt->kind != CTL_K_END; alt++)
    {
        *value = ctlViewObj(p, alt, in);
        if (*value != NULL)
        {
            return alt;
        }
    }
    return NULL;
}

/* ---- lists ---- */

void ctlViewBad(const struct ctl_field *f)
{
    const char *name = f->from != NULL ? strrchr(f->from, '.') : NULL;
    char what[128];
    snprintf(what, sizeof(what), "field \"%s\"",
             name != NULL ? name + 1 : f->from != NULL ? f->from : "");
    ctlFatalResponse(what);
}

json_t *ctlViewElem(const struct ctl_field *f, const json_t *arr, size_t k)
{
    json_t *e = json_array_get(arr, k);
    if (!json_is_object(e))
    {
        ctlViewBad(f);
    }
    return e;
}

char *ctlViewListElem(const struct ctl_field *f, const json_t *arr, size_t k, size_t *len)
{
    json_t *e = json_array_get(arr, k);
    if (!json_is_string(e))
    {
        ctlViewBad(f);
    }
    if (f->kind == CTL_K_STRS)
    {
        *len = json_string_length(e);
        return ctlStrndup(json_string_value(e), *len);
    }
    char *data = NULL;
    if (ctlBase64Decode(json_string_value(e), json_string_length(e), &data, len) != 0)
    {
        ctlViewBad(f);
    }
    return data;
}

size_t ctlViewRows(const struct ctl_view *v, const json_t *doc, const json_t ***rows)
{
    const json_t *list = v->rows != NULL ? ctlJArr(doc, v->rows) : doc;
    if (list == NULL || !json_is_array(list))
    {
        *rows = ctlMalloc(sizeof(json_t *));
        (*rows)[0] = doc;
        return list == NULL ? 0 : 1;
    }
    size_t n = json_array_size(list);
    *rows = ctlMalloc((n + 1) * sizeof(json_t *));
    for (size_t i = 0; i < n; i++)
    {
        (*rows)[i] = json_array_get(list, i);
        if (!json_is_object((*rows)[i]))
        {
            ctlFatalResponse(v->rows != NULL ? v->rows : "rows");
        }
    }
    return n;
}
