#!/usr/bin/python3
"""Wire-level conformance against `wsx serve`'s /echo, modelled on the Autobahn|Testsuite case
list (categories 1-7, 9, 10, and 12-13 for permessage-deflate: conformance_deflate.py). Each case sends exact bytes over a real socket and checks the frames
the server sends back; failing cases must also end with the server closing the TCP connection."""

import argparse
import struct
import sys
import threading
import time

from conformance_deflate import run_deflate_cases
from wire import Conn, binary, close, cont, frame, text
from wsx_process import Results, WsxServer

R = Results("conformance")


def case(port, cid, data, expected, pieces=1, expect_tcp_close=None, server_initiates=False):
    """`server_initiates`: the server starts a normal closing handshake, so the client answers
    its close before the server may close TCP; otherwise (a failure, or an answer to the client's
    own close) the server must close TCP without anything more from the client."""
    c = Conn(port)
    if not c.head.startswith(b"HTTP/1.1 101"):
        R.check(cid, False, "handshake: %r" % c.head[:40])
        return
    if pieces > 1:  # send in small pieces, as Autobahn's "chopped" variants do
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            c.send(data[i:i + step])
    else:
        c.send(data)
    got = c.read_events(len(expected))
    ok = got == expected
    if ok and expected and expected[-1].startswith("close:"):
        if expect_tcp_close is None or expect_tcp_close:
            if server_initiates:
                c.send(close(1000))
            ok = c.closed_by_server()
            if not ok:
                got.append("server kept TCP open")
    R.check(cid, ok, "got %r" % ([g[:40] for g in got],))
    c.close()


