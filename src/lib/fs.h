/* Small file-system helpers. Generic; blocking: call them at start-up or
 * from the pool, never from a loop callback. */
#ifndef ETCFS_LIB_FS_H
#define ETCFS_LIB_FS_H

#include <sys/types.h>

/* mkdir -p: creates dir and missing parents with 'mode'. Returns 0 or -errno
 * (the failing path is copied to failed, PATH_MAX bytes, if not NULL). */
int fsMkdirAll(const char *dir, mode_t mode, char *failed);

#endif /* ETCFS_LIB_FS_H */
