#!/usr/bin/python3
"""The installed wsx, run from its prefix: `wsx --version`, and `wsx serve` finding its page under
PREFIX/share/wsx (not the build tree) while serving the consumer project's handler from -w DIR,
checked with Python `websockets`. Bounded waits; the server is stopped."""

import asyncio
import os
import re
import subprocess
import sys
import urllib.request

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402


def main():
    prefix, handlers = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    wsx = os.path.join(prefix, "bin", "wsx")
    R = Results("installed wsx")
    v = subprocess.run([wsx, "--version"], capture_output=True, text=True, timeout=10)
    R.check("wsx --version from the prefix", v.returncode == 0 and v.stdout.startswith("wsx "), v.stdout)
    man = os.path.join(prefix, "share", "man", "man1", "wsx.1")
    text = open(man).read() if os.path.exists(man) else ""
    opts = set()
    for sub in ("serve", "connect", "bench"):
        h = subprocess.run([wsx, sub, "--help"], capture_output=True, text=True, timeout=10).stdout
        opts |= set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]+", h))
    missing = sorted(o for o in opts if o.replace("-", "\\-") not in text and o not in text)
    R.check("wsx(1) is installed and has every option of wsx serve/connect/bench --help",
            bool(text) and ".SH WSX-SERVE" in text and len(opts) > 40 and not missing, missing[:5])
    with WsxServer(wsx, "-w", handlers) as srv:
        log = "".join(srv.log)
        R.check("the page comes from PREFIX/share/wsx/www",
                f"serving documents from {prefix}/share/wsx/www" in log, log[-300:])
        with urllib.request.urlopen(f"http://127.0.0.1:{srv.port}/", timeout=10) as r:
            R.check("GET / is the page", r.status == 200 and b"Run WebSocket" in r.read())

        async def echo():
            async with websockets.connect(srv.url + "/consumer", open_timeout=10) as ws:
                await ws.send("hi")
                return await asyncio.wait_for(ws.recv(), 10)
        R.check("the consumer's handler serves /consumer", asyncio.run(echo()) == "consumer: hi")
        R.check("SIGTERM: exit 0", srv.stop() == 0)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
