# Reports what the handshake saw, as JSON, then echoes one message with msgutil.
import json

from mod_pywebsocket import msgutil


def web_socket_do_extra_handshake(request):
    offered = request.ws_requested_protocols or []
    if 'chat.v2' in offered:
        request.ws_protocol = 'chat.v2'
    elif 'unoffered' in offered:
        request.ws_protocol = 'never-offered'


def web_socket_transfer_data(request):
    exts = request.ws_requested_extensions
    msgutil.send_message(request, json.dumps({
        'uri': request.uri,
        'resource': request.ws_resource,
        'origin': request.ws_origin,
        'version': request.ws_version,
        'x_test': request.headers_in.get('X-TEST'),
        'x_test_lower': request.headers_in['x-test'],
        'missing': request.headers_in['X-Missing'],
        'all_x_test': request.headers_in.get_all('x-test'),
        'protocols': request.ws_requested_protocols,
        'protocol': request.ws_protocol,
        'extensions': [e.name() for e in exts] if exts else None,
        'remote': request.connection.remote_addr[0],
    }))
    msgutil.send_ping(request, 'ping-body')
    msgutil.send_message(request, msgutil.receive_message(request))
    msgutil.close_connection(request)
    msgutil.send_message(request, 'after close')  # BadOperationException, after the close: quiet
