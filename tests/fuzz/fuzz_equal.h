/* Deep equality of decoded Raft commands for the fuzz harnesses
 * (fuzz_command.c, fuzz_codec.c, fuzz_http.c): the same fields, byte
 * strings equal and NULL where the other is NULL, txns compared level by
 * level. Pure; test code only. */
#ifndef ETCFS_FUZZ_EQUAL_H
#define ETCFS_FUZZ_EQUAL_H

#include <stdbool.h>

#include "../../raft/command.h"

/* True when a and b (borrowed) say the same thing field for field. */
bool fuzzCommandEqual(const struct command *a, const struct command *b);

/* cmd (borrowed) through commandEncode, commandDecode and commandEncode
 * again: asserts the second command equals cmd and both encodings are
 * the same bytes. Returns commandEncode's code (0, or ETCFS_INVALID /
 * ETCFS_NOMEM, after which nothing was checked). */
int fuzzCommandRoundTrip(const struct command *cmd);

#endif /* ETCFS_FUZZ_EQUAL_H */
