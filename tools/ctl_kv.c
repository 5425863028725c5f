/* etcfsctl key-value commands: put, get, del and compaction, each its
 * request builder (etcdctl 3.4's argument checks, messages and exit codes)
 * and its field lists; txn builds its operations with the same builders and
 * prints their answers with the same lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_kv.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_schema.h"
#include "ctl_util.h"

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

/* The range end argument of get and del, if any. */
static const char *ctlKvRangeEnd(const struct ctl_options *o)
{
    if (o->arg_count < 2)
    {
        return NULL;
    }
    if (o->prefix || o->from_key)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "too many arguments, only accept one argument when "
                                    "`--prefix` or `--from-key` is set");
    }
    return o->args[1];
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
    const char *rangeEnd = ctlKvRangeEnd(o);
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
    const char *rangeEnd = ctlKvRangeEnd(o);
    json_t *req = ctlJNewObj();
    ctlKvSetRange(req, o->args[0], o->prefix, o->from_key, rangeEnd);
    if (o->prev_kv)
    {
        ctlJSetBool(req, "prev_kv", true);
    }
    return req;
}

/* ---- what put, get and del print (inside txn's answer too) ---- */

const struct ctl_field ctlRangeSimple[] = {
    {.from = "kvs", .kind = CTL_K_MSGS, .sub = ctlKvSimple},
    CTL_FIELDS_END,
};

const struct ctl_field ctlRangeJson[] = {
    CTL_HEADER_JSON,
    {.label = "kvs", .from = "kvs", .kind = CTL_K_MSGS, .sub = ctlKvJson},
    {.label = "more", .from = "more", .kind = CTL_K_BOOL},
    {.label = "count", .from = "count", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

const struct ctl_field ctlRangeFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "", .from = "kvs", .kind = CTL_K_MSGS, .sub = ctlKvFields},
    {.label = "More", .from = "more", .kind = CTL_K_BOOL},
    {.label = "Count", .from = "count", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

const struct ctl_field ctlPutSimple[] = {
    {.label = "OK\n", .kind = CTL_K_TEXT},
    {.from = "prev_kv", .kind = CTL_K_KV},
    CTL_FIELDS_END,
};

const struct ctl_field ctlPutJson[] = {
    CTL_HEADER_JSON,
    {.label = "prev_kv", .from = "prev_kv", .kind = CTL_K_MSG, .sub = ctlKvJson},
    CTL_FIELDS_END,
};

const struct ctl_field ctlPutFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "Prev", .from = "prev_kv", .kind = CTL_K_MSG, .sub = ctlKvFields},
    CTL_FIELDS_END,
};

const struct ctl_field ctlDeleteSimple[] = {
    {.from = "deleted", .kind = CTL_K_I64},
    {.label = "\n", .kind = CTL_K_TEXT},
    {.from = "prev_kvs", .kind = CTL_K_MSGS, .sub = ctlKvSimple},
    CTL_FIELDS_END,
};

const struct ctl_field ctlDeleteJson[] = {
    CTL_HEADER_JSON,
    {.label = "deleted", .from = "deleted", .kind = CTL_K_I64},
    {.label = "prev_kvs", .from = "prev_kvs", .kind = CTL_K_MSGS, .sub = ctlKvJson},
    CTL_FIELDS_END,
};

const struct ctl_field ctlDeleteFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "Deleted", .from = "deleted", .kind = CTL_K_I64},
    {.label = "Prev", .from = "prev_kvs", .kind = CTL_K_MSGS, .sub = ctlKvFields},
    CTL_FIELDS_END,
};

/* ---- put / get / del ---- */

static json_t *ctlKvPutBuild(const struct ctl_options *o)
{
    return ctlKvPutRequest(o, true);
}

const struct ctl_unary ctlKvPut = {
    .request = {.path = "/v3/kv/put", .fail_code = CTL_EXIT_ERROR},
    .build = ctlKvPutBuild,
    .view = {.simple = ctlPutSimple, .json = ctlPutJson, .fields = ctlPutFields},
};

/* etcdctl checks these once the answer is in */
static void ctlKvGetCheck(const struct ctl_options *o)
{
    if (o->count_only && o->output != CTL_OUT_FIELDS)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "--count-only is only for `--write-out=fields`");
    }
    if (o->print_value_only && o->output != CTL_OUT_SIMPLE)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "print-value-only is only for `--write-out=simple`");
    }
}

const struct ctl_unary ctlKvGet = {
    .request = {.path = "/v3/kv/range", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlKvGetRequest,
    .check = ctlKvGetCheck,
    .view = {.simple = ctlRangeSimple, .json = ctlRangeJson, .fields = ctlRangeFields},
};

const struct ctl_unary ctlKvDel = {
    .request = {.path = "/v3/kv/deleterange", .fail_code = CTL_EXIT_ERROR},
    .build = ctlKvDelRequest,
    .view = {.simple = ctlDeleteSimple, .json = ctlDeleteJson, .fields = ctlDeleteFields},
};

/* ---- compaction ---- */

static json_t *ctlKvCompactionBuild(const struct ctl_options *o)
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
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "revision", rev);
    if (o->physical)
    {
        ctlJSetBool(req, "physical", true);
    }
    return req;
}

static const struct ctl_field ctlCompactionSimple[] = {
    {.label = "compacted revision ", .from = "revision", .kind = CTL_K_I64, .flags = CTL_F_REQ},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

/* etcdctl prints the sentence whatever -w says */
const struct ctl_unary ctlKvCompaction = {
    .request = {.path = "/v3/kv/compaction", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlKvCompactionBuild,
    .view = {.simple = ctlCompactionSimple, .flags = CTL_VIEW_ANY},
};
