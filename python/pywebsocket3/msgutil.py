"""pywebsocket's message functions over request.ws_stream (receive_message, send_message,
close_connection, send_ping), its exceptions, and the MessageReceiver / MessageSender threads.
Thin: every call goes to the request's stream."""

import queue
import threading

from pywebsocket3._stream_exceptions import (  # noqa: F401 (re-exported, as pywebsocket does)
    BadOperationException, ConnectionTerminatedException, InvalidFrameException,
    InvalidUTF8Exception, UnsupportedFrameException)


def close_connection(request):
    request.ws_stream.close_connection()


def send_message(request, payload_data, end=True, binary=False):
    request.ws_stream.send_message(payload_data, end, binary)


def receive_message(request):
    return request.ws_stream.receive_message()


def send_ping(request, body):
    request.ws_stream.send_ping(body)


class MessageReceiver(threading.Thread):
    """Receives on its own thread: receive() blocks, receive_nowait() returns None if none waits;
    with `onmessage`, every message goes to it instead."""

    def __init__(self, request, onmessage=None):
        threading.Thread.__init__(self, daemon=True)
        self._request = request
        self._queue = queue.Queue()
        self._onmessage = onmessage
        self._stop_requested = False
        self.start()

    def run(self):
        try:
            while not self._stop_requested:
                message = receive_message(self._request)
                if self._onmessage:
                    self._onmessage(message)
                else:
                    self._queue.put(message)
                if message is None:
                    return
        except (ConnectionTerminatedException, BadOperationException):
            self._queue.put(None)
        finally:
            close_connection(self._request)

    def receive(self):
        return self._queue.get()

    def receive_nowait(self):
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def stop(self):
        self._stop_requested = True


class MessageSender(threading.Thread):
    """Sends on its own thread: send() waits until the message is sent, send_nowait() does not."""

    def __init__(self, request):
        threading.Thread.__init__(self, daemon=True)
        self._request = request
        self._queue = queue.Queue()
        self.start()

    def run(self):
        while True:
            message, condition = self._queue.get()
            with condition:
                send_message(self._request, message)
                condition.notify()

    def send(self, message):
        condition = threading.Condition()
        with condition:
            self._queue.put((message, condition))
            condition.wait()

    def send_nowait(self, message):
        self._queue.put((message, threading.Condition()))
