"""Close codes (RFC 6455 §7.4) and Close frame payloads (§5.5.1)."""

from __future__ import annotations

import pytest

from transom.protocol.websocket import (
    MAX_CLOSE_REASON_SIZE,
    NEED_DATA,
    CloseCode,
    CloseReceived,
    Role,
    WebSocketConnection,
    is_valid_close_code,
)


def test_close_codes_carry_the_registry_names() -> None:
    assert int(CloseCode.NORMAL_CLOSURE) == 1000
    assert int(CloseCode.PROTOCOL_ERROR) == 1002
    assert int(CloseCode.NO_STATUS_RCVD) == 1005
    assert int(CloseCode.ABNORMAL_CLOSURE) == 1006
    assert int(CloseCode.INVALID_FRAME_PAYLOAD_DATA) == 1007
    assert int(CloseCode.MESSAGE_TOO_BIG) == 1009
    assert int(CloseCode.TLS_HANDSHAKE) == 1015


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        (0, False),
        (999, False),
        (1000, True),
        (1003, True),
        (1004, False),
        (1005, False),
        (1006, False),
        (1007, True),
        (1011, True),
        (1014, True),
        (1015, False),
        (1016, False),
        (2999, False),
        (3000, True),
        (4999, True),
        (5000, False),
    ],
)
def test_which_codes_may_appear_in_a_close_frame(code: int, valid: bool) -> None:
    assert is_valid_close_code(code) is valid


def test_close_frame_layout() -> None:
    server = WebSocketConnection(Role.SERVER)
    assert server.send_close(CloseCode.GOING_AWAY, "bye") == b"\x88\x05\x03\xe9bye"


def test_close_reason_round_trips_through_utf8() -> None:
    server = WebSocketConnection(Role.SERVER)
    client = WebSocketConnection(Role.CLIENT)
    client.receive_data(server.send_close(4000, "ça va"))
    assert client.next_event() == CloseReceived(4000, "ça va")
    assert client.next_event() is NEED_DATA


def test_reason_size_limit_leaves_room_for_the_code() -> None:
    assert MAX_CLOSE_REASON_SIZE == 123
