#!/bin/bash
# /metrics as a Prometheus and a Grafana etcd dashboard read it: promtool
# accepts every member's and a mirror's exposition; a real Prometheus
# (Debian's) scraping the three members (one mounted) and a mirror
# answers a PromQL query for every series examples/grafana-etcfs.json
# uses; the counters follow the writes made: mvcc totals, gRPC methods by
# code (a gateway request counts as the gRPC call etcd's gateway makes,
# an etcdctl call as itself), WAL fsyncs, peer bytes and round trips,
# client bytes, mount operations.
source "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null && command -v prometheus >/dev/null ||
    { fail "promtool and prometheus installed (scripts/install-deps --test)"; finish; exit 1; }
T_MEMBERS="1 2 3"
mkdir -p "$T_DIR/m1"
node_start 1 --mount "$T_DIR/m1" --snapshot-count 16
for n in 2 3; do node_start $n --snapshot-count 16; done
trap 'umount -l "$T_DIR/m1" 2>/dev/null; cleanup' EXIT
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
node_ports 4
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --mirror-of "http://127.0.0.1:${T_PPORT[2]}"
check "mirror n4 serves" wait_until 20 healthy ${T_CPORT[4]}
L=$(leader_node)
before=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[$L]}/metrics")
before1=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[1]}/metrics")
for i in $(seq 1 20); do put ${T_CPORT[1]} /m/k$i v >/dev/null; done
api ${T_CPORT[2]} /v3/kv/deleterange "{\"key\":\"$(b64 /m/k1)\"}" >/dev/null
api ${T_CPORT[3]} /v3/kv/txn "{\"success\":[{\"request_put\":{\"key\":\"$(b64 /m/t)\",\"value\":\"$(b64 x)\"}}]}" >/dev/null
wait_until 10 mountpoint -q "$T_DIR/m1" || fail "m1 mounted"
n1_before=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[1]}/metrics")
for i in 1 2 3; do echo "file $i" >"$T_DIR/m1/mf$i"; done
cat "$T_DIR/m1/mf1" >/dev/null
ETCDCTL_API=3 timeout 10 etcdctl --endpoints "127.0.0.1:${T_CPORT[1]}" put /m/ctl v >/dev/null
ETCDCTL_API=3 timeout 10 etcdctl --endpoints "127.0.0.1:${T_CPORT[1]}" get /m/k2 --rev 999999 >/dev/null 2>&1
n1_after=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[1]}/metrics")
after=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[$L]}/metrics")
val() { echo "$1" | awk -v n="$2" '$1 == n { print $2 }'; }
# grow NAME: how much n1's NAME grew over the mount writes and etcdctl calls
grow() { echo $(( $(val "$n1_after" "$1") - $(val "$n1_before" "$1") )); }
PUT_OK='grpc_server_handled_total{grpc_code="OK",grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}'
expect_eq "grpc_server_handled_total: n1's 20 gateway puts and etcdctl's put, OK" "21" \
    "$(( $(val "$n1_after" "$PUT_OK") - $(val "$before1" "$PUT_OK") ))"
expect_eq "... a read of a future revision: OutOfRange" "1" \
    "$(val "$n1_after" 'grpc_server_handled_total{grpc_code="OutOfRange",grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"}')"
