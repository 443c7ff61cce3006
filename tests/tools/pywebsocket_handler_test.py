#!/usr/bin/python3
"""pywebsocket handlers (*_wsh.py modules, not executable) served by `wsx serve -w DIR` through its
Python host: the handler API (extra handshake, transfer data, passive closing, msgutil,
fragments, exceptions and their close codes), in subfolders, for a folder importing
`mod_pywebsocket` and one importing `pywebsocket3`; and the hostile cases: a handler that does not
compile, raises, loops, crashes its interpreter, never reads, floods without end; fifty sleeping
handlers side by side, 1,000 connections at once (memory measured), SIGHUP reload and shutdown.
Driven by Python `websockets` and by raw frames (tests/interop/wire.py). Every wait is bounded."""

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import stat
import sys
import tempfile
import time

import websockets

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, close, text  # noqa: E402
from wsx_process import Results, WsxServer, pid_rss_kib as rss_kib  # noqa: E402
from wsx_process import python_host_pids as host_pids  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
R = Results("pywebsocket handlers")
TIMEOUT = 10


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


async def closed_code(ws):
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except websockets.ConnectionClosed as e:
        return (e.rcvd.code, e.rcvd.reason) if e.rcvd else (1006, "")


async def handshake_status(url, **kw):
    try:
        async with websockets.connect(url, open_timeout=TIMEOUT, **kw):
            return 101
    except websockets.InvalidStatusCode as e:
        return e.status_code
    except websockets.NegotiationError:
        return "negotiation failed"
    except (websockets.InvalidMessage, ConnectionError, EOFError):
        return "dropped"


async def api_checks(base):
    async with websockets.connect(base + "/echo", subprotocols=["echo"]) as ws:
        R.check("the handler chooses the offered subprotocol", ws.subprotocol == "echo")
        await ws.send("Message to send")
        await ws.send(b"\x00\xff")
        got = [await ws.recv(), await ws.recv()]
        R.check("text comes back as str, binary as bytes", got == ["Message to send", b"\x00\xff"])
        await ws.send("Goodbye")
        R.check("Goodbye is echoed", await ws.recv() == "Goodbye")
        R.check("returning from transfer_data closes 1000", await closed_code(ws) == (1000, ""))
    async with websockets.connect(base + "/echo") as ws:
        R.check("permessage-deflate offered: the server runs it for a handler that keeps it",
                (ws.response_headers.get("Sec-WebSocket-Extensions") or "").startswith("permessage-deflate"))
        await ws.send("x" * 10000)
        R.check("a compressed message reaches the handler whole", await ws.recv() == "x" * 10000)
    async with websockets.connect(base + "/plain") as ws:
        R.check("a handler that empties ws_extension_processors declines permessage-deflate",
                ws.response_headers.get("Sec-WebSocket-Extensions") is None
                and await ws.recv() == "processors: permessage-deflate")
    async with websockets.connect(base + "/alias/echo") as ws:
        await ws.send("through the map file")
        R.check("-m: an alias serves the same Python handler",
                await ws.recv() == "through the map file")
    async with websockets.connect(base + "/sub/close") as ws:
        await ws.send("4000 my reason")
        R.check("close_connection(code, reason) in a subfolder",
                await closed_code(ws) == (4000, "my reason"))
    async with websockets.connect(base + "/sub/close") as ws:
        await ws.close(3001, "client says")
        R.check("passive closing handshake echoes the client's code",
                (ws.close_rcvd.code, ws.close_rcvd.reason) == (3001, "client says"))
    async with websockets.connect(base + "/sub/passive") as ws:
        await ws.close(3000, "x")
        R.check("web_socket_passive_closing_handshake chooses the reply",
                (ws.close_rcvd.code, ws.close_rcvd.reason) == (4001, "custom 3000"))
    async with websockets.connect(base + "/cookie?set", extra_headers={"Cookie": "a=b"}) as ws:
        headers = ws.response_headers
        R.check("extra_headers go out with the 101",
                headers.get("Set-Cookie") == "foo=bar; Max-Age=86400"
                and headers.get("X-Handler") == "cookie", str(headers))
        R.check("headers_in is read case-insensitively", await ws.recv() == "a=b")
    async with websockets.connect(base + "/origin_check", origin="http://example.com") as ws:
        R.check("an accepted origin", await ws.recv() == "origin ok: http://example.com")
    R.check("an exception in do_extra_handshake refuses with 403",
            await handshake_status(base + "/origin_check", origin="http://evil.test") == 403)
    R.check("ws_protocol the client did not offer refuses the handshake (400)",
            await handshake_status(base + "/info", subprotocols=["unoffered"]) == 400)
    await info_checks(base)
    await exception_checks(base)
    async with websockets.connect(base + "/chat") as a:
        await a.send("a here")  # its own echo: a is a member
        got_a = [await asyncio.wait_for(a.recv(), TIMEOUT)]
        async with websockets.connect(base + "/chat") as b:
            await b.send("b here")  # to b itself and to a
            got_b = [await asyncio.wait_for(b.recv(), TIMEOUT)]
            await a.send("hello all")
            got_a += [await asyncio.wait_for(a.recv(), TIMEOUT) for _ in range(2)]
            got_b += [await asyncio.wait_for(b.recv(), TIMEOUT)]
        R.check("module state is shared: one connection's thread sends on another's stream",
                got_a == ["a here", "b here", "hello all"] and got_b == ["b here", "hello all"],
                f"{got_a} {got_b}")
    async with websockets.connect(base + "/threads") as ws:
        await ws.send("hello")
        got = [await ws.recv(), await ws.recv()]
        R.check("msgutil.MessageReceiver / MessageSender; mod_pywebsocket is pywebsocket3",
                got == ["got hello", "same classes: True"], str(got))
    R.check("a HandshakeException in do_extra_handshake refuses with 403, as any exception",
            await handshake_status(base + "/threads?refuse") == 403)
    R.check("subprotocols offered but none chosen refuses with 400",
            await handshake_status(base + "/sub/close", subprotocols=["x"]) == 400)


