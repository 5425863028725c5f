/* etcfsctl JSON: parsing gateway answers (int64 as strings or numbers,
 * bytes as base64), building requests, and re-emitting answers the way
 * etcdctl -w json prints them (Go encoding/json of the protobuf structs:
 * int64 as numbers, bytes as base64, zero values omitted, field order of the
 * .proto). The schemas below list those fields in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- parsing ---- */

/* Copies text into b with every bare integer outside strings quoted, so
 * jansson never sees an integer it cannot hold (uint64 ids). */
static void ctlJsonQuoteIntegers(const char *text, size_t len, struct ctl_buf *b)
{
    size_t i = 0;
    while (i < len)
    {
        char c = text[i];
        if (c == '"')
        {
            size_t j = i + 1;
            while (j < len && text[j] != '"')
            {
                j += text[j] == '\\' ? 2 : 1;
            }
            if (j >= len)
            {
                j = len - 1;
            }
            ctlBufAppend(b, text + i, j - i + 1);
            i = j + 1;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9'))
        {
            size_t j = i;
            bool integer = true;
            while (j < len && (text[j] == '-' || text[j] == '+' || text[j] == '.' ||
                               text[j] == 'e' || text[j] == 'E' ||
                               (text[j] >= '0' && text[j] <= '9')))
            {
                if (text[j] == '.' || text[j] == 'e' || text[j] == 'E' || text[j] == '+')
                {
                    integer = false;
                }
                j++;
            }
            if (integer)
            {
                ctlBufPutc(b, '"');
                ctlBufAppend(b, text + i, j - i);
                ctlBufPutc(b, '"');
            }
            else
            {
                ctlBufAppend(b, text + i, j - i);
            }
            i = j;
            continue;
        }
        ctlBufPutc(b, c);
        i++;
    }
}

json_t *ctlJsonParse(const char *text, size_t len)
{
    struct ctl_buf b = {0};
    ctlJsonQuoteIntegers(text, len, &b);
    if (b.data == NULL)
    {
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(b.data, b.len, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &err);
    ctlBufFree(&b);
    if (j != NULL && !json_is_object(j))
    {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *ctlJField(const json_t *obj, const char *key)
{
    if (obj == NULL || json_is_null(obj))
    {
        return NULL;
    }
    if (!json_is_object(obj))
    {
        char what[128];
        snprintf(what, sizeof(what), "an object holding \"%s\" expected", key);
        ctlFatalResponse(what);
    }
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
    {
        return NULL;
    }
    return v;
}

static void ctlJBad(const char *key)
{
    char what[128];
    snprintf(what, sizeof(what), "field \"%s\"", key);
    ctlFatalResponse(what);
}

int64_t ctlJI64(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v == NULL)
    {
        return 0;
    }
    if (json_is_integer(v))
    {
        return (int64_t)json_integer_value(v);
    }
    if (json_is_real(v))
    {
        double d = json_real_value(v);
        if (d >= -9.2e18 && d <= 9.2e18)
        {
            return (int64_t)d;
        }
        ctlJBad(key);
    }
    if (json_is_string(v))
    {
        int64_t out = 0;
        char err[128];
        if (ctlParseInt64(json_string_value(v), 10, &out, err, sizeof(err)) == 0)
        {
            return out;
        }
    }
    ctlJBad(key);
    return 0;
}

uint64_t ctlJU64(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v == NULL)
    {
        return 0;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0)
    {
        return (uint64_t)json_integer_value(v);
    }
    if (json_is_string(v))
    {
        uint64_t out = 0;
        char err[128];
        const char *s = json_string_value(v);
        if (ctlParseUint64(s, 10, &out, err, sizeof(err)) == 0)
        {
            return out;
        }
        /* tolerate a signed rendering of a uint64 */
        int64_t sv = 0;
        if (ctlParseInt64(s, 10, &sv, err, sizeof(err)) == 0)
        {
            return (uint64_t)sv;
        }
    }
    ctlJBad(key);
    return 0;
}

bool ctlJBool(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v == NULL)
    {
        return false;
    }
    if (json_is_boolean(v))
    {
        return json_is_true(v);
    }
    if (json_is_string(v))
    {
        bool b = false;
        if (ctlParseBool(json_string_value(v), &b) == 0)
        {
            return b;
        }
    }
    ctlJBad(key);
    return false;
}

const char *ctlJStr(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v == NULL)
    {
        return "";
    }
    if (!json_is_string(v))
    {
        ctlJBad(key);
    }
    return json_string_value(v);
}

