/* Linearizable reads (etcd's ReadIndex, built on what libraft 0.15 has):
 * the leader confirms leadership once for every read that arrived before
 * the confirmation was sent, then serves them at the commit index it noted.
 * Two ways to confirm:
 * - ask the voters (POST /etcfs/v1/leadercheck {term, leader}): a member
 *   answers ok while it is a follower of this leader in this term. A
 *   majority of oks, self included, given after the reads arrived, means no
 *   other leader can have been elected before them (its voters would have
 *   left this term first). Raft's rule applies: only once an entry of the
 *   leader's own term is applied, so its commit index is current. One
 *   loopback round trip, no disk write.
 * - otherwise (a new term, a single voter, too few voters answering) a
 *   raft_barrier: once the barrier entry is applied, the store holds
 *   everything committed before those reads began. A follower asks
 * the leader for that index (POST /etcfs/v1/readindex through forward.c, one
 * request shared by all reads queued behind it) and waits until its own
 * store applied it. Reads queued while a confirmation is in flight wait for
 * the next one, so a burst costs two confirmations, not one per read.
 * Loop thread only. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/log.h"
#include "node_internal.h"
#include "publish.h"

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
        if (applied >= index || nodeAppliedThrough(n) >= index) {
            readFire(req, 0);
        } else {
            QUEUE_REMOVE(&req->link);
            QUEUE_PUSH(&n->reads_waiting, &req->link);
        }
    }
}

static void readMaybeStart(struct node *n);

#define READ__PING_TIMEOUT_MS 1000
#define READ__PING_SKIP_MS 1000

struct read_ping;
struct read_ping_req
{
    struct forward_req fr;
    struct read_ping *ping;
    uint64_t id;
};
struct read_ping
{
    struct node *n;
    uint64_t term;
    uint64_t index;   /* commit index when the reads were covered */
    unsigned need;    /* oks for a majority of voters, self included */
    unsigned acks;
    unsigned pending; /* requests whose callback has not fired */
    bool decided;
    char body[96];
    struct read_ping_req reqs[];
};

static bool pingSkipped(struct node *n, uint64_t id, uint64_t now)
{
    unsigned i;
    for (i = 0; i < sizeof n->ping_skip / sizeof n->ping_skip[0]; i++) {
        if (n->ping_skip[i].id == id && n->ping_skip[i].until > now) {
            return true;
        }
    }
    return false;
}

static void pingSkip(struct node *n, uint64_t id)
{
    unsigned i;
    unsigned slot = 0;
    for (i = 0; i < sizeof n->ping_skip / sizeof n->ping_skip[0]; i++) {
        if (n->ping_skip[i].id == id) {
            slot = i;
            break;
        }
        if (n->ping_skip[i].until < n->ping_skip[slot].until) {
            slot = i;
        }
    }
    n->ping_skip[slot].id = id;
    n->ping_skip[slot].until = nodeNowMs(n) + READ__PING_SKIP_MS;
}

static void pingCb(struct forward_req *fr, int status)
{
    struct read_ping_req *r = QUEUE_DATA(fr, struct read_ping_req, fr);
    struct read_ping *p = r->ping;
    struct node *n = p->n;
    bool ok = status == 0 && fr->http_status == 200 && fr->resp_body != NULL &&
              memmem(fr->resp_body, fr->resp_len, "\"ok\":true", 9) != NULL;
    forwardReqClear(fr);
    p->pending--;
    if (!ok && !n->closing) {
        pingSkip(n, r->id);
    }
    if (!p->decided && !n->closing) {
        if (ok) {
            p->acks++;
        }
        if (p->acks >= p->need) {
            p->decided = true;
            n->confirm_inflight = false;
            if (raft_state(&n->raft) == RAFT_LEADER &&
                n->raft.current_term == p->term) {
                readConfirmed(n, p->index);
            } else {
                readFailQueue(&n->reads_inflight, ETCFS_LEADER_CHANGED);
            }
            readMaybeStart(n);
        } else if (p->acks + p->pending < p->need) {
            /* too few oks: confirm these reads with a barrier instead */
            p->decided = true;
            n->confirm_inflight = false;
            n->ping_barrier_until = nodeNowMs(n) + READ__PING_SKIP_MS;
            while (!QUEUE_IS_EMPTY(&n->reads_inflight)) {
                queue *head = QUEUE_HEAD(&n->reads_inflight);
                QUEUE_REMOVE(head);
                QUEUE_PUSH(&n->reads_pending, head);
            }
            readMaybeStart(n);
        }
    }
    if (p->pending == 0) {
        free(p);
    }
}

