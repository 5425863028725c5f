# Bad clients for tests/integration/grpc_badinput.sh, against one member's
# client port: raw sockets with hand-built HTTP/2 frames (python3-h2 is not
# installed), headers decoded with libnghttp2's HPACK inflater through
# ctypes, messages from python3-etcd3's generated classes, and grpcio for
# the stream-level answers. Usage:
#   python3 grpc_badinput.py CASE PORT [COUNT]
# CASE is one bad client (run once, printing "ok - ..."/"not ok - ..."
# lines), or "repeat" (every raw bad client COUNT times, quietly: the leak
# check), or "fill" (a watch stream never read while the server has much
# to send, held COUNT seconds), or "load" (COUNT puts of 100 KiB). Exits 1 when a check failed.
import ctypes
import os
import socket
import struct
import sys
import time

from etcd3.etcdrpc import rpc_pb2

CASE, PORT = sys.argv[1], int(sys.argv[2])
COUNT = int(sys.argv[3]) if len(sys.argv) > 3 else 1
FAILS = 0
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
END_STREAM, END_HEADERS, ACK = 1, 4, 1


REPEATED = {}


def ok(name, cond, detail=""):
    global FAILS
    if not cond:
        FAILS += 1
        if CASE == "repeat":  # reported once, with a count, at the end
            REPEATED[name] = REPEATED.get(name, (0, detail))[0] + 1, detail
            return
    if CASE != "repeat":
        print("%s - %s: %s %s" % ("ok" if cond else "not ok", CASE, name, "" if cond else detail))
        sys.stdout.flush()


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def hint(n, prefix_bits, first=0):
    mx = (1 << prefix_bits) - 1
    if n < mx:
        return bytes([first | n])
    out = [first | mx]
    n -= mx
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def hpack(headers):
    # literal header fields without indexing, new names, no Huffman coding
    out = b""
    for k, v in headers:
        k, v = k.encode(), v.encode()
        out += b"\x00" + hint(len(k), 7) + k + hint(len(v), 7) + v
    return out


class NV(ctypes.Structure):
    _fields_ = [("name", ctypes.POINTER(ctypes.c_uint8)), ("value", ctypes.POINTER(ctypes.c_uint8)),
                ("namelen", ctypes.c_size_t), ("valuelen", ctypes.c_size_t), ("flags", ctypes.c_uint8)]


class Inflater:
    """HPACK decoding by libnghttp2 (one per connection: the table is shared)."""

    def __init__(self):
        self.lib = ctypes.CDLL("libnghttp2.so.14")
        self.lib.nghttp2_hd_inflate_hd2.restype = ctypes.c_ssize_t
        self.lib.nghttp2_hd_inflate_hd2.argtypes = [ctypes.c_void_p, ctypes.POINTER(NV), ctypes.POINTER(ctypes.c_int),
                                                     ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int]
        self.ptr = ctypes.c_void_p()
        self.lib.nghttp2_hd_inflate_new(ctypes.byref(self.ptr))

    def decode(self, block):
        out = []
        buf = ctypes.create_string_buffer(block, len(block))
        off = 0
        while True:
            nv = NV()
            fl = ctypes.c_int(0)
            rv = self.lib.nghttp2_hd_inflate_hd2(self.ptr, ctypes.byref(nv), ctypes.byref(fl),
                                                 ctypes.cast(ctypes.addressof(buf) + off, ctypes.c_char_p),
                                                 len(block) - off, 1)
            if rv < 0:
                raise ValueError("HPACK error %d" % rv)
            off += rv
            if fl.value & 2:
                out.append((ctypes.string_at(nv.name, nv.namelen).decode(),
                            ctypes.string_at(nv.value, nv.valuelen).decode()))
            if fl.value & 1:
                self.lib.nghttp2_hd_inflate_end_headers(self.ptr)
                return out
            if rv == 0 and off >= len(block):
                return out


