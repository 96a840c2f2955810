"""Whatever bytes arrive, the only error a connection raises is RemoteProtocolError.

Random bytes, and valid messages with a few bytes flipped, dropped or added
(mostly the characters framing hinges on), are fed in random pieces to both
roles; the peer behaves as a real one would between messages.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transom.protocol import RemoteProtocolError
from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    EndOfMessage,
    Request,
    Role,
    State,
)

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TEMPLATES = [
    b"GET /a?b=c HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;a=b\r\nhello\r\n0\r\nT: v\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nrest",
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\n0\r\n\r\n",
    b"HTTP/1.0 200 OK\r\n\r\nuntil close",
]
SPECIAL = b'\r\n\x00 \t:;,="0159afAF-+xX\x7f\xff'

mutation = st.tuples(
    st.sampled_from(["insert", "delete", "replace"]),
    st.integers(min_value=0),
    st.one_of(st.sampled_from(list(SPECIAL)), st.integers(0, 255)),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(TEMPLATES)))
    for kind, position, byte in draw(st.lists(mutation, min_size=1, max_size=4)):
        at = position % (len(raw) + 1)
        if kind == "insert":
            raw[at:at] = bytes([byte])
        elif raw and at < len(raw):
            if kind == "delete":
                del raw[at]
            else:
                raw[at] = byte
    return bytes(raw)


inputs = st.one_of(st.binary(max_size=200), mutated())


def _feed(role: Role, raw: bytes, cuts: list[int], eof: bool) -> None:
    conn = Connection(role, max_header_count=8, max_header_block_size=256, max_body_size=100)
    if role is Role.CLIENT:
        conn.send(Request(method="GET", target="/", headers=[("Host", "h")]))
        conn.send(EndOfMessage())
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    for index, piece in enumerate(pieces):
        conn.receive_data(piece)
        if eof and index == len(pieces) - 1:
            conn.receive_eof()
        error = _drain(conn)
        if error is not None:
            assert 400 <= error.status_code <= 599
            assert error.reason
            assert conn.their_state is State.ERROR
            return


def _drain(conn: Connection) -> RemoteProtocolError | None:
    """Take every event, answering like a real peer; the error, if one is raised.

    Any other exception propagates and fails the test.
    """
    for _ in range(1000):
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:
            return exc
        if event is NEED_DATA or isinstance(event, ConnectionClosed):
            return None
        if event is PAUSED:
            if conn.our_role is Role.SERVER and conn.our_state is State.IDLE:
                if conn.their_state is State.MIGHT_SWITCH_PROTOCOL:
                    return None
                conn.send_response(200, "", None, b"")
            if conn.our_state is State.DONE and conn.their_state is State.DONE and conn.keep_alive:
                conn.start_next_cycle()
                if conn.our_role is Role.CLIENT:
                    conn.send(Request(method="GET", target="/", headers=[("Host", "h")]))
                    conn.send(EndOfMessage())
                continue
            return None
        if (
            isinstance(event, EndOfMessage)
            and conn.our_role is Role.SERVER
            and conn.their_state is not State.MIGHT_SWITCH_PROTOCOL
        ):
            conn.send_response(200, "", None, b"")
    raise AssertionError("events never ran out")


@SETTINGS
@given(inputs, st.lists(st.integers(min_value=0), max_size=6), st.booleans())
def test_a_server_only_raises_remote_protocol_errors(
    raw: bytes, cuts: list[int], eof: bool
) -> None:
    _feed(Role.SERVER, raw, cuts, eof)


@SETTINGS
@given(inputs, st.lists(st.integers(min_value=0), max_size=6), st.booleans())
def test_a_client_only_raises_remote_protocol_errors(
    raw: bytes, cuts: list[int], eof: bool
) -> None:
    _feed(Role.CLIENT, raw, cuts, eof)
