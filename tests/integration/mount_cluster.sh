#!/bin/bash
# Three members, three mounts (standing in for three hosts): a write on one
# mount is read back on another at once, 1000 times; inotifywait on one
# mount reports changes made on another, through the API and by a lease
# expiry; sed -i is atomic for readers elsewhere; lease xattrs; permissions
# hold on every mount; without a quorum writes fail with EROFS and reads
# follow --mount-consistency.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1 2 3"
for n in 1 2 3; do
    mkdir -p "$T_DIR/m$n"
    node_start $n --mount "$T_DIR/m$n"
done
for n in 1 2 3; do
    wait_until 20 healthy ${T_CPORT[$n]} || { fail "member n$n healthy"; finish; exit 1; }
    wait_until 10 mountpoint -q "$T_DIR/m$n"
done
unmount_all() {
    [ -n "${inw:-}" ] && kill "$inw" 2>/dev/null
    for n in 1 2 3; do node_stop $n; umount -l "$T_DIR/m$n" 2>/dev/null; done
    cleanup
}
trap unmount_all EXIT
M1=$T_DIR/m1; M2=$T_DIR/m2; M3=$T_DIR/m3
check "three mounts up" bash -c "mountpoint -q $M1 && mountpoint -q $M2 && mountpoint -q $M3"

# ---- 1000 rounds: write on one mount, read on another ----
mounts=("$M1" "$M2" "$M3")
stale=0
first=""
for i in $(seq 1000); do
    w=${mounts[$((i % 3))]}
    r=${mounts[$(((i + 1) % 3))]}
    echo "value-$i" >"$w/round"
    got=$(cat "$r/round" 2>&1)
    if [ "$got" != "value-$i" ]; then
        stale=$((stale + 1))
        [ -z "$first" ] && first="round $i: wrote value-$i on $w, read '$got' on $r"
    fi
done
expect_eq "1000 rounds of echo on one mount and cat on another: never stale" "0" "$stale"
[ -n "$first" ] && echo "#   $first"

# ---- inotify on mount 2 for changes made elsewhere ----
inotifywait -m -r -q --format '%e %w%f' "$M2" >"$T_DIR/events" 2>/dev/null &
inw=$!
sleep 0.5
# expect_event NAME REGEX: the event shows up within one second
expect_event() {
    local name=$1 re=$2 deadline=$((SECONDS + 2)) t0
    t0=$(date +%s%N)
    while ! grep -qE "$re" "$T_DIR/events"; do
        if [ $SECONDS -ge $deadline ]; then
            fail "$name"
            echo "#   no event matching $re; got: $(tr '\n' '|' <"$T_DIR/events" | tail -c 400)"
            return
        fi
        sleep 0.02
    done
    local ms=$((($(date +%s%N) - t0) / 1000000))
    if [ "$ms" -le 1000 ]; then pass "$name (${ms} ms)"; else fail "$name: ${ms} ms > 1 s"; fi
}
echo new >"$M1/ev-file"
expect_event "IN_CREATE for a file created on another mount" "^CREATE $M2/ev-file$"
expect_event "IN_CLOSE_WRITE after it" "^CLOSE_WRITE,CLOSE $M2/ev-file$"
echo changed >"$M1/ev-file"
expect_event "IN_MODIFY for a change on another mount" "^MODIFY $M2/ev-file$"
: >"$T_DIR/events"
cp "$M1/ev-file" "$T_DIR/same" && cp "$T_DIR/same" "$M1/ev-file"
expect_event "IN_CLOSE_WRITE for the same bytes written again" "^CLOSE_WRITE,CLOSE $M2/ev-file$"
mkdir "$M1/ev-dir"
expect_event "IN_CREATE,ISDIR for mkdir on another mount" "^CREATE,ISDIR $M2/ev-dir$"
mv "$M1/ev-file" "$M1/ev-renamed"
expect_event "IN_MOVED_FROM for a rename" "^MOVED_FROM $M2/ev-file$"
expect_event "IN_MOVED_TO for a rename" "^MOVED_TO $M2/ev-renamed$"
chmod 600 "$M1/ev-renamed"
expect_event "IN_ATTRIB for chmod on another mount" "^ATTRIB $M2/ev-renamed$"
rm "$M1/ev-renamed"
expect_event "IN_DELETE for rm on another mount" "^DELETE $M2/ev-renamed$"
rmdir "$M1/ev-dir"
expect_event "IN_DELETE,ISDIR for rmdir" "^DELETE,ISDIR $M2/ev-dir$"
"$ETCFSCTL" --endpoints 127.0.0.1:${T_CPORT[3]} put /ev-api hello >/dev/null 2>&1 ||
    api ${T_CPORT[3]} /v3/kv/put "{\"key\":\"$(b64 /ev-api)\",\"value\":\"$(b64 hello)\"}" >/dev/null
expect_event "IN_CREATE for a put through the API" "^CREATE $M2/ev-api$"
r=$(api ${T_CPORT[1]} /v3/lease/grant '{"TTL":"2"}')
lid=$(jfield "$r" ID)
api ${T_CPORT[1]} /v3/kv/put "{\"key\":\"$(b64 /ev-lease)\",\"value\":\"$(b64 x)\",\"lease\":\"$lid\"}" >/dev/null
expect_event "IN_CREATE for a leased key" "^CREATE $M2/ev-lease$"
wait_until 10 grep -q "^DELETE $M2/ev-lease$" "$T_DIR/events"
expect_event "IN_DELETE when the lease expires" "^DELETE $M2/ev-lease$"
kill $inw 2>/dev/null
wait $inw 2>/dev/null
inw=""

