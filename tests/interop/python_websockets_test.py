#!/usr/bin/python3
"""Interop: Python `websockets` (Debian python3-websockets) as a client of `wsx serve`."""

import argparse
import asyncio
import socket
import sys

import websockets

from wsx_process import Results, WsxServer

R = Results("python websockets interop")


async def echo_cases(url):
    async with websockets.connect(url + "/echo", max_size=None, compression=None) as ws:
        for label, msg in [("text", "Hello, wsx"), ("empty text", ""), ("binary", b"\x00\xff\x10"),
                           ("empty binary", b""), ("utf-8 text", "κόσμε €𝄞")]:
            await ws.send(msg)
            got = await asyncio.wait_for(ws.recv(), 10)
            R.check(f"echo {label}", got == msg and type(got) is type(msg), repr(got)[:80])
        for size in (125, 126, 127, 65535, 65536, 1 << 20, 16 * 1024 * 1024 - 64):
            payload = bytes(i % 251 for i in range(size))
            await ws.send(payload)
            got = await asyncio.wait_for(ws.recv(), 60)
            R.check(f"echo binary {size} bytes", got == payload, f"got {len(got)} bytes")
        # Fragmented send: websockets sends an iterable as one message in several frames.
        await ws.send(["frag", "men", "ted ", "text"])
        got = await asyncio.wait_for(ws.recv(), 10)
        R.check("fragmented text reassembled", got == "fragmented text", repr(got))
        await ws.send([b"\x01" * 70000, b"\x02" * 3, b""])
        got = await asyncio.wait_for(ws.recv(), 10)
        R.check("fragmented binary reassembled", got == b"\x01" * 70000 + b"\x02" * 3, len(got))
        # Ping: the server answers with a pong carrying the same payload.
        # websockets resolves the waiter only for a pong whose payload matches the ping's.
        pong = await ws.ping(b"are you there")
        try:
            await asyncio.wait_for(pong, 10)
            answered = "pong with the ping's payload"
        except asyncio.TimeoutError:
            answered = "no matching pong within 10 s"
        R.check("ping answered by pong", answered == "pong with the ping's payload", answered)
        await ws.pong(b"unsolicited")
        await ws.send("after pong")
        R.check("unsolicited pong ignored", await asyncio.wait_for(ws.recv(), 10) == "after pong")
        # Client-initiated close: the server echoes the code.
        await ws.close(4000, "client bye")
        R.check("client close echoed", ws.close_code == 4000 and ws.close_reason == "", f"{ws.close_code}")


async def goodbye_case(url):
    async with websockets.connect(url + "/echo") as ws:
        await ws.send("Message to send")
        R.check("seed message echoed", await asyncio.wait_for(ws.recv(), 10) == "Message to send")
        await ws.send("Goodbye")
        R.check("Goodbye echoed", await asyncio.wait_for(ws.recv(), 10) == "Goodbye")
        try:
            await asyncio.wait_for(ws.recv(), 10)
            R.check("server closes after Goodbye", False, "got a message")
        except websockets.ConnectionClosedOK as e:
            R.check("server closes after Goodbye with 1000", e.rcvd is not None and e.rcvd.code == 1000, str(e))


async def subprotocol_cases(url):
    async with websockets.connect(url + "/echo", subprotocols=["nope", "chat"]) as ws:
        R.check("server picks the offered subprotocol it supports", ws.subprotocol == "chat", ws.subprotocol)
    async with websockets.connect(url + "/echo") as ws:
        R.check("no subprotocol when none offered", ws.subprotocol is None, ws.subprotocol)


async def rejected_cases(url, port):
    try:
        async with websockets.connect(url + "/missing"):
            R.check("unknown path rejected", False)
    except websockets.InvalidStatusCode as e:
        R.check("unknown path rejected with 404", e.status_code == 404, str(e))
    # A version-8 client gets 426 naming version 13 (RFC 6455 §4.4).
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
        head = s.recv(4096)
        R.check("version 8 gets 426 with Sec-WebSocket-Version: 13",
                head.startswith(b"HTTP/1.1 426") and b"Sec-WebSocket-Version: 13" in head, head[:60])


async def limit_case(url):
    async with websockets.connect(url + "/echo", max_size=None) as ws:
        await ws.send(b"x" * (64 * 1024))
        R.check("message at the limit echoed", len(await asyncio.wait_for(ws.recv(), 10)) == 64 * 1024)
        await ws.send(b"x" * (64 * 1024 + 1))
        try:
            await asyncio.wait_for(ws.recv(), 10)
            R.check("oversized message refused", False)
        except websockets.ConnectionClosedError as e:
            R.check("oversized message closes with 1009", e.rcvd is not None and e.rcvd.code == 1009, str(e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    with WsxServer(args.wsx, "--subprotocol", "chat") as srv:
        asyncio.run(echo_cases(srv.url))
        asyncio.run(goodbye_case(srv.url))
        asyncio.run(subprotocol_cases(srv.url))
        asyncio.run(rejected_cases(srv.url, srv.port))
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    with WsxServer(args.wsx, "--max-message-size", "64KiB") as srv:
        asyncio.run(limit_case(srv.url))
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
