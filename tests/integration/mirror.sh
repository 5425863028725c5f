#!/bin/bash
# Mirror members (--mirror-of): a 3-member cluster, a mirror m4 of it and a
# mirror m5 of m4 (then of a follower), both mounted. Checked right after each call
# returns, never "until it converges":
#   - what the cluster writes shows on m5's mount with tmpfs's inotify
#     events, each file created once, within a second;
#   - 1,000 rounds of a put on n1 then a linearizable get on m5;
#   - writes through m5's mount and API commit on the cluster;
#   - m5's revisions, versions and leases are the cluster's;
#   - kill -9 of m5's upstream, SIGSTOP of the next one, a compaction past
#     m5's revision while m5 is stopped: no event lost or doubled;
#   - kill -9 of m5 itself: it resumes from its stored index, no copy;
#   - a mirror that fell behind the members' feeds (--mirror-feed-bytes)
#     is resynchronised by a snapshot, and its mount gets the difference
#     as events, each created file once;
#   - a mirror of m5 on 127.0.0.7 (as on another host), mounted, its events;
#     endpoint status --cluster and /metrics show every mirror with its
#     upstream, applied index and lag.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
FEED=(--mirror-feed-bytes 65536)
for n in 1 2 3; do node_start $n "${FEED[@]}"; done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
peer() { echo "http://127.0.0.1:${T_PPORT[$1]}"; }
mkdir -p "$T_DIR/m4" "$T_DIR/m5" "$T_DIR/m6"
unmount_all() {
    for m in m4 m5 m6 m7; do umount -l "$T_DIR/$m" 2>/dev/null; done
    for p in ${INW_PIDS:-}; do kill "$p" 2>/dev/null; done
    for n in 1 2 3; do kill -CONT "${T_PIDS[$n]:-0}" 2>/dev/null; done
    cleanup
}
trap unmount_all EXIT
INW_PIDS=""
# mirror N UPSTREAMS: a mirror member on node N's ports, mounted at mN
mirror() {
    node_ports "$1"
    T_CLUSTER="n$1=http://127.0.0.1:${T_PPORT[$1]}" node_start "$1" --mirror-of "$2" --mount "$T_DIR/m$1" "${FEED[@]}"
}
put ${T_CPORT[1]} /fleet/first 1 >/dev/null
mirror 4 "$(peer 1),$(peer 2)"
check "mirror m4 serves" wait_until 20 healthy ${T_CPORT[4]}
# m5's second upstream, stopped later: a follower (stopping the leader
# would fail the writes made meanwhile, not the mirror)
L=$(leader_node)
F=3; [ "$L" = 3 ] && F=2
node_ports 4
mirror 5 "$(peer 4),$(peer $F)"
check "mirror m5 (of m4) serves" wait_until 20 healthy ${T_CPORT[5]}
check "m5 mounted" wait_until 10 mountpoint -q "$T_DIR/m5"
expect_eq "a key written before m5 started reads on its mount" "1" "$(cat "$T_DIR/m5/fleet/first" 2>&1)"

# inotify on m5 for the whole run: each file created once
timeout 600 inotifywait -q -m -e create,close_write,delete --format '%e %f' "$T_DIR/m5/fleet" >"$T_DIR/events" 2>/dev/null &
INW_PIDS="$INW_PIDS $!"
sleep 0.5
for i in $(seq 1 20); do put ${T_CPORT[2]} /fleet/a$i v$i >/dev/null; done
sleep 1
expect_eq "20 puts on n2: 20 creates on m5's mount within a second" "20" "$(grep -c '^CREATE a' "$T_DIR/events")"
expect_eq "... and 20 close-writes" "20" "$(grep -c '^CLOSE_WRITE,CLOSE a' "$T_DIR/events")"

# linearizable reads on m5 right after a write returned on n1
bad=0
for i in $(seq 1 1000); do
    put ${T_CPORT[1]} /lin/k "v$i" >/dev/null
    [ "$(getv ${T_CPORT[5]} /lin/k)" = "v$i" ] || bad=$((bad + 1))
done
expect_eq "1,000 rounds: put on n1, linearizable get on m5, never stale" "0" "$bad"

