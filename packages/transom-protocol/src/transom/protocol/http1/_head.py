"""Parse a message head (start line and field lines) into an event.

The fast path takes a complete head and splits it with the compiled scanner of
``transom.protocol._speedups`` when that is built, or else decodes it from
latin-1 in one call and checks it with one regular expression per start line
and one ``findall`` for all field lines. Both accept exactly the same heads.
Only when they refuse one does the slow path walk the lines to name the rule
that was broken. A head that is still arriving is checked line
by line as it grows, so malformed input is
refused without waiting for the blank line that ends it (:class:`HeadProgress`).

Line endings are CRLF only: a bare LF or bare CR anywhere in a head is refused
with 400. RFC 9112 §2.2 lets a recipient accept a bare LF, but two parsers that
disagree on it can be made to disagree on where a message ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from multidict import CIMultiDict, istr

from transom.protocol._errors import RemoteProtocolError
from transom.protocol._extensions import speedups
from transom.protocol.http1 import _abnf
from transom.protocol.http1._events import (
    InformationalResponse,
    Request,
    Response,
    parsed_request,
    parsed_status,
)
from transom.protocol.http1._framing import (
    CONNECTION,
    CONTENT_LENGTH,
    EXPECT,
    HOST,
    TRANSFER_ENCODING,
    parse_content_length,
)

__all__ = [
    "FIELD_CONNECTION",
    "FIELD_CONTENT_LENGTH",
    "FIELD_EXPECT",
    "FIELD_TRANSFER_ENCODING",
    "HeadProgress",
    "framing_flags",
    "parse_fields",
    "parse_request_head",
    "parse_response_head",
    "read_request",
    "read_response",
]

_VERSIONS: Final = {"1.1": (1, 1), "1.0": (1, 0)}
# Host values already found valid: a server sees the same few over and over.
# Capped, so a client sending random names cannot grow it without bound.
_VALID_HOSTS: set[str] = set()
_MAX_VALID_HOSTS: Final = 256
# Which framing fields a request head holds, as bits (the values of csrc/speedups.h).
FIELD_HOST: Final = 1
FIELD_HOST_REPEATED: Final = 2
FIELD_CONTENT_LENGTH: Final = 4
FIELD_TRANSFER_ENCODING: Final = 8
FIELD_CONNECTION: Final = 16
FIELD_EXPECT: Final = 32

# What a head splits into: (method, target, version, pairs, flags, host) for
# a request, (version, status, reason, pairs) for a response. The pure-Python
# path leaves flags at _UNFLAGGED (and host None): they come from the headers.
_RequestParts = tuple[str, str, tuple[int, int], list[tuple[str, str]], int, str | None]
_ResponseParts = tuple[tuple[int, int], int, str, list[tuple[str, str]]]
_UNFLAGGED: Final = -1
_ScanRequest = Callable[[bytes | bytearray, int, int, int, int], _RequestParts | None]
_ScanResponse = Callable[[bytes | bytearray, int, int, int, int], _ResponseParts | None]
_scan_request: _ScanRequest | None = None if speedups is None else speedups.scan_request
_scan_response: _ScanResponse | None = None if speedups is None else speedups.scan_response
# Field names the compiled scanner hands out as shared istr objects rather
# than new strings; CIMultiDict reuses an istr's cached case-folded form.
_KNOWN_FIELD_NAMES: Final = (
    "Accept",
    "Accept-Charset",
    "Accept-Encoding",
    "Accept-Language",
    "Access-Control-Allow-Origin",
    "Alt-Svc",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Length",
    "Content-Type",
    "Cookie",
    "Date",
    "DNT",
    "ETag",
    "Expect",
    "Host",
    "If-Modified-Since",
    "If-None-Match",
    "Keep-Alive",
    "Last-Modified",
    "Location",
    "Origin",
    "Pragma",
    "Priority",
    "Range",
    "Referer",
    "Sec-Fetch-Dest",
    "Sec-Fetch-Mode",
    "Sec-Fetch-Site",
    "Sec-Fetch-User",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Version",
    "Server",
    "Set-Cookie",
    "Strict-Transport-Security",
    "TE",
    "Transfer-Encoding",
    "Upgrade",
    "Upgrade-Insecure-Requests",
    "User-Agent",
    "Vary",
    "Via",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Requested-With",
)
#: The compiled server fast path (see read_request in csrc/head.c), or None.
read_request: Callable[[bytearray, int, int, int], tuple[Request, int] | None] | None = None
#: The compiled client fast path (see read_response in csrc/head.c), or None.
read_response: (
    Callable[[bytearray, int, int, int], Response | InformationalResponse | None] | None
) = None
if speedups is not None:
    speedups.configure_requests(Request, CIMultiDict, _VALID_HOSTS)
    read_request = speedups.read_request
    speedups.configure_responses(Response, InformationalResponse, CIMultiDict)
    read_response = speedups.read_response

    # Title-Case as browsers send them first, then lowercase as HTTP/2 gateways do.
    speedups.set_known_names(
        [istr(name) for name in _KNOWN_FIELD_NAMES]
        + [istr(name.lower()) for name in _KNOWN_FIELD_NAMES]
    )
_FIELD_LINES_findall: Final = _abnf.FIELD_LINES.findall
_REQUEST_LINE_match: Final = _abnf.REQUEST_LINE.match
_STATUS_LINE_match: Final = _abnf.STATUS_LINE.match
_VERSION_AT_END: Final = re.compile(r" HTTP/([0-9]\.[0-9])\r?")
_VCHARS: Final = re.compile(r"[\x21-\x7e]+")
# An unfinished line such as "Host " is wrong, but whether as whitespace before
# the colon or inside the name only shows once the line is complete.
_NAME_THEN_WHITESPACE: Final = re.compile(
    r"[-!#$%&'*+.^_`|~0-9A-Za-z]+[ \t][-!#$%&'*+.^_`|~0-9A-Za-z \t]*"
)


def parse_request_head(
    head: bytes | bytearray, stop: int, max_line_size: int, max_count: int, max_block_size: int
) -> tuple[Request, int]:
    """Parse a complete request head.

    Args:
        head: The head's bytes, starting with the request line.
        stop: Where the head ends in ``head``: just after the CRLF of the last
            field line (the blank line and anything after are not looked at).
        max_line_size: Longest request line, CRLF included (414 past it).
        max_count: Most field lines (431 past it).
        max_block_size: Most bytes of field lines (431 past it).

    Returns:
        The request, and which of the fields that decide its framing it holds
        (``FIELD_*`` bits), so the caller need not look them up.

    Raises:
        RemoteProtocolError: with the status a server should answer.
    """
    scanned = (
        None
        if _scan_request is None
        else _scan_request(head, stop, max_line_size, max_count, max_block_size)
    )
    if scanned is None:
        scanned = _split_request(head, stop, max_line_size, max_count, max_block_size)
    method, target, version, pairs, flags, host = scanned
    headers = CIMultiDict(pairs)
    if flags == _UNFLAGGED:
        flags, host = framing_flags(headers)
    # RFC 9112 §3.2: exactly one valid Host in HTTP/1.1, at most one before.
    if host is None:
        if version == (1, 1):
            raise RemoteProtocolError("Missing Host header", status_code=400)
    elif flags & FIELD_HOST_REPEATED:
        raise RemoteProtocolError("More than one Host header", status_code=400)
    elif host not in _VALID_HOSTS:
        _check_host(host)
    return parsed_request(method, target, headers, version), flags


def _split_request(
    head: bytes | bytearray, stop: int, max_line_size: int, max_count: int, max_block_size: int
) -> _RequestParts:
    """Split and check a request head as the compiled scanner does, in pure Python.

    Accepts every head the scanner accepts and more (any request-target form);
    otherwise raises naming what is wrong, the request line first.
    """
    text = head[:stop].decode("latin-1")
    match = _REQUEST_LINE_match(text)
    if match is None:
        raise _start_line_error(text, True, max_line_size)
    start = match.end()
    if start > max_line_size:
        raise RemoteProtocolError("Request line too long", status_code=414)
    method, target, version_text = match.groups()
    version = _VERSIONS.get(version_text)
    if version is None:
        raise RemoteProtocolError("HTTP version not supported", status_code=505)
    if target[0] != "/" or method == "CONNECT":
        _check_target_form(method, target)
    # _split_fields(), inlined on the hot path of servers built without the scanner.
    pairs = _FIELD_LINES_findall(text, start - 1)
    if len(pairs) != text.count("\n", start - 1, stop - 1):
        raise _field_error(text[start:], first=True)
    if len(pairs) > max_count:
        raise RemoteProtocolError("Too many header fields", status_code=431)
    if stop - start > max_block_size:
        raise RemoteProtocolError("Header section too large", status_code=431)
    return method, target, version, pairs, _UNFLAGGED, None


def framing_flags(headers: CIMultiDict[str]) -> tuple[int, str | None]:
    """The ``FIELD_*`` bits of the framing fields in ``headers``, and the last Host value."""
    flags = (
        (FIELD_CONTENT_LENGTH if CONTENT_LENGTH in headers else 0)
        | (FIELD_TRANSFER_ENCODING if TRANSFER_ENCODING in headers else 0)
        | (FIELD_CONNECTION if CONNECTION in headers else 0)
        | (FIELD_EXPECT if EXPECT in headers else 0)
    )
    hosts = headers.getall(HOST, None)
    if hosts is None:
        return flags, None
    if len(hosts) > 1:
        flags |= FIELD_HOST_REPEATED
    return flags | FIELD_HOST, hosts[-1]


def parse_response_head(
    head: bytes | bytearray, stop: int, max_line_size: int, max_count: int, max_block_size: int
) -> Response | InformationalResponse:
    """Parse a complete response head; 1xx gives an :class:`InformationalResponse`.

    Arguments as for :func:`parse_request_head`, with the status line in place
    of the request line.
    """
    scanned = (
        None
        if _scan_response is None
        else _scan_response(head, stop, max_line_size, max_count, max_block_size)
    )
    if scanned is None:
        scanned = _split_response(head, stop, max_line_size, max_count, max_block_size)
    version, status, reason, pairs = scanned
    cls = InformationalResponse if status < 200 else Response
    return parsed_status(cls, status, reason, CIMultiDict(pairs), version)


def _split_response(
    head: bytes | bytearray, stop: int, max_line_size: int, max_count: int, max_block_size: int
) -> _ResponseParts:
    """Split and check a response head as the compiled scanner does, in pure Python.

    Raises naming what is wrong, the status line first.
    """
    text = head[:stop].decode("latin-1")
    match = _STATUS_LINE_match(text)
    if match is None:
        raise _start_line_error(text, False, max_line_size)
    start = match.end()
    if start > max_line_size:
        raise RemoteProtocolError("Status line too long", status_code=414)
    version_text, status_text, reason = match.groups()
    version = _VERSIONS.get(version_text)
    if version is None:
        raise RemoteProtocolError("HTTP version not supported", status_code=505)
    status = int(status_text)
    if status < 100:
        raise RemoteProtocolError("Invalid status code", status_code=400)
    pairs = _split_fields(text, start, stop, max_count, max_block_size)
    return version, status, reason or "", pairs


def parse_fields(
    text: str, start: int, stop: int, max_count: int, max_block_size: int
) -> CIMultiDict[str]:
    """Parse the field lines of ``text[start:stop]``; ``text[start - 1]`` must be LF.

    Every line must be ``name ":" OWS value OWS CRLF`` (RFC 9112 §5); values
    lose their surrounding whitespace.

    Raises:
        RemoteProtocolError: 400 naming the broken rule; 431 past a limit.
    """
    return CIMultiDict(_split_fields(text, start, stop, max_count, max_block_size))


def _split_fields(
    text: str, start: int, stop: int, max_count: int, max_block_size: int
) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = _FIELD_LINES_findall(text, start - 1, stop)
    if len(pairs) != text.count("\n", start - 1, stop - 1):
        raise _field_error(text[start:stop], first=start > 0)
    if len(pairs) > max_count:
        raise RemoteProtocolError("Too many header fields", status_code=431)
    if stop - start > max_block_size:
        raise RemoteProtocolError("Header section too large", status_code=431)
    return pairs


class HeadProgress:
    """Checks an unfinished head as it grows, so bad input is refused as soon as it shows.

    Each call to :meth:`check` looks only at the lines completed since the
    previous call, so a head dripping in byte by byte costs linear time.
    """

    __slots__ = ("checked", "count", "framing")

    def __init__(self) -> None:
        #: How many leading bytes are checked (0: not even the start line).
        self.checked = 0
        #: How many field lines are checked.
        self.count = 0
        #: Which framing fields a request head showed so far (lowercased names).
        self.framing: set[str] = set()

    def check(
        self,
        head: bytes,
        start_line: bool | None,
        max_line_size: int,
        max_count: int,
        max_block_size: int,
    ) -> None:
        """Check what arrived of a head since the last call.

        Args:
            head: Everything buffered so far (no blank line yet).
            start_line: ``True`` for a request head, ``False`` for a response
                head, ``None`` for a trailer section (no start line).
            max_line_size: Longest start line.
            max_count: Most field lines.
            max_block_size: Most bytes of field lines.

        Raises:
            RemoteProtocolError: as the complete head would, or already over a
                limit.
        """
        checked = self.checked
        block_start = 0
        if start_line is not None:
            block_start = head.find(b"\n") + 1
            if block_start == 0:
                _check_partial_start_line(head.decode("latin-1"), start_line, max_line_size)
                return
            if checked == 0:
                _check_start_line(head[:block_start].decode("latin-1"), start_line, max_line_size)
                checked = block_start
        count = self.count
        while True:
            newline = head.find(b"\n", checked)
            if newline < 0:
                break
            line = head[checked : newline + 1].decode("latin-1")
            match = _abnf.FIELD_LINE.fullmatch(line)
            if match is None:
                raise _field_error(line, first=checked == block_start and start_line is not None)
            if start_line:
                self._check_framing(match[1].lower(), match[2])
            count += 1
            checked = newline + 1
        self.checked = checked
        self.count = count
        if count > max_count:
            raise RemoteProtocolError("Too many header fields", status_code=431)
        if len(head) - block_start > max_block_size:
            raise RemoteProtocolError("Header section too large", status_code=431)
        rest = head[checked:].decode("latin-1")
        if (
            _abnf.FIELD_LINE_PREFIX.fullmatch(rest) is None
            and _NAME_THEN_WHITESPACE.fullmatch(rest) is None
        ):
            raise _field_error(
                rest, first=checked == block_start and start_line is not None, unfinished=True
            )

    def _check_framing(self, name: str, value: str) -> None:
        # The framing rules of RFC 9112 §6.3 that one field line can already
        # break, applied before the rest of the head arrives.
        framing = self.framing
        if name == "content-length":
            if name in framing:
                raise RemoteProtocolError("Repeated Content-Length", status_code=400)
            parse_content_length([value], RemoteProtocolError)
        elif name != "transfer-encoding":
            return
        framing.add(name)
        if len(framing) == 2:
            raise RemoteProtocolError("Both Transfer-Encoding and Content-Length", status_code=400)


def _check_start_line(line: str, request: bool, max_line_size: int) -> None:
    """Check a complete start line alone (its CRLF included)."""
    if request:
        match = _REQUEST_LINE_match(line)
        if match is None or match.end() != len(line):
            raise _start_line_error(line, True, max_line_size)
        method, target, version_text = match.groups()
    else:
        match = _STATUS_LINE_match(line)
        if match is None or match.end() != len(line):
            raise _start_line_error(line, False, max_line_size)
        version_text = match[1]
    if len(line) > max_line_size:
        raise _start_line_error(line, request, max_line_size)
    if version_text not in _VERSIONS:
        raise RemoteProtocolError("HTTP version not supported", status_code=505)
    if request and (target[0] != "/" or method == "CONNECT"):
        _check_target_form(method, target)


def _check_partial_start_line(line: str, request: bool, max_line_size: int) -> None:
    if len(line) >= max_line_size:
        if request:
            raise RemoteProtocolError("Request line too long", status_code=414)
        raise RemoteProtocolError("Status line too long", status_code=414)
    prefix = _abnf.REQUEST_LINE_PREFIX if request else _abnf.STATUS_LINE_PREFIX
    if prefix.fullmatch(line) is None:
        raise _start_line_error(line, request, max_line_size)
    version = _VERSION_AT_END.search(line) if request else None
    if version is not None and version.end() == len(line) and version[1] not in _VERSIONS:
        raise RemoteProtocolError("HTTP version not supported", status_code=505)


def _start_line_error(text: str, request: bool, max_line_size: int) -> RemoteProtocolError:
    """Name what is wrong with the start line at the beginning of ``text``."""
    newline = text.find("\n")
    line = text if newline < 0 else text[: newline + 1]
    if len(line) > max_line_size:
        what = "Request line" if request else "Status line"
        return RemoteProtocolError(f"{what} too long", status_code=414)
    body = line.rstrip("\n")
    if newline >= 0 and not body.endswith("\r"):
        return RemoteProtocolError("Bare LF in start line", status_code=400)
    if "\r" in body[:-1]:
        return RemoteProtocolError("Bare CR in start line", status_code=400)
    if request:
        method, _, rest = body.rstrip("\r").partition(" ")
        if _abnf.TOKEN.fullmatch(method) is None:
            return RemoteProtocolError("Invalid method", status_code=400)
        target = rest.partition(" ")[0]
        if target and _VCHARS.fullmatch(target) is None:
            return RemoteProtocolError("Invalid request target", status_code=400)
        return RemoteProtocolError("Malformed request line", status_code=400)
    return RemoteProtocolError("Malformed status line", status_code=400)


def _field_error(text: str, *, first: bool, unfinished: bool = False) -> RemoteProtocolError:
    """Name the first rule broken by a field line of ``text``.

    Args:
        text: Field lines, each ending in LF; with ``unfinished`` the last one
            has not ended yet.
        first: Whether the first line follows the start line directly.
        unfinished: Whether the last line is still arriving.
    """
    lines = text.split("\n")
    if not unfinished:
        lines.pop()  # what follows the last LF is not a line
    for index, line in enumerate(lines):
        open_ended = unfinished and index == len(lines) - 1 and not line.endswith("\r")
        if not open_ended and not line.endswith("\r"):
            return RemoteProtocolError("Bare LF in header section", status_code=400)
        content = line[:-1] if line.endswith("\r") else line
        error = _field_content_error(content, first=first and index == 0, open_ended=open_ended)
        if error is not None:
            return error
    return RemoteProtocolError("Malformed header section", status_code=400)


def _field_content_error(
    content: str, *, first: bool, open_ended: bool
) -> RemoteProtocolError | None:
    if "\r" in content:
        return RemoteProtocolError("Bare CR in header section", status_code=400)
    if content[:1] in (" ", "\t"):
        # RFC 9112 §5.2 obs-fold, or whitespace after the start line (§2.2).
        if first:
            return RemoteProtocolError("Whitespace after the start line", status_code=400)
        return RemoteProtocolError("Obsolete line folding (obs-fold)", status_code=400)
    name, colon, value = content.partition(":")
    if not colon and open_ended and _abnf.TOKEN.fullmatch(name):
        return None
    if name[-1:] in (" ", "\t") and _abnf.TOKEN.fullmatch(name.rstrip(" \t")):
        # RFC 9112 §5.1: no whitespace between field name and colon; 400.
        return RemoteProtocolError("Whitespace before colon in header", status_code=400)
    if not colon:
        if _abnf.TOKEN.fullmatch(name) or not name:
            return RemoteProtocolError("Header line without a colon", status_code=400)
        return RemoteProtocolError("Invalid character in header name", status_code=400)
    if not name:
        return RemoteProtocolError("Empty header name", status_code=400)
    if _abnf.TOKEN.fullmatch(name) is None:
        return RemoteProtocolError("Invalid character in header name", status_code=400)
    if _abnf.FIELD_VALUE_FORBIDDEN.search(value):
        return RemoteProtocolError("Invalid character in header value", status_code=400)
    return None


def _check_target_form(method: str, target: str) -> None:
    """Check the request-target's form against the method (RFC 9112 §3.2)."""
    if method == "CONNECT":
        # §3.2.3: CONNECT takes authority-form, host and port only.
        if _abnf.AUTHORITY_FORM.fullmatch(target) is None:
            raise RemoteProtocolError("CONNECT target must be host:port", status_code=400)
    elif target == "*":
        # §3.2.4: asterisk-form is only for a server-wide OPTIONS.
        if method != "OPTIONS":
            raise RemoteProtocolError("Asterisk target is only for OPTIONS", status_code=400)
    elif _abnf.SCHEME_PREFIX.match(target) is None:
        # §3.2.1 origin-form starts with "/"; §3.2.2 absolute-form with a scheme.
        raise RemoteProtocolError("Invalid request target", status_code=400)


def _check_host(host: str) -> None:
    if _abnf.HOST.fullmatch(host) is None:
        raise RemoteProtocolError("Invalid Host header", status_code=400)
    if len(_VALID_HOSTS) < _MAX_VALID_HOSTS:
        _VALID_HOSTS.add(host)
