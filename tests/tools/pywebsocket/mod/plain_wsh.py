# Declines every extension the server would run (pywebsocket's way: empty the processor list),
# then says whether it was offered permessage-deflate.
from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    names = [p.name() for p in request.ws_extension_processors]
    request.ws_extension_processors = []
    request.offered = names


def web_socket_transfer_data(request):
    msgutil.send_message(request, 'processors: %s' % ','.join(request.offered))
    msgutil.receive_message(request)