# ---- sed -i on one mount, readers on the others ----
echo "k=0" >"$M1/sed.conf"
wait_until 5 test "$(cat "$M2/sed.conf")" = "k=0"
(
    for i in $(seq 1 400); do sed -i "s/^k=.*/k=$i/" "$M1/sed.conf"; done
    touch "$T_DIR/sed.done"
) &
sp=$!
bad=0
reads=0
badv=""
while [ ! -f "$T_DIR/sed.done" ] && [ $reads -lt 100000 ]; do
    for mm in "$M2" "$M3"; do
        v=""
        IFS= read -r v <"$mm/sed.conf" 2>/dev/null
        reads=$((reads + 1))
        if ! [[ "$v" =~ ^k=[0-9]+$ ]]; then bad=$((bad + 1)); badv="$v"; fi
    done
done
wait $sp
echo "# $reads reads on two other mounts during 400 sed -i rewrites"
check "readers read the file thousands of times meanwhile" test $reads -ge 2000
expect_eq "every read is a complete version (never empty or partial)" "0" "$bad"
[ "$bad" != 0 ] && echo "#   bad read: $(printf '%q' "$badv")"
wait_until 5 test "$(cat "$M3/sed.conf")" = "k=400"
expect_eq "the last version everywhere" "k=400 k=400" "$(cat "$M2/sed.conf") $(cat "$M3/sed.conf")"

# ---- extended attributes ----
echo xa >"$M1/xa"
out=$(getfattr -d "$M2/xa" 2>&1)
expect_match "getfattr -d shows the revisions" 'user.etcfs.create_revision="[0-9]+"' "$out"
expect_match "and the version" 'user.etcfs.version="[0-9]+"' "$out"
r=$(api ${T_CPORT[2]} /v3/lease/grant '{"TTL":"60"}')
lid=$(jfield "$r" ID)
hex=$(printf '%x' "$lid")
setfattr -n user.etcfs.lease -v "$hex" "$M2/xa"
expect_eq "setfattr user.etcfs.lease attaches a lease (hex)" "$hex" "$(getfattr --only-values -n user.etcfs.lease "$M3/xa" 2>/dev/null)"
ttl=$(getfattr --only-values -n user.etcfs.ttl "$M3/xa" 2>/dev/null)
check "user.etcfs.ttl shows the seconds left" test "${ttl:-0}" -ge 50
setfattr -x user.etcfs.lease "$M1/xa"
expect_eq "removing the lease attribute detaches it" "" "$(getfattr --only-values -n user.etcfs.lease "$M2/xa" 2>/dev/null)"
out=$(setfattr -n user.etcfs.lease -v nothex "$M1/xa" 2>&1)
expect_match "a bad lease id: EINVAL" 'Invalid argument' "$out"
out=$(setfattr -n user.etcfs.ttl -v -5 "$M1/xa" 2>&1)
expect_match "a bad ttl: EINVAL" 'Invalid argument' "$out"
echo temp >"$M1/ttl-file"
setfattr -n user.etcfs.ttl -v 2 "$M1/ttl-file"
check "the TTL file exists at first" test -f "$M3/ttl-file"
wait_until 10 bash -c "! test -e '$M2/ttl-file' && ! test -e '$M3/ttl-file' && ! test -e '$M1/ttl-file'"
check "a TTL file vanishes from every mount" bash -c "! test -e '$M1/ttl-file' && ! test -e '$M2/ttl-file' && ! test -e '$M3/ttl-file'"

# ---- permissions hold on every mount ----
echo secret >"$M1/secret"
chmod 600 "$M1/secret"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups cat "$M2/secret" 2>&1)
expect_match "a non-root user is refused a 0600 root file on another mount" 'Permission denied' "$out"
expect_eq "root still reads it" "secret" "$(cat "$M3/secret")"

# ---- no quorum ----
printf kept >"$M1/q"
wait_until 5 test "$(cat "$M1/q")" = kept
node_stop 2
node_stop 3
wait_until 10 bash -c "[ -z \"\$(curl -s -m 1 -X POST http://127.0.0.1:${T_CPORT[1]}/v3/maintenance/status -d '{}' | grep -o '\"leader\"')\" ]"
# the member knows it has no leader: opens for writing fail from now on
# (an O_APPEND open that writes nothing commits nothing)
wait_until 2 bash -c "! ( exec 3>>'$M1/q' ) 2>/dev/null"
out=$(echo lost 2>&1 >"$M1/q")
expect_match "without a quorum echo > file fails: Read-only file system" 'Read-only file system' "$out"
r=$(api ${T_CPORT[1]} /v3/kv/range "{\"key\":\"$(b64 /q)\",\"serializable\":true}")
expect_match "no partial value appears" "\"value\":\"$(b64 kept)\"" "$r"
out=$(cat "$M1/q" 2>&1)
check "linearizable mount: reads fail without a quorum" bash -c "[ '$out' != kept ]"
node_stop 1
node_start 1 --mount "$M1" --mount-consistency local
wait_until 15 mountpoint -q "$M1"
wait_until 10 bash -c "cat '$M1/q' >/dev/null 2>&1"
expect_eq "--mount-consistency local serves reads without a quorum" "kept" "$(cat "$M1/q" 2>&1)"
out=$(echo lost 2>&1 >"$M1/q")
expect_match "and still refuses writes" 'Read-only file system' "$out"
finish
