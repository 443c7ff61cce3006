"""The exceptions a handler sees from the stream, with pywebsocket's names and hierarchy (the
dispatcher maps them to close codes: see wsx_pyhost.py). Nothing else lives here."""


class ConnectionTerminatedException(Exception):
    """The connection ended: the peer left, or the server closed it."""


class InvalidFrameException(ConnectionTerminatedException):
    """A frame broke the protocol (close 1002)."""


class BadOperationException(Exception):
    """The handler asked for something the connection's state forbids (close 1011)."""


class UnsupportedFrameException(Exception):
    """A frame the handler cannot take (close 1003)."""


class InvalidUTF8Exception(Exception):
    """A text message that is not UTF-8 (close 1007)."""
