/* etcfsctl cluster commands: member add/remove/update/list/promote,
 * endpoint health/status (optionally over every member's client URLs with
 * --cluster) and move-leader, printed exactly like etcdctl 3.4 (member ids
 * in hex, tablewriter tables, humanized db sizes, Go durations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static uint64_t ctlMemberIdFromArg(const char *arg)
{
    uint64_t id = 0;
    char err[256];
    if (ctlParseUint64(arg, 16, &id, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad member ID arg (%s), expecting ID in Hex", err);
    }
    return id;
}

static json_t *ctlSplitUrls(const char *list)
{
    json_t *arr = ctlJNewArr();
    const char *start = list;
    for (const char *p = list;; p++)
    {
        if (*p == ',' || *p == '\0')
        {
            json_t *s = json_stringn(start, (size_t)(p - start));
            ctlJAppend(arr, s);
            start = p + 1;
            if (*p == '\0')
            {
                break;
            }
        }
    }
    return arr;
}

static void ctlJoinStrings(struct ctl_buf *b, const json_t *arr, const char *sep)
{
    for (size_t i = 0; arr != NULL && i < json_array_size(arr); i++)
    {
        json_t *s = json_array_get(arr, i);
        if (!json_is_string(s))
        {
            ctlFatalResponse("URL list");
        }
        if (i > 0)
        {
            ctlBufPuts(b, sep);
        }
        ctlBufAppend(b, json_string_value(s), json_string_length(s));
    }
}

/* ---- member ---- */

