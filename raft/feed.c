/* The feed (feed.h): a ring of the commands applied last and the streams
 * of the mirrors below this member. Loop thread; the snapshot of a
 * subscriber that fell behind the ring is encoded on the libuv pool. */
#include "feed.h"

#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "../src/lib/buf.h"
#include "../src/lib/log.h"

#define FEED__TICK_MS 20
#define FEED__QUEUE_MAX ((size_t)8 << 20) /* per subscriber, then pause */
#define FEED__CHUNK ((size_t)1 << 20)     /* snapshot bytes per 'D' */
#define FEED__MAX_ENTRIES ((size_t)1 << 20)

enum { SUB_SNAP_WORK = 1, SUB_SNAP_SEND, SUB_CATCHUP, SUB_LIVE };

/* A snapshot on the pool: outlives its subscriber if that one goes. */
struct feed_snapjob
{
    uv_work_t work;
    struct feed *f;
    struct feed_sub *sub; /* NULL once it went */
    struct store_snapshot *snap;
    char *buf;
    size_t len;
    int status;
};

struct fentry
{
    uint64_t index;
    uint64_t term;
    char *bytes; /* the whole 'E' frame */
    size_t len;
};

struct feed
{
    uv_loop_t *loop;
    struct store *store;
    size_t max_bytes;
    feed_marker_fn marker;
    void *marker_data;
    /* the ring: ents[(head + i) % cap], i < n */
    struct fentry *ents;
    size_t cap;
    size_t head;
    size_t n;
    size_t bytes;
    uint64_t base;    /* applied before the feed started: not in the ring */
    uint64_t dropped; /* highest index dropped from the ring */
    queue subs;
    unsigned n_subs;
    uv_check_t check;
    uv_timer_t timer; /* pumps the subscribers that are behind */
    bool timer_on;
    uv_timer_t beat;  /* the marker to every live one, now and then */
    bool beat_on;
    bool dirty;
    unsigned working; /* snapshots on the pool */
    bool closing;
    unsigned handles;
    void (*close_cb)(void *data);
    void *close_data;
};

/* ---- frames ---- */

static char *frameNew(char type, size_t len)
{
    char *p = malloc(FEED_FRAME_HEAD + len);
    if (p != NULL) {
        p[0] = type;
        bufPutU32(p + 1, (uint32_t)len);
    }
    return p;
}

int feedMarkerEncode(const struct feed_marker *m, char **out, size_t *len)
{
    struct buf b = {0};
    size_t alen = strlen(m->leader_address);
    unsigned i;
    int rv = 0;
    *out = NULL;
    rv |= bufAppend(&b, "M\0\0\0\0", FEED_FRAME_HEAD);
    rv |= bufAppendU64(&b, m->through);
    rv |= bufAppendU64(&b, m->term);
    rv |= bufAppendU64(&b, m->leader);
    rv |= bufAppendU64(&b, m->cluster_id);
    rv |= bufAppendByte(&b, (unsigned char)(alen >> 8));
    rv |= bufAppendByte(&b, (unsigned char)alen);
    rv |= bufAppend(&b, m->leader_address, alen);
    rv |= bufAppendU32(&b, m->n_servers);
    for (i = 0; i < m->n_servers; i++) {
        const struct feed_server *s = &m->servers[i];
        size_t sl = strlen(s->address);
        rv |= bufAppendU64(&b, s->id);
        rv |= bufAppendByte(&b, s->role);
        rv |= bufAppendByte(&b, (unsigned char)(sl >> 8));
        rv |= bufAppendByte(&b, (unsigned char)sl);
        rv |= bufAppend(&b, s->address, sl);
    }
    rv |= bufAppendU64(&b, m->commit);
    if (rv != 0) {
        bufFree(&b);
        return -1;
    }
    bufPutU32(b.data + 1, (uint32_t)(b.len - FEED_FRAME_HEAD));
    *out = b.data;
    *len = b.len;
    return 0;
}

/* Copies a length-prefixed (2 bytes) string of at most size - 1 bytes. */
static int takeString(const char **p, const char *end, char *out,
                      size_t size)
{
    size_t n;
    if (end - *p < 2) {
        return -1;
    }
    n = ((size_t)(unsigned char)(*p)[0] << 8) | (unsigned char)(*p)[1];
    *p += 2;
    if ((size_t)(end - *p) < n || n >= size) {
        return -1;
    }
    memcpy(out, *p, n);
    out[n] = '\0';
    *p += n;
    return 0;
}

