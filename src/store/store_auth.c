/* The authentication state as part of the store: loaded with the state
 * record (at open and after a snapshot restore), changed by storeApplyAuth
 * in one batch with the applied index (the encoded state is the metadata
 * record "auth", so snapshots and backups carry it). Apply thread for
 * changes; storeAuth's checks from any thread. */
#include <stdlib.h>

#include "store_internal.h"

#define STORE__AUTH_META "auth"

struct auth *storeAuth(struct store *s)
{
    return s->auth;
}

int storeAuthReload(struct store *s, char *errmsg)
{
    char *v = NULL;
    size_t len = 0;
    int rv = storeMetaGet(s, STORE__AUTH_META, sizeof STORE__AUTH_META - 1,
                          &v, &len, errmsg);
    if (rv == ETCFS_NOTFOUND) {
        rv = authLoad(s->auth, NULL, 0); /* never changed: empty */
    } else if (rv == 0) {
        rv = authLoad(s->auth, v, len);
        if (rv != 0) {
            etcfsErrmsgf(errmsg, "auth state: malformed record");
        }
    }
    free(v);
    return rv;
}

int storeApplyAuth(struct store *s, uint64_t index, uint64_t term,
                   const struct auth_op *op, char *errmsg)
{
    struct auth *next;
    struct buf enc = {0};
    int rv;
    if (op->type == AUTH_OP_TOKEN) {
        /* a token is not state: only its validity is decided here */
        rv = authApply(s->auth, op);
        if (storeApplyNoop(s, index, term, errmsg) != 0) {
            return ETCFS_IO;
        }
        return rv;
    }
    next = authClone(s->auth);
    if (next == NULL) {
        return storeNomem(errmsg, "auth");
    }
    rv = authApply(next, op);
    if (rv != 0) {
        /* refused: the entry is applied, nothing changes */
        authFree(next);
        return storeApplyNoop(s, index, term, errmsg) != 0 ? ETCFS_IO : rv;
    }
    if (authEncode(next, &enc) != 0) {
        authFree(next);
        return storeNomem(errmsg, "auth");
    }
    rv = storeApplyMeta(s, index, term, STORE__AUTH_META,
                        sizeof STORE__AUTH_META - 1, enc.data, enc.len,
                        errmsg);
    bufFree(&enc);
    if (rv == 0) {
        authSwap(s->auth, next); /* the change is durable: now visible */
    }
    authFree(next);
    return rv;
}