/* makeMemberListTable: cells are malloc'd, 6 per member. */
static char **ctlMemberRows(const json_t *members, size_t *rows)
{
    size_t n = members ? json_array_size(members) : 0;
    char **cells = ctlMalloc((n * 6 + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
    {
        json_t *m = json_array_get(members, i);
        if (!json_is_object(m))
        {
            ctlFatalResponse("members");
        }
        struct ctl_buf b = {0};
        const char *name = ctlJStr(m, "name");
        ctlBufPrintf(&b, "%llx", (unsigned long long)ctlJU64(m, "ID"));
        cells[i * 6] = b.data;
        cells[i * 6 + 1] = ctlStrdup(name[0] ? "started" : "unstarted");
        cells[i * 6 + 2] = ctlStrdup(name);
        b = (struct ctl_buf){0};
        ctlBufAppend(&b, "", 0);
        ctlJoinStrings(&b, ctlJArr(m, "peerURLs"), ",");
        cells[i * 6 + 3] = b.data;
        b = (struct ctl_buf){0};
        ctlBufAppend(&b, "", 0);
        ctlJoinStrings(&b, ctlJArr(m, "clientURLs"), ",");
        cells[i * 6 + 4] = b.data;
        cells[i * 6 + 5] = ctlStrdup(ctlJBool(m, "isLearner") ? "true" : "false");
    }
    *rows = n;
    return cells;
}

static void ctlFreeCells(char **cells, size_t n)
{
    for (size_t i = 0; i < n; i++)
    {
        free(cells[i]);
    }
    free(cells);
}

int ctlCmdMemberList(struct ctl_options *o)
{
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    json_t *resp = ctlCallOrDie(o, "/v3/cluster/member/list", req, true, CTL_EXIT_ERROR, NULL,
                                NULL);
    json_t *members = ctlJArr(resp, "members");
    struct ctl_buf b = {0};
    size_t rows = 0;
    char **cells = NULL;
    static const char *const hdr[] = {"ID",         "Status",       "Name",
                                      "Peer Addrs", "Client Addrs", "Is Learner"};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        cells = ctlMemberRows(members, &rows);
        for (size_t r = 0; r < rows; r++)
        {
            for (size_t c = 0; c < 6; c++)
            {
                ctlBufPuts(&b, cells[r * 6 + c]);
                ctlBufPuts(&b, c < 5 ? ", " : "\n");
            }
        }
        ctlFreeCells(cells, rows * 6);
        break;
    case CTL_OUT_TABLE:
        cells = ctlMemberRows(members, &rows);
        ctlTableRender(&b, hdr, 6, cells, rows);
        ctlFreeCells(cells, rows * 6);
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaMemberList);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_FIELDS:
        ctlFieldsHeader(&b, ctlJObj(resp, "header"));
        for (size_t i = 0; members != NULL && i < json_array_size(members); i++)
        {
            json_t *m = json_array_get(members, i);
            const char *name = ctlJStr(m, "name");
            ctlBufPrintf(&b, "\"ID\" : %llu\n\"Name\" : ", (unsigned long long)ctlJU64(m, "ID"));
            ctlFmtGoQuote(&b, name, strlen(name));
            ctlBufPutc(&b, '\n');
            static const char *const lists[2][2] = {{"peerURLs", "PeerURL"},
                                                    {"clientURLs", "ClientURL"}};
            for (size_t l = 0; l < 2; l++)
            {
                json_t *arr = ctlJArr(m, lists[l][0]);
                for (size_t k = 0; arr != NULL && k < json_array_size(arr); k++)
                {
                    json_t *u = json_array_get(arr, k);
                    if (!json_is_string(u))
                    {
                        ctlFatalResponse("URL list");
                    }
                    ctlBufPrintf(&b, "\"%s\" : ", lists[l][1]);
                    ctlFmtGoQuote(&b, json_string_value(u), json_string_length(u));
                    ctlBufPutc(&b, '\n');
                }
            }
            ctlBufPrintf(&b, "\"IsLearner\" : %s\n\n", ctlJBool(m, "isLearner") ? "true" : "false");
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

int ctlCmdMemberAdd(struct ctl_options *o)
{
    if (o->arg_count < 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member name not provided");
    }
    if (o->arg_count > 1)
    {
        struct ctl_buf ev = {0};
        ctlBufPuts(&ev, "too many arguments");
        for (size_t i = 0; i < o->arg_count; i++)
        {
            if (strncasecmp(o->args[i], "http", 4) == 0)
            {
                ctlBufPrintf(&ev, ", did you mean --peer-urls=%s", o->args[i]);
            }
        }
        ctlFatal(CTL_EXIT_BAD_ARGS, "%s", ev.data);
    }
    const char *newName = o->args[0];
    if (o->peer_urls[0] == '\0')
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member peer urls not provided");
    }
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSet(req, "peerURLs", ctlSplitUrls(o->peer_urls));
    if (o->learner)
    {
        ctlJSetBool(req, "isLearner", true);
    }
    json_t *resp = ctlCallOrDie(o, "/v3/cluster/member/add", req, false, CTL_EXIT_ERROR, NULL,
                                NULL);
    json_t *member = ctlJObj(resp, "member");
    uint64_t newId = ctlJU64(member, "ID");
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
    {
        ctlBufPuts(&b, "Member ");
        ctlFmtHexWidth(&b, newId, 16);
        ctlBufPuts(&b, " added to cluster ");
        ctlFmtHexWidth(&b, ctlJU64(ctlJObj(resp, "header"), "cluster_id"), 16);
        ctlBufPuts(&b, "\n\n");
        struct ctl_buf conf = {0};
        ctlBufAppend(&conf, "", 0);
        json_t *members = ctlJArr(resp, "members");
        bool first = true;
        for (size_t i = 0; members != NULL && i < json_array_size(members); i++)
        {
            json_t *m = json_array_get(members, i);
            const char *n = ctlJU64(m, "ID") == newId ? newName : ctlJStr(m, "name");
            json_t *urls = ctlJArr(m, "peerURLs");
            for (size_t k = 0; urls != NULL && k < json_array_size(urls); k++)
            {
                json_t *u = json_array_get(urls, k);
                if (!json_is_string(u))
                {
                    ctlFatalResponse("peerURLs");
                }
                ctlBufPrintf(&conf, "%s%s=%s", first ? "" : ",", n, json_string_value(u));
                first = false;
            }
        }
        ctlBufPuts(&b, "ETCD_NAME=");
        ctlFmtGoQuote(&b, newName, strlen(newName));
        ctlBufPuts(&b, "\nETCD_INITIAL_CLUSTER=");
        ctlFmtGoQuote(&b, conf.data, conf.len);
        ctlBufPuts(&b, "\nETCD_INITIAL_ADVERTISE_PEER_URLS=");
        ctlFmtGoQuote(&b, o->peer_urls, strlen(o->peer_urls));
        ctlBufPuts(&b, "\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n");
        ctlBufFree(&conf);
        break;
    }
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaMemberAdd);
        ctlBufPutc(&b, '\n');
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

/* remove / update / promote share their shape */
static int ctlMemberChange(struct ctl_options *o, const char *path, const char *verb,
                           bool needUrls)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member ID is not provided");
    }
    uint64_t id = ctlMemberIdFromArg(o->args[0]);
    if (needUrls && o->peer_urls[0] == '\0')
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member peer urls not provided");
    }
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    ctlJSetU64(req, "ID", id);
    if (needUrls)
    {
        ctlJSet(req, "peerURLs", ctlSplitUrls(o->peer_urls));
    }
    json_t *resp = ctlCallOrDie(o, path, req, false, CTL_EXIT_ERROR, NULL, NULL);
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPuts(&b, "Member ");
        ctlFmtHexWidth(&b, id, 16);
        ctlBufPrintf(&b, " %s cluster ", verb);
        ctlFmtHexWidth(&b, ctlJU64(ctlJObj(resp, "header"), "cluster_id"), 16);
        ctlBufPutc(&b, '\n');
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, resp, &ctlSchemaMemberList);
        ctlBufPutc(&b, '\n');
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

