/* Protobuf (etcd 3.4's etcdserverpb/mvccpb messages, protobuf-c) <-> the
 * store's protocol-free structs, for every gRPC handler: KeyValue and
 * Event out; Range, Put, DeleteRange and Txn requests in (checked by
 * src/server/kv_check.c, as the JSON gateway's are) and their results out.
 * Decoded requests point into the unpacked message (borrowed: keep it
 * alive while using them); built messages point into the store structs
 * they came from and into blocks of the caller's arena (free both after
 * packing). Pure: no I/O, any thread. */
#ifndef ETCFS_GRPC_CODEC_H
#define ETCFS_GRPC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd/etcdserver/etcdserverpb/rpc.pb-c.h"
#include "etcd/mvcc/mvccpb/kv.pb-c.h"

#include "../lib/arena.h"
#include "../store/store.h"

/* ---- out ---- */
/* Fills m (initialised here) from kv (borrowed while m is used). */
void grpcCodecKv(Mvccpb__KeyValue *m, const struct store_kv *kv);
/* New KeyValue from the arena; NULL on out of memory. */
Mvccpb__KeyValue *grpcCodecKvNew(struct arena *a, const struct store_kv *kv);
/* New Event (kv and prev_kv when the event has one); NULL on out of
 * memory. */
Mvccpb__Event *grpcCodecEventNew(struct arena *a,
                                 const struct store_event *ev);

/* Responses without their header (the caller sets ->header): NULL on out
 * of memory. */
Etcdserverpb__RangeResponse *
grpcCodecRangeResp(struct arena *a, const struct store_range_resp *r);
Etcdserverpb__PutResponse *grpcCodecPutResp(struct arena *a,
                                            const struct store_put_resp *r);
Etcdserverpb__DeleteRangeResponse *
grpcCodecDeleteResp(struct arena *a, const struct store_delete_resp *r);
/* Each sub-response carries a header with only revision, as etcd's. */
Etcdserverpb__TxnResponse *grpcCodecTxnResp(struct arena *a,
                                            const struct store_txn_resp *r,
                                            int64_t revision);

/* ---- in ----
 * 0, or ETCFS_INVALID (an enum value etcd does not define, a txn op with
 * no request, nesting too deep) / a kv_check.c error, errmsg
 * (ETCFS_ERRMSG_SIZE) saying which. */
int grpcCodecRangeReq(const Etcdserverpb__RangeRequest *m,
                      struct store_range_req *r, bool *serializable,
                      char *errmsg);
/* max_bytes bounds key + value (--max-request-bytes). */
int grpcCodecPutReq(const Etcdserverpb__PutRequest *m,
                    struct store_put_req *r, size_t max_bytes, char *errmsg);
int grpcCodecDeleteReq(const Etcdserverpb__DeleteRangeRequest *m,
                       struct store_delete_req *r, char *errmsg);
/* Arrays of compares and ops come from the arena; each level is held to
 * etcd's --max-txn-ops (max_ops) before anything is allocated for it. */
int grpcCodecTxnReq(struct arena *a, const Etcdserverpb__TxnRequest *m,
                    struct store_txn_req *r, size_t max_bytes, size_t max_ops,
                    char *errmsg);
/* Checks a TxnRequest's encoding (n bytes, borrowed) for nesting deeper
 * than kv_check.c allows, without recursion, before protobuf-c's unpack
 * (which recurses once per level: a deep enough message would overflow
 * the loop thread's stack). 0 (including bytes that are not a valid
 * message: the unpack reports those) or ETCFS_INVALID. */
int grpcCodecTxnDepth(const uint8_t *msg, size_t n, char *errmsg);

#endif /* ETCFS_GRPC_CODEC_H */
