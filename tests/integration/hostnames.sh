#!/bin/bash
# Host names wherever a URL is taken, as etcd's compose files and tutorials
# write them: a 3-member cluster whose advertised peer and client URLs say
# etcd1..etcd3 (a private /etc/hosts maps them to 127.0.0.11-13) forms,
# serves reads right after writes on every member, forwards to the leader
# by name; the ETCD_* block `member add` prints starts a 4th member as is;
# a name that does not resolve is logged with the reason; a cluster whose
# peer URLs say localhost forms too.
if [ -z "${T_HOSTNAMES_NS:-}" ]; then
    # a mount namespace of its own: /etc/hosts replaced for this test only
    exec unshare -m env T_HOSTNAMES_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/../lib.sh"

hosts="$T_DIR/hosts"
{
    echo "127.0.0.1 localhost"
    for n in 1 2 3 4; do echo "127.0.0.1$n etcd$n"; done
} >"$hosts"
mount --bind "$hosts" /etc/hosts || { fail "a private /etc/hosts"; finish; exit 1; }
check "etcd2 resolves to 127.0.0.12 here" bash -c "getent hosts etcd2 | grep -q '^127.0.0.12 '"

# named N [FLAGS...]: member nN listening on 127.0.0.1N, advertising etcdN
named() {
    local n=$1
    shift
    node_ports "$n"
    "$ETCFSD" --name "n$n" --data-dir "$T_DIR/n$n.etcfs" \
        --listen-client-urls "http://127.0.0.1$n:${T_CPORT[$n]}" \
        --advertise-client-urls "http://etcd$n:${T_CPORT[$n]}" \
        --listen-peer-urls "http://127.0.0.1$n:${T_PPORT[$n]}" \
        --initial-cluster-token "t-$T_NAME" \
        --heartbeat-interval 50 --election-timeout 500 "$@" \
        >>"$T_DIR/n$n.log" 2>&1 &
    T_PIDS[$n]=$!
}
napi() { curl -s -m 10 -X POST "http://etcd$1:${T_CPORT[$1]}$2" -d "$3"; }
nget() { napi "$1" /v3/kv/range "{\"key\":\"$(b64 "$2")\"}" | grep -o '"value":"[^"]*"' | sed 's/"value":"\(.*\)"/\1/' | base64 -d; }
for n in 1 2 3; do node_ports $n; done
IC="n1=http://etcd1:${T_PPORT[1]},n2=http://etcd2:${T_PPORT[2]},n3=http://etcd3:${T_PPORT[3]}"
for n in 1 2 3; do
    named $n --initial-advertise-peer-urls "http://etcd$n:${T_PPORT[$n]}" --initial-cluster "$IC"
done
for n in 1 2 3; do
    check "n$n (peer URL http://etcd$n:${T_PPORT[$n]}) serves" wait_until 20 bash -c "curl -sf -m 2 http://etcd$n:${T_CPORT[$n]}/health | grep -q true"
done
for n in 1 2 3; do
    napi $n /v3/kv/put "{\"key\":\"$(b64 /named/$n)\",\"value\":\"$(b64 v$n)\"}" >/dev/null
    for m in 1 2 3; do
        expect_eq "a put through etcd$n reads at once on etcd$m" "v$n" "$(nget $m /named/$n)"
    done
done
out=$("$ETCFSCTL" --endpoints "etcd1:${T_CPORT[1]}" member list 2>&1)
expect_match "member list shows the names" "n2, http://etcd2:${T_PPORT[2]}, http://etcd2:${T_CPORT[2]}, false" "$out"

# the block member add prints, used as is
node_ports 4
block=$("$ETCFSCTL" --endpoints "etcd1:${T_CPORT[1]}" member add n4 --peer-urls "http://etcd4:${T_PPORT[4]}" 2>&1)
echo "$block" | sed 's/^/#   /'
expect_match "member add prints ETCD_INITIAL_CLUSTER with the names" "ETCD_INITIAL_CLUSTER=\".*n4=http://etcd4:${T_PPORT[4]}.*\"" "$block"
env4=()
while IFS= read -r line; do
    [[ $line == ETCD_*=* ]] && env4+=("$(echo "$line" | sed 's/="\(.*\)"$/=\1/')")
done <<<"$block"
env "${env4[@]}" "$ETCFSD" --data-dir "$T_DIR/n4.etcfs" \
    --listen-client-urls "http://127.0.0.14:${T_CPORT[4]}" --advertise-client-urls "http://etcd4:${T_CPORT[4]}" \
    --listen-peer-urls "http://127.0.0.14:${T_PPORT[4]}" --initial-cluster-token "t-$T_NAME" \
    --heartbeat-interval 50 --election-timeout 500 >>"$T_DIR/n4.log" 2>&1 &
T_PIDS[4]=$!
check "n4 started from member add's ETCD_* block serves" wait_until 20 bash -c "curl -sf -m 2 http://etcd4:${T_CPORT[4]}/health | grep -q true"
expect_eq "... and reads what etcd1 has" "v1" "$(nget 4 /named/1)"
check "... listed as started by its name" wait_until 5 bash -c "'$ETCFSCTL' --endpoints etcd1:${T_CPORT[1]} member list | grep -q 'n4, http://etcd4:${T_PPORT[4]}, http://etcd4:${T_CPORT[4]}, false'"

# a name that does not resolve: said in the log, with the reason
"$ETCFSCTL" --endpoints "etcd1:${T_CPORT[1]}" member add n5 --learner --peer-urls "http://nosuchhost.invalid:15380" >/dev/null 2>&1
check "an unresolvable peer name is logged with the reason" wait_until 10 bash -c "grep -h 'resolve nosuchhost.invalid' '$T_DIR'/n[1-4].log | grep -q ."
grep -h 'resolve nosuchhost.invalid' "$T_DIR"/n[1-4].log | head -n 1 | sed 's/^/#   /'
id5=$("$ETCFSCTL" --endpoints "etcd1:${T_CPORT[1]}" member list 2>&1 | grep nosuchhost | cut -d, -f1)
"$ETCFSCTL" --endpoints "etcd1:${T_CPORT[1]}" member remove "$id5" >/dev/null 2>&1
for n in 4 3 2 1; do node_stop $n; done

# peer URLs that say localhost
IC="l6=http://localhost:${T_PPORT[1]},l7=http://localhost:${T_PPORT[2]},l8=http://localhost:${T_PPORT[3]}"
k=1
for n in 6 7 8; do
    T_CPORT[$n]=${T_CPORT[$k]}
    "$ETCFSD" --name "l$n" --data-dir "$T_DIR/l$n.etcfs" \
        --listen-client-urls "http://127.0.0.1:${T_CPORT[$k]}" --advertise-client-urls "http://localhost:${T_CPORT[$k]}" \
        --listen-peer-urls "http://127.0.0.1:${T_PPORT[$k]}" --initial-advertise-peer-urls "http://localhost:${T_PPORT[$k]}" \
        --initial-cluster "$IC" --initial-cluster-token "t-$T_NAME-l" \
        --heartbeat-interval 50 --election-timeout 500 >>"$T_DIR/l$n.log" 2>&1 &
    T_PIDS[$n]=$!
    k=$((k + 1))
done
for n in 6 7 8; do check "l$n (peer URL http://localhost:...) serves" wait_until 20 healthy ${T_CPORT[$n]}; done
put ${T_CPORT[6]} /local/x y >/dev/null
expect_eq "a put on l6 reads at once on l8" "y" "$(getv ${T_CPORT[8]} /local/x)"
for n in 6 7 8; do node_stop $n; done
umount /etc/hosts 2>/dev/null
finish
