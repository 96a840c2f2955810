"""Turning a deadline on an await into the client's own timeout errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from transom.client._errors import ServerTimeoutError, SocketTimeoutError

__all__ = ["ReadTimer", "arm_read_timer", "earliest", "run_until"]

_T = TypeVar("_T")


def earliest(*moments: float | None) -> float | None:
    """The earliest of the given loop times, ignoring ``None``."""
    present = [moment for moment in moments if moment is not None]
    return min(present) if present else None


async def run_until(
    awaitable: Awaitable[_T], when: float | None, error: Callable[[], ServerTimeoutError]
) -> _T:
    """Await ``awaitable``, cancelling it at loop time ``when``.

    Raises:
        ServerTimeoutError: What ``error()`` builds, when ``when`` passed.
    """
    if when is None:
        return await awaitable
    try:
        async with asyncio.timeout_at(when) as scope:
            return await awaitable
    except TimeoutError:
        if scope.expired():
            raise error() from None
        raise


def arm_read_timer(
    loop: asyncio.AbstractEventLoop,
    waiter: asyncio.Future[Any],
    read_timeout: float | None,
    deadline: float | None,
    host: str,
) -> asyncio.TimerHandle | None:
    """Fail ``waiter`` if it is still pending when a read limit passes.

    The earlier of ``read_timeout`` seconds from now (``SocketTimeoutError``)
    and the total ``deadline`` (``ServerTimeoutError``) applies. A waiter is
    failed rather than a task cancelled, so the cost on the hot path is one
    timer handle; the caller cancels it once the waiter is done.

    Returns:
        The timer to cancel, or ``None`` when no limit applies.
    """
    when: float | None = None
    total = False
    if read_timeout is not None:
        when = loop.time() + read_timeout
    if deadline is not None and (when is None or deadline <= when):
        when, total = deadline, True
    if when is None:
        return None
    return loop.call_at(when, _expire, waiter, total, host)


def _expire(waiter: asyncio.Future[Any], total: bool, host: str) -> None:
    if waiter.done():
        return
    if total:
        waiter.set_exception(ServerTimeoutError(f"Total timeout expired talking to {host}"))
    else:
        waiter.set_exception(SocketTimeoutError(f"Timeout on reading data from {host}"))


class ReadTimer:
    """Bounds a connection's waits for its peer (a response head, a ``100 Continue``).

    A wait under a read timeout gets a timer of its own (:func:`arm_read_timer`).
    A wait under a total deadline alone (the default timeouts) shares one timer
    with every later wait on the connection: successive requests' deadlines
    only move later, so the timer is re-armed when it fires early, instead of
    a timer being created and cancelled for every request.

    Args:
        loop: The running loop.
        host: The peer's host name, for error messages.
    """

    __slots__ = ("_deadline", "_handle", "_host", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop, host: str) -> None:
        self._loop = loop
        self._host = host
        self._handle: asyncio.TimerHandle | None = None
        self._waiter: asyncio.Future[Any] | None = None
        self._deadline = 0.0

    def wait(
        self, waiter: asyncio.Future[_T], read_timeout: float | None, deadline: float | None
    ) -> Awaitable[_T]:
        """``waiter``, to be awaited, failed by the connection if a limit passes first.

        Under a total deadline alone (the default timeouts) the shared timer
        is armed and ``waiter`` itself is returned: the wait costs no
        coroutine of its own.

        Args:
            waiter: Resolved by the connection when the peer answers.
            read_timeout: Seconds from now, or ``None``.
            deadline: The request's total deadline (loop time), or ``None``.

        Returns:
            An awaitable with ``waiter``'s result. It raises
            ``SocketTimeoutError`` when ``read_timeout`` passed first, and
            ``ServerTimeoutError`` when ``deadline`` did.
        """
        if read_timeout is None and not waiter.done():
            if deadline is None:
                return waiter
            handle = self._handle
            if handle is None or handle.when() > deadline:
                if handle is not None:
                    handle.cancel()
                self._handle = self._loop.call_at(deadline, self._check_deadline)
            # _check_deadline ignores a waiter that is already done, so this
            # one needs no clearing once it is.
            self._waiter = waiter
            self._deadline = deadline
            return waiter
        return self._wait_with_timer(waiter, read_timeout, deadline)

    async def _wait_with_timer(
        self, waiter: asyncio.Future[_T], read_timeout: float | None, deadline: float | None
    ) -> _T:
        if waiter.done():
            return waiter.result()
        handle = arm_read_timer(self._loop, waiter, read_timeout, deadline, self._host)
        try:
            return await waiter
        finally:
            if handle is not None:
                handle.cancel()

    def cancel(self) -> None:
        """Stop the shared timer; the connection is closing."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _check_deadline(self) -> None:
        self._handle = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        if self._loop.time() >= self._deadline:
            waiter.set_exception(
                ServerTimeoutError(f"Total timeout expired waiting for {self._host}")
            )
        else:
            self._handle = self._loop.call_at(self._deadline, self._check_deadline)
