/* The mount under etcd authentication (--mount-user): who the mount acts
 * as and what that user may see and change.
 *   - Start: the user's password (the first line of --mount-password-file)
 *     is checked once, against its bcrypt hash in the replicated auth
 *     state, on the libuv pool once the member serves; without a password
 *     file the user is the common name of --cert-file. A later password
 *     change or user delete does not unmount (etcd's tokens live on until
 *     their TTL too): the permission checks below deny a deleted user.
 *   - Syscalls: each handler asks here before it reads or changes a key
 *     (authCheck, in memory under the auth state's lock: cheap). A denied
 *     read or write is EACCES; readdir leaves out what the user may not
 *     read (a file by its key, a directory when no key under it is
 *     readable); a name outside the user's keys is EACCES whether or not
 *     it exists.
 *   - Commands carry the user (mountAuthStamp), so the FSM refuses at
 *     apply what a check here missed (close() then fails with EACCES).
 * With no --mount-user the mount is root: nothing here refuses anything.
 * FUSE threads for the checks; loop thread for mountVerify's callback and
 * mountAuthStamp; mountUserCheck before the loop runs. */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../src/lib/log.h"
#include "../src/lib/tls.h"
#include "mount_internal.h"

/* ---- credentials ---- */

/* The first line of path (without its line end) into pw (size bytes, NUL
 * terminated). 0 or ETCFS_INVALID with errmsg. */
static int readPassword(const char *path, char *pw, size_t size, size_t *len,
                        bool *loose, char *errmsg)
{
    struct stat st;
    ssize_t n;
    size_t got = 0;
    char *nl;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        etcfsErrmsgf(errmsg, "--mount-password-file %s: %s", path,
                     strerror(errno));
        return ETCFS_INVALID;
    }
    *loose = fstat(fd, &st) == 0 && (st.st_mode & 077) != 0;
    while (got + 1 < size) {
        n = read(fd, pw + got, size - 1 - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
    }
    close(fd);
    pw[got] = '\0';
    nl = memchr(pw, '\n', got);
    if (nl == NULL && got + 1 >= size) {
        explicit_bzero(pw, size);
        etcfsErrmsgf(errmsg,
                     "--mount-password-file %s: the first line is longer "
                     "than %d bytes",
                     path, AUTHN_PASSWORD_MAX);
        return ETCFS_INVALID;
    }
    if (nl != NULL) {
        got = (size_t)(nl - pw);
    }
    if (got > 0 && pw[got - 1] == '\r') {
        got--;
    }
    explicit_bzero(pw + got, size - got);
    if (got == 0 || memchr(pw, '\0', got) != NULL) {
        etcfsErrmsgf(errmsg,
                     "--mount-password-file %s: no password on its first "
                     "line",
                     path);
        return ETCFS_INVALID;
    }
    *len = got;
    return 0;
}

int mountUserCheck(const struct config *cfg, char *errmsg)
{
    const char *user = cfg->mount_user;
    char pw[AUTHN_PASSWORD_MAX + 2];
    char cn[AUTHN_NAME_MAX + 1];
    char tlserr[TLS_ERRMSG_SIZE];
    size_t len;
    bool loose = false;
    int rv;
    if (user[0] == '\0') {
        if (cfg->mount_password_file[0] != '\0') {
            etcfsErrmsgf(errmsg,
                         "--mount-password-file needs --mount-user (the "
                         "user whose password it holds)");
            return ETCFS_INVALID;
        }
        return 0;
    }
    if (strlen(user) > AUTHN_NAME_MAX) {
        etcfsErrmsgf(errmsg, "--mount-user: a name of more than %d bytes",
                     AUTHN_NAME_MAX);
        return ETCFS_INVALID;
    }
    if (cfg->mount_password_file[0] != '\0') {
        rv = readPassword(cfg->mount_password_file, pw, sizeof pw, &len,
                          &loose, errmsg);
        explicit_bzero(pw, sizeof pw);
        if (rv == 0 && loose) {
            warnf("--mount-password-file %s can be read by other users "
                  "(chmod 600 it)",
                  cfg->mount_password_file);
        }
        return rv;
    }
    if (cfg->cert_file[0] == '\0') {
        etcfsErrmsgf(errmsg,
                     "--mount-user %s needs its password "
                     "(--mount-password-file) or a client certificate of "
                     "that common name (--cert-file)",
                     user);
        return ETCFS_INVALID;
    }
    if (tlsCertFileCn(cfg->cert_file, cn, sizeof cn, tlserr) != 0) {
        etcfsErrmsgf(errmsg, "--mount-user %s: --cert-file %s", user,
                     tlserr);
        return ETCFS_INVALID;
    }
    if (strcmp(cn, user) != 0) {
        etcfsErrmsgf(errmsg,
                     "--mount-user %s: the common name of --cert-file %s is "
                     "\"%s\", not the user (give --mount-password-file, or "
                     "a certificate issued to %s)",
                     user, cfg->cert_file, cn, user);
        return ETCFS_INVALID;
    }
    return 0;
}

