"""``ClientResponse``: the status, headers and body of one response."""

from __future__ import annotations

import codecs
import json as jsonlib
import warnings
from collections.abc import Callable
from http.cookies import SimpleCookie
from types import TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy

from transom.client._cookie_rules import make_morsel
from transom.client._errors import ClientResponseError, ContentTypeError
from transom.client._request_info import RequestInfo
from transom.protocol.cookies import InvalidSetCookieError, SetCookie
from transom.protocol.mediatype import MediaType, MediaTypeError

if TYPE_CHECKING:
    from yarl import URL

    from transom.client._stream import StreamReader

__all__ = ["ClientResponse", "ConnectionHandle", "HttpVersion", "guess_charset"]

_JSON_TYPE = "application/json"


class HttpVersion(NamedTuple):
    """An HTTP version as ``(major, minor)``."""

    major: int
    minor: int


class ConnectionHandle:
    """What a response needs from the connection that carries its body."""

    def abandon(self, stream: StreamReader) -> None:
        """Close the connection if it still carries ``stream`` unfinished."""
        raise NotImplementedError


def guess_charset(body: bytes) -> str:
    """A charset for a body whose Content-Type names none.

    A byte-order mark decides; otherwise UTF-8 when the body is valid UTF-8
    (ASCII included), else ISO-8859-1, which decodes any byte sequence.
    """
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "iso-8859-1"
    return "utf-8"


def _json_type(essence: str) -> bool:
    # RFC 6839 §3.1: "+json" structured-syntax suffix types are JSON too.
    return essence == _JSON_TYPE or (
        essence.startswith("application/") and essence.endswith("+json")
    )


