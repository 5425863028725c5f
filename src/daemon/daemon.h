/* The daemon: builds every module from the configuration, wires them
 * (store -> node -> lease table, watch hub, API, mount), runs the loop and
 * closes them in reverse order on SIGTERM/SIGINT. The one file that knows
 * every module. Loop thread. */
#ifndef ETCFS_DAEMON_H
#define ETCFS_DAEMON_H

#include "../core/config.h"

/* Runs etcfsd with a parsed configuration until a signal stops it.
 * Returns the process exit code; errors are printed as "etcfsd: ..." by
 * the caller from errmsg. */
int daemonRun(const struct config *cfg, char *errmsg);

#endif /* ETCFS_DAEMON_H */
