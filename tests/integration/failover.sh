#!/bin/bash
# kill -9 of the leader during a stream of writes: a new leader comes up
# within a few election timeouts and every acknowledged write is on every
# member afterwards. Then kill -9 of all three and restart: same data, same
# revision, and no replay of the history (the store resumes from its
# applied index; Raft snapshots keep the log short).
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n --snapshot-count 200; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
auth_on ${T_CPORT[1]}
L=$(leader_node)
expect_match "a leader" '^[123]$' "$L"

# writer: 600 numbered writes, each to the next live member, acks logged
: >"$T_DIR/acked"
writer() {
    local i port n
    for i in $(seq 600); do
        for n in 1 2 3; do
            [ -f "$T_DIR/dead$n" ] && continue
            port=${T_CPORT[$n]}
            if curl -sf -m 5 "${T_CURL[@]}" -X POST "$T_SCHEME://127.0.0.1:$port/v3/kv/put" \
                -d "{\"key\":\"$(b64 "/ack/$i")\",\"value\":\"$(b64 "$i")\"}" >/dev/null 2>&1; then
                echo "$i" >>"$T_DIR/acked"
                break
            fi
        done
    done
}
writer &
wpid=$!
wait_until 30 test "$(wc -l <"$T_DIR/acked")" -ge 150
touch "$T_DIR/dead$L"
t0=$(date +%s%N)
node_kill9 "$L"
# a new leader among the two survivors
newl=""
for _ in $(seq 200); do
    for n in 1 2 3; do
        [ "$n" = "$L" ] && continue
        st=$(api ${T_CPORT[$n]} /v3/maintenance/status '{}')
        ld=$(jfield "$st" leader)
        if [ -n "$ld" ] && [ "$ld" = "$(jfield "$st" member_id)" ] && [ "$(jfield "$st" raftTerm)" != "" ]; then
            newl=$n
        fi
    done
    [ -n "$newl" ] && break
    sleep 0.05
done
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
expect_match "a new leader after kill -9 of the leader" '^[123]$' "$newl"
echo "# new leader n$newl after ${ms} ms (election timeout 500 ms)"
check "new leader within 10 election timeouts" test "$ms" -lt 5000
wait $wpid
acked=$(wc -l <"$T_DIR/acked")
echo "# $acked of 600 writes acknowledged"
check "most writes acknowledged despite the failover" test "$acked" -ge 500

# the old leader comes back and catches up
node_start "$L" --snapshot-count 200
rm -f "$T_DIR/dead$L"
wait_until 20 healthy ${T_CPORT[$L]} || fail "old leader rejoins"
missing_on() {
    local port=$1 i v miss=0
    # one range over the whole prefix, then compare with the ack list
    api "$port" /v3/kv/range "{\"key\":\"$(b64 /ack/)\",\"range_end\":\"$(b64 /ack0)\",\"serializable\":false}" |
        grep -o '"value":"[^"]*"' | sed 's/"value":"\(.*\)"/\1/' | while read -r v; do unb64 "$v"; echo; done | sort -n >"$T_DIR/have.$port"
    sort -n "$T_DIR/acked" | comm -23 - "$T_DIR/have.$port" | wc -l
}
for n in 1 2 3; do
    expect_eq "every acknowledged write present on n$n" "0" "$(missing_on ${T_CPORT[$n]})"
done
r1=$(revision ${T_CPORT[1]}); r2=$(revision ${T_CPORT[2]}); r3=$(revision ${T_CPORT[3]})
expect_eq "same revision on all members" "$r1 $r1 $r1" "$r1 $r2 $r3"

# kill -9 of all three, restart: same data and revision, no full replay
wait_until 10 test "$(revision ${T_CPORT[$L]})" = "$r1"
for n in 1 2 3; do node_kill9 $n; done
for n in 1 2 3; do node_start $n --snapshot-count 200; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n back after kill -9 of all"
done
r1b=$(revision ${T_CPORT[1]}); r2b=$(revision ${T_CPORT[2]}); r3b=$(revision ${T_CPORT[3]})
expect_eq "same revision after restarting all three" "$r1 $r1 $r1" "$r1b $r2b $r3b"
for n in 1 2 3; do
    expect_eq "all acknowledged writes survive on n$n" "0" "$(missing_on ${T_CPORT[$n]})"
done
for n in 1 2 3; do
    a=$(curl -s -m 3 "${T_CURL[@]}" "$T_SCHEME://127.0.0.1:${T_CPORT[$n]}/metrics" | grep '^etcfs_proposals_applied_total ' | cut -d' ' -f2)
    echo "# n$n re-applied $a entries at restart (history: $r1 revisions)"
    check "n$n resumed from its applied index (re-applied < 20 entries)" test "${a:-99999}" -lt 20
done
ls "$T_DIR/n1.etcfs/raft" | grep -c '^[0-9]' >"$T_DIR/segments"
check "raft snapshots taken (snapshot files exist)" bash -c "ls '$T_DIR/n1.etcfs/raft' | grep -q snapshot-"
finish
