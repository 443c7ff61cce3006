"""permessage-deflate (RFC 7692) cases of the conformance suite, modelled on Autobahn|Testsuite's
categories 12 (compressed messages of many sizes, echoed, fragmented or not) and 13 (every
combination of client_no_context_takeover / server_no_context_takeover / client_max_window_bits /
server_max_window_bits from 8 to 15 offered), plus the frame rules of §6. A raw socket speaks
the extension with Python's zlib; each response is checked against §7.1, each echo decoded."""

import itertools
import json
import struct
import zlib

from wire import KEY, Conn, frame

TAIL = b"\x00\x00\xff\xff"


def offer_header(cnct=False, snct=False, cmwb=None, smwb=None):
    """`cmwb`: None (absent), "" (no value) or 8-15; `smwb`: None or 8-15."""
    params = ["permessage-deflate"]
    if cnct:
        params.append("client_no_context_takeover")
    if snct:
        params.append("server_no_context_takeover")
    if cmwb is not None:
        params.append("client_max_window_bits" + (f"={cmwb}" if cmwb != "" else ""))
    if smwb is not None:
        params.append(f"server_max_window_bits={smwb}")
    return "; ".join(params)


def parse_response(head):
    """The response's permessage-deflate parameters as a dict, None if not accepted."""
    for line in head.decode(errors="replace").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "sec-websocket-extensions":
            parts = [p.strip() for p in value.split(";")]
            if parts[0] != "permessage-deflate":
                return {"bad": value}
            out = {}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                out[k.strip()] = v.strip() or True
            return out
    return None


