/* Handlers not written yet: each answers UNIMPLEMENTED. A handler file
 * that implements a method removes its stub here. Loop thread only. */
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

/* grpc_kv.c */
STUB(grpcKvRange)
STUB(grpcKvPut)
STUB(grpcKvDeleteRange)
STUB(grpcKvTxn)
STUB(grpcKvCompact)
/* grpc_watch.c */
STUB(grpcWatchStart)
STUB(grpcWatchMessage)
STUB_END(grpcWatchHalfClose)
STUB_END(grpcWatchEnd)
/* grpc_maint.c */
STUB(grpcHash)
STUB(grpcHashKV)
