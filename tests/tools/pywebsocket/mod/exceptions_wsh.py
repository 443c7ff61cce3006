# The first message names the exception to raise; each maps to pywebsocket's close code.
from mod_pywebsocket import msgutil, stream


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    name = request.ws_stream.receive_message()
    raise {
        'bad': msgutil.BadOperationException,
        'frame': msgutil.InvalidFrameException,
        'unsupported': msgutil.UnsupportedFrameException,
        'utf8': stream.InvalidUTF8Exception,
        'terminated': msgutil.ConnectionTerminatedException,
        'value': ValueError,
    }[name]('raised on request: ' + name)
