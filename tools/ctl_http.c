/* etcfsctl HTTP client (libcurl): unary JSON calls to the etcd v3 gateway
 * with endpoint failover, and newline-delimited JSON streams (watch, lease
 * keep-alive, snapshot) run on a curl multi handle so several can progress
 * at once (watch -i). Server errors ({"error","message","code"} with an HTTP
 * 4xx/5xx status) become the message etcdctl would print. The session's
 * token goes in every request's "Authorization" header; ctlLogin gets it
 * (clientv3's getToken) and ctlCall gets a new one when the server refuses
 * it (clientv3's retry interceptor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ctl_http.h"
#include "ctl.h"
#include "ctl_json.h"
#include "ctl_util.h"

#define CTL_ERRBODY_MAX (64 * 1024)

/* Whether a TLS flag was given: then a bare host:port endpoint is https,
 * as etcdctl's. */
static bool ctlTlsWanted(const struct ctl_options *o)
{
    return (o->cacert != NULL && o->cacert[0] != '\0') ||
           (o->cert != NULL && o->cert[0] != '\0') ||
           (o->key != NULL && o->key[0] != '\0') || o->insecure_skip_tls_verify;
}

char *ctlEndpointUrl(const struct ctl_options *o, const char *ep, const char *path)
{
    struct ctl_buf b = {0};
    if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0)
    {
        ctlBufPuts(&b, ctlTlsWanted(o) ? "https://" : "http://");
    }
    ctlBufPuts(&b, ep);
    while (b.len > 0 && b.data[b.len - 1] == '/')
    {
        b.data[--b.len] = '\0';
    }
    ctlBufPuts(&b, path);
    return b.data;
}

/* The message of a gateway error body as clientv3 shows it, or a
 * description of the status. */
static char *ctlHttpErrorMessage(long status, const char *body, size_t len)
{
    json_t *j = body != NULL ? ctlJsonParse(body, len) : NULL;
    char *msg = NULL;
    json_int_t code = 0;
    if (j != NULL)
    {
        json_t *m = json_object_get(j, "message");
        json_t *e = json_object_get(j, "error");
        json_t *c = json_object_get(j, "code");
        if (e != NULL && json_is_object(e))
        {
            c = json_object_get(e, "grpc_code"); /* a stream's error */
        }
        /* ctlJsonParse reads bare integers as strings */
        code = c != NULL && json_is_integer(c)  ? json_integer_value(c)
               : c != NULL && json_is_string(c) ? strtoll(json_string_value(c), NULL, 10)
                                                : 0;
        if (m != NULL && json_is_string(m) && json_string_length(m) > 0)
        {
            msg = ctlStrdup(json_string_value(m));
        }
        else if (e != NULL && json_is_string(e) && json_string_length(e) > 0)
        {
            msg = ctlStrdup(json_string_value(e));
        }
        else if (e != NULL && json_is_object(e))
        {
            json_t *em = json_object_get(e, "message");
            if (em != NULL && json_is_string(em))
            {
                msg = ctlStrdup(json_string_value(em));
            }
        }
        json_decref(j);
    }
    if (msg == NULL)
    {
        struct ctl_buf b = {0};
        ctlBufPrintf(&b, "unexpected HTTP status %ld from server", status);
        msg = b.data;
    }
    /* clientv3 turns etcd's own errors (all "etcdserver: ...") into their
     * text; any other (e.g. the maintenance API's "auth: permission
     * denied") stays a gRPC status, printed as Go's status.Error does */
    static const char *const codes[] = {
        "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
        "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
        "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
        "DataLoss", "Unauthenticated"};
    if (code > 0 && (size_t)code < sizeof(codes) / sizeof(codes[0]) &&
        strncmp(msg, "etcdserver: ", 12) != 0)
    {
        struct ctl_buf b = {0};
        ctlBufPrintf(&b, "rpc error: code = %s desc = %s", codes[code], msg);
        free(msg);
        msg = b.data;
    }
    return msg;
}

