"""Connection behaviour beyond single messages: cycles, 100-continue, switches, errors."""

from __future__ import annotations

import pytest

from transom.protocol import LocalProtocolError, RemoteProtocolError
from transom.protocol.http1 import (
    DEFAULT_MAX_CHUNK_LINE_SIZE,
    DEFAULT_MAX_HEADER_BLOCK_SIZE,
    DEFAULT_MAX_HEADER_COUNT,
    DEFAULT_MAX_REQUEST_LINE_SIZE,
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    InformationalResponse,
    Request,
    Response,
    Role,
    State,
)

POST_EXPECT = b"POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"


def test_a_fresh_connection_is_idle_on_both_sides() -> None:
    conn = Connection(Role.SERVER)

    assert (conn.our_role, conn.their_role) == (Role.SERVER, Role.CLIENT)
    assert (conn.our_state, conn.their_state) == (State.IDLE, State.IDLE)
    assert conn.keep_alive
    assert conn.their_http_version is None
    assert conn.trailing_data == (b"", False)
    assert conn.next_event() is NEED_DATA
    assert repr(conn) == ("<Connection SERVER: our_state=IDLE their_state=IDLE keep_alive=True>")


def test_nothing_is_parsed_until_next_event_is_called() -> None:
    conn = Connection(Role.SERVER)

    conn.receive_data(b"garbage\x00\r\n\r\n")

    assert conn.their_state is State.IDLE
    with pytest.raises(RemoteProtocolError):
        conn.next_event()


def test_keep_alive_cycles_run_one_after_the_other() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
    first = conn.next_event()
    assert isinstance(first, Request)
    assert first.target == "/1"
    assert isinstance(conn.next_event(), EndOfMessage)

    assert conn.next_event() is PAUSED
    with pytest.raises(LocalProtocolError, match="cycle"):
        conn.start_next_cycle()
    conn.send_response(200, "", None, b"")
    conn.start_next_cycle()

    second = conn.next_event()
    assert isinstance(second, Request)
    assert second.target == "/2"


def test_try_next_cycle_starts_one_only_when_start_next_cycle_may() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
    assert isinstance(conn.next_event(), Request)
    assert conn.try_next_cycle() is False
    assert (conn.our_state, conn.their_state) == (State.IDLE, State.SEND_BODY)
    assert isinstance(conn.next_event(), EndOfMessage)
    assert conn.try_next_cycle() is False
    assert (conn.our_state, conn.their_state) == (State.IDLE, State.DONE)
    conn.send_response(200, "", None, b"")
    assert conn.try_next_cycle() is True
    assert (conn.our_state, conn.their_state) == (State.IDLE, State.IDLE)
    second = conn.next_event()
    assert isinstance(second, Request)
    assert second.target == "/2"


def test_try_next_cycle_refuses_a_connection_that_closes() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    assert isinstance(conn.next_event(), Request)
    assert isinstance(conn.next_event(), EndOfMessage)
    conn.send_response(200, "", None, b"")
    assert conn.try_next_cycle() is False
    assert (conn.our_state, conn.their_state) == (State.MUST_CLOSE, State.MUST_CLOSE)


