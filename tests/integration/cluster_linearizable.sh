#!/bin/bash
# Three members: a write sent to a follower is forwarded to the leader and,
# once acknowledged, is visible to a linearizable read on every member at
# once, 1000 times in a row. Serializable reads serve local state.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
pass "3 members healthy"
L=$(leader_node)
expect_match "one leader" '^[123]$' "$L"
F=$(( L % 3 + 1 ))
G=$(( F % 3 + 1 ))
FP=${T_CPORT[$F]}

r=$(api $FP /v3/kv/put "{\"key\":\"$(b64 /f)\",\"value\":\"$(b64 v)\"}")
expect_match "write through a follower returns the leader's header" '"revision":"[0-9]+"' "$r"
expect_eq "members agree on the member list" "3" "$(api $FP /v3/cluster/member/list '{}' | grep -o '"peerURLs"' | wc -l)"

# 1000 rounds: write via a follower, then read linearizably on all three.
# curl runs its requests in order, so one curl process serves 10 rounds
# (40 requests over kept-alive connections); each round's unique value
# must come back from all three members.
bad=0
badmsg=""
for batch in $(seq 0 99); do
    args=()
    for j in $(seq 1 10); do
        i=$((batch * 10 + j))
        b64v k "/loop/$((i % 50))"
        b64v v "value-$i"
        [ ${#args[@]} -gt 0 ] && args+=(--next)
        args+=(-X POST "http://127.0.0.1:$FP/v3/kv/put" -d "{\"key\":\"$k\",\"value\":\"$v\"}")
        for n in 1 2 3; do
            args+=(--next -X POST "http://127.0.0.1:${T_CPORT[$n]}/v3/kv/range" -d "{\"key\":\"$k\"}")
        done
    done
    out=$(curl -s -m 30 "${args[@]}")
    for j in $(seq 1 10); do
        i=$((batch * 10 + j))
        b64v v "value-$i"
        n=0
        rest=$out
        while [[ "$rest" == *"\"value\":\"$v\""* ]]; do
            rest=${rest#*"\"value\":\"$v\""}
            n=$((n + 1))
        done
        if [ "$n" != 3 ]; then
            bad=$((bad + 1))
            [ -z "$badmsg" ] && badmsg="round $i: value seen $n times of 3"
        fi
    done
done
expect_eq "1000 follower writes each read back linearizably from all 3 members" "0" "$bad"
[ -n "$badmsg" ] && echo "#   first failure: ${badmsg:0:600}"

# serializable read on a follower works too (local state)
r=$(api $FP /v3/kv/range "{\"key\":\"$(b64 /f)\",\"serializable\":true}")
expect_match "serializable read on a follower" "\"value\":\"$(b64 v)\"" "$r"

# same revision everywhere
r1=$(revision ${T_CPORT[1]}); r2=$(revision ${T_CPORT[2]}); r3=$(revision ${T_CPORT[3]})
expect_eq "all members at the same revision" "$r1 $r1 $r1" "$r1 $r2 $r3"

# lease granted via a follower, keep-alive via a follower
r=$(api $FP /v3/lease/grant '{"TTL":"20"}')
lid=$(jfield "$r" ID)
expect_match "lease grant through a follower" '"TTL":"20"' "$r"
r=$(curl -s -m 3 -X POST "http://127.0.0.1:${T_CPORT[$G]}/v3/lease/keepalive" -d "{\"ID\":\"$lid\"}")
expect_match "keepalive through a follower" "\"ID\":\"$lid\",\"TTL\":\"20\"" "$r"
r=$(api ${T_CPORT[$G]} /v3/lease/timetolive "{\"ID\":\"$lid\"}")
expect_match "timetolive through a follower" '"TTL":"(1[0-9]|20)","grantedTTL":"20"' "$r"

# watch on a follower sees a write made on another follower
curl -s -N -m 2 -X POST "http://127.0.0.1:${T_CPORT[$G]}/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$(b64 /watched)\"}}" >"$T_DIR/w" &
wp=$!
sleep 0.4
put $FP /watched yes >/dev/null
wait $wp
expect_match "watch on one follower sees a write through another" "\"value\":\"$(b64 yes)\"" "$(cat "$T_DIR/w")"

# The leader confirms linearizable reads by asking the voters: a follower
# says ok only for its own leader in its own term. Members' routes live on
# the peer port; the client port does not serve them.
st=$(api $FP /v3/maintenance/status '{}')
term=$(jfield "$st" raftTerm); lid=$(jfield "$st" leader)
expect_eq "leadercheck: a follower confirms its leader in its term" '{"ok":true}' \
    "$(api ${T_PPORT[$F]} /etcfs/v1/leadercheck "{\"term\":\"$term\",\"leader\":\"$lid\"}")"
expect_eq "leadercheck: not for another term" '{"ok":false}' \
    "$(api ${T_PPORT[$F]} /etcfs/v1/leadercheck "{\"term\":\"$((term + 1))\",\"leader\":\"$lid\"}")"
expect_eq "leadercheck: not for another leader" '{"ok":false}' \
    "$(api ${T_PPORT[$F]} /etcfs/v1/leadercheck "{\"term\":\"$term\",\"leader\":\"$(member_id $FP)\"}")"
L=$(leader_node)
expect_match "leadercheck: not on the client port" 'Not Found' \
    "$(api $FP /etcfs/v1/leadercheck "{\"term\":\"$term\",\"leader\":\"$lid\"}")"
expect_eq "leadercheck: never by the leader itself" '{"ok":false}' \
    "$(api ${T_PPORT[$L]} /etcfs/v1/leadercheck "{\"term\":\"$term\",\"leader\":\"$lid\"}")"
expect_match "leadercheck: bad input is a clear error" 'term and leader' \
    "$(api ${T_PPORT[$F]} /etcfs/v1/leadercheck '{"term":"x"}')"

# A deposed leader never answers a linearizable read with a stale value:
# freeze the leader, let the others elect a new one, write through it, thaw
# the old leader and read from it at once (it still believes it leads until
# it hears of the new term). Its answer must be the new value or an error.
is_leader_port() { [ "$(leader_of "$1")" = "$(member_id "$1")" ] && [ -n "$(member_id "$1")" ]; }
stale=0
staleok=0
for round in 1 2 3; do
    L=$(leader_node)
    [ -n "$L" ] || { fail "deposed leader round $round: no leader"; break; }
    put ${T_CPORT[$L]} /deposed "old-$round" >/dev/null
    kill -STOP "${T_PIDS[$L]}"
    others=""
    for n in 1 2 3; do [ "$n" != "$L" ] && others="$others $n"; done
    newl=""
    for i in $(seq 100); do
        for n in $others; do
            is_leader_port ${T_CPORT[$n]} && newl=$n && break
        done
        [ -n "$newl" ] && break
        sleep 0.05
    done
    if [ -z "$newl" ]; then
        kill -CONT "${T_PIDS[$L]}"
        fail "deposed leader round $round: the others elected no leader"
        break
    fi
    put ${T_CPORT[$newl]} /deposed "new-$round" >/dev/null
    kill -CONT "${T_PIDS[$L]}"
    r=$(curl -s -m 10 -X POST "http://127.0.0.1:${T_CPORT[$L]}/v3/kv/range" -d "{\"key\":\"$(b64 /deposed)\"}")
    if [[ "$r" == *"\"value\":\"$(b64 "old-$round")\""* ]]; then
        stale=$((stale + 1))
    elif [[ "$r" == *"\"value\":\"$(b64 "new-$round")\""* ]]; then
        staleok=$((staleok + 1))
    fi
    wait_until 10 healthy ${T_CPORT[$L]}
done
expect_eq "a thawed deposed leader never serves the old value (3 rounds)" "0" "$stale"
echo "# deposed leader answered the new value in $staleok of 3 rounds (the others: an error)"

# Followers learn a commit at once, not with the next heartbeat: with a
# 2 s heartbeat, a write through the leader must show up in the followers'
# local (serializable) state well within a second, 10 times in a row.
for n in 1 2 3; do node_stop $n; done
T_HEARTBEAT=2000 T_ELECTION=10000
for n in 1 2 3; do node_start $n; done
for n in 1 2 3; do wait_until 30 healthy ${T_CPORT[$n]}; done
wait_until 30 leader_node
L=$(leader_node)
expect_match "a leader with the 2 s heartbeat" '^[123]$' "$L"
late=0
for i in $(seq 1 10); do
    put ${T_CPORT[$L]} /commit "c-$i" >/dev/null
    for n in 1 2 3; do
        [ "$n" = "$L" ] && continue
        wait_until 2 bash -c "[ \"\$(curl -s -m 2 -X POST http://127.0.0.1:${T_CPORT[$n]}/v3/kv/range -d '{\"key\":\"$(b64 /commit)\",\"serializable\":true}' | grep -o '\"value\":\"[^\"]*\"')\" = '\"value\":\"$(b64 "c-$i")\"' ]" || late=$((late + 1))
    done
done
expect_eq "followers apply a commit without waiting for a heartbeat (10 writes, 2 s heartbeat)" "0" "$late"

finish
