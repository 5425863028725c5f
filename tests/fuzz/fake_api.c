/* Stand-ins for what the client API talks to (fake_api.h). Everything
 * queued here runs in fakeRun, as a loop turn would run it; ownership
 * follows the real headers (server.h, store.h, stream.h, watch.h). */
#include "fake_api.h"

#include <assert.h>
#include <http_parser.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../raft/command.h"
#include "../../raft/feed.h"
#include "../../raft/node.h"
#include "../../src/core/error.h"
#include "../../src/core/metrics.h"
#include "../../src/lib/stream.h"
#include "../../src/server/authn.h"
#include "../../src/server/hashkv.h"
#include "../../src/server/server.h"
#include "../../src/server/watch.h"
#include "../../src/store/auth.h"
#include "../../src/store/store.h"
#include "fuzz_equal.h"

#define FAKE__REVISION 7
#define FAKE__COMPACTED 3
#define FAKE__SLOW_BYTES ((size_t)(64u << 20) + 1)

static unsigned fakeMode;

void fakeSetMode(unsigned mode)
{
    fakeMode = mode;
}

/* ---- the queue of later callbacks ---- */

struct fake_task
{
    void (*fn)(void *p, void *q, int status);
    void *p;
    void *q;
    int status;
};

static struct fake_task *fakeTasks;
static size_t fakeNTasks;
static size_t fakeCapTasks;

static void fakeLater(void (*fn)(void *, void *, int), void *p, void *q,
                      int status)
{
    if (fakeNTasks == fakeCapTasks) {
        size_t cap = fakeCapTasks == 0 ? 16 : fakeCapTasks * 2;
        struct fake_task *t = realloc(fakeTasks, cap * sizeof *t);
        assert(t != NULL);
        fakeTasks = t;
        fakeCapTasks = cap;
    }
    fakeTasks[fakeNTasks].fn = fn;
    fakeTasks[fakeNTasks].p = p;
    fakeTasks[fakeNTasks].q = q;
    fakeTasks[fakeNTasks].status = status;
    fakeNTasks++;
}

/* ---- the watch hub: registered watchers, one event each ---- */

struct fake_watch
{
    struct watcher *w;
    bool told;
};

static struct fake_watch *fakeWatches;
static size_t fakeNWatches;
static size_t fakeCapWatches;

size_t fakeWatchers(void)
{
    return fakeNWatches;
}

static bool fakeWatchDrop(struct watcher *w)
{
    size_t i;
    for (i = 0; i < fakeNWatches; i++) {
        if (fakeWatches[i].w == w) {
            fakeWatches[i] = fakeWatches[--fakeNWatches];
            return true;
        }
    }
    return false;
}

int watchHubAdd(struct watch_hub *h, struct watcher *w)
{
    (void)h;
    assert(w->events_cb != NULL && w->error_cb != NULL);
    if (w->start_revision > 0 && w->start_revision <= FAKE__COMPACTED) {
        return ETCFS_COMPACTED;
    }
    if (fakeNWatches == fakeCapWatches) {
        size_t cap = fakeCapWatches == 0 ? 16 : fakeCapWatches * 2;
        struct fake_watch *a = realloc(fakeWatches, cap * sizeof *a);
        assert(a != NULL);
        fakeWatches = a;
        fakeCapWatches = cap;
    }
    fakeWatches[fakeNWatches].w = w;
    fakeWatches[fakeNWatches].told = false;
    fakeNWatches++;
    return 0;
}

void watchHubRemove(struct watch_hub *h, struct watcher *w)
{
    bool found = fakeWatchDrop(w);
    (void)h;
    assert(found); /* the API removes only what it added, once */
}

/* Each watcher not told yet gets one event; start revision 4 asks for an
 * error instead (the hub then drops it before calling). */
