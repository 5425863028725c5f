/* Linearizable reads (etcd's ReadIndex, built on what libraft 0.15 has):
 * the leader confirms leadership with one raft_barrier shared by every read
 * that arrived before it was sent; once the barrier entry is applied, the
 * store holds everything committed before those reads began. A follower asks
 * the leader for that index (POST /etcfs/v1/readindex through forward.c, one
 * request shared by all reads queued behind it) and waits until its own
 * store applied it. Reads queued while a confirmation is in flight wait for
 * the next one, so a burst costs two confirmations, not one per read.
 * Loop thread only. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../src/log.h"
#include "node_internal.h"

#define READ__TIMEOUT_MS 5000

static void readFire(struct node_read *req, int status)
{
    QUEUE_REMOVE(&req->link);
    req->cb(req, status);
}

static void readFailQueue(queue *q, int status)
{
    while (!QUEUE_IS_EMPTY(q)) {
        queue *head = QUEUE_HEAD(q);
        struct node_read *req = QUEUE_DATA(head, struct node_read, link);
        readFire(req, status);
    }
}

/* Moves every read of 'inflight' to 'waiting' with 'index', firing those the
 * store already covers. */
static void readConfirmed(struct node *n, uint64_t index)
{
    uint64_t applied = storeAppliedIndex(n->store);
    while (!QUEUE_IS_EMPTY(&n->reads_inflight)) {
        queue *head = QUEUE_HEAD(&n->reads_inflight);
        struct node_read *req = QUEUE_DATA(head, struct node_read, link);
        req->index = index;
        if (applied >= index || raft_last_applied(&n->raft) >= index) {
            readFire(req, 0);
        } else {
            QUEUE_REMOVE(&req->link);
            QUEUE_PUSH(&n->reads_waiting, &req->link);
        }
    }
}

static void readMaybeStart(struct node *n);

static void barrierCb(struct raft_barrier *b, int status)
{
    struct node *n = b->data;
    n->confirm_inflight = false;
    if (status != 0) {
        readFailQueue(&n->reads_inflight, status == RAFT_NOTLEADER ||
                                                  status == RAFT_LEADERSHIPLOST
                                              ? ETCFS_LEADER_CHANGED
                                          : status == RAFT_CANCELED ||
                                                  status == RAFT_SHUTDOWN
                                              ? ETCFS_CANCELED
                                              : ETCFS_TIMEOUT);
    } else {
        /* The barrier entry is applied, so everything before it is too. */
        readConfirmed(n, raft_last_applied(&n->raft));
    }
    if (!n->closing) {
        readMaybeStart(n);
    }
}

static void readIndexCb(struct forward_req *fr, int status)
{
    struct node *n = fr->data;
    uint64_t index = 0;
    int rv = status;
    n->confirm_inflight = false;
    if (rv == 0) {
        json_t *root = json_loadb(fr->resp_body, fr->resp_len, 0, NULL);
        json_t *v = root != NULL ? json_object_get(root, "index") : NULL;
        if (fr->http_status != 200 || v == NULL) {
            rv = fr->http_status == 503 ? ETCFS_NOLEADER : ETCFS_PROTO;
        } else if (json_is_string(v)) {
            index = strtoull(json_string_value(v), NULL, 10);
        } else if (json_is_integer(v)) {
            index = (uint64_t)json_integer_value(v);
        } else {
            rv = ETCFS_PROTO;
        }
        json_decref(root);
    }
    forwardReqClear(fr);
    if (rv != 0) {
        readFailQueue(&n->reads_inflight, rv);
    } else {
        readConfirmed(n, index);
    }
    if (!n->closing) {
        readMaybeStart(n);
    }
}

/* Starts one confirmation for every pending read, if none is in flight. */
static void readMaybeStart(struct node *n)
{
    int rv;
    if (n->confirm_inflight || QUEUE_IS_EMPTY(&n->reads_pending)) {
        return;
    }
    /* pending -> inflight */
    while (!QUEUE_IS_EMPTY(&n->reads_pending)) {
        queue *head = QUEUE_HEAD(&n->reads_pending);
        QUEUE_REMOVE(head);
        QUEUE_PUSH(&n->reads_inflight, head);
    }
    n->confirm_started = nodeNowMs(n);
    if (raft_state(&n->raft) == RAFT_LEADER) {
        n->barrier.data = n;
        rv = raft_barrier(&n->raft, &n->barrier, barrierCb);
        if (rv != 0) {
            readFailQueue(&n->reads_inflight, rv == RAFT_NOTLEADER
                                                  ? ETCFS_LEADER_CHANGED
                                                  : ETCFS_IO);
            return;
        }
        n->confirm_inflight = true;
        return;
    }
    if (!nodeHasLeader(n) || n->fwd == NULL) {
        readFailQueue(&n->reads_inflight, ETCFS_NOLEADER);
        return;
    }
    memset(&n->ri_req, 0, sizeof n->ri_req);
    n->ri_req.data = n;
    n->ri_req.cb = readIndexCb;
    n->ri_req.path = "/etcfs/v1/readindex";
    n->ri_req.body = "{}";
    n->ri_req.body_len = 2;
    n->ri_req.timeout_ms = READ__TIMEOUT_MS;
    rv = forwardSend(n->fwd, &n->ri_req);
    if (rv != 0) {
        readFailQueue(&n->reads_inflight, rv);
        return;
    }
    n->confirm_inflight = true;
}

int nodeRead(struct node *n, struct node_read *req)
{
    if (n->closing || !n->started) {
        return ETCFS_SHUTDOWN;
    }
    if (!nodeHasLeader(n)) {
        return ETCFS_NOLEADER;
    }
    req->index = 0;
    QUEUE_PUSH(&n->reads_pending, &req->link);
    readMaybeStart(n);
    return 0;
}

void readOnApplied(struct node *n)
{
    uint64_t applied;
    if (QUEUE_IS_EMPTY(&n->reads_waiting)) {
        return;
    }
    applied = storeAppliedIndex(n->store);
    while (!QUEUE_IS_EMPTY(&n->reads_waiting)) {
        queue *head = QUEUE_HEAD(&n->reads_waiting);
        struct node_read *req = QUEUE_DATA(head, struct node_read, link);
        if (req->index > applied) {
            break;
        }
        readFire(req, 0);
    }
}

void readOnLeadership(struct node *n)
{
    /* A barrier in flight fails by itself when leadership is lost; reads
     * still pending will start a confirmation of the right kind. */
    if (!n->confirm_inflight) {
        readMaybeStart(n);
    }
}

void readTick(struct node *n, uint64_t now_ms)
{
    /* Reads waiting for the local store to catch up: they time out as a
     * whole, they all share one confirmation. */
    if (!QUEUE_IS_EMPTY(&n->reads_waiting)) {
        readOnApplied(n);
    }
    if (!QUEUE_IS_EMPTY(&n->reads_waiting) &&
        now_ms - n->confirm_started > 2 * READ__TIMEOUT_MS) {
        readFailQueue(&n->reads_waiting, ETCFS_TIMEOUT);
    }
    if (!n->confirm_inflight) {
        readMaybeStart(n);
    }
}

void readCancelAll(struct node *n, int status)
{
    readFailQueue(&n->reads_pending, status);
    readFailQueue(&n->reads_waiting, status);
    /* reads_inflight are failed by their barrier / forward callbacks, which
     * libraft and forward.c fire with a cancel status on close; fail them
     * now anyway so no caller waits on a closing node. */
    readFailQueue(&n->reads_inflight, status);
}
