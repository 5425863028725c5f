#!/bin/bash
# The gateway's client streams end as etcd 3.4's do (grpc-gateway v1 over
# etcd's LeaseKeepAlive and Watch servers): a keep-alive response ends
# once the request body ended and every request in it was answered (one
# body, two bodies, a body that stops decoding half-way), a watch response
# stays open after its body ended and keeps delivering events; a first
# message that does not decode is HTTP 500 with gRPC code Unknown; a
# pipelined request after a keep-alive is served on the same connection.
# python3-etcd3gw (Debian's) runs Lease.refresh(), put/get/delete, a lease
# with keys and a watch, on etcd3gw's default /v3alpha/ root and on /v3/.
# Every answer is compared with a reference etcd 3.4 on its own ports when
# `etcd` is installed (headers left out: ids and terms differ); fixed
# expectations cover the essentials either way. Every call has a timeout.
source "$(dirname "$0")/../lib.sh"

PY=/usr/bin/python3
node_start 1
wait_until 20 healthy "${T_CPORT[1]}" || { fail "member n1 healthy"; finish; exit 1; }
FS=http://127.0.0.1:${T_CPORT[1]}

# the reference etcd, stopped by PID with the members (lib.sh cleanup)
REF=
if command -v etcd >/dev/null 2>&1; then
    etcd --name ref --data-dir "$T_DIR/ref.etcd" \
        --listen-client-urls http://127.0.0.1:19479 --advertise-client-urls http://127.0.0.1:19479 \
        --listen-peer-urls http://127.0.0.1:19480 --initial-advertise-peer-urls http://127.0.0.1:19480 \
        --initial-cluster ref=http://127.0.0.1:19480 >"$T_DIR/ref.log" 2>&1 &
    T_PIDS[ref]=$!
    if wait_until 20 curl -sf -m 2 http://127.0.0.1:19479/health; then
        REF=http://127.0.0.1:19479
    else
        fail "reference etcd started (see $T_DIR/ref.log)"
    fi
else
    echo "# no etcd installed: fixed expectations only"
fi

# stream URL BODY SECONDS: the response (status line and content type
# last, "rc=" curl's exit code: 28 = still open at the deadline) with
# every header object left out.
stream() {
    local out rc
    out=$(curl -s -m "$3" -w '\n[%{http_code} %{content_type}]' -X POST "$1" -d "$2")
    rc=$?
    printf '%s rc=%s\n' "$out" "$rc" | sed 's/"header":{[^}]*}/H/g'
}
# same NAME PATH BODY SECONDS: etcfs answers as the reference etcd does.
same() {
    local mine
    mine=$(stream "$FS$2" "$3" "$4")
    [ -n "$REF" ] || return 0
    expect_eq "$1: as etcd" "$(stream "$REF$2" "$3" "$4")" "$mine"
}

for u in "$FS" ${REF:+"$REF"}; do
    curl -s -m 5 -X POST "$u/v3/lease/grant" -d '{"TTL":600,"ID":4321}' >/dev/null
done

# ---- keep-alive ----
t0=$(date +%s%N)
r=$(curl -s -m 10 -X POST "$FS/v3/lease/keepalive" -d '{"ID":4321}')
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "one keep-alive body: the response ends (curl exit 0)" 0 "$rc"
check "one keep-alive body: answered within 3 s (${ms} ms)" test "$ms" -lt 3000
expect_match "one keep-alive body: etcd's answer with the TTL" \
    '^\{"result":\{"header":\{"cluster_id":"[0-9]+","member_id":"[0-9]+","revision":"[0-9]+","raft_term":"[0-9]+"\},"ID":"4321","TTL":"600"\}\}$' "$r"
r=$(curl -s -m 10 -X POST "$FS/v3/lease/keepalive" -d '{"ID":4321}{"ID":"4321"}')
expect_eq "two keep-alive bodies: two answers, then the end (exit $?)" 2 "$(printf '%s\n' "$r" | grep -c '"ID":"4321","TTL":"600"')"
same "keep-alive, one body" /v3/lease/keepalive '{"ID":4321}' 5
same "keep-alive, two bodies" /v3/lease/keepalive '{"ID":4321}{"ID":4321}' 5
same "keep-alive, two bodies on two lines" /v3/lease/keepalive $'{"ID":4321}\n{"ID":"4321"}\n' 5
same "keep-alive, unknown lease (no TTL)" /v3/lease/keepalive '{"ID":999}' 5
same "keep-alive, empty body: an empty 200" /v3/lease/keepalive '' 5
same "keep-alive, null and unknown fields" /v3/lease/keepalive '{"foo":1} null' 5
same "keep-alive, the second body not JSON: the first answered" /v3/lease/keepalive '{"ID":4321} xx' 5
same "keep-alive, the second body an array" /v3/lease/keepalive '{"ID":4321} [1]' 5
same "keep-alive, not JSON: 500 Unknown" /v3/lease/keepalive 'hello' 5
same "keep-alive, an array: 500 Unknown" /v3/lease/keepalive '[1]' 5
same "keep-alive, truncated: unexpected EOF" /v3/lease/keepalive '{"ID":4321' 5
expect_match "keep-alive, not JSON: gateway's 500" '^\{"error":"invalid character '"'h'"' looking for beginning of value",.*"code":2.*\}
\[500 application/json\] rc=0$' "$(stream "$FS/v3/lease/keepalive" hello 5)"
r=$(curl -s -m 5 -w ' [%{http_code}]' -X POST "$FS/v3/lease/keepalive" -d '{"ID":"abc"}')
expect_match "keep-alive, an ID that is no integer: 500 Unknown" '"code":2\} \[500\]$' "$r"
for root in /v3beta/ /v3alpha/; do
    r=$(curl -s -m 5 -X POST "$FS${root}lease/keepalive" -d '{"ID":4321}{"ID":4321}')
    expect_eq "keep-alive under $root: two answers, then the end (exit $?)" 2 "$(printf '%s\n' "$r" | grep -c '"TTL":"600"')"
