/* etcdserverpb.Auth over gRPC: enable, disable, authenticate, users and
 * roles. Translation only, as the gateway's api_auth.c: changes become
 * COMMAND_AUTH writes (passwords hashed first on the pool by authnStart;
 * names checked by authnOpCheck; the FSM enforces root), authenticate
 * checks the password and has a token assigned (authnStart), reads pass
 * the read gate and answer with etcd's rules (authnUserGet, authnRoleGet,
 * authnList). Loop thread only. */
#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../store/auth.h"
#include "grpc_internal.h"

/* ---- replies ---- */

/* Every change's response is {header} (AuthEnableResponse ...
 * AuthRoleRevokePermissionResponse share the layout); the type answered
 * is the one of call->method, kept in call->ctx. */
static void replyHeader(struct grpc_call *call,
                        const struct command_result *res)
{
    const ProtobufCMessageDescriptor *d = call->ctx;
    /* any of the header-only response types: base, then the header */
    Etcdserverpb__AuthEnableResponse r = ETCDSERVERPB__AUTH_ENABLE_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    call->ctx = NULL;
    assert(d->n_fields == 1 &&
           d->fields[0].offset ==
               offsetof(Etcdserverpb__AuthEnableResponse, header));
    r.base.descriptor = d;
    grpcHeader(call, &h, res->revision);
    r.header = &h;
    grpcReply(call, &r.base);
}

/* Proposes op (its strings borrowed for the call); answers a d message. */
static void propose(struct grpc_call *call, const struct auth_op *op,
                    const ProtobufCMessageDescriptor *d)
{
    struct command cmd;
    memset(&cmd, 0, sizeof cmd);
    cmd.type = COMMAND_AUTH;
    cmd.auth = *op;
    call->ctx = (void *)d;
    grpcWrite(call, &cmd, replyHeader);
}

/* Checks op's name as etcd does; false after failing the call. */
static bool nameOk(struct grpc_call *call, const struct auth_op *op)
{
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    int rv = authnOpCheck(op, errmsg);
    if (rv != 0) {
        grpcFail(call, rv, errmsg[0] != '\0' ? errmsg : NULL);
        return false;
    }
    return true;
}

/* Checks and proposes op, then frees the request q. */
static void proposeFree(struct grpc_call *call, const struct auth_op *op,
                        const ProtobufCMessageDescriptor *d,
                        ProtobufCMessage *q)
{
    if (nameOk(call, op)) {
        propose(call, op, d);
    }
    protobuf_c_message_free_unpacked(q, NULL);
}

/* ---- enable, disable, authenticate ---- */

void grpcAuthEnable(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthEnableRequest *q =
        grpcUnpack(call, &etcdserverpb__auth_enable_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_ENABLE};
    if (q != NULL) {
        proposeFree(call, &op, &etcdserverpb__auth_enable_response__descriptor,
                    &q->base);
    }
}

void grpcAuthDisable(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthDisableRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_disable_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_DISABLE};
    if (q != NULL) {
        proposeFree(call, &op,
                    &etcdserverpb__auth_disable_response__descriptor,
                    &q->base);
    }
}

static void authenticateCb(struct authn_req *r, int status)
{
    struct grpc_call *call = r->data;
    Etcdserverpb__AuthenticateResponse resp =
        ETCDSERVERPB__AUTHENTICATE_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    if (status != 0) {
        grpcFail(call, status, NULL);
        return;
    }
    grpcHeader(call, &h, 0);
    resp.header = &h;
    resp.token = r->token;
    grpcReply(call, &resp.base);
}

void grpcAuthenticate(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthenticateRequest *q = grpcUnpack(
        call, &etcdserverpb__authenticate_request__descriptor, m, n);
    size_t len;
    int rv;
    if (q == NULL) {
        return;
    }
    len = strlen(q->name);
    memset(&call->authn, 0, sizeof call->authn);
    call->authn.data = call;
    call->authn.cb = authenticateCb;
    call->authn.op = AUTHN_AUTHENTICATE;
    if (len > AUTHN_NAME_MAX) {
        etcdserverpb__authenticate_request__free_unpacked(q, NULL);
        grpcFail(call, ETCFS_AUTH_FAILED, NULL);
        return;
    }
    memcpy(call->authn.name, q->name, len);
    call->authn.name_len = len;
    rv = authnStart(grpcDeps(call)->server, &call->authn, q->password,
                    strlen(q->password));
    explicit_bzero(q->password, strlen(q->password));
    etcdserverpb__authenticate_request__free_unpacked(q, NULL);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
    }
}

