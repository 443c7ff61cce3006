#!/usr/bin/python3
"""`wsx serve -w DIR`: pywebsocket's mapping (DIR/a/b_wsh.so serves /a/b), a relative -w resolved
against -d, a broken handler reported by path with its reason while the others serve, and the
built-in /echo when the directory has none."""

import argparse
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, text  # noqa: E402
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("handler directory")


def echo_ok(port, path):
    c = Conn(port, path)
    if not c.head.startswith(b"HTTP/1.1 101"):
        return False
    c.send(text("ping " + path))
    ok = c.read_events(1) == ["text:ping " + path]
    c.close()
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--handlers", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as base:
        root = os.path.join(base, "docroot")
        hdir = os.path.join(root, "handlers")
        os.makedirs(os.path.join(hdir, "a"))
        shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "a", "b_wsh.so"))
        shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "top_wsh.so"))
        with open(os.path.join(hdir, "broken_wsh.so"), "wb") as f:
            f.write(b"not an ELF file, just text pretending to be a handler " * 8)
        with open(os.path.join(hdir, "notes_wsh.txt"), "w") as f:
            f.write("ignored: not a handler")
        # Relative -w resolves against -d, as in pywebsocket.
        with WsxServer(args.wsx, "-d", root, "-w", "handlers") as srv:
            R.check("DIR/a/b_wsh.so serves /a/b", echo_ok(srv.port, "/a/b"))
            R.check("DIR/top_wsh.so serves /top", echo_ok(srv.port, "/top"))
            R.check("the built-in /echo serves when the directory has none", echo_ok(srv.port, "/echo"))
            c = Conn(srv.port, "/broken")
            R.check("the broken handler's resource is not served (404)", c.head.startswith(b"HTTP/1.1 404"), c.head[:30])
            c.close()
            srv.stop()
            log = "".join(srv.log)
            R.check("the broken handler is reported by path with the reason",
                    "broken_wsh.so" in log and "error" in log and "ELF" in log, log[-300:])
            R.check("a non-handler file is ignored", "notes_wsh.txt" not in log)
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
