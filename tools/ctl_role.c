/* etcfsctl role commands, as etcdctl 3.4's role_command.go and its
 * printers: sentences in simple, the protobuf answers in json, the header
 * (and role get's permissions, role list's names) in fields, no table.
 * Requests (POST):
 *   /v3/auth/role/add     {"name"}
 *   /v3/auth/role/delete  {"role"}
 *   /v3/auth/role/get     {"role"}  -> {"perm":[{"permType","key","range_end"}]}
 *   /v3/auth/role/list    {}        -> {"roles":[...]}
 *   /v3/auth/role/grant   {"name","perm":{"permType":"READ"|"WRITE"|"READWRITE",
 *                          "key","range_end"}}
 *   /v3/auth/role/revoke  {"role","key","range_end"}
 * keys base64, range_end left out when empty. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl_role.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_json.h"
#include "ctl_kv.h"
#include "ctl_schema.h"
#include "ctl_util.h"

/* authpb.Permission_Type */
#define CTL_PERM_READ 0
#define CTL_PERM_WRITE 1
#define CTL_PERM_READWRITE 2
static const char *const ctlPermTypes[] = {"READ", "WRITE", "READWRITE", NULL};

#define CTL_PERM_TYPE                                                                         \
    {.label = "permType", .from = "permType", .kind = CTL_K_ENUM, .names = ctlPermTypes}
static const struct ctl_field ctlPermType = CTL_PERM_TYPE;
static const struct ctl_field ctlPermList = {.from = "perm", .kind = CTL_K_MSGS};

/* ---- role get ---- */

/* etcdctl's simple RoleGet: the permissions that allow reading (write:
 * writing), one a line: a key alone, or "[key, end)", "[key, <open ended>",
 * then " (prefix key)" when end is the key's prefix end. */
static void ctlRolePerms(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj,
                         bool write)
{
    json_t *perms = ctlJArr(obj, "perm");
    for (size_t k = 0; perms != NULL && k < json_array_size(perms); k++)
    {
        json_t *perm = ctlViewElem(&ctlPermList, perms, k);
        size_t type = ctlViewEnum(p, &ctlPermType, perm);
        if (type != CTL_PERM_READWRITE && type != (write ? CTL_PERM_WRITE : CTL_PERM_READ))
        {
            continue;
        }
        size_t keyLen = 0;
        size_t endLen = 0;
        char *key = ctlJBytes(perm, "key", &keyLen);
        char *end = ctlJBytes(perm, "range_end", &endLen);
        ctlBufPutc(b, '\t');
        if (endLen == 0)
        {
            ctlBufAppend(b, key, keyLen);
        }
        else
        {
            ctlBufPutc(b, '[');
            ctlBufAppend(b, key, keyLen);
            if (endLen == 1 && end[0] == '\0')
            {
                ctlBufPuts(b, ", <open ended>");
            }
            else
            {
                ctlBufPuts(b, ", ");
                ctlBufAppend(b, end, endLen);
                ctlBufPutc(b, ')');
            }
            size_t prefixLen = 0;
            char *prefixEnd = ctlPrefixEnd(key, keyLen, &prefixLen);
            if (prefixLen == endLen && memcmp(prefixEnd, end, endLen) == 0)
            {
                ctlBufPuts(b, " (prefix ");
                ctlBufAppend(b, key, keyLen);
                ctlBufPutc(b, ')');
            }
            free(prefixEnd);
        }
        ctlBufPutc(b, '\n');
        free(key);
        free(end);
    }
}

static void ctlRoleReadPerms(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    ctlRolePerms(b, p, obj, false);
}

static void ctlRoleWritePerms(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    ctlRolePerms(b, p, obj, true);
}

static const struct ctl_field ctlRoleGetSimple[] = {
    {.label = "Role ", .from = "role", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = "\nKV Read:\n", .kind = CTL_K_TEXT},
    {.kind = CTL_K_CUSTOM, .custom = ctlRoleReadPerms},
    {.label = "KV Write:\n", .kind = CTL_K_TEXT},
    {.kind = CTL_K_CUSTOM, .custom = ctlRoleWritePerms},
    CTL_FIELDS_END,
};

