/* The authentication state as bytes (the store's "auth" record: u8
 * format, u8 enabled, u64 revision, then users and roles, integers big
 * endian), copies of it, and the API's reads of users and roles. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "auth_internal.h"

/* ---- encoding: u8 format, u8 enabled, u64 revision, users, roles ---- */

static int putBytes(struct buf *b, const char *p, size_t n)
{
    return bufAppendU32(b, (uint32_t)n) != 0 || bufAppend(b, p, n) != 0 ? -1
                                                                        : 0;
}

static int encodeLocked(struct auth *a, struct buf *out)
{
    size_t i;
    size_t k;
    if (bufAppendByte(out, AUTH__FORMAT) != 0 ||
        bufAppendByte(out, a->enabled ? 1 : 0) != 0 ||
        bufAppendU64(out, a->revision) != 0 ||
        bufAppendU32(out, (uint32_t)a->n_users) != 0) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < a->n_users; i++) {
        const struct auth_user *u = &a->users[i];
        if (putBytes(out, u->name, u->name_len) != 0 ||
            putBytes(out, u->hash, strlen(u->hash)) != 0 ||
            bufAppendByte(out, u->no_password ? 1 : 0) != 0 ||
            bufAppendU32(out, (uint32_t)u->n_roles) != 0) {
            return ETCFS_NOMEM;
        }
        for (k = 0; k < u->n_roles; k++) {
            if (putBytes(out, u->roles[k], strlen(u->roles[k])) != 0) {
                return ETCFS_NOMEM;
            }
        }
    }
    if (bufAppendU32(out, (uint32_t)a->n_roles) != 0) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < a->n_roles; i++) {
        const struct auth_role *r = &a->roles[i];
        if (putBytes(out, r->name, r->name_len) != 0 ||
            bufAppendU32(out, (uint32_t)r->n_perms) != 0) {
            return ETCFS_NOMEM;
        }
        for (k = 0; k < r->n_perms; k++) {
            const struct auth_perm *p = &r->perms[k];
            if (bufAppendByte(out, (unsigned char)p->type) != 0 ||
                putBytes(out, p->key, p->key_len) != 0 ||
                putBytes(out, p->range_end, p->range_end_len) != 0) {
                return ETCFS_NOMEM;
            }
        }
    }
    return 0;
}

