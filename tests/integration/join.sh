#!/bin/bash
# Joining in one flag and leaving: a host starts with --join (client URLs of
# a running 3-member cluster) and --mount, adds itself as a learner, serves
# and mounts at once; a restart reuses its data dir; a second learner is
# refused with etcd's reason under etcd's one-learner limit; --leave at
# SIGTERM removes it and marks the data dir, which then needs --join to
# start again. Each step is checked right after the call returns.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n --max-learners 1 --member-down-after 2; done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
JOIN="http://127.0.0.1:${T_CPORT[1]},http://127.0.0.1:${T_CPORT[2]},http://127.0.0.1:${T_CPORT[3]}"
mkdir -p "$T_DIR/m4"
unmount_all() { umount -l "$T_DIR/m4" 2>/dev/null; cleanup; }
trap unmount_all EXIT
members() { "$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" member list 2>&1; }

put ${T_CPORT[1]} /cfg/before joined >/dev/null
# n4: its own name in --initial-cluster only; --join does the rest
node_ports 4
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --join "$JOIN" --mount "$T_DIR/m4"
check "n4 (--join) serves" wait_until 20 healthy ${T_CPORT[4]}
check "n4 mounted" wait_until 10 mountpoint -q "$T_DIR/m4"
out=$(members)
expect_match "member list shows n4 as a started learner" "n4, http://127.0.0.1:${T_PPORT[4]}, http://127.0.0.1:${T_CPORT[4]}, true" "$out"
n4id=$(member_id ${T_CPORT[4]})
expect_eq "a write made before the join reads on n4's mount" "joined" "$(cat "$T_DIR/m4/cfg/before" 2>&1)"
put ${T_CPORT[2]} /cfg/after now >/dev/null
expect_eq "a write returned on n2 reads at once on n4 (linearizable)" "now" "$(getv ${T_CPORT[4]} /cfg/after)"
expect_eq "... and on n4's mount" "now" "$(cat "$T_DIR/m4/cfg/after" 2>&1)"
echo viamount >"$T_DIR/m4/cfg/written"
expect_eq "a write on n4's mount reads on n1 at once" "viamount" "$(getv ${T_CPORT[1]} /cfg/written)"

# a restart reuses the data dir: same member, nothing added
node_stop 4
umount -l "$T_DIR/m4" 2>/dev/null
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --join "$JOIN" --mount "$T_DIR/m4"
check "n4 restarted with the same flags serves" wait_until 20 healthy ${T_CPORT[4]}
expect_eq "... as the same member" "$n4id" "$(member_id ${T_CPORT[4]})"
expect_eq "... and the cluster still has 4 members" "4" "$(members | grep -c 'started')"

# a second learner: etcd 3.4's limit of one, said as etcd says it
node_ports 5
T_CLUSTER="n5=http://127.0.0.1:${T_PPORT[5]}" node_start 5 --join "$JOIN"
node_exit_status 5
check "n5 exits when the cluster refuses it" test "$T_EXIT" != running
expect_eq "... with a non-zero status" "1" "$T_EXIT"
expect_match "... and etcd's reason in its log" "too many learner members in cluster" "$(cat "$T_DIR/n5.log")"
check "... without leaving a data dir that claims membership" test ! -e "$T_DIR/n5.etcfs/member"
expect_eq "the cluster still has 4 members" "4" "$(members | grep -c 'started')"

# --leave: SIGTERM removes the member first
node_stop 4
umount -l "$T_DIR/m4" 2>/dev/null
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --join "$JOIN" --leave
check "n4 with --leave serves" wait_until 20 healthy ${T_CPORT[4]}
node_stop 4
out=$(members)
expect_eq "after n4's SIGTERM with --leave, 3 members remain" "3" "$(echo "$out" | grep -c 'started')"
check "n4's data dir is marked as left" test -e "$T_DIR/n4.etcfs/member.left"
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4
node_exit_status 4
expect_eq "a left data dir without --join does not start" "1" "$T_EXIT"
expect_match "... and says why" "left its cluster" "$(cat "$T_DIR/n4.log")"
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --join "$JOIN"
check "with --join it joins again" wait_until 20 healthy ${T_CPORT[4]}
expect_eq "... and reads the cluster's data" "now" "$(getv ${T_CPORT[4]} /cfg/after)"
expect_eq "... as the 4th member" "4" "$(members | grep -c 'started')"

# a learner down longer than --member-down-after (2 s): the leader says so
# in endpoint status and /metrics, and backs off reconnecting to it
n4id=$(printf '%016x' "$(member_id ${T_CPORT[4]})")
node_kill9 4
L=$(leader_node)
sleep 1
expect_eq "1 s after n4's kill -9, the leader reports nothing" "" "$(jfield "$(api ${T_CPORT[$L]} /v3/maintenance/status '{}')" errors)"
sleep 3
view=$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" endpoint status --cluster 2>&1)
echo "$view" | sed 's/^/#   /'
expect_match "4 s after: endpoint status --cluster names it on the leader's row" "127.0.0.1:${T_CPORT[$L]}, [0-9a-f]+, 3.4.0, [^,]+, true, false, [0-9]+, [0-9]+, [0-9]+, member $n4id \\(learner\\) unreachable for 0m0[3-5]s" "$view"
expect_match "... and says the endpoint did not answer" "Failed to get the status of endpoint http://127.0.0.1:${T_CPORT[4]}" "$view"
metrics=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[$L]}/metrics")
expect_match "... the leader's /metrics too" "etcfs_member_unreachable_seconds\\{member=\"$n4id\",role=\"learner\"\\} [3-5]" "$metrics"
expect_match "... and it skipped reconnecting (back-off)" "etcfs_peer_connects_backed_off_total [1-9]" "$metrics"
T_CLUSTER="n4=http://127.0.0.1:${T_PPORT[4]}" node_start 4 --join "$JOIN"
check "n4 back after its kill -9 serves" wait_until 20 healthy ${T_CPORT[4]}
put ${T_CPORT[1]} /cfg/back yes >/dev/null
expect_eq "... and reads at once what was written after it came back" "yes" "$(getv ${T_CPORT[4]} /cfg/back)"
check "... and is no longer reported within 2 s" wait_until 2 bash -c "! curl -s -m 2 -X POST http://127.0.0.1:${T_CPORT[$L]}/v3/maintenance/status -d '{}' | grep -q unreachable"
node_stop 4
for n in 1 2 3; do node_stop $n; done
finish
