#!/usr/bin/env python3
# burst.py PORT N DIR...: an inotifywait -m on DIR/burst of every mount,
# then N keys put through the API at PORT in txns of 100 (into the keys
# DIR's burst directory shows), then the time until every watcher has seen
# an event for each of the N names. Prints api_s= drained_s= (drained_s:
# from the last txn's reply until the last mount's last name; -1 when some
# mount was still missing names after 60 s).
import base64
import json
import os
import subprocess
import sys
import time
import urllib.request

port, n, dirs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
prefix = os.environ.get("BURST_PREFIX", "/burst/")
b = lambda s: base64.b64encode(s.encode()).decode()
watchers = []
for d in dirs:
    os.makedirs(os.path.join(d, "burst"), exist_ok=True)
for d in dirs:
    os.listdir(os.path.join(d, "burst"))
    p = subprocess.Popen(["inotifywait", "-m", "-q", "-e", "create,modify",
                          "--format", "%f", os.path.join(d, "burst")],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    watchers.append(p)
time.sleep(0.5)
t0 = time.time()
for start in range(0, n, 100):
    ops = [{"request_put": {"key": b("%sk%06d" % (prefix, i)),
                           "value": b("v%06d" % i)}}
           for i in range(start, min(n, start + 100))]
    req = urllib.request.Request("http://127.0.0.1:%s/v3/kv/txn" % port,
                                 data=json.dumps({"success": ops}).encode())
    urllib.request.urlopen(req, timeout=10).read()
t1 = time.time()
seen = [set() for _ in watchers]
deadline = t1 + 60
import selectors
sel = selectors.DefaultSelector()
for i, p in enumerate(watchers):
    os.set_blocking(p.stdout.fileno(), False)
    sel.register(p.stdout, selectors.EVENT_READ, i)
bufs = [b""] * len(watchers)
last = t1
while time.time() < deadline and any(len(s) < n for s in seen):
    for key, _ in sel.select(timeout=0.1):
        i = key.data
        chunk = key.fileobj.read() or b""
        bufs[i] += chunk
        *lines, bufs[i] = bufs[i].split(b"\n")
        for l in lines:
            if l.startswith(b"k"):
                seen[i].add(l)
        last = time.time()
for p in watchers:
    p.kill()
    p.wait()
done = all(len(s) >= n for s in seen)
print("api_s=%.3f drained_s=%.3f seen=%s" %
      (t1 - t0, (last - t1) if done else -1, ",".join(str(len(s)) for s in seen)))
