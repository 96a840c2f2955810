"""Resolving a pool key's host: literal addresses, the DNS cache, tracing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING

from transom.client._cookie_rules import is_ip_address
from transom.client._dns_cache import DEFAULT_DNS_TTL, DNSCache
from transom.client._errors import ClientConnectorDNSError
from transom.client._resolver import AbstractResolver, DefaultResolver, ResolveResult

if TYPE_CHECKING:
    from transom.client._connection_key import ConnectionKey
    from transom.client._tracing import Trace

__all__ = ["HostResolver"]


class HostResolver:
    """The connector's name resolution: cache, de-duplication and trace hooks.

    Concurrent lookups of one name share a single resolver call.

    Args:
        resolver: The resolver; a default one (closed with this object) when
            ``None``.
        use_dns_cache: Whether to cache answers.
        ttl: Seconds an answer stays cached.
        family: The address family to ask for (0: any).
    """

    def __init__(
        self,
        resolver: AbstractResolver | None,
        *,
        use_dns_cache: bool = True,
        ttl: float | None = DEFAULT_DNS_TTL,
        family: socket.AddressFamily = socket.AF_UNSPEC,
    ) -> None:
        self._owns_resolver = resolver is None
        self._resolver = resolver if resolver is not None else DefaultResolver()
        self.use_cache = use_dns_cache
        self._cache = DNSCache(ttl)
        self._family = family
        self._pending: dict[tuple[str, int], asyncio.Future[list[ResolveResult]]] = {}

    def clear_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget the answer for ``host``:``port``, or every answer."""
        if host is not None and port is not None:
            self._cache.remove((host, port))
        else:
            self._cache.clear()

    async def close(self) -> None:
        """Close the resolver if this object created it."""
        if self._owns_resolver:
            await self._resolver.close()

    async def resolve(
        self, host: str, port: int, traces: Sequence[Trace], key: ConnectionKey
    ) -> list[ResolveResult]:
        """The addresses to connect to for ``host`` on ``port``.

        Raises:
            ClientConnectorDNSError: The name does not resolve (naming ``key``).
        """
        if is_ip_address(host):
            literal = host.strip("[]")
            family = socket.AF_INET6 if ":" in literal else socket.AF_INET
            return [
                ResolveResult(
                    hostname=literal,
                    host=literal,
                    port=port,
                    family=family,
                    proto=socket.IPPROTO_TCP,
                    flags=socket.AI_NUMERICHOST,
                )
            ]
        if not self.use_cache:
            return await self._lookup(key, host, port, traces)
        cache_key = (host, port)
        loop = asyncio.get_running_loop()
        cached = self._cache.get(cache_key, loop.time())
        if cached is not None:
            for trace in traces:
                await trace.send_dns_cache_hit(host)
            return cached
        for trace in traces:
            await trace.send_dns_cache_miss(host)
        pending = self._pending.get(cache_key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[list[ResolveResult]] = loop.create_future()
        self._pending[cache_key] = future
        try:
            addresses = await self._lookup(key, host, port, traces)
        except BaseException as exc:
            del self._pending[cache_key]
            shared = exc
            if not isinstance(exc, Exception):
                # The first asker was cancelled; the others were not.
                shared = ClientConnectorDNSError(key, OSError(f"Lookup of {host} was cancelled"))
            future.set_exception(shared)
            # Retrieved here so that a failure nobody else awaited is not logged.
            future.exception()
            raise
        del self._pending[cache_key]
        self._cache.add(cache_key, addresses, loop.time())
        future.set_result(addresses)
        return addresses

    async def _lookup(
        self, key: ConnectionKey, host: str, port: int, traces: Sequence[Trace]
    ) -> list[ResolveResult]:
        for trace in traces:
            await trace.send_dns_resolvehost_start(host)
        try:
            addresses = await self._resolver.resolve(host, port, family=self._family)
        except OSError as exc:
            raise ClientConnectorDNSError(key, exc) from exc
        if not addresses:
            raise ClientConnectorDNSError(key, OSError(f"No address found for {host}"))
        for trace in traces:
            await trace.send_dns_resolvehost_end(host)
        return addresses
