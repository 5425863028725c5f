#!/bin/bash
# POSIX metadata as a local filesystem keeps it: posix_probe.py runs the
# same scenarios (directory and file times, SUID/SGID, sticky directories,
# utimensat, unlinked open files, PATH_MAX, chown by an owner, non-root
# writes through setpriv) on tmpfs and on a mount whose paths have the same
# length; every line must match. Then the documented difference: a value
# over the request limit is EFBIG.
source "$(dirname "$0")/../lib.sh"

mkdir -p "$T_DIR/mt" "$T_DIR/tm"
node_start 1 --mount "$T_DIR/mt" --max-request-bytes 65536
wait_until 20 healthy ${T_CPORT[1]} || { fail "member healthy"; finish; exit 1; }
wait_until 10 mountpoint -q "$T_DIR/mt"
mount -t tmpfs none "$T_DIR/tm"
unmount_all() {
    node_stop 1
    umount -l "$T_DIR/mt" 2>/dev/null
    umount -l "$T_DIR/tm" 2>/dev/null
    cleanup
}
trap unmount_all EXIT
chmod 0755 "$T_DIR"   # nobody walks into both roots
probe="$(dirname "$0")/posix_probe.py"
timeout 300 python3 "$probe" "$T_DIR/tm" >"$T_DIR/probe.tmpfs" 2>&1
timeout 300 python3 "$probe" "$T_DIR/mt" >"$T_DIR/probe.mount" 2>&1
n=$(wc -l <"$T_DIR/probe.tmpfs")
check "the probe ran on tmpfs ($n behaviours)" test "$n" -ge 60
i=0
while IFS= read -r line; do
    i=$((i + 1))
    expect_eq "as tmpfs: ${line%: *}" "$line" "$(sed -n "${i}p" "$T_DIR/probe.mount")"
done <"$T_DIR/probe.tmpfs"
tail -n 3 "$T_DIR/probe.mount" | grep -q Traceback && fail "the probe crashed on the mount: $(tail -n 1 "$T_DIR/probe.mount")"

# values over the request limit keep failing with EFBIG
out=$(dd if=/dev/zero of="$T_DIR/mt/big" bs=100000 count=1 2>&1)
expect_match "a value over --max-request-bytes: EFBIG" 'File too large' "$out"
finish
