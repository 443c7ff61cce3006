#!/usr/bin/python3
"""Hostile clients against `wsx serve`: slow, flooding, malformed, vanishing and never-reading
peers, and permessage-deflate bombs. Each must get the RFC's answer (HTTP status or close code) and the server must stay up,
responsive and bounded in memory. Every wait is bounded by socket timeouts."""

import argparse
import resource
import shutil
import ssl
import socket
import struct
import sys
import threading
import time
import zlib

from conformance_deflate import DeflateConn, offer_header
from tls_certs import make_certs
from wire import Conn, binary, frame, text
from wsx_process import Results, WsxServer

R = Results("hostile clients")


def raw(port, data, timeout=10.0):
    """Sends `data` on a fresh connection; returns (response bytes, closed by server)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    out = b""
    closed = False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        pass
    s.close()
    return out, closed


def echo_works(port):
    c = Conn(port)
    c.send(text("still alive?"))
    ok = c.read_events(1) == ["text:still alive?"]
    c.close()
    return ok


def slowloris(port):
    # Twenty clients dribble a request head one byte at a time and never finish: the handshake
    # timeout (1 s here) drops them; the test's own bound is the 10 s socket timeout.
    socks = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(20)]
    head = b"GET /echo HTTP/1.1\r\nHost: x\r\n"
    for i in range(5):
        for s in socks:
            try:
                s.send(head[i:i + 1])
            except OSError:
                pass
        time.sleep(0.05)
    dropped = 0
    for s in socks:
        try:
            if s.recv(100) == b"":
                dropped += 1
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
    R.check("slowloris: every dribbling client dropped by the handshake timeout", dropped == 20, f"{dropped}/20")


def floods_and_garbage(port):
    flood = b"GET /echo HTTP/1.1\r\nHost: x\r\n" + b"X-Flood: " + b"a" * 64 + b"\r\n"
    flood = flood + (b"X-More: " + b"b" * 64 + b"\r\n") * 4000  # ~300 KB, never ends
    out, closed = raw(port, flood)
    R.check("header flood gets 431 and a close", out.startswith(b"HTTP/1.1 431") and closed, out[:40])
    out, closed = raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n")
    R.check("over-long header line gets 431", out.startswith(b"HTTP/1.1 431") and closed, out[:40])
    many = b"GET /echo HTTP/1.1\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(150)) + b"\r\n"
    out, closed = raw(port, many)
    R.check("too many header fields get 431", out.startswith(b"HTTP/1.1 431") and closed, out[:40])
    out, closed = raw(port, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 100)
    R.check("binary garbage (a TLS hello) gets 400", out.startswith(b"HTTP/1.1 400") and closed, out[:40])
    out, closed = raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\nUpgrade: websocket\r\n\r\n")
    R.check("duplicate Host gets 400", out.startswith(b"HTTP/1.1 400") and closed, out[:40])
    out, closed = raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\nbody")
    R.check("Content-Length with Transfer-Encoding gets 400", out.startswith(b"HTTP/1.1 400") and closed, out[:40])
    out, closed = raw(port, b"GET /echo HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n")
    R.check("obs-fold gets 400", out.startswith(b"HTTP/1.1 400") and closed, out[:40])
    out, closed = raw(port, b"GET /echo HTTP/1.1\r\nHost: x\rX: y\r\n\r\n")
    R.check("bare CR gets 400", out.startswith(b"HTTP/1.1 400") and closed, out[:40])


def bad_frames(port):
    c = Conn(port)
    c.send(frame(0x2, b"", length=1 << 40)[:14])  # announces 1 TiB, sends nothing more
    R.check("1 TiB frame refused from its header with 1009", c.read_events(1) == ["close:1009"])
    R.check("... and the TCP connection closed", c.closed_by_server())
    c = Conn(port)
    c.send(struct.pack("!BBQ", 0x82, 0xFF, 1 << 63) + b"\0\0\0\0")
    R.check("64-bit length with MSB set gets 1002", c.read_events(1) == ["close:1002"])
    c = Conn(port)
    c.send(frame(0x1, b"unmasked", mask=False))
    R.check("unmasked client frame gets 1002", c.read_events(1) == ["close:1002"])
    # 65,536 one-byte fragments: accepted, and cost no more than their payload.
    c = Conn(port)
    c.send(binary(b"x", False) + b"".join(frame(0x0, b"x", fin=False) for _ in range(65534)) + frame(0x0, b"x"))
    R.check("a message in 65,536 tiny fragments is echoed whole", c.read_events(1) == ["binary:65536"])


def never_reads(srv, port):
    # Two clients push 256 MiB each of echo traffic and never read a byte: the server must stop
    # reading from them (high watermark), so its memory stays bounded.
    before = srv.rss_kib()
    conns = [Conn(port, timeout=3) for _ in range(2)]
    msg = binary(b"m" * (1 << 20))
    pushed = [0, 0]

    def push(i):
        for _ in range(256):
            try:
                conns[i].sock.sendall(msg)
            except (socket.timeout, OSError):
                return
            pushed[i] += 1

    threads = [threading.Thread(target=push, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    grown = (srv.rss_kib() - before) // 1024
    print(f"     never-reading clients pushed {pushed} MiB before blocking; server RSS grew {grown} MiB")
    R.check("a client that never reads is stopped (its sends block)", max(pushed) < 256, str(pushed))
    R.check("server memory stays bounded (< 96 MiB growth for 2 such clients)", grown < 96, f"{grown} MiB")
    R.check("server still answers others meanwhile", echo_works(port))
    for c in conns:
        c.close()


def vanishing(port):
    # Clients that disappear mid-frame with a RST.
    for i in range(200):
        c = Conn(port)
        c.send(binary(b"y" * 1000)[:500])
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()
    R.check("200 clients vanishing mid-frame leave the server answering", echo_works(port))


def many_idle(srv, port):
    before = srv.rss_kib()
    conns = [Conn(port) for _ in range(1000)]
    opened = sum(1 for c in conns if c.head.startswith(b"HTTP/1.1 101"))
    per_conn = (srv.rss_kib() - before) * 1024 / max(opened, 1)
    print(f"     1000 idle connections: {per_conn:.0f} bytes of server RSS each")
    R.check("1000 idle connections all opened", opened == 1000, str(opened))
    R.check("server answers while holding 1000 connections", echo_works(port))
    for c in conns:
        c.close()


def decompression_bomb(srv, port):
    """permessage-deflate bombs: 1 GiB of zeros in about 1 MiB of DEFLATE (the format's ratio is
    at most about 1032:1), sent as one compressed message by four clients at once. The message
    limit (16 MiB) applies to the inflated size while inflating, so each must end with 1009 and
    the server's memory must stay bounded (far below one bomb's 1 GiB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(1 << 20)
    bomb = b"".join(z.compress(zeros) for _ in range(1024)) + z.flush(zlib.Z_SYNC_FLUSH)[:-4]
    print(f"     bomb: {len(bomb)} bytes inflating to {1 << 30} bytes")
    before = srv.rss_kib()
    results = []

    def one():
        c = DeflateConn(port, offer_header())
        if c.params is None:
            results.append("not negotiated")
            return
        c.send(frame(0x2, bomb, rsv=4))
        results.append(c.read_message()[0])
        c.close()

    threads = [threading.Thread(target=one) for _ in range(4)]
    [t.start() for t in threads]
    [t.join(60) for t in threads]
    grown = (srv.rss_kib() - before) // 1024
    print(f"     server RSS grew {grown} MiB during four bombs")
    R.check("decompression bombs close with 1009", results == ["close:1009"] * 4, str(results))
    R.check("decompression bombs leave the server's memory bounded (< 160 MiB more)", grown < 160,
            f"{grown} MiB")
    # A few KiB of DEFLATE that would inflate to 4 MiB, against a small limit.
    few = zlib.compressobj(9, zlib.DEFLATED, -15)
    small = few.compress(bytes(4 << 20)) + few.flush(zlib.Z_SYNC_FLUSH)[:-4]
    with WsxServer(srv.proc.args[0], "--max-message-size", "64KiB") as tight:
        c = DeflateConn(tight.port, offer_header())
        c.send(frame(0x1, small, rsv=4))
        got = c.read_message()[0]
        R.check(f"{len(small)} bytes inflating to 4 MiB hit a 64 KiB limit with 1009", got == "close:1009", got)
        c.close()
        tight.stop()
    R.check("server answers after the bombs", echo_works(port))
