/* The one list of etcfs error codes. Each row: code, message (etcd's text
 * where etcd has one, since clients match on it), errno (for fuse/), HTTP
 * status and gRPC code (for the API). Every table is generated from
 * ETCFS_ERRORS, so they cannot drift. Pure: no I/O. */
#ifndef ETCFS_ERROR_H
#define ETCFS_ERROR_H

#include <errno.h>
#include <stddef.h>

#define ETCFS_ERRMSG_SIZE 256

/* gRPC status codes (the API reports them as "code"). */
#define GRPC_CANCELED 1
#define GRPC_UNKNOWN 2
#define GRPC_INVALID_ARGUMENT 3
#define GRPC_DEADLINE_EXCEEDED 4
#define GRPC_NOT_FOUND 5
#define GRPC_ALREADY_EXISTS 6
#define GRPC_PERMISSION_DENIED 7
#define GRPC_RESOURCE_EXHAUSTED 8
#define GRPC_FAILED_PRECONDITION 9
#define GRPC_ABORTED 10
#define GRPC_OUT_OF_RANGE 11
#define GRPC_UNIMPLEMENTED 12
#define GRPC_INTERNAL 13
#define GRPC_UNAVAILABLE 14
#define GRPC_DATA_LOSS 15
#define GRPC_UNAUTHENTICATED 16

