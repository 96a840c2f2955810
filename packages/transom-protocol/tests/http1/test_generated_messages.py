"""Generated valid messages: same events as h11, and the same events however split.

h11 (a test dependency only) is the reference: for every valid request a
server parses and every valid response a client parses, both produce the same
events (adjacent Data joined, since neither keeps chunk boundaries the same
way). Then each message is cut at arbitrary points and fed piece by piece: the
events must not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h11
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    Connection,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
    Role,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
FIELD_VCHAR = "".join(chr(c) for c in (*range(0x21, 0x7F), *range(0x80, 0x100)))
PCHAR = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/%?"
# Fields the generator must not produce by chance: they change the framing
# or the connection, which the generator decides itself.
RESERVED = {
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "upgrade",
    "expect",
    "te",
    "trailer",
}

tokens = st.text(alphabet=TCHAR, min_size=1, max_size=12)
names = tokens.filter(lambda name: name.lower() not in RESERVED)
values = st.builds(
    lambda words, seps: "".join(w + s for w, s in zip(words, seps, strict=False)).strip(" \t"),
    st.lists(st.text(alphabet=FIELD_VCHAR, min_size=1, max_size=8), max_size=4),
    st.lists(st.sampled_from([" ", "\t", "  "]), min_size=4, max_size=4),
)
fields = st.lists(st.tuples(names, values), max_size=8)
targets = st.builds(lambda path: "/" + path, st.text(alphabet=PCHAR, max_size=30))
# CONNECT takes an authority-form target (RFC 9112 §3.2.3), which transom checks and
# h11 does not; the targets drawn here are origin-form, so it is left out.
methods = st.one_of(
    st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    tokens.filter(lambda token: token != "CONNECT"),
)
bodies = st.binary(max_size=300)
# h11 refuses the optional whitespace RFC 9112 §7.1.1 allows around ";" and
# "=", so generated extensions leave it out (the conformance table has it).
extensions = st.sampled_from([b"", b";a", b";a=b", b';name="quoted \\"value\\""'])


@dataclass
class Message:
    """A generated message: its bytes and the parts it was built from."""

    raw: bytes
    start: tuple[Any, ...]
    fields: list[tuple[str, str]]
    body: bytes
    trailers: list[tuple[str, str]]


def _field_bytes(pairs: list[tuple[str, str]], ows: str = " ") -> bytes:
    return b"".join(f"{name}:{ows}{value}\r\n".encode("latin-1") for name, value in pairs)


@st.composite
def framed_body(
    draw: st.DrawFn,
) -> tuple[list[tuple[str, str]], bytes, bytes, list[tuple[str, str]]]:
    """(framing fields, body, encoded body, trailers)."""
    body = draw(bodies)
    framing = draw(st.sampled_from(["length", "chunked"]))
    if framing == "length":
        return [("Content-Length", str(len(body)))], body, body, []
    cuts = sorted(draw(st.lists(st.integers(0, len(body)), max_size=4)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    encoded = b"".join(
        b"%x%s\r\n%s\r\n" % (len(piece), draw(extensions), piece) for piece in pieces if piece
    )
    trailers = draw(st.lists(st.tuples(names, values), max_size=3))
    encoded += b"0" + draw(extensions) + b"\r\n" + _field_bytes(trailers) + b"\r\n"
    return [("Transfer-Encoding", "chunked")], body, encoded, trailers


@st.composite
def requests(draw: st.DrawFn) -> Message:
    method = draw(methods)
    target = draw(targets)
    extra = draw(fields)
    framing, body, encoded, trailers = draw(framed_body())
    pairs = [("Host", "example.test"), *extra, *framing]
    ows = draw(st.sampled_from([" ", "", "\t", "  "]))
    head = f"{method} {target} HTTP/1.1\r\n".encode("latin-1") + _field_bytes(pairs, ows)
    return Message(head + b"\r\n" + encoded, (method, target), pairs, body, trailers)


@st.composite
def responses(draw: st.DrawFn) -> Message:
    status = draw(st.integers(200, 599).filter(lambda code: code not in (204, 304)))
    reason = draw(st.text(alphabet=FIELD_VCHAR + " \t", max_size=20)).strip(" \t")
    extra = draw(fields)
    framing, body, encoded, trailers = draw(framed_body())
    pairs = [*extra, *framing]
    head = f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1") + _field_bytes(pairs)
    return Message(head + b"\r\n" + encoded, (status, reason), pairs, body, trailers)


def _joined(events: list[Any]) -> list[Any]:
    out: list[Any] = []
    for event in events:
        if isinstance(event, bytes) and out and isinstance(out[-1], bytes):
            out[-1] += event
        else:
            out.append(event)
    return out


def _ours(event: Event) -> Any:
    """An event as a plain value comparable with :func:`_theirs`."""
    if isinstance(event, Request):
        return (
            "request",
            event.method,
            event.target,
            event.http_version,
            list(event.headers.items()),
        )
    if isinstance(event, Response | InformationalResponse):
        items = list(event.headers.items())
        return ("response", event.status_code, event.reason, event.http_version, items)
    if isinstance(event, Data):
        return event.data
    assert isinstance(event, EndOfMessage)
    return ("end", list(event.trailers.items()))


def _decoded(items: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in items]


def _theirs(event: Any) -> Any:
    version = (
        tuple(int(part) for part in event.http_version.split(b"."))
        if hasattr(event, "http_version")
        else None
    )
    if isinstance(event, h11.Request):
        items = _decoded(event.headers.raw_items())
        return ("request", event.method.decode(), event.target.decode(), version, items)
    if isinstance(event, h11.Response | h11.InformationalResponse):
        items = _decoded(event.headers.raw_items())
        return ("response", event.status_code, event.reason.decode("latin-1"), version, items)
    if isinstance(event, h11.Data):
        return bytes(event.data)
    assert isinstance(event, h11.EndOfMessage)
    return ("end", _decoded(event.headers.raw_items()))


def _drain(conn: Connection) -> list[Event]:
    events: list[Event] = []
    for _ in range(1000):
        event = conn.next_event()
        if event is NEED_DATA or event is PAUSED:
            return events
        events.append(event)
    raise AssertionError("no end of events")


def _client() -> Connection:
    conn = Connection(Role.CLIENT)
    conn.send(Request(method="GET", target="/", headers=[("Host", "example.test")]))
    conn.send(EndOfMessage())
    return conn


def _parse(role: Role, pieces: list[bytes]) -> list[Any]:
    conn = Connection(role) if role is Role.SERVER else _client()
    events: list[Event] = []
    for piece in pieces:
        conn.receive_data(piece)
        events += _drain(conn)
    return _joined([_ours(event) for event in events])


def _h11_parse(role: Role, raw: bytes) -> list[Any]:
    if role is Role.SERVER:
        conn = h11.Connection(h11.SERVER)
    else:
        conn = h11.Connection(h11.CLIENT)
        conn.send(h11.Request(method="GET", target="/", headers=[("Host", "example.test")]))
        conn.send(h11.EndOfMessage())
    conn.receive_data(raw)
    events = []
    for _ in range(1000):
        event = conn.next_event()
        if event is h11.NEED_DATA or event is h11.PAUSED:
            break
        events.append(_theirs(event))
    return _joined(events)


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(raw) + 1) for cut in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


@SETTINGS
@given(requests())
def test_requests_parse_as_h11_parses_them(message: Message) -> None:
    ours = _parse(Role.SERVER, [message.raw])

    assert ours == _h11_parse(Role.SERVER, message.raw)
    assert ours[0][1:3] == message.start
    assert ours[0][4] == message.fields
    assert ours[-1] == ("end", message.trailers)
    assert b"".join(event for event in ours if isinstance(event, bytes)) == message.body


@SETTINGS
@given(responses())
def test_responses_parse_as_h11_parses_them(message: Message) -> None:
    ours = _parse(Role.CLIENT, [message.raw])

    assert ours == _h11_parse(Role.CLIENT, message.raw)
    assert ours[0][1:3] == message.start
    assert ours[-1] == ("end", message.trailers)


@SETTINGS
@given(requests(), st.lists(st.integers(min_value=0), max_size=12))
def test_a_request_split_anywhere_gives_the_same_events(message: Message, cuts: list[int]) -> None:
    whole = _parse(Role.SERVER, [message.raw])

    assert _parse(Role.SERVER, _split(message.raw, cuts)) == whole


@SETTINGS
@given(responses(), st.lists(st.integers(min_value=0), max_size=12))
def test_a_response_split_anywhere_gives_the_same_events(message: Message, cuts: list[int]) -> None:
    whole = _parse(Role.CLIENT, [message.raw])

    assert _parse(Role.CLIENT, _split(message.raw, cuts)) == whole
