"""Typed access to a response's header fields and cookies."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from transom.protocol.cookies import format_set_cookie
from transom.protocol.dates import format_http_date, parse_http_date
from transom.protocol.mediatype import MediaType, MediaTypeError
from transom.web._compiler_hints import mypyc_attr
from transom.web._etag import ETAG_ANY, ETag
from transom.web._state_mapping import StateMapping

if TYPE_CHECKING:
    from collections.abc import Mapping

    from multidict import CIMultiDict

__all__ = ["DEFAULT_CONTENT_TYPE", "UTF8_CONTENT_TYPES", "ResponseFields"]

DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Content-Type fields of the usual UTF-8 text responses, made once.
UTF8_CONTENT_TYPES: Final = {
    essence: f"{essence}; charset=utf-8"
    for essence in ("text/plain", "text/html", "application/json")
}


@mypyc_attr(allow_interpreted_subclasses=True)
class ResponseFields(StateMapping):
    """Properties over a response's header fields and cookies.

    Every setter raises ``RuntimeError`` once the response is prepared: its
    head is then on its way and can no longer change.
    """

    # Declared (compiled or not) so a response takes no attributes of its own
    # making; subclasses get a __dict__ as usual.
    __slots__ = ("_chunked", "_cookies", "_headers")

    _headers: CIMultiDict[str]
    _cookies: dict[str, str]
    _chunked: bool

    def _check_not_prepared(self) -> None:
        raise NotImplementedError

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` field as an int, or ``None``."""
        value = self._headers.get("Content-Length")
        return None if value is None else int(value)

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.popall("Content-Length", None)
            return
        if self._chunked:
            raise RuntimeError("cannot set Content-Length when chunked encoding is enabled")
        self._headers["Content-Length"] = str(int(value))

    @property
    def content_type(self) -> str:
        """The media type without parameters (``application/octet-stream`` if unset)."""
        value = self._headers.get("Content-Type")
        if value is None:
            return DEFAULT_CONTENT_TYPE
        return value.partition(";")[0].strip(" \t").lower()

    @content_type.setter
    def content_type(self, value: str) -> None:
        self._check_not_prepared()
        self._set_content_type(str(value), self.charset)

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, or ``None``."""
        value = self._headers.get("Content-Type")
        if value is None or "charset" not in value.lower():
            return None
        try:
            return MediaType.parse(value).charset
        except MediaTypeError:
            return None

    @charset.setter
    def charset(self, value: str | None) -> None:
        self._check_not_prepared()
        essence = self.content_type
        if essence == DEFAULT_CONTENT_TYPE and "Content-Type" not in self._headers:
            raise RuntimeError("set content_type before charset")
        self._set_content_type(essence, value)

    def _set_content_type(self, essence: str, charset: str | None) -> None:
        if charset is None:
            field = essence
        else:
            charset = charset.lower()
            ready = UTF8_CONTENT_TYPES.get(essence) if charset == "utf-8" else None
            field = ready or f"{essence}; charset={charset}"
        self._headers["Content-Type"] = field

    @property
    def last_modified(self) -> datetime | None:
        """``Last-Modified`` as an aware UTC datetime, or ``None``."""
        value = self._headers.get("Last-Modified")
        return None if value is None else parse_http_date(value)

    @last_modified.setter
    def last_modified(self, value: datetime | float | str | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.popall("Last-Modified", None)
        elif isinstance(value, str):
            self._headers["Last-Modified"] = value
        else:
            self._headers["Last-Modified"] = format_http_date(value)

    @property
    def etag(self) -> ETag | None:
        """The ``ETag`` field, or ``None`` when absent or malformed."""
        value = self._headers.get("ETag")
        return None if value is None else ETag.parse(value)

    @etag.setter
    def etag(self, value: ETag | str | None) -> None:
        self._check_not_prepared()
        if value is None:
            self._headers.popall("ETag", None)
            return
        tag = ETag.from_value(value) if isinstance(value, str) else value
        if tag.value == ETAG_ANY:
            raise ValueError("'*' is not an entity tag")
        ETag.from_value(tag.value)
        self._headers["ETag"] = str(tag)

    # -- cookies ---------------------------------------------------------------

    @property
    def cookies(self) -> Mapping[str, str]:
        """The ``Set-Cookie`` values to send, by cookie name (read-only)."""
        return MappingProxyType(self._cookies)

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        expires: datetime | str | None = None,
        domain: str | None = None,
        max_age: int | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
        partitioned: bool | None = None,
    ) -> None:
        """Send a cookie (RFC 6265 §4.1); a later call with the same name replaces it.

        Raises:
            CookieError: The name, value or an attribute cannot be sent (checked
                now, not when the response is sent).
            ValueError: ``expires`` is a string that is not an HTTP-date.
        """
        self._check_not_prepared()
        if isinstance(expires, str):
            parsed = parse_http_date(expires)
            if parsed is None:
                raise ValueError("expires must be an HTTP-date")
            expires = parsed
        self._cookies[name] = format_set_cookie(
            name,
            value,
            max_age=None if max_age is None else int(max_age),
            expires=expires,
            domain=domain,
            path=path,
            secure=bool(secure),
            httponly=bool(httponly),
            samesite=samesite,
            partitioned=bool(partitioned),
        )

    def del_cookie(
        self,
        name: str,
        *,
        domain: str | None = None,
        path: str = "/",
        secure: bool | None = None,
        httponly: bool | None = None,
        samesite: str | None = None,
    ) -> None:
        """Tell the client to delete a cookie (an expired, empty one)."""
        self._cookies.pop(name, None)
        self.set_cookie(
            name,
            "",
            max_age=0,
            expires=_EPOCH,
            domain=domain,
            path=path,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
        )
