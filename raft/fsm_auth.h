/* Permission checks at apply time (fsm_auth.c). */
#ifndef ETCFS_FSM_AUTH_H
#define ETCFS_FSM_AUTH_H

#include "command.h"

/* Whether cmd's user may do it under the store's auth state: 0 (or auth
 * off), ETCFS_USER_EMPTY, ETCFS_AUTH_OLD_REVISION, ETCFS_PERMISSION_DENIED
 * (an auth change: root only), or an I/O error reading lease keys. */
int fsmAuthorize(struct store *s, const struct command *cmd);

#endif /* ETCFS_FSM_AUTH_H */
