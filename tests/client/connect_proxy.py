#!/usr/bin/python3
"""An HTTP CONNECT proxy for the client tests (RFC 9110 §9.3.6), on asyncio: prints "listening
PORT", then "CONNECT authority [auth]" for each tunnel asked for. Hosts ending in ".test" resolve
to 127.0.0.1 here (so a test can name a host the client itself cannot resolve); "forbidden.test"
gets 403. With --require-auth USER:PASS, a request without that Proxy-Authorization gets 407."""

import argparse
import asyncio
import base64
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


def make_handler(required):
    async def handle(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, authority, _ = lines[0].split(" ")
        fields = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        auth = fields.get("proxy-authorization", "")
        print(f"CONNECT {authority} {auth}".strip(), flush=True)
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        if required and auth != "Basic " + base64.b64encode(required.encode()).decode():
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        host, _, port = authority.rpartition(":")
        host = host.strip("[]")
        if host == "forbidden.test":
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        if host.endswith(".test"):
            host = "127.0.0.1"
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    return handle


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--require-auth", default="")
    args = ap.parse_args()
    server = await asyncio.start_server(make_handler(args.require_auth), "127.0.0.1", 0)
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
