/* etcfsctl txn (ctl_txn.c): compares and operations read from stdin as
 * etcdctl's txn_command.go reads them, one /v3/kv/txn, its answer printed
 * with the put, get and del field lists. */
#ifndef ETCFS_TOOLS_CTL_TXN_H
#define ETCFS_TOOLS_CTL_TXN_H

#include "ctl_request.h"

extern const struct ctl_unary ctlTxn;

#endif /* ETCFS_TOOLS_CTL_TXN_H */
