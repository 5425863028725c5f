#!/bin/bash
# Membership at runtime: a learner added after the log was compacted
# catches up by snapshot install (Raft snapshots on disk are stubs; the
# leader encodes the store when a follower needs it), is promoted; a voter added directly joins
# and votes; removed members stop counting for quorum.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n --snapshot-count 100; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
auth_on ${T_CPORT[1]}
P=${T_CPORT[1]}

# 400 writes in one curl process: enough for 4 snapshots and log truncation
args=()
for i in $(seq 400); do
    [ $i -gt 1 ] && args+=(--next)
    args+=(-s -o /dev/null "${T_CURL[@]}" -X POST "$T_SCHEME://127.0.0.1:$P/v3/kv/put" -d "{\"key\":\"$(b64 "/m/$i")\",\"value\":\"$(b64 "v$i")\"}")
done
curl "${args[@]}"
expect_eq "400 writes applied" "v400" "$(getv $P /m/400)"
check "the log was compacted (a raft snapshot exists)" bash -c "ls '$T_DIR/n1.etcfs/raft' | grep -q '^snapshot-'"
# a snapshot on disk is a stub (the store holds the data, synced when the
# snapshot is taken): no file of the store's size every --snapshot-count
check "... and it is a stub of a few bytes, not a copy of the store" bash -c \
    "for f in '$T_DIR'/n1.etcfs/raft/snapshot-*[0-9]; do [ \$(stat -c %s \"\$f\") -lt 200 ] || exit 1; done"

# ---- learner ----
node_ports 4
r=$(api $P /v3/cluster/member/add "{\"peerURLs\":[\"$T_SCHEME://127.0.0.1:${T_PPORT[4]}\"],\"isLearner\":true}")
expect_match "member add --learner" '"member":\{"ID":"[0-9]+","peerURLs":\["'"$T_SCHEME"'://127.0.0.1:14380"\],"isLearner":true\}' "$r"
id4=$(printf '%s' "$r" | grep -o '"member":{"ID":"[0-9]*"' | grep -o '[0-9][0-9]*')
r=$(api $P /v3/cluster/member/add "{\"peerURLs\":[\"$T_SCHEME://127.0.0.1:${T_PPORT[4]}\"]}")
expect_match "adding the same peer URL again fails" 'Peer URLs already exists' "$r"
T_CLUSTER="$(T_MEMBERS="1 2 3 4" initial_cluster)" node_start 4 --initial-cluster-state existing --snapshot-count 100
wait_until 20 test "$(getv ${T_CPORT[4]} /m/400 true)" = v400
expect_eq "the learner caught up" "v400" "$(getv ${T_CPORT[4]} /m/400 true)"
check "the learner caught up by snapshot install" grep -q "restored snapshot" "$T_DIR/n4.log"
check "... the leader encoded the store for it on demand" bash -c "grep -h 'snapshot for a follower: the store at index' '$T_DIR'/n[123].log | grep -q ."
if [ "${T_AUTH:-0}" = 1 ]; then
    expect_match "the snapshot carried auth: the learner refuses CN alice a read" \
        "etcdserver: permission denied" \
        "$(curl -s -m 10 --cacert "$T_PKI/ca.crt" --cert "$T_PKI/client-alice.crt" \
            --key "$T_PKI/client-alice.key" -X POST "$T_SCHEME://127.0.0.1:${T_CPORT[4]}/v3/kv/range" \
            -d "{\"key\":\"$(b64 /m/400)\",\"serializable\":true}")"
fi
r=$(api ${T_CPORT[4]} /v3/maintenance/status '{}')
expect_match "the learner reports isLearner" '"isLearner":true' "$r"
put ${T_CPORT[4]} /via-learner yes >/dev/null
expect_eq "a write through the learner is forwarded" "yes" "$(getv $P /via-learner)"
expect_eq "linearizable read on the learner" "yes" "$(getv ${T_CPORT[4]} /via-learner)"
ok=no
for _ in $(seq 100); do
    r=$(api $P /v3/cluster/member/promote "{\"ID\":\"$id4\"}")
    if printf '%s' "$r" | grep -q '"members"'; then ok=yes; break; fi
    sleep 0.1
done
expect_eq "the learner is promoted" "yes" "$ok"
r=$(api $P /v3/cluster/member/list '{"linearizable":true}')
expect_eq "no learner left in the member list" "" "$(printf '%s' "$r" | grep -o '"isLearner":true')"
r=$(api $P /v3/cluster/member/promote "{\"ID\":\"$id4\"}")
expect_match "promoting a voter fails" 'can only promote a learner member' "$r"