int ctlCmdMemberRemove(struct ctl_options *o)
{
    return ctlMemberChange(o, "/v3/cluster/member/remove", "removed from", false);
}

int ctlCmdMemberUpdate(struct ctl_options *o)
{
    return ctlMemberChange(o, "/v3/cluster/member/update", "updated in", true);
}

int ctlCmdMemberPromote(struct ctl_options *o)
{
    return ctlMemberChange(o, "/v3/cluster/member/promote", "promoted in", false);
}

/* ---- endpoint ---- */

/* The endpoints to check: --endpoints, or every member's client URLs. */
static char **ctlEndpointList(const struct ctl_options *o, size_t *count)
{
    char **eps;
    if (!o->cluster)
    {
        eps = ctlMalloc((o->endpoint_count + 1) * sizeof(char *));
        for (size_t i = 0; i < o->endpoint_count; i++)
        {
            eps[i] = ctlStrdup(o->endpoints[i]);
        }
        *count = o->endpoint_count;
        return eps;
    }
    json_t *req = ctlJNewObj();
    json_t *resp = ctlCallOrDie(o, "/v3/cluster/member/list", req, true, CTL_EXIT_ERROR,
                                "failed to fetch endpoints from etcd cluster member list: ", NULL);
    json_t *members = ctlJArr(resp, "members");
    size_t n = 0;
    eps = ctlMalloc(sizeof(char *));
    for (size_t i = 0; members != NULL && i < json_array_size(members); i++)
    {
        json_t *urls = ctlJArr(json_array_get(members, i), "clientURLs");
        for (size_t k = 0; urls != NULL && k < json_array_size(urls); k++)
        {
            json_t *u = json_array_get(urls, k);
            if (!json_is_string(u))
            {
                ctlFatalResponse("clientURLs");
            }
            eps = ctlRealloc(eps, (n + 2) * sizeof(char *));
            eps[n++] = ctlStrdup(json_string_value(u));
        }
    }
    json_decref(req);
    json_decref(resp);
    *count = n;
    return eps;
}

struct ctl_ep_health
{
    char *ep;
    bool health;
    char *took;
    char *error; /* NULL when healthy */
};

