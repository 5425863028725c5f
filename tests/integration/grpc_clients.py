# Steps of tests/integration/grpc_clients.sh: Debian's python3-etcd3 0.12
# (on grpcio) against one member's client port, unchanged. Usage:
#   python3 grpc_clients.py STEP HOST:PORT [NMEMBERS]
# Prints one line per assertion ("ok - ..." / "not ok - ..."), exits 1 when
# one failed. Every step works in its own key prefix, named after the port,
# so the same steps can run through the leader and through a follower.
import hashlib
import io
import sys
import threading
import time

import etcd3
import grpc

STEP, TARGET = sys.argv[1], sys.argv[2]
NMEMBERS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
HOST, PORT = TARGET.rsplit(":", 1)
P = "/gc%s/" % PORT
FAILS = 0


def ok(name, cond, detail=""):
    global FAILS
    if cond:
        print("ok - %s: %s" % (STEP, name))
    else:
        FAILS += 1
        print("not ok - %s: %s %s" % (STEP, name, detail))
    sys.stdout.flush()


def eq(name, want, got):
    ok(name, want == got, "(want %r, got %r)" % (want, got))


def client(own=False):
    # own=True: a channel of its own (grpcio shares one connection between
    # channels of the same target unless told otherwise)
    opts = [("grpc.use_local_subchannel_pool", 1)] if own else None
    return etcd3.client(host=HOST, port=int(PORT), timeout=30, grpc_options=opts)


def grpc_error(fn):
    try:
        fn()
    except grpc.RpcError as e:
        return e.code(), e.details()
    except etcd3.exceptions.Etcd3Exception as e:
        return type(e).__name__, str(e)
    return None, None


def step_kv():
    c = client()
    r = c.put(P + "a", "1")
    ok("put answers with a header revision", r.header.revision > 0)
    c.put(P + "b", b"2")
    c.put(P + "c", "3")
    r = c.put(P + "a", "one", prev_kv=True)
    eq("put --prev-kv returns the old value", b"1", r.prev_kv.value)
    v, meta = c.get(P + "a")
    eq("get value", b"one", v)
    eq("get key", (P + "a").encode(), meta.key)
    eq("get version", 2, meta.version)
    ok("create < mod revision", meta.create_revision < meta.mod_revision)
    v, meta = c.get(P + "none")
    ok("get of a missing key is (None, None)", v is None and meta is None)
    got = [(m.key.decode(), v.decode()) for v, m in c.get_prefix(P)]
    eq("get_prefix in key order", [(P + "a", "one"), (P + "b", "2"), (P + "c", "3")], got)
    got = [m.key.decode() for v, m in c.get_prefix(P, sort_order="descend", sort_target="value")]
    eq("get_prefix sorted by value, descending", [P + "a", P + "c", P + "b"], got)
    got = [m.key.decode() for v, m in c.get_range(P + "a", P + "c")]
    eq("get_range [a, c)", [P + "a", P + "b"], got)
    r = c.get_prefix_response(P, keys_only=True)
    ok("keys_only: no values", all(kv.value == b"" for kv in r.kvs) and r.count == 3, str(r))
    rev = c.get_response(P + "a").header.revision
    c.put(P + "a", "later")
    r = c.get_response(P + "a")
    eq("header revision advances by one per put", rev + 1, r.header.revision)
    ok("delete of an existing key", c.delete(P + "b"))
    ok("delete of a missing key is False", not c.delete(P + "b"))
    r = c.delete_prefix(P)
    eq("delete_prefix deletes the rest", 2, r.deleted)
    eq("nothing left", [], list(c.get_prefix(P)))
    # a compacted revision: etcd's text and code
    r1 = c.put(P + "x", "1").header.revision
    r2 = c.put(P + "x", "2").header.revision
    c.compact(r2)
    # (0.12's get() takes no revision: its own stub does)
    from etcd3 import etcdrpc
    code, details = grpc_error(lambda: c.kvstub.Range(etcdrpc.RangeRequest(key=(P + "x").encode(), revision=r1), 30))
    eq("get at a compacted revision: code", grpc.StatusCode.OUT_OF_RANGE, code)
    eq("get at a compacted revision: message",
       "etcdserver: mvcc: required revision has been compacted", details)
    code, details = grpc_error(lambda: c.kvstub.Range(etcdrpc.RangeRequest(key=(P + "x").encode(), revision=r2 + 1000), 30))
    eq("get at a future revision: code", grpc.StatusCode.OUT_OF_RANGE, code)
    eq("get at a future revision: message", "etcdserver: mvcc: required revision is a future revision", details)
    c.delete(P + "x")
    c.close()


