#!/bin/bash
# Shell writes onto an existing file are one revision each, carrying the new
# content, and a watcher on another mount sees what the same command gives
# on tmpfs: echo >, printf >, >>, tee, cp (and install, which unlinks and
# creates: compared with the writer's own mount, see README "Events").
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
mkdir -p "$T_DIR/tm"
mount -t tmpfs none "$T_DIR/tm"
inw=""; rdr=""
unmount_all() {
    [ -n "$inw" ] && kill "$inw" 2>/dev/null
    [ -n "$rdr" ] && kill "$(cat "$T_DIR/rdr.pid")" "$rdr" 2>/dev/null
    for n in 1 2 3; do node_stop $n; umount -l "$T_DIR/m$n" 2>/dev/null; done
    umount -l "$T_DIR/tm" 2>/dev/null
    cleanup
}
trap unmount_all EXIT
A=$T_DIR/m1/w; B=$T_DIR/m2/w; TM=$T_DIR/tm/w
mkdir "$A" "$TM"
echo src-content >"$T_DIR/src"
ls "$B" >/dev/null

EVMASK=create,delete,modify,attrib,close_write,moved_from,moved_to
# events DIR FILE: the watcher's event kinds for FILE, consecutive repeats
# collapsed (inotify itself merges an unread repeat)
events() { awk -v f="$2" '$2 == f {print $1}' "$1" | uniq | tr '\n' ' '; }
# watch DIR LOG: start inotifywait on DIR (and, on a mount, a reader that
# cats the file at each CLOSE_WRITE)
watch() {
    inotifywait -m -q -e "$EVMASK" --format '%e %f' "$1" >"$2" 2>/dev/null &
    inw=$!
}
unwatch() { sleep 0.3; kill "$inw" 2>/dev/null; wait "$inw" 2>/dev/null; inw=""; }

run_cmd() { # run_cmd NAME DIR CONTENT
    case $1 in
        echo) echo "$3" >"$2/f" ;;
        printf) printf '%s\n' "$3" >"$2/f" ;;
        append) echo "$3" >>"$2/f" ;;
        tee) echo "$3" | tee "$2/f" >/dev/null ;;
        cp) echo "$3" >"$T_DIR/cpsrc" && cp "$T_DIR/cpsrc" "$2/f" ;;
        install) echo "$3" >"$T_DIR/insrc" && install -m 0644 "$T_DIR/insrc" "$2/f" ;;
    esac
}
expected() { # the content after run_cmd
    case $1 in append) printf 'old\n%s\n' "$2" ;; *) printf '%s\n' "$2" ;; esac
}

i=0
for cmd in echo printf append tee cp install; do
    i=$((i + 1))
    new="new-$cmd-$i"
    echo old >"$A/f"
    echo old >"$TM/f"
    # tmpfs: the reference sequence
    watch "$TM" "$T_DIR/ev.tm"
    sleep 0.3
    run_cmd $cmd "$TM" "$new"
    unwatch
    ref=$(events "$T_DIR/ev.tm" f)
    # the writer's own mount (install's reference)
    watch "$A" "$T_DIR/ev.a"
    ver0=$(getfattr --only-values -n user.etcfs.version "$A/f" 2>/dev/null)
    rev0=$(revision ${T_CPORT[1]})
    (inotifywait -m -q -e close_write --format '%f' "$B" 2>/dev/null &
        echo $! >"$T_DIR/rdr.pid"; wait) | while read -r f; do
        [ "$f" = f ] && printf '%s|' "$(cat "$B/f")" >>"$T_DIR/reads.$cmd"
    done &
    rdr=$!
    inotifywait -m -q -e "$EVMASK" --format '%e %f' "$B" >"$T_DIR/ev.b" 2>/dev/null &
    inwb=$!
    sleep 0.5
    run_cmd $cmd "$T_DIR/m1/w" "$new"
    rev1=$(revision ${T_CPORT[1]})
    ver1=$(getfattr --only-values -n user.etcfs.version "$A/f" 2>/dev/null)
    want=$(expected $cmd "$new")
    expect_eq "$cmd: mount 2 reads the new content right after it returns" "$want" "$(cat "$B/f")"
    wait_until 5 grep -q '^CLOSE_WRITE' "$T_DIR/ev.b"
    sleep 0.5
    kill "$inwb" 2>/dev/null; wait "$inwb" 2>/dev/null
    unwatch
    kill "$(cat "$T_DIR/rdr.pid")" 2>/dev/null; wait "$rdr" 2>/dev/null; rdr=""
    got=$(events "$T_DIR/ev.b" f)
    if [ $cmd = install ]; then
        # unlink, create with the data, chmod: three revisions, and the
        # new key's version starts again. Its fsetxattr of a POSIX ACL
        # (refused here, changes nothing in the store) raises an ATTRIB
        # before CLOSE_WRITE on the writer's mount and on tmpfs only.
        expect_eq "install: the writer's own mount sees what tmpfs gives" "$ref" "$(events "$T_DIR/ev.a" f)"
        expect_eq "install: mount 2's watcher sees it without the ACL's ATTRIB" \
            "DELETE CREATE MODIFY CLOSE_WRITE,CLOSE ATTRIB " "$got"
        expect_eq "install: three revisions (unlink, create, chmod)" "$((rev0 + 3))" "$rev1"
        expect_eq "install: the new key is at version 2 (created, chmod)" "2" "$ver1"
    else
        expect_eq "$cmd: one new revision" "$((rev0 + 1))" "$rev1"
        expect_eq "$cmd: version advances by one" "$((ver0 + 1))" "$ver1"
        expect_eq "$cmd: mount 2's watcher sees what tmpfs gives ($ref)" "$ref" "$got"
    fi
    reads=$(cat "$T_DIR/reads.$cmd" 2>/dev/null)
    expect_eq "$cmd: the content read at each CLOSE_WRITE on mount 2 is the new one" \
        "$(printf '%s|' "$want")" "$reads"
done
finish