static size_t ctlHttpCollect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct ctl_buf *b = ud;
    size_t n = size * nmemb;
    ctlBufAppend(b, ptr, n);
    return n;
}

/* True when the request certainly never reached the server. */
static bool ctlHttpNotSent(CURL *c, CURLcode rc)
{
    if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
        rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_UNSUPPORTED_PROTOCOL ||
        rc == CURLE_URL_MALFORMAT)
    {
        return true;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT)
    {
        curl_off_t connect = 0;
        if (curl_easy_getinfo(c, CURLINFO_CONNECT_TIME_T, &connect) != CURLE_OK ||
            connect == 0)
        {
            return true;
        }
    }
    return false;
}

/* TLS settings of a request (libcurl verifies the server by default). */
static void ctlHttpTls(CURL *c, const struct ctl_options *o)
{
    if (o->cacert != NULL && o->cacert[0] != '\0')
    {
        curl_easy_setopt(c, CURLOPT_CAINFO, o->cacert);
    }
    if (o->cert != NULL && o->cert[0] != '\0')
    {
        curl_easy_setopt(c, CURLOPT_SSLCERT, o->cert);
    }
    if (o->key != NULL && o->key[0] != '\0')
    {
        curl_easy_setopt(c, CURLOPT_SSLKEY, o->key);
    }
    if (o->insecure_skip_tls_verify)
    {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* The request headers; with the session's token, if any and withToken, in
 * "Authorization" (the gateway hands it to etcd as the "authorization"
 * metadata, which etcd reads as the token). */
static struct curl_slist *ctlHttpHeaders(const struct ctl_options *o, bool withToken)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    const char *token = withToken && o->session != NULL ? o->session->token : NULL;
    if (h2 != NULL && token != NULL)
    {
        struct ctl_buf auth = {0};
        ctlBufPrintf(&auth, "Authorization: %s", token);
        struct curl_slist *h3 = curl_slist_append(h2, auth.data);
        ctlBufFree(&auth);
        h2 = h3;
    }
    if (h2 == NULL)
    {
        curl_slist_free_all(h);
        fputs("Error: out of memory\n", stderr);
        exit(CTL_EXIT_ERROR);
    }
    return h2;
}

/* One call (ctlCall's contract), with the session's token if withToken. */
static int ctlCallOnce(const struct ctl_options *o, char *const *eps, size_t epCount,
                       const char *path, const json_t *body, bool idempotent, int64_t timeoutMs,
                       bool withToken, struct ctl_reply *r)
{
    memset(r, 0, sizeof(*r));
    if (eps == NULL)
    {
        eps = o->endpoints;
        epCount = o->endpoint_count;
    }
    char *payload = ctlJDump(body);
    struct curl_slist *headers = ctlHttpHeaders(o, withToken);
    bool timedOut = false;
    for (size_t i = 0; i < epCount; i++)
    {
        CURL *c = curl_easy_init();
        if (c == NULL)
        {
            fputs("Error: out of memory\n", stderr);
            exit(CTL_EXIT_ERROR);
        }
        char *url = ctlEndpointUrl(o, eps[i], path);
        struct ctl_buf resp = {0};
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        ctlHttpTls(c, o);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctlHttpCollect);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->dial_timeout_ms > 0 ? o->dial_timeout_ms : 1));
        if (timeoutMs > 0)
        {
            curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(timeoutMs + o->dial_timeout_ms));
        }
        CURLcode rc = curl_easy_perform(c);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        bool notSent = rc != CURLE_OK && ctlHttpNotSent(c, rc);
        curl_easy_cleanup(c);
        free(url);
        if (rc != CURLE_OK)
        {
            ctlBufFree(&resp);
            if (rc == CURLE_OPERATION_TIMEDOUT)
            {
                timedOut = true;
            }
            if (notSent || idempotent)
            {
                continue;
            }
            r->error = ctlStrdup(rc == CURLE_OPERATION_TIMEDOUT ? "context deadline exceeded"
                                                                 : curl_easy_strerror(rc));
            r->transport = true;
            break;
        }
        if (status == 200)
        {
            r->json = resp.data ? ctlJsonParse(resp.data, resp.len) : NULL;
            if (r->json == NULL)
            {
                r->error = ctlStrdup("invalid response from server (malformed JSON)");
            }
        }
        else
        {
            r->error = ctlHttpErrorMessage(status, resp.data, resp.len);
        }
        ctlBufFree(&resp);
        break;
    }
    (void)timedOut;
    if (r->json == NULL && r->error == NULL)
    {
        r->error = ctlStrdup("context deadline exceeded");
        r->transport = true;
    }
    curl_slist_free_all(headers);
    free(payload);
    return r->json != NULL ? 0 : -1;
}

