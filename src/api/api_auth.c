/* The auth routes of the JSON gateway (POST /v3/auth/...), with etcd's
 * request and response fields (etcdserverpb Auth*Request/Response):
 * changes become COMMAND_AUTH proposals (passwords hashed first, on the
 * pool), whose root-only rule the FSM enforces; reads (user/role get and
 * list) pass the read gate and answer from this member's replicated state
 * with etcd's rules (list: root; get: root, or the user itself, or a
 * holder of the role). Loop thread only. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "api_internal.h"

static const char *const permNames[] = {"READ", "WRITE", "READWRITE"};

static struct auth *reqAuth(struct api_req *req)
{
    return storeAuth(req->api->deps.store);
}

static void replyHeader(struct api_req *req, const struct command_result *res)
{
    apiReply(req, json_object(), res->revision);
}

/* Decodes the string fields named by fields[i] into out[i]/lens[i]. */
static bool strings(struct api_req *req, const char *const *fields,
                    const char **out, size_t *lens, size_t n)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    size_t i;
    for (i = 0; i < n; i++) {
        int rv = codecString(req->body, fields[i], &out[i], &lens[i], errmsg);
        if (rv != 0) {
            apiReplyError(req, rv, errmsg);
            return false;
        }
    }
    return true;
}

/* Proposes op (its strings borrowed for the call). */
static void propose(struct api_req *req, const struct auth_op *op)
{
    struct command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_AUTH;
    cmd.auth = *op;
    apiWrite(req, &cmd, replyHeader);
}

/* The name of op as etcd checks it (authnOpCheck). */
static bool nameOk(struct api_req *req, const struct auth_op *op)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = authnOpCheck(op, errmsg);
    if (rv != 0) {
        apiReplyError(req, rv, errmsg[0] != '\0' ? errmsg : NULL);
        return false;
    }
    return true;
}

/* ---- enable, disable, status, authenticate ---- */

void apiAuthEnable(struct api_req *req)
{
    struct auth_op op = {.type = AUTH_OP_ENABLE};
    propose(req, &op);
}

void apiAuthDisable(struct api_req *req)
{
    struct auth_op op = {.type = AUTH_OP_DISABLE};
    propose(req, &op);
}

static void statusServe(struct api_req *req)
{
    json_t *o = json_object();
    struct auth *a = reqAuth(req);
    json_object_set_new(o, "enabled", json_boolean(authEnabled(a)));
    codecSetU64(o, "authRevision", authRevision(a));
    apiReply(req, o, 0);
}

void apiAuthStatus(struct api_req *req)
{
    apiRead(req, false, statusServe);
}

static void authenticateCb(struct authn_req *r, int status)
{
    struct api_req *req = r->data;
    json_t *o;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    o = json_object();
    json_object_set_new(o, "token", json_string(r->token));
    apiReply(req, o, 0);
}

void apiAuthAuthenticate(struct api_req *req)
{
    static const char *const f[] = {"name", "password"};
    const char *v[2];
    size_t l[2];
    int rv;
    if (!strings(req, f, v, l, 2)) {
        return;
    }
    memset(&req->authn, 0, sizeof req->authn);
    req->authn.data = req;
    req->authn.cb = authenticateCb;
    req->authn.op = AUTHN_AUTHENTICATE;
    if (l[0] > AUTHN_NAME_MAX) {
        apiReplyError(req, ETCFS_AUTH_FAILED, NULL);
        return;
    }
    memcpy(req->authn.name, v[0], l[0]);
    req->authn.name_len = l[0];
    rv = authnStart(req->api->deps.server, &req->authn, v[1], l[1]);
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
    }
}

/* ---- users ---- */

/* After the password was hashed: the user add or change. */
static void hashedCb(struct authn_req *r, int status)
{
    struct api_req *req = r->data;
    struct auth_op op;
    char *name;
    char *hash;
    if (status != 0) {
        apiReplyError(req, status, NULL);
        return;
    }
    /* r shares the request's union with the write about to start */
    memset(&op, 0, sizeof op);
    op.type = (int)req->u64;
    op.name_len = r->name_len;
    op.hash_len = strlen(r->hash);
    name = arenaAlloc(&req->arena, op.name_len + 1);
    hash = arenaAlloc(&req->arena, op.hash_len + 1);
    if (name == NULL || hash == NULL) {
        apiReplyError(req, ETCFS_NOMEM, NULL);
        return;
    }
    memcpy(name, r->name, op.name_len);
    memcpy(hash, r->hash, op.hash_len);
    explicit_bzero(r->hash, sizeof r->hash);
    op.name = name;
    op.hash = hash;
    propose(req, &op);
}

