#!/bin/bash
# etcd's v2 API with --enable-v2, driven by curl as the tutorials do, on a
# 3-member cluster with one mount: /v2/members list/add/update/remove,
# PUT /v2/keys/message then GET on the other members at once, etcd's
# answers (action, node, prevNode, errorCode/cause/index, HTTP statuses,
# X-Etcd-Index), directories, in-order keys, TTLs, and ?wait=true long
# polls that return on a change made through the mount. Without
# --enable-v2 /v2/ is 404, as in etcd 3.4.
source "$(dirname "$0")/../lib.sh"

# jv JSON PYEXPR: a field of a JSON text (d is the parsed value)
jv() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
v2() { curl -s -m 5 "$@"; }
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }

T_MEMBERS="1 2 3"
mkdir -p "$T_DIR/m1"
for n in 1 2 3; do
    if [ $n = 1 ]; then node_start $n --enable-v2 --mount "$T_DIR/m1"; else node_start $n --enable-v2; fi
done
trap 'for n in 1 2 3 4; do node_stop $n; done; umount -l "$T_DIR/m1" 2>/dev/null; cleanup' EXIT
for n in 1 2 3; do wait_until 20 healthy ${T_CPORT[$n]} || fail "n$n healthy"; done
wait_until 10 mountpoint -q "$T_DIR/m1" || fail "m1 mounted"
E1=http://127.0.0.1:${T_CPORT[1]}
E2=http://127.0.0.1:${T_CPORT[2]}
E3=http://127.0.0.1:${T_CPORT[3]}

# ---- members ----
out=$(v2 $E2/v2/members)
expect_eq "GET /v2/members lists the 3 members by name" "n1 n2 n3" "$(jv "$out" '" ".join(sorted(m["name"] for m in d["members"]))')"
expect_eq "... with their client URLs" "$E1" "$(jv "$out" '[m for m in d["members"] if m["name"]=="n1"][0]["clientURLs"][0]')"
expect_match "... and 16-digit hex ids" '^[0-9a-f]{1,16}$' "$(jv "$out" 'd["members"][0]["id"]')"
out=$(v2 -i -XPOST $E1/v2/members -H 'Content-Type: application/json' -d '{"peerURLs":["http://127.0.0.1:14380"]}')
expect_match "POST /v2/members adds a member: 201" '^HTTP/1.1 201' "$out"
new=$(jv "$(printf '%s' "$out" | tail -n1)" 'd["id"]')
expect_eq "... answered as etcd: no name, no client URLs yet" '["http://127.0.0.1:14380"] [] ' "$(jv "$(printf '%s' "$out" | tail -n1)" 'json.dumps(d["peerURLs"])+" "+json.dumps(d["clientURLs"])+" "+d["name"]')"
expect_eq "... listed on another member at once" 4 "$(jv "$(v2 $E3/v2/members)" 'len(d["members"])')"
expect_eq "the same peer URL again: 409 peerURL exists" '409 {"message":"membership: peerURL exists"}' \
    "$(v2 -w '%{http_code} ' -o /dev/null -XPOST $E2/v2/members -H 'Content-Type: application/json' -d '{"peerURLs":["http://127.0.0.1:14380"]}'; v2 -XPOST $E2/v2/members -H 'Content-Type: application/json' -d '{"peerURLs":["http://127.0.0.1:14380"]}')"
expect_eq "a form body: 415 as etcd" '{"message":"Bad Content-Type application/x-www-form-urlencoded, accept application/json"}' \
    "$(v2 -XPOST $E1/v2/members -d '{"peerURLs":["http://127.0.0.1:14381"]}')"
expect_eq "a bad URL: 400 with etcd's text" '{"message":"URL scheme must be http, https, unix, or unixs: bad"}' \
    "$(v2 -XPOST $E1/v2/members -H 'Content-Type: application/json' -d '{"peerURLs":["bad"]}')"
