"""The public names of ``transom.protocol.websocket``."""

from __future__ import annotations

import transom.protocol.websocket as websocket

EXPECTED = {
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
}


def test_all_lists_exactly_the_public_names() -> None:
    assert set(websocket.__all__) == EXPECTED
    assert len(websocket.__all__) == len(EXPECTED)


def test_all_is_sorted() -> None:
    assert websocket.__all__ == sorted(websocket.__all__, key=lambda n: (not n.isupper(), n))


def test_every_public_name_is_importable() -> None:
    for name in websocket.__all__:
        assert getattr(websocket, name) is not None


def test_role_is_the_http1_role() -> None:
    from transom.protocol.http1 import Role

    assert websocket.Role is Role
