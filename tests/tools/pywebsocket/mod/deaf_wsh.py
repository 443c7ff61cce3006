# Never reads; the client's flood must stop being read (backpressure toward the client).
import time


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    for _ in range(600):
        time.sleep(1)
