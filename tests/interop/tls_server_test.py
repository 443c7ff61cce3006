#!/usr/bin/python3
"""`wsx serve -t` against independent TLS clients (Python's ssl module, `websockets`, urllib):
wss:// and https:// with the test CA, TLS 1.2 and 1.3, ALPN http/1.1, certificates chosen by SNI,
mutual TLS (required and optional), CGI's HTTPS and SSL_CLIENT_* variables, a file body over TLS,
plain HTTP on the TLS port (400) and TLS on a plain port (400), and certificates reloaded on
SIGHUP while an open connection keeps going. Every wait is bounded by socket timeouts."""

import argparse
import asyncio
import hashlib
import os
import shutil
import signal
import socket
import ssl
import sys
import time
import subprocess
import urllib.request
import warnings

import websockets

from tls_certs import make_certs
from wsx_process import Results, WsxServer

R = Results("tls server")


def client_context(p, cert=None, tls=None):
    ctx = ssl.create_default_context(cafile=p("ca.pem"))
    if cert:
        ctx.load_cert_chain(p(cert + ".pem"), p(cert + ".key"))
    if tls:
        ctx.minimum_version = ctx.maximum_version = tls
    return ctx


def handshake(port, ctx, server_hostname="localhost", alpn=None):
    """A bare TLS handshake: (protocol version, ALPN, peer certificate's CN), or the exception."""
    if alpn:
        ctx.set_alpn_protocols(alpn)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_hostname) as s:
                cn = dict(x[0] for x in s.getpeercert()["subject"]).get("commonName")
                return s.version(), s.selected_alpn_protocol(), cn
    except (ssl.SSLError, OSError) as e:
        return e


async def echo(url, ctx, messages=("Message to send", b"\x00\x01\xff")):
    try:
        async with websockets.connect(url, ssl=ctx, open_timeout=10) as ws:
            out = []
            for m in messages:
                await ws.send(m)
                out.append(await asyncio.wait_for(ws.recv(), 10))
            await ws.send("Goodbye")
            out.append(await asyncio.wait_for(ws.recv(), 10))
            await asyncio.wait_for(ws.wait_closed(), 10)
            return out == [*messages, "Goodbye"] and ws.close_code == 1000
    except (OSError, ssl.SSLError, websockets.exceptions.WebSocketException) as e:
        return e