class ClientResponse:
    """A response: status and headers at once, the body on demand.

    Use it as ``async with session.get(url) as response:`` so the connection
    is released on exit, or call :meth:`read` / :meth:`release` yourself. A
    body read to the end frees its connection for reuse; a response released
    with unread body closes its connection instead.
    """

    def __init__(
        self,
        method: str,
        url: URL,
        *,
        status: int,
        reason: str,
        headers: CIMultiDict[str],
        version: tuple[int, int],
        content: StreamReader,
        connection: ConnectionHandle | None,
        request_headers: CIMultiDict[str],
        history: tuple[ClientResponse, ...] = (),
        charset_resolver: Callable[[ClientResponse, bytes], str] | None = None,
    ) -> None:
        self.method = method
        self._url = url
        self.status = status
        self.reason = reason
        self._raw_headers = headers
        self._headers: CIMultiDictProxy[str] | None = None
        self._version = version
        self.content = content
        self._connection = connection
        self._request_headers = request_headers
        self._request_info: RequestInfo | None = None
        self._history = history
        self._charset_resolver = charset_resolver
        self._body: bytes | None = None
        self._cookies: SimpleCookie | None = None
        self._media_type: MediaType | bool | None = False
        self._released = False

    # -- head --------------------------------------------------------------

    @property
    def url(self) -> URL:
        """The URL this response came from, without its fragment."""
        return self._url.with_fragment(None) if self._url.raw_fragment else self._url

    @property
    def real_url(self) -> URL:
        """The URL as requested, fragment included."""
        return self._url

    @property
    def request_info(self) -> RequestInfo:
        """The request this response answers."""
        info = self._request_info
        if info is None:
            info = self._request_info = RequestInfo(
                self.url, self.method, CIMultiDictProxy(self._request_headers), self._url
            )
        return info

    @property
    def host(self) -> str:
        """The host of :attr:`url`."""
        return self._url.host or ""

    @property
    def version(self) -> HttpVersion:
        """The HTTP version the server answered with."""
        return HttpVersion(*self._version)

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers (read-only, case-insensitive)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = CIMultiDictProxy(self._raw_headers)
        return headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The headers as ``(name, value)`` byte pairs."""
        return tuple(
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in self._raw_headers.items()
        )

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """The redirect responses that led here, oldest first."""
        return self._history

    @property
    def ok(self) -> bool:
        """Whether the status is below 400."""
        return self.status < 400

    @property
    def cookies(self) -> SimpleCookie:
        """The cookies this response sets (its ``Set-Cookie`` headers)."""
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = SimpleCookie()
            for header in self._raw_headers.getall("Set-Cookie", ()):
                try:
                    parsed = SetCookie.parse(header)
                except InvalidSetCookieError:
                    continue
                morsel = make_morsel(
                    parsed.name,
                    parsed.value,
                    parsed.value,
                    domain=parsed.domain,
                    path=parsed.path,
                    secure=parsed.secure,
                    httponly=parsed.httponly,
                    samesite=parsed.samesite,
                    **{"max-age": "" if parsed.max_age is None else str(parsed.max_age)},
                )
                dict.__setitem__(cookies, parsed.name, morsel)
        return cookies

    def _parsed_type(self) -> MediaType | None:
        media_type = self._media_type
        if media_type is False:
            raw = self._raw_headers.get("Content-Type")
            try:
                media_type = MediaType.parse(raw) if raw else None
            except MediaTypeError:
                media_type = None
            self._media_type = media_type
        assert media_type is not True
        return media_type

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``application/octet-stream``
        when absent, RFC 9110 §8.3)."""
        media_type = self._parsed_type()
        return media_type.essence if media_type is not None else "application/octet-stream"

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, lower case, if any."""
        media_type = self._parsed_type()
        return media_type.charset if media_type is not None else None

    @property
    def content_length(self) -> int | None:
        """The Content-Length header as an integer, if present and valid."""
        raw = self._raw_headers.get("Content-Length")
        return int(raw) if raw is not None and raw.isdigit() else None

    @property
    def connection(self) -> ConnectionHandle | None:
        """The connection still carrying the body, or ``None`` once released."""
        return self._connection

    @property
    def closed(self) -> bool:
        """Whether the response was released or its body fully received."""
        return self._connection is None or self.content.is_eof()

    def __repr__(self) -> str:
        return f"<ClientResponse({self.url}) [{self.status} {self.reason}]>"

    # -- body ----------------------------------------------------------------

    async def read(self) -> bytes:
        """The whole body (read once, then cached); releases the connection.

        Raises:
            ClientPayloadError: The body ended early or could not be decoded.
            ServerTimeoutError: ``sock_read`` or the total timeout expired.
        """
        if self._body is None:
            try:
                self._body = await self.content.read()
            except BaseException:
                self.close()
                raise
            self.release()
        return self._body

    def get_encoding(self) -> str:
        """The charset to decode the body with (see :meth:`text`).

        Raises:
            RuntimeError: When no charset is declared and the body was not
                read yet (guessing needs the bytes).
        """
        charset = self.charset
        if charset:
            try:
                return codecs.lookup(charset).name
            except LookupError:
                pass
        if _json_type(self.content_type):
            # RFC 8259 §8.1: JSON exchanged between systems is UTF-8.
            return "utf-8"
        if self._body is None:
            raise RuntimeError("Cannot guess the encoding of a body that was not read")
        if self._charset_resolver is not None:
            return self._charset_resolver(self, self._body)
        return guess_charset(self._body)

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        """The body decoded as text.

        The charset is ``encoding`` if given, else the Content-Type's
        ``charset``, else UTF-8 for JSON, else a guess from the bytes (a
        byte-order mark, then UTF-8 if valid, else ISO-8859-1).
        """
        body = await self.read()
        return body.decode(encoding or self.get_encoding(), errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = jsonlib.loads,
        content_type: str | None = _JSON_TYPE,
    ) -> Any:
        """The body parsed as JSON; ``None`` for an empty body.

        Args:
            encoding: Overrides the charset.
            loads: The JSON parser.
            content_type: The expected media type (``application/json``
                also accepts ``application/*+json``); ``None`` skips the check.

        Raises:
            ContentTypeError: The response has another Content-Type.
        """
        body = await self.read()
        if content_type is not None:
            actual = self.content_type
            expected = content_type.lower()
            matches = _json_type(actual) if expected == _JSON_TYPE else actual == expected
            if not matches:
                raise ContentTypeError(
                    self.request_info,
                    self._history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {actual}",
                    headers=self.headers,
                )
        if not body.strip():
            return None
        return loads(body.decode(encoding or self.get_encoding()))

    # -- lifetime ----------------------------------------------------------------

    def release(self) -> None:
        """Let the connection go: back to the pool if the body was read, else closed."""
        self._released = True
        connection = self._connection
        if connection is not None:
            self._connection = None
            if not self.content.is_eof():
                connection.abandon(self.content)

    def close(self) -> None:
        """Close the connection unless its body already completed."""
        self.release()

    async def wait_for_close(self) -> None:
        """Release the response (kept for call compatibility)."""
        self.release()

    def raise_for_status(self) -> None:
        """Raise :class:`ClientResponseError` for a status of 400 or more.

        The connection is released first.
        """
        if self.status >= 400:
            self.release()
            raise ClientResponseError(
                self.request_info,
                self._history,
                status=self.status,
                message=self.reason,
                headers=self.headers,
            )

    async def __aenter__(self) -> ClientResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self, _warn: Callable[..., None] = warnings.warn) -> None:
        connection = getattr(self, "_connection", None)
        if connection is not None and not self.content.is_eof():
            connection.abandon(self.content)
            _warn(f"Unclosed response {self!r}", ResourceWarning, source=self, stacklevel=1)