/* ---- users ---- */

/* After the password was hashed: the user add or change (its type in
 * call->u64). */
static void hashedCb(struct authn_req *r, int status)
{
    struct grpc_call *call = r->data;
    struct auth_op op;
    char name[AUTHN_NAME_MAX + 1];
    char hash[AUTHN_HASH_SIZE];
    if (status != 0) {
        grpcFail(call, status, NULL);
        return;
    }
    /* r shares the call's union with the write about to start */
    memset(&op, 0, sizeof op);
    op.type = (int)call->u64;
    op.name_len = r->name_len;
    op.hash_len = strlen(r->hash);
    memcpy(name, r->name, op.name_len);
    memcpy(hash, r->hash, op.hash_len + 1);
    explicit_bzero(r->hash, sizeof r->hash);
    op.name = name;
    op.hash = hash;
    propose(call, &op,
            op.type == AUTH_OP_USER_ADD
                ? &etcdserverpb__auth_user_add_response__descriptor
                : &etcdserverpb__auth_user_change_password_response__descriptor);
    explicit_bzero(hash, sizeof hash);
}

/* Hashes the password, then proposes op (USER_ADD, USER_PASSWD: name
 * checked). */
static void withPassword(struct grpc_call *call, const struct auth_op *op,
                         const char *password)
{
    int rv;
    memset(&call->authn, 0, sizeof call->authn);
    call->authn.data = call;
    call->authn.cb = hashedCb;
    call->authn.op = AUTHN_HASH;
    memcpy(call->authn.name, op->name, op->name_len);
    call->authn.name_len = op->name_len;
    call->u64 = (uint64_t)op->type;
    rv = authnStart(grpcDeps(call)->server, &call->authn, password,
                    strlen(password));
    if (rv != 0) {
        grpcFail(call, rv,
                 rv == ETCFS_INVALID ? "password too long or holds a NUL"
                                     : NULL);
    }
}

void grpcUserAdd(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserAddRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_add_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_USER_ADD};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    if (nameOk(call, &op)) {
        if (q->options != NULL && q->options->no_password) {
            op.no_password = true;
            op.hash = "";
            propose(call, &op,
                    &etcdserverpb__auth_user_add_response__descriptor);
        } else {
            withPassword(call, &op, q->password);
        }
    }
    explicit_bzero(q->password, strlen(q->password));
    etcdserverpb__auth_user_add_request__free_unpacked(q, NULL);
}

void grpcUserChangePassword(struct grpc_call *call, const uint8_t *m,
                            size_t n)
{
    Etcdserverpb__AuthUserChangePasswordRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_change_password_request__descriptor, m,
        n);
    struct auth_op op = {.type = AUTH_OP_USER_PASSWD};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    if (nameOk(call, &op)) {
        withPassword(call, &op, q->password);
    }
    explicit_bzero(q->password, strlen(q->password));
    etcdserverpb__auth_user_change_password_request__free_unpacked(q, NULL);
}

void grpcUserDelete(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserDeleteRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_delete_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_USER_DELETE};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    proposeFree(call, &op, &etcdserverpb__auth_user_delete_response__descriptor,
                &q->base);
}

void grpcUserGrantRole(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserGrantRoleRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_grant_role_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_USER_GRANT};
    if (q == NULL) {
        return;
    }
    op.name = q->user;
    op.name_len = strlen(q->user);
    op.role = q->role;
    op.role_len = strlen(q->role);
    proposeFree(call, &op,
                &etcdserverpb__auth_user_grant_role_response__descriptor,
                &q->base);
}

void grpcUserRevokeRole(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserRevokeRoleRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_revoke_role_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_USER_REVOKE};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    op.role = q->role;
    op.role_len = strlen(q->role);
    proposeFree(call, &op,
                &etcdserverpb__auth_user_revoke_role_response__descriptor,
                &q->base);
}

/* ---- reads ----
 * user get and role get look the name up once the read gate passed; the
 * request's bytes are gone by then, so the name is kept in call->ctx and
 * freed whatever the gate says (grpcRead would fail the call without
 * telling this file). */

struct read_name
{
    size_t len;
    char name[]; /* NUL-terminated */
};

