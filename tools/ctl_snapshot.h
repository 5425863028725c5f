/* etcfsctl snapshot commands (ctl_snapshot.c): save (streamed from one
 * endpoint), status and restore (offline, on the file). */
#ifndef ETCFS_TOOLS_CTL_SNAPSHOT_H
#define ETCFS_TOOLS_CTL_SNAPSHOT_H

#include "ctl.h"

int ctlCmdSnapshotSave(struct ctl_options *o);
int ctlCmdSnapshotStatus(struct ctl_options *o);
int ctlCmdSnapshotRestore(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_SNAPSHOT_H */
