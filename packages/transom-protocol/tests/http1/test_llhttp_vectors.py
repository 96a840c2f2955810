"""llhttp's own test cases (vectors/llhttp/, MIT): same verdicts, same parse.

Each case is replayed through a server connection (request cases) or a client
connection (response cases). Strict cases must get llhttp's verdict (accept,
reject, or incomplete: waiting for more bytes) and every accepted message the
same method, target, version, status, reason, fields, body and trailers;
upgrades must hand over exactly the bytes llhttp hands over. Lenient-mode cases
describe leniencies llhttp only has when asked, so every one must be refused.

Two systematic differences are handled by rule, and every case they touch is
still checked:

- llhttp does not require ``Host``; this parser does, as RFC 9112 §3.2 tells a
  server to (400 for an HTTP/1.1 request without one). An HTTP/1.1 request case
  without Host is asserted to be refused as it is, then replayed with a Host
  field after each request line and compared with llhttp's verdict and parse.
- Where the two read the RFCs differently, :data:`DISAGREEMENTS` names the case,
  the rule and what this parser does instead, and the test asserts that.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest

from transom.protocol import LocalProtocolError, RemoteProtocolError
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

CASES_PATH = Path(__file__).parent / "vectors" / "llhttp" / "cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_PATH.read_text(encoding="ascii"))
HOST_LINE = b"Host: llhttp.test\r\n"
REQUEST_LINE_1_1 = re.compile(rb"(?:^|(?<=\n))[!#$%&'*+.^_`|~0-9A-Za-z-]+ [^ \r\n]+ HTTP/1\.1\r\n")

Verdict = Literal["accept", "reject", "incomplete", "refused"]


@dataclass
class Message:
    """What the connection reported about one message."""

    fields: dict[str, Any]
    headers: list[list[str]]
    body: bytes = b""
    trailers: list[list[str]] = field(default_factory=list)


@dataclass
class Outcome:
    """How a connection fared with a whole case."""

    verdict: Verdict
    messages: list[Message]
    partial: Message | None
    error: RemoteProtocolError | None = None
    handed_over: bytes | None = None
    connection: Connection | None = None


def _pairs(headers: Any) -> list[list[str]]:
    return [[name, value] for name, value in headers.items()]


def _serve(raw: bytes, eof: bool) -> Outcome:
    """Replay request bytes through a server that answers each request at once."""
    conn = Connection(Role.SERVER)
    conn.receive_data(raw)
    if eof:
        conn.receive_eof()
    messages: list[Message] = []
    current: Message | None = None
    for _ in range(1000):
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:
            return Outcome("reject", messages, current, error=exc, connection=conn)
        if isinstance(event, Request):
            fields = {"method": event.method, "url": event.target, "version": event.http_version}
            current = Message(fields, _pairs(event.headers))
        elif isinstance(event, Data):
            assert current is not None
            current.body += event.data
        elif isinstance(event, EndOfMessage):
            assert current is not None
            current.trailers = _pairs(event.trailers)
            messages.append(current)
            if conn.their_state is State.MIGHT_SWITCH_PROTOCOL:
                if current.fields["method"] == "CONNECT":
                    conn.send(Response(status_code=200))
                else:
                    conn.send(
                        InformationalResponse(
                            status_code=101, headers=[("Connection", "upgrade"), ("Upgrade", "x")]
                        )
                    )
                assert conn.our_state is State.SWITCHED_PROTOCOL
                assert conn.next_event() is PAUSED
                return Outcome("accept", messages, None, handed_over=conn.trailing_data[0])
            current = None
            conn.send_response(200, "", None, b"")
        elif event is PAUSED:
            if conn.our_state is State.DONE and conn.their_state is State.DONE and conn.keep_alive:
                conn.start_next_cycle()
                continue
            return Outcome("refused", messages, current, connection=conn)
        else:
            assert event is NEED_DATA or isinstance(event, ConnectionClosed)
            break
    return Outcome("accept" if messages else "incomplete", messages, current, connection=conn)


def _fetch(raw: bytes, eof: bool, head: bool) -> Outcome:
    """Replay response bytes through a client that sends a request per response."""
    conn = Connection(Role.CLIENT)
    upgrade = raw.lstrip(b"\r\n").startswith(b"HTTP/1.1 101")

    def send_request() -> None:
        headers = [("Host", "llhttp.test")]
        if upgrade:
            headers += [("Connection", "upgrade"), ("Upgrade", "h2c")]
        conn.send(Request(method="HEAD" if head else "GET", target="/", headers=headers))
        conn.send(EndOfMessage())

    send_request()
    conn.receive_data(raw)
    if eof:
        conn.receive_eof()
    messages: list[Message] = []
    current: Message | None = None
    for _ in range(1000):
        try:
            event = conn.next_event()
        except RemoteProtocolError as exc:
            return Outcome("reject", messages, current, error=exc, connection=conn)
        if isinstance(event, InformationalResponse | Response):
            fields = {
                "status": event.status_code,
                "reason": event.reason,
                "version": event.http_version,
            }
            current = Message(fields, _pairs(event.headers))
            if isinstance(event, InformationalResponse):
                # llhttp completes a 1xx as a message of its own.
                messages.append(current)
                current = None
                if conn.their_state is State.SWITCHED_PROTOCOL:
                    assert conn.next_event() is PAUSED
                    return Outcome("accept", messages, None, handed_over=conn.trailing_data[0])
        elif isinstance(event, Data):
            assert current is not None
            current.body += event.data
        elif isinstance(event, EndOfMessage):
            assert current is not None
            current.trailers = _pairs(event.trailers)
            messages.append(current)
            current = None
        elif event is PAUSED:
            if conn.our_state is State.DONE and conn.their_state is State.DONE and conn.keep_alive:
                conn.start_next_cycle()
                send_request()
                continue
            return Outcome("refused", messages, current, connection=conn)
        else:
            assert event is NEED_DATA or isinstance(event, ConnectionClosed)
            break
    return Outcome("accept" if messages else "incomplete", messages, current, connection=conn)


def _replay(case: dict[str, Any], raw: bytes) -> Outcome:
    if case["type"] == "request":
        return _serve(raw, case.get("eof", False))
    return _fetch(raw, case.get("eof", False), case.get("skip_body", False))


def _needs_host(case: dict[str, Any], raw: bytes) -> bool:
    return (
        case["type"] == "request"
        and b"\nhost:" not in raw.lower()
        and REQUEST_LINE_1_1.match(raw.lstrip(b"\r\n")) is not None
    )


def _with_host(raw: bytes) -> tuple[bytes, list[int]]:
    """``raw`` with a Host field after each HTTP/1.1 request line, and where each went."""
    at = [match.end() for match in REQUEST_LINE_1_1.finditer(raw)]
    pieces = []
    start = 0
    for end in at:
        pieces += [raw[start:end], HOST_LINE]
        start = end
    pieces.append(raw[start:])
    return b"".join(pieces), at


def _expected_message(expected: dict[str, Any], host: bool) -> Message:
    fields: dict[str, Any] = {
        key: expected[key] for key in ("method", "url", "status", "reason") if key in expected
    }
    fields["version"] = tuple(expected["version"])
    # llhttp keeps trailing whitespace in values; RFC 9110 §5.5 leaves it out.
    headers = [[name, value.rstrip(" \t")] for name, value in expected["headers"]]
    if host:
        headers.insert(0, ["Host", "llhttp.test"])
    trailers = [[name, value.rstrip(" \t")] for name, value in expected.get("trailers", [])]
    return Message(fields, headers, base64.b64decode(expected["body_b64"]), trailers)


def _assert_same_message(got: Message, expected: Message) -> None:
    for key, value in expected.fields.items():
        assert got.fields[key] == value, key
    assert got.headers == expected.headers
    assert got.body == expected.body
    assert got.trailers == expected.trailers


def _assert_llhttp_verdict(case: dict[str, Any], raw: bytes, inserted: list[int]) -> None:
    outcome = _replay(case, raw)
    host = bool(inserted)
    if case["lenient_flags"]:
        assert outcome.verdict == "reject", outcome
        return
    assert outcome.verdict == case["verdict"], outcome
    if case["verdict"] == "accept":
        expected = case["expected"]
        assert len(outcome.messages) == expected["messages_completed"]
        for got, want in zip(outcome.messages, expected["messages"], strict=True):
            _assert_same_message(got, _expected_message(want, host))
        if expected.get("upgrade"):
            offset = expected["upgrade_offset"]
            offset += len(HOST_LINE) * sum(1 for at in inserted if at <= offset)
            assert outcome.handed_over == raw[offset:]
        else:
            assert outcome.handed_over is None
        if expected.get("trailing_incomplete"):
            assert outcome.connection is not None
            assert outcome.connection.trailing_data[0] or outcome.partial is not None
    elif case["verdict"] == "incomplete" and "partial" in case:
        assert outcome.partial is not None
        want = _expected_message(case["partial"]["message"], host)
        for key, value in want.fields.items():
            assert outcome.partial.fields[key] == value
        assert outcome.partial.headers == want.headers
        assert outcome.partial.body == want.body


def _refused_after(messages: int, status: int | None = None) -> Any:
    """Data after a message that ends the connection is never parsed (RFC 9112 §9.6)."""

    def check(outcome: Outcome) -> None:
        assert outcome.verdict == "refused"
        assert len(outcome.messages) == messages
        conn = outcome.connection
        assert conn is not None
        assert not conn.keep_alive
        assert conn.their_state is State.MUST_CLOSE
        assert conn.trailing_data[0]
        with pytest.raises(LocalProtocolError):
            conn.start_next_cycle()

    return check


def _rejected(status: int, reason: str) -> Any:
    def check(outcome: Outcome) -> None:
        assert outcome.verdict == "reject", outcome
        assert outcome.error is not None
        assert outcome.error.status_code == status
        assert outcome.error.reason == reason

    return check


def _accepted(method: str) -> Any:
    def check(outcome: Outcome) -> None:
        assert outcome.verdict == "accept", outcome
        assert [m.fields["method"] for m in outcome.messages] == [method]

    return check


def _incomplete(outcome: Outcome) -> None:
    assert outcome.verdict == "incomplete", outcome
    assert outcome.partial is not None


_DATA_AFTER_CLOSE = (
    "llhttp reports bytes after a message that ends the connection as an error "
    "(HPE_CLOSED_CONNECTION); here they are simply never parsed: next_event() "
    "returns PAUSED, keep_alive is off and start_next_cycle() is refused. A server "
    "still answers the request it has and then closes (RFC 9112 §9.6), instead "
    "of answering 400 to a request that was valid."
)
_NOT_HTTP = (
    'RFC 9112 §2.3: HTTP-version is "HTTP/" DIGIT "." DIGIT. RTSP and ICE '
    "start lines, which llhttp also speaks, are not HTTP/1.1 and get 400."
)

#: Documented disagreements with llhttp: case id -> (why, with the RFC; what
#: this parser does instead, asserted on the outcome).
DISAGREEMENTS: dict[str, tuple[str, Any]] = {
    "request/sample.md#No HTTP version": (
        "RFC 9112 §3: a request-line ends with HTTP-version; HTTP/0.9 simple "
        "requests are not supported (400).",
        _rejected(400, "Malformed request line"),
    ),
    "request/method.md#SOURCE request with ICE": (
        _NOT_HTTP,
        _rejected(400, "Malformed request line"),
    ),
    "request/method.md#OPTIONS request with RTSP": (
        _NOT_HTTP,
        _rejected(400, "Malformed request line"),
    ),
    "request/method.md#ANNOUNCE request with RTSP": (
        _NOT_HTTP,
        _rejected(400, "Malformed request line"),
    ),
    "response/sample.md#RTSP response": (_NOT_HTTP, _rejected(400, "Malformed status line")),
    "response/sample.md#ICE response": (_NOT_HTTP, _rejected(400, "Malformed status line")),
    "response/sample.md#HTTP version 0.9": (
        "Only HTTP/1.0 and HTTP/1.1 are spoken (RFC 9112 §2.3); 0.9 gets 505.",
        _rejected(505, "HTTP version not supported"),
    ),
    "request/method.md#M-SEARCH request": (
        "RFC 9112 §3.2.4: the asterisk-form is only for a server-wide OPTIONS "
        "(M-SEARCH * is SSDP over UDP, not HTTP/1.1).",
        _rejected(400, "Asterisk target is only for OPTIONS"),
    ),
    "request/method.md#CONNECT with body": (
        "RFC 9110 §9.3.6: a CONNECT request has no content, so a Content-Length "
        "on one leaves unclear where the tunnel starts; ambiguity is refused.",
        _rejected(400, "CONNECT request with a body"),
    ),
    "request/invalid.md#HTTP protocol and ANNOUNCE method": (
        "RFC 9110 §9.1: a method is any token; llhttp knows a fixed list per protocol.",
        _accepted("ANNOUNCE"),
    ),
    "request/invalid.md#Invalid method": (
        "RFC 9110 §9.1: a method is any token, so MKCOLA is accepted once the "
        "request has its Host.",
        _accepted("MKCOLA"),
    ),
    "request/transfer-encoding.md#POST with `chunked` as last transfer-encoding": (
        "RFC 9112 §6.1: a transfer coding the server does not implement gets 501; "
        "only chunked is decoded here, and deflate-in-chunked bytes handed on as "
        "the body could not be told apart from a plain body.",
        _rejected(501, "Unsupported transfer coding"),
    ),
    (
        "request/transfer-encoding.md"
        "#POST with `chunked` as last transfer-encoding (multiple headers)"
    ): (
        "As above (RFC 9112 §6.1, 501).",
        _rejected(501, "Unsupported transfer coding"),
    ),
    "request/content-length.md#Content-Length reset when no body is received": (
        "The case relies on llhttp's skipBody hook, which exists for responses "
        "to HEAD; a server always reads a request's declared body (RFC 9112 "
        "§6.3 rule 5), so the second request is body bytes still arriving.",
        _incomplete,
    ),
    "request/connection.md#No restart when keep-alive is off (1.0)": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "request/connection.md#CRLF between requests, explicit `close`": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "request/connection.md#CRLF between requests, explicit `close` followed by tab": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "response/connection.md#HTTP/1.1 with keep-alive disabled and 204 status": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "response/connection.md#HTTP/1.1 with keep-alive disabled, content-length": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    # Lenient cases: the same input, with llhttp's keep_alive/data_after_close
    # leniency on. Refused as above rather than raised.
    "request/connection.md#Resetting flags when keep-alive is off (1.0, lenient)": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "request/connection.md#CRLF between requests, explicit `close` (lenient)": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "response/connection.md#HTTP/1.1 with keep-alive disabled, content-length (lenient)": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
    "response/connection.md#HTTP/1.1 with keep-alive disabled and 204 status (lenient)": (
        _DATA_AFTER_CLOSE,
        _refused_after(1),
    ),
}


def _case_id(case: dict[str, Any]) -> str:
    return str(case["id"])


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_llhttp_case_gets_the_same_verdict_and_parse(case: dict[str, Any]) -> None:
    raw = base64.b64decode(case["raw_b64"])
    inserted: list[int] = []
    if _needs_host(case, raw):
        # RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host.
        assert _replay(case, raw).verdict == "reject"
        raw, inserted = _with_host(raw)
    disagreement = DISAGREEMENTS.get(case["id"])
    if disagreement is not None:
        _why, check = disagreement
        check(_replay(case, raw))
        return
    _assert_llhttp_verdict(case, raw, inserted)


def test_every_documented_disagreement_names_a_real_case() -> None:
    ids = {case["id"] for case in CASES}

    assert set(DISAGREEMENTS) <= ids


def test_the_vectors_are_all_there() -> None:
    strict = [case for case in CASES if not case["lenient_flags"]]

    assert len(CASES) == 233
    assert sum(case["type"] == "request" for case in strict) == 127
    assert sum(case["type"] == "response" for case in strict) == 69


def test_a_request_without_host_is_refused_with_400() -> None:
    case = next(case for case in CASES if case["id"] == "request/sample.md#Simple request")
    outcome = _replay(case, base64.b64decode(case["raw_b64"]))

    assert outcome.error is not None
    assert (outcome.error.status_code, outcome.error.reason) == (400, "Missing Host header")
