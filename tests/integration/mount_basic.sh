#!/bin/bash
# One member with its keyspace mounted: files, directories, symlinks,
# appends, truncation, binary data, cp -a / tar round trips, find vs the
# key listing, renames as one revision, odd names, limits and refused
# operations, clean unmount on SIGTERM and recovery from a stale mount.
source "$(dirname "$0")/../lib.sh"

T_MEMBERS="1"
M=$T_DIR/mnt1
mkdir -p "$M"
node_start 1 --mount "$M"
P=${T_CPORT[1]}
wait_until 15 healthy $P || { fail "member starts"; finish; exit 1; }
wait_until 10 mountpoint -q "$M"
check "mounted" mountpoint -q "$M"
umount_all() { node_stop 1; umount -l "$M" 2>/dev/null; cleanup; }
trap umount_all EXIT

# ---- files and keys ----
echo hello >"$M/greeting"
expect_eq "echo > file then cat" "hello" "$(cat "$M/greeting")"
expect_eq "the file is the key /greeting" "hello" "$(getv $P /greeting | tr -d '\n')"
printf 'one put\n' >"$T_DIR/src"
rev0=$(revision $P)
cp "$T_DIR/src" "$M/single"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /single)\"}")
expect_match "open-write-close of a new file = one revision (version 1)" '"version":"1"' "$r"
expect_eq "and the store moved by one revision" "$((rev0 + 1))" "$(revision $P)"
echo world >>"$M/greeting"
expect_eq ">> appends" "$(printf 'hello\nworld')" "$(cat "$M/greeting")"
truncate -s 3 "$M/greeting"
expect_eq "truncate" "hel" "$(cat "$M/greeting")"
: >"$M/greeting"
expect_eq ": > file empties it" "0" "$(stat -c %s "$M/greeting")"
touch "$M/empty"
check "touch creates an empty file" test -f "$M/empty"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /empty)\",\"count_only\":true}")
expect_match "an empty file is a key" '"count":"1"' "$r"
head -c 100000 /dev/urandom >"$T_DIR/bin"
cp "$T_DIR/bin" "$M/bin"
check "binary data round trip" cmp "$T_DIR/bin" "$M/bin"
expect_eq "st_size" "100000" "$(stat -c %s "$M/bin")"
dd if=/dev/zero of="$M/bin" bs=1 count=4 seek=10 conv=notrunc status=none
dd if=/dev/zero of="$T_DIR/bin" bs=1 count=4 seek=10 conv=notrunc status=none
check "an offset write changes just those bytes" cmp "$T_DIR/bin" "$M/bin"
api $P /v3/kv/put "{\"key\":\"$(b64 /from-api)\",\"value\":\"$(b64 api-value)\"}" >/dev/null
expect_eq "a key put through the API is a file" "api-value" "$(cat "$M/from-api")"
expect_eq "with mode 0644 by default" "644" "$(stat -c %a "$M/from-api")"

# ---- directories ----
mkdir -p "$M/etc/app/conf.d"
check "mkdir -p" test -d "$M/etc/app/conf.d"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /etc/app/conf.d/)\",\"count_only\":true}")
expect_match "an empty directory is a marker key ending in /" '"count":"1"' "$r"
echo "port=80" >"$M/etc/app/conf.d/web.conf"
out=$(rmdir "$M/etc/app/conf.d" 2>&1)
expect_match "rmdir of a non-empty directory: ENOTEMPTY" 'not empty' "$out"
mkdir "$M/gone"
rmdir "$M/gone"
check "rmdir of an empty directory" test ! -e "$M/gone"
api $P /v3/kv/put "{\"key\":\"$(b64 /x)\",\"value\":\"$(b64 own)\"}" >/dev/null
api $P /v3/kv/put "{\"key\":\"$(b64 /x/y)\",\"value\":\"$(b64 child)\"}" >/dev/null
check "a key that is also a prefix: the directory" test -d "$M/x"
expect_eq "and its own value as x%" "own" "$(cat "$M/x%")"
expect_eq "a child of it" "child" "$(cat "$M/x/y")"

# ---- symlinks ----
ln -s etc/app/conf.d/web.conf "$M/link"
expect_eq "readlink" "etc/app/conf.d/web.conf" "$(readlink "$M/link")"
expect_eq "reading through the link" "port=80" "$(cat "$M/link")"

