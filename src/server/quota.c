/* The NOSPACE rule (quota.h). */
#include "quota.h"

#include <stdint.h>
#include <sys/statvfs.h>

bool quotaExceeded(const struct config *cfg, struct store *store,
                   const struct command *cmd)
{
    struct statvfs vfs;
    uint64_t reserve = 2 * cfg->max_request_bytes + (8u << 20);
    if (cmd->type != COMMAND_PUT && cmd->type != COMMAND_TXN &&
        cmd->type != COMMAND_LEASE_GRANT) {
        return false;
    }
    if ((uint64_t)storeDbSize(store) > cfg->quota_backend_bytes) {
        return true;
    }
    if (statvfs(cfg->data_dir, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * vfs.f_frsize < reserve) {
        return true;
    }
    return false;
}
