#!/usr/bin/python3
"""A pywebsocket echo handler under `wsx serve` beside the native one: messages per second (each
of C connections keeps W small text messages in flight, raw frames over loopback so the client
costs little) and memory per open connection (RSS of the server and of the Python host before and
after opening N idle connections). Prints a Markdown table for README's "Coming from pywebsocket".

    bench/pywebsocket_bench.py --wsx build/tools/wsx/wsx
"""

import argparse
import os
import resource
import selectors
import socket
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "interop"))
from wire import Conn, text  # noqa: E402
from wsx_process import WsxServer, pid_rss_kib, python_host_pids  # noqa: E402


def host_rss(srv):
    return sum(max(0, pid_rss_kib(pid)) for pid in python_host_pids(srv))


def throughput(port, conns=8, window=64, seconds=3.0, payload=b"x" * 32):
    frame = text(payload.decode())
    reply = 2 + len(payload)  # unmasked server frame, short length
    socks = [Conn(port, "/echo") for _ in range(conns)]
    sel = selectors.DefaultSelector()
    for c in socks:
        c.sock.setblocking(False)
        c.sock.send(frame * window)
        c.pending = len(c.buf)  # bytes of replies already read with the 101
        sel.register(c.sock, selectors.EVENT_READ, c)
    done = 0
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    while time.monotonic() < deadline:
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            data = c.sock.recv(1 << 16)
            if not data:
                raise RuntimeError("server closed a benchmark connection")
            c.pending += len(data)
            n, c.pending = divmod(c.pending, reply)
            done += n
            if n:
                c.sock.send(frame * n)
    took = time.monotonic() - start
    for c in socks:
        c.close()
    return done / took


def memory_per_connection(srv, n=1000):
    time.sleep(0.5)
    before = srv.rss_kib() + host_rss(srv)
    conns = [Conn(srv.port, "/echo") for _ in range(n)]
    for c in conns[:10]:
        c.send(text("warm"))
        c.read_events(1)
    time.sleep(1.0)
    after = srv.rss_kib() + host_rss(srv)
    for c in conns:
        c.close()
    return (after - before) / n


def measure(wsx, label, args):
    with WsxServer(wsx, *args) as srv:
        warm = Conn(srv.port, "/echo")  # starts the Python host, if any
        warm.send(text("warm"))
        warm.read_events(1)
        rate = throughput(srv.port)
        per_conn = memory_per_connection(srv)
        warm.close()
        srv.stop()
    return label, rate, per_conn


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsx", required=True)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    python_dir = os.path.join(HERE, "..", "tests", "tools", "pywebsocket", "mod")
    rows = [measure(args.wsx, "native `echo_wsh.so` (bundled)", []),
            measure(args.wsx, "pywebsocket `echo_wsh.py`", ["-w", python_dir])]
    print("| handler | messages/s (8 connections, 64 in flight each, 32 B) | memory per open connection |")
    print("|---|---|---|")
    for label, rate, per_conn in rows:
        print(f"| {label} | {rate:,.0f} | {per_conn:.1f} KiB |")


if __name__ == "__main__":
    socket.setdefaulttimeout(30)
    main()