static bool fakeTellWatchers(void)
{
    bool ran = false;
    size_t i = 0;
    while (i < fakeNWatches) {
        struct fake_watch *f = &fakeWatches[i];
        struct watcher *w = f->w;
        if (f->told) {
            i++;
            continue;
        }
        f->told = true;
        ran = true;
        if (w->start_revision == 4) {
            fakeWatchDrop(w);
            w->error_cb(w, ETCFS_IO, 0);
            i = 0; /* the array changed: start over */
            continue;
        }
        {
            struct store_event ev;
            memset(&ev, 0, sizeof ev);
            ev.type = w->no_put ? STORE_EVENT_DELETE : STORE_EVENT_PUT;
            ev.kv.key = (char *)w->key;
            ev.kv.key_len = w->key_len;
            ev.kv.value = (char *)"v";
            ev.kv.value_len = 1;
            ev.kv.mod_revision = FAKE__REVISION;
            ev.has_prev = w->prev_kv;
            ev.prev_kv = ev.kv;
            w->events_cb(w, &ev, 1, FAKE__REVISION);
        }
        i = 0; /* a callback may have changed the array */
    }
    return ran;
}

bool fakeRun(void)
{
    struct fake_task *tasks = fakeTasks;
    size_t n = fakeNTasks;
    size_t i;
    fakeTasks = NULL;
    fakeNTasks = 0;
    fakeCapTasks = 0;
    for (i = 0; i < n; i++) {
        tasks[i].fn(tasks[i].p, tasks[i].q, tasks[i].status);
    }
    free(tasks);
    return fakeTellWatchers() || n > 0;
}

/* ---- the stream ---- */

struct fake_stream
{
    struct stream s; /* first: the API sees only this */
    http_parser resp;
    bool bad;
    bool closed;    /* the close callback ran */
    bool head_only; /* the answer being checked is a HEAD's: no body */
    /* HTTP/2 (fakeStreamH2): the frames' 9-byte headers are checked */
    bool h2;
    unsigned char fh[9]; /* the header being read */
    size_t fh_len;
    size_t skip;         /* payload bytes of the current frame left */
};

/* An answer to HEAD has GET's Content-Length and no body: the checker's
 * parser is told so (http-parser cannot know it from the answer alone). */
static int fakeRespHeadersComplete(http_parser *p)
{
    struct fake_stream *f = p->data;
    bool skip = f->head_only;
    f->head_only = false;
    return skip ? 1 : 0;
}

static const http_parser_settings fakeRespSettings = {
    .on_headers_complete = fakeRespHeadersComplete};

struct stream *fakeStreamNew(void)
{
    struct fake_stream *f = calloc(1, sizeof *f);
    assert(f != NULL);
    f->s.established = true;
    f->s.server = true;
    http_parser_init(&f->resp, HTTP_RESPONSE);
    f->resp.data = f;
    return &f->s;
}

bool fakeStreamClosing(const struct stream *s)
{
    return s->closing;
}

bool fakeStreamWellFormed(const struct stream *s)
{
    return !((const struct fake_stream *)s)->bad;
}

void fakeStreamH2(struct stream *s)
{
    ((struct fake_stream *)s)->h2 = true;
}

/* What an HTTP/2 server may send (RFC 9113 4.1, 6): known frame types,
 * payloads within the default SETTINGS_MAX_FRAME_SIZE (our clients never
 * raise it: nghttp2 keeps to the default), connection frames on stream 0
 * and stream frames off it. */
static void fakeCheckH2(struct fake_stream *f, const unsigned char *p,
                        size_t len)
{
    while (len > 0 && !f->bad) {
        size_t n;
        if (f->skip > 0) {
            n = f->skip < len ? f->skip : len;
            f->skip -= n;
            p += n;
            len -= n;
            continue;
        }
        n = 9 - f->fh_len < len ? 9 - f->fh_len : len;
        memcpy(f->fh + f->fh_len, p, n);
        f->fh_len += n;
        p += n;
        len -= n;
        if (f->fh_len == 9) {
            size_t plen = (size_t)f->fh[0] << 16 | (size_t)f->fh[1] << 8 |
                          f->fh[2];
            unsigned type = f->fh[3];
            uint32_t sid = ((uint32_t)f->fh[5] << 24 |
                            (uint32_t)f->fh[6] << 16 |
                            (uint32_t)f->fh[7] << 8 | f->fh[8]) &
                           0x7fffffffu;
            bool conn = type == 4 || type == 6 || type == 7;
            if (plen > 16384 || type > 9 || (conn && sid != 0) ||
                (!conn && type != 8 && sid == 0)) {
                if (getenv("FAKE_DEBUG") != NULL) {
                    fprintf(stderr, "bad frame: type %u len %zu stream %u\n",
                            type, plen, sid);
                }
                f->bad = true;
            }
            f->skip = plen;
            f->fh_len = 0;
        }
    }
}

