/* Internals of the authentication state shared by auth.c (rules and
 * checks) and auth_codec.c (encoding, copies and reads). */
#ifndef ETCFS_AUTH_INTERNAL_H
#define ETCFS_AUTH_INTERNAL_H

#include <pthread.h>

#include "auth.h"

#define AUTH__FORMAT 1

struct auth_user
{
    char *name;
    size_t name_len;
    char *hash; /* NUL-terminated; "" for a no-password user */
    bool no_password;
    char **roles; /* sorted */
    size_t n_roles;
};

struct auth_role
{
    char *name;
    size_t name_len;
    struct auth_perm *perms; /* sorted by key, range_end */
    size_t n_perms;
};

struct auth
{
    pthread_rwlock_t lock;
    bool enabled;
    uint64_t revision;
    struct auth_user *users; /* sorted by name */
    size_t n_users;
    struct auth_role *roles; /* sorted by name */
    size_t n_roles;
};

char *authDup0(const char *p, size_t n);
/* Byte-wise order of two strings, shorter first on a common prefix. */
int authCmp(const char *a, size_t alen, const char *b, size_t blen);
void authPermClear(struct auth_perm *p);
void authStateClear(struct auth *a);
struct auth_user *authFindUser(struct auth *a, const char *name, size_t len,
                               size_t *pos);
struct auth_role *authFindRole(struct auth *a, const char *name, size_t len,
                               size_t *pos);

#endif /* ETCFS_AUTH_INTERNAL_H */
