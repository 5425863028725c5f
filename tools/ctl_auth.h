/* etcfsctl auth commands (ctl_auth.c): auth enable (which, as etcdctl,
 * gives the root user the root role when it lacks it), auth disable, and
 * auth status (etcdctl 3.5's; etcd 3.4 has no /v3/auth/status). */
#ifndef ETCFS_TOOLS_CTL_AUTH_H
#define ETCFS_TOOLS_CTL_AUTH_H

#include "ctl.h"
#include "ctl_request.h"

extern const struct ctl_unary ctlAuthDisable;
extern const struct ctl_unary ctlAuthStatus;

/* auth enable: returns 0 (every failure exits). */
int ctlCmdAuthEnable(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_AUTH_H */
