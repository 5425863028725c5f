/* The v2 API front end (--enable-v2), as etcd 3.4 serves it: routes
 * /v2/keys and /v2/members (api_v2_members.c), reads the request's form (the query and a
 * urlencoded body, as Go's Request.FormValue), parses a keys request as
 * etcd's parseKeyRequest, and writes etcd's v2 answers: NodeExtern JSON,
 * the {errorCode, message, cause, index} errors with their HTTP status,
 * and the X-Etcd-Index / X-Raft-Index / X-Raft-Term headers. Keys are
 * served by api_v2_keys.c and api_v2_watch.c on the v3 keyspace; members
 * through the request path's membership calls, as the v3 gateway's are.
 * Loop thread only. */
#include "api_v2.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <http_parser.h>

#include "../core/error.h"
#include "../lib/hex.h"
#include "../store/store.h"

/* ---- replies ---- */

const char *v2Prefix(struct api_req *req, size_t *len)
{
    const char *p = req->api->deps.config->v2_prefix;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/') {
        n--;
    }
    *len = n;
    return p;
}

/* Appends one header line to req's reply head. */
static void addHeader(struct api_req *req, const char *name, bool hex,
                      uint64_t v)
{
    char line[128];
    char *h;
    size_t have = req->extra_headers != NULL ? strlen(req->extra_headers) : 0;
    if (hex) {
        snprintf(line, sizeof line, "%s: %" PRIx64 "\r\n", name, v);
    } else {
        snprintf(line, sizeof line, "%s: %" PRIu64 "\r\n", name, v);
    }
    h = realloc(req->extra_headers, have + strlen(line) + 1);
    if (h == NULL) {
        return; /* headers are a courtesy: the answer goes without */
    }
    memcpy(h + have, line, strlen(line) + 1);
    req->extra_headers = h;
}

void v2Headers(struct api_req *req, int64_t index, bool raft)
{
    struct node *n = req->api->deps.node;
    free(req->extra_headers);
    req->extra_headers = NULL;
    addHeader(req, "X-Etcd-Cluster-Id", true, nodeClusterId(n));
    addHeader(req, "X-Etcd-Index", false, (uint64_t)index);
    if (raft) {
        addHeader(req, "X-Raft-Index", false,
                  storeAppliedIndex(req->api->deps.store));
        addHeader(req, "X-Raft-Term", false, nodeTerm(n));
    }
}

static const char *v2Message(int ecode)
{
    switch (ecode) {
        case V2_KEY_NOT_FOUND: return "Key not found";
        case V2_TEST_FAILED: return "Compare failed";
        case V2_NOT_FILE: return "Not a file";
        case V2_NOT_DIR: return "Not a directory";
        case V2_NODE_EXIST: return "Key already exists";
        case V2_ROOT_RONLY: return "Root is read only";
        case V2_DIR_NOT_EMPTY: return "Directory not empty";
        case V2_UNAUTHORIZED:
            return "The request requires user authentication";
        case V2_PREV_VALUE_REQUIRED:
            return "PrevValue is Required in POST form";
        case V2_TTL_NAN: return "The given TTL in POST form is not a number";
        case V2_INDEX_NAN:
            return "The given index in POST form is not a number";
        case V2_INVALID_FIELD: return "Invalid field";
        case V2_INVALID_FORM: return "Invalid POST form";
        case V2_REFRESH_VALUE: return "Value provided on refresh";
        case V2_REFRESH_TTL_REQUIRED:
            return "A TTL must be provided on refresh";
        case V2_RAFT_INTERNAL: return "Raft Internal Error";
        case V2_LEADER_ELECT: return "During Leader Election";
        case V2_EVENT_INDEX_CLEARED:
            return "The event in requested index is outdated and cleared";
        default: return "Unknown error";
    }
}

/* etcd's errorStatus */
static int v2Status(int ecode)
{
    switch (ecode) {
        case V2_KEY_NOT_FOUND: return 404;
        case V2_NOT_FILE:
        case V2_DIR_NOT_EMPTY: return 403;
        case V2_TEST_FAILED:
        case V2_NODE_EXIST: return 412;
        case V2_UNAUTHORIZED: return 401;
        default: return ecode / 100 == 3 ? 500 : 400;
    }
}

