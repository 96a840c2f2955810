"""Serialize message heads and bodies, choosing the framing headers.

Everything a caller passes is checked before a byte is produced: a CR, LF or
NUL smuggled into a field name, field value, reason phrase or request target
would let the caller's input write extra header fields or whole messages
(header injection), so each raises :class:`LocalProtocolError` instead.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Final, NamedTuple, Protocol

from multidict import CIMultiDict

from transom.protocol._errors import LocalProtocolError
from transom.protocol._extensions import speedups
from transom.protocol.http1 import _abnf
from transom.protocol.http1._framing import (
    CONNECTION,
    CONTENT_LENGTH,
    HOST,
    TRANSFER_ENCODING,
    Body,
    connection_options,
    keep_alive,
    parse_content_length,
    switch_proposal,
)
from transom.protocol.http1._state import Switch

__all__ = [
    "RequestPlan",
    "ResponsePlan",
    "chunk",
    "encode_fields",
    "last_chunk",
    "plan_request",
    "plan_response",
    "request_line",
    "status_line",
]

_PHRASES: Final = {status.value: status.phrase for status in HTTPStatus}
_STATUS_LINES: Final = {
    code: f"HTTP/1.1 {code} {phrase}\r\n".encode("ascii") for code, phrase in _PHRASES.items()
}
# reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )            (RFC 9112 §4)
_REASON: Final = re.compile(r"[\t \x21-\x7e\x80-\xff]*")
# What a serialized field block may hold besides field-vchar, SP, HTAB and the
# CRLFs that end its lines (RFC 9110 §5.5); CR and LF are counted separately.
_FORBIDDEN_IN_BLOCK: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The registered methods (RFC 9110 §9, RFC 5789): tokens, so no pattern to match.
_STANDARD_METHODS: Final = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)

# Field names already checked to be tokens; most programs send a few dozen
# distinct names, so the set stays small, and it is capped to stay that way.
_GOOD_NAMES: set[str] = {
    "Cache-Control",
    "Connection",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "Date",
    "ETag",
    "Host",
    "Last-Modified",
    "Location",
    "Server",
    "Set-Cookie",
    "Transfer-Encoding",
    "Vary",
}
_MAX_GOOD_NAMES: Final = 1024


def status_line(status_code: int, reason: str) -> bytes:
    """``HTTP/1.1 <status> <reason>`` with CRLF; an empty reason gets the standard phrase.

    Raises:
        LocalProtocolError: if the reason holds a CTL (CR, LF, NUL, ...) or
            characters outside latin-1.
    """
    if not reason or reason == _PHRASES.get(status_code):
        line = _STATUS_LINES.get(status_code)
        if line is not None:
            return line
    if _REASON.fullmatch(reason) is None:
        raise LocalProtocolError("Invalid character in reason phrase")
    return f"HTTP/1.1 {status_code:03d} {reason}\r\n".encode("latin-1")


def request_line(method: str, target: str) -> bytes:
    """``<method> <target> HTTP/1.1`` with CRLF.

    Raises:
        LocalProtocolError: if the method is not a token or the target holds
            anything but visible ASCII (no SP, CR, LF or NUL).
    """
    if method not in _STANDARD_METHODS and _abnf.TOKEN.fullmatch(method) is None:
        raise LocalProtocolError("Invalid method")
    # A target is 1*( %x21-7E ): printable ASCII less SP, which three string
    # methods check faster than a pattern.
    if not (target.isascii() and target.isprintable()) or " " in target or not target:
        raise LocalProtocolError("Invalid character in request target")
    return f"{method} {target} HTTP/1.1\r\n".encode("ascii")


def _encode_fields(headers: CIMultiDict[str], extra: str = "", /) -> bytes:
    """Serialize ``headers``, then the pre-formatted lines ``extra``, then the blank line.

    Raises:
        LocalProtocolError: if a name is not a token or a value holds a CTL
            other than HTAB, or characters outside latin-1.
    """
    if not headers:
        return (extra + "\r\n").encode("latin-1")
    if not _GOOD_NAMES.issuperset(headers.keys()):
        _check_names(headers)
    block = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    count = len(headers)
    # Each line ends in the one CRLF written above; any other CR or LF came
    # from a value.
    if (
        _FORBIDDEN_IN_BLOCK.search(block) is not None
        or block.count("\n") != count
        or block.count("\r") != count
    ):
        raise _value_error(headers)
    try:
        return (block + extra + "\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise LocalProtocolError("Header value is not latin-1") from None


class _FieldsEncoder(Protocol):
    def __call__(self, headers: CIMultiDict[str], extra: str = "", /) -> bytes: ...


#: :func:`_encode_fields`, or the compiled version (which hands what it does
#: not accept to the former, so errors are the same).
encode_fields: _FieldsEncoder = _encode_fields
if speedups is not None:
    speedups.set_fields_fallback(_encode_fields)
    encode_fields = speedups.encode_fields


def _check_names(headers: CIMultiDict[str]) -> None:
    for name in headers.keys():  # noqa: SIM118  # keys() keeps every repeated name
        if name not in _GOOD_NAMES:
            if _abnf.TOKEN.fullmatch(name) is None:
                raise LocalProtocolError("Invalid header name")
            if len(_GOOD_NAMES) < _MAX_GOOD_NAMES:
                _GOOD_NAMES.add(name)


def _value_error(headers: CIMultiDict[str]) -> LocalProtocolError:
    for name, value in headers.items():
        text = str(value)
        if "\r" in text or "\n" in text or _FORBIDDEN_IN_BLOCK.search(text):
            return LocalProtocolError(f"Invalid character in value of header {name!r}")
    return LocalProtocolError("Invalid header value")  # pragma: no cover


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body (RFC 9112 §7.1); nothing for empty data.

    An empty chunk would read as the last-chunk and end the body early.
    """
    if not data:
        return b""
    return b"".join((b"%x\r\n" % len(data), data, b"\r\n"))


