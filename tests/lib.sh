# Shared helpers of the integration tests (bash). Each test file sources
# this, starts its own members on its own 127.0.0.1 ports under $T_DIR, and
# calls finish at the end; run by scripts/test. Every wait has a deadline;
# every process started is stopped by PID on exit.
set -u

T_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ETCFSD=${ETCFSD:-$T_TOP/build/etcfsd}
ETCFSCTL=${ETCFSCTL:-$T_TOP/build/etcfsctl}
T_NAME=$(basename "$0" .sh)
T_DIR=$(mktemp -d "/tmp/etcfs-test-$T_NAME.XXXXXX")
T_PASS=0
T_FAIL=0
declare -A T_PIDS=()
declare -A T_CPORT=()
declare -A T_PPORT=()

pass() { echo "ok - $T_NAME: $1"; T_PASS=$((T_PASS + 1)); }
fail() { echo "not ok - $T_NAME: $1"; T_FAIL=$((T_FAIL + 1)); }

# check NAME CMD...: passes when CMD succeeds.
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then pass "$name"; else fail "$name"; fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then
        pass "$1"
    else
        fail "$1"
        echo "#   expected: $(printf '%q' "$2")"
        echo "#   actual:   $(printf '%q' "$3")"
    fi
}

# expect_match NAME REGEX ACTUAL
expect_match() {
    if [[ "$3" =~ $2 ]]; then
        pass "$1"
    else
        fail "$1"
        echo "#   expected to match: $2"
        echo "#   actual: $(printf '%q' "${3:0:400}")"
    fi
}

b64() { printf '%s' "$1" | base64 -w0; }
# b64v VAR STRING: base64 of an ASCII string into VAR without forking (for
# tight loops; plain b64 for binary data).
B64_CHARS=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/
b64v() {
    local _s=$2 _o="" _i _n=${#2} _a _b _c _v
    for ((_i = 0; _i < _n; _i += 3)); do
        printf -v _a '%d' "'${_s:_i:1}"
        _b=0; _c=0
        ((_i + 1 < _n)) && printf -v _b '%d' "'${_s:_i+1:1}"
        ((_i + 2 < _n)) && printf -v _c '%d' "'${_s:_i+2:1}"
        _v=$(((_a << 16) | (_b << 8) | _c))
        _o+=${B64_CHARS:$(((_v >> 18) & 63)):1}${B64_CHARS:$(((_v >> 12) & 63)):1}
        if ((_i + 1 < _n)); then _o+=${B64_CHARS:$(((_v >> 6) & 63)):1}; else _o+="="; fi
        if ((_i + 2 < _n)); then _o+=${B64_CHARS:$((_v & 63)):1}; else _o+="="; fi
    done
    printf -v "$1" '%s' "$_o"
}
unb64() { printf '%s' "$1" | base64 -d; }

# T_TLS=1: every member with client and peer TLS (certificates of
# tests/tls/mkcerts.sh, client and peer certificate authentication); curl
# and etcfsctl then carry the root client certificate. T_SCHEME is the
# URL scheme either way, T_CURL the curl arguments, T_TLS_FLAGS the
# members' flags.
T_SCHEME=http
T_CURL=()
T_TLS_FLAGS=()
if [ "${T_TLS:-0}" = 1 ]; then
    T_SCHEME=https
    T_PKI=$T_DIR/pki
    bash "$T_TOP/tests/tls/mkcerts.sh" "$T_PKI"
    T_CURL=(--cacert "$T_PKI/ca.crt" --cert "$T_PKI/client-root.crt" --key "$T_PKI/client-root.key")
    T_TLS_FLAGS=(--cert-file "$T_PKI/server.crt" --key-file "$T_PKI/server.key"
        --trusted-ca-file "$T_PKI/ca.crt" --client-cert-auth
        --peer-cert-file "$T_PKI/server.crt" --peer-key-file "$T_PKI/server.key"
        --peer-trusted-ca-file "$T_PKI/ca.crt" --peer-client-cert-auth)
    # etcfsctl with the same certificates
    printf '#!/bin/bash\nexec %q --cacert %q --cert %q --key %q "$@"\n' "$ETCFSCTL" \
        "$T_PKI/ca.crt" "$T_PKI/client-root.crt" "$T_PKI/client-root.key" >"$T_DIR/etcfsctl"
    chmod +x "$T_DIR/etcfsctl"
    ETCFSCTL=$T_DIR/etcfsctl
fi

# auth_on PORT: with T_AUTH=1 (and T_TLS=1: the clients' certificate is
# CN root), turns etcd's authentication on as an operator would (user root,
# role root, auth enable); every later request then goes through the
# permission checks as root, by its certificate. Asserts that auth is on: a
# certificate of CN alice (no such user) may not write. No-op otherwise.
auth_on() {
    [ "${T_AUTH:-0}" = 1 ] || return 0
    api "$1" /v3/auth/user/add '{"name":"root","password":"rootpw"}' >/dev/null
    api "$1" /v3/auth/user/grant '{"user":"root","role":"root"}' >/dev/null
    expect_match "auth enable" '"header"' "$(api "$1" /v3/auth/enable '{}')"
    expect_match "auth is on: CN alice may not write" "etcdserver: permission denied" \
        "$(curl -s -m 10 --cacert "$T_PKI/ca.crt" --cert "$T_PKI/client-alice.crt" \
            --key "$T_PKI/client-alice.key" -X POST "$T_SCHEME://127.0.0.1:$1/v3/kv/put" \
            -d '{"key":"L3g=","value":"eA=="}')"
}