bool ctlHasCredentials(const struct ctl_options *o)
{
    const struct ctl_session *s = o->session;
    return s != NULL && s->resolved && s->name != NULL && s->name[0] != '\0' &&
           s->password != NULL && s->password[0] != '\0';
}

/* etcd's answers that make clientv3 fetch a new token and try again
 * (shouldRefreshToken): the token expired or the server forgot it (a
 * restart), the auth store changed since it was issued, or none was sent
 * (auth was enabled after the login). */
static bool ctlTokenRefused(const struct ctl_options *o, const struct ctl_reply *r)
{
    return !r->transport && r->error != NULL && ctlHasCredentials(o) &&
           (strcmp(r->error, "etcdserver: invalid auth token") == 0 ||
            strcmp(r->error, "etcdserver: revision of auth store is old") == 0 ||
            strcmp(r->error, "etcdserver: user name is empty") == 0);
}

int ctlLogin(const struct ctl_options *o, char *const *eps, size_t epCount, char *err,
             size_t errlen)
{
    if (!ctlHasCredentials(o))
    {
        return 0;
    }
    struct ctl_session *s = o->session;
    if (eps == NULL)
    {
        eps = o->endpoints;
        epCount = o->endpoint_count;
    }
    json_t *req = ctlJNewObj();
    ctlJSetStr(req, "name", s->name);
    ctlJSetStr(req, "password", s->password);
    int rc = -1;
    bool answered = false; /* a server's refusal outweighs an unreachable endpoint */
    snprintf(err, errlen, "context deadline exceeded");
    for (size_t i = 0; i < epCount && rc != 0; i++)
    {
        struct ctl_reply r;
        if (ctlCallOnce(o, &eps[i], 1, "/v3/auth/authenticate", req, true, o->dial_timeout_ms,
                        false, &r) == 0)
        {
            const char *token = ctlJStr(r.json, "token");
            free(s->token);
            s->token = token[0] != '\0' ? ctlStrdup(token) : NULL;
            rc = 0;
        }
        else if (!r.transport && strcmp(r.error, "etcdserver: authentication is not enabled") == 0)
        {
            /* clientv3 goes on without a token */
            free(s->token);
            s->token = NULL;
            rc = 0;
        }
        else if (!r.transport || !answered)
        {
            snprintf(err, errlen, "%s", r.error); /* the next endpoint may do */
            answered = answered || !r.transport;
        }
        ctlReplyFree(&r);
    }
    json_decref(req);
    return rc;
}

int ctlCall(const struct ctl_options *o, char *const *eps, size_t epCount, const char *path,
            const json_t *body, bool idempotent, int64_t timeoutMs, struct ctl_reply *r)
{
    int rc = ctlCallOnce(o, eps, epCount, path, body, idempotent, timeoutMs, true, r);
    if (rc != 0 && ctlTokenRefused(o, r))
    {
        char err[512];
        if (ctlLogin(o, eps, epCount, err, sizeof(err)) != 0)
        {
            /* clientv3 returns the login's error */
            free(r->error);
            r->error = ctlStrdup(err);
            return -1;
        }
        ctlReplyFree(r);
        rc = ctlCallOnce(o, eps, epCount, path, body, idempotent, timeoutMs, true, r);
    }
    return rc;
}

void ctlReplyFree(struct ctl_reply *r)
{
    if (r->json != NULL)
    {
        json_decref(r->json);
    }
    free(r->error);
    memset(r, 0, sizeof(*r));
}

