#!/bin/bash
# Debian's etcdctl 3.4 (gRPC) against etcfsd and against the reference etcd
# 3.4, byte for byte (issue 14's first acceptance point).
#
# compare.sh's case list (every etcdctl command of the seeds and of
# etcfsctl's matrix: put/get with ranges, --prefix, --limit, --keys-only,
# --print-value-only, --rev, --sort-by; del --prefix/--prev-kv; txn and
# txn -i; compaction; watch --prefix/-i/--rev/--prev-kv; lease
# grant/revoke/keep-alive (--once)/timetolive --keys/list; member
# list/add/remove/promote/update; endpoint status/health (--cluster);
# snapshot save; move-leader; the user/role/auth session), plus the cases
# below that only a gRPC client reaches (-w table everywhere, alarm, defrag,
# snapshot status on a saved file, hashkv, lock and elect), is run with the
# same client, $ETCDCTL (default etcdctl), twice: once against a fresh
# reference etcd ($ETCD) and once against a fresh single-member etcfsd
# ($ETCFSD, default build/etcfsd) started with the same name, URLs and token
# (compare.sh's start_server), so member and cluster ids and revisions are
# the same. stdout, stderr and exit code of every case must match after
# compare.sh's normalization (lease and member ids, took=, remaining TTLs,
# db sizes and raft indexes where flagged, the server's version string and
# raft term), except what is listed under "differences" below (each with
# its reason; the rest of the output must still match). Every etcdctl call
# runs under `timeout $CTL_TIMEOUT` (20 s): a server that never answers
# fails the case instead of hanging the run.
#
# ETCFS_REFERENCE_ONLY=1: both phases against etcd (validates the case list
# and the normalization: every case must then pass with no difference).
# Prints "N passed, M failed" last; exits 1 on any failure.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ETCDCTL=${ETCDCTL:-etcdctl}
CTL_TIMEOUT=${CTL_TIMEOUT:-20}
export SERVER=etcfsd
# compare.sh wants an etcfsctl only in its own runs; etcdctl is the client
# of both phases here
export ETCFSCTL=${ETCFSCTL:-/bin/true}
COMPARE_SOURCED=1
# shellcheck source=compare.sh
source "$HERE/compare.sh"

