/* JSON <-> store structs for the etcd v3 gateway wire format (codec.h). */
#include "codec.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../server/kv_check.h"

/* ---- base64 (standard alphabet, padding required, as Go's StdEncoding) ---- */

static int b64Decode(struct arena *a, const char *in, size_t in_len,
                     const char **out, size_t *out_len)
{
    unsigned char *buf;
    int n;
    size_t pad = 0;
    size_t i;
    if (in_len == 0) {
        *out = "";
        *out_len = 0;
        return 0;
    }
    if (in_len % 4 != 0 || in_len > INT32_MAX) {
        return ETCFS_BADJSON;
    }
    for (i = 0; i < in_len; i++) {
        char c = in[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (c == '=' && i >= in_len - 2) {
            if (i == in_len - 2 && in[in_len - 1] != '=') {
                return ETCFS_BADJSON;
            }
            continue;
        }
        if (!ok) {
            return ETCFS_BADJSON;
        }
    }
    if (in[in_len - 1] == '=') {
        pad++;
    }
    if (in[in_len - 2] == '=') {
        pad++;
    }
    buf = arenaAlloc(a, in_len / 4 * 3 + 1);
    if (buf == NULL) {
        return ETCFS_NOMEM;
    }
    n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)in_len);
    if (n < 0 || (size_t)n < pad) {
        return ETCFS_BADJSON;
    }
    *out = (const char *)buf;
    *out_len = (size_t)n - pad;
    return 0;
}

json_t *codecB64(const char *p, size_t len)
{
    size_t out_len = (len + 2) / 3 * 4;
    unsigned char *buf;
    json_t *s;
    if (len > INT32_MAX / 2) {
        return NULL;
    }
    buf = malloc(out_len + 1);
    if (buf == NULL) {
        return NULL;
    }
    EVP_EncodeBlock(buf, (const unsigned char *)p, (int)len);
    s = json_stringn((const char *)buf, out_len);
    free(buf);
    return s;
}

/* ---- field readers ---- */

static int badField(char *errmsg, const char *field, const char *what)
{
    etcfsErrmsgf(errmsg, "%s: %s", field, what);
    return ETCFS_BADJSON;
}

int codecBytes(struct arena *a, json_t *obj, const char *field,
               const char **out, size_t *len, char *errmsg)
{
    json_t *v = json_object_get(obj, field);
    int rv;
    *out = NULL;
    *len = 0;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return badField(errmsg, field, "expected a base64 string");
    }
    rv = b64Decode(a, json_string_value(v), json_string_length(v), out, len);
    if (rv == ETCFS_BADJSON) {
        return badField(errmsg, field, "illegal base64 data");
    }
    return rv;
}

static int parseInt(json_t *v, const char *field, bool is_unsigned,
                    int64_t *s, uint64_t *u, char *errmsg)
{
    *s = 0;
    *u = 0;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_integer(v)) {
        *s = json_integer_value(v);
        if (is_unsigned && *s < 0) {
            return badField(errmsg, field, "negative value");
        }
        *u = (uint64_t)*s;
        return 0;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        /* converting a double outside int64's range is undefined: check
         * first (-2^63 and 2^63 are exact doubles; INT64_MAX is not) */
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
            return badField(errmsg, field, "value out of range");
        }
        if (d != (double)(int64_t)d) {
            return badField(errmsg, field, "not an integer");
        }
        if (is_unsigned && d < 0) {
            return badField(errmsg, field, "negative value");
        }
        *s = (int64_t)d;
        *u = (uint64_t)*s;
        return 0;
    }
    if (json_is_string(v)) {
        const char *str = json_string_value(v);
        char *end;
        errno = 0;
        if (str[0] == '\0' || (is_unsigned && str[0] == '-')) {
            return badField(errmsg, field, "invalid integer");
        }
        if (is_unsigned) {
            *u = strtoull(str, &end, 10);
            *s = (int64_t)*u;
        } else {
            *s = strtoll(str, &end, 10);
            *u = (uint64_t)*s;
        }
        if (errno != 0 || *end != '\0') {
            return badField(errmsg, field, "invalid integer");
        }
        return 0;
    }
    return badField(errmsg, field, "expected an integer");
}