int feedMarkerDecode(const char *p, size_t len, struct feed_marker *m)
{
    const char *end = p + len;
    unsigned i;
    memset(m, 0, sizeof *m);
    if (len < 32 + 2) {
        return -1;
    }
    m->through = bufGetU64(p);
    m->term = bufGetU64(p + 8);
    m->leader = bufGetU64(p + 16);
    m->cluster_id = bufGetU64(p + 24);
    p += 32;
    if (takeString(&p, end, m->leader_address, sizeof m->leader_address) !=
            0 ||
        end - p < 4) {
        return -1;
    }
    m->n_servers = bufGetU32(p);
    p += 4;
    if (m->n_servers > FEED_MAX_SERVERS) {
        return -1;
    }
    for (i = 0; i < m->n_servers; i++) {
        struct feed_server *s = &m->servers[i];
        if (end - p < 9) {
            return -1;
        }
        s->id = bufGetU64(p);
        s->role = (uint8_t)p[8];
        p += 9;
        if (takeString(&p, end, s->address, sizeof s->address) != 0) {
            return -1;
        }
    }
    if (end - p != 8) {
        return -1;
    }
    m->commit = bufGetU64(p);
    return 0;
}

/* ---- the ring ---- */

static struct fentry *ringAt(struct feed *f, size_t i)
{
    return &f->ents[(f->head + i) % f->cap];
}

static void ringDropOldest(struct feed *f)
{
    struct fentry *e = ringAt(f, 0);
    f->dropped = e->index;
    f->bytes -= e->len;
    free(e->bytes);
    e->bytes = NULL;
    f->head = (f->head + 1) % f->cap;
    f->n--;
}

static int ringGrow(struct feed *f)
{
    size_t cap = f->cap == 0 ? 1024 : 2 * f->cap;
    struct fentry *v;
    size_t i;
    if (cap > FEED__MAX_ENTRIES) {
        return -1;
    }
    v = malloc(cap * sizeof *v);
    if (v == NULL) {
        return -1;
    }
    for (i = 0; i < f->n; i++) {
        v[i] = *ringAt(f, i);
    }
    free(f->ents);
    f->ents = v;
    f->cap = cap;
    f->head = 0;
    return 0;
}

/* Position of the first entry with index >= want (f->n if none). */
static size_t ringFind(struct feed *f, uint64_t want)
{
    size_t lo = 0;
    size_t hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ringAt(f, mid)->index < want) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* ---- subscribers ---- */

static void feedMaybeFree(struct feed *f);

/* s leaves the feed: a snapshot job on the pool forgets it. */
static void subDetach(struct feed_sub *s)
{
    struct feed *f = s->f;
    QUEUE_REMOVE(&s->link);
    f->n_subs--;
    s->f = NULL;
    if (s->job != NULL) {
        s->job->sub = NULL;
        s->job = NULL;
    }
    free(s->snap_buf);
    s->snap_buf = NULL;
    bufFree(&s->out);
}

static void subEnd(struct feed_sub *s, int status)
{
    subDetach(s);
    s->end(s, status);
}

static int subSendCopy(struct feed_sub *s, const char *bytes, size_t len)
{
    char *p = malloc(len);
    if (p == NULL) {
        return ETCFS_NOMEM;
    }
    memcpy(p, bytes, len);
    return s->send(s, p, len);
}

static int subSendMarker(struct feed_sub *s, const struct feed_marker *m)
{
    char *p;
    size_t len;
    if (feedMarkerEncode(m, &p, &len) != 0) {
        return ETCFS_NOMEM;
    }
    s->sent = *m;
    return s->send(s, p, len);
}

static void snapWork(uv_work_t *w)
{
    struct feed_snapjob *j = w->data;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    void *buf = NULL;
    size_t len = 0;
    j->status = storeSnapshotEncode(j->snap, malloc, &buf, &len, errmsg);
    if (j->status != 0) {
        errorf("feed: snapshot for a mirror: %s", errmsg);
        free(buf);
        buf = NULL;
    }
    j->buf = buf;
    j->len = len;
}

static void pump(struct feed_sub *s);
static void tickArm(struct feed *f);