static void nameReadCb(struct server_read *r, int status)
{
    struct grpc_call *call = r->data;
    if (status != 0) {
        free(call->ctx);
        call->ctx = NULL;
        grpcFail(call, status, NULL);
        return;
    }
    call->read_fn(call);
}

/* Keeps name (borrowed) and runs fn after the read gate. */
static void readName(struct grpc_call *call, const char *name,
                     grpc_read_fn fn)
{
    size_t len = strlen(name);
    struct read_name *rn = malloc(sizeof *rn + len + 1);
    int rv;
    if (rn == NULL) {
        grpcFail(call, ETCFS_NOMEM, NULL);
        return;
    }
    rn->len = len;
    memcpy(rn->name, name, len + 1);
    call->ctx = rn;
    memset(&call->read, 0, sizeof call->read);
    call->read.data = call;
    call->read.cb = nameReadCb;
    call->read_fn = fn;
    rv = serverRead(grpcDeps(call)->server, &call->read, false);
    if (rv != 0) {
        free(rn);
        call->ctx = NULL;
        grpcFail(call, rv, NULL);
    }
}

static void userGetServe(struct grpc_call *call)
{
    struct read_name *rc = call->ctx;
    Etcdserverpb__AuthUserGetResponse r =
        ETCDSERVERPB__AUTH_USER_GET_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    char **roles = NULL;
    size_t nroles = 0;
    int rv;
    call->ctx = NULL;
    rv = authnUserGet(grpcDeps(call)->server, &call->who, rc->name, rc->len,
                      &roles, &nroles);
    free(rc);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
        return;
    }
    grpcHeader(call, &h, 0);
    r.header = &h;
    r.roles = roles;
    r.n_roles = nroles;
    grpcReply(call, &r.base);
    authNamesFree(roles, nroles);
}

void grpcUserGet(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserGetRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_get_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    readName(call, q->name, userGetServe);
    etcdserverpb__auth_user_get_request__free_unpacked(q, NULL);
}

/* user list, role list (call->u64: 1 users, 2 roles): root only. */
static void listServe(struct grpc_call *call)
{
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    bool users = call->u64 == 1;
    char **names = NULL;
    size_t nnames = 0;
    int rv = authnList(grpcDeps(call)->server, &call->who, users, &names,
                       &nnames);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
        return;
    }
    grpcHeader(call, &h, 0);
    if (users) {
        Etcdserverpb__AuthUserListResponse r =
            ETCDSERVERPB__AUTH_USER_LIST_RESPONSE__INIT;
        r.header = &h;
        r.users = names;
        r.n_users = nnames;
        grpcReply(call, &r.base);
    } else {
        Etcdserverpb__AuthRoleListResponse r =
            ETCDSERVERPB__AUTH_ROLE_LIST_RESPONSE__INIT;
        r.header = &h;
        r.roles = names;
        r.n_roles = nnames;
        grpcReply(call, &r.base);
    }
    authNamesFree(names, nnames);
}

void grpcUserList(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthUserListRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_user_list_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    etcdserverpb__auth_user_list_request__free_unpacked(q, NULL);
    call->u64 = 1;
    grpcRead(call, false, listServe);
}

/* ---- roles ---- */

void grpcRoleAdd(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthRoleAddRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_add_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_ROLE_ADD};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    proposeFree(call, &op, &etcdserverpb__auth_role_add_response__descriptor,
                &q->base);
}

void grpcRoleDelete(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthRoleDeleteRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_delete_request__descriptor, m, n);
    struct auth_op op = {.type = AUTH_OP_ROLE_DELETE};
    if (q == NULL) {
        return;
    }
    op.name = q->role;
    op.name_len = strlen(q->role);
    proposeFree(call, &op,
                &etcdserverpb__auth_role_delete_response__descriptor,
                &q->base);
}

