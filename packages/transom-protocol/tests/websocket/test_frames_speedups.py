"""The compiled reader of whole one-frame messages agrees with the Python path.

``transom.protocol._speedups.read_message`` takes a complete, unfragmented,
uncompressed TEXT or BINARY frame off a connection's buffer as its event, and
returns None, consuming nothing, for any other bytes; the Python frame reader
then runs over the same bytes. So a connection must give the same events, the
same errors and keep the same bytes with the compiled reader as without it.
These tests drive both over generated frame sequences in random splits, check
the function alone against ``read_frame`` and a strict UTF-8 decode, and pin
down every case it must leave to Python.

The compiled reader is set up here whatever ``TRANSOM_NO_EXTENSIONS`` says,
so both runs of the suite check it.
"""

from __future__ import annotations

import itertools
import operator
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transom.protocol import _speedups
from transom.protocol.websocket import (
    NEED_DATA,
    BytesMessage,
    ConnectionClosed,
    Event,
    PerMessageDeflate,
    Ping,
    Role,
    TextMessage,
    WebSocketConnection,
    WebSocketProtocolError,
    _connection,
)
from transom.protocol.websocket._frames import read_frame

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
KEY = b"\x37\xfa\x21\x3d"
# Byte sequences that strict UTF-8 refuses: a byte that never appears, a
# lone continuation byte, overlong forms, a surrogate, a code point beyond
# U+10FFFF and a sequence cut short.
INVALID_UTF8 = [
    b"\xff",
    b"\x80",
    b"\xc0\x80",
    b"\xe0\x80\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
]


@pytest.fixture(autouse=True, scope="module")
def _configured() -> None:
    for cls in (TextMessage, BytesMessage):
        _speedups.register_event(cls, [vars(cls)["data"]])
    _speedups.configure_messages(TextMessage, BytesMessage)


def xor(payload: bytes, key: bytes) -> bytes:
    return bytes(map(operator.xor, payload, itertools.cycle(key)))


def encode(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    key: bytes | None = KEY,
    length_size: int | None = None,
    length: int | None = None,
) -> bytes:
    """One frame, built independently of the code under test.

    Args:
        opcode: The frame's opcode, reserved ones included.
        payload: The unmasked payload.
        fin: The FIN bit.
        rsv: RSV1-3 as a 3-bit number (4 is RSV1).
        key: The masking key, or None for an unmasked frame.
        length_size: 0, 2 or 8 bytes of extended length; None for the
            minimal encoding.
        length: The length to write, when it is not the payload's.
    """
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    size = len(payload) if length is None else length
    if length_size is None:
        length_size = 0 if size < 126 else 2 if size < 0x10000 else 8
    mask_bit = 0x80 if key is not None else 0
    if length_size == 0:
        header = bytes([first, mask_bit | size])
    elif length_size == 2:
        header = bytes([first, mask_bit | 126]) + size.to_bytes(2, "big")
    else:
        header = bytes([first, mask_bit | 127]) + size.to_bytes(8, "big")
    if key is None:
        return header + payload
    return header + key + xor(payload, key)


@contextmanager
def fast_path(reader: _connection._MessageReader | None) -> Iterator[None]:
    """Run connections with ``reader`` as their compiled message reader."""
    saved = _connection._read_message
    _connection._read_message = reader
    try:
        yield
    finally:
        _connection._read_message = saved


Trace = list[object]


