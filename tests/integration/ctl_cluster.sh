#!/bin/bash
# etcfsctl against a 3-member etcfs cluster: every command of DESIGN.md with
# its output checked (etcdctl's formats), errors on stderr with a non-zero
# exit, and a snapshot save -> restore -> new cluster round trip.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
EP="127.0.0.1:${T_CPORT[1]},127.0.0.1:${T_CPORT[2]},127.0.0.1:${T_CPORT[3]}"
L=$(leader_node)
F=$(( L % 3 + 1 ))
ctl() { "$ETCFSCTL" --endpoints "$EP" "$@"; }
ctlf() { "$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[$F]}" "$@"; }

# ---- kv ----
expect_eq "put prints OK" "OK" "$(ctlf put /k1 v1)"
ctl put /k2 v2 >/dev/null
ctl put /k3 v3 >/dev/null
expect_eq "get prints key and value" "$(printf '/k1\nv1')" "$(ctl get /k1)"
expect_eq "get --print-value-only" "v1" "$(ctl get /k1 --print-value-only)"
expect_eq "get --prefix --keys-only" "$(printf '/k1\n\n/k2\n\n/k3\n')" "$(ctl get --prefix /k --keys-only)"
expect_eq "get range_end" "$(printf '/k1\nv1\n/k2\nv2')" "$(ctl get /k1 /k3)"
expect_eq "get --limit" "$(printf '/k1\nv1')" "$(ctl get --prefix /k --limit 1)"
expect_match "get --count-only -w fields counts 3 keys" '"Count" : 3' "$(ctl get --prefix /k --count-only -w fields)"
expect_eq "get --from-key" "$(printf '/k2\n/k3')" "$(ctl get --from-key /k2 --keys-only | grep -v '^$')"
rev=$(ctl get /k1 -w json | grep -o '"mod_revision":[0-9]*' | cut -d: -f2)
ctl put /k1 v1b >/dev/null
expect_eq "get --rev reads the past" "v1" "$(ctl get /k1 --rev "$rev" --print-value-only)"
expect_eq "get --sort-by=KEY --order=DESCEND" "/k3" "$(ctl get --prefix /k --keys-only --sort-by=KEY --order=DESCEND | head -n1)"
expect_eq "put --prev-kv" "$(printf 'OK\n/k2\nv2')" "$(ctl put --prev-kv /k2 v2b)"
expect_eq "del prints the count" "1" "$(ctl del /k3)"
expect_eq "del --prefix --prev-kv" "$(printf '2\n/k1\nv1b\n/k2\nv2b')" "$(ctl del --prefix --prev-kv /k)"
expect_eq "value from stdin" "OK" "$(echo -n fromstdin | ctl put /stdin)"
expect_eq "and read back" "fromstdin" "$(ctl get /stdin --print-value-only)"
out=$(ctl get 2>&1); rc=$?
check "get without a key exits non-zero" test $rc != 0
expect_match "with an Error: line" '^Error: ' "$out"

# ---- txn ----
ctl put /t/cfg old >/dev/null
out=$(printf 'value("/t/cfg") = "old"\n\nput /t/cfg new\nput /t/log changed\n\nput /t/log untouched\n\n' | ctl txn)
expect_eq "txn success" "$(printf 'SUCCESS\n\nOK\n\nOK')" "$out"
expect_eq "txn applied both puts" "new changed" "$(ctl get /t/cfg --print-value-only) $(ctl get /t/log --print-value-only)"
out=$(printf 'mod("/t/cfg") < "2"\n\nput /t/x 1\n\nget /t/cfg\n\n' | ctl txn)
expect_eq "txn failure runs the failure ops" "$(printf 'FAILURE\n\n/t/cfg\nnew')" "$out"
out=$(printf 'value("/t/cfg") = "new"\n\nput /t/i 1\n\n\n' | ctl txn -i 2>/dev/null | tail -n 3 | tr -d '\n')
expect_match "txn -i" 'SUCCESS.*OK' "$out"

