/* etcfsctl cluster commands (ctl_cluster.c): member add, remove, update,
 * list and promote (one request each), endpoint health and status (every
 * endpoint asked, failures reported per endpoint) and move-leader. */
#ifndef ETCFS_TOOLS_CTL_CLUSTER_H
#define ETCFS_TOOLS_CTL_CLUSTER_H

#include "ctl.h"
#include "ctl_request.h"

extern const struct ctl_unary ctlMemberAdd;
extern const struct ctl_unary ctlMemberRemove;
extern const struct ctl_unary ctlMemberUpdate;
extern const struct ctl_unary ctlMemberList;
extern const struct ctl_unary ctlMemberPromote;

/* endpoint health: exits 1 ("unhealthy cluster") if any endpoint is. */
int ctlCmdEndpointHealth(struct ctl_options *o);
/* endpoint status: returns 1 if an endpoint did not answer. */
int ctlCmdEndpointStatus(struct ctl_options *o);
/* endpoint hashkv [--rev]: etcdctl's output. */
int ctlCmdEndpointHashKV(struct ctl_options *o);
int ctlCmdMoveLeader(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_CLUSTER_H */
