/* libFuzzer harness for the client API's request path in bytes: http.c
 * and http_parse.c (http-parser with the server's settings, pipelining,
 * body limits), api.c (routes, JSON bodies), every handler's decoding
 * (codec.c, the watch and keep-alive streams) and the leader's side of
 * forwarding (/etcfs/v1/ on the peer port: forward_proto.c,
 * raft/command.c). The input is one connection: two bytes of settings,
 * then what the client sends, fed in chunks with loop turns (fake_api.c)
 * between them, then the client hangs up.
 *   byte 0: bit 0 the peer port, bits 1-5 fake_api.h's FAKE_* mode,
 *           bit 6 loop turns only after the hang-up (requests orphaned)
 *   byte 1: bytes per read, 0 = all at once
 * Our invariants (asserted): whatever the API writes parses as HTTP
 * responses, every command it proposes encodes and decodes equal, and
 * once the connection is closed and the loop idle, no connection,
 * request or watcher is left. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/api/api.h"
#include "../../src/api/api_internal.h"
#include "../../src/core/config.h"
#include "../../src/core/error.h"
#include "../../src/core/metrics.h"
#include "../../src/lib/log.h"
#include "../../src/lib/stream.h"
#include "fake_api.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ__PEER 1u
#define FUZZ__LATE 64u

static uv_loop_t fuzzLoop;
static struct config fuzzConfig;
static struct metrics fuzzMetrics;
static struct api *fuzzApi;
/* opaque stand-ins: fake_api.c never looks behind these pointers */
static char fuzzStore, fuzzNode, fuzzHub, fuzzServer;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct api_deps deps;
    char errmsg[ETCFS_ERRMSG_SIZE] = "";
    (void)argc;
    (void)argv;
    logSetup("fuzz_http", "error");
    if (uv_loop_init(&fuzzLoop) != 0) {
        fprintf(stderr, "fuzz_http: uv_loop_init failed\n");
        exit(1);
    }
    fuzzConfig.max_request_bytes = 1572864; /* etcd's default */
    fuzzConfig.enable_v2 = true;
    snprintf(fuzzConfig.v2_prefix, sizeof fuzzConfig.v2_prefix, "/v2");
    memset(&deps, 0, sizeof deps);
    deps.loop = &fuzzLoop;
    deps.store = (struct store *)&fuzzStore;
    deps.node = (struct node *)&fuzzNode;
    deps.hub = (struct watch_hub *)&fuzzHub;
    deps.metrics = &fuzzMetrics;
    deps.config = &fuzzConfig;
    deps.server = (struct server *)&fuzzServer;
    if (apiInit(&fuzzApi, &deps, errmsg) != 0) { /* no listener */
        fprintf(stderr, "fuzz_http: apiInit: %s\n", errmsg);
        exit(1);
    }
    return 0;
}

static void runLoop(void)
{
    unsigned turns = 0;
    bool more;
    do {
        more = fakeRun();
        /* the loop's own work: the v2 watch's end timer, handle closes */
        (void)uv_run(&fuzzLoop, UV_RUN_NOWAIT);
        more = fakeRun() || more;
        assert(++turns < 100000); /* callbacks end */
    } while (more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream *s;
    unsigned flags;
    size_t chunk;
    size_t off;
    if (size < 2) {
        return 0;
    }
    flags = data[0];
    chunk = data[1] == 0 ? size : data[1];
    data += 2;
    size -= 2;
    fakeSetMode((flags >> 1) & 31u);

    s = fakeStreamNew();
    if ((flags & FUZZ__PEER) != 0) {
        apiAdoptPeer(fuzzApi, s, NULL, 0);
    } else {
        apiAdoptClient(fuzzApi, s);
    }
    for (off = 0; off < size && !fakeStreamClosing(s);) {
        size_t n = size - off < chunk ? size - off : chunk;
        s->on_read(s, (const char *)data + off, n);
        off += n;
        assert(fakeStreamWellFormed(s));
        if ((flags & FUZZ__LATE) == 0) {
            runLoop();
            assert(fakeStreamClosing(s) || fakeStreamWellFormed(s));
        }
    }
    if (!fakeStreamClosing(s)) {
        assert(fakeStreamWellFormed(s));
        s->on_event(s, -1); /* the client hangs up */
    }
    runLoop();
    assert(fakeStreamClosed(s));
    fakeStreamFree(s);
    assert(fuzzApi->n_conns_open == 0);
    assert(fuzzApi->n_reqs == 0);
    assert(fakeWatchers() == 0);
    return 0;
}