def run(
    chunks: list[bytes], reader: _connection._MessageReader | None, role: Role, **options: object
) -> Trace:
    """Everything a connection shows while it is fed ``chunks`` then the end of stream."""
    # A fixed key, so that the Close frames a client fails with compare equal.
    options = {"mask_key_factory": lambda size: KEY, **options}
    connection = WebSocketConnection(role, **options)  # type: ignore[arg-type]
    trace: Trace = []

    def drain() -> bool:
        for _ in range(10_000):
            try:
                event: Event | object = connection.next_event()
            except WebSocketProtocolError as error:
                trace.append(("error", error.close_code, error.reason))
                return False
            trace.append(event)
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                return True
            if isinstance(event, TextMessage | BytesMessage):
                # Built by the compiled reader or by the class: the same type
                # and field type either way.
                trace.append((type(event), type(event.data)))
        raise AssertionError("too many events")

    with fast_path(reader):
        for chunk in chunks:
            connection.receive_data(chunk)
            going = drain()
            trace.append((connection.buffered_size, connection.state, connection.close_code))
            if not going:
                break
        else:
            connection.receive_eof()
            drain()
    trace.append((connection.data_to_send(), connection.state, connection.close_code))
    return trace


@st.composite
def payloads(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["text", "text", "invalid", "binary", "close", "long"]))
    if kind == "text":
        return draw(st.text(max_size=40)).encode()
    if kind == "invalid":
        head = draw(st.text(max_size=12)).encode()
        tail = draw(st.text(max_size=12)).encode()
        return head + draw(st.sampled_from(INVALID_UTF8)) + tail
    if kind == "close":
        code = draw(st.sampled_from([1000, 1001, 1005, 1011, 3000, 4999, 999, 5000]))
        return code.to_bytes(2, "big") + draw(st.text(max_size=10)).encode()
    if kind == "long":
        size = draw(st.sampled_from([125, 126, 127, 0xFFFF, 0x10000]))
        return draw(st.sampled_from([b"a", b"\xce\xba", b"\x00\xff"])) * (size // 2)
    return draw(st.binary(max_size=40))


@st.composite
def frames(draw: st.DrawFn, masked: bool) -> bytes:
    """One frame, mostly well-formed for a receiver that ``masked`` says masks or not."""
    opcode = draw(st.sampled_from([TEXT] * 4 + [BINARY] * 3 + [CONTINUATION, PING, PONG, CLOSE]))
    if draw(st.integers(0, 19)) == 0:
        opcode = draw(st.sampled_from([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]))
    payload = draw(payloads())
    fin = draw(st.sampled_from([True, True, True, False]))
    rsv = draw(st.sampled_from([0] * 12 + [1, 2, 4, 7]))
    if draw(st.integers(0, 15)) == 0:
        masked = not masked
    key = draw(st.binary(min_size=4, max_size=4)) if masked else None
    size = len(payload)
    length_size = draw(
        st.sampled_from([None, None, None, 2, 8] if size < 0x10000 else [None, None, 8])
    )
    length = None
    if length_size == 8 and draw(st.integers(0, 7)) == 0:
        # The most significant bit of a 64-bit length must be 0.
        length = size | 1 << 63
    return encode(
        opcode, payload, fin=fin, rsv=rsv, key=key, length_size=length_size, length=length
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Role, dict[str, object], list[bytes]]:
    role = draw(st.sampled_from([Role.SERVER, Role.CLIENT]))
    options: dict[str, object] = {
        "max_message_size": draw(
            st.one_of(
                st.none(),
                st.integers(0, 60),
                st.sampled_from([125, 126, 0xFFFF, 0x10000, 1 << 70]),
            )
        ),
        "stream_fragments": draw(st.sampled_from([False] * 7 + [True])),
    }
    stream = b"".join(draw(st.lists(frames(role is Role.SERVER), min_size=1, max_size=6)))
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    chunks = [stream[start:end] for start, end in itertools.pairwise([0, *cuts, len(stream)])]
    return role, options, [chunk for chunk in chunks if chunk]


@given(scenarios())
@SETTINGS
def test_connections_behave_the_same_with_and_without_the_compiled_reader(
    scenario: tuple[Role, dict[str, object], list[bytes]],
) -> None:
    role, options, chunks = scenario
    assert run(chunks, _speedups.read_message, role, **options) == run(
        chunks, None, role, **options
    )


@given(
    frames(True) | frames(False),
    st.binary(max_size=12),
    st.booleans(),
    st.one_of(st.none(), st.integers(-1, 60), st.just(1 << 80)),
)
@SETTINGS
def test_read_message_takes_exactly_the_whole_messages_read_frame_reads(
    frame: bytes, rest: bytes, masked: bool, limit: int | None
) -> None:
    original = frame + rest
    expected_buffer = bytearray(original)
    python_limit = None if limit is None or limit < 0 else limit
    expected: TextMessage | BytesMessage | None = None
    try:
        read = read_frame(expected_buffer, masked, False, python_limit)
    except WebSocketProtocolError:
        read = None
    if read is not None:
        opcode, fin, rsv1, payload = read
        assert not rsv1
        if fin and opcode == TEXT:
            try:
                expected = TextMessage(payload.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        elif fin and opcode == BINARY:
            expected = BytesMessage(payload)
    buffer = bytearray(original)
    message = _speedups.read_message(buffer, masked, limit)
    assert message == expected
    if expected is None:
        assert buffer == original
    else:
        assert message is not None
        assert type(message) is type(expected)
        assert type(message.data) is type(expected.data)
        assert buffer == expected_buffer


@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize(
    ("opcode", "payload", "length_size"),
    [
        (TEXT, b"abc", None),
        (TEXT, b"a" * 200, None),
        (BINARY, b"ab", 8),
        (BINARY, b"\x00" * 0x10000, None),
    ],
)
def test_read_message_waits_for_the_whole_frame(
    masked: bool, opcode: int, payload: bytes, length_size: int | None
) -> None:
    whole = encode(opcode, payload, key=KEY if masked else None, length_size=length_size)
    for cut in sorted({*range(min(len(whole), 20)), len(whole) - 1}):
        buffer = bytearray(whole[:cut])
        assert _speedups.read_message(buffer, masked, None) is None
        assert buffer == whole[:cut]
    buffer = bytearray(whole)
    assert _speedups.read_message(buffer, masked, None) is not None
    assert buffer == b""


@pytest.mark.parametrize("masked", [True, False])
@pytest.mark.parametrize("length", [1 << 31, 1 << 32, 1 << 62, (1 << 63) - 1])
def test_read_message_waits_for_a_huge_frame(masked: bool, length: int) -> None:
    data = encode(BINARY, b"abc", key=KEY if masked else None, length=length, length_size=8)
    buffer = bytearray(data)
    assert _speedups.read_message(buffer, masked, None) is None
    assert buffer == data


REFUSED = [
    pytest.param(encode(BINARY, length=1 << 63, length_size=8), True, None, id="length-msb"),
    pytest.param(
        encode(BINARY, b"a", length=1 << 63 | 1, length_size=8), True, None, id="length-msb-1"
    ),
    pytest.param(encode(TEXT, b"a", fin=False), True, None, id="text-not-final"),
    pytest.param(encode(BINARY, b"a", fin=False), True, None, id="binary-not-final"),
    pytest.param(encode(CONTINUATION, b"a"), True, None, id="continuation"),
    pytest.param(encode(PING, b"a"), True, None, id="ping"),
    pytest.param(encode(PONG, b"a"), True, None, id="pong"),
    pytest.param(encode(CLOSE, b"\x03\xe8"), True, None, id="close"),
    *(
        pytest.param(encode(TEXT, b"a", rsv=rsv), True, None, id=f"rsv-{rsv:03b}")
        for rsv in (1, 2, 4, 7)
    ),
    *(
        pytest.param(encode(opcode, b"a"), True, None, id=f"reserved-opcode-{opcode:#x}")
        for opcode in (3, 7, 0xB, 0xF)
    ),
    pytest.param(encode(TEXT, b"a", key=None), True, None, id="unmasked-to-server"),
    pytest.param(encode(BINARY, b"a"), False, None, id="masked-to-client"),
    pytest.param(encode(BINARY, b"abcde"), True, 4, id="over-the-limit"),
    pytest.param(encode(TEXT, b"a"), True, 0, id="over-a-zero-limit"),
    pytest.param(encode(BINARY, b"a" * 300), True, 299, id="over-the-limit-16-bit"),
    *(
        pytest.param(encode(TEXT, b"ab" + bad), True, None, id=f"invalid-utf8-{bad.hex()}")
        for bad in INVALID_UTF8
    ),
    pytest.param(encode(TEXT, b"\xff", key=None), False, None, id="invalid-utf8-unmasked"),
    pytest.param(encode(TEXT, b"x" * 20 + b"\xed\xbf\xbf"), True, None, id="surrogate-after-8"),
]


@pytest.mark.parametrize(("data", "masked", "limit"), REFUSED)
def test_read_message_leaves_everything_else_untouched(
    data: bytes, masked: bool, limit: int | None
) -> None:
    for rest in (b"", encode(BINARY, b"next")):
        buffer = bytearray(data + rest)
        assert _speedups.read_message(buffer, masked, limit) is None
        assert buffer == data + rest


ACCEPTED = [
    pytest.param(encode(TEXT, b"Hello"), True, None, TextMessage("Hello"), id="masked-text"),
    pytest.param(encode(TEXT, b"Hi", key=None), False, None, TextMessage("Hi"), id="text"),
    pytest.param(encode(BINARY, b"\x00\xff"), True, None, BytesMessage(b"\x00\xff"), id="binary"),
    pytest.param(encode(BINARY, b"\x00", key=None), False, None, BytesMessage(b"\x00"), id="bin"),
    pytest.param(encode(TEXT), True, None, TextMessage(""), id="empty-text"),
    pytest.param(encode(BINARY, key=None), False, None, BytesMessage(b""), id="empty-binary"),
    pytest.param(encode(TEXT, b"abcd"), True, 4, TextMessage("abcd"), id="at-the-limit"),
    pytest.param(encode(TEXT), True, 0, TextMessage(""), id="empty-at-a-zero-limit"),
    pytest.param(encode(TEXT, b"abcde"), True, -1, TextMessage("abcde"), id="negative-limit"),
    pytest.param(encode(BINARY, b"ab"), True, 1 << 80, BytesMessage(b"ab"), id="huge-limit"),
    pytest.param(
        encode(TEXT, b"ab", length_size=2), True, None, TextMessage("ab"), id="16-bit-length"
    ),
    pytest.param(
        encode(TEXT, b"ab", length_size=8), True, None, TextMessage("ab"), id="64-bit-length"
    ),
    pytest.param(
        encode(BINARY, b"z" * 0x10000, key=None),
        False,
        0x10000,
        BytesMessage(b"z" * 0x10000),
        id="64-bit-length-minimal",
    ),
    pytest.param(
        encode(TEXT, "κόσμε €𝄞".encode() * 40),
        True,
        None,
        TextMessage("κόσμε €𝄞" * 40),
        id="non-ascii",
    ),
]


@pytest.mark.parametrize(("data", "masked", "limit", "expected"), ACCEPTED)
def test_read_message_takes_one_whole_message(
    data: bytes, masked: bool, limit: int | None, expected: TextMessage | BytesMessage
) -> None:
    rest = encode(PING, b"p", key=KEY if masked else None)
    for tail in (b"", rest):
        buffer = bytearray(data + tail)
        message = _speedups.read_message(buffer, masked, limit)
        assert message == expected
        assert type(message) is type(expected)
        assert buffer == tail


@pytest.mark.parametrize("length", range(20))
@pytest.mark.parametrize("at", [0, 3, 7, 8, 12, 16, 19])
def test_a_non_ascii_character_anywhere_is_decoded(length: int, at: int) -> None:
    # Masked text is unmasked into an ASCII string first, eight bytes at a
    # time, then the rest byte by byte: one non-ASCII byte anywhere must send
    # it through the UTF-8 decoder.
    text = ("x" * length)[:at] + "é" + ("x" * length)[at:]
    buffer = bytearray(encode(TEXT, text.encode()))
    message = _speedups.read_message(buffer, True, None)
    assert message == TextMessage(text)
    assert isinstance(message, TextMessage)
    assert message.data.isascii() is False
    buffer = bytearray(encode(TEXT, text.encode()[:-1] + b"\xff"))
    assert _speedups.read_message(buffer, True, None) is None


def test_messages_are_ordinary_instances() -> None:
    buffer = bytearray(encode(TEXT, b"hi") + encode(BINARY, b"\x01"))
    text = _speedups.read_message(buffer, True, None)
    data = _speedups.read_message(buffer, True, None)
    assert type(text) is TextMessage
    assert type(data) is BytesMessage
    assert text == TextMessage("hi")
    assert hash(text) == hash(TextMessage("hi"))
    assert repr(data) == "BytesMessage(data=b'\\x01')"
    with pytest.raises(FrozenInstanceError):
        text.data = "no"  # type: ignore[misc]
    assert buffer == b""


def test_a_buffer_with_a_view_is_not_resized() -> None:
    # ``del buffer[:end]`` fails the same way on the Python path.
    data = encode(BINARY, b"abc")
    buffer = bytearray(data)
    with memoryview(buffer), pytest.raises(BufferError):
        _speedups.read_message(buffer, True, None)
    assert buffer == data


@pytest.mark.parametrize(
    "args",
    [
        (b"\x82\x00", False, None),
        (memoryview(bytearray(b"\x82\x00")), False, None),
        (bytearray(b"\x82\x00"), False),
        (bytearray(b"\x82\x00"), False, None, None),
        (bytearray(b"\x82\x00"), False, "1"),
    ],
)
def test_read_message_checks_its_arguments(args: tuple[object, ...]) -> None:
    with pytest.raises(TypeError):
        _speedups.read_message(*args)  # type: ignore[arg-type]


def test_configure_messages_wants_registered_one_field_classes() -> None:
    class Unknown:
        __slots__ = ("data",)

    with pytest.raises(TypeError, match="register_event"):
        _speedups.configure_messages(Unknown, BytesMessage)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="register_event"):
        _speedups.configure_messages(TextMessage, Unknown)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _speedups.configure_messages(TextMessage)  # type: ignore[call-arg]
    # Still set up as before.
    assert _speedups.read_message(bytearray(encode(TEXT, b"a")), True, None) == TextMessage("a")


def test_the_compiled_reader_is_in_use_unless_turned_off() -> None:
    # A build without the extension would run the Python path only and pass
    # the rest of the suite; the build must not fall back unnoticed.
    if os.environ.get("TRANSOM_NO_EXTENSIONS", "") not in ("", "0"):
        assert _connection._read_message is None
    else:
        assert _connection._read_message is _speedups.read_message


class Spy:
    """The compiled reader, recording what it was asked and what it took."""

    def __init__(self) -> None:
        self.calls: list[tuple[bytes, bool, int | None]] = []
        self.taken: list[TextMessage | BytesMessage] = []

    def __call__(
        self, buffer: bytearray, masked: bool, limit: int | None
    ) -> TextMessage | BytesMessage | None:
        self.calls.append((bytes(buffer), masked, limit))
        message = _speedups.read_message(buffer, masked, limit)
        if message is not None:
            self.taken.append(message)
        return message


@pytest.mark.parametrize(
    ("role", "key", "limit"),
    [(Role.SERVER, KEY, 1000), (Role.CLIENT, None, None), (Role.SERVER, KEY, None)],
)
def test_whole_messages_go_through_the_compiled_reader(
    role: Role, key: bytes | None, limit: int | None
) -> None:
    spy = Spy()
    connection = WebSocketConnection(role, max_message_size=limit)
    stream = (
        encode(TEXT, b"one", key=key)
        + encode(PING, b"p", key=key)
        + encode(BINARY, b"two", key=key)
        + encode(TEXT, b"thr", key=key, fin=False)
        + encode(CONTINUATION, b"ee", key=key)
        + encode(TEXT, b"four", key=key)
    )
    events: list[object] = []
    with fast_path(spy):
        connection.receive_data(stream)
        while (event := connection.next_event()) is not NEED_DATA:
            events.append(event)
    assert events == [
        TextMessage("one"),
        Ping(b"p"),
        BytesMessage(b"two"),
        TextMessage("three"),
        TextMessage("four"),
    ]
    assert spy.taken == [TextMessage("one"), BytesMessage(b"two"), TextMessage("four")]
    # Always with the connection's own mask rule and message size limit.
    assert {(masked, seen_limit) for _, masked, seen_limit in spy.calls} == {
        (role is Role.SERVER, limit)
    }


@pytest.mark.parametrize(
    "options",
    [
        {"stream_fragments": True},
        {"extensions": [PerMessageDeflate()]},
    ],
)
def test_the_compiled_reader_is_not_asked_when_messages_are_not_whole_frames(
    options: dict[str, object],
) -> None:
    spy = Spy()
    connection = WebSocketConnection(Role.SERVER, **options)  # type: ignore[arg-type]
    with fast_path(spy):
        connection.receive_data(encode(BINARY, b"abc"))
        event = connection.next_event()
    assert event is not NEED_DATA
    assert spy.calls == []


def test_the_compiled_reader_is_not_asked_while_a_message_is_assembled() -> None:
    spy = Spy()
    connection = WebSocketConnection(Role.SERVER)
    with fast_path(spy):
        connection.receive_data(encode(TEXT, b"a", fin=False))
        assert connection.next_event() is NEED_DATA
        calls = len(spy.calls)
        connection.receive_data(encode(PING, b"p"))
        assert connection.next_event() is not NEED_DATA
        connection.receive_data(encode(TEXT, b"b"))
        with pytest.raises(WebSocketProtocolError) as caught:
            connection.next_event()
    assert caught.value.close_code == 1002
    assert len(spy.calls) == calls
    assert spy.taken == []


def _events_of(connection: WebSocketConnection) -> list[Event]:
    events: list[Event] = []
    while (event := connection.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def test_receive_message_returns_a_whole_message_at_once() -> None:
    with fast_path(_speedups.read_message):
        client = WebSocketConnection(Role.CLIENT)
        server = WebSocketConnection(Role.SERVER)
        assert server.receive_message(client.send_text("hello")) == TextMessage("hello")
        assert server.receive_message(client.send_bytes(b"\x00")) == BytesMessage(b"\x00")
        assert server.buffered_size == 0
        assert server.next_event() is NEED_DATA


def test_receive_message_leaves_anything_else_to_next_event() -> None:
    with fast_path(_speedups.read_message):
        client = WebSocketConnection(Role.CLIENT)
        server = WebSocketConnection(Role.SERVER)
        frame = client.send_text("split")
        assert server.receive_message(frame[:3]) is None
        assert server.receive_message(frame[3:]) == TextMessage("split")
        assert server.receive_message(client.send_ping(b"p")) is None
        assert _events_of(server) == [Ping(b"p")]
        two = client.send_text("one") + client.send_text("two")
        assert server.receive_message(two) == TextMessage("one")
        assert server.buffered_size > 0
        assert _events_of(server) == [TextMessage("two")]


def test_receive_message_reads_nothing_but_buffers_without_the_compiled_reader() -> None:
    with fast_path(None):
        client = WebSocketConnection(Role.CLIENT)
        server = WebSocketConnection(Role.SERVER)
        assert server.receive_message(client.send_text("hello")) is None
        assert _events_of(server) == [TextMessage("hello")]
