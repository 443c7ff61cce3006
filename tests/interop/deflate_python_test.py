#!/usr/bin/python3
"""Interop, permessage-deflate (RFC 7692) with Python `websockets` both ways: its
ClientPerMessageDeflateFactory with every parameter combination against `wsx serve` in several
policies (the default shared compressor, a dedicated one with context takeover, small windows),
and its ServerPerMessageDeflateFactory with every combination serving `wsx connect`. Each
connection checks the negotiated parameters against RFC 7692 §7.1 and echoes compressible
JSON-like text, binary and fragmented messages."""

import argparse
import asyncio
import itertools
import json
import subprocess
import sys

import websockets
from websockets.extensions.permessage_deflate import (ClientPerMessageDeflateFactory,
                                                      ServerPerMessageDeflateFactory)

from wsx_process import Results, WsxServer

R = Results("python websockets deflate interop")


def json_text(i):
    return json.dumps({"id": i, "user": "wsx", "tags": ["alpha", "beta", "gamma"] * 5,
                       "text": "the quick brown fox jumps over the lazy dog " * 8})


MESSAGES = [json_text(0), json_text(1), json_text(1), "", "κόσμε €𝄞" * 50,
            bytes(range(256)) * 300, b""]

SNCT = (False, True)
CNCT = (False, True)
SMWB = (None, 8, 9, 12, 15)
CMWB = (None, True, 9, 11, 15)  # Python's zlib cannot compress with 8 either


async def client_case(url, label, snct, cnct, smwb, cmwb, policy_bits):
    factory = ClientPerMessageDeflateFactory(
        server_no_context_takeover=snct, client_no_context_takeover=cnct,
        server_max_window_bits=smwb, client_max_window_bits=cmwb)
    async with websockets.connect(url + "/echo", extensions=[factory], compression=None,
                                  max_size=None) as ws:
        exts = ws.extensions
        if True:  # an 8-bit server window too: compressed with 9, which stays within 8 bits
            ok = len(exts) == 1
            if ok:
                e = exts[0]
                # websockets' names: remote = the server's side, local = ours.
                ok = (e.remote_max_window_bits <= (smwb or 15)
                      and e.remote_max_window_bits <= policy_bits
                      and (not snct or e.remote_no_context_takeover)
                      and (not cnct or e.local_no_context_takeover)
                      and (cmwb is not None or e.local_max_window_bits == 15))
            R.check(f"{label}: negotiated", ok, repr(exts))
        for m in MESSAGES:
            await ws.send(m)
            got = await asyncio.wait_for(ws.recv(), 20)
            if got != m:
                R.check(f"{label}: echo", False, f"{len(m)} bytes sent, {len(got)} back")
                return
        await ws.send(["frag", "men", "ted " * 300, "text"])
        got = await asyncio.wait_for(ws.recv(), 20)
        R.check(f"{label}: echoes", got == "fragmented " + "ted " * 299 + "text", len(got))


async def client_cases(url, name, policy_bits):
    for snct, cnct, smwb, cmwb in itertools.product(SNCT, CNCT, SMWB, CMWB):
        label = f"{name} snct={int(snct)} cnct={int(cnct)} smwb={smwb} cmwb={cmwb}"
        try:
            await client_case(url, label, snct, cnct, smwb, cmwb, policy_bits)
        except Exception as e:  # noqa: BLE001 - any failure is this case's
            R.check(label, False, repr(e))


async def server_side(wsx):
    """websockets serves with each ServerPerMessageDeflateFactory combination; `wsx connect`
    sends the messages and must print them back, and say the extension it got."""
    seen = {}

    async def echo(ws, path=None):
        seen[ws.local_address[1]] = ws.extensions
        async for m in ws:
            await ws.send(m)

    texts = [json_text(i) for i in range(4)] + ["short"]
    # The server's own window: Python's zlib cannot compress with 8 either, so 9 and up.
    for snct, cnct, smwb, cmwb in itertools.product(SNCT, CNCT, (None, 9, 12), (None, 8, 10)):
        label = f"wsx client vs websockets snct={int(snct)} cnct={int(cnct)} smwb={smwb} cmwb={cmwb}"
        factory = ServerPerMessageDeflateFactory(
            server_no_context_takeover=snct, client_no_context_takeover=cnct,
            server_max_window_bits=smwb, client_max_window_bits=cmwb)
        async with websockets.serve(echo, "127.0.0.1", 0, extensions=[factory],
                                    compression=None) as server:
            port = server.sockets[0].getsockname()[1]
            args = [wsx, "connect", f"ws://127.0.0.1:{port}/", "--raw", "-t", "20"]
            for t in texts:
                args += ["-x", t]
            proc = await asyncio.create_subprocess_exec(*args, stdout=subprocess.PIPE,
                                                        stderr=subprocess.PIPE)
            out, err = await asyncio.wait_for(proc.communicate(), 60)
        lines = out.decode().splitlines()
        R.check(f"{label}: echoes", proc.returncode == 0 and lines == texts,
                f"exit {proc.returncode} {err.decode()[-200:]}")
        R.check(f"{label}: negotiated", "(extensions permessage-deflate" in err.decode()
                and all(len(e) == 1 for e in seen.values()), err.decode()[:200])
        seen.clear()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    policies = [
        ("default", [], 15),
        ("dedicated", ["--deflate-compressor", "dedicated", "--deflate-context-takeover",
                       "--deflate-client-context-takeover"], 15),
        ("small", ["--deflate-compressor", "dedicated", "--deflate-window-bits", "10",
                   "--deflate-mem-level", "4", "--deflate-client-window-bits", "11",
                   "--deflate-threshold", "64"], 10),
    ]
    for name, flags, bits in policies:
        with WsxServer(args.wsx, *flags) as srv:
            asyncio.run(client_cases(srv.url, name, bits))
            R.check(f"{name}: server exits 0 on SIGTERM", srv.stop() == 0)
    with WsxServer(args.wsx, "--no-deflate") as srv:
        async def off():
            async with websockets.connect(srv.url + "/echo") as ws:
                R.check("--no-deflate: nothing negotiated", not ws.extensions, repr(ws.extensions))
                await ws.send(json_text(0))
                R.check("--no-deflate: echo", await ws.recv() == json_text(0))
        asyncio.run(off())
        srv.stop()
    asyncio.run(server_side(args.wsx))
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
