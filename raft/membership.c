/* The member list and membership changes, etcd-style on libraft roles: a
 * learner is a Raft STANDBY (receives the log, no vote); `member add`
 * without --learner adds a STANDBY too and the leader promotes it to VOTER
 * by itself once it has caught up, so an added-but-not-started member never
 * costs the cluster its quorum. The "learner/<id>" metadata marks members
 * that must stay learners until `member promote`. Removing a member drops
 * it from the Raft configuration (it stops counting for quorum at once).
 * Changes are leader only; the list is any member's view. Loop thread
 * only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/lib/log.h"
#include "node_internal.h"
#include "publish.h"

/* etcd promotes a learner only when its log is at least 90% of the
 * leader's (etcdserver/server.go isLearnerReady). */
#define MEMBERSHIP__READY_PERCENT 90

enum {
    STEP_ADD = 1,      /* raft_add in flight */
    STEP_STANDBY,      /* raft_assign STANDBY in flight */
    STEP_META,         /* learner flag / cleanup proposal in flight */
    STEP_VOTER,        /* raft_assign VOTER in flight */
    STEP_REMOVE,       /* raft_remove in flight */
    STEP_TRANSFER      /* raft_transfer in flight */
};

int membershipToEtcfs(int rv)
{
    switch (rv) {
        case 0:
            return 0;
        case RAFT_NOTLEADER:
            return ETCFS_NOTLEADER;
        case RAFT_LEADERSHIPLOST:
            return ETCFS_LEADER_CHANGED;
        case RAFT_BADID:
            return ETCFS_MEMBER_NOTFOUND;
        case RAFT_DUPLICATEID:
            return ETCFS_MEMBER_EXISTS;
        case RAFT_DUPLICATEADDRESS:
            return ETCFS_PEERURL_EXISTS;
        case RAFT_CANTCHANGE:
            return ETCFS_CANTCHANGE;
        case RAFT_BADROLE:
            return ETCFS_INVALID;
        case RAFT_NOMEM:
            return ETCFS_NOMEM;
        case RAFT_SHUTDOWN:
        case RAFT_CANCELED:
            return ETCFS_CANCELED;
        case RAFT_NOCONNECTION:
            return ETCFS_LEARNER_NOT_READY;
        default:
            return ETCFS_IO;
    }
}

static const struct raft_server *findServer(struct node *n, uint64_t id,
                                            unsigned *pos)
{
    unsigned i;
    for (i = 0; i < n->raft.configuration.n; i++) {
        if (n->raft.configuration.servers[i].id == id) {
            if (pos != NULL) {
                *pos = i;
            }
            return &n->raft.configuration.servers[i];
        }
    }
    return NULL;
}

static void changeDone(struct node_change *req, int status)
{
    QUEUE_REMOVE(&req->link);
    req->cb(req, status);
}

/* req was started by a raft call that returned rv: in flight until its
 * callback (0), or refused (the error; no callback then). */
static int changeStarted(struct node *n, struct node_change *req, int rv)
{
    if (rv != 0) {
        return membershipToEtcfs(rv);
    }
    QUEUE_PUSH(&n->changes, &req->link);
    return 0;
}

/* The scheme of every member's peer URL: the cluster's peer links are all
 * TLS or all plain text, as this member's own. */
static const char *peerScheme(const struct node *n)
{
    return strncmp(n->cfg.peer_url, "https://", 8) == 0 ? "https" : "http";
}

/* "host:port" from "http[s]://host:port" (the transport's address). */
static int peerAddress(const char *peer_url, char *out, size_t size)
{
    const char *p = strstr(peer_url, "://");
    p = p != NULL ? p + 3 : peer_url;
    if (*p == '\0' || strchr(p, ':') == NULL) {
        return ETCFS_INVALID;
    }
    snprintf(out, size, "%s", p);
    {
        char *slash = strchr(out, '/');
        if (slash != NULL) {
            *slash = '\0';
        }
    }
    return 0;
}

/* The metadata name of member id's learner flag, "learner/<id>". */
static void learnerKey(char *buf, size_t size, uint64_t id)
{
    snprintf(buf, size, "learner/%016llx", (unsigned long long)id);
}

/* True when member id carries the learner flag: it stays a learner until
 * `member promote`. */
