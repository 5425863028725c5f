/* etcfsctl user commands (ctl_user.c): user add, delete, get, list, passwd,
 * grant-role and revoke-role, one request each but user get --detail, which
 * also gets each role of the user. */
#ifndef ETCFS_TOOLS_CTL_USER_H
#define ETCFS_TOOLS_CTL_USER_H

#include "ctl.h"
#include "ctl_request.h"

extern const struct ctl_unary ctlUserAdd;
extern const struct ctl_unary ctlUserDelete;
extern const struct ctl_unary ctlUserList;
extern const struct ctl_unary ctlUserPasswd;
extern const struct ctl_unary ctlUserGrantRole;
extern const struct ctl_unary ctlUserRevokeRole;

/* user get [--detail] <name>: returns 0 (every failure exits). */
int ctlCmdUserGet(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_USER_H */
