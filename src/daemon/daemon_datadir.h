/* The data dir of etcfsd, as found at start: created when missing, checked
 * to belong to this member and cluster token (<data-dir>/member), and the
 * state `etcfsctl snapshot restore` left there (restore.snap) imported
 * into a new store. Loop thread, at start only, before anything is served
 * (small synchronous file I/O: nothing else runs on the loop yet). */
#ifndef ETCFS_DAEMON_DATADIR_H
#define ETCFS_DAEMON_DATADIR_H

#include <stdint.h>

#include "../core/config.h"
#include "../store/store.h"

/* Creates dir and its missing parents (0700). dir is borrowed. */
int daemonDataDirCreate(const char *dir, char *errmsg);

/* Where the Raft log and snapshots live: --wal-dir, else <data-dir>/raft. */
void daemonRaftDir(const struct config *cfg, char *buf, size_t size);
/* Refuses a start whose Raft log dir differs from the one the data dir was
 * first started with (recorded in <data-dir>/wal-dir). 0 or an error. */
int daemonRaftDirCheck(const struct config *cfg, char *errmsg);

/* Checks <data-dir>/member names this member and cluster token, or writes
 * it on a new data dir. *id: in, the id derived from the peer URL; out,
 * the id recorded there (it wins). cfg is borrowed for the call. */
int daemonDataDirCheckIdentity(const struct config *cfg, uint64_t *id,
                               char *errmsg);

/* Loads <data-dir>/restore.snap, if there is one, into the freshly opened
 * store (refused when the store holds state already), drops the old
 * cluster's membership and id, and renames the file restore.snap.imported.
 * 0 also when there is nothing to import. cfg and store are borrowed. */
int daemonDataDirImportRestore(const struct config *cfg, struct store *store,
                               char *errmsg);

#endif /* ETCFS_DAEMON_DATADIR_H */
