/* etcd's NOSPACE rule, decided before a write enters the log: the store
 * over --quota-backend-bytes, or the data dir's file system too full to
 * take an entry twice (Raft log + store) with a margin. Deletes, revokes
 * and compactions stay allowed: they are how an operator frees space. Any
 * thread (one statvfs). */
#ifndef ETCFS_QUOTA_H
#define ETCFS_QUOTA_H

#include <stdbool.h>

#include "../../raft/command.h"
#include "../core/config.h"
#include "../store/store.h"

/* True when cmd must be refused with ETCFS_NOSPACE. */
bool quotaExceeded(const struct config *cfg, struct store *store,
                   const struct command *cmd);

#endif /* ETCFS_QUOTA_H */