async def info_checks(base):
    async with websockets.connect(base + "/info?x=1", subprotocols=["chat.v1", "chat.v2"],
                                  origin="http://o.test", extra_headers={"X-Test": "T"}) as ws:
        info = json.loads(await ws.recv())
        R.check("the request as the handler sees it", info == {
            "uri": "/info?x=1", "resource": "/info?x=1", "origin": "http://o.test", "version": 13,
            "x_test": "T", "x_test_lower": "T", "missing": None, "all_x_test": ["T"],
            "protocols": ["chat.v1", "chat.v2"],
            "protocol": "chat.v2", "extensions": ["permessage-deflate"], "remote": "127.0.0.1"},
            str(info))
        R.check("the chosen subprotocol reaches the client", ws.subprotocol == "chat.v2")
        await ws.send("via msgutil")
        R.check("msgutil.receive_message / send_message", await ws.recv() == "via msgutil")
        R.check("msgutil.close_connection closes 1000", await closed_code(ws) == (1000, ""))


async def exception_checks(base):
    expected = {"bad": 1011, "frame": 1002, "unsupported": 1003, "utf8": 1007, "value": 1011}
    for name, code in expected.items():
        async with websockets.connect(base + "/exceptions") as ws:
            await ws.send(name)
            got = await closed_code(ws)
            R.check(f"{name} exception closes {code}", got[0] == code, str(got))
    async with websockets.connect(base + "/exceptions") as ws:
        await ws.send("terminated")
        got = await closed_code(ws)
        R.check("ConnectionTerminatedException ends the connection silently (no close frame)",
                got[0] == 1006, str(got))
    async with websockets.connect(base + "/internal_error") as ws:
        R.check("internal_error (BadOperationException) closes 1011",
                (await closed_code(ws))[0] == 1011)
    R.check("AbortedByUserException in the handshake drops it with no response",
            await handshake_status(base + "/abort_handshake") == "dropped")


def wire_checks(port, srv):
    c = Conn(port, "/fragments")
    frames = [c.read_frame() for _ in range(5)]
    R.check("send_message(end=False) sends fragments", frames == [
        (1, 0, b"ab"), (0, 0, b"cd"), (0, 1, b"ef"), (2, 0, b"\x00\x01"), (0, 1, b"\x02")],
        str(frames))
    c.close()
    c = Conn(port, "/sub/close")
    c.send(close())
    R.check("an empty close is answered with an empty close (code None)",
            c.read_frame() == (8, 1, b""))
    c.close()
    R.check("a handler's print() goes to the log",
            wait_for(lambda: "echo handler got Message to send" in "".join(srv.log)))
    c = Conn(port, "/info?y")
    R.check("the handler's ping goes out", c.read_events(2)[1:] == ["ping:ping-body"])
    c.close()
    R.check("the traceback of an exception is logged",
            wait_for(lambda: "Traceback" in "".join(srv.log) and "ValueError: raised on request"
                     in "".join(srv.log)))


