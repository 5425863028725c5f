#!/bin/bash
# etcd v3 authentication on a three-member cluster, through the JSON
# gateway with curl (etcd's routes, fields and error texts): root enables
# auth; a user with readwrite on the prefix /app/ writes /app/x through any
# member and reads it at once on another, is refused /etc/x (put, range,
# txn, deleterange, watch) with "etcdserver: permission denied", cannot
# grant itself a role nor read the user list; a revoked permission is in
# force on every member as soon as the revoke returns; a forged token, an
# expired one and one of a user whose password changed are refused; a token
# assigned through one member works at once on the others; wrong passwords
# fail with etcd's message; members restarted with kill -9 keep users,
# roles and permissions; passwords are stored only as bcrypt hashes; leases
# still expire.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
TTL=6
# the v2 API over the whole keyspace: v2 /app/x is v3 /app/x
for n in 1 2 3; do node_start $n --bcrypt-cost 4 --auth-token-ttl $TTL --enable-v2 --experimental-enable-v2v3 ''; done
trap cleanup EXIT
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
P1=${T_CPORT[1]}; P2=${T_CPORT[2]}; P3=${T_CPORT[3]}

# tapi PORT TOKEN PATH JSON: api with "Authorization: TOKEN"
tapi() { curl -s -m 10 -H "Authorization: $2" -X POST "http://127.0.0.1:$1$3" -d "$4"; }
tstatus() { curl -s -m 10 -o /dev/null -w '%{http_code}' -H "Authorization: $2" -X POST "http://127.0.0.1:$1$3" -d "$4"; }
# token PORT USER PASSWORD: prints the token (empty on failure)
token() { jfield "$(api "$1" /v3/auth/authenticate "{\"name\":\"$2\",\"password\":\"$3\"}")" token; }
DENIED='etcdserver: permission denied'

# ---- enabling ----
expect_match "auth enable without a root user is refused" "etcdserver: root user does not exist" \
    "$(api $P1 /v3/auth/enable '{}')"
expect_match "authenticate while auth is off" "etcdserver: authentication is not enabled" \
    "$(api $P1 /v3/auth/authenticate '{"name":"root","password":"x"}')"
expect_match "user add root" '"header"' "$(api $P1 /v3/auth/user/add '{"name":"root","password":"rootpw"}')"
expect_match "a second user add root is refused" "etcdserver: user name already exists" \
    "$(api $P2 /v3/auth/user/add '{"name":"root","password":"other"}')"
expect_match "auth enable: root must hold the root role" "etcdserver: root user does not have root role" \
    "$(api $P1 /v3/auth/enable '{}')"
expect_match "grant root the root role" '"header"' "$(api $P1 /v3/auth/user/grant '{"user":"root","role":"root"}')"
expect_match "auth enable" '"header"' "$(api $P2 /v3/auth/enable '{}')"
expect_match "auth status says enabled (another member, at once)" '"enabled":true' \
    "$(api $P3 /v3/auth/status '{}')"

# ---- nobody, wrong passwords ----
expect_match "a put without credentials" "etcdserver: user name is empty" \
    "$(put $P1 /app/x v)"
expect_match "a range without credentials" "etcdserver: user name is empty" \
    "$(api $P2 /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "a wrong password" "etcdserver: authentication failed, invalid user ID or password" \
    "$(api $P1 /v3/auth/authenticate '{"name":"root","password":"nope"}')"
expect_match "an unknown user" "etcdserver: authentication failed, invalid user ID or password" \
    "$(api $P1 /v3/auth/authenticate '{"name":"mallory","password":"x"}')"
check "the member logs the failed authentication" grep -q "authentication of user root failed" "$T_DIR/n1.log"

# ---- root sets up a role and a user ----
RT=$(token $P1 root rootpw)
check "root gets a token" test -n "$RT"
expect_match "role add app" '"header"' "$(tapi $P1 "$RT" /v3/auth/role/add '{"name":"app"}')"
expect_match "role grant-permission readwrite --prefix /app/" '"header"' \
    "$(tapi $P1 "$RT" /v3/auth/role/grant "{\"name\":\"app\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}}")"
expect_match "user add alice" '"header"' "$(tapi $P1 "$RT" /v3/auth/user/add '{"name":"alice","password":"alicepw"}')"
expect_match "user grant-role alice app" '"header"' "$(tapi $P1 "$RT" /v3/auth/user/grant '{"user":"alice","role":"app"}')"
expect_match "grant of a role that does not exist" "etcdserver: role name not found" \
    "$(tapi $P1 "$RT" /v3/auth/user/grant '{"user":"alice","role":"nosuch"}')"
expect_match "root writes /etc/x" '"header"' "$(tapi $P1 "$RT" /v3/kv/put "{\"key\":\"$(b64 /etc/x)\",\"value\":\"$(b64 secret)\"}")"
expect_eq "role get app (on another member, at once)" \
    "[{\"permType\":\"READWRITE\",\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}]" \
    "$(tapi $P3 "$(token $P3 root rootpw)" /v3/auth/role/get '{"role":"app"}' | grep -o '\[.*\]')"

# ---- alice: /app/ yes, /etc/ no ----
AT=$(token $P2 alice alicepw)
check "alice gets a token through n2" test -n "$AT"
expect_match "alice's token works at once on n3 (assigned through n2)" '"header"' \
    "$(tapi $P3 "$AT" /v3/kv/put "{\"key\":\"$(b64 /app/x)\",\"value\":\"$(b64 a1)\"}")"
expect_match "alice reads /app/x on n1 right after" "\"value\":\"$(b64 a1)\"" \
    "$(tapi $P1 "$AT" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "alice lists the prefix /app/" '"count":"1"' \
    "$(tapi $P1 "$AT" /v3/kv/range "{\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}")"
expect_match "alice's put of /etc/x" "$DENIED" \
    "$(tapi $P2 "$AT" /v3/kv/put "{\"key\":\"$(b64 /etc/x)\",\"value\":\"$(b64 evil)\"}")"
expect_eq "which answers HTTP 403" 403 \
    "$(tstatus $P2 "$AT" /v3/kv/put "{\"key\":\"$(b64 /etc/x)\",\"value\":\"$(b64 evil)\"}")"
expect_match "alice's range of /etc/x" "$DENIED" \
    "$(tapi $P3 "$AT" /v3/kv/range "{\"key\":\"$(b64 /etc/x)\"}")"
expect_match "alice's range over everything" "$DENIED" \
    "$(tapi $P3 "$AT" /v3/kv/range "{\"key\":\"AA==\",\"range_end\":\"AA==\"}")"
expect_match "alice's deleterange of /etc/x" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/kv/deleterange "{\"key\":\"$(b64 /etc/x)\"}")"
expect_match "alice's txn reading /etc/x in a compare" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/kv/txn "{\"compare\":[{\"key\":\"$(b64 /etc/x)\",\"target\":\"VERSION\",\"version\":\"1\"}],\"success\":[{\"request_put\":{\"key\":\"$(b64 /app/t)\",\"value\":\"$(b64 t)\"}}]}")"
expect_match "alice's txn putting /etc/x in a nested txn" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/kv/txn "{\"success\":[{\"request_txn\":{\"success\":[{\"request_put\":{\"key\":\"$(b64 /etc/x)\",\"value\":\"$(b64 evil)\"}}]}}]}")"
expect_eq "/etc/x is untouched" secret \
    "$(unb64 "$(tapi $P1 "$RT" /v3/kv/range "{\"key\":\"$(b64 /etc/x)\"}" | grep -o '"value":"[^"]*"' | sed 's/"value":"\(.*\)"/\1/')")"