/* Pool thread: only v's private fields and errmsg. */
static void verifyWorkCb(uv_work_t *w)
{
    struct mount_verify *v = w->data;
    const struct config *cfg = v->config;
    struct auth *a = storeAuth(v->store);
    char pw[AUTHN_PASSWORD_MAX + 2];
    char hash[AUTHN_HASH_SIZE];
    struct crypt_data *cd;
    const char *out;
    bool no_password = false;
    bool loose;
    size_t len;
    v->status = 0;
    if (cfg->mount_user[0] == '\0' || cfg->mount_password_file[0] == '\0') {
        return; /* root, or a certificate user (checked at start) */
    }
    if (authPasswordHash(a, cfg->mount_user, strlen(cfg->mount_user), hash,
                         sizeof hash, &no_password) != 0) {
        if (authEnabled(a)) {
            v->status = ETCFS_AUTH_FAILED;
            etcfsErrmsgf(v->errmsg, "--mount-user %s: no such user",
                         cfg->mount_user);
        } else {
            v->unverified = true;
        }
        return;
    }
    if (no_password || hash[0] == '\0') {
        v->status = ETCFS_AUTH_FAILED;
        etcfsErrmsgf(v->errmsg,
                     "--mount-user %s has no password (it authenticates by "
                     "client certificate): drop --mount-password-file",
                     cfg->mount_user);
        return;
    }
    v->status = readPassword(cfg->mount_password_file, pw, sizeof pw, &len,
                             &loose, v->errmsg);
    if (v->status != 0) {
        return;
    }
    cd = calloc(1, sizeof *cd);
    if (cd == NULL) {
        explicit_bzero(pw, sizeof pw);
        v->status = ETCFS_NOMEM;
        etcfsErrmsgf(v->errmsg, "--mount-user: out of memory");
        return;
    }
    out = crypt_rn(pw, hash, cd, sizeof *cd);
    v->status = ETCFS_AUTH_FAILED;
    if (out != NULL && out[0] != '*' && strlen(out) == strlen(hash)) {
        /* every byte compared: no early exit on the first difference */
        unsigned char diff = 0;
        size_t i;
        for (i = 0; out[i] != '\0'; i++) {
            diff |= (unsigned char)(out[i] ^ hash[i]);
        }
        v->status = diff == 0 ? 0 : ETCFS_AUTH_FAILED;
    }
    if (v->status != 0) {
        etcfsErrmsgf(v->errmsg,
                     "--mount-user %s: wrong password in "
                     "--mount-password-file %s",
                     cfg->mount_user, cfg->mount_password_file);
    }
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    explicit_bzero(pw, sizeof pw);
}

static void verifyAfterWorkCb(uv_work_t *w, int uvstatus)
{
    struct mount_verify *v = w->data;
    const char *user = v->config->mount_user;
    int status = v->status;
    if (uvstatus != 0) {
        status = ETCFS_CANCELED;
        etcfsErrmsgf(v->errmsg, "--mount-user: password check canceled");
    }
    if (status == 0 && user[0] != '\0') {
        if (v->unverified) {
            warnf("mount: user %s does not exist (auth is off): its "
                  "password is not checked; its permissions apply once it "
                  "exists and auth is enabled",
                  user);
        } else {
            infof("mount: acting as user %s (%s)", user,
                  v->config->mount_password_file[0] != '\0'
                      ? "password checked"
                      : "the certificate's common name");
        }
    }
    v->cb(v, status);
}

int mountVerify(uv_loop_t *loop, struct store *store,
                const struct config *cfg, struct mount_verify *v)
{
    v->config = cfg;
    v->store = store;
    v->status = 0;
    v->unverified = false;
    v->errmsg[0] = '\0';
    v->work.data = v;
    if (uv_queue_work(loop, &v->work, verifyWorkCb, verifyAfterWorkCb) != 0) {
        return ETCFS_IO;
    }
    return 0;
}

/* ---- permission checks ---- */

static bool isRoot(const struct mount *m)
{
    return m->who.len == 0;
}

/* [key, range_end) of type for the user: 0 or EACCES. any: at least one
 * key of it. */
