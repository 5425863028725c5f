/* etcfsctl shared declarations: the parsed options, exit codes, the growable
 * buffer, fatal-error helpers, the HTTP/JSON gateway client, gateway JSON
 * accessors, Go-compatible formatting (JSON, %q, durations, sizes), tables,
 * and every command's entry point. etcfsctl is an etcdctl v3 (3.4) work-alike
 * talking to the etcd v3 JSON gateway over HTTP/1.1. */
#ifndef ETCFS_TOOLS_CTL_H
#define ETCFS_TOOLS_CTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CTL_VERSION "0.1.0"
#define CTL_API_VERSION "3.4"
#define CTL_NAME "etcfsctl"

/* etcdctl's exit codes (etcdctl/ctlv3/command/error.go). */
#define CTL_EXIT_SUCCESS 0
#define CTL_EXIT_ERROR 1
#define CTL_EXIT_BAD_CONNECTION 2
#define CTL_EXIT_INVALID_INPUT 3
#define CTL_EXIT_BAD_FEATURE 4
#define CTL_EXIT_INTERRUPTED 5
#define CTL_EXIT_IO 6
#define CTL_EXIT_BAD_ARGS 128

enum ctl_output
{
    CTL_OUT_SIMPLE,
    CTL_OUT_JSON,
    CTL_OUT_TABLE,
    CTL_OUT_FIELDS,
    CTL_OUT_PROTOBUF,
    CTL_OUT_INVALID
};

struct ctl_command;

/* Everything parsed from argv and the environment. The only global state of
 * the program; commands read it (and a few set derived fields). */
struct ctl_options
{
    /* global flags */
    char **endpoints;
    size_t endpoint_count;
    char *write_out;
    enum ctl_output output;
    bool hex;
    bool help;
    bool version;
    int64_t dial_timeout_ms;
    int64_t command_timeout_ms;
    bool command_timeout_set;

    /* the command and its positional arguments (after the command words) */
    const struct ctl_command *command;
    char **args;
    size_t arg_count;
    /* positional arguments after a literal "--" (watch exec command) */
    size_t dashdash_index; /* index in args where "--" was, or SIZE_MAX */

    /* command-local flags (each command accepts a subset) */
    bool prefix;
    bool from_key;
    bool prev_kv;
    bool keys_only;
    bool count_only;
    bool print_value_only;
    bool ignore_value;
    bool ignore_lease;
    bool physical;
    bool interactive;
    bool keys;
    bool once;
    bool cluster;
    bool learner;
    bool skip_hash_check;
    int64_t limit;
    int64_t rev;
    char *lease;
    char *sort_by;
    char *order;
    char *consistency;
    char *peer_urls;
    char *data_dir;
    char *wal_dir;
    char *name;
    char *initial_cluster;
    char *initial_cluster_token;
    char *initial_advertise_peer_urls;
};

typedef int (*ctl_run_fn)(struct ctl_options *o);

struct ctl_unary;

/* One node of the command tree. A command either is one request and the
 * print of its answer (unary, run by ctlRunUnary) or has its own code
 * (run); a group (lease, member, ...) has neither. */
struct ctl_command
{
    const char *name;
    const char *parent; /* NULL for top-level commands */
    const char *use;    /* usage line after the program name */
    const char *short_help;
    const char *const *flags; /* local flag names, NULL-terminated */
    ctl_run_fn run;
    const struct ctl_unary *unary;
};

/* ---- buffer and errors (ctl_util.c) ---- */

/* Growable byte buffer; always NUL-terminated when data != NULL. */
struct ctl_buf
{
    char *data;
    size_t len;
    size_t cap;
};