def step_txn():
    c = client()
    c.put(P + "t", "v1")
    ok_, resps = c.transaction(
        compare=[c.transactions.value(P + "t") == "v1", c.transactions.version(P + "t") > 0],
        success=[c.transactions.put(P + "t", "v2"), c.transactions.get(P + "t")],
        failure=[c.transactions.put(P + "f", "no")])
    eq("txn compare holds: succeeded", True, ok_)
    eq("txn success ops ran (get sees the put)", [(b"v2", (P + "t").encode())],
       [(v, m.key) for v, m in resps[1]])
    ok_, resps = c.transaction(
        compare=[c.transactions.value(P + "t") == "v1"],
        success=[c.transactions.put(P + "s", "no")],
        failure=[c.transactions.put(P + "f", "yes"), c.transactions.delete(P + "t"),
                 c.transactions.get(P + "f")])
    eq("txn compare fails: not succeeded", False, ok_)
    eq("failure ops ran", b"yes", c.get(P + "f")[0])
    eq("failure delete ran", None, c.get(P + "t")[0])
    eq("success op did not run", None, c.get(P + "s")[0])
    ok_, _ = c.transaction(compare=[c.transactions.create(P + "t") == 0],
                           success=[c.transactions.put(P + "t", "new")], failure=[])
    eq("create == 0 on a missing key", True, ok_)
    ok_, _ = c.transaction(compare=[c.transactions.mod(P + "t") < 1], success=[], failure=[])
    eq("mod < 1 on an existing key is false", False, ok_)
    # two puts of one key in one txn: etcd refuses
    code, details = grpc_error(lambda: c.transaction(
        compare=[], success=[c.transactions.put(P + "d", "1"), c.transactions.put(P + "d", "2")],
        failure=[]))
    eq("duplicate key in txn: code", grpc.StatusCode.INVALID_ARGUMENT, code)
    eq("duplicate key in txn: message", "etcdserver: duplicate key given in txn request", details)
    c.delete_prefix(P)
    c.close()


def step_watch():
    n_events = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    nwriters = 4
    c = client()
    start = c.put(P + "w-start", "x").header.revision + 1
    events, cancel = c.watch_prefix(P + "w/", start_revision=start)
    got = []
    done = threading.Event()

    def reader():
        try:
            for ev in events:
                got.append(ev)
                if len(got) >= n_events:
                    break
        finally:
            done.set()

    rt = threading.Thread(target=reader, daemon=True)
    rt.start()
    revs = [[] for _ in range(nwriters)]
    errors = []

    def writer(i):
        try:
            w = client(own=True)
            for j in range(i, n_events, nwriters):
                revs[i].append(w.put(P + "w/%05d" % j, "v%d" % j).header.revision)
            w.close()
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(repr(e))

    t0 = time.time()
    ws = [threading.Thread(target=writer, args=(i,)) for i in range(nwriters)]
    for w in ws:
        w.start()
    for w in ws:
        w.join(240)
    eq("writers (other connections) had no error", [], errors[:3])
    done.wait(max(5, 240 - (time.time() - t0)))
    cancel()
    allrevs = sorted(r for rs in revs for r in rs)
    last = allrevs[-1] if allrevs else None
    eq("watch received every event", n_events, len(got))
    grevs = [e.mod_revision for e in got]
    ok("events in revision order, one revision each",
       grevs == list(range(start, start + len(grevs))),
       "(first %r, start %d)" % (grevs[:5], start))
    eq("revisions seen by the watch are those of the puts", allrevs, grevs)
    eq("last event's revision is the last put's", last, grevs[-1] if grevs else None)
    ok("every event a PUT with its value",
       all(isinstance(e, etcd3.events.PutEvent) and e.value == ("v%d" % int(e.key.decode()[-5:])).encode()
           for e in got))
    print("# %d events in %.1f s" % (len(got), time.time() - t0))
    c.delete_prefix(P)
    # etcd compacts in the background, in batches: the member stays
    # available while 20,000 revisions go
    t1 = time.time()
    code, details = grpc_error(lambda: c.compact(c.get_response(P + "w-start").header.revision))
    eq("compaction of the 10,000 events' history answers", (None, None), (code, details))
    print("# compaction of 20,000 revisions took %.1f s" % (time.time() - t1))
    # (no close: python3-etcd3 0.12's watch thread would reopen its stream
    # on the closed channel and print a traceback; the process ends here)


