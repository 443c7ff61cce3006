#!/usr/bin/python3
"""A WebSocket server built on Python's `websockets` (Debian's python3-websockets), for the client
tests: one scenario per path. Prints "listening PORT" once ready; runs until killed.
  /echo            echoes every message as it came (text or binary)
  /fragmented      sends "fragmented message" in three frames, then a binary one in two
  /ping            pings with payload "are you there", then echoes
  /close/CODE      closes with CODE and reason "bye CODE"
  /abort           drops the TCP connection without a close frame
  /big             sends 16 MiB of binary: byte i is i % 251
  /empty           sends an empty text and an empty binary message
  /protocol        (subprotocols chat, superchat) sends the chosen one
  /headers         sends back the request's Authorization, Cookie and Origin as JSON
  /expect-echo     sends a text and a binary message and expects each back as it was: closes
                   with 4000 "echoed" if so, else 4001
"""

import asyncio
import json
import sys

import websockets

BIG = bytes(i % 251 for i in range(16 * 1024 * 1024))


async def handler(ws, path=None):
    path = path or ws.path
    try:
        if path == "/echo":
            async for m in ws:
                await ws.send(m)
        elif path == "/fragmented":
            await ws.send(["fragm", "ented mes", "sage"])
            await ws.send([b"\x00\x01", b"\x02\x03"])
            await ws.wait_closed()
        elif path == "/ping":
            await ws.ping(b"are you there")
            async for m in ws:
                await ws.send(m)
        elif path.startswith("/close/"):
            code = int(path.split("/")[2])
            await ws.close(code, f"bye {code}")
        elif path == "/abort":
            await ws.send("about to vanish")
            await asyncio.sleep(0.05)
            ws.transport.abort()
        elif path == "/big":
            await ws.send(BIG)
            await ws.wait_closed()
        elif path == "/empty":
            await ws.send("")
            await ws.send(b"")
            await ws.wait_closed()
        elif path == "/protocol":
            await ws.send(ws.subprotocol or "none")
            await ws.wait_closed()
        elif path == "/headers":
            h = ws.request_headers
            await ws.send(json.dumps({k: h.get(k) for k in ("Authorization", "Cookie", "Origin", "X-Extra")}))
            await ws.wait_closed()
        elif path == "/expect-echo":
            ok = True
            for m in ("one", b"\x01\x02"):
                await ws.send(m)
                ok = ok and (await ws.recv()) == m
            await ws.close(4000 if ok else 4001, "echoed" if ok else "not echoed")
        else:
            await ws.close(4404, "no such scenario")
    except websockets.ConnectionClosed:
        pass


async def main():
    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=["chat", "superchat"],
                                max_size=None, ping_interval=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