expect_eq "PUT /v2/members/ID updates its peer URL: 204" 204 \
    "$(code -XPUT $E1/v2/members/$new -H 'Content-Type: application/json' -d '{"peerURLs":["http://127.0.0.1:14381"]}')"
expect_match "... listed" 'http://127.0.0.1:14381' "$(v2 $E2/v2/members)"
expect_eq "DELETE /v2/members/ID removes it: 204" 204 "$(code -XDELETE $E2/v2/members/$new)"
expect_eq "... 3 members again, on another member at once" 3 "$(jv "$(v2 $E3/v2/members)" 'len(d["members"])')"
expect_eq "an unknown member: 404 No such member" '{"message":"No such member: 1234"}' "$(v2 -XDELETE $E1/v2/members/1234)"
expect_match "GET /v2/members/leader names the leader" '"name":"n[123]"' "$(v2 $E1/v2/members/leader)"

# ---- keys: the tutorials' calls ----
out=$(v2 -i -XPUT $E1/v2/keys/message -d value="Hello world" | tr -d '\r')
expect_match "PUT /v2/keys/message value=...: 201 Created" '^HTTP/1.1 201' "$out"
idx=$(printf '%s\n' "$out" | sed -n 's/^X-Etcd-Index: //p')
expect_eq "... etcd's answer, indices = the v3 revision (X-Etcd-Index $idx)" \
    "{\"action\":\"set\",\"node\":{\"key\":\"/message\",\"value\":\"Hello world\",\"modifiedIndex\":$idx,\"createdIndex\":$idx}}" \
    "$(printf '%s' "$out" | tail -n1)"
expect_eq "GET on n2 right after" "Hello world" "$(jv "$(v2 $E2/v2/keys/message)" 'd["node"]["value"]')"
expect_eq "GET on n3 right after" "Hello world" "$(jv "$(v2 $E3/v2/keys/message)" 'd["node"]["value"]')"
expect_eq "... a file of the mount (prefix /v2)" "Hello world" "$(cat "$T_DIR/m1/v2/message")"
expect_eq "... the v3 key /v2/message" "Hello world" "$(getv ${T_CPORT[3]} /v2/message)"
out=$(v2 -XPUT $E2/v2/keys/message -d value="Hello etcd")
expect_eq "a second PUT: prevNode" "Hello world $idx" "$(jv "$out" 'd["prevNode"]["value"]+" "+str(d["prevNode"]["modifiedIndex"])')"
echo -n "from the mount" >"$T_DIR/m1/v2/message"
expect_eq "a write through the mount, read by v2 on n3 at once" "from the mount" "$(jv "$(v2 $E3/v2/keys/message)" 'd["node"]["value"]')"
expect_eq "a missing key: 404 errorCode 100" '404 100 Key not found /nokey' \
    "$(out=$(v2 -w ' %{http_code}' $E3/v2/keys/nokey); jv "${out% *}" "'${out##* } '+str(d['errorCode'])+' '+d['message']+' '+d['cause']")"

# ---- conditions ----
expect_eq "prevExist=false on an existing key: 412, 105" '412 {"errorCode":105,"message":"Key already exists","cause":"/message","index":' \
    "$(v2 -w '%{http_code} ' -o /dev/null -XPUT "$E1/v2/keys/message?prevExist=false" -d value=a; v2 -XPUT "$E1/v2/keys/message?prevExist=false" -d value=a | cut -c1-75)"
expect_match "prevValue that differs: 101 with etcd's cause" '"errorCode":101,"message":"Compare failed","cause":"\[nope != from the mount\]"' \
    "$(v2 -XPUT $E1/v2/keys/message -d prevValue=nope -d value=a)"