# the v2 API applies the same permissions (its keys are v3 keys)
v2a() { curl -s -m 5 -H "Authorization: $AT" "$@"; }
expect_match "v2: alice's PUT /v2/keys/app/v2" '"action":"set","node":\{"key":"/app/v2","value":"x"' \
    "$(v2a -XPUT "http://127.0.0.1:$P1/v2/keys/app/v2" -d value=x)"
expect_match "v2: alice's PUT of /etc/x: 110" '"errorCode":110,"message":"The request requires user authentication"' \
    "$(v2a -XPUT "http://127.0.0.1:$P2/v2/keys/etc/x" -d value=evil)"
expect_match "v2: alice's GET of /etc/x: 110" '"errorCode":110' "$(v2a "http://127.0.0.1:$P3/v2/keys/etc/x")"
expect_match "v2: alice's DELETE of /etc: 110" '"errorCode":110' "$(v2a -XDELETE "http://127.0.0.1:$P3/v2/keys/etc?recursive=true")"
expect_match "v2: a GET without credentials" "etcdserver: user name is empty" "$(curl -s -m 5 "http://127.0.0.1:$P1/v2/keys/app/v2")"
w=$(curl -s -N -m 2 -H "Authorization: $AT" -X POST "http://127.0.0.1:$P2/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$(b64 /etc/)\",\"range_end\":\"$(b64 /etc0)\"}}")
expect_match "alice's watch of /etc/ is canceled at creation" \
    '"canceled":true,"cancel_reason":"rpc error: code = PermissionDenied desc = etcdserver: permission denied"' "$w"
