# /deep/er/close: closes with the code the first message names, pywebsocket3 style.
from pywebsocket3 import common
from pywebsocket3.handshake import AbortedByUserException  # noqa: F401


def web_socket_do_extra_handshake(request):
    request.extra_headers.append(('X-Pywebsocket3', 'yes'))


def web_socket_transfer_data(request):
    code = int(request.ws_stream.receive_message())
    request.ws_stream.close_connection(code, 'closing with %d' % code)


def web_socket_passive_closing_handshake(request):
    return common.STATUS_NORMAL_CLOSURE, 'bye'
