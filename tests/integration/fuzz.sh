#!/bin/bash
# Bad input cannot crash a member (issue 13): every libFuzzer harness of
# tests/fuzz/ (HTTP requests and JSON bodies, gRPC conversations, Raft
# commands and results,
# commands applied to a store, snapshots, key/path escaping, TLS records)
# runs for ${ETCFS_FUZZ_SECONDS:-60} s of wall time, all nine at once by
# default (ETCFS_FUZZ_JOBS; on CI's two cores each gets a fifth of a core:
# the suite's time budget), from the checked-in seeds; each passes when no input
# crashed it or broke one of its assertions.
# Longer runs: scripts/fuzz run SECONDS (README, "Fuzzing").
source "$(dirname "$0")/../lib.sh"

secs=${ETCFS_FUZZ_SECONDS:-60}
fuzz=$T_TOP/scripts/fuzz

out=$(bash "$fuzz" build 2>&1); rc=$?
check "the harnesses build with clang and libFuzzer" test $rc = 0
if [ $rc != 0 ]; then
    printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /'
    finish
    exit
fi

out=$(ETCFS_FUZZ_JOBS=${ETCFS_FUZZ_JOBS:-9} bash "$fuzz" run "$secs" 2>&1)
printf '%s\n' "$out" | sed 's/^\([^#]\)/# \1/'
for name in $(bash "$fuzz" list); do
    line=$(printf '%s\n' "$out" | grep "^fuzz_$name: ")
    expect_match "fuzz_$name: no crash in $secs s" \
        "^fuzz_$name: [1-9][0-9]* runs, 0 crashes\$" "$line"
done
finish
