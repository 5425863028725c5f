#!/bin/bash
# The mount under etcd authentication: three members, n1 mounting as root
# (no --mount-user) and n2 as alice (--mount-user alice with a password
# file). Before auth is on, alice's mount changes anything; once root
# enables auth through the API, alice's mount lists and changes only what
# her roles allow (app: read-write /app/, pub: read the one key /pub/a):
# other names are EACCES, a read-only file refuses a write at open, a
# write refused by the FSM at commit fails close() with EACCES, a revoked
# permission applies to the next syscall, inotify shows only her keys;
# the root mount still sees and changes everything. A wrong password, a
# missing one and a certificate of another name refuse to start; a
# certificate of her name starts.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
M1=$T_DIR/m1
M2=$T_DIR/m2
PWF=$T_DIR/alice.pw
mkdir -p "$M1" "$M2" "$T_DIR/m4" "$T_DIR/m5"
printf 'alicepw\n' >"$PWF"
chmod 600 "$PWF"
FAST=(--bcrypt-cost 4)
node_start 1 --mount "$M1" "${FAST[@]}"
node_start 2 --mount "$M2" --mount-user alice --mount-password-file "$PWF" "${FAST[@]}"
node_start 3 "${FAST[@]}"
inw=""
unmount_all() {
    [ -n "$inw" ] && kill "$inw" 2>/dev/null
    for n in 1 2 3 4 5; do node_stop $n; done
    for d in "$M1" "$M2" "$T_DIR/m4" "$T_DIR/m5"; do
        mountpoint -q "$d" && fusermount3 -u -z "$d" 2>/dev/null
    done
    cleanup
}
trap unmount_all EXIT
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
done
wait_until 10 mountpoint -q "$M1"
wait_until 10 mountpoint -q "$M2"
check "both mounts up" bash -c "mountpoint -q $M1 && mountpoint -q $M2"
P1=${T_CPORT[1]}
expect_match "alice does not exist yet: her mount starts with a warning" \
    'user alice does not exist \(auth is off\)' "$(cat "$T_DIR/n2.log")"

# ---- before auth: the user's mount changes anything ----
echo early >"$M2/early"
expect_eq "auth off: alice's mount writes anywhere" "early" "$(getv $P1 /early)"