def streaming_without_end(port, tmp):
    counter = os.path.join(tmp, "sent.txt")
    c = Conn(port, "/fragments?" + counter)
    c.send(text("stream"))  # and never read again

    def sent():
        try:
            return int(open(counter).read() or 0)
        except (OSError, ValueError):
            return -1

    # It must come to rest: two readings a second apart agree (within 15 s).
    readings = [sent()]
    for _ in range(15):
        time.sleep(1)
        readings.append(sent())
        if readings[-1] > 0 and readings[-1] == readings[-2]:
            break
    R.check("a handler sending without end stops at the watermark",
            readings[-1] > 0 and readings[-1] == readings[-2]
            and readings[-1] < 64 * 1024 * 1024, f"bytes sent: {readings}")
    c.close()


def closing_without_reading(port, srv):
    c = Conn(port, "/deaf?close")
    for _ in range(16):  # 1 MiB, past the 256 KiB the handler may leave unread
        c.send(text("z" * 65536))
    events = c.read_events(1)
    c.send(close(4003))
    R.check("a handler that closes without reading gets the client's reply (a clean close)",
            events == ["close:4003"] and wait_for(
                lambda: "close=4003 by=server clean"
                in "".join(srv.log)), str(events))
    c.close()


def never_reading_handler(port):
    c = Conn(port, "/deaf", timeout=2.0)
    sent = 0
    chunk = text("y" * 65536)
    for _ in range(2000):  # at most 128 MiB
        if not c.send(chunk):
            break
        sent += len(chunk)
    R.check("a client flooding a handler that never reads stops being read",
            0 < sent < 64 * 1024 * 1024, f"{sent} bytes accepted")
    c.close()


async def sleepers(base, n=50):
    async def one():
        async with websockets.connect(base + "/sleep", open_timeout=30) as ws:
            await ws.send("go")
            return await asyncio.wait_for(ws.recv(), 30)

    start = time.monotonic()
    got = await asyncio.gather(*[one() for _ in range(n)])
    took = time.monotonic() - start
    print(f"{n} connections to a handler sleeping 1 s answered in {took:.2f} s")
    R.check(f"{n} handlers sleeping 1 s run side by side", got == ["slept"] * n and took < 20,
            f"{took:.1f} s")
    return took


async def hostile(base, srv):
    async with websockets.connect(base + "/echo") as bystander:
        async with websockets.connect(base + "/spin") as spinner:
            await spinner.send("spin")
            await asyncio.sleep(0.3)
            await bystander.send("still here")
            R.check("an infinite loop in one handler does not stop another",
                    await asyncio.wait_for(bystander.recv(), TIMEOUT) == "still here")
        async with websockets.connect(base + "/crash") as crasher:
            await crasher.send("crash")
            R.check("a handler killing its interpreter closes 1011",
                    (await closed_code(crasher))[0] == 1011)
        await bystander.send("after the crash")
        R.check("other handlers' connections survive it",
                await asyncio.wait_for(bystander.recv(), TIMEOUT) == "after the crash")
    async with websockets.connect(base + "/crash") as again:
        await again.send("hello")
        R.check("the next connection gets a new host", await again.recv() == "hello")
    R.check("a handler that does not compile is not served (404)",
            await handshake_status(base + "/broken") == 404)
    R.check("... and is logged by path",
            wait_for(lambda: "broken_wsh.py" in "".join(srv.log) and "SyntaxError" in
                     "".join(srv.log)))
    async with websockets.connect(base + "/line") as ws:
        await ws.send("a line")
        R.check("an executable *_wsh.py without transfer_data is a line handler",
                await ws.recv() == "line: a line")


async def reload(base, srv, hdir):
    async with websockets.connect(base + "/sub/version") as old:
        await old.send("a")
        R.check("before the reload", await old.recv() == "v1:a")
        path = os.path.join(hdir, "sub", "version_wsh.py")
        src = open(path).read().replace("VERSION = 'v1'", "VERSION = 'v2'")
        open(path, "w").write(src)
        srv.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP" in "".join(srv.log), 5)
        async with websockets.connect(base + "/sub/version") as new:
            await new.send("b")
            R.check("SIGHUP: a new connection runs the new code", await new.recv() == "v2:b")
        await old.send("c")
        R.check("SIGHUP: an open connection keeps its code", await old.recv() == "v1:c")