def test_the_client_sees_its_response_and_starts_the_next_cycle() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(Request(method="GET", target="/", headers={"Host": "h"}))
    conn.send(EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")

    events = [conn.next_event() for _ in range(4)]

    assert isinstance(events[0], Response)
    assert events[1:] == [Data(data=b"hi"), EndOfMessage(), NEED_DATA]
    assert conn.their_http_version == (1, 1)
    conn.start_next_cycle()
    assert (conn.our_state, conn.their_state) == (State.IDLE, State.IDLE)


def test_a_client_waiting_for_100_continue_is_flagged_until_answered() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(POST_EXPECT)
    conn.next_event()

    assert conn.client_is_waiting_for_100_continue
    conn.send(InformationalResponse(status_code=100))
    assert not conn.client_is_waiting_for_100_continue


def test_body_bytes_end_the_wait_for_100_continue() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(POST_EXPECT + b"abc")
    conn.next_event()
    assert conn.client_is_waiting_for_100_continue

    assert conn.next_event() == Data(data=b"abc")
    assert not conn.client_is_waiting_for_100_continue


def test_a_final_response_ends_the_wait_for_100_continue() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(POST_EXPECT)
    conn.next_event()

    conn.send_response(417, "", None, b"")

    assert not conn.client_is_waiting_for_100_continue


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: h\r\nExpect: something-else\r\nContent-Length: 3\r\n\r\n",
    ],
)
def test_no_wait_for_100_continue_without_the_expectation_and_a_body(head: bytes) -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(head)
    conn.next_event()

    assert not conn.client_is_waiting_for_100_continue


