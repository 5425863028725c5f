#!/bin/bash
# One member driven with curl: the etcd v3 JSON gateway semantics (KV,
# history, txn, compaction, leases, watch), the default start without flags,
# and bad input that must be refused without hurting the member.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1"
node_start 1
P=${T_CPORT[1]}
wait_until 15 healthy $P || { fail "member starts"; finish; exit 1; }
pass "member starts and reports healthy"

# ---- KV ----
r=$(put $P /a/1 one)
expect_match "put returns a header with a revision" '"header":\{"cluster_id":"[0-9]+","member_id":"[0-9]+","revision":"2","raft_term":"[0-9]+"\}' "$r"
put $P /a/2 two >/dev/null
put $P /a/3 three >/dev/null
put $P /b/1 bee >/dev/null
r=$(put $P /a/1 uno)
expect_eq "get returns the latest value" "uno" "$(getv $P /a/1)"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/1)\"}")
expect_match "version and create/mod revision" '"create_revision":"2","mod_revision":"6","version":"2"' "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/1)\",\"revision\":\"2\"}")
expect_match "read at a past revision" "\"value\":\"$(b64 one)\"" "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/)\",\"range_end\":\"$(b64 /a0)\"}")
expect_match "prefix range returns 3 keys" '"count":"3"' "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/)\",\"range_end\":\"$(b64 /a0)\",\"limit\":2}")
expect_match "limit sets more" '"more":true,"count":"3"' "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/)\",\"range_end\":\"$(b64 /a0)\",\"count_only\":true}")
expect_eq "count_only has no kvs" "" "$(printf '%s' "$r" | grep -o '"kvs"')"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/)\",\"range_end\":\"$(b64 /a0)\",\"keys_only\":true}")
expect_eq "keys_only has no values" "" "$(printf '%s' "$r" | grep -o '"value"')"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/)\",\"range_end\":\"$(b64 /a0)\",\"sort_order\":\"DESCEND\",\"sort_target\":\"KEY\",\"limit\":1}")
expect_match "sort descending by key" "\"key\":\"$(b64 /a/3)\"" "$r"
r=$(api $P /v3/kv/range "{\"key\":\"AA==\",\"range_end\":\"AA==\",\"count_only\":true}")
expect_match "all keys from \\0 to \\0" '"count":"4"' "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /missing)\"}")
expect_eq "missing key: no kvs, no count" "" "$(printf '%s' "$r" | grep -o '"kvs"\|"count"')"

r=$(api $P /v3/kv/deleterange "{\"key\":\"$(b64 /a/2)\",\"prev_kv\":true}")
expect_match "delete with prev_kv" "\"deleted\":\"1\",\"prev_kvs\":\\[\\{\"key\":\"$(b64 /a/2)\"" "$r"
rev_del=$(jfield "$r" revision)
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/2)\",\"revision\":\"$((rev_del - 1))\"}")
expect_match "tombstone keeps the older revision readable" "\"value\":\"$(b64 two)\"" "$r"
r=$(put $P /a/2 again)
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/2)\"}")
expect_match "recreated key restarts at version 1" '"version":"1"' "$r"