/* authpb.Permission */
static const struct ctl_field ctlPermJson[] = {
    CTL_PERM_TYPE,
    {.label = "key", .from = "key", .kind = CTL_K_BYTES},
    {.label = "range_end", .from = "range_end", .kind = CTL_K_BYTES},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlRoleGetJson[] = {
    CTL_HEADER_JSON,
    {.label = "perm", .from = "perm", .kind = CTL_K_MSGS, .sub = ctlPermJson},
    CTL_FIELDS_END,
};

/* fmt.Println(`"PermType" : `, name): two spaces */
static void ctlPermTypeLine(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    ctlBufPrintf(b, "\"PermType\" :  %s\n", ctlPermTypes[ctlViewEnum(p, &ctlPermType, obj)]);
}

static const struct ctl_field ctlPermFields[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlPermTypeLine},
    {.label = "Key", .from = "key", .kind = CTL_K_BYTES},
    {.label = "RangeEnd", .from = "range_end", .kind = CTL_K_BYTES},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlRoleGetFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "", .from = "perm", .kind = CTL_K_MSGS, .sub = ctlPermFields},
    CTL_FIELDS_END,
};

#define CTL_ROLE_GET_VIEW                                                                     \
    {.simple = ctlRoleGetSimple, .json = ctlRoleGetJson, .fields = ctlRoleGetFields}
const struct ctl_view ctlRoleGetView = CTL_ROLE_GET_VIEW;

static json_t *ctlRoleGetBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role get command requires role name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "role", o->args[0]);
    return req;
}

const struct ctl_unary ctlRoleGet = {
    .request = {.path = "/v3/auth/role/get", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleGetBuild,
    .view = CTL_ROLE_GET_VIEW,
};

/* ---- role add, delete ---- */

static const struct ctl_field ctlRoleAddSimple[] = {
    {.label = "Role ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " created\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlRoleAddBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role add command requires role name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    return req;
}

const struct ctl_unary ctlRoleAdd = {
    .request = {.path = "/v3/auth/role/add", .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleAddBuild,
    .view = {.simple = ctlRoleAddSimple, .json = ctlHeaderOnlyJson, .fields = ctlHeaderOnlyFields},
};

static const struct ctl_field ctlRoleDeleteSimple[] = {
    {.label = "Role ", .from = "role", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " deleted\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlRoleDeleteBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role delete command requires role name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "role", o->args[0]);
    return req;
}

const struct ctl_unary ctlRoleDelete = {
    .request = {.path = "/v3/auth/role/delete", .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleDeleteBuild,
    .view = {.simple = ctlRoleDeleteSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};

/* ---- role list ---- */

static const struct ctl_field ctlRoleNames = {.from = "roles", .kind = CTL_K_STRS};

/* one name a line */
static void ctlRoleListLines(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    json_t *roles = ctlViewArr(p, &ctlRoleNames, obj);
    for (size_t k = 0; roles != NULL && k < json_array_size(roles); k++)
    {
        size_t len = 0;
        char *name = ctlViewListElem(&ctlRoleNames, roles, k, &len);
        ctlBufAppend(b, name, len);
        ctlBufPutc(b, '\n');
        free(name);
    }
}

/* "Roles" : "r1" "r2" */
static void ctlRoleListQuoted(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    json_t *roles = ctlViewArr(p, &ctlRoleNames, obj);
    ctlBufPuts(b, "\"Roles\" :");
    for (size_t k = 0; roles != NULL && k < json_array_size(roles); k++)
    {
        size_t len = 0;
        char *name = ctlViewListElem(&ctlRoleNames, roles, k, &len);
        ctlBufPutc(b, ' ');
        ctlFmtGoQuote(b, name, len);
        free(name);
    }
    ctlBufPutc(b, '\n');
}

static const struct ctl_field ctlRoleListSimple[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlRoleListLines},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlRoleListJson[] = {
    CTL_HEADER_JSON,
    {.label = "roles", .from = "roles", .kind = CTL_K_STRS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlRoleListFields[] = {
    CTL_HEADER_FIELDS,
    {.kind = CTL_K_CUSTOM, .custom = ctlRoleListQuoted},
    CTL_FIELDS_END,
};

static json_t *ctlRoleListBuild(const struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role list command requires no arguments");
    }
    return ctlJNewObj();
}

const struct ctl_unary ctlRoleList = {
    .request = {.path = "/v3/auth/role/list", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleListBuild,
    .view = {.simple = ctlRoleListSimple, .json = ctlRoleListJson, .fields = ctlRoleListFields},
};

/* ---- role grant-permission, revoke-permission ---- */

/* etcdctl's permRange over args[0..argc) (argc >= 1): the key and range end
 * (both malloc'd) of a permission. An empty key means every key ("\0");
 * --prefix and --from-key make it open-ended. Bad combinations exit 128. */
static void ctlRolePermRange(const struct ctl_options *o, char *const *args, size_t argc,
                             char **key, size_t *keyLen, char **end, size_t *endLen)
{
    const char *arg = args[0];
    if (arg[0] == '\0')
    {
        if (o->prefix && o->from_key)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "--from-key and --prefix flags are mutually exclusive");
        }
        /* adt.BytesAffineInterval: the empty key is "\0"; "\0" as the
         * end is open-ended */
        *key = ctlStrndup("", 1);
        *keyLen = 1;
        bool open = o->prefix || o->from_key;
        *end = ctlStrndup("", open ? 1 : 0);
        *endLen = open ? 1 : 0;
        return;
    }
    *key = ctlStrdup(arg);
    *keyLen = strlen(arg);
    if (argc == 1)
    {
        if (o->prefix && o->from_key)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "--from-key and --prefix flags are mutually exclusive");
        }
        if (o->prefix)
        {
            *end = ctlPrefixEnd(arg, *keyLen, endLen);
            return;
        }
        *end = ctlStrndup("", o->from_key ? 1 : 0);
        *endLen = o->from_key ? 1 : 0;
        return;
    }
    if (o->prefix)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "unexpected endkey argument with --prefix flag");
    }
    if (o->from_key)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "unexpected endkey argument with --from-key flag");
    }
    *end = ctlStrdup(args[1]);
    *endLen = strlen(args[1]);
}