/* ---- streams ---- */

struct ctl_streams
{
    CURLM *multi;
};

static size_t ctlStreamWrite(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct ctl_stream *s = ud;
    size_t n = size * nmemb;
    if (!s->connected)
    {
        curl_easy_getinfo((CURL *)s->easy, CURLINFO_RESPONSE_CODE, &s->status);
        s->connected = true;
    }
    if (s->status != 200)
    {
        if (s->errbody.len < CTL_ERRBODY_MAX)
        {
            ctlBufAppend(&s->errbody, ptr, n);
        }
        return n;
    }
    for (size_t i = 0; i < n; i++)
    {
        if (ptr[i] != '\n')
        {
            ctlBufPutc(&s->line, ptr[i]);
            continue;
        }
        bool blank = true;
        for (size_t k = 0; k < s->line.len; k++)
        {
            char c = s->line.data[k];
            if (c != ' ' && c != '\r' && c != '\t')
            {
                blank = false;
                break;
            }
        }
        if (!blank && s->on_line(s->ud, s->line.data, s->line.len) != 0)
        {
            s->stopped = true;
            s->line.len = 0;
            return 0; /* aborts the transfer */
        }
        s->line.len = 0;
        if (s->line.data != NULL)
        {
            s->line.data[0] = '\0';
        }
    }
    return n;
}

static void ctlStreamStart(struct ctl_streams *ms, struct ctl_stream *s)
{
    CURL *c = curl_easy_init();
    if (c == NULL)
    {
        fputs("Error: out of memory\n", stderr);
        exit(CTL_EXIT_ERROR);
    }
    const struct ctl_options *o = s->o;
    char *url = ctlEndpointUrl(o, o->endpoints[s->ep_index], s->path);
    /* anew at each start: the token may have changed since the last */
    curl_slist_free_all((struct curl_slist *)s->headers);
    s->headers = ctlHttpHeaders(o, true);
    s->easy = c;
    s->connected = false;
    s->status = 0;
    s->line.len = 0;
    s->errbody.len = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)s->headers);
    ctlHttpTls(c, o);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, s->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, ctlStreamWrite);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_PRIVATE, s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->dial_timeout_ms > 0 ? o->dial_timeout_ms : 1));
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (s->timeout_ms > 0)
    {
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(s->timeout_ms + o->dial_timeout_ms));
    }
    free(url);
    if (curl_multi_add_handle(ms->multi, c) != CURLM_OK)
    {
        fputs("Error: out of memory\n", stderr);
        exit(CTL_EXIT_ERROR);
    }
}

struct ctl_streams *ctlStreamsNew(void)
{
    struct ctl_streams *ms = ctlMalloc(sizeof(*ms));
    ms->multi = curl_multi_init();
    if (ms->multi == NULL)
    {
        fputs("Error: out of memory\n", stderr);
        exit(CTL_EXIT_ERROR);
    }
    return ms;
}

void ctlStreamsAdd(struct ctl_streams *ms, struct ctl_stream *s)
{
    s->ep_tries = 0;
    s->ep_index = s->o->endpoint_count ? s->first_endpoint % s->o->endpoint_count : 0;
    s->stopped = false;
    s->done = false;
    s->error[0] = '\0';
    ctlStreamStart(ms, s);
}

/* Handles one finished transfer; returns true if the stream is done (false
 * if it was restarted on another endpoint). */
