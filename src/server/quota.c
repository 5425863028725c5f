/* The NOSPACE rule (quota.h). */
#include "quota.h"

#include <stdint.h>
#include <sys/statvfs.h>
#include <time.h>

static int64_t nowMs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool quotaExceeded(struct quota *q, const struct config *cfg,
                   struct store *store, const struct command *cmd)
{
    struct statvfs vfs;
    uint64_t reserve = 2 * cfg->max_request_bytes + (8u << 20);
    int64_t now;
    if (cmd->type != COMMAND_PUT && cmd->type != COMMAND_TXN &&
        cmd->type != COMMAND_LEASE_GRANT) {
        return false;
    }
    if ((uint64_t)storeDbSize(store) > cfg->quota_backend_bytes) {
        return true;
    }
    now = nowMs();
    if (q->checked_ms == 0 || now - q->checked_ms >= QUOTA_DISK_CHECK_MS) {
        q->checked_ms = now;
        q->disk_low = statvfs(cfg->data_dir, &vfs) == 0 &&
                      (uint64_t)vfs.f_bavail * vfs.f_frsize < reserve;
    }
    return q->disk_low;
}
