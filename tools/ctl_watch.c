/* etcfsctl watch: one POST /v3/watch stream per watch, its newline-delimited
 * results printed as they arrive (flushed per response), like etcdctl 3.4's
 * watch (simple/json/fields printers, "watch was canceled (...)" then exit 5
 * on a server cancel, optional exec command per event after "--"). A stream
 * the server closes is resumed on the next endpoint from the next revision.
 * watch -i reads "watch ..." lines from stdin and runs the watches side by
 * side on one curl multi handle. SIGINT/SIGTERM end it with exit code 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl_watch.h"
#include "ctl.h"
#include "ctl_flags.h"
#include "ctl_go.h"
#include "ctl_http.h"
#include "ctl_json.h"
#include "ctl_request.h"
#include "ctl_kv.h"
#include "ctl_schema.h"
#include "ctl_util.h"
#include "ctl_view.h"
#include "etcfsctl.h"

#define CTL_WATCH_MAX 256

struct ctl_watch
{
    const struct ctl_options *o; /* output settings */
    struct ctl_stream stream;
    char *key;
    size_t key_len;
    char *end;
    size_t end_len;
    int64_t start_rev;
    int64_t next_rev;
    bool prev_kv;
    char **exec; /* NULL-terminated, or NULL */
    bool canceled;
    bool got_created;  /* since the last (re)connect */
    bool ever_created; /* the watch ran at some point */
    int64_t lost_at;   /* when the last healthy stream ended (ns) */
    char last_error[512]; /* error line of the last stream, if any */
    size_t quick_fails;
};

static char *ctlWatchBody(const struct ctl_watch *w)
{
    json_t *req = ctlJNewObj();
    json_t *create = ctlJNewObj();
    ctlJSetBytes(create, "key", w->key, w->key_len);
    if (w->end != NULL && w->end_len > 0)
    {
        ctlJSetBytes(create, "range_end", w->end, w->end_len);
    }
    int64_t rev = w->next_rev > 0 ? w->next_rev : w->start_rev;
    if (rev != 0)
    {
        ctlJSetI64(create, "start_revision", rev);
    }
    if (w->prev_kv)
    {
        ctlJSetBool(create, "prev_kv", true);
    }
    ctlJSet(req, "create_request", create);
    char *body = ctlJDump(req);
    json_decref(req);
    return body;
}

