#!/bin/bash
# A full disk: the data dir sits on a 48 MB tmpfs; writes of 700 kB values
# go on until the member refuses them with etcd's "database space exceeded"
# (never a hang or a crash); every acknowledged write stays readable and
# deletes still work.
source "$(dirname "$0")/../lib.sh"

MNT=$T_DIR/small
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=48m tmpfs "$MNT"; then
    fail "mount a small tmpfs (needs root)"
    finish
    exit 1
fi
umount_small() { node_stop 1; umount "$MNT" 2>/dev/null; cleanup; }
trap umount_small EXIT

T_MEMBERS="1"
node_ports 1
"$ETCFSD" --name n1 --data-dir "$MNT/n1" \
    --listen-client-urls "http://127.0.0.1:${T_CPORT[1]}" --advertise-client-urls "http://127.0.0.1:${T_CPORT[1]}" \
    --listen-peer-urls "http://127.0.0.1:${T_PPORT[1]}" --initial-advertise-peer-urls "http://127.0.0.1:${T_PPORT[1]}" \
    --initial-cluster "n1=http://127.0.0.1:${T_PPORT[1]}" >"$T_DIR/n1.log" 2>&1 &
T_PIDS[1]=$!
P=${T_CPORT[1]}
wait_until 15 healthy $P || { fail "member starts on the small disk"; finish; exit 1; }

head -c 700000 /dev/urandom | base64 -w0 >"$T_DIR/v"
acked=0
refused=0
other=0
for i in $(seq 40); do
    printf '{"key":"%s","value":"%s"}' "$(b64 "/big/$i")" "$(cat "$T_DIR/v")" >"$T_DIR/req"
    out=$(curl -s -m 10 -w ' %{http_code}' -X POST "http://127.0.0.1:$P/v3/kv/put" --data-binary @"$T_DIR/req")
    case "$out" in
        *'"revision"'*' 200') acked=$((acked + 1)); echo "$i" >>"$T_DIR/acked" ;;
        *'database space exceeded'*) refused=$((refused + 1)) ;;
        *) other=$((other + 1)); echo "# write $i: ${out:0:200}" ;;
    esac
done
echo "# $acked writes acknowledged, $refused refused with NOSPACE, $other other outcomes"
check "some writes were acknowledged before the disk filled" test "$acked" -gt 0
check "the full disk is reported as etcd's NOSPACE" test "$refused" -gt 0
expect_eq "no write timed out or failed otherwise" "0" "$other"
check "the member is still alive" kill -0 "${T_PIDS[1]}"
bad=0
for i in $(cat "$T_DIR/acked"); do
    r=$(api $P /v3/kv/range "{\"key\":\"$(b64 "/big/$i")\",\"keys_only\":true}")
    printf '%s' "$r" | grep -q '"count":"1"' || bad=$((bad + 1))
done
expect_eq "every acknowledged write is readable" "0" "$bad"
r=$(api $P /v3/kv/deleterange "{\"key\":\"$(b64 /big/)\",\"range_end\":\"$(b64 /big0)\"}")
expect_match "deletes still work on a full disk" "\"deleted\":\"$acked\"" "$r"
expect_match "small reads still work" '"header"' "$(api $P /v3/kv/range "{\"key\":\"$(b64 /x)\"}")"
finish