static bool ctlStreamFinished(struct ctl_streams *ms, struct ctl_stream *s, CURLcode rc)
{
    CURL *c = s->easy;
    bool notSent = rc != CURLE_OK && !s->connected && ctlHttpNotSent(c, rc);
    if (!s->connected)
    {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &s->status);
        if (s->status != 0)
        {
            s->connected = true;
        }
    }
    curl_multi_remove_handle(ms->multi, c);
    curl_easy_cleanup(c);
    s->easy = NULL;
    if (s->stopped)
    {
        s->done = true;
        return true;
    }
    if (notSent || (rc != CURLE_OK && s->status == 0))
    {
        s->ep_tries++;
        if (s->ep_tries < s->o->endpoint_count)
        {
            s->ep_index = (s->ep_index + 1) % s->o->endpoint_count;
            ctlStreamStart(ms, s);
            return false;
        }
        snprintf(s->error, sizeof(s->error), "context deadline exceeded");
        s->done = true;
        return true;
    }
    if (s->status != 200 && s->status != 0)
    {
        char *msg = ctlHttpErrorMessage(s->status, s->errbody.data, s->errbody.len);
        snprintf(s->error, sizeof(s->error), "%s", msg);
        free(msg);
        s->done = true;
        return true;
    }
    if (s->line.len > 0)
    {
        /* a last line without a newline */
        if (s->on_line(s->ud, s->line.data, s->line.len) != 0)
        {
            s->stopped = true;
        }
        s->line.len = 0;
    }
    if (rc != CURLE_OK && !s->stopped)
    {
        snprintf(s->error, sizeof(s->error), "%s",
                 rc == CURLE_OPERATION_TIMEDOUT ? "context deadline exceeded"
                                                : curl_easy_strerror(rc));
    }
    s->done = true;
    return true;
}

static int ctlStreamsCollect(struct ctl_streams *ms, struct ctl_stream **finished, int max)
{
    int count = 0;
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(ms->multi, &left)) != NULL)
    {
        if (msg->msg != CURLMSG_DONE)
        {
            continue;
        }
        struct ctl_stream *s = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        CURLcode rc = msg->data.result;
        if (s != NULL && ctlStreamFinished(ms, s, rc))
        {
            if (count < max)
            {
                finished[count] = s;
            }
            count++;
        }
    }
    return count < max ? count : max;
}

int ctlStreamsPoll(struct ctl_streams *ms, int fd, int timeoutMs, bool *fdReady,
                   struct ctl_stream **finished, int maxFinished)
{
    int running = 0;
    *fdReady = false;
    curl_multi_perform(ms->multi, &running);
    int n = ctlStreamsCollect(ms, finished, maxFinished);
    if (n > 0)
    {
        return n;
    }
    struct curl_waitfd extra;
    memset(&extra, 0, sizeof(extra));
    extra.fd = fd;
    extra.events = CURL_WAIT_POLLIN;
    int numfds = 0;
    curl_multi_wait(ms->multi, fd >= 0 ? &extra : NULL, fd >= 0 ? 1 : 0, timeoutMs, &numfds);
    if (fd >= 0 && (extra.revents & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI)))
    {
        *fdReady = true;
    }
    curl_multi_perform(ms->multi, &running);
    return ctlStreamsCollect(ms, finished, maxFinished);
}

enum ctl_line ctlStreamDecode(const char *line, size_t len, json_t **result, char *err,
                              size_t errlen)
{
    json_t *j = ctlJsonParse(line, len);
    if (j == NULL)
    {
        return CTL_LINE_MALFORMED;
    }
    enum ctl_line kind = CTL_LINE_OTHER;
    json_t *e = ctlJObj(j, "error");
    json_t *res = e == NULL ? ctlJObj(j, "result") : NULL;
    if (e != NULL)
    {
        snprintf(err, errlen, "%s", ctlJStr(e, "message"));
        kind = CTL_LINE_ERROR;
    }
    else if (res != NULL)
    {
        *result = json_incref(res);
        kind = CTL_LINE_RESULT;
    }
    json_decref(j);
    return kind;
}

int ctlStreamRun(struct ctl_stream *s)
{
    struct ctl_streams *ms = ctlStreamsNew();
    ctlStreamsAdd(ms, s);
    struct ctl_stream *fin[1];
    bool ready = false;
    while (!s->done)
    {
        ctlStreamsPoll(ms, -1, 1000, &ready, fin, 1);
    }
    curl_multi_cleanup(ms->multi);
    free(ms);
    if (s->headers != NULL)
    {
        curl_slist_free_all((struct curl_slist *)s->headers);
        s->headers = NULL;
    }
    return s->error[0] ? -1 : 0;
}