static int check(struct mount *m, const char *key, size_t key_len,
                 const char *end, size_t end_len, int type, bool any)
{
    struct auth *a = storeAuth(m->deps.store);
    int rv;
    int tries = 0;
    if (any) {
        rv = authCheckAny(a, m->who.name, m->who.len, key, key_len, end,
                          end_len, type);
    } else {
        do {
            /* the state's current revision: a change applied between the
             * two reads makes it old, then ask again */
            rv = authCheck(a, m->who.name, m->who.len, authRevision(a), key,
                           key_len, end, end_len, type);
        } while (rv == ETCFS_AUTH_OLD_REVISION && ++tries < 3);
    }
    return rv == 0 ? 0 : EACCES;
}

/* Every key under the directory prefix of rel. */
static int checkDir(struct mount *m, const char *rel, size_t len, int type,
                    bool any)
{
    char key[MOUNT_KEY_MAX];
    char end[MOUNT_KEY_MAX];
    size_t elen;
    int n = mountKey(m, rel, len, true, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    elen = mountPrefixEnd(key, (size_t)n, end);
    if (elen == 0) {
        end[0] = '\0'; /* no end: every key from key */
        elen = 1;
    }
    return check(m, key, (size_t)n, end, elen, type, any);
}

static int checkKey(struct mount *m, const char *rel, size_t len, bool dir,
                    int type)
{
    char key[MOUNT_KEY_MAX];
    int n = mountKey(m, rel, len, dir, key, sizeof key);
    if (n < 0) {
        return ENAMETOOLONG;
    }
    return check(m, key, (size_t)n, NULL, 0, type, false);
}

int mountMayRead(struct mount *m, const char *rel, size_t len, bool dir)
{
    if (isRoot(m) || (dir && len == 0)) {
        return 0;
    }
    return dir ? checkDir(m, rel, len, AUTH_READ, true)
               : checkKey(m, rel, len, false, AUTH_READ);
}

int mountMayReadTarget(struct mount *m, const char *rel, size_t len,
                       const struct fs_target *t)
{
    if (isRoot(m) || (t->kind == FS_FILE && !t->have_kv)) {
        return 0; /* root, or this mount's own create, not committed yet */
    }
    return mountMayRead(m, rel, len, t->kind == FS_DIR);
}

int mountMayWrite(struct mount *m, const char *rel, size_t len, bool dir)
{
    if (isRoot(m)) {
        return 0;
    }
    return checkKey(m, rel, len, dir, AUTH_WRITE);
}

int mountMayMove(struct mount *m, const char *from, size_t flen,
                 const char *to, size_t tlen, bool dir)
{
    int rv;
    if (isRoot(m)) {
        return 0;
    }
    if (dir) {
        /* the txn reads every key under the source and puts it again */
        rv = checkDir(m, from, flen, AUTH_READ, false);
        if (rv == 0) {
            rv = checkDir(m, from, flen, AUTH_WRITE, false);
        }
        return rv == 0 ? checkDir(m, to, tlen, AUTH_WRITE, false) : rv;
    }
    rv = checkKey(m, from, flen, false, AUTH_READ);
    if (rv == 0) {
        rv = checkKey(m, from, flen, false, AUTH_WRITE);
    }
    return rv == 0 ? checkKey(m, to, tlen, false, AUTH_WRITE) : rv;
}

int mountMissing(struct mount *m, const char *rel, size_t len, bool shadowed)
{
    if (isRoot(m) || checkKey(m, rel, len, false, AUTH_READ) == 0 ||
        checkKey(m, rel, len, false, AUTH_WRITE) == 0) {
        return ENOENT;
    }
    if (!shadowed && (checkDir(m, rel, len, AUTH_READ, true) == 0 ||
                      checkDir(m, rel, len, AUTH_WRITE, true) == 0)) {
        return ENOENT; /* a mkdir may follow */
    }
    return EACCES;
}

bool mountMayList(struct mount *m, const char *key, size_t len, bool dir)
{
    char end[MOUNT_KEY_MAX];
    size_t elen;
    if (isRoot(m)) {
        return true;
    }
    if (!dir) {
        return check(m, key, len, NULL, 0, AUTH_READ, false) == 0;
    }
    if (len > sizeof end) {
        return false;
    }
    elen = mountPrefixEnd(key, len, end);
    if (elen == 0) {
        end[0] = '\0';
        elen = 1;
    }
    return check(m, key, len, end, elen, AUTH_READ, true) == 0;
}

void mountAuthStamp(struct mount *m, struct command *cmd)
{
    if (!isRoot(m)) {
        authnStamp(&m->who, cmd);
    }
}
