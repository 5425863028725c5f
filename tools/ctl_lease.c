/* etcfsctl lease commands: grant, revoke, timetolive, list and keep-alive
 * (one /v3/lease/keepalive stream per renewal, read up to its first result,
 * repeated every TTL/3 like clientv3). Outputs follow etcdctl 3.4: lease ids
 * in %016x, and -w json prints clientv3's structs (header fields flattened). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

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

/* {"cluster_id":..,...,<extra>} for clientv3 structs embedding the header */
static void ctlLeaseJsonOpen(struct ctl_buf *b, const json_t *resp, bool *first)
{
    ctlBufPutc(b, '{');
    *first = true;
    ctlJsonEmitFlatHeader(b, ctlJObj(resp, "header"), first);
}

static void ctlLeaseJsonKey(struct ctl_buf *b, bool *first, const char *key)
{
    if (!*first)
    {
        ctlBufPutc(b, ',');
    }
    *first = false;
    ctlBufPrintf(b, "\"%s\":", key);
}

int ctlCmdLeaseGrant(struct ctl_options *o)
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
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "TTL", ttl);
    json_t *resp = ctlCallOrDie(o, "/v3/lease/grant", req, false, CTL_EXIT_ERROR,
                                "failed to grant lease (", ")");
    const char *gerr = ctlJStr(resp, "error");
    int64_t id = ctlJI64(resp, "ID");
    int64_t rttl = ctlJI64(resp, "TTL");
    struct ctl_buf b = {0};
    bool first;
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, "lease ");
        ctlFmtLeaseId(&b, id);
        ctlBufPrintf(&b, " granted with TTL(%llds)\n", (long long)rttl);
        break;
    case CTL_OUT_JSON:
        ctlLeaseJsonOpen(&b, resp, &first);
        ctlLeaseJsonKey(&b, &first, "ID");
        ctlBufPrintf(&b, "%lld", (long long)id);
        ctlLeaseJsonKey(&b, &first, "TTL");
        ctlBufPrintf(&b, "%lld", (long long)rttl);
        ctlLeaseJsonKey(&b, &first, "Error");
        ctlJsonStr(&b, gerr, strlen(gerr));
        ctlBufPuts(&b, "}\n");
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
        ctlBufPrintf(&b, "\"ID\" : %lld\n\"TTL\" : %lld\n", (long long)id, (long long)rttl);
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

int ctlCmdLeaseRevoke(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease revoke command needs 1 argument");
    }
    int64_t id = ctlLeaseFromArg(o->args[0]);
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "ID", id);
    json_t *resp = ctlCallOrDie(o, "/v3/lease/revoke", req, false, CTL_EXIT_ERROR,
                                "failed to revoke lease (", ")");
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, "lease ");
        ctlFmtLeaseId(&b, id);
        ctlBufPuts(&b, " revoked\n");
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaHeaderOnly);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
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