int authEncode(struct auth *a, struct buf *out)
{
    int rv;
    pthread_rwlock_rdlock(&a->lock);
    rv = encodeLocked(a, out);
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

struct reader
{
    const unsigned char *p;
    size_t left;
    bool bad;
};

static uint64_t getN(struct reader *r, size_t n)
{
    uint64_t v = 0;
    size_t i;
    if (r->bad || r->left < n) {
        r->bad = true;
        return 0;
    }
    for (i = 0; i < n; i++) {
        v = (v << 8) | r->p[i]; /* buf.h: big-endian */
    }
    r->p += n;
    r->left -= n;
    return v;
}

/* A string: malloc'd copy (NUL-terminated) or NULL when malformed. */
static char *getBytes(struct reader *r, size_t *len)
{
    uint64_t n = getN(r, 4);
    char *s;
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    s = authDup0((const char *)r->p, (size_t)n);
    if (s == NULL) {
        r->bad = true;
        return NULL;
    }
    r->p += n;
    r->left -= (size_t)n;
    if (len != NULL) {
        *len = (size_t)n;
    }
    return s;
}

/* A string kept NUL-terminated (a hash, a user's role): none inside. */
static char *getString(struct reader *r)
{
    size_t len = 0;
    char *s = getBytes(r, &len);
    if (s != NULL && strlen(s) != len) {
        r->bad = true;
    }
    return s;
}

/* An element count that the remaining bytes can hold (each takes one). */
static size_t getCount(struct reader *r)
{
    uint64_t n = getN(r, 4);
    if (n > r->left) {
        r->bad = true;
        return 0;
    }
    return (size_t)n;
}

/* A flag byte: 0 or 1. */
static bool getFlag(struct reader *r)
{
    uint64_t v = getN(r, 1);
    if (v > 1) {
        r->bad = true;
    }
    return v != 0;
}

/* A user or role name as auth.c makes them: not empty, no NUL (NULL: not
 * read, already bad). */
static bool nameValid(const char *s, size_t len)
{
    return s != NULL && len > 0 && memchr(s, '\0', len) == NULL;
}

/* What auth.c's rules keep true and its lookups rely on: valid names and
 * permission types, each list sorted without duplicates (users and roles
 * by name, a user's roles, a role's permissions by key, one key's in grant order). */
static bool wellFormed(const struct auth *a)
{
    size_t i;
    size_t k;
    for (i = 0; i < a->n_users; i++) {
        const struct auth_user *u = &a->users[i];
        if (!nameValid(u->name, u->name_len) ||
            (i > 0 && authCmp(u[-1].name, u[-1].name_len, u->name,
                              u->name_len) >= 0)) {
            return false;
        }
        for (k = 0; k < u->n_roles; k++) {
            /* decode refused a NUL inside: strlen is the length */
            if (u->roles[k][0] == '\0' ||
                (k > 0 && strcmp(u->roles[k - 1], u->roles[k]) >= 0)) {
                return false;
            }
        }
    }
    for (i = 0; i < a->n_roles; i++) {
        const struct auth_role *ro = &a->roles[i];
        if (!nameValid(ro->name, ro->name_len) ||
            (i > 0 && authCmp(ro[-1].name, ro[-1].name_len, ro->name,
                              ro->name_len) >= 0)) {
            return false;
        }
        for (k = 0; k < ro->n_perms; k++) {
            const struct auth_perm *p = &ro->perms[k];
            size_t j;
            if (p->type < AUTH_READ || p->type > AUTH_READWRITE ||
                (k > 0 && authCmp(p[-1].key, p[-1].key_len, p->key,
                                  p->key_len) > 0)) {
                return false;
            }
            /* one key's permissions: grant order, no range twice */
            for (j = k; j > 0 && authCmp(ro->perms[j - 1].key,
                                         ro->perms[j - 1].key_len, p->key,
                                         p->key_len) == 0;
                 j--) {
                if (authCmp(ro->perms[j - 1].range_end,
                            ro->perms[j - 1].range_end_len, p->range_end,
                            p->range_end_len) == 0) {
                    return false;
                }
            }
        }
    }
    return true;
}

static int decode(struct auth *a, struct reader *r)
{
    size_t i;
    size_t k;
    if (getN(r, 1) != AUTH__FORMAT) {
        return ETCFS_CORRUPT;
    }
    a->enabled = getFlag(r);
    a->revision = getN(r, 8);
    a->n_users = getCount(r);
    a->users = a->n_users > 0 ? calloc(a->n_users, sizeof *a->users) : NULL;
    if (a->n_users > 0 && a->users == NULL) {
        a->n_users = 0;
        return ETCFS_NOMEM;
    }
    for (i = 0; i < a->n_users && !r->bad; i++) {
        struct auth_user *u = &a->users[i];
        u->name = getBytes(r, &u->name_len);
        u->hash = getString(r);
        u->no_password = getFlag(r);
        u->n_roles = getCount(r);
        u->roles = u->n_roles > 0 ? calloc(u->n_roles, sizeof *u->roles)
                                  : NULL;
        if (u->n_roles > 0 && u->roles == NULL) {
            u->n_roles = 0;
            r->bad = true;
        }
        for (k = 0; k < u->n_roles && !r->bad; k++) {
            u->roles[k] = getString(r);
        }
    }
    a->n_roles = getCount(r);
    a->roles = a->n_roles > 0 ? calloc(a->n_roles, sizeof *a->roles) : NULL;
    if (a->n_roles > 0 && a->roles == NULL) {
        a->n_roles = 0;
        return ETCFS_NOMEM;
    }
    for (i = 0; i < a->n_roles && !r->bad; i++) {
        struct auth_role *ro = &a->roles[i];
        ro->name = getBytes(r, &ro->name_len);
        ro->n_perms = getCount(r);
        ro->perms = ro->n_perms > 0 ? calloc(ro->n_perms, sizeof *ro->perms)
                                    : NULL;
        if (ro->n_perms > 0 && ro->perms == NULL) {
            ro->n_perms = 0;
            r->bad = true;
        }
        for (k = 0; k < ro->n_perms && !r->bad; k++) {
            struct auth_perm *p = &ro->perms[k];
            p->type = (int)getN(r, 1);
            p->key = getBytes(r, &p->key_len);
            p->range_end = getBytes(r, &p->range_end_len);
        }
    }
    return r->bad || r->left != 0 || !wellFormed(a) ? ETCFS_CORRUPT : 0;
}

int authLoad(struct auth *a, const void *data, size_t len)
{
    struct auth *fresh = authNew();
    struct reader r;
    int rv = 0;
    if (fresh == NULL) {
        return ETCFS_NOMEM;
    }
    if (len > 0) {
        r.p = data;
        r.left = len;
        r.bad = false;
        rv = decode(fresh, &r);
    }
    if (rv == 0) {
        authSwap(a, fresh);
    }
    authFree(fresh);
    return rv;
}

struct auth *authClone(struct auth *a)
{
    struct buf b = {0};
    struct auth *c = authNew();
    if (c == NULL) {
        return NULL;
    }
    if (authEncode(a, &b) != 0 || authLoad(c, b.data, b.len) != 0) {
        bufFree(&b);
        authFree(c);
        return NULL;
    }
    bufFree(&b);
    return c;
}

/* ---- reads ---- */

void authNamesFree(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
}

void authPermsFree(struct auth_perm *perms, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        authPermClear(&perms[i]);
    }
    free(perms);
}