void grpcRoleGrantPermission(struct grpc_call *call, const uint8_t *m,
                             size_t n)
{
    Etcdserverpb__AuthRoleGrantPermissionRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_grant_permission_request__descriptor, m,
        n);
    struct auth_op op = {.type = AUTH_OP_ROLE_GRANT};
    if (q == NULL) {
        return;
    }
    op.name = q->name;
    op.name_len = strlen(q->name);
    if (!nameOk(call, &op)) {
        etcdserverpb__auth_role_grant_permission_request__free_unpacked(q,
                                                                        NULL);
        return;
    }
    if (q->perm == NULL) {
        /* the gateway's "perm: expected an object"; etcd: a nil perm
         * panics its apply, refused here before the log */
        etcdserverpb__auth_role_grant_permission_request__free_unpacked(q,
                                                                        NULL);
        grpcFail(call, ETCFS_INVALID, "perm: expected a permission");
        return;
    }
    if ((int)q->perm->permtype < AUTH_READ ||
        (int)q->perm->permtype > AUTH_READWRITE) {
        etcdserverpb__auth_role_grant_permission_request__free_unpacked(q,
                                                                        NULL);
        grpcFail(call, ETCFS_INVALID, "perm: unknown permType");
        return;
    }
    /* authpb's READ, WRITE, READWRITE are 0, 1, 2 as enum auth_perm_type */
    op.perm_type = (int)q->perm->permtype;
    op.key = (const char *)q->perm->key.data;
    op.key_len = q->perm->key.len;
    op.range_end = (const char *)q->perm->range_end.data;
    op.range_end_len = q->perm->range_end.len;
    propose(call, &op,
            &etcdserverpb__auth_role_grant_permission_response__descriptor);
    etcdserverpb__auth_role_grant_permission_request__free_unpacked(q, NULL);
}

void grpcRoleRevokePermission(struct grpc_call *call, const uint8_t *m,
                              size_t n)
{
    Etcdserverpb__AuthRoleRevokePermissionRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_revoke_permission_request__descriptor,
        m, n);
    struct auth_op op = {.type = AUTH_OP_ROLE_REVOKE};
    if (q == NULL) {
        return;
    }
    op.name = q->role;
    op.name_len = strlen(q->role);
    op.key = (const char *)q->key.data;
    op.key_len = q->key.len;
    op.range_end = (const char *)q->range_end.data;
    op.range_end_len = q->range_end.len;
    proposeFree(call, &op,
                &etcdserverpb__auth_role_revoke_permission_response__descriptor,
                &q->base);
}

static void roleGetServe(struct grpc_call *call)
{
    struct read_name *rc = call->ctx;
    Etcdserverpb__AuthRoleGetResponse r =
        ETCDSERVERPB__AUTH_ROLE_GET_RESPONSE__INIT;
    Etcdserverpb__ResponseHeader h = ETCDSERVERPB__RESPONSE_HEADER__INIT;
    Authpb__Permission *pb = NULL;
    Authpb__Permission **ptrs = NULL;
    struct auth_perm *perms = NULL;
    size_t nperms = 0;
    size_t i;
    int rv;
    call->ctx = NULL;
    rv = authnRoleGet(grpcDeps(call)->server, &call->who, rc->name, rc->len,
                      &perms, &nperms);
    free(rc);
    if (rv != 0) {
        grpcFail(call, rv, NULL);
        return;
    }
    if (nperms > 0) {
        pb = calloc(nperms, sizeof *pb);
        ptrs = calloc(nperms, sizeof *ptrs);
        if (pb == NULL || ptrs == NULL) {
            free(pb);
            free(ptrs);
            authPermsFree(perms, nperms);
            grpcFail(call, ETCFS_NOMEM, NULL);
            return;
        }
    }
    for (i = 0; i < nperms; i++) {
        authpb__permission__init(&pb[i]);
        pb[i].permtype = (Authpb__Permission__Type)perms[i].type;
        pb[i].key.data = (uint8_t *)perms[i].key;
        pb[i].key.len = perms[i].key_len;
        pb[i].range_end.data = (uint8_t *)perms[i].range_end;
        pb[i].range_end.len = perms[i].range_end_len;
        ptrs[i] = &pb[i];
    }
    grpcHeader(call, &h, 0);
    r.header = &h;
    r.perm = ptrs;
    r.n_perm = nperms;
    grpcReply(call, &r.base);
    free(ptrs);
    free(pb);
    authPermsFree(perms, nperms);
}

void grpcRoleGet(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthRoleGetRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_get_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    readName(call, q->role, roleGetServe);
    etcdserverpb__auth_role_get_request__free_unpacked(q, NULL);
}

void grpcRoleList(struct grpc_call *call, const uint8_t *m, size_t n)
{
    Etcdserverpb__AuthRoleListRequest *q = grpcUnpack(
        call, &etcdserverpb__auth_role_list_request__descriptor, m, n);
    if (q == NULL) {
        return;
    }
    etcdserverpb__auth_role_list_request__free_unpacked(q, NULL);
    call->u64 = 2;
    grpcRead(call, false, listServe);
}