class Conn:
    def __init__(self, window=None, handshake=True):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        self.buf = b""
        self.inf = None
        self.frames = []
        self.closed = False
        if handshake:
            settings = b""
            if window is not None:  # SETTINGS_INITIAL_WINDOW_SIZE
                settings = struct.pack(">HI", 4, window)
            self.s.sendall(PREFACE + frame(SETTINGS, 0, 0, settings))

    def send(self, data):
        self.s.sendall(data)

    def grpc_request(self, sid, path, msgs, end=True):
        hdrs = [(":method", "POST"), (":scheme", "http"), (":path", path),
                (":authority", "127.0.0.1:%d" % PORT), ("content-type", "application/grpc"),
                ("te", "trailers"), ("client-api-version", "3.4")]
        data = frame(HEADERS, END_HEADERS, sid, hpack(hdrs))
        for i, m in enumerate(msgs):
            body = b"\x00" + struct.pack(">I", len(m)) + m
            data += frame(DATA, END_STREAM if (end and i == len(msgs) - 1) else 0, sid, body)
        if end and not msgs:
            data += frame(DATA, END_STREAM, sid, b"")
        self.send(data)

    def read_frames(self, until, timeout=5.0):
        """Reads frames until until(frame) is true, EOF or timeout; answers
        SETTINGS and PING like a client. Returns the frame that matched or None."""
        deadline = time.time() + timeout
        while True:
            while len(self.buf) >= 9:
                ln = struct.unpack(">I", b"\x00" + self.buf[:3])[0]
                if len(self.buf) < 9 + ln:
                    break
                ftype, flags = self.buf[3], self.buf[4]
                sid = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
                payload = self.buf[9:9 + ln]
                self.buf = self.buf[9 + ln:]
                f = (ftype, flags, sid, payload)
                if ftype == HEADERS:
                    if self.inf is None:
                        self.inf = Inflater()
                    block = payload
                    if flags & 8:  # PADDED
                        block = block[1:len(block) - block[0]]
                    if flags & 0x20:  # PRIORITY
                        block = block[5:]
                    f = (ftype, flags, sid, self.inf.decode(block))
                self.frames.append(f)
                try:
                    if ftype == SETTINGS and not flags & ACK:
                        self.send(frame(SETTINGS, ACK, 0))
                    elif ftype == PING and not flags & ACK:
                        self.send(frame(PING, ACK, 0, payload))
                except OSError:
                    pass
                if until(f):
                    return f
            left = deadline - time.time()
            if left <= 0 or self.closed:
                return None
            self.s.settimeout(left)
            try:
                d = self.s.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                self.closed = True
                return None
            if not d:
                self.closed = True
                return None
            self.buf += d

    def wait_closed(self, timeout=5.0):
        self.read_frames(lambda f: False, timeout)
        return self.closed

    def trailers(self, sid, timeout=5.0):
        """The (status, message) of stream sid's trailers, or why none came."""
        def match(f):
            return f[2] == sid and (f[0] == RST_STREAM or (f[0] == HEADERS and f[1] & END_STREAM)) or f[0] == GOAWAY
        seen = [f for f in self.frames if match(f)]
        f = seen[0] if seen else self.read_frames(match, timeout)
        if f is None:
            return ("closed" if self.closed else "timeout", "")
        if f[0] == RST_STREAM:
            return ("rst", struct.unpack(">I", f[3][:4])[0])
        if f[0] == GOAWAY:
            return ("goaway", struct.unpack(">I", f[3][4:8])[0])
        h = dict(f[3])
        return (h.get("grpc-status"), h.get("grpc-message", ""))

    def vanish(self):
        # RST on close: the client is gone, no FIN handshake
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.s.close()

    def close(self):
        self.s.close()


def put_req(key, value):
    return rpc_pb2.PutRequest(key=key, value=value).SerializeToString()


def watch_create(key, range_end=b"", start=0):
    return rpc_pb2.WatchRequest(create_request=rpc_pb2.WatchCreateRequest(
        key=key, range_end=range_end, start_revision=start)).SerializeToString()


# ---- the bad clients ----------------------------------------------------------

def garbage():
    c = Conn(handshake=False)
    c.send(os.urandom(3000).replace(b"P", b"Q").replace(b"\r\n", b"xx"))
    ok("garbage bytes: the member closes the connection", c.wait_closed(10))
    c.close()


def truncated_preface(hold=0.0):
    c = Conn(handshake=False)
    c.send(PREFACE[:14])
    time.sleep(hold)
    c.close()
    ok("truncated preface, then close: no crash", True)


def truncated_then_garbage():
    c = Conn(handshake=False)
    c.send(PREFACE[:18] + b"XX\r\n\r\n" + os.urandom(500))
    # etcd leaves such a connection open (it reads an HTTP/1 request "PRI *"
    # whose headers never end); the member must not crash, and serve others
    closed = c.wait_closed(2)
    if CASE != "repeat":
        print("# preface gone wrong half way: connection %s" % ("closed" if closed else "left open"))
    c.close()
    ok("preface gone wrong half way: no crash", True)


