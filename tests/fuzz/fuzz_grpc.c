/* libFuzzer harness for the gRPC front end in bytes: grpc.c (nghttp2 on a
 * stream: framing, flow control, RST_STREAM, GOAWAY, gRPC's length
 * prefixes and size limit, the method table, the auth gate, the call life
 * cycle), grpc_codec.c and every handler's protobuf decoding
 * (grpc_kv.c ... grpc_auth.c, watch and keep-alive streams over
 * src/server/watch_stream.c and kv_check.c). The request path, node,
 * store and hub are fake_api.c's stand-ins. The input is one HTTP/2
 * connection after the client preface (which the HTTP/1.1 server has
 * already read when it hands a connection over: grpcAdopt gets it as the
 * bytes read so far), fed in chunks with loop turns between them, then
 * the client hangs up.
 *   byte 0: bits 0-4 fake_api.h's FAKE_* mode, bit 5 loop turns only
 *           after the hang-up (calls orphaned), bit 6 the preface is
 *           handed over with the first chunk instead of alone
 *   byte 1: bytes per read, 0 = all at once
 * Our invariants (asserted): what the server writes is a sequence of
 * well-formed HTTP/2 frames, and once the connection is closed and the
 * loop idle, no connection, call or watcher is left. Crashes and
 * sanitizer reports are libFuzzer's. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/core/config.h"
#include "../../src/core/error.h"
#include "../../src/core/metrics.h"
#include "../../src/grpc/grpc.h"
#include "../../src/lib/log.h"
#include "../../src/lib/stream.h"
#include "fake_api.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ__LATE 32u
#define FUZZ__JOINED 64u
#define FUZZ__PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define FUZZ__PREFACE_LEN 24

static uv_loop_t fuzzLoop;
static struct config fuzzConfig;
static struct metrics fuzzMetrics;
static struct grpc *fuzzGrpc;
/* opaque stand-ins: fake_api.c never looks behind these pointers */
static char fuzzStore, fuzzNode, fuzzHub, fuzzServer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct grpc_deps deps;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    (void)argc;
    (void)argv;
    logSetup("fuzz_grpc", "error");
    if (uv_loop_init(&fuzzLoop) != 0) {
        fprintf(stderr, "fuzz_grpc: uv_loop_init failed\n");
        exit(1);
    }
    /* a small limit, so the fuzzer meets RESOURCE_EXHAUSTED too */
    fuzzConfig.max_request_bytes = 4096;
    memset(&deps, 0, sizeof deps);
    deps.loop = &fuzzLoop;
    deps.store = (struct store *)&fuzzStore;
    deps.node = (struct node *)&fuzzNode;
    deps.hub = (struct watch_hub *)&fuzzHub;
    deps.metrics = &fuzzMetrics;
    deps.config = &fuzzConfig;
    deps.server = (struct server *)&fuzzServer;
    if (grpcInit(&fuzzGrpc, &deps, errmsg) != 0) {
        fprintf(stderr, "fuzz_grpc: grpcInit: %s\n", errmsg);
        exit(1);
    }
    return 0;
}

static void runLoop(void)
{
    unsigned turns = 0;
    while (fakeRun()) {
        assert(++turns < 100000); /* callbacks end */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream *s;
    unsigned flags;
    unsigned conns;
    unsigned calls;
    size_t chunk;
    size_t off = 0;
    if (size < 2) {
        return 0;
    }
    flags = data[0];
    chunk = data[1] == 0 ? size : data[1];
    data += 2;
    size -= 2;
    fakeSetMode(flags & 31u);

    s = fakeStreamNew();
    fakeStreamH2(s);
    if ((flags & FUZZ__JOINED) != 0) {
        /* the preface and the first chunk in one read */
        size_t n = size < chunk ? size : chunk;
        char *first = malloc(FUZZ__PREFACE_LEN + n + 1);
        assert(first != NULL);
        memcpy(first, FUZZ__PREFACE, FUZZ__PREFACE_LEN);
        memcpy(first + FUZZ__PREFACE_LEN, data, n);
        grpcAdopt(fuzzGrpc, s, first, FUZZ__PREFACE_LEN + n);
        free(first);
        off = n;
    } else {
        grpcAdopt(fuzzGrpc, s, FUZZ__PREFACE, FUZZ__PREFACE_LEN);
    }
    assert(fakeStreamWellFormed(s));
    if ((flags & FUZZ__LATE) == 0) {
        runLoop();
    }
    while (off < size && !fakeStreamClosing(s)) {
        size_t n = size - off < chunk ? size - off : chunk;
        s->on_read(s, (const char *)data + off, n);
        off += n;
        assert(fakeStreamWellFormed(s));
        if ((flags & FUZZ__LATE) == 0) {
            runLoop();
            assert(fakeStreamWellFormed(s));
        }
    }
    if (!fakeStreamClosing(s)) {
        s->on_event(s, -1); /* the client hangs up */
    }
    runLoop();
    assert(fakeStreamClosed(s));
    assert(fakeStreamWellFormed(s));
    fakeStreamFree(s);
    grpcCount(fuzzGrpc, &conns, &calls);
    assert(conns == 0);
    assert(calls == 0);
    assert(fakeWatchers() == 0);
    return 0;
}
