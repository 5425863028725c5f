#!/bin/bash
# TLS on every link: three members with client and peer TLS, client and
# peer certificate authentication and --peer-cert-allowed-cn, certificates
# made with openssl (tests/tls/mkcerts.sh). etcfsctl and curl with the
# right certificates work on every member (writes through followers cross
# the peer links); a client without a certificate, with one of another CA,
# or speaking plain HTTP is refused with a clear error; a member with a
# certificate of another CA cannot disturb the cluster; the members'
# endpoints answer only a member's certificate, on the peer port only; a
# renewed certificate is served without a restart; a stalled handshake is
# cut; with --client-cert-auth and auth enabled the certificate's CN is the
# user (a token, when given, wins); --auto-tls makes and serves a
# certificate.
T_TLS=1
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do node_start $n --peer-cert-allowed-cn member; done
trap cleanup EXIT
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy over TLS"; finish; exit 1; }
done
pass "three members with client and peer TLS are healthy"
P=$T_PKI
C1=${T_CPORT[1]}

# ---- the right certificates ----
for n in 1 2 3; do
    out=$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[$n]}" put "/tls/n$n" "v$n" 2>&1)
    expect_eq "etcfsctl put through n$n (https, client certificate)" "OK" "$out"
done
expect_eq "etcfsctl reads what every member wrote" "v2" \
    "$("$ETCFSCTL" --endpoints "https://127.0.0.1:$C1" get /tls/n2 --print-value-only 2>&1)"
expect_eq "etcdctl's ETCDCTL_CACERT/CERT/KEY variables work too" "v3" \
    "$(ETCDCTL_CACERT="$P/ca.crt" ETCDCTL_CERT="$P/client-root.crt" ETCDCTL_KEY="$P/client-root.key" \
        "$T_TOP/build/etcfsctl" --endpoints "127.0.0.1:$C1" get /tls/n3 --print-value-only 2>&1)"
r=$(curl -s -m 5 --cacert "$P/ca.crt" --cert "$P/client-alice.crt" --key "$P/client-alice.key" \
    -X POST "https://127.0.0.1:${T_CPORT[3]}/v3/kv/range" -d "{\"key\":\"$(b64 /tls/n1)\"}")
expect_match "curl --cacert --cert --key reads" "\"value\":\"$(b64 v1)\"" "$r"

# ---- refused, with a clear error ----
out=$(curl -s -m 5 --cacert "$P/ca.crt" -X POST "https://127.0.0.1:$C1/v3/kv/range" -d '{}' 2>&1); rc=$?
check "a client without a certificate is refused" test "$rc" != 0
check "and the member says why" grep -q "peer did not return a certificate" "$T_DIR/n1.log"
out=$(curl -s -m 5 --cacert "$P/ca.crt" --cert "$P/intruder.crt" --key "$P/intruder.key" \
    -X POST "https://127.0.0.1:$C1/v3/kv/range" -d '{}' 2>&1); rc=$?
check "a client certificate of another CA is refused" test "$rc" != 0
check "and the member says why" grep -q "unable to get local issuer certificate" "$T_DIR/n1.log"
out=$(curl -s -m 5 -X POST "http://127.0.0.1:$C1/v3/kv/range" -d '{}' 2>&1)
expect_eq "plain HTTP on the TLS port gets Go's answer" "Client sent an HTTP request to an HTTPS server." "$out"
check "and the member logs it" grep -q "plain text sent to a TLS port" "$T_DIR/n1.log"
out=$("$T_TOP/build/etcfsctl" --endpoints "https://127.0.0.1:$C1" get /tls/n1 2>&1); rc=$?
check "etcfsctl without certificates fails" test "$rc" != 0
expect_match "with an error" "^Error: " "$out"
out=$("$T_TOP/build/etcfsctl" --endpoints "https://127.0.0.1:$C1" --insecure-skip-tls-verify \
    --cert "$P/client-root.crt" --key "$P/client-root.key" get /tls/n1 --print-value-only 2>&1)
expect_eq "--insecure-skip-tls-verify skips only the server check" "v1" "$out"

# ---- the members' endpoints: a member's certificate, on the peer port ----
body='{"term":"1","leader":"1"}'
out=$(curl -s -m 5 "${T_CURL[@]}" -X POST "https://127.0.0.1:$C1/etcfs/v1/leadercheck" -d "$body")
expect_match "the client port has no members' endpoints" '"Not Found"' "$out"
out=$(curl -s -m 5 --cacert "$P/ca.crt" --cert "$P/server.crt" --key "$P/server.key" \
    -X POST "https://127.0.0.1:${T_PPORT[1]}/etcfs/v1/leadercheck" -d "$body")
