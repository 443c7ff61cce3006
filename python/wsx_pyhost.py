#!/usr/bin/python3
"""The wsx Python host: runs one pywebsocket handler file (*_wsh.py) for `wsx serve`, every
connection of it multiplexed over this process's stdin/stdout, each connection's handler on its own
thread (as pywebsocket does). Started, restarted and ended by the server (tools/wsx/serve/
python_host.cpp); what it writes to stderr goes to the server's log.

Frames both ways: kind (1 byte), connection id (8 bytes, big-endian), length (4), payload.
  server -> host: H handshake (NUL-separated: resource, remote host, remote port, the count of
                  NAME=value TLS variables and those, then header name/value pairs), T/B text/binary message, P the peer's close (code, reason),
                  G the connection is gone, K credit (bytes of our output the server has queued).
  host -> server: A accept (protocol, 1 or 0: permessage-deflate allowed, then header
                  name/value pairs), R reject (status, body),
                  D drop, T/B message, F fragment (flags byte: 1 binary, 2 fin; data), C close
                  (code, reason), Q the reply to the peer's close (empty: echo), I ping,
                  K credit (bytes of input the handler has taken), E the handler returned.
Rule: no handler code runs on the reader thread."""

import importlib.util
import os
import struct
import sys
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pywebsocket3 import common, handshake, stream  # noqa: E402
from pywebsocket3._stream_exceptions import (  # noqa: E402
    BadOperationException, ConnectionTerminatedException, InvalidFrameException,
    InvalidUTF8Exception, UnsupportedFrameException)

HEADER = struct.Struct('!cQI')
OUTPUT_WINDOW = 1024 * 1024  # bytes sent and not yet queued by the server, per connection
MAX_MESSAGE = 64 * 1024 * 1024  # the server's largest frame from the host (and output queue)
threading.stack_size(256 * 1024)

# The frames use private copies of stdin and stdout: a handler's print() (or a C extension writing
# to fd 1) goes to stderr, hence the log, and nothing a handler reads from stdin steals a frame.
_in = os.fdopen(os.dup(0), 'rb')
_out = os.fdopen(os.dup(1), 'wb')
os.dup2(2, 1)
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
sys.stdout = sys.stderr
_out_lock = threading.Lock()


def log(*parts):
    sys.stderr.write(' '.join(str(p) for p in parts) + '\n')
    sys.stderr.flush()


def emit(kind, conn_id, payload=b''):
    with _out_lock:
        _out.write(HEADER.pack(kind, conn_id, len(payload)) + payload)
        _out.flush()


class HeadersIn(object):
    """The request's header fields, looked up without regard to case, shaped like the
    email.message.Message pywebsocket's standalone server gives: a missing field is None."""

    def __init__(self, pairs):
        self._pairs = pairs

    def get(self, name, default=None):
        values = [v for n, v in self._pairs if n.lower() == name.lower()]
        return ', '.join(values) if values else default

    def __getitem__(self, name):
        return self.get(name)

    def get_all(self, name, failobj=None):
        values = [v for n, v in self._pairs if n.lower() == name.lower()]
        return values or failobj

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [n for n, _ in self._pairs]

    def items(self):
        return list(self._pairs)

    def __iter__(self):
        return iter(self.keys())


class Connection(object):
    """request.connection: the peer's address; raw writes are not available in wsx."""

    def __init__(self, remote_addr):
        self.remote_addr = remote_addr
        self.remote_ip = remote_addr[0]

    def write(self, data):
        raise BadOperationException('request.connection.write (raw bytes) is not supported by '
                                    'wsx: use request.ws_stream.send_message')


class DeflateProcessor(object):
    """pywebsocket's extension processor interface for permessage-deflate, which the server
    itself runs: only whether the handler keeps it matters."""

    def __init__(self):
        self._active = True

    def name(self):
        return common.PERMESSAGE_DEFLATE_EXTENSION

    def is_active(self):
        return self._active

    def set_active(self, active):
        self._active = bool(active)


def keeps_deflate(request):
    return any(isinstance(p, DeflateProcessor) and p.is_active()
               for p in (request.ws_extension_processors or []))


