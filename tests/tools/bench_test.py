#!/usr/bin/python3
"""`wsx bench` as a user runs it: against `wsx serve` and against a scripted server (Python
websockets) that counts what it receives, corrupts chosen echoes or closes early, so the bench's
counts can be checked exactly: every message it sent arrived, every corrupted echo is a mismatch,
every early close an error, and the exit status says so. No check depends on speed.

Run with --serve to be the scripted server (prints "listening PORT", then a line per connection
that ended: "conn PATH received N corrupted K")."""

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("wsx bench")
HERE = os.path.dirname(os.path.abspath(__file__))


async def scripted(ws, path):
    received = corrupted = 0
    try:
        async for message in ws:
            received += 1
            if path == "/drop" and received > 20:
                await ws.close(1011, "enough")
                break
            if path == "/corrupt" and received % 5 == 0:
                b = bytearray(message if isinstance(message, bytes) else message.encode())
                b[-1] ^= 0x01
                message = bytes(b) if isinstance(message, bytes) else b.decode()
                corrupted += 1
            await ws.send(message)
    except Exception:  # noqa: BLE001 - the count is what matters
        pass
    print(f"conn {path} received {received} corrupted {corrupted}", flush=True)


async def serve():
    import websockets
    async with websockets.serve(scripted, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.Future()


class Scripted:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE,
                                     text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self):
        """Stops the server; returns its per-connection lines."""
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=20)
        return [line.split() for line in out.splitlines() if line.startswith("conn ")]


def bench(args, *more):
    p = subprocess.run([args.wsx, "bench", *more, "--json"], capture_output=True, text=True,
                       timeout=120)
    try:
        return p.returncode, json.loads(p.stdout), p.stderr
    except json.JSONDecodeError:
        return p.returncode, {}, p.stdout + p.stderr


def against_wsx(args):
    with WsxServer(args.wsx) as server:
        url = server.url + "/echo"
        code, r, err = bench(args, "echo", url, "-c", "8", "-d", "4", "-s", "100", "-t", "1",
                             "--warmup", "0.2", "--threads", "2")
        R.check("echo against wsx serve: messages counted, none mismatched, exit 0",
                code == 0 and r.get("messages", 0) > 0 and r["mismatches"] == 0 and r["errors"] == 0
                and r["sent"] == r["received"] and r["opened"] == 8, (code, r, err))
        R.check("the JSON has the keys scripts rely on",
                all(k in r for k in ("msgs_per_s", "mb_per_s", "mismatches", "errors", "p50_us",
                                     "p99_us", "p999_us")), r)
        R.check("latency percentiles are ordered", r.get("p50_us", 0) <= r.get("p99_us", 0)
                <= r.get("p999_us", 0) <= r.get("max_us", 0) and r.get("p50_us", 0) > 0, r)
        code, r, err = bench(args, "echo", url, "-c", "3", "-s", "2000", "--text", "-t", "0.5")
        R.check("text messages: echoed and verified", code == 0 and r.get("mismatches") == 0
                and r.get("text") is True and r.get("received", 0) > 0, (code, r, err))
        code, r, err = bench(args, "rate", url, "-c", "4", "-r", "400", "-t", "1", "--warmup", "0.5")
        # The schedule is 400/s from the start: over 1.5 s, at most 600 messages (plus one per
        # connection for the rounding of each phase), whatever the machine's speed.
        R.check("rate: never more than the schedule, all echoed", code == 0
                and 0 < r.get("sent", 0) <= 604 and r["sent"] == r["received"]
                and r["mismatches"] == 0, (code, r, err))
        code, r, err = bench(args, "connect", url, "-c", "300", "--concurrency", "20")
        R.check("connect: every handshake counted", code == 0 and r.get("opened") == 300
                and r["errors"] == 0 and r["handshakes_per_s"] > 0, (code, r, err))
        code, r, err = bench(args, "connect", server.url + "/no-such-handler", "-c", "12")
        R.check("connect: failures counted by cause, exit 1", code == 1 and r.get("opened") == 0
                and r["errors"] == 12 and any("404" in k for k in r["errors_by_cause"]),
                (code, r, err))
        code, r, err = bench(args, "idle", url, "-c", "200", "--hold", "0.2", "--server-pid",
                             str(server.proc.pid), "--source-addresses", "4")
        R.check("idle: connections held from 4 source addresses, server memory reported",
                code == 0 and r.get("opened") == 200 and r["held"] == 200
                and r["rss_per_connection"] >= 0, (code, r, err))
        R.check("wsx serve still serving after the storm", server.alive())