int codecInt64(json_t *obj, const char *field, int64_t *out, char *errmsg)
{
    uint64_t u;
    return parseInt(json_object_get(obj, field), field, false, out, &u,
                    errmsg);
}

int codecUint64(json_t *obj, const char *field, uint64_t *out, char *errmsg)
{
    int64_t s;
    return parseInt(json_object_get(obj, field), field, true, &s, out,
                    errmsg);
}

int codecBool(json_t *obj, const char *field, bool *out, char *errmsg)
{
    json_t *v = json_object_get(obj, field);
    *out = false;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "true") == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(json_string_value(v), "false") == 0) {
            return 0;
        }
    }
    return badField(errmsg, field, "expected a boolean");
}

int codecString(json_t *obj, const char *field, const char **out,
                size_t *len, char *errmsg)
{
    json_t *v = json_object_get(obj, field);
    *out = "";
    *len = 0;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return badField(errmsg, field, "expected a string");
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 0;
}

int codecEnum(json_t *obj, const char *field, const char *const *names,
              int n, int *out, char *errmsg)
{
    json_t *v = json_object_get(obj, field);
    int i;
    *out = 0;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);
        if (x < 0 || x >= n) {
            return badField(errmsg, field, "unknown enum value");
        }
        *out = (int)x;
        return 0;
    }
    if (json_is_string(v)) {
        for (i = 0; i < n; i++) {
            if (strcmp(json_string_value(v), names[i]) == 0) {
                *out = i;
                return 0;
            }
        }
    }
    return badField(errmsg, field, "unknown enum value");
}

/* ---- response builders ---- */

json_t *codecI64(int64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return json_string(buf);
}

json_t *codecU64(uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return json_string(buf);
}

json_t *codecUrlList(const char *csv)
{
    json_t *arr = json_array();
    const char *p = csv;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (n > 0) {
            json_array_append_new(arr, json_stringn(p, n));
        }
        p += n;
        if (*p == ',') {
            p++;
        }
    }
    return arr;
}

void codecSetI64(json_t *obj, const char *field, int64_t v)
{
    if (v != 0) {
        json_object_set_new(obj, field, codecI64(v));
    }
}

void codecSetU64(json_t *obj, const char *field, uint64_t v)
{
    if (v != 0) {
        json_object_set_new(obj, field, codecU64(v));
    }
}

json_t *codecHeader(uint64_t cluster_id, uint64_t member_id, int64_t revision,
                    uint64_t raft_term)
{
    json_t *h = json_object();
    if (h == NULL) {
        return NULL;
    }
    codecSetU64(h, "cluster_id", cluster_id);
    codecSetU64(h, "member_id", member_id);
    codecSetI64(h, "revision", revision);
    codecSetU64(h, "raft_term", raft_term);
    return h;
}

json_t *codecKv(const struct store_kv *kv)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    if (kv->key_len > 0) {
        json_object_set_new(o, "key", codecB64(kv->key, kv->key_len));
    }
    codecSetI64(o, "create_revision", kv->create_revision);
    codecSetI64(o, "mod_revision", kv->mod_revision);
    codecSetI64(o, "version", kv->version);
    if (kv->value != NULL && kv->value_len > 0) {
        json_object_set_new(o, "value", codecB64(kv->value, kv->value_len));
    }
    codecSetI64(o, "lease", kv->lease);
    return o;
}

/* ---- requests ---- */

static const char *const sortOrders[] = {"NONE", "ASCEND", "DESCEND"};
static const char *const sortTargets[] = {"KEY", "VERSION", "CREATE", "MOD",
                                          "VALUE"};
static const char *const cmpResults[] = {"EQUAL", "GREATER", "LESS",
                                         "NOT_EQUAL"};
static const char *const cmpTargets[] = {"VERSION", "CREATE", "MOD", "VALUE",
                                         "LEASE"};

#define CODEC__TRY(expr)                                                       \
    do {                                                                       \
        int rv__ = (expr);                                                     \
        if (rv__ != 0) {                                                       \
            return rv__;                                                       \
        }                                                                      \
    } while (0)

static int requireObject(json_t *obj, char *errmsg)
{
    if (!json_is_object(obj)) {
        etcfsErrmsgf(errmsg, "request body must be a JSON object");
        return ETCFS_BADJSON;
    }
    return 0;
}

