#!/usr/bin/python3
"""`wsx connect` as a user runs it, against servers no one here wrote (Python websockets, Node ws)
and the fake server: the non-interactive mode's output and exit statuses, pipes, --echo, headers,
subprotocols, and an interactive session in tmux (send-keys / capture-pane). Every wait is
bounded; every process started is stopped."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "interop"))
from wsx_process import Results  # noqa: E402

R = Results("wsx connect")
HERE = os.path.dirname(os.path.abspath(__file__))


class Peer:
    """A peer server process; its port from its "listening PORT" line."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.port = int(line.split()[1]) if line.startswith("listening") else 0

    def url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def wsx(args, *more, stdin=subprocess.DEVNULL, input=None):
    p = subprocess.run([args.wsx, "connect", *more], stdin=None if input is not None else stdin,
                       input=input, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def non_interactive(args, py, node, fake):
    for name, peer in (("python", py), ("node", node)):
        code, out, err = wsx(args, peer.url("/echo"), "-x", "hello", "-x", "κόσμε", "--show-close")
        R.check(f"-x against {name}: each reply printed, clean close, exit 0",
                code == 0 and out == "< hello\n< κόσμε\nclosed 1000 clean\n", (code, out, err))
    code, out, _ = wsx(args, py.url("/fragmented"), "-n", "2")
    R.check("fragmented text whole; binary shown as length and hex",
            code == 0 and out == "< fragmented message\n< [binary 4 bytes] 00010203\n", (code, out))
    code, out, _ = wsx(args, node.url("/big"), "-n", "1")
    R.check("a 16 MiB binary message: length and the first 32 bytes", code == 0
            and out.startswith("< [binary 16777216 bytes] 000102030405") and out.endswith("...\n"), (code, out[:80]))
    code, out, _ = wsx(args, py.url("/close/4001"), "-n", "1", "--show-close")
    R.check("server close with another code than 1000/1001: shown, exit 8", code == 8 and out == "closed 4001 bye 4001 clean\n",
            (code, out))
    code, out, _ = wsx(args, py.url("/protocol"), "-s", "superchat", "-s", "chat", "-n", "1")
    R.check("-s offers subprotocols; the server's choice is used",
            code == 0 and out in ("< chat\n", "< superchat\n"), (code, out))
    code, out, _ = wsx(args, node.url("/headers"), "-n", "1", "-H", "Authorization: Bearer t0k",
                       "-H", "Cookie: a=1", "--origin", "http://example.com")
    R.check("-H and --origin reach the server", code == 0 and '"Bearer t0k"' in out and '"a=1"' in out
            and '"http://example.com"' in out, (code, out))
    code, out, _ = wsx(args, py.url("/echo"), "--binary", "-x", "hi")
    R.check("--binary sends lines as binary messages", code == 0 and out == "< [binary 2 bytes] 6869\n",
            (code, out))
    code, out, _ = wsx(args, node.url("/count-pings"), "--ping-interval", "0.05", "-n", "1")
    R.check("--ping-interval pings the server (Node's ws counts three)", code == 0 and out == "< 3 pings\n",
            (code, out))
    code, out, _ = wsx(args, py.url("/expect-echo"), "--echo", "--show-close")
    R.check("--echo sends every message back as it came (the server checks, closes 4000)",
            code == 8 and out.endswith("closed 4000 echoed clean\n"), (code, out))

    code, out, err = wsx(args, py.url("/close/4001"), "-x", "hi", "-n", "5", "-t", "30", "--show-close",
                         "--reconnect", "2")
    R.check("--reconnect 2: three connections, each closed by the server, then it gives up",
            code == 8 and out == "closed 4001 bye 4001 clean\n" * 3 and err.count("reconnecting in") == 2,
            (code, out, err))
    code, _, err = wsx(args, fake.url("/status-200"), "-x", "hi")
    R.check("handshake refused (200): exit 4, the status on stderr", code == 4 and "HTTP 200" in err, (code, err))
    code, _, err = wsx(args, fake.url("/wrong-accept"), "-x", "hi")
    R.check("wrong Sec-WebSocket-Accept: exit 4", code == 4 and "Sec-WebSocket-Accept" in err, (code, err))
    code, out, err = wsx(args, py.url("/echo"), "--slash", "--show-ping", "-n", "3",
                         input="/ping hello\n/binary 00 ff 10\n//slash\nA\x01B\x1b[31m\n/bogus\n")
    lines = out.splitlines()
    R.check("slash commands: /ping's pong with its round-trip time, /binary, //; control bytes escaped",
            len(lines) == 4 and re.fullmatch(r"pong hello \(\d+ ms\)", lines[0]) is not None
            and lines[1:] == ["< [binary 3 bytes] 00ff10", "< /slash", "< A\\x01B\\e[31m"]
            and code == 0, (code, out, err))
    R.check("an unknown slash command is named, with the list", "unknown command /bogus" in err
            and "/binary HEX" in err, err)
    code, out, _ = wsx(args, py.url("/echo"), "--slash", "--show-close", input="/close 4001 bye\n")
    R.check("/close CODE REASON: the server answers with them, exit 8", code == 8
            and out == "closed 4001 bye clean\n", (code, out))
    code, out, _ = wsx(args, py.url("/echo"), "-n", "1", input="/ping not a command\n")
    R.check("without a terminal or --slash, a /line is a message", out == "< /ping not a command\n", out)
    url = f"ws://127.0.0.1:{free_port()}/"
    code, out, err = wsx(args, url, "-x", "hi", "--show-close")
    R.check("connection refused: exit 3, naming the URL, no 'closed' line", code == 3
            and "refused" in err.lower() and url in err and "closed" not in out, (code, out, err))
    for close_code, want in ((1011, 8), (1003, 8), (1001, 0)):
        code, out, _ = wsx(args, py.url(f"/close/{close_code}"), "-n", "1", "--show-close")
        R.check(f"the server closing cleanly with {close_code}: exit {want}",
                code == want and out.startswith(f"closed {close_code} "), (code, out))
    code, _, err = wsx(args, "ws://h/#frag", "-x", "hi")
    R.check("a URL with a fragment: exit 2 (SyntaxError)", code == 2 and "fragment" in err, (code, err))
    code, out, _ = wsx(args, py.url("/abort"), "-x", "x", "-n", "5", "--show-close")
    R.check("the server vanishing: closed 1006 unclean, exit 5", code == 5 and out.endswith("closed 1006 unclean\n"),
            (code, out))
    code, _, err = wsx(args, fake.url("/bad-utf8"), "-n", "1")
    R.check("invalid UTF-8 from the server: exit 5", code == 5 and "UTF-8" in err, (code, err))
    code, _, _ = wsx(args, node.url("/big"), "-n", "1", "--max-message-size", "1KiB")
    R.check("--max-message-size: a larger message fails the connection (exit 5)", code == 5, code)
    code, out, err = wsx(args, py.url("/echo"), "-x", "a", "-n", "2", "-t", "1")
    R.check("fewer replies than -n within -t: exit 6", code == 6 and out == "< a\n", (code, out, err))


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def piped(args, py):
    code, out, _ = wsx(args, py.url("/echo"), "-n", "2", input="line one\nline two\n")
    R.check("lines piped in become messages; closed after -n replies; exit 0",
            code == 0 and out == "< line one\n< line two\n", (code, out))
    code, out, _ = wsx(args, py.url("/echo"), "-w", "3", input="hi\n")
    R.check("echo hi | wsx connect: the reply is printed before the close (after -w of silence)",
            code == 0 and out == "< hi\n", (code, out))
    code, out, _ = wsx(args, py.url("/echo"), "--raw", "-n", "1", input="raw\n")
    R.check("--raw prints payloads only", code == 0 and out == "raw\n", (code, out))
    with open(os.devnull) as null:
        code, out, _ = wsx(args, py.url("/echo"), stdin=null)
    R.check("stdin from /dev/null (not pollable): closes at once, exit 0", code == 0 and out == "", (code, out))


def interactive(args, py):
    if shutil.which("tmux") is None:
        R.check("tmux is installed (scripts/dev installs it)", False)
        return
    session = f"wsx-connect-{os.getpid()}"
    sock = ["tmux", "-L", session]  # a server of its own: nothing else is touched

    def capture():
        return subprocess.run(sock + ["capture-pane", "-p", "-t", session], capture_output=True,
                              text=True).stdout

    def wait_for(text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in capture():
                return True
            time.sleep(0.1)
        return False

    def wait_until(pred, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if pred(capture()):
                return True
            time.sleep(0.1)
        return False

    def keys(seq):
        for k in seq:  # one send-keys each: a key name alone is a key, a word is typed
            subprocess.run(sock + ["send-keys", "-t", session, k])

    cmd = (f"{args.wsx} connect {py.url('/echo')} --show-close; echo exit=$?; "
           "stty -a | grep -q ' icanon' && stty -a | grep -q ' echo ' && echo tty=restored; sleep 60")
    subprocess.run(sock + ["new-session", "-d", "-s", session, "-x", "120", "-y", "30", cmd], check=True)
    try:
        R.check("tmux: connected", wait_for("connected to ws://127.0.0.1"), capture())
        subprocess.run(sock + ["send-keys", "-t", session, "hello from tmux", "Enter"])
        R.check("tmux: a typed line is sent and its echo shown", wait_for("< hello from tmux"), capture())
        subprocess.run(sock + ["send-keys", "-t", session, "κόσμε", "Enter"])
        R.check("tmux: UTF-8 typed and echoed", wait_for("< κόσμε"), capture())
        keys(["abd", "Left", "c", "Enter"])
        R.check("tmux: the line editor inserts at the cursor (abd, Left, c: abcd sent, shown as typed)",
                wait_for("< abcd") and "> abcd" in capture().splitlines(), capture())
        keys(["Up", "Enter"])
        R.check("tmux: Up recalls the last line sent", wait_until(lambda s: s.count("< abcd") == 2), capture())
        keys(["Up", "Up", "C-a", "re: ", "Enter"])
        R.check("tmux: further up the history, edited at its start (Ctrl-A)", wait_for("< re: κόσμε"), capture())
        keys(["C-d"])  # on an empty line: the end of input, closed after -w of silence
        R.check("tmux: Ctrl-D on an empty line ends the input: closed cleanly, exit 0, terminal restored",
                wait_for("closed 1000 clean") and wait_for("exit=0") and wait_for("tty=restored"), capture())
        subprocess.run(sock + ["kill-session", "-t", session])
        subprocess.run(sock + ["new-session", "-d", "-s", session, "-x", "120", "-y", "30",
                               cmd.replace("--show-close", "--show-close --no-edit")], check=True)
        R.check("tmux --no-edit: connected", wait_for("connected to ws://127.0.0.1"), capture())
        keys(["plain", "Enter"])
        R.check("tmux --no-edit: the terminal's own line mode (echoed by it, no prompt)",
                wait_for("< plain") and "> plain" not in capture(), capture())
        subprocess.run(sock + ["send-keys", "-t", session, "C-c"])
        R.check("tmux: Ctrl-C closes cleanly, exit 0", wait_for("closed 1000 clean") and wait_for("exit=0"),
                capture())
    finally:
        subprocess.run(sock + ["kill-server"], capture_output=True)


def readme_example(args, py):
    readme = open(os.path.join(HERE, "..", "..", "README.md")).read()
    example = open(os.path.join(HERE, "..", "..", "examples", "client_echo.cpp")).read()
    body = example[example.index('#include "wsx/websocket.hpp"'):]
    R.check("the README's client example is examples/client_echo.cpp, verbatim", body in readme)
    p = subprocess.run([args.example, py.url("/echo")], capture_output=True, text=True, timeout=30)
    R.check("... and it prints the echo", p.returncode == 0 and p.stdout == "Message to send\n",
            (p.returncode, p.stdout, p.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsx", required=True)
    ap.add_argument("--example", required=True, help="build/examples/client_echo")
    ap.add_argument("--interop", required=True, help="tests/interop, with node_modules")
    args = ap.parse_args()
    py = Peer(["/usr/bin/python3", os.path.join(HERE, "..", "client", "python_peer.py")])
    node = Peer(["node", os.path.join(args.interop, "node_peer.mjs")])
    fake = Peer(["/usr/bin/python3", os.path.join(HERE, "..", "client", "fake_server.py")])
    try:
        R.check("peers started", py.port and node.port and fake.port)
        non_interactive(args, py, node, fake)
        piped(args, py)
        readme_example(args, py)
        interactive(args, py)
    finally:
        for p in (py, node, fake):
            p.stop()
    return R.finish()


if __name__ == "__main__":
    sys.exit(main())