/* X(code, message, errno, http status, grpc code) */
#define ETCFS_ERRORS(X)                                                        \
    X(ETCFS_NOMEM, "out of memory", ENOMEM, 500, GRPC_RESOURCE_EXHAUSTED)      \
    X(ETCFS_INVALID, "invalid argument", EINVAL, 400, GRPC_INVALID_ARGUMENT)   \
    X(ETCFS_BADJSON, "malformed request", EINVAL, 400, GRPC_INVALID_ARGUMENT)  \
    X(ETCFS_IO, "I/O error", EIO, 500, GRPC_INTERNAL)                          \
    X(ETCFS_NOSPACE, "etcdserver: mvcc: database space exceeded", ENOSPC, 500, \
      GRPC_RESOURCE_EXHAUSTED)                                                 \
    X(ETCFS_CORRUPT, "etcdserver: corrupt cluster", EIO, 500, GRPC_DATA_LOSS)  \
    X(ETCFS_NOTFOUND, "not found", ENOENT, 404, GRPC_NOT_FOUND)                \
    X(ETCFS_EXISTS, "already exists", EEXIST, 409, GRPC_ALREADY_EXISTS)        \
    X(ETCFS_COMPACTED, "etcdserver: mvcc: required revision has been compacted", \
      EINVAL, 400, GRPC_OUT_OF_RANGE)                                          \
    X(ETCFS_FUTURE_REV,                                                        \
      "etcdserver: mvcc: required revision is a future revision", EINVAL, 400, \
      GRPC_OUT_OF_RANGE)                                                       \
    X(ETCFS_KEY_EMPTY, "etcdserver: key is not provided", EINVAL, 400,         \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_KEY_TOO_LONG, "etcdserver: key is too long", ENAMETOOLONG, 400,   \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_TOO_LARGE, "etcdserver: request is too large", EFBIG, 400,         \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_TOO_MANY_OPS, "etcdserver: too many operations in txn request",    \
      EINVAL, 400, GRPC_INVALID_ARGUMENT)                                      \
    X(ETCFS_DUPLICATE_KEY, "etcdserver: duplicate key given in txn request",   \
      EINVAL, 400, GRPC_INVALID_ARGUMENT)                                      \
    X(ETCFS_VALUE_PROVIDED, "etcdserver: value is provided", EINVAL, 400,      \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_LEASE_PROVIDED, "etcdserver: lease is provided", EINVAL, 400,      \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_LEASE_NOTFOUND, "etcdserver: requested lease not found", ENOENT,   \
      404, GRPC_NOT_FOUND)                                                     \
    X(ETCFS_LEASE_EXISTS, "etcdserver: lease already exists", EEXIST, 400,     \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_LEASE_TTL_TOO_LARGE, "etcdserver: too large lease TTL", EINVAL,    \
      400, GRPC_OUT_OF_RANGE)                                                  \
    X(ETCFS_NOLEADER, "etcdserver: no leader", EROFS, 503, GRPC_UNAVAILABLE)   \
    X(ETCFS_NOTLEADER, "etcdserver: not leader", EROFS, 503, GRPC_UNAVAILABLE) \
    X(ETCFS_LEADER_CHANGED, "etcdserver: leader changed", EIO, 503,            \
      GRPC_UNAVAILABLE)                                                        \
    X(ETCFS_TIMEOUT, "etcdserver: request timed out", ETIMEDOUT, 503,          \
      GRPC_UNAVAILABLE)                                                        \
    X(ETCFS_CANCELED, "etcdserver: request cancelled", ECANCELED, 503,         \
      GRPC_CANCELED)                                                           \
    X(ETCFS_BUSY, "etcdserver: too many requests", EBUSY, 429,                 \
      GRPC_RESOURCE_EXHAUSTED)                                                 \
    X(ETCFS_SHUTDOWN, "etcdserver: server stopped", ESHUTDOWN, 503,           \
      GRPC_UNAVAILABLE)                                                        \
    X(ETCFS_MEMBER_NOTFOUND, "etcdserver: member not found", ENOENT, 404,      \
      GRPC_NOT_FOUND)                                                          \
    X(ETCFS_MEMBER_EXISTS, "etcdserver: member ID already exist", EEXIST, 400, \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_PEERURL_EXISTS, "etcdserver: Peer URLs already exists", EEXIST,    \
      400, GRPC_FAILED_PRECONDITION)                                           \
    X(ETCFS_MEMBER_NOT_LEARNER,                                                \
      "etcdserver: can only promote a learner member", EINVAL, 400,            \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_LEARNER_NOT_READY,                                                 \
      "etcdserver: can only promote a learner member which is in sync with "   \
      "leader",                                                                \
      EAGAIN, 400, GRPC_FAILED_PRECONDITION)                                   \
    X(ETCFS_UNHEALTHY, "etcdserver: unhealthy cluster", EIO, 503,              \
      GRPC_UNAVAILABLE)                                                        \
    X(ETCFS_CANTCHANGE,                                                        \
      "etcdserver: a membership change is already in progress", EBUSY, 503,    \
      GRPC_UNAVAILABLE)                                                        \
    X(ETCFS_MEMBER_IS_LEADER,                                                  \
      "etcdserver: cannot change the leader's peer URLs; move the leader "    \
      "first",                                                                 \
      EBUSY, 400, GRPC_FAILED_PRECONDITION)                                    \
    X(ETCFS_KEY_NOTFOUND, "etcdserver: key not found", ENOENT, 400,           \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_NOT_IMPLEMENTED, "not implemented", ENOSYS, 501,                   \
      GRPC_UNIMPLEMENTED)                                                      \
    X(ETCFS_BAD_PATH, "Not Found", ENOENT, 404, GRPC_UNIMPLEMENTED)            \
    X(ETCFS_PROTO, "protocol error", EPROTO, 502, GRPC_INTERNAL)               \
    X(ETCFS_USER_EMPTY, "etcdserver: user name is empty", EACCES, 400,         \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_PERMISSION_DENIED, "etcdserver: permission denied", EACCES, 403,   \
      GRPC_PERMISSION_DENIED)                                                  \
    X(ETCFS_INVALID_TOKEN, "etcdserver: invalid auth token", EACCES, 401,      \
      GRPC_UNAUTHENTICATED)                                                    \
    X(ETCFS_AUTH_FAILED,                                                       \
      "etcdserver: authentication failed, invalid user ID or password",        \
      EACCES, 400, GRPC_INVALID_ARGUMENT)                                      \
    X(ETCFS_ROOT_USER_NOT_EXIST, "etcdserver: root user does not exist",       \
      EINVAL, 400, GRPC_FAILED_PRECONDITION)                                   \
    X(ETCFS_ROOT_ROLE_NOT_EXIST, "etcdserver: root user does not have root "   \
      "role", EINVAL, 400, GRPC_FAILED_PRECONDITION)                           \
    X(ETCFS_USER_EXISTS, "etcdserver: user name already exists", EEXIST, 400,  \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_USER_NOTFOUND, "etcdserver: user name not found", ENOENT, 400,     \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_ROLE_EXISTS, "etcdserver: role name already exists", EEXIST, 400,  \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_ROLE_NOTFOUND, "etcdserver: role name not found", ENOENT, 400,     \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_ROLE_EMPTY, "etcdserver: role name is empty", EINVAL, 400,         \
      GRPC_INVALID_ARGUMENT)                                                   \
    X(ETCFS_ROLE_NOT_GRANTED, "etcdserver: role is not granted to the user",   \
      EINVAL, 400, GRPC_FAILED_PRECONDITION)                                   \
    X(ETCFS_PERMISSION_NOT_GRANTED, "etcdserver: permission is not granted "   \
      "to the role", EINVAL, 400, GRPC_FAILED_PRECONDITION)                    \
    X(ETCFS_AUTH_NOT_ENABLED, "etcdserver: authentication is not enabled",     \
      EINVAL, 400, GRPC_FAILED_PRECONDITION)                                   \
    X(ETCFS_INVALID_AUTH_MGMT, "etcdserver: invalid auth management", EPERM,   \
      400, GRPC_INVALID_ARGUMENT)                                              \
    X(ETCFS_AUTH_OLD_REVISION, "etcdserver: revision of auth store is old",    \
      EAGAIN, 400, GRPC_INVALID_ARGUMENT)                                      \
    X(ETCFS_BAD_TRANSFEREE, "etcdserver: bad leader transferee", EINVAL, 400,  \
      GRPC_FAILED_PRECONDITION)                                                \
    X(ETCFS_TOO_MANY_LEARNERS,                                                 \
      "etcdserver: too many learner members in cluster", EBUSY, 400,           \
      GRPC_FAILED_PRECONDITION)

enum {
    ETCFS_OK = 0,
#define ETCFS__ENUM(code, msg, eno, http, grpc) code,
    ETCFS__FIRST_ = 1000,
    ETCFS_ERRORS(ETCFS__ENUM)
#undef ETCFS__ENUM
    ETCFS__LAST_
};

/* Static text of a code ("unknown error" for anything else). */
const char *etcfsStrerror(int code);
/* errno for fuse/ (EIO for unknown codes). */
int etcfsErrno(int code);
/* HTTP status and gRPC code for the API (500/13 for unknown codes). */
int etcfsHttpStatus(int code);
int etcfsGrpcCode(int code);
/* The error as Go's status.Error prints it: "rpc error: code =
 * PermissionDenied desc = etcdserver: permission denied" (etcd's watch
 * cancel reasons). Into buf of size bytes; returns buf. */
const char *etcfsGrpcStatusText(int code, char *buf, size_t size);

/* errmsg helpers: format into an ETCFS_ERRMSG_SIZE buffer; Wrapf prefixes
 * the existing text with "what: ". NULL errmsg is allowed and ignored. */
void etcfsErrmsgf(char *errmsg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void etcfsErrmsgWrapf(char *errmsg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* ETCFS_ERROR_H */
