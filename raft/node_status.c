/* What a member says of itself and of the cluster: the accessors (leader,
 * term, ids, applied and commit positions), the status answer with its
 * errors (no leader, members the leader has not heard from for
 * --member-down-after), and the leader's per-member contact times that
 * feed it, sampled every tick. Loop thread only. */
#include <stdio.h>
#include <string.h>

#include "mirror.h"
#include "node_internal.h"

static void contactDown(struct node *n, struct node_status *st);

/* ---- Accessors. ---- */

bool nodeIsLeader(struct node *n)
{
    return n->started && !n->closing && n->mirror == NULL &&
           raft_state(&n->raft) == RAFT_LEADER;
}

void nodeLeader(struct node *n, uint64_t *id, const char **address)
{
    raft_id rid = 0;
    *id = 0;
    *address = NULL;
    if (!n->started || n->closing) {
        return;
    }
    if (n->mirror != NULL) {
        const struct feed_marker *m = mirrorMarker(n->mirror);
        if (m != NULL && m->leader != 0) {
            *id = m->leader;
            *address = m->leader_address[0] != '\0' ? m->leader_address
                                                      : NULL;
        }
        return;
    }
    raft_leader(&n->raft, &rid, address);
    *id = rid;
}

const struct raft_configuration *nodeConfiguration(struct node *n)
{
    return n->mirror != NULL ? &n->mirror_conf : &n->raft.configuration;
}

uint64_t nodeAppliedThrough(struct node *n)
{
    if (n->mirror != NULL) {
        return mirrorThrough(n->mirror);
    }
    return n->raft_inited ? raft_last_applied(&n->raft) : 0;
}

/* The cluster's commit index as known here: raft's on a member, the last
 * marker's on a mirror (never below what is applied here). */
uint64_t nodeClusterCommit(struct node *n)
{
    uint64_t applied = nodeAppliedThrough(n);
    uint64_t commit = 0;
    if (n->mirror != NULL) {
        const struct feed_marker *m = mirrorMarker(n->mirror);
        commit = m != NULL ? m->commit : 0;
    } else if (n->raft_inited) {
        commit = n->raft.commit_index;
    }
    return commit > applied ? commit : applied;
}

bool nodeHasLeader(struct node *n)
{
    uint64_t id;
    const char *address;
    nodeLeader(n, &id, &address);
    return id != 0;
}

struct feed *nodeFeed(struct node *n)
{
    return n->closing ? NULL : n->feed;
}

uint64_t nodeId(struct node *n)
{
    return n->cfg.id;
}

uint64_t nodeClusterId(struct node *n)
{
    return n->cluster_id;
}

uint64_t nodeTerm(struct node *n)
{
    if (n->mirror != NULL) {
        const struct feed_marker *m = mirrorMarker(n->mirror);
        return m != NULL ? m->term : 0;
    }
    return n->raft_inited ? n->raft.current_term : 0;
}


void nodeStatus(struct node *n, struct node_status *st)
{
    raft_id leader = 0;
    const char *address = NULL;
    unsigned i;
    memset(st, 0, sizeof *st);
    st->id = n->cfg.id;
    st->cluster_id = n->cluster_id;
    if (n->mirror != NULL) {
        /* no vote, no log of its own: where its store stands */
        nodeLeader(n, &st->leader, &address);
        st->term = nodeTerm(n);
        st->commit_index = nodeAppliedThrough(n);
        st->applied_index = st->commit_index;
        st->last_index = st->commit_index;
        st->is_learner = true;
        st->is_mirror = true;
        st->state = RAFT_FOLLOWER;
        snprintf(st->upstream, sizeof st->upstream, "%s",
                 mirrorUpstream(n->mirror));
        st->cluster_commit = nodeClusterCommit(n);
        return;
    }
    if (!n->raft_inited) {
        return;
    }
    if (n->started) {
        raft_leader(&n->raft, &leader, &address);
        st->state = raft_state(&n->raft);
    }
    st->leader = leader;
    st->term = n->raft.current_term;
    st->commit_index = n->raft.commit_index;
    st->applied_index = raft_last_applied(&n->raft);
    st->last_index = raft_last_index(&n->raft);
    for (i = 0; i < n->raft.configuration.n; i++) {
        const struct raft_server *s = &n->raft.configuration.servers[i];
        if (s->id == n->cfg.id) {
            st->is_learner = s->role != RAFT_VOTER;
        }
    }
    st->connects_backed_off = n->transport.n_refused;
    if (n->started) {
        contactDown(n, st);
    }
}

