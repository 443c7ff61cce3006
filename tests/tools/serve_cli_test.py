#!/usr/bin/python3
"""`wsx serve` as a command: help, exit status 2 for bad options, SIGINT closing every connection
with 1001 and exiting 0."""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, binary, close  # noqa: E402
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
                "--closing-timeout", "--max-connections", "--subprotocol", "--document-root", "--websock-handlers",
                "--websock-handlers-map-file", "--scan-dir", "--allow-handlers-outside-root-dir", "--log-file",
                "--log-max", "--log-count", "--queue", "--tls", "--private-key", "--certificate", "--tls-client-auth",
                "--tls-client-cert-optional", "--tls-client-ca", "--tls-sni", "--tls-no-ktls", "--basic-auth", "--basic-auth-credential", "--config",
                "--origin", "--max-handler-processes", "--handler-binary", "--log-level", "pywebsocket's default is 80",
                "--no-deflate", "--deflate-compressor", "--deflate-window-bits", "--deflate-client-window-bits",
                "--deflate-mem-level", "--deflate-level", "--deflate-threshold", "--deflate-context-takeover",
                "--deflate-client-context-takeover", "--max-zlib-memory"):
        R.check(f"--help documents {opt}", opt in out)
    for bad in (["--bogus"], ["-p", "notaport"], ["-p", "70000"], ["--idle-timeout", "-1"],
                ["--log-level", "loud"], ["--max-message-size", "12parsecs"],
                ["--deflate-window-bits", "8"], ["--deflate-mem-level", "10"], ["--deflate-compressor", "magic"],
                ["--deflate-context-takeover"]):  # the last needs --deflate-compressor dedicated
        code, out = run(args.wsx, *bad)
        R.check(f"{' '.join(bad)} exits 2 with a message", code == 2 and out.strip() != "", f"{code} {out[:80]}")
    code, out = run(args.wsx, "-p", "0", "-w", "/nonexistent/handlers")
    R.check("a missing -w folder: exit 1 naming it", code == 1 and "/nonexistent/handlers" in out
            and "no such folder" in out, out[-200:])
    config = os.path.join(tempfile.mkdtemp(), "bad.conf")
    with open(config, "w") as f:
        f.write("[pywebsocket]\nport = 0\n\nno_such_option = 1\n")
    code, out = run(args.wsx, "--config", config)
    R.check("an unknown config key: exit 2 naming the file, line and key",
            code == 2 and f"{config}:4: unknown option 'no-such-option'" in out, out[-200:])
    code, out = run(args.wsx, "-p", "99999")
    R.check("-p 99999 says what a port may be", code == 2 and "0 to 65535" in out, out[:120])
    R.check("the usage line names the program", "Usage: wsx serve" in run(args.wsx, "--help")[1])
    top = [subprocess.run([args.wsx, *a], capture_output=True, text=True, timeout=30)
           for a in (["--version"], ["help"], [])]
    R.check("wsx --version prints the version, exits 0",
            top[0].returncode == 0 and top[0].stdout.startswith("wsx 0."), top[0].stdout)
    R.check("wsx help lists the subcommands on stdout, exits 0", top[1].returncode == 0 and all(
        c in top[1].stdout for c in ("serve", "connect", "bench", "Usage: wsx")), top[1].stdout)
    R.check("wsx alone lists them too, as a usage error (2)",
            top[2].returncode == 2 and "serve" in top[2].stderr, top[2].stderr)
    code, out = run(args.wsx, "-p", "0", "--tls", "-k", "missing-key.pem", "-c", "missing-cert.pem")
    R.check("TLS with certificate files that do not exist: exit 1 naming the problem and the files",
            code == 1 and "No such file" in out and "missing-cert.pem" in out, out[-200:])
    for bad, says in ((["-t"], "needs a certificate"),
                      (["-t", "-k", "k", "-c", "c", "--tls-client-auth"], "needs --tls-client-ca"),
                      (["-t", "-k", "k", "-c", "c", "--tls-sni", "nocolon"], "CERTFILE:KEYFILE")):
        code, out = run(args.wsx, *bad)
        R.check(f"{' '.join(bad)}: exits 2 saying what is missing", code == 2 and says in out, out)
    for bad in (["-k", "key.pem"], ["--tls-client-auth"], ["-t", "--tls-client-cert-optional"]):
        code, out = run(args.wsx, *bad)
        R.check(f"{' '.join(bad)}: a TLS option without what it needs exits 2", code == 2 and "requires" in out, out)
    with tempfile.TemporaryDirectory() as work:
        config = os.path.join(work, "wsx.conf")
        with open(config, "w") as f:
            f.write("; pywebsocket-style config\n[other]\nport = 1\n[pywebsocket]\nmax_message_size = 1000\n"
                    "log-level = debug\nbasic-auth = false\n")
        with WsxServer(args.wsx, "--config", config) as srv:
            c = Conn(srv.port)
            c.send(binary(b"x" * 1001))
            R.check("--config: [pywebsocket] max_message_size applies (1009)", c.read_events(1) == ["close:1009"])
            c.close()
            srv.stop()
            R.check("--config: log-level = debug applies", " debug " in "".join(srv.log))
        with WsxServer(args.wsx, "--config", config, "--max-message-size", "5000") as srv:
            c = Conn(srv.port)
            c.send(binary(b"x" * 1001))
            R.check("--config: the command line overrides the file", c.read_events(1) == ["binary:1001"])
            c.close()
        code, out = run(args.wsx, "--config", os.path.join(work, "missing.conf"))
        R.check("--config: a missing file exits 2 naming it", code == 2 and "missing.conf" in out, out)
        log = os.path.join(work, "wsx.log")
        with WsxServer(args.wsx, "-l", log, "--log-max", "600", "--log-count", "2", "-q", "64",
                       ready_timeout=10, log_file=log) as srv:
            for _ in range(30):
                Conn(srv.port).close()
            R.check("-l: log lines go to the file", os.path.getsize(log) > 0)
            R.check("-q: the server runs with its listen queue", srv.alive())
            # Stopped first, so no rotation is under way while the files are counted.
            R.check("-l: the server exits 0 on SIGTERM", srv.stop() == 0)
            R.check("--log-max/--log-count: rotated, at most 2 old files",
                    os.path.exists(log + ".1") and os.path.exists(log + ".2") and not os.path.exists(log + ".3"))
    with WsxServer(args.wsx, "--origin", "http://good.example", "--origin", "http://also.example") as srv:
        def origin_status(origin):
            s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
            s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + origin + b"\r\n")
            head = s.recv(100)
            s.close()
            return head[9:12]
        R.check("--origin: a listed origin is accepted", origin_status(b"Origin: http://also.example\r\n") == b"101")
        R.check("--origin: another origin gets 403", origin_status(b"Origin: http://evil.example\r\n") == b"403")
        R.check("--origin: no Origin at all gets 403", origin_status(b"") == b"403")
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
