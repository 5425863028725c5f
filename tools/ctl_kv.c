/* etcfsctl key-value commands: put, get, del and compaction, with etcdctl
 * 3.4's argument checks, messages, exit codes and printers (simple, json,
 * fields); their request builders also serve txn's operations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* ---- ranges ---- */

char *ctlPrefixEnd(const char *key, size_t len, size_t *endLen)
{
    char *end = ctlStrndup(key, len);
    for (size_t i = len; i-- > 0;)
    {
        if ((unsigned char)end[i] < 0xff)
        {
            end[i] = (char)((unsigned char)end[i] + 1);
            *endLen = i + 1;
            end[i + 1] = '\0';
            return end;
        }
    }
    /* no prefix end (all 0xff): everything from the key on */
    end[0] = '\0';
    *endLen = 1;
    return end;
}

void ctlKvRange(const char *key, size_t keyLen, bool prefix, bool fromKey, char **outKey,
                size_t *outKeyLen, char **end, size_t *endLen)
{
    *outKey = ctlStrndup(key, keyLen);
    *outKeyLen = keyLen;
    if (prefix)
    {
        if (keyLen == 0)
        {
            /* clientv3 WithPrefix on "": key "\0", end "\0" */
            (*outKey)[0] = '\0';
            *outKeyLen = 1;
            *end = ctlStrndup("", 0);
            *endLen = 1;
            return;
        }
        free(*end);
        *end = ctlPrefixEnd(key, keyLen, endLen);
        return;
    }
    if (fromKey)
    {
        if (keyLen == 0)
        {
            (*outKey)[0] = '\0';
            *outKeyLen = 1;
        }
        free(*end);
        *end = ctlStrndup("", 0);
        *endLen = 1;
    }
}

/* ---- request builders (etcdctl's getPutOp / getGetOp / getDelOp) ---- */

json_t *ctlKvPutRequest(const struct ctl_options *o, bool allowStdin)
{
    if (o->arg_count == 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "put command needs 1 argument and input from stdin or 2 arguments");
    }
    if (o->ignore_value && o->arg_count > 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "put command needs only 1 argument when 'ignore-value' is set");
    }
    char *value = NULL;
    size_t valueLen = 0;
    if (!o->ignore_value)
    {
        if (o->arg_count > 1)
        {
            value = ctlStrdup(o->args[1]);
            valueLen = strlen(value);
        }
        else if (allowStdin)
        {
            value = ctlReadAllStdin(&valueLen);
            if (valueLen == 0)
            {
                free(value);
                value = NULL;
            }
        }
        if (value == NULL)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS,
                     "put command needs 1 argument and input from stdin or 2 arguments");
        }
    }
    int64_t lease = 0;
    char err[256];
    if (ctlParseInt64(o->lease, 16, &lease, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad lease ID (%s), expecting ID in Hex", err);
    }
    json_t *req = ctlJNewObj();
    ctlJSetBytes(req, "key", o->args[0], strlen(o->args[0]));
    if (valueLen > 0)
    {
        ctlJSetBytes(req, "value", value, valueLen);
    }
    if (lease != 0)
    {
        ctlJSetI64(req, "lease", lease);
    }
    if (o->prev_kv)
    {
        ctlJSetBool(req, "prev_kv", true);
    }
    if (o->ignore_value)
    {
        ctlJSetBool(req, "ignore_value", true);
    }
    if (o->ignore_lease)
    {
        ctlJSetBool(req, "ignore_lease", true);
    }
    free(value);
    return req;
}

static void ctlKvSetRange(json_t *req, const char *key, bool prefix, bool fromKey,
                          const char *rangeEnd)
{
    char *k = NULL;
    size_t kl = 0;
    char *end = rangeEnd ? ctlStrdup(rangeEnd) : NULL;
    size_t endLen = end ? strlen(end) : 0;
    ctlKvRange(key, strlen(key), prefix, fromKey, &k, &kl, &end, &endLen);
    ctlJSetBytes(req, "key", k, kl);
    if (end != NULL && endLen > 0)
    {
        ctlJSetBytes(req, "range_end", end, endLen);
    }
    free(k);
    free(end);
}