# ---- auth as etcd sets it up, through the JSON gateway ----
TOKEN=""
# aapi PORT PATH JSON: api with root's token
aapi() {
    curl -s -m 10 -X POST -H "Authorization: $TOKEN" "http://127.0.0.1:$1$2" -d "$3"
}
aput() { aapi "$1" /v3/kv/put "{\"key\":\"$(b64 "$2")\",\"value\":\"$(b64 "$3")\"}"; }
agetv() {
    local r
    r=$(aapi "$1" /v3/kv/range "{\"key\":\"$(b64 "$2")\"}")
    unb64 "$(printf '%s' "$r" | grep -o '"value":"[^"]*"' | head -n1 | sed 's/"value":"\(.*\)"/\1/')"
}
# acount PORT KEY: 0 or 1 (etcd leaves a zero count out)
acount() {
    local c
    c=$(jfield "$(aapi "$1" /v3/kv/range "{\"key\":\"$(b64 "$2")\",\"count_only\":true}")" count)
    echo "${c:-0}"
}
aapi $P1 /v3/auth/user/add '{"name":"root","password":"rootpw"}' >/dev/null
aapi $P1 /v3/auth/user/grant '{"user":"root","role":"root"}' >/dev/null
aapi $P1 /v3/auth/role/add '{"name":"app"}' >/dev/null
aapi $P1 /v3/auth/role/grant "{\"name\":\"app\",\"perm\":{\"permType\":\"READWRITE\",\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}}" >/dev/null
aapi $P1 /v3/auth/role/add '{"name":"pub"}' >/dev/null
aapi $P1 /v3/auth/role/grant "{\"name\":\"pub\",\"perm\":{\"permType\":\"READ\",\"key\":\"$(b64 /pub/a)\"}}" >/dev/null
aapi $P1 /v3/auth/user/add '{"name":"alice","password":"alicepw"}' >/dev/null
aapi $P1 /v3/auth/user/grant '{"user":"alice","role":"app"}' >/dev/null
aapi $P1 /v3/auth/user/grant '{"user":"alice","role":"pub"}' >/dev/null
r=$(aapi $P1 /v3/auth/enable '{}')
expect_match "auth enabled" '"header"' "$r"
TOKEN=$(jfield "$(aapi $P1 /v3/auth/authenticate '{"name":"root","password":"rootpw"}')" token)
expect_match "root authenticated" '^[A-Za-z]{16}\.[0-9]+$' "$TOKEN"
aput $P1 /app/x app-x >/dev/null
aput $P1 /etc/x etc-x >/dev/null
aput $P1 /pub/a pub-a >/dev/null
aput $P1 /pub/b pub-b >/dev/null
expect_eq "root wrote /etc/x through the API" "etc-x" "$(agetv $P1 /etc/x)"
expect_eq "a key counts 1" "1" "$(acount $P1 /etc/x)"

# ---- alice's mount: only what her roles allow ----
expect_eq "ls: app and pub, not etc (nor /early)" "$(printf 'app\npub')" "$(ls "$M2" 2>&1)"
expect_eq "cat app/x" "app-x" "$(cat "$M2/app/x" 2>&1)"
expect_match "cat etc/x: EACCES" 'Permission denied' "$(cat "$M2/etc/x" 2>&1)"
expect_match "ls etc: EACCES" 'Permission denied' "$(ls "$M2/etc" 2>&1)"
expect_match "stat of a name outside her keys that does not exist: EACCES too" \
    'Permission denied' "$(stat "$M2/nothing-here" 2>&1)"
expect_match "stat of a missing name she may write: ENOENT" \
    'No such file' "$(stat "$M2/app/nothing-here" 2>&1)"
expect_eq "ls pub: only the key she may read" "a" "$(ls "$M2/pub" 2>&1)"
expect_eq "cat pub/a" "pub-a" "$(cat "$M2/pub/a" 2>&1)"
expect_match "cat pub/b: EACCES" 'Permission denied' "$(cat "$M2/pub/b" 2>&1)"
expect_match "getfattr on app/x works" 'user.etcfs.version="1"' \
    "$(getfattr -n user.etcfs.version "$M2/app/x" 2>&1)"

echo hello >"$M2/app/y"
rc=$?
expect_eq "echo > app/y succeeds" "0" "$rc"
expect_eq "and the API shows it at once" "hello" "$(agetv $P1 /app/y)"
mkdir "$M2/app/d" && echo in-d >"$M2/app/d/f"
expect_eq "mkdir and a file in it under app/" "in-d" "$(agetv $P1 /app/d/f)"
mv "$M2/app/y" "$M2/app/z"
expect_eq "mv within app/" "hello" "$(agetv $P1 /app/z)"

out=$( { echo no >"$M2/etc/y"; } 2>&1)
expect_match "echo > etc/y: EACCES" 'Permission denied' "$out"
expect_eq "and nothing was written" "0" "$(acount $P1 /etc/y)"
out=$( { echo no >"$M2/top"; } 2>&1)
expect_match "a new file at the top (outside her keys): EACCES" 'Permission denied' "$out"
expect_eq "nothing written there either" "0" "$(acount $P1 /top)"
out=$(mkdir "$M2/newdir" 2>&1)
expect_match "mkdir outside her keys: EACCES" 'Permission denied' "$out"
out=$( { echo new >"$M2/pub/a"; } 2>&1)
expect_match "a write to a read-only key fails at open: EACCES" 'Permission denied' "$out"
expect_eq "the value is unchanged" "pub-a" "$(agetv $P1 /pub/a)"
out=$(touch "$M2/pub/new" 2>&1)
expect_match "a create where she may only read: EACCES" 'Permission denied' "$out"
out=$(rm -f "$M2/pub/a" 2>&1)
expect_match "rm of a read-only key: EACCES" 'Permission denied' "$out"
out=$(chmod 600 "$M2/pub/a" 2>&1)
expect_match "chmod of a read-only key: EACCES" 'Permission denied' "$out"
out=$(mv "$M2/app/z" "$M2/pub/z" 2>&1)
expect_match "mv out of her writable keys: EACCES" 'Permission denied' "$out"
expect_eq "the source stays" "hello" "$(agetv $P1 /app/z)"

# ---- the root mount sees and changes everything ----
expect_eq "root mount: ls shows every key" "$(printf 'app\nearly\netc\npub')" "$(ls "$M1" 2>&1)"
expect_eq "root mount: cat etc/x" "etc-x" "$(cat "$M1/etc/x" 2>&1)"
echo by-root >"$M1/etc/root-wrote"
expect_eq "root mount writes under auth (its commands are internal)" "by-root" \
    "$(agetv $P1 /etc/root-wrote)"

# ---- inotify on alice's mount: only her keys ----
inotifywait -m -r --format '%e %w%f' "$M2" >"$T_DIR/events" 2>"$T_DIR/events.err" &
inw=$!
wait_until 10 grep -q 'Watches established' "$T_DIR/events.err"
aput $P1 /topsecret s >/dev/null
aput $P1 /etc/secret2 s >/dev/null
aput $P1 /pub/b pub-b2 >/dev/null
aput $P1 /app/w w >/dev/null
if wait_until 5 grep -q "CREATE $M2/app/w" "$T_DIR/events"; then
    pass "a remote create under app/ raises IN_CREATE on alice's mount"
else
    fail "a remote create under app/ raises IN_CREATE on alice's mount"
    echo "#   events: $(tr '\n' '|' <"$T_DIR/events")"
fi
expect_eq "no event for keys she may not read (queued before app/w)" "" \
    "$(grep -E 'topsecret|secret2|pub/b' "$T_DIR/events")"
kill "$inw" 2>/dev/null
wait "$inw" 2>/dev/null
inw=""

# ---- revocations apply at once ----
cat >"$T_DIR/late.py" <<'EOF'
# open for writing, run the command (a revoke), write, close: print how the
# close ended
import errno, os, subprocess, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
subprocess.run(sys.argv[2:], check=True, stdout=subprocess.DEVNULL)
os.write(fd, b"late\n")
try:
    os.close(fd)
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])
EOF
revoke=(curl -s -m 10 -X POST -H "Authorization: $TOKEN" "http://127.0.0.1:$P1/v3/auth/role/revoke"
    -d "{\"role\":\"app\",\"key\":\"$(b64 /app/)\",\"range_end\":\"$(b64 /app0)\"}")
