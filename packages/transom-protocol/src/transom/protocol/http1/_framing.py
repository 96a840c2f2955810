"""How long a received message body is, and what a message says about the connection.

:func:`request_body` and :func:`response_body` implement the message body length
rules of RFC 9112 §6.3 as numbered steps. Every ambiguity that lets two parsers
disagree on where a message ends (request smuggling, response splitting) is
refused rather than resolved by a guess.
"""

from __future__ import annotations

import enum
from typing import Final

from multidict import CIMultiDict, istr

from transom.protocol._errors import ProtocolError, RemoteProtocolError
from transom.protocol.http1._events import Request, Response
from transom.protocol.http1._limits import LARGEST_LENGTH
from transom.protocol.http1._state import Switch

__all__ = [
    "CONNECTION",
    "CONTENT_LENGTH",
    "EXPECT",
    "HOST",
    "TRANSFER_ENCODING",
    "UPGRADE",
    "Body",
    "connection_options",
    "expects_continue",
    "keep_alive",
    "parse_content_length",
    "request_body",
    "response_body",
    "switch_proposal",
]

CONNECTION: Final = istr("Connection")
CONTENT_LENGTH: Final = istr("Content-Length")
EXPECT: Final = istr("Expect")
HOST: Final = istr("Host")
TRANSFER_ENCODING: Final = istr("Transfer-Encoding")
UPGRADE: Final = istr("Upgrade")


class Body(enum.Enum):
    """How a message body is delimited."""

    NONE = "none"
    LENGTH = "length"
    CHUNKED = "chunked"
    UNTIL_CLOSE = "until-close"


_NO_BODY: Final = (Body.NONE, 0)


def parse_content_length(values: list[str], error: type[ProtocolError]) -> int:
    """Return the one valid Content-Length in ``values``.

    Content-Length = 1*DIGIT (RFC 9110 §8.6). A recipient may collapse a list
    of identical values ("5, 5"); this one does not, because the sender of such
    a list cannot be trusted to have framed the message the way a neighbour on
    the chain will read it (RFC 9112 §6.3 rule 5).

    Raises:
        error: (400) on a repeated, empty, signed, hexadecimal, spaced or
            oversized value.
    """
    if len(values) != 1:
        raise error("Repeated Content-Length", status_code=400)
    value = values[0]
    if len(value) < 19 and value.isdecimal() and value.isascii():
        # The usual value: short enough that no limit can be passed.
        return int(value)
    # isdigit() alone would take non-ASCII digits such as "²".
    if not (value.isdigit() and value.isascii()):
        raise error("Invalid Content-Length", status_code=400)
    digits = value.lstrip("0")
    # Checked on the digit count first: int() refuses strings past 4300 digits.
    if len(digits) > 19 or (len(digits) == 19 and int(digits) > LARGEST_LENGTH):
        raise error("Content-Length too large", status_code=400)
    return int(digits) if digits else 0


def _transfer_codings(values: list[str]) -> list[str]:
    # Transfer-Encoding = #transfer-coding (RFC 9112 §6.1); list elements may be
    # empty (RFC 9110 §5.6.1) and coding names are case-insensitive (§7).
    return [
        coding
        for value in values
        for coding in (element.strip(" \t").lower() for element in value.split(","))
        if coding
    ]


def request_body(request: Request, max_body_size: int | None) -> tuple[Body, int]:
    """Decide how the body of a received request is delimited (RFC 9112 §6.3).

    Args:
        request: The request head just parsed.
        max_body_size: Largest body accepted, or ``None``.

    Returns:
        The delimiting and, for :attr:`Body.LENGTH`, the length.

    Raises:
        RemoteProtocolError: 400 on ambiguous or invalid framing, 501 on a
            transfer coding this side does not implement, 413 on a declared
            length over ``max_body_size``.
    """
    headers = request.headers
    codings = headers.getall(TRANSFER_ENCODING, None)
    lengths = headers.getall(CONTENT_LENGTH, None)
    # Rule 6: a request with neither field has no body.
    if codings is None and lengths is None:
        return _NO_BODY
    if codings is not None:
        # Rule 3: Transfer-Encoding with Content-Length "ought to be handled as
        # an error"; a server MAY reject it, and this one does.
        if lengths is not None:
            raise RemoteProtocolError("Both Transfer-Encoding and Content-Length", status_code=400)
        # RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means the
        # framing is faulty.
        if request.http_version == (1, 0):
            raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 request", status_code=400)
        # RFC 9110 §9.3.6: a CONNECT request has no content.
        if request.method == "CONNECT":
            raise RemoteProtocolError("CONNECT request with a body", status_code=400)
        return _chunked_request(_transfer_codings(codings))
    assert lengths is not None
    length = parse_content_length(lengths, RemoteProtocolError)
    if length and request.method == "CONNECT":
        raise RemoteProtocolError("CONNECT request with a body", status_code=400)
    # Rule 6: the length is known before any of the body is buffered.
    if max_body_size is not None and length > max_body_size:
        raise RemoteProtocolError("Request body too large", status_code=413)
    return (Body.LENGTH, length) if length else _NO_BODY


