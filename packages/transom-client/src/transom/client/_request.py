"""Building a request: URL, headers and body, checked before anything is sent."""

from __future__ import annotations

import json as jsonlib
import re
import sys
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from typing import Any, Final, cast

from multidict import CIMultiDict, istr
from yarl import URL

from transom.client._abstract_cookie_jar import AbstractCookieJar, LooseCookies
from transom.client._auth import BasicAuth
from transom.client._cookie_jar import CookieJar
from transom.client._errors import InvalidUrlClientError, NonHttpUrlClientError
from transom.client._form_data import FormData
from transom.client._payload import (
    AsyncIterablePayload,
    BytesPayload,
    FilePayload,
    Payload,
    StringPayload,
)
from transom.protocol.compression import available_encodings

__all__ = [
    "DEFAULT_USER_AGENT",
    "HTTP_SCHEMES",
    "IDEMPOTENT_METHODS",
    "JSONEncoder",
    "Params",
    "build_headers",
    "check_headers",
    "checked_headers",
    "choose_credentials",
    "make_payload",
    "make_url",
]

_VERSION: Final = "0.1.0"
DEFAULT_USER_AGENT: Final = (
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} transom-client/{_VERSION}"
)
DEFAULT_ACCEPT_ENCODING: Final = ", ".join(available_encodings())

HTTP_SCHEMES: Final = frozenset({"http", "https"})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# RFC 9110 §9.2.2: a request with one of these methods may be repeated with
# the same effect, so a request lost on a stale connection can be retried.
IDEMPOTENT_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
# RFC 9110 §5.5: CR, LF and NUL never appear in a field value; one in a
# header or URL would split the request and inject another (CWE-113).
_FORBIDDEN: Final = re.compile(r"[\r\n\x00]")

JSONEncoder = Callable[[Any], str]
Params = (
    Mapping[str, str | int | float | Iterable[str | int | float]]
    | Iterable[tuple[str, str | int | float]]
    | str
    | None
)

HOST: Final = istr("Host")
CONTENT_TYPE: Final = istr("Content-Type")
CONTENT_LENGTH: Final = istr("Content-Length")
CONTENT_ENCODING: Final = istr("Content-Encoding")
TRANSFER_ENCODING: Final = istr("Transfer-Encoding")
AUTHORIZATION: Final = istr("Authorization")
COOKIE: Final = istr("Cookie")
EXPECT: Final = istr("Expect")
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})


def make_url(str_or_url: str | URL, base_url: URL | None = None, params: Params = None) -> URL:
    """The absolute URL to request.

    Args:
        str_or_url: The URL, absolute, or relative to ``base_url``.
        base_url: The session's base URL.
        params: Query parameters appended to those already in the URL.

    Raises:
        InvalidUrlClientError: The URL does not parse, has no host, or holds
            CR, LF or NUL.
        NonHttpUrlClientError: Its scheme is not http or https.
    """
    if isinstance(str_or_url, str):
        if _FORBIDDEN.search(str_or_url):
            raise InvalidUrlClientError(
                repr(str_or_url[:60]), "CR, LF and NUL are not allowed in a URL"
            )
        try:
            url = URL(str_or_url)
        except (ValueError, TypeError) as exc:
            raise InvalidUrlClientError(str_or_url[:200], str(exc)) from None
    elif isinstance(str_or_url, URL):
        url = str_or_url
        if _FORBIDDEN.search(str(url)):
            raise InvalidUrlClientError(repr(str(url)[:60]), "CR, LF and NUL are not allowed")
    else:
        raise InvalidUrlClientError(repr(str_or_url), "a URL must be a str or yarl.URL")
    if base_url is not None and not url.absolute:
        url = base_url.join(url)
    if params:
        url = url.extend_query(cast(Any, params))
    scheme = url.scheme
    if scheme not in HTTP_SCHEMES:
        if not url.absolute:
            raise InvalidUrlClientError(url, "the URL is not absolute")
        raise NonHttpUrlClientError(url)
    if not url.raw_host:
        raise InvalidUrlClientError(url, "the URL has no host")
    return url


def host_header(url: URL) -> str:
    """The Host header for ``url`` (RFC 9110 §7.2): the port only when not the default."""
    host = url.raw_host or ""
    if ":" in host:
        host = f"[{host}]"
    port = url.explicit_port
    if port is not None and port != _DEFAULT_PORTS.get(url.scheme):
        return f"{host}:{port}"
    return host


