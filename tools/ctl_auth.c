/* etcfsctl auth commands, as etcdctl 3.4's auth_command.go (and 3.5's auth
 * status): enable and disable print their sentence whatever -w says; status
 * has a simple and a json form only. Requests: POST /v3/auth/enable {},
 * /v3/auth/disable {}, /v3/auth/status {}; auth enable may also send
 * /v3/auth/role/add {"name":"root"} and /v3/auth/user/grant
 * {"user":"root","role":"root"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_auth.h"
#include "ctl.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"

/* ---- auth enable ---- */

/* A failed AuthEnable whose root user lacks the root role: etcdctl adds the
 * role, grants it and tries again. */
#define CTL_AUTH_ROOT_ROLE_MISSING "etcdserver: root user does not have root role"

int ctlCmdAuthEnable(struct ctl_options *o)
{
    static const struct ctl_request roleAdd = {.path = "/v3/auth/role/add",
                                               .fail_code = CTL_EXIT_ERROR};
    static const struct ctl_request grant = {.path = "/v3/auth/user/grant",
                                             .fail_code = CTL_EXIT_ERROR};
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "auth enable command does not accept any arguments");
    }
    ctlConnect(o);
    json_t *empty = ctlJNewObj();
    for (;;)
    {
        struct ctl_reply r;
        if (ctlCall(o, NULL, 0, "/v3/auth/enable", empty, false, o->command_timeout_ms, &r) == 0)
        {
            ctlReplyFree(&r);
            break;
        }
        if (r.transport || strcmp(r.error, CTL_AUTH_ROOT_ROLE_MISSING) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "%s", r.error);
        }
        ctlReplyFree(&r);
        json_t *req = ctlJNewObj();
        ctlJSetStr(req, "name", "root");
        json_decref(ctlRequest(o, &roleAdd, NULL, 0, req));
        json_decref(req);
        req = ctlJNewObj();
        ctlJSetStr(req, "user", "root");
        ctlJSetStr(req, "role", "root");
        json_decref(ctlRequest(o, &grant, NULL, 0, req));
        json_decref(req);
    }
    json_decref(empty);
    fputs("Authentication Enabled\n", stdout);
    return 0;
}

/* ---- auth disable ---- */

static const struct ctl_field ctlAuthDisableSimple[] = {
    {.label = "Authentication Disabled\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static json_t *ctlAuthDisableBuild(const struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "auth disable command does not accept any arguments");
    }
    return ctlJNewObj();
}

const struct ctl_unary ctlAuthDisable = {
    .request = {.path = "/v3/auth/disable", .fail_code = CTL_EXIT_ERROR},
    .build = ctlAuthDisableBuild,
    .view = {.simple = ctlAuthDisableSimple, .flags = CTL_VIEW_ANY},
};

/* ---- auth status ---- */

static const struct ctl_field ctlAuthStatusSimple[] = {
    {.label = "Authentication Status: ", .from = "enabled", .kind = CTL_K_BOOL},
    {.label = "\nAuthRevision: ", .from = "authRevision", .kind = CTL_K_U64},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

/* etcdserverpb.AuthStatusResponse */
static const struct ctl_field ctlAuthStatusJson[] = {
    CTL_HEADER_JSON,
    {.label = "enabled", .from = "enabled", .kind = CTL_K_BOOL},
    {.label = "authRevision", .from = "authRevision", .kind = CTL_K_U64},
    CTL_FIELDS_END,
};

static json_t *ctlAuthStatusBuild(const struct ctl_options *o)
{
    if (o->arg_count != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "auth status command does not accept any arguments");
    }
    return ctlJNewObj();
}

/* etcdctl 3.5 has no fields or table form of it */
const struct ctl_unary ctlAuthStatus = {
    .request = {.path = "/v3/auth/status", .fail_code = CTL_EXIT_ERROR},
    .build = ctlAuthStatusBuild,
    .view = {.simple = ctlAuthStatusSimple, .json = ctlAuthStatusJson},
};
