/* etcfs snapshot files (snapinfo.c): reading the header etcfsd writes, and
 * the zlib CRC-32 used as the HASH column of snapshot status. Pure. */
#ifndef ETCFS_TOOLS_SNAPINFO_H
#define ETCFS_TOOLS_SNAPINFO_H

#include <stddef.h>
#include <stdint.h>

/* Reads the header at buf[0..len) (borrowed). Returns 0 with the revision
 * and key count, or -1 when it is not an etcfs snapshot. */
int ctlSnapshotHeader(const void *buf, size_t len, int64_t *revision, int64_t *keys);
/* zlib's crc32 of buf[0..len) (borrowed), continuing from crc. */
uint32_t ctlCrc32(uint32_t crc, const void *buf, size_t len);

#endif /* ETCFS_TOOLS_SNAPINFO_H */
