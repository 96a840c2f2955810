"""The WebSocket heartbeat: ping a quiet peer, give up on one that stays quiet.

``transom-web`` and ``transom-client`` carry identical copies of this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

__all__ = ["Heartbeat"]


class Heartbeat:
    """One connection's heartbeat timer.

    When nothing was :attr:`heard` for ``interval`` seconds, ``ping()`` is
    called; if still nothing arrives within half of that, ``expire()`` is.
    Any frame counts as a sign of life, so a busy connection sends no pings.

    Args:
        loop: The connection's loop.
        interval: Seconds of silence before a ping.
        ping: Sends a ping; returns False, sending nothing, once the
            connection is closing, which stops the heartbeat.
        expire: The peer stayed silent past the pong's deadline.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        interval: float,
        ping: Callable[[], bool],
        expire: Callable[[], None],
    ) -> None:
        self._loop = loop
        self.interval = interval
        self._ping = ping
        self._expire = expire
        #: Whether anything arrived since the timer was last set.
        self.heard = False
        self._timer: asyncio.TimerHandle | None = loop.call_later(interval, self._tick)
        self._pong_deadline: asyncio.TimerHandle | None = None

    def pong(self) -> None:
        """A pong arrived: the peer is alive, start a new interval."""
        deadline = self._pong_deadline
        if deadline is not None:
            deadline.cancel()
            self._pong_deadline = None
            self._rearm()

    def cancel(self) -> None:
        """Stop for good: the connection is over."""
        for handle in (self._timer, self._pong_deadline):
            if handle is not None:
                handle.cancel()
        self._timer = self._pong_deadline = None

    def _tick(self) -> None:
        if self.heard:
            # Something arrived since the last tick: the peer is alive.
            self._rearm()
        elif self._ping():
            self._pong_deadline = self._loop.call_later(self.interval / 2, self._on_deadline)

    def _on_deadline(self) -> None:
        self._pong_deadline = None
        if self.heard:
            # Frames arrived, just not the pong: still alive.
            self._rearm()
            return
        self._expire()

    def _rearm(self) -> None:
        self.heard = False
        self._timer = self._loop.call_later(self.interval, self._tick)