done

# a keep-alive, then more requests on the same connection
r=$(curl -sv -m 10 -X POST "$FS/v3/lease/keepalive" -d '{"ID":4321}' --next -m 10 -X POST "$FS/v3/lease/keepalive" \
    -d '{"ID":4321}' --next -m 10 -X POST "$FS/v3/kv/range" -d '{"key":"AA=="}' 2>&1)
expect_eq "keep-alive then two requests on one connection" "2 2" \
    "$(printf '%s\n' "$r" | grep -c 'Re-using existing connection') $(printf '%s\n' "$r" | grep -c '"TTL":"600"')"
r=$(timeout 10 "$PY" - "${T_CPORT[1]}" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
ka, rg = b'{"ID":4321}', b'{"key":"AA=="}'
s.sendall(b'POST /v3/lease/keepalive HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s' % (len(ka), ka)
          + b'POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' % (len(rg), rg))
d = b""
while True:
    x = s.recv(65536)
    if not x:
        break
    d += x
print(d.decode().replace("\r", ""))
EOF
)
expect_match "keep-alive and a pipelined range: both answered, in order" \
    $'^HTTP/1.1 200 OK\n.*"TTL":"600".*\n0\n\nHTTP/1.1 200 OK\n.*"header"' "$r"

# ---- watch ----
same "watch, one create: stays open after the body" /v3/watch '{"create_request":{"key":"Zm9v"}}' 2
same "watch, empty body: open, nothing sent" /v3/watch '' 2
same "watch, not JSON: 500 Unknown" /v3/watch 'hello' 2
same "watch, a create then garbage: open, no error chunk" /v3/watch '{"create_request":{"key":"Zm9v"}}xx' 2
same "watch, a bad second create: reading stops there" /v3/watch \
    '{"create_request":{"key":"Zm9v"}} {"create_request":{"key":"Zm9v","start_revision":"x"}} {"create_request":{"key":"YmFy"}}' 2
same "watch, create and cancel" /v3/watch '{"create_request":{"key":"Zm9v"}}{"cancel_request":{"watch_id":"0"}}' 2
same "watch, progress request" /v3/watch '{"progress_request":{}}' 2
for u in "$FS" ${REF:+"$REF"}; do
    n=$([ "$u" = "$FS" ] && echo fs || echo ref)
    curl -s -N -m 3 -X POST "$u/v3/watch" -d '{"create_request":{"key":"L2d3L2V2"}}' >"$T_DIR/watch.$n" &
    wp=$!
    sleep 0.5
    curl -s -m 5 -X POST "$u/v3/kv/put" -d '{"key":"L2d3L2V2","value":"MQ=="}' >/dev/null
    wait "$wp"
    echo "rc=$?" >>"$T_DIR/watch.$n"
done
w=$(sed 's/"header":{[^}]*}/H/g' "$T_DIR/watch.fs")
expect_match "watch, one create: events after the body ended" \
    '^\{"result":\{H,"created":true\}\}
\{"result":\{H,"events":\[\{"kv":\{"key":"L2d3L2V2",[^]]*"value":"MQ=="\}\}\]\}\}
rc=28$' "$w"
if [ -n "$REF" ]; then
    expect_eq "watch events: as etcd" "$(sed 's/"header":{[^}]*}/H/g; s/_revision":"[0-9]*"/_revision":"R"/g' "$T_DIR/watch.ref")" \
        "$(sed 's/"header":{[^}]*}/H/g; s/_revision":"[0-9]*"/_revision":"R"/g' "$T_DIR/watch.fs")"
fi

# ---- python3-etcd3gw ----
if [ -x "$PY" ] && "$PY" -c 'import etcd3gw' 2>/dev/null; then
    GW=$(dirname "$0")/gateway_etcd3gw.py
    for root in default /v3/; do
        out=$(timeout 30 "$PY" "$GW" "${T_CPORT[1]}" "$root" 2>&1)
        rc=$?
        expect_eq "etcd3gw on $root: runs to the end (exit status)" 0 "$rc"
        expect_match "etcd3gw on $root: Lease.refresh() returns the TTL" '^refresh 5
refresh again 5
' "$out"
        if [ -n "$REF" ]; then
            ref=$(timeout 30 "$PY" "$GW" 19479 /v3/ 2>&1)
            expect_eq "etcd3gw on $root: as etcd" "$ref" "$out"
        else
            expect_match "etcd3gw on $root: lease keys, revoke, watch" "lease keys \[b'/gw/l1', b'/gw/l2'\].*keys after revoke \[\] \[\].*watch put PUT b'/gw/w' b'v1'
watch delete DELETE b'/gw/w'
watch once WatchTimedOut
done$" "$out"
        fi
    done
else
    fail "python3-etcd3gw installed (for /usr/bin/python3)"
fi

check "member still healthy" healthy "${T_CPORT[1]}"
node_stop 1
finish
