/* etcfsctl role commands (ctl_role.c): role add, delete, get, list,
 * grant-permission and revoke-permission, one request each; and the view of
 * role get, which user get --detail prints for each role of the user. */
#ifndef ETCFS_TOOLS_CTL_ROLE_H
#define ETCFS_TOOLS_CTL_ROLE_H

#include "ctl.h"
#include "ctl_request.h"
#include "ctl_view.h"

extern const struct ctl_unary ctlRoleAdd;
extern const struct ctl_unary ctlRoleDelete;
extern const struct ctl_unary ctlRoleGet;
extern const struct ctl_unary ctlRoleList;
extern const struct ctl_unary ctlRoleGrantPermission;
extern const struct ctl_unary ctlRoleRevokePermission;

/* What role get prints of an answer of /v3/auth/role/get, for the request
 * {"role": name} (display.RoleGet). */
extern const struct ctl_view ctlRoleGetView;

#endif /* ETCFS_TOOLS_CTL_ROLE_H */
