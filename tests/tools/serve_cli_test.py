#!/usr/bin/python3
"""`wsx serve` as a command: help, exit status 2 for bad options, SIGINT closing every connection
with 1001 and exiting 0."""

import argparse
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, close  # noqa: E402
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("wsx serve command line")


def run(wsx, *args):
    p = subprocess.run([wsx, "serve", *args], capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    code, out = run(args.wsx, "--help")
    R.check("--help exits 0", code == 0)
    for opt in ("--port", "--server-host", "--max-message-size", "--handshake-timeout", "--idle-timeout",
                "--closing-timeout", "--max-connections", "--subprotocol", "--document-root", "--log-level", "pywebsocket's default is 80"):
        R.check(f"--help documents {opt}", opt in out)
    for bad in (["--bogus"], ["-p", "notaport"], ["-p", "70000"], ["--idle-timeout", "-1"],
                ["--log-level", "loud"], ["--max-message-size", "12parsecs"]):
        code, out = run(args.wsx, *bad)
        R.check(f"{' '.join(bad)} exits 2 with a message", code == 2 and out.strip() != "", f"{code} {out[:80]}")
    with WsxServer(args.wsx) as srv:
        conns = [Conn(srv.port) for _ in range(3)]
        srv.proc.send_signal(signal.SIGINT)
        for i, c in enumerate(conns):
            got = c.read_events(1)
            R.check(f"SIGINT: client {i} gets close 1001", got == ["close:1001"], str(got))
            c.send(close(1001))
        status = srv.stop()
        R.check("SIGINT: exit status 0", status == 0, str(status))
    with WsxServer(args.wsx) as srv:
        busy = subprocess.run([args.wsx, "serve", "-p", str(srv.port), "-H", "127.0.0.1"],
                              capture_output=True, text=True, timeout=30)
        R.check("a port in use exits 1 naming the reason", busy.returncode == 1 and "in use" in busy.stderr,
                busy.stderr[-120:])
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
