"""Request bodies: what ``data=`` and ``json=`` turn into before sending.

A payload knows its size when it can (the request then carries
Content-Length) and otherwise streams with chunked transfer coding. A
payload is *replayable* when it can be sent again, which a 307/308 redirect
and the retry of a request on a stale pooled connection require.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterable, AsyncIterator
from typing import IO, Any

from transom.protocol.compression import make_encoder

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "AsyncIterablePayload",
    "BytesPayload",
    "FilePayload",
    "Payload",
    "StringPayload",
    "compress_payload",
]

# Files are read in pieces of this size: large enough that the per-read
# overhead (a thread hop) is small, small enough to bound memory per upload.
DEFAULT_CHUNK_SIZE = 64 * 1024


class Payload:
    """A request body.

    Attributes:
        content_type: The Content-Type to send unless the caller set one.
        size: The length in bytes, or ``None`` when unknown (sent chunked).
    """

    content_type: str | None = "application/octet-stream"
    size: int | None = None

    @property
    def replayable(self) -> bool:
        """Whether :meth:`chunks` can be iterated again from the start."""
        return False

    def in_memory(self) -> bytes | None:
        """The whole body, when it is already in memory; else ``None``."""
        return None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the body in pieces."""
        data = self.in_memory()
        if data:
            yield data


class BytesPayload(Payload):
    """A body held in memory.

    Args:
        value: The bytes (``bytearray`` and ``memoryview`` are copied).
        content_type: Sent unless the caller set a Content-Type.
    """

    def __init__(
        self, value: bytes | bytearray | memoryview, content_type: str | None = None
    ) -> None:
        self._value = bytes(value)
        self.size = len(self._value)
        if content_type is not None:
            self.content_type = content_type

    @property
    def replayable(self) -> bool:
        """Always: the bytes stay in memory."""
        return True

    def in_memory(self) -> bytes:
        """The bytes."""
        return self._value


class StringPayload(BytesPayload):
    """Text, encoded once.

    Args:
        value: The text.
        encoding: Its charset; also named in the default Content-Type.
        content_type: Sent unless the caller set one; defaults to
            ``text/plain; charset=<encoding>``.
    """

    def __init__(
        self, value: str, *, encoding: str = "utf-8", content_type: str | None = None
    ) -> None:
        super().__init__(value.encode(encoding), content_type)
        if content_type is None:
            self.content_type = f"text/plain; charset={encoding}"


class FilePayload(Payload):
    """A binary file object, read in chunks in a worker thread.

    The size is known for regular files (from the current position to the
    end); a seekable file is replayable from the position it had when the
    payload was made.

    Args:
        file: An object with ``read(n) -> bytes``.
        content_type: Sent unless the caller set one.
        chunk_size: Bytes per read.
    """

    def __init__(
        self,
        file: IO[bytes] | IO[str],
        content_type: str | None = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        self._file = file
        self._chunk_size = chunk_size
        if content_type is not None:
            self.content_type = content_type
        self._start: int | None = None
        try:
            if file.seekable():
                self._start = file.tell()
                self.size = os.fstat(file.fileno()).st_size - self._start
        except (OSError, ValueError, io.UnsupportedOperation):
            self.size = None

    @property
    def replayable(self) -> bool:
        """Whether the file can seek back to where it started."""
        return self._start is not None

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the file's content from its starting position."""
        loop = asyncio.get_running_loop()
        if self._start is not None:
            await loop.run_in_executor(None, self._file.seek, self._start)
        while True:
            chunk: Any = await loop.run_in_executor(None, self._file.read, self._chunk_size)
            if not chunk:
                return
            yield chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk)


class AsyncIterablePayload(Payload):
    """A body produced by an async iterable of bytes, sent chunked; not replayable.

    Args:
        iterable: Yields ``bytes`` pieces.
        content_type: Sent unless the caller set one.
    """

    def __init__(self, iterable: AsyncIterable[bytes], content_type: str | None = None) -> None:
        self._iterable = iterable
        self._consumed = False
        if content_type is not None:
            self.content_type = content_type

    async def chunks(self) -> AsyncIterator[bytes]:
        """Yield the iterable's pieces (once)."""
        if self._consumed:
            raise RuntimeError("An async iterable body cannot be sent twice")
        self._consumed = True
        async for chunk in self._iterable:
            if not isinstance(chunk, bytes | bytearray | memoryview):
                raise TypeError(f"An async iterable body must yield bytes, not {type(chunk)}")
            if chunk:
                yield bytes(chunk)


class _CompressedPayload(Payload):
    def __init__(self, inner: Payload, coding: str) -> None:
        self._inner = inner
        self._coding = coding
        self.content_type = inner.content_type

    @property
    def replayable(self) -> bool:
        return self._inner.replayable

    async def chunks(self) -> Any:
        encoder = make_encoder(self._coding)
        async for chunk in self._inner.chunks():
            out = encoder.compress(chunk)
            if out:
                yield out
        tail = encoder.finish()
        if tail:
            yield tail


def compress_payload(payload: Payload, compress: bool | str) -> tuple[Payload, str]:
    """Encode ``payload`` with a content-coding (``True`` means deflate).

    Returns:
        The encoded payload and the Content-Encoding to send.
    """
    coding = "deflate" if compress is True else str(compress).lower()
    body = payload.in_memory()
    if body is not None:
        encoder = make_encoder(coding)
        encoded = encoder.compress(body) + encoder.finish()
        return BytesPayload(encoded, payload.content_type), coding
    return _CompressedPayload(payload, coding), coding