void ctlBufAppend(struct ctl_buf *b, const void *p, size_t n);
void ctlBufPuts(struct ctl_buf *b, const char *s);
void ctlBufPutc(struct ctl_buf *b, char c);
void ctlBufPrintf(struct ctl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctlBufFree(struct ctl_buf *b);
/* Writes the buffer to stdout and flushes. */
void ctlBufFlush(struct ctl_buf *b);

/* Allocation helpers: print "Error: out of memory" and exit 1 on failure. */
void *ctlMalloc(size_t n);
void *ctlRealloc(void *p, size_t n);
char *ctlStrdup(const char *s);
char *ctlStrndup(const char *s, size_t n);
/* Frees v[0..n) and v. */
void ctlFreeStrings(char **v, size_t n);

/* Prints "Error: <msg>" to stderr and exits with code. */
void ctlFatal(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Malformed answer from the server. */
void ctlFatalResponse(const char *what) __attribute__((noreturn));

/* Standard base64 with padding. Encode returns a malloc'd string. Decode
 * accepts standard and URL-safe alphabets, with or without padding; returns
 * 0 and a malloc'd buffer (NUL-terminated, *outLen bytes) or -1. */
char *ctlBase64Encode(const void *data, size_t len);
int ctlBase64Decode(const char *s, size_t slen, char **out, size_t *outLen);

/* Monotonic clock in nanoseconds. */
int64_t ctlNowNs(void);

/* Reads all of stdin. Returns a malloc'd NUL-terminated buffer. */
char *ctlReadAllStdin(size_t *len);

/* ---- Go compatibility (ctl_go.c) ---- */

/* Go strconv.ParseInt(s, base, 64) / ParseUint. Return 0 or -1 with the Go
 * error text ("strconv.ParseInt: parsing \"x\": invalid syntax") in err. */
int ctlParseInt64(const char *s, int base, int64_t *out, char *err, size_t errlen);
int ctlParseUint64(const char *s, int base, uint64_t *out, char *err, size_t errlen);
/* Go strconv.ParseBool. */
int ctlParseBool(const char *s, bool *out);
/* Go time.ParseDuration to milliseconds; 0 or -1 with Go's error text. */
int ctlParseDuration(const char *s, int64_t *ms, char *err, size_t errlen);

/* Go formatting helpers appending to a buffer. */
void ctlFmtDuration(struct ctl_buf *b, int64_t ns);     /* time.Duration.String */
void ctlFmtHumanBytes(struct ctl_buf *b, uint64_t n);   /* humanize.Bytes */
void ctlFmtGoQuote(struct ctl_buf *b, const char *s, size_t n); /* %q */
void ctlFmtJsonString(struct ctl_buf *b, const char *s, size_t n); /* encoding/json */
void ctlFmtLeaseId(struct ctl_buf *b, int64_t id);      /* %016x of int64 */
void ctlFmtHexWidth(struct ctl_buf *b, uint64_t v, int width); /* %<w>x */
/* Go strconv.Unquote of the double-quoted literal s[0..n) (quotes included),
 * appended to out. Returns 0 or -1 (invalid syntax). */
int ctlGoUnquote(const char *s, size_t n, struct ctl_buf *out);

/* ---- gateway JSON in (ctl_json.c) ---- */

/* Parses a gateway answer. Bare integers are accepted (even beyond int64)
 * by quoting them first. Returns NULL if the text is not a JSON object. */
json_t *ctlJsonParse(const char *text, size_t len);
/* Field accessors on a gateway object. A missing field (or JSON null) is
 * the zero value; a present field of the wrong type exits with
 * "Error: invalid response from server". */
int64_t ctlJI64(const json_t *obj, const char *key);
uint64_t ctlJU64(const json_t *obj, const char *key);
bool ctlJBool(const json_t *obj, const char *key);
const char *ctlJStr(const json_t *obj, const char *key); /* "" if missing */
/* Decoded bytes field (base64); returns malloc'd NUL-terminated data. */
char *ctlJBytes(const json_t *obj, const char *key, size_t *len);
json_t *ctlJObj(const json_t *obj, const char *key); /* NULL if missing */
json_t *ctlJArr(const json_t *obj, const char *key); /* NULL if missing */

/* A mvccpb.KeyValue decoded (key and value malloc'd, NUL-terminated). */
struct ctl_kv
{
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    int64_t lease;
};

/* Reads obj (NULL: all empty) into kv; exits on a malformed field. */
void ctlKvParse(const json_t *obj, struct ctl_kv *kv);
void ctlKvFree(struct ctl_kv *kv);

/* Builders for requests. */
void ctlJSetBytes(json_t *obj, const char *key, const char *data, size_t len);
void ctlJSetI64(json_t *obj, const char *key, int64_t v);
void ctlJSetU64(json_t *obj, const char *key, uint64_t v);
void ctlJSetBool(json_t *obj, const char *key, bool v);
void ctlJSetStr(json_t *obj, const char *key, const char *s);
json_t *ctlJNewObj(void);
json_t *ctlJNewArr(void);
void ctlJAppend(json_t *arr, json_t *v);
void ctlJSet(json_t *obj, const char *key, json_t *v);
char *ctlJDump(const json_t *obj);

/* ---- output format checks (ctl_view.c) ---- */

/* "Error: <fmt> not supported as output format", exit 4. */
void ctlUnsupportedOutput(const struct ctl_options *o) __attribute__((noreturn));
/* Exits with "unsupported output format" for unknown -w values. */
void ctlCheckOutput(const struct ctl_options *o);

/* ---- HTTP (ctl_http.c) ---- */

/* Result of a unary call. */
struct ctl_reply
{
    json_t *json;   /* parsed body on success (caller frees) */
    char *error;    /* malloc'd message on failure */
    bool transport; /* failure was no reachable endpoint / timeout */
};

/* POSTs body (JSON) to path on the first reachable of the given endpoints
 * (or all configured ones when eps is NULL). Returns 0 with r->json, or -1
 * with r->error ("context deadline exceeded" if no endpoint answered, else
 * the server's message). idempotent: retry on the next endpoint even if the
 * failure happened after the request was sent. */
int ctlCall(const struct ctl_options *o, char *const *eps, size_t epCount,
            const char *path, const json_t *body, bool idempotent,
            int64_t timeoutMs, struct ctl_reply *r);
void ctlReplyFree(struct ctl_reply *r);

/* Streaming calls: each complete line of the answer goes to the callback.
 * Callback returns 0 to go on, 1 to stop. */
typedef int (*ctl_line_fn)(void *ud, const char *line, size_t len);

struct ctl_stream
{
    /* set by the caller */
    const struct ctl_options *o;
    const char *path;
    char *body;           /* JSON request body (owned by the caller) */
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
    bool stopped;   /* callback asked to stop */
    bool connected; /* got an HTTP answer */
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

/* Decodes one stream line: the result in *result (transferred), or the
 * error's message in err. A result or error that is not an object exits
 * with "invalid response from server". */
enum ctl_line ctlStreamDecode(const char *line, size_t len, json_t **result, char *err,
                              size_t errlen);

/* A set of concurrent streams (watch -i). */
struct ctl_streams;
struct ctl_streams *ctlStreamsNew(void);
void ctlStreamsAdd(struct ctl_streams *ms, struct ctl_stream *s);
/* Runs transfers for up to timeoutMs, also waiting on fd (if >= 0) being
 * readable. Returns the number of streams that finished during the call
 * (their 'done' flag is set; they are no longer part of the set); *fdReady
 * tells whether fd became readable. */
int ctlStreamsPoll(struct ctl_streams *ms, int fd, int timeoutMs, bool *fdReady,
                   struct ctl_stream **finished, int maxFinished);

/* Builds "http://host:port<path>" for an endpoint. */
char *ctlEndpointUrl(const char *ep, const char *path);

/* ---- commands ---- */

/* one request each (ctl_request.h) */
extern const struct ctl_unary ctlKvPut;
extern const struct ctl_unary ctlKvGet;
extern const struct ctl_unary ctlKvDel;
extern const struct ctl_unary ctlKvCompaction;
extern const struct ctl_unary ctlTxn;
extern const struct ctl_unary ctlLeaseGrant;
extern const struct ctl_unary ctlLeaseRevoke;
extern const struct ctl_unary ctlLeaseTimeToLive;
extern const struct ctl_unary ctlLeaseList;
extern const struct ctl_unary ctlMemberAdd;
extern const struct ctl_unary ctlMemberRemove;
extern const struct ctl_unary ctlMemberUpdate;
extern const struct ctl_unary ctlMemberList;
extern const struct ctl_unary ctlMemberPromote;

/* their own code */
int ctlCmdWatch(struct ctl_options *o);
int ctlCmdLeaseKeepAlive(struct ctl_options *o);
int ctlCmdEndpointHealth(struct ctl_options *o);
int ctlCmdEndpointStatus(struct ctl_options *o);
int ctlCmdMoveLeader(struct ctl_options *o);
int ctlCmdSnapshotSave(struct ctl_options *o);
int ctlCmdSnapshotStatus(struct ctl_options *o);
int ctlCmdSnapshotRestore(struct ctl_options *o);

/* ---- flags (ctl_flags.c) ---- */

/* Which global flags the command line set; environment defaults fill only
 * the others. */
struct ctl_parse_state
{
    bool endpoints_set;
    bool write_out_set;
    bool hex_set;
    bool dial_set;
};

/* Options with every default set. */
void ctlOptionsInit(struct ctl_options *o);
/* Pass 2 of the command line: parses every flag against cmd's flag set (and
 * the global ones unless localOnly); the first 'depth' positional words are
 * the command path, the other positional words go to o->args. Returns 0 or
 * -1 with pflag's error text in err. */
int ctlParseArgs(struct ctl_options *o, struct ctl_parse_state *st, int argc, char **argv,
                 const struct ctl_command *cmd, size_t depth, bool localOnly, char *err,
                 size_t errlen);
/* True when name[0..len) (or the shorthand, if not 0) is a flag of some
 * command that takes a value (pass 1 skips that value). */
bool ctlFlagTakesValue(const char *name, size_t len, char shorthand);
/* Sets the global flags the command line left alone from ETCFSCTL_* or
 * ETCDCTL_*; exits 1 on an invalid value. */
void ctlEnvDefaults(struct ctl_options *o, struct ctl_parse_state *st);
/* Help lines of the named local flags (NULL-terminated), of the globals. */
void ctlFlagsPrintLocal(const char *const *names);
void ctlFlagsPrintGlobal(void);
/* etcdctl's argify: splits a line into arguments honouring "..." and '...'.
 * Returns a NULL-terminated malloc'd array. */
char **ctlArgify(const char *s, size_t *count);

/* ---- the command tree (etcfsctl.c) ---- */

/* Parses a txn operation line (argv[0] is put, get or del, or a unique
 * prefix) with that command's own flags only. Returns 0 with *name set, or
 * -1 with a message. */
int ctlParseOpLine(char **argv, size_t argc, struct ctl_options *o, const char **name,
                   char *err, size_t errlen);
/* Parses argv (argv[0] is the command word) with the flags of the named
 * top-level command only. Returns 0 or -1 with pflag's message. */
int ctlParseCommandLine(const char *cmdName, char **argv, size_t argc, struct ctl_options *o,
                        char *err, size_t errlen);

/* snapshot header reader (snapinfo.c) */
int ctlSnapshotHeader(const void *buf, size_t len, int64_t *revision, int64_t *keys);
/* zlib-compatible crc32 (snapinfo.c) */
uint32_t ctlCrc32(uint32_t crc, const void *buf, size_t len);

#endif /* ETCFS_TOOLS_CTL_H */
