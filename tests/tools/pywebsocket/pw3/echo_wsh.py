# The seed's echo handler written against pywebsocket3.
from pywebsocket3 import common  # noqa: F401
from pywebsocket3 import msgutil


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    while True:
        message = msgutil.receive_message(request)
        if message is None:
            return
        msgutil.send_message(request, message, binary=not isinstance(message, str))
        if message == 'Goodbye':
            return