static void fakeCheck(struct fake_stream *f, const char *p, size_t len)
{
    size_t n;
    if (f->bad || len == 0) {
        return;
    }
    if (f->h2) {
        fakeCheckH2(f, (const unsigned char *)p, len);
        return;
    }
    n = http_parser_execute(&f->resp, &fakeRespSettings, p, len);
    if (n != len || HTTP_PARSER_ERRNO(&f->resp) != HPE_OK) {
        if (getenv("FAKE_DEBUG") != NULL) {
            fprintf(stderr, "bad answer (%s): [%.*s]\n",
                    http_errno_name(HTTP_PARSER_ERRNO(&f->resp)), (int)len, p);
        }
        f->bad = true;
    }
}

int streamWrite(struct stream *s, char *head, size_t head_len, char *body,
                size_t body_len)
{
    struct fake_stream *f = (struct fake_stream *)s;
    int rv = -1;
    if (!s->closing) {
        /* http.c writes an answer's head and body together; a head of
         * "Content-Length: N" (N > 0) with no body is a HEAD's answer */
        if (!f->h2 && body_len == 0 && head != NULL && head_len > 9 &&
            memcmp(head, "HTTP/1.1 ", 9) == 0 &&
            memcmp(head + head_len - 4, "\r\n\r\n", 4) == 0) {
            const char *cl = memmem(head, head_len, "Content-Length: ", 16);
            f->head_only = cl != NULL && cl[16] != '0';
        }
        fakeCheck(f, head, head_len);
        fakeCheck(f, body, body_len);
        rv = 0;
    }
    free(head);
    free(body);
    return rv;
}

size_t streamQueued(const struct stream *s)
{
    (void)s;
    return (fakeMode & FAKE_SLOW) != 0 ? FAKE__SLOW_BYTES : 0;
}

int streamStart(struct stream *s)
{
    (void)s;
    return 0;
}

int streamAccept(uv_loop_t *loop, uv_stream_t *server, struct tls_ctx *tls,
                 struct stream **out)
{
    (void)loop;
    (void)server;
    (void)tls;
    (void)out;
    return -1; /* the harness adopts its streams itself */
}

static void fakeClosedTask(void *p, void *q, int status)
{
    struct stream *s = p;
    (void)q;
    (void)status;
    ((struct fake_stream *)s)->closed = true;
    if (s->close_cb != NULL) {
        s->close_cb(s);
    }
}

bool fakeStreamClosed(const struct stream *s)
{
    return ((const struct fake_stream *)s)->closed;
}

void fakeStreamFree(struct stream *s)
{
    free(s);
}

void streamClose(struct stream *s, stream_close_cb cb)
{
    assert(!s->closing); /* closed once */
    s->closing = true;
    s->close_cb = cb;
    fakeLater(fakeClosedTask, s, NULL, 0);
}

/* ---- results of the request path ---- */

static void fakeKv(struct store_kv *kv, const char *key, size_t len,
                   bool with_value)
{
    memset(kv, 0, sizeof *kv);
    kv->key = malloc(len + 1);
    assert(kv->key != NULL);
    if (len > 0) {
        memcpy(kv->key, key, len);
    }
    kv->key[len] = '\0';
    kv->key_len = len;
    if (with_value) {
        kv->value = strdup("v");
        assert(kv->value != NULL);
        kv->value_len = 1;
    }
    kv->create_revision = 2;
    kv->mod_revision = FAKE__REVISION;
    kv->version = 3;
}

