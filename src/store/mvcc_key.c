/* Encoders and decoders of the store's LevelDB keys and values (layout in
 * mvcc_key.h). Pure: no I/O; every decoder checks lengths and returns -2 on
 * malformed bytes instead of trusting the disk. */
#include "mvcc_key.h"

#include <string.h>

/* ---- escaping ---- */

int mvccKeyEscape(struct buf *b, const char *key, size_t len)
{
    const char *p = key;
    const char *end = key + len;
    /* Copy runs between NUL bytes in one go. */
    while (p < end) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (z == NULL) {
            return bufAppend(b, p, (size_t)(end - p)) == 0
                       ? bufAppend(b, "\x00\x01", 2)
                       : -1;
        }
        if (bufAppend(b, p, (size_t)(z - p)) != 0 ||
            bufAppend(b, "\x00\xff", 2) != 0) {
            return -1;
        }
        p = z + 1;
    }
    return bufAppend(b, "\x00\x01", 2);
}

int mvccKeyUnescape(struct buf *out, const char *in, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *z = memchr(in + i, '\0', len - i);
        size_t run;
        if (z == NULL || (size_t)(z - in) + 1 >= len) {
            return -2;
        }
        run = (size_t)(z - (in + i));
        if (bufAppend(out, in + i, run) != 0) {
            return -1;
        }
        i += run;
        if ((unsigned char)in[i + 1] == 0x01) {
            return i + 2 == len ? 0 : -2;
        }
        if ((unsigned char)in[i + 1] != 0xff) {
            return -2;
        }
        if (bufAppendByte(out, 0) != 0) {
            return -1;
        }
        i += 2;
    }
    return -2;
}

/* ---- index keys ---- */

int mvccKeyIndexPrefix(struct buf *b, const char *key, size_t len)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_INDEX) != 0) {
        return -1;
    }
    return mvccKeyEscape(b, key, len);
}

int mvccKeyIndex(struct buf *b, const char *key, size_t len, int64_t rev,
                 int64_t sub)
{
    if (mvccKeyIndexPrefix(b, key, len) != 0 ||
        bufAppendU64(b, (uint64_t)rev) != 0 ||
        bufAppendU64(b, (uint64_t)sub) != 0) {
        return -1;
    }
    return 0;
}

int mvccKeyIndexAfter(struct buf *b, const char *key, size_t len)
{
    if (mvccKeyIndexPrefix(b, key, len) != 0) {
        return -1;
    }
    /* Revisions are positive int64: their first byte is at most 0x7f. */
    return bufAppendByte(b, 0xff);
}

int mvccKeyIndexParse(const char *k, size_t klen, size_t *group_len,
                      int64_t *rev, int64_t *sub)
{
    /* 'i' + at least the 2-byte terminator + rev + sub. */
    if (klen < 1 + 2 + MVCC_REV_SUFFIX || k[0] != MVCC_KEY_INDEX) {
        return -2;
    }
    *group_len = klen - MVCC_REV_SUFFIX;
    if (k[*group_len - 2] != '\0' || k[*group_len - 1] != '\x01') {
        return -2;
    }
    *rev = (int64_t)bufGetU64(k + *group_len);
    *sub = (int64_t)bufGetU64(k + *group_len + 8);
    if (*rev <= 0 || *sub < 0) {
        return -2;
    }
    return 0;
}

int mvccKeyIndexUserKey(struct buf *out, const char *k, size_t group_len)
{
    if (group_len < 3) {
        return -2;
    }
    return mvccKeyUnescape(out, k + 1, group_len - 1);
}

/* ---- other keyspaces ---- */

int mvccKeyRev(struct buf *b, int64_t rev, int64_t sub)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_REV) != 0 ||
        bufAppendU64(b, (uint64_t)rev) != 0 ||
        bufAppendU64(b, (uint64_t)sub) != 0) {
        return -1;
    }
    return 0;
}

int mvccKeyRevParse(const char *k, size_t klen, int64_t *rev, int64_t *sub)
{
    if (klen != 17 || k[0] != MVCC_KEY_REV) {
        return -2;
    }
    *rev = (int64_t)bufGetU64(k + 1);
    *sub = (int64_t)bufGetU64(k + 9);
    if (*rev <= 0 || *sub < 0) {
        return -2;
    }
    return 0;
}

