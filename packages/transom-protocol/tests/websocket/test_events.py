"""The events are immutable values compared by type and fields."""

from __future__ import annotations

import dataclasses

import pytest

from transom.protocol.http1 import NEED_DATA as HTTP1_NEED_DATA
from transom.protocol.websocket import (
    NEED_DATA,
    BytesFragment,
    BytesMessage,
    CloseReceived,
    ConnectionClosed,
    Ping,
    Pong,
    TextFragment,
    TextMessage,
)


def test_events_compare_by_type_and_fields() -> None:
    assert TextMessage("a") == TextMessage(data="a")
    ping: object = Ping(b"x")
    close: object = CloseReceived(1000, "")
    assert ping != Pong(b"x")
    assert close != ConnectionClosed(1000, "")
    assert TextFragment("a", True) != TextFragment("a", False)
    assert BytesFragment(b"a", True) == BytesFragment(data=b"a", final=True)


def test_events_are_immutable() -> None:
    event = BytesMessage(b"a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = b"b"  # type: ignore[misc]


def test_event_repr_shows_fields() -> None:
    assert repr(CloseReceived(1000, "bye")) == "CloseReceived(code=1000, reason='bye')"


def test_need_data_is_the_http1_sentinel() -> None:
    assert NEED_DATA is HTTP1_NEED_DATA


def test_ws_message_decodes_json_data() -> None:
    from transom.protocol.websocket import WSMessage, WSMsgType

    message = WSMessage(WSMsgType.TEXT, '{"a": [1, 2]}', None)
    assert message.json() == {"a": [1, 2]}
    assert message.json(loads=lambda data: ("custom", data)) == ("custom", '{"a": [1, 2]}')


def test_ws_msg_type_values_are_the_opcodes_and_three_states() -> None:
    from transom.protocol.websocket import Opcode, WSMsgType

    for name in ("CONTINUATION", "TEXT", "BINARY", "PING", "PONG", "CLOSE"):
        assert WSMsgType[name].value == Opcode[name].value
    assert {WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR}.isdisjoint(set(Opcode))


def test_close_code_has_aiohttp_names_as_aliases() -> None:
    from transom.protocol.websocket import CloseCode

    assert CloseCode["OK"] is CloseCode["NORMAL_CLOSURE"]
    assert CloseCode["INVALID_TEXT"] is CloseCode["INVALID_FRAME_PAYLOAD_DATA"]