expect_eq "opened before the revoke, closed after: the commit is refused, close() EACCES" \
    "EACCES" "$(timeout 20 python3 "$T_DIR/late.py" "$M2/app/held" "${revoke[@]}" 2>&1)"
expect_eq "and nothing was written" "0" "$(acount $P1 /app/held)"
out=$( { echo next >"$M2/app/next"; } 2>&1)
expect_match "the next write under app/ fails: EACCES" 'Permission denied' "$out"
expect_eq "ls no longer shows app" "pub" "$(ls "$M2" 2>&1)"
expect_match "cat app/x: EACCES" 'Permission denied' "$(cat "$M2/app/x" 2>&1)"
expect_eq "the root mount still writes there" "0" \
    "$(echo r >"$M1/app/root2"; echo $?)"

# ---- starting: the password is checked; a certificate names the user ----
node_exited() { ! kill -0 "${T_PIDS[$1]}" 2>/dev/null; }
# start_fails N NAME REGEX [flags...]: member nN exits non-zero, logging REGEX
start_fails() {
    local n=$1 name=$2 re=$3 rc
    shift 3
    : >"$T_DIR/n$n.log"
    node_start "$n" "$@"
    if ! wait_until 20 node_exited "$n"; then
        fail "$name (still running)"
        node_stop "$n"
        return
    fi
    wait "${T_PIDS[$n]}" 2>/dev/null
    rc=$?
    unset "T_PIDS[$n]"
    if [ "$rc" != 0 ] && grep -qE "$re" "$T_DIR/n$n.log"; then
        pass "$name"
    else
        fail "$name"
        echo "#   exit status $rc; log: $(tail -n 3 "$T_DIR/n$n.log" | tr '\n' '|')"
    fi
}
node_stop 2
check "alice's mount is gone with its member" bash -c "! mountpoint -q $M2"
printf 'wrong\n' >"$T_DIR/wrong.pw"
chmod 600 "$T_DIR/wrong.pw"
start_fails 2 "a wrong password: the member refuses to start" \
    'wrong password in --mount-password-file' \
    --mount "$M2" --mount-user alice --mount-password-file "$T_DIR/wrong.pw" "${FAST[@]}"
check "and mounted nothing" bash -c "! mountpoint -q $M2"
start_fails 2 "no password file and no certificate: refused" \
    'needs its password' --mount "$M2" --mount-user alice "${FAST[@]}"
: >"$T_DIR/n2.log"
node_start 2 --mount "$M2" --mount-user alice --mount-password-file "$PWF" "${FAST[@]}"
wait_until 20 mountpoint -q "$M2"
expect_match "the right password: mounted as alice" 'acting as user alice \(password checked\)' \
    "$(cat "$T_DIR/n2.log")"
expect_eq "after the restart she still sees only pub" "pub" "$(ls "$M2" 2>&1)"
node_stop 2

bash "$T_TOP/tests/tls/mkcerts.sh" "$T_DIR/pki" >/dev/null 2>&1
T_CLUSTER="n4=http://127.0.0.1:14380" start_fails 4 \
    "a certificate of another common name: refused" \
    'common name of --cert-file .* is "bob"' \
    --mount "$T_DIR/m4" --mount-user alice \
    --cert-file "$T_DIR/pki/client-bob.crt" --key-file "$T_DIR/pki/client-bob.key"
T_CLUSTER="n5=http://127.0.0.1:15380" node_start 5 --mount "$T_DIR/m5" \
    --mount-user alice --cert-file "$T_DIR/pki/client-alice.crt" \
    --key-file "$T_DIR/pki/client-alice.key"
if wait_until 20 mountpoint -q "$T_DIR/m5"; then
    pass "a certificate of her common name: mounted"
else
    fail "a certificate of her common name: mounted"
fi
expect_match "as alice, by the certificate" \
    "acting as user alice \(the certificate's common name\)" "$(cat "$T_DIR/n5.log")"
node_stop 5

finish