/* Runs the exec command once per event (etcdctl's printWatchCh). */
static void ctlWatchExec(const struct ctl_watch *w, const json_t *res)
{
    json_t *events = ctlJArr(res, "events");
    int64_t rev = ctlJI64(ctlJObj(res, "header"), "revision");
    for (size_t i = 0; events != NULL && i < json_array_size(events); i++)
    {
        json_t *ev = json_array_get(events, i);
        const char *type = ctlJStr(ev, "type");
        bool del = strcmp(type, "DELETE") == 0 || strcmp(type, "1") == 0;
        struct ctl_kv kv;
        ctlKvParse(ctlJObj(ev, "kv"), &kv);
        struct ctl_buf env = {0};
        ctlFmtGoQuote(&env, kv.key, kv.key_len);
        char *qkey = ctlStrdup(env.data);
        env.len = 0;
        ctlFmtGoQuote(&env, kv.value, kv.value_len);
        char *qval = ctlStrdup(env.data);
        ctlBufFree(&env);
        char revs[32];
        snprintf(revs, sizeof(revs), "%lld", (long long)rev);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
        {
            setenv("ETCD_WATCH_REVISION", revs, 1);
            setenv("ETCD_WATCH_EVENT_TYPE", del ? "\"DELETE\"" : "\"PUT\"", 1);
            setenv("ETCD_WATCH_KEY", qkey, 1);
            setenv("ETCD_WATCH_VALUE", qval, 1);
            execvp(w->exec[0], w->exec);
            fprintf(stderr, "exec: \"%s\": %s\n", w->exec[0], strerror(errno));
            _exit(127);
        }
        int status = 0;
        bool failed = pid < 0;
        while (!failed && waitpid(pid, &status, 0) < 0)
        {
            if (errno != EINTR)
            {
                failed = true;
            }
        }
        if (failed || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        {
            struct ctl_buf q = {0};
            ctlBufPutc(&q, '[');
            for (size_t k = 0; w->exec[k] != NULL; k++)
            {
                if (k > 0)
                {
                    ctlBufPutc(&q, ' ');
                }
                ctlFmtGoQuote(&q, w->exec[k], strlen(w->exec[k]));
            }
            ctlBufPutc(&q, ']');
            if (!failed && WIFEXITED(status))
            {
                fprintf(stderr, "command %s error (exit status %d)\n", q.data, WEXITSTATUS(status));
            }
            else if (!failed && WIFSIGNALED(status))
            {
                fprintf(stderr, "command %s error (signal: %s)\n", q.data,
                        strsignal(WTERMSIG(status)));
            }
            else
            {
                fprintf(stderr, "command %s error (%s)\n", q.data, strerror(errno));
            }
            exit(1);
        }
        free(qkey);
        free(qval);
        ctlKvFree(&kv);
    }
}

/* ---- what a watch prints (display.Watch of each response) ---- */

/* mvccpb.Event_EventType */
static const char *const ctlEventTypes[] = {"PUT", "DELETE", NULL};

static const struct ctl_field ctlEventSimple[] = {
    {.from = "type", .kind = CTL_K_ENUM, .names = ctlEventTypes},
    {.label = "\n", .kind = CTL_K_TEXT},
    {.from = "prev_kv", .kind = CTL_K_KV},
    {.from = "kv", .kind = CTL_K_KV, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlWatchSimple[] = {
    {.from = "events", .kind = CTL_K_MSGS, .sub = ctlEventSimple},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlEventJson[] = {
    {.label = "type", .from = "type", .kind = CTL_K_ENUM, .names = ctlEventTypes},
    {.label = "kv", .from = "kv", .kind = CTL_K_MSG, .sub = ctlKvJson},
    {.label = "prev_kv", .from = "prev_kv", .kind = CTL_K_MSG, .sub = ctlKvJson},
    CTL_FIELDS_END,
};

/* clientv3.WatchResponse: no omitempty, Events [] rather than null; a
 * created response is never printed, so Created is always false */
static const struct ctl_field ctlWatchJson[] = {
    {.label = "Header", .from = "header", .kind = CTL_K_MSG, .sub = ctlHeaderJson,
     .flags = CTL_F_ALWAYS},
    {.label = "Events", .from = "events", .kind = CTL_K_MSGS, .sub = ctlEventJson,
     .flags = CTL_F_ALWAYS},
    {.label = "CompactRevision", .from = "compact_revision", .kind = CTL_K_I64,
     .flags = CTL_F_ALWAYS},
    {.label = "Canceled", .from = "canceled", .kind = CTL_K_BOOL, .flags = CTL_F_ALWAYS},
    {.label = "Created", .kind = CTL_K_BOOL, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlEventFields[] = {
    {.label = "Type", .from = "type", .kind = CTL_K_ENUM, .names = ctlEventTypes},
    {.label = "Prev", .from = "prev_kv", .kind = CTL_K_MSG, .sub = ctlKvFields},
    {.label = "", .from = "kv", .kind = CTL_K_MSG, .sub = ctlKvFields, .flags = CTL_F_ALWAYS},
    CTL_FIELDS_END,
};

static const struct ctl_field ctlWatchFields[] = {
    CTL_HEADER_FIELDS,
    {.label = "", .from = "events", .kind = CTL_K_MSGS, .sub = ctlEventFields},
    CTL_FIELDS_END,
};

static const struct ctl_view ctlWatchView = {
    .simple = ctlWatchSimple, .json = ctlWatchJson, .fields = ctlWatchFields};

static void ctlWatchDisplay(const struct ctl_watch *w, const json_t *res)
{
    ctlPrint(w->o, &ctlWatchView, NULL, res);
}

/* One result of the stream: shown, unless it is the watch's creation.
 * Returns 1 when the watch is over (canceled by the server). */
static int ctlWatchResult(struct ctl_watch *w, const json_t *res)
{
    json_t *hdr = ctlJObj(res, "header");
    json_t *events = ctlJArr(res, "events");
    size_t n = events ? json_array_size(events) : 0;
    bool created = ctlJBool(res, "created");
    bool canceled = ctlJBool(res, "canceled");
    int64_t compact = ctlJI64(res, "compact_revision");
    if (canceled)
    {
        const char *reason = ctlJStr(res, "cancel_reason");
        const char *msg = compact != 0 ? "etcdserver: mvcc: required revision has been compacted"
                          : reason[0] ? reason
                                      : "etcdserver: mvcc: required revision is a future revision";
        fflush(stdout);
        fprintf(stderr, "watch was canceled (%s)\n", msg);
        ctlWatchDisplay(w, res);
        w->canceled = true;
        return 1;
    }
    if (created)
    {
        w->quick_fails = 0;
        w->got_created = true;
        if (w->next_rev == 0)
        {
            w->next_rev = ctlJI64(hdr, "revision") + 1;
        }
        return 0;
    }
    if (n == 0 && compact == 0 && ctlJI64(hdr, "revision") != 0)
    {
        printf("progress notify: %lld\n", (long long)ctlJI64(hdr, "revision"));
    }
    ctlWatchDisplay(w, res);
    if (n > 0)
    {
        json_t *last = ctlJObj(json_array_get(events, n - 1), "kv");
        int64_t mod = ctlJI64(last, "mod_revision");
        if (mod + 1 > w->next_rev)
        {
            w->next_rev = mod + 1;
        }
        if (w->exec != NULL)
        {
            ctlWatchExec(w, res);
        }
    }
    return 0;
}

static int ctlWatchLine(void *ud, const char *line, size_t len)
{
    struct ctl_watch *w = ud;
    json_t *res = NULL;
    char msg[sizeof(w->last_error)];
    switch (ctlStreamDecode(line, len, &res, msg, sizeof(msg)))
    {
    case CTL_LINE_MALFORMED:
        ctlFatalResponse("malformed watch response");
    case CTL_LINE_ERROR:
        /* the gateway lost its stream (e.g. "transport is closing"): end
         * this stream; ctlWatchFinished resumes or gives up */
        snprintf(w->last_error, sizeof(w->last_error), "%s", msg[0] ? msg : "stream error");
        return 1;
    case CTL_LINE_OTHER:
        return 0;
    default:
        break;
    }
    int rc = ctlWatchResult(w, res);
    json_decref(res);
    return rc;
}

static void ctlWatchStart(struct ctl_streams *ms, struct ctl_watch *w, size_t firstEndpoint)
{
    free(w->stream.body);
    w->stream.body = ctlWatchBody(w);
    w->stream.o = w->o;
    w->stream.path = "/v3/watch";
    w->stream.on_line = ctlWatchLine;
    w->stream.ud = w;
    w->stream.first_endpoint = firstEndpoint;
    w->stream.timeout_ms = 0;
    w->got_created = false;
    w->last_error[0] = '\0';
    ctlStreamsAdd(ms, &w->stream);
}

/* Ends one watch: fatal for a plain watch, a message for watch -i. */
static int ctlWatchGiveUp(bool interactive, int code, const char *msg)
{
    if (!interactive)
    {
        ctlFatal(code, "%s", msg);
    }
    fflush(stdout);
    fprintf(stderr, "watch was canceled (%s)\n", msg);
    return 0;
}

/* Handles a finished stream. Returns 0 when the watch is over for good
 * (canceled, refused, or no endpoint answers any more), 1 when it was
 * restarted; a plain watch exits instead of returning 0. A watch that never
 * got going fails fast; one that ran is resumed (from the revision after the
 * last event) on the next endpoints for up to max(--command-timeout, 2s). */
static int ctlWatchFinished(struct ctl_streams *ms, struct ctl_watch *w, bool interactive)
{
    struct ctl_stream *s = &w->stream;
    if (w->canceled)
    {
        /* "watch was canceled (<reason>)" is already out */
        if (interactive)
        {
            return 0;
        }
        ctlFatal(CTL_EXIT_INTERRUPTED, "watch is canceled by the server");
    }
    if (s->error[0] != '\0' && s->connected && s->status != 200 && s->status != 0)
    {
        /* the server refused the watch: final unless the watch ran before
         * (then it is a node going down or up) */
        if (!w->ever_created)
        {
            return ctlWatchGiveUp(interactive, CTL_EXIT_ERROR, s->error);
        }
        snprintf(w->last_error, sizeof(w->last_error), "%s", s->error);
    }
    int64_t now = ctlNowNs();
    if (w->got_created)
    {
        w->ever_created = true;
        w->lost_at = now;
    }
    if (!w->ever_created)
    {
        if (++w->quick_fails > w->o->endpoint_count)
        {
            if (w->last_error[0] != '\0')
            {
                return ctlWatchGiveUp(interactive, CTL_EXIT_ERROR, w->last_error);
            }
            if (!s->connected)
            {
                return ctlWatchGiveUp(interactive, CTL_EXIT_ERROR, "context deadline exceeded");
            }
            return ctlWatchGiveUp(interactive, CTL_EXIT_INTERRUPTED,
                                  "watch is canceled by the server");
        }
    }
    else
    {
        int64_t limit = w->o->command_timeout_ms > 2000 ? w->o->command_timeout_ms : 2000;
        if (now - w->lost_at > limit * 1000000LL)
        {
            return ctlWatchGiveUp(interactive, CTL_EXIT_ERROR,
                                  w->last_error[0] ? w->last_error : "context deadline exceeded");
        }
    }
    /* resume on the next endpoint: at once after a healthy stream, else after
     * a short pause */
    if (!w->got_created)
    {
        ctlSleepMs(200);
    }
    if (ctlHasCredentials(w->o))
    {
        /* clientv3 logs in for every new stream (a restarted server forgot
         * the token); on failure the old token stays and the stream's own
         * failure tells */
        char err[512];
        (void)ctlLogin(w->o, NULL, 0, err, sizeof(err));
    }
    ctlWatchStart(ms, w, s->ep_index + (s->connected ? 1 : 0));
    return 1;
}

/* Validates watch arguments and fills a watch (getWatchChan). Returns NULL
 * with msg set when the arguments are unusable. */
static struct ctl_watch *ctlWatchNew(const struct ctl_options *o, const struct ctl_options *wo,
                                     char **args, size_t argc, char **exec, char *msg,
                                     size_t msglen)
{
    if (argc < 1)
    {
        snprintf(msg, msglen, "bad number of arguments");
        return NULL;
    }
    if (argc == 2 && wo->prefix)
    {
        snprintf(msg, msglen, "`range_end` and `--prefix` are mutually exclusive");
        return NULL;
    }
    struct ctl_watch *w = ctlMalloc(sizeof(*w));
    memset(w, 0, sizeof(*w));
    w->o = o;
    char *end = argc == 2 ? ctlStrdup(args[1]) : NULL;
    size_t endLen = end ? strlen(end) : 0;
    ctlKvRange(args[0], strlen(args[0]), wo->prefix, false, &w->key, &w->key_len, &end, &endLen);
    w->end = end;
    w->end_len = endLen;
    w->start_rev = wo->rev;
    w->prev_kv = wo->prev_kv;
    w->exec = exec;
    return w;
}

static void ctlWatchFree(struct ctl_watch *w)
{
    free(w->key);
    free(w->end);
    free(w->stream.body);
    ctlBufFree(&w->stream.line);
    ctlBufFree(&w->stream.errbody);
    free(w);
}

/* Copies args[from, to) into a NULL-terminated array. */
static char **ctlWatchSlice(char **args, size_t from, size_t to)
{
    char **out = ctlMalloc((to - from + 1) * sizeof(char *));
    for (size_t i = from; i < to; i++)
    {
        out[i - from] = ctlStrdup(args[i]);
    }
    out[to - from] = NULL;
    return out;
}

/* One "watch ..." line of watch -i. Returns a watch to start, or NULL. */
static struct ctl_watch *ctlWatchInteractiveLine(const struct ctl_options *o, const char *line,
                                                 const char *envKey, const char *envRange)
{
    size_t argc = 0;
    char **argv = ctlArgify(line, &argc);
    struct ctl_watch *w = NULL;
    if (argc < 1)
    {
        fprintf(stderr, "Invalid command: %s (watch and progress supported)\n", line);
    }
    else if (strcmp(argv[0], "watch") != 0)
    {
        fprintf(stderr, "Invalid command %s (only support watch)\n", line);
    }
    else if (argc < 2 && envKey == NULL)
    {
        fprintf(stderr, "Invalid command %s (command type or key is not provided)\n", line);
    }
    else
    {
        size_t sep = argc;
        for (size_t i = 1; i < argc; i++)
        {
            if (strcmp(argv[i], "--") == 0)
            {
                sep = i;
                break;
            }
        }
        if (sep == argc - 1)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments (found separator --, but no "
                                        "commands)");
        }
        struct ctl_options wo;
        char err[512];
        if (ctlParseCommandLine("watch", argv, sep, &wo, err, sizeof(err)) != 0)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "%s", err);
        }
        if (sep == argc && envKey == NULL && wo.arg_count < 1)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments");
        }
        if (sep == argc && envKey != NULL && wo.arg_count > 0)
        {
            ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments (found conflicting environment "
                                        "key)");
        }
        char **wargs = wo.args;
        size_t wargc = wo.arg_count;
        char *envArgs[3] = {(char *)envKey, (char *)envRange, NULL};
        if (envKey != NULL)
        {
            wargs = envArgs;
            wargc = envRange != NULL ? 2 : 1;
        }
        char **exec = sep < argc ? ctlWatchSlice(argv, sep + 1, argc) : NULL;
        char msg[256];
        w = ctlWatchNew(o, &wo, wargs, wargc, exec, msg, sizeof(msg));
        if (w == NULL)
        {
            fprintf(stderr, "Invalid command %s (%s)\n", line, msg);
        }
    }
    ctlFreeStrings(argv, argc);
    return w;
}

static int ctlWatchInteractive(const struct ctl_options *o, const char *envKey,
                               const char *envRange)
{
    struct ctl_streams *ms = ctlStreamsNew();
    struct ctl_buf in = {0};
    struct ctl_stream *fin[CTL_WATCH_MAX];
    bool eof = false;
    for (;;)
    {
        bool ready = false;
        int n = ctlStreamsPoll(ms, eof ? -1 : STDIN_FILENO, 1000, &ready, fin, CTL_WATCH_MAX);
        for (int i = 0; i < n; i++)
        {
            struct ctl_watch *w = fin[i]->ud;
            if (ctlWatchFinished(ms, w, true) == 0)
            {
                ctlWatchFree(w);
            }
        }
        if (!ready)
        {
            continue;
        }
        char chunk[4096];
        ssize_t r = read(STDIN_FILENO, chunk, sizeof(chunk));
        if (r < 0 && errno == EINTR)
        {
            continue;
        }
        if (r <= 0)
        {
            ctlFatal(CTL_EXIT_INVALID_INPUT, "Error reading watch request line: EOF");
        }
        ctlBufAppend(&in, chunk, (size_t)r);
        char *nl;
        while (in.data != NULL && (nl = memchr(in.data, '\n', in.len)) != NULL)
        {
            size_t lineLen = (size_t)(nl - in.data);
            char *line = ctlStrndup(in.data, lineLen);
            memmove(in.data, nl + 1, in.len - lineLen - 1);
            in.len -= lineLen + 1;
            in.data[in.len] = '\0';
            struct ctl_watch *w = ctlWatchInteractiveLine(o, line, envKey, envRange);
            if (w != NULL)
            {
                ctlWatchStart(ms, w, 0);
            }
            free(line);
        }
    }
    return 0;
}

int ctlCmdWatch(struct ctl_options *o)
{
    const char *envKey = getenv("ETCDCTL_WATCH_KEY");
    const char *envRange = getenv("ETCDCTL_WATCH_RANGE_END");
    if (envKey != NULL && envKey[0] == '\0')
    {
        envKey = NULL;
    }
    if (envRange != NULL && envRange[0] == '\0')
    {
        envRange = NULL;
    }
    if (envKey == NULL && envRange != NULL)
    {
        struct ctl_buf q = {0};
        ctlFmtGoQuote(&q, envRange, strlen(envRange));
        ctlFatal(CTL_EXIT_BAD_ARGS, "ETCDCTL_WATCH_KEY is empty but got ETCDCTL_WATCH_RANGE_END=%s",
                 q.data);
    }
    ctlExitZeroOnStop();
    signal(SIGPIPE, SIG_DFL);
    if (o->interactive)
    {
        ctlConnect(o);
        return ctlWatchInteractive(o, envKey, envRange);
    }

    bool hasSep = o->dashdash_index != SIZE_MAX;
    size_t wargc = hasSep ? o->dashdash_index : o->arg_count;
    if (hasSep && o->dashdash_index >= o->arg_count)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments (found separator --, but no commands)");
    }
    if (!hasSep && o->arg_count < 1 && envKey == NULL)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments");
    }
    if (envKey != NULL && wargc > 0)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "bad number of arguments (found conflicting environment key)");
    }
    char **exec = hasSep ? ctlWatchSlice(o->args, o->dashdash_index, o->arg_count) : NULL;
    char **wargs = o->args;
    char *envArgs[3] = {(char *)envKey, (char *)envRange, NULL};
    if (envKey != NULL)
    {
        wargs = envArgs;
        wargc = envRange != NULL ? 2 : 1;
    }
    ctlConnect(o);
    char msg[256];
    struct ctl_watch *w = ctlWatchNew(o, o, wargs, wargc, exec, msg, sizeof(msg));
    if (w == NULL)
    {
        ctlFatal(CTL_EXIT_BAD_ARGS, "%s", msg);
    }
    struct ctl_streams *ms = ctlStreamsNew();
    ctlWatchStart(ms, w, 0);
    struct ctl_stream *fin[1];
    for (;;)
    {
        bool ready = false;
        int n = ctlStreamsPoll(ms, -1, 1000, &ready, fin, 1);
        if (n > 0 && ctlWatchFinished(ms, w, false) == 0)
        {
            break;
        }
    }
    ctlWatchFree(w);
    ctlFatal(CTL_EXIT_INTERRUPTED, "watch is canceled by the server");
}
