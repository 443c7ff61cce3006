# Answers every client close with 4001 "custom", whatever the client sent.
def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    while request.ws_stream.receive_message() is not None:
        pass


def web_socket_passive_closing_handshake(request):
    return 4001, 'custom %d' % request.ws_close_code
