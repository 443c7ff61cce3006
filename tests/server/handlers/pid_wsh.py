# Sends its host process's pid, then echoes every message as it arrived: each loop thread must
# run its own host, so connections on one loop see one pid and those on another loop another.
import os

from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    msgutil.send_message(request, str(os.getpid()))
    while True:
        message = request.ws_stream.receive_message()
        if message is None:
            return
        msgutil.send_message(request, message)
