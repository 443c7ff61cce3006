#!/usr/bin/python3
"""CGI/1.1 under `wsx serve -d ROOT -x /cgi-bin`: the environment (RFC 3875 §4.1), request bodies
on stdin (Content-Length, Expect: 100-continue, 411, 413), the script's header section turned into
the response (Status, Location, Content-Length, chunked otherwise, close-delimited for HTTP/1.0),
and the hostile cases: malformed or missing headers (502), a body shorter than announced, a script
that takes too long (504, killed), a cap on running scripts (503), a client that goes away (the
script is ended), a script that floods a client that does not read (memory bounded), traversal and
non-executables (403). Responses are read with Python's http.client, a client no one here wrote;
raw sockets only where the wire itself is the point. Every wait is bounded."""

import argparse
import hashlib
import http.client
import json
import os
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("cgi")

SCRIPTS = {
    "env.py": """#!/usr/bin/python3
import hashlib, json, os, sys
body = sys.stdin.buffer.read()
sys.stderr.write("env.py ran\\n")
sys.stdout.write("Content-Type: application/json\\r\\n\\r\\n")
sys.stdout.write(json.dumps({"env": dict(os.environ), "len": len(body),
                             "sha": hashlib.sha256(body).hexdigest(), "cwd": os.getcwd()}))
""",
    "status.sh": "#!/bin/sh\nprintf 'Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnot here\\n'\n",
    "redirect.sh": "#!/bin/sh\nprintf 'Location: http://example.com/elsewhere\\n\\n'\n",
    "length.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 5\\nConnection: keep-alive\\n\\nhello'\n",
    "short.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\nContent-Length: 100\\n\\nonly this'\n",
    "garbage.sh": "#!/bin/sh\nprintf 'this is not a header\\n\\nbody'\n",
    "silent.sh": "#!/bin/sh\nexit 0\n",
    "fails.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\npartial answer'\nexit 3\n",
    "hang.sh": "#!/bin/sh\necho $$ > hang.pid\nexec sleep 600\n",
    "stall.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nbegun'\necho $$ > stall.pid\nexec sleep 600\n",
    "block.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\necho started > started.flag\n"
                "read line < release.fifo\necho \"released $line\"\n",
    "abandon.sh": "#!/bin/sh\necho $$ > abandon.pid\nexec sleep 600\n",
    "flood.sh": "#!/bin/sh\necho $$ > flood.pid\nprintf 'Content-Type: text/plain\\n\\n'\n"
                "exec yes 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n",
}


def make_root(base):
    root = os.path.join(base, "www")
    cgi = os.path.join(root, "cgi-bin")
    os.makedirs(os.path.join(cgi, "sub"))
    with open(os.path.join(root, "index.html"), "w") as f:
        f.write("<p>static</p>\n")
    for name, body in SCRIPTS.items():
        path = os.path.join(cgi, name)
        with open(path, "w") as f:
            f.write(body)
        os.chmod(path, 0o755)
    with open(os.path.join(cgi, "plain.txt"), "w") as f:
        f.write("not executable\n")
    outside = os.path.join(base, "outside.sh")
    with open(outside, "w") as f:
        f.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nescaped'\n")
    os.chmod(outside, 0o755)
    os.symlink(outside, os.path.join(cgi, "escape.sh"))
    os.mkfifo(os.path.join(cgi, "release.fifo"))
    return root, cgi