def oversized_frame():
    c = Conn()
    c.read_frames(lambda f: f[0] == SETTINGS and not f[1] & ACK)
    # a DATA frame announcing 16 MiB - 1 on stream 1, over the default
    # SETTINGS_MAX_FRAME_SIZE (16384): a connection error FRAME_SIZE_ERROR
    c.send(frame(HEADERS, END_HEADERS, 1, hpack([(":method", "POST"), (":scheme", "http"),
                                                  (":path", "/etcdserverpb.KV/Put"), (":authority", "x"),
                                                  ("content-type", "application/grpc")])))
    c.send(b"\xff\xff\xff" + bytes([DATA, 0]) + struct.pack(">I", 1) + b"\x00" * 20000)
    f = c.read_frames(lambda f: f[0] == GOAWAY, 10)
    code = struct.unpack(">I", f[3][4:8])[0] if f else None
    # grpc-go (etcd) closes without a GOAWAY; a GOAWAY must say FRAME_SIZE_ERROR
    ok("oversized frame: no GOAWAY, or GOAWAY FRAME_SIZE_ERROR (6)", code in (None, 6), "(GOAWAY code %r)" % code)
    ok("oversized frame: connection closed", c.wait_closed(10))
    c.close()


def oversized_headers():
    # a HEADERS frame whose header list is ~100 KiB in CONTINUATIONs
    c = Conn()
    block = hpack([(":method", "POST"), (":scheme", "http"), (":path", "/etcdserverpb.KV/Range"),
                   (":authority", "x"), ("content-type", "application/grpc")] +
                  [("x-pad-%d" % i, "v" * 1000) for i in range(100)])
    chunks = [block[i:i + 16000] for i in range(0, len(block), 16000)]
    data = frame(HEADERS, 0, 1, chunks[0])
    for i, ch in enumerate(chunks[1:]):
        data += frame(9, END_HEADERS if i == len(chunks) - 2 else 0, 1, ch)
    m = rpc_pb2.RangeRequest(key=b"foo").SerializeToString()
    data += frame(DATA, END_STREAM, 1, b"\x00" + struct.pack(">I", len(m)) + m)
    c.send(data)
    st = c.trailers(1, 10)
    ok("100 KiB of headers: refused or answered, never a hang", st[0] != "timeout", str(st))
    c.close()


def bad_protobuf():
    c = Conn()
    c.grpc_request(1, "/etcdserverpb.KV/Put", [b"\xff\xff\xff\xff\x0f\x0a\x99"])
    st = c.trailers(1)
    ok("invalid protobuf to KV/Put: gRPC status INTERNAL (13)", st[0] == "13", str(st))
    ok("invalid protobuf: a gRPC error with a message", st[0] not in ("0", None, "timeout", "closed") and
       len(st[1]) > 0, str(st))
    # the same connection still serves a good request
    c.grpc_request(3, "/etcdserverpb.KV/Put", [put_req(b"/bi/after-bad", b"ok")])
    st = c.trailers(3)
    ok("the connection serves a good Put after it", st[0] == "0", str(st))
    c.close()


def bad_framing():
    # a gRPC length prefix claiming more than the DATA holds, then END_STREAM
    c = Conn()
    c.grpc_request(1, "/etcdserverpb.KV/Put", [], end=False)
    c.send(frame(DATA, END_STREAM, 1, b"\x00\x00\x00\x10\x00" + b"\x0a\x01a"))
    st = c.trailers(1)
    ok("truncated gRPC message: a gRPC error status", st[0] not in ("0", None, "timeout", "closed"), str(st))
    # compressed flag set without a grpc-encoding
    c.grpc_request(3, "/etcdserverpb.KV/Put", [], end=False)
    c.send(frame(DATA, END_STREAM, 3, b"\x01" + struct.pack(">I", 3) + b"\x0a\x01a"))
    st = c.trailers(3)
    ok("compressed message without grpc-encoding: a gRPC error status",
       st[0] not in ("0", None, "timeout", "closed"), str(st))
    c.close()


def unknown_method():
    c = Conn()
    c.grpc_request(1, "/etcdserverpb.KV/NoSuchMethod", [b""])
    st = c.trailers(1)
    ok("unknown method: UNIMPLEMENTED (12)", st[0] == "12", str(st))
    c.grpc_request(3, "/no.such.Service/Call", [b""])
    st = c.trailers(3)
    ok("unknown service: UNIMPLEMENTED (12)", st[0] == "12", str(st))
    c.close()


