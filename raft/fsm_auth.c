/* Permission checks at apply time (etcd 3.4 etcdserver/apply_auth.go): a
 * command carries its proposer's user and the auth revision it was checked
 * at; every member decides with the same replicated auth state, so every
 * member refuses the same commands. Loop thread (the FSM). */
#include "fsm_auth.h"

#include <stdlib.h>

#include "../src/core/error.h"

struct fsm_auth_ctx
{
    struct auth *auth;
    const struct command *cmd;
};

static int check(const struct fsm_auth_ctx *c, const char *key,
                 size_t key_len, const char *end, size_t end_len, int type)
{
    return authCheck(c->auth, c->cmd->user, c->cmd->user_len,
                     c->cmd->auth_revision, key, key_len, end, end_len,
                     type);
}

/* Changing a lease's keys (attaching a put, revoking) needs write
 * permission on every key already attached to it. */
static int checkLeasePuts(const struct fsm_auth_ctx *c, struct store *s,
                          int64_t lease)
{
    char **keys = NULL;
    size_t *lens = NULL;
    size_t n = 0;
    size_t i;
    char errmsg[ETCFS_ERRMSG_SIZE];
    int rv;
    if (lease == 0) {
        return 0;
    }
    rv = storeLeaseKeys(s, lease, &keys, &lens, &n, errmsg);
    if (rv == ETCFS_LEASE_NOTFOUND) {
        return 0; /* the store refuses the unknown lease itself */
    }
    if (rv != 0) {
        return rv;
    }
    for (i = 0; i < n && rv == 0; i++) {
        rv = check(c, keys[i], lens[i], NULL, 0, AUTH_WRITE);
    }
    storeKeysFree(keys, lens, n);
    return rv;
}

static int checkPut(const struct fsm_auth_ctx *c, struct store *s,
                    const struct store_put_req *p, bool leases)
{
    int rv = check(c, p->key, p->key_len, NULL, 0, AUTH_WRITE);
    if (rv == 0 && leases) {
        rv = checkLeasePuts(c, s, p->lease);
    }
    if (rv == 0 && p->prev_kv) {
        rv = check(c, p->key, p->key_len, NULL, 0, AUTH_READ);
    }
    return rv;
}

static int checkDelete(const struct fsm_auth_ctx *c,
                       const struct store_delete_req *d)
{
    int rv = check(c, d->key, d->key_len, d->range_end, d->range_end_len,
                   AUTH_WRITE);
    if (rv == 0 && d->prev_kv) {
        rv = check(c, d->key, d->key_len, d->range_end, d->range_end_len,
                   AUTH_READ);
    }
    return rv;
}

static int checkTxn(const struct fsm_auth_ctx *c,
                    const struct store_txn_req *t);

static int checkOps(const struct fsm_auth_ctx *c, const struct store_op *ops,
                    size_t n)
{
    size_t i;
    int rv = 0;
    for (i = 0; i < n && rv == 0; i++) {
        const struct store_op *op = &ops[i];
        switch (op->type) {
            case STORE_OP_RANGE:
                rv = check(c, op->range.key, op->range.key_len,
                           op->range.range_end, op->range.range_end_len,
                           AUTH_READ);
                break;
            case STORE_OP_PUT:
                /* etcd checks a txn's puts without their leases */
                rv = checkPut(c, NULL, &op->put, false);
                break;
            case STORE_OP_DELETE:
                rv = checkDelete(c, &op->delete_range);
                break;
            case STORE_OP_TXN:
                /* etcd 3.4 lets nested txns through unchecked; not here */
                rv = checkTxn(c, op->txn);
                break;
            default:
                break;
        }
    }
    return rv;
}

static int checkTxn(const struct fsm_auth_ctx *c,
                    const struct store_txn_req *t)
{
    size_t i;
    int rv = 0;
    for (i = 0; i < t->n_compares && rv == 0; i++) {
        rv = check(c, t->compares[i].key, t->compares[i].key_len,
                   t->compares[i].range_end, t->compares[i].range_end_len,
                   AUTH_READ);
    }
    if (rv == 0) {
        rv = checkOps(c, t->success, t->n_success);
    }
    if (rv == 0) {
        rv = checkOps(c, t->failure, t->n_failure);
    }
    return rv;
}

int fsmAuthorize(struct store *s, const struct command *cmd)
{
    struct fsm_auth_ctx c = {storeAuth(s), cmd};
    if (cmd->internal || (!authEnabled(c.auth) && cmd->type != COMMAND_AUTH)) {
        return 0;
    }
    switch (cmd->type) {
        case COMMAND_PUT:
            return checkPut(&c, s, &cmd->put, true);
        case COMMAND_DELETE_RANGE:
            return checkDelete(&c, &cmd->delete_range);
        case COMMAND_TXN:
            return checkTxn(&c, &cmd->txn);
        case COMMAND_LEASE_REVOKE:
            return checkLeasePuts(&c, s, cmd->lease_revoke_id);
        case COMMAND_AUTH:
            if (cmd->auth.type == AUTH_OP_TOKEN) {
                /* the proposer checked the password at auth_revision: a
                 * change since (a new password, a deleted user) makes it
                 * check again (etcd 3.4's Authenticate loop) */
                return cmd->auth_revision < authRevision(c.auth)
                           ? ETCFS_AUTH_OLD_REVISION
                           : 0;
            }
            return authAdmin(c.auth, cmd->user, cmd->user_len);
        default:
            /* compaction, lease grants: anyone (etcd); member records are
             * checked where the change is asked for */
            return 0;
    }
}
