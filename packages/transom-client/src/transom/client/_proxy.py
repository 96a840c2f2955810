"""HTTP proxies: choosing one, its headers, and CONNECT tunnels for https.

A plain-http request through a proxy is sent to the proxy in absolute form
(RFC 9112 §3.2.2) with ``Proxy-Authorization``; an https request first opens
a tunnel with ``CONNECT host:port`` (RFC 9110 §9.3.6) and then speaks TLS to
the origin through it.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import urllib.request
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, cast

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from transom.client._auth import BasicAuth
from transom.client._errors import ClientHttpProxyError, ServerDisconnectedError
from transom.client._request import check_headers
from transom.client._request_info import RequestInfo
from transom.protocol import RemoteProtocolError
from transom.protocol.http1 import (
    NEED_DATA,
    Connection,
    ConnectionClosed,
    EndOfMessage,
    InformationalResponse,
    Request,
    Response,
    Role,
)

if TYPE_CHECKING:
    from transom.client._connection_key import ConnectionKey

__all__ = [
    "ProxySettings",
    "choose_proxies",
    "headers_for_proxy",
    "headers_hash",
    "open_tunnel",
    "proxy_from_env",
]

_PROXY_SCHEMES = frozenset({"http"})


class ProxySettings:
    """A proxy URL (without credentials) and what to send it."""

    __slots__ = ("auth", "headers", "url")

    def __init__(self, url: URL, auth: BasicAuth | None, headers: Mapping[str, str] | None) -> None:
        if url.scheme not in _PROXY_SCHEMES:
            raise ValueError(f"Only http:// proxies are supported, not {str(url)[:60]!r}")
        url_auth = BasicAuth.from_url(url)
        self.url = url.with_user(None) if url_auth is not None else url
        self.auth = auth if auth is not None else url_auth
        self.headers = CIMultiDict(headers or {})


def proxy_from_env(url: URL) -> URL | None:
    """The proxy the environment names for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``...)."""
    proxies = urllib.request.getproxies()
    proxy = proxies.get(url.scheme)
    if not proxy or urllib.request.proxy_bypass(url.raw_host or ""):
        return None
    return URL(proxy)


def choose_proxies(
    url: URL,
    proxy: str | URL | None,
    proxy_auth: BasicAuth | None,
    proxy_headers: Mapping[str, str] | None,
    *,
    default: URL | None,
    default_auth: BasicAuth | None,
    trust_env: bool,
) -> tuple[ProxySettings | None, Callable[[URL], ProxySettings | None] | None]:
    """The proxy of a request to ``url``, and how each of its redirect targets gets one.

    The request's proxy comes first, then the session's ``default``, then,
    with ``trust_env``, the environment's. Only the environment's depends on
    the URL (``NO_PROXY``), so only then is it looked up again for each
    redirect target; otherwise every hop keeps the first hop's proxy.

    Returns:
        The first hop's proxy (``None``: none), and what chooses a redirect
        target's (``None``: keep the first hop's).

    Raises:
        ValueError: The proxy is not an http:// URL, or a proxy header holds
            CR, LF or NUL.
    """
    auth = proxy_auth or default_auth
    chosen = URL(proxy) if proxy is not None else default
    if chosen is not None:
        return _settings(chosen, auth, proxy_headers), None
    if not trust_env:
        return None, None
    from_env = functools.partial(_proxy_from_env, auth=auth, headers=proxy_headers)
    return from_env(url), from_env


def _proxy_from_env(
    url: URL, *, auth: BasicAuth | None, headers: Mapping[str, str] | None
) -> ProxySettings | None:
    chosen = proxy_from_env(url)
    return None if chosen is None else _settings(chosen, auth, headers)


def _settings(url: URL, auth: BasicAuth | None, headers: Mapping[str, str] | None) -> ProxySettings:
    if headers:
        check_headers(list(headers.items()))
    return ProxySettings(url, auth, headers)


def headers_hash(headers: CIMultiDict[str]) -> int | None:
    """A hash of the extra proxy headers, part of the pool key."""
    if not headers:
        return None
    return hash(tuple(sorted((name.lower(), value) for name, value in headers.items())))


def headers_for_proxy(settings: ProxySettings) -> CIMultiDict[str]:
    """The headers a request to the proxy carries."""
    headers = settings.headers.copy()
    if settings.auth is not None:
        headers["Proxy-Authorization"] = settings.auth.encode()
    return headers


class _Tunnel(asyncio.Protocol):
    """Sends one CONNECT and reads the proxy's answer head."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._h1 = Connection(Role.CLIENT)
        self.answer: asyncio.Future[Response] = loop.create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast("asyncio.Transport", transport)

    def send(self, request: Request) -> None:
        assert self.transport is not None
        self.transport.write(self._h1.send(request) + self._h1.send(EndOfMessage()))

    def data_received(self, data: bytes) -> None:
        self._h1.receive_data(data)
        self._process()

    def eof_received(self) -> bool:
        self._h1.receive_eof()
        self._process()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.answer.done():
            self.answer.set_exception(ServerDisconnectedError("Proxy closed the connection"))

    def _process(self) -> None:
        while not self.answer.done():
            try:
                event = self._h1.next_event()
            except RemoteProtocolError as exc:
                self.answer.set_exception(
                    ServerDisconnectedError(f"Invalid answer from the proxy: {exc.reason}")
                )
                return
            if event is NEED_DATA or isinstance(event, ConnectionClosed):
                if isinstance(event, ConnectionClosed):
                    self.answer.set_exception(
                        ServerDisconnectedError("Proxy closed the connection")
                    )
                return
            if isinstance(event, Response):
                self.answer.set_result(event)
                return
            if not isinstance(event, InformationalResponse):
                return


async def open_tunnel(
    loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    key: ConnectionKey,
    port: int,
    extra_headers: CIMultiDict[str] | None,
) -> asyncio.Transport:
    """Ask the proxy connected on ``sock`` for a tunnel to ``key``'s origin.

    Returns:
        The raw transport, ready for ``loop.start_tls``.

    Raises:
        ClientHttpProxyError: The proxy answered with a non-2xx status.
        ServerDisconnectedError: The proxy closed the connection.
    """
    tunnel = _Tunnel(loop)
    transport, _ = await loop.create_connection(lambda: tunnel, sock=sock)
    authority = f"[{key.host}]:{port}" if ":" in key.host else f"{key.host}:{port}"
    headers: CIMultiDict[str] = CIMultiDict(Host=authority)
    if key.proxy_auth is not None:
        headers["Proxy-Authorization"] = key.proxy_auth.encode()
    if extra_headers:
        headers.extend(extra_headers)
    try:
        tunnel.send(Request(method="CONNECT", target=authority, headers=headers))
        answer = await tunnel.answer
    except BaseException:
        transport.close()
        raise
    if not 200 <= answer.status_code < 300:
        transport.close()
        url = URL.build(scheme="https", host=key.host, port=port)
        info = RequestInfo(url, "CONNECT", CIMultiDictProxy(headers), url)
        raise ClientHttpProxyError(
            info,
            (),
            status=answer.status_code,
            message=f"Proxy refused the tunnel to {authority}: {answer.reason}",
            headers=CIMultiDictProxy(answer.headers),
        )
    return transport