expect_eq "a member's certificate reaches them on the peer port" '{"ok":false}' "$out"
out=$(curl -s -m 5 --cacert "$P/ca.crt" --cert "$P/client-alice.crt" --key "$P/client-alice.key" \
    -X POST "https://127.0.0.1:${T_PPORT[1]}/etcfs/v1/leadercheck" -d "$body" 2>&1); rc=$?
check "a client certificate of the same CA but not CN=member is refused there" \
    bash -c "[ $rc != 0 ] || [ -z '$out' ]"
check "and the member says why" grep -q "not CN=member" "$T_DIR/n1.log"
out=$(curl -s -m 5 -k --cert "$P/intruder.crt" --key "$P/intruder.key" \
    -X POST "https://127.0.0.1:${T_PPORT[1]}/etcfs/v1/propose" -d 'x' 2>&1); rc=$?
check "a certificate of another CA cannot propose on the peer port" test "$rc" != 0

# ---- a member of another CA cannot join or disturb ----
term=$(jfield "$(api $C1 /v3/kv/range '{"key":"AA=="}')" raft_term)
leader=$(leader_of $C1)
node_ports 4
"$ETCFSD" --name n4 --data-dir "$T_DIR/n4.etcfs" \
    --listen-client-urls "https://127.0.0.1:${T_CPORT[4]}" --advertise-client-urls "https://127.0.0.1:${T_CPORT[4]}" \
    --listen-peer-urls "https://127.0.0.1:${T_PPORT[4]}" --initial-advertise-peer-urls "https://127.0.0.1:${T_PPORT[4]}" \
    --initial-cluster "$(T_MEMBERS="1 2 3 4" initial_cluster)" --initial-cluster-token "t-$T_NAME" \
    --heartbeat-interval 50 --election-timeout 500 \
    --cert-file "$P/intruder.crt" --key-file "$P/intruder.key" \
    --peer-cert-file "$P/intruder.crt" --peer-key-file "$P/intruder.key" \
    --peer-trusted-ca-file "$P/other.crt" --peer-client-cert-auth >>"$T_DIR/n4.log" 2>&1 &
T_PIDS[4]=$!
sleep 3   # several of its election timeouts: it campaigns all along
check "the intruder's vote requests never reach the members" grep -q "peer port: certificate: unable to get local issuer certificate" "$T_DIR/n1.log"
expect_eq "the cluster's term did not move" "$term" "$(jfield "$(api $C1 /v3/kv/range '{"key":"AA=="}')" raft_term)"
expect_eq "nor its leader" "$leader" "$(leader_of $C1)"
expect_eq "writes go on" "OK" "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[2]}" put /tls/after x 2>&1)"
node_kill9 4

# ---- a renewed certificate is served without a restart ----
serial() { echo | timeout 5 openssl s_client -connect "127.0.0.1:$1" -CAfile "$P/ca.crt" \
    -cert "$P/client-root.crt" -key "$P/client-root.key" 2>/dev/null | openssl x509 -noout -serial; }
before=$(serial $C1)
mkdir -p "$T_DIR/renew"
bash "$T_TOP/tests/tls/mkcerts.sh" "$T_DIR/renew" >/dev/null 2>&1
# the same CA signs the renewed one: reuse its key pair to sign
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T_DIR/renew/s.key" \
    -out "$T_DIR/renew/s.csr" -subj "/O=etcfs-test/CN=member" 2>/dev/null
printf 'extendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1\n' >"$T_DIR/renew/ext"
openssl x509 -req -in "$T_DIR/renew/s.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -out "$T_DIR/renew/s.crt" -days 30 -extfile "$T_DIR/renew/ext" 2>/dev/null
cp "$T_DIR/renew/s.key" "$P/server.key.new" && cp "$T_DIR/renew/s.crt" "$P/server.crt.new"
mv "$P/server.key.new" "$P/server.key" && mv "$P/server.crt.new" "$P/server.crt"
sleep 1.2
serial $C1 >/dev/null   # the first handshake after the change loads it
after=$(serial $C1)
check "a renewed certificate is served without a restart ($before -> $after)" \
    bash -c "[ -n '$after' ] && [ '$before' != '$after' ]"
expect_eq "and the cluster still works" "OK" "$("$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[3]}" put /tls/renewed y 2>&1)"

# ---- a stalled handshake is cut ----
exec 7<>/dev/tcp/127.0.0.1/$C1
check "a connection that never handshakes is closed within 12 s" \
    bash -c "timeout 12 cat <&7 >/dev/null"