static void snapWorkDone(uv_work_t *w, int status)
{
    struct feed_snapjob *j = w->data;
    struct feed *f = j->f;
    struct feed_sub *s = j->sub;
    char *head;
    (void)status;
    storeSnapshotRelease(j->snap);
    f->working--;
    if (s == NULL) {
        free(j->buf);
        free(j);
        feedMaybeFree(f);
        return;
    }
    s->job = NULL;
    s->snap_buf = j->buf;
    s->snap_len = j->len;
    status = j->status != 0 ? j->status : j->buf == NULL ? ETCFS_NOMEM : 0;
    free(j);
    if (status != 0) {
        subEnd(s, status);
        return;
    }
    head = frameNew('S', 16);
    if (head == NULL) {
        subEnd(s, ETCFS_NOMEM);
        return;
    }
    bufPutU64(head + FEED_FRAME_HEAD, s->snap_index);
    bufPutU64(head + FEED_FRAME_HEAD + 8, s->snap_len);
    if (s->send(s, head, FEED_FRAME_HEAD + 16) != 0) {
        return; /* its owner unsubscribes */
    }
    infof("feed: a mirror gets a snapshot at index %llu (%zu bytes)",
          (unsigned long long)s->snap_index, s->snap_len);
    s->snap_off = 0;
    s->state = SUB_SNAP_SEND;
    pump(s);
}

static int snapStart(struct feed_sub *s)
{
    struct feed *f = s->f;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    struct feed_snapjob *j = calloc(1, sizeof *j);
    int rv;
    if (j == NULL) {
        return ETCFS_NOMEM;
    }
    rv = storeSnapshotTake(f->store, &j->snap, errmsg);
    if (rv != 0) {
        errorf("feed: %s", errmsg);
        free(j);
        return rv;
    }
    j->f = f;
    j->sub = s;
    j->work.data = j;
    s->snap_index = storeSnapshotIndex(j->snap);
    if (uv_queue_work(f->loop, &j->work, snapWork, snapWorkDone) != 0) {
        storeSnapshotRelease(j->snap);
        free(j);
        return ETCFS_IO;
    }
    s->job = j;
    s->state = SUB_SNAP_WORK;
    f->working++;
    return 0;
}

/* Sends what s is owed while its client keeps up; LIVE once it has all. */
static void pump(struct feed_sub *s)
{
    struct feed *f = s->f;
    while (f != NULL && s->state != SUB_LIVE && s->state != SUB_SNAP_WORK) {
        if (s->queued(s) > FEED__QUEUE_MAX) {
            tickArm(f); /* the tick comes back */
            return;
        }
        if (s->state == SUB_SNAP_SEND) {
            size_t n = s->snap_len - s->snap_off;
            char *p;
            if (n > FEED__CHUNK) {
                n = FEED__CHUNK;
            }
            if (n > 0) {
                p = frameNew('D', n);
                if (p == NULL) {
                    subEnd(s, ETCFS_NOMEM);
                    return;
                }
                memcpy(p + FEED_FRAME_HEAD, s->snap_buf + s->snap_off, n);
                s->snap_off += n;
                if (s->send(s, p, FEED_FRAME_HEAD + n) != 0) {
                    return;
                }
            }
            if (s->snap_off == s->snap_len) {
                free(s->snap_buf);
                s->snap_buf = NULL;
                s->next = s->snap_index + 1;
                s->state = SUB_CATCHUP;
            }
            continue;
        }
        /* CATCHUP: from the ring, or a snapshot if it lost what s needs */
        if (s->next <= f->dropped || s->next <= f->base) {
            if (snapStart(s) != 0) {
                subEnd(s, ETCFS_IO);
            }
            return;
        }
        {
            size_t pos = ringFind(f, s->next);
            struct fentry *e;
            if (pos == f->n) {
                struct feed_marker m;
                s->state = SUB_LIVE;
                f->marker(f->marker_data, &m);
                (void)subSendMarker(s, &m);
                return;
            }
            e = ringAt(f, pos);
            s->next = e->index + 1;
            if (subSendCopy(s, e->bytes, e->len) != 0) {
                return;
            }
        }
    }
}