out=$(v2 -XPUT $E2/v2/keys/message -d prevValue="from the mount" -d value=swapped)
expect_eq "prevValue that matches: compareAndSwap" "compareAndSwap swapped" "$(jv "$out" 'd["action"]+" "+d["node"]["value"]')"
mi=$(jv "$out" 'd["node"]["modifiedIndex"]')
expect_match "prevIndex that differs: 101 [99 != $mi]" "\"cause\":\"\\[99 != $mi\\]\"" "$(v2 -XPUT $E1/v2/keys/message -d prevIndex=99 -d value=b)"
expect_eq "prevExist=true: update" "update" "$(jv "$(v2 -XPUT $E3/v2/keys/message -d prevExist=true -d value=c)" 'd["action"]')"
expect_eq "prevExist=true on a missing key: 100" 100 "$(jv "$(v2 -XPUT $E1/v2/keys/newk -d prevExist=true -d value=c)" 'd["errorCode"]')"
expect_eq "a bad ttl: 202" '{"errorCode":202,"message":"The given TTL in POST form is not a number","cause":"invalid value for \"ttl\"","index":0}' \
    "$(v2 -XPUT $E1/v2/keys/t -d value=x -d ttl=abc)"
expect_eq "a bad prevExist: 209" 209 "$(jv "$(v2 -XPUT $E1/v2/keys/t -d value=x -d prevExist=maybe)" 'd["errorCode"]')"
expect_eq "the root is read only: 107" 107 "$(jv "$(v2 -XPUT $E1/v2/keys/ -d value=1)" 'd["errorCode"]')"

# ---- directories ----
v2 -XPUT $E1/v2/keys/dir/a/b -d value=x >/dev/null
v2 -XPUT $E1/v2/keys/dir/c -d value=y >/dev/null
out=$(v2 "$E3/v2/keys/dir?recursive=true&sorted=true")
expect_eq "recursive sorted GET: the tree" "/dir True /dir/a True /dir/a/b x /dir/c y" \
    "$(jv "$out" '" ".join([d["node"]["key"], str(d["node"]["dir"]), d["node"]["nodes"][0]["key"], str(d["node"]["nodes"][0]["dir"]), d["node"]["nodes"][0]["nodes"][0]["key"], d["node"]["nodes"][0]["nodes"][0]["value"], d["node"]["nodes"][1]["key"], d["node"]["nodes"][1]["value"]])')"
expect_eq "a plain GET lists one level" "False" "$(jv "$(v2 $E2/v2/keys/dir)" 'str("nodes" in d["node"]["nodes"][0])')"
expect_eq "a value under a file: 104 Not a directory" 104 "$(jv "$(v2 -XPUT $E1/v2/keys/message/sub -d value=x)" 'd["errorCode"]')"
expect_eq "a value over a directory: 102 Not a file" 102 "$(jv "$(v2 -XPUT $E1/v2/keys/dir -d value=x)" 'd["errorCode"]')"
expect_eq "DELETE dir=true of a non-empty one: 108" 108 "$(jv "$(v2 -XDELETE "$E1/v2/keys/dir?dir=true")" 'd["errorCode"]')"
expect_eq "PUT dir=true: a directory" "True" "$(jv "$(v2 -XPUT $E2/v2/keys/newdir -d dir=true)" 'str(d["node"]["dir"])')"
check "... a directory of the mount" test -d "$T_DIR/m1/v2/newdir"
mkdir "$T_DIR/m1/v2/fromfs"
expect_eq "mkdir in the mount: a v2 directory at once" "True" "$(jv "$(v2 $E3/v2/keys/fromfs)" 'str(d["node"]["dir"])')"
expect_eq "DELETE dir=true of an empty one" "delete" "$(jv "$(v2 -XDELETE "$E1/v2/keys/newdir?dir=true")" 'd["action"]')"
expect_eq "DELETE recursive=true" "delete True" "$(jv "$(v2 -XDELETE "$E2/v2/keys/dir?recursive=true")" 'd["action"]+" "+str(d["node"]["dir"])')"
check "... gone from the mount" test ! -e "$T_DIR/m1/v2/dir"
out=$(v2 -XPOST $E1/v2/keys/queue -d value=job1)
k1=$(jv "$out" 'd["node"]["key"]')
k2=$(jv "$(v2 -XPOST $E3/v2/keys/queue -d value=job2)" 'd["node"]["key"]')
expect_match "POST: an in-order key of 20 digits" '^/queue/[0-9]{20}$' "$k1"
check "... the next one sorts after it" test "$k2" \> "$k1"
expect_eq "... both listed in order" "job1 job2" "$(jv "$(v2 "$E2/v2/keys/queue?sorted=true")" '" ".join(n["value"] for n in d["node"]["nodes"])')"
out=$(v2 -XPUT $E1/v2/keys/short -d value=x -d ttl=2)
expect_match "a ttl: the node has ttl and expiration" '"expiration":"20[0-9-]*T[0-9:.]*Z","ttl":[12],' "$out"
check "... it expires (gone from v2 and the mount)" wait_until 8 bash -c "[ \"\$(curl -s -m 2 -o /dev/null -w '%{http_code}' $E2/v2/keys/short)\" = 404 ] && [ ! -e '$T_DIR/m1/v2/short' ]"
expect_eq "DELETE: prevNode" "delete c" "$(jv "$(v2 -XDELETE $E3/v2/keys/message)" 'd["action"]+" "+d["prevNode"]["value"]')"

