"""A minimal raw-socket WebSocket client for conformance and hostile-client tests: it sends
exactly the bytes a case needs (including malformed ones) and decodes what the server sends."""

import os
import socket
import struct
import time

KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None):
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        head = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        head = struct.pack("!BBQ", b0, mbit | 127, n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


def text(s, fin=True):
    return frame(0x1, s, fin)


def binary(b, fin=True):
    return frame(0x2, b, fin)


def cont(b, fin=True):
    return frame(0x0, b, fin)


def close(code=None, reason=b""):
    return frame(0x8, b"" if code is None else struct.pack("!H", code) + reason)


class Conn:
    def __init__(self, port, path="/echo", timeout=10.0, handshake=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.eof = False  # the server closed the TCP connection (EOF or RST)
        self.timed_out = False  # a read found nothing within the socket timeout
        if handshake:
            self.sock.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
            self.head = self.read_head()

    def read_head(self):
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                break
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        return head

    def _fill(self):
        """Reads more; False at EOF or on a timeout, which stay apart: only EOF (or a reset) means
        the server closed the connection."""
        if self.eof:
            return False
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            self.timed_out = True
            return False
        except ConnectionResetError:
            data = b""
        if not data:
            self.eof = True
            return False
        self.buf += data
        return True

    def send(self, data):
        """False if the server stopped reading (timeout) or the connection is gone."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            return False

    def _take(self, n):
        while len(self.buf) < n:
            if not self._fill():
                return None
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        """(opcode, fin, payload) or None at EOF/timeout."""
        h = self._take(2)
        if h is None:
            return None
        fin, opcode, n = h[0] >> 7, h[0] & 0xF, h[1] & 0x7F
        if h[1] & 0x80:
            return ("masked-from-server", 0, b"")
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        payload = self._take(n)
        return None if payload is None else (opcode, fin, payload)

    def read_events(self, count):
        """Up to `count` described events: 'text:..', 'binary:N', 'pong:..', 'close:CODE', and last
        'eof' if the server closed the connection or 'timeout' if it sent nothing more in time."""
        out = []
        msg, msg_op = b"", None
        while len(out) < count:
            f = self.read_frame()
            if f is None:
                out.append("eof" if self.eof else "timeout")
                break
            op, fin, payload = f
            if op == 0x8:
                out.append("close:%d" % (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005))
            elif op == 0xA:
                out.append("pong:" + payload.decode(errors="replace"))
            elif op == 0x9:
                out.append("ping:" + payload.decode(errors="replace"))
            elif op in (0x0, 0x1, 0x2):
                msg_op = op if op else msg_op
                msg += payload
                if fin:
                    out.append(("text:" + msg.decode(errors="replace")) if msg_op == 1 else "binary:%d" % len(msg))
                    msg = b""
            else:
                out.append("bad-opcode:%d" % op)
        return out

    def closed_by_server(self, timeout=10.0):
        """True if the server closes the TCP connection (EOF or reset) within `timeout` seconds;
        False if the connection is still open then. What it sends meanwhile is discarded."""
        deadline = time.monotonic() + timeout
        saved = self.sock.gettimeout()
        try:
            while not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                self._fill()
                self.buf = b""
        finally:
            self.sock.settimeout(saved)
        return self.eof

    def close(self):
        self.sock.close()
