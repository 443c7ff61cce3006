# "crash" kills the whole Python host process (as a segfault would); anything else is echoed.
import os


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    while True:
        message = request.ws_stream.receive_message()
        if message is None:
            return
        if message == 'crash':
            os._exit(3)
        request.ws_stream.send_message(message)