def basics(p, wsx, root):
    tls = ["-t", "-k", p("server.key"), "-c", p("server.pem"), "-d", root, "-x", "/cgi-bin",
           "--tls-sni", p("other.pem") + ":" + p("other.key")]
    with WsxServer(wsx, *tls) as srv:
        port = srv.port
        R.check("wss:// echo (text, binary, Goodbye, close 1000)",
                asyncio.run(echo(f"wss://localhost:{port}/echo", client_context(p))) is True)
        R.check("wss://127.0.0.1: the IP address matches the certificate's IP SAN",
                asyncio.run(echo(f"wss://127.0.0.1:{port}/echo", client_context(p))) is True)
        for v, name in [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")]:
            r = handshake(port, client_context(p, tls=v), alpn=["http/1.1"])
            R.check(f"{name} handshake, ALPN http/1.1 chosen", r == (name, "http/1.1", "localhost"), r)
        ctx = client_context(p)
        warnings.simplefilter("ignore", DeprecationWarning)  # the old versions, on purpose
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        R.check("TLS 1.1 is refused", isinstance(handshake(port, ctx), Exception))
        r = handshake(port, client_context(p), alpn=["h2"])
        R.check("a client offering only h2 goes on without ALPN", r == ("TLSv1.3", None, "localhost"), r)
        r = handshake(port, client_context(p), server_hostname="other.example")
        R.check("SNI other.example gets the other certificate", r == ("TLSv1.3", None, "other.example"), r)
        body = urllib.request.urlopen(f"https://localhost:{port}/big.bin", timeout=10,
                                      context=client_context(p)).read()
        want = hashlib.sha256(open(os.path.join(root, "big.bin"), "rb").read()).hexdigest()
        R.check("https:// file body (3 MiB) arrives whole", hashlib.sha256(body).hexdigest() == want)
        env = urllib.request.urlopen(f"https://localhost:{port}/cgi-bin/env.sh", timeout=10,
                                     context=client_context(p)).read().decode()
        R.check("CGI over TLS sees HTTPS=on and no client certificate",
                "HTTPS=on" in env and "SSL_CLIENT_VERIFY=NONE" in env and "SSL_TLS_SNI=localhost" in env, env)
        plain_http_on_tls_port(port)
        for _ in range(50):  # the log is read by a thread: bounded wait for the line
            if any("TLS: plain HTTP request on a TLS port" in line for line in srv.log):
                break
            time.sleep(0.1)
        R.check("... with a warn line naming it",
                any(" warn " in line and "plain HTTP request on a TLS port" in line for line in srv.log))
        R.check("server still serves after all that",
                asyncio.run(echo(f"wss://localhost:{port}/echo", client_context(p))) is True)
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    with WsxServer(wsx) as srv:
        tls_on_plain_port(p, srv.port)
        srv.stop()


def read_all(s, limit=5.0):
    s.settimeout(limit)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def plain_http_on_tls_port(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        start = time.monotonic()
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        out = read_all(s)
        R.check("plain HTTP on the TLS port gets 400 and the connection closed",
                out.startswith(b"HTTP/1.1 400 ") and b"TLS" in out and time.monotonic() - start < 4, out)


def tls_on_plain_port(p, port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        start = time.monotonic()
        r = None
        try:
            client_context(p).wrap_socket(raw, server_hostname="localhost")
        except (ssl.SSLError, OSError) as e:
            r = e
        R.check("TLS on a plain port fails fast, not a hang",
                r is not None and time.monotonic() - start < 4, repr(r))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(bytes.fromhex("160301") + b"\x00\x05hello")
        out = read_all(s)
        R.check("a TLS record on a plain port gets 400", out.startswith(b"HTTP/1.1 400 "), out[:60])


def mutual(p, wsx, root):
    base = ["-t", "-k", p("server.key"), "-c", p("server.pem"), "-d", root, "-x", "/cgi-bin",
            "-w", os.path.join(root, "handlers"), "--tls-client-auth", "--tls-client-ca", p("ca.pem")]
    with WsxServer(wsx, *base) as srv:
        url = f"wss://localhost:{srv.port}/echo"
        R.check("mutual TLS: a client certificate from the CA is let in",
                asyncio.run(echo(url, client_context(p, "client"))) is True)
        R.check("mutual TLS: no client certificate is refused",
                asyncio.run(echo(url, client_context(p))) is not True)
        R.check("mutual TLS: a certificate from another CA is refused",
                asyncio.run(echo(url, client_context(p, "rogue"))) is not True)
        env = urllib.request.urlopen(f"https://localhost:{srv.port}/cgi-bin/env.sh", timeout=10,
                                     context=client_context(p, "client")).read().decode()
        lines = asyncio.run(handler_lines(f"wss://localhost:{srv.port}/tls", client_context(p, "client")))
        R.check("an executable handler sees HTTPS=on and the client certificate's subject",
                lines == ["HTTPS=on", f"SSL_CLIENT_S_DN={rfc2253(p, 'subject')}"], lines)
        lines = asyncio.run(handler_lines(f"wss://localhost:{srv.port}/native_tls", client_context(p, "client")))
        R.check("a native handler sees HTTPS=on and the subject through host->variable()",
                lines == ["HTTPS=on", f"SSL_CLIENT_S_DN={rfc2253(p, 'subject')}"], lines)
        lines = asyncio.run(handler_lines(f"wss://localhost:{srv.port}/pytls", client_context(p, "client")))
        R.check("a pywebsocket handler sees is_https() and subprocess_env's SSL_CLIENT_S_DN",
                lines == ["is_https=True", f"SSL_CLIENT_S_DN={rfc2253(p, 'subject')}"], lines)
        R.check("CGI sees the client certificate's subject and issuer (SSL_CLIENT_S_DN, RFC 2253)",
                f"SSL_CLIENT_S_DN={rfc2253(p, 'subject')}\n" in env
                and "SSL_CLIENT_VERIFY=SUCCESS" in env
                and f"SSL_CLIENT_I_DN={rfc2253(p, 'issuer')}\n" in env, env)
        srv.stop()
    with WsxServer(wsx, *base, "--tls-client-cert-optional") as srv:
        url = f"wss://localhost:{srv.port}/echo"
        R.check("optional client certificates: none is fine",
                asyncio.run(echo(url, client_context(p))) is True)
        R.check("optional client certificates: a good one is fine",
                asyncio.run(echo(url, client_context(p, "client"))) is True)
        R.check("optional client certificates: a bad one is refused",
                asyncio.run(echo(url, client_context(p, "rogue"))) is not True)
        srv.stop()


async def handler_lines(url, ctx):
    """The messages an executable handler sends before it exits (and the WebSocket closes)."""
    async with websockets.connect(url, ssl=ctx, open_timeout=10) as ws:
        out = []
        try:
            while True:
                out.append(await asyncio.wait_for(ws.recv(), 10))
        except websockets.exceptions.ConnectionClosed:
            return out


def rfc2253(p, which):
    """The client certificate's subject or issuer as `openssl x509 -nameopt RFC2253` prints it."""
    out = subprocess.run(["openssl", "x509", "-in", p("client.pem"), "-noout", "-" + which,
                          "-nameopt", "RFC2253"], capture_output=True, text=True, check=True).stdout
    return out.strip().split("=", 1)[1]


async def open_echoer(url, ctx):
    ws = await websockets.connect(url, ssl=ctx, open_timeout=10)
    await ws.send("before")
    assert await asyncio.wait_for(ws.recv(), 10) == "before"
    return ws


def reload_on_sighup(p, wsx):
    d = os.path.dirname(p("ca.pem"))
    live_cert, live_key = os.path.join(d, "live.pem"), os.path.join(d, "live.key")
    shutil.copy(p("server.pem"), live_cert)
    shutil.copy(p("server.key"), live_key)
    no_name_check = client_context(p)
    no_name_check.check_hostname = False
    with WsxServer(wsx, "-t", "-k", live_key, "-c", live_cert) as srv:
        port = srv.port

        async def scenario():
            ws = await open_echoer(f"wss://localhost:{port}/echo", client_context(p))
            shutil.copy(p("other.pem"), live_cert)
            shutil.copy(p("other.key"), live_key)
            srv.proc.send_signal(signal.SIGHUP)
            await asyncio.sleep(0.5)  # a log line would be better; the next check retries anyway
            r = None
            for _ in range(50):
                r = handshake(port, client_context(p), server_hostname="other.example")
                if isinstance(r, tuple) and r[2] == "other.example":
                    break
                await asyncio.sleep(0.1)
            R.check("SIGHUP: new connections get the new certificate", isinstance(r, tuple) and r[2] == "other.example", r)
            await ws.send("after")
            R.check("SIGHUP: a connection opened before keeps working",
                    await asyncio.wait_for(ws.recv(), 10) == "after")
            await ws.close()
            open(live_cert, "w").write("not a certificate\n")
            srv.proc.send_signal(signal.SIGHUP)
            for _ in range(50):
                if any("not reloaded" in line for line in srv.log):
                    break
                await asyncio.sleep(0.1)
            R.check("SIGHUP with a broken certificate file is logged", any("not reloaded" in l for l in srv.log))
            r = handshake(port, no_name_check, server_hostname="other.example")
            R.check("... and the last good certificate stays", isinstance(r, tuple) and r[2] == "other.example", r)

        asyncio.run(scenario())
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)


def document_root():
    root = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"wsx-tls-root-{os.getpid()}")
    os.makedirs(os.path.join(root, "cgi-bin"), exist_ok=True)
    with open(os.path.join(root, "big.bin"), "wb") as f:
        f.write(os.urandom(3 * 1024 * 1024))
    script = os.path.join(root, "cgi-bin", "env.sh")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv | grep -E '^(HTTPS|SSL_|REQUEST_SCHEME)' | sort\n")
    os.chmod(script, 0o755)
    os.makedirs(os.path.join(root, "handlers"), exist_ok=True)
    handler = os.path.join(root, "handlers", "tls_wsh.sh")
    with open(handler, "w") as f:
        f.write('#!/bin/sh\necho "HTTPS=$HTTPS"\necho "SSL_CLIENT_S_DN=$SSL_CLIENT_S_DN"\n')
    os.chmod(handler, 0o755)
    with open(os.path.join(root, "handlers", "pytls_wsh.py"), "w") as f:  # pywebsocket's style
        f.write("def web_socket_do_extra_handshake(request):\n    pass\n\n\n"
                "def web_socket_transfer_data(request):\n"
                "    request.ws_stream.send_message('is_https=%s' % request.is_https())\n"
                "    request.ws_stream.send_message('SSL_CLIENT_S_DN=%s'\n"
                "                                   % request.subprocess_env.get('SSL_CLIENT_S_DN'))\n")
    return root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--native-handler", required=True, help="tls_info_wsh.so")
    args = ap.parse_args()
    d, p = make_certs()
    root = document_root()
    shutil.copy(args.native_handler, os.path.join(root, "handlers", "native_tls_wsh.so"))
    try:
        basics(p, args.wsx, root)
        mutual(p, args.wsx, root)
        reload_on_sighup(p, args.wsx)
    finally:
        shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
