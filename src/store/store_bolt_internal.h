/* Inside the store's etcd 3.4 snapshots (bbolt files): what the producer
 * (store_bolt.c) and the import (store_bolt_import.c) share: the hand-made
 * protobuf wire format of the few messages they carry (store_bolt_pb.c;
 * the store stays free of the generated gRPC code, which lives above it).
 * Pure functions; any thread. */
#ifndef ETCFS_STORE_BOLT_INTERNAL_H
#define ETCFS_STORE_BOLT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/buf.h"

/* The SHA-256 etcd appends to the file it streams. */
#define STORE__BOLT_SHA 32

/* One field of a message: its number, and the varint or the bytes. */
struct pb_field
{
    unsigned num;
    int wire;
    uint64_t u;
    const unsigned char *p;
    size_t n;
};

/* mvccpb.KeyValue */
struct bolt_kv
{
    const unsigned char *key;
    size_t key_len;
    int64_t create_revision;
    int64_t mod_revision;
    int64_t version;
    const unsigned char *value;
    size_t value_len;
    int64_t lease;
};

/* ---- encoding (0, or -1 out of memory) ---- */
int boltPbVarint(struct buf *b, uint64_t v);
/* Field number field as a varint (left out when 0, as proto3 does). */
int boltPbInt(struct buf *b, unsigned field, int64_t v);
/* Field number field as bytes (left out when empty unless always). */
int boltPbBytes(struct buf *b, unsigned field, const void *p, size_t n,
                bool always);
/* kv as an mvccpb.KeyValue into b (emptied first). */
int boltKvEncode(struct buf *b, const struct bolt_kv *kv);

/* ---- decoding ---- */
/* A varint at *p (advanced): 0, or -2 truncated or too long. */
int boltPbGetVarint(const unsigned char **p, const unsigned char *end,
                    uint64_t *v);
/* The next field at *p (advanced): 0, 1 at the end, -2 malformed. */
int boltPbNext(const unsigned char **p, const unsigned char *end,
               struct pb_field *f);
/* An mvccpb.KeyValue (pointers into p): 0 or -2 malformed. */
int boltKvDecode(const unsigned char *p, size_t n, struct bolt_kv *kv);

#endif /* ETCFS_STORE_BOLT_INTERNAL_H */