# ---- compaction ----
r=$(ctl get /t/cfg -w json | grep -o '"revision":[0-9]*' | head -n1 | cut -d: -f2)
expect_eq "compaction" "compacted revision $r" "$(ctl compaction "$r")"
out=$(ctl get /t/cfg --rev 2 2>&1); rc=$?
check "reading a compacted revision exits non-zero" test $rc != 0
expect_match "with etcd's message" 'required revision has been compacted' "$out"

# ---- watch ----
"$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[$F]}" watch --prefix /w/ >"$T_DIR/watch.out" 2>&1 &
wp=$!
sleep 0.5
ctl put /w/a 1 >/dev/null
ctl del /w/a >/dev/null
wait_until 5 grep -q DELETE "$T_DIR/watch.out"
kill $wp 2>/dev/null; wait $wp 2>/dev/null
expect_eq "watch --prefix prints PUT and DELETE events" "$(printf 'PUT\n/w/a\n1\nDELETE\n/w/a')" "$(cat "$T_DIR/watch.out")"
wrev=$(ctl put /w/b 2 >/dev/null; ctl get /w/b -w json | grep -o '"mod_revision":[0-9]*' | cut -d: -f2)
timeout 2 "$ETCFSCTL" --endpoints "$EP" watch /w/b --rev "$wrev" >"$T_DIR/watch2.out" 2>&1
expect_eq "watch --rev replays history" "$(printf 'PUT\n/w/b\n2')" "$(cat "$T_DIR/watch2.out")"

# ---- leases ----
out=$(ctlf lease grant 60)
expect_match "lease grant" '^lease [0-9a-f]+ granted with TTL\(60s\)$' "$out"
id=$(echo "$out" | awk '{print $2}')
expect_eq "put --lease" "OK" "$(ctl put --lease="$id" /l/a x)"
ctl put --lease="$id" /l/b y >/dev/null
expect_match "lease timetolive --keys" "^lease $id granted with TTL\\(60s\\), remaining\\([0-9]+s\\), attached keys\\(\\[/l/a /l/b\\]\\)$" "$(ctl lease timetolive "$id" --keys)"
expect_match "lease list" "found 1 leases" "$(ctl lease list)"
expect_match "lease keep-alive --once" "^lease $id keepalived with TTL\\(60\\)$" "$(ctlf lease keep-alive --once "$id")"
expect_eq "lease revoke" "lease $id revoked" "$(ctl lease revoke "$id")"
expect_eq "revoke deleted the keys" "" "$(ctl get --prefix /l/)"
out=$(ctl lease revoke "$id" 2>&1); rc=$?
check "revoking an unknown lease exits non-zero" test $rc != 0
expect_eq "with etcdctl's message" "Error: failed to revoke lease (etcdserver: requested lease not found)" "$out"
expect_match "timetolive of a revoked lease" "lease $id already expired" "$(ctl lease timetolive "$id")"