exec 7>&-
check "with a log line" grep -q "TLS handshake not done" "$T_DIR/n1.log"

# ---- with --client-cert-auth the certificate's CN is the user ----
# certificate curl: ccurl CN PORT PATH JSON [extra curl args]
ccurl() { curl -s -m 10 --cacert "$P/ca.crt" --cert "$P/client-$1.crt" --key "$P/client-$1.key" \
    -X POST "https://127.0.0.1:$2$3" -d "$4" "${@:5}"; }
ccurl root $C1 /v3/auth/user/add '{"name":"root","options":{"no_password":true}}' >/dev/null
ccurl root $C1 /v3/auth/user/grant '{"user":"root","role":"root"}' >/dev/null
expect_match "auth enable by CN root" '"header"' "$(ccurl root $C1 /v3/auth/enable '{}')"
C2=${T_CPORT[2]}
expect_match "CN root (a user with the root role) writes through another member" '"header"' \
    "$(ccurl root $C2 /v3/kv/put "{\"key\":\"$(b64 /etc/cn)\",\"value\":\"$(b64 r)\"}")"
ccurl root $C1 /v3/auth/role/add '{"name":"tls"}' >/dev/null
ccurl root $C1 /v3/auth/role/grant "{\"name\":\"tls\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"$(b64 /tls/)\",\"range_end\":\"$(b64 /tls0)\"}}" >/dev/null
ccurl root $C1 /v3/auth/user/add '{"name":"alice","password":"alicepw"}' >/dev/null
expect_match "user grant-role alice tls (by CN root)" '"header"' \
    "$(ccurl root $C1 /v3/auth/user/grant '{"user":"alice","role":"tls"}')"
expect_match "CN alice writes /tls/a" '"header"' \
    "$(ccurl alice $C2 /v3/kv/put "{\"key\":\"$(b64 /tls/a)\",\"value\":\"$(b64 a)\"}")"
expect_match "CN alice may not write /etc/cn" "etcdserver: permission denied" \
    "$(ccurl alice $C2 /v3/kv/put "{\"key\":\"$(b64 /etc/cn)\",\"value\":\"$(b64 a)\"}")"
expect_match "CN bob (no such user) may not read /tls/a" "etcdserver: permission denied" \
    "$(ccurl bob ${T_CPORT[3]} /v3/kv/range "{\"key\":\"$(b64 /tls/a)\"}")"
rt=$(jfield "$(ccurl bob $C1 /v3/auth/authenticate '{"name":"alice","password":"alicepw"}')" token)
expect_match "a token wins over the certificate: CN bob with alice's token reads /tls/a" "\"value\":\"$(b64 a)\"" \
    "$(ccurl bob ${T_CPORT[3]} /v3/kv/range "{\"key\":\"$(b64 /tls/a)\"}" -H "Authorization: $rt")"
expect_eq "etcfsctl with the root certificate works under auth" "OK" \
    "$("$ETCFSCTL" --endpoints "127.0.0.1:$C2" put /etc/ctl v 2>&1)"
ccurl root $C1 /v3/auth/disable '{}' >/dev/null

# ---- --auto-tls ----
for n in 1 2 3; do node_stop $n; done
node_ports 5
"$ETCFSD" --name a --data-dir "$T_DIR/auto.etcfs" \
    --listen-client-urls "https://127.0.0.1:${T_CPORT[5]}" --advertise-client-urls "https://127.0.0.1:${T_CPORT[5]}" \
    --listen-peer-urls "https://127.0.0.1:${T_PPORT[5]}" --initial-advertise-peer-urls "https://127.0.0.1:${T_PPORT[5]}" \
    --initial-cluster "a=https://127.0.0.1:${T_PPORT[5]}" --auto-tls --peer-auto-tls >>"$T_DIR/auto.log" 2>&1 &
T_PIDS[5]=$!
wait_until 20 bash -c "curl -sk -m 2 https://127.0.0.1:${T_CPORT[5]}/health | grep -q true"
check "--auto-tls wrote a certificate in the data dir" test -s "$T_DIR/auto.etcfs/fixtures/client/cert.pem"
check "and --peer-auto-tls one for the peer port" test -s "$T_DIR/auto.etcfs/fixtures/peer/cert.pem"
expect_eq "etcfsctl --insecure-skip-tls-verify works with it" "OK" \
    "$("$T_TOP/build/etcfsctl" --endpoints "https://127.0.0.1:${T_CPORT[5]}" --insecure-skip-tls-verify put /auto x 2>&1)"
node_stop 5
finish
