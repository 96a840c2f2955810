"""``TCPConnector``: pooled TCP and TLS connections, through a proxy when asked."""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl as sslmod
from collections.abc import Sequence
from typing import TYPE_CHECKING

from transom.client._connector import BaseConnector
from transom.client._deadlines import run_until
from transom.client._errors import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientHttpProxyError,
    ClientProxyConnectionError,
    ConnectionTimeoutError,
)
from transom.client._happy_eyeballs import DEFAULT_HAPPY_EYEBALLS_DELAY, interleave, open_socket
from transom.client._host_resolver import HostResolver
from transom.client._pool import DEFAULT_KEEPALIVE_TIMEOUT, DEFAULT_LIMIT, DEFAULT_LIMIT_PER_HOST
from transom.client._pooled_connection import PooledConnection
from transom.client._proxy import open_tunnel
from transom.client._tls import SSLSetting, context_for, verify_fingerprint

if TYPE_CHECKING:
    from multidict import CIMultiDict

    from transom.client._connection_key import ConnectionKey
    from transom.client._resolver import AbstractResolver
    from transom.client._timeouts import ClientTimeout
    from transom.client._tracing import Trace

__all__ = ["TCPConnector"]

# The TLS handshake gets the same budget as the TCP connect it follows when no
# sock_connect timeout applies (the asyncio default is 60 s).
_DEFAULT_TLS_HANDSHAKE_TIMEOUT = 60.0


class TCPConnector(BaseConnector):
    """Connections over TCP, with TLS for https.

    Args:
        ssl: The default TLS setting: ``True`` verifies certificates against
            the system store, ``False`` disables verification, an
            ``ssl.SSLContext`` is used as is, a ``Fingerprint`` pins the
            certificate. A request's own ``ssl`` argument overrides it.
        use_dns_cache: Cache resolved addresses.
        ttl_dns_cache: Seconds a cached address is valid (``None``: forever).
        family: ``socket.AF_INET``, ``AF_INET6``, or 0 for both.
        local_addr: ``(host, port)`` to bind outgoing sockets to.
        resolver: The resolver; a :class:`ThreadedResolver` by default.
        happy_eyeballs_delay: Seconds between connection attempts to a
            host's addresses (RFC 8305); ``None`` tries them one by one.
        interleave: How many addresses of the first family go before the
            families alternate.
        keepalive_timeout: As for `BaseConnector`.
        force_close: As for `BaseConnector`.
        limit: As for `BaseConnector`.
        limit_per_host: As for `BaseConnector`.
    """

    def __init__(
        self,
        *,
        ssl: SSLSetting = True,
        use_dns_cache: bool = True,
        ttl_dns_cache: float | None = 10,
        family: socket.AddressFamily | int = 0,
        local_addr: tuple[str, int] | None = None,
        resolver: AbstractResolver | None = None,
        keepalive_timeout: float | None = DEFAULT_KEEPALIVE_TIMEOUT,
        force_close: bool = False,
        limit: int = DEFAULT_LIMIT,
        limit_per_host: int = DEFAULT_LIMIT_PER_HOST,
        happy_eyeballs_delay: float | None = DEFAULT_HAPPY_EYEBALLS_DELAY,
        interleave: int | None = None,
    ) -> None:
        super().__init__(
            keepalive_timeout=keepalive_timeout,
            force_close=force_close,
            limit=limit,
            limit_per_host=limit_per_host,
        )
        self._ssl = ssl
        self._family = socket.AddressFamily(family)
        self._local_addr = local_addr
        self._hosts = HostResolver(
            resolver, use_dns_cache=use_dns_cache, ttl=ttl_dns_cache, family=self._family
        )
        self._happy_eyeballs_delay = happy_eyeballs_delay
        self._interleave = interleave or 1

    @property
    def ssl(self) -> SSLSetting:
        """The default TLS setting of requests through this connector."""
        return self._ssl

    @property
    def family(self) -> socket.AddressFamily:
        """The address family connections use (0: any)."""
        return self._family

    @property
    def use_dns_cache(self) -> bool:
        """Whether resolved addresses are cached."""
        return self._hosts.use_cache

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached addresses: of ``host``:``port``, or all."""
        self._hosts.clear_cache(host, port)

    async def close(self) -> None:
        """Close every connection and the resolver this connector created."""
        await super().close()
        await self._hosts.close()

    async def _create_connection(
        self,
        key: ConnectionKey,
        traces: Sequence[Trace],
        timeouts: ClientTimeout,
        server_hostname: str | None,
        proxy_headers: CIMultiDict[str] | None,
    ) -> PooledConnection:
        host, port = key.host, key.port or (443 if key.is_ssl else 80)
        proxy = key.proxy
        if proxy is not None:
            dial_host, dial_port = proxy.raw_host or "", proxy.port or 80
        else:
            dial_host, dial_port = host, port
        addresses = await self._hosts.resolve(dial_host, dial_port, traces, key)
        setting = self._ssl if key.ssl is True else key.ssl
        context = context_for(setting) if key.is_ssl else None
        handshake_timeout = timeouts.sock_connect or _DEFAULT_TLS_HANDSHAKE_TIMEOUT
        loop = self._loop

        async def dial() -> PooledConnection:
            sock = await open_socket(
                interleave(addresses, self._interleave),
                delay=self._happy_eyeballs_delay,
                local_addr=self._local_addr,
            )
            connection = PooledConnection(loop, self, key, host)
            transport: asyncio.BaseTransport
            try:
                if proxy is not None and context is not None:
                    raw = await open_tunnel(loop, sock, key, port, proxy_headers)
                    try:
                        tls = await loop.start_tls(
                            raw,
                            connection,
                            context,
                            server_hostname=server_hostname or host,
                            ssl_handshake_timeout=handshake_timeout,
                        )
                    except BaseException:
                        raw.close()
                        raise
                    if tls is None:
                        raise OSError(f"TLS through the proxy tunnel to {host} failed")
                    transport = tls
                    connection.connection_made(transport)
                else:
                    transport, _ = await loop.create_connection(
                        lambda: connection,
                        sock=sock,
                        ssl=context,
                        server_hostname=(server_hostname or host) if context else None,
                        ssl_handshake_timeout=handshake_timeout if context else None,
                    )
            except BaseException:
                sock.close()
                raise
            try:
                verify_fingerprint(setting, transport, host, port)
            except BaseException:
                transport.close()
                raise
            return connection

        sock_connect_by = (
            None if timeouts.sock_connect is None else loop.time() + timeouts.sock_connect
        )
        try:
            return await run_until(
                dial(),
                sock_connect_by,
                functools.partial(
                    ConnectionTimeoutError, f"Connection timeout to host {host}:{port}"
                ),
            )
        except sslmod.SSLCertVerificationError as exc:
            raise ClientConnectorCertificateError(key, exc) from exc
        except sslmod.SSLError as exc:
            raise ClientConnectorSSLError(key, exc) from exc
        except (ClientConnectionError, ClientHttpProxyError, TimeoutError):
            raise
        except OSError as exc:
            if proxy is not None:
                raise ClientProxyConnectionError(key, exc) from exc
            raise ClientConnectorError(key, exc) from exc
