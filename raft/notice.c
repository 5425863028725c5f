/* The commit notice: libraft tells followers about a new commit index only
 * with the next append or heartbeat (up to two heartbeat intervals later);
 * when the leader goes idle with a commit the followers have not heard of,
 * it sends them at once the empty AppendEntries libraft would send at its
 * next heartbeat (etcd broadcasts the commit the same way), through the
 * public raft_io.send, and repeats it a few times. Leader only. Loop thread
 * only; never writes a log entry, never re-enters raft from inside one of
 * its callbacks (noticeArm defers to the next loop iteration). */
#include <stdlib.h>
#include <string.h>

#include "node_internal.h"
#include "notice.h"

/* commit notices repeated 2, 8 and 32 ms after the first (noticeAgainCb) */
#define NOTICE__FIRST_MS 2u
#define NOTICE__ROUNDS 3u

static void noticeSendCb(struct raft_io_send *req, int status)
{
    (void)status; /* a lost notice costs only the wait for a heartbeat */
    free(req);
}

/* Term of the last entry in the in-memory log (the snapshot's when the log
 * is empty), read from the public struct raft_log. */
static raft_term lastLogTerm(const struct raft_log *l)
{
    size_t n = l->back >= l->front ? l->back - l->front
                                   : l->size - l->front + l->back;
    if (n == 0) {
        return l->snapshot.last_term;
    }
    return l->entries[(l->back == 0 ? l->size : l->back) - 1].term;
}

/* Idle at a commit of this term: nothing in flight (entries in flight
 * carry the commit index themselves) and the last entry is of this term,
 * so it is committed and the followers' committed prefixes include it. */
static bool noticeIdle(struct node *n)
{
    return !n->closing && n->raft.configuration.n >= 2 &&
           raft_state(&n->raft) == RAFT_LEADER &&
           raft_last_index(&n->raft) == n->raft.commit_index &&
           lastLogTerm(&n->raft.log) == n->raft.current_term;
}

/* Sends every replicating member the empty AppendEntries that libraft would
 * send at its next heartbeat: previous entry = the leader's last one,
 * leader_commit = the commit index. A member holding that entry commits and
 * applies at once; one that lacks it rejects, and libraft's usual mismatch
 * handling takes over. No entry is written anywhere (a barrier entry cost
 * three disk writes per commit). Only when noticeIdle. */
static void noticeSend(struct node *n)
{
    const struct raft_configuration *conf = &n->raft.configuration;
    struct raft_io *io = n->raft.io;
    raft_index last = raft_last_index(&n->raft);
    unsigned i;
    for (i = 0; i < conf->n; i++) {
        const struct raft_server *s = &conf->servers[i];
        struct raft_message msg;
        struct raft_io_send *req;
        if (s->id == n->cfg.id || s->role == RAFT_SPARE) {
            continue;
        }
        req = malloc(sizeof *req);
        if (req == NULL) {
            return;
        }
        memset(&msg, 0, sizeof msg);
        msg.type = RAFT_IO_APPEND_ENTRIES;
        msg.server_id = s->id;
        msg.server_address = s->address;
        msg.append_entries.term = n->raft.current_term;
        msg.append_entries.prev_log_index = last;
        msg.append_entries.prev_log_term = n->raft.current_term;
        msg.append_entries.leader_commit = n->raft.commit_index;
        req->data = n;
        if (io->send(io, req, &msg, noticeSendCb) != 0) {
            free(req);
        }
    }
}

/* A member that had not stored the entry yet when the notice came keeps
 * the older commit until something else arrives: repeat the notice a few
 * times while the leader stays idle at this commit (then the heartbeat). */
static void noticeAgainCb(uv_timer_t *t)
{
    struct node *n = t->data;
    if (!noticeIdle(n) || n->raft.commit_index != n->noticed_commit) {
        return;
    }
    noticeSend(n);
    if (++n->notice_round < NOTICE__ROUNDS) {
        (void)uv_timer_start(t, noticeAgainCb,
                             NOTICE__FIRST_MS << (2 * n->notice_round), 0);
    }
}

void noticeMaybe(struct node *n)
{
    if (n->raft.commit_index <= n->noticed_commit || !noticeIdle(n)) {
        return;
    }
    n->noticed_commit = n->raft.commit_index;
    n->notice_round = 0;
    noticeSend(n);
    (void)uv_timer_start(&n->notice_again, noticeAgainCb, NOTICE__FIRST_MS,
                         0);
}

static void noticeTimerCb(uv_timer_t *t)
{
    struct node *n = t->data;
    n->notice_armed = false;
    noticeMaybe(n);
}

void noticeArm(struct node *n)
{
    if (n->notice_armed || n->closing || n->raft.configuration.n < 2) {
        return;
    }
    n->notice_armed = true;
    /* after this loop iteration: never re-enter raft from its callback */
    (void)uv_timer_start(&n->notice_timer, noticeTimerCb, 0, 0);
}