async def thousand(base, srv, n=1000):
    conns = []
    for _ in range(n):
        conns.append(await websockets.connect(base + "/echo", open_timeout=30,
                                              compression=None))
    for i, ws in enumerate(conns):
        await ws.send(f"m{i}")
    got = await asyncio.gather(*[asyncio.wait_for(ws.recv(), 60) for ws in conns])
    R.check(f"{n} concurrent connections to the echo handler are served",
            got == [f"m{i}" for i in range(n)])
    pid = [p for p in host_pids(srv) if rss_kib(p) > 0]
    host = max((rss_kib(p) for p in pid), default=-1)
    server = srv.rss_kib()
    print(f"memory with {n} open Python connections: server {server} KiB, largest host {host} KiB")
    R.check(f"memory stays bounded with {n} connections (host < 512 MiB)",
            0 < host < 512 * 1024 and server < 512 * 1024, f"host {host} KiB server {server} KiB")
    await asyncio.gather(*[ws.close() for ws in conns])


def prepare(tmp):
    hdir = os.path.join(tmp, "handlers")
    shutil.copytree(os.path.join(HERE, "pywebsocket", "mod"), hdir)
    with open(os.path.join(hdir, "broken_wsh.py"), "w") as f:
        f.write("def web_socket_transfer_data(request):\n    return (\n")
    line = os.path.join(hdir, "line_wsh.py")
    with open(line, "w") as f:
        f.write("#!/usr/bin/python3\nimport sys\nfor l in sys.stdin:\n"
                "    print('line: ' + l.strip(), flush=True)\n")
    os.chmod(line, os.stat(line).st_mode | stat.S_IXUSR)
    for root, _, files in os.walk(hdir):
        for name in files:
            path = os.path.join(root, name)
            if path != line:
                os.chmod(path, 0o644)  # pywebsocket modules need no executable bit
    # ... and one that has it is still a module (it defines web_socket_transfer_data): the reload
    # checks below would fail if it were run as a line handler.
    os.chmod(os.path.join(hdir, "sub", "version_wsh.py"), 0o755)
    return hdir


async def pywebsocket3_folder(base):
    async with websockets.connect(base + "/echo") as ws:
        await ws.send("hi")
        await ws.send(b"\x01")
        R.check("pywebsocket3: echo", [await ws.recv(), await ws.recv()] == ["hi", b"\x01"])
    async with websockets.connect(base + "/deep/er/close") as ws:
        R.check("pywebsocket3: extra header, two folders down",
                ws.response_headers.get("X-Pywebsocket3") == "yes")
        await ws.send("4321")
        R.check("pywebsocket3: close_connection", await closed_code(ws) == (4321, "closing with 4321"))
    async with websockets.connect(base + "/deep/er/close") as ws:
        await ws.close(1001)
        R.check("pywebsocket3: passive closing handshake",
                (ws.close_rcvd.code, ws.close_rcvd.reason) == (1000, "bye"))
    async with websockets.connect(base + "/internal_error") as ws:
        R.check("pywebsocket3: BadOperationException closes 1011",
                (await closed_code(ws))[0] == 1011)
    async with websockets.connect(base + "/abort") as ws:
        await ws.send("x")
        R.check("pywebsocket3: AbortedByUserException drops the connection",
                (await closed_code(ws))[0] == 1006)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wsx", required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    with tempfile.TemporaryDirectory() as tmp:
        hdir = prepare(tmp)
        map_file = os.path.join(tmp, "handler_map.txt")
        with open(map_file, "w") as f:
            f.write("# alias existing\n/alias/echo /echo\n")
        with WsxServer(args.wsx, "-w", hdir, "-m", map_file) as srv:
            base = f"ws://127.0.0.1:{srv.port}"
            asyncio.run(api_checks(base))
            wire_checks(srv.port, srv)
            streaming_without_end(srv.port, tmp)
            never_reading_handler(srv.port)
            closing_without_reading(srv.port, srv)
            asyncio.run(sleepers(base))
            asyncio.run(hostile(base, srv))
            asyncio.run(reload(base, srv, hdir))
            asyncio.run(thousand(base, srv))
            pids = host_pids(srv)
            R.check("SIGTERM: the server exits 0", srv.stop() == 0)
            R.check("shutdown ends every Python host",
                    wait_for(lambda: all(rss_kib(p) < 0 for p in pids), 5), str(pids))
        with WsxServer(args.wsx, "-w", os.path.join(HERE, "pywebsocket", "pw3")) as srv:
            asyncio.run(pywebsocket3_folder(f"ws://127.0.0.1:{srv.port}"))
            R.check("SIGTERM: the server exits 0 (pywebsocket3 folder)", srv.stop() == 0)
    sys.exit(R.finish())


if __name__ == "__main__":
    socket.setdefaulttimeout(TIMEOUT * 3)
    main()