# api PORT PATH JSON: POST to a member, prints the body.
api() { curl -s -m 10 "${T_CURL[@]}" -X POST "$T_SCHEME://127.0.0.1:$1$2" -d "$3"; }
# api_status PORT PATH JSON: prints the HTTP status code.
api_status() { curl -s -m 10 "${T_CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "$T_SCHEME://127.0.0.1:$1$2" -d "$3"; }
# jget JSON PATH: a jq-less field reader: python-free, uses grep on compact JSON.
jfield() { printf '%s' "$1" | grep -o "\"$2\":\"[^\"]*\"" | head -n1 | sed 's/.*:"\(.*\)"/\1/'; }

put() { api "$1" /v3/kv/put "{\"key\":\"$(b64 "$2")\",\"value\":\"$(b64 "$3")\"}"; }
# getv PORT KEY [serializable]: prints the value (empty when missing)
getv() {
    local ser=${3:-false}
    local r
    r=$(api "$1" /v3/kv/range "{\"key\":\"$(b64 "$2")\",\"serializable\":$ser}")
    unb64 "$(printf '%s' "$r" | grep -o '"value":"[^"]*"' | head -n1 | sed 's/"value":"\(.*\)"/\1/')"
}
revision() { jfield "$(api "$1" /v3/kv/range '{"key":"AA==","serializable":true}')" revision; }

# node_start N [extra flags...]: member nN with client port 1N379, peer
# 1N380 (N = 1..9), heartbeat $T_HEARTBEAT ms (50) and election timeout
# $T_ELECTION ms (500), in the cluster named by $T_CLUSTER (default: nodes
# listed in $T_MEMBERS, e.g. "1 2 3"). The ports lie below Linux's
# ephemeral range (32768-60999): an outgoing connection's source port
# never holds one when a member starts.
node_ports() { T_CPORT[$1]=$((10000 + $1 * 1000 + 379)); T_PPORT[$1]=$((10000 + $1 * 1000 + 380)); }
initial_cluster() {
    local ic="" n
    for n in ${T_MEMBERS:-1}; do
        node_ports "$n"
        ic="$ic${ic:+,}n$n=$T_SCHEME://127.0.0.1:${T_PPORT[$n]}"
    done
    echo "$ic"
}
# T_HOST: the address it listens on and advertises (127.0.0.1).
node_start() {
    local n=$1 h=${T_HOST:-127.0.0.1}
    shift
    node_ports "$n"
    [ -n "${T_PEER_PORT:-}" ] && T_PPORT[$n]=$T_PEER_PORT
    "$ETCFSD" --name "n$n" --data-dir "$T_DIR/n$n.etcfs" \
        --listen-client-urls "$T_SCHEME://$h:${T_CPORT[$n]}" \
        --advertise-client-urls "$T_SCHEME://$h:${T_CPORT[$n]}" \
        --listen-peer-urls "$T_SCHEME://$h:${T_PPORT[$n]}" \
        --initial-advertise-peer-urls "$T_SCHEME://$h:${T_PPORT[$n]}" \
        "${T_TLS_FLAGS[@]}" \
        --initial-cluster "${T_CLUSTER:-$(initial_cluster)}" \
        --initial-cluster-token "t-$T_NAME" \
        --heartbeat-interval "${T_HEARTBEAT:-50}" --election-timeout "${T_ELECTION:-500}" "$@" \
        >>"$T_DIR/n$n.log" 2>&1 &
    T_PIDS[$n]=$!
}
node_kill9() {
    { kill -9 "${T_PIDS[$1]}" && wait "${T_PIDS[$1]}"; } 2>/dev/null
    unset "T_PIDS[$1]"
}
# node_exit_status N: waits up to 10 s for nN to exit by itself and sets
# T_EXIT to its exit status, or to "running" (then it is killed); nN is
# forgotten. Not in $(...): T_PIDS must change in this shell.
node_exit_status() {
    local pid=${T_PIDS[$1]:-} i
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        T_EXIT=running
    else
        wait "$pid" 2>/dev/null
        T_EXIT=$?
    fi
    unset "T_PIDS[$1]"
}
# node_stop N: SIGTERM, then the member must exit cleanly (status 0)
# within 5 s; a crash or a hang at shutdown is a failure.
node_stop() {
    local pid=${T_PIDS[$1]:-}
    local rc
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    local i
    for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    { kill -9 "$pid" && sleep 0.1; } 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    unset "T_PIDS[$1]"
    if [ "$rc" != 0 ]; then
        fail "n$1 stops cleanly on SIGTERM (exit status $rc)"
    fi
}
# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_until() {
    local deadline=$((SECONDS + $1)) 
    shift
    while ! "$@" >/dev/null 2>&1; do
        [ $SECONDS -ge $deadline ] && return 1
        sleep 0.05
    done
    return 0
}
healthy() { curl -sf -m 2 "${T_CURL[@]}" "$T_SCHEME://127.0.0.1:$1/health" | grep -q true; }
# leader_of PORT: member id (decimal) of the leader as the member sees it.
leader_of() { jfield "$(api "$1" /v3/maintenance/status '{}')" leader; }
member_id() { jfield "$(api "$1" /v3/maintenance/status '{}')" member_id; }
# leader_node: the N of the current leader among started nodes.
leader_node() {
    local n
    for n in "${!T_PIDS[@]}"; do
        local st
        st=$(api "${T_CPORT[$n]}" /v3/maintenance/status '{}')
        if [ -n "$(jfield "$st" leader)" ] && [ "$(jfield "$st" leader)" == "$(jfield "$st" member_id)" ]; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

cleanup() {
    local n
    for n in "${!T_PIDS[@]}"; do
        kill -9 "${T_PIDS[$n]}" 2>/dev/null
    done
    wait 2>/dev/null
    if [ "$T_FAIL" = 0 ] && [ -z "${T_KEEP:-}" ]; then
        rm -rf "$T_DIR"
    else
        echo "# logs kept in $T_DIR"
    fi
}
trap cleanup EXIT

finish() {
    echo "RESULT $T_PASS $T_FAIL"
    [ "$T_FAIL" = 0 ]
}