int ctlCmdEndpointHealth(struct ctl_options *o)
{
    ctlCheckOutput(o);
    size_t n = 0;
    char **eps = ctlEndpointList(o, &n);
    struct ctl_ep_health *hs = ctlMalloc((n + 1) * sizeof(*hs));
    bool errs = false;
    json_t *req = ctlJNewObj();
    ctlJSetBytes(req, "key", "health", 6);
    for (size_t i = 0; i < n; i++)
    {
        struct ctl_reply r;
        int64_t start = ctlNowNs();
        int rc = ctlCall(o, &eps[i], 1, "/v3/kv/range", req, true, o->command_timeout_ms, &r);
        int64_t took = ctlNowNs() - start;
        struct ctl_buf t = {0};
        ctlFmtDuration(&t, took);
        hs[i].ep = eps[i];
        hs[i].took = t.data;
        hs[i].health = rc == 0 || strstr(r.error, "permission denied") != NULL;
        hs[i].error = hs[i].health ? NULL : ctlStrdup(r.error);
        if (!hs[i].health)
        {
            errs = true;
        }
        ctlReplyFree(&r);
    }
    json_decref(req);
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        fflush(stdout);
        for (size_t i = 0; i < n; i++)
        {
            if (hs[i].error == NULL)
            {
                fprintf(stderr, "%s is healthy: successfully committed proposal: took = %s\n",
                        hs[i].ep, hs[i].took);
            }
            else
            {
                fprintf(stderr, "%s is unhealthy: failed to commit proposal: %s\n", hs[i].ep,
                        hs[i].error);
            }
        }
        break;
    case CTL_OUT_JSON:
        ctlBufPutc(&b, '[');
        for (size_t i = 0; i < n; i++)
        {
            ctlBufPuts(&b, i > 0 ? ",{\"endpoint\":" : "{\"endpoint\":");
            ctlJsonStr(&b, hs[i].ep, strlen(hs[i].ep));
            ctlBufPrintf(&b, ",\"health\":%s,\"took\":", hs[i].health ? "true" : "false");
            ctlJsonStr(&b, hs[i].took, strlen(hs[i].took));
            if (hs[i].error != NULL && hs[i].error[0] != '\0')
            {
                ctlBufPuts(&b, ",\"error\":");
                ctlJsonStr(&b, hs[i].error, strlen(hs[i].error));
            }
            ctlBufPutc(&b, '}');
        }
        ctlBufPuts(&b, "]\n");
        break;
    case CTL_OUT_TABLE:
    {
        static const char *const hdr[] = {"endpoint", "health", "took", "error"};
        char **cells = ctlMalloc((n * 4 + 1) * sizeof(char *));
        for (size_t i = 0; i < n; i++)
        {
            cells[i * 4] = ctlStrdup(hs[i].ep);
            cells[i * 4 + 1] = ctlStrdup(hs[i].health ? "true" : "false");
            cells[i * 4 + 2] = ctlStrdup(hs[i].took);
            cells[i * 4 + 3] = ctlStrdup(hs[i].error ? hs[i].error : "");
        }
        ctlTableRender(&b, hdr, 4, cells, n);
        ctlFreeCells(cells, n * 4);
        break;
    }
    case CTL_OUT_FIELDS:
        for (size_t i = 0; i < n; i++)
        {
            ctlBufPuts(&b, "\"Endpoint\" : ");
            ctlFmtGoQuote(&b, hs[i].ep, strlen(hs[i].ep));
            ctlBufPrintf(&b, "\n\"Health\" : %s\n\"Took\" : %s\n\"Error\" : %s\n\n",
                         hs[i].health ? "true" : "false", hs[i].took,
                         hs[i].error ? hs[i].error : "");
        }
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    for (size_t i = 0; i < n; i++)
    {
        free(hs[i].ep);
        free(hs[i].took);
        free(hs[i].error);
    }
    free(hs);
    free(eps);
    if (errs)
    {
        ctlFatal(CTL_EXIT_ERROR, "unhealthy cluster");
    }
    return 0;
}

