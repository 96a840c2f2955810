"""Serialization through Connection.send and send_response: framing and refusals."""

from __future__ import annotations

import pytest
from multidict import CIMultiDict

from transom.protocol import LocalProtocolError
from transom.protocol.http1 import (
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


def server_after(head: bytes) -> Connection:
    """A server that has parsed the complete request ``head`` (no body)."""
    conn = Connection(Role.SERVER)
    conn.receive_data(head)
    assert isinstance(conn.next_event(), Request)
    assert isinstance(conn.next_event(), EndOfMessage)
    return conn


def drain(conn: Connection) -> None:
    while conn.next_event() not in (NEED_DATA, PAUSED):
        pass


GET = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
GET_1_0 = b"GET / HTTP/1.0\r\n\r\n"


def test_a_response_without_length_to_http_1_1_is_chunked() -> None:
    conn = server_after(GET)

    head = conn.send(Response(status_code=200, headers=[("Content-Type", "text/plain")]))
    body = conn.send(Data(data=b"hello")) + conn.send(Data(data=b"")) + conn.send(EndOfMessage())

    assert head == (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    assert body == b"5\r\nhello\r\n0\r\n\r\n"
    assert conn.our_state is State.DONE


def test_a_given_content_length_frames_the_body() -> None:
    conn = server_after(GET)

    head = conn.send(Response(status_code=201, reason="Made", headers={"Content-Length": "3"}))

    assert head == b"HTTP/1.1 201 Made\r\nContent-Length: 3\r\n\r\n"
    assert conn.send(Data(data=b"ab")) == b"ab"
    assert conn.send(Data(data=b"c")) == b"c"
    assert conn.send(EndOfMessage()) == b""


def test_data_beyond_content_length_is_refused_and_nothing_changes() -> None:
    conn = server_after(GET)
    conn.send(Response(status_code=200, headers={"Content-Length": "3"}))

    with pytest.raises(LocalProtocolError, match="Content-Length"):
        conn.send(Data(data=b"abcd"))

    assert conn.send(Data(data=b"abc")) == b"abc"


def test_ending_short_of_content_length_is_refused() -> None:
    conn = server_after(GET)
    conn.send(Response(status_code=200, headers={"Content-Length": "3"}))
    conn.send(Data(data=b"a"))

    with pytest.raises(LocalProtocolError, match="2 bytes short"):
        conn.send(EndOfMessage())

    assert conn.our_state is State.SEND_BODY


def test_an_http_1_0_peer_gets_a_close_delimited_body() -> None:
    conn = server_after(GET_1_0)

    head = conn.send(Response(status_code=200))

    assert head == b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
    assert conn.send(Data(data=b"raw")) == b"raw"
    assert conn.send(EndOfMessage()) == b""
    assert conn.our_state is State.MUST_CLOSE
    assert not conn.keep_alive


def test_chunked_to_an_http_1_0_peer_is_refused() -> None:
    conn = server_after(GET_1_0)

    with pytest.raises(LocalProtocolError, match=r"HTTP/1\.0"):
        conn.send(Response(status_code=200, headers={"Transfer-Encoding": "chunked"}))


def test_an_http_1_0_keep_alive_peer_is_told_the_connection_persists() -> None:
    conn = server_after(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")

    out = conn.send_response(200, "", {"Content-Length": "2"}, b"ok")

    assert out == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"
    assert conn.keep_alive


def test_a_request_asking_to_close_gets_connection_close() -> None:
    conn = server_after(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")

    out = conn.send_response(200, "OK", None, b"")

    assert out == b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    assert conn.our_state is State.MUST_CLOSE


def test_the_server_saying_close_ends_keep_alive() -> None:
    conn = server_after(GET)

    out = conn.send_response(200, "", [("Connection", "close")], b"")

    assert out == b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    assert not conn.keep_alive


def test_send_response_writes_the_whole_response_in_one_piece() -> None:
    conn = server_after(GET)
    headers = CIMultiDict([("Content-Type", "text/plain"), ("Set-Cookie", "a=1")])
    headers.add("Set-Cookie", "b=2")

    out = conn.send_response(404, "", headers, b"missing")

    assert out == (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\n"
        b"Set-Cookie: b=2\r\nContent-Length: 7\r\n\r\nmissing"
    )
    assert (conn.our_state, conn.their_state) == (State.DONE, State.DONE)


def test_send_response_checks_a_given_content_length() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="does not match"):
        conn.send_response(200, "", {"Content-Length": "3"}, b"four")

    assert conn.send_response(200, "", {"Content-Length": "4"}, b"four").endswith(b"\r\n\r\nfour")


def test_send_response_honours_chunked_framing() -> None:
    conn = server_after(GET)

    out = conn.send_response(200, "", {"Transfer-Encoding": "chunked"}, b"abc")

    assert out.endswith(b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")


def test_a_head_response_declares_the_length_and_leaves_out_the_body() -> None:
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")

    out = conn.send_response(200, "", None, b"0123456789")

    assert out == b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"


def test_a_head_response_without_a_body_declares_no_length() -> None:
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")

    out = conn.send_response(200, "", None, b"")

    assert out == b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def test_a_head_response_takes_no_data() -> None:
    conn = server_after(b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n")
    conn.send(Response(status_code=200, headers={"Content-Length": "5"}))

    with pytest.raises(LocalProtocolError, match="no body"):
        conn.send(Data(data=b"hello"))

    assert conn.send(EndOfMessage()) == b""


def test_a_204_cannot_declare_a_length_or_carry_a_body() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="204"):
        conn.send(Response(status_code=204, headers={"Content-Length": "0"}))
    with pytest.raises(LocalProtocolError, match="204"):
        conn.send_response(204, "", None, b"x")

    assert conn.send_response(204, "", None, b"") == b"HTTP/1.1 204 No Content\r\n\r\n"


def test_a_304_keeps_the_content_length_it_is_given() -> None:
    conn = server_after(GET)

    out = conn.send_response(304, "", {"Content-Length": "42"}, b"")

    assert out == b"HTTP/1.1 304 Not Modified\r\nContent-Length: 42\r\n\r\n"


def test_informational_responses_go_out_before_the_final_one() -> None:
    conn = server_after(GET)

    assert conn.send(InformationalResponse(status_code=103, headers={"Link": "</a>"})) == (
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    )
    assert conn.our_state is State.IDLE
    assert conn.send_response(200, "", None, b"").startswith(b"HTTP/1.1 200 OK\r\n")


def test_no_1xx_to_an_http_1_0_peer() -> None:
    conn = server_after(GET_1_0)

    with pytest.raises(LocalProtocolError, match=r"HTTP/1\.1"):
        conn.send(InformationalResponse(status_code=100))


def test_a_1xx_cannot_declare_a_body_length() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="1xx"):
        conn.send(InformationalResponse(status_code=100, headers={"Content-Length": "0"}))


def test_101_needs_an_upgrade_request() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="101"):
        conn.send(InformationalResponse(status_code=101))


def test_101_switches_both_sides() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nNEW")
    drain(conn)

    out = conn.send(InformationalResponse(status_code=101, headers={"Upgrade": "x"}))

    assert out == b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n"
    assert (conn.our_state, conn.their_state) == (State.SWITCHED_PROTOCOL,) * 2
    assert conn.trailing_data == (b"NEW", False)


def test_a_2xx_to_connect_switches_and_declares_no_length() -> None:
    conn = Connection(Role.SERVER)
    conn.receive_data(b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n")
    drain(conn)

    with pytest.raises(LocalProtocolError, match="cannot declare"):
        conn.send(Response(status_code=200, headers={"Content-Length": "0"}))
    out = conn.send_response(200, "Connection Established", None, b"")

    assert out == b"HTTP/1.1 200 Connection Established\r\n\r\n"
    assert conn.our_state is State.SWITCHED_PROTOCOL


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Evil", "a\r\nSet-Cookie: admin=1"),
        ("X-Evil", "a\nb"),
        ("X-Evil", "a\rb"),
        ("X-Evil", "a\x00b"),
        ("X-Evil", "a\x7fb"),
        ("X-Evil", "a\x0bb"),
        ("X-Evil\r\nSet-Cookie", "admin=1"),
        ("X-Evil: a", "b"),
        ("X Evil", "b"),
        ("", "b"),
        ("X-\x00", "b"),
        ("X-Evil", "caf\u00e9 \u2603"),
    ],
)
def test_header_injection_is_refused_before_anything_is_written(name: str, value: str) -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError):
        conn.send(Response(status_code=200, headers=[(name, value)]))
    with pytest.raises(LocalProtocolError):
        conn.send_response(200, "", [(name, value)], b"")

    assert conn.our_state is State.IDLE
    assert conn.send_response(500, "", None, b"").startswith(b"HTTP/1.1 500 ")