int mvccKeyLease(struct buf *b, int64_t id)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_LEASE) != 0 ||
        bufAppendU64(b, (uint64_t)id) != 0) {
        return -1;
    }
    return 0;
}

int mvccKeyAttach(struct buf *b, int64_t id, const char *key, size_t len)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_ATTACH) != 0 ||
        bufAppendU64(b, (uint64_t)id) != 0 || bufAppend(b, key, len) != 0) {
        return -1;
    }
    return 0;
}

int mvccKeyLatest(struct buf *b, const char *key, size_t len)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_LATEST) != 0 || bufAppend(b, key, len) != 0) {
        return -1;
    }
    return 0;
}

int mvccKeyMeta(struct buf *b, const char *name, size_t len)
{
    bufReset(b);
    if (bufAppendByte(b, MVCC_KEY_META) != 0 || bufAppend(b, name, len) != 0) {
        return -1;
    }
    return 0;
}

/* ---- records ---- */

static bool recordHasAttr(const struct mvcc_record *r)
{
    return r->attr.mode != 0 || r->attr.uid != 0 || r->attr.gid != 0 ||
           r->attr.mtime_ns != 0 || r->attr.atime_ns != 0 ||
           r->attr.ctime_ns != 0;
}

static bool recordHasTimes(const struct mvcc_record *r)
{
    return r->attr.atime_ns != 0 || r->attr.ctime_ns != 0;
}

/* flags, create, version, lease, [attr, [times]], value; b has room. */
static void recordAppend(struct buf *b, const struct mvcc_record *r)
{
    bool attr = recordHasAttr(r);
    bool times = recordHasTimes(r);
    (void)bufAppendByte(b, (r->tombstone ? MVCC_RECORD_TOMBSTONE : 0) |
                               (attr ? MVCC_RECORD_ATTR : 0) |
                               (times ? MVCC_RECORD_TIMES : 0));
    (void)bufAppendU64(b, (uint64_t)r->create_revision);
    (void)bufAppendU64(b, (uint64_t)r->version);
    (void)bufAppendU64(b, (uint64_t)r->lease);
    if (attr) {
        (void)bufAppendU32(b, r->attr.mode);
        (void)bufAppendU32(b, r->attr.uid);
        (void)bufAppendU32(b, r->attr.gid);
        (void)bufAppendU64(b, (uint64_t)r->attr.mtime_ns);
        if (times) {
            (void)bufAppendU64(b, (uint64_t)r->attr.atime_ns);
            (void)bufAppendU64(b, (uint64_t)r->attr.ctime_ns);
        }
    }
    (void)bufAppend(b, r->value, r->value_len);
}

int mvccRecordEncode(struct buf *b, const struct mvcc_record *r)
{
    bufReset(b);
    if (bufReserve(b, MVCC_RECORD_HEADER + MVCC_RECORD_ATTR_LEN +
                          MVCC_RECORD_TIMES_LEN +
                          r->value_len) != 0) {
        return -1;
    }
    recordAppend(b, r); /* cannot fail after the reserve */
    return 0;
}

int mvccRecordDecode(const char *data, size_t len, struct mvcc_record *r)
{
    unsigned char flags;
    size_t off = MVCC_RECORD_HEADER;
    if (len < MVCC_RECORD_HEADER) {
        return -2;
    }
    flags = (unsigned char)data[0];
    if ((flags & ~(MVCC_RECORD_TOMBSTONE | MVCC_RECORD_ATTR |
                   MVCC_RECORD_TIMES)) != 0 ||
        ((flags & MVCC_RECORD_TIMES) != 0 && (flags & MVCC_RECORD_ATTR) == 0)) {
        return -2;
    }
    r->tombstone = (flags & MVCC_RECORD_TOMBSTONE) != 0;
    r->create_revision = (int64_t)bufGetU64(data + 1);
    r->version = (int64_t)bufGetU64(data + 9);
    r->lease = (int64_t)bufGetU64(data + 17);
    memset(&r->attr, 0, sizeof r->attr);
    if ((flags & MVCC_RECORD_ATTR) != 0) {
        if (len < MVCC_RECORD_HEADER + MVCC_RECORD_ATTR_LEN) {
            return -2;
        }
        r->attr.mode = bufGetU32(data + off);
        r->attr.uid = bufGetU32(data + off + 4);
        r->attr.gid = bufGetU32(data + off + 8);
        r->attr.mtime_ns = (int64_t)bufGetU64(data + off + 12);
        off += MVCC_RECORD_ATTR_LEN;
        if ((flags & MVCC_RECORD_TIMES) != 0) {
            if (len < off + MVCC_RECORD_TIMES_LEN) {
                return -2;
            }
            r->attr.atime_ns = (int64_t)bufGetU64(data + off);
            r->attr.ctime_ns = (int64_t)bufGetU64(data + off + 8);
            off += MVCC_RECORD_TIMES_LEN;
        }
    }
    r->value = data + off;
    r->value_len = len - off;
    return 0;
}

