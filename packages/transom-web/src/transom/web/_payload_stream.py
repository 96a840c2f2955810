"""The request body as an asyncio stream.

The server connection pushes body bytes in with :meth:`StreamReader.feed_data`
and :meth:`StreamReader.feed_eof`; the handler pulls them out with the ``read*``
and ``iter_*`` methods. The stream never holds much more than its high-water
mark: past it, the connection stops reading from the socket until the handler
has consumed enough (the ``pause``/``resume`` callbacks).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

__all__ = ["DEFAULT_HIGH_WATER", "EMPTY_STREAM", "EmptyStreamReader", "StreamReader"]

# Past this many buffered bytes the socket stops being read. 64 KiB keeps a
# handful of socket reads in memory per slow consumer while still letting a
# fast handler see large reads; the low-water mark is half of it so reading
# is not toggled on every chunk.
DEFAULT_HIGH_WATER: Final = 64 * 1024


class StreamReader:
    """A byte stream fed by the server connection and read by the handler.

    Args:
        high_water: Buffered bytes past which ``pause`` is called.
        pause: Called (once) when the buffer grows past ``high_water``.
        resume: Called (once) when the buffer drains below half of it again.
        on_first_wait: Called the first time a reader must wait for bytes
            (the server sends ``100 Continue`` from here, RFC 9110 §10.1.1).
    """

    def __init__(
        self,
        *,
        high_water: int = DEFAULT_HIGH_WATER,
        pause: Callable[[], None] | None = None,
        resume: Callable[[], None] | None = None,
        on_first_wait: Callable[[], None] | None = None,
    ) -> None:
        self._buffer: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._exception: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._high_water = high_water
        self._low_water = high_water // 2
        self._pause = pause
        self._resume = resume
        self._paused = False
        self._on_first_wait = on_first_wait
        self._total_bytes = 0

    def __repr__(self) -> str:
        state = "eof" if self._eof else f"{self._size} bytes buffered"
        return f"<{type(self).__name__} {state}>"

    # -- the producer side (the server connection) --------------------------

    def feed_data(self, data: bytes) -> None:
        """Append body bytes; wake a waiting reader."""
        if not data:
            return
        self._buffer.append(data)
        self._size += len(data)
        self._total_bytes += len(data)
        self._wake()
        if not self._paused and self._size > self._high_water and self._pause is not None:
            self._paused = True
            self._pause()

    def feed_eof(self) -> None:
        """Mark the end of the body; wake a waiting reader."""
        self._eof = True
        self._wake()

    def set_exception(self, exc: BaseException) -> None:
        """Fail the stream: pending and later reads raise ``exc``.

        Bytes already buffered are still returned before the error.
        """
        self._exception = exc
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_exception(exc)

    def exception(self) -> BaseException | None:
        """The error the stream was failed with, if any."""
        return self._exception

    @property
    def total_bytes(self) -> int:
        """How many body bytes have been fed so far."""
        return self._total_bytes

    # -- the consumer side (the handler) --------------------------------------

    def is_eof(self) -> bool:
        """Whether the producer has signalled the end of the body."""
        return self._eof

    def at_eof(self) -> bool:
        """Whether the body has ended and every byte was read."""
        return self._eof and not self._size

    async def wait_eof(self) -> None:
        """Wait until the producer signals the end of the body (not reading it)."""
        while not self._eof:
            await self._wait()

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes, or the whole rest of the body when ``n < 0``.

        Returns ``b""`` only at the end of the body.
        """
        if n < 0:
            parts: list[bytes] = []
            while True:
                chunk = await self.readany()
                if not chunk:
                    return b"".join(parts)
                parts.append(chunk)
        if n == 0:
            return b""
        while not self._size and not self._eof:
            await self._wait()
        return self._take(n)

    async def readany(self) -> bytes:
        """Read whatever is buffered (waiting for at least one byte).

        Returns ``b""`` only at the end of the body.
        """
        while not self._size and not self._eof:
            await self._wait()
        return self._take(-1)

    async def readexactly(self, n: int) -> bytes:
        """Read exactly ``n`` bytes.

        Raises:
            asyncio.IncompleteReadError: The body ended first (``partial`` holds
                what was read).
        """
        parts: list[bytes] = []
        remaining = n
        while remaining > 0:
            chunk = await self.read(remaining)
            if not chunk:
                partial = b"".join(parts)
                raise asyncio.IncompleteReadError(partial, n)
            parts.append(chunk)
            remaining -= len(chunk)
        return b"".join(parts)

    async def readuntil(self, separator: bytes = b"\n", *, limit: int = 2**16) -> bytes:
        """Read up to and including ``separator``, or to the end of the body.

        Raises:
            ValueError: No separator within ``limit`` bytes.
        """
        if not separator:
            raise ValueError("separator must not be empty")
        while True:
            joined = b"".join(self._buffer) if len(self._buffer) > 1 else self._peek()
            index = joined.find(separator)
            if index >= 0:
                return self._take(index + len(separator))
            if len(joined) > limit:
                raise ValueError(f"no separator within {limit} bytes")
            if self._eof:
                return self._take(-1)
            await self._wait()

    async def readline(self) -> bytes:
        """Read one line, including its ``\\n``; the last line may lack one."""
        return await self.readuntil(b"\n")

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Yield chunks of at most ``n`` bytes until the end of the body."""
        while True:
            chunk = await self.read(n)
            if not chunk:
                return
            yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        """Yield chunks as they arrive until the end of the body."""
        while True:
            chunk = await self.readany()
            if not chunk:
                return
            yield chunk

    def __aiter__(self) -> AsyncIterator[bytes]:
        """Iterate over lines (as ``readline``)."""
        return self._iter_lines()

    async def _iter_lines(self) -> AsyncIterator[bytes]:
        while True:
            line = await self.readline()
            if not line:
                return
            yield line

    def unread_data(self, data: bytes) -> None:
        """Push ``data`` back to the front of the stream (for parsers that over-read)."""
        if data:
            self._buffer.appendleft(data)
            self._size += len(data)

    # -- internals ------------------------------------------------------------

    def _peek(self) -> bytes:
        return self._buffer[0] if self._buffer else b""

    def _take(self, n: int) -> bytes:
        """Remove and return up to ``n`` buffered bytes (all when ``n < 0``)."""
        if not self._size and self._exception is not None:
            raise self._exception
        buffer = self._buffer
        if n < 0 or n >= self._size:
            data = buffer.popleft() if len(buffer) == 1 else b"".join(buffer)
            buffer.clear()
        else:
            first = buffer[0]
            if len(first) > n:
                data = first[:n]
                buffer[0] = first[n:]
            else:
                parts = []
                needed = n
                while needed:
                    chunk = buffer.popleft()
                    if len(chunk) > needed:
                        buffer.appendleft(chunk[needed:])
                        chunk = chunk[:needed]
                    parts.append(chunk)
                    needed -= len(chunk)
                data = b"".join(parts)
        self._size -= len(data)
        if self._paused and self._size <= self._low_water and self._resume is not None:
            self._paused = False
            self._resume()
        return data

    async def _wait(self) -> None:
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None:
            raise RuntimeError("another coroutine is already waiting for this stream")
        if self._on_first_wait is not None:
            on_first_wait, self._on_first_wait = self._on_first_wait, None
            on_first_wait()
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


class EmptyStreamReader(StreamReader):
    """The body of a request that has none: always at its end."""

    def __init__(self) -> None:
        super().__init__()
        self._eof = True

    def feed_data(self, data: bytes) -> None:
        raise RuntimeError("an empty stream takes no data")

    def unread_data(self, data: bytes) -> None:
        raise RuntimeError("an empty stream takes no data")


# Shared by every request without a body, so such requests allocate no stream.
EMPTY_STREAM: Final = EmptyStreamReader()