def fetch(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def cut_short(port, path):
    """The partial body if http.client finds the response cut short, else None."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        c.getresponse().read()
        return None
    except http.client.IncompleteRead as e:
        return e.partial
    finally:
        c.close()


def raw(port, data, until=b"", timeout=10.0):
    """Sends bytes; reads until `until` is seen (or EOF, or the timeout)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (not until or until not in buf):
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf


def wait_for(pred, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def pid_in(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def running(pid):
    # A zombie counts as gone: it has exited (the server reaps it; check the state, not the pid).
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def environment_and_bodies(srv, port, cgi):
    status, h, data = fetch(port, "GET", "/cgi-bin/env.py/extra/path?a=1&b=%20x",
                            headers={"X_Custom": "spoofed", "X-Custom": "yes", "X-Custom2": "two",
                                     "Proxy": "http://evil:1",
                                     "Authorization": "Bearer secret"})
    R.check("GET runs the script: 200", status == 200, status)
    R.check("no length from the script: chunked for HTTP/1.1",
            h.get("transfer-encoding") == "chunked" and "content-length" not in h, h)
    env = json.loads(data)["env"] if status == 200 else {}
    expect = {"GATEWAY_INTERFACE": "CGI/1.1", "REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1",
              "SCRIPT_NAME": "/cgi-bin/env.py", "PATH_INFO": "/extra/path", "QUERY_STRING": "a=1&b=%20x",
              "REQUEST_URI": "/cgi-bin/env.py/extra/path?a=1&b=%20x", "REMOTE_ADDR": "127.0.0.1",
              "SERVER_PORT": str(port), "SERVER_NAME": "127.0.0.1", "HTTP_X_CUSTOM": "yes",
              "HTTP_X_CUSTOM2": "two", "SCRIPT_FILENAME": os.path.join(os.path.realpath(cgi), "env.py")}
    wrong = {k: env.get(k) for k, v in expect.items() if env.get(k) != v}
    R.check("RFC 3875 variables: method, protocol, script, path info, query, remote, server, HTTP_*",
            not wrong, wrong)
    R.check("PATH_TRANSLATED is the path info under the root",
            env.get("PATH_TRANSLATED", "").endswith("/www/extra/path"), env.get("PATH_TRANSLATED"))
    R.check("no HTTP_PROXY (httpoxy), no credentials, no field name with '_' passing for another",
            "HTTP_PROXY" not in env and "HTTP_AUTHORIZATION" not in env and env.get("HTTP_X_CUSTOM") == "yes")
    R.check("no CONTENT_LENGTH without a body", "CONTENT_LENGTH" not in env)
    R.check("the script runs in its own folder",
            status == 200 and json.loads(data)["cwd"] == os.path.realpath(cgi))
    R.check("its stderr goes to the log", wait_for(lambda: "CGI stderr: env.py ran" in "".join(srv.log)))

    body = os.urandom(50_000)
    status, h, data = fetch(port, "POST", "/cgi-bin/env.py", body=body,
                            headers={"Content-Type": "application/octet-stream"})
    got = json.loads(data) if status == 200 else {"env": {}}
    R.check("POST: the body arrives whole on stdin (50,000 random bytes, same SHA-256)",
            got.get("len") == len(body) and got.get("sha") == hashlib.sha256(body).hexdigest(), got.get("len"))
    R.check("... with CONTENT_LENGTH and CONTENT_TYPE",
            got["env"].get("CONTENT_LENGTH") == "50000"
            and got["env"].get("CONTENT_TYPE") == "application/octet-stream")

    # RFC 9110 §10.1.1: the client waits for 100 Continue before it sends the body.
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /cgi-bin/env.py HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
              b"Content-Length: 5\r\nConnection: close\r\n\r\n")
    interim = s.recv(100)
    R.check("Expect: 100-continue gets 100 Continue before the body is sent",
            interim == b"HTTP/1.1 100 Continue\r\n\r\n", interim)
    s.sendall(b"12345")
    rest = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.close()
    R.check("... then the response, with the body read", rest.startswith(b"HTTP/1.1 200") and b'"len": 5' in rest,
            rest[:40])

    status, _, _ = fetch(port, "POST", "/cgi-bin/env.py", body=b"x" * 70_000)
    R.check("a body past --max-request-body: 413", status == 413, status)
    reply = raw(port, b"POST /cgi-bin/env.py HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\n0\r\n\r\n")
    R.check("a chunked request body: 411 Length Required", reply.startswith(b"HTTP/1.1 411"), reply[:20])


def responses(port):
    status, _, data = fetch(port, "GET", "/cgi-bin/status.sh")
    R.check("Status: 404 from the script is the response's status, with its body",
            status == 404 and data == b"not here\n", (status, data))
    status, h, _ = fetch(port, "GET", "/cgi-bin/redirect.sh")
    R.check("Location without Status: 302 to it", status == 302
            and h.get("location") == "http://example.com/elsewhere", (status, h))

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    bodies = []
    for _ in range(3):
        c.request("GET", "/cgi-bin/length.sh")
        r = c.getresponse()
        bodies.append((r.status, r.getheader("Content-Length"), r.getheader("Transfer-Encoding"), r.read()))
    c.close()
    R.check("the script's Content-Length is used (no chunks), and the connection kept for 3 requests",
            bodies == [(200, "5", None, b"hello")] * 3, bodies)

    reply = raw(port, b"GET /cgi-bin/length.sh HTTP/1.1\r\nHost: h\r\n\r\n"
                      b"GET /cgi-bin/status.sh HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    first, second = reply.find(b"HTTP/1.1 200"), reply.find(b"HTTP/1.1 404")
    R.check("pipelined requests are answered in order", 0 == first < second, reply[:60])
    R.check("the script's hop-by-hop fields are dropped (its Connection: keep-alive)",
            b"keep-alive" not in reply.lower())

    reply = raw(port, b"GET /cgi-bin/env.py HTTP/1.0\r\n\r\n")
    head = reply.split(b"\r\n\r\n")[0].lower()
    R.check("HTTP/1.0 without a length: no chunks, Connection: close, the body ends with the connection",
            reply.startswith(b"HTTP/1.1 200") and b"transfer-encoding" not in head
            and b"connection: close" in head and reply.endswith(b"}"), reply[:80])

    status, h, data = fetch(port, "HEAD", "/cgi-bin/length.sh")
    R.check("HEAD: the script's fields, no body", status == 200 and h.get("content-length") == "5"
            and data == b"", (status, h))

    status, _, data = fetch(port, "GET", "/cgi-bin/garbage.sh")
    R.check("a malformed header section: 502", status == 502, status)
    status, _, _ = fetch(port, "GET", "/cgi-bin/silent.sh")
    R.check("no output at all: 502", status == 502, status)
    status, _, data = fetch(port, "GET", "/cgi-bin/fails.sh")
    R.check("a script that answers then exits 3: its answer stands", status == 200
            and data == b"partial answer", (status, data))

    R.check("a body shorter than the script's Content-Length is seen as cut short",
            cut_short(port, "/cgi-bin/short.sh") == b"only this")


def refusals(port):
    cases = [("/cgi-bin/plain.txt", 403, "not executable"),
             ("/cgi-bin/", 403, "a folder"),
             ("/cgi-bin/sub", 403, "a subfolder"),
             ("/cgi-bin/nothing.py", 404, "missing"),
             ("/cgi-bin/../cgi-bin/env.py", 403, ".."),
             ("/cgi-bin/%2e%2e/index.html", 403, "%2e%2e"),
             ("/cgi-bin/escape.sh", 403, "a symlink leading outside the root")]
    for path, want, why in cases:
        status, _, _ = fetch(port, "GET", path)
        R.check(f"{why}: {want}", status == want, (path, status))
    status, _, data = fetch(port, "GET", "/index.html")
    R.check("outside the CGI folders the document root serves files", status == 200 and data == b"<p>static</p>\n")
    status, _, _ = fetch(port, "POST", "/index.html", body=b"x")
    R.check("... and still refuses other methods there (405)", status == 405, status)


def reaped(pid):
    # Gone from the process table: the server (its parent) has reaped it and freed its slot.
    return not os.path.exists(f"/proc/{pid}")


def hostile(args, root, cgi):
    # One loop thread: a script's slot is freed when the server reaps it, and with one loop a
    # request made after that is served after it.
    with WsxServer(args.wsx, "-d", root, "-x", "/cgi-bin", "--cgi-timeout", "1",
                   "--max-cgi-processes", "1", "--threads", "1") as srv:
        port = srv.port
        status, _, _ = fetch(port, "GET", "/cgi-bin/hang.sh")
        R.check("a script silent past --cgi-timeout: 504", status == 504, status)
        pid = pid_in(os.path.join(cgi, "hang.pid"))
        R.check("... and it is ended, and reaped", pid is not None and wait_for(lambda: reaped(pid)), pid)

        R.check("a script that stalls after its header: the body is cut short (no last chunk)",
                cut_short(port, "/cgi-bin/stall.sh") == b"begun")
        pid = pid_in(os.path.join(cgi, "stall.pid"))
        R.check("... and it is ended, and reaped", pid is not None and wait_for(lambda: reaped(pid)), pid)

        # --max-cgi-processes 1: one script blocked on a FIFO holds the only slot.
        result = {}

        def first():
            result["first"] = fetch(port, "GET", "/cgi-bin/block.sh")

        t = threading.Thread(target=first)
        t.start()
        flag = os.path.join(cgi, "started.flag")
        R.check("the blocking script started", wait_for(lambda: os.path.exists(flag)))
        status, h, _ = fetch(port, "GET", "/cgi-bin/length.sh")
        R.check("past --max-cgi-processes: 503 with Retry-After", status == 503 and "retry-after" in h,
                status)
        with open(os.path.join(cgi, "release.fifo"), "w") as fifo:
            fifo.write("now\n")
        t.join(10)
        R.check("... and the first one completes", result.get("first", (0, 0, b""))[2] == b"released now\n",
                result.get("first"))

        R.check("server still up", srv.alive())
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)

    with WsxServer(args.wsx, "-d", root, "-x", "/cgi-bin") as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /cgi-bin/abandon.sh HTTP/1.1\r\nHost: h\r\n\r\n")
        pidfile = os.path.join(cgi, "abandon.pid")
        R.check("the abandoned script started", wait_for(lambda: pid_in(pidfile) is not None))
        s.close()
        pid = pid_in(pidfile)
        R.check("a client that goes away ends its script (before the timeout)",
                pid is not None and wait_for(lambda: not running(pid)), pid)
        R.check("... logged as such", wait_for(lambda: "client closed the connection before the response"
                                               in "".join(srv.log)))
        before = srv.rss_kib()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.sendall(b"GET /cgi-bin/flood.sh HTTP/1.1\r\nHost: h\r\n\r\n")
        pidfile = os.path.join(cgi, "flood.pid")
        R.check("the flooding script started", wait_for(lambda: pid_in(pidfile) is not None))
        time.sleep(1.0)  # it floods while this client reads nothing (not needed to pass)
        grown = (srv.rss_kib() - before) // 1024
        R.check("a script flooding a client that does not read is paused (RSS +%d MiB)" % grown, grown < 32)
        got = 0
        while got < 8 << 20:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        R.check("... and its output flows once the client reads (8 MiB)", got >= 8 << 20, got)
        s.close()
        pid = pid_in(pidfile)
        R.check("... and ends when the client goes", pid is not None and wait_for(lambda: not running(pid)))

        pidfile = os.path.join(cgi, "hang.pid")
        os.remove(pidfile)
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        s.sendall(b"GET /cgi-bin/hang.sh HTTP/1.1\r\nHost: h\r\n\r\n")
        R.check("a script is running at shutdown", wait_for(lambda: pid_in(pidfile) is not None))
        R.check("SIGTERM with a script running: exit 0", srv.stop() == 0, "".join(srv.log)[-400:])
        R.check("... and the script does not outlive the server", not running(pid_in(pidfile)))
        s.close()


def basic_auth(args, root):
    with WsxServer(args.wsx, "-d", root, "-x", "/cgi-bin", "--basic-auth",
                   "--basic-auth-credential", "alice:pw") as srv:
        status, _, _ = fetch(srv.port, "GET", "/cgi-bin/env.py")
        R.check("--basic-auth guards CGI scripts too (401)", status == 401, status)
        status, _, data = fetch(srv.port, "GET", "/cgi-bin/env.py",
                                headers={"Authorization": "Basic YWxpY2U6cHc="})
        env = json.loads(data)["env"] if status == 200 else {}
        R.check("with the credential: AUTH_TYPE=Basic, REMOTE_USER=alice, no HTTP_AUTHORIZATION",
                env.get("AUTH_TYPE") == "Basic" and env.get("REMOTE_USER") == "alice"
                and "HTTP_AUTHORIZATION" not in env, (status, {k: env.get(k) for k in ("AUTH_TYPE", "REMOTE_USER")}))
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base:
        root, cgi = make_root(base)
        with WsxServer(args.wsx, "-d", root, "-x", "/cgi-bin", "--max-request-body", "64KiB") as srv:
            environment_and_bodies(srv, srv.port, cgi)
            responses(srv.port)
            refusals(srv.port)
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)
        hostile(args, root, cgi)
        basic_auth(args, root)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
