/* Protobuf <-> store structs for the gRPC handlers (grpc_codec.h). */
#include "grpc_codec.h"

#include <string.h>

#include "../core/error.h"
#include "../server/kv_check.h"

#define TRY(expr)                                                          \
    do {                                                                   \
        int rv__ = (expr);                                                 \
        if (rv__ != 0) {                                                   \
            return rv__;                                                   \
        }                                                                  \
    } while (0)

/* protobuf-c's bytes field pointing at borrowed bytes (never written). */
static ProtobufCBinaryData bytes(const char *p, size_t len)
{
    ProtobufCBinaryData b;
    b.data = (uint8_t *)(uintptr_t)(p != NULL ? p : "");
    b.len = p != NULL ? len : 0;
    return b;
}

/* ---- out ---- */

void grpcCodecKv(Mvccpb__KeyValue *m, const struct store_kv *kv)
{
    mvccpb__key_value__init(m);
    m->key = bytes(kv->key, kv->key_len);
    m->create_revision = kv->create_revision;
    m->mod_revision = kv->mod_revision;
    m->version = kv->version;
    m->value = bytes(kv->value, kv->value_len);
    m->lease = kv->lease;
}

Mvccpb__KeyValue *grpcCodecKvNew(struct arena *a, const struct store_kv *kv)
{
    Mvccpb__KeyValue *m = arenaAlloc(a, sizeof *m);
    if (m != NULL) {
        grpcCodecKv(m, kv);
    }
    return m;
}