# writes through the mirror
echo viamount >"$T_DIR/m5/fleet/w1"
expect_eq "a write on m5's mount reads on n3 at once" "viamount" "$(getv ${T_CPORT[3]} /fleet/w1)"
put ${T_CPORT[5]} /fleet/w2 viaapi >/dev/null
expect_eq "a put on m5's API reads on n1 at once" "viaapi" "$(getv ${T_CPORT[1]} /fleet/w2)"
lease=$(jfield "$(api ${T_CPORT[5]} /v3/lease/grant '{"TTL":60}')" ID)
check "a lease granted through m5" test -n "$lease"
api ${T_CPORT[5]} /v3/kv/put "{\"key\":\"$(b64 /fleet/leased)\",\"value\":\"$(b64 x)\",\"lease\":\"$lease\"}" >/dev/null
strip() { sed 's/"member_id":"[0-9]*",//; s/"raft_term":"[0-9]*"//'; }
a=$(api ${T_CPORT[1]} /v3/kv/range "{\"key\":\"$(b64 /)\",\"range_end\":\"$(b64 0)\"}" | strip)
b=$(api ${T_CPORT[5]} /v3/kv/range "{\"key\":\"$(b64 /)\",\"range_end\":\"$(b64 0)\"}" | strip)
expect_eq "m5's keys, revisions, versions and leases are n1's" "$a" "$b"
ttl=$(jfield "$(api ${T_CPORT[5]} /v3/lease/timetolive "{\"ID\":\"$lease\"}")" grantedTTL)
expect_eq "the lease's TTL through m5" "60" "$ttl"

# kill -9 of m5's upstream (m4): m5 moves on, nothing lost or doubled
node_kill9 4
umount -l "$T_DIR/m4" 2>/dev/null
for i in $(seq 1 20); do put ${T_CPORT[1]} /fleet/b$i v$i >/dev/null; done
expect_eq "after m4's kill -9, a put on n1 reads on m5 (linearizable)" "v20" "$(getv ${T_CPORT[5]} /fleet/b20)"
# m4 again: resumes from its stored index
mirror 4 "$(peer 1),$(peer 2)"
check "m4 restarted after kill -9 serves" wait_until 20 healthy ${T_CPORT[4]}
expect_match "... resuming after its stored index (no copy)" "streaming from 127.0.0.1:[0-9]+ after index [1-9]" "$(grep 'streaming from' "$T_DIR/n4.log" | tail -n 1)"
check "... without a snapshot" bash -c "! grep -q 'replaced by a snapshot' '$T_DIR/n4.log'"
expect_eq "m4 has what was written while it was down" "v20" "$(getv ${T_CPORT[4]} /fleet/b20 true)"

# SIGSTOP of m5's current upstream (n$F): m5 moves on after its silence
kill -STOP "${T_PIDS[$F]}"
ok=0
for i in $(seq 1 20); do put ${T_CPORT[$L]} /fleet/c$i v$i | grep -q revision && ok=$((ok + 1)); done
expect_eq "with n$F stopped, 20 puts on the leader succeed" "20" "$ok"
check "with n$F stopped, m5 catches up within 5 s" wait_until 5 bash -c "[ \"\$(curl -s -m 1 -X POST http://127.0.0.1:${T_CPORT[5]}/v3/kv/range -d '{\"key\":\"$(b64 /fleet/c20)\",\"serializable\":true}' | grep -o '\"value\":\"[^\"]*\"')\" = '\"value\":\"$(b64 v20)\"' ]"
kill -CONT "${T_PIDS[$F]}"

# a compaction past m5's revision while m5 is stopped
kill -STOP "${T_PIDS[5]}"
for i in $(seq 1 20); do put ${T_CPORT[2]} /fleet/d$i v$i >/dev/null; done
rev=$(revision ${T_CPORT[2]})
api ${T_CPORT[2]} /v3/kv/compaction "{\"revision\":\"$rev\"}" >/dev/null
kill -CONT "${T_PIDS[5]}"
expect_eq "after a compaction past its revision, m5 reads the last put" "v20" "$(getv ${T_CPORT[5]} /fleet/d20)"
sleep 1
for p in a b c d; do
    expect_eq "m5's mount: each /fleet/$p* file created once" "20" "$(grep -c "^CREATE $p[0-9]*$" "$T_DIR/events")"
done
expect_eq "m5's mount: no file created twice" "" "$(grep '^CREATE' "$T_DIR/events" | sort | uniq -d)"

# kill -9 of m5: it resumes from its stored index
node_kill9 5
umount -l "$T_DIR/m5" 2>/dev/null
put ${T_CPORT[1]} /fleet/e1 after-kill >/dev/null
mirror 5 "$(peer 4),$(peer $F)"
check "m5 restarted after kill -9 serves" wait_until 20 healthy ${T_CPORT[5]}
check "... and mounted" wait_until 10 mountpoint -q "$T_DIR/m5"
expect_match "... resuming after its stored index" "after index [1-9]" "$(grep 'streaming from' "$T_DIR/n5.log" | tail -n 1)"
expect_eq "... with the write made while it was dead" "after-kill" "$(cat "$T_DIR/m5/fleet/e1" 2>&1)"

# a mirror behind the feeds: a snapshot, and its mount gets the difference
mirror 6 "$(peer 1)"
check "m6 serves" wait_until 20 healthy ${T_CPORT[6]}
check "m6 mounted" wait_until 10 mountpoint -q "$T_DIR/m6"
timeout 600 inotifywait -q -m -e create,close_write,delete --format '%e %f' "$T_DIR/m6/fleet" >"$T_DIR/events6" 2>/dev/null &
INW_PIDS="$INW_PIDS $!"
sleep 0.5
kill -STOP "${T_PIDS[6]}"
for i in $(seq 1 400); do put ${T_CPORT[1]} /fleet/s$i "value-$i-$(printf '%0100d' 0)" >/dev/null; done
api ${T_CPORT[1]} /v3/kv/deleterange "{\"key\":\"$(b64 /fleet/a1)\"}" >/dev/null
kill -CONT "${T_PIDS[6]}"
expect_match "m6 behind the feed (64 KiB) reads the last put" "^value-400-" "$(getv ${T_CPORT[6]} /fleet/s400)"
check "... after a snapshot" grep -q 'replaced by a snapshot' "$T_DIR/n6.log"
sleep 1.5
expect_eq "m6's mount: each of the 400 new files created once" "400" "$(grep -c '^CREATE s[0-9]*$' "$T_DIR/events6")"
expect_eq "... and the deleted one deleted once" "1" "$(grep -c '^DELETE a1$' "$T_DIR/events6")"
expect_eq "... and nothing else created" "400" "$(grep -c '^CREATE' "$T_DIR/events6")"
expect_eq "m6's file reads as n1's key" "$(getv ${T_CPORT[1]} /fleet/s200)" "$(cat "$T_DIR/m6/fleet/s200" 2>&1)"

# a mirror of m5 on an address of its own, as on another host: 127.0.0.7
H7=127.0.0.7
node_ports 7
mkdir -p "$T_DIR/m7"
T_HOST=$H7 T_CLUSTER="n7=http://$H7:${T_PPORT[7]}" node_start 7 --mirror-of "$(peer 5)" --mount "$T_DIR/m7"
check "m7 (of m5, on $H7) serves" wait_until 20 bash -c "curl -sf -m 2 http://$H7:${T_CPORT[7]}/health | grep -q true"
check "m7 mounted" wait_until 10 mountpoint -q "$T_DIR/m7"
put ${T_CPORT[1]} /fleet7/first 1 >/dev/null
check "m7 sees a put on n1" wait_until 5 test -e "$T_DIR/m7/fleet7/first"
timeout 60 inotifywait -q -m -e create,close_write,delete --format '%e %f' "$T_DIR/m7/fleet7" >"$T_DIR/events7" 2>/dev/null &
INW_PIDS="$INW_PIDS $!"
sleep 0.5
for i in $(seq 1 10); do put ${T_CPORT[3]} /fleet7/x$i v$i >/dev/null; done
api ${T_CPORT[2]} /v3/kv/deleterange "{\"key\":\"$(b64 /fleet7/x1)\"}" >/dev/null
sleep 1
expect_eq "10 puts and a delete on the cluster: on m7's mount (depth 3) within a second" "10 10 1" \
    "$(grep -c '^CREATE x' "$T_DIR/events7") $(grep -c '^CLOSE_WRITE,CLOSE x' "$T_DIR/events7") $(grep -c '^DELETE x1$' "$T_DIR/events7")"
got=$(curl -s -m 5 -X POST "http://$H7:${T_CPORT[7]}/v3/kv/range" -d "{\"key\":\"$(b64 /fleet7/x10)\"}" | grep -o '"value":"[^"]*"')
expect_eq "a linearizable get on m7 right after" "\"value\":\"$(b64 v10)\"" "$got"

# the fleet view: endpoint status --cluster lists the mirrors below the
# members, each with its upstream, revision and lag
view=$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" endpoint status --cluster -w table 2>&1)
echo "$view" | sed 's/^/#   /'
expect_eq "endpoint status --cluster: the 3 members" "3" "$(echo "$view" | grep -c "127.0.0.1:1[123]379")"
for m in 4 5 6; do
    expect_match "... and mirror n$m" "\| *http://127.0.0.1:${T_CPORT[$m]} *\| *n$m *\|" "$view"
done
expect_match "... and n7 on $H7 with its upstream (n5) and lag" "\| *http://$H7:${T_CPORT[7]} *\| *n7 *\| *127.0.0.1:${T_PPORT[5]} *\| *[0-9]+ *\| *[0-9]+ *\| *[0-9]+ *\|" "$view"
js=$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" endpoint status --cluster -w json 2>&1)
expect_eq "... as JSON: 7 rows, 4 with a mirror" "7 4" "$(echo "$js" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d), sum(1 for r in d if "mirror" in r["Status"]))' 2>&1)"
m7=$(curl -s -m 5 "http://$H7:${T_CPORT[7]}/metrics")
expect_match "m7's /metrics: its upstream" "etcfs_mirror_upstream_info\{upstream=\"127.0.0.1:${T_PPORT[5]}\"\} 1" "$m7"
expect_match "... its applied index and lag" "etcfs_mirror_applied_index [1-9][0-9]*.*etcfs_mirror_lag_entries [0-9]+" "$(echo $m7)"
m5=$(curl -s -m 5 "http://127.0.0.1:${T_CPORT[5]}/metrics")
expect_match "m5's /metrics: m7 streams from it" "etcfs_mirror_downstream_sent_index\{name=\"n7\",peer_url=\"http://$H7:${T_PPORT[7]}\"\} [1-9]" "$m5"
node_stop 7
umount -l "$T_DIR/m7" 2>/dev/null

st=$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[5]}" member list 2>&1)
expect_eq "member list on a mirror: the 3 members" "3" "$(echo "$st" | grep -c started)"
for n in 6 5 4; do node_stop $n; done
for n in 1 2 3; do node_stop $n; done
finish
