/* etcd v3 authentication state (auth.h): users and roles in sorted arrays
 * under a read-write lock, etcd 3.4's rules for each change (auth/store.go:
 * what must exist, what root may not lose while auth is on, which changes
 * bump the revision) and for permissions (a range is allowed when the
 * union of the user's permitted ranges of that kind covers it; the root
 * role allows everything). */
#include "auth_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../core/error.h"

/* ---- helpers ---- */

char *authDup0(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        if (n > 0) {
            memcpy(d, p, n);
        }
        d[n] = '\0';
    }
    return d;
}

/* Byte-wise order, shorter first on a common prefix (etcd's keys). */
int authCmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0; /* a or b may be NULL when empty */
    if (c != 0) {
        return c;
    }
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

static void userClear(struct auth_user *u)
{
    size_t i;
    free(u->name);
    free(u->hash);
    for (i = 0; i < u->n_roles; i++) {
        free(u->roles[i]);
    }
    free(u->roles);
    memset(u, 0, sizeof *u);
}

void authPermClear(struct auth_perm *p)
{
    free(p->key);
    free(p->range_end);
    memset(p, 0, sizeof *p);
}

static void roleClear(struct auth_role *r)
{
    size_t i;
    free(r->name);
    for (i = 0; i < r->n_perms; i++) {
        authPermClear(&r->perms[i]);
    }
    free(r->perms);
    memset(r, 0, sizeof *r);
}

void authStateClear(struct auth *a)
{
    size_t i;
    for (i = 0; i < a->n_users; i++) {
        userClear(&a->users[i]);
    }
    free(a->users);
    for (i = 0; i < a->n_roles; i++) {
        roleClear(&a->roles[i]);
    }
    free(a->roles);
    a->users = NULL;
    a->roles = NULL;
    a->n_users = 0;
    a->n_roles = 0;
    a->enabled = false;
    a->revision = 0;
}

struct auth *authNew(void)
{
    struct auth *a = calloc(1, sizeof *a);
    if (a != NULL) {
        pthread_rwlock_init(&a->lock, NULL);
        a->revision = 1; /* etcd's first revision */
    }
    return a;
}

void authFree(struct auth *a)
{
    if (a != NULL) {
        authStateClear(a);
        pthread_rwlock_destroy(&a->lock);
        free(a);
    }
}

/* Index of name in a sorted array of elements whose first members are
 * (char *name, size_t name_len), or where it would go (*found false). */
#define AUTH__FIND(arr, n, type, nm, nl, found)                                \
    ({                                                                         \
        size_t lo__ = 0, hi__ = (n);                                          \
        *(found) = false;                                                      \
        while (lo__ < hi__) {                                                  \
            size_t mid__ = (lo__ + hi__) / 2;                                  \
            const type *e__ = &(arr)[mid__];                                   \
            int c__ = authCmp(e__->name, e__->name_len, (nm), (nl));           \
            if (c__ == 0) {                                                    \
                *(found) = true;                                               \
                lo__ = mid__;                                                  \
                break;                                                         \
            }                                                                  \
            if (c__ < 0) {                                                     \
                lo__ = mid__ + 1;                                              \
            } else {                                                           \
                hi__ = mid__;                                                  \
            }                                                                  \
        }                                                                      \
        lo__;                                                                  \
    })

struct auth_user *authFindUser(struct auth *a, const char *name,
                                  size_t len, size_t *pos)
{
    bool found;
    size_t i = AUTH__FIND(a->users, a->n_users, struct auth_user, name, len,
                          &found);
    if (pos != NULL) {
        *pos = i;
    }
    return found ? &a->users[i] : NULL;
}

struct auth_role *authFindRole(struct auth *a, const char *name,
                                  size_t len, size_t *pos)
{
    bool found;
    size_t i = AUTH__FIND(a->roles, a->n_roles, struct auth_role, name, len,
                          &found);
    if (pos != NULL) {
        *pos = i;
    }
    return found ? &a->roles[i] : NULL;
}

/* Names are kept NUL-terminated (user roles are compared by strlen): one
 * holding a NUL would act as its first part ("r\0x" as "r"). */
