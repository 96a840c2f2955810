"""A time-limited cache of resolved addresses."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transom.client._resolver import ResolveResult

__all__ = ["DEFAULT_DNS_TTL", "DNSCache"]

# Ten seconds spares a lookup per request under load while still following
# DNS changes (failover, rotation) quickly.
DEFAULT_DNS_TTL = 10.0


class DNSCache:
    """Addresses per ``(host, port)`` until their time-to-live expires.

    Args:
        ttl: Seconds an entry stays valid; ``None`` keeps entries until
            :meth:`clear` or :meth:`remove`.
    """

    __slots__ = ("_entries", "_ttl")

    def __init__(self, ttl: float | None = DEFAULT_DNS_TTL) -> None:
        self._ttl = ttl
        self._entries: dict[tuple[str, int], tuple[list[ResolveResult], float | None]] = {}

    def get(self, key: tuple[str, int], now: float) -> list[ResolveResult] | None:
        """The cached addresses for ``key``, or ``None`` when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        addresses, expires = entry
        if expires is not None and now >= expires:
            del self._entries[key]
            return None
        return addresses

    def add(self, key: tuple[str, int], addresses: list[ResolveResult], now: float) -> None:
        """Cache ``addresses`` for ``key`` from ``now`` on."""
        expires = None if self._ttl is None else now + self._ttl
        self._entries[key] = (addresses, expires)

    def remove(self, key: tuple[str, int]) -> None:
        """Forget ``key``."""
        self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._entries.clear()

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)