static void fakeTxnResp(struct store_txn_resp *r, const struct store_txn_req *t)
{
    const struct store_op *ops;
    size_t i;
    r->succeeded = t->n_compares % 2 == 0;
    ops = r->succeeded ? t->success : t->failure;
    r->n_responses = r->succeeded ? t->n_success : t->n_failure;
    r->responses = r->n_responses > 0
                       ? calloc(r->n_responses, sizeof *r->responses)
                       : NULL;
    assert(r->n_responses == 0 || r->responses != NULL);
    for (i = 0; i < r->n_responses; i++) {
        struct store_op_resp *o = &r->responses[i];
        o->type = ops[i].type;
        switch (ops[i].type) {
            case STORE_OP_RANGE:
                o->range.kvs = calloc(1, sizeof *o->range.kvs);
                assert(o->range.kvs != NULL);
                fakeKv(o->range.kvs, ops[i].range.key, ops[i].range.key_len,
                       !ops[i].range.keys_only);
                o->range.n_kvs = 1;
                o->range.count = 1;
                break;
            case STORE_OP_PUT:
                break;
            case STORE_OP_DELETE:
                o->delete_range.deleted = 1;
                break;
            default:
                o->txn = calloc(1, sizeof *o->txn);
                assert(o->txn != NULL);
                fakeTxnResp(o->txn, ops[i].txn);
                break;
        }
    }
}

static struct command_result *fakeResult(const struct command *cmd)
{
    struct command_result *r = calloc(1, sizeof *r);
    assert(r != NULL);
    r->type = cmd->type;
    r->revision = FAKE__REVISION;
    switch (cmd->type) {
        case COMMAND_PUT:
            if (cmd->put.prev_kv) {
                r->put.has_prev = true;
                fakeKv(&r->put.prev_kv, cmd->put.key, cmd->put.key_len, true);
            }
            break;
        case COMMAND_DELETE_RANGE:
            r->delete_range.deleted = 1;
            if (cmd->delete_range.prev_kv) {
                r->delete_range.prev_kvs = calloc(1, sizeof(struct store_kv));
                assert(r->delete_range.prev_kvs != NULL);
                fakeKv(r->delete_range.prev_kvs, cmd->delete_range.key,
                       cmd->delete_range.key_len, true);
                r->delete_range.n_prev_kvs = 1;
            }
            break;
        case COMMAND_TXN:
            fakeTxnResp(&r->txn, &cmd->txn);
            break;
        default:
            break;
    }
    return r;
}

/* ---- the request path ---- */

static void fakeWriteTask(void *p, void *q, int status)
{
    struct server_write *w = p;
    w->index = 11;
    w->cb(w, status, q);
}

int serverWrite(struct server *s, struct server_write *w, struct command *cmd)
{
    int rv = fuzzCommandRoundTrip(cmd); /* what raft_apply would get */
    (void)s;
    assert(rv == 0); /* the API proposes only well-formed commands */
    if ((fakeMode & FAKE_REFUSE) != 0) {
        return ETCFS_NOSPACE;
    }
    if ((fakeMode & FAKE_FAIL) != 0) {
        fakeLater(fakeWriteTask, w, NULL, ETCFS_TIMEOUT);
    } else {
        fakeLater(fakeWriteTask, w, fakeResult(cmd), 0);
    }
    return 0;
}

int serverLeaseGrantCommand(struct server *s, int64_t id, int64_t ttl,
                            struct command *cmd)
{
    (void)s;
    memset(cmd, 0, sizeof *cmd);
    if (id < 0) {
        return ETCFS_INVALID;
    }
    if (ttl > 9000000000LL) {
        return ETCFS_LEASE_TTL_TOO_LARGE;
    }
    cmd->type = COMMAND_LEASE_GRANT;
    cmd->lease_grant.id = id != 0 ? id : 0x1234;
    cmd->lease_grant.ttl = ttl < 5 ? 5 : ttl;
    return 0;
}

static void fakeReadTask(void *p, void *q, int status)
{
    struct server_read *r = p;
    (void)q;
    r->cb(r, status);
}

