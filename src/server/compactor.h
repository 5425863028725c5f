/* etcd 3.4's auto-compaction (--auto-compaction-mode/-retention), decided
 * by the leader and replicated as a user's compaction is: a COMMAND_COMPACT
 * through the request path, so every member compacts at the same entry.
 *
 * - revision: every --auto-compaction-interval (etcd: a fixed 5 minutes),
 *   compact to the current revision minus the retention, when that moved
 *   (compactor/revision.go);
 * - periodic: the revision is sampled every tenth of the retention period
 *   (at most 6 minutes); once a period went by since the last compaction
 *   (then every min(period, 1 h)), compact to the revision sampled a period
 *   ago (compactor/periodic.go).
 *
 * Only the leader runs it; a member that gains leadership starts sampling
 * afresh. Loop thread. */
#ifndef ETCFS_COMPACTOR_H
#define ETCFS_COMPACTOR_H

#include <uv.h>

struct compactor;
struct server;

/* Starts the compactor of s when cfg asks for one (NULL otherwise, and on
 * out of memory: logged). */
struct compactor *compactorStart(struct server *s);
/* Stops it; it frees itself once its timer closed and its compaction in
 * flight (cancelled by the node's close) answered. */
void compactorStop(struct compactor *c);

#endif /* ETCFS_COMPACTOR_H */
