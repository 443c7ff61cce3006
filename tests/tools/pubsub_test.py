#!/usr/bin/python3
"""`wsx serve`'s built-in pub/sub resource at /pubsub, on two loop threads. Python `websockets`
clients (an independent peer) subscribe, publish and get each publication once whichever loop they
are on, enveloped; errors name their reason and echo the id; binary closes with 1003;
--pubsub-token and --pubsub-publish handlers refuse clients' publications with "forbidden";
--no-pubsub leaves /pubsub unserved and a handler of the same path wins. Then 10,000 raw-socket
subscribers (fewer if RLIMIT_NOFILE's hard limit is lower) each get one publication exactly once;
the time it took is printed, not asserted. Every wait is bounded; every server is stopped."""

import argparse
import asyncio
import base64
import json
import os
import resource
import select
import shutil
import socket
import struct
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("serve pub/sub")


async def ask(ws, command):
    await ws.send(json.dumps(command))
    return json.loads(await asyncio.wait_for(ws.recv(), 10))


async def basics(url):
    subs = [await websockets.connect(url, open_timeout=10, close_timeout=5) for _ in range(6)]
    acks = [await ask(ws, {"op": "subscribe", "topic": "news", "id": i}) for i, ws in enumerate(subs)]
    R.check("every subscribe is acknowledged with its id",
            acks == [{"op": "ack", "id": i} for i in range(6)], str(acks))
    pub = await websockets.connect(url, open_timeout=10, close_timeout=5)
    reply = await ask(pub, {"op": "publish", "topic": "news", "data": {"é": [1, None]}, "id": "p"})
    R.check("a publish is acknowledged", reply == {"op": "ack", "id": "p"}, str(reply))
    got = [json.loads(await asyncio.wait_for(ws.recv(), 10)) for ws in subs]
    want = {"op": "message", "topic": "news", "data": {"é": [1, None]}}
    R.check("all 6 subscribers (both loops) get the publication", got == [want] * 6, str(got[:2]))

    errors = [await ask(pub, c) for c in (
        "not json", {"op": "dance", "id": 1}, {"op": "subscribe", "topic": "", "id": 2},
        {"op": "unsubscribe", "topic": "news", "id": 3}, {"op": "publish", "topic": "t", "id": 4})]
    R.check("errors name their reason and echo the id", errors == [
        {"op": "error", "error": "malformed"}, {"op": "error", "id": 1, "error": "unknown op"},
        {"op": "error", "id": 2, "error": "bad topic"},
        {"op": "error", "id": 3, "error": "not subscribed"},
        {"op": "error", "id": 4, "error": "malformed"}], str(errors))
    many = [await ask(pub, {"op": "subscribe", "topic": f"t{i}", "id": i}) for i in range(65)]
    R.check("the 65th subscription is refused (64 by default)",
            many[63] == {"op": "ack", "id": 63}
            and many[64] == {"op": "error", "id": 64, "error": "too many subscriptions"}, str(many[-2:]))

    await subs[0].send(b"\x00binary")
    try:
        await asyncio.wait_for(subs[0].recv(), 10)
    except websockets.ConnectionClosed:
        pass
    R.check("a binary message closes with 1003", subs[0].close_code == 1003, str(subs[0].close_code))
    for ws in subs[1:] + [pub]:
        await ws.close()


async def refused(url, publish, label):
    sub = await websockets.connect(url, open_timeout=10, close_timeout=5)
    await ask(sub, {"op": "subscribe", "topic": "t", "id": 0})
    no = await ask(sub, {"op": "publish", "topic": "t", "data": 1, "id": 1})
    R.check(f"{label}: a publish without the right to is forbidden",
            no == {"op": "error", "id": 1, "error": "forbidden"}, str(no))
    if publish is not None:
        yes = await ask(sub, {**publish, "id": 2})
        R.check(f"{label}: a publish with the token is delivered, then acknowledged",
                yes == {"op": "message", "topic": "t", "data": 2}
                and json.loads(await asyncio.wait_for(sub.recv(), 10)) == {"op": "ack", "id": 2},
                str(yes))
    await sub.close()


def masked_text(payload):
    """A client's text frame, masked (payload under 64 KiB)."""
    data = payload.encode()
    key = os.urandom(4)
    head = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else \
        bytes([0x81, 0x80 | 126]) + struct.pack("!H", len(data))
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(data))


