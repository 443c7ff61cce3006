# Blocks its thread for a second before answering: fifty of them must run side by side.
import time


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    request.ws_stream.receive_message()
    time.sleep(1)
    request.ws_stream.send_message('slept')