def too_large():
    # over --max-request-bytes (1.5 MiB) but under it plus etcd's 512 KiB
    # of gRPC overhead: etcd's own error; over both: grpc's size limit
    for label, size, want in (("between the limits", 1536 * 1024 + 100, ("3", "etcdserver: request is too large")),
                              ("over both limits", 2 * 1024 * 1024 + 100, ("8", None))):
        c = Conn()
        msg = put_req(b"/bi/big", b"x" * size)
        hdrs = hpack([(":method", "POST"), (":scheme", "http"), (":path", "/etcdserverpb.KV/Put"),
                      (":authority", "x"), ("content-type", "application/grpc"), ("te", "trailers")])
        c.send(frame(HEADERS, END_HEADERS, 1, hdrs))
        body = b"\x00" + struct.pack(">I", len(msg)) + msg
        sent = 0
        st = None
        # respect the server's flow-control windows: send what they allow
        conn_win = stream_win = 65535
        c.read_frames(lambda f: f[0] == SETTINGS and not f[1] & ACK, 5)
        for f in c.frames:
            if f[0] == SETTINGS:
                for i in range(0, len(f[3]), 6):
                    k, v = struct.unpack(">HI", f[3][i:i + 6])
                    if k == 4:
                        stream_win = v
        maxf = 16384
        deadline = time.time() + 20
        while sent < len(body) and time.time() < deadline:
            n = min(maxf, len(body) - sent, conn_win, stream_win)
            if n > 0:
                last = sent + n == len(body)
                c.send(frame(DATA, END_STREAM if last else 0, 1, body[sent:sent + n]))
                sent += n
                conn_win -= n
                stream_win -= n
                continue
            f = c.read_frames(lambda f: f[0] in (WINDOW_UPDATE, RST_STREAM, GOAWAY) or
                              (f[0] == HEADERS and f[1] & END_STREAM), 5)
            if f is None:
                break
            if f[0] == WINDOW_UPDATE:
                inc = struct.unpack(">I", f[3][:4])[0] & 0x7FFFFFFF
                if f[2] == 0:
                    conn_win += inc
                elif f[2] == 1:
                    stream_win += inc
            else:
                break
        st = c.trailers(1, 10)
        if want[1] is None:
            ok("Put %s: RESOURCE_EXHAUSTED (8)" % label, st[0] == want[0], str(st))
        else:
            ok("Put %s: %s" % (label, want[1]), st == want, str(st))
        c.close()


def first_answer(f):
    return f[0] in (DATA, RST_STREAM, GOAWAY) or (f[0] == HEADERS and f[1] & END_STREAM)


def vanish_watch():
    # a watch that replays history, then the client is gone without a FIN
    c = Conn(window=1024)
    c.grpc_request(1, "/etcdserverpb.Watch/Watch", [watch_create(b"/bi/", b"/bi0", 1)], end=False)
    c.read_frames(first_answer, 2)
    c.vanish()


def vanish_snapshot():
    c = Conn()
    c.grpc_request(1, "/etcdserverpb.Maintenance/Snapshot", [b""])
    c.read_frames(first_answer, 5)
    c.vanish()


def vanish_keepalive():
    c = Conn()
    c.grpc_request(1, "/etcdserverpb.Lease/LeaseKeepAlive",
                   [rpc_pb2.LeaseKeepAliveRequest(ID=12345).SerializeToString()], end=False)
    c.read_frames(first_answer, 2)
    c.vanish()


def fill():
    # a watch over everything from revision 1 with a tiny window, never read
    # again: the server has megabytes to send and nowhere to put them
    c = Conn(window=1)
    c.grpc_request(1, "/etcdserverpb.Watch/Watch", [watch_create(b"/bi/load/", b"/bi/load0", 1)], end=False)
    c.read_frames(lambda f: False, COUNT)  # answers pings, never a WINDOW_UPDATE
    c.vanish()


def load():
    # COUNT puts of 100 KiB values under /bi/load/ through one grpcio channel
    import etcd3
    c = etcd3.client(host="127.0.0.1", port=PORT, timeout=30)
    v = b"L" * (100 * 1024)
    for i in range(COUNT):
        c.put(b"/bi/load/%06d" % i, v)
    c.close()
    ok("%d puts of 100 KiB" % COUNT, True)


def repeat():
    for _ in range(COUNT):
        for fn in (garbage, lambda: truncated_preface(0), truncated_then_garbage, oversized_frame,
                   bad_protobuf, bad_framing, unknown_method, vanish_watch, vanish_snapshot, vanish_keepalive):
            try:
                fn()
            except OSError as e:
                ok("no socket error", False, repr(e))


CASES = {"garbage": garbage, "truncated_preface": lambda: truncated_preface(1.0),
         "truncated_then_garbage": truncated_then_garbage, "oversized_frame": oversized_frame,
         "oversized_headers": oversized_headers, "bad_protobuf": bad_protobuf, "bad_framing": bad_framing,
         "unknown_method": unknown_method, "too_large": too_large, "vanish_watch": vanish_watch,
         "vanish_snapshot": vanish_snapshot, "vanish_keepalive": vanish_keepalive,
         "fill": fill, "repeat": repeat, "load": load}
try:
    CASES[CASE]()
except Exception as e:  # noqa: BLE001
    import traceback
    traceback.print_exc()
    ok("no unexpected error", False, repr(e))
for name, (n, detail) in sorted(REPEATED.items()):
    print("not ok - repeat: %s (%d of %d rounds) %s" % (name, n, COUNT, detail))
sys.exit(1 if FAILS else 0)
