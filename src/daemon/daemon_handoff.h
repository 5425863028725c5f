/* A leader stopped by SIGTERM/SIGINT hands leadership to an up-to-date
 * voter first, as etcd 3.4 does (EtcdServer.TransferLeadership at stop):
 * the cluster elects no one and clients see no "no leader" window, so
 * `systemctl restart` of the leader costs them nothing.
 *
 * Loop thread. */
#ifndef ETCFS_DAEMON_HANDOFF_H
#define ETCFS_DAEMON_HANDOFF_H

#include <stdbool.h>

#include "../../raft/node.h"

struct daemon_handoff
{
    struct node_change change;
    struct node *node;
    void (*done)(void *data);
    void *data;
};

/* When n leads a cluster with another voter, starts the transfer (libraft
 * picks the most up-to-date voter) and returns true: done(data) follows
 * once leadership moved, or the transfer gave up (an election timeout).
 * False when there is nothing to hand over (done is not called). */
bool daemonHandoff(struct daemon_handoff *h, struct node *n,
                   void (*done)(void *data), void *data);

#endif /* ETCFS_DAEMON_HANDOFF_H */