def last_chunk(trailers: CIMultiDict[str]) -> bytes:
    """The last-chunk, the trailer section and the final CRLF."""
    return b"0\r\n" + encode_fields(trailers)


class ResponsePlan(NamedTuple):
    """How a response goes out."""

    body: Body
    length: int
    extra: str
    keep_alive: bool


class RequestPlan(NamedTuple):
    """How a request goes out."""

    body: Body
    length: int
    keep_alive: bool
    proposal: Switch | None


def plan_response(
    status_code: int,
    headers: CIMultiDict[str],
    request_method: str | None,
    peer_version: tuple[int, int] | None,
    keep_alive_so_far: bool,
    switches: bool,
    body_length: int | None = None,
) -> ResponsePlan:
    """Choose the framing of a final response from what the caller gave.

    Args:
        status_code: 200 to 999.
        headers: The caller's fields; Content-Length or
            ``Transfer-Encoding: chunked`` there is used as given.
        request_method: The method answered (``None`` before any request).
        peer_version: The request's HTTP version (``None`` before any request).
        keep_alive_so_far: Whether the connection may still persist.
        switches: Whether this is a 2xx accepting a CONNECT.
        body_length: The length of a body given whole, declared as
            Content-Length unless the caller declared the framing.

    Returns:
        The body delimiting, the declared length, the framing lines to add
        (``Transfer-Encoding``, ``Connection``) and whether keep-alive survives.

    Raises:
        LocalProtocolError: on framing the caller gave that the status or the
            peer does not allow.
    """
    lengths = headers.getall(CONTENT_LENGTH, None)
    codings = headers.getall(TRANSFER_ENCODING, None)
    options = connection_options(headers) if "Connection" in headers else frozenset()
    extra = ""
    # A response that answers no request (a 408, or a 400 for a request that
    # could not be parsed) is the last thing said on the connection.
    keep = keep_alive_so_far and "close" not in options and request_method is not None
    length = 0
    if switches or status_code == 204:
        # RFC 9110 §8.6 and §9.3.6, RFC 9112 §6.1: no Content-Length or
        # Transfer-Encoding in a 204 or in a 2xx to CONNECT.
        if lengths is not None or codings is not None:
            raise LocalProtocolError(f"A {status_code} response cannot declare a body length")
        body = Body.NONE
    elif status_code == 304:
        # Rule 1 of RFC 9112 §6.3: no body whatever the fields say; a 304 may
        # carry the Content-Length the 200 would have had.
        body = Body.NONE
    else:
        if lengths is not None and codings is not None:
            raise LocalProtocolError("Both Content-Length and Transfer-Encoding given")
        if codings is not None:
            _check_chunked_only(codings)
            if peer_version != (1, 1):
                # RFC 9112 §6.1: no Transfer-Encoding to an HTTP/1.0 client.
                raise LocalProtocolError("Chunked framing cannot be sent to an HTTP/1.0 peer")
            body = Body.CHUNKED
        elif lengths is not None:
            length = parse_content_length(lengths, LocalProtocolError)
            body = Body.LENGTH
        elif body_length is not None:
            extra = f"Content-Length: {body_length}\r\n"
            length = body_length
            body = Body.LENGTH
        elif peer_version == (1, 1):
            extra = "Transfer-Encoding: chunked\r\n"
            body = Body.CHUNKED
        else:
            # An HTTP/1.0 peer (or none yet): the body ends with the connection.
            body = Body.UNTIL_CLOSE
            keep = False
        if request_method == "HEAD":
            # RFC 9110 §9.3.2: the same fields as for GET, and no body.
            body = Body.NONE
    if not keep:
        if "close" not in options:
            extra += "Connection: close\r\n"
    elif peer_version == (1, 0) and not options:
        # RFC 9112 §9.3: an HTTP/1.0 peer assumes close unless told otherwise.
        extra += "Connection: keep-alive\r\n"
    return ResponsePlan(body, length, extra, keep)


