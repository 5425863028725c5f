#!/bin/bash
# Compares etcfsd with the reference etcd 3.4: compare.sh's case list run
# with etcfsctl, once against etcd and once against a fresh single-member
# etcfsd (compare.sh with SERVER=etcfsd; see there). $ETCFSD and $ETCFSCTL
# name the binaries (scripts/test sets both). Prints "N passed, M failed"
# last, the documented differences and skipped cases before it.
exec env SERVER=etcfsd bash "$(dirname "${BASH_SOURCE[0]}")/compare.sh" "$@"
