#!/usr/bin/python3
"""A scripted misbehaving WebSocket server for the client tests, on raw sockets: each path is one
way to get the handshake or the frames wrong. Prints "listening PORT" once ready, then
"client-close PATH CODE" for each close frame a client sends back (so a test can check the code
the client failed the connection with). Runs until killed."""

import base64
import hashlib
import socketserver
import struct
import sys
import threading

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
LOCK = threading.Lock()


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def frame(opcode, payload, mask=None, rsv1=False):
    head = bytes([0x80 | (0x40 if rsv1 else 0) | opcode])
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        head += bytes([mbit | n])
    elif n < 65536:
        head += bytes([mbit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def read_frame(sock):
    """One client frame (masked): (opcode, payload), or None at EOF."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf
    h = exact(2)
    if h is None:
        return None
    n = h[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exact(8))[0]
    mask = exact(4) if h[1] & 0x80 else b"\0\0\0\0"
    data = exact(n) if n else b""
    return h[0] & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(20)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                return
            buf += chunk
        head = buf.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
        path = head[0].split(" ")[1]
        fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in head[1:]}
        key = fields.get("sec-websocket-key", "").encode()
        ok = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Accept: " + accept_for(key) + b"\r\n")
        if path == "/wrong-accept":
            s.sendall(ok.replace(accept_for(key), base64.b64encode(b"x" * 20)) + b"\r\n")
        elif path == "/unoffered-protocol":
            s.sendall(ok + b"Sec-WebSocket-Protocol: mqtt\r\n\r\n")
        elif path == "/unoffered-extension":
            s.sendall(ok + b"Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n")
        elif path == "/bad-deflate":  # RFC 7692 §7.1.2.1: window bits are 8-15
            s.sendall(ok + b"Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n\r\n")
        elif path == "/status-200":
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
        elif path == "/garbage":
            s.sendall(b"this is not http at all\r\n\r\n")
        elif path == "/http10":
            s.sendall(ok.replace(b"HTTP/1.1", b"HTTP/1.0", 1) + b"\r\n")
        elif path == "/no-upgrade":
            s.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: " + accept_for(key) + b"\r\n\r\n")
        elif path == "/redirect":
            port = self.server.server_address[1]
            s.sendall(f"HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:{port}/after-redirect\r\n"
                      "Content-Length: 0\r\n\r\n".encode())
        elif path == "/after-redirect":
            s.sendall(ok + b"\r\n" + frame(1, b"redirected"))
            self.await_close(s, path)
        elif path == "/frames-behind-handshake":
            s.sendall(ok + b"\r\n" + frame(1, b"first") + frame(2, b"\x01\x02"))
            self.await_close(s, path)
        elif path == "/masked-frame":
            s.sendall(ok + b"\r\n" + frame(1, b"masked", mask=b"\x01\x02\x03\x04"))
            self.await_close(s, path)
        elif path == "/rsv":
            s.sendall(ok + b"\r\n" + frame(1, b"rsv1", rsv1=True))
            self.await_close(s, path)
        elif path == "/bad-utf8":
            s.sendall(ok + b"\r\n" + frame(1, b"\xce\xba\xff"))
            self.await_close(s, path)
        elif path == "/silent":
            s.recv(1)  # never answers; waits for the client to give up
        else:
            s.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    def await_close(self, s, path):
        while True:
            f = read_frame(s)
            if f is None:
                return
            if f[0] == 8:
                code = struct.unpack("!H", f[1][:2])[0] if len(f[1]) >= 2 else 1005
                with LOCK:
                    print(f"client-close {path} {code}", flush=True)
                s.sendall(frame(8, f[1][:2]))
                return


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


if __name__ == "__main__":
    with Server(("127.0.0.1", 0), Handler) as srv:
        print(f"listening {srv.server_address[1]}", flush=True)
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            sys.exit(0)