int serverRead(struct server *s, struct server_read *r, bool serializable)
{
    int status = (fakeMode & FAKE_FAIL) != 0 ? ETCFS_TIMEOUT : 0;
    (void)s;
    if (serializable) {
        r->cb(r, 0); /* server.c: before serverRead returns */
        return 0;
    }
    if ((fakeMode & FAKE_REFUSE) != 0) {
        return ETCFS_NOLEADER;
    }
    fakeLater(fakeReadTask, r, NULL, status);
    return 0;
}

static void fakeLeaseTask(void *p, void *q, int status)
{
    struct server_lease *l = p;
    (void)q;
    l->ttl = 10;
    l->granted = 60;
    l->cb(l, status);
}

int serverLease(struct server *s, struct server_lease *q)
{
    int status = (fakeMode & FAKE_FAIL) != 0 ? ETCFS_LEASE_NOTFOUND : 0;
    (void)s;
    if ((fakeMode & FAKE_REFUSE) != 0) {
        return ETCFS_NOLEADER;
    }
    if ((fakeMode & FAKE_ASYNC) == 0) {
        fakeLeaseTask(q, NULL, status); /* a leader answers at once */
    } else {
        fakeLater(fakeLeaseTask, q, NULL, status);
    }
    return 0;
}

static void fakeMemberTask(void *p, void *q, int status)
{
    struct server_member *m = p;
    (void)q;
    if (m->op == SERVER_MEMBER_ADD) {
        m->id = 0x42;
    }
    m->cb(m, status);
}

int serverMember(struct server *s, struct server_member *m)
{
    (void)s;
    if ((fakeMode & FAKE_REFUSE) != 0) {
        return ETCFS_INVALID;
    }
    fakeLater(fakeMemberTask, m, NULL,
              (fakeMode & FAKE_FAIL) != 0 ? ETCFS_NOLEADER : 0);
    return 0;
}

/* ---- the node ---- */

bool nodeIsLeader(struct node *n)
{
    (void)n;
    return (fakeMode & FAKE_FOLLOWER) == 0;
}

bool nodeHasLeader(struct node *n)
{
    (void)n;
    return (fakeMode & FAKE_FOLLOWER) == 0;
}

bool nodeLeaderCheck(struct node *n, uint64_t term, uint64_t leader)
{
    (void)n;
    return term == 3 && leader == 1;
}

uint64_t nodeId(struct node *n)
{
    (void)n;
    return 1;
}

uint64_t nodeClusterId(struct node *n)
{
    (void)n;
    return 0xc1;
}

uint64_t nodeTerm(struct node *n)
{
    (void)n;
    return 3;
}

void nodeStatus(struct node *n, struct node_status *st)
{
    (void)n;
    memset(st, 0, sizeof *st);
    st->id = 1;
    st->cluster_id = 0xc1;
    st->leader = (fakeMode & FAKE_FOLLOWER) != 0 ? 0 : 1;
    st->term = 3;
    st->commit_index = 11;
    st->applied_index = 11;
    st->last_index = 11;
}

int nodeMembers(struct node *n, struct node_member **members, size_t *count)
{
    struct node_member *m = calloc(2, sizeof *m);
    (void)n;
    if (m == NULL) {
        return ETCFS_NOMEM;
    }
    m[0].id = 1;
    strcpy(m[0].name, "m1");
    strcpy(m[0].peer_url, "http://127.0.0.1:2380,http://[::1]:2380");
    strcpy(m[0].client_urls, "http://127.0.0.1:2379");
    m[1].id = 0x42;
    strcpy(m[1].peer_url, "https://10.0.0.2:2380");
    m[1].is_learner = true;
    *members = m;
    *count = 2;
    return 0;
}

/* No feed: the mirror endpoint answers "shutting down" (its stream is
 * tested by tests/integration/mirror.sh). */
struct feed *nodeFeed(struct node *n)
{
    (void)n;
    return NULL;
}

int feedSubscribe(struct feed *f, struct feed_sub *s, uint64_t from)
{
    (void)f;
    (void)s;
    (void)from;
    return ETCFS_SHUTDOWN;
}

void feedUnsubscribe(struct feed_sub *s)
{
    (void)s;
}

unsigned serverPending(const struct server *s)
{
    (void)s;
    return 0;
}

