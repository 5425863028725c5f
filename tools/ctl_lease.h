/* etcfsctl lease commands (ctl_lease.c): grant, revoke, timetolive and
 * list are one request each; keep-alive renews over /v3/lease/keepalive
 * until the lease is gone or the process is stopped. */
#ifndef ETCFS_TOOLS_CTL_LEASE_H
#define ETCFS_TOOLS_CTL_LEASE_H

#include "ctl.h"
#include "ctl_request.h"

extern const struct ctl_unary ctlLeaseGrant;
extern const struct ctl_unary ctlLeaseRevoke;
extern const struct ctl_unary ctlLeaseTimeToLive;
extern const struct ctl_unary ctlLeaseList;

/* lease keep-alive [--once] <id>: returns 0 (SIGINT/SIGTERM exit 0). */
int ctlCmdLeaseKeepAlive(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_LEASE_H */