json_t *ctlKvGetRequest(const struct ctl_options *o)
{
    if (o->arg_count == 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "get command needs one argument as key and an optional argument as range_end");
    }
    if (o->prefix && o->from_key)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "`--prefix` and `--from-key` cannot be set at the same time, choose one");
    }
    if (o->keys_only && o->count_only)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "`--keys-only` and `--count-only` cannot be set at the same time, choose one");
    }
    json_t *req = ctlJNewObj();
    if (strcmp(o->consistency, "s") == 0)
    {
        ctlJSetBool(req, "serializable", true);
    }
    else if (strcmp(o->consistency, "l") != 0)
    {
        struct ctl_buf q = {0};
        ctlFmtGoQuote(&q, o->consistency, strlen(o->consistency));
        ctlFatal(CTL_EXIT_BAD_FEATURE, "unknown consistency flag %s", q.data);
    }
    const char *rangeEnd = NULL;
    if (o->arg_count > 1)
    {
        if (o->prefix || o->from_key)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "too many arguments, only accept one argument when "
                                        "`--prefix` or `--from-key` is set");
        }
        rangeEnd = o->args[1];
    }
    if (o->limit != 0)
    {
        ctlJSetI64(req, "limit", o->limit);
    }
    if (o->rev > 0)
    {
        ctlJSetI64(req, "revision", o->rev);
    }
    char upper[32];
    size_t n = 0;
    for (; o->order[n] && n < sizeof(upper) - 1; n++)
    {
        char c = o->order[n];
        upper[n] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    upper[n] = '\0';
    const char *order = NULL;
    if (strcmp(upper, "ASCEND") == 0 && strlen(o->order) == n)
    {
        order = "ASCEND";
    }
    else if (strcmp(upper, "DESCEND") == 0 && strlen(o->order) == n)
    {
        order = "DESCEND";
    }
    else if (o->order[0] != '\0')
    {
        ctlFatal(CTL_EXIT_BAD_FEATURE, "bad sort order %s", o->order);
    }
    for (n = 0; o->sort_by[n] && n < sizeof(upper) - 1; n++)
    {
        char c = o->sort_by[n];
        upper[n] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    upper[n] = '\0';
    const char *target = "KEY";
    static const char *const targets[][2] = {{"CREATE", "CREATE"}, {"KEY", "KEY"},
                                             {"MODIFY", "MOD"},    {"VALUE", "VALUE"},
                                             {"VERSION", "VERSION"}};
    bool found = o->sort_by[0] == '\0';
    for (size_t i = 0; !found && i < 5; i++)
    {
        if (strcmp(upper, targets[i][0]) == 0 && strlen(o->sort_by) == n)
        {
            target = targets[i][1];
            found = true;
        }
    }
    if (!found)
    {
        ctlFatal(CTL_EXIT_BAD_FEATURE, "bad sort target %s", o->sort_by);
    }
    /* clientv3.WithSort: KEY + ASCEND is the server's default order */
    if (strcmp(target, "KEY") == 0 && order != NULL && strcmp(order, "ASCEND") == 0)
    {
        order = NULL;
    }
    if (order != NULL)
    {
        ctlJSetStr(req, "sort_order", order);
    }
    if (strcmp(target, "KEY") != 0)
    {
        ctlJSetStr(req, "sort_target", target);
    }
    ctlKvSetRange(req, o->args[0], o->prefix, o->from_key, rangeEnd);
    if (o->keys_only)
    {
        ctlJSetBool(req, "keys_only", true);
    }
    if (o->count_only)
    {
        ctlJSetBool(req, "count_only", true);
    }
    return req;
}

json_t *ctlKvDelRequest(const struct ctl_options *o)
{
    if (o->arg_count == 0 || o->arg_count > 2)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "del command needs one argument as key and an optional argument as range_end");
    }
    if (o->prefix && o->from_key)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "`--prefix` and `--from-key` cannot be set at the same time, choose one");
    }
    const char *rangeEnd = NULL;
    if (o->arg_count > 1)
    {
        if (o->prefix || o->from_key)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "too many arguments, only accept one argument when "
                                        "`--prefix` or `--from-key` is set");
        }
        rangeEnd = o->args[1];
    }
    json_t *req = ctlJNewObj();
    ctlKvSetRange(req, o->args[0], o->prefix, o->from_key, rangeEnd);
    if (o->prev_kv)
    {
        ctlJSetBool(req, "prev_kv", true);
    }
    return req;
}

/* ---- printers ---- */

