# In a subfolder: /sub/version. Reports the handler's version (the reload test rewrites it).
VERSION = 'v1'


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    while True:
        message = request.ws_stream.receive_message()
        if message is None:
            return
        request.ws_stream.send_message(VERSION + ':' + message)