static bool nameOk(const char *name, size_t len)
{
    return len == 0 || memchr(name, '\0', len) == NULL;
}

static bool isRoot(const char *name, size_t len)
{
    return len == 4 && memcmp(name, AUTH_ROOT, 4) == 0;
}

static bool userHasRole(const struct auth_user *u, const char *role,
                        size_t len, size_t *pos)
{
    size_t i;
    for (i = 0; i < u->n_roles; i++) {
        int c = authCmp(u->roles[i], strlen(u->roles[i]), role, len);
        if (c == 0) {
            if (pos != NULL) {
                *pos = i;
            }
            return true;
        }
        if (c > 0) {
            break;
        }
    }
    if (pos != NULL) {
        *pos = i;
    }
    return false;
}

/* Inserts a zeroed element at i of an array of elements of size sz. */
static void *insertAt(void *arr, size_t *n, size_t sz, size_t i)
{
    char *b = realloc(arr, (*n + 1) * sz);
    if (b == NULL) {
        return NULL;
    }
    memmove(b + (i + 1) * sz, b + i * sz, (*n - i) * sz);
    memset(b + i * sz, 0, sz);
    (*n)++;
    return b;
}

static void removeAt(void *arr, size_t *n, size_t sz, size_t i)
{
    char *b = arr;
    memmove(b + i * sz, b + (i + 1) * sz, (*n - i - 1) * sz);
    (*n)--;
}

/* ---- changes (etcd 3.4 auth/store.go) ---- */

static int userAdd(struct auth *a, const struct auth_op *op)
{
    size_t pos;
    struct auth_user *u;
    struct auth_user *arr;
    if (op->name_len == 0) {
        return ETCFS_USER_EMPTY;
    }
    if (!nameOk(op->name, op->name_len)) {
        return ETCFS_INVALID;
    }
    if (authFindUser(a, op->name, op->name_len, &pos) != NULL) {
        return ETCFS_USER_EXISTS;
    }
    arr = insertAt(a->users, &a->n_users, sizeof *arr, pos);
    if (arr == NULL) {
        return ETCFS_NOMEM;
    }
    a->users = arr;
    u = &arr[pos];
    u->name = authDup0(op->name, op->name_len);
    u->name_len = op->name_len;
    u->no_password = op->no_password;
    u->hash = authDup0(op->no_password ? "" : op->hash,
                   op->no_password ? 0 : op->hash_len);
    if (u->name == NULL || u->hash == NULL) {
        userClear(u);
        removeAt(a->users, &a->n_users, sizeof *arr, pos);
        return ETCFS_NOMEM;
    }
    return 0;
}

static int userGrant(struct auth *a, const struct auth_op *op, bool *changed)
{
    struct auth_user *u = authFindUser(a, op->name, op->name_len, NULL);
    size_t pos;
    char **roles;
    if (u == NULL) {
        return ETCFS_USER_NOTFOUND;
    }
    if (!isRoot(op->role, op->role_len) &&
        authFindRole(a, op->role, op->role_len, NULL) == NULL) {
        return ETCFS_ROLE_NOTFOUND;
    }
    if (userHasRole(u, op->role, op->role_len, &pos)) {
        *changed = false; /* etcd: granted again, no revision either */
        return 0;
    }
    roles = insertAt(u->roles, &u->n_roles, sizeof *roles, pos);
    if (roles == NULL) {
        return ETCFS_NOMEM;
    }
    u->roles = roles;
    roles[pos] = authDup0(op->role, op->role_len);
    if (roles[pos] == NULL) {
        removeAt(u->roles, &u->n_roles, sizeof *roles, pos);
        return ETCFS_NOMEM;
    }
    return 0;
}

static int userRevoke(struct auth *a, const struct auth_op *op)
{
    struct auth_user *u;
    size_t pos;
    if (a->enabled && isRoot(op->name, op->name_len) &&
        isRoot(op->role, op->role_len)) {
        return ETCFS_INVALID_AUTH_MGMT;
    }
    u = authFindUser(a, op->name, op->name_len, NULL);
    if (u == NULL) {
        return ETCFS_USER_NOTFOUND;
    }
    if (!userHasRole(u, op->role, op->role_len, &pos)) {
        return ETCFS_ROLE_NOT_GRANTED;
    }
    free(u->roles[pos]);
    removeAt(u->roles, &u->n_roles, sizeof *u->roles, pos);
    return 0;
}

