#!/bin/bash
# mkcerts.sh DIR: the test PKI, made by scripts/mkcerts: two CAs (ca,
# other), and signed by ca: server.{crt,key} (CN member; 127.0.0.1,
# localhost; server and client use, for members), client-<cn>.{crt,key}
# for CN root, alice and bob; and signed by other: intruder.{crt,key} (the
# member's names, the wrong CA). Does nothing when DIR holds ca.crt.
set -euo pipefail
mk=$(cd "$(dirname "$0")/../.." && pwd)/scripts/mkcerts
d=$1
[ -f "$d/ca.crt" ] && exit 0
bash "$mk" --days 30 "$d" root alice bob >/dev/null
o=$(mktemp -d)
bash "$mk" --days 30 --member intruder "$o" root >/dev/null
mv "$o/ca.crt" "$d/other.crt"
mv "$o/ca.key" "$d/other.key"
mv "$o/intruder.crt" "$o/intruder.key" "$d/"
rm -rf "$o"
