/* etcfsctl txn: reads the compares and the success and failure operations
 * from stdin as etcdctl's txn_command.go does (compare syntax scanned like
 * Go's fmt.Sscanf "%q) %s %q", operations split like its argify regexp and
 * parsed as put/get/del command lines with their own flags), sends one
 * /v3/kv/txn and prints the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_txn.h"
#include "ctl.h"
#include "ctl_flags.h"
#include "ctl_go.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_kv.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"
#include "etcfsctl.h"

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
    ctlFreeStrings(argv, argc);
    return op;
}

/* One section of the input: prompt (with -i), then lines up to a blank
 * one, each parsed into an element of the returned list. */
static json_t *ctlTxnReadSection(const struct ctl_options *o, const char *prompt,
                                 json_t *(*parse)(const char *line))
{
    if (o->interactive)
    {
        printf("%s\n", prompt);
        fflush(stdout);
    }
    json_t *list = ctlJNewArr();
    for (;;)
    {
        char *raw = ctlTxnReadLine(stdin);
        char *line = ctlTrim(raw);
        if (*line == '\0')
        {
            free(raw);
            break;
        }
        ctlJAppend(list, parse(line));
        free(raw);
    }
    return list;
}

/* ---- the command ---- */

static json_t *ctlTxnBuild(const struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "txn command does not accept argument");
    }
    /* before the prompts and stdin, as etcdctl */
    ctlConnect(o);
    json_t *cmps = ctlTxnReadSection(o, "compares:", ctlTxnCompare);
    json_t *success = ctlTxnReadSection(o, "success requests (get, put, del):", ctlTxnOp);
    json_t *failure = ctlTxnReadSection(o, "failure requests (get, put, del):", ctlTxnOp);
    json_t *req = ctlJNewObj();
    ctlJSet(req, "compare", cmps);
    ctlJSet(req, "success", success);
    ctlJSet(req, "failure", failure);
    return req;
}

static void ctlTxnSucceeded(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    (void)p;
    ctlBufPuts(b, ctlJBool(obj, "succeeded") ? "SUCCESS\n" : "FAILURE\n");
}

/* One ResponseOp: the answer of one operation, whichever it was. */
static const struct ctl_field ctlTxnOpSimple[] = {
    {.from = "response_put", .kind = CTL_K_MSG, .sub = ctlPutSimple},
    {.from = "response_range", .kind = CTL_K_MSG, .sub = ctlRangeSimple},
    {.from = "response_delete_range", .kind = CTL_K_MSG, .sub = ctlDeleteSimple},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnResponseSimple[] = {
    {.label = "\n", .kind = CTL_K_TEXT},
    {.kind = CTL_K_ONEOF, .sub = ctlTxnOpSimple, .text = "unexpected response {Response:<nil>}\n"},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnSimple[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlTxnSucceeded},
    {.from = "responses", .kind = CTL_K_MSGS, .sub = ctlTxnResponseSimple},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnOpJson[] = {
    {.label = "ResponsePut", .from = "response_put", .kind = CTL_K_MSG, .sub = ctlPutJson},
    {.label = "ResponseRange", .from = "response_range", .kind = CTL_K_MSG, .sub = ctlRangeJson},
    {.label = "ResponseDeleteRange", .from = "response_delete_range", .kind = CTL_K_MSG,
     .sub = ctlDeleteJson},
    CTL_FIELDS_END,
};

/* Go's oneof wrapper: {"Response":{"ResponsePut":{...}}}, {} when unset */
static const struct ctl_field ctlTxnResponseJson[] = {
    {.label = "Response", .kind = CTL_K_ONEOF, .sub = ctlTxnOpJson},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnJson[] = {
    CTL_HEADER_JSON,
    {.label = "succeeded", .from = "succeeded", .kind = CTL_K_BOOL},
    {.label = "responses", .from = "responses", .kind = CTL_K_MSGS, .sub = ctlTxnResponseJson},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnOpFields[] = {
    {.label = "", .from = "response_put", .kind = CTL_K_MSG, .sub = ctlPutFields},
    {.label = "", .from = "response_range", .kind = CTL_K_MSG, .sub = ctlRangeFields},
    {.label = "", .from = "response_delete_range", .kind = CTL_K_MSG, .sub = ctlDeleteFields},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnResponseFields[] = {
    {.label = "", .kind = CTL_K_ONEOF, .sub = ctlTxnOpFields, .text = "\"Unknown\" : \"<nil>\"\n"},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTxnFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "Succeeded", .from = "succeeded", .kind = CTL_K_BOOL},
    {.label = "", .from = "responses", .kind = CTL_K_MSGS, .sub = ctlTxnResponseFields},
    CTL_FIELDS_END,
};

const struct ctl_unary ctlTxn = {
    .request = {.path = "/v3/kv/txn", .fail_code = CTL_EXIT_ERROR},
    .build = ctlTxnBuild,
    .view = {.simple = ctlTxnSimple, .json = ctlTxnJson, .fields = ctlTxnFields},
};
