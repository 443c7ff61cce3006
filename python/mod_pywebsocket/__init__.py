"""`mod_pywebsocket`, the package name of pywebsocket before pywebsocket3: the same modules, the
same objects (so `except mod_pywebsocket.msgutil.BadOperationException` catches what
pywebsocket3's raises). Aliases only."""

import sys

import pywebsocket3
from pywebsocket3 import common, handshake, msgutil, stream, util  # noqa: F401
from pywebsocket3 import _stream_exceptions  # noqa: F401

for _name in ('common', 'handshake', 'msgutil', 'stream', 'util', '_stream_exceptions'):
    sys.modules[__name__ + '.' + _name] = getattr(pywebsocket3, _name)