curl -s -N -m 3 -H "Authorization: $AT" -X POST "http://127.0.0.1:$P2/v3/watch" \
    -d "{\"create_request\":{\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}}" >"$T_DIR/w" &
wp=$!
sleep 0.5
tapi $P3 "$AT" /v3/kv/put "{\"key\":\"$(b64 /app/w)\",\"value\":\"$(b64 seen)\"}" >/dev/null
wait $wp
expect_match "alice's watch of /app/ sees her write through another member" "\"value\":\"$(b64 seen)\"" "$(cat "$T_DIR/w")"
expect_match "alice cannot grant herself the root role" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/auth/user/grant '{"user":"alice","role":"root"}')"
expect_match "nor add a permission to her role" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/auth/role/grant "{\"name\":\"app\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"AA==\",\"range_end\":\"AA==\"}}")"
expect_match "nor list users" "$DENIED" "$(tapi $P1 "$AT" /v3/auth/user/list '{}')"
expect_match "but may read her own user" '"roles":\["app"\]' "$(tapi $P1 "$AT" /v3/auth/user/get '{"name":"alice"}')"
expect_match "nor take a snapshot (etcd's maintenance API: the auth error as gRPC Unknown)" \
    '"error":"auth: permission denied","message":"auth: permission denied","code":2' "$(tapi $P1 "$AT" /v3/maintenance/snapshot '{}')"
expect_match "nor remove a member" "$DENIED" \
    "$(tapi $P1 "$AT" /v3/cluster/member/remove "{\"ID\":\"$(member_id $P3)\"}")"
expect_match "root's user list" '"users":\["alice","root"\]' "$(tapi $P1 "$RT" /v3/auth/user/list '{}')"

# ---- a revoke is in force everywhere once it returns ----
expect_match "root revokes app's permission (through n1)" '"header"' \
    "$(tapi $P1 "$RT" /v3/auth/role/revoke "{\"role\":\"app\",\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}")"
for n in 2 3; do
    expect_match "right after: alice's put through n$n" "$DENIED" \
        "$(tapi ${T_CPORT[$n]} "$AT" /v3/kv/put "{\"key\":\"$(b64 /app/x)\",\"value\":\"$(b64 late)\"}")"
    expect_match "right after: alice's read through n$n" "$DENIED" \
        "$(tapi ${T_CPORT[$n]} "$AT" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
done
expect_match "root grants read-only back" '"header"' \
    "$(tapi $P1 "$RT" /v3/auth/role/grant "{\"name\":\"app\",\"perm\":{\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}}")"
expect_match "alice reads /app/x again" "\"value\":\"$(b64 a1)\"" \
    "$(tapi $P2 "$AT" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "but may not write it (read only)" "$DENIED" \
    "$(tapi $P2 "$AT" /v3/kv/put "{\"key\":\"$(b64 /app/x)\",\"value\":\"$(b64 late)\"}")"