int mvccLatestEncode(struct buf *b, int64_t rev, int64_t sub,
                     const struct mvcc_record *r)
{
    bufReset(b);
    if (bufReserve(b, 16 + MVCC_RECORD_HEADER + MVCC_RECORD_ATTR_LEN +
                          MVCC_RECORD_TIMES_LEN +
                          r->value_len) != 0) {
        return -1;
    }
    /* Cannot fail after the reserve. */
    (void)bufAppendU64(b, (uint64_t)rev);
    (void)bufAppendU64(b, (uint64_t)sub);
    recordAppend(b, r);
    return 0;
}

int mvccLatestDecode(const char *data, size_t len, int64_t *rev,
                     int64_t *sub, struct mvcc_record *r)
{
    if (len < 16) {
        return -2;
    }
    *rev = (int64_t)bufGetU64(data);
    *sub = (int64_t)bufGetU64(data + 8);
    if (*rev <= 0 || *sub < 0) {
        return -2;
    }
    if (mvccRecordDecode(data + 16, len - 16, r) != 0 || r->tombstone) {
        return -2;
    }
    return 0;
}

/* ---- state ---- */

void mvccStateEncode(char *out, const struct mvcc_state *st)
{
    bufPutU32(out, MVCC_STATE_FORMAT);
    bufPutU64(out + 4, st->applied_index);
    bufPutU64(out + 12, st->applied_term);
    bufPutU64(out + 20, (uint64_t)st->revision);
    bufPutU64(out + 28, (uint64_t)st->compact_rev);
    bufPutU64(out + 36, (uint64_t)st->compact_done);
    bufPutU64(out + 44, (uint64_t)st->key_count);
}

int mvccStateDecode(const char *data, size_t len, struct mvcc_state *st)
{
    if (len != MVCC_STATE_LEN || bufGetU32(data) != MVCC_STATE_FORMAT) {
        return -2;
    }
    st->applied_index = bufGetU64(data + 4);
    st->applied_term = bufGetU64(data + 12);
    st->revision = (int64_t)bufGetU64(data + 20);
    st->compact_rev = (int64_t)bufGetU64(data + 28);
    st->compact_done = (int64_t)bufGetU64(data + 36);
    st->key_count = (int64_t)bufGetU64(data + 44);
    if (st->revision < 1 || st->compact_rev < 0 ||
        st->compact_rev > st->revision || st->compact_done < 0 ||
        st->compact_done > st->compact_rev || st->key_count < 0) {
        return -2;
    }
    return 0;
}

/* ---- ranges ---- */

int mvccKeyCompare(const char *a, size_t a_len, const char *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

bool mvccKeyIsFromKey(const char *end, size_t end_len)
{
    return end_len == 1 && end[0] == '\0';
}

bool mvccKeyInRange(const char *key, size_t key_len, const char *end,
                    size_t end_len, const char *k, size_t k_len)
{
    if (end_len == 0) {
        return mvccKeyCompare(key, key_len, k, k_len) == 0;
    }
    if (mvccKeyCompare(k, k_len, key, key_len) < 0) {
        return false;
    }
    return mvccKeyIsFromKey(end, end_len) ||
           mvccKeyCompare(k, k_len, end, end_len) < 0;
}
