from pywebsocket3 import handshake


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    request.ws_stream.receive_message()
    raise handshake.AbortedByUserException('Aborted in web_socket_transfer_data')
