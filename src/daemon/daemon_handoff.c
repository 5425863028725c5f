/* Leadership handed over at stop (daemon_handoff.h). */
#include "daemon_handoff.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../lib/log.h"

static void handoffCb(struct node_change *c, int status)
{
    struct daemon_handoff *h = c->data;
    if (status == 0 && nodeIsLeader(h->node)) {
        status = ETCFS_LEADER_CHANGED; /* the transfer timed out */
    }
    if (status == 0) {
        infof("handed leadership over before stopping");
    } else {
        warnf("handing leadership over failed: %s; stopping as leader",
              etcfsStrerror(status));
    }
    h->done(h->data);
}

bool daemonHandoff(struct daemon_handoff *h, struct node *n,
                   void (*done)(void *data), void *data)
{
    struct node_member *members = NULL;
    size_t count = 0;
    size_t voters = 0;
    size_t i;
    int rv;
    if (n == NULL || !nodeIsLeader(n)) {
        return false;
    }
    if (nodeMembers(n, &members, &count) != 0) {
        return false;
    }
    for (i = 0; i < count; i++) {
        voters += members[i].is_learner ? 0 : 1;
    }
    free(members);
    if (voters < 2) {
        return false; /* a one-voter cluster: no one to hand over to */
    }
    memset(h, 0, sizeof *h);
    h->node = n;
    h->done = done;
    h->data = data;
    h->change.data = h;
    h->change.cb = handoffCb;
    rv = nodeTransfer(n, &h->change, 0);
    if (rv != 0) {
        warnf("handing leadership over: %s; stopping as leader",
              etcfsStrerror(rv));
        return false;
    }
    infof("leader stopping: handing leadership to an up-to-date voter");
    return true;
}
