/* etcfsctl cluster commands: member add/remove/update/list/promote,
 * endpoint health/status (optionally over every member's client URLs with
 * --cluster) and move-leader, printed exactly like etcdctl 3.4 (member ids
 * in hex, tablewriter tables, humanized db sizes, Go durations). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_cluster.h"
#include "ctl.h"
#include "ctl_go.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"

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

/* ---- member ---- */

/* makeMemberListTable's status column */
static void ctlMemberStatus(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    (void)p;
    ctlBufPuts(b, ctlJStr(obj, "name")[0] ? "started" : "unstarted");
}

static const struct ctl_field ctlMemberColumns[] = {
    {.label = "ID", .from = "ID", .kind = CTL_K_HEX},
    {.label = "Status", .kind = CTL_K_CUSTOM, .custom = ctlMemberStatus},
    {.label = "Name", .from = "name", .kind = CTL_K_STR},
    {.label = "Peer Addrs", .from = "peerURLs", .kind = CTL_K_STRS, .text = ","},
    {.label = "Client Addrs", .from = "clientURLs", .kind = CTL_K_STRS, .text = ","},
    {.label = "Is Learner", .from = "isLearner", .kind = CTL_K_BOOL},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlMemberListJson[] = {
    CTL_HEADER_JSON,
    {.label = "members", .from = "members", .kind = CTL_K_MSGS, .sub = ctlMemberJson},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlMemberFields[] = {
    {.label = "ID", .from = "ID", .kind = CTL_K_U64},
    {.label = "Name", .from = "name", .kind = CTL_K_STR},
    {.label = "PeerURL", .from = "peerURLs", .kind = CTL_K_STRS},
    {.label = "ClientURL", .from = "clientURLs", .kind = CTL_K_STRS},
    {.label = "IsLearner", .from = "isLearner", .kind = CTL_K_BOOL},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlMemberListFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "", .from = "members", .kind = CTL_K_MSGS, .sub = ctlMemberFields},
    CTL_FIELDS_END,
};

static json_t *ctlMemberListBuild(const struct ctl_options *o)
{
    (void)o; /* member list takes no arguments (etcdctl ignores any) */
    return ctlJNewObj();
}

const struct ctl_unary ctlMemberList = {
    .request = {.path = "/v3/cluster/member/list", .idempotent = true, .fail_code = CTL_EXIT_ERROR},
    .build = ctlMemberListBuild,
    .view = {.json = ctlMemberListJson,
             .fields = ctlMemberListFields,
             .table = ctlMemberColumns,
             .rows = "members",
             .flags = CTL_VIEW_ROWS},
};

static json_t *ctlMemberAddBuild(const struct ctl_options *o)
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
    if (o->peer_urls[0] == '\0')
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member peer urls not provided");
    }
    json_t *req = ctlJNewObj();
    ctlJSet(req, "peerURLs", ctlSplitUrls(o->peer_urls));
    if (o->learner)
    {
        ctlJSetBool(req, "isLearner", true);
    }
    return req;
}

/* The environment of the new member, as etcdctl prints it after "added". */
static void ctlMemberAddEnv(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    const char *newName = p->o->args[0];
    uint64_t newId = ctlJU64(ctlJObj(obj, "member"), "ID");
    struct ctl_buf conf = {0};
    ctlBufAppend(&conf, "", 0);
    json_t *members = ctlJArr(obj, "members");
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
    ctlBufPuts(b, "ETCD_NAME=");
    ctlFmtGoQuote(b, newName, strlen(newName));
    ctlBufPuts(b, "\nETCD_INITIAL_CLUSTER=");
    ctlFmtGoQuote(b, conf.data, conf.len);
    ctlBufPuts(b, "\nETCD_INITIAL_ADVERTISE_PEER_URLS=");
    ctlFmtGoQuote(b, p->o->peer_urls, strlen(p->o->peer_urls));
    ctlBufPuts(b, "\nETCD_INITIAL_CLUSTER_STATE=\"existing\"\n");
    ctlBufFree(&conf);
}

