# An infinite loop: its thread spins for ever, yet the server and the other handlers go on.
def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    request.ws_stream.receive_message()
    while True:
        pass
