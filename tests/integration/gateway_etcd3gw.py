"""python3-etcd3gw (Debian's, on requests) against a member's JSON gateway:
a lease refreshed (the keep-alive stream must end), put/get/delete, a
lease with keys, a watch. Prints one line per answer, lease ids and
revisions left out, so that two servers' outputs compare byte for byte.
Usage: gateway_etcd3gw.py PORT [API_PATH] (API_PATH "default": etcd3gw's
own, /v3alpha/, which etcd 3.4 does not serve)."""
import sys

from etcd3gw.client import Etcd3Client

port = int(sys.argv[1])
path = sys.argv[2] if len(sys.argv) > 2 else "default"
kw = {} if path == "default" else {"api_path": path}
c = Etcd3Client(host="127.0.0.1", port=port, timeout=10, **kw)

lease = c.lease(ttl=5)
print("refresh", lease.refresh())
print("refresh again", lease.refresh())

print("put", c.put("/gw/a", "1"))
print("get", c.get("/gw/a"))
print("get missing", c.get("/gw/none"))
print("delete", c.delete("/gw/a"))
print("delete again", c.delete("/gw/a"))
print("get deleted", c.get("/gw/a"))

l2 = c.lease(ttl=30)
c.put("/gw/l1", "x", lease=l2)
c.put("/gw/l2", "y", lease=l2)
print("lease keys", sorted(l2.keys()))
print("lease ttl <= 30", 0 < l2.ttl() <= 30)
print("lease refresh", l2.refresh())
print("lease revoke", l2.revoke())
print("keys after revoke", c.get("/gw/l1"), c.get("/gw/l2"))
print("refresh revoked", l2.refresh())

events, cancel = c.watch("/gw/w")
c.put("/gw/w", "v1")
c.delete("/gw/w")
ev = next(events)
print("watch put", ev.get("type", "PUT"), ev["kv"]["key"], ev["kv"]["value"])
ev = next(events)
print("watch delete", ev.get("type"), ev["kv"]["key"])
cancel()
try:
    c.watch_once("/gw/none", timeout=0.5)
    print("watch once: an event")
except Exception as e:  # the stream stays open with nothing to say
    print("watch once", type(e).__name__)
print("done")
