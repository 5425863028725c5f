/* A mirror's stream from above (mirror.h): one HTTP connection to an
 * upstream's peer port (plain or peer TLS), POST /etcfs/v1/mirror, the
 * chunked answer parsed by http-parser and cut into feed frames. Loop
 * thread only. */
#include "mirror.h"

#include <http_parser.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/buf.h"
#include "../src/lib/log.h"
#include "../src/lib/stream.h"
#include "forward.h"
#include "node_internal.h"

#define MIRROR__TICK_MS 250
#define MIRROR__RETRY_MIN_MS 100
#define MIRROR__RETRY_MAX_MS 2000
#define MIRROR__MAX_FRAME ((size_t)64 << 20)

struct mirror
{
    struct node *n;
    char up[MIRROR_MAX_UPSTREAMS][300];
    unsigned n_up;
    unsigned cur; /* the upstream tried last */
    struct tls_ctx *tls;
    struct stream *s;
    http_parser parser;
    bool head_done;
    bool ok;         /* HTTP 200 */
    struct buf err;  /* the body of a refusal */
    struct buf in;   /* frame bytes not yet complete */
    /* a snapshot being received */
    bool snap;
    uint64_t snap_index;
    uint64_t snap_size;
    struct buf snap_buf;
    struct feed_marker marker;
    bool have_marker;
    uint64_t through;
    uint64_t last_frame_ms;
    uint64_t retry_at_ms;
    unsigned retry_ms;
    uv_timer_t timer;
    bool closing;
    unsigned handles;
    void (*close_cb)(void *data);
    void *close_data;
};

static uint64_t nowMs(struct mirror *m)
{
    return uv_now(m->n->loop);
}

static void disconnect(struct mirror *m, const char *why)
{
    if (m->s == NULL) {
        return;
    }
    if (why != NULL) {
        warnf("mirror: upstream %s: %s", m->up[m->cur], why);
    }
    streamClose(m->s, NULL);
    m->s = NULL;
    m->have_marker = false;
    m->snap = false;
    bufFree(&m->snap_buf);
    bufReset(&m->in);
    /* the next upstream, after a pause that grows while they fail */
    m->cur = (m->cur + 1) % m->n_up;
    m->retry_at_ms = nowMs(m) + m->retry_ms;
    m->retry_ms = m->retry_ms * 2 > MIRROR__RETRY_MAX_MS
                      ? MIRROR__RETRY_MAX_MS
                      : m->retry_ms * 2;
}

/* ---- applying what arrives ---- */

static int applyEntry(struct mirror *m, const char *p, size_t len)
{
    struct command_result *res = NULL;
    uint64_t index;
    uint64_t term;
    int rv;
    if (len < 16) {
        return -1;
    }
    index = bufGetU64(p);
    term = bufGetU64(p + 8);
    rv = fsmApplyEntry(m->n, index, term, p + 16, len - 16, &res);
    if (rv != 0) {
        errorf("mirror: applying entry %llu failed (%d): reconnecting",
               (unsigned long long)index, rv);
        return -1;
    }
    commandResultFree(res);
    if (index > m->through) {
        m->through = index;
    }
    return 0;
}

static int applyMarker(struct mirror *m, const char *p, size_t len)
{
    struct feed_marker mk;
    struct node *n = m->n;
    if (feedMarkerDecode(p, len, &mk) != 0) {
        return -1;
    }
    if (mk.leader != m->marker.leader || !m->have_marker) {
        infof("mirror: leader is %016llx (term %llu) via %s",
              (unsigned long long)mk.leader, (unsigned long long)mk.term,
              m->up[m->cur]);
    }
    if (mk.n_servers != m->marker.n_servers ||
        memcmp(mk.servers, m->marker.servers,
               mk.n_servers * sizeof mk.servers[0]) != 0 ||
        !m->have_marker) {
        /* the cluster's configuration, for the member list */
        unsigned i;
        raft_configuration_close(&n->mirror_conf);
        raft_configuration_init(&n->mirror_conf);
        for (i = 0; i < mk.n_servers; i++) {
            (void)raft_configuration_add(&n->mirror_conf, mk.servers[i].id,
                                         mk.servers[i].address,
                                         mk.servers[i].role);
        }
    }
    m->marker = mk;
    m->have_marker = true;
    if (mk.cluster_id != 0) {
        n->cluster_id = mk.cluster_id;
    }
    n->known_leader = mk.leader;
    if (mk.through > m->through) {
        m->through = mk.through;
    }
    m->retry_ms = MIRROR__RETRY_MIN_MS; /* this upstream works */
    feedTouch(n->feed);
    readOnApplied(n);
    return 0;
}

