# The seed's echo handler, in pywebsocket's style: text and binary come back as they arrived;
# after echoing "Goodbye" the handler returns (the server closes with 1000). Offers "echo".
import six

from mod_pywebsocket import common  # noqa: F401

_GOODBYE_MESSAGE = u'Goodbye'


def web_socket_do_extra_handshake(request):
    if request.ws_requested_protocols and 'echo' in request.ws_requested_protocols:
        request.ws_protocol = 'echo'


def web_socket_transfer_data(request):
    while True:
        line = request.ws_stream.receive_message()
        if line is None:
            return
        if isinstance(line, six.text_type):
            print('echo handler got', line[:40])  # print() goes to the log, not the frames
            request.ws_stream.send_message(line, binary=False)
            if line == _GOODBYE_MESSAGE:
                return
        else:
            request.ws_stream.send_message(line, binary=True)