def plan_request(method: str, headers: CIMultiDict[str]) -> RequestPlan:
    """Choose the framing of a request from what the caller gave.

    A request with neither Content-Length nor ``Transfer-Encoding: chunked``
    has no body (RFC 9112 §6.3 rule 6).

    Raises:
        LocalProtocolError: without exactly one Host field (RFC 9112 §3.2), on
            conflicting or unsupported framing, or a CONNECT with a body.
    """
    hosts = headers.getall(HOST, None)
    if hosts is None or len(hosts) != 1:
        raise LocalProtocolError("An HTTP/1.1 request needs exactly one Host header")
    plain = _plain_request_plan(method, headers)
    if plain is not None:
        return plain
    lengths = headers.getall(CONTENT_LENGTH, None)
    codings = headers.getall(TRANSFER_ENCODING, None)
    body, length = Body.NONE, 0
    if lengths is not None and codings is not None:
        raise LocalProtocolError("Both Content-Length and Transfer-Encoding given")
    if codings is not None:
        _check_chunked_only(codings)
        body = Body.CHUNKED
    elif lengths is not None:
        length = parse_content_length(lengths, LocalProtocolError)
        body = Body.LENGTH if length else Body.NONE
    if method == "CONNECT" and (body is not Body.NONE):
        raise LocalProtocolError("A CONNECT request has no body")
    options = connection_options(headers)
    return RequestPlan(
        body, length, keep_alive(options, (1, 1)), switch_proposal(method, headers, options, (1, 1))
    )


_PLAIN_REQUEST: Final = RequestPlan(Body.NONE, 0, True, None)


def _plain_request_plan(method: str, headers: CIMultiDict[str]) -> RequestPlan | None:
    """The plan of the usual request, or None to work it out in full.

    The usual request has no body and no connection options: it persists
    and proposes no switch (Upgrade counts only when named as an option).
    """
    if (
        method == "CONNECT"
        or CONTENT_LENGTH in headers
        or TRANSFER_ENCODING in headers
        or CONNECTION in headers
    ):
        return None
    return _PLAIN_REQUEST


def _check_chunked_only(codings: list[str]) -> None:
    names = [name.strip(" \t").lower() for value in codings for name in value.split(",")]
    if names != ["chunked"]:
        raise LocalProtocolError("Only Transfer-Encoding: chunked can be sent")
