#!/bin/bash
# Compares etcfsctl with the reference etcdctl 3.4, byte for byte; with
# SERVER=etcfsd, compares etcfsd with the reference etcd 3.4 instead.
#
# Starts a reference etcd (127.0.0.1:12379 client, :12380 peer) in a
# temporary directory, runs the case list below with etcdctl, then restarts a
# fresh etcd (same name, URLs and token, so the same member and cluster ids
# and the same revisions) and runs the same list with etcfsctl ($ETCFSCTL,
# default /tmp/etcfsctl). For every case stdout, stderr and the exit code
# must match after normalization: values that legitimately vary between two
# runs (lease ids, ids of members added at run time, took= durations,
# remaining TTLs) become placeholders numbered in order of appearance,
# etcd's client log lines ({"level":...}) and cobra's usage dumps are
# dropped, and "etcdctl" reads "etcfsctl". A few self-checks against fixed
# expected output cover what etcd cannot serve (etcfs snapshot files,
# version, etcd 3.5's auth status against a stand-in gateway). Prints "N
# passed, M failed" last; exits 1 on any failure.
#
# SERVER=etcfsd (tests/ctl/server_compare.sh): the same case list twice with
# etcfsctl, once against the reference etcd and once against a fresh
# single-member etcfsd ($ETCFSD, default build/etcfsd) started with the same
# name, URLs and token (and --bcrypt-cost 4: only hashing time differs).
# Besides the ids above, the server's own version string and raft term are
# normalized. What etcfs does differently on purpose is listed after the
# cases (server_differ: a rewrite of etcd's output into etcfsd's, with the
# reason; the rest of the output must still match), and what etcd alone can
# serve is skipped (server_skip, with the reason); both are printed.
# Only what it started (the etcd or etcfsd, the stand-in gateway) is
# stopped, by PID, on any exit.
set -u

ETCFSCTL=${ETCFSCTL:-/tmp/etcfsctl}
ETCDCTL=${ETCDCTL:-etcdctl}
ETCD=${ETCD:-etcd}
ETCFSD=${ETCFSD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/etcfsd}
SERVER=${SERVER:-}
EP=127.0.0.1:12379
DEAD=127.0.0.1:12399
export ETCDCTL_API=3
unset ETCDCTL_ENDPOINTS ETCFSCTL_ENDPOINTS ETCDCTL_WRITE_OUT ETCFSCTL_WRITE_OUT \
    ETCDCTL_WATCH_KEY ETCDCTL_WATCH_RANGE_END

# One run at a time: the reference etcd always uses the same ports.
exec 9>/tmp/etcfsctl-compare.lock
if ! flock -w 900 9; then
    echo "compare.sh: another run holds /tmp/etcfsctl-compare.lock" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/ctlcompare.XXXXXX)
SRV_PID=
SRV=etcd
FAKE_PID=
VERBOSE=${VERBOSE:-0}