class Request(object):
    """What handlers get: pywebsocket's request attributes."""

    def __init__(self, resource, remote, headers, env=None):
        self.uri = self.unparsed_uri = self.ws_resource = resource
        self.method = 'GET'
        self.protocol = 'HTTP/1.1'
        self.headers_in = HeadersIn(headers)
        self.connection = Connection(remote)
        self.ws_origin = self.headers_in.get('Origin')
        self.ws_version = int(self.headers_in.get('Sec-WebSocket-Version', '13'))
        offered = self.headers_in.get('Sec-WebSocket-Protocol')
        self.ws_requested_protocols = (
            [p.strip() for p in offered.split(',') if p.strip()] if offered else None)
        extensions = self.headers_in.get('Sec-WebSocket-Extensions')
        self.ws_requested_extensions = common.parse_extensions(extensions) if extensions else None
        # permessage-deflate, when offered: the server negotiates and runs it (handlers see whole,
        # inflated messages); a handler that removes the processor, or deactivates it, declines it.
        offers_deflate = any(e.name() == common.PERMESSAGE_DEFLATE_EXTENSION
                             for e in (self.ws_requested_extensions or []))
        self.ws_extension_processors = [DeflateProcessor()] if offers_deflate else []
        self.ws_extensions = None
        self.ws_protocol = None
        self.extra_headers = []
        self.ws_close_code = None
        self.ws_close_reason = None
        self.client_terminated = False
        self.server_terminated = False
        self.ws_stream = None
        # mod_python's name for the CGI-style variables: over TLS, mod_ssl's (HTTPS, SSL_PROTOCOL,
        # SSL_CLIENT_S_DN, ...), as CGI scripts and executable handlers get them.
        self.subprocess_env = dict(env or {})

    def is_https(self):
        return self.subprocess_env.get('HTTPS') == 'on'


class Channel(object):
    """One connection's end in the host: its inbox (filled by the reader thread), its output
    window (sends block while the server holds OUTPUT_WINDOW bytes not yet queued)."""

    def __init__(self, conn_id):
        self.id = conn_id
        self.cond = threading.Condition()
        self.inbox = []
        self.gone = False
        self.unacked = 0

    def deliver(self, event):
        with self.cond:
            self.inbox.append(event)
            self.cond.notify_all()

    def next_event(self):
        with self.cond:
            while not self.inbox and not self.gone:
                self.cond.wait()
            if not self.inbox:
                return ('gone',)
            event = self.inbox.pop(0)
        if event[0] == 'message':
            emit(b'K', self.id, struct.pack('!I', len(event[1])))
        return event

    def credit(self, n):
        with self.cond:
            self.unacked -= n
            self.cond.notify_all()

    def end(self):
        with self.cond:
            self.gone = True
            self.cond.notify_all()

    def send_data(self, payload, binary, end, fragmented):
        if len(payload) > MAX_MESSAGE:
            raise BadOperationException('message over %d bytes' % MAX_MESSAGE)
        with self.cond:
            while self.unacked > OUTPUT_WINDOW and not self.gone:
                self.cond.wait()
            if self.gone:
                raise ConnectionTerminatedException('Sending: the connection is closed')
            self.unacked += len(payload)
        if fragmented:
            flags = (1 if binary else 0) | (2 if end else 0)
            emit(b'F', self.id, bytes([flags]) + payload)
        else:
            emit(b'B' if binary else b'T', self.id, payload)

    def send_close(self, code, reason):
        if self.gone:
            raise ConnectionTerminatedException('Closing: the connection is closed')
        emit(b'C', self.id, stream.create_closing_handshake_body(code, reason))

    def send_ping(self, body):
        if self.gone:
            raise ConnectionTerminatedException('Ping: the connection is closed')
        emit(b'I', self.id, body)


# Exceptions from web_socket_transfer_data and the close code each gets (pywebsocket's mapping);
# InvalidFrameException before ConnectionTerminatedException, its base class.
CLOSE_CODES = [
    (BadOperationException, common.STATUS_INTERNAL_ENDPOINT_ERROR),
    (InvalidFrameException, common.STATUS_PROTOCOL_ERROR),
    (UnsupportedFrameException, common.STATUS_UNSUPPORTED_DATA),
    (InvalidUTF8Exception, common.STATUS_INVALID_FRAME_PAYLOAD_DATA),
    (ConnectionTerminatedException, None),  # silent
]


