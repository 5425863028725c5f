/* etcd's NOSPACE rule, decided before a write enters the log: the store
 * over --quota-backend-bytes, or the data dir's file system too full to
 * take an entry twice (Raft log + store) with a margin. Deletes, revokes
 * and compactions stay allowed: they are how an operator frees space. The
 * caller's thread, one struct quota per caller: the file system's free
 * space is asked at most every QUOTA_DISK_CHECK_MS (a statvfs per put was
 * 3 % of a leader's loop under load). */
#ifndef ETCFS_QUOTA_H
#define ETCFS_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "../../raft/command.h"
#include "../core/config.h"
#include "../store/store.h"

#define QUOTA_DISK_CHECK_MS 50

struct quota
{
    int64_t checked_ms; /* CLOCK_MONOTONIC of the last statvfs; 0: never */
    bool disk_low;      /* what it said */
};

/* True when cmd must be refused with ETCFS_NOSPACE. */
bool quotaExceeded(struct quota *q, const struct config *cfg,
                   struct store *store, const struct command *cmd);

#endif /* ETCFS_QUOTA_H */