def test_an_early_final_response_lets_the_request_body_finish() -> None:
    conn = Connection(Role.SERVER, max_body_size=10)
    conn.receive_data(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n")
    conn.next_event()

    conn.send_response(413, "", None, b"")
    conn.receive_data(b"abc")

    assert conn.next_event() == Data(data=b"abc")
    assert conn.next_event() == EndOfMessage()
    assert (conn.our_state, conn.their_state) == (State.DONE, State.DONE)


def test_a_declined_upgrade_keeps_speaking_http() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    conn.next_event()
    conn.next_event()
    assert conn.their_state is State.MIGHT_SWITCH_PROTOCOL
    assert conn.next_event() is PAUSED

    conn.send_response(200, "", None, b"")
    assert (conn.our_state, conn.their_state) == (State.DONE, State.DONE)
    conn.start_next_cycle()

    second = conn.next_event()
    assert isinstance(second, Request)
    assert second.target == "/2"


def test_the_client_hands_over_after_101() -> None:
    conn = Connection(Role.CLIENT)
    headers = {"Host": "h", "Connection": "upgrade", "Upgrade": "websocket"}
    conn.send(Request(method="GET", target="/", headers=headers))
    conn.send(EndOfMessage())
    assert conn.our_state is State.MIGHT_SWITCH_PROTOCOL
    conn.receive_data(b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x00")
    conn.receive_eof()

    event = conn.next_event()

    assert isinstance(event, InformationalResponse)
    assert conn.next_event() is PAUSED
    assert conn.trailing_data == (b"\x81\x00", True)
    assert (conn.our_state, conn.their_state) == (State.SWITCHED_PROTOCOL,) * 2


def test_a_client_sees_a_declined_upgrade_as_a_normal_response() -> None:
    conn = Connection(Role.CLIENT)
    headers = {"Host": "h", "Connection": "upgrade", "Upgrade": "websocket"}
    conn.send(Request(method="GET", target="/", headers=headers))
    conn.send(EndOfMessage())
    conn.receive_data(b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n")

    conn.next_event()

    assert conn.next_event() == EndOfMessage()
    assert conn.our_state is State.DONE


def test_a_protocol_error_sticks_and_the_server_can_still_answer() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nA\x00: b\r\n\r\n")

    with pytest.raises(RemoteProtocolError) as first:
        conn.next_event()
    with pytest.raises(RemoteProtocolError) as again:
        conn.next_event()

    assert (first.value.status_code, first.value.reason) == (
        400,
        "Invalid character in header name",
    )
    assert (again.value.status_code, again.value.reason) == (400, first.value.reason)
    assert conn.their_state is State.ERROR
    assert not conn.keep_alive
    out = conn.send_response(400, "", None, b"")
    assert out.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Connection: close\r\n" in out


def test_an_error_response_can_go_out_before_any_request() -> None:
    conn = Connection(Role.SERVER)

    out = conn.send_response(408, "", None, b"")

    assert out == b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def test_data_after_eof_is_a_local_error() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_eof()

    with pytest.raises(LocalProtocolError, match="end of stream"):
        conn.receive_data(b"x")
    conn.receive_data(b"")

    assert conn.next_event() == ConnectionClosed()
    assert conn.next_event() == ConnectionClosed()
    assert conn.their_state is State.CLOSED


def test_eof_while_waiting_for_the_next_request_closes() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n")
    conn.next_event()
    conn.next_event()
    conn.receive_eof()

    assert conn.next_event() == ConnectionClosed()
    assert conn.send_response(200, "", None, b"").startswith(b"HTTP/1.1 200 OK")


def test_start_next_cycle_needs_both_sides_done() -> None:
    conn = Connection(Role.SERVER)

    with pytest.raises(LocalProtocolError):
        conn.start_next_cycle()


def test_after_connection_close_no_new_cycle() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
    conn.next_event()
    conn.next_event()
    conn.send_response(200, "", None, b"")

    assert (conn.our_state, conn.their_state) == (State.MUST_CLOSE, State.MUST_CLOSE)
    with pytest.raises(LocalProtocolError):
        conn.start_next_cycle()


def test_limits_have_reasoned_defaults() -> None:
    assert DEFAULT_MAX_REQUEST_LINE_SIZE == 8192
    assert DEFAULT_MAX_HEADER_COUNT == 100
    assert DEFAULT_MAX_HEADER_BLOCK_SIZE == 32768
    assert DEFAULT_MAX_CHUNK_LINE_SIZE == 4096


def test_a_default_sized_head_is_accepted_and_one_past_is_not() -> None:
    fields = b"".join(b"X-%d: v\r\n" % i for i in range(DEFAULT_MAX_HEADER_COUNT - 1))
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n" + fields + b"\r\n")
    event = conn.next_event()
    assert isinstance(event, Request)
    assert len(event.headers) == DEFAULT_MAX_HEADER_COUNT

    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n" + fields + b"\r\n")
    with pytest.raises(RemoteProtocolError) as error:
        conn.next_event()
    assert error.value.status_code == 431


@pytest.mark.parametrize(
    "limits",
    [
        {"max_request_line_size": 0},
        {"max_header_count": 0},
        {"max_header_block_size": -1},
        {"max_chunk_line_size": 2},
        {"max_body_size": -1},
    ],
)
def test_nonsense_limits_are_refused(limits: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="limits"):
        Connection(Role.SERVER, **limits)


def test_the_role_must_be_a_role() -> None:
    with pytest.raises(TypeError):
        Connection("server")  # type: ignore[arg-type]


def test_a_head_dripping_in_byte_by_byte_is_checked_as_it_grows() -> None:
    conn = Connection(Role.SERVER)
    head = b"GET / HTTP/1.1\r\nHost: h\r\nX-Long: " + b"v" * 1000

    for byte in head:
        conn.receive_data(bytes([byte]))
        assert conn.next_event() is NEED_DATA
    conn.receive_data(b"\x00")

    with pytest.raises(RemoteProtocolError, match="header value"):
        conn.next_event()


def test_input_pending_tells_whether_next_event_has_anything_new() -> None:
    conn = Connection(Role.SERVER)

    def pending(conn: Connection) -> bool:
        # A call, so the checker does not narrow the property between steps.
        return conn.input_pending

    assert not pending(conn)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /next HTTP/1.1\r\n")
    assert pending(conn)
    assert isinstance(conn.next_event(), Request)
    assert isinstance(conn.next_event(), EndOfMessage)
    # The pipelined request's start is still buffered.
    assert pending(conn)
    conn.send_response(200, body=b"ok")
    conn.start_next_cycle()
    assert conn.next_event() is NEED_DATA
    assert pending(conn)
    conn.receive_data(b"Host: h\r\n\r\n")
    assert isinstance(conn.next_event(), Request)
    assert isinstance(conn.next_event(), EndOfMessage)
    assert not pending(conn)
    conn.receive_eof()
    assert pending(conn)
