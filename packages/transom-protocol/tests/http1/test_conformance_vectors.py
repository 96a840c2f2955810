"""The conformance table: raw bytes in, the events or the error (with its status) out.

Every vector runs twice: fed in one piece, and fed one byte at a time (the
events must match, with adjacent Data joined, and an error must carry the
same status). A server under test answers each complete request with an
empty 200 and starts the next cycle when keep-alive allows, so pipelined
requests show up one after the other; a client under test sends one request
(GET unless the vector says otherwise) before each response.

RFC sections are cited per group; the strictness decisions themselves are
documented in ``docs/topics/http1.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from transom.protocol import RemoteProtocolError
from transom.protocol.http1 import (
    NEED_DATA,
    PAUSED,
    Connection,
    ConnectionClosed,
    Data,
    EndOfMessage,
    Event,
    InformationalResponse,
    Request,
    Response,
    Role,
    State,
)

End = Literal["need", "paused", "closed"]


@dataclass(frozen=True)
class Vector:
    """One row of the table."""

    name: str
    raw: bytes
    events: tuple[Event, ...] = ()
    end: End = "need"
    error: tuple[int, str] | None = None
    role: Role = Role.SERVER
    eof: bool = False
    methods: tuple[str, ...] = ("GET",)
    limits: dict[str, Any] = field(default_factory=dict)
    keep_alive: bool | None = None
    trailing: bytes | None = None


def ok(name: str, raw: bytes, *events: Event, end: End = "need", **options: Any) -> Vector:
    """A vector that parses into ``events`` and then stops at ``end``."""
    return Vector(name, raw, events, end=end, **options)


def bad(name: str, raw: bytes, status: int, reason: str, *events: Event, **options: Any) -> Vector:
    """A vector refused with ``status`` and ``reason`` after ``events``."""
    return Vector(name, raw, events, error=(status, reason), **options)


def req(
    method: str, target: str, *headers: tuple[str, str], v: tuple[int, int] = (1, 1)
) -> Request:
    return Request(method=method, target=target, headers=list(headers), http_version=v)


def get(target: str = "/", *headers: tuple[str, str]) -> Request:
    """A GET with Host: h, then ``headers``."""
    return req("GET", target, HOST, *headers)


def post(*headers: tuple[str, str]) -> Request:
    return req("POST", "/", HOST, *headers)


def res(
    status: int, reason: str, *headers: tuple[str, str], v: tuple[int, int] = (1, 1)
) -> Response:
    return Response(status_code=status, reason=reason, headers=list(headers), http_version=v)


def info(status: int, reason: str, *headers: tuple[str, str]) -> InformationalResponse:
    return InformationalResponse(status_code=status, reason=reason, headers=list(headers))


def data(payload: bytes) -> Data:
    return Data(data=payload)


def eom(*trailers: tuple[str, str]) -> EndOfMessage:
    return EndOfMessage(trailers=list(trailers))


HOST = ("Host", "h")
H = b"Host: h\r\n"
CHUNKED = ("Transfer-Encoding", "chunked")
TE = b"Transfer-Encoding: chunked\r\n"
CLIENT = Role.CLIENT
CLOSED = ConnectionClosed()


def chunked_post(body: bytes, *headers: tuple[str, str]) -> bytes:
    lines = b"".join(f"{n}: {v}\r\n".encode("latin-1") for n, v in headers)
    return b"POST / HTTP/1.1\r\nHost: h\r\n" + TE + lines + b"\r\n" + body


REQUEST_LINE = [
    # RFC 9112 §3: request-line = method SP request-target SP HTTP-version
    ok("minimal GET", b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", get(), eom()),
    ok("HTTP/1.0 without Host", b"GET / HTTP/1.0\r\n\r\n", req("GET", "/", v=(1, 0)), eom()),
    ok(
        "any token is a method",
        b"M-Y_%! / HTTP/1.1\r\n" + H + b"\r\n",
        req("M-Y_%!", "/", HOST),
        eom(),
    ),
    ok(
        "methods are case-sensitive tokens",
        b"get / HTTP/1.1\r\n" + H + b"\r\n",
        req("get", "/", HOST),
        eom(),
    ),
    ok(
        "query and fragment kept raw",
        b"GET /a/b?c=d&e=%20f#g HTTP/1.1\r\n" + H + b"\r\n",
        get("/a/b?c=d&e=%20f#g"),
        eom(),
    ),
    ok(
        "visible ASCII punctuation in target",
        b'GET /{a}|b^`\\"<> HTTP/1.1\r\n' + H + b"\r\n",
        get('/{a}|b^`\\"<>'),
        eom(),
    ),
    ok(
        "absolute-form",
        b"GET http://example.com:8080/x?y HTTP/1.1\r\n" + H + b"\r\n",
        get("http://example.com:8080/x?y"),
        eom(),
    ),
    ok(
        "asterisk-form for OPTIONS",
        b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n",
        req("OPTIONS", "*", HOST),
        eom(),
    ),
    ok(
        "authority-form for CONNECT",
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        req("CONNECT", "example.com:443", ("Host", "example.com:443")),
        eom(),
        end="paused",
    ),
    ok(
        "CONNECT to an IPv6 literal",
        b"CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
        req("CONNECT", "[::1]:443", ("Host", "[::1]:443")),
        eom(),
        end="paused",
    ),
    # RFC 9112 §2.2: empty lines before the request-line are ignored.
    ok("leading CRLFs are skipped", b"\r\n\r\n\r\nGET / HTTP/1.1\r\n" + H + b"\r\n", get(), eom()),
    bad("leading bare LF", b"\nGET / HTTP/1.1\r\n" + H + b"\r\n", 400, "Bare LF in start line"),
    bad("leading space", b" GET / HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid method"),
    bad("method with a colon", b"GE:T / HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid method"),
    bad("method with a slash", b"GE/T / HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid method"),
    bad("empty method", b" / HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid method"),
    bad(
        "two spaces after method",
        b"GET  / HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "Malformed request line",
    ),
    bad("tab as separator", b"GET\t/ HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid method"),
    bad(
        "space inside target", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n", 400, "Malformed request line"
    ),
    bad("NUL in target", b"GET /a\x00b HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid request target"),
    bad("DEL in target", b"GET /a\x7fb HTTP/1.1\r\n" + H + b"\r\n", 400, "Invalid request target"),
    bad(
        "non-ASCII in target",
        b"GET /caf\xc3\xa9 HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "Invalid request target",
    ),
    bad("missing target", b"GET HTTP/1.1\r\n" + H + b"\r\n", 400, "Malformed request line"),
    bad(
        "trailing space after version",
        b"GET / HTTP/1.1 \r\n" + H + b"\r\n",
        400,
        "Malformed request line",
    ),
    bad(
        "lowercase protocol name",
        b"GET / http/1.1\r\n" + H + b"\r\n",
        400,
        "Malformed request line",
    ),
    bad("version without minor", b"GET / HTTP/1\r\n" + H + b"\r\n", 400, "Malformed request line"),
    bad(
        "two-digit major version",
        b"GET / HTTP/01.1\r\n" + H + b"\r\n",
        400,
        "Malformed request line",
    ),
    bad("no version (HTTP/0.9 style)", b"GET /\r\n\r\n", 400, "Malformed request line"),
    # HTTP versions other than 1.0 and 1.1: 505 (RFC 9110 §15.6.6).
    bad("HTTP/2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n", 505, "HTTP version not supported"),
    bad("HTTP/1.2", b"GET / HTTP/1.2\r\n" + H + b"\r\n", 505, "HTTP version not supported"),
    bad("HTTP/0.9", b"GET / HTTP/0.9\r\n\r\n", 505, "HTTP version not supported"),
    bad("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "HTTP version not supported"),
    bad(
        "unsupported version refused before the line ends",
        b"GET / HTTP/3.0",
        505,
        "HTTP version not supported",
    ),
    # RFC 9112 §3.2: the target's form must suit the method.
    bad(
        "asterisk-form for GET",
        b"GET * HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "Asterisk target is only for OPTIONS",
    ),
    bad(
        "origin-form for CONNECT",
        b"CONNECT / HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "CONNECT target must be host:port",
    ),
    bad(
        "CONNECT without port",
        b"CONNECT example.com HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "CONNECT target must be host:port",
    ),
    bad(
        "relative target",
        b"GET index.html HTTP/1.1\r\n" + H + b"\r\n",
        400,
        "Invalid request target",
    ),
    bad(
        "bare LF after request line",
        b"GET / HTTP/1.1\nHost: h\r\n\r\n",
        400,
        "Bare LF in start line",
    ),
    bad(
        "bare CR after request line",
        b"GET / HTTP/1.1\rHost: h\r\n\r\n",
        400,
        "Bare CR in start line",
    ),
    bad(
        "garbage refused before any line end",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        400,
        "Invalid method",
    ),
    # RFC 9112 §3: 414 past the request-line limit.
    bad(
        "request line over the limit",
        b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n" + H + b"\r\n",
        414,
        "Request line too long",
        limits={"max_request_line_size": 64},
    ),
    bad(
        "unfinished request line over the limit",
        b"GET /" + b"a" * 100,
        414,
        "Request line too long",
        limits={"max_request_line_size": 64},
    ),
    ok(
        "request line at the limit",
        b"GET /" + b"a" * 47 + b" HTTP/1.1\r\n" + H + b"\r\n",
        get("/" + "a" * 47),
        eom(),
        limits={"max_request_line_size": 64},
    ),
]

FIELDS = [
    # RFC 9112 §5: field-line = field-name ":" OWS field-value OWS
    ok(
        "whitespace around values is dropped",
        b"GET / HTTP/1.1\r\nHost: h\r\nA:   x y  \t\r\nB:\tz\r\n\r\n",
        get("/", ("A", "x y"), ("B", "z")),
        eom(),
    ),
    ok(
        "no whitespace after colon",
        b"GET / HTTP/1.1\r\nHost:h\r\nA:x\r\n\r\n",
        get("/", ("A", "x")),
        eom(),
    ),
    ok(
        "empty field values",
        b"GET / HTTP/1.1\r\nHost: h\r\nA:\r\nB: \t \r\n\r\n",
        get("/", ("A", ""), ("B", "")),
        eom(),
    ),
    ok(
        "inner whitespace is kept",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x \t  y\r\n\r\n",
        get("/", ("A", "x \t  y")),
        eom(),
    ),
    ok(
        "obs-text decoded as latin-1",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: caf\xe9 \xff\r\n\r\n",
        get("/", ("A", "caf\xe9 \xff")),
        eom(),
    ),
    ok(
        "repeated fields keep their order",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\na: 3\r\n\r\n",
        get("/", ("A", "1"), ("B", "2"), ("a", "3")),
        eom(),
    ),
    ok(
        "token punctuation in names",
        b"GET / HTTP/1.1\r\nHost: h\r\nX-!#$%&'*+.^_`|~: v\r\n\r\n",
        get("/", ("X-!#$%&'*+.^_`|~", "v")),
        eom(),
    ),
    ok(
        "colons in values",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: b: c:\r\n\r\n",
        get("/", ("A", "b: c:")),
        eom(),
    ),
    # RFC 9112 §5.2: obs-fold is refused with 400.
    bad(
        "obs-fold with a space",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\r\n y\r\n\r\n",
        400,
        "Obsolete line folding (obs-fold)",
    ),
    bad(
        "obs-fold with a tab",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\r\n\ty\r\n\r\n",
        400,
        "Obsolete line folding (obs-fold)",
    ),
    bad(
        "whitespace after the request line",
        b"GET / HTTP/1.1\r\n Host: h\r\n\r\n",
        400,
        "Whitespace after the start line",
    ),
    # RFC 9112 §5.1: no whitespace between field name and colon: 400.
    bad(
        "space before colon",
        b"GET / HTTP/1.1\r\nHost : h\r\n\r\n",
        400,
        "Whitespace before colon in header",
    ),
    bad(
        "tab before colon",
        b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\nhello",
        400,
        "Whitespace before colon in header",
    ),
    bad(
        "space inside name",
        b"GET / HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n",
        400,
        "Invalid character in header name",
    ),
    bad("empty name", b"GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n", 400, "Empty header name"),
    bad(
        "line without colon",
        b"GET / HTTP/1.1\r\nHost: h\r\nnocolon\r\n\r\n",
        400,
        "Header line without a colon",
    ),
    bad(
        "separator in name",
        b"GET / HTTP/1.1\r\nHost: h\r\nA(b): z\r\n\r\n",
        400,
        "Invalid character in header name",
    ),
    bad(
        "at-sign in name",
        b"GET / HTTP/1.1\r\nHost: h\r\nFo@: z\r\n\r\n",
        400,
        "Invalid character in header name",
    ),
    bad(
        "non-ASCII in name",
        b"GET / HTTP/1.1\r\nHost: h\r\nX\xe9: z\r\n\r\n",
        400,
        "Invalid character in header name",
    ),
    # RFC 9110 §5.5: NUL and other CTLs (but HTAB) are not allowed in values.
    bad(
        "NUL in value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\x00y\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    bad(
        "NUL in name",
        b"GET / HTTP/1.1\r\nHost: h\r\nA\x00: x\r\n\r\n",
        400,
        "Invalid character in header name",
    ),
    bad(
        "form feed in value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\x0cy\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    bad(
        "vertical tab in value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: \x0b\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    bad(
        "escape in value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: \x1b[31m\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    bad(
        "DEL in value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\x7f\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    # Line endings are CRLF only: bare LF and bare CR are refused (RFC 9112 §2.2).
    bad(
        "bare LF ends a field line",
        b"GET / HTTP/1.1\r\nHost: h\nA: b\r\n\r\n",
        400,
        "Bare LF in header section",
    ),
    bad(
        "bare LF blank line",
        b"GET / HTTP/1.1\r\nHost: h\r\n\nBODY",
        400,
        "Bare LF in header section",
    ),
    bad("only LFs", b"GET / HTTP/1.1\nHost: h\n\n", 400, "Bare LF in start line"),
    bad(
        "bare CR inside a value",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: x\ry\r\n\r\n",
        400,
        "Bare CR in header section",
    ),
    bad(
        "bare CR ends a field line",
        b"GET / HTTP/1.1\r\nHost: h\rA: b\r\n\r\n",
        400,
        "Bare CR in header section",
    ),
    bad("CR CR LF", b"GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", 400, "Bare CR in header section"),
    bad(
        "CR then garbage before the body",
        b"GET / HTTP/1.1\r\nHost: h\r\n\rX",
        400,
        "Bare CR in header section",
    ),
    # RFC 6585 §5: 431 past the field count or section size limits.
    bad(
        "too many fields",
        b"GET / HTTP/1.1\r\nHost: h\r\n" + b"A: b\r\n" * 4 + b"\r\n",
        431,
        "Too many header fields",
        limits={"max_header_count": 4},
    ),
    bad(
        "too many fields before the section ends",
        b"GET / HTTP/1.1\r\nHost: h\r\n" + b"A: b\r\n" * 5,
        431,
        "Too many header fields",
        limits={"max_header_count": 4},
    ),
    ok(
        "fields at the count limit",
        b"GET / HTTP/1.1\r\nHost: h\r\n" + b"A: b\r\n" * 3 + b"\r\n",
        get("/", *[("A", "b")] * 3),
        eom(),
        limits={"max_header_count": 4},
    ),
    bad(
        "field section too large",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: " + b"x" * 100 + b"\r\n\r\n",
        431,
        "Header section too large",
        limits={"max_header_block_size": 64},
    ),
    bad(
        "unfinished field section too large",
        b"GET / HTTP/1.1\r\nHost: h\r\nA: " + b"x" * 100,
        431,
        "Header section too large",
        limits={"max_header_block_size": 64},
    ),
    # RFC 9112 §3.2: Host.
    bad("HTTP/1.1 without Host", b"GET / HTTP/1.1\r\n\r\n", 400, "Missing Host header"),
    bad(
        "two Host fields",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
        "More than one Host header",
    ),
    bad(
        "two identical Host fields",
        b"GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n",
        400,
        "More than one Host header",
    ),
    bad("Host with a path", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "Invalid Host header"),
    bad("Host with userinfo", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400, "Invalid Host header"),
    bad(
        "two Hosts in HTTP/1.0",
        b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
        "More than one Host header",
    ),
    ok("empty Host", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", req("GET", "/", ("Host", "")), eom()),
    ok(
        "Host with port",
        b"GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
        req("GET", "/", ("Host", "a.example:8080")),
        eom(),
    ),
    ok(
        "Host as IPv6 literal",
        b"GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n",
        req("GET", "/", ("Host", "[2001:db8::1]:80")),
        eom(),
    ),
]

CONTENT_LENGTH = [
    # RFC 9112 §6.3 rule 5 and RFC 9110 §8.6: Content-Length = 1*DIGIT.
    ok(
        "body by Content-Length",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        post(("Content-Length", "5")),
        data(b"hello"),
        eom(),
    ),
    ok(
        "Content-Length: 0",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
        post(("Content-Length", "0")),
        eom(),
    ),
    ok(
        "leading zeros",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0003\r\n\r\nabc",
        post(("Content-Length", "0003")),
        data(b"abc"),
        eom(),
    ),
    ok(
        "whitespace around the value",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \t3 \r\n\r\nabc",
        post(("Content-Length", "3")),
        data(b"abc"),
        eom(),
    ),
    ok(
        "name in any case",
        b"POST / HTTP/1.1\r\nHost: h\r\ncOnTeNt-LeNgTh: 3\r\n\r\nabc",
        post(("cOnTeNt-LeNgTh", "3")),
        data(b"abc"),
        eom(),
    ),
    ok(
        "body still arriving",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello",
        post(("Content-Length", "10")),
        data(b"hello"),
    ),
    ok(
        "bytes after the body wait for the next cycle",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n"
        b"abGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        post(("Content-Length", "2")),
        data(b"ab"),
        eom(),
        get(),
        eom(),
    ),
    ok(
        "GET without framing has no body",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\nhello",
        get(),
        eom(),
        end="need",
    ),
    bad(
        "repeated with different values",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
        "Repeated Content-Length",
    ),
    bad(
        "repeated with the same value",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
        400,
        "Repeated Content-Length",
    ),
    bad(
        "a list of values",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "a plus sign",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "a minus sign",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "hexadecimal",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "a decimal point",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5.0\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "digits split by a space",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\nhello",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "empty value",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "non-ASCII digits",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \xb2\r\n\r\nhi",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "overflowing value",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
        400,
        "Content-Length too large",
    ),
    bad(
        "value past 2**63-1",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n",
        400,
        "Content-Length too large",
    ),
    bad(
        "bad value refused before the head ends",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n",
        400,
        "Invalid Content-Length",
    ),
    bad(
        "repetition refused before the head ends",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n",
        400,
        "Repeated Content-Length",
    ),
    # 413 from the declared length, before any body byte is buffered.
    bad(
        "declared body over the limit",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
        413,
        "Request body too large",
        limits={"max_body_size": 10},
    ),
    ok(
        "declared body at the limit",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789",
        post(("Content-Length", "10")),
        data(b"0123456789"),
        eom(),
        limits={"max_body_size": 10},
    ),
    bad(
        "closed mid-body",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nhello",
        400,
        "Connection closed before the body was complete",
        post(("Content-Length", "10")),
        data(b"hello"),
        eof=True,
    ),
    bad(
        "closed before the body",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n",
        400,
        "Connection closed before the body was complete",
        post(("Content-Length", "10")),
        eof=True,
    ),
    # RFC 9110 §9.3.6: a CONNECT request has no content.
    bad(
        "CONNECT with a body",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nContent-Length: 3\r\n\r\nabc",
        400,
        "CONNECT request with a body",
    ),
    bad(
        "CONNECT with chunked",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n" + TE + b"\r\n0\r\n\r\n",
        400,
        "CONNECT request with a body",
    ),
]

TRANSFER_ENCODING = [
    # RFC 9112 §6.3 rules 3 and 4, §6.1, §7.
    bad(
        "Transfer-Encoding with Content-Length (CL.TE)",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n" + TE + b"\r\n0\r\n\r\nX",
        400,
        "Both Transfer-Encoding and Content-Length",
    ),
    bad(
        "Content-Length after Transfer-Encoding (TE.CL)",
        b"POST / HTTP/1.1\r\nHost: h\r\n"
        + TE
        + b"Content-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
        400,
        "Both Transfer-Encoding and Content-Length",
    ),
    bad(
        "both, refused before the head ends",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n" + TE,
        400,
        "Both Transfer-Encoding and Content-Length",
    ),
    bad(
        "both, with an empty coding",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nTransfer-Encoding:\r\n\r\nab",
        400,
        "Both Transfer-Encoding and Content-Length",
    ),
    bad(
        "Transfer-Encoding in HTTP/1.0",
        b"POST / HTTP/1.0\r\n" + TE + b"\r\n0\r\n\r\n",
        400,
        "Transfer-Encoding in an HTTP/1.0 request",
    ),
    bad(
        "chunked not last",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "chunked not last, over two lines",
        b"POST / HTTP/1.1\r\nHost: h\r\n" + TE + b"Transfer-Encoding: gzip\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "only an unknown coding",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: pigeons\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "identity",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "chunkedchunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkedchunked\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "xchunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "chunked with a parameter",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "quoted chunked",
        b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "chunked"\r\n\r\n',
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "empty Transfer-Encoding",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n",
        400,
        "Transfer-Encoding must end with chunked",
    ),
    bad(
        "chunked twice",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        400,
        "chunked applied more than once",
    ),
    bad(
        "an unknown coding before chunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: pigeons, chunked\r\n\r\n",
        501,
        "Unsupported transfer coding",
    ),
    bad(
        "gzip before chunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n" + TE + b"\r\n",
        501,
        "Unsupported transfer coding",
    ),
    bad(
        "obs-fold hiding chunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n",
        400,
        "Obsolete line folding (obs-fold)",
    ),
    bad(
        "space before colon hiding chunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n",
        400,
        "Whitespace before colon in header",
    ),
    bad(
        "vertical tab hiding chunked",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\x0bchunked\r\n\r\n",
        400,
        "Invalid character in header value",
    ),
    ok(
        "chunked in any case, with empty list elements",
        chunked_post(b"0\r\n\r\n").replace(TE, b"Transfer-Encoding: , ChUnKeD ,\r\n"),
        post(("Transfer-Encoding", ", ChUnKeD ,")),
        eom(),
    ),
    bad(
        "a lookalike name frames nothing: the body is read as a request",
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer_Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
        "Malformed request line",
        post(("Transfer_Encoding", "chunked")),
        eom(),
    ),
]

CHUNKED_BODY = [
    # RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    ok(
        "two chunks",
        chunked_post(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        post(CHUNKED),
        data(b"hello world"),
        eom(),
    ),
    ok("empty chunked body", chunked_post(b"0\r\n\r\n"), post(CHUNKED), eom()),
    ok(
        "hex sizes in both cases",
        chunked_post(b"a\r\n0123456789\r\nB\r\n0123456789A\r\n0\r\n\r\n"),
        post(CHUNKED),
        data(b"01234567890123456789A"),
        eom(),
    ),
    ok(
        "leading zeros in sizes",
        chunked_post(b"0005\r\nhello\r\n000\r\n\r\n"),
        post(CHUNKED),
        data(b"hello"),
        eom(),
    ),
    ok(
        "chunk extensions",
        chunked_post(b"5;a;b=c\r\nhello\r\n0;d=e\r\n\r\n"),
        post(CHUNKED),
        data(b"hello"),
        eom(),
    ),
    ok(
        "quoted extension with escapes",
        chunked_post(b'5;a="x \\"y\\"; z"\r\nhello\r\n0\r\n\r\n'),
        post(CHUNKED),
        data(b"hello"),
        eom(),
    ),
    ok(
        "whitespace around extension separators",
        chunked_post(b"5 ; a = b\r\nhello\r\n0\r\n\r\n"),
        post(CHUNKED),
        data(b"hello"),
        eom(),
    ),
    ok(
        "trailer fields",
        chunked_post(b"5\r\nhello\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n"),
        post(CHUNKED),
        data(b"hello"),
        eom(("Expires", "never"), ("X-Sum", "1")),
    ),
    ok("chunked body still arriving", chunked_post(b"5\r\nhel"), post(CHUNKED), data(b"hel")),
    ok(
        "chunked then a pipelined request",
        chunked_post(b"0\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
        post(CHUNKED),
        eom(),
        get(),
        eom(),
    ),
    bad(
        "missing last-chunk",
        chunked_post(b"3\r\nfoo\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
        data(b"foo"),
    ),
    bad(
        "size with a trailing space",
        chunked_post(b"5 \r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "size with a leading space",
        chunked_post(b" 5\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "words after the size",
        chunked_post(b"5 xyz\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "non-hex size",
        chunked_post(b"5g\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "0x prefix",
        chunked_post(b"0x5\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "negative size",
        chunked_post(b"-5\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "empty size",
        chunked_post(b"\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "semicolon without a name",
        chunked_post(b"5;\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "unbalanced quote in extension",
        chunked_post(b'5;a="x\r\nhello\r\n0\r\n\r\n'),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "NUL in extension",
        chunked_post(b"5;a=\x00\r\nhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "size overflowing 64 bits",
        chunked_post(b"10000000000000000\r\n"),
        400,
        "Chunk size too large",
        post(CHUNKED),
    ),
    bad(
        "size past 2**63-1",
        chunked_post(b"8000000000000000\r\n"),
        400,
        "Chunk size too large",
        post(CHUNKED),
    ),
    bad(
        "bare LF after the size",
        chunked_post(b"5\nhello\r\n0\r\n\r\n"),
        400,
        "Bare LF in chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "bare CR after the size",
        chunked_post(b"5\r\rhello\r\n0\r\n\r\n"),
        400,
        "Invalid chunk-size line",
        post(CHUNKED),
    ),
    bad(
        "data longer than its size",
        chunked_post(b"3\r\nhello\r\n0\r\n\r\n"),
        400,
        "Chunk data not followed by CRLF",
        post(CHUNKED),
        data(b"hel"),
    ),
    bad(
        "bare LF after data",
        chunked_post(b"5\r\nhello\n0\r\n\r\n"),
        400,
        "Chunk data not followed by CRLF",
        post(CHUNKED),
        data(b"hello"),
    ),
    bad(
        "extension line over the limit",
        chunked_post(b"5;a=" + b"b" * 100 + b"\r\nhello\r\n0\r\n\r\n"),
        400,
        "Chunk-size line too long",
        post(CHUNKED),
        limits={"max_chunk_line_size": 64},
    ),
    bad(
        "unfinished extension line over the limit",
        chunked_post(b"5;a=" + b"b" * 100),
        400,
        "Chunk-size line too long",
        post(CHUNKED),
        limits={"max_chunk_line_size": 64},
    ),
    bad(
        "obs-fold in trailers",
        chunked_post(b"0\r\nA: b\r\n c\r\n\r\n"),
        400,
        "Obsolete line folding (obs-fold)",
        post(CHUNKED),
    ),
    bad(
        "bare LF in trailers",
        chunked_post(b"0\r\nA: b\n\r\n"),
        400,
        "Bare LF in header section",
        post(CHUNKED),
    ),
    bad(
        "too many trailers",
        chunked_post(b"0\r\n" + b"A: b\r\n" * 3 + b"\r\n"),
        431,
        "Too many header fields",
        post(CHUNKED),
        limits={"max_header_count": 2},
    ),
    bad(
        "chunked body over the limit",
        chunked_post(b"5\r\nhello\r\n6\r\n"),
        413,
        "Body too large",
        post(CHUNKED),
        data(b"hello"),
        limits={"max_body_size": 10},
    ),
    bad(
        "closed inside chunk data",
        chunked_post(b"5\r\nhel"),
        400,
        "Connection closed inside the chunk-data",
        post(CHUNKED),
        data(b"hel"),
        eof=True,
    ),
    bad(
        "closed before the trailers end",
        chunked_post(b"0\r\nA: b\r\n"),
        400,
        "Connection closed inside the trailer section",
        post(CHUNKED),
        eof=True,
    ),
]

CONNECTION_MANAGEMENT = [
    # RFC 9112 §9.3: persistence; §9.6: close.
    ok("HTTP/1.1 persists", b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", get(), eom(), keep_alive=True),
    ok(
        "Connection: close",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
        get("/", ("Connection", "close")),
        eom(),
        keep_alive=False,
    ),
    ok(
        "close among other options",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Foo, CLOSE\r\n\r\n",
        get("/", ("Connection", "Foo, CLOSE")),
        eom(),
        keep_alive=False,
    ),
    ok(
        "close on a second Connection line",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: foo\r\nConnection: close\r\n\r\n",
        get("/", ("Connection", "foo"), ("Connection", "close")),
        eom(),
        keep_alive=False,
    ),
    ok(
        "HTTP/1.0 closes",
        b"GET / HTTP/1.0\r\n\r\n",
        req("GET", "/", v=(1, 0)),
        eom(),
        keep_alive=False,
    ),
    ok(
        "HTTP/1.0 with keep-alive",
        b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\nGET /2 HTTP/1.0\r\n\r\n",
        req("GET", "/", ("Connection", "Keep-Alive"), v=(1, 0)),
        eom(),
        req("GET", "/2", v=(1, 0)),
        eom(),
        keep_alive=False,
    ),
    ok(
        "three pipelined requests",
        b"GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
        get("/1"),
        eom(),
        get("/2"),
        eom(),
        get("/3"),
        eom(),
        keep_alive=True,
    ),
    ok(
        "CRLF between pipelined requests",
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n"
        b"x\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
        post(("Content-Length", "1")),
        data(b"x"),
        eom(),
        get(),
        eom(),
    ),
    ok(
        "bytes after close are never parsed",
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
        get("/", ("Connection", "close")),
        eom(),
        end="paused",
        keep_alive=False,
        trailing=b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n",
    ),
    ok(
        "bytes after an HTTP/1.0 request are never parsed",
        b"GET / HTTP/1.0\r\n\r\nGET / HTTP/1.1\r\n",
        req("GET", "/", v=(1, 0)),
        eom(),
        end="paused",
        keep_alive=False,
    ),
    ok(
        "closed between requests",
        b"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
        get(),
        eom(),
        CLOSED,
        end="closed",
        eof=True,
    ),
    ok("closed before anything", b"", CLOSED, end="closed", eof=True),
    ok("closed after empty lines", b"\r\n\r\n", CLOSED, end="closed", eof=True),
    bad(
        "closed inside the head",
        b"GET / HTTP/1.1\r\nHost: h\r\n",
        400,
        "Connection closed in the middle of a message head",
        eof=True,
    ),
    bad(
        "closed inside the request line",
        b"GET / HT",
        400,
        "Connection closed in the middle of a message head",
        eof=True,
    ),
    # RFC 9110 §7.8 and §9.3.6: protocol switches hand over what follows.
    ok(
        "Upgrade hands over the rest",
        b"GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x00",
        get("/ws", ("Connection", "Upgrade"), ("Upgrade", "websocket")),
        eom(),
        end="paused",
        trailing=b"\x81\x00",
    ),
    ok(
        "Upgrade after the body",
        b"POST / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\nUpgrade: h2c\r\n"
        b"Content-Length: 2\r\n\r\nabPRI",
        post(("Connection", "upgrade"), ("Upgrade", "h2c"), ("Content-Length", "2")),
        data(b"ab"),
        eom(),
        end="paused",
        trailing=b"PRI",
    ),
    ok(
        "Upgrade without the connection option is ignored",
        b"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n"
        b"GET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
        get("/", ("Upgrade", "websocket")),
        eom(),
        get("/2"),
        eom(),
    ),
    ok(
        "Upgrade in HTTP/1.0 is ignored",
        b"GET / HTTP/1.0\r\nConnection: upgrade, keep-alive\r\nUpgrade: x\r\n\r\n",
        req("GET", "/", ("Connection", "upgrade, keep-alive"), ("Upgrade", "x"), v=(1, 0)),
        eom(),
        keep_alive=True,
    ),
    ok(
        "CONNECT hands over the rest",
        b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n\x16\x03\x01",
        req("CONNECT", "a:443", ("Host", "a:443")),
        eom(),
        end="paused",
        trailing=b"\x16\x03\x01",
    ),
]

RESPONSES = [
    # RFC 9112 §4 status-line; §6.3 framing of responses.
    ok(
        "response with Content-Length",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
        res(200, "OK", ("Content-Length", "2")),
        data(b"hi"),
        eom(),
        role=CLIENT,
        keep_alive=True,
    ),
    ok(
        "chunked response with trailers",
        b"HTTP/1.1 200 OK\r\n" + TE + b"\r\n2\r\nhi\r\n0\r\nA: b\r\n\r\n",
        res(200, "OK", CHUNKED),
        data(b"hi"),
        eom(("A", "b")),
        role=CLIENT,
    ),
    ok(
        "response until close",
        b"HTTP/1.1 200 OK\r\n\r\nhello",
        res(200, "OK"),
        data(b"hello"),
        eom(),
        CLOSED,
        end="closed",
        role=CLIENT,
        eof=True,
        keep_alive=False,
    ),
    ok(
        "response until close, still open",
        b"HTTP/1.1 200 OK\r\n\r\nhello",
        res(200, "OK"),
        data(b"hello"),
        role=CLIENT,
        keep_alive=False,
    ),
    ok(
        "chunked not last in a response: until close",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxyz",
        res(200, "OK", ("Transfer-Encoding", "chunked, gzip")),
        data(b"xyz"),
        eom(),
        CLOSED,
        end="closed",
        role=CLIENT,
        eof=True,
    ),
    ok(
        "no reason phrase",
        b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
        res(200, "", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "empty reason phrase",
        b"HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n",
        res(404, "", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "reason with spaces and obs-text",
        b"HTTP/1.1 500 Tr\xe8s  mal\r\nContent-Length: 0\r\n\r\n",
        res(500, "Tr\xe8s  mal", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "unregistered status",
        b"HTTP/1.1 799 Custom\r\nContent-Length: 0\r\n\r\n",
        res(799, "Custom", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "HTTP/1.0 response closes",
        b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        res(200, "OK", ("Content-Length", "0"), v=(1, 0)),
        eom(),
        role=CLIENT,
        keep_alive=False,
    ),
    ok(
        "HTTP/1.0 response with keep-alive",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
        res(200, "OK", ("Connection", "keep-alive"), ("Content-Length", "0"), v=(1, 0)),
        eom(),
        role=CLIENT,
        keep_alive=True,
    ),
    ok(
        "response with close",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        res(200, "OK", ("Connection", "close"), ("Content-Length", "0")),
        eom(),
        role=CLIENT,
        keep_alive=False,
    ),
    ok(
        "204 has no body",
        b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        res(204, "No Content"),
        eom(),
        res(200, "OK", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
        methods=("GET", "GET"),
    ),
    ok(
        "304 has no body whatever it declares",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        res(304, "Not Modified", ("Content-Length", "10")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "HEAD response has no body",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        res(200, "OK", ("Content-Length", "10")),
        eom(),
        res(200, "OK", ("Content-Length", "1")),
        data(b"x"),
        eom(),
        role=CLIENT,
        methods=("HEAD", "GET"),
    ),
    ok(
        "100 Continue then the response",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        info(100, "Continue"),
        res(200, "OK", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "103 Early Hints with fields",
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        info(103, "Early Hints", ("Link", "</s.css>")),
        res(200, "OK", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    ok(
        "101 switches and hands over",
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nnew",
        info(101, "Switching Protocols", ("Connection", "upgrade"), ("Upgrade", "x")),
        end="paused",
        role=CLIENT,
        methods=("UPGRADE",),
        trailing=b"new",
    ),
    ok(
        "2xx to CONNECT switches",
        b"HTTP/1.1 200 Connection established\r\n\r\ntunnel",
        res(200, "Connection established"),
        end="paused",
        role=CLIENT,
        methods=("CONNECT",),
        trailing=b"tunnel",
    ),
    ok(
        "refused CONNECT is a normal response",
        b"HTTP/1.1 407 Auth\r\nContent-Length: 1\r\n\r\nx",
        res(407, "Auth", ("Content-Length", "1")),
        data(b"x"),
        eom(),
        role=CLIENT,
        methods=("CONNECT",),
    ),
    ok(
        "leading CRLF before a status line",
        b"\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        res(200, "OK", ("Content-Length", "0")),
        eom(),
        role=CLIENT,
    ),
    bad(
        "101 nobody asked for",
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        400,
        "Unexpected 101 response",
        role=CLIENT,
    ),
    bad("one-digit status", b"HTTP/1.1 2 OK\r\n\r\n", 400, "Malformed status line", role=CLIENT),
    bad(
        "four-digit status", b"HTTP/1.1 2000 OK\r\n\r\n", 400, "Malformed status line", role=CLIENT
    ),
    bad("status below 100", b"HTTP/1.1 099 Hmm\r\n\r\n", 400, "Invalid status code", role=CLIENT),
    bad(
        "two spaces before the status",
        b"HTTP/1.1  200 OK\r\n\r\n",
        400,
        "Malformed status line",
        role=CLIENT,
    ),
    bad(
        "tab before the status",
        b"HTTP/1.1\t200 OK\r\n\r\n",
        400,
        "Malformed status line",
        role=CLIENT,
    ),
    bad(
        "HTTP/2.0 response",
        b"HTTP/2.0 200 OK\r\n\r\n",
        505,
        "HTTP version not supported",
        role=CLIENT,
    ),
    bad("not HTTP", b"ICE/1.0 200 OK\r\n\r\n", 400, "Malformed status line", role=CLIENT),
    bad(
        "bare LF in a response",
        b"HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        400,
        "Bare LF in start line",
        role=CLIENT,
    ),
    bad(
        "bare CR in a response",
        b"HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n",
        400,
        "Bare CR in start line",
        role=CLIENT,
    ),
    bad(
        "obs-fold in a response",
        b"HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
        400,
        "Obsolete line folding (obs-fold)",
        role=CLIENT,
    ),
    bad(
        "CL and TE in a response",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n" + TE + b"\r\n",
        400,
        "Both Transfer-Encoding and Content-Length",
        role=CLIENT,
    ),
    bad(
        "repeated CL in a response",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
        400,
        "Repeated Content-Length",
        role=CLIENT,
    ),
    bad(
        "TE in an HTTP/1.0 response",
        b"HTTP/1.0 200 OK\r\n" + TE + b"\r\n",
        400,
        "Transfer-Encoding in an HTTP/1.0 response",
        role=CLIENT,
    ),
    bad(
        "gzip before chunked in a response",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        501,
        "Unsupported transfer coding",
        role=CLIENT,
    ),
    bad(
        "response body over the limit",
        b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n",
        413,
        "Response body too large",
        role=CLIENT,
        limits={"max_body_size": 10},
    ),
    bad(
        "close-delimited body over the limit",
        b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 11,
        413,
        "Body too large",
        res(200, "OK"),
        data(b"x" * 10),
        role=CLIENT,
        limits={"max_body_size": 10},
    ),
    bad(
        "closed inside a response head",
        b"HTTP/1.1 200 OK\r\n",
        400,
        "Connection closed in the middle of a message head",
        role=CLIENT,
        eof=True,
    ),
]

VECTORS: list[Vector] = (
    REQUEST_LINE
    + FIELDS
    + CONTENT_LENGTH
    + TRANSFER_ENCODING
    + CHUNKED_BODY
    + CONNECTION_MANAGEMENT
    + RESPONSES
)


@dataclass
class Run:
    """What happened when a vector was replayed."""

    events: list[Event]
    end: str
    error: RemoteProtocolError | None
    connection: Connection


def _request_for(method: str) -> Request:
    if method == "UPGRADE":
        return Request(
            method="GET",
            target="/",
            headers=[("Host", "h"), ("Connection", "upgrade"), ("Upgrade", "x")],
        )
    if method == "CONNECT":
        return Request(method="CONNECT", target="a:443", headers=[("Host", "a:443")])
    return Request(method=method, target="/", headers=[("Host", "h")])


def _step(conn: Connection, methods: list[str]) -> bool:
    """Do what a peer does between messages; False when the run is over."""
    if (
        conn.our_role is Role.SERVER
        and conn.our_state is State.IDLE
        and conn.their_state in (State.DONE, State.MUST_CLOSE)
    ):
        conn.send_response(200, "", None, b"")
    if conn.our_state is State.DONE and conn.their_state is State.DONE and conn.keep_alive:
        conn.start_next_cycle()
        if conn.our_role is Role.CLIENT:
            if not methods:
                return False
            conn.send(_request_for(methods.pop(0)))
            conn.send(EndOfMessage())
        return True
    return False


def replay(vector: Vector, pieces: list[bytes]) -> Run:
    """Feed ``pieces`` one by one, draining events after each."""
    conn = Connection(vector.role, **vector.limits)
    methods = list(vector.methods)
    if vector.role is Role.CLIENT:
        conn.send(_request_for(methods.pop(0)))
        conn.send(EndOfMessage())
    events: list[Event] = []
    end = "need"
    for index, piece in enumerate(pieces):
        conn.receive_data(piece)
        if index == len(pieces) - 1 and vector.eof:
            conn.receive_eof()
        for _ in range(10_000):
            try:
                event = conn.next_event()
            except RemoteProtocolError as exc:
                return Run(events, "error", exc, conn)
            if event is NEED_DATA:
                end = "need"
                break
            if event is PAUSED:
                end = "paused"
                if _step(conn, methods):
                    continue
                break
            events.append(event)
            if isinstance(event, ConnectionClosed):
                return Run(events, "closed", None, conn)
            if (
                isinstance(event, EndOfMessage)
                and conn.our_role is Role.SERVER
                and conn.their_state is not State.MIGHT_SWITCH_PROTOCOL
            ):
                conn.send_response(200, "", None, b"")
    return Run(events, end, None, conn)


def joined(events: list[Event]) -> list[Event]:
    """``events`` with adjacent Data events joined into one."""
    out: list[Event] = []
    for event in events:
        if isinstance(event, Data) and out and isinstance(out[-1], Data):
            out[-1] = Data(data=out[-1].data + event.data)
        else:
            out.append(event)
    return out


def _check(vector: Vector, run: Run) -> None:
    assert joined(run.events) == list(vector.events)
    if vector.error is not None:
        assert run.error is not None, f"expected {vector.error}, ended with {run.end}"
        assert (run.error.status_code, run.error.reason) == vector.error
        return
    assert run.error is None, run.error
    assert run.end == vector.end
    if vector.keep_alive is not None:
        assert run.connection.keep_alive is vector.keep_alive
    if vector.trailing is not None:
        assert run.connection.trailing_data[0] == vector.trailing


def _name(vector: Vector) -> str:
    return vector.name


@pytest.mark.parametrize("vector", VECTORS, ids=_name)
def test_vector_in_one_piece(vector: Vector) -> None:
    _check(vector, replay(vector, [vector.raw]))


@pytest.mark.parametrize("vector", VECTORS, ids=_name)
def test_vector_one_byte_at_a_time(vector: Vector) -> None:
    pieces = [vector.raw[i : i + 1] for i in range(len(vector.raw))] or [b""]
    _check(vector, replay(vector, pieces))


def test_the_table_is_large_and_names_are_unique() -> None:
    names = [vector.name for vector in VECTORS]

    assert len(names) >= 150
    assert len(set(names)) == len(names)