class DeflateConn(Conn):
    """A raw connection that offers `offer` and, when accepted, compresses what it sends and
    inflates what it receives as the response says."""

    def __init__(self, port, offer):
        super().__init__(port, handshake=False)
        ext = f"Sec-WebSocket-Extensions: {offer}\r\n" if offer else ""
        self.sock.sendall(
            f"GET /echo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n"
            f"{ext}\r\n".encode())
        self.head = self.read_head()
        self.params = parse_response(self.head)
        p = self.params or {}
        self.client_bits = int(p.get("client_max_window_bits", 15))
        self.client_reset = "client_no_context_takeover" in p
        self.server_reset = "server_no_context_takeover" in p
        # The window the server promised: a distance past it fails the inflate here.
        self.server_bits = int(p.get("server_max_window_bits", 15))
        self.inflater = zlib.decompressobj(wbits=-self.server_bits)
        self.deflater = self._new_deflater()

    def _new_deflater(self):
        # Python's zlib cannot compress with a window of 8 either: then messages go out plain.
        return zlib.compressobj(wbits=-self.client_bits) if self.client_bits >= 9 else None

    def send_message(self, data, opcode=0x1, fragment=0):
        """Compressed when the extension is in use, split in `fragment`-byte frames if > 0."""
        if isinstance(data, str):
            data = data.encode()
        rsv = 0
        if self.params is not None and self.deflater is not None:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(TAIL)
            data = data[:-4] or b"\x00"
            rsv = 4
            if self.client_reset:
                self.deflater = self._new_deflater()
        if fragment <= 0 or len(data) <= fragment:
            return self.send(frame(opcode, data, rsv=rsv))
        pieces = [data[i:i + fragment] for i in range(0, len(data), fragment)]
        out = b"".join(frame(opcode if i == 0 else 0, p, fin=i == len(pieces) - 1,
                             rsv=rsv if i == 0 else 0) for i, p in enumerate(pieces))
        return self.send(out)

    def read_message(self):
        """('text'|'binary', bytes, compressed) or (event, b"", False) for anything else."""
        data, op, rsv1 = b"", None, False
        while True:
            h = self._take(2)
            if h is None:
                return ("eof" if self.eof else "timeout", b"", False)
            fin, opcode, n = h[0] >> 7, h[0] & 0xF, h[1] & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._take(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(n) or b""
            if opcode == 0x8:
                return ("close:%d" % (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005), b"", False)
            if opcode in (0x9, 0xA):
                continue
            if opcode in (0x1, 0x2):
                op, rsv1 = opcode, bool(h[0] & 0x40)
            data += payload
            if fin:
                break
        if rsv1:
            data = self.inflater.decompress(data + TAIL)
            if self.server_reset:
                self.inflater = zlib.decompressobj(wbits=-self.server_bits)
        return ("text" if op == 1 else "binary", data, rsv1)


def json_payload(size, seed):
    """Text-heavy JSON-like data of `size` bytes."""
    row = json.dumps({"id": seed, "name": "wsx", "tags": ["alpha", "beta"], "ok": True})
    return ((row + ",") * (size // len(row) + 1))[:size]


def response_ok(offer, params):
    """RFC 7692 §7.1 checks of the server's answer to one offer."""
    cnct, snct, cmwb, smwb = offer
    if params is None or "bad" in params:
        return False
    if snct and "server_no_context_takeover" not in params:
        return False
    if "server_max_window_bits" in params and int(params["server_max_window_bits"]) > (smwb or 15):
        return False
    if smwb is not None and "server_max_window_bits" not in params:
        return False
    if "client_max_window_bits" in params:
        if cmwb is None or params["client_max_window_bits"] is True:
            return False
        if cmwb != "" and int(params["client_max_window_bits"]) > cmwb:
            return False
    return True


def echo_ok(c, messages, fragment=0):
    for i, m in enumerate(messages):
        c.send_message(m, fragment=fragment)
        kind, data, _ = c.read_message()
        if kind != "text" or data.decode() != m:
            return f"message {i}: {kind} {len(data)} bytes"
    return ""


def run_deflate_cases(R, port):
    # 12.x: compressed messages of many sizes, the default offer, whole and fragmented.
    for size in (16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072):
        for fragment in (0, 1024):
            c = DeflateConn(port, offer_header(cmwb=""))
            msgs = [json_payload(size, i) for i in range(10)]
            err = echo_ok(c, msgs, fragment) if c.params is not None else "not negotiated"
            R.check(f"12 deflate {size} bytes x10 fragment={fragment}", not err, err)
            c.close()
    # 13.x: every combination of the four parameters, window bits 8-15; then messages both ways.
    bits = list(range(8, 16))
    for offer in itertools.product((False, True), (False, True), [None, ""] + bits, [None] + bits):
        c = DeflateConn(port, offer_header(*offer))
        label = "13 " + offer_header(*offer)
        ok = response_ok(offer, c.params)
        err = "" if ok else f"response {c.params}"
        if ok:
            err = echo_ok(c, [json_payload(300, i) for i in range(5)])
        R.check(label, not err, err)
        c.close()
    # §6.1: RSV1 only on a data message's first frame.
    frame_case(R, port, "rsv1 on a continuation frame",
               frame(0x1, b"\xf2\x48", fin=False, rsv=4) + frame(0x0, b"\xcd\xc9\xc9\x07\x00", rsv=4), "close:1002")
    frame_case(R, port, "rsv1 on a ping", frame(0x9, b"", rsv=4), "close:1002")
    frame_case(R, port, "rsv1 on a close", frame(0x8, struct.pack("!H", 1000), rsv=4), "close:1002")
    frame_case(R, port, "not a DEFLATE stream", frame(0x1, b"\xff\xff\xff", rsv=4), "close:1007")
    bad = zlib.compressobj(wbits=-15)
    frame_case(R, port, "inflates to invalid UTF-8",
               frame(0x1, (bad.compress(b"\xce\xba\xed\xa0\x80") + bad.flush(zlib.Z_SYNC_FLUSH))[:-4], rsv=4),
               "close:1007")
    # RFC 7692 §7.2.3.1's fragmented "Hello", in one-byte fragments, with a ping between.
    c = DeflateConn(port, offer_header())
    c.send(frame(0x1, b"\xf2", fin=False, rsv=4) + b"".join(frame(0x0, bytes([b]), fin=False) for b in b"\x48\xcd\xc9\xc9\x07")
           + frame(0x9, b"p") + frame(0x0, b"\x00"))
    got = c.read_message()
    R.check("7.2.3.1 fragmented Hello", got[0] == "text" and got[1] == b"Hello", got)
    c.close()
    # Without an offer, RSV1 is RFC 6455's reserved bit.
    c = DeflateConn(port, "")
    c.send(frame(0x1, b"\xf2\x48\xcd\xc9\xc9\x07\x00", rsv=4))
    R.check("rsv1 without the extension", c.read_message()[0] == "close:1002")
    c.close()


def frame_case(R, port, label, data, expected):
    c = DeflateConn(port, offer_header())
    c.send(data)
    got = c.read_message()[0]
    R.check(f"deflate {label}", got == expected and c.closed_by_server(), got)
    c.close()
