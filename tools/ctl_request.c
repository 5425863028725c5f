/* etcfsctl's one request path: ctlConnect (credentials, output check and
 * login, as etcdctl makes its client), ctlRequest (ctlCall on the chosen
 * endpoints, the failure as "Error: ..." and the command's exit code) and
 * ctlRunUnary (a unary command from its arguments to its printed answer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_request.h"
#include "ctl.h"
#include "ctl_http.h"
#include "ctl_password.h"
#include "ctl_util.h"

void ctlCredentials(const struct ctl_options *o)
{
    struct ctl_session *s = o->session;
    if (s == NULL || s->resolved)
    {
        return;
    }
    s->resolved = true;
    if (o->user[0] == '\0')
    {
        return;
    }
    if (o->password[0] != '\0')
    {
        s->name = ctlStrdup(o->user);
        s->password = ctlStrdup(o->password);
        return;
    }
    const char *colon = strchr(o->user, ':');
    if (colon != NULL)
    {
        s->name = ctlStrndup(o->user, (size_t)(colon - o->user));
        s->password = ctlStrdup(colon + 1);
        return;
    }
    char err[512];
    s->name = ctlStrdup(o->user);
    s->password = ctlAskPassword("Password: ", err, sizeof(err));
    if (s->password == NULL)
    {
        ctlFatal(CTL_EXIT_ERROR, "%s", err);
    }
}

void ctlConnect(const struct ctl_options *o)
{
    if (o->session != NULL && o->session->connected)
    {
        return;
    }
    ctlCredentials(o);
    ctlCheckOutput(o);
    char err[512];
    if (ctlLogin(o, NULL, 0, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_CONNECTION, "%s", err);
    }
    if (o->session != NULL)
    {
        o->session->connected = true;
    }
}

json_t *ctlRequest(const struct ctl_options *o, const struct ctl_request *rq, char *const *eps,
                   size_t epCount, const json_t *body)
{
    struct ctl_reply r;
    if (ctlCall(o, eps, epCount, rq->path, body, rq->idempotent, o->command_timeout_ms, &r) != 0)
    {
        ctlFatal(rq->fail_code, "%s%s%s", rq->fail_prefix ? rq->fail_prefix : "", r.error,
                 rq->fail_suffix ? rq->fail_suffix : "");
    }
    return r.json;
}

int ctlRunUnary(struct ctl_options *o, const struct ctl_unary *u)
{
    json_t *req = u->build(o);
    ctlConnect(o);
    json_t *resp = ctlRequest(o, &u->request, NULL, 0, req);
    if (u->check != NULL)
    {
        u->check(o);
    }
    ctlPrint(o, &u->view, req, resp);
    json_decref(req);
    json_decref(resp);
    return 0;
}
