/* etcfsctl user commands, as etcdctl 3.4's user_command.go and its
 * printers: sentences in simple, the protobuf answers in json, the header
 * in fields (user get and list have no fields form), no table. Passwords
 * come from "name:password", --new-user-password, the terminal (asked twice,
 * the default) or a word of stdin (--interactive=false). Requests (POST):
 *   /v3/auth/user/add       {"name","password","options":{"no_password"}}
 *   /v3/auth/user/delete    {"name"}
 *   /v3/auth/user/get       {"name"}  -> {"roles":[...]}
 *   /v3/auth/user/list      {}        -> {"users":[...]}
 *   /v3/auth/user/changepw  {"name","password"}
 *   /v3/auth/user/grant     {"user","role"}
 *   /v3/auth/user/revoke    {"name","role"} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_user.h"
#include "ctl.h"
#include "ctl_json.h"
#include "ctl_password.h"
#include "ctl_role.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"

/* etcdctl's readPasswordInteractive: asked twice on the terminal; a failed
 * read, an empty password or two different ones exit 128. Transferred. */
static char *ctlUserAskPassword(const char *name)
{
    char err[512];
    struct ctl_buf prompt = {0};
    ctlBufPrintf(&prompt, "Password of %s: ", name);
    char *first = ctlAskPassword(prompt.data, err, sizeof(err));
    if (first == NULL)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "failed to ask password: %s", err);
    }
    if (first[0] == '\0')
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "empty password");
    }
    prompt.len = 0;
    ctlBufPrintf(&prompt, "Type password of %s again for confirmation: ", name);
    char *second = ctlAskPassword(prompt.data, err, sizeof(err));
    if (second == NULL)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "failed to ask password: %s", err);
    }
    if (strcmp(first, second) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "given passwords are different");
    }
    free(second);
    ctlBufFree(&prompt);
    return first;
}

/* The password of a command's user: asked, or a word of stdin. */
static char *ctlUserReadPassword(const struct ctl_options *o, const char *name)
{
    return o->password_interactive ? ctlUserAskPassword(name) : ctlScanWord();
}

/* ---- user add, delete ---- */

static const struct ctl_field ctlUserAddSimple[] = {
    {.label = "User ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " created\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlUserAddBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "user add command requires user name as its argument");
    }
    const char *arg = o->args[0];
    const char *colon = strchr(arg, ':');
    char *name = NULL;
    char *password = NULL;
    if (o->no_password)
    {
        name = ctlStrdup(arg);
        password = ctlStrdup("");
    }
    else if (o->new_user_password[0] != '\0')
    {
        name = ctlStrdup(arg);
        password = ctlStrdup(o->new_user_password);
    }
    else if (colon == NULL)
    {
        name = ctlStrdup(arg);
        password = ctlUserReadPassword(o, arg);
    }
    else
    {
        if (colon == arg)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "empty user name is not allowed");
        }
        name = ctlStrndup(arg, (size_t)(colon - arg));
        password = ctlStrdup(colon + 1);
    }
    json_t *options = ctlJNewObj();
    ctlJSetBool(options, "no_password", o->no_password);
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", name);
    ctlJSetStr(req, "password", password);
    ctlJSet(req, "options", options);
    free(name);
    free(password);
    return req;
}

