#!/usr/bin/python3
"""The README's "Writing a handler" and "CGI scripts" sections, done as a reader would: take the C++ handler from the
README verbatim, build it with the README's g++ command, serve the folder with `wsx serve -w`, and
talk to it. Keeps the documentation true."""

import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, text  # noqa: E402
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("README handler")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--source", required=True)
    args = ap.parse_args()
    readme = open(os.path.join(args.source, "README.md")).read()
    code = re.search(r"```cpp\n(// shout_wsh\.cpp.*?)```", readme, re.S)
    command = re.search(r"^mkdir -p handlers && (g\+\+ [^\n]*?)\n", readme, re.M)
    R.check("the README has the C++ handler and its build command", bool(code and command))
    if not (code and command):
        return R.finish()
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "shout_wsh.cpp"), "w") as f:
            f.write(code.group(1))
        os.makedirs(os.path.join(work, "handlers"))
        build = command.group(1).replace("-I include", "-I " + os.path.join(args.source, "include"))
        p = subprocess.run(build, shell=True, cwd=work, capture_output=True, text=True, timeout=120)
        R.check("the README's g++ command builds it", p.returncode == 0, p.stderr[-500:])
        with WsxServer(args.wsx, "-w", os.path.join(work, "handlers")) as srv:
            c = Conn(srv.port, "/shout")
            c.send(text("hello from the readme"))
            R.check("ws://.../shout answers in capitals", c.read_events(1) == ["text:HELLO FROM THE README"])
            c.close()
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)
    python_handler(args, readme)
    cgi_script(args, readme)
    return R.finish()


def cgi_script(args, readme):
    block = re.search(r"### CGI scripts.*?```sh\n(#!/bin/sh\n.*?)```", readme, re.S)
    R.check("the README has the CGI script", bool(block))
    if not block:
        return
    import http.client
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "www", "cgi-bin"))
        path = os.path.join(work, "www", "cgi-bin", "hello.sh")
        with open(path, "w") as f:
            f.write(block.group(1))
        os.chmod(path, 0o755)
        with WsxServer(args.wsx, "-d", os.path.join(work, "www"), "-x", "/cgi-bin") as srv:
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            c.request("POST", "/cgi-bin/hello.sh", body=b"abc")
            r = c.getresponse()
            body = r.read()
            c.close()
            R.check("the README's CGI script answers as the README says",
                    r.status == 200 and body == b"hello from /cgi-bin/hello.sh, you sent 3 bytes\n", (r.status, body))
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)


def python_handler(args, readme):
    block = re.search(r"```sh\n(mkdir -p handlers && cat > handlers/greet_wsh\.py.*?chmod \+x handlers/greet_wsh\.py)\n",
                      readme, re.S)
    R.check("the README has the Python handler", bool(block))
    if not block:
        return
    with tempfile.TemporaryDirectory() as work:
        p = subprocess.run(["bash", "-c", block.group(1)], cwd=work, capture_output=True, text=True, timeout=60)
        R.check("the README's commands write the Python handler", p.returncode == 0, p.stderr)
        with WsxServer(args.wsx, "-w", os.path.join(work, "handlers")) as srv:
            c = Conn(srv.port, "/greet")
            first = c.read_events(1)
            c.send(text("hi"))
            R.check("ws://.../greet greets and answers",
                    first == ["text:hello from 127.0.0.1"] and c.read_events(1) == ["text:you said: hi"])
            c.close()
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