def test_trailer_injection_is_refused() -> None:
    conn = server_after(GET)
    conn.send(Response(status_code=200))

    with pytest.raises(LocalProtocolError):
        conn.send(EndOfMessage(trailers={"X-Sum": "1\r\n\r\nHTTP/1.1 200 OK"}))

    assert conn.send(EndOfMessage(trailers={"X-Sum": "1"})) == b"0\r\nX-Sum: 1\r\n\r\n"


def test_a_reason_phrase_with_a_line_break_is_refused() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="reason"):
        conn.send_response(200, "OK\r\nX: y", None, b"")


def test_latin_1_values_and_reasons_are_written_as_latin_1() -> None:
    conn = server_after(GET)

    out = conn.send_response(200, "Tr\u00e8s bien", {"X-Name": "caf\u00e9"}, b"")

    assert out.startswith(b"HTTP/1.1 200 Tr\xe8s bien\r\nX-Name: caf\xe9\r\n")


@pytest.mark.parametrize("status", [100, 199, 99, 1000, -1])
def test_a_final_response_needs_a_final_status(status: int) -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="status"):
        conn.send(Response(status_code=status))


def test_responses_are_only_sent_as_http_1_1() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match=r"HTTP/1\.1"):
        conn.send(Response(status_code=200, http_version=(1, 0)))