static bool learnerFlagged(struct node *n, uint64_t id)
{
    char meta[64];
    char *value = NULL;
    size_t len = 0;
    learnerKey(meta, sizeof meta, id);
    if (storeMetaGet(n->store, meta, strlen(meta), &value, &len, NULL) != 0) {
        return false;
    }
    free(value);
    return true;
}

/* ---- the member list ---- */

int nodeMembers(struct node *n, struct node_member **members, size_t *count)
{
    const struct raft_configuration *conf = nodeConfiguration(n);
    struct node_member *out;
    unsigned i;
    out = calloc(conf->n > 0 ? conf->n : 1, sizeof *out);
    if (out == NULL) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < conf->n; i++) {
        const struct raft_server *s = &conf->servers[i];
        out[i].id = s->id;
        snprintf(out[i].peer_url, sizeof out[i].peer_url, "%s://%s",
                 peerScheme(n), s->address);
        publishedAttrs(n, s->id, out[i].name, sizeof out[i].name,
                       out[i].client_urls, sizeof out[i].client_urls);
        out[i].is_learner = learnerFlagged(n, s->id);
    }
    *members = out;
    *count = conf->n;
    return 0;
}

/* ---- learner flag proposals ---- */

static void metaCb(struct node_propose *p, int status,
                   struct command_result *result);

struct membership_meta
{
    struct node_propose propose;
    struct node_change *change; /* may be NULL */
    char name[64];
};

/* The next step of change: propose its member's learner flag, set or
 * cleared; metaCb completes change. Returns 0 or the error (change not
 * completed then). */
static int proposeLearnerFlag(struct node_change *change, bool set)
{
    struct membership_meta *m;
    struct command cmd;
    int rv;
    change->step = STEP_META;
    change->learner = set;
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        return ETCFS_NOMEM;
    }
    learnerKey(m->name, sizeof m->name, change->id);
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_META;
    cmd.meta.name = m->name;
    cmd.meta.name_len = strlen(m->name);
    cmd.meta.value = set ? "1" : NULL;
    cmd.meta.value_len = set ? 1 : 0;
    m->change = change;
    m->propose.data = m;
    m->propose.cb = metaCb;
    rv = nodePropose(change->node, &m->propose, &cmd);
    if (rv != 0) {
        free(m);
    }
    return rv;
}

static void assignCb(struct raft_change *c, int status);

static void metaCb(struct node_propose *p, int status,
                   struct command_result *result)
{
    struct membership_meta *m = p->data;
    struct node_change *req = m->change;
    commandResultFree(result);
    free(m);
    if (req == NULL) {
        return;
    }
    changeDone(req, status);
}

/* ---- add ---- */

static void addCb(struct raft_change *c, int status)
{
    struct node_change *req = c->data;
    struct node *n = req->node;
    int rv;
    if (status != 0) {
        changeDone(req, membershipToEtcfs(status));
        return;
    }
    req->step = STEP_STANDBY;
    rv = raft_assign(&n->raft, &req->change, req->id, RAFT_STANDBY, assignCb);
    if (rv != 0) {
        changeDone(req, membershipToEtcfs(rv));
    }
}

static void assignCb(struct raft_change *c, int status)
{
    struct node_change *req = c->data;
    int rv;
    if (status != 0) {
        changeDone(req, membershipToEtcfs(status));
        return;
    }
    if (req->step == STEP_VOTER ||
        (req->step == STEP_STANDBY && req->learner && !req->updating)) {
        /* add --learner, now STANDBY: record the learner flag; promote,
         * now VOTER: drop it */
        rv = proposeLearnerFlag(req, req->step == STEP_STANDBY);
        if (rv != 0) {
            changeDone(req, rv);
        }
        return;
    }
    /* STANDBY, a voter-to-be: membershipTick promotes it once caught up */
    changeDone(req, 0);
}

