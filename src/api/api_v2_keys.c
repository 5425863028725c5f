/* /v2/keys writes on the v3 keyspace (the mapping: api_v2.h; reads are
 * api_v2_read.c's). A write reads what it depends on after
 * the gate (the key, its directory marker and children, the file-ness of
 * its ancestors), decides etcd's v2 answer (Not a file, Key already
 * exists, Compare failed...) and proposes one txn whose compares assert
 * exactly that state; if another write changed it in between, the txn
 * fails and the request is decided again (at most V2__TRIES times). A TTL
 * is a lease granted first and attached by the txn. Loop thread only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <http_parser.h>

#include "api_v2.h"
#include "../core/error.h"
#include "../store/store.h"

#define V2__TRIES 5

/* The state of one write, in req->ctx (arena). */
struct v2_write
{
    struct v2_keys_req k;
    struct v2_keys_req asked; /* k as parsed: each decision starts from it */
    unsigned tries;
    int64_t lease; /* granted for the TTL, 0 none */
    /* what the write depends on, read after the gate (kvs owned) */
    bool is_file;
    struct store_kv file;
    bool has_marker;
    struct store_kv marker;
    bool has_children;
    int64_t dir_created; /* the directory's createdIndex */
    size_t n_ancestors;  /* ancestors checked: none is a file */
    /* the decision */
    const char *action;
    char *put_key; /* the key put (arena), NULL for a delete */
    size_t put_key_len;
    bool put_dir;
    bool deleted_dir;
    struct store_compare cmp[64];
    size_t n_cmp;
    struct store_op ops[3];
    size_t n_ops;
    /* scratch keys (arena) */
    char *base; /* key + "/" */
    size_t base_len;
    char *base_end; /* the prefix end of base */
    char *kids;     /* base + "\0": the first key under base past the marker */
};

static void writeClear(struct v2_write *w)
{
    storeKvClear(&w->file);
    storeKvClear(&w->marker);
    w->is_file = w->has_marker = w->has_children = false;
}

/* ---- writes ---- */

static void writeDecide(struct api_req *req);

/* Adds a compare: target of [key, end) (end NULL: the key) result number. */
static void cmpAdd(struct v2_write *w, int target, int result,
                   const char *key, size_t key_len, const char *end,
                   size_t end_len, int64_t number)
{
    struct store_compare *c;
    if (w->n_cmp == sizeof w->cmp / sizeof w->cmp[0]) {
        return; /* deeper than that: the ancestors past it are not asserted */
    }
    c = &w->cmp[w->n_cmp++];
    memset(c, 0, sizeof *c);
    c->target = target;
    c->result = result;
    c->key = key;
    c->key_len = key_len;
    c->range_end = end;
    c->range_end_len = end != NULL ? end_len : 0;
    c->number = number;
}

/* What the write depends on, after the gate. 0, or an ETCFS_* code; an
 * ancestor that is a file: *not_dir set to its v2 path (arena). */
