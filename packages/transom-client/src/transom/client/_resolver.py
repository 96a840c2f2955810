"""Host name resolution: the threaded default and an aiodns-based resolver."""

from __future__ import annotations

import asyncio
import socket
from abc import ABC, abstractmethod
from typing import Any, TypedDict

__all__ = [
    "AbstractResolver",
    "AsyncResolver",
    "DefaultResolver",
    "ResolveResult",
    "ThreadedResolver",
]

# Only addresses of a family the machine has configured (RFC 3493 §6.1):
# no IPv6 answers on an IPv4-only host, which would only fail to connect.
_AI_FLAGS = socket.AI_ADDRCONFIG
# c-ares numbers its getaddrinfo flags its own way: ARES_AI_ADDRCONFIG is
# 1 << 6, while the value of socket.AI_ADDRCONFIG (0x20 on Linux) is its
# ARES_AI_ALL.
_ARES_AI_ADDRCONFIG = 1 << 6


class ResolveResult(TypedDict):
    """One address a host name resolves to.

    ``hostname`` is the name asked for, ``host`` the numeric address.
    """

    hostname: str
    host: str
    port: int
    family: int
    proto: int
    flags: int


class AbstractResolver(ABC):
    """Turns a host name into addresses to connect to."""

    @abstractmethod
    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of ``host``, in the order to try them.

        Raises:
            OSError: The name does not resolve (``socket.gaierror``).
        """

    @abstractmethod
    async def close(self) -> None:
        """Release the resolver's resources."""


def _numeric(address: Any) -> tuple[str, int]:
    host, port = address[0], address[1]
    if isinstance(host, bytes):
        host = host.decode("ascii")
    return str(host), int(port)


class ThreadedResolver(AbstractResolver):
    """Resolves with the system's ``getaddrinfo`` in the loop's thread pool.

    This honours ``/etc/hosts`` and the system resolver configuration.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """See :meth:`AbstractResolver.resolve`."""
        infos = await self._loop.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, family=family, flags=_AI_FLAGS
        )
        results: list[ResolveResult] = []
        for family_, _, proto, _, address in infos:
            if family_ == socket.AF_INET6 and len(address) >= 4 and address[3]:
                # A scoped (link-local) address keeps its zone in the host.
                numeric_host, numeric_port = (
                    socket.getnameinfo(address, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)[0],
                    int(address[1]),
                )
            else:
                numeric_host, numeric_port = _numeric(address)
            results.append(
                ResolveResult(
                    hostname=host,
                    host=numeric_host,
                    port=numeric_port,
                    family=family_,
                    proto=proto,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        return results

    async def close(self) -> None:
        """Nothing to release."""


class AsyncResolver(AbstractResolver):
    """Resolves with ``aiodns`` (c-ares), without threads.

    Install the ``aiodns`` extra (``pip install transom-client[aiodns]``).
    Keyword arguments are passed to ``aiodns.DNSResolver`` (for example
    ``nameservers=["127.0.0.1"]``).

    Raises:
        RuntimeError: From the constructor, when aiodns is not installed.
    """

    def __init__(self, **kwargs: Any) -> None:
        try:
            import aiodns
        except ImportError:
            raise RuntimeError(
                "AsyncResolver needs aiodns: pip install 'transom-client[aiodns]'"
            ) from None
        self._aiodns = aiodns
        self._resolver = aiodns.DNSResolver(loop=asyncio.get_running_loop(), **kwargs)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """See :meth:`AbstractResolver.resolve`."""
        try:
            answer = await self._resolver.getaddrinfo(
                host, port=port, type=socket.SOCK_STREAM, family=family, flags=_ARES_AI_ADDRCONFIG
            )
        except self._aiodns.error.DNSError as exc:
            message = exc.args[1] if len(exc.args) > 1 else "DNS lookup failed"
            raise socket.gaierror(socket.EAI_NONAME, f"{message} ({host})") from None
        results: list[ResolveResult] = []
        for node in answer.nodes:
            numeric_host, numeric_port = _numeric(node.addr)
            results.append(
                ResolveResult(
                    hostname=host,
                    host=numeric_host,
                    port=numeric_port,
                    family=node.family,
                    proto=socket.IPPROTO_TCP,
                    flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                )
            )
        if not results:
            raise socket.gaierror(socket.EAI_NONAME, f"No address found for {host}")
        return results

    async def close(self) -> None:
        """Stop the c-ares channel."""
        close = getattr(self._resolver, "close", None)
        if close is not None:
            await close()
        else:
            self._resolver.cancel()


DefaultResolver = ThreadedResolver
