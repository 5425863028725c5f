/* The protobuf wire format of the few messages etcd's backend file holds
 * (mvccpb.KeyValue, leasepb.Lease, authpb.User and Role): varints and
 * length-delimited fields only, by hand, so the store needs none of the
 * generated gRPC code. Pure; any thread. */
#include <string.h>

#include "store_bolt_internal.h"

int boltPbVarint(struct buf *b, uint64_t v)
{
    unsigned char t[10];
    size_t n = 0;
    do {
        t[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0) {
            t[n] |= 0x80;
        }
        n++;
    } while (v != 0);
    return bufAppend(b, t, n);
}

/* int64 field, left out when 0 (proto3). */
int boltPbInt(struct buf *b, unsigned field, int64_t v)
{
    if (v == 0) {
        return 0;
    }
    if (boltPbVarint(b, (uint64_t)field << 3) != 0) {
        return -1;
    }
    return boltPbVarint(b, (uint64_t)v);
}

/* bytes field; left out when empty unless always. */
int boltPbBytes(struct buf *b, unsigned field, const void *p, size_t n,
                bool always)
{
    if (n == 0 && !always) {
        return 0;
    }
    if (boltPbVarint(b, (uint64_t)field << 3 | 2) != 0 ||
        boltPbVarint(b, n) != 0) {
        return -1;
    }
    return n == 0 ? 0 : bufAppend(b, p, n);
}


int boltPbGetVarint(const unsigned char **p, const unsigned char *end,
                    uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end) {
            return -2;
        }
        unsigned char c = *(*p)++;
        r |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            *v = r;
            return 0;
        }
    }
    return -2;
}

/* The next field of [*p, end): 0, 1 at the end, -2 malformed. */
int boltPbNext(const unsigned char **p, const unsigned char *end,
               struct pb_field *f)
{
    uint64_t tag;
    if (*p >= end) {
        return 1;
    }
    if (boltPbGetVarint(p, end, &tag) != 0) {
        return -2;
    }
    f->num = (unsigned)(tag >> 3);
    f->wire = (int)(tag & 7);
    switch (f->wire) {
    case 0:
        return boltPbGetVarint(p, end, &f->u);
    case 2:
        if (boltPbGetVarint(p, end, &f->u) != 0 ||
            f->u > (uint64_t)(end - *p)) {
            return -2;
        }
        f->p = *p;
        f->n = (size_t)f->u;
        *p += f->n;
        return 0;
    case 1:
        if (end - *p < 8) {
            return -2;
        }
        *p += 8;
        return 0;
    case 5:
        if (end - *p < 4) {
            return -2;
        }
        *p += 4;
        return 0;
    default:
        return -2;
    }
}


int boltKvEncode(struct buf *b, const struct bolt_kv *kv)
{
    bufReset(b);
    if (boltPbBytes(b, 1, kv->key, kv->key_len, false) != 0 ||
        boltPbInt(b, 2, kv->create_revision) != 0 ||
        boltPbInt(b, 3, kv->mod_revision) != 0 ||
        boltPbInt(b, 4, kv->version) != 0 ||
        boltPbBytes(b, 5, kv->value, kv->value_len, false) != 0 ||
        boltPbInt(b, 6, kv->lease) != 0) {
        return -1;
    }
    return 0;
}

int boltKvDecode(const unsigned char *p, size_t n, struct bolt_kv *kv)
{
    const unsigned char *end = p + n;
    struct pb_field f;
    int rv;
    memset(kv, 0, sizeof *kv);
    while ((rv = boltPbNext(&p, end, &f)) == 0) {
        if (f.num >= 2 && f.num <= 4 && f.wire == 0) {
            int64_t v = (int64_t)f.u;
            if (f.num == 2) {
                kv->create_revision = v;
            } else if (f.num == 3) {
                kv->mod_revision = v;
            } else {
                kv->version = v;
            }
        } else if (f.num == 6 && f.wire == 0) {
            kv->lease = (int64_t)f.u;
        } else if (f.num == 1 && f.wire == 2) {
            kv->key = f.p;
            kv->key_len = f.n;
        } else if (f.num == 5 && f.wire == 2) {
            kv->value = f.p;
            kv->value_len = f.n;
        }
    }
    return rv == 1 ? 0 : -2;
}