int nodeMemberAdd(struct node *n, struct node_change *req,
                  const char *peer_url, bool learner)
{
    char address[NODE_URL_SIZE];
    unsigned i;
    int rv;
    if (!nodeIsLeader(n)) {
        return ETCFS_NOTLEADER;
    }
    if (peerAddress(peer_url, address, sizeof address) != 0) {
        return ETCFS_INVALID;
    }
    for (i = 0; i < n->raft.configuration.n; i++) {
        if (strcmp(n->raft.configuration.servers[i].address, address) == 0) {
            return ETCFS_PEERURL_EXISTS;
        }
    }
    /* etcd 3.4 ValidateConfigurationChange: at most one learner
     * (maxLearners); --max-learners raises it (etcd 3.5's
     * --experimental-max-learners) */
    if (learner) {
        unsigned learners = 0;
        for (i = 0; i < n->raft.configuration.n; i++) {
            learners += learnerFlagged(n, n->raft.configuration.servers[i].id);
        }
        if (learners >= n->cfg.max_learners) {
            return ETCFS_TOO_MANY_LEARNERS;
        }
    }
    req->node = n;
    req->learner = learner;
    /* the joining member derives the same id from its own flags, from
     * the normalized "http[s]://host:port" */
    {
        char norm[NODE_URL_SIZE + 8];
        snprintf(norm, sizeof norm, "%s://%s", peerScheme(n), address);
        req->id = nodeMemberIdFor(norm, n->cfg.token);
    }
    if (findServer(n, req->id, NULL) != NULL) {
        return ETCFS_MEMBER_EXISTS;
    }
    req->step = STEP_ADD;
    req->change.data = req;
    rv = raft_add(&n->raft, &req->change, req->id, address, addCb);
    return changeStarted(n, req, rv);
}

/* ---- promote ---- */

static bool isCaughtUp(struct node *n, unsigned pos)
{
    raft_index last = raft_last_index(&n->raft);
    raft_index match;
    if (n->raft.leader_state.progress == NULL) {
        return false;
    }
    match = n->raft.leader_state.progress[pos].match_index;
    return match * 100 >= last * MEMBERSHIP__READY_PERCENT;
}

int nodeMemberPromote(struct node *n, struct node_change *req, uint64_t id)
{
    const struct raft_server *s;
    unsigned pos = 0;
    int rv;
    if (!nodeIsLeader(n)) {
        return ETCFS_NOTLEADER;
    }
    s = findServer(n, id, &pos);
    if (s == NULL) {
        return ETCFS_MEMBER_NOTFOUND;
    }
    if (s->role == RAFT_VOTER) {
        return ETCFS_MEMBER_NOT_LEARNER;
    }
    if (!isCaughtUp(n, pos)) {
        return ETCFS_LEARNER_NOT_READY;
    }
    req->node = n;
    req->id = id;
    req->step = STEP_VOTER;
    req->change.data = req;
    rv = raft_assign(&n->raft, &req->change, id, RAFT_VOTER, assignCb);
    return changeStarted(n, req, rv);
}

/* ---- remove ---- */

static void removeCb(struct raft_change *c, int status)
{
    struct node_change *req = c->data;
    struct node *n = req->node;
    int rv;
    if (status != 0) {
        changeDone(req, membershipToEtcfs(status));
        return;
    }
    if (n->closing || !nodeIsLeader(n)) {
        changeDone(req, req->updating ? ETCFS_LEADER_CHANGED : 0);
        return;
    }
    if (req->updating) {
        /* member update, step 2: back with the new address, same id */
        req->step = STEP_ADD;
        rv = raft_add(&n->raft, &req->change, req->id, req->address, addCb);
        if (rv != 0) {
            changeDone(req, membershipToEtcfs(rv));
        }
        return;
    }
    rv = proposeLearnerFlag(req, false);
    if (rv != 0) {
        changeDone(req, 0); /* removed; the stale flag is harmless */
    }
}

int nodeMemberRemove(struct node *n, struct node_change *req, uint64_t id)
{
    int rv;
    if (!nodeIsLeader(n)) {
        return ETCFS_NOTLEADER;
    }
    if (findServer(n, id, NULL) == NULL) {
        return ETCFS_MEMBER_NOTFOUND;
    }
    req->node = n;
    req->id = id;
    req->step = STEP_REMOVE;
    req->change.data = req;
    rv = raft_remove(&n->raft, &req->change, id, removeCb);
    return changeStarted(n, req, rv);
}

/* ---- update: libraft keeps the address it was given at add; etcfs records
 * the new peer URL in the member's metadata only (documented). ---- */