unsigned feedSubscribers(const struct feed *f)
{
    (void)f;
    return 0;
}

void feedEach(struct feed *f, void (*fn)(void *data, struct feed_sub *s),
              void *data)
{
    (void)f;
    (void)fn;
    (void)data;
}

unsigned nodeStatusErrors(const struct node_status *st,
                          char (*errs)[NODE_ERROR_SIZE], unsigned max)
{
    if (st->leader != 0 || max == 0) {
        return 0;
    }
    snprintf(errs[0], NODE_ERROR_SIZE, "%s", etcfsStrerror(ETCFS_NOLEADER));
    return 1;
}

/* ---- the store ---- */

int64_t storeRevision(struct store *s)
{
    (void)s;
    return FAKE__REVISION;
}

int64_t storeCompactRevision(struct store *s)
{
    (void)s;
    return FAKE__COMPACTED;
}

uint64_t storeAppliedIndex(struct store *s)
{
    (void)s;
    return 11;
}

int64_t storeDbSize(struct store *s)
{
    (void)s;
    return 4096;
}

int64_t storeKeyCount(struct store *s)
{
    (void)s;
    return 5;
}

int storeRange(struct store *s, const struct store_range_req *req,
               struct store_range_resp *resp, char *errmsg)
{
    (void)s;
    if (req->revision > 0 && req->revision <= FAKE__COMPACTED) {
        return ETCFS_COMPACTED;
    }
    if (req->revision > FAKE__REVISION) {
        return ETCFS_FUTURE_REV;
    }
    if (req->key_len == 0) {
        etcfsErrmsgf(errmsg, "empty key");
        return ETCFS_INVALID;
    }
    memset(resp, 0, sizeof *resp);
    resp->count = 1;
    resp->revision = FAKE__REVISION;
    if (!req->count_only) {
        resp->kvs = calloc(1, sizeof *resp->kvs);
        if (resp->kvs == NULL) {
            return ETCFS_NOMEM;
        }
        fakeKv(resp->kvs, req->key, req->key_len, !req->keys_only);
        resp->n_kvs = 1;
    }
    return 0;
}

int storeLeaseList(struct store *s, struct store_lease **leases, size_t *n,
                   char *errmsg)
{
    struct store_lease *l = calloc(2, sizeof *l);
    (void)s;
    if (l == NULL) {
        etcfsErrmsgf(errmsg, "out of memory");
        return ETCFS_NOMEM;
    }
    l[0].id = 0x1234;
    l[0].ttl = 60;
    l[1].id = 7;
    l[1].ttl = 5;
    *leases = l;
    *n = 2;
    return 0;
}

int storeLeaseKeys(struct store *s, int64_t id, char ***keys, size_t **key_lens,
                   size_t *n, char *errmsg)
{
    (void)s;
    (void)errmsg;
    if (id != 0x1234) {
        return ETCFS_LEASE_NOTFOUND;
    }
    *keys = calloc(1, sizeof **keys);
    *key_lens = calloc(1, sizeof **key_lens);
    assert(*keys != NULL && *key_lens != NULL);
    (*keys)[0] = strdup("/a");
    assert((*keys)[0] != NULL);
    (*key_lens)[0] = 2;
    *n = 1;
    return 0;
}

void storeKeysFree(char **keys, size_t *key_lens, size_t n)
{
    size_t i;
    for (i = 0; keys != NULL && i < n; i++) {
        free(keys[i]);
    }
    free(keys);
    free(key_lens);
}

int storeSnapshotTake(struct store *s, struct store_snapshot **out,
                      char *errmsg)
{
    (void)s;
    (void)out;
    etcfsErrmsgf(errmsg, "snapshot: not in the fuzz harness");
    return ETCFS_IO; /* no thread pool here */
}

int storeSnapshotEncode(struct store_snapshot *snap, void *(*alloc)(size_t),
                        void **buf, size_t *len, char *errmsg)
{
    (void)snap;
    (void)alloc;
    *buf = NULL;
    *len = 0;
    etcfsErrmsgf(errmsg, "snapshot: not in the fuzz harness");
    return ETCFS_IO;
}