int codecRangeReq(struct arena *a, json_t *obj, struct store_range_req *r,
                  bool *serializable, char *errmsg)
{
    bool ser = false;
    memset(r, 0, sizeof *r);
    CODEC__TRY(requireObject(obj, errmsg));
    CODEC__TRY(codecBytes(a, obj, "key", &r->key, &r->key_len, errmsg));
    CODEC__TRY(codecBytes(a, obj, "range_end", &r->range_end,
                          &r->range_end_len, errmsg));
    CODEC__TRY(codecInt64(obj, "limit", &r->limit, errmsg));
    CODEC__TRY(codecInt64(obj, "revision", &r->revision, errmsg));
    CODEC__TRY(codecEnum(obj, "sort_order", sortOrders, 3, &r->sort_order,
                         errmsg));
    CODEC__TRY(codecEnum(obj, "sort_target", sortTargets, 5, &r->sort_target,
                         errmsg));
    CODEC__TRY(codecBool(obj, "serializable", &ser, errmsg));
    CODEC__TRY(codecBool(obj, "keys_only", &r->keys_only, errmsg));
    CODEC__TRY(codecBool(obj, "count_only", &r->count_only, errmsg));
    CODEC__TRY(codecInt64(obj, "min_mod_revision", &r->min_mod_revision,
                          errmsg));
    CODEC__TRY(codecInt64(obj, "max_mod_revision", &r->max_mod_revision,
                          errmsg));
    CODEC__TRY(codecInt64(obj, "min_create_revision", &r->min_create_revision,
                          errmsg));
    CODEC__TRY(codecInt64(obj, "max_create_revision", &r->max_create_revision,
                          errmsg));
    CODEC__TRY(kvCheckRange(r, errmsg));
    if (serializable != NULL) {
        *serializable = ser;
    }
    return 0;
}

int codecPutReq(struct arena *a, json_t *obj, struct store_put_req *r,
                size_t max_bytes, char *errmsg)
{
    memset(r, 0, sizeof *r);
    CODEC__TRY(requireObject(obj, errmsg));
    CODEC__TRY(codecBytes(a, obj, "key", &r->key, &r->key_len, errmsg));
    CODEC__TRY(codecBytes(a, obj, "value", &r->value, &r->value_len, errmsg));
    CODEC__TRY(codecInt64(obj, "lease", &r->lease, errmsg));
    CODEC__TRY(codecBool(obj, "prev_kv", &r->prev_kv, errmsg));
    CODEC__TRY(codecBool(obj, "ignore_value", &r->ignore_value, errmsg));
    CODEC__TRY(codecBool(obj, "ignore_lease", &r->ignore_lease, errmsg));
    return kvCheckPut(r, max_bytes, errmsg);
}

int codecDeleteReq(struct arena *a, json_t *obj, struct store_delete_req *r,
                   char *errmsg)
{
    memset(r, 0, sizeof *r);
    CODEC__TRY(requireObject(obj, errmsg));
    CODEC__TRY(codecBytes(a, obj, "key", &r->key, &r->key_len, errmsg));
    CODEC__TRY(codecBytes(a, obj, "range_end", &r->range_end,
                          &r->range_end_len, errmsg));
    CODEC__TRY(codecBool(obj, "prev_kv", &r->prev_kv, errmsg));
    return kvCheckDelete(r, errmsg);
}

static int txnReq(struct arena *a, json_t *obj, struct store_txn_req *r,
                  size_t max_bytes, bool *has_writes, int depth,
                  char *errmsg);