cleanup()
{
    if [ -n "$FAKE_PID" ]; then
        kill "$FAKE_PID" 2>/dev/null
        wait "$FAKE_PID" 2>/dev/null
        FAKE_PID=
    fi
    stop_server
    if [ "${KEEP:-0}" != 1 ]; then
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server DIR: starts $SRV (etcd or etcfsd) on DIR (a fresh directory
# makes a fresh single-member cluster, an existing one restarts it) and
# waits until it is healthy. Its PID is the server's own.
start_server()
{
    local dir=$1
    if curl -s -m 1 http://$EP/health >/dev/null 2>&1; then
        echo "compare.sh: something already listens on $EP; stop it first" >&2
        exit 1
    fi
    local urls=(--name ref --data-dir "$dir"
        --listen-client-urls http://127.0.0.1:12379 --advertise-client-urls http://127.0.0.1:12379
        --listen-peer-urls http://127.0.0.1:12380 --initial-advertise-peer-urls http://127.0.0.1:12380
        --initial-cluster ref=http://127.0.0.1:12380 --initial-cluster-token etcd-cluster)
    if [ "$SRV" = etcfsd ]; then
        "$ETCFSD" "${urls[@]}" --bcrypt-cost 4 >>"$dir.log" 2>&1 &
    else
        "$ETCD" "${urls[@]}" >>"$dir.log" 2>&1 &
    fi
    SRV_PID=$!
    for _ in $(seq 1 100); do
        if curl -s -m 1 http://$EP/health 2>/dev/null | grep -q '"health":"true"'; then
            return 0
        fi
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "compare.sh: $SRV did not start (see $dir.log)" >&2
    KEEP=1
    exit 1
}

# Stops the server by PID: SIGTERM, SIGKILL after 10 s.
stop_server()
{
    [ -n "$SRV_PID" ] || return 0
    kill "$SRV_PID" 2>/dev/null
    for _ in $(seq 1 200); do
        kill -0 "$SRV_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -9 "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=
}

# ---- the cases -------------------------------------------------------------
# t NAME FLAGS COMMAND: COMMAND is eval'ed in the runner's shell with $CTL
# (the tool with --endpoints) and $BIN (the bare tool); $T is a per-phase
# scratch directory. FLAGS: "-" or a comma list of
#   ttl     normalize TTL values (remaining time varies)
#   squeeze collapse runs of blanks and dashes (tables with durations)
#   db      normalize database sizes and raft indexes (bolt's file size and
#           etcd's internal proposals depend on timing)
#   sort    sort lines and ETCD_INITIAL_CLUSTER entries (etcd lists members
#           in random order)
#   norc    do not compare the exit code
NAMES=()
FLAGSV=()
CMDS=()
t()
{
    NAMES+=("$1")
    FLAGSV+=("$2")
    CMDS+=("$3")
}

# -- put / get / del
t put - '$CTL put foo bar'
t put-empty-value - '$CTL put empty ""'
t get - '$CTL get foo'
t get-json - '$CTL get foo -w json'
t get-fields - '$CTL get foo -w fields'
t get-value-only - '$CTL get foo --print-value-only'
t get-value-only-json - '$CTL get foo -w json --print-value-only'
t put-prev-kv - '$CTL put foo baz --prev-kv'
t put-prev-kv-json - '$CTL put foo qux --prev-kv -w json'
t put-prev-kv-fields - '$CTL put foo quux --prev-kv -w fields'
t put-ignore-value - '$CTL put foo --ignore-value'
t put-ignore-value-2args - '$CTL put foo x --ignore-value'
t put-keys - 'for n in 1 2 3 4 5; do $CTL put k$n v$((6 - n)) || break; done'
t put-ks - '$CTL put ka va && $CTL put kb vb && $CTL put k2 v2again'
t get-prefix - '$CTL get k --prefix'
t get-prefix-limit-json - '$CTL get k --prefix --limit 2 -w json'
t get-prefix-limit-fields - '$CTL get k --prefix --limit=2 -w fields'
t get-keys-only - '$CTL get k --prefix --keys-only'
t get-range - '$CTL get k1 k4'
t get-from-key - '$CTL get k3 --from-key'
t get-all-sorted - '$CTL get "" --prefix --sort-by=VALUE --order=DESCEND'
t get-sort-modify - '$CTL get k --prefix --sort-by=modify --order=descend'
t get-sort-version - '$CTL get k --prefix --sort-by=VERSION'
t get-sort-create - '$CTL get k --prefix --sort-by=CREATE --order=DESCEND -w json'
t get-order-ascend - '$CTL get k --prefix --order=ASCEND --sort-by=KEY'
t get-rev - '$CTL get k --prefix --rev 4'
t get-future-rev - '$CTL get foo --rev 99999'
t get-serializable - '$CTL get k --prefix --consistency=s'
t get-bad-consistency - '$CTL get foo --consistency=x'
t get-bad-order - '$CTL get foo --order=sideways'
t get-bad-sort - '$CTL get foo --sort-by=size'
t get-prefix-fromkey - '$CTL get k --prefix --from-key'
t get-prefix-2args - '$CTL get k1 k2 --prefix'
t get-noargs - '$CTL get'
t get-table - '$CTL get foo -w table'
t get-bad-format - '$CTL get foo -w yaml'
t get-hex - '$CTL get foo --hex'
t put-hex-prev - '$CTL put foo hexed --prev-kv --hex'
t get-keys-only-json - '$CTL get k --prefix --keys-only -w json'
t put-ignore-lease - '$CTL put foo again --ignore-lease'
t get-missing - '$CTL get nosuchkey'
t get-missing-json - '$CTL get nosuchkey -w json'
t get-from-empty-json - '$CTL get "" --from-key -w json'
t put-stdin - 'printf stdinvalue | $CTL put sk && $CTL get sk'
t put-stdin-multiline - 'printf "line1\nline2\n" | $CTL put ml && $CTL get ml -w json'
t put-dashdash - '$CTL put -- dash -v && $CTL get dash'
t put-no-value - '$CTL put lonely'
t put-bad-lease - '$CTL put k v --lease=zz'
t put-missing-lease - '$CTL put k v --lease=1234'
t put-special - '$CTL put "sp ace" "q\"<>&\\" && $CTL get "sp ace" -w json && $CTL get "sp ace" -w fields'
t put-unicode - '$CTL put ключ значение && $CTL get ключ && $CTL get ключ -w json && $CTL get ключ -w fields'
t put-newline-fields - '$CTL put nl "$(printf "a\tb\001c")" && $CTL get nl -w fields && $CTL get nl --hex'
t del - '$CTL del foo'
t del-missing - '$CTL del foo'
t del-range - '$CTL del k1 k3'
t del-prefix-prev - '$CTL del k --prefix --prev-kv'
t del-json - '$CTL put d1 x && $CTL del d1 --prev-kv -w json'
t del-fields - '$CTL put d1 x && $CTL del d --prefix --prev-kv -w fields'
t del-noargs - '$CTL del'
t del-3args - '$CTL del a b c'
t del-prefix-fromkey - '$CTL del a --prefix --from-key'
t del-from-key - '$CTL put zz1 a && $CTL put zz2 b && $CTL del zz1 --from-key'

# -- txn
t txn-success - 'printf "mod(\"sk\") > \"0\"\nvalue(\"sk\") = \"stdinvalue\"\nversion(\"sk\") = \"1\"\ncreate(\"sk\") != \"0\"\n\nput t1 one\nget sk\ndel nothing\nget k --prefix\n\nput t2 two\n\n" | $CTL txn'
t txn-failure - 'printf "value(\"sk\") = \"other\"\n\nput t1 one\n\nput t2 two --prev-kv\nget t --prefix\n\n" | $CTL txn'
t txn-json - 'printf "mod(\"sk\") > \"0\"\n\nput t1 uno --prev-kv\nget sk\ndel t2 --prev-kv\n\n\n" | $CTL txn -w json'
t txn-fields - 'printf "c(\"sk\") > \"0\"\n\nput t3 tres\nget sk\ndel t1\n\n\n" | $CTL txn -w fields'
t txn-interactive - 'printf "ver(\"sk\") < \"5\"\n\nget sk\n\nput never x\n\n" | $CTL txn -i'
t txn-empty - 'printf "\n\n\n" | $CTL txn -w json'
t txn-quoted - 'printf "val(\"sk\") = \"stdinvalue\"\n\nput \"t q\" \"a b\\\\tc\"\nget \"t q\"\n\n\n" | $CTL txn'
t txn-eof - 'printf "mod(\"sk\") > \"0\"\n\n" | $CTL txn'
t txn-no-newline - 'printf "\n\nput a b" | $CTL txn'
t txn-bad-target - 'printf "xx(\"k1\") > \"0\"\n\n\n" | $CTL txn'
t txn-bad-value - 'printf "mod(\"k1\") > \"a\"\n\n\n" | $CTL txn'
t txn-malformed - 'printf "mod(\"k1\")\n\n\n" | $CTL txn'
t txn-no-paren - 'printf "mod\n\n\n" | $CTL txn'
t txn-bad-op - 'printf "\nfoo k\n\n" | $CTL txn'
t txn-short-op - 'printf "\nput\n\n" | $CTL txn'
t txn-put-no-value - 'printf "\nput k\n\n" | $CTL txn'
t txn-op-bad-flag - 'printf "\nget k --bogus\n\n" | $CTL txn'
t txn-args - '$CTL txn extra </dev/null'
t txn-duplicate - 'printf "\nput dup 1\ndel dup\n\n\n" | $CTL txn'

# -- compaction (revision 20 exists by now)
t compaction - '$CTL compaction 5'
t compaction-again - '$CTL compaction 5'
t compaction-physical - '$CTL compaction 6 --physical'
t compaction-future - '$CTL compaction 100000'
t compaction-bad - '$CTL compaction abc'
t compaction-noargs - '$CTL compaction'
t get-compacted - '$CTL get k --prefix --rev 3'

# -- watch
t watch-simple - '$CTL watch wk > $T/w1.out 2>&1 & WP=$!; sleep 1; $CTL put wk a >/dev/null; $CTL put wk2 b >/dev/null; $CTL del wk >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/w1.out; true'
t watch-prefix-prevkv - '$CTL watch wp --prefix --prev-kv > $T/w2.out 2>&1 & WP=$!; sleep 1; $CTL put wp1 a >/dev/null; $CTL put wp1 b >/dev/null; $CTL del wp1 >/dev/null; $CTL put other x >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/w2.out; true'
t watch-json - '$CTL watch wj -w json > $T/w3.out 2>&1 & WP=$!; sleep 1; $CTL put wj a >/dev/null; $CTL del wj >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/w3.out; true'
t watch-fields - '$CTL watch wf --prev-kv -w fields > $T/w4.out 2>&1 & WP=$!; sleep 1; $CTL put wf a >/dev/null; $CTL put wf b >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/w4.out; true'
t watch-range-rev - 'R=$($CTL put wr1 x -w json | sed "s/.*\"revision\":\([0-9]*\).*/\1/"); $CTL put wr2 y >/dev/null; $CTL put wr3 z >/dev/null; $CTL watch wr1 wr3 --rev $R > $T/w5.out 2>&1 & WP=$!; sleep 1; kill -TERM $WP; wait $WP; cat $T/w5.out; true'
t watch-compacted - '$CTL watch k1 --rev 2'
t watch-compacted-json - '$CTL watch k1 --rev 2 -w json'
t watch-exec - '$CTL watch wx -- sh -c "echo \$ETCD_WATCH_EVENT_TYPE \$ETCD_WATCH_KEY \$ETCD_WATCH_VALUE" > $T/w6.out 2>&1 & WP=$!; sleep 1; $CTL put wx "v 1" >/dev/null; $CTL del wx >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/w6.out; true'
t watch-interactive - '{ echo "watch wi"; echo "bogus"; echo "watch"; echo "watch wi2 --prefix"; sleep 2; } | $CTL watch -i > $T/w7.out 2>&1 & WP=$!; sleep 1; $CTL put wi a >/dev/null; $CTL put wi2x b >/dev/null; wait $WP; echo rc=$?; cat $T/w7.out'
t watch-noargs - '$CTL watch'
t watch-prefix-range - '$CTL watch a b --prefix'
t watch-separator - '$CTL watch a --'
t watch-env-conflict - 'ETCDCTL_WATCH_KEY=x $CTL watch a'
t watch-env-range-only - 'ETCDCTL_WATCH_RANGE_END=x $CTL watch'

# -- lease
t lease-grant - 'L1=$($CTL lease grant 600 | awk "{print \$2}"); echo $L1; $CTL lease grant 600 >/dev/null'
t lease-grant-json - 'L2J=$($CTL lease grant 500 -w json); echo "$L2J"; L2=$(printf "%016x" $(echo "$L2J" | sed "s/.*\"ID\":\([0-9]*\).*/\1/"))'
t lease-grant-fields - '$CTL lease grant 400 -w fields'
t lease-grant-bad - '$CTL lease grant abc'
t lease-grant-noargs - '$CTL lease grant'
t lease-attach - '$CTL put lk1 v --lease=$L1 && $CTL get lk1 -w json'
t lease-ttl ttl '$CTL lease timetolive $L1'
t lease-ttl-keys ttl '$CTL lease timetolive $L1 --keys'
t lease-ttl-json ttl '$CTL lease timetolive $L1 --keys -w json; $CTL lease timetolive $L2 -w json'
t lease-ttl-fields ttl '$CTL lease timetolive $L1 --keys -w fields'
t lease-ttl-expired - '$CTL lease timetolive 1234; $CTL lease timetolive 1234 -w json'
t lease-ttl-bad - '$CTL lease timetolive xyz'
t lease-ttl-noargs - '$CTL lease timetolive'
t lease-list - '$CTL lease list'
t lease-list-json - '$CTL lease list -w json'
t lease-list-fields - '$CTL lease list -w fields'
t lease-keepalive-once - '$CTL lease keep-alive --once $L1'
t lease-keepalive-once-json - '$CTL lease keep-alive --once $L1 -w json'
t lease-keepalive-once-missing - '$CTL lease keep-alive --once 1234'
t lease-keepalive norc '$CTL lease keep-alive $L1 > $T/ka.out 2>&1 & KP=$!; sleep 1.5; kill -TERM $KP; wait $KP; cat $T/ka.out'
t lease-keepalive-noargs - '$CTL lease keep-alive'
t lease-revoke - '$CTL lease revoke $L1'
t lease-revoke-json - '$CTL lease revoke $L2 -w json'
t lease-revoke-again - '$CTL lease revoke $L1'
t lease-revoke-bad - '$CTL lease revoke zz'
t lease-keys-gone - '$CTL get lk --prefix'
t lease-keepalive-revoked - '$CTL lease keep-alive $L1'
t lease-list-after - '$CTL lease list'

# -- member
t member-list - '$CTL member list'
t member-list-table - '$CTL member list -w table'
t member-list-json - '$CTL member list -w json'
t member-list-fields - '$CTL member list -w fields'
t member-add-learner sort 'M2=$($CTL member add n2 --learner --peer-urls=http://127.0.0.1:22380,http://127.0.0.1:22381 | tee /dev/stderr | awk "/^Member/{print \$2}") 2>&1'
t member-list-unstarted sort '$CTL member list && $CTL member list -w table'
t member-add-json - 'M3J=$($CTL member add n3 --learner --peer-urls=http://127.0.0.1:23380 -w json); echo "$M3J" | sed "s/\"members\":\[.*\]/\"members\":[...]/"'
t member-add-noname - '$CTL member add --peer-urls=http://127.0.0.1:24380'
t member-add-nourls - '$CTL member add n4'
t member-add-toomany - '$CTL member add n4 http://127.0.0.1:24380'
t member-add-dup - '$CTL member add n5 --learner --peer-urls=http://127.0.0.1:22380'
t member-update - '$CTL member update $M2 --peer-urls=http://127.0.0.1:22390'
t member-update-nourls - '$CTL member update $M2'
t member-promote - '$CTL member promote $M2'
t member-remove - '$CTL member remove $M2'
t member-remove-again - '$CTL member remove $M2'
t member-remove-bad - '$CTL member remove zz'
t member-remove-noargs - '$CTL member remove'
t member-remove-rest - 'for mid in $($CTL member list | awk -F", " "\$3 != \"ref\" {print \$1}"); do $CTL member remove $mid -w json; done'

# -- endpoint
t endpoint-status db '$CTL endpoint status'
t endpoint-status-table db '$CTL endpoint status -w table'
t endpoint-status-json db '$CTL endpoint status -w json'
t endpoint-status-fields db '$CTL endpoint status -w fields'
t endpoint-status-cluster db '$CTL endpoint status --cluster -w table'
t endpoint-status-dead db '$BIN --endpoints $EP,$DEAD --command-timeout=1s endpoint status'
t endpoint-status-dead-table - '$BIN --endpoints $DEAD --command-timeout=1s endpoint status -w table'
t endpoint-health - '$CTL endpoint health'
t endpoint-health-json - '$CTL endpoint health -w json'
t endpoint-health-table squeeze '$CTL endpoint health -w table --cluster'
t endpoint-health-fields - '$CTL endpoint health -w fields'
t endpoint-health-dead - '$BIN --endpoints $DEAD --command-timeout=1s endpoint health'
t endpoint-health-dead-json - '$BIN --endpoints $DEAD --command-timeout=1s endpoint health -w json'

# -- move-leader
t move-leader - 'ID=$($CTL member list | cut -d, -f1); $CTL move-leader $ID; $CTL move-leader $ID -w json'
t move-leader-bad-target - '$CTL move-leader 12'
t move-leader-bad-id - '$CTL move-leader zz'
t move-leader-noargs - '$CTL move-leader'

# -- snapshot
t snapshot-save - '$CTL snapshot save $T/snap.db && test -s $T/snap.db && ls $T'
t snapshot-save-noargs - '$CTL snapshot save'
t snapshot-save-baddir - '$CTL snapshot save $T/nodir/snap.db'
t snapshot-save-multi - '$BIN --endpoints $EP,$EP snapshot save $T/x.db'
t snapshot-status-noargs - '$CTL snapshot status'
t snapshot-restore-noargs - '$CTL snapshot restore'

# -- auth: a session as an administrator would run it. Users and roles are
# made with auth off, root gets the root role, a reader of /app/ and a writer
# of [/w/a, /w/c) and /w/z.. are granted to alice; then auth on: root and
# alice allowed and denied, passwords changed, permissions and roles revoked,
# auth off again (and on once more through etcdctl's root role repair).
t auth-enable-noroot - '$CTL auth enable'
t user-add-root - '$CTL user add root:rootpw'
t user-add-dup - '$CTL user add root:other'
t user-add-noargs - '$CTL user add'
t user-add-emptyname - '$CTL user add :pw'
t role-add-root - '$CTL role add root'
t user-grant-root - '$CTL user grant-role root root'
t role-add-json - '$CTL role add reader -w json'
t role-add-fields - '$CTL role add writer -w fields'
t role-add-table - '$CTL role add everything -w table'
t role-add-dup - '$CTL role add reader'
t role-add-noargs - '$CTL role add'
t role-grant-prefix - '$CTL role grant-permission reader read /app/ --prefix'
t role-grant-range-json - '$CTL role grant-permission writer readwrite /w/a /w/c -w json'
t role-grant-fromkey-fields - '$CTL role grant-permission writer write /w/z --from-key -w fields'
t role-grant-key - '$CTL role grant-permission writer READ /solo'
t role-grant-prefixlike-range - '$CTL role grant-permission reader read /p1 /p2'
t role-grant-all - '$CTL role grant-permission everything readwrite "" --prefix'
t role-grant-all-fromkey - '$CTL role grant-permission everything read "" --from-key'
t role-grant-empty-key - '$CTL role grant-permission everything write "" /x'
t role-grant-bad-type - '$CTL role grant-permission reader bogus x'
t role-grant-few-args - '$CTL role grant-permission reader read'
t role-grant-prefix-end - '$CTL role grant-permission reader read a b --prefix'
t role-grant-fromkey-end - '$CTL role grant-permission reader read a b --from-key'
t role-grant-both - '$CTL role grant-permission reader read a --prefix --from-key'
t role-grant-both-empty - '$CTL role grant-permission reader read "" --prefix --from-key'
t role-grant-missing - '$CTL role grant-permission nosuch read a'
t role-get - '$CTL role get reader && $CTL role get writer && $CTL role get everything && $CTL role get root'
t role-get-json - '$CTL role get reader -w json && $CTL role get writer -w json && $CTL role get everything -w json && $CTL role get root -w json'
t role-get-fields - '$CTL role get writer -w fields && $CTL role get everything -w fields'
t role-get-table - '$CTL role get reader -w table'
t role-get-missing - '$CTL role get nosuch'
t role-get-noargs - '$CTL role get'
t role-list - '$CTL role list'
t role-list-json - '$CTL role list -w json'
t role-list-fields - '$CTL role list -w fields'
t role-list-table - '$CTL role list -w table'
t role-list-args - '$CTL role list x'
t user-add-interactive - 'printf "alicepw\nalicepw\n" | $CTL user add alice'
t user-add-mismatch - 'printf "one\ntwo\n" | $CTL user add bob'
t user-add-no-tty - '$CTL user add bob'
t user-add-stdin-json - 'printf "  bobpw rest\n" | $CTL user add bob --interactive=false -w json'
t user-add-flag-fields - '$CTL user add carol --new-user-password=carolpw -w fields'
t user-add-nopassword - '$CTL user add dave:x --no-password'
t user-add-table - '$CTL user add erin:erinpw -w table'
t user-grant-role - '$CTL user grant-role alice reader && $CTL user grant-role alice writer -w json'
t user-grant-fields - '$CTL user grant-role bob everything -w fields'
t user-grant-missing-role - '$CTL user grant-role alice nosuch'
t user-grant-missing-user - '$CTL user grant-role nobody reader'
t user-grant-noargs - '$CTL user grant-role alice'
t user-get - '$CTL user get alice && $CTL user get carol'
t user-get-json - '$CTL user get alice -w json && $CTL user get carol -w json'
t user-get-fields - '$CTL user get alice -w fields'
t user-get-table - '$CTL user get alice -w table'
t user-get-detail - '$CTL user get alice --detail && $CTL user get carol --detail'
t user-get-detail-json - '$CTL user get alice --detail -w json'
t user-get-detail-fields - '$CTL user get alice --detail -w fields'
t user-get-detail-table - '$CTL user get alice --detail -w table'
t user-get-missing - '$CTL user get nobody'
t user-get-noargs - '$CTL user get'
t user-list - '$CTL user list'
t user-list-json - '$CTL user list -w json'
t user-list-fields - '$CTL user list -w fields'
t user-list-args - '$CTL user list x'
t auth-enable - '$CTL auth enable -w json'
t auth-enable-again - '$CTL --user root:rootpw auth enable'
t auth-enable-args - '$CTL auth enable x'
t auth-no-user - '$CTL put /app/x 1'
t auth-wrong-password - '$CTL --user root:wrong put /app/x 1'
t auth-unknown-user - '$CTL --user nobody:x get /app/x'
t auth-empty-name - '$CTL --user :rootpw get /app/x'
t auth-root-put - '$CTL --user root:rootpw put /app/x 1 && $CTL --user root --password rootpw put /w/b 2'
t auth-root-password-flag-colon - '$CTL --user root:rootpw --password rootpw get /app/x'
t auth-prompt - 'printf "rootpw\n" | $CTL --user root get /app/x'
t auth-prompt-empty - '$CTL --user root get /app/x'
t auth-env-user - 'ETCDCTL_USER=alice:alicepw $CTL get /app/x -w json'
t auth-env-password - 'ETCDCTL_USER=alice ETCDCTL_PASSWORD=alicepw $CTL get /app/ --prefix --keys-only'
t auth-user-read - '$CTL --user alice:alicepw get /app/ --prefix -w json'
t auth-user-denied-write - '$CTL --user alice:alicepw put /app/y 2'
t auth-user-write-range - '$CTL --user alice:alicepw put /w/b 3 --prev-kv && $CTL --user alice:alicepw del /w/b'
t auth-user-write-fromkey - '$CTL --user alice:alicepw put /w/zz 4 && $CTL --user alice:alicepw get /w/zz'
t auth-user-denied-read - '$CTL --user alice:alicepw get /w/zz -w fields'
t auth-user-denied-range - '$CTL --user alice:alicepw get /app/ /b'
t auth-user-denied-admin - '$CTL --user alice:alicepw user list; $CTL --user alice:alicepw role get reader; $CTL --user alice:alicepw auth disable'
t auth-user-txn-denied - 'printf "\nget /app/x\nput /app/x 9\n\n\n" | $CTL --user alice:alicepw txn'
t auth-user-txn - 'printf "value(\"/app/x\") = \"1\"\n\nput /w/a one\n\nget /app/x\n\n" | $CTL --user alice:alicepw txn -w json'
t auth-user-watch-denied - '$CTL --user alice:alicepw watch /w/zz'
t auth-nouser-watch - '$CTL watch /app/x'
t auth-user-watch - '$CTL --user alice:alicepw watch /app/ --prefix > $T/wa.out 2>&1 & WP=$!; sleep 1; $CTL --user root:rootpw put /app/w 1 >/dev/null; $CTL --user root:rootpw put /other 1 >/dev/null; sleep 0.7; kill -TERM $WP; wait $WP; cat $T/wa.out; true'
t auth-user-lease - 'LA=$($CTL --user alice:alicepw lease grant 300 | awk "{print \$2}"); echo $LA; $CTL --user alice:alicepw lease keep-alive --once $LA; $CTL --user alice:alicepw put /w/a two --lease=$LA; $CTL --user root:rootpw lease revoke $LA'
t auth-user-member-list - '$CTL --user alice:alicepw member list'
t auth-endpoint-health - '$CTL endpoint health; $CTL --user alice:alicepw endpoint health -w json; $CTL --user alice:bad endpoint health -w json'
t auth-endpoint-status db '$CTL --user alice:alicepw endpoint status'
t auth-snapshot-denied - '$CTL --user alice:alicepw snapshot save $T/alice.db; $CTL snapshot save $T/anon.db; $CTL --user root:bad snapshot save $T/bad.db; ls $T'
t auth-snapshot-root - '$CTL --user root:rootpw snapshot save $T/root.db >/dev/null && test -s $T/root.db && echo saved'
t auth-dead-endpoint - '$BIN --endpoints $DEAD --user root:rootpw get /app/x'
t auth-dead-then-wrong - '$BIN --endpoints $DEAD,$EP --user root:bad get /app/x; $BIN --endpoints $EP,$DEAD --user root:bad get /app/x'
t auth-dead-then-alive - '$BIN --endpoints $DEAD,$EP --user root:rootpw get /app/x'
t user-passwd - 'printf "newpw\nnewpw\n" | $CTL --user root:rootpw user passwd alice'
t user-passwd-stdin - 'printf "newpw2\n" | $CTL --user root:rootpw user passwd alice --interactive=false -w json'
t user-passwd-fields - 'printf "newpw3" | $CTL --user root:rootpw user passwd bob --interactive=false -w fields'
t user-passwd-no-tty - '$CTL --user root:rootpw user passwd bob'
t user-passwd-missing - 'printf "x\n" | $CTL --user root:rootpw user passwd nobody --interactive=false'
t user-passwd-noargs - '$CTL --user root:rootpw user passwd'
t auth-old-password - '$CTL --user alice:alicepw get /app/x'
t auth-new-password - '$CTL --user alice:newpw2 get /app/x && $CTL --user bob:newpw3 get /app/x'
t role-revoke-key - '$CTL --user root:rootpw role revoke-permission writer /solo'
t role-revoke-range-json - '$CTL --user root:rootpw role revoke-permission writer /w/a /w/c -w json'
t role-revoke-fromkey - '$CTL --user root:rootpw role revoke-permission writer /w/z --from-key'
t role-revoke-prefix-fields - '$CTL --user root:rootpw role revoke-permission reader /p1 --prefix -w fields && $CTL --user root:rootpw role revoke-permission reader /p1 /p2'
t role-revoke-all - '$CTL --user root:rootpw role revoke-permission everything "" --prefix && $CTL --user root:rootpw role revoke-permission everything "" --from-key && $CTL --user root:rootpw role revoke-permission everything ""'
t role-revoke-missing - '$CTL --user root:rootpw role revoke-permission writer /none'
t role-revoke-missing-role - '$CTL --user root:rootpw role revoke-permission nosuch /none'
t role-revoke-noargs - '$CTL --user root:rootpw role revoke-permission writer'
t role-revoke-prefix-end - '$CTL --user root:rootpw role revoke-permission writer a b --prefix'
t role-get-after - '$CTL --user root:rootpw role get writer && $CTL --user root:rootpw role get reader && $CTL --user root:rootpw role get everything -w json'
t auth-user-denied-after - '$CTL --user alice:newpw2 put /w/b 5'
t user-revoke-role - '$CTL --user root:rootpw user revoke-role alice reader && $CTL --user root:rootpw user revoke-role alice writer -w fields'
t user-revoke-again - '$CTL --user root:rootpw user revoke-role alice reader'
t user-revoke-noargs - '$CTL --user root:rootpw user revoke-role alice'
t user-revoke-root-root - '$CTL --user root:rootpw user revoke-role root root'
t auth-user-no-roles - '$CTL --user alice:newpw2 get /app/x; $CTL --user root:rootpw user get alice -w json'
t user-delete - '$CTL --user root:rootpw user delete carol && $CTL --user root:rootpw user delete erin -w json'
t user-delete-again - '$CTL --user root:rootpw user delete carol'
t user-delete-noargs - '$CTL --user root:rootpw user delete'
t user-deleted-login - '$CTL --user carol:carolpw get /app/x'
t role-delete - '$CTL --user root:rootpw role delete everything && $CTL --user root:rootpw role delete writer -w fields'
t role-delete-again - '$CTL --user root:rootpw role delete everything'
t role-delete-noargs - '$CTL --user root:rootpw role delete'
t auth-disable-denied - '$CTL --user alice:newpw2 auth disable'
t auth-disable-nouser - '$CTL auth disable'
t auth-disable-args - '$CTL --user root:rootpw auth disable x'
t auth-disable - '$CTL --user root:rootpw auth disable -w fields'
t auth-disabled-any-user - '$CTL --user alice:wrong get /app/x && $CTL --user root get /app/x'
t auth-root-role-repair - '$CTL user revoke-role root root && $CTL role delete root && $CTL auth enable && $CTL --user root:rootpw user get root && $CTL --user root:rootpw auth disable'
t auth-cleanup - 'for u in alice bob dave:x root; do $CTL user delete $u; done; for r in reader root; do $CTL role delete $r; done; $CTL user list; $CTL role list -w json'

# -- global flags, parsing, connection handling
t unknown-command - '$CTL frobnicate'
t unknown-flag - '$CTL get foo --bogus'
t unknown-shorthand - '$CTL get foo -x'
t flag-needs-arg - '$CTL get foo --limit'
t flag-needs-arg-short - '$CTL get foo -w'
t flag-bad-int - '$CTL get foo --limit=abc'
t flag-bad-bool - '$CTL get foo --prefix=maybe'
t flag-bad-duration - '$CTL get foo --dial-timeout=soon'
t flags-before-command - '$BIN -w json --endpoints=$EP get k4'
t flags-short-forms - '$BIN --endpoints $EP -wjson get k4 && $BIN --endpoints $EP -w=fields get k4'
t prefix-matching - '$CTL ge k4'
t endpoint-url-form - '$BIN --endpoints http://$EP/ get k4'
t env-endpoints - 'ETCDCTL_ENDPOINTS=$EP $BIN get k4'
t dead-then-alive - '$BIN --endpoints $DEAD,$EP get k4'
t dead-only - '$BIN --endpoints $DEAD --command-timeout=1s get k4'
t empty-endpoints - '$BIN --endpoints "" get k4'

# -- last: a watch survives a restart of its server
t watch-server-restart - '$CTL watch wrs > $T/w8.out 2>&1 & WP=$!; sleep 1; $CTL put wrs a >/dev/null; stop_server; start_server "$PHASE_DIR/data"; $CTL put wrs b >/dev/null; sleep 2; kill -TERM $WP; wait $WP; cat $T/w8.out; true'

NCASES=${#NAMES[@]}

# ---- SERVER=etcfsd: what etcfsd answers differently on purpose ---------------
# server_differ NAME REASON SED: SED (sed -E script) rewrites etcd's
# normalized stdout and stderr of case NAME into what etcfsd answers; the
# result must match etcfsd's exactly and SED must change something (a
# difference that went away is reported, so the list stays true).
# server_skip NAME REASON: NAME runs in both phases (later cases may depend
# on it) but is not compared.
declare -A SKIP=() DIFF_WHY=() DIFF_SED=()
server_case()
{
    local n
    for n in "${NAMES[@]}"; do
        [ "$n" = "$1" ] && return 0
    done
    echo "compare.sh: no case named $1" >&2
    exit 1
}
server_differ() { server_case "$1" && DIFF_WHY[$1]=$2 && DIFF_SED[$1]=$3; }
server_skip() { server_case "$1" && SKIP[$1]=$2; }

# libraft holds one address per server: a member keeps the first of its
# peer URLs (etcfsd --help, --listen-peer-urls; docs/ARCHITECTURE.md)
server_differ member-add-learner 'a member keeps only its first peer URL (one libraft address)' \
    's|,n2=http://127\.0\.0\.1:22381||'
server_differ member-list-unstarted 'a member keeps only its first peer URL (one libraft address)' \
    's|http://127\.0\.0\.1:22380,http://127\.0\.0\.1:22381|http://127.0.0.1:22380|'


# ---- running ----------------------------------------------------------------

# run_phase BIN DIR SERVER: the whole case list with BIN against a fresh
# SERVER (etcd or etcfsd); outputs in DIR/out.
run_phase()
{
    local bin=$1 dir=$2
    SRV=$3
    mkdir -p "$dir/out"
    start_server "$dir/data"
    BIN=$bin
    PHASE_DIR=$dir
    CTL="$bin --endpoints $EP"
    T="$WORK/scratch"
    rm -rf "$T"
    mkdir -p "$T"
    for ((CASE_I = 0; CASE_I < NCASES; CASE_I++)); do
        CASE_T0=$(date +%s%N)
        eval "${CMDS[$CASE_I]}" >"$dir/out/$CASE_I.out" 2>"$dir/out/$CASE_I.err" </dev/null
        echo $? >"$dir/out/$CASE_I.rc"
        echo "$((($(date +%s%N) - CASE_T0) / 1000000)) ${NAMES[$CASE_I]}" >>"$dir/times"
    done
    stop_server
}

# Replaces ids by placeholders numbered in order of first appearance over a
# whole phase: lowercase hex tokens of 12-16 digits with a letter (lease and
# member ids) and decimal tokens of 17+ digits (the same ids in JSON).
normalize_phase()
{
    local dir=$1
    local files=()
    for ((i = 0; i < NCASES; i++)); do
        files+=("$dir/out/$i.out" "$dir/out/$i.err")
        : >"$dir/out/$i.out.norm"
        : >"$dir/out/$i.err.norm"
    done
    awk '
    function alnum(c) { return c ~ /[0-9A-Za-z]/ }
    FNR == 1 { if (out != "") close(out); out = FILENAME ".norm"; printf "" > out }
    /^\{"level":/ { next }
    {
        line = $0; res = ""
        while (match(line, /[0-9a-f]+/)) {
            tok = substr(line, RSTART, RLENGTH)
            pre = substr(line, 1, RSTART - 1)
            before = RSTART > 1 ? substr(line, RSTART - 1, 1) : ""
            after = substr(line, RSTART + RLENGTH, 1)
            rep = tok
            if (!alnum(before) && !alnum(after)) {
                if (length(tok) >= 12 && length(tok) <= 16 && tok ~ /[a-f]/) {
                    if (!(tok in hex)) hex[tok] = "<ID" (++nhex) ">"
                    rep = hex[tok]
                } else if (length(tok) >= 17 && tok !~ /[a-f]/) {
                    if (!(tok in dec)) dec[tok] = "<NUM" (++ndec) ">"
                    rep = dec[tok]
                }
            }
            res = res pre rep
            line = substr(line, RSTART + RLENGTH)
        }
        print res line > out
    }' "${files[@]}"
}

# Per-case cleanup of one file (after id normalization).
clean()
{
    local file=$1 flags=$2 kind=$3
    sed -E \
        -e 's/took = [0-9][0-9.]*(ns|µs|ms|s|m[0-9.]*s)/took = <DUR>/g' \
        -e 's/"took":"[^"]*"/"took":"<DUR>"/g' \
        -e 's/"Took" : .*/"Took" : <DUR>/' \
        -e 's/etcdctl/etcfsctl/g' \
        -e 's/(Member|[Ll]eadership transferred from|to) +<ID/\1 <ID/g' \
        "$file" |
        if [ "$kind" = err ]; then
            grep -v -e '^{"level"' -e "^Run 'etcfsctl --help' for usage." -e '^$' \
                -e '^Usage:' -e '^Flags:' -e '^Global Flags:' -e '^[[:space:]]' | uniq
        else
            cat
        fi |
        if [[ ",$flags," == *,ttl,* ]]; then
            sed -E -e 's/remaining\([0-9]+s\)/remaining(<N>s)/g' -e 's/"ttl":[0-9]+/"ttl":<N>/g' \
                -e 's/"TTL" : [0-9]+/"TTL" : <N>/g'
        else
            cat
        fi |
        if [[ ",$flags," == *,sort,* ]]; then
            sort_members
        else
            cat
        fi |
        if [[ ",$flags," == *,db,* ]]; then
            sed -E -e 's/"(dbSize|dbSizeInUse)":[0-9]+/"\1":<N>/g' -e 's/"DBSize" : [0-9]+/"DBSize" : <N>/' \
                -e 's/(, |\| +)[0-9.]+ (B|kB|MB|GB)( |,)/\1<SIZE>\3/g' -e 's/ +/ /g' -e 's/-+/-/g' \
                -e 's/"(raftIndex|raftAppliedIndex)":[0-9]+/"\1":<N>/g' \
                -e 's/"(RaftIndex|RaftAppliedIndex)" : [0-9]+/"\1" : <N>/' \
                -e 's/(true|false), (true|false), ([0-9]+), [0-9]+, [0-9]+,/\1, \2, \3, <N>, <N>,/' \
                -e 's/\| (true|false) \| (true|false) \| ([0-9]+) \| [0-9]+ \| [0-9]+ \|/| \1 | \2 | \3 | <N> | <N> |/'
        else
            cat
        fi |
        if [[ ",$flags," == *,squeeze,* ]]; then
            sed -E -e 's/[0-9][0-9.]*(ns|µs|ms|s)/<DUR>/g' -e 's/ +/ /g' -e 's/-+/-/g'
        else
            cat
        fi |
        if [ "$SERVER" = etcfsd ]; then
            # etcd's own version and its raft term (etcd campaigns once
            # more after bootstrap) are the server's, not the API's
            sed -E -e 's/"(raft_term|raftTerm)":[0-9]+/"\1":<TERM>/g' -e 's/"RaftTerm" : [0-9]+/"RaftTerm" : <TERM>/' \
                -e 's/(true|false), (true|false), [0-9]+, /\1, \2, <TERM>, /' \
                -e 's/\| (true|false) +\| (true|false) +\| +[0-9]+ \|/| \1 | \2 | <TERM> |/' \
                -e 's/(^|[ ":])3\.4\.[0-9]+([ ",]|$)/\1<VERSION>\2/g'
        else
            cat
        fi
}

PASS=0
FAIL=0
FAILED=()
SKIPPED=0
DIFFERED=0

sort_members()
{
    local line inner
    while IFS= read -r line; do
        if [[ $line == ETCD_INITIAL_CLUSTER=\"*\" ]]; then
            inner=${line#*\"}
            inner=${inner%\"}
            line="ETCD_INITIAL_CLUSTER=\"$(tr ',' '\n' <<<"$inner" | sort | paste -sd, -)\""
        fi
        printf '%s\n' "$line"
    done | sed -E -e 's/ +/ /g' -e 's/-+/-/g' | LC_ALL=C sort
}

compare_phases()
{
    local a=$1 b=$2
    for ((i = 0; i < NCASES; i++)); do
        local name=${NAMES[$i]} flags=${FLAGSV[$i]} ok=1 why=
        if [ -n "${SKIP[$name]:-}" ]; then
            SKIPPED=$((SKIPPED + 1))
            echo "skip $name: ${SKIP[$name]}"
            continue
        fi
        # cobra prints the usage on stdout for flag errors; etcfsctl does not
        if head -n1 "$a/out/$i.out.norm" | grep -q -e '^NAME:' -e '^Usage:'; then
            : >"$a/out/$i.out.norm"
        fi
        clean "$a/out/$i.out.norm" "$flags" out >"$a/out/$i.o"
        clean "$b/out/$i.out.norm" "$flags" out >"$b/out/$i.o"
        clean "$a/out/$i.err.norm" "$flags" err >"$a/out/$i.e"
        clean "$b/out/$i.err.norm" "$flags" err >"$b/out/$i.e"
        if [ -n "${DIFF_WHY[$name]:-}" ]; then
            # a documented difference: etcd's output rewritten into
            # etcfsd's must match, and the rewrite must still change it
            why=${DIFF_WHY[$name]}
            cat "$a/out/$i.o" "$a/out/$i.e" >"$a/out/$i.before"
            sed -i -E "${DIFF_SED[$name]}" "$a/out/$i.o" "$a/out/$i.e"
            if cat "$a/out/$i.o" "$a/out/$i.e" | cmp -s - "$a/out/$i.before"; then
                ok=0
                why="the documented difference is gone: drop its server_differ line"
            fi
        fi
        cmp -s "$a/out/$i.o" "$b/out/$i.o" || ok=0
        cmp -s "$a/out/$i.e" "$b/out/$i.e" || ok=0
        if [[ ",$flags," != *,norc,* ]] && ! cmp -s "$a/out/$i.rc" "$b/out/$i.rc"; then
            ok=0
        fi
        if [ $ok = 1 ]; then
            PASS=$((PASS + 1))
            if [ -n "$why" ]; then
                DIFFERED=$((DIFFERED + 1))
                echo "differs as documented: $name: $why"
            elif [ "$VERBOSE" = 1 ]; then
                echo "ok   $name"
            fi
        else
            FAIL=$((FAIL + 1))
            FAILED+=("$name")
            echo "FAIL $name: ${CMDS[$i]}"
            [ -n "$why" ] && echo "  ($why)"
            echo "  exit code: $LABEL_A $(cat "$a/out/$i.rc"), $LABEL_B $(cat "$b/out/$i.rc")"
            diff "$a/out/$i.o" "$b/out/$i.o" | sed 's/^/  stdout /' | head -20
            diff "$a/out/$i.e" "$b/out/$i.e" | sed 's/^/  stderr /' | head -20
        fi
    done
}

# ---- self-checks (fixed expectations) -----------------------------------------

expect()
{
    local name=$1 want_rc=$2 want=$3
    shift 3
    local got rc
    got=$("$@" 2>&1)
    rc=$?
    if [ "$got" = "$want" ] && [ "$rc" = "$want_rc" ]; then
        PASS=$((PASS + 1))
        [ "$VERBOSE" = 1 ] && echo "ok   $name"
    else
        FAIL=$((FAIL + 1))
        FAILED+=("$name")
        echo "FAIL $name: $*"
        echo "  want (rc $want_rc): $want"
        echo "  got  (rc $rc): $got"
    fi
}

# Writes an etcfs snapshot to $1 (src/store/store.c's format, big-endian:
# "ETCFSNP1", u32 1, u64 applied index, term, revision $2, compacted
# revision, key count $3, records, CRC-32 of everything before it).
make_snapshot()
{
    python3 - "$1" "$2" "$3" <<'PY'
import struct, sys, zlib
path, rev, keys = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
body = b"ETCFSNP1" + struct.pack(">IQQqqq", 1, 1234, 7, rev, 3, keys)
for k, v in ((b"kfoo", b"vbar"), (b"kbaz", b"vqux")):
    body += struct.pack(">II", len(k), len(v)) + k + v
open(path, "wb").write(body + struct.pack(">I", zlib.crc32(body)))
PY
}

# A stand-in for a gateway with etcd 3.5's /v3/auth/status (the reference
# etcd 3.4 has none), on a free port written to $1: it gives root:pw the
# token "tok.1" and says auth is enabled only to requests that carry it.
# Run in the background, it is the python process itself (exec), so that
# its PID stops it.
fake_gateway()
{
    exec python3 - "$1" <<'PY'
import http.server, json, os, sys
HDR = {"cluster_id": "1", "member_id": "2", "revision": "5", "raft_term": "4"}
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path == "/v3/auth/authenticate":
            if req == {"name": "root", "password": "pw"}:
                return self.reply(200, {"header": HDR, "token": "tok.1"})
            msg = "etcdserver: authentication failed, invalid user ID or password"
            return self.reply(400, {"error": msg, "message": msg, "code": 3})
        if self.path == "/v3/auth/status":
            if self.headers.get("Authorization") == "tok.1":
                return self.reply(200, {"header": HDR, "enabled": True, "authRevision": "7"})
            return self.reply(200, {"header": HDR, "authRevision": "3"})
        self.send_response(404)
        self.end_headers()
server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
server.serve_forever()
PY
}

# auth status (etcdctl 3.5's output) against fake_gateway.
auth_status_checks()
{
    local d=$1 port= hdr='{"cluster_id":1,"member_id":2,"revision":5,"raft_term":4}'
    fake_gateway "$d/fake.port" &
    FAKE_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$d/fake.port" ] && break
        kill -0 "$FAKE_PID" 2>/dev/null || break
        sleep 0.05
    done
    port=$(cat "$d/fake.port" 2>/dev/null)
    if [ -z "$port" ]; then
        FAIL=$((FAIL + 1))
        FAILED+=(auth-status-gateway)
        echo "FAIL auth-status-gateway: the fake gateway did not start"
        return
    fi
    local fake=(--endpoints "127.0.0.1:$port")
    expect auth-status 0 "Authentication Status: false
AuthRevision: 3" "$ETCFSCTL" "${fake[@]}" auth status
    expect auth-status-token 0 "Authentication Status: true
AuthRevision: 7" "$ETCFSCTL" "${fake[@]}" --user root:pw auth status
    expect auth-status-json 0 "{\"header\":$hdr,\"enabled\":true,\"authRevision\":7}" \
        "$ETCFSCTL" "${fake[@]}" --user root --password pw auth status -w json
    expect auth-status-json-disabled 0 "{\"header\":$hdr,\"authRevision\":3}" \
        "$ETCFSCTL" "${fake[@]}" auth status -w json
    expect auth-status-fields 4 "Error: fields not supported as output format" \
        "$ETCFSCTL" "${fake[@]}" auth status -w fields
    expect auth-status-table 4 "Error: table not supported as output format" \
        "$ETCFSCTL" "${fake[@]}" auth status -w table
    expect auth-status-args 128 "Error: auth status command does not accept any arguments" \
        "$ETCFSCTL" "${fake[@]}" auth status now
    expect auth-status-bad-login 2 "Error: etcdserver: authentication failed, invalid user ID or password" \
        "$ETCFSCTL" "${fake[@]}" --user root:bad auth status
    kill "$FAKE_PID" 2>/dev/null
    wait "$FAKE_PID" 2>/dev/null
    FAKE_PID=
}

self_checks()
{
    local d=$WORK/self
    mkdir -p "$d"
    if ! make_snapshot "$d/s.snap" 42 17 2>/dev/null; then
        echo "compare.sh: python3 missing, snapshot self-checks skipped" >&2
        return
    fi
    local crc size
    crc=$(python3 -c 'import sys,zlib; print("%x" % zlib.crc32(open(sys.argv[1],"rb").read()))' "$d/s.snap")
    size=$(stat -c %s "$d/s.snap")
    expect snapshot-status 0 "$crc, 42, 17, $size B" "$ETCFSCTL" snapshot status "$d/s.snap"
    expect snapshot-status-json 0 "{\"hash\":$((16#$crc)),\"revision\":42,\"totalKey\":17,\"totalSize\":$size}" \
        "$ETCFSCTL" snapshot status "$d/s.snap" -w json
    expect snapshot-status-table 0 "+----------+----------+------------+------------+
|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |
+----------+----------+------------+------------+
| $(printf %8s "$crc") |       42 |         17 | $(printf %10s "$size B") |
+----------+----------+------------+------------+" "$ETCFSCTL" snapshot status "$d/s.snap" -w table
    expect snapshot-status-fields 0 "\"Hash\" : $((16#$crc))
\"Revision\" : 42
\"Keys\" : 17
\"Size\" : $size" "$ETCFSCTL" snapshot status "$d/s.snap" -w fields
    printf 'not a snapshot at all, no sir' >"$d/bad.snap"
    expect snapshot-status-bad 1 "Error: snapshot file has an unknown format" "$ETCFSCTL" snapshot status "$d/bad.snap"
    expect snapshot-status-missing 1 "Error: open $d/none: no such file or directory" "$ETCFSCTL" snapshot status "$d/none"
    expect snapshot-restore 0 "" "$ETCFSCTL" snapshot restore "$d/s.snap" --data-dir "$d/r1" --name m1 \
        --initial-cluster m1=http://127.0.0.1:2380,m2=http://127.0.0.2:2380 --initial-cluster-token tok \
        --initial-advertise-peer-urls http://127.0.0.1:2380
    expect snapshot-restore-conf 0 "name=m1
initial-cluster=m1=http://127.0.0.1:2380,m2=http://127.0.0.2:2380
initial-cluster-token=tok
initial-advertise-peer-urls=http://127.0.0.1:2380" cat "$d/r1/restore.conf"
    expect snapshot-restore-copy 0 "" cmp "$d/s.snap" "$d/r1/restore.snap"
    expect snapshot-restore-exists 1 "Error: data-dir \"$d/r1\" exists" "$ETCFSCTL" snapshot restore "$d/s.snap" --data-dir "$d/r1"
    expect snapshot-restore-badsnap 1 "Error: snapshot file has an unknown format" "$ETCFSCTL" snapshot restore "$d/bad.snap" --data-dir "$d/r2"
    expect snapshot-restore-noname 1 "Error: couldn't find local name \"x\" in the initial cluster configuration" \
        "$ETCFSCTL" snapshot restore "$d/s.snap" --data-dir "$d/r3" --name x
    auth_status_checks "$d"
    expect version 0 "etcfsctl version: 0.1.0
API version: 3.4" "$ETCFSCTL" version
    expect version-flag 0 "etcfsctl version: 0.1.0
API version: 3.4" "$ETCFSCTL" --version
}

# Sourced by another runner (tests/ctl/etcdctl_compare.sh): everything above
# (servers, case list, differences, normalization, comparison) is defined;
# the runner adds its cases and runs the phases itself.
if [ "${COMPARE_SOURCED:-0}" = 1 ]; then
    return 0
fi
if [ ! -x "$ETCFSCTL" ]; then
    echo "compare.sh: $ETCFSCTL not found (build it first)" >&2
    exit 1
fi
if [ "$SERVER" = etcfsd ]; then
    if [ ! -x "$ETCFSD" ]; then
        echo "compare.sh: $ETCFSD not found (build it first)" >&2
        exit 1
    fi
    LABEL_A=etcd
    LABEL_B=etcfsd
    run_phase "$ETCFSCTL" "$WORK/ref" etcd
    run_phase "$ETCFSCTL" "$WORK/srv" etcfsd
    normalize_phase "$WORK/ref"
    normalize_phase "$WORK/srv"
    compare_phases "$WORK/ref" "$WORK/srv"
elif [ -z "$SERVER" ]; then
    LABEL_A=etcdctl
    LABEL_B=etcfsctl
    SKIP=()
    DIFF_WHY=()
    run_phase "$ETCDCTL" "$WORK/ref" etcd
    run_phase "$ETCFSCTL" "$WORK/ctl" etcd
    normalize_phase "$WORK/ref"
    normalize_phase "$WORK/ctl"
    compare_phases "$WORK/ref" "$WORK/ctl"
    self_checks
else
    echo "compare.sh: SERVER=$SERVER: only etcfsd is known" >&2
    exit 1
fi
if [ $FAIL -gt 0 ]; then
    echo "failed: ${FAILED[*]}"
fi
if [ "$SERVER" = etcfsd ]; then
    echo "$DIFFERED of the passed differ as documented, $SKIPPED skipped"
fi
echo "$PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
