# Every message goes to every member: module state (the member list) is shared by all the
# connections of a handler file, whose threads send on one another's streams.
import threading

_lock = threading.Lock()
_members = []


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    with _lock:
        _members.append(request)
    try:
        while True:
            message = request.ws_stream.receive_message()
            if message is None:
                return
            with _lock:
                members = list(_members)
            for member in members:
                try:
                    member.ws_stream.send_message(message)
                except Exception:  # a member that is leaving
                    pass
    finally:
        with _lock:
            _members.remove(request)
