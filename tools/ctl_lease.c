/* etcfsctl lease commands: grant, revoke, timetolive, list and keep-alive
 * (one /v3/lease/keepalive stream per renewal, read up to its first result,
 * repeated every TTL/3 like clientv3). Outputs follow etcdctl 3.4: lease ids
 * in %016x, and -w json prints clientv3's structs (header fields flattened). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_lease.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"

static int64_t ctlLeaseFromArg(const char *arg)
{
    int64_t id = 0;
    char err[256];
    if (ctlParseInt64(arg, 16, &id, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad lease ID arg (%s), expecting ID in Hex", err);
    }
    return id;
}

/* ---- what the lease commands print ---- */

static const struct ctl_field ctlGrantSimple[] = {
    {.label = "lease ", .from = "ID", .kind = CTL_K_LEASE},
    {.label = " granted with TTL(", .from = "TTL", .kind = CTL_K_I64},
    {.label = "s)\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlGrantJson[] = {
    CTL_HEADER_FLAT,
    {.label = "ID", .from = "ID", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "TTL", .from = "TTL", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "Error", .from = "error", .kind = CTL_K_STR, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

/* also keep-alive's */
static const struct ctl_field ctlLeaseIdTtlFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "ID", .from = "ID", .kind = CTL_K_I64},
    {.label = "TTL", .from = "TTL", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlRevokeSimple[] = {
    {.label = "lease ", .from = "ID", .kind = CTL_K_LEASE, .flags = CTL_F_REQ},
    {.label = " revoked\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

/* lease 694d77aa9e38260f granted with TTL(600s), remaining(598s), attached
 * keys([k1 k2]); or "already expired" */
static void ctlTimeToLiveSentence(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    static const struct ctl_field keys = {.from = "keys", .kind = CTL_K_BYTESS, .text = " "};
    int64_t ttl = ctlJI64(obj, "TTL");
    int64_t granted = ctlJI64(obj, "grantedTTL");
    if (granted == 0 && ttl == -1)
    {
        ctlBufPuts(b, " already expired\n");
        return;
    }
    ctlBufPrintf(b, " granted with TTL(%llds), remaining(%llds)", (long long)granted,
                 (long long)ttl);
    if (p->o->keys)
    {
        ctlBufPuts(b, ", attached keys([");
        ctlPrintValue(b, p, &keys, obj);
        ctlBufPuts(b, "])");
    }
    ctlBufPutc(b, '\n');
}

static const struct ctl_field ctlTimeToLiveSimple[] = {
    {.label = "lease ", .from = "ID", .kind = CTL_K_LEASE},
    {.kind = CTL_K_CUSTOM, .custom = ctlTimeToLiveSentence},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTimeToLiveJson[] = {
    CTL_HEADER_FLAT,
    {.label = "id", .from = "ID", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "ttl", .from = "TTL", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "granted-ttl", .from = "grantedTTL", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "keys", .from = "keys", .kind = CTL_K_BYTESS, .flags = CTL_F_ALWAYS | CTL_F_NULL},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlTimeToLiveFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "ID", .from = "ID", .kind = CTL_K_I64},
    {.label = "TTL", .from = "TTL", .kind = CTL_K_I64},
    {.label = "GrantedTTL", .from = "grantedTTL", .kind = CTL_K_I64},
    {.label = "Key", .from = "keys", .kind = CTL_K_BYTESS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeaseIdLine[] = {
    {.from = "ID", .kind = CTL_K_LEASE},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeasesSimple[] = {
    {.label = "found ", .from = "leases", .kind = CTL_K_COUNT},
    {.label = " leases\n", .kind = CTL_K_TEXT},
    {.from = "leases", .kind = CTL_K_MSGS, .sub = ctlLeaseIdLine},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeaseStatusJson[] = {
    {.label = "id", .from = "ID", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeasesJson[] = {
    CTL_HEADER_FLAT,
    {.label = "leases", .from = "leases", .kind = CTL_K_MSGS, .sub = ctlLeaseStatusJson,
     .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeaseStatusFields[] = {
    {.label = "ID", .from = "ID", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlLeasesFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "", .from = "leases", .kind = CTL_K_MSGS, .sub = ctlLeaseStatusFields},
    CTL_FIELDS_END,
};

/* ---- grant, revoke, timetolive, list ---- */

static json_t *ctlLeaseGrantBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease grant command needs TTL argument");
    }
    int64_t ttl = 0;
    char err[256];
    if (ctlParseInt64(o->args[0], 10, &ttl, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad TTL (%s)", err);
    }
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "TTL", ttl);
    return req;
}

const struct ctl_unary ctlLeaseGrant = {
    .request = {.path = "/v3/lease/grant",
                .fail_code = CTL_EXIT_ERROR,
                .fail_prefix = "failed to grant lease (",
                .fail_suffix = ")"},
    .build = ctlLeaseGrantBuild,
    .view = {.simple = ctlGrantSimple, .json = ctlGrantJson, .fields = ctlLeaseIdTtlFields},
};

static json_t *ctlLeaseRevokeBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease revoke command needs 1 argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "ID", ctlLeaseFromArg(o->args[0]));
    return req;
}

const struct ctl_unary ctlLeaseRevoke = {
    .request = {.path = "/v3/lease/revoke",
                .fail_code = CTL_EXIT_ERROR,
                .fail_prefix = "failed to revoke lease (",
                .fail_suffix = ")"},
    .build = ctlLeaseRevokeBuild,
    .view = {.simple = ctlRevokeSimple, .json = ctlHeaderOnlyJson, .fields = ctlHeaderOnlyFields},
};

static json_t *ctlLeaseTimeToLiveBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease timetolive command needs lease ID as argument");
    }
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "ID", ctlLeaseFromArg(o->args[0]));
    if (o->keys)
    {
        ctlJSetBool(req, "keys", true);
    }
    return req;
}

const struct ctl_unary ctlLeaseTimeToLive = {
    .request = {.path = "/v3/lease/timetolive",
                .idempotent = true,
                .fail_code = CTL_EXIT_BAD_CONNECTION},
    .build = ctlLeaseTimeToLiveBuild,
    .view = {.simple = ctlTimeToLiveSimple,
             .json = ctlTimeToLiveJson,
             .fields = ctlTimeToLiveFields},
};

static json_t *ctlLeaseListBuild(const struct ctl_options *o)
{
    (void)o; /* no arguments: etcdctl ignores any */
    return ctlJNewObj();
}

const struct ctl_unary ctlLeaseList = {
    .request = {.path = "/v3/lease/leases",
                .idempotent = true,
                .fail_code = CTL_EXIT_BAD_CONNECTION},
    .build = ctlLeaseListBuild,
    .view = {.simple = ctlLeasesSimple, .json = ctlLeasesJson, .fields = ctlLeasesFields},
};

/* ---- keep-alive ---- */

struct ctl_keepalive
{
    json_t *result; /* the first result object */
    char error[512];
};

static int ctlKeepAliveLine(void *ud, const char *line, size_t len)
{
    struct ctl_keepalive *ka = ud;
    switch (ctlStreamDecode(line, len, &ka->result, ka->error, sizeof(ka->error)))
    {
    case CTL_LINE_MALFORMED:
        snprintf(ka->error, sizeof(ka->error), "invalid response from server (malformed JSON)");
        return 1;
    case CTL_LINE_OTHER:
        return 0;
    default:
        return 1; /* the first result, or the stream's error */
    }
}

/* One renewal. Returns the result object (caller frees), or NULL with err
 * set (transport or server error). */
static json_t *ctlKeepAliveOnce(const struct ctl_options *o, int64_t id, char *err, size_t errlen,
                                bool *transport)
{
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "ID", id);
    char *body = ctlJDump(req);
    json_decref(req);
    struct ctl_keepalive ka;
    memset(&ka, 0, sizeof(ka));
    struct ctl_stream s;
    memset(&s, 0, sizeof(s));
    s.o = o;
    s.path = "/v3/lease/keepalive";
    s.body = body;
    s.on_line = ctlKeepAliveLine;
    s.ud = &ka;
    s.timeout_ms = o->command_timeout_ms;
    int rc = ctlStreamRun(&s);
    free(body);
    ctlBufFree(&s.line);
    ctlBufFree(&s.errbody);
    *transport = false;
    if (ka.result != NULL)
    {
        return ka.result;
    }
    if (ka.error[0] != '\0')
    {
        snprintf(err, errlen, "%s", ka.error);
    }
    else if (rc != 0)
    {
        snprintf(err, errlen, "%s", s.error);
        *transport = !s.connected || strcmp(s.error, "context deadline exceeded") == 0;
    }
    else
    {
        snprintf(err, errlen, "context deadline exceeded");
        *transport = true;
    }
    return NULL;
}

static const struct ctl_field ctlKeepAliveSimple[] = {
    {.label = "lease ", .from = "ID", .kind = CTL_K_LEASE},
    {.label = " keepalived with TTL(", .from = "TTL", .kind = CTL_K_I64},
    {.label = ")\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlKeepAliveJson[] = {
    CTL_HEADER_FLAT,
    {.label = "ID", .from = "ID", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    {.label = "TTL", .from = "TTL", .kind = CTL_K_I64, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlKeepAliveView = {
    .simple = ctlKeepAliveSimple, .json = ctlKeepAliveJson, .fields = ctlLeaseIdTtlFields};

int ctlCmdLeaseKeepAlive(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease keep-alive command needs lease ID as argument");
    }
    int64_t id = ctlLeaseFromArg(o->args[0]);
    ctlConnect(o);
    char err[512];
    bool transport = false;
    if (o->once)
    {
        json_t *res = ctlKeepAliveOnce(o, id, err, sizeof(err), &transport);
        if (res == NULL)
        {
            ctlFatal(CTL_EXIT_BAD_CONNECTION, "%s", err);
        }
        if (ctlJI64(res, "TTL") <= 0)
        {
            ctlFatal(CTL_EXIT_BAD_CONNECTION, "etcdserver: requested lease not found");
        }
        ctlPrint(o, &ctlKeepAliveView, NULL, res);
        json_decref(res);
        return 0;
    }
    ctlExitZeroOnStop();
    for (;;)
    {
        json_t *res = ctlKeepAliveOnce(o, id, err, sizeof(err), &transport);
        if (res == NULL)
        {
            if (!transport)
            {
                /* the server refused the stream: clientv3 closes the channel */
                break;
            }
            ctlSleepMs(500); /* unreachable: keep retrying like clientv3 */
            continue;
        }
        int64_t ttl = ctlJI64(res, "TTL");
        if (ttl <= 0)
        {
            json_decref(res);
            break;
        }
        ctlPrint(o, &ctlKeepAliveView, NULL, res);
        json_decref(res);
        int64_t next = ttl * 1000 / 3;
        ctlSleepMs(next < 500 ? 500 : next);
    }
    if (o->output == CTL_OUT_SIMPLE)
    {
        struct ctl_buf b = {0};
        ctlBufPuts(&b, "lease ");
        ctlFmtLeaseId(&b, id);
        ctlBufPuts(&b, " expired or revoked.\n");
        ctlBufFlush(&b);
        ctlBufFree(&b);
    }
    return 0;
}
