/* Snapshot files (snapinfo.c): reading the header of etcfs's own format,
 * the zlib CRC-32 used as its HASH column, and etcd's status of a bbolt
 * file (etcd 3.4's format, which etcfsd sends). Pure. */
#ifndef ETCFS_TOOLS_SNAPINFO_H
#define ETCFS_TOOLS_SNAPINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads the header at buf[0..len) (borrowed). Returns 0 with the revision
 * and key count, or -1 when it is not an etcfs snapshot. */
int ctlSnapshotHeader(const void *buf, size_t len, int64_t *revision, int64_t *keys);
/* zlib's crc32 of buf[0..len) (borrowed), continuing from crc. */
uint32_t ctlCrc32(uint32_t crc, const void *buf, size_t len);

/* Whether buf starts as a bbolt file (etcd 3.4's snapshot, which etcfsd
 * also sends). */
bool ctlSnapshotIsBolt(const void *buf, size_t len);
/* etcd's `snapshot status` of a bbolt file in buf[0..len) (borrowed): the
 * CRC-32C of every bucket name, key and value, the main revision of the
 * last key of bucket "key", the number of keys of every bucket. 0 or -1
 * (malformed). */
int ctlSnapshotBoltStatus(const void *buf, size_t len, uint32_t *hash, int64_t *revision,
                          int64_t *keys);

#endif /* ETCFS_TOOLS_SNAPINFO_H */