/* The key and range_end of a permission (or of a revoke) in obj. */
static void ctlRoleSetRange(json_t *obj, const char *key, size_t keyLen, const char *end,
                            size_t endLen)
{
    ctlJSetBytes(obj, "key", key, keyLen);
    if (endLen > 0)
    {
        ctlJSetBytes(obj, "range_end", end, endLen);
    }
}

static const struct ctl_field ctlRoleGrantSimple[] = {
    {.label = "Role ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " updated\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlRoleGrantBuild(const struct ctl_options *o)
{
    if (o->arg_count < 3)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role grant command requires role name, permission type, "
                                    "and key [endkey] as its argument");
    }
    /* clientv3.StrToPermissionType: the name, in any case */
    size_t type = 0;
    while (ctlPermTypes[type] != NULL && strcasecmp(ctlPermTypes[type], o->args[1]) != 0)
    {
        type++;
    }
    if (ctlPermTypes[type] == NULL)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "invalid permission type: %s", o->args[1]);
    }
    char *key = NULL;
    char *end = NULL;
    size_t keyLen = 0;
    size_t endLen = 0;
    ctlRolePermRange(o, o->args + 2, o->arg_count - 2, &key, &keyLen, &end, &endLen);
    json_t *perm = ctlJNewObj();
    ctlJSetStr(perm, "permType", ctlPermTypes[type]);
    ctlRoleSetRange(perm, key, keyLen, end, endLen);
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    ctlJSet(req, "perm", perm);
    free(key);
    free(end);
    return req;
}

const struct ctl_unary ctlRoleGrantPermission = {
    .request = {.path = "/v3/auth/role/grant", .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleGrantBuild,
    .view = {.simple = ctlRoleGrantSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};

/* etcdctl's simple RoleRevokePermission: the key as typed, the range end
 * sent */
static void ctlRoleRevokeSentence(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    (void)obj; /* the answer is a header: all comes from the command */
    const char *key = p->o->args[1];
    const char *role = ctlJStr(p->req, "role");
    size_t endLen = 0;
    char *end = ctlJBytes(p->req, "range_end", &endLen);
    if (endLen == 0)
    {
        ctlBufPrintf(b, "Permission of key %s is revoked from role %s\n", key, role);
    }
    else if (endLen == 1 && end[0] == '\0')
    {
        ctlBufPrintf(b, "Permission of range [%s, <open ended> is revoked from role %s\n", key,
                     role);
    }
    else
    {
        ctlBufPrintf(b, "Permission of range [%s, ", key);
        ctlBufAppend(b, end, endLen);
        ctlBufPrintf(b, ") is revoked from role %s\n", role);
    }
    free(end);
}

static const struct ctl_field ctlRoleRevokeSimple[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlRoleRevokeSentence},
    CTL_FIELDS_END,
};

static json_t *ctlRoleRevokeBuild(const struct ctl_options *o)
{
    if (o->arg_count < 2)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "role revoke-permission command requires role name and key "
                                    "[endkey] as its argument");
    }
    char *key = NULL;
    char *end = NULL;
    size_t keyLen = 0;
    size_t endLen = 0;
    ctlRolePermRange(o, o->args + 1, o->arg_count - 1, &key, &keyLen, &end, &endLen);
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "role", o->args[0]);
    ctlRoleSetRange(req, key, keyLen, end, endLen);
    free(key);
    free(end);
    return req;
}

const struct ctl_unary ctlRoleRevokePermission = {
    .request = {.path = "/v3/auth/role/revoke", .fail_code = CTL_EXIT_ERROR},
    .build = ctlRoleRevokeBuild,
    .view = {.simple = ctlRoleRevokeSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};