static const struct ctl_field ctlMemberAddSimple[] = {
    {.label = "Member ", .from = "member.ID", .kind = CTL_K_HEX16},
    {.label = " added to cluster ", .from = "header.cluster_id", .kind = CTL_K_HEX16},
    {.label = "\n\n", .kind = CTL_K_TEXT},
    {.kind = CTL_K_CUSTOM, .custom = ctlMemberAddEnv},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlMemberAddJson[] = {
    CTL_HEADER_JSON,
    {.label = "member", .from = "member", .kind = CTL_K_MSG, .sub = ctlMemberJson},
    {.label = "members", .from = "members", .kind = CTL_K_MSGS, .sub = ctlMemberJson},
    CTL_FIELDS_END,
};

const struct ctl_unary ctlMemberAdd = {
    .request = {.path = "/v3/cluster/member/add", .fail_code = CTL_EXIT_ERROR},
    .build = ctlMemberAddBuild,
    .view = {.simple = ctlMemberAddSimple, .json = ctlMemberAddJson},
};

/* remove and promote: the member id */
static json_t *ctlMemberIdBuild(const struct ctl_options *o)
{
    if (o->arg_count != 1)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member ID is not provided");
    }
    json_t *req = ctlJNewObj();
    ctlJSetU64(req, "ID", ctlMemberIdFromArg(o->args[0]));
    return req;
}

static json_t *ctlMemberUpdateBuild(const struct ctl_options *o)
{
    json_t *req = ctlMemberIdBuild(o);
    if (o->peer_urls[0] == '\0')
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "member peer urls not provided");
    }
    ctlJSet(req, "peerURLs", ctlSplitUrls(o->peer_urls));
    return req;
}

/* "Member <id> <verb> cluster <cluster id>" */
#define CTL_MEMBER_CHANGED(verb)                                                              \
    {{.label = "Member ", .from = "ID", .kind = CTL_K_HEX16, .flags = CTL_F_REQ},            \
     {.label = " " verb " cluster ", .from = "header.cluster_id", .kind = CTL_K_HEX16},      \
     {.label = "\n", .kind = CTL_K_TEXT},                                                    \
     CTL_FIELDS_END}

static const struct ctl_field ctlMemberRemovedSimple[] = CTL_MEMBER_CHANGED("removed from");
static const struct ctl_field ctlMemberUpdatedSimple[] = CTL_MEMBER_CHANGED("updated in");
static const struct ctl_field ctlMemberPromotedSimple[] = CTL_MEMBER_CHANGED("promoted in");


const struct ctl_unary ctlMemberRemove = {
    .request = {.path = "/v3/cluster/member/remove", .fail_code = CTL_EXIT_ERROR},
    .build = ctlMemberIdBuild,
    .view = {.simple = ctlMemberRemovedSimple, .json = ctlMemberListJson},
};

const struct ctl_unary ctlMemberUpdate = {
    .request = {.path = "/v3/cluster/member/update", .fail_code = CTL_EXIT_ERROR},
    .build = ctlMemberUpdateBuild,
    .view = {.simple = ctlMemberUpdatedSimple, .json = ctlMemberListJson},
};

const struct ctl_unary ctlMemberPromote = {
    .request = {.path = "/v3/cluster/member/promote", .fail_code = CTL_EXIT_ERROR},
    .build = ctlMemberIdBuild,
    .view = {.simple = ctlMemberPromotedSimple, .json = ctlMemberListJson},
};

/* ---- endpoint ---- */

