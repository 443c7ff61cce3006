#!/usr/bin/python3
"""Executable handlers (`*_wsh*` programs in the handler directory, one process per connection):
lines in and out, CGI-style environment, stderr to the log, exit status to close code, and the
hostile cases: a handler that crashes, hangs (ignores SIGTERM), floods stdout or never reads
stdin, and the process cap. Every wait is bounded."""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wire import Conn, binary, close, text  # noqa: E402
from wsx_process import Results, WsxServer  # noqa: E402

R = Results("executable handlers")

SCRIPTS = {
    "echo_wsh.py": """#!/usr/bin/python3
import os, sys
for line in sys.stdin:
    line = line.rstrip("\\n")
    print(line, flush=True)
    if line == "Goodbye":
        break
""",
    "env_wsh.sh": """#!/bin/sh
echo "query=$QUERY_STRING uri=$REQUEST_URI script=$SCRIPT_NAME origin=$HTTP_ORIGIN proto=$WEBSOCKET_PROTOCOL"
echo "remote=$REMOTE_ADDR port_set=${REMOTE_PORT:+yes} server_port=$SERVER_PORT"
echo "to stderr" >&2
read line
""",
    "crash_wsh.sh": "#!/bin/sh\nread line\necho got \"$line\"\nexit 3\n",
    "hang_wsh.sh": "#!/bin/sh\ntrap '' TERM\necho ready\nwhile :; do sleep 1; done\n",
    "flood_wsh.sh": "#!/bin/sh\nexec yes flooding-the-websocket-with-one-line-after-another\n",
    "deaf_wsh.sh": "#!/bin/sh\nexec sleep 600\n",
    # The same, for the process cap alone: the cap counts per handler, and /deaf's earlier
    # session (paused, so it does not see its client leave) may still hold a process.
    "capped_wsh.sh": "#!/bin/sh\nexec sleep 600\n",
}


