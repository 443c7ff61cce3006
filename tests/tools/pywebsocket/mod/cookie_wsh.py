# ?set adds Set-Cookie to the 101; the first message is the Cookie header the client sent.
from six.moves import urllib


def web_socket_do_extra_handshake(request):
    if urllib.parse.urlparse(request.uri)[4] == 'set':
        request.extra_headers.append(('Set-Cookie', 'foo=bar; Max-Age=86400'))
    request.extra_headers.append(('X-Handler', 'cookie'))


def web_socket_transfer_data(request):
    request.ws_stream.send_message(request.headers_in.get('cookie') or '-', binary=False)