void ctlKvPrintRange(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp,
                            bool valueOnly)
{
    json_t *kvs = ctlJArr(resp, "kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlPrintKv(b, o, json_array_get(kvs, i), valueOnly);
    }
}

void ctlKvPrintPut(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp)
{
    ctlBufPuts(b, "OK\n");
    json_t *prev = ctlJObj(resp, "prev_kv");
    if (prev != NULL)
    {
        ctlPrintKv(b, o, prev, false);
    }
}

void ctlKvPrintDel(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp)
{
    ctlBufPrintf(b, "%lld\n", (long long)ctlJI64(resp, "deleted"));
    json_t *kvs = ctlJArr(resp, "prev_kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlPrintKv(b, o, json_array_get(kvs, i), false);
    }
}

void ctlKvFieldsRange(struct ctl_buf *b, const json_t *resp)
{
    ctlFieldsHeader(b, ctlJObj(resp, "header"));
    json_t *kvs = ctlJArr(resp, "kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlFieldsKv(b, "", json_array_get(kvs, i));
    }
    ctlBufPrintf(b, "\"More\" : %s\n", ctlJBool(resp, "more") ? "true" : "false");
    ctlBufPrintf(b, "\"Count\" : %lld\n", (long long)ctlJI64(resp, "count"));
}

void ctlKvFieldsPut(struct ctl_buf *b, const json_t *resp)
{
    ctlFieldsHeader(b, ctlJObj(resp, "header"));
    json_t *prev = ctlJObj(resp, "prev_kv");
    if (prev != NULL)
    {
        ctlFieldsKv(b, "Prev", prev);
    }
}

void ctlKvFieldsDel(struct ctl_buf *b, const json_t *resp)
{
    ctlFieldsHeader(b, ctlJObj(resp, "header"));
    ctlBufPrintf(b, "\"Deleted\" : %lld\n", (long long)ctlJI64(resp, "deleted"));
    json_t *kvs = ctlJArr(resp, "prev_kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlFieldsKv(b, "Prev", json_array_get(kvs, i));
    }
}

/* ---- put / get / del ---- */

int ctlCmdPut(struct ctl_options *o)
{
    json_t *req = ctlKvPutRequest(o, true);
    ctlCheckOutput(o);
    json_t *resp = ctlCallOrDie(o, "/v3/kv/put", req, false, CTL_EXIT_ERROR, NULL, NULL);
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlKvPrintPut(&b, o, resp);
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaPut);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlKvFieldsPut(&b, resp);
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    json_decref(req);
    json_decref(resp);
    return 0;
}

int ctlCmdGet(struct ctl_options *o)
{
    json_t *req = ctlKvGetRequest(o);
    ctlCheckOutput(o);
    json_t *resp = ctlCallOrDie(o, "/v3/kv/range", req, true, CTL_EXIT_ERROR, NULL, NULL);
    if (o->count_only && o->output != CTL_OUT_FIELDS)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "--count-only is only for `--write-out=fields`");
    }
    if (o->print_value_only && o->output != CTL_OUT_SIMPLE)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "print-value-only is only for `--write-out=simple`");
    }
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlKvPrintRange(&b, o, resp, o->print_value_only);
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaRange);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlKvFieldsRange(&b, resp);
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    json_decref(req);
    json_decref(resp);
    return 0;
}

int ctlCmdDel(struct ctl_options *o)
{
    json_t *req = ctlKvDelRequest(o);
    ctlCheckOutput(o);
    json_t *resp = ctlCallOrDie(o, "/v3/kv/deleterange", req, false, CTL_EXIT_ERROR, NULL, NULL);
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlKvPrintDel(&b, o, resp);
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaDelete);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlKvFieldsDel(&b, resp);
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    json_decref(req);
    json_decref(resp);
    return 0;
}

/* ---- compaction ---- */

int ctlCmdCompaction(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "compaction command needs 1 argument");
    }
    int64_t rev = 0;
    char err[256];
    if (ctlParseInt64(o->args[0], 10, &rev, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_ERROR, "%s", err);
    }
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "revision", rev);
    if (o->physical)
    {
        ctlJSetBool(req, "physical", true);
    }
    json_t *resp = ctlCallOrDie(o, "/v3/kv/compaction", req, true, CTL_EXIT_ERROR, NULL, NULL);
    printf("compacted revision %lld\n", (long long)rev);
    json_decref(req);
    json_decref(resp);
    return 0;
}
