"""Small helpers handlers import from pywebsocket's util module. No I/O."""

import logging


def prepend_message_to_exception(message, exc):
    """Prefixes an exception's message (its first argument)."""
    args = list(exc.args) or ['']
    args[0] = message + str(args[0])
    exc.args = tuple(args)


def hexify(s):
    return ' '.join('%02x' % b for b in bytearray(s))


def get_class_logger(o):
    return logging.getLogger('%s.%s' % (o.__class__.__module__, o.__class__.__name__))


def pack_byte(b):
    return bytes(bytearray([b]))


class NoopMasker(object):
    def mask(self, s):
        return s


class RepeatedXorMasker(object):
    """XORs data with a repeated 4-byte key, keeping its place across calls."""

    def __init__(self, masking_key):
        self._key = bytearray(masking_key)
        self._index = 0

    def mask(self, s):
        data = bytearray(s)
        for i in range(len(data)):
            data[i] ^= self._key[(self._index + i) % len(self._key)]
        self._index = (self._index + len(data)) % len(self._key)
        return bytes(data)