int ctlCmdLeaseTimeToLive(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease timetolive command needs lease ID as argument");
    }
    int64_t id = ctlLeaseFromArg(o->args[0]);
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSetI64(req, "ID", id);
    if (o->keys)
    {
        ctlJSetBool(req, "keys", true);
    }
    json_t *resp = ctlCallOrDie(o, "/v3/lease/timetolive", req, true, CTL_EXIT_BAD_CONNECTION,
                                NULL, NULL);
    int64_t rid = ctlJI64(resp, "ID");
    int64_t ttl = ctlJI64(resp, "TTL");
    int64_t granted = ctlJI64(resp, "grantedTTL");
    json_t *keys = ctlJArr(resp, "keys");
    size_t nkeys = keys ? json_array_size(keys) : 0;
    struct ctl_buf b = {0};
    bool first;
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, "lease ");
        ctlFmtLeaseId(&b, rid);
        if (granted == 0 && ttl == -1)
        {
            ctlBufPuts(&b, " already expired\n");
            break;
        }
        ctlBufPrintf(&b, " granted with TTL(%llds), remaining(%llds)", (long long)granted,
                     (long long)ttl);
        if (o->keys)
        {
            ctlBufPuts(&b, ", attached keys([");
            for (size_t i = 0; i < nkeys; i++)
            {
                json_t *k = json_array_get(keys, i);
                char *data = NULL;
                size_t len = 0;
                if (!json_is_string(k) ||
                    ctlBase64Decode(json_string_value(k), json_string_length(k), &data, &len) != 0)
                {
                    ctlFatalResponse("field \"keys\"");
                }
                if (i > 0)
                {
                    ctlBufPutc(&b, ' ');
                }
                ctlBufAppend(&b, data, len);
                free(data);
            }
            ctlBufPuts(&b, "])");
        }
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_JSON:
        ctlLeaseJsonOpen(&b, resp, &first);
        ctlLeaseJsonKey(&b, &first, "id");
        ctlBufPrintf(&b, "%lld", (long long)rid);
        ctlLeaseJsonKey(&b, &first, "ttl");
        ctlBufPrintf(&b, "%lld", (long long)ttl);
        ctlLeaseJsonKey(&b, &first, "granted-ttl");
        ctlBufPrintf(&b, "%lld", (long long)granted);
        ctlLeaseJsonKey(&b, &first, "keys");
        if (nkeys == 0)
        {
            ctlBufPuts(&b, "null");
        }
        else
        {
            ctlBufPutc(&b, '[');
            for (size_t i = 0; i < nkeys; i++)
            {
                json_t *k = json_array_get(keys, i);
                char *data = NULL;
                size_t len = 0;
                if (!json_is_string(k) ||
                    ctlBase64Decode(json_string_value(k), json_string_length(k), &data, &len) != 0)
                {
                    ctlFatalResponse("field \"keys\"");
                }
                char *enc = ctlBase64Encode(data, len);
                ctlBufPrintf(&b, "%s\"%s\"", i > 0 ? "," : "", enc);
                free(enc);
                free(data);
            }
            ctlBufPutc(&b, ']');
        }
        ctlBufPuts(&b, "}\n");
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
        ctlBufPrintf(&b, "\"ID\" : %lld\n\"TTL\" : %lld\n\"GrantedTTL\" : %lld\n", (long long)rid,
                     (long long)ttl, (long long)granted);
        for (size_t i = 0; i < nkeys; i++)
        {
            json_t *k = json_array_get(keys, i);
            char *data = NULL;
            size_t len = 0;
            if (!json_is_string(k) ||
                ctlBase64Decode(json_string_value(k), json_string_length(k), &data, &len) != 0)
            {
                ctlFatalResponse("field \"keys\"");
            }
            ctlBufPuts(&b, "\"Key\" : ");
            ctlFmtGoQuote(&b, data, len);
            ctlBufPutc(&b, '\n');
            free(data);
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

int ctlCmdLeaseList(struct ctl_options *o)
{
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    json_t *resp = ctlCallOrDie(o, "/v3/lease/leases", req, true, CTL_EXIT_BAD_CONNECTION, NULL,
                                NULL);
    json_t *leases = ctlJArr(resp, "leases");
    size_t n = leases ? json_array_size(leases) : 0;
    struct ctl_buf b = {0};
    bool first;
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPrintf(&b, "found %zu leases\n", n);
        for (size_t i = 0; i < n; i++)
        {
            ctlFmtLeaseId(&b, ctlJI64(json_array_get(leases, i), "ID"));
            ctlBufPutc(&b, '\n');
        }
        break;
    case CTL_OUT_JSON:
        ctlLeaseJsonOpen(&b, resp, &first);
        ctlLeaseJsonKey(&b, &first, "leases");
        ctlBufPutc(&b, '[');
        for (size_t i = 0; i < n; i++)
        {
            ctlBufPrintf(&b, "%s{\"id\":%lld}", i > 0 ? "," : "",
                         (long long)ctlJI64(json_array_get(leases, i), "ID"));
        }
        ctlBufPuts(&b, "]}\n");
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
        for (size_t i = 0; i < n; i++)
        {
            ctlBufPrintf(&b, "\"ID\" : %lld\n",
                         (long long)ctlJI64(json_array_get(leases, i), "ID"));
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

/* ---- keep-alive ---- */

struct ctl_keepalive
{
    json_t *result; /* the first result object */
    char error[512];
};

static int ctlKeepAliveLine(void *ud, const char *line, size_t len)
{
    struct ctl_keepalive *ka = ud;
    json_t *j = ctlJsonParse(line, len);
    if (j == NULL)
    {
        snprintf(ka->error, sizeof(ka->error), "invalid response from server (malformed JSON)");
        return 1;
    }
    json_t *err = ctlJObj(j, "error");
    if (err != NULL)
    {
        snprintf(ka->error, sizeof(ka->error), "%s", ctlJStr(err, "message"));
        json_decref(j);
        return 1;
    }
    json_t *res = ctlJObj(j, "result");
    if (res == NULL)
    {
        json_decref(j);
        return 0;
    }
    ka->result = json_incref(res);
    json_decref(j);
    return 1;
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

static void ctlKeepAlivePrint(const struct ctl_options *o, const json_t *res)
{
    struct ctl_buf b = {0};
    bool first;
    int64_t id = ctlJI64(res, "ID");
    int64_t ttl = ctlJI64(res, "TTL");
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, "lease ");
        ctlFmtLeaseId(&b, id);
        ctlBufPrintf(&b, " keepalived with TTL(%lld)\n", (long long)ttl);
        break;
    case CTL_OUT_JSON:
        ctlLeaseJsonOpen(&b, res, &first);
        ctlLeaseJsonKey(&b, &first, "ID");
        ctlBufPrintf(&b, "%lld", (long long)id);
        ctlLeaseJsonKey(&b, &first, "TTL");
        ctlBufPrintf(&b, "%lld", (long long)ttl);
        ctlBufPuts(&b, "}\n");
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(res, "header"));
        ctlBufPrintf(&b, "\"ID\" : %lld\n\"TTL\" : %lld\n", (long long)id, (long long)ttl);
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
}

static void ctlLeaseOnSignal(int sig)
{
    (void)sig;
    _exit(0);
}

static void ctlSleepMs(int64_t ms)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0)
    {
    }
}

int ctlCmdLeaseKeepAlive(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "lease keep-alive command needs lease ID as argument");
    }
    int64_t id = ctlLeaseFromArg(o->args[0]);
    ctlCheckOutput(o);
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
        ctlKeepAlivePrint(o, res);
        json_decref(res);
        return 0;
    }
    signal(SIGINT, ctlLeaseOnSignal);
    signal(SIGTERM, ctlLeaseOnSignal);
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
        ctlKeepAlivePrint(o, res);
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
