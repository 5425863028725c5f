#!/bin/bash
# Bad input on the gRPC port of one etcfsd member (issue 14): garbage
# bytes, a truncated or wrong HTTP/2 preface, an oversized frame, 100 KiB of
# headers, a valid HTTP/2 stream with invalid protobuf to
# /etcdserverpb.KV/Put, broken gRPC framing, a Put over --max-request-bytes
# (etcd's "request is too large") and over it plus etcd's 512 KiB of gRPC
# overhead (RESOURCE_EXHAUSTED), an unknown method and service, watch /
# snapshot / keep-alive clients that vanish mid-stream (RST, no FIN), and
# five watch streams that are never read while the server has 20 MiB of
# history to send them and more is written. After each, the member still
# serves (`etcdctl get`); where a stream exists the answer is a gRPC status
# (tests/integration/grpc_badinput.py: raw sockets, hand-built frames).
# Then every raw bad client 200 times: the member's open fds and RSS do not
# grow (bounded against a warm-up round).
#
# ETCFS_REFERENCE_ONLY=1: the same against etcd 3.4 (validates the test).
source "$(dirname "$0")/../lib.sh"

PY=${PYTHON3:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
T_MEMBERS=1
REPS=${GRPC_BAD_REPS:-200}

if ! "$PY" -c 'import etcd3' 2>/dev/null; then
    fail "python3-etcd3 importable by $PY (install python3-etcd3)"
    finish
    exit
fi
node_ports 1
P=${T_CPORT[1]}
if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then
    etcd --name n1 --data-dir "$T_DIR/n1.etcd" \
        --listen-client-urls "http://127.0.0.1:$P" --advertise-client-urls "http://127.0.0.1:$P" \
        --listen-peer-urls "http://127.0.0.1:${T_PPORT[1]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${T_PPORT[1]}" \
        --initial-cluster "$(initial_cluster)" >>"$T_DIR/n1.log" 2>&1 &
    T_PIDS[1]=$!
else
    node_start 1
fi
PID=${T_PIDS[1]}
wait_until 30 healthy "$P" || fail "n1 healthy"

ctl() { timeout 15 etcdctl --endpoints "127.0.0.1:$P" "$@"; }
ctl put /bi/probe alive >/dev/null || fail "etcdctl put before the bad clients"
serves() {
    if kill -0 "$PID" 2>/dev/null && [ "$(ctl get /bi/probe --print-value-only 2>&1)" = alive ]; then
        pass "the member serves etcdctl after $1"
    else
        fail "the member serves etcdctl after $1"
        kill -0 "$PID" 2>/dev/null || echo "#   the member is gone"
    fi
}
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status" 2>/dev/null; }
fds() { ls "/proc/$PID/fd" 2>/dev/null | wc -l; }

# bad CASE [SECONDS]: one bad client, its ok/not ok lines counted
bad() {
    local out rc line
    out=$(timeout "${2:-60}" "$PY" "$HERE/grpc_badinput.py" "$1" "$P" "${3:-1}" 2>&1)
    rc=$?
    while IFS= read -r line; do
        case $line in
            "ok - "*) pass "${line#ok - }" ;;
            "not ok - "*) fail "${line#not ok - }" ;;
            *) [ -n "$line" ] && echo "#   $line" ;;
        esac
    done <<<"$out"
    [ $rc = 124 ] && fail "$1: finished within ${2:-60} s"
    [ $rc != 0 ] && [ $rc != 124 ] && ! grep -q '^not ok' <<<"$out" && fail "$1: exited $rc"
}

for c in garbage truncated_preface truncated_then_garbage oversized_frame oversized_headers \
    bad_protobuf bad_framing unknown_method too_large vanish_watch vanish_snapshot vanish_keepalive; do
    bad "$c"
    serves "$c"
done

# a truncated preface held open does not stop the member serving others
timeout 20 "$PY" - "$P" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"PRI * HTTP/2.0\r\n")
time.sleep(4)
PY
HOLD=$!
sleep 0.5
serves "a truncated preface held open"
wait $HOLD

# the leak check: a warm-up, then every raw bad client $REPS times (1 MiB
# of history for each vanishing watch to replay)
bad load 60 10
bad repeat 100 20
sleep 1
f0=$(fds)
r0=$(rss)
bad repeat 250 "$REPS"
sleep 1
f1=$(fds)
r1=$(rss)
echo "# after $REPS rounds of bad clients: fds $f0 -> $f1, RSS $r0 -> $r1 kB"
expect_eq "open fds unchanged after $REPS rounds of bad clients (within 2)" 1 \
    "$([ -n "$f1" ] && [ "$f1" -le $((f0 + 2)) ] && echo 1 || echo "$f0 -> $f1")"
expect_eq "RSS bounded after $REPS rounds of bad clients (within 16 MiB)" 1 \
    "$([ -n "$r1" ] && [ "$r1" -le $((r0 + 16384)) ] && echo 1 || echo "$r0 -> $r1 kB")"
serves "$REPS rounds of bad clients"

# streams never read: 20 MiB of history to send to five of them, 5 MiB more
# written while they are stuck; the member keeps serving, its memory stays
# bounded (etcd 3.4 itself grows by ~160 MiB here: it queues each stuck
# watcher's events), and their connections are gone once they vanish
bad load 120 200
serves "20 MiB written"
r0=$(rss)
f0=$(fds)
FILLS=()
for i in 1 2 3 4 5; do
    timeout 60 "$PY" "$HERE/grpc_badinput.py" fill "$P" 10 >/dev/null 2>&1 &
    FILLS+=($!)
done
sleep 3
serves "five watch streams never read"
bad load 60 50
serves "5 MiB written while five streams are stuck"
r1=$(rss)
echo "# RSS ${r0} kB before the stuck streams, ${r1} kB with them"
if [ -n "$r0" ] && [ -n "$r1" ] && [ $((r1 - r0)) -lt $((256 * 1024)) ]; then
    pass "five stuck streams over 20 MiB of history: RSS grows by less than 256 MiB ($(((r1 - r0) / 1024)) MiB)"
else
    fail "five stuck streams over 20 MiB of history: RSS grows by less than 256 MiB (${r0:-?} -> ${r1:-?} kB)"
fi
wait "${FILLS[@]}"
sleep 1
serves "the stuck streams vanished"
f1=$(fds)
expect_eq "the stuck streams' connections closed (fds back to $f0, within 2)" 1 \
    "$([ -n "$f1" ] && [ "$f1" -le $((f0 + 2)) ] && echo 1 || echo "$f0 -> $f1")"
echo "# RSS $(rss) kB once they vanished"

expect_match "the JSON gateway still answers" '"health":"true"' "$(curl -s -m 5 "http://127.0.0.1:$P/health")"

if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then node_kill9 1; else node_stop 1; fi
finish