static void ctlStatusRow(char **cells, const char *ep, const json_t *st)
{
    json_t *hdr = ctlJObj(st, "header");
    uint64_t member = ctlJU64(hdr, "member_id");
    struct ctl_buf b = {0};
    cells[0] = ctlStrdup(ep);
    ctlBufPrintf(&b, "%llx", (unsigned long long)member);
    cells[1] = b.data;
    cells[2] = ctlStrdup(ctlJStr(st, "version"));
    b = (struct ctl_buf){0};
    ctlFmtHumanBytes(&b, (uint64_t)ctlJI64(st, "dbSize"));
    cells[3] = b.data;
    cells[4] = ctlStrdup(ctlJU64(st, "leader") == member ? "true" : "false");
    cells[5] = ctlStrdup(ctlJBool(st, "isLearner") ? "true" : "false");
    b = (struct ctl_buf){0};
    ctlBufPrintf(&b, "%llu", (unsigned long long)ctlJU64(st, "raftTerm"));
    cells[6] = b.data;
    b = (struct ctl_buf){0};
    ctlBufPrintf(&b, "%llu", (unsigned long long)ctlJU64(st, "raftIndex"));
    cells[7] = b.data;
    b = (struct ctl_buf){0};
    ctlBufPrintf(&b, "%llu", (unsigned long long)ctlJU64(st, "raftAppliedIndex"));
    cells[8] = b.data;
    b = (struct ctl_buf){0};
    ctlBufAppend(&b, "", 0);
    ctlJoinStrings(&b, ctlJArr(st, "errors"), ", ");
    cells[9] = b.data;
}

int ctlCmdEndpointStatus(struct ctl_options *o)
{
    ctlCheckOutput(o);
    size_t n = 0;
    char **eps = ctlEndpointList(o, &n);
    json_t **st = ctlMalloc((n + 1) * sizeof(json_t *));
    char **stEp = ctlMalloc((n + 1) * sizeof(char *));
    size_t ok = 0;
    bool failed = false;
    json_t *req = ctlJNewObj();
    for (size_t i = 0; i < n; i++)
    {
        struct ctl_reply r;
        if (ctlCall(o, &eps[i], 1, "/v3/maintenance/status", req, true, o->command_timeout_ms,
                    &r) != 0)
        {
            fflush(stdout);
            fprintf(stderr, "Failed to get the status of endpoint %s (%s)\n", eps[i], r.error);
            failed = true;
            ctlReplyFree(&r);
            continue;
        }
        stEp[ok] = eps[i];
        st[ok++] = r.json;
        r.json = NULL;
        ctlReplyFree(&r);
    }
    json_decref(req);
    struct ctl_buf b = {0};
    static const char *const hdr[] = {"endpoint",   "ID",        "version",    "db size",
                                      "is leader",  "is learner", "raft term", "raft index",
                                      "raft applied index", "errors"};
    char **cells = NULL;
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
    case CTL_OUT_TABLE:
        cells = ctlMalloc((ok * 10 + 1) * sizeof(char *));
        for (size_t i = 0; i < ok; i++)
        {
            ctlStatusRow(cells + i * 10, stEp[i], st[i]);
        }
        if (o->output == CTL_OUT_TABLE)
        {
            ctlTableRender(&b, hdr, 10, cells, ok);
        }
        else
        {
            for (size_t i = 0; i < ok; i++)
            {
                for (size_t c = 0; c < 10; c++)
                {
                    ctlBufPuts(&b, cells[i * 10 + c]);
                    ctlBufPuts(&b, c < 9 ? ", " : "\n");
                }
            }
        }
        ctlFreeCells(cells, ok * 10);
        break;
    case CTL_OUT_JSON:
        ctlBufPutc(&b, '[');
        for (size_t i = 0; i < ok; i++)
        {
            ctlBufPuts(&b, i > 0 ? ",{\"Endpoint\":" : "{\"Endpoint\":");
            ctlJsonStr(&b, stEp[i], strlen(stEp[i]));
            ctlBufPuts(&b, ",\"Status\":");
            ctlJsonEmit(&b, st[i], &ctlSchemaStatus);
            ctlBufPutc(&b, '}');
        }
        ctlBufPuts(&b, "]\n");
        break;
    case CTL_OUT_FIELDS:
        for (size_t i = 0; i < ok; i++)
        {
            ctlFieldsHeader(&b, ctlJObj(st[i], "header"));
            const char *version = ctlJStr(st[i], "version");
            ctlBufPuts(&b, "\"Version\" : ");
            ctlFmtGoQuote(&b, version, strlen(version));
            ctlBufPrintf(&b, "\n\"DBSize\" : %lld\n", (long long)ctlJI64(st[i], "dbSize"));
            ctlBufPrintf(&b, "\"Leader\" : %llu\n", (unsigned long long)ctlJU64(st[i], "leader"));
            ctlBufPrintf(&b, "\"IsLearner\" : %s\n", ctlJBool(st[i], "isLearner") ? "true" : "false");
            ctlBufPrintf(&b, "\"RaftIndex\" : %llu\n",
                         (unsigned long long)ctlJU64(st[i], "raftIndex"));
            ctlBufPrintf(&b, "\"RaftTerm\" : %llu\n", (unsigned long long)ctlJU64(st[i], "raftTerm"));
            ctlBufPrintf(&b, "\"RaftAppliedIndex\" : %llu\n",
                         (unsigned long long)ctlJU64(st[i], "raftAppliedIndex"));
            ctlBufPuts(&b, "\"Errors\" : [");
            ctlJoinStrings(&b, ctlJArr(st[i], "errors"), " ");
            ctlBufPuts(&b, "]\n\"Endpoint\" : ");
            ctlFmtGoQuote(&b, stEp[i], strlen(stEp[i]));
            ctlBufPuts(&b, "\n\n");
        }
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    for (size_t i = 0; i < ok; i++)
    {
        json_decref(st[i]);
    }
    for (size_t i = 0; i < n; i++)
    {
        free(eps[i]);
    }
    free(eps);
    free(st);
    free(stEp);
    return failed ? CTL_EXIT_ERROR : 0;
}