check "... handling times: one per Put" test "$(val "$n1_after" 'grpc_server_handling_seconds_count{grpc_method="Put",grpc_service="etcdserverpb.KV",grpc_type="unary"}')" -ge 21
check "client bytes counted both ways" test "$(grow etcd_network_client_grpc_received_bytes_total)" -gt 0 -a "$(grow etcd_network_client_grpc_sent_bytes_total)" -gt 0
expect_eq "mount operations: 3 creates timed" "3" "$(val "$n1_after" 'etcfs_mount_operation_seconds_count{op="create"}')"
check "... and the flushes that committed them" test "$(val "$n1_after" 'etcfs_mount_operation_seconds_count{op="flush"}')" -ge 3
check "Raft snapshots are counted (every 16 entries here)" test "$(val "$after" etcfs_snapshots_taken_total)" -ge 1
check "the leader's WAL fsyncs follow the writes" test "$(val "$after" etcd_disk_wal_fsync_duration_seconds_count)" -gt "$(val "$before" etcd_disk_wal_fsync_duration_seconds_count)"
expect_match "... its bytes to each peer are counted" '(^|
)etcd_network_peer_sent_bytes_total\{To="[0-9a-f]+"\} [1-9]' "$after"
expect_match "... and its heartbeat round trips" '(^|
)etcd_network_peer_round_trip_time_seconds_count\{To="[0-9a-f]+"\} [1-9]' "$after"
expect_eq "etcd_debugging_mvcc_put_total grew by the 20 puts, 3 mount files and etcdctl's put" "24" "$(( $(val "$after" etcd_debugging_mvcc_put_total) - $(val "$before" etcd_debugging_mvcc_put_total) ))"
expect_eq "... delete_total by the delete" "1" "$(( $(val "$after" etcd_debugging_mvcc_delete_total) - $(val "$before" etcd_debugging_mvcc_delete_total) ))"
expect_eq "... txn_total by the txn" "1" "$(( $(val "$after" etcd_debugging_mvcc_txn_total) - $(val "$before" etcd_debugging_mvcc_txn_total) ))"
check "backend commits are timed" test "$(val "$after" etcd_disk_backend_commit_duration_seconds_count)" -gt "$(val "$before" etcd_disk_backend_commit_duration_seconds_count)"
check "process_resident_memory_bytes is the member's RSS (within 2x)" bash -c "rss=\$(awk '/VmRSS/ {print \$2 * 1024}' /proc/${T_PIDS[$L]}/status); m=$(val "$after" process_resident_memory_bytes); [ \$m -gt \$((rss / 2)) ] && [ \$m -lt \$((rss * 2)) ]"
for n in 1 2 3 4; do
    out=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[$n]}/metrics" | timeout 30 promtool check metrics 2>&1)
    expect_eq "promtool check metrics accepts n$n's /metrics" "" "$out"
done

# a real Prometheus: 1 s scrapes of the three members and the mirror
cat >"$T_DIR/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: etcfs
    static_configs:
      - targets: ['127.0.0.1:${T_CPORT[1]}', '127.0.0.1:${T_CPORT[2]}', '127.0.0.1:${T_CPORT[3]}', '127.0.0.1:${T_CPORT[4]}']
YML
PPORT=19090
prometheus --config.file="$T_DIR/prometheus.yml" --storage.tsdb.path="$T_DIR/prom" \
    --web.listen-address="127.0.0.1:$PPORT" >"$T_DIR/prometheus.log" 2>&1 &
T_PIDS[9]=$!
q() { curl -s -m 5 -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
check "Prometheus scrapes all four" wait_until 30 bash -c "curl -s -m 2 -G http://127.0.0.1:$PPORT/api/v1/query --data-urlencode 'query=count(up == 1)' | grep -q '\"value\":\[[0-9.]*,\"4\"\]'"
names=$(python3 -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
seen = set()
for p in d["panels"]:
    for t in p["targets"]:
        for n in re.findall(r"\b((?:etcd|etcfs|process|grpc)_[a-z_]+)", t["expr"]):
            if n not in ("grpc_code", "grpc_method", "grpc_service", "grpc_type"):
                seen.add(n)  # a series, not one of its labels
print(" ".join(sorted(seen)))' "$T_TOP/examples/grafana-etcfs.json")
echo "# the dashboard reads: $names"
missing=""
for n in $names; do
    r=$(q "count($n)")
    echo "$r" | grep -q '"result":\[{' || missing="$missing $n"
done
expect_eq "Prometheus has every series the dashboard uses" "" "$missing"
r=$(q 'sum(etcd_server_has_leader)')
expect_match "a PromQL query: 3 members with a leader, and the mirror" '"value":\[[0-9.]*,"4"\]' "$r"
kill "${T_PIDS[9]}" 2>/dev/null; wait "${T_PIDS[9]}" 2>/dev/null; unset "T_PIDS[9]"
for n in 4 3 2 1; do node_stop $n; done
umount -l "$T_DIR/m1" 2>/dev/null
finish
