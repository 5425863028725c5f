/* etcfsctl's one request path. ctlConnect starts it, as etcdctl's
 * mustClientFromCmd: the credentials of --user/--password, the output
 * format check, the login. A unary command is a request (gateway path,
 * whether it may be retried, how its failure reads), a builder of its body
 * and the view of its answer; ctlRunUnary runs it. ctlRequest is the call
 * itself: every command that must stop on a failed call (those that go on,
 * endpoint health and status, call ctlCall) goes through it. Runs on the
 * main thread, blocking; exits on failure, as etcdctl does. */
#ifndef ETCFS_TOOLS_CTL_REQUEST_H
#define ETCFS_TOOLS_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_view.h"

/* etcdctl's authCfgFromCmd: the session's name and password from --user
 * and --password. Without --password, --user is "name:password", split at
 * the first ':'; a name alone asks "Password: " on the terminal
 * (ctlAskPassword; a failure exits 1). With --password, --user is the name
 * as it is. Once per run (later calls do nothing). */
void ctlCredentials(const struct ctl_options *o);

/* etcdctl's mustClientFromCmd: ctlCredentials, the output format check
 * (exit 4 on an unknown one), then ctlLogin on the endpoints; a failed
 * login prints "Error: <why>" and exits 2 (ExitBadConnection). Every
 * command that talks to the cluster calls it where etcdctl makes its
 * client, before its first request. Once per run. */
void ctlConnect(const struct ctl_options *o);

/* One gateway call and how its failure reads. */
struct ctl_request
{
    const char *path; /* "/v3/kv/put" */
    /* retried on the next endpoint even when it may have reached the
     * server (a read, or a write that is safe to repeat) */
    bool idempotent;
    int fail_code;           /* exit code when the call fails */
    const char *fail_prefix; /* the failure prints "Error: <prefix><message><suffix>" */
    const char *fail_suffix;
};

/* POSTs body (borrowed) to rq->path on the first of eps[0..epCount) that
 * answers (eps NULL: every --endpoints), with the command timeout. Returns
 * the parsed answer (caller frees), or prints "Error: <prefix><message>
 * <suffix>" (the gateway's message, or "context deadline exceeded" when no
 * endpoint answered) and exits with rq->fail_code. */
json_t *ctlRequest(const struct ctl_options *o, const struct ctl_request *rq, char *const *eps,
                   size_t epCount, const json_t *body);

/* A command that is one call and the print of its answer. */
struct ctl_unary
{
    struct ctl_request request;
    /* checks the arguments (exits 128 etc. on bad ones, as etcdctl) and
     * returns the request body (transferred to the caller) */
    json_t *(*build)(const struct ctl_options *o);
    /* checks made after the answer, before printing (NULL: none) */
    void (*check)(const struct ctl_options *o);
    struct ctl_view view;
};

/* build, ctlConnect, ctlRequest, check, ctlPrint. Returns 0 (every
 * failure exits). */
int ctlRunUnary(struct ctl_options *o, const struct ctl_unary *u);

#endif /* ETCFS_TOOLS_CTL_REQUEST_H */