static int compareReq(struct arena *a, json_t *obj, struct store_compare *c,
                      char *errmsg)
{
    memset(c, 0, sizeof *c);
    CODEC__TRY(requireObject(obj, errmsg));
    CODEC__TRY(codecEnum(obj, "result", cmpResults, 4, &c->result, errmsg));
    CODEC__TRY(codecEnum(obj, "target", cmpTargets, 5, &c->target, errmsg));
    CODEC__TRY(codecBytes(a, obj, "key", &c->key, &c->key_len, errmsg));
    CODEC__TRY(codecBytes(a, obj, "range_end", &c->range_end,
                          &c->range_end_len, errmsg));
    switch (c->target) {
        case STORE_CMP_VERSION:
            CODEC__TRY(codecInt64(obj, "version", &c->number, errmsg));
            break;
        case STORE_CMP_CREATE:
            CODEC__TRY(codecInt64(obj, "create_revision", &c->number, errmsg));
            break;
        case STORE_CMP_MOD:
            CODEC__TRY(codecInt64(obj, "mod_revision", &c->number, errmsg));
            break;
        case STORE_CMP_LEASE:
            CODEC__TRY(codecInt64(obj, "lease", &c->number, errmsg));
            break;
        default:
            CODEC__TRY(codecBytes(a, obj, "value", &c->value, &c->value_len,
                                  errmsg));
            break;
    }
    return kvCheckCompare(c, errmsg);
}

static int opReq(struct arena *a, json_t *obj, struct store_op *op,
                 size_t max_bytes, bool *has_writes, int depth, char *errmsg)
{
    json_t *v;
    memset(op, 0, sizeof *op);
    CODEC__TRY(requireObject(obj, errmsg));
    if ((v = json_object_get(obj, "request_range")) != NULL) {
        op->type = STORE_OP_RANGE;
        return codecRangeReq(a, v, &op->range, NULL, errmsg);
    }
    if ((v = json_object_get(obj, "request_put")) != NULL) {
        op->type = STORE_OP_PUT;
        *has_writes = true;
        return codecPutReq(a, v, &op->put, max_bytes, errmsg);
    }
    if ((v = json_object_get(obj, "request_delete_range")) != NULL) {
        op->type = STORE_OP_DELETE;
        *has_writes = true;
        return codecDeleteReq(a, v, &op->delete_range, errmsg);
    }
    if ((v = json_object_get(obj, "request_txn")) != NULL) {
        op->type = STORE_OP_TXN;
        op->txn = arenaAlloc(a, sizeof *op->txn);
        if (op->txn == NULL) {
            return ETCFS_NOMEM;
        }
        return txnReq(a, v, op->txn, max_bytes, has_writes, depth + 1,
                      errmsg);
    }
    return kvCheckEmptyOp(errmsg);
}

static int opList(struct arena *a, json_t *obj, const char *field,
                  struct store_op **ops, size_t *n, size_t max_bytes,
                  bool *has_writes, int depth, char *errmsg)
{
    json_t *arr = json_object_get(obj, field);
    size_t i;
    *ops = NULL;
    *n = 0;
    if (arr == NULL || json_is_null(arr)) {
        return 0;
    }
    if (!json_is_array(arr)) {
        return badField(errmsg, field, "expected an array");
    }
    *n = json_array_size(arr);
    *ops = arenaAlloc(a, *n * sizeof **ops);
    if (*ops == NULL) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < *n; i++) {
        CODEC__TRY(opReq(a, json_array_get(arr, i), &(*ops)[i], max_bytes,
                         has_writes, depth, errmsg));
    }
    return 0;
}

static int txnReq(struct arena *a, json_t *obj, struct store_txn_req *r,
                  size_t max_bytes, bool *has_writes, int depth, char *errmsg)
{
    json_t *arr;
    size_t i;
    memset(r, 0, sizeof *r);
    CODEC__TRY(requireObject(obj, errmsg));
    CODEC__TRY(kvCheckTxnDepth(depth, errmsg));
    arr = json_object_get(obj, "compare");
    if (arr != NULL && !json_is_null(arr)) {
        if (!json_is_array(arr)) {
            return badField(errmsg, "compare", "expected an array");
        }
        r->n_compares = json_array_size(arr);
        r->compares = arenaAlloc(a, r->n_compares * sizeof *r->compares);
        if (r->compares == NULL) {
            return ETCFS_NOMEM;
        }
        for (i = 0; i < r->n_compares; i++) {
            CODEC__TRY(compareReq(a, json_array_get(arr, i), &r->compares[i],
                                  errmsg));
        }
    }
    CODEC__TRY(opList(a, obj, "success", &r->success, &r->n_success,
                      max_bytes, has_writes, depth, errmsg));
    CODEC__TRY(opList(a, obj, "failure", &r->failure, &r->n_failure,
                      max_bytes, has_writes, depth, errmsg));
    return 0;
}

