#!/bin/bash
# --wal-dir and --force-new-cluster, as etcd has them:
#   - three members keep their Raft log in a directory of their own; after
#     kill -9 of all three and a restart every acknowledged write is there;
#     the data dir holds no Raft log, and a start without the --wal-dir it
#     was created with is refused with the reason;
#   - with two of three members gone for good, the survivor restarted with
#     --force-new-cluster serves its data as a one-member cluster and takes
#     writes;
#   - a member whose store was lost (its Raft snapshots are stubs) refuses
#     to start and says what to do.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n --wal-dir "$T_DIR/wal$n" --snapshot-count 100; done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
acked=0
for i in $(seq 1 300); do
    put ${T_CPORT[$(( (i % 3) + 1 ))]} /wal/k$i v$i | grep -q revision && acked=$((acked + 1))
done
expect_eq "300 writes acknowledged" "300" "$acked"
check "n1's Raft log is in its --wal-dir" bash -c "ls '$T_DIR/wal1' | grep -q '^metadata1$'"
check "... not in its data dir" test ! -e "$T_DIR/n1.etcfs/raft"
for n in 1 2 3; do node_kill9 $n; done
for n in 1 2 3; do node_start $n --wal-dir "$T_DIR/wal$n" --snapshot-count 100; done
for n in 1 2 3; do check "n$n restarts after kill -9 with its --wal-dir" wait_until 20 healthy ${T_CPORT[$n]}; done
missing=0
for i in $(seq 1 300); do [ "$(getv ${T_CPORT[$(( (i % 3) + 1 ))]} /wal/k$i)" = "v$i" ] || missing=$((missing + 1)); done
expect_eq "every acknowledged write is there" "0" "$missing"
node_stop 3
node_start 3
node_exit_status 3
expect_eq "n3 without the --wal-dir it was created with does not start" "1" "$T_EXIT"
expect_match "... and says where its log is" "its Raft log is in $T_DIR/wal3, not $T_DIR/n3.etcfs/raft: start with --wal-dir $T_DIR/wal3" "$(cat "$T_DIR/n3.log")"

# disaster: n2 and n3 gone for good; n1 alone has no quorum
node_kill9 2
out=$(curl -s -m 3 -X POST "http://127.0.0.1:${T_CPORT[1]}/v3/kv/put" -d "{\"key\":\"$(b64 /wal/lost)\",\"value\":\"$(b64 x)\"}")
check "with 2 of 3 members gone, a write fails" bash -c "! echo '$out' | grep -q revision"
node_stop 1
node_start 1 --wal-dir "$T_DIR/wal1" --snapshot-count 100 --force-new-cluster
check "n1 with --force-new-cluster serves" wait_until 20 healthy ${T_CPORT[1]}
expect_eq "... as a one-member cluster" "1" "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" member list 2>&1 | grep -c started)"
missing=0
for i in $(seq 1 300); do [ "$(getv ${T_CPORT[1]} /wal/k$i)" = "v$i" ] || missing=$((missing + 1)); done
expect_eq "... with every write it had" "0" "$missing"
expect_match "... and takes writes" '"revision":"' "$(put ${T_CPORT[1]} /wal/after recovered)"
expect_eq "... that read back at once" "recovered" "$(getv ${T_CPORT[1]} /wal/after)"
check "... and said what it did" grep -q "force-new-cluster: a one-member cluster" "$T_DIR/n1.log"
node_stop 1
node_start 1 --wal-dir "$T_DIR/wal1" --snapshot-count 100
check "restarted without the flag, it stays a one-member cluster" wait_until 20 healthy ${T_CPORT[1]}
expect_eq "... with its data" "recovered" "$(getv ${T_CPORT[1]} /wal/after)"
node_stop 1
# its Raft snapshots are stubs: with its store lost, a member says so
# (instead of serving an empty store) and does not crash
rm -rf "$T_DIR/n1.etcfs/store"
node_start 1 --wal-dir "$T_DIR/wal1" --snapshot-count 100
node_exit_status 1
expect_eq "a member whose store was lost does not start" "1" "$T_EXIT"
expect_match "... and says why and what to do" "behind its own snapshot at [0-9]+ \\(its data was lost\\): remove the member and add it again" "$(cat "$T_DIR/n1.log")"
finish
