"""The connection: closing handshake, end of stream, sending rules, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transom.protocol import LocalProtocolError
from transom.protocol.websocket import (
    DEFAULT_MAX_MESSAGE_SIZE,
    NEED_DATA,
    BytesFragment,
    BytesMessage,
    CloseCode,
    CloseReceived,
    ConnectionClosed,
    ConnectionState,
    Event,
    PerMessageDeflate,
    Ping,
    Pong,
    Role,
    TextFragment,
    TextMessage,
    WebSocketConnection,
    WebSocketProtocolError,
)


def pair(**options: object) -> tuple[WebSocketConnection, WebSocketConnection]:
    client = WebSocketConnection(Role.CLIENT, **options)  # type: ignore[arg-type]
    server = WebSocketConnection(Role.SERVER, **options)  # type: ignore[arg-type]
    return client, server


def drain(connection: WebSocketConnection, data: bytes = b"") -> list[Event]:
    if data:
        connection.receive_data(data)
    events: list[Event] = []
    for _ in range(10_000):
        event = connection.next_event()
        if event is NEED_DATA:
            return events
        events.append(event)
    raise AssertionError("too many events")


def state_of(connection: WebSocketConnection) -> ConnectionState:
    # A call, so that the type checker does not pin the property's value.
    return connection.state


def test_default_message_limit_is_four_mebibytes() -> None:
    assert DEFAULT_MAX_MESSAGE_SIZE == 4 * 1024 * 1024


def test_new_connection_is_open_without_close_code() -> None:
    connection = WebSocketConnection(Role.SERVER)
    assert state_of(connection) is ConnectionState.OPEN
    assert connection.close_code is None
    assert connection.close_reason == ""
    assert connection.next_event() is NEED_DATA
    assert connection.data_to_send() == b""


def test_messages_and_control_frames_round_trip() -> None:
    client, server = pair()
    sent = (
        client.send_text("hello")
        + client.send_bytes(b"\x00\x01")
        + client.send_ping(b"p")
        + client.send_pong(b"q")
    )
    assert drain(server, sent) == [
        TextMessage("hello"),
        BytesMessage(b"\x00\x01"),
        Ping(b"p"),
        Pong(b"q"),
    ]


def test_server_initiated_close_handshake() -> None:
    client, server = pair()
    close = server.send_close(CloseCode.GOING_AWAY, "bye")
    assert state_of(server) is ConnectionState.CLOSING
    assert drain(client, close) == [CloseReceived(1001, "bye")]
    assert state_of(client) is ConnectionState.CLOSING
    assert (client.close_code, client.close_reason) == (1001, "bye")
    echo = client.send_close(1001)
    assert state_of(client) is ConnectionState.CLOSED
    assert drain(server, echo) == [CloseReceived(1001, "")]
    assert state_of(server) is ConnectionState.CLOSED
    assert server.close_code == 1001
    # The server closes the transport; the client sees the end of stream.
    client.receive_eof()
    assert client.next_event() == ConnectionClosed(1001, "bye")
    assert client.next_event() == ConnectionClosed(1001, "bye")


def test_client_initiated_close_handshake() -> None:
    client, server = pair()
    assert drain(server, client.send_close()) == [CloseReceived(1000, "")]
    assert drain(client, server.send_close()) == [CloseReceived(1000, "")]
    assert state_of(client) is state_of(server) is ConnectionState.CLOSED


def test_messages_still_arrive_after_sending_close() -> None:
    client, server = pair()
    server.send_close()
    assert drain(server, client.send_text("late")) == [TextMessage("late")]
    assert state_of(server) is ConnectionState.CLOSING


def test_nothing_is_read_after_the_peers_close_frame() -> None:
    client, server = pair()
    data = client.send_close() + b"\xff\xff garbage"
    assert drain(server, data) == [CloseReceived(1000, "")]
    assert drain(server, b"more garbage") == []


def test_end_of_stream_without_close_is_abnormal() -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.receive_data(b"\x81\x85")  # A frame cut short.
    connection.receive_eof()
    assert connection.next_event() == ConnectionClosed(1006, "")
    assert state_of(connection) is ConnectionState.CLOSED
    assert connection.close_code == CloseCode.ABNORMAL_CLOSURE


def test_buffered_events_come_before_connection_closed() -> None:
    client, server = pair()
    server.receive_data(client.send_text("last words") + client.send_close(4000, "done"))
    server.receive_eof()
    assert [server.next_event() for _ in range(3)] == [
        TextMessage("last words"),
        CloseReceived(4000, "done"),
        ConnectionClosed(4000, "done"),
    ]


def test_end_of_stream_after_our_close_is_still_abnormal() -> None:
    connection = WebSocketConnection(Role.CLIENT)
    connection.send_close()
    connection.receive_eof()
    assert connection.next_event() == ConnectionClosed(1006, "")


def test_data_after_end_of_stream_is_a_local_error() -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.receive_eof()
    with pytest.raises(LocalProtocolError):
        connection.receive_data(b"x")


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(lambda c: c.send_text("x"), id="text"),
        pytest.param(lambda c: c.send_bytes(b"x"), id="bytes"),
        pytest.param(lambda c: c.send_ping(), id="ping"),
        pytest.param(lambda c: c.send_pong(), id="pong"),
        pytest.param(lambda c: c.send_close(), id="close"),
    ],
)
def test_nothing_may_be_sent_after_close(send: object) -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.send_close()
    with pytest.raises(LocalProtocolError):
        send(connection)  # type: ignore[operator]


def test_nothing_may_be_sent_after_end_of_stream() -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.receive_eof()
    assert connection.next_event() == ConnectionClosed(1006, "")
    with pytest.raises(LocalProtocolError):
        connection.send_text("x")


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 2999, 5000])
def test_sending_a_reserved_close_code_is_refused(code: int) -> None:
    connection = WebSocketConnection(Role.SERVER)
    with pytest.raises(LocalProtocolError):
        connection.send_close(code)
    assert state_of(connection) is ConnectionState.OPEN


def test_close_reason_may_use_123_bytes() -> None:
    client, server = pair()
    reason = "é" * 61 + "x"
    assert drain(client, server.send_close(1000, reason)) == [CloseReceived(1000, reason)]
    with pytest.raises(LocalProtocolError):
        WebSocketConnection(Role.SERVER).send_close(1000, reason + "x")


def test_control_payload_over_125_bytes_is_refused() -> None:
    connection = WebSocketConnection(Role.SERVER)
    assert len(connection.send_ping(b"x" * 125)) == 127
    with pytest.raises(LocalProtocolError):
        connection.send_ping(b"x" * 126)
    with pytest.raises(LocalProtocolError):
        connection.send_pong(b"x" * 126)


def test_fragmented_send_uses_continuation_frames() -> None:
    client, server = pair()
    first = server.send_text("Hel", final=False)
    second = server.send_text("lo")
    assert first == b"\x01\x03Hel"
    assert second == b"\x80\x02lo"
    assert drain(client, first + server.send_ping() + second) == [Ping(b""), TextMessage("Hello")]


def test_fragmented_send_cannot_switch_type() -> None:
    connection = WebSocketConnection(Role.SERVER)
    connection.send_bytes(b"a", final=False)
    with pytest.raises(LocalProtocolError):
        connection.send_text("b")
    assert connection.send_bytes(b"c") == b"\x80\x01c"


def test_streamed_fragments_arrive_as_they_come() -> None:
    client, server = pair(stream_fragments=True)
    data = client.send_bytes(b"ab", final=False) + client.send_bytes(b"c")
    data += client.send_text("whole")
    assert drain(server, data) == [
        BytesFragment(b"ab", False),
        BytesFragment(b"c", True),
        TextFragment("whole", True),
    ]


def test_streamed_fragments_still_obey_the_size_limit() -> None:
    client, server = pair(stream_fragments=True, max_message_size=3)
    server.receive_data(client.send_bytes(b"ab", final=False) + client.send_bytes(b"cd"))
    assert server.next_event() == BytesFragment(b"ab", False)
    with pytest.raises(WebSocketProtocolError) as caught:
        server.next_event()
    assert caught.value.close_code == 1009


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"max_message_size": -1}, id="negative-limit"),
        pytest.param(
            {"extensions": [PerMessageDeflate(), PerMessageDeflate()]}, id="two-extensions"
        ),
    ],
)
def test_invalid_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        WebSocketConnection(Role.SERVER, **options)  # type: ignore[arg-type]


# -- properties ------------------------------------------------------------

DEFLATE_OPTIONS = st.one_of(
    st.none(),
    st.builds(
        PerMessageDeflate,
        server_no_context_takeover=st.booleans(),
        client_no_context_takeover=st.booleans(),
        server_max_window_bits=st.integers(8, 15),
        client_max_window_bits=st.integers(8, 15),
    ),
)
MESSAGES = st.one_of(st.text(max_size=300), st.binary(max_size=300))


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=150, deadline=None)
@given(
    messages=st.lists(MESSAGES, min_size=1, max_size=4),
    fragment_sizes=st.lists(st.integers(1, 50), max_size=5),
    cuts=st.lists(st.integers(0, 10_000), max_size=8),
    from_client=st.booleans(),
    deflate=DEFLATE_OPTIONS,
)
def test_any_message_sent_by_one_side_arrives_intact_at_the_other(
    messages: list[str | bytes],
    fragment_sizes: list[int],
    cuts: list[int],
    from_client: bool,
    deflate: PerMessageDeflate | None,
) -> None:
    extensions = [] if deflate is None else [deflate]
    client, server = pair(extensions=extensions)
    sender, receiver = (client, server) if from_client else (server, client)
    wire = b""
    for message in messages:
        # Send in fragments of the drawn sizes, then the rest as the last one.
        rest = message
        for size in fragment_sizes:
            piece, rest = rest[:size], rest[size:]
            if isinstance(piece, str):
                wire += sender.send_text(piece, final=False)
            else:
                wire += sender.send_bytes(piece, final=False)
        if isinstance(rest, str):
            wire += sender.send_text(rest)
        else:
            wire += sender.send_bytes(rest)
    events: list[Event] = []
    for chunk in split(wire, cuts):
        events += drain(receiver, chunk)
    expected = [TextMessage(m) if isinstance(m, str) else BytesMessage(m) for m in messages]
    assert events == expected


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=200),
    role=st.sampled_from(Role),
    deflate=st.booleans(),
    stream=st.booleans(),
)
def test_arbitrary_bytes_only_raise_protocol_errors(
    data: bytes, role: Role, deflate: bool, stream: bool
) -> None:
    connection = WebSocketConnection(
        role,
        max_message_size=100,
        extensions=[PerMessageDeflate()] if deflate else [],
        stream_fragments=stream,
    )
    error = None
    try:
        drain(connection, data)
        connection.receive_eof()
        assert isinstance(connection.next_event(), ConnectionClosed)
    except WebSocketProtocolError as caught:
        error = caught
    if error is not None:
        assert error.close_code in (1002, 1007, 1009)
        assert state_of(connection) is ConnectionState.CLOSED


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """A frame with a drawn header and payload, masked or not."""
    first = draw(st.sampled_from([0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x3]))
    first |= draw(st.sampled_from([0x80, 0x80, 0x00])) | draw(st.sampled_from([0, 0, 0x40, 0x10]))
    payload = draw(
        st.one_of(
            st.binary(max_size=130),
            st.sampled_from([b"\x03\xe8", b"\x03\xe8ok", b"\x03\xe9\xff", b"\xf2\x48\xcd\xc9"]),
        )
    )
    masked = draw(st.booleans())
    header = bytes([first, (0x80 if masked else 0) | min(len(payload), 125)])
    payload = payload[:125]
    if masked:
        return header + b"\x00\x00\x00\x00" + payload
    return header + payload


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(frames(), max_size=6),
    role=st.sampled_from(Role),
    deflate=st.booleans(),
)
def test_arbitrary_frames_only_raise_protocol_errors(
    data: list[bytes], role: Role, deflate: bool
) -> None:
    connection = WebSocketConnection(
        role, max_message_size=200, extensions=[PerMessageDeflate()] if deflate else []
    )
    error = None
    try:
        drain(connection, b"".join(data))
    except WebSocketProtocolError as caught:
        error = caught
    if error is not None:
        assert error.close_code in (1002, 1007, 1009)
        assert connection.data_to_send()[:1] == b"\x88"


def test_a_message_can_be_sent_uncompressed_when_deflate_was_agreed() -> None:
    client, server = pair(extensions=[PerMessageDeflate()])
    plain = server.send_text("a" * 100, compress=False)
    # FIN + TEXT, RSV1 clear, and the payload as is.
    assert plain[0] == 0x81
    assert plain.endswith(b"a" * 100)
    squeezed = server.send_text("a" * 100)
    assert squeezed[0] == 0xC1
    assert len(squeezed) < len(plain)
    assert drain(client, plain + squeezed) == [TextMessage("a" * 100)] * 2


def test_an_uncompressed_fragmented_message_stays_uncompressed_to_its_end() -> None:
    client, server = pair(extensions=[PerMessageDeflate()])
    first = server.send_bytes(b"x" * 50, final=False, compress=False)
    # The flag is read on the first fragment only.
    last = server.send_bytes(b"y" * 50, compress=True)
    assert first[0] == 0x02
    assert last[0] == 0x80
    assert last.endswith(b"y" * 50)
    assert drain(client, first + last) == [BytesMessage(b"x" * 50 + b"y" * 50)]


def test_buffered_size_counts_bytes_not_parsed_yet() -> None:
    client, server = pair()
    frames = client.send_text("one") + client.send_text("two")
    server.receive_data(frames[:-1])
    assert server.buffered_size == len(frames) - 1
    assert server.next_event() == TextMessage("one")
    assert server.buffered_size == len(frames) - 1 - len(client.send_text("one"))
    assert server.next_event() is NEED_DATA
    server.receive_data(frames[-1:])
    assert server.next_event() == TextMessage("two")
    assert server.buffered_size == 0


def test_receive_message_reads_nothing_after_the_peers_close_or_eof() -> None:
    client, server = pair()
    late = client.send_text("late")
    assert server.receive_message(client.send_close()) is None
    assert drain(server) == [CloseReceived(1000, "")]
    assert server.receive_message(late) is None
    assert drain(server) == []
    server.receive_eof()
    with pytest.raises(LocalProtocolError):
        server.receive_message(b"x")


@settings(max_examples=200, deadline=None)
@given(
    data=st.lists(frames(), max_size=6),
    cuts=st.lists(st.integers(0, 1_000), max_size=6),
    role=st.sampled_from(Role),
    deflate=st.booleans(),
    stream=st.booleans(),
)
def test_receive_message_reads_the_same_events_as_receive_data(
    data: list[bytes], cuts: list[int], role: Role, deflate: bool, stream: bool
) -> None:
    def events_of(use_receive_message: bool) -> list[Event | int]:
        connection = WebSocketConnection(
            role,
            max_message_size=200,
            extensions=[PerMessageDeflate()] if deflate else [],
            stream_fragments=stream,
        )
        events: list[Event | int] = []
        try:
            for chunk in split(b"".join(data), cuts):
                if use_receive_message:
                    message = connection.receive_message(chunk)
                    if message is not None:
                        events.append(message)
                else:
                    connection.receive_data(chunk)
                while (event := connection.next_event()) is not NEED_DATA:
                    events.append(event)
        except WebSocketProtocolError as error:
            events.append(error.close_code)
        return events

    assert events_of(True) == events_of(False)
