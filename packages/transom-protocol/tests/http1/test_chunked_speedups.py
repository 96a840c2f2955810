"""The compiled chunk decoder agrees with the Python path.

``transom.protocol._speedups.decode_chunks`` decodes the chunks of the common
case (chunk-size lines of 1 to 16 hex digits and CRLF, within the limits, data
followed by CRLF) from a chunked body's buffer, and stops before anything else
without consuming it, saying so; ``ChunkedReader.read`` then runs its Python
loop from there. So a reader, and a connection, must give the same results, the
same errors at the same calls and keep the same bytes with the compiled decoder
as without it. These tests drive both over generated chunked bodies in random
splits, and pin down every case the function must leave to Python.

The compiled decoder is used here whatever ``TRANSOM_NO_EXTENSIONS`` says, so
both runs of the suite check it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from transom.protocol import RemoteProtocolError, _speedups
from transom.protocol.http1 import (
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    Request,
    Role,
    _chunked,
)
from transom.protocol.http1._chunked import ChunkedReader
from transom.protocol.http1._limits import LARGEST_LENGTH

SETTINGS = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Phase codes of decode_chunks().
SIZE, DATA, DATA_END, TRAILERS = 0, 1, 2, 3
NO_LIMIT = -1
HEAD = b"POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"


@contextmanager
def fast_path(decoder: _chunked._ChunkDecoder | None) -> Iterator[None]:
    """Run chunk readers with ``decoder`` as their compiled chunk decoder."""
    saved = _chunked._decode_chunks
    _chunked._decode_chunks = decoder
    try:
        yield
    finally:
        _chunked._decode_chunks = saved


# -- generated chunked bodies ---------------------------------------------------

# Extensions, well-formed or not, and what else may follow the digits.
SUFFIXES = [
    b";a",
    b";a=b",
    b" ;a=b",
    b";\ta = b",
    b';a="x y"',
    b';a="\\"";b',
    b";a=b;c",
    b";",
    b";a=",
    b';a="open',
    b" ",
    b"\t",
    b";a=b ",
]
LINE_ENDS = [b"\r\n"] * 16 + [b"\n", b"\r", b"\r\r\n", b"", b"\n\r"]
DATA_ENDS = [b"\r\n"] * 16 + [b"", b"\r", b"\n", b"x", b"\rx", b"\n\r", b"\r\r\n"]
# Bytes that break a chunk-size line wherever they land, by kind: letters past
# F, the neighbours of the digits and letters, whitespace, extension syntax,
# controls and obs-text, line ends, signs and a radix prefix.
STRAY = [b"gGzZ", b"/:@`", b" \t", b';="', b"\x00\x7f\xff", b"\r\n", b"-+xX"]
TRAILER_SECTIONS = [b"\r\n", b"T: v\r\n\r\n", b"T: v\r\nU: w\r\n\r\n", b"Bad\r\n\r\n", b"\n", b""]
HUGE_SIZES = [
    0xFFFF_FFFF,
    LARGEST_LENGTH,
    LARGEST_LENGTH + 1,
    2**64 - 1,
    2**64,
    2**68,
]


@st.composite
def size_lines(draw: st.DrawFn, size: int) -> bytes:
    """A chunk-size line announcing ``size``: mostly well-formed, sometimes not."""
    digits = f"{size:x}"
    zeros = draw(st.sampled_from([0] * 6 + [1, 2, 15 - len(digits), 16 - len(digits), 20]))
    text = "0" * max(zeros, 0) + digits
    line = bytearray(
        "".join(char.upper() if draw(st.booleans()) else char for char in text).encode()
    )
    if draw(st.integers(0, 5)) == 0:
        line += draw(st.sampled_from(SUFFIXES))
    if draw(st.integers(0, 3)) == 0:
        # A stray byte, in place of a digit or between two.
        at = draw(st.integers(0, len(line) - 1))
        stray = draw(st.sampled_from(list(draw(st.sampled_from(STRAY)))))
        line[at : at + draw(st.integers(0, 1))] = bytes([stray])
    return bytes(line) + draw(st.sampled_from(LINE_ENDS))


@st.composite
def chunks(draw: st.DrawFn) -> tuple[bytes, int]:
    """One chunk (its size line, its data cut short for huge sizes, its CRLF) and its size."""
    size = draw(st.one_of(st.integers(1, 40), st.sampled_from(HUGE_SIZES)))
    line = draw(size_lines(size))
    if size > 40:
        return line + draw(st.binary(max_size=8)), size
    data = draw(st.binary(min_size=size, max_size=size) | st.just((b"\r\n" * size)[:size]))
    return line + data + draw(st.sampled_from(DATA_ENDS)), size


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, int | None]:
    """A chunked body (some chunks, usually the last chunk and trailers, maybe more), and a
    body limit: none, any, or one the chunks' sizes reach, pass or fall one short of.
    """
    pieces = draw(st.lists(chunks(), max_size=6))
    body = b"".join(chunk for chunk, _ in pieces)
    if draw(st.integers(0, 5)):
        body += draw(size_lines(0)) + draw(st.sampled_from(TRAILER_SECTIONS))
    if draw(st.integers(0, 3)) == 0:
        body += draw(st.sampled_from([b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", b"5\r\nhello\r\n"]))
    sizes = [size for _, size in pieces]
    reached = sum(sizes[: draw(st.integers(0, len(sizes)))])
    max_body = draw(
        st.one_of(
            st.none(),
            st.integers(0, 150),
            st.just(LARGEST_LENGTH),
            st.sampled_from([reached - 1, reached, reached + 1]).filter(lambda size: size >= 0),
        )
    )
    return body, max_body


def split(draw: st.DrawFn, stream: bytes) -> list[bytes]:
    """``stream`` in the pieces a peer might send it in."""
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    return [stream[start:end] for start, end in itertools.pairwise([0, *cuts, len(stream)])]


max_lines = st.sampled_from([3, 4, 5, 6, 8, 20, 4096])


@st.composite
def reader_scenarios(draw: st.DrawFn) -> tuple[int, int | None, list[bytes]]:
    body, max_body = draw(bodies())
    return draw(max_lines), max_body, split(draw, body)


# -- the reader with and without the compiled decoder ---------------------------

Trace = list[object]


def outcome(reader: ChunkedReader, buf: bytearray) -> tuple[object, ...]:
    """What one ``reader.read(buf)`` gives or raises, then the buffer and state."""
    try:
        result = reader.read(buf)
    except RemoteProtocolError as error:
        shown: tuple[object, ...] = ("error", error.reason, error.status_code)
    else:
        if isinstance(result, CIMultiDict):
            shown = ("trailers", list(result.items()))
        else:
            shown = (type(result), result)
    return (*shown, bytes(buf), reader.expecting(), reader._remaining, reader._total)


def run_reader(
    pieces: list[bytes],
    decoder: _chunked._ChunkDecoder | None,
    max_line: int,
    max_body: int | None,
) -> Trace:
    """Every result a reader gives, with its buffer and state, as ``pieces`` arrive."""
    reader = ChunkedReader(max_line, max_body, 100, 32 * 1024)
    buf = bytearray()
    trace: Trace = []
    with fast_path(decoder):
        for piece in pieces:
            buf += piece
            for _ in range(1000):
                shown = outcome(reader, buf)
                trace.append(shown)
                if shown[0] == "error":
                    # And what the next call does.
                    trace.append(outcome(reader, buf))
                    return trace
                if shown[0] == "trailers":
                    return trace
                if shown[0] is not bytes:
                    break
            else:
                raise AssertionError("too many results")
    return trace


@given(reader_scenarios())
@SETTINGS
def test_readers_behave_the_same_with_and_without_the_compiled_decoder(
    scenario: tuple[int, int | None, list[bytes]],
) -> None:
    max_line, max_body, pieces = scenario
    assert run_reader(pieces, _speedups.decode_chunks, max_line, max_body) == run_reader(
        pieces, None, max_line, max_body
    )


# -- connections with and without the compiled decoder --------------------------


def run_connection(
    pieces: list[bytes],
    decoder: _chunked._ChunkDecoder | None,
    max_line: int,
    max_body: int | None,
) -> Trace:
    """Everything a server connection shows while it is fed ``pieces`` then the end of stream."""
    connection = Connection(Role.SERVER, max_chunk_line_size=max_line, max_body_size=max_body)
    trace: Trace = []

    def drain() -> bool:
        for _ in range(1000):
            try:
                event: Event | object = connection.next_event()
            except RemoteProtocolError as error:
                trace.append(("error", error.reason, error.status_code))
                return False
            trace.append(event)
            if isinstance(event, Data):
                trace.append(type(event.data))
            if not isinstance(event, Request | Data):
                return not isinstance(event, ConnectionClosed | EndOfMessage)
        raise AssertionError("too many events")

    with fast_path(decoder):
        for piece in pieces:
            connection.receive_data(piece)
            going = drain()
            trace.append((connection.trailing_data, connection.their_state))
            if not going:
                return trace
        connection.receive_eof()
        drain()
        trace.append((connection.trailing_data, connection.their_state))
    return trace


@st.composite
def connection_scenarios(draw: st.DrawFn) -> tuple[int, int | None, list[bytes]]:
    body, max_body = draw(bodies())
    return draw(max_lines), max_body, split(draw, HEAD + body)


@given(connection_scenarios())
@SETTINGS
def test_connections_behave_the_same_with_and_without_the_compiled_decoder(
    scenario: tuple[int, int | None, list[bytes]],
) -> None:
    max_line, max_body, pieces = scenario
    assert run_connection(pieces, _speedups.decode_chunks, max_line, max_body) == run_connection(
        pieces, None, max_line, max_body
    )


@pytest.mark.parametrize("decoder", [_speedups.decode_chunks, None])
def test_a_body_is_decoded_whole_and_its_trailers_follow(
    decoder: _chunked._ChunkDecoder | None,
) -> None:
    body = b"".join(b"1000\r\n" + bytes([65 + i]) * 4096 + b"\r\n" for i in range(16))
    connection = Connection(Role.SERVER, max_body_size=16 * 4096)
    connection.receive_data(HEAD + body + b"0\r\nT: v\r\n\r\n")
    with fast_path(decoder):
        assert isinstance(connection.next_event(), Request)
        assert connection.next_event() == Data(
            data=b"".join(bytes([65 + i]) * 4096 for i in range(16))
        )
        assert connection.next_event() == EndOfMessage(trailers=[("T", "v")])
    assert connection.trailing_data == (b"", False)


@pytest.mark.parametrize("decoder", [_speedups.decode_chunks, None])
@pytest.mark.parametrize("zeros", [16, 17, 40])
def test_a_last_chunk_with_many_leading_zeros_ends_the_body(
    decoder: _chunked._ChunkDecoder | None, zeros: int
) -> None:
    reader = ChunkedReader(4096, None, 100, 32 * 1024)
    buf = bytearray(b"3\r\nabc\r\n" + b"0" * zeros + b"\r\n\r\nrest")
    with fast_path(decoder):
        assert reader.read(buf) == b"abc"
        assert reader.read(buf) == CIMultiDict()
    assert buf == b"rest"


@pytest.mark.parametrize("decoder", [_speedups.decode_chunks, None])
def test_the_body_before_an_error_is_handed_on_first(
    decoder: _chunked._ChunkDecoder | None,
) -> None:
    reader = ChunkedReader(4096, None, 100, 32 * 1024)
    buf = bytearray(b'3\r\nabc\r\n2;x="y"\r\nde\r\n3\r\nfghXX')
    with fast_path(decoder):
        assert reader.read(buf) == b"abcdefgh"
        assert buf == b"XX"
        for _ in range(2):
            with pytest.raises(RemoteProtocolError, match="Chunk data not followed by CRLF"):
                reader.read(buf)
    assert buf == b"XX"


# -- the function's contract ----------------------------------------------------


def decode(
    data: bytes,
    phase: int = SIZE,
    remaining: int = 0,
    total: int = 0,
    max_line: int = 4096,
    max_body: int = NO_LIMIT,
) -> tuple[bytes | None, int, int, int, int, bool]:
    """decode_chunks() over a copy of ``data``, checking it leaves the buffer alone."""
    buf = bytearray(data)
    result = _speedups.decode_chunks(buf, phase, remaining, total, max_line, max_body)
    assert buf == data
    return result


PREFIX = b"3\r\nabc\r\n"


@pytest.mark.parametrize(
    "line",
    [
        b"5;a=b\r\n",
        b"5;\r\n",
        b"5 ;a=b\r\n",
        b"5 \r\n",
        b"5\t\r\n",
        b" 5\r\n",
        b"00000000000000005\r\n",
        b"00000000000000000\r\n",
        b"5\n",
        b"\n",
        b"\r\n",
        b"5\r\r\n",
        b"5g\r\n",
        b"G\r\n",
        b"5:\r\n",
        b"/5\r\n",
        b"@\r\n",
        b"`\r\n",
        b"-5\r\n",
        b"+5\r\n",
        b"0x5\r\n",
        b"\x005\r\n",
        b"5\xff\r\n",
        b"8000000000000000\r\n",
        b"ffffffffffffffff\r\n",
    ],
)
def test_an_unusual_chunk_size_line_is_left_whole(line: bytes) -> None:
    assert decode(line + b"hello\r\n") == (None, 0, SIZE, 0, 0, True)
    assert decode(PREFIX + line + b"hello\r\n") == (b"abc", len(PREFIX), SIZE, 0, 3, True)


@pytest.mark.parametrize("end", [b"\n\r", b"xy", b"\rx", b"x", b"\n", b"\r\r\n"])
def test_chunk_data_not_followed_by_crlf_is_left(end: bytes) -> None:
    assert decode(b"3\r\nabc" + end) == (b"abc", 6, DATA_END, 0, 3, True)
    assert decode(end, DATA_END, 0, 3) == (None, 0, DATA_END, 0, 3, True)


@pytest.mark.parametrize(("data", "phase"), [(b"", DATA_END), (b"\r", DATA_END), (b"", DATA)])
def test_an_unfinished_crlf_or_chunk_waits(data: bytes, phase: int) -> None:
    remaining = 2 if phase == DATA else 0
    assert decode(data, phase, remaining, 3) == (None, 0, phase, remaining, 3, False)


@pytest.mark.parametrize("line", [b"5", b"5\r", b"0005", b"5;a=b", b"5 ", b"5\r\r", b"g"])
def test_an_unfinished_chunk_size_line_waits(line: bytes) -> None:
    assert decode(PREFIX + line) == (b"abc", len(PREFIX), SIZE, 0, 3, False)


def test_a_chunk_size_line_gets_max_line_bytes_crlf_included() -> None:
    assert decode(b"12\r\n", max_line=4) == (None, 4, DATA, 0x12, 0x12, False)
    assert decode(b"123\r\n", max_line=4) == (None, 0, SIZE, 0, 0, True)
    # Unfinished, with room for its LF: more may come.
    assert decode(b"123", max_line=4) == (None, 0, SIZE, 0, 0, False)
    # Unfinished, with no room left for its LF.
    assert decode(b"1234", max_line=4) == (None, 0, SIZE, 0, 0, True)
    assert decode(PREFIX + b"1234", max_line=4) == (b"abc", len(PREFIX), SIZE, 0, 3, True)
    assert decode(PREFIX + b"1234", max_line=5) == (b"abc", len(PREFIX), SIZE, 0, 3, False)
    for max_line in (0, -1, 2, -(1 << 80)):
        assert decode(b"1\r\na\r\n", max_line=max_line) == (None, 0, SIZE, 0, 0, True)
    assert decode(b"1\r\na\r\n", max_line=1 << 80) == (b"a", 6, SIZE, 0, 1, False)


def test_sizes_up_to_the_body_limit_are_taken() -> None:
    body = b"3\r\nabc\r\n2\r\nde\r\n"
    assert decode(body, max_body=5) == (b"abcde", len(body), SIZE, 0, 5, False)
    assert decode(body, max_body=4) == (b"abc", len(PREFIX), SIZE, 0, 3, True)
    assert decode(body, max_body=0) == (None, 0, SIZE, 0, 0, True)
    assert decode(body, total=10, max_body=15) == (b"abcde", len(body), SIZE, 0, 15, False)
    assert decode(body, total=10, max_body=14) == (b"abc", len(PREFIX), SIZE, 0, 13, True)
    # No limit, or one past 64 bits.
    for max_body in (NO_LIMIT, -5, 1 << 80):
        assert decode(body, max_body=max_body) == (b"abcde", len(body), SIZE, 0, 5, False)


def test_the_largest_chunk_size_is_taken() -> None:
    assert decode(b"7fffFFFFffffFFFF\r\nab") == (
        b"ab",
        20,
        DATA,
        LARGEST_LENGTH - 2,
        LARGEST_LENGTH,
        False,
    )
    # But not when the total would pass it.
    assert decode(b"7fffffffffffffff\r\n", total=1) == (None, 0, SIZE, 0, 1, True)


@pytest.mark.parametrize("total", [LARGEST_LENGTH + 1, 1 << 64, 1 << 80])
@pytest.mark.parametrize(("phase", "remaining"), [(SIZE, 0), (DATA, 2), (DATA_END, 0)])
def test_a_total_past_64_bits_is_left_to_python(phase: int, remaining: int, total: int) -> None:
    # Reachable without a body limit, through sizes the Python loop took.
    assert decode(b"ab\r\n1\r\nx\r\n", phase, remaining, total) == (
        None,
        0,
        phase,
        remaining,
        total,
        True,
    )


def test_sixteen_digits_with_leading_zeros_are_taken() -> None:
    assert decode(b"000000000000000A\r\n0123456789") == (
        b"0123456789",
        28,
        DATA_END,
        0,
        10,
        False,
    )


def test_the_last_chunk_ends_the_chunks() -> None:
    data = PREFIX + b"00\r\n3\r\nabc\r\n"
    assert decode(data) == (b"abc", len(PREFIX) + 4, TRAILERS, 0, 3, False)
    # The trailer section is not the decoder's.
    assert decode(b"\r\n", TRAILERS, 0, 3) == (None, 0, TRAILERS, 0, 3, False)


def test_chunks_are_taken_across_phases() -> None:
    # The rest of one chunk, its CRLF, then whole chunks and part of one.
    data = b"de\r\n1\r\nf\r\nA\r\n0123"
    assert decode(data, DATA, 2, 5) == (b"def0123", len(data), DATA, 6, 16, False)
    assert decode(b"e", DATA, 2, 5) == (b"e", 1, DATA, 1, 5, False)
    # Data is taken by its size, whatever its bytes.
    assert decode(b"e\r\n", DATA, 2, 5) == (b"e\r", 2, DATA_END, 0, 5, True)
    assert decode(b"\r\n1\r\nf\r\n", DATA_END, 0, 5) == (b"f", 8, SIZE, 0, 6, False)


def test_the_data_is_a_new_bytes_object() -> None:
    buf = bytearray(b"3\r\nabc\r\n")
    data = _speedups.decode_chunks(buf, SIZE, 0, 0, 4096, NO_LIMIT)[0]
    buf[3:6] = b"xyz"
    assert type(data) is bytes
    assert data == b"abc"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((bytearray(), SIZE, 0, 0, 4096), TypeError),
        ((bytearray(), SIZE, 0, 0, 4096, NO_LIMIT, 0), TypeError),
        ((b"3\r\nabc\r\n", SIZE, 0, 0, 4096, NO_LIMIT), TypeError),
        ((memoryview(bytearray()), SIZE, 0, 0, 4096, NO_LIMIT), TypeError),
        ((bytearray(), "0", 0, 0, 4096, NO_LIMIT), TypeError),
        ((bytearray(), SIZE, 0, 0, 4096.0, NO_LIMIT), TypeError),
        ((bytearray(), SIZE, 0, 0, 4096, None), TypeError),
        ((bytearray(), 4, 0, 0, 4096, NO_LIMIT), ValueError),
        ((bytearray(), -1, 0, 0, 4096, NO_LIMIT), ValueError),
        ((bytearray(), 1 << 64, 0, 0, 4096, NO_LIMIT), ValueError),
        ((bytearray(), DATA, -1, 0, 4096, NO_LIMIT), ValueError),
        ((bytearray(), DATA, 1 << 64, 0, 4096, NO_LIMIT), ValueError),
        ((bytearray(), SIZE, 0, -1, 4096, NO_LIMIT), ValueError),
        ((bytearray(), SIZE, 0, -(1 << 64), 4096, NO_LIMIT), ValueError),
    ],
)
def test_decode_chunks_checks_its_arguments(args: tuple[object, ...], error: type) -> None:
    with pytest.raises(error):
        _speedups.decode_chunks(*args)  # type: ignore[arg-type]


# -- wiring ---------------------------------------------------------------------


def test_the_compiled_decoder_is_in_use_unless_turned_off() -> None:
    # A build without the extension would run the Python path only and pass
    # the rest of the suite; the build must not fall back unnoticed.
    if os.environ.get("TRANSOM_NO_EXTENSIONS", "") not in ("", "0"):
        assert _chunked._decode_chunks is None
    else:
        assert _chunked._decode_chunks is _speedups.decode_chunks


class Spy:
    """The compiled decoder, recording what it returned."""

    def __init__(self) -> None:
        self.results: list[tuple[bytes | None, int, int, int, int, bool]] = []

    def __call__(
        self, buf: bytearray, phase: int, remaining: int, total: int, max_line: int, max_body: int
    ) -> tuple[bytes | None, int, int, int, int, bool]:
        result = _speedups.decode_chunks(buf, phase, remaining, total, max_line, max_body)
        self.results.append(result)
        return result


def test_common_chunks_are_decoded_by_the_compiled_decoder() -> None:
    spy = Spy()
    body = b"".join(b"%x\r\n%s\r\n" % (size, b"x" * size) for size in (1, 16, 255, 4096))
    reader = ChunkedReader(4096, 100_000, 100, 32 * 1024)
    buf = bytearray(body + b"0\r\n\r\n")
    with fast_path(spy):
        assert reader.read(buf) == b"x" * (1 + 16 + 255 + 4096)
        assert reader.read(buf) == CIMultiDict()
    assert spy.results == [
        (b"x" * (1 + 16 + 255 + 4096), len(body) + 3, TRAILERS, 0, 1 + 16 + 255 + 4096, False)
    ]
    assert buf == b""


def test_the_compiled_decoder_resumes_after_an_extension() -> None:
    spy = Spy()
    reader = ChunkedReader(4096, None, 100, 32 * 1024)
    buf = bytearray(b"1;a=b\r\nx\r\n")
    with fast_path(spy):
        assert reader.read(buf) == b"x"
        buf += b"2\r\nyz\r\n"
        assert reader.read(buf) == b"yz"
    assert spy.results == [
        (None, 0, SIZE, 0, 0, True),
        (b"yz", 7, SIZE, 0, 3, False),
    ]