void storeSnapshotRelease(struct store_snapshot *snap)
{
    (void)snap;
}

/* ---- authentication (src/server/authn.c): a token "t..." names alice,
 * one "x..." is unknown; alice may touch /app/ only; root everything ---- */

static struct auth *fakeAuthState;

struct auth *storeAuth(struct store *s)
{
    (void)s;
    if (fakeAuthState == NULL) {
        fakeAuthState = authNew(); /* empty: auth off, as a new cluster */
        assert(fakeAuthState != NULL);
    }
    return fakeAuthState;
}

bool authnEnabled(struct server *s)
{
    (void)s;
    return (fakeMode & FAKE_FAIL) != 0; /* on in the failing mode */
}

int authnIdentify(struct server *s, const char *token, size_t token_len,
                  const char *cn, struct authn_user *who)
{
    who->name[0] = '\0';
    who->len = 0;
    if (!authnEnabled(s)) {
        return 0;
    }
    if (token != NULL && token_len > 0) {
        if (token[0] != 't') {
            return ETCFS_INVALID_TOKEN;
        }
        memcpy(who->name, "alice", 6);
        who->len = 5;
        return 0;
    }
    if (cn != NULL && cn[0] != '\0' && strlen(cn) <= AUTHN_NAME_MAX) {
        who->len = strlen(cn);
        memcpy(who->name, cn, who->len + 1);
    }
    return 0;
}

void authnStamp(const struct authn_user *who, struct command *cmd)
{
    cmd->user = who->len > 0 ? who->name : NULL;
    cmd->user_len = who->len;
}

static int fakeAllowed(struct server *s, const struct authn_user *who,
                       const char *key, size_t key_len)
{
    if (!authnEnabled(s)) {
        return 0;
    }
    if (who->len == 0) {
        return ETCFS_USER_EMPTY;
    }
    if (who->len == 4 && memcmp(who->name, "root", 4) == 0) {
        return 0;
    }
    return key_len >= 5 && memcmp(key, "/app/", 5) == 0
               ? 0
               : ETCFS_PERMISSION_DENIED;
}

int authnRead(struct server *s, const struct authn_user *who,
              const char *key, size_t key_len, const char *range_end,
              size_t range_end_len)
{
    (void)range_end;
    (void)range_end_len;
    return fakeAllowed(s, who, key, key_len);
}

int authnWrite(struct server *s, const struct authn_user *who,
               const char *key, size_t key_len, const char *range_end,
               size_t range_end_len)
{
    return authnRead(s, who, key, key_len, range_end, range_end_len);
}

int authnAdmin(struct server *s, const struct authn_user *who)
{
    return fakeAllowed(s, who, "", 0);
}

static void fakeAuthnTask(void *p, void *q, int status)
{
    struct authn_req *r = p;
    (void)q;
    r->cb(r, status);
}

int authnStart(struct server *s, struct authn_req *r, const char *password,
               size_t password_len)
{
    (void)password;
    r->s = s;
    if (password_len > AUTHN_PASSWORD_MAX) {
        return ETCFS_INVALID;
    }
    if (r->op == AUTHN_AUTHENTICATE && !authnEnabled(s)) {
        return ETCFS_AUTH_NOT_ENABLED;
    }
    strcpy(r->hash, "$2b$04$fakefakefakefakefakefuFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAK");
    strcpy(r->token, "tFAKEFAKEFAKEFAKE.1");
    fakeLater(fakeAuthnTask, r, NULL,
              (fakeMode & FAKE_REFUSE) != 0 ? ETCFS_AUTH_FAILED : 0);
    return 0;
}

int streamPeerCn(const struct stream *s, char *cn, size_t size)
{
    (void)s;
    if (size > 5) {
        memcpy(cn, "root", 5); /* a verified client certificate of root */
    }
    return (fakeMode & FAKE_REFUSE) != 0 ? -1 : 0;
}

void serverLeaseSort(struct server *s, struct store_lease *leases, size_t n)
{
    (void)s;
    (void)leases;
    (void)n; /* the order the fake store gave */
}

