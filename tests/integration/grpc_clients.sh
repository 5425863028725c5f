#!/bin/bash
# Real gRPC clients no one here wrote, against a 3-member etcfs cluster
# (issue 14): Debian's python3-etcd3 0.12 (on grpcio) runs puts, gets
# (get_prefix, get_range, sorting, keys only), a txn (compares, success and
# failure ops), a watch receiving 10,000 events in order with the puts'
# revisions (written from four other connections), a lease with keep-alive
# and attached keys deleted by revoke and by expiry, member list (3), and a
# snapshot (client.snapshot(file)); every step once through the leader and
# once through a follower (tests/integration/grpc_clients.py, each step
# under timeout). Then a small Go program on clientv3, when it builds
# offline from Debian's golang-etcd-server-dev in GOPATH mode (skipped
# otherwise: `go` or the package missing, nothing is downloaded).
#
# ETCFS_REFERENCE_ONLY=1: the same against a 3-member etcd 3.4 on the same
# ports (validates the test itself).
# GRPC_WATCH_EVENTS (10000) sets the watch step's event count.
source "$(dirname "$0")/../lib.sh"

PY=${PYTHON3:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
T_MEMBERS="1 2 3"
NEV=${GRPC_WATCH_EVENTS:-10000}

if ! "$PY" -c 'import etcd3, grpc' 2>/dev/null; then
    fail "python3-etcd3 importable by $PY (install python3-etcd3)"
    finish
    exit
fi

# etcd_start N: a reference etcd member where node_start would put etcfsd
etcd_start() {
    local n=$1
    node_ports "$n"
    etcd --name "n$n" --data-dir "$T_DIR/n$n.etcd" \
        --listen-client-urls "http://127.0.0.1:${T_CPORT[$n]}" \
        --advertise-client-urls "http://127.0.0.1:${T_CPORT[$n]}" \
        --listen-peer-urls "http://127.0.0.1:${T_PPORT[$n]}" \
        --initial-advertise-peer-urls "http://127.0.0.1:${T_PPORT[$n]}" \
        --initial-cluster "$(initial_cluster)" --initial-cluster-token "t-$T_NAME" \
        --heartbeat-interval 50 --election-timeout 500 >>"$T_DIR/n$n.log" 2>&1 &
    T_PIDS[$n]=$!
}

for n in $T_MEMBERS; do
    if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then etcd_start "$n"; else node_start "$n"; fi
done
for n in $T_MEMBERS; do
    wait_until 30 healthy "${T_CPORT[$n]}" || fail "n$n healthy"
done
wait_until 20 leader_node || fail "a leader"
L=$(leader_node)
F=
for n in $T_MEMBERS; do [ "$n" != "$L" ] && { F=$n; break; }; done
echo "# leader n$L, follower n$F"

# run_step STEP PORT SECONDS WHERE: one python step, its ok/not ok lines
# counted as this test's
run_step() {
    local step=$1 port=$2 limit=$3 where=$4 out rc line
    out=$(timeout "$limit" "$PY" "$HERE/grpc_clients.py" "$step" "127.0.0.1:$port" 3 "$NEV" 2>&1)
    rc=$?
    while IFS= read -r line; do
        case $line in
            "ok - "*) pass "$where: ${line#ok - }" ;;
            "not ok - "*) fail "$where: ${line#not ok - }" ;;
            *) [ -n "$line" ] && echo "#   $line" ;;
        esac
    done <<<"$out"
    if [ $rc = 124 ]; then
        fail "$where: step $step finished within $limit s"
    elif [ $rc != 0 ] && ! grep -q '^not ok' <<<"$out"; then
        fail "$where: step $step exited $rc"
    fi
}

for where in leader follower; do
    if [ $where = leader ]; then n=$L; else n=$F; fi
    [ -n "$n" ] || continue
    port=${T_CPORT[$n]}
    run_step kv "$port" 60 $where
    run_step txn "$port" 60 $where
    run_step watch "$port" 200 $where
    run_step lease "$port" 60 $where
    run_step members "$port" 30 $where
    run_step snapshot "$port" 60 $where
done

# ---- Go clientv3, offline, GOPATH mode ----------------------------------------
# what a user sees right after a write returns: Debian's etcdctl writes on
# one member and at once reads on every other (linearizable, the default),
# a new value each round, from the leader and from a follower
export ETCDCTL_API=3
stale=0
rounds=0
for r in $(seq 1 10); do
    for w in $T_MEMBERS; do
        rounds=$((rounds + 1))
        v="v$r-$w-$RANDOM"
        timeout 10 etcdctl --endpoints "127.0.0.1:${T_CPORT[$w]}" put /ryw/k "$v" >/dev/null || { stale=$((stale + 1)); continue; }
        for o in $T_MEMBERS; do
            [ "$o" = "$w" ] && continue
            got=$(timeout 10 etcdctl --endpoints "127.0.0.1:${T_CPORT[$o]}" get /ryw/k --print-value-only)
            if [ "$got" != "$v" ]; then
                stale=$((stale + 1))
                echo "# n$w wrote $v, n$o read '$got' right after"
            fi
        done
    done
done
expect_eq "etcdctl: a put on one member is read at once on the others ($rounds writes)" 0 "$stale"

GOSRC=/usr/share/gocode/src/go.etcd.io/etcd/clientv3
if ! command -v go >/dev/null || [ ! -d "$GOSRC" ]; then
    echo "# skipped: Go clientv3 (golang-go and golang-etcd-server-dev not installed; not downloaded)"
else
    mkdir -p "$T_DIR/go/src/gcli"
    cp "$HERE/grpc_clients_go.go" "$T_DIR/go/src/gcli/main.go"
    if (cd "$T_DIR/go/src/gcli" && GOPATH="$T_DIR/go:/usr/share/gocode" GO111MODULE=off \
        GOPROXY=off GOCACHE="${GOCACHE:-/tmp/etcfs-gocache}" timeout 280 go build -o "$T_DIR/gcli" . \
        >"$T_DIR/go.build.log" 2>&1); then
        out=$(timeout 60 "$T_DIR/gcli" "127.0.0.1:${T_CPORT[$L]},127.0.0.1:${T_CPORT[$F]}" 2>&1)
        rc=$?
        while IFS= read -r line; do
            case $line in
                "ok - "*) pass "go: ${line#ok - }" ;;
                "not ok - "*) fail "go: ${line#not ok - }" ;;
                '{"level":'*) ;;
                *) [ -n "$line" ] && echo "#   $line" ;;
            esac
        done <<<"$out"
        [ $rc = 0 ] || grep -q '^not ok' <<<"$out" || fail "go: the clientv3 program exited $rc"
    else
        echo "# Go clientv3 program did not build offline (GOPATH mode):"
        sed 's/^/#   /' "$T_DIR/go.build.log" | head -20
        fail "go: the clientv3 program builds offline from golang-etcd-server-dev"
    fi
fi

for n in $T_MEMBERS; do
    if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then node_kill9 "$n"; else node_stop "$n"; fi
done
finish