class Host(object):
    def __init__(self, path):
        self.path = path
        self.module = None
        self.channels = {}
        self.requests = {}
        self.lock = threading.Lock()
        try:
            spec = importlib.util.spec_from_file_location(
                'wsx_handler_' + os.path.basename(path)[:-3], path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            if not callable(getattr(module, 'web_socket_transfer_data', None)):
                raise TypeError('web_socket_transfer_data is not a function')
            self.module = module
        except BaseException:  # noqa: B902 (a handler's SystemExit too)
            log(path + ': cannot load the handler:\n' + traceback.format_exc().rstrip())

    def handshake(self, conn_id, payload):
        fields = payload.decode('utf-8', 'replace').split('\0')
        resource, host, port = fields[0], fields[1], int(fields[2] or 0)
        n_env = int(fields[3] or 0)
        env = dict(v.split('=', 1) for v in fields[4:4 + n_env])
        headers = list(zip(fields[4 + n_env::2], fields[5 + n_env::2]))
        if self.module is None:
            emit(b'R', conn_id, b'404\0the handler failed to load')
            return
        channel = Channel(conn_id)
        request = Request(resource, (host, port), headers, env)
        request.ws_stream = stream.Stream(request, channel)
        with self.lock:
            self.channels[conn_id] = channel
            self.requests[conn_id] = request
        threading.Thread(target=self.serve, args=(conn_id, request, channel), daemon=True).start()

    def extra_handshake(self, conn_id, request):
        """Runs web_socket_do_extra_handshake; True if the connection was accepted."""
        try:
            hook = getattr(self.module, 'web_socket_do_extra_handshake', None)
            if hook is not None:
                hook(request)
        except handshake.AbortedByUserException as e:
            log('handshake aborted by the handler: ' + str(e))
            emit(b'D', conn_id)
            return False
        except Exception as e:  # any, HandshakeException too: 403, as pywebsocket answers
            log('web_socket_do_extra_handshake refused the handshake: %r' % e)
            emit(b'R', conn_id, ('403\0%s' % e).encode('utf-8', 'replace'))
            return False
        protocol = request.ws_protocol
        if protocol is not None and protocol not in (request.ws_requested_protocols or []):
            log('ws_protocol %r was not offered by the client' % protocol)
            emit(b'R', conn_id, b'400\0subprotocol not offered')
            return False
        fields = [protocol or '', '1' if keeps_deflate(request) else '0']
        for name, value in request.extra_headers:
            fields += [str(name), str(value)]
        emit(b'A', conn_id, '\0'.join(fields).encode('utf-8'))
        return True

    def serve(self, conn_id, request, channel):
        try:
            if self.extra_handshake(conn_id, request):
                self.transfer(conn_id, request)
        finally:
            channel.end()
            with self.lock:
                self.channels.pop(conn_id, None)
                self.requests.pop(conn_id, None)
            emit(b'E', conn_id)

    def transfer(self, conn_id, request):
        try:
            self.module.web_socket_transfer_data(request)
            if not request.server_terminated:
                request.ws_stream.close_connection()
        except handshake.AbortedByUserException:
            emit(b'D', conn_id)
        except Exception as e:  # noqa: B902
            for cls, code in CLOSE_CODES:
                if isinstance(e, cls):
                    if code is not None:
                        log('%s: %s (close %d)' % (cls.__name__, e, code))
                        self.close_quietly(request, code)
                    return
            log('web_socket_transfer_data raised for %s:\n%s' %
                (request.ws_resource, traceback.format_exc().rstrip()))
            self.close_quietly(request, common.STATUS_INTERNAL_ENDPOINT_ERROR)

    @staticmethod
    def close_quietly(request, code):
        try:
            request.ws_stream.close_connection(code, wait_response=False)
        except Exception:  # noqa: B902 (the connection is gone already)
            pass

    def peer_closed(self, conn_id, payload):
        with self.lock:
            request = self.requests.get(conn_id)
            channel = self.channels.get(conn_id)
        if request is None:
            emit(b'Q', conn_id)
            return
        code = struct.unpack('!H', payload[:2])[0] if len(payload) >= 2 else 1005
        request.ws_close_code = code
        request.ws_close_reason = payload[2:].decode('utf-8', 'replace')
        request.client_terminated = True
        if not request.server_terminated:
            self.passive_close(conn_id, request)
        channel.deliver(('close', code))

    def passive_close(self, conn_id, request):
        hook = getattr(self.module, 'web_socket_passive_closing_handshake', None)
        code, reason = common.STATUS_NORMAL_CLOSURE, ''
        try:
            if hook is not None:
                code, reason = hook(request)
        except handshake.AbortedByUserException:
            emit(b'D', conn_id)
            return
        except Exception:  # noqa: B902
            log('web_socket_passive_closing_handshake raised:\n' +
                traceback.format_exc().rstrip())
            code, reason = common.STATUS_INTERNAL_ENDPOINT_ERROR, ''
        request.server_terminated = True
        if code is None:
            emit(b'Q', conn_id)  # an empty close frame: the peer's own (empty) one echoed
        else:
            emit(b'Q', conn_id, stream.create_closing_handshake_body(code, reason or ''))

    def channel(self, conn_id):
        with self.lock:
            return self.channels.get(conn_id)


def read_exactly(source, n):
    data = b''
    while len(data) < n:
        chunk = source.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def main():
    if len(sys.argv) != 2:
        log('usage: wsx_pyhost.py HANDLER_wsh.py')
        return 2
    host = Host(sys.argv[1])
    source = _in
    while True:
        head = read_exactly(source, HEADER.size)
        if head is None:
            return 0  # the server is gone: daemon threads end with us
        kind, conn_id, length = HEADER.unpack(head)
        payload = read_exactly(source, length) if length else b''
        if payload is None:
            return 0
        if kind == b'H':
            host.handshake(conn_id, payload)
        elif kind == b'P':
            # Its own thread: a slow web_socket_passive_closing_handshake stalls no one else.
            threading.Thread(target=host.peer_closed, args=(conn_id, payload), daemon=True).start()
        else:
            channel = host.channel(conn_id)
            if channel is None:
                continue
            if kind in (b'T', b'B'):
                channel.deliver(('message', payload, kind == b'B'))
            elif kind == b'K':
                channel.credit(struct.unpack('!I', payload)[0])
            elif kind == b'G':
                channel.end()


if __name__ == '__main__':
    sys.exit(main())
