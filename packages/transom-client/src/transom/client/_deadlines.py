"""Turning a deadline on an await into the client's own timeout errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from transom.client._errors import ServerTimeoutError, SocketTimeoutError

__all__ = ["arm_read_timer", "earliest", "run_until"]

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