/* The store replaced: the mount and the watchers learn what changed as
 * events (one synthetic command holding them all), after the caches were
 * dropped as after any restore. */
static void snapshotNotify(struct mirror *m, struct store_events *ev)
{
    struct node *n = m->n;
    struct command cmd;
    struct command_result res;
    if (n->hooks.applied == NULL) {
        return;
    }
    n->hooks.applied(n->hooks.data, NULL, NULL, NULL);
    if (ev->n_events == 0) {
        return;
    }
    memset(&cmd, 0, sizeof cmd);
    memset(&res, 0, sizeof res);
    cmd.type = COMMAND_TXN;
    res.type = COMMAND_TXN;
    res.revision = storeRevision(n->store);
    n->hooks.applied(n->hooks.data, &cmd, &res, ev);
}

static int snapshotDone(struct mirror *m)
{
    struct node *n = m->n;
    struct store_snapshot *before = NULL;
    struct store_events ev = {0};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    m->snap = false;
    if (storeSnapshotTake(n->store, &before, errmsg) != 0) {
        before = NULL; /* no events then: the caches are dropped anyway */
        warnf("mirror: %s", errmsg);
    }
    rv = storeRestore(n->store, m->snap_buf.data, m->snap_buf.len, errmsg);
    bufFree(&m->snap_buf);
    if (rv != 0) {
        errorf("mirror: snapshot from %s: %s", m->up[m->cur], errmsg);
        if (before != NULL) {
            storeSnapshotRelease(before);
        }
        return -1;
    }
    if (before != NULL) {
        if (storeDiff(before, &ev, errmsg) != 0) {
            warnf("mirror: what the snapshot changed: %s", errmsg);
        }
        storeSnapshotRelease(before);
    }
    infof("mirror: store replaced by a snapshot at index %llu from %s (%zu "
          "keys changed)",
          (unsigned long long)m->snap_index, m->up[m->cur], ev.n_events);
    n->meta_gen++;
    if (m->snap_index > m->through) {
        m->through = m->snap_index;
    }
    snapshotNotify(m, &ev);
    storeEventsClear(&ev);
    readOnApplied(n);
    return 0;
}

/* One whole frame. -1: the stream is broken (reconnect). */
static int frame(struct mirror *m, char type, const char *p, size_t len)
{
    if (m->snap && type != 'D') {
        return -1;
    }
    switch (type) {
        case 'E':
            return applyEntry(m, p, len);
        case 'M':
            return applyMarker(m, p, len);
        case 'S':
            if (len != 16) {
                return -1;
            }
            m->snap_index = bufGetU64(p);
            m->snap_size = bufGetU64(p + 8);
            bufReset(&m->snap_buf);
            if (bufReserve(&m->snap_buf, m->snap_size) != 0) {
                return -1;
            }
            m->snap = true;
            return m->snap_size == 0 ? snapshotDone(m) : 0;
        case 'D':
            if (!m->snap || m->snap_buf.len + len > m->snap_size ||
                bufAppend(&m->snap_buf, p, len) != 0) {
                return -1;
            }
            return m->snap_buf.len == m->snap_size ? snapshotDone(m) : 0;
        default:
            return -1;
    }
}