def test_trailers_need_a_chunked_body() -> None:
    conn = server_after(GET)
    conn.send(Response(status_code=200, headers={"Content-Length": "0"}))

    with pytest.raises(LocalProtocolError, match="chunked"):
        conn.send(EndOfMessage(trailers={"A": "b"}))


def test_both_framings_at_once_are_refused() -> None:
    conn = server_after(GET)
    headers = {"Content-Length": "1", "Transfer-Encoding": "chunked"}

    with pytest.raises(LocalProtocolError, match="Both"):
        conn.send(Response(status_code=200, headers=headers))


def test_only_chunked_can_be_sent_as_transfer_coding() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="chunked"):
        conn.send(Response(status_code=200, headers={"Transfer-Encoding": "gzip, chunked"}))


def test_an_invalid_content_length_is_refused() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="Content-Length"):
        conn.send(Response(status_code=200, headers={"Content-Length": "-1"}))


def test_a_request_is_serialized_with_its_framing() -> None:
    conn = Connection(Role.CLIENT)
    headers = [("Host", "example.com"), ("Content-Length", "4")]

    head = conn.send(Request(method="PUT", target="/x?y=1", headers=headers))

    assert head == b"PUT /x?y=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 4\r\n\r\n"
    assert conn.send(Data(data=b"body")) + conn.send(EndOfMessage()) == b"body"
    assert conn.our_state is State.DONE


def test_a_chunked_request_with_trailers() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(
        Request(method="POST", target="/", headers={"Host": "h", "Transfer-Encoding": "chunked"})
    )

    out = conn.send(Data(data=b"ab")) + conn.send(EndOfMessage(trailers={"T": "1"}))

    assert out == b"2\r\nab\r\n0\r\nT: 1\r\n\r\n"


def test_a_request_without_framing_has_no_body() -> None:
    conn = Connection(Role.CLIENT)
    conn.send(Request(method="GET", target="/", headers={"Host": "h"}))

    with pytest.raises(LocalProtocolError, match="no body"):
        conn.send(Data(data=b"x"))


@pytest.mark.parametrize(
    "target", ["/a b", "/a\r\nX: y", "/\x00", "/caf\u00e9", "", "/a\tb", "/\x7f", "/\x1b"]
)
def test_an_unsafe_request_target_is_refused(target: str) -> None:
    conn = Connection(Role.CLIENT)

    with pytest.raises(LocalProtocolError, match="target"):
        conn.send(Request(method="GET", target=target, headers={"Host": "h"}))

    assert conn.our_state is State.IDLE


@pytest.mark.parametrize("method", ["G ET", "GET\r\n", "", "G:T"])
def test_a_method_that_is_not_a_token_is_refused(method: str) -> None:
    conn = Connection(Role.CLIENT)

    with pytest.raises(LocalProtocolError, match="method"):
        conn.send(Request(method=method, target="/", headers={"Host": "h"}))


def test_a_request_needs_exactly_one_host() -> None:
    conn = Connection(Role.CLIENT)

    with pytest.raises(LocalProtocolError, match="Host"):
        conn.send(Request(method="GET", target="/"))
    with pytest.raises(LocalProtocolError, match="Host"):
        conn.send(Request(method="GET", target="/", headers=[("Host", "a"), ("Host", "b")]))


def test_a_connect_request_carries_no_body() -> None:
    conn = Connection(Role.CLIENT)
    headers = {"Host": "a:443", "Content-Length": "3"}

    with pytest.raises(LocalProtocolError, match="CONNECT"):
        conn.send(Request(method="CONNECT", target="a:443", headers=headers))


def test_requests_are_only_sent_as_http_1_1() -> None:
    conn = Connection(Role.CLIENT)

    with pytest.raises(LocalProtocolError, match=r"HTTP/1\.1"):
        conn.send(Request(method="GET", target="/", headers={"Host": "h"}, http_version=(1, 0)))


