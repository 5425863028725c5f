#!/bin/bash
# etcd's auto-compaction, decided by the leader and applied by every
# member at the same entry:
#   - revision mode (retention 10, checked every second): after a burst,
#     every member's compact revision is the current revision minus 10;
#   - periodic mode with a test-sized period (2s): the compact revision
#     follows the revision of about one period ago, on every member;
#   - a write loop that overwrites one key with 12 KiB values under a
#     6 MiB quota keeps running (without compaction it hits NOSPACE after
#     ~500 writes: etcd's bbolt reuses freed pages, etcfs has LevelDB
#     compact the span the compaction deleted).
source "$(dirname "$0")/../lib.sh"

compact_rev() { jfield "$(api "$1" /v3/maintenance/hashkv '{"revision":"0"}')" compact_revision; }

T_MEMBERS="1 2 3"
for n in 1 2 3; do
    node_start $n --auto-compaction-mode revision --auto-compaction-retention 10 --auto-compaction-interval 1s
done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
for i in $(seq 1 60); do put ${T_CPORT[$(( (i % 3) + 1 ))]} /ac/k$((i % 7)) v$i >/dev/null; done
rev=$(revision ${T_CPORT[1]})
check "revision mode: the leader compacts within 2 s" wait_until 3 bash -c "[ \"\$(curl -s -m 2 -X POST http://127.0.0.1:${T_CPORT[1]}/v3/maintenance/hashkv -d '{\"revision\":\"0\"}' | grep -o '\"compact_revision\":\"[0-9]*\"' | grep -o '[0-9]\+')\" = $((rev - 10)) ]"
for n in 1 2 3; do
    expect_eq "... n$n's compact revision is the current ($rev) minus 10" "$((rev - 10))" "$(compact_rev ${T_CPORT[$n]})"
done
out=$(api ${T_CPORT[2]} /v3/kv/range "{\"key\":\"$(b64 /ac/k1)\",\"revision\":\"$((rev - 11))\"}")
expect_match "... a read below it says compacted" "required revision has been compacted" "$out"
out=$(api ${T_CPORT[3]} /v3/kv/range "{\"key\":\"$(b64 /ac/k1)\",\"revision\":\"$((rev - 10))\"}")
expect_match "... a read at it is served" '"revision":"' "$out"
check "... the leader logged it" bash -c "grep -h 'auto-compaction: compacted to revision $((rev - 10))' '$T_DIR'/n[123].log | grep -q ."

# quota: 6 MiB, 1,000 overwrites of 12 KiB (12 MiB of history)
for n in 1 2 3; do node_stop $n; done
rm -rf "$T_DIR"/n[123].etcfs
for n in 1 2 3; do
    node_start $n --auto-compaction-mode revision --auto-compaction-retention 5 --auto-compaction-interval 200ms --quota-backend-bytes 6291456
done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy (quota)"; done
big=$(head -c 12288 /dev/zero | tr '\0' 'x')
ok=0; nospace=0
for i in $(seq 1 1000); do
    r=$(api ${T_CPORT[1]} /v3/kv/put "{\"key\":\"$(b64 /ac/big)\",\"value\":\"$(b64 "$i$big")\"}")
    case $r in *revision*) ok=$((ok + 1)) ;; *space*) nospace=$((nospace + 1)) ;; esac
done
echo "# $ok of 1000 writes acknowledged, $nospace refused with NOSPACE"
expect_eq "a 1,000-write loop over a 6 MiB quota keeps running with auto-compaction" "1000 0" "$ok $nospace"
for n in 1 2 3; do node_stop $n; done

# periodic mode, a 2 s period
rm -rf "$T_DIR"/n[123].etcfs
for n in 1 2 3; do node_start $n --auto-compaction-retention 2s; done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy (periodic)"; done
for i in $(seq 1 20); do put ${T_CPORT[1]} /ac/p$i v >/dev/null; done
ra=$(revision ${T_CPORT[1]})
sleep 2.5
for i in $(seq 1 20); do put ${T_CPORT[2]} /ac/q$i v >/dev/null; done
rb=$(revision ${T_CPORT[1]})
check "periodic (2s): the compact revision reaches the revision of 2.5 s ago ($ra) within 4 s" wait_until 4 bash -c "c=\$(curl -s -m 2 -X POST http://127.0.0.1:${T_CPORT[1]}/v3/maintenance/hashkv -d '{\"revision\":\"0\"}' | grep -o '\"compact_revision\":\"[0-9]*\"' | grep -o '[0-9]\+'); [ \"\${c:-0}\" -ge $ra ]"
c1=$(compact_rev ${T_CPORT[1]})
check "... and keeps the last period: below the latest writes ($rb)" test "${c1:-0}" -lt "$rb"
for n in 2 3; do expect_eq "... n$n compacted at the same revision" "$c1" "$(compact_rev ${T_CPORT[$n]})"; done
for n in 1 2 3; do node_stop $n; done
finish
