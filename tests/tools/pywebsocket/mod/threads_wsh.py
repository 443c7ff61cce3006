# msgutil's MessageReceiver and MessageSender threads; a HandshakeException refuses (403); the
# mod_pywebsocket names are pywebsocket3's very objects.
import pywebsocket3.msgutil

from mod_pywebsocket import handshake, msgutil


def web_socket_do_extra_handshake(request):
    if request.ws_resource.endswith('?refuse'):
        raise handshake.HandshakeException('refused on request', 400)


def web_socket_transfer_data(request):
    receiver = msgutil.MessageReceiver(request)
    sender = msgutil.MessageSender(request)
    sender.send('got ' + receiver.receive())
    same = msgutil.BadOperationException is pywebsocket3.msgutil.BadOperationException
    sender.send('same classes: %s' % same)
    receiver.stop()
