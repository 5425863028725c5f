/* JSON <-> store structs for the etcd v3 gateway wire format: base64 bytes,
 * int64 as strings (numbers accepted), enums by name or number, zero values
 * omitted in responses, unknown fields ignored. Decoded requests point into
 * an arena owned by the caller's request. Pure: jansson and OpenSSL's base64
 * only, no I/O, any thread. */
#ifndef ETCFS_CODEC_H
#define ETCFS_CODEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/arena.h"
#include "../store/store.h"

/* Request field readers: a missing or null field gives the zero value.
 * Errors: ETCFS_BADJSON with errmsg naming the field. */
int codecBytes(struct arena *a, json_t *obj, const char *field,
               const char **out, size_t *len, char *errmsg);
int codecInt64(json_t *obj, const char *field, int64_t *out, char *errmsg);
int codecUint64(json_t *obj, const char *field, uint64_t *out, char *errmsg);
int codecBool(json_t *obj, const char *field, bool *out, char *errmsg);
/* A JSON string (borrowed from obj; may hold NULs, len bytes). */
int codecString(json_t *obj, const char *field, const char **out,
                size_t *len, char *errmsg);
/* Enum by name (one of names[0..n)) or by number < n. */
int codecEnum(json_t *obj, const char *field, const char *const *names,
              int n, int *out, char *errmsg);

/* Response builders (new references; NULL only on out of memory). */
json_t *codecB64(const char *p, size_t len);
json_t *codecI64(int64_t v);
json_t *codecU64(uint64_t v);
/* A member's comma-separated URLs as a JSON array of strings. */
json_t *codecUrlList(const char *csv);
/* Sets field to an int64 string unless v is 0 (proto3 omits zeros). */
void codecSetI64(json_t *obj, const char *field, int64_t v);
void codecSetU64(json_t *obj, const char *field, uint64_t v);
json_t *codecHeader(uint64_t cluster_id, uint64_t member_id, int64_t revision,
                    uint64_t raft_term);
json_t *codecKv(const struct store_kv *kv);

/* Requests. max_bytes bounds key + value (ETCFS_TOO_LARGE). */
int codecRangeReq(struct arena *a, json_t *obj, struct store_range_req *r,
                  bool *serializable, char *errmsg);
int codecPutReq(struct arena *a, json_t *obj, struct store_put_req *r,
                size_t max_bytes, char *errmsg);
int codecDeleteReq(struct arena *a, json_t *obj, struct store_delete_req *r,
                   char *errmsg);
/* Txn (nested txns allowed up to a small depth); *has_writes is set when
 * any branch has a put or delete. */
int codecTxnReq(struct arena *a, json_t *obj, struct store_txn_req *r,
                size_t max_bytes, bool *has_writes, char *errmsg);

/* Responses: the body without the header (added by the caller). */
json_t *codecRangeResp(const struct store_range_resp *r);
json_t *codecPutResp(const struct store_put_resp *r);
json_t *codecDeleteResp(const struct store_delete_resp *r);
/* revision goes into each sub-response's header, as etcd does. */
json_t *codecTxnResp(const struct store_txn_resp *r, int64_t revision);
/* One watch event as mvccpb.Event. */
json_t *codecEvent(const struct store_event *ev);

#endif /* ETCFS_CODEC_H */