static int roleDelete(struct auth *a, const struct auth_op *op)
{
    size_t pos;
    size_t i;
    if (a->enabled && isRoot(op->name, op->name_len)) {
        return ETCFS_INVALID_AUTH_MGMT;
    }
    if (authFindRole(a, op->name, op->name_len, &pos) == NULL) {
        return ETCFS_ROLE_NOTFOUND;
    }
    roleClear(&a->roles[pos]);
    removeAt(a->roles, &a->n_roles, sizeof *a->roles, pos);
    for (i = 0; i < a->n_users; i++) {
        struct auth_user *u = &a->users[i];
        size_t r;
        if (userHasRole(u, op->name, op->name_len, &r)) {
            free(u->roles[r]);
            removeAt(u->roles, &u->n_roles, sizeof *u->roles, r);
        }
    }
    return 0;
}

/* Where the permission for [key, end) is (*found) or goes: after the
 * others of its key. etcd 3.4 RoleGrantPermission appends and sorts by key
 * alone (sort.Sort, an insertion sort for a role's few permissions), so
 * permissions of one key stay in the order they were granted. */
static size_t permFind(const struct auth_role *r, const char *key, size_t klen,
                       const char *end, size_t elen, bool *found)
{
    size_t i;
    *found = false;
    for (i = 0; i < r->n_perms; i++) {
        const struct auth_perm *p = &r->perms[i];
        int c = authCmp(p->key, p->key_len, key, klen);
        if (c == 0 &&
            authCmp(p->range_end, p->range_end_len, end, elen) == 0) {
            *found = true;
            return i;
        }
        if (c > 0) {
            break;
        }
    }
    return i;
}

static int roleGrant(struct auth *a, const struct auth_op *op)
{
    struct auth_role *r = authFindRole(a, op->name, op->name_len, NULL);
    struct auth_perm *arr;
    bool found;
    size_t pos;
    if (r == NULL) {
        return ETCFS_ROLE_NOTFOUND;
    }
    if (op->perm_type < AUTH_READ || op->perm_type > AUTH_READWRITE) {
        return ETCFS_INVALID;
    }
    pos = permFind(r, op->key, op->key_len, op->range_end, op->range_end_len,
                   &found);
    if (found) {
        r->perms[pos].type = op->perm_type; /* etcd: the new type replaces */
        return 0;
    }
    arr = insertAt(r->perms, &r->n_perms, sizeof *arr, pos);
    if (arr == NULL) {
        return ETCFS_NOMEM;
    }
    r->perms = arr;
    arr[pos].type = op->perm_type;
    arr[pos].key = authDup0(op->key, op->key_len);
    arr[pos].key_len = op->key_len;
    arr[pos].range_end = authDup0(op->range_end, op->range_end_len);
    arr[pos].range_end_len = op->range_end_len;
    if (arr[pos].key == NULL || arr[pos].range_end == NULL) {
        authPermClear(&arr[pos]);
        removeAt(r->perms, &r->n_perms, sizeof *arr, pos);
        return ETCFS_NOMEM;
    }
    return 0;
}

static int roleRevoke(struct auth *a, const struct auth_op *op)
{
    struct auth_role *r = authFindRole(a, op->name, op->name_len, NULL);
    bool found;
    size_t pos;
    if (r == NULL) {
        return ETCFS_ROLE_NOTFOUND;
    }
    pos = permFind(r, op->key, op->key_len, op->range_end, op->range_end_len,
                   &found);
    if (!found) {
        return ETCFS_PERMISSION_NOT_GRANTED;
    }
    authPermClear(&r->perms[pos]);
    removeAt(r->perms, &r->n_perms, sizeof *r->perms, pos);
    return 0;
}