/* Starts a leader check of the voters for the reads in flight. 0, or
 * non-zero when a barrier must confirm them instead. */
static int pingStart(struct node *n)
{
    const struct raft_configuration *conf = &n->raft.configuration;
    uint64_t now = nodeNowMs(n);
    struct read_ping *p;
    unsigned voters = 0;
    unsigned i;
    if (n->fwd == NULL || n->read_ready_term != n->raft.current_term ||
        now < n->ping_barrier_until) {
        return -1;
    }
    for (i = 0; i < conf->n; i++) {
        if (conf->servers[i].role == RAFT_VOTER) {
            voters++;
        }
    }
    if (voters < 2) {
        return -1; /* a single voter: its barrier costs no round trip */
    }
    p = calloc(1, sizeof *p + conf->n * sizeof p->reqs[0]);
    if (p == NULL) {
        return -1;
    }
    p->n = n;
    p->term = n->raft.current_term;
    p->index = n->raft.commit_index;
    p->need = voters / 2 + 1;
    p->acks = 1; /* this leader */
    snprintf(p->body, sizeof p->body, "{\"term\":\"%llu\",\"leader\":\"%llu\"}",
             (unsigned long long)p->term, (unsigned long long)n->cfg.id);
    for (i = 0; i < conf->n; i++) {
        const struct raft_server *s = &conf->servers[i];
        struct read_ping_req *r = &p->reqs[p->pending];
        if (s->role != RAFT_VOTER || s->id == n->cfg.id ||
            pingSkipped(n, s->id, now) || s->address == NULL) {
            continue;
        }
        r->ping = p;
        r->id = s->id;
        r->fr.data = p;
        r->fr.cb = pingCb;
        r->fr.path = "/etcfs/v1/leadercheck";
        r->fr.body = p->body;
        r->fr.body_len = strlen(p->body);
        r->fr.timeout_ms = READ__PING_TIMEOUT_MS;
        if (forwardSendTo(n->fwd, s->address, &r->fr) == 0) {
            p->pending++;
        }
        if (p->acks + p->pending >= p->need + 1) {
            break; /* a majority plus one spare is enough to ask */
        }
    }
    if (p->acks + p->pending < p->need) {
        /* the callbacks of requests sent are still to come: let them free
         * the state; the reads go to a barrier now */
        p->decided = true;
        n->ping_barrier_until = now + READ__PING_SKIP_MS;
        if (p->pending == 0) {
            free(p);
        }
        return -1;
    }
    return 0;
}

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
        if (raft_state(&n->raft) == RAFT_LEADER) {
            n->read_ready_term = n->raft.current_term; /* its entry applied */
        }
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
    if (nodeIsLeader(n)) {
        if (pingStart(n) == 0) {
            n->confirm_inflight = true;
            return;
        }
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

int nodeWaitApplied(struct node *n, struct node_read *req, uint64_t index)
{
    queue *q;
    if (n->closing || !n->started) {
        return ETCFS_SHUTDOWN;
    }
    req->index = index;
    /* reads_waiting is in index order: readOnApplied fires from the head */
    QUEUE_FOREACH(q, &n->reads_waiting)
    {
        struct node_read *other = QUEUE_DATA(q, struct node_read, link);
        if (other->index > index) {
            break;
        }
    }
    /* before q: the first later one, or the head itself (the tail) */
    QUEUE_PUSH(q, &req->link);
    if (QUEUE_IS_EMPTY(&n->reads_inflight) && QUEUE_IS_EMPTY(&n->reads_pending) &&
        !n->confirm_inflight) {
        n->confirm_started = nodeNowMs(n); /* the wait's timeout runs from now */
    }
    return 0;
}

void readOnApplied(struct node *n)
{
    uint64_t applied;
    if (QUEUE_IS_EMPTY(&n->reads_waiting)) {
        return;
    }
    applied = storeAppliedIndex(n->store);
    if (nodeAppliedThrough(n) > applied) {
        applied = nodeAppliedThrough(n); /* Raft's own entries after it */
    }
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
