#!/bin/bash
# What a hostile or broken client cannot do to a member: a request trickled
# one byte a second is cut after 30 s (with a log line) while other clients
# are served at once; 1,000 idle connections do not stop the member from
# serving; a head of 100 KB or a body over --max-request-bytes gets a clear
# error without the member reading it all; a watch stream cannot hold more
# than 1,024 watchers; garbage bytes get Go's 400 answer; HEAD gets no
# body. The member is
# still healthy afterwards.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1"
node_start 1 --max-request-bytes 65536
trap cleanup EXIT
wait_until 20 healthy ${T_CPORT[1]} || { fail "member healthy"; finish; exit 1; }
P=${T_CPORT[1]}

# ---- a slow client: one byte a second ----
python3 - "$P" >"$T_DIR/slow" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
req = b"POST /v3/kv/range HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
t0 = time.time()
try:
    for b in req * 100:
        s.sendall(bytes([b]))
        time.sleep(1)
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        s.settimeout(None)
except (BrokenPipeError, ConnectionResetError):
    pass
print("closed after %.0f s" % (time.time() - t0))
EOF
slow=$!
sleep 2
t0=$(date +%s%N)
for i in $(seq 200); do put $P "/fast/$i" v >/dev/null; done
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "200 puts while the slow client trickles: all there" 200 \
    "$(jfield "$(api $P /v3/kv/range "{\"key\":\"$(b64 /fast/)\",\"range_end\":\"$(b64 /fast0)\",\"count_only\":true}")" count)"
pass "and they took $ms ms"

# ---- 1,000 idle connections ----
python3 - "$P" <<'EOF' &
import socket, sys, time
conns = []
for _ in range(1000):
    conns.append(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
time.sleep(8)
EOF
idle=$!
sleep 3
expect_match "a put with 1,000 idle connections open" '"header"' "$(put $P /idle yes)"
expect_match "a range too" "\"value\":\"$(b64 yes)\"" "$(api $P /v3/kv/range "{\"key\":\"$(b64 /idle)\"}")"
wait $idle

# ---- oversized heads and bodies, garbage ----
big=$(head -c 100000 /dev/zero | tr '\0' a)
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' -H "X-Big: $big" -X POST "http://127.0.0.1:$P/v3/kv/range" -d '{}')
check "a 100 KB header is refused ($code)" test "$code" = 400 -o "$code" = 431 -o "$code" = 000
head -c 2000000 /dev/zero | tr '\0' a >"$T_DIR/body"
r=$(curl -s -m 10 -X POST "http://127.0.0.1:$P/v3/kv/put" --data-binary @"$T_DIR/body")
expect_match "a 2 MB body over --max-request-bytes" "etcdserver: request is too large" "$r"
r=$(printf 'GARBAGE\x00\x01\x02\r\n\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P; cat >&3; cat <&3")
expect_match "garbage bytes get 400 Bad Request" "400 Bad Request" "$r"

# HEAD answers the length GET would get and no body: the next answer on
# the same connection is read whole
r=$(python3 - "$P" <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"HEAD /version HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\nHost: x\r\n\r\n")
s.settimeout(3)
data = b""
try:
    while data.count(b"HTTP/1.1 200") < 2 or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
head, _, rest = data.partition(b"\r\n\r\n")
print("second answer starts right after the HEAD's headers:", rest.startswith(b"HTTP/1.1 200"))
PYEOF
)
expect_eq "HEAD then GET on one connection" "second answer starts right after the HEAD's headers: True" "$r"

# ---- watchers per stream ----
python3 - "$P" >"$T_DIR/watch" 2>&1 <<'EOF'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
body = "".join(json.dumps({"create_request": {"key": "L3c=", "watch_id": i + 1}}) for i in range(1030))
s.sendall(("POST /v3/watch HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body.encode())
s.settimeout(5)
data = b""
try:
    while data.count(b'"created":true') + data.count(b"too many watchers") < 1030:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print("created", data.count(b'"created":true'), "refused", data.count(b"too many watchers"))
EOF
expect_eq "a watch stream holds 1,024 watchers, the rest refused" "created 1024 refused 6" "$(cat "$T_DIR/watch")"

# ---- the slow client was cut ----
wait $slow
secs=$(grep -o 'closed after [0-9]*' "$T_DIR/slow" | grep -o '[0-9]*$')
check "the trickling client was cut after ~30 s (${secs:-?} s)" test "${secs:-0}" -ge 29 -a "${secs:-999}" -le 40
check "with a log line" grep -q "request not received in 30 s, closed" "$T_DIR/n1.log"
check "the member is healthy" healthy $P
finish
