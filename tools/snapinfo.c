/* etcfs snapshot header reader for `etcfsctl snapshot status|restore`, and
 * the zlib-compatible CRC-32 used as the snapshot's HASH column. An etcfs
 * snapshot (the concatenated blobs of /v3/maintenance/snapshot, written by
 * src/store/store_snapshot.c storeSnapshotEncode) starts with, big-endian:
 *   bytes  0-7   magic "ETCFSNP1"
 *   bytes  8-11  format version, uint32 (1)
 *   bytes 12-19  applied raft index, uint64
 *   bytes 20-27  applied raft term, uint64
 *   bytes 28-35  revision, int64
 *   bytes 36-43  compacted revision, int64
 *   bytes 44-51  live key count, int64
 * and ends with a CRC-32 of everything before it (checked by etcfsd at
 * import). Anything else is rejected. */
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include "snapinfo.h"

#define CTL_SNAP_MAGIC "ETCFSNP1"
#define CTL_SNAP_VERSION 2u /* 1 and 2 share the header */
#define CTL_SNAP_HEADER_LEN 52u

static uint64_t ctlSnapBe64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
    {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t ctlSnapBe32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int ctlSnapshotHeader(const void *buf, size_t len, int64_t *revision, int64_t *keys)
{
    const unsigned char *p = buf;
    if (buf == NULL || len < CTL_SNAP_HEADER_LEN)
    {
        return -1;
    }
    if (memcmp(p, CTL_SNAP_MAGIC, 8) != 0)
    {
        return -1;
    }
    if (ctlSnapBe32(p + 8) < 1 || ctlSnapBe32(p + 8) > CTL_SNAP_VERSION)
    {
        return -1;
    }
    /* p + 12: applied index, p + 20: applied term (not reported) */
    int64_t rev = (int64_t)ctlSnapBe64(p + 28);
    int64_t count = (int64_t)ctlSnapBe64(p + 44);
    if (rev < 0 || count < 0)
    {
        return -1;
    }
    /* The whole-file CRC (the last 4 bytes) is checked by etcfsd when it
     * imports the file; this reads the header only. */
    *revision = rev;
    *keys = count;
    return 0;
}

uint32_t ctlCrc32(uint32_t crc, const void *buf, size_t len)
{
    return (uint32_t)crc32_z(crc, buf, len);
}
