#!/bin/bash
# etcfsd's command line: no flags at all starts a working single member
# with its data in ./default.etcfs (etcd's default); ETCFS_* variables and
# --config-file give the same settings; unknown or conflicting flags are
# refused with a clear message and a non-zero exit.
source "$(dirname "$0")/../lib.sh"

out=$("$ETCFSD" --bogus 2>&1); rc=$?
check "unknown flag exits non-zero" test $rc != 0
expect_match "unknown flag message" 'unknown flag: --bogus' "$out"
out=$("$ETCFSD" --name a --name b 2>&1); rc=$?
check "a flag given twice exits non-zero" test $rc != 0
expect_match "conflicting flag message" 'given twice' "$out"
out=$("$ETCFSD" --heartbeat-interval 300 --election-timeout 1000 2>&1); rc=$?
check "election timeout under 5 heartbeats is refused" test $rc != 0
out=$("$ETCFSD" --initial-cluster-state maybe 2>&1); rc=$?
check "bad --initial-cluster-state is refused" test $rc != 0
out=$(ETCFS_NAEM=x "$ETCFSD" 2>&1); rc=$?
check "a misspelled ETCFS_ variable is refused" test $rc != 0
expect_match "and named" 'ETCFS_NAEM' "$out"
out=$("$ETCFSD" --help 2>&1); rc=$?
check "--help exits 0" test $rc = 0
expect_match "--help lists flags with their variables" 'ETCFS_INITIAL_CLUSTER' "$out"
expect_match "--version" '[0-9]+\.[0-9]+\.[0-9]+' "$("$ETCFSD" --version 2>&1)"

# no flags: a working single member on 127.0.0.1:2379, data in ./default.etcfs
if curl -s -m 1 http://127.0.0.1:2379/health >/dev/null 2>&1; then
    fail "port 2379 is free for the no-flags test (stop the quickstart cluster: scripts/cluster stop)"
else
    mkdir -p "$T_DIR/cwd"
    (cd "$T_DIR/cwd" && exec "$ETCFSD" >"$T_DIR/default.log" 2>&1) &
    T_PIDS[0]=$!
    wait_until 15 healthy 2379
    check "no flags: a healthy member on 127.0.0.1:2379" healthy 2379
    put 2379 /x y >/dev/null
    expect_eq "no flags: it serves writes" "y" "$(getv 2379 /x)"
    check "no flags: data in ./default.etcfs" test -d "$T_DIR/cwd/default.etcfs/store"
    node_stop 0
fi

# environment and config file give the same settings
node_ports 1
cat >"$T_DIR/conf" <<CONF
# a comment
name=fromfile
data-dir=$T_DIR/fromfile.etcfs
listen-client-urls=http://127.0.0.1:${T_CPORT[1]}
advertise-client-urls=http://127.0.0.1:${T_CPORT[1]}
listen-peer-urls=http://127.0.0.1:${T_PPORT[1]}
initial-advertise-peer-urls=http://127.0.0.1:${T_PPORT[1]}
CONF
"$ETCFSD" --config-file "$T_DIR/conf" >"$T_DIR/file.log" 2>&1 &
T_PIDS[1]=$!
wait_until 15 healthy ${T_CPORT[1]}
expect_match "--config-file: name applied" '"name":"fromfile"' "$(api ${T_CPORT[1]} /v3/cluster/member/list '{}')"
check "--config-file: data dir applied" test -d "$T_DIR/fromfile.etcfs/store"
node_stop 1
ETCFS_NAME=fromenv ETCFS_DATA_DIR="$T_DIR/fromenv.etcfs" \
    ETCFS_LISTEN_CLIENT_URLS=http://127.0.0.1:${T_CPORT[1]} ETCFS_ADVERTISE_CLIENT_URLS=http://127.0.0.1:${T_CPORT[1]} \
    ETCFS_LISTEN_PEER_URLS=http://127.0.0.1:${T_PPORT[1]} ETCFS_INITIAL_ADVERTISE_PEER_URLS=http://127.0.0.1:${T_PPORT[1]} \
    "$ETCFSD" >"$T_DIR/env.log" 2>&1 &
T_PIDS[1]=$!
wait_until 15 healthy ${T_CPORT[1]}
expect_match "ETCFS_* variables applied" '"name":"fromenv"' "$(api ${T_CPORT[1]} /v3/cluster/member/list '{}')"
node_stop 1
# systemd Type=notify: READY=1 once it serves, STOPPING=1 on SIGTERM
NL=${NOTIFY_LISTEN:-$T_TOP/build/tests/notify_listen}
"$NL" 4 "$ETCFSD" --name notify --data-dir "$T_DIR/notify.etcfs" \
    --listen-client-urls http://127.0.0.1:${T_CPORT[1]} --advertise-client-urls http://127.0.0.1:${T_CPORT[1]} \
    --listen-peer-urls http://127.0.0.1:${T_PPORT[1]} --initial-advertise-peer-urls http://127.0.0.1:${T_PPORT[1]} \
    --initial-cluster notify=http://127.0.0.1:${T_PPORT[1]} >"$T_DIR/notify.out" 2>"$T_DIR/notify.err" &
nlp=$!
wait_until 10 grep -q '^READY=1' "$T_DIR/notify.out"
check "sd_notify READY=1 is sent" grep -q '^READY=1' "$T_DIR/notify.out"
check "and the member serves when it is" healthy ${T_CPORT[1]}
wait $nlp
check "sd_notify STOPPING=1 on SIGTERM" grep -q '^STOPPING=1' "$T_DIR/notify.out"

# a busy client port is reported, not crashed on
nc_pid=""
"$ETCFSD" --name busy --data-dir "$T_DIR/busy1" --listen-client-urls http://127.0.0.1:${T_CPORT[1]} \
    --listen-peer-urls http://127.0.0.1:${T_PPORT[1]} --initial-advertise-peer-urls http://127.0.0.1:${T_PPORT[1]} \
    --initial-cluster busy=http://127.0.0.1:${T_PPORT[1]} >"$T_DIR/busy1.log" 2>&1 &
T_PIDS[1]=$!
wait_until 15 healthy ${T_CPORT[1]}
out=$("$ETCFSD" --name busy2 --data-dir "$T_DIR/busy2" --listen-client-urls http://127.0.0.1:${T_CPORT[1]} \
    --listen-peer-urls http://127.0.0.1:18380 --initial-advertise-peer-urls http://127.0.0.1:18380 \
    --initial-cluster busy2=http://127.0.0.1:18380 2>&1); rc=$?
check "a client port in use exits non-zero" test $rc != 0
expect_match "with the address in the message" 'address already in use' "$out"
out=$("$ETCFSD" --name busy3 --data-dir "$T_DIR/busy3" --listen-client-urls http://127.0.0.1:18379 \
    --listen-peer-urls http://127.0.0.1:${T_PPORT[1]} --initial-advertise-peer-urls http://127.0.0.1:${T_PPORT[1]} \
    --initial-cluster busy3=http://127.0.0.1:${T_PPORT[1]} 2>&1); rc=$?
check "a peer port in use exits non-zero" test $rc != 0
expect_match "with the peer address and the reason" "127.0.0.1:${T_PPORT[1]}: Address already in use" "$out"
finish