/* Cuts the body into frames. */
static int body(struct mirror *m, const char *at, size_t len)
{
    size_t off = 0;
    if (bufAppend(&m->in, at, len) != 0) {
        return -1;
    }
    while (m->in.len - off >= FEED_FRAME_HEAD) {
        const char *f = m->in.data + off;
        size_t flen = bufGetU32(f + 1);
        if (flen > MIRROR__MAX_FRAME) {
            return -1;
        }
        if (m->in.len - off < FEED_FRAME_HEAD + flen) {
            break;
        }
        if (frame(m, f[0], f + FEED_FRAME_HEAD, flen) != 0) {
            return -1;
        }
        if (m->s == NULL) {
            return -1; /* closed meanwhile */
        }
        off += FEED_FRAME_HEAD + flen;
    }
    if (off > 0) {
        memmove(m->in.data, m->in.data + off, m->in.len - off);
        m->in.len -= off;
    }
    return 0;
}

/* ---- HTTP ---- */

static int onHeadersComplete(http_parser *p)
{
    struct mirror *m = p->data;
    m->head_done = true;
    m->ok = p->status_code == 200;
    return 0;
}

static int onBody(http_parser *p, const char *at, size_t len)
{
    struct mirror *m = p->data;
    if (!m->ok) {
        return bufAppend(&m->err, at, len < 512 ? len : 512) == 0 ? 0 : -1;
    }
    return body(m, at, len) == 0 ? 0 : -1;
}

static int onMessageComplete(http_parser *p)
{
    (void)p;
    return -1; /* the stream never ends on its own: treat as an error */
}

static const http_parser_settings mirrorParserSettings = {
    .on_headers_complete = onHeadersComplete,
    .on_body = onBody,
    .on_message_complete = onMessageComplete,
};

static void readCb(struct stream *st, const char *data, size_t len)
{
    struct mirror *m = st->data;
    size_t n;
    m->last_frame_ms = nowMs(m);
    n = http_parser_execute(&m->parser, &mirrorParserSettings, data, len);
    if (m->s != st) {
        return; /* disconnected inside a callback */
    }
    if (n != len || HTTP_PARSER_ERRNO(&m->parser) != HPE_OK) {
        char why[700];
        if (m->head_done && !m->ok) {
            (void)bufAppendByte(&m->err, '\0');
            snprintf(why, sizeof why, "HTTP %u: %s",
                     m->parser.status_code,
                     m->err.data != NULL ? m->err.data : "");
        } else {
            snprintf(why, sizeof why, "the stream broke");
        }
        bufFree(&m->err);
        disconnect(m, why);
    }
}

static void eventCb(struct stream *st, int status)
{
    struct mirror *m = st->data;
    char *req;
    char *body;
    char from[24];
    json_t *o;
    int n;
    if (m->s != st) {
        return;
    }
    if (status != 0) {
        disconnect(m, st->errmsg);
        return;
    }
    /* where to resume, and who asks (for the upstream's status) */
    snprintf(from, sizeof from, "%llu",
             (unsigned long long)storeAppliedIndex(m->n->store));
    o = json_pack("{s:s, s:s, s:s, s:s}", "from", from, "name",
                  m->n->cfg.name, "clientURLs", m->n->cfg.client_urls,
                  "peerURL", m->n->cfg.peer_url);
    body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (body == NULL) {
        disconnect(m, "out of memory");
        return;
    }
    n = asprintf(&req,
                 "POST /etcfs/v1/mirror HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                 "X-Etcfs-Forwarded: 1\r\n\r\n%s",
                 m->up[m->cur], strlen(body), body);
    free(body);
    if (n < 0 || streamWrite(st, req, (size_t)n, NULL, 0) != 0 ||
        streamStart(st) != 0) {
        disconnect(m, "cannot send the request");
        return;
    }
    infof("mirror: streaming from %s after index %llu", m->up[m->cur],
          (unsigned long long)storeAppliedIndex(m->n->store));
}

