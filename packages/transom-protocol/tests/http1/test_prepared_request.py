"""PreparedRequest: a request head serialized once and sent many times."""

from __future__ import annotations

import pytest

from transom.protocol import LocalProtocolError
from transom.protocol.http1 import (
    NEED_DATA,
    Connection,
    Data,
    EndOfMessage,
    PreparedRequest,
    Request,
    Response,
    Role,
    State,
)

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def get(target: str = "/a?b=1", **headers: str) -> Request:
    return Request(method="GET", target=target, headers={"Host": "example.com", **headers})


def test_the_bytes_are_those_of_sending_the_request() -> None:
    request = get(Accept="*/*")

    prepared = PreparedRequest(request)

    assert prepared.request is request
    assert prepared.head == Connection(Role.CLIENT).send(request)


def test_one_prepared_head_serves_every_cycle_of_a_connection() -> None:
    prepared = PreparedRequest(get())
    conn = Connection(Role.CLIENT)

    for _ in range(3):
        assert conn.send(prepared) == prepared.head
        assert conn.send(EndOfMessage()) == b""
        assert conn.our_state is State.DONE
        conn.receive_data(RESPONSE)
        head = conn.next_event()
        assert isinstance(head, Response)
        assert head.status_code == 200
        assert conn.next_event() == Data(data=b"ok")
        assert isinstance(conn.next_event(), EndOfMessage)
        assert conn.next_event() is NEED_DATA
        conn.start_next_cycle()


def test_the_framing_of_the_prepared_head_applies_to_the_body() -> None:
    post = Request(method="POST", target="/", headers={"Host": "h", "Content-Length": "3"})
    conn = Connection(Role.CLIENT)

    conn.send(PreparedRequest(post))

    with pytest.raises(LocalProtocolError, match="Content-Length"):
        conn.send(Data(data=b"four"))
    assert conn.send(Data(data=b"abc")) == b"abc"
    conn.send(EndOfMessage())
    assert conn.our_state is State.DONE


def test_a_head_answered_as_the_request_would_be() -> None:
    # The response to a prepared HEAD request has no body, as for the request.
    conn = Connection(Role.CLIENT)
    conn.send(PreparedRequest(Request(method="HEAD", target="/", headers={"Host": "h"})))
    conn.send(EndOfMessage())
    conn.receive_data(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n")

    assert isinstance(conn.next_event(), Response)
    assert isinstance(conn.next_event(), EndOfMessage)


def test_later_changes_to_the_request_are_not_sent() -> None:
    request = get()
    prepared = PreparedRequest(request)
    head = prepared.head

    request.headers["X-Late"] = "1"

    assert Connection(Role.CLIENT).send(prepared) == head
    assert b"X-Late" not in head


@pytest.mark.parametrize(
    "request_",
    [
        Request(method="GET", target="/a b", headers={"Host": "h"}),
        Request(method="G T", target="/", headers={"Host": "h"}),
        Request(method="GET", target="/"),
        Request(method="GET", target="/", headers={"Host": "h", "X": "a\r\nb"}),
        Request(method="GET", target="/", headers={"Host": "h"}, http_version=(1, 0)),
    ],
)
def test_what_cannot_be_sent_is_refused_when_prepared(request_: Request) -> None:
    with pytest.raises(LocalProtocolError):
        PreparedRequest(request_)


def test_a_server_cannot_send_one() -> None:
    server = Connection(Role.SERVER)

    with pytest.raises(LocalProtocolError, match="server"):
        server.send(PreparedRequest(get()))


def test_sending_one_in_the_wrong_state_changes_nothing() -> None:
    prepared = PreparedRequest(get())
    conn = Connection(Role.CLIENT)
    conn.send(prepared)

    with pytest.raises(LocalProtocolError, match="state"):
        conn.send(prepared)

    assert conn.our_state is State.SEND_BODY
    assert conn.send(EndOfMessage()) == b""
