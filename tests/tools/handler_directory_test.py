#!/usr/bin/python3
"""`wsx serve -w DIR`: pywebsocket's mapping (DIR/a/b_wsh.so serves /a/b), a relative -w resolved
against -d, a broken handler reported by path with its reason while the others serve, and the
built-in /echo when the directory has none."""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

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
            R.check("a *_wsh* file that is no handler is skipped with a warning naming it",
                    "warn" in log and "notes_wsh.txt: not executable" in log, log[-300:])
        sighup_rescan(args)
        scan_options(args)
    return R.finish()


def scan_options(args):
    so = os.path.join(args.handlers, "echo_wsh.so")
    with tempfile.TemporaryDirectory() as base:
        hdir = os.path.join(base, "h")
        os.makedirs(os.path.join(hdir, "a"))
        os.makedirs(os.path.join(hdir, "b"))
        shutil.copy(so, os.path.join(hdir, "a", "x_wsh.so"))
        shutil.copy(so, os.path.join(hdir, "b", "y_wsh.so"))
        outside = os.path.join(base, "outside_wsh.so")
        shutil.copy(so, outside)
        os.symlink(outside, os.path.join(hdir, "link_wsh.so"))
        mapfile = os.path.join(base, "map.txt")
        with open(mapfile, "w") as f:
            f.write("# aliases\n/alias /a/x\n/hello /echo   # the built-in echo\n/bad /nothing\n")
        with WsxServer(args.wsx, "-w", hdir, "-s", os.path.join(hdir, "a"), "-m", mapfile) as srv:
            R.check("-s: handlers inside the scan dir serve, mapped from -w", echo_ok(srv.port, "/a/x"))
            c = Conn(srv.port, "/b/y")
            R.check("-s: handlers outside the scan dir are not loaded", c.head.startswith(b"HTTP/1.1 404"))
            c.close()
            R.check("-m: an alias serves the existing handler", echo_ok(srv.port, "/alias"))
            R.check("-m: an alias of the built-in /echo", echo_ok(srv.port, "/hello"))
            srv.stop()
            R.check("-m: an alias of nothing is reported with file and line",
                    "map.txt:4: no handler serves /nothing" in "".join(srv.log), "".join(srv.log)[-300:])
        with WsxServer(args.wsx, "-w", hdir) as srv:
            c = Conn(srv.port, "/link")
            R.check("a handler symlinked from outside the directory is refused", c.head.startswith(b"HTTP/1.1 404"))
            c.close()
            srv.stop()
            R.check("... and reported", "is outside the handler directory" in "".join(srv.log))
        with WsxServer(args.wsx, "-w", hdir, "--allow-handlers-outside-root-dir") as srv:
            R.check("--allow-handlers-outside-root-dir loads it", echo_ok(srv.port, "/link"))


def wait_for_log(srv, needle, count, timeout=10.0):
    """Bounded wait until `needle` appears `count` times in the server's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "".join(srv.log).count(needle) >= count:
            return True
        time.sleep(0.05)
    return False


def sighup_rescan(args):
    with tempfile.TemporaryDirectory() as hdir:
        shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "old_wsh.so"))
        with WsxServer(args.wsx, "-w", hdir) as srv:
            kept = Conn(srv.port, "/old")
            R.check("before SIGHUP: /old serves", kept.head.startswith(b"HTTP/1.1 101"))
            os.remove(os.path.join(hdir, "old_wsh.so"))
            shutil.copy(os.path.join(args.handlers, "echo_wsh.so"), os.path.join(hdir, "new_wsh.so"))
            srv.proc.send_signal(signal.SIGHUP)
            R.check("SIGHUP logs the rescan", wait_for_log(srv, "SIGHUP: handler directory rescanned", 1))
            R.check("after SIGHUP: the new /new serves", echo_ok(srv.port, "/new"))
            c = Conn(srv.port, "/old")
            R.check("after SIGHUP: the removed /old is gone (404)", c.head.startswith(b"HTTP/1.1 404"), c.head[:30])
            c.close()
            kept.send(text("still here"))
            R.check("a connection opened before SIGHUP keeps working", kept.read_events(1) == ["text:still here"])
            kept.send(text("Goodbye"))
            R.check("... and closes cleanly", kept.read_events(2) == ["text:Goodbye", "close:1000"])
            kept.send(b"\x88\x82abcd" + bytes([0x03 ^ ord("a"), 0xE8 ^ ord("b")]))  # masked close 1000
            R.check("... and the server closes TCP after the client's reply", kept.closed_by_server())
            kept.close()
            R.check("the session's access log line has every field",
                    wait_for_log(srv, "/old\" 101 subprotocol=- duration=", 1)
                    and wait_for_log(srv, "in=2msg/17B out=2msg/17B close=1000 by=server clean", 1),
                    "".join(srv.log)[-400:])
            R.check("server exits 0 on SIGTERM", srv.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
