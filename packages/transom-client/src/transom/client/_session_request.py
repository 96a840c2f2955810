"""The body of every ``ClientSession`` request: its options resolved, then the chain sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final, cast

from multidict import CIMultiDict, MultiDict, getversion, istr
from yarl import URL

from transom.client._payload import compress_payload
from transom.client._proxy import choose_proxies
from transom.client._redirects import DEFAULT_MAX_REDIRECTS
from transom.client._request import (
    DEFAULT_ACCEPT_ENCODING,
    DEFAULT_USER_AGENT,
    JSONEncoder,
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
    from transom.client._abstract_cookie_jar import AbstractCookieJar, LooseCookies
    from transom.client._auth import BasicAuth
    from transom.client._connection_key import ConnectionKey
    from transom.client._session import ClientSession
    from transom.client._tls import SSLSetting
    from transom.client._tracing import TraceConfig
    from transom.protocol.http1 import PreparedRequest

__all__ = ["URL_CACHE_SIZE", "RequestDefaults", "send_request"]

#: How many request URLs, as given, a session keeps parsed; the cache is
#: cleared when a program requests that many distinct ones, so it stays bounded.
URL_CACHE_SIZE: Final = 256


class _Unset:
    """The type of :data:`_UNSET`: an option left out (its ``None`` means something)."""

    __slots__ = ()


# The default of the options whose None means something: no timeout, no cap.
_UNSET: Final = _Unset()


class RequestDefaults:
    """What every request of a session reads from it, held in one compiled object.

    :class:`ClientSession` builds it once from its settings, which do not
    change afterwards; ``headers`` is the session's own multidict, whose
    changes apply to later requests (see :meth:`base_headers`).

    Args:
        loop: The session's event loop.
        base_url: Relative request URLs are resolved against it.
        cookie_jar: The session's cookie jar.
        headers: The session's headers (``session.headers``, live).
        skip_auto_headers: Automatic headers to leave out.
        auth: Default credentials.
        timeout: Default timeouts.
        raise_for_status: The default ``raise_for_status``.
        json_serialize: The ``json=`` serializer.
        auto_decompress: Decode response bodies.
        max_decompressed_size: Cap on a decoded body.
        trust_env: Take proxy settings from the environment.
        trace_configs: The session's tracing hooks (frozen).
        read_bufsize: High-water mark of body streams.
        charset_resolver: Picks the charset of a body whose type names none.
        proxy: The default proxy.
        proxy_auth: Credentials for ``proxy``.
    """

    def __init__(
        self,
        *,
        loop: asyncio.AbstractEventLoop,
        base_url: URL | None,
        cookie_jar: AbstractCookieJar,
        headers: CIMultiDict[str],
        skip_auto_headers: frozenset[istr],
        auth: BasicAuth | None,
        timeout: ClientTimeout,
        raise_for_status: RaiseForStatus,
        json_serialize: JSONEncoder,
        auto_decompress: bool,
        max_decompressed_size: int | None,
        trust_env: bool,
        trace_configs: list[TraceConfig],
        read_bufsize: int,
        charset_resolver: Callable[[ClientResponse, bytes], str] | None,
        proxy: URL | None,
        proxy_auth: BasicAuth | None,
    ) -> None:
        self.loop = loop
        self.base_url = base_url
        self.cookie_jar = cookie_jar
        self.headers = headers
        self.skip_auto_headers = skip_auto_headers
        self.auth = auth
        self.timeout = timeout
        self.raise_for_status = raise_for_status
        self.json_serialize = json_serialize
        self.auto_decompress = auto_decompress
        self.max_decompressed_size = max_decompressed_size
        self.trust_env = trust_env
        self.trace_configs = trace_configs
        self.read_bufsize = read_bufsize
        self.charset_resolver = charset_resolver
        self.proxy = proxy
        self.proxy_auth = proxy_auth
        #: Pool keys per origin and TLS setting (see ``_exchange``).
        self.keys: dict[tuple[Any, ...], ConnectionKey] = {}
        #: Request URLs given as strings, parsed and checked.
        self.urls: dict[str, URL] = {}
        #: Heads of plain requests, serialized once (see ``_request_chain``);
        #: they hold the base headers, so they go when those change.
        self.heads: dict[tuple[str, URL], PreparedRequest] = {}
        self._base_headers = self._prepare_base_headers()
        self._base_headers_version = _version(headers)

    def base_headers(self) -> CIMultiDict[str]:
        """The headers every request starts from: the automatic ones and the session's.

        Prepared once, and again after ``session.headers`` changed.
        """
        version = _version(self.headers)
        if version != self._base_headers_version:
            self._base_headers = self._prepare_base_headers()
            self._base_headers_version = version
            self.heads.clear()
        return self._base_headers

    def _prepare_base_headers(self) -> CIMultiDict[str]:
        base: CIMultiDict[str] = CIMultiDict()
        auto = (
            ("User-Agent", DEFAULT_USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", DEFAULT_ACCEPT_ENCODING if self.auto_decompress else "identity"),
        )
        for name, value in auto:
            if name not in self.headers and istr(name) not in self.skip_auto_headers:
                base[name] = value
        base.extend(self.headers)
        return base


def _version(headers: CIMultiDict[str]) -> int:
    # getversion() changes on every mutation of the multidict.
    return getversion(cast("MultiDict[object]", headers))


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
    defaults: RequestDefaults = session._defaults
    timeouts = defaults.timeout if isinstance(timeout, _Unset) else as_timeout(timeout)
    deadline = None if timeouts.total is None else defaults.loop.time() + timeouts.total
    method = method.upper()
    base_url = defaults.base_url
    url = _cached_url(defaults.urls, str_or_url, base_url) if params is None else None
    if url is None:
        url = make_url(str_or_url, base_url, params)
    user_headers = checked_headers(headers)
    payload = make_payload(data, json, defaults.json_serialize)
    coding: str | None = None
    if compress and payload is not None:
        payload, coding = compress_payload(payload, compress)
    base_skip = defaults.skip_auto_headers
    skip = base_skip
    if skip_auto_headers:
        skip = skip | {istr(name) for name in skip_auto_headers}
    url, auth = choose_credentials(
        url, auth, user_headers, default=defaults.auth, base_url=base_url
    )
    trace_configs = defaults.trace_configs
    traces = start_traces(session, trace_configs, trace_request_ctx) if trace_configs else []
    if proxy is None and defaults.proxy is None and not defaults.trust_env:
        # No proxy from anywhere: what choose_proxies() would answer, without the call.
        proxy_settings, proxy_for_redirect = None, None
    else:
        proxy_settings, proxy_for_redirect = choose_proxies(
            url,
            proxy,
            proxy_auth,
            proxy_headers,
            default=defaults.proxy,
            default_auth=defaults.proxy_auth,
            trust_env=defaults.trust_env,
        )
    decompress = defaults.auto_decompress if auto_decompress is None else auto_decompress
    check = defaults.raise_for_status if raise_for_status is None else raise_for_status
    max_size = (
        defaults.max_decompressed_size
        if isinstance(max_decompressed_size, _Unset)
        else max_decompressed_size
    )
    return await send_chain(
        connector,
        defaults.cookie_jar,
        method,
        url,
        user_headers,
        payload,
        coding=coding,
        base_headers=defaults.base_headers(),
        base_skip=base_skip,
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
            "read_bufsize": read_bufsize or defaults.read_bufsize,
            "keys": defaults.keys,
            "heads": defaults.heads,
            "charset_resolver": defaults.charset_resolver,
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
