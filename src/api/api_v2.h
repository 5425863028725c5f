/* Inside the v2 API (--enable-v2): what api_v2.c (routing, forms, replies,
 * node JSON, /v2/members), api_v2_keys.c (/v2/keys reads and writes) and
 * api_v2_watch.c (?wait=true long polls) share. v2 keys are emulated on
 * the v3 keyspace as etcd 3.4's v2v3 store does: v2 path /a/b is v3 key
 * <prefix>/a/b (--experimental-enable-v2v3, default "/v2"), a directory is
 * implied by the keys under it or persisted as the marker key
 * <prefix>/a/ (the mount's mkdir marker), so v2 keys are files of the
 * mount and raise its events. Loop thread only. */
#ifndef ETCFS_API_V2_H
#define ETCFS_API_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_internal.h"

/* etcd's v2 error codes (etcd/error/error.go) */
enum {
    V2_KEY_NOT_FOUND = 100,
    V2_TEST_FAILED = 101,
    V2_NOT_FILE = 102,
    V2_NOT_DIR = 104,
    V2_NODE_EXIST = 105,
    V2_ROOT_RONLY = 107,
    V2_DIR_NOT_EMPTY = 108,
    V2_UNAUTHORIZED = 110,
    V2_PREV_VALUE_REQUIRED = 201,
    V2_TTL_NAN = 202,
    V2_INDEX_NAN = 203,
    V2_INVALID_FIELD = 209,
    V2_INVALID_FORM = 210,
    V2_REFRESH_VALUE = 211,
    V2_REFRESH_TTL_REQUIRED = 212,
    V2_RAFT_INTERNAL = 300,
    V2_LEADER_ELECT = 301,
    V2_EVENT_INDEX_CLEARED = 401
};

/* A /v2/keys request as etcd's parseKeyRequest reads it. */
struct v2_keys_req
{
    char *path;     /* cleaned v2 path, "/" for the root (arena) */
    size_t path_len;
    char *key;      /* <prefix><path> ("<prefix>" for the root) (arena) */
    size_t key_len;
    const char *value; /* "value" ("" when absent) */
    const char *prev_value;
    bool has_prev_value;
    uint64_t prev_index;
    int prev_exist; /* -1 not given, 0 false, 1 true */
    bool has_ttl;
    uint64_t ttl;
    bool refresh;
    bool dir, recursive, sorted, wait, stream, quorum;
    uint64_t wait_index;
};

/* ---- api_v2.c ---- */
/* The v3 prefix of v2 keys, without a trailing '/'. */
const char *v2Prefix(struct api_req *req, size_t *len);
/* Adds X-Etcd-Cluster-Id, X-Etcd-Index (index) and, with raft, X-Raft-Index
 * and X-Raft-Term to req's reply head. */
void v2Headers(struct api_req *req, int64_t index, bool raft);
/* etcd's v2 error object with its HTTP status; finishes req. */
void v2ReplyError(struct api_req *req, int ecode, const char *cause,
                  int64_t index);
/* An ETCFS_* error of the request path as etcd's v2 gives a server error
 * (300 Raft Internal Error with the text as cause). */
void v2ReplyServerError(struct api_req *req, int code);
/* req's reply head names only the cluster (X-Etcd-Cluster-Id). */
void v2ClusterHeader(struct api_req *req);
/* Go's http.Error 405 with an Allow header. */
void v2ReplyMethodNotAllowed(struct api_req *req, const char *allow);
/* 200/201 with body (stolen) and X-Etcd-Index index; finishes req. */
void v2ReplyJson(struct api_req *req, int status, json_t *body,
                 int64_t index);
/* The node JSON of kv (a value, or a directory when its key ends in '/')
 * as etcd's NodeExtern, or of a deleted key (value left out, modified at
 * mod_rev when > 0). */
json_t *v2NodeOf(struct api_req *req, const struct store_kv *kv,
                 bool deleted, int64_t mod_rev);
/* "/a/b" of a v3 key under the prefix (kv's key minus the prefix and a
 * marker's trailing '/'), into the arena; NULL without memory. */
char *v2PathOf(struct api_req *req, const char *key, size_t key_len,
               size_t *len);

/* The first kvs of [key, end) (end NULL: the key alone; limit 0: all;
 * keys_only: no values) into resp (cleared by the caller). */
int v2Range(struct api_req *req, const char *key, size_t key_len,
            const char *end, size_t end_len, int64_t limit, bool keys_only,
            struct store_range_resp *resp);
/* base = key + "/", its prefix end and base + "\0" (the first key under
 * base past a directory's marker), into the arena. 0 or ETCFS_NOMEM. */
int v2Scratch(struct api_req *req, const char *key, size_t key_len,
              char **base, size_t *base_len, char **base_end, char **kids);
/* fn after the linearizable read gate (a v2 error on failure; nothing
 * when the client left). */
void v2Gate(struct api_req *req, api_read_fn fn);

/* ---- api_v2_members.c: rest is what follows /v2/members/ ---- */
void v2Members(struct api_req *req, const char *rest);

/* ---- api_v2_read.c, api_v2_keys.c ---- */
void v2KeysGet(struct api_req *req, struct v2_keys_req *k);
void v2KeysWrite(struct api_req *req, struct v2_keys_req *k);

/* ---- api_v2_watch.c ---- */
void v2KeysWatch(struct api_req *req, struct v2_keys_req *k);

#endif /* ETCFS_API_V2_H */