def wait_readable(s, deadline):
    """True when `s` has bytes (or EOF) before the deadline (poll: descriptors past 1024)."""
    p = select.poll()
    p.register(s, select.POLLIN)
    return bool(p.poll(max(0, int((deadline - time.monotonic()) * 1000))))


def read_until(s, done, deadline):
    """Reads from `s` until done(bytes so far), EOF or the deadline; returns the bytes."""
    buf = b""
    while not done(buf) and wait_readable(s, deadline):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


def many_subscribers(port, n):
    """n raw sockets subscribe to "wide" (handshake and subscribe sent at once), then one publish;
    returns (subscribed, delivered exactly, seconds from publish to the last delivery)."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /pubsub HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
    hello = request.encode() + masked_text('{"op":"subscribe","topic":"wide","id":1}')
    ack = b'\x81\x13{"op":"ack","id":1}'
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(hello)
            socks.append(s)
        subscribed = 0
        deadline = time.monotonic() + 60
        for s in socks:
            got = read_until(s, lambda b: b"\r\n\r\n" in b and b.endswith(ack), deadline)
            subscribed += got.startswith(b"HTTP/1.1 101") and got.endswith(ack)
        start = time.monotonic()
        socks[0].sendall(masked_text('{"op":"publish","topic":"wide","data":"to all"}'))
        message = b'\x81\x2f{"op":"message","topic":"wide","data":"to all"}'
        deadline = time.monotonic() + 60
        delivered = sum(1 for s in socks if read_until(s, lambda b: len(b) >= len(message),
                                                      deadline) == message)
        seconds = time.monotonic() - start
        # Nothing else came: a second copy would be waiting by now behind the first.
        nothing_more = sum(1 for s in socks[1:200] if not wait_readable(s, time.monotonic()))
        return subscribed, delivered, seconds, nothing_more
    finally:
        for s in socks:
            s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--handlers", required=True)
    args = ap.parse_args()
    with WsxServer(args.wsx, "--threads", "2") as srv:
        R.check("the start log names the resource",
                srv.wait_for_log("handler /pubsub built in: pub/sub (clients publish)", 5),
                "".join(srv.log)[-300:])
        asyncio.run(basics(srv.url + "/pubsub"))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        n = min(10000, hard - 300)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, n + 200), hard))
        subscribed, delivered, seconds, quiet = many_subscribers(srv.port, n)
        print(f"{n} subscribers: one publication delivered to all in {seconds * 1000:.1f} ms")
        R.check(f"{n} raw subscribers are acknowledged", subscribed == n, str(subscribed))
        R.check(f"each of the {n} gets the publication exactly once",
                delivered == n and quiet == 199, f"{delivered} delivered, {quiet} quiet")
        R.check("exits 0 on SIGTERM", srv.stop() == 0)

    with WsxServer(args.wsx, "--pubsub-token", "k") as srv:
        asyncio.run(refused(srv.url + "/pubsub",
                            {"op": "publish", "topic": "t", "data": 2, "token": "k"}, "--pubsub-token"))
        R.check("exits 0 on SIGTERM (token)", srv.stop() == 0)
    with WsxServer(args.wsx, "--pubsub-publish", "handlers", "--pubsub", "/topics") as srv:
        R.check("--pubsub moves the resource", srv.wait_for_log("handler /topics built in", 5))
        asyncio.run(refused(srv.url + "/topics", None, "--pubsub-publish handlers"))
        srv.stop()

    async def status(url):
        try:
            async with websockets.connect(url, open_timeout=10) as ws:
                await ws.send('{"op":"subscribe","topic":"t","id":1}')
                return await asyncio.wait_for(ws.recv(), 10)
        except websockets.InvalidStatusCode as e:
            return e.status_code

    with WsxServer(args.wsx, "--no-pubsub") as srv:
        got = asyncio.run(status(srv.url + "/pubsub"))
        R.check("--no-pubsub: /pubsub is not served (404)", got == 404, str(got))
        srv.stop()
    with tempfile.TemporaryDirectory() as hdir:
        shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "pubsub_wsh.so"))
        with WsxServer(args.wsx, "-w", hdir) as srv:
            got = asyncio.run(status(srv.url + "/pubsub"))
            R.check("a handler at /pubsub wins over the built-in resource (it echoes)",
                    got == '{"op":"subscribe","topic":"t","id":1}', str(got))
            srv.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
