"""Opening one TCP socket to a host with several addresses (RFC 8305).

Attempts start one after another, each ``delay`` seconds after the previous
one or at once when the previous one fails, alternating address families;
the first to connect wins and the others are cancelled.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transom.client._resolver import ResolveResult

__all__ = ["DEFAULT_HAPPY_EYEBALLS_DELAY", "interleave", "open_socket"]

# RFC 8305 §8: "the recommended value for the Connection Attempt Delay is
# 250 milliseconds".
DEFAULT_HAPPY_EYEBALLS_DELAY = 0.25


def interleave(
    addresses: Sequence[ResolveResult], first_family_count: int = 1
) -> list[ResolveResult]:
    """Reorder ``addresses`` to alternate families (RFC 8305 §4).

    The family of the first address leads with ``first_family_count``
    addresses, then families alternate one by one; order within a family is
    kept.
    """
    if not addresses:
        return []
    by_family: dict[int, list[ResolveResult]] = {}
    for address in addresses:
        by_family.setdefault(address["family"], []).append(address)
    if len(by_family) == 1:
        return list(addresses)
    queues = list(by_family.values())
    result: list[ResolveResult] = list(queues[0][:first_family_count])
    del queues[0][:first_family_count]
    index = 1
    while any(queues):
        queue = queues[index % len(queues)]
        if queue:
            result.append(queue.pop(0))
        index += 1
    return result


async def _attempt(
    loop: asyncio.AbstractEventLoop,
    address: ResolveResult,
    local_addr: tuple[str, int] | None,
) -> socket.socket:
    sock = socket.socket(address["family"], socket.SOCK_STREAM, address["proto"])
    try:
        sock.setblocking(False)
        if local_addr is not None:
            sock.bind(local_addr)
        target: Any = (address["host"], address["port"])
        await loop.sock_connect(sock, target)
    except BaseException:
        sock.close()
        raise
    return sock


def _drain(task: asyncio.Task[socket.socket]) -> None:
    # A losing attempt may still connect or fail after the race is decided:
    # close its socket and consume its error so nothing leaks or is logged.
    if task.cancelled():
        return
    if task.exception() is None:
        task.result().close()


async def open_socket(
    addresses: Sequence[ResolveResult],
    *,
    delay: float | None = DEFAULT_HAPPY_EYEBALLS_DELAY,
    local_addr: tuple[str, int] | None = None,
) -> socket.socket:
    """Connect a non-blocking TCP socket to the first address that answers.

    Args:
        addresses: Candidates, best first (already interleaved by family).
        delay: Seconds between attempt starts; ``None`` tries one address at
            a time until one connects.
        local_addr: ``(host, port)`` to bind before connecting; addresses of
            another family than ``local_addr`` are skipped.

    Returns:
        The connected socket; the caller owns it.

    Raises:
        OSError: Every attempt failed; the message lists each cause.
    """
    loop = asyncio.get_running_loop()
    candidates = list(addresses)
    if local_addr is not None:
        local_family = socket.AF_INET6 if ":" in local_addr[0] else socket.AF_INET
        candidates = [a for a in candidates if a["family"] == local_family]
        if not candidates:
            raise OSError(f"No address of the family of local_addr {local_addr[0]}")
    errors: list[OSError] = []
    if delay is None or len(candidates) == 1:
        for address in candidates:
            try:
                return await _attempt(loop, address, local_addr)
            except OSError as exc:
                errors.append(exc)
        raise _combined(errors)
    return await _race(loop, candidates, delay, local_addr, errors)


async def _race(
    loop: asyncio.AbstractEventLoop,
    candidates: list[ResolveResult],
    delay: float,
    local_addr: tuple[str, int] | None,
    errors: list[OSError],
) -> socket.socket:
    tasks: list[asyncio.Task[socket.socket]] = []
    pending: set[asyncio.Task[socket.socket]] = set()
    winner: asyncio.Task[socket.socket] | None = None
    try:
        for address in [*candidates, None]:
            if address is not None:
                task = loop.create_task(_attempt(loop, address, local_addr))
                tasks.append(task)
                pending.add(task)
            # Wait for this attempt's delay (or until the last one settles);
            # a failure starts the next attempt at once (RFC 8305 §5).
            timeout = delay if address is not None else None
            while pending:
                done, pending = await asyncio.wait(
                    pending, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    break
                for task in done:
                    exc = task.exception()
                    if exc is None:
                        winner = task
                    elif isinstance(exc, OSError):
                        errors.append(exc)
                    else:
                        raise exc
                if winner is not None:
                    return winner.result()
                if address is not None:
                    break
        raise _combined(errors)
    finally:
        for task in tasks:
            if task is winner:
                continue
            if task.done():
                _drain(task)
            else:
                task.cancel()
                task.add_done_callback(_drain)


def _combined(errors: list[OSError]) -> OSError:
    if len(errors) == 1:
        return errors[0]
    if not errors:
        return OSError("No address to connect to")
    messages = "; ".join(str(exc) for exc in errors)
    combined = OSError(errors[0].errno, f"Multiple exceptions: {messages}")
    combined.__cause__ = errors[0]
    return combined