char *ctlJBytes(const json_t *obj, const char *key, size_t *len)
{
    json_t *v = ctlJField(obj, key);
    if (v == NULL)
    {
        *len = 0;
        return ctlStrdup("");
    }
    if (!json_is_string(v))
    {
        ctlJBad(key);
    }
    char *out = NULL;
    if (ctlBase64Decode(json_string_value(v), json_string_length(v), &out, len) != 0)
    {
        ctlJBad(key);
    }
    return out;
}

json_t *ctlJObj(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v != NULL && !json_is_object(v))
    {
        ctlJBad(key);
    }
    return v;
}

json_t *ctlJArr(const json_t *obj, const char *key)
{
    json_t *v = ctlJField(obj, key);
    if (v != NULL && !json_is_array(v))
    {
        ctlJBad(key);
    }
    return v;
}

/* ---- request builders ---- */

static json_t *ctlJCheck(json_t *v)
{
    if (v == NULL)
    {
        fputs("Error: out of memory\n", stderr);
        exit(CTL_EXIT_ERROR);
    }
    return v;
}

json_t *ctlJNewObj(void)
{
    return ctlJCheck(json_object());
}

json_t *ctlJNewArr(void)
{
    return ctlJCheck(json_array());
}

void ctlJSet(json_t *obj, const char *key, json_t *v)
{
    if (json_object_set_new(obj, key, ctlJCheck(v)) != 0)
    {
        ctlJCheck(NULL);
    }
}

void ctlJAppend(json_t *arr, json_t *v)
{
    if (json_array_append_new(arr, ctlJCheck(v)) != 0)
    {
        ctlJCheck(NULL);
    }
}

void ctlJSetBytes(json_t *obj, const char *key, const char *data, size_t len)
{
    char *enc = ctlBase64Encode(data, len);
    ctlJSet(obj, key, json_string(enc));
    free(enc);
}

void ctlJSetI64(json_t *obj, const char *key, int64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", (long long)v);
    ctlJSet(obj, key, json_string(num));
}

void ctlJSetU64(json_t *obj, const char *key, uint64_t v)
{
    char num[32];
    snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
    ctlJSet(obj, key, json_string(num));
}

void ctlJSetBool(json_t *obj, const char *key, bool v)
{
    ctlJSet(obj, key, json_boolean(v));
}

void ctlJSetStr(json_t *obj, const char *key, const char *s)
{
    ctlJSet(obj, key, json_stringn(s, strlen(s)));
}

char *ctlJDump(const json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT);
    if (s == NULL)
    {
        ctlJCheck(NULL);
    }
    return s;
}

/* ---- Go encoding/json output ---- */

void ctlJsonStr(struct ctl_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)s;
    ctlBufPutc(b, '"');
    size_t i = 0;
    while (i < n)
    {
        unsigned char c = p[i];
        if (c < 0x80)
        {
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
            i++;
            continue;
        }
        /* invalid UTF-8 bytes become U+FFFD */
        uint32_t r = 0;
        size_t len = ctlUtf8Decode(p + i, n - i, &r);
        if (len == 0)
        {
            ctlBufPuts(b, "\\ufffd");
            i++;
            continue;
        }
        if (r == 0x2028 || r == 0x2029)
        {
            ctlBufPrintf(b, "\\u%04x", r);
        }
        else
        {
            ctlBufAppend(b, p + i, len);
        }
        i += len;
    }
    ctlBufPutc(b, '"');
}

static void ctlJsonKey(struct ctl_buf *b, bool *first, const char *name)
{
    if (!*first)
    {
        ctlBufPutc(b, ',');
    }
    *first = false;
    ctlJsonStr(b, name, strlen(name));
    ctlBufPutc(b, ':');
}

static void ctlJsonBytesValue(struct ctl_buf *b, const char *data, size_t len)
{
    char *enc = ctlBase64Encode(data, len);
    ctlBufPutc(b, '"');
    ctlBufPuts(b, enc);
    ctlBufPutc(b, '"');
    free(enc);
}

