/* etcfsctl key-value commands: put, get, del, txn and compaction, with
 * etcdctl 3.4's argument checks, messages, exit codes and printers (simple,
 * json, fields). The txn parser follows etcdctl's txn_command.go (compare
 * syntax scanned like Go's fmt.Sscanf "%q) %s %q", operations split like its
 * argify regexp and parsed as put/get/del command lines). */
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

static json_t *ctlKvPutRequest(const struct ctl_options *o, bool allowStdin)
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

static json_t *ctlKvGetRequest(const struct ctl_options *o)
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

static json_t *ctlKvDelRequest(const struct ctl_options *o)
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

static void ctlKvPrintRange(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp,
                            bool valueOnly)
{
    json_t *kvs = ctlJArr(resp, "kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlPrintKv(b, o, json_array_get(kvs, i), valueOnly);
    }
}

static void ctlKvPrintPut(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp)
{
    ctlBufPuts(b, "OK\n");
    json_t *prev = ctlJObj(resp, "prev_kv");
    if (prev != NULL)
    {
        ctlPrintKv(b, o, prev, false);
    }
}

static void ctlKvPrintDel(struct ctl_buf *b, const struct ctl_options *o, const json_t *resp)
{
    ctlBufPrintf(b, "%lld\n", (long long)ctlJI64(resp, "deleted"));
    json_t *kvs = ctlJArr(resp, "prev_kvs");
    for (size_t i = 0; kvs != NULL && i < json_array_size(kvs); i++)
    {
        ctlPrintKv(b, o, json_array_get(kvs, i), false);
    }
}

static void ctlKvFieldsRange(struct ctl_buf *b, const json_t *resp)
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

static void ctlKvFieldsPut(struct ctl_buf *b, const json_t *resp)
{
    ctlFieldsHeader(b, ctlJObj(resp, "header"));
    json_t *prev = ctlJObj(resp, "prev_kv");
    if (prev != NULL)
    {
        ctlFieldsKv(b, "Prev", prev);
    }
}

static void ctlKvFieldsDel(struct ctl_buf *b, const json_t *resp)
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

/* ---- txn ---- */

/* One line of stdin as bufio.Reader.ReadString('\n') would return it; a
 * missing newline (EOF) is etcdctl's "Error: EOF". */
static char *ctlTxnReadLine(FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, in);
    if (n <= 0 || line[n - 1] != '\n')
    {
        free(line);
        ctlFatal(CTL_EXIT_INVALID_INPUT, "EOF");
    }
    return line;
}

/* strings.TrimSpace in place */
static char *ctlTrim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
    {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' ||
                     s[n - 1] == '\r' || s[n - 1] == '\v' || s[n - 1] == '\f'))
    {
        s[--n] = '\0';
    }
    return s;
}

/* fmt.Sscanf's %q: skips spaces, reads a "..." or `...` literal. Returns
 * the number of bytes consumed, or 0 on failure. */
static size_t ctlScanQuoted(const char *s, struct ctl_buf *out)
{
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
    {
        i++;
    }
    if (s[i] == '`')
    {
        const char *end = strchr(s + i + 1, '`');
        if (end == NULL)
        {
            return 0;
        }
        ctlBufAppend(out, s + i + 1, (size_t)(end - (s + i + 1)));
        return (size_t)(end - s) + 1;
    }
    if (s[i] != '"')
    {
        return 0;
    }
    size_t j = i + 1;
    while (s[j] != '\0' && s[j] != '"')
    {
        j += (s[j] == '\\' && s[j + 1] != '\0') ? 2 : 1;
    }
    if (s[j] != '"')
    {
        return 0;
    }
    struct ctl_buf tmp = {0};
    if (ctlGoUnquote(s + i, j - i + 1, &tmp) != 0)
    {
        ctlBufFree(&tmp);
        return 0;
    }
    ctlBufAppend(out, tmp.data, tmp.len);
    ctlBufFree(&tmp);
    return j + 1;
}