def test_each_role_sends_only_its_own_messages() -> None:
    client = Connection(Role.CLIENT)
    server = Connection(Role.SERVER)

    with pytest.raises(LocalProtocolError, match="client"):
        client.send(Response(status_code=200))
    with pytest.raises(LocalProtocolError, match="client"):
        client.send_response(200, "", None, b"")
    with pytest.raises(LocalProtocolError, match="server"):
        server.send(Request(method="GET", target="/", headers={"Host": "h"}))


def test_events_out_of_order_are_refused() -> None:
    conn = server_after(GET)

    with pytest.raises(LocalProtocolError, match="IDLE"):
        conn.send(Data(data=b"x"))
    with pytest.raises(LocalProtocolError, match="IDLE"):
        conn.send(EndOfMessage())
    conn.send_response(200, "", None, b"")
    with pytest.raises(LocalProtocolError, match="DONE"):
        conn.send_response(200, "", None, b"")


def test_sending_something_that_is_not_an_event_is_a_type_error() -> None:
    conn = server_after(GET)

    with pytest.raises(TypeError):
        conn.send(object())  # type: ignore[arg-type]


def test_sending_connection_closed_closes_our_side() -> None:
    conn = server_after(GET)
    conn.send_response(200, "", None, b"")

    assert conn.send(ConnectionClosed()) == b""
    assert conn.our_state is State.CLOSED
    assert not conn.keep_alive


def test_after_send_failed_nothing_more_is_sent() -> None:
    conn = server_after(GET)
    conn.send(Response(status_code=200))
    conn.send_failed()

    assert conn.our_state is State.ERROR
    assert not conn.keep_alive
    with pytest.raises(LocalProtocolError):
        conn.send(Data(data=b"x"))


_REQUEST_HEADS = [
    b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n",
    b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
]
_RESPONSE_FIELDS: list[list[tuple[str, str]]] = [
    [],
    [("Content-Type", "text/plain")],
    [("Content-Length", "4")],
    [("Content-Length", "0")],
    [("Content-Length", "3")],
    [("Content-Length", "04")],
    [("Content-Length", "4"), ("Content-Length", "4")],
    [("content-length", "4")],
    [("Connection", "close")],
    [("Connection", "keep-alive")],
    [("Transfer-Encoding", "chunked")],
]


def _send_whole(
    head: bytes, status: int, fields: list[tuple[str, str]], body: bytes
) -> tuple[object, ...]:
    conn = server_after(head)
    try:
        out: object = conn.send_response(status, "", CIMultiDict(fields), body)
    except LocalProtocolError as exc:
        out = str(exc)
    return out, conn.our_state, conn.their_state, conn.keep_alive


@pytest.mark.parametrize("head", _REQUEST_HEADS)
@pytest.mark.parametrize("status", [200, 204, 304, 404, 599])
def test_send_response_usual_answers_match_the_general_path(
    head: bytes, status: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut for usual answers decides exactly as the general framing plan."""
    from transom.protocol.http1 import _sender

    cases = [(fields, body) for fields in _RESPONSE_FIELDS for body in (b"", b"four")]
    fast = [_send_whole(head, status, fields, body) for fields, body in cases]
    monkeypatch.setattr(_sender.Sender, "_usual_response", lambda *args: None)
    general = [_send_whole(head, status, fields, body) for fields, body in cases]

    assert fast == general


_REQUEST_FIELDS: list[list[tuple[str, str]]] = [
    [("Host", "h")],
    [("Host", "h"), ("Upgrade", "websocket")],
    [("Host", "h"), ("Connection", "Upgrade"), ("Upgrade", "websocket")],
    [("Host", "h"), ("Connection", "close")],
    [("Host", "h"), ("Connection", "keep-alive")],
    [("Host", "h"), ("Content-Length", "0")],
    [("Host", "h"), ("Content-Length", "5")],
    [("Host", "h"), ("Transfer-Encoding", "chunked")],
    [("Host", "h"), ("Host", "i")],
    [("Accept", "*/*")],
]


def _plan(method: str, fields: list[tuple[str, str]]) -> object:
    from transom.protocol.http1._writers import plan_request

    try:
        return plan_request(method, CIMultiDict(fields))
    except LocalProtocolError as exc:
        return str(exc)


@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "CONNECT", "OPTIONS"])
def test_plain_request_plans_match_the_general_path(
    method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shortcut for requests without body or options plans exactly as the general path."""
    from transom.protocol.http1 import _writers

    fast = [_plan(method, fields) for fields in _REQUEST_FIELDS]
    monkeypatch.setattr(_writers, "_plain_request_plan", lambda method, headers: None)
    general = [_plan(method, fields) for fields in _REQUEST_FIELDS]

    assert fast == general
