"""Constants handlers use: protocol versions, opcodes, header names, close status codes, HTTP
statuses, as pywebsocket's common module names them. Values only, no behaviour."""

LOGLEVEL_FINE = 9

VERSION_HYBI13 = 13
VERSION_HYBI14 = 13
VERSION_HYBI15 = 13
VERSION_HYBI16 = 13
VERSION_HYBI17 = 13
VERSION_HYBI_LATEST = VERSION_HYBI13

DEFAULT_WEB_SOCKET_PORT = 80
DEFAULT_WEB_SOCKET_SECURE_PORT = 443
WEB_SOCKET_SCHEME = 'ws'
WEB_SOCKET_SECURE_SCHEME = 'wss'

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xa

WEBSOCKET_ACCEPT_UUID = b'258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

UPGRADE_HEADER = 'Upgrade'
WEBSOCKET_UPGRADE_TYPE = 'websocket'
CONNECTION_HEADER = 'Connection'
UPGRADE_CONNECTION_TYPE = 'Upgrade'
HOST_HEADER = 'Host'
ORIGIN_HEADER = 'Origin'
SEC_WEBSOCKET_KEY_HEADER = 'Sec-WebSocket-Key'
SEC_WEBSOCKET_ACCEPT_HEADER = 'Sec-WebSocket-Accept'
SEC_WEBSOCKET_VERSION_HEADER = 'Sec-WebSocket-Version'
SEC_WEBSOCKET_PROTOCOL_HEADER = 'Sec-WebSocket-Protocol'
SEC_WEBSOCKET_EXTENSIONS_HEADER = 'Sec-WebSocket-Extensions'

PERMESSAGE_DEFLATE_EXTENSION = 'permessage-deflate'

STATUS_NORMAL_CLOSURE = 1000
STATUS_GOING_AWAY = 1001
STATUS_PROTOCOL_ERROR = 1002
STATUS_UNSUPPORTED_DATA = 1003
STATUS_NO_STATUS_RECEIVED = 1005
STATUS_ABNORMAL_CLOSURE = 1006
STATUS_INVALID_FRAME_PAYLOAD_DATA = 1007
STATUS_POLICY_VIOLATION = 1008
STATUS_MESSAGE_TOO_BIG = 1009
STATUS_MANDATORY_EXTENSION = 1010
STATUS_INTERNAL_ENDPOINT_ERROR = 1011
STATUS_TLS_HANDSHAKE = 1015
STATUS_USER_REGISTERED_BASE = 3000
STATUS_USER_REGISTERED_MAX = 3999
STATUS_USER_PRIVATE_BASE = 4000
STATUS_USER_PRIVATE_MAX = 4999

STATUS_NORMAL = STATUS_NORMAL_CLOSURE
STATUS_UNSUPPORTED = STATUS_UNSUPPORTED_DATA
STATUS_CODE_NOT_AVAILABLE = STATUS_NO_STATUS_RECEIVED
STATUS_ABNORMAL_CLOSE = STATUS_ABNORMAL_CLOSURE
STATUS_INVALID_FRAME_PAYLOAD = STATUS_INVALID_FRAME_PAYLOAD_DATA
STATUS_MANDATORY_EXT = STATUS_MANDATORY_EXTENSION

HTTP_STATUS_BAD_REQUEST = 400
HTTP_STATUS_FORBIDDEN = 403
HTTP_STATUS_NOT_FOUND = 404


def is_control_opcode(opcode):
    return (opcode >> 3) == 1


class ExtensionParameter(object):
    """One offered extension: its name and parameters (request.ws_requested_extensions)."""

    def __init__(self, name):
        self._name = name
        self._parameters = []

    def name(self):
        return self._name

    def add_parameter(self, name, value):
        self._parameters.append((name, value))

    def get_parameters(self):
        return self._parameters

    def get_parameter_names(self):
        return [name for name, _ in self._parameters]

    def has_parameter(self, name):
        return any(n == name for n, _ in self._parameters)

    def get_parameter_value(self, name):
        for n, value in self._parameters:
            if n == name:
                return value
        return None


class ExtensionParsingException(Exception):
    pass


def parse_extensions(data):
    """'a; x=1, b' -> [ExtensionParameter('a') with x=1, ExtensionParameter('b')]."""
    result = []
    for item in data.split(','):
        parts = [p.strip() for p in item.split(';')]
        if not parts[0]:
            if item.strip():
                raise ExtensionParsingException('empty extension name in %r' % data)
            continue
        ext = ExtensionParameter(parts[0])
        for param in parts[1:]:
            if not param:
                continue
            name, eq, value = param.partition('=')
            value = value.strip().strip('"') if eq else None
            ext.add_parameter(name.strip(), value)
        result.append(ext)
    return result


def format_extension(extension):
    text = extension.name()
    for name, value in extension.get_parameters():
        text += '; ' + name if value is None else '; %s=%s' % (name, value)
    return text


def format_extensions(extension_list):
    return ', '.join(format_extension(e) for e in extension_list)
