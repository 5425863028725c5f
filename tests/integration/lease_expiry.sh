#!/bin/bash
# Leases across a cluster: expiry is decided by the leader and replicated as
# one revoke, so every member deletes the keys at the same revision and
# watchers on every member see the deletes; leases survive a leader change
# (the new leader restarts their TTL, as etcd 3.4) and still expire.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
L=$(leader_node)
F=$(( L % 3 + 1 ))
FP=${T_CPORT[$F]}

for n in 1 2 3; do
    curl -s -N -m 12 -X POST "http://127.0.0.1:${T_CPORT[$n]}/v3/watch" \
        -d "{\"create_request\":{\"key\":\"$(b64 /lease/)\",\"range_end\":\"$(b64 /lease0)\"}}" >"$T_DIR/watch.$n" &
    eval "w$n=\$!"
done
sleep 0.5
r=$(api $FP /v3/lease/grant '{"TTL":"2"}')
lid=$(jfield "$r" ID)
expect_match "grant a 2 s lease via a follower" '"TTL":"2"' "$r"
api $FP /v3/kv/put "{\"key\":\"$(b64 /lease/a)\",\"value\":\"$(b64 1)\",\"lease\":\"$lid\"}" >/dev/null
api $FP /v3/kv/put "{\"key\":\"$(b64 /lease/b)\",\"value\":\"$(b64 2)\",\"lease\":\"$lid\"}" >/dev/null
expect_eq "keys exist before expiry" "1" "$(getv $FP /lease/a)"
for n in 1 2 3; do
    wait_until 10 test -z "$(getv ${T_CPORT[$n]} /lease/b)"
    expect_eq "keys gone on n$n after expiry" "" "$(getv ${T_CPORT[$n]} /lease/a)$(getv ${T_CPORT[$n]} /lease/b)"
done
expect_match "expired lease: timetolive -1" '"TTL":"-1"' "$(api $FP /v3/lease/timetolive "{\"ID\":\"$lid\"}")"
wait $w1 $w2 $w3
revs=""
for n in 1 2 3; do
    d=$(grep -o '"type":"DELETE","kv":{"key":"[^"]*","mod_revision":"[0-9]*"' "$T_DIR/watch.$n")
    expect_eq "watcher on n$n saw 2 deletes" "2" "$(printf '%s\n' "$d" | grep -c DELETE)"
    revs="$revs $(printf '%s\n' "$d" | grep -o 'mod_revision":"[0-9]*' | sort -u | tr '\n' ' ')"
done
set -- $revs
expect_eq "the deletes happened at one revision on every member" "$1 $1 $1" "$*"

# leases survive a leader change and still expire afterwards
r=$(api $FP /v3/lease/grant '{"TTL":"30"}')
long=$(jfield "$r" ID)
r=$(api $FP /v3/lease/grant '{"TTL":"4"}')
short=$(jfield "$r" ID)
api $FP /v3/kv/put "{\"key\":\"$(b64 /keep)\",\"value\":\"$(b64 k)\",\"lease\":\"$long\"}" >/dev/null
api $FP /v3/kv/put "{\"key\":\"$(b64 /short)\",\"value\":\"$(b64 s)\",\"lease\":\"$short\"}" >/dev/null
node_kill9 "$L"
newl=""
for _ in $(seq 200); do
    for n in 1 2 3; do
        [ "$n" = "$L" ] && continue
        st=$(api ${T_CPORT[$n]} /v3/maintenance/status '{}')
        if [ -n "$(jfield "$st" leader)" ] && [ "$(jfield "$st" leader)" = "$(jfield "$st" member_id)" ]; then newl=$n; fi
    done
    [ -n "$newl" ] && break
    sleep 0.05
done
expect_match "a new leader" '^[123]$' "$newl"
r=$(api ${T_CPORT[$newl]} /v3/lease/timetolive "{\"ID\":\"$long\"}")
expect_match "the 30 s lease survives the leader change with its TTL restarted" '"TTL":"(2[5-9]|30)","grantedTTL":"30"' "$r"
wait_until 15 test -z "$(getv ${T_CPORT[$newl]} /short)"
expect_eq "the 4 s lease still expires under the new leader" "" "$(getv ${T_CPORT[$newl]} /short)"
expect_eq "the 30 s lease's key is still there" "k" "$(getv ${T_CPORT[$newl]} /keep)"
finish