void ctlJsonEmit(struct ctl_buf *b, const json_t *in, const struct ctl_jschema *s)
{
    bool first = true;
    ctlBufPutc(b, '{');
    for (size_t i = 0; i < s->count; i++)
    {
        const struct ctl_jfield *f = &s->fields[i];
        switch (f->kind)
        {
        case CTL_J_I64:
        {
            int64_t v = ctlJI64(in, f->name);
            if (v != 0)
            {
                ctlJsonKey(b, &first, f->name);
                ctlBufPrintf(b, "%lld", (long long)v);
            }
            break;
        }
        case CTL_J_U64:
        {
            uint64_t v = ctlJU64(in, f->name);
            if (v != 0)
            {
                ctlJsonKey(b, &first, f->name);
                ctlBufPrintf(b, "%llu", (unsigned long long)v);
            }
            break;
        }
        case CTL_J_BOOL:
            if (ctlJBool(in, f->name))
            {
                ctlJsonKey(b, &first, f->name);
                ctlBufPuts(b, "true");
            }
            break;
        case CTL_J_STR:
        {
            json_t *v = in ? json_object_get(in, f->name) : NULL;
            const char *str = ctlJStr(in, f->name);
            size_t len = (v && json_is_string(v)) ? json_string_length(v) : strlen(str);
            if (len > 0)
            {
                ctlJsonKey(b, &first, f->name);
                ctlJsonStr(b, str, len);
            }
            break;
        }
        case CTL_J_BYTES:
        {
            size_t len = 0;
            char *data = ctlJBytes(in, f->name, &len);
            if (len > 0)
            {
                ctlJsonKey(b, &first, f->name);
                ctlJsonBytesValue(b, data, len);
            }
            free(data);
            break;
        }
        case CTL_J_EVTYPE:
        {
            json_t *v = in ? json_object_get(in, f->name) : NULL;
            long long t = 0;
            if (v != NULL && json_is_string(v))
            {
                const char *str = json_string_value(v);
                if (strcmp(str, "DELETE") == 0 || strcmp(str, "1") == 0)
                {
                    t = 1;
                }
                else if (strcmp(str, "PUT") != 0 && strcmp(str, "0") != 0)
                {
                    ctlJBad(f->name);
                }
            }
            else if (v != NULL && json_is_integer(v))
            {
                t = json_integer_value(v);
            }
            if (t != 0)
            {
                ctlJsonKey(b, &first, f->name);
                ctlBufPrintf(b, "%lld", t);
            }
            break;
        }
        case CTL_J_MSG:
        {
            json_t *v = ctlJObj(in, f->name);
            if (v != NULL)
            {
                ctlJsonKey(b, &first, f->name);
                ctlJsonEmit(b, v, f->sub);
            }
            break;
        }
        case CTL_J_MSGS:
        case CTL_J_STRS:
        case CTL_J_BYTESS:
        {
            json_t *arr = ctlJArr(in, f->name);
            if (arr == NULL || json_array_size(arr) == 0)
            {
                break;
            }
            ctlJsonKey(b, &first, f->name);
            ctlBufPutc(b, '[');
            for (size_t k = 0; k < json_array_size(arr); k++)
            {
                json_t *e = json_array_get(arr, k);
                if (k > 0)
                {
                    ctlBufPutc(b, ',');
                }
                if (f->kind == CTL_J_MSGS)
                {
                    if (!json_is_object(e))
                    {
                        ctlJBad(f->name);
                    }
                    ctlJsonEmit(b, e, f->sub);
                }
                else
                {
                    if (!json_is_string(e))
                    {
                        ctlJBad(f->name);
                    }
                    if (f->kind == CTL_J_STRS)
                    {
                        ctlJsonStr(b, json_string_value(e), json_string_length(e));
                    }
                    else
                    {
                        char *data = NULL;
                        size_t len = 0;
                        if (ctlBase64Decode(json_string_value(e), json_string_length(e), &data,
                                            &len) != 0)
                        {
                            ctlJBad(f->name);
                        }
                        ctlJsonBytesValue(b, data, len);
                        free(data);
                    }
                }
            }
            ctlBufPutc(b, ']');
            break;
        }
        }
    }
    ctlBufPutc(b, '}');
}

void ctlJsonEmitFlatHeader(struct ctl_buf *b, const json_t *hdr, bool *first)
{
    static const struct
    {
        const char *name;
        bool isUnsigned;
    } f[] = {{"cluster_id", true}, {"member_id", true}, {"revision", false}, {"raft_term", true}};
    if (hdr == NULL)
    {
        return;
    }
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
    {
        if (f[i].isUnsigned)
        {
            uint64_t v = ctlJU64(hdr, f[i].name);
            if (v != 0)
            {
                ctlJsonKey(b, first, f[i].name);
                ctlBufPrintf(b, "%llu", (unsigned long long)v);
            }
        }
        else
        {
            int64_t v = ctlJI64(hdr, f[i].name);
            if (v != 0)
            {
                ctlJsonKey(b, first, f[i].name);
                ctlBufPrintf(b, "%lld", (long long)v);
            }
        }
    }
}