# ---- txn ----
r=$(api $P /v3/kv/txn "{\"compare\":[{\"key\":\"$(b64 /a/1)\",\"target\":\"VALUE\",\"result\":\"EQUAL\",\"value\":\"$(b64 uno)\"}],\"success\":[{\"request_put\":{\"key\":\"$(b64 /t/1)\",\"value\":\"$(b64 x)\"}},{\"request_put\":{\"key\":\"$(b64 /t/2)\",\"value\":\"$(b64 y)\"}}],\"failure\":[{\"request_range\":{\"key\":\"$(b64 /a/1)\"}}]}")
expect_match "txn success branch" '"succeeded":true,"responses":\[\{"response_put"' "$r"
t1=$(api $P /v3/kv/range "{\"key\":\"$(b64 /t/1)\"}")
t2=$(api $P /v3/kv/range "{\"key\":\"$(b64 /t/2)\"}")
expect_eq "txn writes share one revision" "$(printf '%s' "$t1" | grep -o '"mod_revision":"[0-9]*"')" "$(printf '%s' "$t2" | grep -o '"mod_revision":"[0-9]*"')"
r=$(api $P /v3/kv/txn "{\"compare\":[{\"key\":\"$(b64 /a/1)\",\"target\":\"VERSION\",\"result\":\"GREATER\",\"version\":\"5\"}],\"success\":[{\"request_put\":{\"key\":\"$(b64 /t/3)\",\"value\":\"$(b64 z)\"}}],\"failure\":[{\"request_range\":{\"key\":\"$(b64 /a/1)\"}}]}")
expect_match "txn failure branch runs the range" '"responses":\[\{"response_range":\{.*"kvs"' "$r"
expect_eq "txn failure: no succeeded field" "" "$(printf '%s' "$r" | grep -o '"succeeded"')"
r=$(api $P /v3/kv/txn "{\"success\":[{\"request_put\":{\"key\":\"$(b64 /d)\",\"value\":\"$(b64 1)\"}},{\"request_put\":{\"key\":\"$(b64 /d)\",\"value\":\"$(b64 2)\"}}]}")
expect_match "txn with a duplicate key is refused" 'duplicate key given in txn request' "$r"

# ---- compaction ----
rev=$(revision $P)
r=$(api $P /v3/kv/compaction "{\"revision\":\"$((rev - 2))\"}")
expect_match "compaction succeeds" '"header"' "$r"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/1)\",\"revision\":\"2\"}")
expect_match "read below the compacted revision fails" '"message":"etcdserver: mvcc: required revision has been compacted"' "$r"
s=$(api_status $P /v3/kv/range "{\"key\":\"$(b64 /a/1)\",\"revision\":\"2\"}")
expect_eq "compacted error is HTTP 400" "400" "$s"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /a/1)\",\"revision\":\"99999\"}")
expect_match "future revision fails" 'required revision is a future revision' "$r"
r=$(api $P /v3/kv/compaction "{\"revision\":\"$((rev - 3))\"}")
expect_match "compacting an older revision fails" 'required revision has been compacted' "$r"

# ---- leases ----
r=$(api $P /v3/lease/grant '{"TTL":"30"}')
lid=$(jfield "$r" ID)
expect_match "lease grant returns ID and TTL" '"ID":"[0-9]+","TTL":"30"' "$r"
api $P /v3/kv/put "{\"key\":\"$(b64 /l/1)\",\"value\":\"$(b64 v)\",\"lease\":\"$lid\"}" >/dev/null
api $P /v3/kv/put "{\"key\":\"$(b64 /l/2)\",\"value\":\"$(b64 v)\",\"lease\":\"$lid\"}" >/dev/null
r=$(api $P /v3/lease/timetolive "{\"ID\":\"$lid\",\"keys\":true}")
expect_match "timetolive lists the keys" "\"grantedTTL\":\"30\",\"keys\":\\[\"$(b64 /l/1)\",\"$(b64 /l/2)\"\\]" "$r"
r=$(api $P /v3/lease/leases '{}')
expect_match "leases lists the lease" "\"ID\":\"$lid\"" "$r"
r=$(curl -s -m 3 -X POST "http://127.0.0.1:$P/v3/lease/keepalive" -d "{\"ID\":\"$lid\"}")
expect_match "keepalive stream answers with the TTL" "^\\{\"result\":\\{\"header\":.*\"ID\":\"$lid\",\"TTL\":\"30\"\\}\\}" "$r"
r=$(api $P /v3/kv/put "{\"key\":\"$(b64 /l/3)\",\"value\":\"$(b64 v)\",\"lease\":\"12345\"}")
expect_match "put with an unknown lease fails" 'requested lease not found' "$r"
r=$(api $P /v3/lease/revoke "{\"ID\":\"$lid\"}")
expect_match "revoke succeeds" '"header"' "$r"
expect_eq "revoke deleted the lease's keys" "" "$(getv $P /l/1)"
r=$(api $P /v3/lease/timetolive "{\"ID\":\"$lid\"}")
expect_match "timetolive of a revoked lease is -1" '"TTL":"-1"' "$r"
r=$(api $P /v3/lease/revoke "{\"ID\":\"$lid\"}")
expect_match "revoking twice: lease not found" 'requested lease not found' "$r"
r=$(api $P /v3/kv/lease/leases '{}')
expect_match "legacy /v3/kv/lease/leases alias" '"header"' "$r"
r=$(api $P /v3beta/kv/range "{\"key\":\"$(b64 /a/1)\"}")
expect_match "/v3beta root" "\"value\":\"$(b64 uno)\"" "$r"