# ---- members and endpoints ----
out=$(ctl member list)
expect_eq "member list has 3 started members" "3" "$(echo "$out" | grep -c ', started, n[123], ')"
out=$(ctl -w table member list)
expect_match "member list -w table" 'ID.*STATUS.*NAME.*PEER ADDRS.*CLIENT ADDRS.*IS LEARNER' "$out"
out=$(ctl -w table endpoint status --cluster)
expect_eq "endpoint status --cluster -w table: one row per member" "3" "$(echo "$out" | grep -c '| http://127.0.0.1:1[123]379 |')"
expect_eq "exactly one leader" "1" "$(echo "$out" | grep -c '| *true *| *false *|')"
out=$(ctl endpoint health --cluster 2>&1)
expect_eq "endpoint health --cluster" "3" "$(echo "$out" | grep -c 'is healthy: successfully committed proposal')"
node_ports 4
out=$(ctl member add n4 --learner --peer-urls=http://127.0.0.1:${T_PPORT[4]})
expect_match "member add --learner" '^Member [0-9a-f]+ added to cluster [0-9a-f]+' "$out"
expect_match "prints the env for the new member" 'ETCD_INITIAL_CLUSTER_STATE="existing"' "$out"
id4=$(echo "$out" | head -n1 | awk '{print $2}')
expect_match "the learner is listed unstarted" "^$id4, unstarted, , http://127.0.0.1:${T_PPORT[4]}, , true$" "$(ctl member list | grep "^$id4")"
T_CLUSTER="$(T_MEMBERS="1 2 3 4" initial_cluster)" node_start 4 --initial-cluster-state existing
wait_until 20 healthy ${T_CPORT[4]}
ok=no
for _ in $(seq 50); do
    if out=$(ctl member promote "$id4" 2>&1); then ok=yes; break; fi
    sleep 0.2
done
expect_eq "member promote" "yes" "$ok"
expect_match "promote message" "^Member $id4 promoted in cluster [0-9a-f]+$" "$out"
expect_match "member update" "^Member $id4 updated in cluster" "$(ctl member update "$id4" --peer-urls=http://127.0.0.1:${T_PPORT[4]} 2>&1)"
out=$(ctl member remove "$id4")
expect_match "member remove" "^Member $id4 removed from cluster [0-9a-f]+$" "$out"
node_stop 4
expect_eq "3 members again" "3" "$(ctl member list | wc -l)"
target=$(ctl member list | grep -v "$(printf '%x' "$(member_id ${T_CPORT[$L]})")" | head -n1 | cut -d, -f1)
out=$(ctl move-leader "$target" 2>&1)
expect_match "move-leader" "^Leadership transferred from [0-9a-f]+ to $target$" "$out"
expect_match "version" '^etcfsctl version: ' "$(ctl version)"

# ---- snapshot save / status / restore into a new cluster ----
ctl put /snap/a 1 >/dev/null
ctl put /snap/b 2 >/dev/null
out=$(ctlf snapshot save "$T_DIR/backup.snap")
expect_eq "snapshot save" "Snapshot saved at $T_DIR/backup.snap" "$out"
out=$(ctl -w table snapshot status "$T_DIR/backup.snap")
expect_match "snapshot status -w table" 'HASH.*REVISION.*TOTAL KEYS.*TOTAL SIZE' "$out"
rev=$("$ETCFSCTL" snapshot status "$T_DIR/backup.snap" | cut -d, -f2 | tr -d ' ')
"$ETCFSCTL" snapshot restore "$T_DIR/backup.snap" --data-dir "$T_DIR/n9.etcfs" --name n9 \
    --initial-cluster "n9=http://127.0.0.1:19380" --initial-advertise-peer-urls http://127.0.0.1:19380 >/dev/null 2>&1
check "snapshot restore writes a new data dir" test -f "$T_DIR/n9.etcfs/restore.snap"
out=$("$ETCFSCTL" snapshot restore "$T_DIR/backup.snap" --data-dir "$T_DIR/n9.etcfs" 2>&1); rc=$?
check "restore into an existing data dir is refused" test $rc != 0
T_CLUSTER="n9=http://127.0.0.1:19380" node_start 9
wait_until 20 healthy 19379
expect_eq "the restored member has the data" "2" "$("$ETCFSCTL" --endpoints 127.0.0.1:19379 get /snap/b --print-value-only)"
expect_eq "at the snapshot's revision" "$rev" "$(revision 19379)"
expect_eq "as a one-member cluster" "1" "$("$ETCFSCTL" --endpoints 127.0.0.1:19379 member list | wc -l)"
node_stop 9

# ---- errors ----
out=$(ctl bogus 2>&1); rc=$?
check "unknown command exits non-zero" test $rc != 0
expect_eq "unknown command message" 'Error: unknown command "bogus" for "etcfsctl"' "$out"
out=$(ctl get /x --bogus 2>&1); rc=$?
check "unknown flag exits non-zero" test $rc != 0
expect_eq "unknown flag message" 'Error: unknown flag: --bogus' "$out"
out=$("$ETCFSCTL" --endpoints 127.0.0.1:1 --dial-timeout 1s get /x 2>&1); rc=$?
check "unreachable endpoint exits non-zero" test $rc != 0
expect_match "with etcdctl's message" '^Error: ' "$out"
finish