def _chunked_request(codings: list[str]) -> tuple[Body, int]:
    # Rule 4: when chunked is not the final coding the length cannot be
    # determined: 400 and close.
    if not codings or codings[-1] != "chunked":
        raise RemoteProtocolError("Transfer-Encoding must end with chunked", status_code=400)
    # RFC 9112 §7: chunked is applied at most once.
    if "chunked" in codings[:-1]:
        raise RemoteProtocolError("chunked applied more than once", status_code=400)
    # RFC 9112 §6.1: a coding this side cannot decode gets 501. Only chunked is
    # implemented here; handing on gzip-in-chunked bytes as the body would
    # give the application bytes it cannot tell are still encoded.
    if len(codings) > 1:
        raise RemoteProtocolError("Unsupported transfer coding", status_code=501)
    return (Body.CHUNKED, 0)


def response_body(
    response: Response, request_method: str | None, max_body_size: int | None
) -> tuple[Body, int]:
    """Decide how the body of a received final response is delimited (RFC 9112 §6.3).

    Args:
        response: The final response head just parsed.
        request_method: The method of the request it answers (``None``: no
            request was sent, read it as the answer to a GET).
        max_body_size: Largest body accepted, or ``None``.

    Raises:
        RemoteProtocolError: on ambiguous or invalid framing, or a declared
            length over ``max_body_size``.
    """
    status = response.status_code
    # Rule 1: HEAD responses, 1xx, 204 and 304 end with the header section.
    if request_method == "HEAD" or status == 204 or status == 304:
        return _NO_BODY
    # Rule 2: a 2xx to CONNECT switches the connection to a tunnel.
    if request_method == "CONNECT" and 200 <= status < 300:
        return _NO_BODY
    headers = response.headers
    codings = headers.getall(TRANSFER_ENCODING, None)
    lengths = headers.getall(CONTENT_LENGTH, None)
    if codings is not None:
        # Rule 3, as for requests: refused rather than guessed.
        if lengths is not None:
            raise RemoteProtocolError("Both Transfer-Encoding and Content-Length", status_code=400)
        if response.http_version == (1, 0):
            raise RemoteProtocolError("Transfer-Encoding in an HTTP/1.0 response", status_code=400)
        names = _transfer_codings(codings)
        # Rule 4: chunked not final: the body runs until the connection closes.
        if not names or names[-1] != "chunked":
            return (Body.UNTIL_CLOSE, 0)
        if "chunked" in names[:-1]:
            raise RemoteProtocolError("chunked applied more than once", status_code=400)
        if len(names) > 1:
            raise RemoteProtocolError("Unsupported transfer coding", status_code=501)
        return (Body.CHUNKED, 0)
    if lengths is not None:
        length = parse_content_length(lengths, RemoteProtocolError)
        if max_body_size is not None and length > max_body_size:
            raise RemoteProtocolError("Response body too large", status_code=413)
        return (Body.LENGTH, length) if length else _NO_BODY
    # Rule 8: otherwise the body runs until the connection closes.
    return (Body.UNTIL_CLOSE, 0)


def connection_options(headers: CIMultiDict[str]) -> frozenset[str]:
    """The lowercased connection options of the Connection field (RFC 9110 §7.6.1)."""
    values = headers.getall(CONNECTION, None)
    if values is None:
        return frozenset()
    return frozenset(option.strip(" \t").lower() for value in values for option in value.split(","))


def keep_alive(options: frozenset[str], http_version: tuple[int, int]) -> bool:
    """Whether a message lets the connection persist (RFC 9112 §9.3).

    ``close`` ends it; HTTP/1.1 persists by default; HTTP/1.0 only with the
    ``keep-alive`` option.
    """
    if "close" in options:
        return False
    return http_version == (1, 1) or "keep-alive" in options


def switch_proposal(
    method: str, headers: CIMultiDict[str], options: frozenset[str], http_version: tuple[int, int]
) -> Switch | None:
    """The protocol switch a request proposes, if any.

    CONNECT always does (RFC 9110 §9.3.6). Upgrade does when it is also named
    as a connection option (RFC 9110 §7.8) and the request is HTTP/1.1: a
    server must ignore Upgrade in an HTTP/1.0 request.
    """
    if method == "CONNECT":
        return Switch.CONNECT
    if "upgrade" in options and http_version == (1, 1) and UPGRADE in headers:
        return Switch.UPGRADE
    return None


def expects_continue(request: Request) -> bool:
    """Whether the client waits for 100 Continue before sending its body.

    RFC 9110 §10.1.1: only an HTTP/1.1 request can carry the expectation.
    """
    expect = request.headers.get(EXPECT)
    return (
        expect is not None
        and request.http_version == (1, 1)
        and expect.strip(" \t").lower() == "100-continue"
    )