void v2ReplyJson(struct api_req *req, int status, json_t *body, int64_t index)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL) {
        apiReplyRaw(req, 500, "application/json",
                    "{\"message\":\"out of memory\"}", 26);
        return;
    }
    if (index >= 0) {
        v2Headers(req, index, true);
    }
    apiReplyRaw(req, status, "application/json", text, strlen(text));
    free(text);
}

void v2ReplyError(struct api_req *req, int ecode, const char *cause,
                  int64_t index)
{
    json_t *o = json_object();
    json_object_set_new(o, "errorCode", json_integer(ecode));
    json_object_set_new(o, "message", json_string(v2Message(ecode)));
    if (cause != NULL && cause[0] != '\0') {
        json_object_set_new(o, "cause", json_string(cause));
    }
    json_object_set_new(o, "index", json_integer(index));
    v2Headers(req, index, false);
    v2ReplyJson(req, v2Status(ecode), o, -1);
}

void v2ReplyServerError(struct api_req *req, int code)
{
    int ecode = code == ETCFS_NOLEADER ? V2_LEADER_ELECT : V2_RAFT_INTERNAL;
    if (code == ETCFS_PERMISSION_DENIED || code == ETCFS_USER_EMPTY ||
        code == ETCFS_INVALID_TOKEN) {
        ecode = V2_UNAUTHORIZED;
    }
    v2ReplyError(req, ecode, etcfsStrerror(code),
                 storeRevision(req->api->deps.store));
}

void v2ClusterHeader(struct api_req *req)
{
    free(req->extra_headers);
    req->extra_headers = NULL;
    addHeader(req, "X-Etcd-Cluster-Id", true,
              nodeClusterId(req->api->deps.node));
}

/* Go's http.Error for a method a handler does not take. */
void v2ReplyMethodNotAllowed(struct api_req *req, const char *allow)
{
    static const char text[] = "Method Not Allowed\n";
    char line[96];
    snprintf(line, sizeof line, "Allow: %s\r\n", allow);
    free(req->extra_headers);
    req->extra_headers = strdup(line);
    apiReplyRaw(req, 405, "text/plain; charset=utf-8", text,
                sizeof text - 1);
}

/* ---- nodes ---- */

char *v2PathOf(struct api_req *req, const char *key, size_t key_len,
               size_t *len)
{
    size_t plen;
    char *out;
    (void)v2Prefix(req, &plen);
    if (key_len < plen) {
        plen = key_len;
    }
    key += plen;
    key_len -= plen;
    if (key_len > 1 && key[key_len - 1] == '/') {
        key_len--; /* a directory's marker */
    }
    out = arenaAlloc(&req->arena, key_len + 1);
    if (out != NULL) {
        memcpy(out, key, key_len);
        out[key_len] = '\0';
        *len = key_len;
    }
    return out;
}

/* Go's time.RFC3339Nano of now + secs, UTC. */
static json_t *expirationOf(int64_t secs)
{
    struct timespec ts;
    struct tm tm;
    char buf[64];
    char frac[16];
    size_t n;
    time_t t;
    clock_gettime(CLOCK_REALTIME, &ts);
    t = ts.tv_sec + (time_t)secs;
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    n = strlen(frac);
    while (n > 1 && frac[n - 1] == '0') {
        frac[--n] = '\0'; /* RFC3339Nano drops trailing zeros */
    }
    if (n == 1) {
        frac[0] = '\0';
    }
    snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%sZ", frac);
    return json_string(buf);
}

json_t *v2NodeOf(struct api_req *req, const struct store_kv *kv, bool deleted,
                 int64_t mod_rev)
{
    json_t *o = json_object();
    size_t len = 0;
    char *path = v2PathOf(req, kv->key, kv->key_len, &len);
    bool dir = kv->key_len > 0 && kv->key[kv->key_len - 1] == '/';
    json_object_set_new(o, "key", json_stringn(path != NULL ? path : "", len));
    if (dir) {
        json_object_set_new(o, "dir", json_true());
    } else if (!deleted) {
        json_object_set_new(o, "value",
                            json_stringn(kv->value != NULL ? kv->value : "",
                                         kv->value_len));
    }
    if (!deleted && kv->lease != 0) {
        int64_t left = 0;
        if (serverLeaseRemaining(req->api->deps.server, kv->lease, &left) ==
            0) {
            json_object_set_new(o, "expiration", expirationOf(left));
            json_object_set_new(o, "ttl", json_integer(left));
        }
    }
    json_object_set_new(o, "modifiedIndex",
                        json_integer(mod_rev > 0 ? mod_rev : kv->mod_revision));
    json_object_set_new(o, "createdIndex", json_integer(kv->create_revision));
    return o;
}