int serverLeaseRemaining(struct server *s, int64_t id, int64_t *remaining)
{
    (void)s;
    (void)id;
    *remaining = 0;
    return ETCFS_LEASE_NOTFOUND;
}

/* ---- for fuzz_grpc.c (and api_maint.c's hashes) ---- */

static void fakeHashTask(void *p, void *q, int status)
{
    struct server_hash *h = p;
    (void)q;
    h->status = status;
    h->res.hash = 0x1234567;
    h->res.revision = FAKE__REVISION;
    h->res.compact_revision = h->kv ? FAKE__COMPACTED : 0;
    h->cb(h);
}

int serverHash(uv_loop_t *loop, struct store *store, struct server_hash *req,
               server_hash_cb cb)
{
    (void)loop;
    (void)store;
    if ((fakeMode & FAKE_REFUSE) != 0) {
        return ETCFS_IO;
    }
    req->cb = cb;
    req->status = 0;
    req->errmsg[0] = '\0';
    /* always later: the real one runs on the pool */
    fakeLater(fakeHashTask, req, NULL,
              (fakeMode & FAKE_FAIL) != 0 ? ETCFS_COMPACTED : 0);
    return 0;
}

/* storeSnapshotTake fails here, so the bbolt stream never opens. */
int storeBoltOpen(struct store_snapshot *snap, struct store_bolt **out,
                  char *errmsg)
{
    (void)snap;
    (void)out;
    etcfsErrmsgf(errmsg, "snapshot: not in the fuzz harness");
    return ETCFS_IO;
}

uint64_t storeBoltSize(const struct store_bolt *b)
{
    (void)b;
    return 0;
}

int storeBoltRead(struct store_bolt *b, void *dst, size_t cap, size_t *n,
                  char *errmsg)
{
    (void)b;
    (void)dst;
    (void)cap;
    (void)errmsg;
    *n = 0;
    return 0;
}

void storeBoltClose(struct store_bolt *b)
{
    (void)b;
}

bool serverMemberSettle(struct server *s, struct server_read *r)
{
    (void)s;
    if ((fakeMode & FAKE_ASYNC) == 0) {
        return false;
    }
    fakeLater(fakeReadTask, r, NULL, (fakeMode & FAKE_FAIL) != 0
                                         ? ETCFS_NOLEADER
                                         : 0);
    return true;
}

int authnOpCheck(const struct auth_op *op, char *errmsg)
{
    (void)errmsg;
    if (op->name_len == 0) {
        return op->type >= AUTH_OP_ROLE_ADD ? ETCFS_ROLE_EMPTY
                                         : ETCFS_USER_EMPTY;
    }
    return 0;
}

static int fakeNames(const char *name, char ***out, size_t *n)
{
    char **v = calloc(1, sizeof *v);
    assert(v != NULL);
    v[0] = strdup(name);
    assert(v[0] != NULL);
    *out = v;
    *n = 1;
    return 0;
}

int authnUserGet(struct server *s, const struct authn_user *who,
                 const char *name, size_t len, char ***roles, size_t *n)
{
    (void)s;
    (void)who;
    if (len != 4 || memcmp(name, "root", 4) != 0) {
        return ETCFS_USER_NOTFOUND;
    }
    return fakeNames("root", roles, n);
}

int authnRoleGet(struct server *s, const struct authn_user *who,
                 const char *role, size_t len, struct auth_perm **perms,
                 size_t *n)
{
    struct auth_perm *p;
    (void)s;
    (void)who;
    if (len != 4 || memcmp(role, "root", 4) != 0) {
        return ETCFS_ROLE_NOTFOUND;
    }
    p = calloc(1, sizeof *p);
    assert(p != NULL);
    p->type = 2;
    p->key = strdup("/app/");
    p->range_end = strdup("/app0");
    assert(p->key != NULL && p->range_end != NULL);
    p->key_len = 5;
    p->range_end_len = 5;
    *perms = p;
    *n = 1;
    return 0;
}

int authnList(struct server *s, const struct authn_user *who, bool users,
              char ***names, size_t *n)
{
    (void)s;
    (void)who;
    return fakeNames(users ? "root" : "reader", names, n);
}