unsigned nodeStatusErrors(const struct node_status *st,
                          char (*errs)[NODE_ERROR_SIZE], unsigned max)
{
    unsigned n = 0;
    unsigned i;
    if (st->leader == 0 && n < max) {
        snprintf(errs[n++], NODE_ERROR_SIZE, "%s",
                 etcfsStrerror(ETCFS_NOLEADER));
    }
    for (i = 0; i < st->n_down && n < max; i++) {
        uint64_t s = st->down[i].ms / 1000;
        snprintf(errs[n++], NODE_ERROR_SIZE,
                 "member %016llx (%s) unreachable for %llum%02llus",
                 (unsigned long long)st->down[i].id,
                 st->down[i].is_learner ? "learner" : "voter",
                 (unsigned long long)(s / 60), (unsigned long long)(s % 60));
    }
    return n;
}

bool nodeLeaderCheck(struct node *n, uint64_t term, uint64_t leader)
{
    raft_id id = 0;
    const char *address = NULL;
    if (!n->started || n->closing || n->mirror != NULL ||
        n->raft.current_term != term || raft_state(&n->raft) == RAFT_LEADER) {
        return false;
    }
    raft_leader(&n->raft, &id, &address);
    return id == leader;
}

/* The leader notes when it last heard from each member: raft sets
 * recent_recv at every message from it and clears it once per election
 * timeout, so sampling it every tick is exact to one election timeout. */
void nodeContactTick(struct node *n, bool is_leader)
{
    const struct raft_configuration *c = &n->raft.configuration;
    uint64_t now = nodeNowMs(n);
    unsigned i;
    unsigned k;
    if (!is_leader) {
        n->n_contact = 0; /* a new leadership starts with a clean slate */
        return;
    }
    for (i = 0; i < c->n && i < FEED_MAX_SERVERS; i++) {
        uint64_t id = c->servers[i].id;
        for (k = 0; k < n->n_contact && n->contact[k].id != id; k++) {
        }
        if (k == n->n_contact) {
            if (n->n_contact == FEED_MAX_SERVERS) {
                /* full of members removed since: start the table again */
                n->n_contact = 0;
                k = 0;
            }
            n->n_contact++;
            n->contact[k].id = id;
            n->contact[k].heard = now; /* counted from now */
        }
        if (id == n->cfg.id || n->raft.leader_state.progress == NULL ||
            n->raft.leader_state.progress[i].recent_recv) {
            n->contact[k].heard = now;
        }
    }
}

/* Members in the configuration the leader has not heard from for
 * down_after_ms, into st. */
static void contactDown(struct node *n, struct node_status *st)
{
    const struct raft_configuration *c = &n->raft.configuration;
    uint64_t now = nodeNowMs(n);
    unsigned i;
    unsigned k;
    if (n->cfg.down_after_ms == 0 || raft_state(&n->raft) != RAFT_LEADER) {
        return;
    }
    for (i = 0; i < c->n && st->n_down < NODE_MAX_DOWN; i++) {
        for (k = 0; k < n->n_contact; k++) {
            if (n->contact[k].id == c->servers[i].id &&
                now - n->contact[k].heard >= n->cfg.down_after_ms) {
                struct node_down *d = &st->down[st->n_down++];
                d->id = c->servers[i].id;
                d->is_learner = c->servers[i].role != RAFT_VOTER;
                d->ms = now - n->contact[k].heard;
            }
        }
    }
}