static void tickCb(uv_timer_t *t)
{
    struct feed *f = t->data;
    bool behind = false;
    queue *q;
    queue *next;
    for (q = QUEUE_NEXT(&f->subs); q != &f->subs; q = next) {
        struct feed_sub *s = QUEUE_DATA(q, struct feed_sub, link);
        next = QUEUE_NEXT(q);
        if (s->state != SUB_LIVE) {
            pump(s);
        }
    }
    QUEUE_FOREACH(q, &f->subs)
    {
        behind |= QUEUE_DATA(q, struct feed_sub, link)->state != SUB_LIVE;
    }
    if (!behind) {
        (void)uv_timer_stop(&f->timer);
        f->timer_on = false;
    }
}

/* Some subscriber waits for its client or the pool: pump until none. */
static void tickArm(struct feed *f)
{
    if (!f->timer_on && !f->closing) {
        f->timer_on = uv_timer_start(&f->timer, tickCb, FEED__TICK_MS,
                                     FEED__TICK_MS) == 0;
    }
}

static void beatCb(uv_timer_t *t)
{
    struct feed *f = t->data;
    struct feed_marker m;
    queue *q;
    queue *next;
    if (f->n_subs == 0) {
        (void)uv_timer_stop(&f->beat);
        f->beat_on = false;
        return;
    }
    f->marker(f->marker_data, &m);
    for (q = QUEUE_NEXT(&f->subs); q != &f->subs; q = next) {
        struct feed_sub *s = QUEUE_DATA(q, struct feed_sub, link);
        next = QUEUE_NEXT(q);
        if (s->state == SUB_LIVE) {
            (void)subSendMarker(s, &m);
        }
    }
}

/* End of a loop iteration: the marker, if it moved, to the live ones. */
static void checkCb(uv_check_t *c)
{
    struct feed *f = c->data;
    struct feed_marker m;
    queue *q;
    queue *next;
    if (!f->dirty || f->n_subs == 0) {
        f->dirty = false;
        return;
    }
    f->dirty = false;
    f->marker(f->marker_data, &m);
    for (q = QUEUE_NEXT(&f->subs); q != &f->subs; q = next) {
        struct feed_sub *s = QUEUE_DATA(q, struct feed_sub, link);
        next = QUEUE_NEXT(q);
        if (s->out.len > 0) {
            char *bytes = s->out.data;
            size_t len = s->out.len;
            memset(&s->out, 0, sizeof s->out);
            if (s->send(s, bytes, len) != 0) {
                continue; /* its owner unsubscribes */
            }
        }
        if (s->state == SUB_LIVE &&
            (m.through != s->sent.through || m.commit != s->sent.commit ||
             m.leader != s->sent.leader ||
             m.term != s->sent.term || m.n_servers != s->sent.n_servers ||
             memcmp(m.servers, s->sent.servers,
                    m.n_servers * sizeof m.servers[0]) != 0)) {
            (void)subSendMarker(s, &m);
        }
    }
}

/* ---- the owner's side ---- */

int feedInit(struct feed **out, uv_loop_t *loop, struct store *store,
             size_t max_bytes, feed_marker_fn marker, void *marker_data,
             char *errmsg)
{
    struct feed *f = calloc(1, sizeof *f);
    if (f == NULL) {
        etcfsErrmsgf(errmsg, "feed: out of memory");
        return ETCFS_NOMEM;
    }
    f->loop = loop;
    f->store = store;
    f->max_bytes = max_bytes;
    f->marker = marker;
    f->marker_data = marker_data;
    f->base = storeAppliedIndex(store);
    QUEUE_INIT(&f->subs);
    (void)uv_check_init(loop, &f->check);
    (void)uv_timer_init(loop, &f->timer);
    (void)uv_timer_init(loop, &f->beat);
    f->check.data = f;
    f->timer.data = f;
    f->beat.data = f;
    f->handles = 3;
    (void)uv_check_start(&f->check, checkCb);
    uv_unref((uv_handle_t *)&f->timer);
    uv_unref((uv_handle_t *)&f->beat);
    uv_unref((uv_handle_t *)&f->check);
    *out = f;
    return 0;
}