static int writeLook(struct api_req *req, struct v2_write *w,
                     const char **not_dir)
{
    struct store_range_resp r;
    size_t plen;
    int rv;
    (void)v2Prefix(req, &plen);
    *not_dir = NULL;
    w->n_ancestors = 0;
    if (w->k.path_len > 1) {
        rv = v2Range(req, w->k.key, w->k.key_len, NULL, 0, 0, false, &r);
        if (rv != 0) {
            return rv;
        }
        if (r.n_kvs > 0) {
            w->is_file = true;
            w->file = r.kvs[0];
            memset(&r.kvs[0], 0, sizeof r.kvs[0]);
        }
        storeRangeRespClear(&r);
    }
    rv = v2Range(req, w->base, w->base_len, w->base_end, w->base_len, 2, true,
                 &r);
    if (rv != 0) {
        return rv;
    }
    w->dir_created = 0;
    for (size_t i = 0; i < r.n_kvs; i++) {
        if (r.kvs[i].key_len == w->base_len) {
            w->has_marker = true;
            w->marker = r.kvs[i];
            w->dir_created = r.kvs[i].create_revision;
            memset(&r.kvs[i], 0, sizeof r.kvs[i]);
        } else {
            w->has_children = true;
            if (w->dir_created == 0) {
                w->dir_created = r.kvs[i].create_revision;
            }
        }
    }
    storeRangeRespClear(&r);
    /* ancestors: /a and /a/b of /a/b/c must not be files */
    for (size_t i = plen + 1; i < w->k.key_len; i++) {
        if (w->k.key[i] != '/') {
            continue;
        }
        if (authnRead(req->api->deps.server, &req->who, w->k.key, i, NULL,
                      0) != 0) {
            continue; /* not the user's to read: neither looked at nor
                       * asserted (the txn's compares are reads) */
        }
        rv = v2Range(req, w->k.key, i, NULL, 0, 0, true, &r);
        if (rv != 0) {
            return rv;
        }
        if (r.n_kvs > 0 && *not_dir == NULL) {
            size_t n;
            *not_dir = v2PathOf(req, w->k.key, i, &n);
        }
        storeRangeRespClear(&r);
        cmpAdd(w, STORE_CMP_VERSION, STORE_CMP_EQUAL, w->k.key, i, NULL, 0,
               0);
        w->n_ancestors++;
    }
    return 0;
}