def against_scripted(args):
    peer = Scripted()
    try:
        code, r, err = bench(args, "echo", peer.url("/echo"), "-c", "4", "-d", "8", "-t", "0.5",
                             "--warmup", "0")
        code2, r2, err2 = bench(args, "echo", peer.url("/corrupt"), "-c", "2", "-d", "1", "-s",
                                "64", "-t", "0.5", "--warmup", "0")
        code3, r3, err3 = bench(args, "echo", peer.url("/drop"), "-c", "3", "-t", "0.5")
    finally:
        lines = peer.stop()
    got = {p: [(int(l[3]), int(l[5])) for l in lines if l[1] == p] for p in ("/echo", "/corrupt", "/drop")}
    R.check("every message sent reached the server, every echo came back",
            code == 0 and r.get("sent") == sum(n for n, _ in got["/echo"]) == r.get("received")
            and len(got["/echo"]) == 4, (code, r, got["/echo"], err))
    R.check("each corrupted echo is one mismatch, and the exit status is 1",
            code2 == 1 and r2.get("mismatches") == sum(k for _, k in got["/corrupt"]) > 0
            and r2.get("errors") == 0, (code2, r2, got["/corrupt"], err2))
    R.check("a server closing early: an error per connection, by cause, exit 1",
            code3 == 1 and r3.get("errors") == 3
            and any("1011" in k for k in r3.get("errors_by_cause", {})), (code3, r3, err3))


def over_tls(args):
    certs = tempfile.mkdtemp(prefix="wsx-bench-certs-")
    try:
        subprocess.run([os.path.join(HERE, "..", "support", "make_test_certs.sh"), certs], check=True,
                       capture_output=True, timeout=60)
        with WsxServer(args.wsx, "-t", "-k", f"{certs}/server.key", "-c", f"{certs}/server.pem") as server:
            url = f"wss://localhost:{server.port}/echo"
            code, r, err = bench(args, "echo", url, "--cacert", f"{certs}/ca.pem", "-c", "4", "-d", "2",
                                 "-t", "0.5", "--warmup", "0.1")
            R.check("echo over wss with the test CA: verified echoes, exit 0", code == 0
                    and r.get("received", 0) > 0 and r["mismatches"] == 0, (code, r, err))
            code, r, err = bench(args, "connect", url, "-c", "3")
            R.check("wss without the CA: every connection fails verification, exit 1", code == 1
                    and r.get("errors") == 3 and r.get("opened") == 0, (code, r, err))
            code, r, err = bench(args, "connect", url, "--insecure", "--deflate", "-c", "20")
            R.check("--insecure and --deflate: handshakes counted", code == 0 and r.get("opened") == 20,
                    (code, r, err))
    finally:
        shutil.rmtree(certs, ignore_errors=True)


def usage(args):
    p = subprocess.run([args.wsx, "bench", "echo", "ftp://x/", "--json"], capture_output=True,
                       text=True, timeout=30)
    R.check("a bad URL is refused with exit 2", p.returncode == 2 and "bad URL" in p.stderr,
            (p.returncode, p.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx")
    ap.add_argument("--serve", action="store_true")
    args = ap.parse_args()
    if args.serve:
        asyncio.run(serve())
        return 0
    usage(args)
    against_wsx(args)
    against_scripted(args)
    over_tls(args)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