# ---- watch ----
rev=$(revision $P)
curl -s -N -m 3 -X POST "http://127.0.0.1:$P/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$(b64 /w/)\",\"range_end\":\"$(b64 /w0)\",\"prev_kv\":true}}" >"$T_DIR/watch1" &
wpid=$!
curl -s -N -m 3 -X POST "http://127.0.0.1:$P/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$(b64 /w/x)\",\"start_revision\":\"$((rev + 1))\"}} {\"progress_request\":{}}" >"$T_DIR/watch2" &
wpid2=$!
sleep 0.5
put $P /w/x 1 >/dev/null
put $P /w/x 2 >/dev/null
put $P /other 1 >/dev/null
api $P /v3/kv/deleterange "{\"key\":\"$(b64 /w/x)\"}" >/dev/null
wait $wpid $wpid2
w=$(cat "$T_DIR/watch1")
expect_match "watch: created first" '^\{"result":\{"header":\{[^}]*\},"created":true\}\}' "$w"
expect_eq "watch: 3 events for the prefix, none for others" "3" "$(grep -c '"events"' "$T_DIR/watch1")"
expect_match "watch: put then prev_kv on update" "\"value\":\"$(b64 2)\"\\},\"prev_kv\":\\{[^}]*\"value\":\"$(b64 1)\"" "$w"
expect_match "watch: delete event typed DELETE" '"type":"DELETE","kv":\{"key":"[^"]*","mod_revision"' "$w"
w2=$(cat "$T_DIR/watch2")
expect_match "watch: progress response (watch_id -1)" '"watch_id":"-1"' "$w2"
# replay from history after the fact
r=$(curl -s -N -m 1 -X POST "http://127.0.0.1:$P/v3/watch" -d "{\"create_request\":{\"key\":\"$(b64 /w/x)\",\"start_revision\":\"$((rev + 1))\"}}")
expect_eq "watch: start_revision replays history" "3" "$(printf '%s\n' "$r" | grep -o '"kv":' | wc -l)"
crev=$(revision $P)
api $P /v3/kv/compaction "{\"revision\":\"$crev\"}" >/dev/null
r=$(curl -s -N -m 1 -X POST "http://127.0.0.1:$P/v3/watch" -d "{\"create_request\":{\"key\":\"$(b64 /w/x)\",\"start_revision\":\"2\"}}")
expect_match "watch: compacted start revision is canceled with compact_revision" "\"canceled\":true,\"compact_revision\":\"$crev\"" "$r"

# ---- /version, /metrics, /health ----
expect_match "/version" '"etcdserver":"3\.4\.[0-9]+"' "$(curl -s -m 3 http://127.0.0.1:$P/version)"
expect_match "/metrics is Prometheus text" 'etcd_server_has_leader 1' "$(curl -s -m 3 http://127.0.0.1:$P/metrics)"
r=$(api $P /v3/maintenance/status '{}')
expect_match "status has raft fields" '"version":"3\.4\.[0-9]+","dbSize":"[0-9]+","leader":"[0-9]+","raftIndex":"[0-9]+","raftTerm":"[0-9]+","raftAppliedIndex":"[0-9]+"' "$r"

