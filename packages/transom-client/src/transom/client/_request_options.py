"""The keyword arguments every request method accepts, for type checkers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from yarl import URL

    from transom.client._abstract_cookie_jar import LooseCookies
    from transom.client._auth import BasicAuth
    from transom.client._request import Params
    from transom.client._response import ClientResponse
    from transom.client._timeouts import ClientTimeout
    from transom.client._tls import SSLSetting

__all__ = ["RequestOptions"]


class RequestOptions(TypedDict, total=False):
    """Options of :meth:`ClientSession.request` and the per-method shortcuts.

    ``read_until_eof`` is accepted for call compatibility: a body is always
    read to the end its framing gives (RFC 9112 §6.3).
    """

    params: Params
    data: Any
    json: Any
    cookies: LooseCookies | None
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
    skip_auto_headers: Iterable[str] | None
    auth: BasicAuth | None
    allow_redirects: bool
    max_redirects: int
    compress: bool | str | None
    chunked: bool | None
    expect100: bool
    raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None
    read_until_eof: bool
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    proxy_headers: Mapping[str, str] | None
    timeout: ClientTimeout | float | None
    ssl: SSLSetting
    server_hostname: str | None
    trace_request_ctx: Any
    read_bufsize: int | None
    auto_decompress: bool | None
    max_decompressed_size: int | None
