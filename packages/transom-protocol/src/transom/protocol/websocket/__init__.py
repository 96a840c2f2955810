"""The WebSocket protocol (RFC 6455) with permessage-deflate (RFC 7692), sans I/O.

The opening handshake is a pair of functions over HTTP headers:
:func:`server_handshake` on the server, :func:`client_handshake_request` and
:func:`validate_server_response` on the client. After the 101 response both
sides drive a :class:`WebSocketConnection`: received bytes in, events out,
frames to write back::

    connection = WebSocketConnection(Role.SERVER, extensions=result.extensions)
    connection.receive_data(chunk)
    while (event := connection.next_event()) is not NEED_DATA:
        if isinstance(event, TextMessage):
            transport.write(connection.send_text(event.data))
"""

from transom.protocol.http1 import NEED_DATA, Role
from transom.protocol.websocket._close import (
    MAX_CLOSE_REASON_SIZE,
    CloseCode,
    is_valid_close_code,
)
from transom.protocol.websocket._connection import (
    DEFAULT_MAX_MESSAGE_SIZE,
    ConnectionState,
    WebSocketConnection,
)
from transom.protocol.websocket._deflate import PerMessageDeflate
from transom.protocol.websocket._errors import HandshakeError, WebSocketProtocolError
from transom.protocol.websocket._events import (
    BytesFragment,
    BytesMessage,
    CloseReceived,
    ConnectionClosed,
    Event,
    Ping,
    Pong,
    TextFragment,
    TextMessage,
)
from transom.protocol.websocket._frames import MAX_CONTROL_PAYLOAD_SIZE, Opcode
from transom.protocol.websocket._handshake import (
    WEBSOCKET_VERSION,
    ClientHandshake,
    HandshakeResult,
    accept_key,
    client_handshake_request,
    server_handshake,
    validate_server_response,
)
from transom.protocol.websocket._messages import WSMessage, WSMsgType

__all__ = [
    "DEFAULT_MAX_MESSAGE_SIZE",
    "MAX_CLOSE_REASON_SIZE",
    "MAX_CONTROL_PAYLOAD_SIZE",
    "NEED_DATA",
    "WEBSOCKET_VERSION",
    "BytesFragment",
    "BytesMessage",
    "ClientHandshake",
    "CloseCode",
    "CloseReceived",
    "ConnectionClosed",
    "ConnectionState",
    "Event",
    "HandshakeError",
    "HandshakeResult",
    "Opcode",
    "PerMessageDeflate",
    "Ping",
    "Pong",
    "Role",
    "TextFragment",
    "TextMessage",
    "WSMessage",
    "WSMsgType",
    "WebSocketConnection",
    "WebSocketProtocolError",
    "accept_key",
    "client_handshake_request",
    "is_valid_close_code",
    "server_handshake",
    "validate_server_response",
]
