"""Typed, lazily parsed views of a request's header fields."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from transom.protocol.cookies import parse_cookie_header
from transom.protocol.dates import parse_http_date
from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.web._byte_range import parse_byte_range
from transom.web._compiler_hints import mypyc_attr
from transom.web._etag import ETag, parse_etag_list
from transom.web._forwarded import parse_forwarded
from transom.web._state_mapping import StateMapping

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from multidict import CIMultiDictProxy

    from transom.protocol.http1 import Request as RequestHead

__all__ = ["RequestFields"]

_DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"


@mypyc_attr(allow_interpreted_subclasses=True)
class RequestFields(StateMapping):
    """Properties over a request's header fields, each parsed on first use.

    The parsed values are kept in declared fields, None until first use; the
    request's constructor sets them.
    """

    __slots__ = ("_cookies", "_forwarded", "_headers", "_media_type", "_message", "_raw_headers")

    _message: RequestHead
    _headers: CIMultiDictProxy[str]
    _raw_headers: tuple[tuple[bytes, bytes], ...] | None
    _cookies: Mapping[str, str] | None
    _forwarded: tuple[Mapping[str, str], ...] | None
    _media_type: tuple[str, str | None] | None

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The request header fields, read-only, case-insensitive."""
        return self._headers

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        """The header fields as ``(name, value)`` byte pairs, in order."""
        raw = self._raw_headers
        if raw is None:
            raw = self._raw_headers = tuple(
                (name.encode("latin-1"), value.encode("latin-1"))
                for name, value in self._headers.items()
            )
        return raw

    @property
    def cookies(self) -> Mapping[str, str]:
        """The cookies the client sent (RFC 6265 §5.4), read-only.

        Raises:
            CookieLimitError: The ``Cookie`` field is larger than the server
                accepts (answered with 431).
        """
        cookies = self._cookies
        if cookies is None:
            fields = self._headers.getall("Cookie", ())
            parsed = parse_cookie_header("; ".join(fields)) if fields else {}
            cookies = self._cookies = MappingProxyType(parsed)
        return cookies

    @property
    def forwarded(self) -> tuple[Mapping[str, str], ...]:
        """The ``Forwarded`` field (RFC 7239): one mapping per proxy hop.

        The values are whatever the client or proxies wrote: trust them only
        behind a proxy that overwrites the field.
        """
        forwarded = self._forwarded
        if forwarded is None:
            forwarded = self._forwarded = parse_forwarded(self._headers.getall("Forwarded", []))
        return forwarded

    def _parsed_media_type(self) -> tuple[str, str | None]:
        parsed = self._media_type
        if parsed is None:
            parsed = self._media_type = _parse_media_type(self._headers.get("Content-Type"))
        return parsed

    @property
    def content_type(self) -> str:
        """The media type of the body, lowercased (``application/octet-stream`` if absent)."""
        return self._parsed_media_type()[0]

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, lowercased, or ``None``."""
        return self._parsed_media_type()[1]

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` field as an int, or ``None`` when absent."""
        value = self._headers.get("Content-Length")
        return None if value is None else int(value)

    @property
    def if_modified_since(self) -> datetime | None:
        """``If-Modified-Since`` (RFC 9110 §13.1.3), or ``None`` if absent or invalid."""
        return self._http_date("If-Modified-Since")

    @property
    def if_unmodified_since(self) -> datetime | None:
        """``If-Unmodified-Since`` (RFC 9110 §13.1.4), or ``None`` if absent or invalid."""
        return self._http_date("If-Unmodified-Since")

    @property
    def if_range(self) -> datetime | None:
        """``If-Range`` when it holds a date (RFC 9110 §13.1.5), else ``None``."""
        return self._http_date("If-Range")

    @property
    def if_match(self) -> tuple[ETag, ...] | None:
        """The tags of ``If-Match`` (RFC 9110 §13.1.1), or ``None``."""
        return parse_etag_list(self._joined("If-Match"))

    @property
    def if_none_match(self) -> tuple[ETag, ...] | None:
        """The tags of ``If-None-Match`` (RFC 9110 §13.1.2), or ``None``."""
        return parse_etag_list(self._joined("If-None-Match"))

    @property
    def http_range(self) -> slice:
        """The single byte range asked for with ``Range``; ``slice(0, None)`` for all.

        Raises:
            ValueError: The range is syntactically invalid.
        """
        requested = parse_byte_range(self._headers.get("Range"))
        return slice(0, None) if requested is None else requested

    @property
    def keep_alive(self) -> bool:
        """Whether the client allows the connection to be reused (RFC 9112 §9.3)."""
        values = self._headers.getall("Connection", None)
        if values is None:
            return self._message.http_version == (1, 1)
        tokens = {token.strip(" \t").lower() for value in values for token in value.split(",")}
        if "close" in tokens:
            return False
        return self._message.http_version == (1, 1) or "keep-alive" in tokens

    def _http_date(self, name: str) -> datetime | None:
        value = self._headers.get(name)
        return None if value is None else parse_http_date(value)

    def _joined(self, name: str) -> str | None:
        values = self._headers.getall(name, ())
        return ", ".join(values) if values else None


def _parse_media_type(value: str | None) -> tuple[str, str | None]:
    """The essence and charset of a ``Content-Type`` field."""
    if value is None:
        return _DEFAULT_CONTENT_TYPE, None
    try:
        media_type = MediaType.parse(value)
    except MediaTypeError:
        # Keep the essence of a type whose parameters do not parse.
        return value.partition(";")[0].strip(" \t").lower() or _DEFAULT_CONTENT_TYPE, None
    return media_type.essence, media_type.charset