/* *changed false: a success that changes nothing, so keeps the revision
 * (etcd 3.4 calls commitRevision only after a change). */
static int applyLocked(struct auth *a, const struct auth_op *op,
                       bool *changed)
{
    struct auth_user *u;
    struct auth_role *arr;
    size_t pos;
    switch (op->type) {
        case AUTH_OP_ENABLE:
            *changed = false; /* etcd AuthEnable: no commitRevision */
            if (a->enabled) {
                return 0;
            }
            u = authFindUser(a, AUTH_ROOT, 4, NULL);
            if (u == NULL) {
                return ETCFS_ROOT_USER_NOT_EXIST;
            }
            if (!userHasRole(u, AUTH_ROOT, 4, NULL)) {
                return ETCFS_ROOT_ROLE_NOT_EXIST;
            }
            a->enabled = true;
            return 0;
        case AUTH_OP_DISABLE:
            *changed = a->enabled; /* etcd AuthDisable: no-op when off */
            a->enabled = false;
            return 0;
        case AUTH_OP_USER_ADD:
            return userAdd(a, op);
        case AUTH_OP_USER_DELETE:
            if (a->enabled && isRoot(op->name, op->name_len)) {
                return ETCFS_INVALID_AUTH_MGMT;
            }
            if (authFindUser(a, op->name, op->name_len, &pos) == NULL) {
                return ETCFS_USER_NOTFOUND;
            }
            userClear(&a->users[pos]);
            removeAt(a->users, &a->n_users, sizeof *a->users, pos);
            return 0;
        case AUTH_OP_USER_PASSWD:
            u = authFindUser(a, op->name, op->name_len, NULL);
            if (u == NULL) {
                return ETCFS_USER_NOTFOUND;
            }
            {
                char *h = authDup0(op->hash, op->hash_len);
                if (h == NULL) {
                    return ETCFS_NOMEM;
                }
                free(u->hash);
                u->hash = h; /* etcd keeps the options: no_password stays */
            }
            return 0;
        case AUTH_OP_USER_GRANT:
            return userGrant(a, op, changed);
        case AUTH_OP_USER_REVOKE:
            return userRevoke(a, op);
        case AUTH_OP_ROLE_ADD:
            if (op->name_len == 0) {
                return ETCFS_ROLE_EMPTY;
            }
            if (!nameOk(op->name, op->name_len)) {
                return ETCFS_INVALID;
            }
            if (authFindRole(a, op->name, op->name_len, &pos) != NULL) {
                return ETCFS_ROLE_EXISTS;
            }
            arr = insertAt(a->roles, &a->n_roles, sizeof *arr, pos);
            if (arr == NULL) {
                return ETCFS_NOMEM;
            }
            a->roles = arr;
            arr[pos].name = authDup0(op->name, op->name_len);
            arr[pos].name_len = op->name_len;
            if (arr[pos].name == NULL) {
                removeAt(a->roles, &a->n_roles, sizeof *arr, pos);
                return ETCFS_NOMEM;
            }
            return 0;
        case AUTH_OP_ROLE_DELETE:
            return roleDelete(a, op);
        case AUTH_OP_ROLE_GRANT:
            return roleGrant(a, op);
        case AUTH_OP_ROLE_REVOKE:
            return roleRevoke(a, op);
        case AUTH_OP_TOKEN:
            *changed = false;
            return a->enabled ? 0 : ETCFS_AUTH_NOT_ENABLED;
        default:
            return ETCFS_INVALID;
    }
}

