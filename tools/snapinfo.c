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
#include <stdbool.h>
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

/* ---- etcd 3.4 snapshots: bbolt files ----
 * A read-only walk of the bbolt format (go.etcd.io/bbolt page.go; the
 * daemon's own reader is src/store/bolt.c, which etcfsctl may not link):
 * page header id u64, flags u16, count u16, overflow u32; branch elements
 * {pos u32, ksize u32, pgid u64}, leaf elements {flags u32, pos u32,
 * ksize u32, vsize u32}; meta {magic, version, page size, flags, root
 * {pgid, sequence}, freelist, pgid, txid, checksum}; little-endian. */

#define CTL_BOLT_MAGIC 0xED0CDAEDu

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t ctlFnv64a(const unsigned char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++)
    {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

bool ctlSnapshotIsBolt(const void *buf, size_t len)
{
    return len >= 32 && le32((const unsigned char *)buf + 16) == CTL_BOLT_MAGIC;
}

/* CRC-32C (Castagnoli), as etcd's snapshot status hashes with. */
static uint32_t ctlCrc32c(uint32_t crc, const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    static bool ready;
    if (!ready)
    {
        for (uint32_t i = 0; i < 256; i++)
        {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
            }
            table[i] = c;
        }
        ready = true;
    }
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
    {
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

struct ctl_bolt
{
    const unsigned char *p;
    size_t len;
    uint32_t psize;
    uint64_t pages;
    uint32_t hash;
    int64_t keys;
    int64_t rev;
};

typedef int (*ctl_bolt_fn)(struct ctl_bolt *b, const unsigned char *k, size_t kl,
                           const unsigned char *v, size_t vl, uint32_t flags, bool keyb);

/* Every element of the tree at page pg (or an inline page), in key order. */
static int ctlBoltWalk(struct ctl_bolt *b, const unsigned char *pg, size_t size, int depth,
                       ctl_bolt_fn fn, bool keyb)
{
    if (depth > 64 || size < 16)
    {
        return -1;
    }
    uint16_t flags = (uint16_t)(pg[8] | pg[9] << 8);
    size_t count = (size_t)(pg[10] | pg[11] << 8);
    if (16 + count * 16 > size)
    {
        return -1;
    }
    for (size_t i = 0; i < count; i++)
    {
        const unsigned char *e = pg + 16 + i * 16;
        size_t eoff = 16 + i * 16;
        if (flags & 0x01)
        {
            uint64_t id = le64(e + 8);
            if (id < 2 || id >= b->pages)
            {
                return -1;
            }
            const unsigned char *c = b->p + id * b->psize;
            size_t csize = ((size_t)le32(c + 12) + 1) * b->psize;
            if (id * b->psize + csize > b->len)
            {
                return -1;
            }
            if (ctlBoltWalk(b, c, csize, depth + 1, fn, keyb) != 0)
            {
                return -1;
            }
        }
        else if (flags & 0x02)
        {
            size_t pos = le32(e + 4), kl = le32(e + 8), vl = le32(e + 12);
            if (eoff + pos > size || size - eoff - pos < kl || size - eoff - pos - kl < vl)
            {
                return -1;
            }
            if (fn(b, e + pos, kl, e + pos + kl, vl, le32(e), keyb) != 0)
            {
                return -1;
            }
        }
        else
        {
            return -1;
        }
    }
    return 0;
}

static int ctlBoltBucketFn(struct ctl_bolt *b, const unsigned char *k, size_t kl,
                           const unsigned char *v, size_t vl, uint32_t flags, bool keyb)
{
    (void)flags;
    b->hash = ctlCrc32c(b->hash, k, kl);
    b->hash = ctlCrc32c(b->hash, v, vl);
    if (keyb && kl >= 8)
    {
        b->rev = (int64_t)ctlSnapBe64(k);
    }
    b->keys++;
    return 0;
}

/* A bucket of the root: its name hashed, then its elements. */
static int ctlBoltRootFn(struct ctl_bolt *b, const unsigned char *k, size_t kl,
                         const unsigned char *v, size_t vl, uint32_t flags, bool keyb)
{
    (void)keyb;
    if (!(flags & 0x01) || vl < 16)
    {
        return -1; /* etcd: cannot get hash of bucket */
    }
    b->hash = ctlCrc32c(b->hash, k, kl);
    bool isKey = kl == 3 && memcmp(k, "key", 3) == 0;
    uint64_t root = le64(v);
    if (root == 0)
    {
        return ctlBoltWalk(b, v + 16, vl - 16, 0, ctlBoltBucketFn, isKey);
    }
    if (root < 2 || root >= b->pages)
    {
        return -1;
    }
    const unsigned char *pg = b->p + root * b->psize;
    size_t size = ((size_t)le32(pg + 12) + 1) * b->psize;
    if (root * b->psize + size > b->len)
    {
        return -1;
    }
    return ctlBoltWalk(b, pg, size, 0, ctlBoltBucketFn, isKey);
}

int ctlSnapshotBoltStatus(const void *buf, size_t len, uint32_t *hash, int64_t *revision,
                          int64_t *keys)
{
    struct ctl_bolt b;
    const unsigned char *p = buf;
    const unsigned char *meta = NULL;
    memset(&b, 0, sizeof(b));
    b.p = p;
    b.len = len;
    /* the newer of the two valid meta pages */
    for (int i = 0; i < 2; i++)
    {
        size_t at = i == 0 ? 0 : (meta != NULL ? le32(meta + 8) : 4096);
        if (at + 80 > len)
        {
            continue;
        }
        const unsigned char *m = p + at + 16;
        if (le32(m) != CTL_BOLT_MAGIC || le32(m + 4) != 2 || le64(m + 56) != ctlFnv64a(m, 56))
        {
            continue;
        }
        if (meta == NULL || le64(m + 48) > le64(meta + 48))
        {
            meta = m;
        }
    }
    if (meta == NULL)
    {
        return -1;
    }
    b.psize = le32(meta + 8);
    b.pages = le64(meta + 40);
    uint64_t root = le64(meta + 16);
    if (b.psize < 512 || b.psize > 65536 || b.pages > len / b.psize || root < 2 || root >= b.pages)
    {
        return -1;
    }
    const unsigned char *pg = p + root * b.psize;
    size_t size = ((size_t)le32(pg + 12) + 1) * b.psize;
    if (root * b.psize + size > len || ctlBoltWalk(&b, pg, size, 0, ctlBoltRootFn, false) != 0)
    {
        return -1;
    }
    *hash = b.hash;
    *revision = b.rev;
    *keys = b.keys;
    return 0;
}
