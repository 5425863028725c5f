/* Joining in one flag (--join) and leaving (--leave), before the node
 * starts and at shutdown.
 *
 * --join URLS: on a data dir that belongs to no member yet, the member adds
 * itself to the running cluster as a learner through the cluster's client
 * API (etcd's POST /v3/cluster/member/add, the same call `etcfsctl member
 * add --learner` makes; https with --trusted-ca-file and --cert-file/
 * --key-file, etcd's auth with --join-user), then starts as
 * `--initial-cluster-state existing` with the member list the cluster
 * answered and the id it assigned. A data dir that already belongs to a
 * member starts as it is (a restart reuses it: nothing is asked).
 *
 * --leave: when a member stopped by SIGTERM/SIGINT has removed itself
 * (daemon.c asks the leader through the request path), the data dir is
 * marked as left (`member` renamed `member.left`): a later start with
 * --join wipes its Raft log and store and joins afresh, a start without it
 * is refused with the reason.
 *
 * Blocking (libcurl), on the main thread before the loop serves. */
#ifndef ETCFS_DAEMON_JOIN_H
#define ETCFS_DAEMON_JOIN_H

#include <stdint.h>

#include "../core/config.h"

/* With --join and a data dir without a member: joins, and rewrites cfg's
 * initial cluster and state and *id for the member the cluster added.
 * Also refuses (or, with --join, cleans) a data dir marked as left. 0 or
 * an error with errmsg. */
int daemonJoin(struct config *cfg, uint64_t *id, char *errmsg);

/* Marks the data dir as left (after the member removed itself). */
void daemonLeft(const struct config *cfg);

#endif /* ETCFS_DAEMON_JOIN_H */