void feedAppend(struct feed *f, uint64_t index, uint64_t term,
                const void *bytes, size_t len)
{
    struct fentry *e;
    char *frame;
    queue *q;
    queue *next;
    if (f == NULL || f->closing) {
        return;
    }
    f->dirty = true;
    frame = frameNew('E', 16 + len);
    if (frame == NULL) {
        f->dropped = index; /* subscribers that need it get a snapshot */
        return;
    }
    bufPutU64(frame + FEED_FRAME_HEAD, index);
    bufPutU64(frame + FEED_FRAME_HEAD + 8, term);
    memcpy(frame + FEED_FRAME_HEAD + 16, bytes, len);
    while (f->n > 0 && (f->bytes + len > f->max_bytes ||
                        (f->n == f->cap && ringGrow(f) != 0))) {
        ringDropOldest(f);
    }
    if (f->n == f->cap && ringGrow(f) != 0) {
        free(frame);
        f->dropped = index;
        return;
    }
    e = ringAt(f, f->n);
    e->index = index;
    e->term = term;
    e->bytes = frame;
    e->len = FEED_FRAME_HEAD + 16 + len;
    f->n++;
    f->bytes += e->len;
    for (q = QUEUE_NEXT(&f->subs); q != &f->subs; q = next) {
        struct feed_sub *s = QUEUE_DATA(q, struct feed_sub, link);
        next = QUEUE_NEXT(q);
        if (s->state != SUB_LIVE) {
            continue;
        }
        if (s->queued(s) > FEED__QUEUE_MAX) {
            s->state = SUB_CATCHUP; /* from the ring when it drained */
            s->next = index;
            tickArm(f);
            continue;
        }
        s->next = index + 1;
        /* one write per subscriber per loop iteration (checkCb), not one
         * per entry */
        if (bufAppend(&s->out, e->bytes, e->len) != 0) {
            (void)subSendCopy(s, e->bytes, e->len);
        }
    }
}

void feedTouch(struct feed *f)
{
    if (f != NULL) {
        f->dirty = true;
    }
}

int feedSubscribe(struct feed *f, struct feed_sub *s, uint64_t from)
{
    if (f->closing) {
        return ETCFS_SHUTDOWN;
    }
    s->f = f;
    s->state = SUB_CATCHUP;
    s->next = from + 1;
    s->job = NULL;
    s->snap_buf = NULL;
    memset(&s->out, 0, sizeof s->out);
    memset(&s->sent, 0, sizeof s->sent);
    QUEUE_PUSH(&f->subs, &s->link);
    f->n_subs++;
    if (!f->beat_on) {
        f->beat_on = uv_timer_start(&f->beat, beatCb, FEED_HEARTBEAT_MS,
                                    FEED_HEARTBEAT_MS) == 0;
    }
    pump(s);
    if (s->f != NULL && s->state != SUB_LIVE) {
        tickArm(f);
    }
    return 0;
}

void feedUnsubscribe(struct feed_sub *s)
{
    if (s->f != NULL) {
        subDetach(s);
    }
}

unsigned feedSubscribers(const struct feed *f)
{
    return f != NULL ? f->n_subs : 0;
}

void feedEach(struct feed *f, void (*fn)(void *data, struct feed_sub *s),
              void *data)
{
    queue *q;
    QUEUE_FOREACH(q, &f->subs)
    {
        fn(data, QUEUE_DATA(q, struct feed_sub, link));
    }
}

static void feedMaybeFree(struct feed *f)
{
    if (!f->closing || f->handles > 0 || f->working > 0) {
        return;
    }
    while (f->n > 0) {
        ringDropOldest(f);
    }
    free(f->ents);
    if (f->close_cb != NULL) {
        f->close_cb(f->close_data);
    }
    free(f);
}

static void handleClosedCb(uv_handle_t *h)
{
    struct feed *f = h->data;
    f->handles--;
    feedMaybeFree(f);
}

void feedClose(struct feed *f, void (*cb)(void *data), void *data)
{
    f->closing = true;
    f->close_cb = cb;
    f->close_data = data;
    while (!QUEUE_IS_EMPTY(&f->subs)) {
        struct feed_sub *s =
            QUEUE_DATA(QUEUE_HEAD(&f->subs), struct feed_sub, link);
        subEnd(s, ETCFS_SHUTDOWN);
    }
    uv_close((uv_handle_t *)&f->check, handleClosedCb);
    uv_close((uv_handle_t *)&f->timer, handleClosedCb);
    uv_close((uv_handle_t *)&f->beat, handleClosedCb);
}
