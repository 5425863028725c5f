/* Handlers not written yet: each answers UNIMPLEMENTED. A handler file
 * that implements a method removes its stub here (none is left: every
 * method of etcd 3.4's services is served). Loop thread only. */
#include "grpc_internal.h"

#define STUB(name)                                                         \
    void name(struct grpc_call *c, const uint8_t *m, size_t n)             \
    {                                                                      \
        (void)m;                                                           \
        (void)n;                                                           \
        grpcFailStatus(c, GRPC_STATUS_UNIMPLEMENTED, "unknown method");    \
    }
#define STUB_END(name)                                                     \
    void name(struct grpc_call *c)                                         \
    {                                                                      \
        grpcFinish(c);                                                     \
    }
