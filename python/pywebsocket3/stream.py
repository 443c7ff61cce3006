"""request.ws_stream: receive_message, send_message, close_connection, send_ping, with pywebsocket's
semantics and exceptions. The frames themselves are the wsx server's business: this class speaks
to the handler's channel in the wsx Python host (wsx_pyhost.Channel), never to a socket."""

import struct

from pywebsocket3 import common
from pywebsocket3._stream_exceptions import (  # noqa: F401 (re-exported, as pywebsocket does)
    BadOperationException, ConnectionTerminatedException, InvalidFrameException,
    InvalidUTF8Exception, UnsupportedFrameException)


def create_closing_handshake_body(code, reason):
    """The payload of a close frame: 2-byte code and UTF-8 reason, or b'' for code None."""
    if code is None:
        return b''
    if isinstance(reason, str):
        reason = reason.encode('utf-8')
    return struct.pack('!H', code) + (reason or b'')


class StreamOptions(object):
    def __init__(self):
        self.mask_send = False
        self.unmask_receive = True


class Stream(object):
    """One connection's message stream, as the handler's thread sees it (blocking calls)."""

    def __init__(self, request, channel):
        self._request = request
        self._channel = channel
        self._close_seen = False
        self._fragment_binary = None  # the type of a message sent with end=False, until it ends
        self._last_opcode = None

    def send_message(self, message, end=True, binary=False):
        if self._request.server_terminated:
            raise BadOperationException(
                'Requested send_message after sending out a closing handshake')
        if binary and isinstance(message, str):
            raise BadOperationException('Message for binary frame must not be instance of Unicode')
        if isinstance(message, str):
            payload = message.encode('utf-8')
        elif isinstance(message, (bytes, bytearray, memoryview)):
            payload = bytes(message)
        else:
            raise BadOperationException('Message must be str or bytes, not %s' %
                                        type(message).__name__)
        if self._fragment_binary is not None and self._fragment_binary != binary:
            raise BadOperationException('Message types are different in frames for the same '
                                        'message')
        fragmented = self._fragment_binary is not None or not end
        self._fragment_binary = None if end else binary
        self._channel.send_data(payload, binary, end, fragmented)

    def receive_message(self):
        if self._close_seen:
            raise BadOperationException(
                'Requested receive_message after receiving a closing handshake')
        event = self._channel.next_event()
        if event[0] == 'message':
            _, data, binary = event
            self._last_opcode = common.OPCODE_BINARY if binary else common.OPCODE_TEXT
            if binary:
                return data
            try:
                return data.decode('utf-8')
            except UnicodeDecodeError as e:  # the server checks UTF-8 first: not expected
                raise InvalidUTF8Exception(e)
        if event[0] == 'close':
            self._close_seen = True
            self._last_opcode = common.OPCODE_CLOSE
            return None
        raise ConnectionTerminatedException('Receiving: the connection is closed')

    def close_connection(self, code=common.STATUS_NORMAL_CLOSURE, reason='', wait_response=True):
        if self._request.server_terminated:
            return
        if code is None:
            if reason:
                raise BadOperationException('close reason must not be specified if code is None')
            reason = ''
        elif not isinstance(reason, (bytes, str)):
            raise BadOperationException('close reason must be an instance of bytes or unicode')
        if isinstance(reason, bytes):
            reason = reason.decode('utf-8', 'replace')
        self._request.server_terminated = True
        self._channel.send_close(code, reason)
        if (not wait_response or code in (common.STATUS_GOING_AWAY, common.STATUS_PROTOCOL_ERROR)
                or self._close_seen):
            return
        # Wait for the client's close (bounded: the server's closing timeout ends the wait).
        while True:
            event = self._channel.next_event()
            if event[0] == 'close':
                self._close_seen = True
                return
            if event[0] == 'gone':
                return

    def send_ping(self, body=b'', binary=False):
        if isinstance(body, str):
            body = body.encode('utf-8')
        if len(body) > 125:
            raise BadOperationException('Payload data size of control frames must be 125 bytes '
                                        'or less')
        self._channel.send_ping(bytes(body))

    def get_last_received_opcode(self):
        return self._last_opcode
