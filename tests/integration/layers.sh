#!/bin/bash
# The layering of docs/ARCHITECTURE.md, checked on the sources: each
# directory includes headers only from the layers below it (arrows point
# down). A header of a higher layer included from a lower one fails here,
# naming the file and the include.
#   src/lib     generic helpers            -> lib
#   src/core    errors, metrics, settings  -> lib, core
#   src/store   the MVCC store             -> lib, core, store
#   raft        Raft member, FSM           -> lib, core, store, raft
#   src/server  the request path           -> ... raft, server
#   fuse        the mount                  -> ... raft, server, fuse
#   src/api     the JSON gateway           -> ... raft, server, api
#   src/grpc    etcd's gRPC API            -> ... raft, server, grpc, and
#               the generated protobuf code ("etcd/...pb-c.h", build/pb)
#   src/daemon  wiring                     -> everything
#   tools       etcfsctl                   -> tools (talks HTTP only)
source "$(dirname "$0")/../lib.sh"
trap cleanup EXIT
top=$T_TOP

# allowed LAYER: the directories (relative to the top) its files may include
allowed() {
    case $1 in
        src/lib) echo "src/lib" ;;
        src/core) echo "src/lib src/core" ;;
        src/store) echo "src/lib src/core src/store" ;;
        raft) echo "src/lib src/core src/store raft" ;;
        src/server) echo "src/lib src/core src/store raft src/server" ;;
        fuse) echo "src/lib src/core src/store raft src/server fuse" ;;
        src/api) echo "src/lib src/core src/store raft src/server src/api" ;;
        src/grpc) echo "src/lib src/core src/store raft src/server src/grpc pb" ;;
        src/daemon) echo "src/lib src/core src/store raft src/server fuse src/api src/grpc src/daemon" ;;
        tools) echo "tools" ;;
    esac
}

for layer in src/lib src/core src/store raft src/server fuse src/api src/grpc src/daemon tools; do
    ok=$(allowed "$layer")
    bad=""
    n=0
    for f in "$top/$layer"/*.c "$top/$layer"/*.h; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        while IFS= read -r inc; do
            if [[ $inc == etcd/*.pb-c.h ]]; then
                # generated from etcd's .proto files at build time
                [[ " $ok " == *" pb "* ]] || bad="$bad ${f#"$top"/}:\"$inc\""
                continue
            fi
            target=$(realpath -m "$(dirname "$f")/$inc")
            dir=${target#"$top"/}
            dir=$(dirname "$dir")
            if ! [[ " $ok " == *" $dir "* ]]; then
                bad="$bad ${f#"$top"/}:\"$inc\""
            fi
        done < <(grep -o '^#include "[^"]*"' "$f" | cut -d'"' -f2)
    done
    if [ -n "$bad" ]; then
        fail "$layer includes only from its own and lower layers:$bad"
    else
        pass "$layer ($n files) includes only from: $ok"
    fi
done
check "every source directory is a known layer" test -z \
    "$(cd "$top" && ls -d src/*/ | tr -d / | sed 's#^src#src/#' | grep -vxE 'src/(lib|core|store|server|api|grpc|daemon)')"
finish