static void mirrorConnect(struct mirror *m)
{
    char host[300];
    int port;
    const char *addr = m->up[m->cur];
    if (streamSplitAddress(addr, host, sizeof host, &port) != 0) {
        warnf("mirror: upstream %s: not an address", addr);
        m->cur = (m->cur + 1) % m->n_up;
        m->retry_at_ms = nowMs(m) + MIRROR__RETRY_MAX_MS;
        return;
    }
    http_parser_init(&m->parser, HTTP_RESPONSE);
    m->parser.data = m;
    m->head_done = false;
    m->ok = false;
    m->last_frame_ms = nowMs(m);
    if (streamConnectAddress(m->n->loop, addr, m->tls, eventCb, m,
                             &m->s) != 0) {
        m->s = NULL;
        m->cur = (m->cur + 1) % m->n_up;
        m->retry_at_ms = nowMs(m) + m->retry_ms;
        return;
    }
    m->s->on_read = readCb;
}

static void tickCb(uv_timer_t *t)
{
    struct mirror *m = t->data;
    uint64_t now = nowMs(m);
    if (m->closing) {
        return;
    }
    if (m->s != NULL && now - m->last_frame_ms > FEED_SILENCE_MS) {
        disconnect(m, "silent: moving to the next upstream");
        m->retry_at_ms = now; /* at once: the next one may be fine */
    }
    if (m->s == NULL && now >= m->retry_at_ms) {
        mirrorConnect(m);
    }
}

/* ---- the node's side ---- */

int mirrorInit(struct mirror **out, struct node *n,
               const char (*upstreams)[300], unsigned n_upstreams,
               char *errmsg)
{
    struct mirror *m;
    unsigned i;
    if (n_upstreams == 0 || n_upstreams > MIRROR_MAX_UPSTREAMS) {
        etcfsErrmsgf(errmsg, "--mirror-of: 1 to %d upstreams",
                     MIRROR_MAX_UPSTREAMS);
        return ETCFS_INVALID;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        etcfsErrmsgf(errmsg, "mirror: out of memory");
        return ETCFS_NOMEM;
    }
    m->n = n;
    for (i = 0; i < n_upstreams; i++) {
        snprintf(m->up[i], sizeof m->up[i], "%s", upstreams[i]);
    }
    m->n_up = n_upstreams;
    m->retry_ms = MIRROR__RETRY_MIN_MS;
    m->through = storeAppliedIndex(n->store);
    (void)uv_timer_init(n->loop, &m->timer);
    m->timer.data = m;
    m->handles = 1;
    *out = m;
    return 0;
}

void mirrorSetTls(struct mirror *m, struct tls_ctx *tls)
{
    m->tls = tls;
}

void mirrorStart(struct mirror *m)
{
    mirrorConnect(m);
    (void)uv_timer_start(&m->timer, tickCb, MIRROR__TICK_MS,
                         MIRROR__TICK_MS);
}

uint64_t mirrorThrough(const struct mirror *m)
{
    return m->through;
}

const struct feed_marker *mirrorMarker(const struct mirror *m)
{
    if (m->s == NULL || !m->have_marker ||
        uv_now(m->n->loop) - m->last_frame_ms > FEED_SILENCE_MS) {
        return NULL;
    }
    return &m->marker;
}

const char *mirrorUpstream(const struct mirror *m)
{
    return m->s != NULL ? m->up[m->cur] : "";
}

static void closedCb(uv_handle_t *h)
{
    struct mirror *m = h->data;
    if (--m->handles > 0) {
        return;
    }
    bufFree(&m->in);
    bufFree(&m->err);
    bufFree(&m->snap_buf);
    if (m->close_cb != NULL) {
        m->close_cb(m->close_data);
    }
    free(m);
}

void mirrorClose(struct mirror *m, void (*cb)(void *data), void *data)
{
    m->closing = true;
    m->close_cb = cb;
    m->close_data = data;
    if (m->s != NULL) {
        streamClose(m->s, NULL);
        m->s = NULL;
    }
    uv_close((uv_handle_t *)&m->timer, closedCb);
}
