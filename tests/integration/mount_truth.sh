#!/bin/bash
# The mount tells the truth under load: three members, three mounts (three
# hosts), watchers on two of them so every change is replayed there. Right
# after a 5,000-key API burst (txns of 100 puts) returns, `ls -la` on the
# other mounts lists all 5,000 files and every one reads its value; right
# after a burst of deletes, none is left; right after `rm -r` on one mount,
# `test -e` is false on the others; a file written with echo on one mount is
# there for stat on another at once while the replay queue is still long.
# The watchers still get their events.
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
inws=()
unmount_all() {
    for p in "${inws[@]}"; do kill "$p" 2>/dev/null; done
    for n in 1 2 3; do node_stop $n; umount -l "$T_DIR/m$n" 2>/dev/null; done
    cleanup
}
trap unmount_all EXIT
M1=$T_DIR/m1; M2=$T_DIR/m2; M3=$T_DIR/m3
N=${TRUTH_KEYS:-5000}

# burst OP [DIR]: N keys DIR/kNNNNN (DIR: burst) in txns of 100 through the
# API of member 1
burst() {
    timeout 120 python3 - "$1" "${T_CPORT[1]}" "$N" "${2:-burst}" <<'EOF'
import base64, json, sys, urllib.request
op, port, n, d = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
b = lambda s: base64.b64encode(s.encode()).decode()
for start in range(0, n, 100):
    ops = []
    for i in range(start, min(n, start + 100)):
        k = "/%s/k%05d" % (d, i)
        if op == "put":
            ops.append({"request_put": {"key": b(k), "value": b("v-%05d" % i)}})
        else:
            ops.append({"request_delete_range": {"key": b(k)}})
    req = urllib.request.Request("http://127.0.0.1:%s/v3/kv/txn" % port,
                                 data=json.dumps({"success": ops}).encode())
    r = json.loads(urllib.request.urlopen(req, timeout=10).read())
    if not r.get("succeeded"):
        print("txn failed:", r); sys.exit(1)
EOF
}

mkdir "$M1/burst"
for m in "$M2" "$M3"; do
    ls "$m/burst" >/dev/null
    inotifywait -m -q --format '%e %f' "$m/burst" >"$T_DIR/ev.$(basename "$m")" 2>/dev/null &
    inws+=($!)
done
sleep 0.5

check "a $N-key burst through the API returns" burst put
echo side >"$M1/burst-side"
expect_eq "during the replay of the burst: echo on mount 1, stat on mount 2 at once" \
    "5" "$(stat -c %s "$M2/burst-side" 2>&1)"
for m in "$M2" "$M3"; do
    out=$(timeout 60 ls -la "$m/burst" 2>&1); rc=$?
    expect_eq "ls -la on $(basename "$m") right after the burst exits 0" "0" "$rc"
    expect_eq "and lists $N regular files" "$N" "$(printf '%s\n' "$out" | grep -c '^-')"
    bad=$(timeout 60 python3 - "$m/burst" "$N" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
bad = 0
for i in range(n):
    try:
        with open(os.path.join(d, "k%05d" % i)) as f:
            if f.read() != "v-%05d" % i:
                bad += 1
    except OSError:
        bad += 1
print(bad)
EOF
)
    expect_eq "every file on $(basename "$m") reads its value at once" "0" "$bad"
done

# the watchers get the events (asynchronous: they may still be arriving)
for m in m2 m3; do
    wait_until 60 bash -c "[ \$(grep -E '^(CREATE|MODIFY) ' '$T_DIR/ev.$m' | awk '{print \$2}' | sort -u | grep -c '^k') -ge $N ]"
    expect_eq "inotifywait on $m saw every one of the $N names created" "$N" \
        "$(grep -E '^(CREATE|MODIFY) ' "$T_DIR/ev.$m" | awk '{print $2}' | sort -u | grep -c '^k')"
done

check "a $N-key delete burst through the API returns" burst delete
for m in "$M2" "$M3"; do
    out=$(timeout 60 ls -la "$m/burst" 2>&1); rc=$?
    expect_eq "ls -la on $(basename "$m") right after the delete burst exits 0" "0" "$rc"
    expect_eq "and lists no file" "0" "$(printf '%s\n' "$out" | grep -c '^-')"
    check "a deleted name is gone for test -e on $(basename "$m")" bash -c "! test -e '$m/burst/k00042'"
done

# one deleterange of N keys in a watched directory: the member applies it
# at once (it used to ask the store "anything left under wide/?" once per
# deleted key, each walking the fresh tombstones: minutes on the loop), and
# the watcher sees every file go, then the directory once
check "a $N-key burst into wide/ returns" burst put wide
ls "$M2/wide" >/dev/null
inotifywait -m -q --format '%e %f' "$M2/wide" >"$T_DIR/ev.wide" 2>/dev/null &
inws+=($!)
sleep 0.5
out=$(timeout 20 "$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[1]}" del --prefix /wide/ 2>&1)
expect_eq "etcfsctl del --prefix /wide/ deletes $N keys within 20 s" "$N" "$out"
out=$(timeout 5 "$ETCFSCTL" --endpoints "127.0.0.1:${T_CPORT[2]}" put /after-wide x 2>&1)
expect_eq "and the cluster answers a put at once" "OK" "$out"
check "wide/ is gone on mount 3 at once" bash -c "! test -e '$M3/wide'"
wait_until 60 grep -q DELETE_SELF "$T_DIR/ev.wide"
expect_eq "the watcher of wide/ saw every file deleted" "$N" "$(grep -c '^DELETE k' "$T_DIR/ev.wide")"
expect_eq "and the directory itself deleted once" "1" "$(grep -c '^DELETE_SELF' "$T_DIR/ev.wide")"
expect_eq "after its files" "DELETE_SELF" "$(grep -v '^IGNORED' "$T_DIR/ev.wide" | tail -n 1 | cut -d' ' -f1)"

# rm -r on one mount, test -e on the others at once
mkdir -p "$M1/tree/a/b" "$M1/tree/c"
for i in $(seq 50); do echo "$i" >"$M1/tree/a/b/f$i"; done
echo x >"$M1/tree/c/g"
check "the tree is there on mount 2" test -f "$M2/tree/a/b/f50"
check "and on mount 3" test -f "$M3/tree/c/g"
ls -R "$M2/tree" "$M3/tree" >/dev/null
rm -r "$M1/tree"
check "after rm -r on mount 1 returns: test -e is false on mount 2" bash -c "! test -e '$M2/tree'"
check "and on mount 3" bash -c "! test -e '$M3/tree'"
check "and for a file that was in it" bash -c "! test -e '$M2/tree/a/b/f1' && ! test -e '$M3/tree/a/b/f1'"
finish