def run_cases(port):
    # 1. Framing.
    for n in (0, 125, 126, 127, 128, 65535, 65536):
        case(port, f"1.1 text {n}", text("*" * n), ["text:" + "*" * n])
        case(port, f"1.2 binary {n}", binary(b"\xfe" * n), [f"binary:{n}"])
    case(port, "1.1.8 text 65536 chopped", text("*" * 65536), ["text:" + "*" * 65536], pieces=64)
    # 2. Pings/pongs.
    case(port, "2.1 ping empty", frame(0x9), ["pong:"])
    case(port, "2.2 ping text", frame(0x9, "Hello, world!"), ["pong:Hello, world!"])
    case(port, "2.4 ping 125", frame(0x9, b"\x21" * 125), ["pong:" + "!" * 125])
    case(port, "2.5 ping 126", frame(0x9, b"\x21" * 126), ["close:1002"])
    case(port, "2.6 ping 125 chopped", frame(0x9, b"\x21" * 125), ["pong:" + "!" * 125], pieces=20)
    case(port, "2.7 unsolicited pong", frame(0xA) + text("x"), ["text:x"])
    case(port, "2.10 ten pings", b"".join(frame(0x9, f"p{i}") for i in range(10)), [f"pong:p{i}" for i in range(10)])
    # 3. Reserved bits.
    for rsv, cid in ((4, "3.1"), (2, "3.2"), (1, "3.3"), (7, "3.7")):
        case(port, f"{cid} rsv {rsv}", text("Hello") + frame(0x1, "x", rsv=rsv) + frame(0x9), ["text:Hello", "close:1002"])
    # 4. Opcodes.
    for op in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF):
        case(port, f"4 reserved opcode {op}", text("Hello") + frame(op, "x") + frame(0x9), ["text:Hello", "close:1002"])
    # 5. Fragmentation.
    case(port, "5.1 fragmented ping", frame(0x9, "frag", fin=False) + cont("ment"), ["close:1002"])
    case(port, "5.3 text in two", text("frag", False) + cont("ment"), ["text:fragment"])
    case(port, "5.6 ping inside", text("frag", False) + frame(0x9, "p") + cont("ment"), ["pong:p", "text:fragment"])
    case(port, "5.9 continuation first", cont("x") + text("a"), ["close:1002"])
    case(port, "5.17 text inside text", text("a", False) + text("b"), ["close:1002"])
    case(port, "5.19 chopped with pings", text("f1", False) + cont("f2", False) + frame(0x9, "1") + cont("f3"),
         ["pong:1", "text:f1f2f3"], pieces=9)
    # 6. UTF-8.
    case(port, "6.2 valid", text("κόσμε"), ["text:κόσμε"])
    case(port, "6.3 invalid", frame(0x1, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited"), ["close:1007"])
    case(port, "6.4 invalid fragment", frame(0x1, b"\xce\xba", fin=False) + frame(0x0, b"\xf4\x90\x80\x80"), ["close:1007"])
    case(port, "6.6 split code point", frame(0x1, b"\xce", fin=False) + frame(0x0, b"\xba"), ["text:κ"])
    case(port, "6.12 lone continuation", frame(0x1, b"\x80"), ["close:1007"])
    # 6.4.1-style fail fast: the bad bytes arrive, the frame is unfinished, the server must not wait.
    c = Conn(port)
    payload = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64"
    whole = frame(0x1, payload)
    c.send(whole[:6 + 13])
    R.check("6.4.1 invalid utf-8 fails before the frame is complete", c.read_events(1) == ["close:1007"])
    c.close()
    # 7. Close.
    case(port, "7.1.1 text then close", text("Hello") + close(1000), ["text:Hello", "close:1000"])
    case(port, "7.1.3 ping after close", close(1000) + frame(0x9), ["close:1000"])
    case(port, "7.1.4 text after close", close(1000) + text("x"), ["close:1000"])
    case(port, "7.3.1 close empty", close(), ["close:1005"])
    case(port, "7.3.2 close 1 byte", frame(0x8, b"\x03"), ["close:1002"])
    case(port, "7.3.4 close with reason", close(1000, b"Hello World!"), ["close:1000"])
    case(port, "7.3.6 close 126 bytes", close(1000, b"*" * 124), ["close:1002"])
    case(port, "7.5.1 close reason not utf-8", close(1000, b"\xce\xba\xed\xa0\x80"), ["close:1007"])
    for code in (1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999):
        case(port, f"7.7 code {code}", close(code), [f"close:{code}"])
    for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535):
        case(port, f"7.9 code {code}", frame(0x8, struct.pack("!H", code)), ["close:1002"])
    # 9. Limits and larger messages (16 MiB is the default limit).
    for n in (1 << 16, 1 << 20, 4 << 20, 16 << 20):
        case(port, f"9.1 text {n}", text("*" * n), ["text:" + "*" * n])
    frags = b"".join(binary(b"b" * 65536, False) if i == 0 else cont(b"b" * 65536, i == 63) for i in range(64))
    case(port, "9.4 binary 4 MiB in 64 KiB fragments", frags, [f"binary:{4 << 20}"])
    case(port, "9 over the 16 MiB limit", frame(0x2, b"", length=(16 << 20) + 1),
         ["close:1009"], expect_tcp_close=True)
    # 10. Misc: many clients at once, each with its own stream of messages, in order.
    # A worker that raises or never finishes adds to neither list, so success is counted, not
    # assumed from the absence of errors.
    errors = []
    verified = []

    def worker(i):
        try:
            c = Conn(port)
            msgs = [f"client {i} message {j}" for j in range(50)]
            c.send(b"".join(text(m) for m in msgs))
            got = c.read_events(50)
            c.close()
        except OSError as e:
            errors.append((i, repr(e)))
            return
        if got != ["text:" + m for m in msgs]:
            errors.append(i)
        else:
            verified.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(50)]
    [t.start() for t in threads]
    deadline = time.monotonic() + 60
    [t.join(max(0, deadline - time.monotonic())) for t in threads]
    R.check("10 fifty concurrent clients, fifty messages each, in order",
            not errors and sorted(verified) == list(range(50)),
            f"{len(verified)}/50 verified, errors {errors}")
    case(port, "goodbye closes 1000", text("Goodbye"), ["text:Goodbye", "close:1000"], server_initiates=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    with WsxServer(args.wsx) as srv:
        run_cases(srv.port)
        run_deflate_cases(R, srv.port)
        R.check("server still up", srv.alive())
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    # The deflate cases again with a compressor per connection and both contexts kept.
    with WsxServer(args.wsx, "--deflate-compressor", "dedicated", "--deflate-context-takeover",
                   "--deflate-client-context-takeover") as srv:
        run_deflate_cases(R, srv.port)
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
