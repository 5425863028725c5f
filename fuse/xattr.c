/* Extended attributes: user.etcfs.create_revision, mod_revision and
 * version (read-only), lease (hex id; set attaches, remove detaches) and
 * ttl (seconds left; set grants a lease of that TTL and attaches it).
 * Every other name is ENODATA to read and ENOTSUP to write. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/core/error.h"
#include "mount_internal.h"

#define FS__XATTR_PREFIX "user.etcfs."

static const char *const fsXattrs[] = {
    FS__XATTR_PREFIX "create_revision", FS__XATTR_PREFIX "mod_revision",
    FS__XATTR_PREFIX "version", FS__XATTR_PREFIX "lease",
    FS__XATTR_PREFIX "ttl"};

static void replyXattr(fuse_req_t req, size_t size, const char *v,
                       size_t len)
{
    if (size == 0) {
        fuse_reply_xattr(req, len);
    } else if (size < len) {
        fuse_reply_err(req, ERANGE);
    } else {
        fuse_reply_buf(req, v, len);
    }
}

/* The file's current kv (values not needed), when the mount's user may
 * read it (writing: and write it). 0 or an errno. */
static int xattrTarget(struct mount *m, fuse_req_t req, fuse_ino_t ino,
                       bool writing, struct fs_target *t, char *rel,
                       size_t *len)
{
    bool dir;
    int rv = fsRelOf(m, ino, rel, len, &dir);
    if (rv != 0) {
        return rv;
    }
    if (dir) {
        return ENODATA;
    }
    if (!mountIsReplay(m, req)) {
        rv = writing ? mountMayWrite(m, rel, *len, false)
                     : mountMayRead(m, rel, *len, false);
        if (rv != 0) {
            return rv;
        }
    }
    rv = fsResolve(m, rel, *len, true, t);
    if (rv == 0 && !t->have_kv) {
        bool pending = t->pending; /* a new file not committed yet */
        fsTargetClear(t);
        rv = pending ? ENODATA : ENOENT;
    }
    return rv;
}

void fsGetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                size_t size)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    char v[64];
    int rv;
    if (strncmp(name, FS__XATTR_PREFIX, strlen(FS__XATTR_PREFIX)) != 0) {
        fuse_reply_err(req, ENODATA);
        return;
    }
    if (!mountIsReplay(m, req)) {
        (void)mountOpReadGate(m); /* revisions and leases are reads too */
    }
    rv = xattrTarget(m, req, ino, false, &t, rel, &len);
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    name += strlen(FS__XATTR_PREFIX);
    if (strcmp(name, "create_revision") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.create_revision);
    } else if (strcmp(name, "mod_revision") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.mod_revision);
    } else if (strcmp(name, "version") == 0) {
        snprintf(v, sizeof v, "%" PRId64, t.kv.version);
    } else if (strcmp(name, "lease") == 0 && t.kv.lease != 0) {
        snprintf(v, sizeof v, "%" PRIx64, (uint64_t)t.kv.lease);
    } else if (strcmp(name, "ttl") == 0 && t.kv.lease != 0) {
        struct mount_result res;
        memset(&res, 0, sizeof res);
        rv = mountOpLeaseTtl(m, t.kv.lease, &res);
        if (rv != 0) {
            fsTargetClear(&t);
            fuse_reply_err(req, rv == ETCFS_LEASE_NOTFOUND ? ENODATA
                                                          : etcfsErrno(rv));
            return;
        }
        snprintf(v, sizeof v, "%" PRId64, res.ttl < 0 ? 0 : res.ttl);
    } else {
        fsTargetClear(&t);
        fuse_reply_err(req, ENODATA);
        return;
    }
    fsTargetClear(&t);
    replyXattr(req, size, v, strlen(v));
}

void fsListxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    char list[256];
    size_t used = 0;
    unsigned i;
    int rv;
    if (!mountIsReplay(m, req)) {
        (void)mountOpReadGate(m);
    }
    rv = xattrTarget(m, req, ino, false, &t, rel, &len);
    if (rv == ENODATA) {
        replyXattr(req, size, "", 0);
        return;
    }
    if (rv != 0) {
        fuse_reply_err(req, rv);
        return;
    }
    for (i = 0; i < sizeof fsXattrs / sizeof fsXattrs[0]; i++) {
        if (i >= 3 && t.kv.lease == 0) {
            break; /* lease and ttl only while a lease is attached */
        }
        memcpy(list + used, fsXattrs[i], strlen(fsXattrs[i]) + 1);
        used += strlen(fsXattrs[i]) + 1;
    }
    fsTargetClear(&t);
    replyXattr(req, size, list, used);
}

/* Re-puts the key's current value with a new lease (0 detaches). */
static int setLease(struct mount *m, const char *rel, size_t len,
                    struct fs_target *t, int64_t lease)
{
    struct store_attr attr = t->kv.attr;
    attr.ctime_ns = mountNowNs();
    /* an unknown lease is ENOENT, no leader EROFS (fsErrno) */
    return fsProposePut(m, rel, len, false,
                        t->kv.value != NULL ? t->kv.value : "",
                        t->kv.value_len, lease, &attr);
}

void fsSetxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
                const char *value, size_t size, int flags)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    char v[64];
    char *end;
    size_t len;
    struct fs_target t;
    int rv;
    (void)flags;
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0);
        return;
    }
    if (strncmp(name, FS__XATTR_PREFIX, strlen(FS__XATTR_PREFIX)) != 0) {
        fuse_reply_err(req, ENOTSUP);
        return;
    }
    name += strlen(FS__XATTR_PREFIX);
    if (strcmp(name, "lease") != 0 && strcmp(name, "ttl") != 0) {
        fuse_reply_err(req, EPERM); /* revisions are read-only */
        return;
    }
    if (size == 0 || size >= sizeof v) {
        fuse_reply_err(req, EINVAL);
        return;
    }
    memcpy(v, value, size);
    v[size] = '\0';
    if (v[size - 1] == '\n') {
        v[size - 1] = '\0';
    }
    if (!fsCanWrite(m, req)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rv = xattrTarget(m, req, ino, true, &t, rel, &len);
    if (rv != 0) {
        fuse_reply_err(req, rv == ENODATA ? EINVAL : rv);
        return;
    }
    errno = 0;
    if (strcmp(name, "lease") == 0) {
        unsigned long long id = strtoull(v, &end, 16);
        if (errno != 0 || *end != '\0' || v[0] == '\0' || v[0] == '-' ||
            id == 0 || id > INT64_MAX) {
            rv = EINVAL;
        } else {
            rv = setLease(m, rel, len, &t, (int64_t)id);
        }
    } else {
        long long ttl = strtoll(v, &end, 10);
        struct mount_result res;
        if (errno != 0 || *end != '\0' || v[0] == '\0' || ttl <= 0 ||
            ttl > 9000000000LL) {
            rv = EINVAL;
        } else {
            memset(&res, 0, sizeof res);
            rv = mountOpLeaseGrant(m, ttl, &res);
            rv = rv == 0 ? setLease(m, rel, len, &t, res.lease_id)
                         : fsErrno(rv);
        }
    }
    fsTargetClear(&t);
    fuse_reply_err(req, rv);
}

void fsRemovexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    struct mount *m = fsMount(req);
    char rel[MOUNT_REL_MAX];
    size_t len;
    struct fs_target t;
    int rv;
    if (mountIsReplay(m, req)) {
        fuse_reply_err(req, 0);
        return;
    }
    if (strcmp(name, FS__XATTR_PREFIX "lease") != 0 &&
        strcmp(name, FS__XATTR_PREFIX "ttl") != 0) {
        fuse_reply_err(req, strncmp(name, FS__XATTR_PREFIX,
                                    strlen(FS__XATTR_PREFIX)) == 0
                                ? EPERM
                                : ENODATA);
        return;
    }
    memset(&t, 0, sizeof t);
    rv = xattrTarget(m, req, ino, true, &t, rel, &len);
    if (rv == 0) {
        rv = t.kv.lease == 0 ? ENODATA : setLease(m, rel, len, &t, 0);
        fsTargetClear(&t);
    }
    fuse_reply_err(req, rv);
}