const struct ctl_unary ctlUserAdd = {
    .request = {.path = "/v3/auth/user/add", .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserAddBuild,
    .view = {.simple = ctlUserAddSimple, .json = ctlHeaderOnlyJson, .fields = ctlHeaderOnlyFields},
};

static const struct ctl_field ctlUserDeleteSimple[] = {
    {.label = "User ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " deleted\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlUserDeleteBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "user delete command requires user name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    return req;
}

const struct ctl_unary ctlUserDelete = {
    .request = {.path = "/v3/auth/user/delete", .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserDeleteBuild,
    .view = {.simple = ctlUserDeleteSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};

/* ---- user get, list ---- */

static const struct ctl_field ctlUserRoleNames = {.from = "roles", .kind = CTL_K_STRS};
static const struct ctl_field ctlUserNames = {.from = "users", .kind = CTL_K_STRS};

/* " r1 r2": each role after a space */
static void ctlUserRoles(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    json_t *roles = ctlViewArr(p, &ctlUserRoleNames, obj);
    for (size_t k = 0; roles != NULL && k < json_array_size(roles); k++)
    {
        size_t len = 0;
        char *role = ctlViewListElem(&ctlUserRoleNames, roles, k, &len);
        ctlBufPutc(b, ' ');
        ctlBufAppend(b, role, len);
        free(role);
    }
}

static const struct ctl_field ctlUserGetSimple[] = {
    {.label = "User: ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = "\nRoles:", .kind = CTL_K_TEXT},
    {.kind = CTL_K_CUSTOM, .custom = ctlUserRoles},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlUserGetJson[] = {
    CTL_HEADER_JSON,
    {.label = "roles", .from = "roles", .kind = CTL_K_STRS},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlUserGetView = {.simple = ctlUserGetSimple, .json = ctlUserGetJson};

int ctlCmdUserGet(struct ctl_options *o)
{
    static const struct ctl_request userGet = {
        .path = "/v3/auth/user/get", .idempotent = true, .fail_code = CTL_EXIT_ERROR};
    static const struct ctl_request roleGet = {
        .path = "/v3/auth/role/get", .idempotent = true, .fail_code = CTL_EXIT_ERROR};
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "user get command requires user name as its argument");
    }
    ctlConnect(o);
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    json_t *resp = ctlRequest(o, &userGet, NULL, 0, req);
    if (!o->detail)
    {
        ctlPrint(o, &ctlUserGetView, req, resp);
        json_decref(resp);
        json_decref(req);
        return 0;
    }
    /* "User: name", then a blank line and display.RoleGet per role, each
     * printed before the next is asked for */
    struct ctl_buf b = {0};
    ctlBufPrintf(&b, "User: %s\n", o->args[0]);
    ctlBufFlush(&b);
    json_t *roles = ctlJArr(resp, "roles");
    for (size_t k = 0; roles != NULL && k < json_array_size(roles); k++)
    {
        size_t len = 0;
        char *role = ctlViewListElem(&ctlUserRoleNames, roles, k, &len);
        ctlBufPutc(&b, '\n');
        ctlBufFlush(&b);
        json_t *rreq = ctlJNewObj();
        ctlJSetStr(rreq, "role", role);
        json_t *rresp = ctlRequest(o, &roleGet, NULL, 0, rreq);
        ctlPrint(o, &ctlRoleGetView, rreq, rresp);
        json_decref(rresp);
        json_decref(rreq);
        free(role);
    }
    ctlBufFree(&b);
    json_decref(resp);
    json_decref(req);
    return 0;
}

/* one name a line */
static void ctlUserListLines(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    json_t *users = ctlViewArr(p, &ctlUserNames, obj);
    for (size_t k = 0; users != NULL && k < json_array_size(users); k++)
    {
        size_t len = 0;
        char *user = ctlViewListElem(&ctlUserNames, users, k, &len);
        ctlBufAppend(b, user, len);
        ctlBufPutc(b, '\n');
        free(user);
    }
}

static const struct ctl_field ctlUserListSimple[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlUserListLines},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlUserListJson[] = {
    CTL_HEADER_JSON,
    {.label = "users", .from = "users", .kind = CTL_K_STRS},
    CTL_FIELDS_END,
};

static json_t *ctlUserListBuild(const struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "user list command requires no arguments");
    }
    return ctlJNewObj();
}

const struct ctl_unary ctlUserList = {
    .request = {.path = "/v3/auth/user/list", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserListBuild,
    .view = {.simple = ctlUserListSimple, .json = ctlUserListJson},
};

/* ---- user passwd ---- */

static const struct ctl_field ctlUserPasswdSimple[] = {
    {.label = "Password updated\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlUserPasswdBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "user passwd command requires user name as its argument");
    }
    char *password = ctlUserReadPassword(o, o->args[0]);
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    ctlJSetStr(req, "password", password);
    free(password);
    return req;
}

const struct ctl_unary ctlUserPasswd = {
    .request = {.path = "/v3/auth/user/changepw", .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserPasswdBuild,
    .view = {.simple = ctlUserPasswdSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};

/* ---- user grant-role, revoke-role ---- */

static const struct ctl_field ctlUserGrantSimple[] = {
    {.label = "Role ", .from = "role", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " is granted to user ", .from = "user", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlUserGrantBuild(const struct ctl_options *o)
{
    if (o->arg_count != 2)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "user grant command requires user name and role name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "user", o->args[0]);
    ctlJSetStr(req, "role", o->args[1]);
    return req;
}

const struct ctl_unary ctlUserGrantRole = {
    .request = {.path = "/v3/auth/user/grant", .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserGrantBuild,
    .view = {.simple = ctlUserGrantSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};

static const struct ctl_field ctlUserRevokeSimple[] = {
    {.label = "Role ", .from = "role", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = " is revoked from user ", .from = "name", .kind = CTL_K_STR, .flags = CTL_F_REQ},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlUserRevokeBuild(const struct ctl_options *o)
{
    if (o->arg_count != 2)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS,
                 "user revoke-role requires user name and role name as its argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", o->args[0]);
    ctlJSetStr(req, "role", o->args[1]);
    return req;
}

const struct ctl_unary ctlUserRevokeRole = {
    .request = {.path = "/v3/auth/user/revoke", .fail_code = CTL_EXIT_ERROR},
    .build = ctlUserRevokeBuild,
    .view = {.simple = ctlUserRevokeSimple,
             .json = ctlHeaderOnlyJson,
             .fields = ctlHeaderOnlyFields},
};