/* The endpoints to check: --endpoints, or every member's client URLs. */
static char **ctlEndpointList(const struct ctl_options *o, size_t *count)
{
    static const struct ctl_request memberList = {
        .path = "/v3/cluster/member/list",
        .idempotent = true,
        .fail_code = CTL_EXIT_ERROR,
        .fail_prefix = "failed to fetch endpoints from etcd cluster member list: ",
    };
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
    json_t *resp = ctlRequest(o, &memberList, NULL, 0, req);
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

/* ---- endpoint health ---- */

/* etcdctl's epHealth, one row per endpoint: {"endpoint", "health", "took",
 * "error" (only when unhealthy)} */
static void ctlHealthSentence(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    (void)p;
    if (ctlJBool(obj, "health"))
    {
        ctlBufPrintf(b, "%s is healthy: successfully committed proposal: took = %s\n",
                     ctlJStr(obj, "endpoint"), ctlJStr(obj, "took"));
    }
    else
    {
        ctlBufPrintf(b, "%s is unhealthy: failed to commit proposal: %s\n",
                     ctlJStr(obj, "endpoint"), ctlJStr(obj, "error"));
    }
}

static const struct ctl_field ctlHealthSimple[] = {
    {.kind = CTL_K_CUSTOM, .custom = ctlHealthSentence},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHealthJson[] = {
    {.label = "endpoint", .from = "endpoint", .kind = CTL_K_STR, .flags = CTL_F_ALWAYS},
    {.label = "health", .from = "health", .kind = CTL_K_BOOL, .flags = CTL_F_ALWAYS},
    {.label = "took", .from = "took", .kind = CTL_K_STR, .flags = CTL_F_ALWAYS},
    {.label = "error", .from = "error", .kind = CTL_K_STR},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHealthFields[] = {
    {.label = "Endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "Health", .from = "health", .kind = CTL_K_BOOL},
    {.label = "Took", .from = "took", .kind = CTL_K_STR, .flags = CTL_F_BARE},
    {.label = "Error", .from = "error", .kind = CTL_K_STR, .flags = CTL_F_BARE},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHealthColumns[] = {
    {.label = "endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "health", .from = "health", .kind = CTL_K_BOOL},
    {.label = "took", .from = "took", .kind = CTL_K_STR},
    {.label = "error", .from = "error", .kind = CTL_K_STR},
    CTL_FIELDS_END,
};

/* etcdctl writes the simple lines to stderr */
static const struct ctl_view ctlHealthView = {
    .simple = ctlHealthSimple,
    .json = ctlHealthJson,
    .fields = ctlHealthFields,
    .table = ctlHealthColumns,
    .flags = CTL_VIEW_STDERR,
};

/* etcdctl checks each endpoint with a client of its own, logged in there:
 * a failed login makes the endpoint unhealthy, with no time taken. */
int ctlCmdEndpointHealth(struct ctl_options *o)
{
    ctlCheckOutput(o);
    ctlCredentials(o);
    size_t n = 0;
    char **eps = ctlEndpointList(o, &n);
    json_t *rows = ctlJNewArr();
    bool errs = false;
    json_t *req = ctlJNewObj();
    ctlJSetBytes(req, "key", "health", 6);
    for (size_t i = 0; i < n; i++)
    {
        char err[512];
        if (ctlLogin(o, &eps[i], 1, err, sizeof(err)) != 0)
        {
            json_t *row = ctlJNewObj();
            ctlJSetStr(row, "endpoint", eps[i]);
            ctlJSetBool(row, "health", false);
            ctlJSetStr(row, "took", "");
            ctlJSetStr(row, "error", err);
            ctlJAppend(rows, row);
            errs = true;
            continue;
        }
        struct ctl_reply r;
        int64_t start = ctlNowNs();
        int rc = ctlCall(o, &eps[i], 1, "/v3/kv/range", req, true, o->command_timeout_ms, &r);
        int64_t took = ctlNowNs() - start;
        struct ctl_buf t = {0};
        ctlFmtDuration(&t, took);
        bool health = rc == 0 || strstr(r.error, "permission denied") != NULL;
        json_t *row = ctlJNewObj();
        ctlJSetStr(row, "endpoint", eps[i]);
        ctlJSetBool(row, "health", health);
        ctlJSetStr(row, "took", t.data);
        if (!health)
        {
            ctlJSetStr(row, "error", r.error);
            errs = true;
        }
        ctlJAppend(rows, row);
        ctlBufFree(&t);
        ctlReplyFree(&r);
    }
    json_decref(req);
    ctlPrint(o, &ctlHealthView, NULL, rows);
    json_decref(rows);
    ctlFreeStrings(eps, n);
    if (errs)
    {
        ctlFatal(CTL_EXIT_ERROR, "unhealthy cluster");
    }
    return 0;
}

/* ---- endpoint status ---- */

/* One row per endpoint that answered: {"endpoint", "status": the answer} */
static void ctlStatusIsLeader(struct ctl_buf *b, const struct ctl_print *p, const json_t *obj)
{
    (void)p;
    json_t *st = ctlJObj(obj, "status");
    bool leader = ctlJU64(st, "leader") == ctlJU64(ctlJObj(st, "header"), "member_id");
    ctlBufPuts(b, leader ? "true" : "false");
}

static const struct ctl_field ctlStatusColumns[] = {
    {.label = "endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "ID", .from = "status.header.member_id", .kind = CTL_K_HEX},
    {.label = "version", .from = "status.version", .kind = CTL_K_STR},
    {.label = "db size", .from = "status.dbSize", .kind = CTL_K_SIZE},
    {.label = "is leader", .kind = CTL_K_CUSTOM, .custom = ctlStatusIsLeader},
    {.label = "is learner", .from = "status.isLearner", .kind = CTL_K_BOOL},
    {.label = "raft term", .from = "status.raftTerm", .kind = CTL_K_U64},
    {.label = "raft index", .from = "status.raftIndex", .kind = CTL_K_U64},
    {.label = "raft applied index", .from = "status.raftAppliedIndex", .kind = CTL_K_U64},
    {.label = "errors", .from = "status.errors", .kind = CTL_K_STRS, .text = ", "},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlStatusRowJson[] = {
    {.label = "Endpoint", .from = "endpoint", .kind = CTL_K_STR, .flags = CTL_F_ALWAYS},
    {.label = "Status", .from = "status", .kind = CTL_K_MSG, .sub = ctlStatusJson,
     .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlStatusFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "Version", .from = "version", .kind = CTL_K_STR},
    {.label = "DBSize", .from = "dbSize", .kind = CTL_K_I64},
    {.label = "Leader", .from = "leader", .kind = CTL_K_U64},
    {.label = "IsLearner", .from = "isLearner", .kind = CTL_K_BOOL},
    {.label = "RaftIndex", .from = "raftIndex", .kind = CTL_K_U64},
    {.label = "RaftTerm", .from = "raftTerm", .kind = CTL_K_U64},
    {.label = "RaftAppliedIndex", .from = "raftAppliedIndex", .kind = CTL_K_U64},
    {.label = "Errors", .from = "errors", .kind = CTL_K_STRS, .flags = CTL_F_GOLIST},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlStatusRowFields[] = {
    {.label = "", .from = "status", .kind = CTL_K_MSG, .sub = ctlStatusFields,
     .flags = CTL_F_ALWAYS},
    {.label = "Endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlStatusView = {
    .json = ctlStatusRowJson,
    .fields = ctlStatusRowFields,
    .table = ctlStatusColumns,
    .flags = CTL_VIEW_ROWS,
};

/* {"endpoint": ep, "status": its answer}, or NULL with etcdctl's line on
 * stderr when it did not answer. */
static json_t *ctlStatusRow(struct ctl_options *o, char *ep, json_t *req)
{
    struct ctl_reply r;
    if (ctlCall(o, &ep, 1, "/v3/maintenance/status", req, true, o->command_timeout_ms, &r) != 0)
    {
        fflush(stdout);
        fprintf(stderr, "Failed to get the status of endpoint %s (%s)\n", ep, r.error);
        ctlReplyFree(&r);
        return NULL;
    }
    json_t *row = ctlJNewObj();
    ctlJSetStr(row, "endpoint", ep);
    ctlJSet(row, "status", r.json);
    r.json = NULL;
    ctlReplyFree(&r);
    return row;
}

/* etcfs's mirrors (--cluster), below the members' table: one row each,
 * {"endpoint", "name", "status": its answer} */
static const struct ctl_field ctlMirrorColumns[] = {
    {.label = "mirror", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "name", .from = "name", .kind = CTL_K_STR},
    {.label = "upstream", .from = "status.mirror.upstream", .kind = CTL_K_STR},
    {.label = "revision", .from = "status.header.revision", .kind = CTL_K_I64},
    {.label = "applied index", .from = "status.mirror.appliedIndex", .kind = CTL_K_U64},
    {.label = "lag", .from = "status.mirror.lag", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    {.label = "errors", .from = "status.errors", .kind = CTL_K_STRS, .text = ", "},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlMirrorView = {
    .json = ctlStatusRowJson,
    .fields = ctlStatusRowFields,
    .table = ctlMirrorColumns,
    .flags = CTL_VIEW_ROWS,
};

/* --cluster: the mirrors streaming from the members, then from those
 * mirrors, breadth first, through each answer's "mirrors" (by their first
 * client URL), into mrows. Returns whether one did not answer. */
static bool ctlStatusMirrors(struct ctl_options *o, json_t *rows, json_t *mrows, json_t *req)
{
    json_t *seen = ctlJNewObj();
    size_t nrows = json_array_size(rows);
    bool failed = false;
    for (size_t i = 0; i < nrows; i++)
    {
        json_object_set_new(seen, ctlJStr(json_array_get(rows, i), "endpoint"), json_true());
    }
    for (size_t i = 0; i < nrows + json_array_size(mrows); i++)
    {
        json_t *row = i < nrows ? json_array_get(rows, i) : json_array_get(mrows, i - nrows);
        json_t *list = ctlJArr(ctlJObj(row, "status"), "mirrors");
        for (size_t k = 0; list != NULL && k < json_array_size(list); k++)
        {
            json_t *m = json_array_get(list, k);
            const char *urls = ctlJStr(m, "clientURLs");
            if (urls[0] == '\0' || urls[0] == ',')
            {
                continue;
            }
            char *ep = ctlStrndup(urls, strcspn(urls, ","));
            if (json_object_get(seen, ep) != NULL)
            {
                free(ep);
                continue;
            }
            json_object_set_new(seen, ep, json_true());
            json_t *mrow = ctlStatusRow(o, ep, req);
            if (mrow == NULL)
            {
                failed = true;
            }
            else
            {
                ctlJSetStr(mrow, "name", ctlJStr(m, "name"));
                ctlJAppend(mrows, mrow);
            }
            free(ep);
        }
    }
    json_decref(seen);
    return failed;
}

int ctlCmdEndpointStatus(struct ctl_options *o)
{
    ctlConnect(o);
    size_t n = 0;
    char **eps = ctlEndpointList(o, &n);
    json_t *rows = ctlJNewArr();
    bool failed = false;
    json_t *req = ctlJNewObj();
    for (size_t i = 0; i < n; i++)
    {
        json_t *row = ctlStatusRow(o, eps[i], req);
        if (row == NULL)
        {
            failed = true;
            continue;
        }
        ctlJAppend(rows, row);
    }
    json_t *mrows = ctlJNewArr();
    if (o->cluster && ctlStatusMirrors(o, rows, mrows, req))
    {
        failed = true;
    }
    json_decref(req);
    if (o->output != CTL_OUT_SIMPLE && o->output != CTL_OUT_TABLE)
    {
        json_array_extend(rows, mrows); /* one document */
        json_array_clear(mrows);
    }
    ctlPrint(o, &ctlStatusView, NULL, rows);
    if (json_array_size(mrows) > 0)
    {
        ctlPrint(o, &ctlMirrorView, NULL, mrows);
    }
    json_decref(mrows);
    json_decref(rows);
    ctlFreeStrings(eps, n);
    return failed ? CTL_EXIT_ERROR : 0;
}

/* ---- endpoint hashkv ---- */

/* One row per endpoint that answered: {"endpoint", "hashkv": the answer}
 * (etcdctl ep_command.go epHashKVCommandFunc; the gateway's
 * /v3/maintenance/hashkv, as etcd 3.5's: 3.4's gateway routes
 * /v3/maintenance/hash to Hash only) */
static const struct ctl_field ctlHashKVJson[] = {
    CTL_HEADER_JSON,
    {.label = "hash", .from = "hash", .kind = CTL_K_U64},
    {.label = "compact_revision", .from = "compact_revision", .kind = CTL_K_I64},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHashKVColumns[] = {
    {.label = "endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "hash", .from = "hashkv.hash", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHashKVRowJson[] = {
    {.label = "Endpoint", .from = "endpoint", .kind = CTL_K_STR, .flags = CTL_F_ALWAYS},
    {.label = "HashKV", .from = "hashkv", .kind = CTL_K_MSG, .sub = ctlHashKVJson,
     .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHashKVFields[] = {
    CTL_HEADER_FIELDS,
    CTL_FIELDS_END,
};

static const struct ctl_field ctlHashKVRowFields[] = {
    {.label = "", .from = "hashkv", .kind = CTL_K_MSG, .sub = ctlHashKVFields,
     .flags = CTL_F_ALWAYS},
    {.label = "Endpoint", .from = "endpoint", .kind = CTL_K_STR},
    {.label = "Hash", .from = "hashkv.hash", .kind = CTL_K_U64, .flags = CTL_F_ALWAYS},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlHashKVView = {
    .json = ctlHashKVRowJson,
    .fields = ctlHashKVRowFields,
    .table = ctlHashKVColumns,
    .flags = CTL_VIEW_ROWS,
};

int ctlCmdEndpointHashKV(struct ctl_options *o)
{
    ctlConnect(o);
    size_t n = 0;
    char **eps = ctlEndpointList(o, &n);
    json_t *rows = ctlJNewArr();
    char *failed = NULL;
    json_t *req = ctlJNewObj();
    if (o->rev != 0)
    {
        ctlJSetI64(req, "revision", o->rev);
    }
    for (size_t i = 0; i < n; i++)
    {
        struct ctl_reply r;
        if (ctlCall(o, &eps[i], 1, "/v3/maintenance/hashkv", req, true, o->command_timeout_ms,
                    &r) != 0)
        {
            fflush(stdout);
            fprintf(stderr, "Failed to get the hash of endpoint %s (%s)\n", eps[i], r.error);
            free(failed);
            failed = strdup(r.error);
            ctlReplyFree(&r);
            continue;
        }
        json_t *row = ctlJNewObj();
        ctlJSetStr(row, "endpoint", eps[i]);
        ctlJSet(row, "hashkv", r.json);
        r.json = NULL;
        ctlJAppend(rows, row);
        ctlReplyFree(&r);
    }
    json_decref(req);
    ctlPrint(o, &ctlHashKVView, NULL, rows);
    json_decref(rows);
    ctlFreeStrings(eps, n);
    if (failed != NULL)
    {
        /* etcdctl: ExitWithError(ExitError, the last error) */
        ctlFatal(CTL_EXIT_ERROR, "%s", failed);
    }
    return 0;
}

/* ---- move-leader ---- */

static const struct ctl_field ctlMoveLeaderSimple[] = {
    {.label = "Leadership transferred from ", .from = "leader", .kind = CTL_K_HEX},
    {.label = " to ", .from = "targetID", .kind = CTL_K_HEX, .flags = CTL_F_REQ},
    {.label = "\n", .kind = CTL_K_TEXT},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlMoveLeaderView = {.simple = ctlMoveLeaderSimple,
                                                  .json = ctlHeaderOnlyJson};

int ctlCmdMoveLeader(struct ctl_options *o)
{
    static const struct ctl_request status = {
        .path = "/v3/maintenance/status", .idempotent = true, .fail_code = CTL_EXIT_ERROR};
    static const struct ctl_request transfer = {.path = "/v3/maintenance/transfer-leadership",
                                                .fail_code = CTL_EXIT_ERROR};
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
    ctlConnect(o);
    json_t *req = ctlJNewObj();
    char *leaderEp = NULL;
    uint64_t leaderId = 0;
    for (size_t i = 0; i < o->endpoint_count && leaderEp == NULL; i++)
    {
        json_t *st = ctlRequest(o, &status, &o->endpoints[i], 1, req);
        uint64_t member = ctlJU64(ctlJObj(st, "header"), "member_id");
        uint64_t leader = ctlJU64(st, "leader");
        if (member == leader)
        {
            leaderEp = o->endpoints[i];
            leaderId = leader;
        }
        json_decref(st);
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
    json_t *resp = ctlRequest(o, &transfer, &leaderEp, 1, req);
    /* what the printers read: the answer, and the member that was leader */
    ctlJSetU64(resp, "leader", leaderId);
    ctlPrint(o, &ctlMoveLeaderView, req, resp);
    json_decref(resp);
    json_decref(req);
    return 0;
}