int codecTxnReq(struct arena *a, json_t *obj, struct store_txn_req *r,
                size_t max_bytes, bool *has_writes, char *errmsg)
{
    *has_writes = false;
    return txnReq(a, obj, r, max_bytes, has_writes, 0, errmsg);
}

/* ---- responses ---- */

json_t *codecRangeResp(const struct store_range_resp *r)
{
    json_t *o = json_object();
    size_t i;
    if (o == NULL) {
        return NULL;
    }
    if (r->n_kvs > 0) {
        json_t *kvs = json_array();
        for (i = 0; i < r->n_kvs; i++) {
            json_array_append_new(kvs, codecKv(&r->kvs[i]));
        }
        json_object_set_new(o, "kvs", kvs);
    }
    if (r->more) {
        json_object_set_new(o, "more", json_true());
    }
    codecSetI64(o, "count", r->count);
    return o;
}

json_t *codecPutResp(const struct store_put_resp *r)
{
    json_t *o = json_object();
    if (o != NULL && r->has_prev) {
        json_object_set_new(o, "prev_kv", codecKv(&r->prev_kv));
    }
    return o;
}

json_t *codecDeleteResp(const struct store_delete_resp *r)
{
    json_t *o = json_object();
    size_t i;
    if (o == NULL) {
        return NULL;
    }
    codecSetI64(o, "deleted", r->deleted);
    if (r->n_prev_kvs > 0) {
        json_t *kvs = json_array();
        for (i = 0; i < r->n_prev_kvs; i++) {
            json_array_append_new(kvs, codecKv(&r->prev_kvs[i]));
        }
        json_object_set_new(o, "prev_kvs", kvs);
    }
    return o;
}

static json_t *subHeader(int64_t revision)
{
    json_t *h = json_object();
    codecSetI64(h, "revision", revision);
    return h;
}

static json_t *txnRespRev(const struct store_txn_resp *r, int64_t revision);

static json_t *opResp(const struct store_op_resp *op, int64_t revision)
{
    json_t *o = json_object();
    json_t *body = NULL;
    const char *name = "response_range";
    switch (op->type) {
        case STORE_OP_RANGE:
            body = codecRangeResp(&op->range);
            break;
        case STORE_OP_PUT:
            name = "response_put";
            body = codecPutResp(&op->put);
            break;
        case STORE_OP_DELETE:
            name = "response_delete_range";
            body = codecDeleteResp(&op->delete_range);
            break;
        default:
            name = "response_txn";
            body = txnRespRev(op->txn, revision);
            break;
    }
    if (body != NULL && op->type != STORE_OP_TXN) {
        /* a range's header: the revision it read at (etcd: before the
         * txn's writes when none came earlier in it) */
        json_object_set_new(body, "header",
                            subHeader(op->type == STORE_OP_RANGE &&
                                              op->range.revision > 0
                                          ? op->range.revision
                                          : revision));
    }
    json_object_set_new(o, name, body);
    return o;
}

static json_t *txnRespRev(const struct store_txn_resp *r, int64_t revision)
{
    json_t *o = json_object();
    size_t i;
    if (o == NULL) {
        return NULL;
    }
    if (r->succeeded) {
        json_object_set_new(o, "succeeded", json_true());
    }
    if (r->n_responses > 0) {
        json_t *arr = json_array();
        for (i = 0; i < r->n_responses; i++) {
            json_array_append_new(arr, opResp(&r->responses[i], revision));
        }
        json_object_set_new(o, "responses", arr);
    }
    return o;
}

json_t *codecTxnResp(const struct store_txn_resp *r, int64_t revision)
{
    return txnRespRev(r, revision);
}

json_t *codecEvent(const struct store_event *ev)
{
    json_t *o = json_object();
    if (o == NULL) {
        return NULL;
    }
    if (ev->type == STORE_EVENT_DELETE) {
        json_object_set_new(o, "type", json_string("DELETE"));
    }
    json_object_set_new(o, "kv", codecKv(&ev->kv));
    if (ev->has_prev) {
        json_object_set_new(o, "prev_kv", codecKv(&ev->prev_kv));
    }
    return o;
}
