/* Stub snapshots and the full encoding on demand (snapshot.h). */
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "../src/core/error.h"
#include "../src/lib/log.h"
#include "node_internal.h"

#define SNAPSHOT__MAGIC "ETCFSSTB"

static void putU64(unsigned char *p, uint64_t v)
{
    unsigned i;
    for (i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t getU64(const unsigned char *p)
{
    uint64_t v = 0;
    unsigned i;
    for (i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

void snapshotStubEncode(void *buf, uint64_t index, uint64_t term)
{
    unsigned char *p = buf;
    memcpy(p, SNAPSHOT__MAGIC, 8);
    putU64(p + 8, index);
    putU64(p + 16, term);
}

bool snapshotStubDecode(const void *buf, size_t len, uint64_t *index)
{
    const unsigned char *p = buf;
    if (len != SNAPSHOT_STUB_SIZE || memcmp(p, SNAPSHOT__MAGIC, 8) != 0) {
        return false;
    }
    *index = getU64(p + 8);
    return true;
}

/* One node per process: raft_uv calls back with the request only. */
static struct snapshot_lazy *snapshotSelf;

/* A full encoding of the store for one snapshot_get. */
struct snapshot_encode
{
    uv_work_t work;
    struct snapshot_lazy *l;
    struct raft_io_snapshot_get *req;
    raft_io_snapshot_get_cb cb;
    struct raft_snapshot *snapshot;
    struct store_snapshot *view;
    void *base;
    size_t len;
    int rv;
    char errmsg[ETCFS_ERRMSG_SIZE];
};

/* libraft's snapshotClose + free, for a snapshot raft never gets. */
static void snapshotFree(struct raft_snapshot *s)
{
    unsigned i;
    if (s == NULL) {
        return;
    }
    raft_configuration_close(&s->configuration);
    for (i = 0; i < s->n_bufs; i++) {
        raft_free(s->bufs[i].base);
    }
    raft_free(s->bufs);
    raft_free(s);
}

static void encodeWorkCb(uv_work_t *w)
{
    struct snapshot_encode *e = w->data;
    e->rv = storeSnapshotEncode(e->view, raft_malloc, &e->base, &e->len,
                                e->errmsg);
}

static void encodeAfterCb(uv_work_t *w, int status)
{
    struct snapshot_encode *e = w->data;
    struct snapshot_lazy *l = e->l;
    struct node *n = l->n;
    unsigned i;
    storeSnapshotRelease(e->view);
    l->encoding--;
    if (status != 0 || e->rv != 0 || n->closing) {
        if (e->rv != 0) {
            errorf("snapshot for a follower: %s", e->errmsg);
        }
        if (e->base != NULL) {
            raft_free(e->base);
        }
        snapshotFree(e->snapshot);
        e->cb(e->req, NULL, RAFT_IOERR); /* raft only frees its request */
    } else {
        for (i = 0; i < e->snapshot->n_bufs; i++) {
            raft_free(e->snapshot->bufs[i].base);
        }
        e->snapshot->bufs[0].base = e->base;
        e->snapshot->bufs[0].len = e->len;
        e->snapshot->n_bufs = 1;
        infof("snapshot for a follower: the store at index %llu, %zu bytes "
              "(raft's snapshot index %llu)",
              (unsigned long long)storeAppliedIndex(n->store), e->len,
              (unsigned long long)e->snapshot->index);
        e->cb(e->req, e->snapshot, 0);
    }
    free(e);
    if (n->closing) {
        nodeClosePartDone(n); /* nodeClose counted this encoding */
    }
}

/* raft_uv read the snapshot file: a stub becomes the full store. */
static void snapshotGotCb(struct raft_io_snapshot_get *req,
                          struct raft_snapshot *snapshot, int status)
{
    struct snapshot_lazy *l = snapshotSelf;
    struct snapshot_encode *e;
    struct io_pending p;
    raft_io_snapshot_get_cb cb;
    uint64_t index;
    int rv;
    if (ioPendingTake(&l->pending, req, &p) != 0) {
        return; /* cannot happen: every wrapped request is listed */
    }
    cb = (raft_io_snapshot_get_cb)p.cb;
    if (status != 0 || snapshot == NULL || snapshot->n_bufs < 1 ||
        !snapshotStubDecode(snapshot->bufs[0].base, snapshot->bufs[0].len,
                            &index)) {
        cb(req, snapshot, status); /* a full snapshot (older data dirs) */
        return;
    }
    e = calloc(1, sizeof *e);
    rv = e == NULL || l->n->closing ? ETCFS_NOMEM
                                    : storeSnapshotTake(l->n->store, &e->view,
                                                        e->errmsg);
    if (rv == 0) {
        e->work.data = e;
        e->l = l;
        e->req = req;
        e->cb = cb;
        e->snapshot = snapshot;
        rv = uv_queue_work(l->n->loop, &e->work, encodeWorkCb,
                           encodeAfterCb) == 0
                 ? 0
                 : ETCFS_IO;
        if (rv == 0) {
            l->encoding++;
            return;
        }
        storeSnapshotRelease(e->view);
    }
    free(e);
    snapshotFree(snapshot);
    cb(req, NULL, RAFT_IOERR);
}

static int snapshotGetWrap(struct raft_io *io,
                           struct raft_io_snapshot_get *req,
                           raft_io_snapshot_get_cb cb)
{
    struct snapshot_lazy *l = snapshotSelf;
    struct io_pending p;
    int rv;
    if (ioPendingPush(&l->pending, req, (void *)cb) != 0) {
        return RAFT_NOMEM;
    }
    rv = l->get(io, req, snapshotGotCb);
    if (rv != 0) {
        (void)ioPendingTake(&l->pending, req, &p);
    }
    return rv;
}

void snapshotLazyWrap(struct snapshot_lazy *l, struct node *n)
{
    memset(l, 0, sizeof *l);
    l->n = n;
    l->get = n->io.snapshot_get;
    n->io.snapshot_get = snapshotGetWrap;
    snapshotSelf = l;
}

void snapshotLazyClear(struct snapshot_lazy *l)
{
    ioPendingFree(&l->pending);
    if (snapshotSelf == l) {
        snapshotSelf = NULL;
    }
}