int authApply(struct auth *a, const struct auth_op *op)
{
    int rv;
    bool changed = true;
    pthread_rwlock_wrlock(&a->lock);
    rv = applyLocked(a, op, &changed);
    if (rv == 0 && changed) {
        a->revision++;
    }
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

void authSwap(struct auth *a, struct auth *src)
{
    struct auth tmp;
    pthread_rwlock_wrlock(&a->lock);
    tmp = *a;
    a->enabled = src->enabled;
    a->revision = src->revision;
    a->users = src->users;
    a->n_users = src->n_users;
    a->roles = src->roles;
    a->n_roles = src->n_roles;
    src->users = tmp.users;
    src->n_users = tmp.n_users;
    src->roles = tmp.roles;
    src->n_roles = tmp.n_roles;
    src->enabled = tmp.enabled;
    src->revision = tmp.revision;
    pthread_rwlock_unlock(&a->lock);
}

/* ---- checks ---- */

bool authEnabled(struct auth *a)
{
    bool e;
    pthread_rwlock_rdlock(&a->lock);
    e = a->enabled;
    pthread_rwlock_unlock(&a->lock);
    return e;
}

uint64_t authRevision(struct auth *a)
{
    uint64_t r;
    pthread_rwlock_rdlock(&a->lock);
    r = a->revision;
    pthread_rwlock_unlock(&a->lock);
    return r;
}

/* A half-open interval of keys; hi_inf: no upper bound. One key k is
 * [k, k + "\0"): that bound is allocated (owned). */
struct span
{
    const char *lo;
    size_t lo_len;
    const char *hi;
    size_t hi_len;
    bool hi_inf;
    char *owned;
};

static int spanOf(struct span *s, const char *key, size_t klen,
                  const char *end, size_t elen)
{
    memset(s, 0, sizeof *s);
    s->lo = key;
    s->lo_len = klen;
    if (elen == 0) {
        s->owned = malloc(klen + 1);
        if (s->owned == NULL) {
            return -1;
        }
        if (klen > 0) {
            memcpy(s->owned, key, klen);
        }
        s->owned[klen] = '\0';
        s->hi = s->owned;
        s->hi_len = klen + 1;
    } else if (elen == 1 && end[0] == '\0') {
        s->hi_inf = true;
    } else {
        s->hi = end;
        s->hi_len = elen;
    }
    return 0;
}

/* Whether p (a point) lies below span s's upper bound. */
static bool belowHi(const char *p, size_t len, const struct span *s)
{
    return s->hi_inf || authCmp(p, len, s->hi, s->hi_len) < 0;
}

/* Whether the permitted spans cover want: a cursor sweeps from want's
 * start, each span that holds the cursor moves it to its end. */
static bool covered(const struct span *ps, size_t n, const struct span *want)
{
    const char *cur = want->lo;
    size_t cur_len = want->lo_len;
    bool progress = true;
    if (!want->hi_inf && authCmp(cur, cur_len, want->hi, want->hi_len) >= 0) {
        return true; /* an empty range */
    }
    while (progress) {
        size_t i;
        progress = false;
        for (i = 0; i < n; i++) {
            const struct span *p = &ps[i];
            if (authCmp(p->lo, p->lo_len, cur, cur_len) > 0 ||
                !belowHi(cur, cur_len, p)) {
                continue;
            }
            if (p->hi_inf) {
                return true;
            }
            if (!want->hi_inf &&
                authCmp(p->hi, p->hi_len, want->hi, want->hi_len) >= 0) {
                return true;
            }
            cur = p->hi;
            cur_len = p->hi_len;
            progress = true;
        }
    }
    return false;
}

static void spansFree(struct span *ps, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(ps[i].owned);
    }
    free(ps);
}

static bool rootUser(const struct auth_user *u)
{
    return userHasRole(u, AUTH_ROOT, 4, NULL);
}

/* Whether some key of want lies in one of the spans: the larger start lies
 * below both ends. */
static bool overlaps(const struct span *ps, size_t n, const struct span *want)
{
    size_t i;
    for (i = 0; i < n; i++) {
        const struct span *p = &ps[i];
        bool p_first = authCmp(p->lo, p->lo_len, want->lo, want->lo_len) <= 0;
        const char *lo = p_first ? want->lo : p->lo;
        size_t lo_len = p_first ? want->lo_len : p->lo_len;
        if (belowHi(lo, lo_len, p) && belowHi(lo, lo_len, want)) {
            return true;
        }
    }
    return false;
}

/* authCheck (any false: every key of the range) and authCheckAny (any
 * true: at least one key). */