# ---- rename ----
echo one >"$M/r1"
rev0=$(revision $P)
mv "$M/r1" "$M/r2"
expect_eq "rename moves the value" "one" "$(cat "$M/r2")"
check "the old name is gone" test ! -e "$M/r1"
expect_eq "rename is one revision" "$((rev0 + 1))" "$(revision $P)"
echo old >"$M/target"
echo new >"$M/tmp.new"
mv "$M/tmp.new" "$M/target"
expect_eq "rename over an existing file" "new" "$(cat "$M/target")"
mkdir -p "$M/dir1/sub"
echo a >"$M/dir1/a"
echo b >"$M/dir1/sub/b"
rev0=$(revision $P)
mv "$M/dir1" "$M/dir2"
expect_eq "a directory rename moves the whole prefix" "a b" "$(cat "$M/dir2/a") $(cat "$M/dir2/sub/b")"
expect_eq "in one revision" "$((rev0 + 1))" "$(revision $P)"
check "the old directory is gone" test ! -e "$M/dir1"
printf 'k=v\n' >"$M/sedfile"
sed -i 's/v/w/' "$M/sedfile"
expect_eq "sed -i" "k=w" "$(cat "$M/sedfile")"

# ---- metadata ----
chmod 600 "$M/sedfile"
expect_eq "chmod" "600" "$(stat -c %a "$M/sedfile")"
chown 1234:5678 "$M/sedfile"
expect_eq "chown" "1234:5678" "$(stat -c %u:%g "$M/sedfile")"
touch -d '2020-01-02 03:04:05 UTC' "$M/sedfile"
expect_eq "utimensat" "1577934245" "$(stat -c %Y "$M/sedfile")"
expect_eq "metadata survives a content change" "600 1234" "$(echo z >"$M/sedfile"; stat -c '%a %u' "$M/sedfile")"

# ---- cp -a, tar, find ----
mkdir -p "$T_DIR/tree/a/b" "$T_DIR/tree/c"
echo 1 >"$T_DIR/tree/a/one"; echo 2 >"$T_DIR/tree/a/b/two"; : >"$T_DIR/tree/c/empty"
head -c 5000 /dev/urandom >"$T_DIR/tree/c/bin"
chmod 640 "$T_DIR/tree/a/one"
cp -a "$T_DIR/tree" "$M/tree"
check "cp -a copies the tree" diff -r "$T_DIR/tree" "$M/tree"
expect_eq "cp -a keeps modes" "640" "$(stat -c %a "$M/tree/a/one")"
(cd "$M" && tar cf "$T_DIR/t.tar" tree)
mkdir -p "$T_DIR/untar"
tar xf "$T_DIR/t.tar" -C "$T_DIR/untar"
check "tar round trip" diff -r "$T_DIR/tree" "$T_DIR/untar/tree"
keys=$(api $P /v3/kv/range "{\"key\":\"$(b64 /tree/)\",\"range_end\":\"$(b64 /tree0)\",\"keys_only\":true}" |
    grep -o '"key":"[^"]*"' | sed 's/"key":"\(.*\)"/\1/' | while read -r k; do unb64 "$k"; echo; done | sed 's|^/||' | grep -v '/$' | sort)
found=$(cd "$M" && find tree -type f | sort)
expect_eq "find | sort equals the key listing" "$keys" "$found"

# ---- odd names ----
echo s >"$M/with space"
expect_eq "a name with a space" "/with space" "$(api $P /v3/kv/range "{\"key\":\"$(b64 '/with space')\"}" | grep -o '"key":"[^"]*"' | sed 's/"key":"\(.*\)"/\1/' | base64 -d)"
echo p >"$M/100%25"
expect_eq "%25 in a name is the key's %" "p" "$(getv $P /100%)"
api $P /v3/kv/put "{\"key\":\"$(b64 /odd/../x)\",\"value\":\"$(b64 dots)\"}" >/dev/null
expect_eq "a .. segment is reachable as %2E%2E" "dots" "$(cat "$M/odd/%2E%2E/x")"
api $P /v3/kv/put "{\"key\":\"$(b64 /odd//empty)\",\"value\":\"$(b64 e)\"}" >/dev/null
expect_eq "an empty segment is reachable as %" "e" "$(cat "$M/odd/%/empty")"
name255=$(printf 'n%.0s' $(seq 255))
echo long >"$M/$name255"
expect_eq "a 255-byte name" "long" "$(cat "$M/$name255")"
out=$(echo x 2>&1 >"$M/${name255}n")
expect_match "a 256-byte name: ENAMETOOLONG" 'too long' "$out"
nonutf=$(printf 'caf\xe9')
echo latin1 >"$M/$nonutf"
expect_eq "a non-UTF-8 name" "latin1" "$(cat "$M/$nonutf")"

