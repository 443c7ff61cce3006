#!/usr/bin/python3
"""Two `wsx serve --redis` nodes sharing a real redis-server (Debian's, started here on a free
loopback port), with Python `websockets` clients (an independent peer) on each: /pubsub
publications cross to the other node once and come back to no one twice; the bundled /chat room
spans both nodes; another Redis client's PUBLISH reaches the subscribers; Redis killed (each
node's own subscribers still get its publications, the loss is logged) and started again (the
nodes resubscribe, publications cross again). Then a real nginx (started here with a generated
config) in front of both nodes: clients through nginx land on both, and get each other's
publications. Every wait is bounded; redis-server, nginx and the nodes are stopped."""

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import websockets
from prometheus_client.openmetrics.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("serve --redis")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp(port, *args):
    """One Redis command on a connection of its own; the reply, parsed (RESP2), or None."""
    out = b"*%d\r\n" % len(args) + b"".join(
        b"$%d\r\n%s\r\n" % (len(a), a) for a in (x if isinstance(x, bytes) else str(x).encode() for x in args))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(out)
            f = s.makefile("rb")

            def read():
                line = f.readline().rstrip(b"\r\n")
                kind, rest = line[:1], line[1:]
                if kind in (b"+", b"-"):
                    return rest.decode()
                if kind == b":":
                    return int(rest)
                if kind == b"$":
                    n = int(rest)
                    return None if n < 0 else f.read(n + 2)[:-2]
                if kind == b"*":
                    return [read() for _ in range(int(rest))]
                return None
            return read()
    except OSError:
        return None