static int permCheck(struct auth *a, const char *user, size_t user_len,
                     uint64_t rev, const char *key, size_t key_len,
                     const char *range_end, size_t range_end_len, int type,
                     bool any)
{
    const struct auth_user *u;
    struct span want;
    struct span *ps = NULL;
    size_t n = 0;
    size_t cap = 0;
    size_t i;
    int rv = ETCFS_PERMISSION_DENIED;
    pthread_rwlock_rdlock(&a->lock);
    if (!a->enabled) {
        rv = 0;
        goto out;
    }
    if (rev == 0 || user_len == 0) {
        rv = ETCFS_USER_EMPTY;
        goto out;
    }
    if (rev < a->revision) {
        rv = ETCFS_AUTH_OLD_REVISION;
        goto out;
    }
    u = authFindUser(a, user, user_len, NULL);
    if (u == NULL) {
        goto out;
    }
    if (rootUser(u)) {
        rv = 0;
        goto out;
    }
    for (i = 0; i < u->n_roles; i++) {
        const struct auth_role *r =
            authFindRole(a, u->roles[i], strlen(u->roles[i]), NULL);
        size_t k;
        for (k = 0; r != NULL && k < r->n_perms; k++) {
            const struct auth_perm *p = &r->perms[k];
            if (p->type != AUTH_READWRITE && p->type != type) {
                continue;
            }
            if (n == cap) {
                size_t nc = cap == 0 ? 8 : cap * 2;
                struct span *np = realloc(ps, nc * sizeof *np);
                if (np == NULL) {
                    goto out; /* denied: never allow on a failure */
                }
                ps = np;
                cap = nc;
            }
            if (spanOf(&ps[n], p->key, p->key_len, p->range_end,
                       p->range_end_len) != 0) {
                goto out;
            }
            n++;
        }
    }
    if (spanOf(&want, key, key_len, range_end, range_end_len) != 0) {
        goto out;
    }
    if (any ? overlaps(ps, n, &want) : covered(ps, n, &want)) {
        rv = 0;
    }
    free(want.owned);
out:
    pthread_rwlock_unlock(&a->lock);
    spansFree(ps, n);
    return rv;
}

int authCheck(struct auth *a, const char *user, size_t user_len, uint64_t rev,
              const char *key, size_t key_len, const char *range_end,
              size_t range_end_len, int type)
{
    return permCheck(a, user, user_len, rev, key, key_len, range_end,
                     range_end_len, type, false);
}

int authCheckAny(struct auth *a, const char *user, size_t user_len,
                 const char *key, size_t key_len, const char *range_end,
                 size_t range_end_len, int type)
{
    /* no request revision: this is a question about the current state */
    return permCheck(a, user, user_len, UINT64_MAX, key, key_len, range_end,
                     range_end_len, type, true);
}

int authAdmin(struct auth *a, const char *user, size_t user_len)
{
    const struct auth_user *u;
    int rv = 0;
    pthread_rwlock_rdlock(&a->lock);
    if (a->enabled) {
        if (user_len == 0) {
            rv = ETCFS_USER_EMPTY;
        } else {
            u = authFindUser(a, user, user_len, NULL);
            rv = u != NULL && rootUser(u) ? 0 : ETCFS_PERMISSION_DENIED;
        }
    }
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

bool authHasRole(struct auth *a, const char *user, size_t user_len,
                 const char *role, size_t role_len)
{
    const struct auth_user *u;
    bool has;
    pthread_rwlock_rdlock(&a->lock);
    u = authFindUser(a, user, user_len, NULL);
    has = u != NULL && userHasRole(u, role, role_len, NULL);
    pthread_rwlock_unlock(&a->lock);
    return has;
}

int authPasswordHash(struct auth *a, const char *user, size_t user_len,
                     char *hash, size_t size, bool *no_password)
{
    const struct auth_user *u;
    int rv = ETCFS_AUTH_FAILED;
    pthread_rwlock_rdlock(&a->lock);
    u = authFindUser(a, user, user_len, NULL);
    if (u != NULL && strlen(u->hash) < size) {
        memcpy(hash, u->hash, strlen(u->hash) + 1);
        *no_password = u->no_password;
        rv = 0;
    }
    pthread_rwlock_unlock(&a->lock);
    return rv;
}