int nodeMemberUpdate(struct node *n, struct node_change *req, uint64_t id,
                     const char *peer_url)
{
    char address[NODE_URL_SIZE];
    unsigned i;
    int rv;
    if (!nodeIsLeader(n)) {
        return ETCFS_NOTLEADER;
    }
    if (findServer(n, id, NULL) == NULL) {
        return ETCFS_MEMBER_NOTFOUND;
    }
    if (peerAddress(peer_url, address, sizeof address) != 0) {
        return ETCFS_INVALID;
    }
    for (i = 0; i < n->raft.configuration.n; i++) {
        const struct raft_server *s = &n->raft.configuration.servers[i];
        if (s->id != id && strcmp(s->address, address) == 0) {
            return ETCFS_PEERURL_EXISTS;
        }
    }
    if (id == n->cfg.id) {
        return ETCFS_MEMBER_IS_LEADER;
    }
    /* libraft cannot change an address in place: remove the member and
     * add it back with the same id. A voter comes back as a standby and is
     * promoted again by membershipTick once it caught up; a learner keeps
     * its learner flag. */
    req->node = n;
    req->id = id;
    req->updating = true;
    snprintf(req->address, sizeof req->address, "%s", address);
    req->step = STEP_REMOVE;
    req->change.data = req;
    rv = raft_remove(&n->raft, &req->change, id, removeCb);
    return changeStarted(n, req, rv);
}

/* ---- transfer ---- */

static void transferCb(struct raft_transfer *t)
{
    struct node_change *req = t->data;
    struct node *n = req->node;
    raft_id leader = 0;
    const char *address = NULL;
    raft_leader(&n->raft, &leader, &address);
    changeDone(req, req->id == 0 || leader == req->id ? 0
                                                      : ETCFS_LEADER_CHANGED);
}

static void transferSelfCb(struct raft_barrier *b, int status)
{
    changeDone(b->data, membershipToEtcfs(status));
}

int nodeTransfer(struct node *n, struct node_change *req, uint64_t id)
{
    const struct raft_server *server = findServer(n, id, NULL);
    int rv;
    if (!nodeIsLeader(n)) {
        return ETCFS_NOTLEADER;
    }
    /* etcd 3.4 EtcdServer.MoveLeader: the transferee must be a voting
     * member; the leader itself already leads (success at once) */
    if (id != 0 && (server == NULL || server->role != RAFT_VOTER)) {
        return ETCFS_BAD_TRANSFEREE;
    }
    req->node = n;
    req->id = id;
    req->step = STEP_TRANSFER;
    if (id == n->cfg.id) {
        req->barrier.data = req;
        rv = raft_barrier(&n->raft, &req->barrier, transferSelfCb);
        return changeStarted(n, req, rv);
    }
    req->transfer.data = req;
    rv = raft_transfer(&n->raft, &req->transfer, id, transferCb);
    return changeStarted(n, req, rv); /* RAFT_BADID: ETCFS_MEMBER_NOTFOUND */
}

/* ---- auto-promotion of voters-to-be ---- */

static void autoPromoteCb(struct raft_change *c, int status)
{
    struct node *n = c->data;
    n->promoting = false;
    if (status != 0) {
        debugf("auto-promote: %s", raft_strerror(status));
    } else {
        infof("member promoted to voter after catching up");
    }
}

void membershipTick(struct node *n)
{
    unsigned i;
    if (n->promoting || !nodeIsLeader(n) ||
        n->raft.leader_state.change != NULL) {
        return;
    }
    for (i = 0; i < n->raft.configuration.n; i++) {
        const struct raft_server *s = &n->raft.configuration.servers[i];
        if (s->role != RAFT_STANDBY) {
            continue;
        }
        if (learnerFlagged(n, s->id)) {
            continue; /* a learner: waits for `member promote` */
        }
        if (!isCaughtUp(n, i)) {
            continue;
        }
        n->auto_change.change.data = n;
        if (raft_assign(&n->raft, &n->auto_change.change, s->id, RAFT_VOTER,
                        autoPromoteCb) == 0) {
            n->promoting = true;
        }
        return;
    }
}

void membershipCancelAll(struct node *n)
{
    /* libraft fires pending change and transfer callbacks on close; those
     * remove the requests from n->changes. Nothing to do here but make
     * sure no new change starts. */
    n->promoting = true;
}