/* Hashes the password, then proposes op type (USER_ADD, USER_PASSWD). */
static void withPassword(struct api_req *req, int type, const char *name,
                         size_t name_len, const char *password,
                         size_t password_len)
{
    int rv;
    memset(&req->authn, 0, sizeof req->authn);
    req->authn.data = req;
    req->authn.cb = hashedCb;
    req->authn.op = AUTHN_HASH;
    memcpy(req->authn.name, name, name_len);
    req->authn.name_len = name_len;
    req->u64 = (uint64_t)type;
    rv = authnStart(req->api->deps.server, &req->authn, password,
                    password_len);
    if (rv != 0) {
        apiReplyError(req, rv,
                      rv == ETCFS_INVALID ? "password too long or holds a NUL"
                                          : NULL);
    }
}

void apiAuthUserAdd(struct api_req *req)
{
    static const char *const f[] = {"name", "password"};
    const char *v[2];
    size_t l[2];
    bool no_password = false;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    json_t *opts = json_object_get(req->body, "options");
    struct auth_op op = {.type = AUTH_OP_USER_ADD};
    if (!strings(req, f, v, l, 2)) {
        return;
    }
    op.name = v[0];
    op.name_len = l[0];
    if (!nameOk(req, &op)) {
        return;
    }
    if (json_is_object(opts) &&
        codecBool(opts, "no_password", &no_password, errmsg) != 0) {
        apiReplyError(req, ETCFS_BADJSON, errmsg);
        return;
    }
    if (no_password) {
        op.no_password = true;
        op.hash = "";
        propose(req, &op);
        return;
    }
    withPassword(req, AUTH_OP_USER_ADD, v[0], l[0], v[1], l[1]);
}

void apiAuthUserChangePassword(struct api_req *req)
{
    static const char *const f[] = {"name", "password"};
    const char *v[2];
    size_t l[2];
    struct auth_op op = {.type = AUTH_OP_USER_PASSWD};
    if (!strings(req, f, v, l, 2)) {
        return;
    }
    op.name = v[0];
    op.name_len = l[0];
    if (!nameOk(req, &op)) {
        return;
    }
    withPassword(req, AUTH_OP_USER_PASSWD, v[0], l[0], v[1], l[1]);
}

void apiAuthUserDelete(struct api_req *req)
{
    static const char *const f[] = {"name"};
    struct auth_op op = {.type = AUTH_OP_USER_DELETE};
    if (!strings(req, f, &op.name, &op.name_len, 1) ||
        !nameOk(req, &op)) {
        return;
    }
    propose(req, &op);
}

/* A user and a role named by the body's fields f (etcd names them "user"
 * and "role" to grant, "name" and "role" to revoke), then proposed. */
static void userRole(struct api_req *req, const char *const f[2], int type)
{
    const char *v[2];
    size_t l[2];
    struct auth_op op = {.type = type};
    if (!strings(req, f, v, l, 2)) {
        return;
    }
    op.name = v[0];
    op.name_len = l[0];
    op.role = v[1];
    op.role_len = l[1];
    if (!nameOk(req, &op)) {
        return;
    }
    propose(req, &op);
}

void apiAuthUserGrantRole(struct api_req *req)
{
    static const char *const f[] = {"user", "role"};
    userRole(req, f, AUTH_OP_USER_GRANT);
}

void apiAuthUserRevokeRole(struct api_req *req)
{
    static const char *const f[] = {"name", "role"};
    userRole(req, f, AUTH_OP_USER_REVOKE);
}

static json_t *namesArray(char **names, size_t n)
{
    json_t *arr = json_array();
    size_t i;
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(names[i]));
    }
    return arr;
}

/* A list of names as etcd answers it: the field omitted when empty. */
static void replyNames(struct api_req *req, const char *field, int rv,
                       char **names, size_t n)
{
    json_t *o;
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
        return;
    }
    o = json_object();
    if (n > 0) {
        json_object_set_new(o, field, namesArray(names, n));
    }
    authNamesFree(names, n);
    apiReply(req, o, 0);
}

static void userGetServe(struct api_req *req)
{
    const char *name;
    size_t len;
    char **roles = NULL;
    size_t n = 0;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = codecString(req->body, "name", &name, &len, errmsg);
    if (rv == 0) {
        rv = authnUserGet(req->api->deps.server, &req->who, name, len,
                          &roles, &n);
    }
    replyNames(req, "roles", rv, roles, n);
}