/* ---- move-leader ---- */

int ctlCmdMoveLeader(struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "move-leader command needs 1 argument");
    }
    uint64_t target = 0;
    char err[256];
    if (ctlParseUint64(o->args[0], 16, &target, err, sizeof(err)) != 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "%s", err);
    }
    ctlCheckOutput(o);
    json_t *req = ctlJNewObj();
    char *leaderEp = NULL;
    uint64_t leaderId = 0;
    for (size_t i = 0; i < o->endpoint_count && leaderEp == NULL; i++)
    {
        struct ctl_reply r;
        if (ctlCall(o, &o->endpoints[i], 1, "/v3/maintenance/status", req, true,
                    o->command_timeout_ms, &r) != 0)
        {
            ctlFatal(CTL_EXIT_ERROR, "%s", r.error);
        }
        uint64_t member = ctlJU64(ctlJObj(r.json, "header"), "member_id");
        uint64_t leader = ctlJU64(r.json, "leader");
        if (member == leader)
        {
            leaderEp = o->endpoints[i];
            leaderId = leader;
        }
        ctlReplyFree(&r);
    }
    json_decref(req);
    if (leaderEp == NULL)
    {
        struct ctl_buf l = {0};
        ctlBufPutc(&l, '[');
        for (size_t i = 0; i < o->endpoint_count; i++)
        {
            ctlBufPrintf(&l, "%s%s", i > 0 ? " " : "", o->endpoints[i]);
        }
        ctlBufPutc(&l, ']');
        ctlFatal(CTL_EXIT_BAD_ARGS, "no leader endpoint given at %s", l.data);
    }
    req = ctlJNewObj();
    ctlJSetU64(req, "targetID", target);
    struct ctl_reply r;
    if (ctlCall(o, &leaderEp, 1, "/v3/maintenance/transfer-leadership", req, false,
                o->command_timeout_ms, &r) != 0)
    {
        ctlFatal(CTL_EXIT_ERROR, "%s", r.error);
    }
    struct ctl_buf b = {0};
    switch (o->output)
    {
    case CTL_OUT_SIMPLE:
        ctlBufPrintf(&b, "Leadership transferred from %llx to %llx\n",
                     (unsigned long long)leaderId, (unsigned long long)target);
        break;
    case CTL_OUT_JSON:
        ctlJsonEmit(&b, r.json, &ctlSchemaHeaderOnly);
        ctlBufPutc(&b, '\n');
        break;
    default:
        ctlUnsupportedOutput(o);
    }
    ctlBufFlush(&b);
    ctlBufFree(&b);
    ctlReplyFree(&r);
    json_decref(req);
    return 0;
}
