/* etcfsctl's side of the gateway's JSON: parsing answers (int64 as strings
 * or numbers, bytes as base64) and reading their fields with the type
 * checks every printer relies on, and building requests. How answers are
 * printed back as etcdctl -w json does is ctl_print_json.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_json.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_util.h"

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
    /* unchecked: documents made for printing hold endpoints as typed */
    ctlJSet(obj, key, json_stringn_nocheck(s, strlen(s)));
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

/* ---- mvccpb.KeyValue ---- */

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