/* ---- schemas (field order of etcd's rpc.proto / kv.proto) ---- */

static const struct ctl_jfield ctlJFieldsHeader[] = {
    {"cluster_id", CTL_J_U64, NULL},
    {"member_id", CTL_J_U64, NULL},
    {"revision", CTL_J_I64, NULL},
    {"raft_term", CTL_J_U64, NULL},
};
const struct ctl_jschema ctlSchemaHeader = {4, ctlJFieldsHeader};

static const struct ctl_jfield ctlJFieldsKv[] = {
    {"key", CTL_J_BYTES, NULL},
    {"create_revision", CTL_J_I64, NULL},
    {"mod_revision", CTL_J_I64, NULL},
    {"version", CTL_J_I64, NULL},
    {"value", CTL_J_BYTES, NULL},
    {"lease", CTL_J_I64, NULL},
};
const struct ctl_jschema ctlSchemaKv = {6, ctlJFieldsKv};

static const struct ctl_jfield ctlJFieldsRange[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"kvs", CTL_J_MSGS, &ctlSchemaKv},
    {"more", CTL_J_BOOL, NULL},
    {"count", CTL_J_I64, NULL},
};
const struct ctl_jschema ctlSchemaRange = {4, ctlJFieldsRange};

static const struct ctl_jfield ctlJFieldsPut[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"prev_kv", CTL_J_MSG, &ctlSchemaKv},
};
const struct ctl_jschema ctlSchemaPut = {2, ctlJFieldsPut};

static const struct ctl_jfield ctlJFieldsDelete[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"deleted", CTL_J_I64, NULL},
    {"prev_kvs", CTL_J_MSGS, &ctlSchemaKv},
};
const struct ctl_jschema ctlSchemaDelete = {3, ctlJFieldsDelete};

static const struct ctl_jfield ctlJFieldsMember[] = {
    {"ID", CTL_J_U64, NULL},
    {"name", CTL_J_STR, NULL},
    {"peerURLs", CTL_J_STRS, NULL},
    {"clientURLs", CTL_J_STRS, NULL},
    {"isLearner", CTL_J_BOOL, NULL},
};
const struct ctl_jschema ctlSchemaMember = {5, ctlJFieldsMember};

static const struct ctl_jfield ctlJFieldsMemberList[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"members", CTL_J_MSGS, &ctlSchemaMember},
};
const struct ctl_jschema ctlSchemaMemberList = {2, ctlJFieldsMemberList};

static const struct ctl_jfield ctlJFieldsMemberAdd[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"member", CTL_J_MSG, &ctlSchemaMember},
    {"members", CTL_J_MSGS, &ctlSchemaMember},
};
const struct ctl_jschema ctlSchemaMemberAdd = {3, ctlJFieldsMemberAdd};

static const struct ctl_jfield ctlJFieldsStatus[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
    {"version", CTL_J_STR, NULL},
    {"dbSize", CTL_J_I64, NULL},
    {"leader", CTL_J_U64, NULL},
    {"raftIndex", CTL_J_U64, NULL},
    {"raftTerm", CTL_J_U64, NULL},
    {"raftAppliedIndex", CTL_J_U64, NULL},
    {"errors", CTL_J_STRS, NULL},
    {"dbSizeInUse", CTL_J_I64, NULL},
    {"isLearner", CTL_J_BOOL, NULL},
};
const struct ctl_jschema ctlSchemaStatus = {10, ctlJFieldsStatus};

static const struct ctl_jfield ctlJFieldsHeaderOnly[] = {
    {"header", CTL_J_MSG, &ctlSchemaHeader},
};
const struct ctl_jschema ctlSchemaHeaderOnly = {1, ctlJFieldsHeaderOnly};

static const struct ctl_jfield ctlJFieldsEvent[] = {
    {"type", CTL_J_EVTYPE, NULL},
    {"kv", CTL_J_MSG, &ctlSchemaKv},
    {"prev_kv", CTL_J_MSG, &ctlSchemaKv},
};
const struct ctl_jschema ctlSchemaEvent = {3, ctlJFieldsEvent};
