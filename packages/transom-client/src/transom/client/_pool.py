"""Connection-pool bookkeeping: idle connections, limits and waiters.

This module holds no sockets and no event loop. The connector asks it what
to do (reuse this idle connection, open a new one, wait) and tells it what
happened (released, broken, failed to open); the pool answers with the
connections to close and the waiters to wake. Every rule is therefore a
plain unit test.

Counting: a key's *open* count covers connections in use, idle ones and
ones being opened. ``limit`` caps the open count over all keys and
``limit_per_host`` per key; zero means no cap. Waiters are served in the
order they arrived among those the freed resource can serve.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Final, Generic, NamedTuple, TypeVar

__all__ = [
    "DEFAULT_KEEPALIVE_TIMEOUT",
    "DEFAULT_LIMIT",
    "DEFAULT_LIMIT_PER_HOST",
    "Grant",
    "Handoff",
    "Outcome",
    "Pool",
]

# A hundred sockets is far above what one program needs toward a handful of
# hosts, and far below a process's file-descriptor limit.
DEFAULT_LIMIT: Final = 100
# No per-host cap by default: the total cap already bounds the sockets.
DEFAULT_LIMIT_PER_HOST: Final = 0
# Servers commonly close idle connections after 5-75 s (nginx 75, Apache 5);
# 15 s keeps a connection warm across bursts without holding many sockets.
DEFAULT_KEEPALIVE_TIMEOUT: Final = 15.0

K = TypeVar("K", bound=Hashable)
C = TypeVar("C")
W = TypeVar("W")


class Grant(NamedTuple, Generic[C]):
    """Permission to proceed: reuse ``connection``, or open a new one when it is ``None``.

    ``evicted`` lists idle connections (of other keys) the caller must close
    to stay within the total limit.
    """

    connection: C | None
    evicted: list[C]


class Handoff(NamedTuple, Generic[W, C]):
    """A waiter to wake and what it gets (an idle connection, or ``None``: open one)."""

    waiter: W
    connection: C | None


class Outcome(NamedTuple, Generic[W, C]):
    """What the caller must do after a connection or slot came back."""

    handoffs: list[Handoff[W, C]]
    to_close: list[C]


class Pool(Generic[K, C, W]):
    """Idle connections per key, open counts, limits and FIFO waiters.

    Args:
        limit: Most connections open at once over all keys; 0 for no cap.
        limit_per_host: Most connections open at once per key; 0 for no cap.
        keepalive_timeout: Seconds an idle connection may stay pooled;
            ``None`` keeps it until the peer closes it.
    """

    def __init__(
        self,
        *,
        limit: int = DEFAULT_LIMIT,
        limit_per_host: int = DEFAULT_LIMIT_PER_HOST,
        keepalive_timeout: float | None = DEFAULT_KEEPALIVE_TIMEOUT,
    ) -> None:
        if limit < 0 or limit_per_host < 0:
            raise ValueError("limit and limit_per_host must be >= 0 (0 means no limit)")
        self.limit = limit
        self.limit_per_host = limit_per_host
        self.keepalive_timeout = keepalive_timeout
        # Per key, oldest first: reuse pops the newest (the least likely to
        # have been closed by the server), expiry trims from the front.
        self._idle: dict[K, list[tuple[C, float]]] = {}
        self._open: dict[K, int] = {}
        self._total_open = 0
        self._waiters: deque[tuple[K, W]] = deque()

    # -- queries -----------------------------------------------------------

    @property
    def total_open(self) -> int:
        """Connections open or being opened, over all keys."""
        return self._total_open

    @property
    def waiter_count(self) -> int:
        """Requests waiting for a connection."""
        return len(self._waiters)

    def open_count(self, key: K) -> int:
        """Connections open or being opened for ``key``."""
        return self._open.get(key, 0)

    def idle_count(self, key: K | None = None) -> int:
        """Idle connections for ``key``, or over all keys when ``key`` is ``None``."""
        if key is not None:
            return len(self._idle.get(key, ()))
        return sum(len(idle) for idle in self._idle.values())

    def known_keys(self) -> list[K]:
        """Every key with an open connection or a waiter."""
        keys = dict.fromkeys(self._open)
        keys.update(dict.fromkeys(key for key, _ in self._waiters))
        return list(keys)

    def waiters_for(self, key: K) -> int:
        """Requests waiting for a connection to ``key``."""
        return sum(1 for waiting_key, _ in self._waiters if waiting_key == key)

    # -- requests for a connection -----------------------------------------

    def acquire(self, key: K, now: float) -> tuple[Grant[C] | None, list[C]]:
        """Ask for a connection to ``key``.

        Returns:
            ``(grant, expired)``: ``grant`` is ``None`` when the caller must
            wait (call :meth:`add_waiter`); ``expired`` lists idle
            connections past their keep-alive time, to close.
        """
        expired = self.expire(now) if self._idle else []
        if self._waiters and any(waiting == key for waiting, _ in self._waiters):
            # Someone for this key is already queued: no overtaking.
            return None, expired
        return self._grant(key), expired

    def take_idle(self, key: K, now: float) -> tuple[C | None, list[C]]:
        """The newest idle connection for ``key``, if one is fresh: the warm-pool fast path.

        Returns:
            ``(connection, expired)``: the connection (or ``None``) and idle
            connections of ``key`` found past their keep-alive time, to close.
        """
        idle = self._idle.get(key)
        if not idle:
            return None, []
        connection, since = idle.pop()
        timeout = self.keepalive_timeout
        if timeout is None or now - since < timeout:
            if not idle:
                del self._idle[key]
            return connection, []
        # The newest is expired, so every older one is too.
        expired = [connection, *(older for older, _ in idle)]
        del self._idle[key]
        for _ in expired:
            self._forget(key)
        return None, expired

    def _grant(self, key: K) -> Grant[C] | None:
        idle = self._idle.get(key)
        if idle:
            connection, _ = idle.pop()
            if not idle:
                del self._idle[key]
            return Grant(connection, [])
        if self.limit_per_host and self._open.get(key, 0) >= self.limit_per_host:
            return None
        evicted: list[C] = []
        if self.limit and self._total_open >= self.limit:
            victim = self._evict_oldest_idle()
            if victim is None:
                return None
            evicted.append(victim)
        self._open[key] = self._open.get(key, 0) + 1
        self._total_open += 1
        return Grant(None, evicted)

    def _evict_oldest_idle(self) -> C | None:
        oldest_key: K | None = None
        oldest_time = 0.0
        for key, idle in self._idle.items():
            if oldest_key is None or idle[0][1] < oldest_time:
                oldest_key, oldest_time = key, idle[0][1]
        if oldest_key is None:
            return None
        idle = self._idle[oldest_key]
        connection, _ = idle.pop(0)
        if not idle:
            del self._idle[oldest_key]
        self._forget(oldest_key)
        return connection

    def add_waiter(self, key: K, waiter: W) -> None:
        """Queue ``waiter`` for ``key``; a later :class:`Handoff` names it."""
        self._waiters.append((key, waiter))

    def remove_waiter(self, key: K, waiter: W) -> None:
        """Withdraw a waiter that gave up (cancelled, timed out) before its handoff."""
        try:
            self._waiters.remove((key, waiter))
        except ValueError:
            pass

    # -- connections coming back -------------------------------------------

    def release(self, key: K, connection: C, *, reusable: bool, now: float) -> Outcome[W, C]:
        """Return a connection the caller finished with.

        Args:
            key: The key it was acquired for.
            connection: The connection.
            reusable: Whether it may serve another request (its response was
                read to the end and both sides allow keep-alive).
            now: The current time, for keep-alive expiry.

        Returns:
            The waiters to wake and the connections to close
            (``connection`` itself when it is not reusable).
        """
        if not reusable or self.keepalive_timeout == 0:
            self._forget(key)
            handoffs, evicted = self._wake()
            evicted.append(connection)
            return Outcome(handoffs, evicted)
        for index, (waiting_key, waiter) in enumerate(self._waiters):
            if waiting_key == key:
                del self._waiters[index]
                return Outcome([Handoff(waiter, connection)], [])
        self._idle.setdefault(key, []).append((connection, now))
        # Waiters for other keys may be blocked by the total limit: an idle
        # connection (perhaps this one) is evicted to make room for them.
        return Outcome(*self._wake())

    def keep(self, key: K, connection: C, now: float) -> bool:
        """Pool a reusable connection when nobody waits: :meth:`release`'s usual case.

        Returns:
            True when ``connection`` is now idle and nothing else is to be
            done; False, having changed nothing, when :meth:`release` must
            decide (a waiter to serve, or keep-alive turned off).
        """
        if self._waiters or self.keepalive_timeout == 0:
            return False
        idle = self._idle.get(key)
        if idle is None:
            self._idle[key] = [(connection, now)]
        else:
            idle.append((connection, now))
        return True

    def discard(self, key: K) -> Outcome[W, C]:
        """Give back a slot whose connection failed to open or broke while in use."""
        self._forget(key)
        return Outcome(*self._wake())

    def discard_idle(self, key: K, connection: C) -> Outcome[W, C]:
        """Remove an idle connection the peer closed; a no-op if it is not idle."""
        idle = self._idle.get(key)
        for index, (candidate, _) in enumerate(idle or ()):
            if candidate is connection:
                assert idle is not None
                del idle[index]
                if not idle:
                    del self._idle[key]
                self._forget(key)
                return Outcome(*self._wake())
        return Outcome([], [])

    def expire(self, now: float) -> list[C]:
        """Remove and return idle connections older than the keep-alive timeout."""
        if self.keepalive_timeout is None:
            return []
        deadline = now - self.keepalive_timeout
        expired: list[C] = []
        for key in list(self._idle):
            idle = self._idle[key]
            count = 0
            while count < len(idle) and idle[count][1] <= deadline:
                count += 1
            if count:
                expired.extend(connection for connection, _ in idle[:count])
                del idle[:count]
                if not idle:
                    del self._idle[key]
                for _ in range(count):
                    self._forget(key)
        return expired

    def next_expiry(self) -> float | None:
        """When the oldest idle connection expires, or ``None`` when nothing will."""
        if self.keepalive_timeout is None or not self._idle:
            return None
        return min(idle[0][1] for idle in self._idle.values()) + self.keepalive_timeout

    def close(self) -> tuple[list[C], list[W]]:
        """Forget everything.

        Returns:
            The idle connections to close and the waiters to fail.
        """
        idle = [connection for group in self._idle.values() for connection, _ in group]
        waiters = [waiter for _, waiter in self._waiters]
        self._idle.clear()
        self._open.clear()
        self._total_open = 0
        self._waiters.clear()
        return idle, waiters

    # -- internals ---------------------------------------------------------

    def _forget(self, key: K) -> None:
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)
        self._total_open = max(self._total_open - 1, 0)

    def _wake(self) -> tuple[list[Handoff[W, C]], list[C]]:
        handoffs: list[Handoff[W, C]] = []
        evicted: list[C] = []
        if not self._waiters:
            return handoffs, evicted
        blocked: set[K] = set()
        index = 0
        # Bounded: each step either removes a waiter or moves past it.
        while index < len(self._waiters):
            key, waiter = self._waiters[index]
            grant = None if key in blocked else self._grant(key)
            if grant is None:
                blocked.add(key)
                index += 1
                continue
            del self._waiters[index]
            handoffs.append(Handoff(waiter, grant.connection))
            evicted.extend(grant.evicted)
        return handoffs, evicted