/* ---- forms ---- */

/* Percent-decodes s[0..n) into out (at least n + 1 bytes); plus: '+' is a
 * space (forms). 0, or -1 on a bad escape. */
static int unescape(const char *s, size_t n, bool plus, char *out,
                    size_t *out_len)
{
    size_t i;
    size_t o = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || hexDigit(s[i + 1]) < 0 || hexDigit(s[i + 2]) < 0) {
                return -1;
            }
            out[o++] = (char)(hexDigit(s[i + 1]) << 4 | hexDigit(s[i + 2]));
            i += 2;
        } else if (plus && s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return 0;
}

/* Adds the pairs of a urlencoded text to form (a name's first value
 * wins, a name already there is kept). 0, or -1 with the bad escape's
 * text in errmsg. */
static int parseForm(json_t *form, const char *text, size_t len,
                     char *errmsg)
{
    const char *p = text;
    const char *end = text + len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        const char *vstart = eq != NULL ? eq + 1 : stop;
        size_t nlen = (size_t)((eq != NULL ? eq : stop) - p);
        size_t vlen = (size_t)(stop - vstart);
        char *name = malloc(nlen + 1);
        char *val = malloc(vlen + 1);
        size_t nl = 0;
        size_t vl = 0;
        int rv = 0;
        if (name == NULL || val == NULL) {
            rv = -1;
            etcfsErrmsgf(errmsg, "out of memory");
        } else if (unescape(p, nlen, true, name, &nl) != 0 ||
                   unescape(vstart, vlen, true, val, &vl) != 0) {
            rv = -1;
            etcfsErrmsgf(errmsg, "invalid URL escape");
        } else if (nl > 0 && strlen(name) == nl &&
                   json_object_get(form, name) == NULL) {
            json_object_set_new(form, name, json_stringn(val, vl));
        }
        free(name);
        free(val);
        if (rv != 0) {
            return rv;
        }
        p = stop + 1;
    }
    return 0;
}

/* req->body becomes the form: a urlencoded body's pairs first (POST, PUT,
 * PATCH, as Go's ParseForm), then the query's. */
static int readForm(struct api_req *req, char *errmsg)
{
    json_t *form = json_object();
    int m = req->http_method;
    json_decref(req->body);
    req->body = form;
    if (form == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return -1;
    }
    if ((m == HTTP_POST || m == HTTP_PUT || m == HTTP_PATCH) &&
        req->raw != NULL &&
        strncasecmp(req->content_type, "application/x-www-form-urlencoded",
                    33) == 0 &&
        parseForm(form, req->raw, req->raw_len, errmsg) != 0) {
        return -1;
    }
    if (req->query != NULL &&
        parseForm(form, req->query, strlen(req->query), errmsg) != 0) {
        return -1;
    }
    return 0;
}

static const char *formValue(struct api_req *req, const char *name)
{
    json_t *v = json_object_get(req->body, name);
    return v != NULL ? json_string_value(v) : NULL;
}

/* Go's strconv.ParseBool; "" (or absent) is false. */
static int formBool(struct api_req *req, const char *name, bool *out)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *v = formValue(req, name);
    size_t i;
    *out = false;
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    for (i = 0; i < 6; i++) {
        if (strcmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(v, no[i]) == 0) {
            return 0;
        }
    }
    return -1;
}

/* strconv.ParseUint(v, 10, 64); "" (or absent) is 0. */
static int formUint(struct api_req *req, const char *name, uint64_t *out)
{
    const char *v = formValue(req, name);
    char *end = NULL;
    *out = 0;
    if (v == NULL || v[0] == '\0') {
        return 0;
    }
    if (v[0] < '0' || v[0] > '9') {
        return -1;
    }
    errno = 0;
    *out = strtoull(v, &end, 10);
    return errno != 0 || *end != '\0' ? -1 : 0;
}

