/* etcfsctl's HTTP client (ctl_http.c, libcurl): unary JSON calls to the
 * etcd v3 gateway with endpoint failover, and newline-delimited JSON
 * streams (watch, lease keep-alive, snapshot) on a curl multi handle so
 * that several can progress at once (watch -i). Blocking, single-threaded.
 * A gateway error ({"error","message","code"} with a 4xx/5xx status)
 * becomes the message etcdctl would print. Like clientv3, it keeps the
 * session's token: every request and stream carries it in the
 * "Authorization" header, and a unary call the server refuses for its token
 * logs in again and is tried once more. */
#ifndef ETCFS_TOOLS_CTL_HTTP_H
#define ETCFS_TOOLS_CTL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_util.h"

/* Result of a unary call; ctlReplyFree frees what it holds. */
struct ctl_reply
{
    json_t *json;   /* the parsed answer on success */
    char *error;    /* the message on failure */
    bool transport; /* failure was no reachable endpoint / timeout */
};

/* POSTs body (borrowed) to path on the first reachable of eps[0..epCount)
 * (NULL: every --endpoints), all borrowed for the call. Returns 0 with
 * r->json, or -1 with r->error ("context deadline exceeded" if no endpoint
 * answered, else the server's message). idempotent: retry on the next
 * endpoint even if the failure happened after the request was sent. A
 * refusal of the token (invalid or stale, or none sent while credentials
 * were given) logs in again (ctlLogin on the same endpoints) and retries
 * once; if that login fails, its error is the call's. Exits only on out of
 * memory. */
int ctlCall(const struct ctl_options *o, char *const *eps, size_t epCount, const char *path,
            const json_t *body, bool idempotent, int64_t timeoutMs, struct ctl_reply *r);
void ctlReplyFree(struct ctl_reply *r);

/* Whether the session has what clientv3 authenticates with: a name and a
 * password, both non-empty (resolved by ctlCredentials). */
bool ctlHasCredentials(const struct ctl_options *o);
/* clientv3's getToken: POSTs {"name","password"} to /v3/auth/authenticate
 * on eps[0..epCount) (NULL: every --endpoints) in turn, without a token and
 * within the dial timeout, until one answers with a token, which becomes the
 * session's. Returns 0 with the token set; 0 with no token when the server
 * says authentication is not enabled (requests then go without one); 0 at
 * once without credentials; -1 with the last endpoint's error in err
 * ("context deadline exceeded" if none answered). */
int ctlLogin(const struct ctl_options *o, char *const *eps, size_t epCount, char *err,
             size_t errlen);

/* Streaming calls: each complete line of the answer goes to the callback
 * (line borrowed for the call), which returns 0 to go on, 1 to stop. */
typedef int (*ctl_line_fn)(void *ud, const char *line, size_t len);

/* One stream, owned by the caller and alive until it is done; the caller
 * frees 'line' and 'errbody' (ctlBufFree) when done with it. */
struct ctl_stream
{
    /* set by the caller, borrowed until done */
    const struct ctl_options *o;
    const char *path;
    char *body; /* the JSON request body */
    ctl_line_fn on_line;
    void *ud;
    size_t first_endpoint; /* endpoint index to try first */
    int64_t timeout_ms;    /* 0 = none (after connecting) */
    /* state */
    void *easy;
    void *headers;
    size_t ep_tries;
    size_t ep_index;
    struct ctl_buf line;
    struct ctl_buf errbody;
    long status;
    bool stopped;    /* callback asked to stop */
    bool connected;  /* got an HTTP answer */
    bool done;
    char error[512]; /* set when done with an error */
};

/* Runs one stream to its end (or until the callback stops it). Returns 0 if
 * it ended without error, -1 with s->error set. */
int ctlStreamRun(struct ctl_stream *s);

/* What one line of a gateway stream holds. */
enum ctl_line
{
    CTL_LINE_RESULT,   /* {"result":{...}} */
    CTL_LINE_ERROR,    /* {"error":{...,"message":...}}: the stream failed */
    CTL_LINE_OTHER,    /* neither: nothing to do */
    CTL_LINE_MALFORMED /* not a JSON object */
};

/* Decodes one stream line (borrowed): the result in *result (transferred),
 * or the error's message in err. A result or error that is not an object
 * exits with "invalid response from server". */
enum ctl_line ctlStreamDecode(const char *line, size_t len, json_t **result, char *err,
                              size_t errlen);

/* A set of concurrent streams (watch -i); lives until exit. */
struct ctl_streams;
struct ctl_streams *ctlStreamsNew(void);
/* Starts s (borrowed until it is done). */
void ctlStreamsAdd(struct ctl_streams *ms, struct ctl_stream *s);
/* Runs transfers for up to timeoutMs, also waiting on fd (if >= 0) being
 * readable. Returns the number of streams that finished during the call
 * (their 'done' flag is set; they are no longer part of the set); *fdReady
 * tells whether fd became readable. */
int ctlStreamsPoll(struct ctl_streams *ms, int fd, int timeoutMs, bool *fdReady,
                   struct ctl_stream **finished, int maxFinished);

/* "http[s]://host:port<path>" for an endpoint (borrowed; https when the
 * endpoint says so or a TLS flag was given); transferred. */
char *ctlEndpointUrl(const struct ctl_options *o, const char *ep, const char *path);

#endif /* ETCFS_TOOLS_CTL_HTTP_H */
