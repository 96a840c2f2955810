"""Events are immutable values with keyword constructors."""

from __future__ import annotations

import copy
import pickle

import pytest
from multidict import CIMultiDict

from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    NoEvent,
    Request,
    Response,
)


def test_a_request_keeps_its_fields() -> None:
    request = Request(method="GET", target="/x", headers=[("Host", "h")])

    assert request.method == "GET"
    assert request.target == "/x"
    assert request.headers == CIMultiDict([("Host", "h")])
    assert request.headers["host"] == "h"
    assert request.http_version == (1, 1)


def test_a_given_cimultidict_is_used_as_is() -> None:
    headers: CIMultiDict[str] = CIMultiDict(Host="h")

    assert Request(method="GET", target="/", headers=headers).headers is headers


def test_events_are_immutable() -> None:
    response = Response(status_code=200)

    with pytest.raises(AttributeError, match="immutable"):
        response.status_code = 404
    with pytest.raises(AttributeError, match="immutable"):
        del response.reason


def test_constructors_take_keywords_only() -> None:
    with pytest.raises(TypeError):
        Data(b"x")  # type: ignore[call-arg]


def test_events_compare_by_type_and_fields() -> None:
    assert Data(data=b"x") == Data(data=b"x")
    assert Data(data=b"x") != Data(data=b"y")
    assert Response(status_code=100) != InformationalResponse(status_code=100)
    assert EndOfMessage() == EndOfMessage(trailers={})
    assert ConnectionClosed() == ConnectionClosed()
    assert Data(data=b"x") != b"x"


def test_events_are_not_hashable() -> None:
    with pytest.raises(TypeError):
        hash(EndOfMessage())


def test_repr_shows_every_field() -> None:
    assert repr(Data(data=b"x")) == "Data(data=b'x')"
    assert repr(Response(status_code=200, reason="OK")) == (
        "Response(status_code=200, reason='OK', headers=<CIMultiDict()>, http_version=(1, 1))"
    )
    assert repr(ConnectionClosed()) == "ConnectionClosed()"


def test_events_copy_and_pickle() -> None:
    request = Request(method="GET", target="/", headers=[("Host", "h")])

    assert copy.copy(request) == request
    assert copy.deepcopy(request) == request
    assert pickle.loads(pickle.dumps(request)) == request


def test_every_event_is_an_event() -> None:
    for event in (Data(data=b""), EndOfMessage(), ConnectionClosed(), Response(status_code=200)):
        assert isinstance(event, Event)


def test_the_no_event_signals() -> None:
    assert NEED_DATA is NoEvent.NEED_DATA
    assert PAUSED is NoEvent.PAUSED
    assert repr(NEED_DATA) == "NEED_DATA"
    assert repr(PAUSED) == "PAUSED"