/* fmt.Sscanf's %s: skips spaces, reads up to the next space. */
static size_t ctlScanWord(const char *s, struct ctl_buf *out)
{
    size_t i = 0;
    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
    {
        i++;
    }
    size_t j = i;
    while (s[j] != '\0' && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n')
    {
        j++;
    }
    if (j == i)
    {
        return 0;
    }
    ctlBufAppend(out, s + i, j - i);
    return j;
}

static json_t *ctlTxnCompare(const char *line)
{
    const char *paren = strchr(line, '(');
    if (paren == NULL)
    {
        ctlFatal(CTL_EXIT_INVALID_INPUT, "malformed comparison: %s", line);
    }
    char *target = ctlStrndup(line, (size_t)(paren - line));
    struct ctl_buf key = {0};
    struct ctl_buf op = {0};
    struct ctl_buf val = {0};
    ctlBufAppend(&key, "", 0);
    ctlBufAppend(&op, "", 0);
    ctlBufAppend(&val, "", 0);
    const char *p = paren + 1;
    int n = 0;
    size_t used = ctlScanQuoted(p, &key);
    if (used > 0)
    {
        n = 1;
        p += used;
        if (*p == ')')
        {
            p++;
            used = ctlScanWord(p, &op);
            if (used > 0)
            {
                n = 2;
                p += used;
                used = ctlScanQuoted(p, &val);
                if (used > 0)
                {
                    n = 3;
                }
            }
        }
    }
    if (n != 3)
    {
        struct ctl_buf msg = {0};
        ctlBufPrintf(&msg, "malformed comparison: %s; got %s(", line, target);
        ctlFmtGoQuote(&msg, key.data, key.len);
        ctlBufPrintf(&msg, ") %s ", op.data);
        ctlFmtGoQuote(&msg, val.data, val.len);
        ctlFatal(CTL_EXIT_INVALID_INPUT, "%s", msg.data);
    }
    json_t *cmp = ctlJNewObj();
    const char *result = NULL;
    if (strcmp(op.data, "=") == 0)
    {
        result = "EQUAL";
    }
    else if (strcmp(op.data, "!=") == 0)
    {
        result = "NOT_EQUAL";
    }
    else if (strcmp(op.data, ">") == 0)
    {
        result = "GREATER";
    }
    else if (strcmp(op.data, "<") == 0)
    {
        result = "LESS";
    }
    else
    {
        ctlFatal(CTL_EXIT_INVALID_INPUT, "malformed comparison: %s (unknown op %s)", line,
                 op.data);
    }
    ctlJSetStr(cmp, "result", result);
    ctlJSetBytes(cmp, "key", key.data, key.len);
    int64_t v = 0;
    char err[256];
    const char *field = NULL;
    const char *tname = NULL;
    if (strcmp(target, "ver") == 0 || strcmp(target, "version") == 0)
    {
        tname = "VERSION";
        field = "version";
    }
    else if (strcmp(target, "c") == 0 || strcmp(target, "create") == 0)
    {
        tname = "CREATE";
        field = "create_revision";
    }
    else if (strcmp(target, "m") == 0 || strcmp(target, "mod") == 0)
    {
        tname = "MOD";
        field = "mod_revision";
    }
    else if (strcmp(target, "val") == 0 || strcmp(target, "value") == 0)
    {
        ctlJSetStr(cmp, "target", "VALUE");
        ctlJSetBytes(cmp, "value", val.data, val.len);
    }
    else if (strcmp(target, "lease") == 0)
    {
        /* lease ids are hexadecimal everywhere else in etcdctl */
        if (ctlParseInt64(val.data, 16, &v, err, sizeof(err)) != 0)
        {
            ctlFatal(CTL_EXIT_INVALID_INPUT, "invalid txn compare request: %s", line);
        }
        ctlJSetStr(cmp, "target", "LEASE");
        ctlJSetI64(cmp, "lease", v);
    }
    else
    {
        ctlFatal(CTL_EXIT_INVALID_INPUT, "malformed comparison: %s (unknown target %s)", line,
                 target);
    }
    if (field != NULL)
    {
        if (ctlParseInt64(val.data, 10, &v, err, sizeof(err)) != 0)
        {
            ctlFatal(CTL_EXIT_INVALID_INPUT, "invalid txn compare request: %s", line);
        }
        ctlJSetStr(cmp, "target", tname);
        ctlJSetI64(cmp, field, v);
    }
    free(target);
    ctlBufFree(&key);
    ctlBufFree(&op);
    ctlBufFree(&val);
    return cmp;
}

static json_t *ctlTxnOp(const char *line)
{
    size_t argc = 0;
    char **argv = ctlArgify(line, &argc);
    if (argc < 2)
    {
        ctlFatal(CTL_EXIT_INVALID_INPUT, "invalid txn compare request: %s", line);
    }
    struct ctl_options opOpts;
    const char *name = NULL;
    char err[512];
    if (ctlParseOpLine(argv, argc, &opOpts, &name, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_INVALID_INPUT, "invalid txn request: %s", line);
    }
    json_t *op = ctlJNewObj();
    if (strcmp(name, "put") == 0)
    {
        ctlJSet(op, "request_put", ctlKvPutRequest(&opOpts, false));
    }
    else if (strcmp(name, "get") == 0)
    {
        ctlJSet(op, "request_range", ctlKvGetRequest(&opOpts));
    }
    else
    {
        ctlJSet(op, "request_delete_range", ctlKvDelRequest(&opOpts));
    }
    for (size_t i = 0; i < argc; i++)
    {
        free(argv[i]);
    }
    free(argv);
    return op;
}

static json_t *ctlTxnReadOps(FILE *in)
{
    json_t *ops = ctlJNewArr();
    for (;;)
    {
        char *raw = ctlTxnReadLine(in);
        char *line = ctlTrim(raw);
        if (*line == '\0')
        {
            free(raw);
            break;
        }
        ctlJAppend(ops, ctlTxnOp(line));
        free(raw);
    }
    return ops;
}

static void ctlTxnPrompt(const struct ctl_options *o, const char *s)
{
    if (o->interactive)
    {
        printf("%s\n", s);
        fflush(stdout);
    }
}

int ctlCmdTxn(struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "txn command does not accept argument");
    }
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    json_t *cmps = ctlJNewArr();
    ctlTxnPrompt(o, "compares:");
    for (;;)
    {
        char *raw = ctlTxnReadLine(stdin);
        char *line = ctlTrim(raw);
        if (*line == '\0')
        {
            free(raw);
            break;
        }
        ctlJAppend(cmps, ctlTxnCompare(line));
        free(raw);
    }
    ctlTxnPrompt(o, "success requests (get, put, del):");
    json_t *success = ctlTxnReadOps(stdin);
    ctlTxnPrompt(o, "failure requests (get, put, del):");
    json_t *failure = ctlTxnReadOps(stdin);
    ctlJSet(req, "compare", cmps);
    ctlJSet(req, "success", success);
    ctlJSet(req, "failure", failure);

    json_t *resp = ctlCallOrDie(o, "/v3/kv/txn", req, false, CTL_EXIT_ERROR, NULL, NULL);
    struct ctl_buf b = {0};
    json_t *responses = ctlJArr(resp, "responses");
    size_t count = responses ? json_array_size(responses) : 0;
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, ctlJBool(resp, "succeeded") ? "SUCCESS\n" : "FAILURE\n");
        for (size_t i = 0; i < count; i++)
        {
            json_t *r = json_array_get(responses, i);
            json_t *v;
            ctlBufPutc(&b, '\n');
            if ((v = ctlJObj(r, "response_put")) != NULL)
            {
                ctlKvPrintPut(&b, o, v);
            }
            else if ((v = ctlJObj(r, "response_range")) != NULL)
            {
                ctlKvPrintRange(&b, o, v, false);
            }
            else if ((v = ctlJObj(r, "response_delete_range")) != NULL)
            {
                ctlKvPrintDel(&b, o, v);
            }
            else
            {
                ctlBufPuts(&b, "unexpected response {Response:<nil>}\n");
            }
        }
        break;
    case CTL_OUT_JSON:
        ctlBufPutc(&b, '{');
        {
            bool first = true;
            json_t *hdr = ctlJObj(resp, "header");
            if (hdr != NULL)
            {
                ctlBufPuts(&b, "\"header\":");
                ctlJsonEmit(&b, hdr, &ctlSchemaHeader);
                first = false;
            }
            if (ctlJBool(resp, "succeeded"))
            {
                ctlBufPuts(&b, first ? "\"succeeded\":true" : ",\"succeeded\":true");
                first = false;
            }
            if (count > 0)
            {
                ctlBufPuts(&b, first ? "\"responses\":[" : ",\"responses\":[");
                for (size_t i = 0; i < count; i++)
                {
                    json_t *r = json_array_get(responses, i);
                    json_t *v;
                    if (i > 0)
                    {
                        ctlBufPutc(&b, ',');
                    }
                    if ((v = ctlJObj(r, "response_put")) != NULL)
                    {
                        ctlBufPuts(&b, "{\"Response\":{\"ResponsePut\":");
                        ctlJsonEmit(&b, v, &ctlSchemaPut);
                        ctlBufPuts(&b, "}}");
                    }
                    else if ((v = ctlJObj(r, "response_range")) != NULL)
                    {
                        ctlBufPuts(&b, "{\"Response\":{\"ResponseRange\":");
                        ctlJsonEmit(&b, v, &ctlSchemaRange);
                        ctlBufPuts(&b, "}}");
                    }
                    else if ((v = ctlJObj(r, "response_delete_range")) != NULL)
                    {
                        ctlBufPuts(&b, "{\"Response\":{\"ResponseDeleteRange\":");
                        ctlJsonEmit(&b, v, &ctlSchemaDelete);
                        ctlBufPuts(&b, "}}");
                    }
                    else
                    {
                        ctlBufPuts(&b, "{}");
                    }
                }
                ctlBufPutc(&b, ']');
            }
        }
        ctlBufPuts(&b, "}\n");
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
        ctlBufPrintf(&b, "\"Succeeded\" : %s\n", ctlJBool(resp, "succeeded") ? "true" : "false");
        for (size_t i = 0; i < count; i++)
        {
            json_t *r = json_array_get(responses, i);
            json_t *v;
            if ((v = ctlJObj(r, "response_put")) != NULL)
            {
                ctlKvFieldsPut(&b, v);
            }
            else if ((v = ctlJObj(r, "response_range")) != NULL)
            {
                ctlKvFieldsRange(&b, v);
            }
            else if ((v = ctlJObj(r, "response_delete_range")) != NULL)
            {
                ctlKvFieldsDel(&b, v);
            }
            else
            {
                ctlBufPuts(&b, "\"Unknown\" : \"<nil>\"\n");
            }
        }
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