def run(args, hdir):
    with WsxServer(args.wsx, "-w", hdir, "--subprotocol", "chat", "--max-handler-processes", "4") as srv:
        c = Conn(srv.port, "/echo")
        c.send(text("hello") + text("κόσμε") + text("Goodbye"))
        R.check("each text message is a line in, each line out a message",
                c.read_events(4) == ["text:hello", "text:κόσμε", "text:Goodbye", "close:1000"])
        c.close()

        c = Conn(srv.port, "/env?x=1&y=2")
        c.sock.sendall(b"")  # handshake already sent by Conn
        got = c.read_events(2)
        R.check("CGI environment: query, URI, script, origin-less", got and got[0].startswith(
            "text:query=x=1&y=2 uri=/env?x=1&y=2 script=/env origin= proto="), got)
        R.check("CGI environment: remote address and ports",
                len(got) > 1 and got[1] == f"text:remote=127.0.0.1 port_set=yes server_port={srv.port}", got)
        R.check("stderr goes to the log", srv.wait_for_log("handler stderr: to stderr"))
        c.send(text("done"))
        R.check("exit status 0 closes with 1000", c.read_events(1) == ["close:1000"])
        c.close()

        c = Conn(srv.port, "/crash")
        c.send(text("boom"))
        R.check("a crashing handler (exit 3) closes with 1011", c.read_events(2) == ["text:got boom", "close:1011"])
        R.check("... and its status is logged", srv.wait_for_log("exited with status 3"))
        c.close()

        c = Conn(srv.port, "/echo")
        c.send(binary(b"\x00\x01"))
        R.check("binary messages are refused with 1003", c.read_events(1) == ["close:1003"])
        c.close()

        c = Conn(srv.port, "/hang")
        R.check("the hanging handler is running (SIGTERM trapped)", c.read_events(1) == ["text:ready"])
        c.send(close(1000))
        R.check("closing the WebSocket does not wait for the handler", c.read_events(1) == ["close:1000"])
        c.close()
        R.check("a handler ignoring SIGTERM gets SIGKILL after the grace period",
                srv.wait_for_log("ignored SIGTERM; SIGKILL"))

        before = srv.rss_kib()
        c = Conn(srv.port, "/flood", timeout=5)
        time.sleep(1.0)  # the handler floods while this client reads nothing (not needed to pass)
        grown = (srv.rss_kib() - before) // 1024
        R.check("a flooding handler is paused while its peer does not read (RSS +%d MiB)" % grown, grown < 64)
        got = c.read_events(3)
        R.check("... and its lines arrive once the peer reads",
                got == ["text:flooding-the-websocket-with-one-line-after-another"] * 3, got[:1])
        c.close()

        before = srv.rss_kib()
        c = Conn(srv.port, "/deaf", timeout=2)
        sent = 0
        for _ in range(400):
            if not c.send(text("x" * 65536)):
                break
            sent += 1
        grown = (srv.rss_kib() - before) // 1024
        R.check("a handler that never reads stdin stops the peer being read (sent %d of 400)" % sent, sent < 400)
        R.check("... with server memory bounded (+%d MiB)" % grown, grown < 64)
        c.close()

        conns = [Conn(srv.port, "/capped") for _ in range(4)]
        heads = [k.head[:12] for k in conns]
        R.check("--max-handler-processes 4: four connections under the cap open",
                all(k.head.startswith(b"HTTP/1.1 101") for k in conns), heads)
        extra = Conn(srv.port, "/capped")
        R.check("--max-handler-processes: past the cap, 503", extra.head.startswith(b"HTTP/1.1 503"), extra.head[:20])
        for k in conns + [extra]:
            k.close()
        R.check("server still up", srv.alive())
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)
        log = "".join(srv.log)
        R.check("handlers ended by the server's SIGTERM after their close are no warning",
                "exited with status 143" not in log and "status 3" in log, log[-300:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as hdir:
        for name, body in SCRIPTS.items():
            path = os.path.join(hdir, name)
            with open(path, "w") as f:
                f.write(body)
            os.chmod(path, 0o755)
        run(args, hdir)
    with tempfile.TemporaryDirectory() as hdir:
        binary_mode(args, hdir)
    with tempfile.TemporaryDirectory() as hdir:
        topics(args, hdir)
    return R.finish()


BINARY_ECHO = """#!/usr/bin/python3
# Length-prefixed mode: type byte (1 text, 2 binary), 4-byte big-endian length, payload.
import struct, sys
inp, out = sys.stdin.buffer, sys.stdout.buffer
out.write(struct.pack("!BI", 2, 3) + b"\\x00\\x01\\x02")  # a binary hello first
out.flush()
while True:
    head = inp.read(5)
    if len(head) < 5:
        break
    kind, n = struct.unpack("!BI", head)
    data = inp.read(n)
    if data == b"bad":
        out.write(b"\\x07garbage")  # an unknown type byte: the server must close
        out.flush()
        continue
    out.write(struct.pack("!BI", kind, len(data)) + data)
    out.flush()
"""


def binary_mode(args, hdir):
    path = os.path.join(hdir, "bin_wsh.py")
    with open(path, "w") as f:
        f.write(BINARY_ECHO)
    os.chmod(path, 0o755)
    with WsxServer(args.wsx, "-w", hdir, "--handler-binary") as srv:
        c = Conn(srv.port, "/bin")
        R.check("--handler-binary: a binary frame from the handler is a binary message", c.read_events(1) == ["binary:3"])
        c.send(binary(b"\x00\xff" * 1000) + text("line\nwith newline") + binary(b""))
        R.check("--handler-binary: binary, text (newlines kept) and empty messages round-trip with their type",
                c.read_events(3) == ["binary:2000", "text:line\nwith newline", "binary:0"])
        c.send(binary(b"x" * 300000))
        R.check("--handler-binary: a 300 KB message round-trips", c.read_events(1) == ["binary:300000"])
        c.send(text("bad"))
        R.check("--handler-binary: a malformed frame from the handler closes with 1009", c.read_events(1) == ["close:1009"])
        c.close()
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)


# A room over the control channel (fd 3): each process subscribes its WebSocket and announces
# itself on the topic (after the subscription, on the same pipe: so its own announcement coming
# back proves the subscription is in place), then publishes each line it reads.
ROOM = """#!/bin/sh
echo "subscribe room" >&3
echo "publish room joined fd=$WSX_CONTROL_FD" >&3
while read line; do
    case "$line" in
        bad) echo "frobnicate room" >&3 ;;
        leave) echo "unsubscribe room" >&3; echo "publish room someone left" >&3 ;;
        ping) echo pong ;;
        *) echo "publish room $line" >&3 ;;
    esac
done
"""


def topics(args, hdir):
    path = os.path.join(hdir, "room_wsh.sh")
    with open(path, "w") as f:
        f.write(ROOM)
    os.chmod(path, 0o755)
    with WsxServer(args.wsx, "-w", hdir, "--threads", "2") as srv:
        a = Conn(srv.port, "/room")
        R.check("control channel: WSX_CONTROL_FD=3, subscribe, then publish reaches the process's own WebSocket",
                a.read_events(1) == ["text:joined fd=3"])
        b = Conn(srv.port, "/room")
        R.check("control channel: a second member's announcement reaches both",
                b.read_events(1) == ["text:joined fd=3"] and a.read_events(1) == ["text:joined fd=3"])
        a.send(text("hello room"))
        R.check("control channel: one member's line is published to every member",
                a.read_events(1) == ["text:hello room"] and b.read_events(1) == ["text:hello room"])
        b.send(text("bad"))
        R.check("control channel: an unknown command is logged", srv.wait_for_log('unknown command "frobnicate"'))
        b.send(text("leave") + text("ping"))
        R.check("control channel: after unsubscribe, the member gets no more publications",
                b.read_events(1) == ["text:pong"])
        R.check("... while the others still do", a.read_events(1) == ["text:someone left"])
        b.close()
        a.send(text("still here"))
        R.check("control channel: the room goes on", a.read_events(1) == ["text:still here"])
        a.close()
        R.check("server exits 0 on SIGTERM", srv.stop() == 0)


if __name__ == "__main__":
    sys.exit(main())