# ---- cases only a gRPC client reaches ---------------------------------------
# (run after compare.sh's list: auth is off again, the server was restarted
# once by watch-server-restart.)
t g-put-table - '$CTL put gt 1 -w table && $CTL put gt 2 --prev-kv -w table'
t g-get-table - '$CTL get gt -w table && $CTL get g --prefix --keys-only -w table'
t g-get-prefix-limit-sort - 'for i in 3 1 2; do $CTL put gs$i v$((4 - i)) >/dev/null || break; done; $CTL get gs --prefix --limit 2 --sort-by=VALUE; $CTL get gs --prefix --limit 1 --sort-by=MODIFY --order=DESCEND -w json; $CTL get gs --prefix --print-value-only --order=DESCEND'
t g-get-rev-table - 'R=$($CTL get gt -w json | sed "s/.*\"mod_revision\":\([0-9]*\).*/\1/"); $CTL get gt --rev $((R - 1)) -w table'
t g-del-table - '$CTL del gt --prev-kv -w table; $CTL del gs --prefix -w json'
t g-txn-table - 'printf "mod(\"gt\") = \"0\"\n\nput gt x\n\n\n" | $CTL txn -w table'
t g-txn-interactive-json - 'printf "value(\"gt\") = \"x\"\n\nget gt\ndel gt --prev-kv\n\nput gt y\n\n" | $CTL txn -i -w json'
t g-compaction-table - 'R=$($CTL put gc 1 -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); $CTL compaction $R -w table; $CTL get gc --rev $((R - 1))'
t g-watch-rev-prevkv - 'R=$($CTL put gw a -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); $CTL put gw b >/dev/null; $CTL del gw >/dev/null; $CTL watch gw --rev $R --prev-kv -w json > $T/gw1.out 2>&1 & WP=$!; sleep 1; kill -TERM $WP; wait $WP; cat $T/gw1.out; true'
t g-watch-prefix-many - 'R=$($CTL put gm/0 x -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); for i in $(seq 1 30); do $CTL put gm/$i v$i >/dev/null || break; done; $CTL watch gm/ --prefix --rev $R > $T/gw2.out 2>&1 & WP=$!; sleep 1.5; kill -TERM $WP; wait $WP; cat $T/gw2.out; true'
t g-watch-interactive-rev - 'R=$($CTL put gi a -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); { echo "watch gi --rev $R --prev-kv"; echo "watch gj --prefix"; sleep 2; } | $CTL watch -i > $T/gw3.out 2>&1 & WP=$!; sleep 1; $CTL put gi b >/dev/null; $CTL put gjx c >/dev/null; wait $WP; echo rc=$?; cat $T/gw3.out'
t g-lease-table - 'LG=$($CTL lease grant 300 | awk "{print \$2}"); $CTL lease grant 300 -w table >/dev/null; $CTL put gl v --lease=$LG >/dev/null; $CTL lease list -w table; $CTL lease keep-alive --once $LG -w table; $CTL lease revoke $LG -w table; $CTL get gl'
t g-lease-ttl-table ttl 'LG=$($CTL lease grant 300 | awk "{print \$2}"); $CTL put gl2 v --lease=$LG >/dev/null; $CTL lease timetolive $LG --keys -w table; $CTL lease revoke $LG >/dev/null'
t g-lease-list-cleanup - 'for l in $($CTL lease list | tail -n +2); do $CTL lease revoke $l >/dev/null; done; $CTL lease list -w json'
# (not -w fields: etcdctl 3.4.23's fields printer panics on alarm list)
t g-alarm-list - '$CTL alarm list; $CTL alarm list -w json; $CTL alarm list -w table'
t g-alarm-disarm - '$CTL alarm disarm; $CTL alarm disarm -w json'
t g-defrag - '$CTL defrag; $CTL defrag -w json; $CTL defrag --cluster'
t g-defrag-dead - '$BIN --endpoints $EP,$DEAD --command-timeout=1s defrag'
t g-endpoint-status-table-cluster db '$CTL endpoint status --cluster -w json'
t g-endpoint-health-cluster-json - '$CTL endpoint health --cluster -w json | sed -E "s/\"took\":\"[^\"]*\"/\"took\":\"<DUR>\"/g"'
# the hash of endpoint hashkv is etcd's CRC of its bolt keyspace (and of
# what compaction left); etcfsd computes the same CRC over the same bytes,
# but the keys of this case list carry lease ids, which each server picks
# at random: the revision in the JSON must match, the number itself cannot
t g-endpoint-hashkv - '$CTL endpoint hashkv | sed -E "s/, [0-9]+$/, <HASH>/"; $CTL endpoint hashkv -w json | sed -E "s/\"hash\":[0-9]+/\"hash\":<HASH>/"'
t g-member-list-cluster - '$BIN --endpoints $EP member list -w table && $CTL member list --hex -w json'
t g-move-leader-table - 'ID=$($CTL member list | cut -d, -f1); $CTL move-leader $ID -w table'
# snapshot status reads the saved file as a bolt database: hash and size
# are the file's own bytes; the revision and the key count must match
t g-snapshot-status - '$CTL snapshot save $T/g.db >/dev/null && for w in simple json table fields; do $BIN snapshot status $T/g.db -w $w | sed -E -e "s/^[0-9a-f]+, ([0-9]+), ([0-9]+), [0-9.]+ [kMG]?B$/<HASH>, \1, \2, <SIZE>/" -e "s/\"hash\":[0-9]+/\"hash\":<HASH>/" -e "s/\"totalSize\":[0-9]+/\"totalSize\":<SIZE>/" -e "s/^\| +[0-9a-f]+ \| +([0-9]+) \| +([0-9]+) \| +[0-9.]+ [kMG]?B \|$/| <HASH> | \1 | \2 | <SIZE> |/" -e "s/^\"(Hash|Size)\" : [0-9]+/\"\1\" : <N>/" -e "s/^\+-+\+/+<HASH-WIDTH>+/" -e "s/^\| +HASH +\|/| HASH |/"; done'
t g-snapshot-save-msg - '$CTL snapshot save $T/g2.db 2>&1 | sed -E -e "s/[0-9.]+ [kMG]?B/<SIZE>/" -e "s|$T|<T>|"'
t g-lock - '$CTL lock glock echo locked; $CTL get glock --prefix'
t g-lock-contended - '$CTL lock glk -- sh -c "sleep 1; echo first" & LP=$!; sleep 0.4; $CTL lock glk echo second; wait $LP; $CTL get glk --prefix'
t g-elect - '$CTL elect gel proposal1 > $T/ge.out 2>&1 & EP1=$!; sleep 1; $CTL get gel --prefix --print-value-only; $CTL elect -l gel > $T/ge2.out 2>&1 & EP2=$!; sleep 1; kill -TERM $EP1 $EP2; wait $EP1 $EP2; sed -E "s|^gel/[0-9a-f]+$|gel/<KEY>|" $T/ge.out $T/ge2.out; $CTL get gel --prefix'
t g-put-large - 'head -c 100000 /dev/zero | tr "\0" "a" | $CTL put gbig && $CTL get gbig --print-value-only | wc -c && $CTL del gbig'
t g-put-too-large - 'head -c 1600000 /dev/zero | tr "\0" "a" | $CTL put gbig2; $CTL get gbig2 -w json'
t g-version - '$BIN version'
NCASES=${#NAMES[@]}

# ---- differences: what etcfsd answers differently on purpose -----------------
# server_differ NAME REASON SED (compare.sh): SED rewrites etcd's
# normalized output of NAME into etcfsd's; it must change something.
# (compare.sh's own list applies here too: a member keeps only its first
# peer URL.)

# etcfs's bbolt snapshot holds no members / members_removed records
# (membership lives in Raft's log and snapshots; etcdctl snapshot restore
# writes its own) and authEnabled only while auth is on: in this case list
# (one member, a learner added and removed, auth enabled then disabled)
# that is 3 keys fewer in snapshot status's TOTAL KEYS
server_differ g-snapshot-status 'no members/members_removed records; authEnabled only while on (3 keys fewer)' \
    's/, 120, 70, /, 120, 67, /; s/"totalKey":70,/"totalKey":67,/; s/\| 120 \| 70 \|/| 120 | 67 |/; s/"Keys" : 70/"Keys" : 67/'

if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then
    SKIP=()
    DIFF_WHY=()
    DIFF_SED=()
fi

if ! command -v "$ETCDCTL" >/dev/null; then
    echo "etcdctl_compare.sh: $ETCDCTL not found (Debian's etcd-client)" >&2
    exit 1
fi
LABEL_A=etcd
CLIENT="timeout $CTL_TIMEOUT $ETCDCTL"
run_phase "$CLIENT" "$WORK/ref" etcd
if [ "${ETCFS_REFERENCE_ONLY:-0}" = 1 ]; then
    LABEL_B=etcd-again
    run_phase "$CLIENT" "$WORK/srv" etcd
else
    if [ ! -x "$ETCFSD" ]; then
        echo "etcdctl_compare.sh: $ETCFSD not found (build it first)" >&2
        exit 1
    fi
    LABEL_B=etcfsd
    run_phase "$CLIENT" "$WORK/srv" etcfsd
fi
normalize_phase "$WORK/ref"
normalize_phase "$WORK/srv"
# compare_phases drops cobra's usage dump (stdout, flag errors) on the
# reference side only, as etcfsctl prints none; here both sides are etcdctl
for f in "$WORK/srv"/out/*.out.norm; do
    if head -n1 "$f" | grep -q -e '^NAME:' -e '^Usage:'; then
        : >"$f"
    fi
done
compare_phases "$WORK/ref" "$WORK/srv"
if [ $FAIL -gt 0 ]; then
    echo "failed: ${FAILED[*]}"
fi
echo "$DIFFERED of the passed differ as documented, $SKIPPED skipped"
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
