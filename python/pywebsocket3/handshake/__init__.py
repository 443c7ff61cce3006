"""The opening handshake's exceptions, as pywebsocket's handshake package names them. wsx does the
handshake itself (in C++); handlers only raise these from web_socket_do_extra_handshake (or, for
AbortedByUserException, anywhere: the connection is dropped without a response or a close)."""


class AbortedByUserException(Exception):
    """The handler wants the connection dropped: no response, no close frame."""


class HandshakeException(Exception):
    """The handshake is refused; `status` is the HTTP status sent (400 when not given)."""

    def __init__(self, name, status=None):
        super(HandshakeException, self).__init__(name)
        self.status = status


class VersionException(Exception):
    """The client asked for a protocol version the server does not support."""

    def __init__(self, name, supported_versions=''):
        super(VersionException, self).__init__(name)
        self.supported_versions = supported_versions


def validate_subprotocol(subprotocol):
    """Raises HandshakeException unless `subprotocol` is a token (RFC 6455 §4.1)."""
    if not subprotocol:
        raise HandshakeException('Invalid subprotocol name: empty')
    for c in subprotocol:
        if not 0x21 <= ord(c) <= 0x7e or c in '()<>@,;:\\"/[]?={}':
            raise HandshakeException('Illegal character in subprotocol name: %r' % c)