/* Copies n names out of elements of size sz whose first member is a name. */
static int copyNames(const void *arr, size_t n, size_t sz, char ***out,
                     size_t *count)
{
    char **names = calloc(n > 0 ? n : 1, sizeof *names);
    size_t i;
    if (names == NULL) {
        return ETCFS_NOMEM;
    }
    for (i = 0; i < n; i++) {
        const char *name = *(char *const *)((const char *)arr + i * sz);
        names[i] = authDup0(name, strlen(name));
        if (names[i] == NULL) {
            authNamesFree(names, i);
            return ETCFS_NOMEM;
        }
    }
    *out = names;
    *count = n;
    return 0;
}

int authUsers(struct auth *a, char ***names, size_t *n)
{
    int rv;
    pthread_rwlock_rdlock(&a->lock);
    rv = copyNames(a->users, a->n_users, sizeof *a->users, names, n);
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

int authRoles(struct auth *a, char ***names, size_t *n)
{
    int rv;
    pthread_rwlock_rdlock(&a->lock);
    rv = copyNames(a->roles, a->n_roles, sizeof *a->roles, names, n);
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

int authUserRoles(struct auth *a, const char *user, size_t user_len,
                  char ***roles, size_t *n)
{
    const struct auth_user *u;
    int rv = ETCFS_USER_NOTFOUND;
    pthread_rwlock_rdlock(&a->lock);
    u = authFindUser(a, user, user_len, NULL);
    if (u != NULL) {
        rv = copyNames(u->roles, u->n_roles, sizeof *u->roles, roles, n);
    }
    pthread_rwlock_unlock(&a->lock);
    return rv;
}

int authRolePerms(struct auth *a, const char *role, size_t role_len,
                  struct auth_perm **perms, size_t *n)
{
    const struct auth_role *r;
    struct auth_perm *out;
    size_t i;
    int rv = ETCFS_ROLE_NOTFOUND;
    pthread_rwlock_rdlock(&a->lock);
    r = authFindRole(a, role, role_len, NULL);
    if (r == NULL) {
        goto done;
    }
    out = calloc(r->n_perms > 0 ? r->n_perms : 1, sizeof *out);
    rv = out == NULL ? ETCFS_NOMEM : 0;
    for (i = 0; rv == 0 && i < r->n_perms; i++) {
        out[i].type = r->perms[i].type;
        out[i].key = authDup0(r->perms[i].key, r->perms[i].key_len);
        out[i].key_len = r->perms[i].key_len;
        out[i].range_end =
            authDup0(r->perms[i].range_end, r->perms[i].range_end_len);
        out[i].range_end_len = r->perms[i].range_end_len;
        if (out[i].key == NULL || out[i].range_end == NULL) {
            authPermsFree(out, i + 1);
            rv = ETCFS_NOMEM;
            out = NULL;
        }
    }
    if (rv == 0) {
        *perms = out;
        *n = r->n_perms;
    }
done:
    pthread_rwlock_unlock(&a->lock);
    return rv;
}
