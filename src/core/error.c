/* Tables generated from ETCFS_ERRORS and the errmsg helpers. Pure. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct error_row
{
    int code;
    const char *msg;
    int eno;
    int http;
    int grpc;
};

static const struct error_row errorRows[] = {
#define ERROR__ROW(code, msg, eno, http, grpc) {code, msg, eno, http, grpc},
    ETCFS_ERRORS(ERROR__ROW)
#undef ERROR__ROW
};

static const struct error_row *errorFind(int code)
{
    if (code <= ETCFS__FIRST_ || code >= ETCFS__LAST_) {
        return NULL;
    }
    return &errorRows[code - ETCFS__FIRST_ - 1];
}

const char *etcfsStrerror(int code)
{
    const struct error_row *row = errorFind(code);
    if (code == 0) {
        return "success";
    }
    return row != NULL ? row->msg : "unknown error";
}

int etcfsErrno(int code)
{
    const struct error_row *row = errorFind(code);
    return row != NULL ? row->eno : EIO;
}

int etcfsHttpStatus(int code)
{
    const struct error_row *row = errorFind(code);
    return row != NULL ? row->http : 500;
}

int etcfsGrpcCode(int code)
{
    const struct error_row *row = errorFind(code);
    return row != NULL ? row->grpc : GRPC_INTERNAL;
}

const char *etcfsGrpcStatusText(int code, char *buf, size_t size)
{
    /* google.golang.org/grpc/codes, String() */
    static const char *const names[] = {
        "OK",
        "Canceled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    };
    int grpc = etcfsGrpcCode(code);
    const char *name = "Unknown";
    if (grpc >= 0 && (size_t)grpc < sizeof names / sizeof *names) {
        name = names[grpc];
    }
    snprintf(buf, size, "rpc error: code = %s desc = %s", name,
             etcfsStrerror(code));
    return buf;
}

void etcfsErrmsgf(char *errmsg, const char *fmt, ...)
{
    va_list ap;
    if (errmsg == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(errmsg, ETCFS_ERRMSG_SIZE, fmt, ap);
    va_end(ap);
}

void etcfsErrmsgWrapf(char *errmsg, const char *fmt, ...)
{
    char prefix[ETCFS_ERRMSG_SIZE];
    char old[ETCFS_ERRMSG_SIZE];
    va_list ap;
    if (errmsg == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    old[sizeof old - 1] = '\0';
    {
        char joined[2 * ETCFS_ERRMSG_SIZE + 2];
        snprintf(joined, sizeof joined, "%s: %s", prefix, old);
        memcpy(errmsg, joined, ETCFS_ERRMSG_SIZE - 1);
        errmsg[ETCFS_ERRMSG_SIZE - 1] = '\0';
    }
}