/* ---- /v2/keys ---- */

/* Go's path.Clean of "/" + raw (already unescaped) into out (raw_len + 2
 * bytes): no empty, "." or ".." segments, no trailing '/', "/" alone for
 * the root. Returns the length. */
static size_t cleanPath(const char *raw, size_t raw_len, char *out)
{
    size_t o = 0;
    size_t i = 0;
    while (i < raw_len) {
        size_t j = i;
        size_t seg;
        while (j < raw_len && raw[j] != '/') {
            j++;
        }
        seg = j - i;
        if (seg == 0 || (seg == 1 && raw[i] == '.')) {
            /* skip */
        } else if (seg == 2 && raw[i] == '.' && raw[i + 1] == '.') {
            while (o > 0 && out[o - 1] != '/') {
                o--;
            }
            if (o > 0) {
                o--; /* the '/' before the dropped segment */
            }
        } else {
            out[o++] = '/';
            memcpy(out + o, raw + i, seg);
            o += seg;
        }
        i = j + 1;
    }
    if (o == 0) {
        out[o++] = '/';
    }
    out[o] = '\0';
    return o;
}

static void keysRequest(struct api_req *req, const char *rest)
{
    struct v2_keys_req k;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    size_t rest_len = strlen(rest);
    char *raw = arenaAlloc(&req->arena, rest_len + 1);
    size_t raw_len = 0;
    size_t plen;
    const char *prefix = v2Prefix(req, &plen);
    const char *v;
    int m = req->http_method;
    memset(&k, 0, sizeof k);
    k.prev_exist = -1;
    if (m != HTTP_GET && m != HTTP_HEAD && m != HTTP_PUT && m != HTTP_POST &&
        m != HTTP_DELETE) {
        v2ReplyMethodNotAllowed(req, "HEAD,GET,PUT,POST,DELETE");
        return;
    }
    k.path = arenaAlloc(&req->arena, rest_len + 2);
    if (raw == NULL || k.path == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    if (unescape(rest, rest_len, false, raw, &raw_len) != 0 ||
        readForm(req, errmsg) != 0) {
        v2ReplyError(req, V2_INVALID_FORM,
                     errmsg[0] != '\0' ? errmsg : "invalid URL escape", 0);
        return;
    }
    k.path_len = cleanPath(raw, raw_len, k.path);
    k.key = arenaAlloc(&req->arena, plen + k.path_len + 1);
    if (k.key == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    memcpy(k.key, prefix, plen);
    k.key_len = plen;
    if (k.path_len > 1) {
        memcpy(k.key + plen, k.path, k.path_len);
        k.key_len += k.path_len;
    }
    k.key[k.key_len] = '\0';

    /* parseKeyRequest's checks, in its order */
    {
        static const char *const flags[] = {"recursive", "sorted", "wait",
                                            "dir", "quorum", "stream"};
        bool *dest[] = {&k.recursive, &k.sorted, &k.wait,
                        &k.dir, &k.quorum, &k.stream};
        size_t i;
        for (i = 0; i < 6; i++) {
            if (formBool(req, flags[i], dest[i]) != 0) {
                char cause[64];
                snprintf(cause, sizeof cause, "invalid value for \"%s\"",
                         flags[i]);
                v2ReplyError(req, V2_INVALID_FIELD, cause, 0);
                return;
            }
        }
    }
    if (formUint(req, "prevIndex", &k.prev_index) != 0) {
        v2ReplyError(req, V2_INDEX_NAN, "invalid value for \"prevIndex\"", 0);
        return;
    }
    if (formUint(req, "waitIndex", &k.wait_index) != 0) {
        v2ReplyError(req, V2_INDEX_NAN, "invalid value for \"waitIndex\"", 0);
        return;
    }
    v = formValue(req, "prevValue");
    if (v != NULL && v[0] == '\0') {
        v2ReplyError(req, V2_PREV_VALUE_REQUIRED,
                     "\"prevValue\" cannot be empty", 0);
        return;
    }
    k.prev_value = v != NULL ? v : "";
    k.has_prev_value = v != NULL;
    v = formValue(req, "ttl");
    if (v != NULL && v[0] != '\0') {
        if (formUint(req, "ttl", &k.ttl) != 0) {
            v2ReplyError(req, V2_TTL_NAN, "invalid value for \"ttl\"", 0);
            return;
        }
        k.has_ttl = true;
    }
    if (json_object_get(req->body, "prevExist") != NULL) {
        bool b;
        if (formBool(req, "prevExist", &b) != 0) {
            v2ReplyError(req, V2_INVALID_FIELD, "invalid value for prevExist",
                         0);
            return;
        }
        k.prev_exist = b ? 1 : 0;
    }
    if (formBool(req, "refresh", &k.refresh) != 0) {
        v2ReplyError(req, V2_INVALID_FIELD, "invalid value for \"refresh\"",
                     0);
        return;
    }
    v = formValue(req, "value");
    k.value = v != NULL ? v : "";
    if (k.refresh) {
        if (k.value[0] != '\0') {
            v2ReplyError(req, V2_REFRESH_VALUE,
                         "A value was provided on a refresh", 0);
            return;
        }
        if (!k.has_ttl) {
            v2ReplyError(req, V2_REFRESH_TTL_REQUIRED,
                         "No TTL value set", 0);
            return;
        }
    }
    if (k.wait && m != HTTP_GET && m != HTTP_HEAD) {
        v2ReplyError(req, V2_INVALID_FIELD,
                     "\"wait\" can only be used with GET requests", 0);
        return;
    }
    if (m == HTTP_GET || m == HTTP_HEAD) {
        if (k.wait) {
            v2KeysWatch(req, &k);
        } else {
            v2KeysGet(req, &k);
        }
        return;
    }
    v2KeysWrite(req, &k);
}

/* ---- the store, through the read gate ---- */

/* Range helper: the first kvs of [key, end) (end NULL: the key alone). */
int v2Range(struct api_req *req, const char *key, size_t key_len,
                   const char *end, size_t end_len, int64_t limit,
                   bool keys_only, struct store_range_resp *resp)
{
    struct store_range_req r;
    char errmsg[ETCFS_ERRMSG_SIZE];
    memset(&r, 0, sizeof r);
    memset(resp, 0, sizeof *resp);
    r.key = key;
    r.key_len = key_len;
    r.range_end = end;
    r.range_end_len = end != NULL ? end_len : 0;
    r.limit = limit;
    r.keys_only = keys_only;
    r.no_count = limit > 0;
    return storeRange(req->api->deps.store, &r, resp, errmsg);
}

/* base = key + "/", its prefix end and the first key past the marker. */
int v2Scratch(struct api_req *req, const char *key, size_t key_len,
                        char **base, size_t *base_len, char **base_end,
                        char **kids)
{
    *base = arenaAlloc(&req->arena, key_len + 2);
    *base_end = arenaAlloc(&req->arena, key_len + 2);
    *kids = arenaAlloc(&req->arena, key_len + 3);
    if (*base == NULL || *base_end == NULL || *kids == NULL) {
        return ETCFS_NOMEM;
    }
    memcpy(*base, key, key_len);
    (*base)[key_len] = '/';
    *base_len = key_len + 1;
    memcpy(*base_end, *base, *base_len);
    (*base_end)[key_len] = '/' + 1;
    memcpy(*kids, *base, *base_len);
    (*kids)[*base_len] = '\0';
    return 0;
}

void v2Gate(struct api_req *req, api_read_fn fn)
{
    apiReadOr(req, false, fn, v2ReplyServerError);
}

/* ---- routing ---- */

void apiV2(struct api_req *req)
{
    static const char page404[] = "404 page not found\n";
    const char *p = req->path;
    if (!req->api->deps.config->enable_v2) {
        apiReplyRaw(req, 404, "text/plain; charset=utf-8", page404,
                    sizeof page404 - 1);
        return;
    }
    if (strcmp(p, "/v2/keys") == 0 || strncmp(p, "/v2/keys/", 9) == 0) {
        keysRequest(req, p + 8);
    } else if (strcmp(p, "/v2/members") == 0) {
        v2Members(req, "");
    } else if (strncmp(p, "/v2/members/", 12) == 0) {
        v2Members(req, p + 12);
    } else {
        apiReplyRaw(req, 404, "text/plain; charset=utf-8", page404,
                    sizeof page404 - 1);
    }
}