# ---- long polls ----
v2 -XPUT $E1/v2/keys/w/x -d value=1 >/dev/null
before=$(jv "$(v2 $E1/v2/keys/w/x)" 'd["node"]["modifiedIndex"]')
v2 "$E3/v2/keys/w/x?wait=true" >"$T_DIR/wait1" &
waiter=$!
sleep 0.5
echo "changed on the mount" >"$T_DIR/m1/v2/w/x"
wait_until 5 bash -c "! kill -0 $waiter" && wait $waiter
out=$(cat "$T_DIR/wait1")
expect_eq "?wait=true on n3 returns on a change made through the mount" "set changed on the mount
 1" "$(jv "$out" 'd["action"]+" "+d["node"]["value"]+" "+d["prevNode"]["value"]')"
v2 "$E2/v2/keys/w?wait=true&recursive=true" >"$T_DIR/wait2" &
waiter=$!
sleep 0.5
rm "$T_DIR/m1/v2/w/x"
wait_until 5 bash -c "! kill -0 $waiter" && wait $waiter
expect_eq "a recursive wait returns on rm in the mount: delete" "delete /w/x" "$(jv "$(cat "$T_DIR/wait2")" 'd["action"]+" "+d["node"]["key"]')"
expect_eq "waitIndex: the first change from that index (history)" "set 1 $before" \
    "$(jv "$(v2 "$E1/v2/keys/w/x?wait=true&waitIndex=$before")" 'd["action"]+" "+d["node"]["value"]+" "+str(d["node"]["modifiedIndex"])')"
curl -s -m 1 "$E2/v2/keys/never?wait=true" >/dev/null
check "a waiter that leaves: the member serves on" healthy ${T_CPORT[2]}
rev=$(revision ${T_CPORT[1]})
api ${T_CPORT[1]} /v3/kv/compaction "{\"revision\":\"$rev\"}" >/dev/null
expect_eq "a compacted waitIndex: 401 as etcd" "400 401 The event in requested index is outdated and cleared" \
    "$(out=$(v2 -w ' %{http_code}' "$E2/v2/keys/w/x?wait=true&waitIndex=2"); jv "${out% *}" "'${out##* } '+str(d['errorCode'])+' '+d['message']")"

# ---- off by default ----
T_CLUSTER="n4=http://127.0.0.1:14380" node_start 4
wait_until 20 healthy 14379 || fail "n4 healthy"
expect_eq "without --enable-v2: 404 page not found" "404 404 page not found" "$(code http://127.0.0.1:14379/v2/keys/message) $(v2 http://127.0.0.1:14379/v2/keys/message)"
finish