def client_hello():
    """The bytes of a real TLS ClientHello (Python's ssl through memory buffers)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def https_works(p, port):
    ctx = ssl.create_default_context(cafile=p("ca.pem"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                return s.recv(100).startswith(b"HTTP/1.1 200")
    except (OSError, ssl.SSLError):
        return False


def dropped_within(socks, bound):
    """How many of `socks` the server closed (EOF or reset) within `bound` seconds of now."""
    start = time.monotonic()
    dropped = 0
    for s in socks:
        s.settimeout(max(0.1, bound - (time.monotonic() - start)))
        try:
            while s.recv(4096):
                pass
            dropped += 1
        except ConnectionResetError:
            dropped += 1
        except socket.timeout:
            pass
        s.close()
    return dropped


def slow_tls_handshakes(wsx):
    # The handshake timeout (1 s) bounds the TLS handshake too: a client that opens TCP and sends
    # nothing, one that stops half-way through its ClientHello, and plain HTTP on the TLS port
    # (answered with 400) must all be gone within it, while others are served.
    d, p = make_certs()
    try:
        with WsxServer(wsx, "-t", "-k", p("server.key"), "-c", p("server.pem"),
                       "--handshake-timeout", "1") as srv:
            port = srv.port
            hello = client_hello()
            silent = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(10)]
            partial = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(10)]
            for s in partial:
                s.sendall(hello[:len(hello) // 2])
            R.check("TLS: others are served while 20 handshakes stall", https_works(p, port))
            R.check("TLS: clients that send nothing are dropped within the handshake timeout",
                    dropped_within(silent, 4.0) == 10)
            R.check("TLS: clients stalled mid-ClientHello are dropped within the handshake timeout",
                    dropped_within(partial, 4.0) == 10)
            start = time.monotonic()
            out, closed = raw(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=4)
            R.check("TLS: plain HTTP on the TLS port gets 400 (not the timeout's drop) and a close",
                    out.startswith(b"HTTP/1.1 400") and closed, out[:40])
            R.check("TLS: the server still serves after them", https_works(p, port))
            R.check("TLS: server exits 0 on SIGTERM", srv.stop() == 0)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    with WsxServer(args.wsx, "--handshake-timeout", "1", "--closing-timeout", "2") as srv:
        slowloris(srv.port)
        floods_and_garbage(srv.port)
        bad_frames(srv.port)
        never_reads(srv, srv.port)
        vanishing(srv.port)
        many_idle(srv, srv.port)
        decompression_bomb(srv, srv.port)
        R.check("server still up after everything", srv.alive())
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
        warns = sum(1 for line in srv.log if " warn " in line)
        R.check("bad input was logged with warn lines", warns > 0, str(warns))
    slow_tls_handshakes(args.wsx)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
