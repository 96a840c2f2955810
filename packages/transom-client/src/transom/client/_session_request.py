"""The body of every ``ClientSession`` request: its options resolved, then the chain sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

from multidict import istr
from yarl import URL

from transom.client._payload import compress_payload
from transom.client._proxy import choose_proxies
from transom.client._redirects import DEFAULT_MAX_REDIRECTS
from transom.client._request import (
    Params,
    checked_headers,
    choose_credentials,
    make_payload,
    make_url,
)
from transom.client._request_chain import RaiseForStatus, send_chain
from transom.client._response import ClientResponse
from transom.client._timeouts import ClientTimeout, as_timeout
from transom.client._tracing import start_traces

if TYPE_CHECKING:
    from transom.client._abstract_cookie_jar import LooseCookies
    from transom.client._auth import BasicAuth
    from transom.client._session import ClientSession
    from transom.client._tls import SSLSetting

__all__ = ["URL_CACHE_SIZE", "send_request"]

#: How many request URLs, as given, a session keeps parsed; the cache is
#: cleared when a program requests that many distinct ones, so it stays bounded.
URL_CACHE_SIZE: Final = 256


class _Unset:
    """The type of :data:`_UNSET`: an option left out (its ``None`` means something)."""

    __slots__ = ()


# The default of the options whose None means something: no timeout, no cap.
_UNSET: Final = _Unset()


async def send_request(
    session: ClientSession,
    method: str,
    str_or_url: str | URL,
    *,
    params: Params = None,
    data: Any = None,
    json: Any = None,
    cookies: LooseCookies | None = None,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    skip_auto_headers: Iterable[str] | None = None,
    auth: BasicAuth | None = None,
    allow_redirects: bool = True,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    compress: bool | str | None = None,
    chunked: bool | None = None,
    expect100: bool = False,
    raise_for_status: RaiseForStatus | None = None,
    read_until_eof: bool = True,
    proxy: str | URL | None = None,
    proxy_auth: BasicAuth | None = None,
    proxy_headers: Mapping[str, str] | None = None,
    timeout: ClientTimeout | float | _Unset | None = _UNSET,  # noqa: ASYNC109 - the aiohttp name
    ssl: SSLSetting = True,
    server_hostname: str | None = None,
    trace_request_ctx: Any = None,
    read_bufsize: int | None = None,
    auto_decompress: bool | None = None,
    max_decompressed_size: int | _Unset | None = _UNSET,
) -> ClientResponse:
    """Make one request of ``session`` with the options of :meth:`ClientSession.request`.

    The session's request methods return this coroutine, wrapped in a
    :class:`RequestContextManager`; it is compiled, and runs once per request.

    Raises:
        RuntimeError: The session is closed.
    """
    if session._closed:
        raise RuntimeError("Session is closed")
    connector = session._connector
    assert connector is not None
    timeouts = session._timeout if isinstance(timeout, _Unset) else as_timeout(timeout)
    deadline = None if timeouts.total is None else session._loop.time() + timeouts.total
    method = method.upper()
    url = _cached_url(session._urls, str_or_url, session._base_url) if params is None else None
    if url is None:
        url = make_url(str_or_url, session._base_url, params)
    user_headers = checked_headers(headers)
    payload = make_payload(data, json, session._json_serialize)
    coding: str | None = None
    if compress and payload is not None:
        payload, coding = compress_payload(payload, compress)
    skip = session._skip_auto_headers
    if skip_auto_headers:
        skip = skip | {istr(name) for name in skip_auto_headers}
    url, auth = choose_credentials(
        url, auth, user_headers, default=session._auth, base_url=session._base_url
    )
    traces = start_traces(session, session._trace_configs, trace_request_ctx)
    proxy_settings, proxy_for_redirect = choose_proxies(
        url,
        proxy,
        proxy_auth,
        proxy_headers,
        default=session._proxy,
        default_auth=session._proxy_auth,
        trust_env=session._trust_env,
    )
    decompress = session._auto_decompress if auto_decompress is None else auto_decompress
    check = session._raise_for_status if raise_for_status is None else raise_for_status
    max_size = (
        session._max_decompressed_size
        if isinstance(max_decompressed_size, _Unset)
        else max_decompressed_size
    )
    if session._headers_version() != session._base_headers_version:
        # The caller changed session.headers: rebuild the prepared copy once.
        session._base_headers = session._prepare_base_headers()
        session._base_headers_version = session._headers_version()
    return await send_chain(
        connector,
        session._cookie_jar,
        method,
        url,
        user_headers,
        payload,
        coding=coding,
        base_headers=session._base_headers,
        base_skip=session._skip_auto_headers,
        skip=skip,
        auth=auth,
        cookies=cookies,
        chunked=chunked,
        expect100=expect100,
        traces=traces,
        allow_redirects=allow_redirects,
        max_redirects=max_redirects,
        raise_for_status=check,
        proxy=proxy_settings,
        proxy_for_redirect=proxy_for_redirect,
        options={
            "ssl": ssl,
            "timeouts": timeouts,
            "deadline": deadline,
            "server_hostname": server_hostname,
            "decompress": decompress,
            "max_decompressed_size": max_size,
            "read_bufsize": read_bufsize or session._read_bufsize,
            "keys": session._keys,
            "charset_resolver": session._charset_resolver,
        },
    )


def _cached_url(cache: dict[str, URL], given: str | URL, base_url: URL | None) -> URL | None:
    """The checked absolute URL for ``given`` as a string, parsed once per session.

    Returns None for a ``yarl.URL`` (already parsed). A string that does not
    make a valid URL raises as :func:`make_url` does, and is not cached.
    """
    if type(given) is not str:
        return None
    url = cache.get(given)
    if url is None:
        url = make_url(given, base_url, None)
        if len(cache) >= URL_CACHE_SIZE:
            cache.clear()
        cache[given] = url
    return url