# ---- tokens ----
expect_match "a forged token" "etcdserver: invalid auth token" \
    "$(tapi $P1 "AAAAAAAAAAAAAAAA.1" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_eq "which answers HTTP 401" 401 \
    "$(tstatus $P1 "AAAAAAAAAAAAAAAA.1" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "a token of one character too many" "etcdserver: invalid auth token" \
    "$(tapi $P1 "${AT}x" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
long=$(printf 'A%.0s' $(seq 1 5000))
expect_match "a 5,000-byte token" "etcdserver: invalid auth token" \
    "$(tapi $P1 "$long" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
T2=$(token $P1 alice alicepw)
expect_match "root changes alice's password" '"header"' \
    "$(tapi $P1 "$RT" /v3/auth/user/changepw '{"name":"alice","password":"newpw"}')"
expect_match "her old token is refused on another member" "etcdserver: invalid auth token" \
    "$(tapi $P3 "$T2" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "her old password is refused" "etcdserver: authentication failed" \
    "$(api $P2 /v3/auth/authenticate '{"name":"alice","password":"alicepw"}')"
T3=$(token $P2 alice newpw)
check "the new password works" test -n "$T3"
sleep $((TTL + 2))
expect_match "a token unused for --auth-token-ttl ($TTL s) has expired" "etcdserver: invalid auth token" \
    "$(tapi $P2 "$T3" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"

# ---- bcrypt, and state that survives kill -9 ----
check "no member's files hold a password in clear" \
    sh -c "! grep -rqa -e rootpw -e newpw $T_DIR/n1.etcfs $T_DIR/n2.etcfs $T_DIR/n3.etcfs"
check "the stored hashes are bcrypt" grep -rqa '\$2b\$04\$' "$T_DIR/n1.etcfs"
for n in 1 2 3; do node_kill9 $n; done
for n in 1 2 3; do node_start $n --bcrypt-cost 4 --auth-token-ttl $TTL; done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n back after kill -9"
done
expect_match "after kill -9 of all: auth is still on" "etcdserver: user name is empty" \
    "$(put $P3 /app/x v)"
T4=$(token $P3 alice newpw)
expect_match "alice's role and permission survived" "\"value\":\"$(b64 a1)\"" \
    "$(tapi $P1 "$T4" /v3/kv/range "{\"key\":\"$(b64 /app/x)\"}")"
expect_match "and so did the revoke of her write permission" "$DENIED" \
    "$(tapi $P1 "$T4" /v3/kv/put "{\"key\":\"$(b64 /app/x)\",\"value\":\"$(b64 late)\"}")"

# ---- a lease expires under auth (the members revoke it themselves) ----
RT=$(token $P1 root rootpw)
lid=$(jfield "$(tapi $P1 "$RT" /v3/lease/grant '{"TTL":2}')" ID)
expect_match "root puts /app/lease with a 2 s lease" '"header"' \
    "$(tapi $P1 "$RT" /v3/kv/put "{\"key\":\"$(b64 /app/lease)\",\"value\":\"$(b64 l)\",\"lease\":\"$lid\"}")"
sleep 4.5
expect_match "the key is gone once the lease expired (~3 s)" '"header"' \
    "$(tapi $P2 "$RT" /v3/kv/range "{\"key\":\"$(b64 /app/lease)\"}")"
check "no value left" sh -c "! curl -s -m 5 -H 'Authorization: $RT' -X POST http://127.0.0.1:$P2/v3/kv/range -d '{\"key\":\"$(b64 /app/lease)\"}' | grep -q '\"kvs\"'"

# ---- disabling ----
RT=$(token $P2 root rootpw)
expect_match "alice cannot disable auth" "$DENIED" "$(tapi $P1 "$T4" /v3/auth/disable '{}')"
expect_match "root disables auth" '"header"' "$(tapi $P2 "$RT" /v3/auth/disable '{}')"
expect_match "then anyone may write again" '"header"' "$(put $P3 /etc/y free)"
expect_match "auth status says disabled" '"header"' "$(api $P1 /v3/auth/status '{}')"
check "and not enabled" sh -c "! curl -s -m 5 -X POST http://127.0.0.1:$P1/v3/auth/status -d '{}' | grep -q '\"enabled\":true'"

finish