void apiAuthUserGet(struct api_req *req)
{
    apiRead(req, false, userGetServe);
}

/* user list, role list: root only (etcd). */
static void listServe(struct api_req *req)
{
    char **names = NULL;
    size_t n = 0;
    bool users = req->u64 == 1;
    int rv = authnList(req->api->deps.server, &req->who, users, &names, &n);
    replyNames(req, users ? "users" : "roles", rv, names, n);
}

void apiAuthUserList(struct api_req *req)
{
    req->u64 = 1;
    apiRead(req, false, listServe);
}

/* ---- roles ---- */

void apiAuthRoleAdd(struct api_req *req)
{
    static const char *const f[] = {"name"};
    struct auth_op op = {.type = AUTH_OP_ROLE_ADD};
    if (!strings(req, f, &op.name, &op.name_len, 1) ||
        !nameOk(req, &op)) {
        return;
    }
    propose(req, &op);
}

void apiAuthRoleDelete(struct api_req *req)
{
    static const char *const f[] = {"role"};
    struct auth_op op = {.type = AUTH_OP_ROLE_DELETE};
    if (!strings(req, f, &op.name, &op.name_len, 1) ||
        !nameOk(req, &op)) {
        return;
    }
    propose(req, &op);
}

void apiAuthRoleGrantPermission(struct api_req *req)
{
    static const char *const f[] = {"name"};
    struct auth_op op = {.type = AUTH_OP_ROLE_GRANT};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    json_t *perm = json_object_get(req->body, "perm");
    int rv;
    if (!strings(req, f, &op.name, &op.name_len, 1) ||
        !nameOk(req, &op)) {
        return;
    }
    if (!json_is_object(perm)) {
        apiReplyError(req, ETCFS_BADJSON, "perm: expected an object");
        return;
    }
    rv = codecEnum(perm, "permType", permNames, 3, &op.perm_type, errmsg);
    if (rv == 0) {
        rv = codecBytes(&req->arena, perm, "key", &op.key, &op.key_len,
                        errmsg);
    }
    if (rv == 0) {
        rv = codecBytes(&req->arena, perm, "range_end", &op.range_end,
                        &op.range_end_len, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    propose(req, &op);
}

void apiAuthRoleRevokePermission(struct api_req *req)
{
    static const char *const f[] = {"role"};
    struct auth_op op = {.type = AUTH_OP_ROLE_REVOKE};
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv;
    if (!strings(req, f, &op.name, &op.name_len, 1) ||
        !nameOk(req, &op)) {
        return;
    }
    rv = codecBytes(&req->arena, req->body, "key", &op.key, &op.key_len,
                    errmsg);
    if (rv == 0) {
        rv = codecBytes(&req->arena, req->body, "range_end", &op.range_end,
                        &op.range_end_len, errmsg);
    }
    if (rv != 0) {
        apiReplyError(req, rv, errmsg);
        return;
    }
    propose(req, &op);
}

static void roleGetServe(struct api_req *req)
{
    const char *role;
    size_t len;
    struct auth_perm *perms = NULL;
    size_t n = 0;
    size_t i;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    json_t *o;
    int rv = codecString(req->body, "role", &role, &len, errmsg);
    if (rv == 0) {
        rv = authnRoleGet(req->api->deps.server, &req->who, role, len,
                          &perms, &n);
    }
    if (rv != 0) {
        apiReplyError(req, rv, NULL);
        return;
    }
    o = json_object();
    if (n > 0) {
        json_t *arr = json_array();
        for (i = 0; i < n; i++) {
            json_t *p = json_object();
            if (perms[i].type != AUTH_READ) { /* proto3 omits the zero */
                json_object_set_new(p, "permType",
                                    json_string(permNames[perms[i].type]));
            }
            json_object_set_new(p, "key",
                                codecB64(perms[i].key, perms[i].key_len));
            if (perms[i].range_end_len > 0) {
                json_object_set_new(p, "range_end",
                                    codecB64(perms[i].range_end,
                                             perms[i].range_end_len));
            }
            json_array_append_new(arr, p);
        }
        json_object_set_new(o, "perm", arr);
    }
    authPermsFree(perms, n);
    apiReply(req, o, 0);
}

void apiAuthRoleGet(struct api_req *req)
{
    apiRead(req, false, roleGetServe);
}

void apiAuthRoleList(struct api_req *req)
{
    req->u64 = 2;
    apiRead(req, false, listServe);
}