# ---- limits and refusals ----
head -c 2097152 /dev/zero >"$T_DIR/2m"
out=$(cp "$T_DIR/2m" "$M/big" 2>&1)
expect_match "a 2 MiB write: EFBIG" 'too large' "$out"
r=$(api $P /v3/kv/range "{\"key\":\"$(b64 /big)\"}")
expect_eq "nothing half-written" "" "$(printf '%s' "$r" | grep -o '"value"')"
out=$(ln "$M/target" "$M/hardlink" 2>&1)
expect_match "hard link: EPERM" 'not permitted' "$out"
out=$(mknod "$M/fifo" p 2>&1)
expect_match "mknod FIFO: EPERM" 'not permitted' "$out"
check "the daemon keeps running" kill -0 "${T_PIDS[1]}"

# ---- lifecycle ----
node_stop 1
check "unmounted on SIGTERM" bash -c "! mountpoint -q '$M'"
node_start 1 --mount "$M"
wait_until 15 mountpoint -q "$M"
expect_eq "data is back after a restart" "new" "$(cat "$M/target")"
node_kill9 1
check "kill -9 leaves a stale mount" bash -c "! ls '$M' >/dev/null 2>&1"
node_start 1 --mount "$M"
wait_until 15 healthy $P
wait_until 10 bash -c "cat '$M/target' >/dev/null 2>&1"
expect_eq "a restart recovers from the stale mount" "new" "$(cat "$M/target" 2>&1)"
mkdir -p "$T_DIR/busy"
echo x >"$T_DIR/busy/file"
out=$("$ETCFSD" --name other --data-dir "$T_DIR/other" --mount "$T_DIR/busy" \
    --listen-client-urls http://127.0.0.1:18379 --listen-peer-urls http://127.0.0.1:18380 \
    --initial-advertise-peer-urls http://127.0.0.1:18380 --initial-cluster other=http://127.0.0.1:18380 2>&1)
expect_match "a non-empty mount point is refused" 'is not empty' "$out"

# --mount-consistency local caches names and attributes: a rename must
# still be readable under its new name at once (the kernel moved its
# dentry to the old inode; the mount must follow)
node_stop 1
node_start 1 --mount "$M" --mount-consistency local
wait_until 15 healthy $P
wait_until 10 mountpoint -q "$M"
echo one >"$M/ra"
cat "$M/ra" >/dev/null
mv "$M/ra" "$M/rb"
expect_eq "local: a renamed file reads under its new name at once" "one" "$(cat "$M/rb" 2>&1)"
echo two >"$M/rc"
cat "$M/rc" >/dev/null
mv "$M/rb" "$M/rc"
expect_eq "local: a rename over a file reads the moved value" "one" "$(cat "$M/rc" 2>&1)"
mkdir "$M/rd"
echo x >"$M/rd/f"
cat "$M/rd/f" >/dev/null
mv "$M/rd" "$M/re"
expect_eq "local: a file of a renamed directory reads at its new path" "x" "$(cat "$M/re/f" 2>&1)"

# A key that gains children turns from a file into a directory (its value
# becomes "name%"): the kernel's cached file dentry must go at once, and the
# replayed mkdir must raise IN_CREATE for the directory.
api $P /v3/kv/put "{\"key\":\"$(b64 /kc)\",\"value\":\"$(b64 own)\"}" >/dev/null
wait_until 5 test -f "$M/kc"
expect_eq "local: the key is a file first" "own" "$(cat "$M/kc" 2>&1)"
inotifywait -m -q -e create --format '%e %f' "$M" >"$T_DIR/kc.events" 2>/dev/null &
iw=$!
sleep 0.5
api $P /v3/kv/put "{\"key\":\"$(b64 /kc/child)\",\"value\":\"$(b64 c)\"}" >/dev/null
wait_until 5 grep -q 'CREATE,ISDIR kc' "$T_DIR/kc.events"
kill $iw 2>/dev/null
wait $iw 2>/dev/null
expect_match "local: IN_CREATE for the new directory" 'CREATE,ISDIR kc' "$(cat "$T_DIR/kc.events")"
check "local: the file that gained children is a directory" test -d "$M/kc"
expect_eq "local: its value is kc%" "own" "$(cat "$M/kc%" 2>&1)"
expect_eq "local: its child" "c" "$(cat "$M/kc/child" 2>&1)"
finish
