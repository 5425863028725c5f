/* etcfsctl watch (ctl_watch.c): one /v3/watch stream per watch, resumed on
 * the next endpoint when its server goes away; watch -i runs the watches of
 * stdin's lines side by side. */
#ifndef ETCFS_TOOLS_CTL_WATCH_H
#define ETCFS_TOOLS_CTL_WATCH_H

#include "ctl.h"

/* Never returns 0 on its own: a watch ends by a signal (exit 0) or with
 * the server's cancel (exit 5) or an error. */
int ctlCmdWatch(struct ctl_options *o);

#endif /* ETCFS_TOOLS_CTL_WATCH_H */
