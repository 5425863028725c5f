/* libFuzzer harness for raft/command.c: any bytes through commandDecode
 * (a log entry, a follower's forwarded proposal) and commandResultDecode
 * (the leader's answer to it). Decoding may fail, never crash; what
 * decodes must encode again, that encoding must decode to the same
 * command, and encoding twice gives the same bytes (our invariants:
 * asserted). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../raft/command.h"
#include "fuzz_equal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void resultRoundTrip(const struct command_result *res)
{
    struct command_result *again = NULL;
    void *b1;
    void *b2;
    size_t l1;
    size_t l2;
    int rv = commandResultEncode(res, &b1, &l1);
    assert(rv == 0);
    rv = commandResultDecode(b1, l1, &again);
    assert(rv == 0);
    rv = commandResultEncode(again, &b2, &l2);
    assert(rv == 0);
    assert(l1 == l2 && memcmp(b1, b2, l1) == 0);
    commandResultFree(again);
    free(b1);
    free(b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct command_decoded dec;
    struct command_result *res = NULL;

    if (commandDecode(data, size, &dec) == 0) {
        int rv = fuzzCommandRoundTrip(&dec.cmd);
        assert(rv == 0); /* a decoded command always encodes */
        commandDecodedClear(&dec);
    }
    if (commandResultDecode(data, size, &res) == 0) {
        resultRoundTrip(res);
        commandResultFree(res);
    }
    return 0;
}
