#!/usr/bin/python3
"""`wsx connect wss://` against TLS servers made with Python's `websockets` and ssl module:
verification on by default (the test CA via --cacert or SSL_CERT_FILE, the system store without
it), the host name and IP address checks, an expired certificate, SNI sent for names and never
for IP literals, a client certificate for a server that requires one, --insecure, and wss://
through an HTTP CONNECT proxy. Exit status 7 means the TLS handshake failed. Every wait is
bounded."""

import argparse
import asyncio
import os
import shutil
import ssl
import sys

import websockets

from tls_certs import make_certs
from wsx_process import Results

R = Results("tls client")
PROXY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "client", "connect_proxy.py")


class TlsEchoServer:
    """A websockets echo server on 127.0.0.1 with `leaf`'s certificate; records the SNI names."""

    def __init__(self, p, leaf, client_ca=None):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(p(leaf + ".pem"), p(leaf + ".key"))
        if client_ca:
            self.ctx.load_verify_locations(p(client_ca))
            self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.sni = []
        self.peers = []
        self.ctx.sni_callback = lambda obj, name, ctx: self.sni.append(name)

    async def handler(self, ws, path=None):
        obj = ws.transport.get_extra_info("ssl_object")
        cert = obj.getpeercert()
        self.peers.append(dict(x[0] for x in cert["subject"]).get("commonName") if cert else None)
        async for m in ws:
            await ws.send(m)

    async def __aenter__(self):
        self.server = await websockets.serve(self.handler, "127.0.0.1", 0, ssl=self.ctx)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()


async def connect(wsx, url, *args, env=None):
    """Runs wsx connect -x hello; returns (exit status, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        wsx, "connect", url, "-x", "hello", "--no-env-proxy", *args,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 20)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return None, "", "timed out"
    return proc.returncode, out.decode(), err.decode()


async def verification(p, wsx):
    ca = ["--cacert", p("ca.pem")]
    async with TlsEchoServer(p, "server") as srv:
        url = f"wss://localhost:{srv.port}/"
        rc, out, err = await connect(wsx, url, *ca)
        R.check("wss:// echo with --cacert", rc == 0 and out == "< hello\n", (rc, out, err))
        R.check("SNI carries the host name", srv.sni[-1:] == ["localhost"], srv.sni)
        rc, out, err = await connect(wsx, f"wss://127.0.0.1:{srv.port}/", *ca)
        R.check("wss://127.0.0.1 checks the IP SAN", rc == 0 and out == "< hello\n", (rc, err))
        R.check("no SNI for an IP literal (RFC 6066)", srv.sni[-1:] == [None], srv.sni)
        rc, _, err = await connect(wsx, url)
        R.check("the test CA is not in the system store: exit 7", rc == 7 and "verify" in err, (rc, err))
        env = dict(os.environ, SSL_CERT_FILE=p("ca.pem"))
        rc, out, err = await connect(wsx, url, env=env)
        R.check("SSL_CERT_FILE is honoured", rc == 0 and out == "< hello\n", (rc, err))
        hashed = os.path.join(os.path.dirname(p("ca.pem")), "hashed")
        os.makedirs(hashed, exist_ok=True)
        shutil.copy(p("ca.pem"), hashed)
        rehash = await asyncio.create_subprocess_exec("openssl", "rehash", hashed)
        await rehash.wait()
        rc, out, err = await connect(wsx, url, "--capath", hashed)
        R.check("--capath (a hashed folder)", rc == 0 and out == "< hello\n", (rc, err))
    async with TlsEchoServer(p, "wrong") as srv:
        rc, _, err = await connect(wsx, f"wss://localhost:{srv.port}/", *ca)
        R.check("a certificate for another host: exit 7, hostname mismatch",
                rc == 7 and "hostname mismatch" in err.lower(), (rc, err))
        rc, _, err = await connect(wsx, f"wss://127.0.0.1:{srv.port}/", *ca)
        R.check("an IP address not in the certificate: exit 7, IP address mismatch",
                rc == 7 and "ip address mismatch" in err.lower(), (rc, err))
        rc, out, err = await connect(wsx, f"wss://localhost:{srv.port}/", "--insecure")
        R.check("--insecure accepts it (tests only)", rc == 0 and out == "< hello\n", (rc, err))
    async with TlsEchoServer(p, "expired") as srv:
        rc, _, err = await connect(wsx, f"wss://localhost:{srv.port}/", *ca)
        R.check("an expired certificate: exit 7", rc == 7 and "expired" in err, (rc, err))


async def client_certificates(p, wsx):
    ca = ["--cacert", p("ca.pem")]
    async with TlsEchoServer(p, "server", client_ca="ca.pem") as srv:
        url = f"wss://localhost:{srv.port}/"
        rc, out, err = await connect(wsx, url, *ca, "--cert", p("client.pem"), "--key", p("client.key"))
        R.check("a client certificate for a server that requires one",
                rc == 0 and out == "< hello\n" and srv.peers[-1:] == ["wsx test client"], (rc, err, srv.peers))
        rc, out, err = await connect(wsx, url, *ca)
        R.check("without it the connection fails", rc != 0 and out == "", (rc, err))
    rc, _, err = await connect(wsx, "wss://localhost:1/", "--cert", "/nonexistent.pem")
    R.check("an unreadable client certificate is a usage error (2)", rc == 2 and err, (rc, err))


async def through_proxy(p, wsx):
    proxy = await asyncio.create_subprocess_exec(sys.executable, PROXY, stdout=asyncio.subprocess.PIPE)
    try:
        line = (await asyncio.wait_for(proxy.stdout.readline(), 10)).decode()
        proxy_port = int(line.split()[1])
        async with TlsEchoServer(p, "server") as srv:
            rc, out, err = await connect(wsx, f"wss://localhost:{srv.port}/", "--cacert", p("ca.pem"),
                                         "--proxy", f"http://127.0.0.1:{proxy_port}")
            tunnel = (await asyncio.wait_for(proxy.stdout.readline(), 10)).decode().strip()
            R.check("wss:// through a CONNECT proxy: TLS inside the tunnel",
                    rc == 0 and out == "< hello\n" and tunnel == f"CONNECT localhost:{srv.port}"
                    and srv.sni[-1:] == ["localhost"], (rc, err, tunnel))
    finally:
        proxy.terminate()
        await proxy.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    d, p = make_certs()
    try:
        asyncio.run(verification(p, args.wsx))
        asyncio.run(client_certificates(p, args.wsx))
        asyncio.run(through_proxy(p, args.wsx))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