# ---- voter added directly ----
node_ports 5
r=$(api ${T_CPORT[2]} /v3/cluster/member/add "{\"peerURLs\":[\"$T_SCHEME://127.0.0.1:${T_PPORT[5]}\"]}")
expect_match "member add (voter) through a follower" '"member":\{"ID":"[0-9]+"' "$r"
id5=$(printf '%s' "$r" | grep -o '"member":{"ID":"[0-9]*"' | grep -o '[0-9][0-9]*')
T_CLUSTER="$(T_MEMBERS="1 2 3 4 5" initial_cluster)" node_start 5 --initial-cluster-state existing --snapshot-count 100
wait_until 20 test "$(getv ${T_CPORT[5]} /via-learner true)" = yes
expect_eq "the new voter caught up" "yes" "$(getv ${T_CPORT[5]} /via-learner true)"
wait_until 20 healthy ${T_CPORT[5]}
expect_eq "5 members listed" "5" "$(api $P /v3/cluster/member/list '{}' | grep -o '"peerURLs"' | wc -l)"
wait_until 10 test "$(api ${T_CPORT[5]} /v3/maintenance/status '{}' | grep -c isLearner)" = 0
expect_eq "the new voter is not a learner" "0" "$(api ${T_CPORT[5]} /v3/maintenance/status '{}' | grep -c isLearner)"
check "the new member published its name" bash -c "curl -s ${T_CURL[*]} -X POST $T_SCHEME://127.0.0.1:$P/v3/cluster/member/list -d '{}' | grep -q '\"name\":\"n5\"'"

# ---- update: n5 moves to another peer port, keeps its id and data ----
node_stop 5
r=$(api $P /v3/cluster/member/update "{\"ID\":\"$id5\",\"peerURLs\":[\"$T_SCHEME://127.0.0.1:15390\"]}")
expect_match "member update" '"members"' "$r"
expect_match "member list shows the new peer URL" '"peerURLs":\["'"$T_SCHEME"'://127.0.0.1:15390"\]' "$(api $P /v3/cluster/member/list '{}')"
c5="$(T_MEMBERS="1 2 3 4" initial_cluster),n5=$T_SCHEME://127.0.0.1:15390"
T_PEER_PORT=15390 T_CLUSTER="$c5" node_start 5 --initial-cluster-state existing --snapshot-count 100
put $P /after-update yes >/dev/null
wait_until 20 test "$(getv ${T_CPORT[5]} /after-update true)" = yes
expect_eq "the updated member catches up on its new peer URL" "yes" "$(getv ${T_CPORT[5]} /after-update true)"
expect_eq "it kept its member id" "$id5" "$(member_id ${T_CPORT[5]})"
wait_until 20 test "$(api ${T_CPORT[5]} /v3/maintenance/status '{}' | grep -c isLearner)" = 0
r=$(api $P /v3/cluster/member/update "{\"ID\":\"$id5\",\"peerURLs\":[\"$T_SCHEME://127.0.0.1:${T_PPORT[1]}\"]}")
expect_match "update to another member's peer URL fails" 'Peer URLs already exists' "$r"

# ---- a data dir of another member is refused ----
"$ETCFSD" --name intruder --data-dir "$T_DIR/n1.etcfs" --listen-client-urls http://127.0.0.1:19379 \
    --listen-peer-urls http://127.0.0.1:19380 --initial-advertise-peer-urls http://127.0.0.1:19380 \
    --initial-cluster intruder=http://127.0.0.1:19380 >"$T_DIR/intruder.log" 2>&1
rc=$?
check "starting on another member's data dir fails" test "$rc" != 0
check "with a clear message" grep -q "belongs to another member or cluster" "$T_DIR/intruder.log"

# ---- remove: 5 voters -> 2 voters (n1, n2); then only n1 + n2 run ----
for n in 3 4 5; do
    id=$(member_id ${T_CPORT[$n]})
    ok=no
    for _ in $(seq 50); do
        port=${T_CPORT[1]}
        [ -z "${T_PIDS[1]:-}" ] && port=${T_CPORT[2]}
        r=$(api $port /v3/cluster/member/remove "{\"ID\":\"$id\"}")
        if printf '%s' "$r" | grep -q '"members"'; then ok=yes; break; fi
        sleep 0.2
    done
    expect_eq "member n$n removed" "yes" "$ok"
    node_stop $n
done
# with n3..n5 stopped, n1 + n2 are a quorum only if the removed ones no
# longer count (otherwise 2 of 5); a removed leader leaves an election
wait_until 15 healthy $P
r=$(api $P /v3/cluster/member/list '{}')
expect_eq "2 members left" "2" "$(printf '%s' "$r" | grep -o '"peerURLs"' | wc -l)"
r=$(api $P /v3/cluster/member/remove '{"ID":"12345"}')
expect_match "removing an unknown member fails" 'member not found' "$r"
r=$(put ${T_CPORT[2]} /after-remove ok)
expect_match "writes succeed with the 2 remaining voters" '"revision"' "$r"
expect_eq "and read back" "ok" "$(getv $P /after-remove)"
node_stop 2
r=$(curl -s -m 4 "${T_CURL[@]}" -X POST "$T_SCHEME://127.0.0.1:$P/v3/kv/put" -d "{\"key\":\"$(b64 /noquorum)\",\"value\":\"$(b64 x)\"}")
expect_match "without quorum (1 of 2) a write fails" '"error"|^$' "$r"
finish