def step_lease():
    c = client()
    lease = c.lease(4)
    ok("lease granted with an id", lease.id > 0)
    eq("lease TTL", 4, lease.ttl)
    c.put(P + "l1", "a", lease=lease)
    c.put(P + "l2", "b", lease=lease.id)
    for i in range(3):
        time.sleep(1.5)
        r = lease.refresh()
        eq("keep-alive %d: one answer with the granted TTL" % i, [4], [x.TTL for x in r])
        eq("keep-alive %d: answer names the lease" % i, [lease.id], [x.ID for x in r])
    eq("keys live past the TTL thanks to keep-alive", b"a", c.get(P + "l1")[0])
    ok("remaining TTL in (0, 4]", 0 < lease.remaining_ttl <= 4)
    eq("granted TTL", 4, lease.granted_ttl)
    eq("the lease's keys", sorted([(P + "l1").encode(), (P + "l2").encode()]), sorted(lease.keys))
    lease.revoke()
    eq("revoke deletes the attached keys", [], list(c.get_prefix(P)))
    eq("a revoked lease's TTL is -1", -1, lease.remaining_ttl)
    r = lease.refresh()
    eq("keep-alive of a revoked lease answers TTL 0", [0], [x.TTL for x in r])
    code, details = grpc_error(lease.revoke)
    eq("revoke again: code", grpc.StatusCode.NOT_FOUND, code)
    eq("revoke again: message", "etcdserver: requested lease not found", details)
    code, details = grpc_error(lambda: c.put(P + "l3", "x", lease=lease.id))
    eq("put with a revoked lease: code", grpc.StatusCode.NOT_FOUND, code)
    eq("put with a revoked lease: message", "etcdserver: requested lease not found", details)
    # a lease left alone expires, and takes its key with it
    short = c.lease(1)
    c.put(P + "e", "x", lease=short)
    deadline = time.time() + 15
    while time.time() < deadline and c.get(P + "e")[0] is not None:
        time.sleep(0.25)
    eq("an expired lease's key is deleted", None, c.get(P + "e")[0])
    c.close()


def step_members():
    c = client()
    ms = list(c.members)
    eq("member list: count", NMEMBERS, len(ms))
    eq("member list: names", ["n%d" % i for i in range(1, NMEMBERS + 1)], sorted(m.name for m in ms))
    ok("member list: ids distinct and non-zero", len({m.id for m in ms}) == NMEMBERS and all(m.id for m in ms))
    ok("member list: peer and client URLs", all(len(m.peer_urls) == 1 and len(m.client_urls) == 1 for m in ms),
       str([(m.peer_urls, m.client_urls) for m in ms]))
    st = c.status()
    ok("status: a leader among the members", st.leader is not None and st.leader.id in {m.id for m in ms})
    ok("status: raft index and term", st.raft_index > 0 and st.raft_term > 0)
    eq("alarms: none", [], list(c.list_alarms()))
    c.close()


def step_snapshot():
    c = client()
    c.put(P + "snap", "x" * 1000)
    buf = io.BytesIO()
    c.snapshot(buf)
    data = buf.getvalue()
    ok("snapshot not empty", len(data) > 32, "(%d bytes)" % len(data))
    # what etcdctl snapshot save checks on the same stream
    ok("snapshot: size %% 512 == 32 and the last 32 bytes are the sha256 of the rest",
       len(data) % 512 == 32 and hashlib.sha256(data[:-32]).digest() == data[-32:], "(%d bytes)" % len(data))
    c.delete_prefix(P)
    c.close()


STEPS = {"kv": step_kv, "txn": step_txn, "watch": step_watch, "lease": step_lease,
         "members": step_members, "snapshot": step_snapshot}
try:
    STEPS[STEP]()
except Exception as e:  # noqa: BLE001: an unexpected error fails the step
    import traceback
    traceback.print_exc()
    ok("no unexpected error", False, repr(e))
sys.exit(1 if FAILS else 0)
