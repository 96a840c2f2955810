"""One timer per connection, for whichever wait the connection is in."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

__all__ = ["Deadline"]


class Deadline:
    """A deadline that can move often and cheaply.

    Moving it later costs nothing: the timer, when it fires early, re-arms
    itself for the remaining time. Only an earlier deadline replaces the
    timer. So a keep-alive connection serving requests back to back touches
    no timer at all per request.

    Args:
        loop: The event loop.
        expired: Called with the ``reason`` given to :meth:`set` when the
            deadline passes.
    """

    __slots__ = ("_expired", "_loop", "_timer", "reason", "when")

    def __init__(self, loop: asyncio.AbstractEventLoop, expired: Callable[[int], None]) -> None:
        self._loop = loop
        self._expired = expired
        self._timer: asyncio.TimerHandle | None = None
        self.when: float | None = None
        self.reason = 0

    def set(self, delay: float, reason: int) -> None:
        """Expire ``delay`` seconds from now, for ``reason``."""
        when = self._loop.time() + delay
        self.when = when
        self.reason = reason
        timer = self._timer
        if timer is not None:
            if timer.when() <= when:
                return
            timer.cancel()
        self._timer = self._loop.call_at(when, self._fire)

    def clear(self) -> None:
        """No deadline until the next :meth:`set`."""
        self.when = None

    def cancel(self) -> None:
        """Stop for good (the connection is gone)."""
        self.when = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        when = self.when
        if when is None:
            return
        if self._loop.time() < when:
            self._timer = self._loop.call_at(when, self._fire)
            return
        self.when = None
        self._expired(self.reason)