# ---- bad input: each gets a clear error and the member keeps serving ----
s=$(api_status $P /v3/kv/put '{"key": "Zm9v", "value": ')
expect_eq "malformed JSON -> 400" "400" "$s"
expect_match "malformed JSON message" '"message":"malformed JSON[^"]*","code":3' "$(api $P /v3/kv/put '{"key": ')"
expect_match "bad base64 -> InvalidArgument" '"error":"key: illegal base64 data","message":"key: illegal base64 data","code":3' "$(api $P /v3/kv/put '{"key":"***","value":"YQ=="}')"
expect_match "unpadded base64 refused" 'illegal base64' "$(api $P /v3/kv/put '{"key":"YQ","value":"YQ=="}')"
expect_match "empty key refused" 'etcdserver: key is not provided' "$(api $P /v3/kv/put '{"value":"YQ=="}')"
expect_match "non-object body refused" 'expected an object' "$(api $P /v3/kv/put '[1,2]')"
expect_eq "unknown path -> 404" "404" "$(api_status $P /v3/kv/nope '{}')"
expect_eq "GET on a POST route -> 404" "404" "$(curl -s -o /dev/null -w '%{http_code}' -m 3 http://127.0.0.1:$P/v3/kv/range)"
# a 1.6 MB value: under the HTTP body cap, over --max-request-bytes
head -c 1600000 /dev/zero | tr '\0' 'A' | base64 -w0 >"$T_DIR/big"
printf '{"key":"Zm9v","value":"%s"}' "$(cat "$T_DIR/big")" >"$T_DIR/big.json"
s=$(curl -s -m 10 -o "$T_DIR/big.out" -w '%{http_code}' -X POST "http://127.0.0.1:$P/v3/kv/put" --data-binary @"$T_DIR/big.json")
expect_eq "value over the request limit -> 400" "400" "$s"
expect_match "request too large message" 'etcdserver: request is too large' "$(cat "$T_DIR/big.out")"
# a 4 MB body is refused before it is read
head -c 3000000 /dev/zero | tr '\0' 'A' | base64 -w0 >"$T_DIR/huge"
printf '{"key":"Zm9v","value":"%s"}' "$(cat "$T_DIR/huge")" >"$T_DIR/huge.json"
s=$(curl -s -m 10 -o "$T_DIR/huge.out" -w '%{http_code}' -X POST "http://127.0.0.1:$P/v3/kv/put" --data-binary @"$T_DIR/huge.json")
expect_eq "body over the HTTP cap -> 400" "400" "$s"
expect_match "HTTP cap message" 'etcdserver: request is too large' "$(cat "$T_DIR/huge.out")"
# a 900 kB value is accepted
head -c 900000 /dev/urandom >"$T_DIR/midraw"
printf '{"key":"%s","value":"%s"}' "$(b64 /big)" "$(base64 -w0 "$T_DIR/midraw")" >"$T_DIR/mid.json"
expect_eq "a 900 kB value is accepted" "200" "$(curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$P/v3/kv/put" --data-binary @"$T_DIR/mid.json")"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /big)\"}")
expect_eq "the 900 kB value reads back intact" "$(base64 -w0 "$T_DIR/midraw")" "$(printf '%s' "$r" | grep -o '"value":"[^"]*"' | sed 's/"value":"\(.*\)"/\1/')"
# client that disconnects mid-request and mid-watch
printf 'POST /v3/kv/put HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"key":' | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/$P" 2>/dev/null
curl -s -N -m 0.5 -X POST "http://127.0.0.1:$P/v3/watch" -d "{\"create_request\":{\"key\":\"$(b64 /w/)\"}}" >/dev/null
printf 'GARBAGE\r\n\r\n' | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/$P" 2>/dev/null
head -c 4096 /dev/urandom | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/${T_PPORT[1]}" 2>/dev/null
head -c 100 /dev/urandom | timeout 1 bash -c "cat > /dev/tcp/127.0.0.1/${T_PPORT[1]}" 2>/dev/null
sleep 0.3
check "member still alive after bad input" kill -0 "${T_PIDS[1]}"
put $P /after ok >/dev/null
expect_eq "member still serves writes after bad input" "ok" "$(getv $P /after)"

# ---- restart resumes from the applied index ----
rev=$(revision $P)
node_stop 1
node_start 1
wait_until 15 healthy $P || fail "restart"
expect_eq "restart keeps the revision" "$rev" "$(revision $P)"
expect_eq "restart keeps the data" "uno" "$(getv $P /a/1)"

finish
