"""One request/response exchange on a pooled connection, with the stale-connection retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypedDict

from multidict import CIMultiDict

from transom.client._connection_key import ConnectionKey
from transom.client._errors import ClientOSError, ServerDisconnectedError
from transom.client._proxy import ProxySettings, headers_for_proxy, headers_hash
from transom.client._request import IDEMPOTENT_METHODS
from transom.client._response import ClientResponse
from transom.client._timeouts import ClientTimeout
from transom.client._tls import SSLSetting
from transom.protocol.http1 import PreparedRequest, Request

if TYPE_CHECKING:
    from yarl import URL

    from transom.client._connector import BaseConnector
    from transom.client._payload import Payload
    from transom.client._tracing import Trace

__all__ = ["KEY_CACHE_SIZE", "ExchangeOptions", "exchange"]

# Pool keys are built once per origin and TLS setting; the cache is cleared
# when a program talks to this many, so it stays bounded.
KEY_CACHE_SIZE: Final = 256


class ExchangeOptions(TypedDict):
    """The arguments of :func:`exchange` that stay the same along a redirect chain."""

    ssl: SSLSetting
    timeouts: ClientTimeout
    deadline: float | None
    server_hostname: str | None
    decompress: bool
    max_decompressed_size: int | None
    read_bufsize: int
    keys: dict[tuple[Any, ...], ConnectionKey]
    heads: dict[tuple[str, URL], PreparedRequest]
    charset_resolver: Callable[[ClientResponse, bytes], str] | None


async def exchange(
    connector: BaseConnector,
    method: str,
    url: URL,
    headers: CIMultiDict[str],
    payload: Payload | None,
    *,
    expect100: bool,
    traces: list[Trace],
    proxy: ProxySettings | None,
    history: tuple[ClientResponse, ...],
    options: ExchangeOptions,
    prepared: PreparedRequest | None = None,
) -> ClientResponse:
    """Send one request on a pooled connection and return its response head.

    A request that fails on a reused connection before any response byte
    arrived (the server had closed it while idle) is sent once more on a
    fresh connection when it is idempotent and its body can be replayed.

    Args:
        connector: Where the connection comes from.
        method: The request method.
        url: The request URL (no credentials).
        headers: Every header to send.
        payload: The body, or ``None``.
        expect100: Wait for ``100 Continue`` before sending the body.
        traces: Tracing hooks.
        proxy: The proxy, if any.
        history: Redirect responses so far.
        prepared: ``headers`` as a head prepared beforehand (no proxy), or None.
        options: The settings shared by every hop (see :class:`ExchangeOptions`),
            one dict rather than keyword arguments: no dict is unpacked and
            rebuilt per request.
    """
    ssl = options["ssl"]
    timeouts = options["timeouts"]
    deadline = options["deadline"]
    is_ssl = url.scheme == "https"
    tunnel_headers: CIMultiDict[str] | None = None
    # The request target, when it is not the URL's path and query.
    absolute_target: str | None = None
    if proxy is None:
        cache_key = (url.raw_host, url.port, is_ssl, ssl)
        keys = options["keys"]
        cached = keys.get(cache_key)
        if cached is None:
            cached = ConnectionKey(
                url.raw_host or "", url.port, is_ssl, ssl if is_ssl else True, None, None, None
            )
            if len(keys) >= KEY_CACHE_SIZE:
                keys.clear()
            keys[cache_key] = cached
        key = cached
    else:
        key = ConnectionKey(
            url.raw_host or "",
            url.port,
            is_ssl,
            ssl if is_ssl else True,
            proxy.url,
            proxy.auth,
            headers_hash(proxy.headers),
        )
        if is_ssl:
            tunnel_headers = proxy.headers
        else:
            # RFC 9112 §3.2.2: a request to a proxy names the whole URL.
            absolute_target = str(url.with_fragment(None))
            headers = headers.copy()
            headers.extend(headers_for_proxy(proxy))
    if prepared is None:
        target = url.raw_path_qs if absolute_target is None else absolute_target
        head: Request | PreparedRequest = Request(method=method, target=target, headers=headers)
    else:
        # Only a plain request, with no proxy, comes prepared.
        head = prepared
    retried = False
    # Bounded: at most one retry, on a fresh connection.
    while True:
        # A warm pool hands out a connection without a coroutine;
        # tracing goes through connect() so reuse is reported.
        connection = None if traces or retried else connector._take_idle(key)
        if connection is None:
            connection = await connector.connect(
                key,
                traces,
                timeouts,
                deadline=deadline,
                server_hostname=options["server_hostname"],
                proxy_headers=tunnel_headers,
                fresh=retried,
            )
        try:
            event, stream = await connection.send_request(
                head,
                payload,
                expect_continue=expect100,
                read_timeout=timeouts.sock_read,
                deadline=deadline,
                decompress=options["decompress"],
                max_decompressed_size=options["max_decompressed_size"],
                high_water=options["read_bufsize"],
            )
        except (ServerDisconnectedError, ClientOSError):
            connection.fail_request()
            if (
                not retried
                and connection.stale_failure
                and method in IDEMPOTENT_METHODS
                and (payload is None or payload.replayable)
            ):
                retried = True
                continue
            raise
        except BaseException:
            connection.fail_request()
            raise
        break
    return ClientResponse(
        method,
        url,
        status=event.status_code,
        reason=event.reason,
        headers=event.headers,
        version=event.http_version,
        content=stream,
        connection=connection,
        request_headers=headers,
        history=history,
        charset_resolver=options["charset_resolver"],
    )
