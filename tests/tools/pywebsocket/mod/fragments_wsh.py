# Sends a text message in three fragments and a binary one in two; then, asked "stream", sends
# 64 KiB fragments of one endless message (it must stop at the watermark when nobody reads).
def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    request.ws_stream.send_message('ab', end=False)
    request.ws_stream.send_message('cd', end=False)
    request.ws_stream.send_message('ef', end=True)
    request.ws_stream.send_message(b'\x00\x01', end=False, binary=True)
    request.ws_stream.send_message(b'\x02', end=True, binary=True)
    if request.ws_stream.receive_message() == 'stream':
        chunk = 'x' * 65536
        sent = 0
        while True:
            request.ws_stream.send_message(chunk, end=False)
            sent += len(chunk)
            with open(request.ws_resource.split('?', 1)[1], 'w') as f:
                f.write(str(sent))
