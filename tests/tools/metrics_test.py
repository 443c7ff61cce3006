#!/usr/bin/python3
"""`wsx serve --metrics` on two loop threads: known traffic from Python `websockets` clients (an
independent peer), then /metrics scraped over HTTP and read by prometheus_client's strict
OpenMetrics parser (Debian's python3-prometheus-client, written by no one here): every count equals
what the test did (messages and payload bytes each way, handshakes accepted and refused by status,
closes by code and by who closed, open connections), the keepalive ping round trip is measured,
families carry a loop label for each loop. The WebSocket /stats sends JSON snapshots; /stats.html
is served; without --metrics none of them is. Every wait is bounded; every server is stopped."""

import argparse
import asyncio
import http.client
import json
import os
import sys
import time

import websockets
from prometheus_client.openmetrics.parser import text_string_to_metric_families

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("serve --metrics")


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, r.getheader("Content-Type"), body


def scrape(port):
    """{(sample name, frozenset of labels but loop): value summed over loops}, and the loops."""
    status, ctype, body = get(port, "/metrics")
    assert status == 200, status
    sums, loops = {}, set()
    for family in text_string_to_metric_families(body):  # raises on anything not OpenMetrics
        for s in family.samples:
            labels = dict(s.labels)
            if "loop" in labels:
                loops.add(labels.pop("loop"))
            key = (s.name, frozenset(labels.items()))
            sums[key] = sums.get(key, 0) + s.value
    return ctype, sums, loops


def value(sums, name, **labels):
    return sums.get((name, frozenset(labels.items())), 0)


def wait_for(port, pred, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        _, sums, _ = scrape(port)
        if pred(sums) or time.monotonic() > deadline:
            return sums
        time.sleep(0.05)


async def traffic(url):
    clients = [await websockets.connect(url + "/echo", open_timeout=10, close_timeout=5, ping_interval=None)
               for _ in range(3)]
    for i, ws in enumerate(clients):
        for _ in range(i + 1):  # 1 + 2 + 3 text messages of 10 bytes
            await ws.send("0123456789")
            assert await asyncio.wait_for(ws.recv(), 10) == "0123456789"
    await clients[0].send(b"\x00\x01\x02\x03\x04")
    assert await asyncio.wait_for(clients[0].recv(), 10) == b"\x00\x01\x02\x03\x04"
    for path in ("/nope", "/nope/either"):
        try:
            await websockets.connect(url + path, open_timeout=10)
        except websockets.InvalidStatusCode as e:
            assert e.status_code == 404, e.status_code
    await clients[0].close(1000)
    await clients[1].close(4001, "bye")
    clients[2].transport.abort()  # no close frame: 1006, closed by nobody
    return await websockets.connect(url + "/echo", open_timeout=10, close_timeout=5)


async def snapshots(url):
    async with websockets.connect(url + "/stats", open_timeout=10) as ws:
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        second = json.loads(await asyncio.wait_for(ws.recv(), 5))
    return first, second


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsx", required=True)
    args = parser.parse_args()
    with WsxServer(args.wsx, "--metrics", "--threads", "2", "--idle-timeout", "1") as srv:
        idle = None

        async def run():
            nonlocal idle
            idle = await traffic(srv.url)
            # The idle connection gets a keepalive ping after half a second; websockets answers.
            sums = await asyncio.to_thread(wait_for, srv.port, lambda s: value(
                s, "wsx_ping_rtt_seconds_count") >= 1 and value(
                s, "wsx_closes_total", code="1006", by="nobody") == 1)
            await idle.close()
            return sums
        sums = asyncio.run(run())
        ctype, final, loops = scrape(srv.port)
        R.check("served as OpenMetrics text", ctype.startswith("application/openmetrics-text"), ctype)
        R.check("every family has a sample per loop thread", loops == {"0", "1"}, str(loops))
        R.check("messages in and out: 7 each way",
                value(sums, "wsx_messages_total", direction="in") == 7
                and value(sums, "wsx_messages_total", direction="out") == 7,
                str({k: v for k, v in sums.items() if k[0] == "wsx_messages_total"}))
        R.check("payload bytes each way: 65",
                value(sums, "wsx_payload_bytes_total", direction="in") == 65
                and value(sums, "wsx_payload_bytes_total", direction="out") == 65)
        R.check("handshakes: 4 accepted (101), 2 refused (404)",
                value(sums, "wsx_handshakes_total", outcome="accepted", status="101") == 4
                and value(sums, "wsx_handshakes_total", outcome="refused", status="404") == 2)
        R.check("closes by code and by who: 1000 and 4001 by the client, 1006 by nobody",
                value(sums, "wsx_closes_total", code="1000", by="client") == 1
                and value(sums, "wsx_closes_total", code="4001", by="client") == 1
                and value(sums, "wsx_closes_total", code="1006", by="nobody") == 1,
                str({k: v for k, v in sums.items() if k[0] == "wsx_closes_total"}))
        R.check("one connection open before the last close", value(sums, "wsx_connections") == 1)
        n = value(sums, "wsx_ping_rtt_seconds_count")
        R.check("the keepalive ping's round trip is measured (count = the +Inf bucket)",
                n >= 1 and value(sums, "wsx_ping_rtt_seconds_bucket", le="+Inf") == n
                and value(sums, "wsx_ping_rtt_seconds_sum") < 1.0, str(n))
        final = wait_for(srv.port, lambda s: value(s, "wsx_connections") == 0)
        R.check("no connection open at the end, and the last close counted",
                value(final, "wsx_connections") == 0
                and value(final, "wsx_closes_total", code="1000", by="client") == 2)
        R.check("the accepted TCP connections include the scrapes",
                value(final, "wsx_connections_accepted_total") >= 6)
        first, second = asyncio.run(snapshots(srv.url))
        R.check("/stats sends a JSON snapshot each second, with each loop's figures",
                len(first["loops"]) == 2 and second["time_ms"] > first["time_ms"]
                and second["messages_in"] == 7 and first["open"] >= 1, json.dumps(second)[:300])
        status, ctype, body = get(srv.port, "/stats.html")
        R.check("/stats.html is the live page", status == 200 and ctype.startswith("text/html")
                and "new WebSocket(" in body and "/stats" in body, f"{status} {ctype}")
        R.check("exits 0 on SIGTERM", srv.stop() == 0)
    with WsxServer(args.wsx) as srv:
        R.check("without --metrics, /metrics is not served",
                get(srv.port, "/metrics")[0] == 404 and get(srv.port, "/stats.html")[0] == 404)
        srv.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
