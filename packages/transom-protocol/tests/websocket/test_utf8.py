"""UTF-8 validation of text messages, fragment by fragment (Autobahn 6.x)."""

from __future__ import annotations

import pytest

from transom.protocol.websocket import (
    NEED_DATA,
    Role,
    TextFragment,
    TextMessage,
    WebSocketConnection,
    WebSocketProtocolError,
)

MASK = b"\x01\x02\x03\x04"
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"


def fragment(payload: bytes, *, first: bool, fin: bool) -> bytes:
    opcode = 0x1 if first else 0x0
    header = bytes([(0x80 if fin else 0) | opcode, 0x80 | len(payload)]) + MASK
    return header + bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))


def fragments(*parts: bytes) -> list[bytes]:
    last = len(parts) - 1
    return [fragment(p, first=i == 0, fin=i == last) for i, p in enumerate(parts)]


@pytest.mark.parametrize(
    ("parts", "failing_fragment"),
    [
        # Autobahn 6.4.1: the middle fragment holds U+110000.
        pytest.param((KOSME, b"\xf4\x90\x80\x80", b"edited"), 1, id="6.4.1"),
        # Autobahn 6.4.2: the lead byte ends the first fragment, the bad
        # continuation byte starts the second.
        pytest.param((KOSME + b"\xf4", b"\x90", b"\x80\x80edited"), 1, id="6.4.2"),
        pytest.param((b"ok", b"\xff", b"more"), 1, id="invalid-byte-mid-message"),
        # A surrogate is impossible after ED A0, before its last byte arrives.
        pytest.param((b"a\xed\xa0", b"\x80"), 0, id="surrogate-prefix"),
        pytest.param((b"a\xe0\x80", b"\x80"), 0, id="overlong-prefix"),
        pytest.param((b"a\xf5", b"\x80\x80\x80"), 0, id="lead-byte-past-f4"),
    ],
)
def test_invalid_utf8_fails_on_the_first_fragment_that_proves_it(
    parts: tuple[bytes, ...], failing_fragment: int
) -> None:
    server = WebSocketConnection(Role.SERVER)
    for index, data in enumerate(fragments(*parts)):
        server.receive_data(data)
        if index < failing_fragment:
            assert server.next_event() is NEED_DATA
            continue
        with pytest.raises(WebSocketProtocolError) as caught:
            server.next_event()
        assert caught.value.close_code == 1007
        return
    pytest.fail("no error")


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param((KOSME[:1], KOSME[1:]), id="split-after-lead-byte"),
        pytest.param((b"\xf0\x9f", b"\x98", b"\x80"), id="four-byte-sequence-in-three"),
        pytest.param((b"\xed\x9f", b"\xbf"), id="last-code-point-before-surrogates"),
        pytest.param((b"\xf4\x8f\xbf", b"\xbf"), id="last-code-point"),
        pytest.param((b"", b"", b"x"), id="empty-fragments"),
    ],
)
def test_valid_utf8_split_anywhere_is_accepted(parts: tuple[bytes, ...]) -> None:
    server = WebSocketConnection(Role.SERVER)
    server.receive_data(b"".join(fragments(*parts)))
    assert server.next_event() == TextMessage(b"".join(parts).decode())


def test_streamed_text_fragments_never_split_a_character() -> None:
    server = WebSocketConnection(Role.SERVER, stream_fragments=True)
    server.receive_data(b"".join(fragments(b"a\xce", b"\xba\xe1", b"\xbd\xb9")))
    assert [server.next_event() for _ in range(3)] == [
        TextFragment("a", False),
        TextFragment("\u03ba", False),
        TextFragment("\u1f79", True),
    ]
