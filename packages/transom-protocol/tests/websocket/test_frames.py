"""Frame-level rules of RFC 6455 §5, fed as raw bytes built by hand."""

from __future__ import annotations

import pytest

from transom.protocol.websocket import (
    NEED_DATA,
    BytesMessage,
    CloseReceived,
    ConnectionState,
    Event,
    PerMessageDeflate,
    Ping,
    Pong,
    Role,
    TextMessage,
    WebSocketConnection,
    WebSocketProtocolError,
)

MASK = b"\x37\xfa\x21\x3d"

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = MASK,
    length_size: int | None = None,
) -> bytes:
    """Encode one frame independently of the code under test."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    length = len(payload)
    if length_size is None:
        length_size = 0 if length < 126 else 2 if length < 0x10000 else 8
    mask_bit = 0x80 if mask is not None else 0
    if length_size == 0:
        header = bytes([first, mask_bit | length])
    elif length_size == 2:
        header = bytes([first, mask_bit | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([first, mask_bit | 127]) + length.to_bytes(8, "big")
    if mask is None:
        return header + payload
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def events_of(connection: WebSocketConnection, data: bytes) -> list[Event]:
    connection.receive_data(data)
    events: list[Event] = []
    for _ in range(1000):
        event = connection.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
    raise AssertionError("too many events")


def close_code_of(data: bytes, *, role: Role = Role.SERVER, **options: object) -> int:
    connection = WebSocketConnection(role, **options)  # type: ignore[arg-type]
    with pytest.raises(WebSocketProtocolError) as caught:
        events_of(connection, data)
    return caught.value.close_code


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2, "big") + reason


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(frame(TEXT, b"Hello"), [TextMessage("Hello")], id="text"),
        pytest.param(frame(BINARY, b"\x00\xff"), [BytesMessage(b"\x00\xff")], id="binary"),
        pytest.param(frame(TEXT), [TextMessage("")], id="empty-text"),
        pytest.param(frame(BINARY), [BytesMessage(b"")], id="empty-binary"),
        pytest.param(frame(PING, b"hi"), [Ping(b"hi")], id="ping"),
        pytest.param(frame(PONG, b"hi"), [Pong(b"hi")], id="pong"),
        pytest.param(frame(PING, b"x" * 125), [Ping(b"x" * 125)], id="ping-125-bytes"),
        pytest.param(
            frame(TEXT, b"Hel", fin=False) + frame(CONTINUATION, b"lo"),
            [TextMessage("Hello")],
            id="fragmented-text",
        ),
        pytest.param(
            frame(BINARY, b"a", fin=False)
            + frame(CONTINUATION, b"", fin=False)
            + frame(CONTINUATION, b"b"),
            [BytesMessage(b"ab")],
            id="fragmented-binary-with-empty-fragment",
        ),
        pytest.param(
            frame(TEXT, b"a", fin=False)
            + frame(PING, b"1")
            + frame(CONTINUATION, b"b", fin=False)
            + frame(PONG, b"2")
            + frame(CONTINUATION, b"c"),
            [Ping(b"1"), Pong(b"2"), TextMessage("abc")],
            id="control-frames-between-fragments",
        ),
        pytest.param(
            frame(TEXT, "κό".encode()[:3], fin=False) + frame(CONTINUATION, "κό".encode()[3:]),
            [TextMessage("κό")],
            id="character-split-across-fragments",
        ),
        pytest.param(
            frame(TEXT, b"Hello", length_size=2), [TextMessage("Hello")], id="16-bit-length"
        ),
        pytest.param(
            frame(TEXT, b"Hello", length_size=8), [TextMessage("Hello")], id="64-bit-length"
        ),
        pytest.param(
            frame(BINARY, b"z" * 126), [BytesMessage(b"z" * 126)], id="first-16-bit-length"
        ),
        pytest.param(
            frame(BINARY, b"z" * 0x10000),
            [BytesMessage(b"z" * 0x10000)],
            id="first-64-bit-length",
        ),
        pytest.param(
            frame(TEXT, b"a") + frame(BINARY, b"b"),
            [TextMessage("a"), BytesMessage(b"b")],
            id="two-frames-in-one-read",
        ),
    ],
)
def test_valid_frames_give_events(data: bytes, expected: list[Event]) -> None:
    assert events_of(WebSocketConnection(Role.SERVER), data) == expected


@pytest.mark.parametrize(
    ("data", "code"),
    [
        # Reserved bits (Autobahn 3.x).
        pytest.param(frame(TEXT, b"x", rsv=0b100), 1002, id="rsv1-without-extension"),
        pytest.param(frame(TEXT, b"x", rsv=0b010), 1002, id="rsv2"),
        pytest.param(frame(TEXT, b"x", rsv=0b001), 1002, id="rsv3"),
        pytest.param(frame(PING, b"x", rsv=0b111), 1002, id="all-rsv-on-ping"),
        # Reserved opcodes (Autobahn 4.x).
        *(
            pytest.param(frame(opcode, b"x"), 1002, id=f"reserved-opcode-{opcode:#x}")
            for opcode in (3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF)
        ),
        # Control frames (Autobahn 2.x, 5.x).
        pytest.param(frame(PING, b"x", fin=False), 1002, id="fragmented-ping"),
        pytest.param(frame(PONG, b"x", fin=False), 1002, id="fragmented-pong"),
        pytest.param(frame(CLOSE, close_payload(1000), fin=False), 1002, id="fragmented-close"),
        pytest.param(frame(PING, b"x" * 126), 1002, id="ping-126-bytes"),
        pytest.param(frame(PONG, b"x" * 126), 1002, id="pong-126-bytes"),
        pytest.param(frame(PING, b"x", length_size=2), 1002, id="ping-with-16-bit-length"),
        # Fragmentation (Autobahn 5.x).
        pytest.param(frame(CONTINUATION, b"x"), 1002, id="continuation-without-start"),
        pytest.param(
            frame(CONTINUATION, b"x", fin=False), 1002, id="unfinished-continuation-first"
        ),
        pytest.param(
            frame(TEXT, b"a", fin=False) + frame(TEXT, b"b"), 1002, id="text-while-fragmented"
        ),
        pytest.param(
            frame(BINARY, b"a", fin=False) + frame(TEXT, b"b"),
            1002,
            id="text-during-binary-message",
        ),
        pytest.param(
            frame(TEXT, b"a") + frame(CONTINUATION, b"b"), 1002, id="continuation-after-end"
        ),
        # Close frames (Autobahn 7.x).
        pytest.param(frame(CLOSE, b"\x03"), 1002, id="close-1-byte"),
        *(
            pytest.param(frame(CLOSE, close_payload(code)), 1002, id=f"close-code-{code}")
            for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535)
        ),
        pytest.param(
            frame(CLOSE, close_payload(1000, b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed")),
            1007,
            id="close-reason-invalid-utf8",
        ),
        # UTF-8 (Autobahn 6.x).
        pytest.param(frame(TEXT, b"\xff"), 1007, id="text-invalid-byte"),
        pytest.param(frame(TEXT, b"\xed\xa0\x80"), 1007, id="text-surrogate"),
        pytest.param(frame(TEXT, b"\xf4\x90\x80\x80"), 1007, id="text-beyond-unicode"),
        pytest.param(frame(TEXT, b"\xc0\xaf"), 1007, id="text-overlong"),
        pytest.param(frame(TEXT, b"\xce"), 1007, id="text-truncated"),
        pytest.param(
            frame(TEXT, b"a", fin=False) + frame(CONTINUATION, b"\xce"),
            1007,
            id="fragmented-text-truncated",
        ),
        # Masking (RFC 6455 §5.1).
        pytest.param(frame(TEXT, b"x", mask=None), 1002, id="unmasked-frame-to-server"),
        pytest.param(frame(PING, mask=None), 1002, id="unmasked-ping-to-server"),
        # Length (RFC 6455 §5.2).
        pytest.param(
            bytes([0x82, 0xFF]) + (1 << 63).to_bytes(8, "big"), 1002, id="64-bit-length-msb"
        ),
    ],
)
def test_invalid_frames_fail_the_connection(data: bytes, code: int) -> None:
    assert close_code_of(data) == code


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(frame(TEXT, b"x"), id="masked-text"),
        pytest.param(frame(PING), id="masked-ping"),
    ],
)
def test_client_rejects_masked_frames(data: bytes) -> None:
    assert close_code_of(data, role=Role.CLIENT) == 1002


def test_client_reads_unmasked_frames() -> None:
    client = WebSocketConnection(Role.CLIENT)
    assert events_of(client, frame(TEXT, b"hi", mask=None)) == [TextMessage("hi")]


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
)
def test_valid_close_codes_are_received(code: int) -> None:
    events = events_of(WebSocketConnection(Role.SERVER), frame(CLOSE, close_payload(code, b"ok")))
    assert events == [CloseReceived(code, "ok")]


def test_empty_close_frame_means_no_status() -> None:
    assert events_of(WebSocketConnection(Role.SERVER), frame(CLOSE)) == [CloseReceived(1005, "")]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(bytes([0x81, 0x80 | 127]) + (5 * 1024 * 1024).to_bytes(8, "big"), id="64"),
        pytest.param(bytes([0x82, 0x80 | 126]) + (2000).to_bytes(2, "big"), id="16"),
    ],
)
def test_oversized_frame_fails_on_its_header(header: bytes) -> None:
    connection = WebSocketConnection(Role.SERVER, max_message_size=1000)
    connection.receive_data(header)
    with pytest.raises(WebSocketProtocolError) as caught:
        connection.next_event()
    assert caught.value.close_code == 1009


def test_message_may_be_exactly_the_size_limit() -> None:
    connection = WebSocketConnection(Role.SERVER, max_message_size=4)
    data = frame(BINARY, b"ab", fin=False) + frame(CONTINUATION, b"cd")
    assert events_of(connection, data) == [BytesMessage(b"abcd")]


def test_fragments_adding_up_past_the_limit_fail() -> None:
    data = frame(BINARY, b"abc", fin=False) + frame(CONTINUATION, b"de")
    assert close_code_of(data, max_message_size=4) == 1009


def test_size_limit_counts_each_message_afresh() -> None:
    connection = WebSocketConnection(Role.SERVER, max_message_size=4)
    data = (frame(BINARY, b"ab", fin=False) + frame(CONTINUATION, b"cd")) * 2 + frame(TEXT, b"wxyz")
    assert events_of(connection, data) == [
        BytesMessage(b"abcd"),
        BytesMessage(b"abcd"),
        TextMessage("wxyz"),
    ]


def test_control_frames_do_not_count_against_the_size_limit() -> None:
    connection = WebSocketConnection(Role.SERVER, max_message_size=0)
    assert events_of(connection, frame(PING, b"x" * 125)) == [Ping(b"x" * 125)]


def test_no_size_limit_when_none() -> None:
    connection = WebSocketConnection(Role.SERVER, max_message_size=None)
    data = frame(BINARY, b"x" * 100_000)
    assert events_of(connection, data) == [BytesMessage(b"x" * 100_000)]


def test_header_errors_are_found_before_the_payload_arrives() -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.receive_data(frame(0x3, b"payload")[:2])
    with pytest.raises(WebSocketProtocolError):
        connection.next_event()


def test_frame_split_at_every_byte_gives_the_same_event() -> None:
    data = frame(BINARY, b"split me" * 40)
    connection = WebSocketConnection(Role.SERVER)
    events: list[Event] = []
    for index in range(len(data)):
        events += events_of(connection, data[index : index + 1])
    assert events == [BytesMessage(b"split me" * 40)]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            frame(TEXT, b"\x02\x00", rsv=0b100, fin=False) + frame(CONTINUATION, b"", rsv=0b100),
            id="rsv1-on-continuation",
        ),
        pytest.param(frame(PING, b"", rsv=0b100), id="rsv1-on-ping"),
        pytest.param(frame(PONG, b"", rsv=0b100), id="rsv1-on-pong"),
        pytest.param(frame(CLOSE, b"", rsv=0b100), id="rsv1-on-close"),
    ],
)
def test_rsv1_only_on_first_frame_of_a_compressed_message(data: bytes) -> None:
    assert close_code_of(data, extensions=[PerMessageDeflate()]) == 1002


def test_failing_queues_a_close_frame_with_the_code() -> None:
    server = WebSocketConnection(Role.SERVER)
    server.receive_data(frame(TEXT, b"\xff"))
    with pytest.raises(WebSocketProtocolError) as caught:
        server.next_event()
    assert repr(caught.value) == "WebSocketProtocolError(1007, 'invalid UTF-8 in text')"
    assert server.state is ConnectionState.CLOSED
    assert server.close_code == 1007
    sent = server.data_to_send()
    assert server.data_to_send() == b""
    client = WebSocketConnection(Role.CLIENT)
    assert events_of(client, sent) == [CloseReceived(1007, "invalid UTF-8 in text")]


def test_failed_connection_raises_the_same_error_again() -> None:
    server = WebSocketConnection(Role.SERVER)
    server.receive_data(frame(CONTINUATION, b"x"))
    with pytest.raises(WebSocketProtocolError) as first:
        server.next_event()
    server.receive_data(frame(TEXT, b"ok"))
    with pytest.raises(WebSocketProtocolError) as second:
        server.next_event()
    assert second.value is first.value


def test_no_close_frame_is_queued_when_one_was_already_sent() -> None:
    server = WebSocketConnection(Role.SERVER)
    server.send_close()
    server.receive_data(frame(0x3))
    with pytest.raises(WebSocketProtocolError):
        server.next_event()
    assert server.data_to_send() == b""


def test_protocol_error_is_a_remote_protocol_error() -> None:
    from transom.protocol import RemoteProtocolError

    assert issubclass(WebSocketProtocolError, RemoteProtocolError)
