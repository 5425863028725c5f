/* Proposals (leader only): nodePropose encodes a command into the batch of
 * this loop iteration; the batch goes to raft_apply in the check phase
 * (group commit, below); each proposal completes once fsm.c applied its
 * entry (proposeApplied), or fails with its batch. Loop thread only; never
 * blocks the loop.
 *
 * Group commit: the proposals made during one loop iteration (HTTP
 * requests read in its poll phase, mount operations, lease expiries) go to
 * raft as one raft_apply of several entries in the check phase of the same
 * iteration, so they travel to the followers in one AppendEntries and to
 * the disk in one write. No proposal waits for a timer. */
#include <stdlib.h>

#include "node_internal.h"
#include "propose.h"

#define PROPOSE__BATCH_MAX 256u
#define PROPOSE__BATCH_BYTES (4u << 20)

static int raftToEtcfs(int rv)
{
    switch (rv) {
        case 0:
            return 0;
        case RAFT_NOMEM:
            return ETCFS_NOMEM;
        case RAFT_NOTLEADER:
            return ETCFS_NOTLEADER;
        case RAFT_LEADERSHIPLOST:
            return ETCFS_LEADER_CHANGED;
        case RAFT_SHUTDOWN:
        case RAFT_CANCELED:
            return ETCFS_CANCELED;
        case RAFT_NOSPACE:
            return ETCFS_NOSPACE;
        case RAFT_TOOBIG:
            return ETCFS_TOO_LARGE;
        case RAFT_CORRUPT:
            return ETCFS_CORRUPT;
        default:
            return ETCFS_IO;
    }
}

struct propose_batch
{
    struct raft_apply apply;
    struct node *node;
    uint64_t first;
    unsigned count;
};

/* Completes req (already out of any queue). */
static void proposeFire(struct node_propose *req, int status,
                        struct command_result *result)
{
    if (status != 0 && result != NULL) {
        commandResultFree(result);
        result = NULL;
    }
    req->cb(req, status, result);
}

/* Fails every proposal of q (moved out first: callbacks may propose). */
static void proposeFailQueue(queue *q, int status)
{
    queue failed;
    QUEUE_INIT(&failed);
    while (!QUEUE_IS_EMPTY(q)) {
        queue *head = QUEUE_HEAD(q);
        QUEUE_REMOVE(head);
        QUEUE_PUSH(&failed, head);
    }
    while (!QUEUE_IS_EMPTY(&failed)) {
        queue *head = QUEUE_HEAD(&failed);
        struct node_propose *req = QUEUE_DATA(head, struct node_propose, link);
        QUEUE_REMOVE(head);
        proposeFire(req, status, NULL);
    }
}

/* raft calls back once per batch: after its first entry is applied, or
 * with an error when the entries were not committed under this leader
 * (fsm.c completes each proposal as its own entry is applied). */
static void batchCb(struct raft_apply *apply, int status, void *result)
{
    struct propose_batch *b = apply->data;
    struct node *n = b->node;
    (void)result; /* fsm.c hands results to the proposals: always NULL */
    if (status != 0) {
        queue failed;
        queue *head;
        QUEUE_INIT(&failed);
        head = QUEUE_HEAD(&n->proposals);
        while (head != &n->proposals) {
            struct node_propose *req =
                QUEUE_DATA(head, struct node_propose, link);
            head = QUEUE_NEXT(head);
            if (req->index >= b->first && req->index < b->first + b->count) {
                QUEUE_REMOVE(&req->link);
                QUEUE_PUSH(&failed, &req->link);
            }
        }
        proposeFailQueue(&failed, raftToEtcfs(status));
    }
    free(b);
}

/* Hands the batch to raft. Loop thread, outside raft's callbacks. */
void proposeFlush(struct node *n)
{
    struct propose_batch *b;
    unsigned count = n->batch_n;
    unsigned i;
    queue *head;
    int rv;
    if (count == 0) {
        return;
    }
    n->batch_n = 0;
    n->batch_bytes = 0;
    b = malloc(sizeof *b);
    if (b == NULL) {
        rv = RAFT_NOMEM;
    } else if (n->closing || raft_state(&n->raft) != RAFT_LEADER) {
        rv = RAFT_NOTLEADER;
    } else {
        b->node = n;
        b->count = count;
        b->apply.data = b;
        rv = raft_apply(&n->raft, &b->apply, n->batch_bufs, count, batchCb);
    }
    if (rv != 0) {
        /* raft owns the buffers once it appended them, and frees them
         * itself when it then fails (logDiscard); it refuses before
         * appending only when not leader */
        if (b == NULL || rv == RAFT_NOTLEADER) {
            for (i = 0; i < count; i++) {
                raft_free(n->batch_bufs[i].base);
            }
        }
        free(b);
        proposeFailQueue(&n->batch_reqs,
                         n->closing ? ETCFS_CANCELED : raftToEtcfs(rv));
        return;
    }
    b->first = b->apply.index;
    i = 0;
    while (!QUEUE_IS_EMPTY(&n->batch_reqs)) {
        struct node_propose *req;
        head = QUEUE_HEAD(&n->batch_reqs);
        req = QUEUE_DATA(head, struct node_propose, link);
        QUEUE_REMOVE(head);
        req->index = b->first + i++;
        req->term = n->raft.current_term;
        QUEUE_PUSH(&n->proposals, &req->link);
    }
}

static void batchCheckCb(uv_check_t *h)
{
    proposeFlush(h->data);
}

void proposeStart(struct node *n)
{
    (void)uv_check_start(&n->batch_check, batchCheckCb);
}

void proposeApplied(struct node *n, uint64_t index, uint64_t term,
                    struct command_result *res)
{
    queue *head;
    struct node_propose *req = NULL;
    QUEUE_FOREACH(head, &n->proposals)
    {
        struct node_propose *r = QUEUE_DATA(head, struct node_propose, link);
        if (r->index == index) {
            req = r;
            break;
        }
        if (r->index > index) {
            break;
        }
    }
    if (req == NULL) {
        commandResultFree(res);
        return;
    }
    QUEUE_REMOVE(&req->link);
    if (req->term != term) {
        /* another leader's entry took this index: ours was never committed */
        proposeFire(req, ETCFS_LEADER_CHANGED, res);
        return;
    }
    proposeFire(req, 0, res);
}

int nodePropose(struct node *n, struct node_propose *req,
                const struct command *cmd)
{
    void *base = NULL;
    size_t len = 0;
    int rv;
    if (n->closing || !n->started) {
        return ETCFS_SHUTDOWN;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        return ETCFS_NOTLEADER;
    }
    if (n->batch_n == n->batch_cap) {
        unsigned cap = n->batch_cap == 0 ? 64 : n->batch_cap * 2;
        struct raft_buffer *bufs =
            realloc(n->batch_bufs, cap * sizeof *bufs);
        if (bufs == NULL) {
            return ETCFS_NOMEM;
        }
        n->batch_bufs = bufs;
        n->batch_cap = cap;
    }
    rv = commandEncode(cmd, raft_malloc, &base, &len);
    if (rv != 0) {
        return rv;
    }
    n->batch_bufs[n->batch_n].base = base;
    n->batch_bufs[n->batch_n].len = len;
    n->batch_n++;
    n->batch_bytes += len;
    req->node = n;
    req->index = 0;
    QUEUE_PUSH(&n->batch_reqs, &req->link);
    if (n->batch_n >= PROPOSE__BATCH_MAX ||
        n->batch_bytes >= PROPOSE__BATCH_BYTES) {
        proposeFlush(n); /* keep one AppendEntries reasonably sized */
    }
    return 0;
}
