#!/usr/bin/python3
"""`wsx serve --threads N`: N loop threads on one port. Python `websockets` clients (an independent
peer) echo on every loop at once; the connections are spread over every loop (the per-loop counts
logged at exit); a handler added before SIGHUP serves on every loop while a connection opened before
keeps its handler; SIGTERM closes every loop's connections with 1001 and exits 0; an out-of-range
--threads is refused. Every wait is bounded; the server is stopped."""

import argparse
import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("serve --threads")
THREADS = 3
CLIENTS = 48  # all on fewer than 3 loops: p = 3 * (2/3)^48, about 1e-8


async def echo_many(url, n, rounds):
    """n clients at once, each echoing `rounds` messages; returns how many echoed every one."""
    async def one(i):
        async with websockets.connect(url, open_timeout=10, close_timeout=5) as ws:
            for r in range(rounds):
                m = f"client {i} round {r} " + "é" * (i % 7)
                await ws.send(m)
                if await asyncio.wait_for(ws.recv(), 10) != m:
                    return False
            return True
    results = await asyncio.gather(*(one(i) for i in range(n)), return_exceptions=True)
    return sum(1 for r in results if r is True)


async def held_then_closed(url, n, srv):
    """Opens n connections, SIGTERMs the server, returns the close codes the clients saw."""
    conns = [await websockets.connect(url, open_timeout=10, close_timeout=5) for _ in range(n)]
    for ws in conns:  # every one open on the server before the signal
        await ws.send("ready")
        await asyncio.wait_for(ws.recv(), 10)
    srv.proc.send_signal(signal.SIGTERM)
    codes = []
    for ws in conns:
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed:
            pass
        except asyncio.TimeoutError:
            pass
        codes.append(ws.close_code)
    return codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--handlers", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as hdir:
        shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "old_wsh.so"))
        with WsxServer(args.wsx, "--threads", str(THREADS), "-w", hdir) as srv:
            R.check("the start line names the loop threads",
                    srv.wait_for_log(f"{THREADS} loop threads", 5), "".join(srv.log)[-300:])
            echoed = asyncio.run(echo_many(srv.url + "/old", CLIENTS, 20))
            R.check(f"{CLIENTS} clients at once echo every message", echoed == CLIENTS, str(echoed))

            async def keep_then_reload():
                kept = await websockets.connect(srv.url + "/old", open_timeout=10)
                await kept.send("before")
                first = await asyncio.wait_for(kept.recv(), 10)
                os.remove(os.path.join(hdir, "old_wsh.so"))
                shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "new_wsh.so"))
                srv.proc.send_signal(signal.SIGHUP)
                logged = await asyncio.to_thread(srv.wait_for_log, "SIGHUP: handler directory rescanned", 5)
                new_ok = await echo_many(srv.url + "/new", CLIENTS, 1)
                await kept.send("after")
                second = await asyncio.wait_for(kept.recv(), 10)
                await kept.close()
                return first, logged, new_ok, second
            first, logged, new_ok, second = asyncio.run(keep_then_reload())
            R.check("SIGHUP logs the rescan", logged)
            R.check("after SIGHUP the new handler serves on every loop", new_ok == CLIENTS, str(new_ok))
            R.check("a connection opened before SIGHUP keeps its handler", (first, second) == ("before", "after"))

            codes = asyncio.run(held_then_closed(srv.url + "/new", 24, srv))
            R.check("SIGTERM closes every loop's connections with 1001", codes == [1001] * 24, str(codes))
            R.check("the server exits 0 on SIGTERM", srv.stop() == 0)
            log = "".join(srv.log)
            m = re.search(r"connections accepted per loop thread: ([\d, ]+)", log)
            counts = [int(x) for x in m.group(1).split(",")] if m else []
            R.check(f"the per-loop counts are logged for {THREADS} loops", len(counts) == THREADS, log[-300:])
            R.check("connections were spread over every loop", counts and min(counts) > 0, str(counts))
            R.check("no connection was lost between loops", sum(counts) == 2 * CLIENTS + 1 + 24, str(counts))
    bad = subprocess.run([args.wsx, "serve", "-p", "0", "--threads", "300"], capture_output=True,
                         text=True, timeout=10)
    R.check("--threads 300 is refused", bad.returncode != 0 and "threads" in bad.stderr, bad.stderr[-200:])
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
