#!/usr/bin/python3
"""Time from a put's return on the leader to its event on a watcher of
another node (tests/bench/fleet): ROUNDS puts of one key, one at a time; a
watch stream (JSON gateway) on WATCH_PORT sees each. Prints
"p50_ms=.. p99_ms=.. n=..". Every call has a timeout.

With PACE_MS, round i starts PACE_MS after round i - 1 did (once its event
arrived): the leader's idle time per put is then the same whatever the
size of the fleet, so its cost per put compares across fleets.

usage: fleet_latency.py LEADER_PORT WATCH_PORT [ROUNDS [VALUE_BYTES [PACE_MS]]]"""
import base64
import http.client
import json
import sys
import threading
import time

leader, watch_port = int(sys.argv[1]), int(sys.argv[2])
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
size = int(sys.argv[4]) if len(sys.argv) > 4 else 0
pace = int(sys.argv[5]) / 1000.0 if len(sys.argv) > 5 else 0.0
key = base64.b64encode(b"/fleet/latency").decode()
seen = {}
cond = threading.Condition()


def watcher():
    c = http.client.HTTPConnection("127.0.0.1", watch_port, timeout=30)
    c.request("POST", "/v3/watch",
              json.dumps({"create_request": {"key": key}}))
    r = c.getresponse()
    while True:
        line = r.readline()
        if not line:
            return
        msg = json.loads(line).get("result", {})
        now = time.monotonic()
        for ev in msg.get("events", []):
            v = base64.b64decode(ev["kv"].get("value", "")).decode()
            with cond:
                seen[v] = now
                cond.notify_all()


threading.Thread(target=watcher, daemon=True).start()
time.sleep(0.5)
put = http.client.HTTPConnection("127.0.0.1", leader, timeout=10)
lat = []
late = 0
start = time.monotonic()
for i in range(rounds):
    if pace > 0:
        wait = start + i * pace - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            late += 1
    v = ("r%d-" % i).ljust(size, "x")
    body = json.dumps({"key": key, "value": base64.b64encode(v.encode()).decode()})
    put.request("POST", "/v3/kv/put", body)
    put.getresponse().read()
    returned = time.monotonic()
    with cond:
        ok = cond.wait_for(lambda: v in seen, timeout=10)
    if not ok:
        print("round %d: no event within 10 s" % i, file=sys.stderr)
        sys.exit(1)
    lat.append(max(0.0, seen[v] - returned) * 1000)
lat.sort()
print("p50_ms=%.3f p99_ms=%.3f n=%d late=%d" % (
    lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))],
    len(lat), late))