class Redis:
    def __init__(self):
        self.port = free_port()
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--loglevel", "warning", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if resp(self.port, "PING") == "PONG":
                return True
            time.sleep(0.05)
        return False

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def numsub(self, channel):
        r = resp(self.port, "PUBSUB", "NUMSUB", channel)
        return r[1] if isinstance(r, list) else -1

    def wait_numsub(self, channel, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.numsub(channel) == n:
                return True
            time.sleep(0.05)
        return False

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"


async def connect(url):
    return await websockets.connect(url, open_timeout=10, close_timeout=5)


async def recv_json(ws, timeout=10):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def subscribe(ws, topic):
    await ws.send(json.dumps({"op": "subscribe", "topic": topic, "id": topic}))
    return await recv_json(ws)


def message(topic, data):
    return {"op": "message", "topic": topic, "data": data}


async def crossing(a, b, redis):
    a1, b1, b2 = await connect(a.url + "/pubsub"), await connect(b.url + "/pubsub"), await connect(b.url + "/pubsub")
    acks = [await subscribe(ws, "news") for ws in (a1, b1, b2)]
    R.check("subscriptions on both nodes are acknowledged",
            acks == [{"op": "ack", "id": "news"}] * 3, str(acks))
    R.check("one Redis channel per node for the topic", redis.wait_numsub("wsx:news", 2),
            str(redis.numsub("wsx:news")))
    await a1.send(json.dumps({"op": "publish", "topic": "news", "data": {"n": 1}}))
    got = [await recv_json(ws) for ws in (a1, b1, b2)]
    R.check("a publication on node A reaches A's and B's subscribers",
            got == [message("news", {"n": 1})] * 3, str(got))
    await b2.send(json.dumps({"op": "publish", "topic": "news", "data": "two", "id": 9}))
    got_b2 = [await recv_json(b2), await recv_json(b2)]
    got = [await recv_json(a1), await recv_json(b1)]
    R.check("and back from B to A, once each (no copy comes back through Redis)",
            got == [message("news", "two")] * 2 and sorted(map(json.dumps, got_b2)) == sorted(
                [json.dumps(message("news", "two")), json.dumps({"op": "ack", "id": 9})]),
            f"{got} {got_b2}")
    n = resp(redis.port, "PUBLISH", "wsx:news", json.dumps(message("news", "from a backend")))
    got = [await recv_json(ws) for ws in (a1, b1, b2)]
    R.check("another Redis client's PUBLISH reaches every node's subscribers",
            n == 2 and got == [message("news", "from a backend")] * 3, f"{n} {got}")
    # Nothing more is on its way: a last publication is the next thing each one gets.
    await a1.send(json.dumps({"op": "publish", "topic": "news", "data": "last"}))
    got = [await recv_json(ws) for ws in (a1, b1, b2)]
    R.check("no duplicates: the next message is the next publication",
            got == [message("news", "last")] * 3, str(got))
    for ws in (a1, b1, b2):
        await ws.close()
    R.check("the channel is let go when every node's subscribers have left",
            redis.wait_numsub("wsx:news", 0), str(redis.numsub("wsx:news")))


async def chat(a, b, redis):
    m1, m2 = await connect(a.url + "/chat"), await connect(b.url + "/chat")
    R.check("the chat room is one channel on each node", redis.wait_numsub("wsx:chat", 2))
    await m1.send("hello from A")
    seen = []
    for _ in range(4):  # m2 gets its own join line first; then the lines it has not seen
        line = await asyncio.wait_for(m2.recv(), 10)
        seen.append(line)
        if line.endswith(": hello from A"):
            break
    R.check("/chat spans both nodes: B's member reads A's member",
            any(s.endswith(": hello from A") for s in seen), str(seen))
    await m1.close()
    await m2.close()


async def outage(a, b, redis):
    a1, b1 = await connect(a.url + "/pubsub"), await connect(b.url + "/pubsub")
    await subscribe(a1, "t")
    await subscribe(b1, "t")
    R.check("both nodes listen to t", redis.wait_numsub("wsx:t", 2))
    redis.kill()
    R.check("node A logs the lost connection", a.wait_for_log("redis: lost the", 10))
    await a1.send(json.dumps({"op": "publish", "topic": "t", "data": "while away"}))
    got = await recv_json(a1)
    R.check("with Redis away, A's own subscribers still get A's publication",
            got == message("t", "while away"), str(got))
    R.check("Redis started again", redis.start())
    R.check("both nodes resubscribe", redis.wait_numsub("wsx:t", 2), str(redis.numsub("wsx:t")))
    R.check("A logs the outage and what it lost",
            a.wait_for_log("publications reached this node's subscribers only meanwhile", 10))
    await a1.send(json.dumps({"op": "publish", "topic": "t", "data": "back"}))
    got = [await recv_json(a1), await recv_json(b1)]
    R.check("publications cross again; the one made while away did not (at most once)",
            got == [message("t", "back")] * 2, str(got))
    R.check("both nodes are still up", a.alive() and b.alive())
    await a1.close()
    await b1.close()


def redis_metrics(port):
    """Node `port`'s wsx_redis_* samples, read by prometheus_client's strict OpenMetrics parser."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/metrics")
    body = c.getresponse().read().decode()
    c.close()
    return {s.name: s.value for f in text_string_to_metric_families(body)
            for s in f.samples if s.name.startswith("wsx_redis_")}


def start_nginx(tmp, ports):
    port = free_port()
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
daemon off;
master_process off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream wsx {{ {' '.join(f'server 127.0.0.1:{p};' for p in ports)} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://wsx;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 3600s;
            proxy_buffering off;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin: not on every user's PATH
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    return proc, None


async def behind_nginx(port, redis):
    clients = [await connect(f"ws://127.0.0.1:{port}/pubsub") for _ in range(4)]
    upstreams = {ws.response_headers.get("X-Upstream") for ws in clients}
    R.check("clients through nginx land on both nodes", len(upstreams) == 2, str(upstreams))
    for ws in clients:
        await subscribe(ws, "lb")
    R.check("both nodes listen to the topic", redis.wait_numsub("wsx:lb", 2))
    for i, ws in enumerate(clients):
        await ws.send(json.dumps({"op": "publish", "topic": "lb", "data": i}))
        got = [await recv_json(c) for c in clients]
        R.check(f"through nginx, client {i}'s publication reaches all 4",
                got == [message("lb", i)] * 4, str(got))
    for ws in clients:
        await ws.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsx", required=True)
    args = parser.parse_args()
    for tool in ("redis-server", "nginx"):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/sbin/{tool}"):
            print(f"FAIL {tool} is not installed (scripts/dev installs it)")
            return 1
    redis = Redis()
    try:
        with WsxServer(args.wsx, "--redis", redis.url, "--threads", "2", "--metrics") as a, \
                WsxServer(args.wsx, "--redis", redis.url, "--threads", "2") as b:
            R.check("both nodes log that they joined through Redis",
                    a.wait_for_log("redis: connected to") and b.wait_for_log("redis: connected to"))
            asyncio.run(crossing(a, b, redis))
            m = redis_metrics(a.port)
            R.check("A's /metrics: Redis up, its 2 publications confirmed, 2 received, 2 own skipped",
                    m.get("wsx_redis_up") == 1 and m.get("wsx_redis_published_total") == 2
                    and m.get("wsx_redis_received_total") == 2 and m.get("wsx_redis_own_total") == 2
                    and m.get("wsx_redis_lost_total") == 0, str(m))
            asyncio.run(chat(a, b, redis))
            asyncio.run(outage(a, b, redis))
            m = redis_metrics(a.port)
            R.check("A's /metrics after the outage: up again, reconnected, 1 publication lost",
                    m.get("wsx_redis_up") == 1 and m.get("wsx_redis_reconnects_total", 0) >= 2
                    and m.get("wsx_redis_lost_total") == 1, str(m))
            with tempfile.TemporaryDirectory() as tmp:
                nginx, port = start_nginx(tmp, [a.port, b.port])
                try:
                    R.check("nginx started", port is not None,
                            open(os.path.join(tmp, "error.log")).read() if port is None else "")
                    if port is not None:
                        asyncio.run(behind_nginx(port, redis))
                finally:
                    nginx.send_signal(signal.SIGTERM)
                    try:
                        nginx.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        nginx.kill()
                        nginx.wait()
            R.check("node A exits 0 on SIGTERM", a.stop() == 0)
            R.check("node B exits 0 on SIGTERM", b.stop() == 0)
            R.check("node A logs its Redis figures", "publications sent" in "".join(a.log))
    finally:
        redis.kill()
    bad = subprocess.run([args.wsx, "serve", "-p", "0", "--redis", "http://nope"],
                         capture_output=True, text=True, timeout=20)
    R.check("a URL that is not redis:// is refused with the reason",
            bad.returncode == 1 and "not a redis:// URL" in bad.stderr, bad.stderr[-300:])
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
