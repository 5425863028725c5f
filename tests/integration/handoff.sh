#!/bin/bash
# A leader stopped by SIGTERM hands leadership over first (as etcd 3.4
# does): a put sent right after the signal, through another member,
# succeeds without an error, five restarts in a row (each right after 300
# deletes, whose tidying ends during the handoff); the member that stops
# says so in its log and exits cleanly; a one-member cluster stops at once.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n; done
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
for round in 1 2 3 4 5; do
    L=$(leader_node)
    F=1; [ "$L" = 1 ] && F=2
    pid=${T_PIDS[$L]}
    # 300 keys deleted right before the signal: the store's tidying runs
    # on the pool and ends during the handoff (a work ending then used to
    # let the close go on under the handoff: an abort at SIGTERM)
    for i in $(seq 1 300); do put ${T_CPORT[$L]} /tidy/r$round/k$i v >/dev/null; done
    api ${T_CPORT[$L]} /v3/kv/deleterange "{\"key\":\"$(b64 /tidy/r$round/)\",\"range_end\":\"$(b64 /tidy/r${round}0)\"}" >/dev/null
    t0=$(date +%s%N)
    kill -TERM "$pid"
    out=$(curl -s -m 10 -X POST "http://127.0.0.1:${T_CPORT[$F]}/v3/kv/put" -d "{\"key\":\"$(b64 /h/$round)\",\"value\":\"$(b64 v$round)\"}")
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "# round $round: leader n$L got SIGTERM, a put through n$F answered in $ms ms"
    expect_match "round $round: a put through n$F right after leader n$L's SIGTERM succeeds" '"revision":"[0-9]+"' "$out"
    node_stop "$L"
    expect_match "... n$L handed leadership over before stopping" "handed leadership over" "$(cat "$T_DIR/n$L.log")"
    expect_eq "... and the value reads on n$F at once" "v$round" "$(getv ${T_CPORT[$F]} /h/$round)"
    node_start "$L"
    check "... n$L back" wait_until 20 healthy ${T_CPORT[$L]}
done
for n in 1 2 3; do node_stop $n; done

# one member: nothing to hand over, it stops at once
T_MEMBERS="4"
node_start 4
check "a one-member cluster serves" wait_until 20 healthy ${T_CPORT[4]}
t0=$(date +%s%N)
node_stop 4
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "... and stops within a second of SIGTERM ($ms ms)" test "$ms" -lt 1000
check "... without trying to hand over" bash -c "! grep -q 'handing leadership' '$T_DIR/n4.log'"
finish