Mvccpb__Event *grpcCodecEventNew(struct arena *a,
                                 const struct store_event *ev)
{
    Mvccpb__Event *m = arenaAlloc(a, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    mvccpb__event__init(m);
    m->type = ev->type == STORE_EVENT_DELETE ? MVCCPB__EVENT__EVENT_TYPE__DELETE
                                             : MVCCPB__EVENT__EVENT_TYPE__PUT;
    m->kv = grpcCodecKvNew(a, &ev->kv);
    if (m->kv == NULL) {
        return NULL;
    }
    if (ev->has_prev) {
        m->prev_kv = grpcCodecKvNew(a, &ev->prev_kv);
        if (m->prev_kv == NULL) {
            return NULL;
        }
    }
    return m;
}

/* n KeyValues as protobuf-c's array of pointers; NULL on out of memory. */
static Mvccpb__KeyValue **kvArray(struct arena *a, const struct store_kv *kvs,
                                  size_t n)
{
    Mvccpb__KeyValue **arr = arenaAlloc(a, n * sizeof *arr);
    Mvccpb__KeyValue *ms = arenaAlloc(a, n * sizeof *ms);
    size_t i;
    if (arr == NULL || ms == NULL) {
        return NULL;
    }
    for (i = 0; i < n; i++) {
        grpcCodecKv(&ms[i], &kvs[i]);
        arr[i] = &ms[i];
    }
    return arr;
}

Etcdserverpb__RangeResponse *
grpcCodecRangeResp(struct arena *a, const struct store_range_resp *r)
{
    Etcdserverpb__RangeResponse *m = arenaAlloc(a, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    etcdserverpb__range_response__init(m);
    if (r->n_kvs > 0) {
        m->kvs = kvArray(a, r->kvs, r->n_kvs);
        if (m->kvs == NULL) {
            return NULL;
        }
        m->n_kvs = r->n_kvs;
    }
    m->more = r->more;
    m->count = r->count;
    return m;
}

Etcdserverpb__PutResponse *grpcCodecPutResp(struct arena *a,
                                            const struct store_put_resp *r)
{
    Etcdserverpb__PutResponse *m = arenaAlloc(a, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    etcdserverpb__put_response__init(m);
    if (r->has_prev) {
        m->prev_kv = grpcCodecKvNew(a, &r->prev_kv);
        if (m->prev_kv == NULL) {
            return NULL;
        }
    }
    return m;
}

Etcdserverpb__DeleteRangeResponse *
grpcCodecDeleteResp(struct arena *a, const struct store_delete_resp *r)
{
    Etcdserverpb__DeleteRangeResponse *m = arenaAlloc(a, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    etcdserverpb__delete_range_response__init(m);
    m->deleted = r->deleted;
    if (r->n_prev_kvs > 0) {
        m->prev_kvs = kvArray(a, r->prev_kvs, r->n_prev_kvs);
        if (m->prev_kvs == NULL) {
            return NULL;
        }
        m->n_prev_kvs = r->n_prev_kvs;
    }
    return m;
}

static Etcdserverpb__ResponseHeader *subHeader(struct arena *a,
                                               int64_t revision)
{
    Etcdserverpb__ResponseHeader *h = arenaAlloc(a, sizeof *h);
    if (h != NULL) {
        etcdserverpb__response_header__init(h);
        h->revision = revision;
    }
    return h;
}

static Etcdserverpb__ResponseOp *opResp(struct arena *a,
                                        const struct store_op_resp *op,
                                        int64_t revision)
{
    Etcdserverpb__ResponseOp *m = arenaAlloc(a, sizeof *m);
    /* a range's header: the revision it read at (etcd: before the txn's
     * writes when none came earlier in it) */
    Etcdserverpb__ResponseHeader *h =
        subHeader(a, op->type == STORE_OP_RANGE && op->range.revision > 0
                         ? op->range.revision
                         : revision);
    if (m == NULL || h == NULL) {
        return NULL;
    }
    etcdserverpb__response_op__init(m);
    switch (op->type) {
        case STORE_OP_RANGE:
            m->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_RANGE;
            m->response_range = grpcCodecRangeResp(a, &op->range);
            if (m->response_range == NULL) {
                return NULL;
            }
            m->response_range->header = h;
            break;
        case STORE_OP_PUT:
            m->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_PUT;
            m->response_put = grpcCodecPutResp(a, &op->put);
            if (m->response_put == NULL) {
                return NULL;
            }
            m->response_put->header = h;
            break;
        case STORE_OP_DELETE:
            m->response_case =
                ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_DELETE_RANGE;
            m->response_delete_range =
                grpcCodecDeleteResp(a, &op->delete_range);
            if (m->response_delete_range == NULL) {
                return NULL;
            }
            m->response_delete_range->header = h;
            break;
        default:
            m->response_case = ETCDSERVERPB__RESPONSE_OP__RESPONSE_RESPONSE_TXN;
            m->response_txn = grpcCodecTxnResp(a, op->txn, revision);
            if (m->response_txn == NULL) {
                return NULL;
            }
            /* as the JSON codec: a nested txn's response has no header */
            break;
    }
    return m;
}

Etcdserverpb__TxnResponse *grpcCodecTxnResp(struct arena *a,
                                            const struct store_txn_resp *r,
                                            int64_t revision)
{
    Etcdserverpb__TxnResponse *m = arenaAlloc(a, sizeof *m);
    size_t i;
    if (m == NULL) {
        return NULL;
    }
    etcdserverpb__txn_response__init(m);
    m->succeeded = r->succeeded;
    if (r->n_responses > 0) {
        m->responses = arenaAlloc(a, r->n_responses * sizeof *m->responses);
        if (m->responses == NULL) {
            return NULL;
        }
        for (i = 0; i < r->n_responses; i++) {
            m->responses[i] = opResp(a, &r->responses[i], revision);
            if (m->responses[i] == NULL) {
                return NULL;
            }
        }
        m->n_responses = r->n_responses;
    }
    return m;
}

/* ---- in ---- */

static int badEnum(char *errmsg, const char *field, int v)
{
    etcfsErrmsgf(errmsg, "%s: unknown enum value %d", field, v);
    return ETCFS_INVALID;
}

int grpcCodecRangeReq(const Etcdserverpb__RangeRequest *m,
                      struct store_range_req *r, bool *serializable,
                      char *errmsg)
{
    memset(r, 0, sizeof *r);
    if ((int)m->sort_order < 0 || (int)m->sort_order > STORE_SORT_DESCEND) {
        return badEnum(errmsg, "sort_order", (int)m->sort_order);
    }
    if ((int)m->sort_target < 0 || (int)m->sort_target > STORE_SORT_VALUE) {
        return badEnum(errmsg, "sort_target", (int)m->sort_target);
    }
    r->key = (const char *)m->key.data;
    r->key_len = m->key.len;
    r->range_end = (const char *)m->range_end.data;
    r->range_end_len = m->range_end.len;
    r->limit = m->limit;
    r->revision = m->revision;
    r->sort_order = (int)m->sort_order;
    r->sort_target = (int)m->sort_target;
    r->keys_only = m->keys_only;
    r->count_only = m->count_only;
    r->min_mod_revision = m->min_mod_revision;
    r->max_mod_revision = m->max_mod_revision;
    r->min_create_revision = m->min_create_revision;
    r->max_create_revision = m->max_create_revision;
    TRY(kvCheckRange(r, errmsg));
    if (serializable != NULL) {
        *serializable = m->serializable;
    }
    return 0;
}

int grpcCodecPutReq(const Etcdserverpb__PutRequest *m,
                    struct store_put_req *r, size_t max_bytes, char *errmsg)
{
    memset(r, 0, sizeof *r);
    r->key = (const char *)m->key.data;
    r->key_len = m->key.len;
    r->value = (const char *)m->value.data;
    r->value_len = m->value.len;
    r->lease = m->lease;
    r->prev_kv = m->prev_kv;
    r->ignore_value = m->ignore_value;
    r->ignore_lease = m->ignore_lease;
    return kvCheckPut(r, max_bytes, errmsg);
}

int grpcCodecDeleteReq(const Etcdserverpb__DeleteRangeRequest *m,
                       struct store_delete_req *r, char *errmsg)
{
    memset(r, 0, sizeof *r);
    r->key = (const char *)m->key.data;
    r->key_len = m->key.len;
    r->range_end = (const char *)m->range_end.data;
    r->range_end_len = m->range_end.len;
    r->prev_kv = m->prev_kv;
    return kvCheckDelete(r, errmsg);
}

static int compareReq(const Etcdserverpb__Compare *m, struct store_compare *c,
                      char *errmsg)
{
    int target = (int)m->target;
    int u = (int)m->target_union_case;
    memset(c, 0, sizeof *c);
    if ((int)m->result < 0 || (int)m->result > STORE_CMP_NOT_EQUAL) {
        return badEnum(errmsg, "result", (int)m->result);
    }
    if (target < 0 || target > STORE_CMP_LEASE) {
        return badEnum(errmsg, "target", target);
    }
    c->result = (int)m->result;
    c->target = target;
    c->key = (const char *)m->key.data;
    c->key_len = m->key.len;
    c->range_end = (const char *)m->range_end.data;
    c->range_end_len = m->range_end.len;
    /* etcd reads the oneof member of the target; another one reads as
     * the zero value (mvcc compare in etcdserver/apply.go) */
    switch (target) {
        case STORE_CMP_VERSION:
            if (u == ETCDSERVERPB__COMPARE__TARGET_UNION_VERSION) {
                c->number = m->version;
            }
            break;
        case STORE_CMP_CREATE:
            if (u == ETCDSERVERPB__COMPARE__TARGET_UNION_CREATE_REVISION) {
                c->number = m->create_revision;
            }
            break;
        case STORE_CMP_MOD:
            if (u == ETCDSERVERPB__COMPARE__TARGET_UNION_MOD_REVISION) {
                c->number = m->mod_revision;
            }
            break;
        case STORE_CMP_LEASE:
            if (u == ETCDSERVERPB__COMPARE__TARGET_UNION_LEASE) {
                c->number = m->lease;
            }
            break;
        default:
            if (u == ETCDSERVERPB__COMPARE__TARGET_UNION_VALUE) {
                c->value = (const char *)m->value.data;
                c->value_len = m->value.len;
            }
            break;
    }
    return kvCheckCompare(c, errmsg);
}

static int txnReq(struct arena *a, const Etcdserverpb__TxnRequest *m,
                  struct store_txn_req *r, size_t max_bytes, size_t max_ops,
                  int depth, char *errmsg);

static int opReq(struct arena *a, const Etcdserverpb__RequestOp *m,
                 struct store_op *op, size_t max_bytes, size_t max_ops,
                 int depth, char *errmsg)
{
    memset(op, 0, sizeof *op);
    switch (m->request_case) {
        case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_RANGE:
            op->type = STORE_OP_RANGE;
            return grpcCodecRangeReq(m->request_range, &op->range, NULL,
                                     errmsg);
        case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_PUT:
            op->type = STORE_OP_PUT;
            return grpcCodecPutReq(m->request_put, &op->put, max_bytes,
                                   errmsg);
        case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_DELETE_RANGE:
            op->type = STORE_OP_DELETE;
            return grpcCodecDeleteReq(m->request_delete_range,
                                      &op->delete_range, errmsg);
        case ETCDSERVERPB__REQUEST_OP__REQUEST_REQUEST_TXN:
            op->type = STORE_OP_TXN;
            op->txn = arenaAlloc(a, sizeof *op->txn);
            if (op->txn == NULL) {
                return ETCFS_NOMEM;
            }
            return txnReq(a, m->request_txn, op->txn, max_bytes, max_ops,
                          depth + 1, errmsg);
        default:
            return kvCheckEmptyOp(errmsg);
    }
}

static int opList(struct arena *a, Etcdserverpb__RequestOp *const *ms,
                  size_t n, struct store_op **ops, size_t *n_ops,
                  size_t max_bytes, size_t max_ops, int depth, char *errmsg)
{
    size_t i;
    *ops = NULL;
    *n_ops = 0;
    if (n == 0) {
        return 0;
    }
    *ops = arenaAlloc(a, n * sizeof **ops);
    if (*ops == NULL) {
        return ETCFS_NOMEM;
    }
    *n_ops = n;
    for (i = 0; i < n; i++) {
        TRY(opReq(a, ms[i], &(*ops)[i], max_bytes, max_ops, depth, errmsg));
    }
    return 0;
}

static int txnReq(struct arena *a, const Etcdserverpb__TxnRequest *m,
                  struct store_txn_req *r, size_t max_bytes, size_t max_ops,
                  int depth, char *errmsg)
{
    size_t i;
    memset(r, 0, sizeof *r);
    TRY(kvCheckTxnDepth(depth, errmsg));
    TRY(kvCheckTxnOps(m->n_compare, m->n_success, m->n_failure, max_ops,
                      errmsg));
    if (m->n_compare > 0) {
        r->compares = arenaAlloc(a, m->n_compare * sizeof *r->compares);
        if (r->compares == NULL) {
            return ETCFS_NOMEM;
        }
        r->n_compares = m->n_compare;
        for (i = 0; i < m->n_compare; i++) {
            TRY(compareReq(m->compare[i], &r->compares[i], errmsg));
        }
    }
    TRY(opList(a, m->success, m->n_success, &r->success, &r->n_success,
               max_bytes, max_ops, depth, errmsg));
    TRY(opList(a, m->failure, m->n_failure, &r->failure, &r->n_failure,
               max_bytes, max_ops, depth, errmsg));
    return 0;
}

int grpcCodecTxnReq(struct arena *a, const Etcdserverpb__TxnRequest *m,
                    struct store_txn_req *r, size_t max_bytes, size_t max_ops,
                    char *errmsg)
{
    return txnReq(a, m, r, max_bytes, max_ops, 0, errmsg);
}

/* ---- txn nesting on the wire ---- */

/* A base-128 varint at *pos below end; false when cut or over 10 bytes. */
static bool wireVarint(const uint8_t *p, size_t *pos, size_t end,
                       uint64_t *v)
{
    unsigned shift = 0;
    *v = 0;
    while (*pos < end && shift < 70) {
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            return true;
        }
        shift += 7;
    }
    return false;
}

/* rpc.proto: TxnRequest.success = 2 and failure = 3 (RequestOp),
 * RequestOp.request_txn = 4 (TxnRequest). */
#define WIRE__TXN_SUCCESS 2
#define WIRE__TXN_FAILURE 3
#define WIRE__OP_TXN 4
#define WIRE__MAX_LEVELS (2 * (KV_CHECK_MAX_TXN_DEPTH + 1) + 1)

int grpcCodecTxnDepth(const uint8_t *msg, size_t n, char *errmsg)
{
    /* the open messages: where each ends and whether it is a TxnRequest
     * (else a RequestOp); [0] is the request itself */
    size_t ends[WIRE__MAX_LEVELS];
    bool is_txn[WIRE__MAX_LEVELS];
    int top = 0;
    int txns = 1;
    size_t pos = 0;
    ends[0] = n;
    is_txn[0] = true;
    while (top >= 0) {
        uint64_t tag, len;
        if (pos >= ends[top]) {
            txns -= is_txn[top] ? 1 : 0;
            top--;
            continue;
        }
        if (!wireVarint(msg, &pos, ends[top], &tag)) {
            return 0; /* not a message: the unpack says so */
        }
        switch (tag & 7) {
            case 0:
                if (!wireVarint(msg, &pos, ends[top], &len)) {
                    return 0;
                }
                continue;
            case 1:
                len = 8;
                break;
            case 5:
                len = 4;
                break;
            case 2:
                if (!wireVarint(msg, &pos, ends[top], &len)) {
                    return 0;
                }
                if (len > ends[top] - pos) {
                    return 0;
                }
                if ((is_txn[top] && (tag >> 3 == WIRE__TXN_SUCCESS ||
                                     tag >> 3 == WIRE__TXN_FAILURE)) ||
                    (!is_txn[top] && tag >> 3 == WIRE__OP_TXN)) {
                    bool txn = !is_txn[top];
                    if (txn && txns > KV_CHECK_MAX_TXN_DEPTH) {
                        return kvCheckTxnDepth(txns, errmsg);
                    }
                    top++; /* < WIRE__MAX_LEVELS: two per txn level */
                    ends[top] = pos + (size_t)len;
                    is_txn[top] = txn;
                    txns += txn ? 1 : 0;
                    continue; /* into the sub-message */
                }
                break;
            default:
                return 0; /* groups: not in etcd's messages */
        }
        if (len > ends[top] - pos) {
            return 0;
        }
        pos += (size_t)len;
    }
    return 0;
}
