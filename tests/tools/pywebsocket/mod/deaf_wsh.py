# Never reads; the client's flood must stop being read (backpressure toward the client). With
# "?close" it closes after a second without having read anything.
import time


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    if request.ws_resource.endswith('?close'):
        time.sleep(1)
        request.ws_stream.close_connection(4003, 'done without reading', wait_response=False)
        time.sleep(2)  # still running: nothing drains its unread messages
        return
    for _ in range(600):
        time.sleep(1)
