"""The response body as an async byte stream (``ClientResponse.content``)."""

from __future__ import annotations

import asyncio
import collections
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Final, Protocol

from transom.client._deadlines import arm_read_timer

__all__ = ["DEFAULT_HIGH_WATER", "DEFAULT_LINE_LIMIT", "EofStream", "FlowControl", "StreamReader"]

# Reading from the socket pauses once this much body is buffered and unread,
# so a slow consumer cannot make a fast server fill memory. 256 KiB keeps a
# few TCP windows in flight on fast links.
DEFAULT_HIGH_WATER: Final = 256 * 1024
# One line from readline() or line iteration; longer lines are an error
# rather than an unbounded buffer.
DEFAULT_LINE_LIMIT: Final = 64 * 1024


class EofStream(Exception):
    """Raised by low-level readers at the end of a stream."""


class FlowControl(Protocol):
    """What the stream needs from the connection feeding it."""

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...


class StreamReader:
    """A buffer of body bytes fed by the connection and drained by the caller.

    Reads wait at most ``sock_read`` seconds for the next bytes and never past
    the request's total deadline; either expiry raises a
    ``ServerTimeoutError`` subclass. Once the connection reports an error,
    every further read raises it. Line iteration (``async for line in
    stream``) yields lines with their ``b"\\n"``.

    Args:
        flow: The connection, paused while too much is buffered.
        loop: The event loop the connection runs on.
        high_water: Buffered bytes above which reading from the socket pauses.
        read_timeout: ``sock_read``: the longest wait for the next bytes.
        deadline: The loop time at which the whole request times out.
        host: Named in timeout messages.
    """

    __slots__ = (
        "_buffer",
        "_deadline",
        "_eof",
        "_eof_callbacks",
        "_exception",
        "_flow",
        "_high_water",
        "_host",
        "_loop",
        "_paused",
        "_read_timeout",
        "_size",
        "_total_bytes",
        "_waiter",
    )

    def __init__(
        self,
        flow: FlowControl | None,
        loop: asyncio.AbstractEventLoop,
        *,
        high_water: int = DEFAULT_HIGH_WATER,
        read_timeout: float | None = None,
        deadline: float | None = None,
        host: str = "",
    ) -> None:
        self._flow = flow
        self._loop = loop
        self._high_water = high_water
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._host = host
        self._buffer: collections.deque[bytes] = collections.deque()
        self._size = 0
        self._total_bytes = 0
        self._eof = False
        self._paused = False
        self._exception: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._eof_callbacks: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        state = "eof" if self._eof else f"{self._size} bytes buffered"
        return f"<StreamReader {state}>"

    # -- the feeding side (the connection) --------------------------------

    def feed_data(self, data: bytes) -> None:
        """Append body bytes; pauses the connection above the high-water mark."""
        if not data:
            return
        self._buffer.append(data)
        self._size += len(data)
        self._total_bytes += len(data)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._size > self._high_water and not self._paused and self._flow is not None:
            self._paused = True
            self._flow.pause_reading()

    def feed_eof(self) -> None:
        """Mark the end of the body: reads return what is left, then ``b""``."""
        self._eof = True
        self._flow = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        callbacks, self._eof_callbacks = self._eof_callbacks, []
        for callback in callbacks:
            callback()

    def set_exception(self, exc: BaseException) -> None:
        """Fail every pending and future read with ``exc``."""
        self._exception = exc
        self._flow = None
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    def on_eof(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the end of the body is fed (now, if it was)."""
        if self._eof:
            callback()
        else:
            self._eof_callbacks.append(callback)

    def set_timeouts(self, read_timeout: float | None, deadline: float | None) -> None:
        """Change the read timeout and the total deadline for later reads."""
        self._read_timeout = read_timeout
        self._deadline = deadline

    # -- state ---------------------------------------------------------------

    def exception(self) -> BaseException | None:
        """The error that ended the stream, if any."""
        return self._exception

    def is_eof(self) -> bool:
        """Whether the end of the body was fed (unread bytes may remain)."""
        return self._eof

    def at_eof(self) -> bool:
        """Whether the end was fed and everything was read."""
        return self._eof and not self._buffer

    @property
    def total_bytes(self) -> int:
        """Bytes fed so far."""
        return self._total_bytes

    # -- reading ---------------------------------------------------------------

    async def _wait(self) -> None:
        if self._exception is not None:
            raise self._exception
        if self._waiter is not None:
            raise RuntimeError("Another coroutine is already reading this response body")
        waiter = self._waiter = self._loop.create_future()
        handle = arm_read_timer(self._loop, waiter, self._read_timeout, self._deadline, self._host)
        try:
            await waiter
        finally:
            self._waiter = None
            if handle is not None:
                handle.cancel()

    def _take(self, limit: int) -> bytes:
        buffer = self._buffer
        if limit < 0 or limit >= self._size:
            data = buffer[0] if len(buffer) == 1 else b"".join(buffer)
            buffer.clear()
        else:
            parts: list[bytes] = []
            wanted = limit
            while wanted:
                chunk = buffer[0]
                if len(chunk) <= wanted:
                    parts.append(buffer.popleft())
                    wanted -= len(chunk)
                else:
                    parts.append(chunk[:wanted])
                    buffer[0] = chunk[wanted:]
                    wanted = 0
            data = b"".join(parts)
        self._size -= len(data)
        if self._paused and self._size <= self._high_water // 2:
            self._paused = False
            if self._flow is not None:
                self._flow.resume_reading()
        return data

    def read_nowait(self, n: int = -1) -> bytes:
        """Up to ``n`` buffered bytes (all when ``n < 0``) without waiting."""
        if self._exception is not None:
            raise self._exception
        if not self._buffer:
            return b""
        return self._take(n)

    async def read(self, n: int = -1) -> bytes:
        """Read up to ``n`` bytes, or the whole remaining body when ``n < 0``.

        Returns ``b""`` at the end of the body.

        Raises:
            ClientPayloadError: The connection broke before the body ended.
            ServerTimeoutError: ``sock_read`` or the total timeout expired.
        """
        if n == 0:
            return b""
        if n < 0:
            # Drain as data arrives, so a body larger than the high-water
            # mark does not leave the connection paused.
            parts: list[bytes] = []
            while True:
                if self._buffer:
                    parts.append(self._take(-1))
                if self._eof or self._exception is not None:
                    break
                await self._wait()
            if self._exception is not None:
                raise self._exception
            return parts[0] if len(parts) == 1 else b"".join(parts)
        while not self._buffer and not self._eof:
            await self._wait()
        return self.read_nowait(n)

    async def readany(self) -> bytes:
        """Whatever is buffered, waiting for at least one byte; ``b""`` at the end."""
        while not self._buffer and not self._eof:
            await self._wait()
        return self.read_nowait()

    async def readchunk(self) -> tuple[bytes, bool]:
        """The next buffered piece as ``(data, False)``; ``(b"", False)`` at the end."""
        while not self._buffer and not self._eof:
            await self._wait()
        if self._exception is not None:
            raise self._exception
        if not self._buffer:
            return b"", False
        return self._take(len(self._buffer[0])), False

    async def readexactly(self, n: int) -> bytes:
        """Exactly ``n`` bytes.

        Raises:
            asyncio.IncompleteReadError: The body ended first.
        """
        parts: list[bytes] = []
        wanted = n
        while wanted:
            if self._buffer:
                part = self._take(wanted)
                parts.append(part)
                wanted -= len(part)
                continue
            if self._eof:
                raise asyncio.IncompleteReadError(b"".join(parts), n)
            await self._wait()
        return b"".join(parts)

    async def readuntil(
        self, separator: bytes = b"\n", *, limit: int = DEFAULT_LINE_LIMIT
    ) -> bytes:
        """Bytes up to and including ``separator``, or the rest at the end.

        Raises:
            ValueError: No separator within ``limit`` bytes.
        """
        if not separator:
            raise ValueError("The separator must not be empty")
        scanned = 0
        while True:
            if self._buffer:
                if len(self._buffer) > 1:
                    joined = b"".join(self._buffer)
                    self._buffer.clear()
                    self._buffer.append(joined)
                data = self._buffer[0]
                found = data.find(separator, max(scanned - len(separator) + 1, 0))
                if found >= 0:
                    end = found + len(separator)
                    if end > limit:
                        raise ValueError(f"Line longer than the limit of {limit} bytes")
                    return self._take(end)
                scanned = len(data)
                if scanned > limit:
                    raise ValueError(f"Line longer than the limit of {limit} bytes")
            if self._eof:
                return self.read_nowait()
            await self._wait()

    async def readline(self) -> bytes:
        """The next line including its ``b"\\n"``; ``b""`` at the end."""
        return await self.readuntil(b"\n")

    async def wait_eof(self) -> None:
        """Wait until the end of the body was fed."""
        while not self._eof:
            await self._wait()

    # -- iteration -------------------------------------------------------------

    def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Yield pieces of at most ``n`` bytes until the end."""
        return _Pieces(functools.partial(self.read, n))

    def iter_any(self) -> AsyncIterator[bytes]:
        """Yield whatever arrives, as soon as it arrives."""
        return _Pieces(self.readany)

    def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """Yield ``(data, end_of_http_chunk)`` pairs until the end."""
        return _ChunkPairs(self)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return _Pieces(self.readline)


class _Pieces:
    """What ``read_piece`` returns, one piece per step, until it returns ``b""``.

    A class rather than an async generator, so that the module compiles.
    """

    __slots__ = ("_read_piece",)

    def __init__(self, read_piece: Callable[[], Awaitable[bytes]]) -> None:
        self._read_piece = read_piece

    def __aiter__(self) -> _Pieces:
        return self

    async def __anext__(self) -> bytes:
        data = await self._read_piece()
        if not data:
            raise StopAsyncIteration
        return data


class _ChunkPairs:
    """``stream.readchunk()`` pairs until the one with no data."""

    __slots__ = ("_stream",)

    def __init__(self, stream: StreamReader) -> None:
        self._stream = stream

    def __aiter__(self) -> _ChunkPairs:
        return self

    async def __anext__(self) -> tuple[bytes, bool]:
        chunk = await self._stream.readchunk()
        if not chunk[0]:
            raise StopAsyncIteration
        return chunk
