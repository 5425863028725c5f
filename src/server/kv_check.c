/* etcd's KV request checks (kv_check.h). */
#include "kv_check.h"

#include "../core/error.h"

static int fail(int code, char *errmsg)
{
    etcfsErrmsgf(errmsg, "%s", etcfsStrerror(code));
    return code;
}

int kvCheckRange(struct store_range_req *r, char *errmsg)
{
    if (r->key_len == 0) {
        return fail(ETCFS_KEY_EMPTY, errmsg);
    }
    if (r->limit < 0) {
        r->limit = 0;
    }
    return 0;
}

int kvCheckPut(struct store_put_req *r, size_t max_bytes, char *errmsg)
{
    if (r->key_len == 0) {
        return fail(ETCFS_KEY_EMPTY, errmsg);
    }
    if (r->ignore_value && r->value_len != 0) {
        return fail(ETCFS_VALUE_PROVIDED, errmsg);
    }
    if (r->ignore_lease && r->lease != 0) {
        return fail(ETCFS_LEASE_PROVIDED, errmsg);
    }
    if (r->value == NULL) {
        r->value = "";
    }
    if (r->key_len + r->value_len > max_bytes) {
        return fail(ETCFS_TOO_LARGE, errmsg);
    }
    return 0;
}

int kvCheckDelete(const struct store_delete_req *r, char *errmsg)
{
    if (r->key_len == 0) {
        return fail(ETCFS_KEY_EMPTY, errmsg);
    }
    return 0;
}

int kvCheckCompare(struct store_compare *c, char *errmsg)
{
    if (c->target == STORE_CMP_VALUE && c->value == NULL) {
        c->value = "";
    }
    if (c->key_len == 0) {
        return fail(ETCFS_KEY_EMPTY, errmsg);
    }
    return 0;
}

int kvCheckTxnOps(size_t n_compares, size_t n_success, size_t n_failure,
                  size_t max, char *errmsg)
{
    if (n_compares > max || n_success > max || n_failure > max) {
        return fail(ETCFS_TOO_MANY_OPS, errmsg);
    }
    return 0;
}

int kvCheckEmptyOp(char *errmsg)
{
    return fail(ETCFS_KEY_NOTFOUND, errmsg);
}

int kvCheckTxnDepth(int depth, char *errmsg)
{
    if (depth > KV_CHECK_MAX_TXN_DEPTH) {
        etcfsErrmsgf(errmsg, "txn: nested too deeply");
        return ETCFS_INVALID;
    }
    return 0;
}
