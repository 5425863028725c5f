/* The Raft io's measurements (io_metrics.h). One node per process: the
 * wrappers find their state through ioMetricsSelf, since raft_io has no
 * field of ours (raft takes data, raft_uv impl). */
#include "io_metrics.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

static struct io_metrics *ioMetricsSelf;

int ioPendingPush(struct io_pending_table *t, void *req, void *cb)
{
    if (t->n == t->cap) {
        size_t c = t->cap == 0 ? 16 : t->cap * 2;
        struct io_pending *p = realloc(t->a, c * sizeof *p);
        if (p == NULL) {
            return -1;
        }
        t->a = p;
        t->cap = c;
    }
    t->a[t->n].req = req;
    t->a[t->n].cb = cb;
    t->a[t->n].start_ns = uv_hrtime();
    t->n++;
    return 0;
}

int ioPendingTake(struct io_pending_table *t, void *req,
                  struct io_pending *out)
{
    size_t i;
    for (i = 0; i < t->n; i++) {
        if (t->a[i].req == req) {
            *out = t->a[i];
            memmove(&t->a[i], &t->a[i + 1], (t->n - i - 1) * sizeof *t->a);
            t->n--;
            return 0;
        }
    }
    return -1;
}

void ioPendingFree(struct io_pending_table *t)
{
    free(t->a);
    memset(t, 0, sizeof *t);
}

/* ---- append: the log's durable write ---- */

static void appendCb(struct raft_io_append *req, int status)
{
    struct io_metrics *w = ioMetricsSelf;
    struct io_pending p;
    if (ioPendingTake(&w->appends, req, &p) != 0) {
        return; /* cannot happen: every wrapped append is listed */
    }
    if (status == 0) {
        metricsObserve(&w->m->wal_fsync, uv_hrtime() - p.start_ns);
    }
    ((raft_io_append_cb)p.cb)(req, status);
}

static int appendWrap(struct raft_io *io, struct raft_io_append *req,
                      const struct raft_entry entries[], unsigned n,
                      raft_io_append_cb cb)
{
    struct io_metrics *w = ioMetricsSelf;
    int rv;
    if (ioPendingPush(&w->appends, req, (void *)cb) != 0) {
        return w->append(io, req, entries, n, cb);
    }
    rv = w->append(io, req, entries, n, appendCb);
    if (rv != 0) {
        struct io_pending p;
        (void)ioPendingTake(&w->appends, req, &p);
    }
    return rv;
}

/* ---- messages ---- */

/* Bytes of a message on the wire, as raft_uv frames it (approximately:
 * the payloads exactly, the header as its fixed fields). */
static uint64_t messageBytes(const struct raft_message *msg)
{
    uint64_t n = 48;
    unsigned i;
    if (msg->type == RAFT_IO_APPEND_ENTRIES) {
        for (i = 0; i < msg->append_entries.n_entries; i++) {
            n += 16 + msg->append_entries.entries[i].buf.len;
        }
    } else if (msg->type == RAFT_IO_INSTALL_SNAPSHOT) {
        n += msg->install_snapshot.data.len + 64;
    }
    return n;
}

static int peerSlot(struct io_metrics *w, uint64_t id)
{
    struct metrics_peer *p = metricsPeer(w->m, id);
    return p == NULL ? -1 : (int)(p - w->m->peers);
}

static void beatCb(struct raft_io_send *req, int status)
{
    struct io_metrics *w = ioMetricsSelf;
    struct io_pending p;
    if (ioPendingTake(&w->beats, req, &p) != 0) {
        return;
    }
    if (status != 0) {
        METRICS_INC(w->m, heartbeat_send_failures_total);
    }
    ((raft_io_send_cb)p.cb)(req, status);
}

static int sendWrap(struct raft_io *io, struct raft_io_send *req,
                    const struct raft_message *msg, raft_io_send_cb cb)
{
    struct io_metrics *w = ioMetricsSelf;
    int slot = peerSlot(w, msg->server_id);
    bool beat = msg->type == RAFT_IO_APPEND_ENTRIES &&
                msg->append_entries.n_entries == 0;
    int rv;
    if (slot >= 0) {
        atomic_fetch_add(&w->m->peers[slot].sent_bytes, messageBytes(msg));
        if (beat && w->probe_ns[slot] == 0) {
            w->probe_ns[slot] = uv_hrtime();
        }
    }
    if (!beat || ioPendingPush(&w->beats, req, (void *)cb) != 0) {
        return w->send(io, req, msg, cb);
    }
    rv = w->send(io, req, msg, beatCb);
    if (rv != 0) {
        struct io_pending p;
        (void)ioPendingTake(&w->beats, req, &p);
        METRICS_INC(w->m, heartbeat_send_failures_total);
    }
    return rv;
}

static void recvWrap(struct raft_io *io, struct raft_message *msg)
{
    struct io_metrics *w = ioMetricsSelf;
    int slot = peerSlot(w, msg->server_id);
    if (slot >= 0) {
        atomic_fetch_add(&w->m->peers[slot].received_bytes,
                         messageBytes(msg));
        if (msg->type == RAFT_IO_APPEND_ENTRIES_RESULT &&
            w->probe_ns[slot] != 0) {
            metricsObserveFrom(&w->m->peers[slot].rtt,
                               uv_hrtime() - w->probe_ns[slot], 100000);
            w->probe_ns[slot] = 0;
        }
    }
    w->recv(io, msg);
}

static int startWrap(struct raft_io *io, unsigned msecs, raft_io_tick_cb tick,
                     raft_io_recv_cb recv)
{
    struct io_metrics *w = ioMetricsSelf;
    w->recv = recv;
    return w->start(io, msecs, tick, recvWrap);
}

void ioMetricsWrap(struct io_metrics *w, struct raft_io *io,
                   struct metrics *m)
{
    memset(w, 0, sizeof *w);
    if (m == NULL) {
        return;
    }
    w->m = m;
    w->io = io;
    w->append = io->append;
    w->send = io->send;
    w->start = io->start;
    io->append = appendWrap;
    io->send = sendWrap;
    io->start = startWrap;
    ioMetricsSelf = w;
}

void ioMetricsClear(struct io_metrics *w)
{
    ioPendingFree(&w->appends);
    ioPendingFree(&w->beats);
    if (ioMetricsSelf == w) {
        ioMetricsSelf = NULL;
    }
}
