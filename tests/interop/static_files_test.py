#!/usr/bin/python3
"""`wsx serve -d DIR`: the document root over raw HTTP/1.1 on loopback. Every rule: types, index,
redirects, conditional requests (304), HEAD, keep-alive and pipelining, 404/403/405, and no escape
from the root (.., %2e%2e, %2f, NUL, symlinks leading outside); a 16 MiB body sent with sendfile
arrives intact."""

import argparse
import hashlib
import os
import socket
import sys
import tempfile

from wsx_process import Results, WsxServer

R = Results("static files")


def request(port, raw, read_body=True):
    """Sends raw request bytes; returns a list of (status, headers dict, body) for each response."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(raw)
    buf = b""
    out = []
    expected = raw.count(b"\r\n\r\n")
    while len(out) < expected:
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(1 << 20)
            if not chunk:
                s.close()
                return out
            buf += chunk
        head, _, buf = buf.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v for k, v in (l.split(": ", 1) for l in lines[1:])}
        length = int(headers.get("content-length", "0"))
        is_head = raw.split(b"\r\n\r\n")[len(out)].startswith(b"HEAD")
        if is_head or status == 304:
            length = 0
        while len(buf) < length:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            buf += chunk
        out.append((status, headers, buf[:length]))
        buf = buf[length:]
    s.close()
    return out


def get(port, path, extra=b"", method=b"GET"):
    r = request(port, method + b" " + path + b" HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
    return r[0] if r else (0, {}, b"")


def make_root(base):
    root = os.path.join(base, "www")
    os.makedirs(os.path.join(root, "sub"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<h1>home</h1>")
    with open(os.path.join(root, "sub", "index.html"), "w") as f:
        f.write("<h1>sub</h1>")
    with open(os.path.join(root, "app.js"), "w") as f:
        f.write("console.log(1)")
    with open(os.path.join(root, "data.bin"), "wb") as f:
        f.write(os.urandom(16 << 20))
    with open(os.path.join(base, "secret.txt"), "w") as f:
        f.write("outside the root")
    os.symlink(os.path.join(base, "secret.txt"), os.path.join(root, "leak.txt"))
    os.symlink(os.path.join(root, "app.js"), os.path.join(root, "inside.js"))
    return root


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base:
        root = make_root(base)
        with WsxServer(args.wsx, "-d", root) as srv:
            p = srv.port
            st, h, body = get(p, b"/")
            R.check("/ serves index.html as text/html", st == 200 and body == b"<h1>home</h1>"
                    and h.get("content-type") == "text/html; charset=utf-8", (st, h))
            st, h, _ = get(p, b"/app.js")
            R.check("a .js file is text/javascript", h.get("content-type", "").startswith("text/javascript"), h)
            st, h, _ = get(p, b"/sub")
            R.check("a folder without its slash redirects (301)", st == 301 and h.get("location") == "/sub/", (st, h))
            st, _, body = get(p, b"/sub/")
            R.check("a folder serves its index.html", st == 200 and body == b"<h1>sub</h1>")
            st, h, body = get(p, b"/index.html", method=b"HEAD")
            R.check("HEAD: headers with the length, no body", st == 200 and h.get("content-length") == "13"
                    and body == b"", (st, h))
            etag, modified = h.get("etag"), h.get("last-modified")
            R.check("ETag and Last-Modified are sent", bool(etag) and bool(modified))
            st, h, _ = get(p, b"/index.html", b"If-None-Match: " + etag.encode() + b"\r\n")
            R.check("If-None-Match with the ETag gets 304 without a length", st == 304
                    and "content-length" not in h, (st, h))
            st, _, _ = get(p, b"/index.html", b"If-Modified-Since: " + modified.encode() + b"\r\n")
            R.check("If-Modified-Since the Last-Modified gets 304", st == 304, st)
            st, _, _ = get(p, b"/index.html", b"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n")
            R.check("an older If-Modified-Since gets 200", st == 200, st)
            st, _, _ = get(p, b"/index.html", b"If-None-Match: \"other\"\r\n")
            R.check("another ETag gets 200", st == 200, st)
            st, _, body = get(p, b"/missing.html")
            R.check("a missing file is 404 with a small body", st == 404 and 0 < len(body) < 100, st)
            st, h, _ = get(p, b"/", method=b"DELETE")
            R.check("DELETE is 405 with Allow", st == 405 and "GET" in h.get("allow", ""), (st, h))
            for attempt in (b"/../secret.txt", b"/sub/../../secret.txt", b"/%2e%2e/secret.txt",
                            b"/%2E%2E%2fsecret.txt", b"/sub%2f..%2f..%2fsecret.txt", b"/leak.txt"):
                st, _, body = get(p, attempt)
                R.check(f"no escape: {attempt.decode()}", st in (400, 403, 404) and b"outside" not in body, st)
            st, _, _ = get(p, b"/index.html%00.js")
            R.check("an encoded NUL is refused (400)", st == 400, st)
            st, _, body = get(p, b"/inside.js")
            R.check("a symlink that stays inside the root is served", st == 200 and body == b"console.log(1)", st)
            st, _, body = get(p, b"/data.bin")
            with open(os.path.join(root, "data.bin"), "rb") as f:
                want = hashlib.sha256(f.read()).hexdigest()
            R.check("a 16 MiB body arrives intact (sendfile)", st == 200 and hashlib.sha256(body).hexdigest() == want)
            pipelined = request(p, b"GET /data.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /app.js HTTP/1.1\r\nHost: x\r\n\r\n"
                                   b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            R.check("three pipelined requests on one connection, answered in order",
                    [r[0] for r in pipelined] == [200, 200, 200] and len(pipelined[0][2]) == 16 << 20
                    and pipelined[1][2] == b"console.log(1)", [r[0] for r in pipelined])
            r = request(p, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            R.check("Connection: close is honoured", r and r[0][1].get("connection") == "close")
            r = request(p, b"GET / HTTP/1.0\r\n\r\n")
            R.check("HTTP/1.0 without Host is served and closed", r and r[0][0] == 200
                    and r[0][1].get("connection") == "close")
            s = socket.create_connection(("127.0.0.1", p), timeout=10)
            s.sendall(b"GET /missing HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
            R.check("a WebSocket request for a path with no handler falls through to the root (404)",
                    s.recv(100).startswith(b"HTTP/1.1 404"))
            s.close()
            for method in (b"GET", b"HEAD"):
                st, h, _ = get(p, b"/echo?x=1", method=method)
                R.check(f"a plain {method.decode()} of a WebSocket resource is 426 with Upgrade: websocket",
                        st == 426 and h.get("upgrade") == "websocket"
                        and h.get("sec-websocket-version") == "13", (st, h))
            R.check("a POST to it is 405", get(p, b"/echo", method=b"POST")[0] == 405)
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)
        basic_auth(args, root)
    return R.finish()


def basic_auth(args, root):
    import base64
    good = b"Authorization: Basic " + base64.b64encode(b"alice:s3cret") + b"\r\n"
    bad = b"Authorization: Basic " + base64.b64encode(b"alice:wrong") + b"\r\n"
    ws = (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          b"Sec-WebSocket-Version: 13\r\n")
    with WsxServer(args.wsx, "-d", root, "--basic-auth", "--basic-auth-credential", "alice:s3cret") as srv:
        st, h, _ = get(srv.port, b"/")
        R.check("basic auth: a page without credentials gets 401 with a Basic challenge",
                st == 401 and h.get("www-authenticate", "").startswith("Basic realm="), (st, h))
        R.check("basic auth: wrong credentials get 401", get(srv.port, b"/", bad)[0] == 401)
        R.check("basic auth: the right credentials get the page", get(srv.port, b"/", good)[0] == 200)
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n" + ws + b"\r\n")
        head = s.recv(4096)
        R.check("basic auth: a WebSocket upgrade without credentials gets 401",
                head.startswith(b"HTTP/1.1 401") and b"WWW-Authenticate: Basic" in head, head[:60])
        s.close()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\n" + ws + good + b"\r\n")
        R.check("basic auth: a WebSocket upgrade with them gets 101", s.recv(4096).startswith(b"HTTP/1.1 101"))
        s.close()
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