def check_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Refuse header names or values that would split the request.

    Raises:
        ValueError: A name or value holds CR, LF or NUL, or a name is empty
            or holds a colon or whitespace.
    """
    for name, value in headers:
        if not isinstance(value, str):
            raise TypeError(f"Header {name!r} must be a str, not {type(value).__name__}")
        if _FORBIDDEN.search(value):
            raise ValueError(f"Header {name!r} holds CR, LF or NUL, which would split the request")
        if not name or _FORBIDDEN.search(name) or ":" in name or " " in name or "\t" in name:
            raise ValueError(f"Invalid header name {name[:40]!r}")


def checked_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> CIMultiDict[str]:
    """The caller's headers as a new multidict, once :func:`check_headers` accepts them.

    Raises:
        ValueError: As :func:`check_headers`.
        TypeError: As :func:`check_headers`.
    """
    if not headers:
        return CIMultiDict()
    items = list(headers.items() if isinstance(headers, Mapping) else headers)
    check_headers(items)
    return CIMultiDict(items)


def choose_credentials(
    url: URL,
    auth: BasicAuth | None,
    headers: CIMultiDict[str],
    *,
    default: BasicAuth | None,
    base_url: URL | None,
) -> tuple[URL, BasicAuth | None]:
    """The credentials a request carries: the URL's, ``auth=``, or the session's.

    The session's ``default`` goes only to the origin of ``base_url`` (to
    every origin when there is none).

    Args:
        url: The request URL, perhaps with user info.
        auth: The request's ``auth=``.
        headers: The caller's headers.
        default: The session's ``auth``.
        base_url: The session's ``base_url``.

    Returns:
        ``url`` without its user info, and the credentials to send.

    Raises:
        ValueError: Credentials come both from the URL and ``auth=``, or
            along with an Authorization header.
    """
    url_auth = BasicAuth.from_url(url) if url.raw_user is not None else None
    if url_auth is not None:
        if auth is not None:
            raise ValueError("Cannot combine auth= with credentials in the URL")
        auth = url_auth
        url = url.with_user(None)
    if (
        auth is None
        and default is not None
        and (base_url is None or base_url.origin() == url.origin())
    ):
        auth = default
    if auth is not None and AUTHORIZATION in headers:
        raise ValueError("Cannot combine an Authorization header with auth=")
    return url, auth


def make_payload(
    data: Any, json: Any, json_serialize: JSONEncoder, *, form_charset: str | None = None
) -> Payload | None:
    """Turn ``data=`` or ``json=`` into a payload (``None`` for no body).

    ``bytes`` are sent as is, ``str`` as UTF-8 text, a mapping or a list of
    pairs as an urlencoded form, a :class:`FormData` as its form, a file
    object and an async iterable streamed.

    Raises:
        ValueError: Both ``data`` and ``json`` were given.
        TypeError: ``data`` is of an unsupported type.
    """
    if json is not None:
        if data is not None:
            raise ValueError("data and json cannot be given together")
        return StringPayload(json_serialize(json), content_type="application/json")
    if data is None:
        return None
    if isinstance(data, Payload):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        return BytesPayload(data)
    if isinstance(data, str):
        return StringPayload(data)
    if isinstance(data, FormData):
        return data()
    if isinstance(data, Mapping) or (isinstance(data, list | tuple) and _pairs(data)):
        return FormData(data, charset=form_charset)()
    if hasattr(data, "read"):
        return FilePayload(data)
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data)
    raise TypeError(f"Cannot send data of type {type(data).__name__}")


def _pairs(data: list[Any] | tuple[Any, ...]) -> bool:
    return all(isinstance(item, tuple | list) and len(item) == 2 for item in data)


def default_json_serialize(value: Any) -> str:
    """``json.dumps`` with compact separators."""
    return jsonlib.dumps(value, separators=(",", ":"))


def build_headers(
    base_headers: CIMultiDict[str],
    base_skip: frozenset[istr],
    jar: AbstractCookieJar,
    url: URL,
    method: str,
    user_headers: CIMultiDict[str],
    skip: frozenset[istr],
    payload: Payload | None,
    auth: BasicAuth | None,
    cookies: LooseCookies | None,
    coding: str | None,
    chunked: bool | None,
    expect100: bool,
) -> CIMultiDict[str]:
    """Every header of one request: the session's, the caller's and the automatic ones.

    Args:
        base_headers: The session's defaults (automatic ones included).
        base_skip: The session's ``skip_auto_headers``.
        jar: Where the cookies for ``url`` come from.
        url: The request URL.
        method: The request method.
        user_headers: The caller's headers; they replace defaults of the
            same name.
        skip: Automatic headers to leave out.
        payload: The body, which decides Content-Type and the framing.
        auth: Credentials for ``Authorization``.
        cookies: Extra cookies for this request only.
        coding: The body's Content-Encoding.
        chunked: Force chunked framing.
        expect100: Send ``Expect: 100-continue``.
    """
    headers = base_headers.copy()
    if user_headers:
        for name in user_headers:
            headers.popall(name, None)
        headers.extend(user_headers)
    if skip is not base_skip:
        for name in skip:
            if name not in user_headers:
                headers.popall(name, None)
    if HOST not in headers:
        headers[HOST] = host_header(url)
    if payload is not None:
        if CONTENT_TYPE not in headers and payload.content_type and CONTENT_TYPE not in skip:
            headers[CONTENT_TYPE] = payload.content_type
        if coding is not None:
            headers[CONTENT_ENCODING] = coding
        if chunked or payload.size is None:
            headers.popall(CONTENT_LENGTH, None)
            headers[TRANSFER_ENCODING] = "chunked"
        elif TRANSFER_ENCODING not in headers:
            headers[CONTENT_LENGTH] = str(payload.size)
    elif method in _BODY_METHODS and CONTENT_LENGTH not in headers:
        # RFC 9110 §8.6: a request whose method gives a body meaning says
        # how long it is, even when empty.
        headers[CONTENT_LENGTH] = "0"
    if auth is not None:
        headers[AUTHORIZATION] = auth.encode()
    cookie_header = jar.cookie_header(url)
    if cookies:
        extra = CookieJar(unsafe=True, quote_cookie=jar.quote_cookie)
        extra.update_cookies(cookies)
        request_cookies = extra.cookie_header(url)
        cookie_header = "; ".join(part for part in (cookie_header, request_cookies) if part)
    if cookie_header:
        existing = headers.get(COOKIE)
        headers[COOKIE] = f"{existing}; {cookie_header}" if existing else cookie_header
    if expect100:
        headers[EXPECT] = "100-continue"
    return headers
