/* etcfsctl's one request path: ctlRequest (ctlCall on the chosen
 * endpoints, the failure as "Error: ..." and the command's exit code) and
 * ctlRunUnary (a unary command from its arguments to its printed answer). */
#include <stdio.h>
#include <stdlib.h>

#include "ctl_request.h"
#include "ctl.h"
#include "ctl_http.h"
#include "ctl_util.h"

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
    ctlCheckOutput(o);
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