static void opPut(struct v2_write *w, const char *key, size_t key_len,
                  const char *value, size_t value_len)
{
    struct store_op *op = &w->ops[w->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = STORE_OP_PUT;
    op->put.key = key;
    op->put.key_len = key_len;
    op->put.value = value;
    op->put.value_len = value_len;
    op->put.lease = w->lease;
    w->put_key = (char *)key;
    w->put_key_len = key_len;
}

static void opDelete(struct v2_write *w, const char *key, size_t key_len,
                     const char *end, size_t end_len)
{
    struct store_op *op = &w->ops[w->n_ops++];
    memset(op, 0, sizeof *op);
    op->type = STORE_OP_DELETE;
    op->delete_range.key = key;
    op->delete_range.key_len = key_len;
    op->delete_range.range_end = end;
    op->delete_range.range_end_len = end != NULL ? end_len : 0;
}

/* The key's compare: its mod revision is what was read (0: absent). */
static void cmpFile(struct v2_write *w)
{
    cmpAdd(w, STORE_CMP_MOD, STORE_CMP_EQUAL, w->k.key, w->k.key_len, NULL, 0,
           w->is_file ? w->file.mod_revision : 0);
}

/* No directory there (no marker, no key under it). */
static void cmpNoDir(struct v2_write *w)
{
    cmpAdd(w, STORE_CMP_VERSION, STORE_CMP_EQUAL, w->base, w->base_len,
           w->base_end, w->base_len, 0);
}

/* The directory as read: its marker unchanged and, when it was empty,
 * still no key under it. */
static void cmpDir(struct v2_write *w)
{
    cmpAdd(w, STORE_CMP_MOD, STORE_CMP_EQUAL, w->base, w->base_len, NULL, 0,
           w->has_marker ? w->marker.mod_revision : 0);
    if (!w->has_children) {
        cmpAdd(w, STORE_CMP_VERSION, STORE_CMP_EQUAL, w->kids,
               w->base_len + 1, w->base_end, w->base_len, 0);
    }
}

/* etcd's compare-failed cause. */
static bool compareFails(struct api_req *req, struct v2_write *w)
{
    bool index_ok = w->k.prev_index == 0 ||
                    (uint64_t)w->file.mod_revision == w->k.prev_index;
    bool value_ok = !w->k.has_prev_value ||
                    (w->file.value_len == strlen(w->k.prev_value) &&
                     memcmp(w->file.value, w->k.prev_value,
                            w->file.value_len) == 0);
    char cause[512];
    if (index_ok && value_ok) {
        return false;
    }
    if (!index_ok && !value_ok) {
        snprintf(cause, sizeof cause, "[%s != %.*s] [%" PRIu64 " != %" PRId64
                 "]", w->k.prev_value, (int)w->file.value_len,
                 w->file.value != NULL ? w->file.value : "", w->k.prev_index,
                 w->file.mod_revision);
    } else if (!index_ok) {
        snprintf(cause, sizeof cause, "[%" PRIu64 " != %" PRId64 "]",
                 w->k.prev_index, w->file.mod_revision);
    } else {
        snprintf(cause, sizeof cause, "[%s != %.*s]", w->k.prev_value,
                 (int)w->file.value_len,
                 w->file.value != NULL ? w->file.value : "");
    }
    writeClear(w);
    v2ReplyError(req, V2_TEST_FAILED, cause,
                 storeRevision(req->api->deps.store));
    return true;
}

/* Replies a v2 error for the write (clearing what it read). */
static void writeFail(struct api_req *req, struct v2_write *w, int ecode,
                      const char *cause)
{
    writeClear(w);
    v2ReplyError(req, ecode, cause, storeRevision(req->api->deps.store));
}

/* The directory node of what was read, as a prevNode or a deleted node. */
static json_t *dirOf(struct api_req *req, struct v2_write *w, int64_t mod)
{
    json_t *o = json_object();
    json_object_set_new(o, "key", json_string(w->k.path));
    json_object_set_new(o, "dir", json_true());
    json_object_set_new(o, "modifiedIndex",
                        json_integer(mod > 0 ? mod
                                     : w->has_marker ? w->marker.mod_revision
                                                     : w->dir_created));
    json_object_set_new(o, "createdIndex", json_integer(w->dir_created));
    (void)req;
    return o;
}

static void writeApplied(struct server_write *sw, int status,
                         struct command_result *res)
{
    struct api_req *req = sw->data;
    struct v2_write *w = req->ctx;
    json_t *o;
    json_t *node;
    json_t *prev = NULL;
    int64_t rev;
    bool created;
    if (status != 0 || res->status != 0) {
        int code = status != 0 ? status : res->status;
        if (res != NULL) {
            commandResultFree(res);
        }
        writeClear(w);
        v2ReplyServerError(req, code);
        return;
    }
    rev = res->revision;
    if (res->type == COMMAND_LEASE_GRANT) {
        commandResultFree(res);
        v2Gate(req, writeDecide); /* the lease is there: now the write */
        return;
    }
    if (!res->txn.succeeded) {
        commandResultFree(res);
        writeClear(w);
        if (++w->tries >= V2__TRIES) {
            v2ReplyError(req, V2_RAFT_INTERNAL,
                         "the key kept changing under the request",
                         storeRevision(req->api->deps.store));
            return;
        }
        v2Gate(req, writeDecide);
        return;
    }
    commandResultFree(res);
    if (w->put_key != NULL) {
        struct store_kv kv;
        memset(&kv, 0, sizeof kv);
        kv.key = w->put_key;
        kv.key_len = w->put_key_len;
        kv.value = (char *)w->k.value;
        kv.value_len = strlen(w->k.value);
        kv.lease = w->lease;
        kv.mod_revision = rev;
        kv.create_revision =
            w->is_file && !w->put_dir ? w->file.create_revision : rev;
        node = v2NodeOf(req, &kv, false, 0);
        if (w->is_file) {
            prev = v2NodeOf(req, &w->file, false, 0);
        } else if (w->has_marker && w->put_dir) {
            prev = dirOf(req, w, 0);
        }
    } else if (w->deleted_dir) {
        node = dirOf(req, w, rev);
        prev = dirOf(req, w, 0);
    } else {
        node = v2NodeOf(req, &w->file, true, rev);
        prev = v2NodeOf(req, &w->file, false, 0);
    }
    created = strcmp(w->action, "create") == 0 ||
              (strcmp(w->action, "set") == 0 && prev == NULL);
    o = json_object();
    json_object_set_new(o, "action", json_string(w->action));
    json_object_set_new(o, "node", node);
    if (prev != NULL) {
        json_object_set_new(o, "prevNode", prev);
    }
    writeClear(w);
    v2ReplyJson(req, created ? 201 : 200, o, rev);
}

static void writePropose(struct api_req *req, struct v2_write *w)
{
    struct command cmd;
    int rv;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_TXN;
    cmd.txn.compares = w->cmp;
    cmd.txn.n_compares = w->n_cmp;
    cmd.txn.success = w->ops;
    cmd.txn.n_success = w->n_ops;
    memset(&req->write, 0, sizeof req->write);
    req->write.data = req;
    req->write.cb = writeApplied;
    req->write.forwarded = req->forwarded;
    authnStamp(&req->who, &cmd);
    rv = serverWrite(req->api->deps.server, &req->write, &cmd);
    if (rv != 0) {
        writeClear(w);
        v2ReplyServerError(req, rv);
    }
}

/* PUT: set, create (prevExist=false), update (prevExist=true) or
 * compareAndSwap (prevValue, prevIndex), as etcd's v2 apply picks. */
static void decidePut(struct api_req *req, struct v2_write *w,
                      const char *not_dir)
{
    bool is_dir = w->has_marker || w->has_children;
    bool cas = w->k.prev_index > 0 || w->k.has_prev_value;
    if (w->k.prev_exist == 1 || (w->k.prev_exist == -1 && cas)) {
        w->action = cas ? "compareAndSwap" : "update";
        if (!w->is_file && !is_dir) {
            writeFail(req, w, V2_KEY_NOT_FOUND, w->k.path);
            return;
        }
        if (!w->is_file || w->k.dir) {
            writeFail(req, w, V2_NOT_FILE, w->k.path);
            return;
        }
        if (cas && compareFails(req, w)) {
            return;
        }
        cmpFile(w);
        if (w->k.refresh) {
            opPut(w, w->k.key, w->k.key_len, "", 0);
            w->ops[0].put.ignore_value = true;
            w->k.value = w->file.value != NULL ? w->file.value : "";
        } else {
            opPut(w, w->k.key, w->k.key_len, w->k.value, strlen(w->k.value));
        }
        writePropose(req, w);
        return;
    }
    w->action = w->k.prev_exist == 0 ? "create" : "set";
    if (not_dir != NULL) {
        writeFail(req, w, V2_NOT_DIR, not_dir);
        return;
    }
    if (w->k.prev_exist == 0 && (w->is_file || is_dir)) {
        writeFail(req, w, V2_NODE_EXIST, w->k.path);
        return;
    }
    if (is_dir) {
        writeFail(req, w, V2_NOT_FILE, w->k.path);
        return;
    }
    cmpFile(w);
    cmpNoDir(w);
    if (w->k.dir) {
        if (w->is_file) {
            opDelete(w, w->k.key, w->k.key_len, NULL, 0);
        }
        w->put_dir = true;
        w->k.value = "";
        opPut(w, w->base, w->base_len, "", 0);
    } else {
        opPut(w, w->k.key, w->k.key_len, w->k.value, strlen(w->k.value));
    }
    writePropose(req, w);
}

/* POST: a new key (or directory) named by the next revision, 20 digits. */
static void decidePost(struct api_req *req, struct v2_write *w,
                       const char *not_dir)
{
    char name[24];
    size_t n;
    char *key;
    w->action = "create";
    if (not_dir != NULL || w->is_file) {
        writeFail(req, w, V2_NOT_DIR, not_dir != NULL ? not_dir : w->k.path);
        return;
    }
    snprintf(name, sizeof name, "%020" PRId64,
             storeRevision(req->api->deps.store) + 1);
    n = strlen(name);
    key = arenaAlloc(&req->arena, w->base_len + n + 2);
    if (key == NULL) {
        writeFail(req, w, V2_RAFT_INTERNAL, "out of memory");
        return;
    }
    memcpy(key, w->base, w->base_len);
    memcpy(key + w->base_len, name, n);
    key[w->base_len + n] = '/';
    cmpFile(w);
    /* the new name is no key yet */
    cmpAdd(w, STORE_CMP_VERSION, STORE_CMP_EQUAL, key, w->base_len + n, NULL,
           0, 0);
    w->k.path = v2PathOf(req, key, w->base_len + n, &w->k.path_len);
    if (w->k.dir) {
        w->put_dir = true;
        w->k.value = "";
        opPut(w, key, w->base_len + n + 1, "", 0);
    } else {
        opPut(w, key, w->base_len + n, w->k.value, strlen(w->k.value));
    }
    writePropose(req, w);
}

/* DELETE: delete, or compareAndDelete with prevValue/prevIndex. */
static void decideDelete(struct api_req *req, struct v2_write *w)
{
    bool is_dir = w->has_marker || w->has_children;
    bool dir = w->k.dir || w->k.recursive;
    bool cas = w->k.prev_index > 0 || w->k.has_prev_value;
    w->action = cas ? "compareAndDelete" : "delete";
    if (!w->is_file && !is_dir) {
        writeFail(req, w, V2_KEY_NOT_FOUND, w->k.path);
        return;
    }
    if (w->is_file) {
        if (cas && compareFails(req, w)) {
            return;
        }
        cmpFile(w);
        opDelete(w, w->k.key, w->k.key_len, NULL, 0);
        writePropose(req, w);
        return;
    }
    if (cas || !dir) {
        writeFail(req, w, V2_NOT_FILE, w->k.path);
        return;
    }
    if (w->has_children && !w->k.recursive) {
        writeFail(req, w, V2_DIR_NOT_EMPTY, w->k.path);
        return;
    }
    cmpFile(w);
    cmpDir(w);
    w->deleted_dir = true;
    opDelete(w, w->base, w->base_len, w->base_end, w->base_len);
    writePropose(req, w);
}

static void writeDecide(struct api_req *req)
{
    struct v2_write *w = req->ctx;
    const char *not_dir = NULL;
    int m = req->http_method;
    int rv;
    writeClear(w);
    w->k = w->asked; /* a retry decides afresh */
    w->n_cmp = 0;
    w->n_ops = 0;
    w->put_key = NULL;
    w->put_dir = false;
    w->deleted_dir = false;
    /* who may not write there learns nothing of what is there (the FSM
     * checks the txn's own keys again) */
    if (m != HTTP_POST) {
        rv = authnWrite(req->api->deps.server, &req->who, w->k.key,
                        w->k.key_len, NULL, 0);
    } else {
        rv = 0;
    }
    if (rv == 0 && (m == HTTP_POST || w->k.dir || w->k.recursive)) {
        rv = authnWrite(req->api->deps.server, &req->who, w->base,
                        w->base_len, w->base_end, w->base_len);
    }
    if (rv == 0) {
        rv = writeLook(req, w, &not_dir);
    }
    if (rv != 0) {
        writeClear(w);
        v2ReplyServerError(req, rv);
        return;
    }
    if (m == HTTP_POST) {
        decidePost(req, w, not_dir);
    } else if (m == HTTP_PUT) {
        decidePut(req, w, not_dir);
    } else {
        decideDelete(req, w);
    }
}

void v2KeysWrite(struct api_req *req, struct v2_keys_req *k)
{
    struct v2_write *w = arenaAlloc(&req->arena, sizeof *w);
    struct command cmd;
    int rv;
    if (w == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    w->k = *k;
    w->asked = *k;
    req->ctx = w;
    if (k->path_len == 1 && req->http_method != HTTP_POST) {
        v2ReplyError(req, V2_ROOT_RONLY, "/",
                     storeRevision(req->api->deps.store));
        return;
    }
    if (v2Scratch(req, k->key, k->key_len, &w->base, &w->base_len,
                     &w->base_end, &w->kids) != 0) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    if (!k->has_ttl || req->http_method == HTTP_DELETE) {
        v2Gate(req, writeDecide);
        return;
    }
    /* the TTL's lease first, then the write that attaches it */
    memset(&cmd, 0, sizeof cmd);
    rv = serverLeaseGrantCommand(req->api->deps.server, 0,
                                 k->ttl > 0 ? (int64_t)k->ttl : 1, &cmd);
    if (rv == 0) {
        w->lease = cmd.lease_grant.id;
        memset(&req->write, 0, sizeof req->write);
        req->write.data = req;
        req->write.cb = writeApplied;
        req->write.forwarded = req->forwarded;
        authnStamp(&req->who, &cmd);
        rv = serverWrite(req->api->deps.server, &req->write, &cmd);
    }
    if (rv != 0) {
        v2ReplyServerError(req, rv);
    }
}
